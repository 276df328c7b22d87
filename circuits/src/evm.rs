//! Groth16 proofs and verifying keys as the EVM sees them: 32-byte big-endian words in the
//! order of the EIP-196/197 precompiles, and the Solidity verifier of a verifying key.
//!
//! A G1 point is `[x, y]`, the point at infinity `[0, 0]`. A G2 point is
//! `[x.c1, x.c0, y.c1, y.c0]`: the precompile reads an `Fq2` element imaginary part first,
//! the reverse of arkworks' `c0, c1`. A scalar (a public input) is one word. The appchain keeps
//! arkworks' canonical bytes; this module is the only place that converts between the two.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField, Zero};
use ark_groth16::{Proof, VerifyingKey};
use core::fmt;

/// One EVM word: 32 bytes, big-endian.
pub type Word = [u8; 32];

/// Why words are not a point of the group they should encode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointError {
	/// A coordinate word is not below the base field modulus.
	CoordinateNotInField,
	/// The coordinates satisfy no curve equation (and are not `(0, 0)`).
	NotOnCurve,
	/// A G2 point on the curve but outside the prime-order subgroup.
	NotInSubgroup,
}

/// The three points of a Groth16 proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofPoint {
	A,
	B,
	C,
}

/// Why an EVM encoding does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvmError {
	/// A point of a proof is not a valid point of its group.
	BadProofPoint {
		point: ProofPoint,
		error: PointError,
	},
	/// A public input word is not below the scalar field modulus `r`.
	ScalarNotInField,
	/// A hex word is not `0x` followed by 64 hex digits.
	MalformedHexWord,
	/// A proof is 8 words.
	ProofWordCount(usize),
}

impl fmt::Display for PointError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(match self {
			PointError::CoordinateNotInField => "a coordinate is not below the base field modulus",
			PointError::NotOnCurve => "the point is not on the curve",
			PointError::NotInSubgroup => "the point is not in the prime-order subgroup",
		})
	}
}

impl fmt::Display for EvmError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			EvmError::BadProofPoint { point, error } => write!(f, "proof point {point:?}: {error}"),
			EvmError::ScalarNotInField => {
				f.write_str("public input is not below the scalar field modulus")
			}
			EvmError::MalformedHexWord => {
				f.write_str("not 0x and hex digits (64 for a word, an even number for bytes)")
			}
			EvmError::ProofWordCount(n) => write!(f, "a proof is 8 words, got {n}"),
		}
	}
}

impl std::error::Error for PointError {}
impl std::error::Error for EvmError {}

/// A Groth16 proof as `verifyProof` takes it:
/// `[A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvmProof {
	pub words: [Word; 8],
}

impl From<&Proof<Bn254>> for EvmProof {
	fn from(proof: &Proof<Bn254>) -> Self {
		let [ax, ay] = g1_to_words(&proof.a);
		let [bx1, bx0, by1, by0] = g2_to_words(&proof.b);
		let [cx, cy] = g1_to_words(&proof.c);
		EvmProof {
			words: [ax, ay, bx1, bx0, by1, by0, cx, cy],
		}
	}
}

impl EvmProof {
	/// The arkworks proof, with every point checked to be in its group.
	pub fn to_proof(&self) -> Result<Proof<Bn254>, EvmError> {
		let w = &self.words;
		let bad = |point| move |error| EvmError::BadProofPoint { point, error };
		Ok(Proof {
			a: g1_from_words(&[w[0], w[1]]).map_err(bad(ProofPoint::A))?,
			b: g2_from_words(&[w[2], w[3], w[4], w[5]]).map_err(bad(ProofPoint::B))?,
			c: g1_from_words(&[w[6], w[7]]).map_err(bad(ProofPoint::C))?,
		})
	}

	/// The words as `0x` hex strings, for JSON.
	pub fn to_hex(&self) -> [String; 8] {
		self.words.map(|word| word_to_hex(&word))
	}

	/// Parses eight `0x` hex words. The points are not checked here: see [`Self::to_proof`].
	pub fn from_hex<S: AsRef<str>>(words: &[S]) -> Result<Self, EvmError> {
		let parsed = words
			.iter()
			.map(|word| word_from_hex(word.as_ref()))
			.collect::<Result<Vec<_>, _>>()?;
		let words = parsed
			.try_into()
			.map_err(|v: Vec<_>| EvmError::ProofWordCount(v.len()))?;
		Ok(EvmProof { words })
	}
}

