//! Block verification and import, one type per stage.
//!
//! `SignedBeaconBlock` → [`GossipVerifiedBlock`] (every rule of the `beacon_block` topic,
//! p2p-interface.md v1.0.1, proposer signature included) → `ExecutedBlock` (the full state
//! transition with the body's signatures in one batch and the state root checked, outside
//! the import lock) → imported (fork choice, one atomic database write, head, under it).
//! Private fields mean only the stage before makes each, so a later stage can skip what an
//! earlier one did. Blocks from sync or the API enter through
//! [`BeaconChain::process_block`], which runs the same checks minus the duplicate-proposal
//! rule.

use crate::beacon_chain::{lock, write, BeaconChain, FORK_CHOICE_TREE_KEY};
use crate::caches::CachedState;
use crate::errors::{BeaconChainError, BlockError};
use crate::events::ChainEvent;
use crate::pending::PendingMessage;
use state_processing::helpers::accessors::get_indexed_attestation;
use state_processing::per_block_processing::{
    block_proposal_signature_set, process_block, VerifySignatures,
};
use state_processing::per_slot_processing::process_slots;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{HotStateSummary, StoreOp};
use tree_hash::TreeHash;
use types::{BeaconState, EthSpec, Hash256, SignedBeaconBlock, Slot};

/// `MAXIMUM_GOSSIP_CLOCK_DISPARITY` (p2p-interface.md): 500 ms.
pub const MAXIMUM_GOSSIP_CLOCK_DISPARITY: Duration = Duration::from_millis(500);

/// A block that passed every `beacon_block` gossip rule: safe to forward.
#[derive(Debug, Clone)]
pub struct GossipVerifiedBlock<E: EthSpec> {
    block: Arc<SignedBeaconBlock<E>>,
    block_root: Hash256,
}

impl<E: EthSpec> GossipVerifiedBlock<E> {
    /// The `beacon_block` topic's rules, in the spec's order (cheap ones first).
    pub fn new(
        block: Arc<SignedBeaconBlock<E>>,
        chain: &BeaconChain<E>,
    ) -> Result<Self, BlockError> {
        let block_root = block.message.tree_hash_root();
        check_block_against_chain(&block, block_root, chain, true)?;
        Ok(GossipVerifiedBlock { block, block_root })
    }

    /// The block.
    pub fn block(&self) -> &Arc<SignedBeaconBlock<E>> {
        &self.block
    }

    /// The block's root.
    pub fn block_root(&self) -> Hash256 {
        self.block_root
    }
}

/// A gossip-verified block whose state transition ran: every signature verified (the body's
/// in one batch), the post-state's root equal to the block's. Only import can take it further.
struct ExecutedBlock<E: EthSpec> {
    block: Arc<SignedBeaconBlock<E>>,
    block_root: Hash256,
    state: Arc<BeaconState<E>>,
    state_root: Hash256,
    parent_slot: Slot,
    /// The writes of the states passed through empty slots.
    intermediate: Vec<StoreOp<E>>,
    timings: ImportTimings,
}

/// Time spent in each part of an import (the import benchmark reads these).
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportTimings {
    pub gossip_checks: Duration,
    pub load_parent_state: Duration,
    pub slots: Duration,
    pub block_processing: Duration,
    pub state_root: Duration,
    pub fork_choice: Duration,
    pub store_write: Duration,
    pub head: Duration,
}

