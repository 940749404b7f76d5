//! The events the REST API streams on `/eth/v1/events` (beacon-APIs, phase 0 topics).
//!
//! A `tokio::sync::broadcast` channel per topic: sending never blocks the chain, works without
//! a runtime, and a subscriber that falls behind loses old events rather than slowing import.

use tokio::sync::broadcast;
use types::{Attestation, Epoch, EthSpec, Hash256, SignedVoluntaryExit, Slot};

const CHANNEL_CAPACITY: usize = 256;

/// One event, as the API's SSE stream names them.
#[derive(Debug, Clone)]
pub enum ChainEvent<E: EthSpec> {
    Head {
        slot: Slot,
        block: Hash256,
        state: Hash256,
        epoch_transition: bool,
        /// `get_block_root_at_slot(state, compute_start_slot_at_epoch(epoch - 1) - 1)`.
        previous_duty_dependent_root: Hash256,
        /// `get_block_root_at_slot(state, compute_start_slot_at_epoch(epoch) - 1)`.
        current_duty_dependent_root: Hash256,
    },
    Block {
        slot: Slot,
        block: Hash256,
    },
    Attestation(Box<Attestation<E>>),
    VoluntaryExit(SignedVoluntaryExit),
    FinalizedCheckpoint {
        block: Hash256,
        state: Hash256,
        epoch: Epoch,
    },
    ChainReorg {
        slot: Slot,
        depth: u64,
        old_head_block: Hash256,
        new_head_block: Hash256,
        old_head_state: Hash256,
        new_head_state: Hash256,
        epoch: Epoch,
    },
}

impl<E: EthSpec> ChainEvent<E> {
    /// The SSE topic name.
    pub fn topic(&self) -> &'static str {
        match self {
            ChainEvent::Head { .. } => "head",
            ChainEvent::Block { .. } => "block",
            ChainEvent::Attestation(_) => "attestation",
            ChainEvent::VoluntaryExit(_) => "voluntary_exit",
            ChainEvent::FinalizedCheckpoint { .. } => "finalized_checkpoint",
            ChainEvent::ChainReorg { .. } => "chain_reorg",
        }
    }
}

/// Fan-out of chain events to any number of subscribers.
#[derive(Debug)]
pub struct EventHandler<E: EthSpec> {
    sender: broadcast::Sender<ChainEvent<E>>,
}

impl<E: EthSpec> Default for EventHandler<E> {
    fn default() -> Self {
        EventHandler {
            sender: broadcast::channel(CHANNEL_CAPACITY).0,
        }
    }
}

impl<E: EthSpec> EventHandler<E> {
    /// Publish an event; nobody listening is fine.
    pub fn send(&self, event: ChainEvent<E>) {
        let _ = self.sender.send(event);
    }

    /// A new subscriber, seeing events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ChainEvent<E>> {
        self.sender.subscribe()
    }

    /// True if anyone listens (lets callers skip building costly events).
    pub fn has_subscribers(&self) -> bool {
        self.sender.receiver_count() > 0
    }
}
