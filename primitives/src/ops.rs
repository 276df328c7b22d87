//! The L2 operations, the messages their owners sign and their public data (pubdata).
//!
//! An [`Op`] is what a user or an L1 contract asks for. Applying it with the state transition
//! function ([`crate::stf::apply`]) resolves what only the state knows (the account a deposit
//! lands in, the id of a new account, the amount a full exit pays, the owner whose Ethereum
//! signature authorises a key change) and yields an [`AppliedOp`]. The pubdata is written from
//! the applied op, because the L1 contracts and anyone rebuilding the state from L1 data need
//! those resolved values: a contract credits a full exit by the amount in the pubdata, and an
//! auditor credits a deposit to the account id in it without trusting the operator's index.
//!
//! Ops are SCALE-encoded (they are the arguments of the appchain's L2 extrinsics) with the
//! variant index equal to the op type byte of the pubdata.

use crate::{
	account::{address_to_fr, AccountId, TokenId, ACCOUNT_ID_BITS, TOKEN_ID_BITS},
	eddsa::{PublicKey, Signature},
	float, poseidon, Fr,
};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt;
use scale_info::TypeInfo;
use tiny_keccak::{Hasher, Keccak};

/// An L1 chain's id in Concord (not its EVM chain id): the appchain's chain registry maps one
/// to the other. One byte keeps it cheap in every on-chain op's pubdata and in the packed
/// signed message.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Hash,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct ChainId(pub u8);

/// The id of a Concord network (set in its appchain's genesis, different for every network:
/// mainnet, each testnet, each development chain). Every L2 signature, every ChangePubKey
/// authorisation, the L2 key derivation and the batch commitment include it, so nothing signed
/// or proved for one network is valid on another.
pub type NetworkId = u32;

/// Bytes per pubdata chunk.
///
/// 16 bytes: every op's layout (see [`OpType::chunks`]) then wastes at most 13 bytes of
/// padding (a 32-byte chunk would waste up to 29, on every L1 that stores the pubdata as
/// calldata), an amount (`u128`) is exactly one chunk, and a chunk as an integer (128 bits)
/// fits in one BN254 field element, so the circuit can carry a chunk in a single variable.
/// The block circuit has a fixed number of chunks; unused ones are [`Op::Noop`] chunks.
pub const CHUNK_BYTES: usize = 16;

/// The first byte of an op's pubdata, its SCALE variant index and the low byte of its packed
/// signed message.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Hash,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[repr(u8)]
pub enum OpType {
	Noop = 0,
	Deposit = 1,
	Transfer = 2,
	TransferToNew = 3,
	Withdraw = 4,
	ChangePubKey = 5,
	FullExit = 6,
}

impl OpType {
	/// Every op type, by type byte.
	pub const ALL: [OpType; 7] = [
		OpType::Noop,
		OpType::Deposit,
		OpType::Transfer,
		OpType::TransferToNew,
		OpType::Withdraw,
		OpType::ChangePubKey,
		OpType::FullExit,
	];

	/// The op type of a pubdata type byte.
	pub fn from_byte(byte: u8) -> Option<OpType> {
		OpType::ALL.get(usize::from(byte)).copied()
	}

	/// The number of bytes of the layout, before padding to whole chunks (see the layout
	/// table in `docs/protocol.md`): account ids take 3 bytes, tokens 1, L2 amounts a
	/// [`float::AMOUNT`] and fees a [`float::FEE`].
	pub const fn data_bytes(self) -> usize {
		const ID: usize = 3;
		const AMOUNT: usize = float::AMOUNT.bytes();
		const FEE: usize = float::FEE.bytes();
		match self {
			OpType::Noop => 1,
			OpType::Deposit => 1 + 1 + ID + 20 + 1 + 16 + 1,
			OpType::Transfer => 1 + ID + ID + 1 + AMOUNT + FEE,
			OpType::TransferToNew => 1 + ID + ID + 20 + 1 + AMOUNT + FEE,
			OpType::Withdraw => 1 + 1 + ID + 20 + 1 + 16 + FEE,
			OpType::ChangePubKey => 1 + 1 + ID + 32 + 20 + 4 + 1 + FEE,
			OpType::FullExit => 1 + 1 + ID + 20 + 1 + 16,
		}
	}

	/// The number of chunks of the op's pubdata: 1, 3, 1, 3, 3, 4, 3 in type order.
	pub const fn chunks(self) -> usize {
		self.data_bytes().div_ceil(CHUNK_BYTES)
	}

	/// The most chunks any op takes (ChangePubKey's): a batch has at least this many slots,
	/// or some op could never be sealed.
	pub const MAX_CHUNKS: usize = {
		let mut max = 0;
		let mut i = 0;
		while i < OpType::ALL.len() {
			if OpType::ALL[i].chunks() > max {
				max = OpType::ALL[i].chunks();
			}
			i += 1;
		}
		max
	};

	/// The size of the op's pubdata in bytes, a whole number of chunks.
	pub const fn pubdata_bytes(self) -> usize {
		self.chunks() * CHUNK_BYTES
	}
}

/// A deposit from an L1 (a priority op): the L1 contract has taken `amount` of `token`, and the
/// account owning `to_address` is credited, created with the next free id if there is none. A
/// deposit the state cannot credit is refunded instead (see [`crate::stf::apply`]).
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
pub struct Deposit {
	/// The L1 that took the funds.
	pub chain_id: ChainId,
	/// The request's serial number in that L1's priority queue.
	pub priority_id: u64,
	pub to_address: [u8; 20],
	pub token: TokenId,
	pub amount: u128,
}

/// A transfer between two existing accounts.
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
pub struct Transfer {
	pub from: AccountId,
	pub to: AccountId,
	pub token: TokenId,
	pub amount: u128,
	/// Paid in `token` to the batch's fee account.
	pub fee: u128,
	pub nonce: u32,
}

/// A transfer to an L1 address that has no account yet: the account is created with the next
/// free id. The signer cannot know that id in advance, so it is not part of the op.
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
pub struct TransferToNew {
	pub from: AccountId,
	pub to_address: [u8; 20],
	pub token: TokenId,
	pub amount: u128,
	/// Paid in `token` to the batch's fee account.
	pub fee: u128,
	pub nonce: u32,
}

/// A withdrawal to an address on any chain on which `token` is registered and which holds
/// enough of it.
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
pub struct Withdraw {
	pub from: AccountId,
	pub to_chain: ChainId,
	pub to_address: [u8; 20],
	pub token: TokenId,
	pub amount: u128,
	/// Paid in `token` to the batch's fee account; it stays on L2.
	pub fee: u128,
	pub nonce: u32,
}

/// Sets the account's L2 key.
///
/// Two signatures authorise it. The owner's Ethereum signature of [`ChangePubKey::eth_message`]
/// gives control of the account to the new key; the runtime checks it before inclusion and the
/// L1 contract of `chain_id` checks it again at commit, since the circuit cannot (see
/// [`ChangePubKey::verify_eth_authorization`]). The new key's own EdDSA signature of
/// [`Op::signed_message`] authorises the fee (which the Ethereum message leaves out so that its
/// text has a fixed length) and proves the key is usable; the circuit checks it like every L2
/// signature.
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
pub struct ChangePubKey {
	/// The L1 whose contract checks the Ethereum signature; any registered chain will do, as the
	/// owner's address is the same on all of them.
	pub chain_id: ChainId,
	pub account: AccountId,
	/// The new key packed as circomlibjs `babyJub.packPoint`.
	pub new_pubkey: [u8; 32],
	pub fee_token: TokenId,
	/// Paid in `fee_token` to the batch's fee account.
	pub fee: u128,
	pub nonce: u32,
}

