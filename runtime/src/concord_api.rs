//! The runtime API behind the node's `concord_*` JSON-RPC methods: what wallets, relayers and
//! explorers read of the L2 state and of each batch's progress.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use concord_primitives::{
	account::{AccountId as L2AccountId, TokenId},
	ops::{ChainId, Op},
};
use scale_info::TypeInfo;

/// An L2 account as the ledger holds it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct AccountView {
	pub id: L2AccountId,
	pub l1_address: [u8; 20],
	/// The L2 key's coordinates `x ‖ y`, 32 bytes little-endian each; zeros before ChangePubKey.
	pub pubkey: [u8; 64],
	pub nonce: u32,
	/// Non-zero balances by token id.
	pub balances: Vec<(TokenId, u128)>,
}

/// A sealed batch's progress on the appchain and on every registered L1.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct BatchStatus {
	pub number: u64,
	pub op_count: u32,
	pub fee_account: L2AccountId,
	pub pubdata_hash: [u8; 32],
	pub sealed_at: u32,
	/// Once proven on the appchain: (new root, commitment, sync hash).
	pub proven: Option<([u8; 32], [u8; 32], [u8; 32])>,
	/// Every L1 proved it with the expected sync hash.
	pub synced: bool,
	/// How many members signed its execution.
	pub execute_signatures: u32,
	/// The furthest stage reached on each registered chain (`None`: not committed yet).
	pub chains: Vec<(ChainId, Option<pallet_concord_batches::L1Stage>)>,
}

/// One member's execute signatures of a batch.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct MemberSignatures {
	pub l1_address: [u8; 20],
	pub signatures: Vec<(ChainId, [u8; 65])>,
}

/// A priority op attested on the appchain and not yet in the ledger.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct PendingPriorityOp {
	pub chain: ChainId,
	pub priority_id: u64,
	pub op: Op,
	/// How many members attested this op (a different op for the same id is listed apart).
	pub attestations: u32,
}

sp_api::decl_runtime_apis! {
	/// Concord's L2 queries.
	pub trait ConcordApi {
		/// The account with this id.
		fn account(id: L2AccountId) -> Option<AccountView>;
		/// The account owned by this L1 address.
		fn account_by_address(l1_address: [u8; 20]) -> Option<AccountView>;
		/// The last sealed batch (0 before the first).
		fn last_batch() -> u64;
		/// A sealed batch's status.
		fn batch_status(batch: u64) -> Option<BatchStatus>;
		/// A sealed batch's pubdata, as the L1 contracts receive it at commit.
		fn batch_pubdata(batch: u64) -> Option<Vec<u8>>;
		/// Members' execute signatures of a batch.
		fn execute_signatures(batch: u64) -> Vec<MemberSignatures>;
		/// Priority ops attested and not yet applied, by chain and priority id.
		fn pending_priority_ops() -> Vec<PendingPriorityOp>;
		/// The owner's Ethereum signature of the applied ChangePubKey of `account` with
		/// `nonce`, which `commitBatches` needs.
		fn change_pubkey_authorization(account: L2AccountId, nonce: u32) -> Option<[u8; 65]>;
	}
}
