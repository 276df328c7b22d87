use crate::common::*;
use alloy::{
	primitives::{Address, U256},
	providers::Provider,
};
use concord_contracts::{
	digest::request_hash,
	ConcordRollup::{self, ConcordRollupErrors as E, Config, PriorityRequestInfo},
};

/// Deposits of ETH and of both ERC-20s and a full exit request are queued with their hash, and
/// announced by events with everything the appchain needs; the first request becomes the head
/// of the queue, and its wait starts, when it is queued.
#[tokio::test(flavor = "current_thread")]
async fn deposits_and_full_exits_are_queued() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let (alice, bob) = (alice().address(), bob().address());

	let receipt = send(
		rollup
			.depositETH(bob)
			.value(U256::from(ONE_ETH))
			.from(alice),
	)
	.await;
	let event = receipt
		.decoded_log::<ConcordRollup::DepositRequested>()
		.unwrap();
	let block = chain
		.provider
		.get_block_by_number(receipt.block_number.unwrap().into())
		.await
		.unwrap()
		.unwrap();
	assert_eq!(
		(
			event.priorityId,
			event.from,
			event.to,
			event.token,
			event.amount
		),
		(0, alice, bob, ETH, ONE_ETH)
	);
	let head_since = block.header.timestamp;
	assert_eq!(rollup.headSince().call().await.unwrap(), head_since);

	send(
		rollup
			.depositERC20(*chain.token.address(), 300, bob)
			.from(alice),
	)
	.await;
	let receipt = send(
		rollup
			.depositERC20(*chain.no_bool.address(), 40, alice)
			.from(alice),
	)
	.await;
	assert_eq!(
		receipt
			.decoded_log::<ConcordRollup::DepositRequested>()
			.unwrap()
			.token,
		NO_BOOL
	);
	// The largest user account id: the 256 above it are the chain reserves.
	let receipt = send(rollup.requestFullExit(0x00ff_feff, TOKEN).from(bob)).await;
	let exit = receipt
		.decoded_log::<ConcordRollup::FullExitRequested>()
		.unwrap();
	assert_eq!(
		(exit.priorityId, exit.owner, exit.accountId, exit.token),
		(3, bob, 0x00ff_feff, TOKEN)
	);

	let requests = [
		Chain::deposit_request(bob, ETH, ONE_ETH),
		Chain::deposit_request(bob, TOKEN, 300),
		Chain::deposit_request(alice, NO_BOOL, 40),
		PriorityRequestInfo {
			opType: 6,
			accountId: 0x00ff_feff,
			l1Address: bob,
			token: TOKEN,
			amount: 0,
		},
	];
	let now = chain.now().await;
	for (id, request) in requests.iter().enumerate() {
		let queued = rollup.priorityRequest(id as u64).call().await.unwrap();
		assert_eq!(
			queued.hashPrefix.0,
			request_hash(request, id as u64).0[..24]
		);
		assert!(queued.queuedAt > 0 && queued.queuedAt <= now);
	}
	assert_eq!(rollup.totalPriorityRequests().call().await.unwrap(), 4);
	// Request 0 is still the head: the later requests did not restart its wait.
	assert_eq!(rollup.headSince().call().await.unwrap(), head_since);
	assert_eq!(
		chain.eth_balance(*rollup.address()).await,
		U256::from(ONE_ETH)
	);
	assert_eq!(
		chain
			.token
			.balanceOf(*rollup.address())
			.call()
			.await
			.unwrap(),
		U256::from(300)
	);
	assert_eq!(
		chain
			.no_bool
			.balanceOf(*rollup.address())
			.call()
			.await
			.unwrap(),
		U256::from(40)
	);
}

