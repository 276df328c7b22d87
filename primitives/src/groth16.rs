//! Groth16 verification over BN254, `no_std`, for the appchain's proof registry and the prover.
//!
//! The runtime cannot take `ark-groth16` itself: its dependencies (ark-crypto-primitives with
//! sponges, ark-relations with tracing, ark-poly) are the constraint-system and proving side,
//! and would more than double the runtime's arkworks code. Verification is one pairing
//! equation, stated here once; the circuits crate proves with `ark-groth16` and verifies with
//! this module.
//!
//! [`VerifyingKey`] and [`Proof`] have exactly the fields, in the same order, as
//! `ark_groth16::{VerifyingKey, Proof}`, so their arkworks canonical encodings are the same
//! bytes: the verifying-key file the dev setup writes is what the appchain registers.

use crate::Fr;
use alloc::vec::Vec;
use ark_bn254::{Bn254, G1Affine, G2Affine};
use ark_ec::{pairing::Pairing, AffineRepr, CurveGroup};
use ark_ff::{PrimeField, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

/// A Groth16 verifying key (arkworks field order).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct VerifyingKey {
	pub alpha_g1: G1Affine,
	pub beta_g2: G2Affine,
	pub gamma_g2: G2Affine,
	pub delta_g2: G2Affine,
	/// One point per public input, after the constant one's.
	pub gamma_abc_g1: Vec<G1Affine>,
}

/// A Groth16 proof (arkworks field order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof {
	pub a: G1Affine,
	pub b: G2Affine,
	pub c: G1Affine,
}

/// Why a proof was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
	/// The key is for another number of public inputs.
	InputCount { key: usize, given: usize },
	/// The pairing equation does not hold: the proof is not of these inputs under this key.
	Rejected,
}

impl VerifyingKey {
	/// How many public inputs the key's circuit has.
	pub fn input_count(&self) -> usize {
		self.gamma_abc_g1.len().saturating_sub(1)
	}
}

/// Checks `e(A, B) = e(α, β) · e(Σ inputᵢ·γ_abcᵢ, γ) · e(C, δ)` as one multi-pairing.
pub fn verify(vk: &VerifyingKey, inputs: &[Fr], proof: &Proof) -> Result<(), VerifyError> {
	if vk.gamma_abc_g1.is_empty() || inputs.len() != vk.input_count() {
		return Err(VerifyError::InputCount {
			key: vk.input_count(),
			given: inputs.len(),
		});
	}
	let prepared_inputs = inputs
		.iter()
		.zip(&vk.gamma_abc_g1[1..])
		.fold(vk.gamma_abc_g1[0].into_group(), |sum, (input, base)| {
			sum + base.mul_bigint(input.into_bigint())
		});
	let check = Bn254::multi_pairing(
		[
			proof.a,
			(-prepared_inputs).into_affine(),
			(-proof.c.into_group()).into_affine(),
			(-vk.alpha_g1.into_group()).into_affine(),
		],
		[proof.b, vk.gamma_g2, vk.delta_g2, vk.beta_g2],
	);
	if check.is_zero() {
		Ok(())
	} else {
		Err(VerifyError::Rejected)
	}
}
