//! Benchmarks of the oracle's calls; `concord-node benchmark pallet` turns them into the
//! runtime's weights. The batch benchmarks seal and prove a batch with the proofs pallet's
//! trapdoor key, and sign with development secp256k1 keys.

use crate::{
	pallet::{
		Attestation, Call, Config, Disputed, L1Action, L1ActionSignatures, L1Actions, LastSynced,
		Members, Pallet, PendingPriority, Subject,
	},
	AlarmReason,
};
use alloc::vec::Vec;
use concord_primitives::{
	commitment::{commit_digest, execute_digest},
	ops::{eth_address, ChainId, Deposit, Op},
};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use pallet_concord_batches::L1Progress;
use pallet_concord_proofs::testing::first_batch_ready_to_prove;

/// The benchmarks' chain, registered on top of whatever the genesis has.
const CHAIN: ChainId = ChainId(14);

fn member_key(index: u32) -> k256::ecdsa::SigningKey {
	let mut seed = [0x5a; 32];
	seed[..4].copy_from_slice(&(index + 1).to_be_bytes());
	k256::ecdsa::SigningKey::from_bytes(&seed.into()).expect("a valid scalar")
}

/// `count` members, account `member(i)` with key `member_key(i)`, installed.
fn members<T: Config>(count: u32) -> Vec<T::AccountId> {
	let members: Vec<(T::AccountId, [u8; 20])> = (0..count)
		.map(|i| {
			(
				account("member", i, 0),
				eth_address(member_key(i).verifying_key()),
			)
		})
		.collect();
	Pallet::<T>::do_set_members(members.clone()).expect("distinct members");
	members.into_iter().map(|(account, _)| account).collect()
}

fn register_chain<T: Config>() {
	let root = <T as pallet_concord_ledger::Config>::GovernanceOrigin::try_successful_origin()
		.expect("governance origin");
	pallet_concord_ledger::Pallet::<T>::register_chain(root.clone(), CHAIN, 201, [2; 20])
		.expect("a new chain");
	pallet_concord_ledger::Pallet::<T>::register_token(root, 1, CHAIN, [0; 20], 18)
		.expect("a new token");
}

/// Batch 1 sealed and proven on the appchain; every other registered chain has proven it.
fn proven_batch<T: Config>() -> [u8; 32] {
	register_chain::<T>();
	let prover: T::AccountId = whitelisted_caller();
	let (new_root, proof) = first_batch_ready_to_prove::<T>([7; 32], &prover);
	pallet_concord_proofs::Pallet::<T>::submit_proof(
		RawOrigin::Signed(prover).into(),
		1,
		new_root,
		proof,
	)
	.expect("a trapdoor proof verifies");
	for chain in pallet_concord_ledger::Chains::<T>::iter_keys().filter(|&chain| chain != CHAIN) {
		L1Progress::<T>::mutate(chain, |progress| progress.proven = 1);
	}
	pallet_concord_proofs::Pallet::<T>::expected_sync_hash(1).expect("proven")
}

/// An oracle set of the most addresses a contract takes, the largest action to sign.
fn largest_action() -> L1Action {
	let oracles: Vec<[u8; 20]> = (0..256u32)
		.map(|i| {
			let mut address = [0xa0; 20];
			address[..4].copy_from_slice(&i.to_be_bytes());
			address
		})
		.collect();
	L1Action::UpdateOracles {
		oracles: BoundedVec::try_from(oracles).expect("256 oracles"),
		threshold: 200,
	}
}

/// The largest action proposed for the benchmarks' chain at nonce 0, with a (placeholder)
/// signature of each of the first `m` of `MaxMembers` members.
fn signed_action<T: Config>(m: u32) {
	register_chain::<T>();
	for member in members::<T>(T::MaxMembers::get())
		.into_iter()
		.take(m as usize)
	{
		L1ActionSignatures::<T>::insert((CHAIN, 0), member, [1; 65]);
	}
	L1Actions::<T>::insert(CHAIN, 0, largest_action());
}

