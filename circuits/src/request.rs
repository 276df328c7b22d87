//! A batch request ([`BatchRequest`]): what the prover needs to build a batch's witness without
//! the appchain (the registries, the ops before the batch, the batch's ops), and a
//! deterministic example with every op kind, used by the tests, the benchmarks and
//! `concord-prover example-batch`.

use crate::witness::{BatchBuilder, BatchError, BatchWitness};
use codec::{Decode, Encode};
use concord_primitives::{
	account::{AccountId, TokenId},
	eddsa::PrivateKey,
	ops::{
		ChainId, ChangePubKey, Deposit, FullExit, NetworkId, Op, Transfer, TransferToNew, Withdraw,
	},
	stf::{self, BatchContext, StfError, TreeState},
};
use core::fmt;

/// An op with its owner's packed EdDSA signature, if it is L2-signed.
pub type RequestOp = (Op, Option<[u8; 64]>);

/// Everything needed to build one batch's witness from the empty state, SCALE-encoded in files.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct BatchRequest {
	/// The registered chains and the tokens on each.
	pub chains: Vec<(ChainId, Vec<TokenId>)>,
	/// Ops applied before the batch, in order (the state the batch starts from).
	pub history: Vec<RequestOp>,
	pub batch_number: u64,
	/// The network the ops are signed for.
	pub network: NetworkId,
	pub fee_account: AccountId,
	/// The batch's ops, at most one per slot.
	pub ops: Vec<RequestOp>,
}

/// Why a batch request cannot be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
	/// A chain or token registration is invalid.
	Registry(StfError),
	/// Op `index` of the history is rejected.
	History { index: usize, error: StfError },
	/// Op `index` of the batch is rejected.
	Batch { index: usize, error: BatchError },
	/// The batch's fee settlement failed (a prover bug, see [`BatchError::Diverged`]).
	Settlement(BatchError),
}

impl fmt::Display for RequestError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			RequestError::Registry(error) => write!(f, "registry: {error}"),
			RequestError::History { index, error } => write!(f, "history op {index}: {error}"),
			RequestError::Batch { index, error } => write!(f, "batch op {index}: {error}"),
			RequestError::Settlement(error) => write!(f, "fee settlement: {error}"),
		}
	}
}

impl std::error::Error for RequestError {}

impl BatchRequest {
	/// The state before the batch: the registries, then the history applied by the STF.
	pub fn pre_state(&self) -> Result<TreeState, RequestError> {
		let mut state = TreeState::new();
		for (chain, tokens) in &self.chains {
			state.registry_mut().add_chain(*chain);
			for &token in tokens {
				state
					.registry_mut()
					.register_token(*chain, token)
					.map_err(RequestError::Registry)?;
			}
		}
		for (index, (op, signature)) in self.history.iter().enumerate() {
			// Each history op as a batch of its own, its fee settled at once.
			let mut ctx = BatchContext::new(self.network, self.fee_account);
			let result = match signature {
				Some(signature) => stf::apply_signed(
					&mut state,
					&concord_primitives::ops::SignedOp {
						op: *op,
						signature: *signature,
					},
					&mut ctx,
				),
				None => stf::apply(&mut state, op, &mut ctx),
			};
			result.map_err(|error| RequestError::History { index, error })?;
			stf::settle_fees(&mut state, &mut ctx);
		}
		Ok(state)
	}

	/// The batch's witness for a circuit of `slots` slots.
	pub fn witness(&self, slots: usize) -> Result<BatchWitness, RequestError> {
		let mut builder = BatchBuilder::new(
			self.pre_state()?,
			self.batch_number,
			self.network,
			self.fee_account,
			slots,
		);
		for (index, (op, signature)) in self.ops.iter().enumerate() {
			builder
				.push(op, *signature)
				.map_err(|error| RequestError::Batch { index, error })?;
		}
		Ok(builder.finish().map_err(RequestError::Settlement)?.1)
	}
}

/// The chain and token of the example.
pub const EXAMPLE_CHAIN: ChainId = ChainId(1);
pub const EXAMPLE_TOKEN: TokenId = 1;
/// The network the example's ops are signed for.
pub const EXAMPLE_NETWORK: NetworkId = 0x0c0c_0001;

