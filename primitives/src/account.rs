//! The L2 state: accounts and their balances, in two levels of [`SparseMerkleTree`]s whose
//! layout the circuits, the prover and the auditor share.
//!
//! - The **account tree** has arity 4 and depth [`ACCOUNT_DEPTH`]; leaf `id` is account `id`'s leaf,
//!   `Poseidon(nonce, pubkey_x, pubkey_y, l1_address, balance_root)` ([`Account::leaf`]).
//! - Each account has a **balance tree** of arity 4 and depth [`BALANCE_DEPTH`]; leaf `token` is the
//!   account's balance of that token as a field element, 0 when it holds none.
//!
//! - The last 256 account ids, from [`FIRST_RESERVE_ACCOUNT`], are the **chain reserves**:
//!   [`reserve_account`]`(c)` holds, as its balances, what chain `c`'s contract holds of each
//!   token for L2 accounts. Deposits on `c` credit it, withdrawals to `c` and full exits on `c`
//!   debit it, so for every token the users' balances sum to the reserves' (the fee account is
//!   a user). A reserve has no key, no address and no nonce; no user op touches it.
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

/// Bits of an account id: account ids are below `2^24`.
pub const ACCOUNT_ID_BITS: usize = 24;
/// Bits of a token id: token ids are below `2^8`.
pub const TOKEN_ID_BITS: usize = 8;
/// Depth of the account tree (arity 4): `4^12 = 2^ACCOUNT_ID_BITS` leaves.
pub const ACCOUNT_DEPTH: usize = ACCOUNT_ID_BITS / 2;
/// Depth of each account's balance tree (arity 4): `4^4 = 2^TOKEN_ID_BITS` leaves.
pub const BALANCE_DEPTH: usize = TOKEN_ID_BITS / 2;

/// An L2 account id, below `2^ACCOUNT_ID_BITS`.
pub type AccountId = u32;
/// An L2 token id, below `2^TOKEN_ID_BITS` (`u16` so the tree can grow without an API change).
pub type TokenId = u16;

/// The first chain reserve's account id: ids from here to `2^ACCOUNT_ID_BITS − 1` are the
/// reserves of chains 0 to 255, and user accounts are numbered below it.
pub const FIRST_RESERVE_ACCOUNT: AccountId = (1 << ACCOUNT_ID_BITS) - 256;

/// The account id of chain `chain`'s reserve.
pub const fn reserve_account(chain: u8) -> AccountId {
	FIRST_RESERVE_ACCOUNT + chain as AccountId
}

/// The chain whose reserve account `id` is, or `None` for a user account id.
pub fn reserve_chain(id: AccountId) -> Option<u8> {
	id.checked_sub(FIRST_RESERVE_ACCOUNT)
		.and_then(|chain| u8::try_from(chain).ok())
}

/// The root of a balance tree holding no tokens: every leaf 0.
pub const EMPTY_BALANCE_ROOT: Fr =
	MontFp!("7166733538749145097044835779501529184583030407883999216862943858482812218900");
/// The leaf of an account never written: [`Account::EMPTY`] with [`EMPTY_BALANCE_ROOT`].
pub const EMPTY_ACCOUNT_LEAF: Fr =
	MontFp!("14965560676685944713066115050042903309326443250885082763573614384027381208896");
/// The state root of the empty state: every account empty.
pub const EMPTY_ACCOUNT_TREE_ROOT: Fr =
	MontFp!("1123640336555558045716537643818867348678170446321965712809871537462803133490");

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
	/// An account id at or above `2^ACCOUNT_ID_BITS`.
	AccountOutOfRange(AccountId),
	/// A token id at or above `2^TOKEN_ID_BITS`.
	TokenOutOfRange(TokenId),
}

