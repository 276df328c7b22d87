//! The auditor (the design's internal control): independently of the prover, replays every
//! proven batch from the appchain's pubdata with the shared state transition function,
//! recomputes its new root, commitment and sync hash, and compares them with what the appchain
//! recorded and with what each L1 contract stored. A mismatch is logged as an error, counted
//! in `concord_relayer_audit_mismatches_total`, and — for an L1 — attested to the oracle with
//! the value the L1 holds, so that the oracle pallet raises its alarm.

use super::{batch_ops, sync_registry, watcher::attest_stage, StepErrors};
use crate::{l1::StoredBatch, Relayer, RelayerError};
use concord_primitives::{
	commitment::{batch_commitment, fr_to_be_bytes, sync_hash, GENESIS_SYNC_HASH},
	ops::ChainId,
	stf::{self, TreeState},
};
use sp_core::H256;
use std::collections::{BTreeMap, HashMap};

/// Batches replayed per step at most.
const AUDIT_PER_STEP: u64 = 32;

/// What a batch's records must hold, as the auditor recomputed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
	pub pubdata_hash: [u8; 32],
	pub new_root: [u8; 32],
	pub commitment: [u8; 32],
	pub sync_hash: [u8; 32],
}

/// The fields of an L1's stored batch that differ from the expected ones; the root and sync
/// hash only count once the L1 proved the batch.
pub fn l1_mismatches(
	expected: &Expected,
	stored: &StoredBatch,
	proven_there: bool,
) -> Vec<&'static str> {
	let mut fields = Vec::new();
	if stored.pubdata_hash != expected.pubdata_hash {
		fields.push("pubdata hash");
	}
	if proven_there && stored.new_root != expected.new_root {
		fields.push("new root");
	}
	if proven_there && stored.sync_hash != expected.sync_hash {
		fields.push("sync hash");
	}
	fields
}

/// How far the auditor has checked one L1.
#[derive(Clone, Copy, Debug, Default)]
struct ChainCursor {
	committed: u64,
	proven: u64,
}

pub struct Auditor {
	state: TreeState,
	/// The last batch replayed, and its expected records.
	done: u64,
	expected: BTreeMap<u64, Expected>,
	cursors: HashMap<ChainId, ChainCursor>,
}

impl Default for Auditor {
	fn default() -> Self {
		Auditor {
			state: TreeState::new(),
			done: 0,
			expected: BTreeMap::new(),
			cursors: HashMap::new(),
		}
	}
}

impl Auditor {
	pub async fn step(&mut self, relayer: &Relayer) -> Result<(), StepErrors> {
		let at = relayer.appchain.finalized().await?.hash;
		self.replay_proven(relayer, at).await?;
		let mut errors = StepErrors::default();
		for l1 in relayer.live_chains(at).await? {
			if let Err(error) = self.check_chain(relayer, l1, at).await {
				errors.push(Some(l1.chain.0), error);
			}
		}
		errors.into_result()
	}

	/// Replays the batches the appchain proved since the last step and checks its records.
	async fn replay_proven(&mut self, relayer: &Relayer, at: H256) -> Result<(), RelayerError> {
		let appchain = &relayer.appchain;
		let proven = appchain.last_proven(at).await?;
		let target = proven.min(self.done + AUDIT_PER_STEP);
		if self.done < target {
			sync_registry(relayer, &mut self.state, at).await?;
		}
		let network = appchain.network();
		while self.done < target {
			let batch = self.done + 1;
			let pubdata = appchain.sealed_pubdata(batch, at).await?;
			let (fee_account, ops) = batch_ops(batch, &pubdata)?;
			let old_root = self.state.tree().root();
			let mut state = self.state.clone();
			stf::replay(&mut state, fee_account, &ops).map_err(|error| RelayerError::Batch {
				batch,
				reason: format!("replay refused an op: {error}"),
			})?;
			let new_root = state.tree().root();
			let commitment = batch_commitment(batch, network, old_root, new_root, &pubdata);
			let previous_sync = self
				.expected
				.get(&(batch - 1))
				.map_or(GENESIS_SYNC_HASH, |e| e.sync_hash);
			let expected = Expected {
				pubdata_hash: sha256(&pubdata),
				new_root: fr_to_be_bytes(&new_root),
				commitment: fr_to_be_bytes(&commitment),
				sync_hash: sync_hash(previous_sync, batch, commitment),
			};
			let header = appchain.batch_header(batch, at).await?;
			let record = appchain.proven(batch, at).await?;
			let mut mismatches = Vec::new();
			if header.map(|h| h.pubdata_hash) != Some(expected.pubdata_hash) {
				mismatches.push("pubdata hash");
			}
			match record {
				None => mismatches.push("proven record (missing)"),
				Some(record) => {
					if record.new_root != expected.new_root {
						mismatches.push("new root");
					}
					if record.commitment != expected.commitment {
						mismatches.push("commitment");
					}
					if record.sync_hash != expected.sync_hash {
						mismatches.push("sync hash");
					}
				}
			}
			if !mismatches.is_empty() {
				alarm(relayer, "appchain", batch, &mismatches);
			}
			self.state = state;
			self.expected.insert(batch, expected);
			self.done = batch;
			relayer
				.metrics
				.audited
				.with_label_values(&["appchain"])
				.set(batch);
		}
		Ok(())
	}

