// The withdrawal pipeline at light load: how long a withdrawal takes from its submission on L2
// (the `submitL2Op` call) until the appchain applied it (the account's nonce moved) and until
// it is claimable on chain B (the user's pendingBalance there rose by its amount). One user
// withdraws to chain B N times, each once the previous one is claimable; the batch's stages in
// between are timed as the appchain reports them.
//
//   node clients/js/bench/pipeline.mjs [--devnet <devnet.json>] [--withdrawals N] [--provers P]
//
// N = 10 withdrawals; P = 1 prover (the devnet's --provers: P relayers prove alternate batches).
//
// Without --devnet it starts a devnet (CONCORD_DEVNET_BIN: the concord-devnet binary) and
// stops it at the end. Progress goes to stderr, the results to stdout.
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { Wallet, formatEther } from 'ethers6';
import { connect, fundUser, minFee, waitFor } from '../examples/journey.mjs';
import { pendingBalance } from '../src/l1.mjs';
import { signOp, submitL2Op } from '../src/l2.mjs';
import { startDevnet } from '../testing/devnet.mjs';

const USAGE = 'usage: node clients/js/bench/pipeline.mjs [--devnet <devnet.json>] [--withdrawals N] [--provers P]';
const AMOUNT = 10n ** 16n; // 0.01 ETH per withdrawal
// Short enough that polling adds little to a figure of tens of seconds.
const POLL_MS = 250;
const APPLIED_TIMEOUT_MS = 60_000;
const CLAIMABLE_TIMEOUT_MS = 300_000;
const IDLE_TIMEOUT_MS = 600_000;
const BASELINE = '129 s';
const BASELINE_WHAT = 'a withdrawal on the devnet before the state v2 work';
const TARGET = '≤ 60 s';

/**
 * The stages between `applied` and `claimable`: the batch's, as the appchain reports them
 * (`concord_batchStatus`). A sample holds, for each, the time from submission to the first poll
 * that saw it.
 */
const STAGES = [
  ['sealed', 'its batch sealed', (status) => status !== null],
  ['committed', 'the batch committed on every L1 (as the oracle confirmed it)',
    (status) => status !== null && Object.values(status.chains).every((stage) => stage !== 'sealed')],
  ['proof', 'the batch\'s proof accepted on the appchain', (status) => status?.proven != null],
  ['synced', 'the batch proven on every L1 (confirmed: synced)', (status) => status?.synced === true],
];

const started = performance.now();
const seconds = (ms) => (ms / 1000).toFixed(1);
const progress = (line) => {
  console.error(`[${seconds(performance.now() - started).padStart(6)} s] ${line}`);
};

/**
 * Funds the devnet's first user (a deposit on chain A, the L2 key set), waits until the
 * pipeline is idle, then times `count` withdrawals to chain B one after another.
 */
async function measure(devnet, count) {
  const user = new Wallet(devnet.users[0].key);
  const session = await connect(devnet, user);
  const { api, token } = session;
  try {
    const fee = await minFee(api, 'Withdraw', token);
    // Every withdrawal with its fee, and the ChangePubKey's fee.
    const deposit = BigInt(count) * (AMOUNT + fee) + await minFee(api, 'ChangePubKey', token);
    const funded = await fundUser(session, user, deposit, { log: progress });
    await untilIdle(session);
    const samples = [];
    for (let i = 0; i < count; i += 1) {
      const nonce = funded.nonce + i;
      samples.push(await withdrawal(session, user, funded, { fee, nonce, index: i + 1 }));
    }
    return samples;
  } finally {
    await session.close();
  }
}

/**
 * Waits until no batch is open and the last sealed one is executed on every chain, so that the
 * first withdrawal does not queue behind the funding's batches.
 */
async function untilIdle({ api, rpc }) {
  let shown;
  await waitFor('pipeline idle', async () => {
    const [open, last] = await Promise.all([api.query.batches.open(), rpc.lastBatch()]);
    const chains = last > 0 ? (await rpc.batchStatus(last)).chains : {};
    const state = open.isSome ? 'a batch is open' : `batch ${last} ${JSON.stringify(chains)}`;
    if (state !== shown) progress(`waiting for the pipeline to be idle: ${state}`);
    shown = state;
    return open.isNone && Object.values(chains).every((stage) => stage === 'executed');
  }, (idle) => idle, { timeoutMs: IDLE_TIMEOUT_MS, intervalMs: POLL_MS, log: progress });
}

