//! The native side of the batch circuit: [`BatchBuilder`] runs a batch's ops through the state
//! transition function and records what the circuit needs to prove them ([`BatchWitness`]).
//!
//! The builder keeps two copies of the state. The STF (`concord_primitives::stf`, the same code
//! the runtime runs) decides whether an op is valid and what it does; a second account tree
//! replays the op the way the circuit does it, as two [`Touch`]es, and the batch's fee
//! settlement as a [`FeeSettlement`], and records their Merkle paths. After every op the two roots must agree, so a divergence between the rules and the
//! circuit's reading of them is caught here, natively and with a clear error, instead of
//! surfacing as an unprovable batch.

use crate::Fr;
use concord_primitives::{
	account::{
		reserve_account, Account, AccountChange, AccountId, AccountTree, StateError, TokenId,
		ACCOUNT_DEPTH, BALANCE_DEPTH,
	},
	commitment::batch_commitment,
	eddsa::{PublicKey, Signature},
	float,
	ops::{batch_pubdata, AppliedOp, NetworkId, Op, OpType, SignedOp},
	stf::{self, BatchContext, BatchFees, StfError, TreeState, FEE_REGISTERS},
	tree::{MembershipProof, MemoryStore, NodeStore},
};
use core::fmt;

/// The fields of a slot as the circuit allocates them: every op kind's fields in one shape,
/// zero where the op has none. The twin of the slot's field variables in
/// [`crate::pubdata::SlotFieldsVar`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlotFields {
	pub op_type: u8,
	/// Which chunk of the op the slot writes: 0 in its first slot, where its rules apply.
	pub part: u8,
	pub chain: u8,
	/// The account of touch A: the signer (Transfer, TransferToNew, Withdraw, ChangePubKey),
	/// the exiting account (FullExit) or the chain's reserve (Deposit).
	pub account_a: AccountId,
	/// The account of touch B: the credited one (Deposit, Transfer, TransferToNew) or the
	/// chain's reserve (Withdraw, FullExit).
	pub account_b: AccountId,
	/// Deposit, TransferToNew, Withdraw: the destination; ChangePubKey, FullExit: the owner.
	pub address: [u8; 20],
	/// ChangePubKey: the new key, packed.
	pub pubkey: [u8; 32],
	/// The token of every touch (ChangePubKey: the fee token).
	pub token: TokenId,
	/// Deposit, transfers, Withdraw: the amount; FullExit: the amount exited.
	pub amount: u128,
	/// Transfers: the amount as a `float::AMOUNT`.
	pub packed_amount: u64,
	/// L2-signed ops: the fee as a `float::FEE`.
	pub packed_fee: u64,
	/// L2-signed ops: the signer's nonce, which the op takes.
	pub nonce: u32,
	/// Deposit: refunded rather than credited (its touches change nothing).
	pub refunded: bool,
}

impl SlotFields {
	/// The fee, the value of [`SlotFields::packed_fee`].
	pub fn fee(&self) -> u128 {
		float::FEE
			.unpack(self.packed_fee)
			.expect("packed from a u128")
	}

	/// The fields of an applied op.
	pub fn of(applied: &AppliedOp) -> SlotFields {
		let op_type = applied.op().op_type() as u8;
		let base = SlotFields {
			op_type,
			..SlotFields::default()
		};
		match *applied.op() {
			Op::Noop => base,
			Op::Deposit(op) => SlotFields {
				chain: op.chain_id.0,
				account_a: reserve_account(op.chain_id.0),
				account_b: applied.resolved_account().unwrap_or_default(),
				address: op.to_address,
				token: op.token,
				amount: op.amount,
				refunded: applied.is_refunded(),
				..base
			},
			Op::Transfer(op) => SlotFields {
				account_a: op.from,
				account_b: op.to,
				token: op.token,
				amount: op.amount,
				packed_amount: pack(float::AMOUNT, op.amount),
				packed_fee: pack(float::FEE, op.fee),
				nonce: op.nonce,
				..base
			},
			Op::TransferToNew(op) => SlotFields {
				account_a: op.from,
				account_b: applied.resolved_account().unwrap_or_default(),
				address: op.to_address,
				token: op.token,
				amount: op.amount,
				packed_amount: pack(float::AMOUNT, op.amount),
				packed_fee: pack(float::FEE, op.fee),
				nonce: op.nonce,
				..base
			},
			Op::Withdraw(op) => SlotFields {
				chain: op.to_chain.0,
				account_a: op.from,
				account_b: reserve_account(op.to_chain.0),
				address: op.to_address,
				token: op.token,
				amount: op.amount,
				packed_fee: pack(float::FEE, op.fee),
				nonce: op.nonce,
				..base
			},
			Op::ChangePubKey(op) => SlotFields {
				chain: op.chain_id.0,
				account_a: op.account,
				address: applied.owner().unwrap_or_default(),
				pubkey: op.new_pubkey,
				token: op.fee_token,
				packed_fee: pack(float::FEE, op.fee),
				nonce: op.nonce,
				..base
			},
			Op::FullExit(op) => SlotFields {
				chain: op.chain_id.0,
				account_a: op.account,
				account_b: reserve_account(op.chain_id.0),
				address: op.owner,
				token: op.token,
				amount: applied.exit_amount().unwrap_or_default(),
				..base
			},
		}
	}
}

