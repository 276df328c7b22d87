//! L2 load on a dev node, shared by the flood test (`tests/flood.rs`) and the ingestion
//! benchmark (`examples/ingestion.rs`): many users funded by attested deposits with their L2
//! keys set, and what each block took. Development only: the keys are public.

use crate::{
	appchain::{Appchain, AppchainError},
	devnet::{
		self, connect_when_up, l2_extrinsic, l2_id_holding, l2_nonce_is, register, reserve_port,
		set_fee_account, signer, start_node, submit_call, DevnetError, Process, ProcessLogs,
		MIN_FEE, ONE_ETH,
	},
};
use concord_primitives::{
	eddsa::PrivateKey,
	ops::{ChainId, Deposit, NetworkId, Op, Transfer},
};
use concord_runtime::{Header, RuntimeCall, UncheckedExtrinsic};
use pallet_concord_oracle::Attestation;
use sp_core::{sr25519, Pair, H256};
use sp_runtime::traits::{BlakeTwo256, Hash};
use std::{ops::RangeInclusive, path::PathBuf, time::Duration};

/// A dev node (`concord-node --dev`, Alice its only validator and oracle member) with one
/// chain registered, in its own work directory, stopped when dropped.
pub struct DevNode {
	/// Connected as Alice.
	pub appchain: Appchain,
	/// The node's WebSocket URL.
	pub url: String,
	pub logs: ProcessLogs,
	pub work: PathBuf,
	node: Option<Process>,
}

impl Drop for DevNode {
	/// Stops the node, then removes its directory unless a test is failing (its log explains).
	fn drop(&mut self) {
		drop(self.node.take());
		if !std::thread::panicking() {
			let _ = std::fs::remove_dir_all(&self.work);
		}
	}
}

