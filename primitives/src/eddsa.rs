//! EdDSA-Poseidon on Baby Jubjub, byte for byte as circomlibjs 0.1.7 `eddsa.prv2pub`,
//! `signPoseidon`, `verifyPoseidon`, `packSignature` and `babyJub.packPoint`.
//!
//! L2 operations are signed by wallets with circomlibjs and checked by the runtime and by the
//! circuit, so all three must agree exactly, including how the secret scalar and the nonce are
//! derived (BLAKE-512, as circomlibjs). Messages are single field elements: an operation is
//! first hashed to one with Poseidon.

use crate::{
	babyjubjub::{le_bytes_to_bigint, to_le_bytes, Point, Scalar, BASE8},
	blake512::blake512,
	ops::NetworkId,
	poseidon, Fr,
};
use alloc::string::String;
use ark_ff::PrimeField;
use core::fmt;

/// An EdDSA private key: 32 bytes from which circomlibjs derives the secret scalar and the
/// nonce key.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey(pub [u8; 32]);

/// A public key in circomlib's coordinates (circomlibjs `prv2pub` returns `[x, y]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey {
	pub x: Fr,
	pub y: Fr,
}

/// A signature: the nonce point `R8` in circomlib's coordinates and `S`, a scalar of the
/// prime-order subgroup (being a [`Scalar`], it is below the subgroup order by construction, the
/// check circomlibjs makes when verifying).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
	pub r8: Point,
	pub s: Scalar,
}

impl fmt::Debug for PrivateKey {
	/// Keeps private keys out of logs.
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str("PrivateKey(..)")
	}
}

/// The secret scalar (pruned as circomlibjs `pruneBuffer`, so a multiple of 8 with bit 254 set)
/// and the key that derives nonces.
struct Expanded {
	secret: [u8; 32],
	nonce_key: [u8; 32],
}

impl PrivateKey {
	fn expand(&self) -> Expanded {
		let hash = blake512(&self.0);
		let (mut secret, mut nonce_key) = ([0u8; 32], [0u8; 32]);
		secret.copy_from_slice(&hash[..32]);
		nonce_key.copy_from_slice(&hash[32..]);
		secret[0] &= 0xf8;
		secret[31] &= 0x7f;
		secret[31] |= 0x40;
		Expanded { secret, nonce_key }
	}

	/// circomlibjs `prv2pub`: `Base8 · (s >> 3)`.
	pub fn public_key(&self) -> PublicKey {
		PublicKey::from_point(public_point(&self.expand()))
	}

	/// circomlibjs `signPoseidon`: deterministic, the nonce is
	/// `r = BLAKE-512(nonce_key ‖ msg as 32 little-endian bytes) mod l`.
	pub fn sign(&self, msg: Fr) -> Signature {
		let expanded = self.expand();
		let a = public_point(&expanded);
		let mut nonce_input = [0u8; 64];
		nonce_input[..32].copy_from_slice(&expanded.nonce_key);
		nonce_input[32..].copy_from_slice(&to_le_bytes(&msg));
		let r = Scalar::from_le_bytes_mod_order(&blake512(&nonce_input));
		let r8 = BASE8.mul(r.into_bigint());
		let hm = challenge(&r8, &a, msg);
		let hm = Scalar::from_le_bytes_mod_order(&to_le_bytes(&hm));
		let s = r + hm * Scalar::from_le_bytes_mod_order(&expanded.secret);
		Signature { r8, s }
	}
}

fn public_point(expanded: &Expanded) -> Point {
	BASE8.mul(le_bytes_to_bigint(&expanded.secret) >> 3)
}

/// circomlibjs's challenge `hm = Poseidon(R8.x, R8.y, A.x, A.y, msg)`.
fn challenge(r8: &Point, a: &Point, msg: Fr) -> Fr {
	poseidon::hash(&[r8.x, r8.y, a.x, a.y, msg])
}

impl PublicKey {
	/// The public key at this point (not checked: [`PublicKey::verify`] checks it).
	pub fn from_point(point: Point) -> PublicKey {
		PublicKey {
			x: point.x,
			y: point.y,
		}
	}

