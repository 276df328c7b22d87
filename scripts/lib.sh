# Shared helpers for Concord's scripts (sourced, not run).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Cargo's target directory: the caller's CARGO_TARGET_DIR, else the repository's target/.
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
NODE_BIN="$TARGET_DIR/debug/concord-node"

log() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*"; }

# Builds the node (and its runtime wasm) unless it is up to date.
build_node() {
	log "building concord-node (first build: ~20 min on 2 cores; then incremental)"
	(cd "$ROOT" && cargo build --locked -p concord-node)
}