/// A request from an L1 (a priority op) to withdraw an account's whole balance of `token` to
/// that L1. L1 users can file it without an L2 key (for instance if the operator ignores their
/// L2 ops), so it must always be served: it exits 0 instead of failing when `owner` is not the
/// account's address, the account or token does not exist, or the chain cannot pay.
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
pub struct FullExit {
	/// The L1 that received the request and pays the exit.
	pub chain_id: ChainId,
	/// The request's serial number in that L1's priority queue.
	pub priority_id: u64,
	pub account: AccountId,
	/// The address that filed the request (`msg.sender` on the L1) and receives the funds.
	pub owner: [u8; 20],
	pub token: TokenId,
}

/// An L2 operation. The SCALE variant index is the [`OpType`] byte.
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
pub enum Op {
	/// Does nothing; pads a batch's pubdata to the circuit's number of chunks.
	#[codec(index = 0)]
	Noop,
	#[codec(index = 1)]
	Deposit(Deposit),
	#[codec(index = 2)]
	Transfer(Transfer),
	#[codec(index = 3)]
	TransferToNew(TransferToNew),
	#[codec(index = 4)]
	Withdraw(Withdraw),
	#[codec(index = 5)]
	ChangePubKey(ChangePubKey),
	#[codec(index = 6)]
	FullExit(FullExit),
}

/// The fields of an L2-signed op that its signed message covers, in the packing of
/// [`Op::signed_message`]; fields an op lacks are zero.
struct SignedFields {
	op_type: OpType,
	account: AccountId,
	token: TokenId,
	nonce: u32,
	chain: ChainId,
	to: AccountId,
	address: [u8; 20],
	amount: u128,
	fee: u128,
}

impl Op {
	/// The op's type.
	pub fn op_type(&self) -> OpType {
		match self {
			Op::Noop => OpType::Noop,
			Op::Deposit(_) => OpType::Deposit,
			Op::Transfer(_) => OpType::Transfer,
			Op::TransferToNew(_) => OpType::TransferToNew,
			Op::Withdraw(_) => OpType::Withdraw,
			Op::ChangePubKey(_) => OpType::ChangePubKey,
			Op::FullExit(_) => OpType::FullExit,
		}
	}

	/// Whether the op comes from an L1 priority queue (Deposit, FullExit) rather than from an L2
	/// signature.
	pub fn is_priority(&self) -> bool {
		matches!(self, Op::Deposit(_) | Op::FullExit(_))
	}

	/// The L1 whose contract must process the op at commit or execute (Deposit, Withdraw,
	/// ChangePubKey, FullExit); `None` for ops that concern L2 only.
	pub fn chain_id(&self) -> Option<ChainId> {
		match self {
			Op::Deposit(op) => Some(op.chain_id),
			Op::Withdraw(op) => Some(op.to_chain),
			Op::ChangePubKey(op) => Some(op.chain_id),
			Op::FullExit(op) => Some(op.chain_id),
			Op::Noop | Op::Transfer(_) | Op::TransferToNew(_) => None,
		}
	}

	/// The fee an L2-signed op pays: the token it is paid in and the amount; `None` for Noop
	/// and priority ops, which pay none on L2.
	pub fn fee(&self) -> Option<(TokenId, u128)> {
		self.signed_fields()
			.map(|fields| (fields.token, fields.fee))
	}

	/// The account whose L2 signature authorises the op and whose nonce it consumes, with that
	/// nonce; `None` for Noop and priority ops.
	pub fn signer(&self) -> Option<(AccountId, u32)> {
		self.signed_fields()
			.map(|fields| (fields.account, fields.nonce))
	}

	fn signed_fields(&self) -> Option<SignedFields> {
		let blank = |op_type, account, token, nonce| SignedFields {
			op_type,
			account,
			token,
			nonce,
			chain: ChainId(0),
			to: 0,
			address: [0; 20],
			amount: 0,
			fee: 0,
		};
		Some(match *self {
			Op::Noop | Op::Deposit(_) | Op::FullExit(_) => return None,
			Op::Transfer(op) => SignedFields {
				to: op.to,
				amount: op.amount,
				fee: op.fee,
				..blank(OpType::Transfer, op.from, op.token, op.nonce)
			},
			Op::TransferToNew(op) => SignedFields {
				address: op.to_address,
				amount: op.amount,
				fee: op.fee,
				..blank(OpType::TransferToNew, op.from, op.token, op.nonce)
			},
			Op::Withdraw(op) => SignedFields {
				chain: op.to_chain,
				address: op.to_address,
				amount: op.amount,
				fee: op.fee,
				..blank(OpType::Withdraw, op.from, op.token, op.nonce)
			},
			Op::ChangePubKey(op) => SignedFields {
				chain: op.chain_id,
				fee: op.fee,
				..blank(OpType::ChangePubKey, op.account, op.fee_token, op.nonce)
			},
		})
	}

	/// The field element the signer signs with EdDSA-Poseidon; `None` for Noop and priority
	/// ops, which no L2 key signs.
	///
	/// ```text
	/// message = Poseidon(packed, address, amount, fee)          (circomlib Poseidon(4))
	/// packed  = op_type            bits   0..8
	///         | account << 8       bits   8..40   (Transfer/TransferToNew/Withdraw: from)
	///         | token << 40        bits  40..56   (ChangePubKey: fee_token)
	///         | nonce << 56        bits  56..88
	///         | chain << 88        bits  88..96   (Withdraw: to_chain; ChangePubKey: chain_id)
	///         | to << 96           bits 96..128   (Transfer only)
	///         | network << 128     bits 128..160  (the network's id)
	/// address = to_address as a big-endian integer (TransferToNew, Withdraw)
	/// ```
	///
	/// Fields an op does not have are 0. Every op uses the same packing and the same
	/// four-input hash, so the circuit needs one gadget for all of them, and the op type in the
	/// low byte keeps a signature of one kind of op from being valid for another with the same
	/// numbers. ChangePubKey's new key is not in the message: its signature is checked against
	/// that key, which EdDSA's challenge already binds. The network id keeps an op signed on
	/// one network (a testnet) from being replayed on another, where the same Ethereum key
	/// owns an account with the same id.
	pub fn signed_message(&self, network: NetworkId) -> Option<Fr> {
		self.signed_preimage(network)
			.map(|preimage| poseidon::hash(&preimage))
	}

	/// The four inputs `[packed, address, amount, fee]` whose Poseidon hash is
	/// [`Op::signed_message`]: cheap to compute, so a verifier can pass them where the hash is
	/// fast (the runtime, to its host function); `None` for ops no L2 key signs.
	pub fn signed_preimage(&self, network: NetworkId) -> Option<SignedPreimage> {
		let fields = self.signed_fields()?;
		let packed = u128::from(fields.op_type as u8)
			| u128::from(fields.account) << 8
			| u128::from(fields.token) << 40
			| u128::from(fields.nonce) << 56
			| u128::from(fields.chain.0) << 88
			| u128::from(fields.to) << 96;
		let two_to_128 = Fr::from(u128::MAX) + Fr::from(1u8);
		Some([
			Fr::from(packed) + Fr::from(network) * two_to_128,
			address_to_fr(&fields.address),
			Fr::from(fields.amount),
			Fr::from(fields.fee),
		])
	}
}

/// What [`Op::signed_message`] hashes: `[packed, address, amount, fee]`.
pub type SignedPreimage = [Fr; 4];

/// An op with its owner's packed EdDSA signature (circomlibjs `packSignature`): what users
/// submit to the appchain.
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
pub struct SignedOp {
	pub op: Op,
	pub signature: [u8; 64],
}

impl SignedOp {
	/// Whether `signature` is `pubkey`'s signature of the op's [`Op::signed_message`] on
	/// `network`; false for ops no L2 key signs and for signatures that do not unpack.
	pub fn verify(&self, pubkey: &PublicKey, network: NetworkId) -> bool {
		self.op
			.signed_preimage(network)
			.is_some_and(|preimage| Self::check_signature(pubkey, &preimage, &self.signature))
	}

