//! Whole-system tests in the mock runtime: a batch's life from a deposit attestation to execute
//! signatures with real Groth16 proofs, and a differential test of the runtime's ledger against
//! the prover's witness path on a random op sequence.

use crate::{mock::*, tests::*, *};
use ark_serialize::CanonicalSerialize;
use codec::Encode;
use concord_circuits::{
	groth16 as prover,
	witness::{BatchBuilder, BatchError},
};
use concord_primitives::{
	commitment::{fr_to_be_bytes, prover_input},
	eddsa::PrivateKey,
	ops::{ChainId, ChangePubKey, Op, SignedOp, Transfer, TransferToNew, Withdraw},
	stf::{self, BatchContext, State, TreeState},
};
use frame_support::{assert_ok, traits::Hooks, weights::Weight};
use pallet_concord_batches::L1Stage;
use pallet_concord_ledger::StorageState;
use sp_runtime::DispatchError;

const CHAINS_ALL: [ChainId; 2] = [ChainId(1), ChainId(2)];

/// The prover's starting state: the mock's registry, no accounts.
fn prover_state() -> TreeState {
	let mut state = TreeState::new();
	for (chain, _, _) in CHAINS {
		state.registry_mut().add_chain(ChainId(chain));
		state
			.registry_mut()
			.register_token(ChainId(chain), 1)
			.unwrap();
	}
	state
}

fn sign(key: &PrivateKey, op: Op) -> SignedOp {
	SignedOp {
		op,
		signature: key.sign(op.signed_message(NETWORK).unwrap()).pack(),
	}
}

/// The Ethereum key with this seed byte, owner of the account deposited to its address.
fn owner(seed: u8) -> k256::ecdsa::SigningKey {
	k256::ecdsa::SigningKey::from_bytes(&[seed; 32].into()).unwrap()
}

fn address(seed: u8) -> [u8; 20] {
	concord_primitives::ops::eth_address(owner(seed).verifying_key())
}

/// Submits an L2-signed op the way a wallet does: ChangePubKey with the owner's (seed
/// `owner_seed`) Ethereum authorization, everything else through `submit`.
fn submit_as(signed: SignedOp, owner_seed: u8) -> Result<(), DispatchError> {
	let origin = || frame_system::RawOrigin::Authorized.into();
	match signed.op {
		Op::ChangePubKey(change) => {
			let eth_signature = concord_primitives::ops::eth_sign(
				&owner(owner_seed),
				&change.eth_message_hash(NETWORK),
			);
			pallet_concord_ledger::Pallet::<Test>::change_pubkey(origin(), signed, eth_signature)
		}
		_ => pallet_concord_ledger::Pallet::<Test>::submit(origin(), signed),
	}
}

fn submit(signed: SignedOp) -> Result<(), DispatchError> {
	submit_as(signed, 0xa1)
}

/// Seals the open batch by letting `SealInterval` blocks pass.
fn seal_open_batch() {
	let now = System::block_number() + 3;
	System::set_block_number(now);
	Batches::on_initialize(now);
}

/// Proves the batch `builder` holds, checks its pubdata is what the appchain sealed, submits
/// the proof and returns the state after it.
fn prove_and_submit(key: &prover::BatchProvingKey, builder: BatchBuilder, batch: u64) -> TreeState {
	let (state, witness) = builder.finish().unwrap();
	let sealed = pallet_concord_batches::Pubdata::<Test>::get(batch).expect("sealed");
	assert_eq!(
		witness.pubdata(),
		sealed.into_inner(),
		"batch {batch}'s pubdata"
	);
	let new_root = fr_to_be_bytes(&witness.new_root);
	const PROVER: u64 = 9;
	let proof = prover::prove(key, witness, prover_input(&PROVER.encode())).unwrap();
	let mut bytes = Vec::new();
	proof.serialize_compressed(&mut bytes).unwrap();
	assert_ok!(Proofs::submit_proof(
		RuntimeOrigin::signed(PROVER),
		batch,
		new_root,
		bytes.try_into().unwrap()
	));
	state
}

