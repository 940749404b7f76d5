//! `HotColdDB`: opening, reads and atomic writes. Replay is in `replay.rs`, finalization in
//! `migrate.rs`.

use crate::codec::{decode_root, decode_ssz, decode_u64, slot_key};
use crate::errors::StoreError;
use crate::kv::{DBColumn, KeyValueOp, KeyValueStore};
use crate::memory_store::MemoryStore;
use crate::metadata::{
    AnchorInfo, BackfillInfo, OnDiskConfig, Split, StoreConfig, ANCHOR_KEY, BACKFILL_KEY,
    CONFIG_KEY, SCHEMA_KEY, SCHEMA_VERSION, SPLIT_KEY,
};
use crate::sled_store::SledStore;
use crate::summary::HotStateSummary;
use ssz::Encode;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use types::{BeaconState, ChainSpec, EthSpec, Hash256, SignedBeaconBlock, Slot};

/// One write of an atomic group ([`HotColdDB::do_atomically`]).
#[derive(Debug, Clone)]
pub enum StoreOp<E: EthSpec> {
    /// A block by its root.
    PutBlock(Hash256, Arc<SignedBeaconBlock<E>>),
    /// A hot state by its root: its summary always, the full state at an epoch boundary (and
    /// for every state written before the database is anchored: the anchor).
    PutState(Hash256, Arc<BeaconState<E>>),
    /// Only the summary of a hot state that is not at an epoch boundary (the caller keeps the
    /// state, nothing is copied).
    PutStateSummary(Hash256, HotStateSummary),
    /// An opaque item (fork choice, chain bookkeeping).
    PutItem(DBColumn, Vec<u8>, Vec<u8>),
    /// Remove a block.
    DeleteBlock(Hash256),
    /// Remove a hot state (summary and full state).
    DeleteState(Hash256),
}

/// The beacon node's database; share it in an `Arc` (every method takes `&self`).
pub struct HotColdDB<E: EthSpec> {
    pub(crate) kv: Box<dyn KeyValueStore>,
    pub(crate) config: StoreConfig,
    pub(crate) spec: Arc<ChainSpec>,
    /// Hot-state reads hold it for reading while they load, so a migration (which holds it for
    /// writing while its batch applies) never deletes a state from under a replay.
    pub(crate) split: RwLock<Split>,
    pub(crate) anchor: OnceLock<AnchorInfo>,
    /// One migration (or anchoring) at a time.
    pub(crate) migration: Mutex<()>,
    _phantom: PhantomData<fn() -> E>,
}

/// Locks stay usable after a panic elsewhere: the data they guard is a copy of what is on disk.
pub(crate) fn read_lock<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn write_lock<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn mutex_lock<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

impl<E: EthSpec> HotColdDB<E> {
    /// Open (or create) the sled database at `path`.
    pub fn open(
        path: &Path,
        config: StoreConfig,
        spec: Arc<ChainSpec>,
    ) -> Result<Self, StoreError> {
        config.validate::<E>()?;
        let kv = SledStore::open(path, config.flush_every_ms, config.cache_mib)?;
        Self::from_kv(Box::new(kv), config, spec)
    }

    /// A database in memory (nothing survives the process).
    pub fn open_ephemeral(config: StoreConfig, spec: Arc<ChainSpec>) -> Result<Self, StoreError> {
        Self::from_kv(Box::new(MemoryStore::default()), config, spec)
    }

