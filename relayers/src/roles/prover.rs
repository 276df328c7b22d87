//! The prover: follows sealed batches on the finalized appchain, keeps the L2 Merkle state
//! natively (in the [`TreeStore`], so a restart resumes from the last finished batch), builds
//! each batch's witness with the shared state transition function and the users' L2
//! signatures (read from the blocks that carried the ops), proves it and submits the proof to
//! pallet-proofs.
//!
//! Provers can share the work: with `pool_size` p and `pool_index` i a prover proves the
//! batches `n` with `n mod p = i`, and replays the others (cheap: no proof) to keep its state.
//! Proofs are accepted in batch order, so a proof waits for its predecessor to be proven.

use super::{batch_ops, send_once, sync_registry, StepErrors};
use crate::{config::Config, store::TreeStore, Relayer, RelayerError};
use ark_serialize::CanonicalSerialize;
use codec::Encode;
use concord_circuits::{
	groth16::{self, BatchProvingKey},
	witness::BatchBuilder,
};
use concord_primitives::{
	account::AccountId,
	commitment::{fr_to_be_bytes, prover_input},
	ops::AppliedOp,
	stf::{self, TreeState},
};
use concord_runtime::RuntimeCall;
use std::{collections::HashMap, path::PathBuf, sync::Arc};

/// Batches replayed (not proved) per step at most, to keep steps short.
const REPLAY_PER_STEP: u64 = 32;

/// Whether batch `batch` is this prover's in a pool of `size` provers.
pub fn is_mine(batch: u64, size: u64, index: u64) -> bool {
	batch % size == index
}

/// The L2 signatures of the ops in `calls`, by the op's SCALE encoding: `Ledger::submit` and
/// `Ledger::change_pubkey` carry them.
pub fn signatures_in(calls: &[RuntimeCall]) -> HashMap<Vec<u8>, [u8; 64]> {
	calls
		.iter()
		.filter_map(|call| match call {
			RuntimeCall::Ledger(pallet_concord_ledger::Call::submit { op })
			| RuntimeCall::Ledger(pallet_concord_ledger::Call::change_pubkey { op, .. }) => {
				Some((op.op.encode(), op.signature))
			}
			_ => None,
		})
		.collect()
}

/// A proof computed and not yet accepted by the appchain.
struct PendingProof {
	batch: u64,
	new_root: [u8; 32],
	proof: Vec<u8>,
	state: TreeState,
}

pub struct Prover {
	store: TreeStore,
	keys_dir: PathBuf,
	key: Option<Arc<BatchProvingKey>>,
	pool_size: u64,
	pool_index: u64,
	/// The state after batch `done`.
	done: u64,
	state: TreeState,
	pending: Option<PendingProof>,
}

impl Prover {
	/// Opens the tree store (a new one starts from the empty state before batch 1).
	pub fn open(config: &Config) -> Result<Prover, RelayerError> {
		let settings = config
			.prover
			.as_ref()
			.expect("validated: the prover role has [prover]");
		let store = TreeStore::open(&settings.store_dir)?;
		let (done, state) = store.load()?.unwrap_or_else(|| (0, TreeState::new()));
		tracing::info!(after_batch = done, store = %settings.store_dir.display(), "prover state loaded");
		Ok(Prover {
			store,
			keys_dir: settings.keys_dir.clone(),
			key: None,
			pool_size: settings.pool_size,
			pool_index: settings.pool_index,
			done,
			state,
			pending: None,
		})
	}

	pub async fn step(&mut self, relayer: &Relayer) -> Result<(), StepErrors> {
		let appchain = &relayer.appchain;
		let at = appchain.finalized().await?.hash;
		let sealed = appchain.last_sealed(at).await?;
		let proven = appchain.last_proven(at).await?;

		if let Some(pending) = &self.pending {
			if proven >= pending.batch {
				self.check_root(relayer, pending.batch, pending.new_root, at)
					.await?;
				let pending = self.pending.take().expect("checked above");
				self.finish(pending.batch, pending.state)?;
			} else {
				if proven + 1 == pending.batch {
					let call = RuntimeCall::Proofs(pallet_concord_proofs::Call::submit_proof {
						batch: pending.batch,
						new_root: pending.new_root,
						proof: pending
							.proof
							.clone()
							.try_into()
							.expect("a compressed proof is 128 bytes"),
					});
					send_once(relayer, format!("proof {}", pending.batch), call).await?;
				}
				return Ok(());
			}
		}

		// Registrations only ever grow: bringing the state's registry up to date once per step
		// serves every batch the step replays or proves.
		if self.done < sealed {
			sync_registry(relayer, &mut self.state, at).await?;
		}
		let mut replayed = 0;
		while self.done < sealed && replayed < REPLAY_PER_STEP {
			let batch = self.done + 1;
			let pubdata = appchain.sealed_pubdata(batch, at).await?;
			let (fee_account, ops) = batch_ops(batch, &pubdata)?;
			let mut state = self.state.clone();
			let mine = is_mine(batch, self.pool_size, self.pool_index);
			if batch <= proven || !mine {
				stf::replay(&mut state, fee_account, &ops).map_err(|error| {
					RelayerError::Batch {
						batch,
						reason: format!("replay refused an op: {error}"),
					}
				})?;
				if batch <= proven {
					let root = fr_to_be_bytes(&state.tree().root());
					self.check_root(relayer, batch, root, at).await?;
				}
				self.finish(batch, state)?;
				replayed += 1;
				continue;
			}
			self.pending = Some(
				self.prove(relayer, batch, fee_account, &ops, state, at)
					.await?,
			);
			break;
		}
		Ok(())
	}

