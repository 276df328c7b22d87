// Starts `concord-devnet` (the README's start command without the build) on free loopback
// ports for a test, and resolves once it wrote devnet.json (everything up, the fee account set).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './dev-node.mjs';

/** The devnet's summary (`devnet.json`) and `stop()`, which ends it as Ctrl-C would. */
export async function startDevnet({ timeoutMs = 300_000 } = {}) {
  const bin = process.env.CONCORD_DEVNET_BIN;
  if (!bin) throw new Error('CONCORD_DEVNET_BIN must point at the concord-devnet binary');
  const base = mkdtempSync(join(tmpdir(), 'concord-devnet-js-'));
  const ports = {};
  for (const name of ['rpc-port', 'p2p-port', 'node-metrics-port', 'chain-a-port', 'chain-b-port', 'metrics-port']) {
    ports[name] = await freePort();
  }
  const args = Object.entries(ports).flatMap(([name, port]) => [`--${name}`, String(port)]);
  const child = spawn(bin, [...args, '--base-path', base], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const summary = join(base, 'devnet.json');
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(summary)) {
    if (child.exitCode !== null) throw new Error(`concord-devnet exited early:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`concord-devnet not up within ${timeoutMs} ms:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    ...JSON.parse(readFileSync(summary, 'utf8')),
    base,
    async stop() {
      child.kill('SIGINT');
      await exited;
      rmSync(base, { recursive: true, force: true });
    },
  };
}
