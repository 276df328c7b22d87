//! Weights of the oracle pallet's calls. The `()` implementation (zero weights) is for mock
//! runtimes; the runtime uses the figures `concord-node benchmark pallet` measured, in
//! `runtime/src/weights/pallet_concord_oracle.rs`.

use frame_support::weights::Weight;

/// The weight of each call.
pub trait WeightInfo {
	/// Replacing `m` members.
	fn set_members(m: u32) -> Weight;
	/// The attestation that confirms a deposit and applies it.
	fn attest_priority() -> Weight;
	/// The attestation that confirms a batch proven on the last chain and syncs it.
	fn attest_batch() -> Weight;
	/// Checking and storing execute signatures for `c` chains.
	fn sign_execute(c: u32) -> Weight;
	/// Checking and storing commit signatures for `c` chains.
	fn sign_commit(c: u32) -> Weight;
	/// Clearing a dispute with `m` votes.
	fn clear_dispute(m: u32) -> Weight;
	/// Removing a chain with `MaxOpenRequests` pending priority ops and syncing
	/// `MAX_SYNC_PER_CALL` batches.
	fn remove_chain() -> Weight;
	/// Proposing an L1 action over one with `m` signatures (fewer than a quorum).
	fn propose_l1_action(m: u32) -> Weight;
	/// Checking and storing a member's signature of an L1 action.
	fn sign_l1_action() -> Weight;
	/// Dropping an L1 action with `m` signatures.
	fn drop_l1_action(m: u32) -> Weight;
}

impl WeightInfo for () {
	fn set_members(_: u32) -> Weight {
		Weight::zero()
	}
	fn attest_priority() -> Weight {
		Weight::zero()
	}
	fn attest_batch() -> Weight {
		Weight::zero()
	}
	fn sign_execute(_: u32) -> Weight {
		Weight::zero()
	}
	fn sign_commit(_: u32) -> Weight {
		Weight::zero()
	}
	fn clear_dispute(_: u32) -> Weight {
		Weight::zero()
	}
	fn remove_chain() -> Weight {
		Weight::zero()
	}
	fn propose_l1_action(_: u32) -> Weight {
		Weight::zero()
	}
	fn sign_l1_action() -> Weight {
		Weight::zero()
	}
	fn drop_l1_action(_: u32) -> Weight {
		Weight::zero()
	}
}
