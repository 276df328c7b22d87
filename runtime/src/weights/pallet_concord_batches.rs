// Replaced by `concord-node benchmark pallet --pallet pallet_concord_batches` output.
use core::marker::PhantomData;
use frame_support::weights::Weight;
pub struct WeightInfo<T>(PhantomData<T>);
impl<T: frame_system::Config> pallet_concord_batches::WeightInfo for WeightInfo<T> {
	fn seal_on_initialize() -> Weight {
		Weight::from_parts(1_000_000_000, 2_000)
	}
	fn idle_on_initialize() -> Weight {
		Weight::from_parts(100_000_000, 1_000)
	}
}
