//! beacon-chain.md, "Epoch processing" → "Registry updates".

use super::EpochProcessingError;
use crate::helpers::accessors::get_validator_churn_limit;
use crate::helpers::misc::compute_activation_exit_epoch;
use crate::helpers::mutators::initiate_validator_exit;
use crate::helpers::predicates::{
    is_active_validator, is_eligible_for_activation, is_eligible_for_activation_queue,
};
use crate::helpers::FAR_FUTURE_EPOCH;
use safe_arith::SafeArith;
use types::{BeaconState, ChainSpec, Epoch, EthSpec, Validator, ValidatorIndex};

/// `process_registry_updates` (beacon-chain.md, Registry updates).
pub fn process_registry_updates<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<(), EpochProcessingError> {
    let current_epoch = state.current_epoch();
    // The churn limit counts validators active in the current epoch; nothing here changes that
    // set (activations and exits are scheduled for current + 1 + MAX_SEED_LOOKAHEAD at the
    // earliest), so it is the same for every ejection and for the activation queue.
    let churn_limit = get_validator_churn_limit(state, spec)?;

    // Process activation eligibility and ejections
    let eligibility_epoch = current_epoch.safe_add(1)?;
    let mut exit_queue: Option<ExitQueue> = None;
    for index in 0..state.validators.len() {
        let validator = state.validator_mut(index as u64)?;
        if is_eligible_for_activation_queue(validator, spec) {
            validator.activation_eligibility_epoch = eligibility_epoch;
        }
        let eject = is_active_validator(validator, current_epoch)
            && validator.effective_balance <= spec.ejection_balance;
        if eject {
            if exit_queue.is_none() {
                exit_queue = Some(ExitQueue::new(
                    state.validators.iter(),
                    current_epoch,
                    spec,
                )?);
            }
            if let Some(queue) = exit_queue.as_mut() {
                queue.initiate_validator_exit(state, index as u64, churn_limit, spec)?;
            }
        }
    }

    // Queue validators eligible for activation and not yet dequeued for activation, ordered by
    // the sequence of activation_eligibility_epoch setting and then index.
    let finalized_epoch = state.finalized_checkpoint.epoch;
    let mut activation_queue: Vec<(Epoch, ValidatorIndex)> = state
        .validators
        .iter()
        .enumerate()
        .filter(|(_, v)| is_eligible_for_activation(v, finalized_epoch))
        .map(|(i, v)| (v.activation_eligibility_epoch, i as u64))
        .collect();
    let dequeued = usize::try_from(churn_limit).unwrap_or(usize::MAX);
    if activation_queue.len() > dequeued && dequeued > 0 {
        // Only the first `churn_limit` in order matter: partition, then sort that prefix.
        activation_queue.select_nth_unstable(dequeued - 1);
    }
    activation_queue.truncate(dequeued);
    activation_queue.sort_unstable();

    // Dequeued validators for activation up to churn limit
    let activation_epoch = compute_activation_exit_epoch(current_epoch, spec)?;
    for (_, index) in activation_queue {
        state.validator_mut(index)?.activation_epoch = activation_epoch;
    }
    Ok(())
}

/// The running state of `initiate_validator_exit`'s exit queue during one registry update:
/// the latest scheduled exit epoch and how many validators exit in it. The helper recomputes
/// both with two scans of the registry per exit; a burst of ejections would make that
/// quadratic, so this keeps them up to date instead. Results are identical to the helper's.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ExitQueue {
    /// `max(exit_epoch)` over validators with a scheduled exit, at least
    /// `compute_activation_exit_epoch(current_epoch)`.
    epoch: Epoch,
    /// The number of validators whose `exit_epoch` is `epoch`.
    churn: u64,
}

