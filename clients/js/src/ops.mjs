// L2 operations as primitives/src/ops.rs defines them: the field element an op's signer signs
// (`Op::signed_message`), the `SignedOp` that `Ledger.submit` takes, and ChangePubKey's
// Ethereum authorization (`ChangePubKey::eth_message`). Each binds the network id
// (`Ledger.Network`), so nothing signed for one Concord network is valid on another.
//
// An op is the object polkadot.js encodes as `concord_primitives::ops::Op`: a single entry
// `{ Kind: fields }` with the Rust variant name and the struct's fields in camelCase, e.g.
// `{ Withdraw: { from, toChain, toAddress, token, amount, fee, nonce } }`. Signing and
// submitting use the same object, so what is signed is exactly what is submitted.
import { getBytes, hexlify } from 'ethers6';
import { circomlib } from './circomlib.mjs';
import {
  AMOUNT_FLOAT, FEE_FLOAT, isPackable, notPackableMessage, roundDown,
} from './float.mjs';

const u8 = { bits: 8n };
const u16 = { bits: 16n };
const u32 = { bits: 32n };
const u128 = { bits: 128n };
const address = { bytes: 20 };
const packedKey = { bytes: 32 };

/**
 * The ops an L2 key signs: their type byte (the SCALE variant index and the low byte of the
 * signed message), their fields in Rust order with their widths, whether the pubdata packs
 * their amount as a float40 (`floatAmount`; every one's fee is a float16, see float.mjs), and
 * the fields of the packed message (`SignedFields` in ops.rs; absent ones are 0).
 */
const SIGNED_OPS = {
  Transfer: {
    type: 2n,
    fields: { from: u32, to: u32, token: u16, amount: u128, fee: u128, nonce: u32 },
    floatAmount: true,
    signed: (op) => ({ account: op.from, to: op.to, ...common(op) }),
  },
  TransferToNew: {
    type: 3n,
    fields: { from: u32, toAddress: address, token: u16, amount: u128, fee: u128, nonce: u32 },
    floatAmount: true,
    signed: (op) => ({ account: op.from, address: BigInt(op.toAddress), ...common(op) }),
  },
  Withdraw: {
    type: 4n,
    fields: {
      from: u32, toChain: u8, toAddress: address, token: u16, amount: u128, fee: u128, nonce: u32,
    },
    signed: (op) => ({
      account: op.from, chain: op.toChain, address: BigInt(op.toAddress), ...common(op),
    }),
  },
  ChangePubKey: {
    type: 5n,
    fields: {
      chainId: u8, account: u32, newPubkey: packedKey, feeToken: u16, fee: u128, nonce: u32,
    },
    signed: (op) => ({
      account: op.account, chain: op.chainId, token: op.feeToken, nonce: op.nonce, fee: op.fee,
    }),
  },
};

function common({ token, amount, fee, nonce }) {
  return { token, amount, fee, nonce };
}

/**
 * The field element the op's signer signs with EdDSA-Poseidon on network `network`
 * (`Op::signed_message`), as a bigint:
 *
 *   Poseidon(packed, address, amount, fee)
 *   packed = op_type | account << 8 | token << 40 | nonce << 56 | chain << 88 | to << 96
 *            | network << 128
 *
 * `network` is the appchain's `Ledger.Network` (`networkId(api)`). Throws for ops no L2 key
 * signs (Noop, Deposit, FullExit) and for malformed fields. Like `Op::signed_message`, it does
 * not check that the amount and fee pack as floats: `signOp` does.
 */
export async function signedMessage(op, network) {
  return messageOf(await circomlib(), parseOp(op), parseNetwork(network));
}

/** The appchain's network id (`Ledger.Network`, set at genesis), which every L2 signature binds. */
export async function networkId(api) {
  return (await api.query.ledger.network()).toNumber();
}

/**
 * The `SignedOp` argument of `Ledger.submit`, `{ op, signature }`: the op with its fields
 * checked and normalised (integers as bigints, byte arrays as lowercase 0x-hex) and `l2Key`'s
 * packed signature of its signed message on `network`. A ChangePubKey must be signed by its new
 * key, the one the runtime checks its signature against. A Transfer's or TransferToNew's amount
 * must be exactly a float40 and every fee a float16 (float.mjs), as the appchain requires: other
 * values are refused with the largest packable one below them (`roundDownAmount`,
 * `roundDownFee`), never rounded here.
 */
export async function signOp(l2Key, op, network) {
  const parsed = parseOp(op);
  const parsedNetwork = parseNetwork(network);
  checkPackable(parsed);
  if (parsed.kind === 'ChangePubKey' && parsed.fields.newPubkey !== l2Key.packedPublicKey) {
    throw new Error(`a ChangePubKey is signed by its new key: newPubkey ${parsed.fields.newPubkey} `
      + `is not this key's ${l2Key.packedPublicKey}`);
  }
  const signature = l2Key.sign(messageOf(await circomlib(), parsed, parsedNetwork));
  return { op: { [parsed.kind]: parsed.fields }, signature };
}

