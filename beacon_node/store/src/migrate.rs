//! Finalization: finalized history moves to the cold part and abandoned forks are deleted,
//! in one batch, flushed before returning.

use crate::codec::{decode_root, decode_ssz, slot_key};
use crate::errors::StoreError;
use crate::hot_cold::{mutex_lock, write_lock, HotColdDB};
use crate::kv::{DBColumn, KeyValueOp};
use crate::metadata::{Split, SPLIT_KEY};
use crate::summary::HotStateSummary;
use ssz::Encode;
use std::collections::{BTreeMap, HashMap, HashSet};
use types::{BeaconState, EthSpec, Hash256, Slot};

/// Which hot blocks descend from the new split block (memoised walks by parent root).
struct Descent<'a> {
    split: &'a Split,
    abandoned: &'a HashSet<Hash256>,
    known: HashMap<Hash256, bool>,
    /// Blocks after the split that do not descend from it: abandoned whether listed or not.
    orphans: HashSet<Hash256>,
}

impl<'a> Descent<'a> {
    fn new(split: &'a Split, abandoned: &'a HashSet<Hash256>) -> Self {
        Descent {
            split,
            abandoned,
            known: HashMap::new(),
            orphans: HashSet::new(),
        }
    }

    /// True if block `root` is the split block or one of its descendants (and no block on the
    /// way is abandoned).
    fn descends<E: EthSpec>(
        &mut self,
        db: &HotColdDB<E>,
        root: Hash256,
    ) -> Result<bool, StoreError> {
        let mut path = Vec::new();
        let mut cursor = root;
        let mut child_slot = Slot::MAX;
        let result = loop {
            if let Some(&known) = self.known.get(&cursor) {
                break known;
            }
            if cursor == self.split.block_root {
                break true;
            }
            if self.abandoned.contains(&cursor) {
                break false;
            }
            let Some(block) = db.get_block(&cursor)? else {
                break false;
            };
            // At or before the split without being the split block: another branch. A parent
            // that is not earlier than its child is corrupt data: not a descendant either.
            if block.message.slot <= self.split.slot || block.message.slot >= child_slot {
                break false;
            }
            child_slot = block.message.slot;
            path.push(cursor);
            cursor = block.message.parent_root;
        };
        for root in path {
            self.known.insert(root, result);
            if !result {
                self.orphans.insert(root);
            }
        }
        Ok(result)
    }
}

impl<E: EthSpec> HotColdDB<E> {
    /// Finality moved to block `finalized_block_root` with post-state `finalized_state_root`.
    ///
    /// In one batch: the canonical chain from the old split to the new one goes cold (block
    /// and state roots by slot, skipped slots included; full states at restore points and at
    /// the anchor); every hot state before the new split, and every hot state that does not
    /// descend from the new finalized block, is deleted; the new split state is kept whole in
    /// the hot part (later hot states replay from it when their epoch boundary was deleted);
    /// the `abandoned` blocks (and any hot block after the split that does not descend from it)
    /// are deleted; the split moves. Then the database is flushed.
    pub fn migrate_to_cold(
        &self,
        finalized_block_root: Hash256,
        finalized_state_root: Hash256,
        abandoned: &[Hash256],
    ) -> Result<(), StoreError> {
        let _migration = mutex_lock(&self.migration);
        let old = self.split();
        let block = self
            .get_block(&finalized_block_root)?
            .ok_or(StoreError::MissingBlock(finalized_block_root))?;
        if block.message.state_root != finalized_state_root {
            return Err(StoreError::InvalidMigration(format!(
                "state {finalized_state_root:?} is not the post-state of block \
                 {finalized_block_root:?} (which names {:?})",
                block.message.state_root
            )));
        }
        let new = Split {
            slot: block.message.slot,
            state_root: finalized_state_root,
            block_root: finalized_block_root,
        };
        if old != Split::default() {
            if new.block_root == old.block_root {
                return Ok(());
            }
            if new.slot <= old.slot {
                return Err(StoreError::FinalityReverted {
                    split_slot: old.slot,
                    split_root: old.block_root,
                    finalized_slot: new.slot,
                    finalized_root: new.block_root,
                });
            }
        }

        let ops = self.migration_ops(&old, &new, abandoned)?;
        {
            let mut split = write_lock(&self.split);
            self.kv.write_batch(ops)?;
            *split = new;
        }
        self.kv.flush()?;
        tracing::debug!(
            from_slot = old.slot,
            to_slot = new.slot,
            abandoned = abandoned.len(),
            "Migrated finalized history to the cold database"
        );
        Ok(())
    }

