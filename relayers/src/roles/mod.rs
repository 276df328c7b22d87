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
	ops::{self, recover_eth_signer, AppliedOp, ChainId, Op},
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

/// A sealed batch's fee account and its ops without the Noop padding, from its pubdata, as
/// the appchain applied them (a refunded Deposit says so).
pub fn batch_ops(batch: u64, pubdata: &[u8]) -> Result<(AccountId, Vec<AppliedOp>), RelayerError> {
	let (fee_account, mut ops) =
		ops::decode_batch_pubdata(pubdata).map_err(RelayerError::undecodable(batch))?;
	ops.retain(|applied| !matches!(applied.op(), Op::Noop));
	Ok((fee_account, ops))
}

/// Adds the chains and tokens registered on the appchain at `at` to `state`'s registry. Removed
/// chains stay in it: the ops of earlier batches that name them replay as they applied (the
/// ledger refuses new ones).
pub async fn sync_registry(
	relayer: &Relayer,
	state: &mut TreeState,
	at: H256,
) -> Result<(), RelayerError> {
	let appchain = &relayer.appchain;
	let removed = appchain.removed_chains(at).await?;
	for (chain, _) in appchain.chains(at).await?.into_iter().chain(removed) {
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

/// The signatures of `digest` for `chain` among the members' `(chain, signature)` lists that
/// the chain's contract accepts: each signer in its oracle set `oracles`, and each once. (The
/// contract reverts the whole call on any other signature, and the appchain's member set and
/// an L1's oracle set differ while an `updateOracles` is on its way.)
pub fn chain_signatures(
	members: &[(concord_runtime::AccountId, Vec<(ChainId, [u8; 65])>)],
	chain: ChainId,
	digest: &[u8; 32],
	oracles: &[[u8; 20]],
) -> Vec<[u8; 65]> {
	let mut signers = Vec::new();
	let mut accepted = Vec::new();
	for (_, list) in members {
		let Some((_, signature)) = list.iter().find(|(c, _)| *c == chain) else {
			continue;
		};
		let Some(signer) = recover_eth_signer(digest, signature) else {
			continue;
		};
		if oracles.contains(&signer) && !signers.contains(&signer) {
			signers.push(signer);
			accepted.push(*signature);
		}
	}
	accepted
}

#[cfg(test)]
mod tests {
	use super::*;
	use concord_primitives::ops::eth_sign;

	fn oracle_key(seed: u8) -> k256::ecdsa::SigningKey {
		k256::ecdsa::SigningKey::from_bytes(&[seed; 32].into()).unwrap()
	}

	fn oracle_address(seed: u8) -> [u8; 20] {
		concord_primitives::ops::eth_address(oracle_key(seed).verifying_key())
	}

	#[test]
	fn only_the_chains_signatures_by_its_oracles_count_once_each() {
		let member = |seed: u8| concord_runtime::AccountId::from([seed; 32]);
		let digest = [7; 32];
		let other_digest = [8; 32];
		let sign = |seed: u8, digest: &[u8; 32]| eth_sign(&oracle_key(seed), digest);
		let oracles = [oracle_address(1), oracle_address(2), oracle_address(3)];
		let members = vec![
			// Oracle 1 signed chain 1 and chain 2.
			(
				member(1),
				vec![
					(ChainId(1), sign(1, &digest)),
					(ChainId(2), sign(1, &digest)),
				],
			),
			// Oracle 2 signed chain 2 only.
			(member(2), vec![(ChainId(2), sign(2, &digest))]),
			// A member whose address is not (yet) in this L1's oracle set.
			(member(4), vec![(ChainId(1), sign(4, &digest))]),
			// A second appchain account carrying oracle 1's signature again.
			(member(5), vec![(ChainId(1), sign(1, &digest))]),
			// Oracle 3's signature of another digest, and garbage.
			(member(3), vec![(ChainId(1), sign(3, &other_digest))]),
			(member(6), vec![(ChainId(1), [0xff; 65])]),
		];
		assert_eq!(
			chain_signatures(&members, ChainId(1), &digest, &oracles),
			vec![sign(1, &digest)]
		);
		assert_eq!(
			chain_signatures(&members, ChainId(2), &digest, &oracles),
			vec![sign(1, &digest), sign(2, &digest)]
		);
		assert!(chain_signatures(&members, ChainId(3), &digest, &oracles).is_empty());
	}
}
