//! Import of a chain segment: consecutive blocks from sync, each the parent of the next.
//!
//! Every block gets the full state transition, as on the gossip path, but the signatures of
//! the whole segment (proposals, RANDAO reveals, attestations, slashings, exits) are checked
//! as one batch after the last block is processed, and the segment is written to the
//! database in one atomic write with one head update at the end. When the batch fails, the
//! blocks are checked one by one to find the first bad one; the blocks before it are
//! imported, so a peer that serves one invalid block loses only the rest of its batch.

use crate::beacon_chain::{lock, write, BeaconChain};
use crate::block_verification::{
    fork_choice_tree_op, intermediate_state_op, MAXIMUM_GOSSIP_CLOCK_DISPARITY,
};
use crate::caches::CachedState;
use crate::errors::{BeaconChainError, BlockError};
use crate::events::ChainEvent;
use state_processing::helpers::accessors::get_indexed_attestation;
use state_processing::per_slot_processing::process_slots;
use state_processing::{BlockProcessingError, SegmentSignatures};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::StoreOp;
use tree_hash::TreeHash;
use types::{AttestationData, Checkpoint, EthSpec, Hash256, SignedBeaconBlock};

/// What became of a chain segment.
#[derive(Debug)]
pub enum ChainSegmentResult {
    /// Every block is in the chain (`imported` of them are new).
    Successful { imported: usize },
    /// The first `imported` new blocks went in; the next one failed with `error`, and the
    /// blocks after it were not tried.
    Failed { imported: usize, error: BlockError },
}

impl ChainSegmentResult {
    /// How many new blocks were imported.
    pub fn imported(&self) -> usize {
        match self {
            ChainSegmentResult::Successful { imported }
            | ChainSegmentResult::Failed { imported, .. } => *imported,
        }
    }
}

/// Where a segment's time went (the sync benchmark reads these).
#[derive(Debug, Clone, Copy, Default)]
pub struct SegmentTimings {
    /// Slot and block processing, and state roots.
    pub state_transition: Duration,
    /// The one signature batch (and the per-block search when it fails).
    pub signatures: Duration,
    pub fork_choice: Duration,
    pub store_write: Duration,
    pub head: Duration,
}

/// How far a segment got before `error`.
struct Partial {
    imported: usize,
    error: BlockError,
}

fn partial(imported: usize, error: impl Into<BlockError>) -> Box<Partial> {
    Box::new(Partial {
        imported,
        error: error.into(),
    })
}

/// A processed block waiting for the segment's signatures and the import.
struct ProcessedBlock<E: EthSpec> {
    block: Arc<SignedBeaconBlock<E>>,
    root: Hash256,
    justified: Checkpoint,
    finalized: Checkpoint,
    /// The votes the block carries: attesting indices and data.
    votes: Vec<(Vec<u64>, AttestationData)>,
    /// The block, its post-state and the states of the empty slots before it.
    ops: Vec<StoreOp<E>>,
}

impl<E: EthSpec> BeaconChain<E> {
    /// Import `blocks`, each the parent of the next, checking all their signatures as one
    /// batch. Blocks the chain already has, or that are at or before the finalized slot, are
    /// skipped at the start of the segment.
    pub fn process_chain_segment(
        &self,
        blocks: Vec<Arc<SignedBeaconBlock<E>>>,
    ) -> ChainSegmentResult {
        self.process_chain_segment_with_timings(blocks).0
    }

    /// [`Self::process_chain_segment`], reporting where the time went.
    pub fn process_chain_segment_with_timings(
        &self,
        blocks: Vec<Arc<SignedBeaconBlock<E>>>,
    ) -> (ChainSegmentResult, SegmentTimings) {
        let mut timings = SegmentTimings::default();
        let roots: Vec<Hash256> = blocks.iter().map(|b| b.message.tree_hash_root()).collect();
        if let Err(error) = check_linear(&blocks, &roots) {
            return (ChainSegmentResult::Failed { imported: 0, error }, timings);
        }
        // Blocks we have, or that finality has passed, start many segments after a restart
        // or when two peers overlap; they are not errors.
        let finalized_slot = self
            .finalized_checkpoint()
            .epoch
            .saturating_mul(E::slots_per_epoch());
        let known = {
            let fc = self.fork_choice();
            blocks
                .iter()
                .zip(&roots)
                .take_while(|(block, root)| {
                    block.message.slot <= finalized_slot || fc.contains_block(root)
                })
                .count()
        };
        let blocks: Vec<_> = blocks.into_iter().zip(roots).skip(known).collect();
        if blocks.is_empty() {
            return (ChainSegmentResult::Successful { imported: 0 }, timings);
        }
        let outcome = self.import_segment(&blocks, &mut timings);
        let imported = outcome.as_ref().map_or_else(|p| p.imported, |n| *n);
        crate::metrics::observe_segment(imported, &timings);
        for (_, root) in blocks.iter().take(imported) {
            self.process_pending(*root);
        }
        let result = match outcome {
            Ok(imported) => ChainSegmentResult::Successful { imported },
            Err(p) => {
                let Partial { imported, error } = *p;
                crate::metrics::observe_rejection(error.kind());
                if error.marks_block_invalid() {
                    if let Some((_, root)) = blocks.get(imported) {
                        self.mark_invalid(*root);
                    }
                }
                tracing::debug!(imported, error = %error, "Chain segment failed");
                ChainSegmentResult::Failed { imported, error }
            }
        };
        (result, timings)
    }

