// The node's `concord_*` JSON-RPC methods (node/src/concord_rpc.rs): L2 accounts, batches and
// pending priority ops as the runtime's `ConcordApi` answers them. polkadot.js has no types for
// these methods, so they are sent as raw calls and their JSON is returned as the node sends it,
// except that amounts (decimal strings, since they exceed JSON's safe integers) become bigints.

/**
 * The `concord_*` methods over the connection of `api` (an `ApiPromise`). Each takes an
 * optional block hash `at` last (default: the best block). A refusal keeps the node's JSON-RPC
 * error `code` (-32602 for invalid parameters) and names the method.
 */
export function concordRpc(api) {
  const call = async (method, params, at) => {
    const sent = at === undefined ? params : [...params, at];
    try {
      return await api.rpc(`concord_${method}`, ...sent);
    } catch (error) {
      const message = `concord_${method}(${sent.map(show).join(', ')}): ${error.message}`;
      throw Object.assign(new Error(message, { cause: error }), { code: error.code });
    }
  };
  return {
    /** The L2 account with this id, or null: `{ id, l1Address, pubkey, nonce, balances }`. */
    account: async (id, at) => withAmounts(await call('account', [id], at)),
    /** The L2 account owned by an L1 address (0x + 40 hex digits), or null. */
    accountByAddress: async (address, at) =>
      withAmounts(await call('accountByAddress', [address], at)),
    /** The number of the last sealed batch, 0 before the first. */
    lastBatch: (at) => call('lastBatch', [], at),
    /** A sealed batch's progress on the appchain and each L1, or null. */
    batchStatus: (batch, at) => call('batchStatus', [batch], at),
    /** A sealed batch's pubdata as 0x-hex (what the L1 contracts receive at commit), or null. */
    batchPubdata: (batch, at) => call('batchPubdata', [batch], at),
    /** The oracle members' execute signatures of a batch: `[{ l1Address, signatures }]`. */
    executeSignatures: (batch, at) => call('executeSignatures', [batch], at),
    /** Attested priority ops not yet in the ledger: `[{ chain, priorityId, op, attestations }]`. */
    pendingPriorityOps: async (at) => (await call('pendingPriorityOps', [], at))
      .map((pending) => ({ ...pending, op: withAmounts(pending.op) })),
    /** The owner's Ethereum signature (0x-hex) of the ChangePubKey applied with `nonce`, or null. */
    changePubKeyAuthorization: (account, nonce, at) =>
      call('changePubKeyAuthorization', [account, nonce], at),
  };
}

/** An account's balances by token id, or a deposit's amount, as bigints. */
function withAmounts(value) {
  if (value?.balances) {
    const balances = Object.entries(value.balances)
      .map(([token, amount]) => [token, BigInt(amount)]);
    return { ...value, balances: Object.fromEntries(balances) };
  }
  if (value?.amount !== undefined) return { ...value, amount: BigInt(value.amount) };
  return value;
}

function show(param) {
  return typeof param === 'string' ? JSON.stringify(param) : String(param);
}
