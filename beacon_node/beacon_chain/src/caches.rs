//! Small bounded caches the chain keeps in memory (states by block, checkpoint states,
//! proposer shufflings). Each is an LRU of a handful of entries: the recent past is what
//! gossip and import ask for, and anything older is rebuilt from the database.

use std::collections::VecDeque;
use std::sync::Arc;
use types::{BeaconState, Checkpoint, Epoch, EthSpec, Hash256};

/// A least-recently-used map with linear lookup: the capacities here are single digits, where
/// a scan beats hashing.
#[derive(Debug)]
pub struct Lru<K, V> {
    entries: VecDeque<(K, V)>,
    capacity: usize,
}

impl<K: PartialEq, V> Lru<K, V> {
    /// An empty cache holding at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Lru {
            entries: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
        }
    }

    /// The value for `key`, marking it most recently used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        let position = self.entries.iter().position(|(k, _)| k == key)?;
        let entry = self.entries.remove(position)?;
        self.entries.push_front(entry);
        self.entries.front().map(|(_, v)| v)
    }

    /// Insert or replace, evicting the least recently used entry when full.
    pub fn insert(&mut self, key: K, value: V) {
        if let Some(position) = self.entries.iter().position(|(k, _)| *k == key) {
            self.entries.remove(position);
        }
        if self.entries.len() >= self.capacity {
            self.entries.pop_back();
        }
        self.entries.push_front((key, value));
    }

    /// Drop entries for which `keep` is false.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.entries.retain(|(k, v)| keep(k, v));
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A block's post-state and its root.
#[derive(Debug, Clone)]
pub struct CachedState<E: EthSpec> {
    pub state_root: Hash256,
    pub state: Arc<BeaconState<E>>,
}

/// Post-states of recent blocks, by block root.
pub type StateCache<E> = Lru<Hash256, CachedState<E>>;

/// States at checkpoints (the block's state advanced to the epoch's first slot), as the spec's
/// `store.checkpoint_states`: attestation verification reads committees and keys from them,
/// fork choice reads the justified balances.
pub type CheckpointStateCache<E> = Lru<Checkpoint, Arc<BeaconState<E>>>;

/// The proposers of every slot of an epoch on one branch, keyed by the epoch and the block
/// that decided its shuffling (the last block before the epoch).
pub type ProposerCache = Lru<(Epoch, Hash256), Arc<Vec<u64>>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut lru = Lru::new(2);
        lru.insert(1, "a");
        lru.insert(2, "b");
        assert_eq!(lru.get(&1), Some(&"a"));
        lru.insert(3, "c");
        assert_eq!(lru.get(&2), None);
        assert_eq!(lru.get(&1), Some(&"a"));
        assert_eq!(lru.len(), 2);
        lru.retain(|k, _| *k != 1);
        assert_eq!(lru.get(&1), None);
    }
}
