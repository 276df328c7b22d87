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
//! - [`pubdata`]: a slot's op fields as range-checked bits and its pubdata bytes, twin of
//!   `AppliedOp::pubdata`.
//! - [`witness`]: the native batch builder, which runs the STF and records the circuit's
//!   witness; [`batch`]: the batch circuit itself.
//! - [`request`]: batch requests (what the prover builds a batch from) and the example batch.
//! - [`exit`]: the exit circuit of exodus mode, twin of `concord_primitives::exit`.
//! - [`groth16`]: the development key setup, key files, proving and verification.
//! - [`evm`]: proofs and verifying keys as EVM words (EIP-197 order), and the Solidity verifier.

pub mod babyjubjub;
pub mod batch;
pub mod eddsa;
pub mod evm;
pub mod exit;
pub mod groth16;
pub mod merkle;
pub mod poseidon;
pub mod pubdata;
pub mod request;
pub mod witness;

/// The BN254 scalar field, the circuits' native field.
pub use concord_primitives::Fr;
