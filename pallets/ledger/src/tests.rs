use crate::{mock::*, pallet::*, Error, Event};
use concord_primitives::{
	account::TokenId,
	eddsa::PrivateKey,
	ops::{
		eth_address, ChainId, ChangePubKey, Deposit, FullExit, Op, OpType, SignedOp, Transfer,
		TransferToNew, Withdraw,
	},
};
use frame_support::{
	assert_noop, assert_ok,
	pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
	traits::Authorize,
	BoundedVec,
};
use sp_runtime::DispatchError;

const OPERATOR: [u8; 20] = [0x0f; 20];

/// The Ethereum key with this seed byte: account owners sign their key changes with it.
fn owner(seed: u8) -> k256::ecdsa::SigningKey {
	k256::ecdsa::SigningKey::from_bytes(&[seed; 32].into()).unwrap()
}

fn address(seed: u8) -> [u8; 20] {
	eth_address(owner(seed).verifying_key())
}

fn alice() -> [u8; 20] {
	address(0xa1)
}

fn bob() -> [u8; 20] {
	address(0xb0)
}

fn key(seed: u8) -> PrivateKey {
	PrivateKey([seed; 32])
}

fn deposit(chain: u8, priority_id: u64, to: [u8; 20], amount: u128) -> Op {
	Op::Deposit(Deposit {
		chain_id: ChainId(chain),
		priority_id,
		to_address: to,
		token: 1,
		amount,
	})
}

fn signed(key: &PrivateKey, op: Op) -> SignedOp {
	let signature = key.sign(op.signed_message(NETWORK).unwrap()).pack();
	SignedOp { op, signature }
}

/// `account`'s ChangePubKey to `key`, signed by `key`, and its owner's (`owner(owner_seed)`)
/// Ethereum authorization.
fn set_key(account: u32, owner_seed: u8, key: &PrivateKey, nonce: u32) -> (SignedOp, [u8; 65]) {
	set_key_paying(account, owner_seed, key, nonce, MIN_FEE)
}

/// [`set_key`] paying `fee`.
fn set_key_paying(
	account: u32,
	owner_seed: u8,
	key: &PrivateKey,
	nonce: u32,
	fee: u128,
) -> (SignedOp, [u8; 65]) {
	let change = ChangePubKey {
		chain_id: ChainId(1),
		account,
		new_pubkey: key.public_key().pack(),
		fee_token: 1,
		fee,
		nonce,
	};
	let eth_signature =
		concord_primitives::ops::eth_sign(&owner(owner_seed), &change.eth_message_hash(NETWORK));
	(signed(key, Op::ChangePubKey(change)), eth_signature)
}

fn change((op, eth_signature): (SignedOp, [u8; 65])) -> sp_runtime::DispatchResult {
	Ledger::change_pubkey(
		frame_system::RawOrigin::Authorized.into(),
		op,
		eth_signature,
	)
}

fn transfer(amount: u128, fee: u128, nonce: u32) -> Op {
	Op::Transfer(Transfer {
		from: 1,
		to: 2,
		token: 1,
		amount,
		fee,
		nonce,
	})
}

fn authorize(
	op: &SignedOp,
) -> Result<sp_runtime::transaction_validity::ValidTransaction, TransactionValidityError> {
	RuntimeCall::Ledger(Call::submit { op: *op })
		.authorize(TransactionSource::External)
		.expect("submit is authorized by its signature")
		.map(|(validity, _)| validity)
}

fn submit(op: SignedOp) -> sp_runtime::DispatchResult {
	Ledger::submit(frame_system::RawOrigin::Authorized.into(), op)
}

/// Operator (account 0, the fee account), Alice (1, 1000 of token 1, key 1) and Bob (2, 50,
/// key 2), all deposited on chain 1; Alice and Bob paid the minimum fee for their key change.
fn funded() {
	assert_ok!(Ledger::apply_priority(&deposit(1, 0, OPERATOR, 0)));
	assert_ok!(Ledger::apply_priority(&deposit(1, 1, alice(), 1000)));
	assert_ok!(Ledger::apply_priority(&deposit(1, 2, bob(), 50)));
	assert_ok!(Ledger::set_fee_account(RuntimeOrigin::root(), 0));
	assert_ok!(change(set_key(1, 0xa1, &key(1), 0)));
	assert_ok!(change(set_key(2, 0xb0, &key(2), 0)));
}

