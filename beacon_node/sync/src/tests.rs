//! The sync manager against simulated peers and a simulated chain: blocks are linked by
//! parent root, the "chain" imports a segment only if it attaches and holds no block marked
//! invalid, and peers answer range requests honestly or not.

use super::*;
use network::rpc::BlocksByRangeRequest;
use std::collections::{HashMap, HashSet};
use tree_hash::TreeHash;
use types::MinimalEthSpec as E;

type Block = Arc<SignedBeaconBlock<E>>;

/// An invalid block, as the fake chain sees it.
const INVALID: Hash256 = Hash256::repeat_byte(0xbb);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Peer {
    Honest,
    /// Serves every batch with its first block marked invalid.
    Corrupts,
    /// Answers every range request with nothing.
    Empty,
    /// Fails every request.
    Fails,
}

/// Blocks at every slot in `1..=slots`, each the parent of the next.
fn chain(slots: Slot) -> Vec<Block> {
    let mut parent = Hash256::ZERO;
    (1..=slots)
        .map(|slot| {
            let mut block = SignedBeaconBlock::<E>::default();
            block.message.slot = slot;
            block.message.parent_root = parent;
            parent = block.message.tree_hash_root();
            Arc::new(block)
        })
        .collect()
}

struct Sim {
    sync: SyncManager<E>,
    blocks: Vec<Block>,
    peers: HashMap<PeerId, Peer>,
    imported: HashSet<Hash256>,
    head_slot: Slot,
    processed_batches: Vec<BatchId>,
    requests_by_peer: HashMap<PeerId, usize>,
    penalties: Vec<(PeerId, PeerAction)>,
    range_requests: usize,
}

impl Sim {
    fn new(slots: Slot) -> Self {
        let mut imported = HashSet::new();
        imported.insert(Hash256::ZERO); // genesis
        Sim {
            sync: SyncManager::default(),
            blocks: chain(slots),
            peers: HashMap::new(),
            imported,
            head_slot: 0,
            processed_batches: Vec::new(),
            requests_by_peer: HashMap::new(),
            penalties: Vec::new(),
            range_requests: 0,
        }
    }

    fn local(&self) -> LocalStatus {
        LocalStatus {
            head_slot: self.head_slot,
            finalized_epoch: 0,
        }
    }

    fn add_peer(&mut self, behaviour: Peer) -> PeerId {
        let peer = PeerId::random();
        self.peers.insert(peer, behaviour);
        let head = self.blocks.last().unwrap();
        let info = PeerSyncInfo {
            head_slot: head.message.slot,
            head_root: head.message.tree_hash_root(),
            finalized_epoch: 0,
            finalized_root: Hash256::ZERO,
        };
        let local = self.local();
        self.sync.add_peer(peer, info, &local);
        peer
    }

    /// Import the blocks the way the chain does: each must attach; an invalid one stops it.
    fn import(&mut self, blocks: &[Block]) -> SegmentOutcome {
        let mut imported = 0;
        for block in blocks {
            if self.imported.contains(&block.message.tree_hash_root()) {
                continue;
            }
            if !self.imported.contains(&block.message.parent_root) {
                return SegmentOutcome::ParentUnknown { imported };
            }
            if block.message.state_root == INVALID {
                return SegmentOutcome::Invalid {
                    imported,
                    reason: "bad",
                };
            }
            self.imported.insert(block.message.tree_hash_root());
            self.head_slot = self.head_slot.max(block.message.slot);
            imported += 1;
        }
        SegmentOutcome::Imported { imported }
    }

    fn answer(&self, peer: PeerId, request: &BlocksByRangeRequest) -> Option<Vec<Block>> {
        let in_range = |b: &&Block| {
            b.message.slot >= request.start_slot
                && b.message.slot < request.start_slot + request.count
        };
        match self.peers[&peer] {
            Peer::Honest => Some(self.blocks.iter().filter(in_range).cloned().collect()),
            Peer::Corrupts => Some(
                self.blocks
                    .iter()
                    .filter(in_range)
                    .enumerate()
                    .map(|(i, b)| {
                        if i == 0 {
                            let mut bad = (**b).clone();
                            bad.message.state_root = INVALID;
                            Arc::new(bad)
                        } else {
                            b.clone()
                        }
                    })
                    .collect(),
            ),
            Peer::Empty => Some(Vec::new()),
            Peer::Fails => None,
        }
    }