	/// Whether the packed `signature` is `pubkey`'s EdDSA-Poseidon signature of the message
	/// hashed from `preimage` ([`Op::signed_preimage`]); false if it does not unpack.
	pub fn check_signature(
		pubkey: &PublicKey,
		preimage: &SignedPreimage,
		signature: &[u8; 64],
	) -> bool {
		Signature::unpack(signature)
			.is_some_and(|signature| pubkey.verify(poseidon::hash(preimage), &signature))
	}
}

/// The first line of [`ChangePubKey::eth_message`].
const ETH_MESSAGE_TITLE: &str = "Concord: set the L2 key of your account\n";
/// The last line of [`ChangePubKey::eth_message`].
const ETH_MESSAGE_WARNING: &str = "Only sign this message on a Concord site.";

impl ChangePubKey {
	/// The text the owner signs with Ethereum `personal_sign` (EIP-191) to authorise the key
	/// change, in UTF-8 (ASCII) bytes:
	///
	/// ```text
	/// Concord: set the L2 key of your account
	/// key: 0x<new_pubkey, 64 lowercase hex digits>
	/// nonce: 0x<nonce, 8 hex digits>
	/// account: 0x<account id, 8 hex digits>
	/// network: 0x<network id, 8 hex digits>
	/// Only sign this message on a Concord site.
	/// ```
	///
	/// Lines end with `\n`, the last one without. Every field has a fixed width, so the
	/// message always has the same length and the L1 contract rebuilds it with fixed-width hex
	/// encoding. The nonce makes an authorisation single-use; the network id keeps it from
	/// being replayed on another Concord network.
	pub fn eth_message(&self, network: NetworkId) -> Vec<u8> {
		let mut message = Vec::with_capacity(200);
		message.extend_from_slice(ETH_MESSAGE_TITLE.as_bytes());
		message.extend_from_slice(b"key: 0x");
		push_hex(&mut message, &self.new_pubkey);
		message.extend_from_slice(b"\nnonce: 0x");
		push_hex(&mut message, &self.nonce.to_be_bytes());
		message.extend_from_slice(b"\naccount: 0x");
		push_hex(&mut message, &self.account.to_be_bytes());
		message.extend_from_slice(b"\nnetwork: 0x");
		push_hex(&mut message, &network.to_be_bytes());
		message.push(b'\n');
		message.extend_from_slice(ETH_MESSAGE_WARNING.as_bytes());
		message
	}

	/// The digest the owner's Ethereum key signs: [`eth_signed_message_hash`] of
	/// [`eth_message`](Self::eth_message).
	pub fn eth_message_hash(&self, network: NetworkId) -> [u8; 32] {
		eth_signed_message_hash(&self.eth_message(network))
	}

	/// Whether `signature` (65 bytes `r ‖ s ‖ v`, `v` 27/28 or 0/1) is `owner`'s Ethereum
	/// signature of [`eth_message`](Self::eth_message), with the rules of OpenZeppelin's
	/// `ECDSA.recover` that the L1 contract applies: `s` in the lower half of the order.
	pub fn verify_eth_authorization(
		&self,
		owner: &[u8; 20],
		signature: &[u8; 65],
		network: NetworkId,
	) -> bool {
		recover_eth_signer(&self.eth_message_hash(network), signature).as_ref() == Some(owner)
	}
}

/// The EIP-191 (version `0x45`) digest of `message`,
/// `keccak256("\x19Ethereum Signed Message:\n" ‖ len(message) in decimal ‖ message)`: what
/// `personal_sign` signs and OpenZeppelin's `MessageHashUtils.toEthSignedMessageHash` computes.
pub fn eth_signed_message_hash(message: &[u8]) -> [u8; 32] {
	let mut keccak = Keccak::v256();
	keccak.update(b"\x19Ethereum Signed Message:\n");
	let mut digits = [0u8; 20];
	let mut start = digits.len();
	let mut len = message.len();
	loop {
		start -= 1;
		digits[start] = b'0' + (len % 10) as u8;
		len /= 10;
		if len == 0 {
			break;
		}
	}
	keccak.update(&digits[start..]);
	keccak.update(message);
	let mut hash = [0u8; 32];
	keccak.finalize(&mut hash);
	hash
}

fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
	const DIGITS: &[u8; 16] = b"0123456789abcdef";
	for byte in bytes {
		out.push(DIGITS[usize::from(byte >> 4)]);
		out.push(DIGITS[usize::from(byte & 0xf)]);
	}
}

/// The Ethereum address whose key made `signature` (65 bytes `r ‖ s ‖ v`, `v` 27/28 or 0/1)
/// over the 32-byte `digest`, as Solidity's `ecrecover` with OpenZeppelin's checks: `None` if
/// the signature is malformed, `s` is in the upper half of the order (a malleated copy of
/// another signature) or no key matches.
pub fn recover_eth_signer(digest: &[u8; 32], signature: &[u8; 65]) -> Option<[u8; 20]> {
	use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, VerifyingKey};
	let v = match signature[64] {
		0 | 27 => 0,
		1 | 28 => 1,
		_ => return None,
	};
	let ecdsa = EcdsaSignature::from_slice(&signature[..64]).ok()?;
	if ecdsa.normalize_s().is_some() {
		return None;
	}
	let recovery_id = RecoveryId::from_byte(v)?;
	let key = VerifyingKey::recover_from_prehash(digest, &ecdsa, recovery_id).ok()?;
	Some(eth_address(&key))
}

/// Signs the 32-byte `digest` with `key` as Ethereum wallets do: 65 bytes `r ‖ s ‖ v` with a
/// low `s` and `v` 27/28, what [`recover_eth_signer`] and the L1 contracts accept. Oracle
/// members sign execute authorizations with it; tests sign ChangePubKey authorizations.
pub fn eth_sign(key: &k256::ecdsa::SigningKey, digest: &[u8; 32]) -> [u8; 65] {
	let (signature, recovery_id) = key
		.sign_prehash_recoverable(digest)
		.expect("a 32-byte digest can be signed");
	let mut bytes = [0u8; 65];
	bytes[..64].copy_from_slice(&signature.to_bytes());
	bytes[64] = 27 + recovery_id.to_byte();
	bytes
}

/// The Ethereum address of a secp256k1 key: the last 20 bytes of the keccak256 of its
/// uncompressed encoding without the `0x04` prefix.
pub fn eth_address(key: &k256::ecdsa::VerifyingKey) -> [u8; 20] {
	let point = key.to_encoded_point(false);
	let mut hash = [0u8; 32];
	let mut keccak = Keccak::v256();
	keccak.update(&point.as_bytes()[1..]);
	keccak.finalize(&mut hash);
	let mut address = [0u8; 20];
	address.copy_from_slice(&hash[12..]);
	address
}

/// An op as the state transition function applied it, with the values it resolved from the
/// state: what the pubdata carries. Only [`crate::stf::apply`] and [`AppliedOp::decode_pubdata`]
/// make one, so the resolved values always match the op's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppliedOp {
	op: Op,
	resolved: Resolved,
}

/// What the state decided for an op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
	/// Noop, Transfer, Withdraw: the op says everything.
	Nothing,
	/// Deposit: the credited account; TransferToNew: the created account.
	Account(AccountId),
	/// ChangePubKey: the account's L1 address, whose signature the L1 contract checks.
	Owner([u8; 20]),
	/// FullExit: the amount withdrawn (0 if the exit could not be served).
	ExitAmount(u128),
	/// Deposit: not credited (the state could not); the L1 contract pays it back to
	/// `to_address` when it executes the batch.
	Refunded,
}

/// A payout an L1 contract credits when it executes the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Withdrawal {
	pub chain_id: ChainId,
	pub to_address: [u8; 20],
	pub token: TokenId,
	pub amount: u128,
}

