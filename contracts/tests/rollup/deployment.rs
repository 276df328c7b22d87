use crate::common::*;
use alloy::primitives::{Address, B256, U256};
use concord_contracts::ConcordRollup::{self, ConcordRollupErrors as E, Config};

/// The deployment parameters are readable back.
#[tokio::test(flavor = "current_thread")]
async fn deployment_sets_the_parameters() {
	let chain = Chain::start().await;
	let rollup = &chain.rollup;
	assert_eq!(rollup.verifier().call().await.unwrap(), chain.verifier);
	assert_eq!(rollup.chainId().call().await.unwrap(), CHAIN.0);
	assert_eq!(rollup.priorityExpiry().call().await.unwrap(), EXPIRY);
	assert_eq!(rollup.requestFee().call().await.unwrap(), U256::ZERO);
	assert_eq!(rollup.MAX_OPEN_REQUESTS().call().await.unwrap(), 1024);
	assert_eq!(
		rollup.chains().call().await.unwrap(),
		[CHAIN.0, OTHER_CHAIN.0]
	);
	assert!(rollup.isChain(OTHER_CHAIN.0).call().await.unwrap());
	assert!(!rollup.isChain(UNKNOWN_CHAIN.0).call().await.unwrap());
	assert_eq!(
		rollup.pubdataLength().call().await.unwrap(),
		U256::from(concord_primitives::ops::batch_pubdata_len(SLOTS))
	);
	let members: Vec<Address> = oracles().iter().map(|m| m.address()).collect();
	assert_eq!(rollup.oracles().call().await.unwrap(), members);
	assert_eq!(
		rollup.threshold().call().await.unwrap(),
		U256::from(THRESHOLD)
	);
	assert_eq!(
		rollup.lastExecutedRoot().call().await.unwrap(),
		genesis_root()
	);
	for (id, token) in [
		(ETH, Address::ZERO),
		(TOKEN, *chain.token.address()),
		(NO_BOOL, *chain.no_bool.address()),
	] {
		assert_eq!(rollup.tokenAddressOf(id).call().await.unwrap(), token);
		assert_eq!(rollup.tokenIdOf(token).call().await.unwrap(), id);
	}
	assert_eq!(
		revert_of(rollup.tokenAddressOf(3)).await,
		E::UnknownTokenId(ConcordRollup::UnknownTokenId { tokenId: 3 })
	);
	assert_eq!(
		revert_of(rollup.tokenIdOf(Address::repeat_byte(5))).await,
		E::UnknownToken(ConcordRollup::UnknownToken {
			token: Address::repeat_byte(5)
		})
	);
	for counter in [
		rollup.totalCommitted().call().await.unwrap(),
		rollup.totalProven().call().await.unwrap(),
		rollup.totalExecuted().call().await.unwrap(),
		rollup.totalPriorityRequests().call().await.unwrap(),
		rollup.headSince().call().await.unwrap(),
		rollup.governanceNonce().call().await.unwrap(),
	] {
		assert_eq!(counter, 0);
	}
	assert!(!rollup.exodusMode().call().await.unwrap());
	assert_eq!(rollup.collectedFees().call().await.unwrap(), U256::ZERO);
}

