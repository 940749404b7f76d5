//! A binary Merkle tree over a growable list of 32-byte leaves, with a fixed depth, that keeps
//! every node above the populated leaves so that changing a few leaves costs only their paths.
//!
//! Only the populated part of each layer is stored: layer `h` holds the nodes covering at least
//! one populated leaf (`ceil(len / 2^h)` of them). Everything to the right is the virtual zero
//! padding of SSZ merkleization, whose subtree roots are `ZERO_HASHES[h]`; so a list with a
//! limit of 2^40 leaves costs memory for its populated leaves only (plus one node per layer
//! above them).

use crate::Hash256;
use ethereum_hashing::{hash32_concat, ZERO_HASHES, ZERO_HASHES_MAX_INDEX};
use rayon::prelude::*;

/// Number of nodes of one layer to recompute above which the work is split across threads.
const PARALLEL_NODES: usize = 2048;

/// Errors of [`MerkleCache`]: asking for more than its depth allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleCacheError {
    #[error("tree depth {0} exceeds the maximum of {ZERO_HASHES_MAX_INDEX}")]
    DepthTooLarge(usize),
    #[error("{len} leaves do not fit in a tree of depth {depth}")]
    TooManyLeaves { len: usize, depth: usize },
    #[error("leaf index {index} out of range ({len} leaves)")]
    IndexOutOfRange { index: usize, len: usize },
}

/// The root of a subtree of height `height` whose leaves are all zero.
fn zero_hash(height: usize) -> Hash256 {
    Hash256::from(ZERO_HASHES[height])
}

/// The depth of the smallest tree with room for `leaves` leaves (SSZ pads to a power of two):
/// `ceil(log2(leaves))`, and 0 for 0 or 1 leaf.
pub fn depth_for_leaves(leaves: usize) -> usize {
    leaves
        .checked_next_power_of_two()
        .map_or(usize::BITS, usize::trailing_zeros) as usize
}

/// The leaves of a list of `u64`s packed as SSZ packs them: four little-endian values per
/// 32-byte chunk, the last chunk zero-padded.
pub fn pack_u64s(values: &[u64]) -> impl ExactSizeIterator<Item = Hash256> + '_ {
    values.chunks(4).map(|chunk| {
        let mut leaf = [0u8; 32];
        for (bytes, value) in leaf.chunks_exact_mut(8).zip(chunk) {
            bytes.copy_from_slice(&value.to_le_bytes());
        }
        Hash256::from(leaf)
    })
}

/// A Merkle tree of fixed depth over up to `2^depth` leaves, the missing ones zero, whose
/// [`root`](Self::root) recomputes only the paths above leaves changed since the last call.
///
/// Its root equals `tree_hash::merkle_root(leaves, 1 << depth)`: the SSZ root of a vector of
/// `2^depth` chunks, or of a list before the length mix-in.
#[derive(Debug, Clone)]
pub struct MerkleCache {
    depth: usize,
    /// `layers[0]` are the leaves, `layers[h]` the nodes of height `h` covering at least one
    /// leaf; `layers[depth]` is empty or the root. Layers above 0 are up to date as of the last
    /// `root()` call, for `hashed_len` leaves.
    layers: Vec<Vec<Hash256>>,
    /// Indices of the leaves written since the last `root()` call (any order, may repeat, may
    /// be beyond a later truncation).
    dirty: Vec<usize>,
    /// The number of leaves when the layers above 0 were last brought up to date.
    hashed_len: usize,
}

impl MerkleCache {
    /// An empty tree of the given depth (room for `2^depth` leaves).
    pub fn new(depth: usize) -> Result<Self, MerkleCacheError> {
        if depth > ZERO_HASHES_MAX_INDEX {
            return Err(MerkleCacheError::DepthTooLarge(depth));
        }
        Ok(Self {
            depth,
            layers: vec![Vec::new(); depth + 1],
            dirty: Vec::new(),
            hashed_len: 0,
        })
    }

    /// An empty tree with room for `limit` leaves: depth `ceil(log2(limit))`, as SSZ pads a list
    /// or vector of `limit` chunks.
    pub fn with_leaf_limit(limit: usize) -> Result<Self, MerkleCacheError> {
        Self::new(depth_for_leaves(limit))
    }

