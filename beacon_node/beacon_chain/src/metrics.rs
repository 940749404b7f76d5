//! The chain's Prometheus metrics: block import counts and where import time goes. Gauges of
//! the chain's position (head, justified, finalized) are read at scrape time by `http_metrics`.

use crate::block_verification::ImportTimings;
use crate::chain_segment::SegmentTimings;
use metrics::{Histogram, HistogramVec, IntCounter, IntCounterVec};
use std::sync::LazyLock;

static BLOCKS_IMPORTED: LazyLock<IntCounter> = LazyLock::new(|| {
    metrics::int_counter(
        "beacon_block_imported_total",
        "Blocks imported into the chain",
    )
});
static BLOCKS_REJECTED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    metrics::int_counter_vec(
        "beacon_block_rejected_total",
        "Blocks not imported, by reason",
        &["reason"],
    )
});
static IMPORT_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    metrics::duration_histogram(
        "beacon_block_import_seconds",
        "Whole block import: checks, state transition, fork choice, database write, head",
    )
});

/// One histogram per import stage, in the order the stages run.
static STAGE_SECONDS: LazyLock<[Histogram; 8]> = LazyLock::new(|| {
    let stage = |name: &str, help: &str| metrics::duration_histogram(name, help);
    [
        stage(
            "beacon_block_import_gossip_checks_seconds",
            "Block import: gossip rules and the proposer signature",
        ),
        stage(
            "beacon_block_import_load_parent_state_seconds",
            "Block import: finding the parent's post-state",
        ),
        stage(
            "beacon_block_import_slot_processing_seconds",
            "Block import: process_slots up to the block's slot (epoch processing included)",
        ),
        stage(
            "beacon_block_import_block_processing_seconds",
            "Block import: process_block with batch signature verification",
        ),
        stage(
            "beacon_block_import_state_root_seconds",
            "Block import: the post-state's hash tree root",
        ),
        stage(
            "beacon_block_import_fork_choice_seconds",
            "Block import: fork choice on_block and the block's attestations",
        ),
        stage(
            "beacon_block_import_db_write_seconds",
            "Block import: the atomic database write",
        ),
        stage(
            "beacon_block_import_head_seconds",
            "Block import: recomputing the head (and finalization's migration)",
        ),
    ]
});

/// Record a successful import's timings.
pub(crate) fn observe_import(timings: &ImportTimings) {
    BLOCKS_IMPORTED.inc();
    let stages = [
        timings.gossip_checks,
        timings.load_parent_state,
        timings.slots,
        timings.block_processing,
        timings.state_root,
        timings.fork_choice,
        timings.store_write,
        timings.head,
    ];
    let mut total = 0.0;
    for (histogram, duration) in STAGE_SECONDS.iter().zip(stages) {
        let seconds = duration.as_secs_f64();
        histogram.observe(seconds);
        total += seconds;
    }
    IMPORT_SECONDS.observe(total);
}

/// Count a block that was not imported; `reason` is the error's variant name, a bounded set.
pub(crate) fn observe_rejection(reason: &str) {
    BLOCKS_REJECTED.with_label_values(&[reason]).inc();
}

static SEGMENT_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    metrics::duration_histogram(
        "beacon_chain_segment_import_seconds",
        "Chain segment import (sync): state transitions, one signature batch, fork choice, one database write, head",
    )
});
static SEGMENT_PART_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    metrics::duration_histogram_vec(
        "beacon_chain_segment_part_seconds",
        "Chain segment import, by part: state_transition, signatures (one batch), fork_choice, database (one write), head",
        &["part"],
    )
});

/// Record a chain segment's import: its blocks count as imported blocks.
pub(crate) fn observe_segment(imported: usize, timings: &SegmentTimings) {
    BLOCKS_IMPORTED.inc_by(imported as u64);
    let total = timings.state_transition
        + timings.signatures
        + timings.fork_choice
        + timings.store_write
        + timings.head;
    SEGMENT_SECONDS.observe(total.as_secs_f64());
    for (part, seconds) in [
        ("state_transition", timings.state_transition),
        ("signatures", timings.signatures),
        ("fork_choice", timings.fork_choice),
        ("database", timings.store_write),
        ("head", timings.head),
    ] {
        SEGMENT_PART_SECONDS
            .with_label_values(&[part])
            .observe(seconds.as_secs_f64());
    }
}
