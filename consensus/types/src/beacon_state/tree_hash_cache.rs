//! Incremental `hash_tree_root` of a `BeaconState`.
//!
//! [`BeaconTreeHashCache`] keeps, for every large field of the state, what it saw the last time
//! it hashed it (leaf chunks, or a copy of each list item with its root) and the Merkle tree
//! above. Each update compares the state with that copy, re-hashes only the items or chunks that
//! differ and recomputes only the tree paths above them. Nothing has to be told what changed,
//! so the cache can never go stale: at worst (a different state altogether) it does the full
//! work. Small fields are hashed every time.
//!
//! The derived `TreeHash::tree_hash_root` stays the reference; the tests check the two agree
//! after every kind of mutation.

mod merkle_cache;
#[cfg(test)]
mod tests;

pub use merkle_cache::{depth_for_leaves, pack_u64s, MerkleCache, MerkleCacheError};

use super::BeaconState;
use crate::{EthSpec, Hash256, PendingAttestation, Validator};
use rayon::prelude::*;
use ssz_types::typenum::Unsigned;
use std::any::Any;
use std::sync::Arc;
use tree_hash::TreeHash;

/// Number of list items to hash above which the work is split across threads.
const PARALLEL_ITEMS: usize = 1024;

/// A Merkle tree over the roots of a list's items, with a copy of each item so that an item
/// equal to the one already hashed is not hashed again.
#[derive(Debug, Clone)]
pub struct ItemListCache<T> {
    items: Vec<T>,
    tree: MerkleCache,
}

impl<T: TreeHash + PartialEq + Clone + Send + Sync> ItemListCache<T> {
    /// An empty cache for a list of at most `limit` items.
    pub fn new(limit: usize) -> Result<Self, MerkleCacheError> {
        Ok(Self {
            items: Vec::new(),
            tree: MerkleCache::with_leaf_limit(limit)?,
        })
    }

    /// The root of the tree over `items`' roots (before any length mix-in), hashing only the
    /// items that differ from the cached copies.
    pub fn update(&mut self, items: &[T]) -> Result<Hash256, MerkleCacheError> {
        let len = items.len();
        if len > self.tree.capacity() {
            return Err(MerkleCacheError::TooManyLeaves {
                len,
                depth: self.tree.depth(),
            });
        }
        self.items.truncate(len);
        self.tree.truncate(len);
        let common = self.items.len();

        // Comparing is bound by memory bandwidth: threads do not help (measured).
        let changed: Vec<usize> = (0..common)
            .filter(|&index| items[index] != self.items[index])
            .collect();
        let to_hash = || changed.iter().copied().chain(common..len);
        let roots: Vec<Hash256> = if changed.len() + (len - common) >= PARALLEL_ITEMS {
            let indices: Vec<usize> = to_hash().collect();
            indices
                .par_iter()
                .map(|&index| items[index].tree_hash_root())
                .collect()
        } else {
            to_hash()
                .map(|index| items[index].tree_hash_root())
                .collect()
        };

        for (index, root) in to_hash().zip(roots) {
            if index < common {
                self.items[index] = items[index].clone();
                self.tree.set(index, root)?;
            } else {
                self.tree.push(root)?;
            }
        }
        self.items.extend_from_slice(&items[common..]);
        Ok(self.tree.root())
    }

    /// The cached copy of the first item, if any.
    fn first(&self) -> Option<&T> {
        self.items.first()
    }
}

/// The tree-hash cache of one `BeaconState<E>`: one cache per large field.
#[derive(Debug, Clone)]
pub struct BeaconTreeHashCache<E: EthSpec> {
    block_roots: MerkleCache,
    state_roots: MerkleCache,
    historical_roots: MerkleCache,
    eth1_data_votes: ItemListCache<crate::Eth1Data>,
    validators: ItemListCache<Validator>,
    balances: MerkleCache,
    randao_mixes: MerkleCache,
    slashings: MerkleCache,
    previous_epoch_attestations: ItemListCache<PendingAttestation<E>>,
    current_epoch_attestations: ItemListCache<PendingAttestation<E>>,
}

/// Number of 32-byte chunks taken by `n` packed `u64`s.
fn u64_chunks(n: usize) -> usize {
    n.div_ceil(4)
}

impl<E: EthSpec> BeaconTreeHashCache<E> {
    /// An empty cache; the first [`update`](Self::update) hashes everything.
    pub fn new() -> Result<Self, MerkleCacheError> {
        Ok(Self {
            block_roots: MerkleCache::with_leaf_limit(E::SlotsPerHistoricalRoot::to_usize())?,
            state_roots: MerkleCache::with_leaf_limit(E::SlotsPerHistoricalRoot::to_usize())?,
            historical_roots: MerkleCache::with_leaf_limit(E::HistoricalRootsLimit::to_usize())?,
            eth1_data_votes: ItemListCache::new(E::SlotsPerEth1VotingPeriod::to_usize())?,
            validators: ItemListCache::new(E::ValidatorRegistryLimit::to_usize())?,
            balances: MerkleCache::with_leaf_limit(u64_chunks(
                E::ValidatorRegistryLimit::to_usize(),
            ))?,
            randao_mixes: MerkleCache::with_leaf_limit(E::EpochsPerHistoricalVector::to_usize())?,
            slashings: MerkleCache::with_leaf_limit(u64_chunks(
                E::EpochsPerSlashingsVector::to_usize(),
            ))?,
            previous_epoch_attestations: ItemListCache::new(E::MaxPendingAttestations::to_usize())?,
            current_epoch_attestations: ItemListCache::new(E::MaxPendingAttestations::to_usize())?,
        })
    }

