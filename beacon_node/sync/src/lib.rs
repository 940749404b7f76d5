//! Catching up with peers (p2p-interface.md v1.0.1: Status, beacon_blocks_by_range,
//! beacon_blocks_by_root).
//!
//! [`SyncManager`] is a state machine with no I/O: the router feeds it peers' Status
//! messages, responses, failures and the chain's verdicts, and carries out the [`Action`]s
//! it leaves (requests to send, segments and blocks to import, peers to penalise).
//! - [`range`]: range sync, one chain of whole-epoch batches towards the peers' finalized
//!   checkpoint, then towards their heads; downloads in parallel, imports in order.
//! - [`lookups`]: blocks fetched by root when gossip mentions one we lack.
//! - [`batch`]: one batch's life and the shape checks of a range response.
//! - [`backfill`]: after a checkpoint start, the history before the anchor, newest first,
//!   while range sync is idle.
//!
//! While range sync runs, lookups are not started: the blocks gossip mentions are ahead of
//! the range and would only be fetched twice.

pub mod backfill;
pub mod batch;
pub mod lookups;
mod metrics;
pub mod range;

use backfill::{Backfill, BackfillOutcome};
use batch::BatchId;
use lookups::{BlockLookups, LookupEnd};
use network::rpc::Request;
use network::{AppRequestId, PeerAction, PeerId};
use range::{ChainEnd, ChainKind, SyncingChain};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use types::{Epoch, EthSpec, Hash256, SignedBeaconBlock, Slot};

/// A peer whose head is at most this many slots ahead of ours is caught up with: gossip and
/// lookups close such gaps.
pub const SLOT_IMPORT_TOLERANCE: u64 = 2;
/// How often progress is logged while syncing.
pub const PROGRESS_INTERVAL: Duration = Duration::from_secs(5);
/// A request unanswered for this long is taken as failed, whatever became of it (the
/// network times requests out sooner; this catches a request or answer that got lost).
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// What a peer's Status says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerSyncInfo {
    pub head_slot: Slot,
    pub head_root: Hash256,
    pub finalized_epoch: Epoch,
    pub finalized_root: Hash256,
}

/// Where our chain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalStatus {
    pub head_slot: Slot,
    pub finalized_epoch: Epoch,
}

/// The chain's verdict on a segment or a looked-up block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentOutcome {
    /// Every block is in the chain.
    Imported { imported: usize },
    /// The first block's parent is unknown.
    ParentUnknown { imported: usize },
    /// A block is invalid: the peer that served it is at fault.
    Invalid {
        imported: usize,
        reason: &'static str,
    },
    /// Not the peer's fault (the node was busy, a database error): try again.
    Failed { imported: usize },
}

impl SegmentOutcome {
    pub fn imported(&self) -> usize {
        match self {
            SegmentOutcome::Imported { imported }
            | SegmentOutcome::ParentUnknown { imported }
            | SegmentOutcome::Invalid { imported, .. }
            | SegmentOutcome::Failed { imported } => *imported,
        }
    }
}

/// What the sync manager asks of the node.
#[derive(Debug)]
pub enum Action<E: EthSpec> {
    /// Send `request` to `peer`; the answer comes back with `id`.
    Request {
        peer: PeerId,
        id: AppRequestId,
        request: Request,
    },
    /// Import a range batch as one chain segment; report with
    /// [`SyncManager::on_segment_processed`].
    ProcessSegment {
        chain: u64,
        batch: BatchId,
        blocks: Vec<Arc<SignedBeaconBlock<E>>>,
    },
    /// Import a looked-up block; report with [`SyncManager::on_lookup_processed`].
    ProcessLookup {
        root: Hash256,
        peer: PeerId,
        block: Arc<SignedBeaconBlock<E>>,
    },
    Penalise {
        peer: PeerId,
        action: PeerAction,
        reason: &'static str,
    },
    /// Ask the peer for a fresh Status (its answer comes back through
    /// [`SyncManager::add_peer`]).
    RefreshStatus { peer: PeerId },
    /// Import blocks from before the oldest held (answered to a range request from
    /// `start_slot`); report with [`SyncManager::on_backfill_processed`].
    ProcessBackfill {
        start_slot: Slot,
        blocks: Vec<Arc<SignedBeaconBlock<E>>>,
    },
}

/// What the node is doing about its peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// No peer is ahead of us by more than the tolerance.
    Synced,
    /// Range sync towards `target_slot`.
    Syncing { kind: ChainKind, target_slot: Slot },
}

/// Blocks per second over the last progress intervals.
#[derive(Debug)]
struct Progress {
    last_report: Instant,
    imported_since: u64,
    blocks_per_second: f64,
}

