//! `concord-prover`: key setup, proving, verification and Solidity verifier export for
//! Concord's batch circuit, and the exit circuit's key setup (`exit-setup`; its verifier is
//! exported like the batch one).
//!
//! Exit status: 0 on success (for `verify`: the proof is valid), 1 when `verify` finds the
//! proof invalid, 2 on any error (bad arguments, unreadable or malformed files, a batch the
//! rules reject), with the reason on stderr.

use ark_bn254::Bn254;
use ark_groth16::Proof;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use clap::{Parser, Subcommand};
use codec::{Decode, Encode};
use concord_circuits::{
	evm::{
		bytes_from_hex, bytes_to_hex, fr_from_word, fr_to_word, solidity_verifier, word_from_hex,
		EvmProof,
	},
	groth16::{self, VERIFYING_KEY_FILE},
	request::{example_request, BatchRequest},
};
use concord_primitives::commitment::prover_input;
use serde_json::{json, Value};
use std::{path::PathBuf, process::ExitCode, time::Instant};

#[derive(Parser)]
#[command(
	name = "concord-prover",
	version,
	about = "Groth16 prover for Concord batches"
)]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Generate the keys of the batch circuit with SLOTS op slots. INSECURE: the randomness
	/// comes from a public seed (development and tests only).
	Setup {
		#[arg(long)]
		slots: usize,
		#[arg(long)]
		seed: String,
		/// The key directory to write proving.key and verifying.key into.
		#[arg(long)]
		out: PathBuf,
	},
	/// Generate the keys of the exit circuit (exodus exits). INSECURE: the randomness comes
	/// from a public seed (development and tests only).
	ExitSetup {
		#[arg(long)]
		seed: String,
		/// The key directory to write proving.key and verifying.key into.
		#[arg(long)]
		out: PathBuf,
	},
	/// Write a batch request (SCALE) with every op kind, truncated to SLOTS ops.
	ExampleBatch {
		#[arg(long)]
		slots: usize,
		#[arg(long)]
		out: PathBuf,
	},
	/// Prove a batch request; writes the proof as JSON.
	Prove {
		#[arg(long)]
		keys: PathBuf,
		#[arg(long)]
		batch: PathBuf,
		/// The appchain account the proof is bound to: its 32 bytes (an AccountId32) in 0x-hex.
		/// Only this account can submit the proof.
		#[arg(long)]
		prover: String,
		#[arg(long)]
		out: PathBuf,
	},
	/// Check a proof file against the verifying key.
	Verify {
		#[arg(long)]
		keys: PathBuf,
		#[arg(long)]
		proof: PathBuf,
	},
	/// Write the Solidity verifier of the verifying key.
	ExportVerifier {
		#[arg(long)]
		keys: PathBuf,
		#[arg(long)]
		out: PathBuf,
	},
}

type Error = Box<dyn std::error::Error>;

fn main() -> ExitCode {
	match run(Cli::parse().command) {
		Ok(code) => code,
		Err(error) => {
			eprintln!("error: {error}");
			ExitCode::from(2)
		}
	}
}

fn write(path: &PathBuf, contents: impl AsRef<[u8]>) -> Result<(), Error> {
	std::fs::write(path, contents).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn read(path: &PathBuf) -> Result<Vec<u8>, Error> {
	std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn run(command: Command) -> Result<ExitCode, Error> {
	match command {
		Command::Setup { slots, seed, out } => {
			if slots == 0 {
				return Err("--slots must be at least 1".into());
			}
			eprintln!(
				"INSECURE development setup from seed {seed:?}: anyone knowing the seed can forge \
				 proofs"
			);
			let start = Instant::now();
			let key = groth16::dev_setup(slots, &seed)?;
			groth16::write_keys(&out, &key)?;
			println!(
				"keys for {slots} slots written to {} in {:.1?}",
				out.display(),
				start.elapsed()
			);
		}
		Command::ExitSetup { seed, out } => {
			eprintln!(
				"INSECURE development setup from seed {seed:?}: anyone knowing the seed can forge \
				 exit proofs"
			);
			let start = Instant::now();
			groth16::write_exit_keys(&out, &groth16::dev_exit_setup(&seed)?)?;
			println!(
				"exit circuit keys written to {} in {:.1?}",
				out.display(),
				start.elapsed()
			);
		}
		Command::ExampleBatch { slots, out } => {
			write(&out, example_request(slots).encode())?;
			println!(
				"example batch request for {slots} slots written to {}",
				out.display()
			);
		}
		Command::Prove {
			keys,
			batch,
			prover,
			out,
		} => {
			let account: [u8; 32] = bytes_from_hex(&prover)
				.ok()
				.and_then(|bytes| bytes.try_into().ok())
				.ok_or_else(|| {
					format!("--prover {prover:?}: want the appchain account's 32 bytes in 0x-hex")
				})?;
			let prover = prover_input(&account);
			let bytes = read(&batch)?;
			let request = BatchRequest::decode(&mut &bytes[..])
				.map_err(|e| format!("{}: not a batch request: {e}", batch.display()))?;
			let key = groth16::read_proving_key(&keys)?;
			let witness = request.witness(key.slots)?;
			let (batch_number, commitment) = (witness.batch_number, witness.commitment());
			let start = Instant::now();
			let proof = groth16::prove(&key, witness, prover)?;
			let mut compressed = Vec::new();
			proof.serialize_compressed(&mut compressed)?;
			let file = json!({
				"batch_number": batch_number,
				"commitment": bytes_to_hex(&fr_to_word(&commitment)),
				"prover": bytes_to_hex(&fr_to_word(&prover)),
				"proof": bytes_to_hex(&compressed),
				"evm": {
					"proof": EvmProof::from(&proof).to_hex(),
					"input": [
						bytes_to_hex(&fr_to_word(&commitment)),
						bytes_to_hex(&fr_to_word(&prover)),
					],
				},
			});
			write(&out, serde_json::to_string_pretty(&file)?)?;
			println!(
				"proved batch {batch_number} in {:.1?}; proof written to {}",
				start.elapsed(),
				out.display()
			);
		}
		Command::Verify { keys, proof } => {
			let vk = groth16::read_verifying_key(&keys)?;
			let file: Value = serde_json::from_slice(&read(&proof)?)
				.map_err(|e| format!("{}: {e}", proof.display()))?;
			let field = |name: &str| {
				file[name]
					.as_str()
					.ok_or_else(|| format!("{}: no string field {name:?}", proof.display()))
			};
			let commitment = fr_from_word(&word_from_hex(field("commitment")?)?)?;
			let prover = fr_from_word(&word_from_hex(field("prover")?)?)?;
			let bytes = bytes_from_hex(field("proof")?)?;
			let parsed = Proof::<Bn254>::deserialize_compressed(&bytes[..])
				.map_err(|e| format!("{}: not a proof: {e}", proof.display()))?;
			if groth16::verify(&vk, commitment, prover, &parsed) {
				println!("valid");
			} else {
				println!("invalid: the proof does not verify against {VERIFYING_KEY_FILE}");
				return Ok(ExitCode::from(1));
			}
		}
		Command::ExportVerifier { keys, out } => {
			let vk = groth16::read_verifying_key(&keys)?;
			write(&out, solidity_verifier(&vk))?;
			println!("Solidity verifier written to {}", out.display());
		}
	}
	Ok(ExitCode::SUCCESS)
}
