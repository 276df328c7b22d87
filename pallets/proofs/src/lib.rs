//! # Proofs pallet
//!
//! The appchain's proof registry. It holds the batch circuit's Groth16 verifying key and
//! verifies a proof of every sealed batch **in the runtime**, in batch order, against the
//! commitment it computes itself from stored data:
//!
//! ```text
//! commitment(n) = sha256(n ‖ network ‖ root(n−1) ‖ new_root ‖ sha256(pubdata(n))) mod 2^253
//! ```
//!
//! with `root(0)` the empty state's root, `network` this network's id (the ledger's) and
//! `pubdata(n)` what the batches pallet sealed. A
//! valid proof fixes the batch's new state root, which the runtime never computes (it keeps
//! no Merkle tree), and the batch's sync hash, the value every L1 must report before the oracle
//! lets any L1 execute the batch. The prover who submits the first valid proof of a batch is
//! rewarded with `ProverReward`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(any(test, feature = "runtime-benchmarks"))]
pub mod testing;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

/// The largest verifying key the registry takes, in arkworks' uncompressed encoding: a key for
/// up to 8 public inputs (the batch circuit has one).
pub const MAX_KEY_BYTES: u32 = 64 + 3 * 128 + 8 + 9 * 64;
/// A proof in arkworks' compressed encoding: two G1 points and one G2 point.
pub const PROOF_BYTES: u32 = 32 + 64 + 32;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
	use concord_host::ProofCheck;
	use concord_primitives::{
		account::EMPTY_ACCOUNT_TREE_ROOT,
		commitment::{
			batch_commitment_of_hash, fr_from_be_bytes, fr_to_be_bytes, prover_input, sync_hash,
			GENESIS_SYNC_HASH,
		},
		groth16::VerifyingKey,
		Fr,
	};
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, Mutate},
	};
	use frame_system::pallet_prelude::*;

	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// What the registry keeps of a proven batch.
	#[derive(
		Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub struct ProvenBatch<AccountId, BlockNumber> {
		/// The state root after the batch, big-endian (the L1 contracts' `bytes32`).
		pub new_root: [u8; 32],
		/// The proof's public input, big-endian.
		pub commitment: [u8; 32],
		/// The sync hash every L1 must report for this batch.
		pub sync_hash: [u8; 32],
		/// Who proved it (and was rewarded).
		pub prover: AccountId,
		pub proven_at: BlockNumber,
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config + pallet_concord_batches::Config {
		/// Replaces the verifying key (root on the dev chain).
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The native currency provers are rewarded in.
		type Currency: Mutate<Self::AccountId>;
		/// Minted to the prover of each batch.
		#[pallet::constant]
		type ProverReward: Get<BalanceOf<Self>>;
		/// A verifying key whose setup secret is public (the development key, compressed):
		/// `set_key` refuses it, since anyone could prove any batch against it. A development
		/// chain's genesis may still register it.
		type PublicSetupKey: Get<alloc::vec::Vec<u8>>;
		/// This network's id: the batch commitment binds it (the ledger's `NetworkOf`).
		type Network: Get<concord_primitives::ops::NetworkId>;
		type WeightInfo: WeightInfo;
	}

	/// The batch circuit's verifying key, validated and stored uncompressed so that verifying
	/// a proof does not decompress its points again.
	#[pallet::storage]
	pub type Key<T> = StorageValue<_, BoundedVec<u8, ConstU32<MAX_KEY_BYTES>>>;

	/// The number of the last batch proven here (0 before the first).
	#[pallet::storage]
	pub type LastProven<T> = StorageValue<_, u64, ValueQuery>;

	/// Proven batches.
	#[pallet::storage]
	pub type Proven<T: Config> =
		StorageMap<_, Twox64Concat, u64, ProvenBatch<T::AccountId, BlockNumberFor<T>>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A new verifying key is in force; `key_hash` is the blake2-256 of its compressed
		/// bytes (the key file's hash).
		KeySet { key_hash: [u8; 32] },
		/// Batch `batch` was proven: relayers may prove it on every L1, which must then report
		/// `sync_hash`.
		BatchProven {
			batch: u64,
			new_root: [u8; 32],
			commitment: [u8; 32],
			sync_hash: [u8; 32],
			prover: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The key is not a valid BN254 Groth16 verifying key for two public inputs (the
		/// commitment and the prover).
		InvalidKey,
		/// No verifying key is registered yet.
		NoKey,
		/// The batch was proven already.
		AlreadyProven,
		/// The batch is not the next one to prove: batches are proven in order.
		NotNextBatch,
		/// The batch has not been sealed.
		NotSealed,
		/// The new root is not a canonical BN254 scalar (it must be below the field order).
		RootNotInField,
		/// The proof bytes are not a compressed Groth16 proof with valid curve points.
		MalformedProof,
		/// The proof does not prove this batch with this new root.
		InvalidProof,
		/// The key is the one whose setup secret is public ([`Config::PublicSetupKey`]).
		PublicSetupKey,
	}

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The verifying key's compressed canonical bytes (the dev setup's `verifying.key`); none
		/// if empty.
		pub key: alloc::vec::Vec<u8>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if !self.key.is_empty() {
				Pallet::<T>::do_set_key(&self.key).expect("the genesis verifying key is valid");
			}
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Replaces the verifying key with `key`, arkworks' compressed canonical bytes of a
		/// Groth16 BN254 key for the batch circuit's two public inputs, the commitment and the
		/// prover (the `verifying.key` file of a setup), unless
		/// it is the key whose setup secret is public.
		#[pallet::call_index(0)]
		#[pallet::weight((<T as Config>::WeightInfo::set_key(), DispatchClass::Operational))]
		pub fn set_key(origin: OriginFor<T>, key: alloc::vec::Vec<u8>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let stored = Self::stored_form(&key).ok_or(Error::<T>::InvalidKey)?;
			// Compared in the stored form, which no other encoding of the key can dodge.
			ensure!(
				Some(&stored) != Self::stored_form(&T::PublicSetupKey::get()).as_ref(),
				Error::<T>::PublicSetupKey
			);
			Self::put_key(stored, &key);
			Ok(())
		}

		/// Proves batch `batch`: `proof` (compressed canonical bytes) must prove the commitment
		/// of `batch` from the last proven root to `new_root` (big-endian). The first valid proof
		/// of each batch, in order, is accepted and its sender rewarded.
		#[pallet::call_index(1)]
		#[pallet::weight((<T as Config>::WeightInfo::submit_proof(), DispatchClass::Operational))]
		pub fn submit_proof(
			origin: OriginFor<T>,
			batch: u64,
			new_root: [u8; 32],
			proof: BoundedVec<u8, ConstU32<PROOF_BYTES>>,
		) -> DispatchResult {
			let prover = ensure_signed(origin)?;
			let last = LastProven::<T>::get();
			ensure!(batch > last, Error::<T>::AlreadyProven);
			ensure!(batch == last + 1, Error::<T>::NotNextBatch);
			let header =
				pallet_concord_batches::Headers::<T>::get(batch).ok_or(Error::<T>::NotSealed)?;
			let key = Key::<T>::get().ok_or(Error::<T>::NoKey)?;
			let new_root_fr = fr_from_be_bytes(&new_root).ok_or(Error::<T>::RootNotInField)?;
			let (old_root, previous_sync_hash) = Self::state_after(last);
			let commitment = batch_commitment_of_hash(
				batch,
				T::Network::get(),
				old_root,
				new_root_fr,
				&header.pubdata_hash,
			);
			// The proof is bound to its prover: one copied from the pool verifies for nobody
			// else. The pairing check runs natively, as a host function of the node.
			let prover_input = prover_input(&prover.encode());
			match concord_host::verify_groth16(&key, &proof, &[commitment, prover_input]) {
				ProofCheck::Valid => {}
				ProofCheck::MalformedProof => return Err(Error::<T>::MalformedProof.into()),
				// A stored key was checked when it was registered.
				ProofCheck::Rejected | ProofCheck::MalformedKey => {
					return Err(Error::<T>::InvalidProof.into())
				}
			}

			let proven = ProvenBatch {
				new_root,
				commitment: fr_to_be_bytes(&commitment),
				sync_hash: sync_hash(previous_sync_hash, batch, commitment),
				prover: prover.clone(),
				proven_at: frame_system::Pallet::<T>::block_number(),
			};
			Proven::<T>::insert(batch, &proven);
			LastProven::<T>::put(batch);
			// A reward that cannot be minted (e.g. below the existential deposit) is not a
			// reason to refuse a valid proof.
			let _ = T::Currency::mint_into(&prover, T::ProverReward::get());
			Self::deposit_event(Event::BatchProven {
				batch,
				new_root,
				commitment: proven.commitment,
				sync_hash: proven.sync_hash,
				prover,
			});
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		pub(crate) fn do_set_key(compressed: &[u8]) -> DispatchResult {
			Self::put_key(
				Self::stored_form(compressed).ok_or(Error::<T>::InvalidKey)?,
				compressed,
			);
			Ok(())
		}

		/// Registers the key whose stored form is `stored` and compressed bytes `compressed`.
		fn put_key(stored: BoundedVec<u8, ConstU32<MAX_KEY_BYTES>>, compressed: &[u8]) {
			Key::<T>::put(stored);
			Self::deposit_event(Event::KeySet {
				key_hash: sp_io::hashing::blake2_256(compressed),
			});
		}

		/// What [`Key`] holds for the verifying key of compressed canonical bytes `compressed`;
		/// `None` unless they are a valid key for the batch circuit's two public inputs (the
		/// commitment and the prover) of at most `MAX_KEY_BYTES`.
		pub fn stored_form(compressed: &[u8]) -> Option<BoundedVec<u8, ConstU32<MAX_KEY_BYTES>>> {
			let key = VerifyingKey::deserialize_compressed(compressed).ok()?;
			if key.input_count() != 2 {
				return None;
			}
			let mut stored = alloc::vec::Vec::new();
			key.serialize_uncompressed(&mut stored).ok()?;
			BoundedVec::try_from(stored).ok()
		}

		/// The registered verifying key (its points were checked when it was registered).
		pub fn key() -> Option<VerifyingKey> {
			Key::<T>::get()
				.and_then(|bytes| VerifyingKey::deserialize_uncompressed_unchecked(&bytes[..]).ok())
		}

		/// The state root and sync hash after batch `batch` (the empty state's root and the
		/// genesis sync hash for batch 0), if it is proven.
		pub fn state_after(batch: u64) -> (Fr, [u8; 32]) {
			match Proven::<T>::get(batch) {
				Some(proven) => (
					fr_from_be_bytes(&proven.new_root).expect("stored roots are canonical"),
					proven.sync_hash,
				),
				None => (EMPTY_ACCOUNT_TREE_ROOT, GENESIS_SYNC_HASH),
			}
		}

		/// The sync hash every L1 must report for `batch`, once it is proven here.
		pub fn expected_sync_hash(batch: u64) -> Option<[u8; 32]> {
			Proven::<T>::get(batch).map(|proven| proven.sync_hash)
		}
	}
}
