//! Baby Jubjub in circomlib's coordinates (EIP-2494).
//!
//! circomlib, circomlibjs and EIP-2494 write the curve as the twisted Edwards curve
//! `168700·x² + y² = 1 + 168696·x²·y²` over the BN254 scalar field. `ark-ed-on-bn254` uses the
//! isomorphic form `x² + y² = 1 + (168696/168700)·x²·y²`; the map is `x_ark = x · SQRT_A`,
//! `y_ark = y`. Concord exposes points (public keys, signatures) in circomlib's coordinates only,
//! so they compare directly with what wallets produce, and borrows arkworks' group arithmetic
//! through the map. The scalar field and the prime-order subgroup are the same in both forms.

use crate::Fr;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective};
use ark_ff::{AdditiveGroup, BigInt, Field, MontFp, PrimeField, Zero};

/// The scalar field of Baby Jubjub's prime-order subgroup (order
/// 2736030358979909402780800718157159386076813972158567259200215660948447373041).
pub use ark_ed_on_bn254::Fr as Scalar;

/// Coefficient `a` of circomlib's curve equation.
pub const A: Fr = MontFp!("168700");

/// Coefficient `d` of circomlib's curve equation.
pub const D: Fr = MontFp!("168696");

/// The square root of `A` that maps circomlib's `x` to arkworks' `x` (`x_ark = x · SQRT_A`).
/// Either root gives an isomorphism; this one, the smaller of the two, is fixed once and for all
/// because any point handed to arkworks (e.g. to the circuits) depends on the choice.
pub const SQRT_A: Fr =
	MontFp!("7214280148105020021932206872019688659210616427216992810330019057549499971851");

/// circomlib's `Base8`: the generator of the prime-order subgroup used by EdDSA.
pub const BASE8: Point = Point {
	x: MontFp!("5299619240641551281634865583518297030282874472190772894086521144482721001553"),
	y: MontFp!("16950150798460657717958625567821834550301663161624707787222815936182638968203"),
};

/// An affine point in circomlib's coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
	pub x: Fr,
	pub y: Fr,
}

impl Point {
	/// The neutral element `(0, 1)`.
	pub const IDENTITY: Point = Point {
		x: Fr::ZERO,
		y: Fr::ONE,
	};

	/// Whether the point satisfies circomlib's curve equation (circomlibjs `inCurve`).
	pub fn is_on_curve(&self) -> bool {
		let (x2, y2) = (self.x.square(), self.y.square());
		A * x2 + y2 == Fr::ONE + D * x2 * y2
	}

	/// Whether the point is on the curve and in the prime-order subgroup (circomlibjs
	/// `inSubgroup`).
	pub fn is_in_subgroup(&self) -> bool {
		self.is_on_curve() && self.to_ark().is_in_correct_subgroup_assuming_on_curve()
	}

	/// The same point on `ark-ed-on-bn254`'s curve.
	pub fn to_ark(&self) -> EdwardsAffine {
		EdwardsAffine::new_unchecked(self.x * SQRT_A, self.y)
	}

	/// A point of `ark-ed-on-bn254`'s curve in circomlib's coordinates.
	pub fn from_ark(point: &EdwardsAffine) -> Point {
		let inverse = SQRT_A.inverse().expect("SQRT_A is not zero");
		Point {
			x: point.x * inverse,
			y: point.y,
		}
	}

	/// `self + other`; both must be on the curve.
	pub fn add(&self, other: &Point) -> Point {
		debug_assert!(self.is_on_curve() && other.is_on_curve());
		Point::from_ark(&(self.to_ark() + other.to_ark()).into_affine())
	}

	/// `k · self` for a non-negative integer `k` given as little-endian 64-bit limbs (any
	/// length, not reduced modulo the subgroup order, as circomlibjs `mulPointEscalar`); `self`
	/// must be on the curve.
	pub fn mul(&self, k: impl AsRef<[u64]>) -> Point {
		debug_assert!(self.is_on_curve());
		Point::from_ark(&self.to_ark().mul_bigint(k).into_affine())
	}

	/// `k · self + m · other` for non-negative integers `k` and `m` (little-endian 64-bit limbs,
	/// any length, not reduced), in one pass of doublings over both scalars (Straus–Shamir): about
	/// 40 % fewer group operations than two [`Point::mul`]s, which is what an EdDSA verification
	/// costs. Both points must be on the curve.
	pub fn mul_add(&self, k: impl AsRef<[u64]>, other: &Point, m: impl AsRef<[u64]>) -> Point {
		debug_assert!(self.is_on_curve() && other.is_on_curve());
		let (p, q) = (self.to_ark(), other.to_ark());
		let both = (p + q).into_affine();
		let (k, m) = (k.as_ref(), m.as_ref());
		let bit = |limbs: &[u64], i: usize| {
			limbs
				.get(i / 64)
				.is_some_and(|limb| limb >> (i % 64) & 1 == 1)
		};
		let mut sum = EdwardsProjective::zero();
		for i in (0..64 * k.len().max(m.len())).rev() {
			sum.double_in_place();
			match (bit(k, i), bit(m, i)) {
				(true, true) => sum += both,
				(true, false) => sum += p,
				(false, true) => sum += q,
				(false, false) => {}
			}
		}
		Point::from_ark(&sum.into_affine())
	}

