// A user's whole journey on a running devnet (./scripts/devnet.sh): deposit the native coin on
// chain A, set the L2 key (derived from an Ethereum signature, authorised by the owner's
// Ethereum key), transfer on L2 to a new address, withdraw to chain B, and claim there once
// the batch is executed on every chain.
//
//   node clients/js/examples/journey.mjs /tmp/concord-devnet-<pid>/devnet.json
//
// The test suite runs the same function against a devnet it starts (test/journey-devnet.test.mjs);
// bench/pipeline.mjs reuses its steps (`connect`, `fundUser`, `minFee`, `waitFor`).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { JsonRpcProvider, Wallet, formatEther } from 'ethers6';
import {
  authorizeChangePubKey, concordRpc, deriveL2Key, networkId, signOp, submitL2Op,
} from '../src/l2.mjs';
import { claim, depositNative, pendingBalance, rollup } from '../src/l1.mjs';

const ETHER = 10n ** 18n;

/**
 * Polls `read` every `intervalMs` until `done(value)` and returns that value (logged with the
 * time it took); fails naming `what` after `timeoutMs`.
 */
export async function waitFor(what, read, done, { timeoutMs, intervalMs = 1000, log = () => {} }) {
  const start = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) {
      log(`${what} (${((Date.now() - start) / 1000).toFixed(0)} s)`);
      return value;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * What a journey on `devnet` (the parsed devnet.json) talks to, as `user` (an ethers `Wallet`):
 * the appchain (`api`, `rpc`), chains A and B (`chainA`/`chainB` from devnet.json, providers,
 * and the rollups as `user` sends to them), the native token's id; `close()` disconnects.
 */
export async function connect(devnet, user) {
  const [chainA, chainB] = devnet.chains;
  // cacheTimeout -1: every read asks the chain (ethers answers a request repeated within
  // 250 ms from its cache), so that polls see a change as soon as the chain has it.
  const options = { polling: true, pollingInterval: 250, cacheTimeout: -1 };
  const providerA = new JsonRpcProvider(chainA.rpc, undefined, options);
  const providerB = new JsonRpcProvider(chainB.rpc, undefined, options);
  const closeL1 = () => { providerA.destroy(); providerB.destroy(); };
  // An appchain that is not there fails the step instead of being retried forever.
  const provider = new WsProvider(devnet.appchain);
  const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true })
    .catch(async (error) => {
      await provider.disconnect();
      closeL1();
      const message = `connecting to the appchain at ${devnet.appchain}: ${error.message}`;
      throw new Error(message, { cause: error });
    });
  return {
    api,
    rpc: concordRpc(api),
    chainA,
    chainB,
    providerA,
    providerB,
    rollupA: rollup(chainA.contract, user.connect(providerA)),
    rollupB: rollup(chainB.contract, user.connect(providerB)),
    token: devnet.nativeToken,
    async close() {
      await api.disconnect();
      closeL1();
    },
  };
}

/** The minimum fee governance set for an L2 op of `kind` (e.g. 'Withdraw') paid in `token`. */
export async function minFee(api, kind, token) {
  const minimum = await api.query.ledger.minFees(kind, token);
  if (minimum.isNone) throw new Error(`token ${token} is not accepted for ${kind} fees`);
  return minimum.unwrap().toBigInt();
}

/**
 * Deposits `amount` wei on chain A for `user` and sets the account's L2 key (a ChangePubKey at
 * the minimum fee), each awaited on the appchain. Resolves to `{ accountId, l2Key, network,
 * nonce, keyFee }`: the account's next nonce and what the ChangePubKey paid.
 */
export async function fundUser(session, user, amount, { log = () => {} } = {}) {
  const { api, rpc, chainA, rollupA, token } = session;
  // The relayers attest the deposit and the appchain credits it (the account may exist already).
  const before = (await rpc.accountByAddress(user.address))?.balances[token] ?? 0n;
  await depositNative(rollupA, user.address, amount);
  log(`deposited ${formatEther(amount)} ETH on chain A`);
  const credited = await waitFor('deposit credited on L2', () => rpc.accountByAddress(user.address),
    (account) => account?.balances[token] === before + amount, { timeoutMs: 120_000, log });

  // The L2 key on this network, derived from an Ethereum signature, set by ChangePubKey.
  const network = await networkId(api);
  const l2Key = await deriveL2Key(user, network);
  const keyFee = await minFee(api, 'ChangePubKey', token);
  const changePubKey = {
    ChangePubKey: {
      chainId: chainA.id, account: credited.id, newPubkey: l2Key.packedPublicKey, feeToken: token,
      fee: keyFee, nonce: credited.nonce,
    },
  };
  await submitL2Op(api, await signOp(l2Key, changePubKey, network),
    { ethSignature: await authorizeChangePubKey(user, changePubKey, network) });
  const nonce = credited.nonce + 1;
  await waitFor('L2 key set', () => rpc.account(credited.id), (account) => account.nonce === nonce,
    { timeoutMs: 60_000, log });
  return { accountId: credited.id, l2Key, network, nonce, keyFee };
}

