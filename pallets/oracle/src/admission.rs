//! [`CheckOracleCall`]: the oracle's free calls enter the pool and blocks only when they can
//! succeed.

use crate::{Call, Config, Error, Pallet};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::{TransactionSource, Weight},
	traits::{Get, IsSubType, OriginTrait},
	DefaultNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{DispatchInfoOf, TransactionExtension, ValidateResult},
	transaction_validity::{InvalidTransaction, TransactionValidityError, ValidTransaction},
};

/// Refuses `Oracle::attest`, `Oracle::sign_commit`, `Oracle::sign_execute` and
/// `Oracle::sign_l1_action` in the pool (and in a block being built) unless the call would get
/// past its checks: the signer is a member, has not attested or signed that item yet, and the
/// item is attestable now (a registered chain, a priority id neither applied nor beyond
/// `MaxOpenRequests`, a sealed and unfinished batch, a synced batch to sign, a proposed L1
/// action). Members' calls are Operational (all but `sign_l1_action` free), so without this a
/// non-member's calls would take the Operational share of blocks for their fees alone, and a
/// member's repeated or premature ones for nothing. Other calls pass untouched.
///
/// A refusal is `InvalidTransaction::Custom` with the index of the pallet [`Error`] the call
/// would fail with, which clients resolve to its name (`oracle.NotMember`, ...) from the
/// metadata. The signatures of `sign_commit` and `sign_execute` are checked at dispatch (ECDSA
/// recoveries for every chain); a member that sends bad ones pays for the call.
#[derive(Encode, Decode, DecodeWithMemTracking, DefaultNoBound, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct CheckOracleCall<T>(PhantomData<T>);

impl<T> CheckOracleCall<T> {
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T> core::fmt::Debug for CheckOracleCall<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		f.write_str("CheckOracleCall")
	}
}

/// `InvalidTransaction::Custom` with `error`'s index in [`Error`].
fn refusal<T: Config>(error: Error<T>) -> TransactionValidityError {
	TransactionValidityError::Invalid(InvalidTransaction::Custom(error.encode()[0]))
}

impl<T: Config + Send + Sync> TransactionExtension<<T as frame_system::Config>::RuntimeCall>
	for CheckOracleCall<T>
where
	<T as frame_system::Config>::RuntimeCall: IsSubType<Call<T>>,
{
	const IDENTIFIER: &'static str = "CheckOracleCall";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	/// The members and at most four items the checks read (chain, next priority id or batch
	/// header and proof, dispute, vote or signature).
	fn weight(&self, call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		match call.is_sub_type() {
			Some(
				Call::attest { .. }
				| Call::sign_execute { .. }
				| Call::sign_commit { .. }
				| Call::sign_l1_action { .. },
			) => T::DbWeight::get().reads(6),
			_ => Weight::zero(),
		}
	}

	fn validate(
		&self,
		origin: <T as frame_system::Config>::RuntimeOrigin,
		call: &<T as frame_system::Config>::RuntimeCall,
		_info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Encode,
		_source: TransactionSource,
	) -> ValidateResult<Self::Val, <T as frame_system::Config>::RuntimeCall> {
		let checked = match call.is_sub_type() {
			Some(Call::attest { attestation }) => origin
				.as_signer()
				.ok_or(Error::<T>::NotMember)
				.and_then(|who| Pallet::<T>::check_attest(who, attestation).map(drop)),
			Some(Call::sign_execute { batch, .. }) => origin
				.as_signer()
				.ok_or(Error::<T>::NotMember)
				.and_then(|who| Pallet::<T>::check_sign_execute(who, *batch).map(drop)),
			Some(Call::sign_commit { batch, .. }) => origin
				.as_signer()
				.ok_or(Error::<T>::NotMember)
				.and_then(|who| Pallet::<T>::check_sign_commit(who, *batch).map(drop)),
			Some(Call::sign_l1_action { chain, nonce, .. }) => origin
				.as_signer()
				.ok_or(Error::<T>::NotMember)
				.and_then(|who| Pallet::<T>::check_sign_l1_action(who, *chain, *nonce).map(drop)),
			_ => Ok(()),
		};
		checked.map_err(refusal::<T>)?;
		Ok((ValidTransaction::default(), (), origin))
	}

	impl_tx_ext_default!(<T as frame_system::Config>::RuntimeCall; prepare);
}
