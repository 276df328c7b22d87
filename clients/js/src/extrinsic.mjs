// L2 ops as general transactions: extrinsic format version 5 with no appchain signer and no
// CORD fee, `Ledger.submit(SignedOp)` or `Ledger.change_pubkey(SignedOp, eth_signature)`,
// authorised by the op's L2 signature (and a ChangePubKey's Ethereum signature) through the
// runtime's `frame_system::AuthorizeCall` extension and the pallet's `#[pallet::authorize]`.
//
// polkadot.js 16.5.6 cannot submit these through `api.tx`, which builds version 4 extrinsics
// (signed or bare). Its `Extrinsic` type (`GenericExtrinsic`), which the decorated RPC methods
// also re-encode their parameter with, writes a general extrinsic's length and version byte
// twice; the runtime cannot decode that (the node answers `1002: Verification Error`, a trap
// in `validate_transaction`). So the extrinsic is built as the `GeneralExtrinsic` type, whose
// own encoding is right, and sent as hex through the raw RPC call.
import { getBytes } from 'ethers6';

/**
 * The transaction extensions with explicit data (the bytes the extrinsic carries), with the
 * value a general transaction gives each. Without an appchain signer the runtime's
 * `CheckNonce` and `ChargeTransactionPayment` skip their checks, and the op's L2 nonce already
 * makes it single-use, so the transaction is immortal with nonce and tip 0. (The others in the
 * runtime's `TxExtension` carry no explicit data: `AuthorizeCall`, `CheckNonZeroSender`,
 * `CheckSpecVersion`, `CheckTxVersion`, `CheckGenesis`, `CheckWeight`, `CheckOracleCall`,
 * `WeightReclaim`.)
 */
const EXPLICIT_DATA = {
  CheckMortality: { era: '0x00' },
  CheckEra: { era: '0x00' },
  CheckNonce: { nonce: 0 },
  ChargeTransactionPayment: { tip: 0 },
};

/**
 * The general extrinsic of an L2 op as 0x-hex, length-prefixed as `author_submitExtrinsic`
 * takes it, built with the registry of the runtime's metadata (`api.registry`): `Ledger.submit
 * (signedOp)`, or for a ChangePubKey `Ledger.change_pubkey(signedOp, ethSignature)`.
 * `signedOp` is what `signOp` returns, `ethSignature` what `authorizeChangePubKey` returns.
 */
export function buildL2Extrinsic(registry, signedOp, { ethSignature } = {}) {
  return generalExtrinsic(registry, ledgerCall(registry, signedOp, ethSignature).call);
}

/** The general extrinsic (no signer, no fee) of a `Call` of this registry, as 0x-hex. */
function generalExtrinsic(registry, call) {
  const payload = { method: call, ...generalExtensionData(registry) };
  return registry.createType('GeneralExtrinsic', { payload }).toHex();
}

/**
 * Submits an L2 op to the node of `api` (an `ApiPromise`) as a general transaction and
 * resolves to its hash once the pool accepted it: through `Ledger.submit`, or for a
 * ChangePubKey through `Ledger.change_pubkey` with the owner's Ethereum authorization
 * `ethSignature`, which the runtime requires (a ChangePubKey without it is refused here, before
 * the node is asked). A rejection carries the node's answer, e.g. `1010: Invalid Transaction:
 * Transaction has a bad signature` for an op whose L2 signature, signer or Ethereum
 * authorization the ledger refuses.
 */
export async function submitL2Op(api, signedOp, { ethSignature } = {}) {
  const { call, name } = ledgerCall(api.registry, signedOp, ethSignature);
  return submitGeneralExtrinsic(api, call, `Ledger.${name}(${describeOp(signedOp.op)})`);
}

/**
 * Submits any `call` (e.g. `api.tx.ledger.submit(signedOp).method`) as a general transaction
 * and resolves to its hash once the pool accepted it; only a call the runtime authorises by its
 * content (`#[pallet::authorize]`) can be valid. A rejection names `description` and carries
 * the node's answer.
 */
export async function submitGeneralExtrinsic(api, call,
  description = `${call.section}.${call.method}`) {
  const extrinsic = generalExtrinsic(api.registry, call);
  try {
    // Raw RPC: the decorated `api.rpc.author.submitExtrinsic` would re-encode the extrinsic
    // as `GenericExtrinsic` (see above).
    return await api.rpc('author_submitExtrinsic', extrinsic);
  } catch (error) {
    const reason = nameCustomRefusal(api.registry, call, error.message);
    throw new Error(`the node refused ${description}: ${reason}`, { cause: error });
  }
}

