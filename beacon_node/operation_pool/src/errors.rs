//! Why the pool refused an operation or left it out of a block, each variant naming the rule
//! (the spec's assert where there is one) and carrying the values involved.

use state_processing::StateError;
use types::{Checkpoint, CommitteeIndex, Epoch, Slot, ValidatorIndex};

/// An operation refused at insertion, or one that may not go in a block on a given state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpPoolError {
    // Insertion (the caller verified the operation; these catch caller mistakes).
    #[error("attestation has no aggregation bit set")]
    EmptyAggregationBits,
    #[error("{indices} distinct attesting indices given for {bits} set aggregation bits")]
    AttestingIndicesCount { indices: usize, bits: usize },
    #[error("attestation targets epoch {target}, before the previous epoch of epoch {newest}")]
    AttestationTooOld { target: Epoch, newest: Epoch },
    #[error("signature does not decompress")]
    InvalidSignature,
    #[error("proposer slashing headers name proposers {index_1} and {index_2}")]
    ProposerIndexMismatch {
        index_1: ValidatorIndex,
        index_2: ValidatorIndex,
    },
    #[error("the attestations of the attester slashing have no attester in common")]
    NoCommonAttesters,
    #[error("validator {index} is given as slashable but is not in both attestations")]
    SlashableIndexNotInBothAttestations { index: ValidatorIndex },

    // process_attestation (beacon-chain.md, Attestations), signature aside.
    #[error(
        "target epoch {target} is neither the previous ({previous}) nor the current ({current})"
    )]
    TargetEpochNotPreviousOrCurrent {
        target: Epoch,
        previous: Epoch,
        current: Epoch,
    },
    #[error("target epoch {target} is not the epoch of the attestation's slot ({slot_epoch})")]
    TargetEpochMismatch { target: Epoch, slot_epoch: Epoch },
    #[error("attestation of slot {attestation_slot} included too early at slot {state_slot} (delay {min_delay})")]
    IncludedTooEarly {
        attestation_slot: Slot,
        state_slot: Slot,
        min_delay: u64,
    },
    #[error("attestation of slot {attestation_slot} included too late at slot {state_slot}")]
    IncludedTooLate {
        attestation_slot: Slot,
        state_slot: Slot,
    },
    #[error("committee index {index} out of range ({committees_per_slot} committees per slot)")]
    CommitteeIndexOutOfRange {
        index: CommitteeIndex,
        committees_per_slot: u64,
    },
    #[error("aggregation bitfield has {bits} bits but the committee has {committee} members")]
    BitfieldLengthMismatch { bits: usize, committee: usize },
    #[error("source {found:?} is not the justified checkpoint {expected:?}")]
    WrongSource {
        found: Checkpoint,
        expected: Checkpoint,
    },
    /// Not a spec assert but the signature's: on this state the bits name other validators
    /// than those the attestation was verified with (another branch's shuffling).
    #[error(
        "committee {index} of slot {slot} differs from the one the attestation was verified with"
    )]
    AttestersDiffer { slot: Slot, index: CommitteeIndex },

    // process_proposer_slashing / process_attester_slashing (beacon-chain.md).
    #[error("validator {index} is not in the registry")]
    UnknownValidator { index: ValidatorIndex },
    #[error("validator {index} is not slashable at epoch {epoch}")]
    NotSlashable { index: ValidatorIndex, epoch: Epoch },
    #[error("the attester slashing slashes no validator not slashed already")]
    NoSlashableIndices,

    // process_voluntary_exit (beacon-chain.md, Voluntary exits), signature aside.
    #[error("exiting validator {index} is not active at epoch {epoch}")]
    ExitValidatorNotActive { index: ValidatorIndex, epoch: Epoch },
    #[error("validator {index} already exits at epoch {exit_epoch}")]
    ExitAlreadyInitiated {
        index: ValidatorIndex,
        exit_epoch: Epoch,
    },
    #[error("exit is valid from epoch {exit_epoch}, the state is at epoch {current_epoch}")]
    ExitEpochInFuture {
        exit_epoch: Epoch,
        current_epoch: Epoch,
    },
    #[error("validator {index} may exit from epoch {earliest_exit_epoch}, the state is at epoch {current_epoch}")]
    ExitTooYoung {
        index: ValidatorIndex,
        current_epoch: Epoch,
        earliest_exit_epoch: Epoch,
    },
    #[error("validator {index} is slashed earlier in the same block, which initiates its exit")]
    ExitOfValidatorSlashedInBlock { index: ValidatorIndex },

    #[error(transparent)]
    State(#[from] StateError),
}
