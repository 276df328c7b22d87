//! The L2 state: accounts and their balances, in two levels of [`SparseMerkleTree`]s whose
//! layout the circuits, the prover and the auditor share.
//!
//! - The **account tree** has depth [`ACCOUNT_DEPTH`]; leaf `id` is account `id`'s leaf,
//!   `Poseidon(nonce, pubkey_x, pubkey_y, l1_address, balance_root)` ([`Account::leaf`]).
//! - Each account has a **balance tree** of depth [`BALANCE_DEPTH`]; leaf `token` is the
//!   account's balance of that token as a field element, 0 when it holds none.
//!
//! An account never written is the empty account ([`Account::EMPTY`]) with an empty balance
//! tree, so the empty state has the fixed root [`EMPTY_ACCOUNT_TREE_ROOT`], the `old_root` of
//! the first batch. The state root is the account tree's root.

use crate::{
	eddsa::PublicKey,
	poseidon,
	tree::{EmptyHashes, MembershipProof, MemoryStore, NodeStore, SparseMerkleTree, UpdateProof},
	Fr,
};
use alloc::collections::BTreeMap;
use ark_ff::{AdditiveGroup, MontFp, PrimeField};
use core::fmt;

/// Depth of the account tree: account ids are below `2^24`.
pub const ACCOUNT_DEPTH: usize = 24;
/// Depth of each account's balance tree: token ids are below `2^8`.
pub const BALANCE_DEPTH: usize = 8;

/// An L2 account id, below `2^ACCOUNT_DEPTH`.
pub type AccountId = u32;
/// An L2 token id, below `2^BALANCE_DEPTH` (`u16` so the depth can grow without an API change).
pub type TokenId = u16;

/// The root of a balance tree holding no tokens: every leaf 0.
pub const EMPTY_BALANCE_ROOT: Fr =
	MontFp!("2186774891605521484511138647132707263205739024356090574223746683689524510919");
/// The leaf of an account never written: [`Account::EMPTY`] with [`EMPTY_BALANCE_ROOT`].
pub const EMPTY_ACCOUNT_LEAF: Fr =
	MontFp!("0");
/// The state root of the empty state: every account empty.
pub const EMPTY_ACCOUNT_TREE_ROOT: Fr =
	MontFp!("0");

/// The fields of an account besides its balances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
	/// The number of L2 operations the account has signed, which orders and deduplicates them.
	pub nonce: u32,
	/// The EdDSA key that signs the account's L2 operations; `(0, 0)`, which is not a curve
	/// point and so matches no signature, until the owner sets it with ChangePubKey.
	pub pubkey: PublicKey,
	/// The owner's address, the same on every EVM chain.
	pub l1_address: [u8; 20],
}

impl Account {
	/// An account never written: nonce 0, no public key, the zero address.
	pub const EMPTY: Account = Account {
		nonce: 0,
		pubkey: PublicKey {
			x: Fr::ZERO,
			y: Fr::ZERO,
		},
		l1_address: [0; 20],
	};

	/// The account's leaf in the account tree, given the root of its balance tree:
	///
	/// ```text
	/// Poseidon(nonce, pubkey.x, pubkey.y, l1_address, balance_root)    (circomlib Poseidon(5))
	/// ```
	///
	/// where `nonce` is the integer as a field element and `l1_address` is the 20 bytes read as
	/// a big-endian integer (below `2^160`, as Solidity's `uint160(address)`).
	pub fn leaf(&self, balance_root: Fr) -> Fr {
		poseidon::hash(&[
			Fr::from(self.nonce),
			self.pubkey.x,
			self.pubkey.y,
			address_to_fr(&self.l1_address),
			balance_root,
		])
	}
}

impl Default for Account {
	fn default() -> Self {
		Account::EMPTY
	}
}

/// An L1 address as a field element: its 20 bytes as a big-endian integer.
pub fn address_to_fr(address: &[u8; 20]) -> Fr {
	Fr::from_be_bytes_mod_order(address)
}

