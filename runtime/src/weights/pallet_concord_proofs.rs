// Replaced by `concord-node benchmark pallet --pallet pallet_concord_proofs` output.
use core::marker::PhantomData;
use frame_support::weights::Weight;
pub struct WeightInfo<T>(PhantomData<T>);
impl<T: frame_system::Config> pallet_concord_proofs::WeightInfo for WeightInfo<T> {
	fn set_key() -> Weight {
		Weight::from_parts(50_000_000_000, 4_000)
	}
	fn submit_proof() -> Weight {
		Weight::from_parts(100_000_000_000, 8_000)
	}
}
