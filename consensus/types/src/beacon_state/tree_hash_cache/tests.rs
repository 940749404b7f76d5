//! `update_tree_hash_cache()` against the derived `tree_hash_root()` on random states, after
//! random mutations of every field.

use crate::{
    AttestationData, BeaconBlockHeader, BeaconState, BitList, Checkpoint, Eth1Data, EthSpec, Fork,
    Hash256, MainnetEthSpec, MinimalEthSpec, PendingAttestation, PublicKeyBytes, Validator,
    VariableList,
};
use proptest::prelude::*;
use ssz_types::typenum::Unsigned;
use tree_hash::TreeHash;

/// SplitMix64: a small deterministic generator, enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
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

    fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

fn validator(rng: &mut Rng) -> Validator {
    let mut pubkey = [0u8; 48];
    for chunk in pubkey.chunks_exact_mut(8) {
        chunk.copy_from_slice(&rng.next().to_le_bytes());
    }
    Validator {
        pubkey: PublicKeyBytes::from(pubkey),
        withdrawal_credentials: rng.hash(),
        effective_balance: rng.next() % 32_000_000_000,
        slashed: rng.bool(),
        activation_eligibility_epoch: rng.next(),
        activation_epoch: rng.next(),
        exit_epoch: rng.next(),
        withdrawable_epoch: rng.next(),
    }
}

fn checkpoint(rng: &mut Rng) -> Checkpoint {
    Checkpoint {
        epoch: rng.next(),
        root: rng.hash(),
    }
}

fn eth1_data(rng: &mut Rng) -> Eth1Data {
    Eth1Data {
        deposit_root: rng.hash(),
        deposit_count: rng.next(),
        block_hash: rng.hash(),
    }
}

fn attestation<E: EthSpec>(rng: &mut Rng) -> PendingAttestation<E> {
    let len = 1 + rng.below(E::MaxValidatorsPerCommittee::to_usize());
    let mut bits = BitList::with_capacity(len).unwrap();
    for i in 0..len {
        bits.set(i, rng.bool()).unwrap();
    }
    PendingAttestation {
        aggregation_bits: bits,
        data: AttestationData {
            slot: rng.next(),
            index: rng.next(),
            beacon_block_root: rng.hash(),
            source: checkpoint(rng),
            target: checkpoint(rng),
        },
        inclusion_delay: rng.next(),
        proposer_index: rng.next(),
    }
}

fn header(rng: &mut Rng) -> BeaconBlockHeader {
    BeaconBlockHeader {
        slot: rng.next(),
        proposer_index: rng.next(),
        parent_root: rng.hash(),
        state_root: rng.hash(),
        body_root: rng.hash(),
    }
}

/// A state with `validators` random validators and every field random (lists part-filled).
fn random_state<E: EthSpec>(rng: &mut Rng, validators: usize) -> BeaconState<E> {
    let mut state = BeaconState::<E>::empty(rng.next(), Fork::default(), eth1_data(rng));
    state.genesis_validators_root = rng.hash();
    state.slot = rng.next();
    state.fork = Fork {
        previous_version: [1, 2, 3, 4],
        current_version: [5, 6, 7, 8],
        epoch: rng.next(),
    };
    state.latest_block_header = header(rng);
    for root in state.block_roots.iter_mut() {
        *root = rng.hash();
    }
    for root in state.state_roots.iter_mut() {
        *root = rng.hash();
    }
    for _ in 0..rng.below(10) {
        state.historical_roots.push(rng.hash()).unwrap();
    }
    for _ in 0..rng.below(E::SlotsPerEth1VotingPeriod::to_usize()) {
        state.eth1_data_votes.push(eth1_data(rng)).unwrap();
    }
    state.eth1_deposit_index = rng.next();
    for _ in 0..validators {
        state.validators.push(validator(rng)).unwrap();
        state.balances.push(rng.next() % 40_000_000_000).unwrap();
    }
    for mix in state.randao_mixes.iter_mut() {
        *mix = rng.hash();
    }
    for slashing in state.slashings.iter_mut() {
        *slashing = rng.next();
    }
    for _ in 0..rng.below(40) {
        state
            .previous_epoch_attestations
            .push(attestation(rng))
            .unwrap();
    }
    for _ in 0..rng.below(40) {
        state
            .current_epoch_attestations
            .push(attestation(rng))
            .unwrap();
    }
    for i in 0..4 {
        state.justification_bits.set(i, rng.bool()).unwrap();
    }
    state.previous_justified_checkpoint = checkpoint(rng);
    state.current_justified_checkpoint = checkpoint(rng);
    state.finalized_checkpoint = checkpoint(rng);
    state
}

