//! What checking one L2 signature costs natively, as the node's host function does it:
//! Poseidon over the op's four-element preimage, then the EdDSA verification.
//!
//! ```text
//! cargo run --locked -p concord-primitives --example signature_cost
//! ```
//!
//! Built with the dev profile, which optimises `concord-primitives` and arkworks (the node's
//! build). Prints each figure beside the one before the sparse Poseidon and the one-pass
//! verification (commit 813c3e3, the same command on the same machine).

use concord_primitives::{
	eddsa::PrivateKey,
	ops::{Op, SignedOp, Transfer},
	poseidon,
};
use std::time::{Duration, Instant};

const RUNS: u32 = 500;

/// The mean time of `RUNS` calls of `work`, after a few to warm up.
fn mean(mut work: impl FnMut()) -> Duration {
	(0..10).for_each(|_| work());
	let start = Instant::now();
	(0..RUNS).for_each(|_| work());
	start.elapsed() / RUNS
}

fn main() {
	let key = PrivateKey([7; 32]);
	let op = Op::Transfer(Transfer {
		from: 1,
		to: 2,
		token: 0,
		amount: 1000,
		fee: 10,
		nonce: 3,
	});
	let preimage = op.signed_preimage(5).expect("a Transfer is L2-signed");
	let signature = key.sign(poseidon::hash(&preimage)).pack();
	let public = key.public_key();
	assert!(SignedOp::check_signature(&public, &preimage, &signature));

	let hash = mean(|| {
		std::hint::black_box(poseidon::hash(std::hint::black_box(&preimage)));
	});
	let check = mean(|| {
		assert!(SignedOp::check_signature(&public, &preimage, &signature));
	});
	println!(
		"{:<42} {:>10} {:>10}",
		"native, mean of 500", "now", "813c3e3"
	);
	println!(
		"{:<42} {:>10.1?} {:>10}",
		"Poseidon(4) (the op's message)", hash, "60 µs"
	);
	println!(
		"{:<42} {:>10.1?} {:>10}",
		"hash and verify an L2 signature", check, "390 µs (60 + 330)"
	);
}
