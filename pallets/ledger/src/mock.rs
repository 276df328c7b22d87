//! A runtime with System and the ledger, recording the ops the ledger hands on and the
//! batches it has sealed (each seal settles the batch's fees, as the batches pallet does).

use crate as pallet_concord_ledger;
use concord_primitives::{ops::AppliedOp, stf::BatchContext};
use core::cell::RefCell;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use sp_runtime::{transaction_validity::TransactionPriority, BuildStorage};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Ledger: pallet_concord_ledger,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

parameter_types! {
	pub const MaxOpPriority: TransactionPriority = 100;
	pub const MaxOpsPerBlock: u32 = 4;
	pub const OpLongevity: u64 = 64;
	pub const MaxNonceGap: u32 = 4;
}

thread_local! {
	/// The ops the ledger handed to `BatchSink`, in order.
	pub static APPLIED: RefCell<Vec<AppliedOp>> = const { RefCell::new(Vec::new()) };
	/// How many ops each sealed batch held.
	pub static SEALED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// The mock batches' slots: pubdata chunks per batch.
pub const MOCK_SLOTS: usize = 64;

/// Records applied ops; seals when the ledger asks (or `seal` is called). It never seals a
/// full batch by itself: the ledger must not give it an op it has no room for.
pub struct RecordApplied;

impl crate::BatchSink for RecordApplied {
	fn on_applied(op: &AppliedOp, _: &BatchContext) {
		assert!(
			Self::has_room(op.op().op_type().chunks()),
			"no room for {op:?}"
		);
		APPLIED.with(|applied| applied.borrow_mut().push(*op));
	}

	fn has_room(chunks: usize) -> bool {
		let sealed: usize = SEALED.with(|sealed| sealed.borrow().iter().sum());
		let open: usize = APPLIED.with(|applied| {
			applied.borrow()[sealed..]
				.iter()
				.map(|op| op.op().op_type().chunks())
				.sum()
		});
		open + chunks <= MOCK_SLOTS
	}

	fn seal_open_batch() {
		seal();
	}
}

/// Seals the ops applied since the last seal, if any, and settles their fees.
pub fn seal() {
	let sealed: usize = SEALED.with(|sealed| sealed.borrow().iter().sum());
	let open = APPLIED.with(|applied| applied.borrow().len()) - sealed;
	if open > 0 {
		SEALED.with(|sealed| sealed.borrow_mut().push(open));
		<Ledger as crate::SettleFees>::settle_fees();
	}
}

/// How many ops each sealed batch held.
pub fn sealed() -> Vec<usize> {
	SEALED.with(|sealed| sealed.borrow().clone())
}

impl crate::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type Batches = RecordApplied;
	type MaxOpPriority = MaxOpPriority;
	type MaxOpsPerBlock = MaxOpsPerBlock;
	type MaxChains = ConstU32<3>;
	type OpLongevity = OpLongevity;
	type MaxNonceGap = MaxNonceGap;
	type WeightInfo = ();
}

/// The minimum fee of every L2-signed op paid in token 1; token 2 is not accepted for fees.
pub const MIN_FEE: u128 = 1;

/// The mock network's id: every L2 signature in the tests is for it.
pub const NETWORK: concord_primitives::ops::NetworkId = 0x0c0d_0009;

/// Chain 1 (EVM 31337) with token 1, chain 2 (EVM 31338) with tokens 1 and 2.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.unwrap();
	pallet_concord_ledger::GenesisConfig::<Test> {
		network: NETWORK,
		chains: vec![(1, 31337, [0xc1; 20]), (2, 31338, [0xc2; 20])],
		tokens: vec![
			(1, 1, [0; 20], 18),
			(1, 2, [0; 20], 18),
			(2, 2, [0x70; 20], 6),
		],
		min_fees: [2, 3, 4, 5].map(|kind| (kind, 1, MIN_FEE)).to_vec(),
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		APPLIED.with(|applied| applied.borrow_mut().clear());
		SEALED.with(|sealed| sealed.borrow_mut().clear());
	});
	ext
}
