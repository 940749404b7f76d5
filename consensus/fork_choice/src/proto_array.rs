//! The block tree as an array in insertion order (parents before children), each node keeping
//! its subtree weight and the best leaf below it.
//!
//! `get_head` of fork-choice.md walks down from the justified block choosing, at each step,
//! the child with the most weight among those whose subtree has a viable leaf, ties going to
//! the higher root. Here each node remembers that choice (`best_child`) and where it leads
//! (`best_descendant`), refreshed in one backwards pass whenever weights change.

use std::collections::HashMap;
use types::{Checkpoint, Epoch, Hash256, Slot};

/// Why a fork-choice operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoArrayError {
    #[error("unknown block {0:?}")]
    UnknownBlock(Hash256),
    #[error("the justified block {0:?} is unknown")]
    UnknownJustifiedBlock(Hash256),
    #[error(
        "the head {head:?} is not viable (store justified {justified:?}, finalized {finalized:?})"
    )]
    HeadNotViable {
        head: Hash256,
        justified: Checkpoint,
        finalized: Checkpoint,
    },
    #[error("{deltas} weight deltas for {nodes} nodes")]
    DeltaCountMismatch { deltas: usize, nodes: usize },
    #[error("weight of {root:?} would overflow or go negative")]
    WeightOverflow { root: Hash256 },
    #[error("node index {0} out of range")]
    NodeIndex(usize),
}

/// One block of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoNode {
    pub slot: Slot,
    pub root: Hash256,
    pub parent: Option<usize>,
    /// The current justified and finalized checkpoints of the block's post-state (for the
    /// FFG filter).
    pub justified_checkpoint: Checkpoint,
    pub finalized_checkpoint: Checkpoint,
    /// Sum of the balances of validators whose latest vote is this block or a descendant.
    pub weight: u64,
    pub best_child: Option<usize>,
    pub best_descendant: Option<usize>,
}

/// A validator's latest message: the vote applied to the weights (`current_root`) and the one
/// to apply at the next head update (`next_root`, from the attestation with `next_epoch`).
/// `None` roots mean "no latest message yet" (the spec's `i not in store.latest_messages`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoteTracker {
    pub current_root: Option<Hash256>,
    pub next_root: Option<Hash256>,
    pub next_epoch: Epoch,
}

/// The tree of blocks since finality, with incrementally maintained LMD-GHOST weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoArray {
    /// The store's justified and finalized checkpoints as of the last weight update.
    pub justified_checkpoint: Checkpoint,
    pub finalized_checkpoint: Checkpoint,
    nodes: Vec<ProtoNode>,
    indices: HashMap<Hash256, usize>,
    votes: Vec<VoteTracker>,
    /// The balances the current weights were computed with.
    balances: Vec<u64>,
}

impl ProtoArray {
    /// A tree holding only the anchor block (genesis or a finalized checkpoint block).
    pub fn new(
        anchor_slot: Slot,
        anchor_root: Hash256,
        justified_checkpoint: Checkpoint,
        finalized_checkpoint: Checkpoint,
    ) -> Self {
        let mut array = ProtoArray {
            justified_checkpoint,
            finalized_checkpoint,
            nodes: Vec::new(),
            indices: HashMap::new(),
            votes: Vec::new(),
            balances: Vec::new(),
        };
        array.push_node(
            anchor_slot,
            anchor_root,
            None,
            justified_checkpoint,
            finalized_checkpoint,
        );
        array
    }

    fn push_node(
        &mut self,
        slot: Slot,
        root: Hash256,
        parent: Option<usize>,
        justified_checkpoint: Checkpoint,
        finalized_checkpoint: Checkpoint,
    ) {
        let index = self.nodes.len();
        self.nodes.push(ProtoNode {
            slot,
            root,
            parent,
            justified_checkpoint,
            finalized_checkpoint,
            weight: 0,
            best_child: None,
            best_descendant: None,
        });
        self.indices.insert(root, index);
    }

    /// Number of blocks in the tree.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True only for an empty tree (never, once constructed).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// True if `root` is in the tree.
    pub fn contains_block(&self, root: &Hash256) -> bool {
        self.indices.contains_key(root)
    }

    /// The node for `root`.
    pub fn get_node(&self, root: &Hash256) -> Option<&ProtoNode> {
        self.indices.get(root).and_then(|&i| self.nodes.get(i))
    }

