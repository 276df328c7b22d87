//! Poseidon over the BN254 scalar field with circomlib's parameters.
//!
//! Concord's state trees and L2 signatures hash with the same function as circomlib's
//! `Poseidon(n)` template and circomlibjs's `poseidon`, so that wallets built on circomlibjs,
//! the circuits and the runtime agree. Parameters: x^5 S-box, 8 full rounds, circomlib's partial
//! round counts, width `t = n + 1` with the first state element (the capacity) set to zero.
//! The round constants and MDS matrices are those of `light-poseidon`'s `new_circom`, generated
//! into `poseidon_constants.rs` by this module's tests (see `regenerate_constants`) with the
//! [`Sparse`] form derived from them, which is what [`hash`] runs.

use crate::{poseidon_constants::PARAMETERS, Fr};
use ark_ff::{AdditiveGroup, Field};

/// Largest number of inputs supported (width 7): enough for every Concord leaf and for the
/// 5-input hash of EdDSA-Poseidon.
pub const MAX_INPUTS: usize = 6;

const MAX_WIDTH: usize = MAX_INPUTS + 1;

/// circomlib's number of full rounds, for every width.
pub const FULL_ROUNDS: usize = 8;

/// The constants of one width `t`: `(FULL_ROUNDS + partial_rounds) * t` round constants, round
/// by round, and the `t * t` MDS matrix, row by row (the circuits' gadget uses these), and the
/// same permutation rewritten for fewer multiplications ([`Sparse`], what [`hash`] runs).
pub struct Parameters {
	pub partial_rounds: usize,
	pub round_constants: &'static [Fr],
	pub mds: &'static [Fr],
	pub sparse: Sparse,
}

/// circomlib's permutation with its partial rounds rewritten (Poseidon paper, appendix B): a
/// partial round's S-box touches only the first element, so
///
/// - the round constants of the other elements are carried through the MDS matrix into the
///   next round, leaving one constant per partial round and adding the carry to the first
///   full round after them;
/// - the MDS matrix of each partial round factors as `M_i · S_i`, `M_i = diag(1, N)` and `S_i =
///   [[a, v], [w, I]]`; `M_i` commutes with the next round's S-box and is folded into the
///   next round's matrix, so each partial round multiplies by the sparse `S_i` (`2t − 1`
///   products instead of `t²`) and only the last `M_i`'s block `N` is applied in full.
///
/// About half the multiplications of the plain rounds for widths 5 to 7. Derived from the plain
/// constants by this module's tests, which check the result against light-poseidon's plain
/// permutation and circomlibjs's hashes for every width.
pub struct Sparse {
	/// `FULL_ROUNDS * t` constants of the full rounds, round by round (the first full round
	/// after the partial ones includes the carry).
	pub full_round_constants: &'static [Fr],
	/// One constant per partial round, added to the first element.
	pub partial_round_constants: &'static [Fr],
	/// Per partial round, `a`, then `v` and `w` (`t − 1` each).
	pub partial_matrices: &'static [Fr],
	/// The `(t − 1)²` block `N`, row by row, applied to the elements after the first once the
	/// partial rounds are done.
	pub last_block: &'static [Fr],
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

/// Runs the permutation on `[0, inputs..]` and returns the first state element, in the
/// [`Sparse`] form.
fn permute(inputs: &[Fr]) -> Fr {
	let width = inputs.len() + 1;
	let parameters = &PARAMETERS[inputs.len() - 1];
	let (mds, sparse) = (parameters.mds, &parameters.sparse);
	let mut buffer = [Fr::ZERO; MAX_WIDTH];
	buffer[1..width].copy_from_slice(inputs);
	let state = &mut buffer[..width];

	let (first_half, second_half) = sparse
		.full_round_constants
		.split_at(FULL_ROUNDS / 2 * width);
	full_rounds(state, first_half, mds);
	for (constant, matrix) in sparse
		.partial_round_constants
		.iter()
		.zip(sparse.partial_matrices.chunks_exact(2 * width - 1))
	{
		let first = sbox(state[0] + constant);
		let (a, rest) = matrix.split_first().expect("2t − 1 elements");
		let (v, w) = rest.split_at(width - 1);
		let mut mixed = *a * first;
		for ((element, v), w) in state[1..].iter_mut().zip(v).zip(w) {
			mixed += *v * *element;
			*element += *w * first;
		}
		state[0] = mixed;
	}
	mix(&mut state[1..], sparse.last_block);
	full_rounds(state, second_half, mds);
	state[0]
}

/// Full rounds with `constants` (`t` per round): constants, S-box on every element, `mds`.
fn full_rounds(state: &mut [Fr], constants: &[Fr], mds: &[Fr]) {
	for round_constants in constants.chunks_exact(state.len()) {
		for (element, constant) in state.iter_mut().zip(round_constants) {
			*element = sbox(*element + constant);
		}
		mix(state, mds);
	}
}

/// `state = matrix · state`, the matrix row by row.
fn mix(state: &mut [Fr], matrix: &[Fr]) {
	let mut mixed = [Fr::ZERO; MAX_WIDTH];
	for (out, row) in mixed.iter_mut().zip(matrix.chunks_exact(state.len())) {
		*out = row.iter().zip(state.iter()).map(|(m, s)| *m * s).sum();
	}
	state.copy_from_slice(&mixed[..state.len()]);
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
			"//! Poseidon round constants and MDS matrices of circomlib's parameters, and their \
			 sparse form, widths 2 to {MAX_WIDTH}.\n\
			 //! Generated from light-poseidon 0.5 (`bn254_x5`). Do not edit: rewrite it with\n\
			 //! `cargo test -p concord-primitives -- --ignored regenerate_constants`.\n\
			 \n\
			 use crate::{{poseidon::{{Parameters, Sparse}}, Fr}};\n\
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
			let [full, partial, matrices, last] =
				sparse_constants(width, parameters.partial_rounds, &parameters.ark, &mds);
			for (name, values) in [
				("ARK", &parameters.ark),
				("MDS", &mds),
				("SPARSE_FULL", &full),
				("SPARSE_PARTIAL", &partial),
				("SPARSE_MATRICES", &matrices),
				("SPARSE_LAST", &last),
			] {
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
				 round_constants: &ARK_{width}, mds: &MDS_{width}, sparse: Sparse {{ \
				 full_round_constants: &SPARSE_FULL_{width}, \
				 partial_round_constants: &SPARSE_PARTIAL_{width}, \
				 partial_matrices: &SPARSE_MATRICES_{width}, last_block: &SPARSE_LAST_{width} }} }},"
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

