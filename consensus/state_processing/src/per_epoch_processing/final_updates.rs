//! beacon-chain.md, "Epoch processing" → "Final updates".

use super::EpochProcessingError;
use safe_arith::SafeArith;
use types::{BeaconState, ChainSpec, EthSpec, Gwei, HistoricalBatch, VariableList};

/// `process_final_updates` (beacon-chain.md, Final updates).
pub fn process_final_updates<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<(), EpochProcessingError> {
    let current_epoch = state.current_epoch();
    let next_epoch = current_epoch.safe_add(1)?;

    // Reset eth1 data votes
    if next_epoch.safe_rem(spec.epochs_per_eth1_voting_period)? == 0 {
        state.eth1_data_votes = VariableList::empty();
    }

    // Update effective balances with hysteresis
    if state.balances.len() < state.validators.len() {
        return Err(EpochProcessingError::BalancesTooShort {
            validators: state.validators.len(),
            balances: state.balances.len(),
        });
    }
    let hysteresis = Hysteresis::new(spec)?;
    for (validator, balance) in state.validators.iter_mut().zip(state.balances.iter()) {
        validator.effective_balance =
            hysteresis.effective_balance(*balance, validator.effective_balance)?;
    }

    // Reset slashings
    let slashings_index = next_epoch.safe_rem(E::epochs_per_slashings_vector())? as usize;
    if let Some(slashing) = state.slashings.get_mut(slashings_index) {
        *slashing = 0;
    }

    // Set randao mix
    let mix = state.get_randao_mix(current_epoch);
    let mix_index = next_epoch.safe_rem(E::epochs_per_historical_vector())? as usize;
    if let Some(slot) = state.randao_mixes.get_mut(mix_index) {
        *slot = mix;
    }

    // Set historical root accumulator
    let epochs_per_historical_root =
        E::slots_per_historical_root().safe_div(E::slots_per_epoch())?;
    if next_epoch.safe_rem(epochs_per_historical_root)? == 0 {
        let historical_batch = HistoricalBatch::<E> {
            block_roots: state.block_roots.clone(),
            state_roots: state.state_roots.clone(),
        };
        state
            .historical_roots
            .push(tree_hash::TreeHash::tree_hash_root(&historical_batch))
            .map_err(|_| EpochProcessingError::HistoricalRootsFull)?;
    }

    // Rotate current/previous epoch attestations
    state.previous_epoch_attestations = std::mem::take(&mut state.current_epoch_attestations);
    Ok(())
}

/// The effective-balance update of `process_final_updates`, its thresholds computed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hysteresis {
    downward_threshold: Gwei,
    upward_threshold: Gwei,
    increment: Gwei,
    max_effective_balance: Gwei,
}

impl Hysteresis {
    /// `HYSTERESIS_INCREMENT` and the two thresholds of `spec`.
    pub fn new(spec: &ChainSpec) -> Result<Self, EpochProcessingError> {
        let hysteresis_increment = spec
            .effective_balance_increment
            .safe_div(spec.hysteresis_quotient)?;
        Ok(Hysteresis {
            downward_threshold: hysteresis_increment
                .safe_mul(spec.hysteresis_downward_multiplier)?,
            upward_threshold: hysteresis_increment.safe_mul(spec.hysteresis_upward_multiplier)?,
            increment: spec.effective_balance_increment,
            max_effective_balance: spec.max_effective_balance,
        })
    }