	/// The key as a curve point in circomlib's coordinates.
	pub fn point(&self) -> Point {
		Point {
			x: self.x,
			y: self.y,
		}
	}

	/// circomlibjs `verifyPoseidon`: both points on the curve and `Base8 · S = R8 + A · (8·hm)`.
	/// Like circomlibjs, it does not require `A` or `R8` to be in the prime-order subgroup; the
	/// factor 8 clears any small-order component of `A`.
	pub fn verify(&self, msg: Fr, signature: &Signature) -> bool {
		let a = self.point();
		if !a.is_on_curve() || !signature.r8.is_on_curve() {
			return false;
		}
		let hm = challenge(&signature.r8, &a, msg);
		// Base8·S = R8 + 8·hm·A  ⟺  Base8·S + hm·(−8·A) = R8, both products in one pass.
		let minus_8a = a.mul([8u64]).neg();
		BASE8.mul_add(signature.s.into_bigint(), &minus_8a, hm.into_bigint()) == signature.r8
	}

	/// The key's coordinates `x ‖ y`, each as its canonical 32 bytes little-endian: the
	/// stored form (the runtime's account records, state snapshots), which unlike
	/// [`PublicKey::pack`] also represents the unset key `(0, 0)`.
	pub fn to_coordinate_bytes(&self) -> [u8; 64] {
		let mut bytes = [0u8; 64];
		bytes[..32].copy_from_slice(&to_le_bytes(&self.x));
		bytes[32..].copy_from_slice(&to_le_bytes(&self.y));
		bytes
	}

	/// The inverse of [`PublicKey::to_coordinate_bytes`]; `None` for a coordinate not below
	/// the field modulus.
	pub fn from_coordinate_bytes(bytes: &[u8; 64]) -> Option<PublicKey> {
		let coordinate =
			|half: &[u8]| Fr::from_bigint(le_bytes_to_bigint(half.try_into().expect("32 bytes")));
		Some(PublicKey {
			x: coordinate(&bytes[..32])?,
			y: coordinate(&bytes[32..])?,
		})
	}

	/// circomlibjs `babyJub.packPoint(A)`.
	pub fn pack(&self) -> [u8; 32] {
		self.point().pack()
	}

	/// The inverse of [`PublicKey::pack`]; `None` unless the bytes encode a point of the
	/// prime-order subgroup other than the identity, where every key derived from a private
	/// key lies. The identity and the other small-order points (`8·P = 0`) would accept
	/// signatures that anyone can forge, a mixed-order point would let signatures be
	/// malleated, so none is ever an account's key.
	pub fn unpack(bytes: &[u8; 32]) -> Option<PublicKey> {
		Point::unpack(bytes)
			.filter(|point| *point != Point::IDENTITY && point.is_in_subgroup())
			.map(PublicKey::from_point)
	}
}

impl Signature {
	/// circomlibjs `packSignature`: packed `R8` then `S` in 32 little-endian bytes.
	pub fn pack(&self) -> [u8; 64] {
		let mut bytes = [0u8; 64];
		bytes[..32].copy_from_slice(&self.r8.pack());
		bytes[32..].copy_from_slice(&to_le_bytes(&self.s));
		bytes
	}

	/// The inverse of [`Signature::pack`]; `None` if `R8` is not a curve point or `S` is not below
	/// the subgroup order (a signature circomlibjs `verifyPoseidon` would reject).
	pub fn unpack(bytes: &[u8; 64]) -> Option<Signature> {
		let (r8, s) = bytes.split_at(32);
		let r8 = Point::unpack(r8.try_into().expect("32 bytes"))?;
		let s = Scalar::from_bigint(le_bytes_to_bigint(s.try_into().expect("32 bytes")))?;
		Some(Signature { r8, s })
	}
}

