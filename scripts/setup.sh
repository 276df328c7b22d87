#!/usr/bin/env bash
# Installs what a fresh machine lacks to build, run and test Concord. Idempotent: every step
# checks first and does nothing when the tool is already there.
#   - apt: protobuf-compiler (litep2p's build script runs protoc), clang + libclang-dev (bindgen)
#   - rustup: the toolchain pinned in rust-toolchain.toml, with wasm32-unknown-unknown and rust-src
#   - npm: the packages pinned in package.json / package-lock.json (anvil, solc, polkadot.js, circomlibjs)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

need_apt=()
command -v protoc >/dev/null 2>&1 || need_apt+=(protobuf-compiler)
command -v clang >/dev/null 2>&1 || need_apt+=(clang)
if ! ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 && ! ls /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1; then
	need_apt+=(libclang-dev)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
	log "installing apt packages: ${need_apt[*]}"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v rustup >/dev/null 2>&1; then
	echo "[setup] rustup is required (https://rustup.rs); install it and re-run" >&2
	exit 1
fi
# rust-toolchain.toml names the channel, target and components; `rustup show` installs them.
toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup target list --installed --toolchain "$toolchain" 2>/dev/null | grep -qx wasm32-unknown-unknown \
	|| ! rustup component list --installed --toolchain "$toolchain" 2>/dev/null | grep -q '^rust-src'; then
	log "installing Rust $toolchain with wasm32-unknown-unknown and rust-src"
	rustup toolchain install "$toolchain" --profile minimal \
		--target wasm32-unknown-unknown --component rust-src rustfmt clippy
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	log "installing Node.js and npm"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
# Reinstall only when the lock file changed since the last install.
stamp=node_modules/.concord-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
	log "installing npm packages (package-lock.json)"
	npm ci --no-audit --no-fund --loglevel=error
	cp package-lock.json "$stamp"
fi
