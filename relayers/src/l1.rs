//! One L1 as the relayer sees it: the rollup contract over HTTP JSON-RPC (alloy), read at a
//! chosen block, and transactions sent from the member's Ethereum key with alloy's nonce and
//! gas fillers; a revert is decoded into the contract's named error.

use crate::config::{parse_address, ChainConfig};
use alloy::{
	network::EthereumWallet,
	primitives::{Address, Bytes, B256, U256},
	providers::{DynProvider, Provider, ProviderBuilder},
	rpc::{client::RpcClient, types::Filter},
	signers::local::PrivateKeySigner,
	sol_types::SolEvent,
	transports::http::{reqwest, Http},
};
use concord_contracts::bindings::ConcordRollup::{
	self, ConcordRollupErrors, ConcordRollupInstance, DepositRequested, FullExitRequested,
};
use concord_primitives::ops::{ChainId, Deposit, FullExit, Op};
use std::time::Duration;

/// Why an L1 request failed.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
	#[error("chain {chain}: RPC {what}: {error}")]
	Rpc {
		chain: u8,
		what: &'static str,
		error: String,
	},
	#[error("chain {chain}: {what} reverted: {reason}")]
	Reverted {
		chain: u8,
		what: &'static str,
		reason: String,
	},
	#[error("chain {chain}: {what} was not mined within {timeout:?}")]
	NotMined {
		chain: u8,
		what: &'static str,
		timeout: Duration,
	},
	#[error("chain {chain}: the RPC at {url} reports EVM chain id {reported}, the config says {configured}")]
	WrongChainId {
		chain: u8,
		url: String,
		reported: u64,
		configured: u64,
	},
	#[error("chain {chain}: the contract at {contract} has Concord chain id {reported}")]
	WrongContract {
		chain: u8,
		contract: Address,
		reported: u8,
	},
	#[error("chain {chain}: priority request {priority_id} has no event up to block {block}")]
	MissingRequest {
		chain: u8,
		priority_id: u64,
		block: u64,
	},
}

/// An Ethereum signer from a 32-byte hex secret key.
pub fn signer_from_hex(key: &str) -> Result<PrivateKeySigner, String> {
	key.parse::<PrivateKeySigner>()
		.map_err(|error| format!("not a 32-byte hex secret key ({error})"))
}

/// What the contract stores of a batch, as the watcher and auditor read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredBatch {
	pub pubdata_hash: [u8; 32],
	pub new_root: [u8; 32],
	pub sync_hash: [u8; 32],
}

/// The contract's batch counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
	pub committed: u64,
	pub proven: u64,
	pub executed: u64,
}

const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection to one L1's rollup contract.
pub struct L1 {
	pub config: ChainConfig,
	pub chain: ChainId,
	pub contract: Address,
	provider: DynProvider,
	rollup: ConcordRollupInstance<DynProvider>,
}

impl L1 {
	/// Connects (lazily: HTTP) with `signer` sending the transactions.
	pub fn new(config: &ChainConfig, signer: Option<PrivateKeySigner>) -> L1 {
		let http = reqwest::Client::builder()
			.timeout(REQUEST_TIMEOUT)
			.build()
			.expect("a client without TLS or proxies builds");
		let url = config.rpc.parse().expect("validated in the config");
		let client = RpcClient::new(Http::with_client(http, url), false)
			.with_poll_interval(Duration::from_millis(250));
		// The nonce is asked of the node for every transaction (pending count) rather than
		// cached: after a reverted, dropped or lost transaction (an L1 node restarted from an
		// older state) a cached nonce would run ahead of the chain and every later
		// transaction would wait forever.
		let builder = ProviderBuilder::new()
			.disable_recommended_fillers()
			.with_gas_estimation()
			.with_simple_nonce_management()
			.fetch_chain_id();
		let provider = match signer {
			Some(signer) => builder
				.wallet(EthereumWallet::new(signer))
				.connect_client(client)
				.erased(),
			None => builder.connect_client(client).erased(),
		};
		let contract =
			Address::from(parse_address(&config.contract).expect("validated in the config"));
		L1 {
			config: config.clone(),
			chain: config.chain_id(),
			contract,
			rollup: ConcordRollup::new(contract, provider.clone()),
			provider,
		}
	}

