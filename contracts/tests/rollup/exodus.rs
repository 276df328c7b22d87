use crate::common::*;
use alloy::primitives::{Address, Bytes, U256};
use concord_contracts::{
	bindings::ReentrantReceiver,
	ConcordRollup::{self, ConcordRollupErrors as E, PriorityRequestInfo},
};

/// Whether `activateExodus()`, sent as a transaction (so that the block's timestamp is the one
/// set; its gas is set, as estimating it would fail), succeeds when mined.
async fn exodus_mined(rollup: &Rollup) -> bool {
	rollup
		.activateExodus()
		.gas(200_000)
		.send()
		.await
		.unwrap()
		.get_receipt()
		.await
		.unwrap()
		.status()
}

fn exodus_active() -> E {
	E::ExodusActive(ConcordRollup::ExodusActive {})
}

/// Once the oldest unexecuted request expires anyone stops the rollup; the requests batch 1
/// served stay served, the later deposits are refunded, and every function that moves the
/// rollup forward is closed.
#[tokio::test(flavor = "current_thread")]
async fn exodus_after_an_expired_request_refunds_unserved_deposits() {
	let scenario = scenario();
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	assert_eq!(
		revert_of(rollup.activateExodus()).await,
		E::NoExpiredPriorityRequest(ConcordRollup::NoExpiredPriorityRequest {})
	);
	chain.request_all().await;
	let bob = bob().address();
	send(
		rollup
			.depositERC20(*chain.no_bool.address(), 70, bob)
			.from(bob),
	)
	.await;
	// Batch 1 (requests 0 and 1) executes; requests 2-4 stay unserved.
	chain.commit(&[&scenario.batches[0]]).await;
	send(rollup.proveBatches(vec![scenario.prove_info(0)])).await;
	send(rollup.executeBatches(
		vec![scenario.batches[0].execute_info()],
		chain.execute_signatures(1).await,
	))
	.await;
	chain.commit(&[&scenario.batches[1]]).await;

	let cancel = |requests: Vec<PriorityRequestInfo>| rollup.cancelOutstandingDeposits(requests);
	let alice = alice().address();
	let unserved = vec![
		Chain::deposit_request(alice, TOKEN, 500),
		PriorityRequestInfo {
			opType: 6,
			accountId: 1,
			l1Address: alice,
			token: TOKEN,
			amount: 0,
		},
		Chain::deposit_request(bob, NO_BOOL, 70),
	];
	assert_eq!(
		revert_of(cancel(unserved.clone())).await,
		E::ExodusNotActive(ConcordRollup::ExodusNotActive {})
	);
	chain.advance(EXPIRY - 60).await;
	assert_eq!(
		revert_of(rollup.activateExodus()).await,
		E::NoExpiredPriorityRequest(ConcordRollup::NoExpiredPriorityRequest {})
	);
	chain.advance(120).await;
	let receipt = send(rollup.activateExodus().from(bob)).await;
	let event = receipt
		.decoded_log::<ConcordRollup::ExodusActivated>()
		.unwrap();
	assert_eq!(event.expiredPriorityId, 2);
	assert_eq!(event.lastExecutedBatch, 1);
	assert_eq!(event.lastExecutedRoot, scenario.batches[0].new_root());
	assert!(rollup.exodusMode().call().await.unwrap());
	assert_eq!(
		rollup.lastExecutedRoot().call().await.unwrap(),
		scenario.batches[0].new_root()
	);

	// Nothing moves the rollup forward any more.
	assert_eq!(revert_of(rollup.activateExodus()).await, exodus_active());
	assert_eq!(
		revert_of(rollup.commitBatches(vec![chain.commit_info(&scenario.batches[2])])).await,
		exodus_active()
	);
	assert_eq!(
		revert_of(rollup.proveBatches(vec![scenario.prove_info(1)])).await,
		exodus_active()
	);
	// Execution stays open for the grace (the chain may catch up with proven batches).
	assert_eq!(
		revert_of(rollup.executeBatches(vec![], vec![])).await,
		E::NoBatches(ConcordRollup::NoBatches {})
	);
	assert_eq!(
		revert_of(rollup.depositETH(alice).value(U256::from(1)).from(alice)).await,
		exodus_active()
	);
	assert_eq!(
		revert_of(
			rollup
				.depositERC20(*chain.token.address(), 1, alice)
				.from(alice)
		)
		.await,
		exodus_active()
	);
	assert_eq!(
		revert_of(rollup.requestFullExit(1, ETH).from(alice)).await,
		exodus_active()
	);
	assert_eq!(
		revert_of(rollup.revertBatches(1, vec![])).await,
		exodus_active()
	);
	assert_eq!(
		revert_of(rollup.updateOracles(vec![alice], U256::from(1), vec![])).await,
		exodus_active()
	);
	assert_eq!(
		revert_of(rollup.registerToken(9, alice, vec![])).await,
		exodus_active()
	);
	assert_eq!(
		revert_of(rollup.updateChains(vec![CHAIN.0], vec![])).await,
		exodus_active()
	);

	// Refunds wait for the grace, in which a quorum may still retire the chain.
	let since = u64::from(rollup.exodusSince().call().await.unwrap());
	assert_eq!(
		revert_of(cancel(unserved.clone())).await,
		E::ExodusGraceRunning(ConcordRollup::ExodusGraceRunning {
			refundsFrom: U256::from(since + GRACE + 1),
		})
	);
	chain.advance(GRACE + 1).await;
	assert_eq!(
		revert_of(rollup.executeBatches(vec![], vec![])).await,
		exodus_active()
	);

	// Cancellation takes the queue in order, as the events described it.
	assert_eq!(
		revert_of(cancel(vec![])).await,
		E::BadRequestCount(ConcordRollup::BadRequestCount {
			given: U256::ZERO,
			outstanding: U256::from(3),
		})
	);
	let mut too_many = unserved.clone();
	too_many.push(Chain::deposit_request(bob, ETH, 1));
	assert_eq!(
		revert_of(cancel(too_many)).await,
		E::BadRequestCount(ConcordRollup::BadRequestCount {
			given: U256::from(4),
			outstanding: U256::from(3),
		})
	);
	let mut inflated = unserved.clone();
	inflated[0].amount = 501;
	assert_eq!(
		revert_of(cancel(inflated)).await,
		E::PriorityRequestMismatch(ConcordRollup::PriorityRequestMismatch { priorityId: 2 })
	);
	let receipt = send(cancel(unserved[..2].to_vec())).await;
	let cancelled: Vec<_> = receipt
		.logs()
		.iter()
		.filter_map(|log| {
			log.log_decode::<ConcordRollup::PriorityRequestCancelled>()
				.ok()
		})
		.map(|log| (log.inner.data.priorityId, log.inner.data.refunded))
		.collect();
	assert_eq!(cancelled, [(2, 500), (3, 0)]);
	send(cancel(unserved[2..].to_vec())).await;
	assert_eq!(rollup.firstPriorityId().call().await.unwrap(), 5);
	assert_eq!(
		revert_of(cancel(unserved[2..].to_vec())).await,
		E::BadRequestCount(ConcordRollup::BadRequestCount {
			given: U256::from(1),
			outstanding: U256::ZERO,
		})
	);

	// Refunds are withdrawn as usual, the no-bool token included.
	let tokens = chain.token.balanceOf(alice).call().await.unwrap();
	send(rollup.withdrawPending(alice, TOKEN)).await;
	assert_eq!(
		chain.token.balanceOf(alice).call().await.unwrap(),
		tokens + U256::from(500)
	);
	let no_bool = chain.no_bool.balanceOf(bob).call().await.unwrap();
	send(rollup.withdrawPending(bob, NO_BOOL)).await;
	assert_eq!(
		chain.no_bool.balanceOf(bob).call().await.unwrap(),
		no_bool + U256::from(70)
	);
	assert_eq!(
		chain
			.no_bool
			.balanceOf(*rollup.address())
			.call()
			.await
			.unwrap(),
		U256::ZERO
	);
}

