//! Genesis presets build a valid genesis state with the intended validators and balances.

use crate::{
	genesis_config_presets::{get_preset, preset_names, DEV_NETWORK, ENDOWMENT},
	Runtime, RuntimeGenesisConfig,
};
use frame_support::genesis_builder_helper::build_state;
use serde_json::Value;
use sp_keyring::Sr25519Keyring;

/// Applies an RFC 7386 JSON merge patch (what the node does with a preset patch).
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (key, value) in patch {
				if value.is_null() {
					base.remove(&key);
				} else {
					merge(base.entry(key).or_insert(Value::Null), value);
				}
			}
		}
		(base, patch) => *base = patch,
	}
}

/// Builds the genesis storage of a preset, the way the node does for a chain spec.
fn genesis_of(preset: &str) -> sp_io::TestExternalities {
	let patch: Value =
		serde_json::from_slice(&get_preset(&preset.into()).expect("preset exists")).unwrap();
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut config, patch);
	let mut ext = sp_io::TestExternalities::default();
	ext.execute_with(|| {
		build_state::<RuntimeGenesisConfig>(serde_json::to_vec(&config).unwrap())
			.expect("genesis builds")
	});
	ext
}

#[test]
fn both_presets_are_listed() {
	assert_eq!(preset_names(), ["development", "local_testnet"]);
	assert!(get_preset(&"no_such_preset".into()).is_none());
}

#[test]
fn development_genesis_has_alice_as_sole_validator_and_sudo() {
	genesis_of("development").execute_with(|| {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(
			pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(),
			1
		);
		assert_eq!(
			pallet_sudo::Key::<Runtime>::get(),
			Some(Sr25519Keyring::Alice.to_account_id())
		);
		assert_eq!(
			pallet_balances::Pallet::<Runtime>::free_balance(Sr25519Keyring::Bob.to_account_id()),
			ENDOWMENT
		);
		// The dev setup's verifying key and Alice as the only oracle member (quorum 1).
		assert!(pallet_concord_proofs::Pallet::<Runtime>::key().is_some());
		let members = pallet_concord_oracle::Members::<Runtime>::get();
		assert_eq!(members.len(), 1);
		assert_eq!(members[0].account, Sr25519Keyring::Alice.to_account_id());
		assert_eq!(
			members[0].l1_address,
			crate::genesis_config_presets::ANVIL_ADDRESSES[0]
		);
		assert_eq!(
			pallet_concord_ledger::Network::<Runtime>::get(),
			DEV_NETWORK
		);
	});
}

#[test]
fn local_testnet_genesis_has_four_validators_and_three_oracle_members() {
	genesis_of("local_testnet").execute_with(|| {
		let aura: Vec<_> = pallet_aura::Authorities::<Runtime>::get().into_inner();
		let expected: Vec<sp_consensus_aura::sr25519::AuthorityId> = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.iter()
		.map(|k| k.public().into())
		.collect();
		assert_eq!(aura, expected);
		assert_eq!(
			pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(),
			4
		);
		assert_eq!(
			pallet_balances::Pallet::<Runtime>::total_issuance(),
			ENDOWMENT * Sr25519Keyring::well_known().count() as u128
		);
		let members: Vec<_> = pallet_concord_oracle::Members::<Runtime>::get()
			.into_iter()
			.map(|member| member.l1_address)
			.collect();
		assert_eq!(members, crate::genesis_config_presets::ANVIL_ADDRESSES);
	});
}

/// The oracle's idle-time pruning counts only what it did: a look at the chains' progress when
/// nothing is finished, nothing at all without room for one batch.
#[test]
fn oracle_pruning_accounts_for_its_weight() {
	use frame_support::{traits::Hooks, weights::Weight};
	genesis_of("development").execute_with(|| {
		let room = Weight::from_parts(1_000_000_000_000, 1_000_000);
		let looked = crate::Oracle::on_idle(1, room);
		assert!(looked.ref_time() > 0 && looked.all_lt(room), "{looked:?}");
		assert_eq!(crate::Oracle::on_idle(1, Weight::zero()), Weight::zero());
		assert_eq!(pallet_concord_oracle::LastFinished::<Runtime>::get(), 0);
	});
}

/// The oracle members' L1 addresses belong to anvil's development keys #0 to #2, which the
/// devnet's relayers sign with.
#[test]
fn oracle_addresses_are_anvils_development_accounts() {
	let keys = [
		"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
		"59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
		"5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
	];
	for (key, address) in keys
		.iter()
		.zip(crate::genesis_config_presets::ANVIL_ADDRESSES)
	{
		let bytes: Vec<u8> = (0..32)
			.map(|i| u8::from_str_radix(&key[2 * i..2 * i + 2], 16).unwrap())
			.collect();
		let key = k256::ecdsa::SigningKey::from_slice(&bytes).unwrap();
		assert_eq!(
			concord_primitives::ops::eth_address(key.verifying_key()),
			address
		);
	}
}

