//! The batch circuit's figures: constraints per slot (by component), per op of every kind
//! (each pays for its chunks, one slot each) and per batch, and the Groth16 setup, prove and
//! verify times per batch, printed as tables beside the figures before (recorded in
//! `docs/benchmarks.md`).
//!
//! ```sh
//! cargo bench -p concord-circuits --bench batch                             # N = 1, 16 timed
//! CONCORD_BENCH_SLOTS=1,16,64 cargo bench -p concord-circuits --bench batch  # N = 64 too
//! CONCORD_BENCH_SLOTS=128,256 cargo bench -p concord-circuits --bench batch   # larger batches
//! CONCORD_BENCH_SLOTS=0 cargo bench -p concord-circuits --bench batch        # counts only
//! ```
//!
//! Constraints are counted for N = 1, 16, 64 and the sizes in `CONCORD_BENCH_SLOTS` (default
//! `1,16`), times and the process's peak memory for the latter (in ascending order, so each
//! size's peak is the process's after it). The batch proved is as much of the example batch of
//! every op kind as fits (`concord_circuits::request::example_request`), padded with Noops.

use ark_crypto_primitives::crh::sha256::constraints::Sha256Gadget;
use ark_r1cs_std::{prelude::*, uint8::UInt8};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
use concord_circuits::{
	batch::BatchCircuit,
	eddsa::{PublicKeyVar, SignatureVar},
	groth16,
	request::{example_keys, example_request},
	Fr,
};
use concord_primitives::ops::{batch_pubdata_len, OpType, CHUNK_BYTES};
use std::time::{Duration, Instant};

/// The figures before ops took chunks (one op of any kind per 80-byte slot), measured by this
/// benchmark at commit 1699cf7 as N = 2 minus N = 1 (which counts one SHA-256 block per slot,
/// where an 80-byte slot averages 1.25): per op, its SHA-256 and touches' parts; and per batch,
/// one op, and the devnet's batch of 8 ops (beside today's 16 slots).
const BASELINE_PER_OP: usize = 73_185;
const BASELINE_SHA: usize = 41_764;
const BASELINE_TOUCHES: usize = 26_004;
const BASELINE_BATCH: [(usize, &str); 2] = [(1, "212256 (1 op)"), (16, "804389 (8 ops)")];
/// Setup and prove times before the Poseidon gadget built flat linear combinations (commit
/// 8a1bb49, same machine, same constraints).
const BASELINE_TIMES: [(usize, &str, &str); 3] = [
	(1, "6.1s", "3.3s"),
	(16, "29.9s", "19.1s"),
	(64, "105.3s", "78.8s"),
];
/// The target: a 64-slot batch proved within this time.
const PROVE_TARGET: (usize, Duration) = (64, Duration::from_secs(60));
/// And with binary trees (commit 8f2af6f), per op.
const BINARY_TREES_PER_OP: usize = 100_910;
/// The target: a Transfer's marginal constraints.
const TRANSFER_TARGET: usize = 40_000;

fn constraints(slots: usize) -> usize {
	let cs = ConstraintSystem::<Fr>::new_ref();
	cs.set_mode(SynthesisMode::Setup);
	BatchCircuit::blank(slots)
		.generate_constraints(cs.clone())
		.unwrap();
	cs.num_constraints()
}

fn sha256_constraints(bytes: usize) -> usize {
	let cs = ConstraintSystem::<Fr>::new_ref();
	let data = UInt8::new_witness_vec(cs.clone(), &vec![0u8; bytes]).unwrap();
	Sha256Gadget::digest(&data).unwrap();
	cs.num_constraints()
}

fn eddsa_constraints() -> usize {
	let cs = ConstraintSystem::<Fr>::new_ref();
	let key = example_keys()[0].clone();
	let signature = key.sign(Fr::from(1u8));
	let public = PublicKeyVar::new_witness(cs.clone(), || Ok(key.public_key())).unwrap();
	let signature = SignatureVar::new_witness(cs.clone(), || Ok(signature)).unwrap();
	let msg =
		ark_r1cs_std::fields::fp::FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u8))).unwrap();
	let before = cs.num_constraints();
	let _valid = public.verify(&msg, &signature).unwrap();
	cs.num_constraints() - before
}

/// The process's peak resident memory so far (Linux `VmHWM`): the sizes run in ascending
/// order, so after a size it is that size's peak.
fn peak_rss() -> String {
	std::fs::read_to_string("/proc/self/status")
		.ok()
		.and_then(|status| {
			let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
			let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
			Some(format!("{:.1} GB", kib * 1024.0 / 1e9))
		})
		.unwrap_or_else(|| "–".into())
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
	let start = Instant::now();
	let out = f();
	(out, start.elapsed())
}

