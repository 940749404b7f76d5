//! Fork choice (consensus-specs v1.0.1, `specs/phase0/fork-choice.md`).
//!
//! [`proto_array`] is the block tree with LMD-GHOST weights kept incrementally: latest-message
//! votes become weight *deltas*, so a head update costs the votes that changed plus one
//! backwards pass over the nodes since finality, never a recount of all attestations. The
//! spec's store and handlers (`on_tick`, `on_block`, `on_attestation`) sit on top of it.

pub mod proto_array;

pub use proto_array::{ProtoArray, ProtoArrayError, ProtoNode, VoteTracker};
