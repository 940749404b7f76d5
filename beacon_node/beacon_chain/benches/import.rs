//! Block import at 16,384 validators (mainnet preset): an epoch of full blocks (every
//! validator attests, one aggregate per committee, included at the next slot) imported into a
//! fresh chain on a sled database, as a node following the chain would.
//!
//! Criterion times the whole epoch's import, block by block (the gossip path) and as one chain
//! segment (sync's path: one signature batch, one database write); the run also prints where
//! each block's time went (gossip checks with the proposer signature, the parent state, empty
//! slots, block processing split into signature verification and state transition, the state
//! root, fork choice, the database write, the head update), and the segment's split.
//!
//! The genesis state is built directly (active interop validators) and the produced blocks are
//! cached under `target/bench-cache/`. `FRESNEL_BENCH_VALIDATORS` overrides the size.

use beacon_chain::harness::{AttestationMode, BeaconChainHarness, HARNESS_GENESIS_TIME};
use beacon_chain::{ChainStore, ImportTimings};
use criterion::{criterion_group, criterion_main, Criterion};
use ssz::{Decode, Encode};
use state_processing::{process_block, process_slots, VerifySignatures};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::StoreConfig;
use types::*;

type E = MainnetEthSpec;

fn validator_count() -> u64 {
    std::env::var("FRESNEL_BENCH_VALIDATORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16_384)
}

fn cache_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-cache");
    std::fs::create_dir_all(&dir).expect("bench cache dir");
    dir
}

/// A genesis state of `n` active interop validators with full balances.
fn genesis_state(n: u64, spec: &ChainSpec) -> BeaconState<E> {
    let path = cache_dir().join(format!("import-genesis-{n}.ssz"));
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(state) = BeaconState::<E>::from_ssz_bytes(&bytes) {
            return state;
        }
    }
    let state = state_processing::genesis::interop_active_state(n, HARNESS_GENESIS_TIME, spec)
        .expect("fits");
    std::fs::write(&path, state.as_ssz_bytes()).expect("write bench cache");
    state
}

fn ephemeral() -> Arc<ChainStore<E>> {
    Arc::new(
        ChainStore::<E>::open_ephemeral(StoreConfig::default(), Arc::new(ChainSpec::mainnet()))
            .expect("store"),
    )
}

/// The blocks of slots 1..=2 epochs, every validator attesting every slot.
fn produced_blocks(genesis: &BeaconState<E>, spec: &ChainSpec) -> Vec<SignedBeaconBlock<E>> {
    let n = genesis.validators.len();
    let path = cache_dir().join(format!("import-blocks-{n}.ssz"));
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(blocks) = Vec::<SignedBeaconBlock<E>>::from_ssz_bytes(&bytes) {
            return blocks;
        }
    }
    eprintln!("producing two epochs of blocks at {n} validators (cached afterwards)");
    let h = BeaconChainHarness::<E>::from_genesis_state(
        genesis.clone(),
        Arc::new(spec.clone()),
        ephemeral(),
    )
    .expect("harness");
    let mut blocks = Vec::new();
    for slot in 1..=2 * E::slots_per_epoch() {
        h.advance_slot(slot, true, &|_| true, AttestationMode::Aggregated)
            .expect("slot");
        let root = h.chain.head_block_root();
        blocks.push(h.chain.get_block(&root).expect("db").expect("block"));
    }
    std::fs::write(&path, blocks.as_ssz_bytes()).expect("write bench cache");
    blocks
}

/// A fresh chain on a sled database with the first epoch of blocks imported.
fn importer(
    genesis: &BeaconState<E>,
    warmup: &[SignedBeaconBlock<E>],
    spec: &ChainSpec,
    dir: &std::path::Path,
) -> BeaconChainHarness<E> {
    let store = Arc::new(
        ChainStore::<E>::open(dir, StoreConfig::default(), Arc::new(spec.clone())).expect("sled"),
    );
    let h =
        BeaconChainHarness::<E>::from_genesis_state(genesis.clone(), Arc::new(spec.clone()), store)
            .expect("harness");
    for block in warmup {
        h.set_slot(block.message.slot).expect("tick");
        h.chain
            .process_block(Arc::new(block.clone()))
            .expect("warm-up import");
    }
    h
}

#[derive(Default)]
struct Split {
    total: ImportTimings,
    signatures: Duration,
    transition: Duration,
    attestations: usize,
}

fn add(a: &mut ImportTimings, b: &ImportTimings) {
    a.gossip_checks += b.gossip_checks;
    a.load_parent_state += b.load_parent_state;
    a.slots += b.slots;
    a.block_processing += b.block_processing;
    a.state_root += b.state_root;
    a.fork_choice += b.fork_choice;
    a.store_write += b.store_write;
    a.head += b.head;
}

