//! The executor: once the oracle synced a batch (every L1 proved it with the sync hash the
//! appchain expects), signs the execute message of each registered L1 with the member's
//! Ethereum key and stores the signatures on the appchain (`sign_execute`); once a quorum of
//! members signed, it calls `executeBatches` on each L1 that has not executed the batch.

use super::{send_once, StepErrors};
use crate::{
	l1::{Totals, L1},
	Relayer, RelayerError,
};
use alloy::primitives::Bytes;
use concord_contracts::bindings::ConcordRollup::ExecuteBatchInfo;
use concord_primitives::{
	commitment::execute_digest,
	ops::{eth_sign, ChainId},
};
use concord_runtime::{AccountId, RuntimeCall};
use sp_core::H256;
use std::ops::RangeInclusive;

/// Synced batches signed per step at most.
pub const MAX_SIGN_PER_STEP: u64 = 8;

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
/// batch to `last`, the highest synced batch it proved that has `threshold` signatures for this
/// chain (`signatures_of(batch)` counts them).
pub fn execute_range(
	totals: Totals,
	last_synced: u64,
	threshold: usize,
	signatures_of: impl Fn(u64) -> usize,
) -> Option<RangeInclusive<u64>> {
	let first = totals.executed + 1;
	let top = last_synced.min(totals.proven);
	(first..=top)
		.rev()
		.find(|batch| signatures_of(*batch) >= threshold)
		.map(|last| first..=last)
}

/// This chain's signatures among the members' `(chain, signature)` lists.
pub fn chain_signatures(
	members: &[(AccountId, Vec<(ChainId, [u8; 65])>)],
	chain: ChainId,
) -> Vec<[u8; 65]> {
	members
		.iter()
		.filter_map(|(_, list)| {
			list.iter()
				.find(|(c, _)| *c == chain)
				.map(|(_, signature)| *signature)
		})
		.collect()
}

pub async fn step(relayer: &Relayer) -> Result<(), StepErrors> {
	let appchain = &relayer.appchain;
	let at = appchain.finalized().await?.hash;
	let synced = appchain.last_synced(at).await?;
	relayer
		.metrics
		.appchain
		.with_label_values(&["last_synced"])
		.set(synced);
	if synced == 0 {
		return Ok(());
	}
	let mut errors = StepErrors::default();
	let mut totals = Vec::new();
	for l1 in &relayer.chains {
		match l1.totals(None).await {
			Ok(chain_totals) => totals.push((l1, chain_totals)),
			Err(error) => errors.push(Some(l1.chain.0), error),
		}
	}
	if let Some(lowest) = totals.iter().map(|(_, t)| t.executed).min() {
		if let Err(error) = sign(relayer, lowest, synced, at).await {
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

async fn sign(relayer: &Relayer, lowest: u64, synced: u64, at: H256) -> Result<(), RelayerError> {
	let appchain = &relayer.appchain;
	let member = appchain
		.account()
		.expect("the executor has an appchain key");
	let key = relayer
		.eth_key
		.as_ref()
		.expect("the executor has an Ethereum key");
	let mut signed = std::collections::BTreeSet::new();
	for batch in lowest + 1..=synced {
		if appchain
			.execute_signatures(batch, at)
			.await?
			.iter()
			.any(|(account, _)| *account == member)
		{
			signed.insert(batch);
		}
	}
	let chains = appchain.chains(at).await?;
	for batch in batches_to_sign(lowest, synced, |b| signed.contains(&b), MAX_SIGN_PER_STEP) {
		let record = appchain.proven_record(batch, at).await?;
		let signatures: Vec<(ChainId, [u8; 65])> = chains
			.iter()
			.map(|(chain, info)| {
				let digest =
					execute_digest(info.evm_chain_id, &info.contract, batch, record.sync_hash);
				(*chain, eth_sign(key, &digest))
			})
			.collect();
		let call = RuntimeCall::Oracle(pallet_concord_oracle::Call::sign_execute {
			batch,
			signatures: signatures.try_into().map_err(|_| RelayerError::Batch {
				batch,
				reason: "more registered chains than the oracle takes signatures for".into(),
			})?,
		});
		send_once(relayer, format!("sign_execute {batch}"), call).await?;
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
	let mut signatures = std::collections::BTreeMap::new();
	for batch in totals.executed + 1..=synced.min(totals.proven) {
		let members = appchain.execute_signatures(batch, at).await?;
		signatures.insert(batch, chain_signatures(&members, l1.chain));
	}
	let count = |batch: u64| signatures.get(&batch).map_or(0, Vec::len);
	let Some(batches) = execute_range(totals, synced, threshold, count) else {
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
		assert_eq!(execute_range(totals(4, 0), 4, 2, counts), Some(1..=3));
		// Nothing with a quorum: wait.
		assert_eq!(execute_range(totals(4, 0), 4, 3, counts), None);
		// Not synced / not proven on this chain yet, or already executed: nothing.
		assert_eq!(execute_range(totals(2, 0), 4, 2, counts), None);
		assert_eq!(execute_range(totals(4, 3), 2, 2, counts), None);
	}

	#[test]
	fn only_the_chains_own_signatures_count() {
		let member = |seed: u8| AccountId::from([seed; 32]);
		let members = vec![
			(
				member(1),
				vec![(ChainId(1), [1; 65]), (ChainId(2), [2; 65])],
			),
			(member(2), vec![(ChainId(2), [3; 65])]),
		];
		assert_eq!(chain_signatures(&members, ChainId(1)), vec![[1; 65]]);
		assert_eq!(
			chain_signatures(&members, ChainId(2)),
			vec![[2; 65], [3; 65]]
		);
		assert!(chain_signatures(&members, ChainId(3)).is_empty());
	}
}
