//! The watcher: follows each L1 `confirmations` blocks below its head and attests to the
//! oracle pallet what the member sees there: priority requests (deposits, full exits) in
//! priority-id order, and each batch's commit, proof and execution with the values the
//! contract stored. Reading at that depth is how reorgs shallower than it are ridden out: a
//! request or batch stage that a reorg removes was never buried deep enough to be attested.

use super::{send_once, StepErrors};
use crate::{
	l1::{StoredBatch, Totals, L1},
	Relayer, RelayerError,
};
use concord_primitives::ops::ChainId;
use concord_runtime::{AccountId, RuntimeCall};
use pallet_concord_batches::{ChainProgress, L1Stage};
use pallet_concord_oracle::{Attestation, Subject};
use sp_core::H256;
use std::ops::Range;

/// At most this many attestations of one kind per chain and step, to keep steps short.
pub const MAX_PER_STEP: u64 = 16;

/// The priority ids to attest: from the appchain's next unapplied id up to the last request
/// queued at the safe block, at most `limit`.
pub fn priority_ids(next_unapplied: u64, queued_at_safe: u64, limit: u64) -> Range<u64> {
	next_unapplied
		..queued_at_safe
			.min(next_unapplied.saturating_add(limit))
			.max(next_unapplied)
}

/// The (stage, batch) pairs the L1 reached at the safe block and the appchain has not
/// confirmed yet, in stage then batch order; never past the last sealed batch, and for
/// Proven / Executed never past the appchain's last proven batch (the oracle only compares
/// those with a proven record).
pub fn stages_to_attest(
	confirmed: ChainProgress,
	reached: Totals,
	last_sealed: u64,
	last_proven: u64,
	limit: u64,
) -> Vec<(L1Stage, u64)> {
	let mut pairs = Vec::new();
	for (stage, l1_total, cap) in [
		(L1Stage::Committed, reached.committed, last_sealed),
		(L1Stage::Proven, reached.proven, last_proven),
		(L1Stage::Executed, reached.executed, last_proven),
	] {
		let first = confirmed.last(stage) + 1;
		let last = l1_total.min(cap).min(first.saturating_add(limit) - 1);
		pairs.extend((first..=last).map(|batch| (stage, batch)));
	}
	pairs
}

pub async fn step(relayer: &Relayer) -> Result<(), StepErrors> {
	let member = relayer
		.appchain
		.account()
		.expect("the watcher has an appchain key");
	let at = relayer.appchain.finalized().await?.hash;
	let mut errors = StepErrors::default();
	for l1 in relayer.live_chains(at).await? {
		if let Err(error) = watch(relayer, l1, &member, at).await {
			errors.push(Some(l1.chain.0), error);
		}
	}
	errors.into_result()
}

async fn watch(
	relayer: &Relayer,
	l1: &L1,
	member: &AccountId,
	at: H256,
) -> Result<(), RelayerError> {
	let appchain = &relayer.appchain;
	let chain = l1.chain;
	let Some(safe) = l1.safe_block().await? else {
		return Ok(());
	};

	let next = appchain.next_priority_id(chain, at).await?;
	let queued = l1.total_priority_requests(safe).await?;
	for priority_id in priority_ids(next, queued, MAX_PER_STEP) {
		let subject = Subject::Priority { chain, priority_id };
		if appchain.attested(subject, member, at).await? {
			continue;
		}
		let op = l1.priority_op(priority_id, safe).await?;
		tracing::debug!(
			chain = chain.0,
			priority_id,
			?op,
			"priority request to attest"
		);
		attest(
			relayer,
			format!("attest priority {} {priority_id}", chain.0),
			Attestation::Priority(op),
		)
		.await?;
	}

	let confirmed = appchain.l1_progress(chain, at).await?;
	let reached = l1.totals(Some(safe)).await?;
	let last_sealed = appchain.last_sealed(at).await?;
	let last_proven = appchain.last_proven(at).await?;
	for (stage, batch) in
		stages_to_attest(confirmed, reached, last_sealed, last_proven, MAX_PER_STEP)
	{
		let subject = Subject::Batch {
			chain,
			batch,
			stage,
		};
		if appchain.attested(subject, member, at).await? {
			continue;
		}
		let stored = l1.stored_batch(batch, Some(safe)).await?;
		attest_stage(relayer, chain, batch, stage, &stored).await?;
	}
	Ok(())
}

