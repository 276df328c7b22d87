//! `concord-node benchmark …` (built with `--features runtime-benchmarks`).
//!
//! `benchmark pallet` runs the runtime's FRAME benchmarks and writes `weights.rs`;
//! `benchmark machine` checks the host against the reference hardware. The block,
//! overhead, extrinsic and storage benchmarks are not wired: they need the node's own
//! extrinsic builders and a populated database, which Concord does not ship yet.

use crate::cli::Cli;
use concord_runtime::opaque::Block;
use frame_benchmarking_cli::{BenchmarkCmd, SUBSTRATE_REFERENCE_HARDWARE};
use sc_cli::SubstrateCli;
use sp_runtime::traits::HashingFor;

/// Runs a benchmark subcommand.
pub fn run(cli: &Cli, cmd: &BenchmarkCmd) -> sc_cli::Result<()> {
	let runner = cli.create_runner(cmd)?;
	runner.sync_run(|config| match cmd {
		BenchmarkCmd::Pallet(cmd) => cmd
			.run_with_spec::<HashingFor<Block>, concord_host::HostFunctions>(Some(
				config.chain_spec,
			)),
		BenchmarkCmd::Machine(cmd) => cmd.run(&config, SUBSTRATE_REFERENCE_HARDWARE.clone()),
		BenchmarkCmd::Block(_)
		| BenchmarkCmd::Overhead(_)
		| BenchmarkCmd::Extrinsic(_)
		| BenchmarkCmd::Storage(_) => Err(format!(
			"this benchmark is not supported by {}; use `benchmark pallet` or `benchmark machine`",
			Cli::executable_name()
		)
		.into()),
	})
}