    /// `hash_tree_root(state)`, refreshing the cache to match `state`.
    pub fn update(&mut self, state: &BeaconState<E>) -> Result<Hash256, MerkleCacheError> {
        fn vector_root(
            tree: &mut MerkleCache,
            leaves: impl IntoIterator<Item = Hash256>,
        ) -> Result<Hash256, MerkleCacheError> {
            tree.update_leaves(leaves)?;
            Ok(tree.root())
        }
        fn list_root(
            tree: &mut MerkleCache,
            leaves: impl IntoIterator<Item = Hash256>,
            len: usize,
        ) -> Result<Hash256, MerkleCacheError> {
            Ok(mix(vector_root(tree, leaves)?, len))
        }

        // At an epoch boundary the current epoch's attestations become the previous epoch's:
        // swap the two caches so that neither list is re-hashed. (Only a guess at what is
        // cached where; the comparisons below make it right whatever the state holds.)
        let previous = state.previous_epoch_attestations.first();
        if previous.is_some()
            && self.previous_epoch_attestations.first() != previous
            && self.current_epoch_attestations.first() == previous
        {
            std::mem::swap(
                &mut self.previous_epoch_attestations,
                &mut self.current_epoch_attestations,
            );
        }

        let fields: [Hash256; 21] = [
            state.genesis_time.tree_hash_root(),
            state.genesis_validators_root.tree_hash_root(),
            state.slot.tree_hash_root(),
            state.fork.tree_hash_root(),
            state.latest_block_header.tree_hash_root(),
            vector_root(&mut self.block_roots, state.block_roots.iter().copied())?,
            vector_root(&mut self.state_roots, state.state_roots.iter().copied())?,
            list_root(
                &mut self.historical_roots,
                state.historical_roots.iter().copied(),
                state.historical_roots.len(),
            )?,
            state.eth1_data.tree_hash_root(),
            mix(
                self.eth1_data_votes.update(&state.eth1_data_votes)?,
                state.eth1_data_votes.len(),
            ),
            state.eth1_deposit_index.tree_hash_root(),
            mix(
                self.validators.update(&state.validators)?,
                state.validators.len(),
            ),
            list_root(
                &mut self.balances,
                pack_u64s(&state.balances),
                state.balances.len(),
            )?,
            vector_root(&mut self.randao_mixes, state.randao_mixes.iter().copied())?,
            vector_root(&mut self.slashings, pack_u64s(&state.slashings))?,
            mix(
                self.previous_epoch_attestations
                    .update(&state.previous_epoch_attestations)?,
                state.previous_epoch_attestations.len(),
            ),
            mix(
                self.current_epoch_attestations
                    .update(&state.current_epoch_attestations)?,
                state.current_epoch_attestations.len(),
            ),
            state.justification_bits.tree_hash_root(),
            state.previous_justified_checkpoint.tree_hash_root(),
            state.current_justified_checkpoint.tree_hash_root(),
            state.finalized_checkpoint.tree_hash_root(),
        ];
        let bytes: Vec<u8> = fields.iter().flat_map(|root| root.0).collect();
        Ok(tree_hash::merkle_root(&bytes, fields.len()))
    }
}

/// `mix_in_length` of a list root.
fn mix(root: Hash256, len: usize) -> Hash256 {
    tree_hash::mix_in_length(&root, len)
}

/// Where `StateCaches` keeps a state's [`BeaconTreeHashCache`].
///
/// `StateCaches` is not generic over the preset, so the cache is stored type-erased and
/// recovered by downcasting; a cache of another preset (never expected) is simply rebuilt.
/// Cloning shares the cache until one of the clones updates it, which then copies it first
/// (`Arc::make_mut`): two states that diverge keep separate caches.
#[derive(Clone, Default)]
pub struct TreeHashCacheSlot(Option<Arc<dyn Any + Send + Sync>>);

impl std::fmt::Debug for TreeHashCacheSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeHashCacheSlot")
            .field("built", &self.is_built())
            .finish()
    }
}

impl TreeHashCacheSlot {
    /// True if a cache has been built.
    pub fn is_built(&self) -> bool {
        self.0.is_some()
    }

    /// Drop the cache (to free its memory); the next update rebuilds it.
    pub fn clear(&mut self) {
        self.0 = None;
    }

    /// Take the cache out, if there is one for preset `E`.
    fn take<E: EthSpec>(&mut self) -> Option<Arc<BeaconTreeHashCache<E>>> {
        self.0.take()?.downcast().ok()
    }

    /// Put a cache back.
    fn put<E: EthSpec>(&mut self, cache: Arc<BeaconTreeHashCache<E>>) {
        self.0 = Some(cache);
    }
}

impl<E: EthSpec> BeaconState<E> {
    /// hash_tree_root using and refreshing the state's tree-hash cache.
    ///
    /// Equal to `tree_hash_root()` on any state; after small changes to a state whose cache was
    /// built, much faster (only the changed items and chunks and the paths above them are
    /// hashed). The first call builds the cache, which costs a full hash plus a copy of the
    /// validator registry.
    pub fn update_tree_hash_cache(&mut self) -> Hash256 {
        let cache = self.caches.tree_hash.take::<E>();
        let mut cache = match cache {
            Some(cache) => cache,
            None => match BeaconTreeHashCache::new() {
                Ok(cache) => Arc::new(cache),
                Err(_) => return self.tree_hash_root(),
            },
        };
        match Arc::make_mut(&mut cache).update(self) {
            Ok(root) => {
                self.caches.tree_hash.put(cache);
                root
            }
            // Only if a list exceeded its limit, which SSZ types rule out: leave the cache out.
            Err(_) => self.tree_hash_root(),
        }
    }
}
