//! `BeaconState` hash_tree_root: the derived `tree_hash_root()` (everything hashed) against
//! `update_tree_hash_cache()` after one slot's and one epoch's worth of changes, on
//! mainnet-preset states of 16,384 and 262,144 validators (fake keys: no BLS involved).
//!
//! `cargo bench -p types --bench tree_hash`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tree_hash::TreeHash;
use types::typenum::Unsigned;
use types::{
    AttestationData, BeaconBlockHeader, BeaconState, BitList, Checkpoint, Eth1Data, EthSpec, Fork,
    Hash256, MainnetEthSpec, PendingAttestation, PublicKeyBytes, Validator, VariableList,
};

type E = MainnetEthSpec;

/// `MAX_ATTESTATIONS * SLOTS_PER_EPOCH`: the limit of each pending-attestation list.
const MAX_PENDING: usize = <<E as EthSpec>::MaxPendingAttestations as Unsigned>::USIZE;
/// Attestations per block at mainnet (`MAX_ATTESTATIONS`).
const ATTESTATIONS_PER_SLOT: usize = 128;
/// Bits per committee at these registry sizes (the committee size is 128 at both).
const COMMITTEE_SIZE: usize = 128;

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn hash(&mut self) -> Hash256 {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_exact_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        Hash256::from(bytes)
    }
}

fn validator(index: u64, rng: &mut Rng) -> Validator {
    // Distinct fake keys: the index in the first bytes, noise after.
    let mut pubkey = [0u8; 48];
    pubkey[..8].copy_from_slice(&index.to_le_bytes());
    for chunk in pubkey[8..].chunks_exact_mut(8) {
        chunk.copy_from_slice(&rng.next().to_le_bytes());
    }
    Validator {
        pubkey: PublicKeyBytes::from(pubkey),
        withdrawal_credentials: rng.hash(),
        effective_balance: 32_000_000_000 - (rng.next() % 4) * 1_000_000_000,
        slashed: false,
        activation_eligibility_epoch: 0,
        activation_epoch: 0,
        exit_epoch: u64::MAX,
        withdrawable_epoch: u64::MAX,
    }
}

fn attestation(slot: u64, rng: &mut Rng) -> PendingAttestation<E> {
    let mut bits = BitList::with_capacity(COMMITTEE_SIZE).unwrap();
    for i in 0..COMMITTEE_SIZE {
        bits.set(i, !rng.next().is_multiple_of(8)).unwrap();
    }
    PendingAttestation {
        aggregation_bits: bits,
        data: AttestationData {
            slot,
            index: rng.next() % 64,
            beacon_block_root: rng.hash(),
            source: Checkpoint {
                epoch: slot / 32 - 1,
                root: rng.hash(),
            },
            target: Checkpoint {
                epoch: slot / 32,
                root: rng.hash(),
            },
        },
        inclusion_delay: 1 + rng.next() % 4,
        proposer_index: rng.next() % 1000,
    }
}

fn eth1_data(rng: &mut Rng) -> Eth1Data {
    Eth1Data {
        deposit_root: rng.hash(),
        deposit_count: rng.next() % 1_000_000,
        block_hash: rng.hash(),
    }
}

/// A mainnet-preset state mid-epoch: `validators` validators with varied balances, full
/// history vectors, a full previous epoch of attestations and half a current one.
fn state(validators: usize) -> BeaconState<E> {
    let mut rng = Rng(validators as u64);
    let mut state = BeaconState::<E>::empty(1_606_824_023, Fork::default(), eth1_data(&mut rng));
    state.slot = 100 * 32 + 16;
    state.genesis_validators_root = rng.hash();
    for root in state.block_roots.iter_mut() {
        *root = rng.hash();
    }
    for root in state.state_roots.iter_mut() {
        *root = rng.hash();
    }
    for mix in state.randao_mixes.iter_mut() {
        *mix = rng.hash();
    }
    for _ in 0..3 {
        state.historical_roots.push(rng.hash()).unwrap();
    }
    for _ in 0..500 {
        state.eth1_data_votes.push(eth1_data(&mut rng)).unwrap();
    }
    for index in 0..validators {
        state
            .validators
            .push(validator(index as u64, &mut rng))
            .unwrap();
        state
            .balances
            .push(31_000_000_000 + rng.next() % 2_000_000_000)
            .unwrap();
    }
    for _ in 0..MAX_PENDING {
        let a = attestation(state.slot - 32, &mut rng);
        state.previous_epoch_attestations.push(a).unwrap();
    }
    for _ in 0..16 * ATTESTATIONS_PER_SLOT {
        let a = attestation(state.slot, &mut rng);
        state.current_epoch_attestations.push(a).unwrap();
    }
    state.current_justified_checkpoint = Checkpoint {
        epoch: 99,
        root: rng.hash(),
    };
    state.finalized_checkpoint = Checkpoint {
        epoch: 98,
        root: rng.hash(),
    };
    state
}

/// Keep the first `len` items of a list.
fn truncate<T: Clone, N: Unsigned>(list: &mut VariableList<T, N>, len: usize) {
    let mut items: Vec<T> = std::mem::take(list).into();
    items.truncate(len);
    *list = VariableList::new(items).unwrap();
}

