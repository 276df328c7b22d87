//! The shared fixture of the contract tests: one Groth16 key (N = 7 slots), one exit key and
//! their verifiers compiled once per test binary, a scenario of four real batches with real proofs, and a
//! fresh anvil with the contracts deployed for every test.

use alloy::{
	network::{EthereumWallet, TransactionBuilder},
	primitives::{Address, Bytes, B256, U256},
	providers::{DynProvider, Provider, ProviderBuilder},
	rpc::types::{TransactionReceipt, TransactionRequest},
	signers::{local::PrivateKeySigner, SignerSync},
};
use concord_circuits::{
	evm::{solidity_verifier, EvmProof},
	groth16::{self, BatchProvingKey, ExitProvingKey},
	witness::{BatchBuilder, BatchWitness},
};
use concord_contracts::{
	anvil::Anvil,
	bindings::{NoBoolToken, TestToken},
	digest::Domain,
	payouts,
	tools::compile_verifier,
	ConcordRollup::{
		self, CommitBatchInfo, ConcordRollupErrors, ConcordRollupInstance, Config,
		ExecuteBatchInfo, PriorityRequestInfo, ProveBatchInfo,
	},
	Payout,
};
use concord_primitives::{
	account::TokenId,
	commitment::{fr_to_be_bytes, prover_input, sync_hash, GENESIS_SYNC_HASH},
	eddsa::PrivateKey,
	exit::{exit_witness, ExitClaim},
	ops::{ChainId, ChangePubKey, Deposit, FullExit, NetworkId, Op, Withdraw},
	stf::TreeState,
	Fr,
};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Slots of the test circuit, one chunk each: the fewest with room for the largest test batch
/// (a deposit or a withdrawal and a key change, 3 + 4 chunks), which also leaves a Noop chunk
/// after batch 1's two deposits (3 + 3) for the truncation test.
pub const SLOTS: usize = 7;
/// This contract's Concord chain id, and another chain of the system, whose ops it only
/// hashes (key changes excepted: it checks their owners' signatures too).
/// The network the tests' contract is deployed for and their ops are signed on.
pub const NETWORK: NetworkId = 0x0c0d_0005;
pub const CHAIN: ChainId = ChainId(1);
pub const OTHER_CHAIN: ChainId = ChainId(2);
/// A chain id the contract does not know.
pub const UNKNOWN_CHAIN: ChainId = ChainId(3);
/// L2 token ids: the native coin, a standard ERC-20 and one whose transfers return no bool.
pub const ETH: TokenId = 0;
pub const TOKEN: TokenId = 1;
pub const NO_BOOL: TokenId = 2;
/// Seconds before a priority request expires.
pub const EXPIRY: u64 = 3600;
/// The tests' exodus grace: seconds from exodus to the first refund.
pub const GRACE: u64 = 600;
/// The EVM chain id anvil reports by default.
pub const EVM_CHAIN_ID: u64 = 31337;

pub const ONE_ETH: u128 = 1_000_000_000_000_000_000;

/// An L1 key from a fixed seed byte.
pub fn key(seed: u8) -> PrivateKeySigner {
	PrivateKeySigner::from_bytes(&B256::repeat_byte(seed)).expect("a valid secp256k1 key")
}

pub fn deployer() -> PrivateKeySigner {
	key(0xde)
}
pub fn operator() -> PrivateKeySigner {
	key(0x0f)
}
pub fn alice() -> PrivateKeySigner {
	key(0xa1)
}
pub fn bob() -> PrivateKeySigner {
	key(0xb0)
}
/// Three oracle members, threshold two.
pub fn oracles() -> [PrivateKeySigner; 3] {
	[key(0x01), key(0x02), key(0x03)]
}
pub const THRESHOLD: u64 = 2;
/// Alice's L2 key.
pub fn alice_l2() -> PrivateKey {
	PrivateKey([7; 32])
}

pub fn addr(signer: &PrivateKeySigner) -> [u8; 20] {
	signer.address().into_array()
}

pub fn word(x: &Fr) -> B256 {
	B256::from(fr_to_be_bytes(x))
}

/// The keys and verifiers shared by every test.
pub struct Keys {
	pub key: BatchProvingKey,
	pub verifier: Bytes,
	pub exit_key: ExitProvingKey,
	pub exit_verifier: Bytes,
}

