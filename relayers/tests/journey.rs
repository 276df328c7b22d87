//! The relayer end to end, with real components: the dev node (`concord-node --dev`), two
//! anvil chains with the rollup contract and the generated verifier of the dev key, and the
//! `concord-relayer` binary with every role. A deposit on chain A reaches L2; a ChangePubKey,
//! a transfer and a withdrawal to chain B go through commit → prove → oracle sync → execute on
//! both chains; the user claims on chain B; balances are checked on both L1s and on L2.
//!
//! Faults along the way: a deposit undone by an L1 reorg shallower than the confirmation depth
//! must never reach L2; the relayer is killed (SIGKILL) and restarted once the first batch is
//! committed; chain B's anvil is killed and restarted from its state file while batches are
//! in flight; and chain B's `proveBatches` transactions are front-run by another sender so
//! that the relayer's one reverts: it must report the revert and carry on.

use alloy::{
	primitives::{Address, Bytes, U256},
	providers::{DynProvider, Provider},
	rpc::types::TransactionRequest,
	signers::local::PrivateKeySigner,
};
use concord_contracts::{anvil::Anvil, bindings::ConcordRollup};
use concord_primitives::{
	eddsa::PrivateKey,
	ops::{ChainId, Op, TransferToNew, Withdraw},
};
use concord_relayer::{
	appchain::Appchain,
	devnet::{
		self, connect_when_up, deploy_and_register, deposit_native, dev_exit_keys, dev_keys,
		member_addresses, relayer_config, reserve_port, set_fee_account, signer, start_node,
		submit_op, DeployedChain, Process, ProcessLogs, RelayerSetup, Verifiers, ALL_ROLES,
		DEVNET_EVM_CHAIN_IDS, MIN_FEE, NATIVE_TOKEN, ONE_ETH, ORACLE_KEY, SOLE_PROVER,
	},
};
use std::{
	path::{Path, PathBuf},
	process::Command,
	time::Duration,
};

const ETH: u16 = NATIVE_TOKEN;
const EVM_CHAIN_A: u64 = DEVNET_EVM_CHAIN_IDS[0];
const EVM_CHAIN_B: u64 = DEVNET_EVM_CHAIN_IDS[1];

