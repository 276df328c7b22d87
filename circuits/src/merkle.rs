//! Merkle paths of the sparse Merkle tree in constraints, the twin of
//! [`concord_primitives::tree`]: [`MembershipProofVar`] beside `MembershipProof`,
//! [`UpdateProofVar`] beside `UpdateProof`, [`verify_membership`] beside `verify_membership`.
//!
//! The layout is the one documented in `concord_primitives::tree`: arity 4, digit `l` of a
//! leaf's index (bits `2l`, `2l + 1`) says which child of its parent the ancestor at level `l`
//! is, `siblings[l]` are the parent's three other children in order, and a node is
//! `Poseidon(c0, c1, c2, c3)`. The index enters the circuit as a field element and is split into
//! exactly `2 · DEPTH` bits ([`index_digits`]), which is also the range check the native code
//! makes (`index < 4^DEPTH`).
//!
//! Cost per level: one `Poseidon(4)` (297 constraints) and four constraints to put the node
//! among its siblings ([`place`]); splitting the index costs `3 · DEPTH + 1` (the bits, their
//! recomposition, and one product per digit shared by every path through it). Figures in the
//! `constraint_counts` test.

use crate::{poseidon, Fr};
use ark_ff::{BigInteger, PrimeField};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{Namespace, SynthesisError};
use concord_primitives::tree::{MembershipProof, UpdateProof, ARITY, MAX_DEPTH};
use core::borrow::Borrow;

/// An internal node, `Poseidon(c0, c1, c2, c3)`, as `concord_primitives::tree::hash_children`.
pub fn hash_children(children: &[FpVar<Fr>; ARITY]) -> Result<FpVar<Fr>, SynthesisError> {
	poseidon::hash(children)
}

/// One base-4 digit of a leaf index: its two bits, low first, and their product (the digit is
/// 3), which every path through the digit shares.
#[derive(Clone, Debug)]
pub struct Digit {
	pub low: Boolean<Fr>,
	pub high: Boolean<Fr>,
	pub is_three: Boolean<Fr>,
}

/// The `DEPTH` base-4 digits of a leaf index, low first, constrained to recompose to `index`:
/// an index of `4^DEPTH` or more has no such digits, so it leaves the constraint system
/// unsatisfied (or, for a constant index, fails with [`SynthesisError::Unsatisfiable`]). Costs
/// `3 · DEPTH + 1` constraints for a variable index, none for a constant one.
pub fn index_digits<const DEPTH: usize>(
	index: &FpVar<Fr>,
) -> Result<[Digit; DEPTH], SynthesisError> {
	// Below the field size, so the recomposition cannot wrap around and the bits are unique.
	const { assert!(DEPTH <= MAX_DEPTH, "tree depth above MAX_DEPTH") };
	let width = 2 * DEPTH;
	let bits: Vec<Boolean<Fr>> = if let FpVar::Constant(value) = index {
		let value = value.into_bigint();
		if value.num_bits() as usize > width {
			return Err(SynthesisError::Unsatisfiable);
		}
		(0..width)
			.map(|bit| Boolean::constant(value.get_bit(bit)))
			.collect()
	} else {
		let cs = index.cs();
		let value = index.value().ok().map(|value| value.into_bigint());
		let bits = (0..width)
			.map(|bit| {
				Boolean::new_witness(cs.clone(), || {
					value
						.map(|value| value.get_bit(bit))
						.ok_or(SynthesisError::AssignmentMissing)
				})
			})
			.collect::<Result<Vec<_>, _>>()?;
		Boolean::le_bits_to_fp(&bits)?.enforce_equal(index)?;
		bits
	};
	digits_from_bits(&bits)
}

/// The `DEPTH` base-4 digits of an index given as its `2 · DEPTH` little-endian bits, which the
/// caller has constrained (e.g. a pubdata field's bits). Costs `DEPTH` constraints.
///
/// # Panics
///
/// If `bits` does not hold `2 · DEPTH` bits.
pub fn digits_from_bits<const DEPTH: usize>(
	bits: &[Boolean<Fr>],
) -> Result<[Digit; DEPTH], SynthesisError> {
	assert_eq!(bits.len(), 2 * DEPTH, "an index of a tree of depth {DEPTH}");
	let digits = bits
		.chunks_exact(2)
		.map(|pair| {
			Ok(Digit {
				low: pair[0].clone(),
				high: pair[1].clone(),
				is_three: &pair[0] & &pair[1],
			})
		})
		.collect::<Result<Vec<_>, SynthesisError>>()?;
	Ok(digits.try_into().expect("DEPTH digits"))
}