/// Generates the test keys (insecure development setup) and compiles their verifiers with the
/// pinned solc, once per test binary.
pub fn keys() -> &'static Keys {
	static KEYS: OnceLock<Keys> = OnceLock::new();
	KEYS.get_or_init(|| {
		let key = groth16::dev_setup(SLOTS, "concord-contracts-tests").expect("setup");
		let verifier = compile_verifier(&solidity_verifier(&key.key.vk)).expect("solc");
		let exit_key = groth16::dev_exit_setup("concord-contracts-tests").expect("exit setup");
		let exit_verifier = compile_verifier(&solidity_verifier(&exit_key.vk)).expect("solc");
		Keys {
			key,
			verifier,
			exit_key,
			exit_verifier,
		}
	})
}

/// The L2 state with the registries of the tests: chain 1 with ETH, TOKEN, NO_BOOL; chain 2
/// with ETH.
pub fn genesis_state() -> TreeState {
	let mut state = TreeState::new();
	for (chain, tokens) in [
		(CHAIN, &[ETH, TOKEN, NO_BOOL][..]),
		(OTHER_CHAIN, &[ETH][..]),
	] {
		state.registry_mut().add_chain(chain);
		for &token in tokens {
			state.registry_mut().register_token(chain, token).unwrap();
		}
	}
	state
}

pub fn genesis_root() -> B256 {
	word(&genesis_state().tree().root())
}

/// A sealed batch as relayers would submit it.
pub struct Batch {
	pub witness: BatchWitness,
	pub pubdata: Vec<u8>,
	pub change_pubkey_signatures: Vec<Bytes>,
}

impl Batch {
	pub fn number(&self) -> u64 {
		self.witness.batch_number
	}

	pub fn new_root(&self) -> B256 {
		word(&self.witness.new_root)
	}

	pub fn commitment(&self) -> Fr {
		self.witness.commitment()
	}

	pub fn payouts(&self) -> Vec<Payout> {
		payouts(&self.pubdata, CHAIN).unwrap()
	}

	pub fn execute_info(&self) -> ExecuteBatchInfo {
		ExecuteBatchInfo {
			batchNumber: self.number(),
			payouts: self.payouts(),
		}
	}
}

/// Builds batches on the L2 state, op by op, with the shared STF.
pub struct Sequencer {
	state: Option<TreeState>,
	next: u64,
}

impl Sequencer {
	pub fn new() -> Self {
		Self::on(genesis_state())
	}

	/// A sequencer whose first batch starts from `state`.
	pub fn on(state: TreeState) -> Self {
		Sequencer {
			state: Some(state),
			next: 1,
		}
	}

	/// The state after the last batch.
	pub fn into_state(self) -> TreeState {
		self.state.expect("state")
	}

	/// Seals the next batch of `ops` (with their L2 signatures), fees to account 0.
	pub fn batch(&mut self, ops: &[(Op, Option<[u8; 64]>)], signatures: Vec<Bytes>) -> Batch {
		let state = self.state.take().expect("state");
		let mut builder = BatchBuilder::new(state, self.next, NETWORK, 0, SLOTS);
		for (op, signature) in ops {
			builder.push(op, *signature).expect("op applies");
		}
		let (state, witness) = builder.finish().expect("the batch settles its fees");
		self.state = Some(state);
		self.next += 1;
		let pubdata = witness.pubdata();
		Batch {
			witness,
			pubdata,
			change_pubkey_signatures: signatures,
		}
	}
}

pub fn deposit(chain: ChainId, priority_id: u64, to: [u8; 20], token: TokenId, amount: u128) -> Op {
	Op::Deposit(Deposit {
		chain_id: chain,
		priority_id,
		to_address: to,
		token,
		amount,
	})
}

/// Alice's key change on account 1, with her L2 signature, and her Ethereum authorization.
pub fn alice_change_pubkey(chain: ChainId) -> ((Op, Option<[u8; 64]>), ChangePubKey, Bytes) {
	let change = ChangePubKey {
		chain_id: chain,
		account: 1,
		new_pubkey: alice_l2().public_key().pack(),
		fee_token: ETH,
		fee: 0,
		nonce: 0,
	};
	let op = Op::ChangePubKey(change);
	let l2 = alice_l2().sign(op.signed_message(NETWORK).unwrap()).pack();
	let eth = alice()
		.sign_message_sync(&change.eth_message(NETWORK))
		.unwrap();
	((op, Some(l2)), change, Bytes::from(eth.as_bytes().to_vec()))
}

