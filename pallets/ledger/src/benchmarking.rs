//! Benchmarks of the ledger's calls; `concord-node benchmark pallet` turns them into the
//! runtime's weights.

use crate::pallet::{Call, Config, FeeAccount, MinFees, Network, NextAccountId, Pallet};
use concord_primitives::{
	eddsa::PrivateKey,
	ops::{eth_address, ChainId, ChangePubKey, Deposit, Op, OpType, SignedOp, Transfer},
};
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{Authorize, EnsureOrigin},
};

/// A chain of its own for the benchmarks, whatever the genesis registered (the highest id
/// allowed, below `CHAIN_ID_LIMIT`).
const CHAIN: ChainId = ChainId(15);

/// The Ethereum key owning the payer account.
fn owner_key() -> k256::ecdsa::SigningKey {
	k256::ecdsa::SigningKey::from_bytes(&[9; 32].into()).expect("a valid scalar")
}

/// Registers `CHAIN` with token 1 (accepted for fees, minimum 1) and creates two funded
/// accounts, the first collecting the fees, the second owned by [`owner_key`] and without an L2 key yet. Returns the key the
/// payer will set and the two account ids.
fn accounts<T: Config>() -> (PrivateKey, u32, u32) {
	let key = PrivateKey([7; 32]);
	let root = T::GovernanceOrigin::try_successful_origin().expect("governance origin");
	Pallet::<T>::register_chain(root.clone(), CHAIN, 200, [1; 20]).unwrap();
	Pallet::<T>::register_token(root.clone(), 1, CHAIN, [0; 20], 18).unwrap();
	let (fees, payer) = (NextAccountId::<T>::get(), NextAccountId::<T>::get() + 1);
	let owner = eth_address(owner_key().verifying_key());
	for (priority_id, address) in [[0xa0; 20], owner].into_iter().enumerate() {
		let deposit = Op::Deposit(Deposit {
			chain_id: CHAIN,
			priority_id: priority_id as u64,
			to_address: address,
			token: 1,
			amount: 1_000_000,
		});
		Pallet::<T>::apply_priority(&deposit).unwrap();
	}
	FeeAccount::<T>::put(fees);
	for kind in [OpType::ChangePubKey, OpType::Transfer] {
		MinFees::<T>::insert(kind, 1, 1);
	}
	(key, fees, payer)
}

/// The payer's ChangePubKey to `key`, signed by `key` and authorised by [`owner_key`].
fn key_change<T: Config>(key: &PrivateKey, payer: u32) -> (SignedOp, [u8; 65]) {
	let change = ChangePubKey {
		chain_id: CHAIN,
		account: payer,
		new_pubkey: key.public_key().pack(),
		fee_token: 1,
		fee: 1,
		nonce: 0,
	};
	let eth_signature = concord_primitives::ops::eth_sign(
		&owner_key(),
		&change.eth_message_hash(Network::<T>::get()),
	);
	let op = Op::ChangePubKey(change);
	let signed = SignedOp {
		op,
		signature: key
			.sign(op.signed_message(Network::<T>::get()).unwrap())
			.pack(),
	};
	(signed, eth_signature)
}

/// [`accounts`] with the payer's key set: the state a transfer from the payer to the fee
/// account runs in.
fn funded<T: Config>() -> (PrivateKey, u32, u32) {
	let (key, fees, payer) = accounts::<T>();
	let (op, eth_signature) = key_change::<T>(&key, payer);
	Pallet::<T>::change_pubkey(
		frame_system::RawOrigin::Authorized.into(),
		op,
		eth_signature,
	)
	.unwrap();
	(key, fees, payer)
}

fn signed_transfer<T: Config>((key, fees, payer): (PrivateKey, u32, u32)) -> SignedOp {
	let op = Op::Transfer(Transfer {
		from: payer,
		to: fees,
		token: 1,
		amount: 10,
		fee: 1,
		nonce: 1,
	});
	SignedOp {
		op,
		signature: key
			.sign(op.signed_message(Network::<T>::get()).unwrap())
			.pack(),
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_chain() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, ChainId(9), 9, [9; 20]);
		Ok(())
	}

	#[benchmark]
	fn register_token() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		Pallet::<T>::register_chain(origin.clone(), ChainId(9), 9, [9; 20])?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 5, ChainId(9), [5; 20], 18);
		Ok(())
	}

	#[benchmark]
	fn set_fee_account() -> Result<(), BenchmarkError> {
		let (_, _, payer) = funded::<T>();
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, payer);
		Ok(())
	}

	/// The worst case: three fee tokens accepted for every L2-signed kind, a fourth accepted,
	/// after counting the accepted tokens.
	#[benchmark]
	fn set_min_fee() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let _ = MinFees::<T>::clear(u32::MAX, None);
		let kinds = [
			OpType::Transfer,
			OpType::TransferToNew,
			OpType::Withdraw,
			OpType::ChangePubKey,
		];
		for token in 1..=3 {
			for kind in kinds {
				MinFees::<T>::insert(kind, token, 1_000);
			}
		}
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, OpType::Transfer, 4, Some(1_000));
		Ok(())
	}

	/// A transfer: signature check and the STF on storage, in the worst case where the open
	/// batch (the payer's key change) cannot take it and is sealed first, its fees credited:
	/// the fee account changed.
	#[benchmark]
	fn submit() {
		let accounts = funded::<T>();
		FeeAccount::<T>::put(accounts.2);
		let op = signed_transfer::<T>(accounts);
		#[extrinsic_call]
		_(frame_system::RawOrigin::Authorized, op);
	}

	/// A key change: the owner's Ethereum signature (secp256k1 recovery), the new key's
	/// signature and the STF.
	#[benchmark]
	fn change_pubkey() {
		let (key, _, payer) = accounts::<T>();
		let (op, eth_signature) = key_change::<T>(&key, payer);
		#[extrinsic_call]
		_(frame_system::RawOrigin::Authorized, op, eth_signature);
	}

	/// Pool validation of a transfer: signature check and a rolled-back dry run.
	#[benchmark]
	fn authorize_submit() -> Result<(), BenchmarkError> {
		let call = Call::<T>::submit {
			op: signed_transfer::<T>(funded::<T>()),
		};
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("submit is authorized")?
				.map_err(|_| "the transfer is valid")?;
		}
		Ok(())
	}

	/// Pool validation of a key change: both signatures and a rolled-back dry run.
	#[benchmark]
	fn authorize_change_pubkey() -> Result<(), BenchmarkError> {
		let (key, _, payer) = accounts::<T>();
		let (op, eth_signature) = key_change::<T>(&key, payer);
		let call = Call::<T>::change_pubkey { op, eth_signature };
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("change_pubkey is authorized")?
				.map_err(|_| "the key change is valid")?;
		}
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