/**
 * Runs the journey of `devnet` (the parsed devnet.json) with its first user key and returns
 * what it observed: L1 balances (wei) and L2 balances before and after, and the gas paid.
 */
export async function runJourney(devnet, { log = console.log } = {}) {
  const user = new Wallet(devnet.users[0].key);
  const recipient = Wallet.createRandom().address;
  const session = await connect(devnet, user);
  const { api, rpc, chainA, chainB, providerA, providerB, rollupA, rollupB, token } = session;
  try {
    const held = async () => ({
      a: await providerA.getBalance(chainA.contract),
      b: await providerB.getBalance(chainB.contract),
    });
    const heldBefore = await held();

    // 1. Deposit 2 ETH on chain A; 2. set the L2 key.
    const { accountId, l2Key, network, nonce, keyFee } = await fundUser(session, user, 2n * ETHER,
      { log });

    // Every L2 op pays at least the minimum fee governance set for its kind in its fee token.
    const fees = {
      TransferToNew: await minFee(api, 'TransferToNew', token),
      Withdraw: await minFee(api, 'Withdraw', token),
    };

    // 3. A transfer to an address with no account yet, and a withdrawal to chain B.
    const nonceIs = (expected) => (account) => account.nonce === expected;
    await submitL2Op(api, await signOp(l2Key, {
      TransferToNew: {
        from: accountId, toAddress: recipient, token, amount: ETHER / 2n, fee: fees.TransferToNew,
        nonce,
      },
    }, network));
    await waitFor('transfer applied', () => rpc.account(accountId), nonceIs(nonce + 1),
      { timeoutMs: 60_000, log });
    await submitL2Op(api, await signOp(l2Key, {
      Withdraw: {
        from: accountId, toChain: chainB.id, toAddress: user.address, token, amount: ETHER,
        fee: fees.Withdraw, nonce: nonce + 1,
      },
    }, network));
    const after = await waitFor('withdrawal applied', () => rpc.account(accountId), nonceIs(nonce + 2),
      { timeoutMs: 60_000, log });

    // 4. Sealed, proven, committed and proven on both chains, synced, executed: credited on B.
    const pending = await waitFor('withdrawal credited on chain B',
      () => pendingBalance(rollupB, user.address, token), (amount) => amount > 0n,
      { timeoutMs: 600_000, log });

    const last = await rpc.lastBatch();
    const status = await rpc.batchStatus(last);
    log(`batch ${last}: synced ${status.synced}, stages ${JSON.stringify(status.chains)}`);
    // Who proved each batch (a devnet with several provers shares them out).
    const lastProven = (await api.query.proofs.lastProven()).toNumber();
    const provers = [];
    for (let batch = 1; batch <= lastProven; batch++) {
      provers.push((await api.query.proofs.proven(batch)).unwrap().prover.toString());
    }

    // 5. The claim on chain B.
    const receipt = await claim(rollupB, user.address, token);
    // The balance at the claim's block and at the block before: exact whenever the claim is mined.
    const balanceBefore = await providerB.getBalance(user.address, receipt.blockNumber - 1);
    const balanceAfter = await providerB.getBalance(user.address, receipt.blockNumber);
    log(`claimed ${pending} wei on chain B`);
    return {
      pending,
      provers,
      gas: receipt.fee,
      userBalanceB: { before: balanceBefore, after: balanceAfter },
      heldBefore,
      heldAfter: await held(),
      requestFee: await rollupA.requestFee(),
      feesPaid: keyFee + fees.TransferToNew + fees.Withdraw,
      l2: {
        user: after.balances[token] ?? 0n,
        recipient: (await rpc.accountByAddress(recipient))?.balances[token] ?? 0n,
      },
    };
  } finally {
    await session.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const path = process.argv[2];
  if (!path) {
    console.error('usage: node examples/journey.mjs <devnet.json>');
    process.exit(2);
  }
  const result = await runJourney(JSON.parse(readFileSync(path, 'utf8')));
  console.log(result);
}
