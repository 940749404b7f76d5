//! Fork choice (consensus-specs v1.0.1, `specs/phase0/fork-choice.md`).
//!
//! [`proto_array`] is the block tree with LMD-GHOST weights kept incrementally: latest-message
//! votes become weight *deltas*, so a head update costs the votes that changed plus one
//! backwards pass over the nodes since finality, never a recount of all attestations.
//! [`ForkChoice`] is the spec's store with its handlers (`on_tick`, `on_block`,
//! `on_attestation`, `get_head`) on top; [`persistence`] writes it to and reads it from bytes.
//!
//! The crate does no I/O and runs no state transition: the caller passes post-states and
//! provides the justified checkpoint's balances when asked.

mod fork_choice;
pub mod persistence;
pub mod proto_array;

pub use fork_choice::{
    ForkChoice, ForkChoiceError, InvalidAttestation, InvalidBlock, JustifiedBalances,
    QueuedAttestation,
};
pub use persistence::PersistenceError;
pub use proto_array::{ProtoArray, ProtoArrayError, ProtoNode, VoteTracker};
