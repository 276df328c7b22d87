//! Genesis presets: `development` (Alice alone) and `local_testnet` (Alice, Bob, Charlie and
//! Dave validate; Alice, Bob and Charlie are the oracle).
//!
//! Each oracle member's L1 key is one of anvil's well-known development accounts (#0 for Alice,
//! #1 for Bob, #2 for Charlie), so devnet relayers can sign on the local EVM chains with funded
//! keys. `local_testnet` has four validators because GRANDPA finalizes with more than 2/3 of
//! the voters: three equal voters need all three, four keep finalizing with one down. The
//! oracle's quorum is 2 of its 3 members, so it too survives one member down. The proof registry starts with the verifying key of the
//! INSECURE development setup of the 8-slot batch circuit with seed `concord-dev`
//! (`res/dev-verifying.key`, written by `concord-prover setup --slots 16 --seed concord-dev`).
//!
//! `chain-specs/*.json` are generated from these presets by `scripts/build-chain-specs.sh`;
//! a node test fails when the committed files drift from them.

use crate::{
	AccountId, BalancesConfig, LedgerConfig, OracleConfig, ProofsConfig, RuntimeGenesisConfig,
	SudoConfig, UNIT,
};
use alloc::{vec, vec::Vec};
use concord_primitives::ops::{NetworkId, OpType};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// Native balance given to every endowed development account.
pub const ENDOWMENT: u128 = 1_000_000 * UNIT;

/// The minimum fee of every L2-signed op on the development chains, paid in token 0 (the
/// devnets' native coin, 18 decimals): 10^12 wei, a millionth of an ETH. Other fee tokens are
/// accepted once governance sets their minimums (`Ledger::set_min_fee`).
pub const DEV_MIN_FEE: u128 = 1_000_000_000_000;

/// The network id of the `dev` preset (one node, `concord-node --dev`).
pub const DEV_NETWORK: NetworkId = 0x0c0d_0001;

/// The network id of the `local_testnet` preset (four validators, the zombienet network).
pub const LOCAL_NETWORK: NetworkId = 0x0c0d_0002;

/// The L2 token whose minimum fees the development presets set.
pub const DEV_FEE_TOKEN: u16 = 0;

/// The verifying key of the development setup (16 slots, seed `concord-dev`).
pub const DEV_VERIFYING_KEY: &[u8] = include_bytes!("../res/dev-verifying.key");

/// The addresses of anvil's development accounts #0, #1 and #2 (mnemonic "test test ... junk").
pub const ANVIL_ADDRESSES: [[u8; 20]; 3] = [
	address("f39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
	address("70997970c51812dc3a010c7d01b50e0d17dc79c8"),
	address("3c44cdddb6a900fa2b585dd299e03d12fa4293bc"),
];

const fn address(hex: &str) -> [u8; 20] {
	const fn nibble(c: u8) -> u8 {
		match c {
			b'0'..=b'9' => c - b'0',
			b'a'..=b'f' => c - b'a' + 10,
			_ => panic!("lowercase hex"),
		}
	}
	let bytes = hex.as_bytes();
	let mut out = [0u8; 20];
	let mut i = 0;
	while i < 20 {
		out[i] = nibble(bytes[2 * i]) << 4 | nibble(bytes[2 * i + 1]);
		i += 1;
	}
	out
}

fn testnet_genesis(
	network: NetworkId,
	initial_authorities: Vec<(AuraId, GrandpaId)>,
	oracle_members: Vec<(AccountId, [u8; 20])>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|k| (k, ENDOWMENT))
				.collect::<Vec<_>>(),
		},
		aura: pallet_aura::GenesisConfig {
			authorities: initial_authorities
				.iter()
				.map(|x| x.0.clone())
				.collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: initial_authorities
				.iter()
				.map(|x| (x.1.clone(), 1))
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
		proofs: ProofsConfig {
			key: DEV_VERIFYING_KEY.to_vec(),
		},
		oracle: OracleConfig {
			members: oracle_members,
		},
		ledger: LedgerConfig {
			network,
			min_fees: [
				OpType::Transfer,
				OpType::TransferToNew,
				OpType::Withdraw,
				OpType::ChangePubKey,
			]
			.map(|kind| (kind as u8, DEV_FEE_TOKEN, DEV_MIN_FEE))
			.to_vec(),
		},
	})
}

/// A development validator's Aura (sr25519) and GRANDPA (ed25519) keys from its `//Name` seed.
fn authority_keys(aura: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AuraId, GrandpaId) {
	(aura.public().into(), grandpa.public().into())
}

/// Alice authors and finalizes alone; the well-known dev accounts are endowed.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		DEV_NETWORK,
		vec![authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		vec![(Sr25519Keyring::Alice.to_account_id(), ANVIL_ADDRESSES[0])],
		Sr25519Keyring::well_known()
			.map(|k| k.to_account_id())
			.collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// Alice, Bob, Charlie and Dave are validators, the first three also oracle members; the
/// well-known dev accounts are endowed.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		LOCAL_NETWORK,
		vec![
			authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			authority_keys(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			authority_keys(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			authority_keys(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		[
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
		]
		.into_iter()
		.zip(ANVIL_ADDRESSES)
		.map(|(validator, address)| (validator.to_account_id(), address))
		.collect(),
		Sr25519Keyring::well_known()
			.map(|k| k.to_account_id())
			.collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The JSON patch of a named preset.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The names of the presets this runtime provides.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
