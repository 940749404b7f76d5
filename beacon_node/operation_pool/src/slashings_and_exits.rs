//! Slashings and exits waiting for a block, re-checked against the block's state when packed
//! so the packed set is valid as a whole.

use state_processing::helpers::predicates::{is_active_validator, is_slashable_validator};
use state_processing::helpers::FAR_FUTURE_EPOCH;
use std::collections::{HashMap, HashSet};
use types::{
    AttesterSlashing, BeaconState, ChainSpec, EthSpec, ProposerSlashing, SignedVoluntaryExit,
};

/// An attester slashing with the validators it slashes (the intersection of its two sides).
#[derive(Debug, Clone)]
pub(crate) struct PooledAttesterSlashing<E: EthSpec> {
    pub slashing: AttesterSlashing<E>,
    pub indices: Vec<u64>,
}

fn slashable<E: EthSpec>(state: &BeaconState<E>, index: u64) -> bool {
    state
        .validators
        .get(index as usize)
        .is_some_and(|v| is_slashable_validator(v, state.current_epoch()))
}

/// The conditions of `process_voluntary_exit` other than the signature.
pub(crate) fn exit_is_valid<E: EthSpec>(
    state: &BeaconState<E>,
    exit: &SignedVoluntaryExit,
    spec: &ChainSpec,
) -> bool {
    let current = state.current_epoch();
    let Some(v) = state.validators.get(exit.message.validator_index as usize) else {
        return false;
    };
    is_active_validator(v, current)
        && v.exit_epoch == FAR_FUTURE_EPOCH
        && current >= exit.message.epoch
        && current
            >= v.activation_epoch
                .saturating_add(spec.shard_committee_period)
}

/// Pack proposer slashings, attester slashings and exits for a block on `state`.
pub(crate) fn pack<E: EthSpec>(
    proposer: &HashMap<u64, ProposerSlashing>,
    attester: &[PooledAttesterSlashing<E>],
    exits: &HashMap<u64, SignedVoluntaryExit>,
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> (
    Vec<ProposerSlashing>,
    Vec<AttesterSlashing<E>>,
    Vec<SignedVoluntaryExit>,
) {
    let mut slashed = HashSet::new();
    let mut proposer_out: Vec<&ProposerSlashing> = proposer
        .iter()
        .filter(|(i, _)| slashable(state, **i))
        .map(|(_, s)| s)
        .collect();
    proposer_out.sort_by_key(|s| s.signed_header_1.message.proposer_index);
    proposer_out.truncate(spec.max_proposer_slashings as usize);
    for s in &proposer_out {
        slashed.insert(s.signed_header_1.message.proposer_index);
    }

    let mut attester_out = Vec::new();
    let mut ranked: Vec<(usize, &PooledAttesterSlashing<E>)> = attester
        .iter()
        .map(|p| {
            let n = p
                .indices
                .iter()
                .filter(|i| slashable(state, **i) && !slashed.contains(*i))
                .count();
            (n, p)
        })
        .filter(|(n, _)| *n > 0)
        .collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
    for (_, p) in ranked {
        if attester_out.len() as u64 >= spec.max_attester_slashings {
            break;
        }
        // process_attester_slashing requires at least one newly slashed validator.
        let new: Vec<u64> = p
            .indices
            .iter()
            .copied()
            .filter(|i| slashable(state, *i) && !slashed.contains(i))
            .collect();
        if new.is_empty() {
            continue;
        }
        slashed.extend(new);
        attester_out.push(p.slashing.clone());
    }

    let mut exits_out: Vec<&SignedVoluntaryExit> = exits
        .values()
        .filter(|e| !slashed.contains(&e.message.validator_index) && exit_is_valid(state, e, spec))
        .collect();
    exits_out.sort_by_key(|e| e.message.validator_index);
    exits_out.truncate(spec.max_voluntary_exits as usize);
    (
        proposer_out.into_iter().cloned().collect(),
        attester_out,
        exits_out.into_iter().cloned().collect(),
    )
}
