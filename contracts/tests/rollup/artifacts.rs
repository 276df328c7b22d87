use concord_contracts::tools::build_contracts;

/// The committed artifacts are what the pinned solc makes of the committed sources.
#[test]
fn committed_artifacts_match_the_sources() {
	let output = build_contracts(&["--check"]).unwrap_or_else(|error| panic!("{error}"));
	assert!(output.contains("matches"), "{output}");
}
