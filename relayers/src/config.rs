//! The relayer's TOML configuration and its validation. Everything that can be checked
//! without the network is checked by [`Config::parse`]; what the RPC endpoints answer (EVM
//! chain ids, contract registrations) is checked when the relayer connects.

use concord_primitives::ops::ChainId;
use serde::Deserialize;
use std::{collections::BTreeSet, net::SocketAddr, path::PathBuf, time::Duration};

/// A role of the relayer (see the crate documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
	Watcher,
	Prover,
	Submitter,
	Executor,
	Auditor,
}

impl Role {
	pub fn name(self) -> &'static str {
		match self {
			Role::Watcher => "watcher",
			Role::Prover => "prover",
			Role::Submitter => "submitter",
			Role::Executor => "executor",
			Role::Auditor => "auditor",
		}
	}
}

/// The whole configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
	/// The roles this process runs.
	pub roles: BTreeSet<Role>,
	/// How often each role looks for work, in milliseconds.
	#[serde(default = "default_poll_ms")]
	pub poll_interval_ms: u64,
	/// Where `/metrics` is served (Prometheus); none when absent.
	pub metrics: Option<SocketAddr>,
	pub appchain: AppchainConfig,
	/// The member's keys.
	#[serde(default)]
	pub keys: Keys,
	pub prover: Option<ProverConfig>,
	#[serde(default)]
	pub chains: Vec<ChainConfig>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppchainConfig {
	/// The node's WebSocket RPC endpoint (`ws://` or `wss://`).
	pub url: String,
}

/// Secret keys, as secret URIs / hex. The file holding them must be readable by the relayer's
/// user only.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
	/// The sr25519 secret URI of the member's appchain account (`//Alice` on a dev chain): it
	/// signs attestations, proofs and execute signatures.
	pub appchain: Option<String>,
	/// The member's Ethereum secret key (32 bytes hex): it signs execute messages and L1
	/// transactions; its address is the member's address in the oracle set.
	pub ethereum: Option<String>,
}

impl std::fmt::Debug for Keys {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let shown = |key: &Option<String>| key.as_ref().map(|_| "<secret>");
		f.debug_struct("Keys")
			.field("appchain", &shown(&self.appchain))
			.field("ethereum", &shown(&self.ethereum))
			.finish()
	}
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProverConfig {
	/// The proving key directory (`concord-prover setup --out DIR`).
	pub keys_dir: PathBuf,
	/// Where the prover keeps its L2 Merkle state between runs.
	pub store_dir: PathBuf,
	/// Provers sharing the work: this one proves the batches whose number modulo `pool_size`
	/// is `pool_index`.
	#[serde(default = "default_pool_size")]
	pub pool_size: u64,
	#[serde(default)]
	pub pool_index: u64,
}

/// One L1.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
	/// The Concord chain id (as registered on the appchain).
	pub id: u8,
	/// The chain's JSON-RPC endpoint (`http://` or `https://`).
	pub rpc: String,
	/// The EVM chain id the endpoint must report.
	pub evm_chain_id: u64,
	/// The rollup contract's address.
	pub contract: String,
	/// How many blocks an L1 event must be buried under before the watcher attests it.
	pub confirmations: u64,
	/// The block the contract was deployed in: where the watcher starts looking for priority
	/// requests.
	#[serde(default)]
	pub deployed_at: u64,
}

impl ChainConfig {
	pub fn chain_id(&self) -> ChainId {
		ChainId(self.id)
	}
}

fn default_poll_ms() -> u64 {
	1000
}

fn default_pool_size() -> u64 {
	1
}

/// Why a configuration file is refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
	#[error("cannot read {path}: {error}")]
	Read {
		path: PathBuf,
		error: std::io::Error,
	},
	#[error("{0}")]
	Syntax(#[from] toml::de::Error),
	#[error(
		"no roles: `roles` must list at least one of watcher, prover, submitter, executor, auditor"
	)]
	NoRoles,
	#[error("appchain.url {url:?}: {reason}")]
	BadAppchainUrl { url: String, reason: String },
	#[error("chains[{index}].rpc {url:?}: {reason}")]
	BadChainUrl {
		index: usize,
		url: String,
		reason: String,
	},
	#[error("chains[{index}].contract {value:?} is not a 20-byte hex address")]
	BadContract { index: usize, value: String },
	#[error("chain {0} is configured twice")]
	DuplicateChain(u8),
	#[error("the {role} role needs keys.{key}")]
	MissingKey {
		role: &'static str,
		key: &'static str,
	},
	#[error("keys.{key} is invalid: {reason}")]
	BadKey { key: &'static str, reason: String },
	#[error("the prover role needs a [prover] section (keys_dir, store_dir)")]
	MissingProverSection,
	#[error(
		"prover.pool_index {index} must be below prover.pool_size {size} (and the size above 0)"
	)]
	BadPool { index: u64, size: u64 },
	#[error("the {0} role needs at least one [[chains]] entry")]
	NoChains(&'static str),
	#[error("poll_interval_ms must be above 0")]
	ZeroPollInterval,
}

