//! The executor: signs, with the member's Ethereum key, the commit message of each registered
//! L1 for every batch the appchain sealed (over the sealed pubdata's hash) and stores the
//! signatures on the appchain (`sign_commit`), which is what lets submitters commit it; once
//! the oracle synced a batch (every L1 proved it with the sync hash the appchain expects), it
//! signs the execute message of each L1 the same way (`sign_execute`), and once a quorum of
//! members signed, it calls `executeBatches` on each L1 that has not executed the batch.

use super::{chain_signatures, send_once, StepErrors};
use crate::{
	l1::{Totals, L1},
	Relayer, RelayerError,
};
use alloy::primitives::Bytes;
use concord_contracts::bindings::ConcordRollup::ExecuteBatchInfo;
use concord_primitives::{
	commitment::{commit_digest, execute_digest},
	ops::{eth_sign, ChainId},
};
use concord_runtime::RuntimeCall;
use pallet_concord_ledger::ChainInfo;
use sp_core::H256;
use std::ops::RangeInclusive;

/// Synced batches signed per step at most.
pub const MAX_SIGN_PER_STEP: u64 = 8;

/// Batches one `executeBatches` transaction takes at most, so that its gas stays bounded
/// whatever backlog an L1 has.
pub const MAX_EXECUTE_PER_TX: u64 = 8;

/// The synced batches this member still has to sign: those after the lowest batch any
/// configured L1 executed, up to the last synced one, that it has not signed.
pub fn batches_to_sign(
	lowest_executed: u64,
	last_synced: u64,
	signed: impl Fn(u64) -> bool,
	limit: u64,
) -> Vec<u64> {
	(lowest_executed + 1..=last_synced)
		.filter(|batch| !signed(*batch))
		.take(limit as usize)
		.collect()
}

/// The batches `executeBatches` can take on an L1 with `totals`: from its next unexecuted
/// batch to `last`, the highest synced batch it proved, at most `limit` batches on, that has
/// `threshold` usable signatures for this chain (`signatures_of(batch)` counts them).
pub fn execute_range(
	totals: Totals,
	last_synced: u64,
	threshold: usize,
	limit: u64,
	signatures_of: impl Fn(u64) -> usize,
) -> Option<RangeInclusive<u64>> {
	let first = totals.executed + 1;
	let top = last_synced
		.min(totals.proven)
		.min(totals.executed.saturating_add(limit));
	(first..=top)
		.rev()
		.find(|batch| signatures_of(*batch) >= threshold)
		.map(|last| first..=last)
}

pub async fn step(relayer: &Relayer) -> Result<(), StepErrors> {
	let appchain = &relayer.appchain;
	let at = appchain.finalized().await?.hash;
	let sealed = appchain.last_sealed(at).await?;
	let synced = appchain.last_synced(at).await?;
	relayer
		.metrics
		.appchain
		.with_label_values(&["last_synced"])
		.set(synced);
	let mut errors = StepErrors::default();
	let mut totals = Vec::new();
	for l1 in relayer.live_chains(at).await? {
		match l1.totals(None).await {
			Ok(chain_totals) => totals.push((l1, chain_totals)),
			Err(error) => errors.push(Some(l1.chain.0), error),
		}
	}
	if let Some(lowest) = totals.iter().map(|(_, t)| t.committed).min() {
		if let Err(error) = sign(relayer, Authorization::Commit, lowest, sealed, at).await {
			errors.push(None, error);
		}
	}
	if synced == 0 {
		return errors.into_result();
	}
	if let Some(lowest) = totals.iter().map(|(_, t)| t.executed).min() {
		if let Err(error) = sign(relayer, Authorization::Execute, lowest, synced, at).await {
			errors.push(None, error);
		}
	}
	for (l1, chain_totals) in totals {
		if let Err(error) = execute(relayer, l1, chain_totals, synced, at).await {
			errors.push(Some(l1.chain.0), error);
		}
	}
	errors.into_result()
}

