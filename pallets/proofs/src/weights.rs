//! Weights of the proofs pallet's calls. The `()` implementation (zero weights) is for mock
//! runtimes; the runtime uses the figures `concord-node benchmark pallet` measured, in
//! `runtime/src/weights/pallet_concord_proofs.rs`.

use frame_support::weights::Weight;

/// The weight of each call.
pub trait WeightInfo {
	fn set_key() -> Weight;
	/// Dominated by the Groth16 verification (four pairings in one multi-pairing).
	fn submit_proof() -> Weight;
}

impl WeightInfo for () {
	fn set_key() -> Weight {
		Weight::zero()
	}
	fn submit_proof() -> Weight {
		Weight::zero()
	}
}