impl AppliedOp {
	/// Pairs an op with what the state resolved for it; the STF is the only caller.
	pub(crate) fn new(op: Op, resolved: Resolved) -> AppliedOp {
		debug_assert!(matches!(
			(&op, &resolved),
			(
				Op::Noop | Op::Transfer(_) | Op::Withdraw(_),
				Resolved::Nothing
			) | (Op::Deposit(_) | Op::TransferToNew(_), Resolved::Account(_))
				| (Op::Deposit(_), Resolved::Refunded)
				| (Op::ChangePubKey(_), Resolved::Owner(_))
				| (Op::FullExit(_), Resolved::ExitAmount(_))
		));
		AppliedOp { op, resolved }
	}

	/// The op as requested.
	pub fn op(&self) -> &Op {
		&self.op
	}

	/// The account a Deposit credited or a TransferToNew created; `None` for other ops.
	pub fn resolved_account(&self) -> Option<AccountId> {
		match self.resolved {
			Resolved::Account(id) => Some(id),
			_ => None,
		}
	}

	/// The address whose Ethereum signature authorises a ChangePubKey; `None` for other ops.
	pub fn owner(&self) -> Option<[u8; 20]> {
		match self.resolved {
			Resolved::Owner(owner) => Some(owner),
			_ => None,
		}
	}

	/// Whether the op is a Deposit the state could not credit, which its L1 pays back.
	pub fn is_refunded(&self) -> bool {
		self.resolved == Resolved::Refunded
	}

	/// The amount a FullExit withdrew (0 if it could not be served); `None` for other ops.
	pub fn exit_amount(&self) -> Option<u128> {
		match self.resolved {
			Resolved::ExitAmount(amount) => Some(amount),
			_ => None,
		}
	}

	/// What an L1 pays out for this op once the batch executes: Withdraw, FullExit with a
	/// non-zero amount, and a refunded Deposit (back to its `to_address`, on its chain).
	pub fn withdrawal(&self) -> Option<Withdrawal> {
		match (self.op, self.resolved) {
			(Op::Deposit(op), Resolved::Refunded) => Some(Withdrawal {
				chain_id: op.chain_id,
				to_address: op.to_address,
				token: op.token,
				amount: op.amount,
			}),
			(Op::Withdraw(op), _) => Some(Withdrawal {
				chain_id: op.to_chain,
				to_address: op.to_address,
				token: op.token,
				amount: op.amount,
			}),
			(Op::FullExit(op), Resolved::ExitAmount(amount)) if amount > 0 => Some(Withdrawal {
				chain_id: op.chain_id,
				to_address: op.owner,
				token: op.token,
				amount,
			}),
			_ => None,
		}
	}

	/// The op's pubdata: `op_type().chunks()` chunks, fields big-endian in the order of the
	/// layout table in `docs/protocol.md`, zero-padded. L2 nonces (but ChangePubKey's, which
	/// its owner's Ethereum message names) and priority ids are not in it: every L2-signed op
	/// takes its signer's next nonce, and each L1 contract matches a priority op to the next
	/// request of its own queue.
	pub fn pubdata(&self) -> Vec<u8> {
		let op_type = self.op.op_type();
		let mut out = Writer(Vec::with_capacity(op_type.pubdata_bytes()));
		out.u8(op_type as u8);
		match (self.op, self.resolved) {
			(Op::Noop, _) => {}
			(Op::Deposit(op), Resolved::Account(_) | Resolved::Refunded) => {
				// A refunded deposit names no account and sets bit 0 of its flags byte.
				out.u8(op.chain_id.0);
				out.account(self.resolved_account().unwrap_or(0));
				out.bytes(&op.to_address);
				out.token(op.token);
				out.bytes(&op.amount.to_be_bytes());
				out.u8(u8::from(self.is_refunded()));
			}
			(Op::Transfer(op), _) => {
				out.account(op.from);
				out.account(op.to);
				out.token(op.token);
				out.float(float::AMOUNT, op.amount);
				out.float(float::FEE, op.fee);
			}
			(Op::TransferToNew(op), Resolved::Account(to)) => {
				out.account(op.from);
				out.account(to);
				out.bytes(&op.to_address);
				out.token(op.token);
				out.float(float::AMOUNT, op.amount);
				out.float(float::FEE, op.fee);
			}
			(Op::Withdraw(op), _) => {
				out.u8(op.to_chain.0);
				out.account(op.from);
				out.bytes(&op.to_address);
				out.token(op.token);
				out.bytes(&op.amount.to_be_bytes());
				out.float(float::FEE, op.fee);
			}
			(Op::ChangePubKey(op), Resolved::Owner(owner)) => {
				out.u8(op.chain_id.0);
				out.account(op.account);
				out.bytes(&op.new_pubkey);
				out.bytes(&owner);
				out.bytes(&op.nonce.to_be_bytes());
				out.token(op.fee_token);
				out.float(float::FEE, op.fee);
			}
			(Op::FullExit(op), Resolved::ExitAmount(amount)) => {
				out.u8(op.chain_id.0);
				out.account(op.account);
				out.bytes(&op.owner);
				out.token(op.token);
				out.bytes(&amount.to_be_bytes());
			}
			_ => unreachable!("AppliedOp::new pairs every op with its resolution"),
		}
		let mut out = out.0;
		debug_assert_eq!(out.len(), op_type.data_bytes());
		out.resize(op_type.pubdata_bytes(), 0);
		out
	}

	/// The op's pubdata as chunks, one per slot it takes in the batch circuit.
	pub fn chunks(&self) -> Vec<Chunk> {
		self.pubdata()
			.chunks_exact(CHUNK_BYTES)
			.map(|chunk| chunk.try_into().expect("whole chunks"))
			.collect()
	}

	/// Reads the first op of `pubdata`: the op and the number of bytes it took (a whole
	/// number of chunks). Rejects unknown type bytes, truncated ops, floats that are not the
	/// canonical packing of an amount ([`float::Float::pack`]) and non-zero padding, so every
	/// pubdata has exactly one reading and reads back to itself.
	///
	/// What the pubdata does not carry reads as zero: the nonce of a Transfer, TransferToNew or
	/// Withdraw (it was its signer's nonce: [`crate::stf::replay`] applies such an op at it)
	/// and the priority id of a Deposit or FullExit.
	pub fn decode_pubdata(pubdata: &[u8]) -> Result<(AppliedOp, usize), PubdataError> {
		let &type_byte = pubdata.first().ok_or(PubdataError::Empty)?;
		let op_type = OpType::from_byte(type_byte).ok_or(PubdataError::UnknownOpType(type_byte))?;
		let size = op_type.pubdata_bytes();
		let bytes = pubdata.get(..size).ok_or(PubdataError::Truncated {
			op_type,
			needed: size,
			got: pubdata.len(),
		})?;
		if bytes[op_type.data_bytes()..].iter().any(|&byte| byte != 0) {
			return Err(PubdataError::NonZeroPadding(op_type));
		}
		let mut reader = Reader(&bytes[1..]);
		let r = &mut reader;
		let bad_float = PubdataError::BadFloat(op_type);
		let (op, resolved) = match op_type {
			OpType::Noop => (Op::Noop, Resolved::Nothing),
			OpType::Deposit => {
				let (chain_id, account) = (ChainId(r.u8()), r.account());
				let op = Deposit {
					chain_id,
					priority_id: 0,
					to_address: r.address(),
					token: r.token(),
					amount: r.u128(),
				};
				let resolved = match (r.u8(), account) {
					(0, _) => Resolved::Account(account),
					(1, 0) => Resolved::Refunded,
					_ => return Err(PubdataError::BadRefundFlag),
				};
				(Op::Deposit(op), resolved)
			}
			OpType::Transfer => {
				let op = Transfer {
					from: r.account(),
					to: r.account(),
					token: r.token(),
					amount: r.float(float::AMOUNT).ok_or(bad_float)?,
					fee: r.float(float::FEE).ok_or(bad_float)?,
					nonce: 0,
				};
				(Op::Transfer(op), Resolved::Nothing)
			}
			OpType::TransferToNew => {
				let (from, to) = (r.account(), r.account());
				let op = TransferToNew {
					from,
					to_address: r.address(),
					token: r.token(),
					amount: r.float(float::AMOUNT).ok_or(bad_float)?,
					fee: r.float(float::FEE).ok_or(bad_float)?,
					nonce: 0,
				};
				(Op::TransferToNew(op), Resolved::Account(to))
			}
			OpType::Withdraw => {
				let (to_chain, from) = (ChainId(r.u8()), r.account());
				let op = Withdraw {
					from,
					to_chain,
					to_address: r.address(),
					token: r.token(),
					amount: r.u128(),
					fee: r.float(float::FEE).ok_or(bad_float)?,
					nonce: 0,
				};
				(Op::Withdraw(op), Resolved::Nothing)
			}
			OpType::ChangePubKey => {
				let (chain_id, account, new_pubkey) = (ChainId(r.u8()), r.account(), r.array());
				let owner = r.address();
				let op = ChangePubKey {
					chain_id,
					account,
					new_pubkey,
					nonce: r.u32(),
					fee_token: r.token(),
					fee: r.float(float::FEE).ok_or(bad_float)?,
				};
				(Op::ChangePubKey(op), Resolved::Owner(owner))
			}
			OpType::FullExit => {
				let op = FullExit {
					chain_id: ChainId(r.u8()),
					priority_id: 0,
					account: r.account(),
					owner: r.address(),
					token: r.token(),
				};
				(Op::FullExit(op), Resolved::ExitAmount(r.u128()))
			}
		};
		Ok((AppliedOp::new(op, resolved), size))
	}
}

