//! Baby Jubjub points in constraints, in circomlib's coordinates: [`PointVar`] is the twin of
//! [`concord_primitives::babyjubjub::Point`].
//!
//! The curve is `A·x² + y² = 1 + D·x²·y²` over the circuit's own field (BN254's scalar field),
//! so its arithmetic is native field arithmetic on [`FpVar`] and costs a few constraints per
//! operation. `A` is a square and `D` is not, which makes the twisted Edwards addition law
//! complete: one formula adds any two curve points, doubles, and handles the identity, with
//! denominators that never vanish on the curve. The gadgets therefore need no special cases, but
//! they assume their inputs are on the curve; [`PointVar::is_on_curve`] is how callers check.
//!
//! Costs: addition 6 constraints, doubling 5; scalar multiplications take two bits at a time,
//! 11.5 constraints per bit with a variable base and 3.5 with a fixed one (whose multiples are
//! constants).

use crate::Fr;
use ark_ff::Field;
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{Namespace, SynthesisError};
use concord_primitives::babyjubjub::{Point, A, D};
use core::borrow::Borrow;

/// An affine point in circomlib's coordinates, the twin of `Point`. Not constrained to the curve
/// on allocation, like `Point`: see [`PointVar::is_on_curve`].
#[derive(Clone, Debug)]
pub struct PointVar {
	pub x: FpVar<Fr>,
	pub y: FpVar<Fr>,
}

/// `numerator / denominator` in one constraint, none if the denominator is a constant. The
/// caller guarantees a non-zero denominator (the complete addition law does, on the curve).
fn divide(numerator: &FpVar<Fr>, denominator: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
	match denominator {
		FpVar::Constant(denominator) => {
			Ok(numerator * denominator.inverse().ok_or(SynthesisError::Unsatisfiable)?)
		}
		_ => numerator.mul_by_inverse_unchecked(denominator),
	}
}

impl PointVar {
	/// A point fixed at circuit design time: operations on constants cost nothing.
	pub fn constant(point: Point) -> Self {
		Self {
			x: FpVar::constant(point.x),
			y: FpVar::constant(point.y),
		}
	}

	/// The neutral element `(0, 1)`.
	pub fn identity() -> Self {
		Self::constant(Point::IDENTITY)
	}

	/// Whether the point satisfies the curve equation, as `Point::is_on_curve` (5 constraints).
	pub fn is_on_curve(&self) -> Result<Boolean<Fr>, SynthesisError> {
		let (x2, y2) = (self.x.square()?, self.y.square()?);
		let left = &x2 * A + &y2;
		let right = x2 * &y2 * D + Fr::ONE;
		left.is_eq(&right)
	}

	/// `self + other` (circomlib's `BabyAdd`, 6 constraints); both must be on the curve.
	pub fn add(&self, other: &Self) -> Result<Self, SynthesisError> {
		let (x1, y1, x2, y2) = (&self.x, &self.y, &other.x, &other.y);
		let beta = x1 * y2;
		let gamma = y1 * x2;
		let delta = (y1 - x1 * A) * (x2 + y2);
		let tau = &beta * &gamma * D;
		let x3 = divide(&(&beta + &gamma), &(&tau + Fr::ONE))?;
		let y3 = divide(&(delta + beta * A - gamma), &(FpVar::one() - tau))?;
		Ok(Self { x: x3, y: y3 })
	}

	/// `2 · self` (5 constraints); the point must be on the curve. The denominators
	/// `A·x² + y²` and `2 − A·x² − y²` are those of the addition law rewritten with the curve
	/// equation, so they do not vanish either.
	pub fn double(&self) -> Result<Self, SynthesisError> {
		let xy = &self.x * &self.y;
		let (ax2, y2) = (self.x.square()? * A, self.y.square()?);
		let x3 = divide(&xy.double()?, &(&ax2 + &y2))?;
		let y3 = divide(&(&y2 - &ax2), &(FpVar::constant(Fr::from(2u64)) - ax2 - y2))?;
		Ok(Self { x: x3, y: y3 })
	}

	/// `k · self` for the integer `k` with these little-endian bits, as `Point::mul`; the point
	/// must be on the curve. Two bits at a time from the most significant: `result` becomes
	/// `4 · result + j · self` with `j · self` looked up in a table of the four multiples,
	/// 23 constraints per pair (two doublings, a 7-constraint lookup, an addition) against 26
	/// one bit at a time.
	pub fn scalar_mul_le(&self, bits: &[Boolean<Fr>]) -> Result<Self, SynthesisError> {
		let double = self.double()?;
		let triple = double.add(self)?;
		let table = [Self::identity(), self.clone(), double, triple];
		let mut result = Self::identity();
		for (i, window) in bits.chunks(2).rev().enumerate() {
			if i > 0 {
				result = result.double()?.double()?;
			}
			result = result.add(&Self::lookup(window, &table)?)?;
		}
		Ok(result)
	}

