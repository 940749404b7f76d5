//! beacon-chain.md, "Beacon chain state transition function": `state_transition`.

use crate::per_block_processing::{process_signed_block, BlockProcessingError, VerifySignatures};
use crate::per_slot_processing::{process_slots, SlotProcessingError};
use types::{BeaconState, ChainSpec, EthSpec, Hash256, SignedBeaconBlock};

/// Why a block could not be applied to a state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateTransitionError {
    #[error("advancing to the block's slot failed: {0}")]
    Slots(#[from] SlotProcessingError),
    #[error("block is invalid: {0}")]
    Block(#[from] BlockProcessingError),
    #[error("block's state_root {block:?} differs from the post-state's root {computed:?}")]
    StateRootMismatch { block: Hash256, computed: Hash256 },
}

/// `state_transition` (beacon-chain.md, State transition): slots, then the block (its
/// signature included per `verify`), then the state-root check when `validate_result`.
pub fn state_transition<E: EthSpec>(
    state: &mut BeaconState<E>,
    signed_block: &SignedBeaconBlock<E>,
    verify: VerifySignatures,
    validate_result: bool,
    spec: &ChainSpec,
) -> Result<(), StateTransitionError> {
    let block = &signed_block.message;
    process_slots(state, block.slot, spec)?;
    process_signed_block(state, signed_block, verify, spec)?;
    if validate_result {
        let computed = state.update_tree_hash_cache();
        if block.state_root != computed {
            return Err(StateTransitionError::StateRootMismatch {
                block: block.state_root,
                computed,
            });
        }
    }
    Ok(())
}
