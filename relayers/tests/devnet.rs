//! `concord-devnet`'s start and stop: a port that is taken is refused before anything starts,
//! and a Ctrl-C during the start stops every process started so far.

use concord_relayer::devnet::{poll, reserve_port};
use std::{
	net::TcpListener,
	process::{Command, Stdio},
	time::Duration,
};

fn devnet() -> Command {
	Command::new(env!("CARGO_BIN_EXE_concord-devnet"))
}

/// The six port options, each with a port reserved for this test.
fn reserved_ports() -> Vec<(&'static str, u16)> {
	[
		"--rpc-port",
		"--p2p-port",
		"--node-metrics-port",
		"--chain-a-port",
		"--chain-b-port",
		"--metrics-port",
	]
	.into_iter()
	.map(|flag| (flag, reserve_port().unwrap()))
	.collect()
}

fn port_args(ports: &[(&str, u16)]) -> Vec<String> {
	ports
		.iter()
		.flat_map(|(flag, port)| [flag.to_string(), port.to_string()])
		.collect()
}

#[test]
fn a_port_in_use_is_refused_by_name_before_anything_starts() {
	let ports = reserved_ports();
	let (flag, taken) = ports[3];
	let _holder = TcpListener::bind(("127.0.0.1", taken)).unwrap();
	let base = tempdir("taken");
	let output = devnet()
		.args(port_args(&ports))
		.arg("--base-path")
		.arg(&base)
		.output()
		.unwrap();
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(
		stderr.contains(&format!("127.0.0.1:{taken} is in use; pass {flag}")),
		"{stderr}"
	);
	assert!(!base.join("node.log").exists(), "nothing was started");
}

#[test]
fn the_same_port_for_two_options_is_refused() {
	let mut ports = reserved_ports();
	ports[5].1 = ports[0].1;
	let output = devnet().args(port_args(&ports)).output().unwrap();
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(
		stderr.contains("--metrics-port") && stderr.contains("also given to another option"),
		"{stderr}"
	);
}

#[tokio::test]
async fn ctrl_c_during_the_start_stops_everything_started() {
	let ports = reserved_ports();
	let base = tempdir("interrupted");
	let mut child = devnet()
		.args(port_args(&ports))
		.arg("--base-path")
		.arg(&base)
		.stdout(Stdio::null())
		.stderr(Stdio::piped())
		.spawn()
		.unwrap();
	let (rpc, p2p) = (ports[0].1, ports[1].1);
	// Ends early, with the devnet's exit status, if it stops before its node serves RPC.
	let up = poll(
		"the devnet's node serves RPC (or the devnet exits)",
		Duration::from_secs(300),
		|| {
			let exited = child.try_wait().unwrap();
			async move {
				match exited {
					Some(status) => Some(Err(status)),
					None => concord_ports::in_use(rpc).then_some(Ok(())),
				}
			}
		},
	)
	.await;
	match up {
		Some(Ok(())) => {}
		Some(Err(status)) => {
			let mut stderr = String::new();
			let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
			panic!("concord-devnet exited ({status}) before its node served RPC:\n{stderr}");
		}
		None => panic!("the node never listened on {rpc}"),
	}
	let status = Command::new("kill")
		.args(["-INT", &child.id().to_string()])
		.status()
		.unwrap();
	assert!(status.success());
	let deadline = std::time::Instant::now() + Duration::from_secs(60);
	let status = loop {
		if let Some(status) = child.try_wait().unwrap() {
			break status;
		}
		if std::time::Instant::now() > deadline {
			let _ = child.kill();
			panic!("concord-devnet did not exit within 60 s of SIGINT");
		}
		std::thread::sleep(Duration::from_millis(200));
	};
	let output = child.wait_with_output().unwrap();
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(!status.success(), "{stderr}");
	assert!(stderr.contains("interrupted"), "{stderr}");
	assert!(
		stderr.contains(&base.display().to_string()),
		"the logs' place: {stderr}"
	);
	for port in [rpc, p2p] {
		assert!(
			!concord_ports::in_use(port),
			"port {port} is still held:\n{stderr}"
		);
	}
	let _ = std::fs::remove_dir_all(&base);
}

fn tempdir(name: &str) -> std::path::PathBuf {
	let dir =
		std::env::temp_dir().join(format!("concord-devnet-test-{name}-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	dir
}