pub fn l2_signed(op: Op) -> (Op, Option<[u8; 64]>) {
	let signature = alice_l2().sign(op.signed_message(NETWORK).unwrap()).pack();
	(op, Some(signature))
}

/// The first two batches of the scenario (deposits and Alice's key change), which most tests
/// build on; no proofs.
pub fn first_batches() -> (Sequencer, Batch, Batch) {
	let mut seq = Sequencer::new();
	let b1 = seq.batch(
		&[
			(deposit(CHAIN, 0, addr(&operator()), ETH, 1), None),
			(deposit(CHAIN, 1, addr(&alice()), ETH, ONE_ETH), None),
		],
		vec![],
	);
	let ((cpk, l2), _, eth) = alice_change_pubkey(CHAIN);
	let b2 = seq.batch(
		&[
			(deposit(CHAIN, 2, addr(&alice()), TOKEN, 500), None),
			(cpk, l2),
		],
		vec![eth],
	);
	(seq, b1, b2)
}

/// The withdrawal amount of batch 3.
pub const WITHDRAWN: u128 = ONE_ETH / 4;

/// The whole scenario, on chain 1 unless said otherwise:
/// 1. Deposit p0 (operator, 1 wei), Deposit p1 (Alice, 1 ETH)
/// 2. Deposit p2 (Alice, 500 TOKEN), ChangePubKey (Alice, with her Ethereum signature)
/// 3. Withdraw (Alice, 1/4 ETH, fee 1 wei), FullExit p3 (Alice, TOKEN: 500)
/// 4. Deposit p0 of chain 2 (Bob, 5 wei), Withdraw (Alice, 2 wei to chain 2): ignored here
pub struct Scenario {
	pub batches: Vec<Batch>,
	pub proofs: Vec<[U256; 8]>,
	/// The L2 state after the last batch.
	pub state: TreeState,
}

pub fn scenario() -> &'static Scenario {
	static SCENARIO: OnceLock<Scenario> = OnceLock::new();
	SCENARIO.get_or_init(|| {
		let (mut seq, b1, b2) = first_batches();
		let b3 = seq.batch(
			&[
				l2_signed(Op::Withdraw(Withdraw {
					from: 1,
					to_chain: CHAIN,
					to_address: addr(&alice()),
					token: ETH,
					amount: WITHDRAWN,
					fee: 1,
					nonce: 1,
				})),
				(
					Op::FullExit(FullExit {
						chain_id: CHAIN,
						priority_id: 3,
						account: 1,
						owner: addr(&alice()),
						token: TOKEN,
					}),
					None,
				),
			],
			vec![],
		);
		let b4 = seq.batch(
			&[
				(deposit(OTHER_CHAIN, 0, addr(&bob()), ETH, 5), None),
				l2_signed(Op::Withdraw(Withdraw {
					from: 1,
					to_chain: OTHER_CHAIN,
					to_address: addr(&alice()),
					token: ETH,
					amount: 2,
					fee: 0,
					nonce: 2,
				})),
			],
			vec![],
		);
		let batches = vec![b1, b2, b3, b4];
		let proofs = batches.iter().map(|batch| prove(&batch.witness)).collect();
		let state = seq.into_state();
		Scenario {
			batches,
			proofs,
			state,
		}
	})
}

/// The prover input the scenario's proofs are bound to: an appchain account's.
pub fn prover() -> Fr {
	prover_input(&[0x70; 32])
}

/// A real Groth16 proof of the batch by [`prover`], as EVM words; checked natively first.
pub fn prove(witness: &BatchWitness) -> [U256; 8] {
	let keys = keys();
	let proof = groth16::prove(&keys.key, witness.clone(), prover()).expect("prove");
	assert!(groth16::verify(
		&keys.key.key.vk,
		witness.commitment(),
		prover(),
		&proof
	));
	EvmProof::from(&proof).words.map(|w| U256::from_be_bytes(w))
}

