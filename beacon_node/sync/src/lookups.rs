//! Block lookups: a block the node heard of (a gossip block's unknown parent, the head an
//! attestation votes for) fetched by root, from the peer that mentioned it first, then from
//! the others. A fetched block whose own parent is unknown starts the next lookup, one step
//! further back, up to [`MAX_LOOKUP_DEPTH`]; beyond that the gap is range sync's.
//!
//! The chain keeps what waits for a block (its pending queue); lookups only fetch.

use crate::{Action, SegmentOutcome};
use network::rpc::Request;
use network::{AppRequestId, PeerAction, PeerId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tree_hash::TreeHash;
use types::{EthSpec, Hash256, SignedBeaconBlock, VariableList};

/// How many ancestors a chain of lookups follows before leaving the rest to range sync.
pub const MAX_LOOKUP_DEPTH: usize = 32;
/// Lookups under way at once.
pub const MAX_LOOKUPS: usize = 32;
/// Peers asked for one block before it is given up.
pub const MAX_LOOKUP_ATTEMPTS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LookupState {
    Downloading(PeerId, AppRequestId, Instant),
    Processing(PeerId),
}

#[derive(Debug)]
struct Lookup {
    depth: usize,
    /// The slot of the block whose ancestry started the chain of lookups: the peer has a
    /// chain at least that long.
    slot_hint: u64,
    /// Peers that mentioned the block, in order: asked first.
    mentioned_by: Vec<PeerId>,
    tried: Vec<PeerId>,
    state: LookupState,
}

/// What became of a lookup's block, for the sync manager.
#[derive(Debug, PartialEq, Eq)]
pub enum LookupEnd {
    Done,
    /// The parent chain is longer than lookups follow: this peer is ahead of us by more.
    TooDeep {
        peer: PeerId,
        slot: u64,
    },
}

/// The lookups under way.
#[derive(Debug, Default)]
pub struct BlockLookups {
    lookups: HashMap<Hash256, Lookup>,
    requests: HashMap<AppRequestId, Hash256>,
}

fn request_for(root: Hash256) -> Option<Request> {
    VariableList::new(vec![root])
        .ok()
        .map(Request::BlocksByRoot)
}

impl BlockLookups {
    /// How many lookups are under way.
    pub fn len(&self) -> usize {
        self.lookups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lookups.is_empty()
    }

    /// Fetch `root`, which `peer` mentioned. Returns `Some(TooDeep)` when it is beyond the
    /// depth lookups follow.
    pub fn search<E: EthSpec>(
        &mut self,
        root: Hash256,
        peer: PeerId,
        depth: usize,
        slot_hint: u64,
        next_request_id: &mut AppRequestId,
        actions: &mut Vec<Action<E>>,
    ) -> Option<LookupEnd> {
        if let Some(lookup) = self.lookups.get_mut(&root) {
            if !lookup.mentioned_by.contains(&peer) {
                lookup.mentioned_by.push(peer);
            }
            return None;
        }
        if depth > MAX_LOOKUP_DEPTH {
            return Some(LookupEnd::TooDeep {
                peer,
                slot: slot_hint,
            });
        }
        if self.lookups.len() >= MAX_LOOKUPS {
            tracing::debug!(?root, "Too many block lookups; this one is dropped");
            return None;
        }
        let request = request_for(root)?;
        *next_request_id += 1;
        let id = *next_request_id;
        self.requests.insert(id, root);
        self.lookups.insert(
            root,
            Lookup {
                depth,
                slot_hint,
                mentioned_by: vec![peer],
                tried: vec![peer],
                state: LookupState::Downloading(peer, id, Instant::now()),
            },
        );
        actions.push(Action::Request { peer, id, request });
        None
    }

    /// Requests sent before `deadline` and still unanswered.
    pub fn expired(&self, deadline: Instant) -> Vec<(PeerId, AppRequestId)> {
        self.lookups
            .values()
            .filter_map(|l| match l.state {
                LookupState::Downloading(peer, id, sent) if sent < deadline => Some((peer, id)),
                _ => None,
            })
            .collect()
    }

    /// True if `id` is one of the lookups' requests.
    pub fn owns(&self, id: AppRequestId) -> bool {
        self.requests.contains_key(&id)
    }

    /// A `beacon_blocks_by_root` answer: the block goes to the chain, or the next peer is
    /// asked. `others` are the connected peers, asked after those that mentioned the block.
    pub fn on_response<E: EthSpec>(
        &mut self,
        peer: PeerId,
        id: AppRequestId,
        blocks: Vec<Arc<SignedBeaconBlock<E>>>,
        others: &[PeerId],
        next_request_id: &mut AppRequestId,
        actions: &mut Vec<Action<E>>,
    ) {
        let Some(root) = self.requests.remove(&id) else {
            return;
        };
        let mut blocks = blocks.into_iter();
        match (blocks.next(), blocks.next()) {
            (Some(block), None) if block.message.tree_hash_root() == root => {
                if let Some(lookup) = self.lookups.get_mut(&root) {
                    lookup.state = LookupState::Processing(peer);
                    actions.push(Action::ProcessLookup { root, peer, block });
                }
            }
            (None, _) => {
                // It may not have the block (a peer mentions blocks it has, so this is rare).
                actions.push(Action::Penalise {
                    peer,
                    action: PeerAction::HighTolerance,
                    reason: "blocks_by_root answered without the block",
                });
                self.retry(root, others, next_request_id, actions);
            }
            _ => {
                actions.push(Action::Penalise {
                    peer,
                    action: PeerAction::LowTolerance,
                    reason: "blocks_by_root answered with other blocks",
                });
                self.retry(root, others, next_request_id, actions);
            }
        }
    }

    /// A lookup's request failed: ask the next peer.
    pub fn on_request_failed<E: EthSpec>(
        &mut self,
        id: AppRequestId,
        others: &[PeerId],
        next_request_id: &mut AppRequestId,
        actions: &mut Vec<Action<E>>,
    ) {
        if let Some(root) = self.requests.remove(&id) {
            self.retry(root, others, next_request_id, actions);
        }
    }

    fn retry<E: EthSpec>(
        &mut self,
        root: Hash256,
        others: &[PeerId],
        next_request_id: &mut AppRequestId,
        actions: &mut Vec<Action<E>>,
    ) {
        let Some(lookup) = self.lookups.get_mut(&root) else {
            return;
        };
        let next = lookup
            .mentioned_by
            .iter()
            .chain(others)
            .find(|p| !lookup.tried.contains(*p))
            .copied();
        match (next, request_for(root)) {
            (Some(peer), Some(request)) if lookup.tried.len() < MAX_LOOKUP_ATTEMPTS => {
                *next_request_id += 1;
                let id = *next_request_id;
                lookup.tried.push(peer);
                lookup.state = LookupState::Downloading(peer, id, Instant::now());
                self.requests.insert(id, root);
                actions.push(Action::Request { peer, id, request });
            }
            _ => {
                tracing::debug!(?root, tried = lookup.tried.len(), "Block lookup gave up");
                self.lookups.remove(&root);
            }
        }
    }

    /// The chain's verdict on a looked-up block (`parent` is its parent root). A block whose
    /// parent is unknown starts the parent's lookup (the chain holds the block until its
    /// parent arrives).
    pub fn on_processed<E: EthSpec>(
        &mut self,
        root: Hash256,
        outcome: SegmentOutcome,
        parent: Option<Hash256>,
        next_request_id: &mut AppRequestId,
        actions: &mut Vec<Action<E>>,
    ) -> Option<LookupEnd> {
        let lookup = self.lookups.get(&root)?;
        let LookupState::Processing(peer) = lookup.state else {
            return None;
        };
        let (depth, slot_hint) = (lookup.depth, lookup.slot_hint);
        match outcome {
            SegmentOutcome::Imported { .. } => {
                self.lookups.remove(&root);
                Some(LookupEnd::Done)
            }
            SegmentOutcome::ParentUnknown { .. } => {
                self.lookups.remove(&root);
                let parent_root = parent?;
                self.search(
                    parent_root,
                    peer,
                    depth + 1,
                    slot_hint,
                    next_request_id,
                    actions,
                )
            }
            SegmentOutcome::Invalid { .. } => {
                actions.push(Action::Penalise {
                    peer,
                    action: PeerAction::LowTolerance,
                    reason: "invalid block in a lookup",
                });
                self.lookups.remove(&root);
                Some(LookupEnd::Done)
            }
            SegmentOutcome::Failed { .. } => {
                // Not the peer's fault (the node was busy or erred); the next mention of
                // the block starts a new lookup.
                self.lookups.remove(&root);
                Some(LookupEnd::Done)
            }
        }
    }

    /// A peer left: its lookups move on to other peers.
    pub fn peer_disconnected<E: EthSpec>(
        &mut self,
        peer: &PeerId,
        others: &[PeerId],
        next_request_id: &mut AppRequestId,
        actions: &mut Vec<Action<E>>,
    ) {
        let stalled: Vec<AppRequestId> = self
            .lookups
            .values()
            .filter_map(|l| match l.state {
                LookupState::Downloading(p, id, _) if p == *peer => Some(id),
                _ => None,
            })
            .collect();
        for id in stalled {
            self.on_request_failed(id, others, next_request_id, actions);
        }
        for lookup in self.lookups.values_mut() {
            lookup.mentioned_by.retain(|p| p != peer);
        }
    }
}
