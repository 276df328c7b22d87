use crate::common::*;
use alloy::{
	primitives::{Address, Bytes, U256},
	signers::local::PrivateKeySigner,
	signers::SignerSync,
};
use concord_contracts::ConcordRollup::{self, ConcordRollupErrors as E};

fn signed_by(members: &[PrivateKeySigner], digest: alloy::primitives::B256) -> Vec<Bytes> {
	members
		.iter()
		.map(|m| Bytes::from(m.sign_hash_sync(&digest).unwrap().as_bytes().to_vec()))
		.collect()
}

/// The current set rotates itself out with a quorum and the governance nonce; the new set
/// then signs, the old one no longer can, and old signatures do not replay.
#[tokio::test(flavor = "current_thread")]
async fn oracle_rotation_by_quorum_with_a_nonce() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let new_set: Vec<PrivateKeySigner> = (0x11..0x15).map(key).collect();
	let addresses: Vec<Address> = new_set.iter().map(|m| m.address()).collect();
	let digest = chain.domain().update_oracles(0, &addresses, 3);
	let signatures = chain.sign(digest, &[0, 2]);
	let update = |members: Vec<Address>, threshold: u64, signatures: Vec<Bytes>| {
		rollup.updateOracles(members, U256::from(threshold), signatures)
	};

	assert_eq!(
		revert_of(update(addresses.clone(), 3, chain.sign(digest, &[0]))).await,
		E::NotEnoughSignatures(ConcordRollup::NotEnoughSignatures {
			given: U256::from(1),
			threshold: U256::from(2),
		})
	);
	// Signed for other members or another threshold: not what was signed.
	let error = revert_of(update(addresses.clone(), 4, signatures.clone())).await;
	assert!(matches!(error, E::SignerNotOracle(_)), "{error:?}");

	let receipt = send(update(addresses.clone(), 3, signatures.clone())).await;
	let event = receipt
		.decoded_log::<ConcordRollup::OraclesUpdated>()
		.unwrap();
	assert_eq!(event.nextNonce, 1);
	assert_eq!(event.oracles, addresses);
	assert_eq!(rollup.oracles().call().await.unwrap(), addresses);
	assert_eq!(rollup.threshold().call().await.unwrap(), U256::from(3));
	assert_eq!(rollup.governanceNonce().call().await.unwrap(), 1);
	assert!(!rollup
		.isOracle(oracles()[0].address())
		.call()
		.await
		.unwrap());
	assert!(rollup.isOracle(addresses[3]).call().await.unwrap());

	// The old signatures fall short of the new threshold, and even a quorum of the new set
	// over the same nonce-0 digest is refused: the nonce moved on.
	assert_eq!(
		revert_of(update(addresses.clone(), 3, signatures)).await,
		E::NotEnoughSignatures(ConcordRollup::NotEnoughSignatures {
			given: U256::from(2),
			threshold: U256::from(3),
		})
	);
	let error = revert_of(update(
		addresses.clone(),
		3,
		signed_by(&new_set[..3], digest),
	))
	.await;
	assert!(matches!(error, E::SignerNotOracle(_)), "{error:?}");
	// Old members neither authorize commits nor sign any more.
	let (_, b1, _) = first_batches();
	let old_quorum = ConcordRollup::CommitBatchInfo {
		signatures: chain.commit_signatures(1, &b1.pubdata, &[0, 1, 2]),
		..chain.commit_info(&b1)
	};
	assert_eq!(
		revert_of(rollup.commitBatches(vec![old_quorum])).await,
		E::SignerNotOracle(ConcordRollup::SignerNotOracle {
			signer: oracles()[0].address()
		})
	);
	let back: Vec<Address> = oracles().iter().map(|m| m.address()).collect();
	let digest = chain.domain().update_oracles(1, &back, 2);
	let error = revert_of(update(back.clone(), 2, chain.sign(digest, &[0, 1, 2]))).await;
	assert!(matches!(error, E::SignerNotOracle(_)), "{error:?}");
	// Three of the four new members rotate back.
	send(update(back.clone(), 2, signed_by(&new_set[1..], digest))).await;
	assert_eq!(rollup.oracles().call().await.unwrap(), back);
}

