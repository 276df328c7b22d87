//! Poseidon over [`FpVar`], the constraint twin of [`concord_primitives::poseidon`].
//!
//! The state trees and the signed messages are hashed with circomlib's Poseidon, so the circuit
//! must hash exactly as the native code does: the gadget reads the round constants and MDS
//! matrices from `concord_primitives::poseidon::parameters`, the one copy of them, and computes
//! the native permutation (capacity element first and zero, x^5 S-box, 8 full rounds around
//! circomlib's partial rounds), with its S-boxes in the native order.
//!
//! Cost: three constraints per S-box (two squarings and a product); adding round constants and
//! mixing with the MDS matrix are linear and free. A width `t = n + 1` hash therefore costs
//! `3 · (8·t + partial_rounds) − 3` constraints, the `− 3` because the capacity element is a
//! constant in the first round (see the `constraint_counts` test for the figures).
//!
//! Free in constraints, the linear steps still cost the prover: each S-box input is a linear
//! combination the prover expands into the constraint matrices. The gadget hands it one flat
//! combination per S-box, of the S-box outputs before it, with weights computed natively (the
//! partial rounds unrolled once per width: [`Unrolled`]); built from `FpVar` sums, the same
//! combinations nested a symbolic combination per addition, and expanding them took about a
//! third of a batch proof.

use crate::Fr;
use ark_ff::{AdditiveGroup, Field, Zero};
use ark_r1cs_std::{
	fields::fp::{AllocatedFp, FpVar},
	prelude::*,
};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};
use concord_primitives::poseidon::{self as native, parameters, FULL_ROUNDS, MAX_INPUTS};

/// Poseidon hash of `N` field elements, `1 <= N <= MAX_INPUTS` (checked at compile time), as
/// `concord_primitives::poseidon::hash`.
pub fn hash<const N: usize>(inputs: &[FpVar<Fr>; N]) -> Result<FpVar<Fr>, SynthesisError> {
	const {
		assert!(
			N >= 1 && N <= MAX_INPUTS,
			"Poseidon takes 1 to MAX_INPUTS inputs"
		)
	};
	permute(inputs)
}

/// Poseidon hash of a slice of field elements, as `concord_primitives::poseidon::hash_slice`.
///
/// # Panics
///
/// Unless the slice holds 1 to `MAX_INPUTS` elements: the number of inputs fixes the circuit's
/// shape, so a wrong count is a bug in the circuit, not a bad witness.
pub fn hash_slice(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
	assert!(
		(1..=MAX_INPUTS).contains(&inputs.len()),
		"Poseidon takes 1 to {MAX_INPUTS} inputs, not {}",
		inputs.len()
	);
	permute(inputs)
}

/// Runs the permutation on `[0, inputs..]` and returns the first state element. Constant inputs
/// give a constant output without constraints.
///
/// The linear steps are tracked here as flat linear combinations of the S-box outputs (and the
/// inputs before the first S-boxes), not as `FpVar` sums: those would nest a fresh symbolic
/// combination per addition, and expanding tens of thousands of nested combinations per batch
/// took a third of the prover's time. The constraints, and so the keys, are the same.
fn permute(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
	let parameters = parameters(inputs.len()).expect("callers check the number of inputs");
	let width = inputs.len() + 1;
	let Some(cs) = inputs.iter().find_map(|input| match input {
		FpVar::Var(var) => Some(var.cs.clone()),
		FpVar::Constant(_) => None,
	}) else {
		let values: Vec<Fr> = inputs.iter().map(|input| input.value().unwrap()).collect();
		return Ok(FpVar::Constant(
			native::hash_slice(&values).expect("callers check the number of inputs"),
		));
	};
	let mut basis = Basis {
		variables: vec![Variable::One],
		values: vec![Some(Fr::ONE)],
	};
	let mut state: Vec<Linear> = core::iter::once(Linear::constant(Fr::ZERO))
		.chain(inputs.iter().map(|input| match input {
			FpVar::Constant(value) => Linear::constant(*value),
			FpVar::Var(var) => basis.push(var),
		}))
		.collect();

	let first_partial = FULL_ROUNDS / 2;
	let rounds: Vec<&[Fr]> = parameters.round_constants.chunks_exact(width).collect();
	let full_rounds = |state: &mut Vec<Linear>, basis: &mut Basis, rounds: &[&[Fr]]| {
		for round_constants in rounds {
			for (element, constant) in state.iter_mut().zip(*round_constants) {
				element.add_constant(*constant);
			}
			for element in state.iter_mut() {
				*element = basis.sbox(element, &cs)?;
			}
			*state = parameters
				.mds
				.chunks_exact(width)
				.map(|row| Linear::combine(row, state, basis.variables.len()))
				.collect();
			basis.drop_unused(state);
		}
		Ok::<_, SynthesisError>(())
	};
	full_rounds(&mut state, &mut basis, &rounds[..first_partial])?;
	state = partial_rounds(state, &mut basis, &cs, width)?;
	full_rounds(
		&mut state,
		&mut basis,
		&rounds[first_partial + parameters.partial_rounds..],
	)?;
	let output = state.swap_remove(0);
	basis.to_fp_var(&output, &cs)
}