	/// Records that the state after `batch` is final for this prover.
	fn finish(&mut self, batch: u64, state: TreeState) -> Result<(), RelayerError> {
		self.store.save(batch, &state)?;
		self.state = state;
		self.done = batch;
		tracing::debug!(batch, "prover state saved");
		Ok(())
	}

	/// The appchain's proven root of `batch` must be the one this prover computed.
	async fn check_root(
		&self,
		relayer: &Relayer,
		batch: u64,
		root: [u8; 32],
		at: sp_core::H256,
	) -> Result<(), RelayerError> {
		let proven = relayer.appchain.proven_record(batch, at).await?;
		if proven.new_root != root {
			return Err(RelayerError::Batch {
				batch,
				reason: format!(
					"the appchain's proven root 0x{} differs from the replayed root 0x{}",
					hex::encode(proven.new_root),
					hex::encode(root)
				),
			});
		}
		Ok(())
	}

	async fn prove(
		&mut self,
		relayer: &Relayer,
		batch: u64,
		fee_account: AccountId,
		ops: &[AppliedOp],
		state: TreeState,
		at: sp_core::H256,
	) -> Result<PendingProof, RelayerError> {
		let appchain = &relayer.appchain;
		let header =
			appchain
				.batch_header(batch, at)
				.await?
				.ok_or_else(|| RelayerError::Batch {
					batch,
					reason: "sealed but has no header".into(),
				})?;
		let opened_after = match batch {
			1 => 0,
			_ => appchain
				.batch_header(batch - 1, at)
				.await?
				.map(|previous| previous.sealed_at)
				.unwrap_or(0),
		};
		// The batch's L2-signed ops were included between the previous batch's sealing block
		// and this one's (both included: sealing happens as a block starts).
		let calls = appchain
			.calls_in_blocks(opened_after.max(1), header.sealed_at)
			.await?;
		let signatures = signatures_in(&calls);
		let key = self.key().await?;
		let network = appchain.network();
		let mut builder = BatchBuilder::new(state, batch, network, fee_account, key.slots);
		for published in ops {
			// An L2 signature is over the op at its signer's nonce, which the pubdata omits.
			let op = &stf::at_signer_nonce(builder.state(), published.op());
			let signature = op
				.signer()
				.and_then(|_| signatures.get(&op.encode()).copied());
			builder
				.push_published(published, signature)
				.map_err(|error| RelayerError::Batch {
					batch,
					reason: format!("witness of {op:?}: {error:?}"),
				})?;
		}
		let (state, witness) = builder.finish().map_err(|error| RelayerError::Batch {
			batch,
			reason: format!("fee settlement: {error}"),
		})?;
		let new_root = fr_to_be_bytes(&witness.new_root);
		// The proof is bound to the account that submits it: nobody can take it from the pool.
		let account = appchain
			.account()
			.ok_or_else(|| RelayerError::Prover("the prover role needs an appchain key".into()))?;
		let prover = prover_input(&account.encode());
		tracing::info!(batch, ops = ops.len(), "proving");
		let started = std::time::Instant::now();
		// No tracing subscriber while proving: arkworks records the current span with every
		// constraint, and a million live spans cost minutes and gigabytes.
		let proof = tokio::task::spawn_blocking(move || {
			tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
				groth16::prove(&key, witness, prover)
			})
		})
		.await
		.map_err(|error| RelayerError::Prover(error.to_string()))?
		.map_err(|error| RelayerError::Prover(error.to_string()))?;
		let mut bytes = Vec::new();
		proof
			.serialize_compressed(&mut bytes)
			.expect("serializing into a Vec does not fail");
		tracing::info!(batch, seconds = started.elapsed().as_secs_f32(), "proved");
		Ok(PendingProof {
			batch,
			new_root,
			proof: bytes,
			state,
		})
	}

	/// The proving key, read on first use.
	async fn key(&mut self) -> Result<Arc<BatchProvingKey>, RelayerError> {
		if let Some(key) = &self.key {
			return Ok(key.clone());
		}
		let dir = self.keys_dir.clone();
		tracing::info!(dir = %dir.display(), "reading the proving key");
		let key = tokio::task::spawn_blocking(move || groth16::read_proving_key(&dir))
			.await
			.map_err(|error| RelayerError::Prover(error.to_string()))?
			.map_err(|error| RelayerError::Prover(error.to_string()))?;
		let key = Arc::new(key);
		self.key = Some(key.clone());
		Ok(key)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use concord_primitives::ops::{Op, SignedOp, Transfer};

	#[test]
	fn a_pool_splits_batches_by_number() {
		assert!(is_mine(5, 1, 0));
		let owners: Vec<u64> = (1..=6)
			.map(|batch| (0..3).find(|&index| is_mine(batch, 3, index)).unwrap())
			.collect();
		assert_eq!(owners, vec![1, 2, 0, 1, 2, 0]);
	}

	#[test]
	fn signatures_come_from_ledger_calls_only() {
		let transfer = Op::Transfer(Transfer {
			from: 1,
			to: 2,
			token: 0,
			amount: 5,
			fee: 0,
			nonce: 3,
		});
		let calls = vec![
			RuntimeCall::Ledger(pallet_concord_ledger::Call::submit {
				op: SignedOp {
					op: transfer,
					signature: [9; 64],
				},
			}),
			RuntimeCall::Oracle(pallet_concord_oracle::Call::attest {
				attestation: pallet_concord_oracle::Attestation::Priority(Op::Noop),
			}),
		];
		let signatures = signatures_in(&calls);
		assert_eq!(signatures.len(), 1);
		assert_eq!(signatures.get(&transfer.encode()), Some(&[9; 64]));
	}
}
