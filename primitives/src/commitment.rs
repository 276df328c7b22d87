//! The batch commitment, the Groth16 proof's single public input, the per-chain sync hash
//! chain that oracle members attest to, and the digest they sign to authorize execution.
//!
//! Both are recomputed by the L1 rollup contracts, so their byte layouts are fixed here exactly
//! and pinned by vectors computed independently with node's SHA-256 and ethers' `solidityPack`
//! and `keccak256` (`primitives/scripts/gen-commitment-vectors.mjs`).
//!
//! Every field element is written as its canonical integer in 32 big-endian bytes, the EVM's
//! word order (`bytes32(uint256(x))` in Solidity).

use crate::{ops::NetworkId, Fr};
use alloc::vec::Vec;
use ark_ff::{BigInt, PrimeField};
use sha2::{Digest, Sha256};
use tiny_keccak::{Hasher, Keccak};

/// The sync hash before batch 1 on every chain: 32 zero bytes, what an uninitialised `bytes32`
/// storage slot holds in the L1 contract.
pub const GENESIS_SYNC_HASH: [u8; 32] = [0; 32];

/// The canonical integer of `x` in 32 big-endian bytes.
pub fn fr_to_be_bytes(x: &Fr) -> [u8; 32] {
	let mut bytes = [0u8; 32];
	// arkworks limbs are little-endian 64-bit words: the last limb is the most significant.
	for (chunk, limb) in bytes
		.chunks_exact_mut(8)
		.zip(x.into_bigint().0.iter().rev())
	{
		chunk.copy_from_slice(&limb.to_be_bytes());
	}
	bytes
}

/// The field element whose canonical integer is `bytes` (32 big-endian bytes), if it is below
/// the field order: the inverse of [`fr_to_be_bytes`], for roots read from L1s and extrinsics.
pub fn fr_from_be_bytes(bytes: &[u8; 32]) -> Option<Fr> {
	let mut limbs = [0u64; 4];
	for (limb, chunk) in limbs.iter_mut().rev().zip(bytes.chunks_exact(8)) {
		*limb = u64::from_be_bytes(chunk.try_into().expect("8-byte chunk"));
	}
	Fr::from_bigint(BigInt::new(limbs))
}

/// The batch commitment in 32 big-endian bytes, as the L1 contract stores it:
///
/// ```text
/// digest = sha256(batch_number ‖ network ‖ old_root ‖ new_root ‖ sha256(pubdata))   (108 bytes)
///          batch_number: 8 bytes, big-endian (Solidity uint64)
///          network: the network id, 4 bytes, big-endian (Solidity uint32)
///          old_root, new_root: 32 bytes each, big-endian canonical field elements
///          sha256(pubdata): 32 bytes
/// commitment = digest with the top 3 bits of byte 0 cleared (digest mod 2^253)
/// ```
///
/// In Solidity: `uint256(sha256(abi.encodePacked(uint64(n), uint32(networkId), oldRoot,
/// newRoot, sha256(pubdata)))) & ((1 << 253) - 1)`. Reducing modulo 2^253 rather than modulo
/// the field order keeps every 253-bit value below the BN254 scalar modulus (which exceeds
/// 2^253) with a single mask, so the circuit and the contract need no modular reduction (the
/// zkSync pattern). The network id is the one the batch's signatures were checked against: a
/// proof made for one network's batch verifies on no other network.
pub fn commitment_bytes(
	batch_number: u64,
	network: NetworkId,
	old_root: Fr,
	new_root: Fr,
	pubdata: &[u8],
) -> [u8; 32] {
	let pubdata_hash: [u8; 32] = Sha256::digest(pubdata).into();
	commitment_bytes_of_hash(batch_number, network, old_root, new_root, &pubdata_hash)
}

