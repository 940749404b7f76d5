//! The key-value layer: columns, atomic batches, and the trait an engine implements.

use crate::errors::StoreError;

/// A column: one byte in front of every key, so all columns share one keyspace and one
/// atomic batch can span any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum DBColumn {
    /// Schema version, configuration, anchor and the hot/cold split.
    Metadata = 0,
    /// Signed blocks by block root, hot and cold alike.
    Block = 1,
    /// Full hot states (epoch boundaries, the anchor and the split state) by state root.
    HotState = 2,
    /// A [`crate::HotStateSummary`] of every hot state, by state root.
    HotStateSummary = 3,
    /// Finalized block root by slot (the latest block at that slot; big-endian key).
    ColdBlockRoot = 4,
    /// Finalized state root by slot (big-endian key).
    ColdStateRoot = 5,
    /// Finalized state slot by state root, so finalized states are found by root.
    ColdStateSlot = 6,
    /// Full finalized states at restore points (and the anchor), by slot (big-endian key).
    ColdState = 7,
    /// The chain's own items: fork-choice snapshot, bookkeeping, operation pool (opaque to
    /// the store).
    ForkChoice = 8,
    /// The eth1 follower's caches: deposit logs by index (big-endian key), the block cache
    /// and where the follower got to (opaque to the store).
    Eth1 = 9,
}

impl DBColumn {
    /// Every column, in key order.
    pub const ALL: [DBColumn; 10] = [
        DBColumn::Metadata,
        DBColumn::Block,
        DBColumn::HotState,
        DBColumn::HotStateSummary,
        DBColumn::ColdBlockRoot,
        DBColumn::ColdStateRoot,
        DBColumn::ColdStateSlot,
        DBColumn::ColdState,
        DBColumn::ForkChoice,
        DBColumn::Eth1,
    ];

    /// The byte that prefixes this column's keys.
    pub fn prefix(self) -> u8 {
        self as u8
    }

    /// The key as stored: the column byte, then `key`.
    pub fn key(self, key: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(key.len() + 1);
        k.push(self.prefix());
        k.extend_from_slice(key);
        k
    }
}

/// One write of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValueOp {
    /// Set `key` of the column to the value.
    Put(DBColumn, Vec<u8>, Vec<u8>),
    /// Remove `key` of the column (nothing happens if it is absent).
    Delete(DBColumn, Vec<u8>),
}

/// One entry of a column: (key without the column byte, value).
pub type ColumnEntry = (Vec<u8>, Vec<u8>);

/// The entries of one column in key order.
pub type ColumnIter<'a> = Box<dyn Iterator<Item = Result<ColumnEntry, StoreError>> + 'a>;

/// A key-value engine with atomic batches.
pub trait KeyValueStore: Send + Sync + 'static {
    /// The value at `key` in `column`.
    fn get(&self, column: DBColumn, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// True if `key` is set in `column`.
    fn exists(&self, column: DBColumn, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.get(column, key)?.is_some())
    }

    /// Apply all of `ops`, in order, or none of them (also across a crash); readers never see
    /// part of a batch.
    fn write_batch(&self, ops: Vec<KeyValueOp>) -> Result<(), StoreError>;

    /// Make every write so far durable before returning.
    fn flush(&self) -> Result<(), StoreError>;

    /// The entries of `column` in key order.
    fn iter_column(&self, column: DBColumn) -> ColumnIter<'_>;
}

/// Engine checks shared by the engines' own tests.
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// A column holds only its own keys, in key order (slots as big-endian keys sort by slot),
    /// and deletes apply.
    pub(crate) fn columns_are_separate_and_ordered(kv: &dyn KeyValueStore) {
        let slots = [1u64 << 40, 2, 256, 0, 255];
        let mut ops: Vec<_> = slots
            .iter()
            .map(|s| KeyValueOp::Put(DBColumn::ColdBlockRoot, s.to_be_bytes().to_vec(), vec![1]))
            .collect();
        ops.push(KeyValueOp::Put(DBColumn::Block, vec![0xff; 8], vec![2]));
        ops.push(KeyValueOp::Put(DBColumn::ColdStateRoot, vec![], vec![3]));
        kv.write_batch(ops).unwrap();
        let keys: Vec<u64> = kv
            .iter_column(DBColumn::ColdBlockRoot)
            .map(|e| u64::from_be_bytes(e.unwrap().0.try_into().unwrap()))
            .collect();
        assert_eq!(keys, vec![0, 2, 255, 256, 1 << 40]);
        assert_eq!(kv.iter_column(DBColumn::ColdStateRoot).count(), 1);
        assert_eq!(kv.iter_column(DBColumn::HotState).count(), 0);
        assert_eq!(kv.get(DBColumn::ColdStateRoot, &[]).unwrap(), Some(vec![3]));
        assert_eq!(kv.get(DBColumn::ColdBlockRoot, &[0xff; 8]).unwrap(), None);
        kv.write_batch(vec![
            KeyValueOp::Delete(DBColumn::ColdBlockRoot, 2u64.to_be_bytes().to_vec()),
            KeyValueOp::Delete(DBColumn::ColdBlockRoot, 7u64.to_be_bytes().to_vec()),
        ])
        .unwrap();
        assert_eq!(kv.iter_column(DBColumn::ColdBlockRoot).count(), 4);
        assert!(!kv
            .exists(DBColumn::ColdBlockRoot, &2u64.to_be_bytes())
            .unwrap());
        assert!(kv.exists(DBColumn::Block, &[0xff; 8]).unwrap());
    }

    /// A writer puts batch number `i` under keys of two columns while a reader reads the key
    /// each batch writes last, then the one it writes first: with whole batches, the first
    /// can never be older than the last.
    pub(crate) fn batches_are_never_seen_in_part(kv: impl KeyValueStore) {
        let kv = Arc::new(kv);
        let done = Arc::new(AtomicBool::new(false));
        let first = (DBColumn::Block, b"first".to_vec());
        let last = (DBColumn::ForkChoice, b"last".to_vec());
        let reader = {
            let (kv, done, first, last) = (kv.clone(), done.clone(), first.clone(), last.clone());
            std::thread::spawn(move || {
                let read = |(c, k): &(DBColumn, Vec<u8>)| {
                    kv.get(*c, k)
                        .unwrap()
                        .map(|v| u64::from_be_bytes(v.try_into().unwrap()))
                };
                let mut checks = 0u64;
                while !done.load(Ordering::Acquire) || checks == 0 {
                    let l = read(&last);
                    let f = read(&first);
                    assert!(f >= l, "batch seen in part: first {f:?}, last {l:?}");
                    checks += 1;
                }
                checks
            })
        };
        for i in 0u64..2000 {
            let value = i.to_be_bytes().to_vec();
            kv.write_batch(vec![
                KeyValueOp::Put(first.0, first.1.clone(), value.clone()),
                KeyValueOp::Put(DBColumn::HotState, b"middle".to_vec(), value.clone()),
                KeyValueOp::Put(last.0, last.1.clone(), value),
            ])
            .unwrap();
        }
        done.store(true, Ordering::Release);
        assert!(reader.join().unwrap() > 0);
    }
}