/// Every bad deployment parameter is refused with its error.
#[tokio::test(flavor = "current_thread")]
async fn bad_deployments_are_rejected() {
	let chain = Chain::start().await;
	let good = config(
		chain.verifier,
		chain.exit_verifier,
		*chain.token.address(),
		*chain.no_bool.address(),
	);
	let field_modulus = B256::from(alloy::primitives::uint!(
		0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001_U256
	));
	let a = Address::repeat_byte(0xa);
	let cases: Vec<(Config, E)> = vec![
		(
			Config {
				verifier: a,
				..good.clone()
			},
			E::VerifierNotContract(ConcordRollup::VerifierNotContract { verifier: a }),
		),
		(
			Config {
				exitVerifier: a,
				..good.clone()
			},
			E::VerifierNotContract(ConcordRollup::VerifierNotContract { verifier: a }),
		),
		(
			Config {
				chainIds: vec![CHAIN.0, 16],
				..good.clone()
			},
			E::ChainIdOutOfRange(ConcordRollup::ChainIdOutOfRange { chain: 16 }),
		),
		(
			Config {
				slotsPerBatch: 0,
				..good.clone()
			},
			E::BadSlotCount(ConcordRollup::BadSlotCount {}),
		),
		(
			Config {
				priorityExpiry: 0,
				..good.clone()
			},
			E::ZeroPriorityExpiry(ConcordRollup::ZeroPriorityExpiry {}),
		),
		(
			Config {
				genesisRoot: field_modulus,
				..good.clone()
			},
			E::RootNotInField(ConcordRollup::RootNotInField {
				root: field_modulus,
			}),
		),
		(
			Config {
				tokenAddresses: vec![Address::ZERO],
				..good.clone()
			},
			E::TokenListMismatch(ConcordRollup::TokenListMismatch {
				ids: U256::from(3),
				addresses: U256::from(1),
			}),
		),
		(
			Config {
				oracles: vec![],
				..good.clone()
			},
			E::BadOracleCount(ConcordRollup::BadOracleCount { count: U256::ZERO }),
		),
		(
			Config {
				threshold: U256::from(1),
				..good.clone()
			},
			E::BadThreshold(ConcordRollup::BadThreshold {
				threshold: U256::from(1),
				oracles: U256::from(3),
			}),
		),
		(
			Config {
				oracles: vec![a, Address::ZERO, a],
				..good.clone()
			},
			E::ZeroAddress(ConcordRollup::ZeroAddress {}),
		),
		(
			Config {
				oracles: vec![a, Address::repeat_byte(0xb), a],
				..good.clone()
			},
			E::DuplicateOracle(ConcordRollup::DuplicateOracle { oracle: a }),
		),
		(
			Config {
				chainIds: vec![],
				..good.clone()
			},
			E::OwnChainNotListed(ConcordRollup::OwnChainNotListed { chainId: CHAIN.0 }),
		),
		(
			Config {
				chainIds: vec![OTHER_CHAIN.0],
				..good.clone()
			},
			E::OwnChainNotListed(ConcordRollup::OwnChainNotListed { chainId: CHAIN.0 }),
		),
		(
			Config {
				chainIds: vec![OTHER_CHAIN.0, CHAIN.0, OTHER_CHAIN.0],
				..good.clone()
			},
			E::DuplicateChain(ConcordRollup::DuplicateChain {
				chain: OTHER_CHAIN.0,
			}),
		),
		(
			Config {
				tokenIds: vec![ETH, 256, NO_BOOL],
				..good.clone()
			},
			E::TokenIdOutOfRange(ConcordRollup::TokenIdOutOfRange { tokenId: 256 }),
		),
		(
			Config {
				tokenIds: vec![ETH, TOKEN, TOKEN],
				..good.clone()
			},
			E::TokenIdTaken(ConcordRollup::TokenIdTaken { tokenId: TOKEN }),
		),
		(
			Config {
				tokenAddresses: vec![a, a, Address::ZERO],
				..good.clone()
			},
			E::TokenAddressTaken(ConcordRollup::TokenAddressTaken { token: a }),
		),
	];
	for (config, expected) in cases {
		let deploy = ConcordRollup::deploy_builder(chain.provider.clone(), config);
		assert_eq!(revert_of(deploy).await, expected);
	}
}

/// Without the native coin registered, ETH deposits are refused.
#[tokio::test(flavor = "current_thread")]
async fn eth_deposits_need_the_native_coin_registered() {
	let chain = Chain::start().await;
	let config = Config {
		tokenIds: vec![TOKEN],
		tokenAddresses: vec![*chain.token.address()],
		..config(
			chain.verifier,
			chain.exit_verifier,
			Address::ZERO,
			Address::ZERO,
		)
	};
	let rollup = ConcordRollup::deploy(chain.provider.clone(), config)
		.await
		.unwrap();
	let alice = alice().address();
	assert_eq!(
		revert_of(rollup.depositETH(alice).value(U256::from(1)).from(alice)).await,
		E::UnknownToken(ConcordRollup::UnknownToken {
			token: Address::ZERO
		})
	);
}