fn import_epoch(c: &mut Criterion) {
    let spec = ChainSpec::mainnet();
    let n = validator_count();
    let genesis = genesis_state(n, &spec);
    let blocks = produced_blocks(&genesis, &spec);
    let spe = E::slots_per_epoch() as usize;
    let (warmup, measured) = blocks.split_at(spe);

    // One instrumented pass for the split.
    let dir = tempfile::tempdir().expect("tempdir");
    let h = importer(&genesis, warmup, &spec, dir.path());
    let mut split = Split::default();
    for block in measured {
        h.set_slot(block.message.slot).expect("tick");
        // The state-transition share of block processing, without signatures, on a copy.
        let parent = h
            .chain
            .get_block_state(&block.message.parent_root)
            .expect("parent");
        let mut pre = (*parent.state).clone();
        process_slots(&mut pre, block.message.slot, &spec).expect("slots");
        let t = Instant::now();
        process_block(&mut pre, &block.message, VerifySignatures::None, &spec).expect("block");
        split.transition += t.elapsed();
        split.attestations += block.message.body.attestations.len();

        let t = Instant::now();
        let verified = beacon_chain::GossipVerifiedBlock::new(Arc::new(block.clone()), &h.chain)
            .expect("gossip checks");
        let gossip = t.elapsed();
        let (_, timings) = h
            .chain
            .import_block_with_timings(verified, gossip)
            .expect("import");
        add(&mut split.total, &timings);
    }
    let blocks_n = measured.len() as u32;
    split.signatures = split
        .total
        .block_processing
        .saturating_sub(split.transition);
    let per = |d: Duration| d / blocks_n;
    eprintln!(
        "\nimport split at {n} validators, mean per block over {blocks_n} blocks ({} attestations each):",
        split.attestations / blocks_n as usize
    );
    eprintln!(
        "  gossip checks (incl. proposer signature): {:?}",
        per(split.total.gossip_checks)
    );
    eprintln!(
        "  parent state:                             {:?}",
        per(split.total.load_parent_state)
    );
    eprintln!(
        "  empty slots / epoch transition:           {:?}",
        per(split.total.slots)
    );
    eprintln!(
        "  body signatures (batch):                  {:?}",
        per(split.signatures)
    );
    eprintln!(
        "  block state transition:                   {:?}",
        per(split.transition)
    );
    eprintln!(
        "  state root:                               {:?}",
        per(split.total.state_root)
    );
    eprintln!(
        "  fork choice (block + its attestations):   {:?}",
        per(split.total.fork_choice)
    );
    eprintln!(
        "  database write:                           {:?}",
        per(split.total.store_write)
    );
    eprintln!(
        "  head update:                              {:?}",
        per(split.total.head)
    );
    drop(h);

    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    group.bench_function(format!("epoch_of_full_blocks/{n}"), |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().expect("tempdir");
                let h = importer(&genesis, warmup, &spec, dir.path());
                let start = Instant::now();
                for block in measured {
                    h.set_slot(block.message.slot).expect("tick");
                    h.chain
                        .process_block(Arc::new(block.clone()))
                        .expect("import");
                }
                elapsed += start.elapsed();
            }
            elapsed
        })
    });
    // Sync's path: the same epoch as one chain segment.
    let segment: Vec<_> = measured.iter().map(|b| Arc::new(b.clone())).collect();
    let last_slot = measured.last().expect("blocks").message.slot;
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let h = importer(&genesis, warmup, &spec, dir.path());
        h.set_slot(last_slot).expect("tick");
        let start = Instant::now();
        let (result, t) = h.chain.process_chain_segment_with_timings(segment.clone());
        let elapsed = start.elapsed();
        assert!(
            matches!(result, beacon_chain::ChainSegmentResult::Successful { imported } if imported == measured.len()),
            "{result:?}"
        );
        eprintln!(
            "\nthe epoch as one chain segment at {n} validators: {:?} ({:.0} blocks/s)",
            elapsed,
            measured.len() as f64 / elapsed.as_secs_f64()
        );
        eprintln!(
            "  state transitions (slots, blocks, roots): {:?}",
            t.state_transition
        );
        eprintln!(
            "  signatures (one batch):                   {:?}",
            t.signatures
        );
        eprintln!(
            "  fork choice:                              {:?}",
            t.fork_choice
        );
        eprintln!(
            "  database write (one batch):               {:?}",
            t.store_write
        );
        eprintln!("  head update:                              {:?}", t.head);
    }
    group.bench_function(format!("epoch_as_chain_segment/{n}"), |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().expect("tempdir");
                let h = importer(&genesis, warmup, &spec, dir.path());
                h.set_slot(last_slot).expect("tick");
                let start = Instant::now();
                let result = h.chain.process_chain_segment(segment.clone());
                elapsed += start.elapsed();
                assert!(matches!(
                    result,
                    beacon_chain::ChainSegmentResult::Successful { .. }
                ));
            }
            elapsed
        })
    });
    group.finish();
}

criterion_group!(benches, import_epoch);
criterion_main!(benches);
