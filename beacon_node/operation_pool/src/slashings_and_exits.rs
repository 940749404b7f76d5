//! Proposer slashings, attester slashings and voluntary exits waiting for a block, re-checked
//! against the block's pre-state when packed so that the packed set is valid as a whole.
//!
//! `process_operations` (beacon-chain.md, Operations) runs proposer slashings, then attester
//! slashings, then exits. `slash_validator` initiates the slashed validator's exit, so a later
//! exit of that validator fails `assert validator.exit_epoch == FAR_FUTURE_EPOCH`, and a
//! slashing that only names validators slashed earlier in the block fails (proposer:
//! `is_slashable_validator`; attester: `assert slashed_any`). Packing tracks who the block
//! slashes and leaves such operations out.

use crate::errors::OpPoolError;
use crate::InsertOutcome;
use state_processing::helpers::predicates::{is_active_validator, is_slashable_validator};
use state_processing::helpers::FAR_FUTURE_EPOCH;
use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use types::typenum::Unsigned;
use types::{
    AttesterSlashing, BeaconState, ChainSpec, EthSpec, ProposerSlashing, SignedVoluntaryExit,
    ValidatorIndex,
};

/// An attester slashing with the validators in both of its attestations, sorted.
#[derive(Debug, Clone)]
pub(crate) struct PooledAttesterSlashing<E: EthSpec> {
    pub slashing: AttesterSlashing<E>,
    pub indices: Vec<ValidatorIndex>,
}

/// The validators attesting in both attestations of `slashing`, sorted.
fn common_attesters<E: EthSpec>(slashing: &AttesterSlashing<E>) -> Vec<ValidatorIndex> {
    let second: BTreeSet<u64> = slashing
        .attestation_2
        .attesting_indices
        .iter()
        .copied()
        .collect();
    let common: BTreeSet<u64> = slashing
        .attestation_1
        .attesting_indices
        .iter()
        .copied()
        .filter(|i| second.contains(i))
        .collect();
    common.into_iter().collect()
}

/// Every element of sorted `a` is in sorted `b`.
fn is_sorted_subset(a: &[u64], b: &[u64]) -> bool {
    a.iter().all(|x| b.binary_search(x).is_ok())
}

/// Add an attester slashing to `pool`: refused if it contradicts `slashable` (the validators
/// the caller found it slashes), redundant if one held covers all its attesters.
pub(crate) fn insert_attester_slashing<E: EthSpec>(
    pool: &mut Vec<PooledAttesterSlashing<E>>,
    slashing: AttesterSlashing<E>,
    slashable: &[ValidatorIndex],
) -> InsertOutcome {
    let indices = common_attesters(&slashing);
    if indices.is_empty() {
        return InsertOutcome::Rejected(OpPoolError::NoCommonAttesters);
    }
    if let Some(&index) = slashable.iter().find(|i| indices.binary_search(i).is_err()) {
        return InsertOutcome::Rejected(OpPoolError::SlashableIndexNotInBothAttestations { index });
    }
    // One that slashes everyone this one would is always at least as good in a block.
    if pool.iter().any(|p| is_sorted_subset(&indices, &p.indices)) {
        return InsertOutcome::Redundant;
    }
    pool.retain(|p| !is_sorted_subset(&p.indices, &indices));
    pool.push(PooledAttesterSlashing { slashing, indices });
    InsertOutcome::New
}

/// The proposer of both headers, or the rule they break.
pub(crate) fn proposer_of(slashing: &ProposerSlashing) -> Result<ValidatorIndex, OpPoolError> {
    let index_1 = slashing.signed_header_1.message.proposer_index;
    let index_2 = slashing.signed_header_2.message.proposer_index;
    if index_1 != index_2 {
        return Err(OpPoolError::ProposerIndexMismatch { index_1, index_2 });
    }
    Ok(index_1)
}

