//! The cases of the v1.0.1 pyspec's validator unit tests for `get_eth1_vote`
//! (`test_get_eth1_vote_default_vote`, `_consensus_vote`, `_tie`, `_chain_in_past`), and the
//! candidate window's edges.

use super::*;
use types::{Fork, Hash256, MinimalEthSpec, VariableList};

type E = MinimalEthSpec;

fn spec() -> ChainSpec {
    ChainSpec::minimal()
}

/// A state `epochs_into_period` epochs into its voting period, with 5 deposits voted in.
fn state_in_period(epochs_into_period: u64, spec: &ChainSpec) -> BeaconState<E> {
    let mut state = BeaconState::<E>::empty(
        1_600_000_000,
        Fork::default(),
        Eth1Data {
            deposit_root: Hash256::repeat_byte(9),
            deposit_count: 5,
            block_hash: Hash256::repeat_byte(8),
        },
    );
    // Past the first period (what the pyspec's `get_min_new_period_epochs` does).
    let period_epochs = spec.epochs_per_eth1_voting_period;
    state.slot = (period_epochs + epochs_into_period) * 8;
    state
}

fn block(number: u64, timestamp: u64, deposit_count: u64, root_byte: u8) -> Eth1Block {
    Eth1Block {
        number,
        hash: Hash256::repeat_byte(number as u8),
        timestamp,
        deposit_root: Hash256::repeat_byte(root_byte),
        deposit_count,
    }
}

fn follow_seconds(spec: &ChainSpec) -> u64 {
    spec.seconds_per_eth1_block * spec.eth1_follow_distance
}

/// The pyspec cases' setup: a state 3 epochs into its period and two candidate blocks, the
/// second with one more deposit.
fn two_candidates() -> (ChainSpec, BeaconState<E>, Eth1Block, Eth1Block) {
    let spec = spec();
    let state = state_in_period(3, &spec);
    let start = voting_period_start_time(&state, &spec).unwrap();
    let count = state.eth1_data.deposit_count;
    let block_1 = block(1, start - follow_seconds(&spec) - 1, count, 4);
    let block_2 = block(2, start - follow_seconds(&spec), count + 1, 5);
    (spec, state, block_1, block_2)
}

#[test]
fn default_vote_is_the_states_eth1_data() {
    let spec = spec();
    let state = state_in_period(0, &spec);
    assert_eq!(get_eth1_vote(&state, &[], &spec), state.eth1_data);
}

/// Two candidates, the first voted once and the second by every later vote: the second wins.
#[test]
fn consensus_vote() {
    let (spec, mut state, block_1, block_2) = two_candidates();
    let mut votes = vec![block_1.eth1_data()];
    votes.extend(std::iter::repeat_n(block_2.eth1_data(), 2));
    state.eth1_data_votes = VariableList::new(votes).unwrap();
    assert_eq!(
        get_eth1_vote(&state, &[block_1, block_2], &spec),
        block_2.eth1_data()
    );
}

/// Alternating votes, a tie: the first voted (the earlier block) wins.
#[test]
fn tie_goes_to_the_earliest_vote() {
    let (spec, mut state, block_1, block_2) = two_candidates();
    let votes: Vec<_> = (0..4)
        .map(|i| {
            if i % 2 == 0 {
                block_1.eth1_data()
            } else {
                block_2.eth1_data()
            }
        })
        .collect();
    state.eth1_data_votes = VariableList::new(votes).unwrap();
    assert_eq!(
        get_eth1_vote(&state, &[block_1, block_2], &spec),
        block_1.eth1_data()
    );
}

/// A chain whose deposit count is below the state's is never voted for.
#[test]
fn chain_in_the_past_is_not_voted() {
    let spec = spec();
    let state = state_in_period(1, &spec);
    let start = voting_period_start_time(&state, &spec).unwrap();
    let old = block(
        1,
        start - follow_seconds(&spec),
        state.eth1_data.deposit_count - 1,
        0x42,
    );
    assert_eq!(get_eth1_vote(&state, &[old], &spec), state.eth1_data);
}