#[test]
fn a_batch_lives_from_deposit_attestation_to_execute_signatures() {
	let key = prover::dev_setup(SLOTS as usize, "oracle-lifecycle-test").unwrap();
	let mut vk = Vec::new();
	key.key.vk.serialize_compressed(&mut vk).unwrap();
	new_test_ext(vk).execute_with(|| {
		let (alice, bob) = (address(0xa1), address(0xb0));
		let alice_key = PrivateKey([1; 32]);
		let deposits = [
			deposit_to(ChainId(1), 0, alice, 1_000),
			deposit_to(ChainId(1), 1, bob, 500),
		];
		// The prover follows the same ops.
		let mut builder = BatchBuilder::new(prover_state(), 1, NETWORK, 0, SLOTS as usize);
		for op in deposits {
			attest_all(&[1, 2], Attestation::Priority(op));
			builder.push(&op, None).unwrap();
		}
		let (alice_id, bob_id) = (
			pallet_concord_ledger::AccountIdByAddress::<Test>::get(alice).unwrap(),
			pallet_concord_ledger::AccountIdByAddress::<Test>::get(bob).unwrap(),
		);
		assert_ok!(pallet_concord_ledger::Pallet::<Test>::set_fee_account(
			RuntimeOrigin::root(),
			alice_id
		));
		let set_key = sign(
			&alice_key,
			Op::ChangePubKey(ChangePubKey {
				chain_id: ChainId(1),
				account: alice_id,
				new_pubkey: alice_key.public_key().pack(),
				fee_token: 1,
				fee: 1,
				nonce: 0,
			}),
		);
		let transfer = sign(
			&alice_key,
			Op::Transfer(Transfer {
				from: alice_id,
				to: bob_id,
				token: 1,
				amount: 100,
				fee: 1,
				nonce: 1,
			}),
		);
		for signed in [set_key, transfer] {
			assert_ok!(submit(signed));
			builder.push(&signed.op, Some(signed.signature)).unwrap();
		}
		assert_eq!(
			pallet_concord_batches::LastSealed::<Test>::get(),
			1,
			"4 ops fill batch 1"
		);
		let state = prove_and_submit(&key, builder, 1);

		let withdraw = sign(
			&alice_key,
			Op::Withdraw(Withdraw {
				from: alice_id,
				to_chain: ChainId(2),
				to_address: alice,
				token: 1,
				amount: 50,
				fee: 1,
				nonce: 2,
			}),
		);
		assert_eq!(
			submit(withdraw),
			Err(pallet_concord_ledger::Error::<Test>::InsufficientChainLiquidity.into()),
			"chain 2 holds nothing yet"
		);
		attest_all(
			&[2, 3],
			Attestation::Priority(deposit_to(ChainId(2), 0, bob, 70)),
		);
		assert_ok!(submit(withdraw));
		let mut builder = BatchBuilder::new(state, 2, NETWORK, alice_id, SLOTS as usize);
		builder
			.push(&deposit_to(ChainId(2), 0, bob, 70), None)
			.unwrap();
		builder
			.push(&withdraw.op, Some(withdraw.signature))
			.unwrap();
		seal_open_batch();
		assert_eq!(pallet_concord_batches::LastSealed::<Test>::get(), 2);
		let state = prove_and_submit(&key, builder, 2);

		// A quorum signs each sealed batch's commit; both L1s commit and prove both batches;
		// the oracle syncs them.
		for batch in [1, 2] {
			let pubdata_hash = pallet_concord_batches::Headers::<Test>::get(batch)
				.unwrap()
				.pubdata_hash;
			for member in [2, 3] {
				assert_ok!(Oracle::sign_commit(
					RuntimeOrigin::signed(member),
					batch,
					commit_signatures(member, batch, pubdata_hash, &CHAINS_ALL)
				));
			}
			System::assert_has_event(Event::CommitAuthorized { batch }.into());
			let sync_hash = Proofs::expected_sync_hash(batch).unwrap();
			for chain in CHAINS_ALL {
				attest_all(
					&[1, 2],
					Attestation::Committed {
						chain,
						batch,
						pubdata_hash,
					},
				);
				attest_all(
					&[1, 3],
					Attestation::Proven {
						chain,
						batch,
						sync_hash,
					},
				);
			}
		}
		assert_eq!(LastSynced::<Test>::get(), 2);
		for member in [1, 2] {
			assert_ok!(Oracle::sign_execute(
				RuntimeOrigin::signed(member),
				2,
				execute_signatures(member, 2, &CHAINS_ALL)
			));
		}
		System::assert_has_event(Event::ExecuteAuthorized { batch: 2 }.into());
		let new_root = Proofs::expected_sync_hash(2)
			.map(|_| Proofs::state_after(2).0)
			.unwrap();
		for chain in CHAINS_ALL {
			attest_all(
				&[2, 3],
				Attestation::Executed {
					chain,
					batch: 2,
					new_root: fr_to_be_bytes(&new_root),
				},
			);
			assert_eq!(
				pallet_concord_batches::L1Progress::<Test>::get(chain).last(L1Stage::Executed),
				2
			);
		}

		// Every chain executed batches 1 and 2: idle block space prunes their votes and
		// signatures, and they take no more attestations.
		assert!(Votes::<Test>::iter().count() > 0);
		Oracle::on_idle(System::block_number(), Weight::MAX);
		assert_eq!(LastFinished::<Test>::get(), 2);
		assert_eq!(Votes::<Test>::iter().count(), 0);
		assert_eq!(Values::<Test>::iter().count(), 0);
		assert_eq!(ExecuteSignatures::<Test>::iter().count(), 0);
		assert_eq!(CommitSignatures::<Test>::iter().count(), 0);
		assert_eq!(
			attest(
				3,
				Attestation::Executed {
					chain: ChainId(1),
					batch: 2,
					new_root: fr_to_be_bytes(&new_root)
				}
			),
			Err(Error::<Test>::BatchFinished.into())
		);
		assert_eq!(
			Oracle::sign_execute(
				RuntimeOrigin::signed(3),
				2,
				execute_signatures(3, 2, &CHAINS_ALL)
			)
			.map_err(|error| error.error),
			Err(Error::<Test>::BatchFinished.into())
		);

		// The appchain's ledger and the prover's Merkle state agree, and the state's root is the
		// proven one.
		assert_eq!(state.tree().root(), new_root);
		let storage = StorageState::<Test>::new();
		assert_eq!(storage.balance(alice_id, 1), 1_000 - 100 - 1 - 50 - 1 + 2);
		assert_eq!(storage.balance(bob_id, 1), 500 + 100 + 70);
		assert_eq!(storage.liquidity(ChainId(2), 1), 20);
		assert_same_state(&storage, &state);
	});
}