/// What a member signs, for every registered chain: a sealed batch's commit (over its pubdata
/// hash) or a synced batch's execution (over its sync hash).
#[derive(Clone, Copy, Debug)]
enum Authorization {
	Commit,
	Execute,
}

impl Authorization {
	/// The members' stored signatures of `batch`.
	async fn stored(
		self,
		relayer: &Relayer,
		batch: u64,
		at: H256,
	) -> Result<Vec<(concord_runtime::AccountId, Vec<(ChainId, [u8; 65])>)>, RelayerError> {
		let appchain = &relayer.appchain;
		Ok(match self {
			Authorization::Commit => appchain.commit_signatures(batch, at).await?,
			Authorization::Execute => appchain.execute_signatures(batch, at).await?,
		})
	}

	/// The digest of `batch` on the chain registered as `info`, over the value the appchain
	/// holds for it.
	async fn digests(
		self,
		relayer: &Relayer,
		batch: u64,
		at: H256,
	) -> Result<impl Fn(&ChainInfo) -> [u8; 32], RelayerError> {
		let appchain = &relayer.appchain;
		let (value, digest): (_, fn(u64, &[u8; 20], u64, [u8; 32]) -> [u8; 32]) = match self {
			Authorization::Commit => (
				appchain.sealed_pubdata_hash(batch, at).await?,
				commit_digest,
			),
			Authorization::Execute => (
				appchain.proven_record(batch, at).await?.sync_hash,
				execute_digest,
			),
		};
		Ok(move |info: &ChainInfo| digest(info.evm_chain_id, &info.contract, batch, value))
	}

	fn call(
		self,
		batch: u64,
		signatures: pallet_concord_oracle::ChainSignatures<concord_runtime::Runtime>,
	) -> RuntimeCall {
		RuntimeCall::Oracle(match self {
			Authorization::Commit => pallet_concord_oracle::Call::sign_commit { batch, signatures },
			Authorization::Execute => {
				pallet_concord_oracle::Call::sign_execute { batch, signatures }
			}
		})
	}

	fn name(self) -> &'static str {
		match self {
			Authorization::Commit => "sign_commit",
			Authorization::Execute => "sign_execute",
		}
	}
}

/// Signs `what` for the batches after `lowest` (the lowest any configured L1 committed, or
/// executed) up to `last` (the last sealed, or synced) that this member has not signed yet.
async fn sign(
	relayer: &Relayer,
	what: Authorization,
	lowest: u64,
	last: u64,
	at: H256,
) -> Result<(), RelayerError> {
	let appchain = &relayer.appchain;
	let member = appchain
		.account()
		.expect("the executor has an appchain key");
	let key = relayer
		.eth_key
		.as_ref()
		.expect("the executor has an Ethereum key");
	let mut signed = std::collections::BTreeSet::new();
	for batch in lowest + 1..=last {
		if what
			.stored(relayer, batch, at)
			.await?
			.iter()
			.any(|(account, _)| *account == member)
		{
			signed.insert(batch);
		}
	}
	let chains = appchain.chains(at).await?;
	for batch in batches_to_sign(lowest, last, |b| signed.contains(&b), MAX_SIGN_PER_STEP) {
		let digest = what.digests(relayer, batch, at).await?;
		let signatures: Vec<(ChainId, [u8; 65])> = chains
			.iter()
			.map(|(chain, info)| (*chain, eth_sign(key, &digest(info))))
			.collect();
		let signatures = signatures.try_into().map_err(|_| RelayerError::Batch {
			batch,
			reason: "more registered chains than the oracle takes signatures for".into(),
		})?;
		let call = what.call(batch, signatures);
		send_once(relayer, format!("{} {batch}", what.name()), call).await?;
	}
	Ok(())
}

