//! Fork choice on disk. Two items, because they change at different rates and cost different
//! amounts:
//! - the tree (`PersistedForkChoice`): checkpoints, the blocks since finality and the
//!   queued attestations, a few KiB, written in the same database batch as each block, so the
//!   tree on disk never names a block the database lacks;
//! - the latest messages (`PersistedVotes`): one entry per validator (a MiB at 16,384
//!   validators), written at epoch boundaries and at shutdown. Older votes after a crash are
//!   still real votes; the head settles again as new attestations arrive.
//!
//! Weights are not stored: they are recomputed from the votes at the first head update.

use crate::fork_choice::{ForkChoice, QueuedAttestation};
use crate::proto_array::{ProtoArray, ProtoArrayError};
use ssz::{Decode, Encode};
use ssz_derive::{Decode, Encode};
use types::{ChainSpec, Checkpoint, Epoch, EthSpec, Hash256, Slot};

/// `parent` of the root node.
const NO_PARENT: u64 = u64::MAX;

/// Why a persisted fork choice could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersistenceError {
    #[error("fork choice bytes do not decode: {0}")]
    Decode(String),
    #[error("persisted block tree is malformed: {0}")]
    Tree(#[from] ProtoArrayError),
}

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct PersistedNode {
    slot: Slot,
    root: Hash256,
    parent: u64,
    justified_checkpoint: Checkpoint,
    finalized_checkpoint: Checkpoint,
}

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct PersistedQueuedAttestation {
    slot: Slot,
    attesting_indices: Vec<u64>,
    block_root: Hash256,
    target_epoch: Epoch,
}

/// The tree and checkpoints of a [`ForkChoice`], SSZ-encoded.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct PersistedForkChoice {
    current_slot: Slot,
    justified_checkpoint: Checkpoint,
    finalized_checkpoint: Checkpoint,
    best_justified_checkpoint: Checkpoint,
    head: Hash256,
    nodes: Vec<PersistedNode>,
    queued_attestations: Vec<PersistedQueuedAttestation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct PersistedVote {
    has_vote: bool,
    root: Hash256,
    epoch: Epoch,
}

/// The latest messages of a [`ForkChoice`], SSZ-encoded.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct PersistedVotes {
    votes: Vec<PersistedVote>,
}

impl ForkChoice {
    /// The tree and checkpoints as bytes (see the module docs for when to write them).
    pub fn persist_tree(&self) -> Vec<u8> {
        let nodes = self.proto_array.nodes();
        PersistedForkChoice {
            current_slot: self.current_slot,
            justified_checkpoint: self.justified_checkpoint,
            finalized_checkpoint: self.finalized_checkpoint,
            best_justified_checkpoint: self.best_justified_checkpoint,
            head: self.head,
            nodes: nodes
                .iter()
                .map(|n| PersistedNode {
                    slot: n.slot,
                    root: n.root,
                    parent: n.parent.map_or(NO_PARENT, |p| p as u64),
                    justified_checkpoint: n.justified_checkpoint,
                    finalized_checkpoint: n.finalized_checkpoint,
                })
                .collect(),
            queued_attestations: self
                .queued_attestations
                .iter()
                .map(|a| PersistedQueuedAttestation {
                    slot: a.slot,
                    attesting_indices: a.attesting_indices.clone(),
                    block_root: a.block_root,
                    target_epoch: a.target_epoch,
                })
                .collect(),
        }
        .as_ssz_bytes()
    }

    /// The latest messages as bytes.
    pub fn persist_votes(&self) -> Vec<u8> {
        PersistedVotes {
            votes: self
                .proto_array
                .votes()
                .iter()
                .map(|v| PersistedVote {
                    has_vote: v.next_root.is_some(),
                    root: v.next_root.unwrap_or_default(),
                    epoch: v.next_epoch,
                })
                .collect(),
        }
        .as_ssz_bytes()
    }

    /// Rebuild fork choice from `persist_tree` bytes and, if present, `persist_votes` bytes.
    /// The justified balances are asked for again at the first `get_head`.
    pub fn from_persisted<E: EthSpec>(
        tree: &[u8],
        votes: Option<&[u8]>,
        spec: &ChainSpec,
    ) -> Result<Self, PersistenceError> {
        let tree = PersistedForkChoice::from_ssz_bytes(tree)
            .map_err(|e| PersistenceError::Decode(format!("tree: {e:?}")))?;
        let votes = match votes {
            Some(bytes) => {
                PersistedVotes::from_ssz_bytes(bytes)
                    .map_err(|e| PersistenceError::Decode(format!("votes: {e:?}")))?
                    .votes
            }
            None => Vec::new(),
        };
        let nodes = tree
            .nodes
            .into_iter()
            .map(|n| {
                let parent = (n.parent != NO_PARENT).then_some(n.parent as usize);
                (
                    n.slot,
                    n.root,
                    parent,
                    n.justified_checkpoint,
                    n.finalized_checkpoint,
                )
            })
            .collect();
        let votes = votes
            .into_iter()
            .map(|v| (v.has_vote.then_some(v.root), v.epoch))
            .collect();
        let proto_array = ProtoArray::from_parts(
            tree.justified_checkpoint,
            tree.finalized_checkpoint,
            nodes,
            votes,
        )?;
        Ok(ForkChoice {
            proto_array,
            slots_per_epoch: E::slots_per_epoch(),
            safe_slots_to_update_justified: spec.safe_slots_to_update_justified,
            current_slot: tree.current_slot,
            justified_checkpoint: tree.justified_checkpoint,
            finalized_checkpoint: tree.finalized_checkpoint,
            best_justified_checkpoint: tree.best_justified_checkpoint,
            justified_balances: None,
            queued_attestations: tree
                .queued_attestations
                .into_iter()
                .map(|a| QueuedAttestation {
                    slot: a.slot,
                    attesting_indices: a.attesting_indices,
                    block_root: a.block_root,
                    target_epoch: a.target_epoch,
                })
                .collect(),
            head: tree.head,
        })
    }
}