/// An exit of `account`'s balance of `token` on `chain` at `state`: the claim the proof shows
/// and a real exit proof of it, checked natively first.
pub fn exit_proof(
	state: &TreeState,
	account: u32,
	token: TokenId,
	chain: ChainId,
) -> (ExitClaim, [U256; 8]) {
	let keys = keys();
	let witness = exit_witness(state.tree(), account, token, chain.0).expect("an exit witness");
	assert!(witness.verify());
	let proof = groth16::prove_exit(&keys.exit_key, witness).expect("prove the exit");
	assert!(groth16::verify_exit(
		&keys.exit_key.vk,
		&witness.claim,
		&proof
	));
	(
		witness.claim,
		EvmProof::from(&proof).words.map(|w| U256::from_be_bytes(w)),
	)
}

/// `performExodus` for `claim` with `proof`, as the contract takes it.
pub fn perform_exodus<'a>(
	rollup: &'a Rollup,
	claim: &ExitClaim,
	proof: [U256; 8],
) -> alloy::contract::CallBuilder<
	&'a DynProvider,
	std::marker::PhantomData<ConcordRollup::performExodusCall>,
> {
	rollup.performExodus(
		claim.account,
		claim.token,
		Address::from(claim.l1_address),
		claim.balance,
		claim.reserve,
		U256::from_be_bytes(fr_to_be_bytes(&claim.total)),
		proof,
	)
}

/// What `performExodus` pays for `claim`: `balance · reserve / total`, rounded down.
pub fn exit_share(claim: &ExitClaim) -> U256 {
	let total = U256::from_be_bytes(fr_to_be_bytes(&claim.total));
	U256::from(claim.balance) * U256::from(claim.reserve) / total
}

impl Scenario {
	pub fn prove_info(&self, index: usize) -> ProveBatchInfo {
		ProveBatchInfo {
			batchNumber: self.batches[index].number(),
			newRoot: self.batches[index].new_root(),
			proof: self.proofs[index],
			prover: U256::from_be_bytes(fr_to_be_bytes(&prover())),
		}
	}

	/// The sync hash of batch `index + 1`, chained over the batches before it.
	pub fn sync_hash(&self, index: usize) -> B256 {
		let mut hash = GENESIS_SYNC_HASH;
		for batch in &self.batches[..=index] {
			hash = sync_hash(hash, batch.number(), batch.commitment());
		}
		B256::from(hash)
	}
}

pub type Rollup = ConcordRollupInstance<DynProvider>;

/// A fresh anvil with the verifier, two test tokens and a rollup deployed.
pub struct Chain {
	/// Kept for the chain's lifetime: dropping it stops anvil.
	_anvil: Anvil,
	pub provider: DynProvider,
	pub rollup: Rollup,
	pub token: TestToken::TestTokenInstance<DynProvider>,
	pub no_bool: NoBoolToken::NoBoolTokenInstance<DynProvider>,
	pub verifier: Address,
	pub exit_verifier: Address,
}

/// Everyone who sends transactions in the tests.
pub fn signers() -> Vec<PrivateKeySigner> {
	let mut all = vec![deployer(), operator(), alice(), bob()];
	all.extend(oracles());
	all
}

pub async fn connect(anvil: &Anvil) -> DynProvider {
	let mut wallet = EthereumWallet::new(deployer());
	for signer in signers().into_iter().skip(1) {
		wallet.register_signer(signer);
	}
	let provider = ProviderBuilder::new()
		.wallet(wallet)
		.connect_client(anvil.rpc_client())
		.erased();
	for signer in signers() {
		let _: serde_json::Value = provider
			.raw_request(
				"anvil_setBalance".into(),
				(signer.address(), U256::from(1_000u64) * U256::from(ONE_ETH)),
			)
			.await
			.unwrap();
	}
	provider
}

pub async fn deploy_code(provider: &DynProvider, code: Bytes) -> Address {
	let receipt = provider
		.send_transaction(TransactionRequest::default().with_deploy_code(code))
		.await
		.unwrap()
		.get_receipt()
		.await
		.unwrap();
	assert!(receipt.status());
	receipt.contract_address.unwrap()
}

