//! Helpers for tests that run the real `concord-node` binary on loopback ports.

use std::{
	io::{Read, Write},
	net::TcpStream,
	path::PathBuf,
	process::{Child, Command, ExitStatus, Stdio},
	time::{Duration, Instant},
};

use serde_json::{json, Value};

/// The node binary cargo built for this test run.
pub fn node_bin() -> PathBuf {
	PathBuf::from(env!("CARGO_BIN_EXE_concord-node"))
}

/// A loopback port reserved for the node (see `concord_ports`: nothing else can take it
/// before the node binds it).
pub fn reserve_port() -> u16 {
	concord_ports::reserve().expect("a loopback port")
}

/// A running `concord-node --dev` whose servers listen on loopback only; killed on drop.
pub struct DevNode {
	child: Option<Child>,
	pub rpc_port: u16,
	base: tempfile::TempDir,
}

impl DevNode {
	pub fn start() -> DevNode {
		let base = tempfile::tempdir().expect("temporary base path");
		let rpc_port = reserve_port();
		let p2p_port = reserve_port();
		let prometheus_port = reserve_port();
		let child = Command::new(node_bin())
			.args(["--dev", "--no-telemetry", "--no-mdns", "--rpc-port"])
			.arg(rpc_port.to_string())
			.arg("--listen-addr")
			.arg(format!("/ip4/127.0.0.1/tcp/{p2p_port}"))
			.arg("--prometheus-port")
			.arg(prometheus_port.to_string())
			.arg("--base-path")
			.arg(base.path())
			.stdout(Stdio::null())
			.stderr(std::fs::File::create(base.path().join("node.log")).expect("the node's log"))
			.spawn()
			.expect("start concord-node");
		DevNode {
			child: Some(child),
			rpc_port,
			base,
		}
	}

	/// Calls a JSON-RPC method and returns its `result`, or the error object as `Err`.
	pub fn rpc(&self, method: &str, params: Value) -> Result<Value, String> {
		rpc_call(self.rpc_port, method, params)
	}

	/// Polls `probe` every 500 ms until it returns `Some`, failing the test after `timeout`.
	pub fn wait_for<T>(
		&self,
		what: &str,
		timeout: Duration,
		mut probe: impl FnMut(&Self) -> Option<T>,
	) -> T {
		let deadline = Instant::now() + timeout;
		loop {
			if let Some(value) = probe(self) {
				return value;
			}
			assert!(
				Instant::now() < deadline,
				"timed out after {timeout:?} waiting for {what}; concord-node's log ends:\n{}",
				self.log_tail(40)
			);
			std::thread::sleep(Duration::from_millis(500));
		}
	}

	/// The last `lines` lines of the node's log (its base path goes with the test, so a
	/// failure shows the log instead of naming a file that is about to be removed).
	pub fn log_tail(&self, lines: usize) -> String {
		let text = std::fs::read_to_string(self.base.path().join("node.log")).unwrap_or_default();
		let tail: Vec<&str> = text.lines().rev().take(lines).collect();
		tail.into_iter().rev().collect::<Vec<_>>().join("\n")
	}

	/// Sends SIGINT (as Ctrl-C would) and waits for the process to exit.
	pub fn stop(mut self) -> ExitStatus {
		let mut child = self.child.take().expect("node is running");
		let status = Command::new("kill")
			.args(["-INT", &child.id().to_string()])
			.status()
			.expect("run kill");
		assert!(status.success(), "could not signal the node");
		let deadline = Instant::now() + Duration::from_secs(60);
		loop {
			if let Some(status) = child.try_wait().expect("wait for node") {
				return status;
			}
			if Instant::now() > deadline {
				let _ = child.kill();
				panic!("the node did not stop within 60 s of SIGINT");
			}
			std::thread::sleep(Duration::from_millis(200));
		}
	}
}

impl Drop for DevNode {
	fn drop(&mut self) {
		if let Some(child) = self.child.as_mut() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}
}

/// A minimal JSON-RPC-over-HTTP client on std only (the node serves HTTP and WebSocket on
/// one port), so the tests need no HTTP stack of their own.
pub fn rpc_call(port: u16, method: &str, params: Value) -> Result<Value, String> {
	let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
	let mut stream =
		TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
	stream
		.set_read_timeout(Some(Duration::from_secs(10)))
		.map_err(|e| e.to_string())?;
	let request = format!(
		"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	);
	stream
		.write_all(request.as_bytes())
		.map_err(|e| format!("send: {e}"))?;
	let mut response = String::new();
	stream
		.read_to_string(&mut response)
		.map_err(|e| format!("receive: {e}"))?;
	let json_start = response.find("\r\n\r\n").ok_or("malformed HTTP response")? + 4;
	let reply: Value = serde_json::from_str(&response[json_start..])
		.map_err(|e| format!("malformed JSON-RPC reply: {e}"))?;
	match reply.get("error") {
		Some(error) => Err(error.to_string()),
		None => Ok(reply["result"].clone()),
	}
}

/// Parses a `0x`-prefixed hexadecimal block number.
pub fn hex_number(value: &Value) -> u64 {
	let text = value.as_str().expect("a hex string");
	u64::from_str_radix(text.trim_start_matches("0x"), 16).expect("a hex number")
}