/// `value` in `format`: the STF applied the op, so it packs.
fn pack(format: float::Float, value: u128) -> u64 {
	format
		.pack(value)
		.expect("the STF applies ops whose amounts and fees pack")
}

/// One account change of a slot, with the account and token it is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Touch {
	pub account: AccountId,
	pub token: TokenId,
	pub change: AccountChange,
}

/// Everything the circuit needs for one slot: one chunk of an op.
///
/// Every slot makes the same two touches, in this order, whatever its op (an unused touch
/// rewrites a leaf unchanged); an op's rules change them in its first slot only, its other
/// slots (`fields.part > 0`) touch its accounts without changing them:
///
/// - **A**, `fields.account_a`: the signer pays `amount + fee` (ChangePubKey: `fee`, and its
///   key changes), its nonce grows by one; a FullExit's account pays the amount exited; a
///   Deposit's chain reserve is credited `amount`.
/// - **B**, `fields.account_b`: credited `amount` (Deposit, Transfer, TransferToNew), and
///   given its address if the op creates it; a Withdraw's or FullExit's chain reserve pays
///   the amount out.
///
/// A refunded Deposit changes neither (its B is account 0).
///
/// Each touch proves its path against the root the previous one left, so an op whose accounts
/// coincide is handled like any other. The fee goes to a register of the batch
/// (`fee_register`), credited to the fee account once, after the last slot
/// ([`FeeSettlement`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotWitness {
	pub op: AppliedOp,
	pub fields: SlotFields,
	/// The signer's signature of the op; for unsigned slots a placeholder the circuit ignores.
	pub signature: Signature,
	/// ChangePubKey: the new key, unpacked; other slots: the key touch A leaves in place.
	pub new_pubkey: PublicKey,
	pub touches: [Touch; 2],
	/// The fee register that collects the slot's fee: L2-signed ops with a non-zero fee.
	pub fee_register: Option<usize>,
}

/// One fee register at the batch's end, as the circuit credits it: its token, the fee
/// account's balance of it before, and that balance leaf's path once the registers before it
/// were credited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeRegister {
	pub token: TokenId,
	pub old_balance: u128,
	pub balance_path: MembershipProof<BALANCE_DEPTH>,
}

/// The batch's last step, the twin of `stf::settle_fees`: every fee register credited to the
/// fee account, on one account path. Unused registers credit nothing to token 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeSettlement {
	/// The fee account as the batch's ops left it.
	pub account: Account,
	/// Its leaf's path in the account tree: the same before and after, only the leaf changes.
	pub account_path: MembershipProof<ACCOUNT_DEPTH>,
	pub registers: [FeeRegister; FEE_REGISTERS],
}

/// A sealed batch with everything needed to prove it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchWitness {
	pub batch_number: u64,
	/// The network whose signatures the batch's ops carry; the commitment binds it.
	pub network: NetworkId,
	pub fee_account: AccountId,
	pub old_root: Fr,
	pub new_root: Fr,
	/// Exactly as many as the circuit has slots; each op in as many consecutive slots as it
	/// has chunks, then Noops.
	pub slots: Vec<SlotWitness>,
	pub fee_settlement: FeeSettlement,
}