/// Keep the first `len` items of a list (SSZ lists have no `truncate`).
fn truncate<T: Clone, N: Unsigned>(list: &mut VariableList<T, N>, len: usize) {
    let mut items: Vec<T> = std::mem::take(list).into();
    items.truncate(len);
    *list = VariableList::new(items).unwrap();
}

/// Number of kinds of mutation `mutate` knows.
const MUTATIONS: u8 = 20;

/// Apply mutation `kind` (mod `MUTATIONS`), with details drawn from `rng`. Pushes onto full
/// lists are skipped (the list is at its limit, which is itself worth hashing).
fn mutate<E: EthSpec>(state: &mut BeaconState<E>, kind: u8, rng: &mut Rng) {
    match kind % MUTATIONS {
        // One field of one validator.
        0 => {
            if !state.validators.is_empty() {
                let i = rng.below(state.validators.len());
                let v = &mut state.validators[i];
                match rng.below(5) {
                    0 => v.effective_balance = rng.next(),
                    1 => v.slashed = !v.slashed,
                    2 => v.exit_epoch = rng.next(),
                    3 => v.pubkey = validator(rng).pubkey,
                    _ => v.withdrawal_credentials = rng.hash(),
                }
            }
        }
        // Deposits: new validators and balances.
        1 => {
            for _ in 0..1 + rng.below(5) {
                let _ = state.validators.push(validator(rng));
                let _ = state.balances.push(rng.next());
            }
        }
        // Some balances.
        2 => {
            if !state.balances.is_empty() {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(state.balances.len());
                    state.balances[i] = rng.next();
                }
            }
        }
        // All balances (epoch processing).
        3 => {
            for balance in state.balances.iter_mut() {
                *balance = balance.wrapping_add(rng.next() % 1000);
            }
        }
        4 => {
            let i = rng.below(state.randao_mixes.len());
            state.randao_mixes[i] = rng.hash();
        }
        5 => {
            let i = rng.below(state.block_roots.len());
            state.block_roots[i] = rng.hash();
            let i = rng.below(state.state_roots.len());
            state.state_roots[i] = rng.hash();
        }
        6 => {
            let i = rng.below(state.slashings.len());
            state.slashings[i] = rng.next();
        }
        7 => {
            let _ = state.historical_roots.push(rng.hash());
        }
        // An eth1 vote; at the end of a voting period the votes are cleared.
        8 => {
            if rng.below(8) == 0 {
                truncate(&mut state.eth1_data_votes, 0);
            } else {
                let _ = state.eth1_data_votes.push(eth1_data(rng));
            }
        }
        // Attestations of a block.
        9 => {
            for _ in 0..1 + rng.below(4) {
                let _ = state.current_epoch_attestations.push(attestation(rng));
            }
        }
        // Epoch boundary: current attestations become the previous ones.
        10 => {
            state.previous_epoch_attestations =
                std::mem::take(&mut state.current_epoch_attestations);
        }
        11 => {
            state.previous_justified_checkpoint = state.current_justified_checkpoint;
            state.current_justified_checkpoint = checkpoint(rng);
            if rng.bool() {
                state.finalized_checkpoint = checkpoint(rng);
            }
        }
        12 => {
            let i = rng.below(4);
            let bit = state.justification_bits.get(i).unwrap();
            state.justification_bits.set(i, !bit).unwrap();
        }
        // The small fields.
        13 => match rng.below(6) {
            0 => state.slot = state.slot.wrapping_add(1),
            1 => state.genesis_time = rng.next(),
            2 => state.fork.epoch = rng.next(),
            3 => state.latest_block_header = header(rng),
            4 => state.eth1_data = eth1_data(rng),
            _ => state.eth1_deposit_index = rng.next(),
        },
        // Lists shrinking (not a spec transition, but the cache must not care).
        14 => {
            let len = state.validators.len();
            truncate(&mut state.validators, len.saturating_sub(1 + rng.below(3)));
            let len = state.balances.len();
            truncate(&mut state.balances, len.saturating_sub(rng.below(6)));
            let len = state.previous_epoch_attestations.len();
            truncate(&mut state.previous_epoch_attestations, rng.below(len + 1));
            let len = state.historical_roots.len();
            truncate(&mut state.historical_roots, rng.below(len + 1));
        }
        // An attestation changed in place.
        15 => {
            let list = if rng.bool() {
                &mut state.previous_epoch_attestations
            } else {
                &mut state.current_epoch_attestations
            };
            if !list.is_empty() {
                let i = rng.below(list.len());
                let a = &mut list[i];
                let bit = rng.below(a.aggregation_bits.len());
                let value = a.aggregation_bits.get(bit).unwrap();
                a.aggregation_bits.set(bit, !value).unwrap();
                a.inclusion_delay = rng.next();
            }
        }
        // Every validator replaced (an unrelated state of the same size).
        16 => {
            for v in state.validators.iter_mut() {
                *v = validator(rng);
            }
        }
        // A change made and undone: the root is the old one.
        17 => {
            if !state.validators.is_empty() {
                let i = rng.below(state.validators.len());
                let old = state.validators[i].clone();
                state.validators[i].activation_epoch ^= 1;
                state.validators[i] = old;
            }
        }
        // Two validators swapped (same items, different places).
        18 => {
            let len = state.validators.len();
            if len >= 2 {
                let (a, b) = (rng.below(len), rng.below(len));
                state.validators.swap(a, b);
            }
        }
        // Balances as a separate list: grows without validators.
        _ => {
            let _ = state.balances.push(rng.next());
        }
    }
}