/// [`commitment_bytes`] from `sha256(pubdata)`, which is what the appchain stores of a batch.
pub fn commitment_bytes_of_hash(
	batch_number: u64,
	network: NetworkId,
	old_root: Fr,
	new_root: Fr,
	pubdata_hash: &[u8; 32],
) -> [u8; 32] {
	let digest = Sha256::new()
		.chain_update(batch_number.to_be_bytes())
		.chain_update(network.to_be_bytes())
		.chain_update(fr_to_be_bytes(&old_root))
		.chain_update(fr_to_be_bytes(&new_root))
		.chain_update(pubdata_hash)
		.finalize();
	let mut bytes: [u8; 32] = digest.into();
	bytes[0] &= 0x1f;
	bytes
}

/// The batch commitment as a field element: the public input of the batch's Groth16 proof.
/// See [`commitment_bytes`] for the exact layout.
pub fn batch_commitment(
	batch_number: u64,
	network: NetworkId,
	old_root: Fr,
	new_root: Fr,
	pubdata: &[u8],
) -> Fr {
	let bytes = commitment_bytes(batch_number, network, old_root, new_root, pubdata);
	fr_from_be_bytes(&bytes).expect("a 253-bit integer is below the BN254 scalar modulus")
}

/// [`batch_commitment`] from `sha256(pubdata)`.
pub fn batch_commitment_of_hash(
	batch_number: u64,
	network: NetworkId,
	old_root: Fr,
	new_root: Fr,
	pubdata_hash: &[u8; 32],
) -> Fr {
	let bytes = commitment_bytes_of_hash(batch_number, network, old_root, new_root, pubdata_hash);
	fr_from_be_bytes(&bytes).expect("a 253-bit integer is below the BN254 scalar modulus")
}

/// The proof's second public input: the prover's appchain account, bound to the proof so that
/// a proof copied from the transaction pool verifies for nobody but the prover who made it, and
/// only the prover earns its reward.
///
/// ```text
/// sha256(account) mod 2^253        account: the SCALE encoding of the prover's account id
///                                           (an AccountId32's 32 bytes)
/// ```
///
/// The L1 contracts take it as given (`ProveBatchInfo.prover`): only the appchain pays for
/// proofs, and it computes the input from the signer of `Proofs::submit_proof`.
pub fn prover_input(account: &[u8]) -> Fr {
	let mut bytes: [u8; 32] = Sha256::digest(account).into();
	bytes[0] &= 0x1f;
	fr_from_be_bytes(&bytes).expect("a 253-bit integer is below the BN254 scalar modulus")
}

/// The sync hash of batch `batch_number` on one chain, chaining the previous batch's sync hash
/// ([`GENESIS_SYNC_HASH`] before batch 1), so that a quorum attesting to one sync hash attests
/// to that chain's whole history:
///
/// ```text
/// keccak256(prev ‖ batch_number ‖ commitment)                     (96 bytes hashed)
///           prev: 32 bytes
///           batch_number: 32 bytes, big-endian (Solidity uint256, zero-extended from u64)
///           commitment: 32 bytes, big-endian canonical field element
/// ```
///
/// In Solidity: `keccak256(abi.encodePacked(bytes32 prev, uint256 n, bytes32 commitment))`.
pub fn sync_hash(prev: [u8; 32], batch_number: u64, commitment: Fr) -> [u8; 32] {
	let mut number = [0u8; 32];
	number[24..].copy_from_slice(&batch_number.to_be_bytes());
	keccak256(&[&prev, &number, &fr_to_be_bytes(&commitment)])
}

/// The name whose keccak256 tags an oracle authorization of `executeBatches`.
pub const EXECUTE_ACTION: &str = "Concord.executeBatches";

/// The action tag of commit authorizations (the contract's `COMMIT_ACTION` preimage).
pub const COMMIT_ACTION: &str = "Concord.commitBatches";

fn keccak256(parts: &[&[u8]]) -> [u8; 32] {
	let mut keccak = Keccak::v256();
	for part in parts {
		keccak.update(part);
	}
	let mut out = [0u8; 32];
	keccak.finalize(&mut out);
	out
}

