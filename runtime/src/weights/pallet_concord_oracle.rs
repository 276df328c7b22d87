// Replaced by `concord-node benchmark pallet --pallet pallet_concord_oracle` output.
use core::marker::PhantomData;
use frame_support::weights::Weight;
pub struct WeightInfo<T>(PhantomData<T>);
impl<T: frame_system::Config> pallet_concord_oracle::WeightInfo for WeightInfo<T> {
	fn set_members(_: u32) -> Weight {
		Weight::from_parts(1_000_000_000, 4_000)
	}
	fn attest_priority() -> Weight {
		Weight::from_parts(10_000_000_000, 20_000)
	}
	fn attest_batch() -> Weight {
		Weight::from_parts(5_000_000_000, 20_000)
	}
	fn sign_execute(c: u32) -> Weight {
		Weight::from_parts(1_000_000_000 * c as u64, 20_000)
	}
	fn clear_dispute(_: u32) -> Weight {
		Weight::from_parts(1_000_000_000, 20_000)
	}
}
