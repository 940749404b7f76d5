//! Merkle branch verification (beacon-chain.md, Predicates → `is_valid_merkle_branch`) and the
//! deposit contract's incremental Merkle tree, producing the proofs that `process_deposit`
//! checks against `Eth1Data.deposit_root`.

use std::sync::LazyLock;

use ethereum_hashing::hash32_concat;

/// A 32-byte SSZ root / chunk.
pub type Hash256 = alloy_primitives::B256;

/// `DEPOSIT_CONTRACT_TREE_DEPTH` (beacon-chain.md, Constants → Misc).
pub const DEPOSIT_CONTRACT_TREE_DEPTH: usize = 32;

/// Length of a deposit proof: the tree depth plus the length mix-in (`DEPOSIT_CONTRACT_TREE_DEPTH + 1`).
pub const DEPOSIT_PROOF_LEN: usize = DEPOSIT_CONTRACT_TREE_DEPTH + 1;

/// Number of leaves a deposit tree can hold (`2**DEPOSIT_CONTRACT_TREE_DEPTH`).
pub const MAX_DEPOSIT_LEAVES: u64 = 1 << DEPOSIT_CONTRACT_TREE_DEPTH;

/// Depth up to which [`zero_hash`] is served from a precomputed table.
const ZERO_HASHES_TABLE_MAX_DEPTH: usize = DEPOSIT_CONTRACT_TREE_DEPTH;

static ZERO_HASHES: LazyLock<[Hash256; ZERO_HASHES_TABLE_MAX_DEPTH + 1]> = LazyLock::new(|| {
    let mut table = [Hash256::ZERO; ZERO_HASHES_TABLE_MAX_DEPTH + 1];
    for depth in 1..table.len() {
        table[depth] = hash_pair(&table[depth - 1], &table[depth - 1]);
    }
    table
});

/// Errors from [`DepositTree`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// The tree already holds `2**DEPOSIT_CONTRACT_TREE_DEPTH` leaves.
    #[error("deposit tree is full ({MAX_DEPOSIT_LEAVES} leaves)")]
    TreeFull,
    /// A count larger than the number of leaves pushed so far.
    #[error("count {count} exceeds the {len} leaves in the tree")]
    CountTooLarge {
        /// Requested count.
        count: u64,
        /// Leaves in the tree.
        len: u64,
    },
    /// A leaf index that is not below the requested count.
    #[error("leaf index {index} is not below count {count}")]
    IndexOutOfRange {
        /// Requested leaf index.
        index: u64,
        /// Requested count.
        count: u64,
    },
}

/// `hash(a + b)` for two 32-byte chunks.
fn hash_pair(a: &Hash256, b: &Hash256) -> Hash256 {
    Hash256::from(hash32_concat(a.as_slice(), b.as_slice()))
}

/// The length mix-in chunk: `count` as little-endian uint64 padded to 32 bytes.
fn length_chunk(count: u64) -> Hash256 {
    let mut chunk = [0u8; 32];
    chunk[..8].copy_from_slice(&count.to_le_bytes());
    Hash256::from(chunk)
}

/// `hash(root ‖ count_le_32)`: `mix_in_length` as used for `Eth1Data.deposit_root`.
fn mix_in_length(root: &Hash256, count: u64) -> Hash256 {
    hash_pair(root, &length_chunk(count))
}

/// `is_valid_merkle_branch` (beacon-chain.md, Predicates). Never panics (branch shorter than depth -> false).
pub fn is_valid_merkle_branch(
    leaf: Hash256,
    branch: &[Hash256],
    depth: usize,
    index: u64,
    root: Hash256,
) -> bool {
    let Some(branch) = branch.get(..depth) else {
        return false;
    };
    let mut value = leaf;
    for (i, sibling) in branch.iter().enumerate() {
        // `index // 2**i % 2`; for i >= 64 that is 0 for any uint64 index.
        let bit = u32::try_from(i)
            .ok()
            .and_then(|shift| index.checked_shr(shift))
            .map_or(0, |shifted| shifted & 1);
        value = if bit == 1 {
            hash_pair(sibling, &value)
        } else {
            hash_pair(&value, sibling)
        };
    }
    value == root
}

