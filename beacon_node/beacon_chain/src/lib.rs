//! The beacon chain: verification and import of blocks and attestations, fork choice, the
//! database, block production and the canonical head (issue 3).
//!
//! Where things are:
//! - [`beacon_chain`]: the `BeaconChain` struct, state access and caches, head updates and
//!   finalization;
//! - [`block_verification`]: the `beacon_block` gossip rules and block import;
//! - [`chain_segment`]: import of consecutive blocks from sync, their signatures in one batch;
//! - [`historical_blocks`]: backfill of the blocks before a checkpoint anchor;
//! - [`attestation_verification`]: the attestation and aggregate gossip rules, fork choice
//!   votes and the pool;
//! - [`block_production`]: blocks and attestation data for our validators;
//! - [`operation_verification`]: the exit and slashing gossip rules;
//! - [`pending`]: blocks and attestations waiting for a block the node has not seen;
//! - [`builder`]: genesis, anchors and resuming from the database;
//! - [`harness`]: interop validators driving a chain in-process (tests, `lcli simulate`,
//!   benchmarks).

pub mod attestation_verification;
pub mod beacon_chain;
pub mod block_production;
pub mod block_verification;
pub mod builder;
pub mod caches;
pub mod chain_segment;
pub mod errors;
pub mod eth1_source;
pub mod events;
pub mod harness;
pub mod historical_blocks;
mod metrics;
mod observed;
pub mod operation_verification;
pub mod pending;
pub use slot_clock;

pub use crate::beacon_chain::{BeaconChain, CanonicalHead};
pub use attestation_verification::{
    VerifiedAggregatedAttestation, VerifiedUnaggregatedAttestation,
};
pub use block_verification::{GossipVerifiedBlock, ImportTimings};
pub use chain_segment::{ChainSegmentResult, SegmentTimings};
pub use errors::{AttestationError, BeaconChainError, BlockError, GossipAction};
pub use eth1_source::Eth1Source;
pub use events::{ChainEvent, EventHandler};
pub use historical_blocks::{HistoricalBlockError, HistoricalImport};
pub use operation_verification::OperationError;
pub use slot_clock::{ManualSlotClock, SlotClock, SystemTimeSlotClock};

/// The database the chain runs on.
pub type ChainStore<E> = store::HotColdDB<E>;
