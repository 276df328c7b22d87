//! Concord's L1 contracts for Rust: alloy bindings generated from the committed solc artifacts
//! (`contracts/out/*.json`, built by `scripts/build-contracts.mjs`), the digests and hashes the
//! rollup contract checks (so that oracle members and relayers compute exactly what it
//! recomputes), the payouts a batch credits, and tooling for tests and devnets: compiling a
//! generated verifier with the pinned solc and running anvil on a loopback port.
//!
//! The Solidity sources are the specification of the on-chain rules; docs/protocol.md ("L1
//! contract") states them and the tests pin each Rust twin against the deployed contract.

pub mod anvil;
pub mod digest;
pub mod tools;

use alloy::primitives::Address;
use concord_primitives::ops::{self, ChainId, ChangePubKey, Op, PubdataError};

/// The bindings of the contracts in `contracts/src`, with their creation bytecode.
pub mod bindings {
	alloy::sol!(
		#[sol(rpc)]
		#[derive(Debug, PartialEq, Eq)]
		ConcordRollup,
		"out/ConcordRollup.json"
	);
	alloy::sol!(
		#[sol(rpc)]
		TestToken,
		"out/TestToken.json"
	);
	alloy::sol!(
		#[sol(rpc)]
		NoBoolToken,
		"out/NoBoolToken.json"
	);
	alloy::sol!(
		#[sol(rpc)]
		ReentrantReceiver,
		"out/ReentrantReceiver.json"
	);
	alloy::sol! {
		/// The generated Groth16 verifier (`concord_circuits::evm::solidity_verifier`); its
		/// bytecode depends on the verifying key, see [`crate::tools::compile_verifier`].
		#[sol(rpc)]
		interface IConcordVerifier {
			function verifyProof(uint256[8] calldata proof, uint256[] calldata input)
				external view returns (bool);
		}
	}
}

pub use bindings::ConcordRollup::{self, Payout};

/// The payouts a batch credits on chain `chain` when it executes, in pubdata order: its
/// Withdraw ops to `chain` and its FullExits of `chain` that exited a non-zero amount. They are
/// the `payouts` of `executeBatches`; the contract hashed the same list at commit.
pub fn payouts(pubdata: &[u8], chain: ChainId) -> Result<Vec<Payout>, PubdataError> {
	let (_, ops) = ops::decode_batch_pubdata(pubdata)?;
	Ok(ops
		.iter()
		.filter_map(|op| op.withdrawal())
		.filter(|withdrawal| withdrawal.chain_id == chain)
		.map(|withdrawal| Payout {
			to: Address::from(withdrawal.to_address),
			token: withdrawal.token,
			amount: withdrawal.amount,
		})
		.collect())
}

/// Every ChangePubKey op of a batch, whatever chain it names, in pubdata order, each with the
/// owner whose Ethereum signature of [`ChangePubKey::eth_message`] `commitBatches` needs, in
/// this order: every chain's contract checks every key change of the batch.
pub fn change_pubkeys(pubdata: &[u8]) -> Result<Vec<(ChangePubKey, Address)>, PubdataError> {
	let (_, ops) = ops::decode_batch_pubdata(pubdata)?;
	Ok(ops
		.iter()
		.filter_map(|applied| match (applied.op(), applied.owner()) {
			(Op::ChangePubKey(op), Some(owner)) => Some((*op, Address::from(owner))),
			_ => None,
		})
		.collect())
}
