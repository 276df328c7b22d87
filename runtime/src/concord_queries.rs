//! The answers of [`crate::concord_api::ConcordApi`], read from the Concord pallets' storage.

use crate::{
	concord_api::{AccountView, BatchStatus, MemberSignatures},
	Runtime,
};
use alloc::vec::Vec;
use pallet_concord_batches::L1Stage;

pub fn account(id: u32) -> Option<AccountView> {
	let record = pallet_concord_ledger::Accounts::<Runtime>::get(id)?;
	Some(AccountView {
		id,
		l1_address: record.l1_address,
		pubkey: record.pubkey,
		nonce: record.nonce,
		// The ledger stores non-zero balances only.
		balances: pallet_concord_ledger::Balances::<Runtime>::iter_prefix(id).collect(),
	})
}

pub fn batch_status(batch: u64) -> Option<BatchStatus> {
	let header = pallet_concord_batches::Headers::<Runtime>::get(batch)?;
	let proven = pallet_concord_proofs::Proven::<Runtime>::get(batch)
		.map(|proven| (proven.new_root, proven.commitment, proven.sync_hash));
	let chains = pallet_concord_ledger::Chains::<Runtime>::iter_keys()
		.map(|chain| {
			let progress = pallet_concord_batches::L1Progress::<Runtime>::get(chain);
			let stage = [L1Stage::Executed, L1Stage::Proven, L1Stage::Committed]
				.into_iter()
				.find(|&stage| progress.last(stage) >= batch);
			(chain, stage)
		})
		.collect();
	Some(BatchStatus {
		number: batch,
		op_count: header.op_count,
		fee_account: header.fee_account,
		pubdata_hash: header.pubdata_hash,
		sealed_at: header.sealed_at,
		proven,
		synced: batch <= pallet_concord_oracle::LastSynced::<Runtime>::get(),
		execute_signatures: pallet_concord_oracle::ExecuteSignatures::<Runtime>::iter_prefix(batch)
			.count() as u32,
		chains,
	})
}

pub fn execute_signatures(batch: u64) -> Vec<MemberSignatures> {
	let members = pallet_concord_oracle::Members::<Runtime>::get();
	pallet_concord_oracle::ExecuteSignatures::<Runtime>::iter_prefix(batch)
		.filter_map(|(account, signatures)| {
			let member = members.iter().find(|member| member.account == account)?;
			Some(MemberSignatures {
				l1_address: member.l1_address,
				signatures: signatures.into_inner(),
			})
		})
		.collect()
}