/// A new set must be 1 to 256 distinct non-zero members with a two-thirds threshold.
#[tokio::test(flavor = "current_thread")]
async fn oracle_sets_are_validated() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let a = Address::repeat_byte(0xa);
	let b = Address::repeat_byte(0xb);
	let c = Address::repeat_byte(0xc);
	let cases: Vec<(Vec<Address>, u64, E)> = vec![
		(
			vec![],
			0,
			E::BadOracleCount(ConcordRollup::BadOracleCount { count: U256::ZERO }),
		),
		(
			(1..=257u16)
				.map(|i| Address::left_padding_from(&i.to_be_bytes()))
				.collect(),
			200,
			E::BadOracleCount(ConcordRollup::BadOracleCount {
				count: U256::from(257),
			}),
		),
		(
			vec![a, b, c],
			1,
			E::BadThreshold(ConcordRollup::BadThreshold {
				threshold: U256::from(1),
				oracles: U256::from(3),
			}),
		),
		(
			vec![a, b, c],
			4,
			E::BadThreshold(ConcordRollup::BadThreshold {
				threshold: U256::from(4),
				oracles: U256::from(3),
			}),
		),
		(
			vec![a, Address::ZERO, c],
			2,
			E::ZeroAddress(ConcordRollup::ZeroAddress {}),
		),
		(
			vec![a, b, a],
			2,
			E::DuplicateOracle(ConcordRollup::DuplicateOracle { oracle: a }),
		),
	];
	for (members, threshold, expected) in cases {
		let digest = chain.domain().update_oracles(0, &members, threshold);
		let call =
			rollup.updateOracles(members, U256::from(threshold), chain.sign(digest, &[0, 1]));
		assert_eq!(revert_of(call).await, expected);
	}
}

/// Committed batches, proven or not, can be reverted by a quorum; executed ones cannot.
#[tokio::test(flavor = "current_thread")]
async fn revert_unexecuted_batches() {
	let scenario = scenario();
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	chain.request_all().await;
	let batches: Vec<&Batch> = scenario.batches[..3].iter().collect();
	chain.commit(&batches).await;
	send(rollup.proveBatches(vec![scenario.prove_info(0), scenario.prove_info(1)])).await;
	send(rollup.executeBatches(
		vec![scenario.batches[0].execute_info()],
		chain.execute_signatures(1).await,
	))
	.await;

	let out_of_range = |requested| {
		E::RevertOutOfRange(ConcordRollup::RevertOutOfRange {
			totalCommitted: 3,
			totalExecuted: 1,
			requested,
		})
	};
	for requested in [0, 3, 4] {
		let signatures = chain.sign(chain.domain().revert(0, requested), &[0, 1]);
		assert_eq!(
			revert_of(rollup.revertBatches(requested, signatures)).await,
			out_of_range(requested)
		);
	}
	assert_eq!(
		revert_of(rollup.revertBatches(1, chain.sign(chain.domain().revert(0, 1), &[2]))).await,
		E::NotEnoughSignatures(ConcordRollup::NotEnoughSignatures {
			given: U256::from(1),
			threshold: U256::from(2),
		})
	);
	// Batches 2 (proven) and 3 (committed) go; their requests return to the queue.
	let receipt =
		send(rollup.revertBatches(1, chain.sign(chain.domain().revert(0, 1), &[1, 2]))).await;
	let event = receipt
		.decoded_log::<ConcordRollup::BatchesReverted>()
		.unwrap();
	assert_eq!((event.totalCommittedBefore, event.totalCommitted), (3, 1));
	assert_eq!(rollup.totalCommitted().call().await.unwrap(), 1);
	assert_eq!(rollup.totalProven().call().await.unwrap(), 1);
	assert_eq!(rollup.committedPriorityRequests().call().await.unwrap(), 0);
	assert_eq!(rollup.governanceNonce().call().await.unwrap(), 1);
	let gone = rollup.storedBatch(2).call().await.unwrap();
	assert_eq!(gone.pubdataHash, alloy::primitives::B256::ZERO);
	// The same batches commit, prove and execute again.
	chain
		.commit(&[&scenario.batches[1], &scenario.batches[2]])
		.await;
	send(rollup.proveBatches(vec![scenario.prove_info(1), scenario.prove_info(2)])).await;
	let infos = vec![
		scenario.batches[1].execute_info(),
		scenario.batches[2].execute_info(),
	];
	send(rollup.executeBatches(infos, chain.execute_signatures(3).await)).await;
	assert_eq!(rollup.totalExecuted().call().await.unwrap(), 3);
}

