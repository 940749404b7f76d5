//! The key-value layer: columns, atomic batches, and the engines behind them.

use crate::errors::StoreError;
use std::collections::BTreeMap;
use std::sync::RwLock;

/// A column: a key prefix, so every column lives in one keyspace and one batch can span many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DBColumn {
    /// Schema version, configuration, the hot/cold split.
    Metadata = 0,
    /// Signed blocks by block root, hot and cold alike.
    Block = 1,
    /// Full hot states (epoch boundaries and the split state) by state root.
    HotState = 2,
    /// A summary of every hot state by state root.
    HotStateSummary = 3,
    /// Finalized block root by slot (big-endian, so keys sort by slot).
    ColdBlockRoot = 4,
    /// Finalized state root by slot.
    ColdStateRoot = 5,
    /// Finalized state slot by state root.
    ColdStateSlot = 6,
    /// Full finalized states at restore points, by slot.
    ColdState = 7,
    /// The chain's fork-choice snapshot and bookkeeping (opaque to the store).
    ForkChoice = 8,
}

impl DBColumn {
    /// The key as stored: column byte, then the key.
    pub fn key(self, key: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(key.len() + 1);
        k.push(self as u8);
        k.extend_from_slice(key);
        k
    }
}

/// A column's contents: (key, value) pairs in key order.
pub type ColumnEntries = Vec<(Vec<u8>, Vec<u8>)>;

/// One write of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValueOp {
    Put(DBColumn, Vec<u8>, Vec<u8>),
    Delete(DBColumn, Vec<u8>),
}

/// A key-value engine with atomic batches.
pub trait KeyValueStore: Send + Sync + 'static {
    /// The value at `key` in `column`.
    fn get(&self, column: DBColumn, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Apply all `ops` or none of them.
    fn write_batch(&self, ops: Vec<KeyValueOp>) -> Result<(), StoreError>;
    /// Make everything written so far durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// Every key and value of `column`, in key order.
    fn iter_column(&self, column: DBColumn) -> Result<ColumnEntries, StoreError>;
}

/// sled, with one tree for all columns.
pub struct SledStore {
    db: sled::Db,
}

impl SledStore {
    /// Open (or create) the database at `path`, persisting by itself every `flush_every_ms`.
    pub fn open(path: &std::path::Path, flush_every_ms: u64) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(path)
            .flush_every_ms(Some(flush_every_ms))
            .open()?;
        Ok(SledStore { db })
    }
}

impl KeyValueStore for SledStore {
    fn get(&self, column: DBColumn, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(column.key(key))?.map(|v| v.to_vec()))
    }

    fn write_batch(&self, ops: Vec<KeyValueOp>) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for op in ops {
            match op {
                KeyValueOp::Put(c, k, v) => batch.insert(c.key(&k), v),
                KeyValueOp::Delete(c, k) => batch.remove(c.key(&k)),
            }
        }
        Ok(self.db.apply_batch(batch)?)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    fn iter_column(&self, column: DBColumn) -> Result<ColumnEntries, StoreError> {
        self.db
            .scan_prefix([column as u8])
            .map(|item| {
                let (k, v) = item?;
                Ok((k[1..].to_vec(), v.to_vec()))
            })
            .collect()
    }
}

/// In memory, for tests and simulations.
#[derive(Default)]
pub struct MemoryStore {
    map: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl KeyValueStore for MemoryStore {
    fn get(&self, column: DBColumn, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let map = self
            .map
            .read()
            .map_err(|_| StoreError::Engine("poisoned".into()))?;
        Ok(map.get(&column.key(key)).cloned())
    }

    fn write_batch(&self, ops: Vec<KeyValueOp>) -> Result<(), StoreError> {
        let mut map = self
            .map
            .write()
            .map_err(|_| StoreError::Engine("poisoned".into()))?;
        for op in ops {
            match op {
                KeyValueOp::Put(c, k, v) => {
                    map.insert(c.key(&k), v);
                }
                KeyValueOp::Delete(c, k) => {
                    map.remove(&c.key(&k));
                }
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn iter_column(&self, column: DBColumn) -> Result<ColumnEntries, StoreError> {
        let map = self
            .map
            .read()
            .map_err(|_| StoreError::Engine("poisoned".into()))?;
        let prefix = [column as u8];
        Ok(map
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.first() == Some(&(column as u8)))
            .map(|(k, v)| (k[1..].to_vec(), v.clone()))
            .collect())
    }
}
