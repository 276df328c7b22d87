# Shared helpers for Concord's scripts (sourced, not run).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Cargo's target directory: the caller's CARGO_TARGET_DIR, else the repository's target/.
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
NODE_BIN="$TARGET_DIR/debug/concord-node"
PROVER_BIN="$TARGET_DIR/debug/concord-prover"
DEVNET_BIN="$TARGET_DIR/debug/concord-devnet"
# The runtime's wasm build looks for Cargo.lock above the target directory; when that lives
# outside the clone (CI's cache) it must be told where the workspace is, or it resolves the
# runtime's dependencies afresh instead of using the committed lock file.
export WASM_BUILD_WORKSPACE_HINT="$ROOT"

# rustup's proxies (cargo, rustc), wherever setup.sh or the user installed them.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

log() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*"; }

# Builds the node (and its runtime wasm) unless it is up to date. It is built the way the
# test command builds it, as part of `cargo test --workspace`: the tests' dev-dependencies
# change the features of shared crates (wasmtime among them), so a plain
# `cargo build -p concord-node` would rebuild the client stack on every switch between
# the start and the test command.
build_node() {
	log "building concord-node, concord-relayer and the tools (first build: ~25 min on 2 cores; then incremental)"
	(cd "$ROOT" && cargo test --locked --workspace --no-run)
}