/// One vote short of a quorum of `members` attested `attestation`; returns the member whose
/// vote completes the quorum.
fn one_short_of_quorum<T: Config>(
	members: &[T::AccountId],
	attestation: Attestation,
) -> T::AccountId {
	let needed = crate::quorum(members.len() as u32) as usize;
	for member in &members[..needed - 1] {
		Pallet::<T>::attest(RawOrigin::Signed(member.clone()).into(), attestation)
			.expect("an attestation");
	}
	members[needed - 1].clone()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_members(m: Linear<1, { T::MaxMembers::get() }>) {
		let origin = T::OracleGovernance::try_successful_origin().expect("governance origin");
		let members: Vec<(T::AccountId, [u8; 20])> = (0..m)
			.map(|i| (account("member", i, 0), [i as u8; 20]))
			.collect();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, members);

		assert_eq!(Members::<T>::get().len() as u32, m);
	}

	/// The member completing the quorum of a deposit, which the ledger then applies.
	#[benchmark]
	fn attest_priority() {
		register_chain::<T>();
		let members = members::<T>(T::MaxMembers::get());
		let deposit = Attestation::Priority(Op::Deposit(Deposit {
			chain_id: CHAIN,
			priority_id: 0,
			to_address: [0xd0; 20],
			token: 1,
			amount: 1_000,
		}));
		let last = one_short_of_quorum::<T>(&members, deposit);

		#[extrinsic_call]
		attest(RawOrigin::Signed(last), deposit);

		assert_eq!(pallet_concord_ledger::NextPriorityId::<T>::get(CHAIN), 1);
	}

	/// The member completing the quorum that the last chain proved batch 1, which syncs it.
	#[benchmark]
	fn attest_batch() {
		let members = members::<T>(T::MaxMembers::get());
		let sync_hash = proven_batch::<T>();
		let proven = Attestation::Proven {
			chain: CHAIN,
			batch: 1,
			sync_hash,
		};
		let last = one_short_of_quorum::<T>(&members, proven);

		#[extrinsic_call]
		attest(RawOrigin::Signed(last), proven);

		assert_eq!(LastSynced::<T>::get(), 1);
	}

	/// One member's signatures for every registered chain (`c` chains registered).
	#[benchmark]
	fn sign_execute(c: Linear<1, { T::MaxChains::get() }>) {
		let members = members::<T>(1);
		let sync_hash = proven_batch::<T>();
		let root = <T as pallet_concord_ledger::Config>::GovernanceOrigin::try_successful_origin()
			.expect("governance origin");
		let registered = pallet_concord_ledger::Chains::<T>::iter_keys().count() as u32;
		for extra in registered..c {
			// Ids below CHAIN_ID_LIMIT (16), apart from CHAIN and the genesis chains (1, 2).
			let chain = ChainId(3 + extra as u8);
			pallet_concord_ledger::Pallet::<T>::register_chain(root.clone(), chain, 300, [3; 20])
				.expect("a new chain");
			L1Progress::<T>::mutate(chain, |progress| progress.proven = 1);
		}
		Pallet::<T>::attest(
			RawOrigin::Signed(members[0].clone()).into(),
			Attestation::Proven {
				chain: CHAIN,
				batch: 1,
				sync_hash,
			},
		)
		.expect("an attestation");
		assert_eq!(LastSynced::<T>::get(), 1);
		let signatures: Vec<(ChainId, [u8; 65])> = pallet_concord_ledger::Chains::<T>::iter()
			.map(|(chain, info)| {
				let digest = execute_digest(info.evm_chain_id, &info.contract, 1, sync_hash);
				let bytes = concord_primitives::ops::eth_sign(&member_key(0), &digest);
				(chain, bytes)
			})
			.collect();
		let signatures = BoundedVec::try_from(signatures).expect("at most MaxChains");

		#[extrinsic_call]
		_(RawOrigin::Signed(members[0].clone()), 1, signatures);

		assert!(crate::pallet::ExecuteSignatures::<T>::contains_key(
			1,
			&members[0]
		));
	}

	/// One member's commit signatures for every registered chain (`c` chains registered).
	#[benchmark]
	fn sign_commit(c: Linear<1, { T::MaxChains::get() }>) {
		let members = members::<T>(1);
		proven_batch::<T>();
		let root = <T as pallet_concord_ledger::Config>::GovernanceOrigin::try_successful_origin()
			.expect("governance origin");
		let registered = pallet_concord_ledger::Chains::<T>::iter_keys().count() as u32;
		for extra in registered..c {
			pallet_concord_ledger::Pallet::<T>::register_chain(
				root.clone(),
				ChainId(210 + extra as u8),
				300,
				[3; 20],
			)
			.expect("a new chain");
		}
		let pubdata_hash = pallet_concord_batches::Headers::<T>::get(1)
			.expect("a sealed batch")
			.pubdata_hash;
		let signatures: Vec<(ChainId, [u8; 65])> = pallet_concord_ledger::Chains::<T>::iter()
			.map(|(chain, info)| {
				let digest = commit_digest(info.evm_chain_id, &info.contract, 1, pubdata_hash);
				(
					chain,
					concord_primitives::ops::eth_sign(&member_key(0), &digest),
				)
			})
			.collect();
		let signatures = BoundedVec::try_from(signatures).expect("at most MaxChains");

		#[extrinsic_call]
		_(RawOrigin::Signed(members[0].clone()), 1, signatures);

		assert!(crate::pallet::CommitSignatures::<T>::contains_key(
			1,
			&members[0]
		));
	}

	/// A dispute with a vote from each of `m` members.
	#[benchmark]
	fn clear_dispute(m: Linear<1, { T::MaxMembers::get() }>) {
		register_chain::<T>();
		let members = members::<T>(m);
		// Ahead of the next id to apply (0), so the votes stay pending, and within the window
		// members may attest.
		let priority_id = T::MaxOpenRequests::get() - 1;
		for (i, member) in members.iter().enumerate() {
			let deposit = Op::Deposit(Deposit {
				chain_id: CHAIN,
				priority_id,
				to_address: [i as u8; 20],
				token: 1,
				amount: 1,
			});
			Pallet::<T>::attest(
				RawOrigin::Signed(member.clone()).into(),
				Attestation::Priority(deposit),
			)
			.expect("an attestation");
		}
		let subject = Subject::Priority {
			chain: CHAIN,
			priority_id,
		};
		Disputed::<T>::insert(subject, AlarmReason::ConflictingValues);
		let origin = T::OracleGovernance::try_successful_origin().expect("governance origin");

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, subject);

		assert!(!Disputed::<T>::contains_key(subject));
	}

	/// Removing a chain that has `MaxOpenRequests` confirmed priority ops pending and alone
	/// held back batch 1, which then syncs.
	#[benchmark]
	fn remove_chain() {
		let root = <T as pallet_concord_ledger::Config>::GovernanceOrigin::try_successful_origin()
			.expect("governance origin");
		pallet_concord_ledger::Pallet::<T>::register_chain(root, ChainId(13), 202, [4; 20])
			.expect("a new chain");
		proven_batch::<T>();
		for priority_id in 0..T::MaxOpenRequests::get() {
			PendingPriority::<T>::insert(CHAIN, priority_id, Op::Noop);
		}
		let origin = T::OracleGovernance::try_successful_origin().expect("governance origin");

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, CHAIN);

		assert_eq!(LastSynced::<T>::get(), 1);
		assert!(PendingPriority::<T>::iter_prefix(CHAIN).next().is_none());
	}

	/// A proposal of the largest action replacing one with `m` signatures, at most one short
	/// of a quorum (an authorized action is not replaced).
	#[benchmark]
	fn propose_l1_action(m: Linear<0, { crate::quorum(T::MaxMembers::get()) - 1 }>) {
		signed_action::<T>(m);
		let origin = T::OracleGovernance::try_successful_origin().expect("governance origin");

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, CHAIN, 0, largest_action());

		assert_eq!(L1ActionSignatures::<T>::iter_prefix((CHAIN, 0)).count(), 0);
	}

	/// The signature that completes the quorum of `MaxMembers` on the largest action.
	#[benchmark]
	fn sign_l1_action() {
		register_chain::<T>();
		let members = members::<T>(T::MaxMembers::get());
		L1Actions::<T>::insert(CHAIN, 0, largest_action());
		let needed = crate::quorum(members.len() as u32) as usize;
		for member in &members[..needed - 1] {
			L1ActionSignatures::<T>::insert((CHAIN, 0), member, [1; 65]);
		}
		let info = pallet_concord_ledger::Chains::<T>::get(CHAIN).expect("registered");
		let digest = largest_action().digest(&info, 0);
		let signature = concord_primitives::ops::eth_sign(&member_key(needed as u32 - 1), &digest);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(members[needed - 1].clone()),
			CHAIN,
			0,
			signature,
		);

		assert!(L1ActionSignatures::<T>::contains_key(
			(CHAIN, 0),
			&members[needed - 1]
		));
	}

	/// Dropping an action with `m` signatures.
	#[benchmark]
	fn drop_l1_action(m: Linear<1, { T::MaxMembers::get() }>) {
		signed_action::<T>(m);
		let origin = T::OracleGovernance::try_successful_origin().expect("governance origin");

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, CHAIN, 0);

		assert!(!L1Actions::<T>::contains_key(CHAIN, 0));
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::new_test_ext(Vec::new()),
		crate::mock::Test
	);
}