/**
 * The text the account's owner signs with `personal_sign` to authorise a ChangePubKey on
 * network `network` (`ChangePubKey::eth_message`): fixed-width fields, lines joined by `\n`,
 * none after the last.
 */
export function changePubKeyEthMessage(op, network) {
  const { kind, fields } = parseOp(op);
  const parsedNetwork = parseNetwork(network);
  if (kind !== 'ChangePubKey') {
    throw new TypeError(`only a ChangePubKey has an Ethereum authorization, not a ${kind}`);
  }
  return [
    'Concord: set the L2 key of your account',
    `key: ${fields.newPubkey}`,
    `nonce: 0x${fields.nonce.toString(16).padStart(8, '0')}`,
    `account: 0x${fields.account.toString(16).padStart(8, '0')}`,
    `network: 0x${parsedNetwork.toString(16).padStart(8, '0')}`,
    'Only sign this message on a Concord site.',
  ].join('\n');
}

/**
 * The owner's Ethereum authorization of a ChangePubKey on network `network`: `ethSigner`'s
 * EIP-191 signature of `changePubKeyEthMessage(op, network)`, 65 bytes `r ‖ s ‖ v` as 0x-hex.
 * The appchain and every L1 contract check it; `ethSigner` must be the account's L1 address.
 */
export async function authorizeChangePubKey(ethSigner, op, network) {
  const signature = getBytes(await ethSigner.signMessage(changePubKeyEthMessage(op, network)));
  if (signature.length !== 65) {
    throw new Error(`the wallet returned a ${signature.length}-byte signature, not 65 bytes r ‖ s ‖ v`);
  }
  return hexlify(signature);
}

function messageOf({ poseidon, F }, { spec, fields }, network) {
  const {
    account, token, nonce, chain = 0n, to = 0n, address = 0n, amount = 0n, fee,
  } = spec.signed(fields);
  const packed = spec.type | account << 8n | token << 40n | nonce << 56n | chain << 88n | to << 96n
    | network << 128n;
  return F.toObject(poseidon([packed, address, amount, fee]));
}

/**
 * Refuses an op whose amount or fee the pubdata cannot pack, in the STF's order (amount, then
 * fee), naming the value to sign instead.
 */
function checkPackable({ kind, spec, fields }) {
  const floats = spec.floatAmount ? [['amount', AMOUNT_FLOAT], ['fee', FEE_FLOAT]]
    : [['fee', FEE_FLOAT]];
  for (const [name, float] of floats) {
    const value = fields[name];
    if (!isPackable(float, value)) {
      const error = new RangeError(notPackableMessage(float, `${kind}.${name}`, value,
        `; the appchain refuses it (${float.refusal}): sign that (${float.roundDownName}) `
        + 'instead'));
      error.value = value;
      error.rounded = roundDown(float, value);
      throw error;
    }
  }
}

/** A network id as a bigint, checked to be a u32 (`NetworkId`). */
function parseNetwork(network) {
  if (network === undefined) {
    throw new TypeError('the network id is required (networkId(api) reads the appchain\'s)');
  }
  return normalizeField('network', network, u32);
}

/** The op's kind, its spec and its fields checked against the Rust types and normalised. */
function parseOp(op) {
  const kinds = Object.keys(op ?? {});
  if (kinds.length !== 1) {
    throw new TypeError(`an op is one { Kind: fields } entry, got keys [${kinds.join(', ')}]`);
  }
  const [kind] = kinds;
  const spec = SIGNED_OPS[kind];
  if (!spec) {
    throw new TypeError(`${kind} is not an op an L2 key signs `
      + `(${Object.keys(SIGNED_OPS).join(', ')})`);
  }
  const given = op[kind] ?? {};
  const unknown = Object.keys(given).filter((name) => !Object.hasOwn(spec.fields, name));
  if (unknown.length) {
    throw new TypeError(`${kind} has no field ${unknown.join(', ')}; its fields are `
      + `${Object.keys(spec.fields).join(', ')}`);
  }
  const fields = {};
  for (const [name, width] of Object.entries(spec.fields)) {
    fields[name] = normalizeField(`${kind}.${name}`, given[name], width);
  }
  return { kind, spec, fields };
}

/** An integer as a bigint within its Rust type, or a byte array as 0x-hex of its exact length. */
function normalizeField(path, value, { bits, bytes }) {
  if (bytes) {
    let array;
    try {
      array = getBytes(value);
    } catch (error) {
      throw new TypeError(`${path}: expected ${bytes} bytes as 0x-hex or a Uint8Array`, { cause: error });
    }
    if (array.length !== bytes) {
      throw new RangeError(`${path}: expected ${bytes} bytes, got ${array.length}`);
    }
    return hexlify(array);
  }
  if (typeof value === 'number' ? !Number.isSafeInteger(value) : typeof value !== 'bigint') {
    throw new TypeError(`${path}: expected an integer as a bigint or a safe-integer number, `
      + `got ${typeof value} ${value}`);
  }
  const integer = BigInt(value);
  if (integer < 0n || integer >> bits !== 0n) {
    throw new RangeError(`${path}: ${integer} does not fit in a u${bits}`);
  }
  return integer;
}
