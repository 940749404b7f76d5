//! `HotColdDB`: the chain since finality (hot) and finalized history (cold).

use crate::errors::StoreError;
use crate::kv::{DBColumn, KeyValueOp, KeyValueStore, MemoryStore, SledStore};
use crate::replay::replay_blocks;
use ssz::{Decode, Encode};
use ssz_derive::{Decode, Encode};
use std::collections::HashSet;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::{Arc, RwLock};
use tree_hash::TreeHash;
use types::{BeaconState, ChainSpec, EthSpec, Hash256, SignedBeaconBlock, Slot};

/// The layout version this build reads and writes.
pub const SCHEMA_VERSION: u64 = 1;

const SCHEMA_KEY: &[u8] = b"schema_version";
const CONFIG_KEY: &[u8] = b"store_config";
const SPLIT_KEY: &[u8] = b"split";

/// How the database is laid out and flushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreConfig {
    /// A full finalized state is kept every this many slots (a multiple of SLOTS_PER_EPOCH);
    /// other finalized states are rebuilt by replay from the one before.
    pub slots_per_restore_point: u64,
    /// How often sled persists on its own, in milliseconds.
    pub flush_every_ms: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            slots_per_restore_point: 2048,
            flush_every_ms: 500,
        }
    }
}

/// Where hot ends and cold begins: the latest finalized block and its post-state. Everything
/// before `slot` is cold; the split state itself is kept whole in the hot part, as the base
/// from which any later hot state can be rebuilt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode)]
pub struct Split {
    pub slot: Slot,
    pub state_root: Hash256,
    pub block_root: Hash256,
}

/// What the database keeps for every hot state: enough to rebuild it by replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct HotStateSummary {
    pub slot: Slot,
    /// The root of the latest block applied to the state.
    pub latest_block_root: Hash256,
    /// The state at the first slot of the state's epoch (stored whole).
    pub epoch_boundary_state_root: Hash256,
}

impl HotStateSummary {
    /// The summary of `state`, whose root is `state_root`.
    pub fn from_state<E: EthSpec>(state_root: Hash256, state: &BeaconState<E>) -> Self {
        let spe = E::slots_per_epoch();
        let boundary_slot = state.slot / spe * spe;
        let epoch_boundary_state_root = if state.slot == boundary_slot {
            state_root
        } else {
            let index = (boundary_slot % E::slots_per_historical_root()) as usize;
            state.state_roots.get(index).copied().unwrap_or_default()
        };
        let mut header = state.latest_block_header;
        if header.state_root.is_zero() {
            header.state_root = state_root;
        }
        HotStateSummary {
            slot: state.slot,
            latest_block_root: header.tree_hash_root(),
            epoch_boundary_state_root,
        }
    }

    /// True if this state is stored whole (the first slot of an epoch).
    pub fn is_epoch_boundary<E: EthSpec>(&self) -> bool {
        self.slot.is_multiple_of(E::slots_per_epoch())
    }
}

/// One write of an atomic group (`do_atomically`).
#[derive(Debug, Clone)]
pub enum StoreOp<E: EthSpec> {
    /// A block by its root.
    PutBlock(Hash256, Arc<SignedBeaconBlock<E>>),
    /// A hot state by its root: a summary always, the full state at epoch boundaries.
    PutState(Hash256, Arc<BeaconState<E>>),
    /// Only the summary of a hot state that is not at an epoch boundary (the caller keeps
    /// the state; nothing is copied).
    PutStateSummary(Hash256, HotStateSummary),
    /// An opaque item (fork choice, chain bookkeeping).
    PutItem(DBColumn, Vec<u8>, Vec<u8>),
    /// Remove a block.
    DeleteBlock(Hash256),
    /// Remove a hot state (summary and full state).
    DeleteState(Hash256),
}

