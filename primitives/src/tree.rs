//! A sparse Merkle tree of arity 4 and fixed depth with Poseidon nodes, the building block of
//! Concord's state (see [`crate::account`] for the account and balance trees built from it).
//!
//! Layout, shared with the circuits:
//! - level 0 holds the `4^DEPTH` leaves, level `DEPTH` the root; the node at `(level, index)`
//!   covers leaves `index · 4^level ..< (index + 1) · 4^level`;
//! - an internal node is `Poseidon(c0, c1, c2, c3)` (circomlib's `Poseidon(4)`), its children
//!   being `(level − 1, 4·index + k)` for `k = 0..4`;
//! - a path is read from the leaf upwards: digit `l` of a leaf's index in base 4 (its bits `2l`
//!   and `2l + 1`) says which child of its parent the ancestor at level `l` is, and
//!   `siblings[l]` holds that parent's three other children, in order.
//!
//! Arity 4 halves the levels of a binary tree over the same leaves, and one `Poseidon(4)` costs
//! a circuit about 1.2 times a `Poseidon(2)`: a path costs about 60 % of a binary one.
//!
//! Every leaf starts as a fixed empty value, so a subtree none of whose leaves was written hashes
//! to a value that depends only on its level ([`EmptyHashes`]). Stores keep only the nodes that
//! differ from it: a tree of `4^12` leaves costs memory in proportion to the leaves written, and
//! an update reads `3 · DEPTH` siblings and writes the `DEPTH + 1` nodes of one path.

use crate::{poseidon, Fr};
use alloc::collections::BTreeMap;
use core::fmt;

/// Children per internal node.
pub const ARITY: usize = 4;

/// Storage of the nodes of one tree, by `(level, index)` as laid out in the module docs.
///
/// Only nodes that differ from the empty subtree of their level are stored: [`get`] answers
/// `None` for the others, and the tree [`remove`]s a node that becomes empty again, so a store
/// holds exactly the non-empty nodes. The trait is infallible so the same tree code runs over the
/// in-memory store in the runtime-free prover and in tests; a persistent store is expected to
/// buffer writes and commit them per batch.
///
/// [`get`]: NodeStore::get
/// [`remove`]: NodeStore::remove
pub trait NodeStore {
	/// The stored node at `(level, index)`, `None` if that subtree is empty.
	fn get(&self, level: u8, index: u64) -> Option<Fr>;
	/// Stores the node at `(level, index)`, replacing any previous value.
	fn put(&mut self, level: u8, index: u64, node: Fr);
	/// Forgets the node at `(level, index)`: its subtree is empty again.
	fn remove(&mut self, level: u8, index: u64);
}

/// A [`NodeStore`] in a `BTreeMap`, available without `std`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryStore {
	nodes: BTreeMap<(u8, u64), Fr>,
}

impl MemoryStore {
	/// An empty store: the tree over it has every leaf empty.
	pub fn new() -> Self {
		Self::default()
	}

	/// The number of stored (non-empty) nodes.
	pub fn len(&self) -> usize {
		self.nodes.len()
	}

	/// Whether no node is stored, that is, the tree is entirely empty.
	pub fn is_empty(&self) -> bool {
		self.nodes.is_empty()
	}
}

impl NodeStore for MemoryStore {
	fn get(&self, level: u8, index: u64) -> Option<Fr> {
		self.nodes.get(&(level, index)).copied()
	}

	fn put(&mut self, level: u8, index: u64, node: Fr) {
		self.nodes.insert((level, index), node);
	}

	fn remove(&mut self, level: u8, index: u64) {
		self.nodes.remove(&(level, index));
	}
}

/// An internal node: `Poseidon(c0, c1, c2, c3)`.
pub fn hash_children(children: &[Fr; ARITY]) -> Fr {
	poseidon::hash(children)
}

/// The four children of a parent whose child number `digit` (`0..4`) is `node` and whose other
/// children are `siblings`, in order.
pub fn place(node: Fr, digit: usize, siblings: &[Fr; ARITY - 1]) -> [Fr; ARITY] {
	core::array::from_fn(|k| match k.cmp(&digit) {
		core::cmp::Ordering::Less => siblings[k],
		core::cmp::Ordering::Equal => node,
		core::cmp::Ordering::Greater => siblings[k - 1],
	})
}