/// Writes big-endian fields (the pubdata's writer, the twin of [`Reader`]).
struct Writer(Vec<u8>);

impl Writer {
	fn u8(&mut self, byte: u8) {
		self.0.push(byte);
	}

	fn bytes(&mut self, bytes: &[u8]) {
		self.0.extend_from_slice(bytes);
	}

	/// An account id in 3 bytes: the STF only applies ops on ids below `2^ACCOUNT_ID_BITS`.
	fn account(&mut self, id: AccountId) {
		debug_assert!(u64::from(id) < 1 << ACCOUNT_ID_BITS);
		self.bytes(&id.to_be_bytes()[1..]);
	}

	/// A token id in 1 byte: the STF only applies ops on ids below `2^TOKEN_ID_BITS`.
	fn token(&mut self, token: TokenId) {
		debug_assert!(u64::from(token) < 1 << TOKEN_ID_BITS);
		self.u8(token as u8);
	}

	/// `value` packed in `format`: the STF only applies ops whose amounts pack.
	fn float(&mut self, format: float::Float, value: u128) {
		let packed = format
			.pack(value)
			.expect("the STF applies packable amounts only");
		self.bytes(&packed.to_be_bytes()[8 - format.bytes()..]);
	}
}

/// Reads big-endian fields from a slice whose length the caller has checked.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
	fn array<const N: usize>(&mut self) -> [u8; N] {
		let (head, rest) = self.0.split_at(N);
		self.0 = rest;
		head.try_into().expect("split at N")
	}

	fn u8(&mut self) -> u8 {
		self.array::<1>()[0]
	}

	fn u32(&mut self) -> u32 {
		u32::from_be_bytes(self.array())
	}

	fn account(&mut self) -> AccountId {
		let [a, b, c] = self.array();
		u32::from_be_bytes([0, a, b, c])
	}

	fn token(&mut self) -> TokenId {
		self.u8().into()
	}

	/// A float of `format`, if it is the canonical packing of its value.
	fn float(&mut self, format: float::Float) -> Option<u128> {
		let mut word = [0u8; 8];
		word[8 - format.bytes()..].copy_from_slice(&self.0[..format.bytes()]);
		self.0 = &self.0[format.bytes()..];
		let packed = u64::from_be_bytes(word);
		format
			.unpack(packed)
			.filter(|&value| format.pack(value) == Some(packed))
	}

	fn u128(&mut self) -> u128 {
		u128::from_be_bytes(self.array())
	}

	fn address(&mut self) -> [u8; 20] {
		self.array()
	}
}

/// One chunk of pubdata: what one slot of the batch circuit writes.
pub type Chunk = [u8; CHUNK_BYTES];

/// The bytes of a batch pubdata's header: the fee account id (4 bytes, big-endian),
/// zero-padded to one chunk.
pub const BATCH_HEADER_BYTES: usize = CHUNK_BYTES;

/// The size of the pubdata of a batch circuit with `slots` slots, one chunk each.
pub const fn batch_pubdata_len(slots: usize) -> usize {
	BATCH_HEADER_BYTES + slots * CHUNK_BYTES
}

/// A batch's pubdata for a batch circuit with `slots` slots of one chunk each:
///
/// ```text
/// header ‖ op_0 ‖ … ‖ op_{k-1} ‖ Noop ‖ … ‖ Noop
/// header = fee_account (4 bytes, big-endian) ‖ 12 zero bytes
/// op_i   = the pubdata of op i: op_type().chunks() chunks, in as many consecutive slots
/// Noop   = one zero chunk, up to `slots` chunks in all
/// ```
///
/// Each op pays for its own chunks: a Transfer takes one slot, a ChangePubKey four. The fee
/// account is in the header because anyone rebuilding the state from L1 data must credit the
/// fees. `None` if the ops take more than `slots` chunks.
pub fn batch_pubdata<'a>(
	fee_account: AccountId,
	ops: impl IntoIterator<Item = &'a AppliedOp>,
	slots: usize,
) -> Option<Vec<u8>> {
	let chunks: Vec<Chunk> = ops.into_iter().flat_map(AppliedOp::chunks).collect();
	batch_pubdata_from_chunks(fee_account, &chunks, slots)
}

/// [`batch_pubdata`] from the ops' chunks ([`AppliedOp::chunks`]), for callers that keep
/// chunks rather than ops (the appchain stores them until it seals a batch).
pub fn batch_pubdata_from_chunks(
	fee_account: AccountId,
	chunks: &[Chunk],
	slots: usize,
) -> Option<Vec<u8>> {
	if chunks.len() > slots {
		return None;
	}
	let mut pubdata = Vec::with_capacity(batch_pubdata_len(slots));
	pubdata.extend_from_slice(&fee_account.to_be_bytes());
	pubdata.resize(BATCH_HEADER_BYTES, 0);
	for chunk in chunks {
		pubdata.extend_from_slice(chunk);
	}
	// A Noop chunk is all zeros: type byte 0 and zero padding.
	pubdata.resize(batch_pubdata_len(slots), 0);
	Some(pubdata)
}

/// Splits a batch's pubdata into its fee account and its ops in order, the Noop chunks
/// included. Rejects a length that is not a header and whole chunks, a non-zero header padding,
/// and anything [`AppliedOp::decode_pubdata`] rejects (an op truncated by the pubdata's end
/// among them).
pub fn decode_batch_pubdata(pubdata: &[u8]) -> Result<(AccountId, Vec<AppliedOp>), PubdataError> {
	if pubdata.len() < BATCH_HEADER_BYTES || (pubdata.len() - BATCH_HEADER_BYTES) % CHUNK_BYTES != 0
	{
		return Err(PubdataError::BadBatchLength(pubdata.len()));
	}
	let (header, mut rest) = pubdata.split_at(BATCH_HEADER_BYTES);
	if header[4..].iter().any(|&byte| byte != 0) {
		return Err(PubdataError::NonZeroHeaderPadding);
	}
	let fee_account = u32::from_be_bytes(header[..4].try_into().expect("4 bytes"));
	let mut ops = Vec::new();
	while !rest.is_empty() {
		let (op, size) = AppliedOp::decode_pubdata(rest)?;
		ops.push(op);
		rest = &rest[size..];
	}
	Ok((fee_account, ops))
}