/// Every account, balance and liquidity of token 1 is the same in both states.
fn assert_same_state(storage: &impl State, tree: &impl State) {
	assert_eq!(storage.next_account_id(), tree.next_account_id());
	for id in 0..storage.next_account_id() {
		assert_eq!(storage.account(id), tree.account(id), "account {id}");
		assert_eq!(
			storage.balance(id, 1),
			tree.balance(id, 1),
			"balance of {id}"
		);
	}
	for chain in CHAINS_ALL {
		assert_eq!(
			storage.liquidity(chain, 1),
			tree.liquidity(chain, 1),
			"liquidity of {chain:?}"
		);
	}
}

/// A deterministic generator (xorshift64*), so that a failure replays.
struct Random(u64);

impl Random {
	fn below(&mut self, bound: u64) -> u64 {
		self.0 ^= self.0 >> 12;
		self.0 ^= self.0 << 25;
		self.0 ^= self.0 >> 27;
		self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
	}
}

/// The same random op sequence (valid ops and overdrafts, replays, wrong signers, withdrawals
/// beyond a chain's liquidity) goes through the runtime's ledger and through the prover's
/// witness builder: both accept and refuse the same ops with the same errors, seal the same
/// pubdata and end in the same state.
#[test]
fn the_runtime_and_the_provers_witness_path_agree_on_random_ops() {
	new_test_ext(Vec::new()).execute_with(|| {
		let mut random = Random(0x00c0_ffee_d15c_0123);
		let keys: Vec<PrivateKey> = (1..=4).map(|i| PrivateKey([i; 32])).collect();
		let address = |i: usize| address(0x10 + i as u8);
		let mut builder = BatchBuilder::new(prover_state(), 1, NETWORK, 0, SLOTS as usize);
		// Account 0, the operator's, collects the fees on both sides.
		let operator = deposit_to(ChainId(1), 0, [0x0f; 20], 0);
		assert_ok!(pallet_concord_ledger::Pallet::<Test>::apply_priority(
			&operator
		));
		builder.push(&operator, None).unwrap();
		assert_ok!(pallet_concord_ledger::Pallet::<Test>::set_fee_account(
			RuntimeOrigin::root(),
			0
		));
		let mut next_priority = [1u64, 0];
		let mut compared = 0;
		let mut rejected = 0;
		// Seals the prover's batch as the runtime sealed its next one, and compares them.
		let seal = |builder: BatchBuilder, compared: &mut u64| {
			let batch = *compared + 1;
			let (state, witness) = builder.finish().unwrap();
			assert_eq!(
				witness.pubdata(),
				pallet_concord_batches::Pubdata::<Test>::get(batch)
					.unwrap()
					.into_inner(),
				"batch {batch}"
			);
			*compared = batch;
			BatchBuilder::new(state, batch + 1, NETWORK, 0, SLOTS as usize)
		};

		for _ in 0..60 {
			let signer = random.below(keys.len() as u64) as usize;
			let signer_id = pallet_concord_ledger::AccountIdByAddress::<Test>::get(address(signer));
			let nonce = signer_id
				.and_then(pallet_concord_ledger::Accounts::<Test>::get)
				.map_or(0, |account| account.nonce)
				+ (random.below(8) == 0) as u32;
			let amount = u128::from(random.below(400));
			let chain = CHAINS_ALL[random.below(2) as usize];
			let choice = random.below(6);
			let (op, signature) = match (choice, signer_id) {
				(0, _) | (_, None) => {
					let index = usize::from(chain.0 - 1);
					let op = deposit_to(chain, next_priority[index], address(signer), amount);
					next_priority[index] += 1;
					(op, None)
				}
				(1, Some(id)) => (
					Op::ChangePubKey(ChangePubKey {
						chain_id: chain,
						account: id,
						new_pubkey: keys[signer].public_key().pack(),
						fee_token: 1,
						fee: 1 + u128::from(random.below(3)),
						nonce,
					}),
					Some(&keys[signer]),
				),
				(2, Some(id)) => (
					Op::TransferToNew(TransferToNew {
						from: id,
						to_address: [0x80 + random.below(100) as u8; 20],
						token: 1,
						amount,
						fee: 1,
						nonce,
					}),
					Some(&keys[signer]),
				),
				(3, Some(id)) => (
					Op::Withdraw(Withdraw {
						from: id,
						to_chain: chain,
						to_address: address(signer),
						token: 1,
						amount,
						fee: 1,
						nonce,
					}),
					Some(&keys[signer]),
				),
				(_, Some(id)) => {
					let to = random.below(u64::from(
						pallet_concord_ledger::NextAccountId::<Test>::get(),
					)) as u32;
					(
						Op::Transfer(Transfer {
							from: id,
							to,
							token: 1,
							amount,
							fee: 1,
							nonce,
						}),
						// Now and then signed by another account's key.
						Some(
							&keys[if random.below(10) == 0 {
								(signer + 1) % keys.len()
							} else {
								signer
							}],
						),
					)
				}
			};

			let (runtime, signature) = match signature {
				None => (
					pallet_concord_ledger::Pallet::<Test>::apply_priority(&op).map(|_| ()),
					None,
				),
				Some(key) => {
					let signed = sign(key, op);
					let runtime = submit_as(signed, 0x10 + signer as u8);
					(runtime, Some(signed.signature))
				}
			};
			let mut witness = builder.push(&op, signature).map(|_| ());
			if let (Ok(()), Err(BatchError::Full { .. })) = (&runtime, &witness) {
				// The ledger sealed the open batch before this op, which it had no room for.
				builder = seal(builder, &mut compared);
				witness = builder.push(&op, signature).map(|_| ());
			}
			if let (Err(_), Err(BatchError::Full { .. })) = (&runtime, &witness) {
				// The runtime refused the op and sealed nothing; the prover's batch has no room
				// for it: the STF on the prover's state must refuse it the same way.
				let mut state = builder.state().clone();
				let mut ctx = BatchContext::new(NETWORK, 0);
				let result = match signature {
					Some(signature) => {
						stf::apply_signed(&mut state, &SignedOp { op, signature }, &mut ctx)
					}
					None => stf::apply(&mut state, &op, &mut ctx),
				};
				witness = result.map(|_| ()).map_err(BatchError::Rejected);
			}
			match (&runtime, &witness) {
				(Ok(()), Ok(())) => {}
				(Err(runtime), Err(BatchError::Rejected(stf))) => {
					rejected += 1;
					assert_eq!(
						*runtime,
						pallet_concord_ledger::Error::<Test>::from(*stf).into(),
						"{op:?}"
					);
				}
				_ => {
					panic!("{op:?}: the runtime says {runtime:?}, the witness builder {witness:?}")
				}
			}
			if let (None, Err(_)) = (signature, &witness) {
				// A refused priority op keeps its id for the next attempt on both sides.
				let index = usize::from(chain.0 - 1);
				next_priority[index] -= 1;
			}
			if pallet_concord_batches::LastSealed::<Test>::get() > compared {
				// The op filled the runtime's batch, which it sealed at once.
				builder = seal(builder, &mut compared);
			}
		}
		assert!(
			pallet_concord_batches::LastSealed::<Test>::get() >= 3,
			"several batches sealed"
		);
		assert!(
			rejected >= 5,
			"the sequence exercises refusals ({rejected})"
		);
		// Both sides seal the last batch, crediting its fees.
		seal_open_batch();
		let (state, _) = builder.finish().unwrap();
		assert_same_state(&StorageState::<Test>::new(), &state);
	});
}