/// A payee that calls `withdrawPending` again while being paid is refused by the lock, and a
/// payee that cannot take ETH keeps its balance.
#[tokio::test(flavor = "current_thread")]
async fn withdrawals_are_reentrancy_safe() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let receiver = ReentrantReceiver::deploy(chain.provider.clone(), *rollup.address(), ETH)
		.await
		.unwrap();
	// The no-bool token contract has no receive function: it rejects ETH.
	let rejecter = *chain.no_bool.address();
	let alice = alice().address();
	for to in [*receiver.address(), rejecter] {
		send(rollup.depositETH(to).value(U256::from(1000)).from(alice)).await;
	}
	chain.advance(EXPIRY + 1).await;
	send(rollup.activateExodus()).await;
	chain.advance(GRACE + 1).await;
	let requests = vec![
		Chain::deposit_request(*receiver.address(), ETH, 1000),
		Chain::deposit_request(rejecter, ETH, 1000),
	];
	send(rollup.cancelOutstandingDeposits(requests)).await;

	send(rollup.withdrawPending(*receiver.address(), ETH)).await;
	assert!(receiver.reentered().call().await.unwrap());
	let error: Bytes = receiver.reentryError().call().await.unwrap();
	assert_eq!(
		<E as alloy::sol_types::SolInterface>::abi_decode(&error).unwrap(),
		E::Reentrancy(ConcordRollup::Reentrancy {})
	);
	assert_eq!(
		chain.eth_balance(*receiver.address()).await,
		U256::from(1000)
	);
	assert_eq!(
		rollup
			.pendingBalance(*receiver.address(), ETH)
			.call()
			.await
			.unwrap(),
		U256::ZERO
	);

	assert_eq!(
		revert_of(rollup.withdrawPending(rejecter, ETH)).await,
		E::EthTransferFailed(ConcordRollup::EthTransferFailed { to: rejecter })
	);
	assert_eq!(
		rollup.pendingBalance(rejecter, ETH).call().await.unwrap(),
		U256::from(1000)
	);
	assert_eq!(
		revert_of(rollup.withdrawPending(Address::repeat_byte(3), ETH)).await,
		E::NothingToWithdraw(ConcordRollup::NothingToWithdraw {
			owner: Address::repeat_byte(3),
			token: ETH,
		})
	);
}

