#!/usr/bin/env bash
# The test command: installs what is missing, builds, then runs every test suite —
# Rust unit and integration tests (real node on loopback ports) and the JS tests
# (polkadot.js against the real node).
#
# The suites run in two lanes at once. The zombienet network and the JS tests spend most of
# their time waiting for blocks, sealing intervals and L1 confirmations, so they run beside the
# CPU-bound Rust suites (circuits, contracts, pallets) instead of after them. Every test still
# runs; a failure in either lane fails the command and names the lane's log.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"

# The network tests the second lane runs one after the other; the first lane skips them by
# these names: the zombienet network, and a dead chain removed (the dev node, two anvils).
NETWORK_TEST=four_validators_and_three_oracle_relayers
DEAD_CHAIN_TEST=a_dead_chain_is_removed_and_the_others_sync_and_execute_again

start=$(date +%s)
log "cargo test --workspace --no-run (builds every test, the node and the tools)"
cargo test --locked --workspace --no-run

lane_log=$(mktemp -t concord-test-lane2.XXXXXX)
log "lane 2 (in the background, log $lane_log): zombienet network test, dead-chain test, then the JS tests"
CONCORD_NODE_BIN="$NODE_BIN" CONCORD_PROVER_BIN="$PROVER_BIN" CONCORD_DEVNET_BIN="$DEVNET_BIN" \
	setsid bash -euo pipefail -c '
	lane_start=$(date +%s)
	echo "[lane 2] cargo test --workspace --test network"
	cargo test --locked --workspace --test network -- --exact "$0"
	echo "[lane 2] cargo test --workspace --test journey -- --exact $1"
	cargo test --locked --workspace --test journey -- --exact "$1"
	echo "[lane 2] JS tests (node --test clients/js/test/*.test.mjs)"
	node --test --test-concurrency=1 clients/js/test/*.test.mjs
	echo "[lane 2] passed in $(( $(date +%s) - lane_start )) s"
' "$NETWORK_TEST" "$DEAD_CHAIN_TEST" >"$lane_log" 2>&1 &
lane_pid=$!
# Whatever ends this script ends the lane too (its own session: every process it started).
trap 'kill -- -"$lane_pid" 2>/dev/null || true' EXIT

show_lane() {
	log "lane 2 output ($lane_log):"
	cat "$lane_log"
}

log "lane 1: cargo test --workspace (everything but $NETWORK_TEST and $DEAD_CHAIN_TEST)"
if ! cargo test --locked --workspace -- --skip "$NETWORK_TEST" --skip "$DEAD_CHAIN_TEST"; then
	log "lane 1 failed; stopping lane 2"
	kill -- -"$lane_pid" 2>/dev/null || true
	wait "$lane_pid" 2>/dev/null || true
	show_lane
	exit 1
fi
log "lane 1 passed in $(( $(date +%s) - start )) s; waiting for lane 2"
lane_status=0
wait "$lane_pid" || lane_status=$?
show_lane
if [ "$lane_status" -ne 0 ]; then
	log "lane 2 failed (exit status $lane_status)"
	exit 1
fi

log "all tests passed in $(( $(date +%s) - start )) s"
