//! The digests oracle members sign and the hashes the rollup contract keeps, computed as
//! `ConcordRollup.sol` computes them (docs/protocol.md, "L1 contract"). The tests compare each
//! with the deployed contract's view of it.

use crate::{ConcordRollup::PriorityRequestInfo, Payout};
use alloy::primitives::{keccak256, Address, B256, U256};
use concord_primitives::commitment::{commit_digest, execute_digest, GovernanceCall};

/// The action tag of each quorum-authorized call: keccak256 of its name.
pub fn action(name: &str) -> B256 {
	keccak256(name.as_bytes())
}

/// `commitBatches` of the batch signed.
pub const COMMIT: &str = concord_primitives::commitment::COMMIT_ACTION;
/// `executeBatches` up to the batch signed.
pub const EXECUTE: &str = concord_primitives::commitment::EXECUTE_ACTION;
/// `updateOracles`.
pub const UPDATE_ORACLES: &str = concord_primitives::commitment::UPDATE_ORACLES_ACTION;
/// `revertBatches`.
pub const REVERT: &str = concord_primitives::commitment::REVERT_ACTION;
/// `registerToken`.
pub const REGISTER_TOKEN: &str = concord_primitives::commitment::REGISTER_TOKEN_ACTION;
/// `updateChains`.
pub const UPDATE_CHAINS: &str = concord_primitives::commitment::UPDATE_CHAINS_ACTION;
/// `withdrawFees`.
pub const WITHDRAW_FEES: &str = concord_primitives::commitment::WITHDRAW_FEES_ACTION;
/// `retire`.
pub const RETIRE: &str = concord_primitives::commitment::RETIRE_ACTION;

/// What one rollup contract (`contract` on the EVM chain `evm_chain_id`) takes signatures for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Domain {
	pub evm_chain_id: u64,
	pub contract: Address,
}

impl Domain {
	/// The digest of a governance call at governance nonce `nonce`
	/// (`concord_primitives::commitment::GovernanceCall::digest`, which the appchain checks
	/// members' signatures against).
	pub fn governance(&self, nonce: u64, call: GovernanceCall) -> B256 {
		call.digest(self.evm_chain_id, &self.contract.0 .0, nonce)
			.into()
	}

	/// Authorizes committing batch `batch_number` whose pubdata's SHA-256 is `pubdata_hash`
	/// (`concord_primitives::commitment::commit_digest`, which members sign on the appchain).
	pub fn commit(&self, batch_number: u64, pubdata_hash: B256) -> B256 {
		commit_digest(
			self.evm_chain_id,
			&self.contract.0 .0,
			batch_number,
			pubdata_hash.0,
		)
		.into()
	}

	/// Authorizes executing every batch up to `batch_number`, whose sync hash is `sync_hash`
	/// (the appchain checks members' signatures of the same digest).
	pub fn execute(&self, batch_number: u64, sync_hash: B256) -> B256 {
		execute_digest(
			self.evm_chain_id,
			&self.contract.0 .0,
			batch_number,
			sync_hash.0,
		)
		.into()
	}

	/// Authorizes replacing the oracle set, with the contract's `governanceNonce`.
	pub fn update_oracles(&self, nonce: u64, oracles: &[Address], threshold: u64) -> B256 {
		let oracles: Vec<[u8; 20]> = oracles.iter().map(|oracle| oracle.0 .0).collect();
		self.governance(
			nonce,
			GovernanceCall::UpdateOracles {
				oracles: &oracles,
				threshold,
			},
		)
	}

	/// Authorizes reverting the batches after `new_total_committed`.
	pub fn revert(&self, nonce: u64, new_total_committed: u64) -> B256 {
		self.governance(
			nonce,
			GovernanceCall::RevertBatches {
				new_total_committed,
			},
		)
	}

	/// Authorizes mapping L2 token id `token_id` to `token`.
	pub fn register_token(&self, nonce: u64, token_id: u16, token: Address) -> B256 {
		self.governance(
			nonce,
			GovernanceCall::RegisterToken {
				token_id,
				token: token.0 .0,
			},
		)
	}

	/// Authorizes replacing the set of Concord chain ids with `chain_ids`.
	pub fn update_chains(&self, nonce: u64, chain_ids: &[u8]) -> B256 {
		self.governance(nonce, GovernanceCall::UpdateChains { chain_ids })
	}

	/// Authorizes retiring the contract with the requests before `served_up_to` served.
	pub fn retire(&self, nonce: u64, served_up_to: u64) -> B256 {
		self.governance(nonce, GovernanceCall::Retire { served_up_to })
	}

	/// Authorizes paying `amount` wei of the collected request fees to `to`.
	pub fn withdraw_fees(&self, nonce: u64, to: Address, amount: U256) -> B256 {
		self.governance(
			nonce,
			GovernanceCall::WithdrawFees {
				to: to.0 .0,
				amount: amount.to_be_bytes(),
			},
		)
	}
}

/// The hash the priority queue keeps of request `priority_id`:
/// `keccak256(opType ‖ priorityId ‖ accountId ‖ l1Address ‖ token ‖ amount)`, packed.
pub fn request_hash(request: &PriorityRequestInfo, priority_id: u64) -> B256 {
	let mut data = Vec::with_capacity(51);
	data.push(request.opType);
	data.extend_from_slice(&priority_id.to_be_bytes());
	data.extend_from_slice(&request.accountId.to_be_bytes());
	data.extend_from_slice(request.l1Address.as_slice());
	data.extend_from_slice(&request.token.to_be_bytes());
	data.extend_from_slice(&request.amount.to_be_bytes());
	keccak256(data)
}

/// The payout hash chain of a batch, `h = keccak256(h ‖ to ‖ token ‖ amount)` packed, from zero.
pub fn payouts_hash(payouts: &[Payout]) -> B256 {
	payouts.iter().fold(B256::ZERO, |previous, payout| {
		let mut data = Vec::with_capacity(70);
		data.extend_from_slice(previous.as_slice());
		data.extend_from_slice(payout.to.as_slice());
		data.extend_from_slice(&payout.token.to_be_bytes());
		data.extend_from_slice(&payout.amount.to_be_bytes());
		keccak256(data)
	})
}