impl Config {
	/// Reads and validates a configuration file.
	pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
		let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
			path: path.to_owned(),
			error,
		})?;
		Config::parse(&text)
	}

	/// Parses and validates a configuration.
	pub fn parse(text: &str) -> Result<Config, ConfigError> {
		let config: Config = toml::from_str(text)?;
		config.validate()?;
		Ok(config)
	}

	fn validate(&self) -> Result<(), ConfigError> {
		if self.roles.is_empty() {
			return Err(ConfigError::NoRoles);
		}
		if self.poll_interval_ms == 0 {
			return Err(ConfigError::ZeroPollInterval);
		}
		check_url(&self.appchain.url, &["ws", "wss"]).map_err(|reason| {
			ConfigError::BadAppchainUrl {
				url: self.appchain.url.clone(),
				reason,
			}
		})?;
		let mut seen = BTreeSet::new();
		for (index, chain) in self.chains.iter().enumerate() {
			check_url(&chain.rpc, &["http", "https"]).map_err(|reason| {
				ConfigError::BadChainUrl {
					index,
					url: chain.rpc.clone(),
					reason,
				}
			})?;
			parse_address(&chain.contract).ok_or_else(|| ConfigError::BadContract {
				index,
				value: chain.contract.clone(),
			})?;
			if !seen.insert(chain.id) {
				return Err(ConfigError::DuplicateChain(chain.id));
			}
		}
		for role in &self.roles {
			// Every role signs appchain extrinsics except the submitter, which only sends L1
			// transactions; the submitter and executor send L1 transactions.
			if *role != Role::Submitter && self.keys.appchain.is_none() {
				return Err(ConfigError::MissingKey {
					role: role.name(),
					key: "appchain",
				});
			}
			if matches!(role, Role::Submitter | Role::Executor) && self.keys.ethereum.is_none() {
				return Err(ConfigError::MissingKey {
					role: role.name(),
					key: "ethereum",
				});
			}
			if *role != Role::Prover && self.chains.is_empty() {
				return Err(ConfigError::NoChains(role.name()));
			}
		}
		if let Some(seed) = &self.keys.appchain {
			crate::appchain::signer_from_uri(seed).map_err(|reason| ConfigError::BadKey {
				key: "appchain",
				reason,
			})?;
		}
		if let Some(key) = &self.keys.ethereum {
			crate::l1::signer_from_hex(key).map_err(|reason| ConfigError::BadKey {
				key: "ethereum",
				reason,
			})?;
		}
		if self.roles.contains(&Role::Prover) {
			let prover = self
				.prover
				.as_ref()
				.ok_or(ConfigError::MissingProverSection)?;
			if prover.pool_size == 0 || prover.pool_index >= prover.pool_size {
				return Err(ConfigError::BadPool {
					index: prover.pool_index,
					size: prover.pool_size,
				});
			}
		}
		Ok(())
	}

	pub fn poll_interval(&self) -> Duration {
		Duration::from_millis(self.poll_interval_ms)
	}
}

/// Checks that `url` parses and has one of `schemes`.
fn check_url(url: &str, schemes: &[&str]) -> Result<(), String> {
	let parsed: alloy::transports::http::reqwest::Url = url
		.parse()
		.map_err(|error| format!("not a URL ({error})"))?;
	if !schemes.contains(&parsed.scheme()) {
		return Err(format!(
			"scheme {:?} is not one of {}",
			parsed.scheme(),
			schemes.join(", ")
		));
	}
	if parsed.host_str().is_none() {
		return Err("no host".into());
	}
	Ok(())
}