	/// `-self`: the same `y`, `x` negated (in both coordinate systems, the map scaling `x`).
	pub fn neg(&self) -> Point {
		Point {
			x: -self.x,
			y: self.y,
		}
	}

	/// circomlibjs `packPoint`: `y` in 32 little-endian bytes, with the top bit set when `x` is
	/// in the upper half of the field (`x > (q - 1) / 2`).
	pub fn pack(&self) -> [u8; 32] {
		let mut bytes = to_le_bytes(&self.y);
		if is_upper_half(&self.x) {
			bytes[31] |= 0x80;
		}
		bytes
	}

	/// The inverse of [`Point::pack`]; `None` unless `bytes` is the packing of a curve point.
	///
	/// Stricter than circomlibjs `unpackPoint`, which also accepts a `y` of `q` or more and a
	/// sign bit on `x = 0`: every point has exactly one accepted encoding.
	pub fn unpack(bytes: &[u8; 32]) -> Option<Point> {
		let negative = bytes[31] & 0x80 != 0;
		let mut y_bytes = *bytes;
		y_bytes[31] &= 0x7f;
		let y = Fr::from_bigint(le_bytes_to_bigint(&y_bytes))?;
		let y2 = y.square();
		// A − D·y² ≠ 0 because A is a square and D is not.
		let x2 = (Fr::ONE - y2) * (A - D * y2).inverse()?;
		let mut x = x2.sqrt()?;
		if is_upper_half(&x) {
			x = -x;
		}
		if negative {
			if x == Fr::ZERO {
				return None;
			}
			x = -x;
		}
		Some(Point { x, y })
	}
}

fn is_upper_half(x: &Fr) -> bool {
	x.into_bigint() > Fr::MODULUS_MINUS_ONE_DIV_TWO
}

/// The canonical little-endian encoding of a field element (circomlibjs `F.toRprLE`), for both
/// fields of the curve.
pub(crate) fn to_le_bytes<F: PrimeField<BigInt = BigInt<4>>>(x: &F) -> [u8; 32] {
	let mut bytes = [0u8; 32];
	for (chunk, limb) in bytes.chunks_exact_mut(8).zip(x.into_bigint().0) {
		chunk.copy_from_slice(&limb.to_le_bytes());
	}
	bytes
}