	/// `k · base` for a constant `base` on the curve and the integer `k` with these
	/// little-endian bits, two bits at a time (7 constraints per pair). The multiples
	/// `j · 4^w · base` (`j` in 0..4) are constants, so the lookup costs only the product of the
	/// two bits; one addition per pair follows.
	pub fn fixed_base_mul_le(base: Point, bits: &[Boolean<Fr>]) -> Result<Self, SynthesisError> {
		let mut result = Self::identity();
		let mut multiple = base;
		for window in bits.chunks(2) {
			let double = multiple.add(&multiple);
			let triple = double.add(&multiple);
			let table = [Point::IDENTITY, multiple, double, triple].map(Self::constant);
			result = result.add(&Self::lookup(window, &table)?)?;
			multiple = triple.add(&multiple);
		}
		Ok(result)
	}

	/// `table[b0 + 2·b1]` for one or two little-endian bits `[b0, b1]` (`table[b0]` for one),
	/// as the multilinear polynomial through the table: one constraint for `b0·b1`, plus one per
	/// product of a bit with a variable (none for a constant table).
	fn lookup(bits: &[Boolean<Fr>], table: &[Self; 4]) -> Result<Self, SynthesisError> {
		let b0 = FpVar::from(bits[0].clone());
		let b1 = bits
			.get(1)
			.map_or(FpVar::zero(), |bit| FpVar::from(bit.clone()));
		let b01 = &b0 * &b1;
		let coordinate = |c: [&FpVar<Fr>; 4]| {
			&b0 * (c[1] - c[0]) + &b1 * (c[2] - c[0]) + &b01 * (c[3] - c[2] - c[1] + c[0]) + c[0]
		};
		Ok(Self {
			x: coordinate([&table[0].x, &table[1].x, &table[2].x, &table[3].x]),
			y: coordinate([&table[0].y, &table[1].y, &table[2].y, &table[3].y]),
		})
	}

	/// Whether both coordinates are equal.
	pub fn is_eq(&self, other: &Self) -> Result<Boolean<Fr>, SynthesisError> {
		Ok(self.x.is_eq(&other.x)? & self.y.is_eq(&other.y)?)
	}

	/// The point's value, when the constraint system has one.
	pub fn value(&self) -> Result<Point, SynthesisError> {
		Ok(Point {
			x: self.x.value()?,
			y: self.y.value()?,
		})
	}
}

impl CondSelectGadget<Fr> for PointVar {
	fn conditionally_select(
		cond: &Boolean<Fr>,
		true_value: &Self,
		false_value: &Self,
	) -> Result<Self, SynthesisError> {
		Ok(Self {
			x: cond.select(&true_value.x, &false_value.x)?,
			y: cond.select(&true_value.y, &false_value.y)?,
		})
	}
}

