//! The beacon node's database.
//!
//! Two layers:
//! - [`KeyValueStore`]: a key-value trait with atomic batches, implemented by sled
//!   ([`SledStore`]: one tree; each key starts with its column's byte, so one sled batch covers
//!   any mix of columns) and by a map in memory ([`MemoryStore`]) for tests;
//! - [`HotColdDB`]: the chain on top. The hot part holds everything since the latest
//!   finalized block (the [`Split`]): blocks, a [`HotStateSummary`] of every state (slot,
//!   latest block, epoch-boundary state) and full states at epoch boundaries and at the split,
//!   so any hot state is rebuilt by replaying at most an epoch of blocks without signature
//!   checks. The cold part holds finalized history: block and state roots by slot and full
//!   states every `slots_per_restore_point` slots (and at the anchor). Blocks stay in one
//!   column, hot or cold. `migrate_to_cold` moves the split forward on finality.
//!
//! ## Durability
//! sled applies each batch atomically and recovers it after a crash whole or not at all. It
//! persists by itself every `flush_every_ms` (500 ms by default), and its log is sequential:
//! a flush makes every earlier write durable too. So:
//! - block imports ([`HotColdDB::do_atomically`]) are not flushed: a kill -9 can lose the last
//!   unflushed batches (at most about half a second of them), each whole or not at all. They
//!   are blocks the node fetches again, and the fork-choice tree written in the same batch as
//!   each block never names a block that is not on disk;
//! - finalization ([`HotColdDB::migrate_to_cold`]), the anchor ([`HotColdDB::init_anchor`]),
//!   and the fork-choice snapshot ([`HotColdDB::do_atomically_durable`],
//!   [`HotColdDB::put_item_durable`]) are flushed before the call returns, so a finalization
//!   that was acted on is never lost.
//!
//! A schema version and the store's configuration are recorded at creation; opening a
//! database of another schema or configuration is an error saying what to do.
//!
//! ## Concurrency
//! Every method takes `&self`. Reads of hot states hold the split's lock (shared) while they
//! replay; a migration holds it (exclusive) only while its batch applies, so no replay ever
//! sees a base state vanish. Migrations run one at a time.

#![warn(missing_docs)]

mod codec;
mod errors;
mod hot_cold;
mod kv;
mod memory_store;
mod metadata;
mod migrate;
mod replay;
mod sled_store;
mod summary;

#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod test_utils;

pub use errors::{ReplayError, StoreError};
pub use hot_cold::{HotColdDB, StoreOp};
pub use kv::{ColumnEntry, ColumnIter, DBColumn, KeyValueOp, KeyValueStore};
pub use memory_store::MemoryStore;
pub use metadata::{
    AnchorInfo, BackfillInfo, Split, StoreConfig, DEFAULT_CACHE_MIB, SCHEMA_VERSION,
};
pub use replay::replay_blocks;
pub use sled_store::SledStore;
pub use summary::HotStateSummary;
