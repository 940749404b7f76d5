//! beacon-chain.md, "Epoch processing" → "Rewards and penalties".
//!
//! The spec computes five delta vectors, each by looping over validators and asking set
//! membership questions that are themselves loops over attestations. Here one
//! [`ParticipationSummary`] of the previous epoch answers all membership questions, and one pass
//! over the registry ([`accumulate_deltas`]) adds up any chosen subset of the five components.
//! The spec-shaped `get_*_deltas` functions are that same pass with one component selected.

use super::participation::ParticipationSummary;
use super::EpochProcessingError;
use crate::helpers::accessors::get_total_active_balance;
use crate::helpers::math::integer_squareroot;
use crate::helpers::mutators::{decrease_balance, increase_balance};
use crate::helpers::predicates::is_active_validator;
use crate::helpers::{BASE_REWARDS_PER_EPOCH, GENESIS_EPOCH};
use safe_arith::{ArithError, SafeArith};
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
    Ok(base_reward_arith(
        effective_balance,
        sqrt_total_balance,
        spec,
    )?)
}

fn base_reward_arith(
    effective_balance: Gwei,
    sqrt_total_balance: u64,
    spec: &ChainSpec,
) -> Result<Gwei, ArithError> {
    effective_balance
        .safe_mul(spec.base_reward_factor)?
        .safe_div(sqrt_total_balance)?
        .safe_div(BASE_REWARDS_PER_EPOCH)
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
/// one pass over the registry, from a summary of the previous epoch and
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
    if summary.epoch != previous_epoch || summary.len() != n {
        return Err(EpochProcessingError::SummaryMismatch);
    }
    if deltas.rewards.len() != n || deltas.penalties.len() != n {
        return Err(EpochProcessingError::SummaryMismatch);
    }

    let finality_delay = get_finality_delay(state)?;
    let context = RewardContext {
        sqrt_total_balance: integer_squareroot(total_active_balance),
        total_increments: total_active_balance.safe_div(spec.effective_balance_increment)?,
        attesting_increments: [
            summary.source_attesting_balance,
            summary.target_attesting_balance,
            summary.head_attesting_balance,
        ]
        .map(|balance| balance.safe_div(spec.effective_balance_increment)),
        in_leak: finality_delay > spec.min_epochs_to_inactivity_penalty,
        finality_delay,
    };
    let enabled = [components.source, components.target, components.head];
    // Every amount depends only on the effective balance, and most validators share one.
    let mut memo: Option<(Gwei, Amounts)> = None;

    for (index, (validator, status)) in state.validators.iter().zip(summary.statuses()).enumerate()
    {
        let eligible = is_eligible_validator(validator, previous_epoch);
        let includes = components.inclusion_delay && status.inclusion.is_some();
        if !eligible && !includes {
            continue;
        }
        let amounts = match memo {
            Some((balance, amounts)) if balance == validator.effective_balance => amounts,
            _ => {
                let amounts = Amounts::new(validator.effective_balance, &context, spec);
                memo = Some((validator.effective_balance, amounts));
                amounts
            }
        };
        let mut reward: Gwei = 0;
        let mut penalty: Gwei = 0;

        if eligible {
            // get_attestation_component_deltas
            let attested = [status.source, status.target, status.head];
            for ((enabled, attested), attester_reward) in enabled
                .into_iter()
                .zip(attested)
                .zip(amounts.attester_rewards)
            {
                match (enabled, attested) {
                    (false, _) => {}
                    (true, true) => reward.safe_add_assign(attester_reward?)?,
                    (true, false) => penalty.safe_add_assign(amounts.base_reward?)?,
                }
            }
            // get_inactivity_penalty_deltas
            if components.inactivity_penalty && context.in_leak {
                penalty.safe_add_assign(amounts.leak_penalty?)?;
                if !status.target {
                    penalty.safe_add_assign(amounts.non_target_leak_penalty?)?;
                }
            }
        }

        // get_inclusion_delay_deltas
        if let (true, Some(inclusion)) = (components.inclusion_delay, status.inclusion) {
            let proposer = deltas
                .rewards
                .get_mut(inclusion.proposer_index as usize)
                .ok_or(EpochProcessingError::UnknownValidator {
                    index: inclusion.proposer_index,
                    len: n,
                })?;
            proposer.safe_add_assign(amounts.proposer_reward?)?;
            reward.safe_add_assign(amounts.max_attester_reward?.safe_div(inclusion.delay)?)?;
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

/// What the reward formulas need besides a validator's effective balance.
struct RewardContext {
    /// `integer_squareroot(get_total_active_balance(state))`.
    sqrt_total_balance: u64,
    /// `total_balance // increment`.
    total_increments: u64,
    /// `attesting_balance // increment` for source, target and head.
    attesting_increments: [Result<u64, ArithError>; 3],
    in_leak: bool,
    finality_delay: u64,
}

/// The per-validator amounts of the reward formulas for one effective balance. Each is kept
/// as a result and only unwrapped where the spec would compute it, so a value the spec never
/// evaluates for a validator cannot make processing fail.
#[derive(Clone, Copy)]
struct Amounts {
    /// `get_base_reward`.
    base_reward: Result<Gwei, ArithError>,
    /// `get_proposer_reward`.
    proposer_reward: Result<Gwei, ArithError>,
    /// `base_reward - proposer_reward`: the inclusion reward at delay 1.
    max_attester_reward: Result<Gwei, ArithError>,
    /// The reward of an attester in the source, target and head sets.
    attester_rewards: [Result<Gwei, ArithError>; 3],
    /// `BASE_REWARDS_PER_EPOCH * base_reward - get_proposer_reward`.
    leak_penalty: Result<Gwei, ArithError>,
    /// `effective_balance * get_finality_delay(state) // INACTIVITY_PENALTY_QUOTIENT`.
    non_target_leak_penalty: Result<Gwei, ArithError>,
}

impl Amounts {
    fn new(effective_balance: Gwei, context: &RewardContext, spec: &ChainSpec) -> Self {
        let base_reward = base_reward_arith(effective_balance, context.sqrt_total_balance, spec);
        let proposer_reward =
            base_reward.and_then(|base| base.safe_div(spec.proposer_reward_quotient));
        let max_attester_reward = base_reward.and_then(|base| base.safe_sub(proposer_reward?));
        let attester_rewards = context.attesting_increments.map(|attesting_increments| {
            let base = base_reward?;
            if context.in_leak {
                // Optimal participation receives full base reward compensation here.
                Ok(base)
            } else {
                base.safe_mul(attesting_increments?)?
                    .safe_div(context.total_increments)
            }
        });
        let leak_penalty = base_reward.and_then(|base| {
            BASE_REWARDS_PER_EPOCH
                .safe_mul(base)?
                .safe_sub(proposer_reward?)
        });
        let non_target_leak_penalty = effective_balance
            .safe_mul(context.finality_delay)
            .and_then(|penalty| penalty.safe_div(spec.inactivity_penalty_quotient));
        Amounts {
            base_reward,
            proposer_reward,
            max_attester_reward,
            attester_rewards,
            leak_penalty,
            non_target_leak_penalty,
        }
    }
}

/// The selected components for `state` as it is, each summary and total computed here.
fn component_deltas<E: EthSpec>(
    state: &BeaconState<E>,
    components: Components,
    spec: &ChainSpec,
) -> Result<Deltas, EpochProcessingError> {
    let summary = ParticipationSummary::new(state, state.previous_epoch(), spec)?;
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
    let summary = ParticipationSummary::new(state, state.previous_epoch(), spec)?;
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
