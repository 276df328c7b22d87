//! The Concord relayer: the off-chain worker each oracle member runs beside its node. It
//! carries batches and proofs between the appchain and every L1 and is how members see the
//! L1s. Roles, chosen in the TOML configuration ([`config`]):
//!
//! - [`roles::watcher`]: attests each L1's priority requests and batch stages, read
//!   `confirmations` blocks below its head;
//! - [`roles::prover`]: proves sealed batches from a native Merkle state kept in a store;
//! - [`roles::submitter`]: commits and proves every batch on every L1;
//! - [`roles::executor`]: signs execute messages of synced batches and executes them on L1s;
//! - [`roles::auditor`]: recomputes every batch's roots, commitment and sync hash and compares
//!   them with the appchain's and each L1's records.
//!
//! [`exit`] is what `concord-exit` runs in exodus mode, from L1 data alone.
//!
//! Every role reads the appchain at its last finalized block only, and re-derives what to do
//! from the appchain and the L1s at each step: a restarted relayer carries on where it
//! stopped, and any member's relayer can take over. The prover's tree store is the only state
//! kept across restarts.

pub mod appchain;
pub mod config;
pub mod devnet;
pub mod exit;
pub mod governance;
pub mod l1;
pub mod load;
pub mod metrics;
pub mod roles;
pub mod store;
#[cfg(test)]
mod test_state;

use appchain::{Appchain, AppchainError};
use config::{Config, Role};
use l1::{L1Error, L1};
use metrics::Metrics;
use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