/// `is_slashable_validator(state.validators[index], get_current_epoch(state))`, as an error.
fn check_slashable<E: EthSpec>(
    state: &BeaconState<E>,
    index: ValidatorIndex,
) -> Result<(), OpPoolError> {
    let epoch = state.current_epoch();
    let validator = state
        .validator(index)
        .map_err(|_| OpPoolError::UnknownValidator { index })?;
    if !is_slashable_validator(validator, epoch) {
        return Err(OpPoolError::NotSlashable { index, epoch });
    }
    Ok(())
}

/// The state-dependent rule of `process_proposer_slashing` (beacon-chain.md, Proposer
/// slashings): the proposer is slashable. The others hold for any state once verified.
pub fn verify_proposer_slashing_for_block<E: EthSpec>(
    state: &BeaconState<E>,
    slashing: &ProposerSlashing,
) -> Result<(), OpPoolError> {
    check_slashable(state, proposer_of(slashing)?)
}

/// The state-dependent rule of `process_attester_slashing` (beacon-chain.md, Attester
/// slashings): some validator in both attestations is slashable (`assert slashed_any`).
pub fn verify_attester_slashing_for_block<E: EthSpec>(
    state: &BeaconState<E>,
    slashing: &AttesterSlashing<E>,
) -> Result<(), OpPoolError> {
    let pooled = PooledAttesterSlashing {
        indices: common_attesters(slashing),
        slashing: slashing.clone(),
    };
    check_attester_slashing_in_block(state, &pooled, &BTreeSet::new()).map(|_| ())
}

/// Every rule of `process_voluntary_exit` (beacon-chain.md, Voluntary exits) except the
/// signature, against the block's pre-state.
pub fn verify_voluntary_exit_for_block<E: EthSpec>(
    state: &BeaconState<E>,
    exit: &SignedVoluntaryExit,
    spec: &ChainSpec,
) -> Result<(), OpPoolError> {
    let index = exit.message.validator_index;
    let validator = state
        .validator(index)
        .map_err(|_| OpPoolError::UnknownValidator { index })?;
    let current_epoch = state.current_epoch();
    if !is_active_validator(validator, current_epoch) {
        return Err(OpPoolError::ExitValidatorNotActive {
            index,
            epoch: current_epoch,
        });
    }
    if validator.exit_epoch != FAR_FUTURE_EPOCH {
        return Err(OpPoolError::ExitAlreadyInitiated {
            index,
            exit_epoch: validator.exit_epoch,
        });
    }
    if current_epoch < exit.message.epoch {
        return Err(OpPoolError::ExitEpochInFuture {
            exit_epoch: exit.message.epoch,
            current_epoch,
        });
    }
    // Saturating: an overflow means the validator can never exit.
    let earliest_exit_epoch = validator
        .activation_epoch
        .saturating_add(spec.shard_committee_period);
    if current_epoch < earliest_exit_epoch {
        return Err(OpPoolError::ExitTooYoung {
            index,
            current_epoch,
            earliest_exit_epoch,
        });
    }
    Ok(())
}

/// The validators `slashing` slashes in a block after the slashings that slashed `slashed`;
/// an error if none (the block would fail `assert slashed_any`).
fn check_attester_slashing_in_block<E: EthSpec>(
    state: &BeaconState<E>,
    slashing: &PooledAttesterSlashing<E>,
    slashed: &BTreeSet<ValidatorIndex>,
) -> Result<Vec<ValidatorIndex>, OpPoolError> {
    let new: Vec<_> = slashing
        .indices
        .iter()
        .copied()
        .filter(|i| !slashed.contains(i) && check_slashable(state, *i).is_ok())
        .collect();
    if new.is_empty() {
        return Err(OpPoolError::NoSlashableIndices);
    }
    Ok(new)
}

/// `process_voluntary_exit` in a block after slashings that slashed `slashed`: slashing a
/// validator initiates its exit, so its own exit would fail.
fn check_exit_in_block<E: EthSpec>(
    state: &BeaconState<E>,
    exit: &SignedVoluntaryExit,
    slashed: &BTreeSet<ValidatorIndex>,
    spec: &ChainSpec,
) -> Result<(), OpPoolError> {
    let index = exit.message.validator_index;
    if slashed.contains(&index) {
        return Err(OpPoolError::ExitOfValidatorSlashedInBlock { index });
    }
    verify_voluntary_exit_for_block(state, exit, spec)
}

