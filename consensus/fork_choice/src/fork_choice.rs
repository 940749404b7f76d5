//! The fork-choice store and its handlers (fork-choice.md v1.0.1, "Handlers"), over the
//! [`ProtoArray`] block tree.
//!
//! <https://github.com/ethereum/consensus-specs/blob/v1.0.1/specs/phase0/fork-choice.md>
//!
//! Differences of shape, not of outcome, from the spec's `Store`:
//! - the store holds no states: `on_block` receives the block's post-state from the caller, who
//!   ran the state transition, and the justified checkpoint's balances are asked for (through a
//!   closure) only when the justified checkpoint has changed since the last head update;
//! - time is kept in slots: only slot boundaries change anything in `on_tick`, and a jump over
//!   several slots is applied one slot at a time so an epoch boundary is never skipped;
//! - `on_attestation` takes attestations whose signatures the caller already checked (gossip or
//!   block verification both do), and queues those from the current slot until the next one.

use crate::proto_array::{ProtoArray, ProtoArrayError};
use types::{
    AttestationData, BeaconBlock, BeaconState, ChainSpec, Checkpoint, Epoch, EthSpec, Hash256, Slot,
};

/// How many blocks must fall below finality before the tree is re-indexed.
const PRUNE_THRESHOLD: usize = 256;

/// Why fork choice refused a block (`on_block`'s asserts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidBlock {
    #[error("parent {parent_root:?} is unknown to fork choice")]
    UnknownParent { parent_root: Hash256 },
    #[error("block slot {block_slot} is after the current slot {current_slot}")]
    FutureSlot {
        block_slot: Slot,
        current_slot: Slot,
    },
    #[error("block slot {block_slot} is not after the finalized slot {finalized_slot}")]
    NotAfterFinalizedSlot {
        block_slot: Slot,
        finalized_slot: Slot,
    },
    #[error("block does not descend from the finalized block {finalized_root:?} (its ancestor at slot {finalized_slot} is {ancestor:?})")]
    NotDescendantOfFinalized {
        finalized_root: Hash256,
        finalized_slot: Slot,
        ancestor: Option<Hash256>,
    },
    #[error("block tree: {0}")]
    ProtoArray(#[from] ProtoArrayError),
}

/// Why fork choice refused an attestation (`validate_on_attestation`'s asserts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAttestation {
    #[error("target epoch {target_epoch} is neither the current epoch {current_epoch} nor the previous one")]
    TargetEpochNotCurrentOrPrevious {
        target_epoch: Epoch,
        current_epoch: Epoch,
    },
    #[error("target epoch {target_epoch} is not the epoch of slot {slot}")]
    TargetEpochSlotMismatch { target_epoch: Epoch, slot: Slot },
    #[error("target block {0:?} is unknown")]
    UnknownTargetRoot(Hash256),
    #[error("attested block {0:?} is unknown")]
    UnknownHeadBlock(Hash256),
    #[error(
        "attested block's slot {block_slot} is after the attestation's slot {attestation_slot}"
    )]
    AttestsToFutureBlock {
        block_slot: Slot,
        attestation_slot: Slot,
    },
    #[error("target root {target:?} is not the attested block's ancestor {ancestor:?} at the target epoch's start")]
    InvalidTarget {
        target: Hash256,
        ancestor: Option<Hash256>,
    },
}

/// Failures that are not the input's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForkChoiceError {
    #[error("block tree: {0}")]
    ProtoArray(#[from] ProtoArrayError),
    #[error("the anchor block's state_root {block:?} is not the anchor state's root {state:?}")]
    AnchorStateMismatch { block: Hash256, state: Hash256 },
    #[error("balances of the justified checkpoint {checkpoint:?} are unavailable: {reason}")]
    JustifiedBalances {
        checkpoint: Checkpoint,
        reason: String,
    },
}

/// An attestation held until the slot after its own (`validate_on_attestation`: attestations
/// can only affect the fork choice of subsequent slots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedAttestation {
    pub slot: Slot,
    pub attesting_indices: Vec<u64>,
    pub block_root: Hash256,
    pub target_epoch: Epoch,
}

