//! beacon-chain.md, "Epoch processing" → "Justification and finalization".

use super::participation::{get_attesting_balance, get_matching_target_attestations};
use super::EpochProcessingError;
use crate::helpers::accessors::get_total_active_balance;
use crate::helpers::GENESIS_EPOCH;
use safe_arith::SafeArith;
use types::{BeaconState, ChainSpec, Checkpoint, EthSpec, Gwei};

/// `process_justification_and_finalization` (beacon-chain.md, Justification and finalization).
pub fn process_justification_and_finalization<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<(), EpochProcessingError> {
    if state.current_epoch() <= GENESIS_EPOCH + 1 {
        return Ok(());
    }
    let total_active_balance = get_total_active_balance(state, spec)?;
    let previous_epoch = state.previous_epoch();
    let current_epoch = state.current_epoch();
    let previous_target_balance = get_attesting_balance(
        state,
        get_matching_target_attestations(state, previous_epoch)?,
        spec,
    )?;
    let current_target_balance = get_attesting_balance(
        state,
        get_matching_target_attestations(state, current_epoch)?,
        spec,
    )?;
    weigh_justification_and_finalization(
        state,
        total_active_balance,
        previous_target_balance,
        current_target_balance,
    )
}

/// The body of `process_justification_and_finalization` (beacon-chain.md, Justification and
/// finalization) after the genesis guard, from the balances it weighs (the spec names this
/// split `weigh_justification_and_finalization` from Altair on).
pub fn weigh_justification_and_finalization<E: EthSpec>(
    state: &mut BeaconState<E>,
    total_active_balance: Gwei,
    previous_epoch_target_balance: Gwei,
    current_epoch_target_balance: Gwei,
) -> Result<(), EpochProcessingError> {
    let previous_epoch = state.previous_epoch();
    let current_epoch = state.current_epoch();
    let old_previous_justified_checkpoint = state.previous_justified_checkpoint;
    let old_current_justified_checkpoint = state.current_justified_checkpoint;
    let supermajority = total_active_balance.safe_mul(2)?;

    // Process justifications
    state.previous_justified_checkpoint = state.current_justified_checkpoint;
    let old_bits: [bool; 4] = read_bits(state)?;
    let mut bits = [false, old_bits[0], old_bits[1], old_bits[2]];
    if previous_epoch_target_balance.safe_mul(3)? >= supermajority {
        state.current_justified_checkpoint = Checkpoint {
            epoch: previous_epoch,
            root: state.get_block_root(previous_epoch)?,
        };
        bits[1] = true;
    }
    if current_epoch_target_balance.safe_mul(3)? >= supermajority {
        state.current_justified_checkpoint = Checkpoint {
            epoch: current_epoch,
            root: state.get_block_root(current_epoch)?,
        };
        bits[0] = true;
    }
    write_bits(state, bits)?;

    // Process finalizations
    // The 2nd/3rd/4th most recent epochs are justified, the 2nd using the 4th as source
    if bits[1..4].iter().all(|b| *b)
        && old_previous_justified_checkpoint.epoch.safe_add(3)? == current_epoch
    {
        state.finalized_checkpoint = old_previous_justified_checkpoint;
    }
    // The 2nd/3rd most recent epochs are justified, the 2nd using the 3rd as source
    if bits[1..3].iter().all(|b| *b)
        && old_previous_justified_checkpoint.epoch.safe_add(2)? == current_epoch
    {
        state.finalized_checkpoint = old_previous_justified_checkpoint;
    }
    // The 1st/2nd/3rd most recent epochs are justified, the 1st using the 3rd as source
    if bits[0..3].iter().all(|b| *b)
        && old_current_justified_checkpoint.epoch.safe_add(2)? == current_epoch
    {
        state.finalized_checkpoint = old_current_justified_checkpoint;
    }
    // The 1st/2nd most recent epochs are justified, the 1st using the 2nd as source
    if bits[0..2].iter().all(|b| *b)
        && old_current_justified_checkpoint.epoch.safe_add(1)? == current_epoch
    {
        state.finalized_checkpoint = old_current_justified_checkpoint;
    }
    Ok(())
}