/// Pubdata that is not the encoding of an op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PubdataError {
	/// No bytes to read.
	Empty,
	/// The first byte is no op type.
	UnknownOpType(u8),
	/// Fewer bytes than the op's chunks.
	Truncated {
		op_type: OpType,
		needed: usize,
		got: usize,
	},
	/// The padding after the op's fields, up to the end of its last chunk, is not zero.
	NonZeroPadding(OpType),
	/// An amount or fee of the op is not the canonical packing of a value within `u128`.
	BadFloat(OpType),
	/// A Deposit's flags byte is neither 0 (credited) nor 1 (refunded), or a refunded Deposit
	/// names an account.
	BadRefundFlag,
	/// A batch pubdata's length is not a header and whole chunks.
	BadBatchLength(usize),
	/// The bytes after the fee account in a batch pubdata's header are not zero.
	NonZeroHeaderPadding,
}

impl fmt::Display for PubdataError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			PubdataError::Empty => f.write_str("pubdata is empty"),
			PubdataError::UnknownOpType(byte) => write!(f, "unknown op type byte {byte}"),
			PubdataError::Truncated {
				op_type,
				needed,
				got,
			} => write!(
				f,
				"{op_type:?} pubdata needs {needed} bytes, only {got} left"
			),
			PubdataError::NonZeroPadding(op_type) => {
				write!(f, "{op_type:?} pubdata has non-zero padding")
			}
			PubdataError::BadFloat(op_type) => write!(
				f,
				"{op_type:?} pubdata has an amount or fee that is no canonical float"
			),
			PubdataError::BadRefundFlag => f.write_str(
				"Deposit pubdata has a flags byte other than 0 or 1, or names an account while \
				 refunded",
			),
			PubdataError::BadBatchLength(len) => write!(
				f,
				"batch pubdata of {len} bytes is not a {BATCH_HEADER_BYTES}-byte header and \
				 whole {CHUNK_BYTES}-byte chunks"
			),
			PubdataError::NonZeroHeaderPadding => {
				f.write_str("batch pubdata header has non-zero padding")
			}
		}
	}
}

