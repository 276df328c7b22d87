use crate::common::*;
use alloy::primitives::{Address, B256, U256};
use concord_contracts::{
	digest::{action, payouts_hash, request_hash, COMMIT},
	ConcordRollup::PriorityRequestInfo,
	Payout,
};
use concord_primitives::ops::{ChainId, ChangePubKey};

/// The Rust twins of the contract's digests and hashes compute what the contract computes.
#[tokio::test(flavor = "current_thread")]
async fn rust_digests_match_the_contract() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	let domain = chain.domain();
	let sync = B256::repeat_byte(0x5a);
	assert_eq!(
		rollup.executeDigest(7, sync).call().await.unwrap(),
		domain.execute(7, sync)
	);
	let pubdata_hash = B256::repeat_byte(0xc3);
	assert_eq!(
		rollup.commitDigest(7, pubdata_hash).call().await.unwrap(),
		domain.commit(7, pubdata_hash)
	);
	assert_eq!(rollup.COMMIT_ACTION().call().await.unwrap(), action(COMMIT));
	for ids in [vec![], vec![1u8], vec![0, 255, 2, 7]] {
		assert_eq!(
			rollup
				.updateChainsDigest(6, ids.clone())
				.call()
				.await
				.unwrap(),
			domain.update_chains(6, &ids)
		);
	}
	assert_eq!(
		rollup
			.withdrawFeesDigest(8, Address::repeat_byte(6), U256::MAX - U256::from(1))
			.call()
			.await
			.unwrap(),
		domain.withdraw_fees(8, Address::repeat_byte(6), U256::MAX - U256::from(1))
	);
	let members = vec![Address::repeat_byte(1), Address::repeat_byte(2)];
	assert_eq!(
		rollup
			.updateOraclesDigest(3, members.clone(), U256::from(2))
			.call()
			.await
			.unwrap(),
		domain.update_oracles(3, &members, 2)
	);
	assert_eq!(
		rollup.revertDigest(4, 9).call().await.unwrap(),
		domain.revert(4, 9)
	);
	assert_eq!(
		rollup.retireDigest(6, u64::MAX).call().await.unwrap(),
		domain.retire(6, u64::MAX)
	);
	assert_eq!(
		rollup
			.registerTokenDigest(5, 17, Address::repeat_byte(3))
			.call()
			.await
			.unwrap(),
		domain.register_token(5, 17, Address::repeat_byte(3))
	);
	// The digests separate actions, chains and contracts.
	let other_chain = concord_contracts::digest::Domain {
		evm_chain_id: EVM_CHAIN_ID + 1,
		..domain
	};
	let other_contract = concord_contracts::digest::Domain {
		contract: Address::repeat_byte(9),
		..domain
	};
	assert_ne!(domain.execute(7, sync), other_chain.execute(7, sync));
	assert_ne!(domain.execute(7, sync), other_contract.execute(7, sync));
	assert_ne!(domain.execute(7, sync), domain.commit(7, sync));
	assert_ne!(domain.commit(7, sync), other_chain.commit(7, sync));
	assert_ne!(
		domain.revert(7, 7),
		domain.register_token(7, 7, Address::ZERO)
	);

	let request = PriorityRequestInfo {
		opType: 6,
		accountId: 0x00ab_cdef,
		l1Address: Address::repeat_byte(0xa1),
		token: 0x0102,
		amount: u128::MAX - 5,
	};
	assert_eq!(
		rollup
			.requestHash(request.clone(), u64::MAX - 1)
			.call()
			.await
			.unwrap(),
		request_hash(&request, u64::MAX - 1)
	);
	let payouts = [
		Payout {
			to: Address::repeat_byte(4),
			token: 1,
			amount: 99,
		},
		Payout {
			to: Address::repeat_byte(5),
			token: 255,
			amount: u128::MAX,
		},
	];
	let mut chained = B256::ZERO;
	for payout in &payouts {
		chained = rollup
			.chainPayout(chained, payout.clone())
			.call()
			.await
			.unwrap();
	}
	assert_eq!(chained, payouts_hash(&payouts));
}

/// The contract rebuilds ChangePubKey's Ethereum message exactly as the primitives write it.
#[tokio::test(flavor = "current_thread")]
async fn change_pubkey_message_matches_the_primitives() {
	let chain = Chain::start().await;
	let mut key = [0u8; 32];
	for (i, byte) in key.iter_mut().enumerate() {
		*byte = (i as u8).wrapping_mul(37) ^ 0x5c;
	}
	for (new_pubkey, nonce, account) in [
		(key, 7u32, 0x2au32),
		([0; 32], 0, 0),
		([0xff; 32], u32::MAX, 0x00ff_ffff),
		([0x9a; 32], 0x1234_abcd, 0x0f0f_0f0f),
	] {
		let op = ChangePubKey {
			chain_id: ChainId(1),
			account,
			new_pubkey,
			fee_token: 0,
			fee: 0,
			nonce,
		};
		let onchain = chain
			.rollup
			.changePubKeyMessageHash(B256::from(new_pubkey), nonce, account)
			.call()
			.await
			.unwrap();
		assert_eq!(onchain.0, op.eth_message_hash(NETWORK), "{op:?}");
	}
}