impl BatchWitness {
	/// The batch's pubdata, as the L1 contracts receive it: the header, then each slot's chunk
	/// of its op (for a witness the builder made, `batch_pubdata` of its ops).
	pub fn pubdata(&self) -> Vec<u8> {
		let mut pubdata = batch_pubdata(self.fee_account, [], 0).expect("no ops fit");
		for slot in &self.slots {
			let part = usize::from(slot.fields.part);
			pubdata.extend_from_slice(&slot.op.chunks()[part]);
		}
		pubdata
	}

	/// The first slot of each op, Noops included.
	pub fn first_slots(&self) -> impl Iterator<Item = &SlotWitness> {
		self.slots.iter().filter(|slot| slot.fields.part == 0)
	}

	/// The batch commitment, the proof's public input.
	pub fn commitment(&self) -> Fr {
		batch_commitment(
			self.batch_number,
			self.network,
			self.old_root,
			self.new_root,
			&self.pubdata(),
		)
	}
}

/// Why an op was not added to a batch. The batch is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchError {
	/// The op's chunks do not fit in the slots the batch has left.
	Full { slots: usize },
	/// The STF rejects the op.
	Rejected(StfError),
	/// An L2-signed op came without a signature.
	MissingSignature,
	/// The circuit's reading of the op does not reproduce the STF's state: a bug in the
	/// prover, reported rather than turned into an unprovable batch.
	Diverged { op_type: OpType },
}

impl fmt::Display for BatchError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			BatchError::Full { slots } => {
				write!(f, "the op does not fit in the batch's {slots} slots")
			}
			BatchError::Rejected(error) => write!(f, "op rejected: {error}"),
			BatchError::MissingSignature => f.write_str("the op needs an L2 signature"),
			BatchError::Diverged { op_type } => write!(
				f,
				"the circuit's witness for a {op_type:?} disagrees with the state transition \
				 function"
			),
		}
	}
}

impl std::error::Error for BatchError {}

impl From<StfError> for BatchError {
	fn from(error: StfError) -> Self {
		BatchError::Rejected(error)
	}
}

/// Seals ops into a batch of a fixed number of slots, keeping the state and the witness.
pub struct BatchBuilder<S: NodeStore + Default + Clone = MemoryStore> {
	state: TreeState<S>,
	/// The circuit's view: the same tree, changed touch by touch.
	tree: AccountTree<S>,
	batch_number: u64,
	/// The fee account and the fees collected so far.
	ctx: BatchContext,
	capacity: usize,
	old_root: Fr,
	slots: Vec<SlotWitness>,
}

impl<S: NodeStore + Default + Clone> BatchBuilder<S> {
	/// Starts batch `batch_number` of network `network` for a circuit with `slots` slots on
	/// `state`, with fees going to `fee_account`.
	pub fn new(
		state: TreeState<S>,
		batch_number: u64,
		network: NetworkId,
		fee_account: AccountId,
		slots: usize,
	) -> Self {
		let tree = state.tree().clone();
		let old_root = tree.root();
		BatchBuilder {
			state,
			tree,
			batch_number,
			ctx: BatchContext::new(network, fee_account),
			capacity: slots,
			old_root,
			slots: Vec::with_capacity(slots),
		}
	}

	/// The state with the ops added so far applied.
	pub fn state(&self) -> &TreeState<S> {
		&self.state
	}

	/// Applies `op` (with its owner's packed signature if it is L2-signed) and adds it to the
	/// batch; on error nothing changes.
	pub fn push(&mut self, op: &Op, signature: Option<[u8; 64]>) -> Result<AppliedOp, BatchError> {
		self.ensure_room(op)?;
		let (applied, signature) = match (op.signer(), signature) {
			(None, _) => (
				stf::apply(&mut self.state, op, &mut self.ctx)?,
				placeholder_signature(),
			),
			(Some(_), None) => return Err(BatchError::MissingSignature),
			(Some(_), Some(packed)) => {
				let signed = SignedOp {
					op: *op,
					signature: packed,
				};
				let applied = stf::apply_signed(&mut self.state, &signed, &mut self.ctx)?;
				let signature = Signature::unpack(&packed).ok_or(StfError::BadSignature)?;
				(applied, signature)
			}
		};
		let slot = self.witness_slot(applied, signature)?;
		self.push_op_slots(slot)?;
		Ok(applied)
	}