/// Root of an all-zero subtree of the given depth (`zero_hashes` in the deposit contract; table for depths 0..=32).
///
/// Depths above 32 are computed on the fly, costing one hash per extra level.
pub fn zero_hash(depth: usize) -> Hash256 {
    match ZERO_HASHES.get(depth) {
        Some(h) => *h,
        None => {
            let mut h = ZERO_HASHES[ZERO_HASHES_TABLE_MAX_DEPTH];
            for _ in ZERO_HASHES_TABLE_MAX_DEPTH..depth {
                h = hash_pair(&h, &h);
            }
            h
        }
    }
}

/// The deposit contract's incremental Merkle tree of depth `DEPOSIT_CONTRACT_TREE_DEPTH` over
/// deposit-data roots.
///
/// Proofs are as `process_deposit` checks them: `DEPOSIT_CONTRACT_TREE_DEPTH + 1` hashes whose
/// last element is the little-endian deposit count (the length mix-in), against the root
/// `hash(tree_root ‖ count_le_32)`, i.e. `Eth1Data.deposit_root`.
///
/// The leaves are kept (32 bytes each) for proofs and roots at earlier counts, which cost
/// O(count) hashes; the contract's O(depth) `branch` is kept too so [`DepositTree::root`] and
/// [`DepositTree::push_leaf_and_proof`] are O(depth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositTree {
    leaves: Vec<Hash256>,
    /// `branch[h]` is the root of the last complete subtree of height `h` whose leaves
    /// correspond to bit `h` of the leaf count (as in the deposit contract). The extra entry
    /// `branch[32]` holds the full tree's root once all `2**32` leaves are present.
    branch: [Hash256; DEPOSIT_CONTRACT_TREE_DEPTH + 1],
}

impl Default for DepositTree {
    fn default() -> Self {
        Self::new()
    }
}

impl DepositTree {
    /// An empty deposit tree (deposit contract `__init__`).
    pub fn new() -> Self {
        Self {
            leaves: Vec::new(),
            branch: [Hash256::ZERO; DEPOSIT_CONTRACT_TREE_DEPTH + 1],
        }
    }

    /// Append a deposit-data root (deposit contract `deposit`); errors once the tree holds `2**32` leaves.
    pub fn push_leaf(&mut self, leaf: Hash256) -> Result<(), MerkleError> {
        let len = self.len();
        if len >= MAX_DEPOSIT_LEAVES {
            return Err(MerkleError::TreeFull);
        }
        // len < 2**32, so this cannot overflow.
        let mut size = len + 1;
        let mut node = leaf;
        for height in 0..=DEPOSIT_CONTRACT_TREE_DEPTH {
            if size & 1 == 1 {
                self.branch[height] = node;
                break;
            }
            // Reached only while size is even; since size <= 2**32, size & 1 == 1 at height 32
            // at the latest, so `height < 32` here and the index is in bounds.
            node = hash_pair(&self.branch[height], &node);
            size >>= 1;
        }
        self.leaves.push(leaf);
        Ok(())
    }

    /// Append a leaf and return its proof (33 hashes) against the root of the tree including it, i.e. the new [`DepositTree::root`]; O(depth).
    ///
    /// This is what genesis from deposits needs: deposit `i` proven against the root of the
    /// first `i + 1` leaves. Equal to `proof(len, len + 1)` after the push.
    pub fn push_leaf_and_proof(&mut self, leaf: Hash256) -> Result<Vec<Hash256>, MerkleError> {
        let index = self.len();
        if index >= MAX_DEPOSIT_LEAVES {
            return Err(MerkleError::TreeFull);
        }
        // For the new last leaf, the sibling at height h is the completed left subtree
        // `branch[h]` when bit h of its index is set, and an empty subtree otherwise.
        let mut proof = Vec::with_capacity(DEPOSIT_PROOF_LEN);
        for height in 0..DEPOSIT_CONTRACT_TREE_DEPTH {
            if (index >> height) & 1 == 1 {
                proof.push(self.branch[height]);
            } else {
                proof.push(zero_hash(height));
            }
        }
        self.push_leaf(leaf)?;
        proof.push(length_chunk(self.len()));
        Ok(proof)
    }

