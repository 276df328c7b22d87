//! Concord's host functions: the two checks that dominate the runtime's cost, run natively by
//! the node instead of interpreted in wasm.
//!
//! - [`verify_groth16`]: a batch proof against the registered verifying key
//!   (`Proofs::submit_proof`).
//! - [`verify_eddsa_poseidon`]: an L2 signature (`Ledger::submit`, `Ledger::change_pubkey`,
//!   and the pool's validation of both).
//!
//! Both run `concord_primitives`' own code, so the runtime and every off-chain component apply
//! one implementation of each rule; the runtime only marshals bytes across. Every
//! `concord-node` registers [`HostFunctions`] in its executor: a node binary without them cannot
//! instantiate a runtime that imports them, so they ship with the node before any runtime
//! upgrade that uses them (`docs/operations.md`).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use concord_primitives::{eddsa::PublicKey, ops::SignedPreimage, Fr};
use sp_runtime_interface::{
	pass_by::{PassFatPointerAndRead, PassPointerAndRead},
	runtime_interface,
};

/// What [`verify_groth16`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofCheck {
	/// The proof is valid for the input under the key.
	Valid,
	/// The proof bytes are not a compressed proof with points on the curves and in the
	/// subgroups.
	MalformedProof,
	/// A well-formed proof that does not verify (or a key for another number of inputs).
	Rejected,
	/// The key bytes are not an uncompressed verifying key.
	MalformedKey,
}

impl ProofCheck {
	const fn code(self) -> u32 {
		match self {
			ProofCheck::Valid => 0,
			ProofCheck::MalformedProof => 1,
			ProofCheck::Rejected => 2,
			ProofCheck::MalformedKey => 3,
		}
	}

	/// The check a code stands for; an unknown code (a host that does not match this crate)
	/// is a rejection, never an acceptance.
	fn from_code(code: u32) -> ProofCheck {
		[
			ProofCheck::Valid,
			ProofCheck::MalformedProof,
			ProofCheck::MalformedKey,
		]
		.into_iter()
		.find(|check| check.code() == code)
		.unwrap_or(ProofCheck::Rejected)
	}
}

/// Checks the compressed Groth16 `proof` of the public `inputs` under the verifying key `key`
/// (arkworks' uncompressed encoding, as `Proofs::Key` stores it), natively.
pub fn verify_groth16(key: &[u8], proof: &[u8], inputs: &[Fr]) -> ProofCheck {
	let words: Vec<u8> = inputs
		.iter()
		.flat_map(concord_primitives::commitment::fr_to_be_bytes)
		.collect();
	ProofCheck::from_code(concord_crypto::groth16_verify(key, proof, &words))
}

/// Whether the packed `signature` is `key`'s EdDSA-Poseidon signature of the message hashed
/// from `preimage`, natively (the hash too: Poseidon in wasm cost more than the rest of an L2
/// op); answers as `concord_primitives::ops::SignedOp::check_signature`.
pub fn verify_eddsa_poseidon(
	key: &PublicKey,
	preimage: &SignedPreimage,
	signature: &[u8; 64],
) -> bool {
	concord_crypto::eddsa_poseidon_verify(
		&key.to_coordinate_bytes(),
		&preimage_words(preimage),
		signature,
	)
}

/// `preimage` as the host function takes it: each element's 32 bytes, big-endian.
fn preimage_words(preimage: &SignedPreimage) -> [u8; 128] {
	let mut words = [0u8; 128];
	for (word, element) in words.as_chunks_mut::<32>().0.iter_mut().zip(preimage) {
		*word = concord_primitives::commitment::fr_to_be_bytes(element);
	}
	words
}

/// The host functions a node registers: `(sp_io::SubstrateHostFunctions, HostFunctions)`.
#[cfg(not(substrate_runtime))]
pub type HostFunctions = concord_crypto::HostFunctions;

