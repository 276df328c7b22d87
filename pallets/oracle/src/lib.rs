//! # Oracle pallet
//!
//! The decentralized oracle that connects the appchain with every L1. Its members (one per
//! validator, each with the secp256k1 address its relayer signs with on the L1s) attest what
//! they see on the L1s:
//!
//! - a priority request (deposit or full exit) on a chain, which enters the ledger once a
//!   quorum attested the same op, strictly in the chain's priority-id order;
//! - a batch committed, proven or executed on a chain, which is checked against what the
//!   appchain expects (the sealed pubdata hash, the proven sync hash, the proven root) and
//!   recorded in the batches pallet's per-chain progress.
//!
//! Members also sign, for every registered chain, the commit authorization of each batch the
//! appchain sealed (over the sealed pubdata's hash): an L1 contract commits a batch only with a
//! quorum of these, so no single member can commit other pubdata.
//!
//! The quorum is `⌈2n/3⌉` identical values out of `n` members. When every registered chain has
//! proven batch `b` with the sync hash the proofs pallet computed, `b` is **synced**: members
//! then sign the execute authorization of each chain's contract, the signatures are checked by
//! ECDSA recovery against the members' addresses and stored for the relayers that call
//! `executeBatches`.
//!
//! A member who attests another value than the confirmed (or expected) one raises an alarm
//! event. When two different values for the same item each gather the conflict weight
//! `n − ⌈2n/3⌉ + 1` (so honest members disagree), or a quorum confirms a batch value that is not
//! the appchain's, the item is disputed: nothing follows from it (no deposit credited, no sync,
//! no execute signature) until governance clears it.
//!
//! Attestations and execute signatures are free for members: one per member per item, and
//! priority items only within [`Config::MaxOpenRequests`] of the next priority id to apply, so
//! the free work is bounded. The [`CheckOracleCall`] transaction extension runs the same checks
//! as the calls before a transaction enters the pool or a block: a non-member's, a repeated or a
//! premature attestation never takes block space. Only current members' votes count: replacing
//! the members voids the votes of those removed.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod lifecycle;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

mod admission;
pub use admission::CheckOracleCall;
pub use weights::WeightInfo;

/// How many confirmed priority ops one attestation applies at most, in order; more wait for the
/// next confirmation on that chain.
pub const MAX_PRIORITY_DRAIN: u32 = 8;

/// How many batches one call syncs at most (when a proof confirmed on the last chain, or a
/// chain's removal, lets several sync at once); the next confirmation syncs more.
pub const MAX_SYNC_PER_CALL: u32 = 16;

/// `⌈2n/3⌉`: how many identical attestations of `n` members confirm a value.
pub fn quorum(members: u32) -> u32 {
	(2 * members).div_ceil(3)
}

