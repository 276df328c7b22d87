//! Groth16 over BN254 for the batch circuit and the exit circuit: key setup, key files, proving
//! and verification.
//!
//! The setup here is a **development setup**: its randomness (the "toxic waste") is derived
//! from a public seed, so anyone who knows the seed can forge proofs. It makes devnets and
//! tests reproducible; a production deployment needs keys from a multi-party ceremony.

use crate::{batch::BatchCircuit, exit::ExitCircuit, witness::BatchWitness, Fr};
use ark_bn254::Bn254;
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{ConstraintSynthesizer, SynthesisError};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError};
use ark_snark::SNARK;
use ark_std::rand::{rngs::StdRng, RngCore, SeedableRng};
use concord_primitives::{
	exit::{ExitClaim, ExitWitness},
	groth16 as verifier,
};
use sha2::{Digest, Sha256};
use std::{
	fmt,
	fs::File,
	io::{BufReader, BufWriter, Read, Write},
	path::{Path, PathBuf},
};

/// The proving key file in a key directory.
pub const PROVING_KEY_FILE: &str = "proving.key";
/// The verifying key file in a key directory: arkworks' compressed canonical encoding, the
/// bytes the appchain's verifying key registry stores.
pub const VERIFYING_KEY_FILE: &str = "verifying.key";

/// A proving key with the number of slots of the circuit it is for.
pub struct BatchProvingKey {
	pub slots: usize,
	pub key: ProvingKey<Bn254>,
}

/// The exit circuit's proving key (one shape, so no slot count).
pub type ExitProvingKey = ProvingKey<Bn254>;

/// Why a key or proof operation failed.
#[derive(Debug)]
pub enum Groth16Error {
	Io {
		path: PathBuf,
		error: std::io::Error,
	},
	Decode {
		path: PathBuf,
		error: SerializationError,
	},
	Synthesis(SynthesisError),
	/// The witness has another number of slots than the key's circuit.
	SlotMismatch {
		key: usize,
		witness: usize,
	},
	/// A key directory holds the other circuit's key (a batch key where an exit key is
	/// expected, or the reverse).
	WrongCircuit {
		path: PathBuf,
		expected: &'static str,
	},
}

impl fmt::Display for Groth16Error {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Groth16Error::Io { path, error } => write!(f, "{}: {error}", path.display()),
			Groth16Error::Decode { path, error } => {
				write!(f, "{}: not a valid key: {error}", path.display())
			}
			Groth16Error::Synthesis(error) => write!(f, "constraint synthesis failed: {error}"),
			Groth16Error::SlotMismatch { key, witness } => {
				write!(f, "the key is for {key} slots, the batch has {witness}")
			}
			Groth16Error::WrongCircuit { path, expected } => {
				write!(f, "{}: not a key of the {expected} circuit", path.display())
			}
		}
	}
}

impl std::error::Error for Groth16Error {}

impl From<SynthesisError> for Groth16Error {
	fn from(error: SynthesisError) -> Self {
		Groth16Error::Synthesis(error)
	}
}

/// The deterministic randomness of the development setup for `seed`.
fn dev_rng(seed: &str) -> StdRng {
	let digest = Sha256::new()
		.chain_update(b"concord insecure development setup\0")
		.chain_update(seed.as_bytes())
		.finalize();
	StdRng::from_seed(digest.into())
}

/// Generates the keys of the `slots`-slot batch circuit from a public seed. INSECURE outside
/// development: see the module documentation.
pub fn dev_setup(slots: usize, seed: &str) -> Result<BatchProvingKey, Groth16Error> {
	let key = setup_from_seed(BatchCircuit::blank(slots), seed)?;
	Ok(BatchProvingKey { slots, key })
}

/// The keys of `circuit` from the randomness of `seed` alone.
fn setup_from_seed<C: ConstraintSynthesizer<Fr>>(
	circuit: C,
	seed: &str,
) -> Result<ProvingKey<Bn254>, Groth16Error> {
	Ok(Groth16::<Bn254>::generate_random_parameters_with_reduction(
		circuit,
		&mut dev_rng(seed),
	)?)
}