/// A count limit of the block body: the smaller of the runtime and the type-level maximum.
fn limit<N: Unsigned>(runtime: u64) -> usize {
    usize::try_from(runtime.min(N::to_u64())).unwrap_or(usize::MAX)
}

/// The proposer slashings, attester slashings and voluntary exits of one block body.
pub type SlashingsAndExits<E> = (
    Vec<ProposerSlashing>,
    Vec<AttesterSlashing<E>>,
    Vec<SignedVoluntaryExit>,
);

/// Proposer slashings, attester slashings and exits for a block on `state`, valid together.
pub(crate) fn pack<E: EthSpec>(
    proposer: &HashMap<ValidatorIndex, ProposerSlashing>,
    attester: &[PooledAttesterSlashing<E>],
    exits: &HashMap<ValidatorIndex, SignedVoluntaryExit>,
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> SlashingsAndExits<E> {
    let mut slashed = BTreeSet::new();

    // Proposer slashings: one per proposer (the map's key), lowest index first.
    let mut proposers: Vec<_> = proposer.iter().collect();
    proposers.sort_unstable_by_key(|(i, _)| **i);
    let mut proposer_out = Vec::new();
    for (&index, slashing) in proposers {
        if proposer_out.len() >= limit::<E::MaxProposerSlashings>(spec.max_proposer_slashings) {
            break;
        }
        if verify_proposer_slashing_for_block(state, slashing).is_ok() {
            slashed.insert(index);
            proposer_out.push(slashing.clone());
        }
    }

    // Attester slashings: greedily the one slashing the most validators not slashed yet.
    let mut attester_out = Vec::new();
    let mut taken = vec![false; attester.len()];
    while attester_out.len() < limit::<E::MaxAttesterSlashings>(spec.max_attester_slashings) {
        let best = attester
            .iter()
            .enumerate()
            .filter(|(i, _)| !taken.get(*i).copied().unwrap_or(true))
            .filter_map(|(i, p)| {
                let new = check_attester_slashing_in_block(state, p, &slashed).ok()?;
                Some((i, p, new))
            })
            .max_by_key(|(i, _, new)| (new.len(), Reverse(*i)));
        let Some((i, chosen, new)) = best else {
            break;
        };
        if let Some(t) = taken.get_mut(i) {
            *t = true;
        }
        slashed.extend(new);
        attester_out.push(chosen.slashing.clone());
    }

    // Exits: one per validator, lowest index first, none of a validator slashed above.
    let mut validators: Vec<_> = exits.iter().collect();
    validators.sort_unstable_by_key(|(i, _)| **i);
    let exits_out = validators
        .into_iter()
        .filter(|(_, exit)| check_exit_in_block(state, exit, &slashed, spec).is_ok())
        .map(|(_, exit)| exit.clone())
        .take(limit::<E::MaxVoluntaryExits>(spec.max_voluntary_exits))
        .collect();

    (proposer_out, attester_out, exits_out)
}

/// Whether validator `index` could still be slashed on `state`'s chain (unknown validators
/// are kept: the state may predate them).
pub(crate) fn may_be_slashed<E: EthSpec>(state: &BeaconState<E>, index: ValidatorIndex) -> bool {
    state.validator(index).map_or(true, |v| {
        !v.slashed && state.current_epoch() < v.withdrawable_epoch
    })
}

/// Whether validator `index` could still exit voluntarily on `state`'s chain.
pub(crate) fn may_exit<E: EthSpec>(state: &BeaconState<E>, index: ValidatorIndex) -> bool {
    state
        .validator(index)
        .map_or(true, |v| v.exit_epoch == FAR_FUTURE_EPOCH)
}