	/// Compares the L1's stored batches, up to what was replayed, with the expected ones.
	async fn check_chain(
		&mut self,
		relayer: &Relayer,
		l1: &crate::l1::L1,
		at: H256,
	) -> Result<(), RelayerError> {
		let chain = l1.chain;
		let totals = l1.totals(None).await?;
		let mut cursor = self.cursors.get(&chain).copied().unwrap_or_default();
		// Commits are checked as they come (pubdata hash), proofs once made (root, sync hash).
		let checks = (cursor.committed + 1..=totals.committed.min(self.done))
			.map(|batch| (batch, false))
			.chain((cursor.proven + 1..=totals.proven.min(self.done)).map(|batch| (batch, true)))
			.collect::<Vec<_>>();
		for (batch, proven_there) in checks {
			let stored = l1.stored_batch(batch, None).await?;
			let mismatches = l1_mismatches(&self.expected[&batch], &stored, proven_there);
			if !mismatches.is_empty() {
				alarm(relayer, &chain.0.to_string(), batch, &mismatches);
				self.attest_observed(relayer, chain, batch, &stored, &mismatches, at)
					.await?;
			}
			if proven_there {
				cursor.proven = batch;
			} else {
				cursor.committed = batch;
			}
		}
		self.cursors.insert(chain, cursor);
		relayer
			.metrics
			.audited
			.with_label_values(&[&chain.0.to_string()])
			.set(cursor.proven);
		Ok(())
	}
}

impl Auditor {
	/// Attests what the L1 holds, unless this member already attested that subject: the
	/// oracle raises its alarm when it differs from the appchain's value.
	async fn attest_observed(
		&self,
		relayer: &Relayer,
		chain: ChainId,
		batch: u64,
		stored: &StoredBatch,
		mismatches: &[&str],
		at: H256,
	) -> Result<(), RelayerError> {
		use pallet_concord_batches::L1Stage;
		let member = relayer
			.appchain
			.account()
			.expect("the auditor has an appchain key");
		let stage = if mismatches.contains(&"pubdata hash") {
			L1Stage::Committed
		} else {
			L1Stage::Proven
		};
		let subject = pallet_concord_oracle::Subject::Batch {
			chain,
			batch,
			stage,
		};
		if !relayer.appchain.attested(subject, &member, at).await? {
			attest_stage(relayer, chain, batch, stage, stored).await?;
		}
		Ok(())
	}
}

fn alarm(relayer: &Relayer, source: &str, batch: u64, fields: &[&str]) {
	relayer
		.metrics
		.audit_mismatches
		.with_label_values(&[source])
		.inc();
	tracing::error!(
		source,
		batch,
		"AUDIT MISMATCH: {} differ from the values recomputed from the appchain's pubdata",
		fields.join(", ")
	);
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
	use sha2::{Digest, Sha256};
	Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
	use super::*;

	const EXPECTED: Expected = Expected {
		pubdata_hash: [1; 32],
		new_root: [2; 32],
		commitment: [3; 32],
		sync_hash: [4; 32],
	};

	#[test]
	fn a_faithful_l1_has_no_mismatch() {
		let stored = StoredBatch {
			pubdata_hash: [1; 32],
			new_root: [2; 32],
			sync_hash: [4; 32],
		};
		assert!(l1_mismatches(&EXPECTED, &stored, true).is_empty());
		let committed_only = StoredBatch {
			new_root: [0; 32],
			sync_hash: [0; 32],
			..stored
		};
		assert!(l1_mismatches(&EXPECTED, &committed_only, false).is_empty());
	}

	#[test]
	fn every_differing_field_is_named() {
		let stored = StoredBatch {
			pubdata_hash: [9; 32],
			new_root: [2; 32],
			sync_hash: [8; 32],
		};
		assert_eq!(
			l1_mismatches(&EXPECTED, &stored, true),
			vec!["pubdata hash", "sync hash"]
		);
		assert_eq!(
			l1_mismatches(&EXPECTED, &stored, false),
			vec!["pubdata hash"]
		);
	}
}
