//! The real node: block production, finality, clean shutdown, and errors on bad input.

mod common;

use std::{process::Command, time::Duration};

use common::{hex_number, node_bin, DevNode};
use serde_json::{json, Value};

#[test]
fn dev_node_produces_and_finalizes_blocks_then_stops_cleanly() {
	let node = DevNode::start();

	let best = node.wait_for("3 produced blocks", Duration::from_secs(120), |node| {
		let header = node.rpc("chain_getHeader", json!([])).ok()?;
		let number = hex_number(&header["number"]);
		(number >= 3).then_some(number)
	});
	assert!(best >= 3);

	let finalized = node.wait_for("1 finalized block", Duration::from_secs(60), |node| {
		let hash = node.rpc("chain_getFinalizedHead", json!([])).ok()?;
		let header = node.rpc("chain_getHeader", json!([hash])).ok()?;
		let number = hex_number(&header["number"]);
		(number >= 1).then_some(number)
	});
	assert!(finalized >= 1);

	let version = node
		.rpc("state_getRuntimeVersion", json!([]))
		.expect("runtime version");
	assert_eq!(version["specName"], "concord");

	let status = node.stop();
	assert!(
		status.success(),
		"the node exited with {status} after SIGINT"
	);
}

#[test]
fn malformed_chain_spec_is_rejected_with_a_clear_message() {
	let dir = tempfile::tempdir().unwrap();
	let spec = dir.path().join("broken.json");
	std::fs::write(&spec, "{ \"name\": \"broken\", \"genesis\": ").unwrap();

	let output = Command::new(node_bin())
		.arg("--chain")
		.arg(&spec)
		.arg("--base-path")
		.arg(dir.path())
		.args(["--no-telemetry", "--no-mdns", "--rpc-port", "0"])
		.env("RUST_BACKTRACE", "1")
		.output()
		.expect("run concord-node");

	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(
		!output.status.success(),
		"a malformed chain spec was accepted"
	);
	assert!(
		stderr.contains("cannot load chain spec") && stderr.contains("broken.json"),
		"the error does not name the problem: {stderr}"
	);
	assert!(!stderr.contains("panicked"), "the node panicked: {stderr}");
}

