//! beacon-chain.md, "Epoch processing" → "Rewards and penalties".
//!
//! The spec computes five delta vectors, each by looping over validators and asking set
//! membership questions that are themselves loops over attestations. Here one
//! [`ParticipationSummary`] of the previous epoch answers all membership questions, and one pass
//! over the registry ([`accumulate_deltas`]) adds up any chosen subset of the five components.
//! The spec-shaped `get_*_deltas` functions are that same pass with one component selected.

use super::participation::{ParticipationSummary, SummaryScope};
use super::EpochProcessingError;
use crate::helpers::accessors::get_total_active_balance;
use crate::helpers::math::integer_squareroot;
use crate::helpers::mutators::{decrease_balance, increase_balance};
use crate::helpers::predicates::is_active_validator;
use crate::helpers::{BASE_REWARDS_PER_EPOCH, GENESIS_EPOCH};
use safe_arith::SafeArith;
use types::{BeaconState, ChainSpec, Epoch, EthSpec, Gwei, Validator, ValidatorIndex};

/// Rewards and penalties per validator, as the rewards vectors check them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deltas {
    pub rewards: Vec<u64>,
    pub penalties: Vec<u64>,
}

impl Deltas {
    /// All-zero deltas for `len` validators.
    pub fn zeroed(len: usize) -> Self {
        Deltas {
            rewards: vec![0; len],
            penalties: vec![0; len],
        }
    }
}

/// `get_base_reward` (beacon-chain.md, Rewards and penalties helpers).
pub fn get_base_reward<E: EthSpec>(
    state: &BeaconState<E>,
    index: ValidatorIndex,
    spec: &ChainSpec,
) -> Result<Gwei, EpochProcessingError> {
    let sqrt_total_balance = integer_squareroot(get_total_active_balance(state, spec)?);
    base_reward(
        state.validator(index)?.effective_balance,
        sqrt_total_balance,
        spec,
    )
}

/// `get_base_reward` from the validator's effective balance and
/// `integer_squareroot(get_total_active_balance(state))`.
pub fn base_reward(
    effective_balance: Gwei,
    sqrt_total_balance: u64,
    spec: &ChainSpec,
) -> Result<Gwei, EpochProcessingError> {
    Ok(effective_balance
        .safe_mul(spec.base_reward_factor)?
        .safe_div(sqrt_total_balance)?
        .safe_div(BASE_REWARDS_PER_EPOCH)?)
}

/// `get_proposer_reward` (beacon-chain.md, Rewards and penalties helpers).
pub fn get_proposer_reward<E: EthSpec>(
    state: &BeaconState<E>,
    attesting_index: ValidatorIndex,
    spec: &ChainSpec,
) -> Result<Gwei, EpochProcessingError> {
    proposer_reward(get_base_reward(state, attesting_index, spec)?, spec)
}

/// `get_proposer_reward` from the attester's base reward.
pub fn proposer_reward(base_reward: Gwei, spec: &ChainSpec) -> Result<Gwei, EpochProcessingError> {
    Ok(base_reward.safe_div(spec.proposer_reward_quotient)?)
}

/// `get_finality_delay` (beacon-chain.md, Rewards and penalties helpers).
pub fn get_finality_delay<E: EthSpec>(state: &BeaconState<E>) -> Result<u64, EpochProcessingError> {
    Ok(state
        .previous_epoch()
        .safe_sub(state.finalized_checkpoint.epoch)?)
}

/// `is_in_inactivity_leak` (beacon-chain.md, Rewards and penalties helpers).
pub fn is_in_inactivity_leak<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<bool, EpochProcessingError> {
    Ok(get_finality_delay(state)? > spec.min_epochs_to_inactivity_penalty)
}

/// `get_eligible_validator_indices` (beacon-chain.md, Rewards and penalties helpers).
pub fn get_eligible_validator_indices<E: EthSpec>(state: &BeaconState<E>) -> Vec<ValidatorIndex> {
    let previous_epoch = state.previous_epoch();
    state
        .validators
        .iter()
        .enumerate()
        .filter(|(_, v)| is_eligible_validator(v, previous_epoch))
        .map(|(i, _)| i as u64)
        .collect()
}

/// The predicate of `get_eligible_validator_indices`.
pub fn is_eligible_validator(validator: &Validator, previous_epoch: Epoch) -> bool {
    is_active_validator(validator, previous_epoch)
        || (validator.slashed && previous_epoch.saturating_add(1) < validator.withdrawable_epoch)
}

