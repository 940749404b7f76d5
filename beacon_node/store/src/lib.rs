//! The beacon node's database.
//!
//! Two layers:
//! - [`kv`]: a key-value trait with atomic batches ([`KeyValueStore`]), implemented by sled
//!   (one tree; each key starts with its column's byte, so one sled batch covers any mix of
//!   columns) and by an in-memory map for tests;
//! - [`HotColdDB`]: the chain on top. The hot part holds everything since the latest
//!   finalized block (the split): blocks, a summary of every state (slot, latest block,
//!   epoch-boundary state) and full states at epoch boundaries and at the split, so any hot
//!   state is rebuilt by replaying at most an epoch of blocks. The cold part holds finalized
//!   history: block and state roots by slot and full states every `slots_per_restore_point`
//!   slots. `migrate_to_cold` moves the split forward on finality in one batch.
//!
//! ## Durability
//! sled writes each batch atomically (all of it or none of it, also across a crash) and
//! persists on its own every `flush_every_ms` (500 ms by default). Its log is sequential:
//! a flush makes every earlier write durable too. So:
//! - block imports are written without a flush: a kill -9 can lose the last half second of
//!   them, each whole or not at all; they are blocks the node fetches again;
//! - finalization (`migrate_to_cold`), the chain's anchor and the fork-choice votes are flushed
//!   before the call returns (`do_atomically_durable`, `put_item_durable`), so a finalization
//!   that was acted on is never lost;
//! - the fork-choice tree is written in the same batch as each block, so after any crash the
//!   tree on disk names only blocks that are on disk.
//!
//! A schema version and the store's configuration are recorded at creation; opening a
//! database of another schema or configuration is an error saying what to do.

mod errors;
mod hot_cold;
pub mod kv;
mod replay;

pub use errors::StoreError;
pub use hot_cold::{HotColdDB, HotStateSummary, Split, StoreConfig, StoreOp, SCHEMA_VERSION};
pub use kv::{DBColumn, KeyValueOp, KeyValueStore, MemoryStore, SledStore};
pub use replay::replay_blocks;

#[cfg(test)]
mod tests;
