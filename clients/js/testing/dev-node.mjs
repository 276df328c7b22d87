// Starts the real concord-node in --dev mode on loopback for a test. Its sockets are on ports
// the OS picks when the node binds them (port 0); the RPC port is read back from the node's log,
// so no other process can take a port between choosing and binding it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The port of the first `Running JSON-RPC server: addr=127.0.0.1:PORT` line in `log`, if any. */
export function rpcPortInLog(log) {
  const match = /Running JSON-RPC server: addr=127\.0\.0\.1:(\d+)/.exec(log);
  return match ? Number(match[1]) : null;
}

/** Starts the node and resolves once its RPC port answers; `stop()` ends it with SIGINT. */
export async function startDevNode() {
  const bin = process.env.CONCORD_NODE_BIN;
  if (!bin) throw new Error('CONCORD_NODE_BIN must point at the concord-node binary');
  const base = mkdtempSync(join(tmpdir(), 'concord-js-'));
  const child = spawn(bin, [
    '--dev', '--no-telemetry', '--no-mdns', '--no-prometheus',
    '--rpc-port', '0',
    '--listen-addr', '/ip4/127.0.0.1/tcp/0',
    '--base-path', base,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let rpcPort = null;
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
    rpcPort ??= rpcPortInLog(stderr);
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`concord-node (${bin}) exited early with ${child.exitCode}; its log ends:\n${stderr}`);
    }
    if (rpcPort === null) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`concord-node did not report its RPC address within 60 s; its log ends:\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
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
      throw new Error(`concord-node did not answer RPC on port ${rpcPort} within 60 s; its log ends:\n${stderr}`);
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
