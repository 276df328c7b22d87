// A real EVM for tests: anvil from the npm package @foundry-rs/anvil-linux-amd64 on a free
// loopback port, a minimal JSON-RPC client over fetch, solc-js (pinned 0.8.30) and hand-made ABI
// encoding of uint256 arguments, so the tests depend on no EVM library besides the two above.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import solc from 'solc';

const require = createRequire(import.meta.url);

/** The anvil binary that npm installed, located through its package's `bin` entry. */
export function anvilBinary() {
  const manifest = require.resolve('@foundry-rs/anvil-linux-amd64/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8'));
  return join(dirname(manifest), bin.anvil);
}

/** A JSON-RPC error answer, with the node's code and data (revert data for eth_call). */
export class RpcError extends Error {
  constructor(method, { code, message, data }) {
    super(`${method}: ${message} (code ${code})`);
    this.code = code;
    this.data = data;
  }
}

/** `rpc(method, params)` against `url`: the result, or a thrown RpcError. */
export function rpcClient(url) {
  let id = 0;
  return async function rpc(method, params = []) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${await res.text()}`);
    const body = await res.json();
    if (body.error) throw new RpcError(method, body.error);
    return body.result;
  };
}

/** The port of anvil's `Listening on 127.0.0.1:PORT` line in `output`, if printed yet. */
export function listeningPort(output) {
  const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
  return match ? Number(match[1]) : null;
}

/**
 * Starts anvil on 127.0.0.1 and resolves once `eth_chainId` answers. The result deploys
 * bytecode from anvil's first (unlocked) account, makes `eth_call`s, and `stop()` ends anvil
 * with SIGTERM and waits for it to exit.
 */
export async function startAnvil() {
  // Port 0: the OS picks the port as anvil binds it, and anvil prints it, so nothing can take
  // it in between.
  const child = spawn(anvilBinary(), ['--host', '127.0.0.1', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let port = null;
  const keep = (chunk) => {
    output = (output + chunk).slice(-4000);
    port ??= listeningPort(output);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.on('exit', resolve));

  const deadline = Date.now() + 30_000;
  let url = null;
  let rpc = null;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited early with ${child.exitCode}; its output ends:\n${output}`);
    if (port !== null) {
      url ??= `http://127.0.0.1:${port}`;
      rpc ??= rpcClient(url);
      try {
        await rpc('eth_chainId');
        break;
      } catch { /* not answering yet */ }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`anvil did not answer eth_chainId within 30 s; its output ends:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const [deployer] = await rpc('eth_accounts');

  return {
    url,
    rpc,
    /** Deploys `bytecode` (hex, with or without 0x) and resolves to the contract's address. */
    async deploy(bytecode) {
      const data = bytecode.startsWith('0x') ? bytecode : `0x${bytecode}`;
      const hash = await rpc('eth_sendTransaction', [{ from: deployer, data }]);
      const receipt = await waitForReceipt(rpc, hash);
      if (receipt.status !== '0x1') throw new Error(`deployment ${hash} failed`);
      return receipt.contractAddress;
    },
    /** `eth_call` of `data` on `to` at the latest block: the returned hex. */
    call(to, data) {
      return rpc('eth_call', [{ to, data }, 'latest']);
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls for the receipt of `hash` (anvil mines at once, but a receipt may lag the hash). */
async function waitForReceipt(rpc, hash, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await rpc('eth_getTransactionReceipt', [hash]);
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Compiles `sources` ({ fileName: source }) with solc-js through its standard JSON input and
 * returns, per contract name, its ABI, creation bytecode and method identifiers (the selectors,
 * keyed by signature). Any error diagnostic throws with solc's messages.
 */
export function compileSolidity(sources) {
  if (!solc.version().startsWith('0.8.30+')) {
    throw new Error(`solc 0.8.30 expected, npm installed ${solc.version()}`);
  }
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(
      Object.entries(sources).map(([name, content]) => [name, { content }]),
    ),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.methodIdentifiers'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }
  const contracts = {};
  for (const file of Object.values(output.contracts)) {
    for (const [name, { abi, evm }] of Object.entries(file)) {
      contracts[name] = { abi, bytecode: evm.bytecode.object, selectors: evm.methodIdentifiers };
    }
  }
  return contracts;
}

const WORD_LIMIT = 1n << 256n;

/** A uint256 (a bigint, or a 0x hex string) as 64 hex digits, without 0x. */
export function word(value) {
  const n = typeof value === 'bigint' ? value : BigInt(value);
  if (n < 0n || n >= WORD_LIMIT) throw new RangeError(`${value} is not a uint256`);
  return n.toString(16).padStart(64, '0');
}

/** Marks an array of uint256 as a dynamic `uint256[]` argument for `encodeCall`. */
export function dynamicArray(values) {
  return { dynamic: values };
}

/**
 * Calldata of `selector` (8 hex digits) with uint256 arguments, ABI-encoded: a value is one
 * word, an array a fixed-size `uint256[n]` (its words in place), `dynamicArray(values)` a
 * `uint256[]` (an offset in the head; its length and words in the tail).
 */
export function encodeCall(selector, args) {
  const headBytes = 32 * args.reduce((n, arg) => n + (Array.isArray(arg) ? arg.length : 1), 0);
  const head = [];
  const tail = [];
  for (const arg of args) {
    if (Array.isArray(arg)) {
      head.push(...arg.map(word));
    } else if (arg?.dynamic) {
      head.push(word(BigInt(headBytes + 32 * tail.length)));
      tail.push(word(BigInt(arg.dynamic.length)), ...arg.dynamic.map(word));
    } else {
      head.push(word(arg));
    }
  }
  return `0x${selector}${head.join('')}${tail.join('')}`;
}

/** The bool that an `eth_call` returned (exactly one word, 0 or 1). */
export function decodeBool(hex) {
  if (!/^0x[0-9a-f]{64}$/i.test(hex)) throw new Error(`not one ABI word: ${hex}`);
  const value = BigInt(hex);
  if (value > 1n) throw new Error(`not an ABI bool: ${hex}`);
  return value === 1n;
}
