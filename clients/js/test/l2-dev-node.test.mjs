// The appchain accepting L2 ops signed by this library, over RPC, on one real dev node: sudo
// (Alice) registers an L1 chain and a token, the oracle (Alice, its only member on the dev
// chain) attests two deposits, then an Ethereum wallet's owner sets their L2 key and transfers,
// and the ops are sealed into batch 1. The tests run in order and each builds on the state the
// ones before left. Needs CONCORD_NODE_BIN (scripts/test.sh sets it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { Wallet, getBytes } from 'ethers6';
import {
  authorizeChangePubKey, concordRpc, deriveL2Key, networkId, roundDownFee, signOp,
  submitGeneralExtrinsic, submitL2Op,
} from '../src/l2.mjs';
import { startDevNode } from '../testing/dev-node.mjs';
import { sendInBlock } from '../testing/signed-tx.mjs';

const CHAIN = 1;
const EVM_CHAIN_ID = 31337;
/** Where anvil's account #0 deploys its first contract: any address does for the appchain. */
const CONTRACT = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
/** Token 1 is chain 1's native coin (the zero address). */
const TOKEN = 1;
const NATIVE = `0x${'00'.repeat(20)}`;
const ETHER = 10n ** 18n;
/** The minimum fee governance sets for every L2-signed op kind paid in TOKEN. */
const MIN_FEE = 10n ** 12n;
const SIGNED_KINDS = ['Transfer', 'TransferToNew', 'Withdraw', 'ChangePubKey'];
/** Anvil's account #1: the operator, whose L2 account collects the fees. */
const OPERATOR = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
/** Anvil's account #3 (a well-known development key): the user. */
const user = new Wallet('0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6');
const stranger = new Wallet(`0x${'42'.repeat(32)}`);

/** Each step's bound; the waits inside have their own, shorter ones. */
const STEP = { timeout: 60_000 };
const nodeless = !process.env.CONCORD_NODE_BIN && 'CONCORD_NODE_BIN is not set';