/// Expiry counts only while the head of the queue is left unserved: requests queued at t whose
/// head is served at t + expiry − 1 do not let exodus in at t + expiry + 1, although every one
/// of them has then waited longer than the expiry; the new head, left unserved, does once it
/// has waited more than the expiry itself.
#[tokio::test(flavor = "current_thread")]
async fn only_an_unserved_head_expires() {
	let scenario = scenario();
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	chain.request_all().await;
	let t = chain.now().await;
	assert!(rollup.headSince().call().await.unwrap() <= t);
	chain.commit(&[&scenario.batches[0]]).await;
	send(rollup.proveBatches(vec![scenario.prove_info(0)])).await;
	// Batch 1 serves requests 0 and 1 halfway to their expiry (so that the later requests'
	// total wait limit, `REQUEST_WAIT_LIMIT` expiries, stays out of this test).
	let served_at = t + EXPIRY / 2;
	chain.next_timestamp(served_at).await;
	send(rollup.executeBatches(
		vec![scenario.batches[0].execute_info()],
		chain.execute_signatures(1).await,
	))
	.await;
	assert_eq!(rollup.firstPriorityId().call().await.unwrap(), 2);
	assert_eq!(rollup.headSince().call().await.unwrap(), served_at);

	chain.mine_at(t + EXPIRY + 1).await;
	let not_expired = || E::NoExpiredPriorityRequest(ConcordRollup::NoExpiredPriorityRequest {});
	assert_eq!(revert_of(rollup.activateExodus()).await, not_expired());
	// Exactly `priorityExpiry` after the head changed: not yet.
	chain.next_timestamp(served_at + EXPIRY).await;
	assert!(!exodus_mined(rollup).await, "exodus at the expiry itself");
	assert!(!rollup.exodusMode().call().await.unwrap());
	// One second later, request 2 has waited more than the expiry at the head.
	chain.next_timestamp(served_at + EXPIRY + 1).await;
	let receipt = send(rollup.activateExodus().gas(200_000)).await;
	let event = receipt
		.decoded_log::<ConcordRollup::ExodusActivated>()
		.unwrap();
	assert_eq!((event.expiredPriorityId, event.lastExecutedBatch), (2, 1));
	assert!(rollup.exodusMode().call().await.unwrap());
}

