//! The Concord appchain runtime.
//!
//! Consensus is Aura (block production) with GRANDPA (finality). Balances and transaction
//! payment handle the native token that pays for ordinary extrinsics; sudo is the
//! development-time governance. The Concord pallets (ledger, batches, proofs, oracle) are
//! wired in here as they land.

#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

pub mod apis;
pub mod concord_api;
mod concord_queries;
pub mod configs;
pub mod genesis_config_presets;
mod weights;

use alloc::vec::Vec;
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_support::{construct_runtime, parameter_types};
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Opaque types used by the node: it only needs to know blocks and headers, not extrinsics.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;

	impl_opaque_keys! {
		/// The session keys of a validator: Aura for authoring, GRANDPA for finality.
		pub struct SessionKeys {
			pub aura: super::Aura,
			pub grandpa: super::Grandpa,
		}
	}
}

/// The runtime's version. `spec_version` must be bumped whenever the runtime logic changes.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("concord"),
	impl_name: alloc::borrow::Cow::Borrowed("concord"),
	authoring_version: 1,
	spec_version: 117,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// Target block time. Aura's slot duration equals it.
pub const MILLI_SECS_PER_BLOCK: u64 = 3000;
/// Aura slot duration (one block per slot).
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Block counts for common durations, used by pallets configured in blocks.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

/// Smallest unit of the native token: 1 CORD = 10^12 units.
pub const UNIT: Balance = 1_000_000_000_000;
pub const MILLI_UNIT: Balance = UNIT / 1_000;
pub const MICRO_UNIT: Balance = UNIT / 1_000_000;
/// Smallest balance an account may hold without being reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// A block number.
pub type BlockNumber = u32;
/// The signature scheme of appchain (not L2) accounts.
pub type Signature = MultiSignature;
/// An appchain account: the public key of `Signature`'s scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// A balance of the native token.
pub type Balance = u128;
/// Index of a transaction in an account's history.
pub type Nonce = u32;
/// Block and state hashes.
pub type Hash = sp_core::H256;
/// Address format of extrinsics.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// Signed block (block plus justification).
pub type SignedBlock = generic::SignedBlock<Block>;
/// Block identifier.
pub type BlockId = generic::BlockId<Block>;

/// Transaction extensions, checked in order. `AuthorizeCall` comes first so that calls
/// authorized by their own content (L2 operations carrying an L2 signature) are accepted
/// without an appchain signer.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	pallet_concord_oracle::CheckOracleCall<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// The transaction extension of an immortal transaction with `nonce` and no tip: what the
/// relayers sign, and what a general transaction (an L2 op, no appchain signer) carries with
/// nonce 0.
pub fn immortal_tx_extension(nonce: Nonce) -> TxExtension {
	(
		frame_system::AuthorizeCall::new(),
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(generic::Era::Immortal),
		frame_system::CheckNonce::from(nonce),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(0),
		pallet_concord_oracle::CheckOracleCall::new(),
		frame_system::WeightReclaim::new(),
	)
}

/// Extrinsic format.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload signed by an appchain account.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations run on runtime upgrade (none yet).
type Migrations = ();

/// Dispatches extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(7)]
	pub type Ledger = pallet_concord_ledger;

	#[runtime::pallet_index(8)]
	pub type Batches = pallet_concord_batches;

	#[runtime::pallet_index(9)]
	pub type Proofs = pallet_concord_proofs;

	#[runtime::pallet_index(10)]
	pub type Oracle = pallet_concord_oracle;
}

/// Pallets whose weights are benchmarked by `concord-node benchmark pallet`.
#[cfg(feature = "runtime-benchmarks")]
mod benches {
	frame_benchmarking::define_benchmarks!(
		[frame_benchmarking, BaselineBench::<Runtime>]
		[frame_system, SystemBench::<Runtime>]
		[pallet_balances, Balances]
		[pallet_timestamp, Timestamp]
		[pallet_sudo, Sudo]
		[pallet_concord_ledger, Ledger]
		[pallet_concord_batches, Batches]
		[pallet_concord_proofs, Proofs]
		[pallet_concord_oracle, Oracle]
	);
}

#[cfg(feature = "runtime-benchmarks")]
pub use frame_benchmarking::baseline::Pallet as BaselineBench;
#[cfg(feature = "runtime-benchmarks")]
pub use frame_system_benchmarking::Pallet as SystemBench;

#[cfg(test)]
mod tests;