    /// The new effective balance of a validator with `balance` and `effective_balance`.
    pub fn effective_balance(
        &self,
        balance: Gwei,
        effective_balance: Gwei,
    ) -> Result<Gwei, EpochProcessingError> {
        if balance.safe_add(self.downward_threshold)? < effective_balance
            || effective_balance.safe_add(self.upward_threshold)? < balance
        {
            Ok(balance
                .safe_sub(balance.safe_rem(self.increment)?)?
                .min(self.max_effective_balance))
        } else {
            Ok(effective_balance)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{Eth1Data, Fork, Hash256, MinimalEthSpec, Validator};

    type E = MinimalEthSpec;
    const ETH: u64 = 1_000_000_000;

    #[test]
    fn hysteresis_thresholds() {
        let spec = ChainSpec::minimal();
        assert_eq!(
            (spec.effective_balance_increment, spec.hysteresis_quotient),
            (ETH, 4),
            "the cases below assume increment 1 ETH, quarter-ETH hysteresis"
        );
        assert_eq!(
            (
                spec.hysteresis_downward_multiplier,
                spec.hysteresis_upward_multiplier
            ),
            (1, 5)
        );
        let h = Hysteresis::new(&spec).unwrap();
        let max = spec.max_effective_balance;
        let cases = [
            // (balance, effective before, effective after)
            // Downward: strictly more than 0.25 ETH below the effective balance.
            (max - ETH / 4, max, max),
            (max - ETH / 4 - 1, max, max - ETH),
            (31 * ETH + ETH / 2, 32 * ETH, 31 * ETH),
            (16 * ETH, 17 * ETH, 16 * ETH),
            (16 * ETH + ETH * 3 / 4, 17 * ETH, 17 * ETH),
            (16 * ETH + ETH * 3 / 4 - 1, 17 * ETH, 16 * ETH),
            // Upward: strictly more than 1.25 ETH above the effective balance.
            (16 * ETH + ETH * 5 / 4, 16 * ETH, 16 * ETH),
            (16 * ETH + ETH * 5 / 4 + 1, 16 * ETH, 17 * ETH),
            (18 * ETH + ETH / 2, 16 * ETH, 18 * ETH),
            // Capped at MAX_EFFECTIVE_BALANCE.
            (max + 10 * ETH, 30 * ETH, max),
            (max + 10 * ETH, max, max),
            // Down to zero.
            (0, ETH, 0),
            (ETH / 2, ETH, 0),
            (ETH * 3 / 4, ETH, ETH),
            (ETH * 3 / 4 - 1, ETH, 0),
        ];
        for (balance, before, after) in cases {
            assert_eq!(
                h.effective_balance(balance, before).unwrap(),
                after,
                "balance {balance}, effective {before}"
            );
        }
    }

    fn state_at_epoch(epoch: u64) -> BeaconState<E> {
        let mut state = BeaconState::<E>::empty(0, Fork::default(), Eth1Data::default());
        state.slot = (epoch + 1) * E::slots_per_epoch() - 1;
        state
    }

    #[test]
    fn randao_slashings_and_historical_roots() {
        let spec = ChainSpec::minimal();
        // SLOTS_PER_HISTORICAL_ROOT / SLOTS_PER_EPOCH = 8: epoch 7 -> 8 appends a root.
        let mut state = state_at_epoch(7);
        state.randao_mixes[7] = Hash256::repeat_byte(7);
        state.slashings[8] = 5;
        state.block_roots[3] = Hash256::repeat_byte(3);
        state
            .validators
            .push(Validator {
                effective_balance: 20 * ETH,
                ..Validator::default()
            })
            .unwrap();
        state.balances.push(25 * ETH + 1).unwrap();
        process_final_updates(&mut state, &spec).unwrap();
        assert_eq!(state.randao_mixes[8], Hash256::repeat_byte(7));
        assert_eq!(state.slashings[8], 0);
        assert_eq!(state.validators[0].effective_balance, 25 * ETH);
        let batch = HistoricalBatch::<E> {
            block_roots: state.block_roots.clone(),
            state_roots: state.state_roots.clone(),
        };
        assert_eq!(
            &state.historical_roots[..],
            &[tree_hash::TreeHash::tree_hash_root(&batch)]
        );

        let mut state = state_at_epoch(6);
        process_final_updates(&mut state, &spec).unwrap();
        assert!(state.historical_roots.is_empty());
    }

    #[test]
    fn eth1_votes_reset_only_at_period_boundary() {
        let spec = ChainSpec::minimal();
        let period = spec.epochs_per_eth1_voting_period;
        for (epoch, reset) in [(period - 1, true), (period, false), (2 * period - 1, true)] {
            let mut state = state_at_epoch(epoch);
            state.eth1_data_votes.push(Eth1Data::default()).unwrap();
            process_final_updates(&mut state, &spec).unwrap();
            assert_eq!(state.eth1_data_votes.is_empty(), reset, "epoch {epoch}");
        }
    }
}
