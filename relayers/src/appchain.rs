//! The relayer's view of the appchain over the node's WebSocket RPC: finalized blocks, typed
//! storage reads (keys computed with the runtime's own storage types, so they cannot drift),
//! block bodies decoded with the runtime's extrinsic type, and extrinsics signed by the
//! member's appchain account.

use codec::{Decode, Encode};
use concord_primitives::{
	account::TokenId,
	ops::{ChainId, NetworkId},
};
use concord_runtime::{
	AccountId, BlockNumber, Header, Nonce, Runtime, RuntimeCall, SignedPayload, UncheckedExtrinsic,
};
use jsonrpsee::{
	core::{client::ClientT, params::ArrayParams},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use pallet_concord_batches::{BatchHeader, ChainProgress};
use pallet_concord_ledger::ChainInfo;
use pallet_concord_oracle::Subject;
use pallet_concord_proofs::ProvenBatch;
use serde::de::DeserializeOwned;
use sp_core::{sr25519, Bytes, Pair, H256};
use sp_runtime::{
	traits::{BlakeTwo256, Hash, IdentifyAccount},
	MultiAddress, MultiSignature, MultiSigner,
};
use std::{sync::Arc, time::Duration};
use tokio::sync::Mutex;

/// Why an appchain request failed.
#[derive(Debug, thiserror::Error)]
pub enum AppchainError {
	#[error("cannot connect to the appchain at {url}: {error}")]
	Connect { url: String, error: String },
	#[error("appchain RPC {method}: {error}")]
	Rpc { method: &'static str, error: String },
	#[error("cannot decode {what} from the appchain: {error}")]
	Decode { what: &'static str, error: String },
	#[error("the appchain has no block {0}")]
	MissingBlock(String),
	#[error("batch {batch}: the appchain has no {what} (at the block read)")]
	MissingRecord { what: &'static str, batch: u64 },
	#[error("this relayer has no appchain key (keys.appchain)")]
	NoSigner,
	#[error("chain {0} is not registered on the appchain")]
	UnknownChain(u8),
}

/// A finalized appchain block: the relayer reads everything at one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finalized {
	pub hash: H256,
	pub number: BlockNumber,
}

/// The sr25519 pair of a secret URI (`//Alice`, a mnemonic, `0x` seed…).
pub fn signer_from_uri(uri: &str) -> Result<sr25519::Pair, String> {
	sr25519::Pair::from_string(uri, None).map_err(|error| format!("not a secret URI ({error:?})"))
}

/// An appchain RPC connection (re-established when the node goes away) with the member's
/// signing key.
pub struct Appchain {
	url: String,
	client: Mutex<Option<Arc<WsClient>>>,
	signer: Option<sr25519::Pair>,
	/// Extrinsics are signed and sent one at a time so that nonces follow each other.
	submit_lock: Mutex<()>,
	/// The genesis hash, which every signed extrinsic commits to (read once at connect).
	genesis: H256,
	/// The network id, set at genesis (read once at connect).
	network: NetworkId,
}

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl Appchain {
	/// Connects to `url`; `signer` signs this relayer's extrinsics.
	pub async fn connect(
		url: &str,
		signer: Option<sr25519::Pair>,
	) -> Result<Appchain, AppchainError> {
		let mut appchain = Appchain {
			url: url.to_owned(),
			client: Mutex::new(None),
			signer,
			submit_lock: Mutex::new(()),
			genesis: H256::zero(),
			network: 0,
		};
		appchain.genesis = appchain.block_hash(0).await?;
		// Read at the best block, not at genesis, whose state a pruning node no longer has: the
		// value never changes after genesis.
		let key = pallet_concord_ledger::Network::<Runtime>::hashed_key().to_vec();
		let best = appchain.best().await?;
		appchain.network = appchain
			.storage("Ledger.Network", key, best)
			.await?
			.unwrap_or_default();
		Ok(appchain)
	}

	/// The member's appchain account, if the relayer has a key.
	pub fn account(&self) -> Option<AccountId> {
		self.signer
			.as_ref()
			.map(|pair| MultiSigner::from(pair.public()).into_account())
	}

	async fn client(&self) -> Result<Arc<WsClient>, AppchainError> {
		let mut slot = self.client.lock().await;
		if let Some(client) = slot.as_ref() {
			if client.is_connected() {
				return Ok(client.clone());
			}
			tracing::warn!(url = %self.url, "appchain connection lost; reconnecting");
		}
		let client = WsClientBuilder::default()
			.request_timeout(REQUEST_TIMEOUT)
			.build(&self.url)
			.await
			.map_err(|error| AppchainError::Connect {
				url: self.url.clone(),
				error: error.to_string(),
			})?;
		let client = Arc::new(client);
		*slot = Some(client.clone());
		Ok(client)
	}

	/// A JSON-RPC request to the node (e.g. a `concord_*` method).
	pub async fn request<T: DeserializeOwned>(
		&self,
		method: &'static str,
		params: ArrayParams,
	) -> Result<T, AppchainError> {
		self.client()
			.await?
			.request(method, params)
			.await
			.map_err(|error| AppchainError::Rpc {
				method,
				error: error.to_string(),
			})
	}

	/// The last finalized block.
	pub async fn finalized(&self) -> Result<Finalized, AppchainError> {
		let hash: H256 = self
			.request("chain_getFinalizedHead", rpc_params![])
			.await?;
		let header: Option<Header> = self.request("chain_getHeader", rpc_params![hash]).await?;
		let header = header.ok_or_else(|| AppchainError::MissingBlock(format!("{hash:?}")))?;
		Ok(Finalized {
			hash,
			number: header.number,
		})
	}

	/// The hash of the best block.
	pub async fn best(&self) -> Result<H256, AppchainError> {
		self.request("chain_getBlockHash", rpc_params![]).await
	}

	/// The hash of block `number` of the best chain.
	pub async fn block_hash(&self, number: BlockNumber) -> Result<H256, AppchainError> {
		let hash: Option<H256> = self
			.request("chain_getBlockHash", rpc_params![number])
			.await?;
		hash.ok_or_else(|| AppchainError::MissingBlock(number.to_string()))
	}

	/// The extrinsics of block `hash`, decoded.
	pub async fn extrinsics(&self, hash: H256) -> Result<Vec<UncheckedExtrinsic>, AppchainError> {
		let block: Option<serde_json::Value> =
			self.request("chain_getBlock", rpc_params![hash]).await?;
		let block = block.ok_or_else(|| AppchainError::MissingBlock(format!("{hash:?}")))?;
		let encoded: Vec<Bytes> = serde_json::from_value(block["block"]["extrinsics"].clone())
			.map_err(|error| AppchainError::Decode {
				what: "a block's extrinsics",
				error: error.to_string(),
			})?;
		encoded
			.iter()
			.map(|bytes| {
				UncheckedExtrinsic::decode(&mut &bytes[..]).map_err(|error| AppchainError::Decode {
					what: "an extrinsic",
					error: error.to_string(),
				})
			})
			.collect()
	}

	/// The calls of the extrinsics of blocks `from..=to` (of the best chain).
	pub async fn calls_in_blocks(
		&self,
		from: BlockNumber,
		to: BlockNumber,
	) -> Result<Vec<RuntimeCall>, AppchainError> {
		let mut calls = Vec::new();
		for number in from..=to {
			let hash = self.block_hash(number).await?;
			calls.extend(
				self.extrinsics(hash)
					.await?
					.into_iter()
					.map(|xt| xt.function),
			);
		}
		Ok(calls)
	}

	/// The raw value at storage `key` in block `at`.
	async fn raw_storage(&self, key: Vec<u8>, at: H256) -> Result<Option<Vec<u8>>, AppchainError> {
		let value: Option<Bytes> = self
			.request("state_getStorage", rpc_params![Bytes(key), at])
			.await?;
		Ok(value.map(|bytes| bytes.0))
	}

	/// The decoded value at storage `key` in block `at`.
	pub async fn storage<T: Decode>(
		&self,
		what: &'static str,
		key: Vec<u8>,
		at: H256,
	) -> Result<Option<T>, AppchainError> {
		match self.raw_storage(key, at).await? {
			None => Ok(None),
			Some(bytes) => {
				T::decode(&mut &bytes[..])
					.map(Some)
					.map_err(|error| AppchainError::Decode {
						what,
						error: error.to_string(),
					})
			}
		}
	}

	/// Every storage key under `prefix` in block `at`.
	async fn keys(&self, prefix: &[u8], at: H256) -> Result<Vec<Vec<u8>>, AppchainError> {
		const PAGE: u32 = 512;
		let mut keys: Vec<Vec<u8>> = Vec::new();
		loop {
			let start = keys.last().cloned().map(Bytes);
			let page: Vec<Bytes> = self
				.request(
					"state_getKeysPaged",
					rpc_params![Bytes(prefix.to_vec()), PAGE, start, at],
				)
				.await?;
			let full = page.len() as u32 == PAGE;
			keys.extend(page.into_iter().map(|key| key.0));
			if !full {
				return Ok(keys);
			}
		}
	}

	// ---------------------------------------------------------------- typed reads

	/// This network's id (`Ledger::Network`, set at genesis and never changed): L2
	/// signatures, ChangePubKey authorisations and batch commitments include it.
	pub fn network(&self) -> NetworkId {
		self.network
	}

	pub async fn last_sealed(&self, at: H256) -> Result<u64, AppchainError> {
		let key = pallet_concord_batches::LastSealed::<Runtime>::hashed_key().to_vec();
		Ok(self
			.storage("Batches.LastSealed", key, at)
			.await?
			.unwrap_or(0))
	}

	/// Whether a batch is open: ops applied that no sealed batch holds yet.
	pub async fn has_open_batch(&self, at: H256) -> Result<bool, AppchainError> {
		let key = pallet_concord_batches::Open::<Runtime>::hashed_key().to_vec();
		Ok(self.raw_storage(key, at).await?.is_some())
	}

	/// The registration of `chain`.
	pub async fn chain_info(&self, chain: ChainId, at: H256) -> Result<ChainInfo, AppchainError> {
		let key = pallet_concord_ledger::Chains::<Runtime>::hashed_key_for(chain);
		self.storage("Ledger.Chains", key, at)
			.await?
			.ok_or(AppchainError::UnknownChain(chain.0))
	}

	/// The pubdata hash of sealed batch `batch`.
	pub async fn sealed_pubdata_hash(
		&self,
		batch: u64,
		at: H256,
	) -> Result<[u8; 32], AppchainError> {
		Ok(self
			.batch_header(batch, at)
			.await?
			.ok_or(AppchainError::MissingRecord {
				what: "header",
				batch,
			})?
			.pubdata_hash)
	}

	pub async fn batch_header(
		&self,
		batch: u64,
		at: H256,
	) -> Result<Option<BatchHeader<BlockNumber>>, AppchainError> {
		let key = pallet_concord_batches::Headers::<Runtime>::hashed_key_for(batch);
		self.storage("Batches.Headers", key, at).await
	}

	pub async fn pubdata(&self, batch: u64, at: H256) -> Result<Option<Vec<u8>>, AppchainError> {
		let key = pallet_concord_batches::Pubdata::<Runtime>::hashed_key_for(batch);
		self.storage("Batches.Pubdata", key, at).await
	}

	/// The pubdata of a batch known to be sealed.
	pub async fn sealed_pubdata(&self, batch: u64, at: H256) -> Result<Vec<u8>, AppchainError> {
		self.pubdata(batch, at)
			.await?
			.ok_or(AppchainError::MissingRecord {
				what: "pubdata",
				batch,
			})
	}

	pub async fn l1_progress(
		&self,
		chain: ChainId,
		at: H256,
	) -> Result<ChainProgress, AppchainError> {
		let key = pallet_concord_batches::L1Progress::<Runtime>::hashed_key_for(chain);
		Ok(self
			.storage("Batches.L1Progress", key, at)
			.await?
			.unwrap_or_default())
	}

	pub async fn last_proven(&self, at: H256) -> Result<u64, AppchainError> {
		let key = pallet_concord_proofs::LastProven::<Runtime>::hashed_key().to_vec();
		Ok(self
			.storage("Proofs.LastProven", key, at)
			.await?
			.unwrap_or(0))
	}

	pub async fn proven(
		&self,
		batch: u64,
		at: H256,
	) -> Result<Option<ProvenBatch<AccountId, BlockNumber>>, AppchainError> {
		let key = pallet_concord_proofs::Proven::<Runtime>::hashed_key_for(batch);
		self.storage("Proofs.Proven", key, at).await
	}

	/// The proven record of a batch known to be proven.
	pub async fn proven_record(
		&self,
		batch: u64,
		at: H256,
	) -> Result<ProvenBatch<AccountId, BlockNumber>, AppchainError> {
		self.proven(batch, at)
			.await?
			.ok_or(AppchainError::MissingRecord {
				what: "proven record",
				batch,
			})
	}

	/// The registered verifying key (arkworks uncompressed bytes).
	pub async fn verifying_key(&self, at: H256) -> Result<Option<Vec<u8>>, AppchainError> {
		let key = pallet_concord_proofs::Key::<Runtime>::hashed_key().to_vec();
		self.storage("Proofs.Key", key, at).await
	}

	pub async fn next_priority_id(&self, chain: ChainId, at: H256) -> Result<u64, AppchainError> {
		let key = pallet_concord_ledger::NextPriorityId::<Runtime>::hashed_key_for(chain);
		Ok(self
			.storage("Ledger.NextPriorityId", key, at)
			.await?
			.unwrap_or(0))
	}

	/// The owner's Ethereum signature of the ChangePubKey that set `account`'s key at `nonce`.
	pub async fn pubkey_authorization(
		&self,
		account: u32,
		nonce: u32,
		at: H256,
	) -> Result<Option<[u8; 65]>, AppchainError> {
		let key =
			pallet_concord_ledger::PubkeyAuthorizations::<Runtime>::hashed_key_for(account, nonce);
		self.storage("Ledger.PubkeyAuthorizations", key, at).await
	}

	/// The registered chains: those the system serves.
	pub async fn chains(&self, at: H256) -> Result<Vec<(ChainId, ChainInfo)>, AppchainError> {
		use frame_support::storage::StoragePrefixedMap;
		let prefix = pallet_concord_ledger::Chains::<Runtime>::final_prefix();
		self.chain_map("Ledger.Chains", &prefix, at).await
	}

	/// The contract of `chain`, registered or removed.
	pub async fn contract_of(&self, chain: ChainId, at: H256) -> Result<ChainInfo, AppchainError> {
		if let Ok(info) = self.chain_info(chain, at).await {
			return Ok(info);
		}
		let key = pallet_concord_ledger::RemovedChains::<Runtime>::hashed_key_for(chain);
		self.storage("Ledger.RemovedChains", key, at)
			.await?
			.ok_or(AppchainError::UnknownChain(chain.0))
	}

	/// The chains removed from the system.
	pub async fn removed_chains(
		&self,
		at: H256,
	) -> Result<Vec<(ChainId, ChainInfo)>, AppchainError> {
		use frame_support::storage::StoragePrefixedMap;
		let prefix = pallet_concord_ledger::RemovedChains::<Runtime>::final_prefix();
		self.chain_map("Ledger.RemovedChains", &prefix, at).await
	}

	/// The entries of a map from chain id to [`ChainInfo`] under `prefix`.
	async fn chain_map(
		&self,
		what: &'static str,
		prefix: &[u8],
		at: H256,
	) -> Result<Vec<(ChainId, ChainInfo)>, AppchainError> {
		let mut chains = Vec::new();
		for key in self.keys(prefix, at).await? {
			// Twox64Concat: 8 hash bytes, then the key itself.
			let chain = ChainId::decode(&mut &key[prefix.len() + 8..]).map_err(|error| {
				AppchainError::Decode {
					what: "a chain id key",
					error: error.to_string(),
				}
			})?;
			if let Some(info) = self.storage(what, key, at).await? {
				chains.push((chain, info));
			}
		}
		Ok(chains)
	}

	/// The L1 action governance proposed for `chain`'s contract at governance nonce `nonce`.
	pub async fn l1_action(
		&self,
		chain: ChainId,
		nonce: u64,
		at: H256,
	) -> Result<Option<pallet_concord_oracle::L1Action>, AppchainError> {
		let key = pallet_concord_oracle::L1Actions::<Runtime>::hashed_key_for(chain, nonce);
		self.storage("Oracle.L1Actions", key, at).await
	}

	/// Every current member's signature of the L1 action for `chain` at `nonce`.
	pub async fn l1_action_signatures(
		&self,
		chain: ChainId,
		nonce: u64,
		at: H256,
	) -> Result<Vec<(AccountId, [u8; 65])>, AppchainError> {
		let mut signatures = Vec::new();
		for member in self.members(at).await? {
			let key = pallet_concord_oracle::L1ActionSignatures::<Runtime>::hashed_key_for(
				(chain, nonce),
				&member.account,
			);
			if let Some(signature) = self
				.storage::<[u8; 65]>("Oracle.L1ActionSignatures", key, at)
				.await?
			{
				signatures.push((member.account, signature));
			}
		}
		Ok(signatures)
	}

	/// The registered (token, chain) pairs.
	pub async fn tokens(&self, at: H256) -> Result<Vec<(TokenId, ChainId)>, AppchainError> {
		use frame_support::storage::StoragePrefixedMap;
		let prefix = pallet_concord_ledger::Tokens::<Runtime>::final_prefix();
		self.keys(&prefix, at)
			.await?
			.iter()
			.map(|key| {
				// Twox64Concat twice: hash, token id (u16), hash, chain id (u8).
				let rest = &key[prefix.len()..];
				let token = TokenId::decode(&mut &rest[8..10]);
				let chain = ChainId::decode(&mut &rest[18..]);
				token
					.and_then(|token| Ok((token, chain?)))
					.map_err(|error| AppchainError::Decode {
						what: "a Ledger.Tokens key",
						error: error.to_string(),
					})
			})
			.collect()
	}

	pub async fn last_synced(&self, at: H256) -> Result<u64, AppchainError> {
		let key = pallet_concord_oracle::LastSynced::<Runtime>::hashed_key().to_vec();
		Ok(self
			.storage("Oracle.LastSynced", key, at)
			.await?
			.unwrap_or(0))
	}

	pub async fn members(
		&self,
		at: H256,
	) -> Result<Vec<pallet_concord_oracle::Member<AccountId>>, AppchainError> {
		let key = pallet_concord_oracle::Members::<Runtime>::hashed_key().to_vec();
		Ok(self
			.storage("Oracle.Members", key, at)
			.await?
			.unwrap_or_default())
	}

	/// Whether `member` attested `subject` (any value), or the subject is settled: confirmed
	/// or disputed. Either way the member has nothing to add.
	pub async fn attested(
		&self,
		subject: Subject,
		member: &AccountId,
		at: H256,
	) -> Result<bool, AppchainError> {
		let vote = pallet_concord_oracle::Votes::<Runtime>::hashed_key_for(subject, member);
		if self.raw_storage(vote, at).await?.is_some() {
			return Ok(true);
		}
		let confirmed = pallet_concord_oracle::Confirmed::<Runtime>::hashed_key_for(subject);
		if self.raw_storage(confirmed, at).await?.is_some() {
			return Ok(true);
		}
		let disputed = pallet_concord_oracle::Disputed::<Runtime>::hashed_key_for(subject);
		Ok(self.raw_storage(disputed, at).await?.is_some())
	}

	/// Every current member's execute signatures of `batch`: `(chain, signature)` lists.
	pub async fn execute_signatures(
		&self,
		batch: u64,
		at: H256,
	) -> Result<Vec<(AccountId, Vec<(ChainId, [u8; 65])>)>, AppchainError> {
		self.member_signatures("Oracle.ExecuteSignatures", at, |account| {
			pallet_concord_oracle::ExecuteSignatures::<Runtime>::hashed_key_for(batch, account)
		})
		.await
	}

	/// Every current member's commit signatures of `batch`: `(chain, signature)` lists.
	pub async fn commit_signatures(
		&self,
		batch: u64,
		at: H256,
	) -> Result<Vec<(AccountId, Vec<(ChainId, [u8; 65])>)>, AppchainError> {
		self.member_signatures("Oracle.CommitSignatures", at, |account| {
			pallet_concord_oracle::CommitSignatures::<Runtime>::hashed_key_for(batch, account)
		})
		.await
	}

	/// The lists stored under `key_of(member)` for each current member, in the map `what`.
	async fn member_signatures(
		&self,
		what: &'static str,
		at: H256,
		key_of: impl Fn(&AccountId) -> Vec<u8>,
	) -> Result<Vec<(AccountId, Vec<(ChainId, [u8; 65])>)>, AppchainError> {
		let mut signatures = Vec::new();
		for member in self.members(at).await? {
			let key = key_of(&member.account);
			if let Some(list) = self
				.storage::<Vec<(ChainId, [u8; 65])>>(what, key, at)
				.await?
			{
				signatures.push((member.account, list));
			}
		}
		Ok(signatures)
	}

	// ---------------------------------------------------------------- extrinsics

	/// Signs `call` with the member's account and hands it to the node's pool; returns the
	/// extrinsic's hash. Inclusion is seen later in finalized state.
	pub async fn submit(&self, call: RuntimeCall) -> Result<H256, AppchainError> {
		let _turn = self.submit_lock.lock().await;
		let extrinsic = self.sign_all(vec![call]).await?.remove(0);
		self.submit_extrinsic(&extrinsic).await
	}

	/// Signs `calls` with the member's account at consecutive nonces from its next one (the
	/// pool's ops included), without submitting them: for a client that sends many at once.
	pub async fn sign_all(
		&self,
		calls: Vec<RuntimeCall>,
	) -> Result<Vec<UncheckedExtrinsic>, AppchainError> {
		let signer = self.signer.as_ref().ok_or(AppchainError::NoSigner)?;
		let account = self.account().expect("a signer has an account");
		let first: Nonce = self
			.request("system_accountNextIndex", rpc_params![account.to_string()])
			.await?;
		let version: serde_json::Value = self
			.request("state_getRuntimeVersion", rpc_params![])
			.await?;
		let genesis = self.genesis;
		let (spec_version, tx_version) = match (
			version["specVersion"].as_u64(),
			version["transactionVersion"].as_u64(),
		) {
			(Some(spec), Some(tx)) => (spec as u32, tx as u32),
			_ => {
				return Err(AppchainError::Decode {
					what: "the runtime version",
					error: version.to_string(),
				})
			}
		};
		let implicit = (
			(),
			(),
			spec_version,
			tx_version,
			genesis,
			genesis,
			(),
			(),
			(),
			(),
			(),
		);
		Ok(calls
			.into_iter()
			.zip(first..)
			.map(|(call, nonce)| {
				let extension = concord_runtime::immortal_tx_extension(nonce);
				let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
				let signature = payload.using_encoded(|bytes| signer.sign(bytes));
				UncheckedExtrinsic::new_signed(
					call,
					MultiAddress::Id(account.clone()),
					MultiSignature::Sr25519(signature),
					extension,
				)
			})
			.collect())
	}

	/// Whether the extrinsic `hash` waits in the node's pool (ready or future).
	pub async fn is_pending(&self, hash: H256) -> Result<bool, AppchainError> {
		let pending: Vec<Bytes> = self
			.request("author_pendingExtrinsics", rpc_params![])
			.await?;
		Ok(pending
			.iter()
			.any(|extrinsic| BlakeTwo256::hash(extrinsic) == hash))
	}

	/// Hands an already built extrinsic to the node's pool.
	pub async fn submit_extrinsic(
		&self,
		extrinsic: &UncheckedExtrinsic,
	) -> Result<H256, AppchainError> {
		self.request(
			"author_submitExtrinsic",
			rpc_params![Bytes(extrinsic.encode())],
		)
		.await
	}
}
