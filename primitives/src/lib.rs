//! Concord primitives shared by the runtime, the prover, the auditor and the clients.
//!
//! - [`poseidon`]: circomlib's Poseidon over the BN254 scalar field [`Fr`], the hash of the
//!   state trees and of signed messages.
//! - [`babyjubjub`], [`eddsa`], [`blake512`]: EdDSA-Poseidon on Baby Jubjub as circomlibjs
//!   signs L2 operations, and the L2 key derived from an Ethereum signature.
//! - [`tree`]: the sparse Merkle tree with Poseidon nodes over a pluggable node store, with
//!   membership and update proofs.
//! - [`account`]: the state layout (account tree of depth 24, a balance tree of depth 8 per
//!   account, the account leaf), its empty roots and the combined [`account::AccountTree`].
//! - [`exit`]: what an exodus exit proof shows (an account's balance, a chain's reserve and
//!   the total of a token) and its native check.
//! - [`commitment`]: the batch commitment (the proof's public input) and the per-chain sync
//!   hash, byte for byte as the L1 contracts compute them.
//! - [`groth16`]: Groth16 verification over BN254, the one the appchain runs on every batch
//!   proof.
//! - [`ops`]: the L2 operations (SCALE-encoded extrinsic arguments), the messages their owners
//!   sign, and their pubdata, byte for byte as the L1 contracts read it.
//! - [`pool`]: constant-product pools (swap, add and remove liquidity), rounding in the pool's
//!   favour.
//! - [`float`]: the decimal floats the pubdata packs L2 amounts and fees in.
//! - [`stf`]: the state transition function, the one statement of the rules that the runtime
//!   (over storage), the prover and the auditor (over the Merkle state) all run.
//!
//! Everything here must agree bit for bit with what wallets compute with iden3's circomlibjs,
//! with the L1 contracts and with the circuits, so each module is pinned by test vectors
//! computed outside this crate: circomlibjs (`scripts/gen-test-vectors.mjs`,
//! `primitives/scripts/gen-state-vectors.mjs`) and node's SHA-256 with ethers' keccak256
//! (`primitives/scripts/gen-commitment-vectors.mjs`). The crate is `no_std` (with `alloc`) so
//! the runtime can use it in wasm.
#![cfg_attr(not(any(test, feature = "std")), no_std)]

extern crate alloc;

pub mod account;
pub mod babyjubjub;
pub mod blake512;
pub mod commitment;
pub mod eddsa;
pub mod exit;
pub mod float;
pub mod groth16;
pub mod ops;
pub mod pool;
pub mod poseidon;
#[rustfmt::skip]
mod poseidon_constants;
pub mod stf;
pub mod tree;

/// The BN254 scalar field: Poseidon's field, the circuits' native field and Baby Jubjub's base
/// field.
pub use ark_bn254::Fr;

#[cfg(test)]
mod test_vectors;
