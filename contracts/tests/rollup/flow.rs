use crate::common::*;
use alloy::primitives::{Address, U256};
use concord_contracts::{digest::payouts_hash, ConcordRollup, Payout};
use concord_primitives::stf::TreeState;
use sha2::{Digest, Sha256};

/// Deposits, then commit → prove → execute → withdraw of the whole scenario on anvil, with
/// real proofs, and the funds arriving in Alice's L1 account.
#[tokio::test(flavor = "current_thread")]
async fn commit_prove_execute_withdraw_with_real_proofs() {
	let scenario = scenario();
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	chain.request_all().await;
	assert_eq!(rollup.totalPriorityRequests().call().await.unwrap(), 4);
	let contract_eth = chain.eth_balance(*rollup.address()).await;
	assert_eq!(contract_eth, U256::from(ONE_ETH + 1));

	// Commit: the contract recognises its own priority ops and payouts, not chain 2's.
	let batches: Vec<&Batch> = scenario.batches.iter().collect();
	let receipt = chain.commit(&batches).await;
	let committed: Vec<_> = receipt
		.logs()
		.iter()
		.filter_map(|log| log.log_decode::<ConcordRollup::BatchCommitted>().ok())
		.map(|log| log.inner.data)
		.collect();
	assert_eq!(committed.len(), 4);
	for (event, batch) in committed.iter().zip(&scenario.batches) {
		assert_eq!(event.batchNumber, batch.number());
		assert_eq!(
			event.pubdataHash.0,
			<[u8; 32]>::from(Sha256::digest(&batch.pubdata))
		);
	}
	let served: Vec<u64> = committed.iter().map(|e| e.priorityRequests).collect();
	assert_eq!(served, [2, 1, 1, 0]);
	for (index, batch) in scenario.batches.iter().enumerate() {
		let stored = rollup.storedBatch(batch.number()).call().await.unwrap();
		assert_eq!(
			stored.payoutsHash,
			payouts_hash(&batch.payouts()),
			"batch {index}"
		);
	}
	assert!(
		scenario.batches[3].payouts().is_empty(),
		"chain 2's withdrawal is not paid here"
	);
	assert_eq!(rollup.totalCommitted().call().await.unwrap(), 4);
	assert_eq!(rollup.committedPriorityRequests().call().await.unwrap(), 4);

	// Prove: BatchProven carries the root and the sync hash the appchain expects.
	let proofs = (0..4).map(|i| scenario.prove_info(i)).collect();
	let receipt = send(rollup.proveBatches(proofs)).await;
	let proven: Vec<_> = receipt
		.logs()
		.iter()
		.filter_map(|log| log.log_decode::<ConcordRollup::BatchProven>().ok())
		.map(|log| log.inner.data)
		.collect();
	assert_eq!(proven.len(), 4);
	for (index, event) in proven.iter().enumerate() {
		assert_eq!(event.batchNumber, index as u64 + 1);
		assert_eq!(event.newRoot, scenario.batches[index].new_root());
		assert_eq!(event.syncHash, scenario.sync_hash(index));
	}
	assert_eq!(rollup.totalProven().call().await.unwrap(), 4);
	// Nothing is paid before execution.
	let alice = alice().address();
	assert_eq!(
		rollup.pendingBalance(alice, ETH).call().await.unwrap(),
		U256::ZERO
	);

	// Execute batches 1-3 with one quorum over batch 3's sync hash, then batch 4.
	let signatures = chain.sign(chain.domain().execute(3, scenario.sync_hash(2)), &[2, 0]);
	let infos = scenario.batches[..3]
		.iter()
		.map(|b| b.execute_info())
		.collect();
	let receipt = send(rollup.executeBatches(infos, signatures)).await;
	let credited: Vec<_> = receipt
		.logs()
		.iter()
		.filter_map(|log| log.log_decode::<ConcordRollup::WithdrawalCredited>().ok())
		.map(|log| log.inner.data)
		.collect();
	assert_eq!(credited.len(), 2);
	assert_eq!(
		(credited[0].batchNumber, credited[0].to, credited[0].token),
		(3, alice, ETH)
	);
	assert_eq!(credited[0].amount, WITHDRAWN);
	assert_eq!(
		(credited[1].to, credited[1].token, credited[1].amount),
		(alice, TOKEN, 500)
	);
	assert_eq!(rollup.totalExecuted().call().await.unwrap(), 3);
	assert_eq!(rollup.firstPriorityId().call().await.unwrap(), 4);
	assert_eq!(rollup.committedPriorityRequests().call().await.unwrap(), 0);
	assert_eq!(
		rollup.lastExecutedRoot().call().await.unwrap(),
		scenario.batches[2].new_root()
	);
	let signatures = chain.execute_signatures(4).await;
	send(rollup.executeBatches(vec![scenario.batches[3].execute_info()], signatures)).await;
	assert_eq!(rollup.totalExecuted().call().await.unwrap(), 4);

	// Withdraw: anyone may trigger it, the funds go to Alice.
	assert_eq!(
		rollup.pendingBalance(alice, ETH).call().await.unwrap(),
		U256::from(WITHDRAWN)
	);
	let before = chain.eth_balance(alice).await;
	let receipt = send(rollup.withdrawPending(alice, ETH).from(bob().address())).await;
	let withdrawn = receipt
		.decoded_log::<ConcordRollup::Withdrawn>()
		.expect("Withdrawn event");
	assert_eq!(
		(withdrawn.owner, withdrawn.token, withdrawn.amount),
		(alice, ETH, U256::from(WITHDRAWN))
	);
	assert_eq!(
		chain.eth_balance(alice).await,
		before + U256::from(WITHDRAWN)
	);
	let tokens_before = chain.token.balanceOf(alice).call().await.unwrap();
	send(rollup.withdrawPending(alice, TOKEN).from(alice)).await;
	assert_eq!(
		chain.token.balanceOf(alice).call().await.unwrap(),
		tokens_before + U256::from(500)
	);
	assert_eq!(
		rollup.pendingBalance(alice, TOKEN).call().await.unwrap(),
		U256::ZERO
	);
	assert_eq!(
		chain.eth_balance(*rollup.address()).await,
		contract_eth - U256::from(WITHDRAWN)
	);

	// A second withdrawal finds nothing.
	assert_eq!(
		revert_of(rollup.withdrawPending(alice, ETH)).await,
		ConcordRollup::ConcordRollupErrors::NothingToWithdraw(ConcordRollup::NothingToWithdraw {
			owner: alice,
			token: ETH,
		})
	);
	assert_ne!(alice, Address::ZERO);
}

