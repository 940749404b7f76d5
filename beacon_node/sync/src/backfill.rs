//! Backfill: after a checkpoint start, the blocks before the anchor, fetched newest first in
//! windows that end where the held history begins, so that each answer joins on by the
//! parent root of the oldest block held (the chain checks the join and the signatures).
//!
//! One window at a time, from a peer whose Status reaches it, when range sync is idle: the
//! head comes first. An empty answer may be honest (a run of skipped slots) or not: the
//! window is asked of another peer, and after two empty answers it doubles, up to
//! `MAX_REQUEST_BLOCKS`.

use crate::{Action, PeerSyncInfo};
use network::rpc::{BlocksByRangeRequest, Request, MAX_REQUEST_BLOCKS};
use network::{AppRequestId, PeerAction, PeerId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;
use types::{EthSpec, SignedBeaconBlock, Slot};

/// Slots asked for at first in one backfill request.
pub const BACKFILL_WINDOW: u64 = 64;

/// The chain's verdict on a backfill window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackfillOutcome {
    /// Imported: history now reaches `oldest_slot` (0: complete).
    Imported { oldest_slot: Slot },
    /// The blocks do not join on, or a signature is invalid: the peer is at fault.
    Invalid,
    /// Not the peer's fault: try again.
    Failed,
}

#[derive(Debug, Clone, Copy)]
struct InFlight {
    peer: PeerId,
    id: AppRequestId,
    start_slot: Slot,
    count: u64,
    sent: Instant,
}

/// Backfill's state.
#[derive(Debug)]
pub struct Backfill {
    /// History is held from this slot on.
    oldest_slot: Slot,
    window: u64,
    request: Option<InFlight>,
    /// The peer whose blocks the chain is checking.
    processing: Option<PeerId>,
    failed_peers: HashSet<PeerId>,
    empty_answers: u8,
}

impl Backfill {
    /// Backfill of the history before `oldest_slot`.
    pub fn new(oldest_slot: Slot) -> Self {
        Backfill {
            oldest_slot,
            window: BACKFILL_WINDOW,
            request: None,
            processing: None,
            failed_peers: HashSet::new(),
            empty_answers: 0,
        }
    }

    /// History reaches genesis.
    pub fn is_complete(&self) -> bool {
        self.oldest_slot == 0
    }

    /// The slot history reaches back to.
    pub fn oldest_slot(&self) -> Slot {
        self.oldest_slot
    }

    pub fn owns(&self, id: AppRequestId) -> bool {
        self.request.is_some_and(|r| r.id == id)
    }

    /// Ask a peer for the next window, if nothing is under way.
    pub fn request<E: EthSpec>(
        &mut self,
        peers: &HashMap<PeerId, PeerSyncInfo>,
        next_request_id: &mut AppRequestId,
        actions: &mut Vec<Action<E>>,
    ) {
        if self.is_complete() || self.request.is_some() || self.processing.is_some() {
            return;
        }
        let mut candidates: Vec<PeerId> = peers
            .iter()
            .filter(|(_, info)| info.head_slot >= self.oldest_slot)
            .map(|(peer, _)| *peer)
            .collect();
        candidates.sort();
        let Some(peer) = candidates
            .iter()
            .find(|p| !self.failed_peers.contains(*p))
            .or_else(|| candidates.first())
            .copied()
        else {
            return;
        };
        let start_slot = self.oldest_slot.saturating_sub(self.window);
        let count = self.oldest_slot - start_slot;
        *next_request_id += 1;
        let id = *next_request_id;
        self.request = Some(InFlight {
            peer,
            id,
            start_slot,
            count,
            sent: Instant::now(),
        });
        actions.push(Action::Request {
            peer,
            id,
            request: Request::BlocksByRange(BlocksByRangeRequest {
                start_slot,
                count,
                step: 1,
            }),
        });
    }

    /// The answer to the window's request: to the chain, or to another peer if empty or
    /// malformed.
    pub fn on_response<E: EthSpec>(
        &mut self,
        peer: PeerId,
        id: AppRequestId,
        blocks: Vec<Arc<SignedBeaconBlock<E>>>,
        actions: &mut Vec<Action<E>>,
    ) {
        let Some(request) = self.request.filter(|r| r.id == id) else {
            return;
        };
        self.request = None;
        let end = request.start_slot + request.count;
        let well_formed = blocks.len() as u64 <= request.count
            && blocks
                .windows(2)
                .all(|w| w[0].message.slot < w[1].message.slot)
            && blocks
                .iter()
                .all(|b| b.message.slot >= request.start_slot && b.message.slot < end);
        if !well_formed {
            actions.push(Action::Penalise {
                peer,
                action: PeerAction::LowTolerance,
                reason: "malformed backfill response",
            });
            self.failed_peers.insert(peer);
            return;
        }
        if blocks.is_empty() && request.start_slot > 0 {
            self.failed_peers.insert(peer);
            self.empty_answers += 1;
            if self.empty_answers >= 2 {
                // Two peers saw nothing here: a long run of empty slots, look further back.
                self.window = (self.window * 2).min(MAX_REQUEST_BLOCKS);
                self.empty_answers = 0;
                self.failed_peers.clear();
            }
            return;
        }
        self.processing = Some(peer);
        actions.push(Action::ProcessBackfill {
            start_slot: request.start_slot,
            blocks,
        });
    }

    /// The window's request failed.
    pub fn on_request_failed(&mut self, peer: PeerId, id: AppRequestId) {
        if self.owns(id) {
            self.request = None;
            self.failed_peers.insert(peer);
        }
    }

