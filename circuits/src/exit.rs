//! The exit circuit, the twin of `concord_primitives::exit::ExitWitness::verify`: in exodus
//! mode it proves, against the exodus root, one account's balance of one token, one chain's
//! reserve of it and the sum of every chain's reserve, from which each L1 contract pays the
//! account its pro-rata share (`docs/protocol.md`, "Exodus").
//!
//! Public inputs, in order: root, account id, owner address (as `uint160`), token id,
//! balance, chain id, reserve, total. The account is a user account (not a reserve), its leaf
//! over the balance is in the tree, the 16 reserves of chains 0 to 15 over their balances of
//! the token form the reserve group, which beside empty subtrees (chain ids from 16 hold
//! nothing) is in the same tree, `reserve` is the chain's and `total` their sum.

use crate::{
	batch::{reserve_flag, AccountVar},
	merkle::{digits_from_bits, hash_children, place, Digit, MembershipProofVar},
	Fr,
};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use concord_primitives::{
	account::{Account, AccountTree, ACCOUNT_DEPTH, ACCOUNT_ID_BITS, BALANCE_DEPTH, TOKEN_ID_BITS},
	exit::{
		empty_reserve_siblings, exit_witness, ExitWitness, CHAIN_ID_LIMIT, RESERVE_GROUP_DEPTH,
		RESERVE_SUBTREE_DEPTH,
	},
	tree::ARITY,
};

/// Bits of a chain id in the exit circuit: chain ids are below `2^4 = CHAIN_ID_LIMIT`.
const CHAIN_ID_BITS: usize = 4;
const _: () = assert!(1 << CHAIN_ID_BITS == CHAIN_ID_LIMIT as usize);

/// The Groth16 circuit of one exit. Its shape is fixed.
#[derive(Clone, Debug)]
pub struct ExitCircuit {
	witness: ExitWitness,
}

impl ExitCircuit {
	pub fn new(witness: ExitWitness) -> Self {
		Self { witness }
	}

	/// A circuit of the right shape for the key setup (its values are never read there).
	pub fn blank() -> Self {
		let mut state = AccountTree::<concord_primitives::tree::MemoryStore>::new();
		let owner = Account {
			nonce: 0,
			pubkey: Account::EMPTY.pubkey,
			l1_address: [1; 20],
		};
		state
			.set_account_fields(0, owner)
			.expect("account 0 exists");
		Self::new(exit_witness(&state, 0, 0, 0).expect("account 0 has an owner"))
	}

	/// The circuit's constraint count (its shape is fixed).
	pub fn constraints() -> usize {
		let cs = ark_relations::gr1cs::ConstraintSystem::<Fr>::new_ref();
		cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
		Self::blank()
			.generate_constraints(cs.clone())
			.expect("the blank circuit synthesizes");
		cs.num_constraints()
	}
}

/// `value`'s `bits` low bits, constrained to recompose to it: `value < 2^bits`.
fn bits_of(value: &FpVar<Fr>, bits: usize) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
	let (mut all, _) = value.to_bits_le_with_top_bits_zero(bits)?;
	all.truncate(bits);
	Ok(all)
}

/// A digit fixed at synthesis time (the reserve group's position in the account tree).
fn constant_digit(digit: usize) -> Digit {
	Digit {
		low: Boolean::constant(digit & 1 == 1),
		high: Boolean::constant(digit & 2 == 2),
		is_three: Boolean::constant(digit == 3),
	}
}

impl ConstraintSynthesizer<Fr> for ExitCircuit {
	fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
		let w = &self.witness;
		let public = w.claim.public_inputs();
		let [root, account, address, token, balance, chain, reserve, total] =
			public.map(|value| FpVar::new_input(cs.clone(), || Ok(value)));
		let (root, account, address, token, balance, chain, reserve, total) = (
			root?, account?, address?, token?, balance?, chain?, reserve?, total?,
		);

