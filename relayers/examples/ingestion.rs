//! Ingestion benchmark: how fast the real dev node takes L2 transfers, side by side with
//! `Balances::transfer_keep_alive` on the same node in the same run.
//!
//! ```text
//! cargo run --locked -p concord-relayer --example ingestion
//! ```
//!
//! Starts `concord-node --dev` (the build cargo made, or `CONCORD_NODE_BIN`), funds 100 L2
//! users by attested deposits and sets their keys, then floods the node twice with the same
//! number of transfers: first `Balances::transfer_keep_alive` from the six dev accounts, then
//! L2 Transfers (17 per user: the nonce that applies now and `MaxNonceGap` after it, the
//! minimum fee). For each it prints how many the pool accepted per second (the client's
//! submission rate, all sent before any is counted) and how many blocks included per second,
//! over at most `WINDOW_BLOCKS` blocks from the first one after the flood started (block
//! timestamps), then their ratio. L2 ops per block are bounded by `MAX_L2_OPS_PER_BLOCK` (one
//! batch: what the provers must keep up with), so the L2 rate is that bound's at most.
//! Stops by itself.

use concord_primitives::ops::ChainId;
use concord_relayer::{
	appchain::Appchain,
	load::{best_number, block_body, fund_users, is_l2_op, submit_transfers, BlockBody, DevNode},
};
use concord_runtime::{
	configs::MAX_L2_OPS_PER_BLOCK, RuntimeCall, EXISTENTIAL_DEPOSIT, MILLI_SECS_PER_BLOCK,
};
use sp_core::{sr25519, Pair};
use std::time::{Duration, Instant};

const USERS: u8 = 100;
/// L2 transfers per user: the nonce that applies now and `MaxNonceGap` (16) after it.
const OPS_PER_USER: u32 = 17;
/// Blocks watched per flood at most.
const WINDOW_BLOCKS: u32 = 20;
const CHAIN: ChainId = ChainId(1);
/// The dev accounts that send the native transfers, each to the next.
const DEV_ACCOUNTS: [&str; 6] = [
	"//Alice",
	"//Bob",
	"//Charlie",
	"//Dave",
	"//Eve",
	"//Ferdie",
];

/// A flood's figures.
struct Rates {
	sent: usize,
	accepted_per_s: f64,
	included: usize,
	included_per_s: f64,
	blocks: u32,
}

/// Counts the calls `counted` of the blocks after `before` until `total` are included or
/// `WINDOW_BLOCKS` blocks passed; the rate is over the blocks' timestamps, from block `before`
/// to the last block that included any, and so are the blocks counted.
async fn watch(
	dev: &DevNode,
	before: u32,
	total: usize,
	counted: impl Fn(&RuntimeCall) -> bool,
) -> (usize, f64, u32) {
	let body = |number| async move {
		dev.logs
			.until(&format!("block {number}"), Duration::from_secs(60), || {
				block_body(&dev.appchain, number)
			})
			.await
	};
	let start: BlockBody = body(before).await;
	let (mut included, mut last, mut last_number) = (0, start.timestamp_ms, before);
	for number in before + 1..=before + WINDOW_BLOCKS {
		if included >= total {
			break;
		}
		let block = body(number).await;
		let count = block.calls.iter().filter(|call| counted(call)).count();
		eprintln!("  block {number}: {count} included");
		if count > 0 {
			included += count;
			(last, last_number) = (block.timestamp_ms, number);
		}
	}
	let seconds = (last - start.timestamp_ms) as f64 / 1000.0;
	(included, included as f64 / seconds, last_number - before)
}

/// `per_account` transfer_keep_alive from each dev account to the next, the accounts sending
/// concurrently; returns how many were sent.
async fn flood_native(url: &str, per_account: usize) -> usize {
	let mut senders = Vec::new();
	for (index, uri) in DEV_ACCOUNTS.iter().enumerate() {
		let pair = sr25519::Pair::from_string(uri, None).unwrap();
		let next = DEV_ACCOUNTS[(index + 1) % DEV_ACCOUNTS.len()];
		let dest = sr25519::Pair::from_string(next, None).unwrap().public();
		let appchain = Appchain::connect(url, Some(pair)).await.unwrap();
		senders.push(tokio::spawn(async move {
			for _ in 0..per_account {
				let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
					dest: sp_runtime::MultiAddress::Id(dest.into()),
					value: EXISTENTIAL_DEPOSIT,
				});
				appchain.submit(call).await.unwrap();
			}
			per_account
		}));
	}
	let mut sent = 0;
	for sender in senders {
		sent += sender.await.unwrap();
	}
	sent
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
	let dev = DevNode::start("ingestion", CHAIN).await;
	let seeds: Vec<u8> = (0..USERS).map(|i| 20 + i).collect();
	eprintln!("funding {USERS} L2 users and setting their keys");
	let funded = fund_users(&dev.appchain, &dev.logs, CHAIN, &seeds).await;
	let total = usize::from(USERS) * OPS_PER_USER as usize;

	eprintln!("flooding with {total} Balances::transfer_keep_alive");
	let before = best_number(&dev.appchain).await;
	let started = Instant::now();
	let sent = flood_native(&dev.url, total.div_ceil(DEV_ACCOUNTS.len())).await;
	let accepted_per_s = sent as f64 / started.elapsed().as_secs_f64();
	let (included, included_per_s, blocks) = watch(&dev, before, sent, |call| {
		matches!(call, RuntimeCall::Balances(_))
	})
	.await;
	let native = Rates {
		sent,
		accepted_per_s,
		included,
		included_per_s,
		blocks,
	};

	eprintln!("flooding with {total} L2 transfers from {USERS} accounts");
	let before = best_number(&dev.appchain).await;
	let started = Instant::now();
	let sent = submit_transfers(&dev.appchain, &funded, 1..=OPS_PER_USER)
		.await
		.unwrap();
	let accepted_per_s = sent as f64 / started.elapsed().as_secs_f64();
	let (included, included_per_s, blocks) = watch(&dev, before, sent, is_l2_op).await;
	let l2 = Rates {
		sent,
		accepted_per_s,
		included,
		included_per_s,
		blocks,
	};

	let bound = f64::from(MAX_L2_OPS_PER_BLOCK) * 1000.0 / MILLI_SECS_PER_BLOCK as f64;
	println!(
		"\nIngestion on the dev node ({} ms blocks)\n",
		MILLI_SECS_PER_BLOCK
	);
	println!(
		"{:<34} {:>6} {:>12} {:>9} {:>12} {:>7}",
		"flood", "sent", "accepted/s", "included", "included/s", "blocks"
	);
	for (name, rates) in [
		("Balances::transfer_keep_alive", &native),
		("L2 Transfer (Ledger::submit)", &l2),
	] {
		println!(
			"{name:<34} {:>6} {:>12.1} {:>9} {:>12.1} {:>7}",
			rates.sent, rates.accepted_per_s, rates.included, rates.included_per_s, rates.blocks
		);
	}
	println!(
		"\nL2 / native, included per second: {:.3} (target ≥ 1.0); accepted per second: {:.3}",
		l2.included_per_s / native.included_per_s,
		l2.accepted_per_s / native.accepted_per_s
	);
	println!(
		"L2 ops per block are bounded by MAX_L2_OPS_PER_BLOCK = {MAX_L2_OPS_PER_BLOCK}: at most \
		 {bound:.1} per second, whatever the node's speed."
	);
	let _ = std::fs::remove_dir_all(&dev.work);
}