    /// Process, verify the signatures, then import, under the import lock. The error carries
    /// how many blocks were imported before the failure.
    fn import_segment(
        &self,
        blocks: &[(Arc<SignedBeaconBlock<E>>, Hash256)],
        timings: &mut SegmentTimings,
    ) -> Result<usize, Box<Partial>> {
        let _import = lock(&self.import_lock);
        let (first, _) = &blocks[0];
        self.check_segment_start(first).map_err(|e| partial(0, e))?;

        let t = Instant::now();
        let parent = self
            .get_block_state(&first.message.parent_root)
            .map_err(|e| partial(0, e))?;
        let mut state = (*parent.state).clone();
        let mut signatures = SegmentSignatures::default();
        let mut processed: Vec<ProcessedBlock<E>> = Vec::with_capacity(blocks.len());
        let mut failure = None;
        let current_slot = self
            .slot_clock
            .now_with_future_tolerance(MAXIMUM_GOSSIP_CLOCK_DISPARITY)
            .ok_or_else(|| partial(0, BeaconChainError::SlotClock))?;
        for (block, root) in blocks {
            match self.process_segment_block(
                &mut state,
                block,
                *root,
                current_slot,
                &mut signatures,
            ) {
                Ok(done) => processed.push(done),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        timings.state_transition = t.elapsed();

        let t = Instant::now();
        // The sets are those of `processed`, block for block: a bad signature comes before
        // any processing failure in chain order, so it is the error to report.
        if let Err(bad) = signatures.verify() {
            processed.truncate(bad);
            failure = Some(BlockError::PerBlockProcessing(
                BlockProcessingError::BatchSignatureInvalid,
            ));
        }
        timings.signatures = t.elapsed();
        // The last post-state is the one worth caching, but only if its block is imported.
        let last_state = failure.is_none().then(|| Arc::new(state));

        let imported = self.import_processed(processed, last_state, timings)?;
        match failure {
            None => Ok(imported),
            Some(error) => Err(partial(imported, error)),
        }
    }

    /// The checks on the segment's first block that the blocks after it pass by linkage.
    fn check_segment_start(&self, block: &SignedBeaconBlock<E>) -> Result<(), BlockError> {
        let parent_root = block.message.parent_root;
        if self.is_known_invalid(&parent_root) {
            return Err(BlockError::ParentInvalid(parent_root));
        }
        let parent_slot = self
            .fork_choice()
            .block_slot(&parent_root)
            .ok_or(BlockError::ParentUnknown(parent_root))?;
        if block.message.slot <= parent_slot {
            return Err(BlockError::BlockIsNotLaterThanParent {
                block_slot: block.message.slot,
                parent_slot,
            });
        }
        let finalized = self.finalized_checkpoint();
        let finalized_slot = finalized.epoch.saturating_mul(E::slots_per_epoch());
        if self.get_ancestor(&parent_root, finalized_slot) != Some(finalized.root) {
            return Err(BlockError::NotFinalizedDescendant {
                finalized_root: finalized.root,
            });
        }
        Ok(())
    }

    /// One block's state transition, its signatures collected into `signatures`.
    fn process_segment_block(
        &self,
        state: &mut types::BeaconState<E>,
        block: &Arc<SignedBeaconBlock<E>>,
        root: Hash256,
        current_slot: u64,
        signatures: &mut SegmentSignatures,
    ) -> Result<ProcessedBlock<E>, BlockError> {
        let slot = block.message.slot;
        if slot > current_slot {
            return Err(BlockError::FutureSlot {
                block_slot: slot,
                current_slot,
            });
        }
        let mut ops = Vec::new();
        while state.slot < slot {
            let next = state.slot + 1;
            process_slots(state, next, &self.spec).map_err(BlockError::SlotProcessing)?;
            if state.slot < slot {
                let state_root = state.update_tree_hash_cache();
                ops.push(intermediate_state_op(state_root, state));
            }
        }
        signatures
            .process_signed_block(state, block, &self.spec)
            .map_err(|e| match e {
                BlockProcessingError::BlockSignatureInvalid => BlockError::ProposalSignatureInvalid,
                e => BlockError::PerBlockProcessing(e),
            })?;
        let state_root = state.update_tree_hash_cache();
        if state_root != block.message.state_root {
            signatures.discard_last();
            return Err(BlockError::StateRootMismatch {
                block: block.message.state_root,
                computed: state_root,
            });
        }
        let votes = block
            .message
            .body
            .attestations
            .iter()
            .filter_map(|a| get_indexed_attestation(state, a, &self.spec).ok())
            .map(|indexed| (indexed.attesting_indices.to_vec(), indexed.data))
            .collect();
        ops.push(StoreOp::PutBlock(root, block.clone()));
        ops.push(intermediate_state_op(state_root, state));
        Ok(ProcessedBlock {
            block: block.clone(),
            root,
            justified: state.current_justified_checkpoint,
            finalized: state.finalized_checkpoint,
            votes,
            ops,
        })
    }

    /// Fork choice, one atomic write, the state cache, events and the head, for blocks
    /// whose signatures are verified. `last_state` is the last block's post-state, if it is
    /// among them.
    fn import_processed(
        &self,
        processed: Vec<ProcessedBlock<E>>,
        last_state: Option<Arc<types::BeaconState<E>>>,
        timings: &mut SegmentTimings,
    ) -> Result<usize, Box<Partial>> {
        let Some(last) = processed.last() else {
            return Ok(0);
        };
        let (last_root, last_block) = (last.root, last.block.clone());
        let first_epoch = BeaconChain::<E>::epoch_of(processed[0].block.message.slot);
        let crosses_epoch = BeaconChain::<E>::epoch_of(last_block.message.slot) > first_epoch;

        let t = Instant::now();
        let current_slot = self.current_slot().map_err(|e| partial(0, e))?;
        let tree_bytes = {
            let mut fc = write(&self.fork_choice);
            fc.on_tick(current_slot);
            let mut refused = None;
            for p in &processed {
                if let Err(e) =
                    fc.on_block_with_checkpoints(&p.block.message, p.root, p.justified, p.finalized)
                {
                    refused = Some(e);
                    break;
                }
                for (indices, data) in &p.votes {
                    // Votes for blocks fork choice no longer holds simply don't count.
                    let _ = fc.on_attestation(indices, data, true);
                }
            }
            if let Some(e) = refused {
                // The segment was checked against this fork choice under the import lock, so
                // this is a bug; put back what the disk says before giving up.
                drop(fc);
                self.reload_fork_choice_after_failed_write();
                return Err(partial(0, BlockError::ForkChoice(e)));
            }
            fc.persist_tree()
        };
        timings.fork_choice = t.elapsed();

        let t = Instant::now();
        let count = processed.len();
        let mut ops = Vec::new();
        let mut events = Vec::with_capacity(count);
        for p in processed {
            events.push((p.block.message.slot, p.root));
            ops.extend(p.ops);
        }
        ops.push(fork_choice_tree_op(tree_bytes));
        if let Err(e) = self.store.do_atomically(ops) {
            self.reload_fork_choice_after_failed_write();
            return Err(partial(0, BeaconChainError::from(e)));
        }
        timings.store_write = t.elapsed();

        if let Some(state) = last_state {
            lock(&self.state_cache).insert(
                last_root,
                CachedState {
                    state_root: last_block.message.state_root,
                    state,
                },
            );
        }
        for (slot, block) in events {
            self.events.send(ChainEvent::Block { slot, block });
        }
        let t = Instant::now();
        self.recompute_head_with(Some((last_root, &last_block)))
            .map_err(|e| partial(count, e))?;
        if crosses_epoch {
            self.persist_fork_choice().map_err(|e| partial(count, e))?;
        }
        timings.head = t.elapsed();
        tracing::debug!(
            blocks = count,
            last_slot = last_block.message.slot,
            "Chain segment imported"
        );
        Ok(count)
    }
}

/// Each block the parent of the next, slots strictly rising.
fn check_linear<E: EthSpec>(
    blocks: &[Arc<SignedBeaconBlock<E>>],
    roots: &[Hash256],
) -> Result<(), BlockError> {
    for (pair, parent_root) in blocks.windows(2).zip(roots) {
        let (parent, child) = (&pair[0], &pair[1]);
        if child.message.parent_root != *parent_root {
            return Err(BlockError::NonLinearParentRoots);
        }
        if child.message.slot <= parent.message.slot {
            return Err(BlockError::NonLinearSlots);
        }
    }
    Ok(())
}