/// The sync manager: peers' positions, the range chain, the lookups.
pub struct SyncManager<E: EthSpec> {
    peers: HashMap<PeerId, PeerSyncInfo>,
    chain: Option<SyncingChain<E>>,
    next_chain_id: u64,
    lookups: BlockLookups,
    backfill: Option<Backfill>,
    next_request_id: AppRequestId,
    actions: Vec<Action<E>>,
    /// After a chain failed, the next starts at the next tick, not at once.
    hold_off: bool,
    progress: Progress,
}

impl<E: EthSpec> Default for SyncManager<E> {
    fn default() -> Self {
        SyncManager {
            peers: HashMap::new(),
            chain: None,
            next_chain_id: 0,
            lookups: BlockLookups::default(),
            backfill: None,
            next_request_id: 0,
            actions: Vec::new(),
            hold_off: false,
            progress: Progress {
                last_report: Instant::now(),
                imported_since: 0,
                blocks_per_second: 0.0,
            },
        }
    }
}

impl<E: EthSpec> SyncManager<E> {
    /// The actions left since the last call, in order.
    pub fn drain_actions(&mut self) -> Vec<Action<E>> {
        std::mem::take(&mut self.actions)
    }

    /// Range sync or not.
    pub fn state(&self) -> SyncState {
        match &self.chain {
            Some(chain) => SyncState::Syncing {
                kind: chain.kind,
                target_slot: chain.target_slot,
            },
            None => SyncState::Synced,
        }
    }

    /// True while range sync runs.
    pub fn is_syncing(&self) -> bool {
        self.chain.is_some()
    }

    /// The highest head slot a peer claims.
    pub fn best_peer_head(&self) -> Option<Slot> {
        self.peers.values().map(|p| p.head_slot).max()
    }

    /// History is held from `oldest_slot` on (a checkpoint start): fetch what is before.
    pub fn start_backfill(&mut self, oldest_slot: Slot) {
        if oldest_slot > 0 {
            tracing::info!(
                oldest_slot,
                "Block history before the checkpoint will be backfilled from peers"
            );
            self.backfill = Some(Backfill::new(oldest_slot));
        }
    }

    /// The slot block history reaches back to while backfill runs.
    pub fn backfill_oldest_slot(&self) -> Option<Slot> {
        self.backfill.as_ref().map(Backfill::oldest_slot)
    }

    /// The chain's verdict on blocks sent with [`Action::ProcessBackfill`].
    pub fn on_backfill_processed(&mut self, outcome: BackfillOutcome) {
        if let Some(backfill) = &mut self.backfill {
            backfill.on_processed(outcome, &mut self.actions);
            if backfill.is_complete() {
                tracing::info!("Backfill complete: block history reaches genesis");
                self.backfill = None;
            }
        }
        self.request_batches();
    }

    /// What `peer`'s Status said, if it sent one.
    pub fn peer_info(&self, peer: &PeerId) -> Option<&PeerSyncInfo> {
        self.peers.get(peer)
    }

    fn other_peers(&self, except: Option<&PeerId>) -> Vec<PeerId> {
        let mut peers: Vec<PeerId> = self
            .peers
            .keys()
            .filter(|p| Some(*p) != except)
            .copied()
            .collect();
        peers.sort();
        peers
    }

    /// A relevant peer's Status (the router has checked its fork and finality).
    pub fn add_peer(&mut self, peer: PeerId, info: PeerSyncInfo, local: &LocalStatus) {
        self.peers.insert(peer, info);
        self.maybe_start_chain(local);
        self.request_batches();
    }

    /// A peer left.
    pub fn peer_disconnected(&mut self, peer: &PeerId, local: &LocalStatus) {
        self.peers.remove(peer);
        let others = self.other_peers(None);
        self.lookups
            .peer_disconnected(peer, &others, &mut self.next_request_id, &mut self.actions);
        if let Some(backfill) = &mut self.backfill {
            backfill.peer_disconnected(peer);
        }
        if let Some(chain) = &mut self.chain {
            chain.peer_disconnected(peer);
            if chain.is_stranded(&self.peers) {
                self.end_chain(ChainEnd::NoPeers, local);
                return;
            }
        }
        self.request_batches();
    }

    /// True if `id` is a request the sync manager sent.
    pub fn owns_request(&self, id: AppRequestId) -> bool {
        self.lookups.owns(id)
            || self.chain.as_ref().is_some_and(|c| c.owns(id))
            || self.backfill.as_ref().is_some_and(|b| b.owns(id))
    }