    /// The depth of the tree.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The number of leaves the tree has room for: `2^depth`.
    pub fn capacity(&self) -> usize {
        1usize.checked_shl(self.depth as u32).unwrap_or(usize::MAX)
    }

    /// The number of populated leaves.
    pub fn len(&self) -> usize {
        self.layers[0].len()
    }

    /// True if no leaf is populated.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The populated leaves.
    pub fn leaves(&self) -> &[Hash256] {
        &self.layers[0]
    }

    /// Set leaf `index` (which must be populated); a no-op if it already has this value.
    pub fn set(&mut self, index: usize, leaf: Hash256) -> Result<(), MerkleCacheError> {
        let len = self.len();
        let slot = self.layers[0]
            .get_mut(index)
            .ok_or(MerkleCacheError::IndexOutOfRange { index, len })?;
        if *slot != leaf {
            *slot = leaf;
            self.dirty.push(index);
        }
        Ok(())
    }

    /// Append a leaf.
    pub fn push(&mut self, leaf: Hash256) -> Result<(), MerkleCacheError> {
        let len = self.len();
        if len >= self.capacity() {
            return Err(MerkleCacheError::TooManyLeaves {
                len: len.saturating_add(1),
                depth: self.depth,
            });
        }
        self.layers[0].push(leaf);
        self.dirty.push(len);
        Ok(())
    }

    /// Keep only the first `len` leaves (no-op if there are not more).
    pub fn truncate(&mut self, len: usize) {
        self.layers[0].truncate(len);
    }

    /// Make the leaves equal to `leaves`: compare each with the leaf in place, mark only the
    /// different ones, append the extra ones, drop the surplus.
    pub fn update_leaves(
        &mut self,
        leaves: impl IntoIterator<Item = Hash256>,
    ) -> Result<(), MerkleCacheError> {
        let old_len = self.len();
        let mut count = 0;
        for (index, leaf) in leaves.into_iter().enumerate() {
            if index < old_len {
                self.set(index, leaf)?;
            } else {
                self.push(leaf)?;
            }
            count = index + 1;
        }
        self.truncate(count);
        Ok(())
    }

    /// The root, after recomputing the nodes above every leaf written since the last call.
    pub fn root(&mut self) -> Hash256 {
        self.recompute();
        match self.layers[self.depth].first() {
            Some(root) => *root,
            None => zero_hash(self.depth),
        }
    }

