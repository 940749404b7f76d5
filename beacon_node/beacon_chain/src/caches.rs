//! Small bounded caches the chain keeps in memory (states by block, epoch shufflings by
//! branch). Each is an LRU of a handful of entries: the recent past is what
//! gossip and import ask for, and anything older is rebuilt from the database.

use bls::PublicKey;
use state_processing::helpers::accessors::{
    committee_cache, fill_pubkey_cache, get_beacon_proposer_index_at_slot,
};
use state_processing::StateError;
use std::collections::VecDeque;
use std::sync::Arc;
use types::beacon_state::{CommitteeCache, PubkeyCache};
use types::{BeaconState, ChainSpec, Checkpoint, Epoch, EthSpec, Fork, Hash256, Slot};

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

/// The committees, proposers and fork of one epoch on one branch, and the justified
/// checkpoint of that branch's state at the epoch's start: everything attestation
/// verification, the proposer check, attestation data and duties read from a state advanced
/// to the epoch, without keeping that state (a state is ~14 MiB at 16,384 validators; this is
/// the shuffling, ~130 KiB).
#[derive(Debug)]
pub struct EpochShuffling {
    pub epoch: Epoch,
    pub committees: Arc<CommitteeCache>,
    /// The proposer of each slot of the epoch, in order.
    pub proposers: Vec<u64>,
    pub fork: Fork,
    /// `current_justified_checkpoint` of the state at the epoch's first slot (fixed by the
    /// epoch transition, so the same for every state of the epoch on the branch).
    pub current_justified_checkpoint: Checkpoint,
    /// The decompressed keys of the state it was built from, covering its whole registry.
    pub pubkeys: Arc<PubkeyCache>,
}

impl EpochShuffling {
    /// The shuffling of `state`'s current epoch (the state is at or after the epoch's start).
    pub fn from_state<E: EthSpec>(
        state: &BeaconState<E>,
        spec: &ChainSpec,
    ) -> Result<Self, StateError> {
        let epoch = state.current_epoch();
        let committees = committee_cache(state, epoch, spec)?;
        let start = epoch.saturating_mul(E::slots_per_epoch());
        let proposers = (start..start.saturating_add(E::slots_per_epoch()))
            .map(|slot| get_beacon_proposer_index_at_slot(state, slot, spec))
            .collect::<Result<Vec<_>, _>>()?;
        fill_pubkey_cache(state);
        Ok(EpochShuffling {
            epoch,
            committees,
            proposers,
            fork: state.fork,
            current_justified_checkpoint: state.current_justified_checkpoint,
            pubkeys: state.caches.pubkeys.clone(),
        })
    }

    /// The proposer at `slot`, if the slot is in this epoch.
    pub fn proposer<E: EthSpec>(&self, slot: Slot) -> Option<u64> {
        let start = self.epoch.saturating_mul(E::slots_per_epoch());
        let offset = usize::try_from(slot.checked_sub(start)?).ok()?;
        self.proposers.get(offset).copied()
    }

    /// The decompressed key of validator `index` (a member of one of these committees).
    pub fn pubkey(&self, index: u64) -> Option<PublicKey> {
        self.pubkeys.get_by_index(usize::try_from(index).ok()?)
    }
}

/// Shufflings by epoch and the block that decided them (the last block before the epoch).
pub type ShufflingCache = Lru<(Epoch, Hash256), Arc<EpochShuffling>>;

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