/// What one slot with a block changes: block and state roots, the RANDAO mix, the latest
/// header, one eth1 vote, 128 pending attestations, and (as the brief's stress case) 1/32 of
/// the balances.
fn one_slot(state: &mut BeaconState<E>, rng: &mut Rng) {
    let slot = state.slot;
    let history = (slot % E::slots_per_historical_root()) as usize;
    state.block_roots[history] = rng.hash();
    state.state_roots[history] = rng.hash();
    state.slot += 1;
    let mix = (state.current_epoch() % E::epochs_per_historical_vector()) as usize;
    state.randao_mixes[mix] = rng.hash();
    state.latest_block_header = BeaconBlockHeader {
        slot: state.slot,
        proposer_index: rng.next() % state.validators.len() as u64,
        parent_root: rng.hash(),
        state_root: Hash256::ZERO,
        body_root: rng.hash(),
    };
    for _ in 0..state.balances.len() / 32 {
        let i = rng.below(state.balances.len());
        state.balances[i] += 1_000 + rng.next() % 10_000;
    }
    if state.eth1_data_votes.push(eth1_data(rng)).is_err() {
        truncate(&mut state.eth1_data_votes, 0);
    }
    // Stay mid-epoch: the current list never fills (the epoch case covers the rotation).
    if state.current_epoch_attestations.len() + ATTESTATIONS_PER_SLOT > MAX_PENDING {
        truncate(
            &mut state.current_epoch_attestations,
            16 * ATTESTATIONS_PER_SLOT,
        );
    }
    for _ in 0..ATTESTATIONS_PER_SLOT {
        let a = attestation(slot, rng);
        state.current_epoch_attestations.push(a).unwrap();
    }
}

/// What an epoch changes since the last root: 32 block and state roots, a RANDAO mix, the
/// epoch's attestations (the current list rotated to previous, then a full current list), every
/// balance, 1/256 of the validators (effective balances), a slashings entry, checkpoints and
/// justification bits, 32 eth1 votes.
fn one_epoch(state: &mut BeaconState<E>, rng: &mut Rng) {
    for _ in 0..32 {
        let history = (state.slot % E::slots_per_historical_root()) as usize;
        state.block_roots[history] = rng.hash();
        state.state_roots[history] = rng.hash();
        state.slot += 1;
        if state.eth1_data_votes.push(eth1_data(rng)).is_err() {
            truncate(&mut state.eth1_data_votes, 0);
        }
    }
    let epoch = state.current_epoch();
    state.randao_mixes[(epoch % E::epochs_per_historical_vector()) as usize] = rng.hash();
    state.slashings[(epoch % E::epochs_per_slashings_vector()) as usize] = rng.next();
    for balance in state.balances.iter_mut() {
        *balance += 1_000 + rng.next() % 10_000;
    }
    for _ in 0..state.validators.len() / 256 {
        let i = rng.below(state.validators.len());
        state.validators[i].effective_balance ^= 1_000_000_000;
    }
    // Fill the current list to a whole epoch, rotate it, start the next epoch's list full.
    while state.current_epoch_attestations.len() < MAX_PENDING {
        let a = attestation(state.slot, rng);
        state.current_epoch_attestations.push(a).unwrap();
    }
    state.previous_epoch_attestations = std::mem::take(&mut state.current_epoch_attestations);
    for _ in 0..MAX_PENDING {
        let a = attestation(state.slot, rng);
        state.current_epoch_attestations.push(a).unwrap();
    }
    state.previous_justified_checkpoint = state.current_justified_checkpoint;
    state.current_justified_checkpoint = Checkpoint {
        epoch,
        root: rng.hash(),
    };
    let bit = state.justification_bits.get(0).unwrap();
    state.justification_bits.set(0, !bit).unwrap();
}

/// Time `update_tree_hash_cache` only, after `change` (untimed) on a state whose cache is built.
fn timed_updates(
    state: &mut BeaconState<E>,
    rng: &mut Rng,
    change: fn(&mut BeaconState<E>, &mut Rng),
    iters: u64,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        change(state, rng);
        let start = Instant::now();
        black_box(state.update_tree_hash_cache());
        total += start.elapsed();
    }
    total
}

fn bench_tree_hash(c: &mut Criterion) {
    for validators in [16_384, 262_144] {
        let mut state = state(validators);
        let mut group = c.benchmark_group(format!("tree_hash/{validators}"));

        group.bench_function("full tree_hash_root", |b| {
            b.iter(|| black_box(&state).tree_hash_root())
        });

        group.bench_function("cache first build", |b| {
            b.iter_batched(
                || {
                    let mut fresh = state.clone();
                    fresh.caches.tree_hash.clear();
                    fresh
                },
                |mut fresh| black_box(fresh.update_tree_hash_cache()),
                BatchSize::PerIteration,
            )
        });

        // Build the cache once, and check it (a benchmark of a wrong answer is worthless).
        assert_eq!(state.update_tree_hash_cache(), state.tree_hash_root());
        let mut rng = Rng(42);

        group.bench_function("cached, no changes", |b| {
            b.iter(|| black_box(state.update_tree_hash_cache()))
        });

        group.bench_function("cached, one slot of changes", |b| {
            b.iter_custom(|iters| timed_updates(&mut state, &mut rng, one_slot, iters))
        });
        assert_eq!(state.update_tree_hash_cache(), state.tree_hash_root());

        group.bench_function("cached, one epoch of changes", |b| {
            b.iter_custom(|iters| timed_updates(&mut state, &mut rng, one_epoch, iters))
        });
        assert_eq!(state.update_tree_hash_cache(), state.tree_hash_root());

        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_tree_hash
}
criterion_main!(benches);
