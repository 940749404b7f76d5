//! The eth1 blocks that eth1 data votes are chosen from: number, hash and timestamp, with the
//! deposit root and count the contract had after each.

use ssz_derive::{Decode, Encode};
use std::collections::VecDeque;
use types::{Eth1Data, Hash256};

/// An eth1 block as votes need it (validator.md's `Eth1Block` plus `get_eth1_data`'s fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct Eth1Block {
    pub number: u64,
    pub hash: Hash256,
    pub timestamp: u64,
    pub deposit_root: Hash256,
    pub deposit_count: u64,
}

impl Eth1Block {
    /// `get_eth1_data` (validator.md, Eth1 data).
    pub fn eth1_data(&self) -> Eth1Data {
        Eth1Data {
            deposit_root: self.deposit_root,
            deposit_count: self.deposit_count,
            block_hash: self.hash,
        }
    }
}

/// Why a block cannot join the cache.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockCacheError {
    #[error("block {found} arrived when block {expected} was next")]
    NotNext { expected: u64, found: u64 },
    #[error("block {number}'s timestamp {timestamp} is before its parent's {parent}")]
    TimeBackwards {
        number: u64,
        timestamp: u64,
        parent: u64,
    },
    #[error("block {number}'s deposit count {count} is below its parent's {parent}")]
    DepositsBackwards {
        number: u64,
        count: u64,
        parent: u64,
    },
}

/// Consecutive eth1 blocks, oldest first, at most `capacity` of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockCache {
    blocks: VecDeque<Eth1Block>,
}

impl BlockCache {
    /// A cache holding `blocks` (as stored; checked to be consecutive).
    pub fn from_blocks(blocks: Vec<Eth1Block>) -> Result<Self, BlockCacheError> {
        let mut cache = BlockCache::default();
        for block in blocks {
            cache.push(block, usize::MAX)?;
        }
        Ok(cache)
    }

    /// The blocks, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Eth1Block> + '_ {
        self.blocks.iter()
    }

    /// Number of blocks held.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// True if no block is held.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The newest block.
    pub fn latest(&self) -> Option<&Eth1Block> {
        self.blocks.back()
    }

    /// Checks that `block` may follow `parent` (the newest held, or one being added).
    pub fn check_next(
        parent: Option<&Eth1Block>,
        block: &Eth1Block,
    ) -> Result<(), BlockCacheError> {
        let Some(parent) = parent else {
            return Ok(());
        };
        if block.number != parent.number + 1 {
            return Err(BlockCacheError::NotNext {
                expected: parent.number + 1,
                found: block.number,
            });
        }
        if block.timestamp < parent.timestamp {
            return Err(BlockCacheError::TimeBackwards {
                number: block.number,
                timestamp: block.timestamp,
                parent: parent.timestamp,
            });
        }
        if block.deposit_count < parent.deposit_count {
            return Err(BlockCacheError::DepositsBackwards {
                number: block.number,
                count: block.deposit_count,
                parent: parent.deposit_count,
            });
        }
        Ok(())
    }

    /// Appends the next block, dropping the oldest beyond `capacity`.
    pub fn push(&mut self, block: Eth1Block, capacity: usize) -> Result<(), BlockCacheError> {
        Self::check_next(self.latest(), &block)?;
        self.blocks.push_back(block);
        while self.blocks.len() > capacity {
            self.blocks.pop_front();
        }
        Ok(())
    }

    /// The blocks as a list (for storage).
    pub fn to_vec(&self) -> Vec<Eth1Block> {
        self.blocks.iter().copied().collect()
    }
}
