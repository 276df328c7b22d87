//! Benchmarks of the sealing hook; `concord-node benchmark pallet` turns them into the
//! runtime's weights.

use crate::pallet::{Config, LastSealed, Open, OpenBatch, Pallet};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{Get, Hooks},
	BoundedVec,
};
use sp_runtime::traits::Saturating;

/// An open batch of `SlotsPerBatch − 1` transfer chunks opened at block 1 (a full one is
/// sealed by the op that fills it).
fn open_batch<T: Config>() {
	let chunks: alloc::vec::Vec<_> = (0..T::SlotsPerBatch::get().saturating_sub(1))
		.map(|i| {
			let mut chunk = [0u8; concord_primitives::ops::CHUNK_BYTES];
			chunk[0] = 2;
			chunk[3] = i as u8;
			chunk
		})
		.collect();
	Open::<T>::put(OpenBatch {
		fee_account: 0,
		opened_at: 1u32.into(),
		op_count: chunks.len() as u32,
		chunks: BoundedVec::try_from(chunks).expect("fewer than SlotsPerBatch"),
	});
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn seal_on_initialize() {
		open_batch::<T>();
		let due = T::SealInterval::get().saturating_add(1u32.into());
		#[block]
		{
			Pallet::<T>::on_initialize(due);
		}
		assert_eq!(LastSealed::<T>::get(), 1);
	}

	#[benchmark]
	fn idle_on_initialize() {
		open_batch::<T>();
		#[block]
		{
			Pallet::<T>::on_initialize(1u32.into());
		}
		assert_eq!(LastSealed::<T>::get(), 0);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
