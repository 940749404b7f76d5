//! The phase 0 state transition (consensus-specs v1.0.1, `specs/phase0/beacon-chain.md`).
//!
//! One module per spec step: [`per_slot_processing`], [`per_epoch_processing`] (one file per
//! `process_*` of `process_epoch`), [`per_block_processing`] (one file per operation), and
//! [`genesis`]. Spec helper functions live in [`helpers`] under the spec's own headings
//! (`misc`, `predicates`, `accessors`, `mutators`) and keep the spec's names.
//!
//! Arithmetic policy: every operation on consensus integers that can overflow, underflow or
//! divide by zero goes through `safe_arith` and becomes an error, never a panic or a wrap.
//! Indexing by a value that comes from input is checked the same way.

pub mod errors;
pub mod genesis;
pub mod helpers;
pub mod per_block_processing;
pub mod per_epoch_processing;
pub mod per_slot_processing;
mod state_transition;
pub mod validator;
pub mod weak_subjectivity;

pub use errors::StateError;
pub use per_block_processing::{
    process_block, BlockProcessingError, SegmentSignatures, VerifySignatures,
};
pub use per_epoch_processing::{process_epoch, EpochProcessingError};
pub use per_slot_processing::{process_slots, SlotProcessingError};
pub use state_transition::{state_transition, StateTransitionError};