/// Digit `level` of `index` in base 4: which child of its parent the ancestor of leaf `index`
/// at `level` is.
fn digit(index: u64, level: usize) -> usize {
	(index >> (2 * level) & 3) as usize
}

/// The largest supported depth: leaf indices are `u64`, so `4^DEPTH` fits in 63 bits.
pub const MAX_DEPTH: usize = 31;

/// The hash of an empty subtree at each level of a tree of depth `DEPTH`, computed once per
/// tree shape (`DEPTH` Poseidon hashes) and shared by every tree of that shape, such as the
/// balance subtrees of all accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmptyHashes<const DEPTH: usize> {
	/// `levels[l]` is the empty subtree at level `l`; `levels[0]` is the empty leaf.
	levels: [Fr; DEPTH],
	root: Fr,
}

impl<const DEPTH: usize> EmptyHashes<DEPTH> {
	/// The empty subtrees over leaves that all equal `empty_leaf`.
	pub fn new(empty_leaf: Fr) -> Self {
		const { assert!(DEPTH <= MAX_DEPTH, "tree depth above MAX_DEPTH") };
		let mut node = empty_leaf;
		let levels = core::array::from_fn(|_| {
			let level = node;
			node = hash_children(&[node; ARITY]);
			level
		});
		Self { levels, root: node }
	}

	/// The empty subtree at `level`, `0 ..= DEPTH`.
	///
	/// # Panics
	///
	/// If `level > DEPTH`.
	pub fn at(&self, level: usize) -> Fr {
		if level == DEPTH {
			self.root
		} else {
			self.levels[level]
		}
	}

	/// The root of the empty tree.
	pub fn root(&self) -> Fr {
		self.root
	}
}

/// An index at or beyond a tree's `4^DEPTH` leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexOutOfRange {
	/// The rejected index.
	pub index: u64,
	/// The depth of the tree that rejected it.
	pub depth: usize,
}

impl fmt::Display for IndexOutOfRange {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(
			f,
			"leaf index {} is out of range for a tree of depth {} (at most {})",
			self.index,
			self.depth,
			capacity(self.depth) - 1
		)
	}
}

/// The siblings on the path from a leaf to the root, `siblings[0]` beside the leaf: at each
/// level, the three other children of the path's node's parent, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MembershipProof<const DEPTH: usize> {
	pub siblings: [[Fr; ARITY - 1]; DEPTH],
}

impl<const DEPTH: usize> MembershipProof<DEPTH> {
	/// The root of the tree in which leaf `index` is `leaf` and the path's siblings are these.
	/// Only the low `2 · DEPTH` bits of `index` are read: callers check the range.
	pub fn root(&self, index: u64, leaf: Fr) -> Fr {
		self.siblings
			.iter()
			.enumerate()
			.fold(leaf, |node, (level, siblings)| {
				hash_children(&place(node, digit(index, level), siblings))
			})
	}
}

/// Whether `proof` shows that leaf `index` of the tree with root `root` is `leaf`; false for an
/// `index` beyond the tree's `4^DEPTH` leaves.
pub fn verify_membership<const DEPTH: usize>(
	root: Fr,
	index: u64,
	leaf: Fr,
	proof: &MembershipProof<DEPTH>,
) -> bool {
	index < capacity(DEPTH) && proof.root(index, leaf) == root
}

/// What a circuit needs to check one leaf update: with the same siblings, `old_leaf` at `index`
/// gives `old_root` and `new_leaf` gives `new_root`. The siblings are unchanged by the update,
/// which is why one path proves both states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdateProof<const DEPTH: usize> {
	pub index: u64,
	pub old_leaf: Fr,
	pub new_leaf: Fr,
	pub path: MembershipProof<DEPTH>,
	pub old_root: Fr,
	pub new_root: Fr,
}

impl<const DEPTH: usize> UpdateProof<DEPTH> {
	/// Whether the path links `old_leaf` to `old_root` and `new_leaf` to `new_root` at `index`:
	/// the check the circuit makes.
	pub fn verify(&self) -> bool {
		verify_membership(self.old_root, self.index, self.old_leaf, &self.path)
			&& verify_membership(self.new_root, self.index, self.new_leaf, &self.path)
	}
}