/// How many attestations of a value make a conflict with another value real: with fewer
/// members than this behind one of two values, the honest members can still reach a quorum.
pub fn conflict_weight(members: u32) -> u32 {
	members - quorum(members) + 1
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use concord_primitives::{
		commitment::{commit_digest, execute_digest, GovernanceCall},
		ops::{recover_eth_signer, ChainId, Op},
	};
	use frame_support::{dispatch::PostDispatchInfo, pallet_prelude::*};
	use frame_system::pallet_prelude::*;
	use pallet_concord_batches::L1Stage;
	use pallet_concord_ledger::ChainInfo;

	/// An oracle member.
	#[derive(
		Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub struct Member<AccountId> {
		/// The appchain account that submits its attestations.
		pub account: AccountId,
		/// The Ethereum address of its L1 signing key (the L1 contracts' oracle set).
		pub l1_address: [u8; 20],
	}

	/// What an attestation is about: members' values for the same subject are compared.
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
	pub enum Subject {
		/// The priority request `priority_id` of `chain`'s contract.
		Priority { chain: ChainId, priority_id: u64 },
		/// Batch `batch` reaching `stage` on `chain`.
		Batch {
			chain: ChainId,
			batch: u64,
			stage: L1Stage,
		},
	}

	/// What a member saw on an L1.
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
	pub enum Attestation {
		/// A `DepositRequested` or `FullExitRequested` event: the op it asks for.
		Priority(Op),
		/// A `BatchCommitted` event with the committed pubdata's hash.
		Committed {
			chain: ChainId,
			batch: u64,
			pubdata_hash: [u8; 32],
		},
		/// A `BatchProven` event with the sync hash the contract computed.
		Proven {
			chain: ChainId,
			batch: u64,
			sync_hash: [u8; 32],
		},
		/// A `BatchExecuted` event with the executed root.
		Executed {
			chain: ChainId,
			batch: u64,
			new_root: [u8; 32],
		},
	}

	impl Attestation {
		/// The subject, or `None` for a priority attestation of an op that is not a priority op.
		pub fn subject(&self) -> Option<Subject> {
			Some(match *self {
				Attestation::Priority(Op::Deposit(deposit)) => Subject::Priority {
					chain: deposit.chain_id,
					priority_id: deposit.priority_id,
				},
				Attestation::Priority(Op::FullExit(exit)) => Subject::Priority {
					chain: exit.chain_id,
					priority_id: exit.priority_id,
				},
				Attestation::Priority(_) => return None,
				Attestation::Committed { chain, batch, .. } => Subject::Batch {
					chain,
					batch,
					stage: L1Stage::Committed,
				},
				Attestation::Proven { chain, batch, .. } => Subject::Batch {
					chain,
					batch,
					stage: L1Stage::Proven,
				},
				Attestation::Executed { chain, batch, .. } => Subject::Batch {
					chain,
					batch,
					stage: L1Stage::Executed,
				},
			})
		}

		/// The hash members' values are compared by.
		pub fn value_hash(&self) -> [u8; 32] {
			sp_io::hashing::blake2_256(&self.encode())
		}
	}

	/// Why the oracle raised an alarm.
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
	pub enum AlarmReason {
		/// A member attested a value other than the confirmed one, or than the one the appchain
		/// expects for a batch. Nothing stops: the member may be faulty or behind a reorg.
		MemberDisagrees,
		/// Two values each gathered the conflict weight: honest members disagree. The subject
		/// is disputed.
		ConflictingValues,
		/// A quorum confirmed a batch value the appchain does not expect (another pubdata, sync
		/// hash or root on that L1). The subject is disputed.
		UnexpectedValue,
	}

	/// A member's commit or execute signatures of one batch, one per registered chain.
	pub type ChainSignatures<T> =
		BoundedVec<(ChainId, [u8; 65]), <T as pallet_concord_ledger::Config>::MaxChains>;

	/// The most oracles a rollup contract takes (its `MAX_ORACLES`).
	pub type MaxL1Oracles = ConstU32<256>;

	/// A governance call of one chain's rollup contract ([`GovernanceCall`]) that the
	/// appchain's governance asks the members to authorize with their L1 keys.
	#[derive(
		Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub enum L1Action {
		/// `updateOracles(oracles, threshold)`: the contract's oracle set follows the members.
		UpdateOracles {
			oracles: BoundedVec<[u8; 20], MaxL1Oracles>,
			threshold: u64,
		},
		/// `revertBatches(new_total_committed)`: drops committed, unexecuted batches.
		RevertBatches { new_total_committed: u64 },
		/// `registerToken(token_id, token)`: maps an L2 token id to the chain's token.
		RegisterToken { token_id: u16, token: [u8; 20] },
		/// `updateChains(chain_ids)`: the Concord chain ids whose ops the contract accepts.
		UpdateChains {
			chain_ids: BoundedVec<u8, ConstU32<256>>,
		},
		/// `withdrawFees(to, amount)`: pays out collected request fees.
		WithdrawFees { to: [u8; 20], amount: u128 },
		/// `retire(served_up_to)`, for a removed chain only: the contract stops, and the
		/// requests the L2 applied (ids below `served_up_to`, the ledger's next priority id for
		/// the chain) count as served, so its exodus never refunds them.
		Retire { served_up_to: u64 },
	}

	impl L1Action {
		/// The digest members sign for the contract registered as `info` at its governance
		/// nonce `nonce`.
		pub fn digest(&self, info: &ChainInfo, nonce: u64) -> [u8; 32] {
			let mut amount_word = [0u8; 32];
			let call = match self {
				L1Action::UpdateOracles { oracles, threshold } => GovernanceCall::UpdateOracles {
					oracles,
					threshold: *threshold,
				},
				L1Action::RevertBatches {
					new_total_committed,
				} => GovernanceCall::RevertBatches {
					new_total_committed: *new_total_committed,
				},
				L1Action::RegisterToken { token_id, token } => GovernanceCall::RegisterToken {
					token_id: *token_id,
					token: *token,
				},
				L1Action::UpdateChains { chain_ids } => GovernanceCall::UpdateChains { chain_ids },
				L1Action::WithdrawFees { to, amount } => {
					amount_word[16..].copy_from_slice(&amount.to_be_bytes());
					GovernanceCall::WithdrawFees {
						to: *to,
						amount: amount_word,
					}
				}
				L1Action::Retire { served_up_to } => GovernanceCall::Retire {
					served_up_to: *served_up_to,
				},
			};
			call.digest(info.evm_chain_id, &info.contract, nonce)
		}
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config + pallet_concord_ledger::Config + pallet_concord_proofs::Config
	{
		/// Sets the members and clears disputes (root on the dev chain).
		type OracleGovernance: EnsureOrigin<Self::RuntimeOrigin>;
		/// The most members the oracle has.
		#[pallet::constant]
		type MaxMembers: Get<u32>;
		/// How many priority requests a chain's contract keeps open at most (its
		/// `MAX_OPEN_REQUESTS`): a priority id this far past the chain's next one to apply
		/// cannot have been requested yet, so it cannot be attested.
		#[pallet::constant]
		type MaxOpenRequests: Get<u64>;
		type WeightInfo: WeightInfo;
	}

	/// The members, in the order governance gave them.
	#[pallet::storage]
	pub type Members<T: Config> =
		StorageValue<_, BoundedVec<Member<T::AccountId>, T::MaxMembers>, ValueQuery>;

	/// Each member's value hash for each subject it attested (one attestation per member per
	/// subject). A vote counts only while its voter is a member.
	#[pallet::storage]
	pub type Votes<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, Subject, Blake2_128Concat, T::AccountId, [u8; 32]>;

	/// The attested values of each subject by value hash.
	#[pallet::storage]
	pub type Values<T> =
		StorageDoubleMap<_, Blake2_128Concat, Subject, Identity, [u8; 32], Attestation>;

	/// The value a quorum confirmed for each subject.
	#[pallet::storage]
	pub type Confirmed<T> = StorageMap<_, Blake2_128Concat, Subject, [u8; 32]>;

	/// Subjects from which nothing follows until governance clears them.
	#[pallet::storage]
	pub type Disputed<T> = StorageMap<_, Blake2_128Concat, Subject, AlarmReason>;

	/// Confirmed priority ops waiting for the earlier priority ids of their chain.
	#[pallet::storage]
	pub type PendingPriority<T> = StorageDoubleMap<_, Twox64Concat, ChainId, Twox64Concat, u64, Op>;

	/// The last batch every registered chain proved with the expected sync hash.
	#[pallet::storage]
	pub type LastSynced<T> = StorageValue<_, u64, ValueQuery>;

	/// The last batch every registered chain has executed; its votes and execute signatures
	/// are pruned (by `on_idle`) up to here, and it takes no more attestations.
	#[pallet::storage]
	pub type LastFinished<T> = StorageValue<_, u64, ValueQuery>;

	/// Members' execute signatures by batch.
	#[pallet::storage]
	pub type ExecuteSignatures<T: Config> =
		StorageDoubleMap<_, Twox64Concat, u64, Blake2_128Concat, T::AccountId, ChainSignatures<T>>;

	/// Members' commit signatures by batch: over each chain's commit digest of the sealed
	/// pubdata's hash.
	#[pallet::storage]
	pub type CommitSignatures<T: Config> =
		StorageDoubleMap<_, Twox64Concat, u64, Blake2_128Concat, T::AccountId, ChainSignatures<T>>;

	/// For each removed chain, the last batch that may carry ops naming it: the batch that was
	/// open when it was removed, or else the last sealed one. A contract may drop the chain from its chain set only once it
	/// committed that batch.
	#[pallet::storage]
	pub type RemovalBatch<T> = StorageMap<_, Twox64Concat, ChainId, u64>;

	/// The L1 governance actions governance proposed, by chain and the contract's governance
	/// nonce they are for.
	#[pallet::storage]
	pub type L1Actions<T> = StorageDoubleMap<_, Twox64Concat, ChainId, Twox64Concat, u64, L1Action>;

	/// Members' signatures of each proposed L1 action's digest.
	#[pallet::storage]
	pub type L1ActionSignatures<T: Config> =
		StorageDoubleMap<_, Twox64Concat, (ChainId, u64), Blake2_128Concat, T::AccountId, [u8; 65]>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The oracle's members were replaced.
		MembersSet { members: u32, quorum: u32 },
		/// A member attested a value.
		Attested {
			member: T::AccountId,
			subject: Subject,
			value_hash: [u8; 32],
		},
		/// A quorum confirmed a value.
		Confirmed {
			subject: Subject,
			attestation: Attestation,
		},
		/// A confirmed priority op entered the ledger.
		PriorityApplied { chain: ChainId, priority_id: u64 },
		/// A confirmed priority op was refused by the ledger (its chain was removed meanwhile:
		/// deposits and full exits of registered chains always apply); it stays pending until
		/// `remove_chain` drops the chain's queue.
		PriorityRefused {
			chain: ChainId,
			priority_id: u64,
			error: DispatchError,
		},
		/// Every registered chain proved `batch` with `sync_hash`: members may sign its
		/// execution.
		BatchSynced { batch: u64, sync_hash: [u8; 32] },
		/// A member signed the commit of sealed batch `batch` on every chain.
		CommitSigned { batch: u64, member: T::AccountId },
		/// A quorum of members signed the commit of `batch`: relayers can commit it.
		CommitAuthorized { batch: u64 },
		/// A member signed the execution of `batch` on every chain.
		ExecuteSigned { batch: u64, member: T::AccountId },
		/// A quorum of members signed the execution of `batch`: relayers can execute it.
		ExecuteAuthorized { batch: u64 },
		/// Something disagrees; see [`AlarmReason`].
		Alarm {
			subject: Subject,
			reason: AlarmReason,
			member: Option<T::AccountId>,
		},
		/// Governance cleared a dispute and its votes: members attest it again.
		DisputeCleared { subject: Subject },
		/// Governance removed `chain` from the system: batches sync and execute without it.
		ChainRemoved { chain: ChainId },
		/// Governance asks the members to authorize `action` on `chain`'s contract at its
		/// governance nonce `nonce` (replacing an earlier proposal for that nonce and its
		/// signatures).
		L1ActionProposed {
			chain: ChainId,
			nonce: u64,
			action: L1Action,
		},
		/// A member signed the L1 action.
		L1ActionSigned {
			chain: ChainId,
			nonce: u64,
			member: T::AccountId,
		},
		/// A quorum of members signed the L1 action: anyone can submit it to the contract.
		L1ActionAuthorized { chain: ChainId, nonce: u64 },
		/// Governance dropped the L1 action and its signatures (done on the L1, or abandoned).
		L1ActionDropped { chain: ChainId, nonce: u64 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The caller is not an oracle member.
		NotMember,
		/// The member set is empty, too large, or lists an account or address twice.
		InvalidMembers,
		/// The member attested this subject already.
		AlreadyAttested,
		/// A priority attestation of an op that is not a Deposit or FullExit.
		NotAPriorityOp,
		/// No L1 is registered with this id.
		UnknownChain,
		/// The priority op was applied already.
		PriorityAlreadyApplied,
		/// The priority id is at least `MaxOpenRequests` past the chain's next one to apply:
		/// no contract holds that many open requests, so it cannot have been requested yet.
		PriorityTooFarAhead,
		/// The batch has not been sealed.
		UnknownBatch,
		/// The batch is not proven on the appchain yet, so its sync hash and root are unknown.
		NotProvenHere,
		/// The batch is not synced yet.
		NotSynced,
		/// The subject is disputed: governance must clear it before members attest it again.
		Disputed,
		/// The member signed this batch's commit (or execution) already.
		AlreadySigned,
		/// The signatures do not cover every registered chain exactly once.
		WrongChains,
		/// A signature is not the member's signature of the chain's commit or execute digest.
		BadSignature,
		/// The subject is not disputed.
		NotDisputed,
		/// Every registered chain executed this batch: there is nothing left to attest or sign.
		BatchFinished,
		/// No L1 action is proposed for this chain and nonce.
		UnknownL1Action,
		/// The L1 action's parameters are ones its contract refuses, or that would stall it: an
		/// oracle set that is empty, lists an address twice or the zero address, a threshold
		/// below two thirds of it or above it; a token id of 256 or more, or a token the ledger
		/// registers on that chain at another address (or not at all); a chain set without a
		/// registered chain, with an id twice, or without a removed chain whose last batch the
		/// contract has not committed yet; a zero fee payout or payee; any action but `Retire`
		/// for a removed chain, or `Retire` for a registered one or with another count of
		/// served requests than the ledger applied.
		InvalidL1Action,
		/// A quorum signed the action proposed for this nonce: its signatures are public and
		/// valid until the contract uses the nonce, so it cannot be replaced.
		AlreadyAuthorized,
		/// The chain is the only one registered: removing it would leave no L1.
		LastChain,
	}

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The members: (appchain account, L1 address).
		pub members: alloc::vec::Vec<(T::AccountId, [u8; 20])>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if !self.members.is_empty() {
				Pallet::<T>::do_set_members(self.members.clone())
					.expect("genesis members are distinct and at most MaxMembers");
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Syncs the batches every registered chain proved that are not synced yet (after a
		/// chain's removal, more than one call syncs), then prunes the votes and signatures of
		/// batches every chain executed, one batch at a time while the block has room.
		fn on_idle(_: BlockNumberFor<T>, remaining: Weight) -> Weight {
			let mut used = T::DbWeight::get().reads(2);
			if !remaining.all_gte(used.saturating_add(Self::sync_weight())) {
				return Weight::zero();
			}
			if LastSynced::<T>::get() < pallet_concord_proofs::LastProven::<T>::get() {
				Self::advance_sync();
				used = used.saturating_add(Self::sync_weight());
			}
			let per_batch = Self::prune_weight();
			while remaining.all_gte(used.saturating_add(per_batch)) {
				if !Self::prune_next_finished() {
					// Nothing (more) to prune: only the progress of every chain was read.
					return used.saturating_add(Self::finished_check_weight());
				}
				used = used.saturating_add(per_batch);
			}
			used
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Replaces the members. Votes the remaining members cast stay counted; those of
		/// removed members no longer count.
		#[pallet::call_index(0)]
		#[pallet::weight((
			<T as Config>::WeightInfo::set_members(T::MaxMembers::get()),
			DispatchClass::Operational
		))]
		pub fn set_members(
			origin: OriginFor<T>,
			members: alloc::vec::Vec<(T::AccountId, [u8; 20])>,
		) -> DispatchResult {
			T::OracleGovernance::ensure_origin(origin)?;
			Self::do_set_members(members)
		}

		/// Attests what the member saw on an L1. Free for members.
		#[pallet::call_index(1)]
		#[pallet::weight((
			<T as Config>::WeightInfo::attest_batch()
				.max(<T as Config>::WeightInfo::attest_priority())
				.saturating_add(
					<T as Config>::WeightInfo::attest_priority()
						.saturating_mul(u64::from(MAX_PRIORITY_DRAIN - 1))
				),
			DispatchClass::Operational
		))]
		pub fn attest(
			origin: OriginFor<T>,
			attestation: Attestation,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let subject = Self::check_attest(&who, &attestation)?;

			let value_hash = attestation.value_hash();
			Votes::<T>::insert(subject, &who, value_hash);
			Values::<T>::insert(subject, value_hash, attestation);
			Self::deposit_event(Event::Attested {
				member: who.clone(),
				subject,
				value_hash,
			});

			let members = Members::<T>::get();
			let support = Self::support(subject, &members);
			let count = support
				.iter()
				.find(|(value, _)| *value == value_hash)
				.map_or(0, |(_, count)| *count);
			let members = members.len() as u32;
			if Self::disagrees(&subject, &attestation, value_hash) {
				Self::alarm(subject, AlarmReason::MemberDisagrees, Some(who));
			}
			if count >= conflict_weight(members)
				&& support.iter().any(|(other, other_count)| {
					*other != value_hash && *other_count >= conflict_weight(members)
				}) {
				Self::dispute(subject, AlarmReason::ConflictingValues);
			}
			let mut applied = 0;
			if count >= quorum(members)
				&& !Confirmed::<T>::contains_key(subject)
				&& !Disputed::<T>::contains_key(subject)
			{
				Confirmed::<T>::insert(subject, value_hash);
				Self::deposit_event(Event::Confirmed {
					subject,
					attestation,
				});
				for (member, value) in Votes::<T>::iter_prefix(subject) {
					if value != value_hash {
						Self::alarm(subject, AlarmReason::MemberDisagrees, Some(member));
					}
				}
				applied = Self::confirmed(subject, attestation);
			}
			let weight = match subject {
				Subject::Priority { .. } => <T as Config>::WeightInfo::attest_priority()
					.saturating_mul(u64::from(applied.max(1))),
				Subject::Batch { .. } => <T as Config>::WeightInfo::attest_batch(),
			};
			Ok(PostDispatchInfo {
				actual_weight: Some(weight),
				pays_fee: Pays::No,
			})
		}

		/// Stores the member's signatures of the execute authorization of synced batch
		/// `batch`, one per registered chain over that chain's execute digest. Free for members.
		#[pallet::call_index(2)]
		#[pallet::weight((
			<T as Config>::WeightInfo::sign_execute(T::MaxChains::get()),
			DispatchClass::Operational
		))]
		pub fn sign_execute(
			origin: OriginFor<T>,
			batch: u64,
			signatures: ChainSignatures<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let (member, sync_hash) = Self::check_sign_execute(&who, batch)?;
			let chains = Self::check_chain_signatures(member.l1_address, &signatures, |info| {
				execute_digest(info.evm_chain_id, &info.contract, batch, sync_hash)
			})?;
			ExecuteSignatures::<T>::insert(batch, &who, signatures);
			Self::deposit_event(Event::ExecuteSigned { batch, member: who });
			if Self::reaches_quorum(ExecuteSignatures::<T>::iter_key_prefix(batch)) {
				Self::deposit_event(Event::ExecuteAuthorized { batch });
			}
			Ok(PostDispatchInfo {
				actual_weight: Some(<T as Config>::WeightInfo::sign_execute(chains)),
				pays_fee: Pays::No,
			})
		}

		/// Stores the member's signatures of the commit authorization of sealed batch
		/// `batch`, one per registered chain over that chain's commit digest of the batch's
		/// pubdata hash. Free for members.
		#[pallet::call_index(4)]
		#[pallet::weight((
			<T as Config>::WeightInfo::sign_commit(T::MaxChains::get()),
			DispatchClass::Operational
		))]
		pub fn sign_commit(
			origin: OriginFor<T>,
			batch: u64,
			signatures: ChainSignatures<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let (member, pubdata_hash) = Self::check_sign_commit(&who, batch)?;
			let chains = Self::check_chain_signatures(member.l1_address, &signatures, |info| {
				commit_digest(info.evm_chain_id, &info.contract, batch, pubdata_hash)
			})?;
			CommitSignatures::<T>::insert(batch, &who, signatures);
			Self::deposit_event(Event::CommitSigned { batch, member: who });
			if Self::reaches_quorum(CommitSignatures::<T>::iter_key_prefix(batch)) {
				Self::deposit_event(Event::CommitAuthorized { batch });
			}
			Ok(PostDispatchInfo {
				actual_weight: Some(<T as Config>::WeightInfo::sign_commit(chains)),
				pays_fee: Pays::No,
			})
		}

		/// Clears a dispute and every vote on its subject, so that members attest it anew
		/// (after the cause, e.g. an L1 reorganisation, was dealt with).
		#[pallet::call_index(3)]
		#[pallet::weight((
			<T as Config>::WeightInfo::clear_dispute(T::MaxMembers::get()),
			DispatchClass::Operational
		))]
		pub fn clear_dispute(origin: OriginFor<T>, subject: Subject) -> DispatchResult {
			T::OracleGovernance::ensure_origin(origin)?;
			ensure!(
				Disputed::<T>::take(subject).is_some(),
				Error::<T>::NotDisputed
			);
			Self::forget(subject);
			Self::deposit_event(Event::DisputeCleared { subject });
			Ok(())
		}

		/// Removes a dead chain (its L1 halted, its contract stalled) from the system: the
		/// ledger refuses ops naming it from now on, its confirmed priority ops that did not
		/// apply are dropped, and batches sync, are signed and pruned over the other chains
		/// only (the sync advances here by up to [`MAX_SYNC_PER_CALL`] batches, and further in
		/// `on_idle`). Removal is final: the id is never registered again. The last chain is
		/// never removed.
		#[pallet::call_index(5)]
		#[pallet::weight((<T as Config>::WeightInfo::remove_chain(), DispatchClass::Operational))]
		pub fn remove_chain(origin: OriginFor<T>, chain: ChainId) -> DispatchResult {
			T::OracleGovernance::ensure_origin(origin)?;
			ensure!(
				pallet_concord_ledger::Chains::<T>::iter_keys().any(|other| other != chain),
				Error::<T>::LastChain
			);
			pallet_concord_ledger::Pallet::<T>::do_remove_chain(chain)?;
			// Ops naming the chain may wait in the open batch, sealed after this.
			let open = u64::from(pallet_concord_batches::Open::<T>::exists());
			RemovalBatch::<T>::insert(chain, pallet_concord_batches::LastSealed::<T>::get() + open);
			let _ = PendingPriority::<T>::clear_prefix(chain, u32::MAX, None);
			Self::advance_sync();
			Self::deposit_event(Event::ChainRemoved { chain });
			Ok(())
		}

		/// Asks the members to authorize `action` on `chain`'s contract at its governance
		/// nonce `nonce` (the contract's `governanceNonce` when it is submitted). A proposal for
		/// the same chain and nonce is replaced, with its signatures, unless a quorum signed it.
		#[pallet::call_index(6)]
		#[pallet::weight((
			<T as Config>::WeightInfo::propose_l1_action(T::MaxMembers::get()),
			DispatchClass::Operational
		))]
		pub fn propose_l1_action(
			origin: OriginFor<T>,
			chain: ChainId,
			nonce: u64,
			action: L1Action,
		) -> DispatchResult {
			T::OracleGovernance::ensure_origin(origin)?;
			ensure!(Self::contract_of(chain).is_some(), Error::<T>::UnknownChain);
			ensure!(
				Self::contract_accepts(chain, &action),
				Error::<T>::InvalidL1Action
			);
			ensure!(
				!Self::is_quorum(L1ActionSignatures::<T>::iter_key_prefix((chain, nonce))),
				Error::<T>::AlreadyAuthorized
			);
			let _ = L1ActionSignatures::<T>::clear_prefix((chain, nonce), u32::MAX, None);
			L1Actions::<T>::insert(chain, nonce, action.clone());
			Self::deposit_event(Event::L1ActionProposed {
				chain,
				nonce,
				action,
			});
			Ok(())
		}

		/// Stores the member's signature (65 bytes `r ‖ s ‖ v` by its L1 key) of the proposed
		/// L1 action's digest. Paid like any call (members sign governance actions rarely), and
		/// admitted to the pool only when it can succeed ([`CheckOracleCall`]).
		#[pallet::call_index(7)]
		#[pallet::weight((<T as Config>::WeightInfo::sign_l1_action(), DispatchClass::Operational))]
		pub fn sign_l1_action(
			origin: OriginFor<T>,
			chain: ChainId,
			nonce: u64,
			signature: [u8; 65],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (member, action, info) = Self::check_sign_l1_action(&who, chain, nonce)?;
			ensure!(
				recover_eth_signer(&action.digest(&info, nonce), &signature)
					== Some(member.l1_address),
				Error::<T>::BadSignature
			);
			L1ActionSignatures::<T>::insert((chain, nonce), &who, signature);
			Self::deposit_event(Event::L1ActionSigned {
				chain,
				nonce,
				member: who,
			});
			if Self::reaches_quorum(L1ActionSignatures::<T>::iter_key_prefix((chain, nonce))) {
				Self::deposit_event(Event::L1ActionAuthorized { chain, nonce });
			}
			Ok(())
		}

		/// Drops a proposed L1 action and its signatures, once it was carried out on the L1 or
		/// abandoned.
		#[pallet::call_index(8)]
		#[pallet::weight((
			<T as Config>::WeightInfo::drop_l1_action(T::MaxMembers::get()),
			DispatchClass::Operational
		))]
		pub fn drop_l1_action(origin: OriginFor<T>, chain: ChainId, nonce: u64) -> DispatchResult {
			T::OracleGovernance::ensure_origin(origin)?;
			ensure!(
				L1Actions::<T>::take(chain, nonce).is_some(),
				Error::<T>::UnknownL1Action
			);
			let _ = L1ActionSignatures::<T>::clear_prefix((chain, nonce), u32::MAX, None);
			Self::deposit_event(Event::L1ActionDropped { chain, nonce });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		pub(crate) fn do_set_members(
			members: alloc::vec::Vec<(T::AccountId, [u8; 20])>,
		) -> DispatchResult {
			ensure!(!members.is_empty(), Error::<T>::InvalidMembers);
			for (i, (account, address)) in members.iter().enumerate() {
				ensure!(
					members[..i]
						.iter()
						.all(|(a, l)| a != account && l != address),
					Error::<T>::InvalidMembers
				);
			}
			let members: BoundedVec<_, T::MaxMembers> = members
				.into_iter()
				.map(|(account, l1_address)| Member {
					account,
					l1_address,
				})
				.collect::<alloc::vec::Vec<_>>()
				.try_into()
				.map_err(|_| Error::<T>::InvalidMembers)?;
			let count = members.len() as u32;
			Members::<T>::put(members);
			Self::deposit_event(Event::MembersSet {
				members: count,
				quorum: quorum(count),
			});
			Ok(())
		}

		/// Whether `chain`'s contract would take `action`'s parameters (what it checks besides
		/// the signatures and, for a revert, its batch counters) and go on serving the system
		/// after it: its chain set keeps every registered chain, drops a removed one only once it
		/// committed the last batch that may name it, and a token maps to the address the ledger
		/// registers on that chain. A removed chain's contract takes only `Retire`, with the
		/// ledger's count of its requests applied.
		fn contract_accepts(chain: ChainId, action: &L1Action) -> bool {
			let registered = pallet_concord_ledger::Chains::<T>::contains_key(chain);
			fn distinct<I: PartialEq>(items: &[I]) -> bool {
				items
					.iter()
					.enumerate()
					.all(|(i, item)| !items[..i].contains(item))
			}
			match action {
				L1Action::Retire { served_up_to } => {
					!registered
						&& *served_up_to == pallet_concord_ledger::NextPriorityId::<T>::get(chain)
				}
				_ if !registered => false,
				L1Action::UpdateOracles { oracles, threshold } => {
					let count = oracles.len() as u64;
					count != 0
						&& threshold.saturating_mul(3) >= 2 * count
						&& *threshold <= count
						&& !oracles.contains(&[0; 20])
						&& distinct(oracles)
				}
				L1Action::UpdateChains { chain_ids } => {
					let committed = pallet_concord_batches::L1Progress::<T>::get(chain).committed;
					distinct(chain_ids)
						&& pallet_concord_ledger::Chains::<T>::iter_keys()
							.all(|registered| chain_ids.contains(&registered.0))
						&& RemovalBatch::<T>::iter().all(|(removed, last_batch)| {
							chain_ids.contains(&removed.0) || committed >= last_batch
						})
				}
				L1Action::RegisterToken { token_id, token } => {
					u64::from(*token_id) < 1 << concord_primitives::account::TOKEN_ID_BITS
						&& pallet_concord_ledger::Tokens::<T>::get(*token_id, chain)
							.is_some_and(|info| info.address == *token)
				}
				L1Action::WithdrawFees { to, amount } => *to != [0; 20] && *amount != 0,
				L1Action::RevertBatches { .. } => true,
			}
		}

		/// The contract of a registered or removed chain (a removed one still takes `Retire`).
		pub fn contract_of(chain: ChainId) -> Option<ChainInfo> {
			pallet_concord_ledger::Chains::<T>::get(chain)
				.or_else(|| pallet_concord_ledger::RemovedChains::<T>::get(chain))
		}

		fn ensure_member(who: &T::AccountId) -> Result<Member<T::AccountId>, Error<T>> {
			Members::<T>::get()
				.into_iter()
				.find(|member| &member.account == who)
				.ok_or(Error::<T>::NotMember)
		}

		fn is_member(members: &[Member<T::AccountId>], who: &T::AccountId) -> bool {
			members.iter().any(|member| &member.account == who)
		}

		/// Everything `attest(attestation)` by `who` requires before it changes anything (also
		/// checked by [`CheckOracleCall`] in the pool); returns the attestation's subject.
		pub fn check_attest(
			who: &T::AccountId,
			attestation: &Attestation,
		) -> Result<Subject, Error<T>> {
			Self::ensure_member(who)?;
			let subject = attestation.subject().ok_or(Error::<T>::NotAPriorityOp)?;
			Self::check_attestable(&subject)?;
			ensure!(!Disputed::<T>::contains_key(subject), Error::<T>::Disputed);
			ensure!(
				!Votes::<T>::contains_key(subject, who),
				Error::<T>::AlreadyAttested
			);
			Ok(subject)
		}

		/// Everything `sign_execute(batch, ..)` by `who` requires before the signatures are
		/// checked (also checked by [`CheckOracleCall`] in the pool); returns the member and
		/// the batch's sync hash.
		pub fn check_sign_execute(
			who: &T::AccountId,
			batch: u64,
		) -> Result<(Member<T::AccountId>, [u8; 32]), Error<T>> {
			let member = Self::ensure_member(who)?;
			ensure!(batch <= LastSynced::<T>::get(), Error::<T>::NotSynced);
			ensure!(batch > LastFinished::<T>::get(), Error::<T>::BatchFinished);
			ensure!(
				!ExecuteSignatures::<T>::contains_key(batch, who),
				Error::<T>::AlreadySigned
			);
			let sync_hash = pallet_concord_proofs::Pallet::<T>::expected_sync_hash(batch)
				.ok_or(Error::<T>::NotProvenHere)?;
			Ok((member, sync_hash))
		}

		/// Everything `sign_commit(batch, ..)` by `who` requires before the signatures are
		/// checked (also checked by [`CheckOracleCall`] in the pool); returns the member and
		/// the sealed pubdata's hash.
		pub fn check_sign_commit(
			who: &T::AccountId,
			batch: u64,
		) -> Result<(Member<T::AccountId>, [u8; 32]), Error<T>> {
			let member = Self::ensure_member(who)?;
			let header =
				pallet_concord_batches::Headers::<T>::get(batch).ok_or(Error::<T>::UnknownBatch)?;
			ensure!(batch > LastFinished::<T>::get(), Error::<T>::BatchFinished);
			ensure!(
				!CommitSignatures::<T>::contains_key(batch, who),
				Error::<T>::AlreadySigned
			);
			Ok((member, header.pubdata_hash))
		}

		/// Everything `sign_l1_action(chain, nonce, ..)` by `who` requires before the signature
		/// is checked (also checked by [`CheckOracleCall`] in the pool): the member, the action
		/// and its chain's registration.
		pub fn check_sign_l1_action(
			who: &T::AccountId,
			chain: ChainId,
			nonce: u64,
		) -> Result<(Member<T::AccountId>, L1Action, ChainInfo), Error<T>> {
			let member = Self::ensure_member(who)?;
			let info = Self::contract_of(chain).ok_or(Error::<T>::UnknownChain)?;
			let action = L1Actions::<T>::get(chain, nonce).ok_or(Error::<T>::UnknownL1Action)?;
			ensure!(
				!L1ActionSignatures::<T>::contains_key((chain, nonce), who),
				Error::<T>::AlreadySigned
			);
			Ok((member, action, info))
		}

		/// Checks that `signatures` hold one signature for each registered chain, each by
		/// `signer` over `digest` of that chain; returns how many chains there are.
		fn check_chain_signatures(
			signer: [u8; 20],
			signatures: &ChainSignatures<T>,
			digest: impl Fn(&ChainInfo) -> [u8; 32],
		) -> Result<u32, Error<T>> {
			let chains: alloc::vec::Vec<_> = pallet_concord_ledger::Chains::<T>::iter().collect();
			ensure!(signatures.len() == chains.len(), Error::<T>::WrongChains);
			for (chain, info) in &chains {
				let mut signed = signatures.iter().filter(|(signed, _)| signed == chain);
				let (Some((_, signature)), None) = (signed.next(), signed.next()) else {
					return Err(Error::<T>::WrongChains);
				};
				ensure!(
					recover_eth_signer(&digest(info), signature) == Some(signer),
					Error::<T>::BadSignature
				);
			}
			Ok(chains.len() as u32)
		}

		/// Whether `signers` hold exactly a quorum of the current members (so that the event
		/// saying so is emitted once, when the last needed signature arrives).
		fn reaches_quorum(signers: impl Iterator<Item = T::AccountId>) -> bool {
			let members = Members::<T>::get();
			Self::current_signers(&members, signers) == quorum(members.len() as u32)
		}

		/// Whether `signers` hold at least a quorum of the current members.
		fn is_quorum(signers: impl Iterator<Item = T::AccountId>) -> bool {
			let members = Members::<T>::get();
			Self::current_signers(&members, signers) >= quorum(members.len() as u32)
		}

		/// How many of `signers` are current members.
		fn current_signers(
			members: &[Member<T::AccountId>],
			signers: impl Iterator<Item = T::AccountId>,
		) -> u32 {
			signers
				.filter(|signer| Self::is_member(members, signer))
				.count() as u32
		}

		/// How many current members attested each value of `subject`.
		fn support(
			subject: Subject,
			members: &[Member<T::AccountId>],
		) -> alloc::vec::Vec<([u8; 32], u32)> {
			let mut support: alloc::vec::Vec<([u8; 32], u32)> = alloc::vec::Vec::new();
			for (voter, value) in Votes::<T>::iter_prefix(subject) {
				if !Self::is_member(members, &voter) {
					continue;
				}
				match support.iter_mut().find(|(counted, _)| *counted == value) {
					Some((_, count)) => *count += 1,
					None => support.push((value, 1)),
				}
			}
			support
		}

		/// Whether members may attest `subject` now.
		fn check_attestable(subject: &Subject) -> Result<(), Error<T>> {
			let (Subject::Priority { chain, .. } | Subject::Batch { chain, .. }) = *subject;
			ensure!(
				pallet_concord_ledger::Chains::<T>::contains_key(chain),
				Error::<T>::UnknownChain
			);
			match *subject {
				Subject::Priority { chain, priority_id } => {
					let next = pallet_concord_ledger::NextPriorityId::<T>::get(chain);
					ensure!(priority_id >= next, Error::<T>::PriorityAlreadyApplied);
					ensure!(
						priority_id - next < T::MaxOpenRequests::get(),
						Error::<T>::PriorityTooFarAhead
					);
				}
				Subject::Batch { batch, stage, .. } => {
					ensure!(
						pallet_concord_batches::Headers::<T>::contains_key(batch),
						Error::<T>::UnknownBatch
					);
					ensure!(batch > LastFinished::<T>::get(), Error::<T>::BatchFinished);
					ensure!(
						stage == L1Stage::Committed
							|| pallet_concord_proofs::Proven::<T>::contains_key(batch),
						Error::<T>::NotProvenHere
					);
				}
			}
			Ok(())
		}

		/// Whether `attestation` differs from the confirmed value of its subject or from what
		/// the appchain expects of a batch.
		fn disagrees(subject: &Subject, attestation: &Attestation, value_hash: [u8; 32]) -> bool {
			Confirmed::<T>::get(subject).is_some_and(|confirmed| confirmed != value_hash)
				|| !Self::expected(attestation)
		}

		/// Whether a batch attestation's value is the appchain's (priority ops have no
		/// appchain-side value to compare with).
		fn expected(attestation: &Attestation) -> bool {
			match *attestation {
				Attestation::Priority(_) => true,
				Attestation::Committed {
					batch,
					pubdata_hash,
					..
				} => pallet_concord_batches::Headers::<T>::get(batch)
					.is_some_and(|header| header.pubdata_hash == pubdata_hash),
				Attestation::Proven {
					batch, sync_hash, ..
				} => {
					pallet_concord_proofs::Pallet::<T>::expected_sync_hash(batch) == Some(sync_hash)
				}
				Attestation::Executed {
					batch, new_root, ..
				} => pallet_concord_proofs::Proven::<T>::get(batch)
					.is_some_and(|proven| proven.new_root == new_root),
			}
		}

		fn alarm(subject: Subject, reason: AlarmReason, member: Option<T::AccountId>) {
			Self::deposit_event(Event::Alarm {
				subject,
				reason,
				member,
			});
		}

		fn dispute(subject: Subject, reason: AlarmReason) {
			if !Disputed::<T>::contains_key(subject) {
				Disputed::<T>::insert(subject, reason);
				Self::alarm(subject, reason, None);
			}
		}

		/// Acts on a value a quorum confirmed; returns how many priority ops entered the ledger.
		fn confirmed(subject: Subject, attestation: Attestation) -> u32 {
			match (subject, attestation) {
				(Subject::Priority { chain, priority_id }, Attestation::Priority(op)) => {
					PendingPriority::<T>::insert(chain, priority_id, op);
					Self::drain_priority(chain)
				}
				(
					Subject::Batch {
						chain,
						batch,
						stage,
					},
					attestation,
				) => {
					if !Self::expected(&attestation) {
						Self::dispute(subject, AlarmReason::UnexpectedValue);
						return 0;
					}
					pallet_concord_batches::Pallet::<T>::note_l1_stage(chain, stage, batch);
					if stage == L1Stage::Proven {
						Self::advance_sync();
					}
					0
				}
				(Subject::Priority { .. }, _) => 0,
			}
		}

		/// Forgets the votes, values and confirmation of `subject`. Besides the current
		/// members' votes there are only those of members removed while it was open.
		fn forget(subject: Subject) {
			let _ = Votes::<T>::clear_prefix(subject, u32::MAX, None);
			let _ = Values::<T>::clear_prefix(subject, u32::MAX, None);
			Confirmed::<T>::remove(subject);
		}

		/// The worst-case weight of pruning one finished batch: every stage's votes on every
		/// chain and the execute signatures.
		fn prune_weight() -> Weight {
			let (chains, members) = (
				u64::from(T::MaxChains::get()),
				u64::from(T::MaxMembers::get()),
			);
			Self::finished_check_weight().saturating_add(
				T::DbWeight::get().writes(chains * 3 * (2 * members + 1) + 2 * members + 1),
			)
		}

		/// The worst-case weight of `advance_sync`: [`MAX_SYNC_PER_CALL`] steps, each reading
		/// every chain's progress and dispute, the batch's proof and writing `LastSynced`.
		fn sync_weight() -> Weight {
			let chains = u64::from(T::MaxChains::get());
			let steps = u64::from(MAX_SYNC_PER_CALL);
			T::DbWeight::get()
				.reads(1 + steps * (2 * chains + 2))
				.saturating_add(T::DbWeight::get().writes(steps))
		}

		/// The weight of finding whether a batch is finished: every chain's progress.
		fn finished_check_weight() -> Weight {
			T::DbWeight::get().reads(u64::from(T::MaxChains::get()) + 2)
		}

		/// Prunes the next finished batch, if every registered chain executed it.
		fn prune_next_finished() -> bool {
			let chains: alloc::vec::Vec<ChainId> =
				pallet_concord_ledger::Chains::<T>::iter_keys().collect();
			let Some(executed_everywhere) = chains
				.iter()
				.map(|&chain| pallet_concord_batches::L1Progress::<T>::get(chain).executed)
				.min()
			else {
				return false;
			};
			let batch = LastFinished::<T>::get() + 1;
			if batch > executed_everywhere {
				return false;
			}
			for &chain in &chains {
				for stage in [L1Stage::Committed, L1Stage::Proven, L1Stage::Executed] {
					Self::forget(Subject::Batch {
						chain,
						batch,
						stage,
					});
				}
			}
			let _ = ExecuteSignatures::<T>::clear_prefix(batch, u32::MAX, None);
			let _ = CommitSignatures::<T>::clear_prefix(batch, u32::MAX, None);
			LastFinished::<T>::put(batch);
			true
		}

		/// Applies `chain`'s confirmed priority ops in priority-id order, as far as they are
		/// contiguous (at most [`MAX_PRIORITY_DRAIN`]).
		fn drain_priority(chain: ChainId) -> u32 {
			let mut applied = 0;
			while applied < MAX_PRIORITY_DRAIN {
				let next = pallet_concord_ledger::NextPriorityId::<T>::get(chain);
				let Some(op) = PendingPriority::<T>::get(chain, next) else {
					break;
				};
				match pallet_concord_ledger::Pallet::<T>::apply_priority(&op) {
					Ok(_) => {
						PendingPriority::<T>::remove(chain, next);
						// Its id is closed to attestations: the votes serve no more.
						Self::forget(Subject::Priority {
							chain,
							priority_id: next,
						});
						applied += 1;
						Self::deposit_event(Event::PriorityApplied {
							chain,
							priority_id: next,
						});
					}
					Err(error) => {
						Self::deposit_event(Event::PriorityRefused {
							chain,
							priority_id: next,
							error,
						});
						break;
					}
				}
			}
			applied
		}

		/// Marks as synced the batches after the last synced one that all registered chains
		/// proved with the expected sync hash, at most [`MAX_SYNC_PER_CALL`].
		fn advance_sync() {
			let chains: alloc::vec::Vec<ChainId> =
				pallet_concord_ledger::Chains::<T>::iter_keys().collect();
			if chains.is_empty() {
				return;
			}
			for _ in 0..MAX_SYNC_PER_CALL {
				let next = LastSynced::<T>::get() + 1;
				let proven_everywhere = chains.iter().all(|&chain| {
					pallet_concord_batches::L1Progress::<T>::get(chain).proven >= next
						&& !Disputed::<T>::contains_key(Subject::Batch {
							chain,
							batch: next,
							stage: L1Stage::Proven,
						})
				});
				let Some(sync_hash) = pallet_concord_proofs::Pallet::<T>::expected_sync_hash(next)
				else {
					return;
				};
				if !proven_everywhere {
					return;
				}
				LastSynced::<T>::put(next);
				Self::deposit_event(Event::BatchSynced {
					batch: next,
					sync_hash,
				});
			}
		}

		/// The priority ops confirmed or attested and not yet in the ledger, by chain and
		/// priority id, with how many current members attested each.
		pub fn pending_priority() -> alloc::vec::Vec<(ChainId, u64, Op, u32)> {
			let members = Members::<T>::get();
			let mut pending = alloc::vec::Vec::new();
			for (subject, value_hash, attestation) in Values::<T>::iter() {
				if let (Subject::Priority { chain, priority_id }, Attestation::Priority(op)) =
					(subject, attestation)
				{
					if pallet_concord_ledger::Chains::<T>::contains_key(chain)
						&& priority_id >= pallet_concord_ledger::NextPriorityId::<T>::get(chain)
					{
						let count = Self::support(subject, &members)
							.into_iter()
							.find(|(value, _)| *value == value_hash)
							.map_or(0, |(_, count)| count);
						pending.push((chain, priority_id, op, count));
					}
				}
			}
			pending.sort_by_key(|(chain, id, _, count)| (chain.0, *id, core::cmp::Reverse(*count)));
			pending
		}
	}
}