/// The gossip rules, shared with the non-gossip path (`gossip` adds the duplicate-proposal
/// rule and records the proposer as seen).
fn check_block_against_chain<E: EthSpec>(
    block: &SignedBeaconBlock<E>,
    block_root: Hash256,
    chain: &BeaconChain<E>,
    gossip: bool,
) -> Result<(), BlockError> {
    let message = &block.message;
    // [IGNORE] not from a future slot (with MAXIMUM_GOSSIP_CLOCK_DISPARITY).
    let current_slot = chain
        .slot_clock
        .now_with_future_tolerance(MAXIMUM_GOSSIP_CLOCK_DISPARITY)
        .ok_or(BeaconChainError::SlotClock)?;
    if message.slot > current_slot {
        return Err(BlockError::FutureSlot {
            block_slot: message.slot,
            current_slot,
        });
    }
    // [IGNORE] later than the finalized slot.
    let finalized = chain.finalized_checkpoint();
    let finalized_slot = finalized.epoch.saturating_mul(E::slots_per_epoch());
    if message.slot <= finalized_slot {
        return Err(BlockError::WouldRevertFinalizedSlot {
            block_slot: message.slot,
            finalized_slot,
        });
    }
    if chain.fork_choice().contains_block(&block_root) {
        return Err(BlockError::BlockIsAlreadyKnown(block_root));
    }
    // [IGNORE] the first block with a valid signature for this proposer and slot.
    if gossip
        && lock(&chain.observed)
            .block_producers
            .contains(message.slot, &message.proposer_index)
    {
        return Err(BlockError::RepeatProposal {
            proposer_index: message.proposer_index,
            slot: message.slot,
        });
    }
    // [REJECT] parent passes validation; [IGNORE] parent seen.
    if chain.is_known_invalid(&message.parent_root) {
        return Err(BlockError::ParentInvalid(message.parent_root));
    }
    let parent_slot = chain
        .fork_choice()
        .block_slot(&message.parent_root)
        .ok_or(BlockError::ParentUnknown(message.parent_root))?;
    if message.slot <= parent_slot {
        return Err(BlockError::BlockIsNotLaterThanParent {
            block_slot: message.slot,
            parent_slot,
        });
    }
    // [REJECT] the finalized checkpoint is an ancestor.
    if chain.get_ancestor(&message.parent_root, finalized_slot) != Some(finalized.root) {
        return Err(BlockError::NotFinalizedDescendant {
            finalized_root: finalized.root,
        });
    }
    // [REJECT] the expected proposer, in the shuffling of the block's branch.
    let parent = chain.get_block_state(&message.parent_root)?;
    let expected = chain.expected_proposer(message.parent_root, &parent.state, message.slot)?;
    if message.proposer_index != expected {
        return Err(BlockError::IncorrectProposer {
            block: message.proposer_index,
            expected,
            slot: message.slot,
        });
    }
    // [REJECT] the proposer signature.
    verify_proposer_signature(block, &parent.state, chain)?;
    if gossip
        && lock(&chain.observed)
            .block_producers
            .observe(message.slot, message.proposer_index)
    {
        return Err(BlockError::RepeatProposal {
            proposer_index: message.proposer_index,
            slot: message.slot,
        });
    }
    Ok(())
}

fn verify_proposer_signature<E: EthSpec>(
    block: &SignedBeaconBlock<E>,
    parent_state: &BeaconState<E>,
    chain: &BeaconChain<E>,
) -> Result<(), BlockError> {
    let proposer = block.message.proposer_index;
    if proposer as usize >= parent_state.validators.len() {
        return Err(BlockError::UnknownValidator(proposer));
    }
    // The domain depends on the fork at the block's epoch, which the parent state knows (its
    // fork schedule is fixed in phase 0).
    let set = block_proposal_signature_set(parent_state, block, &chain.spec)
        .map_err(BlockError::SignatureSet)?;
    if set.verify() {
        Ok(())
    } else {
        Err(BlockError::ProposalSignatureInvalid)
    }
}

/// The database op that stores fork choice's tree (written with the blocks it names).
pub(crate) fn fork_choice_tree_op<E: EthSpec>(tree_bytes: Vec<u8>) -> StoreOp<E> {
    StoreOp::PutItem(
        store::DBColumn::ForkChoice,
        FORK_CHOICE_TREE_KEY.to_vec(),
        tree_bytes,
    )
}

/// The database op for a state passed through an empty slot: a summary, or the whole state
/// (copied) at an epoch boundary.
pub(crate) fn intermediate_state_op<E: EthSpec>(
    state_root: Hash256,
    state: &BeaconState<E>,
) -> StoreOp<E> {
    let summary = HotStateSummary::from_state(state_root, state);
    if summary.is_epoch_boundary::<E>() {
        StoreOp::PutState(state_root, Arc::new(state.clone()))
    } else {
        StoreOp::PutStateSummary(state_root, summary)
    }
}

impl<E: EthSpec> BeaconChain<E> {
    /// Import a block from sync or the API: the gossip rules (except the duplicate-proposal
    /// one), then the import. Returns the block root.
    pub fn process_block(&self, block: Arc<SignedBeaconBlock<E>>) -> Result<Hash256, BlockError> {
        let block_root = block.message.tree_hash_root();
        let start = Instant::now();
        match check_block_against_chain(&block, block_root, self, false) {
            Ok(()) => {}
            Err(e) => {
                crate::metrics::observe_rejection(e.kind());
                if e.marks_block_invalid() {
                    self.mark_invalid(block_root);
                }
                if let BlockError::ParentUnknown(parent) = e {
                    self.queue_pending(parent, PendingMessage::Block(block));
                }
                return Err(e);
            }
        }
        let verified = GossipVerifiedBlock { block, block_root };
        self.import_block_with_timings(verified, start.elapsed())
            .map(|(root, _)| root)
    }