/// The beacon node's database.
pub struct HotColdDB<E: EthSpec> {
    kv: Box<dyn KeyValueStore>,
    config: StoreConfig,
    spec: Arc<ChainSpec>,
    split: RwLock<Split>,
    _phantom: PhantomData<E>,
}

fn decode<T: Decode>(column: DBColumn, key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    T::from_ssz_bytes(bytes).map_err(|e| StoreError::Decode {
        column,
        key: hex::encode(key),
        reason: format!("{e:?}"),
    })
}

fn u64_value(column: DBColumn, key: &[u8], bytes: &[u8]) -> Result<u64, StoreError> {
    let array: [u8; 8] = bytes.try_into().map_err(|_| StoreError::Decode {
        column,
        key: hex::encode(key),
        reason: format!("{} bytes where a u64 was expected", bytes.len()),
    })?;
    Ok(u64::from_le_bytes(array))
}

/// Keys by slot sort in slot order.
fn slot_key(slot: Slot) -> [u8; 8] {
    slot.to_be_bytes()
}

impl<E: EthSpec> HotColdDB<E> {
    /// Open (or create) the sled database at `path`.
    pub fn open(
        path: &Path,
        config: StoreConfig,
        spec: Arc<ChainSpec>,
    ) -> Result<Self, StoreError> {
        let kv = SledStore::open(path, config.flush_every_ms)?;
        Self::from_kv(Box::new(kv), config, spec)
    }

    /// A database in memory.
    pub fn open_ephemeral(config: StoreConfig, spec: Arc<ChainSpec>) -> Result<Self, StoreError> {
        Self::from_kv(Box::new(MemoryStore::default()), config, spec)
    }

    /// A database over any engine: checks (or records) the schema version and configuration.
    pub fn from_kv(
        kv: Box<dyn KeyValueStore>,
        config: StoreConfig,
        spec: Arc<ChainSpec>,
    ) -> Result<Self, StoreError> {
        let spe = E::slots_per_epoch();
        if config.slots_per_restore_point == 0
            || !config.slots_per_restore_point.is_multiple_of(spe)
        {
            return Err(StoreError::InvalidConfig(format!(
                "slots_per_restore_point {} must be a positive multiple of SLOTS_PER_EPOCH ({spe})",
                config.slots_per_restore_point
            )));
        }
        let meta = DBColumn::Metadata;
        match kv.get(meta, SCHEMA_KEY)? {
            Some(bytes) => {
                let found = u64_value(meta, SCHEMA_KEY, &bytes)?;
                if found != SCHEMA_VERSION {
                    return Err(StoreError::SchemaMismatch {
                        found,
                        expected: SCHEMA_VERSION,
                    });
                }
                let stored = kv.get(meta, CONFIG_KEY)?.unwrap_or_default();
                let found = u64_value(meta, CONFIG_KEY, &stored)?;
                if found != config.slots_per_restore_point {
                    return Err(StoreError::ConfigMismatch {
                        name: "slots_per_restore_point",
                        found,
                        expected: config.slots_per_restore_point,
                    });
                }
            }
            None => {
                kv.write_batch(vec![
                    KeyValueOp::Put(
                        meta,
                        SCHEMA_KEY.to_vec(),
                        SCHEMA_VERSION.to_le_bytes().to_vec(),
                    ),
                    KeyValueOp::Put(
                        meta,
                        CONFIG_KEY.to_vec(),
                        config.slots_per_restore_point.to_le_bytes().to_vec(),
                    ),
                    KeyValueOp::Put(meta, SPLIT_KEY.to_vec(), Split::default().as_ssz_bytes()),
                ])?;
                kv.flush()?;
            }
        }
        let split = match kv.get(meta, SPLIT_KEY)? {
            Some(bytes) => decode(meta, SPLIT_KEY, &bytes)?,
            None => Split::default(),
        };
        Ok(HotColdDB {
            kv,
            config,
            spec,
            split: RwLock::new(split),
            _phantom: PhantomData,
        })
    }

    /// The configuration.
    pub fn config(&self) -> StoreConfig {
        self.config
    }

