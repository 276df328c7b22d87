//! Local development networks, shared by `concord-devnet` (the README's start command) and
//! the relayer's journey test: the dev proving key, the dev node, anvil chains with the
//! generated verifier and the rollup contract, their registration on the appchain, and a
//! relayer configuration with every role. Development only: the keys are public.

use crate::appchain::Appchain;
use alloy::{
	network::{EthereumWallet, TransactionBuilder},
	primitives::{Address, Bytes, U256},
	providers::{DynProvider, Provider, ProviderBuilder},
	rpc::types::TransactionRequest,
	signers::local::PrivateKeySigner,
};
use concord_circuits::groth16;
use concord_contracts::{
	anvil::Anvil,
	bindings::ConcordRollup::{self, ConcordRollupInstance},
};
use concord_primitives::{
	account::EMPTY_ACCOUNT_TREE_ROOT, commitment::fr_to_be_bytes, ops::ChainId,
};
use concord_runtime::RuntimeCall;
use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// Anvil's first development key: the dev chain's oracle member (Alice) signs with it.
pub const ORACLE_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// The L2 token id of each chain's native coin on a devnet.
pub const NATIVE_TOKEN: u16 = 0;
/// The dev circuit's slots (the dev chain spec's verifying key).
pub const SLOTS: usize = 8;
pub const ONE_ETH: u128 = 1_000_000_000_000_000_000;

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

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|listener| listener.local_addr())
		.map(|address| address.port())
		.expect("the loopback interface has free ports")
}

/// A child process, killed when dropped.
pub struct Process(pub Child);

impl Process {
	/// Asks the process to stop as Ctrl-C would (SIGINT) and kills it if it has not within
	/// `grace`.
	pub fn interrupt(mut self, grace: Duration) {
		let _ = Command::new("kill")
			.args(["-INT", &self.0.id().to_string()])
			.status();
		let start = Instant::now();
		while start.elapsed() < grace {
			if let Ok(Some(_)) = self.0.try_wait() {
				return;
			}
			std::thread::sleep(Duration::from_millis(100));
		}
	}
}

