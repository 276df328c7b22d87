//! The batch circuit's figures: constraints per slot (by component) and per batch, and the
//! Groth16 setup, prove and verify times per batch, printed as a table (recorded in
//! `docs/benchmarks.md`).
//!
//! ```sh
//! cargo bench -p concord-circuits --bench batch                          # N = 1, 8 timed
//! CONCORD_BENCH_SLOTS=1,8,32 cargo bench -p concord-circuits --bench batch  # N = 32 too
//! ```
//!
//! Constraints are counted for N = 1, 8 and 32 always; times for the sizes in
//! `CONCORD_BENCH_SLOTS` (default `1,8`). The batch proved is the example batch of every op kind
//! (`concord_circuits::request::example_request`), padded with Noops.

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
use concord_primitives::ops::{batch_pubdata_len, SLOT_BYTES};
use std::time::{Duration, Instant};

/// The figures before the state trees had arity 4 (binary trees: account depth 24, balance
/// depth 8), measured by this benchmark at commit 8f2af6f: per slot, its three touches' part,
/// and per batch of 1, 8 and 32 slots.
const BASELINE_PER_SLOT: usize = 100_910;
const BASELINE_TOUCHES: usize = 53_729;
const BASELINE_BATCH: [(usize, usize); 3] = [(1, 221_806), (8, 1_008_014), (32, 3_669_368)];

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

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
	let start = Instant::now();
	let out = f();
	(out, start.elapsed())
}

fn main() {
	let sizes: Vec<usize> = std::env::var("CONCORD_BENCH_SLOTS")
		.unwrap_or_else(|_| "1,8".into())
		.split(',')
		.map(|n| {
			n.trim()
				.parse()
				.expect("CONCORD_BENCH_SLOTS: comma-separated slot counts")
		})
		.collect();
	let threads = std::thread::available_parallelism().map_or(1, usize::from);
	println!("concord-circuits batch benchmark ({threads} threads)\n");

	let per_slot = constraints(2) - constraints(1);
	let sha_per_slot =
		sha256_constraints(batch_pubdata_len(2)) - sha256_constraints(batch_pubdata_len(1));
	let eddsa = eddsa_constraints();
	println!(
		"constraints per slot (every slot handles every op kind, so every kind costs the same)"
	);
	println!("| component | constraints | baseline (binary trees) |");
	println!("|---|---|---|");
	println!(
		"| SHA-256 of the slot's {SLOT_BYTES} pubdata bytes | {sha_per_slot} | {sha_per_slot} |"
	);
	println!("| EdDSA-Poseidon signature check | {eddsa} | {eddsa} |");
	println!(
		"| account touches (Merkle paths, leaves), fee register, rules, op decoding | {} | {BASELINE_TOUCHES} (three touches) |",
		per_slot - sha_per_slot - eddsa
	);
	println!("| **total per slot** | **{per_slot}** | **{BASELINE_PER_SLOT}** |\n");

	println!("| slots N | constraints | baseline | setup | prove | verify |");
	println!("|---|---|---|---|---|---|");
	for (slots, baseline) in BASELINE_BATCH {
		let count = constraints(slots);
		if !sizes.contains(&slots) {
			println!("| {slots} | {count} | {baseline} | – | – | – |");
			continue;
		}
		let (key, setup) = timed(|| groth16::dev_setup(slots, "bench").unwrap());
		let witness = example_request(slots).witness(slots).unwrap();
		let commitment = witness.commitment();
		let prover = concord_primitives::commitment::prover_input(&[0x70; 32]);
		let (proof, prove) = timed(|| groth16::prove(&key, witness, prover).unwrap());
		let (valid, verify) = timed(|| groth16::verify(&key.key.vk, commitment, prover, &proof));
		assert!(valid, "the proof of the example batch must verify");
		println!("| {slots} | {count} | {baseline} | {setup:.1?} | {prove:.1?} | {verify:.1?} |");
	}
}