impl DevNode {
	/// Starts the node built by cargo (or `CONCORD_NODE_BIN`) in a fresh directory named after
	/// `name` and the process, connects as Alice and registers `chain`.
	pub async fn start(name: &str, chain: ChainId) -> DevNode {
		let work = std::env::temp_dir().join(format!("concord-{name}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&work);
		std::fs::create_dir_all(&work).unwrap();
		let node_log = work.join("node.log");
		let mut logs = ProcessLogs::default();
		logs.add("concord-node --dev", &node_log);
		let rpc_port = reserve_port().unwrap();
		let binary = devnet::built_binary("concord-node", "CONCORD_NODE_BIN");
		let mut node = start_node(&binary, &work.join("node"), rpc_port, &node_log).unwrap();
		let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
		let url = format!("ws://127.0.0.1:{rpc_port}");
		let appchain = connect_when_up(&url, alice, Duration::from_secs(90), Some(&mut node))
			.await
			.unwrap();
		register(
			&appchain,
			&[(chain, 31_001, alloy::primitives::Address::repeat_byte(0xc1))],
			Duration::from_secs(60),
		)
		.await
		.unwrap();
		DevNode {
			appchain,
			url,
			logs,
			work,
			node: Some(node),
		}
	}
}

/// The operator's seed (its Ethereum and L2 keys): it is the fee account.
pub const OPERATOR_SEED: u8 = 1;

/// The seeds of `count` users (their Ethereum and L2 keys), clear of the operator's and of
/// the devnet's other signers.
pub fn user_seeds(count: u8) -> Vec<u8> {
	(0..count).map(|i| 20 + i).collect()
}

/// L2 ops one account can have in the pool at once: the one its nonce allows now and
/// `MaxNonceGap` after it.
pub const OPS_IN_POOL_PER_ACCOUNT: u32 = 17;

/// The dev oracle's attestation of a deposit of 1 ETH (native coin) on `chain` to the address
/// of `signer(seed)`, with priority id `priority_id`.
pub fn attested_deposit(chain: ChainId, priority_id: u64, seed: u8) -> RuntimeCall {
	RuntimeCall::Oracle(pallet_concord_oracle::Call::attest {
		attestation: Attestation::Priority(Op::Deposit(Deposit {
			chain_id: chain,
			priority_id,
			to_address: signer(seed).address().0 .0,
			token: devnet::NATIVE_TOKEN,
			amount: ONE_ETH,
		})),
	})
}

/// L2 users ready to sign: each has an account holding 1 ETH and its L2 key set.
pub struct FundedUsers {
	/// The operator's account, the fee account.
	pub operator: u32,
	/// Each user's account id and L2 key (`[seed; 32]`), in the order of the seeds.
	pub users: Vec<(u32, PrivateKey)>,
}

/// Funds the operator (priority id 0) and one user per seed (priority ids 1, 2, ...) on
/// `chain` with deposits the appchain's signer (the dev oracle, Alice) attests, makes the
/// operator the fee account and sets every user's L2 key (a ChangePubKey at nonce 0, no fee).
/// `chain` must be registered and no priority op of it applied yet. Panics with the logs'
/// tails when a step does not happen in time.
pub async fn fund_users(
	appchain: &Appchain,
	logs: &ProcessLogs,
	chain: ChainId,
	seeds: &[u8],
) -> FundedUsers {
	let operator = signer(OPERATOR_SEED);
	appchain
		.submit(attested_deposit(chain, 0, OPERATOR_SEED))
		.await
		.unwrap();
	for (index, &seed) in seeds.iter().enumerate() {
		appchain
			.submit(attested_deposit(chain, index as u64 + 1, seed))
			.await
			.unwrap();
	}
	let operator_id = logs
		.until("the operator's deposit", Duration::from_secs(60), || {
			l2_id_holding(appchain, operator.address(), ONE_ETH)
		})
		.await;
	let last_user = signer(*seeds.last().expect("at least one user")).address();
	logs.until("every user's deposit", Duration::from_secs(120), || {
		l2_id_holding(appchain, last_user, ONE_ETH)
	})
	.await;
	set_fee_account(appchain, operator_id).await.unwrap();
	let mut users = Vec::new();
	for &seed in seeds {
		let owner = signer(seed);
		let (id, _, _) = devnet::l2_account(appchain, owner.address())
			.await
			.unwrap()
			.unwrap();
		let l2_key = PrivateKey([seed; 32]);
		devnet::change_pubkey(appchain, &owner, chain, id, &l2_key, 0)
			.await
			.unwrap();
		users.push((id, l2_key));
	}
	// Ops of equal fee leave the pool in no fixed order: wait for every key change, not the last
	// one sent.
	logs.until(
		"every user's L2 key set",
		Duration::from_secs(180),
		|| async {
			for &seed in seeds {
				l2_nonce_is(appchain, signer(seed).address(), 1).await?;
			}
			Some(())
		},
	)
	.await;
	FundedUsers {
		operator: operator_id,
		users,
	}
}

/// For each user and each nonce in `nonces`, a Transfer of 1 wei to the operator paying the
/// minimum fee, signed for `network`, as the extrinsic that submits it.
pub fn signed_transfers(
	funded: &FundedUsers,
	nonces: RangeInclusive<u32>,
	network: NetworkId,
) -> Vec<UncheckedExtrinsic> {
	let mut extrinsics = Vec::new();
	for (id, l2_key) in &funded.users {
		for nonce in nonces.clone() {
			let transfer = Op::Transfer(Transfer {
				from: *id,
				to: funded.operator,
				token: devnet::NATIVE_TOKEN,
				amount: 1,
				fee: MIN_FEE,
				nonce,
			});
			let call = submit_call(l2_key, transfer, network).expect("a Transfer is L2-signed");
			extrinsics.push(l2_extrinsic(call));
		}
	}
	extrinsics
}

/// Concurrent requests of [`submit_all`].
const SUBMITTERS: usize = 4;

/// Hands `extrinsics` to the node's pool, [`SUBMITTERS`] requests at a time, each submitter
/// taking a contiguous share in order (a share may split an account's nonces: the pool takes
/// an op up to `MaxNonceGap` ahead and orders them); fails on the first the pool refuses.
pub async fn submit_all(
	appchain: &Appchain,
	extrinsics: &[UncheckedExtrinsic],
) -> Result<(), DevnetError> {
	let share = extrinsics.len().div_ceil(SUBMITTERS).max(1);
	let submitters = extrinsics.chunks(share).map(|part| async move {
		for extrinsic in part {
			appchain.submit_extrinsic(extrinsic).await?;
		}
		Ok::<_, AppchainError>(())
	});
	for result in futures::future::join_all(submitters).await {
		result.map_err(|error| DevnetError {
			step: "submitting a flood".into(),
			reason: error.to_string(),
		})?;
	}
	Ok(())
}

/// The number of the best block.
pub async fn best_number(appchain: &Appchain) -> u32 {
	let header: Header = appchain
		.request("chain_getHeader", jsonrpsee::rpc_params![])
		.await
		.unwrap();
	header.number
}

/// What a block took: its extrinsics' hashes and calls, and its timestamp.
pub struct BlockBody {
	pub hashes: Vec<H256>,
	pub calls: Vec<RuntimeCall>,
	/// `Timestamp::Now` set by the block, in milliseconds.
	pub timestamp_ms: u64,
}

impl BlockBody {
	/// How many of the block's calls are L2-signed ops.
	pub fn l2_ops(&self) -> usize {
		self.calls.iter().filter(|call| is_l2_op(call)).count()
	}
}

/// Block `number`'s body, `None` while the node has no such block.
pub async fn block_body(appchain: &Appchain, number: u32) -> Option<BlockBody> {
	let hash = appchain.block_hash(number).await.ok()?;
	let extrinsics = appchain.extrinsics(hash).await.ok()?;
	let now_key = frame_support::storage::storage_prefix(b"Timestamp", b"Now").to_vec();
	let timestamp_ms: u64 = appchain
		.storage("Timestamp.Now", now_key, hash)
		.await
		.ok()??;
	Some(BlockBody {
		hashes: extrinsics
			.iter()
			.map(|extrinsic| BlakeTwo256::hash(&codec::Encode::encode(extrinsic)))
			.collect(),
		calls: extrinsics
			.into_iter()
			.map(|extrinsic| extrinsic.function)
			.collect(),
		timestamp_ms,
	})
}

/// Whether `call` is an L2-signed op (`Ledger::submit` or `Ledger::change_pubkey`).
pub fn is_l2_op(call: &RuntimeCall) -> bool {
	matches!(
		call,
		RuntimeCall::Ledger(
			pallet_concord_ledger::Call::submit { .. }
				| pallet_concord_ledger::Call::change_pubkey { .. }
		)
	)
}
