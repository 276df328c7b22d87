// Starts `concord-devnet` (the README's start command without the build) for a test, every
// port given as 0 so that the devnet reserves them itself (concord-ports: outside the OS's
// ephemeral range, locked until it exits), and resolves once it wrote devnet.json, which
// holds the endpoints it chose (everything up, the fee account set).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The devnet's summary (`devnet.json`) and `stop()`, which ends it as Ctrl-C would. `provers`
 * relayers share the batches (`concord-devnet --provers`). An abort of `signal` during the
 * start stops the devnet and rejects.
 */
export async function startDevnet({ timeoutMs = 300_000, provers = 1, signal } = {}) {
  const bin = process.env.CONCORD_DEVNET_BIN;
  if (!bin) throw new Error('CONCORD_DEVNET_BIN must point at the concord-devnet binary');
  const base = mkdtempSync(join(tmpdir(), 'concord-devnet-js-'));
  const ports = ['rpc-port', 'p2p-port', 'node-metrics-port', 'chain-a-port', 'chain-b-port', 'metrics-port'];
  const args = [...ports.flatMap((name) => [`--${name}`, '0']), '--provers', String(provers)];
  const child = spawn(bin, [...args, '--base-path', base], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const summary = join(base, 'devnet.json');
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(summary)) {
    if (signal?.aborted) {
      await interrupt(child, exited);
      throw new Error(`concord-devnet start aborted (logs in ${base})`);
    }
    if (child.exitCode !== null) {
      throw new Error(`concord-devnet exited early with ${child.exitCode} (logs in ${base}):\n${stderr}`);
    }
    if (Date.now() > deadline) {
      await interrupt(child, exited);
      throw new Error(`concord-devnet not up within ${timeoutMs} ms (logs in ${base}: node.log, relayer.log):\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    ...JSON.parse(readFileSync(summary, 'utf8')),
    base,
    /** The last lines of the node's and the relayers' logs, named, for a failure's message. */
    logTails(lines = 30) {
      return ['node.log', ...this.provers.map(({ log }) => log)].map((name) => {
        const path = join(base, name);
        const text = existsSync(path) ? readFileSync(path, 'utf8') : '(no log)';
        return `--- ${name} (${path}):\n${text.split('\n').slice(-lines).join('\n')}`;
      }).join('\n');
    },
    async stop() {
      await interrupt(child, exited);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Stops the devnet as Ctrl-C would (it then stops everything it started), or kills it after 20 s. */
async function interrupt(child, exited) {
  if (child.exitCode !== null) return;
  child.kill('SIGINT');
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(resolve, 20_000, 'late'); });
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}
