//! A verifying key with a known trapdoor, under which anyone can make a proof of any public
//! input without a circuit. For the registry's weights and for tests of its bookkeeping only:
//! verifying such a proof costs exactly what verifying a real one costs (the same pairings),
//! and real proofs come from the circuits crate.

use alloc::vec::Vec;
use ark_serialize::CanonicalSerialize;
use codec::Encode;
use concord_primitives::{
	commitment::prover_input,
	groth16::{Proof, VerifyingKey},
	Fr,
};
use frame_support::{
	traits::{ConstU32, Get},
	BoundedVec,
};

use crate::{Config, Pallet, PROOF_BYTES};

type G1 = ark_bn254::G1Affine;
type G2 = ark_bn254::G2Affine;

fn g1() -> G1 {
	ark_ec::AffineRepr::generator()
}

fn g2() -> G2 {
	ark_ec::AffineRepr::generator()
}

/// Every point a generator, for the batch circuit's two inputs: the pairing equation becomes
/// `3 + commitment + prover = 1 + (1 + commitment + prover) + 1` in the exponent of
/// `e(g1, g2)`, satisfied by [`trapdoor_proof`].
pub fn trapdoor_key() -> VerifyingKey {
	VerifyingKey {
		alpha_g1: g1(),
		beta_g2: g2(),
		gamma_g2: g2(),
		delta_g2: g2(),
		gamma_abc_g1: alloc::vec![g1(), g1(), g1()],
	}
}

/// The key's compressed canonical bytes, as `set_key` takes them.
pub fn trapdoor_key_bytes() -> Vec<u8> {
	let mut bytes = Vec::new();
	trapdoor_key()
		.serialize_compressed(&mut bytes)
		.expect("writing to a Vec");
	bytes
}

/// A proof of `commitment` by `prover` under [`trapdoor_key`]:
/// `A = (3 + commitment + prover_input(prover))·g1`, `B = g2`, `C = g1`.
pub fn trapdoor_proof(commitment: Fr, prover: &impl Encode) -> Proof {
	use ark_ec::{AffineRepr, CurveGroup};
	use ark_ff::PrimeField;
	let inputs = commitment + prover_input(&prover.encode());
	Proof {
		a: g1()
			.mul_bigint((inputs + Fr::from(3u8)).into_bigint())
			.into_affine(),
		b: g2(),
		c: g1(),
	}
}

/// [`trapdoor_proof`] in compressed bytes, as `submit_proof` takes it.
pub fn trapdoor_proof_bytes(
	commitment: Fr,
	prover: &impl Encode,
) -> BoundedVec<u8, ConstU32<PROOF_BYTES>> {
	let mut bytes = Vec::new();
	trapdoor_proof(commitment, prover)
		.serialize_compressed(&mut bytes)
		.expect("writing to a Vec");
	bytes
		.try_into()
		.expect("a compressed proof is PROOF_BYTES long")
}

/// Registers the trapdoor key and seals batch 1 as a bare header with `pubdata_hash` (no ops):
/// the state a first proof is submitted in. Returns the new root (big-endian) and `prover`'s
/// proof of it.
pub fn first_batch_ready_to_prove<T: Config>(
	pubdata_hash: [u8; 32],
	prover: &T::AccountId,
) -> ([u8; 32], BoundedVec<u8, ConstU32<PROOF_BYTES>>) {
	use concord_primitives::{
		account::EMPTY_ACCOUNT_TREE_ROOT,
		commitment::{batch_commitment_of_hash, fr_to_be_bytes},
	};
	Pallet::<T>::do_set_key(&trapdoor_key_bytes()).expect("the trapdoor key is valid");
	pallet_concord_batches::Headers::<T>::insert(
		1,
		pallet_concord_batches::BatchHeader {
			fee_account: 0,
			op_count: 1,
			pubdata_hash,
			sealed_at: frame_system::Pallet::<T>::block_number(),
		},
	);
	pallet_concord_batches::LastSealed::<T>::put(1);
	let new_root = Fr::from(42u8);
	let commitment = batch_commitment_of_hash(
		1,
		T::Network::get(),
		EMPTY_ACCOUNT_TREE_ROOT,
		new_root,
		&pubdata_hash,
	);
	(
		fr_to_be_bytes(&new_root),
		trapdoor_proof_bytes(commitment, prover),
	)
}
