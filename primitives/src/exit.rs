//! Exodus exits: what an exit proof shows about one account's balance of one token, and the
//! native twin of the exit circuit's check (`concord_circuits::exit`).
//!
//! In exodus mode every chain's contract pays an account, for one token, its balance at the
//! exodus root times that chain's share of the token:
//!
//! ```text
//! payout(c) = ⌊balance · reserve(c) / total⌋,    total = Σ_{chains k} reserve(k)
//! ```
//!
//! so the payouts of one account sum to at most its balance, and the payouts of one chain to
//! at most its reserve (the users' balances sum to the reserves' sum). The contract knows
//! neither the balance nor the reserves: an [`ExitClaim`] states them and the exit proof shows
//! them against the root. Because `total` must count every reserve, chain ids are below
//! [`CHAIN_ID_LIMIT`]: the first 16 reserve accounts form one subtree of the account tree, the
//! claim sums their balances, and the proof shows the other 240 reserve accounts empty.

use crate::{
	account::{
		address_to_fr, reserve_account, Account, AccountId, AccountTree, StateError, TokenId,
		ACCOUNT_DEPTH, BALANCE_DEPTH, EMPTY_ACCOUNT_LEAF, FIRST_RESERVE_ACCOUNT, TOKEN_ID_BITS,
	},
	eddsa::PublicKey,
	tree::{hash_children, place, EmptyHashes, MembershipProof, NodeStore, ARITY},
	Fr,
};
use core::fmt;

/// Concord chain ids are below 16 (registries and contracts refuse others), so the exit proof
/// can sum every chain's reserve of a token: 16 reserve accounts, one subtree of depth
/// [`RESERVE_GROUP_DEPTH`].
pub const CHAIN_ID_LIMIT: u8 = 16;
/// The depth of the subtree of the account tree that holds the reserves of chains 0 to 15
/// (`4^2 = 16` leaves, from [`FIRST_RESERVE_ACCOUNT`]).
pub const RESERVE_GROUP_DEPTH: usize = 2;
/// The levels of the account tree from the reserve group to the root of the 256 reserve
/// accounts, whose other subtrees (the reserves of chain ids 16 to 255) the proof shows empty.
pub const RESERVE_SUBTREE_DEPTH: usize = 4;
/// The public inputs of an exit proof, in order (see [`ExitClaim::public_inputs`]).
pub const EXIT_PUBLIC_INPUTS: usize = 8;

/// What an exit proof states, its public inputs: at state `root`, account `account` (owned by
/// `l1_address`) holds `balance` of `token`, chain `chain`'s reserve holds `reserve` of it and
/// the reserves of all chains `total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitClaim {
	pub root: Fr,
	pub account: AccountId,
	pub l1_address: [u8; 20],
	pub token: TokenId,
	pub balance: u128,
	pub chain: u8,
	pub reserve: u128,
	/// The sum of 16 `u128` reserves: up to `2^132`, so a field element (a `uint256` on L1).
	pub total: Fr,
}

impl ExitClaim {
	/// The public inputs as the L1 contract passes them to the exit verifier: root, account,
	/// address (as `uint160`), token, balance, chain, reserve, total.
	pub fn public_inputs(&self) -> [Fr; EXIT_PUBLIC_INPUTS] {
		[
			self.root,
			Fr::from(self.account),
			address_to_fr(&self.l1_address),
			Fr::from(self.token),
			Fr::from(self.balance),
			Fr::from(self.chain),
			Fr::from(self.reserve),
			self.total,
		]
	}
}

/// An exit proof's witness: the claim and the paths that show it against the root. The exit
/// circuit checks exactly what [`ExitWitness::verify`] checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitWitness {
	pub claim: ExitClaim,
	/// The account's other fields, which its leaf hashes.
	pub nonce: u32,
	pub pubkey: PublicKey,
	/// The path of `claim.token`'s leaf in the account's balance tree.
	pub balance_path: MembershipProof<BALANCE_DEPTH>,
	/// The path of the account's leaf in the account tree.
	pub account_path: MembershipProof<ACCOUNT_DEPTH>,
	/// Each of chains 0 to 15's reserve of `claim.token`, and the path of that balance in the
	/// reserve account's balance tree.
	pub reserves: [u128; CHAIN_ID_LIMIT as usize],
	pub reserve_paths: [MembershipProof<BALANCE_DEPTH>; CHAIN_ID_LIMIT as usize],
	/// The siblings above the 256 reserve accounts' subtree, to the root.
	pub reserves_path: [[Fr; ARITY - 1]; ACCOUNT_DEPTH - RESERVE_SUBTREE_DEPTH],
}

/// Why no exit proof can be built for an account and token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitError {
	/// The id is a chain reserve's, which nobody owns.
	ReserveAccount(AccountId),
	/// No account has this id in the state (it was never created).
	NoSuchAccount(AccountId),
	/// Chain ids are below [`CHAIN_ID_LIMIT`].
	ChainOutOfRange(u8),
	/// An account or token id beyond the trees.
	State(StateError),
}

