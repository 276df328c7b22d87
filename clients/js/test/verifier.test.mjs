// The Groth16 verifier on a real EVM: the prover CLI sets up keys for a one-slot batch circuit,
// proves an example batch and exports the Solidity verifier; solc-js compiles it and anvil runs
// it. The prover binary comes from CONCORD_PROVER_BIN (scripts/test.sh sets it).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  compileSolidity, decodeBool, dynamicArray, encodeCall, RpcError, startAnvil,
} from '../testing/anvil.mjs';

/** BN254's scalar field modulus r (public inputs) and base field modulus q (coordinates). */
const R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;
const Q = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47n;
const SIGNATURE = 'verifyProof(uint256[8],uint256[])';

let dir;
let anvil;
let verifier;
let selector;
let proofFile;
/** The prover's output: { batch_number, commitment, prover, proof, evm: { proof, input } }. */
let proved;

/** Runs the prover CLI; a failure throws with its exit code and stderr. */
async function prover(...args) {
  const bin = process.env.CONCORD_PROVER_BIN;
  if (!bin) throw new Error('CONCORD_PROVER_BIN must point at the concord-prover binary');
  try {
    return await promisify(execFile)(bin, args, { maxBuffer: 16 << 20 });
  } catch (error) {
    error.message = `concord-prover ${args.join(' ')} failed (exit ${error.code}):\n${error.stderr}`;
    throw error;
  }
}

/** `verifyProof(proof, input)` on the deployed verifier. */
async function verifyProof(proof, input) {
  const result = await anvil.call(verifier, encodeCall(selector, [proof, dynamicArray(input)]));
  return decodeBool(result);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-verifier-'));
  const keys = join(dir, 'keys');
  const batch = join(dir, 'batch.json');
  const sol = join(dir, 'ConcordVerifier.sol');
  proofFile = join(dir, 'proof.json');
  await prover('setup', '--slots', '1', '--seed', 'test', '--out', keys);
  await prover('example-batch', '--slots', '1', '--out', batch);
  await prover('prove', '--keys', keys, '--batch', batch, '--prover', `0x${'70'.repeat(32)}`,
    '--out', proofFile);
  await prover('export-verifier', '--keys', keys, '--out', sol);
  proved = JSON.parse(readFileSync(proofFile, 'utf8'));

  const { ConcordVerifier } = compileSolidity({ 'ConcordVerifier.sol': readFileSync(sol, 'utf8') });
  selector = ConcordVerifier.selectors[SIGNATURE];
  assert.ok(selector, `ConcordVerifier has no ${SIGNATURE}`);
  anvil = await startAnvil();
  verifier = await anvil.deploy(ConcordVerifier.bytecode);
}, { timeout: 15 * 60_000 });

after(async () => {
  await anvil?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the proof file carries eight proof words, the commitment and the prover as inputs', () => {
  assert.equal(proved.evm.proof.length, 8);
  for (const w of [...proved.evm.proof, ...proved.evm.input]) assert.match(w, /^0x[0-9a-f]{64}$/);
  assert.deepEqual(proved.evm.input.map(BigInt),
    [BigInt(proved.commitment), BigInt(proved.prover)]);
});

test('the CLI verifies the proof and rejects it for another commitment', async () => {
  await prover('verify', '--keys', join(dir, 'keys'), '--proof', proofFile);
  const flipped = `0x${(BigInt(proved.commitment) ^ 1n).toString(16).padStart(64, '0')}`;
  const tampered = join(dir, 'tampered.json');
  writeFileSync(tampered, JSON.stringify({
    ...proved,
    commitment: flipped,
    evm: { ...proved.evm, input: [flipped, proved.prover] },
  }));
  await assert.rejects(prover('verify', '--keys', join(dir, 'keys'), '--proof', tampered),
    (error) => error.code === 1);
});

test('the verifier contract accepts the proof', async () => {
  assert.equal(await verifyProof(proved.evm.proof, proved.evm.input), true);
});

test('it rejects the proof for another commitment or another prover', async () => {
  const [input, prover] = proved.evm.input;
  assert.equal(await verifyProof(proved.evm.proof, [BigInt(input) ^ 1n, prover]), false);
  assert.equal(await verifyProof(proved.evm.proof, [input, BigInt(prover) ^ 1n]), false);
});

test('it rejects an input not below r, even one equal to the real input mod r', async () => {
  const [input, prover] = proved.evm.input;
  assert.equal(await verifyProof(proved.evm.proof, [BigInt(input) + R, prover]), false);
  assert.equal(await verifyProof(proved.evm.proof, [input, BigInt(prover) + R]), false);
  assert.equal(await verifyProof(proved.evm.proof, [R, prover]), false);
});

test('it rejects a wrong number of inputs', async () => {
  const [input, prover] = proved.evm.input;
  assert.equal(await verifyProof(proved.evm.proof, []), false);
  assert.equal(await verifyProof(proved.evm.proof, [input]), false);
  assert.equal(await verifyProof(proved.evm.proof, [input, prover, prover]), false);
});

test('it rejects a tampered proof without reverting', async () => {
  const proof = proved.evm.proof.map(BigInt);
  // C.y with its lowest bit flipped: C is no longer on the curve.
  assert.equal(await verifyProof(proof.with(7, proof[7] ^ 1n), proved.evm.input), false);
  // C replaced by A: a valid point, but the pairing fails.
  assert.equal(await verifyProof(proof.with(6, proof[0]).with(7, proof[1]), proved.evm.input),
    false);
  // A.y + q: the same residue, but not a canonical coordinate.
  assert.equal(await verifyProof(proof.with(1, proof[1] + Q), proved.evm.input), false);
});

test('a call with malformed calldata reverts rather than answering', async () => {
  const truncated = encodeCall(selector, [proved.evm.proof]);
  await assert.rejects(anvil.call(verifier, truncated), RpcError);
});
