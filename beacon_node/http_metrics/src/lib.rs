//! The beacon node's Prometheus endpoint, on its own address so that it can be exposed to a
//! monitoring network without exposing the REST API.
//!
//! `GET /metrics` answers in the Prometheus text format. The chain's position (head,
//! justification, finality, validators, deposits) is read from the canonical head when the
//! scrape arrives rather than pushed on every change: a scrape every few seconds costs less
//! than updating gauges on every block, and it is never stale.

use beacon_chain::{BeaconChain, CanonicalHead};
use metrics::IntGauge;
use state_processing::helpers::accessors::get_active_validator_count;
use state_processing::per_epoch_processing::participation::target_participation;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};
use types::{EthSpec, Hash256};
use warp::Filter;

/// Gauges of the chain's position, set at each scrape.
struct ChainGauges {
    head_slot: IntGauge,
    head_epoch: IntGauge,
    current_slot: IntGauge,
    finalized_epoch: IntGauge,
    current_justified_epoch: IntGauge,
    previous_justified_epoch: IntGauge,
    processed_deposits: IntGauge,
    validators: IntGauge,
    active_validators: IntGauge,
    prev_epoch_target_attesting_gwei: IntGauge,
    prev_epoch_active_gwei: IntGauge,
}

static GAUGES: LazyLock<ChainGauges> = LazyLock::new(|| ChainGauges {
    head_slot: metrics::int_gauge("beacon_head_slot", "Slot of the head block"),
    head_epoch: metrics::int_gauge("beacon_head_epoch", "Epoch of the head block"),
    current_slot: metrics::int_gauge("slotclock_present_slot", "The wall clock's slot"),
    finalized_epoch: metrics::int_gauge(
        "beacon_finalized_epoch",
        "Epoch of the finalized checkpoint (fork choice)",
    ),
    current_justified_epoch: metrics::int_gauge(
        "beacon_current_justified_epoch",
        "Epoch of the head state's current justified checkpoint",
    ),
    previous_justified_epoch: metrics::int_gauge(
        "beacon_previous_justified_epoch",
        "Epoch of the head state's previous justified checkpoint",
    ),
    processed_deposits: metrics::int_gauge(
        "beacon_processed_deposits_total",
        "Deposits processed by the head state (eth1_deposit_index)",
    ),
    validators: metrics::int_gauge(
        "beacon_current_validators",
        "Validators in the head state's registry",
    ),
    active_validators: metrics::int_gauge(
        "beacon_current_active_validators",
        "Validators active in the head state's epoch",
    ),
    prev_epoch_target_attesting_gwei: metrics::int_gauge(
        "beacon_participation_prev_epoch_target_attesting_gwei",
        "Effective balance of the head state's previous-epoch attesters to the correct target",
    ),
    prev_epoch_active_gwei: metrics::int_gauge(
        "beacon_participation_prev_epoch_active_gwei",
        "Total active balance of the head state (the justification threshold's denominator)",
    ),
});

/// The participation of the last head scraped: recomputed only when the head moves, so a
/// scrape every second costs one attestation walk per block, not per scrape.
static PARTICIPATION: Mutex<Option<(Hash256, (u64, u64))>> = Mutex::new(None);

/// Previous-epoch target participation of the head state, from the cache when the head is the same.
fn head_participation<E: EthSpec>(
    chain: &BeaconChain<E>,
    head: &CanonicalHead<E>,
) -> Option<(u64, u64)> {
    let root = head.block_root;
    let mut cached = PARTICIPATION.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((cached_root, value)) = *cached {
        if cached_root == root {
            return Some(value);
        }
    }
    let value = target_participation(&head.state, head.state.previous_epoch(), &chain.spec).ok()?;
    *cached = Some((root, value));
    Some(value)
}

