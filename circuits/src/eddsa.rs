//! EdDSA-Poseidon verification in constraints, the twin of
//! [`concord_primitives::eddsa::PublicKey::verify`]: [`PublicKeyVar`] beside `PublicKey`,
//! [`SignatureVar`] beside `Signature`.
//!
//! The circuit must accept exactly the signatures the runtime accepts, or an operator could
//! include an operation the runtime refused (or be unable to prove one it accepted). So the gadget
//! repeats the native checks step for step: both points on the curve, the challenge
//! `hm = Poseidon(R8.x, R8.y, A.x, A.y, msg)`, and `Base8 · S = R8 + 8 · hm · A` with `hm` taken
//! as an integer below the field modulus. Like the native code (and circomlibjs), it does not ask
//! for `A` or `R8` to be in the prime-order subgroup.
//!
//! `S` is a native `Scalar`, below the subgroup order `l` by its type; in the circuit it is a
//! field element, so the gadget enforces `S < l` (a prover cannot use `S + l`, which satisfies the
//! same equation, and the circuit stays as strict as the type).

use crate::{babyjubjub::PointVar, poseidon, Fr};
use ark_ff::PrimeField;
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{Namespace, SynthesisError};
use concord_primitives::{
	babyjubjub::{Scalar, BASE8},
	eddsa::{PublicKey, Signature},
};
use core::borrow::Borrow;

/// A public key in circomlib's coordinates, the twin of `PublicKey`.
#[derive(Clone, Debug)]
pub struct PublicKeyVar {
	pub x: FpVar<Fr>,
	pub y: FpVar<Fr>,
}

/// A signature, the twin of `Signature`: `s` holds the integer value of the scalar `S`.
#[derive(Clone, Debug)]
pub struct SignatureVar {
	pub r8: PointVar,
	pub s: FpVar<Fr>,
}

/// The little-endian bits of `S`, enforced to be those of an integer below the subgroup order.
fn scalar_bits(s: &FpVar<Fr>) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
	let (bits, _) = s.to_bits_le_with_top_bits_zero(Scalar::MODULUS_BIT_SIZE as usize)?;
	// l is odd, so l − 1 only changes the lowest limb.
	let mut largest = Scalar::MODULUS;
	largest.0[0] -= 1;
	Boolean::enforce_smaller_or_equal_than_le(&bits, largest)?;
	Ok(bits)
}

impl PublicKeyVar {
	/// The key as a curve point.
	pub fn point(&self) -> PointVar {
		PointVar {
			x: self.x.clone(),
			y: self.y.clone(),
		}
	}

	/// Whether `signature` signs `msg` under this key, as `PublicKey::verify`: false for points
	/// off the curve or a failed equation, as natively. An `S` not below the subgroup order
	/// (which no native `Signature` holds) leaves the constraint system unsatisfied.
	pub fn verify(
		&self,
		msg: &FpVar<Fr>,
		signature: &SignatureVar,
	) -> Result<Boolean<Fr>, SynthesisError> {
		let a = self.point();
		let (a_on_curve, r8_on_curve) = (a.is_on_curve()?, signature.r8.is_on_curve()?);
		let hm = poseidon::hash(&[
			signature.r8.x.clone(),
			signature.r8.y.clone(),
			self.x.clone(),
			self.y.clone(),
			msg.clone(),
		])?;
		// The curve arithmetic below is only sound and satisfiable on the curve (its divisions
		// assume it), so a point off the curve is replaced by Base8: the answer is then false
		// regardless, as natively, instead of the system becoming unsatisfiable.
		let base8 = PointVar::constant(BASE8);
		let a = a_on_curve.select(&a, &base8)?;
		let r8 = r8_on_curve.select(&signature.r8, &base8)?;

		let left = PointVar::fixed_base_mul_le(BASE8, &scalar_bits(&signature.s)?)?;
		let eight_a = a.double()?.double()?.double()?;
		let right = r8.add(&eight_a.scalar_mul_le(&hm.to_bits_le()?)?)?;
		Ok(a_on_curve & r8_on_curve & left.is_eq(&right)?)
	}
}