/// A base field element as a word.
pub fn fq_to_word(x: &Fq) -> Word {
	to_word(x.into_bigint().to_bytes_be())
}

/// A scalar (a public input) as a word.
pub fn fr_to_word(x: &Fr) -> Word {
	concord_primitives::commitment::fr_to_be_bytes(x)
}

/// A word as a scalar; a word not below `r` is rejected rather than reduced, as the verifier
/// contract rejects it.
pub fn fr_from_word(word: &Word) -> Result<Fr, EvmError> {
	concord_primitives::commitment::fr_from_be_bytes(word).ok_or(EvmError::ScalarNotInField)
}

/// `[x, y]`, or `[0, 0]` for the point at infinity.
pub fn g1_to_words(p: &G1Affine) -> [Word; 2] {
	match p.xy() {
		Some((x, y)) => [fq_to_word(&x), fq_to_word(&y)],
		None => [[0; 32]; 2],
	}
}

/// The G1 point of `[x, y]`; `[0, 0]` is the point at infinity.
pub fn g1_from_words(words: &[Word; 2]) -> Result<G1Affine, PointError> {
	let (x, y) = (fq_from_word(&words[0])?, fq_from_word(&words[1])?);
	if x.is_zero() && y.is_zero() {
		return Ok(G1Affine::identity());
	}
	// G1 has cofactor 1: every point on the curve is in the subgroup.
	let p = G1Affine::new_unchecked(x, y);
	if !p.is_on_curve() {
		return Err(PointError::NotOnCurve);
	}
	Ok(p)
}

/// `[x.c1, x.c0, y.c1, y.c0]`, or four zero words for the point at infinity.
pub fn g2_to_words(p: &G2Affine) -> [Word; 4] {
	match p.xy() {
		Some((x, y)) => [
			fq_to_word(&x.c1),
			fq_to_word(&x.c0),
			fq_to_word(&y.c1),
			fq_to_word(&y.c0),
		],
		None => [[0; 32]; 4],
	}
}

/// The G2 point of `[x.c1, x.c0, y.c1, y.c0]`; four zero words are the point at infinity.
pub fn g2_from_words(words: &[Word; 4]) -> Result<G2Affine, PointError> {
	let x = Fq2::new(fq_from_word(&words[1])?, fq_from_word(&words[0])?);
	let y = Fq2::new(fq_from_word(&words[3])?, fq_from_word(&words[2])?);
	if x.is_zero() && y.is_zero() {
		return Ok(G2Affine::identity());
	}
	let p = G2Affine::new_unchecked(x, y);
	if !p.is_on_curve() {
		return Err(PointError::NotOnCurve);
	}
	if !p.is_in_correct_subgroup_assuming_on_curve() {
		return Err(PointError::NotInSubgroup);
	}
	Ok(p)
}

/// `0x` and 64 lowercase hex digits.
pub fn word_to_hex(word: &Word) -> String {
	bytes_to_hex(word)
}

/// Parses `0x` and exactly 64 hex digits (either case).
pub fn word_from_hex(hex: &str) -> Result<Word, EvmError> {
	bytes_from_hex(hex)?
		.try_into()
		.map_err(|_| EvmError::MalformedHexWord)
}

/// `0x` and two lowercase hex digits per byte.
pub fn bytes_to_hex(bytes: &[u8]) -> String {
	const DIGITS: &[u8; 16] = b"0123456789abcdef";
	let mut out = String::with_capacity(2 + 2 * bytes.len());
	out.push_str("0x");
	for byte in bytes {
		out.push(DIGITS[usize::from(byte >> 4)].into());
		out.push(DIGITS[usize::from(byte & 0xf)].into());
	}
	out
}

/// Parses `0x` and an even number of hex digits (either case).
pub fn bytes_from_hex(hex: &str) -> Result<Vec<u8>, EvmError> {
	let digits = hex
		.strip_prefix("0x")
		.ok_or(EvmError::MalformedHexWord)?
		.as_bytes();
	if digits.len() % 2 != 0 {
		return Err(EvmError::MalformedHexWord);
	}
	let nibble = |c: u8| match c {
		b'0'..=b'9' => Ok(c - b'0'),
		b'a'..=b'f' => Ok(c - b'a' + 10),
		b'A'..=b'F' => Ok(c - b'A' + 10),
		_ => Err(EvmError::MalformedHexWord),
	};
	digits
		.chunks_exact(2)
		.map(|pair| Ok(nibble(pair[0])? << 4 | nibble(pair[1])?))
		.collect()
}