impl AllocVar<Point, Fr> for PointVar {
	fn new_variable<T: Borrow<Point>>(
		cs: impl Into<Namespace<Fr>>,
		f: impl FnOnce() -> Result<T, SynthesisError>,
		mode: AllocationMode,
	) -> Result<Self, SynthesisError> {
		let cs = cs.into().cs();
		let point = f().map(|point| *point.borrow());
		Ok(Self {
			x: FpVar::new_variable(cs.clone(), || point.map(|p| p.x), mode)?,
			y: FpVar::new_variable(cs, || point.map(|p| p.y), mode)?,
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ark_ff::{AdditiveGroup, BigInteger, PrimeField, UniformRand};
	use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
	use concord_primitives::babyjubjub::{Scalar, BASE8};

	fn random_point(rng: &mut impl ark_std::rand::Rng) -> Point {
		BASE8.mul(Scalar::rand(rng).into_bigint())
	}

	fn witness(cs: &ConstraintSystemRef<Fr>, point: Point) -> PointVar {
		PointVar::new_witness(cs.clone(), || Ok(point)).unwrap()
	}

	fn bits(cs: &ConstraintSystemRef<Fr>, value: Scalar) -> Vec<Boolean<Fr>> {
		value
			.into_bigint()
			.to_bits_le()
			.into_iter()
			.take(Scalar::MODULUS_BIT_SIZE as usize)
			.map(|bit| Boolean::new_witness(cs.clone(), || Ok(bit)).unwrap())
			.collect()
	}

	#[test]
	fn arithmetic_matches_native() {
		let mut rng = ark_std::test_rng();
		for _ in 0..5 {
			let (p, q) = (random_point(&mut rng), random_point(&mut rng));
			let k = Scalar::rand(&mut rng);
			let cs = ConstraintSystem::<Fr>::new_ref();
			let (pv, qv) = (witness(&cs, p), witness(&cs, q));
			assert_eq!(pv.add(&qv).unwrap().value().unwrap(), p.add(&q));
			assert_eq!(pv.add(&pv).unwrap().value().unwrap(), p.add(&p));
			assert_eq!(pv.double().unwrap().value().unwrap(), p.add(&p));
			let identity = witness(&cs, Point::IDENTITY);
			assert_eq!(pv.add(&identity).unwrap().value().unwrap(), p);
			assert_eq!(identity.double().unwrap().value().unwrap(), Point::IDENTITY);
			let k_bits = bits(&cs, k);
			assert_eq!(
				pv.scalar_mul_le(&k_bits).unwrap().value().unwrap(),
				p.mul(k.into_bigint())
			);
			assert_eq!(
				PointVar::fixed_base_mul_le(BASE8, &k_bits)
					.unwrap()
					.value()
					.unwrap(),
				BASE8.mul(k.into_bigint())
			);
			assert!(pv.is_on_curve().unwrap().value().unwrap());
			assert!(cs.is_satisfied().unwrap());
		}
	}

	#[test]
	fn scalar_multiplications_match_native_on_edge_scalars() {
		let mut rng = ark_std::test_rng();
		let p = random_point(&mut rng);
		let cs = ConstraintSystem::<Fr>::new_ref();
		let pv = witness(&cs, p);
		// Full-width scalars (an odd number of bits, so a one-bit last window).
		for k in [0u64, 1, 2, 3, 4, 5]
			.map(Scalar::from)
			.into_iter()
			.chain([-Scalar::ONE])
		{
			let k_bits = bits(&cs, k);
			let expected = (p.mul(k.into_bigint()), BASE8.mul(k.into_bigint()));
			let variable = pv.scalar_mul_le(&k_bits).unwrap().value().unwrap();
			let fixed = PointVar::fixed_base_mul_le(BASE8, &k_bits).unwrap();
			assert_eq!((variable, fixed.value().unwrap()), expected, "{k}");
		}
		// Every 4-bit scalar (an even number of bits).
		for k in 0..16u64 {
			let k_bits: Vec<_> = (0..4)
				.map(|i| Boolean::new_witness(cs.clone(), || Ok(k >> i & 1 == 1)).unwrap())
				.collect();
			let variable = pv.scalar_mul_le(&k_bits).unwrap().value().unwrap();
			let fixed = PointVar::fixed_base_mul_le(BASE8, &k_bits).unwrap();
			assert_eq!(
				(variable, fixed.value().unwrap()),
				(p.mul([k]), BASE8.mul([k])),
				"{k}"
			);
		}
		assert!(cs.is_satisfied().unwrap());
	}

	#[test]
	fn is_on_curve_matches_native() {
		let mut rng = ark_std::test_rng();
		let p = random_point(&mut rng);
		for (point, expected) in [
			(p, true),
			(Point::IDENTITY, true),
			(
				Point {
					x: p.x + Fr::ONE,
					..p
				},
				false,
			),
			(
				Point {
					x: Fr::ZERO,
					y: Fr::from(2u64),
				},
				false,
			),
		] {
			assert_eq!(point.is_on_curve(), expected);
			let cs = ConstraintSystem::<Fr>::new_ref();
			let answer = witness(&cs, point).is_on_curve().unwrap();
			assert_eq!(answer.value().unwrap(), expected);
			assert!(cs.is_satisfied().unwrap());
		}
	}

	#[test]
	fn a_wrong_sum_is_unsatisfiable() {
		let mut rng = ark_std::test_rng();
		let (p, q) = (random_point(&mut rng), random_point(&mut rng));
		let cs = ConstraintSystem::<Fr>::new_ref();
		let sum = witness(&cs, p).add(&witness(&cs, q)).unwrap();
		let claimed = witness(&cs, p.add(&q).add(&BASE8));
		sum.x.enforce_equal(&claimed.x).unwrap();
		sum.y.enforce_equal(&claimed.y).unwrap();
		assert!(!cs.is_satisfied().unwrap());
	}

	#[test]
	fn constraint_counts() {
		let mut rng = ark_std::test_rng();
		let (p, q) = (random_point(&mut rng), random_point(&mut rng));
		let count = |f: &dyn Fn(&ConstraintSystemRef<Fr>)| {
			let cs = ConstraintSystem::<Fr>::new_ref();
			f(&cs);
			assert!(cs.is_satisfied().unwrap());
			cs.num_constraints()
		};
		// Measured: add 6, double 5, on-curve check 5; a 251-bit scalar multiplication, with
		// the 251 booleanity constraints of its bits, costs 3144 with a variable base (126
		// windows of at most 23 constraints, the table 11, the first window cheaper) and 1129
		// with a fixed base (126 windows of 7, the first and the one-bit last cheaper).
		assert_eq!(count(&|cs| drop(witness(cs, p).add(&witness(cs, q)))), 6);
		assert_eq!(count(&|cs| drop(witness(cs, p).double())), 5);
		assert_eq!(count(&|cs| drop(witness(cs, p).is_on_curve())), 5);
		let k = Scalar::rand(&mut rng);
		let variable = count(&|cs| drop(witness(cs, p).scalar_mul_le(&bits(cs, k))));
		let fixed = count(&|cs| drop(PointVar::fixed_base_mul_le(BASE8, &bits(cs, k))));
		assert_eq!((variable, fixed), (3144, 1129));
	}
}
