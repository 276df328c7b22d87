//! A flood of valid L2 ops cannot crowd out the oracle, the provers or governance, on the real
//! dev node (`concord-node --dev`, Alice its only validator and oracle member).
//!
//! 100 accounts are funded by deposits the oracle attests and set their L2 keys; then each
//! queues 17 transfers paying the minimum fee (the most the pool holds per account: nonces up
//! to `MaxNonceGap` ahead), 1,700 in all, many blocks' worth at `MAX_L2_OPS_PER_BLOCK`. Right
//! after the flood, Alice sends an oracle attestation, a `sign_commit` and a `submit_proof`:
//! each must be in the next block authored after it (the one after the best block when it
//! was sent, or the one after that if that block was already being authored), while every
//! block keeps taking L2 ops, never more than its bound. (Before fees and admission control, L2
//! ops outranked every signed extrinsic and an attestation waited until the flood was gone.)

use concord_primitives::{
	commitment::commit_digest,
	ops::{eth_sign, ChainId},
};
use concord_relayer::{
	devnet,
	load::{
		attested_deposit, best_number, block_body, fund_users, signed_transfers, submit_all,
		user_seeds, DevNode, OPS_IN_POOL_PER_ACCOUNT,
	},
};
use concord_runtime::{configs::MAX_L2_OPS_PER_BLOCK, RuntimeCall};
use std::time::Duration;

const ACCOUNTS: u8 = 100;
const CHAIN: ChainId = ChainId(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_l2_ops_does_not_delay_the_oracle_provers_or_governance() {
	let dev = DevNode::start("flood", CHAIN).await;
	let (appchain, logs) = (&dev.appchain, &dev.logs);

	// The operator (the fee account) and the users, funded by deposits the oracle attests.
	let funded = fund_users(appchain, logs, CHAIN, &user_seeds(ACCOUNTS)).await;

	// The flood: every op valid and paying the minimum fee, all accepted by the pool.
	let transfers = signed_transfers(&funded, 1..=OPS_IN_POOL_PER_ACCOUNT, appchain.network());
	submit_all(appchain, &transfers).await.unwrap();
	let pending: Vec<serde_json::Value> = appchain
		.request("author_pendingExtrinsics", jsonrpsee::rpc_params![])
		.await
		.unwrap();
	let flood = pending.len();
	assert!(
		flood > 4 * MAX_L2_OPS_PER_BLOCK as usize,
		"the pool holds only {flood} ops: not a flood"
	);

	// The oracle's, the provers' and governance's calls, sent into the flood. The oracle's
	// must be valid (the pool refuses the others); the submit_proof fails at dispatch (no
	// proof exists), what is measured is that it is included. Alice's commit signatures are of
	// batch 1, sealed by the key changes.
	let at = appchain.finalized().await.unwrap().hash;
	let pubdata_hash = appchain.sealed_pubdata_hash(1, at).await.unwrap();
	let oracle_key = devnet::ORACLE_KEY
		.parse::<alloy::signers::local::PrivateKeySigner>()
		.unwrap();
	let oracle_key = k256::ecdsa::SigningKey::from_slice(&oracle_key.to_bytes()[..]).unwrap();
	let commit_signatures: Vec<_> = appchain
		.chains(at)
		.await
		.unwrap()
		.into_iter()
		.map(|(chain, info)| {
			let digest = commit_digest(info.evm_chain_id, &info.contract, 1, pubdata_hash);
			(chain, eth_sign(&oracle_key, &digest))
		})
		.collect();
	let calls = [
		(
			"an oracle attestation",
			attested_deposit(CHAIN, u64::from(ACCOUNTS) + 1, 250),
		),
		(
			"a sign_commit",
			RuntimeCall::Oracle(pallet_concord_oracle::Call::sign_commit {
				batch: 1,
				signatures: commit_signatures.try_into().unwrap(),
			}),
		),
		(
			"a submit_proof",
			RuntimeCall::Proofs(pallet_concord_proofs::Call::submit_proof {
				batch: 1,
				new_root: [0; 32],
				proof: Default::default(),
			}),
		),
	];
	let mut sent = Vec::new();
	for (what, call) in calls {
		let hash = appchain.submit(call).await.unwrap();
		sent.push((what, hash, best_number(appchain).await));
	}

	let first = sent.iter().map(|(_, _, best)| best + 1).min().unwrap();
	let mut included = Vec::new();
	let mut number = first;
	while included.len() < sent.len() {
		let body = logs
			.until(&format!("block {number}"), Duration::from_secs(30), || {
				block_body(appchain, number)
			})
			.await;
		let (hashes, l2_ops) = (&body.hashes, body.l2_ops());
		eprintln!(
			"block {number}: {} extrinsics, {l2_ops} L2 ops",
			hashes.len()
		);
		assert!(
			l2_ops <= MAX_L2_OPS_PER_BLOCK as usize,
			"block {number} took {l2_ops} L2 ops"
		);
		assert!(
			l2_ops > 0,
			"block {number} took no L2 op: the flood stalled"
		);
		for (what, hash, best) in &sent {
			if hashes.contains(hash) {
				assert!(
					number <= best + 2,
					"{what} sent at best block {best} was included in block {number}"
				);
				included.push(*what);
			}
		}
		assert!(
			number <= first + 2,
			"not all included by block {number}: {included:?} of {:?}",
			sent.iter().map(|(what, _, _)| *what).collect::<Vec<_>>()
		);
		number += 1;
	}
}
