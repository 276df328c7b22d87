use crate::{mock::*, pallet::*, testing::*};
use ark_serialize::CanonicalSerialize;
use codec::Encode;
use concord_circuits::{groth16 as prover, witness::BatchBuilder};
use concord_primitives::{
	account::EMPTY_ACCOUNT_TREE_ROOT,
	commitment::{
		batch_commitment_of_hash, fr_to_be_bytes, prover_input, sync_hash, GENESIS_SYNC_HASH,
	},
	ops::{ChainId, Deposit, Op, OpType},
	stf::{BatchContext, TreeState},
	Fr,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Inspect, Get},
	BoundedVec,
};
use pallet_concord_ledger::BatchSink;
use sp_runtime::DispatchError;

const PROVER: u64 = 7;

fn deposit(priority_id: u64) -> Op {
	Op::Deposit(Deposit {
		chain_id: ChainId(1),
		priority_id,
		to_address: [priority_id as u8 + 1; 20],
		token: 1,
		amount: 100,
	})
}

fn registry_state() -> TreeState {
	let mut state = TreeState::new();
	state.registry_mut().add_chain(ChainId(1));
	state.registry_mut().register_token(ChainId(1), 1).unwrap();
	state
}

/// Seals `count` one-deposit batches through the batches pallet, as the ledger hands ops
/// over: the mock's four slots (the largest op's chunks) have no room for a second deposit,
/// so the ledger would seal each batch before the next.
fn seal(count: u64) {
	let mut state = registry_state();
	let mut ctx = BatchContext::new(NETWORK, 0);
	for id in 0..count {
		let applied = concord_primitives::stf::apply(&mut state, &deposit(id), &mut ctx).unwrap();
		Batches::on_applied(&applied, &ctx);
		assert!(!Batches::has_room(OpType::Deposit.chunks()));
		Batches::seal_open_batch();
	}
	assert_eq!(pallet_concord_batches::LastSealed::<Test>::get(), count);
}

fn root(n: u64) -> [u8; 32] {
	fr_to_be_bytes(&Fr::from(1000 + n))
}

/// The commitment of `batch` from `old_root` to `root(batch)`.
fn commitment(batch: u64, old_root: Fr) -> Fr {
	let header = pallet_concord_batches::Headers::<Test>::get(batch).unwrap();
	batch_commitment_of_hash(
		batch,
		NETWORK,
		old_root,
		Fr::from(1000 + batch),
		&header.pubdata_hash,
	)
}

fn submit(batch: u64, new_root: [u8; 32], proof: Vec<u8>) -> sp_runtime::DispatchResult {
	Proofs::submit_proof(
		RuntimeOrigin::signed(PROVER),
		batch,
		new_root,
		BoundedVec::try_from(proof).unwrap(),
	)
}