/// The effective balances (zero when inactive) of the justified checkpoint's state, by
/// validator index: `get_latest_attesting_balance`'s weights.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JustifiedBalances {
    pub checkpoint: Checkpoint,
    pub balances: Vec<u64>,
}

impl JustifiedBalances {
    /// The balances of `state` for `checkpoint` (the state at the checkpoint's epoch start).
    pub fn from_state<E: EthSpec>(checkpoint: Checkpoint, state: &BeaconState<E>) -> Self {
        let epoch = state.current_epoch();
        let balances = state
            .validators
            .iter()
            .map(|v| {
                let active = v.activation_epoch <= epoch && epoch < v.exit_epoch;
                if active {
                    v.effective_balance
                } else {
                    0
                }
            })
            .collect();
        JustifiedBalances {
            checkpoint,
            balances,
        }
    }
}

/// The fork-choice store (`Store` of fork-choice.md) with its handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkChoice {
    pub(crate) proto_array: ProtoArray,
    pub(crate) slots_per_epoch: u64,
    pub(crate) safe_slots_to_update_justified: u64,
    pub(crate) current_slot: Slot,
    pub(crate) justified_checkpoint: Checkpoint,
    pub(crate) finalized_checkpoint: Checkpoint,
    pub(crate) best_justified_checkpoint: Checkpoint,
    /// None until first asked for (after a restart).
    pub(crate) justified_balances: Option<JustifiedBalances>,
    pub(crate) queued_attestations: Vec<QueuedAttestation>,
    pub(crate) head: Hash256,
}

impl ForkChoice {
    /// `get_forkchoice_store` (fork-choice.md): a store anchored at `anchor_block` (genesis or a
    /// finalized checkpoint block) and its post-state `anchor_state`, whose root the caller
    /// computed (`anchor_state_root`).
    pub fn from_anchor<E: EthSpec>(
        anchor_block: &BeaconBlock<E>,
        anchor_block_root: Hash256,
        anchor_state: &BeaconState<E>,
        anchor_state_root: Hash256,
        spec: &ChainSpec,
    ) -> Result<Self, ForkChoiceError> {
        if anchor_block.state_root != anchor_state_root {
            return Err(ForkChoiceError::AnchorStateMismatch {
                block: anchor_block.state_root,
                state: anchor_state_root,
            });
        }
        let anchor_checkpoint = Checkpoint {
            epoch: anchor_state.current_epoch(),
            root: anchor_block_root,
        };
        Ok(ForkChoice {
            proto_array: ProtoArray::new(
                anchor_block.slot,
                anchor_block_root,
                anchor_checkpoint,
                anchor_checkpoint,
            ),
            slots_per_epoch: E::slots_per_epoch(),
            safe_slots_to_update_justified: spec.safe_slots_to_update_justified,
            current_slot: anchor_state.slot,
            justified_checkpoint: anchor_checkpoint,
            finalized_checkpoint: anchor_checkpoint,
            best_justified_checkpoint: anchor_checkpoint,
            justified_balances: Some(JustifiedBalances::from_state(
                anchor_checkpoint,
                anchor_state,
            )),
            queued_attestations: Vec::new(),
            head: anchor_block_root,
        })
    }

    /// The store's justified checkpoint.
    pub fn justified_checkpoint(&self) -> Checkpoint {
        self.justified_checkpoint
    }

    /// The store's finalized checkpoint.
    pub fn finalized_checkpoint(&self) -> Checkpoint {
        self.finalized_checkpoint
    }

    /// The best justified checkpoint seen, waiting for an epoch boundary to become justified.
    pub fn best_justified_checkpoint(&self) -> Checkpoint {
        self.best_justified_checkpoint
    }

    /// `get_current_slot` (fork-choice.md) as of the last tick.
    pub fn current_slot(&self) -> Slot {
        self.current_slot
    }

    /// The head found by the last `get_head`.
    pub fn cached_head(&self) -> Hash256 {
        self.head
    }

    /// The block tree.
    pub fn proto_array(&self) -> &ProtoArray {
        &self.proto_array
    }

    /// True if fork choice knows the block (`root in store.blocks`).
    pub fn contains_block(&self, root: &Hash256) -> bool {
        self.proto_array.contains_block(root)
    }

