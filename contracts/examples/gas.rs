//! Gas of the rollup contract per batch and per op, on anvil, with real proofs and the
//! committed artifacts: a circuit of N one-chunk slots (`CONCORD_GAS_SLOTS`, default 24, at
//! least 8) and five batches, one per on-chain op kind and one of L2 transfers, each of as many
//! ops of its kind as fit (N / chunks: with N = 24, 8 deposits, 6 key changes, 24 transfers, 8
//! withdrawals, 8 full exits, every batch full):
//!
//! ```sh
//! cargo run -p concord-contracts --example gas
//! ```
//!
//! Prints a Markdown table (the one in docs/benchmarks.md, "L1 contracts").

use alloy::{
	network::{EthereumWallet, TransactionBuilder},
	primitives::{Address, Bytes, B256, U256},
	providers::{DynProvider, Provider, ProviderBuilder},
	rpc::types::{TransactionReceipt, TransactionRequest},
	signers::{local::PrivateKeySigner, SignerSync},
};
use concord_circuits::{
	evm::{solidity_verifier, EvmProof},
	groth16,
	witness::BatchBuilder,
};
use concord_contracts::{
	anvil::Anvil,
	digest::Domain,
	payouts,
	tools::compile_verifier,
	ConcordRollup::{self, CommitBatchInfo, Config, ExecuteBatchInfo, ProveBatchInfo},
};
use concord_primitives::{
	commitment::{fr_to_be_bytes, prover_input},
	eddsa::PrivateKey,
	ops::{ChainId, ChangePubKey, Deposit, FullExit, NetworkId, Op, OpType, Transfer, Withdraw},
	stf::TreeState,
};
use sha2::{Digest, Sha256};
use std::time::Instant;

/// The network the example's contract is deployed for and its ops are signed on.
const NETWORK: NetworkId = 1;
const CHAIN: ChainId = ChainId(1);
const ETH: u16 = 0;
const DEPOSIT: u128 = 1_000_000_000_000_000_000;

fn l1_key(i: usize) -> PrivateKeySigner {
	PrivateKeySigner::from_bytes(&B256::repeat_byte(0x40 + i as u8)).unwrap()
}

fn l2_key(i: usize) -> PrivateKey {
	PrivateKey([0x40 + i as u8; 32])
}

fn oracle(i: usize) -> PrivateKeySigner {
	PrivateKeySigner::from_bytes(&B256::repeat_byte(0x01 + i as u8)).unwrap()
}

/// An op with its L2 signature, if it is L2-signed.
type SignedOp = (Op, Option<[u8; 64]>);

/// One row of the report.
struct Row {
	kind: &'static str,
	ops: usize,
	commit: u64,
	prove: u64,
	verify: u64,
	execute: u64,
}

async fn send_tx(provider: &DynProvider, tx: TransactionRequest) -> TransactionReceipt {
	let receipt = provider
		.send_transaction(tx)
		.await
		.unwrap()
		.get_receipt()
		.await
		.unwrap();
	assert!(receipt.status(), "transaction reverted");
	receipt
}

async fn send<P, D>(call: alloy::contract::CallBuilder<P, D>) -> TransactionReceipt
where
	P: Provider,
	D: alloy::contract::CallDecoder,
{
	let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
	assert!(receipt.status(), "transaction reverted");
	receipt
}

