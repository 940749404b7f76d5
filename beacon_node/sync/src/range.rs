//! Range sync: one chain of batches from our head towards a target the peers' Status
//! messages name: their finalized checkpoint first, then their heads.
//!
//! Batches are downloaded in parallel from different peers (a bounded number ahead of the
//! one being processed, a bounded number per peer) and processed strictly in order, each as
//! one chain segment. A batch that fails goes to another peer; a peer that served invalid
//! blocks, malformed answers or lied about its head loses score. A batch that fails too often
//! ends the chain; the next tick starts a new one from wherever the chain got to.

use crate::batch::{
    Batch, BatchId, BatchState, TooManyAttempts, CLAIMED_HEAD_MISSING, EPOCHS_PER_BATCH,
};
use crate::{Action, LocalStatus, PeerSyncInfo, SegmentOutcome};
use network::rpc::{BlocksByRangeRequest, Request};
use network::{AppRequestId, PeerAction, PeerId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;
use types::{EthSpec, SignedBeaconBlock, Slot};

/// Batches downloaded or downloading ahead of the one being processed.
pub const BATCH_BUFFER: usize = 5;
/// Range requests in flight to one peer at once.
pub const MAX_REQUESTS_PER_PEER: usize = 2;

/// What a chain aims for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainKind {
    /// The finalized checkpoint peers agree on, ahead of ours.
    Finalized,
    /// The peers' heads, beyond finality.
    Head,
}

impl ChainKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChainKind::Finalized => "finalized",
            ChainKind::Head => "head",
        }
    }
}

/// Why a chain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainEnd {
    /// Every batch up to the target is imported.
    Completed,
    /// A batch failed too often.
    Failed,
    /// No peer can serve the next batch.
    NoPeers,
}

/// A chain of batches under way.
#[derive(Debug)]
pub struct SyncingChain<E: EthSpec> {
    /// Distinguishes this chain's answers from an earlier chain's.
    pub id: u64,
    pub kind: ChainKind,
    /// The epoch the first batch starts at.
    pub start_epoch: BatchId,
    /// The slot the chain syncs to (inclusive).
    pub target_slot: Slot,
    batches: BTreeMap<BatchId, Batch<E>>,
    /// The next batch to process.
    processing_target: BatchId,
    /// The next batch to create.
    next_batch: BatchId,
    /// Requests in flight: which batch each is for.
    requests: HashMap<AppRequestId, BatchId>,
    /// The chain restarted once from the finalized epoch after its first batch did not
    /// attach to our head (our head was on another branch).
    restarted_from_finalized: bool,
}

impl<E: EthSpec> SyncingChain<E> {
    /// A chain from our head's epoch to `target_slot`.
    pub fn new(id: u64, kind: ChainKind, local: &LocalStatus, target_slot: Slot) -> Self {
        let start_epoch = local.head_slot / E::slots_per_epoch();
        SyncingChain {
            id,
            kind,
            start_epoch,
            target_slot,
            batches: BTreeMap::new(),
            processing_target: start_epoch,
            next_batch: start_epoch,
            requests: HashMap::new(),
            restarted_from_finalized: false,
        }
    }

    /// The batch after the target's.
    fn end_batch(&self) -> BatchId {
        let last_epoch = self.target_slot / E::slots_per_epoch();
        let from_start = last_epoch.saturating_sub(self.start_epoch);
        self.start_epoch + (from_start / EPOCHS_PER_BATCH + 1) * EPOCHS_PER_BATCH
    }

    /// Requests sent before `deadline` and still unanswered.
    pub fn expired(&self, deadline: Instant) -> Vec<(PeerId, AppRequestId)> {
        self.batches
            .values()
            .filter_map(|b| match &b.state {
                BatchState::Downloading {
                    peer,
                    request,
                    sent,
                } if *sent < deadline => Some((*peer, *request)),
                _ => None,
            })
            .collect()
    }

    /// True if `request` is one of this chain's.
    pub fn owns(&self, request: AppRequestId) -> bool {
        self.requests.contains_key(&request)
    }

    /// Requests in flight to `peer`.
    fn requests_to(&self, peer: &PeerId) -> usize {
        self.batches
            .values()
            .filter(|b| matches!(&b.state, BatchState::Downloading { peer: p, .. } if p == peer))
            .count()
    }