/**
 * The node's refusal `message` with a custom validity code named. The ledger refuses an op the
 * pool cannot take with `InvalidTransaction::Custom(i)`, `i` being the index of the refusing
 * rule in its `Error` enum (`1010: Invalid Transaction: Custom error: 10`); the metadata turns
 * it into `ledger.InsufficientBalance` and its documentation.
 */
function nameCustomRefusal(registry, call, message) {
  const code = /Custom error: (\d+)/.exec(message)?.[1];
  if (code === undefined) return message;
  try {
    const { section, name, docs } = registry.findMetaError(
      new Uint8Array([call.callIndex[0], Number(code)]));
    return `${message} (${section}.${name}: ${docs.join(' ').trim()})`;
  } catch {
    return message;
  }
}

/**
 * The ledger call that carries `signedOp`, and its name. The runtime refuses a ChangePubKey in
 * `submit` (`EthAuthorizationRequired`): it goes to `change_pubkey`, which first checks the
 * owner's Ethereum signature against the account's L1 address.
 */
function ledgerCall(registry, signedOp, ethSignature) {
  const [kind] = Object.keys(signedOp?.op ?? {});
  const isChangePubKey = kind === 'ChangePubKey';
  if (isChangePubKey && ethSignature === undefined) {
    throw new Error('a ChangePubKey needs its owner\'s Ethereum authorization: pass '
      + '{ ethSignature } from authorizeChangePubKey');
  }
  if (!isChangePubKey && ethSignature !== undefined) {
    throw new Error(`only a ChangePubKey carries an Ethereum authorization, not a ${kind}`);
  }
  const [name, args] = isChangePubKey
    ? ['change_pubkey', { op: signedOp, eth_signature: ethSignatureBytes(ethSignature) }]
    : ['submit', { op: signedOp }];
  const callIndex = ledgerCallIndex(registry, name);
  return { call: registry.createType('Call', { callIndex, args }), name };
}

/**
 * The 65 bytes `r ‖ s ‖ v`, checked here because polkadot.js would cut a longer `Uint8Array`
 * to `[u8; 65]` and zero-fill an empty one.
 */
function ethSignatureBytes(signature) {
  let bytes;
  try {
    bytes = getBytes(signature);
  } catch (error) {
    throw new TypeError('ethSignature: expected 65 bytes as 0x-hex or a Uint8Array',
      { cause: error });
  }
  if (bytes.length !== 65) {
    throw new RangeError('ethSignature: an Ethereum signature is 65 bytes r ‖ s ‖ v, got '
      + `${bytes.length}`);
  }
  return bytes;
}

/**
 * The explicit extension data of a general transaction for this runtime, after checking that
 * the runtime accepts general transactions in the form polkadot.js encodes them: extrinsic
 * version 5 with extension version 0 made of every extension in metadata order.
 */
function generalExtensionData(registry) {
  const { versions, transactionExtensions, transactionExtensionsByVersion } = registry.metadata.extrinsic;
  if (!versions.includes(5)) {
    throw new Error(`the runtime accepts extrinsic versions [${[...versions].join(', ')}], not 5 `
      + '(general transactions)');
  }
  const version0 = [...transactionExtensionsByVersion.entries()]
    .find(([version]) => version.eqn(0))?.[1].map((index) => index.toNumber());
  if (version0?.join() !== transactionExtensions.map((_, index) => index).join()) {
    throw new Error('the runtime has no transaction extension version 0 made of all its '
      + 'extensions, the only one polkadot.js encodes');
  }
  const data = {};
  for (const { identifier, type } of transactionExtensions) {
    const name = identifier.toString();
    if (EXPLICIT_DATA[name]) {
      Object.assign(data, EXPLICIT_DATA[name]);
    } else if (registry.lookup.getTypeDef(type).type !== 'Null') {
      throw new Error(`transaction extension ${name} carries explicit data that this client `
        + 'does not know how to fill for a general transaction');
    }
  }
  return data;
}

/** `[pallet index, call index]` of `Ledger.<name>` in the runtime's metadata. */
function ledgerCallIndex(registry, name) {
  const ledger = registry.metadata.pallets.find((pallet) => pallet.name.eq('Ledger'));
  const calls = ledger?.calls.unwrapOr(null);
  const call = calls && registry.lookup.getSiType(calls.type).def.asVariant.variants
    .find((variant) => variant.name.eq(name));
  if (!call) throw new Error(`the runtime metadata has no Ledger.${name} call`);
  return [ledger.index.toNumber(), call.index.toNumber()];
}

function describeOp(op) {
  const [kind] = Object.keys(op ?? {});
  const { from, account, nonce } = op?.[kind] ?? {};
  return nonce === undefined ? kind : `${kind} of account ${from ?? account}, nonce ${nonce}`;
}
