//! Chain specifications built from the runtime's genesis presets.

use concord_runtime::WASM_BINARY;
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