    /// The slot of a known block.
    pub fn block_slot(&self, root: &Hash256) -> Option<Slot> {
        self.proto_array.get_node(root).map(|n| n.slot)
    }

    /// `get_ancestor` (fork-choice.md).
    pub fn get_ancestor(&self, root: &Hash256, slot: Slot) -> Option<Hash256> {
        self.proto_array.get_ancestor(root, slot)
    }

    /// True if `descendant` is `ancestor` or one of its descendants.
    pub fn is_descendant(&self, ancestor: &Hash256, descendant: &Hash256) -> bool {
        match self.proto_array.get_node(ancestor) {
            Some(node) => self.get_ancestor(descendant, node.slot) == Some(*ancestor),
            None => false,
        }
    }

    /// Attestations waiting for the slot after their own.
    pub fn queued_attestations(&self) -> &[QueuedAttestation] {
        &self.queued_attestations
    }

    fn epoch_at(&self, slot: Slot) -> Epoch {
        slot / self.slots_per_epoch
    }

    fn start_slot(&self, epoch: Epoch) -> Slot {
        epoch.saturating_mul(self.slots_per_epoch)
    }

    /// `compute_slots_since_epoch_start` (fork-choice.md).
    fn compute_slots_since_epoch_start(&self, slot: Slot) -> Slot {
        slot % self.slots_per_epoch
    }

    /// `on_tick` (fork-choice.md), at slot granularity: each slot boundary crossed is applied
    /// in turn; at an epoch start a better justified checkpoint seen meanwhile is adopted. Then
    /// the attestations whose slot has passed are applied.
    pub fn on_tick(&mut self, current_slot: Slot) {
        while self.current_slot < current_slot {
            self.current_slot += 1;
            if self.compute_slots_since_epoch_start(self.current_slot) == 0
                && self.best_justified_checkpoint.epoch > self.justified_checkpoint.epoch
            {
                self.justified_checkpoint = self.best_justified_checkpoint;
            }
        }
        self.process_queued_attestations();
    }

    /// `should_update_justified_checkpoint` (fork-choice.md): early in an epoch any better
    /// justified checkpoint is taken; later only one descending from the current one, which
    /// stops a late block from bouncing the store between justified checkpoints.
    fn should_update_justified_checkpoint(&self, new_justified: &Checkpoint) -> bool {
        if self.compute_slots_since_epoch_start(self.current_slot)
            < self.safe_slots_to_update_justified
        {
            return true;
        }
        let justified_slot = self.start_slot(self.justified_checkpoint.epoch);
        self.get_ancestor(&new_justified.root, justified_slot)
            == Some(self.justified_checkpoint.root)
    }

    /// `on_block` (fork-choice.md): the asserts, then the block joins the tree and the store's
    /// checkpoints follow its post-state. The caller ran `state_transition` (the spec's
    /// `state_transition(state, signed_block, True)` step) and passes the post-state.
    pub fn on_block<E: EthSpec>(
        &mut self,
        block: &BeaconBlock<E>,
        block_root: Hash256,
        state: &BeaconState<E>,
    ) -> Result<(), InvalidBlock> {
        self.on_block_with_checkpoints(
            block,
            block_root,
            state.current_justified_checkpoint,
            state.finalized_checkpoint,
        )
    }

    /// [`Self::on_block`] given only what it reads of the post-state: its current justified
    /// and finalized checkpoints (a chain segment's import keeps these, not every state).
    pub fn on_block_with_checkpoints<E: EthSpec>(
        &mut self,
        block: &BeaconBlock<E>,
        block_root: Hash256,
        state_justified: Checkpoint,
        state_finalized: Checkpoint,
    ) -> Result<(), InvalidBlock> {
        if !self.proto_array.contains_block(&block.parent_root) {
            return Err(InvalidBlock::UnknownParent {
                parent_root: block.parent_root,
            });
        }
        if block.slot > self.current_slot {
            return Err(InvalidBlock::FutureSlot {
                block_slot: block.slot,
                current_slot: self.current_slot,
            });
        }
        let finalized_slot = self.start_slot(self.finalized_checkpoint.epoch);
        if block.slot <= finalized_slot {
            return Err(InvalidBlock::NotAfterFinalizedSlot {
                block_slot: block.slot,
                finalized_slot,
            });
        }
        let ancestor = self.get_ancestor(&block.parent_root, finalized_slot);
        if ancestor != Some(self.finalized_checkpoint.root) {
            return Err(InvalidBlock::NotDescendantOfFinalized {
                finalized_root: self.finalized_checkpoint.root,
                finalized_slot,
                ancestor,
            });
        }

        self.proto_array.on_block(
            block.slot,
            block_root,
            block.parent_root,
            state_justified,
            state_finalized,
        )?;
        self.update_checkpoints(&state_justified, &state_finalized);
        Ok(())
    }

