//! A runtime with System, Balances, the batches pallet (1 slot per batch, so that every applied
//! op seals a batch) and the proofs pallet, whose provers earn 50.

use crate as pallet_concord_proofs;
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Batches: pallet_concord_batches,
		Proofs: pallet_concord_proofs,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

impl pallet_concord_batches::Config for Test {
	type SlotsPerBatch = ConstU32<4>;
	type SealInterval = ConstU64<3>;
	type Fees = ();
	type WeightInfo = ();
}

/// The mock network's id, bound by every batch commitment in the tests.
pub const NETWORK: u32 = 0x0c0d_0009;

/// What each accepted proof earns.
pub const REWARD: u64 = 50;

impl crate::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type Currency = Balances;
	type ProverReward = ConstU64<REWARD>;
	type PublicSetupKey = PublicKeyOfTests;
	type Network = frame_support::traits::ConstU32<NETWORK>;
	type WeightInfo = ();
}

/// The tests' public-setup key: the trapdoor key with another `alpha` (a valid key that is not
/// the one the tests set).
pub struct PublicKeyOfTests;

impl frame_support::traits::Get<Vec<u8>> for PublicKeyOfTests {
	fn get() -> Vec<u8> {
		use ark_serialize::CanonicalSerialize;
		let mut key = crate::testing::trapdoor_key();
		key.alpha_g1 = (key.alpha_g1 + key.alpha_g1).into();
		let mut bytes = Vec::new();
		key.serialize_compressed(&mut bytes).unwrap();
		bytes
	}
}

/// No verifying key unless `key` is given (compressed bytes).
pub fn new_test_ext(key: Vec<u8>) -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.unwrap();
	pallet_concord_proofs::GenesisConfig::<Test> {
		key,
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
