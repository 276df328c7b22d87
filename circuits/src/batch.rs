//! The batch circuit: a fixed number of slots that together prove that a batch's pubdata
//! takes the state from `old_root` to `new_root` under Concord's rules, with two public inputs:
//! the batch commitment, and the prover's account (`commitment::prover_input`), which no rule
//! reads but which binds the proof to the prover who made it.
//!
//! Each slot writes one 16-byte pubdata chunk, and an op takes as many consecutive slots as it
//! has chunks (a Transfer one, a ChangePubKey four), so each op pays for its own bytes. Every
//! slot handles every op kind (selectors pick the rules that apply, in an op's first slot) and
//! makes the same two account touches, A (signer) and B (recipient), described on
//! [`SlotWitness`]; an op's later slots carry its kind and fields on ([`follows`]) to write
//! its other chunks, and touch its accounts without changing them. An op's fee
//! goes to one of the batch's [`FEE_REGISTERS`] fee registers, which are credited to the fee
//! account once, after the last slot ([`FeeSettlement`]). What the circuit enforces, slot by
//! slot:
//!
//! - the op's fields are in range (see [`crate::pubdata`]) and the slot's pubdata bytes are
//!   exactly the op's encoding; a transfer's amount and every fee are the values of the floats
//!   the pubdata packs them in, each packed canonically; nonces (but ChangePubKey's) are not in
//!   the pubdata;
//! - L2-signed ops carry a valid EdDSA-Poseidon signature of the op's message by the account's
//!   key (ChangePubKey: by the new key), and their nonce is the account's, which grows by one
//!   and cannot pass `u32::MAX`;
//! - balances: the signer pays `amount + fee` (ChangePubKey: `fee`), the recipient gets
//!   `amount`, and every new balance is below `2^128`, so no balance goes negative or wraps;
//! - chain reserves (the accounts from `FIRST_RESERVE_ACCOUNT`): a Deposit credits its chain's
//!   reserve, a Withdraw and a FullExit debit it by what they pay out, so a chain never pays
//!   more than it holds; no signer, recipient, exiting account or fee account is a reserve;
//! - fees: an L2-signed op's non-zero fee is added to exactly one register, whose token is the
//!   op's; after the last slot each register's sum is credited to the fee account's balance of
//!   its token (below `2^128` too);
//! - TransferToNew creates its account on an empty leaf; a Deposit lands on an account owned by
//!   its address or on an empty one, which it then owns, or is refunded: it names account 0
//!   and changes no balance (its L1 pays it back); a ChangePubKey's owner in the pubdata is
//!   the account's address and its new key unpacks to a curve point not of small order; a
//!   FullExit withdraws either nothing or, only to the account's owner, `min(balance,
//!   reserve)`;
//! - every L2 signature is over the op's message on the batch's network;
//! - the commitment `sha256(batch_number ‖ network ‖ old_root ‖ new_root ‖ sha256(pubdata))
//!   mod 2^253` is the public input.
//!
//! What only the appchain checks, because it is not part of the tree: the chain and token
//! registries, that new account ids are allocated in order and that an
//! address owns at most one account, the owner's Ethereum signature of a ChangePubKey
//! (checked again by the L1 contract at commit), and whether a Deposit is refunded (the STF
//! refunds exactly those it cannot credit; a refund pays the depositor back on its own L1).
//! None of them lets anyone move funds they do not own.

use crate::{
	babyjubjub::PointVar,
	eddsa::{PublicKeyVar, SignatureVar},
	merkle::{digits_from_bits, Digit, MembershipProofVar},
	poseidon,
	pubdata::{Field, SlotFieldsVar, MAX_OP_CHUNKS},
	witness::{BatchBuilder, BatchWitness, FeeSettlement, SlotWitness, Touch},
	Fr,
};
use ark_crypto_primitives::crh::sha256::constraints::Sha256Gadget;
use ark_ff::{AdditiveGroup, Field as _, PrimeField};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use concord_primitives::{
	account::{
		address_to_fr, Account, ACCOUNT_DEPTH, ACCOUNT_ID_BITS, BALANCE_DEPTH, EMPTY_BALANCE_ROOT,
		FIRST_RESERVE_ACCOUNT, TOKEN_ID_BITS,
	},
	ops::{OpType, BATCH_HEADER_BYTES},
	stf::{TreeState, FEE_REGISTERS},
	tree::MemoryStore,
};

/// The Groth16 circuit of one batch. Its shape depends only on the number of slots.
#[derive(Clone, Debug)]
pub struct BatchCircuit {
	pub witness: BatchWitness,
	/// The prover's public input, `commitment::prover_input` of its appchain account.
	pub prover: Fr,
}

impl BatchCircuit {
	/// The circuit of `witness`'s batch, proved by the account whose input is `prover`.
	pub fn new(witness: BatchWitness, prover: Fr) -> Self {
		BatchCircuit { witness, prover }
	}

	/// A circuit of `slots` Noop slots on the empty state: the shape for the key setup, which
	/// reads no witness values.
	pub fn blank(slots: usize) -> Self {
		let (_, witness) = BatchBuilder::new(TreeState::<MemoryStore>::new(), 0, 0, 0, slots)
			.finish()
			.expect("Noops on the empty state");
		BatchCircuit {
			witness,
			prover: Fr::ZERO,
		}
	}

	/// The number of op slots.
	pub fn slots(&self) -> usize {
		self.witness.slots.len()
	}
}

impl ConstraintSynthesizer<Fr> for BatchCircuit {
	fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
		let w = &self.witness;
		let commitment = FpVar::new_input(cs.clone(), || Ok(w.commitment()))?;
		// No rule reads the prover's input; one constraint on it makes the binding explicit,
		// whatever the QAP reduction does with inputs that no constraint uses.
		let _prover_squared = FpVar::new_input(cs.clone(), || Ok(self.prover))?.square()?;
		let batch_number = UInt64::new_witness(cs.clone(), || Ok(w.batch_number))?;
		let network = UInt32::new_witness(cs.clone(), || Ok(w.network))?;
		let network_value = Boolean::le_bits_to_fp(&network.to_bits_le()?)?;
		let fee_account = uint_bits(cs.clone(), u64::from(w.fee_account), ACCOUNT_ID_BITS)?;
		reserve_flag(&fee_account)?.enforce_equal(&Boolean::FALSE)?;
		let fee_account_digits = digits_from_bits(&fee_account)?;
		let old_root = FpVar::new_witness(cs.clone(), || Ok(w.old_root))?;
		let settlement = &w.fee_settlement;
		let register_tokens = settlement
			.registers
			.iter()
			.map(|register| RegisterToken::new_witness(cs.clone(), register.token))
			.collect::<Result<Vec<_>, _>>()?;