/// The partial rounds of one width, unrolled. With `A = M·D` (`M` the MDS matrix, `D` zeroing
/// element 0) and `x` the state entering the partial rounds, round `r`'s S-box output `y_r`
/// and the state after round `r − 1` satisfy
/// `x_r = A^r·x + κ_r + Σ_{k<r} A^(r−1−k)·M·e0 · y_k`, with `κ` the round constants carried
/// along. Each S-box input is then one flat combination built from these native weights,
/// instead of a 5×5 matrix product over every S-box output so far per round.
struct Unrolled {
	/// Row 0 of `A^r` for each partial round `r`: the entry state's weights in its S-box input.
	entry_weights: Vec<Vec<Fr>>,
	/// The constant of each partial round's S-box input: `κ_r[0]` plus its round constant.
	sbox_constants: Vec<Fr>,
	/// `A^d·M·e0` for `d` below the number of partial rounds: the weight of the S-box output
	/// `d + 1` rounds back.
	output_weights: Vec<Vec<Fr>>,
	/// `A^R` for `R` partial rounds: the entry state's weights in the exit state.
	exit_matrix: Vec<Vec<Fr>>,
	/// `κ_R`: the exit state's constants.
	exit_constants: Vec<Fr>,
}

impl Unrolled {
	fn new(width: usize) -> Unrolled {
		let parameters = parameters(width - 1).expect("widths of 2 to MAX_INPUTS + 1");
		let mds: Vec<&[Fr]> = parameters.mds.chunks_exact(width).collect();
		// `A·v` and `M·D·c` for vectors `v`, `c`.
		let times_a = |v: &[Fr]| -> Vec<Fr> {
			mds.iter()
				.map(|row| (1..width).map(|j| row[j] * v[j]).sum())
				.collect()
		};
		let first_partial = FULL_ROUNDS / 2;
		let constants =
			|r: usize| &parameters.round_constants[(first_partial + r) * width..][..width];
		let mut power: Vec<Vec<Fr>> = (0..width)
			.map(|i| {
				(0..width)
					.map(|j| if i == j { Fr::ONE } else { Fr::ZERO })
					.collect()
			})
			.collect();
		let mut carried = vec![Fr::ZERO; width];
		let mut output_weight: Vec<Fr> = mds.iter().map(|row| row[0]).collect();
		let mut unrolled = Unrolled {
			entry_weights: Vec::new(),
			sbox_constants: Vec::new(),
			output_weights: Vec::new(),
			exit_matrix: Vec::new(),
			exit_constants: Vec::new(),
		};
		for r in 0..parameters.partial_rounds {
			unrolled.entry_weights.push(power[0].clone());
			unrolled.sbox_constants.push(carried[0] + constants(r)[0]);
			unrolled.output_weights.push(output_weight.clone());
			// A^(r+1) = A·A^r; κ_(r+1) = A·κ_r + M·D·c_r.
			power = mds
				.iter()
				.map(|row| {
					(0..width)
						.map(|j| (1..width).map(|k| row[k] * power[k][j]).sum())
						.collect()
				})
				.collect();
			let sum: Vec<Fr> = carried
				.iter()
				.zip(constants(r))
				.map(|(k, c)| *k + c)
				.collect();
			carried = times_a(&sum);
			output_weight = times_a(&output_weight);
		}
		unrolled.exit_matrix = power;
		unrolled.exit_constants = carried;
		unrolled
	}

