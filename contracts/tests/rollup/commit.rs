use crate::common::*;
use alloy::{
	primitives::{Bytes, Signature, B256, U256},
	signers::SignerSync,
};
use concord_contracts::{
	change_pubkeys,
	ConcordRollup::{self, CommitBatchInfo, ConcordRollupErrors as E},
};
use concord_primitives::ops::{
	decode_batch_pubdata, ChangePubKey, Op, OpType, Withdraw, BATCH_HEADER_BYTES, CHUNK_BYTES,
};
use sha2::{Digest, Sha256};

fn sha256(data: &[u8]) -> B256 {
	B256::from(<[u8; 32]>::from(Sha256::digest(data)))
}

/// The first chunk of each op of a batch's pubdata (Noops included), counted after the header
/// as the contract's errors count them: each op takes as many chunks as its type has.
fn first_chunks(pubdata: &[u8]) -> Vec<usize> {
	let (_, ops) = decode_batch_pubdata(pubdata).unwrap();
	ops.iter()
		.scan(0, |next, op| {
			let first = *next;
			*next += op.op().op_type().chunks();
			Some(first)
		})
		.collect()
}

/// The byte offset in the pubdata of chunk `chunk`.
fn chunk_offset(chunk: usize) -> usize {
	BATCH_HEADER_BYTES + chunk * CHUNK_BYTES
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

/// Chain 2's deposits are not in this queue and its withdrawals pay nothing here: they are
/// only hashed. Its key changes are checked here too: the owner's signature does not depend on
/// the chain, so every contract checks every one rather than trusting chain 2's.
#[tokio::test(flavor = "current_thread")]
async fn other_chains_ops_are_hashed_and_their_key_changes_checked() {
	let mut seq = Sequencer::new();
	let b1 = seq.batch(
		&[
			(deposit(OTHER_CHAIN, 0, addr(&operator()), ETH, 5), None),
			(deposit(OTHER_CHAIN, 1, addr(&alice()), ETH, 50), None),
		],
		vec![],
	);
	let ((cpk, l2), change, eth) = alice_change_pubkey(OTHER_CHAIN);
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
		vec![eth],
	);
	// The Rust twin lists chain 2's key change, with its owner, for chain 1's commit too.
	assert_eq!(
		change_pubkeys(&b2.pubdata).unwrap(),
		[(change, alice().address())]
	);
	let chain = Chain::start().await;
	chain.commit(&[&b1]).await;
	let by_bob = Bytes::from(
		bob()
			.sign_message_sync(&change.eth_message(NETWORK))
			.unwrap()
			.as_bytes()
			.to_vec(),
	);
	for (signatures, expected) in [
		(
			vec![],
			E::MissingChangePubKeySignature(ConcordRollup::MissingChangePubKeySignature {
				chunk: U256::ZERO,
			}),
		),
		(
			vec![by_bob],
			E::BadChangePubKeySignature(ConcordRollup::BadChangePubKeySignature {
				chunk: U256::ZERO,
			}),
		),
	] {
		let info = CommitBatchInfo {
			changePubKeySignatures: signatures,
			..chain.commit_info(&b2)
		};
		assert_eq!(
			revert_of(chain.rollup.commitBatches(vec![info])).await,
			expected
		);
	}
	let receipt = chain.commit(&[&b2]).await;
	let events: Vec<_> = receipt
		.logs()
		.iter()
		.filter_map(|log| log.log_decode::<ConcordRollup::BatchCommitted>().ok())
		.map(|log| log.inner.data.priorityRequests)
		.collect();
	assert_eq!(events, [0]);
	let stored = chain.rollup.storedBatch(2).call().await.unwrap();
	assert_eq!(stored.payoutsHash, B256::ZERO);
}

