//! `concord-relayer`: runs the roles its TOML configuration selects (see the crate
//! documentation and docs/operations.md).

use clap::Parser;
use concord_relayer::{config::Config, run, Relayer};
use std::{path::PathBuf, process::ExitCode, sync::Arc};

/// The Concord relayer: the off-chain worker each oracle member runs beside its node.
///
/// Roles (configuration `roles = [...]`): watcher (attests L1 deposits, full exits and batch
/// stages), prover (proves sealed batches), submitter (commits and proves batches on every
/// L1), executor (signs and executes synced batches), auditor (recomputes every batch and
/// compares the appchain's and the L1s' records). Logs go to stderr; set RUST_LOG (e.g.
/// `concord_relayer=debug`) for more.
#[derive(Parser)]
#[command(name = "concord-relayer", version)]
struct Cli {
	/// The TOML configuration file.
	#[arg(long, short)]
	config: PathBuf,
	/// Check the configuration and every endpoint (EVM chain ids, contracts, appchain
	/// registrations), then exit.
	#[arg(long)]
	check: bool,
	#[command(subcommand)]
	command: Option<Command>,
}

#[derive(clap::Subcommand)]
enum Command {
	/// An L1 governance action proposed on the appchain (`Oracle::propose_l1_action`): show it,
	/// sign it with this member's keys, or submit it to the contract once a quorum signed.
	L1Action {
		#[command(subcommand)]
		step: L1ActionStep,
	},
}

#[derive(clap::Subcommand)]
enum L1ActionStep {
	/// Print the action, who signed it, and the contract's governance nonce.
	Show(ActionId),
	/// Sign the action with the member's Ethereum key and store the signature on the appchain.
	Sign {
		#[command(flatten)]
		id: ActionId,
		/// The digest `show` printed for the action reviewed (0x-hex): signing is refused if
		/// the proposal changed since.
		#[arg(long)]
		digest: String,
	},
	/// Send the action to the contract with a quorum of the members' signatures.
	Submit(ActionId),
}

#[derive(clap::Args)]
struct ActionId {
	/// The Concord chain id of the contract.
	#[arg(long)]
	chain: u8,
	/// The contract's governance nonce the action is for.
	#[arg(long)]
	nonce: u64,
}

/// 32 bytes of 0x-prefixed hex.
fn parse_digest(text: &str) -> Option<[u8; 32]> {
	hex::decode(text.strip_prefix("0x")?).ok()?.try_into().ok()
}

/// Runs one `l1-action` step and prints its outcome.
async fn l1_action(relayer: &Relayer, step: L1ActionStep) -> ExitCode {
	use concord_primitives::ops::ChainId;
	use concord_relayer::governance;
	let outcome = match step {
		L1ActionStep::Show(id) => governance::describe(relayer, ChainId(id.chain), id.nonce).await,
		L1ActionStep::Sign { id, digest } => {
			let reviewed = match parse_digest(&digest) {
				Some(reviewed) => reviewed,
				None => {
					eprintln!("error: --digest {digest}: not 32 bytes of 0x-hex");
					return ExitCode::from(2);
				}
			};
			governance::sign(relayer, ChainId(id.chain), id.nonce, reviewed)
				.await
				.map(|hash| format!("signature sent in extrinsic {hash:?}"))
		}
		L1ActionStep::Submit(id) => governance::submit(relayer, ChainId(id.chain), id.nonce)
			.await
			.map(|hash| format!("submitted in L1 transaction {hash}")),
	};
	match outcome {
		Ok(text) => {
			println!("{text}");
			ExitCode::SUCCESS
		}
		Err(error) => {
			eprintln!("error: {error}");
			ExitCode::from(1)
		}
	}
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	// arkworks' gadgets open an INFO span (targets `gr1cs`, `r1cs`) per gadget call and every
	// constraint keeps the current span: with those spans enabled a batch proof holds millions
	// of them and takes minutes and gigabytes. They are always off (and the prover proves
	// without a subscriber at all, see `roles::prover`).
	let filter = tracing_subscriber::EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
		.add_directive("gr1cs=off".parse().expect("a valid directive"))
		.add_directive("r1cs=off".parse().expect("a valid directive"));
	tracing_subscriber::fmt()
		.with_env_filter(filter)
		.with_writer(std::io::stderr)
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
		.init();
	let config = match Config::load(&cli.config) {
		Ok(config) => config,
		Err(error) => {
			eprintln!("error: {}: {error}", cli.config.display());
			return ExitCode::from(2);
		}
	};
	let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
	runtime.block_on(async move {
		let relayer = match Relayer::connect(config).await {
			Ok(relayer) => Arc::new(relayer),
			Err(error) => {
				eprintln!("error: {error}");
				return ExitCode::from(1);
			}
		};
		if cli.check {
			println!("configuration and endpoints OK");
			return ExitCode::SUCCESS;
		}
		if let Some(Command::L1Action { step }) = cli.command {
			return l1_action(&relayer, step).await;
		}
		let shutdown = async {
			let mut terminate =
				tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
					.expect("SIGTERM can be handled");
			tokio::select! {
				_ = tokio::signal::ctrl_c() => {}
				_ = terminate.recv() => {}
			}
		};
		match run(relayer, shutdown).await {
			Ok(()) => ExitCode::SUCCESS,
			Err(error) => {
				eprintln!("error: {error}");
				ExitCode::from(1)
			}
		}
	})
}