#[tokio::test(flavor = "current_thread")]
async fn bad_requests_are_rejected() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let alice = alice().address();
	let token = *chain.token.address();
	assert_eq!(
		revert_of(rollup.depositETH(alice).from(alice)).await,
		E::ZeroAmount(ConcordRollup::ZeroAmount {})
	);
	assert_eq!(
		revert_of(
			rollup
				.depositETH(Address::ZERO)
				.value(U256::from(1))
				.from(alice)
		)
		.await,
		E::ZeroAddress(ConcordRollup::ZeroAddress {})
	);
	let too_much = U256::from(u128::MAX) + U256::from(1);
	let _: serde_json::Value = chain
		.provider
		.raw_request("anvil_setBalance".into(), (alice, too_much * U256::from(2)))
		.await
		.unwrap();
	assert_eq!(
		revert_of(rollup.depositETH(alice).value(too_much).from(alice)).await,
		E::AmountTooLarge(ConcordRollup::AmountTooLarge { amount: too_much })
	);
	assert_eq!(
		revert_of(rollup.depositERC20(Address::ZERO, 1, alice).from(alice)).await,
		E::NotAnErc20(ConcordRollup::NotAnErc20 {})
	);
	let unknown = Address::repeat_byte(0x99);
	assert_eq!(
		revert_of(rollup.depositERC20(unknown, 1, alice).from(alice)).await,
		E::UnknownToken(ConcordRollup::UnknownToken { token: unknown })
	);
	assert_eq!(
		revert_of(rollup.depositERC20(token, 0, alice).from(alice)).await,
		E::ZeroAmount(ConcordRollup::ZeroAmount {})
	);
	assert_eq!(
		revert_of(rollup.depositERC20(token, 1, Address::ZERO).from(alice)).await,
		E::ZeroAddress(ConcordRollup::ZeroAddress {})
	);
	// More than the depositor's balance (or allowance): the token reverts.
	assert_eq!(
		revert_of(rollup.depositERC20(token, 2_000_000, alice).from(alice)).await,
		E::TokenTransferFailed(ConcordRollup::TokenTransferFailed { token })
	);
	let no_bool = *chain.no_bool.address();
	assert_eq!(
		revert_of(rollup.depositERC20(no_bool, 2_000_000, alice).from(alice)).await,
		E::TokenTransferFailed(ConcordRollup::TokenTransferFailed { token: no_bool })
	);
	// Beyond the ids, and a chain reserve's id (the last 256): nobody's account.
	for account_id in [1 << 24, (1 << 24) - 256, (1 << 24) - 1] {
		assert_eq!(
			revert_of(rollup.requestFullExit(account_id, ETH).from(alice)).await,
			E::AccountIdOutOfRange(ConcordRollup::AccountIdOutOfRange {
				accountId: account_id
			})
		);
	}
	assert_eq!(
		revert_of(rollup.requestFullExit(1, 77).from(alice)).await,
		E::UnknownTokenId(ConcordRollup::UnknownTokenId { tokenId: 77 })
	);
	assert_eq!(rollup.totalPriorityRequests().call().await.unwrap(), 0);
}

