//! Sync's Prometheus metrics: what the progress line says, for dashboards.

use crate::range::ChainEnd;
use crate::SegmentOutcome;
use metrics::{Gauge, Histogram, IntCounter, IntCounterVec, IntGauge};
use std::sync::LazyLock;

static DISTANCE: LazyLock<IntGauge> = LazyLock::new(|| {
    metrics::int_gauge(
        "sync_distance_slots",
        "Slots between our head and the best peer's while range sync runs (0 otherwise)",
    )
});
static BLOCKS_PER_SECOND: LazyLock<Gauge> = LazyLock::new(|| {
    metrics::gauge(
        "sync_blocks_per_second",
        "Blocks imported per second by range sync, smoothed over the last intervals",
    )
});
static BLOCKS_IMPORTED: LazyLock<IntCounter> = LazyLock::new(|| {
    metrics::int_counter(
        "sync_blocks_imported_total",
        "Blocks imported through range sync",
    )
});
static SEGMENTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    metrics::int_counter_vec(
        "sync_segments_total",
        "Range sync batches processed, by outcome (imported, parent_unknown, invalid, failed)",
        &["outcome"],
    )
});
static CHAINS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    metrics::int_counter_vec(
        "sync_chains_total",
        "Range sync chains, by how they ended (started, completed, failed, no_peers)",
        &["event"],
    )
});

static BATCH_DOWNLOAD: LazyLock<Histogram> = LazyLock::new(|| {
    metrics::duration_histogram(
        "sync_batch_download_seconds",
        "Range sync batches, from the request to the whole answer (downloads overlap processing)",
    )
});

/// A range answer arrived `seconds` after its request.
pub(crate) fn observe_download(seconds: f64) {
    BATCH_DOWNLOAD.observe(seconds);
}

pub(crate) fn observe_segment(outcome: &SegmentOutcome) {
    BLOCKS_IMPORTED.inc_by(outcome.imported() as u64);
    let label = match outcome {
        SegmentOutcome::Imported { .. } => "imported",
        SegmentOutcome::ParentUnknown { .. } => "parent_unknown",
        SegmentOutcome::Invalid { .. } => "invalid",
        SegmentOutcome::Failed { .. } => "failed",
    };
    SEGMENTS.with_label_values(&[label]).inc();
}

pub(crate) fn set_progress(distance: u64, blocks_per_second: f64) {
    DISTANCE.set(distance.min(i64::MAX as u64) as i64);
    BLOCKS_PER_SECOND.set(blocks_per_second);
}

pub(crate) fn chain_started() {
    CHAINS.with_label_values(&["started"]).inc();
}

pub(crate) fn chain_ended(end: ChainEnd) {
    let label = match end {
        ChainEnd::Completed => "completed",
        ChainEnd::Failed => "failed",
        ChainEnd::NoPeers => "no_peers",
    };
    CHAINS.with_label_values(&[label]).inc();
    if end != ChainEnd::Failed {
        DISTANCE.set(0);
    }
}

static BACKFILL_OLDEST: LazyLock<IntGauge> = LazyLock::new(|| {
    metrics::int_gauge(
        "sync_backfill_oldest_slot",
        "The oldest slot block history reaches while backfill runs (0 once complete)",
    )
});

pub(crate) fn set_backfill(oldest_slot: u64) {
    BACKFILL_OLDEST.set(oldest_slot.min(i64::MAX as u64) as i64);
}