    /// Create the batches the buffer allows and ask peers for those waiting.
    pub fn request_batches(
        &mut self,
        peers: &HashMap<PeerId, PeerSyncInfo>,
        next_request_id: &mut AppRequestId,
        actions: &mut Vec<Action<E>>,
    ) {
        let end = self.end_batch();
        while self.next_batch < end {
            let ahead = self
                .batches
                .range(self.processing_target..)
                .filter(|(_, b)| !matches!(b.state, BatchState::Processed { .. }))
                .count();
            if ahead >= BATCH_BUFFER {
                break;
            }
            self.batches
                .insert(self.next_batch, Batch::new(self.next_batch));
            self.next_batch += EPOCHS_PER_BATCH;
        }
        let waiting: Vec<BatchId> = self
            .batches
            .iter()
            .filter(|(_, b)| matches!(b.state, BatchState::AwaitingDownload))
            .map(|(id, _)| *id)
            .collect();
        for id in waiting {
            let Some(peer) = self.choose_peer(id, peers) else {
                continue;
            };
            *next_request_id += 1;
            let request = *next_request_id;
            let Some(batch) = self.batches.get_mut(&id) else {
                continue;
            };
            batch.state = BatchState::Downloading {
                peer,
                request,
                sent: Instant::now(),
            };
            self.requests.insert(request, id);
            tracing::debug!(%peer, batch = id, request, "Requesting a batch");
            actions.push(Action::Request {
                peer,
                id: request,
                request: Request::BlocksByRange(BlocksByRangeRequest {
                    start_slot: batch.start_slot,
                    count: batch.count,
                    step: 1,
                }),
            });
        }
    }

    /// A peer for batch `id`: one whose Status reaches the batch, with a free request slot,
    /// the fewest requests in flight, and preferably not one that failed this batch.
    fn choose_peer(&self, id: BatchId, peers: &HashMap<PeerId, PeerSyncInfo>) -> Option<PeerId> {
        let batch = self.batches.get(&id)?;
        let candidates = || {
            peers
                .iter()
                .filter(|(_, info)| info.head_slot >= batch.start_slot)
                .map(|(peer, _)| (*peer, self.requests_to(peer)))
                .filter(|(_, busy)| *busy < MAX_REQUESTS_PER_PEER)
        };
        let fresh = candidates()
            .filter(|(peer, _)| !batch.failed_peers.contains(peer))
            .min_by_key(|(peer, busy)| (*busy, *peer));
        fresh
            .or_else(|| candidates().min_by_key(|(peer, busy)| (*busy, *peer)))
            .map(|(peer, _)| peer)
    }

    /// True if no peer can serve the next batch to process (the chain cannot move).
    pub fn is_stranded(&self, peers: &HashMap<PeerId, PeerSyncInfo>) -> bool {
        let start = self.processing_target.saturating_mul(E::slots_per_epoch());
        !peers.values().any(|info| info.head_slot >= start)
    }

    /// A range response for one of this chain's requests (`false` if it is not one).
    pub fn on_response(
        &mut self,
        peer: PeerId,
        request: AppRequestId,
        blocks: Vec<Arc<SignedBeaconBlock<E>>>,
        claimed_head: Option<Slot>,
        actions: &mut Vec<Action<E>>,
    ) -> Result<bool, TooManyAttempts> {
        let Some(id) = self.requests.remove(&request) else {
            return Ok(false);
        };
        let Some(batch) = self.batches.get_mut(&id) else {
            return Ok(true);
        };
        let BatchState::Downloading {
            request: r, sent, ..
        } = &batch.state
        else {
            tracing::debug!(%peer, batch = id, request, "Range response for a batch no longer downloading");
            return Ok(true);
        };
        if *r != request {
            tracing::debug!(%peer, batch = id, request, current = *r, "Range response to a superseded request");
            return Ok(true);
        }
        crate::metrics::observe_download(sent.elapsed().as_secs_f64());
        match batch.check_response(&blocks, claimed_head) {
            Ok(()) => {
                batch.state = BatchState::AwaitingProcessing { peer, blocks };
                Ok(true)
            }
            Err(reason) => {
                tracing::debug!(%peer, batch = id, reason, "Malformed range response");
                // A claimed head can vanish in a reorg after the Status: a lighter penalty,
                // and a fresh Status.
                let action = if reason == CLAIMED_HEAD_MISSING {
                    actions.push(Action::RefreshStatus { peer });
                    PeerAction::MidTolerance
                } else {
                    PeerAction::LowTolerance
                };
                actions.push(Action::Penalise {
                    peer,
                    action,
                    reason,
                });
                batch.download_failed(peer).map(|()| true)
            }
        }
    }

    /// A range request of this chain failed (`false` if it is not one).
    pub fn on_request_failed(
        &mut self,
        peer: PeerId,
        request: AppRequestId,
    ) -> Result<bool, TooManyAttempts> {
        let Some(id) = self.requests.remove(&request) else {
            return Ok(false);
        };
        match self.batches.get_mut(&id) {
            Some(batch) if matches!(&batch.state, BatchState::Downloading { request: r, .. } if *r == request) => {
                batch.download_failed(peer).map(|()| true)
            }
            _ => Ok(true),
        }
    }