impl fmt::Display for StateError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			StateError::AccountOutOfRange(id) => write!(
				f,
				"account id {id} is out of range (at most {})",
				(1u64 << ACCOUNT_ID_BITS) - 1
			),
			StateError::TokenOutOfRange(id) => write!(
				f,
				"token id {id} is out of range (at most {})",
				(1u64 << TOKEN_ID_BITS) - 1
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

/// The witness of one change of an account, its fields and one of its balances at once, as a
/// single account-tree update: the step the batch circuit repeats for every account an op
/// touches (see `concord_circuits::batch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountChange {
	pub old: Account,
	pub new: Account,
	pub old_balance: u128,
	pub new_balance: u128,
	/// The update of the balance leaf `token` in the account's balance tree.
	pub balance: UpdateProof<BALANCE_DEPTH>,
	/// The update of the account's leaf in the account tree.
	pub account: UpdateProof<ACCOUNT_DEPTH>,
}

impl AccountChange {
	/// The circuit's check: both paths are valid, the balance leaf changes from `old_balance`
	/// to `new_balance`, and the account leaf from `old` over the old balance root to `new`
	/// over the new one.
	pub fn verify(&self) -> bool {
		self.balance.verify()
			&& self.account.verify()
			&& self.balance.old_leaf == balance_leaf(self.old_balance)
			&& self.balance.new_leaf == balance_leaf(self.new_balance)
			&& self.account.old_leaf == self.old.leaf(self.balance.old_root)
			&& self.account.new_leaf == self.new.leaf(self.balance.new_root)
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
	pub fn account_proof(
		&self,
		id: AccountId,
	) -> Result<MembershipProof<ACCOUNT_DEPTH>, StateError> {
		check_account(id)?;
		Ok(self
			.accounts
			.membership_proof(id.into())
			.expect("account id checked"))
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
			Some(tree) => tree
				.membership_proof(token.into())
				.expect("token id checked"),
			None => MembershipProof {
				siblings: core::array::from_fn(|level| [self.empty_balances.at(level); 3]),
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

	/// Replaces account `id`'s fields with `account` and its balance of `token` with `amount`
	/// in one account-tree update.
	pub fn change(
		&mut self,
		id: AccountId,
		account: Account,
		token: TokenId,
		amount: u128,
	) -> Result<AccountChange, StateError> {
		let old = self.account(id)?;
		let old_balance = self.balance(id, token)?;
		let old_root = self.root();
		// Two updates of the same leaf: its siblings, hence the path, are the same for both.
		let balance = self.set_balance(id, token, amount)?.balance;
		let account_update = self.set_account_fields(id, account)?.proof;
		Ok(AccountChange {
			old,
			new: account,
			old_balance,
			new_balance: amount,
			balance,
			account: UpdateProof {
				old_leaf: old.leaf(balance.old_root),
				old_root,
				..account_update
			},
		})
	}

	fn balance_root_of(&self, id: AccountId) -> Fr {
		self.balances
			.get(&id)
			.map_or(self.empty_balances.root(), |tree| tree.root())
	}
}

fn check_account(id: AccountId) -> Result<(), StateError> {
	if u64::from(id) < 1 << ACCOUNT_ID_BITS {
		Ok(())
	} else {
		Err(StateError::AccountOutOfRange(id))
	}
}

fn check_token(id: TokenId) -> Result<(), StateError> {
	if u64::from(id) < 1 << TOKEN_ID_BITS {
		Ok(())
	} else {
		Err(StateError::TokenOutOfRange(id))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{eddsa::PrivateKey, test_vectors, tree::verify_membership};
	use ark_std::rand::Rng;
	use serde_json::Value;
	use std::vec::Vec;

	type State = AccountTree<MemoryStore>;

	const MAX_ACCOUNT: AccountId = (1 << ACCOUNT_ID_BITS) - 1;
	const MAX_TOKEN: TokenId = (1 << TOKEN_ID_BITS) - 1;

	fn sample_account(seed: u8) -> Account {
		Account {
			nonce: u32::from(seed) * 3 + 1,
			pubkey: PrivateKey([seed; 32]).public_key(),
			l1_address: [seed; 20],
		}
	}

	/// Balance `token` of account `id` and the account itself are in `state`, by the proofs
	/// a user would show the L1 contract.
	fn assert_proven(state: &State, id: AccountId, token: TokenId) {
		let balance_root = state.balance_root(id).unwrap();
		let amount = state.balance(id, token).unwrap();
		let balance_proof = state.balance_proof(id, token).unwrap();
		assert!(verify_membership(
			balance_root,
			token.into(),
			balance_leaf(amount),
			&balance_proof
		));
		let leaf = state.account(id).unwrap().leaf(balance_root);
		let account_proof = state.account_proof(id).unwrap();
		assert!(verify_membership(
			state.root(),
			id.into(),
			leaf,
			&account_proof
		));
	}

	#[test]
	fn account_change_updates_fields_and_one_balance_in_one_step() {
		let mut state = State::new();
		state.set_balance(3, 1, 50).unwrap();
		state.set_account_fields(4, sample_account(4)).unwrap();
		let root_before = state.root();
		let new = sample_account(9);
		let change = state.change(3, new, 1, 20).unwrap();
		assert!(change.verify());
		assert_eq!((change.old, change.new), (Account::EMPTY, new));
		assert_eq!((change.old_balance, change.new_balance), (50, 20));
		assert_eq!(change.account.old_root, root_before);
		assert_eq!(change.account.new_root, state.root());
		assert_eq!((state.account(3), state.balance(3, 1)), (Ok(new), Ok(20)));
		assert_proven(&state, 3, 1);

		let mut tampered = change;
		tampered.new_balance = 21;
		assert!(!tampered.verify());
		let mut tampered = change;
		tampered.old.nonce += 1;
		assert!(!tampered.verify());
		let mut tampered = change;
		tampered.account.path.siblings[5][0] += Fr::from(1u8);
		assert!(!tampered.verify());
		assert_eq!(
			state.change(1 << ACCOUNT_ID_BITS, new, 1, 0),
			Err(StateError::AccountOutOfRange(1 << ACCOUNT_ID_BITS))
		);
		assert_eq!(
			state.change(3, new, 1 << TOKEN_ID_BITS, 0),
			Err(StateError::TokenOutOfRange(1 << TOKEN_ID_BITS))
		);
	}

	#[test]
	fn empty_state_constants_are_the_computed_ones() {
		let state = State::new();
		assert_eq!(
			EmptyHashes::<BALANCE_DEPTH>::new(Fr::ZERO).root(),
			EMPTY_BALANCE_ROOT
		);
		assert_eq!(Account::EMPTY.leaf(EMPTY_BALANCE_ROOT), EMPTY_ACCOUNT_LEAF);
		assert_eq!(
			EmptyHashes::<ACCOUNT_DEPTH>::new(EMPTY_ACCOUNT_LEAF).root(),
			EMPTY_ACCOUNT_TREE_ROOT
		);
		assert_eq!(state.root(), EMPTY_ACCOUNT_TREE_ROOT);
		assert_eq!(
			state.account_tree().empty_hashes().at(0),
			EMPTY_ACCOUNT_LEAF
		);
		assert_eq!(state.balance_root(MAX_ACCOUNT), Ok(EMPTY_BALANCE_ROOT));
		assert_eq!(state.account(7), Ok(Account::EMPTY));
		assert_eq!(state.balance(7, MAX_TOKEN), Ok(0));
		assert_eq!(Account::default(), Account::EMPTY);
		assert_proven(&state, MAX_ACCOUNT, MAX_TOKEN);
	}

	#[test]
	fn matches_circomlibjs_state_vectors() {
		let vectors = test_vectors::state();
		assert_eq!(
			EMPTY_BALANCE_ROOT,
			test_vectors::fr(&vectors["empty_balance_root"])
		);
		assert_eq!(
			EMPTY_ACCOUNT_LEAF,
			test_vectors::fr(&vectors["empty_account_leaf"])
		);
		assert_eq!(
			EMPTY_ACCOUNT_TREE_ROOT,
			test_vectors::fr(&vectors["empty_account_tree_root"])
		);
		let id_of = |args: &Value| args["id"].as_u64().unwrap() as AccountId;
		let mut state = State::new();
		for step in vectors["steps"].as_array().unwrap() {
			let id = if let Some(args) = step.get("set_account") {
				let pubkey = args["pubkey"].as_array().unwrap();
				let account = Account {
					nonce: args["nonce"].as_str().unwrap().parse().unwrap(),
					pubkey: PublicKey {
						x: test_vectors::fr(&pubkey[0]),
						y: test_vectors::fr(&pubkey[1]),
					},
					l1_address: hex::decode(args["l1_address"].as_str().unwrap())
						.unwrap()
						.try_into()
						.unwrap(),
				};
				assert!(state
					.set_account_fields(id_of(args), account)
					.unwrap()
					.verify());
				id_of(args)
			} else {
				let args = &step["set_balance"];
				let token = args["token"].as_u64().unwrap() as TokenId;
				let amount = args["amount"].as_str().unwrap().parse().unwrap();
				assert!(state
					.set_balance(id_of(args), token, amount)
					.unwrap()
					.verify());
				assert_eq!(state.balance(id_of(args), token), Ok(amount));
				id_of(args)
			};
			let balance_root = state.balance_root(id).unwrap();
			assert_eq!(
				balance_root,
				test_vectors::fr(&step["balance_root"]),
				"{step}"
			);
			assert_eq!(
				state.account(id).unwrap().leaf(balance_root),
				test_vectors::fr(&step["account_leaf"]),
				"{step}"
			);
			assert_eq!(state.root(), test_vectors::fr(&step["root"]), "{step}");
		}
	}

	#[test]
	fn updates_carry_verifiable_witnesses() {
		let mut state = State::new();
		let account = sample_account(1);
		let fields = state.set_account_fields(9, account).unwrap();
		assert!(fields.verify());
		assert_eq!(
			(fields.old, fields.new, fields.balance_root),
			(Account::EMPTY, account, EMPTY_BALANCE_ROOT)
		);
		assert_eq!(fields.proof.old_root, EMPTY_ACCOUNT_TREE_ROOT);

		let update = state.set_balance(9, 3, 500).unwrap();
		assert!(update.verify());
		assert_eq!(update.account, account);
		assert_eq!(update.balance.old_root, EMPTY_BALANCE_ROOT);
		assert_eq!(update.balance.new_root, state.balance_root(9).unwrap());
		assert_eq!(update.account_update.old_root, fields.proof.new_root);
		assert_eq!(update.account_update.new_root, state.root());
		assert_eq!(state.balance(9, 3), Ok(500));
		assert_proven(&state, 9, 3);
		assert_proven(&state, 9, 4);

		let mut forged = update;
		forged.account.nonce += 1;
		assert!(!forged.verify(), "other account fields");
		let mut forged = update;
		forged.balance.new_leaf = balance_leaf(501);
		assert!(!forged.verify(), "another amount");
		let mut forged = fields;
		forged.balance_root = update.balance.new_root;
		assert!(!forged.verify(), "another balance root");
		let mut forged = fields;
		forged.new.l1_address[0] ^= 1;
		assert!(!forged.verify(), "another address");
	}

	#[test]
	fn full_range_amounts_and_ids() {
		let mut state = State::new();
		state
			.set_balance(MAX_ACCOUNT, MAX_TOKEN, u128::MAX)
			.unwrap();
		state.set_balance(0, 0, 1 << 64).unwrap();
		assert_eq!(state.balance(MAX_ACCOUNT, MAX_TOKEN), Ok(u128::MAX));
		assert_eq!(state.balance(0, 0), Ok(1 << 64));
		assert_proven(&state, MAX_ACCOUNT, MAX_TOKEN);
		assert_proven(&state, 0, 0);
	}

	#[test]
	fn out_of_range_ids_are_rejected_and_change_nothing() {
		let mut state = State::new();
		state.set_balance(1, 1, 10).unwrap();
		let root = state.root();
		let (account, token) = (MAX_ACCOUNT + 1, MAX_TOKEN + 1);
		let bad_account = StateError::AccountOutOfRange(account);
		let bad_token = StateError::TokenOutOfRange(token);
		assert_eq!(state.set_balance(account, 0, 1), Err(bad_account));
		assert_eq!(state.set_balance(1, token, 1), Err(bad_token));
		assert_eq!(state.set_balance(2, token, 1), Err(bad_token));
		assert_eq!(
			state.set_account_fields(account, sample_account(2)),
			Err(bad_account)
		);
		assert_eq!(state.account(account), Err(bad_account));
		assert_eq!(state.balance(account, 0), Err(bad_account));
		assert_eq!(state.balance(1, token), Err(bad_token));
		assert_eq!(state.balance_root(account), Err(bad_account));
		assert_eq!(state.account_proof(account), Err(bad_account));
		assert_eq!(state.balance_proof(1, token), Err(bad_token));
		assert_eq!(state.root(), root);
		assert_eq!(state.balance_root(2), Ok(EMPTY_BALANCE_ROOT));
		assert_eq!(
			std::format!("{bad_token}"),
			"token id 256 is out of range (at most 255)"
		);
		assert_eq!(
			std::format!("{bad_account}"),
			"account id 16777216 is out of range (at most 16777215)"
		);
	}

	#[test]
	fn reverting_restores_the_empty_state() {
		let mut state = State::new();
		state.set_account_fields(5, sample_account(5)).unwrap();
		let after_fields = state.root();
		state.set_balance(5, 2, 77).unwrap();
		state.set_balance(5, 2, 0).unwrap();
		assert_eq!(state.root(), after_fields);
		state.set_account_fields(5, Account::EMPTY).unwrap();
		assert_eq!(state.root(), EMPTY_ACCOUNT_TREE_ROOT);
		assert!(state.account_tree().store().is_empty());
		assert!(state.fields.is_empty() && state.balances.is_empty());
	}

	/// The root depends on the final state only: replaying random changes gives the root of a
	/// state built directly from their net effect, in another order.
	#[test]
	fn random_changes_match_a_state_rebuilt_from_scratch() {
		let mut rng = ark_std::test_rng();
		let ids: Vec<AccountId> = std::vec![0, 1, 2, 1000, MAX_ACCOUNT];
		let tokens: Vec<TokenId> = std::vec![0, 1, 7, MAX_TOKEN];
		let mut state = State::new();
		let mut fields = BTreeMap::new();
		let mut balances = BTreeMap::new();
		for round in 0..60 {
			let id = ids[rng.gen_range(0..ids.len())];
			if rng.gen_bool(0.3) {
				let account = if rng.gen_bool(0.2) {
					Account::EMPTY
				} else {
					sample_account(rng.gen())
				};
				assert!(state.set_account_fields(id, account).unwrap().verify());
				fields.insert(id, account);
			} else {
				let token = tokens[rng.gen_range(0..tokens.len())];
				let amount = if rng.gen_bool(0.3) { 0 } else { rng.gen() };
				assert!(state.set_balance(id, token, amount).unwrap().verify());
				balances.insert((id, token), amount);
			}
			if round % 10 == 9 {
				let mut rebuilt = State::new();
				for (&(id, token), &amount) in balances.iter().rev() {
					rebuilt.set_balance(id, token, amount).unwrap();
				}
				for (&id, &account) in fields.iter().rev() {
					rebuilt.set_account_fields(id, account).unwrap();
				}
				assert_eq!(rebuilt.root(), state.root());
				for &id in &ids {
					assert_eq!(rebuilt.account(id), state.account(id));
					for &token in &tokens {
						assert_eq!(rebuilt.balance(id, token), state.balance(id, token));
						assert_proven(&state, id, token);
					}
				}
			}
		}
	}
}
