//! # Ledger pallet
//!
//! The appchain's view of the L2 state: the chain and token registries, every L2 account (its
//! L1 address, L2 key and nonce) and balances, among them the chain reserves' (what each chain's
//! contract holds of each token, at account `reserve_account(chain)`, see [`Pallet::liquidity`]). Every L2 operation is validated and applied here with the state transition
//! function of `concord-primitives`, the same code the prover and the auditor run, over this
//! pallet's storage ([`StorageState`]). The runtime does not hash the Poseidon tree: the batch's
//! proof binds the new root.
//!
//! - Users submit L2-signed ops with [`Pallet::submit`], a transaction authorised by its L2
//!   signature (`#[pallet::authorize]`, dispatched with the `Authorized` origin): no appchain
//!   account and no CORD needed; the fee is paid in an L2 token, at least the minimum that
//!   governance set for the op's kind and that token ([`MinFees`]; a token without one is not
//!   accepted for fees). The pool ranks an op by how many minimums its fee pays, never above
//!   [`Config::MaxOpPriority`], and a block takes at most [`Config::MaxOpsPerBlock`] L2 ops, so
//!   L2 load can neither crowd out the oracle's and provers' calls nor outgrow the provers. ChangePubKey goes through
//!   [`Pallet::change_pubkey`] instead, which also takes the account owner's Ethereum signature
//!   of the key change, checks it against the account's L1 address and keeps it for the L1
//!   committers (the contracts check it again at commit; the circuit cannot).
//! - Priority ops (Deposit, FullExit) come from the L1 contracts through the oracle pallet,
//!   which calls [`Pallet::apply_priority`] once a quorum attested them, strictly in each
//!   chain's priority-id order.
//! - Every applied op is handed to [`Config::Batches`] (the batches pallet), in order. Fees are
//!   not credited op by op: the STF collects them in the open batch's fee registers
//!   ([`OpenBatchFees`]), and the batches pallet has them credited to the fee account when it
//!   seals the batch ([`SettleFees`]). An op that cannot join the open batch (the fee account
//!   changed, or its fee would need a fifth fee token) has the open batch sealed first.
//!
//! A rejected op returns a typed error and changes nothing: the STF checks everything before it
//! writes.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
mod state;
#[cfg(test)]
mod tests;
pub mod weights;

pub use state::StorageState;
pub use weights::WeightInfo;

use concord_primitives::{ops::AppliedOp, stf::BatchContext};

/// What seals the ledger's ops into batches: the batches pallet.
pub trait BatchSink {
	/// Receives an applied op, in order, with the context of the batch it joins (its fee
	/// account and the fees collected so far, this op's included).
	fn on_applied(op: &AppliedOp, ctx: &BatchContext);
	/// Whether the open batch (or a new one, if none is open) has room for an op of `chunks`
	/// pubdata chunks; the ledger seals it first if not.
	fn has_room(chunks: usize) -> bool;
	/// Seals the open batch, if any, now: the next op cannot join it.
	fn seal_open_batch();
}

/// Credits the fees of the batch being sealed: the ledger, called by the batches pallet.
pub trait SettleFees {
	fn settle_fees();
}

impl SettleFees for () {
	fn settle_fees() {}
}

impl<T: pallet::Config> SettleFees for pallet::Pallet<T> {
	fn settle_fees() {
		pallet::Pallet::<T>::settle_open_batch_fees()
	}
}

/// This network's id ([`pallet::Network`]), for the pallets that bind it (the proofs pallet's
/// batch commitment).
pub struct NetworkOf<T>(core::marker::PhantomData<T>);