/// A queue whose head is served just before it would expire, again and again, still expires
/// once a request has waited `REQUEST_WAIT_LIMIT` expiries since it was queued: serving one
/// request per expiry cannot keep exodus shut.
#[tokio::test(flavor = "current_thread")]
async fn a_queue_served_just_in_time_still_expires() {
	let scenario = scenario();
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	assert_eq!(rollup.REQUEST_WAIT_LIMIT().call().await.unwrap(), 2);
	chain.request_all().await;
	// A request no batch of the scenario serves.
	let bob = bob().address();
	send(rollup.depositETH(bob).value(U256::from(5)).from(bob)).await;
	let t = chain.now().await;
	chain
		.commit(&[&scenario.batches[0], &scenario.batches[1]])
		.await;
	send(rollup.proveBatches(vec![scenario.prove_info(0), scenario.prove_info(1)])).await;
	// Each batch is executed one second before its head would expire.
	chain.next_timestamp(t + EXPIRY - 1).await;
	send(rollup.executeBatches(
		vec![scenario.batches[0].execute_info()],
		chain.execute_signatures(1).await,
	))
	.await;
	chain.next_timestamp(t + 2 * EXPIRY - 2).await;
	send(rollup.executeBatches(
		vec![scenario.batches[1].execute_info()],
		chain.execute_signatures(2).await,
	))
	.await;
	let head = rollup.firstPriorityId().call().await.unwrap();
	assert!(head < rollup.totalPriorityRequests().call().await.unwrap());
	let head_since = rollup.headSince().call().await.unwrap();
	assert_eq!(head_since, t + 2 * EXPIRY - 2);
	let queued_at = rollup.priorityRequest(head).call().await.unwrap().queuedAt;
	assert!(queued_at <= t);

	// At the limit itself, not yet; one second later the head expires by its total wait,
	// though it has waited only moments at the head.
	chain.next_timestamp(queued_at + 2 * EXPIRY).await;
	assert!(!exodus_mined(rollup).await, "exodus at the limit itself");
	let expired_at = queued_at + 2 * EXPIRY + 1;
	assert!(
		expired_at <= head_since + EXPIRY,
		"the head rule alone would wait"
	);
	chain.next_timestamp(expired_at).await;
	let receipt = send(rollup.activateExodus().gas(200_000)).await;
	let event = receipt
		.decoded_log::<ConcordRollup::ExodusActivated>()
		.unwrap();
	assert_eq!(
		(event.expiredPriorityId, event.lastExecutedBatch),
		(head, 2)
	);
}