#[test]
fn genesis_registers_chains_and_tokens() {
	new_test_ext().execute_with(|| {
		assert_eq!(
			Chains::<Test>::get(ChainId(2)),
			Some(ChainInfo {
				evm_chain_id: 31338,
				contract: [0xc2; 20]
			})
		);
		assert!(Tokens::<Test>::contains_key(1, ChainId(2)));
		assert!(!Tokens::<Test>::contains_key(2, ChainId(1)));
	});
}

#[test]
fn registration_needs_governance_and_rejects_duplicates() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Ledger::register_chain(RuntimeOrigin::signed(1), ChainId(3), 5, [3; 20]),
			DispatchError::BadOrigin
		);
		assert_ok!(Ledger::register_chain(
			RuntimeOrigin::root(),
			ChainId(3),
			5,
			[3; 20]
		));
		System::assert_last_event(
			Event::ChainRegistered {
				chain: ChainId(3),
				info: ChainInfo {
					evm_chain_id: 5,
					contract: [3; 20],
				},
			}
			.into(),
		);
		assert_noop!(
			Ledger::register_chain(RuntimeOrigin::root(), ChainId(3), 6, [4; 20]),
			Error::<Test>::ChainAlreadyRegistered
		);
		assert_noop!(
			Ledger::register_chain(RuntimeOrigin::root(), ChainId(16), 7, [5; 20]),
			Error::<Test>::ChainIdOutOfRange
		);
		// The mock's MaxChains is 3: every member signs each batch's execution for all of them
		// in one bounded call, so a fourth chain would make execution impossible.
		assert_noop!(
			Ledger::register_chain(RuntimeOrigin::root(), ChainId(4), 7, [5; 20]),
			Error::<Test>::TooManyChains
		);
		assert_noop!(
			Ledger::register_token(RuntimeOrigin::root(), 4, ChainId(9), [0; 20], 18),
			Error::<Test>::UnknownChain
		);
		assert_noop!(
			Ledger::register_token(RuntimeOrigin::root(), 256, ChainId(3), [0; 20], 18),
			Error::<Test>::TokenIdOutOfRange
		);
		assert_ok!(Ledger::register_token(
			RuntimeOrigin::root(),
			4,
			ChainId(3),
			[4; 20],
			8
		));
		assert_noop!(
			Ledger::register_token(RuntimeOrigin::root(), 4, ChainId(3), [5; 20], 8),
			Error::<Test>::TokenAlreadyRegistered
		);
		assert_noop!(
			Ledger::register_token(RuntimeOrigin::signed(1), 5, ChainId(3), [5; 20], 8),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn a_token_has_the_same_decimals_on_every_chain() {
	new_test_ext().execute_with(|| {
		let decimals = Tokens::<Test>::get(1, ChainId(1)).unwrap().decimals;
		assert_ok!(Ledger::register_chain(
			RuntimeOrigin::root(),
			ChainId(3),
			5,
			[3; 20]
		));
		// Token 1 deposited with `decimals` on chain 1 must not withdraw as a 6-decimal unit.
		assert_noop!(
			Ledger::register_token(RuntimeOrigin::root(), 1, ChainId(3), [6; 20], 6),
			Error::<Test>::DecimalsMismatch
		);
		assert_ok!(Ledger::register_token(
			RuntimeOrigin::root(),
			1,
			ChainId(3),
			[6; 20],
			decimals
		));
	});
}

#[test]
fn deposits_create_accounts_and_credit_in_priority_order() {
	new_test_ext().execute_with(|| {
		assert_ok!(Ledger::apply_priority(&deposit(1, 0, alice(), 700)));
		System::assert_has_event(
			Event::AccountCreated {
				account: 0,
				l1_address: alice(),
			}
			.into(),
		);
		assert_eq!(AccountIdByAddress::<Test>::get(alice()), Some(0));
		assert_eq!(Balances::<Test>::get(0, 1), 700);
		assert_eq!(Ledger::liquidity(ChainId(1), 1), 700);
		// A second deposit to the same address credits the same account.
		assert_ok!(Ledger::apply_priority(&deposit(1, 1, alice(), 5)));
		assert_eq!(
			(NextAccountId::<Test>::get(), Balances::<Test>::get(0, 1)),
			(1, 705)
		);
		// Chain 2 has its own order.
		assert_noop!(
			Ledger::apply_priority(&deposit(2, 1, bob(), 5)),
			Error::<Test>::PriorityOutOfOrder
		);
		assert_noop!(
			Ledger::apply_priority(&deposit(1, 1, bob(), 5)),
			Error::<Test>::PriorityOutOfOrder
		);
		assert_noop!(
			Ledger::apply_priority(&deposit(3, 0, bob(), 5)),
			Error::<Test>::UnknownChain
		);
		assert_noop!(
			Ledger::apply_priority(&transfer(1, 0, 0)),
			Error::<Test>::NotAPriorityOp
		);
		assert_eq!(APPLIED.with(|a| a.borrow().len()), 2);
	});
}

#[test]
fn a_deposit_the_ledger_cannot_credit_is_refunded_and_the_queue_moves_on() {
	new_test_ext().execute_with(|| {
		assert_ok!(Ledger::apply_priority(&deposit(1, 0, alice(), 700)));
		let with_token = |priority_id, token, amount| match deposit(1, priority_id, bob(), amount) {
			Op::Deposit(deposit) => Op::Deposit(Deposit { token, ..deposit }),
			_ => unreachable!(),
		};
		// Token 2 is not on chain 1; a credit of Alice's account past u128::MAX.
		let not_on_chain = with_token(1, 2, 5);
		let overflow = deposit(1, 2, alice(), u128::MAX);
		for (priority_id, op, reason) in [
			(1, not_on_chain, Error::<Test>::TokenNotOnChain),
			(2, overflow, Error::<Test>::AmountOverflow),
		] {
			let accounts = NextAccountId::<Test>::get();
			let applied = Ledger::apply_priority(&op).unwrap();
			assert!(applied.is_refunded());
			System::assert_has_event(
				Event::DepositRefunded {
					chain: ChainId(1),
					priority_id,
					reason: reason.into(),
				}
				.into(),
			);
			// Nothing credited, no account created; the refund is sealed like any op.
			assert_eq!(NextAccountId::<Test>::get(), accounts);
			assert_eq!(AccountIdByAddress::<Test>::get(bob()), None);
			assert_eq!(Balances::<Test>::get(0, 1), 700);
			assert_eq!(Ledger::liquidity(ChainId(1), 1), 700);
			assert_eq!(APPLIED.with(|a| *a.borrow().last().unwrap()), applied);
			assert_eq!(NextPriorityId::<Test>::get(ChainId(1)), priority_id + 1);
		}
		// The next deposit is credited.
		assert_ok!(Ledger::apply_priority(&deposit(1, 3, bob(), 9)));
		assert_eq!(Balances::<Test>::get(1, 1), 9);
		// A chain that is not registered (never, or no more) has no queue here: its requests
		// are refunded by its own contract (exodus, or `retire` for a removed chain).
		assert_noop!(
			Ledger::apply_priority(&deposit(3, 0, bob(), 5)),
			Error::<Test>::UnknownChain
		);
	});
}

#[test]
fn a_full_exit_withdraws_the_whole_balance_of_its_owner_only() {
	new_test_ext().execute_with(|| {
		funded();
		let exit = |priority_id, owner| {
			Op::FullExit(FullExit {
				chain_id: ChainId(1),
				priority_id,
				account: 1,
				owner,
				token: 1,
			})
		};
		// Filed by Bob for Alice's account: served with 0, nothing moves.
		let applied = Ledger::apply_priority(&exit(3, bob())).unwrap();
		assert_eq!(applied.exit_amount(), Some(0));
		assert_eq!(Balances::<Test>::get(1, 1), 999);
		let applied = Ledger::apply_priority(&exit(4, alice())).unwrap();
		assert_eq!(applied.exit_amount(), Some(999));
		assert_eq!(Balances::<Test>::get(1, 1), 0);
		assert_eq!(Ledger::liquidity(ChainId(1), 1), 51);
	});
}

#[test]
fn a_signed_transfer_applies_and_pays_its_fee() {
	new_test_ext().execute_with(|| {
		funded();
		let op = signed(&key(1), transfer(100, 3, 1));
		assert!(authorize(&op).is_ok());
		assert_ok!(submit(op));
		System::assert_last_event(Event::OpApplied { op: op.op }.into());
		assert_eq!(Balances::<Test>::get(1, 1), 896);
		assert_eq!(Balances::<Test>::get(2, 1), 149);
		assert_eq!(Accounts::<Test>::get(1).unwrap().nonce, 2);
		// The fees (two key changes' and this one's) wait in the open batch until it is sealed.
		assert_eq!(Balances::<Test>::get(0, 1), 0);
		let open = OpenBatchFees::<Test>::get().unwrap();
		assert_eq!(
			(open.fee_account, open.fees.registers()),
			(0, &[(1, 5)][..])
		);
		seal();
		assert_eq!(Balances::<Test>::get(0, 1), 5);
		assert_eq!(OpenBatchFees::<Test>::get(), None);
		System::assert_last_event(
			Event::FeesCredited {
				account: 0,
				fees: BoundedVec::truncate_from(vec![(1, 5)]),
			}
			.into(),
		);
		let kinds: Vec<u8> = APPLIED.with(|a| {
			a.borrow()
				.iter()
				.map(|op| op.op().op_type() as u8)
				.collect()
		});
		assert_eq!(kinds, [1, 1, 1, 5, 5, 2]);
	});
}

#[test]
fn a_bad_signature_is_refused_by_the_pool_and_by_dispatch() {
	new_test_ext().execute_with(|| {
		funded();
		// Bob's key signs Alice's transfer.
		let forged = signed(&key(2), transfer(100, 1, 1));
		assert_eq!(
			authorize(&forged),
			Err(TransactionValidityError::Invalid(
				InvalidTransaction::BadProof
			))
		);
		assert_noop!(submit(forged), Error::<Test>::BadSignature);
		let mut garbled = signed(&key(1), transfer(100, 1, 1));
		garbled.signature[40] ^= 1;
		assert!(authorize(&garbled).is_err());
		assert_noop!(submit(garbled), Error::<Test>::BadSignature);
	});
}

#[test]
fn a_replayed_nonce_is_stale_and_a_future_one_waits() {
	new_test_ext().execute_with(|| {
		funded();
		let first = signed(&key(1), transfer(10, 1, 1));
		assert_ok!(submit(first));
		assert_eq!(
			authorize(&first),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Stale))
		);
		assert_noop!(submit(first), Error::<Test>::BadNonce);
		// Nonce 3 waits for nonce 2; nonce 2 + MaxNonceGap + 1 is refused.
		let later = authorize(&signed(&key(1), transfer(10, 1, 3))).unwrap();
		assert_eq!(later.requires.len(), 1);
		assert_eq!(
			authorize(&signed(&key(1), transfer(10, 1, 7))),
			Err(TransactionValidityError::Invalid(
				InvalidTransaction::Future
			))
		);
		assert_noop!(
			submit(signed(&key(1), transfer(10, 1, 3))),
			Error::<Test>::BadNonce
		);
	});
}

