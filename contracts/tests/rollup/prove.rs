use crate::common::*;
use alloy::primitives::{B256, U256};
use concord_contracts::ConcordRollup::{self, ConcordRollupErrors as E};

/// BN254's scalar field modulus.
const R: U256 = alloy::primitives::uint!(
	0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001_U256
);

fn invalid_proof(batch_number: u64) -> E {
	E::InvalidProof(ConcordRollup::InvalidProof {
		batchNumber: batch_number,
	})
}

/// Proofs are checked against the commitment the contract recomputes from what was
/// committed: a tampered proof, another new root (so another public input) or a proof of
/// other pubdata are all rejected.
#[tokio::test(flavor = "current_thread")]
async fn prove_rejects_tampered_proofs_and_inputs() {
	let scenario = scenario();
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	chain.request_all().await;
	let proof = scenario.prove_info(0);

	assert_eq!(
		revert_of(rollup.proveBatches(vec![proof.clone()])).await,
		E::BatchNotCommitted(ConcordRollup::BatchNotCommitted { batchNumber: 1 })
	);
	chain
		.commit(&[&scenario.batches[0], &scenario.batches[1]])
		.await;
	assert_eq!(
		revert_of(rollup.proveBatches(vec![])).await,
		E::NoBatches(ConcordRollup::NoBatches {})
	);
	assert_eq!(
		revert_of(rollup.proveBatches(vec![scenario.prove_info(1)])).await,
		E::UnexpectedBatchNumber(ConcordRollup::UnexpectedBatchNumber {
			expected: 1,
			given: 2
		})
	);

	// The proof's C replaced by A: valid points, failing pairing.
	let mut swapped = proof.clone();
	swapped.proof[6] = proof.proof[0];
	swapped.proof[7] = proof.proof[1];
	// C.y flipped: off the curve.
	let mut off_curve = proof.clone();
	off_curve.proof[7] ^= U256::from(1);
	// Another new root than the batch's: another public input.
	let mut other_root = proof.clone();
	other_root.newRoot = B256::from(U256::from_be_bytes(proof.newRoot.0) ^ U256::from(1));
	// Batch 2's proof offered for batch 1.
	let mut other_proof = proof.clone();
	other_proof.proof = scenario.proofs[1];
	// The proof bound to another prover than the one it was made for, or to none in the field.
	let mut other_prover = proof.clone();
	other_prover.prover ^= U256::from(1);
	let mut huge_prover = proof.clone();
	huge_prover.prover = R;
	for tampered in [
		swapped,
		off_curve,
		other_root,
		other_proof,
		other_prover,
		huge_prover,
	] {
		assert_eq!(
			revert_of(rollup.proveBatches(vec![tampered])).await,
			invalid_proof(1)
		);
	}
	let mut huge_root = proof.clone();
	huge_root.newRoot = B256::from(R);
	assert_eq!(
		revert_of(rollup.proveBatches(vec![huge_root])).await,
		E::RootNotInField(ConcordRollup::RootNotInField {
			root: B256::from(R)
		})
	);
	// A batch's proof is valid only after the batches before it: 2 cannot go first, and a
	// failing batch in a list reverts the whole call.
	assert_eq!(
		revert_of(rollup.proveBatches(vec![proof.clone(), {
			let mut bad = scenario.prove_info(1);
			bad.proof[0] ^= U256::from(1);
			bad
		}]))
		.await,
		invalid_proof(2)
	);
	assert_eq!(rollup.totalProven().call().await.unwrap(), 0);
	send(rollup.proveBatches(vec![proof, scenario.prove_info(1)])).await;
	assert_eq!(rollup.totalProven().call().await.unwrap(), 2);
	let stored = rollup.storedBatch(2).call().await.unwrap();
	assert_eq!(stored.newRoot, scenario.batches[1].new_root());
	assert_eq!(stored.syncHash, scenario.sync_hash(1));
}

/// The same pubdata committed (by a quorum) with another fee account in its header: the
/// commitment changes, so the batch's real proof no longer verifies.
#[tokio::test(flavor = "current_thread")]
async fn a_proof_of_other_pubdata_is_rejected() {
	let scenario = scenario();
	let chain = Chain::start().await;
	chain.request_batch1().await;
	let mut pubdata = scenario.batches[0].pubdata.clone();
	pubdata[3] ^= 1;
	let info = chain.signed(ConcordRollup::CommitBatchInfo {
		pubdata: pubdata.into(),
		..chain.commit_info(&scenario.batches[0])
	});
	send(chain.rollup.commitBatches(vec![info])).await;
	assert_eq!(
		revert_of(chain.rollup.proveBatches(vec![scenario.prove_info(0)])).await,
		invalid_proof(1)
	);
}