/// The digest an oracle member signs to authorize an action of the rollup contract at
/// `contract`: EIP-191 version `0x00` ("data with intended validator", the contract being the
/// validator), `keccak256(0x19 ‖ 0x00 ‖ contract ‖ payload)`, where `payload` is the ABI
/// encoding of the action's tag, the EVM chain id and the action's parameters.
pub fn validator_digest(contract: &[u8; 20], payload: &[u8]) -> [u8; 32] {
	keccak256(&[&[0x19, 0x00], contract, payload])
}

/// The digest that authorizes `executeBatches` up to `batch_number` on the contract
/// `contract` of EVM chain `evm_chain_id`, whose sync hash there is `sync_hash`:
/// [`validator_digest`] of `abi.encode(keccak256(EXECUTE_ACTION), uint256 evm_chain_id,
/// uint64 batch_number, bytes32 sync_hash)`. Oracle members sign it once a batch is synced;
/// the appchain checks each signature against the member's registered address.
pub fn execute_digest(
	evm_chain_id: u64,
	contract: &[u8; 20],
	batch_number: u64,
	sync_hash: [u8; 32],
) -> [u8; 32] {
	batch_action_digest(
		EXECUTE_ACTION,
		evm_chain_id,
		contract,
		batch_number,
		sync_hash,
	)
}

/// [`validator_digest`] of `abi.encode(keccak256(COMMIT_ACTION), uint256 evm_chain_id,
/// uint64 batch_number, bytes32 pubdata_hash)`. Oracle members sign it for each batch the
/// appchain sealed, with the sealed pubdata's SHA-256; the contract commits a batch only with a
/// quorum of these signatures, so no single member can commit other pubdata.
pub fn commit_digest(
	evm_chain_id: u64,
	contract: &[u8; 20],
	batch_number: u64,
	pubdata_hash: [u8; 32],
) -> [u8; 32] {
	batch_action_digest(
		COMMIT_ACTION,
		evm_chain_id,
		contract,
		batch_number,
		pubdata_hash,
	)
}

/// The names whose keccak256 tag each quorum-authorized governance call of the rollup contract
/// (its `*_ACTION` constants' preimages).
pub const UPDATE_ORACLES_ACTION: &str = "Concord.updateOracles";
pub const REVERT_ACTION: &str = "Concord.revertBatches";
pub const REGISTER_TOKEN_ACTION: &str = "Concord.registerToken";
pub const UPDATE_CHAINS_ACTION: &str = "Concord.updateChains";
pub const WITHDRAW_FEES_ACTION: &str = "Concord.withdrawFees";
pub const RETIRE_ACTION: &str = "Concord.retire";

/// A governance call of a rollup contract, which a quorum of its oracle set authorizes by
/// signing [`GovernanceCall::digest`] at the contract's `governanceNonce`. The appchain checks
/// members' signatures of these digests before it stores them, and the relayer submits them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GovernanceCall<'a> {
	/// `updateOracles(oracles, threshold)`.
	UpdateOracles {
		oracles: &'a [[u8; 20]],
		threshold: u64,
	},
	/// `revertBatches(new_total_committed)`.
	RevertBatches { new_total_committed: u64 },
	/// `registerToken(token_id, token)`.
	RegisterToken { token_id: u16, token: [u8; 20] },
	/// `updateChains(chain_ids)`.
	UpdateChains { chain_ids: &'a [u8] },
	/// `withdrawFees(to, amount)`, `amount` a big-endian `uint256`.
	WithdrawFees { to: [u8; 20], amount: [u8; 32] },
	/// `retire(served_up_to)`.
	Retire { served_up_to: u64 },
}