#[test]
fn an_overdraft_is_refused_and_changes_nothing() {
	new_test_ext().execute_with(|| {
		funded();
		let op = signed(&key(1), transfer(1000, 1, 1));
		// The pool names the rule: the error's index in the ledger's `Error`.
		assert_eq!(
			authorize(&op),
			Err(Ledger::refusal(Error::<Test>::InsufficientBalance))
		);
		assert_eq!(
			Ledger::refusal(Error::<Test>::InsufficientBalance),
			TransactionValidityError::Invalid(InvalidTransaction::Custom(12))
		);
		assert_noop!(submit(op), Error::<Test>::InsufficientBalance);
	});
}

#[test]
fn a_withdrawal_needs_liquidity_on_its_chain() {
	new_test_ext().execute_with(|| {
		funded();
		let withdraw = |chain, nonce| {
			signed(
				&key(1),
				Op::Withdraw(Withdraw {
					from: 1,
					to_chain: ChainId(chain),
					to_address: alice(),
					token: 1,
					amount: 100,
					fee: 1,
					nonce,
				}),
			)
		};
		// Token 1 is on chain 2 too, but everything was deposited on chain 1.
		assert_noop!(
			submit(withdraw(2, 1)),
			Error::<Test>::InsufficientChainLiquidity
		);
		assert_ok!(submit(withdraw(1, 1)));
		assert_eq!(Ledger::liquidity(ChainId(1), 1), 950);
		assert_eq!(Balances::<Test>::get(1, 1), 898);
	});
}

