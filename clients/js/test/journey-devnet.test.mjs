// The user's journey (examples/journey.mjs) against the whole devnet: the dev node, two anvil
// chains and a relayer, started by `concord-devnet` as the README's start command does.
// Deposit on chain A → ChangePubKey → transfer on L2 → withdraw to chain B → claim on chain B,
// with balances checked on both L1s and on L2. Needs CONCORD_DEVNET_BIN (scripts/test.sh sets it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { runJourney } from '../examples/journey.mjs';
import { startDevnet } from '../testing/devnet.mjs';

const ETHER = 10n ** 18n;
const skip = !process.env.CONCORD_DEVNET_BIN && 'CONCORD_DEVNET_BIN is not set';

let devnet;
// Two provers: batch n is proved by devnet.provers[n mod 2] (Alice's relayer, Bob's).
before(async () => { if (!skip) devnet = await startDevnet({ provers: 2 }); }, { timeout: 360_000 });
after(async () => { await devnet?.stop(); }, { timeout: 60_000 });

test('deposit on A, transfer on L2, withdraw to B and claim on B', { skip, timeout: 900_000 }, async () => {
  // A failing step names itself; the node's and relayer's log tails say why (the devnet's
  // directory is removed when the test ends).
  const result = await runJourney(devnet, { log: (line) => console.log(`# ${line}`) })
    .catch((error) => { throw new Error(`${error.message}\n${devnet.logTails()}`, { cause: error }); });
  assert.equal(result.pending, ETHER, 'one withdrawal of 1 ETH is credited on chain B');
  assert.equal(result.userBalanceB.after, result.userBalanceB.before + ETHER - result.gas);
  // Chain A keeps the 2 ETH deposited and the deposit's request fee; chain B paid 1 ETH out of
  // the operator's liquidity.
  assert.ok(result.requestFee > 0n, 'the devnet charges a request fee');
  assert.equal(result.heldAfter.a, result.heldBefore.a + 2n * ETHER + result.requestFee);
  assert.equal(result.heldAfter.b, result.heldBefore.b - ETHER);
  assert.ok(result.feesPaid > 0n, 'every L2 op paid a fee');
  assert.deepEqual(result.l2, { user: ETHER / 2n - result.feesPaid, recipient: ETHER / 2n });
  // The devnet's start seals a batch and the journey at least one more: both provers proved,
  // each its own batches.
  const keyring = new Keyring({ type: 'sr25519' });
  const proverAddress = devnet.provers.map(({ account }) => keyring.addFromUri(account).address);
  assert.equal(proverAddress.length, 2);
  assert.ok(result.provers.length >= 2, `proven batches: ${result.provers.length}`);
  result.provers.forEach((prover, index) => {
    const batch = index + 1;
    assert.equal(prover, proverAddress[batch % 2], `batch ${batch}'s prover`);
  });
});
