use crate::{mock::*, pallet::*};
use concord_primitives::{
	ops::{batch_pubdata, ChainId, Deposit, Op},
	stf::{self, BatchContext, MemoryState},
};
use frame_support::traits::Hooks;
use pallet_concord_ledger::BatchSink;

/// The batches pallet never reads the network id: any will do.
const NETWORK: concord_primitives::ops::NetworkId = 1;

/// Deposits applied by the STF (the only way to get applied ops), `count` of them.
fn deposits(count: u64) -> Vec<concord_primitives::ops::AppliedOp> {
	let mut state = MemoryState::new();
	state.registry_mut().add_chain(ChainId(1));
	state.registry_mut().register_token(ChainId(1), 1).unwrap();
	let mut ctx = BatchContext::new(NETWORK, 0);
	(0..count)
		.map(|id| {
			let op = Op::Deposit(Deposit {
				chain_id: ChainId(1),
				priority_id: id,
				to_address: [id as u8 + 1; 20],
				token: 1,
				amount: 10 + u128::from(id),
			});
			stf::apply(&mut state, &op, &mut ctx).unwrap()
		})
		.collect()
}

fn apply(op: &concord_primitives::ops::AppliedOp, fee_account: u32) {
	Batches::on_applied(op, &BatchContext::new(NETWORK, fee_account));
}

#[test]
fn a_full_batch_is_sealed_at_once_with_the_circuits_pubdata() {
	new_test_ext().execute_with(|| {
		let ops = deposits(3);
		apply(&ops[0], 7);
		assert!(Open::<Test>::get().is_some());
		assert_eq!(LastSealed::<Test>::get(), 0);
		apply(&ops[1], 7);
		assert_eq!(LastSealed::<Test>::get(), 1);
		assert!(Open::<Test>::get().is_none());
		// Two deposits of three chunks fill the mock's six slots.
		let expected = batch_pubdata(7, &ops[..2], 6).unwrap();
		assert_eq!(Pubdata::<Test>::get(1).unwrap().into_inner(), expected);
		let header = Headers::<Test>::get(1).unwrap();
		assert_eq!(header.op_count, 2);
		assert_eq!(header.fee_account, 7);
		assert_eq!(header.pubdata_hash, sp_io::hashing::sha2_256(&expected));
		System::assert_last_event(
			Event::BatchSealed {
				number: 1,
				op_count: 2,
				fee_account: 7,
				pubdata_hash: header.pubdata_hash,
			}
			.into(),
		);
		// The third op opens batch 2.
		apply(&ops[2], 7);
		let open = Open::<Test>::get().unwrap();
		assert_eq!((open.op_count, open.chunks.len()), (1, 3));
	});
}

#[test]
fn a_partial_batch_is_sealed_after_the_interval_with_noop_padding() {
	new_test_ext().execute_with(|| {
		let ops = deposits(1);
		apply(&ops[0], 0);
		for block in 2..4 {
			System::set_block_number(block);
			Batches::on_initialize(block);
			assert_eq!(LastSealed::<Test>::get(), 0, "block {block}");
		}
		System::set_block_number(4);
		Batches::on_initialize(4);
		assert_eq!(LastSealed::<Test>::get(), 1);
		let pubdata = Pubdata::<Test>::get(1).unwrap().into_inner();
		assert_eq!(pubdata, batch_pubdata(0, &ops, 6).unwrap());
		assert!(
			pubdata[16 + 48..].iter().all(|&byte| byte == 0),
			"three Noop chunks"
		);
		assert_eq!(Headers::<Test>::get(1).unwrap().sealed_at, 4);
	});
}

#[test]
fn no_op_no_batch() {
	new_test_ext().execute_with(|| {
		for block in 2..10 {
			Batches::on_initialize(block);
		}
		assert_eq!(LastSealed::<Test>::get(), 0);
		assert!(Headers::<Test>::get(1).is_none());
	});
}

#[test]
fn a_new_fee_account_seals_the_open_batch_first() {
	new_test_ext().execute_with(|| {
		let ops = deposits(2);
		apply(&ops[0], 0);
		apply(&ops[1], 5);
		assert_eq!(LastSealed::<Test>::get(), 1);
		assert_eq!(Headers::<Test>::get(1).unwrap().op_count, 1);
		let open = Open::<Test>::get().unwrap();
		assert_eq!((open.fee_account, open.op_count), (5, 1));
	});
}

#[test]
fn room_is_counted_in_chunks() {
	new_test_ext().execute_with(|| {
		assert!(Batches::has_room(6));
		assert!(!Batches::has_room(7));
		apply(&deposits(1)[0], 0);
		assert!(Batches::has_room(3));
		assert!(!Batches::has_room(4));
	});
}

#[test]
fn l1_stages_only_advance() {
	new_test_ext().execute_with(|| {
		let chain = ChainId(2);
		Batches::note_l1_stage(chain, L1Stage::Committed, 3);
		Batches::note_l1_stage(chain, L1Stage::Proven, 2);
		System::assert_last_event(
			Event::L1StageReached {
				chain,
				stage: L1Stage::Proven,
				batch: 2,
			}
			.into(),
		);
		let events = System::events().len();
		Batches::note_l1_stage(chain, L1Stage::Committed, 1);
		assert_eq!(System::events().len(), events, "a stale stage is no event");
		assert_eq!(
			L1Progress::<Test>::get(chain),
			ChainProgress {
				committed: 3,
				proven: 2,
				executed: 0
			}
		);
		assert_eq!(L1Progress::<Test>::get(ChainId(1)).last(L1Stage::Proven), 0);
	});
}

#[test]
fn every_seal_has_the_batchs_fees_credited_once() {
	new_test_ext().execute_with(|| {
		let ops = deposits(5);
		// Filled: sealed by the op that fills it.
		apply(&ops[0], 7);
		apply(&ops[1], 7);
		assert_eq!(settlements(), 1);
		// Asked by the ledger, for an op that cannot join it.
		apply(&ops[2], 7);
		Batches::seal_open_batch();
		assert_eq!((LastSealed::<Test>::get(), settlements()), (2, 2));
		// Nothing open: nothing sealed, nothing settled.
		Batches::seal_open_batch();
		assert_eq!((LastSealed::<Test>::get(), settlements()), (2, 2));
		// Due.
		apply(&ops[3], 7);
		Batches::on_initialize(System::block_number() + 3);
		assert_eq!((LastSealed::<Test>::get(), settlements()), (3, 3));
	});
}

/// A circuit with fewer slots than the largest op's chunks could never seal that op: the
/// runtime refuses to build (construct_runtime's integrity test runs every pallet's).
#[test]
fn fewer_slots_than_the_largest_op_fail_the_integrity_test() {
	use concord_primitives::ops::OpType;
	<Batches as Hooks<u64>>::integrity_test();
	SlotsPerBatch::set(OpType::MAX_CHUNKS as u32 - 1);
	let refused = std::panic::catch_unwind(<Batches as Hooks<u64>>::integrity_test);
	SlotsPerBatch::set(6);
	let message = refused.expect_err("3 slots pass the integrity test");
	assert_eq!(
		message.downcast_ref::<String>().map(String::as_str),
		Some("SlotsPerBatch 3 is below the 4 chunks of the largest op")
	);
}
