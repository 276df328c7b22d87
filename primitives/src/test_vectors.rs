//! Reference values computed outside this crate: `test-vectors/circomlib.json` by circomlibjs
//! 0.1.7 (`scripts/gen-test-vectors.mjs`), `test-vectors/commitment.json` by node's SHA-256 and
//! ethers' keccak256 (`primitives/scripts/gen-commitment-vectors.mjs`), `test-vectors/state.json`
//! by circomlibjs's Poseidon over a separate tree (`primitives/scripts/gen-state-vectors.mjs`).

use crate::Fr;
use core::str::FromStr;
use serde_json::Value;
use std::sync::OnceLock;

pub fn get() -> &'static Value {
	static VECTORS: OnceLock<Value> = OnceLock::new();
	VECTORS.get_or_init(|| {
		serde_json::from_str(include_str!("../test-vectors/circomlib.json"))
			.expect("test-vectors/circomlib.json is valid JSON")
	})
}

pub fn commitment() -> &'static Value {
	static VECTORS: OnceLock<Value> = OnceLock::new();
	VECTORS.get_or_init(|| {
		serde_json::from_str(include_str!("../test-vectors/commitment.json"))
			.expect("test-vectors/commitment.json is valid JSON")
	})
}

pub fn state() -> &'static Value {
	static VECTORS: OnceLock<Value> = OnceLock::new();
	VECTORS.get_or_init(|| {
		serde_json::from_str(include_str!("../test-vectors/state.json"))
			.expect("test-vectors/state.json is valid JSON")
	})
}

/// A decimal string of the vectors as a field element.
pub fn fr(value: &Value) -> Fr {
	Fr::from_str(value.as_str().expect("decimal string")).expect("canonical field element")
}