/// The example's L2 keys: Alice's and Bob's (accounts 1 and 2), Carol's (account 3).
pub fn example_keys() -> [PrivateKey; 3] {
	[
		PrivateKey([1; 32]),
		PrivateKey([2; 32]),
		PrivateKey([3; 32]),
	]
}

fn signed(key: &PrivateKey, op: Op) -> RequestOp {
	let message = op.signed_message(EXAMPLE_NETWORK).expect("an L2-signed op");
	(op, Some(key.sign(message).pack()))
}

fn deposit(priority_id: u64, to_address: [u8; 20], amount: u128) -> RequestOp {
	let op = Op::Deposit(Deposit {
		chain_id: EXAMPLE_CHAIN,
		priority_id,
		to_address,
		token: EXAMPLE_TOKEN,
		amount,
	});
	(op, None)
}

fn change_pubkey(key: &PrivateKey, account: AccountId, nonce: u32) -> RequestOp {
	let op = Op::ChangePubKey(ChangePubKey {
		chain_id: EXAMPLE_CHAIN,
		account,
		new_pubkey: key.public_key().pack(),
		fee_token: EXAMPLE_TOKEN,
		fee: 0,
		nonce,
	});
	signed(key, op)
}

/// The slots [`example_request`] needs for every op kind: 1 + 3 + 3 + 3 + 4 + 3.
pub const EVERY_KIND_SLOTS: usize = 17;

/// The longest prefix of `ops` whose chunks fit in `slots` slots.
fn fitting(ops: Vec<RequestOp>, slots: usize) -> Vec<RequestOp> {
	let mut used = 0;
	ops.into_iter()
		.take_while(|(op, _)| {
			used += op.op_type().chunks();
			used <= slots
		})
		.collect()
}

/// Batch 1 with as many as fit in `slots` slots of: Transfer (1 chunk), Deposit (3, creating
/// account 3), TransferToNew (3, creating account 4), Withdraw (3), ChangePubKey (4, Carol,
/// with a fee), FullExit (3, Alice's whole balance): all of them from [`EVERY_KIND_SLOTS`].
/// Before it: the operator's fee account 0, Alice (1) and Bob (2) deposited and set their keys.
pub fn example_request(slots: usize) -> BatchRequest {
	let [alice, bob, carol] = example_keys();
	let (operator_address, alice_address, bob_address) = ([0x0f; 20], [0xa1; 20], [0xb0; 20]);
	let (carol_address, dave_address) = ([0xc0; 20], [0xd0; 20]);
	let history = vec![
		deposit(0, operator_address, 1),
		deposit(1, alice_address, 1_000_000),
		deposit(2, bob_address, 500),
		change_pubkey(&alice, 1, 0),
		change_pubkey(&bob, 2, 0),
	];
	let ops = vec![
		signed(
			&alice,
			Op::Transfer(Transfer {
				from: 1,
				to: 2,
				token: EXAMPLE_TOKEN,
				amount: 100,
				fee: 1,
				nonce: 1,
			}),
		),
		deposit(3, carol_address, 300),
		signed(
			&alice,
			Op::TransferToNew(TransferToNew {
				from: 1,
				to_address: dave_address,
				token: EXAMPLE_TOKEN,
				amount: 50,
				fee: 1,
				nonce: 2,
			}),
		),
		signed(
			&bob,
			Op::Withdraw(Withdraw {
				from: 2,
				to_chain: EXAMPLE_CHAIN,
				to_address: bob_address,
				token: EXAMPLE_TOKEN,
				amount: 20,
				fee: 1,
				nonce: 1,
			}),
		),
		{
			let (op, _) = change_pubkey(&carol, 3, 0);
			let Op::ChangePubKey(cpk) = op else {
				unreachable!()
			};
			signed(&carol, Op::ChangePubKey(ChangePubKey { fee: 2, ..cpk }))
		},
		(
			Op::FullExit(FullExit {
				chain_id: EXAMPLE_CHAIN,
				priority_id: 4,
				account: 1,
				owner: alice_address,
				token: EXAMPLE_TOKEN,
			}),
			None,
		),
	];
	BatchRequest {
		chains: vec![(EXAMPLE_CHAIN, vec![EXAMPLE_TOKEN])],
		history,
		batch_number: 1,
		network: EXAMPLE_NETWORK,
		fee_account: 0,
		ops: fitting(ops, slots),
	}
}
