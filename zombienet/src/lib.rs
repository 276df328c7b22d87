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

use concord_relayer::devnet::{reserve_port, DevnetError, ProcessLogs};
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

/// The loopback ports one node binds, each reserved by [`reserve_port`] (outside the OS's
/// ephemeral range and locked for this process), so that nothing can take one between
/// zombienet releasing its hold and the node binding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodePorts {
	pub rpc: u16,
	pub prometheus: u16,
	pub p2p: u16,
	/// zombienet reserves a WebSocket port per node too, though the node serves WebSocket on
	/// its RPC port; reserving it here keeps zombienet from parking an ephemeral one.
	pub ws: u16,
}

impl NodePorts {
	pub fn reserve() -> Result<NodePorts, DevnetError> {
		Ok(NodePorts {
			rpc: reserve_port()?,
			prometheus: reserve_port()?,
			p2p: reserve_port()?,
			ws: reserve_port()?,
		})
	}
}

/// Every node's name, validators first.
pub fn node_names() -> impl Iterator<Item = &'static str> {
	VALIDATORS.into_iter().chain([RPC_NODE])
}

/// The network: [`VALIDATORS`] and [`RPC_NODE`] running `node` on `raw_spec`, with their
/// state and logs under `base_dir`, each on its `ports` (in [`node_names`] order). Every
/// server listens on 127.0.0.1 only: zombienet's `--prometheus-external` is removed and the
/// p2p address is a loopback one (zombienet writes the node's p2p port in place of its 0).
pub fn network_config(
	node: &Path,
	raw_spec: &Path,
	base_dir: &Path,
	ports: &[NodePorts; VALIDATORS.len() + 1],
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
	// zombienet's node builder type is not exported, so a closure cannot name it.
	macro_rules! on_ports {
		($node:expr, $ports:expr) => {
			$node
				.with_rpc_port($ports.rpc)
				.with_prometheus_port($ports.prometheus)
				.with_p2p_port($ports.p2p)
				.with_ws_port($ports.ws)
		};
	}
	NetworkConfigBuilder::new()
		.with_relaychain(|relay| {
			let mut relay = relay
				.with_chain(CHAIN)
				.with_default_command(command)
				.with_chain_spec_path(raw_spec.to_path_buf())
				.with_default_args(args())
				.with_validator(|node| {
					on_ports!(node.with_name(VALIDATORS[0]), ports[0])
						.with_keystore_key_types(vec!["aura", "gran"])
				});
			for (name, ports) in VALIDATORS[1..].iter().zip(&ports[1..]) {
				relay = relay.with_validator(|node| {
					on_ports!(node.with_name(*name), ports)
						.with_keystore_key_types(vec!["aura", "gran"])
				});
			}
			let rpc_ports = &ports[VALIDATORS.len()];
			relay.with_fullnode(|node| on_ports!(node.with_name(RPC_NODE), rpc_ports))
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

/// Where zombienet's native provider writes node `name`'s log.
pub fn node_log(base_dir: &Path, name: &str) -> PathBuf {
	base_dir.join(name).join(format!("{name}.log"))
}

/// Exports the raw local spec and spawns the network with the native provider under
/// `base_dir` (which must not exist yet). A failure names every node's log and its last
/// lines, so that the node that failed (and why) is in the message.
pub async fn spawn(node: &Path, base_dir: &Path) -> Result<Network<LocalFileSystem>, DevnetError> {
	let spec_dir = base_dir.with_extension("spec");
	std::fs::create_dir_all(&spec_dir).map_err(|e| failed("the spec directory", e))?;
	let raw_spec: PathBuf = spec_dir.join(format!("{CHAIN}.json"));
	export_local_spec(node, &raw_spec)?;
	let ports = [
		NodePorts::reserve()?,
		NodePorts::reserve()?,
		NodePorts::reserve()?,
		NodePorts::reserve()?,
		NodePorts::reserve()?,
	];
	let config = network_config(node, &raw_spec, base_dir, &ports)?;
	config.spawn_native().await.map_err(|error| {
		let mut logs = ProcessLogs::default();
		for (name, ports) in node_names().zip(&ports) {
			logs.add(format!("{name} ({ports:?})"), node_log(base_dir, name));
		}
		failed(
			"spawning the network",
			format!("{error:#}\nthe nodes' logs:\n{}", logs.report(8)),
		)
	})
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
		let ports = [(); VALIDATORS.len() + 1].map(|()| NodePorts::reserve().unwrap());
		let config = network_config(
			Path::new("/bin/concord-node"),
			Path::new("/tmp/concord_local.json"),
			Path::new("/tmp/net"),
			&ports,
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
		for (node, ports) in nodes.iter().zip(&ports) {
			assert_eq!(node.rpc_port(), Some(ports.rpc), "{}", node.name());
			assert_eq!(
				node.prometheus_port(),
				Some(ports.prometheus),
				"{}",
				node.name()
			);
			assert_eq!(node.p2p_port(), Some(ports.p2p), "{}", node.name());
		}
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
