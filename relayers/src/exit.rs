//! Exodus from L1 data alone, what `concord-exit` runs: rebuild the whole L2 state from one
//! L1's `commitBatches` calldata (no appchain, no relayer), check every rebuilt root against
//! the roots that chain stores, prove an account's exit against each chain's last executed
//! root and submit `performExodus` there; refund the deposits a chain never served
//! ([`refund_unserved`]); and, for the exodus grace, carry the oracle quorum's execute
//! signatures from the appchain to a chain whose execution lags ([`export_signatures`],
//! [`catch_up`]). `docs/protocol.md`, "Exodus", is the protocol.

use crate::{
	appchain::{Appchain, AppchainError},
	config::ChainConfig,
	l1::{L1Error, StoredBatch, L1},
	roles::chain_signatures,
};
use alloy::{
	consensus::Transaction as _,
	primitives::{Address, Bytes, B256, U256},
	providers::Provider,
	rpc::types::Filter,
	signers::local::PrivateKeySigner,
	sol_types::{SolCall, SolEvent},
};
use concord_circuits::{
	evm::EvmProof,
	groth16::{self, ExitProvingKey},
};
use concord_contracts::bindings::ConcordRollup::{
	self, BatchCommitted, ExecuteBatchInfo, PriorityRequestInfo,
};
use concord_primitives::{
	account::{AccountId, TokenId},
	commitment::{execute_digest, fr_to_be_bytes},
	exit::{exit_witness, ExitClaim},
	ops::{decode_batch_pubdata, Op, OpType},
	stf::{replay_learning_registry, TreeState},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Blocks per `eth_getLogs` request when looking for commits.
const LOG_RANGE: u64 = 10_000;
/// Batches per `executeBatches` call in a catch-up.
const MAX_CATCH_UP_PER_TX: u64 = 16;
/// Requests per `cancelOutstandingDeposits` call.
const MAX_CANCELS_PER_TX: usize = 64;

/// Why an exodus step failed.
#[derive(Debug, thiserror::Error)]
pub enum ExitError {
	#[error(transparent)]
	L1(#[from] L1Error),
	#[error(transparent)]
	Appchain(#[from] AppchainError),
	#[error("{rpc}: {what}: {error}")]
	Connect {
		rpc: String,
		what: &'static str,
		error: String,
	},
	#[error("chain {chain}: batch {batch} was committed by transaction {tx}, whose input is not a commitBatches call to the rollup (a contract made the call): its pubdata is not in the calldata")]
	CommitNotInCalldata { chain: u8, batch: u64, tx: B256 },
	#[error("chain {chain}: no commitBatches calldata holds batch {batch} with the pubdata hash the contract stores")]
	MissingCommit { chain: u8, batch: u64 },
	#[error("chain {chain}: batch {batch}: {reason}")]
	BadBatch {
		chain: u8,
		batch: u64,
		reason: String,
	},
	#[error("chain {chain}: the rebuilt state after batch {batch} has root {rebuilt}, the contract stores {stored}")]
	RootMismatch {
		chain: u8,
		batch: u64,
		rebuilt: B256,
		stored: B256,
	},
	#[error("chain {chain} has executed batch {executed}, not a batch the state rebuilt from chain {from} (up to {rebuilt}) was kept at: it executed more since the rebuild; run again")]
	BeyondRebuilt {
		chain: u8,
		executed: u64,
		rebuilt: u64,
		from: u8,
	},
	#[error("chain {0} is not in exodus mode (activateExodus needs an expired priority request)")]
	NotInExodus(u8),
	#[error("chain {0} was retired by the oracle quorum: it pays no exits")]
	Retired(u8),
	#[error("chain {chain}: exits and refunds open after the exodus grace, at timestamp {from}")]
	ExitsNotOpen { chain: u8, from: u64 },
	#[error("chain {chain}: account {account} has already exited token {token} here")]
	AlreadyExited {
		chain: u8,
		account: AccountId,
		token: TokenId,
	},
	#[error("chain {chain}: nothing to exit: account {account} holds {balance} of token {token}, this chain's reserve of it is {reserve} of {total}")]
	NothingToExit {
		chain: u8,
		account: AccountId,
		token: TokenId,
		balance: u128,
		reserve: u128,
		total: U256,
	},
	#[error("chain {chain}: {error}")]
	NoExit {
		chain: u8,
		error: concord_primitives::exit::ExitError,
	},
	#[error("proving the exit: {0}")]
	Prove(String),
	#[error("signature file: {0}")]
	SignatureFile(String),
}

fn rpc_error(chain: u8, what: &'static str) -> impl Fn(String) -> ExitError {
	move |error| ExitError::L1(L1Error::Rpc { chain, what, error })
}

/// Connects to the rollup at `contract` on the JSON-RPC endpoint `rpc`, with `signer` sending
/// transactions; the Concord and EVM chain ids are read from the contract and the endpoint.
/// Commits are looked for from block `from_block` (the contract's deployment block, or 0).
pub async fn connect(
	rpc: &str,
	contract: Address,
	from_block: u64,
	signer: Option<PrivateKeySigner>,
) -> Result<L1, ExitError> {
	let connect_error = |what| {
		let rpc = rpc.to_string();
		move |error: String| ExitError::Connect { rpc, what, error }
	};
	let mut config = ChainConfig {
		id: 0,
		rpc: rpc.to_string(),
		evm_chain_id: 0,
		contract: contract.to_string(),
		confirmations: 0,
		deployed_at: from_block,
	};
	url_check(rpc).map_err(connect_error("the URL"))?;
	let probe = L1::new(&config, None);
	config.evm_chain_id = probe
		.provider()
		.get_chain_id()
		.await
		.map_err(|e| connect_error("eth_chainId")(e.to_string()))?;
	config.id = probe
		.rollup()
		.chainId()
		.call()
		.await
		.map_err(|e| connect_error("the rollup's chainId()")(e.to_string()))?;
	Ok(L1::new(&config, signer))
}

fn url_check(rpc: &str) -> Result<(), String> {
	match rpc.split_once("://") {
		Some(("http" | "https", rest)) if !rest.is_empty() => Ok(()),
		_ => Err("not an http:// or https:// URL".into()),
	}
}

/// What `l1` stores of batches `from..=to`, one call each.
async fn stored_batches(
	l1: &L1,
	from: u64,
	to: u64,
) -> Result<BTreeMap<u64, StoredBatch>, ExitError> {
	let mut stored = BTreeMap::new();
	for batch in from..=to {
		stored.insert(batch, l1.stored_batch(batch, None).await?);
	}
	Ok(stored)
}

/// The pubdata of the batches in `stored` (what `l1` stores of them), read from the calldata
/// of its `commitBatches` transactions (found by their `BatchCommitted` events), each checked
/// against the stored pubdata hash (a batch committed again after a revert has several
/// commits; the stored hash picks the one that counts). `progress` hears each log range.
async fn committed_pubdata(
	l1: &L1,
	stored: &BTreeMap<u64, StoredBatch>,
	progress: &mut impl FnMut(String),
) -> Result<BTreeMap<u64, Vec<u8>>, ExitError> {
	let chain = l1.chain.0;
	let wanted: BTreeMap<u64, [u8; 32]> = stored
		.iter()
		.map(|(&batch, stored)| (batch, stored.pubdata_hash))
		.collect();
	let mut found = BTreeMap::new();
	if wanted.is_empty() {
		return Ok(found);
	}
	let head = l1.head().await?;
	let mut start = l1.config.deployed_at;
	while start <= head && found.len() < wanted.len() {
		let end = head.min(start + LOG_RANGE - 1);
		progress(format!(
			"chain {chain}: reading commits in blocks {start}..={end} of {head}"
		));
		let filter = Filter::new()
			.address(l1.contract)
			.from_block(start)
			.to_block(end)
			.event_signature(BatchCommitted::SIGNATURE_HASH);
		let logs = l1
			.provider()
			.get_logs(&filter)
			.await
			.map_err(|e| rpc_error(chain, "eth_getLogs")(e.to_string()))?;
		// Each transaction once (it may commit several batches), and only for commits of the
		// pubdata the contract keeps: a commit a revert dropped is never read.
		let mut transactions = BTreeMap::new();
		for log in &logs {
			let event = log
				.log_decode::<BatchCommitted>()
				.map_err(|e| rpc_error(chain, "decoding BatchCommitted")(e.to_string()))?;
			let data = event.inner.data;
			let kept = wanted.get(&data.batchNumber) == Some(&data.pubdataHash.0);
			if kept && !found.contains_key(&data.batchNumber) {
				let tx = log.transaction_hash.ok_or_else(|| {
					rpc_error(chain, "eth_getLogs")("a log without its transaction".into())
				})?;
				transactions.entry(tx).or_insert(data.batchNumber);
			}
		}
		for (tx, batch) in transactions {
			for (number, pubdata) in commit_calldata(l1, tx, batch).await? {
				let hash: [u8; 32] = Sha256::digest(&pubdata).into();
				if wanted.get(&number) == Some(&hash) {
					found.insert(number, pubdata);
				}
			}
		}
		start = end + 1;
	}
	match wanted.keys().find(|batch| !found.contains_key(batch)) {
		Some(&batch) => Err(ExitError::MissingCommit { chain, batch }),
		None => Ok(found),
	}
}

/// The batches (number, pubdata) the `commitBatches` transaction `tx` committed; `batch` is the
/// one its event named, for the error.
async fn commit_calldata(l1: &L1, tx: B256, batch: u64) -> Result<Vec<(u64, Vec<u8>)>, ExitError> {
	let chain = l1.chain.0;
	let transaction = l1
		.provider()
		.get_transaction_by_hash(tx)
		.await
		.map_err(|e| rpc_error(chain, "eth_getTransactionByHash")(e.to_string()))?
		.ok_or_else(|| {
			rpc_error(chain, "eth_getTransactionByHash")(format!("no transaction {tx}"))
		})?;
	let not_calldata = ExitError::CommitNotInCalldata { chain, batch, tx };
	if transaction.to() != Some(l1.contract) {
		return Err(not_calldata);
	}
	let call = ConcordRollup::commitBatchesCall::abi_decode(transaction.input())
		.map_err(|_| not_calldata)?;
	Ok(call
		.batches
		.into_iter()
		.map(|info| (info.batchNumber, info.pubdata.to_vec()))
		.collect())
}

/// The L2 state rebuilt from one chain's batches, kept at the batch numbers asked for.
pub struct Rebuilt {
	/// The chain whose calldata it was rebuilt from.
	pub from: u8,
	/// The last batch applied.
	pub last: u64,
	pub states: BTreeMap<u64, TreeState>,
}

/// Replays batches `1..` (their pubdata, in order) from the empty state, checking the genesis
/// root and each batch's root against `stored_roots` (index `n`: batch `n`'s root on the chain,
/// index 0 the genesis root), and keeps the state after each batch in `keep`.
pub fn rebuild(
	chain: u8,
	pubdata: &BTreeMap<u64, Vec<u8>>,
	stored_roots: &[[u8; 32]],
	keep: &BTreeSet<u64>,
	progress: &mut impl FnMut(String),
) -> Result<Rebuilt, ExitError> {
	let mut state = TreeState::new();
	let mut states = BTreeMap::new();
	let check = |batch: u64, state: &TreeState| {
		let rebuilt = fr_to_be_bytes(&state.tree().root());
		let stored = stored_roots[batch as usize];
		if rebuilt == stored {
			Ok(())
		} else {
			Err(ExitError::RootMismatch {
				chain,
				batch,
				rebuilt: rebuilt.into(),
				stored: stored.into(),
			})
		}
	};
	check(0, &state)?;
	if keep.contains(&0) {
		states.insert(0, state.clone());
	}
	let last = pubdata.keys().next_back().copied().unwrap_or(0);
	for (&batch, bytes) in pubdata {
		let bad = |reason: String| ExitError::BadBatch {
			chain,
			batch,
			reason,
		};
		let (fee_account, ops) = decode_batch_pubdata(bytes).map_err(|e| bad(e.to_string()))?;
		replay_learning_registry(&mut state, fee_account, &ops).map_err(|e| bad(e.to_string()))?;
		check(batch, &state)?;
		if keep.contains(&batch) {
			states.insert(batch, state.clone());
		}
		if batch % 100 == 0 || batch == last {
			progress(format!("rebuilt batch {batch} of {last}"));
		}
	}
	Ok(Rebuilt {
		from: chain,
		last,
		states,
	})
}

/// Rebuilds the state from the calldata of the one of `chains` that executed most batches, up
/// to its last executed batch, keeping it at the last executed batch of each chain.
///
/// # Panics
///
/// If `chains` is empty.
pub async fn rebuild_for(
	chains: &[&L1],
	progress: &mut impl FnMut(String),
) -> Result<Rebuilt, ExitError> {
	let mut executed = Vec::new();
	for l1 in chains {
		executed.push(l1.totals(None).await?.executed);
	}
	let (from, &last) = executed
		.iter()
		.enumerate()
		.max_by_key(|(_, executed)| **executed)
		.expect("at least one chain");
	let from = chains[from];
	let keep: BTreeSet<u64> = executed.iter().copied().collect();
	let stored = stored_batches(from, 0, last).await?;
	let roots: Vec<[u8; 32]> = stored.values().map(|batch| batch.new_root).collect();
	let pubdata = committed_pubdata(
		from,
		&stored.into_iter().filter(|(batch, _)| *batch > 0).collect(),
		progress,
	)
	.await?;
	rebuild(from.chain.0, &pubdata, &roots, &keep, progress)
}

/// What an exit paid on one chain.
#[derive(Debug)]
pub struct Paid {
	pub claim: ExitClaim,
	pub amount: U256,
	pub exit_tx: B256,
	/// The `withdrawPending` that paid the owner, if asked for.
	pub withdraw_tx: Option<B256>,
}

/// `balance · reserve / total`, rounded down, as `performExodus` computes it.
pub fn exit_share(claim: &ExitClaim) -> U256 {
	let total = U256::from_be_bytes(fr_to_be_bytes(&claim.total));
	if total.is_zero() {
		return U256::ZERO;
	}
	U256::from(claim.balance) * U256::from(claim.reserve) / total
}

/// Exits `account`'s balance of `token` on `l1` against the rebuilt state at that chain's last
/// executed batch: checks the chain is open for exits and the root, proves, submits
/// `performExodus` and then (if `withdraw`) `withdrawPending` for the owner.
pub async fn exit_on(
	l1: &L1,
	rebuilt: &Rebuilt,
	key: &ExitProvingKey,
	account: AccountId,
	token: TokenId,
	withdraw: bool,
) -> Result<Paid, ExitError> {
	let chain = l1.chain.0;
	let rollup = l1.rollup();
	let call_error = |what| move |e: alloy::contract::Error| rpc_error(chain, what)(e.to_string());
	if past_the_grace(l1).await? == Stopped::Retired {
		return Err(ExitError::Retired(chain));
	}
	if rollup
		.exited(account, token)
		.call()
		.await
		.map_err(call_error("exited()"))?
	{
		return Err(ExitError::AlreadyExited {
			chain,
			account,
			token,
		});
	}
	let executed = l1.totals(None).await?.executed;
	let state = rebuilt
		.states
		.get(&executed)
		.ok_or(ExitError::BeyondRebuilt {
			chain,
			executed,
			rebuilt: rebuilt.last,
			from: rebuilt.from,
		})?;
	let stored = l1.stored_batch(executed, None).await?.new_root;
	let root = fr_to_be_bytes(&state.tree().root());
	if root != stored {
		return Err(ExitError::RootMismatch {
			chain,
			batch: executed,
			rebuilt: root.into(),
			stored: stored.into(),
		});
	}
	let witness = exit_witness(state.tree(), account, token, chain)
		.map_err(|error| ExitError::NoExit { chain, error })?;
	let claim = witness.claim;
	let amount = exit_share(&claim);
	if amount.is_zero() {
		return Err(ExitError::NothingToExit {
			chain,
			account,
			token,
			balance: claim.balance,
			reserve: claim.reserve,
			total: U256::from_be_bytes(fr_to_be_bytes(&claim.total)),
		});
	}
	let key = key.clone();
	let proof = tokio::task::spawn_blocking(move || groth16::prove_exit(&key, witness))
		.await
		.map_err(|e| ExitError::Prove(e.to_string()))?
		.map_err(|e| ExitError::Prove(e.to_string()))?;
	let words = EvmProof::from(&proof)
		.words
		.map(|word| U256::from_be_bytes(word));
	let owner = Address::from(claim.l1_address);
	let exit_tx = l1
		.send(
			"performExodus",
			rollup.performExodus(
				account,
				token,
				owner,
				claim.balance,
				claim.reserve,
				U256::from_be_bytes(fr_to_be_bytes(&claim.total)),
				words,
			),
		)
		.await?;
	let withdraw_tx = if withdraw {
		Some(
			l1.send("withdrawPending", rollup.withdrawPending(owner, token))
				.await?,
		)
	} else {
		None
	};
	Ok(Paid {
		claim,
		amount,
		exit_tx,
		withdraw_tx,
	})
}

/// How a chain in exodus mode stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stopped {
	/// `activateExodus`, and its grace has passed.
	Exodus,
	/// `retire`: refunds open at once, exits never.
	Retired,
}

/// Whether `l1` is past its exodus grace (refunds and exits open) or retired; an error naming
/// why not otherwise.
async fn past_the_grace(l1: &L1) -> Result<Stopped, ExitError> {
	let chain = l1.chain.0;
	let rollup = l1.rollup();
	let call_error = |what| move |e: alloy::contract::Error| rpc_error(chain, what)(e.to_string());
	if !rollup
		.exodusMode()
		.call()
		.await
		.map_err(call_error("exodusMode()"))?
	{
		return Err(ExitError::NotInExodus(chain));
	}
	if rollup
		.retired()
		.call()
		.await
		.map_err(call_error("retired()"))?
	{
		return Ok(Stopped::Retired);
	}
	let since = rollup
		.exodusSince()
		.call()
		.await
		.map_err(call_error("exodusSince()"))?;
	let grace = rollup
		.exodusGrace()
		.call()
		.await
		.map_err(call_error("exodusGrace()"))?;
	if latest_timestamp(l1).await? <= since + grace {
		return Err(ExitError::ExitsNotOpen {
			chain,
			from: since + grace + 1,
		});
	}
	Ok(Stopped::Exodus)
}

async fn latest_timestamp(l1: &L1) -> Result<u64, ExitError> {
	let block = l1
		.provider()
		.get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
		.await
		.map_err(|e| rpc_error(l1.chain.0, "eth_getBlockByNumber")(e.to_string()))?
		.ok_or_else(|| rpc_error(l1.chain.0, "eth_getBlockByNumber")("no latest block".into()))?;
	Ok(block.header.timestamp)
}

/// The oracle quorum's execute signatures for one chain, batch by batch: what the appchain
/// published for the batches it synced and that chain has not executed, so that anyone can
/// execute them there in the exodus grace once the appchain is gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureFile {
	pub chain: u8,
	pub contract: Address,
	pub evm_chain_id: u64,
	/// Members' signatures of `executeDigest(batch, syncHash)` on that chain, by batch.
	pub batches: BTreeMap<u64, Vec<Bytes>>,
}

/// Reads, at the appchain's finalized block, the execute signatures of every batch the
/// appchain synced that `l1` has not executed, keeping those of current oracles of `l1` over
/// its digest.
pub async fn export_signatures(appchain: &Appchain, l1: &L1) -> Result<SignatureFile, ExitError> {
	let at = appchain.finalized().await?.hash;
	let synced = appchain.last_synced(at).await?;
	let executed = l1.totals(None).await?.executed;
	let oracles = l1.oracles().await?;
	let mut batches = BTreeMap::new();
	for batch in executed + 1..=synced {
		let members = appchain.execute_signatures(batch, at).await?;
		let sync_hash = l1.stored_batch(batch, None).await?.sync_hash;
		let digest = execute_digest(l1.config.evm_chain_id, &l1.contract.0 .0, batch, sync_hash);
		let signatures = chain_signatures(&members, l1.chain, &digest, &oracles);
		if !signatures.is_empty() {
			batches.insert(
				batch,
				signatures
					.into_iter()
					.map(|signature| Bytes::from(signature.to_vec()))
					.collect(),
			);
		}
	}
	Ok(SignatureFile {
		chain: l1.chain.0,
		contract: l1.contract,
		evm_chain_id: l1.config.evm_chain_id,
		batches,
	})
}

/// Executes on `l1` every proven, unexecuted batch up to the last one `file` holds a quorum of
/// signatures for (in calls of at most 16 batches, each ending at a signed batch), with payouts
/// from the chain's own commit calldata. Returns the batches executed.
pub async fn catch_up(
	l1: &L1,
	file: &SignatureFile,
	progress: &mut impl FnMut(String),
) -> Result<Vec<u64>, ExitError> {
	if file.chain != l1.chain.0 || file.contract != l1.contract {
		return Err(ExitError::SignatureFile(format!(
			"it is for chain {} at {}, not chain {} at {}",
			file.chain, file.contract, l1.chain.0, l1.contract
		)));
	}
	let threshold = l1.threshold().await?;
	let totals = l1.totals(None).await?;
	let signed: Vec<u64> = file
		.batches
		.iter()
		.filter(|(batch, signatures)| {
			**batch > totals.executed && **batch <= totals.proven && signatures.len() >= threshold
		})
		.map(|(batch, _)| *batch)
		.collect();
	let Some(&last) = signed.last() else {
		return Ok(Vec::new());
	};
	let stored = stored_batches(l1, totals.executed + 1, last).await?;
	let pubdata = committed_pubdata(l1, &stored, progress).await?;
	let mut executed = totals.executed;
	let mut done = Vec::new();
	while executed < last {
		let end = *signed
			.iter()
			.rev()
			.find(|&&batch| batch > executed && batch <= executed + MAX_CATCH_UP_PER_TX)
			.ok_or_else(|| {
				ExitError::SignatureFile(format!(
					"no signed batch within {MAX_CATCH_UP_PER_TX} of batch {executed}"
				))
			})?;
		let mut infos = Vec::new();
		for batch in executed + 1..=end {
			let payouts = concord_contracts::payouts(&pubdata[&batch], l1.chain).map_err(|e| {
				ExitError::BadBatch {
					chain: l1.chain.0,
					batch,
					reason: e.to_string(),
				}
			})?;
			infos.push(ExecuteBatchInfo {
				batchNumber: batch,
				payouts,
			});
		}
		let quorum = file.batches[&end][..threshold].to_vec();
		let tx = l1
			.send("executeBatches", l1.rollup().executeBatches(infos, quorum))
			.await?;
		progress(format!(
			"chain {}: executed batches {}..={end} ({tx})",
			l1.chain.0,
			executed + 1
		));
		done.extend(executed + 1..=end);
		executed = end;
	}
	Ok(done)
}

/// What [`refund_unserved`] did.
#[derive(Debug, Default)]
pub struct Refunded {
	/// Deposits refunded now: (priority id, recipient, token, amount).
	pub deposits: Vec<(u64, Address, TokenId, u128)>,
	/// Full-exit requests dropped now (they refund nothing but their place in the queue).
	pub full_exits: usize,
	/// The `withdrawPending` transactions that paid refunds out (of this run or an earlier one).
	pub withdrawals: Vec<B256>,
	/// Recipients whose payout failed (a contract refusing the coin, say): their refunds stay
	/// in their pending balances, for them to withdraw.
	pub unpaid: Vec<(Address, TokenId, String)>,
}

/// After the exodus grace (or a `retire`), cancels every request `l1` never served, oldest
/// first, as its events told them (`cancelOutstandingDeposits` credits each deposit to its
/// recipient's pending balance), then pays out every recipient of a refund, this run's or an
/// earlier one's, that still has a pending balance (`withdrawPending`). Reads the events in
/// windows of 10,000 blocks from the chain's `from_block`.
pub async fn refund_unserved(
	l1: &L1,
	progress: &mut impl FnMut(String),
) -> Result<Refunded, ExitError> {
	let chain = l1.chain.0;
	let rollup = l1.rollup();
	let call_error = |what| move |e: alloy::contract::Error| rpc_error(chain, what)(e.to_string());
	past_the_grace(l1).await?;
	let first = rollup
		.firstPriorityId()
		.call()
		.await
		.map_err(call_error("firstPriorityId()"))?;
	let total = rollup
		.totalPriorityRequests()
		.call()
		.await
		.map_err(call_error("totalPriorityRequests()"))?;

	// The unserved requests' events, and the recipients of earlier refunds.
	let mut unserved = BTreeMap::new();
	let mut recipients = BTreeSet::new();
	let head = l1.head().await?;
	let mut start = l1.config.deployed_at;
	while start <= head {
		let end = head.min(start + LOG_RANGE - 1);
		progress(format!(
			"chain {chain}: reading requests in blocks {start}..={end} of {head}"
		));
		let filter = Filter::new()
			.address(l1.contract)
			.from_block(start)
			.to_block(end)
			.event_signature(vec![
				ConcordRollup::DepositRequested::SIGNATURE_HASH,
				ConcordRollup::FullExitRequested::SIGNATURE_HASH,
				ConcordRollup::PriorityRequestCancelled::SIGNATURE_HASH,
			]);
		let logs = l1
			.provider()
			.get_logs(&filter)
			.await
			.map_err(|e| rpc_error(chain, "eth_getLogs")(e.to_string()))?;
		for log in &logs {
			if let Ok(cancelled) = log.log_decode::<ConcordRollup::PriorityRequestCancelled>() {
				let event = cancelled.inner.data;
				if event.refunded != 0 {
					recipients.insert((event.l1Address, event.token));
				}
				continue;
			}
			let request = l1.request_of_log(log)?;
			let priority_id = match request {
				Op::Deposit(deposit) => deposit.priority_id,
				Op::FullExit(exit) => exit.priority_id,
				_ => continue,
			};
			if (first..total).contains(&priority_id) {
				unserved.insert(priority_id, request);
			}
		}
		start = end + 1;
	}
	if let Some(missing) = (first..total).find(|id| !unserved.contains_key(id)) {
		return Err(L1Error::MissingRequest {
			chain,
			priority_id: missing,
			block: head,
		}
		.into());
	}

	let mut refunded = Refunded::default();
	let mut requests = Vec::new();
	for (priority_id, request) in unserved {
		let info = match request {
			Op::Deposit(deposit) => {
				let to = Address::from(deposit.to_address);
				refunded
					.deposits
					.push((priority_id, to, deposit.token, deposit.amount));
				recipients.insert((to, deposit.token));
				PriorityRequestInfo {
					opType: OpType::Deposit as u8,
					accountId: 0,
					l1Address: to,
					token: deposit.token,
					amount: deposit.amount,
				}
			}
			Op::FullExit(exit) => {
				refunded.full_exits += 1;
				PriorityRequestInfo {
					opType: OpType::FullExit as u8,
					accountId: exit.account,
					l1Address: Address::from(exit.owner),
					token: exit.token,
					amount: 0,
				}
			}
			// Only deposits and full exits were kept above.
			_ => continue,
		};
		requests.push(info);
	}
	for batch in requests.chunks(MAX_CANCELS_PER_TX) {
		let tx = l1
			.send(
				"cancelOutstandingDeposits",
				rollup.cancelOutstandingDeposits(batch.to_vec()),
			)
			.await?;
		progress(format!(
			"chain {chain}: cancelled {} request(s) ({tx})",
			batch.len()
		));
	}
	for (owner, token) in recipients {
		let pending = rollup
			.pendingBalance(owner, token)
			.call()
			.await
			.map_err(call_error("pendingBalance()"))?;
		if pending.is_zero() {
			continue;
		}
		match l1
			.send("withdrawPending", rollup.withdrawPending(owner, token))
			.await
		{
			Ok(tx) => refunded.withdrawals.push(tx),
			Err(error) => refunded.unpaid.push((owner, token, error.to_string())),
		}
	}
	Ok(refunded)
}