impl<T: pallet::Config> frame_support::traits::Get<concord_primitives::ops::NetworkId>
	for NetworkOf<T>
{
	fn get() -> concord_primitives::ops::NetworkId {
		pallet::Network::<T>::get()
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use concord_primitives::{
		account::{AccountId as L2AccountId, TokenId, TOKEN_ID_BITS},
		exit::CHAIN_ID_LIMIT,
		ops::{ChainId, NetworkId, Op, OpType, SignedOp},
		stf::{self, BatchContext, State, StfError, FEE_REGISTERS},
	};
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	/// An L1 chain's registration.
	#[derive(
		Clone,
		Copy,
		Debug,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		MaxEncodedLen,
	)]
	pub struct ChainInfo {
		/// The EVM chain id (what `block.chainid` answers on that chain).
		pub evm_chain_id: u64,
		/// The Concord rollup contract on that chain.
		pub contract: [u8; 20],
	}

	/// A token's registration on one chain.
	#[derive(
		Clone,
		Copy,
		Debug,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		MaxEncodedLen,
	)]
	pub struct TokenInfo {
		/// The ERC-20 contract, or the zero address for the chain's native coin.
		pub address: [u8; 20],
		/// The token's decimals on that chain; L2 amounts are in the token's smallest unit.
		pub decimals: u8,
	}

	/// An L2 account's fields (its balances are in [`Balances`]).
	#[derive(
		Clone,
		Copy,
		Debug,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		MaxEncodedLen,
	)]
	pub struct AccountRecord {
		pub nonce: u32,
		/// The L2 key's coordinates `x ‖ y`, each 32 bytes little-endian; all zeros until
		/// ChangePubKey sets it.
		pub pubkey: [u8; 64],
		pub l1_address: [u8; 20],
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Registers chains and tokens and sets the fee account (root on the dev chain).
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Receives every applied op, in order, and seals batches: the batches pallet.
		type Batches: BatchSink;
		/// The highest transaction-pool priority an L2 op can have, however large its fee. The
		/// runtime keeps the oracle's, provers' and governance's calls above it.
		#[pallet::constant]
		type MaxOpPriority: Get<TransactionPriority>;
		/// How many L2-signed ops one block may apply: more would seal batches faster than the
		/// provers prove them.
		#[pallet::constant]
		type MaxOpsPerBlock: Get<u32>;
		/// The most L1 chains that can be registered: every oracle member signs each batch's
		/// execution for all of them in one call, bounded by this.
		#[pallet::constant]
		type MaxChains: Get<u32>;
		/// How many blocks a submitted L2 op stays valid in the pool.
		#[pallet::constant]
		type OpLongevity: Get<u64>;
		/// How far ahead of an account's nonce the pool keeps ops waiting for their turn.
		#[pallet::constant]
		type MaxNonceGap: Get<u32>;
		type WeightInfo: WeightInfo;
	}

	/// Registered L1 chains: those the system serves (deposits, withdrawals, batch sync).
	#[pallet::storage]
	pub type Chains<T> = StorageMap<_, Twox64Concat, ChainId, ChainInfo>;

	/// Chains removed from the system (a dead L1, a stalled contract): no op may name them any
	/// more and nothing waits for them; their ids are never registered again, so the ops of
	/// earlier batches that name them keep their meaning.
	#[pallet::storage]
	pub type RemovedChains<T> = StorageMap<_, Twox64Concat, ChainId, ChainInfo>;

	/// Tokens by L2 token id and chain: the same id on two chains is what lets funds deposited
	/// on one be withdrawn on the other.
	#[pallet::storage]
	pub type Tokens<T> =
		StorageDoubleMap<_, Twox64Concat, TokenId, Twox64Concat, ChainId, TokenInfo>;

	/// L2 accounts, numbered from 0 without gaps.
	#[pallet::storage]
	pub type Accounts<T> = StorageMap<_, Twox64Concat, L2AccountId, AccountRecord>;

	/// The account owned by each L1 address (at most one).
	#[pallet::storage]
	pub type AccountIdByAddress<T> = StorageMap<_, Blake2_128Concat, [u8; 20], L2AccountId>;

	/// The id the next created account gets.
	#[pallet::storage]
	pub type NextAccountId<T> = StorageValue<_, L2AccountId, ValueQuery>;

	/// Non-zero balances by account and token. The chain reserves' balances are here too, at
	/// the account ids from `FIRST_RESERVE_ACCOUNT`, which have no [`Accounts`] record: what each
	/// chain's contract holds for L2 accounts, so a withdrawal to a chain that cannot pay it is
	/// rejected.
	#[pallet::storage]
	pub type Balances<T> =
		StorageDoubleMap<_, Twox64Concat, L2AccountId, Twox64Concat, TokenId, u128, ValueQuery>;

	/// The account that receives the fees of L2 ops; L2-signed ops are rejected until it is
	/// set.
	#[pallet::storage]
	pub type FeeAccount<T> = StorageValue<_, L2AccountId>;

	/// This network's id, set at genesis and never changed: every L2 signature, ChangePubKey
	/// authorisation and batch commitment includes it, so nothing signed or proved for another
	/// Concord network (a testnet) is valid here.
	#[pallet::storage]
	pub type Network<T> = StorageValue<_, NetworkId, ValueQuery>;

	/// The open batch's fee account and the fees its ops collected, by token: credited to
	/// that account when the batch is sealed. Absent while no batch is open.
	#[pallet::storage]
	pub type OpenBatchFees<T> = StorageValue<_, BatchContext>;

	/// The owners' Ethereum signatures of applied ChangePubKeys, by (account, nonce): the L1
	/// contracts need them at commit.
	#[pallet::storage]
	pub type PubkeyAuthorizations<T> =
		StorageDoubleMap<_, Twox64Concat, L2AccountId, Twox64Concat, u32, [u8; 65]>;

	/// The smallest fee an L2-signed op of a kind (Transfer, TransferToNew, Withdraw,
	/// ChangePubKey) may pay in a token. An op whose fee token has no minimum for its kind is
	/// refused: every accepted op pays something.
	#[pallet::storage]
	pub type MinFees<T> = StorageDoubleMap<_, Twox64Concat, OpType, Twox64Concat, TokenId, u128>;

	/// How many L2-signed ops this block applied (removed at the end of every block).
	#[pallet::storage]
	pub type OpsInBlock<T> = StorageValue<_, u32, ValueQuery>;

	/// The priority id each chain's next priority op must have.
	#[pallet::storage]
	pub type NextPriorityId<T> = StorageMap<_, Twox64Concat, ChainId, u64, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An L1 chain was registered.
		ChainRegistered { chain: ChainId, info: ChainInfo },
		/// A chain was removed: ops naming it are refused from now on.
		ChainRemoved { chain: ChainId },
		/// A token was registered on a chain.
		TokenRegistered {
			token: TokenId,
			chain: ChainId,
			info: TokenInfo,
		},
		/// Fees now go to this account.
		FeeAccountSet { account: L2AccountId },
		/// Ops of `kind` paying their fee in `token` must now pay at least `minimum`; `None`:
		/// `token` is no longer accepted for their fees.
		MinFeeSet {
			kind: OpType,
			token: TokenId,
			minimum: Option<u128>,
		},
		/// An op was applied (the batches pallet seals it next).
		OpApplied { op: Op },
		/// A deposit could not be credited, for `reason`: it was applied as a refund, which its
		/// chain's contract pays back to the deposit's address when it executes the batch.
		DepositRefunded {
			chain: ChainId,
			priority_id: u64,
			reason: DispatchError,
		},
		/// An op created this account for this address.
		AccountCreated {
			account: L2AccountId,
			l1_address: [u8; 20],
		},
		/// A sealed batch's fees were credited to its fee account: (token, amount) per token.
		FeesCredited {
			account: L2AccountId,
			fees: BoundedVec<(TokenId, u128), ConstU32<{ FEE_REGISTERS as u32 }>>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// `MaxChains` chains are registered already.
		TooManyChains,
		/// The chain is already registered.
		ChainAlreadyRegistered,
		/// The token id is registered on another chain with other decimals: its L2 amounts
		/// would be worth different sums on the two chains.
		DecimalsMismatch,
		/// The token is already registered on this chain.
		TokenAlreadyRegistered,
		/// The token id does not fit the balance tree (`2^TOKEN_ID_BITS` ids).
		TokenIdOutOfRange,
		/// No fee account is set, so L2-signed ops cannot pay their fee.
		NoFeeAccount,
		/// Only Deposit and FullExit enter as priority ops.
		NotAPriorityOp,
		/// A priority op out of its chain's order.
		PriorityOutOfOrder,
		/// No account has this id.
		UnknownAccount,
		/// No chain registers this token.
		UnknownToken,
		/// No L1 is registered with this id.
		UnknownChain,
		/// The token exists, but not on this chain.
		TokenNotOnChain,
		/// The account holds less than the op takes (amount plus fee).
		InsufficientBalance,
		/// The chain's contract holds less of the token than the withdrawal pays.
		InsufficientChainLiquidity,
		/// The op's nonce is not the account's: a replay, or an op out of order.
		BadNonce,
		/// The account can sign no further op.
		NonceOverflow,
		/// A sum would exceed `u128::MAX`.
		AmountOverflow,
		/// Every account id is taken.
		AccountIdsExhausted,
		/// A TransferToNew to an address that already owns an account.
		AddressAlreadyHasAccount,
		/// A Transfer from an account to itself.
		SelfTransfer,
		/// The signer has no L2 key yet.
		PubkeyNotSet,
		/// A ChangePubKey's new key is not a point of the prime-order subgroup (a small-order
		/// key would accept signatures anyone can forge).
		InvalidPubkey,
		/// The op is not L2-signed (Noop, Deposit, FullExit).
		NotSigned,
		/// The signature is not the signer's.
		BadSignature,
		/// A ChangePubKey sent to `submit`: it goes through `change_pubkey` with the owner's
		/// Ethereum signature.
		EthAuthorizationRequired,
		/// `change_pubkey` was given another op than a ChangePubKey.
		NotChangePubKey,
		/// The Ethereum signature is not the account owner's signature of this key change.
		BadEthAuthorization,
		/// Governance set no minimum fee for this op kind in this token: it is not accepted
		/// for the fees of such ops.
		FeeTokenNotAccepted,
		/// The op's fee is below the minimum for its kind and fee token ([`MinFees`]).
		FeeBelowMinimum,
		/// Minimum fees are set for L2-signed op kinds only, and are never zero (a zero
		/// minimum would let anyone fill blocks for free).
		InvalidMinFee,
		/// The chain id belonged to a removed chain: it is never registered again.
		ChainRemoved,
		/// The open batch collects fees in four other tokens already (the ledger seals it
		/// before such an op, so only a bug reaches this).
		FeeTokensFull,
		/// Fees are accepted in at most `FEE_REGISTERS` (4) tokens, as many as a batch
		/// collects: drop one (its minimums set to `None` for every kind) before accepting
		/// another.
		TooManyFeeTokens,
		/// A Transfer's or TransferToNew's amount has more significant digits than the
		/// pubdata's 5-byte float holds (35-bit mantissa, power of ten): round it down.
		AmountNotPackable,
		/// A fee has more significant digits than the pubdata's 2-byte float holds (11-bit
		/// mantissa, power of ten): round it down.
		FeeNotPackable,
		/// Chain ids are below `CHAIN_ID_LIMIT` (16): an exodus exit proof sums the reserves of
		/// chains 0 to 15 and shows every other reserve empty, so a chain with a higher id
		/// would leave nobody able to exit.
		ChainIdOutOfRange,
	}

	impl<T> From<StfError> for Error<T> {
		fn from(error: StfError) -> Self {
			match error {
				StfError::UnknownAccount(_) => Error::UnknownAccount,
				StfError::UnknownToken(_) => Error::UnknownToken,
				StfError::UnknownChain(_) => Error::UnknownChain,
				StfError::TokenNotOnChain { .. } => Error::TokenNotOnChain,
				StfError::InsufficientBalance { .. } => Error::InsufficientBalance,
				StfError::InsufficientChainLiquidity { .. } => Error::InsufficientChainLiquidity,
				StfError::BadNonce { .. } => Error::BadNonce,
				StfError::NonceOverflow => Error::NonceOverflow,
				StfError::AmountOverflow => Error::AmountOverflow,
				StfError::AccountIdsExhausted => Error::AccountIdsExhausted,
				StfError::AddressAlreadyHasAccount(_) => Error::AddressAlreadyHasAccount,
				StfError::SelfTransfer => Error::SelfTransfer,
				StfError::PubkeyNotSet(_) => Error::PubkeyNotSet,
				StfError::InvalidPubkey => Error::InvalidPubkey,
				StfError::NotSigned => Error::NotSigned,
				StfError::BadSignature => Error::BadSignature,
				StfError::FeeTokensFull => Error::FeeTokensFull,
				StfError::AmountNotPackable { .. } => Error::AmountNotPackable,
				StfError::FeeNotPackable { .. } => Error::FeeNotPackable,
			}
		}
	}

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The network's id ([`Network`]): different for every Concord network.
		pub network: NetworkId,
		/// Chains to register: (chain id, EVM chain id, contract address).
		pub chains: alloc::vec::Vec<(u8, u64, [u8; 20])>,
		/// Tokens to register: (token id, chain id, token address, decimals).
		pub tokens: alloc::vec::Vec<(TokenId, u8, [u8; 20], u8)>,
		/// Minimum fees: (op type byte, fee token, minimum).
		pub min_fees: alloc::vec::Vec<(u8, TokenId, u128)>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Network::<T>::put(self.network);
			for &(chain, evm_chain_id, contract) in &self.chains {
				Pallet::<T>::do_register_chain(
					ChainId(chain),
					ChainInfo {
						evm_chain_id,
						contract,
					},
				)
				.expect("genesis chains are distinct");
			}
			for &(token, chain, address, decimals) in &self.tokens {
				Pallet::<T>::do_register_token(
					token,
					ChainId(chain),
					TokenInfo { address, decimals },
				)
				.expect("genesis tokens are on genesis chains, each once");
			}
			for &(kind, token, minimum) in &self.min_fees {
				let kind = OpType::from_byte(kind).expect("genesis minimum fees name op types");
				Pallet::<T>::do_set_min_fee(kind, token, Some(minimum))
					.expect("genesis minimum fees are for L2-signed ops and not zero");
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_finalize(_: BlockNumberFor<T>) {
			OpsInBlock::<T>::kill();
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers an L1 chain and its rollup contract.
		#[pallet::call_index(0)]
		#[pallet::weight((<T as Config>::WeightInfo::register_chain(), DispatchClass::Operational))]
		pub fn register_chain(
			origin: OriginFor<T>,
			chain: ChainId,
			evm_chain_id: u64,
			contract: [u8; 20],
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_register_chain(
				chain,
				ChainInfo {
					evm_chain_id,
					contract,
				},
			)
		}

		/// Registers token id `token` on `chain` as the ERC-20 at `address` (zero: the native
		/// coin) with `decimals`.
		#[pallet::call_index(1)]
		#[pallet::weight((<T as Config>::WeightInfo::register_token(), DispatchClass::Operational))]
		pub fn register_token(
			origin: OriginFor<T>,
			token: TokenId,
			chain: ChainId,
			address: [u8; 20],
			decimals: u8,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_register_token(token, chain, TokenInfo { address, decimals })
		}

		/// Sends the fees of L2 ops to `account`, which must exist.
		#[pallet::call_index(2)]
		#[pallet::weight((<T as Config>::WeightInfo::set_fee_account(), DispatchClass::Operational))]
		pub fn set_fee_account(origin: OriginFor<T>, account: L2AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(
				Accounts::<T>::contains_key(account),
				Error::<T>::UnknownAccount
			);
			FeeAccount::<T>::put(account);
			Self::deposit_event(Event::FeeAccountSet { account });
			Ok(())
		}

		/// Sets the minimum fee of L2-signed ops of `kind` paid in `token` (`None`: `token` is
		/// no longer accepted for their fees). Existing pool entries below it are dropped when
		/// the pool revalidates them. At most `FEE_REGISTERS` tokens are accepted for fees at a
		/// time ([`Error::TooManyFeeTokens`]).
		#[pallet::call_index(5)]
		#[pallet::weight((<T as Config>::WeightInfo::set_min_fee(), DispatchClass::Operational))]
		pub fn set_min_fee(
			origin: OriginFor<T>,
			kind: OpType,
			token: TokenId,
			minimum: Option<u128>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_min_fee(kind, token, minimum)
		}

		/// Applies an L2-signed op. Submitted as a general transaction without an appchain
		/// signer: [`Pallet::authorize_submit`] admits it to the pool only if its L2 signature
		/// is valid and it applies on the current state (or waits for its nonce).
		#[pallet::call_index(3)]
		#[pallet::authorize(Pallet::<T>::authorize_submit)]
		pub fn submit(origin: OriginFor<T>, op: SignedOp) -> DispatchResult {
			frame_system::ensure_authorized(origin)?;
			ensure!(
				!matches!(op.op, Op::ChangePubKey(_)),
				Error::<T>::EthAuthorizationRequired
			);
			Self::apply_signed(&op)
		}

		/// Applies a ChangePubKey signed by the new L2 key (`op.signature`) and authorised by
		/// the account owner's Ethereum key (`eth_signature`, 65 bytes `r ‖ s ‖ v`, over
		/// `ChangePubKey::eth_message`). A general transaction like `submit`; the Ethereum
		/// signature is kept in [`PubkeyAuthorizations`] for the L1 committers.
		#[pallet::call_index(4)]
		#[pallet::authorize(Pallet::<T>::authorize_change_pubkey)]
		#[pallet::weight(<T as Config>::WeightInfo::change_pubkey())]
		pub fn change_pubkey(
			origin: OriginFor<T>,
			op: SignedOp,
			eth_signature: [u8; 65],
		) -> DispatchResult {
			frame_system::ensure_authorized(origin)?;
			let (account, nonce) = Self::check_eth_authorization(&op.op, &eth_signature)?;
			Self::apply_signed(&op)?;
			PubkeyAuthorizations::<T>::insert(account, nonce, eth_signature);
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// How much of `token` chain `chain`'s contract holds for L2 accounts: its reserve
		/// account's balance.
		pub fn liquidity(chain: ChainId, token: TokenId) -> u128 {
			StorageState::<T>::new().liquidity(chain, token)
		}

		fn do_register_chain(chain: ChainId, info: ChainInfo) -> DispatchResult {
			ensure!(chain.0 < CHAIN_ID_LIMIT, Error::<T>::ChainIdOutOfRange);
			ensure!(
				!Chains::<T>::contains_key(chain),
				Error::<T>::ChainAlreadyRegistered
			);
			ensure!(
				!RemovedChains::<T>::contains_key(chain),
				Error::<T>::ChainRemoved
			);
			ensure!(
				(Chains::<T>::iter_keys().count() as u32) < T::MaxChains::get(),
				Error::<T>::TooManyChains
			);
			Chains::<T>::insert(chain, info);
			Self::deposit_event(Event::ChainRegistered { chain, info });
			Ok(())
		}

		/// Moves `chain` to [`RemovedChains`]. Its reserve stays: it is what its contract still
		/// holds.
		pub fn do_remove_chain(chain: ChainId) -> DispatchResult {
			let info = Chains::<T>::take(chain).ok_or(Error::<T>::UnknownChain)?;
			RemovedChains::<T>::insert(chain, info);
			Self::deposit_event(Event::ChainRemoved { chain });
			Ok(())
		}

		fn do_register_token(token: TokenId, chain: ChainId, info: TokenInfo) -> DispatchResult {
			ensure!(Chains::<T>::contains_key(chain), Error::<T>::UnknownChain);
			ensure!(
				u64::from(token) < 1 << TOKEN_ID_BITS,
				Error::<T>::TokenIdOutOfRange
			);
			ensure!(
				!Tokens::<T>::contains_key(token, chain),
				Error::<T>::TokenAlreadyRegistered
			);
			// One L2 amount is one amount on every chain: 1 unit of an 18-decimal token
			// deposited must not withdraw as 1 unit of a 6-decimal one.
			ensure!(
				Tokens::<T>::iter_prefix_values(token).all(|other| other.decimals == info.decimals),
				Error::<T>::DecimalsMismatch
			);
			Tokens::<T>::insert(token, chain, info);
			Self::deposit_event(Event::TokenRegistered { token, chain, info });
			Ok(())
		}

		fn do_set_min_fee(kind: OpType, token: TokenId, minimum: Option<u128>) -> DispatchResult {
			let signed_kind = matches!(
				kind,
				OpType::Transfer | OpType::TransferToNew | OpType::Withdraw | OpType::ChangePubKey
			);
			ensure!(signed_kind && minimum != Some(0), Error::<T>::InvalidMinFee);
			ensure!(
				u64::from(token) < 1 << TOKEN_ID_BITS,
				Error::<T>::TokenIdOutOfRange
			);
			// With at most as many fee tokens as a batch has fee registers, every op can join
			// the open batch: nobody can cut batches short by paying in a fifth token.
			if minimum.is_some() {
				let mut accepted = alloc::collections::BTreeSet::new();
				accepted.extend(MinFees::<T>::iter_keys().map(|(_, accepted)| accepted));
				ensure!(
					accepted.contains(&token) || accepted.len() < FEE_REGISTERS,
					Error::<T>::TooManyFeeTokens
				);
			}
			MinFees::<T>::set(kind, token, minimum);
			Self::deposit_event(Event::MinFeeSet {
				kind,
				token,
				minimum,
			});
			Ok(())
		}

		/// How many times the minimum fee of its kind and token `op`'s fee pays (at least 1),
		/// or why the fee is refused.
		pub fn fee_multiple(op: &Op) -> Result<u128, Error<T>> {
			let (token, fee) = op.fee().ok_or(Error::<T>::NotSigned)?;
			let minimum =
				MinFees::<T>::get(op.op_type(), token).ok_or(Error::<T>::FeeTokenNotAccepted)?;
			ensure!(fee >= minimum, Error::<T>::FeeBelowMinimum);
			Ok(fee / minimum)
		}

		/// The pool priority of an op whose fee pays `multiple` minimums: proportional to it,
		/// capped at [`Config::MaxOpPriority`].
		pub fn op_priority(multiple: u128) -> TransactionPriority {
			let cap = T::MaxOpPriority::get();
			u64::try_from(multiple).map_or(cap, |multiple| multiple.min(cap))
		}

		/// Applies an L2-signed op with its fee going to the current fee account.
		fn apply_signed(op: &SignedOp) -> DispatchResult {
			Self::fee_multiple(&op.op)?;
			let fee_account = FeeAccount::<T>::get().ok_or(Error::<T>::NoFeeAccount)?;
			let mut ctx = Self::join_batch(fee_account, &op.op);
			let applied = Self::track_created(|state| {
				stf::apply_signed_with(state, op, &mut ctx, concord_host::verify_eddsa_poseidon)
			})?;
			OpsInBlock::<T>::mutate(|count| *count = count.saturating_add(1));
			Self::applied(&applied, &ctx);
			Ok(())
		}

		/// The context `op` applies in with fees going to `fee_account`: the open batch's if the
		/// op can join it (then `true`: same fee account, a fee register for its fee token, room
		/// for its chunks), else a new batch's.
		fn batch_for(fee_account: L2AccountId, op: &Op) -> (BatchContext, bool) {
			let fee = op.fee();
			match OpenBatchFees::<T>::get() {
				Some(open)
					if open.fee_account == fee_account
						&& fee.is_none_or(|(token, _)| open.fees.can_collect(token))
						&& T::Batches::has_room(op.op_type().chunks()) =>
				{
					(open, true)
				}
				_ => (BatchContext::new(Network::<T>::get(), fee_account), false),
			}
		}

		/// [`Self::batch_for`], sealing the open batch first if the op cannot join it.
		fn join_batch(fee_account: L2AccountId, op: &Op) -> BatchContext {
			let (ctx, joins_open) = Self::batch_for(fee_account, op);
			if !joins_open {
				T::Batches::seal_open_batch();
			}
			ctx
		}

		/// Credits the open batch's fees to its fee account: called as the batch is sealed.
		pub fn settle_open_batch_fees() {
			let Some(mut ctx) = OpenBatchFees::<T>::take() else {
				return;
			};
			let fees = ctx.fees.registers().to_vec();
			stf::settle_fees(&mut StorageState::<T>::new(), &mut ctx);
			if !fees.is_empty() {
				Self::deposit_event(Event::FeesCredited {
					account: ctx.fee_account,
					fees: BoundedVec::truncate_from(fees),
				});
			}
		}

		/// Checks that `eth_signature` is the Ethereum signature of the ChangePubKey `op` on this
		/// network by the owner of its account; returns the account and the op's nonce.
		pub fn check_eth_authorization(
			op: &Op,
			eth_signature: &[u8; 65],
		) -> Result<(L2AccountId, u32), Error<T>> {
			let Op::ChangePubKey(change) = op else {
				return Err(Error::<T>::NotChangePubKey);
			};
			let owner = Accounts::<T>::get(change.account)
				.ok_or(Error::<T>::UnknownAccount)?
				.l1_address;
			ensure!(
				change.verify_eth_authorization(&owner, eth_signature, Network::<T>::get()),
				Error::<T>::BadEthAuthorization
			);
			Ok((change.account, change.nonce))
		}

		/// Whether `change_pubkey(op, eth_signature)` may enter the pool: the owner's Ethereum
		/// signature first, then everything [`Self::authorize_submit`] checks.
		pub fn authorize_change_pubkey(
			source: TransactionSource,
			op: &SignedOp,
			eth_signature: &[u8; 65],
		) -> TransactionValidityWithRefund {
			Self::check_eth_authorization(&op.op, eth_signature).map_err(|error| match error {
				Error::<T>::BadEthAuthorization => {
					TransactionValidityError::Invalid(InvalidTransaction::BadProof)
				}
				other => Self::refusal(other),
			})?;
			Self::authorize_op(source, op)
		}

		/// Whether `submit(op)` may enter the pool (a ChangePubKey may not: it needs
		/// `change_pubkey`).
		pub fn authorize_submit(
			source: TransactionSource,
			op: &SignedOp,
		) -> TransactionValidityWithRefund {
			if matches!(op.op, Op::ChangePubKey(_)) {
				return Err(Self::refusal(Error::<T>::EthAuthorizationRequired));
			}
			Self::authorize_op(source, op)
		}

		/// The pool's answer for an op the ledger refuses with `error`:
		/// `InvalidTransaction::Custom` with the error's index in [`Error`], which clients
		/// resolve to its name (`ledger.InsufficientBalance`, ...) from the metadata.
		pub fn refusal(error: Error<T>) -> TransactionValidityError {
			TransactionValidityError::Invalid(InvalidTransaction::Custom(error.encode()[0]))
		}

		/// Whether an L2-signed op may enter the pool (or the block being built): its fee pays
		/// the minimum of its kind in an accepted token, the signature is the signer's
		/// (`BadProof`), the op applies now (nonce equal to the account's) or may apply after the
		/// account's earlier ops (nonce at most `MaxNonceGap` ahead), and the block has room for
		/// another L2 op (`ExhaustsResources` otherwise: the op waits for a later block). The
		/// priority follows the fee; tags order an account's ops by nonce and drop replays.
		fn authorize_op(
			_source: TransactionSource,
			op: &SignedOp,
		) -> TransactionValidityWithRefund {
			let invalid = |error| TransactionValidityError::Invalid(error);
			let refused = |error: StfError| Self::refusal(Error::<T>::from(error));
			let (signer, nonce) = op.op.signer().ok_or(Self::refusal(Error::<T>::NotSigned))?;
			let multiple = Self::fee_multiple(&op.op).map_err(Self::refusal)?;
			// Stateless, so checked for ops with a future nonce too.
			stf::check_packable(&op.op).map_err(refused)?;
			let state = StorageState::<T>::new();
			// The EdDSA check runs natively, as a host function of the node, not in wasm.
			let network = Network::<T>::get();
			stf::verify_signature_with(&state, op, network, concord_host::verify_eddsa_poseidon)
				.map_err(|error| match error {
					StfError::BadSignature => invalid(InvalidTransaction::BadProof),
					other => refused(other),
				})?;
			let current = Accounts::<T>::get(signer).map_or(0, |account| account.nonce);
			let mut validity = ValidTransaction::with_tag_prefix("ConcordLedger")
				.priority(Self::op_priority(multiple))
				.longevity(T::OpLongevity::get())
				.and_provides((signer, nonce))
				.propagate(true);
			if nonce < current {
				return Err(invalid(InvalidTransaction::Stale));
			} else if nonce == current {
				// Applies now: reject it unless it would succeed.
				let fee_account =
					FeeAccount::<T>::get().ok_or(Self::refusal(Error::<T>::NoFeeAccount))?;
				// As `apply_signed` will: in the open batch if the op can join it, else in a
				// new one.
				let (mut ctx, _) = Self::batch_for(fee_account, &op.op);
				frame_support::storage::with_transaction_unchecked(|| {
					let result = stf::apply(&mut StorageState::<T>::new(), &op.op, &mut ctx);
					frame_support::storage::TransactionOutcome::Rollback(result)
				})
				.map_err(refused)?;
			} else if nonce - current > T::MaxNonceGap::get() {
				return Err(invalid(InvalidTransaction::Future));
			} else {
				validity = validity.and_requires((signer, nonce - 1));
			}
			// Checked last: an op refused for good is dropped; a valid one waits for a block
			// with room.
			if OpsInBlock::<T>::get() >= T::MaxOpsPerBlock::get() {
				return Err(invalid(InvalidTransaction::ExhaustsResources));
			}
			Ok((validity.into(), Weight::zero()))
		}

		/// Applies a priority op (Deposit or FullExit) that a quorum of oracle members attested
		/// on its L1; it must be its chain's next priority id. A refused op changes nothing, not
		/// even the open batch, which an op that cannot join it has sealed first: its callers
		/// (the oracle's queue drain) carry on after a refusal.
		pub fn apply_priority(op: &Op) -> Result<AppliedOp, DispatchError> {
			frame_support::storage::with_storage_layer(|| Self::apply_priority_layered(op))
		}

		fn apply_priority_layered(op: &Op) -> Result<AppliedOp, DispatchError> {
			let (chain, priority_id) = match op {
				Op::Deposit(deposit) => (deposit.chain_id, deposit.priority_id),
				Op::FullExit(exit) => (exit.chain_id, exit.priority_id),
				_ => return Err(Error::<T>::NotAPriorityOp.into()),
			};
			// An unregistered chain's contract executes no batch that could pay a refund.
			ensure!(Chains::<T>::contains_key(chain), Error::<T>::UnknownChain);
			ensure!(
				NextPriorityId::<T>::get(chain) == priority_id,
				Error::<T>::PriorityOutOfOrder
			);
			let mut ctx = Self::join_batch(FeeAccount::<T>::get().unwrap_or_default(), op);
			let applied = Self::track_created(|state| stf::apply(state, op, &mut ctx))?;
			if let (true, Op::Deposit(deposit)) = (applied.is_refunded(), op) {
				// A refund changed nothing, so the state still says why.
				let state = StorageState::<T>::new();
				if let Some(reason) = stf::deposit_refusal(&state, &ctx, deposit) {
					Self::deposit_event(Event::DepositRefunded {
						chain,
						priority_id,
						reason: Error::<T>::from(reason).into(),
					});
				}
			}
			NextPriorityId::<T>::insert(chain, priority_id + 1);
			Self::applied(&applied, &ctx);
			Ok(applied)
		}

		/// Runs `apply` on the storage state and reports the account it created, if any.
		fn track_created(
			apply: impl FnOnce(&mut StorageState<T>) -> Result<AppliedOp, StfError>,
		) -> Result<AppliedOp, DispatchError> {
			let next = NextAccountId::<T>::get();
			let applied = apply(&mut StorageState::<T>::new()).map_err(Error::<T>::from)?;
			if NextAccountId::<T>::get() != next {
				if let Some(account) = Accounts::<T>::get(next) {
					Self::deposit_event(Event::AccountCreated {
						account: next,
						l1_address: account.l1_address,
					});
				}
			}
			Ok(applied)
		}

		fn applied(applied: &AppliedOp, ctx: &BatchContext) {
			OpenBatchFees::<T>::put(ctx);
			T::Batches::on_applied(applied, ctx);
			Self::deposit_event(Event::OpApplied { op: *applied.op() });
		}
	}
}
