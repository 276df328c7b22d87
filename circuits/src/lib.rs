//! Concord's constraint gadgets over the BN254 scalar field, for the Groth16 batch circuit.
//!
//! Every gadget is the twin of a native function of `concord-primitives` and computes exactly
//! what it computes: the prover derives witnesses natively, and the tests check each gadget
//! against its twin on valid and invalid witnesses, so the circuit and the runtime cannot drift
//! apart.
//!
//! - [`poseidon`]: circomlib's Poseidon, twin of `concord_primitives::poseidon`.
//! - [`merkle`]: membership and update proofs of the sparse Merkle tree, twin of
//!   `concord_primitives::tree`.
//! - [`babyjubjub`]: Baby Jubjub points in circomlib's coordinates, twin of
//!   `concord_primitives::babyjubjub`.
//! - [`eddsa`]: EdDSA-Poseidon signature verification, twin of `concord_primitives::eddsa`.

pub mod babyjubjub;
pub mod eddsa;
pub mod merkle;
pub mod poseidon;

/// The BN254 scalar field, the circuits' native field.
pub use concord_primitives::Fr;