fn as_gauge(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Read the chain's position into the gauges.
fn scrape_chain<E: EthSpec>(chain: &BeaconChain<E>) {
    let gauges = &*GAUGES;
    let head = chain.head();
    let state = &head.state;
    let head_epoch = BeaconChain::<E>::epoch_of(head.slot());
    gauges.head_slot.set(as_gauge(head.slot()));
    gauges.head_epoch.set(as_gauge(head_epoch));
    if let Ok(slot) = chain.current_slot() {
        gauges.current_slot.set(as_gauge(slot));
    }
    gauges
        .finalized_epoch
        .set(as_gauge(chain.finalized_checkpoint().epoch));
    gauges
        .current_justified_epoch
        .set(as_gauge(state.current_justified_checkpoint.epoch));
    gauges
        .previous_justified_epoch
        .set(as_gauge(state.previous_justified_checkpoint.epoch));
    gauges
        .processed_deposits
        .set(as_gauge(state.eth1_deposit_index));
    gauges
        .validators
        .set(as_gauge(state.validators.len() as u64));
    let active = get_active_validator_count(state, head_epoch);
    gauges.active_validators.set(as_gauge(active));
    if let Some((attesting, active)) = head_participation(chain, &head) {
        gauges
            .prev_epoch_target_attesting_gwei
            .set(as_gauge(attesting));
        gauges.prev_epoch_active_gwei.set(as_gauge(active));
    }
}

/// Every metric in the Prometheus text format, with the chain's gauges fresh.
pub fn gather<E: EthSpec>(chain: Option<&BeaconChain<E>>) -> String {
    if let Some(chain) = chain {
        scrape_chain(chain);
    }
    metrics::gather_text()
}

/// Serve `GET /metrics` on `addr`; returns the bound address (port 0 picks a free one) and
/// the server future, which ends when `shutdown` resolves.
pub fn serve<E: EthSpec>(
    chain: Arc<BeaconChain<E>>,
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, impl std::future::Future<Output = ()>), String> {
    let route = warp::get().and(warp::path!("metrics")).and_then(move || {
        let chain = chain.clone();
        async move {
            // Reading the head and encoding take locks; keep them off the async workers.
            let text = tokio::task::spawn_blocking(move || gather(Some(&*chain)))
                .await
                .unwrap_or_default();
            Ok::<_, std::convert::Infallible>(warp::reply::with_header(
                text,
                "content-type",
                "text/plain; version=0.0.4; charset=utf-8",
            ))
        }
    });
    warp::serve(route)
        .try_bind_with_graceful_shutdown(addr, shutdown)
        .map_err(|e| format!("cannot listen on {addr}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_chain::harness::{AttestationMode, BeaconChainHarness};
    use beacon_chain::ChainStore;
    use types::{ChainSpec, MinimalEthSpec};

    #[test]
    fn a_scrape_reports_the_chains_position_and_import_timings() {
        let spec = ChainSpec::minimal();
        let store = ChainStore::<MinimalEthSpec>::open_ephemeral(
            Default::default(),
            Arc::new(spec.clone()),
        )
        .expect("store");
        let h = BeaconChainHarness::new(64, spec, Arc::new(store)).expect("harness");
        for slot in 1..=32 {
            h.advance_slot(slot, true, &|_| true, AttestationMode::Unaggregated)
                .expect("slot");
        }
        let text = gather(Some(&*h.chain));
        let value = |name: &str| -> Option<f64> {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        };
        assert_eq!(value("beacon_head_slot"), Some(32.0), "{text}");
        assert_eq!(value("beacon_finalized_epoch"), Some(2.0), "{text}");
        assert_eq!(value("beacon_current_justified_epoch"), Some(3.0), "{text}");
        assert_eq!(
            value("beacon_processed_deposits_total"),
            Some(64.0),
            "{text}"
        );
        assert_eq!(
            value("beacon_current_active_validators"),
            Some(64.0),
            "{text}"
        );
        assert_eq!(value("beacon_block_imported_total"), Some(32.0), "{text}");
        assert_eq!(
            value("beacon_block_import_seconds_count"),
            Some(32.0),
            "{text}"
        );
        assert!(
            text.contains("beacon_block_import_block_processing_seconds_bucket"),
            "{text}"
        );
        assert!(text.contains("process_resident_memory_bytes"), "{text}");
        // Every validator attested to the right target in epoch 3 (the harness's attesters
        // all vote the canonical head): attesting balance equals the active balance.
        let active = value("beacon_participation_prev_epoch_active_gwei").expect("active");
        assert_eq!(active, 64.0 * 32e9, "{text}");
        assert_eq!(
            value("beacon_participation_prev_epoch_target_attesting_gwei"),
            Some(active),
            "{text}"
        );
    }
}
