//! Poseidon over the BN254 scalar field with circomlib's parameters.
//!
//! Concord's state trees and L2 signatures hash with the same function as circomlib's
//! `Poseidon(n)` template and circomlibjs's `poseidon`, so that wallets built on circomlibjs,
//! the circuits and the runtime agree. Parameters: x^5 S-box, 8 full rounds, circomlib's partial
//! round counts, width `t = n + 1` with the first state element (the capacity) set to zero.
//! The round constants and MDS matrices are those of `light-poseidon`'s `new_circom`, generated
//! into `poseidon_constants.rs` by this module's tests (see `regenerate_constants`).

use crate::{poseidon_constants::PARAMETERS, Fr};
use ark_ff::{AdditiveGroup, Field};

/// Largest number of inputs supported (width 7): enough for every Concord leaf and for the
/// 5-input hash of EdDSA-Poseidon.
pub const MAX_INPUTS: usize = 6;

const MAX_WIDTH: usize = MAX_INPUTS + 1;

/// circomlib's number of full rounds, for every width.
pub const FULL_ROUNDS: usize = 8;

/// The constants of one width `t`: `(FULL_ROUNDS + partial_rounds) * t` round constants, round
/// by round, and the `t * t` MDS matrix, row by row.
pub struct Parameters {
	pub partial_rounds: usize,
	pub round_constants: &'static [Fr],
	pub mds: &'static [Fr],
}

/// The constants of `Poseidon(inputs)`, `None` unless `1 <= inputs <= MAX_INPUTS`. Public so
/// that the circuits' Poseidon gadget reads this one copy of them instead of its own.
pub fn parameters(inputs: usize) -> Option<&'static Parameters> {
	(1..=MAX_INPUTS)
		.contains(&inputs)
		.then(|| &PARAMETERS[inputs - 1])
}

/// Poseidon hash of `N` field elements, `1 <= N <= MAX_INPUTS` (checked at compile time).
pub fn hash<const N: usize>(inputs: &[Fr; N]) -> Fr {
	const {
		assert!(
			N >= 1 && N <= MAX_INPUTS,
			"Poseidon takes 1 to MAX_INPUTS inputs"
		)
	};
	permute(inputs)
}

/// Poseidon hash of a slice of field elements; `None` unless it holds 1 to `MAX_INPUTS`
/// elements.
pub fn hash_slice(inputs: &[Fr]) -> Option<Fr> {
	(1..=MAX_INPUTS)
		.contains(&inputs.len())
		.then(|| permute(inputs))
}

/// Runs the permutation on `[0, inputs..]` and returns the first state element.
fn permute(inputs: &[Fr]) -> Fr {
	let width = inputs.len() + 1;
	let parameters = &PARAMETERS[inputs.len() - 1];
	let (partial_rounds, constants, mds) = (
		parameters.partial_rounds,
		parameters.round_constants,
		parameters.mds,
	);
	let mut buffer = [Fr::ZERO; MAX_WIDTH];
	buffer[1..width].copy_from_slice(inputs);
	let state = &mut buffer[..width];

	let first_partial = FULL_ROUNDS / 2;
	let partial = first_partial..first_partial + partial_rounds;
	for (round, round_constants) in constants.chunks_exact(width).enumerate() {
		for (element, constant) in state.iter_mut().zip(round_constants) {
			*element += constant;
		}
		if partial.contains(&round) {
			state[0] = sbox(state[0]);
		} else {
			state
				.iter_mut()
				.for_each(|element| *element = sbox(*element));
		}
		let mut mixed = [Fr::ZERO; MAX_WIDTH];
		for (out, row) in mixed.iter_mut().zip(mds.chunks_exact(width)) {
			*out = row.iter().zip(state.iter()).map(|(m, s)| *m * s).sum();
		}
		state.copy_from_slice(&mixed[..width]);
	}
	state[0]
}

