//! Rebuilding states by replaying blocks that were verified once already (no signature
//! checks): hot states from their epoch-boundary or split state, finalized states from their
//! restore point.

use crate::codec::decode_ssz;
use crate::codec::slot_key;
use crate::errors::{ReplayError, StoreError};
use crate::hot_cold::HotColdDB;
use crate::kv::DBColumn;
use crate::metadata::Split;
use crate::summary::{latest_block_root, HotStateSummary};
use state_processing::per_block_processing::{process_signed_block, VerifySignatures};
use state_processing::process_slots;
use types::{BeaconState, ChainSpec, EthSpec, Hash256, SignedBeaconBlock, Slot};

/// Apply `blocks` (ascending slots, all after `state.slot`) to `state` without checking
/// signatures, then advance through empty slots to `target`.
pub fn replay_blocks<E: EthSpec>(
    mut state: BeaconState<E>,
    blocks: &[SignedBeaconBlock<E>],
    target: Slot,
    spec: &ChainSpec,
) -> Result<BeaconState<E>, ReplayError> {
    for block in blocks {
        let slot = block.message.slot;
        if slot > state.slot {
            process_slots(&mut state, slot, spec).map_err(|e| ReplayError::Slots {
                slot,
                source: Box::new(e),
            })?;
        }
        process_signed_block(&mut state, block, VerifySignatures::None, spec).map_err(|e| {
            ReplayError::Block {
                slot,
                source: Box::new(e),
            }
        })?;
    }
    if target < state.slot {
        return Err(ReplayError::TargetBeforeBase {
            target,
            base: state.slot,
        });
    }
    if target > state.slot {
        process_slots(&mut state, target, spec).map_err(|source| ReplayError::Slots {
            slot: target,
            source: Box::new(source),
        })?;
    }
    Ok(state)
}

impl<E: EthSpec> HotColdDB<E> {
    /// The blocks from `head` back to `base_block` (excluded), oldest first: `base_block` must
    /// be reached, by parent roots, before any block at or before `base_slot`. Replay errors
    /// go through `wrap`.
    pub(crate) fn blocks_back_to(
        &self,
        head: Hash256,
        base_block: Hash256,
        base_slot: Slot,
        wrap: impl Fn(ReplayError) -> StoreError,
    ) -> Result<Vec<SignedBeaconBlock<E>>, StoreError> {
        let mut blocks: Vec<SignedBeaconBlock<E>> = Vec::new();
        let mut child: Option<(Hash256, Slot)> = None;
        let mut root = head;
        while root != base_block {
            let block = self
                .get_block(&root)?
                .ok_or(StoreError::MissingBlock(root))?;
            let slot = block.message.slot;
            if slot <= base_slot {
                return Err(wrap(ReplayError::NotAnAncestor {
                    head,
                    expected: base_block,
                    found: root,
                }));
            }
            if let Some((child_root, child_slot)) = child {
                if slot >= child_slot {
                    return Err(wrap(ReplayError::SlotsNotDecreasing {
                        child: child_root,
                        child_slot,
                        parent_slot: slot,
                    }));
                }
            }
            child = Some((root, slot));
            root = block.message.parent_root;
            blocks.push(block);
        }
        blocks.reverse();
        Ok(blocks)
    }

    /// A hot state from its summary. The base is the epoch-boundary state, or the split state
    /// when the boundary is before the split (migration deleted it; the split state is kept
    /// whole exactly for this).
    pub(crate) fn rebuild_hot_state(
        &self,
        split: &Split,
        state_root: &Hash256,
        summary: &HotStateSummary,
    ) -> Result<BeaconState<E>, StoreError> {
        let base_root = if summary.epoch_boundary_slot::<E>() < split.slot {
            split.state_root
        } else {
            summary.epoch_boundary_state_root
        };
        let base = self
            .get_full_hot_state(&base_root)?
            .ok_or(StoreError::MissingState(base_root))?;
        let replay_error = |source| StoreError::Replay {
            state_root: *state_root,
            source: Box::new(source),
        };
        let base_block = latest_block_root(base_root, &base);
        let blocks = self.blocks_back_to(
            summary.latest_block_root,
            base_block,
            base.slot,
            replay_error,
        )?;
        replay_blocks(base, &blocks, summary.slot, &self.spec).map_err(replay_error)
    }

    /// The canonical state at finalized `slot`, from the restore point at or before it (or the
    /// anchor state, if that is later).
    pub(crate) fn cold_state_at(
        &self,
        split: &Split,
        slot: Slot,
    ) -> Result<Option<BeaconState<E>>, StoreError> {
        if *split == Split::default() || slot > split.slot {
            return Ok(None);
        }
        if slot == split.slot {
            return self.get_full_hot_state(&split.state_root);
        }
        let anchor_slot = self.anchor().map_or(0, |a| a.state_slot);
        if slot < anchor_slot {
            return Ok(None);
        }
        let n = self.config.slots_per_restore_point;
        let base_slot = (slot - slot % n).max(anchor_slot);
        let key = slot_key(base_slot);
        let base: BeaconState<E> = match self.kv.get(DBColumn::ColdState, &key)? {
            Some(bytes) => decode_ssz(DBColumn::ColdState, &key, &bytes)?,
            None => return Err(StoreError::MissingRestorePoint(base_slot)),
        };
        if base_slot == slot {
            return Ok(Some(base));
        }
        let head = self
            .get_cold_block_root(slot)?
            .ok_or(StoreError::MissingColdBlockRoot(slot))?;
        let base_block = self
            .get_cold_block_root(base_slot)?
            .ok_or(StoreError::MissingColdBlockRoot(base_slot))?;
        let replay_error = |source| StoreError::ColdReplay {
            slot,
            source: Box::new(source),
        };
        let blocks = self.blocks_back_to(head, base_block, base.slot, replay_error)?;
        replay_blocks(base, &blocks, slot, &self.spec)
            .map(Some)
            .map_err(replay_error)
    }
}