/// The deployment parameters of the tests, for verifiers and tokens at these addresses:
/// chains 1 and 2, no request fee.
pub fn config(
	verifier: Address,
	exit_verifier: Address,
	token: Address,
	no_bool: Address,
) -> Config {
	Config {
		verifier,
		exitVerifier: exit_verifier,
		networkId: NETWORK,
		chainId: CHAIN.0,
		chainIds: vec![CHAIN.0, OTHER_CHAIN.0],
		priorityExpiry: EXPIRY,
		exodusGrace: GRACE,
		requestFee: U256::ZERO,
		slotsPerBatch: SLOTS as u32,
		genesisRoot: genesis_root(),
		oracles: oracles().iter().map(|o| o.address()).collect(),
		threshold: U256::from(THRESHOLD),
		tokenIds: vec![ETH, TOKEN, NO_BOOL],
		tokenAddresses: vec![Address::ZERO, token, no_bool],
	}
}

impl Chain {
	/// Anvil with the contracts; the rollup's verifier is the test key's.
	pub async fn start() -> Chain {
		Chain::start_with(|config| config).await
	}

	/// [`Chain::start`] with the rollup deployed with `adjust(config(…))`.
	pub async fn start_with(adjust: impl FnOnce(Config) -> Config) -> Chain {
		let verifier_code = keys().verifier.clone();
		let anvil = Anvil::start(&[]).expect("anvil");
		let provider = connect(&anvil).await;
		let verifier = deploy_code(&provider, verifier_code).await;
		let exit_verifier = deploy_code(&provider, keys().exit_verifier.clone()).await;
		let token = TestToken::deploy(provider.clone(), "Test".into(), "TST".into())
			.await
			.unwrap();
		let no_bool = NoBoolToken::deploy(provider.clone()).await.unwrap();
		let rollup = ConcordRollup::deploy(
			provider.clone(),
			adjust(config(
				verifier,
				exit_verifier,
				*token.address(),
				*no_bool.address(),
			)),
		)
		.await
		.unwrap();
		for owner in [alice(), bob(), operator()] {
			let to = owner.address();
			send(token.mint(to, U256::from(1_000_000u64))).await;
			send(no_bool.mint(to, U256::from(1_000_000u64))).await;
			send(token.approve(*rollup.address(), U256::MAX).from(to)).await;
			send(no_bool.approve(*rollup.address(), U256::MAX).from(to)).await;
		}
		Chain {
			_anvil: anvil,
			provider,
			rollup,
			token,
			no_bool,
			verifier,
			exit_verifier,
		}
	}

	pub fn domain(&self) -> Domain {
		Domain {
			evm_chain_id: EVM_CHAIN_ID,
			contract: *self.rollup.address(),
		}
	}

	/// The first two scenario requests: p0 (operator, 1 wei), p1 (Alice, 1 ETH).
	pub async fn request_batch1(&self) {
		let operator = operator().address();
		send(
			self.rollup
				.depositETH(operator)
				.value(U256::from(1))
				.from(operator),
		)
		.await;
		let alice = alice().address();
		send(
			self.rollup
				.depositETH(alice)
				.value(U256::from(ONE_ETH))
				.from(alice),
		)
		.await;
	}

	/// p2: Alice deposits 500 TOKEN.
	pub async fn request_batch2(&self) {
		let alice = alice().address();
		send(
			self.rollup
				.depositERC20(*self.token.address(), 500, alice)
				.from(alice),
		)
		.await;
	}

	/// p3: Alice asks to exit her TOKEN balance of account 1.
	pub async fn request_batch3(&self) {
		let alice = alice().address();
		send(self.rollup.requestFullExit(1, TOKEN).from(alice)).await;
	}

	/// Every L1 request of the scenario, in order.
	pub async fn request_all(&self) {
		self.request_batch1().await;
		self.request_batch2().await;
		self.request_batch3().await;
	}

	/// Commits `batches`, signed by a quorum, sent by the operator (not a member: anyone may
	/// submit a quorum-signed batch).
	pub async fn commit(&self, batches: &[&Batch]) -> TransactionReceipt {
		let infos = batches.iter().map(|b| self.commit_info(b)).collect();
		send(self.rollup.commitBatches(infos).from(operator().address())).await
	}

