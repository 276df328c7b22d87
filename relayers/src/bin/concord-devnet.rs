//! `concord-devnet`: the whole system on one machine, for development (`scripts/devnet.sh`).
//! Starts the appchain dev node, two anvil chains, sets up the dev proving key (cached),
//! deploys the generated verifier and the rollup on both chains, registers them and their
//! native coin on the appchain, starts a relayer with every role, prints the endpoints and
//! the funded dev accounts, and stops everything on Ctrl-C.

use clap::Parser;
use concord_contracts::anvil::Anvil;
use concord_relayer::devnet::{
	connect_when_up, deploy_and_register, deposit_native, dev_exit_keys, dev_keys, l2_id_holding,
	member_addresses, operator, poll, relayer_config, reserve_port, set_fee_account, start_relayer,
	ChainEntry, DevnetError, Process, RelayerSetup, Verifiers, ALL_ROLES, DEVNET_EVM_CHAIN_IDS,
	MEMBERS, ONE_ETH, ORACLE_KEY,
};
use std::{
	path::{Path, PathBuf},
	process::{Command, ExitCode},
	time::Duration,
};

/// Runs a Concord devnet on loopback ports until Ctrl-C. A port given as 0 is reserved by the
/// devnet (any free one, written to devnet.json).
#[derive(Parser)]
#[command(name = "concord-devnet", version)]
struct Cli {
	/// The appchain node's JSON-RPC port (HTTP and WebSocket).
	#[arg(long, default_value_t = 9944)]
	rpc_port: u16,
	/// The node's p2p port.
	#[arg(long, default_value_t = 30333)]
	p2p_port: u16,
	/// The node's Prometheus port.
	#[arg(long, default_value_t = 9615)]
	node_metrics_port: u16,
	/// Chain A's anvil port (EVM chain id 31001, Concord chain 1).
	#[arg(long, default_value_t = 8545)]
	chain_a_port: u16,
	/// Chain B's anvil port (EVM chain id 31002, Concord chain 2).
	#[arg(long, default_value_t = 8546)]
	chain_b_port: u16,
	/// The relayer's Prometheus port.
	#[arg(long, default_value_t = 9616)]
	metrics_port: u16,
	/// Where the devnet keeps its files (node state, relayer configuration, store and log,
	/// devnet.json); a fresh temporary directory when absent.
	#[arg(long)]
	base_path: Option<PathBuf>,
	/// Provers sharing the batches (batch n goes to prover n mod this): the relayer with every
	/// role, and beside it relayers with only the prover role, each proving as its own
	/// appchain account (Bob, Charlie) with its own log (relayer-prover-<i>.log) and metrics
	/// port (a free one).
	#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=MEMBERS.len() as u64))]
	provers: u64,
}

/// Anvil's development accounts #1 and #2 (10,000 ETH each on both chains), for users.
const USERS: [(&str, &str); 2] = [
	(
		"0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
		"0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
	),
	(
		"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
		"0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
	),
];

fn progress(step: &str) {
	eprintln!("\x1b[1m[devnet]\x1b[0m {step}");
}

/// A binary beside this one (`cargo` puts all of the workspace's binaries together).
fn sibling(name: &str) -> PathBuf {
	let exe = std::env::current_exe().expect("the running binary has a path");
	exe.with_file_name(name)
}

