//! A runtime with System and the batches pallet: 6 slots per batch (a test may change it),
//! sealed 3 blocks after the first op.

use crate as pallet_concord_batches;
use frame_support::{derive_impl, parameter_types, traits::ConstU64};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Batches: pallet_concord_batches,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

parameter_types! {
	/// The slots per batch: 6 unless a test sets another count.
	pub static SlotsPerBatch: u32 = 6;
}

impl crate::Config for Test {
	type SlotsPerBatch = SlotsPerBatch;
	type SealInterval = ConstU64<3>;
	type Fees = CountSettlements;
	type WeightInfo = ();
}

thread_local! {
	static SETTLEMENTS: core::cell::Cell<u32> = const { core::cell::Cell::new(0) };
}

/// Counts the fee settlements the pallet asks for.
pub struct CountSettlements;

impl pallet_concord_ledger::SettleFees for CountSettlements {
	fn settle_fees() {
		SETTLEMENTS.with(|count| count.set(count.get() + 1));
	}
}

/// How many times a batch's fees were settled.
pub fn settlements() -> u32 {
	SETTLEMENTS.with(|count| count.get())
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		SETTLEMENTS.with(|count| count.set(0));
	});
	ext
}