async fn execute(
	relayer: &Relayer,
	l1: &L1,
	totals: Totals,
	synced: u64,
	at: H256,
) -> Result<(), RelayerError> {
	let appchain = &relayer.appchain;
	let threshold = l1.threshold().await?;
	let oracles = l1.oracles().await?;
	let info = appchain.chain_info(l1.chain, at).await?;
	let mut signatures = std::collections::BTreeMap::new();
	let last = synced
		.min(totals.proven)
		.min(totals.executed.saturating_add(MAX_EXECUTE_PER_TX));
	for batch in totals.executed + 1..=last {
		let members = appchain.execute_signatures(batch, at).await?;
		let sync_hash = appchain.proven_record(batch, at).await?.sync_hash;
		let digest = execute_digest(info.evm_chain_id, &info.contract, batch, sync_hash);
		signatures.insert(
			batch,
			chain_signatures(&members, l1.chain, &digest, &oracles),
		);
	}
	let count = |batch: u64| signatures.get(&batch).map_or(0, Vec::len);
	let Some(batches) = execute_range(totals, synced, threshold, MAX_EXECUTE_PER_TX, count) else {
		return Ok(());
	};
	let mut infos = Vec::new();
	for batch in batches.clone() {
		let pubdata = appchain.sealed_pubdata(batch, at).await?;
		let payouts = concord_contracts::payouts(&pubdata, l1.chain)
			.map_err(RelayerError::undecodable(batch))?;
		infos.push(ExecuteBatchInfo {
			batchNumber: batch,
			payouts,
		});
	}
	let quorum: Vec<Bytes> = signatures[batches.end()]
		.iter()
		.take(threshold)
		.map(|signature| Bytes::from(signature.to_vec()))
		.collect();
	let tx = l1
		.send("executeBatches", l1.rollup().executeBatches(infos, quorum))
		.await?;
	relayer
		.metrics
		.sent
		.with_label_values(&["executeBatches"])
		.inc();
	tracing::info!(chain = l1.chain.0, ?batches, %tx, "executed");
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn totals(proven: u64, executed: u64) -> Totals {
		Totals {
			committed: proven,
			proven,
			executed,
		}
	}

	#[test]
	fn a_member_signs_each_synced_batch_some_chain_has_not_executed() {
		assert_eq!(batches_to_sign(0, 3, |_| false, 8), vec![1, 2, 3]);
		assert_eq!(batches_to_sign(1, 3, |b| b == 2, 8), vec![3]);
		assert_eq!(batches_to_sign(3, 3, |_| false, 8), Vec::<u64>::new());
		assert_eq!(batches_to_sign(0, 30, |_| false, 8).len(), 8);
	}

	#[test]
	fn execution_waits_for_a_quorum_and_takes_every_batch_up_to_it() {
		// Two signatures needed; batch 3 has them, batch 4 only one: execute 1..=3.
		let counts = |batch: u64| match batch {
			3 => 2,
			4 => 1,
			_ => 0,
		};
		assert_eq!(execute_range(totals(4, 0), 4, 2, 8, counts), Some(1..=3));
		// Nothing with a quorum: wait.
		assert_eq!(execute_range(totals(4, 0), 4, 3, 8, counts), None);
		// Not synced / not proven on this chain yet, or already executed: nothing.
		assert_eq!(execute_range(totals(2, 0), 4, 2, 8, counts), None);
		assert_eq!(execute_range(totals(4, 3), 2, 2, 8, counts), None);
	}

	#[test]
	fn one_transaction_executes_at_most_the_limit() {
		// A backlog of 30 signed batches: 8 per transaction, from the next unexecuted one.
		let every = |_: u64| 2;
		assert_eq!(execute_range(totals(30, 0), 30, 2, 8, every), Some(1..=8));
		assert_eq!(execute_range(totals(30, 8), 30, 2, 8, every), Some(9..=16));
		// Within the limit, the highest batch with a quorum ends the range.
		let sparse = |batch: u64| if batch == 5 || batch == 12 { 2 } else { 0 };
		assert_eq!(execute_range(totals(30, 0), 30, 2, 8, sparse), Some(1..=5));
	}
}
