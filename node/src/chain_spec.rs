//! Chain specifications built from the runtime's genesis presets.

use concord_runtime::{
	genesis_config_presets::{DEV_NETWORK, DEV_VERIFYING_KEY, LOCAL_NETWORK},
	Runtime, WASM_BINARY,
};
use sc_service::ChainType;

/// The node's chain specification type (no extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// Display properties polkadot.js reads: the native token's symbol and decimals.
fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), "CORD".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"the runtime wasm binary is not available; rebuild without SKIP_WASM_BUILD".to_string()
	})
}

/// `--dev`: a single validator (Alice) with the development preset.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Concord Development")
		.with_id("concord_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// Refuses a chain whose genesis belongs to development, unless it is a development or local
/// chain: a network id of the development presets (or none), since every devnet's L2
/// signatures would be valid on it, and the development verifying key, whose setup seed is
/// public, so anyone could prove any batch against it. A live chain starts with its own
/// network id and the key of a real setup ceremony.
pub fn refuse_development_genesis(spec: &dyn sc_service::ChainSpec) -> Result<(), String> {
	if matches!(spec.chain_type(), ChainType::Development | ChainType::Local) {
		return Ok(());
	}
	let genesis = spec
		.as_storage_builder()
		.build_storage()
		.map_err(|error| format!("cannot build the genesis of chain {}: {error}", spec.id()))?;
	let network = genesis
		.top
		.get(&pallet_concord_ledger::Network::<Runtime>::hashed_key()[..])
		.and_then(|value| <u32 as codec::Decode>::decode(&mut &value[..]).ok())
		.unwrap_or(0);
	if [0, DEV_NETWORK, LOCAL_NETWORK].contains(&network) {
		return Err(format!(
			"chain {} ({:?}) has the network id {network:#010x}, which is unset or a development \
			 preset's: every devnet's L2 signatures would be valid on it. Set `ledger.network` \
			 in the chain spec to an id no other Concord network uses (docs/operations.md)",
			spec.id(),
			spec.chain_type()
		));
	}
	let dev_key = pallet_concord_proofs::Pallet::<Runtime>::stored_form(DEV_VERIFYING_KEY)
		.expect("the development verifying key is valid");
	let registered = genesis
		.top
		.get(&pallet_concord_proofs::Key::<Runtime>::hashed_key()[..]);
	if registered.is_some_and(|stored| stored[..] == codec::Encode::encode(&dev_key)[..]) {
		return Err(format!(
			"chain {} ({:?}) registers the development verifying key, whose setup seed is \
			 public: anyone could prove any batch. Register the verifying key of a real setup \
			 (docs/operations.md), or use a Development or Local chain type for testing",
			spec.id(),
			spec.chain_type()
		));
	}
	Ok(())
}

/// `--chain local`: four validators (Alice, Bob, Charlie, Dave), the first three the oracle,
/// with the local testnet preset.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Concord Local Testnet")
		.with_id("concord_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}