#[test]
fn signed_ops_need_a_fee_account_and_the_authorized_origin() {
	new_test_ext().execute_with(|| {
		assert_ok!(Ledger::apply_priority(&deposit(1, 0, alice(), 10)));
		assert_noop!(
			change(set_key(0, 0xa1, &key(1), 0)),
			Error::<Test>::NoFeeAccount
		);
		assert_noop!(
			Ledger::set_fee_account(RuntimeOrigin::root(), 5),
			Error::<Test>::UnknownAccount
		);
		assert_ok!(Ledger::set_fee_account(RuntimeOrigin::root(), 0));
		let (op, eth_signature) = set_key(0, 0xa1, &key(1), 0);
		assert_noop!(
			Ledger::change_pubkey(RuntimeOrigin::signed(1), op, eth_signature),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Ledger::change_pubkey(RuntimeOrigin::none(), op, eth_signature),
			DispatchError::BadOrigin
		);
		assert_ok!(change((op, eth_signature)));
	});
}

#[test]
fn a_key_change_needs_the_owners_ethereum_signature_which_is_kept_for_commit() {
	new_test_ext().execute_with(|| {
		assert_ok!(Ledger::apply_priority(&deposit(1, 0, alice(), 10)));
		assert_ok!(Ledger::set_fee_account(RuntimeOrigin::root(), 0));
		let (op, eth_signature) = set_key(0, 0xa1, &key(1), 0);
		assert_noop!(submit(op), Error::<Test>::EthAuthorizationRequired);
		assert_eq!(
			Call::<Test>::submit { op }
				.authorize(TransactionSource::External)
				.unwrap(),
			Err(Ledger::refusal(Error::<Test>::EthAuthorizationRequired))
		);
		// Signed by another Ethereum key than the owner's: refused by the pool and at dispatch.
		let (_, stranger) = set_key(0, 0xee, &key(1), 0);
		assert_noop!(change((op, stranger)), Error::<Test>::BadEthAuthorization);
		assert_eq!(
			Call::<Test>::change_pubkey {
				op,
				eth_signature: stranger
			}
			.authorize(TransactionSource::External)
			.unwrap(),
			Err(TransactionValidityError::Invalid(
				InvalidTransaction::BadProof
			))
		);
		// The owner's signature of another nonce does not authorise this change.
		let (_, other_nonce) = set_key(0, 0xa1, &key(1), 1);
		assert_noop!(
			change((op, other_nonce)),
			Error::<Test>::BadEthAuthorization
		);
		let transfer = signed(&key(1), transfer(1, 0, 0));
		assert_noop!(
			change((transfer, eth_signature)),
			Error::<Test>::NotChangePubKey
		);
		assert_noop!(
			change(set_key(7, 0xa1, &key(1), 0)),
			Error::<Test>::UnknownAccount
		);

		assert!(Call::<Test>::change_pubkey { op, eth_signature }
			.authorize(TransactionSource::External)
			.unwrap()
			.is_ok());
		assert_ok!(change((op, eth_signature)));
		assert_eq!(PubkeyAuthorizations::<Test>::get(0, 0), Some(eth_signature));
		assert_eq!(
			Accounts::<Test>::get(0).unwrap().pubkey,
			key(1).public_key().to_coordinate_bytes()
		);
	});
}

