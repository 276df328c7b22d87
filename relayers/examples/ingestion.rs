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
//! minimum fee). Each flood is signed first and then handed to the pool by the same
//! concurrent submitters (`load::submit_all`), so "accepted per second" is the rate at which
//! the node validated and pooled them; "included per second" counts what blocks took over
//! their timestamps, from the best block when the flood started to the last block that took
//! any of it (at most `WINDOW_BLOCKS` blocks). L2 ops per block are bounded by
//! `MAX_L2_OPS_PER_BLOCK` (one batch: what the provers must keep up with), so the L2 inclusion
//! rate is at most that bound's, whatever the node's speed. Stops by itself.

use concord_primitives::ops::ChainId;
use concord_relayer::{
	appchain::Appchain,
	load::{
		best_number, block_body, fund_users, is_l2_op, signed_transfers, submit_all, user_seeds,
		BlockBody, DevNode, OPS_IN_POOL_PER_ACCOUNT,
	},
};
use concord_runtime::{
	configs::MAX_L2_OPS_PER_BLOCK, RuntimeCall, EXISTENTIAL_DEPOSIT, MILLI_SECS_PER_BLOCK,
};
use sp_core::{sr25519, Pair};
use std::time::{Duration, Instant};

const USERS: u8 = 100;
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
	let rate = if included == 0 {
		0.0
	} else {
		included as f64 / seconds
	};
	(included, rate, last_number - before)
}

/// `total` transfer_keep_alive signed by the dev accounts (each to the next, as evenly as
/// they divide), in each account's nonce order.
async fn signed_native_transfers(
	url: &str,
	total: usize,
) -> Vec<concord_runtime::UncheckedExtrinsic> {
	let mut extrinsics = Vec::new();
	for (index, uri) in DEV_ACCOUNTS.iter().enumerate() {
		let count = total / DEV_ACCOUNTS.len() + usize::from(index < total % DEV_ACCOUNTS.len());
		let pair = sr25519::Pair::from_string(uri, None).unwrap();
		let next = DEV_ACCOUNTS[(index + 1) % DEV_ACCOUNTS.len()];
		let dest = sr25519::Pair::from_string(next, None).unwrap().public();
		let calls = (0..count)
			.map(|_| {
				RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
					dest: sp_runtime::MultiAddress::Id(dest.into()),
					value: EXISTENTIAL_DEPOSIT,
				})
			})
			.collect();
		let sender = Appchain::connect(url, Some(pair)).await.unwrap();
		extrinsics.extend(sender.sign_all(calls).await.unwrap());
	}
	extrinsics
}

/// Hands `extrinsics` to the pool and watches the blocks take the calls `counted`.
async fn flood(
	dev: &DevNode,
	extrinsics: &[concord_runtime::UncheckedExtrinsic],
	counted: impl Fn(&RuntimeCall) -> bool,
) -> Rates {
	let before = best_number(&dev.appchain).await;
	let started = Instant::now();
	submit_all(&dev.appchain, extrinsics).await.unwrap();
	let accepted_per_s = extrinsics.len() as f64 / started.elapsed().as_secs_f64();
	let (included, included_per_s, blocks) = watch(dev, before, extrinsics.len(), counted).await;
	Rates {
		sent: extrinsics.len(),
		accepted_per_s,
		included,
		included_per_s,
		blocks,
	}
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
	let dev = DevNode::start("ingestion", CHAIN).await;
	let seeds = user_seeds(USERS);
	eprintln!("funding {USERS} L2 users and setting their keys");
	let funded = fund_users(&dev.appchain, &dev.logs, CHAIN, &seeds).await;
	let total = usize::from(USERS) * OPS_IN_POOL_PER_ACCOUNT as usize;

	eprintln!("flooding with {total} Balances::transfer_keep_alive");
	let natives = signed_native_transfers(&dev.url, total).await;
	let native = flood(&dev, &natives, |call| {
		matches!(call, RuntimeCall::Balances(_))
	})
	.await;

	eprintln!("flooding with {total} L2 transfers from {USERS} accounts");
	let transfers = signed_transfers(&funded, 1..=OPS_IN_POOL_PER_ACCOUNT, dev.appchain.network());
	let l2 = flood(&dev, &transfers, is_l2_op).await;

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
}