/** Submits one withdrawal to chain B and times it until claimable there: one sample. */
async function withdrawal({ api, rpc, chainB, rollupB, token }, user, funded, { fee, nonce, index }) {
  const { accountId, l2Key, network } = funded;
  const name = `withdrawal ${index}`;
  const claimable = (await pendingBalance(rollupB, user.address, token)) + AMOUNT;
  const signed = await signOp(l2Key, {
    Withdraw: {
      from: accountId, toChain: chainB.id, toAddress: user.address, token, amount: AMOUNT, fee, nonce,
    },
  }, network);

  // Read at one block, so that the batch the op went into is known from that block.
  const readAccount = async () => {
    const at = (await api.rpc.chain.getBlockHash()).toHex();
    return { at, account: await rpc.account(accountId, at) };
  };

  const submitted = performance.now();
  const since = () => performance.now() - submitted;
  await submitL2Op(api, signed);
  const { at } = await waitFor(`${name} applied on L2 (nonce ${nonce + 1})`, readAccount,
    ({ account }) => account.nonce === nonce + 1,
    { timeoutMs: APPLIED_TIMEOUT_MS, intervalMs: POLL_MS });
  const sample = { applied: since() };
  // In the open batch at that block, or in the last sealed one if the op filled it.
  const [last, open] = await Promise.all([
    rpc.lastBatch(at), api.at(at).then((block) => block.query.batches.open()),
  ]);
  sample.batch = last + (open.isSome ? 1 : 0);
  progress(`${name}: applied in ${seconds(sample.applied)} s, batch ${sample.batch}`);

  const what = `${name} (batch ${sample.batch}) claimable on chain B`;
  await waitFor(what, async () => {
    const [status, pending] = await Promise.all([
      rpc.batchStatus(sample.batch), pendingBalance(rollupB, user.address, token),
    ]);
    for (const [key, label, reached] of STAGES) {
      if (sample[key] === undefined && reached(status)) {
        sample[key] = since();
        progress(`${name}: ${label} at ${seconds(sample[key])} s`);
      }
    }
    return pending;
  }, (pending) => pending >= claimable, { timeoutMs: CLAIMABLE_TIMEOUT_MS, intervalMs: POLL_MS })
    .catch((error) => {
      const seen = STAGES.filter(([key]) => sample[key] !== undefined).map(([key]) => key);
      const message = `${error.message} (stages seen: ${seen.join(', ') || 'none'})`;
      throw new Error(message, { cause: error });
    });
  sample.claimable = since();
  progress(`${name}: claimable on chain B at ${seconds(sample.claimable)} s`);
  return sample;
}

/** The nearest-rank percentile `p` of `values`. */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

const plural = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** Prints `rows` as columns, the first left-aligned, the others right-aligned. */
function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  for (const row of rows) {
    const cells = row.map((cell, i) => (i === 0
      ? String(cell).padEnd(widths[i])
      : String(cell).padStart(widths[i])));
    console.log(cells.join('  ').trimEnd());
  }
}

function report(samples) {
  const columns = ['applied', ...STAGES.map(([key]) => key), 'claimable'];
  const withdrawals = plural(samples.length, 'withdrawal');
  console.log(`\nWithdrawal pipeline: ${withdrawals} of ${formatEther(AMOUNT)} ETH to chain B, `
    + 'one at a time; seconds from submission');
  printTable([
    ['#', 'batch', ...columns],
    ...samples.map((sample, i) => [i + 1, sample.batch, ...columns.map((key) => seconds(sample[key]))]),
  ]);
  const legend = [
    ['applied', 'the account\'s nonce moved on L2 (best block)'],
    ...STAGES.map(([key, label]) => [key, label]),
    ['claimable', 'the user\'s pendingBalance on chain B rose by the amount'],
  ];
  for (const [key, label] of legend) console.log(`  ${key.padEnd(10)} ${label}`);

  console.log('');
  printTable([
    ['submission →', 'p50', 'p95', 'baseline', 'target'],
    ...columns.map((key) => {
      const values = samples.map((sample) => sample[key]);
      const figures = [key, ...[50, 95].map((p) => `${seconds(percentile(values, p))} s`)];
      return key === 'claimable' ? [...figures, BASELINE, TARGET] : [...figures, '', ''];
    }),
  ]);
  console.log(`p50, p95: nearest rank over ${plural(samples.length, 'sample')}; `
    + `baseline: ${BASELINE_WHAT}`);
}

function usage(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      devnet: { type: 'string' },
      withdrawals: { type: 'string', default: '10' },
      provers: { type: 'string', default: '1' },
    },
  }).values;
} catch (error) {
  usage(error.message);
}
const count = Number(args.withdrawals);
if (!Number.isSafeInteger(count) || count < 1) {
  usage(`--withdrawals takes a positive integer, got ${args.withdrawals}`);
}
const provers = Number(args.provers);
if (!Number.isSafeInteger(provers) || provers < 1 || provers > 3) {
  usage(`--provers takes 1, 2 or 3, got ${args.provers}`);
}
if (args.devnet && provers !== 1) {
  usage('--provers starts a devnet with that many provers: it cannot be given with --devnet');
}
if (!args.devnet && !process.env.CONCORD_DEVNET_BIN) {
  usage('without --devnet <devnet.json>, CONCORD_DEVNET_BIN must point at the concord-devnet binary');
}

let devnet;
if (args.devnet) {
  devnet = JSON.parse(readFileSync(args.devnet, 'utf8'));
} else {
  // A signal stops the devnet: once it is up, here; during its start, startDevnet does.
  const aborted = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      progress(`${signal}: stopping the devnet`);
      aborted.abort(signal);
      if (devnet) {
        await devnet.stop();
        process.exit(128 + constants.signals[signal]);
      }
    });
  }
  progress(`starting a devnet with ${provers === 1 ? 'one prover' : `${provers} provers`}`);
  try {
    devnet = await startDevnet({ provers, signal: aborted.signal });
  } catch (error) {
    if (!aborted.signal.aborted) throw error;
    process.exit(128 + constants.signals[aborted.signal.reason]);
  }
  progress(`devnet up (${devnet.base})`);
}
try {
  report(await measure(devnet, count));
} catch (error) {
  console.error(`pipeline benchmark failed: ${error.stack}`);
  // The logs explain a stuck stage; the started devnet's directory goes with it.
  if (devnet.stop) console.error(devnet.logTails());
  process.exitCode = 1;
} finally {
  await devnet.stop?.();
}
