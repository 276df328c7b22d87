use crate::common::*;
use alloy::{
	primitives::{Address, U256},
	providers::Provider,
};
use concord_contracts::{
	digest::request_hash,
	ConcordRollup::{self, ConcordRollupErrors as E, PriorityRequestInfo},
};

/// Deposits of ETH and of both ERC-20s and a full exit request are queued with their hash and
/// expiry, and announced by events with everything the appchain needs.
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
	assert_eq!(event.expiresAt, block.header.timestamp + EXPIRY);

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
	let receipt = send(rollup.requestFullExit(0x00ff_ffff, TOKEN).from(bob)).await;
	let exit = receipt
		.decoded_log::<ConcordRollup::FullExitRequested>()
		.unwrap();
	assert_eq!(
		(exit.priorityId, exit.owner, exit.accountId, exit.token),
		(3, bob, 0x00ff_ffff, TOKEN)
	);

	let requests = [
		Chain::deposit_request(bob, ETH, ONE_ETH),
		Chain::deposit_request(bob, TOKEN, 300),
		Chain::deposit_request(alice, NO_BOOL, 40),
		PriorityRequestInfo {
			opType: 6,
			accountId: 0x00ff_ffff,
			l1Address: bob,
			token: TOKEN,
			amount: 0,
		},
	];
	for (id, request) in requests.iter().enumerate() {
		let queued = rollup.priorityRequest(id as u64).call().await.unwrap();
		assert_eq!(queued.hash, request_hash(request, id as u64));
	}
	assert_eq!(rollup.totalPriorityRequests().call().await.unwrap(), 4);
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
	assert_eq!(
		revert_of(rollup.requestFullExit(1 << 24, ETH).from(alice)).await,
		E::AccountIdOutOfRange(ConcordRollup::AccountIdOutOfRange { accountId: 1 << 24 })
	);
	assert_eq!(
		revert_of(rollup.requestFullExit(1, 77).from(alice)).await,
		E::UnknownTokenId(ConcordRollup::UnknownTokenId { tokenId: 77 })
	);
	assert_eq!(rollup.totalPriorityRequests().call().await.unwrap(), 0);
}
