//! Benchmarks of the proof registry's calls; `concord-node benchmark pallet` turns them into
//! the runtime's weights. `submit_proof` verifies a proof under the trapdoor key
//! ([`crate::testing`]): the same pairings as a real batch proof, without a circuit.

use crate::{
	pallet::{Call, Config, Key, LastProven, Pallet},
	testing::{first_batch_ready_to_prove, trapdoor_key_bytes},
};
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;
use frame_system::RawOrigin;

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_key() {
		let origin = T::GovernanceOrigin::try_successful_origin().expect("governance origin");
		let key = trapdoor_key_bytes();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, key);

		assert!(Key::<T>::exists());
	}

	#[benchmark]
	fn submit_proof() {
		let caller: T::AccountId = whitelisted_caller();
		let (new_root, proof) = first_batch_ready_to_prove::<T>([7; 32], &caller);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), 1, new_root, proof);

		assert_eq!(LastProven::<T>::get(), 1);
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::new_test_ext(Vec::new()),
		crate::mock::Test
	);
}
