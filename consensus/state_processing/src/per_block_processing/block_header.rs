//! beacon-chain.md (v1.0.1), "Block header": `process_block_header`.

use super::errors::BlockProcessingError;
use crate::helpers::accessors::get_beacon_proposer_index;
use tree_hash::TreeHash;
use types::{BeaconBlock, BeaconBlockHeader, BeaconState, ChainSpec, EthSpec, Hash256};

/// `process_block_header` (beacon-chain.md, Block header).
pub fn process_block_header<E: EthSpec>(
    state: &mut BeaconState<E>,
    block: &BeaconBlock<E>,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    // Verify that the slots match
    if block.slot != state.slot {
        return Err(BlockProcessingError::HeaderSlotMismatch {
            block: block.slot,
            state: state.slot,
        });
    }
    // Verify that the block is newer than latest block header
    if block.slot <= state.latest_block_header.slot {
        return Err(BlockProcessingError::HeaderNotNewerThanParent {
            block: block.slot,
            parent: state.latest_block_header.slot,
        });
    }
    // Verify that proposer index is the correct index
    let expected = get_beacon_proposer_index(state, spec)?;
    if block.proposer_index != expected {
        return Err(BlockProcessingError::ProposerIndexMismatch {
            block: block.proposer_index,
            expected,
        });
    }
    // Verify that the parent matches
    let expected_parent = state.latest_block_header.tree_hash_root();
    if block.parent_root != expected_parent {
        return Err(BlockProcessingError::ParentRootMismatch {
            block: block.parent_root,
            expected: expected_parent,
        });
    }
    // Cache current block as the new latest block
    state.latest_block_header = BeaconBlockHeader {
        slot: block.slot,
        proposer_index: block.proposer_index,
        parent_root: block.parent_root,
        state_root: Hash256::ZERO, // Overwritten in the next process_slot call
        body_root: block.body.tree_hash_root(),
    };
    // Verify proposer is not slashed
    if state.validator(block.proposer_index)?.slashed {
        return Err(BlockProcessingError::ProposerSlashed {
            index: block.proposer_index,
        });
    }
    Ok(())
}