    /// Bring the layers above the leaves up to date.
    fn recompute(&mut self) {
        let len = self.len();
        let mut dirty = std::mem::take(&mut self.dirty);
        if len != self.hashed_len && len > 0 {
            // After a truncation the last node of each layer lost its right part: it is an
            // ancestor of the new last leaf. (After growth the new leaves are dirty already.)
            dirty.push(len - 1);
        }
        dirty.retain(|&index| index < len);
        dirty.sort_unstable();
        dirty.dedup();

        for height in 1..=self.depth {
            let (below, above) = self.layers.split_at_mut(height);
            let children = &below[height - 1];
            let layer = &mut above[0];
            layer.resize(children.len().div_ceil(2), Hash256::ZERO);

            // Parents of the dirty children: `dirty` is sorted, so equal parents are adjacent.
            for index in dirty.iter_mut() {
                *index /= 2;
            }
            dirty.dedup();

            let node = |index: usize| -> Hash256 {
                let left = children[2 * index];
                let right = children
                    .get(2 * index + 1)
                    .copied()
                    .unwrap_or_else(|| zero_hash(height - 1));
                Hash256::from(hash32_concat(left.as_slice(), right.as_slice()))
            };
            if dirty.len() >= PARALLEL_NODES {
                if dirty.len() == layer.len() {
                    layer
                        .par_iter_mut()
                        .enumerate()
                        .for_each(|(index, slot)| *slot = node(index));
                } else {
                    let nodes: Vec<Hash256> = dirty.par_iter().map(|&index| node(index)).collect();
                    for (&index, value) in dirty.iter().zip(nodes) {
                        layer[index] = value;
                    }
                }
            } else {
                for &index in &dirty {
                    layer[index] = node(index);
                }
            }
        }
        self.hashed_len = len;
        // Keep the allocation for the next round.
        dirty.clear();
        self.dirty = dirty;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ssz_types::typenum::{U1099511627776, U16, U4096, U8};
    use ssz_types::{FixedVector, VariableList};
    use tree_hash::TreeHash;

    fn leaf(seed: u64) -> Hash256 {
        Hash256::from(ethereum_hashing::hash_fixed(&seed.to_le_bytes()))
    }

    /// The reference: `tree_hash::merkle_root` over the leaves padded to `2^depth`.
    fn reference(leaves: &[Hash256], depth: usize) -> Hash256 {
        let bytes: Vec<u8> = leaves.iter().flat_map(|l| l.0).collect();
        tree_hash::merkle_root(&bytes, 1 << depth)
    }

    #[test]
    fn depth_for_leaves_matches_ssz_padding() {
        assert_eq!(depth_for_leaves(0), 0);
        assert_eq!(depth_for_leaves(1), 0);
        assert_eq!(depth_for_leaves(2), 1);
        assert_eq!(depth_for_leaves(3), 2);
        assert_eq!(depth_for_leaves(4), 2);
        assert_eq!(depth_for_leaves(5), 3);
        assert_eq!(depth_for_leaves(1 << 40), 40);
        assert_eq!(depth_for_leaves((1 << 40) + 1), 41);
        assert_eq!(depth_for_leaves(usize::MAX), 64);
        assert!(MerkleCache::with_leaf_limit(usize::MAX).is_err());
        assert!(MerkleCache::new(ZERO_HASHES_MAX_INDEX).is_ok());
    }

    #[test]
    fn empty_tree_roots_are_zero_hashes() {
        for depth in 0..=ZERO_HASHES_MAX_INDEX {
            let mut cache = MerkleCache::new(depth).unwrap();
            assert_eq!(cache.root(), zero_hash(depth));
        }
        let mut cache = MerkleCache::new(3).unwrap();
        assert_eq!(cache.root(), reference(&[], 3));
    }

    #[test]
    fn every_length_of_small_trees_matches_merkle_root() {
        for depth in 0..=5 {
            for len in 0..=(1usize << depth) {
                let leaves: Vec<Hash256> = (0..len as u64).map(leaf).collect();
                let mut cache = MerkleCache::new(depth).unwrap();
                cache.update_leaves(leaves.iter().copied()).unwrap();
                assert_eq!(
                    cache.root(),
                    reference(&leaves, depth),
                    "depth {depth} len {len}"
                );
            }
        }
    }

    #[test]
    fn full_tree_rejects_one_more_leaf() {
        let mut cache = MerkleCache::new(2).unwrap();
        for i in 0..4 {
            cache.push(leaf(i)).unwrap();
        }
        assert_eq!(
            cache.push(leaf(4)),
            Err(MerkleCacheError::TooManyLeaves { len: 5, depth: 2 })
        );
        assert!(cache.update_leaves((0..5).map(leaf)).is_err());
        assert_eq!(
            cache.set(4, leaf(0)),
            Err(MerkleCacheError::IndexOutOfRange { index: 4, len: 4 })
        );
        let leaves: Vec<Hash256> = (0..4).map(leaf).collect();
        assert_eq!(cache.root(), reference(&leaves, 2));
        let mut depth0 = MerkleCache::new(0).unwrap();
        depth0.push(leaf(7)).unwrap();
        assert!(depth0.push(leaf(8)).is_err());
        assert_eq!(depth0.root(), leaf(7));
    }

    #[test]
    fn matches_derived_roots_of_ssz_lists_and_vectors() {
        // A list of roots with the validator registry's limit (depth 40, never allocated).
        let roots: Vec<Hash256> = (0..1000).map(leaf).collect();
        let list = VariableList::<Hash256, U1099511627776>::new(roots.clone()).unwrap();
        let mut cache = MerkleCache::with_leaf_limit(1 << 40).unwrap();
        cache.update_leaves(roots.iter().copied()).unwrap();
        assert_eq!(
            tree_hash::mix_in_length(&cache.root(), roots.len()),
            list.tree_hash_root()
        );

        // Packed u64 lists and vectors.
        let values: Vec<u64> = (0..1001u64).map(|i| i * 0x0123_4567_89ab).collect();
        let list = VariableList::<u64, U1099511627776>::new(values.clone()).unwrap();
        let mut cache = MerkleCache::with_leaf_limit((1usize << 40) / 4).unwrap();
        cache.update_leaves(pack_u64s(&values)).unwrap();
        assert_eq!(
            tree_hash::mix_in_length(&cache.root(), values.len()),
            list.tree_hash_root()
        );
        let vector = FixedVector::<u64, U4096>::new((0..4096).collect()).unwrap();
        let mut cache = MerkleCache::with_leaf_limit(4096 / 4).unwrap();
        cache.update_leaves(pack_u64s(&vector)).unwrap();
        assert_eq!(cache.root(), vector.tree_hash_root());

        // A vector of roots and an empty list.
        let vector = FixedVector::<Hash256, U16>::new((0..16).map(leaf).collect()).unwrap();
        let mut cache = MerkleCache::with_leaf_limit(16).unwrap();
        cache.update_leaves(vector.iter().copied()).unwrap();
        assert_eq!(cache.root(), vector.tree_hash_root());
        let empty = VariableList::<Hash256, U8>::default();
        let mut cache = MerkleCache::with_leaf_limit(8).unwrap();
        assert_eq!(
            tree_hash::mix_in_length(&cache.root(), 0),
            empty.tree_hash_root()
        );
    }

    #[test]
    fn large_parallel_rebuilds_and_sparse_updates_match() {
        let mut leaves: Vec<Hash256> = (0..10_000).map(leaf).collect();
        let mut cache = MerkleCache::new(20).unwrap();
        cache.update_leaves(leaves.iter().copied()).unwrap();
        assert_eq!(cache.root(), reference(&leaves, 20));
        // Many scattered changes (parallel path, not a whole layer).
        for i in (0..leaves.len()).step_by(3) {
            leaves[i] = leaf(i as u64 + 1_000_000);
        }
        cache.update_leaves(leaves.iter().copied()).unwrap();
        assert_eq!(cache.root(), reference(&leaves, 20));
        // A handful of changes.
        leaves[9_999] = leaf(1);
        leaves[0] = leaf(2);
        cache.update_leaves(leaves.iter().copied()).unwrap();
        assert_eq!(cache.root(), reference(&leaves, 20));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Set(usize, u64),
        Push(u64),
        Truncate(usize),
        Root,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (any::<usize>(), any::<u64>()).prop_map(|(i, s)| Op::Set(i, s)),
            3 => any::<u64>().prop_map(Op::Push),
            1 => any::<usize>().prop_map(Op::Truncate),
            2 => Just(Op::Root),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any interleaving of writes, appends, truncations and root calls gives the root of
        /// the current leaves.
        #[test]
        fn random_operations_match_merkle_root(depth in 0usize..7, ops in prop::collection::vec(op(), 0..60)) {
            let mut cache = MerkleCache::new(depth).unwrap();
            let mut model: Vec<Hash256> = Vec::new();
            for op in ops {
                match op {
                    Op::Set(i, seed) => {
                        if model.is_empty() {
                            prop_assert!(cache.set(i, leaf(seed)).is_err());
                        } else {
                            let i = i % model.len();
                            model[i] = leaf(seed);
                            cache.set(i, leaf(seed)).unwrap();
                        }
                    }
                    Op::Push(seed) => {
                        let result = cache.push(leaf(seed));
                        if model.len() < 1 << depth {
                            result.unwrap();
                            model.push(leaf(seed));
                        } else {
                            prop_assert!(result.is_err());
                        }
                    }
                    Op::Truncate(len) => {
                        let len = len % (model.len() + 1);
                        model.truncate(len);
                        cache.truncate(len);
                    }
                    Op::Root => prop_assert_eq!(cache.root(), reference(&model, depth)),
                }
                prop_assert_eq!(cache.leaves(), &model[..]);
            }
            prop_assert_eq!(cache.root(), reference(&model, depth));
        }
    }
}
