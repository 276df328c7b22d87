//! Concord primitives shared by the runtime, the prover, the auditor and the clients.
//!
//! Everything here must agree bit for bit with what wallets compute with iden3's circomlibjs and
//! with the circuits, so each module is pinned by test vectors generated from circomlibjs
//! (`scripts/gen-test-vectors.mjs`). The crate is `no_std` so the runtime can use it in wasm.
#![cfg_attr(not(any(test, feature = "std")), no_std)]

extern crate alloc;

pub mod account;
pub mod babyjubjub;
pub mod blake512;
pub mod commitment;
pub mod eddsa;
pub mod poseidon;
#[rustfmt::skip]
mod poseidon_constants;
pub mod tree;

/// The BN254 scalar field: Poseidon's field, the circuits' native field and Baby Jubjub's base
/// field.
pub use ark_bn254::Fr;

#[cfg(test)]
mod test_vectors;