#[test]
fn an_op_without_room_in_the_open_batch_seals_it_first() {
	new_test_ext().execute_with(|| {
		// Deposits take three chunks: 21 leave one of the mock's 64 slots.
		for id in 0..21u8 {
			assert_ok!(Ledger::apply_priority(&deposit(
				1,
				id.into(),
				address(id + 1),
				5
			)));
		}
		assert!(sealed().is_empty());
		assert!(!<crate::mock::RecordApplied as crate::BatchSink>::has_room(
			3
		));
		assert_ok!(Ledger::apply_priority(&deposit(1, 21, address(22), 5)));
		assert_eq!(sealed(), [21]);
		assert_eq!(APPLIED.with(|applied| applied.borrow().len()), 22);
	});
}

#[test]
fn amounts_and_fees_the_pubdata_cannot_pack_are_refused_before_the_pool() {
	new_test_ext().execute_with(|| {
		funded();
		// Eleven significant digits: no 35-bit mantissa holds them.
		let amount = signed(&key(1), transfer(34_359_738_369, 5, 1));
		assert_eq!(
			authorize(&amount),
			Err(Ledger::refusal(Error::<Test>::AmountNotPackable))
		);
		assert_noop!(submit(amount), Error::<Test>::AmountNotPackable);
		// A fee of four significant digits above 2047, even with a nonce far ahead (the
		// check needs no state).
		for nonce in [1, 3] {
			let fee = signed(&key(1), transfer(10, 2049, nonce));
			assert_eq!(
				authorize(&fee),
				Err(Ledger::refusal(Error::<Test>::FeeNotPackable))
			);
		}
		assert_noop!(
			submit(signed(&key(1), transfer(10, 2049, 1))),
			Error::<Test>::FeeNotPackable
		);
		// Three significant digits of fee, and a transfer's amount of ten, pack.
		assert_ok!(submit(signed(&key(1), transfer(10, 980, 1))));
	});
}