	/// Adds an op read from a sealed batch's pubdata as the appchain applied it
	/// ([`stf::apply_published`]): at its signer's nonce, and a refunded Deposit refunded
	/// whatever the state would decide now. `signature` is the L2-signed op's, over the op at
	/// its signer's nonce.
	pub fn push_published(
		&mut self,
		published: &AppliedOp,
		signature: Option<[u8; 64]>,
	) -> Result<AppliedOp, BatchError> {
		if !published.is_refunded() {
			let op = stf::published_op(&self.state, &self.ctx, published)?;
			return self.push(&op, signature);
		}
		self.ensure_room(published.op())?;
		let slot = self.witness_slot(*published, placeholder_signature())?;
		self.push_op_slots(slot)?;
		Ok(*published)
	}

	/// The op's chunks fit in the slots the batch has left.
	fn ensure_room(&self, op: &Op) -> Result<(), BatchError> {
		if self.slots.len() + op.op_type().chunks() > self.capacity {
			return Err(BatchError::Full {
				slots: self.capacity,
			});
		}
		Ok(())
	}

	/// Adds an op's first slot and the slots of its other chunks.
	fn push_op_slots(&mut self, first: SlotWitness) -> Result<(), BatchError> {
		self.slots.push(first);
		for part in 1..first.op.op().op_type().chunks() {
			let slot = self.witness_continuation(&first, part)?;
			self.slots.push(slot);
		}
		Ok(())
	}

	/// Pads the batch with Noops, credits its fees to the fee account and returns the state
	/// after it and its witness.
	pub fn finish(mut self) -> Result<(TreeState<S>, BatchWitness), BatchError> {
		while self.slots.len() < self.capacity {
			let noop = stf::apply(&mut self.state, &Op::Noop, &mut self.ctx)
				.expect("a Noop always applies");
			let slot = self.witness_slot(noop, placeholder_signature())?;
			self.push_op_slots(slot)?;
		}
		let fees = self.ctx.fees;
		stf::settle_fees(&mut self.state, &mut self.ctx);
		let fee_settlement = self.witness_settlement(&fees)?;
		let witness = BatchWitness {
			batch_number: self.batch_number,
			network: self.ctx.network,
			fee_account: self.ctx.fee_account,
			old_root: self.old_root,
			new_root: self.tree.root(),
			slots: self.slots,
			fee_settlement,
		};
		Ok((self.state, witness))
	}

	/// Replays `stf::settle_fees` as the circuit does it: every register, used or not, credited
	/// in turn on the fee account's balance tree.
	fn witness_settlement(&mut self, fees: &BatchFees) -> Result<FeeSettlement, BatchError> {
		let diverged = BatchError::Diverged {
			op_type: OpType::Noop,
		};
		let id = self.ctx.fee_account;
		let account = self.account(id, diverged)?;
		let account_path = self.tree.account_proof(id).map_err(|_| diverged)?;
		let mut registers = Vec::with_capacity(FEE_REGISTERS);
		for register in 0..FEE_REGISTERS {
			let (token, collected) = fees.registers().get(register).copied().unwrap_or((0, 0));
			let old_balance = self.tree.balance(id, token).map_err(|_| diverged)?;
			let balance_path = self.tree.balance_proof(id, token).map_err(|_| diverged)?;
			if collected > 0 {
				let credited = old_balance.checked_add(collected).ok_or(diverged)?;
				self.tree
					.set_balance(id, token, credited)
					.map_err(|_| diverged)?;
			}
			registers.push(FeeRegister {
				token,
				old_balance,
				balance_path,
			});
		}
		if self.tree.root() != self.state.tree().root() {
			return Err(diverged);
		}
		Ok(FeeSettlement {
			account,
			account_path,
			registers: registers.try_into().expect("FEE_REGISTERS registers"),
		})
	}

