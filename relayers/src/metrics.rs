//! The relayer's Prometheus metrics, served at `http://<metrics>/metrics`.

use substrate_prometheus_endpoint::{
	register, CounterVec, GaugeVec, Opts, PrometheusError, Registry, U64,
};

/// Every metric the relayer exports; labels are `chain` (Concord chain id), `stage`
/// (committed / proven / executed) and `role`.
#[derive(Clone)]
pub struct Metrics {
	pub registry: Registry,
	/// The last batch each L1 contract committed / proved / executed (latest block).
	pub l1_batch: GaugeVec<U64>,
	/// How many sealed appchain batches each L1 has not executed yet.
	pub l1_lag: GaugeVec<U64>,
	/// Appchain figures at the last finalized block: `last_sealed`, `last_proven`,
	/// `last_synced`, `finalized_block`.
	pub appchain: GaugeVec<U64>,
	/// Errors by role and chain (`-` when not about one chain).
	pub errors: CounterVec<U64>,
	/// L1 transactions that reverted, by chain and function.
	pub reverts: CounterVec<U64>,
	/// Transactions sent: appchain extrinsics and L1 transactions, by kind.
	pub sent: CounterVec<U64>,
	/// Mismatches the auditor found, by chain (`appchain` for the appchain's own records).
	pub audit_mismatches: CounterVec<U64>,
	/// The last batch the auditor checked.
	pub audited: GaugeVec<U64>,
}

impl Metrics {
	pub fn new() -> Result<Metrics, PrometheusError> {
		let registry = Registry::new_custom(Some("concord_relayer".into()), None)?;
		let gauge = |name: &str, help: &str, labels: &[&str]| {
			register(GaugeVec::new(Opts::new(name, help), labels)?, &registry)
		};
		let counter = |name: &str, help: &str, labels: &[&str]| {
			register(CounterVec::new(Opts::new(name, help), labels)?, &registry)
		};
		Ok(Metrics {
			l1_batch: gauge(
				"l1_batch",
				"Last batch an L1 contract reached, by stage",
				&["chain", "stage"],
			)?,
			l1_lag: gauge(
				"l1_lag_batches",
				"Sealed batches an L1 has not executed",
				&["chain"],
			)?,
			appchain: gauge(
				"appchain",
				"Appchain figures at the finalized block",
				&["figure"],
			)?,
			errors: counter(
				"errors_total",
				"Errors by role and chain",
				&["role", "chain"],
			)?,
			reverts: counter(
				"l1_reverts_total",
				"L1 transactions that reverted",
				&["chain", "call"],
			)?,
			sent: counter("sent_total", "Transactions sent, by kind", &["kind"])?,
			audit_mismatches: counter(
				"audit_mismatches_total",
				"Mismatches between recomputed and recorded batch data",
				&["chain"],
			)?,
			audited: gauge(
				"audited_batch",
				"Last batch the auditor checked",
				&["source"],
			)?,
			registry,
		})
	}

	/// The metrics in Prometheus' text format (what `/metrics` serves).
	pub fn render(&self) -> String {
		use substrate_prometheus_endpoint::prometheus::{Encoder, TextEncoder};
		let mut out = Vec::new();
		TextEncoder::new()
			.encode(&self.registry.gather(), &mut out)
			.expect("text encoding of gathered metrics does not fail");
		String::from_utf8(out).expect("the text format is UTF-8")
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn metrics_render_with_their_labels() {
		let metrics = Metrics::new().unwrap();
		metrics
			.l1_batch
			.with_label_values(&["1", "executed"])
			.set(7);
		metrics.errors.with_label_values(&["watcher", "2"]).inc();
		let text = metrics.render();
		assert!(
			text.contains("concord_relayer_l1_batch{chain=\"1\",stage=\"executed\"} 7"),
			"{text}"
		);
		assert!(
			text.contains("concord_relayer_errors_total{chain=\"2\",role=\"watcher\"} 1"),
			"{text}"
		);
	}
}
