// A user's whole journey on a running devnet (./scripts/devnet.sh): deposit the native coin on
// chain A, set the L2 key (derived from an Ethereum signature, authorised by the owner's
// Ethereum key), transfer on L2 to a new address, withdraw to chain B, and claim there once
// the batch is executed on every chain.
//
//   node clients/js/examples/journey.mjs /tmp/concord-devnet-<pid>/devnet.json
//
// The test suite runs the same function against a devnet it starts (test/journey-devnet.test.mjs).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { JsonRpcProvider, Wallet } from 'ethers6';
import {
  authorizeChangePubKey, concordRpc, deriveL2Key, networkId, signOp, submitL2Op,
} from '../src/l2.mjs';
import { claim, depositNative, pendingBalance, rollup } from '../src/l1.mjs';

const ETHER = 10n ** 18n;

/** Polls `read` every second until `done(value)`; fails after `timeoutMs`. */
async function waitFor(what, read, done, timeoutMs, log) {
  const deadline = Date.now() + timeoutMs;
  const start = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) {
      log(`${what} (${((Date.now() - start) / 1000).toFixed(0)} s)`);
      return value;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * Runs the journey of `devnet` (the parsed devnet.json) with its first user key and returns
 * what it observed: L1 balances (wei) and L2 balances before and after, and the gas paid.
 */
export async function runJourney(devnet, { log = console.log } = {}) {
  const [chainA, chainB] = devnet.chains;
  const token = devnet.nativeToken;
  const providerA = new JsonRpcProvider(chainA.rpc, undefined, { polling: true, pollingInterval: 250 });
  const providerB = new JsonRpcProvider(chainB.rpc, undefined, { polling: true, pollingInterval: 250 });
  const user = new Wallet(devnet.users[0].key);
  const recipient = Wallet.createRandom().address;
  const api = await ApiPromise.create({ provider: new WsProvider(devnet.appchain), noInitWarn: true });
  const rpc = concordRpc(api);
  try {
    const rollupA = rollup(chainA.contract, user.connect(providerA));
    const rollupB = rollup(chainB.contract, user.connect(providerB));
    const held = async () => ({
      a: await providerA.getBalance(chainA.contract),
      b: await providerB.getBalance(chainB.contract),
    });
    const heldBefore = await held();

    // 1. Deposit 2 ETH on chain A; the relayers attest it and the appchain credits it.
    await depositNative(rollupA, user.address, 2n * ETHER);
    log('deposited 2 ETH on chain A');
    const credited = await waitFor('deposit credited on L2', () => rpc.accountByAddress(user.address),
      (account) => account?.balances[token] === 2n * ETHER, 120_000, log);
    const accountId = credited.id;

    // Every L2 op pays at least the minimum fee governance set for its kind in its fee token.
    const minFee = async (kind) => {
      const minimum = await api.query.ledger.minFees(kind, token);
      if (minimum.isNone) throw new Error(`token ${token} is not accepted for ${kind} fees`);
      return minimum.unwrap().toBigInt();
    };
    const fees = {
      ChangePubKey: await minFee('ChangePubKey'),
      TransferToNew: await minFee('TransferToNew'),
      Withdraw: await minFee('Withdraw'),
    };

    // 2. The L2 key on this network, derived from an Ethereum signature, set by ChangePubKey.
    const network = await networkId(api);
    const l2Key = await deriveL2Key(user, network);
    const changePubKey = {
      ChangePubKey: {
        chainId: chainA.id, account: accountId, newPubkey: l2Key.packedPublicKey, feeToken: token,
        fee: fees.ChangePubKey, nonce: 0,
      },
    };
    await submitL2Op(api, await signOp(l2Key, changePubKey, network),
      { ethSignature: await authorizeChangePubKey(user, changePubKey, network) });
    const nonceIs = (nonce) => (account) => account.nonce === nonce;
    await waitFor('L2 key set', () => rpc.account(accountId), nonceIs(1), 60_000, log);

    // 3. A transfer to an address with no account yet, and a withdrawal to chain B.
    await submitL2Op(api, await signOp(l2Key, {
      TransferToNew: {
        from: accountId, toAddress: recipient, token, amount: ETHER / 2n, fee: fees.TransferToNew, nonce: 1,
      },
    }, network));
    await waitFor('transfer applied', () => rpc.account(accountId), nonceIs(2), 60_000, log);
    await submitL2Op(api, await signOp(l2Key, {
      Withdraw: {
        from: accountId, toChain: chainB.id, toAddress: user.address, token, amount: ETHER,
        fee: fees.Withdraw, nonce: 2,
      },
    }, network));
    const after = await waitFor('withdrawal applied', () => rpc.account(accountId), nonceIs(3), 60_000, log);

    // 4. Sealed, proven, committed and proven on both chains, synced, executed: credited on B.
    const pending = await waitFor('withdrawal credited on chain B',
      () => pendingBalance(rollupB, user.address, token), (amount) => amount > 0n, 600_000, log);

    const last = await rpc.lastBatch();
    const status = await rpc.batchStatus(last);
    log(`batch ${last}: synced ${status.synced}, stages ${JSON.stringify(status.chains)}`);

    // 5. The claim on chain B.
    const receipt = await claim(rollupB, user.address, token);
    // The balance at the claim's block and at the block before: exact whenever the claim is
    // mined, and never answered from ethers' cache of identical requests (250 ms).
    const balanceBefore = await providerB.getBalance(user.address, receipt.blockNumber - 1);
    const balanceAfter = await providerB.getBalance(user.address, receipt.blockNumber);
    log(`claimed ${pending} wei on chain B`);
    return {
      pending,
      gas: receipt.fee,
      userBalanceB: { before: balanceBefore, after: balanceAfter },
      heldBefore,
      heldAfter: await held(),
      requestFee: await rollupA.requestFee(),
      feesPaid: fees.ChangePubKey + fees.TransferToNew + fees.Withdraw,
      l2: {
        user: after.balances[token] ?? 0n,
        recipient: (await rpc.accountByAddress(recipient))?.balances[token] ?? 0n,
      },
    };
  } finally {
    await api.disconnect();
    providerA.destroy();
    providerB.destroy();
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