    /// The canonical blocks from the new split block back to the old split, oldest first: the
    /// first is the old split block (or, before any anchor, the block at slot 0).
    fn canonical_blocks(
        &self,
        old: &Split,
        new: &Split,
    ) -> Result<Vec<(Slot, Hash256)>, StoreError> {
        let mut chain = Vec::new();
        let mut root = new.block_root;
        loop {
            let block = self
                .get_block(&root)?
                .ok_or(StoreError::MissingBlock(root))?;
            let slot = block.message.slot;
            if chain
                .last()
                .is_some_and(|(child_slot, _)| slot >= *child_slot)
            {
                return Err(StoreError::InvalidMigration(format!(
                    "block {root:?} at slot {slot} is the parent of a block at an earlier slot"
                )));
            }
            chain.push((slot, root));
            if slot <= old.slot {
                if *old != Split::default() && root != old.block_root {
                    return Err(StoreError::InvalidMigration(format!(
                        "finalized block {:?} does not descend from the split block {:?}",
                        new.block_root, old.block_root
                    )));
                }
                break;
            }
            root = block.message.parent_root;
        }
        chain.reverse();
        Ok(chain)
    }

    /// Every write of the migration from `old` to `new`.
    fn migration_ops(
        &self,
        old: &Split,
        new: &Split,
        abandoned: &[Hash256],
    ) -> Result<Vec<KeyValueOp>, StoreError> {
        let canonical = self.canonical_blocks(old, new)?;
        let canonical_roots: HashSet<Hash256> = canonical.iter().map(|(_, r)| *r).collect();
        // The latest canonical block at every slot from the old split to the new one.
        let mut block_root_at = BTreeMap::new();
        let mut next = 0;
        let mut latest = Hash256::ZERO;
        for slot in old.slot..=new.slot {
            while let Some(&(_, root)) = canonical.get(next).filter(|(s, _)| *s <= slot) {
                latest = root;
                next += 1;
            }
            block_root_at.insert(slot, latest);
        }

        let finalized_state = self
            .get_state(&new.state_root)?
            .ok_or(StoreError::MissingState(new.state_root))?;
        let summaries = self.hot_summaries()?;

        // Canonical state roots by slot: from the hot summaries (a state is canonical when its
        // latest block is the canonical block at its slot), then from the finalized state's own
        // `state_roots`, which cover its last SLOTS_PER_HISTORICAL_ROOT slots.
        let mut state_root_at: BTreeMap<Slot, Hash256> = BTreeMap::new();
        for (root, summary) in &summaries {
            if block_root_at.get(&summary.slot) == Some(&summary.latest_block_root) {
                state_root_at.insert(summary.slot, *root);
            }
        }
        for slot in old.slot..new.slot {
            if let Ok(root) = finalized_state.get_state_root_at_slot(slot) {
                state_root_at.insert(slot, root);
            }
        }
        state_root_at.insert(new.slot, new.state_root);

        let mut ops = Vec::new();
        for (slot, root) in &block_root_at {
            ops.push(KeyValueOp::Put(
                DBColumn::ColdBlockRoot,
                slot_key(*slot).to_vec(),
                root.to_vec(),
            ));
        }
        for (slot, root) in &state_root_at {
            ops.push(KeyValueOp::Put(
                DBColumn::ColdStateRoot,
                slot_key(*slot).to_vec(),
                root.to_vec(),
            ));
            ops.push(KeyValueOp::Put(
                DBColumn::ColdStateSlot,
                root.to_vec(),
                slot.to_le_bytes().to_vec(),
            ));
        }
        self.restore_point_ops(old, new, &state_root_at, &finalized_state, &mut ops)?;

        // Hot states: keep the new split state and the states after it that descend from the
        // new finalized block; delete the rest. A kept state replays from its epoch boundary
        // (after the split, so it descends from the split too and is kept) or from the split
        // state: deleting never breaks a kept state.
        let abandoned: HashSet<Hash256> = abandoned
            .iter()
            .filter(|r| !canonical_roots.contains(*r))
            .copied()
            .collect();
        let mut descent = Descent::new(new, &abandoned);
        for (root, summary) in &summaries {
            let keep = *root == new.state_root
                || (summary.slot > new.slot
                    && descent.descends(self, summary.latest_block_root)?);
            if !keep {
                ops.push(KeyValueOp::Delete(DBColumn::HotStateSummary, root.to_vec()));
                ops.push(KeyValueOp::Delete(DBColumn::HotState, root.to_vec()));
            }
        }
        if !self
            .kv
            .exists(DBColumn::HotState, new.state_root.as_slice())?
        {
            ops.push(KeyValueOp::Put(
                DBColumn::HotState,
                new.state_root.to_vec(),
                finalized_state.as_ssz_bytes(),
            ));
        }
        for root in abandoned.iter().chain(&descent.orphans) {
            ops.push(KeyValueOp::Delete(DBColumn::Block, root.to_vec()));
        }
        ops.push(KeyValueOp::Put(
            DBColumn::Metadata,
            SPLIT_KEY.to_vec(),
            new.as_ssz_bytes(),
        ));
        Ok(ops)
    }

