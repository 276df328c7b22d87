//! Concord's multi-validator network on zombienet-sdk's native provider: the local testnet's
//! four validators (Alice, Bob, Charlie, Dave) and one RPC node, each a `concord-node`
//! process on loopback ports.
//!
//! zombienet runs a solochain as a relay chain without parachains. It is handed the node's
//! raw `local` chain spec, which it cannot rewrite (it customizes only plain specs), so the
//! genesis authorities and oracle members are exactly the runtime preset's; each validator's
//! keystore gets its Aura and GRANDPA keys from the `//Name` seed zombienet derives from the
//! node's name, which are the keys the preset lists. Alice, Bob and Charlie are the oracle
//! (quorum 2 of 3); Dave validates only, so that GRANDPA (which needs more than 2/3 of the
//! voters) keeps finalizing with one validator down.

use concord_relayer::devnet::DevnetError;
use std::{
	path::{Path, PathBuf},
	process::Command,
};
pub use zombienet_sdk::{LocalFileSystem, Network, NetworkConfig};
use zombienet_sdk::{NetworkConfigBuilder, NetworkConfigExt};

/// The validators' node names; zombienet derives each one's keys from `//Name`.
pub const VALIDATORS: [&str; 4] = ["alice", "bob", "charlie", "dave"];
/// The full node that serves clients (RPC) and validates nothing.
pub const RPC_NODE: &str = "rpc";
/// The chain spec's id: zombienet names the spec file after it.
const CHAIN: &str = "concord_local";

fn failed(step: &str, reason: impl std::fmt::Display) -> DevnetError {
	DevnetError {
		step: step.into(),
		reason: reason.to_string(),
	}
}

/// Writes `node`'s raw `local` chain spec (the runtime's `local_testnet` preset) to `path`.
pub fn export_local_spec(node: &Path, path: &Path) -> Result<(), DevnetError> {
	let step = "exporting the local chain spec";
	let output = Command::new(node)
		.args(["export-chain-spec", "--chain", "local", "--raw", "--output"])
		.arg(path)
		.output()
		.map_err(|e| failed(step, format!("running {}: {e}", node.display())))?;
	if !output.status.success() {
		return Err(failed(step, String::from_utf8_lossy(&output.stderr)));
	}
	Ok(())
}

/// The network: [`VALIDATORS`] and [`RPC_NODE`] running `node` on `raw_spec`, with their
/// state and logs under `base_dir`. Every server listens on 127.0.0.1 only: zombienet's
/// `--prometheus-external` is removed and the p2p address is a loopback one.
pub fn network_config(
	node: &Path,
	raw_spec: &Path,
	base_dir: &Path,
) -> Result<NetworkConfig, DevnetError> {
	let command = node
		.to_str()
		.ok_or_else(|| failed("the network definition", "the node's path is not UTF-8"))?;
	let args = || {
		vec![
			"-:--prometheus-external".into(),
			("--listen-addr", "/ip4/127.0.0.1/tcp/0/ws").into(),
			"--no-mdns".into(),
		]
	};
	NetworkConfigBuilder::new()
		.with_relaychain(|relay| {
			let mut relay = relay
				.with_chain(CHAIN)
				.with_default_command(command)
				.with_chain_spec_path(raw_spec.to_path_buf())
				.with_default_args(args())
				.with_validator(|node| {
					node.with_name(VALIDATORS[0])
						.with_keystore_key_types(vec!["aura", "gran"])
				});
			for name in &VALIDATORS[1..] {
				relay = relay.with_validator(|node| {
					node.with_name(*name)
						.with_keystore_key_types(vec!["aura", "gran"])
				});
			}
			relay.with_fullnode(|node| node.with_name(RPC_NODE))
		})
		.with_global_settings(|settings| {
			settings
				.with_base_dir(base_dir.to_path_buf())
				.with_local_ip("127.0.0.1")
				// zombienet's monitor would end the whole process (`exit(1)`) when a node stops,
				// which a test that kills a validator on purpose cannot have; the tests check
				// the nodes' health themselves.
				.with_tear_down_on_failure(false)
				.with_node_spawn_timeout(180)
				.with_network_spawn_timeout(600)
		})
		.build()
		.map_err(|errors| {
			let reasons: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
			failed("the network definition", reasons.join("; "))
		})
}

/// Exports the raw local spec and spawns the network with the native provider under
/// `base_dir` (which must not exist yet).
pub async fn spawn(node: &Path, base_dir: &Path) -> Result<Network<LocalFileSystem>, DevnetError> {
	let spec_dir = base_dir.with_extension("spec");
	std::fs::create_dir_all(&spec_dir).map_err(|e| failed("the spec directory", e))?;
	let raw_spec: PathBuf = spec_dir.join(format!("{CHAIN}.json"));
	export_local_spec(node, &raw_spec)?;
	network_config(node, &raw_spec, base_dir)?
		.spawn_native()
		.await
		.map_err(|e| failed("spawning the network", format!("{e:#}")))
}

/// The WebSocket URL of node `name`.
pub fn ws_url(network: &Network<LocalFileSystem>, name: &str) -> Result<String, DevnetError> {
	network
		.get_node(name)
		.map(|node| node.ws_uri().to_string())
		.map_err(|e| failed("finding a node", e))
}

/// Stops node `name` for good (SIGKILL), as a crashed validator.
pub async fn kill(network: &Network<LocalFileSystem>, name: &str) -> Result<(), DevnetError> {
	let node = network
		.get_node(name)
		.map_err(|e| failed("finding a node", e))?;
	node.core()
		.inner()
		.destroy()
		.await
		.map_err(|e| failed(&format!("killing {name}"), e))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_definition_has_four_validators_and_an_rpc_node_on_loopback() {
		let config = network_config(
			Path::new("/bin/concord-node"),
			Path::new("/tmp/concord_local.json"),
			Path::new("/tmp/net"),
		)
		.unwrap();
		let relay = config.relaychain();
		let nodes = relay.nodes();
		let validators: Vec<&str> = nodes
			.iter()
			.filter(|node| node.is_validator())
			.map(|node| node.name())
			.collect();
		assert_eq!(validators, VALIDATORS);
		let full: Vec<&str> = nodes
			.iter()
			.filter(|node| !node.is_validator())
			.map(|node| node.name())
			.collect();
		assert_eq!(full, [RPC_NODE]);
		let args: Vec<String> = relay
			.default_args()
			.iter()
			.map(|arg| format!("{arg:?}"))
			.collect();
		let args = args.join(" ");
		assert!(args.contains("-:--prometheus-external"), "{args}");
		assert!(args.contains("/ip4/127.0.0.1/"), "{args}");
		assert_eq!(
			relay.default_command().map(|command| command.as_str()),
			Some("/bin/concord-node")
		);
	}
}
