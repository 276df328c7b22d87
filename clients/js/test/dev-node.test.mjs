// polkadot.js against the real dev node: metadata and a dev account's balance.
// The node binary comes from CONCORD_NODE_BIN (scripts/test.sh sets it).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { startDevNode } from '../testing/dev-node.mjs';

let node;
let api;

before(async () => {
  node = await startDevNode();
  api = await ApiPromise.create({ provider: new WsProvider(node.wsUrl), noInitWarn: true });
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
});

test('reads the runtime metadata', async () => {
  assert.equal(api.runtimeVersion.specName.toString(), 'concord');
  const pallets = api.runtimeMetadata.asLatest.pallets.map((p) => p.name.toString());
  for (const name of ['System', 'Aura', 'Grandpa', 'Balances', 'TransactionPayment', 'Sudo']) {
    assert.ok(pallets.includes(name), `metadata lacks pallet ${name}: ${pallets}`);
  }
  assert.equal(api.registry.chainDecimals[0], 12);
  assert.equal(api.registry.chainTokens[0], 'CORD');
});

test("reads Alice's endowed balance", async () => {
  const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  const { data } = await api.query.system.account(alice.address);
  // 1,000,000 CORD with 12 decimals, minus nothing: Alice has sent no transaction.
  assert.equal(data.free.toBigInt(), 1_000_000n * 10n ** 12n);
});

test('an unknown account has no balance', async () => {
  const nobody = new Keyring({ type: 'sr25519' }).addFromUri('//NobodyAtAll');
  const { data } = await api.query.system.account(nobody.address);
  assert.equal(data.free.toBigInt(), 0n);
});