/// Why a step of a role failed (it is retried with backoff).
#[derive(Debug, thiserror::Error)]
pub enum RelayerError {
	#[error(transparent)]
	Appchain(#[from] AppchainError),
	#[error(transparent)]
	L1(#[from] L1Error),
	#[error("prover: {0}")]
	Prover(String),
	#[error("tree store: {0}")]
	Store(#[from] store::StoreError),
	#[error("batch {batch}: {reason}")]
	Batch { batch: u64, reason: String },
	#[error("chain {0} is not registered on the appchain")]
	UnregisteredChain(u8),
	#[error("chain {chain}: the appchain registers EVM chain {registered_evm} / contract 0x{registered_contract}, the config says {configured_evm} / {configured_contract}")]
	RegistrationMismatch {
		chain: u8,
		registered_evm: u64,
		registered_contract: String,
		configured_evm: u64,
		configured_contract: String,
	},
	#[error("metrics: {0}")]
	Metrics(String),
	#[error("no L1 action is proposed for chain {chain} at governance nonce {nonce}")]
	NoL1Action { chain: u8, nonce: u64 },
	#[error("{0}")]
	Governance(String),
}

impl RelayerError {
	/// A batch whose pubdata does not decode.
	pub fn undecodable(
		batch: u64,
	) -> impl Fn(concord_primitives::ops::PubdataError) -> RelayerError {
		move |error| RelayerError::Batch {
			batch,
			reason: format!("undecodable pubdata: {error:?}"),
		}
	}
}

/// Everything the roles share.
pub struct Relayer {
	pub config: Config,
	pub appchain: Appchain,
	pub chains: Vec<L1>,
	pub metrics: Metrics,
	/// The member's Ethereum key, for execute signatures.
	pub eth_key: Option<k256::ecdsa::SigningKey>,
	inflight: Inflight,
}

impl Relayer {
	/// Connects to the appchain and every L1 and checks that they are what the configuration
	/// says: each L1's EVM chain id and contract, and their registration on the appchain.
	pub async fn connect(config: Config) -> Result<Relayer, RelayerError> {
		let signer = config
			.keys
			.appchain
			.as_deref()
			.map(appchain::signer_from_uri)
			.transpose()
			.expect("validated in the config");
		let appchain = Appchain::connect(&config.appchain.url, signer).await?;
		let eth_signer = config
			.keys
			.ethereum
			.as_deref()
			.map(l1::signer_from_hex)
			.transpose()
			.expect("validated in the config");
		let eth_key = eth_signer
			.as_ref()
			.map(|signer| k256::ecdsa::SigningKey::from_slice(&signer.to_bytes()[..]))
			.transpose()
			.expect("a valid alloy key is a valid k256 key");
		let at = appchain.finalized().await?.hash;
		let registered = appchain.chains(at).await?;
		let removed = appchain.removed_chains(at).await?;
		// A removed chain's L1 may be gone for good: it is left out, not checked.
		let chains: Vec<L1> = config
			.chains
			.iter()
			.filter(|chain| {
				let gone = removed.iter().any(|(id, _)| id.0 == chain.id);
				if gone {
					tracing::warn!(
						chain = chain.id,
						"chain {} was removed from the system: this relayer's roles leave it \
						 alone (keep it in the configuration until its contract is retired)",
						chain.id
					);
				}
				!gone
			})
			.map(|chain| L1::new(chain, eth_signer.clone()))
			.collect();
		for l1 in &chains {
			l1.check().await?;
			let (_, info) = registered
				.iter()
				.find(|(id, _)| *id == l1.chain)
				.ok_or(RelayerError::UnregisteredChain(l1.chain.0))?;
			if info.evm_chain_id != l1.config.evm_chain_id || info.contract != l1.contract.0 .0 {
				return Err(RelayerError::RegistrationMismatch {
					chain: l1.chain.0,
					registered_evm: info.evm_chain_id,
					registered_contract: hex::encode(info.contract),
					configured_evm: l1.config.evm_chain_id,
					configured_contract: l1.config.contract.clone(),
				});
			}
		}
		let metrics = Metrics::new().map_err(|error| RelayerError::Metrics(error.to_string()))?;
		Ok(Relayer {
			config,
			appchain,
			chains,
			metrics,
			eth_key,
			inflight: Inflight::default(),
		})
	}

	/// Records an error of `role` about `chain` (None: not about one chain).
	pub fn report(&self, role: Role, chain: Option<u8>, error: &RelayerError) {
		let chain_label = chain.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
		self.metrics
			.errors
			.with_label_values(&[role.name(), &chain_label])
			.inc();
		if let RelayerError::L1(L1Error::Reverted { chain, what, .. }) = error {
			self.metrics
				.reverts
				.with_label_values(&[&chain.to_string(), what])
				.inc();
		}
		tracing::error!(role = role.name(), chain = %chain_label, "{error}");
	}

	/// Whether an extrinsic identified by `key` may be sent now: not if the same one was sent
	/// less than [`INFLIGHT_FOR`] ago and may still be on its way to a finalized block.
	pub fn may_send(&self, key: String) -> bool {
		self.inflight.may_send(key, Instant::now())
	}

	/// The configured L1s the appchain registers at `at`: a chain removed since this relayer
	/// started is left alone.
	pub async fn live_chains(&self, at: sp_core::H256) -> Result<Vec<&L1>, RelayerError> {
		let registered = self.appchain.chains(at).await?;
		Ok(self
			.chains
			.iter()
			.filter(|l1| registered.iter().any(|(chain, _)| *chain == l1.chain))
			.collect())
	}

	/// The L1 with Concord chain id `chain`.
	pub fn l1(&self, chain: concord_primitives::ops::ChainId) -> Option<&L1> {
		self.chains.iter().find(|l1| l1.chain == chain)
	}
}

/// How long an extrinsic sent to the pool is given to reach a finalized block before the
/// same one is sent again.
pub const INFLIGHT_FOR: Duration = Duration::from_secs(30);

/// Extrinsics recently sent, by what they do.
#[derive(Default)]
struct Inflight(Mutex<HashMap<String, Instant>>);

impl Inflight {
	fn may_send(&self, key: String, now: Instant) -> bool {
		let mut sent = self.0.lock().expect("not poisoned");
		sent.retain(|_, at| now.duration_since(*at) < INFLIGHT_FOR);
		if sent.contains_key(&key) {
			return false;
		}
		sent.insert(key, now);
		true
	}
}

/// The delay before retrying after `failures` consecutive failures: doubling from the poll
/// interval, at most a minute.
pub fn backoff(poll: Duration, failures: u32) -> Duration {
	if failures == 0 {
		return poll;
	}
	let factor = 1u32 << failures.min(6);
	(poll * factor).min(Duration::from_secs(60))
}

/// Runs every configured role until `shutdown` resolves.
pub async fn run(
	relayer: Arc<Relayer>,
	shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), RelayerError> {
	if let Some(address) = relayer.config.metrics {
		let registry = relayer.metrics.registry.clone();
		tokio::spawn(async move {
			if let Err(error) =
				substrate_prometheus_endpoint::init_prometheus(address, registry).await
			{
				tracing::error!("metrics server on {address}: {error}");
			}
		});
		tracing::info!("metrics on http://{address}/metrics");
	}
	let mut tasks = tokio::task::JoinSet::new();
	for &role in &relayer.config.roles {
		let worker = match role {
			Role::Watcher => Worker::Watcher,
			Role::Prover => Worker::Prover(Box::new(roles::prover::Prover::open(&relayer.config)?)),
			Role::Submitter => Worker::Submitter,
			Role::Executor => Worker::Executor,
			Role::Auditor => Worker::Auditor(Box::default()),
		};
		let relayer = relayer.clone();
		tasks.spawn(async move { run_role(&relayer, role, worker).await });
		tracing::info!(role = role.name(), "started");
	}
	shutdown.await;
	tracing::info!("stopping");
	tasks.abort_all();
	Ok(())
}

/// A role with the state it keeps between steps (in memory, apart from the prover's store).
enum Worker {
	Watcher,
	Prover(Box<roles::prover::Prover>),
	Submitter,
	Executor,
	Auditor(Box<roles::auditor::Auditor>),
}

impl Worker {
	async fn step(&mut self, relayer: &Relayer) -> Result<(), roles::StepErrors> {
		match self {
			Worker::Watcher => roles::watcher::step(relayer).await,
			Worker::Prover(prover) => prover.step(relayer).await,
			Worker::Submitter => roles::submitter::step(relayer).await,
			Worker::Executor => roles::executor::step(relayer).await,
			Worker::Auditor(auditor) => auditor.step(relayer).await,
		}
	}
}

/// Runs one role's steps forever: after a step with errors, waits longer and longer.
async fn run_role(relayer: &Relayer, role: Role, mut worker: Worker) {
	let poll = relayer.config.poll_interval();
	let mut failures = 0u32;
	loop {
		match worker.step(relayer).await {
			Ok(()) => failures = 0,
			Err(errors) => {
				failures += 1;
				for (chain, error) in &errors.0 {
					relayer.report(role, *chain, error);
				}
			}
		}
		tokio::time::sleep(backoff(poll, failures)).await;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn backoff_doubles_up_to_a_minute() {
		let poll = Duration::from_millis(500);
		assert_eq!(backoff(poll, 0), poll);
		assert_eq!(backoff(poll, 1), Duration::from_secs(1));
		assert_eq!(backoff(poll, 3), Duration::from_secs(4));
		assert_eq!(backoff(poll, 40), Duration::from_secs(32));
		assert_eq!(backoff(Duration::from_secs(5), 10), Duration::from_secs(60));
	}

	#[test]
	fn an_extrinsic_is_not_resent_while_in_flight() {
		let inflight = Inflight::default();
		let start = Instant::now();
		assert!(inflight.may_send("attest 1".into(), start));
		assert!(!inflight.may_send("attest 1".into(), start + Duration::from_secs(5)));
		assert!(inflight.may_send("attest 2".into(), start + Duration::from_secs(5)));
		assert!(inflight.may_send("attest 1".into(), start + INFLIGHT_FOR));
	}
}