impl AllocVar<PublicKey, Fr> for PublicKeyVar {
	fn new_variable<T: Borrow<PublicKey>>(
		cs: impl Into<Namespace<Fr>>,
		f: impl FnOnce() -> Result<T, SynthesisError>,
		mode: AllocationMode,
	) -> Result<Self, SynthesisError> {
		let point = PointVar::new_variable(cs, || f().map(|key| key.borrow().point()), mode)?;
		Ok(Self {
			x: point.x,
			y: point.y,
		})
	}
}

impl AllocVar<Signature, Fr> for SignatureVar {
	fn new_variable<T: Borrow<Signature>>(
		cs: impl Into<Namespace<Fr>>,
		f: impl FnOnce() -> Result<T, SynthesisError>,
		mode: AllocationMode,
	) -> Result<Self, SynthesisError> {
		let cs = cs.into().cs();
		let signature = f().map(|signature| *signature.borrow());
		Ok(Self {
			r8: PointVar::new_variable(cs.clone(), || signature.map(|s| s.r8), mode)?,
			s: FpVar::new_variable(
				cs,
				|| {
					signature.map(|s| {
						Fr::from_bigint(s.s.into_bigint()).expect("l is below the field modulus")
					})
				},
				mode,
			)?,
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ark_ff::{Field, UniformRand};
	use ark_relations::gr1cs::{ConstraintSystem, SynthesisMode};
	use concord_primitives::{babyjubjub::Point, eddsa::PrivateKey};

	/// Runs the gadget on witnesses; returns (its answer, satisfied, constraints).
	fn verify(key: &PublicKey, msg: Fr, signature: &SignatureVarValue) -> (bool, bool, usize) {
		let cs = ConstraintSystem::<Fr>::new_ref();
		let key = PublicKeyVar::new_witness(cs.clone(), || Ok(*key)).unwrap();
		let msg = FpVar::new_witness(cs.clone(), || Ok(msg)).unwrap();
		let signature = SignatureVar {
			r8: PointVar::new_witness(cs.clone(), || Ok(signature.r8)).unwrap(),
			s: FpVar::new_witness(cs.clone(), || Ok(signature.s)).unwrap(),
		};
		let answer = key.verify(&msg, &signature).unwrap();
		let answer = answer.value().unwrap();
		(answer, cs.is_satisfied().unwrap(), cs.num_constraints())
	}

	/// A signature's witness values, `s` as a field element so a test can make it too large.
	struct SignatureVarValue {
		r8: Point,
		s: Fr,
	}

	fn value(signature: &Signature) -> SignatureVarValue {
		SignatureVarValue {
			r8: signature.r8,
			s: Fr::from_bigint(signature.s.into_bigint()).unwrap(),
		}
	}

	fn keys(count: usize) -> Vec<PrivateKey> {
		let mut rng = ark_std::test_rng();
		(0..count)
			.map(|_| {
				let mut seed = [0u8; 32];
				ark_std::rand::RngCore::fill_bytes(&mut rng, &mut seed);
				PrivateKey(seed)
			})
			.collect()
	}

	#[test]
	fn accepts_valid_signatures() {
		let mut rng = ark_std::test_rng();
		for key in keys(3) {
			let msg = Fr::rand(&mut rng);
			let signature = key.sign(msg);
			let public = key.public_key();
			assert!(public.verify(msg, &signature));
			let (answer, satisfied, _) = verify(&public, msg, &value(&signature));
			assert!(answer && satisfied);
			// The allocation helper agrees with the manual witnesses above.
			let cs = ConstraintSystem::<Fr>::new_ref();
			let answer = PublicKeyVar::new_witness(cs.clone(), || Ok(public))
				.unwrap()
				.verify(
					&FpVar::new_input(cs.clone(), || Ok(msg)).unwrap(),
					&SignatureVar::new_witness(cs.clone(), || Ok(signature)).unwrap(),
				)
				.unwrap();
			answer.enforce_equal(&Boolean::TRUE).unwrap();
			assert!(cs.is_satisfied().unwrap());
		}
	}

	#[test]
	fn rejects_what_native_rejects() {
		let mut rng = ark_std::test_rng();
		let keys = keys(2);
		let (public, other) = (keys[0].public_key(), keys[1].public_key());
		let msg = Fr::rand(&mut rng);
		let signature = keys[0].sign(msg);
		let off_curve = |p: Point| Point {
			x: p.x + Fr::ONE,
			..p
		};
		let cases: [(&str, PublicKey, Fr, Signature); 7] = [
			("message", public, msg + Fr::ONE, signature),
			("another key", other, msg, signature),
			("another key's signature", public, msg, keys[1].sign(msg)),
			(
				"S",
				public,
				msg,
				Signature {
					s: signature.s + Scalar::ONE,
					..signature
				},
			),
			(
				"R8",
				public,
				msg,
				Signature {
					r8: signature.r8.add(&BASE8),
					..signature
				},
			),
			(
				"R8 off the curve",
				public,
				msg,
				Signature {
					r8: off_curve(signature.r8),
					..signature
				},
			),
			(
				"key off the curve",
				PublicKey::from_point(off_curve(public.point())),
				msg,
				signature,
			),
		];
		for (name, key, msg, signature) in cases {
			assert!(!key.verify(msg, &signature), "{name}");
			// False, with a satisfiable system: the caller decides what a bad signature means.
			let (answer, satisfied, _) = verify(&key, msg, &value(&signature));
			assert_eq!((answer, satisfied), (false, true), "{name}");
		}
	}

	#[test]
	fn s_not_below_the_subgroup_order_is_unsatisfiable() {
		let key = &keys(1)[0];
		let msg = Fr::from(42u64);
		let signature = key.sign(msg);
		let order = Fr::from_bigint(Scalar::MODULUS).unwrap();
		// `S + l` satisfies the curve equation: only the range check rejects it.
		let mut too_large = value(&signature);
		too_large.s += order;
		assert_eq!(
			BASE8.mul(too_large.s.into_bigint()),
			BASE8.mul(signature.s.into_bigint())
		);
		assert!(!verify(&key.public_key(), msg, &too_large).1);
	}

	#[test]
	fn setup_mode_has_the_same_shape() {
		let cs = ConstraintSystem::<Fr>::new_ref();
		cs.set_mode(SynthesisMode::Setup);
		let missing = || Err::<Fr, _>(SynthesisError::AssignmentMissing);
		let key = PublicKeyVar::new_witness(cs.clone(), || {
			Err::<PublicKey, _>(SynthesisError::AssignmentMissing)
		})
		.unwrap();
		let signature = SignatureVar::new_witness(cs.clone(), || {
			Err::<Signature, _>(SynthesisError::AssignmentMissing)
		})
		.unwrap();
		let msg = FpVar::new_input(cs.clone(), missing).unwrap();
		let _ = key.verify(&msg, &signature).unwrap();
		let key = &keys(1)[0];
		let signature = key.sign(Fr::ONE);
		let proving = verify(&key.public_key(), Fr::ONE, &value(&signature)).2;
		assert_eq!(cs.num_constraints(), proving);
	}

	#[test]
	fn constraint_count() {
		let key = &keys(1)[0];
		let signature = key.sign(Fr::ONE);
		// Measured: 5417 constraints per verification: the variable-base multiplication by
		// `hm` 2919, the strict decomposition of `hm` into 254 bits 640, the fixed-base
		// multiplication by `S` 878, the bits of `S` with their range check 617, the 5-input
		// Poseidon 321, and 42 for the curve checks, `8·A`, the last addition and the equality.
		assert_eq!(
			verify(&key.public_key(), Fr::ONE, &value(&signature)).2,
			5417
		);
	}
}