/** Polls `read` every 500 ms until `done(value)`; fails after `timeoutMs` with the last value. */
async function waitFor(what, read, done, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      assert.fail(`${what} not within ${timeoutMs} ms; last: ${JSON.stringify(value, bigints)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function bigints(_, value) {
  return typeof value === 'bigint' ? `${value}n` : value;
}

/** Resolves to the error `promise` rejects with; fails if it resolves. */
function refusal(promise) {
  return promise.then((value) => assert.fail(`accepted: ${value}`), (error) => error);
}

describe('L2 ops on a dev node', { skip: nodeless }, () => {
  let node;
  let api;
  let rpc;
  let alice;
  let userKey;
  let network;
  let operatorId;
  let userId;
  /** The operator's balance once the transfer applied, before batch 1 credits its fees. */
  let operatorBeforeFees;
  const sudo = (call) => sendInBlock(api, api.tx.sudo.sudo(call), alice);

  before(async () => {
    node = await startDevNode();
    api = await ApiPromise.create({ provider: new WsProvider(node.wsUrl), noInitWarn: true });
    rpc = concordRpc(api);
    alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    network = await networkId(api);
    userKey = await deriveL2Key(user, network);
  }, { timeout: 120_000 });

  after(async () => {
    await api?.disconnect();
    await node?.stop();
  }, { timeout: 30_000 });

  test('governance registers chain 1 and its token 1, accepted for fees', STEP, async () => {
    await sudo(api.tx.ledger.registerChain(CHAIN, EVM_CHAIN_ID, CONTRACT));
    await sudo(api.tx.ledger.registerToken(TOKEN, CHAIN, NATIVE, 18));
    for (const kind of SIGNED_KINDS) await sudo(api.tx.ledger.setMinFee(kind, TOKEN, MIN_FEE));
    for (const kind of SIGNED_KINDS) {
      assert.equal((await api.query.ledger.minFees(kind, TOKEN)).unwrap().toBigInt(), MIN_FEE);
    }
    const zero = await refusal(sudo(api.tx.ledger.setMinFee('Transfer', TOKEN, 0)));
    assert.match(zero.message, /ledger\.InvalidMinFee$/);
    assert.deepEqual((await api.query.ledger.chains(CHAIN)).toJSON(),
      { evmChainId: EVM_CHAIN_ID, contract: CONTRACT });
    assert.deepEqual((await api.query.ledger.tokens(TOKEN, CHAIN)).toJSON(),
      { address: NATIVE, decimals: 18 });
    const again = await refusal(sudo(api.tx.ledger.registerChain(CHAIN, EVM_CHAIN_ID, CONTRACT)));
    assert.match(again.message,
      /^sudo\(ledger\.registerChain\) failed in block 0x[0-9a-f]{64}: ledger\.ChainAlreadyRegistered$/);
  });

  // The deposits open batch 1, which is sealed 10 blocks later: the L2 ops below must be in by
  // then to be in it (they take about 5 blocks). The operator's deposit comes first so that the
  // operator gets account 0: deposits before any fee account is set are batched with fee
  // account 0, and a change of fee account would seal the open batch.
  test('the oracle attests two deposits, which create two accounts', STEP, async () => {
    const deposits = [[OPERATOR, ETHER], [user.address, 5n * ETHER]];
    for (const [priorityId, [toAddress, amount]] of deposits.entries()) {
      const deposit = { chainId: CHAIN, priorityId, toAddress, token: TOKEN, amount };
      await sendInBlock(api, api.tx.oracle.attest({ Priority: { Deposit: deposit } }), alice);
    }
    const accounts = await Promise.all(deposits.map(([address]) => rpc.accountByAddress(address)));
    assert.deepEqual(accounts, deposits.map(([address, amount], id) => ({
      id, l1Address: address.toLowerCase(), pubkey: null, nonce: 0, balances: { [TOKEN]: amount },
    })));
    [operatorId, userId] = accounts.map(({ id }) => id);
    assert.deepEqual(await rpc.pendingPriorityOps(), []);

    // L2-signed ops are refused until there is a fee account.
    await sudo(api.tx.ledger.setFeeAccount(operatorId));
  });

  test("a ChangePubKey needs the owner's Ethereum signature", STEP, async () => {
    const changeKey = {
      ChangePubKey: {
        chainId: CHAIN, account: userId, newPubkey: userKey.packedPublicKey, feeToken: TOKEN,
        fee: MIN_FEE, nonce: 0,
      },
    };
    const signed = await signOp(userKey, changeKey, network);
    const ethSignature = await authorizeChangePubKey(user, changeKey, network);

    await assert.rejects(submitL2Op(api, signed), /needs its owner's Ethereum authorization/);
    const viaSubmit = await refusal(
      submitGeneralExtrinsic(api, api.tx.ledger.submit(signed).method));
    // The pool names the ledger's rule (a custom validity code resolved through the metadata).
    assert.match(viaSubmit.message, /^the node refused ledger\.submit: 1010: Invalid Transaction: .*\(ledger\.EthAuthorizationRequired: A ChangePubKey sent to `submit`/);
    const strangers = await authorizeChangePubKey(stranger, changeKey, network);
    const notOwners = await refusal(submitL2Op(api, signed, { ethSignature: strangers }));
    assert.equal(notOwners.message, 'the node refused Ledger.change_pubkey(ChangePubKey of account '
      + `${userId}, nonce 0): 1010: Invalid Transaction: Transaction has a bad signature`);

    assert.match(await submitL2Op(api, signed, { ethSignature }), /^0x[0-9a-f]{64}$/);
    const account = await waitFor('the ChangePubKey applied', () => rpc.account(userId),
      ({ nonce }) => nonce === 1, 30_000);
    assert.equal(account.pubkey, userKey.coordinates);
    assert.equal(await rpc.changePubKeyAuthorization(userId, 0), ethSignature);
    assert.equal(await rpc.changePubKeyAuthorization(userId, 1), null);
  });

  test('a transfer pays its fee into the batch\'s fees; bad ops are refused', STEP, async () => {
    const [userBefore, operatorBefore] = await Promise.all(
      [rpc.account(userId), rpc.account(operatorId)]);
    const amount = 2n * ETHER;
    const fee = 10n ** 15n;
    const transfer = { from: userId, to: operatorId, token: TOKEN, amount, fee, nonce: 1 };
    // Below the minimum fee (or free): refused by the pool, which names the rule. (A fee is a
    // float16: MIN_FEE - 1 has 12 significant digits, and signOp refuses it; 999 · 10^9 packs.)
    for (const low of [0n, roundDownFee(MIN_FEE - 1n)]) {
      const cheap = await signOp(userKey, { Transfer: { ...transfer, fee: low } }, network);
      const refused = await refusal(submitL2Op(api, cheap));
      assert.match(refused.message, /: 1010: Invalid Transaction: .*\(ledger\.FeeBelowMinimum: /);
    }
    const signed = await signOp(userKey, { Transfer: transfer }, network);
    await submitL2Op(api, signed);
    const userAfter = await waitFor('the transfer applied', () => rpc.account(userId),
      ({ nonce }) => nonce === 2, 30_000);
    const operatorAfter = await rpc.account(operatorId);
    assert.equal(userAfter.balances[TOKEN], userBefore.balances[TOKEN] - amount - fee);
    // The operator, also the fee account, receives the amount now; the fees reach it when
    // the batch is sealed.
    assert.equal(operatorAfter.balances[TOKEN], operatorBefore.balances[TOKEN] + amount);
    operatorBeforeFees = operatorAfter.balances[TOKEN];

    // A replay's bytes are the same: until its block is final, the pool still holds the
    // transaction and refuses them as already imported; then the runtime finds the nonce stale.
    const replay = await waitFor('the runtime judging the replay',
      async () => (await refusal(submitL2Op(api, signed))).message,
      (message) => !message.endsWith(': 1013: Transaction Already Imported: Any { .. }'), 30_000);
    assert.match(replay, /: 1010: Invalid Transaction: Transaction is outdated$/);
    const next = { Transfer: { ...transfer, nonce: 2 } };
    const forged = await signOp(await deriveL2Key(stranger, network), next, network);
    const forgery = await refusal(submitL2Op(api, forged));
    assert.match(forgery.message, /: 1010: Invalid Transaction: Transaction has a bad signature$/);
    // The user's own op, signed for another Concord network: void here.
    const elsewhere = await refusal(submitL2Op(api, await signOp(userKey, next, network + 1)));
    assert.match(elsewhere.message, /: 1010: Invalid Transaction: Transaction has a bad signature$/);
    const overdraft = await signOp(userKey, {
      Withdraw: {
        from: userId, toChain: CHAIN, toAddress: user.address, token: TOKEN,
        amount: userAfter.balances[TOKEN] + 1n, fee: MIN_FEE, nonce: 2,
      },
    }, network);
    const overdrawn = await refusal(submitL2Op(api, overdraft));
    assert.match(overdrawn.message, /: 1010: Invalid Transaction: .*\(ledger\.InsufficientBalance: The account holds less/);
    assert.deepEqual(await rpc.account(userId), userAfter);
  });

  test('the ops are sealed into batch 1 within its 10 blocks', { timeout: 90_000 }, async () => {
    await waitFor('batch 1 sealed', () => rpc.lastBatch(), (last) => last >= 1, 60_000);
    const pubdata = await rpc.batchPubdata(1);
    const status = await rpc.batchStatus(1);
    assert.deepEqual(status, {
      number: 1,
      opCount: 4, // the two deposits, the ChangePubKey and the transfer
      feeAccount: operatorId,
      pubdataHash: `0x${createHash('sha256').update(getBytes(pubdata)).digest('hex')}`,
      sealedAt: status.sealedAt,
      proven: null,
      synced: false,
      executeSignatures: 0,
      chains: { [CHAIN]: 'sealed' },
    });
    assert.ok(Number.isInteger(status.sealedAt) && status.sealedAt > 10, `${status.sealedAt}`);
    // Sealing credited the batch's fees to the fee account: the key change's and the
    // transfer's.
    const operator = await rpc.account(operatorId);
    assert.equal(operator.balances[TOKEN], operatorBeforeFees + MIN_FEE + 10n ** 15n);

    // A 16-byte header (the fee account, big-endian) and 16 slots of one 16-byte chunk
    // (`ops::CHUNK_BYTES`), each op in as many consecutive ones as it has chunks
    // (`OpType::chunks`: Deposit 3, ChangePubKey 4, Transfer 1, Noop 1), starting with its
    // type byte: two Deposits, the ChangePubKey, the Transfer, then Noops.
    const bytes = getBytes(pubdata);
    assert.equal(bytes.length, 16 + 16 * 16);
    assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0), operatorId);
    const chunks = [1, 3, 1, 3, 3, 4, 3];
    const types = [];
    for (let offset = 16; offset < bytes.length; offset += 16 * chunks[bytes[offset]]) {
      types.push(bytes[offset]);
    }
    assert.deepEqual(types, [1, 1, 5, 2, 0, 0, 0, 0, 0]);
  });

  test('concord_* methods refuse malformed parameters', { timeout: 30_000 }, async () => {
    const invalid = { code: -32602 };
    await assert.rejects(rpc.account('x'), invalid);
    await assert.rejects(rpc.account(2 ** 32), invalid);
    const badAddress = await refusal(rpc.accountByAddress('0x1234'));
    assert.equal(badAddress.code, -32602);
    assert.match(badAddress.message, /address "0x1234" is not 20 bytes of hex/);
    assert.equal(await rpc.batchStatus(999), null);
  });
});
