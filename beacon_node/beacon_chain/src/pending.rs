//! Messages waiting for a block the node has not seen yet: blocks whose parent is unknown and
//! attestations voting for an unknown block. p2p-interface.md lets a client IGNORE them and
//! queue them until the block arrives (networking fetches it by root); when the chain imports
//! that block, it re-runs the full verification of everything that waited for it.
//!
//! Bounded: at most `MAX_PER_ROOT` messages per missing root and `MAX_ROOTS` roots, oldest
//! roots dropped first, so a peer inventing roots cannot grow it.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use types::{Attestation, EthSpec, Hash256, SignedAggregateAndProof, SignedBeaconBlock};

const MAX_ROOTS: usize = 64;
const MAX_PER_ROOT: usize = 256;

/// Something waiting for a block.
#[derive(Debug, Clone)]
pub enum PendingMessage<E: EthSpec> {
    /// A block whose parent is the missing block.
    Block(Arc<SignedBeaconBlock<E>>),
    /// An attestation (and the subnet it came on) voting for the missing block.
    Attestation(Box<Attestation<E>>, Option<u64>),
    /// An aggregate voting for the missing block.
    Aggregate(Box<SignedAggregateAndProof<E>>),
}

/// Messages by the root of the block they wait for.
#[derive(Debug)]
pub struct PendingQueue<E: EthSpec> {
    by_root: HashMap<Hash256, Vec<PendingMessage<E>>>,
    order: VecDeque<Hash256>,
}

impl<E: EthSpec> Default for PendingQueue<E> {
    fn default() -> Self {
        PendingQueue {
            by_root: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<E: EthSpec> PendingQueue<E> {
    /// Hold `message` until block `root` is imported. Returns false if it was dropped.
    pub fn push(&mut self, root: Hash256, message: PendingMessage<E>) -> bool {
        if !self.by_root.contains_key(&root) {
            if self.order.len() >= MAX_ROOTS {
                if let Some(oldest) = self.order.pop_front() {
                    self.by_root.remove(&oldest);
                }
            }
            self.order.push_back(root);
        }
        let waiting = self.by_root.entry(root).or_default();
        if waiting.len() >= MAX_PER_ROOT {
            return false;
        }
        waiting.push(message);
        true
    }

    /// Everything that waited for `root`.
    pub fn take(&mut self, root: &Hash256) -> Vec<PendingMessage<E>> {
        match self.by_root.remove(root) {
            Some(messages) => {
                self.order.retain(|r| r != root);
                messages
            }
            None => Vec::new(),
        }
    }

    /// The missing block roots, oldest first (what networking should fetch).
    pub fn missing_roots(&self) -> Vec<Hash256> {
        self.order.iter().copied().collect()
    }

    /// Number of messages held.
    pub fn len(&self) -> usize {
        self.by_root.values().map(Vec::len).sum()
    }

    /// True if nothing waits.
    pub fn is_empty(&self) -> bool {
        self.by_root.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MinimalEthSpec;

    #[test]
    fn bounded_by_roots_and_per_root() {
        let mut q = PendingQueue::<MinimalEthSpec>::default();
        let msg = || {
            PendingMessage::Attestation(
                Box::new(types::Attestation {
                    aggregation_bits: types::BitList::with_capacity(1).unwrap(),
                    data: Default::default(),
                    signature: Default::default(),
                }),
                None,
            )
        };
        for i in 0..(MAX_ROOTS as u8 + 1) {
            assert!(q.push(Hash256::repeat_byte(i), msg()));
        }
        assert_eq!(q.missing_roots().len(), MAX_ROOTS);
        assert!(
            q.take(&Hash256::repeat_byte(0)).is_empty(),
            "the oldest root was dropped"
        );
        let root = Hash256::repeat_byte(1);
        for _ in 1..MAX_PER_ROOT {
            assert!(q.push(root, msg()));
        }
        assert!(!q.push(root, msg()));
        assert_eq!(q.take(&root).len(), MAX_PER_ROOT);
        assert!(q.take(&root).is_empty());
    }
}
