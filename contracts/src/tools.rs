//! The repository's Node tooling from Rust: compiling a generated verifier with the pinned
//! solc through `scripts/build-contracts.mjs`, so that tests and devnets deploy exactly what the
//! build script produces.

use alloy::primitives::Bytes;
use std::{
	fmt,
	path::{Path, PathBuf},
	process::Command,
	sync::atomic::{AtomicU64, Ordering},
};

/// Why a tool run failed.
#[derive(Debug)]
pub enum ToolError {
	Io {
		path: PathBuf,
		error: std::io::Error,
	},
	/// A command exited unsuccessfully; its stderr says why.
	Failed {
		command: String,
		status: std::process::ExitStatus,
		stderr: String,
	},
	/// An artifact is not JSON with a `bytecode` hex string.
	BadArtifact(PathBuf),
}

impl fmt::Display for ToolError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			ToolError::Io { path, error } => write!(f, "{}: {error}", path.display()),
			ToolError::Failed {
				command,
				status,
				stderr,
			} => write!(f, "{command} failed ({status}):\n{stderr}"),
			ToolError::BadArtifact(path) => {
				write!(f, "{}: not an artifact with a bytecode", path.display())
			}
		}
	}
}

impl std::error::Error for ToolError {}

/// The repository's root (where `package.json` and `node_modules/` are): the nearest directory
/// holding `Cargo.lock` above the package cargo runs, else above this crate as it was built.
/// Cargo sets `CARGO_MANIFEST_DIR` for the tests and binaries it runs (and their children
/// inherit it); the compile-time value may name another clone, because cargo reuses a shared
/// target directory's builds across clones without recompiling.
pub fn repo_root() -> PathBuf {
	let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
		.map(PathBuf::from)
		.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
	manifest_dir
		.ancestors()
		.find(|dir| dir.join("Cargo.lock").is_file())
		.unwrap_or(&manifest_dir)
		.to_path_buf()
}

/// A fresh directory under the system's temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
	pub fn new(prefix: &str) -> Result<TempDir, ToolError> {
		static COUNTER: AtomicU64 = AtomicU64::new(0);
		let path = std::env::temp_dir().join(format!(
			"{prefix}-{}-{}",
			std::process::id(),
			COUNTER.fetch_add(1, Ordering::Relaxed)
		));
		std::fs::create_dir_all(&path).map_err(|error| ToolError::Io {
			path: path.clone(),
			error,
		})?;
		Ok(TempDir(path))
	}

	pub fn path(&self) -> &Path {
		&self.0
	}
}

impl Drop for TempDir {
	fn drop(&mut self) {
		let _ = std::fs::remove_dir_all(&self.0);
	}
}

/// Runs `node scripts/build-contracts.mjs args…` from the repository root.
pub fn build_contracts(args: &[&str]) -> Result<String, ToolError> {
	let root = repo_root();
	let script = root.join("scripts/build-contracts.mjs");
	let output = Command::new("node")
		.arg(&script)
		.args(args)
		.current_dir(&root)
		.output()
		.map_err(|error| ToolError::Io {
			path: "node".into(),
			error,
		})?;
	if !output.status.success() {
		return Err(ToolError::Failed {
			command: format!("node scripts/build-contracts.mjs {}", args.join(" ")),
			status: output.status,
			stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
		});
	}
	Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The creation bytecode of a generated `ConcordVerifier` source
/// (`concord_circuits::evm::solidity_verifier`), compiled with the settings of the committed
/// artifacts.
pub fn compile_verifier(source: &str) -> Result<Bytes, ToolError> {
	let dir = TempDir::new("concord-verifier")?;
	let file = dir.path().join("ConcordVerifier.sol");
	std::fs::write(&file, source).map_err(|error| ToolError::Io {
		path: file.clone(),
		error,
	})?;
	let out = dir.path().join("out");
	build_contracts(&[
		"--verifier",
		file.to_str().expect("temporary paths are UTF-8"),
		"--out",
		out.to_str().expect("temporary paths are UTF-8"),
	])?;
	artifact_bytecode(&out.join("ConcordVerifier.json"))
}

/// The `bytecode` of a JSON artifact.
pub fn artifact_bytecode(path: &Path) -> Result<Bytes, ToolError> {
	let text = std::fs::read_to_string(path).map_err(|error| ToolError::Io {
		path: path.into(),
		error,
	})?;
	let json: serde_json::Value =
		serde_json::from_str(&text).map_err(|_| ToolError::BadArtifact(path.into()))?;
	json["bytecode"]
		.as_str()
		.and_then(|hex| hex.parse::<Bytes>().ok())
		.filter(|bytes| !bytes.is_empty())
		.ok_or_else(|| ToolError::BadArtifact(path.into()))
}