    /// The blocks a peer sent for one of our requests (range or by root).
    pub fn on_blocks_response(
        &mut self,
        peer: PeerId,
        id: AppRequestId,
        blocks: Vec<Arc<SignedBeaconBlock<E>>>,
        local: &LocalStatus,
    ) {
        if self.lookups.owns(id) {
            let others = self.other_peers(Some(&peer));
            self.lookups.on_response(
                peer,
                id,
                blocks,
                &others,
                &mut self.next_request_id,
                &mut self.actions,
            );
            return;
        }
        if let Some(backfill) = self.backfill.as_mut().filter(|b| b.owns(id)) {
            backfill.on_response(peer, id, blocks, &mut self.actions);
            self.request_batches();
            return;
        }
        let claimed_head = self.peers.get(&peer).map(|p| p.head_slot);
        let Some(chain) = &mut self.chain else {
            return;
        };
        match chain.on_response(peer, id, blocks, claimed_head, &mut self.actions) {
            Ok(_) => {
                self.process_next();
                self.request_batches();
            }
            Err(_) => self.end_chain(ChainEnd::Failed, local),
        }
    }

    /// One of our requests failed (timeout, error answer, disconnect).
    pub fn on_request_failed(&mut self, peer: PeerId, id: AppRequestId, local: &LocalStatus) {
        if self.lookups.owns(id) {
            let others = self.other_peers(Some(&peer));
            self.lookups.on_request_failed(
                id,
                &others,
                &mut self.next_request_id,
                &mut self.actions,
            );
            return;
        }
        if let Some(backfill) = self.backfill.as_mut().filter(|b| b.owns(id)) {
            backfill.on_request_failed(peer, id);
            self.request_batches();
            return;
        }
        let Some(chain) = &mut self.chain else {
            return;
        };
        match chain.on_request_failed(peer, id) {
            Ok(_) => self.request_batches(),
            Err(_) => self.end_chain(ChainEnd::Failed, local),
        }
    }

    /// The chain's verdict on a segment sent with [`Action::ProcessSegment`].
    pub fn on_segment_processed(
        &mut self,
        chain_id: u64,
        batch: BatchId,
        outcome: SegmentOutcome,
        local: &LocalStatus,
    ) {
        metrics::observe_segment(&outcome);
        self.progress.imported_since += outcome.imported() as u64;
        let Some(chain) = self.chain.as_mut().filter(|c| c.id == chain_id) else {
            return;
        };
        if let Some(end) = chain.on_processed(batch, outcome, local, &mut self.actions) {
            self.end_chain(end, local);
            return;
        }
        self.process_next();
        self.request_batches();
    }

    /// Gossip mentioned block `root` (an unknown parent, an attestation's head) and `peer`
    /// has it. `slot_hint` is a slot the block is at or after (for range sync if the gap
    /// is deep).
    pub fn search_block(
        &mut self,
        root: Hash256,
        peer: PeerId,
        slot_hint: Slot,
        local: &LocalStatus,
    ) {
        if self.chain.is_some() {
            return;
        }
        let end = self.lookups.search(
            root,
            peer,
            0,
            slot_hint,
            &mut self.next_request_id,
            &mut self.actions,
        );
        self.on_lookup_end(end, local);
    }

    /// The chain's verdict on a block sent with [`Action::ProcessLookup`]; `parent` is the
    /// block's parent root.
    pub fn on_lookup_processed(
        &mut self,
        root: Hash256,
        outcome: SegmentOutcome,
        parent: Option<Hash256>,
        local: &LocalStatus,
    ) {
        let end = self.lookups.on_processed(
            root,
            outcome,
            parent,
            &mut self.next_request_id,
            &mut self.actions,
        );
        self.on_lookup_end(end, local);
    }

    fn on_lookup_end(&mut self, end: Option<LookupEnd>, local: &LocalStatus) {
        if let Some(LookupEnd::TooDeep { peer, slot }) = end {
            // The peer is further ahead than lookups go: let range sync take it.
            if let Some(info) = self.peers.get_mut(&peer) {
                info.head_slot = info.head_slot.max(slot);
                tracing::debug!(%peer, slot, "Block lookups too deep; range sync takes over");
                self.maybe_start_chain(local);
                self.request_batches();
            }
        }
    }

