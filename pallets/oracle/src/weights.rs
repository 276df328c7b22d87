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
}
