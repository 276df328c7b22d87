use crate::{mock::*, *};
use concord_primitives::{
	account::EMPTY_ACCOUNT_TREE_ROOT,
	commitment::{batch_commitment_of_hash, execute_digest, fr_to_be_bytes},
	ops::{ChainId, Deposit, Op},
	Fr,
};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::{Pays, PostDispatchInfo},
	traits::Hooks,
};
use pallet_concord_batches::L1Stage;
use pallet_concord_proofs::testing::{trapdoor_key_bytes, trapdoor_proof_bytes};
use sp_runtime::{DispatchError, DispatchResult};

const CHAIN_A: ChainId = ChainId(1);
const CHAIN_B: ChainId = ChainId(2);

/// A deposit of token 1 to `to_address`.
pub fn deposit_to(chain: ChainId, priority_id: u64, to_address: [u8; 20], amount: u128) -> Op {
	Op::Deposit(Deposit {
		chain_id: chain,
		priority_id,
		to_address,
		token: 1,
		amount,
	})
}

/// A deposit of token 1 to the address of 20 bytes `to`.
pub fn deposit(chain: ChainId, priority_id: u64, to: u8, amount: u128) -> Op {
	deposit_to(chain, priority_id, [to; 20], amount)
}

pub fn attest(member: u64, attestation: Attestation) -> DispatchResult {
	Oracle::attest(RuntimeOrigin::signed(member), attestation)
		.map(|_| ())
		.map_err(|error| error.error)
}

/// Members `members` attest `attestation`.
pub fn attest_all(members: &[u64], attestation: Attestation) {
	for &member in members {
		assert_ok!(attest(member, attestation));
	}
}

fn balance_of(address: u8) -> u128 {
	pallet_concord_ledger::AccountIdByAddress::<Test>::get([address; 20]).map_or(0, |account| {
		pallet_concord_ledger::Balances::<Test>::get(account, 1)
	})
}

fn has_event(event: Event<Test>) -> bool {
	System::events()
		.iter()
		.any(|record| record.event == RuntimeEvent::Oracle(event.clone()))
}

/// Member `member`'s execute signatures of `batch` on `chains`.
pub fn execute_signatures(member: u64, batch: u64, chains: &[ChainId]) -> ChainSignatures<Test> {
	let sync_hash = Proofs::expected_sync_hash(batch).expect("a proven batch");
	let signatures: Vec<_> = chains
		.iter()
		.map(|&chain| {
			let info = pallet_concord_ledger::Chains::<Test>::get(chain)
				.or_else(|| pallet_concord_ledger::RemovedChains::<Test>::get(chain))
				.unwrap();
			let digest = execute_digest(info.evm_chain_id, &info.contract, batch, sync_hash);
			let bytes = concord_primitives::ops::eth_sign(&member_key(member), &digest);
			(chain, bytes)
		})
		.collect();
	signatures.try_into().unwrap()
}

#[test]
fn quorum_is_two_thirds_rounded_up() {
	let table: Vec<_> = (1..=7).map(|n| (quorum(n), conflict_weight(n))).collect();
	assert_eq!(
		table,
		[(1, 1), (2, 1), (2, 2), (3, 2), (4, 2), (4, 3), (5, 3)]
	);
}

