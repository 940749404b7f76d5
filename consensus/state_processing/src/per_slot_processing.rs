//! beacon-chain.md, "Beacon chain state transition function": `process_slots`, `process_slot`.

use crate::per_epoch_processing::{process_epoch, EpochProcessingError};
use safe_arith::{ArithError, SafeArith};
use tree_hash::TreeHash;
use types::{BeaconState, ChainSpec, EthSpec, Hash256, Slot};

/// Why advancing a state through empty slots failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotProcessingError {
    #[error("target slot {target} is not after the state's slot {state}")]
    SlotNotInFuture { state: Slot, target: Slot },
    #[error("epoch processing failed: {0}")]
    Epoch(#[from] EpochProcessingError),
    #[error("arithmetic error: {0:?}")]
    Arith(ArithError),
}

impl From<ArithError> for SlotProcessingError {
    fn from(e: ArithError) -> Self {
        SlotProcessingError::Arith(e)
    }
}

/// `process_slots` (beacon-chain.md, State transition): advance to `slot`, running epoch
/// processing at each epoch boundary.
pub fn process_slots<E: EthSpec>(
    state: &mut BeaconState<E>,
    slot: Slot,
    spec: &ChainSpec,
) -> Result<(), SlotProcessingError> {
    if state.slot >= slot {
        return Err(SlotProcessingError::SlotNotInFuture {
            state: state.slot,
            target: slot,
        });
    }
    while state.slot < slot {
        process_slot(state)?;
        let next_slot = state.slot.safe_add(1)?;
        if next_slot % E::slots_per_epoch() == 0 {
            process_epoch(state, spec)?;
            state.slot = next_slot;
            state.caches.advance_epoch();
        } else {
            state.slot = next_slot;
        }
    }
    Ok(())
}

/// `process_slot` (beacon-chain.md, State transition): cache the previous state and block roots.
pub fn process_slot<E: EthSpec>(state: &mut BeaconState<E>) -> Result<(), SlotProcessingError> {
    // Incremental: only what changed since the last root is re-hashed.
    let previous_state_root = state.update_tree_hash_cache();
    let index = (state.slot % E::slots_per_historical_root()) as usize;
    state.state_roots[index] = previous_state_root;
    if state.latest_block_header.state_root == Hash256::ZERO {
        state.latest_block_header.state_root = previous_state_root;
    }
    let previous_block_root = state.latest_block_header.tree_hash_root();
    state.block_roots[index] = previous_block_root;
    Ok(())
}
