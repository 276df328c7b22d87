// Starts the real concord-node in --dev mode on free loopback ports for a test.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts the node and resolves once its RPC port answers; `stop()` ends it with SIGINT. */
export async function startDevNode() {
  const bin = process.env.CONCORD_NODE_BIN;
  if (!bin) throw new Error('CONCORD_NODE_BIN must point at the concord-node binary');
  const base = mkdtempSync(join(tmpdir(), 'concord-js-'));
  const [rpcPort, p2pPort] = [await freePort(), await freePort()];
  const child = spawn(bin, [
    '--dev', '--no-telemetry', '--no-mdns', '--no-prometheus',
    '--rpc-port', String(rpcPort),
    '--listen-addr', `/ip4/127.0.0.1/tcp/${p2pPort}`,
    '--base-path', base,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
  const exited = new Promise((resolve) => child.on('exit', resolve));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`concord-node exited early:\n${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${rpcPort}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_health', params: [] }),
      });
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`concord-node did not answer RPC within 60 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    wsUrl: `ws://127.0.0.1:${rpcPort}`,
    async stop() {
      child.kill('SIGINT');
      await exited;
      rmSync(base, { recursive: true, force: true });
    },
  };
}