	/// Replays an applied op as the circuit's two touches (see [`SlotWitness`]) and checks the
	/// result against the STF's state after it.
	fn witness_slot(
		&mut self,
		op: AppliedOp,
		signature: Signature,
	) -> Result<SlotWitness, BatchError> {
		let kind = op.op().op_type();
		let diverged = BatchError::Diverged { op_type: kind };
		let f = SlotFields::of(&op);
		let signed = op.op().signer().is_some();

		let mut a = self.account(f.account_a, diverged)?;
		if signed {
			a.nonce = a.nonce.checked_add(1).ok_or(diverged)?;
		}
		if kind == OpType::ChangePubKey {
			a.pubkey = PublicKey::unpack(&f.pubkey).ok_or(diverged)?;
		}
		let debit = match kind {
			OpType::Transfer | OpType::TransferToNew | OpType::Withdraw => {
				f.amount.checked_add(f.fee()).ok_or(diverged)?
			}
			OpType::ChangePubKey => f.fee(),
			OpType::FullExit => f.amount,
			OpType::Noop | OpType::Deposit => 0,
		};
		let credited_deposit = kind == OpType::Deposit && !f.refunded;
		let reserve_credit = if credited_deposit { f.amount } else { 0 };
		let touch_a = self.touch(
			f.account_a,
			f.token,
			a,
			|old| old.checked_sub(debit)?.checked_add(reserve_credit),
			diverged,
		)?;

		let mut b = self.account(f.account_b, diverged)?;
		let credit = match kind {
			OpType::Deposit if f.refunded => 0,
			OpType::Deposit | OpType::TransferToNew => {
				b.l1_address = f.address;
				f.amount
			}
			OpType::Transfer => f.amount,
			_ => 0,
		};
		let reserve_debit = match kind {
			OpType::Withdraw | OpType::FullExit => f.amount,
			_ => 0,
		};
		let touch_b = self.touch(
			f.account_b,
			f.token,
			b,
			|old| old.checked_add(credit)?.checked_sub(reserve_debit),
			diverged,
		)?;

		let fee_register = if signed && f.fee() > 0 {
			Some(self.ctx.fees.register_of(f.token).ok_or(diverged)?)
		} else {
			None
		};

		if self.tree.root() != self.state.tree().root() {
			return Err(diverged);
		}
		Ok(SlotWitness {
			op,
			fields: f,
			signature,
			new_pubkey: a.pubkey,
			touches: [touch_a, touch_b],
			fee_register,
		})
	}

	/// Slot `part` of the op whose first slot is `first`: the same fields, its two accounts
	/// touched without a change, no signature, no fee.
	fn witness_continuation(
		&mut self,
		first: &SlotWitness,
		part: usize,
	) -> Result<SlotWitness, BatchError> {
		let diverged = BatchError::Diverged {
			op_type: first.op.op().op_type(),
		};
		let fields = SlotFields {
			part: part as u8,
			..first.fields
		};
		let mut touches = Vec::with_capacity(2);
		for account in [fields.account_a, fields.account_b] {
			let unchanged = self.account(account, diverged)?;
			touches.push(self.touch(account, fields.token, unchanged, Some, diverged)?);
		}
		Ok(SlotWitness {
			fields,
			signature: placeholder_signature(),
			touches: touches.try_into().expect("two touches"),
			fee_register: None,
			..*first
		})
	}

	fn account(&self, id: AccountId, diverged: BatchError) -> Result<Account, BatchError> {
		self.tree.account(id).map_err(|_| diverged)
	}

	/// Writes `new` and the balance `balance(old balance)` at (`account`, `token`).
	fn touch(
		&mut self,
		account: AccountId,
		token: TokenId,
		new: Account,
		balance: impl FnOnce(u128) -> Option<u128>,
		diverged: BatchError,
	) -> Result<Touch, BatchError> {
		let old_balance = self.tree.balance(account, token).map_err(|_| diverged)?;
		let new_balance = balance(old_balance).ok_or(diverged)?;
		let change = self
			.tree
			.change(account, new, token, new_balance)
			.map_err(|_: StateError| diverged)?;
		Ok(Touch {
			account,
			token,
			change,
		})
	}
}

/// The signature an unsigned slot carries: the circuit allocates one in every slot and ignores
/// it where the op is not L2-signed.
fn placeholder_signature() -> Signature {
	Signature {
		r8: concord_primitives::babyjubjub::BASE8,
		s: Default::default(),
	}
}
