//! The relayer's roles. Each role's `step` reads the appchain at its last finalized block and
//! the L1s, decides what is missing with a pure function (unit-tested beside it) and sends
//! what closes the gap. A failure on one chain does not stop the others.

pub mod auditor;
pub mod executor;
pub mod prover;
pub mod submitter;
pub mod watcher;

use crate::{Relayer, RelayerError};
use concord_primitives::{
	account::AccountId,
	ops::{self, Op},
	stf::TreeState,
};
use sp_core::H256;

/// The errors of one step, each with the chain it concerns (if any).
#[derive(Debug, Default)]
pub struct StepErrors(pub Vec<(Option<u8>, RelayerError)>);

impl StepErrors {
	pub fn push(&mut self, chain: Option<u8>, error: impl Into<RelayerError>) {
		self.0.push((chain, error.into()));
	}

	pub fn into_result(self) -> Result<(), StepErrors> {
		if self.0.is_empty() {
			Ok(())
		} else {
			Err(self)
		}
	}
}

impl<E: Into<RelayerError>> From<E> for StepErrors {
	fn from(error: E) -> Self {
		StepErrors(vec![(None, error.into())])
	}
}

/// A sealed batch's fee account and its ops without the Noop padding, from its pubdata.
pub fn batch_ops(batch: u64, pubdata: &[u8]) -> Result<(AccountId, Vec<Op>), RelayerError> {
	let (fee_account, applied) =
		ops::decode_batch_pubdata(pubdata).map_err(RelayerError::undecodable(batch))?;
	let ops = applied
		.iter()
		.map(|applied| *applied.op())
		.filter(|op| !matches!(op, Op::Noop))
		.collect();
	Ok((fee_account, ops))
}

/// Adds the chains and tokens registered on the appchain at `at` to `state`'s registry (a
/// registration never goes away, so adding is enough).
pub async fn sync_registry(
	relayer: &Relayer,
	state: &mut TreeState,
	at: H256,
) -> Result<(), RelayerError> {
	for (chain, _) in relayer.appchain.chains(at).await? {
		state.registry_mut().add_chain(chain);
	}
	for (token, chain) in relayer.appchain.tokens(at).await? {
		state
			.registry_mut()
			.register_token(chain, token)
			.map_err(|error| RelayerError::Batch {
				batch: 0,
				reason: format!("token {token} on chain {}: {error}", chain.0),
			})?;
	}
	Ok(())
}

/// Sends an appchain extrinsic unless the same one (by `key`) is in flight.
pub async fn send_once(
	relayer: &Relayer,
	key: String,
	call: concord_runtime::RuntimeCall,
) -> Result<bool, RelayerError> {
	if !relayer.may_send(key.clone()) {
		return Ok(false);
	}
	let hash = relayer.appchain.submit(call).await?;
	relayer
		.metrics
		.sent
		.with_label_values(&[key.split(' ').next().unwrap_or("call")])
		.inc();
	tracing::info!(extrinsic = ?hash, "sent {key}");
	Ok(true)
}
