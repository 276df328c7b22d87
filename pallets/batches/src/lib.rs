//! # Batches pallet
//!
//! Seals the ops the ledger applies into batches for the batch circuit: a batch holds ops of
//! at most `SlotsPerBatch` pubdata chunks in all (the circuit's slots, one chunk each; a
//! Transfer takes one, a ChangePubKey four), and is sealed as soon as it is full, before an op
//! that does not fit (the ledger asks [`pallet_concord_ledger::BatchSink::has_room`]), or
//! `SealInterval` blocks after its first op, padded with Noops. All ops of a batch pay their
//! fees to one fee account (the circuit takes one per batch), so a change of the ledger's fee
//! account seals the open batch first.
//!
//! A sealed batch is stored as its header (fee account, op count, SHA-256 of the pubdata,
//! sealing block) and its pubdata, exactly the bytes the L1 contracts receive at commit and
//! the prover proves (`concord_primitives::ops::batch_pubdata_from_chunks`). Batches are numbered
//! from 1.
//!
//! After sealing, a batch is proven on the appchain (the proofs pallet), then committed, proven
//! and executed on each L1. The L1 stages are recorded here per chain ([`L1Progress`]) when the
//! oracle pallet confirms them from a quorum of attestations, with an event for relayers.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use concord_primitives::{
		account::AccountId as L2AccountId,
		ops::{batch_pubdata_from_chunks, batch_pubdata_len, AppliedOp, ChainId, Chunk, OpType},
		stf::BatchContext,
	};
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::Saturating;

	/// The batch being filled.
	#[derive(
		Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	#[scale_info(skip_type_params(T))]
	pub struct OpenBatch<T: Config> {
		pub fee_account: L2AccountId,
		/// The block of its first op, from which `SealInterval` counts.
		pub opened_at: BlockNumberFor<T>,
		/// The ops applied so far.
		pub op_count: u32,
		/// Their pubdata, one chunk per slot they take.
		pub chunks: BoundedVec<Chunk, T::SlotsPerBatch>,
	}

	/// A sealed batch.
	#[derive(
		Clone,
		Copy,
		PartialEq,
		Eq,
		Debug,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		MaxEncodedLen,
	)]
	pub struct BatchHeader<BlockNumber> {
		pub fee_account: L2AccountId,
		/// The ops before the Noop padding.
		pub op_count: u32,
		/// `sha256(pubdata)`, as in the batch commitment.
		pub pubdata_hash: [u8; 32],
		pub sealed_at: BlockNumber,
	}

	/// A stage of a batch on an L1 contract.
	#[derive(
		Clone,
		Copy,
		PartialEq,
		Eq,
		Debug,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		MaxEncodedLen,
	)]
	pub enum L1Stage {
		/// `commitBatches` stored the batch's pubdata hash.
		Committed,
		/// `proveBatches` verified its proof and recorded its sync hash.
		Proven,
		/// `executeBatches` credited its withdrawals.
		Executed,
	}

	/// The last batch each stage reached on one L1 (each stage implies the earlier batches).
	#[derive(
		Clone,
		Copy,
		Default,
		PartialEq,
		Eq,
		Debug,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		MaxEncodedLen,
	)]
	pub struct ChainProgress {
		pub committed: u64,
		pub proven: u64,
		pub executed: u64,
	}

	impl ChainProgress {
		/// The last batch `stage` reached.
		pub fn last(&self, stage: L1Stage) -> u64 {
			match stage {
				L1Stage::Committed => self.committed,
				L1Stage::Proven => self.proven,
				L1Stage::Executed => self.executed,
			}
		}

		fn last_mut(&mut self, stage: L1Stage) -> &mut u64 {
			match stage {
				L1Stage::Committed => &mut self.committed,
				L1Stage::Proven => &mut self.proven,
				L1Stage::Executed => &mut self.executed,
			}
		}
	}

	/// The bound of a stored pubdata: the header and `SlotsPerBatch` slots.
	pub struct MaxPubdata<T>(PhantomData<T>);

	impl<T: Config> Get<u32> for MaxPubdata<T> {
		fn get() -> u32 {
			batch_pubdata_len(T::SlotsPerBatch::get() as usize) as u32
		}
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The batch circuit's number of slots, one pubdata chunk each: the proving key's size.
		#[pallet::constant]
		type SlotsPerBatch: Get<u32>;
		/// How many blocks a batch with at least one op stays open before it is sealed with
		/// Noop padding.
		#[pallet::constant]
		type SealInterval: Get<BlockNumberFor<Self>>;
		/// Credits a batch's fees to its fee account as it is sealed: the ledger.
		type Fees: pallet_concord_ledger::SettleFees;
		type WeightInfo: crate::WeightInfo;
	}

	/// The batch being filled, if any op is waiting.
	#[pallet::storage]
	pub type Open<T: Config> = StorageValue<_, OpenBatch<T>>;

	/// The number of the last sealed batch (0 before the first).
	#[pallet::storage]
	pub type LastSealed<T> = StorageValue<_, u64, ValueQuery>;

	/// Sealed batches' headers.
	#[pallet::storage]
	pub type Headers<T: Config> = StorageMap<_, Twox64Concat, u64, BatchHeader<BlockNumberFor<T>>>;

	/// Sealed batches' pubdata, for committers and provers.
	#[pallet::storage]
	pub type Pubdata<T: Config> = StorageMap<_, Twox64Concat, u64, BoundedVec<u8, MaxPubdata<T>>>;

	/// How far each L1 has got, as the oracle confirmed it.
	#[pallet::storage]
	pub type L1Progress<T> = StorageMap<_, Twox64Concat, ChainId, ChainProgress, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Batch `number` was sealed: its pubdata is stored and ready to commit and prove.
		BatchSealed {
			number: u64,
			op_count: u32,
			fee_account: L2AccountId,
			pubdata_hash: [u8; 32],
		},
		/// The oracle confirmed that `chain` reached `stage` for every batch up to `batch`.
		L1StageReached {
			chain: ChainId,
			stage: L1Stage,
			batch: u64,
		},
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// A batch must hold the largest op, or the ledger could never seal one.
		fn integrity_test() {
			assert!(
				T::SlotsPerBatch::get() as usize >= OpType::MAX_CHUNKS,
				"SlotsPerBatch {} is below the {} chunks of the largest op",
				T::SlotsPerBatch::get(),
				OpType::MAX_CHUNKS
			);
		}

		/// Seals the open batch once `SealInterval` blocks have passed since its first op.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			match Open::<T>::get() {
				Some(open)
					if now.saturating_sub(open.opened_at) >= <T as Config>::SealInterval::get() =>
				{
					Self::seal(open);
					<T::WeightInfo as crate::WeightInfo>::seal_on_initialize()
				}
				_ => <T::WeightInfo as crate::WeightInfo>::idle_on_initialize(),
			}
		}
	}

	impl<T: Config> Pallet<T> {
		/// Records that `chain` reached `stage` up to `batch`, as the oracle confirmed; an older
		/// batch than already recorded changes nothing.
		pub fn note_l1_stage(chain: ChainId, stage: L1Stage, batch: u64) {
			let advanced = L1Progress::<T>::mutate(chain, |progress| {
				let last = progress.last_mut(stage);
				let advanced = batch > *last;
				if advanced {
					*last = batch;
				}
				advanced
			});
			if advanced {
				Self::deposit_event(Event::L1StageReached {
					chain,
					stage,
					batch,
				});
			}
		}

		/// Seals `open` as the next batch, has its fees credited and clears the open batch.
		fn seal(open: OpenBatch<T>) {
			<T::Fees as pallet_concord_ledger::SettleFees>::settle_fees();
			let number = LastSealed::<T>::get() + 1;
			let pubdata = batch_pubdata_from_chunks(
				open.fee_account,
				&open.chunks,
				T::SlotsPerBatch::get() as usize,
			)
			.expect("an open batch holds at most SlotsPerBatch chunks");
			let header = BatchHeader {
				fee_account: open.fee_account,
				op_count: open.op_count,
				pubdata_hash: sp_io::hashing::sha2_256(&pubdata),
				sealed_at: frame_system::Pallet::<T>::block_number(),
			};
			Headers::<T>::insert(number, header);
			Pubdata::<T>::insert(
				number,
				BoundedVec::try_from(pubdata).expect("batch_pubdata_len(SlotsPerBatch) bytes"),
			);
			LastSealed::<T>::put(number);
			Open::<T>::kill();
			Self::deposit_event(Event::BatchSealed {
				number,
				op_count: header.op_count,
				fee_account: header.fee_account,
				pubdata_hash: header.pubdata_hash,
			});
		}
	}

	impl<T: Config> pallet_concord_ledger::BatchSink for Pallet<T> {
		fn on_applied(op: &AppliedOp, ctx: &BatchContext) {
			let mut open = match Open::<T>::get() {
				Some(open) if open.fee_account == ctx.fee_account => open,
				other => {
					// The circuit takes one fee account per batch (the ledger seals the open
					// batch before an op for another one).
					if let Some(open) = other {
						Self::seal(open);
					}
					OpenBatch {
						fee_account: ctx.fee_account,
						opened_at: frame_system::Pallet::<T>::block_number(),
						op_count: 0,
						chunks: BoundedVec::new(),
					}
				}
			};
			for chunk in op.chunks() {
				open.chunks
					.try_push(chunk)
					.expect("the ledger seals a batch before an op it has no room for");
			}
			open.op_count += 1;
			if open.chunks.len() as u32 >= T::SlotsPerBatch::get() {
				Self::seal(open);
			} else {
				Open::<T>::put(open);
			}
		}

		fn has_room(chunks: usize) -> bool {
			let used = Open::<T>::get().map_or(0, |open| open.chunks.len());
			used + chunks <= T::SlotsPerBatch::get() as usize
		}

		fn seal_open_batch() {
			if let Some(open) = Open::<T>::get() {
				Self::seal(open);
			}
		}
	}
}
