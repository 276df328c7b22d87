//! The submitter: commits every sealed batch once a quorum of oracle members signed its commit
//! on the appchain, and proves every batch the appchain proved, on every L1, in order. It reads
//! the contract's counters first and sends only what is missing, so it is idempotent across
//! restarts and alongside other submitters; a transaction that reverts (another submitter was
//! faster, say) is reported and the next step starts again from the contract's counters. Anyone
//! may submit: the contract checks the quorum's signatures and the proofs.

use super::{chain_signatures, StepErrors};
use crate::{l1::L1, Relayer, RelayerError};
use alloy::primitives::{Bytes, B256, U256};
use ark_serialize::CanonicalDeserialize;
use codec::Encode;
use concord_circuits::evm::EvmProof;
use concord_contracts::bindings::ConcordRollup::{CommitBatchInfo, ProveBatchInfo};
use concord_primitives::{
	commitment::{commit_digest, fr_from_be_bytes, fr_to_be_bytes, prover_input},
	groth16, Fr,
};
use concord_runtime::{AccountId, BlockNumber, RuntimeCall};
use pallet_concord_proofs::ProvenBatch;
use sp_core::H256;
use std::ops::RangeInclusive;

/// Batches per `commitBatches` / `proveBatches` transaction at most.
pub const MAX_PER_TX: u64 = 4;

/// The batches to commit next: those sealed on the appchain after the contract's last
/// committed one, at most `limit`.
pub fn commit_range(
	l1_committed: u64,
	last_sealed: u64,
	limit: u64,
) -> Option<RangeInclusive<u64>> {
	let first = l1_committed + 1;
	let last = last_sealed.min(l1_committed + limit);
	(first <= last).then_some(first..=last)
}

/// The batches to prove next: committed on the contract, proven on the appchain, not yet
/// proven on the contract, at most `limit`.
pub fn prove_range(
	l1_committed: u64,
	l1_proven: u64,
	appchain_proven: u64,
	limit: u64,
) -> Option<RangeInclusive<u64>> {
	let first = l1_proven + 1;
	let last = l1_committed.min(appchain_proven).min(l1_proven + limit);
	(first <= last).then_some(first..=last)
}

pub async fn step(relayer: &Relayer) -> Result<(), StepErrors> {
	let appchain = &relayer.appchain;
	let at = appchain.finalized().await?.hash;
	let sealed = appchain.last_sealed(at).await?;
	let proven = appchain.last_proven(at).await?;
	let metrics = &relayer.metrics;
	for (figure, value) in [("last_sealed", sealed), ("last_proven", proven)] {
		metrics.appchain.with_label_values(&[figure]).set(value);
	}
	let mut errors = StepErrors::default();
	for l1 in relayer.live_chains(at).await? {
		if let Err(error) = submit(relayer, l1, at, sealed, proven).await {
			errors.push(Some(l1.chain.0), error);
		}
	}
	errors.into_result()
}

async fn submit(
	relayer: &Relayer,
	l1: &L1,
	at: H256,
	sealed: u64,
	proven: u64,
) -> Result<(), RelayerError> {
	let chain = l1.chain;
	let totals = l1.totals(None).await?;
	let label = chain.0.to_string();
	for (stage, value) in [
		("committed", totals.committed),
		("proven", totals.proven),
		("executed", totals.executed),
	] {
		relayer
			.metrics
			.l1_batch
			.with_label_values(&[&label, stage])
			.set(value);
	}
	relayer
		.metrics
		.l1_lag
		.with_label_values(&[&label])
		.set(sealed.saturating_sub(totals.executed));

	let mut committed = totals.committed;
	if let Some(range) = commit_range(totals.committed, sealed, MAX_PER_TX) {
		// Only the batches a quorum signed, in order: a batch without waits for the members.
		let threshold = l1.threshold().await?;
		let oracles = l1.oracles().await?;
		let mut infos = Vec::new();
		for batch in range {
			match commit_info(relayer, l1, batch, threshold, &oracles, at).await? {
				Some(info) => infos.push(info),
				None => break,
			}
		}
		if infos.is_empty() {
			tracing::debug!(
				chain = chain.0,
				batch = totals.committed + 1,
				"waiting for a quorum of commit signatures"
			);
			return prove(relayer, l1, at, committed, totals.proven, proven).await;
		}
		let batches = totals.committed + 1..=totals.committed + infos.len() as u64;
		let tx = l1
			.send("commitBatches", l1.rollup().commitBatches(infos))
			.await?;
		relayer
			.metrics
			.sent
			.with_label_values(&["commitBatches"])
			.inc();
		tracing::info!(chain = chain.0, ?batches, %tx, "committed");
		committed = *batches.end();
	}
	prove(relayer, l1, at, committed, totals.proven, proven).await
}

/// Proves on `l1` the batches it committed (up to `committed`) and the appchain proved.
async fn prove(
	relayer: &Relayer,
	l1: &L1,
	at: H256,
	committed: u64,
	l1_proven: u64,
	proven: u64,
) -> Result<(), RelayerError> {
	let chain = l1.chain;
	if let Some(batches) = prove_range(committed, l1_proven, proven, MAX_PER_TX) {
		let mut infos = Vec::new();
		for batch in batches.clone() {
			let record = relayer.appchain.proven_record(batch, at).await?;
			let prover = prover_input(&record.prover.encode());
			let proof = appchain_proof(relayer, batch, &record, prover, at).await?;
			infos.push(ProveBatchInfo {
				batchNumber: batch,
				newRoot: B256::from(record.new_root),
				proof: EvmProof::from(&proof)
					.words
					.map(|word| U256::from_be_bytes(word)),
				prover: U256::from_be_bytes(fr_to_be_bytes(&prover)),
			});
		}
		let tx = l1
			.send("proveBatches", l1.rollup().proveBatches(infos))
			.await?;
		relayer
			.metrics
			.sent
			.with_label_values(&["proveBatches"])
			.inc();
		tracing::info!(chain = chain.0, ?batches, %tx, "proved");
	}
	Ok(())
}