    /// Full states for the cold part: every restore point (a multiple of
    /// `slots_per_restore_point`) from the old split to the new one, and the anchor state (the
    /// base of the finalized slots before the first restore point after it). Already stored
    /// ones are skipped.
    fn restore_point_ops(
        &self,
        old: &Split,
        new: &Split,
        state_root_at: &BTreeMap<Slot, Hash256>,
        finalized_state: &BeaconState<E>,
        ops: &mut Vec<KeyValueOp>,
    ) -> Result<(), StoreError> {
        let n = self.config.slots_per_restore_point;
        let anchor = self.anchor();
        let first = old.slot.max(anchor.map_or(0, |a| a.state_slot));
        let mut slots: Vec<Slot> = (first.div_ceil(n)..=new.slot / n).map(|i| i * n).collect();
        if let Some(anchor) = anchor.filter(|a| (old.slot..=new.slot).contains(&a.state_slot)) {
            slots.push(anchor.state_slot);
        }
        slots.sort_unstable();
        slots.dedup();
        for slot in slots {
            let key = slot_key(slot);
            if self.kv.exists(DBColumn::ColdState, &key)? {
                continue;
            }
            let root = if anchor.is_some_and(|a| a.state_slot == slot) {
                anchor.map(|a| a.state_root)
            } else {
                state_root_at.get(&slot).copied()
            }
            .ok_or(StoreError::MissingColdStateRoot(slot))?;
            let bytes = if root == new.state_root {
                finalized_state.as_ssz_bytes()
            } else {
                self.get_state(&root)?
                    .ok_or(StoreError::MissingState(root))?
                    .as_ssz_bytes()
            };
            ops.push(KeyValueOp::Put(DBColumn::ColdState, key.to_vec(), bytes));
        }
        Ok(())
    }

    /// Every hot state summary, by state root.
    fn hot_summaries(&self) -> Result<Vec<(Hash256, HotStateSummary)>, StoreError> {
        let column = DBColumn::HotStateSummary;
        self.kv
            .iter_column(column)
            .map(|entry| {
                let (key, value) = entry?;
                let root = decode_root(column, &key, &key)?;
                let summary: HotStateSummary = decode_ssz(column, &key, &value)?;
                Ok((root, summary))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
