//! Configuration of every pallet in the runtime.

use crate::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask,
	System, EXISTENTIAL_DEPOSIT, SLOT_DURATION, UNIT, VERSION,
};
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{RocksDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{traits::One, Perbill};
use sp_version::RuntimeVersion;

const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;

frame_support::parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;

	/// Two seconds of compute per 3-second block, 75% of it for ordinary extrinsics.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks, 75% of it for ordinary extrinsics.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(MAX_BLOCK_LENGTH)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * *max
		})
		.build();
	pub const SS58Prefix: u8 = 42;
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	// The node stores state in ParityDb; RocksDB's weights are the conservative published
	// figures and are used until the node's own storage benchmark replaces them.
	type DbWeight = RocksDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

/// The highest pool priority of an L2 op (one paying a million times its minimum fee). The
/// oracle's, provers' and governance's calls are `DispatchClass::Operational`, whose priority
/// pallet-transaction-payment raises by five times their CORD fee (times the calls a block
/// could hold): orders of magnitude above this, so no L2 load outranks them (a runtime test
/// checks it on the cheapest of them).
pub const MAX_L2_OP_PRIORITY: sp_runtime::transaction_validity::TransactionPriority = 1_000_000;

/// L2-signed ops per block: one batch's worth of transfers (one slot each). Larger ops take
/// up to `OpType::MAX_CHUNKS` slots, so L2 load seals at most that many batches a block.
pub const MAX_L2_OPS_PER_BLOCK: u32 = SLOTS_PER_BATCH;

/// How many priority requests (deposits, full exits) a chain's contract keeps open at most: the
/// contracts are deployed with this `MAX_OPEN_REQUESTS`, and the oracle attests no priority id
/// further ahead.
pub const MAX_OPEN_PRIORITY_REQUESTS: u64 = 1024;

/// The devnet's proving key size, in slots of one pubdata chunk: 16 transfers, or 5 deposits,
/// a batch (about as many constraints as 8 ops of the earlier one-op slots).
pub const SLOTS_PER_BATCH: u32 = 16;

impl pallet_concord_ledger::Config for Runtime {
	type GovernanceOrigin = frame_system::EnsureRoot<AccountId>;
	type Batches = crate::Batches;
	type MaxOpPriority = ConstU64<MAX_L2_OP_PRIORITY>;
	type MaxOpsPerBlock = ConstU32<MAX_L2_OPS_PER_BLOCK>;
	/// Every member signs each batch's execution for all chains in one `sign_execute`.
	type MaxChains = ConstU32<8>;
	/// About 3 minutes of blocks.
	type OpLongevity = ConstU64<64>;
	type MaxNonceGap = ConstU32<16>;
	type WeightInfo = crate::weights::pallet_concord_ledger::WeightInfo<Runtime>;
}

impl pallet_concord_batches::Config for Runtime {
	type SlotsPerBatch = ConstU32<SLOTS_PER_BATCH>;
	/// 30 seconds of 3-second blocks.
	type SealInterval = ConstU32<10>;
	type Fees = crate::Ledger;
	type WeightInfo = crate::weights::pallet_concord_batches::WeightInfo<Runtime>;
}

impl pallet_concord_proofs::Config for Runtime {
	type GovernanceOrigin = frame_system::EnsureRoot<AccountId>;
	type Currency = Balances;
	/// Minted per proven batch: well above the fee of a `submit_proof`.
	type ProverReward = ConstU128<{ UNIT }>;
	type PublicSetupKey = DevelopmentVerifyingKey;
	type Network = pallet_concord_ledger::NetworkOf<Runtime>;
	type WeightInfo = crate::weights::pallet_concord_proofs::WeightInfo<Runtime>;
}

/// The development verifying key, whose setup seed is public: governance cannot set it (a
/// development chain's genesis holds it).
pub struct DevelopmentVerifyingKey;

impl frame_support::traits::Get<alloc::vec::Vec<u8>> for DevelopmentVerifyingKey {
	fn get() -> alloc::vec::Vec<u8> {
		crate::genesis_config_presets::DEV_VERIFYING_KEY.to_vec()
	}
}

impl pallet_concord_oracle::Config for Runtime {
	type OracleGovernance = frame_system::EnsureRoot<AccountId>;
	type MaxMembers = ConstU32<16>;
	type MaxOpenRequests = ConstU64<MAX_OPEN_PRIORITY_REQUESTS>;
	type WeightInfo = crate::weights::pallet_concord_oracle::WeightInfo<Runtime>;
}
