//! An in-memory engine for tests and ephemeral nodes.

use crate::errors::StoreError;
use crate::kv::{ColumnIter, DBColumn, KeyValueOp, KeyValueStore};
use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

/// A sorted map under a lock: a batch is applied under one write lock, so readers see all of
/// it or none of it. Nothing is durable.
#[derive(Default)]
pub struct MemoryStore {
    map: RwLock<Map>,
}

impl MemoryStore {
    fn read(&self) -> Result<RwLockReadGuard<'_, Map>, StoreError> {
        self.map
            .read()
            .map_err(|_| StoreError::Engine("memory store lock poisoned".into()))
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Map>, StoreError> {
        self.map
            .write()
            .map_err(|_| StoreError::Engine("memory store lock poisoned".into()))
    }
}

impl KeyValueStore for MemoryStore {
    fn get(&self, column: DBColumn, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read()?.get(&column.key(key)).cloned())
    }

    fn write_batch(&self, ops: Vec<KeyValueOp>) -> Result<(), StoreError> {
        let mut map = self.write()?;
        for op in ops {
            match op {
                KeyValueOp::Put(column, key, value) => {
                    map.insert(column.key(&key), value);
                }
                KeyValueOp::Delete(column, key) => {
                    map.remove(&column.key(&key));
                }
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// A snapshot of the column (the lock is not held while the caller iterates).
    fn iter_column(&self, column: DBColumn) -> ColumnIter<'_> {
        let map = match self.read() {
            Ok(map) => map,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let prefix = column.prefix();
        let entries: Vec<_> = map
            .range(vec![prefix]..)
            .take_while(|(k, _)| k.first() == Some(&prefix))
            .map(|(k, v)| Ok((k.get(1..).unwrap_or_default().to_vec(), v.clone())))
            .collect();
        Box::new(entries.into_iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::tests::{batches_are_never_seen_in_part, columns_are_separate_and_ordered};

    #[test]
    fn columns_are_separate_and_ordered_in_memory() {
        columns_are_separate_and_ordered(&MemoryStore::default());
    }

    #[test]
    fn memory_batches_are_never_seen_in_part() {
        batches_are_never_seen_in_part(MemoryStore::default());
    }
}
