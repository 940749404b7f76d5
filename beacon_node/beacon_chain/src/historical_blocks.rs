//! Backfill: blocks from before a checkpoint anchor, fetched from peers newest first, joined
//! to the history the database holds by their roots and checked by their proposers'
//! signatures (one batch), so that the node serves and answers for the whole chain.
//!
//! There are no states before the anchor to replay, so nothing else of these blocks can be
//! checked, and nothing else needs to be: the chain of roots from the anchor, which the node
//! trusts, fixes every block.

use crate::beacon_chain::BeaconChain;
use crate::errors::BeaconChainError;
use state_processing::per_block_processing::historical_block_proposal_signature_set;
use std::sync::Arc;
use store::BackfillInfo;
use tree_hash::TreeHash;
use types::{EthSpec, Hash256, SignedBeaconBlock, Slot};

/// Why a batch of historical blocks was refused.
#[derive(Debug, thiserror::Error)]
pub enum HistoricalBlockError {
    #[error("the newest block {got:?} is not the parent {expected:?} of the oldest block held")]
    MismatchedChain { expected: Hash256, got: Hash256 },
    #[error("a block does not name the block before it as its parent")]
    NonLinear,
    #[error("a proposer signature is invalid")]
    InvalidSignature,
    #[error(
        "slot {slot} holds {got:?} in this batch, but {expected:?} in the head state's history"
    )]
    NotInHistory {
        slot: Slot,
        expected: Hash256,
        got: Hash256,
    },
    #[error(transparent)]
    BeaconChain(#[from] BeaconChainError),
}

impl HistoricalBlockError {
    /// True if the peer that served the blocks is at fault.
    pub fn is_peer_fault(&self) -> bool {
        !matches!(self, HistoricalBlockError::BeaconChain(_))
    }
}

/// What a batch of historical blocks did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoricalImport {
    pub imported: usize,
    /// The oldest slot history now reaches (0: complete).
    pub oldest_slot: Slot,
}

impl<E: EthSpec> BeaconChain<E> {
    /// The oldest slot block history reaches, if it does not reach genesis yet.
    pub fn backfill_info(&self) -> Result<Option<BackfillInfo>, BeaconChainError> {
        Ok(self.store.backfill_info()?)
    }

    /// Import `blocks` (ascending slots, all before the oldest block held), answered to a
    /// range request that started at `start_slot`. Blocks at or after the oldest block held
    /// are ignored; an empty answer imports nothing. When the request started at slot 0,
    /// history is complete afterwards.
    pub fn import_historical_block_batch(
        &self,
        blocks: &[Arc<SignedBeaconBlock<E>>],
        start_slot: Slot,
    ) -> Result<HistoricalImport, HistoricalBlockError> {
        let Some(info) = self.store.backfill_info().map_err(BeaconChainError::from)? else {
            return Ok(HistoricalImport {
                imported: 0,
                oldest_slot: 0,
            });
        };
        let blocks: Vec<(Hash256, Arc<SignedBeaconBlock<E>>)> = blocks
            .iter()
            .filter(|b| b.message.slot < info.oldest_block_slot)
            .map(|b| (b.message.tree_hash_root(), b.clone()))
            .collect();
        let Some((newest_root, _)) = blocks.last() else {
            return Ok(HistoricalImport {
                imported: 0,
                oldest_slot: info.oldest_block_slot,
            });
        };
        if *newest_root != info.oldest_block_parent {
            return Err(HistoricalBlockError::MismatchedChain {
                expected: info.oldest_block_parent,
                got: *newest_root,
            });
        }
        for pair in blocks.windows(2) {
            let ((parent_root, parent), (_, child)) = (&pair[0], &pair[1]);
            if child.message.parent_root != *parent_root
                || child.message.slot <= parent.message.slot
            {
                return Err(HistoricalBlockError::NonLinear);
            }
        }
        self.verify_historical_signatures(&blocks)?;

        // The cold index: each block's root for its slot and the empty slots after it.
        let (oldest_root, oldest) = &blocks[0];
        let mut block_root_at = Vec::new();
        let mut next_slot = info.oldest_block_slot;
        for (root, block) in blocks.iter().rev() {
            for slot in block.message.slot..next_slot {
                block_root_at.push((slot, *root));
            }
            next_slot = block.message.slot;
        }
        let new_info = if oldest.message.slot == 0 {
            BackfillInfo {
                oldest_block_slot: 0,
                oldest_block_parent: *oldest_root,
            }
        } else if start_slot == 0 {
            // Nothing before the oldest block but genesis, which peers may not serve: the
            // empty slots before it name the genesis block, its parent.
            for slot in 0..oldest.message.slot {
                block_root_at.push((slot, oldest.message.parent_root));
            }
            BackfillInfo {
                oldest_block_slot: 0,
                oldest_block_parent: oldest.message.parent_root,
            }
        } else {
            BackfillInfo {
                oldest_block_slot: oldest.message.slot,
                oldest_block_parent: oldest.message.parent_root,
            }
        };
        self.check_against_head_history(&block_root_at)?;
        self.store
            .put_historical_blocks(&blocks, &block_root_at, new_info)
            .map_err(BeaconChainError::from)?;
        tracing::debug!(
            blocks = blocks.len(),
            oldest_slot = new_info.oldest_block_slot,
            "Historical blocks imported"
        );
        Ok(HistoricalImport {
            imported: blocks.len(),
            oldest_slot: new_info.oldest_block_slot,
        })
    }

    /// Each slot's root against the head state's `block_roots`, for the slots it still
    /// covers (the last `SLOTS_PER_HISTORICAL_ROOT`): a peer that left out blocks, even
    /// before its oldest one, is caught there. Older slots rest on the chain of parent roots.
    fn check_against_head_history(
        &self,
        block_root_at: &[(Slot, Hash256)],
    ) -> Result<(), HistoricalBlockError> {
        let head = self.head();
        for (slot, got) in block_root_at {
            if let Ok(expected) = head.state.get_block_root_at_slot(*slot) {
                if expected != *got {
                    return Err(HistoricalBlockError::NotInHistory {
                        slot: *slot,
                        expected,
                        got: *got,
                    });
                }
            }
        }
        Ok(())
    }

    /// Every proposer signature of `blocks` as one batch, with keys and fork from the head
    /// state (the registry only grows, and phase 0's fork schedule is in every state).
    fn verify_historical_signatures(
        &self,
        blocks: &[(Hash256, Arc<SignedBeaconBlock<E>>)],
    ) -> Result<(), HistoricalBlockError> {
        let head = self.head();
        state_processing::helpers::accessors::fill_pubkey_cache(&head.state);
        let mut sets = Vec::with_capacity(blocks.len());
        // The genesis block is not signed.
        for (_, block) in blocks.iter().filter(|(_, b)| b.message.slot > 0) {
            let set = historical_block_proposal_signature_set(&head.state, block, &self.spec)
                .map_err(|_| HistoricalBlockError::InvalidSignature)?;
            sets.push(set);
        }
        if sets.is_empty() || bls::verify_signature_sets(sets.iter()) {
            Ok(())
        } else {
            Err(HistoricalBlockError::InvalidSignature)
        }
    }
}