    /// The checkpoint updates at the end of `on_block` (fork-choice.md).
    fn update_checkpoints(&mut self, state_justified: &Checkpoint, state_finalized: &Checkpoint) {
        if state_justified.epoch > self.justified_checkpoint.epoch {
            if state_justified.epoch > self.best_justified_checkpoint.epoch {
                self.best_justified_checkpoint = *state_justified;
            }
            if self.should_update_justified_checkpoint(state_justified) {
                self.justified_checkpoint = *state_justified;
            }
        }

        if state_finalized.epoch > self.finalized_checkpoint.epoch {
            self.finalized_checkpoint = *state_finalized;
            if self.justified_checkpoint != *state_justified {
                if state_justified.epoch > self.justified_checkpoint.epoch {
                    self.justified_checkpoint = *state_justified;
                    return;
                }
                let finalized_slot = self.start_slot(self.finalized_checkpoint.epoch);
                let ancestor = self.get_ancestor(&self.justified_checkpoint.root, finalized_slot);
                if ancestor != Some(self.finalized_checkpoint.root) {
                    self.justified_checkpoint = *state_justified;
                }
            }
        }
    }

    /// `validate_on_attestation` (fork-choice.md). `is_from_block` skips the current/previous
    /// epoch rule: a block's attestations passed `process_attestation`'s own window, and an
    /// old block replayed during sync must still carry its votes.
    pub fn validate_on_attestation(
        &self,
        data: &AttestationData,
        is_from_block: bool,
    ) -> Result<(), InvalidAttestation> {
        let target = &data.target;
        if !is_from_block {
            let current_epoch = self.epoch_at(self.current_slot);
            let previous_epoch = current_epoch.saturating_sub(1);
            if target.epoch != current_epoch && target.epoch != previous_epoch {
                return Err(InvalidAttestation::TargetEpochNotCurrentOrPrevious {
                    target_epoch: target.epoch,
                    current_epoch,
                });
            }
        }
        if target.epoch != self.epoch_at(data.slot) {
            return Err(InvalidAttestation::TargetEpochSlotMismatch {
                target_epoch: target.epoch,
                slot: data.slot,
            });
        }
        if !self.proto_array.contains_block(&target.root) {
            return Err(InvalidAttestation::UnknownTargetRoot(target.root));
        }
        let block_slot = self
            .block_slot(&data.beacon_block_root)
            .ok_or(InvalidAttestation::UnknownHeadBlock(data.beacon_block_root))?;
        if block_slot > data.slot {
            return Err(InvalidAttestation::AttestsToFutureBlock {
                block_slot,
                attestation_slot: data.slot,
            });
        }
        let ancestor = self.get_ancestor(&data.beacon_block_root, self.start_slot(target.epoch));
        if ancestor != Some(target.root) {
            return Err(InvalidAttestation::InvalidTarget {
                target: target.root,
                ancestor,
            });
        }
        Ok(())
    }

    /// `on_attestation` (fork-choice.md) for an attestation whose signature the caller verified
    /// against the target checkpoint's state: record the attesters' latest messages, or queue
    /// them until the slot after the attestation's (`get_current_slot(store) >= slot + 1`).
    pub fn on_attestation(
        &mut self,
        attesting_indices: &[u64],
        data: &AttestationData,
        is_from_block: bool,
    ) -> Result<(), InvalidAttestation> {
        self.validate_on_attestation(data, is_from_block)?;
        if self.current_slot <= data.slot {
            self.queued_attestations.push(QueuedAttestation {
                slot: data.slot,
                attesting_indices: attesting_indices.to_vec(),
                block_root: data.beacon_block_root,
                target_epoch: data.target.epoch,
            });
        } else {
            self.update_latest_messages(
                attesting_indices,
                data.beacon_block_root,
                data.target.epoch,
            );
        }
        Ok(())
    }

