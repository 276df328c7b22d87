#!/usr/bin/env bash
# The test command: installs what is missing, builds, then runs every test suite —
# Rust unit and integration tests (real node on loopback ports) and the JS tests
# (polkadot.js against the real node).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"

start=$(date +%s)
log "cargo test --workspace"
cargo test --locked --workspace

log "JS tests (node --test clients/js/test/*.test.mjs)"
CONCORD_NODE_BIN="$NODE_BIN" CONCORD_PROVER_BIN="$PROVER_BIN" CONCORD_DEVNET_BIN="$DEVNET_BIN" \
	node --test --test-concurrency=1 clients/js/test/*.test.mjs

log "all tests passed in $(( $(date +%s) - start )) s"