/// The integer with these 32 little-endian bytes.
pub(crate) fn le_bytes_to_bigint(bytes: &[u8; 32]) -> BigInt<4> {
	let mut limbs = [0u64; 4];
	for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
		*limb = u64::from_le_bytes(chunk.try_into().expect("8-byte chunk"));
	}
	BigInt::new(limbs)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::test_vectors;
	use ark_ec::twisted_edwards::TECurveConfig;
	use ark_ed_on_bn254::EdwardsConfig;
	use ark_ff::UniformRand;

	/// circomlibjs `addPoint`, written out in circomlib's coordinates, as an independent check
	/// of the map to arkworks.
	fn circomlib_add(p: &Point, q: &Point) -> Point {
		let beta = p.x * q.y;
		let gamma = p.y * q.x;
		let delta = (p.y - A * p.x) * (q.x + q.y);
		let dtau = D * beta * gamma;
		Point {
			x: (beta + gamma) / (Fr::ONE + dtau),
			y: (delta + A * beta - gamma) / (Fr::ONE - dtau),
		}
	}

	fn random_point(rng: &mut impl ark_std::rand::Rng) -> Point {
		BASE8.mul(Scalar::rand(rng).into_bigint())
	}

	#[test]
	fn constants_define_the_isomorphism() {
		assert_eq!(SQRT_A.square(), A);
		assert!(!is_upper_half(&SQRT_A));
		assert_eq!(A * EdwardsConfig::COEFF_D, D);
		assert_eq!(EdwardsConfig::COEFF_A, Fr::ONE);
	}

	#[test]
	fn base8_matches_circomlibjs_and_generates_the_subgroup() {
		let vectors = test_vectors::get();
		assert_eq!(BASE8.x, test_vectors::fr(&vectors["base8"]["x"]));
		assert_eq!(BASE8.y, test_vectors::fr(&vectors["base8"]["y"]));
		assert_eq!(
			vectors["sub_order"].as_str().unwrap(),
			Scalar::MODULUS.to_string()
		);
		assert_eq!(
			vectors["field_modulus"].as_str().unwrap(),
			Fr::MODULUS.to_string()
		);
		assert!(BASE8.is_in_subgroup());
		assert!(BASE8.to_ark().is_on_curve());
		assert_eq!(BASE8.mul(Scalar::MODULUS), Point::IDENTITY);
		assert_ne!(BASE8, Point::IDENTITY);
	}

	#[test]
	fn arkworks_arithmetic_agrees_with_circomlib_formulas() {
		let mut rng = ark_std::test_rng();
		for _ in 0..20 {
			let (p, q) = (random_point(&mut rng), random_point(&mut rng));
			assert!(p.is_on_curve() && p.to_ark().is_on_curve());
			assert_eq!(Point::from_ark(&p.to_ark()), p);
			assert_eq!(p.add(&q), circomlib_add(&p, &q));
			assert_eq!(p.add(&p), circomlib_add(&p, &p));
			assert_eq!(p.mul([3u64]), circomlib_add(&circomlib_add(&p, &p), &p));
			assert_eq!(p.add(&Point::IDENTITY), p);
		}
	}

	#[test]
	fn a_joint_multiplication_equals_the_sum_of_the_two_products() {
		let mut rng = ark_std::test_rng();
		let order_two = Point {
			x: Fr::ZERO,
			y: -Fr::ONE,
		};
		for _ in 0..10 {
			let (p, q) = (random_point(&mut rng), random_point(&mut rng));
			// Scalars of the base field (above the subgroup order, unreduced) and of the subgroup.
			let k = Fr::rand(&mut rng).into_bigint();
			let m = Scalar::rand(&mut rng).into_bigint();
			assert_eq!(p.mul_add(k, &q, m), p.mul(k).add(&q.mul(m)));
			assert_eq!(p.mul_add(m, &q, k), p.mul(m).add(&q.mul(k)));
			// A point outside the subgroup, scalars of different lengths, zero.
			let mixed = p.add(&order_two);
			assert_eq!(
				mixed.mul_add(k, &q, [5u64]),
				mixed.mul(k).add(&q.mul([5u64]))
			);
			assert_eq!(p.mul_add([0u64], &q, m), q.mul(m));
			assert_eq!(p.mul_add(k, &q, []), p.mul(k));
			assert_eq!(p.add(&p.neg()), Point::IDENTITY);
		}
	}

	#[test]
	fn low_order_points_are_on_the_curve_but_not_in_the_subgroup() {
		// (0, -1) has order 2.
		let order_two = Point {
			x: Fr::ZERO,
			y: -Fr::ONE,
		};
		assert!(order_two.is_on_curve());
		assert!(!order_two.is_in_subgroup());
		assert_eq!(order_two.add(&order_two), Point::IDENTITY);
		assert!(!Point {
			x: Fr::ONE,
			y: Fr::ONE
		}
		.is_on_curve());
	}

	#[test]
	fn pack_round_trips_and_uses_the_sign_of_x() {
		let mut rng = ark_std::test_rng();
		for _ in 0..20 {
			let p = random_point(&mut rng);
			let negated = Point { x: -p.x, y: p.y };
			assert_eq!(Point::unpack(&p.pack()), Some(p));
			assert_eq!(Point::unpack(&negated.pack()), Some(negated));
			assert_eq!(p.pack()[..31], negated.pack()[..31]);
			assert_ne!(p.pack()[31] & 0x80, negated.pack()[31] & 0x80);
		}
		assert_eq!(
			Point::unpack(&Point::IDENTITY.pack()),
			Some(Point::IDENTITY)
		);
	}

	#[test]
	fn unpack_rejects_non_canonical_and_off_curve_encodings() {
		// y = q: not reduced.
		let mut y_is_modulus = [0u8; 32];
		for (chunk, limb) in y_is_modulus.chunks_exact_mut(8).zip(Fr::MODULUS.0) {
			chunk.copy_from_slice(&limb.to_le_bytes());
		}
		assert_eq!(Point::unpack(&y_is_modulus), None);
		// The identity with the sign bit set: x = 0 has no negative.
		let mut negative_zero = Point::IDENTITY.pack();
		negative_zero[31] |= 0x80;
		assert_eq!(Point::unpack(&negative_zero), None);
		// Some y has no x on the curve: about half of them.
		let rejected = (2u64..40)
			.filter(|&y| Point::unpack(&to_le_bytes(&Fr::from(y))).is_none())
			.count();
		assert!(rejected > 0);
	}
}