const TEMPLATE: &str = include_str!("ConcordVerifier.sol.in");

/// The Solidity source of the contract `ConcordVerifier` for `vk`, for solc 0.8.20 or later.
///
/// Its `verifyProof(uint256[8] calldata proof, uint256[] calldata input)` takes the proof as
/// [`EvmProof::words`] and the public inputs as [`fr_to_word`] words. The inputs are a dynamic
/// array so that a wrong count reaches the contract and is answered false, like every other
/// failure, rather than failing ABI decoding.
///
/// # Panics
///
/// If `vk.gamma_abc_g1` is empty: every Groth16 key has at least the constant input's point.
pub fn solidity_verifier(vk: &VerifyingKey<Bn254>) -> String {
	assert!(
		!vk.gamma_abc_g1.is_empty(),
		"a verifying key has at least one gamma_abc_g1 point"
	);
	let mut constants = Vec::new();
	let mut g1 = |name: &str, p: &G1Affine| {
		let [x, y] = g1_to_words(p);
		constants.push(constant(&format!("{name}_X"), &x));
		constants.push(constant(&format!("{name}_Y"), &y));
	};
	g1("ALPHA", &vk.alpha_g1);
	for (i, p) in vk.gamma_abc_g1.iter().enumerate() {
		g1(&format!("IC{i}"), p);
	}
	for (name, p) in [
		("BETA", &vk.beta_g2),
		("GAMMA", &vk.gamma_g2),
		("DELTA", &vk.delta_g2),
	] {
		let words = g2_to_words(p);
		for (suffix, word) in ["X_C1", "X_C0", "Y_C1", "Y_C0"].iter().zip(&words) {
			constants.push(constant(&format!("{name}_{suffix}"), word));
		}
	}
	let accumulate: Vec<String> = (1..vk.gamma_abc_g1.len())
		.map(|i| {
			format!(
				"        if (!mulAdd(vkX, IC{i}_X, IC{i}_Y, input[{}])) return false;",
				i - 1
			)
		})
		.collect();
	TEMPLATE
		.replace("{{INPUT_COUNT}}", &(vk.gamma_abc_g1.len() - 1).to_string())
		.replace("{{VK_CONSTANTS}}", &constants.join("\n"))
		.replace("{{ACCUMULATE}}", &accumulate.join("\n"))
}

fn constant(name: &str, word: &Word) -> String {
	format!(
		"    uint256 internal constant {name} = {};",
		word_to_hex(word)
	)
}

/// Left-pads big-endian bytes (at most 32 of them) to a word.
fn to_word(bytes: Vec<u8>) -> Word {
	let mut word = [0; 32];
	word[32 - bytes.len()..].copy_from_slice(&bytes);
	word
}

fn bigint_from_word(word: &Word) -> ark_ff::BigInt<4> {
	let mut limbs = [0u64; 4];
	for (limb, chunk) in limbs.iter_mut().zip(word.rchunks_exact(8)) {
		*limb = u64::from_be_bytes(chunk.try_into().expect("8-byte chunk"));
	}
	ark_ff::BigInt(limbs)
}

