//! State-transition benchmarks at mainnet scale (mainnet preset): `process_epoch` with full
//! participation, and `process_block` of a block carrying MAX_ATTESTATIONS (128) aggregate
//! attestations of full committees, signed by the interop keys. Each at 16,384 and 262,144
//! validators.
//!
//! States are built directly (active interop validators), not through 262k deposits, and the
//! pre-states and blocks are cached as SSZ under `target/bench-cache/` so later runs start fast.
//! `FRESNEL_BENCH_VALIDATORS=16384` limits a run to one size.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rayon::prelude::*;
use ssz::{Decode, Encode};
use ssz_types::typenum::Unsigned;
use state_processing::helpers::accessors::{
    committee_cache, fill_pubkey_cache, get_beacon_proposer_index, get_domain,
};
use state_processing::{process_block, process_epoch, process_slots, VerifySignatures};
use std::path::PathBuf;
use std::time::Duration;
use tree_hash::TreeHash;
use types::signing::compute_signing_root;
use types::*;

type E = MainnetEthSpec;

fn cache_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-cache");
    std::fs::create_dir_all(&dir).expect("bench cache dir");
    dir
}

fn cached<T: Encode + Decode>(name: &str, build: impl FnOnce() -> T) -> T {
    let path = cache_dir().join(name);
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(value) = T::from_ssz_bytes(&bytes) {
            return value;
        }
    }
    let value = build();
    std::fs::write(&path, value.as_ssz_bytes()).expect("write bench cache");
    value
}

/// A genesis-like state of `n` active interop validators with full balances.
fn genesis_state(n: u64, spec: &ChainSpec) -> BeaconState<E> {
    cached(&format!("genesis-{n}.ssz"), || {
        state_processing::genesis::interop_active_state(n, 0, spec).expect("fits")
    })
}

/// The state advanced (empty slots) to `slot`.
fn state_at(n: u64, slot: Slot, spec: &ChainSpec) -> BeaconState<E> {
    cached(&format!("state-{n}-slot-{slot}.ssz"), || {
        let mut state = genesis_state(n, spec);
        process_slots(&mut state, slot, spec).expect("advance");
        state
    })
}

/// Attestation data for committee `index` at `slot`, as an honest validator of `state` makes it.
fn attestation_data(state: &BeaconState<E>, slot: Slot, index: u64) -> AttestationData {
    let epoch = slot / E::slots_per_epoch();
    let source = if epoch == state.current_epoch() {
        state.current_justified_checkpoint
    } else {
        state.previous_justified_checkpoint
    };
    let epoch_start = epoch * E::slots_per_epoch();
    let root_at = |s: Slot| {
        if s < state.slot {
            state.get_block_root_at_slot(s).expect("in history")
        } else {
            state.latest_block_header.tree_hash_root()
        }
    };
    AttestationData {
        slot,
        index,
        beacon_block_root: root_at(slot),
        source,
        target: Checkpoint {
            epoch,
            root: root_at(epoch_start),
        },
    }
}

/// A full-committee attestation signed by every member (aggregated).
fn signed_attestation(
    state: &BeaconState<E>,
    slot: Slot,
    index: u64,
    spec: &ChainSpec,
) -> Attestation<E> {
    let data = attestation_data(state, slot, index);
    let cache = committee_cache(state, slot / E::slots_per_epoch(), spec).expect("committees");
    let committee = cache
        .get_beacon_committee(slot, index)
        .expect("committee")
        .to_vec();
    let domain = get_domain(state, spec.domain_beacon_attester, Some(data.target.epoch));
    let signing_root = compute_signing_root(&data, domain);
    let signatures: Vec<Signature> = committee
        .par_iter()
        .map(|&v| eth2_interop_keypairs::interop_secret_key(v).sign(signing_root.as_slice()))
        .collect();
    let refs: Vec<&Signature> = signatures.iter().collect();
    let aggregate = bls::AggregateSignature::aggregate(&refs).expect("non-empty committee");
    let mut bits = BitList::with_capacity(committee.len()).expect("committee fits");
    for i in 0..committee.len() {
        bits.set(i, true).expect("in range");
    }
    Attestation {
        aggregation_bits: bits,
        data,
        signature: SignatureBytes::from_array(aggregate.serialize()),
    }
}

/// A block at `state.slot` (the state already advanced to it) with MAX_ATTESTATIONS full
/// attestations from the most recent slots, a valid RANDAO reveal and proposer signature.
fn full_block(state: &BeaconState<E>, spec: &ChainSpec) -> SignedBeaconBlock<E> {
    let mut attestations = Vec::new();
    let mut slot = state.slot;
    let max = <E as EthSpec>::MaxAttestations::to_usize();
    while attestations.len() < max && slot > 0 {
        slot -= 1;
        let per_slot = committee_cache(state, slot / E::slots_per_epoch(), spec)
            .expect("committees")
            .committees_per_slot();
        for index in 0..per_slot {
            if attestations.len() < max {
                attestations.push(signed_attestation(state, slot, index, spec));
            }
        }
    }
    let proposer = get_beacon_proposer_index(state, spec).expect("proposer");
    let proposer_key = eth2_interop_keypairs::interop_secret_key(proposer);
    let epoch = state.current_epoch();
    let randao_domain = get_domain(state, spec.domain_randao, Some(epoch));
    let randao_reveal = proposer_key.sign(compute_signing_root(&epoch, randao_domain).as_slice());
    let mut block = BeaconBlock::<E> {
        slot: state.slot,
        proposer_index: proposer,
        parent_root: state.latest_block_header.tree_hash_root(),
        state_root: Hash256::ZERO,
        body: BeaconBlockBody {
            randao_reveal: SignatureBytes::from_array(randao_reveal.serialize()),
            eth1_data: state.eth1_data,
            attestations: VariableList::new(attestations).expect("at most MAX_ATTESTATIONS"),
            ..Default::default()
        },
    };
    let mut post = state.clone();
    process_block(&mut post, &block, VerifySignatures::Individually, spec)
        .expect("the block is valid");
    block.state_root = post.update_tree_hash_cache();
    let domain = get_domain(state, spec.domain_beacon_proposer, Some(epoch));
    let signature = proposer_key.sign(compute_signing_root(&block, domain).as_slice());
    SignedBeaconBlock {
        message: block,
        signature: SignatureBytes::from_array(signature.serialize()),
    }
}