fn main() {
	let sizes: Vec<usize> = std::env::var("CONCORD_BENCH_SLOTS")
		.unwrap_or_else(|_| "1,16".into())
		.split(',')
		.map(|n| {
			n.trim()
				.parse()
				.expect("CONCORD_BENCH_SLOTS: comma-separated slot counts")
		})
		.collect();
	let threads = std::thread::available_parallelism().map_or(1, usize::from);
	println!("concord-circuits batch benchmark ({threads} threads)\n");

	// Slopes between 16 and 64 slots: both pubdata lengths end a SHA-256 block at the same
	// offset, so the slope counts each slot's share of the blocks (a slot is a quarter block).
	let (small, large) = (16, 64);
	let counts = [(small, constraints(small)), (large, constraints(large))];
	let per_slot = (counts[1].1 - counts[0].1) / (large - small);
	let fixed = counts[0].1 - small * per_slot;
	let sha_per_slot = (sha256_constraints(batch_pubdata_len(large))
		- sha256_constraints(batch_pubdata_len(small)))
		/ (large - small);
	let eddsa = eddsa_constraints();
	println!("constraints per slot (one {CHUNK_BYTES}-byte pubdata chunk; every slot handles every op kind)");
	println!("| component | per slot | before: per op (64-byte slot) |");
	println!("|---|---|---|");
	println!("| SHA-256 of the slot's {CHUNK_BYTES} pubdata bytes (a quarter block) | {sha_per_slot} | {BASELINE_SHA} (80 bytes) |");
	println!("| EdDSA-Poseidon signature check | {eddsa} | {eddsa} |");
	println!(
		"| account touches (Merkle paths, leaves), fee register, rules, op decoding, chunk links | {} | {BASELINE_TOUCHES} |",
		per_slot - sha_per_slot - eddsa
	);
	println!("| **total** | **{per_slot}** | **{BASELINE_PER_OP}** |\n");

	println!("marginal constraints per op: (batch of N such ops − fixed part {fixed}) / N = chunks × per slot");
	println!("| op | chunks | constraints | before (any op) | binary trees (any op) |");
	println!("|---|---|---|---|---|");
	for op_type in OpType::ALL {
		let chunks = op_type.chunks();
		let cost = chunks * per_slot;
		let target = if op_type == OpType::Transfer {
			let met = if cost <= TRANSFER_TARGET {
				"met"
			} else {
				"NOT met"
			};
			format!(" (target ≤ {TRANSFER_TARGET}: {met})")
		} else {
			String::new()
		};
		println!(
			"| {op_type:?} | {chunks} | {cost}{target} | {BASELINE_PER_OP} | {BINARY_TREES_PER_OP} |"
		);
	}
	println!();

	let before = |slots: usize| {
		BASELINE_BATCH
			.iter()
			.find(|(n, _)| *n == slots)
			.map_or("–", |(_, count)| count)
	};
	let times_before = |slots: usize| {
		BASELINE_TIMES
			.iter()
			.find(|(n, _, _)| *n == slots)
			.map_or(("–", "–"), |(_, setup, prove)| (*setup, *prove))
	};
	println!(
		"| slots N | constraints | before | setup | before (8a1bb49) | prove | before (8a1bb49) | verify | peak RSS |"
	);
	println!("|---|---|---|---|---|---|---|---|---|");
	let mut rows: Vec<usize> = [1, small, large].into_iter().chain(sizes.clone()).collect();
	rows.sort_unstable();
	rows.dedup();
	for slots in rows {
		let count = counts
			.iter()
			.find(|(n, _)| *n == slots)
			.map_or_else(|| constraints(slots), |(_, count)| *count);
		let baseline = before(slots);
		let (setup_before, prove_before) = times_before(slots);
		if !sizes.contains(&slots) {
			println!(
				"| {slots} | {count} | {baseline} | – | {setup_before} | – | {prove_before} | – | – |"
			);
			continue;
		}
		let (key, setup) = timed(|| groth16::dev_setup(slots, "bench").unwrap());
		let witness = example_request(slots).witness(slots).unwrap();
		let commitment = witness.commitment();
		let prover = concord_primitives::commitment::prover_input(&[0x70; 32]);
		let (proof, prove) = timed(|| groth16::prove(&key, witness, prover).unwrap());
		let (valid, verify) = timed(|| groth16::verify(&key.key.vk, commitment, prover, &proof));
		assert!(valid, "the proof of the example batch must verify");
		let target = if slots == PROVE_TARGET.0 {
			let met = if prove <= PROVE_TARGET.1 {
				"met"
			} else {
				"not met"
			};
			format!(" (target ≤ {:?}: {met})", PROVE_TARGET.1)
		} else {
			String::new()
		};
		println!(
			"| {slots} | {count} | {baseline} | {setup:.1?} | {setup_before} | {prove:.1?}{target} | {prove_before} | {verify:.1?} | {} |",
			peak_rss()
		);
	}
}
