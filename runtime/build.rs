//! Builds the runtime's wasm blob (embedded in the node as `WASM_BINARY`).
fn main() {
	// The wasm builder watches the crates' sources only; the development verifying key is
	// embedded with `include_bytes!`, so a new key must rebuild the wasm blob too.
	println!("cargo:rerun-if-changed=res/dev-verifying.key");
	#[cfg(feature = "std")]
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}
