//! Weights of the batches pallet's hook. The `()` implementation (zero weights) is for mock
//! runtimes; the runtime uses the figures `concord-node benchmark pallet` measured, in
//! `runtime/src/weights/pallet_concord_batches.rs`.

use frame_support::weights::Weight;

/// The weight of sealing.
pub trait WeightInfo {
	/// `on_initialize` sealing an open batch of `SlotsPerBatch − 1` ops after `SealInterval`.
	fn seal_on_initialize() -> Weight;
	/// `on_initialize` with an open batch that is not due.
	fn idle_on_initialize() -> Weight;
}

impl WeightInfo for () {
	fn seal_on_initialize() -> Weight {
		Weight::zero()
	}
	fn idle_on_initialize() -> Weight {
		Weight::zero()
	}
}