    /// A block of the node's own validators, from the API (`publishBlock`): the checks of
    /// [`Self::process_block`], then the import; once imported its proposer counts as seen
    /// for the slot, so a second block of that proposer arriving by gossip is not forwarded.
    pub fn process_published_block(
        &self,
        block: Arc<SignedBeaconBlock<E>>,
    ) -> Result<Hash256, BlockError> {
        let (slot, proposer) = (block.message.slot, block.message.proposer_index);
        let root = self.process_block(block)?;
        lock(&self.observed).block_producers.observe(slot, proposer);
        Ok(root)
    }

    /// The `beacon_block` topic: gossip verification, then import. A block whose parent is
    /// unknown is queued until the parent is imported.
    pub fn process_gossip_block(
        &self,
        block: Arc<SignedBeaconBlock<E>>,
    ) -> Result<Hash256, BlockError> {
        self.process_gossip_block_then(block, |_| {})
    }

    /// [`Self::process_gossip_block`], calling `on_verified` between gossip verification and
    /// import: the network propagates the block there, as the spec allows, rather than after
    /// the whole state transition.
    pub fn process_gossip_block_then(
        &self,
        block: Arc<SignedBeaconBlock<E>>,
        on_verified: impl FnOnce(&GossipVerifiedBlock<E>),
    ) -> Result<Hash256, BlockError> {
        let start = Instant::now();
        match GossipVerifiedBlock::new(block.clone(), self) {
            Ok(verified) => {
                on_verified(&verified);
                self.import_block_with_timings(verified, start.elapsed())
                    .map(|(root, _)| root)
            }
            Err(e) => {
                crate::metrics::observe_rejection(e.kind());
                if e.marks_block_invalid() {
                    self.mark_invalid(block.message.tree_hash_root());
                }
                if let BlockError::ParentUnknown(parent) = e {
                    self.queue_pending(parent, PendingMessage::Block(block));
                }
                Err(e)
            }
        }
    }

    /// Import a gossip-verified block. Returns the block root.
    pub fn import_block(&self, block: GossipVerifiedBlock<E>) -> Result<Hash256, BlockError> {
        self.import_block_with_timings(block, Duration::ZERO)
            .map(|(root, _)| root)
    }

    /// Import, reporting where the time went.
    pub fn import_block_with_timings(
        &self,
        verified: GossipVerifiedBlock<E>,
        gossip_checks: Duration,
    ) -> Result<(Hash256, ImportTimings), BlockError> {
        let block_root = verified.block_root;
        let result = self.import_verified(verified, gossip_checks);
        match &result {
            Ok(timings) => {
                crate::metrics::observe_import(timings);
                self.process_pending(block_root)
            }
            Err(e) => {
                crate::metrics::observe_rejection(e.kind());
                if e.marks_block_invalid() {
                    self.mark_invalid(block_root);
                }
                tracing::debug!(?block_root, error = %e, "Block not imported");
            }
        }
        result.map(|t| (block_root, t))
    }

    fn import_verified(
        &self,
        verified: GossipVerifiedBlock<E>,
        gossip_checks: Duration,
    ) -> Result<ImportTimings, BlockError> {
        let executed = self.execute_block(verified, gossip_checks)?;
        self.import_executed_block(executed)
    }