#[test]
fn governance_sets_a_valid_key_for_the_commitment_and_the_prover() {
	new_test_ext(Vec::new()).execute_with(|| {
		let key = trapdoor_key_bytes();
		assert_noop!(
			Proofs::set_key(RuntimeOrigin::signed(1), key.clone()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Proofs::set_key(RuntimeOrigin::root(), b"not a key".to_vec()),
			Error::<Test>::InvalidKey
		);
		// A point off the curve: the key's first coordinate corrupted.
		let mut corrupt = key.clone();
		corrupt[0] ^= 1;
		assert_noop!(
			Proofs::set_key(RuntimeOrigin::root(), corrupt),
			Error::<Test>::InvalidKey
		);
		// A key for one input (without the prover's) or for three.
		for inputs in [1, 3] {
			let mut other = trapdoor_key();
			other.gamma_abc_g1.resize(inputs + 1, other.alpha_g1);
			let mut bytes = Vec::new();
			other.serialize_compressed(&mut bytes).unwrap();
			assert_noop!(
				Proofs::set_key(RuntimeOrigin::root(), bytes),
				Error::<Test>::InvalidKey
			);
		}

		// The key whose setup secret is public (the development key in the runtime).
		assert_noop!(
			Proofs::set_key(RuntimeOrigin::root(), PublicKeyOfTests::get()),
			Error::<Test>::PublicSetupKey
		);

		assert_ok!(Proofs::set_key(RuntimeOrigin::root(), key.clone()));
		assert_eq!(Proofs::key(), Some(trapdoor_key()));
		System::assert_last_event(
			Event::KeySet {
				key_hash: sp_io::hashing::blake2_256(&key),
			}
			.into(),
		);
	});
}

#[test]
fn batches_are_proven_in_order_and_chain_their_roots_and_sync_hashes() {
	new_test_ext(trapdoor_key_bytes()).execute_with(|| {
		seal(2);
		let first = commitment(1, EMPTY_ACCOUNT_TREE_ROOT);
		assert_ok!(submit(
			1,
			root(1),
			trapdoor_proof_bytes(first, &PROVER).into_inner()
		));
		let first_sync = sync_hash(GENESIS_SYNC_HASH, 1, first);
		assert_eq!(LastProven::<Test>::get(), 1);
		assert_eq!(
			Proven::<Test>::get(1),
			Some(ProvenBatch {
				new_root: root(1),
				commitment: fr_to_be_bytes(&first),
				sync_hash: first_sync,
				prover: PROVER,
				proven_at: 1,
			})
		);
		System::assert_last_event(
			Event::BatchProven {
				batch: 1,
				new_root: root(1),
				commitment: fr_to_be_bytes(&first),
				sync_hash: first_sync,
				prover: PROVER,
			}
			.into(),
		);
		assert_eq!(Balances::balance(&PROVER), REWARD);

		// Batch 2 starts from batch 1's root: a proof from the empty root is refused.
		let from_empty = commitment(2, EMPTY_ACCOUNT_TREE_ROOT);
		assert_noop!(
			submit(
				2,
				root(2),
				trapdoor_proof_bytes(from_empty, &PROVER).into_inner()
			),
			Error::<Test>::InvalidProof
		);
		let second = commitment(2, Fr::from(1001u64));
		assert_ok!(submit(
			2,
			root(2),
			trapdoor_proof_bytes(second, &PROVER).into_inner()
		));
		assert_eq!(
			Proofs::expected_sync_hash(2),
			Some(sync_hash(first_sync, 2, second))
		);
		assert_eq!(Balances::balance(&PROVER), 2 * REWARD);
	});
}

#[test]
fn every_refused_proof_says_why_and_changes_nothing() {
	new_test_ext(Vec::new()).execute_with(|| {
		let proof =
			|batch| trapdoor_proof_bytes(commitment(batch, EMPTY_ACCOUNT_TREE_ROOT), &PROVER);
		assert_noop!(submit(1, root(1), vec![0; 128]), Error::<Test>::NotSealed);
		seal(2);
		assert_noop!(
			submit(1, root(1), proof(1).into_inner()),
			Error::<Test>::NoKey
		);
		assert_ok!(Proofs::set_key(RuntimeOrigin::root(), trapdoor_key_bytes()));
		assert_noop!(
			Proofs::submit_proof(RuntimeOrigin::none(), 1, root(1), proof(1)),
			DispatchError::BadOrigin
		);
		assert_noop!(
			submit(2, root(2), proof(2).into_inner()),
			Error::<Test>::NotNextBatch
		);
		assert_noop!(
			submit(1, [0xff; 32], proof(1).into_inner()),
			Error::<Test>::RootNotInField
		);
		assert_noop!(
			submit(1, root(1), vec![0xff; 128]),
			Error::<Test>::MalformedProof
		);
		assert_noop!(
			submit(1, root(1), vec![0; 3]),
			Error::<Test>::MalformedProof
		);
		// A proof of another new root, and a proof of batch 1 offered for another batch's data.
		assert_noop!(
			submit(1, root(9), proof(1).into_inner()),
			Error::<Test>::InvalidProof
		);
		assert_noop!(
			submit(1, root(1), proof(2).into_inner()),
			Error::<Test>::InvalidProof
		);
		assert_eq!(Balances::balance(&PROVER), 0);

		assert_ok!(submit(1, root(1), proof(1).into_inner()));
		assert_noop!(
			submit(1, root(1), proof(1).into_inner()),
			Error::<Test>::AlreadyProven
		);
	});
}

/// The circuit's own key and proof: a deposit batch proven by the circuits crate is accepted
/// by the runtime's verifier, with the root the prover computed, and no other root.
#[test]
fn a_real_proof_of_a_sealed_batch_is_accepted() {
	// The mock's four slots: one deposit and a Noop.
	let key = prover::dev_setup(4, "proofs-pallet-test").unwrap();
	let mut key_bytes = Vec::new();
	key.key.vk.serialize_compressed(&mut key_bytes).unwrap();
	new_test_ext(key_bytes).execute_with(|| {
		let mut builder = BatchBuilder::new(registry_state(), 1, NETWORK, 0, 4);
		let applied = builder.push(&deposit(0), None).unwrap();
		Batches::on_applied(&applied, &BatchContext::new(NETWORK, 0));
		Batches::seal_open_batch();
		let (_, witness) = builder.finish().unwrap();
		let header = pallet_concord_batches::Headers::<Test>::get(1).unwrap();
		assert_eq!(
			header.pubdata_hash,
			sp_io::hashing::sha2_256(&witness.pubdata())
		);
		let new_root = fr_to_be_bytes(&witness.new_root);
		// The same batch proved for another network: its commitment is not this network's.
		let elsewhere = concord_circuits::witness::BatchWitness {
			network: NETWORK + 1,
			..witness.clone()
		};
		let mut elsewhere_bytes = Vec::new();
		let prover_input = prover_input(&PROVER.encode());
		prover::prove(&key, elsewhere, prover_input)
			.unwrap()
			.serialize_compressed(&mut elsewhere_bytes)
			.unwrap();
		assert_noop!(
			submit(1, new_root, elsewhere_bytes),
			Error::<Test>::InvalidProof
		);
		let proof = prover::prove(&key, witness, prover_input).unwrap();
		let mut proof_bytes = Vec::new();
		proof.serialize_compressed(&mut proof_bytes).unwrap();
		// Copied from the pool by another account, the proof verifies for nobody but PROVER:
		// the copier earns nothing.
		let copier = PROVER + 1;
		assert_noop!(
			Proofs::submit_proof(
				RuntimeOrigin::signed(copier),
				1,
				new_root,
				BoundedVec::try_from(proof_bytes.clone()).unwrap(),
			),
			Error::<Test>::InvalidProof
		);
		assert_eq!(Balances::balance(&copier), 0);

		assert_noop!(
			submit(
				1,
				fr_to_be_bytes(&EMPTY_ACCOUNT_TREE_ROOT),
				proof_bytes.clone()
			),
			Error::<Test>::InvalidProof
		);
		assert_ok!(submit(1, new_root, proof_bytes));
		assert_eq!(Proven::<Test>::get(1).unwrap().new_root, new_root);
	});
}