	/// `batch` as `commitBatches` takes it, with its key-change signatures and members 0 and
	/// 1's signatures of its commit digest.
	pub fn commit_info(&self, batch: &Batch) -> CommitBatchInfo {
		self.signed(CommitBatchInfo {
			batchNumber: batch.number(),
			pubdata: batch.pubdata.clone().into(),
			changePubKeySignatures: batch.change_pubkey_signatures.clone(),
			signatures: vec![],
		})
	}

	/// `info` with members 0 and 1's signatures of the commit digest of its number and pubdata.
	pub fn signed(&self, info: CommitBatchInfo) -> CommitBatchInfo {
		let signatures = self.commit_signatures(info.batchNumber, &info.pubdata, &[0, 1]);
		CommitBatchInfo { signatures, ..info }
	}

	/// The signatures of the members at `indexes` of the commit digest of batch `number` with
	/// `pubdata`.
	pub fn commit_signatures(&self, number: u64, pubdata: &[u8], indexes: &[usize]) -> Vec<Bytes> {
		let pubdata_hash = B256::from(<[u8; 32]>::from(Sha256::digest(pubdata)));
		self.sign(self.domain().commit(number, pubdata_hash), indexes)
	}

	/// Oracle signatures of `digest` by the members at `indexes`.
	pub fn sign(&self, digest: B256, indexes: &[usize]) -> Vec<Bytes> {
		let members = oracles();
		indexes
			.iter()
			.map(|&i| {
				Bytes::from(
					members[i]
						.sign_hash_sync(&digest)
						.unwrap()
						.as_bytes()
						.to_vec(),
				)
			})
			.collect()
	}

	pub async fn execute_signatures(&self, batch_number: u64) -> Vec<Bytes> {
		let stored = self.rollup.storedBatch(batch_number).call().await.unwrap();
		self.sign(
			self.domain().execute(batch_number, stored.syncHash),
			&[0, 1],
		)
	}

	/// The timestamp of the latest block.
	pub async fn now(&self) -> u64 {
		self.provider
			.get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
			.await
			.unwrap()
			.unwrap()
			.header
			.timestamp
	}

	/// Sets the timestamp of the next block anvil mines.
	pub async fn next_timestamp(&self, timestamp: u64) {
		let _: serde_json::Value = self
			.provider
			.raw_request("evm_setNextBlockTimestamp".into(), (timestamp,))
			.await
			.unwrap();
	}

	/// Mines an empty block at `timestamp`.
	pub async fn mine_at(&self, timestamp: u64) {
		self.next_timestamp(timestamp).await;
		let _: serde_json::Value = self
			.provider
			.raw_request("evm_mine".into(), ())
			.await
			.unwrap();
	}

	/// Advances anvil's clock by `seconds` and mines a block.
	pub async fn advance(&self, seconds: u64) {
		concord_contracts::anvil::advance_time(&self.provider, seconds)
			.await
			.unwrap();
	}

	pub async fn eth_balance(&self, who: Address) -> U256 {
		self.provider.get_balance(who).await.unwrap()
	}

	/// A deposit request as its event told it, for cancellations.
	pub fn deposit_request(to: Address, token: TokenId, amount: u128) -> PriorityRequestInfo {
		PriorityRequestInfo {
			opType: 1,
			accountId: 0,
			l1Address: to,
			token,
			amount,
		}
	}
}

/// Sends a transaction and requires it to succeed.
pub async fn send<P, D>(call: alloy::contract::CallBuilder<P, D>) -> TransactionReceipt
where
	P: Provider,
	D: alloy::contract::CallDecoder,
{
	let receipt = call
		.send()
		.await
		.unwrap_or_else(|error| panic!("transaction rejected: {error}"))
		.get_receipt()
		.await
		.unwrap();
	assert!(receipt.status(), "transaction reverted: {receipt:?}");
	receipt
}

/// The rollup error a call reverted with (simulated with `eth_call`, which changes nothing).
pub async fn revert_of<P, D>(call: alloy::contract::CallBuilder<P, D>) -> ConcordRollupErrors
where
	P: Provider,
	D: alloy::contract::CallDecoder,
{
	let error = match call.call_raw().await {
		Ok(output) => panic!("the call succeeded with {output}"),
		Err(error) => error,
	};
	error
		.as_decoded_interface_error::<ConcordRollupErrors>()
		.unwrap_or_else(|| panic!("not a ConcordRollup error: {error}"))
}