/// Batch `batch` as `commitBatches` takes it for `l1`: its pubdata, the owners' Ethereum
/// signatures of its ChangePubKeys, which the appchain kept, and `threshold` of the members'
/// commit signatures that `l1`'s oracle set accepts; `None` while fewer have signed.
async fn commit_info(
	relayer: &Relayer,
	l1: &L1,
	batch: u64,
	threshold: usize,
	oracles: &[[u8; 20]],
	at: H256,
) -> Result<Option<CommitBatchInfo>, RelayerError> {
	let appchain = &relayer.appchain;
	let info = appchain.chain_info(l1.chain, at).await?;
	let pubdata_hash = appchain.sealed_pubdata_hash(batch, at).await?;
	let digest = commit_digest(info.evm_chain_id, &info.contract, batch, pubdata_hash);
	let quorum = chain_signatures(
		&appchain.commit_signatures(batch, at).await?,
		l1.chain,
		&digest,
		oracles,
	);
	if quorum.len() < threshold {
		return Ok(None);
	}
	let pubdata = appchain.sealed_pubdata(batch, at).await?;
	let changes =
		concord_contracts::change_pubkeys(&pubdata).map_err(RelayerError::undecodable(batch))?;
	let mut signatures = Vec::new();
	for (change, _owner) in changes {
		let signature = relayer
			.appchain
			.pubkey_authorization(change.account, change.nonce, at)
			.await?
			.ok_or_else(|| RelayerError::Batch {
				batch,
				reason: format!(
					"no Ethereum authorization of account {}'s key change at nonce {}",
					change.account, change.nonce
				),
			})?;
		signatures.push(Bytes::from(signature.to_vec()));
	}
	Ok(Some(CommitBatchInfo {
		batchNumber: batch,
		pubdata: Bytes::from(pubdata),
		changePubKeySignatures: signatures,
		signatures: quorum
			.iter()
			.take(threshold)
			.map(|signature| Bytes::from(signature.to_vec()))
			.collect(),
	}))
}

/// The proof the appchain accepted for `batch`: among the `submit_proof` calls of the block
/// that proved it, the one that verifies against the recorded commitment and the recorded
/// prover's input `prover`.
async fn appchain_proof(
	relayer: &Relayer,
	batch: u64,
	record: &ProvenBatch<AccountId, BlockNumber>,
	prover: Fr,
	at: H256,
) -> Result<ark_groth16::Proof<ark_bn254::Bn254>, RelayerError> {
	let appchain = &relayer.appchain;
	let missing = |reason: &str| RelayerError::Batch {
		batch,
		reason: reason.to_owned(),
	};
	let key_bytes = appchain
		.verifying_key(at)
		.await?
		.ok_or_else(|| missing("no verifying key on the appchain"))?;
	let key = groth16::VerifyingKey::deserialize_uncompressed_unchecked(&key_bytes[..])
		.map_err(|_| missing("the appchain's verifying key does not decode"))?;
	let commitment = fr_from_be_bytes(&record.commitment)
		.ok_or_else(|| missing("commitment not in the field"))?;
	let block = appchain.block_hash(record.proven_at).await?;
	for extrinsic in appchain.extrinsics(block).await? {
		let RuntimeCall::Proofs(pallet_concord_proofs::Call::submit_proof {
			batch: b,
			new_root,
			proof,
		}) = extrinsic.function
		else {
			continue;
		};
		if b != batch || new_root != record.new_root {
			continue;
		}
		let Ok(candidate) = groth16::Proof::deserialize_compressed(&proof[..]) else {
			continue;
		};
		if groth16::verify(&key, &[commitment, prover], &candidate).is_ok() {
			return Ok(ark_groth16::Proof {
				a: candidate.a,
				b: candidate.b,
				c: candidate.c,
			});
		}
	}
	Err(missing(&format!(
		"no valid submit_proof call in block {} that proved it",
		record.proven_at
	)))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn commits_follow_the_contract_and_the_sealed_batches() {
		assert_eq!(commit_range(0, 0, 4), None);
		assert_eq!(commit_range(0, 3, 4), Some(1..=3));
		assert_eq!(commit_range(2, 9, 4), Some(3..=6));
		// Already committed (by this or another member): nothing to send.
		assert_eq!(commit_range(5, 5, 4), None);
		assert_eq!(commit_range(6, 5, 4), None);
	}

	#[test]
	fn proofs_need_a_commit_on_the_contract_and_a_proof_on_the_appchain() {
		assert_eq!(prove_range(3, 0, 2, 4), Some(1..=2));
		assert_eq!(prove_range(1, 0, 3, 4), Some(1..=1));
		assert_eq!(prove_range(3, 3, 5, 4), None);
		assert_eq!(prove_range(9, 1, 9, 4), Some(2..=5));
		assert_eq!(prove_range(0, 0, 3, 4), None);
	}
}
