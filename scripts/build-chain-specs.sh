#!/usr/bin/env bash
# Regenerates chain-specs/dev.json and chain-specs/local.json (raw) from the runtime's
# genesis presets. Run it after changing a preset; `cargo test -p concord-node` fails while
# the committed files differ from what the node produces.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
build_node
for chain in dev local; do
	"$NODE_BIN" export-chain-spec --chain "$chain" --raw --output "$ROOT/chain-specs/$chain.json"
done
