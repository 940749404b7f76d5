//! Carrying out what the sync manager decides: its requests go to the network, its segments
//! and looked-up blocks to the beacon processor (whose workers report back on the sync
//! results channel), its penalties to the peer manager; and the node's syncing flag follows
//! it.

use crate::{Router, SyncResult};
use beacon_chain::{BeaconChain, BlockError, ChainSegmentResult, GossipAction};
use beacon_processor::Work;
use beacon_sync::backfill::BackfillOutcome;
use beacon_sync::{Action, LocalStatus, SegmentOutcome};
use network::NetworkCommand;
use std::sync::Arc;
use tokio::sync::mpsc;
use types::EthSpec;

/// The sync manager's view of a chain error: whose fault, and what to do.
fn outcome_of_error(imported: usize, error: &BlockError) -> SegmentOutcome {
    match error {
        BlockError::ParentUnknown(_) => SegmentOutcome::ParentUnknown { imported },
        e if e.gossip_action() == GossipAction::Reject => SegmentOutcome::Invalid {
            imported,
            reason: e.kind(),
        },
        _ => SegmentOutcome::Failed { imported },
    }
}

/// Reports `Failed` if dropped without a verdict (a job that panicked or was never run), so
/// that sync never waits for an answer that will not come.
struct ReportOnDrop {
    results: mpsc::UnboundedSender<SyncResult>,
    result: Option<SyncResult>,
}

impl ReportOnDrop {
    fn report(mut self, result: SyncResult) {
        self.result = Some(result);
    }
}

impl Drop for ReportOnDrop {
    fn drop(&mut self) {
        if let Some(result) = self.result.take() {
            let _ = self.results.send(result);
        }
    }
}

impl<E: EthSpec> Router<E> {
    /// Where our chain is, for the sync manager.
    pub(crate) fn local_status(&self) -> LocalStatus {
        LocalStatus {
            head_slot: self.chain.head_slot(),
            finalized_epoch: self.chain.finalized_checkpoint().epoch,
        }
    }

    /// Carry out the sync manager's actions, then update the syncing flag.
    pub(crate) fn run_sync_actions(&mut self) {
        for action in self.sync.drain_actions() {
            match action {
                Action::Request { peer, id, request } => {
                    self.network
                        .send(NetworkCommand::SendRequest { peer, id, request });
                }
                Action::RefreshStatus { peer } => {
                    self.network.send(NetworkCommand::RefreshStatus { peer });
                }
                Action::Penalise {
                    peer,
                    action,
                    reason,
                } => self.network.send(NetworkCommand::ReportPeer {
                    peer,
                    action,
                    reason,
                }),
                Action::ProcessSegment {
                    chain: chain_id,
                    batch,
                    blocks,
                } => {
                    let failed = SyncResult::Segment {
                        chain: chain_id,
                        batch,
                        outcome: SegmentOutcome::Failed { imported: 0 },
                    };
                    let guard = ReportOnDrop {
                        results: self.sync_results.clone(),
                        result: Some(failed),
                    };
                    let chain = self.chain.clone();
                    // Sent even when the processor is full: the guard then reports a failure.
                    self.processor.send(Work::ChainSegment(Box::new(move || {
                        let outcome = import_segment(&chain, blocks);
                        guard.report(SyncResult::Segment {
                            chain: chain_id,
                            batch,
                            outcome,
                        });
                    })));
                }
                Action::ProcessBackfill { start_slot, blocks } => {
                    let guard = ReportOnDrop {
                        results: self.sync_results.clone(),
                        result: Some(SyncResult::Backfill(BackfillOutcome::Failed)),
                    };
                    let chain = self.chain.clone();
                    self.processor.send(Work::ChainSegment(Box::new(move || {
                        let outcome = match chain.import_historical_block_batch(&blocks, start_slot)
                        {
                            Ok(done) => BackfillOutcome::Imported {
                                oldest_slot: done.oldest_slot,
                            },
                            Err(e) => {
                                tracing::debug!(error = %e, start_slot, "Backfill blocks refused");
                                if e.is_peer_fault() {
                                    BackfillOutcome::Invalid
                                } else {
                                    BackfillOutcome::Failed
                                }
                            }
                        };
                        guard.report(SyncResult::Backfill(outcome));
                    })));
                }
                Action::ProcessLookup { root, peer, block } => {
                    let guard = ReportOnDrop {
                        results: self.sync_results.clone(),
                        result: Some(SyncResult::Lookup {
                            root,
                            outcome: SegmentOutcome::Failed { imported: 0 },
                            parent: None,
                        }),
                    };
                    let chain = self.chain.clone();
                    self.processor.send(Work::ChainSegment(Box::new(move || {
                        let parent = block.message.parent_root;
                        let outcome = match chain.process_block(block) {
                            Ok(_) | Err(BlockError::BlockIsAlreadyKnown(_)) => {
                                SegmentOutcome::Imported { imported: 1 }
                            }
                            Err(e) => {
                                tracing::debug!(%peer, ?root, error = %e, "Looked-up block not imported");
                                outcome_of_error(0, &e)
                            }
                        };
                        guard.report(SyncResult::Lookup {
                            root,
                            outcome,
                            parent: Some(parent),
                        });
                    })));
                }
            }
        }
        self.update_sync_state();
    }

    /// A worker's verdict on sync's work.
    pub(crate) fn on_sync_result(&mut self, result: SyncResult) {
        let local = self.local_status();
        match result {
            SyncResult::Segment {
                chain,
                batch,
                outcome,
            } => self
                .sync
                .on_segment_processed(chain, batch, outcome, &local),
            SyncResult::Lookup {
                root,
                outcome,
                parent,
            } => self.sync.on_lookup_processed(root, outcome, parent, &local),
            SyncResult::Backfill(outcome) => self.sync.on_backfill_processed(outcome),
        }
        self.run_sync_actions();
    }

    /// Once a second: progress, and chains held off after a failure.
    pub(crate) fn on_sync_tick(&mut self) {
        let local = self.local_status();
        self.sync.tick(&local, std::time::Instant::now());
        self.run_sync_actions();
    }

    /// Syncing while range sync runs and we are more than an epoch behind the best peer:
    /// the API's syncing status and health follow this, and validators' duties wait on it.
    fn update_sync_state(&self) {
        let head = self.chain.head_slot();
        let behind = self
            .sync
            .best_peer_head()
            .is_some_and(|best| best > head + E::slots_per_epoch());
        self.globals.set_syncing(self.sync.is_syncing() && behind);
    }
}

/// Import a range batch and translate the chain's answer.
fn import_segment<E: EthSpec>(
    chain: &Arc<BeaconChain<E>>,
    blocks: Vec<Arc<types::SignedBeaconBlock<E>>>,
) -> SegmentOutcome {
    match chain.process_chain_segment(blocks) {
        ChainSegmentResult::Successful { imported } => SegmentOutcome::Imported { imported },
        ChainSegmentResult::Failed { imported, error } => {
            tracing::debug!(imported, error = %error, "Range batch failed import");
            outcome_of_error(imported, &error)
        }
    }
}
