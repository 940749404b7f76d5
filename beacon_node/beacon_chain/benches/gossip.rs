//! Gossip verification throughput at 16,384 validators (mainnet preset): a slot's
//! unaggregated attestations (512, one per attester) and an epoch's aggregates (one per
//! committee), verified one at a time as they would be without the work queue, and in the
//! batches of 64 the beacon processor hands out (one signature batch each).
//!
//! Every message votes for the genesis block with the clock at slot 31, so all are current;
//! the duplicate caches are cleared before each measured pass so the same messages are
//! verified in full every time. `FRESNEL_BENCH_VALIDATORS` overrides the size.

use beacon_chain::harness::{
    AttestationMode, BeaconChainHarness, ProducedAttestation, HARNESS_GENESIS_TIME,
};
use beacon_chain::ChainStore;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::StoreConfig;
use types::*;

type E = MainnetEthSpec;
const BATCH: usize = 64;

fn validator_count() -> u64 {
    std::env::var("FRESNEL_BENCH_VALIDATORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16_384)
}

fn bench(c: &mut Criterion) {
    let spec = ChainSpec::mainnet();
    let n = validator_count();
    let state =
        state_processing::genesis::interop_active_state::<E>(n, HARNESS_GENESIS_TIME, &spec)
            .expect("genesis");
    let store = Arc::new(
        ChainStore::<E>::open_ephemeral(StoreConfig::default(), Arc::new(spec.clone()))
            .expect("store"),
    );
    let h =
        BeaconChainHarness::<E>::from_genesis_state(state, Arc::new(spec), store).expect("harness");
    let slot = 31;
    h.set_slot(slot).expect("clock");
    let head = h.chain.head_block_root();
    let everyone = |_: u64| true;
    let attestations: Vec<(Attestation<E>, Option<u64>)> = h
        .make_attestations(slot, head, &everyone, AttestationMode::Unaggregated)
        .expect("attestations")
        .into_iter()
        .filter_map(|p| match p {
            ProducedAttestation::Unaggregated(a, subnet) => Some((a, Some(subnet))),
            ProducedAttestation::Aggregate(_) => None,
        })
        .collect();
    let aggregates: Vec<SignedAggregateAndProof<E>> = (1..=slot)
        .flat_map(|s| {
            h.make_attestations(s, head, &everyone, AttestationMode::Aggregated)
                .expect("aggregates")
        })
        .filter_map(|p| match p {
            ProducedAttestation::Aggregate(a) => Some(a),
            ProducedAttestation::Unaggregated(..) => None,
        })
        .collect();
    eprintln!(
        "{n} validators: {} attestations, {} aggregates",
        attestations.len(),
        aggregates.len()
    );
    // Warm the target state and committee caches.
    h.chain.clear_gossip_observations();
    let _ = h
        .chain
        .verify_unaggregated_attestation_for_gossip(attestations[0].0.clone(), attestations[0].1);

    let timed = |run: &dyn Fn()| -> Duration {
        h.chain.clear_gossip_observations();
        let start = Instant::now();
        run();
        start.elapsed()
    };
    let mut group = c.benchmark_group(format!("gossip_{n}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(attestations.len() as u64));
    group.bench_function("attestations_one_at_a_time", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    timed(&|| {
                        for (a, subnet) in &attestations {
                            h.chain
                                .verify_unaggregated_attestation_for_gossip(a.clone(), *subnet)
                                .expect("valid");
                        }
                    })
                })
                .sum()
        })
    });
    group.bench_function("attestations_batched_64", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    timed(&|| {
                        for chunk in attestations.chunks(BATCH) {
                            for r in h
                                .chain
                                .batch_verify_unaggregated_attestations(chunk.to_vec())
                            {
                                r.expect("valid");
                            }
                        }
                    })
                })
                .sum()
        })
    });
    group.throughput(Throughput::Elements(aggregates.len() as u64));
    group.bench_function("aggregates_one_at_a_time", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    timed(&|| {
                        for a in &aggregates {
                            h.chain
                                .verify_aggregated_attestation_for_gossip(a.clone())
                                .expect("valid");
                        }
                    })
                })
                .sum()
        })
    });
    group.bench_function("aggregates_batched_64", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    timed(&|| {
                        for chunk in aggregates.chunks(BATCH) {
                            for r in h.chain.batch_verify_aggregated_attestations(chunk.to_vec()) {
                                r.expect("valid");
                            }
                        }
                    })
                })
                .sum()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
