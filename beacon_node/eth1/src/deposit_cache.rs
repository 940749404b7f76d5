//! Every deposit the contract logged, in order, with the contract's Merkle tree over them:
//! the root and count at any earlier deposit, and proofs against any of those roots.

use deposit_contract::DepositLog;
use merkle_proof::DepositTree;
use tree_hash::TreeHash;
use types::{Deposit, FixedVector, Hash256};

/// Why a log cannot join the cache.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositCacheError {
    #[error(
        "deposit {found} arrived when deposit {expected} was next (a gap or logs out of order)"
    )]
    Gap { expected: u64, found: u64 },
    #[error("deposit {0} differs from the deposit already held at that index")]
    Conflict(u64),
    #[error("deposits {start}..{end} asked for, {len} held")]
    NotHeld { start: u64, end: u64, len: u64 },
    #[error("the deposit root at count {count} is {ours:?}, eth1 data says {theirs:?}")]
    RootMismatch {
        count: u64,
        ours: Hash256,
        theirs: Hash256,
    },
    #[error("deposit tree: {0:?}")]
    Tree(merkle_proof::MerkleError),
}

/// The deposit logs and their tree.
#[derive(Debug, Clone, Default)]
pub struct DepositCache {
    logs: Vec<DepositLog>,
    tree: DepositTree,
}

impl DepositCache {
    /// Number of deposits held (the contract's `deposit_count` at the last one).
    pub fn len(&self) -> u64 {
        self.logs.len() as u64
    }

    /// True if no deposit is held.
    pub fn is_empty(&self) -> bool {
        self.logs.is_empty()
    }

    /// The logs held, in index order.
    pub fn logs(&self) -> &[DepositLog] {
        &self.logs
    }

    /// Whether `log` may follow the deposits held: the next index, or one already held and
    /// identical (an overlapping query). Nothing changes.
    pub fn check(&self, log: &DepositLog, pending: u64) -> Result<bool, DepositCacheError> {
        let next = self.len() + pending;
        if log.index == next {
            return Ok(true);
        }
        match self.logs.get(log.index as usize) {
            Some(held) if held == log => Ok(false),
            Some(_) => Err(DepositCacheError::Conflict(log.index)),
            None => Err(DepositCacheError::Gap {
                expected: next,
                found: log.index,
            }),
        }
    }

    /// Appends the next deposit (checked with [`DepositCache::check`]); a deposit already
    /// held and identical is ignored.
    pub fn insert(&mut self, log: DepositLog) -> Result<(), DepositCacheError> {
        if !self.check(&log, 0)? {
            return Ok(());
        }
        self.tree
            .push_leaf(log.data.tree_hash_root())
            .map_err(DepositCacheError::Tree)?;
        self.logs.push(log);
        Ok(())
    }

    /// The deposit count and root after each of `new` is appended, without changing the
    /// cache (`new` must follow the deposits held, in order; checked by the caller).
    pub fn counts_and_roots_with(
        &self,
        new: &[DepositLog],
    ) -> Result<Vec<(u64, Hash256)>, DepositCacheError> {
        let mut tree = self.tree.clone();
        new.iter()
            .map(|log| {
                tree.push_leaf(log.data.tree_hash_root())
                    .map_err(DepositCacheError::Tree)?;
                Ok((tree.len(), tree.root()))
            })
            .collect()
    }

    /// The deposit root after all deposits held (`get_deposit_root()`).
    pub fn root(&self) -> Hash256 {
        self.tree.root()
    }

    /// The deposit root after the first `count` deposits.
    pub fn root_at(&self, count: u64) -> Result<Hash256, DepositCacheError> {
        self.tree.root_at(count).map_err(DepositCacheError::Tree)
    }

    /// Deposits `start..end` with proofs against the tree of the first `count` deposits,
    /// whose root must be `deposit_root` (what `process_deposit` will check them against).
    pub fn deposits(
        &self,
        start: u64,
        end: u64,
        count: u64,
        deposit_root: Hash256,
    ) -> Result<Vec<Deposit>, DepositCacheError> {
        if start > end || end > count || count > self.len() {
            return Err(DepositCacheError::NotHeld {
                start,
                end: end.max(count),
                len: self.len(),
            });
        }
        let ours = self.root_at(count)?;
        if ours != deposit_root {
            return Err(DepositCacheError::RootMismatch {
                count,
                ours,
                theirs: deposit_root,
            });
        }
        (start..end)
            .map(|index| {
                let proof = self
                    .tree
                    .proof(index, count)
                    .map_err(DepositCacheError::Tree)?;
                Ok(Deposit {
                    // The tree's proofs always have DEPOSIT_CONTRACT_TREE_DEPTH + 1 hashes.
                    proof: FixedVector::new(proof).map_err(|_| {
                        DepositCacheError::Tree(merkle_proof::MerkleError::TreeFull)
                    })?,
                    data: self.logs[index as usize].data.clone(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{DepositData, PublicKeyBytes, SignatureBytes};

    pub(crate) fn log(index: u64, block_number: u64) -> DepositLog {
        let mut pubkey = [0u8; 48];
        pubkey[..8].copy_from_slice(&index.to_le_bytes());
        DepositLog {
            index,
            block_number,
            data: DepositData {
                pubkey: PublicKeyBytes::from_array(pubkey),
                withdrawal_credentials: Hash256::repeat_byte(1),
                amount: 32_000_000_000,
                signature: SignatureBytes::empty(),
            },
        }
    }

    #[test]
    fn gaps_and_conflicts_are_refused() {
        let mut cache = DepositCache::default();
        cache.insert(log(0, 1)).unwrap();
        assert_eq!(
            cache.insert(log(2, 1)),
            Err(DepositCacheError::Gap {
                expected: 1,
                found: 2
            })
        );
        cache.insert(log(0, 1)).unwrap();
        assert_eq!(cache.len(), 1);
        let mut other = log(0, 1);
        other.data.amount = 1;
        assert_eq!(cache.insert(other), Err(DepositCacheError::Conflict(0)));
    }

    #[test]
    fn proofs_verify_against_earlier_roots() {
        let mut cache = DepositCache::default();
        for i in 0..10 {
            cache.insert(log(i, i)).unwrap();
        }
        let root6 = cache.root_at(6).unwrap();
        let deposits = cache.deposits(3, 6, 6, root6).unwrap();
        for (offset, deposit) in deposits.iter().enumerate() {
            assert!(merkle_proof::is_valid_merkle_branch(
                deposit.data.tree_hash_root(),
                &deposit.proof,
                merkle_proof::DEPOSIT_CONTRACT_TREE_DEPTH + 1,
                3 + offset as u64,
                root6,
            ));
        }
        assert!(matches!(
            cache.deposits(3, 6, 6, cache.root()),
            Err(DepositCacheError::RootMismatch { .. })
        ));
        assert!(matches!(
            cache.deposits(9, 11, 11, root6),
            Err(DepositCacheError::NotHeld { .. })
        ));
    }
}