    /// Number of leaves (the deposit contract's `deposit_count`).
    pub fn len(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// Whether no leaf has been pushed.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// The leaves pushed so far, in order.
    pub fn leaves(&self) -> &[Hash256] {
        &self.leaves
    }

    /// Root with the length mix-in (deposit contract `get_deposit_root`; `Eth1Data.deposit_root`); O(depth).
    pub fn root(&self) -> Hash256 {
        let count = self.len();
        if count == MAX_DEPOSIT_LEAVES {
            return mix_in_length(&self.branch[DEPOSIT_CONTRACT_TREE_DEPTH], count);
        }
        let mut node = Hash256::ZERO;
        let mut size = count;
        for height in 0..DEPOSIT_CONTRACT_TREE_DEPTH {
            node = if size & 1 == 1 {
                hash_pair(&self.branch[height], &node)
            } else {
                hash_pair(&node, &zero_hash(height))
            };
            size >>= 1;
        }
        mix_in_length(&node, count)
    }

    /// Root with the length mix-in of the tree made of the first `count` leaves (`count <= len`); O(count).
    pub fn root_at(&self, count: u64) -> Result<Hash256, MerkleError> {
        let len = self.len();
        if count > len {
            return Err(MerkleError::CountTooLarge { count, len });
        }
        if count == len {
            return Ok(self.root());
        }
        let root = self.subtree_root(DEPOSIT_CONTRACT_TREE_DEPTH, 0, count);
        Ok(mix_in_length(&root, count))
    }

    /// Proof (33 hashes) for leaf `index` in the tree made of the first `count` leaves (index < count <= len); its root is root_at(count). O(count).
    pub fn proof(&self, index: u64, count: u64) -> Result<Vec<Hash256>, MerkleError> {
        let len = self.len();
        if count > len {
            return Err(MerkleError::CountTooLarge { count, len });
        }
        if index >= count {
            return Err(MerkleError::IndexOutOfRange { index, count });
        }
        let mut proof = Vec::with_capacity(DEPOSIT_PROOF_LEN);
        for height in 0..DEPOSIT_CONTRACT_TREE_DEPTH {
            let sibling = (index >> height) ^ 1;
            proof.push(self.subtree_root(height, sibling, count));
        }
        proof.push(length_chunk(count));
        Ok(proof)
    }

    /// Root of the subtree of the given height at position `node` of its level, over the first
    /// `count` leaves (leaves at or beyond `count` are zero). Visits only non-empty subtrees, so
    /// the cost is O(leaves under it below `count`) plus O(height).
    fn subtree_root(&self, height: usize, node: u64, count: u64) -> Hash256 {
        // First leaf index under this node; a start beyond u64 (impossible for height <= 32
        // and node < 2**32) is treated as empty.
        let start = u32::try_from(height)
            .ok()
            .and_then(|h| node.checked_shl(h))
            .filter(|s| s >> height == node);
        let Some(start) = start.filter(|&s| s < count) else {
            return zero_hash(height);
        };
        if height == 0 {
            return usize::try_from(start)
                .ok()
                .and_then(|i| self.leaves.get(i))
                .copied()
                .unwrap_or(Hash256::ZERO);
        }
        let (Some(left), Some(right)) = (
            node.checked_mul(2),
            node.checked_mul(2).and_then(|n| n.checked_add(1)),
        ) else {
            return zero_hash(height);
        };
        let child = height - 1;
        hash_pair(
            &self.subtree_root(child, left, count),
            &self.subtree_root(child, right, count),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u64) -> Hash256 {
        Hash256::from(ethereum_hashing::hash_fixed(&i.to_le_bytes()))
    }

    /// Straightforward reference: pad the first `count` leaves to 2**32 with zero-subtree
    /// shortcuts by building each layer explicitly.
    fn reference_root(leaves: &[Hash256]) -> Hash256 {
        let mut layer: Vec<Hash256> = leaves.to_vec();
        for height in 0..DEPOSIT_CONTRACT_TREE_DEPTH {
            if layer.len() % 2 == 1 {
                layer.push(zero_hash(height));
            }
            layer = layer.chunks(2).map(|p| hash_pair(&p[0], &p[1])).collect();
        }
        let root = layer
            .first()
            .copied()
            .unwrap_or(zero_hash(DEPOSIT_CONTRACT_TREE_DEPTH));
        mix_in_length(&root, leaves.len() as u64)
    }

    #[test]
    fn zero_hashes() {
        assert_eq!(zero_hash(0), Hash256::ZERO);
        for d in 1..=40 {
            assert_eq!(
                zero_hash(d),
                hash_pair(&zero_hash(d - 1), &zero_hash(d - 1))
            );
        }
        // Depth-1 zero hash: sha256 of 64 zero bytes.
        assert_eq!(
            zero_hash(1).to_string(),
            "0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"
        );
    }

    #[test]
    fn empty_tree_root() {
        let tree = DepositTree::new();
        let mut chunk = [0u8; 32];
        chunk[..8].copy_from_slice(&0u64.to_le_bytes());
        let expected = Hash256::from(ethereum_hashing::hash32_concat(
            zero_hash(32).as_slice(),
            &chunk,
        ));
        assert_eq!(tree.root(), expected);
        assert_eq!(tree.root_at(0), Ok(expected));
        assert!(tree.is_empty());
        // Well-known empty deposit root (e.g. mainnet/Goerli deposit contract before any deposit).
        assert_eq!(
            tree.root().to_string(),
            "0xd70a234731285c6804c2a4f56711ddb8c82c99740f207854891028af34e27e5e"
        );
    }

    #[test]
    fn roots_and_proofs_verify() {
        let mut tree = DepositTree::new();
        let n = 70u64;
        let mut leaves = Vec::new();
        for i in 0..n {
            tree.push_leaf(leaf(i)).unwrap();
            leaves.push(leaf(i));
            assert_eq!(tree.len(), i + 1);
            assert_eq!(tree.root(), reference_root(&leaves), "root after {}", i + 1);
        }
        for count in 0..=n {
            let root = tree.root_at(count).unwrap();
            assert_eq!(root, reference_root(&leaves[..count as usize]));
            for index in 0..count {
                let proof = tree.proof(index, count).unwrap();
                assert_eq!(proof.len(), DEPOSIT_PROOF_LEN);
                assert!(
                    is_valid_merkle_branch(leaf(index), &proof, DEPOSIT_PROOF_LEN, index, root),
                    "index {index} count {count}"
                );
                // Wrong leaf, wrong index, wrong root fail.
                assert!(!is_valid_merkle_branch(
                    leaf(n + 1),
                    &proof,
                    DEPOSIT_PROOF_LEN,
                    index,
                    root
                ));
                assert!(!is_valid_merkle_branch(
                    leaf(index),
                    &proof,
                    DEPOSIT_PROOF_LEN,
                    index ^ 1,
                    root
                ));
                assert!(!is_valid_merkle_branch(
                    leaf(index),
                    &proof,
                    DEPOSIT_PROOF_LEN,
                    index,
                    tree.root_at(count - 1).unwrap()
                ));
            }
        }
    }

    #[test]
    fn lying_branches_fail() {
        let mut tree = DepositTree::new();
        for i in 0..9 {
            tree.push_leaf(leaf(i)).unwrap();
        }
        let root = tree.root();
        let proof = tree.proof(5, 9).unwrap();
        assert!(is_valid_merkle_branch(leaf(5), &proof, 33, 5, root));
        for k in 0..proof.len() {
            let mut bad = proof.clone();
            bad[k].0[0] ^= 1;
            assert!(
                !is_valid_merkle_branch(leaf(5), &bad, 33, 5, root),
                "tampered element {k}"
            );
        }
        // A lying length mix-in.
        let mut bad = proof.clone();
        bad[32] = length_chunk(10);
        assert!(!is_valid_merkle_branch(leaf(5), &bad, 33, 5, root));
        // Index bits at or above the depth are not looked at.
        assert!(is_valid_merkle_branch(
            leaf(5),
            &proof,
            33,
            5 + (1 << 33),
            root
        ));
        assert!(!is_valid_merkle_branch(
            leaf(5),
            &proof,
            33,
            5 + (1 << 32),
            root
        ));
    }

    #[test]
    fn short_branches_and_odd_inputs_do_not_panic() {
        let root = DepositTree::new().root();
        for len in 0..33 {
            let branch = vec![Hash256::ZERO; len];
            assert!(!is_valid_merkle_branch(Hash256::ZERO, &branch, 33, 0, root));
            assert!(!is_valid_merkle_branch(
                Hash256::ZERO,
                &branch,
                usize::MAX,
                u64::MAX,
                root
            ));
        }
        // depth 0: the leaf must equal the root.
        assert!(is_valid_merkle_branch(root, &[], 0, u64::MAX, root));
        // depth beyond 64 with a long enough branch.
        let branch: Vec<Hash256> = (0..100).map(zero_hash).collect();
        assert!(!is_valid_merkle_branch(
            Hash256::ZERO,
            &branch,
            100,
            u64::MAX,
            root
        ));
        assert!(is_valid_merkle_branch(
            Hash256::ZERO,
            &branch,
            100,
            0,
            zero_hash(100)
        ));

        let mut tree = DepositTree::new();
        assert_eq!(
            tree.proof(0, 0),
            Err(MerkleError::IndexOutOfRange { index: 0, count: 0 })
        );
        assert_eq!(
            tree.proof(0, 1),
            Err(MerkleError::CountTooLarge { count: 1, len: 0 })
        );
        assert_eq!(
            tree.root_at(u64::MAX),
            Err(MerkleError::CountTooLarge {
                count: u64::MAX,
                len: 0
            })
        );
        tree.push_leaf(leaf(0)).unwrap();
        assert_eq!(
            tree.proof(u64::MAX, 1),
            Err(MerkleError::IndexOutOfRange {
                index: u64::MAX,
                count: 1
            })
        );
        assert_eq!(
            tree.proof(1, 1),
            Err(MerkleError::IndexOutOfRange { index: 1, count: 1 })
        );
        assert!(tree.proof(0, 1).is_ok());
    }

    #[test]
    fn push_leaf_and_proof_matches_proof() {
        let mut tree = DepositTree::new();
        for i in 0..300u64 {
            let proof = tree.push_leaf_and_proof(leaf(i)).unwrap();
            assert_eq!(proof, tree.proof(i, i + 1).unwrap(), "leaf {i}");
            assert_eq!(tree.root(), tree.root_at(i + 1).unwrap());
            assert!(is_valid_merkle_branch(leaf(i), &proof, 33, i, tree.root()));
        }
    }

    #[test]
    fn genesis_sized_proofs_are_cheap() {
        // 16,384 deposits, each proven against the root of the first i + 1 leaves.
        let start = std::time::Instant::now();
        let mut tree = DepositTree::new();
        for i in 0..16_384u64 {
            let proof = tree.push_leaf_and_proof(leaf(i)).unwrap();
            assert!(is_valid_merkle_branch(leaf(i), &proof, 33, i, tree.root()));
        }
        let elapsed = start.elapsed();
        assert!(elapsed.as_secs() < 10, "took {elapsed:?}");
        // Spot-check against the O(count) paths.
        let root = tree.root_at(16_384).unwrap();
        assert_eq!(root, tree.root());
        let proof = tree.proof(12_345, 16_384).unwrap();
        assert!(is_valid_merkle_branch(
            leaf(12_345),
            &proof,
            33,
            12_345,
            root
        ));
    }
}