    /// Carry out actions until there are none.
    fn run(&mut self) {
        for _ in 0..10_000 {
            let actions = self.sync.drain_actions();
            if actions.is_empty() {
                return;
            }
            for action in actions {
                let local = self.local();
                match action {
                    Action::Request {
                        peer,
                        id,
                        request: Request::BlocksByRange(r),
                    } => {
                        *self.requests_by_peer.entry(peer).or_default() += 1;
                        self.range_requests += 1;
                        match self.answer(peer, &r) {
                            Some(blocks) => self.sync.on_blocks_response(peer, id, blocks, &local),
                            None => self.sync.on_request_failed(peer, id, &local),
                        }
                    }
                    Action::Request {
                        peer,
                        id,
                        request: Request::BlocksByRoot(roots),
                    } => {
                        let blocks = self
                            .blocks
                            .iter()
                            .filter(|b| roots.contains(&b.message.tree_hash_root()))
                            .cloned()
                            .collect();
                        self.sync.on_blocks_response(peer, id, blocks, &local);
                    }
                    Action::Request { .. } => panic!("unexpected request"),
                    Action::ProcessSegment {
                        chain,
                        batch,
                        blocks,
                    } => {
                        self.processed_batches.push(batch);
                        let outcome = self.import(&blocks);
                        let local = self.local();
                        self.sync
                            .on_segment_processed(chain, batch, outcome, &local);
                    }
                    Action::ProcessLookup { root, block, .. } => {
                        let outcome = self.import(std::slice::from_ref(&block));
                        let parent = Some(block.message.parent_root);
                        let local = self.local();
                        self.sync.on_lookup_processed(root, outcome, parent, &local);
                    }
                    Action::Penalise { peer, action, .. } => self.penalties.push((peer, action)),
                    Action::RefreshStatus { .. } | Action::ProcessBackfill { .. } => {}
                }
            }
        }
        panic!("sync never settled");
    }
}

#[test]
fn three_peers_share_the_batches_and_segments_are_processed_in_order() {
    let mut sim = Sim::new(10 * 8);
    let peers: Vec<PeerId> = (0..3).map(|_| sim.add_peer(Peer::Honest)).collect();
    sim.run();
    assert_eq!(sim.head_slot, 80);
    assert_eq!(sim.sync.state(), SyncState::Synced);
    let mut sorted = sim.processed_batches.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sim.processed_batches, sorted, "in order, each once");
    let serving = peers
        .iter()
        .filter(|p| sim.requests_by_peer.get(p).copied().unwrap_or(0) > 0)
        .count();
    assert!(
        serving >= 2,
        "batches spread over peers: {:?}",
        sim.requests_by_peer
    );
    assert!(sim.penalties.is_empty());
}

#[test]
fn a_corrupt_batch_is_penalised_and_fetched_again_from_another_peer() {
    // Three batches, at most two per peer: both peers serve some.
    let mut sim = Sim::new(6 * 8);
    let bad = sim.add_peer(Peer::Corrupts);
    sim.add_peer(Peer::Honest);
    sim.run();
    assert_eq!(sim.head_slot, 48, "completed from the honest peer");
    assert!(sim.requests_by_peer[&bad] > 0);
    assert!(sim
        .penalties
        .iter()
        .any(|(p, a)| *p == bad && *a == PeerAction::LowTolerance));
    assert!(
        sim.penalties.iter().all(|(p, _)| *p == bad),
        "only the bad peer"
    );
}

#[test]
fn a_corrupt_only_peer_ends_the_chain_and_nothing_bad_is_imported() {
    let mut sim = Sim::new(4 * 8);
    let bad = sim.add_peer(Peer::Corrupts);
    sim.run();
    assert_eq!(sim.head_slot, 0, "nothing imported from the bad batch on");
    assert!(sim
        .penalties
        .iter()
        .any(|(p, a)| *p == bad && *a == PeerAction::LowTolerance));
    assert_eq!(
        sim.sync.state(),
        SyncState::Synced,
        "the chain was given up"
    );
}