/// Proves the batch of `witness` for the prover whose input is `prover`
/// (`commitment::prover_input` of its appchain account). The proof's randomness comes from the
/// operating system.
pub fn prove(
	key: &BatchProvingKey,
	witness: BatchWitness,
	prover: Fr,
) -> Result<Proof<Bn254>, Groth16Error> {
	if witness.slots.len() != key.slots {
		return Err(Groth16Error::SlotMismatch {
			key: key.slots,
			witness: witness.slots.len(),
		});
	}
	let mut seed = [0u8; 32];
	ark_std::rand::rngs::OsRng.fill_bytes(&mut seed);
	Ok(Groth16::<Bn254>::prove(
		&key.key,
		BatchCircuit::new(witness, prover),
		&mut StdRng::from_seed(seed),
	)?)
}

/// Generates the keys of the exit circuit from a public seed. INSECURE outside development:
/// see the module documentation.
pub fn dev_exit_setup(seed: &str) -> Result<ExitProvingKey, Groth16Error> {
	setup_from_seed(ExitCircuit::blank(), seed)
}

/// Proves the exit of `witness` (built by `concord_primitives::exit::exit_witness`). The
/// proof's randomness comes from the operating system.
pub fn prove_exit(
	key: &ExitProvingKey,
	witness: ExitWitness,
) -> Result<Proof<Bn254>, Groth16Error> {
	let mut seed = [0u8; 32];
	ark_std::rand::rngs::OsRng.fill_bytes(&mut seed);
	Ok(Groth16::<Bn254>::prove(
		key,
		ExitCircuit::new(witness),
		&mut StdRng::from_seed(seed),
	)?)
}

/// Whether `proof` proves `claim` under the exit circuit's `vk`.
pub fn verify_exit(vk: &VerifyingKey<Bn254>, claim: &ExitClaim, proof: &Proof<Bn254>) -> bool {
	verifier::verify(
		&appchain_key(vk),
		&claim.public_inputs(),
		&appchain_proof(proof),
	)
	.is_ok()
}

/// `vk` as the appchain's verifier takes it (`concord_primitives::groth16`): the same fields,
/// so the same canonical bytes.
pub fn appchain_key(vk: &VerifyingKey<Bn254>) -> verifier::VerifyingKey {
	verifier::VerifyingKey {
		alpha_g1: vk.alpha_g1,
		beta_g2: vk.beta_g2,
		gamma_g2: vk.gamma_g2,
		delta_g2: vk.delta_g2,
		gamma_abc_g1: vk.gamma_abc_g1.clone(),
	}
}

/// `proof` as the appchain's verifier takes it: the same canonical bytes.
pub fn appchain_proof(proof: &Proof<Bn254>) -> verifier::Proof {
	verifier::Proof {
		a: proof.a,
		b: proof.b,
		c: proof.c,
	}
}

/// Whether `proof` proves a batch with this commitment, made by the prover whose input is
/// `prover`, under `vk`; checked by the verifier the appchain runs.
pub fn verify(vk: &VerifyingKey<Bn254>, commitment: Fr, prover: Fr, proof: &Proof<Bn254>) -> bool {
	verifier::verify(
		&appchain_key(vk),
		&[commitment, prover],
		&appchain_proof(proof),
	)
	.is_ok()
}

fn create(path: &Path) -> Result<BufWriter<File>, Groth16Error> {
	File::create(path)
		.map(BufWriter::new)
		.map_err(|error| Groth16Error::Io {
			path: path.into(),
			error,
		})
}

fn open(path: &Path) -> Result<BufReader<File>, Groth16Error> {
	File::open(path)
		.map(BufReader::new)
		.map_err(|error| Groth16Error::Io {
			path: path.into(),
			error,
		})
}

/// The header of an exit circuit's proving key file, where a batch key has its slot count.
const EXIT_KEY_HEADER: u64 = u64::MAX;

/// Writes `key` into `dir` (created if missing): the proving key (slot count, then the key
/// uncompressed: it is read often, and decompressing its millions of points is slow) and the
/// verifying key (compressed).
pub fn write_keys(dir: &Path, key: &BatchProvingKey) -> Result<(), Groth16Error> {
	write_key_files(dir, key.slots as u64, &key.key)
}

/// Writes the exit circuit's `key` into `dir` as [`write_keys`] does, with a header that tells
/// it from a batch key.
pub fn write_exit_keys(dir: &Path, key: &ExitProvingKey) -> Result<(), Groth16Error> {
	write_key_files(dir, EXIT_KEY_HEADER, key)
}