fn assert_cache_matches<E: EthSpec>(state: &mut BeaconState<E>, context: &str) {
    let expected = state.tree_hash_root();
    assert_eq!(state.update_tree_hash_cache(), expected, "{context}");
    assert!(state.caches.tree_hash.is_built());
    // A second call with nothing changed gives the same root.
    assert_eq!(
        state.update_tree_hash_cache(),
        expected,
        "{context} (again)"
    );
}

fn every_mutation<E: EthSpec>(seed: u64, validators: usize) {
    let mut rng = Rng(seed);
    let mut state = random_state::<E>(&mut rng, validators);
    assert_cache_matches(&mut state, "fresh state");
    for round in 0..3 {
        for kind in 0..MUTATIONS {
            mutate(&mut state, kind, &mut rng);
            assert_cache_matches(&mut state, &format!("round {round}, mutation {kind}"));
        }
    }
    // Several mutations between two updates.
    for step in 0..30 {
        for _ in 0..1 + rng.below(6) {
            let kind = rng.below(MUTATIONS as usize) as u8;
            mutate(&mut state, kind, &mut rng);
        }
        assert_cache_matches(&mut state, &format!("batch {step}"));
    }
}

#[test]
fn every_mutation_minimal() {
    every_mutation::<MinimalEthSpec>(1, 100);
    every_mutation::<MinimalEthSpec>(2, 0);
    every_mutation::<MinimalEthSpec>(3, 1);
}

#[test]
fn every_mutation_mainnet() {
    every_mutation::<MainnetEthSpec>(4, 300);
}

#[test]
fn empty_state() {
    let mut state = BeaconState::<MinimalEthSpec>::empty(0, Fork::default(), Eth1Data::default());
    assert_cache_matches(&mut state, "empty minimal state");
    let mut state = BeaconState::<MainnetEthSpec>::empty(0, Fork::default(), Eth1Data::default());
    assert_cache_matches(&mut state, "empty mainnet state");
    // Grow from empty, then back to empty.
    let mut rng = Rng(5);
    mutate(&mut state, 1, &mut rng);
    mutate(&mut state, 9, &mut rng);
    mutate(&mut state, 8, &mut rng);
    assert_cache_matches(&mut state, "grown");
    state.validators = VariableList::default();
    state.balances = VariableList::default();
    state.current_epoch_attestations = VariableList::default();
    state.eth1_data_votes = VariableList::default();
    assert_cache_matches(&mut state, "emptied again");
}

#[test]
fn lists_at_their_limits() {
    type E = MinimalEthSpec;
    let mut rng = Rng(6);
    let mut state = random_state::<E>(&mut rng, 64);
    while state.eth1_data_votes.push(eth1_data(&mut rng)).is_ok() {}
    while state
        .previous_epoch_attestations
        .push(attestation(&mut rng))
        .is_ok()
    {}
    while state
        .current_epoch_attestations
        .push(attestation(&mut rng))
        .is_ok()
    {}
    assert_eq!(
        state.current_epoch_attestations.len(),
        <E as EthSpec>::MaxPendingAttestations::to_usize()
    );
    assert_cache_matches(&mut state, "full lists");
    // Pushing onto the full lists is refused; changing their last items is not.
    mutate(&mut state, 8, &mut rng);
    mutate(&mut state, 9, &mut rng);
    let last = state.eth1_data_votes.len() - 1;
    state.eth1_data_votes[last] = eth1_data(&mut rng);
    let last = state.current_epoch_attestations.len() - 1;
    state.current_epoch_attestations[last] = attestation(&mut rng);
    assert_cache_matches(&mut state, "full lists, last items changed");
    mutate(&mut state, 10, &mut rng);
    assert_cache_matches(&mut state, "full list rotated");
}

