//! The network's Prometheus metrics.

use crate::peer_manager::PeerAction;
use metrics::{Gauge, IntCounterVec, IntGauge};
use std::sync::LazyLock;

pub static PEERS: LazyLock<IntGauge> =
    LazyLock::new(|| metrics::int_gauge("libp2p_peers", "Connected libp2p peers"));
pub static GOSSIP_MESSAGES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    metrics::int_counter_vec(
        "gossipsub_messages_total",
        "Gossip messages received, by topic and outcome (accept, reject, ignore, undecodable, dropped)",
        &["topic", "outcome"],
    )
});
pub static GOSSIP_PUBLISHED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    metrics::int_counter_vec(
        "gossipsub_published_total",
        "Gossip messages this node published, by topic and outcome",
        &["topic", "outcome"],
    )
});
pub static RPC_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    metrics::int_counter_vec(
        "rpc_requests_total",
        "Req/resp requests, by method, direction (inbound, outbound) and outcome",
        &["method", "direction", "outcome"],
    )
});
pub static PEER_PENALTIES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    metrics::int_counter_vec(
        "peer_penalties_total",
        "Penalties given to peers, by severity",
        &["severity"],
    )
});
pub static PEER_SCORE_MIN: LazyLock<Gauge> =
    LazyLock::new(|| metrics::gauge("peer_score_min", "The lowest score among connected peers"));
pub static DISCOVERY_TABLE: LazyLock<IntGauge> = LazyLock::new(|| {
    metrics::int_gauge("discovery_table_size", "Nodes in the discv5 routing table")
});

pub fn observe_gossip(topic: &str, outcome: &str) {
    GOSSIP_MESSAGES.with_label_values(&[topic, outcome]).inc();
}

pub fn observe_published(topic: &str, outcome: &str) {
    GOSSIP_PUBLISHED.with_label_values(&[topic, outcome]).inc();
}

pub fn observe_rpc(method: &str, direction: &str, outcome: &str) {
    RPC_REQUESTS
        .with_label_values(&[method, direction, outcome])
        .inc();
}

pub fn observe_penalty(action: PeerAction) {
    let label = match action {
        PeerAction::Fatal => "fatal",
        PeerAction::LowTolerance => "low_tolerance",
        PeerAction::MidTolerance => "mid_tolerance",
        PeerAction::HighTolerance => "high_tolerance",
    };
    PEER_PENALTIES.with_label_values(&[label]).inc();
}