/// At most `MAX_OPEN_REQUESTS` requests are open at a time: a spam of minimal requests fills
/// the queue and the next request of any kind is refused; serving the head makes room again.
#[tokio::test(flavor = "current_thread")]
async fn open_requests_are_capped() {
	let scenario = scenario();
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let max = rollup.MAX_OPEN_REQUESTS().call().await.unwrap();
	assert_eq!(max, 1024);
	let exit_slots = rollup.FULL_EXIT_SLOTS().call().await.unwrap();
	assert_eq!(exit_slots, 64);
	// The scenario's batch 1 requests first, then deposits up to where only full exits may
	// queue, then full exits of account 0 to fill the queue. Each is sent without waiting for
	// its receipt (nor estimating gas), then the last one's: the counter shows that every one
	// was queued.
	chain.request_batch1().await;
	let bob = bob().address();
	let mut last = None;
	for _ in 2..max - exit_slots {
		let call = rollup
			.depositETH(bob)
			.value(U256::from(1))
			.from(bob)
			.gas(200_000);
		last = Some(call.send().await.unwrap());
	}
	assert!(last.take().unwrap().get_receipt().await.unwrap().status());
	let full = E::TooManyOpenRequests(ConcordRollup::TooManyOpenRequests {});
	assert_eq!(
		revert_of(rollup.depositETH(bob).value(U256::from(1)).from(bob)).await,
		full,
		"deposits leave the last slots to full exits"
	);
	for _ in max - exit_slots..max {
		let call = rollup.requestFullExit(0, ETH).from(bob).gas(200_000);
		last = Some(call.send().await.unwrap());
	}
	let receipt = last.unwrap().get_receipt().await.unwrap();
	assert!(receipt.status());
	assert_eq!(rollup.totalPriorityRequests().call().await.unwrap(), max);
	assert_eq!(
		revert_of(rollup.requestFullExit(0, ETH).from(bob)).await,
		full
	);
	assert_eq!(
		revert_of(rollup.depositETH(bob).value(U256::from(1)).from(bob)).await,
		E::TooManyOpenRequests(ConcordRollup::TooManyOpenRequests {})
	);
	assert_eq!(
		revert_of(
			rollup
				.depositERC20(*chain.token.address(), 1, bob)
				.from(bob)
		)
		.await,
		E::TooManyOpenRequests(ConcordRollup::TooManyOpenRequests {})
	);
	// Executing batch 1 serves requests 0 and 1: two more full exits fit, not three, and no
	// deposit.
	chain.commit(&[&scenario.batches[0]]).await;
	send(rollup.proveBatches(vec![scenario.prove_info(0)])).await;
	send(rollup.executeBatches(
		vec![scenario.batches[0].execute_info()],
		chain.execute_signatures(1).await,
	))
	.await;
	assert_eq!(
		revert_of(rollup.depositETH(bob).value(U256::from(1)).from(bob)).await,
		full
	);
	send(rollup.requestFullExit(0, ETH).from(bob)).await;
	send(rollup.requestFullExit(0, ETH).from(bob)).await;
	assert_eq!(
		revert_of(rollup.requestFullExit(0, ETH).from(bob)).await,
		full
	);
	assert_eq!(
		rollup.totalPriorityRequests().call().await.unwrap(),
		max + 2
	);
}