		let mut pubdata = header_bytes(&fee_account);
		let mut root = old_root.clone();
		let mut collected = vec![FpVar::zero(); FEE_REGISTERS];
		let mut previous: Option<SlotFieldsVar> = None;
		for slot in &w.slots {
			let (slot_root, bytes, fields) = slot_constraints(
				cs.clone(),
				&root,
				&network_value,
				&register_tokens,
				&mut collected,
				slot,
			)?;
			follows(previous.as_ref(), &fields)?;
			root = slot_root;
			pubdata.extend(bytes);
			previous = Some(fields);
		}
		// The last op ends with the batch.
		if let Some(last) = &previous {
			for part in 1..MAX_OP_CHUNKS {
				last.continues_into(part).enforce_equal(&FpVar::zero())?;
			}
		}
		let new_root = settle_fees(
			cs.clone(),
			&root,
			&fee_account_digits,
			&register_tokens,
			&collected,
			settlement,
		)?;

		let pubdata_hash = Sha256Gadget::digest(&pubdata)?;
		let mut preimage = batch_number.to_bytes_be()?;
		preimage.extend(network.to_bytes_be()?);
		preimage.extend(be_bytes(&old_root)?);
		preimage.extend(be_bytes(&new_root)?);
		preimage.extend(pubdata_hash.0);
		let digest = Sha256Gadget::digest(&preimage)?;
		// The digest as a big-endian integer, less its top 3 bits.
		let digest_bits_le: Vec<Boolean<Fr>> = digest
			.0
			.iter()
			.rev()
			.flat_map(|byte| byte.bits.clone())
			.take(253)
			.collect();
		Boolean::le_bits_to_fp(&digest_bits_le)?.enforce_equal(&commitment)
	}
}

/// The `width` little-endian bits of `value`, allocated as witnesses: a range check.
fn uint_bits(
	cs: ConstraintSystemRef<Fr>,
	value: u64,
	width: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
	(0..width)
		.map(|bit| Boolean::new_witness(cs.clone(), || Ok(value >> bit & 1 == 1)))
		.collect()
}

/// The pubdata header: the fee account id in 4 big-endian bytes, then 12 zero bytes.
fn header_bytes(fee_account: &[Boolean<Fr>]) -> Vec<UInt8<Fr>> {
	let mut bits = fee_account.to_vec();
	bits.resize(32, Boolean::FALSE);
	let mut bytes: Vec<UInt8<Fr>> = bits.chunks(8).rev().map(UInt8::from_bits_le).collect();
	bytes.resize(BATCH_HEADER_BYTES, UInt8::constant(0));
	bytes
}

/// The canonical 32 big-endian bytes of a field element.
fn be_bytes(x: &FpVar<Fr>) -> Result<Vec<UInt8<Fr>>, SynthesisError> {
	let mut bytes = x.to_bytes_le()?;
	bytes.reverse();
	Ok(bytes)
}

/// Ties a slot to the one before it (`None` for the first): the slot continues the previous
/// slot's op, with the next part, exactly when that op has chunks left, and then has the
/// same kind and fields.
fn follows(previous: Option<&SlotFieldsVar>, f: &SlotFieldsVar) -> Result<(), SynthesisError> {
	for part in 1..MAX_OP_CHUNKS {
		let expected = previous.map_or(FpVar::zero(), |previous| previous.continues_into(part));
		FpVar::from(f.parts[part].clone()).enforce_equal(&expected)?;
	}
	if let Some(previous) = previous {
		let continuing = FpVar::one() - FpVar::from(f.parts[0].clone());
		for (before, now) in previous.carried_values()?.iter().zip(f.carried_values()?) {
			enforce_zero_if(&continuing, &(now - before))?;
		}
	}
	Ok(())
}

/// `cond · x = 0`: `x` is zero wherever `cond` (a 0/1 value) is one.
fn enforce_zero_if(cond: &FpVar<Fr>, x: &FpVar<Fr>) -> Result<(), SynthesisError> {
	cond.mul_equals(x, &FpVar::zero())
}

/// Whether the account id of little-endian `bits` is a chain reserve's: its top 16 bits are
/// all ones (`FIRST_RESERVE_ACCOUNT` and above).
pub(crate) fn reserve_flag(bits: &[Boolean<Fr>]) -> Result<Boolean<Fr>, SynthesisError> {
	const _: () = assert!(FIRST_RESERVE_ACCOUNT == (1 << ACCOUNT_ID_BITS) - (1 << 8));
	Boolean::kary_and(&bits[8..ACCOUNT_ID_BITS])
}

/// `x` fits in `bits` bits.
pub(crate) fn range_check(x: &FpVar<Fr>, bits: usize) -> Result<(), SynthesisError> {
	x.to_bits_le_with_top_bits_zero(bits).map(|_| ())
}

/// An account's fields in constraints, the twin of `Account`.
#[derive(Clone)]
pub(crate) struct AccountVar {
	pub(crate) nonce: FpVar<Fr>,
	pub(crate) pubkey_x: FpVar<Fr>,
	pub(crate) pubkey_y: FpVar<Fr>,
	pub(crate) address: FpVar<Fr>,
}

impl AccountVar {
	fn new_witness(cs: ConstraintSystemRef<Fr>, account: &Account) -> Result<Self, SynthesisError> {
		Ok(AccountVar {
			nonce: FpVar::new_witness(cs.clone(), || Ok(Fr::from(account.nonce)))?,
			pubkey_x: FpVar::new_witness(cs.clone(), || Ok(account.pubkey.x))?,
			pubkey_y: FpVar::new_witness(cs.clone(), || Ok(account.pubkey.y))?,
			address: FpVar::new_witness(cs, || Ok(address_to_fr(&account.l1_address)))?,
		})
	}

	/// The account leaf, as `Account::leaf`.
	pub(crate) fn leaf(&self, balance_root: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
		poseidon::hash(&[
			self.nonce.clone(),
			self.pubkey_x.clone(),
			self.pubkey_y.clone(),
			self.address.clone(),
			balance_root.clone(),
		])
	}
}

/// A touch's old state and paths, the twin of [`Touch`]; the account and token indices come
/// from the slot's fields.
struct TouchVar {
	old: AccountVar,
	old_balance: FpVar<Fr>,
	balance_path: MembershipProofVar<BALANCE_DEPTH>,
	account_path: MembershipProofVar<ACCOUNT_DEPTH>,
}

impl TouchVar {
	fn new_witness(cs: ConstraintSystemRef<Fr>, touch: &Touch) -> Result<Self, SynthesisError> {
		let change = &touch.change;
		Ok(TouchVar {
			old: AccountVar::new_witness(cs.clone(), &change.old)?,
			old_balance: FpVar::new_witness(cs.clone(), || Ok(Fr::from(change.old_balance)))?,
			balance_path: MembershipProofVar::new_witness(cs.clone(), || Ok(change.balance.path))?,
			account_path: MembershipProofVar::new_witness(cs, || Ok(change.account.path))?,
		})
	}

