// Signed appchain extrinsics for tests: governance (sudo) and oracle calls that must be in a
// block before the test goes on.

/**
 * Signs and sends `tx` (an `api.tx` call) with `signer` (a keyring pair) and resolves to the
 * hash of the block it is in. Rejects if the pool refuses it, if it is not in a block within
 * `timeoutMs`, or if its dispatch failed, naming the module error (e.g. `ledger.UnknownAccount`).
 * A sudo call's own failure counts: `Sudo.sudo` itself succeeds and reports the inner call's
 * result in its `Sudid` event.
 */
export function sendInBlock(api, tx, signer, { timeoutMs = 30_000 } = {}) {
  const what = describeCall(tx.method);
  return new Promise((resolve, reject) => {
    let finished = false;
    let unsubscribe;
    const done = (error, blockHash) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      unsubscribe?.();
      if (error) reject(error); else resolve(blockHash);
    };
    const timer = setTimeout(
      () => done(new Error(`${what} was not in a block within ${timeoutMs} ms`)), timeoutMs);
    tx.signAndSend(signer, ({ status, dispatchError, events }) => {
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        done(new Error(`${what} left the pool: ${status.type}`));
      } else if (status.isInBlock) {
        const failure = dispatchError
          ?? events.map(({ event }) => event)
            .find((event) => api.events.sudo.Sudid.is(event) && event.data.sudoResult.isErr)
            ?.data.sudoResult.asErr;
        done(failure && new Error(`${what} failed in block ${status.asInBlock.toHex()}: `
          + `${describeDispatchError(api, failure)}`), status.asInBlock.toHex());
      }
    }).then((unsub) => {
      unsubscribe = unsub;
      if (finished) unsub();
    }, (error) => done(new Error(`the node refused ${what}: ${error.message}`, { cause: error })));
  });
}

/** `section.method`, or `sudo(section.method)` for a sudo call. */
function describeCall(call) {
  const name = `${call.section}.${call.method}`;
  return name === 'sudo.sudo' ? `sudo(${describeCall(call.args[0])})` : name;
}

/** `section.Name` of a module error, else the error as polkadot.js prints it (`BadOrigin`). */
function describeDispatchError(api, error) {
  if (error.isModule) {
    const { section, name } = api.registry.findMetaError(error.asModule);
    return `${section}.${name}`;
  }
  return error.toString();
}
