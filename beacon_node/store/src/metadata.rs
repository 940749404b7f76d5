//! What the Metadata column holds: schema version, configuration, anchor and split.

use crate::errors::StoreError;
use ssz_derive::{Decode, Encode};
use types::{EthSpec, Hash256, Slot};

/// The layout version this build reads and writes.
pub const SCHEMA_VERSION: u64 = 1;

pub(crate) const SCHEMA_KEY: &[u8] = b"schema_version";
pub(crate) const CONFIG_KEY: &[u8] = b"config";
pub(crate) const SPLIT_KEY: &[u8] = b"split";
pub(crate) const ANCHOR_KEY: &[u8] = b"anchor";
pub(crate) const BACKFILL_KEY: &[u8] = b"backfill";

/// sled's page cache unless configured ([`StoreConfig::cache_mib`]).
pub const DEFAULT_CACHE_MIB: u64 = 64;

/// How the database is laid out and flushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreConfig {
    /// A full finalized state is kept every this many slots (a positive multiple of
    /// SLOTS_PER_EPOCH); the finalized states between are rebuilt by replay. Fixed at creation.
    pub slots_per_restore_point: u64,
    /// How often sled persists by itself, in milliseconds (0: only on explicit flushes).
    pub flush_every_ms: u64,
    /// sled's page cache, in MiB. sled's own default is 1 GiB, which a node fills with
    /// pages of states it wrote and never reads again; the chain keeps its own caches of
    /// what it reads.
    pub cache_mib: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            slots_per_restore_point: 2048,
            flush_every_ms: 500,
            cache_mib: DEFAULT_CACHE_MIB,
        }
    }
}

impl StoreConfig {
    /// Check the configuration against the preset `E`.
    pub fn validate<E: EthSpec>(&self) -> Result<(), StoreError> {
        let slots_per_epoch = E::slots_per_epoch();
        if self.slots_per_restore_point == 0
            || !self.slots_per_restore_point.is_multiple_of(slots_per_epoch)
        {
            return Err(StoreError::InvalidConfig(format!(
                "slots_per_restore_point {} must be a positive multiple of SLOTS_PER_EPOCH ({})",
                self.slots_per_restore_point, slots_per_epoch
            )));
        }
        Ok(())
    }
}

/// The settings recorded at creation and checked at every open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub(crate) struct OnDiskConfig {
    pub slots_per_restore_point: u64,
    pub slots_per_epoch: u64,
}

impl OnDiskConfig {
    /// What `config` records for preset `E`.
    pub fn new<E: EthSpec>(config: &StoreConfig) -> Self {
        OnDiskConfig {
            slots_per_restore_point: config.slots_per_restore_point,
            slots_per_epoch: E::slots_per_epoch(),
        }
    }

    /// An error naming the first setting that differs from `expected`.
    pub fn check(&self, expected: &OnDiskConfig) -> Result<(), StoreError> {
        let mismatch = |name, found, expected| {
            Err(StoreError::ConfigMismatch {
                name,
                found,
                expected,
            })
        };
        if self.slots_per_epoch != expected.slots_per_epoch {
            return mismatch(
                "SLOTS_PER_EPOCH",
                self.slots_per_epoch,
                expected.slots_per_epoch,
            );
        }
        if self.slots_per_restore_point != expected.slots_per_restore_point {
            return mismatch(
                "slots_per_restore_point",
                self.slots_per_restore_point,
                expected.slots_per_restore_point,
            );
        }
        Ok(())
    }
}

/// Where hot ends and cold begins: the latest finalized block (or the anchor) and its
/// post-state. Finalized history up to `slot` is cold; the split state itself is also kept
/// whole in the hot part, as the base from which later hot states are rebuilt.
/// `Split::default()` means the database has no anchor yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode)]
pub struct Split {
    /// The block's slot.
    pub slot: Slot,
    /// The block's post-state.
    pub state_root: Hash256,
    /// The finalized (or anchor) block.
    pub block_root: Hash256,
}

/// The state the database started from (genesis or a checkpoint): no history before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct AnchorInfo {
    /// The anchor state's slot (at or after its block's slot).
    pub state_slot: Slot,
    /// The anchor state's root.
    pub state_root: Hash256,
    /// The anchor block's root.
    pub block_root: Hash256,
}

/// How far back a database anchored at a checkpoint holds block history: blocks at and after
/// `oldest_block_slot` (every canonical block from there on, with the cold block-root index),
/// and the root of the block before them. Backfill moves it towards genesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct BackfillInfo {
    /// The slot of the oldest block held (0: history is complete).
    pub oldest_block_slot: Slot,
    /// The root of the block before it, which the next backfilled block must have.
    pub oldest_block_parent: Hash256,
}