	/// The unrolled partial rounds of `width`, computed once.
	fn of(width: usize) -> &'static Unrolled {
		static UNROLLED: [std::sync::OnceLock<Unrolled>; MAX_INPUTS + 1] =
			[const { std::sync::OnceLock::new() }; MAX_INPUTS + 1];
		UNROLLED[width - 1].get_or_init(|| Unrolled::new(width))
	}
}

/// The partial rounds on `entry`: one S-box per round, whose input is a flat combination of the
/// entry state and the S-box outputs before it ([`Unrolled`]). Returns the exit state.
fn partial_rounds(
	entry: Vec<Linear>,
	basis: &mut Basis,
	cs: &ConstraintSystemRef<Fr>,
	width: usize,
) -> Result<Vec<Linear>, SynthesisError> {
	let unrolled = Unrolled::of(width);
	let entry_len = basis.variables.len();
	// `Σ weights[j] · entry[j] + constant + Σ_k output_weight(k) · y_k` over the S-box outputs
	// `y` so far, its value read from the basis.
	let flat =
		|basis: &Basis, weights: &[Fr], constant: Fr, outputs: &mut dyn Iterator<Item = Fr>| {
			let mut element = Linear::combine(weights, &entry, entry_len);
			element.coefficients[0] += constant;
			element.coefficients.extend(outputs);
			element.value = basis.evaluate(&element.coefficients);
			element.constant = false;
			element
		};
	for (r, weights) in unrolled.entry_weights.iter().enumerate() {
		let input = flat(
			basis,
			weights,
			unrolled.sbox_constants[r],
			&mut (0..r).map(|k| unrolled.output_weights[r - 1 - k][0]),
		);
		basis.sbox(&input, cs)?;
	}
	let rounds = unrolled.entry_weights.len();
	Ok((0..width)
		.map(|i| {
			flat(
				basis,
				&unrolled.exit_matrix[i],
				unrolled.exit_constants[i],
				&mut (0..rounds).map(|k| unrolled.output_weights[rounds - 1 - k][i]),
			)
		})
		.collect())
}

/// The variables the state is a linear combination of, `Variable::One` first, and their values
/// (none in setup mode).
struct Basis {
	variables: Vec<Variable>,
	values: Vec<Option<Fr>>,
}

/// A state element: `Σ coefficients[k] · basis[k]` (missing coefficients are zero), its value
/// (none in setup mode), and whether it is a constant, as the `FpVar` it stands for would be.
#[derive(Clone)]
struct Linear {
	coefficients: Vec<Fr>,
	value: Option<Fr>,
	constant: bool,
}

impl Linear {
	fn constant(value: Fr) -> Linear {
		Linear {
			coefficients: vec![value],
			value: Some(value),
			constant: true,
		}
	}

	fn add_constant(&mut self, constant: Fr) {
		self.coefficients[0] += constant;
		self.value = self.value.map(|value| value + constant);
	}

