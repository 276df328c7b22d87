//! A runtime with the four Concord pallets: the ledger (chains 1 and 2, token 1 on both), the
//! batches pallet (11 slots, sealed 3 blocks after the first op), the proofs pallet (no key
//! unless a test gives one) and the oracle with members 1, 2 and 3 (quorum 2).

use crate as pallet_concord_oracle;
use concord_primitives::ops::eth_address;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use k256::ecdsa::SigningKey;
use sp_runtime::{transaction_validity::TransactionPriority, BuildStorage};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Ledger: pallet_concord_ledger,
		Batches: pallet_concord_batches,
		Proofs: pallet_concord_proofs,
		Oracle: pallet_concord_oracle,
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

parameter_types! {
	pub const MaxOpPriority: TransactionPriority = 100;
	pub const MaxOpsPerBlock: u32 = 8;
}

impl pallet_concord_ledger::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type Batches = Batches;
	type MaxOpPriority = MaxOpPriority;
	type MaxOpsPerBlock = MaxOpsPerBlock;
	type MaxChains = ConstU32<4>;
	type OpLongevity = ConstU64<64>;
	type MaxNonceGap = ConstU32<4>;
	type WeightInfo = ();
}

/// The mock's `MaxOpenRequests`: small, so the tests reach it.
pub const MAX_OPEN_REQUESTS: u64 = 4;

/// The mock's slots per batch: the circuit size of the lifecycle test's real proofs, whose
/// first batch (two deposits, a key change and a transfer) takes 3 + 3 + 4 + 1 chunks.
pub const SLOTS: u32 = 11;

/// The mock network's id: every L2 signature in the tests is for it.
pub const NETWORK: concord_primitives::ops::NetworkId = 0x0c0d_0009;

impl pallet_concord_batches::Config for Test {
	type SlotsPerBatch = ConstU32<SLOTS>;
	type SealInterval = ConstU64<3>;
	type Fees = Ledger;
	type WeightInfo = ();
}

impl pallet_concord_proofs::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type Currency = Balances;
	type ProverReward = ConstU64<50>;
	type PublicSetupKey = NoPublicSetupKey;
	type Network = pallet_concord_ledger::NetworkOf<Test>;
	type WeightInfo = ();
}

/// No key is refused as public in these tests.
pub struct NoPublicSetupKey;

impl frame_support::traits::Get<Vec<u8>> for NoPublicSetupKey {
	fn get() -> Vec<u8> {
		Vec::new()
	}
}

impl crate::Config for Test {
	type OracleGovernance = EnsureRoot<u64>;
	type MaxMembers = ConstU32<8>;
	type MaxOpenRequests = ConstU64<MAX_OPEN_REQUESTS>;
	type WeightInfo = ();
}

/// Chains: (chain id, EVM chain id, contract).
pub const CHAINS: [(u8, u64, [u8; 20]); 2] = [(1, 31337, [0xc1; 20]), (2, 31338, [0xc2; 20])];

/// The L1 signing key of member account `member` (1, 2, 3, ...).
pub fn member_key(member: u64) -> SigningKey {
	SigningKey::from_bytes(&[member as u8; 32].into()).unwrap()
}

pub fn member_address(member: u64) -> [u8; 20] {
	eth_address(member_key(member).verifying_key())
}

/// `key`: the proofs pallet's verifying key (compressed), none if empty.
pub fn new_test_ext(key: Vec<u8>) -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.unwrap();
	pallet_concord_ledger::GenesisConfig::<Test> {
		network: NETWORK,
		chains: CHAINS.to_vec(),
		tokens: vec![(1, 1, [0; 20], 18), (1, 2, [0x70; 20], 18)],
		// Token 1 pays the fees of every L2-signed op, at least 1.
		min_fees: [2, 3, 4, 5].map(|kind| (kind, 1, 1)).to_vec(),
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_concord_proofs::GenesisConfig::<Test> {
		key,
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_concord_oracle::GenesisConfig::<Test> {
		members: (1..=3)
			.map(|member| (member, member_address(member)))
			.collect(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