    /// The chain's verdict on the window.
    pub fn on_processed<E: EthSpec>(
        &mut self,
        outcome: BackfillOutcome,
        actions: &mut Vec<Action<E>>,
    ) {
        let Some(peer) = self.processing.take() else {
            return;
        };
        match outcome {
            BackfillOutcome::Imported { oldest_slot } => {
                self.oldest_slot = oldest_slot.min(self.oldest_slot);
                self.window = BACKFILL_WINDOW;
                self.empty_answers = 0;
                self.failed_peers.clear();
            }
            BackfillOutcome::Invalid => {
                actions.push(Action::Penalise {
                    peer,
                    action: PeerAction::LowTolerance,
                    reason: "backfill blocks that do not join the chain",
                });
                self.failed_peers.insert(peer);
            }
            BackfillOutcome::Failed => {}
        }
    }

    /// The window's request if it was sent before `deadline` and is unanswered.
    pub fn expired(&self, deadline: Instant) -> Option<(PeerId, AppRequestId)> {
        self.request
            .filter(|r| r.sent < deadline)
            .map(|r| (r.peer, r.id))
    }

    /// A peer left: a request to it will not be answered.
    pub fn peer_disconnected(&mut self, peer: &PeerId) {
        if self.request.is_some_and(|r| r.peer == *peer) {
            self.request = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MinimalEthSpec as E;

    fn peers(n: usize, head_slot: Slot) -> HashMap<PeerId, PeerSyncInfo> {
        (0..n)
            .map(|_| {
                (
                    PeerId::random(),
                    PeerSyncInfo {
                        head_slot,
                        head_root: Default::default(),
                        finalized_epoch: 0,
                        finalized_root: Default::default(),
                    },
                )
            })
            .collect()
    }

    fn block(slot: Slot) -> Arc<SignedBeaconBlock<E>> {
        let mut b = SignedBeaconBlock::<E>::default();
        b.message.slot = slot;
        Arc::new(b)
    }

    fn sent(actions: &[Action<E>]) -> (PeerId, AppRequestId, Slot, u64) {
        match actions.last() {
            Some(Action::Request {
                peer,
                id,
                request: Request::BlocksByRange(r),
            }) => (*peer, *id, r.start_slot, r.count),
            other => panic!("expected a range request, got {other:?}"),
        }
    }

    #[test]
    fn windows_end_where_history_begins_and_move_back_as_blocks_join() {
        let peers = peers(2, 500);
        let mut backfill = Backfill::new(200);
        let (mut next_id, mut actions) = (0, Vec::new());
        backfill.request::<E>(&peers, &mut next_id, &mut actions);
        let (peer, id, start, count) = sent(&actions);
        assert_eq!((start, count), (136, 64));
        backfill.on_response(peer, id, vec![block(140), block(199)], &mut actions);
        assert!(matches!(
            actions.last(),
            Some(Action::ProcessBackfill {
                start_slot: 136,
                ..
            })
        ));
        // One window at a time.
        let before = actions.len();
        backfill.request::<E>(&peers, &mut next_id, &mut actions);
        assert_eq!(actions.len(), before);
        backfill.on_processed::<E>(BackfillOutcome::Imported { oldest_slot: 140 }, &mut actions);
        backfill.request::<E>(&peers, &mut next_id, &mut actions);
        assert_eq!(
            sent(&actions).2..sent(&actions).2 + sent(&actions).3,
            76..140
        );
        // The last window reaches genesis.
        let mut backfill = Backfill::new(30);
        backfill.request::<E>(&peers, &mut next_id, &mut actions);
        assert_eq!(sent(&actions).2, 0);
        let (peer, id, ..) = sent(&actions);
        backfill.on_response(peer, id, vec![block(3)], &mut actions);
        backfill.on_processed::<E>(BackfillOutcome::Imported { oldest_slot: 0 }, &mut actions);
        assert!(backfill.is_complete());
    }

    #[test]
    fn empty_answers_go_to_another_peer_then_widen_the_window() {
        let peers = peers(2, 2000);
        let mut backfill = Backfill::new(1000);
        let (mut next_id, mut actions) = (0, Vec::new());
        backfill.request::<E>(&peers, &mut next_id, &mut actions);
        let (first, id, ..) = sent(&actions);
        backfill.on_response::<E>(first, id, vec![], &mut actions);
        backfill.request::<E>(&peers, &mut next_id, &mut actions);
        let (second, id, start, count) = sent(&actions);
        assert_ne!(first, second, "asked of the other peer");
        assert_eq!((start, count), (936, 64));
        backfill.on_response::<E>(second, id, vec![], &mut actions);
        backfill.request::<E>(&peers, &mut next_id, &mut actions);
        assert_eq!(sent(&actions).3, 128, "two empty answers double the window");
    }

    #[test]
    fn malformed_answers_and_bad_blocks_are_penalised() {
        let peers = peers(1, 500);
        let mut backfill = Backfill::new(100);
        let (mut next_id, mut actions) = (0, Vec::new());
        backfill.request::<E>(&peers, &mut next_id, &mut actions);
        let (peer, id, ..) = sent(&actions);
        backfill.on_response(peer, id, vec![block(100)], &mut actions);
        assert!(
            matches!(actions.last(), Some(Action::Penalise { .. })),
            "slot 100 is outside"
        );
        backfill.request::<E>(&peers, &mut next_id, &mut actions);
        let (peer, id, ..) = sent(&actions);
        backfill.on_response(peer, id, vec![block(50)], &mut actions);
        backfill.on_processed::<E>(BackfillOutcome::Invalid, &mut actions);
        assert!(matches!(actions.last(), Some(Action::Penalise { .. })));
        assert_eq!(backfill.oldest_slot(), 100);
    }
}