    /// Add a block whose parent is already in the tree (the caller checked the other
    /// `on_block` rules). A block already present is ignored.
    pub fn on_block(
        &mut self,
        slot: Slot,
        root: Hash256,
        parent_root: Hash256,
        justified_checkpoint: Checkpoint,
        finalized_checkpoint: Checkpoint,
    ) -> Result<(), ProtoArrayError> {
        if self.indices.contains_key(&root) {
            return Ok(());
        }
        let parent = *self
            .indices
            .get(&parent_root)
            .ok_or(ProtoArrayError::UnknownBlock(parent_root))?;
        self.push_node(
            slot,
            root,
            Some(parent),
            justified_checkpoint,
            finalized_checkpoint,
        );
        let child = self.nodes.len() - 1;
        self.maybe_update_best_child_and_descendant(parent, child)
    }

    /// Record a validator's latest message (`on_attestation`'s `update_latest_messages`): only
    /// a vote for a later target epoch replaces the previous one. Applied at the next `find_head`.
    pub fn process_attestation(
        &mut self,
        validator_index: usize,
        block_root: Hash256,
        target_epoch: Epoch,
    ) {
        if validator_index >= self.votes.len() {
            self.votes
                .resize(validator_index + 1, VoteTracker::default());
        }
        let vote = &mut self.votes[validator_index];
        if vote.next_root.is_none() || target_epoch > vote.next_epoch {
            vote.next_root = Some(block_root);
            vote.next_epoch = target_epoch;
        }
    }

    /// `get_head` (fork-choice.md): apply the changed votes and balances as weight deltas, then
    /// follow the best descendant of the justified block.
    pub fn find_head(
        &mut self,
        justified_checkpoint: Checkpoint,
        finalized_checkpoint: Checkpoint,
        justified_balances: &[u64],
    ) -> Result<Hash256, ProtoArrayError> {
        let deltas = self.compute_deltas(justified_balances);
        self.balances.clear();
        self.balances.extend_from_slice(justified_balances);
        self.apply_score_changes(&deltas, justified_checkpoint, finalized_checkpoint)?;
        let justified_root = justified_checkpoint.root;

        let justified_index = *self
            .indices
            .get(&justified_root)
            .ok_or(ProtoArrayError::UnknownJustifiedBlock(justified_root))?;
        let justified = self
            .nodes
            .get(justified_index)
            .ok_or(ProtoArrayError::NodeIndex(justified_index))?;
        // With no viable leaf below it, the spec's get_head stops at the justified block itself.
        let Some(best_index) = justified.best_descendant else {
            return Ok(justified_root);
        };
        let best = self
            .nodes
            .get(best_index)
            .ok_or(ProtoArrayError::NodeIndex(best_index))?;
        if !self.node_is_viable_for_head(best) {
            return Err(ProtoArrayError::HeadNotViable {
                head: best.root,
                justified: self.justified_checkpoint,
                finalized: self.finalized_checkpoint,
            });
        }
        Ok(best.root)
    }

    /// The change of each node's own vote weight since the last update: for every validator
    /// whose vote or balance changed, its old balance leaves the old root and its new balance
    /// joins the new root. Votes for blocks not in the tree (pruned) simply drop out.
    fn compute_deltas(&mut self, new_balances: &[u64]) -> Vec<i128> {
        let mut deltas = vec![0i128; self.nodes.len()];
        for (validator, vote) in self.votes.iter_mut().enumerate() {
            if vote.next_root.is_none() {
                continue;
            }
            let old_balance = self.balances.get(validator).copied().unwrap_or(0);
            let new_balance = new_balances.get(validator).copied().unwrap_or(0);
            if vote.current_root == vote.next_root && old_balance == new_balance {
                continue;
            }
            if let Some(&i) = vote.current_root.and_then(|r| self.indices.get(&r)) {
                deltas[i] -= old_balance as i128;
            }
            if let Some(&i) = vote.next_root.and_then(|r| self.indices.get(&r)) {
                deltas[i] += new_balance as i128;
            }
            vote.current_root = vote.next_root;
        }
        deltas
    }