/// With a request fee, every request pays exactly it (a native-coin deposit: on top of the
/// amount); the fees are counted apart from the deposits, never credited to L2 or refunded,
/// and a quorum withdraws them, in exodus mode too.
#[tokio::test(flavor = "current_thread")]
async fn request_fees_are_paid_and_kept_apart() {
	const FEE: u64 = 1_000;
	let fee = U256::from(FEE);
	let chain = Chain::start_with(|config| Config {
		requestFee: U256::from(FEE),
		..config
	})
	.await;
	let rollup = &chain.rollup;
	let (alice, bob) = (alice().address(), bob().address());
	let token = *chain.token.address();
	assert_eq!(rollup.requestFee().call().await.unwrap(), fee);
	let not_paid = |paid: u64| {
		E::RequestFeeNotPaid(ConcordRollup::RequestFeeNotPaid {
			paid: U256::from(paid),
			fee,
		})
	};
	assert_eq!(
		revert_of(
			rollup
				.depositETH(bob)
				.value(fee - U256::from(1))
				.from(alice)
		)
		.await,
		not_paid(FEE - 1)
	);
	assert_eq!(
		revert_of(rollup.depositETH(bob).value(fee).from(alice)).await,
		E::ZeroAmount(ConcordRollup::ZeroAmount {})
	);
	for paid in [0, FEE - 1, FEE + 1] {
		assert_eq!(
			revert_of(
				rollup
					.depositERC20(token, 300, alice)
					.value(U256::from(paid))
					.from(alice)
			)
			.await,
			not_paid(paid)
		);
		assert_eq!(
			revert_of(
				rollup
					.requestFullExit(1, TOKEN)
					.value(U256::from(paid))
					.from(alice)
			)
			.await,
			not_paid(paid)
		);
	}

	// Paid: the deposit queues what is left after the fee.
	let receipt = send(
		rollup
			.depositETH(bob)
			.value(fee + U256::from(500))
			.from(alice),
	)
	.await;
	let event = receipt
		.decoded_log::<ConcordRollup::DepositRequested>()
		.unwrap();
	assert_eq!((event.to, event.token, event.amount), (bob, ETH, 500));
	assert_eq!(
		rollup.priorityRequest(0).call().await.unwrap().hashPrefix.0,
		request_hash(&Chain::deposit_request(bob, ETH, 500), 0).0[..24]
	);
	send(
		rollup
			.depositERC20(token, 300, alice)
			.value(fee)
			.from(alice),
	)
	.await;
	send(rollup.requestFullExit(1, TOKEN).value(fee).from(alice)).await;
	assert_eq!(rollup.totalPriorityRequests().call().await.unwrap(), 3);
	assert_eq!(
		rollup.collectedFees().call().await.unwrap(),
		fee * U256::from(3)
	);
	assert_eq!(
		chain.eth_balance(*rollup.address()).await,
		U256::from(500) + fee * U256::from(3)
	);

	// A quorum withdraws fees, never more than were collected.
	let operator = operator().address();
	let withdraw = |to: Address, amount: U256, nonce: u64, members: &[usize]| {
		let signatures = chain.sign(chain.domain().withdraw_fees(nonce, to, amount), members);
		rollup.withdrawFees(to, amount, signatures)
	};
	let too_much = fee * U256::from(3) + U256::from(1);
	assert_eq!(
		revert_of(withdraw(operator, too_much, 0, &[0, 1])).await,
		E::FeesExceeded(ConcordRollup::FeesExceeded {
			amount: too_much,
			collected: fee * U256::from(3),
		})
	);
	assert_eq!(
		revert_of(withdraw(Address::ZERO, fee, 0, &[0, 1])).await,
		E::ZeroAddress(ConcordRollup::ZeroAddress {})
	);
	assert_eq!(
		revert_of(withdraw(operator, U256::ZERO, 0, &[0, 1])).await,
		E::ZeroAmount(ConcordRollup::ZeroAmount {})
	);
	assert_eq!(
		revert_of(withdraw(operator, fee, 0, &[2])).await,
		E::NotEnoughSignatures(ConcordRollup::NotEnoughSignatures {
			given: U256::from(1),
			threshold: U256::from(THRESHOLD),
		})
	);
	let before = chain.eth_balance(operator).await;
	let receipt = send(withdraw(operator, fee * U256::from(2), 0, &[1, 2])).await;
	let event = receipt
		.decoded_log::<ConcordRollup::FeesWithdrawn>()
		.unwrap();
	assert_eq!(
		(event.nextNonce, event.to, event.amount),
		(1, operator, fee * U256::from(2))
	);
	assert_eq!(
		chain.eth_balance(operator).await,
		before + fee * U256::from(2)
	);
	assert_eq!(rollup.collectedFees().call().await.unwrap(), fee);
	assert_eq!(rollup.governanceNonce().call().await.unwrap(), 1);

	// In exodus mode the deposits are refunded without their fees, and the fee left is still
	// the quorum's to withdraw: the contract then holds exactly the refunded deposit.
	chain.advance(EXPIRY + 1).await;
	send(rollup.activateExodus()).await;
	chain.advance(GRACE + 1).await;
	send(rollup.cancelOutstandingDeposits(vec![
		Chain::deposit_request(bob, ETH, 500),
		Chain::deposit_request(alice, TOKEN, 300),
		PriorityRequestInfo {
			opType: 6,
			accountId: 1,
			l1Address: alice,
			token: TOKEN,
			amount: 0,
		},
	]))
	.await;
	assert_eq!(
		rollup.pendingBalance(bob, ETH).call().await.unwrap(),
		U256::from(500)
	);
	send(withdraw(operator, fee, 1, &[0, 1])).await;
	assert_eq!(rollup.collectedFees().call().await.unwrap(), U256::ZERO);
	assert_eq!(chain.eth_balance(*rollup.address()).await, U256::from(500));
	send(rollup.withdrawPending(bob, ETH)).await;
	assert_eq!(chain.eth_balance(*rollup.address()).await, U256::ZERO);
}