		// The account: a user account whose leaf over `balance` is in the tree.
		let account_bits = bits_of(&account, ACCOUNT_ID_BITS)?;
		reserve_flag(&account_bits)?.enforce_equal(&Boolean::FALSE)?;
		let token_digits = digits_from_bits::<BALANCE_DEPTH>(&bits_of(&token, TOKEN_ID_BITS)?)?;
		let owner = AccountVar {
			nonce: FpVar::new_witness(cs.clone(), || Ok(Fr::from(w.nonce)))?,
			pubkey_x: FpVar::new_witness(cs.clone(), || Ok(w.pubkey.x))?,
			pubkey_y: FpVar::new_witness(cs.clone(), || Ok(w.pubkey.y))?,
			address,
		};
		let balance_path =
			MembershipProofVar::<BALANCE_DEPTH>::new_witness(cs.clone(), || Ok(w.balance_path))?;
		let account_path =
			MembershipProofVar::<ACCOUNT_DEPTH>::new_witness(cs.clone(), || Ok(w.account_path))?;
		let leaf = owner.leaf(&balance_path.root(&token_digits, &balance)?)?;
		account_path
			.root(&digits_from_bits(&account_bits)?, &leaf)?
			.enforce_equal(&root)?;

		// The reserves of chains 0 to 15, their group and its path to the same root.
		let empty_fields = AccountVar {
			nonce: FpVar::zero(),
			pubkey_x: FpVar::zero(),
			pubkey_y: FpVar::zero(),
			address: FpVar::zero(),
		};
		let chain_bits = bits_of(&chain, CHAIN_ID_BITS)?;
		let mut sum = FpVar::zero();
		let mut chosen = FpVar::zero();
		let mut leaves = Vec::with_capacity(CHAIN_ID_LIMIT.into());
		for c in 0..usize::from(CHAIN_ID_LIMIT) {
			let amount = FpVar::new_witness(cs.clone(), || Ok(Fr::from(w.reserves[c])))?;
			let path = MembershipProofVar::<BALANCE_DEPTH>::new_witness(cs.clone(), || {
				Ok(w.reserve_paths[c])
			})?;
			leaves.push(empty_fields.leaf(&path.root(&token_digits, &amount)?)?);
			let is_chain = Boolean::kary_and(
				&chain_bits
					.iter()
					.enumerate()
					.map(|(bit, b)| if c >> bit & 1 == 1 { b.clone() } else { !b })
					.collect::<Vec<_>>(),
			)?;
			chosen += FpVar::from(is_chain) * &amount;
			sum += amount;
		}
		reserve.enforce_equal(&chosen)?;
		total.enforce_equal(&sum)?;

		let quads = leaves
			.chunks_exact(ARITY)
			.map(|four| hash_children(four.try_into().expect("four leaves")))
			.collect::<Result<Vec<_>, _>>()?;
		let mut node = hash_children(quads[..].try_into().expect("four quads"))?;
		for empty in empty_reserve_siblings() {
			let siblings = [(); ARITY - 1].map(|()| FpVar::constant(empty));
			node = hash_children(&place(&node, &constant_digit(0), &siblings)?)?;
		}
		let above = MembershipProofVar::<{ ACCOUNT_DEPTH - RESERVE_SUBTREE_DEPTH }>::new_witness(
			cs.clone(),
			|| {
				Ok(concord_primitives::tree::MembershipProof {
					siblings: w.reserves_path,
				})
			},
		)?;
		let up = [(); ACCOUNT_DEPTH - RESERVE_SUBTREE_DEPTH].map(|()| constant_digit(ARITY - 1));
		above.root(&up, &node)?.enforce_equal(&root)?;
		const _: () = assert!(RESERVE_GROUP_DEPTH == 2 && RESERVE_SUBTREE_DEPTH == 4);
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ark_ff::AdditiveGroup;
	use ark_relations::gr1cs::ConstraintSystem;
	use concord_primitives::eddsa::PublicKey;
	use concord_primitives::{
		account::reserve_account,
		exit::{ExitClaim, EXIT_PUBLIC_INPUTS},
	};

	const TOKEN: u16 = 7;

