// The rollup contract on an L1 with ethers v6: deposits of the native coin, what a batch
// credited to an address, and the claim that pays it out. The ABI is the committed solc
// artifact (contracts/out/ConcordRollup.json), so it cannot drift from the contract.
import { readFileSync } from 'node:fs';
import { Contract } from 'ethers6';

const ARTIFACT = new URL('../../../contracts/out/ConcordRollup.json', import.meta.url);
const { abi } = JSON.parse(readFileSync(ARTIFACT, 'utf8'));

/** The rollup at `address`, for reads with a provider or transactions with a signer. */
export function rollup(address, runner) {
  return new Contract(address, abi, runner);
}

/**
 * Deposits `amount` wei of the chain's native coin for `to`'s L2 account (created on first
 * deposit), paying the contract's `requestFee()` on top, and resolves to the mined receipt;
 * the oracle credits `amount` on L2 once the relayers saw it buried under their confirmation
 * depth.
 */
export async function depositNative(contract, to, amount) {
  const fee = await contract.requestFee();
  const tx = await contract.depositETH(to, { value: BigInt(amount) + fee });
  return receiptOf(tx, 'depositETH');
}

/** What executed batches credited to `owner` in `token` and `withdrawPending` would pay. */
export function pendingBalance(contract, owner, token) {
  return contract.pendingBalance(owner, token);
}

/** Pays `owner`'s pending balance of `token` out (anyone may send it) and resolves to the receipt. */
export async function claim(contract, owner, token) {
  const tx = await contract.withdrawPending(owner, token);
  return receiptOf(tx, 'withdrawPending');
}

async function receiptOf(tx, what) {
  const receipt = await tx.wait();
  if (receipt.status !== 1) throw new Error(`${what} reverted in transaction ${tx.hash}`);
  return receipt;
}