    /// Periodic work: log progress, and start a chain that was held off.
    pub fn tick(&mut self, local: &LocalStatus, now: Instant) {
        self.hold_off = false;
        let deadline = now.checked_sub(REQUEST_DEADLINE);
        if let Some(deadline) = deadline {
            for (peer, id) in self.lookups.expired(deadline) {
                self.on_request_failed(peer, id, local);
            }
            let expired = self
                .chain
                .as_ref()
                .map(|c| c.expired(deadline))
                .unwrap_or_default();
            for (peer, id) in expired {
                tracing::debug!(%peer, "Range request unanswered past its deadline");
                self.on_request_failed(peer, id, local);
            }
            if let Some((peer, id)) = self.backfill.as_ref().and_then(|b| b.expired(deadline)) {
                self.on_request_failed(peer, id, local);
            }
        }
        if self.chain.is_none() {
            self.maybe_start_chain(local);
            self.request_batches();
        }
        let elapsed = now.saturating_duration_since(self.progress.last_report);
        if elapsed < PROGRESS_INTERVAL {
            return;
        }
        let rate = self.progress.imported_since as f64 / elapsed.as_secs_f64();
        // Smoothed over the last few intervals, so one slow segment doesn't swing the ETA.
        self.progress.blocks_per_second = if self.progress.blocks_per_second == 0.0 {
            rate
        } else {
            0.5 * self.progress.blocks_per_second + 0.5 * rate
        };
        self.progress.last_report = now;
        self.progress.imported_since = 0;
        let Some(chain) = &self.chain else {
            metrics::set_progress(0, 0.0);
            if let Some(backfill) = &self.backfill {
                metrics::set_backfill(backfill.oldest_slot());
                tracing::info!(
                    oldest_slot = backfill.oldest_slot(),
                    peers = self.peers.len(),
                    "Backfilling block history"
                );
            }
            return;
        };
        let target = self
            .best_peer_head()
            .unwrap_or(chain.target_slot)
            .max(chain.target_slot);
        let distance = target.saturating_sub(local.head_slot);
        let bps = self.progress.blocks_per_second;
        metrics::set_progress(distance, bps);
        let eta = if bps > 0.0 {
            format!("{:.0}s", distance as f64 / bps)
        } else {
            "unknown".into()
        };
        tracing::info!(
            head_slot = local.head_slot,
            target_slot = target,
            distance,
            blocks_per_second = format!("{bps:.1}"),
            time_left = eta,
            chain = chain.kind.as_str(),
            peers = self.peers.len(),
            "Syncing"
        );
    }

    fn maybe_start_chain(&mut self, local: &LocalStatus) {
        if self.chain.is_some() || self.hold_off {
            return;
        }
        let spe = E::slots_per_epoch();
        let best_finalized = self.peers.values().map(|p| p.finalized_epoch).max();
        let best_head = self.best_peer_head();
        let (kind, target_slot) = match (best_finalized, best_head) {
            (Some(f), _)
                if f > local.finalized_epoch && f.saturating_mul(spe) > local.head_slot =>
            {
                (ChainKind::Finalized, f.saturating_mul(spe))
            }
            (_, Some(h)) if h > local.head_slot.saturating_add(SLOT_IMPORT_TOLERANCE) => {
                (ChainKind::Head, h)
            }
            _ => return,
        };
        self.next_chain_id += 1;
        let chain = SyncingChain::new(self.next_chain_id, kind, local, target_slot);
        tracing::info!(
            chain = kind.as_str(),
            from_slot = chain.start_epoch * spe,
            target_slot,
            peers = self.peers.len(),
            "Range sync started"
        );
        metrics::chain_started();
        self.progress.last_report = Instant::now();
        self.progress.imported_since = 0;
        self.chain = Some(chain);
    }

    fn end_chain(&mut self, end: ChainEnd, local: &LocalStatus) {
        let Some(chain) = self.chain.take() else {
            return;
        };
        match end {
            ChainEnd::Completed => tracing::info!(
                chain = chain.kind.as_str(),
                head_slot = local.head_slot,
                "Range sync reached its target"
            ),
            ChainEnd::Failed => {
                tracing::warn!(
                    chain = chain.kind.as_str(),
                    at_slot = chain.processed_up_to(),
                    "Range sync gave up a chain after repeated failures; retrying shortly"
                );
                self.hold_off = true;
            }
            ChainEnd::NoPeers => tracing::info!(
                at_slot = chain.processed_up_to(),
                "Range sync paused: no peer can serve the next blocks"
            ),
        }
        metrics::chain_ended(end);
        // What the peers said may be stale by now: ask again before choosing the next chain.
        for peer in self.other_peers(None) {
            self.actions.push(Action::RefreshStatus { peer });
        }
        // After the finalized chain, the head chain (if peers are still ahead).
        if end == ChainEnd::Completed {
            self.maybe_start_chain(local);
            self.request_batches();
        }
    }

    fn request_batches(&mut self) {
        if let Some(chain) = &mut self.chain {
            chain.request_batches(&self.peers, &mut self.next_request_id, &mut self.actions);
        } else if let Some(backfill) = &mut self.backfill {
            // The head first: backfill only while range sync is idle.
            backfill.request(&self.peers, &mut self.next_request_id, &mut self.actions);
        }
        self.process_next();
    }

    fn process_next(&mut self) {
        if let Some(chain) = &mut self.chain {
            if let Some((batch, blocks)) = chain.next_segment() {
                self.actions.push(Action::ProcessSegment {
                    chain: chain.id,
                    batch,
                    blocks,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