/// A balance leaf: the amount as a field element. Amounts are `u128` so that sums of two never
/// wrap the field, which the circuit relies on when it range-checks them.
pub fn balance_leaf(amount: u128) -> Fr {
	Fr::from(amount)
}

/// An account or token id beyond the state's trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateError {
	AccountOutOfRange(AccountId),
	TokenOutOfRange(TokenId),
}

impl fmt::Display for StateError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			StateError::AccountOutOfRange(id) => write!(
				f,
				"account id {id} is out of range (at most {})",
				(1u64 << ACCOUNT_DEPTH) - 1
			),
			StateError::TokenOutOfRange(id) => write!(
				f,
				"token id {id} is out of range (at most {})",
				(1u64 << BALANCE_DEPTH) - 1
			),
		}
	}
}

/// The witness of a balance change: the balance tree update, and the account tree update that
/// it causes with the account's other fields unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalanceUpdate {
	pub account: Account,
	pub balance: UpdateProof<BALANCE_DEPTH>,
	pub account_update: UpdateProof<ACCOUNT_DEPTH>,
}

impl BalanceUpdate {
	/// The circuit's check: both paths are valid, and the account leaf changes exactly from
	/// `account` over the old balance root to `account` over the new one.
	pub fn verify(&self) -> bool {
		self.balance.verify()
			&& self.account_update.verify()
			&& self.account_update.old_leaf == self.account.leaf(self.balance.old_root)
			&& self.account_update.new_leaf == self.account.leaf(self.balance.new_root)
	}
}

/// The witness of a change of an account's fields with its balances unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountUpdate {
	pub old: Account,
	pub new: Account,
	pub balance_root: Fr,
	pub proof: UpdateProof<ACCOUNT_DEPTH>,
}

impl AccountUpdate {
	/// The circuit's check: the path is valid and the leaf changes from `old` to `new`, both over
	/// `balance_root`.
	pub fn verify(&self) -> bool {
		self.proof.verify()
			&& self.proof.old_leaf == self.old.leaf(self.balance_root)
			&& self.proof.new_leaf == self.new.leaf(self.balance_root)
	}
}

/// The whole L2 state: the account tree and every account's balance tree, each over its own
/// store (created with `S::default()` when an account first receives a balance).
///
/// Only accounts that differ from the empty account are held, so the state is as large as the
/// accounts in use, and each change rehashes one balance path and one account path.
#[derive(Clone, Debug)]
pub struct AccountTree<S = MemoryStore> {
	accounts: SparseMerkleTree<ACCOUNT_DEPTH, S>,
	fields: BTreeMap<AccountId, Account>,
	balances: BTreeMap<AccountId, SparseMerkleTree<BALANCE_DEPTH, S>>,
	empty_balances: EmptyHashes<BALANCE_DEPTH>,
}

impl<S: NodeStore + Default> Default for AccountTree<S> {
	fn default() -> Self {
		Self::new()
	}
}

impl<S: NodeStore + Default> AccountTree<S> {
	/// The empty state, whose root is [`EMPTY_ACCOUNT_TREE_ROOT`].
	pub fn new() -> Self {
		let empty_balances = EmptyHashes::new(Fr::ZERO);
		let empty_leaf = Account::EMPTY.leaf(empty_balances.root());
		Self {
			accounts: SparseMerkleTree::new(S::default(), EmptyHashes::new(empty_leaf)),
			fields: BTreeMap::new(),
			balances: BTreeMap::new(),
			empty_balances,
		}
	}

	/// The state root.
	pub fn root(&self) -> Fr {
		self.accounts.root()
	}

	/// The account tree, for its store and empty hashes.
	pub fn account_tree(&self) -> &SparseMerkleTree<ACCOUNT_DEPTH, S> {
		&self.accounts
	}

	/// The fields of account `id` ([`Account::EMPTY`] if never written).
	pub fn account(&self, id: AccountId) -> Result<Account, StateError> {
		check_account(id)?;
		Ok(self.fields.get(&id).copied().unwrap_or(Account::EMPTY))
	}