#[test]
fn an_empty_answer_where_the_status_claimed_blocks_is_penalised() {
    // Two batches (slots 0..16 and 16..32), one per peer. The batch holding the liar's
    // claimed head is refused at once; an empty batch before it is caught when the next
    // batch does not attach.
    let mut sim = Sim::new(20);
    let liar = sim.add_peer(Peer::Empty);
    sim.add_peer(Peer::Honest);
    sim.run();
    assert_eq!(sim.head_slot, 20);
    assert!(sim.requests_by_peer[&liar] > 0);
    assert!(sim.penalties.iter().any(|(p, _)| *p == liar));
}

#[test]
fn failed_requests_move_to_other_peers() {
    let mut sim = Sim::new(6 * 8);
    sim.add_peer(Peer::Fails);
    sim.add_peer(Peer::Honest);
    sim.run();
    assert_eq!(sim.head_slot, 48);
}

#[test]
fn sync_resumes_from_the_stored_head() {
    let mut sim = Sim::new(10 * 8);
    // The first 40 blocks are in the database already (a restart).
    let first: Vec<Block> = sim.blocks[..40].to_vec();
    assert!(matches!(
        sim.import(&first),
        SegmentOutcome::Imported { imported: 40 }
    ));
    sim.add_peer(Peer::Honest);
    let first_request = sim.sync.actions.iter().find_map(|a| match a {
        Action::Request {
            request: Request::BlocksByRange(r),
            ..
        } => Some(r.start_slot),
        _ => None,
    });
    assert_eq!(
        first_request,
        Some(40),
        "from the head's epoch, not genesis"
    );
    sim.run();
    assert_eq!(sim.head_slot, 80);
}

#[test]
fn a_peer_leaving_mid_download_hands_its_batches_on() {
    let mut sim = Sim::new(6 * 8);
    let leaving = sim.add_peer(Peer::Honest);
    // Its requests are outstanding: it leaves before answering.
    let outstanding: Vec<_> = sim.sync.drain_actions();
    assert!(outstanding
        .iter()
        .all(|a| matches!(a, Action::Request { peer, .. } if *peer == leaving)));
    let local = sim.local();
    sim.sync.peer_disconnected(&leaving, &local);
    assert_eq!(
        sim.sync.state(),
        SyncState::Synced,
        "nobody left to sync from"
    );
    sim.add_peer(Peer::Honest);
    sim.run();
    assert_eq!(sim.head_slot, 48);
}

#[test]
fn lookups_follow_parents_and_hand_deep_gaps_to_range_sync() {
    // A short gap: the gossip block's parent chain is fetched by root.
    let mut sim = Sim::new(3);
    let first: Vec<Block> = sim.blocks[..1].to_vec();
    sim.import(&first);
    let peer = PeerId::random();
    sim.peers.insert(peer, Peer::Honest);
    let local = sim.local();
    let tip = sim.blocks[2].clone();
    sim.sync
        .search_block(tip.message.parent_root, peer, 2, &local);
    sim.run();
    assert!(sim.imported.contains(&tip.message.parent_root));
    // Deeper than lookups follow: range sync starts towards the peer.
    let mut sim = Sim::new(lookups::MAX_LOOKUP_DEPTH as u64 + 10);
    let peer = sim.add_peer(Peer::Honest);
    // As if the peer's Status were old: it claimed nothing ahead.
    sim.sync.peers.get_mut(&peer).unwrap().head_slot = 0;
    sim.sync.chain = None;
    sim.sync.drain_actions();
    let tip = sim.blocks.last().unwrap().clone();
    let local = sim.local();
    sim.sync
        .search_block(tip.message.parent_root, peer, tip.message.slot - 1, &local);
    sim.run();
    assert!(sim.range_requests > 0, "range sync took over");
    assert!(sim.head_slot >= 8, "and imported the start of the chain");
}