impl GovernanceCall<'_> {
	/// [`validator_digest`] of `abi.encode(keccak256(action), uint256 evm_chain_id, uint64
	/// nonce, params…)`, as the contract's `*Digest` views compute it.
	pub fn digest(&self, evm_chain_id: u64, contract: &[u8; 20], nonce: u64) -> [u8; 32] {
		let address = |address: &[u8; 20]| {
			let mut word = [0u8; 32];
			word[12..].copy_from_slice(address);
			word
		};
		// The head: tag, chain, nonce and the parameters, where an array stands as the offset
		// of its tail (the array's length, then its items).
		let (action, params, array): (_, Vec<[u8; 32]>, Option<Vec<[u8; 32]>>) = match *self {
			GovernanceCall::UpdateOracles { oracles, threshold } => (
				UPDATE_ORACLES_ACTION,
				alloc::vec![word(5 * 32), word(threshold)],
				Some(oracles.iter().map(address).collect()),
			),
			GovernanceCall::RevertBatches {
				new_total_committed,
			} => (REVERT_ACTION, alloc::vec![word(new_total_committed)], None),
			GovernanceCall::RegisterToken { token_id, token } => (
				REGISTER_TOKEN_ACTION,
				alloc::vec![word(token_id.into()), address(&token)],
				None,
			),
			GovernanceCall::UpdateChains { chain_ids } => (
				UPDATE_CHAINS_ACTION,
				alloc::vec![word(4 * 32)],
				Some(chain_ids.iter().map(|&id| word(id.into())).collect()),
			),
			GovernanceCall::WithdrawFees { to, amount } => (
				WITHDRAW_FEES_ACTION,
				alloc::vec![address(&to), amount],
				None,
			),
			GovernanceCall::Retire { served_up_to } => {
				(RETIRE_ACTION, alloc::vec![word(served_up_to)], None)
			}
		};
		let mut words = alloc::vec![
			keccak256(&[action.as_bytes()]),
			word(evm_chain_id),
			word(nonce)
		];
		words.extend(params);
		if let Some(items) = array {
			words.push(word(items.len() as u64));
			words.extend(items);
		}
		validator_digest(contract, words.as_flattened())
	}
}

/// A `uint64` (or smaller) as one 32-byte ABI word.
fn word(value: u64) -> [u8; 32] {
	let mut word = [0u8; 32];
	word[24..].copy_from_slice(&value.to_be_bytes());
	word
}

