//! beacon-chain.md, "Epoch processing": `process_epoch` and its five steps, one file each.
//!
//! Each step is public and runs alone on a state exactly as the spec's function does (the
//! conformance vectors call them one by one). [`process_epoch`] runs the same steps but computes
//! what several of them share once: `get_total_active_balance` and a one-pass
//! [`ParticipationSummary`] of the previous epoch's attestations (see [`participation`]).

mod errors;
pub mod final_updates;
pub mod justification_and_finalization;
pub mod participation;
pub mod registry_updates;
pub mod rewards_and_penalties;
pub mod slashings;

pub use errors::EpochProcessingError;
pub use final_updates::{process_final_updates, Hysteresis};
pub use justification_and_finalization::{
    process_justification_and_finalization, weigh_justification_and_finalization,
};
pub use participation::{
    get_attesting_balance, get_matching_head_attestations, get_matching_source_attestations,
    get_matching_target_attestations, get_unslashed_attesting_indices, AttesterStatus,
    InclusionInfo, ParticipationSummary,
};
pub use registry_updates::process_registry_updates;
pub use rewards_and_penalties::{
    accumulate_deltas, get_attestation_deltas, get_base_reward, get_eligible_validator_indices,
    get_finality_delay, get_head_deltas, get_inactivity_penalty_deltas, get_inclusion_delay_deltas,
    get_proposer_reward, get_source_deltas, get_target_deltas, is_in_inactivity_leak,
    process_rewards_and_penalties, Components, Deltas,
};
pub use slashings::process_slashings;

use crate::helpers::accessors::get_total_active_balance;
use crate::helpers::GENESIS_EPOCH;
use types::{BeaconState, ChainSpec, EthSpec};

/// `process_epoch` (beacon-chain.md, Epoch processing).
pub fn process_epoch<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<(), EpochProcessingError> {
    let current_epoch = state.current_epoch();
    // Effective balances, slashed flags and the current epoch's active set stay fixed until
    // process_final_updates (registry updates schedule activations and exits no earlier than
    // current + 1 + MAX_SEED_LOOKAHEAD), so one total serves justification, rewards and
    // slashings, and one summary of the previous epoch serves justification and rewards.
    let total_active_balance = get_total_active_balance(state, spec)?;
    let previous = if current_epoch > GENESIS_EPOCH {
        let previous_epoch = state.previous_epoch();
        Some(ParticipationSummary::new(state, previous_epoch, spec)?)
    } else {
        None
    };

    // process_justification_and_finalization
    if let (true, Some(previous)) = (current_epoch > GENESIS_EPOCH + 1, &previous) {
        let current_target_attestations = get_matching_target_attestations(state, current_epoch)?;
        let current_target_balance =
            get_attesting_balance(state, current_target_attestations, spec)?;
        weigh_justification_and_finalization(
            state,
            total_active_balance,
            previous.target_attesting_balance,
            current_target_balance,
        )?;
    }

    // process_rewards_and_penalties
    if let Some(previous) = &previous {
        rewards_and_penalties::apply_rewards_and_penalties(
            state,
            previous,
            total_active_balance,
            spec,
        )?;
    }

    process_registry_updates(state, spec)?;
    slashings::process_slashings_with_total(state, total_active_balance, spec)?;
    process_final_updates(state, spec)?;
    Ok(())
}
