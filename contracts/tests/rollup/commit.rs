use crate::common::*;
use alloy::primitives::{Bytes, B256, U256};
use concord_contracts::ConcordRollup::{self, ConcordRollupErrors as E};
use concord_primitives::ops::{ChangePubKey, Op, Withdraw, BATCH_HEADER_BYTES, SLOT_BYTES};
use sha2::{Digest, Sha256};

fn oracle() -> alloy::primitives::Address {
	oracles()[0].address()
}

/// Batches 1 and 2 commit in one call; the contract records their pubdata hashes and the
/// priority requests they serve, and checks Alice's key-change signature.
#[tokio::test(flavor = "current_thread")]
async fn commit_records_batches_and_checks_priority_ops() {
	let (_, b1, b2) = first_batches();
	let chain = Chain::start().await;
	chain.request_batch1().await;
	chain.request_batch2().await;
	chain.commit(&[&b1, &b2]).await;
	let rollup = &chain.rollup;
	assert_eq!(rollup.totalCommitted().call().await.unwrap(), 2);
	assert_eq!(rollup.committedPriorityRequests().call().await.unwrap(), 3);
	assert_eq!(rollup.firstPriorityId().call().await.unwrap(), 0);
	for (batch, served) in [(&b1, 2), (&b2, 1)] {
		let stored = rollup.storedBatch(batch.number()).call().await.unwrap();
		assert_eq!(
			stored.pubdataHash.0,
			<[u8; 32]>::from(Sha256::digest(&batch.pubdata))
		);
		assert_eq!(stored.payoutsHash, B256::ZERO);
		assert_eq!(stored.newRoot, B256::ZERO, "the root is known at prove");
		assert_eq!(stored.priorityRequests, served);
	}
}

/// Ops of other chains are hashed, not checked: chain 2's deposits are not in this queue and
/// its key changes need no signature here, its withdrawals pay nothing here.
#[tokio::test(flavor = "current_thread")]
async fn other_chains_ops_are_only_hashed() {
	let mut seq = Sequencer::new();
	let b1 = seq.batch(
		&[
			(deposit(OTHER_CHAIN, 0, addr(&operator()), ETH, 5), None),
			(deposit(OTHER_CHAIN, 1, addr(&alice()), ETH, 50), None),
		],
		vec![],
	);
	let ((cpk, l2), _, _) = alice_change_pubkey(OTHER_CHAIN);
	let b2 = seq.batch(
		&[
			(cpk, l2),
			l2_signed(Op::Withdraw(Withdraw {
				from: 1,
				to_chain: OTHER_CHAIN,
				to_address: addr(&alice()),
				token: ETH,
				amount: 10,
				fee: 0,
				nonce: 1,
			})),
		],
		vec![],
	);
	let chain = Chain::start().await;
	let receipt = chain.commit(&[&b1, &b2]).await;
	let events: Vec<_> = receipt
		.logs()
		.iter()
		.filter_map(|log| log.log_decode::<ConcordRollup::BatchCommitted>().ok())
		.map(|log| log.inner.data.priorityRequests)
		.collect();
	assert_eq!(events, [0, 0]);
	let stored = chain.rollup.storedBatch(2).call().await.unwrap();
	assert_eq!(stored.payoutsHash, B256::ZERO);
}