impl fmt::Display for ExitError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			ExitError::ReserveAccount(id) => {
				write!(f, "account {id} is a chain reserve, which nobody can exit")
			}
			ExitError::NoSuchAccount(id) => write!(f, "no account {id} in the state"),
			ExitError::ChainOutOfRange(chain) => write!(
				f,
				"chain id {chain} is out of range (chain ids are below {CHAIN_ID_LIMIT})"
			),
			ExitError::State(error) => error.fmt(f),
		}
	}
}

impl From<StateError> for ExitError {
	fn from(error: StateError) -> Self {
		ExitError::State(error)
	}
}

/// The empty account subtrees at levels 2 and 3, beside the reserve group on its way to the
/// root of the 256 reserve accounts: the exit proof requires them there, which shows that the
/// reserves of chain ids 16 to 255 hold nothing.
pub fn empty_reserve_siblings() -> [Fr; RESERVE_SUBTREE_DEPTH - RESERVE_GROUP_DEPTH] {
	let empty = EmptyHashes::<RESERVE_SUBTREE_DEPTH>::new(EMPTY_ACCOUNT_LEAF);
	core::array::from_fn(|k| empty.at(RESERVE_GROUP_DEPTH + k))
}

/// The witness of an exit of `account`'s balance of `token` on `chain` at `state`'s root.
pub fn exit_witness<S: NodeStore + Default>(
	state: &AccountTree<S>,
	account: AccountId,
	token: TokenId,
	chain: u8,
) -> Result<ExitWitness, ExitError> {
	let fields = state.account(account)?;
	if account >= FIRST_RESERVE_ACCOUNT {
		return Err(ExitError::ReserveAccount(account));
	}
	if chain >= CHAIN_ID_LIMIT {
		return Err(ExitError::ChainOutOfRange(chain));
	}
	// Every account an op created has an owner's address.
	if fields == Account::EMPTY {
		return Err(ExitError::NoSuchAccount(account));
	}
	let reserves: [u128; CHAIN_ID_LIMIT as usize] =
		core::array::from_fn(|c| state.balance(reserve_account(c as u8), token).unwrap_or(0));
	let reserve_paths = (0..CHAIN_ID_LIMIT)
		.map(|c| state.balance_proof(reserve_account(c), token))
		.collect::<Result<alloc::vec::Vec<_>, _>>()?;
	let above = state.account_proof(FIRST_RESERVE_ACCOUNT)?.siblings;
	let total = reserves.iter().map(|&r| Fr::from(r)).sum();
	Ok(ExitWitness {
		claim: ExitClaim {
			root: state.root(),
			account,
			l1_address: fields.l1_address,
			token,
			balance: state.balance(account, token)?,
			chain,
			reserve: reserves[chain as usize],
			total,
		},
		nonce: fields.nonce,
		pubkey: fields.pubkey,
		balance_path: state.balance_proof(account, token)?,
		account_path: state.account_proof(account)?,
		reserves,
		reserve_paths: reserve_paths.try_into().expect("one path per chain"),
		reserves_path: core::array::from_fn(|k| above[RESERVE_SUBTREE_DEPTH + k]),
	})
}

impl ExitWitness {
	/// The check the exit circuit makes: the account is a user account whose leaf, over the
	/// balance `claim.balance` of `claim.token`, is in the tree with root `claim.root`; the
	/// reserves of chains 0 to 15, each over its balance of the token, form the reserve group,
	/// which with empty subtrees beside it (no reserve of a chain id of 16 or more holds
	/// anything) is in the same tree; `claim.reserve` is chain `claim.chain`'s and
	/// `claim.total` their sum.
	pub fn verify(&self) -> bool {
		let claim = &self.claim;
		if claim.account >= FIRST_RESERVE_ACCOUNT
			|| claim.chain >= CHAIN_ID_LIMIT
			|| u64::from(claim.token) >= 1 << TOKEN_ID_BITS
		{
			return false;
		}
		let balance_root = self
			.balance_path
			.root(claim.token.into(), Fr::from(claim.balance));
		let account = Account {
			nonce: self.nonce,
			pubkey: self.pubkey,
			l1_address: claim.l1_address,
		};
		if self
			.account_path
			.root(claim.account.into(), account.leaf(balance_root))
			!= claim.root
		{
			return false;
		}
		let leaves: [Fr; CHAIN_ID_LIMIT as usize] = core::array::from_fn(|c| {
			let root = self.reserve_paths[c].root(claim.token.into(), Fr::from(self.reserves[c]));
			Account::EMPTY.leaf(root)
		});
		let mut node = reserve_group_root(&leaves);
		for sibling in empty_reserve_siblings() {
			node = hash_children(&place(node, 0, &[sibling; ARITY - 1]));
		}
		for siblings in &self.reserves_path {
			node = hash_children(&place(node, ARITY - 1, siblings));
		}
		let total: Fr = self.reserves.iter().map(|&r| Fr::from(r)).sum();
		node == claim.root
			&& claim.reserve == self.reserves[claim.chain as usize]
			&& claim.total == total
	}
}