    /// The current hot/cold split.
    pub fn split(&self) -> Split {
        *self.split.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Start the database at an anchor (genesis or a finalized checkpoint block): the split
    /// moves to it, so finalization never looks for history before it. Only on a database
    /// that holds no finalized history yet.
    pub fn init_anchor(&self, anchor: Split) -> Result<(), StoreError> {
        let current = self.split();
        if current != Split::default() && current != anchor {
            return Err(StoreError::InvalidConfig(format!(
                "the database is already anchored at slot {}",
                current.slot
            )));
        }
        self.kv.write_batch(vec![KeyValueOp::Put(
            DBColumn::Metadata,
            SPLIT_KEY.to_vec(),
            anchor.as_ssz_bytes(),
        )])?;
        self.kv.flush()?;
        *self.split.write().unwrap_or_else(|e| e.into_inner()) = anchor;
        Ok(())
    }

    /// The chain spec the database replays with.
    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// A block by root.
    pub fn get_block(&self, root: &Hash256) -> Result<Option<SignedBeaconBlock<E>>, StoreError> {
        let key = root.as_slice();
        match self.kv.get(DBColumn::Block, key)? {
            Some(bytes) => Ok(Some(decode(DBColumn::Block, key, &bytes)?)),
            None => Ok(None),
        }
    }

    /// True if the block is stored.
    pub fn block_exists(&self, root: &Hash256) -> Result<bool, StoreError> {
        Ok(self.kv.get(DBColumn::Block, root.as_slice())?.is_some())
    }

    /// An opaque item.
    pub fn get_item(&self, column: DBColumn, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.kv.get(column, key)
    }

    /// Write an opaque item and flush it.
    pub fn put_item_durable(
        &self,
        column: DBColumn,
        key: &[u8],
        value: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.kv
            .write_batch(vec![KeyValueOp::Put(column, key.to_vec(), value)])?;
        self.kv.flush()
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
        match self.kv.get(DBColumn::HotStateSummary, key)? {
            Some(bytes) => Ok(Some(decode(DBColumn::HotStateSummary, key, &bytes)?)),
            None => Ok(None),
        }
    }

    fn get_full_hot_state(
        &self,
        state_root: &Hash256,
    ) -> Result<Option<BeaconState<E>>, StoreError> {
        let key = state_root.as_slice();
        match self.kv.get(DBColumn::HotState, key)? {
            Some(bytes) => Ok(Some(decode(DBColumn::HotState, key, &bytes)?)),
            None => Ok(None),
        }
    }

    /// A state by root: a full hot state, a hot state rebuilt from its epoch-boundary state
    /// (or the split state) by replay, or a finalized state from the cold part.
    pub fn get_state(&self, state_root: &Hash256) -> Result<Option<BeaconState<E>>, StoreError> {
        if let Some(state) = self.get_full_hot_state(state_root)? {
            return Ok(Some(state));
        }
        if let Some(summary) = self.get_state_summary(state_root)? {
            return self.rebuild_hot_state(state_root, &summary).map(Some);
        }
        let key = state_root.as_slice();
        if let Some(bytes) = self.kv.get(DBColumn::ColdStateSlot, key)? {
            let slot = u64_value(DBColumn::ColdStateSlot, key, &bytes)?;
            return self.get_cold_state_by_slot(slot);
        }
        Ok(None)
    }

    fn rebuild_hot_state(
        &self,
        state_root: &Hash256,
        summary: &HotStateSummary,
    ) -> Result<BeaconState<E>, StoreError> {
        let split = self.split();
        let base = match self.get_full_hot_state(&summary.epoch_boundary_state_root)? {
            Some(state) => state,
            // The boundary fell before the split and was migrated: start from the split state.
            None => self
                .get_full_hot_state(&split.state_root)?
                .ok_or(StoreError::MissingState(split.state_root))?,
        };
        // Blocks after the base, newest first, following parents.
        let mut blocks = Vec::new();
        let mut root = summary.latest_block_root;
        loop {
            let block = self
                .get_block(&root)?
                .ok_or(StoreError::MissingBlock(root))?;
            if block.message.slot <= base.slot {
                break;
            }
            root = block.message.parent_root;
            blocks.push(block);
        }
        blocks.reverse();
        replay_blocks(base, &blocks, summary.slot, &self.spec)
            .map_err(|e| StoreError::Replay(*state_root, e))
    }

    /// The finalized block root at `slot` (the latest block at or before it).
    pub fn get_cold_block_root(&self, slot: Slot) -> Result<Option<Hash256>, StoreError> {
        let key = slot_key(slot);
        match self.kv.get(DBColumn::ColdBlockRoot, &key)? {
            Some(bytes) => Ok(Some(Hash256::try_from(bytes.as_slice()).map_err(|_| {
                StoreError::Decode {
                    column: DBColumn::ColdBlockRoot,
                    key: hex::encode(key),
                    reason: "not 32 bytes".into(),
                }
            })?)),
            None => Ok(None),
        }
    }

    /// The finalized (canonical) state root at `slot`.
    pub fn get_cold_state_root(&self, slot: Slot) -> Result<Option<Hash256>, StoreError> {
        let key = slot_key(slot);
        match self.kv.get(DBColumn::ColdStateRoot, &key)? {
            Some(bytes) => Ok(Some(Hash256::try_from(bytes.as_slice()).map_err(|_| {
                StoreError::Decode {
                    column: DBColumn::ColdStateRoot,
                    key: hex::encode(key),
                    reason: "not 32 bytes".into(),
                }
            })?)),
            None => Ok(None),
        }
    }

    /// The finalized state at `slot`: the restore point at or before it, then the canonical
    /// blocks up to `slot`.
    pub fn get_cold_state_by_slot(&self, slot: Slot) -> Result<Option<BeaconState<E>>, StoreError> {
        if slot > self.split().slot {
            return Ok(None);
        }
        let n = self.config.slots_per_restore_point;
        let restore_slot = slot / n * n;
        let key = slot_key(restore_slot);
        let base: BeaconState<E> = match self.kv.get(DBColumn::ColdState, &key)? {
            Some(bytes) => decode(DBColumn::ColdState, &key, &bytes)?,
            None => return Err(StoreError::MissingRestorePoint(restore_slot)),
        };
        let mut blocks = Vec::new();
        let mut previous = self.get_cold_block_root(restore_slot)?;
        for s in restore_slot + 1..=slot {
            let root = self.get_cold_block_root(s)?;
            if root != previous {
                if let Some(root) = root {
                    blocks.push(
                        self.get_block(&root)?
                            .ok_or(StoreError::MissingBlock(root))?,
                    );
                }
                previous = root;
            }
        }
        replay_blocks(base, &blocks, slot, &self.spec)
            .map(Some)
            .map_err(|e| StoreError::ColdReplay(slot, e))
    }

    /// The key-value writes of a hot state: its summary, and the whole state at an epoch
    /// boundary.
    fn state_ops(&self, state_root: Hash256, state: &BeaconState<E>, ops: &mut Vec<KeyValueOp>) {
        let summary = HotStateSummary::from_state(state_root, state);
        ops.push(KeyValueOp::Put(
            DBColumn::HotStateSummary,
            state_root.to_vec(),
            summary.as_ssz_bytes(),
        ));
        if summary.epoch_boundary_state_root == state_root {
            ops.push(KeyValueOp::Put(
                DBColumn::HotState,
                state_root.to_vec(),
                state.as_ssz_bytes(),
            ));
        }
    }

    /// Apply `ops` as one atomic batch (sled persists it within `flush_every_ms`).
    pub fn do_atomically(&self, ops: Vec<StoreOp<E>>) -> Result<(), StoreError> {
        let mut kv_ops = Vec::with_capacity(ops.len() + 1);
        for op in ops {
            match op {
                StoreOp::PutBlock(root, block) => kv_ops.push(KeyValueOp::Put(
                    DBColumn::Block,
                    root.to_vec(),
                    block.as_ssz_bytes(),
                )),
                StoreOp::PutState(root, state) => self.state_ops(root, &state, &mut kv_ops),
                StoreOp::PutStateSummary(root, summary) => kv_ops.push(KeyValueOp::Put(
                    DBColumn::HotStateSummary,
                    root.to_vec(),
                    summary.as_ssz_bytes(),
                )),
                StoreOp::PutItem(column, key, value) => {
                    kv_ops.push(KeyValueOp::Put(column, key, value))
                }
                StoreOp::DeleteBlock(root) => {
                    kv_ops.push(KeyValueOp::Delete(DBColumn::Block, root.to_vec()))
                }
                StoreOp::DeleteState(root) => {
                    kv_ops.push(KeyValueOp::Delete(DBColumn::HotStateSummary, root.to_vec()));
                    kv_ops.push(KeyValueOp::Delete(DBColumn::HotState, root.to_vec()));
                }
            }
        }
        self.kv.write_batch(kv_ops)
    }

    /// Apply `ops` atomically and flush before returning.
    pub fn do_atomically_durable(&self, ops: Vec<StoreOp<E>>) -> Result<(), StoreError> {
        self.do_atomically(ops)?;
        self.kv.flush()
    }

    /// Finality moved to `finalized_block_root` (post-state `finalized_state_root`): record the
    /// canonical history up to it in the cold part (block and state roots by slot, full states
    /// at restore points), delete the hot states before it and every state and block of the
    /// `abandoned` forks, move the split, all in one batch, then flush.
    pub fn migrate_to_cold(
        &self,
        finalized_block_root: Hash256,
        finalized_state_root: Hash256,
        abandoned: &[Hash256],
    ) -> Result<(), StoreError> {
        let old = self.split();
        let finalized_block = self
            .get_block(&finalized_block_root)?
            .ok_or(StoreError::MissingBlock(finalized_block_root))?;
        let new = Split {
            slot: finalized_block.message.slot,
            state_root: finalized_state_root,
            block_root: finalized_block_root,
        };
        if new.slot <= old.slot && old != Split::default() {
            return Ok(());
        }
        let finalized_state = self
            .get_state(&finalized_state_root)?
            .ok_or(StoreError::MissingState(finalized_state_root))?;

        // The canonical blocks from the old split to the new one, newest first.
        let mut canonical = Vec::new();
        let mut root = finalized_block_root;
        loop {
            let block = self
                .get_block(&root)?
                .ok_or(StoreError::MissingBlock(root))?;
            canonical.push((block.message.slot, root));
            if block.message.slot <= old.slot || block.message.slot == 0 {
                break;
            }
            root = block.message.parent_root;
        }
        canonical.reverse();
        let canonical_roots: HashSet<Hash256> = canonical.iter().map(|(_, r)| *r).collect();
        // A state is canonical when its latest block is canonical and no later canonical
        // block came at or before its slot (a fork's skipped slots share an older block).
        let mut canonical_until: std::collections::HashMap<Hash256, Slot> =
            canonical.windows(2).map(|w| (w[0].1, w[1].0)).collect();
        if let Some((_, last)) = canonical.last() {
            canonical_until.insert(*last, new.slot.saturating_add(1));
        }

        let mut ops = Vec::new();
        // Block root by slot, skipped slots included.
        let mut next = 0;
        let mut latest = canonical.first().map(|(_, r)| *r).unwrap_or_default();
        for slot in old.slot..=new.slot {
            while next < canonical.len() && canonical[next].0 <= slot {
                latest = canonical[next].1;
                next += 1;
            }
            ops.push(KeyValueOp::Put(
                DBColumn::ColdBlockRoot,
                slot_key(slot).to_vec(),
                latest.to_vec(),
            ));
        }

        // Hot states: canonical ones before the split become cold (roots by slot, full states
        // at restore points); everything before the split, and every state of an abandoned
        // fork, leaves the hot part.
        let abandoned: HashSet<Hash256> = abandoned.iter().copied().collect();
        let n = self.config.slots_per_restore_point;
        let mut restore_points = Vec::new();
        for (key, value) in self.kv.iter_column(DBColumn::HotStateSummary)? {
            let summary: HotStateSummary = decode(DBColumn::HotStateSummary, &key, &value)?;
            let state_root = Hash256::try_from(key.as_slice()).map_err(|_| StoreError::Decode {
                column: DBColumn::HotStateSummary,
                key: hex::encode(&key),
                reason: "key is not 32 bytes".into(),
            })?;
            let is_canonical = canonical_until
                .get(&summary.latest_block_root)
                .is_some_and(|until| summary.slot < *until);
            if summary.slot < new.slot || (summary.slot == new.slot && state_root != new.state_root)
            {
                if is_canonical && summary.slot >= old.slot {
                    ops.push(KeyValueOp::Put(
                        DBColumn::ColdStateRoot,
                        slot_key(summary.slot).to_vec(),
                        state_root.to_vec(),
                    ));
                    ops.push(KeyValueOp::Put(
                        DBColumn::ColdStateSlot,
                        state_root.to_vec(),
                        summary.slot.to_le_bytes().to_vec(),
                    ));
                    if summary.slot.is_multiple_of(n) {
                        restore_points.push((summary.slot, state_root));
                    }
                }
                ops.push(KeyValueOp::Delete(DBColumn::HotStateSummary, key.clone()));
                ops.push(KeyValueOp::Delete(DBColumn::HotState, key));
            } else if abandoned.contains(&summary.latest_block_root) {
                ops.push(KeyValueOp::Delete(DBColumn::HotStateSummary, key.clone()));
                ops.push(KeyValueOp::Delete(DBColumn::HotState, key));
            }
        }
        for (slot, state_root) in restore_points {
            let state = self
                .get_state(&state_root)?
                .ok_or(StoreError::MissingState(state_root))?;
            ops.push(KeyValueOp::Put(
                DBColumn::ColdState,
                slot_key(slot).to_vec(),
                state.as_ssz_bytes(),
            ));
        }
        // The split state itself: cold index, and whole in the hot part as the replay base.
        ops.push(KeyValueOp::Put(
            DBColumn::ColdStateRoot,
            slot_key(new.slot).to_vec(),
            new.state_root.to_vec(),
        ));
        ops.push(KeyValueOp::Put(
            DBColumn::ColdStateSlot,
            new.state_root.to_vec(),
            new.slot.to_le_bytes().to_vec(),
        ));
        ops.push(KeyValueOp::Put(
            DBColumn::HotState,
            new.state_root.to_vec(),
            finalized_state.as_ssz_bytes(),
        ));
        if new.slot.is_multiple_of(n) {
            ops.push(KeyValueOp::Put(
                DBColumn::ColdState,
                slot_key(new.slot).to_vec(),
                finalized_state.as_ssz_bytes(),
            ));
        }
        for root in &abandoned {
            if !canonical_roots.contains(root) {
                ops.push(KeyValueOp::Delete(DBColumn::Block, root.to_vec()));
            }
        }
        ops.push(KeyValueOp::Put(
            DBColumn::Metadata,
            SPLIT_KEY.to_vec(),
            new.as_ssz_bytes(),
        ));
        self.kv.write_batch(ops)?;
        self.kv.flush()?;
        *self.split.write().unwrap_or_else(|e| e.into_inner()) = new;
        tracing::debug!(
            from_slot = old.slot,
            to_slot = new.slot,
            abandoned = abandoned.len(),
            "Migrated finalized history to the cold database"
        );
        Ok(())
    }
}