/// A `0x`-prefixed or bare 40-digit hex address.
pub fn parse_address(text: &str) -> Option<[u8; 20]> {
	let digits = text.strip_prefix("0x").unwrap_or(text);
	let bytes = hex::decode(digits).ok()?;
	bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
	use super::*;

	const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

	fn valid() -> String {
		format!(
			r#"
roles = ["watcher", "prover", "submitter", "executor", "auditor"]
metrics = "127.0.0.1:9616"

[appchain]
url = "ws://127.0.0.1:9944"

[keys]
appchain = "//Alice"
ethereum = "{KEY}"

[prover]
keys_dir = "/tmp/keys"
store_dir = "/tmp/store"

[[chains]]
id = 1
rpc = "http://127.0.0.1:8545"
evm_chain_id = 31337
contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
confirmations = 2
"#
		)
	}

	fn refusal(text: &str) -> String {
		Config::parse(text).unwrap_err().to_string()
	}

	#[test]
	fn a_complete_file_parses() {
		let config = Config::parse(&valid()).unwrap();
		assert_eq!(config.roles.len(), 5);
		assert_eq!(config.chains[0].chain_id(), ChainId(1));
		assert_eq!(config.poll_interval(), Duration::from_secs(1));
		let prover = config.prover.unwrap();
		assert_eq!((prover.pool_size, prover.pool_index), (1, 0));
	}

	#[test]
	fn keys_are_not_printed() {
		let config = Config::parse(&valid()).unwrap();
		let shown = format!("{config:?}");
		assert!(
			!shown.contains("Alice") && !shown.contains(&KEY[2..]),
			"{shown}"
		);
	}

	#[test]
	fn an_unknown_role_is_named() {
		let text = valid().replace("\"auditor\"]", "\"auditor\", \"sequencer\"]");
		let error = refusal(&text);
		assert!(error.contains("unknown variant `sequencer`"), "{error}");
		assert!(error.contains("watcher"), "{error}");
	}

	#[test]
	fn bad_urls_are_refused() {
		let error = refusal(&valid().replace("ws://127.0.0.1:9944", "http://127.0.0.1:9944"));
		assert!(
			error.starts_with("appchain.url") && error.contains("scheme"),
			"{error}"
		);
		let error = refusal(&valid().replace("http://127.0.0.1:8545", "127.0.0.1:8545"));
		assert!(error.starts_with("chains[0].rpc"), "{error}");
		let error = refusal(&valid().replace("http://127.0.0.1:8545", "not a url"));
		assert!(error.contains("not a URL"), "{error}");
	}

	#[test]
	fn missing_and_bad_keys_are_refused() {
		let error = refusal(&valid().replace(&format!("ethereum = \"{KEY}\""), ""));
		assert_eq!(error, "the submitter role needs keys.ethereum");
		let error = refusal(&valid().replace("appchain = \"//Alice\"", ""));
		assert_eq!(error, "the watcher role needs keys.appchain");
		let error = refusal(&valid().replace(KEY, "0x1234"));
		assert!(error.starts_with("keys.ethereum is invalid"), "{error}");
		let error = refusal(&valid().replace("//Alice", "not a secret uri"));
		assert!(error.starts_with("keys.appchain is invalid"), "{error}");
	}

	#[test]
	fn sections_roles_need_are_required() {
		let text = valid();
		let without_prover = text.split("[prover]").next().unwrap().to_owned()
			+ "[[chains]]"
			+ text.split("[[chains]]").nth(1).unwrap();
		assert_eq!(
			refusal(&without_prover),
			"the prover role needs a [prover] section (keys_dir, store_dir)"
		);
		let error = refusal(&text.replace(
			"store_dir = \"/tmp/store\"",
			"store_dir = \"/tmp/store\"\npool_size = 2\npool_index = 2",
		));
		assert!(error.starts_with("prover.pool_index 2"), "{error}");
		let no_chains = text.split("[[chains]]").next().unwrap();
		assert_eq!(
			refusal(no_chains),
			"the watcher role needs at least one [[chains]] entry"
		);
		let twice = text.clone() + &text[text.find("[[chains]]").unwrap()..];
		assert_eq!(refusal(&twice), "chain 1 is configured twice");
		assert!(
			refusal(&text.replace("confirmations = 2", "confirmations = 2\ncolour = 1"))
				.contains("unknown field `colour`")
		);
		assert!(
			refusal(&text.replace("0x5FbDB2315678afecb367f032d93F642f64180aa3", "0x5FbD"))
				.starts_with("chains[0].contract")
		);
	}
}