/// The number of leaves of a tree of depth `depth`, `4^depth`.
pub const fn capacity(depth: usize) -> u64 {
	1 << (2 * depth)
}

/// A sparse Merkle tree with `4^DEPTH` leaves over a [`NodeStore`].
#[derive(Clone, Debug)]
pub struct SparseMerkleTree<const DEPTH: usize, S = MemoryStore> {
	store: S,
	empty: EmptyHashes<DEPTH>,
}

impl<const DEPTH: usize, S: NodeStore> SparseMerkleTree<DEPTH, S> {
	/// The tree held by `store` (empty if the store is) whose untouched leaves equal
	/// `empty.at(0)`.
	pub fn new(store: S, empty: EmptyHashes<DEPTH>) -> Self {
		Self { store, empty }
	}

	/// The store, for persisting or inspecting the nodes.
	pub fn store(&self) -> &S {
		&self.store
	}

	/// The empty subtree hashes this tree was built with.
	pub fn empty_hashes(&self) -> &EmptyHashes<DEPTH> {
		&self.empty
	}

	/// The root: the empty tree's root until a leaf differs from the empty leaf.
	pub fn root(&self) -> Fr {
		self.node(DEPTH, 0)
	}

	/// Leaf `index`.
	pub fn get(&self, index: u64) -> Result<Fr, IndexOutOfRange> {
		self.check(index)?;
		Ok(self.node(0, index))
	}

	/// The path proving the current value of leaf `index` against [`root`](Self::root).
	pub fn membership_proof(&self, index: u64) -> Result<MembershipProof<DEPTH>, IndexOutOfRange> {
		self.check(index)?;
		Ok(MembershipProof {
			siblings: core::array::from_fn(|level| self.siblings(level, index)),
		})
	}

	/// Sets leaf `index` to `leaf`, rehashing its path only (`DEPTH` hashes, `DEPTH + 1` node
	/// writes), and returns the proof that links the old root to the new one.
	pub fn update(&mut self, index: u64, leaf: Fr) -> Result<UpdateProof<DEPTH>, IndexOutOfRange> {
		self.check(index)?;
		let old_root = self.root();
		let old_leaf = self.node(0, index);
		let mut siblings = [[Fr::default(); ARITY - 1]; DEPTH];
		let mut node = leaf;
		self.write(0, index, node);
		for (level, level_siblings) in siblings.iter_mut().enumerate() {
			*level_siblings = self.siblings(level, index);
			node = hash_children(&place(node, digit(index, level), level_siblings));
			self.write(level + 1, index >> (2 * (level + 1)), node);
		}
		Ok(UpdateProof {
			index,
			old_leaf,
			new_leaf: leaf,
			path: MembershipProof { siblings },
			old_root,
			new_root: node,
		})
	}

	/// The three siblings, in order, of the ancestor of leaf `index` at `level`.
	fn siblings(&self, level: usize, index: u64) -> [Fr; ARITY - 1] {
		let position = index >> (2 * level);
		let first = position & !3;
		let digit = digit(index, level) as u64;
		core::array::from_fn(|k| {
			let k = k as u64;
			self.node(level, first + if k < digit { k } else { k + 1 })
		})
	}

	fn check(&self, index: u64) -> Result<(), IndexOutOfRange> {
		if index < capacity(DEPTH) {
			Ok(())
		} else {
			Err(IndexOutOfRange {
				index,
				depth: DEPTH,
			})
		}
	}

	fn node(&self, level: usize, index: u64) -> Fr {
		self.store
			.get(level as u8, index)
			.unwrap_or_else(|| self.empty.at(level))
	}