/// A batch commits only with a quorum of members' signatures over its number and pubdata hash,
/// whoever sends it: one member cannot commit other pubdata, and a quorum's signatures hold
/// for the pubdata they signed only.
#[tokio::test(flavor = "current_thread")]
async fn commit_needs_a_quorum_over_the_pubdata() {
	let (_, b1, _) = first_batches();
	let chain = Chain::start().await;
	chain.request_batch1().await;
	let rollup = &chain.rollup;
	// A rogue member's batch 1: the real ops with another fee account.
	let mut rogue = b1.pubdata.clone();
	rogue[3] ^= 1;
	let alone = CommitBatchInfo {
		pubdata: rogue.clone().into(),
		signatures: chain.commit_signatures(1, &rogue, &[0]),
		..chain.commit_info(&b1)
	};
	assert_eq!(
		revert_of(
			rollup
				.commitBatches(vec![alone])
				.from(oracles()[0].address())
		)
		.await,
		E::NotEnoughSignatures(ConcordRollup::NotEnoughSignatures {
			given: U256::from(1),
			threshold: U256::from(THRESHOLD),
		})
	);
	// The quorum's signatures of the sealed pubdata, offered with the rogue pubdata: they
	// recover, over the rogue pubdata's digest, to an address that is no member.
	let quorum = chain.commit_info(&b1);
	let misused = CommitBatchInfo {
		pubdata: rogue.clone().into(),
		..quorum.clone()
	};
	let rogue_digest = chain.domain().commit(1, sha256(&rogue));
	let signer = Signature::try_from(&quorum.signatures[0][..])
		.unwrap()
		.recover_address_from_prehash(&rogue_digest)
		.unwrap();
	assert!(!oracles().iter().any(|m| m.address() == signer));
	assert_eq!(
		revert_of(rollup.commitBatches(vec![misused])).await,
		E::SignerNotOracle(ConcordRollup::SignerNotOracle { signer })
	);
	// Signatures of batch 1's pubdata for batch number 2 are no use for batch 1 either.
	let renumbered = CommitBatchInfo {
		signatures: chain.commit_signatures(2, &b1.pubdata, &[0, 1]),
		..quorum.clone()
	};
	let error = revert_of(rollup.commitBatches(vec![renumbered])).await;
	assert!(matches!(error, E::SignerNotOracle(_)), "{error:?}");
	// Bob, no member, submits the quorum-signed batch: accepted.
	let bob = bob().address();
	assert!(!rollup.isOracle(bob).call().await.unwrap());
	let receipt = send(rollup.commitBatches(vec![quorum]).from(bob)).await;
	let event = receipt
		.decoded_log::<ConcordRollup::BatchCommitted>()
		.unwrap();
	assert_eq!(
		(event.batchNumber, event.pubdataHash),
		(1, sha256(&b1.pubdata))
	);
	assert_eq!(rollup.totalCommitted().call().await.unwrap(), 1);
	assert_eq!(
		rollup
			.commitDigest(1, sha256(&b1.pubdata))
			.call()
			.await
			.unwrap(),
		chain.domain().commit(1, sha256(&b1.pubdata))
	);
}

/// Every op naming a chain must name one of the system's: an op of an unknown chain is refused
/// whatever its kind, even though it would concern another contract.
#[tokio::test(flavor = "current_thread")]
async fn ops_of_unknown_chains_are_refused() {
	let scenario = scenario();
	let chain = Chain::start().await;
	// Batch 4's first op is a deposit of chain 2 (chunks 0 to 2); its second a withdrawal to
	// chain 2 (chunks 3 to 5). Each renamed to chain 3 (byte 1 of the op), and named by its
	// first chunk.
	let batch = &scenario.batches[3];
	let firsts = first_chunks(&batch.pubdata);
	assert_eq!(firsts[..2], [0, OpType::Deposit.chunks()]);
	for &chunk in &firsts[..2] {
		let mut pubdata = batch.pubdata.clone();
		pubdata[chunk_offset(chunk) + 1] = UNKNOWN_CHAIN.0;
		let info = chain.signed(CommitBatchInfo {
			batchNumber: 1,
			..with_pubdata(&chain, batch, pubdata)
		});
		assert_eq!(
			revert_of(chain.rollup.commitBatches(vec![info])).await,
			E::UnknownChain(ConcordRollup::UnknownChain {
				chunk: U256::from(chunk),
				chain: UNKNOWN_CHAIN.0,
			})
		);
	}
	// A key change of chain 3, even with its owner's signature.
	let ((cpk, l2), _, eth) = alice_change_pubkey(OTHER_CHAIN);
	let mut seq = Sequencer::new();
	seq.batch(
		&[
			(deposit(OTHER_CHAIN, 0, addr(&operator()), ETH, 5), None),
			(deposit(OTHER_CHAIN, 1, addr(&alice()), ETH, 50), None),
		],
		vec![],
	);
	let b2 = seq.batch(&[(cpk, l2)], vec![]);
	let mut pubdata = b2.pubdata.clone();
	pubdata[BATCH_HEADER_BYTES + 1] = UNKNOWN_CHAIN.0;
	let info = chain.signed(CommitBatchInfo {
		batchNumber: 1,
		changePubKeySignatures: vec![eth],
		..with_pubdata(&chain, &b2, pubdata)
	});
	assert_eq!(
		revert_of(chain.rollup.commitBatches(vec![info])).await,
		E::UnknownChain(ConcordRollup::UnknownChain {
			chunk: U256::ZERO,
			chain: UNKNOWN_CHAIN.0,
		})
	);
}