fn write_key_files(dir: &Path, header: u64, key: &ProvingKey<Bn254>) -> Result<(), Groth16Error> {
	std::fs::create_dir_all(dir).map_err(|error| Groth16Error::Io {
		path: dir.into(),
		error,
	})?;
	let io = |path: &Path| {
		let path = path.to_path_buf();
		move |error: SerializationError| Groth16Error::Decode { path, error }
	};
	let path = dir.join(PROVING_KEY_FILE);
	let mut file = create(&path)?;
	header
		.serialize_uncompressed(&mut file)
		.and_then(|()| key.serialize_uncompressed(&mut file))
		.map_err(io(&path))?;
	file.flush().map_err(|error| Groth16Error::Io {
		path: path.clone(),
		error,
	})?;
	let path = dir.join(VERIFYING_KEY_FILE);
	let mut file = create(&path)?;
	key.vk.serialize_compressed(&mut file).map_err(io(&path))?;
	file.flush()
		.map_err(|error| Groth16Error::Io { path, error })
}

/// Reads the proving key of `dir`, as [`write_keys`] wrote it (trusted: its points are not
/// checked, which would take longer than proving).
pub fn read_proving_key(dir: &Path) -> Result<BatchProvingKey, Groth16Error> {
	let (header, key) = read_key_file(dir, "batch", |header| header != EXIT_KEY_HEADER)?;
	Ok(BatchProvingKey {
		slots: header as usize,
		key,
	})
}

/// Reads the exit circuit's proving key of `dir`, as [`write_exit_keys`] wrote it.
pub fn read_exit_proving_key(dir: &Path) -> Result<ExitProvingKey, Groth16Error> {
	read_key_file(dir, "exit", |header| header == EXIT_KEY_HEADER).map(|(_, key)| key)
}

fn read_key_file(
	dir: &Path,
	expected: &'static str,
	accept: impl Fn(u64) -> bool,
) -> Result<(u64, ProvingKey<Bn254>), Groth16Error> {
	let path = dir.join(PROVING_KEY_FILE);
	let mut file = open(&path)?;
	let decode = |error| Groth16Error::Decode {
		path: path.clone(),
		error,
	};
	let header = u64::deserialize_uncompressed(&mut file).map_err(decode)?;
	if !accept(header) {
		return Err(Groth16Error::WrongCircuit { path, expected });
	}
	let key = ProvingKey::deserialize_uncompressed_unchecked(&mut file).map_err(decode)?;
	Ok((header, key))
}