/// Which of the five components of `get_attestation_deltas` to add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Components {
    pub source: bool,
    pub target: bool,
    pub head: bool,
    pub inclusion_delay: bool,
    pub inactivity_penalty: bool,
}

impl Components {
    /// Everything: `get_attestation_deltas`.
    pub const ALL: Components = Components {
        source: true,
        target: true,
        head: true,
        inclusion_delay: true,
        inactivity_penalty: true,
    };
    const NONE: Components = Components {
        source: false,
        target: false,
        head: false,
        inclusion_delay: false,
        inactivity_penalty: false,
    };
    /// `get_source_deltas` only.
    pub const SOURCE: Components = Components {
        source: true,
        ..Self::NONE
    };
    /// `get_target_deltas` only.
    pub const TARGET: Components = Components {
        target: true,
        ..Self::NONE
    };
    /// `get_head_deltas` only.
    pub const HEAD: Components = Components {
        head: true,
        ..Self::NONE
    };
    /// `get_inclusion_delay_deltas` only.
    pub const INCLUSION_DELAY: Components = Components {
        inclusion_delay: true,
        ..Self::NONE
    };
    /// `get_inactivity_penalty_deltas` only.
    pub const INACTIVITY_PENALTY: Components = Components {
        inactivity_penalty: true,
        ..Self::NONE
    };
}

/// Add the `components` of `get_attestation_deltas` to `deltas` (as long as the registry), in
/// one pass over the registry, from a [`SummaryScope::Full`] summary of the previous epoch and
/// `get_total_active_balance(state)`.
pub fn accumulate_deltas<E: EthSpec>(
    state: &BeaconState<E>,
    summary: &ParticipationSummary,
    total_active_balance: Gwei,
    components: Components,
    deltas: &mut Deltas,
    spec: &ChainSpec,
) -> Result<(), EpochProcessingError> {
    let previous_epoch = state.previous_epoch();
    let n = state.validators.len();
    if summary.epoch != previous_epoch
        || summary.scope != SummaryScope::Full
        || summary.statuses.len() != n
    {
        return Err(EpochProcessingError::SummaryMismatch);
    }
    if deltas.rewards.len() != n || deltas.penalties.len() != n {
        return Err(EpochProcessingError::SummaryMismatch);
    }

    let sqrt_total_balance = integer_squareroot(total_active_balance);
    let finality_delay = get_finality_delay(state)?;
    let in_leak = finality_delay > spec.min_epochs_to_inactivity_penalty;
    let increment = spec.effective_balance_increment;
    let total_increments = total_active_balance.safe_div(increment)?;
    // (enabled, attesting balance in increments) for source, target and head.
    let attestation_components = [
        (
            components.source,
            summary.source_attesting_balance.safe_div(increment)?,
        ),
        (
            components.target,
            summary.target_attesting_balance.safe_div(increment)?,
        ),
        (
            components.head,
            summary.head_attesting_balance.safe_div(increment)?,
        ),
    ];

    for (index, (validator, status)) in state.validators.iter().zip(&summary.statuses).enumerate() {
        let eligible = is_eligible_validator(validator, previous_epoch);
        let includes = components.inclusion_delay && status.inclusion.is_some();
        if !eligible && !includes {
            continue;
        }
        let effective_balance = validator.effective_balance;
        let base = base_reward(effective_balance, sqrt_total_balance, spec)?;
        let mut reward: Gwei = 0;
        let mut penalty: Gwei = 0;

        if eligible {
            // get_attestation_component_deltas
            let attested = [status.source, status.target, status.head];
            for ((enabled, attesting_increments), attested) in
                attestation_components.into_iter().zip(attested)
            {
                if !enabled {
                    continue;
                }
                if attested {
                    if in_leak {
                        reward.safe_add_assign(base)?;
                    } else {
                        reward.safe_add_assign(
                            base.safe_mul(attesting_increments)?
                                .safe_div(total_increments)?,
                        )?;
                    }
                } else {
                    penalty.safe_add_assign(base)?;
                }
            }
            // get_inactivity_penalty_deltas
            if components.inactivity_penalty && in_leak {
                penalty.safe_add_assign(
                    BASE_REWARDS_PER_EPOCH
                        .safe_mul(base)?
                        .safe_sub(proposer_reward(base, spec)?)?,
                )?;
                if !status.target {
                    penalty.safe_add_assign(
                        effective_balance
                            .safe_mul(finality_delay)?
                            .safe_div(spec.inactivity_penalty_quotient)?,
                    )?;
                }
            }
        }

        // get_inclusion_delay_deltas
        if let (true, Some(inclusion)) = (components.inclusion_delay, status.inclusion) {
            let proposer_reward = proposer_reward(base, spec)?;
            let proposer = deltas
                .rewards
                .get_mut(inclusion.proposer_index as usize)
                .ok_or(EpochProcessingError::UnknownValidator {
                    index: inclusion.proposer_index,
                    len: n,
                })?;
            proposer.safe_add_assign(proposer_reward)?;
            let max_attester_reward = base.safe_sub(proposer_reward)?;
            reward.safe_add_assign(max_attester_reward.safe_div(inclusion.delay)?)?;
        }

        // In range: both vectors were checked to be as long as the registry.
        if let (Some(r), Some(p)) = (
            deltas.rewards.get_mut(index),
            deltas.penalties.get_mut(index),
        ) {
            r.safe_add_assign(reward)?;
            p.safe_add_assign(penalty)?;
        }
    }
    Ok(())
}

