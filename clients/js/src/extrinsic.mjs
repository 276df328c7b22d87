// `Ledger.submit(SignedOp)` as a general transaction: extrinsic format version 5 with no
// appchain signer and no CORD fee, authorised by the op's L2 signature through the runtime's
// `frame_system::AuthorizeCall` extension and the pallet's `#[pallet::authorize]`.
//
// polkadot.js 16.5.6 cannot submit these through `api.tx`, which builds version 4 extrinsics
// (signed or bare). Its `Extrinsic` type (`GenericExtrinsic`), which the decorated RPC methods
// also re-encode their parameter with, writes a general extrinsic's length and version byte
// twice; the runtime cannot decode that (the node answers `1002: Verification Error`, a trap
// in `validate_transaction`). So the extrinsic is built as the `GeneralExtrinsic` type, whose
// own encoding is right, and sent as hex through the raw RPC call.

/**
 * The transaction extensions with explicit data (the bytes the extrinsic carries), with the
 * value a general transaction gives each. Without an appchain signer the runtime's
 * `CheckNonce` and `ChargeTransactionPayment` skip their checks, and the op's L2 nonce already
 * makes it single-use, so the transaction is immortal with nonce and tip 0. (The others in the
 * runtime's `TxExtension` carry no explicit data: `AuthorizeCall`, `CheckNonZeroSender`,
 * `CheckSpecVersion`, `CheckTxVersion`, `CheckGenesis`, `CheckWeight`, `WeightReclaim`.)
 */
const EXPLICIT_DATA = {
  CheckMortality: { era: '0x00' },
  CheckEra: { era: '0x00' },
  CheckNonce: { nonce: 0 },
  ChargeTransactionPayment: { tip: 0 },
};

/**
 * The general extrinsic of `Ledger.submit(signedOp)` as 0x-hex, length-prefixed as
 * `author_submitExtrinsic` takes it, built with the registry of the runtime's metadata
 * (`api.registry`). `signedOp` is what `signOp` returns.
 */
export function buildL2Extrinsic(registry, signedOp) {
  const extensionData = checkGeneralTransactions(registry);
  const method = registry.createType('Call', {
    callIndex: ledgerSubmitIndex(registry),
    args: { op: signedOp },
  });
  return registry.createType('GeneralExtrinsic', { payload: { method, ...extensionData } }).toHex();
}

/**
 * Submits `Ledger.submit(signedOp)` to the node of `api` (an `ApiPromise`) as a general
 * transaction and resolves to its hash once the pool accepted it. A rejection carries the
 * node's answer, e.g. `1010: Invalid Transaction: Transaction has a bad signature` for an op
 * whose signature or signer the ledger refuses.
 */
export async function submitL2Op(api, signedOp) {
  const extrinsic = buildL2Extrinsic(api.registry, signedOp);
  try {
    // Raw RPC: the decorated `api.rpc.author.submitExtrinsic` would re-encode the extrinsic
    // as `GenericExtrinsic` (see above).
    return await api.rpc('author_submitExtrinsic', extrinsic);
  } catch (error) {
    throw new Error(`the node refused Ledger.submit(${describeOp(signedOp.op)}): ${error.message}`,
      { cause: error });
  }
}

/**
 * The explicit extension data of a general transaction for this runtime, after checking that
 * the runtime accepts general transactions in the form polkadot.js encodes them: extrinsic
 * version 5 with extension version 0 made of every extension in metadata order.
 */
function checkGeneralTransactions(registry) {
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

/** `[pallet index, call index]` of `Ledger.submit` in the runtime's metadata. */
function ledgerSubmitIndex(registry) {
  const ledger = registry.metadata.pallets.find(({ name }) => name.eq('Ledger'));
  const calls = ledger?.calls.unwrapOr(null);
  const submit = calls && registry.lookup.getSiType(calls.type).def.asVariant.variants
    .find(({ name }) => name.eq('submit'));
  if (!submit) throw new Error('the runtime metadata has no Ledger.submit call');
  return [ledger.index.toNumber(), submit.index.toNumber()];
}

function describeOp(op) {
  const [kind] = Object.keys(op ?? {});
  const { from, account, nonce } = op?.[kind] ?? {};
  return nonce === undefined ? kind : `${kind} of account ${from ?? account}, nonce ${nonce}`;
}