fn read_bits<E: EthSpec>(state: &BeaconState<E>) -> Result<[bool; 4], EpochProcessingError> {
    let mut out = [false; 4];
    for (i, bit) in out.iter_mut().enumerate() {
        *bit = state
            .justification_bits
            .get(i)
            .map_err(|_| EpochProcessingError::JustificationBit(i))?;
    }
    Ok(out)
}

fn write_bits<E: EthSpec>(
    state: &mut BeaconState<E>,
    bits: [bool; 4],
) -> Result<(), EpochProcessingError> {
    for (i, bit) in bits.into_iter().enumerate() {
        state
            .justification_bits
            .set(i, bit)
            .map_err(|_| EpochProcessingError::JustificationBit(i))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{Eth1Data, Fork, Hash256, MinimalEthSpec};

    type E = MinimalEthSpec;
    const TOTAL: Gwei = 300;
    const JUSTIFYING: Gwei = 200;
    const NOT_JUSTIFYING: Gwei = 199;

    fn checkpoint(epoch: u64) -> Checkpoint {
        Checkpoint {
            epoch,
            root: Hash256::repeat_byte(epoch as u8 + 1),
        }
    }

    /// A state at the last slot of `current_epoch`, with distinct block roots per slot.
    fn state_at(
        current_epoch: u64,
        bits: [bool; 4],
        prev_justified: u64,
        curr_justified: u64,
    ) -> BeaconState<E> {
        let mut state = BeaconState::<E>::empty(0, Fork::default(), Eth1Data::default());
        state.slot = (current_epoch + 1) * E::slots_per_epoch() - 1;
        for (i, root) in state.block_roots.iter_mut().enumerate() {
            *root = Hash256::repeat_byte(0x80 | i as u8);
        }
        for (i, b) in bits.into_iter().enumerate() {
            state.justification_bits.set(i, b).unwrap();
        }
        state.previous_justified_checkpoint = checkpoint(prev_justified);
        state.current_justified_checkpoint = checkpoint(curr_justified);
        state.finalized_checkpoint = checkpoint(0);
        state
    }

    fn bits_of(state: &BeaconState<E>) -> [bool; 4] {
        read_bits(state).unwrap()
    }

    #[test]
    fn two_thirds_threshold_is_inclusive() {
        let mut state = state_at(5, [false; 4], 3, 3);
        weigh_justification_and_finalization(&mut state, TOTAL, JUSTIFYING, NOT_JUSTIFYING)
            .unwrap();
        assert_eq!(bits_of(&state), [false, true, false, false]);
        assert_eq!(state.current_justified_checkpoint.epoch, 4);
        assert_eq!(
            state.current_justified_checkpoint.root,
            state.get_block_root(4).unwrap()
        );
        assert_eq!(state.previous_justified_checkpoint, checkpoint(3));

        let mut state = state_at(5, [false; 4], 3, 3);
        weigh_justification_and_finalization(&mut state, TOTAL, NOT_JUSTIFYING, NOT_JUSTIFYING)
            .unwrap();
        assert_eq!(bits_of(&state), [false; 4]);
        assert_eq!(state.current_justified_checkpoint, checkpoint(3));
        assert_eq!(state.finalized_checkpoint, checkpoint(0));
    }

    #[test]
    fn bits_shift_up_and_drop_the_oldest() {
        let mut state = state_at(5, [true, false, true, true], 1, 1);
        weigh_justification_and_finalization(&mut state, TOTAL, NOT_JUSTIFYING, JUSTIFYING)
            .unwrap();
        assert_eq!(bits_of(&state), [true, true, false, true]);
        assert_eq!(state.current_justified_checkpoint.epoch, 5);
    }

    /// Rule 1: bits 1..4 set, the old previous justified checkpoint is current - 3.
    #[test]
    fn rule_234_finalizes_old_previous_justified() {
        // Before (as of epoch 4): epochs 3 and 2 justified (bits 1, 2), previous justified 2.
        // Now epoch 4 justifies, with epoch 2 as its source.
        let mut state = state_at(5, [false, true, true, false], 2, 3);
        weigh_justification_and_finalization(&mut state, TOTAL, JUSTIFYING, NOT_JUSTIFYING)
            .unwrap();
        assert_eq!(bits_of(&state), [false, true, true, true]);
        assert_eq!(state.finalized_checkpoint, checkpoint(2));
        // Same bits, but the source is not exactly three epochs back: nothing finalizes.
        let mut state = state_at(5, [false, true, true, false], 1, 3);
        weigh_justification_and_finalization(&mut state, TOTAL, JUSTIFYING, NOT_JUSTIFYING)
            .unwrap();
        assert_eq!(state.finalized_checkpoint, checkpoint(0));
    }

    /// Rule 2: bits 1..3 set, the old previous justified checkpoint is current - 2.
    #[test]
    fn rule_23_finalizes_old_previous_justified() {
        // Before (as of epoch 4): epoch 3 justified (bit 1). Now epoch 4 justifies from it.
        let mut state = state_at(5, [false, true, false, false], 3, 3);
        weigh_justification_and_finalization(&mut state, TOTAL, JUSTIFYING, NOT_JUSTIFYING)
            .unwrap();
        assert_eq!(bits_of(&state), [false, true, true, false]);
        assert_eq!(state.finalized_checkpoint, checkpoint(3));
        // Missing the previous-epoch justification: nothing finalizes.
        let mut state = state_at(5, [false, true, false, false], 3, 3);
        weigh_justification_and_finalization(&mut state, TOTAL, NOT_JUSTIFYING, NOT_JUSTIFYING)
            .unwrap();
        assert_eq!(bits_of(&state), [false, false, true, false]);
        assert_eq!(state.finalized_checkpoint, checkpoint(0));
    }

    /// Rule 3: bits 0..3 set, the old current justified checkpoint is current - 2.
    #[test]
    fn rule_123_finalizes_old_current_justified() {
        // Before (as of epoch 4): epoch 3 justified (bit 1), epoch 4 not yet; now both epochs 4
        // and 5 justify, epoch 5 with epoch 3 as its source.
        let mut state = state_at(5, [false, true, false, false], 2, 3);
        weigh_justification_and_finalization(&mut state, TOTAL, JUSTIFYING, JUSTIFYING).unwrap();
        assert_eq!(bits_of(&state), [true, true, true, false]);
        assert_eq!(state.finalized_checkpoint, checkpoint(3));
        assert_eq!(state.current_justified_checkpoint.epoch, 5);
        assert_eq!(state.previous_justified_checkpoint, checkpoint(3));
    }

    /// Rule 4: bits 0..2 set, the old current justified checkpoint is current - 1.
    #[test]
    fn rule_12_finalizes_old_current_justified() {
        let mut state = state_at(5, [false; 4], 2, 4);
        weigh_justification_and_finalization(&mut state, TOTAL, JUSTIFYING, JUSTIFYING).unwrap();
        assert_eq!(bits_of(&state), [true, true, false, false]);
        assert_eq!(state.finalized_checkpoint, checkpoint(4));
        // Only the current epoch justifies: bit 1 is clear, nothing finalizes.
        let mut state = state_at(5, [false; 4], 2, 4);
        weigh_justification_and_finalization(&mut state, TOTAL, NOT_JUSTIFYING, JUSTIFYING)
            .unwrap();
        assert_eq!(bits_of(&state), [true, false, false, false]);
        assert_eq!(state.finalized_checkpoint, checkpoint(0));
    }

    #[test]
    fn later_rules_override_earlier_ones() {
        // All four bits end up set and both rule 1 (old previous = current - 3) and rule 4
        // (old current = current - 1) apply: the spec's last assignment (rule 4) wins.
        let mut state = state_at(5, [true, true, true, false], 2, 4);
        weigh_justification_and_finalization(&mut state, TOTAL, JUSTIFYING, JUSTIFYING).unwrap();
        assert_eq!(bits_of(&state), [true, true, true, true]);
        assert_eq!(state.finalized_checkpoint, checkpoint(4));
    }

    #[test]
    fn skipped_in_the_first_two_epochs() {
        let spec = ChainSpec::minimal();
        for epoch in [0, 1] {
            let mut state = state_at(epoch, [true; 4], 0, 0);
            let before = state.clone();
            process_justification_and_finalization(&mut state, &spec).unwrap();
            assert_eq!(state, before);
        }
    }
}