fn fq_from_word(word: &Word) -> Result<Fq, PointError> {
	Fq::from_bigint(bigint_from_word(word)).ok_or(PointError::CoordinateNotInField)
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use ark_ec::CurveGroup;
	use ark_ff::{Field, One};
	use ark_groth16::{Groth16, ProvingKey};
	use ark_relations::{
		gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError},
		lc,
	};
	use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
	use ark_snark::SNARK;
	use ark_std::{
		rand::{rngs::StdRng, SeedableRng},
		UniformRand,
	};
	use serde_json::{json, Value};
	use std::str::FromStr;

	/// The toy circuit of the tests: `x · x = y`, `y` public.
	pub(crate) struct Square {
		pub(crate) x: Option<Fr>,
	}

	impl ConstraintSynthesizer<Fr> for Square {
		fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
			let x = self.x.ok_or(SynthesisError::AssignmentMissing);
			let x_var = cs.new_witness_variable(|| x)?;
			let y_var = cs.new_input_variable(|| x.map(|x| x.square()))?;
			cs.enforce_r1cs_constraint(|| lc!() + x_var, || lc!() + x_var, || lc!() + y_var)
		}
	}

	const SEED: u64 = 0x636f6e636f7264; // "concord"

	fn toy_keys(rng: &mut StdRng) -> (ProvingKey<Bn254>, VerifyingKey<Bn254>) {
		Groth16::<Bn254>::circuit_specific_setup(Square { x: None }, rng).unwrap()
	}

	fn toy_proof(pk: &ProvingKey<Bn254>, x: Fr, rng: &mut StdRng) -> Proof<Bn254> {
		Groth16::<Bn254>::prove(pk, Square { x: Some(x) }, rng).unwrap()
	}

	fn word(decimal: &str) -> Word {
		let n = ark_ff::BigInt::<4>::from_str(decimal).unwrap();
		to_word(n.to_bytes_be())
	}

	fn q() -> Word {
		to_word(Fq::MODULUS.to_bytes_be())
	}

	fn bytes_to_hex(bytes: &[u8]) -> String {
		let digits: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
		format!("0x{digits}")
	}

	fn bytes_from_hex(hex: &str) -> Vec<u8> {
		let digits = hex.strip_prefix("0x").unwrap();
		(0..digits.len())
			.step_by(2)
			.map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
			.collect()
	}

	fn hex_words(words: &[Word]) -> Vec<String> {
		words.iter().map(word_to_hex).collect()
	}

	#[test]
	fn generators_encode_as_in_eip_197() {
		assert_eq!(g1_to_words(&G1Affine::generator()), [word("1"), word("2")]);
		// The G2 generator as EIP-197 lists it, imaginary part first.
		assert_eq!(
			g2_to_words(&G2Affine::generator()),
			[
				word(
					"11559732032986387107991004021392285783925812861821192530917403151452391805634"
				),
				word(
					"10857046999023057135944570762232829481370756359578518086990519993285655852781"
				),
				word(
					"4082367875863433681332203403145435568316851327593401208105741076214120093531"
				),
				word(
					"8495653923123431417604973247489272438418190587263600148770280649306958101930"
				),
			]
		);
	}

	#[test]
	fn proofs_round_trip_through_words_and_hex() {
		let mut rng = StdRng::seed_from_u64(SEED);
		let (pk, vk) = toy_keys(&mut rng);
		for _ in 0..4 {
			let x = Fr::rand(&mut rng);
			let proof = toy_proof(&pk, x, &mut rng);
			let evm = EvmProof::from(&proof);
			assert_eq!(evm.to_proof(), Ok(proof.clone()));
			assert_eq!(EvmProof::from_hex(&evm.to_hex()), Ok(evm));
			let input = fr_from_word(&fr_to_word(&x.square())).unwrap();
			assert!(Groth16::<Bn254>::verify(&vk, &[input], &proof).unwrap());
		}
	}

	#[test]
	fn the_point_at_infinity_is_zero_words() {
		assert_eq!(g1_to_words(&G1Affine::identity()), [[0; 32]; 2]);
		assert_eq!(g2_to_words(&G2Affine::identity()), [[0; 32]; 4]);
		assert_eq!(g1_from_words(&[[0; 32]; 2]), Ok(G1Affine::identity()));
		assert_eq!(g2_from_words(&[[0; 32]; 4]), Ok(G2Affine::identity()));
		let proof = Proof::<Bn254>::default();
		assert_eq!(EvmProof::from(&proof).words, [[0; 32]; 8]);
		assert_eq!(EvmProof::from(&proof).to_proof(), Ok(proof));
	}

	#[test]
	fn negated_points_have_y_equal_to_q_minus_y() {
		let mut rng = StdRng::seed_from_u64(SEED);
		let p1 = (G1Affine::generator() * Fr::rand(&mut rng)).into_affine();
		let p2 = (G2Affine::generator() * Fr::rand(&mut rng)).into_affine();
		let q_minus = |y: &Fq| {
			let mut difference = Fq::MODULUS;
			difference.sub_with_borrow(&y.into_bigint());
			to_word(difference.to_bytes_be())
		};
		let (w1, n1) = (g1_to_words(&p1), g1_to_words(&-p1));
		assert_eq!(n1, [w1[0], q_minus(&p1.y)]);
		let (w2, n2) = (g2_to_words(&p2), g2_to_words(&-p2));
		assert_eq!(n2, [w2[0], w2[1], q_minus(&p2.y.c1), q_minus(&p2.y.c0)]);
		assert_eq!(g1_from_words(&n1), Ok(-p1));
		assert_eq!(g2_from_words(&n2), Ok(-p2));
		// Compressed, a point and its negation differ only in the sign flag of y.
		let (mut plain, mut negated) = (Vec::new(), Vec::new());
		p1.serialize_compressed(&mut plain).unwrap();
		(-p1).serialize_compressed(&mut negated).unwrap();
		assert_eq!(plain[..31], negated[..31]);
		assert_ne!(plain[31], negated[31]);
	}

	#[test]
	fn decoding_rejects_coordinates_not_below_q() {
		let mut rng = StdRng::seed_from_u64(SEED);
		let (pk, _) = toy_keys(&mut rng);
		let valid = EvmProof::from(&toy_proof(&pk, Fr::from(3u64), &mut rng));
		let points = [ProofPoint::A, ProofPoint::A]
			.into_iter()
			.chain([ProofPoint::B; 4])
			.chain([ProofPoint::C; 2]);
		for (i, point) in points.enumerate() {
			for bad in [q(), [0xff; 32]] {
				let mut evm = valid;
				evm.words[i] = bad;
				assert_eq!(
					evm.to_proof(),
					Err(EvmError::BadProofPoint {
						point,
						error: PointError::CoordinateNotInField
					}),
					"word {i}"
				);
			}
		}
	}

	#[test]
	fn decoding_rejects_points_off_the_curve() {
		let mut rng = StdRng::seed_from_u64(SEED);
		let (pk, _) = toy_keys(&mut rng);
		let valid = EvmProof::from(&toy_proof(&pk, Fr::from(3u64), &mut rng));
		let off_curve = EvmError::BadProofPoint {
			point: ProofPoint::A,
			error: PointError::NotOnCurve,
		};
		let mut evm = valid;
		evm.words[1][31] ^= 1;
		assert_eq!(evm.to_proof(), Err(off_curve));
		for (i, point) in [(3, ProofPoint::B), (5, ProofPoint::B), (7, ProofPoint::C)] {
			let mut evm = valid;
			evm.words[i][31] ^= 1;
			assert_eq!(
				evm.to_proof(),
				Err(EvmError::BadProofPoint {
					point,
					error: PointError::NotOnCurve
				})
			);
		}
		// Zero in one coordinate only is no point at infinity.
		assert_eq!(
			g1_from_words(&[[0; 32], word("1")]),
			Err(PointError::NotOnCurve)
		);
		assert_eq!(
			g1_from_words(&[word("1"), [0; 32]]),
			Err(PointError::NotOnCurve)
		);
		let mut g2 = [[0; 32]; 4];
		g2[3] = word("1");
		assert_eq!(g2_from_words(&g2), Err(PointError::NotOnCurve));
	}

	#[test]
	fn decoding_rejects_g2_points_outside_the_subgroup() {
		let mut rng = StdRng::seed_from_u64(SEED);
		let outside = loop {
			// Most points of the twist lie outside the subgroup (its cofactor is about q).
			if let Some(p) = G2Affine::get_point_from_x_unchecked(Fq2::rand(&mut rng), true) {
				if !p.is_in_correct_subgroup_assuming_on_curve() {
					break p;
				}
			}
		};
		assert_eq!(
			g2_from_words(&g2_to_words(&outside)),
			Err(PointError::NotInSubgroup)
		);
		let mut evm = EvmProof {
			words: [[0; 32]; 8],
		};
		evm.words[2..6].copy_from_slice(&g2_to_words(&outside));
		assert_eq!(
			evm.to_proof(),
			Err(EvmError::BadProofPoint {
				point: ProofPoint::B,
				error: PointError::NotInSubgroup
			})
		);
	}

	#[test]
	fn scalars_are_one_word_below_r() {
		let mut rng = StdRng::seed_from_u64(SEED);
		let x = Fr::rand(&mut rng);
		assert_eq!(fr_from_word(&fr_to_word(&x)), Ok(x));
		assert_eq!(fr_to_word(&Fr::one()), word("1"));
		let r = to_word(Fr::MODULUS.to_bytes_be());
		assert_eq!(fr_from_word(&r), Err(EvmError::ScalarNotInField));
		assert_eq!(fr_from_word(&[0xff; 32]), Err(EvmError::ScalarNotInField));
		assert_eq!(fr_to_word(&-Fr::one()), {
			let mut r_minus_one = r;
			r_minus_one[31] -= 1;
			r_minus_one
		});
	}

	#[test]
	fn hex_words_are_0x_and_64_digits() {
		let mut word = [0; 32];
		word[0] = 0xab;
		word[31] = 0x01;
		let hex = word_to_hex(&word);
		assert_eq!(hex, format!("0xab{}01", "0".repeat(60)));
		assert_eq!(word_from_hex(&hex), Ok(word));
		assert_eq!(
			word_from_hex(&hex.to_uppercase().replace("0X", "0x")),
			Ok(word)
		);
		for bad in [
			&hex[2..],
			&hex[..65],
			&format!("{hex}0"),
			&hex.replace('a', "g"),
			"0x",
		] {
			assert_eq!(word_from_hex(bad), Err(EvmError::MalformedHexWord), "{bad}");
		}
		let seven = vec![hex.clone(); 7];
		assert_eq!(EvmProof::from_hex(&seven), Err(EvmError::ProofWordCount(7)));
		let nine = vec![hex; 9];
		assert_eq!(EvmProof::from_hex(&nine), Err(EvmError::ProofWordCount(9)));
	}

	#[test]
	fn the_solidity_verifier_holds_the_key_and_one_step_per_input() {
		let mut rng = StdRng::seed_from_u64(SEED);
		let (_, mut vk) = toy_keys(&mut rng);
		vk.gamma_abc_g1
			.push((G1Affine::generator() * Fr::rand(&mut rng)).into_affine());
		let source = solidity_verifier(&vk);
		assert!(!source.contains("{{"), "unfilled placeholder");
		assert!(source.contains("contract ConcordVerifier {"));
		assert!(source.contains("uint256 public constant INPUT_COUNT = 2;"));
		let [x, y] = g1_to_words(&vk.gamma_abc_g1[2]);
		assert!(source.contains(&format!("IC2_X = {};", word_to_hex(&x))));
		assert!(source.contains(&format!("IC2_Y = {};", word_to_hex(&y))));
		let [x_c1, x_c0, ..] = g2_to_words(&vk.delta_g2);
		assert!(source.contains(&format!("DELTA_X_C1 = {};", word_to_hex(&x_c1))));
		assert!(source.contains(&format!("DELTA_X_C0 = {};", word_to_hex(&x_c0))));
		assert!(source.contains("mulAdd(vkX, IC1_X, IC1_Y, input[0])"));
		assert!(source.contains("mulAdd(vkX, IC2_X, IC2_Y, input[1])"));
		assert!(!source.contains("IC3"));
	}

	#[test]
	#[should_panic(expected = "at least one gamma_abc_g1 point")]
	fn a_key_without_input_points_has_no_verifier() {
		solidity_verifier(&VerifyingKey::default());
	}

	/// The committed vectors' file, found from cargo's runtime `CARGO_MANIFEST_DIR` (a reused
	/// build's compile-time value may name another clone).
	fn vectors_path() -> std::path::PathBuf {
		std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test"))
			.join("test-vectors/evm-encoding.json")
	}

	/// The toy circuit's key and proofs, arkworks' compressed bytes beside the EVM words.
	fn generate_vectors() -> Value {
		let mut rng = StdRng::seed_from_u64(SEED);
		let (pk, vk) = toy_keys(&mut rng);
		let mut vk_bytes = Vec::new();
		vk.serialize_compressed(&mut vk_bytes).unwrap();
		let proofs: Vec<Value> = [3u64, 5, 7, 11]
			.into_iter()
			.map(|x| {
				let x = Fr::from(x);
				let proof = toy_proof(&pk, x, &mut rng);
				let mut bytes = Vec::new();
				proof.serialize_compressed(&mut bytes).unwrap();
				json!({
					"x": x.to_string(),
					"input": [word_to_hex(&fr_to_word(&x.square()))],
					"compressed": bytes_to_hex(&bytes),
					"evm": EvmProof::from(&proof).to_hex(),
				})
			})
			.collect();
		json!({
			"about": "Groth16 (BN254) key and proofs of the circuit x * x = y (y public), set up \
				and proved from StdRng::seed_from_u64(seed): arkworks 0.6 compressed bytes and \
				EIP-197 words. Regenerate: CONCORD_REGENERATE_VECTORS=1 cargo test -p \
				concord-circuits evm::tests::committed_vectors",
			"seed": SEED,
			"verifying_key": {
				"compressed": bytes_to_hex(&vk_bytes),
				"alpha": hex_words(&g1_to_words(&vk.alpha_g1)),
				"beta": hex_words(&g2_to_words(&vk.beta_g2)),
				"gamma": hex_words(&g2_to_words(&vk.gamma_g2)),
				"delta": hex_words(&g2_to_words(&vk.delta_g2)),
				"ic": vk.gamma_abc_g1.iter().map(|p| hex_words(&g1_to_words(p))).collect::<Vec<_>>(),
			},
			"proofs": proofs,
		})
	}

	/// Checks `test-vectors/evm-encoding.json` against this module: the compressed bytes
	/// convert to the listed words and back, and each proof verifies.
	///
	/// `CONCORD_REGENERATE_VECTORS=1 cargo test -p concord-circuits evm::tests::committed_vectors`
	/// rewrites the file from the toy circuit first (after a deliberate encoding change, or when
	/// arkworks' seeded randomness changes).
	#[test]
	fn committed_vectors() {
		if std::env::var("CONCORD_REGENERATE_VECTORS").as_deref() == Ok("1") {
			let text = serde_json::to_string_pretty(&generate_vectors()).unwrap();
			std::fs::write(vectors_path(), text + "\n").unwrap();
		}
		let text = std::fs::read_to_string(vectors_path()).expect("test-vectors/evm-encoding.json");
		let vectors: Value = serde_json::from_str(&text).unwrap();
		let strings = |v: &Value| -> Vec<String> {
			v.as_array()
				.unwrap()
				.iter()
				.map(|s| s.as_str().unwrap().to_owned())
				.collect()
		};
		let words = |v: &Value| -> Vec<Word> {
			strings(v)
				.iter()
				.map(|s| word_from_hex(s).unwrap())
				.collect()
		};

		let key = &vectors["verifying_key"];
		let vk_bytes = bytes_from_hex(key["compressed"].as_str().unwrap());
		let vk = VerifyingKey::<Bn254>::deserialize_compressed(&vk_bytes[..]).unwrap();
		assert_eq!(words(&key["alpha"]), g1_to_words(&vk.alpha_g1));
		for (name, point) in [
			("beta", vk.beta_g2),
			("gamma", vk.gamma_g2),
			("delta", vk.delta_g2),
		] {
			assert_eq!(words(&key[name]), g2_to_words(&point), "{name}");
			assert_eq!(
				g2_from_words(&words(&key[name]).try_into().unwrap()),
				Ok(point)
			);
		}
		let ic = key["ic"].as_array().unwrap();
		assert_eq!(ic.len(), vk.gamma_abc_g1.len());
		for (listed, point) in ic.iter().zip(&vk.gamma_abc_g1) {
			assert_eq!(
				g1_from_words(&words(listed).try_into().unwrap()),
				Ok(*point)
			);
		}

		let proofs = vectors["proofs"].as_array().unwrap();
		assert_eq!(proofs.len(), 4);
		for vector in proofs {
			let bytes = bytes_from_hex(vector["compressed"].as_str().unwrap());
			let proof = Proof::<Bn254>::deserialize_compressed(&bytes[..]).unwrap();
			let evm = EvmProof::from_hex(&strings(&vector["evm"])).unwrap();
			assert_eq!(EvmProof::from(&proof), evm);
			assert_eq!(evm.to_proof(), Ok(proof.clone()));
			let inputs: Vec<Fr> = words(&vector["input"])
				.iter()
				.map(|w| fr_from_word(w).unwrap())
				.collect();
			let x = Fr::from_str(vector["x"].as_str().unwrap()).unwrap();
			assert_eq!(inputs, [x.square()]);
			assert!(Groth16::<Bn254>::verify(&vk, &inputs, &proof).unwrap());
		}
	}
}