/// The interface between the runtime and the node. Its functions take and return plain bytes
/// and codes; [`verify_groth16`] and [`verify_eddsa_poseidon`] are the typed entry points.
#[runtime_interface]
pub trait ConcordCrypto {
	/// [`ProofCheck`]'s code for `proof` (compressed) of `inputs` (32 bytes each, big-endian,
	/// concatenated) under `key` (uncompressed, unchecked: the runtime checked its points when
	/// it registered it).
	fn groth16_verify(
		key: PassFatPointerAndRead<&[u8]>,
		proof: PassFatPointerAndRead<&[u8]>,
		inputs: PassFatPointerAndRead<&[u8]>,
	) -> u32 {
		native::groth16(key, proof, inputs).code()
	}

	/// Whether `signature` (packed) verifies for the key with coordinates `key` (`x ‖ y`, each
	/// 32 bytes little-endian) and the message `message` (32 bytes, big-endian). What runtimes
	/// up to `spec_version` 114 call; kept so that their blocks still import.
	fn eddsa_poseidon_verify(
		key: PassPointerAndRead<&[u8; 64], 64>,
		message: PassPointerAndRead<&[u8; 32], 32>,
		signature: PassPointerAndRead<&[u8; 64], 64>,
	) -> bool {
		native::eddsa_poseidon_message(key, message, signature)
	}

	/// Whether `signature` (packed) verifies for the key with coordinates `key` (`x ‖ y`, each
	/// 32 bytes little-endian) and the message hashed from `preimage` (the four elements of
	/// `Op::signed_preimage`, 32 bytes big-endian each): the hash runs natively too. A new
	/// version, not a changed one, so that a node without it refuses a runtime that calls it
	/// instead of answering differently.
	#[version(2)]
	fn eddsa_poseidon_verify(
		key: PassPointerAndRead<&[u8; 64], 64>,
		preimage: PassPointerAndRead<&[u8; 128], 128>,
		signature: PassPointerAndRead<&[u8; 64], 64>,
	) -> bool {
		native::eddsa_poseidon(key, preimage, signature)
	}
}

/// The native side, run by the node.
#[cfg(not(substrate_runtime))]
mod native {
	use super::ProofCheck;
	use alloc::vec::Vec;
	use ark_serialize::CanonicalDeserialize;
	use concord_primitives::{
		commitment::fr_from_be_bytes,
		eddsa::{PublicKey, Signature},
		groth16,
		ops::{SignedOp, SignedPreimage},
	};

	pub fn groth16(key: &[u8], proof: &[u8], inputs: &[u8]) -> ProofCheck {
		let Ok(key) = groth16::VerifyingKey::deserialize_uncompressed_unchecked(key) else {
			return ProofCheck::MalformedKey;
		};
		let Ok(proof) = groth16::Proof::deserialize_compressed(proof) else {
			return ProofCheck::MalformedProof;
		};
		// Whole 32-byte words, each a canonical field element; anything else is no input.
		let (words, rest) = inputs.as_chunks::<32>();
		let inputs: Option<Vec<_>> = words.iter().map(fr_from_be_bytes).collect();
		match inputs {
			Some(inputs) if rest.is_empty() && groth16::verify(&key, &inputs, &proof).is_ok() => {
				ProofCheck::Valid
			}
			_ => ProofCheck::Rejected,
		}
	}

	pub fn eddsa_poseidon_message(
		key: &[u8; 64],
		message: &[u8; 32],
		signature: &[u8; 64],
	) -> bool {
		match (
			PublicKey::from_coordinate_bytes(key),
			fr_from_be_bytes(message),
			Signature::unpack(signature),
		) {
			(Some(key), Some(message), Some(signature)) => key.verify(message, &signature),
			_ => false,
		}
	}