	/// Checks that the touched leaf is in the tree of `root` and returns the root after it is
	/// replaced by `new` over the balance `new_balance`, which must fit in 128 bits; also the
	/// old balance root, for the callers that check it.
	fn apply(
		&self,
		root: &FpVar<Fr>,
		account: &[Digit; ACCOUNT_DEPTH],
		token: &[Digit; BALANCE_DEPTH],
		new: &AccountVar,
		new_balance: &FpVar<Fr>,
	) -> Result<(FpVar<Fr>, FpVar<Fr>), SynthesisError> {
		let old_balance_root = self.balance_path.root(token, &self.old_balance)?;
		let old_leaf = self.old.leaf(&old_balance_root)?;
		self.account_path
			.root(account, &old_leaf)?
			.enforce_equal(root)?;
		range_check(new_balance, 128)?;
		let new_balance_root = self.balance_path.root(token, new_balance)?;
		let new_root = self
			.account_path
			.root(account, &new.leaf(&new_balance_root)?)?;
		Ok((new_root, old_balance_root))
	}
}

/// `a + cond · (b − a)`: `b` where `cond` (0/1) is one, else `a`.
fn select(cond: &FpVar<Fr>, b: &FpVar<Fr>, a: &FpVar<Fr>) -> FpVar<Fr> {
	a + cond * (b - a)
}

/// A fee register's token: its bits (for the balance path) and its value.
struct RegisterToken {
	bits: Vec<Boolean<Fr>>,
	value: FpVar<Fr>,
}

impl RegisterToken {
	fn new_witness(cs: ConstraintSystemRef<Fr>, token: u16) -> Result<Self, SynthesisError> {
		let bits = uint_bits(cs, token.into(), TOKEN_ID_BITS)?;
		let value = Boolean::le_bits_to_fp(&bits)?;
		Ok(RegisterToken { bits, value })
	}
}

/// One slot's constraints: returns the root after its two touches, its pubdata chunk and its
/// fields (for [`follows`]), and adds its fee to its register in `collected`.
fn slot_constraints(
	cs: ConstraintSystemRef<Fr>,
	root: &FpVar<Fr>,
	network: &FpVar<Fr>,
	register_tokens: &[RegisterToken],
	collected: &mut [FpVar<Fr>],
	slot: &SlotWitness,
) -> Result<(FpVar<Fr>, Vec<UInt8<Fr>>, SlotFieldsVar), SynthesisError> {
	use OpType::*;
	let f = SlotFieldsVar::new_witness(cs.clone(), &slot.fields)?;
	let [touch_a, touch_b] = slot
		.touches
		.each_ref()
		.map(|touch| TouchVar::new_witness(cs.clone(), touch));
	let (touch_a, touch_b) = (touch_a?, touch_b?);

	let signed = f.is_any(&[Transfer, TransferToNew, Withdraw, ChangePubKey]);
	let transfers_or_withdraw = f.is_any(&[Transfer, TransferToNew, Withdraw]);
	let is_cpk = FpVar::from(f.is(ChangePubKey).clone());
	let is_full_exit = FpVar::from(f.is(FullExit).clone());
	let is_deposit = FpVar::from(f.is(Deposit).clone());
	// A refunded Deposit changes no balance and names account 0; the L1 pays it back.
	let refunded = FpVar::from(f.is(Deposit) & &f.bits(Field::Refunded)[0]);
	let credited_deposit = &is_deposit - &refunded;
	enforce_zero_if(&refunded, &f.value(Field::AccountB)?)?;
	let is_ttn = FpVar::from(f.is(TransferToNew).clone());
	let is_withdraw = FpVar::from(f.is(Withdraw).clone());
	let (amount, fee, nonce) = (
		f.value(Field::Amount)?,
		f.float_value(Field::PackedFee)?,
		f.value(Field::Nonce)?,
	);
	// A transfer publishes its amount as a float: the 128-bit amount is its value.
	enforce_zero_if(
		&f.is_any(&[Transfer, TransferToNew]),
		&(f.float_value(Field::PackedAmount)? - &amount),
	)?;
	let address = f.value(Field::Address)?;
	let token = digits_from_bits(f.bits(Field::Token))?;
	// The chain's reserve account, which Deposits credit (touch A) and Withdraws and
	// FullExits debit (touch B).
	let reserve = FpVar::constant(Fr::from(FIRST_RESERVE_ACCOUNT)) + f.value(Field::Chain)?;
	let a_is_reserve = FpVar::from(reserve_flag(f.bits(Field::AccountA))?);
	let b_is_reserve = FpVar::from(reserve_flag(f.bits(Field::AccountB))?);

	// ChangePubKey's new key: y and the sign of x from the packed bytes, x from the witness.
	let new_key = unpack_key(cs.clone(), &f, slot)?;
	let on_curve = new_key.point().is_on_curve()?;
	enforce_zero_if(&is_cpk, &(FpVar::one() - FpVar::from(on_curve)))?;
	refuse_small_order(cs.clone(), &is_cpk, &new_key)?;

	// Touch A: the signer (or the exiting account).
	let a = &touch_a.old;
	enforce_zero_if(&signed, &(&a.nonce - &nonce))?;
	let new_nonce = &a.nonce + &signed;
	range_check(&new_nonce, 32)?;
	let a_new = AccountVar {
		nonce: new_nonce,
		pubkey_x: select(&is_cpk, &new_key.x, &a.pubkey_x),
		pubkey_y: select(&is_cpk, &new_key.y, &a.pubkey_y),
		address: a.address.clone(),
	};
	enforce_zero_if(&is_cpk, &(&address - &a.address))?;
	let exited = &is_full_exit * &amount;
	enforce_zero_if(&exited, &(&address - &a.address))?;
	// Signers and exiting accounts are users; a Deposit credits its chain's reserve here.
	enforce_zero_if(&signed, &a_is_reserve)?;
	enforce_zero_if(&exited, &a_is_reserve)?;
	enforce_zero_if(&is_deposit, &(f.value(Field::AccountA)? - &reserve))?;
	let debit = &transfers_or_withdraw * (&amount + &fee) + &is_cpk * &fee + &exited;
	let reserve_credit = &credited_deposit * &amount;
	let (root, _) = touch_a.apply(
		root,
		&digits_from_bits(f.bits(Field::AccountA))?,
		&token,
		&a_new,
		&(&touch_a.old_balance - debit + reserve_credit),
	)?;

	// The signature, by the key touch A leaves (ChangePubKey: the new key).
	let key = PublicKeyVar {
		x: a_new.pubkey_x.clone(),
		y: a_new.pubkey_y.clone(),
	};
	let signature = SignatureVar::new_witness(cs.clone(), || Ok(slot.signature))?;
	let valid = key.verify(&signed_message(&f, network, &fee)?, &signature)?;
	enforce_zero_if(&signed, &(FpVar::one() - FpVar::from(valid)))?;

	// Touch B: the recipient.
	let b = &touch_b.old;
	let creates = &credited_deposit + &is_ttn;
	let b_new = AccountVar {
		address: select(&creates, &address, &b.address),
		..b.clone()
	};
	let deposited_to_owned = &credited_deposit * &b.address;
	enforce_zero_if(&deposited_to_owned, &(&b.address - &address))?;
	let credited = &credited_deposit + f.is_any(&[Transfer, TransferToNew]);
	enforce_zero_if(&credited, &b_is_reserve)?;
	enforce_zero_if(
		&f.is_any(&[Withdraw, FullExit]),
		&(f.value(Field::AccountB)? - &reserve),
	)?;
	// A FullExit pays min(balance, reserve): no more than either (the range checks of the
	// new balances), and one of them.
	let short_of_both = (&amount - &touch_a.old_balance) * (&amount - &touch_b.old_balance);
	enforce_zero_if(&exited, &short_of_both)?;
	let reserve_debit = &is_withdraw * &amount + &exited;
	let (root, b_old_balance_root) = touch_b.apply(
		&root,
		&digits_from_bits(f.bits(Field::AccountB))?,
		&token,
		&b_new,
		&(&touch_b.old_balance + credited * &amount - reserve_debit),
	)?;
	for field in [&b.nonce, &b.pubkey_x, &b.pubkey_y, &b.address] {
		enforce_zero_if(&is_ttn, field)?;
	}
	enforce_zero_if(
		&is_ttn,
		&(b_old_balance_root - FpVar::constant(EMPTY_BALANCE_ROOT)),
	)?;

	// The fee: all of an L2-signed op's fee goes to one register, whose token is the op's.
	let token_value = f.value(Field::Token)?;
	let (mut chosen_count, mut paid) = (FpVar::zero(), FpVar::zero());
	for (register, (register_token, sum)) in register_tokens.iter().zip(collected).enumerate() {
		let chosen = FpVar::from(Boolean::new_witness(cs.clone(), || {
			Ok(slot.fee_register == Some(register))
		})?);
		enforce_zero_if(&chosen, &(&register_token.value - &token_value))?;
		let share = &chosen * &fee;
		*sum += &share;
		paid += share;
		chosen_count += chosen;
	}
	range_check(&chosen_count, 1)?;
	paid.enforce_equal(&(&signed * &fee))?;

	let bytes = f.pubdata()?;
	Ok((root, bytes, f))
}