/// The message an Ethereum wallet signs (EIP-191 `personal_sign`) to derive its Concord L2 key
/// on `network`:
///
/// ```text
/// Concord L2 key for network 0x<network id, 8 hex digits>: sign this message to control your
/// Concord account on every chain. Only sign it on a Concord site.
/// ```
///
/// (one line). It is part of the protocol: changing it changes every user's L2 key. The network
/// id gives one Ethereum key a different L2 key on every Concord network, so a key used on a
/// testnet (or leaked there) is worth nothing on mainnet.
pub fn l2_key_message(network: NetworkId) -> String {
	alloc::format!(
		"Concord L2 key for network 0x{network:08x}: sign this message to control your \
		 Concord account on every chain. Only sign it on a Concord site."
	)
}

/// The L2 private key of an Ethereum account: `keccak256(r ‖ s ‖ v)` of its 65-byte signature
/// of [`l2_key_message`], with `v` normalised to 27 or 28 (some wallets return 0 or 1).
///
/// Wallets sign deterministically (RFC 6979), so one Ethereum key gives the same L2 key on
/// every chain of a network and on every device, and nobody without the Ethereum key can
/// compute it.
pub fn l2_private_key_from_eth_signature(signature: &[u8; 65]) -> PrivateKey {
	let mut normalised = *signature;
	if normalised[64] <= 1 {
		normalised[64] += 27;
	}
	let mut key = [0u8; 32];
	let mut keccak = tiny_keccak::Keccak::v256();
	tiny_keccak::Hasher::update(&mut keccak, &normalised);
	tiny_keccak::Hasher::finalize(keccak, &mut key);
	PrivateKey(key)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::test_vectors::{self, fr};
	use ark_ff::{AdditiveGroup, Field, UniformRand};
	use core::str::FromStr;
	use serde_json::Value;

	fn bytes<const N: usize>(value: &Value) -> [u8; N] {
		hex::decode(value.as_str().unwrap())
			.unwrap()
			.try_into()
			.unwrap()
	}

	fn public_key(value: &Value) -> PublicKey {
		PublicKey {
			x: fr(&value["x"]),
			y: fr(&value["y"]),
		}
	}

	struct Case {
		key: PrivateKey,
		public: PublicKey,
		msg: Fr,
		signature: Signature,
		packed: [u8; 64],
	}

	/// Every (key, message, signature) of the circomlibjs vectors.
	fn cases() -> Vec<Case> {
		let mut cases = Vec::new();
		for key in test_vectors::get()["eddsa"].as_array().unwrap() {
			for signature in key["signatures"].as_array().unwrap() {
				cases.push(Case {
					key: PrivateKey(bytes(&key["private_key"])),
					public: public_key(&key["public_key"]),
					msg: fr(&signature["msg"]),
					signature: Signature {
						r8: Point {
							x: fr(&signature["r8x"]),
							y: fr(&signature["r8y"]),
						},
						s: Scalar::from_str(signature["s"].as_str().unwrap()).unwrap(),
					},
					packed: bytes(&signature["packed"]),
				});
			}
		}
		assert!(cases.len() >= 30);
		cases
	}

	#[test]
	fn public_keys_match_circomlibjs() {
		for key in test_vectors::get()["eddsa"].as_array().unwrap() {
			let public = PrivateKey(bytes(&key["private_key"])).public_key();
			assert_eq!(public, public_key(&key["public_key"]));
			let packed: [u8; 32] = bytes(&key["public_key_packed"]);
			assert_eq!(public.pack(), packed);
			assert_eq!(PublicKey::unpack(&packed), Some(public));
			assert!(public.point().is_in_subgroup());
		}
	}

	/// The identity, the point of order 2 and a point of order 4 are curve points, and so is a
	/// key plus the point of order 2 (mixed order): none is accepted as a key.
	#[test]
	fn small_and_mixed_order_keys_are_refused() {
		let order_2 = Point {
			x: Fr::ZERO,
			y: -Fr::ONE,
		};
		let order_4 = Point::unpack(&[0u8; 32]).expect("y = 0 is on the curve");
		let public = PrivateKey([7; 32]).public_key().point();
		let mixed = public.add(&order_2);
		// The identity lies in the subgroup (order 1), the others outside it.
		assert!(Point::IDENTITY.is_in_subgroup());
		for point in [order_2, order_4, mixed] {
			assert!(point.is_on_curve());
			assert!(!point.is_in_subgroup());
		}
		for point in [Point::IDENTITY, order_2, order_4, mixed] {
			assert_eq!(PublicKey::unpack(&point.pack()), None, "{point:?}");
		}
		assert_eq!(order_4.mul([4u64]), Point::IDENTITY);
		assert!(PublicKey::unpack(&public.pack()).is_some());
	}

	#[test]
	fn signatures_match_circomlibjs() {
		for case in cases() {
			let signature = case.key.sign(case.msg);
			assert_eq!(signature, case.signature, "message {}", case.msg);
			assert_eq!(signature.pack(), case.packed);
			assert_eq!(Signature::unpack(&case.packed), Some(signature));
		}
	}

	#[test]
	fn accepts_circomlibjs_signatures_and_rejects_tampered_ones() {
		let cases = cases();
		for (i, case) in cases.iter().enumerate() {
			let (public, msg, signature) = (&case.public, case.msg, case.signature);
			assert!(public.verify(msg, &signature));
			assert!(
				!public.verify(msg + Fr::ONE, &signature),
				"tampered message"
			);
			let tampered_s = Signature {
				s: signature.s + Scalar::ONE,
				..signature
			};
			assert!(!public.verify(msg, &tampered_s), "tampered S");
			let tampered_r8 = Signature {
				r8: signature.r8.add(&BASE8),
				..signature
			};
			assert!(!public.verify(msg, &tampered_r8), "tampered R8");
			let off_curve = Signature {
				r8: Point {
					x: signature.r8.x + Fr::ONE,
					..signature.r8
				},
				..signature
			};
			assert!(!public.verify(msg, &off_curve), "R8 off the curve");
			let other = &cases[(i + 5) % cases.len()].public;
			assert_ne!(other, public);
			assert!(!other.verify(msg, &signature), "another key");
		}
	}

	#[test]
	fn signs_and_verifies_random_messages() {
		let mut rng = ark_std::test_rng();
		for _ in 0..10 {
			let mut key = [0u8; 32];
			ark_std::rand::RngCore::fill_bytes(&mut rng, &mut key);
			let key = PrivateKey(key);
			let msg = Fr::rand(&mut rng);
			let signature = key.sign(msg);
			assert!(key.public_key().verify(msg, &signature));
			assert!(!key.public_key().verify(Fr::rand(&mut rng), &signature));
		}
	}

	#[test]
	fn signature_unpack_rejects_s_not_below_the_subgroup_order() {
		let case = &cases()[0];
		let mut packed = case.packed;
		for (chunk, limb) in packed[32..].chunks_exact_mut(8).zip(Scalar::MODULUS.0) {
			chunk.copy_from_slice(&limb.to_le_bytes());
		}
		assert_eq!(Signature::unpack(&packed), None);
	}

	#[test]
	fn l2_key_derivation_matches_the_javascript_rule() {
		let vector = &test_vectors::get()["l2_key"];
		let network = vector["network"].as_u64().unwrap() as NetworkId;
		assert_eq!(vector["message"].as_str().unwrap(), l2_key_message(network));
		assert!(l2_key_message(0x0102_0304).starts_with("Concord L2 key for network 0x01020304: "));
		let signature: [u8; 65] = bytes(&vector["eth_signature"]);
		let key = l2_private_key_from_eth_signature(&signature);
		assert_eq!(key.0, bytes::<32>(&vector["l2_private_key"]));
		assert_eq!(key.public_key(), public_key(&vector["public_key"]));
		// The same signature with v as 0 or 1 gives the same key.
		let mut raw_v = signature;
		raw_v[64] -= 27;
		assert_eq!(l2_private_key_from_eth_signature(&raw_v), key);
	}

	#[test]
	fn private_key_debug_hides_the_key() {
		assert_eq!(format!("{:?}", PrivateKey([7; 32])), "PrivateKey(..)");
	}
}