    /// Two backwards passes over the nodes. The first adds each node's delta to its weight and
    /// passes it to the parent, so every weight is final; only then does the second refresh
    /// each parent's best child and descendant (children come after parents, so a node's own
    /// best descendant is settled before its parent looks at it). Doing both in one pass would
    /// compare a sibling against a weight not yet updated.
    fn apply_score_changes(
        &mut self,
        deltas: &[i128],
        justified_checkpoint: Checkpoint,
        finalized_checkpoint: Checkpoint,
    ) -> Result<(), ProtoArrayError> {
        if deltas.len() != self.nodes.len() {
            return Err(ProtoArrayError::DeltaCountMismatch {
                deltas: deltas.len(),
                nodes: self.nodes.len(),
            });
        }
        self.justified_checkpoint = justified_checkpoint;
        self.finalized_checkpoint = finalized_checkpoint;
        let mut deltas = deltas.to_vec();
        for index in (0..self.nodes.len()).rev() {
            let node = &mut self.nodes[index];
            let delta = deltas[index];
            let weight = (node.weight as i128)
                .checked_add(delta)
                .filter(|w| (0..=u64::MAX as i128).contains(w))
                .ok_or(ProtoArrayError::WeightOverflow { root: node.root })?;
            node.weight = weight as u64;
            if let Some(parent) = node.parent {
                deltas[parent] += delta;
            }
        }
        for index in (0..self.nodes.len()).rev() {
            if let Some(parent) = self.nodes[index].parent {
                self.maybe_update_best_child_and_descendant(parent, index)?;
            }
        }
        Ok(())
    }

    /// `filter_block_tree`'s test for a leaf (fork-choice.md): its state agrees with the
    /// store's justified and finalized checkpoints (epoch and root), or the store's are still
    /// at genesis.
    fn node_is_viable_for_head(&self, node: &ProtoNode) -> bool {
        let genesis = types::ChainSpec::GENESIS_EPOCH;
        (node.justified_checkpoint == self.justified_checkpoint
            || self.justified_checkpoint.epoch == genesis)
            && (node.finalized_checkpoint == self.finalized_checkpoint
                || self.finalized_checkpoint.epoch == genesis)
    }

    /// True if the node's subtree contains a viable leaf.
    fn node_leads_to_viable_head(&self, node: &ProtoNode) -> Result<bool, ProtoArrayError> {
        let best_descendant_viable = match node.best_descendant {
            Some(i) => self
                .node_is_viable_for_head(self.nodes.get(i).ok_or(ProtoArrayError::NodeIndex(i))?),
            None => false,
        };
        Ok(best_descendant_viable || self.node_is_viable_for_head(node))
    }

    /// Make `child` the parent's best child if it leads to a viable head and beats the current
    /// best child on weight (ties: higher root); keep `best_descendant` consistent.
    fn maybe_update_best_child_and_descendant(
        &mut self,
        parent: usize,
        child: usize,
    ) -> Result<(), ProtoArrayError> {
        let child_node = self
            .nodes
            .get(child)
            .ok_or(ProtoArrayError::NodeIndex(child))?;
        let child_viable = self.node_leads_to_viable_head(child_node)?;
        let child_leads_to = child_node.best_descendant.unwrap_or(child);
        let as_best = (Some(child), Some(child_leads_to));
        let parent_node = self
            .nodes
            .get(parent)
            .ok_or(ProtoArrayError::NodeIndex(parent))?;

        let new = match parent_node.best_child {
            Some(best) if best == child => {
                if child_viable {
                    as_best
                } else {
                    (None, None)
                }
            }
            Some(best) => {
                let best_node = self
                    .nodes
                    .get(best)
                    .ok_or(ProtoArrayError::NodeIndex(best))?;
                let best_viable = self.node_leads_to_viable_head(best_node)?;
                let keep = (parent_node.best_child, parent_node.best_descendant);
                match (child_viable, best_viable) {
                    (true, false) => as_best,
                    (false, _) => keep,
                    (true, true) => {
                        let child_wins = (child_node.weight, child_node.root)
                            > (best_node.weight, best_node.root);
                        if child_wins {
                            as_best
                        } else {
                            keep
                        }
                    }
                }
            }
            None => {
                if child_viable {
                    as_best
                } else {
                    (None, None)
                }
            }
        };
        let parent_node = &mut self.nodes[parent];
        parent_node.best_child = new.0;
        parent_node.best_descendant = new.1;
        Ok(())
    }

    /// The blocks in insertion order (parents first).
    pub fn nodes(&self) -> &[ProtoNode] {
        &self.nodes
    }

