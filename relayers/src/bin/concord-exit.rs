//! `concord-exit`: getting funds out in exodus mode, from L1 data alone.
//!
//! - `signatures`: while the appchain runs (any full node), saves the oracle quorum's execute
//!   signatures of the batches a chain has not executed yet;
//! - `catch-up`: in the exodus grace, executes those batches on that chain with the saved
//!   signatures, so every chain stops at the same root;
//! - `rebuild`: rebuilds the L2 state from one chain's `commitBatches` calldata and checks every
//!   root against the chain's stored roots;
//! - `exit`: after the grace, rebuilds the state, proves an account's balance of a token against
//!   each chain's last executed root and has each chain pay its share (`performExodus`, then
//!   `withdrawPending` to the account's owner);
//! - `refunds`: after the grace, refunds every deposit a chain never served (from its events)
//!   and pays the depositors out.
//!
//! Exit status: 0 when everything asked was done, 1 when a chain refused or had nothing to pay
//! (the reason on stderr), 2 on any other error; `exit` tries every chain whatever happens on
//! the others.

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use clap::{Parser, Subcommand};
use concord_circuits::groth16;
use concord_primitives::account::{AccountId, TokenId};
use concord_relayer::{
	appchain::Appchain,
	exit::{self, ExitError, SignatureFile},
	l1::{signer_from_hex, L1},
};
use std::{path::PathBuf, process::ExitCode, time::Instant};

#[derive(Parser)]
#[command(
	name = "concord-exit",
	version,
	about = "Exodus exits from L1 data alone"
)]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

/// The secret key that sends transactions: `--key`, else the `CONCORD_EXIT_KEY` environment
/// variable (32 bytes in hex). It pays the gas only: exits are paid to the account's owner.
#[derive(clap::Args)]
struct Sender {
	#[arg(long)]
	key: Option<String>,
}

impl Sender {
	fn signer(&self) -> Result<PrivateKeySigner, String> {
		let key = match &self.key {
			Some(key) => key.clone(),
			None => std::env::var("CONCORD_EXIT_KEY")
				.map_err(|_| "no sender key: pass --key or set CONCORD_EXIT_KEY".to_string())?,
		};
		signer_from_hex(&key).map_err(|error| format!("the sender key is {error}"))
	}
}

#[derive(Subcommand)]
enum Command {
	/// Save the quorum's execute signatures of the batches the chain has not executed, from an
	/// appchain node (while one runs).
	Signatures {
		/// The appchain node's WebSocket endpoint.
		#[arg(long)]
		appchain: String,
		/// The chain: URL,ADDRESS[,FROM_BLOCK] (its JSON-RPC URL, the rollup's address, its
		/// deployment block).
		#[arg(long, value_parser = parse_l1)]
		l1: ChainArg,
		#[arg(long)]
		out: PathBuf,
	},
	/// In the exodus grace, execute the chain's proven batches with saved signatures.
	CatchUp {
		#[arg(long, value_parser = parse_l1)]
		l1: ChainArg,
		#[arg(long)]
		signatures: PathBuf,
		#[command(flatten)]
		sender: Sender,
	},
	/// Rebuild the L2 state from the chain's calldata and check every root.
	Rebuild {
		#[arg(long, value_parser = parse_l1)]
		l1: ChainArg,
	},
	/// After the exodus grace, refund every request the chain never served, as its events told
	/// them, and pay the depositors out.
	Refunds {
		#[arg(long, value_parser = parse_l1)]
		l1: ChainArg,
		#[command(flatten)]
		sender: Sender,
	},
	/// Exit an account's balance of a token on every chain given.
	Exit {
		/// Every chain to exit on, as URL,ADDRESS[,FROM_BLOCK] (repeat the flag); the state is
		/// rebuilt from the one that executed most batches.
		#[arg(long = "l1", value_parser = parse_l1, required = true)]
		l1s: Vec<ChainArg>,
		#[arg(long)]
		account: AccountId,
		#[arg(long)]
		token: TokenId,
		/// The exit circuit's key directory (proving.key).
		#[arg(long)]
		keys: PathBuf,
		/// Leave the payout in the owner's pending balance (withdrawPending pays it later).
		#[arg(long)]
		no_withdraw: bool,
		#[command(flatten)]
		sender: Sender,
	},
}

/// A chain: its JSON-RPC URL, the rollup's address and the block to look for commits from.
#[derive(Clone)]
struct ChainArg {
	url: String,
	contract: Address,
	from_block: u64,
}

impl ChainArg {
	async fn connect(&self, signer: Option<PrivateKeySigner>) -> Result<L1, ExitError> {
		exit::connect(&self.url, self.contract, self.from_block, signer).await
	}
}

fn parse_l1(value: &str) -> Result<ChainArg, String> {
	let usage = "expected URL,ADDRESS[,FROM_BLOCK] (the chain's JSON-RPC URL, the rollup's address and, to spare reading the chain from block 0, its deployment block)";
	let mut parts = value.split(',');
	let (Some(url), Some(address)) = (parts.next(), parts.next()) else {
		return Err(usage.into());
	};
	let contract = address
		.parse::<Address>()
		.map_err(|error| format!("{address:?} is not an address: {error}"))?;
	let from_block = match parts.next() {
		Some(block) => block
			.parse()
			.map_err(|_| format!("{block:?} is not a block number"))?,
		None => 0,
	};
	if parts.next().is_some() {
		return Err(usage.into());
	}
	Ok(ChainArg {
		url: url.to_string(),
		contract,
		from_block,
	})
}

type Error = Box<dyn std::error::Error>;