    /// A database over any engine: records the schema version and configuration in a new
    /// database, checks them in an existing one.
    pub fn from_kv(
        kv: Box<dyn KeyValueStore>,
        config: StoreConfig,
        spec: Arc<ChainSpec>,
    ) -> Result<Self, StoreError> {
        config.validate::<E>()?;
        let meta = DBColumn::Metadata;
        let expected = OnDiskConfig::new::<E>(&config);
        match kv.get(meta, SCHEMA_KEY)? {
            Some(bytes) => {
                let found = decode_u64(meta, SCHEMA_KEY, &bytes)?;
                if found != SCHEMA_VERSION {
                    return Err(StoreError::SchemaMismatch {
                        found,
                        expected: SCHEMA_VERSION,
                    });
                }
                let bytes = kv
                    .get(meta, CONFIG_KEY)?
                    .ok_or_else(|| StoreError::Decode {
                        column: meta,
                        key: hex::encode(CONFIG_KEY),
                        reason: "no configuration recorded (a database from an older build?)"
                            .into(),
                    })?;
                let stored: OnDiskConfig = decode_ssz(meta, CONFIG_KEY, &bytes)?;
                stored.check(&expected)?;
            }
            None => {
                kv.write_batch(vec![
                    KeyValueOp::Put(
                        meta,
                        SCHEMA_KEY.to_vec(),
                        SCHEMA_VERSION.to_le_bytes().to_vec(),
                    ),
                    KeyValueOp::Put(meta, CONFIG_KEY.to_vec(), expected.as_ssz_bytes()),
                    KeyValueOp::Put(meta, SPLIT_KEY.to_vec(), Split::default().as_ssz_bytes()),
                ])?;
                kv.flush()?;
            }
        }
        let split = match kv.get(meta, SPLIT_KEY)? {
            Some(bytes) => decode_ssz(meta, SPLIT_KEY, &bytes)?,
            None => Split::default(),
        };
        let anchor = OnceLock::new();
        if let Some(bytes) = kv.get(meta, ANCHOR_KEY)? {
            let _ = anchor.set(decode_ssz(meta, ANCHOR_KEY, &bytes)?);
        }
        Ok(HotColdDB {
            kv,
            config,
            spec,
            split: RwLock::new(split),
            anchor,
            migration: Mutex::new(()),
            _phantom: PhantomData,
        })
    }

    /// The configuration.
    pub fn config(&self) -> StoreConfig {
        self.config
    }

    /// The chain spec the database replays with.
    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// The current hot/cold split.
    pub fn split(&self) -> Split {
        *read_lock(&self.split)
    }

    /// The state the database started from, once anchored.
    pub fn anchor(&self) -> Option<AnchorInfo> {
        self.anchor.get().copied()
    }

    /// Start the database at an anchor (genesis or a finalized checkpoint block and its
    /// post-state, both already written): the split moves to it, and no history before it is
    /// ever looked for. Flushed before returning. Anchoring again at the same place is a no-op.
    pub fn init_anchor(&self, anchor: Split) -> Result<(), StoreError> {
        let _migration = mutex_lock(&self.migration);
        let current = self.split();
        if current != Split::default() && current != anchor {
            return Err(StoreError::Anchor(format!(
                "the database is already anchored at block {:?} (slot {})",
                current.block_root, current.slot
            )));
        }
        if !self.block_exists(&anchor.block_root)? {
            return Err(StoreError::Anchor(format!(
                "write anchor block {:?} before anchoring",
                anchor.block_root
            )));
        }
        let summary = self.get_state_summary(&anchor.state_root)?;
        let whole = self
            .kv
            .exists(DBColumn::HotState, anchor.state_root.as_slice())?;
        let Some(summary) = summary.filter(|_| whole) else {
            return Err(StoreError::Anchor(format!(
                "write anchor state {:?} (with PutState) before anchoring",
                anchor.state_root
            )));
        };
        let info = AnchorInfo {
            state_slot: summary.slot,
            state_root: anchor.state_root,
            block_root: anchor.block_root,
        };
        let mut split = write_lock(&self.split);
        self.kv.write_batch(vec![
            KeyValueOp::Put(
                DBColumn::Metadata,
                SPLIT_KEY.to_vec(),
                anchor.as_ssz_bytes(),
            ),
            KeyValueOp::Put(DBColumn::Metadata, ANCHOR_KEY.to_vec(), info.as_ssz_bytes()),
        ])?;
        self.kv.flush()?;
        *split = anchor;
        let _ = self.anchor.set(info);
        Ok(())
    }

    /// A block by root.
    pub fn get_block(&self, root: &Hash256) -> Result<Option<SignedBeaconBlock<E>>, StoreError> {
        let key = root.as_slice();
        self.kv
            .get(DBColumn::Block, key)?
            .map(|bytes| decode_ssz(DBColumn::Block, key, &bytes))
            .transpose()
    }

    /// True if the block is stored.
    pub fn block_exists(&self, root: &Hash256) -> Result<bool, StoreError> {
        self.kv.exists(DBColumn::Block, root.as_slice())
    }

    /// An opaque item (fork choice, chain bookkeeping) or a raw value of any column.
    pub fn get_item(&self, column: DBColumn, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.kv.get(column, key)
    }