/// After exodus, proven batches still execute during the grace (the chain catches up with the
/// root the others reached); then every account exits its share of this chain's reserve, once
/// per token, with a proof against the last executed root, and the chain never pays more than
/// it holds.
#[tokio::test(flavor = "current_thread")]
async fn exits_pay_each_account_its_share_of_the_reserve_once() {
	let scenario = scenario();
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	chain.request_all().await;
	let batches: Vec<&Batch> = scenario.batches.iter().collect();
	chain.commit(&batches).await;
	send(rollup.proveBatches((0..4).map(|i| scenario.prove_info(i)).collect())).await;
	send(rollup.executeBatches(
		vec![
			scenario.batches[0].execute_info(),
			scenario.batches[1].execute_info(),
		],
		chain.execute_signatures(2).await,
	))
	.await;
	let state = &scenario.state;
	let (claim, proof) = exit_proof(state, 1, ETH, CHAIN);
	assert_eq!(
		revert_of(perform_exodus(rollup, &claim, proof)).await,
		E::ExodusNotActive(ConcordRollup::ExodusNotActive {})
	);

	// Request 3 (Alice's full exit, served by batch 3) expires: exodus.
	chain.advance(EXPIRY + 1).await;
	send(rollup.activateExodus()).await;
	let since = u64::from(rollup.exodusSince().call().await.unwrap());
	let grace_running = E::ExodusGraceRunning(ConcordRollup::ExodusGraceRunning {
		refundsFrom: U256::from(since + GRACE + 1),
	});
	assert_eq!(
		revert_of(perform_exodus(rollup, &claim, proof)).await,
		grace_running
	);
	// In the grace, batches 3 and 4 execute with the quorum's signatures.
	send(rollup.executeBatches(
		vec![
			scenario.batches[2].execute_info(),
			scenario.batches[3].execute_info(),
		],
		chain.execute_signatures(4).await,
	))
	.await;
	assert_eq!(
		rollup.lastExecutedRoot().call().await.unwrap(),
		scenario.batches[3].new_root()
	);
	assert_eq!(rollup.firstPriorityId().call().await.unwrap(), 4);
	chain.advance(GRACE + 1).await;
	assert_eq!(
		revert_of(rollup.executeBatches(vec![], vec![])).await,
		exodus_active()
	);

	// A proof against an older root (after batch 2) is refused.
	let (older_seq, _, _) = first_batches();
	let older = older_seq.into_state();
	let (old_claim, old_proof) = exit_proof(&older, 1, ETH, CHAIN);
	assert_eq!(
		revert_of(perform_exodus(rollup, &old_claim, old_proof)).await,
		E::InvalidExitProof(ConcordRollup::InvalidExitProof {})
	);
	// So are a claim for another chain, another account's proof and any changed figure.
	let (other_chain, other_chain_proof) = exit_proof(state, 1, ETH, OTHER_CHAIN);
	assert_eq!(other_chain.reserve, 3);
	let (bob_claim, bob_proof) = exit_proof(state, 2, ETH, CHAIN);
	let mut tampered = vec![
		(other_chain, other_chain_proof),
		(claim, bob_proof),
		(ExitClaimExt::with(claim, |c| c.token = TOKEN), proof),
		(ExitClaimExt::with(claim, |c| c.balance += 1), proof),
		(ExitClaimExt::with(claim, |c| c.reserve += 1), proof),
		(
			ExitClaimExt::with(claim, |c| c.total -= concord_primitives::Fr::from(1u8)),
			proof,
		),
		(
			ExitClaimExt::with(claim, |c| c.l1_address = addr(&bob())),
			proof,
		),
	];
	let mut bad_proof = proof;
	bad_proof[0] = proof[6];
	tampered.push((claim, bad_proof));
	for (forged, forged_proof) in tampered {
		assert_eq!(
			revert_of(perform_exodus(rollup, &forged, forged_proof)).await,
			E::InvalidExitProof(ConcordRollup::InvalidExitProof {}),
			"{forged:?}"
		);
	}

	// Each account (the operator's, Alice's, Bob's) is paid its share of chain 1's reserve.
	let reserve = claim.reserve;
	let mut paid = U256::ZERO;
	for (claim, proof) in [
		exit_proof(state, 0, ETH, CHAIN),
		(claim, proof),
		(bob_claim, bob_proof),
	] {
		assert_eq!(claim.chain, CHAIN.0);
		assert_eq!(claim.reserve, reserve);
		let owner = Address::from(claim.l1_address);
		let before = rollup.pendingBalance(owner, ETH).call().await.unwrap();
		let receipt = send(perform_exodus(rollup, &claim, proof).from(bob().address())).await;
		let event = receipt.decoded_log::<ConcordRollup::ExodusExit>().unwrap();
		let share = exit_share(&claim);
		assert_eq!(
			(event.accountId, event.token, event.owner, event.amount),
			(claim.account, ETH, owner, share)
		);
		assert_eq!(
			rollup.pendingBalance(owner, ETH).call().await.unwrap(),
			before + share
		);
		assert!(rollup.exited(claim.account, ETH).call().await.unwrap());
		paid += share;
	}
	assert!(
		paid <= U256::from(reserve),
		"paid {paid} of a reserve of {reserve}"
	);
	// Rounding down loses at most one unit per account.
	assert!(U256::from(reserve) - paid <= U256::from(3));

	// Once per (account, token); an account with no balance of a token has nothing to exit.
	assert_eq!(
		revert_of(perform_exodus(rollup, &claim, proof)).await,
		E::AlreadyExited(ConcordRollup::AlreadyExited {
			accountId: 1,
			token: ETH,
		})
	);
	let (no_token, no_token_proof) = exit_proof(state, 1, TOKEN, CHAIN);
	assert_eq!(no_token.balance, 0);
	assert_eq!(
		revert_of(perform_exodus(rollup, &no_token, no_token_proof)).await,
		E::NothingToExit(ConcordRollup::NothingToExit {
			accountId: 1,
			token: TOKEN,
		})
	);

	// Pending balances (withdrawals, exits) are withdrawn as usual, and the contract still
	// holds every pending balance.
	let alice = alice().address();
	let pending = rollup.pendingBalance(alice, ETH).call().await.unwrap();
	let before = chain.eth_balance(alice).await;
	send(rollup.withdrawPending(alice, ETH).from(bob().address())).await;
	assert_eq!(chain.eth_balance(alice).await, before + pending);
	let mut owed = U256::ZERO;
	for who in [operator().address(), bob().address()] {
		owed += rollup.pendingBalance(who, ETH).call().await.unwrap();
	}
	assert!(chain.eth_balance(*rollup.address()).await >= owed);
}

/// A copy of a claim with one change.
trait ExitClaimExt: Sized {
	fn with(self, change: impl FnOnce(&mut Self)) -> Self;
}

impl ExitClaimExt for concord_primitives::exit::ExitClaim {
	fn with(mut self, change: impl FnOnce(&mut Self)) -> Self {
		change(&mut self);
		self
	}
}
