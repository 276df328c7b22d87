//! Local development networks, shared by `concord-devnet` (the README's start command) and
//! the relayer's journey test: the dev proving key, the dev node, anvil chains with the
//! generated verifier and the rollup contract, their registration on the appchain, and a
//! relayer configuration with every role. Development only: the keys are public.

use crate::appchain::Appchain;
use alloy::{
	network::{Ethereum, EthereumWallet, TransactionBuilder},
	primitives::{Address, Bytes, U256},
	providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder},
	rpc::types::{TransactionReceipt, TransactionRequest},
	signers::local::PrivateKeySigner,
};
use concord_circuits::groth16;
use concord_contracts::{
	anvil::Anvil,
	bindings::ConcordRollup::{self, ConcordRollupInstance},
};
use concord_primitives::{
	account::EMPTY_ACCOUNT_TREE_ROOT,
	commitment::fr_to_be_bytes,
	eddsa::PrivateKey,
	ops::{eth_sign, ChainId, ChangePubKey, NetworkId, Op, SignedOp},
};
use concord_runtime::{RuntimeCall, UncheckedExtrinsic};
use sp_core::H256;
use std::{
	future::Future,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// The development oracle members, as the chain specs' presets define them: each one's
/// appchain account (secret URI) and L1 key (anvil's development accounts #0, #1, #2). The dev
/// chain's oracle is the first alone; the local testnet's is all three.
pub const MEMBERS: [(&str, &str); 3] = [
	(
		"//Alice",
		"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
	),
	(
		"//Bob",
		"0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
	),
	(
		"//Charlie",
		"0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
	),
];
/// The dev chain's oracle member's L1 key (Alice's, anvil #0).
pub const ORACLE_KEY: &str = MEMBERS[0].1;
/// Every relayer role.
pub const ALL_ROLES: [&str; 5] = ["watcher", "prover", "submitter", "executor", "auditor"];
/// The L2 token id of each chain's native coin on a devnet.
pub const NATIVE_TOKEN: u16 = 0;
/// The dev circuit's slots (the dev chain spec's verifying key).
pub const SLOTS: usize = concord_runtime::configs::SLOTS_PER_BATCH as usize;
pub const ONE_ETH: u128 = 1_000_000_000_000_000_000;
/// The Concord chain ids every devnet contract knows: chain A (1) and chain B (2).
pub const DEVNET_CHAIN_IDS: [u8; 2] = [1, 2];
/// The EVM chain ids of the devnet's chains A and B.
pub const DEVNET_EVM_CHAIN_IDS: [u64; 2] = [31_001, 31_002];
/// What every priority request pays on the devnet's contracts (10^13 wei), on top of a
/// deposit's amount: requests cost something, as on a production deployment.
pub const REQUEST_FEE: u128 = 10_000_000_000_000;
/// The minimum fee of every L2-signed op on the dev and local chains, in [`NATIVE_TOKEN`].
pub const MIN_FEE: u128 = concord_runtime::genesis_config_presets::DEV_MIN_FEE;
const _: () = assert!(NATIVE_TOKEN == concord_runtime::genesis_config_presets::DEV_FEE_TOKEN);

/// Why a devnet step failed.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {reason}")]
pub struct DevnetError {
	pub step: String,
	pub reason: String,
}

fn failed(step: impl Into<String>) -> impl FnOnce(String) -> DevnetError {
	let step = step.into();
	move |reason| DevnetError { step, reason }
}

/// A workspace binary as a test finds it: the path in the environment variable `env` if set,
/// else `name` in the target directory of the running test (`target/<profile>/deps/…`).
pub fn built_binary(name: &str, env: &str) -> PathBuf {
	if let Some(path) = std::env::var_os(env) {
		return path.into();
	}
	let exe = std::env::current_exe().expect("the running test has a path");
	let profile_dir = exe
		.parent()
		.and_then(Path::parent)
		.expect("a test binary lives in target/<profile>/deps");
	profile_dir.join(name)
}

/// The last `lines` lines of the file at `path` (empty if it cannot be read), for failure
/// reports.
pub fn log_tail(path: &Path, lines: usize) -> String {
	let text = std::fs::read_to_string(path).unwrap_or_default();
	let tail: Vec<&str> = text.lines().rev().take(lines).collect();
	tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

impl From<concord_ports::PortError> for DevnetError {
	fn from(error: concord_ports::PortError) -> DevnetError {
		DevnetError {
			step: "reserving a loopback port".into(),
			reason: error.to_string(),
		}
	}
}

/// A loopback port reserved for one of the processes a devnet or test starts (see
/// [`concord_ports`]: no other socket can take it before that process binds it).
pub fn reserve_port() -> Result<u16, DevnetError> {
	Ok(concord_ports::reserve()?)
}

/// A child process with a name and a log file, killed when dropped.
pub struct Process {
	child: Child,
	name: String,
	log: PathBuf,
}

impl Process {
	/// Starts `command` as the process called `name` (for reports), its stderr (and stdout,
	/// unless the command sets it) appended to `log`.
	pub fn spawn(name: &str, command: &mut Command, log: &Path) -> Result<Process, DevnetError> {
		let step = || failed(format!("starting {name}"));
		let open = || {
			std::fs::OpenOptions::new()
				.create(true)
				.append(true)
				.open(log)
				.map_err(|error| step()(format!("its log {}: {error}", log.display())))
		};
		let child = command
			.stdin(Stdio::null())
			.stdout(open()?)
			.stderr(open()?)
			.spawn()
			.map_err(|error| step()(format!("{error} ({:?})", command.get_program())))?;
		Ok(Process {
			child,
			name: name.into(),
			log: log.into(),
		})
	}

	pub fn name(&self) -> &str {
		&self.name
	}

	pub fn log(&self) -> &Path {
		&self.log
	}

	/// `Err` naming the process, its exit status and the end of its log if it has exited.
	pub fn check_running(&mut self) -> Result<(), DevnetError> {
		match self.child.try_wait() {
			Ok(None) => Ok(()),
			Ok(Some(status)) => Err(failed(format!("{} stopped", self.name))(format!(
				"{status}; its log {} ends:\n{}",
				self.log.display(),
				log_tail(&self.log, 20)
			))),
			Err(error) => Err(failed(format!("watching {}", self.name))(error.to_string())),
		}
	}

	/// Asks the process to stop as Ctrl-C would (SIGINT) and kills it if it has not within
	/// `grace`.
	pub fn interrupt(mut self, grace: Duration) {
		let _ = Command::new("kill")
			.args(["-INT", &self.child.id().to_string()])
			.status();
		let start = Instant::now();
		while start.elapsed() < grace {
			if let Ok(Some(_)) = self.child.try_wait() {
				return;
			}
			std::thread::sleep(Duration::from_millis(100));
		}
	}
}

impl Drop for Process {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// The log files of the processes a test runs, named, so that a failure says which process
/// did what and where to read the rest.
#[derive(Default)]
pub struct ProcessLogs(Vec<(String, PathBuf)>);

impl ProcessLogs {
	pub fn add(&mut self, name: impl Into<String>, log: impl Into<PathBuf>) {
		self.0.push((name.into(), log.into()));
	}

	/// Each process's name, log path and last `lines` lines.
	pub fn report(&self, lines: usize) -> String {
		let parts: Vec<String> = self
			.0
			.iter()
			.map(|(name, log)| format!("--- {name}: {}\n{}", log.display(), log_tail(log, lines)))
			.collect();
		parts.join("\n")
	}

	/// Polls `check` until it returns `Some`, or panics after `timeout` with every log's tail.
	pub async fn until<T, F, Fut>(&self, what: &str, timeout: Duration, check: F) -> T
	where
		F: FnMut() -> Fut,
		Fut: Future<Output = Option<T>>,
	{
		match poll(what, timeout, check).await {
			Some(value) => value,
			None => panic!(
				"timed out after {timeout:?} waiting for: {what}\n{}",
				self.report(30)
			),
		}
	}
}

/// The dev proving key ([`SLOTS`] slots, seed `concord-dev`, INSECURE), whose verifying key
/// the dev chain spec embeds; set up once per machine (about a minute) and cached in
/// `~/.cache/concord/dev-keys-16`.
pub fn dev_keys() -> Result<PathBuf, DevnetError> {
	let dir = std::env::var_os("HOME")
		.map(PathBuf::from)
		.unwrap_or_else(std::env::temp_dir)
		.join(format!(".cache/concord/dev-keys-{SLOTS}"));
	let embedded = include_bytes!("../../runtime/res/dev-verifying.key");
	let cached = std::fs::read(dir.join(groth16::VERIFYING_KEY_FILE)).ok();
	if cached.as_deref() == Some(&embedded[..]) && dir.join("proving.key").exists() {
		return Ok(dir);
	}
	eprintln!("setting up the dev proving key (once per machine, about a minute)…");
	let setup = failed("dev key setup");
	let key = groth16::dev_setup(SLOTS, "concord-dev").map_err(|error| error.to_string());
	let staging = dir.with_extension(format!("tmp{}", std::process::id()));
	let written =
		key.and_then(|key| groth16::write_keys(&staging, &key).map_err(|error| error.to_string()));
	written.map_err(setup)?;
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::rename(&staging, &dir).map_err(|error| failed("dev key setup")(error.to_string()))?;
	Ok(dir)
}

/// The dev exit key (seed `concord-dev-exit`, INSECURE) in `dir`, set up at every start (a few
/// seconds: the exit circuit is small), so it always matches the exit circuit of this build.
pub fn dev_exit_keys(dir: &Path) -> Result<(), DevnetError> {
	let key = groth16::dev_exit_setup("concord-dev-exit")
		.map_err(|error| failed("exit key setup")(error.to_string()))?;
	groth16::write_exit_keys(dir, &key).map_err(|error| failed("exit key setup")(error.to_string()))
}

/// The creation bytecode of the two verifiers a devnet rollup is deployed with.
pub struct Verifiers {
	/// The batch circuit's (`proveBatches`).
	pub batch: Bytes,
	/// The exit circuit's (`performExodus`).
	pub exit: Bytes,
}

impl Verifiers {
	/// Compiles the verifiers of the batch key in `batch_keys` and the exit key in `exit_keys`.
	pub fn of_keys(batch_keys: &Path, exit_keys: &Path) -> Result<Self, DevnetError> {
		let compile = |dir: &Path, what: &str| {
			let vk = groth16::read_verifying_key(dir).map_err(|error| {
				failed(format!("reading the {what} verifying key"))(error.to_string())
			})?;
			concord_contracts::tools::compile_verifier(&concord_circuits::evm::solidity_verifier(
				&vk,
			))
			.map_err(|error| failed(format!("compiling the {what} verifier"))(error.to_string()))
		};
		Ok(Verifiers {
			batch: compile(batch_keys, "batch")?,
			exit: compile(exit_keys, "exit")?,
		})
	}
}

/// Starts `concord-node --dev` with its state in `base`, JSON-RPC on 127.0.0.1:`rpc_port` and
/// its log in `log`; its p2p port is reserved here, Prometheus is off.
pub fn start_node(
	binary: &Path,
	base: &Path,
	rpc_port: u16,
	log: &Path,
) -> Result<Process, DevnetError> {
	let p2p = format!("/ip4/127.0.0.1/tcp/{}", reserve_port()?);
	let mut command = Command::new(binary);
	command
		.args(["--dev", "--no-telemetry", "--no-mdns", "--no-prometheus"])
		.args(["--rpc-port", &rpc_port.to_string(), "--listen-addr", &p2p])
		.arg("--base-path")
		.arg(base);
	Process::spawn("concord-node", &mut command, log)
}

/// Starts the relayer `binary` with `config`; its log is appended to `log`.
pub fn start_relayer(binary: &Path, config: &Path, log: &Path) -> Result<Process, DevnetError> {
	let mut command = Command::new(binary);
	command.arg("--config").arg(config);
	Process::spawn("concord-relayer", &mut command, log)
}

/// Connects to the node at `url` as soon as it answers, within `timeout`. When the node is
/// a `process` of ours, its exit fails the wait at once, with its log.
pub async fn connect_when_up(
	url: &str,
	signer: sp_core::sr25519::Pair,
	timeout: Duration,
	mut process: Option<&mut Process>,
) -> Result<Appchain, DevnetError> {
	let start = Instant::now();
	loop {
		if let Some(process) = process.as_deref_mut() {
			process.check_running()?;
		}
		match Appchain::connect(url, Some(signer.clone())).await {
			Ok(appchain) => return Ok(appchain),
			Err(error) if start.elapsed() > timeout => {
				let log = process
					.map(|process| format!(" (its log: {})", process.log().display()))
					.unwrap_or_default();
				return Err(failed(format!("connecting to {url}"))(format!(
					"{error}{log}"
				)));
			}
			Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
		}
	}
}

/// A development key from a seed byte (not an anvil account: funded with `anvil_setBalance`).
pub fn signer(seed: u8) -> PrivateKeySigner {
	PrivateKeySigner::from_slice(&[seed; 32]).expect("a small constant is a valid key")
}

/// The devnet operator: its deposits are each chain's first liquidity and its L2 account
/// collects the fees.
pub fn operator() -> PrivateKeySigner {
	signer(8)
}

/// The key that deploys the contracts.
fn deployer() -> PrivateKeySigner {
	signer(9)
}

/// A rollup deployed on an anvil chain.
pub struct DeployedChain {
	pub provider: DynProvider,
	pub rollup: ConcordRollupInstance<DynProvider>,
}

/// The L1 key of each of the first `members` of [`MEMBERS`].
pub fn member_addresses(members: usize) -> Vec<Address> {
	MEMBERS[..members]
		.iter()
		.map(|(_, key)| {
			key.parse::<PrivateKeySigner>()
				.expect("a valid constant key")
				.address()
		})
		.collect()
}

/// Deploys the verifiers `verifiers` and a rollup for Concord chain `chain`
/// of network `network` (oracle set `oracles` with `threshold`, token [`NATIVE_TOKEN`] = the
/// native coin), gives each of `funded` (and the deployer) 1000 ETH, and returns a provider
/// that signs for them.
pub async fn deploy(
	anvil: &Anvil,
	network: NetworkId,
	chain: u8,
	verifiers: &Verifiers,
	(oracles, threshold): (Vec<Address>, u64),
	funded: &[PrivateKeySigner],
) -> Result<DeployedChain, DevnetError> {
	let step = format!("deploying on chain {chain}");
	let error = |error: &dyn std::fmt::Display| failed(step.clone())(error.to_string());
	let mut wallet = EthereumWallet::new(deployer());
	for key in funded {
		wallet.register_signer(key.clone());
	}
	let provider = ProviderBuilder::new()
		.wallet(wallet)
		.connect_client(anvil.rpc_client())
		.erased();
	for who in funded
		.iter()
		.map(|key| key.address())
		.chain([deployer().address()])
	{
		provider
			.raw_request::<_, serde_json::Value>(
				"anvil_setBalance".into(),
				(who, U256::from(1_000 * ONE_ETH)),
			)
			.await
			.map_err(|e| error(&e))?;
	}
	let mut addresses = Vec::new();
	for (what, code) in [
		("verifier", &verifiers.batch),
		("exit verifier", &verifiers.exit),
	] {
		let sent = provider
			.send_transaction(TransactionRequest::default().with_deploy_code(code.clone()))
			.await;
		let receipt = confirmed(&format!("deploying the {what}"), sent).await?;
		addresses.push(
			receipt
				.contract_address
				.ok_or_else(|| error(&format!("the {what}'s deployment created no contract")))?,
		);
	}
	let config = ConcordRollup::Config {
		verifier: addresses[0],
		exitVerifier: addresses[1],
		networkId: network,
		chainId: chain,
		priorityExpiry: 86_400,
		exodusGrace: 3_600,
		slotsPerBatch: SLOTS as u32,
		genesisRoot: fr_to_be_bytes(&EMPTY_ACCOUNT_TREE_ROOT).into(),
		oracles,
		threshold: U256::from(threshold),
		tokenIds: vec![NATIVE_TOKEN],
		tokenAddresses: vec![Address::ZERO],
		chainIds: DEVNET_CHAIN_IDS.to_vec(),
		requestFee: U256::from(REQUEST_FEE),
	};
	let rollup = ConcordRollup::deploy(provider.clone(), config)
		.await
		.map_err(|e| error(&e))?;
	Ok(DeployedChain { provider, rollup })
}

/// A devnet L1: its rollup, and its entry in a relayer configuration.
pub struct DevnetChain {
	pub deployed: DeployedChain,
	pub entry: ChainEntry,
}

/// Chains A and B: on each anvil (started with [`DEVNET_EVM_CHAIN_IDS`]) the verifiers
/// `verifiers` and a rollup trusting `oracle`, each of `funded` given coins there (see
/// [`deploy`]); then both chains and their native coin registered on the appchain, waiting up
/// to `timeout` for that to be finalized.
pub async fn deploy_and_register(
	appchain: &Appchain,
	anvils: [&Anvil; 2],
	verifiers: &Verifiers,
	oracle: (Vec<Address>, u64),
	funded: &[PrivateKeySigner],
	timeout: Duration,
) -> Result<[DevnetChain; 2], DevnetError> {
	let mut chains = Vec::new();
	for ((anvil, id), evm_chain_id) in anvils
		.into_iter()
		.zip(DEVNET_CHAIN_IDS)
		.zip(DEVNET_EVM_CHAIN_IDS)
	{
		let deployed = deploy(
			anvil,
			appchain.network(),
			id,
			verifiers,
			oracle.clone(),
			funded,
		)
		.await?;
		let entry = ChainEntry {
			id,
			rpc_port: anvil.port(),
			evm_chain_id,
			contract: *deployed.rollup.address(),
		};
		chains.push(DevnetChain { deployed, entry });
	}
	let registrations: Vec<_> = chains
		.iter()
		.map(|chain| {
			let entry = &chain.entry;
			(ChainId(entry.id), entry.evm_chain_id, entry.contract)
		})
		.collect();
	register(appchain, &registrations, timeout).await?;
	Ok(chains
		.try_into()
		.unwrap_or_else(|_| unreachable!("two anvils, two chains")))
}

/// Deposits `amount` wei of the native coin from `from` (a key the chain's provider signs for)
/// to `from`'s L2 account, paying the contract's request fee on top, and waits for the receipt.
pub async fn deposit_native(
	chain: &DeployedChain,
	from: Address,
	amount: u128,
) -> Result<(), DevnetError> {
	let fee = chain
		.rollup
		.requestFee()
		.call()
		.await
		.map_err(|e| failed("reading requestFee()")(e.to_string()))?;
	let sent = chain
		.rollup
		.depositETH(from)
		.value(U256::from(amount) + fee)
		.from(from)
		.send()
		.await;
	confirmed("depositETH", sent).await.map(|_| ())
}

/// The receipt of a sent transaction once mined; an error naming `what` if sending failed or
/// the transaction reverted.
async fn confirmed(
	what: &str,
	sent: Result<PendingTransactionBuilder<Ethereum>, impl std::fmt::Display>,
) -> Result<TransactionReceipt, DevnetError> {
	let error = |e: &dyn std::fmt::Display| failed(what)(e.to_string());
	let receipt = sent
		.map_err(|e| error(&e))?
		.get_receipt()
		.await
		.map_err(|e| error(&e))?;
	if !receipt.status() {
		return Err(error(&"reverted"));
	}
	Ok(receipt)
}

/// Claims `owner`'s pending native-coin withdrawals on `chain` (`withdrawPending`, sent by
/// `owner`) and returns what the contract paid out: the owner's balance gain over the claim's
/// block plus the gas.
pub async fn claim_native(chain: &DeployedChain, owner: Address) -> Result<U256, DevnetError> {
	let error = |e: &dyn std::fmt::Display| failed("claiming a withdrawal")(e.to_string());
	let sent = chain
		.rollup
		.withdrawPending(owner, NATIVE_TOKEN)
		.from(owner)
		.send()
		.await;
	let receipt = confirmed("withdrawPending", sent).await?;
	let block = receipt
		.block_number
		.ok_or_else(|| error(&"the receipt has no block number"))?;
	let balance_at = |number: u64| async move {
		chain
			.provider
			.get_balance(owner)
			.number(number)
			.await
			.map_err(|e| error(&e))
	};
	let before = balance_at(block - 1).await?;
	let after = balance_at(block).await?;
	let gas = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
	Ok(after + gas - before)
}

/// The L2 account of `address` (`concord_accountByAddress` at the best block): its id and its
/// balance of [`NATIVE_TOKEN`].
pub async fn l2_account(
	appchain: &Appchain,
	address: Address,
) -> Result<Option<(u32, u32, u128)>, DevnetError> {
	let account: Option<serde_json::Value> = appchain
		.request(
			"concord_accountByAddress",
			jsonrpsee::rpc_params![format!("{address:#x}")],
		)
		.await
		.map_err(|e| failed("reading an L2 account")(e.to_string()))?;
	Ok(account.and_then(|account| {
		let native = account["balances"][NATIVE_TOKEN.to_string()]
			.as_str()
			.map_or(Some(0), |amount| amount.parse().ok())?;
		Some((
			account["id"].as_u64()? as u32,
			account["nonce"].as_u64()? as u32,
			native,
		))
	}))
}

/// Submits an L2-signed call (`Ledger::submit` or `Ledger::change_pubkey`) as a general
/// extrinsic ([`l2_extrinsic`]).
pub async fn submit_l2(appchain: &Appchain, call: RuntimeCall) -> Result<(), DevnetError> {
	appchain
		.submit_extrinsic(&l2_extrinsic(call))
		.await
		.map(|_| ())
		.map_err(|e| failed("submitting an L2 operation")(e.to_string()))
}

/// An L2-signed call as a general extrinsic: its L2 signature authorizes it, no appchain
/// account signs or pays.
pub fn l2_extrinsic(call: RuntimeCall) -> UncheckedExtrinsic {
	UncheckedExtrinsic::new_transaction(call, concord_runtime::immortal_tx_extension(0))
}

/// `op` signed with `l2_key` for `network`; `None` for priority ops, which carry no L2
/// signature.
fn sign(l2_key: &PrivateKey, op: Op, network: NetworkId) -> Option<SignedOp> {
	let message = op.signed_message(network)?;
	Some(SignedOp {
		op,
		signature: l2_key.sign(message).pack(),
	})
}

/// `Ledger::submit` of `op` signed with `l2_key` for `network`; `None` for priority ops.
pub fn submit_call(l2_key: &PrivateKey, op: Op, network: NetworkId) -> Option<RuntimeCall> {
	let op = sign(l2_key, op, network)?;
	Some(RuntimeCall::Ledger(pallet_concord_ledger::Call::submit {
		op,
	}))
}

/// Signs `op` with `l2_key` and submits it.
pub async fn submit_op(
	appchain: &Appchain,
	l2_key: &PrivateKey,
	op: Op,
) -> Result<(), DevnetError> {
	let call = submit_call(l2_key, op, appchain.network()).ok_or_else(|| {
		failed("signing an L2 operation")("a priority operation is not L2-signed".into())
	})?;
	submit_l2(appchain, call).await
}

/// Makes `l2_key` the L2 key of `account` (whose L1 address is `owner`'s, first seen on
/// `chain`): a ChangePubKey with `nonce` and no fee, signed by the L2 key and authorized by
/// `owner`'s Ethereum signature.
pub async fn change_pubkey(
	appchain: &Appchain,
	owner: &PrivateKeySigner,
	chain: ChainId,
	account: u32,
	l2_key: &PrivateKey,
	nonce: u32,
) -> Result<(), DevnetError> {
	let change = ChangePubKey {
		chain_id: chain,
		account,
		new_pubkey: l2_key.public_key().pack(),
		fee_token: NATIVE_TOKEN,
		fee: MIN_FEE,
		nonce,
	};
	let network = appchain.network();
	let op = sign(l2_key, Op::ChangePubKey(change), network).expect("a ChangePubKey is L2-signed");
	let owner = k256::ecdsa::SigningKey::from_slice(&owner.to_bytes()[..])
		.expect("an alloy key is a valid k256 key");
	let call = RuntimeCall::Ledger(pallet_concord_ledger::Call::change_pubkey {
		op,
		eth_signature: eth_sign(&owner, &change.eth_message_hash(network)),
	});
	submit_l2(appchain, call).await
}

/// Polls `check` every half second until it returns `Some` (and says on stderr how long that
/// took), or gives up after `timeout` with `None`.
pub async fn poll<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Option<T>
where
	F: FnMut() -> Fut,
	Fut: Future<Output = Option<T>>,
{
	let start = Instant::now();
	loop {
		if let Some(value) = check().await {
			eprintln!("[{:>5.1} s] {what}", start.elapsed().as_secs_f32());
			return Some(value);
		}
		if start.elapsed() > timeout {
			return None;
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

/// The id of `who`'s L2 account once it holds exactly `amount` of [`NATIVE_TOKEN`] (a
/// [`poll`] check).
pub async fn l2_id_holding(appchain: &Appchain, who: Address, amount: u128) -> Option<u32> {
	let (id, _, balance) = l2_account(appchain, who).await.ok()??;
	(balance == amount).then_some(id)
}

/// `Some` once `who`'s L2 nonce is `nonce`, i.e. its ops before that applied (a [`poll`]
/// check).
pub async fn l2_nonce_is(appchain: &Appchain, who: Address, nonce: u32) -> Option<()> {
	let (_, current, _) = l2_account(appchain, who).await.ok()??;
	(current == nonce).then_some(())
}

/// Dispatches `call` as governance (sudo: the development chains' Alice) and waits until
/// `applied` sees its effect in finalized state, or gives up after `timeout`.
///
/// Alice is also an oracle member, and her relayer signs with the same account through
/// another node: when both read the same next nonce, the pools keep one extrinsic and drop the
/// other. So while `applied` sees nothing in the best block either and the extrinsic is no
/// longer pending, it is signed again with a fresh nonce. `call` must be safe to apply twice
/// (a second `set_*` changes nothing; a second `register_*` or `remove_*` fails in sudo).
pub async fn sudo<T, F, Fut>(
	appchain: &Appchain,
	what: &str,
	call: RuntimeCall,
	timeout: Duration,
	mut applied: F,
) -> Result<T, DevnetError>
where
	F: FnMut(H256) -> Fut,
	Fut: Future<Output = Option<T>>,
{
	let error = |e: &dyn std::fmt::Display| failed(what)(e.to_string());
	let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo {
		call: Box::new(call),
	});
	let start = Instant::now();
	let mut extrinsic = appchain.submit(call.clone()).await.map_err(|e| error(&e))?;
	loop {
		tokio::time::sleep(Duration::from_millis(500)).await;
		let finalized = appchain.finalized().await.map_err(|e| error(&e))?.hash;
		if let Some(value) = applied(finalized).await {
			eprintln!("[{:>5.1} s] {what}", start.elapsed().as_secs_f32());
			return Ok(value);
		}
		if start.elapsed() > timeout {
			return Err(error(&format_args!(
				"not applied in finalized state within {} s",
				timeout.as_secs()
			)));
		}
		let best = appchain.best().await.map_err(|e| error(&e))?;
		if !appchain
			.is_pending(extrinsic)
			.await
			.map_err(|e| error(&e))?
			&& applied(best).await.is_none()
		{
			eprintln!(
				"{what}: the extrinsic {extrinsic:?} left the pool unapplied; signing it again"
			);
			extrinsic = appchain.submit(call.clone()).await.map_err(|e| error(&e))?;
		}
	}
}

/// Makes `account` the fee account (governance) and waits until that is finalized: until
/// then the ledger refuses every L2 op (`NoFeeAccount`).
pub async fn set_fee_account(appchain: &Appchain, account: u32) -> Result<(), DevnetError> {
	let call = RuntimeCall::Ledger(pallet_concord_ledger::Call::set_fee_account { account });
	let key = pallet_concord_ledger::FeeAccount::<concord_runtime::Runtime>::hashed_key().to_vec();
	sudo(
		appchain,
		"setting the fee account",
		call,
		Duration::from_secs(60),
		|at| {
			let key = key.clone();
			async move {
				let current: Option<u32> =
					appchain.storage("the fee account", key, at).await.ok()?;
				(current == Some(account)).then_some(())
			}
		},
	)
	.await
}

/// Registers each `(chain, EVM chain id, contract)` and its native coin as
/// [`NATIVE_TOKEN`] on the appchain (sudo, the dev chain's Alice), and waits until the
/// registrations are finalized.
pub async fn register(
	appchain: &Appchain,
	chains: &[(ChainId, u64, Address)],
	timeout: Duration,
) -> Result<(), DevnetError> {
	let sudo = |call| {
		RuntimeCall::Sudo(pallet_sudo::Call::sudo {
			call: Box::new(call),
		})
	};
	let error = |e: &dyn std::fmt::Display| failed("registering the chains")(e.to_string());
	for &(chain, evm_chain_id, contract) in chains {
		let call = RuntimeCall::Ledger(pallet_concord_ledger::Call::register_chain {
			chain,
			evm_chain_id,
			contract: contract.0 .0,
		});
		appchain.submit(sudo(call)).await.map_err(|e| error(&e))?;
		let call = RuntimeCall::Ledger(pallet_concord_ledger::Call::register_token {
			token: NATIVE_TOKEN,
			chain,
			address: [0; 20],
			decimals: 18,
		});
		appchain.submit(sudo(call)).await.map_err(|e| error(&e))?;
	}
	let start = Instant::now();
	loop {
		let at = appchain.finalized().await.map_err(|e| error(&e))?.hash;
		if appchain.tokens(at).await.map_err(|e| error(&e))?.len() >= chains.len() {
			return Ok(());
		}
		if start.elapsed() > timeout {
			return Err(error(&"not finalized in time"));
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

/// One L1 of a relayer configuration.
#[derive(Clone)]
pub struct ChainEntry {
	pub id: u8,
	pub rpc_port: u16,
	pub evm_chain_id: u64,
	pub contract: Address,
}

/// [`RelayerSetup::prover_pool`] of a network's only prover.
pub const SOLE_PROVER: (u64, u64) = (1, 0);

/// What one relayer of a development network does and as whom.
pub struct RelayerSetup<'a> {
	/// The index of the oracle member in [`MEMBERS`] it signs as.
	pub member: usize,
	pub roles: &'a [&'a str],
	/// The proving keys' and the tree store's directories (the prover role needs them).
	pub prover_dirs: Option<(&'a Path, &'a Path)>,
	/// With the prover role: how many provers share the batches, and which share is this one's
	/// (`prover.pool_size`, `prover.pool_index`).
	pub prover_pool: (u64, u64),
	pub metrics_port: u16,
}

/// A relayer configuration for `setup` on the appchain at `appchain_url`, reading `chains`
/// 2 blocks deep.
pub fn relayer_config(appchain_url: &str, setup: &RelayerSetup, chains: &[ChainEntry]) -> String {
	let (appchain_key, ethereum_key) = MEMBERS[setup.member];
	let roles: Vec<String> = setup.roles.iter().map(|role| format!("{role:?}")).collect();
	let mut text = format!(
		"roles = [{}]\npoll_interval_ms = 500\nmetrics = \"127.0.0.1:{}\"\n\n\
		 [appchain]\nurl = \"{appchain_url}\"\n\n\
		 [keys]\nappchain = \"{appchain_key}\"\nethereum = \"{ethereum_key}\"\n\n",
		roles.join(", "),
		setup.metrics_port,
	);
	if let Some((keys_dir, store_dir)) = setup.prover_dirs {
		let (pool_size, pool_index) = setup.prover_pool;
		text += &format!(
			"[prover]\nkeys_dir = \"{}\"\nstore_dir = \"{}\"\n\
			 pool_size = {pool_size}\npool_index = {pool_index}\n\n",
			keys_dir.display(),
			store_dir.display(),
		);
	}
	for chain in chains {
		text += &format!(
			"[[chains]]\nid = {}\nrpc = \"http://127.0.0.1:{}\"\nevm_chain_id = {}\n\
			 contract = \"{:#x}\"\nconfirmations = 2\n\n",
			chain.id, chain.rpc_port, chain.evm_chain_id, chain.contract
		);
	}
	text
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_relayer_configuration_is_valid() {
		let chains = [
			ChainEntry {
				id: 1,
				rpc_port: 8545,
				evm_chain_id: 31_001,
				contract: Address::repeat_byte(1),
			},
			ChainEntry {
				id: 2,
				rpc_port: 8546,
				evm_chain_id: 31_002,
				contract: Address::repeat_byte(2),
			},
		];
		let setup = RelayerSetup {
			member: 1,
			roles: &ALL_ROLES,
			prover_dirs: Some((Path::new("/k"), Path::new("/s"))),
			prover_pool: (2, 1),
			metrics_port: 9616,
		};
		let config =
			crate::config::Config::parse(&relayer_config("ws://127.0.0.1:9944", &setup, &chains))
				.unwrap();
		assert_eq!(config.roles.len(), 5);
		assert_eq!(config.chains.len(), 2);
		assert_eq!(config.chains[1].evm_chain_id, 31_002);
		assert_eq!(config.keys.appchain.as_deref(), Some("//Bob"));
		assert_eq!(config.keys.ethereum.as_deref(), Some(MEMBERS[1].1));
		let prover = config.prover.as_ref().unwrap();
		assert_eq!((prover.pool_size, prover.pool_index), (2, 1));
		// Without the prover role no [prover] section is needed.
		let watcher = RelayerSetup {
			roles: &["watcher", "executor"],
			prover_dirs: None,
			prover_pool: SOLE_PROVER,
			..setup
		};
		let config =
			crate::config::Config::parse(&relayer_config("ws://127.0.0.1:9944", &watcher, &chains))
				.unwrap();
		assert_eq!(config.roles.len(), 2);
	}

	#[test]
	fn the_members_l1_keys_are_the_chain_specs_oracle_addresses() {
		let expected: Vec<Address> = concord_runtime::genesis_config_presets::ANVIL_ADDRESSES
			.iter()
			.map(|address| Address::from(*address))
			.collect();
		assert_eq!(member_addresses(3), expected);
	}
}