/// A chain spec exported from the dev preset (plain and raw) with its chain type changed to
/// Live: its network id is the dev preset's, whose L2 signatures every devnet shares, so the
/// node refuses to run it; with a network id of its own, it still registers the development
/// verifying key, whose seed is public, and the node refuses it for that.
#[test]
fn a_live_chain_with_a_development_network_id_or_verifying_key_is_refused() {
	let dir = tempfile::tempdir().unwrap();
	let own_network: u32 = 0x1234_5678;
	for raw in [false, true] {
		for own_id in [false, true] {
			let mut export = Command::new(node_bin());
			export.args(["export-chain-spec", "--chain", "dev"]);
			if raw {
				export.arg("--raw");
			}
			let output = export.output().expect("run concord-node export-chain-spec");
			assert!(output.status.success(), "export-chain-spec failed");
			let mut spec: Value =
				serde_json::from_slice(&output.stdout).expect("a JSON chain spec");
			spec["chainType"] = "Live".into();
			if own_id && raw {
				let key = pallet_concord_ledger::Network::<concord_runtime::Runtime>::hashed_key();
				let key = format!("0x{}", hex(&key));
				let value = format!("0x{}", hex(&own_network.to_le_bytes()));
				let top = &mut spec["genesis"]["raw"]["top"];
				assert!(top.get(&key).is_some(), "the raw spec holds the network id");
				top[key] = value.into();
			} else if own_id {
				spec["genesis"]["runtimeGenesis"]["patch"]["ledger"]["network"] =
					own_network.into();
			}
			let stderr = refused_start(&dir, &spec, &format!("{raw}-{own_id}"));
			let problem = if own_id {
				"registers the development verifying key"
			} else {
				"has the network id 0x0c0d0001, which is unset or a development preset's"
			};
			assert!(
				stderr.contains(problem),
				"the error does not name the problem (raw: {raw}, own id: {own_id}): {stderr}"
			);
			assert!(!stderr.contains("panicked"), "the node panicked: {stderr}");
		}
	}
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Starts the node on `spec` (written under `dir` with `name`) and returns its stderr once it
/// exits, which it must do, unsuccessfully, within a minute.
fn refused_start(dir: &tempfile::TempDir, spec: &Value, name: &str) -> String {
	let path = dir.path().join(format!("live-{name}.json"));
	std::fs::write(&path, spec.to_string()).unwrap();
	let mut node = Command::new(node_bin())
		.arg("--chain")
		.arg(&path)
		.arg("--base-path")
		.arg(dir.path().join(format!("base-{name}")))
		.args(["--no-telemetry", "--no-mdns", "--rpc-port", "0"])
		.args(["--port", "0"])
		.stderr(std::process::Stdio::piped())
		.spawn()
		.expect("run concord-node");
	let deadline = std::time::Instant::now() + Duration::from_secs(60);
	let status = loop {
		if let Some(status) = node.try_wait().unwrap() {
			break status;
		}
		if std::time::Instant::now() > deadline {
			node.kill().unwrap();
			panic!("the node started a Live chain of development genesis ({name})");
		}
		std::thread::sleep(Duration::from_millis(200));
	};
	let mut stderr = String::new();
	std::io::Read::read_to_string(&mut node.stderr.take().unwrap(), &mut stderr).unwrap();
	assert!(!status.success());
	stderr
}

/// Storage key of the runtime code (`:code`), which depends on where the wasm was built.
const CODE_KEY: &str = "0x3a636f6465";

/// Everything in a raw chain spec except the runtime code, whose bytes embed build paths.
fn without_code(mut spec: Value) -> (Value, String) {
	let top = spec["genesis"]["raw"]["top"]
		.as_object_mut()
		.expect("a raw chain spec");
	let code = top.remove(CODE_KEY).expect("the spec has runtime code");
	(spec, code.as_str().unwrap().to_string())
}

/// The runtime version a (possibly compressed) wasm blob declares in its custom section.
fn embedded_version(code_hex: &str) -> sc_executor::RuntimeVersion {
	let hex = code_hex.trim_start_matches("0x");
	let bytes: Vec<u8> = (0..hex.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex runtime code"))
		.collect();
	let blob = sc_executor_common::runtime_blob::RuntimeBlob::uncompress_if_needed(&bytes)
		.expect("a valid runtime blob");
	sc_executor::read_embedded_version(&blob)
		.expect("readable version section")
		.expect("the runtime declares its version")
}

#[test]
fn committed_chain_specs_match_the_runtime_presets() {
	for chain in ["dev", "local"] {
		let output = Command::new(node_bin())
			.args(["export-chain-spec", "--raw", "--chain", chain])
			.output()
			.expect("run concord-node export-chain-spec");
		assert!(
			output.status.success(),
			"{}",
			String::from_utf8_lossy(&output.stderr)
		);
		let exported: Value = serde_json::from_slice(&output.stdout).expect("exported JSON");

		// The runtime value: a reused build's compile-time one may name another clone.
		let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test");
		let path = format!("{manifest_dir}/../chain-specs/{chain}.json");
		let committed: Value =
			serde_json::from_str(&std::fs::read_to_string(&path).expect("read committed spec"))
				.expect("committed JSON");

		let (exported, exported_code) = without_code(exported);
		let (committed, committed_code) = without_code(committed);
		assert_eq!(
			exported, committed,
			"chain-specs/{chain}.json differs from the runtime preset; run scripts/build-chain-specs.sh"
		);
		let committed_version = embedded_version(&committed_code);
		assert_eq!(
			(committed_version.spec_name, committed_version.spec_version),
			(
				concord_runtime::VERSION.spec_name,
				concord_runtime::VERSION.spec_version
			),
			"chain-specs/{chain}.json carries an older runtime; run scripts/build-chain-specs.sh"
		);
		assert_eq!(
			embedded_version(&exported_code).spec_version,
			concord_runtime::VERSION.spec_version
		);
	}
}
