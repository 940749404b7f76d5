//! Outcomes of the checks and failures of the database.

use crate::interchange::INTERCHANGE_FORMAT_VERSION;
use types::{Epoch, Hash256, PublicKeyBytes, Slot};

/// The outcome of a check that allows signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safe {
    /// New: recorded (durably) before this was returned; sign it.
    Valid,
    /// Exactly this message (same signing root) was signed before: signing again is harmless.
    SameData,
}

/// Why signing was refused (or could not be checked: then it is refused too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotSafe {
    /// The validator was never registered (nor imported): nothing is known about its history.
    #[error("validator {0:?} is not registered in the slashing protection database")]
    UnregisteredValidator(PublicKeyBytes),
    /// A block with another signing root (or none recorded) was signed at this slot.
    #[error("a different block was already signed at slot {slot}")]
    DoubleBlockProposal {
        /// The slot of both blocks.
        slot: Slot,
    },
    /// EIP-3076 minimal strategy: the slot is not above the highest imported slot.
    #[error("slot {slot} is at or below the imported watermark {watermark}")]
    BlockSlotAtOrBelowWatermark {
        /// The slot of the refused block.
        slot: Slot,
        /// The highest slot imported for the validator.
        watermark: Slot,
    },
    /// An attestation's source must not be after its target.
    #[error("source epoch {source_epoch} is after target epoch {target_epoch}")]
    SourceAfterTarget {
        /// The source of the refused attestation.
        source_epoch: Epoch,
        /// The target of the refused attestation.
        target_epoch: Epoch,
    },
    /// Double vote: another attestation (other signing root) was signed for this target.
    #[error("a different attestation was already signed for target epoch {target}")]
    DoubleVote {
        /// The target epoch of both votes.
        target: Epoch,
    },
    /// Surround vote: the new attestation surrounds one already signed.
    #[error("({source_epoch}, {target_epoch}) would surround the signed ({prior_source}, {prior_target})")]
    SurroundingVote {
        /// Source of the refused attestation.
        source_epoch: Epoch,
        /// Target of the refused attestation.
        target_epoch: Epoch,
        /// Source of the attestation it would surround.
        prior_source: Epoch,
        /// Target of the attestation it would surround.
        prior_target: Epoch,
    },
    /// Surround vote: an attestation already signed surrounds the new one.
    #[error("({source_epoch}, {target_epoch}) would be surrounded by the signed ({prior_source}, {prior_target})")]
    SurroundedVote {
        /// Source of the refused attestation.
        source_epoch: Epoch,
        /// Target of the refused attestation.
        target_epoch: Epoch,
        /// Source of the attestation surrounding it.
        prior_source: Epoch,
        /// Target of the attestation surrounding it.
        prior_target: Epoch,
    },
    /// EIP-3076 minimal strategy: the source is below the highest imported source.
    #[error("source epoch {source_epoch} is below the imported watermark {watermark}")]
    SourceBelowWatermark {
        /// Source of the refused attestation.
        source_epoch: Epoch,
        /// The highest source epoch imported for the validator.
        watermark: Epoch,
    },
    /// EIP-3076 minimal strategy: the target is not above the highest imported target.
    #[error("target epoch {target_epoch} is at or below the imported watermark {watermark}")]
    TargetAtOrBelowWatermark {
        /// Target of the refused attestation.
        target_epoch: Epoch,
        /// The highest target epoch imported for the validator.
        watermark: Epoch,
    },
    /// A slot or epoch SQLite cannot store (above `i64::MAX`): refused, never wrapped.
    #[error("{0} is beyond the range the database can store")]
    ValueOutOfRange(u64),
    /// The database failed: nothing was recorded, so nothing may be signed.
    #[error("slashing protection database: {0}")]
    Database(String),
}

impl From<rusqlite::Error> for NotSafe {
    fn from(e: rusqlite::Error) -> Self {
        NotSafe::Database(e.to_string())
    }
}

/// Failures opening the database or importing and exporting.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// SQLite failed.
    #[error("slashing protection database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The database file was made for another chain.
    #[error(
        "the database belongs to the chain with genesis_validators_root {found}, not {expected}"
    )]
    GenesisValidatorsRootMismatch {
        /// The root recorded in the database.
        found: Hash256,
        /// The root it was opened with.
        expected: Hash256,
    },
    /// The database file has a schema this version does not know.
    #[error("unknown database schema version {found} (this client writes {expected})")]
    UnknownSchemaVersion {
        /// The version in the file.
        found: i64,
        /// The version this client writes.
        expected: i64,
    },
    /// The interchange JSON does not parse as EIP-3076.
    #[error("not an EIP-3076 interchange: {0}")]
    InvalidInterchange(#[from] serde_json::Error),
    /// The interchange has a format version other than 5.
    #[error("interchange format version {0} is not supported (only {INTERCHANGE_FORMAT_VERSION})")]
    UnsupportedVersion(u64),
    /// The interchange is another chain's history.
    #[error("the interchange is for genesis_validators_root {interchange}, this database for {database}; refusing to import another chain's history")]
    InterchangeForAnotherChain {
        /// The root in the interchange's metadata.
        interchange: Hash256,
        /// The root of this database.
        database: Hash256,
    },
    /// A slot or epoch in the interchange beyond what SQLite stores (`i64::MAX`).
    #[error("{0} is beyond the range the database can store")]
    ValueOutOfRange(u64),
    /// A value read back from the database is malformed.
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
}