fn scratch(name: &str) -> PathBuf {
	let dir = std::env::temp_dir().join(format!("concord-journey-{name}-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::create_dir_all(&dir).unwrap();
	dir
}

/// The node binary: `CONCORD_NODE_BIN`, else the one `cargo test --workspace` built beside
/// this test.
fn node_binary() -> PathBuf {
	devnet::built_binary("concord-node", "CONCORD_NODE_BIN")
}

fn start_relayer(config: &Path, log: &Path) -> Process {
	devnet::start_relayer(
		Path::new(env!("CARGO_BIN_EXE_concord-relayer")),
		config,
		log,
	)
	.unwrap()
}

fn oracle() -> PrivateKeySigner {
	ORACLE_KEY.parse().unwrap()
}

/// An L2 account at the best block: id, nonce, native coin balance.
async fn l2_account(appchain: &Appchain, address: Address) -> Option<(u32, u32, u128)> {
	devnet::l2_account(appchain, address).await.unwrap()
}

/// Chain B's anvil, kept in a state file so that it can be stopped and started again on its
/// port: a reserved port, which nothing else can take while it is down.
struct RestartableChainB {
	port: u16,
	args: Vec<String>,
}

impl RestartableChainB {
	fn new(work: &Path, block_time: u64) -> RestartableChainB {
		let state = work.join("anvil-b.json");
		let args = [
			"--chain-id",
			&EVM_CHAIN_B.to_string(),
			"--block-time",
			&block_time.to_string(),
			"--state",
			state.to_str().unwrap(),
			"--state-interval",
			"1",
		]
		.map(str::to_owned)
		.to_vec();
		RestartableChainB {
			port: reserve_port().unwrap(),
			args,
		}
	}

	fn start(&self) -> Anvil {
		let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
		Anvil::start_on(self.port, &args).unwrap()
	}
}

/// What both journeys start from: the dev node (Alice signs for governance), the dev key and
/// a scratch directory with every process's log.
struct DevNode {
	keys_dir: PathBuf,
	work: PathBuf,
	/// Every process's log, reported with its name when a step times out.
	net: ProcessLogs,
	/// The node, stopped when this is dropped (or taken).
	node: Option<Process>,
	url: String,
	appchain: Appchain,
	relayer_log: PathBuf,
}

impl DevNode {
	async fn start(name: &str) -> DevNode {
		let keys_dir = dev_keys().unwrap();
		let work = scratch(name);
		let relayer_log = work.join("relayer.log");
		let node_log = work.join("node.log");
		let mut net = ProcessLogs::default();
		net.add("concord-node --dev", &node_log);
		net.add("concord-relayer", &relayer_log);
		let rpc_port = reserve_port().unwrap();
		let mut node = start_node(&node_binary(), &work.join("node"), rpc_port, &node_log).unwrap();
		let url = format!("ws://127.0.0.1:{rpc_port}");
		let alice =
			<sp_core::sr25519::Pair as sp_core::Pair>::from_string("//Alice", None).unwrap();
		let appchain = connect_when_up(&url, alice, Duration::from_secs(90), Some(&mut node))
			.await
			.unwrap();
		DevNode {
			keys_dir,
			work,
			net,
			node: Some(node),
			url,
			appchain,
			relayer_log,
		}
	}

	/// Waits up to `timeout` until `who`'s L2 account holds exactly `amount` of the coin
	/// (`what` names the step); returns its id.
	async fn account_holding(
		&self,
		what: &str,
		who: Address,
		amount: u128,
		timeout: Duration,
	) -> u32 {
		self.net
			.until(what, timeout, || {
				devnet::l2_id_holding(&self.appchain, who, amount)
			})
			.await
	}

	/// The operator deposits 1 ETH on chain A and `operator_on_b` on chain B, the user 2 ETH
	/// on chain A; once both reach L2, the operator's account collects the fees. Returns the
	/// user's account id.
	async fn fund(
		&self,
		[chain_a, chain_b]: [&DeployedChain; 2],
		operator: &PrivateKeySigner,
		user: &PrivateKeySigner,
		operator_on_b: u128,
	) -> u32 {
		for (chain, who, amount) in [
			(chain_a, operator, ONE_ETH),
			(chain_b, operator, operator_on_b),
			(chain_a, user, 2 * ONE_ETH),
		] {
			deposit_native(chain, who.address(), amount).await.unwrap();
		}
		let operator_id = self
			.account_holding(
				"the operator's deposits reach L2",
				operator.address(),
				ONE_ETH + operator_on_b,
				Duration::from_secs(120),
			)
			.await;
		let user_id = self
			.account_holding(
				"the user's deposit on chain A reaches L2",
				user.address(),
				2 * ONE_ETH,
				Duration::from_secs(60),
			)
			.await;
		set_fee_account(&self.appchain, operator_id).await.unwrap();
		user_id
	}

	/// Makes `l2_key` the L2 key of `owner`'s account `id` (first seen on chain 1) and waits
	/// until that applied.
	async fn set_l2_key(&self, owner: &PrivateKeySigner, id: u32, l2_key: &PrivateKey) {
		devnet::change_pubkey(&self.appchain, owner, ChainId(1), id, l2_key, 0)
			.await
			.unwrap();
		self.wait_nonce("the key change applied", owner.address(), 1)
			.await;
	}

	/// Waits until `who`'s L2 nonce is `nonce` (`what` names the step).
	async fn wait_nonce(&self, what: &str, who: Address, nonce: u32) {
		self.net
			.until(what, Duration::from_secs(30), || {
				devnet::l2_nonce_is(&self.appchain, who, nonce)
			})
			.await
	}

	/// Governance proposes `action` for `chain`'s contract at governance nonce 0, and it is
	/// finalized.
	async fn propose(&self, chain: u8, action: pallet_concord_oracle::L1Action) {
		let call = pallet_concord_oracle::Call::propose_l1_action {
			chain: ChainId(chain),
			nonce: 0,
			action,
		};
		devnet::sudo(
			&self.appchain,
			"the L1 action proposed",
			concord_runtime::RuntimeCall::Oracle(call),
			Duration::from_secs(60),
			|at| async move { self.appchain.l1_action(ChainId(chain), 0, at).await.ok()? },
		)
		.await
		.unwrap();
	}

	/// The member's operator reviews the L1 action proposed for `chain` at nonce 0
	/// (`l1-action show`, no signature yet) and signs the digest it printed (`l1-action
	/// sign`, with the relayer configuration `config`), and the signature is finalized.
	/// Returns what `sign` printed.
	async fn review_and_sign(&self, config: &Path, chain: u8) -> String {
		let (code, out) = l1_action(config, "show", chain, &[]);
		assert_eq!(code, Some(0), "{out}");
		assert!(out.contains("signed by 0 of 1 members"), "{out}");
		let digest = out
			.lines()
			.find_map(|line| line.strip_prefix("digest "))
			.unwrap()
			.to_owned();
		let (code, out) = l1_action(config, "sign", chain, &["--digest", &digest]);
		assert_eq!(code, Some(0), "{out}");
		self.net
			.until(
				"the member's signature stored",
				Duration::from_secs(60),
				|| async {
					let at = self.appchain.finalized().await.ok()?.hash;
					let signed = self
						.appchain
						.l1_action_signatures(ChainId(chain), 0, at)
						.await
						.ok()?;
					(!signed.is_empty()).then_some(())
				},
			)
			.await;
		out
	}

	/// Chains A and B on `anvils` (the dev oracle, `users` funded), registered on the
	/// appchain, and the relayer's configuration with every role written to `relayer.toml`:
	/// both chains, the configuration's path and the relayer's metrics port.
	async fn chains(
		&self,
		anvils: [&Anvil; 2],
		users: &[PrivateKeySigner],
	) -> ([DeployedChain; 2], PathBuf, u16) {
		let exit_keys = self.work.join("exit-keys");
		dev_exit_keys(&exit_keys).unwrap();
		let verifiers = Verifiers::of_keys(&self.keys_dir, &exit_keys).unwrap();
		let [chain_a, chain_b] = deploy_and_register(
			&self.appchain,
			anvils,
			&verifiers,
			(member_addresses(1), 1),
			users,
			Duration::from_secs(60),
		)
		.await
		.unwrap();
		let store_dir = self.work.join("prover-store");
		let setup = RelayerSetup {
			member: 0,
			roles: &ALL_ROLES,
			prover_dirs: Some((&self.keys_dir, &store_dir)),
			prover_pool: SOLE_PROVER,
			metrics_port: reserve_port().unwrap(),
		};
		let config = self.work.join("relayer.toml");
		let text = relayer_config(&self.url, &setup, &[chain_a.entry, chain_b.entry]);
		std::fs::write(&config, text).unwrap();
		(
			[chain_a.deployed, chain_b.deployed],
			config,
			setup.metrics_port,
		)
	}
}

/// Races the relayer's `proveBatches` on chain B: copies each one seen in anvil's pool and
/// sends it from `racer` with a higher tip, so that it is mined first and the relayer's one
/// reverts. Returns once one race was won.
async fn front_run_proofs(provider: DynProvider, rollup: Address, oracle: Address, racer: Address) {
	let selector = <ConcordRollup::proveBatchesCall as alloy::sol_types::SolCall>::SELECTOR;
	let mut raced = std::collections::HashSet::new();
	loop {
		tokio::time::sleep(Duration::from_millis(20)).await;
		let Ok(pool) = provider
			.raw_request::<_, serde_json::Value>("txpool_content".into(), ())
			.await
		else {
			continue;
		};
		let Some(pending) = pool["pending"].as_object() else {
			continue;
		};
		for (sender, txs) in pending {
			if sender.parse::<Address>().ok() != Some(oracle) {
				continue;
			}
			for tx in txs.as_object().into_iter().flat_map(|txs| txs.values()) {
				let input = tx["input"].as_str().unwrap_or_default().to_owned();
				let to = tx["to"].as_str().and_then(|to| to.parse::<Address>().ok());
				if to != Some(rollup)
					|| !input.starts_with(&format!("0x{}", alloy::hex::encode(selector)))
					|| !raced.insert(input.clone())
				{
					continue;
				}
				let tip = u128::from_str_radix(
					tx["maxPriorityFeePerGas"]
						.as_str()
						.unwrap_or("0x0")
						.trim_start_matches("0x"),
					16,
				)
				.unwrap_or(0);
				let max_fee = u128::from_str_radix(
					tx["maxFeePerGas"]
						.as_str()
						.unwrap_or("0x0")
						.trim_start_matches("0x"),
					16,
				)
				.unwrap_or(0);
				let race = TransactionRequest::default()
					.from(racer)
					.to(rollup)
					.input(input.parse::<Bytes>().unwrap().into())
					.gas_limit(2_000_000)
					.max_priority_fee_per_gas(tip + 5_000_000_000)
					.max_fee_per_gas(max_fee + 10_000_000_000);
				let Ok(sent) = provider.send_transaction(race).await else {
					continue;
				};
				if let Ok(receipt) = sent.get_receipt().await {
					eprintln!(
						"front-run a proveBatches: racer's transaction status {}",
						receipt.status()
					);
					if receipt.status() {
						return;
					}
				}
			}
		}
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deposit_transfer_withdraw_across_two_chains_with_faults() {
	let dev = DevNode::start("net").await;
	let DevNode {
		ref work,
		ref net,
		ref appchain,
		ref relayer_log,
		..
	} = dev;

	// Two L1s with the contracts, registered by governance, and the relayer's configuration.
	let operator = devnet::operator();
	let user = signer(4);
	let recipient = signer(5);
	let racer = signer(6);
	let whale = signer(10);
	let users = [
		operator.clone(),
		user.clone(),
		racer.clone(),
		signer(7),
		whale.clone(),
		oracle(),
	];
	let anvil_a =
		Anvil::start(&["--chain-id", &EVM_CHAIN_A.to_string(), "--block-time", "1"]).unwrap();
	// Chain B is restarted below.
	let restartable_b = RestartableChainB::new(work, 2);
	let anvil_b = restartable_b.start();
	let ([chain_a, chain_b], config, metrics_port) = dev.chains([&anvil_a, &anvil_b], &users).await;
	check_config_errors(&config).await;
	let mut relayer = start_relayer(&config, relayer_log);

	// Fault: an L1 reorg shallower than the confirmations. A deposit is mined on chain A and
	// the chain is reverted to before it at once: the watcher never saw it buried 2 deep, so
	// it must never reach L2 (its priority id goes to the next request).
	let reorged = signer(7);
	let snapshot: U256 = chain_a
		.provider
		.raw_request("evm_snapshot".into(), ())
		.await
		.unwrap();
	deposit_native(&chain_a, reorged.address(), ONE_ETH)
		.await
		.unwrap();
	let reverted: bool = chain_a
		.provider
		.raw_request("evm_revert".into(), (snapshot,))
		.await
		.unwrap();
	assert!(reverted);

	// Deposits: the operator on both chains (its account collects fees; its deposit on B is
	// B's liquidity), the user on A.
	let user_id = dev
		.fund([&chain_a, &chain_b], &operator, &user, 5 * ONE_ETH)
		.await;

	// A deposit the L2 cannot credit (the whale's balance and chain A's ETH reserve would pass
	// u128::MAX) is refunded on chain A, and the deposit after it is credited: the queue moves
	// on. (Anvil refuses a value of u128::MAX itself: two halves.)
	let half = 1u128 << 127;
	let _: () = chain_a
		.provider
		.raw_request(
			"anvil_setBalance".into(),
			(
				whale.address(),
				U256::from(2) * U256::from(half) + U256::from(10 * ONE_ETH),
			),
		)
		.await
		.unwrap();
	for amount in [half, half, ONE_ETH] {
		deposit_native(&chain_a, whale.address(), amount)
			.await
			.unwrap();
	}
	dev.account_holding(
		"the deposit after the refunded one reaches L2",
		whale.address(),
		half + ONE_ETH,
		Duration::from_secs(120),
	)
	.await;

	// Fault: the relayer is killed once the first batch is committed, and restarted.
	net.until(
		"batch 1 committed on chain A",
		Duration::from_secs(180),
		|| async { (chain_a.rollup.totalCommitted().call().await.ok()? >= 1).then_some(()) },
	)
	.await;
	drop(relayer);
	eprintln!("relayer killed (SIGKILL); restarting");
	relayer = start_relayer(&config, relayer_log);

	// The user's L2 key, authorized by their Ethereum key; a transfer; a withdrawal to B.
	let l2_key = PrivateKey([42; 32]);
	dev.set_l2_key(&user, user_id, &l2_key).await;
	let transfer = Op::TransferToNew(TransferToNew {
		from: user_id,
		to_address: recipient.address().0 .0,
		token: ETH,
		amount: ONE_ETH / 2,
		fee: MIN_FEE,
		nonce: 1,
	});
	submit_op(&appchain, &l2_key, transfer).await.unwrap();
	dev.wait_nonce("the transfer applied", user.address(), 2)
		.await;
	let withdraw = Op::Withdraw(Withdraw {
		from: user_id,
		to_chain: ChainId(2),
		to_address: user.address().0 .0,
		token: ETH,
		amount: ONE_ETH,
		fee: MIN_FEE,
		nonce: 2,
	});
	submit_op(&appchain, &l2_key, withdraw).await.unwrap();
	dev.wait_nonce("the withdrawal applied", user.address(), 3)
		.await;

	// Fault: chain B's proofs are front-run, so one of the relayer's reverts.
	let race = tokio::spawn(front_run_proofs(
		chain_b.provider.clone(),
		*chain_b.rollup.address(),
		oracle().address(),
		racer.address(),
	));

	// Fault: chain B's node goes away for a while and comes back from its state file.
	tokio::time::sleep(Duration::from_secs(4)).await;
	drop(anvil_b);
	eprintln!("chain B's anvil killed");
	tokio::time::sleep(Duration::from_secs(5)).await;
	let _anvil_b = restartable_b.start();
	eprintln!("chain B's anvil restarted from its state");

	// Every batch executed on both chains, the withdrawal credited on B.
	net.until(
		"the withdrawal credited on chain B",
		Duration::from_secs(600),
		|| async {
			let credited = chain_b
				.rollup
				.pendingBalance(user.address(), ETH)
				.call()
				.await
				.ok()?;
			(credited != U256::ZERO).then_some(())
		},
	)
	.await;
	let last_batch = net
		.until(
			"every sealed batch executed on both chains",
			Duration::from_secs(300),
			|| async {
				let at = appchain.finalized().await.ok()?.hash;
				let sealed = appchain.last_sealed(at).await.ok()?;
				let a = chain_a.rollup.totalExecuted().call().await.ok()?;
				let b = chain_b.rollup.totalExecuted().call().await.ok()?;
				(a == sealed && b == sealed).then_some(sealed)
			},
		)
		.await;
	let credited = chain_b
		.rollup
		.pendingBalance(user.address(), ETH)
		.call()
		.await
		.unwrap();
	assert_eq!(
		credited,
		U256::from(ONE_ETH),
		"the withdrawal is credited once on chain B"
	);
	assert_eq!(
		chain_a
			.rollup
			.pendingBalance(user.address(), ETH)
			.call()
			.await
			.unwrap(),
		U256::ZERO,
		"nothing is credited on chain A"
	);
	tokio::time::timeout(Duration::from_secs(120), race)
		.await
		.expect("a proveBatches race was won on chain B")
		.unwrap();

	// The user claims on chain B.
	assert_eq!(
		devnet::claim_native(&chain_b, user.address())
			.await
			.unwrap(),
		U256::from(ONE_ETH)
	);

	// The refund was credited on chain A when its batch executed; the whale claims it.
	assert_eq!(
		chain_a
			.rollup
			.pendingBalance(whale.address(), ETH)
			.call()
			.await
			.unwrap(),
		U256::from(half),
		"the refunded deposit is credited back on chain A"
	);
	assert_eq!(
		devnet::claim_native(&chain_a, whale.address())
			.await
			.unwrap(),
		U256::from(half)
	);

	// L1 custody: A holds the deposits on A it credited; B paid the withdrawal out of the
	// operator's. Each holds besides the request fees of the deposits it kept (the reorged one
	// is gone), apart.
	let held = |chain: &DeployedChain| {
		let provider = chain.provider.clone();
		let address = *chain.rollup.address();
		async move { provider.get_balance(address).await.unwrap() }
	};
	let fees = |chain: &DeployedChain| {
		let rollup = chain.rollup.clone();
		async move { rollup.collectedFees().call().await.unwrap() }
	};
	assert_eq!(fees(&chain_a).await, U256::from(5 * devnet::REQUEST_FEE));
	assert_eq!(fees(&chain_b).await, U256::from(devnet::REQUEST_FEE));
	assert_eq!(
		held(&chain_a).await,
		U256::from(half + 4 * ONE_ETH + 5 * devnet::REQUEST_FEE)
	);
	assert_eq!(
		held(&chain_b).await,
		U256::from(4 * ONE_ETH + devnet::REQUEST_FEE)
	);

	assert_eq!(
		l2_account(&appchain, reorged.address()).await,
		None,
		"a reorged deposit never reaches L2"
	);

	// L2: the user kept 0.5 less three minimum fees (key change, transfer, withdrawal), the
	// recipient got 0.5, the operator (the fee account) has its 6 and the fees.
	assert_eq!(
		l2_account(&appchain, user.address()).await.unwrap().2,
		ONE_ETH / 2 - 3 * MIN_FEE
	);
	assert_eq!(
		l2_account(&appchain, recipient.address()).await.unwrap().2,
		ONE_ETH / 2
	);
	assert_eq!(
		l2_account(&appchain, operator.address()).await.unwrap().2,
		6 * ONE_ETH + 3 * MIN_FEE
	);

	// The oracle synced every batch; the relayer reported the reverted proof and no audit
	// mismatch.
	let at = appchain.finalized().await.unwrap().hash;
	assert_eq!(appchain.last_synced(at).await.unwrap(), last_batch);
	let metrics = net
		.until(
			"the relayer's metrics show the execution",
			Duration::from_secs(30),
			|| async {
				let text =
					reqwest_text(&format!("http://127.0.0.1:{metrics_port}/metrics")).await?;
				text.contains(&format!(
					"concord_relayer_l1_batch{{chain=\"2\",stage=\"executed\"}} {last_batch}"
				))
				.then_some(text)
			},
		)
		.await;
	assert!(
		metrics.contains("concord_relayer_l1_reverts_total{call=\"proveBatches\",chain=\"2\"}"),
		"the front-run proof's revert is reported:\n{metrics}"
	);
	assert!(
		!metrics.contains("concord_relayer_audit_mismatches_total{"),
		"{metrics}"
	);
	let log = std::fs::read_to_string(&relayer_log).unwrap();
	assert!(
		log.contains("proveBatches reverted"),
		"the revert is logged"
	);
	drop(relayer);
	let _ = std::fs::remove_dir_all(&work);
}

/// `concord-relayer --config config l1-action <step> --chain <chain> --nonce 0 <more>`: exit
/// code and output.
fn l1_action(config: &Path, step: &str, chain: u8, more: &[&str]) -> (Option<i32>, String) {
	let output = Command::new(env!("CARGO_BIN_EXE_concord-relayer"))
		.arg("--config")
		.arg(config)
		.args([
			"l1-action",
			step,
			"--chain",
			&chain.to_string(),
			"--nonce",
			"0",
		])
		.args(more)
		.output()
		.unwrap();
	let text = String::from_utf8_lossy(&output.stdout).into_owned()
		+ &String::from_utf8_lossy(&output.stderr);
	eprintln!("l1-action {step}: {text}");
	(output.status.code(), text)
}

/// Chain B's L1 goes away with a withdrawal to chain A in flight: chain A proves the batch but
/// nothing syncs. Governance removes chain B (`Oracle::remove_chain`): the batch syncs over
/// chain A alone, executes there and the user claims; the ledger refuses withdrawals to chain
/// B. Then chain A's contract drops chain B from its chain set through the L1 governance path:
/// proposed on the appchain, signed by the member with `concord-relayer l1-action sign` and
/// submitted with `l1-action submit`. Last, chain B's L1 comes back and its contract is retired
/// the same way, with the deposit the L2 credited counted as served, so it is never refunded.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_chain_is_removed_and_the_others_sync_and_execute_again() {
	let dev = DevNode::start("dead").await;
	let DevNode {
		ref work,
		ref net,
		ref appchain,
		ref relayer_log,
		..
	} = dev;
	let operator = devnet::operator();
	let user = signer(4);
	let users = [operator.clone(), user.clone(), oracle()];
	let anvil_a =
		Anvil::start(&["--chain-id", &EVM_CHAIN_A.to_string(), "--block-time", "1"]).unwrap();
	// Chain B comes back after its removal.
	let restartable_b = RestartableChainB::new(work, 1);
	let anvil_b = restartable_b.start();
	let ([chain_a, chain_b], config, _) = dev.chains([&anvil_a, &anvil_b], &users).await;
	let relayer = start_relayer(&config, relayer_log);

	// The operator deposits on both chains; its deposit on B reaches L2 before B goes.
	let user_id = dev
		.fund([&chain_a, &chain_b], &operator, &user, ONE_ETH)
		.await;

	// Chain B goes away (for good, as far as anyone can tell).
	drop(anvil_b);
	eprintln!("chain B's anvil stopped");

	let l2_key = PrivateKey([43; 32]);
	dev.set_l2_key(&user, user_id, &l2_key).await;
	let withdraw = |to_chain: u8, nonce: u32| {
		Op::Withdraw(Withdraw {
			from: user_id,
			to_chain: ChainId(to_chain),
			to_address: user.address().0 .0,
			token: ETH,
			amount: ONE_ETH,
			fee: MIN_FEE,
			nonce,
		})
	};
	submit_op(&appchain, &l2_key, withdraw(1, 1)).await.unwrap();
	let withdrawal_batch = net
		.until(
			"the withdrawal sealed",
			Duration::from_secs(120),
			|| async {
				let at = appchain.finalized().await.ok()?.hash;
				for batch in 1..=appchain.last_sealed(at).await.ok()? {
					let pubdata = appchain.sealed_pubdata(batch, at).await.ok()?;
					let (_, ops) = concord_relayer::roles::batch_ops(batch, &pubdata).ok()?;
					// The pubdata carries no L2 nonce: it reads as 0.
					if ops.iter().any(|op| *op.op() == withdraw(1, 0)) {
						return Some(batch);
					}
				}
				None
			},
		)
		.await;

	// Chain A proves the withdrawal's batch, but nothing syncs without chain B.
	net.until(
		"chain A proved the withdrawal's batch",
		Duration::from_secs(300),
		|| async {
			let proven = chain_a.rollup.totalProven().call().await.ok()?;
			(proven >= withdrawal_batch).then_some(())
		},
	)
	.await;
	let at = appchain.finalized().await.unwrap().hash;
	assert!(
		appchain.last_synced(at).await.unwrap() < withdrawal_batch,
		"no batch syncs while chain B is registered and dead"
	);
	assert_eq!(
		chain_a
			.rollup
			.pendingBalance(user.address(), ETH)
			.call()
			.await
			.unwrap(),
		U256::ZERO
	);

	// Governance removes chain B: the batch syncs over chain A alone and executes there.
	devnet::sudo(
		&appchain,
		"chain B removed",
		concord_runtime::RuntimeCall::Oracle(pallet_concord_oracle::Call::remove_chain {
			chain: ChainId(2),
		}),
		Duration::from_secs(60),
		|at| {
			let appchain = &appchain;
			async move {
				let removed = appchain.removed_chains(at).await.ok()?;
				removed
					.iter()
					.any(|(chain, _)| *chain == ChainId(2))
					.then_some(())
			}
		},
	)
	.await
	.unwrap();
	net.until(
		"the withdrawal credited on chain A",
		Duration::from_secs(180),
		|| async {
			let credited = chain_a
				.rollup
				.pendingBalance(user.address(), ETH)
				.call()
				.await
				.ok()?;
			(credited == U256::from(ONE_ETH)).then_some(())
		},
	)
	.await;
	assert_eq!(
		devnet::claim_native(&chain_a, user.address())
			.await
			.unwrap(),
		U256::from(ONE_ETH)
	);
	let refused = submit_op(&appchain, &l2_key, withdraw(2, 2)).await;
	assert!(
		refused.is_err(),
		"a withdrawal to a removed chain is refused: {refused:?}"
	);
	drop(relayer);

	// Chain A's contract drops chain B, authorized by the member through the appchain.
	let only_a = pallet_concord_oracle::L1Action::UpdateChains {
		chain_ids: vec![1].try_into().unwrap(),
	};
	dev.propose(1, only_a).await;
	let (code, out) = l1_action(&config, "submit", 1, &[]);
	assert_eq!(code, Some(1), "{out}");
	assert!(
		out.contains("0 signatures the contract's oracles accept, it needs 1"),
		"{out}"
	);
	// The member signs only the digest it reviewed.
	let other = format!("0x{}", "11".repeat(32));
	let (code, out) = l1_action(&config, "sign", 1, &["--digest", &other]);
	assert_eq!(code, Some(1), "{out}");
	assert!(out.contains("not the one reviewed"), "{out}");
	let out = dev.review_and_sign(&config, 1).await;
	assert!(out.contains("chain 2 was removed from the system"), "{out}");
	let (code, out) = l1_action(&config, "show", 1, &[]);
	assert_eq!(code, Some(0), "{out}");
	assert!(out.contains("signed by 1 of 1 members"), "{out}");
	assert!(out.contains("governance nonce is 0"), "{out}");
	let (code, out) = l1_action(&config, "submit", 1, &[]);
	assert_eq!(code, Some(0), "{out}");
	assert_eq!(chain_a.rollup.chains().call().await.unwrap(), vec![1u8]);
	assert_eq!(chain_a.rollup.governanceNonce().call().await.unwrap(), 1);
	// The nonce is used: the same action cannot be submitted twice.
	let (code, out) = l1_action(&config, "submit", 1, &[]);
	assert_eq!(code, Some(1), "{out}");
	assert!(out.contains("the contract is at 1"), "{out}");

	// Chain B's L1 comes back. Its contract is retired with the requests the L2 applied
	// counted as served, so no exodus refunds the operator's deposit the L2 credited.
	let _anvil_b = restartable_b.start();
	eprintln!("chain B's anvil back from its state");
	let at = appchain.finalized().await.unwrap().hash;
	let served = appchain.next_priority_id(ChainId(2), at).await.unwrap();
	assert_eq!(served, 1, "the operator's deposit on B was applied on L2");
	let retire = pallet_concord_oracle::L1Action::Retire {
		served_up_to: served,
	};
	dev.propose(2, retire).await;
	dev.review_and_sign(&config, 2).await;
	let (code, out) = l1_action(&config, "submit", 2, &[]);
	assert_eq!(code, Some(0), "{out}");
	assert!(chain_b.rollup.exodusMode().call().await.unwrap());
	assert_eq!(
		chain_b.rollup.firstPriorityId().call().await.unwrap(),
		served
	);
	let refund = chain_b
		.rollup
		.cancelOutstandingDeposits(vec![
			concord_contracts::bindings::ConcordRollup::PriorityRequestInfo {
				opType: 1,
				accountId: 0,
				l1Address: operator.address(),
				token: ETH,
				amount: ONE_ETH,
			},
		])
		.call()
		.await;
	assert!(
		refund.is_err(),
		"no refund of a deposit the L2 credited: {refund:?}"
	);
	let _ = std::fs::remove_dir_all(&work);
}

/// `concord-relayer --check` on the journey's configuration and on broken copies of it.
async fn check_config_errors(config: &Path) {
	let text = std::fs::read_to_string(config).unwrap();
	let check = |text: &str| {
		let path = config.with_extension("check.toml");
		std::fs::write(&path, text).unwrap();
		let output = Command::new(env!("CARGO_BIN_EXE_concord-relayer"))
			.arg("--config")
			.arg(&path)
			.arg("--check")
			.output()
			.unwrap();
		(
			output.status.code(),
			String::from_utf8_lossy(&output.stdout).into_owned()
				+ &String::from_utf8_lossy(&output.stderr),
		)
	};
	let (code, out) = check(&text);
	assert_eq!(code, Some(0), "{out}");
	assert!(out.contains("configuration and endpoints OK"), "{out}");
	// Refused before connecting: exit code 2 and the field.
	let (code, out) = check(&text.replace("\"auditor\"]", "\"auditor\", \"miner\"]"));
	assert_eq!(code, Some(2), "{out}");
	assert!(out.contains("unknown variant `miner`"), "{out}");
	// Refused by what the endpoints answer: exit code 1 and what disagrees.
	let wrong_id = text.replacen(
		&format!("evm_chain_id = {EVM_CHAIN_A}"),
		"evm_chain_id = 5",
		1,
	);
	let (code, out) = check(&wrong_id);
	assert_eq!(code, Some(1), "{out}");
	assert!(
		out.contains(&format!(
			"reports EVM chain id {EVM_CHAIN_A}, the config says 5"
		)),
		"{out}"
	);
	let unregistered = text.replacen("id = 2\n", "id = 3\n", 1);
	let (code, out) = check(&unregistered);
	assert_eq!(code, Some(1), "{out}");
	assert!(out.contains("has Concord chain id 2"), "{out}");
}

async fn reqwest_text(url: &str) -> Option<String> {
	alloy::transports::http::reqwest::get(url)
		.await
		.ok()?
		.text()
		.await
		.ok()
}

/// A JSON-RPC proxy on a port the OS chose, in front of chain B's anvil, for the relayer: it
/// forwards every request but, once `refusing` is set, answers an error to any raw transaction
/// calling `executeBatches`. Chain B then commits and proves every batch but executes none.
struct ExecuteRefusingProxy {
	port: u16,
	refusing: std::sync::Arc<std::sync::atomic::AtomicBool>,
	task: tokio::task::JoinHandle<()>,
}

impl Drop for ExecuteRefusingProxy {
	fn drop(&mut self) {
		self.task.abort();
	}
}

impl ExecuteRefusingProxy {
	async fn start(upstream_port: u16) -> ExecuteRefusingProxy {
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let port = listener.local_addr().unwrap().port();
		let refusing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
		let flag = refusing.clone();
		let upstream = format!("http://127.0.0.1:{upstream_port}");
		let task = tokio::spawn(async move {
			let client = alloy::transports::http::reqwest::Client::new();
			loop {
				let Ok((stream, _)) = listener.accept().await else {
					return;
				};
				let (client, upstream, flag) = (client.clone(), upstream.clone(), flag.clone());
				tokio::spawn(async move {
					let _ = Self::serve(stream, client, &upstream, &flag).await;
				});
			}
		});
		ExecuteRefusingProxy {
			port,
			refusing,
			task,
		}
	}

	/// Answers the HTTP/1.1 requests of one connection (kept alive) until it closes.
	async fn serve(
		stream: tokio::net::TcpStream,
		client: alloy::transports::http::reqwest::Client,
		upstream: &str,
		refusing: &std::sync::atomic::AtomicBool,
	) -> std::io::Result<()> {
		use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
		let mut stream = BufReader::new(stream);
		loop {
			let mut length = 0usize;
			loop {
				let mut line = String::new();
				if stream.read_line(&mut line).await? == 0 {
					return Ok(());
				}
				let line = line.trim_end();
				if line.is_empty() {
					break;
				}
				if let Some((name, value)) = line.split_once(':') {
					if name.eq_ignore_ascii_case("content-length") {
						length = value.trim().parse().unwrap_or(0);
					}
				}
			}
			let mut body = vec![0; length];
			stream.read_exact(&mut body).await?;
			let refused = refusing
				.load(std::sync::atomic::Ordering::SeqCst)
				.then(|| Self::refusal(&body))
				.flatten();
			let answer = match refused {
				Some(answer) => answer,
				None => match client
					.post(upstream)
					.header("content-type", "application/json")
					.body(body)
					.send()
					.await
				{
					Ok(response) => response
						.bytes()
						.await
						.map(|b| b.to_vec())
						.unwrap_or_default(),
					Err(_) => return Ok(()),
				},
			};
			let head = format!(
				"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
				answer.len()
			);
			stream.get_mut().write_all(head.as_bytes()).await?;
			stream.get_mut().write_all(&answer).await?;
		}
	}

	/// The error answer to `body` if it sends a raw transaction calling `executeBatches`.
	fn refusal(body: &[u8]) -> Option<Vec<u8>> {
		use alloy::{consensus::Transaction as _, eips::Decodable2718};
		let request: serde_json::Value = serde_json::from_slice(body).ok()?;
		if request["method"] != "eth_sendRawTransaction" {
			return None;
		}
		let raw = hex::decode(request["params"][0].as_str()?.trim_start_matches("0x")).ok()?;
		let tx = alloy::consensus::TxEnvelope::decode_2718(&mut &raw[..]).ok()?;
		let selector = <ConcordRollup::executeBatchesCall as alloy::sol_types::SolCall>::SELECTOR;
		if !tx.input().starts_with(&selector) {
			return None;
		}
		let answer = serde_json::json!({
			"jsonrpc": "2.0",
			"id": request["id"],
			"error": {"code": -32000, "message": "the test's proxy refuses executeBatches"},
		});
		Some(answer.to_string().into_bytes())
	}
}

/// `concord-exit` with `args`: its exit status and everything it printed.
fn concord_exit(args: &[&str]) -> (Option<i32>, String) {
	let output = Command::new(env!("CARGO_BIN_EXE_concord-exit"))
		.args(args)
		.output()
		.unwrap();
	let text = format!(
		"{}{}",
		String::from_utf8_lossy(&output.stdout),
		String::from_utf8_lossy(&output.stderr)
	);
	eprintln!("concord-exit {}:\n{text}", args.join(" "));
	(output.status.code(), text)
}

/// Moves `chain`'s clock `seconds` on and mines a block.
async fn advance(chain: &DeployedChain, seconds: u64) {
	concord_contracts::anvil::advance_time(&chain.provider, seconds)
		.await
		.unwrap();
}

/// Sends `call` and waits until it is mined successfully.
async fn mined<D: alloy::contract::CallDecoder>(
	call: alloy::contract::CallBuilder<&DynProvider, D>,
) {
	let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
	assert!(receipt.status());
}

/// Exodus from L1 data alone. Users hold balances from deposits on both chains and an L2
/// transfer; chain B commits and proves every batch but executes none from Bob's deposit on
/// (its relayer's `executeBatches` is refused), while chain A executes them all, Alice's
/// withdrawal to A included. The relayer and the node are killed; exodus is activated on both
/// chains; in the grace, chain B executes the batches it lagged with the quorum's signatures
/// saved from the appchain, so no refund on B repays Bob's deposit (which the L2 credited);
/// then every user rebuilds the state from chain A's calldata and exits on both chains: what
/// each receives is its L2 balance at the exodus root, less at most a unit of rounding per
/// chain; a second exit is refused, and each chain still holds what it owes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exodus_returns_every_balance_from_l1_data_alone() {
	let mut dev = DevNode::start("exodus").await;
	let work = dev.work.clone();
	let operator = devnet::operator();
	let alice = signer(4);
	let bob = signer(5);
	let users = [operator.clone(), alice.clone(), bob.clone(), oracle()];
	let anvil_a =
		Anvil::start(&["--chain-id", &EVM_CHAIN_A.to_string(), "--block-time", "1"]).unwrap();
	let anvil_b =
		Anvil::start(&["--chain-id", &EVM_CHAIN_B.to_string(), "--block-time", "1"]).unwrap();
	let ([chain_a, chain_b], config, _) = dev.chains([&anvil_a, &anvil_b], &users).await;
	let proxy = ExecuteRefusingProxy::start(anvil_b.port()).await;
	let text = std::fs::read_to_string(&config).unwrap();
	let direct = format!("http://127.0.0.1:{}\"", anvil_b.port());
	assert!(text.contains(&direct));
	std::fs::write(
		&config,
		text.replace(&direct, &format!("http://127.0.0.1:{}\"", proxy.port)),
	)
	.unwrap();
	let relayer = start_relayer(&config, &dev.relayer_log);

	let alice_id = dev
		.fund([&chain_a, &chain_b], &operator, &alice, ONE_ETH / 2)
		.await;
	let l2_key = PrivateKey([44; 32]);
	dev.set_l2_key(&alice, alice_id, &l2_key).await;

	// From here on chain B executes nothing new (an execution already on its way may still
	// land, of batches from before Bob's deposit). Bob deposits 1 ETH there; Alice sends Bob
	// 0.25 ETH and withdraws 0.5 ETH to chain A.
	proxy
		.refusing
		.store(true, std::sync::atomic::Ordering::SeqCst);
	let bob_request = chain_b.rollup.totalPriorityRequests().call().await.unwrap();
	deposit_native(&chain_b, bob.address(), ONE_ETH)
		.await
		.unwrap();
	let bob_id = dev
		.account_holding(
			"Bob's deposit on chain B reaches L2",
			bob.address(),
			ONE_ETH,
			Duration::from_secs(120),
		)
		.await;
	let transfer = Op::Transfer(concord_primitives::ops::Transfer {
		from: alice_id,
		to: bob_id,
		token: ETH,
		amount: ONE_ETH / 4,
		fee: MIN_FEE,
		nonce: 1,
	});
	submit_op(&dev.appchain, &l2_key, transfer).await.unwrap();
	let withdraw = Op::Withdraw(Withdraw {
		from: alice_id,
		to_chain: ChainId(1),
		to_address: alice.address().0 .0,
		token: ETH,
		amount: ONE_ETH / 2,
		fee: MIN_FEE,
		nonce: 2,
	});
	submit_op(&dev.appchain, &l2_key, withdraw).await.unwrap();
	dev.wait_nonce("Alice's withdrawal applied", alice.address(), 3)
		.await;

	// Chain A executes every sealed batch (the withdrawal's included); chain B proves them.
	let last = dev
		.net
		.until(
			"chain A executes every sealed batch",
			Duration::from_secs(600),
			|| async {
				let at = dev.appchain.finalized().await.ok()?.hash;
				let sealed = dev.appchain.last_sealed(at).await.ok()?;
				let open = dev.appchain.has_open_batch(at).await.ok()?;
				let executed = chain_a.rollup.totalExecuted().call().await.ok()?;
				let proven_b = chain_b.rollup.totalProven().call().await.ok()?;
				(!open && executed == sealed && proven_b >= sealed).then_some(sealed)
			},
		)
		.await;
	assert!(
		chain_b.rollup.firstPriorityId().call().await.unwrap() <= bob_request,
		"Bob's deposit is unserved on chain B"
	);
	assert!(chain_b.rollup.totalExecuted().call().await.unwrap() < last);
	assert_eq!(
		chain_a
			.rollup
			.pendingBalance(alice.address(), ETH)
			.call()
			.await
			.unwrap(),
		U256::from(ONE_ETH / 2)
	);
	// The L2 balances at the last batch, which will be the exodus root.
	let mut balances = Vec::new();
	for who in [&operator, &alice, &bob] {
		let (id, _, balance) = l2_account(&dev.appchain, who.address()).await.unwrap();
		balances.push((who.address(), id, balance));
	}
	assert_eq!(balances[2].2, ONE_ETH + ONE_ETH / 4);

	// The relayer stops; the quorum's execute signatures for chain B are saved from the node;
	// the node stops. From here on only the L1s are left.
	drop(relayer);
	let rpc_a = format!(
		"http://127.0.0.1:{},{}",
		anvil_a.port(),
		chain_a.rollup.address()
	);
	let rpc_b = format!(
		"http://127.0.0.1:{},{}",
		anvil_b.port(),
		chain_b.rollup.address()
	);
	let signatures = work.join("signatures-b.json");
	let (code, out) = concord_exit(&[
		"signatures",
		"--appchain",
		&dev.url,
		"--l1",
		&rpc_b,
		"--out",
		signatures.to_str().unwrap(),
	]);
	assert_eq!(code, Some(0), "{out}");
	drop(dev.node.take());
	drop(proxy);

	// Exodus on both chains: Bob's deposit waits unexecuted on B; on A, a full exit Alice
	// requests now is never served, nor a deposit Bob makes after it.
	let fee = chain_a.rollup.requestFee().call().await.unwrap();
	mined(
		chain_a
			.rollup
			.requestFullExit(alice_id, ETH)
			.value(fee)
			.from(alice.address()),
	)
	.await;
	let late_deposit = ONE_ETH / 10;
	deposit_native(&chain_a, bob.address(), late_deposit)
		.await
		.unwrap();
	let expiry = chain_a.rollup.priorityExpiry().call().await.unwrap();
	for chain in [&chain_a, &chain_b] {
		advance(chain, expiry + 1).await;
		mined(chain.rollup.activateExodus()).await;
	}

	// Exits wait for the grace, in which chain B catches up with the saved signatures.
	let key = format!("0x{}", hex::encode(oracle().to_bytes()));
	let exit_keys = work.join("exit-keys");
	let exit = |account: u32| {
		let account = account.to_string();
		let (rpc_a, rpc_b, keys, key) =
			(rpc_a.clone(), rpc_b.clone(), exit_keys.clone(), key.clone());
		concord_exit(&[
			"exit",
			"--l1",
			&rpc_a,
			"--l1",
			&rpc_b,
			"--account",
			&account,
			"--token",
			"0",
			"--keys",
			keys.to_str().unwrap(),
			"--key",
			&key,
		])
	};
	let (code, out) = exit(alice_id);
	assert_eq!(code, Some(1), "{out}");
	assert!(
		out.contains("exits and refunds open after the exodus grace"),
		"{out}"
	);
	let (code, out) = concord_exit(&["refunds", "--l1", &rpc_a, "--key", &key]);
	assert_eq!(code, Some(1), "{out}");
	assert!(
		out.contains("exits and refunds open after the exodus grace"),
		"{out}"
	);
	let (code, out) = concord_exit(&[
		"catch-up",
		"--l1",
		&rpc_b,
		"--signatures",
		signatures.to_str().unwrap(),
		"--key",
		&key,
	]);
	assert_eq!(code, Some(0), "{out}");
	assert_eq!(chain_b.rollup.totalExecuted().call().await.unwrap(), last);
	assert_eq!(
		chain_b.rollup.lastExecutedRoot().call().await.unwrap(),
		chain_a.rollup.lastExecutedRoot().call().await.unwrap()
	);
	// Bob's deposit was served by the batches B executed: no refund repays it.
	assert_eq!(
		chain_b.rollup.firstPriorityId().call().await.unwrap(),
		chain_b.rollup.totalPriorityRequests().call().await.unwrap()
	);

	let grace = chain_a.rollup.exodusGrace().call().await.unwrap();
	for chain in [&chain_a, &chain_b] {
		advance(chain, grace + 1).await;
	}
	// Alice's withdrawal is claimed first, so that what the exits pay shows alone.
	devnet::claim_native(&chain_a, alice.address())
		.await
		.unwrap();
	let (code, out) = concord_exit(&["rebuild", "--l1", &rpc_a]);
	assert_eq!(code, Some(0), "{out}");
	assert!(out.contains("every root matches"), "{out}");

	for &(address, id, balance) in &balances {
		let before = [
			chain_a.provider.get_balance(address).await.unwrap(),
			chain_b.provider.get_balance(address).await.unwrap(),
		];
		let (code, out) = exit(id);
		assert_eq!(code, Some(0), "{out}");
		let received = chain_a.provider.get_balance(address).await.unwrap() - before[0]
			+ chain_b.provider.get_balance(address).await.unwrap()
			- before[1];
		let balance = U256::from(balance);
		assert!(
			received <= balance && balance - received <= U256::from(2),
			"account {id} holds {balance} on L2 and received {received}"
		);
	}
	// The requests chain A never served are cancelled from its events: Bob's late deposit is
	// paid back, Alice's full-exit request dropped. Chain B has none left.
	let before = chain_a.provider.get_balance(bob.address()).await.unwrap();
	let (code, out) = concord_exit(&["refunds", "--l1", &rpc_a, "--key", &key]);
	assert_eq!(code, Some(0), "{out}");
	assert!(
		out.contains("1 deposit(s) refunded, 1 full-exit request(s) dropped"),
		"{out}"
	);
	assert_eq!(
		chain_a.provider.get_balance(bob.address()).await.unwrap(),
		before + U256::from(late_deposit)
	);
	let (code, out) = concord_exit(&["refunds", "--l1", &rpc_b, "--key", &key]);
	assert_eq!(code, Some(0), "{out}");
	assert!(out.contains("0 deposit(s) refunded, 0 full-exit"), "{out}");

	// A second exit of the same (account, token) is refused on both chains.
	let (code, out) = exit(alice_id);
	assert_eq!(code, Some(1), "{out}");
	assert_eq!(
		out.matches("has already exited token 0 here").count(),
		2,
		"{out}"
	);

	// Each chain still holds what it owes: pending balances and collected request fees.
	for chain in [&chain_a, &chain_b] {
		let mut owed = chain.rollup.collectedFees().call().await.unwrap();
		for who in &users {
			owed += chain
				.rollup
				.pendingBalance(who.address(), ETH)
				.call()
				.await
				.unwrap();
		}
		let held = chain
			.provider
			.get_balance(*chain.rollup.address())
			.await
			.unwrap();
		assert!(held >= owed, "the contract holds {held}, owes {owed}");
	}
	drop(dev);
	let _ = std::fs::remove_dir_all(&work);
}