fn sbox(x: Fr) -> Fr {
	x.square().square() * x
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::test_vectors;
	use ark_ff::{PrimeField, UniformRand};
	use light_poseidon::{parameters::bn254_x5, Poseidon, PoseidonHasher};
	use std::{fmt::Write, string::String, vec::Vec};

	const CONSTANTS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/poseidon_constants.rs");

	/// The source of `poseidon_constants.rs`, from light-poseidon's circom parameters.
	fn render_constants() -> String {
		let mut out = String::new();
		let decimal = |x: &Fr| x.into_bigint().to_string();
		write!(
			out,
			"//! Poseidon round constants and MDS matrices of circomlib's parameters, widths 2 to \
			 {MAX_WIDTH}.\n\
			 //! Generated from light-poseidon 0.5 (`bn254_x5`). Do not edit: rewrite it with\n\
			 //! `cargo test -p concord-primitives -- --ignored regenerate_constants`.\n\
			 \n\
			 use crate::{{poseidon::Parameters, Fr}};\n\
			 use ark_ff::MontFp;\n"
		)
		.unwrap();
		let mut table = String::new();
		for width in 2..=MAX_WIDTH {
			let parameters = bn254_x5::get_poseidon_parameters::<Fr>(width as u8).unwrap();
			assert_eq!((parameters.full_rounds, parameters.alpha), (FULL_ROUNDS, 5));
			assert_eq!(
				parameters.ark.len(),
				(FULL_ROUNDS + parameters.partial_rounds) * width
			);
			let mds: Vec<Fr> = parameters.mds.iter().flatten().copied().collect();
			for (name, values) in [("ARK", &parameters.ark), ("MDS", &mds)] {
				writeln!(out).unwrap();
				writeln!(out, "static {name}_{width}: [Fr; {}] = [", values.len()).unwrap();
				for value in values {
					writeln!(out, "\tMontFp!(\"{}\"),", decimal(value)).unwrap();
				}
				writeln!(out, "];").unwrap();
			}
			let partial_rounds = parameters.partial_rounds;
			writeln!(
				table,
				"\tParameters {{ partial_rounds: {partial_rounds}, \
				 round_constants: &ARK_{width}, mds: &MDS_{width} }},"
			)
			.unwrap();
		}
		writeln!(out).unwrap();
		writeln!(out, "/// Indexed by the number of inputs minus one.").unwrap();
		writeln!(
			out,
			"pub(crate) static PARAMETERS: [Parameters; {MAX_INPUTS}] = ["
		)
		.unwrap();
		out.push_str(&table);
		writeln!(out, "];").unwrap();
		out
	}

	#[test]
	#[ignore = "rewrites src/poseidon_constants.rs"]
	fn regenerate_constants() {
		std::fs::write(CONSTANTS_PATH, render_constants()).unwrap();
	}

	#[test]
	fn committed_constants_are_light_poseidons() {
		assert!(
			include_str!("poseidon_constants.rs") == render_constants(),
			"src/poseidon_constants.rs differs from light-poseidon's parameters: run \
			 `cargo test -p concord-primitives -- --ignored regenerate_constants`"
		);
	}

	#[test]
	fn matches_light_poseidon_on_random_inputs() {
		let mut rng = ark_std::test_rng();
		for n in 1..=MAX_INPUTS {
			let mut reference = Poseidon::<Fr>::new_circom(n).unwrap();
			for _ in 0..50 {
				let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
				assert_eq!(
					hash_slice(&inputs),
					Some(reference.hash(&inputs).unwrap()),
					"{n} inputs"
				);
			}
		}
	}

	#[test]
	fn matches_circomlibjs() {
		let vectors = test_vectors::get()["poseidon"].as_array().unwrap();
		let mut widths = [0usize; MAX_INPUTS];
		for vector in vectors {
			let inputs: Vec<Fr> = vector["inputs"]
				.as_array()
				.unwrap()
				.iter()
				.map(test_vectors::fr)
				.collect();
			assert_eq!(
				hash_slice(&inputs),
				Some(test_vectors::fr(&vector["hash"])),
				"{inputs:?}"
			);
			widths[inputs.len() - 1] += 1;
		}
		assert!(
			widths.iter().all(|&count| count > 0),
			"every width is covered: {widths:?}"
		);
	}

	#[test]
	fn fixed_size_and_slice_forms_agree() {
		let [a, b, c] = [Fr::from(1u64), Fr::from(2u64), Fr::from(3u64)];
		assert_eq!(Some(hash(&[a, b])), hash_slice(&[a, b]));
		assert_eq!(Some(hash(&[a, b, c])), hash_slice(&[a, b, c]));
	}

	#[test]
	fn rejects_unsupported_input_counts() {
		assert_eq!(hash_slice(&[]), None);
		assert_eq!(hash_slice(&[Fr::ONE; MAX_INPUTS + 1]), None);
	}
}
