//! The sled engine: one tree, keys prefixed by their column, one `sled::Batch` per batch.

use crate::errors::StoreError;
use crate::kv::{ColumnIter, DBColumn, KeyValueOp, KeyValueStore};
use std::path::Path;

/// sled, with one tree for all columns.
pub struct SledStore {
    db: sled::Db,
}

impl SledStore {
    /// Open (or create) the database at `path`; sled persists by itself every
    /// `flush_every_ms` milliseconds (0: only on [`KeyValueStore::flush`] and on close) and
    /// caches at most `cache_mib` MiB of pages.
    pub fn open(path: &Path, flush_every_ms: u64, cache_mib: u64) -> Result<Self, StoreError> {
        let every = (flush_every_ms > 0).then_some(flush_every_ms);
        let db = sled::Config::new()
            .path(path)
            .flush_every_ms(every)
            .cache_capacity(cache_mib.saturating_mul(1 << 20))
            .open()?;
        Ok(SledStore { db })
    }
}

impl KeyValueStore for SledStore {
    fn get(&self, column: DBColumn, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(column.key(key))?.map(|v| v.to_vec()))
    }

    fn exists(&self, column: DBColumn, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.db.contains_key(column.key(key))?)
    }

    fn write_batch(&self, ops: Vec<KeyValueOp>) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for op in ops {
            match op {
                KeyValueOp::Put(column, key, value) => batch.insert(column.key(&key), value),
                KeyValueOp::Delete(column, key) => batch.remove(column.key(&key)),
            }
        }
        // sled applies a batch atomically, and recovers it whole or not at all after a crash.
        Ok(self.db.apply_batch(batch)?)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    fn iter_column(&self, column: DBColumn) -> ColumnIter<'_> {
        Box::new(self.db.scan_prefix([column.prefix()]).map(|item| {
            let (key, value) = item?;
            let key = key.get(1..).unwrap_or_default().to_vec();
            Ok((key, value.to_vec()))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::tests::{batches_are_never_seen_in_part, columns_are_separate_and_ordered};

    #[test]
    fn columns_are_separate_and_ordered_in_sled() {
        let dir = tempfile::tempdir().unwrap();
        columns_are_separate_and_ordered(&SledStore::open(dir.path(), 500, 8).unwrap());
    }

    #[test]
    fn sled_batches_are_never_seen_in_part() {
        let dir = tempfile::tempdir().unwrap();
        batches_are_never_seen_in_part(SledStore::open(dir.path(), 500, 8).unwrap());
    }

    #[test]
    fn sled_writes_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let kv = SledStore::open(dir.path(), 0, 8).unwrap();
            kv.write_batch(vec![KeyValueOp::Put(
                DBColumn::Block,
                b"k".to_vec(),
                b"v".to_vec(),
            )])
            .unwrap();
            kv.flush().unwrap();
        }
        let kv =
            crate::test_utils::open_when_unlocked(|| SledStore::open(dir.path(), 0, 8)).unwrap();
        assert_eq!(kv.get(DBColumn::Block, b"k").unwrap(), Some(b"v".to_vec()));
        assert!(kv.exists(DBColumn::Block, b"k").unwrap());
        assert!(!kv.exists(DBColumn::HotState, b"k").unwrap());
    }
}