#[test]
fn a_fee_below_the_minimum_or_in_a_token_without_one_is_refused_by_name() {
	new_test_ext().execute_with(|| {
		funded();
		let free = signed(&key(1), transfer(10, 0, 1));
		assert_eq!(
			authorize(&free),
			Err(Ledger::refusal(Error::<Test>::FeeBelowMinimum))
		);
		assert_noop!(submit(free), Error::<Test>::FeeBelowMinimum);
		// Token 2 has no minimum for transfers: not accepted for their fees at all.
		assert_ok!(Ledger::set_min_fee(
			RuntimeOrigin::root(),
			OpType::Withdraw,
			2,
			Some(1)
		));
		let mut in_token_2 = transfer(10, 5, 1);
		if let Op::Transfer(op) = &mut in_token_2 {
			op.token = 2;
		}
		let in_token_2 = signed(&key(1), in_token_2);
		assert_eq!(
			authorize(&in_token_2),
			Err(Ledger::refusal(Error::<Test>::FeeTokenNotAccepted))
		);
		assert_noop!(submit(in_token_2), Error::<Test>::FeeTokenNotAccepted);
		// A key change at no fee, and an account created for free, are refused too.
		assert_noop!(
			change(set_key_paying(1, 0xa1, &key(3), 1, 0)),
			Error::<Test>::FeeBelowMinimum
		);
		let free_account = signed(
			&key(1),
			Op::TransferToNew(TransferToNew {
				from: 1,
				to_address: [0x99; 20],
				token: 1,
				amount: 0,
				fee: 0,
				nonce: 1,
			}),
		);
		assert_noop!(submit(free_account), Error::<Test>::FeeBelowMinimum);
		assert_eq!(NextAccountId::<Test>::get(), 3);
	});
}

#[test]
fn the_pool_ranks_ops_by_the_minimums_their_fee_pays_up_to_the_cap() {
	new_test_ext().execute_with(|| {
		funded();
		let priority = |fee| {
			authorize(&signed(&key(1), transfer(10, fee, 1)))
				.unwrap()
				.priority
		};
		assert_eq!(priority(MIN_FEE), 1);
		assert_eq!(priority(7 * MIN_FEE), 7);
		assert_eq!(priority(900), MaxOpPriority::get());
		assert_ok!(Ledger::set_min_fee(
			RuntimeOrigin::root(),
			OpType::Transfer,
			1,
			Some(4)
		));
		assert_eq!(priority(9), 2);
	});
}

