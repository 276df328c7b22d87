//! A real EVM for tests and devnets: anvil from the npm package `@foundry-rs/anvil-linux-amd64`
//! (installed by `scripts/setup.sh`), listening on 127.0.0.1 on a port the OS picks, stopped
//! when the handle is dropped.

use crate::tools::{repo_root, ToolError};
use alloy::{
	rpc::client::RpcClient,
	transports::http::{reqwest, Http},
};
use std::{
	io::{BufRead, BufReader, Read},
	path::PathBuf,
	process::{Child, Command, Stdio},
	sync::mpsc,
	time::Duration,
};

/// How long anvil may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one JSON-RPC request may take: a hung node fails the test instead of stalling it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The anvil binary npm installed, located through its package's `bin` entry.
pub fn anvil_binary() -> Result<PathBuf, ToolError> {
	let package = repo_root().join("node_modules/@foundry-rs/anvil-linux-amd64");
	let manifest = package.join("package.json");
	let text = std::fs::read_to_string(&manifest).map_err(|error| ToolError::Io {
		path: manifest.clone(),
		error,
	})?;
	let json: serde_json::Value =
		serde_json::from_str(&text).map_err(|_| ToolError::BadArtifact(manifest.clone()))?;
	let bin = json["bin"]["anvil"]
		.as_str()
		.ok_or(ToolError::BadArtifact(manifest))?;
	Ok(package.join(bin))
}

/// A running anvil; dropping it kills the process.
pub struct Anvil {
	child: Child,
	port: u16,
}

impl Anvil {
	/// Starts anvil on 127.0.0.1 with `--port 0` and `extra_args`, and returns once it prints
	/// the port it listens on.
	pub fn start(extra_args: &[&str]) -> Result<Anvil, ToolError> {
		Anvil::start_on(0, extra_args)
	}

	/// Starts anvil on 127.0.0.1 port `port` (0: any free one) with `extra_args`, e.g. to
	/// restart a chain where its clients expect it.
	pub fn start_on(port: u16, extra_args: &[&str]) -> Result<Anvil, ToolError> {
		let binary = anvil_binary()?;
		let mut child = Command::new(&binary)
			.args(["--host", "127.0.0.1", "--port", &port.to_string()])
			.args(extra_args)
			.stdin(Stdio::null())
			.stdout(Stdio::piped())
			.stderr(Stdio::piped())
			.spawn()
			.map_err(|error| ToolError::Io {
				path: binary.clone(),
				error,
			})?;
		let stdout = child.stdout.take().expect("stdout is piped");
		let (sender, receiver) = mpsc::channel();
		// Anvil prints "Listening on 127.0.0.1:PORT" once its server is bound. The reader keeps
		// draining stdout afterwards so that anvil never blocks on a full pipe.
		std::thread::spawn(move || {
			let mut sent = false;
			for line in BufReader::new(stdout).lines() {
				let Ok(line) = line else { break };
				if !sent {
					if let Some(port) = line
						.trim()
						.strip_prefix("Listening on 127.0.0.1:")
						.and_then(|port| port.parse::<u16>().ok())
					{
						let _ = sender.send(port);
						sent = true;
					}
				}
			}
		});
		match receiver.recv_timeout(START_TIMEOUT) {
			Ok(port) => Ok(Anvil { child, port }),
			Err(_) => {
				let _ = child.kill();
				let _ = child.wait();
				let mut stderr = String::new();
				if let Some(mut pipe) = child.stderr.take() {
					let _ = pipe.read_to_string(&mut stderr);
				}
				Err(ToolError::Failed {
					command: format!(
						"{} (did not listen within {START_TIMEOUT:?})",
						binary.display()
					),
					status: child.wait().map_err(|error| ToolError::Io {
						path: binary,
						error,
					})?,
					stderr,
				})
			}
		}
	}

	pub fn port(&self) -> u16 {
		self.port
	}

	/// The HTTP JSON-RPC endpoint.
	pub fn endpoint(&self) -> String {
		format!("http://127.0.0.1:{}", self.port)
	}

	/// A JSON-RPC client of the endpoint whose requests time out after [`REQUEST_TIMEOUT`], for
	/// `ProviderBuilder::connect_client`.
	pub fn rpc_client(&self) -> RpcClient {
		let http = reqwest::Client::builder()
			.timeout(REQUEST_TIMEOUT)
			.build()
			.expect("a client without TLS or proxies builds");
		let url = self.endpoint().parse().expect("a valid URL");
		RpcClient::new(Http::with_client(http, url), true)
	}
}

impl Drop for Anvil {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// Moves the clock of the anvil behind `provider` `seconds` on and mines a block at the new
/// time: how tests let priority requests expire and exodus graces pass.
pub async fn advance_time<P: alloy::providers::Provider>(
	provider: &P,
	seconds: u64,
) -> Result<(), alloy::transports::TransportError> {
	let _: serde_json::Value = provider
		.raw_request("evm_increaseTime".into(), (seconds,))
		.await?;
	let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await?;
	Ok(())
}
