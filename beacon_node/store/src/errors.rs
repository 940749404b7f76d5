//! Database errors.

use crate::DBColumn;
use types::Hash256;

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database engine: {0}")]
    Engine(String),
    #[error("corrupt value in column {column:?} at key 0x{key}: {reason}")]
    Decode {
        column: DBColumn,
        key: String,
        reason: String,
    },
    #[error("the database has schema version {found}, this build uses {expected}: use a build of the matching version, or move the datadir aside and sync again")]
    SchemaMismatch { found: u64, expected: u64 },
    #[error("the database was created with {name} = {found}, but {expected} was configured: keep the original setting or start a new datadir")]
    ConfigMismatch {
        name: &'static str,
        found: u64,
        expected: u64,
    },
    #[error("invalid store configuration: {0}")]
    InvalidConfig(String),
    #[error("state {0:?} cannot be rebuilt: {1}")]
    Replay(Hash256, String),
    #[error("finalized state at slot {0} cannot be rebuilt: {1}")]
    ColdReplay(u64, String),
    #[error("block {0:?} is missing")]
    MissingBlock(Hash256),
    #[error("state {0:?} is missing")]
    MissingState(Hash256),
    #[error("no restore point for slot {0}")]
    MissingRestorePoint(u64),
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Engine(e.to_string())
    }
}
