//! Weights of the ledger pallet's calls. The `()` implementation (zero weights) is for mock
//! runtimes; the runtime uses the figures `concord-node benchmark pallet` measured, in
//! `runtime/src/weights/pallet_concord_ledger.rs`.

use frame_support::weights::Weight;

/// The weight of each call, and of validating an L2 op for the pool.
pub trait WeightInfo {
	fn register_chain() -> Weight;
	fn register_token() -> Weight;
	fn set_fee_account() -> Weight;
	fn set_min_fee() -> Weight;
	fn submit() -> Weight;
	fn change_pubkey() -> Weight;
	fn authorize_submit() -> Weight;
	fn authorize_change_pubkey() -> Weight;
}

impl WeightInfo for () {
	fn register_chain() -> Weight {
		Weight::zero()
	}
	fn register_token() -> Weight {
		Weight::zero()
	}
	fn set_fee_account() -> Weight {
		Weight::zero()
	}
	fn set_min_fee() -> Weight {
		Weight::zero()
	}
	fn submit() -> Weight {
		Weight::zero()
	}
	fn change_pubkey() -> Weight {
		Weight::zero()
	}
	fn authorize_submit() -> Weight {
		Weight::zero()
	}
	fn authorize_change_pubkey() -> Weight {
		Weight::zero()
	}
}
