//! `concord-prover`'s error paths: every bad input ends with exit status 2 and a message naming
//! what is wrong, and nothing is written. (The full setup → prove → verify → EVM flow is
//! exercised by `clients/js/test/verifier.test.mjs` against a real anvil chain.)

use std::{
	path::{Path, PathBuf},
	process::Command,
};

fn prover(args: &[&str]) -> (i32, String) {
	let output = Command::new(env!("CARGO_BIN_EXE_concord-prover"))
		.args(args)
		.output()
		.expect("run concord-prover");
	let text = String::from_utf8_lossy(&output.stdout).into_owned()
		+ &String::from_utf8_lossy(&output.stderr);
	(output.status.code().expect("exited"), text)
}

/// An appchain account (32 bytes, hex) that proofs are bound to.
const PROVER: &str = "0x7070707070707070707070707070707070707070707070707070707070707070";

/// `concord-prover prove` of `batch` with the keys in `keys`, bound to `account`.
fn prove(keys: &Path, batch: &Path, account: &str, out: &Path) -> (i32, String) {
	prover(&[
		"prove",
		"--prover",
		account,
		"--keys",
		keys.to_str().unwrap(),
		"--batch",
		batch.to_str().unwrap(),
		"--out",
		out.to_str().unwrap(),
	])
}

fn temp_dir(name: &str) -> PathBuf {
	let dir = std::env::temp_dir().join(format!("concord-cli-{name}-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	dir
}

#[test]
fn missing_keys_are_reported_with_their_path() {
	let dir = temp_dir("missing");
	let batch = dir.join("batch.scale");
	let (code, _) = prover(&[
		"example-batch",
		"--slots",
		"2",
		"--out",
		batch.to_str().unwrap(),
	]);
	assert_eq!(code, 0);
	let keys = dir.join("no-keys");
	let out = dir.join("proof.json");
	let (code, text) = prove(&keys, &batch, PROVER, &out);
	assert_eq!(code, 2, "{text}");
	assert!(text.contains("proving.key"), "{text}");
	assert!(!out.exists());
	let (code, text) = prover(&[
		"export-verifier",
		"--keys",
		keys.to_str().unwrap(),
		"--out",
		dir.join("v.sol").to_str().unwrap(),
	]);
	assert_eq!(code, 2, "{text}");
	assert!(text.contains("verifying.key"), "{text}");
	std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn malformed_files_are_rejected() {
	let dir = temp_dir("malformed");
	let keys = dir.join("keys");
	std::fs::create_dir_all(&keys).unwrap();
	std::fs::write(keys.join("verifying.key"), b"garbage").unwrap();
	let proof = dir.join("proof.json");
	std::fs::write(&proof, b"{\"commitment\": 5}").unwrap();
	let (code, text) = prover(&[
		"verify",
		"--keys",
		keys.to_str().unwrap(),
		"--proof",
		proof.to_str().unwrap(),
	]);
	assert_eq!(code, 2, "{text}");
	assert!(text.contains("not a valid key"), "{text}");

	let batch = dir.join("batch.scale");
	std::fs::write(&batch, b"\x01\x02").unwrap();
	std::fs::write(keys.join("proving.key"), b"").unwrap();
	let (code, text) = prove(&keys, &batch, PROVER, &dir.join("p.json"));
	assert_eq!(code, 2, "{text}");
	assert!(text.contains("not a batch request"), "{text}");
	// Not hex, and an account of another length than an AccountId32's 32 bytes.
	for account in ["7070", "0x7070"] {
		let (code, text) = prove(&keys, &batch, account, &dir.join("p.json"));
		assert_eq!(code, 2, "{text}");
		assert!(
			text.contains("--prover") && text.contains("32 bytes"),
			"{text}"
		);
		assert!(!dir.join("p.json").exists());
	}

	let (code, text) = prover(&["setup", "--slots", "0", "--seed", "x", "--out", "unused"]);
	assert_eq!(code, 2, "{text}");
	assert!(text.contains("--slots"), "{text}");
	std::fs::remove_dir_all(dir).unwrap();
}

/// `exit-setup` writes the exit circuit's keys: its verifier exports with the exit proof's
/// eight public inputs, and proving a batch with them is refused by name.
#[test]
fn exit_keys_export_their_verifier_and_prove_no_batch() {
	let dir = temp_dir("exit");
	let keys = dir.join("exit-keys");
	let (code, text) = prover(&[
		"exit-setup",
		"--seed",
		"cli-test",
		"--out",
		keys.to_str().unwrap(),
	]);
	assert_eq!(code, 0, "{text}");
	let verifier = dir.join("ExitVerifier.sol");
	let (code, text) = prover(&[
		"export-verifier",
		"--keys",
		keys.to_str().unwrap(),
		"--out",
		verifier.to_str().unwrap(),
	]);
	assert_eq!(code, 0, "{text}");
	let source = std::fs::read_to_string(&verifier).unwrap();
	assert!(source.contains("INPUT_COUNT = 8;"), "{source}");
	let batch = dir.join("batch.scale");
	let (code, _) = prover(&[
		"example-batch",
		"--slots",
		"1",
		"--out",
		batch.to_str().unwrap(),
	]);
	assert_eq!(code, 0);
	let out = dir.join("proof.json");
	let (code, text) = prove(&keys, &batch, PROVER, &out);
	assert_eq!(code, 2, "{text}");
	assert!(text.contains("not a key of the batch circuit"), "{text}");
	assert!(!out.exists());
	std::fs::remove_dir_all(&dir).unwrap();
}