fn main() -> ExitCode {
	let runtime = tokio::runtime::Builder::new_multi_thread()
		.enable_all()
		.build()
		.expect("a tokio runtime");
	match runtime.block_on(run(Cli::parse().command)) {
		Ok(code) => code,
		Err(error) => {
			eprintln!("error: {error}");
			ExitCode::from(2)
		}
	}
}

fn progress(line: String) {
	eprintln!("{line}");
}

async fn run(command: Command) -> Result<ExitCode, Error> {
	match command {
		Command::Signatures { appchain, l1, out } => {
			let l1 = l1.connect(None).await?;
			let appchain = Appchain::connect(&appchain, None).await?;
			let file = exit::export_signatures(&appchain, &l1).await?;
			std::fs::write(&out, serde_json::to_vec_pretty(&file)?)
				.map_err(|e| format!("{}: {e}", out.display()))?;
			println!(
				"chain {}: signatures of {} batch(es) saved to {}",
				file.chain,
				file.batches.len(),
				out.display()
			);
			Ok(ExitCode::SUCCESS)
		}
		Command::CatchUp {
			l1,
			signatures,
			sender,
		} => {
			let bytes =
				std::fs::read(&signatures).map_err(|e| format!("{}: {e}", signatures.display()))?;
			let file: SignatureFile = serde_json::from_slice(&bytes)
				.map_err(|e| format!("{}: {e}", signatures.display()))?;
			let l1 = l1.connect(Some(sender.signer()?)).await?;
			let done = exit::catch_up(&l1, &file, &mut progress).await?;
			match (done.first(), done.last()) {
				(Some(first), Some(last)) => {
					println!("chain {}: executed batches {first}..={last}", l1.chain.0)
				}
				_ => println!(
					"chain {}: nothing to execute (no saved quorum beyond its executed batches)",
					l1.chain.0
				),
			}
			Ok(ExitCode::SUCCESS)
		}
		Command::Refunds { l1, sender } => {
			let l1 = l1.connect(Some(sender.signer()?)).await?;
			let refunded = match exit::refund_unserved(&l1, &mut progress).await {
				Err(error @ (ExitError::NotInExodus(_) | ExitError::ExitsNotOpen { .. })) => {
					eprintln!("{error}");
					return Ok(ExitCode::from(1));
				}
				other => other?,
			};
			for (priority_id, to, token, amount) in &refunded.deposits {
				println!(
					"chain {}: deposit {priority_id} refunded: {amount} of token {token} to {to}",
					l1.chain.0
				);
			}
			println!(
				"chain {}: {} deposit(s) refunded, {} full-exit request(s) dropped, {} withdrawal(s) paid",
				l1.chain.0,
				refunded.deposits.len(),
				refunded.full_exits,
				refunded.withdrawals.len()
			);
			for (owner, token, error) in &refunded.unpaid {
				eprintln!(
					"chain {}: the refund of token {token} to {owner} stays in its pending balance: {error}",
					l1.chain.0
				);
			}
			Ok(if refunded.unpaid.is_empty() {
				ExitCode::SUCCESS
			} else {
				ExitCode::from(1)
			})
		}
		Command::Rebuild { l1 } => {
			let l1 = l1.connect(None).await?;
			let start = Instant::now();
			let rebuilt = exit::rebuild_for(&[&l1], &mut progress).await?;
			let state = &rebuilt.states[&rebuilt.last];
			println!(
				"chain {}: rebuilt {} batch(es) in {:.1?}; every root matches; state root {} with {} account(s)",
				l1.chain.0,
				rebuilt.last,
				start.elapsed(),
				alloy::primitives::B256::from(concord_primitives::commitment::fr_to_be_bytes(
					&state.tree().root()
				)),
				concord_primitives::stf::State::next_account_id(state),
			);
			Ok(ExitCode::SUCCESS)
		}
		Command::Exit {
			l1s,
			account,
			token,
			keys,
			no_withdraw,
			sender,
		} => {
			let signer = sender.signer()?;
			let mut chains: Vec<L1> = Vec::new();
			for chain in &l1s {
				chains.push(chain.connect(Some(signer.clone())).await?);
			}
			let key = tokio::task::spawn_blocking(move || groth16::read_exit_proving_key(&keys))
				.await??;
			let all: Vec<&L1> = chains.iter().collect();
			let rebuilt = exit::rebuild_for(&all, &mut progress).await?;
			let (mut refused, mut failed) = (false, false);
			for l1 in &chains {
				match exit::exit_on(l1, &rebuilt, &key, account, token, !no_withdraw).await {
					Ok(paid) => println!(
						"chain {}: paid {} of token {token} to {} (balance {}, reserve {} of {}; exit {}{})",
						l1.chain.0,
						paid.amount,
						Address::from(paid.claim.l1_address),
						paid.claim.balance,
						paid.claim.reserve,
						alloy::primitives::U256::from_be_bytes(
							concord_primitives::commitment::fr_to_be_bytes(&paid.claim.total)
						),
						paid.exit_tx,
						paid.withdraw_tx
							.map(|tx| format!(", withdrawn {tx}"))
							.unwrap_or_default(),
					),
					Err(
						error @ (ExitError::AlreadyExited { .. }
						| ExitError::NothingToExit { .. }
						| ExitError::Retired(_)
						| ExitError::NotInExodus(_)
						| ExitError::ExitsNotOpen { .. }),
					) => {
						eprintln!("{error}");
						refused = true;
					}
					Err(error) => {
						eprintln!("error: chain {}: {error}", l1.chain.0);
						failed = true;
					}
				}
			}
			Ok(if failed {
				ExitCode::from(2)
			} else if refused {
				ExitCode::from(1)
			} else {
				ExitCode::SUCCESS
			})
		}
	}
}