/// The four children of a parent whose child number `digit` is `node` and whose other children
/// are `siblings`, in order, as `concord_primitives::tree::place`. Four constraints: three
/// children are selected, and the fourth is what remains of the sum of all four.
pub fn place(
	node: &FpVar<Fr>,
	digit: &Digit,
	siblings: &[FpVar<Fr>; ARITY - 1],
) -> Result<[FpVar<Fr>; ARITY], SynthesisError> {
	let [s0, s1, s2] = siblings;
	let (low, high) = (
		FpVar::from(digit.low.clone()),
		FpVar::from(digit.high.clone()),
	);
	// 1 when the digit is 0, else 0: (1 − low)(1 − high), linear given low · high.
	let is_zero = FpVar::one() - &low - &high + FpVar::from(digit.is_three.clone());
	let first = s0 + is_zero * (node - s0);
	let last = digit.is_three.select(node, s2)?;
	// Digit 0 or 1 puts the node or s0 second, digit 2 or 3 puts s1 there.
	let second = digit.high.select(s1, &digit.low.select(node, s0)?)?;
	let third = node + s0 + s1 + s2 - &first - &second - &last;
	Ok([first, second, third, last])
}

/// The siblings on the path from a leaf to the root, `siblings[0]` beside the leaf: the twin of
/// `MembershipProof`.
#[derive(Clone, Debug)]
pub struct MembershipProofVar<const DEPTH: usize> {
	pub siblings: [[FpVar<Fr>; ARITY - 1]; DEPTH],
}

impl<const DEPTH: usize> MembershipProofVar<DEPTH> {
	/// The root of the tree in which the leaf at `digits` is `leaf` and the path's siblings
	/// are these, as `MembershipProof::root`.
	pub fn root(
		&self,
		digits: &[Digit; DEPTH],
		leaf: &FpVar<Fr>,
	) -> Result<FpVar<Fr>, SynthesisError> {
		self.siblings
			.iter()
			.zip(digits)
			.try_fold(leaf.clone(), |node, (siblings, digit)| {
				hash_children(&place(&node, digit, siblings)?)
			})
	}
}

impl<const DEPTH: usize> AllocVar<MembershipProof<DEPTH>, Fr> for MembershipProofVar<DEPTH> {
	fn new_variable<T: Borrow<MembershipProof<DEPTH>>>(
		cs: impl Into<Namespace<Fr>>,
		f: impl FnOnce() -> Result<T, SynthesisError>,
		mode: AllocationMode,
	) -> Result<Self, SynthesisError> {
		let cs = cs.into().cs();
		let proof = f().map(|proof| *proof.borrow());
		let siblings = (0..DEPTH)
			.map(|level| {
				let level = (0..ARITY - 1)
					.map(|k| {
						FpVar::new_variable(
							cs.clone(),
							|| proof.map(|p| p.siblings[level][k]),
							mode,
						)
					})
					.collect::<Result<Vec<_>, _>>()?;
				Ok(level.try_into().expect("three siblings"))
			})
			.collect::<Result<Vec<_>, SynthesisError>>()?;
		Ok(Self {
			siblings: siblings.try_into().expect("DEPTH levels"),
		})
	}
}

/// Whether `proof` shows that leaf `index` of the tree with root `root` is `leaf`, as
/// `concord_primitives::tree::verify_membership`. Where the native function answers false for
/// an index beyond the tree, this leaves the constraint system unsatisfied (see
/// [`index_digits`]).
pub fn verify_membership<const DEPTH: usize>(
	root: &FpVar<Fr>,
	index: &FpVar<Fr>,
	leaf: &FpVar<Fr>,
	proof: &MembershipProofVar<DEPTH>,
) -> Result<Boolean<Fr>, SynthesisError> {
	proof.root(&index_digits(index)?, leaf)?.is_eq(root)
}

/// Enforces that `old_leaf` at `digits` is in the tree with root `old_root`, and returns the
/// root after replacing it with `new_leaf`. A batch circuit chains these, each operation's
/// `old_root` being the previous one's result, so that one path per touched leaf carries the
/// state from the batch's old root to its new root.
pub fn update_root<const DEPTH: usize>(
	old_root: &FpVar<Fr>,
	digits: &[Digit; DEPTH],
	old_leaf: &FpVar<Fr>,
	new_leaf: &FpVar<Fr>,
	path: &MembershipProofVar<DEPTH>,
) -> Result<FpVar<Fr>, SynthesisError> {
	path.root(digits, old_leaf)?.enforce_equal(old_root)?;
	path.root(digits, new_leaf)
}