    /// Write an opaque item (persisted within `flush_every_ms`).
    pub fn put_item(&self, column: DBColumn, key: &[u8], value: Vec<u8>) -> Result<(), StoreError> {
        self.kv
            .write_batch(vec![KeyValueOp::Put(column, key.to_vec(), value)])
    }

    /// Write an opaque item and flush it before returning.
    pub fn put_item_durable(
        &self,
        column: DBColumn,
        key: &[u8],
        value: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.put_item(column, key, value)?;
        self.kv.flush()
    }

    /// The opaque items of a column in key order (values of [`StoreOp::PutItem`]).
    pub fn iter_items(&self, column: DBColumn) -> crate::kv::ColumnIter<'_> {
        self.kv.iter_column(column)
    }

    /// Make every earlier write durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.kv.flush()
    }

    /// The summary of a hot state.
    pub fn get_state_summary(
        &self,
        state_root: &Hash256,
    ) -> Result<Option<HotStateSummary>, StoreError> {
        let key = state_root.as_slice();
        self.kv
            .get(DBColumn::HotStateSummary, key)?
            .map(|bytes| decode_ssz(DBColumn::HotStateSummary, key, &bytes))
            .transpose()
    }

    /// A hot state stored whole.
    pub(crate) fn get_full_hot_state(
        &self,
        state_root: &Hash256,
    ) -> Result<Option<BeaconState<E>>, StoreError> {
        let key = state_root.as_slice();
        self.kv
            .get(DBColumn::HotState, key)?
            .map(|bytes| decode_ssz(DBColumn::HotState, key, &bytes))
            .transpose()
    }

    /// A state by root: a full hot state, a hot state rebuilt by replay from its
    /// epoch-boundary state (or the split state, if the boundary is older), or a finalized
    /// state rebuilt from its restore point.
    pub fn get_state(&self, state_root: &Hash256) -> Result<Option<BeaconState<E>>, StoreError> {
        // Held until the state is built: no migration deletes what the replay reads.
        let split = read_lock(&self.split);
        if let Some(state) = self.get_full_hot_state(state_root)? {
            return Ok(Some(state));
        }
        if let Some(summary) = self.get_state_summary(state_root)? {
            return self
                .rebuild_hot_state(&split, state_root, &summary)
                .map(Some);
        }
        let key = state_root.as_slice();
        if let Some(bytes) = self.kv.get(DBColumn::ColdStateSlot, key)? {
            let slot = decode_u64(DBColumn::ColdStateSlot, key, &bytes)?;
            return self.cold_state_at(&split, slot);
        }
        Ok(None)
    }

    /// How far back block history reaches, when it does not reach genesis: a database
    /// anchored at a checkpoint starts at its anchor block, and backfill moves it back.
    /// `None` once history is complete (or for a chain started at genesis).
    pub fn backfill_info(&self) -> Result<Option<BackfillInfo>, StoreError> {
        let meta = DBColumn::Metadata;
        if let Some(bytes) = self.kv.get(meta, BACKFILL_KEY)? {
            let info: BackfillInfo = decode_ssz(meta, BACKFILL_KEY, &bytes)?;
            return Ok((info.oldest_block_slot > 0).then_some(info));
        }
        let Some(anchor) = self.anchor() else {
            return Ok(None);
        };
        let Some(block) = self.get_block(&anchor.block_root)? else {
            return Ok(None);
        };
        Ok((block.message.slot > 0).then_some(BackfillInfo {
            oldest_block_slot: block.message.slot,
            oldest_block_parent: block.message.parent_root,
        }))
    }

    /// Write blocks from before the oldest one held (verified by the caller: each the parent
    /// of the next, the newest the parent of the oldest block held), the cold block-root
    /// index for their slots, and the new extent of history, in one batch.
    pub fn put_historical_blocks(
        &self,
        blocks: &[(Hash256, Arc<SignedBeaconBlock<E>>)],
        block_root_at: &[(Slot, Hash256)],
        info: BackfillInfo,
    ) -> Result<(), StoreError> {
        let mut ops = Vec::with_capacity(blocks.len() + block_root_at.len() + 1);
        for (root, block) in blocks {
            ops.push(KeyValueOp::Put(
                DBColumn::Block,
                root.to_vec(),
                block.as_ssz_bytes(),
            ));
        }
        for (slot, root) in block_root_at {
            ops.push(KeyValueOp::Put(
                DBColumn::ColdBlockRoot,
                slot_key(*slot).to_vec(),
                root.to_vec(),
            ));
        }
        ops.push(KeyValueOp::Put(
            DBColumn::Metadata,
            BACKFILL_KEY.to_vec(),
            info.as_ssz_bytes(),
        ));
        self.kv.write_batch(ops)
    }

    /// The finalized block root at `slot` (the latest block at or before it), for slots up to
    /// the split.
    pub fn get_cold_block_root(&self, slot: Slot) -> Result<Option<Hash256>, StoreError> {
        self.get_root_by_slot(DBColumn::ColdBlockRoot, slot)
    }

    /// The canonical block root at finalized `slot` (as [`Self::get_cold_block_root`]).
    pub fn get_block_root_at_slot(&self, slot: Slot) -> Result<Option<Hash256>, StoreError> {
        self.get_cold_block_root(slot)
    }

    /// The canonical state root at finalized `slot`.
    pub fn get_cold_state_root(&self, slot: Slot) -> Result<Option<Hash256>, StoreError> {
        self.get_root_by_slot(DBColumn::ColdStateRoot, slot)
    }

    fn get_root_by_slot(
        &self,
        column: DBColumn,
        slot: Slot,
    ) -> Result<Option<Hash256>, StoreError> {
        let key = slot_key(slot);
        self.kv
            .get(column, &key)?
            .map(|bytes| decode_root(column, &key, &bytes))
            .transpose()
    }

    /// The canonical state at finalized `slot` (at or before the split): the restore point at
    /// or before it, then the canonical blocks up to `slot`. `None` before the anchor or when
    /// nothing is finalized.
    pub fn get_cold_state_by_slot(&self, slot: Slot) -> Result<Option<BeaconState<E>>, StoreError> {
        let split = read_lock(&self.split);
        self.cold_state_at(&split, slot)
    }

    /// True if a state written now must be stored whole: at epoch boundaries, and before the
    /// database is anchored (the anchor state must load without replay).
    fn store_whole(&self, summary: &HotStateSummary) -> bool {
        summary.is_epoch_boundary::<E>() || self.anchor.get().is_none()
    }

    /// The key-value writes of one [`StoreOp`].
    fn push_kv_ops(&self, op: StoreOp<E>, ops: &mut Vec<KeyValueOp>) {
        match op {
            StoreOp::PutBlock(root, block) => ops.push(KeyValueOp::Put(
                DBColumn::Block,
                root.to_vec(),
                block.as_ssz_bytes(),
            )),
            StoreOp::PutState(root, state) => {
                let summary = HotStateSummary::from_state(root, &state);
                if self.store_whole(&summary) {
                    ops.push(KeyValueOp::Put(
                        DBColumn::HotState,
                        root.to_vec(),
                        state.as_ssz_bytes(),
                    ));
                }
                ops.push(KeyValueOp::Put(
                    DBColumn::HotStateSummary,
                    root.to_vec(),
                    summary.as_ssz_bytes(),
                ));
            }
            StoreOp::PutStateSummary(root, summary) => ops.push(KeyValueOp::Put(
                DBColumn::HotStateSummary,
                root.to_vec(),
                summary.as_ssz_bytes(),
            )),
            StoreOp::PutItem(column, key, value) => ops.push(KeyValueOp::Put(column, key, value)),
            StoreOp::DeleteBlock(root) => {
                ops.push(KeyValueOp::Delete(DBColumn::Block, root.to_vec()))
            }
            StoreOp::DeleteState(root) => {
                ops.push(KeyValueOp::Delete(DBColumn::HotStateSummary, root.to_vec()));
                ops.push(KeyValueOp::Delete(DBColumn::HotState, root.to_vec()));
            }
        }
    }

    /// Apply `ops` as one atomic batch (persisted within `flush_every_ms`, whole or not at
    /// all).
    pub fn do_atomically(&self, ops: Vec<StoreOp<E>>) -> Result<(), StoreError> {
        let mut kv_ops = Vec::with_capacity(ops.len() + 1);
        for op in ops {
            self.push_kv_ops(op, &mut kv_ops);
        }
        self.kv.write_batch(kv_ops)
    }

    /// Apply `ops` as one atomic batch and flush before returning.
    pub fn do_atomically_durable(&self, ops: Vec<StoreOp<E>>) -> Result<(), StoreError> {
        self.do_atomically(ops)?;
        self.kv.flush()
    }
}

#[cfg(test)]
mod tests;