/// The selected components for `state` as it is, each summary and total computed here.
fn component_deltas<E: EthSpec>(
    state: &BeaconState<E>,
    components: Components,
    spec: &ChainSpec,
) -> Result<Deltas, EpochProcessingError> {
    let summary =
        ParticipationSummary::new(state, state.previous_epoch(), SummaryScope::Full, spec)?;
    let total_active_balance = get_total_active_balance(state, spec)?;
    let mut deltas = Deltas::zeroed(state.validators.len());
    accumulate_deltas(
        state,
        &summary,
        total_active_balance,
        components,
        &mut deltas,
        spec,
    )?;
    Ok(deltas)
}

/// `get_source_deltas` (beacon-chain.md, Components of attestation deltas).
pub fn get_source_deltas<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Deltas, EpochProcessingError> {
    component_deltas(state, Components::SOURCE, spec)
}

/// `get_target_deltas` (beacon-chain.md, Components of attestation deltas).
pub fn get_target_deltas<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Deltas, EpochProcessingError> {
    component_deltas(state, Components::TARGET, spec)
}

/// `get_head_deltas` (beacon-chain.md, Components of attestation deltas).
pub fn get_head_deltas<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Deltas, EpochProcessingError> {
    component_deltas(state, Components::HEAD, spec)
}

/// `get_inclusion_delay_deltas` (beacon-chain.md, Components of attestation deltas).
pub fn get_inclusion_delay_deltas<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Deltas, EpochProcessingError> {
    component_deltas(state, Components::INCLUSION_DELAY, spec)
}

/// `get_inactivity_penalty_deltas` (beacon-chain.md, Components of attestation deltas).
pub fn get_inactivity_penalty_deltas<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Deltas, EpochProcessingError> {
    component_deltas(state, Components::INACTIVITY_PENALTY, spec)
}

/// `get_attestation_deltas` (beacon-chain.md, `get_attestation_deltas`).
pub fn get_attestation_deltas<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Deltas, EpochProcessingError> {
    component_deltas(state, Components::ALL, spec)
}

/// `process_rewards_and_penalties` (beacon-chain.md, `process_rewards_and_penalties`).
pub fn process_rewards_and_penalties<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<(), EpochProcessingError> {
    if state.current_epoch() == GENESIS_EPOCH {
        return Ok(());
    }
    let summary =
        ParticipationSummary::new(state, state.previous_epoch(), SummaryScope::Full, spec)?;
    let total_active_balance = get_total_active_balance(state, spec)?;
    apply_rewards_and_penalties(state, &summary, total_active_balance, spec)
}

/// `process_rewards_and_penalties` after its genesis guard, from a precomputed summary of the
/// previous epoch and total active balance.
pub(crate) fn apply_rewards_and_penalties<E: EthSpec>(
    state: &mut BeaconState<E>,
    summary: &ParticipationSummary,
    total_active_balance: Gwei,
    spec: &ChainSpec,
) -> Result<(), EpochProcessingError> {
    let mut deltas = Deltas::zeroed(state.validators.len());
    accumulate_deltas(
        state,
        summary,
        total_active_balance,
        Components::ALL,
        &mut deltas,
        spec,
    )?;
    for (index, (reward, penalty)) in deltas.rewards.into_iter().zip(deltas.penalties).enumerate() {
        increase_balance(state, index as u64, reward)?;
        decrease_balance(state, index as u64, penalty)?;
    }
    Ok(())
}
