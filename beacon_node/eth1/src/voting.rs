//! validator.md (v1.0.1), "Eth1 Data": which eth1 data a proposer votes for, and which
//! deposits its block must carry.

use crate::block_cache::Eth1Block;
use safe_arith::SafeArith;
use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use types::{BeaconState, ChainSpec, Eth1Data, EthSpec};

/// `compute_time_at_slot` (validator.md): the unix time a slot starts.
pub fn compute_time_at_slot<E: EthSpec>(
    state: &BeaconState<E>,
    slot: u64,
    spec: &ChainSpec,
) -> Option<u64> {
    slot.checked_mul(spec.seconds_per_slot)?
        .checked_add(state.genesis_time)
}

/// `voting_period_start_time` (validator.md): when the state's eth1 voting period began.
pub fn voting_period_start_time<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Option<u64> {
    let period = E::slots_per_eth1_voting_period();
    let start_slot = state.slot.checked_sub(state.slot.checked_rem(period)?)?;
    compute_time_at_slot(state, start_slot, spec)
}

/// `is_candidate_block` (validator.md): at least ETH1_FOLLOW_DISTANCE and at most twice that
/// (in SECONDS_PER_ETH1_BLOCK units) before the voting period's start.
pub fn is_candidate_block(block: &Eth1Block, period_start: u64, spec: &ChainSpec) -> bool {
    let distance = spec
        .seconds_per_eth1_block
        .saturating_mul(spec.eth1_follow_distance);
    block.timestamp.saturating_add(distance) <= period_start
        && block.timestamp.saturating_add(distance.saturating_mul(2)) >= period_start
}

/// `get_eth1_vote` (validator.md): among the candidate blocks whose deposit count does not go
/// below the state's, the one most voted for in this period (ties to the earliest vote), else
/// the latest candidate, else the state's own eth1 data.
pub fn get_eth1_vote<'a, E: EthSpec>(
    state: &BeaconState<E>,
    eth1_chain: impl IntoIterator<Item = &'a Eth1Block>,
    spec: &ChainSpec,
) -> Eth1Data {
    let Some(period_start) = voting_period_start_time(state, spec) else {
        return state.eth1_data;
    };
    let votes_to_consider: Vec<Eth1Data> = eth1_chain
        .into_iter()
        .filter(|block| is_candidate_block(block, period_start, spec))
        .map(Eth1Block::eth1_data)
        .filter(|data| data.deposit_count >= state.eth1_data.deposit_count)
        .collect();
    let default_vote = votes_to_consider.last().copied().unwrap_or(state.eth1_data);
    // `valid_votes`: the period's votes for a candidate, in order. The winner maximises
    // (count, -first index in valid_votes): the most frequent, ties to the first cast.
    // Counted in one pass (votes and candidates both run to thousands on mainnet).
    let candidates: HashSet<&Eth1Data> = votes_to_consider.iter().collect();
    let mut tally: HashMap<&Eth1Data, (usize, usize)> = HashMap::new();
    let valid_votes = state
        .eth1_data_votes
        .iter()
        .filter(|vote| candidates.contains(vote));
    for (index, vote) in valid_votes.enumerate() {
        tally.entry(vote).or_insert((0, index)).0 += 1;
    }
    tally
        .into_iter()
        .max_by_key(|(_, (count, first))| (*count, Reverse(*first)))
        .map(|(vote, _)| *vote)
        .unwrap_or(default_vote)
}

/// The eth1 data the state will hold once a block voting `vote` is processed
/// (`process_eth1_data`: adopted when more than half the period's slots voted for it).
pub fn eth1_data_after_vote<E: EthSpec>(state: &BeaconState<E>, vote: Eth1Data) -> Eth1Data {
    let votes = state.eth1_data_votes.iter().filter(|v| **v == vote).count() as u64 + 1;
    match votes.safe_mul(2) {
        Ok(twice) if twice > E::slots_per_eth1_voting_period() => vote,
        _ => state.eth1_data,
    }
}

/// The deposits a block on `state` must include once `eth1_data` is in effect: indices
/// `eth1_deposit_index .. min(eth1_deposit_index + MAX_DEPOSITS, deposit_count)`
/// (beacon-chain.md, `process_operations`).
pub fn expected_deposit_range<E: EthSpec>(
    state: &BeaconState<E>,
    eth1_data: &Eth1Data,
    spec: &ChainSpec,
) -> (u64, u64) {
    let start = state.eth1_deposit_index;
    let end = eth1_data
        .deposit_count
        .min(start.saturating_add(spec.max_deposits));
    (start, end.max(start))
}

#[cfg(test)]
mod tests;
