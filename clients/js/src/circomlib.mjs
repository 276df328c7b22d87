// circomlibjs, the EdDSA-Poseidon implementation that concord-primitives reproduces byte for
// byte (primitives/src/eddsa.rs), so keys and signatures made here are the ones the runtime
// and the circuit check.
import { buildEddsa } from 'circomlibjs';

let eddsa;

/**
 * circomlibjs's EdDSA-Poseidon, with its Poseidon (`.poseidon`), Baby Jubjub (`.babyJub`) and
 * BN254 scalar field (`.F`). Built once and shared: building compiles wasm and takes about a
 * second.
 */
export function circomlib() {
  eddsa ??= buildEddsa();
  return eddsa;
}
