//! Caches carried by a `BeaconState`: committee shufflings per relative epoch,
//! decompressed public keys and the tree-hash cache.

use super::committee_cache::{CommitteeCache, RelativeEpoch};
use super::tree_hash_cache::TreeHashCacheSlot;
use bls::{PublicKey, PublicKeyBytes};
use rayon::prelude::*;
use std::sync::{Arc, OnceLock, RwLock};

/// Decompressed validator public keys by index, append-only and shared between all states
/// that descend from one another (validator `i` is the same key on every fork, because
/// deposits are processed in the deposit contract's order). Each lookup still checks the
/// compressed bytes, so a state from an unrelated chain can never get a wrong key.
#[derive(Debug, Default)]
pub struct PubkeyCache {
    /// `None` for a key that does not decompress, so one bad deposit doesn't stop caching.
    keys: RwLock<Vec<(PublicKeyBytes, Option<PublicKey>)>>,
}

impl PubkeyCache {
    /// The decompressed key of validator `index`, if cached and its bytes match.
    pub fn get(&self, index: usize, bytes: &PublicKeyBytes) -> Option<PublicKey> {
        let keys = self.keys.read().ok()?;
        let (cached_bytes, key) = keys.get(index)?;
        if cached_bytes == bytes {
            key.clone()
        } else {
            None
        }
    }

    /// The decompressed key of validator `index` without checking bytes: for a caller that
    /// knows `index` is a validator of a state sharing this cache (a committee member of a
    /// shuffling built from such a state, after [`Self::extend_from`] with its registry).
    pub fn get_by_index(&self, index: usize) -> Option<PublicKey> {
        let keys = self.keys.read().ok()?;
        keys.get(index)?.1.clone()
    }

    /// Number of keys cached.
    pub fn len(&self) -> usize {
        self.keys.read().map(|k| k.len()).unwrap_or(0)
    }

    /// True if nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Append keys for validators `len()..` from `pubkeys`; a key that fails to decompress is
    /// remembered as such (lookups of it decompress on demand and fail there).
    pub fn extend_from(&self, pubkeys: impl Iterator<Item = PublicKeyBytes>) {
        let Ok(mut keys) = self.keys.write() else {
            return;
        };
        let start = keys.len();
        // Decompression (~50 µs a key) dominates a node's first block: do it on all cores.
        let new: Vec<PublicKeyBytes> = pubkeys.skip(start).collect();
        keys.par_extend(
            new.into_par_iter()
                .map(|bytes| (bytes, bytes.decompress().ok())),
        );
    }
}

/// Everything a state caches.
#[derive(Debug, Default, Clone)]
pub struct StateCaches {
    /// Committees for the previous, current and next epoch, indexed by `RelativeEpoch`.
    pub committees: [OnceLock<Arc<CommitteeCache>>; 3],
    /// Decompressed public keys.
    pub pubkeys: Arc<PubkeyCache>,
    /// The Merkle trees behind `BeaconState::update_tree_hash_cache`, built on first use.
    pub tree_hash: TreeHashCacheSlot,
}

impl StateCaches {
    /// The cached committees for `relative`, if built.
    pub fn committee_cache(&self, relative: RelativeEpoch) -> Option<&Arc<CommitteeCache>> {
        self.committees[relative as usize].get()
    }

    /// Shift the committee caches one epoch forward: next becomes current, current previous.
    pub fn advance_epoch(&mut self) {
        let [previous, current, next] = &mut self.committees;
        *previous = std::mem::take(current);
        *current = std::mem::take(next);
    }

    /// Drop all committee caches (after the state was changed in a way that may alter them).
    pub fn clear_committees(&mut self) {
        self.committees = Default::default();
    }
}