mod l2_ops {
	//! An L2 op travels as a general transaction with no appchain signer, authorised by its L2
	//! signature through `AuthorizeCall`, and pays no CORD.

	use super::genesis_of;
	use crate::{
		genesis_config_presets::{DEV_FEE_TOKEN, DEV_MIN_FEE, DEV_NETWORK},
		Executive, Ledger, Runtime, RuntimeCall, RuntimeOrigin, System, UncheckedExtrinsic,
	};
	use concord_primitives::{
		eddsa::PrivateKey,
		ops::{ChainId, ChangePubKey, Deposit, Op, SignedOp},
	};
	use sp_runtime::{
		traits::Header as _,
		transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
	};

	/// Alice's deposit of the fee token.
	const DEPOSIT: u128 = 1_000 * DEV_MIN_FEE;

	/// Alice's Ethereum key, which owns her L2 account.
	fn alice_l1_key() -> k256::ecdsa::SigningKey {
		k256::ecdsa::SigningKey::from_bytes(&[0xa1; 32].into()).unwrap()
	}

	fn alice_l1() -> [u8; 20] {
		concord_primitives::ops::eth_address(alice_l1_key().verifying_key())
	}

	/// Alice's L1 address deposited on chain 1 (account 0, also the fee account); her L2 key
	/// signs a ChangePubKey for it, which her Ethereum key authorises.
	fn set_key_transaction(signer: &PrivateKey) -> UncheckedExtrinsic {
		let key = PrivateKey([1; 32]);
		let change = ChangePubKey {
			chain_id: ChainId(1),
			account: 0,
			new_pubkey: key.public_key().pack(),
			fee_token: DEV_FEE_TOKEN,
			fee: DEV_MIN_FEE,
			nonce: 0,
		};
		let eth_signature = concord_primitives::ops::eth_sign(
			&alice_l1_key(),
			&change.eth_message_hash(DEV_NETWORK),
		);
		let op = Op::ChangePubKey(change);
		let signature = signer.sign(op.signed_message(DEV_NETWORK).unwrap()).pack();
		let call = RuntimeCall::Ledger(pallet_concord_ledger::Call::change_pubkey {
			op: SignedOp { op, signature },
			eth_signature,
		});
		UncheckedExtrinsic::new_transaction(call, crate::immortal_tx_extension(0))
	}

	fn with_alice_deposited(test: impl FnOnce()) {
		genesis_of("development").execute_with(|| {
			let root = RuntimeOrigin::root();
			Ledger::register_chain(root.clone(), ChainId(1), 31337, [0xc1; 20]).unwrap();
			Ledger::register_token(root.clone(), DEV_FEE_TOKEN, ChainId(1), [0; 20], 18).unwrap();
			Ledger::apply_priority(&Op::Deposit(Deposit {
				chain_id: ChainId(1),
				priority_id: 0,
				to_address: alice_l1(),
				token: DEV_FEE_TOKEN,
				amount: DEPOSIT,
			}))
			.unwrap();
			Ledger::set_fee_account(root, 0).unwrap();
			let header = crate::Header::new(
				1,
				Default::default(),
				Default::default(),
				System::block_hash(0),
				Default::default(),
			);
			Executive::initialize_block(&header);
			test();
		});
	}

	#[test]
	fn an_l2_signed_op_is_valid_and_applies_without_an_appchain_signer() {
		with_alice_deposited(|| {
			let transaction = set_key_transaction(&PrivateKey([1; 32]));
			let validity = Executive::validate_transaction(
				TransactionSource::External,
				transaction.clone(),
				System::block_hash(0),
			)
			.expect("valid");
			assert!(!validity.provides.is_empty());
			assert_eq!(Executive::apply_extrinsic(transaction), Ok(Ok(())));
			let account = pallet_concord_ledger::Accounts::<Runtime>::get(0).unwrap();
			assert_eq!(account.nonce, 1);
			assert_ne!(account.pubkey, [0; 64]);
			// The deposit and the key change wait in the open batch.
			let open = pallet_concord_batches::Open::<Runtime>::get().unwrap();
			assert_eq!(
				(open.fee_account, open.op_count, open.chunks.len()),
				(0, 2, 3 + 4)
			);
			// The runtime API serves the account by id and by address.
			let view = crate::concord_queries::account(0).unwrap();
			assert_eq!((view.l1_address, view.nonce), (alice_l1(), 1));
			// Alice paid the fee; it reaches the fee account, hers, when the batch is sealed.
			assert_eq!(view.balances, vec![(DEV_FEE_TOKEN, DEPOSIT - DEV_MIN_FEE)]);
			let fees = pallet_concord_ledger::OpenBatchFees::<Runtime>::get()
				.unwrap()
				.fees;
			assert_eq!(fees.registers(), [(DEV_FEE_TOKEN, DEV_MIN_FEE)]);
			assert_eq!(
				pallet_concord_ledger::PubkeyAuthorizations::<Runtime>::iter().count(),
				1
			);
		});
	}