	/// The [`Sparse`] form of the plain constants of width `t`: full-round constants, partial-round
	/// constants, partial-round matrices, last block.
	fn sparse_constants(t: usize, partial_rounds: usize, ark: &[Fr], mds: &[Fr]) -> [Vec<Fr>; 4] {
		let m = |i: usize, j: usize| mds[i * t + j];
		let half = FULL_ROUNDS / 2;
		let round = |r: usize| &ark[r * t..][..t];
		// Constants: each partial round keeps its first element's; the others, added after the
		// S-box instead of before (it does not touch them), pass through M into the next round.
		let mut full: Vec<Fr> = ark[..half * t].to_vec();
		let mut partial = Vec::new();
		let mut carry = vec![Fr::ZERO; t];
		for r in half..half + partial_rounds {
			let constants: Vec<Fr> = round(r).iter().zip(&carry).map(|(c, k)| *c + k).collect();
			partial.push(constants[0]);
			carry = (0..t)
				.map(|i| (1..t).map(|j| m(i, j) * constants[j]).sum())
				.collect();
		}
		let after = half + partial_rounds;
		full.extend(round(after).iter().zip(&carry).map(|(c, k)| *c + k));
		full.extend_from_slice(&ark[(after + 1) * t..]);
		// Matrices: factor N = diag(1, N̂) · [[a, v], [w, I]] with w = N̂⁻¹ · (N's first column
		// below the first row); the next round's N is M · diag(1, N̂).
		let mut n: Vec<Vec<Fr>> = (0..t).map(|i| (0..t).map(|j| m(i, j)).collect()).collect();
		let mut matrices = Vec::new();
		let mut block = Vec::new();
		for _ in 0..partial_rounds {
			block = (1..t).map(|i| n[i][1..].to_vec()).collect::<Vec<_>>();
			let inverse = invert(&block);
			matrices.push(n[0][0]);
			matrices.extend_from_slice(&n[0][1..]);
			matrices.extend(inverse.iter().map(|row| {
				row.iter()
					.zip(&n[1..])
					.map(|(x, n_row)| *x * n_row[0])
					.sum::<Fr>()
			}));
			n = (0..t)
				.map(|i| {
					(0..t)
						.map(|j| match j {
							0 => m(i, 0),
							_ => (1..t).map(|k| m(i, k) * block[k - 1][j - 1]).sum(),
						})
						.collect()
				})
				.collect();
		}
		let last = block.into_iter().flatten().collect();
		[full, partial, matrices, last]
	}

	/// The inverse of a square matrix over `Fr` (Gauss–Jordan); panics if it is singular.
	fn invert(matrix: &[Vec<Fr>]) -> Vec<Vec<Fr>> {
		let size = matrix.len();
		let mut rows: Vec<Vec<Fr>> = matrix
			.iter()
			.enumerate()
			.map(|(i, row)| {
				let mut row = row.clone();
				row.extend((0..size).map(|j| if i == j { Fr::ONE } else { Fr::ZERO }));
				row
			})
			.collect();
		for column in 0..size {
			let pivot = (column..size)
				.find(|&r| rows[r][column] != Fr::ZERO)
				.expect("an invertible block");
			rows.swap(column, pivot);
			let scale = rows[column][column].inverse().unwrap();
			rows[column].iter_mut().for_each(|x| *x *= scale);
			for r in 0..size {
				if r != column && rows[r][column] != Fr::ZERO {
					let factor = rows[r][column];
					let pivot_row = rows[column].clone();
					rows[r]
						.iter_mut()
						.zip(&pivot_row)
						.for_each(|(x, p)| *x -= factor * p);
				}
			}
		}
		rows.into_iter().map(|row| row[size..].to_vec()).collect()
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