/// A quorum maps new token ids, once each, below 256.
#[tokio::test(flavor = "current_thread")]
async fn token_registration_by_quorum() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let new_token = Address::repeat_byte(0x70);
	let register = |id: u16, token: Address, nonce: u64| {
		let signatures = chain.sign(chain.domain().register_token(nonce, id, token), &[0, 1]);
		rollup.registerToken(id, token, signatures)
	};
	let cases = [
		(
			256,
			new_token,
			E::TokenIdOutOfRange(ConcordRollup::TokenIdOutOfRange { tokenId: 256 }),
		),
		(
			TOKEN,
			new_token,
			E::TokenIdTaken(ConcordRollup::TokenIdTaken { tokenId: TOKEN }),
		),
		(
			9,
			*chain.token.address(),
			E::TokenAddressTaken(ConcordRollup::TokenAddressTaken {
				token: *chain.token.address(),
			}),
		),
	];
	for (id, token, expected) in cases {
		assert_eq!(revert_of(register(id, token, 0)).await, expected);
	}
	let digest = chain.domain().register_token(0, 9, new_token);
	assert_eq!(
		revert_of(rollup.registerToken(9, new_token, chain.sign(digest, &[0]))).await,
		E::NotEnoughSignatures(ConcordRollup::NotEnoughSignatures {
			given: U256::from(1),
			threshold: U256::from(2),
		})
	);
	let receipt = send(register(9, new_token, 0)).await;
	let event = receipt
		.decoded_log::<ConcordRollup::TokenRegistered>()
		.unwrap();
	assert_eq!((event.tokenId, event.token), (9, new_token));
	assert_eq!(rollup.tokenAddressOf(9).call().await.unwrap(), new_token);
	assert_eq!(rollup.tokenIdOf(new_token).call().await.unwrap(), 9);
	assert_eq!(rollup.governanceNonce().call().await.unwrap(), 1);
}