/// The attestation that batch `batch` reached `stage` on `chain` with the values `stored`.
pub fn stage_attestation(
	chain: ChainId,
	batch: u64,
	stage: L1Stage,
	stored: &StoredBatch,
) -> Attestation {
	match stage {
		L1Stage::Committed => Attestation::Committed {
			chain,
			batch,
			pubdata_hash: stored.pubdata_hash,
		},
		L1Stage::Proven => Attestation::Proven {
			chain,
			batch,
			sync_hash: stored.sync_hash,
		},
		L1Stage::Executed => Attestation::Executed {
			chain,
			batch,
			new_root: stored.new_root,
		},
	}
}

/// Sends the member's attestation that `batch` reached `stage` on `chain` with `stored`.
pub async fn attest_stage(
	relayer: &Relayer,
	chain: ChainId,
	batch: u64,
	stage: L1Stage,
	stored: &StoredBatch,
) -> Result<bool, RelayerError> {
	let attestation = stage_attestation(chain, batch, stage, stored);
	attest(
		relayer,
		format!("attest {stage:?} {} {batch}", chain.0),
		attestation,
	)
	.await
}

/// Sends the member's attestation (once while it is in flight).
pub async fn attest(
	relayer: &Relayer,
	key: String,
	attestation: Attestation,
) -> Result<bool, RelayerError> {
	let call = RuntimeCall::Oracle(pallet_concord_oracle::Call::attest { attestation });
	send_once(relayer, key, call).await
}

#[cfg(test)]
mod tests {
	use super::*;

	fn progress(committed: u64, proven: u64, executed: u64) -> ChainProgress {
		ChainProgress {
			committed,
			proven,
			executed,
		}
	}

	fn totals(committed: u64, proven: u64, executed: u64) -> Totals {
		Totals {
			committed,
			proven,
			executed,
		}
	}

	#[test]
	fn priority_requests_are_attested_from_the_next_unapplied_one() {
		assert_eq!(priority_ids(0, 0, 16), 0..0);
		assert_eq!(priority_ids(2, 5, 16), 2..5);
		assert_eq!(priority_ids(2, 40, 16), 2..18);
		// A request not yet buried under the confirmations is not seen: the safe block's
		// queue is shorter than the appchain's count (e.g. after an L1 reorg): nothing.
		assert_eq!(priority_ids(5, 3, 16), 5..5);
	}

	#[test]
	fn batch_stages_are_attested_once_reached_and_not_yet_confirmed() {
		assert_eq!(
			stages_to_attest(progress(1, 0, 0), totals(3, 2, 1), 3, 2, 16),
			vec![
				(L1Stage::Committed, 2),
				(L1Stage::Committed, 3),
				(L1Stage::Proven, 1),
				(L1Stage::Proven, 2),
				(L1Stage::Executed, 1),
			]
		);
		// Everything confirmed: nothing to do.
		assert!(stages_to_attest(progress(3, 3, 3), totals(3, 3, 3), 3, 3, 16).is_empty());
	}

	#[test]
	fn nothing_past_what_the_appchain_can_compare_is_attested() {
		// The L1 claims batch 4 committed but the appchain sealed 3: only up to 3.
		assert_eq!(
			stages_to_attest(progress(2, 0, 0), totals(4, 0, 0), 3, 0, 16),
			vec![(L1Stage::Committed, 3)]
		);
		// Proven on the L1 but not yet on the appchain: wait for the appchain's proof.
		assert_eq!(
			stages_to_attest(progress(2, 0, 0), totals(2, 2, 0), 2, 0, 16),
			vec![]
		);
		// The per-step limit.
		assert_eq!(
			stages_to_attest(progress(0, 0, 0), totals(9, 0, 0), 9, 0, 2).len(),
			2
		);
	}
}
