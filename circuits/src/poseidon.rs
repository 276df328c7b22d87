//! Poseidon over [`FpVar`], the constraint twin of [`concord_primitives::poseidon`].
//!
//! The state trees and the signed messages are hashed with circomlib's Poseidon, so the circuit
//! must hash exactly as the native code does: the gadget reads the round constants and MDS
//! matrices from `concord_primitives::poseidon::parameters`, the one copy of them, and follows
//! the native permutation step for step (capacity element first and zero, x^5 S-box, 8 full
//! rounds around circomlib's partial rounds).
//!
//! Cost: three constraints per S-box (two squarings and a product); adding round constants and
//! mixing with the MDS matrix are linear and free. A width `t = n + 1` hash therefore costs
//! `3 · (8·t + partial_rounds) − 3` constraints, the `− 3` because the capacity element is a
//! constant in the first round (see the `constraint_counts` test for the figures).

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
	};
	let mut state: Vec<Linear> = core::iter::once(Linear::constant(Fr::ZERO))
		.chain(inputs.iter().map(|input| match input {
			FpVar::Constant(value) => Linear::constant(*value),
			FpVar::Var(var) => basis.push(var),
		}))
		.collect();

	let first_partial = FULL_ROUNDS / 2;
	let partial = first_partial..first_partial + parameters.partial_rounds;
	for (round, round_constants) in parameters.round_constants.chunks_exact(width).enumerate() {
		for (element, constant) in state.iter_mut().zip(round_constants) {
			element.add_constant(*constant);
		}
		let boxed = if partial.contains(&round) { 1 } else { width };
		for element in &mut state[..boxed] {
			*element = basis.sbox(element, &cs)?;
		}
		state = parameters
			.mds
			.chunks_exact(width)
			.map(|row| Linear::combine(row, &state, basis.variables.len()))
			.collect();
		basis.drop_unused(&mut state);
	}
	let output = state.swap_remove(0);
	basis.to_fp_var(&output, &cs)
}

/// The variables the state is a linear combination of: `Variable::One` first.
struct Basis {
	variables: Vec<Variable>,
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
		let mut coefficients = vec![Fr::ZERO; self.variables.len()];
		coefficients[self.variables.len() - 1] = Fr::ONE;
		Linear {
			coefficients,
			value: var.value().ok(),
			constant: false,
		}
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