/// The gas the transaction's call to `to` used, from anvil's call tracer.
async fn call_gas(provider: &DynProvider, tx: B256, to: Address) -> u64 {
	let trace: serde_json::Value = provider
		.raw_request(
			"debug_traceTransaction".into(),
			(tx, serde_json::json!({ "tracer": "callTracer" })),
		)
		.await
		.unwrap();
	let calls = trace["calls"].as_array().expect("the verifier call");
	let call = calls
		.iter()
		.find(|call| call["to"].as_str().map(|s| s.parse::<Address>().unwrap()) == Some(to))
		.expect("a call to the verifier");
	u64::from_str_radix(
		call["gasUsed"].as_str().unwrap().trim_start_matches("0x"),
		16,
	)
	.unwrap()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
	let slots: usize = std::env::var("CONCORD_GAS_SLOTS")
		.ok()
		.map(|s| s.parse().expect("CONCORD_GAS_SLOTS is a number"))
		.unwrap_or(24);
	// Each op takes as many slots as it has chunks, so a batch holds N / chunks ops of a kind.
	let fit = |op_type: OpType| slots / op_type.chunks();
	// Two key changes at least: the transfers go round the keyed accounts, each to the next
	// (one would pay itself), and the report's `withdrawPending` is user 1's.
	assert!(
		fit(OpType::ChangePubKey) >= 2,
		"CONCORD_GAS_SLOTS below 8 fits fewer than two key changes"
	);
	// One user per deposit, account i for user i; the first `keyed` set an L2 key and sign the
	// transfers and withdrawals, in turn, since a batch holds more of those than key changes.
	let users: Vec<PrivateKeySigner> = (0..fit(OpType::Deposit)).map(l1_key).collect();
	let keyed = fit(OpType::ChangePubKey);
	// Each keyed account's next L2 nonce: its key change takes 0.
	let mut nonces = vec![1u32; keyed];
	let mut next_nonce = |account: usize| {
		let nonce = nonces[account];
		nonces[account] += 1;
		nonce
	};
	let started = Instant::now();
	eprintln!("setup of the {slots}-slot circuit…");
	let key = groth16::dev_setup(slots, "concord-gas").unwrap();
	let verifier_code = compile_verifier(&solidity_verifier(&key.key.vk)).unwrap();
	// An appchain prover's account; the L1 only passes its input to the verifier.
	let prover = prover_input(&[0x70; 32]);

	// The L2 side: five full batches.
	let mut state: TreeState = TreeState::new();
	state.registry_mut().add_chain(CHAIN);
	state.registry_mut().register_token(CHAIN, ETH).unwrap();
	let genesis = B256::from(fr_to_be_bytes(&state.tree().root()));
	let address = |i: usize| users[i].address().into_array();
	let sign_l2 = |i: usize, op: Op| {
		(
			op,
			Some(l2_key(i).sign(op.signed_message(NETWORK).unwrap()).pack()),
		)
	};
	let mut kinds: Vec<(&'static str, Vec<SignedOp>, Vec<Bytes>)> = Vec::new();
	kinds.push((
		"Deposit",
		(0..users.len())
			.map(|i| {
				let op = Op::Deposit(Deposit {
					chain_id: CHAIN,
					priority_id: i as u64,
					to_address: address(i),
					token: ETH,
					amount: DEPOSIT,
				});
				(op, None)
			})
			.collect(),
		vec![],
	));
	let changes: Vec<ChangePubKey> = (0..keyed)
		.map(|i| ChangePubKey {
			chain_id: CHAIN,
			account: i as u32,
			new_pubkey: l2_key(i).public_key().pack(),
			fee_token: ETH,
			fee: 0,
			nonce: 0,
		})
		.collect();
	kinds.push((
		"ChangePubKey",
		changes
			.iter()
			.enumerate()
			.map(|(i, change)| sign_l2(i, Op::ChangePubKey(*change)))
			.collect(),
		changes
			.iter()
			.enumerate()
			.map(|(i, change)| {
				let signature = users[i]
					.sign_message_sync(&change.eth_message(NETWORK))
					.unwrap();
				Bytes::from(signature.as_bytes().to_vec())
			})
			.collect(),
	));
	kinds.push((
		"Transfer",
		(0..fit(OpType::Transfer))
			.map(|j| {
				let i = j % keyed;
				sign_l2(
					i,
					Op::Transfer(Transfer {
						from: i as u32,
						to: ((i + 1) % keyed) as u32,
						token: ETH,
						amount: 1000,
						fee: 0,
						nonce: next_nonce(i),
					}),
				)
			})
			.collect(),
		vec![],
	));
	// At most two withdrawals per account (N / 3 withdrawals over N / 4 accounts), a quarter of
	// its deposit each: its full exit still pays out.
	kinds.push((
		"Withdraw",
		(0..fit(OpType::Withdraw))
			.map(|j| {
				let i = j % keyed;
				sign_l2(
					i,
					Op::Withdraw(Withdraw {
						from: i as u32,
						to_chain: CHAIN,
						to_address: address(i),
						token: ETH,
						amount: DEPOSIT / 4,
						fee: 0,
						nonce: next_nonce(i),
					}),
				)
			})
			.collect(),
		vec![],
	));
	kinds.push((
		"FullExit",
		(0..fit(OpType::FullExit))
			.map(|i| {
				let op = Op::FullExit(FullExit {
					chain_id: CHAIN,
					priority_id: (users.len() + i) as u64,
					account: i as u32,
					owner: address(i),
					token: ETH,
				});
				(op, None)
			})
			.collect(),
		vec![],
	));
	let mut batches = Vec::new();
	for (number, (kind, ops, signatures)) in kinds.into_iter().enumerate() {
		assert!(!ops.is_empty(), "a {kind} batch of no ops");
		let mut builder = BatchBuilder::new(state, number as u64 + 1, NETWORK, 0, slots);
		for (op, signature) in &ops {
			builder.push(op, *signature).expect("op applies");
		}
		let (next, witness) = builder.finish().expect("the batch settles its fees");
		state = next;
		eprintln!("proving the {kind} batch…");
		let proof = groth16::prove(&key, witness.clone(), prover).unwrap();
		let words = EvmProof::from(&proof).words.map(U256::from_be_bytes);
		batches.push((kind, ops.len(), witness, words, signatures));
	}

	// The L1 side.
	let anvil = Anvil::start(&[]).unwrap();
	let deployer = oracle(9);
	let mut wallet = EthereumWallet::new(deployer.clone());
	for signer in users.iter().cloned().chain((0..3).map(oracle)) {
		wallet.register_signer(signer);
	}
	let provider = ProviderBuilder::new()
		.wallet(wallet)
		.connect_client(anvil.rpc_client())
		.erased();
	let everyone: Vec<Address> = users
		.iter()
		.map(|u| u.address())
		.chain((0..3).map(|i| oracle(i).address()))
		.chain([deployer.address()])
		.collect();
	for who in everyone {
		let _: serde_json::Value = provider
			.raw_request(
				"anvil_setBalance".into(),
				(who, U256::from(100) * U256::from(DEPOSIT)),
			)
			.await
			.unwrap();
	}
	let node: serde_json::Value = provider
		.raw_request("anvil_nodeInfo".into(), ())
		.await
		.unwrap();
	let verifier = send_tx(
		&provider,
		TransactionRequest::default().with_deploy_code(verifier_code),
	)
	.await
	.contract_address
	.unwrap();
	let rollup = ConcordRollup::deploy(
		provider.clone(),
		Config {
			verifier,
			// The run never enters exodus, so no exit is verified: any contract will do.
			exitVerifier: verifier,
			networkId: NETWORK,
			chainId: CHAIN.0,
			chainIds: vec![CHAIN.0],
			priorityExpiry: 3600,
			exodusGrace: 3600,
			requestFee: U256::ZERO,
			slotsPerBatch: slots as u32,
			genesisRoot: genesis,
			oracles: (0..3).map(|i| oracle(i).address()).collect(),
			threshold: U256::from(2),
			tokenIds: vec![ETH],
			tokenAddresses: vec![Address::ZERO],
		},
	)
	.await
	.unwrap();
	let domain = Domain {
		evm_chain_id: provider.get_chain_id().await.unwrap(),
		contract: *rollup.address(),
	};
	// Two of the three members' signatures of a digest.
	let quorum = |digest: &B256| -> Vec<Bytes> {
		(0..2)
			.map(|i| {
				Bytes::from(
					oracle(i)
						.sign_hash_sync(digest)
						.unwrap()
						.as_bytes()
						.to_vec(),
				)
			})
			.collect()
	};

	let mut deposit_gas = 0;
	for user in &users {
		let receipt = send(
			rollup
				.depositETH(user.address())
				.value(U256::from(DEPOSIT))
				.from(user.address()),
		)
		.await;
		deposit_gas = receipt.gas_used;
	}
	let mut rows = Vec::new();
	for (kind, ops, witness, proof, signatures) in &batches {
		if *kind == "FullExit" {
			for (i, user) in users.iter().enumerate().take(*ops) {
				send(rollup.requestFullExit(i as u32, ETH).from(user.address())).await;
			}
		}
		let pubdata = witness.pubdata();
		let pubdata_hash = B256::from(<[u8; 32]>::from(Sha256::digest(&pubdata)));
		let commit = send(rollup.commitBatches(vec![CommitBatchInfo {
			batchNumber: witness.batch_number,
			pubdata: pubdata.clone().into(),
			changePubKeySignatures: signatures.clone(),
			signatures: quorum(&domain.commit(witness.batch_number, pubdata_hash)),
		}]))
		.await;
		let prove = send(rollup.proveBatches(vec![ProveBatchInfo {
			batchNumber: witness.batch_number,
			newRoot: B256::from(fr_to_be_bytes(&witness.new_root)),
			proof: *proof,
			prover: U256::from_be_bytes(fr_to_be_bytes(&prover)),
		}]))
		.await;
		let verify = call_gas(&provider, prove.transaction_hash, verifier).await;
		let sync = rollup
			.storedBatch(witness.batch_number)
			.call()
			.await
			.unwrap()
			.syncHash;
		let execute = send(rollup.executeBatches(
			vec![ExecuteBatchInfo {
				batchNumber: witness.batch_number,
				payouts: payouts(&pubdata, CHAIN).unwrap(),
			}],
			quorum(&domain.execute(witness.batch_number, sync)),
		))
		.await;
		rows.push(Row {
			kind,
			ops: *ops,
			commit: commit.gas_used,
			prove: prove.gas_used,
			verify,
			execute: execute.gas_used,
		});
	}
	let full_exit_gas = {
		let receipt = send(rollup.requestFullExit(0, ETH).from(users[0].address())).await;
		receipt.gas_used
	};
	let withdraw_gas = send(rollup.withdrawPending(users[1].address(), ETH))
		.await
		.gas_used;

	println!(
		"N = {slots} slots ({} pubdata bytes per batch); anvil hardfork {}; one batch per \
		 transaction, gas of the whole transaction (21,000 base and calldata included)\n",
		concord_primitives::ops::batch_pubdata_len(slots),
		node["hardFork"].as_str().unwrap_or("unknown"),
	);
	println!(
		"| batch | ops | commit | per op | prove | of which Groth16 verifier | execute | per op |"
	);
	println!("|---|---|---|---|---|---|---|---|");
	for row in &rows {
		println!(
			"| {} | {} | {} | {} | {} | {} | {} | {} |",
			row.kind,
			row.ops,
			row.commit,
			row.commit / row.ops as u64,
			row.prove,
			row.verify,
			row.execute,
			row.execute / row.ops as u64
		);
	}
	println!("\n| L1 request | gas |\n|---|---|");
	println!("| depositETH | {deposit_gas} |");
	println!("| requestFullExit | {full_exit_gas} |");
	println!("| withdrawPending (ETH) | {withdraw_gas} |");
	eprintln!("done in {:.0?}", started.elapsed());
}
