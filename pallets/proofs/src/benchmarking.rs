//! Benchmarks of the proof registry's calls; `concord-node benchmark pallet` turns them into
//! the runtime's weights. `submit_proof` verifies a proof under the trapdoor key
//! ([`crate::testing`]): the same pairings as a real batch proof, without a circuit.

use crate::{
	pallet::{Call, Config, Key, LastProven, Pallet},
	testing::{trapdoor_key_bytes, trapdoor_proof_bytes},
};
use concord_primitives::{
	account::EMPTY_ACCOUNT_TREE_ROOT,
	commitment::{batch_commitment_of_hash, fr_to_be_bytes},
	Fr,
};
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;
use frame_system::RawOrigin;
use pallet_concord_batches::{BatchHeader, Headers, LastSealed};

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
		Pallet::<T>::do_set_key(&trapdoor_key_bytes()).expect("the trapdoor key is valid");
		let pubdata_hash = [7; 32];
		Headers::<T>::insert(
			1,
			BatchHeader {
				fee_account: 0,
				op_count: 1,
				pubdata_hash,
				sealed_at: frame_system::Pallet::<T>::block_number(),
			},
		);
		LastSealed::<T>::put(1);
		let new_root = Fr::from(42u8);
		let commitment =
			batch_commitment_of_hash(1, EMPTY_ACCOUNT_TREE_ROOT, new_root, &pubdata_hash);
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller),
			1,
			fr_to_be_bytes(&new_root),
			trapdoor_proof_bytes(commitment),
		);

		assert_eq!(LastProven::<T>::get(), 1);
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::new_test_ext(Vec::new()),
		crate::mock::Test
	);
}