	pub fn eddsa_poseidon(key: &[u8; 64], preimage: &[u8; 128], signature: &[u8; 64]) -> bool {
		let (words, _) = preimage.as_chunks::<32>();
		let elements: Option<Vec<_>> = words.iter().map(fr_from_be_bytes).collect();
		match (
			PublicKey::from_coordinate_bytes(key),
			elements.and_then(|elements| SignedPreimage::try_from(elements).ok()),
		) {
			(Some(key), Some(preimage)) => SignedOp::check_signature(&key, &preimage, signature),
			_ => false,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use concord_primitives::eddsa::PrivateKey;

	#[test]
	fn codes_round_trip_and_unknown_codes_reject() {
		for check in [
			ProofCheck::Valid,
			ProofCheck::MalformedProof,
			ProofCheck::Rejected,
			ProofCheck::MalformedKey,
		] {
			assert_eq!(ProofCheck::from_code(check.code()), check);
		}
		assert_eq!(ProofCheck::from_code(4), ProofCheck::Rejected);
		assert_eq!(ProofCheck::from_code(u32::MAX), ProofCheck::Rejected);
	}

	#[test]
	fn an_eddsa_signature_verifies_as_the_primitives_check_it() {
		let key = PrivateKey([7; 32]);
		let preimage = [0u64, 5, 6, 7].map(Fr::from);
		let signature = key
			.sign(concord_primitives::poseidon::hash(&preimage))
			.pack();
		let public = key.public_key();
		assert!(verify_eddsa_poseidon(&public, &preimage, &signature));
		for changed in 0..4 {
			let mut other = preimage;
			other[changed] += Fr::from(1u8);
			assert!(!verify_eddsa_poseidon(&public, &other, &signature));
		}
		assert!(!verify_eddsa_poseidon(
			&PrivateKey([8; 32]).public_key(),
			&preimage,
			&signature
		));
		let mut tampered = signature;
		tampered[40] ^= 1;
		assert!(!verify_eddsa_poseidon(&public, &preimage, &tampered));
		// The unset key (0, 0) is not a curve point: nothing verifies for it.
		let unset = PublicKey {
			x: Fr::from(0u8),
			y: Fr::from(0u8),
		};
		assert!(!verify_eddsa_poseidon(&unset, &preimage, &signature));
		// A preimage word at or above the field modulus is no field element: the modulus itself
		// is refused, not reduced to the signed 0.
		let words = preimage_words(&preimage);
		assert!(native::eddsa_poseidon(
			&public.to_coordinate_bytes(),
			&words,
			&signature
		));
		let modulus = concord_primitives::commitment::fr_to_be_bytes(&-Fr::from(1u8));
		let mut above = modulus;
		above[31] += 1; // p − 1 + 1 = p, as bytes: not canonical
		let mut wrapped = words;
		wrapped[..32].copy_from_slice(&above);
		assert!(!native::eddsa_poseidon(
			&public.to_coordinate_bytes(),
			&wrapped,
			&signature
		));
		// Version 1 (runtimes up to spec 114) takes the hashed message and answers alike.
		let key = public.to_coordinate_bytes();
		let message = concord_primitives::poseidon::hash(&preimage);
		let message = concord_primitives::commitment::fr_to_be_bytes(&message);
		assert!(native::eddsa_poseidon_message(&key, &message, &signature));
		let first_word: [u8; 32] = words[..32].try_into().unwrap();
		assert!(!native::eddsa_poseidon_message(
			&key,
			&first_word,
			&signature
		));
		assert!(!native::eddsa_poseidon_message(&key, &message, &tampered));
	}

	#[test]
	fn malformed_keys_and_proofs_are_named() {
		assert_eq!(
			verify_groth16(&[1, 2, 3], &[0; 128], &[Fr::from(1u8)]),
			ProofCheck::MalformedKey
		);
		let key = concord_primitives::groth16::VerifyingKey {
			alpha_g1: Default::default(),
			beta_g2: Default::default(),
			gamma_g2: Default::default(),
			delta_g2: Default::default(),
			gamma_abc_g1: vec![Default::default(); 2],
		};
		let mut bytes = Vec::new();
		ark_serialize::CanonicalSerialize::serialize_uncompressed(&key, &mut bytes).unwrap();
		assert_eq!(
			verify_groth16(&bytes, &[0xff; 128], &[Fr::from(1u8)]),
			ProofCheck::MalformedProof
		);
	}
}