    /// `update_latest_messages` (fork-choice.md).
    fn update_latest_messages(
        &mut self,
        indices: &[u64],
        block_root: Hash256,
        target_epoch: Epoch,
    ) {
        for &index in indices {
            if let Ok(index) = usize::try_from(index) {
                self.proto_array
                    .process_attestation(index, block_root, target_epoch);
            }
        }
    }

    fn process_queued_attestations(&mut self) {
        let current_slot = self.current_slot;
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.queued_attestations)
            .into_iter()
            .partition(|a| a.slot < current_slot);
        self.queued_attestations = waiting;
        for a in ready {
            self.update_latest_messages(&a.attesting_indices, a.block_root, a.target_epoch);
        }
    }

    /// The justified checkpoint `get_head(current_slot)` will weigh votes with, if its
    /// balances are not the ones held: the caller can fetch them before it takes the lock
    /// that `get_head` runs under. Mirrors `on_tick`'s rule: an epoch start passed on the
    /// way brings in the best justified checkpoint when it is newer.
    pub fn justified_balances_needed(&self, current_slot: Slot) -> Option<Checkpoint> {
        let crosses_epoch_start = current_slot > self.current_slot
            && self.epoch_at(current_slot) > self.epoch_at(self.current_slot);
        let justified = if crosses_epoch_start
            && self.best_justified_checkpoint.epoch > self.justified_checkpoint.epoch
        {
            self.best_justified_checkpoint
        } else {
            self.justified_checkpoint
        };
        match &self.justified_balances {
            Some(held) if held.checkpoint == justified => None,
            _ => Some(justified),
        }
    }

    /// `get_head` (fork-choice.md) at `current_slot`. `justified_balances` is called only when
    /// the justified checkpoint changed since the balances were last taken; it returns the
    /// balances of the checkpoint's state.
    pub fn get_head<F>(
        &mut self,
        current_slot: Slot,
        justified_balances: F,
    ) -> Result<Hash256, ForkChoiceError>
    where
        F: FnOnce(&Checkpoint) -> Result<JustifiedBalances, String>,
    {
        self.on_tick(current_slot);
        let checkpoint = self.justified_checkpoint;
        let balances = match self.justified_balances.take() {
            Some(cached) if cached.checkpoint == checkpoint => cached,
            _ => justified_balances(&checkpoint)
                .map_err(|reason| ForkChoiceError::JustifiedBalances { checkpoint, reason })?,
        };
        let balances = self.justified_balances.insert(balances);
        self.head = self.proto_array.find_head(
            self.justified_checkpoint,
            self.finalized_checkpoint,
            &balances.balances,
        )?;
        Ok(self.head)
    }

    /// The blocks that finality abandoned (neither ancestors nor descendants of the finalized
    /// block), to delete from the database before `prune` forgets them.
    pub fn abandoned_blocks(&self) -> Vec<Hash256> {
        self.proto_array
            .abandoned_blocks(&self.finalized_checkpoint.root)
    }

    /// Forget the blocks below the finalized block, once enough have accumulated.
    pub fn prune(&mut self) -> Result<(), ForkChoiceError> {
        Ok(self
            .proto_array
            .maybe_prune(self.finalized_checkpoint.root, PRUNE_THRESHOLD)?)
    }

    /// A validator's latest message (`store.latest_messages[i]`): epoch and root.
    pub fn latest_message(&self, validator_index: usize) -> Option<(Epoch, Hash256)> {
        let vote = self.proto_array.votes().get(validator_index)?;
        vote.next_root.map(|root| (vote.next_epoch, root))
    }
}

impl std::fmt::Display for ForkChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "head {:?} justified {} finalized {} blocks {}",
            self.head,
            self.justified_checkpoint.epoch,
            self.finalized_checkpoint.epoch,
            self.proto_array.len()
        )
    }
}

#[cfg(test)]
mod tests;
