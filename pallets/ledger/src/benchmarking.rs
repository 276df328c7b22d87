//! Benchmarks of the ledger's calls; `concord-node benchmark pallet` turns them into the
//! runtime's weights.

use crate::pallet::{Call, Config, FeeAccount, NextAccountId, Pallet};
use concord_primitives::{
	eddsa::PrivateKey,
	ops::{ChainId, ChangePubKey, Deposit, Op, SignedOp, Transfer},
};
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{Authorize, EnsureOrigin},
};

/// A chain of its own for the benchmarks, whatever the genesis registered.
const CHAIN: ChainId = ChainId(200);

/// Registers `CHAIN` with token 1 and creates two funded accounts, the first collecting the
/// fees and the second with a key: the state a transfer from the second to the first runs in.
/// Returns the key and the two account ids.
fn funded<T: Config>() -> (PrivateKey, u32, u32) {
	let key = PrivateKey([7; 32]);
	let root = T::GovernanceOrigin::try_successful_origin().expect("governance origin");
	Pallet::<T>::register_chain(root.clone(), CHAIN, 200, [1; 20]).unwrap();
	Pallet::<T>::register_token(root.clone(), 1, CHAIN, [0; 20], 18).unwrap();
	let (fees, payer) = (NextAccountId::<T>::get(), NextAccountId::<T>::get() + 1);
	for (priority_id, address) in [[0xa0; 20], [0xa1; 20]].into_iter().enumerate() {
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
	let set_key = Op::ChangePubKey(ChangePubKey {
		chain_id: CHAIN,
		account: payer,
		new_pubkey: key.public_key().pack(),
		fee_token: 1,
		fee: 0,
		nonce: 0,
	});
	let signature = key.sign(set_key.signed_message().unwrap()).pack();
	Pallet::<T>::submit(
		frame_system::RawOrigin::Authorized.into(),
		SignedOp {
			op: set_key,
			signature,
		},
	)
	.unwrap();
	(key, fees, payer)
}

fn signed_transfer((key, fees, payer): (PrivateKey, u32, u32)) -> SignedOp {
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
		signature: key.sign(op.signed_message().unwrap()).pack(),
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

	/// A transfer: signature check and the STF on storage.
	#[benchmark]
	fn submit() {
		let op = signed_transfer(funded::<T>());
		#[extrinsic_call]
		_(frame_system::RawOrigin::Authorized, op);
	}

	/// Pool validation of a transfer: signature check and a rolled-back dry run.
	#[benchmark]
	fn authorize_submit() -> Result<(), BenchmarkError> {
		let call = Call::<T>::submit {
			op: signed_transfer(funded::<T>()),
		};
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("submit is authorized")?
				.map_err(|_| "the transfer is valid")?;
		}
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
