#!/usr/bin/env bash
# Starts the whole Concord system for a newcomer: installs what is missing, builds, then runs
# `concord-devnet` — the appchain dev node, two anvil chains with the rollup contract and the
# generated verifier (dev proving key set up once and cached), their registration on the
# appchain, and a relayer with every role — and prints the endpoints and funded accounts.
# Everything listens on loopback; Ctrl-C stops every process it started.
#   appchain JSON-RPC 127.0.0.1:9944 (Prometheus 9615, p2p 30333)
#   chain A 127.0.0.1:8545 (EVM chain id 31001), chain B 127.0.0.1:8546 (31002)
#   relayer metrics 127.0.0.1:9616
# Options are passed on: ./scripts/devnet.sh --help
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"
build_node

exec "$DEVNET_BIN" "$@"
