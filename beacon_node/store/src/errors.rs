//! Database errors.

use crate::kv::DBColumn;
use state_processing::per_block_processing::BlockProcessingError;
use state_processing::SlotProcessingError;
use types::{Hash256, Slot};

/// Why a database operation failed. (Variant fields are named in the messages.)
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key-value engine failed (I/O, a lock poisoned by a panic elsewhere).
    #[error("database engine: {0}")]
    Engine(String),
    /// A stored value does not decode: the database is corrupt (or was written by a bug).
    #[error("corrupt value in column {column:?} at key 0x{key}: {reason}")]
    Decode {
        column: DBColumn,
        key: String,
        reason: String,
    },
    /// The database was written with another layout.
    #[error(
        "the database has schema version {found}, this build reads version {expected}: run a \
         build that matches the database, or move the datadir aside and sync again"
    )]
    SchemaMismatch { found: u64, expected: u64 },
    /// The database was created with another setting that cannot change afterwards.
    #[error(
        "the database was created with {name} = {found}, but {expected} is configured: keep \
         the original setting, or move the datadir aside and sync again"
    )]
    ConfigMismatch {
        name: &'static str,
        found: u64,
        expected: u64,
    },
    /// The configuration is unusable.
    #[error("invalid store configuration: {0}")]
    InvalidConfig(String),
    /// `init_anchor` was called wrongly (already anchored elsewhere, anchor not stored).
    #[error("cannot anchor the database: {0}")]
    Anchor(String),
    /// A hot state could not be rebuilt from its epoch-boundary (or split) state.
    #[error("state {state_root:?} cannot be rebuilt: {source}")]
    Replay {
        state_root: Hash256,
        source: Box<ReplayError>,
    },
    /// A finalized state could not be rebuilt from its restore point.
    #[error("finalized state at slot {slot} cannot be rebuilt: {source}")]
    ColdReplay {
        slot: Slot,
        source: Box<ReplayError>,
    },
    /// A block the operation needs is not in the database.
    #[error("block {0:?} is missing")]
    MissingBlock(Hash256),
    /// A state the operation needs is not in the database.
    #[error("state {0:?} is missing")]
    MissingState(Hash256),
    /// The root of a finalized slot is unknown (no state of the canonical chain at that slot
    /// was stored).
    #[error("no canonical state root is known for finalized slot {0}")]
    MissingColdStateRoot(Slot),
    /// The block root of a finalized slot is missing.
    #[error("no block root is recorded for finalized slot {0}")]
    MissingColdBlockRoot(Slot),
    /// The full state a finalized slot replays from is missing.
    #[error("no restore point state at slot {0}")]
    MissingRestorePoint(Slot),
    /// Finality cannot move backwards or sideways.
    #[error(
        "finality cannot move from block {split_root:?} at slot {split_slot} to block \
         {finalized_root:?} at slot {finalized_slot}"
    )]
    FinalityReverted {
        split_slot: Slot,
        split_root: Hash256,
        finalized_slot: Slot,
        finalized_root: Hash256,
    },
    /// The arguments of `migrate_to_cold` do not fit the stored chain.
    #[error("invalid migration: {0}")]
    InvalidMigration(String),
}

/// Why replaying blocks onto a stored state failed.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Advancing through empty slots failed.
    #[error("advancing to slot {slot}: {source}")]
    Slots {
        slot: Slot,
        source: Box<SlotProcessingError>,
    },
    /// A stored block did not apply.
    #[error("block at slot {slot}: {source}")]
    Block {
        slot: Slot,
        source: Box<BlockProcessingError>,
    },
    /// The target slot is before the state's.
    #[error("target slot {target} is before the base state's slot {base}")]
    TargetBeforeBase { target: Slot, base: Slot },
    /// Walking back from the state's latest block did not reach the base state's block.
    #[error(
        "the chain back from block {head:?} reaches {found:?}, not the base's block {expected:?}"
    )]
    NotAnAncestor {
        head: Hash256,
        expected: Hash256,
        found: Hash256,
    },
    /// A block's parent is not at an earlier slot (corrupt block data).
    #[error("block {child:?} at slot {child_slot} has a parent at slot {parent_slot}")]
    SlotsNotDecreasing {
        child: Hash256,
        child_slot: Slot,
        parent_slot: Slot,
    },
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Engine(e.to_string())
    }
}
