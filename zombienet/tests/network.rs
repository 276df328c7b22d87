//! The decentralized parts on a real multi-validator network, spawned by zombienet-sdk (native
//! provider): four validators (Alice, Bob, Charlie, Dave) and an RPC node; a relayer beside
//! each of Alice, Bob and Charlie as its oracle member; two anvil chains whose rollups trust
//! those three members' L1 keys with threshold 2. One network is taken through, in order:
//!
//! 1. blocks finalize on every node;
//! 2. the full journey: deposits on A, a key change, a transfer and a withdrawal to B go
//!    through commit → prove → oracle sync → execute on both chains; the user claims on B;
//! 3. Charlie's validator and relayer are killed: the network keeps finalizing (GRANDPA 3 of
//!    4) and the next batch is synced and executed on both chains with Alice's and Bob's
//!    signatures (the oracle's 2 of 3);
//! 4. meanwhile Charlie's key attests a wrong sync hash for that batch, as a lying relayer
//!    would: the appchain raises the alarm naming Charlie, the wrong value is never
//!    confirmed, and the batch syncs with the sync hash the appchain expects.

use alloy::primitives::U256;
use concord_contracts::anvil::Anvil;
use concord_primitives::{
	eddsa::PrivateKey,
	ops::{ChainId, Op, TransferToNew, Withdraw},
};
use concord_relayer::{
	appchain::Appchain,
	devnet::{
		self, change_pubkey, claim_native, connect_when_up, deploy_and_register, deposit_native,
		dev_keys, l2_id_holding, l2_nonce_is, member_addresses, relayer_config, reserve_port,
		set_fee_account, signer, start_relayer, submit_op, DeployedChain, ProcessLogs,
		RelayerSetup, ALL_ROLES, DEVNET_EVM_CHAIN_IDS, MEMBERS, MIN_FEE, NATIVE_TOKEN, ONE_ETH,
		SOLE_PROVER,
	},
};
use concord_runtime::{Runtime, RuntimeEvent};
use concord_zombienet::{
	kill, node_log, node_names, spawn, ws_url, LocalFileSystem, Network, RPC_NODE, VALIDATORS,
};
use futures::FutureExt;
use pallet_concord_batches::L1Stage;
use pallet_concord_oracle::{AlarmReason, Attestation, Event as OracleEvent, Subject};
use sp_core::{Pair, H256};
use std::{
	panic::AssertUnwindSafe,
	path::{Path, PathBuf},
	time::Duration,
};

const EVM_CHAIN_A: u64 = DEVNET_EVM_CHAIN_IDS[0];
const EVM_CHAIN_B: u64 = DEVNET_EVM_CHAIN_IDS[1];
/// The oracle's L1 threshold: 2 of the 3 members.
const THRESHOLD: u64 = 2;

/// The node binary: `CONCORD_NODE_BIN`, else the one `cargo test --workspace` built.
fn node_binary() -> PathBuf {
	devnet::built_binary("concord-node", "CONCORD_NODE_BIN")
}

/// The relayer binary: `CONCORD_RELAYER_BIN`, else the one `cargo test --workspace` built.
fn relayer_binary() -> PathBuf {
	devnet::built_binary("concord-relayer", "CONCORD_RELAYER_BIN")
}

fn pair(uri: &str) -> sp_core::sr25519::Pair {
	sp_core::sr25519::Pair::from_string(uri, None).unwrap()
}

/// The finalized block number of the node at `url`.
async fn finalized_number(url: &str) -> Option<u32> {
	let appchain = Appchain::connect(url, None).await.ok()?;
	Some(appchain.finalized().await.ok()?.number)
}

