use crate::common::*;
use alloy::{
	primitives::{Address, Bytes, U256},
	signers::SignerSync,
};
use concord_contracts::{
	digest::Domain,
	ConcordRollup::{self, ConcordRollupErrors as E},
	Payout,
};

/// A chain with batches 1-3 committed and proven, nothing executed.
async fn proven_chain() -> Chain {
	let scenario = scenario();
	let chain = Chain::start().await;
	chain.request_all().await;
	let batches: Vec<&Batch> = scenario.batches[..3].iter().collect();
	chain.commit(&batches).await;
	let proofs = (0..3).map(|i| scenario.prove_info(i)).collect();
	send(chain.rollup.proveBatches(proofs)).await;
	chain
}

/// Executing needs a quorum of distinct members' signatures over this chain's and contract's
/// digest of the batch's sync hash; anything less, or a replay from elsewhere, is rejected.
#[tokio::test(flavor = "current_thread")]
async fn execute_requires_a_quorum_of_distinct_members() {
	let scenario = scenario();
	let chain = proven_chain().await;
	let rollup = &chain.rollup;
	let infos: Vec<_> = scenario.batches[..3]
		.iter()
		.map(|b| b.execute_info())
		.collect();
	let sync = scenario.sync_hash(2);
	let digest = chain.domain().execute(3, sync);
	let execute = |signatures: Vec<Bytes>| rollup.executeBatches(infos.clone(), signatures);

	// A minority: one member of three, threshold two.
	assert_eq!(
		revert_of(execute(chain.sign(digest, &[1]))).await,
		E::NotEnoughSignatures(ConcordRollup::NotEnoughSignatures {
			given: U256::from(1),
			threshold: U256::from(THRESHOLD),
		})
	);
	// One member twice.
	let member = oracles()[1].address();
	assert_eq!(
		revert_of(execute(chain.sign(digest, &[1, 1]))).await,
		E::DuplicateSigner(ConcordRollup::DuplicateSigner { signer: member })
	);
	// A non-member's signature.
	let outsider = bob().sign_hash_sync(&digest).unwrap();
	let mut signatures = chain.sign(digest, &[0]);
	signatures.push(Bytes::from(outsider.as_bytes().to_vec()));
	assert_eq!(
		revert_of(execute(signatures)).await,
		E::SignerNotOracle(ConcordRollup::SignerNotOracle {
			signer: bob().address()
		})
	);
	// Signatures made for another EVM chain, another contract, another batch or sync hash
	// recover to addresses that are not members.
	let elsewhere = [
		Domain {
			evm_chain_id: EVM_CHAIN_ID + 1,
			..chain.domain()
		}
		.execute(3, sync),
		Domain {
			contract: Address::repeat_byte(0x77),
			..chain.domain()
		}
		.execute(3, sync),
		chain.domain().execute(2, sync),
		chain.domain().execute(3, scenario.sync_hash(1)),
	];
	for digest in elsewhere {
		let error = revert_of(execute(chain.sign(digest, &[0, 1]))).await;
		assert!(matches!(error, E::SignerNotOracle(_)), "{error:?}");
	}
	// Malformed signatures.
	let mut signatures = chain.sign(digest, &[0, 1]);
	signatures[1] = Bytes::from(vec![0u8; 65]);
	assert_eq!(
		revert_of(execute(signatures)).await,
		E::InvalidSignature(ConcordRollup::InvalidSignature {
			index: U256::from(1)
		})
	);
	let mut signatures = chain.sign(digest, &[0, 1]);
	signatures[0] = Bytes::from(signatures[0][..64].to_vec());
	assert_eq!(
		revert_of(execute(signatures)).await,
		E::InvalidSignature(ConcordRollup::InvalidSignature { index: U256::ZERO })
	);

	// All three members sign: more than the threshold is fine.
	send(execute(chain.sign(digest, &[2, 0, 1]))).await;
	assert_eq!(rollup.totalExecuted().call().await.unwrap(), 3);
	// Replaying the same call finds batch 1 executed.
	assert_eq!(
		revert_of(execute(chain.sign(digest, &[0, 1]))).await,
		E::UnexpectedBatchNumber(ConcordRollup::UnexpectedBatchNumber {
			expected: 4,
			given: 1
		})
	);
}

#[tokio::test(flavor = "current_thread")]
async fn execute_rejects_unproven_or_misdescribed_batches() {
	let scenario = scenario();
	let chain = proven_chain().await;
	let rollup = &chain.rollup;
	let signatures = chain.execute_signatures(1).await;
	assert_eq!(
		revert_of(rollup.executeBatches(vec![], signatures.clone())).await,
		E::NoBatches(ConcordRollup::NoBatches {})
	);
	assert_eq!(
		revert_of(rollup.executeBatches(
			vec![scenario.batches[1].execute_info()],
			chain.execute_signatures(2).await
		))
		.await,
		E::UnexpectedBatchNumber(ConcordRollup::UnexpectedBatchNumber {
			expected: 1,
			given: 2
		})
	);
	// Batch 4 is committed nowhere here, so not proven.
	let four = (0..4).map(|i| scenario.batches[i].execute_info()).collect();
	assert_eq!(
		revert_of(rollup.executeBatches(four, signatures.clone())).await,
		E::BatchNotProven(ConcordRollup::BatchNotProven { batchNumber: 4 })
	);
	// Gaps in the list.
	let gap = vec![
		scenario.batches[0].execute_info(),
		scenario.batches[2].execute_info(),
	];
	assert_eq!(
		revert_of(rollup.executeBatches(gap, chain.execute_signatures(3).await)).await,
		E::UnexpectedBatchNumber(ConcordRollup::UnexpectedBatchNumber {
			expected: 2,
			given: 3
		})
	);
	// Payouts other than the committed ones: altered, dropped or added.
	let signatures3 = chain.execute_signatures(3).await;
	let infos = |first: usize, payouts: Vec<Payout>| {
		let mut infos: Vec<_> = (first..3)
			.map(|i| scenario.batches[i].execute_info())
			.collect();
		infos.last_mut().unwrap().payouts = payouts;
		infos
	};
	let real = scenario.batches[2].payouts();
	let mut more = real.clone();
	more[0].amount += 1;
	let extra = Payout {
		to: bob().address(),
		token: ETH,
		amount: 1,
	};
	for payouts in [
		more,
		real[..1].to_vec(),
		[real.clone(), vec![extra]].concat(),
	] {
		assert_eq!(
			revert_of(rollup.executeBatches(infos(0, payouts), signatures3.clone())).await,
			E::PayoutsMismatch(ConcordRollup::PayoutsMismatch { batchNumber: 3 })
		);
	}
	// Executing batch 1 alone needs batch 1's signatures, then batches 2-3 execute.
	send(rollup.executeBatches(vec![scenario.batches[0].execute_info()], signatures)).await;
	assert_eq!(rollup.firstPriorityId().call().await.unwrap(), 2);
	assert_eq!(rollup.committedPriorityRequests().call().await.unwrap(), 2);
	send(rollup.executeBatches(infos(1, real), signatures3)).await;
	assert_eq!(rollup.firstPriorityId().call().await.unwrap(), 4);
}