/// Credits every fee register's sum to the fee account's balance of its token, on one account
/// path, as `stf::settle_fees` does; returns the batch's new root. The twin of
/// [`FeeSettlement`], which `BatchBuilder::finish` records.
fn settle_fees(
	cs: ConstraintSystemRef<Fr>,
	root: &FpVar<Fr>,
	fee_account: &[Digit; ACCOUNT_DEPTH],
	register_tokens: &[RegisterToken],
	collected: &[FpVar<Fr>],
	settlement: &FeeSettlement,
) -> Result<FpVar<Fr>, SynthesisError> {
	let account = AccountVar::new_witness(cs.clone(), &settlement.account)?;
	let account_path = MembershipProofVar::<ACCOUNT_DEPTH>::new_witness(cs.clone(), || {
		Ok(settlement.account_path)
	})?;
	// Each register's path starts from the balance root the previous one left.
	let mut balance_roots: Vec<FpVar<Fr>> = Vec::with_capacity(FEE_REGISTERS + 1);
	for ((register, token), sum) in settlement
		.registers
		.iter()
		.zip(register_tokens)
		.zip(collected)
	{
		let digits = digits_from_bits::<BALANCE_DEPTH>(&token.bits)?;
		let old_balance = FpVar::new_witness(cs.clone(), || Ok(Fr::from(register.old_balance)))?;
		let path = MembershipProofVar::<BALANCE_DEPTH>::new_witness(cs.clone(), || {
			Ok(register.balance_path)
		})?;
		let before = path.root(&digits, &old_balance)?;
		match balance_roots.last() {
			Some(current) => before.enforce_equal(current)?,
			None => balance_roots.push(before),
		}
		let new_balance = &old_balance + sum;
		range_check(&new_balance, 128)?;
		balance_roots.push(path.root(&digits, &new_balance)?);
	}
	let (old_balance_root, new_balance_root) = (&balance_roots[0], &balance_roots[FEE_REGISTERS]);
	account_path
		.root(fee_account, &account.leaf(old_balance_root)?)?
		.enforce_equal(root)?;
	account_path.root(fee_account, &account.leaf(new_balance_root)?)
}

/// The signed message of the slot's op on `network` with fee `fee`, as `Op::signed_message`
/// (meaningful for L2-signed ops only; other slots do not check a signature).
fn signed_message(
	f: &SlotFieldsVar,
	network: &FpVar<Fr>,
	fee: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
	use OpType::*;
	let shift = |bits: u64| Fr::from(2u8).pow([bits]);
	let chain = f.is_any(&[Withdraw, ChangePubKey]) * f.value(Field::Chain)?;
	let to = FpVar::from(f.is(Transfer).clone()) * f.value(Field::AccountB)?;
	let packed = f.op_type()
		+ f.value(Field::AccountA)? * shift(8)
		+ f.value(Field::Token)? * shift(40)
		+ f.value(Field::Nonce)? * shift(56)
		+ chain * shift(88)
		+ to * shift(96)
		+ network * shift(128);
	let address = f.is_any(&[TransferToNew, Withdraw]) * f.value(Field::Address)?;
	let amount = f.is_any(&[Transfer, TransferToNew, Withdraw]) * f.value(Field::Amount)?;
	poseidon::hash(&[packed, address, amount, fee.clone()])
}

/// The key packed in the slot's pubkey bytes, as `Point::unpack` reads it: `y` is the low 255
/// bits (canonical), the top bit says whether `x` is in the upper half of the field, and `x`
/// is a witness tied to them (whether the point is on the curve is checked by the caller).
/// Slots that are not ChangePubKey carry zero bytes, which unpack to `(0, 0)`.
fn unpack_key(
	cs: ConstraintSystemRef<Fr>,
	f: &SlotFieldsVar,
	slot: &SlotWitness,
) -> Result<PublicKeyVar, SynthesisError> {
	let bits = f.bits(Field::Pubkey);
	let (y_bits, sign) = (&bits[..255], &bits[255]);
	let mut largest = Fr::MODULUS;
	largest.0[0] -= 1;
	Boolean::enforce_smaller_or_equal_than_le(y_bits, largest)?;
	let y = Boolean::le_bits_to_fp(y_bits)?;
	let x_value = if slot.fields.op_type == OpType::ChangePubKey as u8 {
		slot.new_pubkey.x
	} else {
		Fr::ZERO
	};
	let x = FpVar::new_witness(cs.clone(), || Ok(x_value))?;
	let sign = FpVar::from(sign.clone());
	// |x| (x, or −x when the sign bit is set) is in the lower half: the sign bit is exactly
	// "x is in the upper half".
	let magnitude = &x - &sign * &x * Fr::from(2u8);
	magnitude.enforce_smaller_or_equal_than_mod_minus_one_div_two()?;
	// And x = 0 has no sign bit: sign · (x · x⁻¹ − 1) = 0.
	let inverse = FpVar::new_witness(cs, || Ok(x_value.inverse().unwrap_or(Fr::ZERO)))?;
	enforce_zero_if(&sign, &(&x * &inverse - FpVar::one()))?;
	Ok(PublicKeyVar { x, y })
}