	/// The root of account `id`'s balance tree.
	pub fn balance_root(&self, id: AccountId) -> Result<Fr, StateError> {
		check_account(id)?;
		Ok(self.balance_root_of(id))
	}

	/// Account `id`'s balance of `token`.
	pub fn balance(&self, id: AccountId, token: TokenId) -> Result<u128, StateError> {
		check_account(id)?;
		check_token(token)?;
		let leaf = match self.balances.get(&id) {
			Some(tree) => tree.get(token.into()).expect("token id checked"),
			None => Fr::ZERO,
		};
		let [low, high, ..] = leaf.into_bigint().0;
		Ok(u128::from(high) << 64 | u128::from(low))
	}

	/// The path of account `id`'s leaf in the account tree, against [`root`](Self::root).
	pub fn account_proof(&self, id: AccountId) -> Result<MembershipProof<ACCOUNT_DEPTH>, StateError> {
		check_account(id)?;
		Ok(self.accounts.membership_proof(id.into()).expect("account id checked"))
	}

	/// The path of `token`'s leaf in account `id`'s balance tree, against its
	/// [`balance_root`](Self::balance_root): with [`account_proof`](Self::account_proof), what
	/// a user needs to prove a balance to the L1 contract in exodus mode.
	pub fn balance_proof(
		&self,
		id: AccountId,
		token: TokenId,
	) -> Result<MembershipProof<BALANCE_DEPTH>, StateError> {
		check_account(id)?;
		check_token(token)?;
		Ok(match self.balances.get(&id) {
			Some(tree) => tree.membership_proof(token.into()).expect("token id checked"),
			None => MembershipProof {
				siblings: core::array::from_fn(|level| self.empty_balances.at(level)),
			},
		})
	}

	/// Replaces account `id`'s fields, keeping its balances.
	pub fn set_account_fields(
		&mut self,
		id: AccountId,
		account: Account,
	) -> Result<AccountUpdate, StateError> {
		let old = self.account(id)?;
		let balance_root = self.balance_root_of(id);
		if account == Account::EMPTY {
			self.fields.remove(&id);
		} else {
			self.fields.insert(id, account);
		}
		let proof = self
			.accounts
			.update(id.into(), account.leaf(balance_root))
			.expect("account id checked");
		Ok(AccountUpdate {
			old,
			new: account,
			balance_root,
			proof,
		})
	}

	/// Sets account `id`'s balance of `token` to `amount`.
	pub fn set_balance(
		&mut self,
		id: AccountId,
		token: TokenId,
		amount: u128,
	) -> Result<BalanceUpdate, StateError> {
		let account = self.account(id)?;
		check_token(token)?;
		let empty_balances = self.empty_balances;
		let balances = self
			.balances
			.entry(id)
			.or_insert_with(|| SparseMerkleTree::new(S::default(), empty_balances));
		let balance = balances
			.update(token.into(), balance_leaf(amount))
			.expect("token id checked");
		if balance.new_root == empty_balances.root() {
			self.balances.remove(&id);
		}
		let account_update = self
			.accounts
			.update(id.into(), account.leaf(balance.new_root))
			.expect("account id checked");
		Ok(BalanceUpdate {
			account,
			balance,
			account_update,
		})
	}

	fn balance_root_of(&self, id: AccountId) -> Fr {
		self.balances
			.get(&id)
			.map_or(self.empty_balances.root(), |tree| tree.root())
	}
}

fn check_account(id: AccountId) -> Result<(), StateError> {
	if u64::from(id) < 1 << ACCOUNT_DEPTH {
		Ok(())
	} else {
		Err(StateError::AccountOutOfRange(id))
	}
}

fn check_token(id: TokenId) -> Result<(), StateError> {
	if u64::from(id) < 1 << BALANCE_DEPTH {
		Ok(())
	} else {
		Err(StateError::TokenOutOfRange(id))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::tree::verify_membership;

	#[test]
	fn print_empty() {
		let t = AccountTree::<MemoryStore>::new();
		std::println!("{} {} {}", t.empty_balances.root(), t.accounts.empty_hashes().at(0), t.root());
	}
}