/// A quorum replaces the set of chain ids (with the governance nonce): chain 2 leaves, so its
/// ops are refused at commit, then chains 2 and 3 join. A minority, or a set without this
/// chain or with an id twice, is refused.
#[tokio::test(flavor = "current_thread")]
async fn chain_set_by_quorum() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let update = |ids: Vec<u8>, nonce: u64, members: &[usize]| {
		let signatures = chain.sign(chain.domain().update_chains(nonce, &ids), members);
		rollup.updateChains(ids, signatures)
	};
	assert_eq!(
		revert_of(update(vec![CHAIN.0], 0, &[1])).await,
		E::NotEnoughSignatures(ConcordRollup::NotEnoughSignatures {
			given: U256::from(1),
			threshold: U256::from(THRESHOLD),
		})
	);
	// Signed for another set: not what was signed.
	let signatures = chain.sign(chain.domain().update_chains(0, &[CHAIN.0]), &[0, 1]);
	let error = revert_of(rollup.updateChains(vec![CHAIN.0, UNKNOWN_CHAIN.0], signatures)).await;
	assert!(matches!(error, E::SignerNotOracle(_)), "{error:?}");
	let own_missing =
		|| E::OwnChainNotListed(ConcordRollup::OwnChainNotListed { chainId: CHAIN.0 });
	for (ids, expected) in [
		(vec![], own_missing()),
		(vec![OTHER_CHAIN.0, UNKNOWN_CHAIN.0], own_missing()),
		(
			vec![CHAIN.0, OTHER_CHAIN.0, CHAIN.0],
			E::DuplicateChain(ConcordRollup::DuplicateChain { chain: CHAIN.0 }),
		),
	] {
		assert_eq!(revert_of(update(ids, 0, &[0, 1])).await, expected);
	}

	// Chain 2 leaves.
	let receipt = send(update(vec![CHAIN.0], 0, &[0, 2])).await;
	let event = receipt
		.decoded_log::<ConcordRollup::ChainsUpdated>()
		.unwrap();
	assert_eq!(
		(event.nextNonce, event.chainIds.clone()),
		(1, vec![CHAIN.0])
	);
	assert_eq!(rollup.chains().call().await.unwrap(), [CHAIN.0]);
	assert!(!rollup.isChain(OTHER_CHAIN.0).call().await.unwrap());
	assert_eq!(rollup.governanceNonce().call().await.unwrap(), 1);
	let mut seq = Sequencer::new();
	let other = seq.batch(
		&[(deposit(OTHER_CHAIN, 0, addr(&bob()), ETH, 5), None)],
		vec![],
	);
	assert_eq!(
		revert_of(rollup.commitBatches(vec![chain.commit_info(&other)])).await,
		E::UnknownChain(ConcordRollup::UnknownChain {
			chunk: U256::ZERO,
			chain: OTHER_CHAIN.0,
		})
	);
	// The nonce-0 signatures do not replay; chains 3 and 2 join at nonce 1.
	let replay = chain.sign(chain.domain().update_chains(0, &[CHAIN.0]), &[0, 2]);
	let error = revert_of(rollup.updateChains(vec![CHAIN.0], replay)).await;
	assert!(matches!(error, E::SignerNotOracle(_)), "{error:?}");
	send(update(
		vec![UNKNOWN_CHAIN.0, CHAIN.0, OTHER_CHAIN.0],
		1,
		&[1, 2],
	))
	.await;
	assert_eq!(
		rollup.chains().call().await.unwrap(),
		[CHAIN.0, OTHER_CHAIN.0, UNKNOWN_CHAIN.0]
	);
	chain.commit(&[&other]).await;
	assert_eq!(rollup.totalCommitted().call().await.unwrap(), 1);
}

/// A removed chain's contract is retired by a quorum with the requests the L2 applied counted as
/// served: it stops as in exodus mode, and only the later deposits, which the L2 never
/// credited, are refunded.
#[tokio::test(flavor = "current_thread")]
async fn a_removed_chain_is_retired_with_the_applied_requests_served() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	assert_eq!(
		rollup.RETIRE_ACTION().call().await.unwrap(),
		concord_contracts::digest::action(concord_contracts::digest::RETIRE)
	);
	let bob = bob().address();
	for amount in [5u64, 6, 7] {
		send(rollup.depositETH(bob).value(U256::from(amount)).from(bob)).await;
	}
	let retire = |served: u64, nonce: u64, members: &[usize]| {
		let signatures = chain.sign(chain.domain().retire(nonce, served), members);
		rollup.retire(served, signatures)
	};
	assert_eq!(
		revert_of(retire(4, 0, &[0, 1])).await,
		E::RetireOutOfRange(ConcordRollup::RetireOutOfRange {
			firstPriorityId: 0,
			totalPriorityRequests: 3,
			servedUpTo: 4,
		})
	);
	assert_eq!(
		revert_of(retire(2, 0, &[0])).await,
		E::NotEnoughSignatures(ConcordRollup::NotEnoughSignatures {
			given: U256::from(1),
			threshold: U256::from(THRESHOLD),
		})
	);
	// Signed for another count: not what was signed.
	let signatures = chain.sign(chain.domain().retire(0, 3), &[0, 1]);
	let error = revert_of(rollup.retire(2, signatures)).await;
	assert!(matches!(error, E::SignerNotOracle(_)), "{error:?}");

	// The L2 applied requests 0 and 1.
	let receipt = send(retire(2, 0, &[1, 2])).await;
	let event = receipt.decoded_log::<ConcordRollup::Retired>().unwrap();
	assert_eq!((event.nextNonce, event.servedUpTo), (1, 2));
	assert!(rollup.exodusMode().call().await.unwrap());
	assert_eq!(rollup.firstPriorityId().call().await.unwrap(), 2);
	assert_eq!(
		revert_of(rollup.depositETH(bob).value(U256::from(1)).from(bob)).await,
		E::ExodusActive(ConcordRollup::ExodusActive {})
	);
	assert!(rollup.retired().call().await.unwrap());
	// A retired chain stopped at an older root than the others: it executes and pays no exits.
	assert_eq!(
		revert_of(rollup.executeBatches(vec![], vec![])).await,
		E::ExodusActive(ConcordRollup::ExodusActive {})
	);
	let (claim, proof) = exit_proof(&scenario().state, 1, ETH, CHAIN);
	assert_eq!(
		revert_of(perform_exodus(rollup, &claim, proof)).await,
		E::ExitsClosed(ConcordRollup::ExitsClosed {})
	);
	assert_eq!(
		revert_of(retire(3, 1, &[0, 1])).await,
		E::AlreadyRetired(ConcordRollup::AlreadyRetired {})
	);
	// Request 1, which the L2 credited, is not refunded; request 2 is.
	let error =
		revert_of(rollup.cancelOutstandingDeposits(vec![Chain::deposit_request(bob, ETH, 6)]))
			.await;
	assert!(matches!(error, E::PriorityRequestMismatch(_)), "{error:?}");
	send(rollup.cancelOutstandingDeposits(vec![Chain::deposit_request(bob, ETH, 7)])).await;
	assert_eq!(
		rollup.pendingBalance(bob, ETH).call().await.unwrap(),
		U256::from(7)
	);
}