/// `abi.encode(keccak256(action), uint256 evm_chain_id, uint64 batch_number, bytes32 value)`
/// signed for `contract`.
fn batch_action_digest(
	action: &str,
	evm_chain_id: u64,
	contract: &[u8; 20],
	batch_number: u64,
	value: [u8; 32],
) -> [u8; 32] {
	let words = [
		keccak256(&[action.as_bytes()]),
		word(evm_chain_id),
		word(batch_number),
		value,
	];
	validator_digest(contract, words.as_flattened())
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::test_vectors;
	use ark_ff::UniformRand;
	use serde_json::Value;
	use std::vec::Vec;

	fn bytes32(value: &Value) -> [u8; 32] {
		hex::decode(value.as_str().expect("hex string"))
			.expect("hex")
			.try_into()
			.expect("32 bytes")
	}

	fn u64_of(value: &Value) -> u64 {
		value
			.as_str()
			.expect("decimal string")
			.parse()
			.expect("u64")
	}

	#[test]
	fn the_prover_input_is_the_accounts_sha256_less_its_top_three_bits() {
		let alice = [0xa1u8; 32];
		let digest: [u8; 32] = Sha256::digest(alice).into();
		let input = fr_to_be_bytes(&prover_input(&alice));
		assert_eq!(input[0], digest[0] & 0x1f);
		assert_eq!(input[1..], digest[1..]);
		assert_ne!(prover_input(&alice), prover_input(&[0xb0; 32]));
	}

	#[test]
	fn commitments_match_independent_vectors() {
		let vectors = test_vectors::commitment()["commitments"]
			.as_array()
			.unwrap();
		assert!(vectors.len() >= 10);
		for vector in vectors {
			let (batch_number, network, old_root, new_root) = (
				u64_of(&vector["batch_number"]),
				vector["network"].as_u64().expect("network id") as NetworkId,
				test_vectors::fr(&vector["old_root"]),
				test_vectors::fr(&vector["new_root"]),
			);
			let pubdata = hex::decode(vector["pubdata"].as_str().unwrap()).unwrap();
			let bytes = commitment_bytes(batch_number, network, old_root, new_root, &pubdata);
			assert_eq!(bytes, bytes32(&vector["commitment_bytes"]), "{vector}");
			let commitment = batch_commitment(batch_number, network, old_root, new_root, &pubdata);
			assert_eq!(
				commitment,
				test_vectors::fr(&vector["commitment"]),
				"{vector}"
			);
			assert_eq!(fr_to_be_bytes(&commitment), bytes);
		}
	}

	#[test]
	fn sync_hashes_match_independent_vectors() {
		let vectors = test_vectors::commitment()["sync_hashes"]
			.as_array()
			.unwrap();
		assert_eq!(bytes32(&vectors[0]["prev"]), GENESIS_SYNC_HASH);
		for vector in vectors {
			assert_eq!(
				sync_hash(
					bytes32(&vector["prev"]),
					u64_of(&vector["batch_number"]),
					test_vectors::fr(&vector["commitment"]),
				),
				bytes32(&vector["sync_hash"]),
				"{vector}"
			);
		}
	}

	#[test]
	fn commitment_top_three_bits_are_clear() {
		let mut rng = ark_std::test_rng();
		let mut seen_bit_252 = false;
		for n in 0..200u64 {
			let (old_root, new_root) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
			let bytes = commitment_bytes(n, n as NetworkId, old_root, new_root, &n.to_le_bytes());
			assert_eq!(bytes[0] & 0xe0, 0);
			seen_bit_252 |= bytes[0] & 0x10 != 0;
		}
		assert!(seen_bit_252, "only the top three bits are cleared");
	}

	#[test]
	fn changing_any_commitment_input_changes_it() {
		let (old_root, new_root) = (Fr::from(11u64), Fr::from(12u64));
		let pubdata: Vec<u8> = (0..40).collect();
		let base = batch_commitment(7, 1, old_root, new_root, &pubdata);
		let mut altered_pubdata = pubdata.clone();
		altered_pubdata[39] ^= 1;
		for altered in [
			batch_commitment(8, 1, old_root, new_root, &pubdata),
			batch_commitment(7, 2, old_root, new_root, &pubdata),
			batch_commitment(7, 1 << 24, old_root, new_root, &pubdata),
			batch_commitment(7, 1, new_root, new_root, &pubdata),
			batch_commitment(7, 1, old_root, old_root, &pubdata),
			batch_commitment(7, 1, new_root, old_root, &pubdata),
			batch_commitment(7, 1, old_root, new_root, &altered_pubdata),
			batch_commitment(7, 1, old_root, new_root, &pubdata[..39]),
			batch_commitment(7, 1, old_root, new_root, &[]),
		] {
			assert_ne!(altered, base);
		}
	}

	#[test]
	fn changing_any_sync_hash_input_changes_it() {
		let commitment = Fr::from(5u64);
		let base = sync_hash(GENESIS_SYNC_HASH, 1, commitment);
		let mut prev = GENESIS_SYNC_HASH;
		prev[31] = 1;
		for altered in [
			sync_hash(prev, 1, commitment),
			sync_hash(GENESIS_SYNC_HASH, 2, commitment),
			sync_hash(GENESIS_SYNC_HASH, 1, commitment + Fr::from(1u64)),
		] {
			assert_ne!(altered, base);
		}
	}

	#[test]
	fn field_elements_are_big_endian() {
		let mut expected = [0u8; 32];
		expected[30..].copy_from_slice(&[0x01, 0x02]);
		assert_eq!(fr_to_be_bytes(&Fr::from(0x0102u64)), expected);
		assert_eq!(
			hex::encode(fr_to_be_bytes(&-Fr::from(1u64))),
			"30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000000"
		);
	}
}
