//! Genesis presets build a valid genesis state with the intended validators and balances.

use crate::{
	genesis_config_presets::{get_preset, preset_names, ENDOWMENT},
	Runtime, RuntimeGenesisConfig,
};
use frame_support::genesis_builder_helper::build_state;
use serde_json::Value;
use sp_keyring::Sr25519Keyring;

/// Applies an RFC 7386 JSON merge patch (what the node does with a preset patch).
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (key, value) in patch {
				if value.is_null() {
					base.remove(&key);
				} else {
					merge(base.entry(key).or_insert(Value::Null), value);
				}
			}
		}
		(base, patch) => *base = patch,
	}
}

/// Builds the genesis storage of a preset, the way the node does for a chain spec.
fn genesis_of(preset: &str) -> sp_io::TestExternalities {
	let patch: Value =
		serde_json::from_slice(&get_preset(&preset.into()).expect("preset exists")).unwrap();
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut config, patch);
	let mut ext = sp_io::TestExternalities::default();
	ext.execute_with(|| {
		build_state::<RuntimeGenesisConfig>(serde_json::to_vec(&config).unwrap())
			.expect("genesis builds")
	});
	ext
}

#[test]
fn both_presets_are_listed() {
	assert_eq!(preset_names(), ["development", "local_testnet"]);
	assert!(get_preset(&"no_such_preset".into()).is_none());
}

#[test]
fn development_genesis_has_alice_as_sole_validator_and_sudo() {
	genesis_of("development").execute_with(|| {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(
			pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(),
			1
		);
		assert_eq!(
			pallet_sudo::Key::<Runtime>::get(),
			Some(Sr25519Keyring::Alice.to_account_id())
		);
		assert_eq!(
			pallet_balances::Pallet::<Runtime>::free_balance(Sr25519Keyring::Bob.to_account_id()),
			ENDOWMENT
		);
	});
}

#[test]
fn local_testnet_genesis_has_three_validators() {
	genesis_of("local_testnet").execute_with(|| {
		let aura: Vec<_> = pallet_aura::Authorities::<Runtime>::get().into_inner();
		let expected: Vec<sp_consensus_aura::sr25519::AuthorityId> = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
		]
		.iter()
		.map(|k| k.public().into())
		.collect();
		assert_eq!(aura, expected);
		assert_eq!(
			pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(),
			3
		);
		assert_eq!(
			pallet_balances::Pallet::<Runtime>::total_issuance(),
			ENDOWMENT * Sr25519Keyring::well_known().count() as u128
		);
	});
}