    /// The state transition of a gossip-verified block, outside the import lock (its parent's
    /// state is shared and never changed): the parent's post-state advanced slot by slot to
    /// the block's slot, every state passed on the way recorded (the database keeps a summary
    /// of each and the full state at epoch boundaries), the body with all of its signatures
    /// in one batch (the proposer's was checked already), and the state root.
    fn execute_block(
        &self,
        verified: GossipVerifiedBlock<E>,
        gossip_checks: Duration,
    ) -> Result<ExecutedBlock<E>, BlockError> {
        let mut timings = ImportTimings {
            gossip_checks,
            ..Default::default()
        };
        let GossipVerifiedBlock { block, block_root } = verified;
        if self.fork_choice().contains_block(&block_root) {
            return Err(BlockError::BlockIsAlreadyKnown(block_root));
        }

        let t = Instant::now();
        let parent = self.get_block_state(&block.message.parent_root)?;
        let mut state = (*parent.state).clone();
        timings.load_parent_state = t.elapsed();

        let t = Instant::now();
        let mut intermediate = Vec::new();
        while state.slot < block.message.slot {
            let next = state.slot + 1;
            process_slots(&mut state, next, &self.spec).map_err(BlockError::SlotProcessing)?;
            if state.slot < block.message.slot {
                let root = state.update_tree_hash_cache();
                intermediate.push(intermediate_state_op(root, &state));
            }
        }
        timings.slots = t.elapsed();

        let t = Instant::now();
        process_block(
            &mut state,
            &block.message,
            VerifySignatures::Batch,
            &self.spec,
        )
        .map_err(BlockError::PerBlockProcessing)?;
        timings.block_processing = t.elapsed();

        let t = Instant::now();
        let state_root = state.update_tree_hash_cache();
        if state_root != block.message.state_root {
            return Err(BlockError::StateRootMismatch {
                block: block.message.state_root,
                computed: state_root,
            });
        }
        timings.state_root = t.elapsed();

        Ok(ExecutedBlock {
            block,
            block_root,
            state: Arc::new(state),
            state_root,
            parent_slot: parent.state.slot,
            intermediate,
            timings,
        })
    }

    /// An executed block joins the chain, under the import lock: fork choice (the block, then
    /// the votes it carries), one atomic write, the state cache, the head.
    fn import_executed_block(
        &self,
        executed: ExecutedBlock<E>,
    ) -> Result<ImportTimings, BlockError> {
        let ExecutedBlock {
            block,
            block_root,
            state,
            state_root,
            parent_slot,
            intermediate: mut ops,
            mut timings,
        } = executed;
        let _import = lock(&self.import_lock);
        // The same block may have been executed twice at once (gossip and the API).
        if self.fork_choice().contains_block(&block_root) {
            return Err(BlockError::BlockIsAlreadyKnown(block_root));
        }
        let skipped = ops.len();

        let t = Instant::now();
        let current_slot = self.current_slot()?;
        let tree_bytes = {
            let mut fc = write(&self.fork_choice);
            fc.on_tick(current_slot);
            fc.on_block(&block.message, block_root, &state)
                .map_err(BlockError::ForkChoice)?;
            for attestation in block.message.body.attestations.iter() {
                // Indices come from the post-state's committees (the attestation's epoch is
                // the state's previous or current one, as process_attestation checked).
                if let Ok(indexed) = get_indexed_attestation(&state, attestation, &self.spec) {
                    // Votes for blocks fork choice no longer holds simply don't count.
                    let _ = fc.on_attestation(&indexed.attesting_indices, &indexed.data, true);
                }
            }
            fc.persist_tree()
        };
        timings.fork_choice = t.elapsed();

        // One atomic write: the block, its post-state, the states passed on the way, and the
        // fork-choice tree that now names the block.
        let t = Instant::now();
        ops.push(StoreOp::PutBlock(block_root, block.clone()));
        ops.push(StoreOp::PutState(state_root, state.clone()));
        ops.push(fork_choice_tree_op(tree_bytes));
        if let Err(e) = self.store.do_atomically(ops) {
            // Fork choice already holds the block: put back what the disk says, so memory
            // never runs ahead of the database.
            self.reload_fork_choice_after_failed_write();
            return Err(BeaconChainError::from(e).into());
        }
        timings.store_write = t.elapsed();

        lock(&self.state_cache).insert(
            block_root,
            CachedState {
                state_root,
                state: state.clone(),
            },
        );
        self.events.send(ChainEvent::Block {
            slot: block.message.slot,
            block: block_root,
        });

        let t = Instant::now();
        let epoch_boundary = BeaconChain::<E>::epoch_of(block.message.slot)
            > BeaconChain::<E>::epoch_of(parent_slot);
        self.recompute_head_with(Some((block_root, &block)))?;
        if epoch_boundary {
            self.persist_fork_choice()?;
        }
        timings.head = t.elapsed();
        tracing::debug!(
            slot = block.message.slot,
            root = ?block_root,
            skipped,
            "Block imported"
        );
        Ok(timings)
    }

    pub(crate) fn reload_fork_choice_after_failed_write(&self) {
        match self.load_fork_choice_from_store() {
            Ok(Some(fc)) => *write(&self.fork_choice) = fc,
            Ok(None) | Err(_) => {
                tracing::error!(
                    "Database write failed and fork choice could not be reloaded; restart the node"
                )
            }
        }
    }

    /// The slot of the head block.
    pub fn head_slot(&self) -> Slot {
        self.head().slot()
    }
}
