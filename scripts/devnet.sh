#!/usr/bin/env bash
# Starts Concord for a newcomer: installs what is missing, builds, and runs the appchain dev
# node (Alice authors and finalizes) on loopback ports. Ctrl-C stops it.
#   JSON-RPC (HTTP + WebSocket): 127.0.0.1:9944   Prometheus: 127.0.0.1:9615
#   p2p: 127.0.0.1:30333
# State lives in a temporary directory and is gone when the node stops.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"
build_node

RPC_PORT="${CONCORD_RPC_PORT:-9944}"
log "starting concord-node --dev: ws://127.0.0.1:$RPC_PORT (Ctrl-C to stop)"
log "dev accounts (sr25519, 1,000,000 CORD each): //Alice (sudo, validator), //Bob, //Charlie, //Dave, //Eve, //Ferdie"
exec "$NODE_BIN" --dev --tmp \
	--rpc-port "$RPC_PORT" --rpc-cors all \
	--listen-addr /ip4/127.0.0.1/tcp/30333 \
	--prometheus-port 9615 \
	--no-telemetry --no-mdns