#[test]
fn minimum_fees_are_set_by_governance_for_signed_ops_only_and_never_zero() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Ledger::set_min_fee(RuntimeOrigin::signed(1), OpType::Transfer, 1, Some(5)),
			DispatchError::BadOrigin
		);
		for (kind, minimum) in [
			(OpType::Transfer, Some(0)),
			(OpType::Deposit, Some(5)),
			(OpType::FullExit, Some(5)),
			(OpType::Noop, Some(5)),
		] {
			assert_noop!(
				Ledger::set_min_fee(RuntimeOrigin::root(), kind, 1, minimum),
				Error::<Test>::InvalidMinFee
			);
		}
		assert_noop!(
			Ledger::set_min_fee(RuntimeOrigin::root(), OpType::Transfer, 256, Some(5)),
			Error::<Test>::TokenIdOutOfRange
		);
		assert_ok!(Ledger::set_min_fee(
			RuntimeOrigin::root(),
			OpType::Transfer,
			1,
			None
		));
		System::assert_last_event(
			Event::MinFeeSet {
				kind: OpType::Transfer,
				token: 1,
				minimum: None,
			}
			.into(),
		);
		assert_eq!(MinFees::<Test>::get(OpType::Transfer, 1), None);
		funded();
		assert_noop!(
			submit(signed(&key(1), transfer(10, 100, 1))),
			Error::<Test>::FeeTokenNotAccepted
		);
	});
}

#[test]
fn a_block_takes_at_most_max_ops_per_block_l2_ops_and_the_rest_wait() {
	use frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		funded();
		// The two key changes of `funded` count; two more ops fill the block (4).
		assert_eq!(OpsInBlock::<Test>::get(), 2);
		assert_ok!(submit(signed(&key(1), transfer(10, 1, 1))));
		assert_ok!(submit(signed(&key(1), transfer(10, 1, 2))));
		let next = signed(&key(1), transfer(10, 1, 3));
		assert_eq!(
			authorize(&next),
			Err(TransactionValidityError::Invalid(
				InvalidTransaction::ExhaustsResources
			))
		);
		// Priority ops are the oracle's, not L2 load: they still apply.
		assert_ok!(Ledger::apply_priority(&deposit(1, 3, bob(), 5)));
		Ledger::on_finalize(1);
		System::set_block_number(2);
		assert_eq!(OpsInBlock::<Test>::get(), 0);
		assert!(authorize(&next).is_ok());
		assert_ok!(submit(next));
	});
}

/// Alice's transfer to Bob of 1 unit of `token`, paying `fee` in it.
fn transfer_in(token: TokenId, fee: u128, nonce: u32) -> SignedOp {
	let op = Op::Transfer(Transfer {
		from: 1,
		to: 2,
		token,
		amount: 1,
		fee,
		nonce,
	});
	signed(&key(1), op)
}

#[test]
fn governance_accepts_at_most_four_fee_tokens() {
	new_test_ext().execute_with(|| {
		// Token 1 is accepted (genesis); 2, 3 and 4 make four.
		for token in 2..=4 {
			assert_ok!(Ledger::set_min_fee(
				RuntimeOrigin::root(),
				OpType::Transfer,
				token,
				Some(1)
			));
		}
		let fifth = |kind| Ledger::set_min_fee(RuntimeOrigin::root(), kind, 5, Some(1));
		assert_noop!(fifth(OpType::Transfer), Error::<Test>::TooManyFeeTokens);
		// An accepted token takes more kinds and new minimums.
		assert_ok!(Ledger::set_min_fee(
			RuntimeOrigin::root(),
			OpType::Withdraw,
			4,
			Some(9)
		));
		// Dropped for one kind only, token 4 still counts.
		assert_ok!(Ledger::set_min_fee(
			RuntimeOrigin::root(),
			OpType::Transfer,
			4,
			None
		));
		assert_noop!(fifth(OpType::Transfer), Error::<Test>::TooManyFeeTokens);
		assert_ok!(Ledger::set_min_fee(
			RuntimeOrigin::root(),
			OpType::Withdraw,
			4,
			None
		));
		assert_ok!(fifth(OpType::Transfer));
	});
}

