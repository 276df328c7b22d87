//! The rollup contract on a real anvil: every function's success path and revert reasons,
//! with real Groth16 proofs from `concord-circuits` (N = 8 slots) and the contracts compiled
//! by the pinned solc. One test binary, so the key setup and the proofs are made once.

mod common;

mod artifacts;
mod commit;
mod deployment;
mod deposits;
mod digests;
mod execute;
mod exodus;
mod flow;
mod governance;
mod prove;