	/// Stores `node`, or forgets the position when `node` is the empty subtree of its level, so
	/// the store holds only non-empty nodes.
	fn write(&mut self, level: usize, index: u64, node: Fr) {
		if node == self.empty.at(level) {
			self.store.remove(level as u8, index);
		} else {
			self.store.put(level as u8, index, node);
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ark_ff::{AdditiveGroup, Field, UniformRand};
	use ark_std::rand::Rng;
	use core::cell::Cell;
	use std::vec::Vec;

	const DEPTH: usize = 2;
	const LEAVES: usize = 1 << (2 * DEPTH);

	fn empty_leaf() -> Fr {
		Fr::from(7u64)
	}

	fn tree() -> SparseMerkleTree<DEPTH> {
		SparseMerkleTree::new(MemoryStore::new(), EmptyHashes::new(empty_leaf()))
	}

	/// Every node of the full tree, level by level, hashed from scratch.
	fn naive_levels(leaves: &[Fr]) -> Vec<Vec<Fr>> {
		let mut levels = vec![leaves.to_vec()];
		while levels.last().unwrap().len() > 1 {
			let next = levels
				.last()
				.unwrap()
				.chunks_exact(ARITY)
				.map(|children| hash_children(children.try_into().unwrap()))
				.collect();
			levels.push(next);
		}
		levels
	}

	#[test]
	fn empty_tree_root_is_the_precomputed_empty_root() {
		let tree = tree();
		let naive = naive_levels(&[empty_leaf(); LEAVES]);
		assert_eq!(tree.root(), tree.empty_hashes().root());
		assert_eq!(tree.root(), naive[DEPTH][0]);
		for (level, nodes) in naive.iter().enumerate() {
			assert_eq!(tree.empty_hashes().at(level), nodes[0]);
		}
		assert_eq!(tree.get(5), Ok(empty_leaf()));
		assert!(tree.store().is_empty());
	}

	#[test]
	fn proofs_round_trip() {
		let mut tree = tree();
		for (index, value) in [(0u64, 10u64), (15, 11), (6, 12), (6, 13)] {
			let update = tree.update(index, Fr::from(value)).unwrap();
			assert!(update.verify());
			assert_eq!(update.new_root, tree.root());
			assert_eq!(update.new_leaf, Fr::from(value));
			assert_eq!(tree.get(index), Ok(Fr::from(value)));
		}
		let root = tree.root();
		for index in 0..LEAVES as u64 {
			let leaf = tree.get(index).unwrap();
			let proof = tree.membership_proof(index).unwrap();
			assert!(verify_membership(root, index, leaf, &proof));
		}
		let update = tree.update(6, Fr::from(14u64)).unwrap();
		assert_eq!((update.old_leaf, update.old_root), (Fr::from(13u64), root));
	}

	#[test]
	fn proofs_fail_for_wrong_leaf_index_sibling_or_root() {
		let mut tree = tree();
		tree.update(3, Fr::from(1u64)).unwrap();
		tree.update(9, Fr::from(2u64)).unwrap();
		let root = tree.root();
		let proof = tree.membership_proof(3).unwrap();
		let leaf = Fr::from(1u64);
		assert!(verify_membership(root, 3, leaf, &proof));
		assert!(!verify_membership(root, 3, Fr::from(2u64), &proof));
		assert!(!verify_membership(root, 2, leaf, &proof));
		assert!(!verify_membership(root, 3 + LEAVES as u64, leaf, &proof));
		assert!(!verify_membership(root + Fr::ONE, 3, leaf, &proof));
		for level in 0..DEPTH {
			for k in 0..ARITY - 1 {
				let mut tampered = proof;
				tampered.siblings[level][k] += Fr::ONE;
				assert!(
					!verify_membership(root, 3, leaf, &tampered),
					"level {level}, sibling {k}"
				);
			}
		}

		let update = tree.update(9, Fr::from(5u64)).unwrap();
		for tamper in [
			|u: &mut UpdateProof<DEPTH>| u.old_leaf += Fr::ONE,
			|u: &mut UpdateProof<DEPTH>| u.new_leaf += Fr::ONE,
			|u: &mut UpdateProof<DEPTH>| u.index ^= 1,
			|u: &mut UpdateProof<DEPTH>| u.path.siblings[1][2] += Fr::ONE,
			|u: &mut UpdateProof<DEPTH>| u.new_root = u.old_root,
		] {
			let mut tampered = update;
			tamper(&mut tampered);
			assert!(!tampered.verify());
		}
	}

	#[test]
	fn out_of_range_indices_are_rejected() {
		let mut tree = tree();
		let error = IndexOutOfRange {
			index: LEAVES as u64,
			depth: DEPTH,
		};
		assert_eq!(tree.get(LEAVES as u64), Err(error));
		assert_eq!(tree.membership_proof(LEAVES as u64), Err(error));
		assert_eq!(tree.update(LEAVES as u64, Fr::ONE), Err(error));
		assert_eq!(tree.update(u64::MAX, Fr::ONE).unwrap_err().index, u64::MAX);
		assert!(tree.store().is_empty());
		assert_eq!(
			std::format!("{error}"),
			"leaf index 16 is out of range for a tree of depth 2 (at most 15)"
		);
	}

	#[test]
	fn reverting_restores_the_root_and_the_store() {
		let mut tree = tree();
		tree.update(1, Fr::from(3u64)).unwrap();
		let (root, store) = (tree.root(), tree.store().clone());
		let update = tree.update(12, Fr::from(4u64)).unwrap();
		assert_ne!(tree.root(), root);
		let revert = tree.update(12, update.old_leaf).unwrap();
		assert_eq!(revert.new_root, root);
		assert_eq!(tree.store(), &store);
		tree.update(1, empty_leaf()).unwrap();
		assert_eq!(tree.root(), tree.empty_hashes().root());
		assert!(tree.store().is_empty());
	}

	#[test]
	fn random_updates_match_a_full_recomputation() {
		let mut rng = ark_std::test_rng();
		let mut tree = tree();
		let mut leaves = [empty_leaf(); LEAVES];
		for _ in 0..300 {
			let index = rng.gen_range(0..LEAVES);
			let leaf = match rng.gen_range(0..3) {
				0 => empty_leaf(),
				1 => Fr::from(rng.gen_range(0..4u64)),
				_ => Fr::rand(&mut rng),
			};
			let old_root = tree.root();
			let update = tree.update(index as u64, leaf).unwrap();
			leaves[index] = leaf;
			let naive = naive_levels(&leaves);
			assert_eq!(tree.root(), naive[DEPTH][0]);
			assert_eq!(update.old_root, old_root);
			assert!(update.verify());

			let root = tree.root();
			for (i, &expected) in leaves.iter().enumerate() {
				assert_eq!(tree.get(i as u64), Ok(expected));
				let proof = tree.membership_proof(i as u64).unwrap();
				assert!(verify_membership(root, i as u64, expected, &proof));
				for (level, siblings) in proof.siblings.iter().enumerate() {
					let position = i >> (2 * level);
					let others: Vec<Fr> = (position & !3..(position & !3) + ARITY)
						.filter(|&k| k != position)
						.map(|k| naive[level][k])
						.collect();
					assert_eq!(siblings.to_vec(), others);
				}
			}
			let non_empty = naive
				.iter()
				.enumerate()
				.map(|(level, nodes)| {
					let empty = tree.empty_hashes().at(level);
					nodes.iter().filter(|&&node| node != empty).count()
				})
				.sum::<usize>();
			assert_eq!(
				tree.store().len(),
				non_empty,
				"the store holds non-empty nodes only"
			);
		}
	}

	/// Counts store accesses, to check that an update touches one path only.
	#[derive(Default)]
	struct CountingStore {
		inner: MemoryStore,
		reads: Cell<usize>,
		writes: usize,
	}

	impl NodeStore for CountingStore {
		fn get(&self, level: u8, index: u64) -> Option<Fr> {
			self.reads.set(self.reads.get() + 1);
			self.inner.get(level, index)
		}

		fn put(&mut self, level: u8, index: u64, node: Fr) {
			self.writes += 1;
			self.inner.put(level, index, node);
		}

		fn remove(&mut self, level: u8, index: u64) {
			self.writes += 1;
			self.inner.remove(level, index);
		}
	}

	#[test]
	fn an_update_touches_one_path() {
		const BIG: usize = 12;
		let mut tree =
			SparseMerkleTree::<BIG, _>::new(CountingStore::default(), EmptyHashes::new(Fr::ZERO));
		for index in [0u64, 5, capacity(BIG) - 1, 5] {
			let (reads, writes) = (tree.store().reads.get(), tree.store().writes);
			tree.update(index, Fr::from(index + 1)).unwrap();
			// The old root, the old leaf, then three siblings per level.
			assert_eq!(tree.store().reads.get() - reads, 3 * BIG + 2);
			assert_eq!(tree.store().writes - writes, BIG + 1);
		}
	}
}
