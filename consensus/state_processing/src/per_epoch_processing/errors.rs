//! Errors of epoch processing.

use crate::helpers::accessors::AttestingIndicesError;
use crate::StateError;
use safe_arith::ArithError;
use types::{BeaconStateError, Epoch, ValidatorIndex};

/// Why `process_epoch` (or one of its steps) failed. Every case is one where the spec's Python
/// would raise: an out-of-range lookup, a uint64 overflow or underflow, a division by zero.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpochProcessingError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    BeaconState(#[from] BeaconStateError),
    #[error("arithmetic error: {0:?}")]
    Arith(ArithError),
    #[error(transparent)]
    AttestingIndices(#[from] AttestingIndicesError),
    /// `get_matching_source_attestations` asked for an epoch that is neither previous nor current.
    #[error("epoch {epoch} is neither the previous nor the current epoch (current {current})")]
    EpochNotPreviousOrCurrent { epoch: Epoch, current: Epoch },
    /// A validator index (an attester or an attestation's proposer) is not in the registry.
    #[error("validator index {index} is out of range (registry length {len})")]
    UnknownValidator { index: ValidatorIndex, len: usize },
    /// `state.balances` is shorter than `state.validators`.
    #[error("the state has {validators} validators but only {balances} balances")]
    BalancesTooShort { validators: usize, balances: usize },
    /// A participation summary or delta vectors that do not fit the state they are used with
    /// (another epoch or another registry length).
    #[error("participation summary or deltas do not match the state")]
    SummaryMismatch,
    /// A justification bit index outside `JUSTIFICATION_BITS_LENGTH`.
    #[error("justification bit {0} is out of range")]
    JustificationBit(usize),
    /// `state.historical_roots` is at `HISTORICAL_ROOTS_LIMIT`.
    #[error("historical_roots is full")]
    HistoricalRootsFull,
}

impl From<ArithError> for EpochProcessingError {
    fn from(e: ArithError) -> Self {
        EpochProcessingError::Arith(e)
    }
}