	/// `Σ row[j] · elements[j]` over a basis of `len` variables.
	fn combine(row: &[Fr], elements: &[Linear], len: usize) -> Linear {
		let mut coefficients = vec![Fr::ZERO; len];
		let mut value = Some(Fr::ZERO);
		for (factor, element) in row.iter().zip(elements) {
			for (sum, coefficient) in coefficients.iter_mut().zip(&element.coefficients) {
				*sum += *factor * coefficient;
			}
			value = value
				.zip(element.value)
				.map(|(sum, value)| sum + *factor * value);
		}
		Linear {
			coefficients,
			value,
			constant: elements.iter().all(|element| element.constant),
		}
	}
}

impl Basis {
	/// A new basis variable, and the element that is it.
	fn push(&mut self, var: &AllocatedFp<Fr>) -> Linear {
		self.variables.push(var.variable);
		self.values.push(var.value().ok());
		let mut coefficients = vec![Fr::ZERO; self.variables.len()];
		coefficients[self.variables.len() - 1] = Fr::ONE;
		Linear {
			coefficients,
			value: var.value().ok(),
			constant: false,
		}
	}

	/// The value of `Σ coefficients[k] · basis[k]`, if every variable has one.
	fn evaluate(&self, coefficients: &[Fr]) -> Option<Fr> {
		coefficients
			.iter()
			.zip(&self.values)
			.map(|(coefficient, value)| value.map(|value| *coefficient * value))
			.sum()
	}

	/// `element` as an `FpVar`: a constant, or one flat linear combination of the basis.
	fn to_fp_var(
		&self,
		element: &Linear,
		cs: &ConstraintSystemRef<Fr>,
	) -> Result<FpVar<Fr>, SynthesisError> {
		if element.constant {
			return Ok(FpVar::Constant(element.coefficients[0]));
		}
		let terms: Vec<(Fr, Variable)> = element
			.coefficients
			.iter()
			.zip(&self.variables)
			.filter(|(coefficient, _)| !coefficient.is_zero())
			.map(|(coefficient, variable)| (*coefficient, *variable))
			.collect();
		let variable = cs.new_lc(|| LinearCombination(terms))?;
		Ok(FpVar::Var(AllocatedFp::new(
			element.value,
			variable,
			cs.clone(),
		)))
	}

	/// `element^5`, a new basis variable unless `element` is a constant.
	fn sbox(
		&mut self,
		element: &Linear,
		cs: &ConstraintSystemRef<Fr>,
	) -> Result<Linear, SynthesisError> {
		match sbox(&self.to_fp_var(element, cs)?)? {
			FpVar::Constant(value) => Ok(Linear::constant(value)),
			FpVar::Var(var) => Ok(self.push(&var)),
		}
	}

	/// Removes the variables no element depends on any more (the S-box inputs' terms once
	/// every element went through an S-box): the combinations stay as short as the state needs.
	fn drop_unused(&mut self, state: &mut [Linear]) {
		let used: Vec<bool> = (0..self.variables.len())
			.map(|k| {
				k == 0
					|| state
						.iter()
						.any(|element| !element.coefficients[k].is_zero())
			})
			.collect();
		if used.iter().all(|&used| used) {
			return;
		}
		let mut kept = used.iter();
		self.variables.retain(|_| *kept.next().unwrap());
		let mut kept = used.iter();
		self.values.retain(|_| *kept.next().unwrap());
		for element in state {
			let mut kept = used.iter();
			element.coefficients.retain(|_| *kept.next().unwrap());
		}
	}
}

/// `x^5` in three constraints.
fn sbox(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
	let x4 = x.square()?.square()?;
	Ok(x4 * x)
}

#[cfg(test)]
mod tests {
	use super::*;
	use ark_ff::{Field, UniformRand};
	use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
	use concord_primitives::poseidon as native;

	fn witnesses(cs: &ConstraintSystemRef<Fr>, values: &[Fr]) -> Vec<FpVar<Fr>> {
		values
			.iter()
			.map(|value| FpVar::new_witness(cs.clone(), || Ok(*value)).unwrap())
			.collect()
	}