/// The oracle events of finalized blocks `from..=to`.
async fn oracle_events(appchain: &Appchain, from: u32, to: u32) -> Vec<OracleEvent<Runtime>> {
	// frame-system keeps its `Events` storage type private: its key is built by hand.
	let key = frame_support::storage::storage_prefix(b"System", b"Events").to_vec();
	let mut events = Vec::new();
	for number in from..=to {
		let at = appchain.block_hash(number).await.unwrap();
		let records: Vec<frame_system::EventRecord<RuntimeEvent, H256>> = appchain
			.storage("events", key.clone(), at)
			.await
			.unwrap()
			.unwrap_or_default();
		events.extend(records.into_iter().filter_map(|record| match record.event {
			RuntimeEvent::Oracle(event) => Some(event),
			_ => None,
		}));
	}
	events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_validators_and_three_oracle_relayers() {
	for binary in [node_binary(), relayer_binary()] {
		assert!(
			binary.exists(),
			"{} is missing: build it (cargo test --workspace builds both binaries)",
			binary.display()
		);
	}
	let work = std::env::temp_dir().join(format!("concord-zombienet-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&work);
	std::fs::create_dir_all(&work).unwrap();
	let network = spawn(&node_binary(), &work.join("network")).await.unwrap();
	let outcome = AssertUnwindSafe(scenario(&network, &work))
		.catch_unwind()
		.await;
	// The nodes go whatever happened; their logs stay in the work directory on failure.
	let _ = network.destroy().await;
	if let Err(panic) = outcome {
		eprintln!("the network's files are in {}", work.display());
		std::panic::resume_unwind(panic);
	}
	let _ = std::fs::remove_dir_all(&work);
}

async fn scenario(network: &Network<LocalFileSystem>, work: &Path) {
	// Every process's log, reported with its name when a step times out.
	let mut logs = ProcessLogs::default();
	for name in node_names() {
		logs.add(
			format!("node {name}"),
			node_log(&work.join("network"), name),
		);
	}
	let relayer_logs: Vec<PathBuf> = ["alice", "bob", "charlie"]
		.iter()
		.map(|name| work.join(format!("relayer-{name}.log")))
		.collect();
	for (name, log) in ["alice", "bob", "charlie"].iter().zip(&relayer_logs) {
		logs.add(format!("relayer of {name}"), log);
	}

	// 1. Every node finalizes.
	let urls: Vec<String> = VALIDATORS
		.iter()
		.chain([&RPC_NODE])
		.map(|name| ws_url(network, name).unwrap())
		.collect();
	for (name, url) in VALIDATORS.iter().chain([&RPC_NODE]).zip(&urls) {
		logs.until(
			&format!("{name} finalized block 3"),
			Duration::from_secs(180),
			|| async { (finalized_number(url).await? >= 3).then_some(()) },
		)
		.await;
	}
	let rpc_url = urls[VALIDATORS.len()].clone();
	let appchain = connect_when_up(&rpc_url, pair("//Alice"), Duration::from_secs(60), None)
		.await
		.unwrap();

	// 2. Two L1s trusting the three members (threshold 2), registered by governance.
	let keys_dir = dev_keys().unwrap();
	let operator = devnet::operator();
	let user = signer(4);
	let recipient = signer(5);
	let exit_keys = work.join("exit-keys");
	devnet::dev_exit_keys(&exit_keys).unwrap();
	let verifiers = devnet::Verifiers::of_keys(&keys_dir, &exit_keys).unwrap();
	let anvil_a =
		Anvil::start(&["--chain-id", &EVM_CHAIN_A.to_string(), "--block-time", "1"]).unwrap();
	let anvil_b =
		Anvil::start(&["--chain-id", &EVM_CHAIN_B.to_string(), "--block-time", "1"]).unwrap();
	let oracle = || (member_addresses(MEMBERS.len()), THRESHOLD);
	let funded = [operator.clone(), user.clone()];
	let [chain_a, chain_b] = deploy_and_register(
		&appchain,
		[&anvil_a, &anvil_b],
		&verifiers,
		oracle(),
		&funded,
		Duration::from_secs(90),
	)
	.await
	.unwrap();
	let chains = [chain_a.entry.clone(), chain_b.entry.clone()];
	let (chain_a, chain_b) = (chain_a.deployed, chain_b.deployed);
	assert_eq!(
		chain_a.rollup.threshold().call().await.unwrap(),
		U256::from(THRESHOLD)
	);

	// A relayer beside each member's validator, reading its own node. Alice's proves and
	// submits; every member watches, signs executions, executes and audits.
	let store_dir = work.join("prover-store");
	let mut relayers = Vec::new();
	for (member, log) in relayer_logs.iter().enumerate() {
		let setup = RelayerSetup {
			member,
			roles: if member == 0 {
				&ALL_ROLES
			} else {
				&["watcher", "executor", "auditor"]
			},
			prover_dirs: (member == 0).then_some((keys_dir.as_path(), store_dir.as_path())),
			prover_pool: SOLE_PROVER,
			metrics_port: reserve_port().unwrap(),
		};
		let config = work.join(format!("relayer-{member}.toml"));
		std::fs::write(&config, relayer_config(&urls[member], &setup, &chains)).unwrap();
		relayers.push(start_relayer(&relayer_binary(), &config, log).unwrap());
	}

	// The journey: deposits (the operator's on B are B's liquidity), the user's L2 key, a
	// transfer and a withdrawal to B.
	deposit_native(&chain_a, operator.address(), ONE_ETH)
		.await
		.unwrap();
	deposit_native(&chain_b, operator.address(), 5 * ONE_ETH)
		.await
		.unwrap();
	deposit_native(&chain_a, user.address(), 2 * ONE_ETH)
		.await
		.unwrap();
	let operator_id = logs
		.until(
			"the operator's deposits reach L2 (2 of 3 members attested each)",
			Duration::from_secs(180),
			|| l2_id_holding(&appchain, operator.address(), 6 * ONE_ETH),
		)
		.await;
	let user_id = logs
		.until(
			"the user's deposit reaches L2",
			Duration::from_secs(60),
			|| l2_id_holding(&appchain, user.address(), 2 * ONE_ETH),
		)
		.await;
	set_fee_account(&appchain, operator_id).await.unwrap();
	let l2_key = PrivateKey([42; 32]);
	change_pubkey(&appchain, &user, ChainId(1), user_id, &l2_key, 0)
		.await
		.unwrap();
	let nonce_is = |nonce: u32| {
		let (appchain, user) = (&appchain, user.address());
		move || l2_nonce_is(appchain, user, nonce)
	};
	logs.until(
		"the key change applied",
		Duration::from_secs(60),
		nonce_is(1),
	)
	.await;
	let transfer = Op::TransferToNew(TransferToNew {
		from: user_id,
		to_address: recipient.address().0 .0,
		token: NATIVE_TOKEN,
		amount: ONE_ETH / 2,
		fee: MIN_FEE,
		nonce: 1,
	});
	// Submits one of the user's ops (with `nonce`) and waits until the ledger applied it.
	let apply = |op: Op, nonce: u32, what: &'static str| {
		let (appchain, l2_key, logs, nonce_is) = (&appchain, &l2_key, &logs, &nonce_is);
		async move {
			submit_op(appchain, l2_key, op).await.unwrap();
			logs.until(what, Duration::from_secs(60), nonce_is(nonce + 1))
				.await;
		}
	};
	apply(transfer, 1, "the transfer applied").await;
	let withdraw = |to_chain: u8, amount: u128, nonce: u32| {
		Op::Withdraw(Withdraw {
			from: user_id,
			to_chain: ChainId(to_chain),
			to_address: user.address().0 .0,
			token: NATIVE_TOKEN,
			amount,
			fee: MIN_FEE,
			nonce,
		})
	};
	apply(withdraw(2, ONE_ETH, 2), 2, "the withdrawal to B applied").await;

	let pending = |chain: &DeployedChain| {
		let rollup = chain.rollup.clone();
		let user = user.address();
		move || {
			let rollup = rollup.clone();
			async move {
				let credited = rollup
					.pendingBalance(user, NATIVE_TOKEN)
					.call()
					.await
					.ok()?;
				(credited != U256::ZERO).then_some(credited)
			}
		}
	};
	let credited = logs
		.until(
			"the withdrawal credited on chain B",
			Duration::from_secs(600),
			pending(&chain_b),
		)
		.await;
	assert_eq!(credited, U256::from(ONE_ETH));
	let all_executed = || {
		let appchain = &appchain;
		let (a, b) = (&chain_a, &chain_b);
		move || async move {
			let at = appchain.finalized().await.ok()?.hash;
			let sealed = appchain.last_sealed(at).await.ok()?;
			let executed_a = a.rollup.totalExecuted().call().await.ok()?;
			let executed_b = b.rollup.totalExecuted().call().await.ok()?;
			(sealed > 0 && executed_a == sealed && executed_b == sealed).then_some(sealed)
		}
	};
	let executed = logs
		.until(
			"every sealed batch executed on both chains",
			Duration::from_secs(300),
			all_executed(),
		)
		.await;

	assert_eq!(
		claim_native(&chain_b, user.address()).await.unwrap(),
		U256::from(ONE_ETH),
		"claimed on B"
	);
	assert_eq!(
		devnet::l2_account(&appchain, recipient.address())
			.await
			.unwrap()
			.unwrap()
			.2,
		ONE_ETH / 2
	);

	// 3. Charlie's validator and relayer die. GRANDPA keeps finalizing with 3 of 4 voters.
	drop(relayers.pop());
	kill(network, "charlie").await.unwrap();
	eprintln!("charlie's validator and relayer killed");
	let finalized = finalized_number(&rpc_url).await.unwrap();
	logs.until(
		"the network finalizes 3 more blocks without charlie",
		Duration::from_secs(120),
		|| async { (finalized_number(&rpc_url).await? >= finalized + 3).then_some(()) },
	)
	.await;

	// The next batch: a withdrawal back to A.
	let batch = executed + 1;
	apply(
		withdraw(1, ONE_ETH / 4, 3),
		3,
		"the withdrawal to A applied",
	)
	.await;

	// 4. Once the appchain proved it, Charlie's key attests a wrong sync hash for it on A.
	let first_block = logs
		.until(
			&format!("batch {batch} proven on the appchain"),
			Duration::from_secs(300),
			|| async {
				let finalized = appchain.finalized().await.ok()?;
				(appchain.last_proven(finalized.hash).await.ok()? >= batch)
					.then_some(finalized.number)
			},
		)
		.await;
	let wrong_sync_hash = [0xba; 32];
	let liar = Appchain::connect(&rpc_url, Some(pair(MEMBERS[2].0)))
		.await
		.unwrap();
	liar.submit(concord_runtime::RuntimeCall::Oracle(
		pallet_concord_oracle::Call::attest {
			attestation: Attestation::Proven {
				chain: ChainId(1),
				batch,
				sync_hash: wrong_sync_hash,
			},
		},
	))
	.await
	.unwrap();

	// The batch is still executed on both chains with the two honest members' signatures.
	logs.until(
		&format!("batch {batch} executed on both chains with 2 of 3 members"),
		Duration::from_secs(600),
		|| async {
			let a = chain_a.rollup.totalExecuted().call().await.ok()?;
			let b = chain_b.rollup.totalExecuted().call().await.ok()?;
			(a >= batch && b >= batch).then_some(())
		},
	)
	.await;
	assert_eq!(
		pending(&chain_a)().await,
		Some(U256::from(ONE_ETH / 4)),
		"the withdrawal to A is credited"
	);

	// The appchain's record: the alarm names Charlie; the confirmed and synced value is the
	// honest one.
	let subject = Subject::Batch {
		chain: ChainId(1),
		batch,
		stage: L1Stage::Proven,
	};
	let last = appchain.finalized().await.unwrap().number;
	// From a few blocks before the proof was seen finalized: no attestation of the subject
	// can precede the proof on the appchain.
	let events = oracle_events(&appchain, first_block.saturating_sub(10), last).await;
	let charlie: concord_runtime::AccountId = pair(MEMBERS[2].0).public().into();
	assert!(
		events.iter().any(|event| matches!(
			event,
			OracleEvent::Alarm { subject: s, reason: AlarmReason::MemberDisagrees, member: Some(m) }
				if *s == subject && *m == charlie
		)),
		"the lie raised the alarm: {events:?}"
	);
	let confirmed: Vec<[u8; 32]> = events
		.iter()
		.filter_map(|event| match event {
			OracleEvent::Confirmed {
				subject: s,
				attestation: Attestation::Proven { sync_hash, .. },
			} if *s == subject => Some(*sync_hash),
			_ => None,
		})
		.collect();
	let synced: Vec<[u8; 32]> = events
		.iter()
		.filter_map(|event| match event {
			OracleEvent::BatchSynced {
				batch: b,
				sync_hash,
			} if *b == batch => Some(*sync_hash),
			_ => None,
		})
		.collect();
	assert_eq!(synced.len(), 1, "{events:?}");
	assert_eq!(confirmed, synced, "the confirmed value is the synced one");
	assert_ne!(synced[0], wrong_sync_hash, "the lie was not confirmed");
	let dispute_free = !events
		.iter()
		.any(|event| matches!(event, OracleEvent::Alarm { reason, .. } if *reason != AlarmReason::MemberDisagrees));
	assert!(dispute_free, "one liar cannot dispute a batch: {events:?}");

	drop(relayers);
}
