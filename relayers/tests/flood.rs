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
	eddsa::PrivateKey,
	ops::{eth_sign, ChainId, Deposit, Op, Transfer},
};
use concord_relayer::{
	appchain::Appchain,
	devnet::{
		self, connect_when_up, l2_id_holding, l2_nonce_is, register, reserve_port, set_fee_account,
		signer, start_node, submit_op, ProcessLogs, MIN_FEE, NATIVE_TOKEN, ONE_ETH,
	},
};
use concord_runtime::{configs::MAX_L2_OPS_PER_BLOCK, Header, RuntimeCall};
use pallet_concord_oracle::Attestation;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};
use std::{path::PathBuf, time::Duration};

const ACCOUNTS: u8 = 100;
/// Ops per account: the one the account's nonce allows now and `MaxNonceGap` (16) after it.
const OPS_PER_ACCOUNT: u32 = 17;
const CHAIN: ChainId = ChainId(1);

/// The user accounts' seeds (their Ethereum and L2 keys); the operator is seed 1.
fn seeds() -> impl Iterator<Item = u8> {
	(0..ACCOUNTS).map(|i| 20 + i)
}

fn deposit(priority_id: u64, seed: u8) -> RuntimeCall {
	RuntimeCall::Oracle(pallet_concord_oracle::Call::attest {
		attestation: Attestation::Priority(Op::Deposit(Deposit {
			chain_id: CHAIN,
			priority_id,
			to_address: signer(seed).address().0 .0,
			token: NATIVE_TOKEN,
			amount: ONE_ETH,
		})),
	})
}

async fn best_number(appchain: &Appchain) -> u32 {
	let header: Header = appchain
		.request("chain_getHeader", jsonrpsee::rpc_params![])
		.await
		.unwrap();
	header.number
}

/// Block `number`'s extrinsic hashes and how many of its extrinsics are L2-signed ops.
async fn block_contents(appchain: &Appchain, number: u32) -> Option<(Vec<H256>, usize)> {
	let hash = appchain.block_hash(number).await.ok()?;
	let extrinsics = appchain.extrinsics(hash).await.ok()?;
	let hashes = extrinsics
		.iter()
		.map(|extrinsic| BlakeTwo256::hash(&codec::Encode::encode(extrinsic)))
		.collect();
	let l2_ops = extrinsics
		.iter()
		.filter(|extrinsic| {
			matches!(
				extrinsic.function,
				RuntimeCall::Ledger(
					pallet_concord_ledger::Call::submit { .. }
						| pallet_concord_ledger::Call::change_pubkey { .. }
				)
			)
		})
		.count();
	Some((hashes, l2_ops))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_l2_ops_does_not_delay_the_oracle_provers_or_governance() {
	let work = std::env::temp_dir().join(format!("concord-flood-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&work);
	std::fs::create_dir_all(&work).unwrap();
	let node_log = work.join("node.log");
	let mut logs = ProcessLogs::default();
	logs.add("concord-node --dev", &node_log);
	let rpc_port = reserve_port().unwrap();
	let node_binary: PathBuf = devnet::built_binary("concord-node", "CONCORD_NODE_BIN");
	let mut node = start_node(&node_binary, &work.join("node"), rpc_port, &node_log).unwrap();
	let alice = <sp_core::sr25519::Pair as sp_core::Pair>::from_string("//Alice", None).unwrap();
	let url = format!("ws://127.0.0.1:{rpc_port}");
	let appchain = connect_when_up(&url, alice, Duration::from_secs(90), Some(&mut node))
		.await
		.unwrap();
	register(
		&appchain,
		&[(CHAIN, 31_001, alloy::primitives::Address::repeat_byte(0xc1))],
		Duration::from_secs(60),
	)
	.await
	.unwrap();

	// The operator (the fee account) and the users, funded by deposits the oracle attests.
	let operator = signer(1);
	appchain.submit(deposit(0, 1)).await.unwrap();
	for (index, seed) in seeds().enumerate() {
		appchain
			.submit(deposit(index as u64 + 1, seed))
			.await
			.unwrap();
	}
	let operator_id = logs
		.until("the operator's deposit", Duration::from_secs(60), || {
			l2_id_holding(&appchain, operator.address(), ONE_ETH)
		})
		.await;
	let last_user = signer(seeds().last().unwrap()).address();
	logs.until("every user's deposit", Duration::from_secs(120), || {
		l2_id_holding(&appchain, last_user, ONE_ETH)
	})
	.await;
	set_fee_account(&appchain, operator_id).await.unwrap();
	let mut users = Vec::new();
	for seed in seeds() {
		let owner = signer(seed);
		let (id, _, _) = devnet::l2_account(&appchain, owner.address())
			.await
			.unwrap()
			.unwrap();
		let l2_key = PrivateKey([seed; 32]);
		devnet::change_pubkey(&appchain, &owner, CHAIN, id, &l2_key, 0)
			.await
			.unwrap();
		users.push((id, l2_key));
	}
	// Ops of equal fee leave the pool in no fixed order: wait for every key change, not the last
	// one sent.
	logs.until(
		"every user's L2 key set",
		Duration::from_secs(180),
		|| async {
			for seed in seeds() {
				l2_nonce_is(&appchain, signer(seed).address(), 1).await?;
			}
			Some(())
		},
	)
	.await;

	// The flood: every op valid and paying the minimum fee, all accepted by the pool.
	for (id, l2_key) in &users {
		for nonce in 1..=OPS_PER_ACCOUNT {
			let transfer = Op::Transfer(Transfer {
				from: *id,
				to: operator_id,
				token: NATIVE_TOKEN,
				amount: 1,
				fee: MIN_FEE,
				nonce,
			});
			submit_op(&appchain, l2_key, transfer).await.unwrap();
		}
	}
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
			deposit(u64::from(ACCOUNTS) + 1, 250),
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
		sent.push((what, hash, best_number(&appchain).await));
	}

	let first = sent.iter().map(|(_, _, best)| best + 1).min().unwrap();
	let mut included = Vec::new();
	let mut number = first;
	while included.len() < sent.len() {
		let (hashes, l2_ops) = logs
			.until(&format!("block {number}"), Duration::from_secs(30), || {
				block_contents(&appchain, number)
			})
			.await;
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
	let _ = std::fs::remove_dir_all(&work);
}