	/// Hashes `values` in a fresh constraint system, the output bound to a public input claimed
	/// to equal `claimed`; returns whether the system is satisfied, and the gadget's output and
	/// constraint count (without the final equality).
	fn prove(values: &[Fr], claimed: Fr) -> (bool, Fr, usize) {
		let cs = ConstraintSystem::<Fr>::new_ref();
		let inputs = witnesses(&cs, values);
		let output = hash_slice(&inputs).unwrap();
		let constraints = cs.num_constraints();
		let claimed = FpVar::new_input(cs.clone(), || Ok(claimed)).unwrap();
		output.enforce_equal(&claimed).unwrap();
		(
			cs.is_satisfied().unwrap(),
			output.value().unwrap(),
			constraints,
		)
	}

	#[test]
	fn matches_native_on_random_inputs_for_every_width() {
		let mut rng = ark_std::test_rng();
		for n in 1..=MAX_INPUTS {
			for _ in 0..5 {
				let values: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
				let expected = native::hash_slice(&values).unwrap();
				let (satisfied, output, _) = prove(&values, expected);
				assert_eq!(output, expected, "{n} inputs");
				assert!(satisfied, "{n} inputs");
			}
		}
	}

	#[test]
	fn a_wrong_claimed_output_is_unsatisfiable() {
		let mut rng = ark_std::test_rng();
		for n in 1..=MAX_INPUTS {
			let values: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
			let expected = native::hash_slice(&values).unwrap();
			let (satisfied, _, _) = prove(&values, expected + Fr::ONE);
			assert!(!satisfied, "{n} inputs");
			// The same output with one input changed is not the hash of the changed inputs.
			let mut changed = values.clone();
			changed[n - 1] += Fr::ONE;
			let (satisfied, _, _) = prove(&changed, expected);
			assert!(!satisfied, "{n} inputs");
		}
	}

	#[test]
	fn a_forged_sbox_witness_is_unsatisfiable() {
		let cs = ConstraintSystem::<Fr>::new_ref();
		let inputs = witnesses(&cs, &[Fr::from(1u64), Fr::from(2u64)]);
		let _ = hash(&[inputs[0].clone(), inputs[1].clone()]).unwrap();
		assert!(cs.is_satisfied().unwrap());
		// Tamper with one intermediate witness, as a cheating prover would.
		let mut inner = cs.borrow_mut().unwrap();
		let last = inner.assignments.witness_assignment.len() - 1;
		inner.assignments.witness_assignment[last - 40] += Fr::ONE;
		drop(inner);
		assert!(!cs.is_satisfied().unwrap());
	}

	#[test]
	fn fixed_size_and_slice_forms_and_constants_agree() {
		let values = [Fr::from(1u64), Fr::from(2u64), Fr::from(3u64)];
		let expected = native::hash(&values);
		let constants = values.map(FpVar::constant);
		let output = hash(&constants).unwrap();
		assert!(output.is_constant(), "constant inputs cost no constraints");
		assert_eq!(output.value().unwrap(), expected);
		assert_eq!(hash_slice(&constants).unwrap().value().unwrap(), expected);
	}

	#[test]
	#[should_panic(expected = "Poseidon takes 1 to 6 inputs, not 7")]
	fn rejects_unsupported_input_counts() {
		let _ = hash_slice(&vec![FpVar::constant(Fr::ONE); MAX_INPUTS + 1]);
	}

	#[test]
	fn constraint_counts() {
		// Measured constraints per hash, by number of inputs (width = inputs + 1):
		// 1: 213, 2: 240, 3: 261, 4: 297, 5: 321, 6: 354.
		let measured: Vec<usize> = (1..=MAX_INPUTS)
			.map(|n| prove(&vec![Fr::ONE; n], Fr::ONE).2)
			.collect();
		assert_eq!(measured, [213, 240, 261, 297, 321, 354]);
		for (n, count) in (1..=MAX_INPUTS).zip(&measured) {
			let partial = native::parameters(n).unwrap().partial_rounds;
			assert_eq!(*count, 3 * (FULL_ROUNDS * (n + 1) + partial) - 3);
		}
	}
}
