//! One batch of range sync: whole epochs of blocks, downloaded from one peer at a time and
//! processed as one chain segment, with the peers that failed it remembered so a retry goes
//! elsewhere.

use network::{AppRequestId, PeerId};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;
use types::{EthSpec, SignedBeaconBlock, Slot};

/// Epochs of blocks in one batch (one `beacon_blocks_by_range` request).
pub const EPOCHS_PER_BATCH: u64 = 2;
/// Downloads of one batch before the chain is given up.
pub const MAX_DOWNLOAD_ATTEMPTS: u8 = 5;
/// Processing attempts of one batch (each after a fresh download) before the chain is given up.
pub const MAX_PROCESSING_ATTEMPTS: u8 = 3;

/// Why an answer missing its sender's claimed head is refused (its Status may be stale).
pub const CLAIMED_HEAD_MISSING: &str = "the head block its Status claimed is missing";

/// A batch is named by the epoch it starts at.
pub type BatchId = u64;

/// Where a batch is in its life.
#[derive(Debug)]
pub enum BatchState<E: EthSpec> {
    /// Waiting for a peer with a free request slot.
    AwaitingDownload,
    Downloading {
        peer: PeerId,
        request: AppRequestId,
        sent: Instant,
    },
    /// Downloaded and checked for shape; waits for the batches before it.
    AwaitingProcessing {
        peer: PeerId,
        blocks: Vec<Arc<SignedBeaconBlock<E>>>,
    },
    /// With the chain.
    Processing { peer: PeerId, blocks: usize },
    /// Imported (`blocks` is how many the peer sent). An empty batch stays until a later
    /// batch imports blocks on top of it: if that later batch's first block has an unknown
    /// parent, the empty batch lied.
    Processed { peer: PeerId, blocks: usize },
}

/// A batch and its history.
#[derive(Debug)]
pub struct Batch<E: EthSpec> {
    pub start_slot: Slot,
    pub count: u64,
    pub state: BatchState<E>,
    /// Peers that failed this batch: a retry asks someone else if it can.
    pub failed_peers: HashSet<PeerId>,
    pub download_attempts: u8,
    pub processing_attempts: u8,
}

/// The batch is beyond its attempts: give up the chain.
#[derive(Debug, PartialEq, Eq)]
pub struct TooManyAttempts;

impl<E: EthSpec> Batch<E> {
    /// The batch starting at epoch `id`.
    pub fn new(id: BatchId) -> Self {
        let spe = E::slots_per_epoch();
        Batch {
            start_slot: id.saturating_mul(spe),
            count: EPOCHS_PER_BATCH * spe,
            state: BatchState::AwaitingDownload,
            failed_peers: HashSet::new(),
            download_attempts: 0,
            processing_attempts: 0,
        }
    }

    /// The first slot after the batch.
    pub fn end_slot(&self) -> Slot {
        self.start_slot.saturating_add(self.count)
    }

    /// The peer downloading or holding the batch, if any.
    pub fn peer(&self) -> Option<PeerId> {
        match &self.state {
            BatchState::AwaitingDownload => None,
            BatchState::Downloading { peer, .. }
            | BatchState::AwaitingProcessing { peer, .. }
            | BatchState::Processing { peer, .. }
            | BatchState::Processed { peer, .. } => Some(*peer),
        }
    }

    /// The download failed (the request failed, or the answer was malformed): back to
    /// waiting, with `peer` remembered.
    pub fn download_failed(&mut self, peer: PeerId) -> Result<(), TooManyAttempts> {
        self.failed_peers.insert(peer);
        self.state = BatchState::AwaitingDownload;
        self.download_attempts = self.download_attempts.saturating_add(1);
        if self.download_attempts >= MAX_DOWNLOAD_ATTEMPTS {
            Err(TooManyAttempts)
        } else {
            Ok(())
        }
    }

    /// Processing failed, or the batch turned out wrong later: download it again, from
    /// another peer than `blamed` if one is given.
    pub fn processing_failed(&mut self, blamed: Option<PeerId>) -> Result<(), TooManyAttempts> {
        if let Some(peer) = blamed {
            self.failed_peers.insert(peer);
        }
        self.state = BatchState::AwaitingDownload;
        self.processing_attempts = self.processing_attempts.saturating_add(1);
        if self.processing_attempts >= MAX_PROCESSING_ATTEMPTS {
            Err(TooManyAttempts)
        } else {
            Ok(())
        }
    }

    /// Check a `beacon_blocks_by_range` answer's shape (p2p-interface.md: at most `count`
    /// blocks, slots in `[start_slot, start_slot + count)`, strictly rising), and that a
    /// peer whose Status claimed a head inside the batch returned that head's slot.
    pub fn check_response(
        &self,
        blocks: &[Arc<SignedBeaconBlock<E>>],
        claimed_head: Option<Slot>,
    ) -> Result<(), &'static str> {
        if blocks.len() as u64 > self.count {
            return Err("more blocks than requested");
        }
        let mut previous = None;
        for block in blocks {
            let slot = block.message.slot;
            if slot < self.start_slot || slot >= self.end_slot() {
                return Err("a block outside the requested range");
            }
            if previous.is_some_and(|p| slot <= p) {
                return Err("blocks not in strictly rising slots");
            }
            previous = Some(slot);
        }
        if let Some(head) = claimed_head {
            if head >= self.start_slot
                && head < self.end_slot()
                && !blocks.iter().any(|b| b.message.slot == head)
            {
                return Err(CLAIMED_HEAD_MISSING);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MinimalEthSpec as E;

    fn block(slot: Slot) -> Arc<SignedBeaconBlock<E>> {
        let mut block = SignedBeaconBlock::<E>::default();
        block.message.slot = slot;
        Arc::new(block)
    }

    #[test]
    fn a_batch_covers_whole_epochs() {
        let batch = Batch::<E>::new(3);
        assert_eq!(batch.start_slot, 24);
        assert_eq!(batch.end_slot(), 24 + EPOCHS_PER_BATCH * 8);
    }

    #[test]
    fn responses_out_of_range_order_or_missing_the_claimed_head_are_refused() {
        let batch = Batch::<E>::new(1); // slots 8..24
        assert!(batch
            .check_response(&[block(8), block(9), block(23)], None)
            .is_ok());
        assert!(
            batch.check_response(&[], Some(100)).is_ok(),
            "empty is allowed"
        );
        assert!(batch.check_response(&[block(7)], None).is_err());
        assert!(batch.check_response(&[block(24)], None).is_err());
        assert!(batch.check_response(&[block(10), block(9)], None).is_err());
        assert!(batch.check_response(&[block(10), block(10)], None).is_err());
        assert!(batch.check_response(&[block(9)], Some(12)).is_err());
        assert!(batch
            .check_response(&[block(9), block(12)], Some(12))
            .is_ok());
    }

    #[test]
    fn attempts_are_bounded() {
        let mut batch = Batch::<E>::new(0);
        let peer = PeerId::random();
        for _ in 1..MAX_DOWNLOAD_ATTEMPTS {
            assert!(batch.download_failed(peer).is_ok());
        }
        assert_eq!(batch.download_failed(peer), Err(TooManyAttempts));
        let mut batch = Batch::<E>::new(0);
        for _ in 1..MAX_PROCESSING_ATTEMPTS {
            assert!(batch.processing_failed(None).is_ok());
        }
        assert_eq!(batch.processing_failed(Some(peer)), Err(TooManyAttempts));
        assert!(batch.failed_peers.contains(&peer));
    }
}