/// The node over the 16 reserve leaves: four `Poseidon(4)` of four, then one of those.
pub fn reserve_group_root(leaves: &[Fr; CHAIN_ID_LIMIT as usize]) -> Fr {
	let quads: [Fr; ARITY] = core::array::from_fn(|q| {
		hash_children(
			leaves[ARITY * q..ARITY * (q + 1)]
				.try_into()
				.expect("four leaves"),
		)
	});
	hash_children(&quads)
}

#[cfg(test)]
mod tests {
	use super::*;

	const TOKEN: TokenId = 3;

	fn owner(byte: u8) -> Account {
		Account {
			nonce: u32::from(byte),
			pubkey: PublicKey {
				x: Fr::from(u64::from(byte) + 100),
				y: Fr::from(u64::from(byte) + 200),
			},
			l1_address: [byte; 20],
		}
	}

	/// Two users holding 700 and 300 of `TOKEN`, backed by 600 on chain 0 and 400 on chain 5,
	/// and other tokens beside them.
	fn state() -> AccountTree {
		let mut state = AccountTree::new();
		for (id, balance) in [(1, 700), (2, 300)] {
			state.set_account_fields(id, owner(id as u8)).unwrap();
			state.set_balance(id, TOKEN, balance).unwrap();
			state.set_balance(id, 0, 5).unwrap();
		}
		state.set_balance(reserve_account(0), TOKEN, 600).unwrap();
		state.set_balance(reserve_account(5), TOKEN, 400).unwrap();
		state.set_balance(reserve_account(5), 0, 10).unwrap();
		state
	}

	#[test]
	fn an_exit_proves_the_balance_the_chain_reserve_and_the_total() {
		let state = state();
		let witness = exit_witness(&state, 1, TOKEN, 5).unwrap();
		assert!(witness.verify());
		assert_eq!(
			witness.claim,
			ExitClaim {
				root: state.root(),
				account: 1,
				l1_address: [1; 20],
				token: TOKEN,
				balance: 700,
				chain: 5,
				reserve: 400,
				total: Fr::from(1000u64),
			}
		);
		// A chain with no reserve of the token: its share is nothing.
		let witness = exit_witness(&state, 2, TOKEN, 15).unwrap();
		assert!(witness.verify());
		assert_eq!(
			(witness.claim.reserve, witness.claim.total),
			(0, Fr::from(1000u64))
		);
	}

	#[test]
	fn every_claimed_value_is_bound_by_the_proof() {
		let state = state();
		let witness = exit_witness(&state, 1, TOKEN, 5).unwrap();
		let tampered: [fn(&mut ExitClaim); 8] = [
			|c| c.root += Fr::from(1u64),
			|c| c.account = 2,
			|c| c.l1_address = [2; 20],
			|c| c.token = 0,
			|c| c.balance += 1,
			|c| c.chain = 0,
			|c| c.reserve = 600,
			|c| c.total += Fr::from(1u64),
		];
		for (k, tamper) in tampered.into_iter().enumerate() {
			let mut forged = witness;
			tamper(&mut forged.claim);
			assert!(!forged.verify(), "tampered public input {k} verified");
		}
		let mut forged = witness;
		forged.reserves[0] -= 1;
		assert!(!forged.verify(), "an understated reserve verified");
	}

	#[test]
	fn a_reserve_beyond_chain_15_leaves_no_exit_that_verifies() {
		// Registries refuse chain ids from 16, so this state never arises; if it did, the total
		// would miss a reserve, and the proof must not hold.
		let mut state = state();
		state.set_balance(reserve_account(16), TOKEN, 1).unwrap();
		assert!(!exit_witness(&state, 1, TOKEN, 0).unwrap().verify());
	}

	#[test]
	fn no_exit_for_a_reserve_an_unknown_account_or_chain() {
		let state = state();
		assert_eq!(
			exit_witness(&state, reserve_account(0), TOKEN, 0),
			Err(ExitError::ReserveAccount(reserve_account(0)))
		);
		assert_eq!(
			exit_witness(&state, 9, TOKEN, 0),
			Err(ExitError::NoSuchAccount(9))
		);
		assert_eq!(
			exit_witness(&state, 1, TOKEN, CHAIN_ID_LIMIT),
			Err(ExitError::ChainOutOfRange(CHAIN_ID_LIMIT))
		);
		assert_eq!(
			exit_witness(&state, 1 << 24, TOKEN, 0),
			Err(ExitError::State(StateError::AccountOutOfRange(1 << 24)))
		);
		assert_eq!(
			exit_witness(&state, 1, 256, 0),
			Err(ExitError::State(StateError::TokenOutOfRange(256)))
		);
	}
}