	/// Users 1 and 2 with 700 and 300 of `TOKEN`, backed by 600 on chain 0 and 400 on chain 9.
	fn state() -> AccountTree {
		let mut state = AccountTree::new();
		for (id, balance) in [(1u32, 700), (2, 300)] {
			let owner = Account {
				nonce: id,
				pubkey: PublicKey {
					x: Fr::from(id + 10),
					y: Fr::from(id + 20),
				},
				l1_address: [id as u8; 20],
			};
			state.set_account_fields(id, owner).unwrap();
			state.set_balance(id, TOKEN, balance).unwrap();
		}
		state.set_balance(reserve_account(0), TOKEN, 600).unwrap();
		state.set_balance(reserve_account(9), TOKEN, 400).unwrap();
		state.set_balance(reserve_account(9), 1, 5).unwrap();
		state
	}

	/// Whether the circuit of `witness` is satisfied, and its constraint count.
	fn satisfied(witness: ExitWitness) -> (bool, usize) {
		let cs = ConstraintSystem::<Fr>::new_ref();
		ExitCircuit::new(witness)
			.generate_constraints(cs.clone())
			.unwrap();
		(cs.is_satisfied().unwrap(), cs.num_constraints())
	}

	#[test]
	fn the_circuit_accepts_exactly_what_the_native_check_accepts() {
		let state = state();
		for (account, chain) in [(1, 9), (2, 0), (1, 15)] {
			let witness = exit_witness(&state, account, TOKEN, chain).unwrap();
			assert!(witness.verify());
			let (ok, constraints) = satisfied(witness);
			assert!(ok, "exit of account {account} on chain {chain}");
			assert_eq!(constraints, ExitCircuit::constraints());
		}
		assert_eq!(
			ExitCircuit::blank().witness.claim.public_inputs().len(),
			EXIT_PUBLIC_INPUTS
		);
	}

	#[test]
	fn a_tampered_claim_or_reserve_is_unsatisfiable() {
		let witness = exit_witness(&state(), 1, TOKEN, 9).unwrap();
		let tampered: [fn(&mut ExitClaim); 8] = [
			|c| c.root += Fr::from(1u64),
			|c| c.account = 2,
			|c| c.l1_address = [2; 20],
			|c| c.token = 1,
			|c| c.balance += 1,
			|c| c.chain = 0,
			|c| c.reserve = 600,
			|c| c.total -= Fr::from(1u64),
		];
		for (k, tamper) in tampered.into_iter().enumerate() {
			let mut forged = witness;
			tamper(&mut forged.claim);
			assert!(!forged.verify());
			assert!(!satisfied(forged).0, "tampered public input {k} satisfied");
		}
		// Understating one reserve (to shrink the total) breaks the reserve group's hash.
		let mut forged = witness;
		forged.reserves[0] -= 1;
		forged.claim.total -= Fr::from(1u64);
		assert!(!forged.verify());
		assert!(!satisfied(forged).0);
	}

	#[test]
	fn no_exit_from_a_reserve_and_none_while_a_chain_beyond_15_holds_funds() {
		let state = state();
		// A reserve's own leaf is in the tree, but the circuit refuses its id.
		let mut witness = exit_witness(&state, 1, TOKEN, 0).unwrap();
		witness.claim.account = reserve_account(0);
		witness.claim.l1_address = [0; 20];
		witness.claim.balance = 600;
		(witness.nonce, witness.pubkey) = (0, Account::EMPTY.pubkey);
		witness.balance_path = state.balance_proof(reserve_account(0), TOKEN).unwrap();
		witness.account_path = state.account_proof(reserve_account(0)).unwrap();
		assert!(!witness.verify());
		assert!(!satisfied(witness).0);

		let mut state = state;
		state.set_balance(reserve_account(16), TOKEN, 1).unwrap();
		let witness = exit_witness(&state, 1, TOKEN, 0).unwrap();
		assert!(!witness.verify());
		assert!(!satisfied(witness).0);
		assert_ne!(witness.claim.total, Fr::ZERO);
	}
}