#[tokio::test(flavor = "current_thread")]
async fn commit_rejects_bad_batches() {
	let (mut seq, b1, b2) = first_batches();
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let commit =
		|infos: Vec<ConcordRollup::CommitBatchInfo>| rollup.commitBatches(infos).from(oracle());

	// Before any request is queued, batch 1's deposits are not in the queue.
	assert_eq!(
		revert_of(commit(vec![b1.commit_info()])).await,
		E::PriorityRequestNotQueued(ConcordRollup::PriorityRequestNotQueued { priorityId: 0 })
	);
	// A deposit of another amount than the queued one.
	let operator = operator().address();
	send(
		rollup
			.depositETH(operator)
			.value(U256::from(2))
			.from(operator),
	)
	.await;
	let alice_address = alice().address();
	send(
		rollup
			.depositETH(alice_address)
			.value(U256::from(ONE_ETH))
			.from(alice_address),
	)
	.await;
	assert_eq!(
		revert_of(commit(vec![b1.commit_info()])).await,
		E::PriorityRequestMismatch(ConcordRollup::PriorityRequestMismatch { priorityId: 0 })
	);

	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let commit =
		|infos: Vec<ConcordRollup::CommitBatchInfo>| rollup.commitBatches(infos).from(oracle());
	chain.request_batch1().await;
	chain.request_batch2().await;

	// Only oracle members commit.
	assert_eq!(
		revert_of(
			rollup
				.commitBatches(vec![b1.commit_info()])
				.from(alice_address)
		)
		.await,
		E::NotOracle(ConcordRollup::NotOracle {
			caller: alice_address
		})
	);
	assert_eq!(
		revert_of(commit(vec![])).await,
		E::NoBatches(ConcordRollup::NoBatches {})
	);
	assert_eq!(
		revert_of(commit(vec![b2.commit_info()])).await,
		E::UnexpectedBatchNumber(ConcordRollup::UnexpectedBatchNumber {
			expected: 1,
			given: 2
		})
	);
	let mut short = b1.commit_info();
	short.pubdata = b1.pubdata[..b1.pubdata.len() - 1].to_vec().into();
	assert_eq!(
		revert_of(commit(vec![short])).await,
		E::BadPubdataLength(ConcordRollup::BadPubdataLength {
			length: U256::from(b1.pubdata.len() - 1),
			expected: U256::from(b1.pubdata.len()),
		})
	);
	let mut unknown = b1.pubdata.clone();
	unknown[BATCH_HEADER_BYTES + SLOT_BYTES] = 7;
	assert_eq!(
		revert_of(commit(vec![with_pubdata(&b1, unknown)])).await,
		E::UnknownOpType(ConcordRollup::UnknownOpType {
			slot: U256::from(1),
			opType: 7
		})
	);
	// Batch 1's ops in the other order: request 1 where request 0 is due.
	let mut swapped = b1.pubdata.clone();
	let (first, second) = swapped[BATCH_HEADER_BYTES..].split_at_mut(SLOT_BYTES);
	first.swap_with_slice(&mut second[..SLOT_BYTES]);
	assert_eq!(
		revert_of(commit(vec![with_pubdata(&b1, swapped)])).await,
		E::PriorityIdMismatch(ConcordRollup::PriorityIdMismatch {
			slot: U256::ZERO,
			expected: 0,
			given: 1
		})
	);
	// A batch of batch 1's numbers serving other requests: the hashes differ.
	let mut retargeted = b1.pubdata.clone();
	retargeted[BATCH_HEADER_BYTES + 14] ^= 1; // the first deposit's recipient
	assert_eq!(
		revert_of(commit(vec![with_pubdata(&b1, retargeted)])).await,
		E::PriorityRequestMismatch(ConcordRollup::PriorityRequestMismatch { priorityId: 0 })
	);
	// Signatures must match the ChangePubKey ops one for one.
	let mut extra = b1.commit_info();
	extra.changePubKeySignatures = b2.change_pubkey_signatures.clone();
	assert_eq!(
		revert_of(commit(vec![extra])).await,
		E::UnusedChangePubKeySignatures(ConcordRollup::UnusedChangePubKeySignatures {
			used: U256::ZERO,
			given: U256::from(1)
		})
	);
	chain.commit(&[&b1]).await;
	let mut missing = b2.commit_info();
	missing.changePubKeySignatures = vec![];
	assert_eq!(
		revert_of(commit(vec![missing])).await,
		E::MissingChangePubKeySignature(ConcordRollup::MissingChangePubKeySignature {
			slot: U256::from(1)
		})
	);
	let bad_key_change = E::BadChangePubKeySignature(ConcordRollup::BadChangePubKeySignature {
		slot: U256::from(1),
	});
	// Signed by Bob, not by the owner Alice.
	let (_, change, _) = alice_change_pubkey(CHAIN);
	let by_bob = {
		use alloy::signers::SignerSync;
		bob().sign_message_sync(&change.eth_message()).unwrap()
	};
	for signature in [
		Bytes::from(by_bob.as_bytes().to_vec()),
		malleated(&b2.change_pubkey_signatures[0]),
		Bytes::from(vec![0u8; 65]),
		Bytes::from(b2.change_pubkey_signatures[0][..64].to_vec()),
	] {
		let mut info = b2.commit_info();
		info.changePubKeySignatures = vec![signature];
		assert_eq!(revert_of(commit(vec![info])).await, bad_key_change);
	}
	// Alice's signature of another nonce does not authorise this key change.
	let other_nonce = ChangePubKey { nonce: 1, ..change };
	let stale = {
		use alloy::signers::SignerSync;
		alice()
			.sign_message_sync(&other_nonce.eth_message())
			.unwrap()
	};
	let mut info = b2.commit_info();
	info.changePubKeySignatures = vec![Bytes::from(stale.as_bytes().to_vec())];
	assert_eq!(revert_of(commit(vec![info])).await, bad_key_change);
	chain.commit(&[&b2]).await;
	// The queue is exhausted: batch 3's FullExit has no request yet.
	let b3 = seq.batch(
		&[(
			Op::FullExit(concord_primitives::ops::FullExit {
				chain_id: CHAIN,
				priority_id: 3,
				account: 1,
				owner: addr(&alice()),
				token: TOKEN,
			}),
			None,
		)],
		vec![],
	);
	assert_eq!(
		revert_of(commit(vec![b3.commit_info()])).await,
		E::PriorityRequestNotQueued(ConcordRollup::PriorityRequestNotQueued { priorityId: 3 })
	);
}

/// The high-s twin of a signature, which `ecrecover` alone would accept.
fn malleated(signature: &Bytes) -> Bytes {
	const ORDER: U256 = alloy::primitives::uint!(
		0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141_U256
	);
	let s = U256::from_be_slice(&signature[32..64]);
	let mut twin = signature.to_vec();
	twin[32..64].copy_from_slice(&(ORDER - s).to_be_bytes::<32>());
	twin[64] = if twin[64] == 27 { 28 } else { 27 };
	twin.into()
}

fn with_pubdata(batch: &Batch, pubdata: Vec<u8>) -> ConcordRollup::CommitBatchInfo {
	let mut info = batch.commit_info();
	info.pubdata = pubdata.into();
	info
}