#[tokio::test(flavor = "current_thread")]
async fn commit_rejects_bad_batches() {
	let (mut seq, b1, b2) = first_batches();
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let commit = |infos: Vec<CommitBatchInfo>| rollup.commitBatches(infos);

	// Before any request is queued, batch 1's deposits are not in the queue.
	assert_eq!(
		revert_of(commit(vec![chain.commit_info(&b1)])).await,
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
		revert_of(commit(vec![chain.commit_info(&b1)])).await,
		E::PriorityRequestMismatch(ConcordRollup::PriorityRequestMismatch { priorityId: 0 })
	);

	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let commit = |infos: Vec<CommitBatchInfo>| rollup.commitBatches(infos);
	chain.request_batch1().await;
	chain.request_batch2().await;

	assert_eq!(
		revert_of(commit(vec![])).await,
		E::NoBatches(ConcordRollup::NoBatches {})
	);
	assert_eq!(
		revert_of(commit(vec![chain.commit_info(&b2)])).await,
		E::UnexpectedBatchNumber(ConcordRollup::UnexpectedBatchNumber {
			expected: 1,
			given: 2
		})
	);
	let short = with_pubdata(&chain, &b1, b1.pubdata[..b1.pubdata.len() - 1].to_vec());
	assert_eq!(
		revert_of(commit(vec![short])).await,
		E::BadPubdataLength(ConcordRollup::BadPubdataLength {
			length: U256::from(b1.pubdata.len() - 1),
			expected: U256::from(b1.pubdata.len()),
		})
	);
	// Batch 1 is two deposits, at chunks 0 and 3, then Noop chunks.
	let b1_firsts = first_chunks(&b1.pubdata);
	let deposit_chunks = OpType::Deposit.chunks();
	assert_eq!(b1_firsts[..2], [0, deposit_chunks]);
	// An unknown type byte, the second deposit's: named by its first chunk.
	let mut unknown = b1.pubdata.clone();
	unknown[chunk_offset(b1_firsts[1])] = 7;
	assert_eq!(
		revert_of(commit(vec![with_pubdata(&chain, &b1, unknown)])).await,
		E::UnknownOpType(ConcordRollup::UnknownOpType {
			chunk: U256::from(b1_firsts[1]),
			opType: 7
		})
	);
	// A ChangePubKey's type byte in the last chunk, a Noop's: its 4 chunks would run past the
	// pubdata's end, where the contract would read other calldata.
	let mut truncated = b1.pubdata.clone();
	let last = truncated.len() - CHUNK_BYTES;
	assert_eq!(
		truncated[last..],
		[0; CHUNK_BYTES],
		"batch 1 ends with a Noop chunk"
	);
	truncated[last] = OpType::ChangePubKey as u8;
	assert_eq!(
		revert_of(commit(vec![with_pubdata(&chain, &b1, truncated)])).await,
		E::TruncatedOp(ConcordRollup::TruncatedOp {
			chunk: U256::from(SLOTS - 1),
			opType: OpType::ChangePubKey as u8
		})
	);
	// Batch 1's ops in the other order: the pubdata names no priority id, so the contract
	// takes the first op (request 1's deposit) for request 0, whose hash differs. Both are
	// deposits, of the same size, so swapping their bytes keeps every op whole.
	let mut swapped = b1.pubdata.clone();
	let deposit_bytes = deposit_chunks * CHUNK_BYTES;
	let (first, second) = swapped[chunk_offset(0)..].split_at_mut(deposit_bytes);
	first.swap_with_slice(&mut second[..deposit_bytes]);
	assert_eq!(
		revert_of(commit(vec![with_pubdata(&chain, &b1, swapped)])).await,
		E::PriorityRequestMismatch(ConcordRollup::PriorityRequestMismatch { priorityId: 0 })
	);
	// A batch of batch 1's numbers serving other requests: the hashes differ.
	let mut retargeted = b1.pubdata.clone();
	retargeted[BATCH_HEADER_BYTES + 5] ^= 1; // the first deposit's recipient
	assert_eq!(
		revert_of(commit(vec![with_pubdata(&chain, &b1, retargeted)])).await,
		E::PriorityRequestMismatch(ConcordRollup::PriorityRequestMismatch { priorityId: 0 })
	);
	// Signatures must match the ChangePubKey ops one for one.
	let mut extra = chain.commit_info(&b1);
	extra.changePubKeySignatures = b2.change_pubkey_signatures.clone();
	assert_eq!(
		revert_of(commit(vec![extra])).await,
		E::UnusedChangePubKeySignatures(ConcordRollup::UnusedChangePubKeySignatures {
			used: U256::ZERO,
			given: U256::from(1)
		})
	);
	chain.commit(&[&b1]).await;
	let mut missing = chain.commit_info(&b2);
	missing.changePubKeySignatures = vec![];
	// Batch 2's key change follows a deposit: its first chunk is 3.
	let cpk_chunk = U256::from(first_chunks(&b2.pubdata)[1]);
	assert_eq!(cpk_chunk, U256::from(OpType::Deposit.chunks()));
	assert_eq!(
		revert_of(commit(vec![missing])).await,
		E::MissingChangePubKeySignature(ConcordRollup::MissingChangePubKeySignature {
			chunk: cpk_chunk
		})
	);
	let bad_key_change =
		E::BadChangePubKeySignature(ConcordRollup::BadChangePubKeySignature { chunk: cpk_chunk });
	// Signed by Bob, not by the owner Alice.
	let (_, change, _) = alice_change_pubkey(CHAIN);
	let by_bob = bob()
		.sign_message_sync(&change.eth_message(NETWORK))
		.unwrap();
	// Alice's authorisation of the same key change on another Concord network.
	let elsewhere = alice()
		.sign_message_sync(&change.eth_message(NETWORK + 1))
		.unwrap();
	for signature in [
		Bytes::from(by_bob.as_bytes().to_vec()),
		Bytes::from(elsewhere.as_bytes().to_vec()),
		malleated(&b2.change_pubkey_signatures[0]),
		Bytes::from(vec![0u8; 65]),
		Bytes::from(b2.change_pubkey_signatures[0][..64].to_vec()),
	] {
		let mut info = chain.commit_info(&b2);
		info.changePubKeySignatures = vec![signature];
		assert_eq!(revert_of(commit(vec![info])).await, bad_key_change);
	}
	// Alice's signature of another nonce does not authorise this key change.
	let other_nonce = ChangePubKey { nonce: 1, ..change };
	let stale = alice()
		.sign_message_sync(&other_nonce.eth_message(NETWORK))
		.unwrap();
	let mut info = chain.commit_info(&b2);
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
		revert_of(commit(vec![chain.commit_info(&b3)])).await,
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

/// `batch` with other pubdata, signed by the quorum as it is.
fn with_pubdata(chain: &Chain, batch: &Batch, pubdata: Vec<u8>) -> CommitBatchInfo {
	chain.signed(CommitBatchInfo {
		pubdata: pubdata.into(),
		..chain.commit_info(batch)
	})
}