impl Cli {
	/// Each port option's flag and value.
	fn ports(&mut self) -> [(&'static str, &mut u16); 6] {
		[
			("--rpc-port", &mut self.rpc_port),
			("--p2p-port", &mut self.p2p_port),
			("--node-metrics-port", &mut self.node_metrics_port),
			("--chain-a-port", &mut self.chain_a_port),
			("--chain-b-port", &mut self.chain_b_port),
			("--metrics-port", &mut self.metrics_port),
		]
	}

	/// Refuses a port something already listens on (before anything is started) and reserves
	/// a free one for each port given as 0.
	fn resolve_ports(&mut self) -> Result<(), DevnetError> {
		let mut chosen = Vec::new();
		for (flag, port) in self.ports() {
			if *port == 0 {
				*port = reserve_port()?;
			} else if chosen.contains(port) {
				return Err(DevnetError {
					step: "checking the ports".into(),
					reason: format!("{flag} {port} is also given to another option"),
				});
			} else if concord_ports::in_use(*port) {
				return Err(DevnetError {
					step: "checking the ports".into(),
					reason: format!(
						"127.0.0.1:{port} is in use; pass {flag} (0 picks a free port)"
					),
				});
			}
			chosen.push(*port);
		}
		Ok(())
	}
}

fn main() -> ExitCode {
	let mut cli = Cli::parse();
	if let Err(error) = cli.resolve_ports() {
		eprintln!("error: {error}");
		return ExitCode::FAILURE;
	}
	let temporary = cli.base_path.is_none();
	let base = cli.base_path.clone().unwrap_or_else(|| {
		std::env::temp_dir().join(format!("concord-devnet-{}", std::process::id()))
	});
	let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
	// Every process `run` started is stopped when it returns, on failure too.
	let outcome = runtime.block_on(run(&cli, &base));
	// The dev key setup may still run on a blocking thread after an interrupted start.
	runtime.shutdown_timeout(Duration::from_secs(1));
	match outcome {
		Ok(()) => {
			if temporary {
				let _ = std::fs::remove_dir_all(&base);
			}
			ExitCode::SUCCESS
		}
		Err(error) => {
			eprintln!("error: {error}");
			eprintln!(
				"everything the devnet started is stopped; its files and logs (node.log, relayer.log) are in {}",
				base.display()
			);
			ExitCode::FAILURE
		}
	}
}

/// The devnet's processes; dropping them kills them.
struct Running {
	node: Process,
	anvils: Vec<Anvil>,
	/// The relayer with every role first, then the other provers.
	relayers: Vec<Process>,
}

/// Starts the devnet and serves until Ctrl-C or SIGTERM. A signal during the start stops
/// whatever was started so far (the start is dropped, and with it its processes).
async fn run(cli: &Cli, base: &Path) -> Result<(), DevnetError> {
	let signal_error = |error: std::io::Error| DevnetError {
		step: "listening for Ctrl-C and SIGTERM".into(),
		reason: error.to_string(),
	};
	let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
		.map_err(signal_error)?;
	let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
		.map_err(signal_error)?;
	let running = tokio::select! {
		running = start(cli, base) => running?,
		_ = interrupt.recv() => return Err(stopped_during_start()),
		_ = terminate.recv() => return Err(stopped_during_start()),
	};
	tokio::select! {
		_ = interrupt.recv() => {}
		_ = terminate.recv() => {}
	}
	progress("stopping the relayers, the anvils and the node");
	let Running {
		node,
		anvils,
		relayers,
	} = running;
	// All at once, within one grace: a caller that kills the devnet after its own grace (the
	// JS tests' 20 s) must not find a process still stopping.
	std::thread::scope(|scope| {
		for process in relayers.into_iter().chain([node]) {
			scope.spawn(move || process.interrupt(Duration::from_secs(10)));
		}
	});
	drop(anvils);
	Ok(())
}

fn stopped_during_start() -> DevnetError {
	DevnetError {
		step: "starting".into(),
		reason: "interrupted by a signal".into(),
	}
}

async fn start(cli: &Cli, base: &Path) -> Result<Running, DevnetError> {
	let fail = |step: &str| {
		let step = step.to_owned();
		move |error: &dyn std::fmt::Display| DevnetError {
			step: step.clone(),
			reason: error.to_string(),
		}
	};
	std::fs::create_dir_all(base).map_err(|e| fail("creating the base directory")(&e))?;

	progress(&format!(
		"dev proving key ({} slots, INSECURE seed; set up once and cached)",
		concord_relayer::devnet::SLOTS
	));
	let keys_dir = tokio::task::spawn_blocking(dev_keys)
		.await
		.map_err(|e| fail("dev key setup")(&e))??;

	progress(&format!(
		"appchain: concord-node --dev on ws://127.0.0.1:{}",
		cli.rpc_port
	));
	let mut node_command = Command::new(sibling("concord-node"));
	node_command
		.args(["--dev", "--rpc-cors", "all", "--no-telemetry", "--no-mdns"])
		.args(["--rpc-port", &cli.rpc_port.to_string()])
		.args([
			"--listen-addr",
			&format!("/ip4/127.0.0.1/tcp/{}", cli.p2p_port),
		])
		.args(["--prometheus-port", &cli.node_metrics_port.to_string()])
		.arg("--base-path")
		.arg(base.join("node"));
	let mut node = Process::spawn("concord-node", &mut node_command, &base.join("node.log"))?;
	let url = format!("ws://127.0.0.1:{}", cli.rpc_port);
	let alice = <sp_core::sr25519::Pair as sp_core::Pair>::from_string("//Alice", None)
		.expect("a dev seed");
	let appchain = connect_when_up(&url, alice, Duration::from_secs(120), Some(&mut node)).await?;

	progress("L1 chains: anvil A and B, the verifiers (the exit key is set up at every start)");
	let mut anvils = Vec::new();
	for (port, evm_chain_id) in [cli.chain_a_port, cli.chain_b_port]
		.into_iter()
		.zip(DEVNET_EVM_CHAIN_IDS)
	{
		let anvil = Anvil::start_on(
			port,
			&["--chain-id", &evm_chain_id.to_string(), "--block-time", "1"],
		)
		.map_err(|e| fail(&format!("starting anvil on port {port}"))(&e))?;
		anvils.push(anvil);
	}
	let exit_keys_dir = base.join("exit-keys");
	let verifiers = {
		let (keys_dir, exit_keys_dir) = (keys_dir.clone(), exit_keys_dir.clone());
		tokio::task::spawn_blocking(move || {
			dev_exit_keys(&exit_keys_dir)?;
			Verifiers::of_keys(&keys_dir, &exit_keys_dir)
		})
		.await
		.map_err(|e| fail("exit key setup")(&e))??
	};
	progress("deploying and registering both chains and their native coin (token 0)");
	let devnet_chains = deploy_and_register(
		&appchain,
		[&anvils[0], &anvils[1]],
		&verifiers,
		(member_addresses(1), 1),
		&[operator()],
		Duration::from_secs(90),
	)
	.await?;
	let chains: Vec<ChainEntry> = devnet_chains
		.iter()
		.map(|chain| chain.entry.clone())
		.collect();

	progress("relayer (watcher, prover, submitter, executor, auditor)");
	let config = base.join("relayer.toml");
	let store_dir = base.join("prover-store");
	let setup = RelayerSetup {
		member: 0,
		roles: &ALL_ROLES,
		prover_dirs: Some((&keys_dir, &store_dir)),
		prover_pool: (cli.provers, 0),
		metrics_port: cli.metrics_port,
	};
	let text = relayer_config(&url, &setup, &chains);
	std::fs::write(&config, text).map_err(|e| fail("writing the relayer configuration")(&e))?;
	let relayer_log = base.join("relayer.log");
	let mut relayers = vec![start_relayer(
		&sibling("concord-relayer"),
		&config,
		&relayer_log,
	)?];
	let mut provers = vec![ProverEntry {
		account: MEMBERS[0].0,
		log: "relayer.log".into(),
		metrics_port: cli.metrics_port,
	}];
	for index in 1..cli.provers {
		progress(&format!(
			"prover {index} of {} (as {}): relayer-prover-{index}.log",
			cli.provers, MEMBERS[index as usize].0
		));
		let store_dir = base.join(format!("prover-store-{index}"));
		let setup = RelayerSetup {
			member: index as usize,
			roles: &["prover"],
			prover_dirs: Some((&keys_dir, &store_dir)),
			prover_pool: (cli.provers, index),
			metrics_port: reserve_port()?,
		};
		let config = base.join(format!("relayer-prover-{index}.toml"));
		std::fs::write(&config, relayer_config(&url, &setup, &chains))
			.map_err(|e| fail("writing a prover's configuration")(&e))?;
		let log = format!("relayer-prover-{index}.log");
		relayers.push(start_relayer(
			&sibling("concord-relayer"),
			&config,
			&base.join(&log),
		)?);
		provers.push(ProverEntry {
			account: MEMBERS[index as usize].0,
			log,
			metrics_port: setup.metrics_port,
		});
	}

	progress(
		"operator: 10 ETH deposited on each chain (liquidity), its L2 account made the fee account",
	);
	for chain in &devnet_chains {
		deposit_native(&chain.deployed, operator().address(), OPERATOR_DEPOSIT).await?;
	}
	let operator_id = poll(
		"the operator's deposits on L2",
		Duration::from_secs(180),
		|| l2_id_holding(&appchain, operator().address(), 2 * OPERATOR_DEPOSIT),
	)
	.await
	.ok_or_else(|| DevnetError {
		step: "waiting for the operator's deposits on L2".into(),
		reason: "not attested within 180 s (see the relayer log)".into(),
	})?;
	set_fee_account(&appchain, operator_id).await?;

	write_summary(base, cli, &chains, &provers)?;
	print_summary(base, cli, &chains, &relayer_log);
	Ok(Running {
		node,
		anvils,
		relayers,
	})
}

/// What the operator deposits on each chain.
const OPERATOR_DEPOSIT: u128 = 10 * ONE_ETH;

/// A relayer that proves: the appchain account it proves as, its log (in the base directory)
/// and its metrics port.
struct ProverEntry {
	account: &'static str,
	log: String,
	metrics_port: u16,
}

/// `devnet.json`: the endpoints and contracts, for scripts and the JS client's tests.
fn write_summary(
	base: &Path,
	cli: &Cli,
	chains: &[ChainEntry],
	provers: &[ProverEntry],
) -> Result<(), DevnetError> {
	let summary = serde_json::json!({
		"appchain": format!("ws://127.0.0.1:{}", cli.rpc_port),
		"relayerMetrics": format!("http://127.0.0.1:{}/metrics", cli.metrics_port),
		"operator": format!("{:#x}", operator().address()),
		"nativeToken": 0,
		// Batch n is proved by provers[n mod provers.length], as its appchain account; the first
		// is the relayer with every role.
		"provers": provers.iter().map(|prover| serde_json::json!({
			"account": prover.account,
			"log": prover.log,
			"metrics": format!("http://127.0.0.1:{}/metrics", prover.metrics_port),
		})).collect::<Vec<_>>(),
		"chains": chains.iter().map(|chain| serde_json::json!({
			"id": chain.id,
			"rpc": format!("http://127.0.0.1:{}", chain.rpc_port),
			"evmChainId": chain.evm_chain_id,
			"contract": format!("{:#x}", chain.contract),
		})).collect::<Vec<_>>(),
		"users": USERS.iter().map(|(address, key)| serde_json::json!({"address": address, "key": key})).collect::<Vec<_>>(),
		// The exit circuit's key (INSECURE dev seed), for `concord-exit exit --keys`.
		"exitKeys": base.join("exit-keys"),
	});
	let text = serde_json::to_string_pretty(&summary).expect("JSON values serialize");
	// Written whole, then renamed: its appearance tells scripts the devnet is ready.
	let staging = base.join("devnet.json.tmp");
	std::fs::write(&staging, text)
		.and_then(|()| std::fs::rename(&staging, base.join("devnet.json")))
		.map_err(|error| DevnetError {
			step: "writing devnet.json".into(),
			reason: error.to_string(),
		})
}

fn print_summary(base: &Path, cli: &Cli, chains: &[ChainEntry], relayer_log: &Path) {
	println!("\nConcord devnet is up (Ctrl-C stops everything).\n");
	println!(
		"  appchain      ws://127.0.0.1:{} (polkadot.js), concord_* RPC",
		cli.rpc_port
	);
	for chain in chains {
		println!(
			"  chain {}       http://127.0.0.1:{}  EVM chain id {}  rollup {:#x}",
			chain.id, chain.rpc_port, chain.evm_chain_id, chain.contract
		);
	}
	println!(
		"  relayer       metrics http://127.0.0.1:{}/metrics  log {}",
		cli.metrics_port,
		relayer_log.display()
	);
	if cli.provers > 1 {
		println!(
			"  provers       {} (batch n by prover n mod {}), logs relayer.log, relayer-prover-<i>.log",
			cli.provers, cli.provers
		);
	}
	println!("  summary       {}", base.join("devnet.json").display());
	println!(
		"  exit key      {} (concord-exit exit --keys; INSECURE dev seed)",
		base.join("exit-keys").display()
	);
	println!("\nFunded dev accounts (public keys, development only):");
	println!("  appchain      //Alice (sudo, validator, oracle member), //Bob, //Charlie, //Dave, //Eve, //Ferdie");
	for (address, key) in USERS {
		println!("  L1 user       {address}  key {key}  (10,000 ETH on both chains)");
	}
	println!("  oracle        key {ORACLE_KEY} (anvil #0, the relayer's L1 key)");
	println!(
		"  operator      {:#x} (L2 fee account; 10 ETH of liquidity on each chain)",
		operator().address()
	);
	println!("\nDeposit with depositETH(to) on a rollup contract; token 0 is the native coin on both chains.");
}