/// A removed chain whose L1 was down may expire into exodus before the quorum's `retire`
/// lands: refunds wait for the exodus grace, and `retire` is still accepted in it, so the
/// requests the L2 applied are never refunded.
#[tokio::test(flavor = "current_thread")]
async fn a_chain_expired_while_its_l1_was_down_is_retired_before_any_refund() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let bob = bob().address();
	for amount in [5u64, 6] {
		send(rollup.depositETH(bob).value(U256::from(amount)).from(bob)).await;
	}
	chain.advance(EXPIRY + 1).await;
	send(rollup.activateExodus()).await;
	let cancel = |amount: u128| {
		rollup.cancelOutstandingDeposits(vec![Chain::deposit_request(bob, ETH, amount)])
	};
	let since = u64::from(rollup.exodusSince().call().await.unwrap());
	assert_eq!(
		revert_of(cancel(5)).await,
		E::ExodusGraceRunning(ConcordRollup::ExodusGraceRunning {
			refundsFrom: U256::from(since + GRACE + 1),
		})
	);
	// The L2 applied request 0; the quorum retires the chain in the grace.
	chain.advance(GRACE / 2).await;
	let signatures = chain.sign(chain.domain().retire(0, 1), &[0, 1]);
	send(rollup.retire(1, signatures)).await;
	assert!(rollup.retired().call().await.unwrap());
	// Refunds start at once after retire, with request 1: request 0 is served.
	let error = revert_of(cancel(5)).await;
	assert!(matches!(error, E::PriorityRequestMismatch(_)), "{error:?}");
	send(cancel(6)).await;
	assert_eq!(
		rollup.pendingBalance(bob, ETH).call().await.unwrap(),
		U256::from(6)
	);
}

/// After the exodus grace refunds and exits have begun: no quorum may retire the chain then
/// (which would stop its exits and mark unserved deposits served).
#[tokio::test(flavor = "current_thread")]
async fn no_retire_after_the_exodus_grace() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let bob = bob().address();
	send(rollup.depositETH(bob).value(U256::from(5)).from(bob)).await;
	chain.advance(EXPIRY + 1).await;
	send(rollup.activateExodus()).await;
	chain.advance(GRACE + 1).await;
	let signatures = chain.sign(chain.domain().retire(0, 1), &[0, 1]);
	assert_eq!(
		revert_of(rollup.retire(1, signatures)).await,
		E::ExodusActive(ConcordRollup::ExodusActive {})
	);
	assert!(!rollup.retired().call().await.unwrap());
	send(rollup.cancelOutstandingDeposits(vec![Chain::deposit_request(bob, ETH, 5)])).await;
	assert_eq!(
		rollup.pendingBalance(bob, ETH).call().await.unwrap(),
		U256::from(5)
	);
}