    /// The latest message of each validator, by validator index.
    pub fn votes(&self) -> &[VoteTracker] {
        &self.votes
    }

    /// Rebuild a tree from persisted nodes (parents first) and latest messages. Weights and
    /// best children are recomputed from scratch at the next `find_head`, so only the tree's
    /// shape and the votes need to survive a restart.
    pub fn from_parts(
        justified_checkpoint: Checkpoint,
        finalized_checkpoint: Checkpoint,
        nodes: Vec<(Slot, Hash256, Option<usize>, Checkpoint, Checkpoint)>,
        votes: Vec<(Option<Hash256>, Epoch)>,
    ) -> Result<Self, ProtoArrayError> {
        if nodes.is_empty() {
            return Err(ProtoArrayError::NodeIndex(0));
        }
        let mut array = ProtoArray {
            justified_checkpoint,
            finalized_checkpoint,
            nodes: Vec::with_capacity(nodes.len()),
            indices: HashMap::with_capacity(nodes.len()),
            votes: votes
                .into_iter()
                .map(|(next_root, next_epoch)| VoteTracker {
                    current_root: None,
                    next_root,
                    next_epoch,
                })
                .collect(),
            balances: Vec::new(),
        };
        for (index, (slot, root, parent, justified, finalized)) in nodes.into_iter().enumerate() {
            // A parent must come first, or the backwards passes would miss it.
            if parent.is_some_and(|p| p >= index) {
                return Err(ProtoArrayError::NodeIndex(index));
            }
            array.push_node(slot, root, parent, justified, finalized);
        }
        Ok(array)
    }

    /// The blocks that are neither ancestors nor descendants of `finalized_root`: forks that
    /// finality abandoned, for the database to delete.
    pub fn abandoned_blocks(&self, finalized_root: &Hash256) -> Vec<Hash256> {
        let Some(&finalized) = self.indices.get(finalized_root) else {
            return Vec::new();
        };
        let mut canonical = vec![false; self.nodes.len()];
        let mut cursor = Some(finalized);
        while let Some(i) = cursor {
            canonical[i] = true;
            cursor = self.nodes[i].parent;
        }
        for i in finalized + 1..self.nodes.len() {
            canonical[i] = self.nodes[i]
                .parent
                .is_some_and(|p| canonical[p] && p >= finalized);
        }
        self.nodes
            .iter()
            .zip(canonical)
            .filter(|(_, keep)| !keep)
            .map(|(node, _)| node.root)
            .collect()
    }

    /// `get_ancestor` (fork-choice.md): the root of `root`'s ancestor at `slot` (the block at
    /// or before it), if the tree still holds it.
    pub fn get_ancestor(&self, root: &Hash256, slot: Slot) -> Option<Hash256> {
        let mut node = self.get_node(root)?;
        loop {
            if node.slot <= slot {
                return Some(node.root);
            }
            node = self.nodes.get(node.parent?)?;
        }
    }

    /// Drop every block that is not the finalized block or its descendant, once at least
    /// `threshold` nodes would go (pruning is a full re-index, so it is batched).
    pub fn maybe_prune(
        &mut self,
        finalized_root: Hash256,
        threshold: usize,
    ) -> Result<(), ProtoArrayError> {
        let finalized = *self
            .indices
            .get(&finalized_root)
            .ok_or(ProtoArrayError::UnknownBlock(finalized_root))?;
        if finalized < threshold {
            return Ok(());
        }
        // Parents precede children, so one forward pass finds the descendants.
        let mut keep = vec![false; self.nodes.len()];
        keep[finalized] = true;
        for i in finalized + 1..self.nodes.len() {
            keep[i] = self.nodes[i].parent.is_some_and(|p| keep[p]);
        }
        let mut new_index = vec![None; self.nodes.len()];
        let mut kept = Vec::new();
        for (i, node) in self.nodes.drain(..).enumerate() {
            if keep[i] {
                new_index[i] = Some(kept.len());
                kept.push(node);
            }
        }
        for node in &mut kept {
            node.parent = node.parent.and_then(|p| new_index[p]);
            node.best_child = node.best_child.and_then(|c| new_index[c]);
            node.best_descendant = node.best_descendant.and_then(|d| new_index[d]);
        }
        self.indices = kept.iter().enumerate().map(|(i, n)| (n.root, i)).collect();
        self.nodes = kept;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
