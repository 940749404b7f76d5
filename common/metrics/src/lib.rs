//! Prometheus metrics over the `prometheus` crate's process-wide registry, which also holds the
//! process collector (CPU, memory, open files, start time).
//!
//! Metrics are statics (`LazyLock`) created on first use. Creation never fails the caller: a
//! name that cannot be registered (a clash) yields a working metric that is simply not exported,
//! because a metrics mistake must not stop a node.

use prometheus::{Encoder, TextEncoder};
pub use prometheus::{
    Gauge, Histogram, HistogramTimer, HistogramVec, IntCounter, IntCounterVec, IntGauge,
};

/// Buckets for durations of a few milliseconds to a few seconds (block import and its parts).
pub const DURATION_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];

fn register<C: prometheus::core::Collector + Clone + 'static>(metric: C) -> C {
    let _ = prometheus::register(Box::new(metric.clone()));
    metric
}

/// A gauge of integers.
pub fn int_gauge(name: &str, help: &str) -> IntGauge {
    let gauge = IntGauge::new(name, help)
        .unwrap_or_else(|_| IntGauge::new("invalid_metric_name", "invalid").expect("valid name"));
    register(gauge)
}

/// A gauge of floats.
pub fn gauge(name: &str, help: &str) -> Gauge {
    let gauge = Gauge::new(name, help)
        .unwrap_or_else(|_| Gauge::new("invalid_metric_name", "invalid").expect("valid name"));
    register(gauge)
}

/// A counter.
pub fn int_counter(name: &str, help: &str) -> IntCounter {
    let counter = IntCounter::new(name, help)
        .unwrap_or_else(|_| IntCounter::new("invalid_metric_name", "invalid").expect("valid name"));
    register(counter)
}

/// A counter with labels.
pub fn int_counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let counter =
        IntCounterVec::new(prometheus::Opts::new(name, help), labels).unwrap_or_else(|_| {
            IntCounterVec::new(
                prometheus::Opts::new("invalid_metric_name", "invalid"),
                labels,
            )
            .expect("valid name")
        });
    register(counter)
}

/// A histogram of durations in seconds.
pub fn duration_histogram(name: &str, help: &str) -> Histogram {
    let opts = prometheus::HistogramOpts::new(name, help).buckets(DURATION_BUCKETS.to_vec());
    let histogram = Histogram::with_opts(opts).unwrap_or_else(|_| {
        Histogram::with_opts(prometheus::HistogramOpts::new(
            "invalid_metric_name",
            "invalid",
        ))
        .expect("valid name")
    });
    register(histogram)
}

/// A histogram of durations in seconds, with labels.
pub fn duration_histogram_vec(name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let opts = prometheus::HistogramOpts::new(name, help).buckets(DURATION_BUCKETS.to_vec());
    let histogram = HistogramVec::new(opts, labels).unwrap_or_else(|_| {
        HistogramVec::new(
            prometheus::HistogramOpts::new("invalid_metric_name", "invalid"),
            labels,
        )
        .expect("valid name")
    });
    register(histogram)
}

/// Every registered metric in the Prometheus text format.
pub fn gather_text() -> String {
    let mut buffer = Vec::new();
    // Encoding into a Vec cannot fail for well-formed metric families.
    let _ = TextEncoder::new().encode(&prometheus::gather(), &mut buffer);
    String::from_utf8(buffer).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_metrics_are_exported_and_clashes_are_harmless() {
        let gauge = int_gauge("metrics_test_gauge", "a test gauge");
        gauge.set(42);
        let clash = int_gauge("metrics_test_gauge", "the same name again");
        clash.set(7);
        let histogram = duration_histogram("metrics_test_seconds", "a test histogram");
        histogram.observe(0.003);
        let text = gather_text();
        assert!(text.contains("metrics_test_gauge 42"), "{text}");
        assert!(
            text.contains("metrics_test_seconds_bucket{le=\"0.005\"} 1"),
            "{text}"
        );
        let bad = int_gauge("not a valid name", "x");
        bad.set(1);
    }
}
