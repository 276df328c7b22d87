#!/usr/bin/env bash
# Installs what a fresh machine lacks to build, run and test Concord. Idempotent: every step
# checks first and does nothing when the tool is already there.
#   - apt: protobuf-compiler (litep2p's build script runs protoc), clang + libclang-dev (bindgen)
#   - rustup (when missing) and the toolchain pinned in rust-toolchain.toml, with
#     wasm32-unknown-unknown, rust-src, rustfmt and clippy
#   - npm: the packages pinned in package.json / package-lock.json (anvil, solc, polkadot.js, circomlibjs)
#
# `setup.sh --toolchain` installs only rustup and the toolchain (CI runs it against empty
# RUSTUP_HOME and CARGO_HOME to prove that a new machine gets a working toolchain).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

install_apt_packages() {
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
}

# rustup itself, when the machine has none: rustup-init from static.rust-lang.org (checked
# against its published SHA-256), into $CARGO_HOME (default ~/.cargo) without touching the
# shell's profile; scripts/lib.sh puts $CARGO_HOME/bin on the PATH of every script.
install_rustup() {
	local dist=https://static.rust-lang.org/rustup/dist/x86_64-unknown-linux-gnu
	local tmp
	tmp=$(mktemp -d)
	log "installing rustup from $dist"
	curl --proto '=https' --tlsv1.2 -sSf -o "$tmp/rustup-init" "$dist/rustup-init"
	curl --proto '=https' --tlsv1.2 -sSf -o "$tmp/rustup-init.sha256" "$dist/rustup-init.sha256"
	(cd "$tmp" && echo "$(cut -d' ' -f1 rustup-init.sha256)  rustup-init" | sha256sum -c --quiet -) \
		|| { echo "[setup] rustup-init does not match its published SHA-256" >&2; exit 1; }
	chmod +x "$tmp/rustup-init"
	"$tmp/rustup-init" -y --quiet --no-modify-path --profile minimal --default-toolchain none
	rm -rf "$tmp"
}

# The toolchain pinned in rust-toolchain.toml, with the wasm target and the components the
# runtime build (rust-src) and the checks (rustfmt, clippy) need.
install_toolchain() {
	command -v rustup >/dev/null 2>&1 || install_rustup
	local toolchain
	toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
	if ! rustup target list --installed --toolchain "$toolchain" 2>/dev/null | grep -qx wasm32-unknown-unknown \
		|| ! rustup component list --installed --toolchain "$toolchain" 2>/dev/null | grep -q '^rust-src'; then
		log "installing Rust $toolchain with wasm32-unknown-unknown, rust-src, rustfmt and clippy"
		# rustup reads every word after `--component` up to the next flag as a toolchain name:
		# components and targets go comma-separated.
		rustup toolchain install "$toolchain" --profile minimal \
			--target wasm32-unknown-unknown --component rust-src,rustfmt,clippy
		# An already-installed toolchain keeps its old component set on `install`; add them.
		rustup target add --toolchain "$toolchain" wasm32-unknown-unknown
		rustup component add --toolchain "$toolchain" rust-src rustfmt clippy
	fi
}

install_node_packages() {
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
}

case "${1:-}" in
--toolchain)
	install_toolchain
	;;
"")
	install_apt_packages
	install_toolchain
	install_node_packages
	;;
*)
	echo "usage: scripts/setup.sh [--toolchain]" >&2
	exit 2
	;;
esac