#[test]
fn an_op_paying_in_a_token_swapped_in_while_a_batch_is_open_has_it_sealed_first() {
	use frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		funded();
		// Tokens 2 to 5 on chain 2, 100 of each deposited to Alice; 2 to 4 accepted for Transfer
		// fees (with token 1, the four governance allows).
		for token in 2..=5 {
			if token > 2 {
				assert_ok!(Ledger::register_token(
					RuntimeOrigin::root(),
					token,
					ChainId(2),
					[token as u8; 20],
					18
				));
			}
			let deposit = Op::Deposit(Deposit {
				chain_id: ChainId(2),
				priority_id: u64::from(token) - 2,
				to_address: alice(),
				token,
				amount: 100,
			});
			assert_ok!(Ledger::apply_priority(&deposit));
			if token < 5 {
				assert_ok!(Ledger::set_min_fee(
					RuntimeOrigin::root(),
					OpType::Transfer,
					token,
					Some(1)
				));
			}
		}
		let open_before = APPLIED.with(|applied| applied.borrow().len());
		assert!(sealed().is_empty());
		// Tokens 1 (the key changes' fees), 2, 3 and 4 fill the four registers.
		for token in 2..=4 {
			assert_ok!(submit(transfer_in(token, 2, u32::from(token) - 1)));
		}
		assert!(sealed().is_empty());
		let registers = OpenBatchFees::<Test>::get().unwrap().fees;
		assert_eq!(registers.registers(), [(1, 2), (2, 2), (3, 2), (4, 2)]);
		// Governance swaps token 4 for token 5 while the batch is open. The pool admits the
		// fifth token's op (in a block with room): it will apply in a new batch.
		assert_ok!(Ledger::set_min_fee(
			RuntimeOrigin::root(),
			OpType::Transfer,
			4,
			None
		));
		assert_ok!(Ledger::set_min_fee(
			RuntimeOrigin::root(),
			OpType::Transfer,
			5,
			Some(1)
		));
		Ledger::on_finalize(1);
		System::set_block_number(2);
		let fifth = transfer_in(5, 2, 4);
		assert_eq!(authorize(&fifth).map(|_| ()), Ok(()));
		assert_ok!(submit(fifth));
		assert_eq!(sealed(), [open_before + 3]);
		for token in 1..=4 {
			assert_eq!(Balances::<Test>::get(0, token), 2);
		}
		let open = OpenBatchFees::<Test>::get().unwrap();
		assert_eq!(open.fees.registers(), [(5, 2)]);
		assert_eq!(Balances::<Test>::get(0, 5), 0);
	});
}

#[test]
fn a_priority_op_of_an_unregistered_chain_is_refused_before_it_joins_the_open_batch() {
	new_test_ext().execute_with(|| {
		funded();
		assert_ok!(submit(signed(&key(1), transfer(10, 3, 1))));
		// Once the fee account changed, an op joining the open batch would have it sealed (and
		// its fees credited) first. A refused one must change nothing at all.
		assert_ok!(Ledger::set_fee_account(RuntimeOrigin::root(), 2));
		let open = OpenBatchFees::<Test>::get().unwrap();
		assert_noop!(
			Ledger::apply_priority(&deposit(3, 0, bob(), 5)),
			Error::<Test>::UnknownChain
		);
		assert_eq!(OpenBatchFees::<Test>::get(), Some(open));
	});
}

#[test]
fn a_new_fee_account_is_paid_from_the_next_batch_on() {
	new_test_ext().execute_with(|| {
		funded();
		assert_ok!(submit(signed(&key(1), transfer(10, 3, 1))));
		assert_ok!(Ledger::set_fee_account(RuntimeOrigin::root(), 2));
		// The fee account of the open batch does not change: the next op seals it first.
		assert_eq!(OpenBatchFees::<Test>::get().unwrap().fee_account, 0);
		assert_ok!(submit(signed(&key(1), transfer(10, 4, 2))));
		assert_eq!(sealed().len(), 1);
		assert_eq!(Balances::<Test>::get(0, 1), 2 * MIN_FEE + 3);
		assert_eq!(Balances::<Test>::get(2, 1), 50 - MIN_FEE + 10 + 10);
		seal();
		assert_eq!(Balances::<Test>::get(2, 1), 50 - MIN_FEE + 10 + 10 + 4);
	});
}