/// A state at the last slot of an epoch whose previous and current epoch attestations are full:
/// every committee of every slot attested with every bit set.
fn epoch_state(n: u64, spec: &ChainSpec) -> BeaconState<E> {
    let last_slot = 4 * E::slots_per_epoch() - 1;
    cached(&format!("epoch-{n}.ssz"), || {
        let mut state = state_at(n, last_slot, spec);
        for (epoch, current) in [
            (state.previous_epoch(), false),
            (state.current_epoch(), true),
        ] {
            let start = epoch * E::slots_per_epoch();
            for slot in start..start + E::slots_per_epoch() {
                if slot >= state.slot {
                    continue;
                }
                let cache = committee_cache(&state, epoch, spec).expect("committees");
                for index in 0..cache.committees_per_slot() {
                    let size = cache
                        .get_beacon_committee(slot, index)
                        .expect("committee")
                        .len();
                    let mut bits = BitList::with_capacity(size).expect("fits");
                    for i in 0..size {
                        bits.set(i, true).expect("in range");
                    }
                    let pending = PendingAttestation {
                        aggregation_bits: bits,
                        data: attestation_data(&state, slot, index),
                        inclusion_delay: 1,
                        proposer_index: 0,
                    };
                    let list = if current {
                        &mut state.current_epoch_attestations
                    } else {
                        &mut state.previous_epoch_attestations
                    };
                    list.push(pending).expect("fits");
                }
            }
        }
        state
    })
}

fn sizes() -> Vec<u64> {
    match std::env::var("FRESNEL_BENCH_VALIDATORS") {
        Ok(v) => v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) => vec![16_384, 262_144],
    }
}

fn bench_epoch(c: &mut Criterion) {
    let spec = ChainSpec::mainnet();
    let mut group = c.benchmark_group("process_epoch");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for n in sizes() {
        let state = epoch_state(n, &spec);
        // Warm: committee caches built, as a node's head state has them.
        let warm = {
            let s = state.clone();
            committee_cache(&s, s.previous_epoch(), &spec).expect("committees");
            committee_cache(&s, s.current_epoch(), &spec).expect("committees");
            committee_cache(&s, s.current_epoch() + 1, &spec).expect("committees");
            s
        };
        group.bench_function(format!("{n}/warm_caches"), |b| {
            b.iter_batched(
                || warm.clone(),
                |mut s| process_epoch(&mut s, &spec).expect("epoch"),
                BatchSize::LargeInput,
            )
        });
        group.bench_function(format!("{n}/cold_caches"), |b| {
            b.iter_batched(
                || {
                    let mut s = state.clone();
                    s.caches.clear_committees();
                    s
                },
                |mut s| process_epoch(&mut s, &spec).expect("epoch"),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn bench_block(c: &mut Criterion) {
    let spec = ChainSpec::mainnet();
    let mut group = c.benchmark_group("process_block_128_attestations");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for n in sizes() {
        // Slot 100 of epoch 3: with 16,384 validators 128 attestations span 32 slots.
        let pre = state_at(n, 3 * E::slots_per_epoch() + 4, &spec);
        let block = cached(&format!("block-{n}.ssz"), || full_block(&pre, &spec));
        let warm = {
            let s = pre.clone();
            fill_pubkey_cache(&s);
            for epoch in [s.previous_epoch(), s.current_epoch()] {
                committee_cache(&s, epoch, &spec).expect("committees");
            }
            s
        };
        for (name, verify) in [
            ("batch", VerifySignatures::Batch),
            ("individually", VerifySignatures::Individually),
            ("no_signatures", VerifySignatures::None),
        ] {
            group.bench_function(format!("{n}/{name}"), |b| {
                b.iter_batched(
                    || warm.clone(),
                    |mut s| {
                        process_block(&mut s, &block.message, verify, &spec).expect("valid block")
                    },
                    BatchSize::LargeInput,
                )
            });
        }
        group.bench_function(format!("{n}/batch_plus_state_root"), |b| {
            b.iter_batched(
                || {
                    let mut s = warm.clone();
                    s.update_tree_hash_cache();
                    s
                },
                |mut s| {
                    process_block(&mut s, &block.message, VerifySignatures::Batch, &spec)
                        .expect("valid");
                    s.update_tree_hash_cache()
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_epoch, bench_block);
criterion_main!(benches);
