//! beacon-chain.md, "Beacon state mutators".

use crate::helpers::accessors::{get_beacon_proposer_index, get_validator_churn_limit};
use crate::helpers::misc::compute_activation_exit_epoch;
use crate::helpers::FAR_FUTURE_EPOCH;
use crate::StateError;
use safe_arith::SafeArith;
use types::{BeaconState, ChainSpec, EthSpec, Gwei, ValidatorIndex};

/// `increase_balance` (beacon-chain.md, Beacon state mutators).
pub fn increase_balance<E: EthSpec>(
    state: &mut BeaconState<E>,
    index: ValidatorIndex,
    delta: Gwei,
) -> Result<(), StateError> {
    let balance = state.balance_mut(index)?;
    *balance = balance.safe_add(delta)?;
    Ok(())
}

/// `decrease_balance` (beacon-chain.md, Beacon state mutators): saturates at zero.
pub fn decrease_balance<E: EthSpec>(
    state: &mut BeaconState<E>,
    index: ValidatorIndex,
    delta: Gwei,
) -> Result<(), StateError> {
    let balance = state.balance_mut(index)?;
    *balance = balance.saturating_sub(delta);
    Ok(())
}

/// `initiate_validator_exit` (beacon-chain.md, Beacon state mutators).
pub fn initiate_validator_exit<E: EthSpec>(
    state: &mut BeaconState<E>,
    index: ValidatorIndex,
    spec: &ChainSpec,
) -> Result<(), StateError> {
    if state.validator(index)?.exit_epoch != FAR_FUTURE_EPOCH {
        return Ok(());
    }
    let mut exit_queue_epoch = compute_activation_exit_epoch(state.current_epoch(), spec)?;
    for v in state.validators.iter() {
        if v.exit_epoch != FAR_FUTURE_EPOCH && v.exit_epoch > exit_queue_epoch {
            exit_queue_epoch = v.exit_epoch;
        }
    }
    let exit_queue_churn = state
        .validators
        .iter()
        .filter(|v| v.exit_epoch == exit_queue_epoch)
        .count() as u64;
    if exit_queue_churn >= get_validator_churn_limit(state, spec)? {
        exit_queue_epoch.safe_add_assign(1)?;
    }
    let withdrawable_epoch = exit_queue_epoch.safe_add(spec.min_validator_withdrawability_delay)?;
    let validator = state.validator_mut(index)?;
    validator.exit_epoch = exit_queue_epoch;
    validator.withdrawable_epoch = withdrawable_epoch;
    Ok(())
}

/// `slash_validator` (beacon-chain.md, Beacon state mutators).
pub fn slash_validator<E: EthSpec>(
    state: &mut BeaconState<E>,
    slashed_index: ValidatorIndex,
    whistleblower_index: Option<ValidatorIndex>,
    spec: &ChainSpec,
) -> Result<(), StateError> {
    let epoch = state.current_epoch();
    initiate_validator_exit(state, slashed_index, spec)?;
    let min_withdrawable = epoch.safe_add(E::epochs_per_slashings_vector())?;
    let validator = state.validator_mut(slashed_index)?;
    validator.slashed = true;
    validator.withdrawable_epoch = validator.withdrawable_epoch.max(min_withdrawable);
    let effective_balance = validator.effective_balance;

    let slashings_index = (epoch % E::epochs_per_slashings_vector()) as usize;
    let slashings = &mut state.slashings[slashings_index];
    *slashings = slashings.safe_add(effective_balance)?;
    decrease_balance(
        state,
        slashed_index,
        effective_balance.safe_div(spec.min_slashing_penalty_quotient)?,
    )?;

    let proposer_index = get_beacon_proposer_index(state, spec)?;
    let whistleblower_index = whistleblower_index.unwrap_or(proposer_index);
    let whistleblower_reward = effective_balance.safe_div(spec.whistleblower_reward_quotient)?;
    let proposer_reward = whistleblower_reward.safe_div(spec.proposer_reward_quotient)?;
    increase_balance(state, proposer_index, proposer_reward)?;
    increase_balance(
        state,
        whistleblower_index,
        whistleblower_reward.safe_sub(proposer_reward)?,
    )?;
    Ok(())
}