    /// A peer left: its downloads go back to waiting (not counted as attempts).
    pub fn peer_disconnected(&mut self, peer: &PeerId) {
        for batch in self.batches.values_mut() {
            if let BatchState::Downloading {
                peer: p, request, ..
            } = &batch.state
            {
                if p == peer {
                    self.requests.remove(request);
                    batch.state = BatchState::AwaitingDownload;
                }
            }
        }
    }

    /// The next batch to process, if it is downloaded and nothing is being processed.
    pub fn next_segment(&mut self) -> Option<(BatchId, Vec<Arc<SignedBeaconBlock<E>>>)> {
        if self
            .batches
            .values()
            .any(|b| matches!(b.state, BatchState::Processing { .. }))
        {
            return None;
        }
        let id = self.processing_target;
        let batch = self.batches.get_mut(&id)?;
        if !matches!(batch.state, BatchState::AwaitingProcessing { .. }) {
            return None;
        }
        let BatchState::AwaitingProcessing { peer, blocks } =
            std::mem::replace(&mut batch.state, BatchState::AwaitingDownload)
        else {
            return None;
        };
        batch.state = BatchState::Processing {
            peer,
            blocks: blocks.len(),
        };
        Some((id, blocks))
    }

    /// The chain's verdict on batch `id`. Returns `Some` when the chain is over.
    pub fn on_processed(
        &mut self,
        id: BatchId,
        outcome: SegmentOutcome,
        local: &LocalStatus,
        actions: &mut Vec<Action<E>>,
    ) -> Option<ChainEnd> {
        let batch = self.batches.get_mut(&id)?;
        let BatchState::Processing { peer, blocks } = batch.state else {
            return None;
        };
        let result = match outcome {
            SegmentOutcome::Imported { .. } => {
                batch.state = BatchState::Processed { peer, blocks };
                // Blocks on top of the earlier batches confirm them.
                if blocks > 0 {
                    self.batches.retain(|b, _| *b >= id);
                }
                self.processing_target = id + EPOCHS_PER_BATCH;
                if self.processing_target >= self.end_batch() {
                    return Some(ChainEnd::Completed);
                }
                Ok(())
            }
            SegmentOutcome::ParentUnknown { .. } => {
                self.on_parent_unknown(id, peer, local, actions)
            }
            SegmentOutcome::Invalid { reason, .. } => {
                tracing::info!(%peer, batch = id, reason, "Peer served an invalid block while syncing");
                actions.push(Action::Penalise {
                    peer,
                    action: PeerAction::LowTolerance,
                    reason: "invalid block in a range response",
                });
                batch.processing_failed(Some(peer))
            }
            SegmentOutcome::Failed { .. } => batch.processing_failed(None),
        };
        match result {
            Ok(()) => None,
            Err(TooManyAttempts) => Some(ChainEnd::Failed),
        }
    }

    /// Batch `id` did not attach to what came before it.
    fn on_parent_unknown(
        &mut self,
        id: BatchId,
        peer: PeerId,
        local: &LocalStatus,
        actions: &mut Vec<Action<E>>,
    ) -> Result<(), TooManyAttempts> {
        let finalized_epoch = local.finalized_epoch;
        if id == self.start_epoch
            && !self.restarted_from_finalized
            && self.start_epoch > finalized_epoch
        {
            // Our head is on a branch the peers do not have: start over from finality,
            // which every relevant peer shares.
            tracing::debug!(
                from_epoch = finalized_epoch,
                "Range sync restarts from the finalized epoch"
            );
            self.batches.clear();
            self.requests.clear();
            self.start_epoch = finalized_epoch;
            self.processing_target = finalized_epoch;
            self.next_batch = finalized_epoch;
            self.restarted_from_finalized = true;
            return Ok(());
        }
        // Empty batches just before it may have hidden blocks: download them again from
        // other peers, and resume processing from the first of them.
        let empties: Vec<BatchId> = self
            .batches
            .range(..id)
            .rev()
            .take_while(|(_, b)| matches!(b.state, BatchState::Processed { blocks: 0, .. }))
            .map(|(b, _)| *b)
            .collect();
        for empty in &empties {
            if let Some(batch) = self.batches.get_mut(empty) {
                if let Some(liar) = batch.peer() {
                    actions.push(Action::Penalise {
                        peer: liar,
                        action: PeerAction::MidTolerance,
                        reason: "an empty range response hid blocks",
                    });
                    batch.processing_failed(Some(liar))?;
                }
            }
        }
        let batch = self.batches.get_mut(&id).ok_or(TooManyAttempts)?;
        match empties.last() {
            // The empty batches were at fault: this one is downloaded again as it was.
            Some(first) => {
                self.processing_target = *first;
                batch.processing_failed(None)
            }
            // This batch may be from another branch: ask someone else, without a penalty.
            None => batch.processing_failed(Some(peer)),
        }
    }

    /// The first slot not yet processed.
    pub fn processed_up_to(&self) -> Slot {
        self.processing_target.saturating_mul(E::slots_per_epoch())
    }
}