/// One leaf update, the twin of `UpdateProof`: with the same siblings, `old_leaf` at `index`
/// gives `old_root` and `new_leaf` gives `new_root`.
#[derive(Clone, Debug)]
pub struct UpdateProofVar<const DEPTH: usize> {
	pub index: FpVar<Fr>,
	pub old_leaf: FpVar<Fr>,
	pub new_leaf: FpVar<Fr>,
	pub path: MembershipProofVar<DEPTH>,
	pub old_root: FpVar<Fr>,
	pub new_root: FpVar<Fr>,
}

impl<const DEPTH: usize> UpdateProofVar<DEPTH> {
	/// Whether the path links `old_leaf` to `old_root` and `new_leaf` to `new_root` at `index`,
	/// as `UpdateProof::verify` (an index beyond the tree leaves the system unsatisfied).
	pub fn verify(&self) -> Result<Boolean<Fr>, SynthesisError> {
		let digits = index_digits(&self.index)?;
		let old = self
			.path
			.root(&digits, &self.old_leaf)?
			.is_eq(&self.old_root)?;
		let new = self
			.path
			.root(&digits, &self.new_leaf)?
			.is_eq(&self.new_root)?;
		Ok(old & new)
	}

	/// Enforces what [`verify`](Self::verify) checks, two constraints cheaper than enforcing
	/// its result: the form a circuit uses.
	pub fn enforce(&self) -> Result<(), SynthesisError> {
		let digits = index_digits(&self.index)?;
		update_root(
			&self.old_root,
			&digits,
			&self.old_leaf,
			&self.new_leaf,
			&self.path,
		)?
		.enforce_equal(&self.new_root)
	}
}