	fn rpc_error(&self, what: &'static str) -> impl Fn(alloy::contract::Error) -> L1Error + '_ {
		move |error| L1Error::Rpc {
			chain: self.chain.0,
			what,
			error: error.to_string(),
		}
	}

	/// Checks that the endpoint is the configured chain and the contract its Concord chain.
	pub async fn check(&self) -> Result<(), L1Error> {
		let reported = self
			.provider
			.get_chain_id()
			.await
			.map_err(|error| L1Error::Rpc {
				chain: self.chain.0,
				what: "eth_chainId",
				error: error.to_string(),
			})?;
		if reported != self.config.evm_chain_id {
			return Err(L1Error::WrongChainId {
				chain: self.chain.0,
				url: self.config.rpc.clone(),
				reported,
				configured: self.config.evm_chain_id,
			});
		}
		let id = self
			.rollup
			.chainId()
			.call()
			.await
			.map_err(self.rpc_error("chainId()"))?;
		if id != self.chain.0 {
			return Err(L1Error::WrongContract {
				chain: self.chain.0,
				contract: self.contract,
				reported: id,
			});
		}
		Ok(())
	}

	/// The latest block number.
	pub async fn head(&self) -> Result<u64, L1Error> {
		self.provider
			.get_block_number()
			.await
			.map_err(|error| L1Error::Rpc {
				chain: self.chain.0,
				what: "eth_blockNumber",
				error: error.to_string(),
			})
	}

	/// The block the watcher reads at: `confirmations` below the head (`None` while the chain
	/// is shorter than that).
	pub async fn safe_block(&self) -> Result<Option<u64>, L1Error> {
		Ok(self.head().await?.checked_sub(self.config.confirmations))
	}

	/// The batch counters at `block` (`None`: latest).
	pub async fn totals(&self, block: Option<u64>) -> Result<Totals, L1Error> {
		let at = block.map(Into::into).unwrap_or_default();
		Ok(Totals {
			committed: self
				.rollup
				.totalCommitted()
				.block(at)
				.call()
				.await
				.map_err(self.rpc_error("totalCommitted()"))?,
			proven: self
				.rollup
				.totalProven()
				.block(at)
				.call()
				.await
				.map_err(self.rpc_error("totalProven()"))?,
			executed: self
				.rollup
				.totalExecuted()
				.block(at)
				.call()
				.await
				.map_err(self.rpc_error("totalExecuted()"))?,
		})
	}

	/// How many priority requests were ever queued, at `block`.
	pub async fn total_priority_requests(&self, block: u64) -> Result<u64, L1Error> {
		self.rollup
			.totalPriorityRequests()
			.block(block.into())
			.call()
			.await
			.map_err(self.rpc_error("totalPriorityRequests()"))
	}

	/// The signatures `executeBatches` needs.
	pub async fn threshold(&self) -> Result<usize, L1Error> {
		let threshold = self
			.rollup
			.threshold()
			.call()
			.await
			.map_err(self.rpc_error("threshold()"))?;
		Ok(threshold.saturating_to())
	}

	/// The contract's oracle set: the only signers `executeBatches` accepts.
	pub async fn oracles(&self) -> Result<Vec<[u8; 20]>, L1Error> {
		let oracles = self
			.rollup
			.oracles()
			.call()
			.await
			.map_err(self.rpc_error("oracles()"))?;
		Ok(oracles.into_iter().map(|address| address.0 .0).collect())
	}

	/// What the contract stores of `batch`, at `block` (`None`: latest).
	pub async fn stored_batch(
		&self,
		batch: u64,
		block: Option<u64>,
	) -> Result<StoredBatch, L1Error> {
		let at = block.map(Into::into).unwrap_or_default();
		let stored = self
			.rollup
			.storedBatch(batch)
			.block(at)
			.call()
			.await
			.map_err(self.rpc_error("storedBatch()"))?;
		Ok(StoredBatch {
			pubdata_hash: stored.pubdataHash.0,
			new_root: stored.newRoot.0,
			sync_hash: stored.syncHash.0,
		})
	}

	/// Priority request `priority_id` as an op, from its event up to block `until`.
	pub async fn priority_op(&self, priority_id: u64, until: u64) -> Result<Op, L1Error> {
		let filter = Filter::new()
			.address(self.contract)
			.from_block(self.config.deployed_at)
			.to_block(until)
			.event_signature(vec![
				DepositRequested::SIGNATURE_HASH,
				FullExitRequested::SIGNATURE_HASH,
			])
			.topic1(B256::from(U256::from(priority_id)));
		let logs = self
			.provider
			.get_logs(&filter)
			.await
			.map_err(|error| L1Error::Rpc {
				chain: self.chain.0,
				what: "eth_getLogs",
				error: error.to_string(),
			})?;
		let missing = L1Error::MissingRequest {
			chain: self.chain.0,
			priority_id,
			block: until,
		};
		self.request_of_log(&logs.into_iter().next().ok_or(missing)?)
	}

	/// The priority request a `DepositRequested` or `FullExitRequested` log of the contract
	/// tells, as an op.
	pub fn request_of_log(&self, log: &alloy::rpc::types::Log) -> Result<Op, L1Error> {
		if let Ok(deposit) = log.log_decode::<DepositRequested>() {
			let event = deposit.inner.data;
			return Ok(Op::Deposit(Deposit {
				chain_id: self.chain,
				priority_id: event.priorityId,
				to_address: event.to.0 .0,
				token: event.token,
				amount: event.amount,
			}));
		}
		let exit = log
			.log_decode::<FullExitRequested>()
			.map_err(|error| L1Error::Rpc {
				chain: self.chain.0,
				what: "decoding a priority request",
				error: error.to_string(),
			})?;
		let event = exit.inner.data;
		Ok(Op::FullExit(FullExit {
			chain_id: self.chain,
			priority_id: event.priorityId,
			account: event.accountId,
			owner: event.owner.0 .0,
			token: event.token,
		}))
	}

	pub fn rollup(&self) -> &ConcordRollupInstance<DynProvider> {
		&self.rollup
	}

	/// Sends `call`, waits for its receipt and reports a revert (at gas estimation or mined)
	/// with the contract's error.
	pub async fn send<C: alloy::sol_types::SolCall>(
		&self,
		what: &'static str,
		call: alloy::contract::SolCallBuilder<&DynProvider, C>,
	) -> Result<B256, L1Error> {
		let pending = call
			.send()
			.await
			.map_err(|error| self.classify(what, error))?;
		let hash = *pending.tx_hash();
		let receipt = pending
			.with_timeout(Some(RECEIPT_TIMEOUT))
			.get_receipt()
			.await
			.map_err(|_| L1Error::NotMined {
				chain: self.chain.0,
				what,
				timeout: RECEIPT_TIMEOUT,
			})?;
		if !receipt.status() {
			return Err(L1Error::Reverted {
				chain: self.chain.0,
				what,
				reason: format!("transaction {hash} reverted when mined"),
			});
		}
		Ok(hash)
	}

	/// A revert named by the contract's error when the node returned its data.
	fn classify(&self, what: &'static str, error: alloy::contract::Error) -> L1Error {
		if let Some(decoded) = error.as_decoded_interface_error::<ConcordRollupErrors>() {
			return L1Error::Reverted {
				chain: self.chain.0,
				what,
				reason: format!("{decoded:?}"),
			};
		}
		if let Some(data) = error.as_revert_data() {
			return L1Error::Reverted {
				chain: self.chain.0,
				what,
				reason: format!("revert data {}", Bytes::from(data)),
			};
		}
		L1Error::Rpc {
			chain: self.chain.0,
			what,
			error: error.to_string(),
		}
	}

	/// The provider, for calls this module does not wrap.
	pub fn provider(&self) -> &DynProvider {
		&self.provider
	}
}
