//! Catching up with peers, in its first form: when a peer's Status shows a head ahead of
//! ours, blocks are fetched from it by range, a batch at a time, and imported in order; a
//! gossip block whose parent is unknown, or an attestation for an unknown block, has the
//! missing block fetched by root from the peer that sent it, following parents back a bounded
//! number of steps. The sync issue replaces this with range sync over many peers and
//! batch-verified segments; the interface (status in, requests out, blocks to the chain)
//! stays.

use network::rpc::{BlocksByRangeRequest, Request};
use network::{AppRequestId, PeerId};
use std::collections::{HashMap, HashSet};
use types::{Hash256, Slot, VariableList};

/// Blocks asked for in one range request.
pub const RANGE_BATCH: u64 = 64;
/// How many ancestors a lookup follows before leaving the rest to range sync.
pub const MAX_LOOKUP_DEPTH: usize = 32;
/// Lookups in flight at once.
const MAX_LOOKUPS: usize = 16;

/// What a request the router sent was for.
#[derive(Debug, Clone)]
pub enum RequestPurpose {
    Range { start_slot: Slot, count: u64 },
    Lookup { root: Hash256, depth: usize },
}

/// A request for the network to send.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    pub peer: PeerId,
    pub id: AppRequestId,
    pub request: Request,
}

/// The state of catching up.
#[derive(Debug, Default)]
pub struct SyncState {
    /// Each peer's head slot and finalized epoch, from its Status.
    peers: HashMap<PeerId, (Slot, u64)>,
    /// The range sync under way: its peer, and the next slot to ask for.
    range: Option<(PeerId, AppRequestId)>,
    requests: HashMap<AppRequestId, (PeerId, RequestPurpose)>,
    lookups: HashSet<Hash256>,
    next_id: AppRequestId,
}

impl SyncState {
    fn next_id(&mut self) -> AppRequestId {
        self.next_id += 1;
        self.next_id
    }

    pub fn is_syncing(&self) -> bool {
        self.range.is_some()
    }

    /// A peer's Status: start a range sync from it if it is ahead and none runs.
    pub fn on_status(
        &mut self,
        peer: PeerId,
        head_slot: Slot,
        finalized_epoch: u64,
        our_head_slot: Slot,
    ) -> Option<SyncRequest> {
        self.peers.insert(peer, (head_slot, finalized_epoch));
        if self.range.is_some() || head_slot <= our_head_slot {
            return None;
        }
        self.range_request(peer, our_head_slot + 1)
    }

    fn range_request(&mut self, peer: PeerId, start_slot: Slot) -> Option<SyncRequest> {
        let id = self.next_id();
        self.range = Some((peer, id));
        self.requests.insert(
            id,
            (
                peer,
                RequestPurpose::Range {
                    start_slot,
                    count: RANGE_BATCH,
                },
            ),
        );
        Some(SyncRequest {
            peer,
            id,
            request: Request::BlocksByRange(BlocksByRangeRequest {
                start_slot,
                count: RANGE_BATCH,
                step: 1,
            }),
        })
    }

    /// The purpose of a response or failure (and forget the request).
    pub fn take_request(&mut self, id: AppRequestId) -> Option<(PeerId, RequestPurpose)> {
        self.requests.remove(&id)
    }

    /// A range batch was imported up to `next_slot - 1`: the next request, or None if the
    /// peer has nothing more.
    pub fn range_done(&mut self, peer: PeerId, next_slot: Slot) -> Option<SyncRequest> {
        self.range = None;
        let (head, _) = *self.peers.get(&peer)?;
        if next_slot > head {
            return None;
        }
        self.range_request(peer, next_slot)
    }

    /// The range sync failed: try another peer that is ahead, from `start_slot`.
    pub fn range_failed(&mut self, failed: PeerId, start_slot: Slot) -> Option<SyncRequest> {
        self.range = None;
        let other = self
            .peers
            .iter()
            .filter(|(p, (head, _))| **p != failed && *head >= start_slot)
            .max_by_key(|(_, (head, _))| *head)
            .map(|(p, _)| *p)?;
        self.range_request(other, start_slot)
    }

    /// Fetch `root` from `peer`, unless it is already being fetched or too deep.
    pub fn lookup(&mut self, peer: PeerId, root: Hash256, depth: usize) -> Option<SyncRequest> {
        if depth > MAX_LOOKUP_DEPTH
            || self.lookups.len() >= MAX_LOOKUPS
            || !self.lookups.insert(root)
        {
            return None;
        }
        let id = self.next_id();
        self.requests
            .insert(id, (peer, RequestPurpose::Lookup { root, depth }));
        let roots = VariableList::new(vec![root]).ok()?;
        Some(SyncRequest {
            peer,
            id,
            request: Request::BlocksByRoot(roots),
        })
    }

    pub fn lookup_done(&mut self, root: &Hash256) {
        self.lookups.remove(root);
    }

    pub fn peer_disconnected(&mut self, peer: &PeerId) -> bool {
        self.peers.remove(peer);
        self.requests.retain(|_, (p, _)| p != peer);
        if self.range.is_some_and(|(p, _)| p == *peer) {
            self.range = None;
            return true;
        }
        false
    }

    /// The best head slot any peer claims.
    pub fn best_peer_head(&self) -> Option<Slot> {
        self.peers.values().map(|(head, _)| *head).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_ahead_starts_one_range_sync_and_batches_follow_until_its_head() {
        let mut sync = SyncState::default();
        let a = PeerId::random();
        let b = PeerId::random();
        assert!(sync.on_status(a, 10, 0, 10).is_none(), "not ahead");
        let SyncRequest { id, request, peer } = sync.on_status(a, 200, 4, 10).unwrap();
        assert_eq!(peer, a);
        assert!(
            matches!(request, Request::BlocksByRange(r) if r.start_slot == 11 && r.count == RANGE_BATCH)
        );
        assert!(sync.is_syncing());
        assert!(
            sync.on_status(b, 300, 4, 10).is_none(),
            "one range sync at a time"
        );
        assert!(
            matches!(sync.take_request(id), Some((p, RequestPurpose::Range { start_slot: 11, .. })) if p == a)
        );
        let next = sync.range_done(a, 75).unwrap().request;
        assert!(matches!(next, Request::BlocksByRange(r) if r.start_slot == 75));
        assert!(sync.range_done(a, 201).is_none(), "past the peer's head");
        assert!(!sync.is_syncing());
        // A failure moves to the other peer.
        let retry = sync.range_failed(a, 201).unwrap();
        assert_eq!(retry.peer, b);
        assert!(matches!(retry.request, Request::BlocksByRange(r) if r.start_slot == 201));
    }

    #[test]
    fn lookups_are_deduplicated_and_bounded() {
        let mut sync = SyncState::default();
        let peer = PeerId::random();
        let root = Hash256::repeat_byte(1);
        assert!(sync.lookup(peer, root, 0).is_some());
        assert!(sync.lookup(peer, root, 0).is_none());
        sync.lookup_done(&root);
        assert!(sync.lookup(peer, root, 0).is_some());
        assert!(sync
            .lookup(peer, Hash256::repeat_byte(2), MAX_LOOKUP_DEPTH + 1)
            .is_none());
        assert!(!sync.peer_disconnected(&peer));
    }
}