impl ExitQueue {
    fn new<'a>(
        validators: impl Iterator<Item = &'a Validator>,
        current_epoch: Epoch,
        spec: &ChainSpec,
    ) -> Result<Self, EpochProcessingError> {
        let mut queue = ExitQueue {
            epoch: compute_activation_exit_epoch(current_epoch, spec)?,
            churn: 0,
        };
        for v in validators {
            if v.exit_epoch == FAR_FUTURE_EPOCH {
                continue;
            }
            if v.exit_epoch > queue.epoch {
                queue.epoch = v.exit_epoch;
                queue.churn = 1;
            } else if v.exit_epoch == queue.epoch {
                queue.churn.safe_add_assign(1)?;
            }
        }
        Ok(queue)
    }

    /// `initiate_validator_exit` (beacon-chain.md, Beacon state mutators), with the queue
    /// kept here instead of rescanned.
    fn initiate_validator_exit<E: EthSpec>(
        &mut self,
        state: &mut BeaconState<E>,
        index: ValidatorIndex,
        churn_limit: u64,
        spec: &ChainSpec,
    ) -> Result<(), EpochProcessingError> {
        if state.validator(index)?.exit_epoch != FAR_FUTURE_EPOCH {
            return Ok(());
        }
        if self.epoch == FAR_FUTURE_EPOCH {
            // A queue epoch at the sentinel itself also counts validators that never exit:
            // leave that corner to the helper's literal reading.
            initiate_validator_exit(state, index, spec)?;
            return Ok(());
        }
        if self.churn >= churn_limit {
            self.epoch.safe_add_assign(1)?;
            self.churn = 0;
        }
        let withdrawable_epoch = self
            .epoch
            .safe_add(spec.min_validator_withdrawability_delay)?;
        let validator = state.validator_mut(index)?;
        validator.exit_epoch = self.epoch;
        validator.withdrawable_epoch = withdrawable_epoch;
        self.churn.safe_add_assign(1)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers::accessors::get_validator_churn_limit;
    use types::{Eth1Data, Fork, MinimalEthSpec};

    type E = MinimalEthSpec;

    fn active_validator(spec: &ChainSpec) -> Validator {
        Validator {
            effective_balance: spec.max_effective_balance,
            activation_eligibility_epoch: 0,
            activation_epoch: 0,
            exit_epoch: FAR_FUTURE_EPOCH,
            withdrawable_epoch: FAR_FUTURE_EPOCH,
            ..Validator::default()
        }
    }

    fn pending_validator(eligibility_epoch: Epoch, spec: &ChainSpec) -> Validator {
        Validator {
            activation_eligibility_epoch: eligibility_epoch,
            activation_epoch: FAR_FUTURE_EPOCH,
            ..active_validator(spec)
        }
    }

    /// A state at the last slot of `epoch` with `active` active validators.
    fn state_with(active: usize, epoch: Epoch, spec: &ChainSpec) -> BeaconState<E> {
        let mut state = BeaconState::<E>::empty(0, Fork::default(), Eth1Data::default());
        state.slot = (epoch + 1) * E::slots_per_epoch() - 1;
        for _ in 0..active {
            state.validators.push(active_validator(spec)).unwrap();
            state.balances.push(spec.max_effective_balance).unwrap();
        }
        state
    }

    fn push(state: &mut BeaconState<E>, v: Validator) -> u64 {
        state.balances.push(v.effective_balance).unwrap();
        state.validators.push(v).unwrap();
        state.validators.len() as u64 - 1
    }

    #[test]
    fn activation_queue_orders_by_eligibility_epoch_then_index_and_respects_churn() {
        let spec = ChainSpec::minimal();
        let mut state = state_with(16, 10, &spec);
        state.finalized_checkpoint.epoch = 8;
        let churn = get_validator_churn_limit(&state, &spec).unwrap();
        assert_eq!(churn, spec.min_per_epoch_churn_limit);
        // Eligibility epochs, in index order; the last one is not yet finalized.
        let epochs = [7, 3, 8, 3, 5, 1, 9];
        let indices: Vec<u64> = epochs
            .iter()
            .map(|e| push(&mut state, pending_validator(*e, &spec)))
            .collect();

        process_registry_updates(&mut state, &spec).unwrap();

        let mut expected: Vec<(Epoch, u64)> = epochs
            .iter()
            .zip(&indices)
            .filter(|(e, _)| **e <= 8)
            .map(|(e, i)| (*e, *i))
            .collect();
        expected.sort();
        let activated: Vec<u64> = expected
            .iter()
            .take(churn as usize)
            .map(|(_, i)| *i)
            .collect();
        assert_eq!(activated.len(), churn as usize);
        let activation_epoch = compute_activation_exit_epoch(10, &spec).unwrap();
        for (e, i) in epochs.iter().zip(&indices) {
            let v = &state.validators[*i as usize];
            if activated.contains(i) {
                assert_eq!(
                    v.activation_epoch, activation_epoch,
                    "validator {i} (eligible {e})"
                );
            } else {
                assert_eq!(
                    v.activation_epoch, FAR_FUTURE_EPOCH,
                    "validator {i} (eligible {e})"
                );
            }
        }
        // Ties on the epoch go to the lower index: of the two epoch-3 validators, index order.
        assert_eq!(activated[0], indices[5]);
        assert_eq!(&activated[1..3], &[indices[1], indices[3]]);
    }

    #[test]
    fn newly_eligible_validators_are_marked_but_not_activated() {
        let spec = ChainSpec::minimal();
        let mut state = state_with(8, 4, &spec);
        state.finalized_checkpoint.epoch = 3;
        let i = push(
            &mut state,
            Validator {
                activation_eligibility_epoch: FAR_FUTURE_EPOCH,
                ..pending_validator(0, &spec)
            },
        );
        let short = push(
            &mut state,
            Validator {
                activation_eligibility_epoch: FAR_FUTURE_EPOCH,
                effective_balance: spec.max_effective_balance - spec.effective_balance_increment,
                ..pending_validator(0, &spec)
            },
        );
        process_registry_updates(&mut state, &spec).unwrap();
        assert_eq!(state.validators[i as usize].activation_eligibility_epoch, 5);
        assert_eq!(
            state.validators[i as usize].activation_epoch,
            FAR_FUTURE_EPOCH
        );
        assert_eq!(
            state.validators[short as usize].activation_eligibility_epoch,
            FAR_FUTURE_EPOCH
        );
    }

    #[test]
    fn ejections_match_the_helper_and_respect_churn() {
        let spec = ChainSpec::minimal();
        for already_exiting in [0usize, 1, 3, 5] {
            let mut state = state_with(40, 6, &spec);
            // Some validators already queued to exit at a late epoch.
            for i in 0..already_exiting {
                state.validators[i].exit_epoch = 20;
                state.validators[i].withdrawable_epoch = 40;
            }
            // Ten validators at or below the ejection balance, one just above it.
            for i in 10..20 {
                state.validators[i].effective_balance =
                    spec.ejection_balance - (i as u64 % 2) * 1_000_000_000;
            }
            state.validators[25].effective_balance =
                spec.ejection_balance + spec.effective_balance_increment;

            let mut expected = state.clone();
            for i in 10..20 {
                initiate_validator_exit(&mut expected, i, &spec).unwrap();
            }
            process_registry_updates(&mut state, &spec).unwrap();
            assert_eq!(
                state.validators, expected.validators,
                "already exiting: {already_exiting}"
            );
            assert_eq!(state.validators[25].exit_epoch, FAR_FUTURE_EPOCH);
            // No exit epoch holds more than the churn limit of new exits.
            let churn = get_validator_churn_limit(&state, &spec).unwrap();
            for epoch in 0..40 {
                let count = (10..20)
                    .filter(|i| state.validators[*i].exit_epoch == epoch)
                    .count() as u64;
                assert!(count <= churn);
            }
        }
    }
}
