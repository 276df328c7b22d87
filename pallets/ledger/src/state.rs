//! The ledger's storage as the STF's [`State`]: the shared rules read and write these storage
//! items directly, so the runtime applies exactly the rules the prover proves.

use crate::pallet::{
	AccountIdByAddress, AccountRecord, Accounts, Balances, Chains, Config, NextAccountId, Tokens,
};
use concord_primitives::{
	account::{Account, AccountId, TokenId},
	eddsa::PublicKey,
	ops::ChainId,
	stf::State,
};
use core::marker::PhantomData;

/// The STF state over the ledger pallet's storage. Holds nothing: every read and write goes to
/// storage, and the STF writes only after every check passed.
pub struct StorageState<T>(PhantomData<T>);

impl<T: Config> StorageState<T> {
	pub fn new() -> Self {
		StorageState(PhantomData)
	}
}

impl<T: Config> Default for StorageState<T> {
	fn default() -> Self {
		Self::new()
	}
}

fn to_record(account: &Account) -> AccountRecord {
	AccountRecord {
		nonce: account.nonce,
		pubkey: account.pubkey.to_coordinate_bytes(),
		l1_address: account.l1_address,
	}
}

fn from_record(record: &AccountRecord) -> Account {
	Account {
		nonce: record.nonce,
		// Records are written by `to_record` only, so the coordinates are canonical; were one
		// not, the unset key, which matches no signature, is the safe reading.
		pubkey: PublicKey::from_coordinate_bytes(&record.pubkey).unwrap_or(Account::EMPTY.pubkey),
		l1_address: record.l1_address,
	}
}

impl<T: Config> State for StorageState<T> {
	fn account(&self, id: AccountId) -> Option<Account> {
		Accounts::<T>::get(id).map(|record| from_record(&record))
	}

	fn account_id_by_address(&self, address: &[u8; 20]) -> Option<AccountId> {
		AccountIdByAddress::<T>::get(address)
	}

	fn balance(&self, id: AccountId, token: TokenId) -> u128 {
		Balances::<T>::get(id, token)
	}

	fn next_account_id(&self) -> AccountId {
		NextAccountId::<T>::get()
	}

	fn chain_exists(&self, chain: ChainId) -> bool {
		Chains::<T>::contains_key(chain)
	}

	fn token_exists(&self, token: TokenId) -> bool {
		Tokens::<T>::iter_prefix(token).next().is_some()
	}

	fn token_on_chain(&self, chain: ChainId, token: TokenId) -> bool {
		Tokens::<T>::contains_key(token, chain)
	}

	fn set_account(&mut self, id: AccountId, account: Account) {
		Accounts::<T>::insert(id, to_record(&account));
	}

	fn set_account_id_by_address(&mut self, address: [u8; 20], id: AccountId) {
		AccountIdByAddress::<T>::insert(address, id);
	}

	fn set_balance(&mut self, id: AccountId, token: TokenId, amount: u128) {
		if amount == 0 {
			Balances::<T>::remove(id, token);
		} else {
			Balances::<T>::insert(id, token, amount);
		}
	}

	fn set_next_account_id(&mut self, id: AccountId) {
		NextAccountId::<T>::put(id);
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use concord_primitives::eddsa::PrivateKey;

	#[test]
	fn account_records_round_trip() {
		let account = Account {
			nonce: 7,
			pubkey: PrivateKey([9; 32]).public_key(),
			l1_address: [3; 20],
		};
		assert_eq!(from_record(&to_record(&account)), account);
		assert_eq!(from_record(&to_record(&Account::EMPTY)), Account::EMPTY);
		assert_eq!(to_record(&Account::EMPTY).pubkey, [0; 64]);
		assert_eq!(PublicKey::from_coordinate_bytes(&[0xff; 64]), None);
	}
}