/// Where `cond` (0/1) is one, `key` (on the curve) is not of small order: `8 · key` is not
/// the identity, which is the only point of order dividing 8 with `x = 0` besides `(0, −1)`
/// (of order 2). A small-order key makes `h · key` take at most eight values, so anyone could
/// forge its signatures. The identity stands in for the key where `cond` is zero, so the
/// doublings never divide by zero. 19 constraints.
fn refuse_small_order(
	cs: ConstraintSystemRef<Fr>,
	cond: &FpVar<Fr>,
	key: &PublicKeyVar,
) -> Result<(), SynthesisError> {
	let point = PointVar {
		x: cond * &key.x,
		y: select(cond, &key.y, &FpVar::one()),
	};
	let eighth = point.double()?.double()?.double()?;
	let inverse = FpVar::new_witness(cs, || {
		Ok(eighth
			.x
			.value()
			.ok()
			.and_then(|x| x.inverse())
			.unwrap_or(Fr::ZERO))
	})?;
	enforce_zero_if(cond, &(&eighth.x * &inverse - FpVar::one()))
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::request::{
		example_keys, example_request, BatchRequest, EVERY_KIND_SLOTS, EXAMPLE_NETWORK,
	};
	use crate::witness::SlotFields;
	use ark_relations::gr1cs::ConstraintSystem;
	use concord_primitives::{
		account::reserve_account,
		commitment::batch_commitment,
		float,
		ops::{AppliedOp, Deposit, Op, Transfer},
	};

	/// Synthesizes the circuit on its witness: (satisfied, constraints).
	fn synthesize(witness: BatchWitness) -> (bool, usize) {
		let cs = ConstraintSystem::<Fr>::new_ref();
		BatchCircuit::new(witness, Fr::from(7u8))
			.generate_constraints(cs.clone())
			.unwrap();
		(cs.is_satisfied().unwrap(), cs.num_constraints())
	}

	/// The example's first op, a Transfer from Alice, in a one-slot batch.
	fn transfer_batch() -> BatchWitness {
		example_request(1).witness(1).unwrap()
	}

	fn transfer_of(witness: &BatchWitness) -> Transfer {
		match witness.slots[0].op.op() {
			Op::Transfer(transfer) => *transfer,
			other => panic!("not a transfer: {other:?}"),
		}
	}

	/// Replaces the slot's Transfer fields by `tampered`, signed by `key` as a user would sign
	/// it, keeping the touches' paths: what a prover would need to prove a transfer the STF
	/// rejected.
	fn with_transfer(
		mut witness: BatchWitness,
		tampered: Transfer,
		key: &concord_primitives::eddsa::PrivateKey,
	) -> BatchWitness {
		let slot = &mut witness.slots[0];
		slot.fields.amount = tampered.amount;
		slot.fields.packed_amount = float::AMOUNT.pack(tampered.amount).unwrap();
		slot.fields.packed_fee = float::FEE.pack(tampered.fee).unwrap();
		slot.fields.nonce = tampered.nonce;
		slot.signature = key.sign(
			Op::Transfer(tampered)
				.signed_message(EXAMPLE_NETWORK)
				.unwrap(),
		);
		witness
	}

	#[test]
	fn a_batch_with_every_op_kind_is_satisfiable_and_matches_the_state() {
		let slots = EVERY_KIND_SLOTS + 2;
		let request = example_request(slots);
		let pre_root = request.pre_state().unwrap().tree().root();
		let mut builder =
			BatchBuilder::new(request.pre_state().unwrap(), 1, EXAMPLE_NETWORK, 0, slots);
		for (op, signature) in &request.ops {
			builder.push(op, *signature).unwrap();
		}
		let (state, witness) = builder.finish().unwrap();
		assert_eq!(witness.old_root, pre_root);
		assert_eq!(witness.new_root, state.tree().root());
		assert_ne!(witness.old_root, witness.new_root);
		let kinds: Vec<OpType> = witness.first_slots().map(|s| s.op.op().op_type()).collect();
		assert_eq!(
			kinds,
			[
				OpType::Transfer,
				OpType::Deposit,
				OpType::TransferToNew,
				OpType::Withdraw,
				OpType::ChangePubKey,
				OpType::FullExit,
				OpType::Noop,
				OpType::Noop
			]
		);
		assert_eq!(
			witness.commitment(),
			batch_commitment(
				1,
				EXAMPLE_NETWORK,
				witness.old_root,
				witness.new_root,
				&witness.pubdata()
			)
		);
		let ops: Vec<AppliedOp> = request_ops(&witness);
		assert_eq!(
			witness.pubdata(),
			concord_primitives::ops::batch_pubdata(0, &ops, slots).unwrap()
		);
		let (satisfied, constraints) = synthesize(witness);
		assert!(satisfied);
		// The key setup runs on the blank circuit: it must have exactly the same shape.
		assert_eq!(
			synthesize(BatchCircuit::blank(slots).witness),
			(true, constraints)
		);
	}

	#[test]
	fn fees_in_two_tokens_are_credited_to_the_fee_account_once() {
		let [alice, _, _] = example_keys();
		let mut request = example_request(1);
		let (token_1, token_2) = (crate::request::EXAMPLE_TOKEN, 2);
		request.chains[0].1.push(token_2);
		request.history.push((
			Op::Deposit(concord_primitives::ops::Deposit {
				chain_id: crate::request::EXAMPLE_CHAIN,
				priority_id: 5,
				to_address: [0xa1; 20],
				token: token_2,
				amount: 1_000,
			}),
			None,
		));
		let transfer = transfer_of(&request.witness(1).unwrap());
		let in_token_2 = Transfer {
			token: token_2,
			fee: 3,
			nonce: 2,
			..transfer
		};
		let signed = |op: Transfer| {
			let op = Op::Transfer(op);
			(
				op,
				Some(
					alice
						.sign(op.signed_message(EXAMPLE_NETWORK).unwrap())
						.pack(),
				),
			)
		};
		request.ops = vec![signed(transfer), signed(in_token_2)];
		let mut builder = BatchBuilder::new(request.pre_state().unwrap(), 1, EXAMPLE_NETWORK, 0, 3);
		for (op, signature) in &request.ops {
			builder.push(op, *signature).unwrap();
		}
		let (state, witness) = builder.finish().unwrap();
		let registers: Vec<_> = witness.slots.iter().map(|slot| slot.fee_register).collect();
		assert_eq!(registers, [Some(0), Some(1), None]);
		let fee_account = witness.fee_settlement.account;
		assert_eq!(fee_account.l1_address, [0x0f; 20]);
		// The operator held 1 of token 1 and none of token 2.
		assert_eq!(state.tree().balance(0, token_1), Ok(1 + transfer.fee));
		assert_eq!(state.tree().balance(0, token_2), Ok(3));
		assert_eq!(witness.new_root, state.tree().root());
		assert!(synthesize(witness).0);
	}

	#[test]
	fn a_fee_cannot_be_left_out_of_the_registers() {
		// The prover claims the transfer's fee went to no register, and commits to the root in
		// which the fee account was credited nothing: the fee would vanish.
		let mut witness = transfer_batch();
		witness.slots[0].fee_register = None;
		witness.new_root = witness.slots[0].touches[1].change.account.new_root;
		assert!(!synthesize(witness).0);
	}

	#[test]
	fn a_valid_transfer_is_satisfiable() {
		assert!(synthesize(transfer_batch()).0);
	}

	#[test]
	fn a_forged_signature_is_unsatisfiable() {
		let mut witness = transfer_batch();
		witness.slots[0].signature.s += concord_primitives::babyjubjub::Scalar::from(1u8);
		assert!(!synthesize(witness).0);
	}

	#[test]
	fn a_signature_by_another_key_is_unsatisfiable() {
		let witness = transfer_batch();
		let transfer = transfer_of(&witness);
		let [_, bob, _] = example_keys();
		assert!(!synthesize(with_transfer(witness, transfer, &bob)).0);
	}

	#[test]
	fn an_overdraft_is_unsatisfiable() {
		let witness = transfer_batch();
		let transfer = transfer_of(&witness);
		let [alice, _, _] = example_keys();
		// Alice holds 1,000,000.
		let overdraft = Transfer {
			amount: 1_000_000,
			..transfer
		};
		assert!(!synthesize(with_transfer(witness, overdraft, &alice)).0);
	}

	#[test]
	fn a_wrong_nonce_is_unsatisfiable() {
		let witness = transfer_batch();
		let transfer = transfer_of(&witness);
		let [alice, _, _] = example_keys();
		for nonce in [transfer.nonce - 1, transfer.nonce + 1] {
			let replay = Transfer { nonce, ..transfer };
			assert!(!synthesize(with_transfer(witness.clone(), replay, &alice)).0);
		}
		// The same re-signing with the right nonce is fine: the test changes only the nonce.
		assert!(synthesize(with_transfer(witness, transfer, &alice)).0);
	}

	#[test]
	fn a_credit_beyond_128_bits_is_unsatisfiable() {
		// Bob holds u128::MAX − 100 after this history; a transfer of 50 to him is valid.
		// The deposit comes from a second chain, whose liquidity it does not overflow.
		let mut request = example_request(1);
		let (bob, chain) = ([0xb0; 20], concord_primitives::ops::ChainId(2));
		request
			.chains
			.push((chain, vec![crate::request::EXAMPLE_TOKEN]));
		request.history.push((
			Op::Deposit(concord_primitives::ops::Deposit {
				chain_id: chain,
				priority_id: 9,
				to_address: bob,
				token: crate::request::EXAMPLE_TOKEN,
				amount: u128::MAX - 100 - 500,
			}),
			None,
		));
		let [alice, _, _] = example_keys();
		let valid = Transfer {
			amount: 50,
			..transfer_of(&request.witness(1).unwrap())
		};
		request.ops = vec![(
			Op::Transfer(valid),
			Some(
				alice
					.sign(Op::Transfer(valid).signed_message(EXAMPLE_NETWORK).unwrap())
					.pack(),
			),
		)];
		let witness = request.witness(1).unwrap();
		assert!(synthesize(witness.clone()).0);
		// The same transfer of 101 would take Bob's balance to 2^128: the STF rejects it with
		// AmountOverflow, and the circuit cannot prove it.
		let overflow = Transfer {
			amount: 101,
			..valid
		};
		assert!(!synthesize(with_transfer(witness, overflow, &alice)).0);
	}

	#[test]
	fn a_wrong_old_root_is_unsatisfiable() {
		let mut witness = transfer_batch();
		witness.old_root += Fr::from(1u8);
		assert!(!synthesize(witness).0);
	}

	#[test]
	fn a_commitment_to_other_pubdata_is_unsatisfiable() {
		// The public input commits to a pubdata in which the transfer moves one more unit
		// than the slot proves.
		let mut witness = transfer_batch();
		let mut bytes = witness.slots[0].op.pubdata();
		// The amount's float at bytes 8..13: one more unit of mantissa.
		let mut packed = [0u8; 8];
		packed[3..].copy_from_slice(&bytes[8..13]);
		let packed = u64::from_be_bytes(packed) + (1 << float::EXPONENT_BITS);
		bytes[8..13].copy_from_slice(&packed.to_be_bytes()[3..]);
		witness.slots[0].op = AppliedOp::decode_pubdata(&bytes).unwrap().0;
		assert_ne!(witness.slots[0].op, transfer_batch().slots[0].op);
		assert!(!synthesize(witness).0);
	}

	#[test]
	fn ops_signed_for_another_network_are_unsatisfiable() {
		// A prover replaying ops signed on one network in a batch of another: the commitment
		// names the other network, and the signatures are not over its messages.
		let witness = transfer_batch();
		assert!(synthesize(witness.clone()).0);
		let replayed = BatchWitness {
			network: EXAMPLE_NETWORK + 1,
			..witness
		};
		assert_ne!(replayed.commitment(), transfer_batch().commitment());
		assert!(!synthesize(replayed).0);
	}

	/// The op of each first slot.
	fn request_ops(witness: &BatchWitness) -> Vec<AppliedOp> {
		witness.first_slots().map(|slot| slot.op).collect()
	}

	/// A Transfer then a Deposit (slots 1 to 3), proved in four slots.
	fn transfer_and_deposit() -> BatchWitness {
		example_request(4).witness(4).unwrap()
	}

	#[test]
	fn a_chunk_of_an_op_written_from_other_fields_is_unsatisfiable() {
		// The Deposit's rules credit the address of its first slot; its second chunk, which
		// carries most of the address, written from another: the pubdata would name an owner
		// the state did not credit.
		let mut witness = transfer_and_deposit();
		assert!(synthesize(witness.clone()).0);
		let deposit = witness.slots[1].op;
		assert_eq!(deposit.op().op_type(), OpType::Deposit);
		let mut bytes = deposit.pubdata();
		bytes[20..25].copy_from_slice(&[0xee; 5]);
		let other = AppliedOp::decode_pubdata(&bytes).unwrap().0;
		let second = &mut witness.slots[2];
		second.op = other;
		second.fields = SlotFields {
			part: 1,
			..SlotFields::of(&other)
		};
		assert_eq!(witness.pubdata()[16 + 32..16 + 48], bytes[16..32]);
		assert!(!synthesize(witness).0);
	}

	#[test]
	fn an_op_cut_short_by_the_batchs_end_is_unsatisfiable() {
		// The Deposit's first slot as the batch's last: its rules apply in full, but the
		// pubdata ends before its other chunks, so no contract could read it.
		let mut witness = transfer_and_deposit();
		witness.slots.truncate(2);
		assert_eq!(witness.pubdata().len(), 16 + 2 * 16);
		assert!(!synthesize(witness).0);
	}

	#[test]
	fn a_chunk_that_continues_no_op_is_unsatisfiable() {
		// A Transfer and a Noop prove; a slot in the Noop's place claiming to be a Deposit's
		// second chunk (its accounts untouched, as a continuation's are, paths recomputed)
		// would publish bytes no rule checked.
		let pre = example_request(1).pre_state().unwrap();
		let pair = example_request(1).witness(2).unwrap();
		assert_eq!(pair.slots[1].op.op().op_type(), OpType::Noop);
		assert!(synthesize(pair.clone()).0);
		let mut forged = pair.clone();
		forged.slots[1] = transfer_and_deposit().slots[2];
		assert_eq!(forged.slots[1].fields.part, 1);
		let transfer = [
			honest(&pair.slots[0].touches[0]),
			honest(&pair.slots[0].touches[1]),
		];
		assert!(!synthesize(rewitness(&forged, &pre, 0, transfer)).0);
	}

	#[test]
	fn a_full_exit_to_another_owner_is_unsatisfiable() {
		let mut witness = example_request(EVERY_KIND_SLOTS)
			.witness(EVERY_KIND_SLOTS)
			.unwrap();
		let first = EVERY_KIND_SLOTS - 3;
		let exit = witness.slots[first];
		assert_eq!(exit.op.op().op_type(), OpType::FullExit);
		assert!(exit.fields.amount > 0);
		// The owner in the fields and in the pubdata, in every slot of the op.
		let mut bytes = exit.op.pubdata();
		bytes[5..25].copy_from_slice(&[0xee; 20]);
		let stolen = AppliedOp::decode_pubdata(&bytes).unwrap().0;
		for slot in &mut witness.slots[first..] {
			slot.fields.address = [0xee; 20];
			slot.op = stolen;
		}
		assert_eq!(
			witness.pubdata()[16 + 16 * first..16 * (first + 1) + 16],
			bytes[..16]
		);
		assert!(!synthesize(witness).0);
	}

	/// What a dishonest prover would build: `witness` with slot `index`'s two touches writing
	/// `outcome` (each touch's account fields and balance) instead, and every Merkle path, the
	/// fee settlement and the new root recomputed from `pre` to match. The result is consistent
	/// everywhere except in the rule the outcome breaks (the slot's fee must be unchanged).
	fn rewitness(
		witness: &BatchWitness,
		pre: &TreeState,
		index: usize,
		outcome: [(Account, u128); 2],
	) -> BatchWitness {
		let mut witness = witness.clone();
		let mut tree = pre.tree().clone();
		let mut collected = [0u128; FEE_REGISTERS];
		for (i, slot) in witness.slots.iter_mut().enumerate() {
			let continues = slot.fields.part > 0;
			for (touch, overridden) in slot.touches.iter_mut().zip(outcome) {
				let (new, balance) = if i == index {
					overridden
				} else if continues {
					// An op's later slots leave its accounts as its first slot left them.
					let account = tree.account(touch.account).unwrap();
					(account, tree.balance(touch.account, touch.token).unwrap())
				} else {
					(touch.change.new, touch.change.new_balance)
				};
				touch.change = tree
					.change(touch.account, new, touch.token, balance)
					.unwrap();
			}
			if let Some(register) = slot.fee_register {
				collected[register] += slot.fields.fee();
			}
		}
		let fee_account = witness.fee_account;
		let settlement = &mut witness.fee_settlement;
		settlement.account = tree.account(fee_account).unwrap();
		settlement.account_path = tree.account_proof(fee_account).unwrap();
		for (register, collected) in settlement.registers.iter_mut().zip(collected) {
			register.old_balance = tree.balance(fee_account, register.token).unwrap();
			register.balance_path = tree.balance_proof(fee_account, register.token).unwrap();
			tree.set_balance(
				fee_account,
				register.token,
				register.old_balance + collected,
			)
			.unwrap();
		}
		witness.new_root = tree.root();
		witness
	}

	/// A touch's outcome as the honest witness has it.
	fn honest(touch: &Touch) -> (Account, u128) {
		(touch.change.new, touch.change.new_balance)
	}

	/// A touch that leaves its account as it was.
	fn untouched(touch: &Touch) -> (Account, u128) {
		(touch.change.old, touch.change.old_balance)
	}

	/// Slot `index` of `request`'s batch (its ops and no Noop), with the state before the batch.
	fn slot_of(request: &BatchRequest, index: usize) -> (BatchWitness, TreeState, SlotWitness) {
		let slots = request
			.ops
			.iter()
			.map(|(op, _)| op.op_type().chunks())
			.sum();
		let witness = request.witness(slots).unwrap();
		let slot = witness.slots[index];
		(witness, request.pre_state().unwrap(), slot)
	}

	#[test]
	fn deposits_credit_and_withdrawals_debit_their_chains_reserve() {
		// Transfer, Deposit (slots 1 to 3), TransferToNew, Withdraw (slots 7 to 9).
		let request = example_request(10);
		let reserve = reserve_account(crate::request::EXAMPLE_CHAIN.0);
		let (witness, pre, deposit) = slot_of(&request, 1);
		assert_eq!(deposit.op.op().op_type(), OpType::Deposit);
		assert_eq!(deposit.touches[0].account, reserve);
		let [reserve_touch, _] = deposit.touches;
		assert_eq!(
			reserve_touch.change.new_balance,
			reserve_touch.change.old_balance + 300
		);
		// The honest outcome, rewitnessed, still proves: the helper changes nothing else.
		let same = [honest(&deposit.touches[0]), honest(&deposit.touches[1])];
		assert!(synthesize(rewitness(&witness, &pre, 1, same)).0);
		// A deposit that leaves the reserve as it was would let the chain owe more than it
		// holds.
		let uncredited = [untouched(&deposit.touches[0]), honest(&deposit.touches[1])];
		assert!(!synthesize(rewitness(&witness, &pre, 1, uncredited)).0);

		let withdraw = witness.slots[7];
		assert_eq!(withdraw.op.op().op_type(), OpType::Withdraw);
		assert_eq!(withdraw.touches[1].account, reserve);
		let undebited = [
			honest(&withdraw.touches[0]),
			untouched(&withdraw.touches[1]),
		];
		assert!(!synthesize(rewitness(&witness, &pre, 7, undebited)).0);
	}

	#[test]
	fn a_transfer_to_a_chain_reserve_is_unsatisfiable() {
		// Crediting a reserve from L2 would let its chain pay out more than was deposited.
		let witness = transfer_batch();
		let pre = example_request(1).pre_state().unwrap();
		let reserve = reserve_account(crate::request::EXAMPLE_CHAIN.0);
		let [alice, _, _] = example_keys();
		let transfer = Transfer {
			to: reserve,
			..transfer_of(&witness)
		};
		let mut attack = with_transfer(witness, transfer, &alice);
		let slot = &mut attack.slots[0];
		slot.fields.account_b = reserve;
		slot.touches[1].account = reserve;
		let mut bytes = slot.op.pubdata();
		bytes[5..9].copy_from_slice(&reserve.to_be_bytes());
		slot.op = AppliedOp::decode_pubdata(&bytes).unwrap().0;
		let reserve_balance = pre.tree().balance(reserve, transfer.token).unwrap();
		let outcome = [
			honest(&slot.touches[0]),
			(Account::EMPTY, reserve_balance + transfer.amount),
		];
		assert!(!synthesize(rewitness(&attack, &pre, 0, outcome)).0);
	}

	#[test]
	fn a_full_exit_pays_what_the_chains_reserve_covers_and_no_less() {
		use concord_primitives::ops::{ChainId, Deposit, FullExit};
		let (chain, other, operator, alice) = (ChainId(1), ChainId(2), [0x0f; 20], [0xa1; 20]);
		let deposit = |chain, priority_id, to_address, amount| {
			let op = Op::Deposit(Deposit {
				chain_id: chain,
				priority_id,
				to_address,
				token: 1,
				amount,
			});
			(op, None)
		};
		let exit = Op::FullExit(FullExit {
			chain_id: chain,
			priority_id: 2,
			account: 1,
			owner: alice,
			token: 1,
		});
		let request = BatchRequest {
			chains: vec![(chain, vec![1]), (other, vec![1])],
			history: vec![
				deposit(chain, 0, operator, 1),
				deposit(chain, 1, alice, 100),
				deposit(other, 2, alice, 1000),
			],
			ops: vec![(exit, None)],
			..example_request(0)
		};
		let (witness, pre, slot) = slot_of(&request, 0);
		// Alice holds 1100, chain 1's reserve 101: the exit pays 101 and 999 stay on L2.
		assert_eq!(slot.fields.amount, 101);
		assert_eq!(slot.touches[0].change.new_balance, 999);
		assert_eq!(slot.touches[1].change.new_balance, 0);
		assert!(synthesize(witness.clone()).0);
		// A prover paying less than the reserve covers, consistently everywhere else.
		let mut attack = witness;
		let mut bytes = attack.slots[0].op.pubdata();
		bytes[26..42].copy_from_slice(&50u128.to_be_bytes());
		let underpaid = AppliedOp::decode_pubdata(&bytes).unwrap().0;
		assert_eq!(underpaid.exit_amount(), Some(50));
		for slot in &mut attack.slots[..3] {
			slot.fields.amount = 50;
			slot.op = underpaid;
		}
		let slot = attack.slots[0];
		let outcome = [
			(slot.touches[0].change.new, 1050),
			(slot.touches[1].change.new, 51),
		];
		assert!(!synthesize(rewitness(&attack, &pre, 0, outcome)).0);
	}

	#[test]
	fn a_refunded_deposit_changes_nothing_and_a_refund_that_credits_is_unsatisfiable() {
		// Token 9 is registered on no chain: the STF refunds the deposit.
		let mut request = example_request(1);
		let to_address = [0xee; 20];
		request.ops = vec![(
			Op::Deposit(Deposit {
				chain_id: crate::request::EXAMPLE_CHAIN,
				priority_id: 9,
				to_address,
				token: 9,
				amount: 5,
			}),
			None,
		)];
		let pre = request.pre_state().unwrap();
		let witness = request.witness(3).unwrap();
		let refund = witness.slots[0];
		assert!(refund.op.is_refunded());
		assert_eq!(refund.fields.account_b, 0);
		assert_eq!(witness.new_root, pre.tree().root());
		assert!(synthesize(witness.clone()).0);
		let [reserve, account] = refund.touches;
		for touch in &refund.touches {
			assert_eq!(honest(touch), untouched(touch));
		}
		// Crediting the reserve, or the account (as a credited deposit would), anyway.
		let (old, balance) = untouched(&reserve);
		let reserve_credited = [(old, balance + 5), untouched(&account)];
		assert!(!synthesize(rewitness(&witness, &pre, 0, reserve_credited)).0);
		let (old, balance) = untouched(&account);
		let owned = Account {
			l1_address: to_address,
			..old
		};
		let account_credited = [untouched(&reserve), (owned, balance + 5)];
		assert!(!synthesize(rewitness(&witness, &pre, 0, account_credited)).0);
		let both = [reserve_credited[0], account_credited[1]];
		assert!(!synthesize(rewitness(&witness, &pre, 0, both)).0);
	}

	#[test]
	fn a_key_of_small_order_is_refused_where_the_condition_holds() {
		use concord_primitives::babyjubjub::{Point, BASE8, SQRT_A};
		let inverse_sqrt_a = SQRT_A.inverse().unwrap();
		let small_order = [
			Point::IDENTITY,
			Point {
				x: Fr::ZERO,
				y: -Fr::ONE,
			},
			Point {
				x: inverse_sqrt_a,
				y: Fr::ZERO,
			},
			Point {
				x: -inverse_sqrt_a,
				y: Fr::ZERO,
			},
		];
		let of_prime_order = BASE8.mul([12_345u64]);
		// A point with a small-order part but of large order is no forgery risk.
		let mixed = of_prime_order.add(&small_order[2]);
		let refused = |point: &Point, cond: bool| {
			assert!(point.is_on_curve());
			let cs = ConstraintSystem::<Fr>::new_ref();
			let key = PublicKeyVar {
				x: FpVar::new_witness(cs.clone(), || Ok(point.x)).unwrap(),
				y: FpVar::new_witness(cs.clone(), || Ok(point.y)).unwrap(),
			};
			let cond = FpVar::new_witness(cs.clone(), || Ok(Fr::from(cond))).unwrap();
			refuse_small_order(cs.clone(), &cond, &key).unwrap();
			!cs.is_satisfied().unwrap()
		};
		for point in &small_order {
			assert!(refused(point, true), "{point:?}");
			assert!(!refused(point, false), "{point:?}");
		}
		for point in [of_prime_order, mixed] {
			assert!(!refused(&point, true), "{point:?}");
		}
	}

	#[test]
	fn a_change_pubkey_to_a_key_off_the_curve_is_unsatisfiable() {
		// Transfer, Deposit, TransferToNew, Withdraw, then the ChangePubKey in slots 10 to 13.
		let mut witness = example_request(14).witness(14).unwrap();
		assert_eq!(witness.slots[10].op.op().op_type(), OpType::ChangePubKey);
		for change in &mut witness.slots[10..14] {
			change.new_pubkey.x += Fr::from(1u8);
		}
		assert!(!synthesize(witness).0);
	}
}
