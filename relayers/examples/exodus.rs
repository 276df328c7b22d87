//! Exodus figures: the exit circuit's constraints, its key setup, one exit proof and its
//! verification, and the time `concord-exit` takes to rebuild the L2 state per 1,000 batches
//! (decoding each batch's pubdata, replaying it and checking its root: what follows reading
//! the calldata, whose time is the L1 endpoint's).
//!
//! ```sh
//! cargo run --locked --release -p concord-relayer --example exodus                 # 1,000 batches
//! CONCORD_BENCH_BATCHES=200 cargo run --locked -p concord-relayer --example exodus  # fewer
//! ```
//!
//! The batches are the devnet's size (16 slots): the first ones deposit to 64 accounts and set
//! their keys, the others are full of transfers between them, each paying a fee, so every
//! batch settles fees too. There was no exit before: the figures have no baseline.

use concord_circuits::{exit::ExitCircuit, groth16};
use concord_primitives::{
	account::AccountId,
	commitment::fr_to_be_bytes,
	eddsa::PrivateKey,
	exit::exit_witness,
	ops::{batch_pubdata, ChainId, ChangePubKey, Deposit, Op, OpType, Transfer},
	stf::{apply, settle_fees, BatchContext, TreeState},
};
use concord_relayer::{devnet::SLOTS, exit};
use std::{
	collections::{BTreeMap, BTreeSet},
	time::{Duration, Instant},
};

const ACCOUNTS: u32 = 64;
const CHAIN: ChainId = ChainId(1);

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
	let start = Instant::now();
	let out = f();
	(out, start.elapsed())
}

/// `count` batches as the appchain would seal them: their pubdata and the root after each
/// (index 0: the genesis root), made with the STF itself.
fn batches(count: u64) -> (TreeState, BTreeMap<u64, Vec<u8>>, Vec<[u8; 32]>) {
	let mut state = TreeState::new();
	state.registry_mut().add_chain(CHAIN);
	state.registry_mut().register_token(CHAIN, 0).unwrap();
	let mut roots = vec![fr_to_be_bytes(&state.tree().root())];
	let mut pubdata = BTreeMap::new();
	let mut deposited = 0u32;
	let mut keyed = 0u32;
	let mut nonces = vec![0u32; ACCOUNTS as usize];
	let mut step = 0u64;
	for batch in 1..=count {
		let mut ctx = BatchContext::new(0, 0);
		let mut applied = Vec::new();
		let mut chunks = 0;
		loop {
			let op = if deposited < ACCOUNTS {
				Op::Deposit(Deposit {
					chain_id: CHAIN,
					priority_id: deposited.into(),
					to_address: [deposited as u8 + 1; 20],
					token: 0,
					amount: 1_000_000_000,
				})
			} else if keyed < ACCOUNTS {
				Op::ChangePubKey(ChangePubKey {
					chain_id: CHAIN,
					account: keyed,
					new_pubkey: PrivateKey([keyed as u8 + 1; 32]).public_key().pack(),
					fee_token: 0,
					fee: 1,
					nonce: 0,
				})
			} else {
				step += 1;
				let from = (step * 7 % u64::from(ACCOUNTS)) as AccountId;
				let to = (from + 1 + (step % u64::from(ACCOUNTS - 1)) as AccountId) % ACCOUNTS;
				Op::Transfer(Transfer {
					from,
					to,
					token: 0,
					amount: 10,
					fee: 1,
					nonce: nonces[from as usize],
				})
			};
			let needed = op.op_type().chunks();
			if chunks + needed > SLOTS {
				break;
			}
			let op_applied = apply(&mut state, &op, &mut ctx).expect("a valid op");
			match op {
				Op::Deposit(_) => deposited += 1,
				Op::ChangePubKey(change) => {
					keyed += 1;
					nonces[change.account as usize] += 1;
				}
				Op::Transfer(transfer) => nonces[transfer.from as usize] += 1,
				_ => {}
			}
			chunks += needed;
			applied.push(op_applied);
		}
		settle_fees(&mut state, &mut ctx);
		pubdata.insert(batch, batch_pubdata(0, &applied, SLOTS).expect("fits"));
		roots.push(fr_to_be_bytes(&state.tree().root()));
	}
	(state, pubdata, roots)
}

fn main() {
	let count: u64 = std::env::var("CONCORD_BENCH_BATCHES")
		.ok()
		.and_then(|n| n.parse().ok())
		.unwrap_or(1_000);

	let constraints = ExitCircuit::constraints();
	let (key, setup) = timed(|| groth16::dev_exit_setup("bench").unwrap());

	println!("generating {count} batches of {SLOTS} slots…");
	let ((state, pubdata, roots), generated) = timed(|| batches(count));
	let witness = exit_witness(state.tree(), 5, 0, CHAIN.0).unwrap();
	let (proof, prove) = timed(|| groth16::prove_exit(&key, witness).unwrap());
	let (valid, verify) = timed(|| groth16::verify_exit(&key.vk, &witness.claim, &proof));
	assert!(valid);

	let keep = BTreeSet::from([count]);
	let (rebuilt, rebuild) = timed(|| {
		exit::rebuild(CHAIN.0, &pubdata, &roots, &keep, &mut |_| {}).expect("every root matches")
	});
	assert_eq!(
		rebuilt.states[&count].tree().root(),
		state.tree().root(),
		"the rebuilt state is the sealed one"
	);
	let per_thousand = rebuild.as_secs_f64() * 1000.0 / count as f64;

	println!();
	println!("| exodus figure | now | before |");
	println!("|---|---|---|");
	println!("| exit circuit constraints | {constraints} | — (no exit) |");
	println!("| exit key setup | {setup:.1?} | — |");
	println!("| exit proof | {prove:.1?} | — |");
	println!("| exit proof verification (native) | {verify:.1?} | — |");
	println!(
		"| state rebuild, {count} batches of {SLOTS} slots (generated in {generated:.1?}) | {rebuild:.1?}: {per_thousand:.1} s per 1,000 batches | — |"
	);
	println!();
	println!(
		"Ops per batch: 5 deposits (3 chunks each) while the {ACCOUNTS} accounts are created, 4 key changes (4 chunks) while they set their keys, then {} transfers.",
		SLOTS / OpType::Transfer.chunks()
	);
}
