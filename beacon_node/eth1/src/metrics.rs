//! The follower's Prometheus metrics.

use metrics::{IntCounter, IntGauge};
use std::sync::LazyLock;

pub(crate) static DEPOSITS: LazyLock<IntGauge> = LazyLock::new(|| {
    metrics::int_gauge(
        "eth1_deposit_cache_len",
        "Deposits held by the eth1 follower",
    )
});
pub(crate) static BLOCKS: LazyLock<IntGauge> = LazyLock::new(|| {
    metrics::int_gauge(
        "eth1_block_cache_len",
        "Eth1 blocks held for eth1 data votes",
    )
});
pub(crate) static LATEST_BLOCK: LazyLock<IntGauge> = LazyLock::new(|| {
    metrics::int_gauge(
        "eth1_latest_cached_block_number",
        "The newest eth1 block the follower has processed (ETH1_FOLLOW_DISTANCE behind the eth1 head)",
    )
});
pub(crate) static ENDPOINT_ERRORS: LazyLock<IntCounter> = LazyLock::new(|| {
    metrics::int_counter(
        "eth1_endpoint_errors_total",
        "Eth1 endpoint requests that failed (unreachable, wrong chain, bad answers)",
    )
});
