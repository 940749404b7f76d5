//! beacon-chain.md, "Epoch processing" → "Slashings".

use super::EpochProcessingError;
use crate::helpers::accessors::get_total_active_balance;
use crate::helpers::mutators::decrease_balance;
use safe_arith::SafeArith;
use types::{BeaconState, ChainSpec, EthSpec, Gwei};

/// `process_slashings` (beacon-chain.md, Slashings).
pub fn process_slashings<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<(), EpochProcessingError> {
    let total_balance = get_total_active_balance(state, spec)?;
    process_slashings_with_total(state, total_balance, spec)
}

/// `process_slashings` given `get_total_active_balance(state)`.
pub(crate) fn process_slashings_with_total<E: EthSpec>(
    state: &mut BeaconState<E>,
    total_balance: Gwei,
    spec: &ChainSpec,
) -> Result<(), EpochProcessingError> {
    let epoch = state.current_epoch();
    let mut sum_slashings: Gwei = 0;
    for s in state.slashings.iter() {
        sum_slashings.safe_add_assign(*s)?;
    }
    let adjusted_total_slashing_balance = sum_slashings
        .safe_mul(spec.proportional_slashing_multiplier)?
        .min(total_balance);
    let withdrawable_epoch = epoch.safe_add(E::epochs_per_slashings_vector().safe_div(2)?)?;
    let increment = spec.effective_balance_increment;

    for index in 0..state.validators.len() {
        let validator = state.validator(index as u64)?;
        if validator.slashed && validator.withdrawable_epoch == withdrawable_epoch {
            // Factored out from penalty numerator to avoid uint64 overflow
            let penalty_numerator = validator
                .effective_balance
                .safe_div(increment)?
                .safe_mul(adjusted_total_slashing_balance)?;
            let penalty = penalty_numerator
                .safe_div(total_balance)?
                .safe_mul(increment)?;
            decrease_balance(state, index as u64, penalty)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{Eth1Data, Fork, MinimalEthSpec, Validator};

    type E = MinimalEthSpec;

    #[test]
    fn penalty_is_proportional_and_rounded_to_increments() {
        let spec = ChainSpec::minimal();
        let mut state = BeaconState::<E>::empty(0, Fork::default(), Eth1Data::default());
        state.slot = 10 * E::slots_per_epoch() - 1;
        let epoch = state.current_epoch();
        let max = spec.max_effective_balance;
        for i in 0..10u64 {
            state
                .validators
                .push(Validator {
                    effective_balance: max,
                    slashed: i < 2,
                    exit_epoch: u64::MAX,
                    // Validator 0 is at the halfway point of its slashing window, 1 is not.
                    withdrawable_epoch: if i == 0 {
                        epoch + E::epochs_per_slashings_vector() / 2
                    } else {
                        u64::MAX
                    },
                    ..Validator::default()
                })
                .unwrap();
            state.balances.push(max).unwrap();
        }
        state.slashings[0] = max;
        state.slashings[5] = max / 2;
        process_slashings(&mut state, &spec).unwrap();

        let total = 10 * max;
        let adjusted = (max + max / 2) * spec.proportional_slashing_multiplier;
        let increment = spec.effective_balance_increment;
        let penalty = max / increment * adjusted / total * increment;
        assert_eq!(state.balances[0], max - penalty);
        assert_eq!(penalty % increment, 0);
        assert!(state.balances[1..].iter().all(|b| *b == max));
    }
}
