#!/usr/bin/env bash
# Proves that scripts/setup.sh gives a brand-new machine a working toolchain: runs its
# toolchain part with empty RUSTUP_HOME and CARGO_HOME (temporary directories) and no rustup
# on PATH, then checks that the pinned toolchain compiles for wasm32-unknown-unknown and has
# rust-src, rustfmt and clippy. Run by .ci/run; downloads about 150 MB.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
log "setup.sh --toolchain with empty RUSTUP_HOME and CARGO_HOME ($fresh)"
env -i HOME="$HOME" TMPDIR="${TMPDIR:-/tmp}" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	RUSTUP_HOME="$fresh/rustup" CARGO_HOME="$fresh/cargo" bash -euo pipefail -c '
	if command -v rustup >/dev/null 2>&1; then
		echo "a rustup is on the cleaned PATH ($(command -v rustup)): the check would not start from nothing" >&2
		exit 1
	fi
	./scripts/setup.sh --toolchain
	export PATH="$CARGO_HOME/bin:$PATH"
	pinned=$(sed -n "s/^channel *= *\"\(.*\)\"/\1/p" rust-toolchain.toml)
	rustc --version | grep -q "^rustc $pinned " \
		|| { echo "rustc is $(rustc --version), rust-toolchain.toml pins $pinned" >&2; exit 1; }
	sysroot=$(rustc --print sysroot)
	test -f "$sysroot/lib/rustlib/src/rust/library/core/src/lib.rs" \
		|| { echo "rust-src is missing from $sysroot" >&2; exit 1; }
	echo "#![no_std] pub fn next(x: u32) -> u32 { x + 1 }" > "$RUSTUP_HOME/../probe.rs"
	rustc --edition 2021 --crate-type rlib --target wasm32-unknown-unknown \
		-o "$RUSTUP_HOME/../probe.rlib" "$RUSTUP_HOME/../probe.rs"
	cargo fmt --version >/dev/null
	cargo clippy --version >/dev/null
	echo "toolchain $pinned from nothing: wasm32-unknown-unknown compiles; rust-src, rustfmt and clippy present"
'
