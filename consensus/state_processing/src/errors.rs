//! Errors shared by the spec helpers.

use safe_arith::ArithError;
use types::BeaconStateError;

/// A failure of a spec helper: a lookup the state cannot answer or arithmetic that would
/// overflow. Consensus code turns these into a rejected block or a failed transition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    BeaconState(#[from] BeaconStateError),
    #[error("arithmetic error: {0:?}")]
    Arith(ArithError),
    #[error("validator {index} has a public key that does not decompress")]
    InvalidValidatorPubkey { index: u64 },
    #[error(
        "no proposer could be selected (no active validator with a non-zero effective balance)"
    )]
    NoProposer,
}

impl From<ArithError> for StateError {
    fn from(e: ArithError) -> Self {
        StateError::Arith(e)
    }
}