/// A deposit the L2 cannot credit (TOKEN, here not registered on the L2 side) is proven as a
/// refund: the contract serves its request at commit like any deposit, and credits it back to
/// the depositor's pending balance at execute.
#[tokio::test(flavor = "current_thread")]
async fn a_refunded_deposit_is_paid_back_at_execute() {
	let mut state = TreeState::new();
	for (chain, tokens) in [(CHAIN, &[ETH, NO_BOOL][..]), (OTHER_CHAIN, &[ETH][..])] {
		state.registry_mut().add_chain(chain);
		for &token in tokens {
			state.registry_mut().register_token(chain, token).unwrap();
		}
	}
	let mut seq = Sequencer::on(state);
	let shared = scenario();
	let b1 = seq.batch(
		&[
			(deposit(CHAIN, 0, addr(&operator()), ETH, 1), None),
			(deposit(CHAIN, 1, addr(&alice()), ETH, ONE_ETH), None),
		],
		vec![],
	);
	// The registries are not in the tree: the scenario's first batch and its proof.
	assert_eq!(b1.pubdata, shared.batches[0].pubdata);
	let b2 = seq.batch(
		&[(deposit(CHAIN, 2, addr(&alice()), TOKEN, 500), None)],
		vec![],
	);
	assert_eq!(b2.witness.new_root, b1.witness.new_root);
	let alice = alice().address();
	let refund = Payout {
		to: alice,
		token: TOKEN,
		amount: 500,
	};
	assert_eq!(b2.payouts(), [refund.clone()]);
	let proofs = vec![shared.proofs[0], prove(&b2.witness)];
	let refunded = Scenario {
		batches: vec![b1, b2],
		proofs,
		state: seq.into_state(),
	};

	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	chain.request_batch1().await;
	chain.request_batch2().await;
	let batches: Vec<&Batch> = refunded.batches.iter().collect();
	chain.commit(&batches).await;
	assert_eq!(rollup.committedPriorityRequests().call().await.unwrap(), 3);
	let stored = rollup.storedBatch(2).call().await.unwrap();
	assert_eq!(stored.payoutsHash, payouts_hash(&[refund]));
	let proofs = (0..2).map(|i| refunded.prove_info(i)).collect();
	send(rollup.proveBatches(proofs)).await;
	assert_eq!(
		rollup.pendingBalance(alice, TOKEN).call().await.unwrap(),
		U256::ZERO,
		"nothing is paid back before execution"
	);
	let signatures = chain.sign(chain.domain().execute(2, refunded.sync_hash(1)), &[0, 1]);
	let infos = refunded.batches.iter().map(|b| b.execute_info()).collect();
	send(rollup.executeBatches(infos, signatures)).await;
	assert_eq!(rollup.firstPriorityId().call().await.unwrap(), 3);
	assert_eq!(
		rollup.pendingBalance(alice, TOKEN).call().await.unwrap(),
		U256::from(500)
	);
	let tokens_before = chain.token.balanceOf(alice).call().await.unwrap();
	send(rollup.withdrawPending(alice, TOKEN).from(alice)).await;
	assert_eq!(
		chain.token.balanceOf(alice).call().await.unwrap(),
		tokens_before + U256::from(500)
	);
}