impl<const DEPTH: usize> AllocVar<UpdateProof<DEPTH>, Fr> for UpdateProofVar<DEPTH> {
	fn new_variable<T: Borrow<UpdateProof<DEPTH>>>(
		cs: impl Into<Namespace<Fr>>,
		f: impl FnOnce() -> Result<T, SynthesisError>,
		mode: AllocationMode,
	) -> Result<Self, SynthesisError> {
		let cs = cs.into().cs();
		let update = f().map(|update| *update.borrow());
		let field = |select: fn(&UpdateProof<DEPTH>) -> Fr| {
			FpVar::new_variable(cs.clone(), || update.map(|u| select(&u)), mode)
		};
		Ok(Self {
			index: field(|u| Fr::from(u.index))?,
			old_leaf: field(|u| u.old_leaf)?,
			new_leaf: field(|u| u.new_leaf)?,
			path: MembershipProofVar::new_variable(cs.clone(), || update.map(|u| u.path), mode)?,
			old_root: field(|u| u.old_root)?,
			new_root: field(|u| u.new_root)?,
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ark_ff::{Field, UniformRand};
	use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
	use ark_std::rand::Rng;
	use concord_primitives::{
		account::{ACCOUNT_DEPTH, BALANCE_DEPTH},
		tree::{self as native, EmptyHashes, MemoryStore, SparseMerkleTree},
	};

	const DEPTH: usize = 2;
	const LEAVES: u64 = native::capacity(DEPTH);

	fn witness(cs: &ConstraintSystemRef<Fr>, value: Fr) -> FpVar<Fr> {
		FpVar::new_witness(cs.clone(), || Ok(value)).unwrap()
	}

	/// A tree with a few random leaves written.
	fn random_tree(rng: &mut impl Rng) -> SparseMerkleTree<DEPTH> {
		let mut tree = SparseMerkleTree::new(MemoryStore::new(), EmptyHashes::new(Fr::from(7u64)));
		for _ in 0..6 {
			tree.update(rng.gen_range(0..LEAVES), Fr::rand(rng))
				.unwrap();
		}
		tree
	}

	/// Runs the membership gadget on a witness; returns (gadget's answer, satisfied).
	fn membership(root: Fr, index: u64, leaf: Fr, proof: &MembershipProof<DEPTH>) -> (bool, bool) {
		let cs = ConstraintSystem::<Fr>::new_ref();
		let proof = MembershipProofVar::new_witness(cs.clone(), || Ok(*proof)).unwrap();
		let answer = verify_membership(
			&FpVar::new_input(cs.clone(), || Ok(root)).unwrap(),
			&witness(&cs, Fr::from(index)),
			&witness(&cs, leaf),
			&proof,
		)
		.unwrap();
		(answer.value().unwrap(), cs.is_satisfied().unwrap())
	}

	/// Runs the update gadget's `verify` and `enforce` forms; returns (answer, satisfied by
	/// `verify`, satisfied by `enforce`).
	fn update(proof: &UpdateProof<DEPTH>) -> (bool, bool, bool) {
		let cs = ConstraintSystem::<Fr>::new_ref();
		let answer = UpdateProofVar::new_witness(cs.clone(), || Ok(*proof))
			.unwrap()
			.verify()
			.unwrap()
			.value()
			.unwrap();
		let verify_satisfied = cs.is_satisfied().unwrap();
		let cs = ConstraintSystem::<Fr>::new_ref();
		UpdateProofVar::new_witness(cs.clone(), || Ok(*proof))
			.unwrap()
			.enforce()
			.unwrap();
		(answer, verify_satisfied, cs.is_satisfied().unwrap())
	}

	#[test]
	fn roots_match_native_for_every_leaf() {
		let mut rng = ark_std::test_rng();
		let tree = random_tree(&mut rng);
		for index in 0..LEAVES {
			let (leaf, proof) = (
				tree.get(index).unwrap(),
				tree.membership_proof(index).unwrap(),
			);
			let cs = ConstraintSystem::<Fr>::new_ref();
			let path = MembershipProofVar::new_witness(cs.clone(), || Ok(proof)).unwrap();
			let digits = index_digits::<DEPTH>(&witness(&cs, Fr::from(index))).unwrap();
			let root = path.root(&digits, &witness(&cs, leaf)).unwrap();
			assert_eq!(root.value().unwrap(), proof.root(index, leaf));
			assert_eq!(root.value().unwrap(), tree.root());
			assert!(cs.is_satisfied().unwrap());
			assert_eq!(
				membership(tree.root(), index, leaf, &proof),
				(true, true),
				"leaf {index}"
			);
		}
	}

	#[test]
	fn place_matches_native_for_every_digit() {
		let mut rng = ark_std::test_rng();
		let node = Fr::rand(&mut rng);
		let siblings: [Fr; ARITY - 1] = core::array::from_fn(|_| Fr::rand(&mut rng));
		for digit in 0..ARITY {
			let cs = ConstraintSystem::<Fr>::new_ref();
			let [digit_var] = index_digits::<1>(&witness(&cs, Fr::from(digit as u64))).unwrap();
			let placed = place(
				&witness(&cs, node),
				&digit_var,
				&siblings.map(|sibling| witness(&cs, sibling)),
			)
			.unwrap();
			assert_eq!(
				placed.map(|child| child.value().unwrap()),
				native::place(node, digit, &siblings),
				"digit {digit}"
			);
			assert!(cs.is_satisfied().unwrap());
		}
	}

	#[test]
	fn membership_rejects_what_native_rejects() {
		let mut rng = ark_std::test_rng();
		let tree = random_tree(&mut rng);
		let (root, index) = (tree.root(), 5);
		let (leaf, proof) = (
			tree.get(index).unwrap(),
			tree.membership_proof(index).unwrap(),
		);
		let mut cases = vec![
			(root, index, leaf + Fr::ONE, proof),
			(root + Fr::ONE, index, leaf, proof),
		];
		for wrong_index in (0..LEAVES).filter(|&i| i != index && tree.get(i) != Ok(leaf)) {
			cases.push((root, wrong_index, leaf, proof));
		}
		for level in 0..DEPTH {
			for k in 0..ARITY - 1 {
				let mut tampered = proof;
				tampered.siblings[level][k] += Fr::ONE;
				cases.push((root, index, leaf, tampered));
			}
		}
		for (root, index, leaf, proof) in cases {
			assert!(!native::verify_membership(root, index, leaf, &proof));
			// The gadget answers false and stays satisfiable: the caller decides what to do.
			assert_eq!(membership(root, index, leaf, &proof), (false, true));
		}
	}

	#[test]
	fn an_index_beyond_the_tree_is_unsatisfiable() {
		let mut rng = ark_std::test_rng();
		let tree = random_tree(&mut rng);
		let (leaf, proof) = (tree.get(3).unwrap(), tree.membership_proof(3).unwrap());
		// Same low bits as a valid index: only the range check catches it.
		let beyond = 3 + LEAVES;
		assert!(!native::verify_membership(
			tree.root(),
			beyond,
			leaf,
			&proof
		));
		assert!(!membership(tree.root(), beyond, leaf, &proof).1);
		assert_eq!(
			index_digits::<DEPTH>(&FpVar::constant(Fr::from(beyond))).unwrap_err(),
			SynthesisError::Unsatisfiable
		);
		// 11 = 3 + 2·4: digits 3 then 2.
		let constant = index_digits::<DEPTH>(&FpVar::constant(Fr::from(11u64))).unwrap();
		let values: Vec<[bool; 3]> = constant
			.iter()
			.map(|d| [&d.low, &d.high, &d.is_three].map(|b| b.value().unwrap()))
			.collect();
		assert_eq!(values, [[true, true, true], [false, true, false]]);
	}

	#[test]
	fn updates_match_native() {
		let mut rng = ark_std::test_rng();
		let mut tree = random_tree(&mut rng);
		for _ in 0..10 {
			let index = rng.gen_range(0..LEAVES);
			let proof = tree.update(index, Fr::rand(&mut rng)).unwrap();
			assert!(proof.verify());
			assert_eq!(update(&proof), (true, true, true));

			let cs = ConstraintSystem::<Fr>::new_ref();
			let var = UpdateProofVar::new_witness(cs.clone(), || Ok(proof)).unwrap();
			let digits = index_digits(&var.index).unwrap();
			let new_root = update_root(
				&var.old_root,
				&digits,
				&var.old_leaf,
				&var.new_leaf,
				&var.path,
			)
			.unwrap();
			assert_eq!(new_root.value().unwrap(), tree.root());
			assert!(cs.is_satisfied().unwrap());
		}
	}

	#[test]
	fn tampered_updates_are_unsatisfiable() {
		let mut rng = ark_std::test_rng();
		let mut tree = random_tree(&mut rng);
		let valid = tree.update(9, Fr::from(5u64)).unwrap();
		type Tamper = fn(&mut UpdateProof<DEPTH>);
		let tampers: [(&str, Tamper); 7] = [
			("old leaf", |u| u.old_leaf += Fr::ONE),
			("new leaf", |u| u.new_leaf += Fr::ONE),
			("index", |u| u.index ^= 1),
			("sibling", |u| u.path.siblings[1][2] += Fr::ONE),
			("new root", |u| u.new_root = u.old_root),
			("old root", |u| u.old_root += Fr::ONE),
			("index beyond the tree", |u| u.index += LEAVES),
		];
		for (name, tamper) in tampers {
			let mut tampered = valid;
			tamper(&mut tampered);
			assert!(!tampered.verify(), "{name}");
			let (answer, verify_satisfied, enforce_satisfied) = update(&tampered);
			assert!(!enforce_satisfied, "{name}");
			// `verify` answers false, except that an index out of range is unsatisfiable.
			assert!(!(answer && verify_satisfied), "{name}");
		}
	}

	/// Constraints of an update (`enforce`) and a membership check enforced true, at `D`.
	fn counts<const D: usize>() -> (usize, usize) {
		let mut tree = SparseMerkleTree::<D>::new(MemoryStore::new(), EmptyHashes::new(Fr::ONE));
		let proof = tree.update(1, Fr::from(2u64)).unwrap();
		let cs = ConstraintSystem::<Fr>::new_ref();
		UpdateProofVar::new_witness(cs.clone(), || Ok(proof))
			.unwrap()
			.enforce()
			.unwrap();
		assert!(cs.is_satisfied().unwrap());
		let update = cs.num_constraints();

		let cs = ConstraintSystem::<Fr>::new_ref();
		let path = MembershipProofVar::new_witness(cs.clone(), || Ok(proof.path)).unwrap();
		let index = witness(&cs, Fr::ONE);
		verify_membership(
			&witness(&cs, proof.new_root),
			&index,
			&witness(&cs, Fr::from(2u64)),
			&path,
		)
		.unwrap()
		.enforce_equal(&Boolean::TRUE)
		.unwrap();
		assert!(cs.is_satisfied().unwrap());
		(update, cs.num_constraints())
	}

	#[test]
	fn constraint_counts() {
		// Measured (update, membership) constraints: depth 2: (1213, 612), the balance tree
		// (depth 4): (2423, 1220), the account tree (depth 12): (7263, 3652). That is
		// `605·D + 3` for an update (per level two `Poseidon(4)` of 297 and two placements of
		// 4 sharing the digit's two bits and product; the recomposition; two equalities) and
		// `304·D + 4` for a membership check whose answer is enforced. The binary trees of the
		// same capacity cost (3867, 1940) at depth 8 and (11595, 5812) at depth 24.
		for (depth, counts) in [
			(DEPTH, counts::<DEPTH>()),
			(BALANCE_DEPTH, counts::<BALANCE_DEPTH>()),
			(ACCOUNT_DEPTH, counts::<ACCOUNT_DEPTH>()),
		] {
			assert_eq!(counts, (605 * depth + 3, 304 * depth + 4), "depth {depth}");
		}
		assert_eq!(counts::<ACCOUNT_DEPTH>(), (7263, 3652));
	}
}