/// With no votes yet, the latest candidate; blocks outside [start - 2d, start - d] are not
/// candidates; votes for non-candidates are not counted.
#[test]
fn candidate_window_and_uncounted_votes() {
    let spec = spec();
    let mut state = state_in_period(2, &spec);
    let start = voting_period_start_time(&state, &spec).unwrap();
    let d = follow_seconds(&spec);
    let count = state.eth1_data.deposit_count;
    let too_old = block(1, start - 2 * d - 1, count, 1);
    let oldest = block(2, start - 2 * d, count, 2);
    let newest = block(3, start - d, count, 3);
    let too_new = block(4, start - d + 1, count, 4);
    let chain = [too_old, oldest, newest, too_new];
    assert!(!is_candidate_block(&too_old, start, &spec));
    assert!(is_candidate_block(&oldest, start, &spec));
    assert!(is_candidate_block(&newest, start, &spec));
    assert!(!is_candidate_block(&too_new, start, &spec));
    assert_eq!(get_eth1_vote(&state, &chain, &spec), newest.eth1_data());
    // Three votes for a block that is not a candidate, one for the oldest candidate.
    let mut votes = vec![too_new.eth1_data(); 3];
    votes.push(oldest.eth1_data());
    state.eth1_data_votes = VariableList::new(votes).unwrap();
    assert_eq!(get_eth1_vote(&state, &chain, &spec), oldest.eth1_data());
}

/// The period starts at the first slot of every EPOCHS_PER_ETH1_VOTING_PERIOD-th epoch.
#[test]
fn voting_period_start() {
    let spec = spec();
    let mut state = state_in_period(0, &spec);
    let period_slots = E::slots_per_eth1_voting_period();
    state.slot = period_slots * 3 + 5;
    assert_eq!(
        voting_period_start_time(&state, &spec),
        Some(state.genesis_time + period_slots * 3 * spec.seconds_per_slot)
    );
}

/// A vote becomes the state's eth1 data with more than half the period's slots; deposits
/// follow the adopted data, at most MAX_DEPOSITS per block.
#[test]
fn adoption_and_deposit_range() {
    let spec = spec();
    let mut state = state_in_period(0, &spec);
    let new = Eth1Data {
        deposit_root: Hash256::repeat_byte(1),
        deposit_count: 40,
        block_hash: Hash256::repeat_byte(2),
    };
    let half = E::slots_per_eth1_voting_period() / 2;
    state.eth1_data_votes = VariableList::new(vec![new; half as usize - 1]).unwrap();
    assert_eq!(eth1_data_after_vote(&state, new), state.eth1_data);
    state.eth1_data_votes = VariableList::new(vec![new; half as usize]).unwrap();
    assert_eq!(eth1_data_after_vote(&state, new), new);
    state.eth1_deposit_index = 5;
    assert_eq!(
        expected_deposit_range(&state, &new, &spec),
        (5, 5 + spec.max_deposits)
    );
    state.eth1_deposit_index = 39;
    assert_eq!(expected_deposit_range(&state, &new, &spec), (39, 40));
    state.eth1_deposit_index = 40;
    assert_eq!(expected_deposit_range(&state, &new, &spec), (40, 40));
}

/// The spec's `max(valid_votes, key=lambda v: (valid_votes.count(v), -valid_votes.index(v)),
/// default=default_vote)`, transcribed literally, against ours over many vote patterns.
#[test]
fn tally_matches_the_specs_literal_max() {
    let spec = spec();
    let (_, mut state, _, _) = two_candidates();
    let start = voting_period_start_time(&state, &spec).unwrap();
    let count = state.eth1_data.deposit_count;
    let chain: Vec<Eth1Block> = (0..6)
        .map(|i| {
            block(
                i + 1,
                start - follow_seconds(&spec) - i,
                count + i,
                i as u8 + 10,
            )
        })
        .collect();
    // Votes drawn from the candidates and from one block that is not a candidate.
    let stranger = block(99, start, count, 99).eth1_data();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..500 {
        let len = (seed % 31) as usize;
        let votes: Vec<Eth1Data> = (0..len)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match (seed >> 33) % 8 {
                    7 => stranger,
                    n => chain[(n % 6) as usize].eth1_data(),
                }
            })
            .collect();
        state.eth1_data_votes = VariableList::new(votes).unwrap();
        let considered: Vec<Eth1Data> = chain.iter().map(Eth1Block::eth1_data).collect();
        let valid: Vec<Eth1Data> = state
            .eth1_data_votes
            .iter()
            .copied()
            .filter(|v| considered.contains(v))
            .collect();
        let literal = valid
            .iter()
            .copied()
            .max_by_key(|v| {
                let count = valid.iter().filter(|w| *w == v).count();
                let index = valid.iter().position(|w| w == v).unwrap();
                (count, std::cmp::Reverse(index))
            })
            .unwrap_or(*considered.last().unwrap());
        assert_eq!(get_eth1_vote(&state, &chain, &spec), literal);
    }
}