/// Reads and validates the verifying key of `dir`.
pub fn read_verifying_key(dir: &Path) -> Result<VerifyingKey<Bn254>, Groth16Error> {
	let path = dir.join(VERIFYING_KEY_FILE);
	let mut bytes = Vec::new();
	open(&path)?
		.read_to_end(&mut bytes)
		.map_err(|error| Groth16Error::Io {
			path: path.clone(),
			error,
		})?;
	VerifyingKey::deserialize_compressed(&bytes[..])
		.map_err(|error| Groth16Error::Decode { path, error })
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{evm::tests::Square, request::example_request};
	use concord_primitives::commitment::prover_input;

	/// The seed alone fixes the setup: the same keys for the same seed, others for another
	/// (shown on the smallest circuit; `dev_setup` feeds the batch circuit to the same setup).
	#[test]
	fn the_dev_setup_is_deterministic_per_seed() {
		let setup = |seed| setup_from_seed(Square { x: None }, seed).unwrap();
		let key = setup("test");
		assert_eq!(setup("test"), key);
		assert_ne!(setup("other").vk, key.vk);
	}

	/// A batch of a Transfer, a Deposit (three chunks) and a Noop: its proof verifies against
	/// its commitment only, through key files written and read back. (That every op kind is
	/// satisfiable in the circuit the key is set up for is `batch`'s test.)
	#[test]
	fn a_proof_of_a_batch_verifies_only_its_commitment() {
		let slots = 5;
		let dir = std::env::temp_dir().join(format!("concord-keys-{}", std::process::id()));
		write_keys(&dir, &dev_setup(slots, "test").unwrap()).unwrap();
		let key = read_proving_key(&dir).unwrap();
		let vk = read_verifying_key(&dir).unwrap();
		assert_eq!((key.slots, &vk), (slots, &key.key.vk));

		let witness = example_request(slots).witness(slots).unwrap();
		let kinds: Vec<u8> = witness
			.first_slots()
			.map(|slot| slot.op.op().op_type() as u8)
			.collect();
		assert_eq!(kinds, [2, 1, 0]);
		let commitment = witness.commitment();
		let (prover, copier) = (prover_input(&[0xa1; 32]), prover_input(&[0xc0; 32]));
		let proof = prove(&key, witness, prover).unwrap();
		assert!(verify(&vk, commitment, prover, &proof));
		assert!(Groth16::<Bn254>::verify(&vk, &[commitment, prover], &proof).unwrap());
		// A proof copied by another account does not verify for it.
		assert!(!verify(&vk, commitment, copier, &proof));
		// The key file and the prover's proof bytes are what the appchain decodes.
		let key_file = std::fs::read(dir.join(VERIFYING_KEY_FILE)).unwrap();
		assert_eq!(
			verifier::VerifyingKey::deserialize_compressed(&key_file[..]).unwrap(),
			appchain_key(&vk)
		);
		let mut proof_bytes = Vec::new();
		proof.serialize_compressed(&mut proof_bytes).unwrap();
		assert_eq!(
			verifier::Proof::deserialize_compressed(&proof_bytes[..]).unwrap(),
			appchain_proof(&proof)
		);
		assert_eq!(
			verifier::verify(&appchain_key(&vk), &[commitment], &appchain_proof(&proof)),
			Err(verifier::VerifyError::InputCount { key: 2, given: 1 })
		);
		assert!(!verify(&vk, commitment + Fr::from(1u8), prover, &proof));
		let mut tampered = proof.clone();
		tampered.c = tampered.a;
		assert!(!verify(&vk, commitment, prover, &tampered));
		assert!(!Groth16::<Bn254>::verify(&vk, &[commitment, prover], &tampered).unwrap());

		assert!(matches!(
			prove(&key, example_request(1).witness(1).unwrap(), prover),
			Err(Groth16Error::SlotMismatch { key, witness: 1 }) if key == slots
		));
		std::fs::write(dir.join(VERIFYING_KEY_FILE), b"not a key").unwrap();
		let error = read_verifying_key(&dir).unwrap_err();
		assert!(error.to_string().contains(VERIFYING_KEY_FILE), "{error}");
		std::fs::remove_dir_all(&dir).unwrap();
		assert!(matches!(
			read_proving_key(&dir),
			Err(Groth16Error::Io { .. })
		));
	}

	/// An exit proof verifies for its claim only, and the key files of the two circuits are
	/// not taken for each other.
	#[test]
	fn an_exit_proof_verifies_only_its_claim() {
		use concord_primitives::{
			account::{reserve_account, Account, AccountTree},
			exit::exit_witness,
		};
		let mut state = AccountTree::<concord_primitives::tree::MemoryStore>::new();
		let owner = Account {
			l1_address: [7; 20],
			..Account::EMPTY
		};
		state.set_account_fields(3, owner).unwrap();
		state.set_balance(3, 1, 50).unwrap();
		state.set_balance(reserve_account(2), 1, 50).unwrap();
		let witness = exit_witness(&state, 3, 1, 2).unwrap();

		let dir = std::env::temp_dir().join(format!("concord-exit-keys-{}", std::process::id()));
		write_exit_keys(&dir, &dev_exit_setup("test").unwrap()).unwrap();
		let key = read_exit_proving_key(&dir).unwrap();
		let vk = read_verifying_key(&dir).unwrap();
		let proof = prove_exit(&key, witness).unwrap();
		assert!(verify_exit(&vk, &witness.claim, &proof));
		let mut other = witness.claim;
		other.chain = 1;
		assert!(!verify_exit(&vk, &other, &proof));

		assert!(matches!(
			read_proving_key(&dir),
			Err(Groth16Error::WrongCircuit {
				expected: "batch",
				..
			})
		));
		write_keys(&dir, &dev_setup(1, "test").unwrap()).unwrap();
		let error = read_exit_proving_key(&dir).unwrap_err();
		assert!(
			error.to_string().ends_with("not a key of the exit circuit"),
			"{error}"
		);
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