#[test]
fn rotation_keeps_both_attestation_lists_right() {
    type E = MinimalEthSpec;
    let mut rng = Rng(7);
    let mut state = random_state::<E>(&mut rng, 16);
    for _ in 0..10 {
        mutate(&mut state, 9, &mut rng);
        assert_cache_matches(&mut state, "pushed");
        mutate(&mut state, 10, &mut rng);
        assert_cache_matches(&mut state, "rotated");
    }
    // Both lists equal (the swap guess fires with equal first items) and then diverging.
    state.current_epoch_attestations = state.previous_epoch_attestations.clone();
    assert_cache_matches(&mut state, "equal lists");
    mutate(&mut state, 10, &mut rng);
    assert_cache_matches(&mut state, "rotated equal lists");
    mutate(&mut state, 15, &mut rng);
    mutate(&mut state, 9, &mut rng);
    assert_cache_matches(&mut state, "diverged");
}

#[test]
fn clones_keep_separate_caches() {
    type E = MinimalEthSpec;
    let mut rng = Rng(8);
    let mut original = random_state::<E>(&mut rng, 50);
    assert_cache_matches(&mut original, "original");

    let mut clone = original.clone();
    assert!(clone.caches.tree_hash.is_built());
    for kind in 0..MUTATIONS {
        mutate(&mut original, kind, &mut rng);
        mutate(&mut clone, MUTATIONS - 1 - kind, &mut rng);
        // Alternate which of the two updates first.
        if kind % 2 == 0 {
            assert_cache_matches(&mut original, &format!("original after {kind}"));
            assert_cache_matches(&mut clone, &format!("clone after {kind}"));
        } else {
            assert_cache_matches(&mut clone, &format!("clone after {kind}"));
            assert_cache_matches(&mut original, &format!("original after {kind}"));
        }
    }
    // A clone taken mid-way, never updated, then updated after the original moved on.
    let mut snapshot = original.clone();
    mutate(&mut original, 16, &mut rng);
    assert_cache_matches(&mut original, "original moved on");
    assert_cache_matches(&mut snapshot, "snapshot");
}

#[test]
fn cache_of_another_preset_is_rebuilt() {
    let mut rng = Rng(9);
    let mut minimal = random_state::<MinimalEthSpec>(&mut rng, 10);
    assert_cache_matches(&mut minimal, "minimal");
    let mut mainnet = random_state::<MainnetEthSpec>(&mut rng, 10);
    mainnet.caches.tree_hash = minimal.caches.tree_hash.clone();
    assert_cache_matches(&mut mainnet, "mainnet with a minimal cache");
    mainnet.caches.tree_hash.clear();
    assert!(!mainnet.caches.tree_hash.is_built());
    assert_cache_matches(&mut mainnet, "mainnet after clear");
}

#[test]
fn many_changed_validators_are_hashed_in_parallel_correctly() {
    // Enough validators to take the parallel compare, hash and tree paths.
    type E = MinimalEthSpec;
    let mut rng = Rng(10);
    let mut state = random_state::<E>(&mut rng, 5000);
    assert_cache_matches(&mut state, "built");
    for i in (0..state.validators.len()).step_by(2) {
        state.validators[i].effective_balance ^= 1;
    }
    for balance in state.balances.iter_mut() {
        *balance ^= 3;
    }
    assert_cache_matches(&mut state, "half the validators changed");
    for _ in 0..3000 {
        state.validators.push(validator(&mut rng)).unwrap();
    }
    assert_cache_matches(&mut state, "3000 validators appended");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random sequences of mutations, with an update after a random subset of them.
    #[test]
    fn random_mutation_sequences_minimal(
        seed in any::<u64>(),
        validators in 0usize..80,
        ops in prop::collection::vec((any::<u8>(), any::<bool>()), 1..40),
    ) {
        let mut rng = Rng(seed);
        let mut state = random_state::<MinimalEthSpec>(&mut rng, validators);
        prop_assert_eq!(state.update_tree_hash_cache(), state.tree_hash_root());
        for (kind, update) in ops {
            mutate(&mut state, kind, &mut rng);
            if update {
                prop_assert_eq!(state.update_tree_hash_cache(), state.tree_hash_root());
            }
        }
        prop_assert_eq!(state.update_tree_hash_cache(), state.tree_hash_root());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn random_mutation_sequences_mainnet(
        seed in any::<u64>(),
        validators in 0usize..200,
        ops in prop::collection::vec((any::<u8>(), any::<bool>()), 1..25),
    ) {
        let mut rng = Rng(seed);
        let mut state = random_state::<MainnetEthSpec>(&mut rng, validators);
        for (kind, update) in ops {
            mutate(&mut state, kind, &mut rng);
            if update {
                prop_assert_eq!(state.update_tree_hash_cache(), state.tree_hash_root());
            }
        }
        prop_assert_eq!(state.update_tree_hash_cache(), state.tree_hash_root());
    }
}