#[test]
fn governance_sets_distinct_members() {
	new_test_ext(Vec::new()).execute_with(|| {
		let members = vec![(1, member_address(1)), (4, member_address(4))];
		assert_noop!(
			Oracle::set_members(RuntimeOrigin::signed(1), members.clone()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Oracle::set_members(RuntimeOrigin::root(), Vec::new()),
			Error::<Test>::InvalidMembers
		);
		assert_noop!(
			Oracle::set_members(RuntimeOrigin::root(), vec![(1, [1; 20]), (1, [2; 20])]),
			Error::<Test>::InvalidMembers
		);
		assert_noop!(
			Oracle::set_members(RuntimeOrigin::root(), vec![(1, [1; 20]), (2, [1; 20])]),
			Error::<Test>::InvalidMembers
		);
		assert_noop!(
			Oracle::set_members(
				RuntimeOrigin::root(),
				(1..=9).map(|m| (m, [m as u8; 20])).collect()
			),
			Error::<Test>::InvalidMembers
		);
		assert_ok!(Oracle::set_members(RuntimeOrigin::root(), members));
		System::assert_last_event(
			Event::MembersSet {
				members: 2,
				quorum: 2,
			}
			.into(),
		);
		assert_noop!(
			attest(3, Attestation::Priority(deposit(CHAIN_A, 0, 0xa1, 5))),
			Error::<Test>::NotMember
		);
	});
}

#[test]
fn a_deposit_enters_the_ledger_only_with_a_quorum_and_free_of_fees() {
	new_test_ext(Vec::new()).execute_with(|| {
		let op = deposit(CHAIN_A, 0, 0xa1, 500);
		assert_noop!(
			attest(9, Attestation::Priority(op)),
			Error::<Test>::NotMember
		);
		let paid = Oracle::attest(RuntimeOrigin::signed(1), Attestation::Priority(op)).unwrap();
		assert_eq!(paid.pays_fee, Pays::No);
		assert_noop!(
			attest(1, Attestation::Priority(op)),
			Error::<Test>::AlreadyAttested
		);
		assert_eq!(balance_of(0xa1), 0, "one member of three is no quorum");
		assert_eq!(Oracle::pending_priority(), vec![(CHAIN_A, 0, op, 1)]);

		assert_ok!(attest(2, Attestation::Priority(op)));
		assert_eq!(balance_of(0xa1), 500);
		// An applied op's votes are pruned: its id takes no more attestations.
		let subject = Subject::Priority {
			chain: CHAIN_A,
			priority_id: 0,
		};
		assert_eq!(Votes::<Test>::iter_prefix(subject).count(), 0);
		assert!(!Confirmed::<Test>::contains_key(subject));
		assert!(has_event(Event::PriorityApplied {
			chain: CHAIN_A,
			priority_id: 0
		}));
		assert!(Oracle::pending_priority().is_empty());
		// An applied op is closed: a late member's attestation is refused (its relayer checks
		// the ledger's next priority id first).
		assert_noop!(
			attest(3, Attestation::Priority(op)),
			Error::<Test>::PriorityAlreadyApplied
		);
		assert_eq!(balance_of(0xa1), 500);
	});
}

#[test]
fn priority_ops_apply_in_each_chains_order() {
	new_test_ext(Vec::new()).execute_with(|| {
		let (first, second) = (deposit(CHAIN_A, 0, 0xa1, 10), deposit(CHAIN_A, 1, 0xa1, 20));
		attest_all(&[1, 2], Attestation::Priority(second));
		assert_eq!(balance_of(0xa1), 0, "priority id 1 waits for 0");
		assert_eq!(PendingPriority::<Test>::get(CHAIN_A, 1), Some(second));
		// Chain B's queue is its own.
		attest_all(&[1, 2], Attestation::Priority(deposit(CHAIN_B, 0, 0xb1, 7)));
		assert_eq!(balance_of(0xb1), 7);
		attest_all(&[1, 2], Attestation::Priority(first));
		assert_eq!(balance_of(0xa1), 30);
		assert_eq!(
			pallet_concord_ledger::NextPriorityId::<Test>::get(CHAIN_A),
			2
		);
		assert_noop!(
			attest(3, Attestation::Priority(deposit(CHAIN_A, 1, 0xa1, 20))),
			Error::<Test>::PriorityAlreadyApplied
		);
		assert_noop!(
			attest(1, Attestation::Priority(Op::Noop)),
			Error::<Test>::NotAPriorityOp
		);
		assert_noop!(
			attest(1, Attestation::Priority(deposit(ChainId(9), 0, 0xa1, 1))),
			Error::<Test>::UnknownChain
		);
	});
}

#[test]
fn a_minority_member_can_neither_credit_nor_change_a_deposit() {
	new_test_ext(Vec::new()).execute_with(|| {
		// Member 3 alone invents a deposit: nothing is credited.
		assert_ok!(attest(
			3,
			Attestation::Priority(deposit(CHAIN_A, 0, 0xee, 1_000_000))
		));
		assert_eq!(balance_of(0xee), 0);
		// The honest quorum's deposit is the one applied; the liar raised an alarm.
		attest_all(&[1, 2], Attestation::Priority(deposit(CHAIN_A, 0, 0xa1, 5)));
		assert_eq!((balance_of(0xa1), balance_of(0xee)), (5, 0));
		let subject = Subject::Priority {
			chain: CHAIN_A,
			priority_id: 0,
		};
		assert!(has_event(Event::Alarm {
			subject,
			reason: AlarmReason::MemberDisagrees,
			member: Some(3),
		}));
		assert!(!Disputed::<Test>::contains_key(subject));
	});
}

#[test]
fn conflicting_values_with_weight_dispute_the_subject_until_governance_clears_it() {
	new_test_ext(Vec::new()).execute_with(|| {
		assert_ok!(Oracle::set_members(
			RuntimeOrigin::root(),
			(1..=4).map(|m| (m, member_address(m))).collect()
		));
		let (honest, other) = (deposit(CHAIN_A, 0, 0xa1, 5), deposit(CHAIN_A, 0, 0xa1, 6));
		attest_all(&[1, 2], Attestation::Priority(honest));
		attest_all(&[3, 4], Attestation::Priority(other));
		let subject = Subject::Priority {
			chain: CHAIN_A,
			priority_id: 0,
		};
		assert_eq!(
			Disputed::<Test>::get(subject),
			Some(AlarmReason::ConflictingValues)
		);
		System::assert_has_event(
			Event::Alarm {
				subject,
				reason: AlarmReason::ConflictingValues,
				member: None,
			}
			.into(),
		);
		assert_eq!(balance_of(0xa1), 0);

		assert_noop!(
			Oracle::clear_dispute(RuntimeOrigin::signed(1), subject),
			DispatchError::BadOrigin
		);
		assert_ok!(Oracle::clear_dispute(RuntimeOrigin::root(), subject));
		assert_noop!(
			Oracle::clear_dispute(RuntimeOrigin::root(), subject),
			Error::<Test>::NotDisputed
		);
		attest_all(&[1, 2, 3], Attestation::Priority(honest));
		assert_eq!(balance_of(0xa1), 5);
	});
}

/// Seals batch 1 (two deposits, sealed after the interval) and proves it with the trapdoor key.
fn sealed_and_proven_batch() -> [u8; 32] {
	attest_all(&[1, 2], Attestation::Priority(deposit(CHAIN_A, 0, 0xa1, 5)));
	attest_all(&[1, 2], Attestation::Priority(deposit(CHAIN_B, 0, 0xb1, 5)));
	System::set_block_number(4);
	Batches::on_initialize(4);
	let header = pallet_concord_batches::Headers::<Test>::get(1).expect("sealed");
	let new_root = Fr::from(77u8);
	let commitment = batch_commitment_of_hash(
		1,
		NETWORK,
		EMPTY_ACCOUNT_TREE_ROOT,
		new_root,
		&header.pubdata_hash,
	);
	assert_ok!(Proofs::submit_proof(
		RuntimeOrigin::signed(9),
		1,
		fr_to_be_bytes(&new_root),
		trapdoor_proof_bytes(commitment, &9u64)
	));
	header.pubdata_hash
}

/// Batch 1 sealed, proven here, and proven on both chains as members 1 and 2 attest: synced.
fn synced_batch() {
	sealed_and_proven_batch();
	let sync_hash = Proofs::expected_sync_hash(1).unwrap();
	attest_all(&[1, 2], proven(CHAIN_A, sync_hash));
	attest_all(&[1, 2], proven(CHAIN_B, sync_hash));
}

fn proven(chain: ChainId, sync_hash: [u8; 32]) -> Attestation {
	Attestation::Proven {
		chain,
		batch: 1,
		sync_hash,
	}
}

#[test]
fn a_batch_syncs_when_every_chain_proved_it_with_the_expected_sync_hash() {
	new_test_ext(trapdoor_key_bytes()).execute_with(|| {
		assert_noop!(
			attest(
				1,
				Attestation::Committed {
					chain: CHAIN_A,
					batch: 1,
					pubdata_hash: [0; 32]
				}
			),
			Error::<Test>::UnknownBatch
		);
		let pubdata_hash = sealed_and_proven_batch();
		let sync_hash = Proofs::expected_sync_hash(1).unwrap();
		attest_all(
			&[1, 2],
			Attestation::Committed {
				chain: CHAIN_A,
				batch: 1,
				pubdata_hash,
			},
		);
		assert_eq!(
			pallet_concord_batches::L1Progress::<Test>::get(CHAIN_A).committed,
			1
		);

		attest_all(&[1, 2], proven(CHAIN_A, sync_hash));
		assert_eq!(
			pallet_concord_batches::L1Progress::<Test>::get(CHAIN_A).proven,
			1
		);
		assert_eq!(LastSynced::<Test>::get(), 0, "chain B has not proven it");
		assert_noop!(
			Oracle::sign_execute(
				RuntimeOrigin::signed(1),
				1,
				execute_signatures(1, 1, &[CHAIN_A, CHAIN_B])
			),
			Error::<Test>::NotSynced
		);
		// One member alone (a minority) cannot sync it.
		assert_ok!(attest(2, proven(CHAIN_B, sync_hash)));
		assert_eq!(LastSynced::<Test>::get(), 0);
		assert_ok!(attest(3, proven(CHAIN_B, sync_hash)));
		assert_eq!(LastSynced::<Test>::get(), 1);
		System::assert_has_event(
			Event::BatchSynced {
				batch: 1,
				sync_hash,
			}
			.into(),
		);

		let root = Proofs::state_after(1).0;
		attest_all(
			&[1, 3],
			Attestation::Executed {
				chain: CHAIN_B,
				batch: 1,
				new_root: fr_to_be_bytes(&root),
			},
		);
		assert_eq!(
			pallet_concord_batches::L1Progress::<Test>::get(CHAIN_B).executed,
			1
		);
	});
}

#[test]
fn a_wrong_sync_hash_raises_the_alarm_and_a_quorum_of_it_disputes_the_batch() {
	new_test_ext(trapdoor_key_bytes()).execute_with(|| {
		sealed_and_proven_batch();
		let sync_hash = Proofs::expected_sync_hash(1).unwrap();
		let wrong = [0xee; 32];
		// One lying member: an alarm, and the honest quorum syncs the batch all the same.
		assert_ok!(attest(3, proven(CHAIN_A, wrong)));
		let subject_a = Subject::Batch {
			chain: CHAIN_A,
			batch: 1,
			stage: L1Stage::Proven,
		};
		System::assert_has_event(
			Event::Alarm {
				subject: subject_a,
				reason: AlarmReason::MemberDisagrees,
				member: Some(3),
			}
			.into(),
		);
		attest_all(&[1, 2], proven(CHAIN_A, sync_hash));
		// On chain B a quorum reports another sync hash: that L1 holds another history.
		attest_all(&[1, 2], proven(CHAIN_B, wrong));
		let subject_b = Subject::Batch {
			chain: CHAIN_B,
			batch: 1,
			stage: L1Stage::Proven,
		};
		assert_eq!(
			Disputed::<Test>::get(subject_b),
			Some(AlarmReason::UnexpectedValue)
		);
		assert_eq!(
			pallet_concord_batches::L1Progress::<Test>::get(CHAIN_B).proven,
			0
		);
		assert_eq!(LastSynced::<Test>::get(), 0);
		assert_noop!(
			attest(3, proven(CHAIN_B, sync_hash)),
			Error::<Test>::Disputed
		);
		// Once governance cleared it (say, after an L1 reorganisation), members attest anew.
		assert_ok!(Oracle::clear_dispute(RuntimeOrigin::root(), subject_b));
		attest_all(&[2, 3], proven(CHAIN_B, sync_hash));
		assert_eq!(LastSynced::<Test>::get(), 1);
	});
}

#[test]
fn batch_attestations_need_a_proof_on_the_appchain_and_known_chains() {
	new_test_ext(trapdoor_key_bytes()).execute_with(|| {
		attest_all(&[1, 2], Attestation::Priority(deposit(CHAIN_A, 0, 0xa1, 5)));
		System::set_block_number(4);
		Batches::on_initialize(4);
		assert_noop!(
			attest(1, proven(CHAIN_A, [0; 32])),
			Error::<Test>::NotProvenHere
		);
		assert_noop!(
			attest(
				1,
				Attestation::Executed {
					chain: CHAIN_A,
					batch: 1,
					new_root: [0; 32]
				}
			),
			Error::<Test>::NotProvenHere
		);
		assert_noop!(
			attest(1, proven(ChainId(7), [0; 32])),
			Error::<Test>::UnknownChain
		);
	});
}

#[test]
fn execute_signatures_are_checked_against_members_addresses() {
	new_test_ext(trapdoor_key_bytes()).execute_with(|| {
		synced_batch();
		let both = [CHAIN_A, CHAIN_B];
		let sign =
			|member, signatures| Oracle::sign_execute(RuntimeOrigin::signed(member), 1, signatures);

		assert_noop!(
			sign(9, execute_signatures(1, 1, &both)),
			Error::<Test>::NotMember
		);
		assert_noop!(
			sign(1, execute_signatures(1, 1, &[CHAIN_A])),
			Error::<Test>::WrongChains
		);
		assert_noop!(
			sign(1, execute_signatures(1, 1, &[CHAIN_A, CHAIN_A])),
			Error::<Test>::WrongChains
		);
		// Member 2's signatures sent by member 1.
		assert_noop!(
			sign(1, execute_signatures(2, 1, &both)),
			Error::<Test>::BadSignature
		);
		// A signature of chain A's digest offered for chain B.
		let mut swapped = execute_signatures(1, 1, &both);
		swapped[1].1 = swapped[0].1;
		assert_noop!(sign(1, swapped), Error::<Test>::BadSignature);

		assert_eq!(
			sign(1, execute_signatures(1, 1, &both)).unwrap(),
			PostDispatchInfo {
				actual_weight: Some(Default::default()),
				pays_fee: Pays::No
			}
		);
		assert_noop!(
			sign(1, execute_signatures(1, 1, &both)),
			Error::<Test>::AlreadySigned
		);
		assert!(!has_event(Event::ExecuteAuthorized { batch: 1 }));
		assert_ok!(sign(3, execute_signatures(3, 1, &both)));
		System::assert_last_event(Event::ExecuteAuthorized { batch: 1 }.into());
		assert_eq!(ExecuteSignatures::<Test>::iter_prefix(1).count(), 2);
	});
}

/// What [`CheckOracleCall`] answers for `call` from `origin` in the pool.
fn admit(
	origin: RuntimeOrigin,
	call: Call<Test>,
) -> Result<(), sp_runtime::transaction_validity::TransactionValidityError> {
	use sp_runtime::traits::DispatchTransaction;
	let call = RuntimeCall::Oracle(call);
	CheckOracleCall::<Test>::new()
		.validate_only(
			origin,
			&call,
			&Default::default(),
			0,
			sp_runtime::transaction_validity::TransactionSource::External,
			0,
		)
		.map(drop)
}

/// `InvalidTransaction::Custom` with `error`'s index: how the pool names a refusal.
fn refused(error: Error<Test>) -> sp_runtime::transaction_validity::TransactionValidityError {
	sp_runtime::transaction_validity::InvalidTransaction::Custom(codec::Encode::encode(&error)[0])
		.into()
}

#[test]
fn the_pool_admits_free_oracle_calls_only_from_members_and_only_when_they_can_succeed() {
	new_test_ext(trapdoor_key_bytes()).execute_with(|| {
		let op = deposit(CHAIN_A, 0, 0xa1, 5);
		let attest_call = || Call::attest {
			attestation: Attestation::Priority(op),
		};
		// A non-member's attestation or execute signature never reaches a block.
		assert_eq!(
			admit(RuntimeOrigin::signed(9), attest_call()),
			Err(refused(Error::NotMember))
		);
		assert_eq!(
			admit(RuntimeOrigin::none(), attest_call()),
			Err(refused(Error::NotMember))
		);
		assert_eq!(admit(RuntimeOrigin::signed(1), attest_call()), Ok(()));
		assert_ok!(attest(1, Attestation::Priority(op)));
		// Neither does a member's repeated one, nor one of an item that cannot be attested.
		assert_eq!(
			admit(RuntimeOrigin::signed(1), attest_call()),
			Err(refused(Error::AlreadyAttested))
		);
		let far = deposit(CHAIN_A, MAX_OPEN_REQUESTS, 0xa1, 5);
		assert_eq!(
			admit(
				RuntimeOrigin::signed(2),
				Call::attest {
					attestation: Attestation::Priority(far)
				}
			),
			Err(refused(Error::PriorityTooFarAhead))
		);
		assert_eq!(
			admit(
				RuntimeOrigin::signed(2),
				Call::attest {
					attestation: proven(CHAIN_A, [0; 32])
				}
			),
			Err(refused(Error::UnknownBatch))
		);
		let sign = || Call::sign_execute {
			batch: 1,
			signatures: Default::default(),
		};
		assert_eq!(
			admit(RuntimeOrigin::signed(9), sign()),
			Err(refused(Error::NotMember))
		);
		assert_eq!(
			admit(RuntimeOrigin::signed(1), sign()),
			Err(refused(Error::NotSynced))
		);
		// Other calls pass untouched, whoever sends them.
		assert_eq!(
			admit(
				RuntimeOrigin::signed(9),
				Call::clear_dispute {
					subject: Subject::Priority {
						chain: CHAIN_A,
						priority_id: 0
					}
				}
			),
			Ok(())
		);
	});
}

#[test]
fn a_member_cannot_attest_priority_ids_no_contract_can_hold_yet() {
	new_test_ext(Vec::new()).execute_with(|| {
		let last_open = deposit(CHAIN_A, MAX_OPEN_REQUESTS - 1, 0xa1, 5);
		let beyond = deposit(CHAIN_A, MAX_OPEN_REQUESTS, 0xa1, 5);
		assert_ok!(attest(1, Attestation::Priority(last_open)));
		assert_noop!(
			attest(1, Attestation::Priority(beyond)),
			Error::<Test>::PriorityTooFarAhead
		);
		assert_noop!(
			attest(
				1,
				Attestation::Priority(deposit(CHAIN_A, u64::MAX, 0xa1, 5))
			),
			Error::<Test>::PriorityTooFarAhead
		);
		// The window moves with the queue: once id 0 applied, id MAX_OPEN_REQUESTS is open.
		attest_all(&[1, 2], Attestation::Priority(deposit(CHAIN_A, 0, 0xa1, 5)));
		assert_eq!(
			pallet_concord_ledger::NextPriorityId::<Test>::get(CHAIN_A),
			1
		);
		assert_ok!(attest(1, Attestation::Priority(beyond)));
	});
}

#[test]
fn removed_members_votes_no_longer_count() {
	new_test_ext(trapdoor_key_bytes()).execute_with(|| {
		// Members 1, 2, 3 (quorum 2). Member 1 attests a deposit, then is replaced by 4.
		let op = deposit(CHAIN_A, 0, 0xa1, 5);
		assert_ok!(attest(1, Attestation::Priority(op)));
		assert_ok!(Oracle::set_members(
			RuntimeOrigin::root(),
			(2..=4).map(|m| (m, member_address(m))).collect()
		));
		assert_eq!(Oracle::pending_priority(), vec![(CHAIN_A, 0, op, 0)]);
		// One current member's vote is no quorum, whatever the removed member voted.
		assert_ok!(attest(2, Attestation::Priority(op)));
		assert_eq!(balance_of(0xa1), 0);
		assert_ok!(attest(3, Attestation::Priority(op)));
		assert_eq!(balance_of(0xa1), 5);
	});
}

#[test]
fn removed_members_execute_signatures_no_longer_count() {
	new_test_ext(trapdoor_key_bytes()).execute_with(|| {
		// Member 1 of 1, 2, 3 signs batch 1's execution, then is replaced by 4.
		synced_batch();
		let both = [CHAIN_A, CHAIN_B];
		assert_ok!(Oracle::sign_execute(
			RuntimeOrigin::signed(1),
			1,
			execute_signatures(1, 1, &both)
		));
		assert_ok!(Oracle::set_members(
			RuntimeOrigin::root(),
			(2..=4).map(|m| (m, member_address(m))).collect()
		));
		assert_ok!(Oracle::sign_execute(
			RuntimeOrigin::signed(2),
			1,
			execute_signatures(2, 1, &both)
		));
		assert!(!has_event(Event::ExecuteAuthorized { batch: 1 }));
		assert_ok!(Oracle::sign_execute(
			RuntimeOrigin::signed(3),
			1,
			execute_signatures(3, 1, &both)
		));
		System::assert_last_event(Event::ExecuteAuthorized { batch: 1 }.into());
	});
}

/// Member `member`'s commit signatures of sealed batch `batch` over `pubdata_hash` on `chains`.
pub fn commit_signatures(
	member: u64,
	batch: u64,
	pubdata_hash: [u8; 32],
	chains: &[ChainId],
) -> ChainSignatures<Test> {
	let signatures: Vec<_> = chains
		.iter()
		.map(|&chain| {
			let info = pallet_concord_ledger::Chains::<Test>::get(chain).unwrap();
			let digest = concord_primitives::commitment::commit_digest(
				info.evm_chain_id,
				&info.contract,
				batch,
				pubdata_hash,
			);
			(
				chain,
				concord_primitives::ops::eth_sign(&member_key(member), &digest),
			)
		})
		.collect();
	signatures.try_into().unwrap()
}

#[test]
fn commit_signatures_cover_the_sealed_pubdata_and_a_quorum_authorizes_the_commit() {
	new_test_ext(trapdoor_key_bytes()).execute_with(|| {
		let both = [CHAIN_A, CHAIN_B];
		let sign =
			|member, signatures| Oracle::sign_commit(RuntimeOrigin::signed(member), 1, signatures);
		// Nothing sealed yet: there is no pubdata to sign.
		assert_noop!(
			sign(1, commit_signatures(1, 1, [0; 32], &both)),
			Error::<Test>::UnknownBatch
		);
		let pubdata_hash = sealed_and_proven_batch();
		let other_pubdata = [0xee; 32];

		assert_noop!(
			sign(9, commit_signatures(1, 1, pubdata_hash, &both)),
			Error::<Test>::NotMember
		);
		assert_noop!(
			sign(1, commit_signatures(1, 1, pubdata_hash, &[CHAIN_A])),
			Error::<Test>::WrongChains
		);
		// A member signing pubdata the appchain did not seal cannot store it.
		assert_noop!(
			sign(1, commit_signatures(1, 1, other_pubdata, &both)),
			Error::<Test>::BadSignature
		);
		// Member 2's signatures sent by member 1.
		assert_noop!(
			sign(1, commit_signatures(2, 1, pubdata_hash, &both)),
			Error::<Test>::BadSignature
		);

		assert_eq!(
			sign(1, commit_signatures(1, 1, pubdata_hash, &both))
				.unwrap()
				.pays_fee,
			Pays::No
		);
		assert_noop!(
			sign(1, commit_signatures(1, 1, pubdata_hash, &both)),
			Error::<Test>::AlreadySigned
		);
		assert!(!has_event(Event::CommitAuthorized { batch: 1 }));
		assert_ok!(sign(2, commit_signatures(2, 1, pubdata_hash, &both)));
		System::assert_last_event(Event::CommitAuthorized { batch: 1 }.into());
		assert_eq!(CommitSignatures::<Test>::iter_prefix(1).count(), 2);
		// The pool refuses what dispatch would: a repeated signature, a non-member's.
		let call = || Call::sign_commit {
			batch: 1,
			signatures: commit_signatures(3, 1, pubdata_hash, &both),
		};
		assert_eq!(
			admit(RuntimeOrigin::signed(2), call()),
			Err(refused(Error::AlreadySigned))
		);
		assert_eq!(
			admit(RuntimeOrigin::signed(9), call()),
			Err(refused(Error::NotMember))
		);
		assert_eq!(admit(RuntimeOrigin::signed(3), call()), Ok(()));
	});
}

#[test]
fn removing_a_dead_chain_lets_the_others_sync_sign_and_prune_without_it() {
	new_test_ext(trapdoor_key_bytes()).execute_with(|| {
		sealed_and_proven_batch();
		let sync_hash = Proofs::expected_sync_hash(1).unwrap();
		attest_all(&[1, 2], proven(CHAIN_A, sync_hash));
		// A confirmed deposit of chain B waits behind a missing priority id.
		attest_all(&[1, 2], Attestation::Priority(deposit(CHAIN_B, 2, 0xb2, 5)));
		assert!(PendingPriority::<Test>::contains_key(CHAIN_B, 2));
		assert_eq!(LastSynced::<Test>::get(), 0, "chain B is dead: no sync");

		assert_noop!(
			Oracle::remove_chain(RuntimeOrigin::signed(1), CHAIN_B),
			DispatchError::BadOrigin
		);
		assert_ok!(Oracle::remove_chain(RuntimeOrigin::root(), CHAIN_B));
		System::assert_has_event(Event::ChainRemoved { chain: CHAIN_B }.into());
		assert_eq!(
			LastSynced::<Test>::get(),
			1,
			"batch 1 syncs over chain A alone"
		);
		assert!(!PendingPriority::<Test>::contains_key(CHAIN_B, 2));
		assert_noop!(
			Oracle::remove_chain(RuntimeOrigin::root(), CHAIN_B),
			pallet_concord_ledger::Error::<Test>::UnknownChain
		);
		assert_noop!(
			Oracle::remove_chain(RuntimeOrigin::root(), CHAIN_A),
			Error::<Test>::LastChain
		);
		// Batch 1 may name chain B: chain A's contract drops B from its set only once it
		// committed batch 1; governance actions for B are refused.
		assert_eq!(RemovalBatch::<Test>::get(CHAIN_B), Some(1));
		let only_a = || L1Action::UpdateChains {
			chain_ids: vec![1].try_into().unwrap(),
		};
		assert_noop!(
			Oracle::propose_l1_action(RuntimeOrigin::root(), CHAIN_A, 0, only_a()),
			Error::<Test>::InvalidL1Action
		);
		// A removed chain's contract takes only `Retire`, with the count of its requests the
		// L2 applied (its deposit 0; the pending one was dropped).
		assert_noop!(
			Oracle::propose_l1_action(RuntimeOrigin::root(), CHAIN_B, 0, only_a()),
			Error::<Test>::InvalidL1Action
		);
		for refused in [
			(CHAIN_B, L1Action::Retire { served_up_to: 2 }),
			(CHAIN_A, L1Action::Retire { served_up_to: 1 }),
		] {
			assert_noop!(
				Oracle::propose_l1_action(RuntimeOrigin::root(), refused.0, 0, refused.1),
				Error::<Test>::InvalidL1Action
			);
		}
		assert_ok!(Oracle::propose_l1_action(
			RuntimeOrigin::root(),
			CHAIN_B,
			0,
			L1Action::Retire { served_up_to: 1 }
		));
		for member in [1, 2] {
			assert_ok!(Oracle::sign_l1_action(
				RuntimeOrigin::signed(member),
				CHAIN_B,
				0,
				l1_action_signature(member, CHAIN_B, 0)
			));
		}
		System::assert_has_event(
			Event::L1ActionAuthorized {
				chain: CHAIN_B,
				nonce: 0,
			}
			.into(),
		);
		let header = pallet_concord_batches::Headers::<Test>::get(1).unwrap();
		attest_all(
			&[1, 2],
			Attestation::Committed {
				chain: CHAIN_A,
				batch: 1,
				pubdata_hash: header.pubdata_hash,
			},
		);
		assert_ok!(Oracle::propose_l1_action(
			RuntimeOrigin::root(),
			CHAIN_A,
			0,
			only_a()
		));

		// Nothing more is attested or signed for chain B; chain A alone is signed.
		assert_noop!(
			attest(3, Attestation::Priority(deposit(CHAIN_B, 1, 0xb2, 5))),
			Error::<Test>::UnknownChain
		);
		assert_noop!(
			Oracle::sign_execute(
				RuntimeOrigin::signed(1),
				1,
				execute_signatures(1, 1, &[CHAIN_A, CHAIN_B])
			),
			Error::<Test>::WrongChains
		);
		for member in [1, 2] {
			assert_ok!(Oracle::sign_execute(
				RuntimeOrigin::signed(member),
				1,
				execute_signatures(member, 1, &[CHAIN_A])
			));
		}
		System::assert_has_event(Event::ExecuteAuthorized { batch: 1 }.into());

		// Batch 1 is pruned once chain A alone executed it.
		let root = Proofs::state_after(1).0;
		attest_all(
			&[1, 2],
			Attestation::Executed {
				chain: CHAIN_A,
				batch: 1,
				new_root: fr_to_be_bytes(&root),
			},
		);
		Oracle::on_idle(5, frame_support::weights::Weight::MAX);
		assert_eq!(LastFinished::<Test>::get(), 1);

		// The id is never given to another chain; withdrawals to it are refused.
		assert_noop!(
			Ledger::register_chain(RuntimeOrigin::root(), CHAIN_B, 9, [9; 20]),
			pallet_concord_ledger::Error::<Test>::ChainRemoved
		);
		assert_eq!(
			pallet_concord_ledger::RemovedChains::<Test>::get(CHAIN_B),
			Some(pallet_concord_ledger::ChainInfo {
				evm_chain_id: CHAINS[1].1,
				contract: CHAINS[1].2
			})
		);
	});
}

/// Member `member`'s signature of the L1 action proposed for `chain` at `nonce`.
fn l1_action_signature(member: u64, chain: ChainId, nonce: u64) -> [u8; 65] {
	let action = L1Actions::<Test>::get(chain, nonce).unwrap();
	let info = Oracle::contract_of(chain).unwrap();
	concord_primitives::ops::eth_sign(&member_key(member), &action.digest(&info, nonce))
}

#[test]
fn members_authorize_an_l1_governance_action_with_a_quorum_of_checked_signatures() {
	new_test_ext(Vec::new()).execute_with(|| {
		// Chain 3 joins chain A's set (before its registration on the appchain).
		let with_c = L1Action::UpdateChains {
			chain_ids: vec![1, 2, 3].try_into().unwrap(),
		};
		assert_noop!(
			Oracle::propose_l1_action(RuntimeOrigin::signed(1), CHAIN_A, 0, with_c.clone()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Oracle::propose_l1_action(RuntimeOrigin::root(), ChainId(7), 0, with_c.clone()),
			Error::<Test>::UnknownChain
		);
		// What the contract would refuse, or what would stall it, is refused here.
		for refused in [
			// A registered chain left out (chain 1 itself, or chain 2).
			L1Action::UpdateChains {
				chain_ids: vec![2].try_into().unwrap(),
			},
			L1Action::UpdateChains {
				chain_ids: vec![1].try_into().unwrap(),
			},
			L1Action::UpdateChains {
				chain_ids: vec![1, 2, 1].try_into().unwrap(),
			},
			L1Action::UpdateOracles {
				oracles: vec![[1; 20], [2; 20]].try_into().unwrap(),
				threshold: 3,
			},
			L1Action::UpdateOracles {
				oracles: vec![[1; 20], [0; 20]].try_into().unwrap(),
				threshold: 2,
			},
			L1Action::UpdateOracles {
				oracles: vec![[1; 20]].try_into().unwrap(),
				threshold: u64::MAX,
			},
			// A token id beyond the balance tree, one the ledger does not register on chain 1,
			// and token 1 at another address than the ledger's.
			L1Action::RegisterToken {
				token_id: 256,
				token: [0; 20],
			},
			L1Action::RegisterToken {
				token_id: 9,
				token: [9; 20],
			},
			L1Action::RegisterToken {
				token_id: 1,
				token: [9; 20],
			},
			L1Action::UpdateOracles {
				oracles: vec![[1; 20], [2; 20], [3; 20]].try_into().unwrap(),
				threshold: 1,
			},
			L1Action::UpdateOracles {
				oracles: vec![[1; 20], [1; 20]].try_into().unwrap(),
				threshold: 2,
			},
			L1Action::UpdateOracles {
				oracles: Default::default(),
				threshold: 0,
			},
			L1Action::WithdrawFees {
				to: [0; 20],
				amount: 1,
			},
			L1Action::WithdrawFees {
				to: [1; 20],
				amount: 0,
			},
		] {
			assert_noop!(
				Oracle::propose_l1_action(RuntimeOrigin::root(), CHAIN_A, 0, refused),
				Error::<Test>::InvalidL1Action
			);
		}
		assert_noop!(
			Oracle::sign_l1_action(RuntimeOrigin::signed(1), CHAIN_A, 0, [0; 65]),
			Error::<Test>::UnknownL1Action
		);
		assert_ok!(Oracle::propose_l1_action(
			RuntimeOrigin::root(),
			CHAIN_A,
			1,
			L1Action::RegisterToken {
				token_id: 1,
				token: [0; 20]
			}
		));
		assert_ok!(Oracle::propose_l1_action(
			RuntimeOrigin::root(),
			CHAIN_A,
			0,
			with_c.clone()
		));

		// A non-member, a member's signature of another nonce or chain, and garbage.
		let signature = l1_action_signature(1, CHAIN_A, 0);
		assert_noop!(
			Oracle::sign_l1_action(RuntimeOrigin::signed(9), CHAIN_A, 0, signature),
			Error::<Test>::NotMember
		);
		assert_noop!(
			Oracle::sign_l1_action(RuntimeOrigin::signed(2), CHAIN_A, 0, signature),
			Error::<Test>::BadSignature
		);
		assert_noop!(
			Oracle::sign_l1_action(RuntimeOrigin::signed(1), CHAIN_A, 0, [7; 65]),
			Error::<Test>::BadSignature
		);
		assert_ok!(Oracle::sign_l1_action(
			RuntimeOrigin::signed(1),
			CHAIN_A,
			0,
			signature
		));
		assert_noop!(
			Oracle::sign_l1_action(RuntimeOrigin::signed(1), CHAIN_A, 0, signature),
			Error::<Test>::AlreadySigned
		);
		let authorized = Event::L1ActionAuthorized {
			chain: CHAIN_A,
			nonce: 0,
		};
		assert!(!has_event(authorized.clone()), "one of three is no quorum");
		assert_ok!(Oracle::sign_l1_action(
			RuntimeOrigin::signed(2),
			CHAIN_A,
			0,
			l1_action_signature(2, CHAIN_A, 0)
		));
		System::assert_last_event(authorized.into());

		// The digest is the contract's (`GovernanceCall`, compared with the deployed contract
		// in the contracts' tests).
		let info = pallet_concord_ledger::Chains::<Test>::get(CHAIN_A).unwrap();
		assert_eq!(
			with_c.digest(&info, 0),
			concord_primitives::commitment::GovernanceCall::UpdateChains {
				chain_ids: &[1, 2, 3]
			}
			.digest(info.evm_chain_id, &info.contract, 0)
		);

		// An authorized action's signatures are public: it cannot be replaced.
		let fees = L1Action::WithdrawFees {
			to: [5; 20],
			amount: 10,
		};
		assert_noop!(
			Oracle::propose_l1_action(RuntimeOrigin::root(), CHAIN_A, 0, fees.clone()),
			Error::<Test>::AlreadyAuthorized
		);
		// One signed but not authorized is replaced, with its signature; dropping clears
		// everything.
		assert_ok!(Oracle::sign_l1_action(
			RuntimeOrigin::signed(3),
			CHAIN_A,
			1,
			l1_action_signature(3, CHAIN_A, 1)
		));
		assert_ok!(Oracle::propose_l1_action(
			RuntimeOrigin::root(),
			CHAIN_A,
			1,
			fees
		));
		assert_eq!(
			L1ActionSignatures::<Test>::iter_prefix((CHAIN_A, 1)).count(),
			0
		);
		assert_ok!(Oracle::drop_l1_action(RuntimeOrigin::root(), CHAIN_A, 1));
		assert!(!L1Actions::<Test>::contains_key(CHAIN_A, 1));
		assert_noop!(
			Oracle::drop_l1_action(RuntimeOrigin::root(), CHAIN_A, 1),
			Error::<Test>::UnknownL1Action
		);
	});
}

/// Seals and proves batches 2 to `last` after batch 1, one deposit on chain A each, with the
/// trapdoor key.
fn more_proven_batches(last: u64) {
	for batch in 2..=last {
		attest_all(
			&[1, 2],
			Attestation::Priority(deposit(CHAIN_A, batch - 1, 0xa1, 1)),
		);
		let block = 4 * batch;
		System::set_block_number(block);
		Batches::on_initialize(block);
		let header = pallet_concord_batches::Headers::<Test>::get(batch).expect("sealed");
		let old_root = Proofs::state_after(batch - 1).0;
		let new_root = Fr::from(77 + batch);
		let commitment =
			batch_commitment_of_hash(batch, NETWORK, old_root, new_root, &header.pubdata_hash);
		assert_ok!(Proofs::submit_proof(
			RuntimeOrigin::signed(9),
			batch,
			fr_to_be_bytes(&new_root),
			trapdoor_proof_bytes(commitment, &9u64)
		));
	}
}

#[test]
fn after_a_removal_every_batch_the_others_proved_syncs_in_idle_time() {
	new_test_ext(trapdoor_key_bytes()).execute_with(|| {
		sealed_and_proven_batch();
		// One batch more than a call syncs.
		let last = u64::from(MAX_SYNC_PER_CALL) + 1;
		more_proven_batches(last);
		// Chain A proved them all (as its attestations would record); chain B none.
		pallet_concord_batches::L1Progress::<Test>::mutate(CHAIN_A, |progress| {
			progress.proven = last
		});
		assert_ok!(Oracle::remove_chain(RuntimeOrigin::root(), CHAIN_B));
		assert_eq!(LastSynced::<Test>::get(), u64::from(MAX_SYNC_PER_CALL));
		// No proof is confirmed any more, yet the rest syncs when a block has room.
		Oracle::on_idle(21, frame_support::weights::Weight::MAX);
		assert_eq!(LastSynced::<Test>::get(), last);
		System::assert_has_event(
			Event::BatchSynced {
				batch: last,
				sync_hash: Proofs::expected_sync_hash(last).unwrap(),
			}
			.into(),
		);
	});
}

#[test]
fn the_pool_admits_l1_action_signatures_only_from_members_for_proposed_actions() {
	new_test_ext(Vec::new()).execute_with(|| {
		let sign = || Call::sign_l1_action {
			chain: CHAIN_A,
			nonce: 0,
			signature: [0; 65],
		};
		assert_eq!(
			admit(RuntimeOrigin::signed(1), sign()),
			Err(refused(Error::UnknownL1Action))
		);
		assert_ok!(Oracle::propose_l1_action(
			RuntimeOrigin::root(),
			CHAIN_A,
			0,
			L1Action::WithdrawFees {
				to: [5; 20],
				amount: 10
			}
		));
		assert_eq!(
			admit(RuntimeOrigin::signed(9), sign()),
			Err(refused(Error::NotMember))
		);
		assert_eq!(admit(RuntimeOrigin::signed(1), sign()), Ok(()));
		assert_ok!(Oracle::sign_l1_action(
			RuntimeOrigin::signed(1),
			CHAIN_A,
			0,
			l1_action_signature(1, CHAIN_A, 0)
		));
		assert_eq!(
			admit(RuntimeOrigin::signed(1), sign()),
			Err(refused(Error::AlreadySigned))
		);
	});
}
