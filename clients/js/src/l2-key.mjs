// The L2 key of an Ethereum account, derived as primitives/src/eddsa.rs
// (`l2_private_key_from_eth_signature`) defines it.
import { concat, getBytes, hexlify, keccak256, toBeHex } from 'ethers6';
import { circomlib } from './circomlib.mjs';

/**
 * The message an Ethereum wallet signs (EIP-191 `personal_sign`) to derive its L2 key on
 * network `network` (a u32, the appchain's `Ledger.Network`); equal to
 * `concord_primitives::eddsa::l2_key_message`. Part of the protocol: changing it changes every
 * user's L2 key. One Ethereum key has a different L2 key on every network.
 */
export function l2KeyMessage(network) {
  if (!Number.isSafeInteger(network) || network < 0 || network > 0xffffffff) {
    throw new RangeError(`a network id is a u32, got ${network}`);
  }
  return `Concord L2 key for network 0x${network.toString(16).padStart(8, '0')}: sign this `
    + 'message to control your Concord account on every chain. Only sign it on a Concord site.';
}

/**
 * An EdDSA-Poseidon key on Baby Jubjub. The private key is a private field so that logging the
 * object does not print it.
 */
export class L2Key {
  #eddsa;
  #privateKey;

  /** Use `deriveL2Key` or `l2KeyFromEthSignature`: the key is defined by its derivation. */
  constructor(eddsa, privateKey) {
    this.#eddsa = eddsa;
    this.#privateKey = privateKey;
    const point = eddsa.prv2pub(privateKey);
    const [x, y] = point.map((coordinate) => eddsa.F.toObject(coordinate));
    /** The public key in circomlib's coordinates (circomlibjs `prv2pub`). */
    this.publicKey = Object.freeze({ x, y });
    /** circomlibjs `babyJub.packPoint`: ChangePubKey's `newPubkey`. */
    this.packedPublicKey = hexlify(eddsa.babyJub.packPoint(point));
    /**
     * `x ‖ y`, each 32 bytes little-endian (`PublicKey::to_coordinate_bytes`): how the ledger
     * stores an account's key (`Ledger.Accounts(id).pubkey`), to check it is this key.
     */
    this.coordinates = hexlify(concat([littleEndian32(x), littleEndian32(y)]));
    Object.freeze(this);
  }

  /** The 32 private key bytes (a copy): whoever has them controls the L2 account. */
  get privateKey() {
    return new Uint8Array(this.#privateKey);
  }

  /**
   * circomlibjs `signPoseidon` of a field element, packed as `packSignature` (`R8` packed, then
   * `S` in 32 little-endian bytes): the 64 bytes of `SignedOp.signature`.
   */
  sign(message) {
    const eddsa = this.#eddsa;
    return hexlify(eddsa.packSignature(eddsa.signPoseidon(this.#privateKey, eddsa.F.e(message))));
  }
}

/**
 * The L2 key on network `network` of the Ethereum account behind `ethSigner`: anything with
 * ethers' `signMessage` (an ethers `Wallet`, or a `JsonRpcSigner` of a browser wallet, which
 * uses `personal_sign`). Wallets sign deterministically (RFC 6979), so the same Ethereum key
 * always gives the same L2 key on a network, on every chain and device.
 */
export async function deriveL2Key(ethSigner, network) {
  return l2KeyFromEthSignature(await ethSigner.signMessage(l2KeyMessage(network)));
}

/**
 * The L2 key of a 65-byte signature `r ‖ s ‖ v` of `l2KeyMessage(network)`: keccak256 of the
 * signature with `v` normalised to 27 or 28, since some wallets return 0 or 1 for the same signature.
 */
export async function l2KeyFromEthSignature(signature) {
  const bytes = new Uint8Array(getBytes(signature));
  if (bytes.length !== 65) {
    throw new Error(`an Ethereum signature is 65 bytes r ‖ s ‖ v, got ${bytes.length}`);
  }
  if (bytes[64] <= 1) bytes[64] += 27;
  if (bytes[64] !== 27 && bytes[64] !== 28) {
    throw new Error(`an Ethereum signature's v is 27 or 28 (or 0 or 1), got ${bytes[64]}`);
  }
  return new L2Key(await circomlib(), getBytes(keccak256(bytes)));
}

/** A field element's canonical 32 bytes, little-endian. */
function littleEndian32(value) {
  return getBytes(toBeHex(value, 32)).reverse();
}