impl Drop for Process {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

/// The dev proving key (8 slots, seed `concord-dev`, INSECURE), whose verifying key the dev
/// chain spec embeds; set up once per machine (about a minute) and cached in
/// `~/.cache/concord/dev-keys-8`.
pub fn dev_keys() -> Result<PathBuf, DevnetError> {
	let dir = std::env::var_os("HOME")
		.map(PathBuf::from)
		.unwrap_or_else(std::env::temp_dir)
		.join(".cache/concord/dev-keys-8");
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

/// Starts `concord-node --dev` with its state in `base` and JSON-RPC on 127.0.0.1:`rpc_port`.
pub fn start_node(binary: &Path, base: &Path, rpc_port: u16) -> Result<Process, DevnetError> {
	Command::new(binary)
		.args(["--dev", "--no-telemetry", "--no-mdns", "--no-prometheus"])
		.args(["--rpc-port", &rpc_port.to_string()])
		.args([
			"--listen-addr",
			&format!("/ip4/127.0.0.1/tcp/{}", free_port()),
		])
		.arg("--base-path")
		.arg(base)
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.map(Process)
		.map_err(|error| failed(format!("starting {}", binary.display()))(error.to_string()))
}

/// Connects to the node at `url` as soon as it answers, within `timeout`.
pub async fn connect_when_up(
	url: &str,
	signer: sp_core::sr25519::Pair,
	timeout: Duration,
) -> Result<Appchain, DevnetError> {
	let start = Instant::now();
	loop {
		match Appchain::connect(url, Some(signer.clone())).await {
			Ok(appchain) => return Ok(appchain),
			Err(error) if start.elapsed() > timeout => {
				return Err(failed(format!("connecting to {url}"))(error.to_string()))
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

/// Deploys the verifier `verifier` (creation bytecode) and a rollup for Concord chain `chain`
/// (oracle set {[`ORACLE_KEY`]}, threshold 1, token [`NATIVE_TOKEN`] = the native coin), gives
/// each of `funded` (and the deployer) 1000 ETH, and returns a provider that signs for them.
pub async fn deploy(
	anvil: &Anvil,
	chain: u8,
	verifier: &Bytes,
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
	let receipt = provider
		.send_transaction(TransactionRequest::default().with_deploy_code(verifier.clone()))
		.await
		.map_err(|e| error(&e))?
		.get_receipt()
		.await
		.map_err(|e| error(&e))?;
	let verifier = receipt
		.contract_address
		.ok_or_else(|| error(&"the verifier's deployment created no contract"))?;
	let oracle: PrivateKeySigner = ORACLE_KEY.parse().expect("a valid constant key");
	let config = ConcordRollup::Config {
		verifier,
		chainId: chain,
		priorityExpiry: 86_400,
		slotsPerBatch: SLOTS as u32,
		genesisRoot: fr_to_be_bytes(&EMPTY_ACCOUNT_TREE_ROOT).into(),
		oracles: vec![oracle.address()],
		threshold: U256::from(1),
		tokenIds: vec![NATIVE_TOKEN],
		tokenAddresses: vec![Address::ZERO],
	};
	let rollup = ConcordRollup::deploy(provider.clone(), config)
		.await
		.map_err(|e| error(&e))?;
	Ok(DeployedChain { provider, rollup })
}

/// Deposits `amount` wei of the native coin from `from` (a key the chain's provider signs for)
/// to `from`'s L2 account, and waits for the receipt.
pub async fn deposit_native(
	chain: &DeployedChain,
	from: Address,
	amount: u128,
) -> Result<(), DevnetError> {
	let error = |e: &dyn std::fmt::Display| failed("depositing")(e.to_string());
	let receipt = chain
		.rollup
		.depositETH(from)
		.value(U256::from(amount))
		.from(from)
		.send()
		.await
		.map_err(|e| error(&e))?
		.get_receipt()
		.await
		.map_err(|e| error(&e))?;
	if !receipt.status() {
		return Err(error(&"depositETH reverted"));
	}
	Ok(())
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

/// Makes `account` the fee account (sudo, the dev chain's Alice).
pub async fn set_fee_account(appchain: &Appchain, account: u32) -> Result<(), DevnetError> {
	let call = RuntimeCall::Ledger(pallet_concord_ledger::Call::set_fee_account { account });
	appchain
		.submit(RuntimeCall::Sudo(pallet_sudo::Call::sudo {
			call: Box::new(call),
		}))
		.await
		.map(|_| ())
		.map_err(|e| failed("setting the fee account")(e.to_string()))
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
pub struct ChainEntry {
	pub id: u8,
	pub rpc_port: u16,
	pub evm_chain_id: u64,
	pub contract: Address,
}

/// A relayer configuration with every role, as the dev chain's oracle member (Alice with
/// [`ORACLE_KEY`]), reading L1s 2 blocks deep.
pub fn relayer_config(
	appchain_url: &str,
	keys_dir: &Path,
	store_dir: &Path,
	metrics_port: u16,
	chains: &[ChainEntry],
) -> String {
	let mut text = format!(
		"roles = [\"watcher\", \"prover\", \"submitter\", \"executor\", \"auditor\"]\n\
		 poll_interval_ms = 500\nmetrics = \"127.0.0.1:{metrics_port}\"\n\n\
		 [appchain]\nurl = \"{appchain_url}\"\n\n\
		 [keys]\nappchain = \"//Alice\"\nethereum = \"{ORACLE_KEY}\"\n\n\
		 [prover]\nkeys_dir = \"{}\"\nstore_dir = \"{}\"\n\n",
		keys_dir.display(),
		store_dir.display(),
	);
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
		let text = relayer_config(
			"ws://127.0.0.1:9944",
			Path::new("/k"),
			Path::new("/s"),
			9616,
			&chains,
		);
		let config = crate::config::Config::parse(&text).unwrap();
		assert_eq!(config.roles.len(), 5);
		assert_eq!(config.chains.len(), 2);
		assert_eq!(config.chains[1].evm_chain_id, 31_002);
	}
}
