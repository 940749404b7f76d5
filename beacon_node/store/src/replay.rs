//! Rebuilding a state by replaying blocks already verified once (no signature checks).

use state_processing::per_block_processing::{process_block, VerifySignatures};
use state_processing::process_slots;
use types::{BeaconState, ChainSpec, EthSpec, SignedBeaconBlock, Slot};

/// Apply `blocks` (ascending, all after `state.slot`) to `state`, then advance to `target`.
pub fn replay_blocks<E: EthSpec>(
    mut state: BeaconState<E>,
    blocks: &[SignedBeaconBlock<E>],
    target: Slot,
    spec: &ChainSpec,
) -> Result<BeaconState<E>, String> {
    for block in blocks {
        if block.message.slot > state.slot {
            process_slots(&mut state, block.message.slot, spec)
                .map_err(|e| format!("slots to {}: {e}", block.message.slot))?;
        }
        process_block(&mut state, &block.message, VerifySignatures::None, spec)
            .map_err(|e| format!("block at slot {}: {e}", block.message.slot))?;
    }
    if target > state.slot {
        process_slots(&mut state, target, spec).map_err(|e| format!("slots to {target}: {e}"))?;
    }
    Ok(state)
}