impl core::error::Error for PubdataError {}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::eddsa::PrivateKey;
	use k256::ecdsa::SigningKey;

	const ALICE: [u8; 20] = [0xa1; 20];
	const NET: NetworkId = 0x0102_0304;

	fn transfer() -> Transfer {
		Transfer {
			from: 1,
			to: 2,
			token: 3,
			amount: 4,
			fee: 5,
			nonce: 6,
		}
	}

	fn change_pubkey() -> ChangePubKey {
		ChangePubKey {
			chain_id: ChainId(2),
			account: 0x2a,
			new_pubkey: PrivateKey([9; 32]).public_key().pack(),
			fee_token: 1,
			fee: 10,
			nonce: 7,
		}
	}

	/// One applied op of every type, with distinct non-zero fields so a misplaced field shows,
	/// and zero where the pubdata has no field (priority ids, nonces but ChangePubKey's).
	fn samples() -> [AppliedOp; 7] {
		[
			AppliedOp::new(Op::Noop, Resolved::Nothing),
			AppliedOp::new(
				Op::Deposit(Deposit {
					chain_id: ChainId(1),
					priority_id: 0,
					to_address: ALICE,
					token: 0x00ff,
					amount: u128::MAX - 1,
				}),
				Resolved::Account(0x00ab_cdef),
			),
			AppliedOp::new(
				Op::Transfer(Transfer {
					nonce: 0,
					..transfer()
				}),
				Resolved::Nothing,
			),
			AppliedOp::new(
				Op::TransferToNew(TransferToNew {
					from: 1,
					to_address: ALICE,
					token: 3,
					amount: 12_345 * 10u128.pow(20),
					fee: 2047 * 10u128.pow(31),
					nonce: 0,
				}),
				Resolved::Account(77),
			),
			AppliedOp::new(
				Op::Withdraw(Withdraw {
					from: 9,
					to_chain: ChainId(3),
					to_address: ALICE,
					token: 2,
					amount: 1000,
					fee: 1,
					nonce: 0,
				}),
				Resolved::Nothing,
			),
			AppliedOp::new(Op::ChangePubKey(change_pubkey()), Resolved::Owner(ALICE)),
			AppliedOp::new(
				Op::FullExit(FullExit {
					chain_id: ChainId(4),
					priority_id: 0,
					account: 5,
					owner: ALICE,
					token: 6,
				}),
				Resolved::ExitAmount(123_456),
			),
		]
	}

	#[test]
	fn every_signed_op_pays_its_fee_in_its_fee_token_and_priority_ops_pay_none() {
		let fees: Vec<Option<(TokenId, u128)>> =
			samples().iter().map(|applied| applied.op().fee()).collect();
		let signed: Vec<(TokenId, u128)> = samples()
			.iter()
			.filter_map(|applied| match applied.op() {
				Op::Transfer(op) => Some((op.token, op.fee)),
				Op::TransferToNew(op) => Some((op.token, op.fee)),
				Op::Withdraw(op) => Some((op.token, op.fee)),
				Op::ChangePubKey(op) => Some((op.fee_token, op.fee)),
				Op::Noop | Op::Deposit(_) | Op::FullExit(_) => None,
			})
			.collect();
		assert_eq!(fees.iter().flatten().copied().collect::<Vec<_>>(), signed);
		assert_eq!(signed.len(), 4);
		for applied in samples() {
			assert_eq!(
				applied.op().fee().is_none(),
				applied.op().signer().is_none()
			);
		}
		// ChangePubKey pays in its fee token.
		assert_eq!(Op::ChangePubKey(change_pubkey()).fee(), Some((1, 10)));
	}

	#[test]
	fn op_types_encode_as_their_type_byte() {
		for op_type in OpType::ALL {
			assert_eq!(op_type.encode(), [op_type as u8]);
		}
	}

	#[test]
	fn chunk_counts_are_fixed() {
		let chunks: Vec<usize> = OpType::ALL.iter().map(|t| t.chunks()).collect();
		assert_eq!(chunks, [1, 3, 1, 3, 3, 4, 3]);
		for (byte, op_type) in OpType::ALL.iter().enumerate() {
			assert_eq!(*op_type as usize, byte);
			assert_eq!(OpType::from_byte(byte as u8), Some(*op_type));
			assert!(op_type.data_bytes() <= op_type.pubdata_bytes());
			assert!(op_type.pubdata_bytes() - op_type.data_bytes() < CHUNK_BYTES);
		}
		assert_eq!(OpType::from_byte(7), None);
	}

	#[test]
	fn pubdata_round_trips_with_fixed_sizes() {
		for applied in samples() {
			let op_type = applied.op().op_type();
			let pubdata = applied.pubdata();
			assert_eq!(pubdata.len(), op_type.chunks() * CHUNK_BYTES, "{op_type:?}");
			assert_eq!(pubdata[0], op_type as u8);
			assert_eq!(
				AppliedOp::decode_pubdata(&pubdata),
				Ok((applied, pubdata.len()))
			);
			// Trailing bytes belong to the next op.
			let mut longer = pubdata.clone();
			longer.extend_from_slice(&[0xff; 40]);
			assert_eq!(
				AppliedOp::decode_pubdata(&longer),
				Ok((applied, pubdata.len()))
			);
		}
	}

	#[test]
	fn a_refunded_deposit_names_no_account_sets_its_flag_and_is_paid_back() {
		let deposit = samples()[OpType::Deposit as usize];
		let refunded = AppliedOp::new(*deposit.op(), Resolved::Refunded);
		let bytes = refunded.pubdata();
		assert_eq!(
			hex::encode(&bytes),
			[
				"01",
				"01",
				"000000",
				&"a1".repeat(20),
				"ff",
				"fffffffffffffffffffffffffffffffe",
				"01",
				&"00".repeat(5),
			]
			.concat()
		);
		assert_eq!(AppliedOp::decode_pubdata(&bytes), Ok((refunded, 48)));
		assert_eq!(
			refunded.withdrawal(),
			Some(Withdrawal {
				chain_id: ChainId(1),
				to_address: ALICE,
				token: 0xff,
				amount: u128::MAX - 1
			})
		);
		assert_eq!(deposit.withdrawal(), None);
		// The flags byte has two values, and a refund names account 0: one reading each.
		let flags = OpType::Deposit.data_bytes() - 1;
		for (offset, byte) in [(flags, 2), (flags, 0x80), (4, 1)] {
			let mut bad = bytes.clone();
			bad[offset] = byte;
			assert_eq!(
				AppliedOp::decode_pubdata(&bad),
				Err(PubdataError::BadRefundFlag),
				"byte {offset} = {byte}"
			);
		}
	}

	#[test]
	fn pubdata_layouts_are_big_endian_in_table_order() {
		let [_, deposit, transfer, _, _, key_change, full_exit] = samples();
		let hex = |applied: &AppliedOp| hex::encode(applied.pubdata());
		assert_eq!(
			hex(&deposit),
			[
				"01",
				"01",
				"abcdef",
				&"a1".repeat(20),
				"ff",
				"fffffffffffffffffffffffffffffffe",
				&"00".repeat(6),
			]
			.concat()
		);
		// Amount 4 and fee 5 as floats: mantissa << 5 | exponent 0.
		assert_eq!(
			hex(&transfer),
			["02", "000001", "000002", "03", "0000000080", "00a0", "00"].concat()
		);
		let key = hex::encode(change_pubkey().new_pubkey);
		assert_eq!(
			hex(&key_change),
			[
				"05",
				"02",
				"00002a",
				&key,
				&"a1".repeat(20),
				"00000007",
				"01",
				"0140",
			]
			.concat()
		);
		assert_eq!(
			hex(&full_exit),
			[
				"06",
				"04",
				"000005",
				&"a1".repeat(20),
				"06",
				"0000000000000000000000000001e240",
				&"00".repeat(6),
			]
			.concat()
		);
	}

	#[test]
	fn floats_in_pubdata_must_be_canonical() {
		let [_, _, transfer, ..] = samples();
		let pubdata = transfer.pubdata();
		// Ten is 10 · 10^0 (canonical: the smallest exponent) or 1 · 10^1 (not).
		let amount_of = |packed: u64| {
			let mut bytes = pubdata.clone();
			bytes[8..13].copy_from_slice(&packed.to_be_bytes()[3..]);
			AppliedOp::decode_pubdata(&bytes).map(|(op, _)| op)
		};
		assert!(amount_of(10 << 5).is_ok());
		assert_eq!(
			amount_of(1 << 5 | 1),
			Err(PubdataError::BadFloat(OpType::Transfer))
		);
		// (2^35 − 1) · 10^31 exceeds u128::MAX.
		assert_eq!(
			amount_of(u64::MAX >> 24),
			Err(PubdataError::BadFloat(OpType::Transfer))
		);
	}

	#[test]
	fn bad_pubdata_is_rejected() {
		assert_eq!(AppliedOp::decode_pubdata(&[]), Err(PubdataError::Empty));
		assert_eq!(
			AppliedOp::decode_pubdata(&[7; 16]),
			Err(PubdataError::UnknownOpType(7))
		);
		for applied in samples() {
			let op_type = applied.op().op_type();
			let pubdata = applied.pubdata();
			assert_eq!(
				AppliedOp::decode_pubdata(&pubdata[..pubdata.len() - 1]),
				Err(PubdataError::Truncated {
					op_type,
					needed: pubdata.len(),
					got: pubdata.len() - 1
				})
			);
			if op_type.data_bytes() < pubdata.len() {
				let mut padded = pubdata.clone();
				*padded.last_mut().unwrap() = 1;
				assert_eq!(
					AppliedOp::decode_pubdata(&padded),
					Err(PubdataError::NonZeroPadding(op_type))
				);
			}
		}
		assert_eq!(
			std::format!("{}", PubdataError::UnknownOpType(9)),
			"unknown op type byte 9"
		);
	}

	#[test]
	fn batch_pubdata_puts_the_fee_account_first_then_each_op_in_its_own_chunks() {
		let ops = samples();
		let used: usize = ops.iter().map(|op| op.op().op_type().chunks()).sum();
		assert_eq!(used, 1 + 3 + 1 + 3 + 3 + 4 + 3);
		let slots = used + 2;
		let pubdata = batch_pubdata(7, &ops, slots).unwrap();
		assert_eq!(pubdata.len(), batch_pubdata_len(slots));
		assert_eq!(
			pubdata[..BATCH_HEADER_BYTES],
			[0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
		);
		let mut start = BATCH_HEADER_BYTES;
		for op in &ops {
			let own = op.pubdata();
			assert_eq!(pubdata[start..start + own.len()], own[..]);
			assert_eq!(op.chunks().concat(), own);
			start += own.len();
		}
		assert!(pubdata[start..].iter().all(|&b| b == 0));
		let noop = AppliedOp::new(Op::Noop, Resolved::Nothing);
		let mut expected = ops.to_vec();
		expected.extend([noop; 2]);
		assert_eq!(decode_batch_pubdata(&pubdata), Ok((7, expected)));
		assert_eq!(batch_pubdata(7, &ops, used - 1), None);
		assert!(batch_pubdata(7, &ops, used).is_some());
		assert_eq!(batch_pubdata(0, &[], 0), Some(vec![0; BATCH_HEADER_BYTES]));
	}

	#[test]
	fn malformed_batch_pubdata_is_rejected() {
		let ops = samples();
		// A Noop (one chunk), a Deposit (three) and a Noop of padding.
		let pubdata = batch_pubdata(1, &ops[..2], 5).unwrap();
		assert_eq!(
			decode_batch_pubdata(&pubdata[..pubdata.len() - 1]),
			Err(PubdataError::BadBatchLength(pubdata.len() - 1))
		);
		assert_eq!(
			decode_batch_pubdata(&[]),
			Err(PubdataError::BadBatchLength(0))
		);
		let mut header = pubdata.clone();
		header[BATCH_HEADER_BYTES - 1] = 1;
		assert_eq!(
			decode_batch_pubdata(&header),
			Err(PubdataError::NonZeroHeaderPadding)
		);
		// A byte after the Noop's type byte: the chunk would otherwise read as two ops.
		let mut noop_tail = pubdata.clone();
		noop_tail[BATCH_HEADER_BYTES + CHUNK_BYTES - 1] = 1;
		assert_eq!(
			decode_batch_pubdata(&noop_tail),
			Err(PubdataError::NonZeroPadding(OpType::Noop))
		);
		let mut unknown = pubdata.clone();
		unknown[BATCH_HEADER_BYTES + CHUNK_BYTES] = 9;
		assert_eq!(
			decode_batch_pubdata(&unknown),
			Err(PubdataError::UnknownOpType(9))
		);
		// A ChangePubKey (four chunks) in the last chunk runs past the pubdata's end.
		let mut truncated = pubdata;
		truncated[BATCH_HEADER_BYTES + 4 * CHUNK_BYTES] = OpType::ChangePubKey as u8;
		assert_eq!(
			decode_batch_pubdata(&truncated),
			Err(PubdataError::Truncated {
				op_type: OpType::ChangePubKey,
				needed: 64,
				got: 16
			})
		);
	}

	#[test]
	fn withdrawals_of_applied_ops() {
		let [noop, _, _, _, withdraw, _, full_exit] = samples();
		assert_eq!(noop.withdrawal(), None);
		assert_eq!(
			withdraw.withdrawal(),
			Some(Withdrawal {
				chain_id: ChainId(3),
				to_address: ALICE,
				token: 2,
				amount: 1000
			})
		);
		assert_eq!(full_exit.exit_amount(), Some(123_456));
		assert_eq!(full_exit.withdrawal().unwrap().amount, 123_456);
		let Op::FullExit(request) = *full_exit.op() else {
			unreachable!()
		};
		let empty_exit = AppliedOp::new(Op::FullExit(request), Resolved::ExitAmount(0));
		assert_eq!(empty_exit.withdrawal(), None);
	}

	#[test]
	fn scale_variant_index_is_the_op_type() {
		for applied in samples() {
			let op = *applied.op();
			let encoded = op.encode();
			assert_eq!(encoded[0], op.op_type() as u8);
			assert_eq!(Op::decode(&mut &encoded[..]), Ok(op));
			assert!(encoded.len() <= Op::max_encoded_len());
			let signed = SignedOp {
				op,
				signature: [3; 64],
			};
			assert_eq!(SignedOp::decode(&mut &signed.encode()[..]), Ok(signed));
		}
	}

	#[test]
	fn signed_message_packs_the_documented_layout() {
		let op = transfer();
		let packed = 2u128 | 1 << 8 | 3 << 40 | 6 << 56 | 2 << 96;
		// The network id above bit 128: 0x0102_0304 << 128.
		let network = Fr::from(0x0102_0304u64) * Fr::from(1u128 << 64) * Fr::from(1u128 << 64);
		let expected = poseidon::hash(&[
			Fr::from(packed) + network,
			Fr::from(0u64),
			Fr::from(4u64),
			Fr::from(5u64),
		]);
		assert_eq!(Op::Transfer(op).signed_message(NET), Some(expected));
		let cpk = change_pubkey();
		let packed = 5u128 | 0x2a << 8 | 1 << 40 | 7 << 56 | 2 << 88;
		let expected = poseidon::hash(&[
			Fr::from(packed) + network,
			Fr::from(0u64),
			Fr::from(0u64),
			Fr::from(10u64),
		]);
		assert_eq!(Op::ChangePubKey(cpk).signed_message(NET), Some(expected));
		for op in [Op::Noop, *samples()[1].op(), *samples()[6].op()] {
			assert_eq!(op.signed_message(NET), None);
			assert_eq!(op.signer(), None);
		}
		assert_eq!(Op::Transfer(op).signer(), Some((1, 6)));
	}

	#[test]
	fn signed_messages_are_separated_by_op_type() {
		// Each op has the same numbers as the others in the fields they share and zeros
		// elsewhere, so the packed element differs only in its op type byte.
		let ops = [
			Op::Transfer(Transfer {
				to: 0,
				fee: 0,
				..transfer()
			}),
			Op::TransferToNew(TransferToNew {
				from: 1,
				to_address: [0; 20],
				token: 3,
				amount: 4,
				fee: 0,
				nonce: 6,
			}),
			Op::Withdraw(Withdraw {
				from: 1,
				to_chain: ChainId(0),
				to_address: [0; 20],
				token: 3,
				amount: 4,
				fee: 0,
				nonce: 6,
			}),
		];
		let messages: Vec<Fr> = ops
			.iter()
			.map(|op| op.signed_message(NET).unwrap())
			.collect();
		for (i, a) in messages.iter().enumerate() {
			for b in &messages[i + 1..] {
				assert_ne!(a, b);
			}
		}
		let transfer_fee_only = Op::Transfer(Transfer {
			from: 0x2a,
			to: 0,
			token: 1,
			amount: 0,
			fee: 10,
			nonce: 7,
		});
		let cpk = Op::ChangePubKey(ChangePubKey {
			chain_id: ChainId(0),
			..change_pubkey()
		});
		assert_ne!(
			cpk.signed_message(NET),
			transfer_fee_only.signed_message(NET)
		);
	}

	#[test]
	fn signed_messages_are_separated_by_network() {
		let op = Op::Transfer(transfer());
		assert_ne!(op.signed_message(NET), op.signed_message(NET + 1));
		assert_ne!(op.signed_message(0), op.signed_message(u32::MAX));
		let alice = PrivateKey([1; 32]);
		let on_one = SignedOp {
			op,
			signature: alice.sign(op.signed_message(NET).unwrap()).pack(),
		};
		assert!(on_one.verify(&alice.public_key(), NET));
		assert!(!on_one.verify(&alice.public_key(), NET + 1));
	}

	#[test]
	fn signed_ops_verify_with_their_signers_key_only() {
		let alice = PrivateKey([1; 32]);
		let bob = PrivateKey([2; 32]);
		let op = Op::Transfer(transfer());
		let signed = SignedOp {
			op,
			signature: alice.sign(op.signed_message(NET).unwrap()).pack(),
		};
		assert!(signed.verify(&alice.public_key(), NET));
		assert!(!signed.verify(&bob.public_key(), NET));
		let tampered = SignedOp {
			op: Op::Transfer(Transfer {
				amount: 5,
				..transfer()
			}),
			..signed
		};
		assert!(!tampered.verify(&alice.public_key(), NET));
		let garbage = SignedOp {
			signature: [0xff; 64],
			..signed
		};
		assert!(!garbage.verify(&alice.public_key(), NET));
		let unsigned = SignedOp {
			op: Op::Noop,
			..signed
		};
		assert!(!unsigned.verify(&alice.public_key(), NET));
	}

	#[test]
	fn eth_message_text() {
		let op = change_pubkey();
		let text = String::from_utf8(op.eth_message(NET)).unwrap();
		assert_eq!(
			text,
			std::format!(
				"Concord: set the L2 key of your account\nkey: 0x{}\nnonce: 0x00000007\n\
				 account: 0x0000002a\nnetwork: 0x01020304\n\
				 Only sign this message on a Concord site.",
				hex::encode(op.new_pubkey)
			)
		);
		let other = ChangePubKey {
			account: u32::MAX,
			nonce: u32::MAX,
			new_pubkey: [0xff; 32],
			..op
		};
		assert_eq!(
			other.eth_message(u32::MAX).len(),
			text.len(),
			"fixed length"
		);
	}

	/// The example of web3.js's `eth.accounts.sign("Some data", key)` documentation.
	#[test]
	fn eip191_hash_and_recovery_match_web3js() {
		assert_eq!(
			hex::encode(eth_signed_message_hash(b"Some data")),
			"1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655"
		);
		let signature: [u8; 65] = hex::decode(
			"b91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd\
			 6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a029\
			 1c",
		)
		.unwrap()
		.try_into()
		.unwrap();
		let address = hex::decode("2c7536e3605d9c16a7a3d7b1898e529396a65c23").unwrap();
		let recovered = recover_eth_signer(&eth_signed_message_hash(b"Some data"), &signature);
		assert_eq!(recovered.map(|a| a.to_vec()), Some(address));
	}

	#[test]
	fn eth_authorization_is_the_owners() {
		let key = SigningKey::from_slice(&[0x42; 32]).unwrap();
		let owner = eth_address(key.verifying_key());
		let op = change_pubkey();
		let signature = eth_sign(&key, &op.eth_message_hash(NET));
		assert!(op.verify_eth_authorization(&owner, &signature, NET));
		assert!(!op.verify_eth_authorization(&owner, &signature, NET + 1));
		let mut raw_v = signature;
		raw_v[64] -= 27;
		assert!(op.verify_eth_authorization(&owner, &raw_v, NET));
		assert!(!op.verify_eth_authorization(&[1; 20], &signature, NET));
		let next = ChangePubKey { nonce: 8, ..op };
		assert!(!next.verify_eth_authorization(&owner, &signature, NET));
		let mut bad_v = signature;
		bad_v[64] = 29;
		assert!(!op.verify_eth_authorization(&owner, &bad_v, NET));

		// The malleated twin (n − s, other parity) recovers the same key on the EVM's
		// ecrecover, but OpenZeppelin's ECDSA, and so the contract, rejects it.
		let parsed = k256::ecdsa::Signature::from_slice(&signature[..64]).unwrap();
		let twin = k256::ecdsa::Signature::from_scalars(parsed.r(), -*parsed.s()).unwrap();
		let mut malleated = signature;
		malleated[..64].copy_from_slice(&twin.to_bytes());
		malleated[64] ^= 1;
		assert!(!op.verify_eth_authorization(&owner, &malleated, NET));
	}
}