	#[test]
	fn an_l2_op_signed_by_another_key_is_refused() {
		with_alice_deposited(|| {
			let transaction = set_key_transaction(&PrivateKey([2; 32]));
			assert_eq!(
				Executive::validate_transaction(
					TransactionSource::External,
					transaction.clone(),
					System::block_hash(0),
				),
				Err(TransactionValidityError::Invalid(
					InvalidTransaction::BadProof
				))
			);
			assert!(Executive::apply_extrinsic(transaction).is_err());
			assert_eq!(
				pallet_concord_ledger::Accounts::<Runtime>::get(0)
					.unwrap()
					.nonce,
				0
			);
		});
	}

	#[test]
	fn an_l2_op_below_the_minimum_fee_is_refused_by_the_pool_with_the_rule_named() {
		with_alice_deposited(|| {
			let call = RuntimeCall::Ledger(pallet_concord_ledger::Call::submit {
				op: signed_transfer(DEV_MIN_FEE - 1),
			});
			let transaction =
				UncheckedExtrinsic::new_transaction(call, crate::immortal_tx_extension(0));
			assert_eq!(
				Executive::validate_transaction(
					TransactionSource::External,
					transaction,
					System::block_hash(0),
				),
				Err(Ledger::refusal(
					pallet_concord_ledger::Error::<Runtime>::FeeBelowMinimum
				))
			);
		});
	}

	/// Alice's (account 0) transfer of 1 to a new address, paying `fee`.
	fn signed_transfer(fee: u128) -> SignedOp {
		let op = Op::TransferToNew(concord_primitives::ops::TransferToNew {
			from: 0,
			to_address: [0x77; 20],
			token: DEV_FEE_TOKEN,
			amount: 1,
			fee,
			nonce: 1,
		});
		let signature = PrivateKey([1; 32])
			.sign(op.signed_message(DEV_NETWORK).unwrap())
			.pack();
		SignedOp { op, signature }
	}
}

mod admission {
	//! L2 load cannot crowd out the oracle, the provers or governance: their calls are
	//! `Operational` and rank above every L2 op in the pool.

	use crate::{configs::MAX_L2_OP_PRIORITY, Runtime, RuntimeCall, TransactionPayment};
	use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
	use pallet_concord_oracle::Attestation;
	use pallet_transaction_payment::ChargeTransactionPayment;

	fn untipped_priority(call: &RuntimeCall) -> (DispatchClass, u64) {
		let info = call.get_dispatch_info();
		let len = codec::Encode::encoded_size(call) as u32 + 100;
		super::genesis_of("development").execute_with(|| {
			let fee = TransactionPayment::compute_fee(len, &info, 0);
			(
				info.class,
				ChargeTransactionPayment::<Runtime>::get_priority(&info, len as usize, 0, fee),
			)
		})
	}

	#[test]
	fn oracle_prover_and_governance_calls_outrank_every_l2_op() {
		let calls = [
			RuntimeCall::Oracle(pallet_concord_oracle::Call::sign_execute {
				batch: 1,
				signatures: Default::default(),
			}),
			RuntimeCall::Oracle(pallet_concord_oracle::Call::attest {
				attestation: Attestation::Committed {
					chain: concord_primitives::ops::ChainId(1),
					batch: 1,
					pubdata_hash: [0; 32],
				},
			}),
			RuntimeCall::Proofs(pallet_concord_proofs::Call::submit_proof {
				batch: 1,
				new_root: [0; 32],
				proof: Default::default(),
			}),
			RuntimeCall::Sudo(pallet_sudo::Call::sudo {
				call: Box::new(RuntimeCall::Ledger(
					pallet_concord_ledger::Call::set_fee_account { account: 0 },
				)),
			}),
		];
		for call in calls {
			let (class, priority) = untipped_priority(&call);
			assert_eq!(class, DispatchClass::Operational, "{call:?}");
			assert!(
				priority > 100 * MAX_L2_OP_PRIORITY,
				"{call:?} ranks {priority}, the highest L2 op {MAX_L2_OP_PRIORITY}"
			);
		}
	}
}
