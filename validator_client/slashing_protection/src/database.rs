//! The database: SQLite, one exclusive transaction per check, committed with
//! `synchronous = FULL` before a signature may leave the signer.
//!
//! Why SQLite: every check is a few range queries (same slot, same target, surrounding and
//! surrounded votes) that SQL indexes answer directly; a transaction makes check-and-record one
//! atomic step even with several processes on one file; and a commit is durable (journal
//! fsynced) when it returns. The interchange format maps onto its tables one to one.

use crate::errors::DatabaseError;
use rusqlite::{
    params, Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior,
};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use types::{Hash256, PublicKeyBytes};

/// The schema version this client writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// How long to wait for another process holding the file's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The pause between attempts to set up a file another handle is setting up.
const BUSY_RETRY: Duration = Duration::from_millis(10);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS metadata (
    genesis_validators_root BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS validators (
    id INTEGER PRIMARY KEY,
    pubkey BLOB NOT NULL UNIQUE,
    block_watermark INTEGER,
    source_watermark INTEGER,
    target_watermark INTEGER
);
CREATE TABLE IF NOT EXISTS signed_blocks (
    validator_id INTEGER NOT NULL REFERENCES validators(id),
    slot INTEGER NOT NULL,
    signing_root BLOB,
    UNIQUE (validator_id, slot)
);
CREATE TABLE IF NOT EXISTS signed_attestations (
    validator_id INTEGER NOT NULL REFERENCES validators(id),
    source_epoch INTEGER NOT NULL,
    target_epoch INTEGER NOT NULL,
    signing_root BLOB,
    UNIQUE (validator_id, target_epoch)
);
CREATE INDEX IF NOT EXISTS attestations_by_source
    ON signed_attestations (validator_id, source_epoch);
";

/// The slashing protection database, safe to share between threads (one connection behind a
/// lock; SQLite's exclusive transactions also guard against other processes on the file).
pub struct SlashingDatabase {
    conn: Mutex<Connection>,
    genesis_validators_root: Hash256,
}

/// A validator's row: its id and the watermarks imported for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ValidatorRow {
    pub id: i64,
    pub block_watermark: Option<i64>,
    pub source_watermark: Option<i64>,
    pub target_watermark: Option<i64>,
}

impl SlashingDatabase {
    /// Open the database at `path` (creating it) for the chain of `genesis_validators_root`;
    /// a file made for another chain is refused.
    pub fn open_or_create(
        path: &Path,
        genesis_validators_root: Hash256,
    ) -> Result<Self, DatabaseError> {
        Self::init(Connection::open(path)?, genesis_validators_root)
    }

    /// A database in memory (tests, dry runs).
    pub fn open_in_memory(genesis_validators_root: Hash256) -> Result<Self, DatabaseError> {
        Self::init(Connection::open_in_memory()?, genesis_validators_root)
    }

    /// Set the connection up and check (or record) the chain. Another process or handle
    /// setting up the same new file at the same moment can make SQLite report "busy" without
    /// waiting (switching to WAL, recovering the log), so setup is retried until
    /// `BUSY_TIMEOUT`.
    fn init(mut conn: Connection, genesis_validators_root: Hash256) -> Result<Self, DatabaseError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let started = Instant::now();
        loop {
            match setup(&mut conn, genesis_validators_root) {
                Err(DatabaseError::Sql(e))
                    if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                        && started.elapsed() < BUSY_TIMEOUT =>
                {
                    std::thread::sleep(BUSY_RETRY);
                }
                Err(e) => return Err(e),
                Ok(()) => break,
            }
        }
        Ok(SlashingDatabase {
            conn: Mutex::new(conn),
            genesis_validators_root,
        })
    }

    /// The chain this database belongs to.
    pub fn genesis_validators_root(&self) -> Hash256 {
        self.genesis_validators_root
    }

    /// The connection. A thread that panicked while holding it left no open transaction
    /// (dropping one rolls it back), so a poisoned lock is still usable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start protecting `pubkey` (idempotent).
    pub fn register_validator(&self, pubkey: &PublicKeyBytes) -> Result<(), DatabaseError> {
        self.register_validators([pubkey])
    }

    /// Start protecting each of `pubkeys` (idempotent), in one transaction (taking the write
    /// lock up front, so another process's commit cannot make it fail without waiting).
    pub fn register_validators<'a>(
        &self,
        pubkeys: impl IntoIterator<Item = &'a PublicKeyBytes>,
    ) -> Result<(), DatabaseError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for pubkey in pubkeys {
            tx.execute(
                "INSERT OR IGNORE INTO validators (pubkey) VALUES (?1)",
                params![pubkey.as_ref()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether `pubkey` is registered (or was imported).
    pub fn is_registered(&self, pubkey: &PublicKeyBytes) -> Result<bool, DatabaseError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT 1 FROM validators WHERE pubkey = ?1",
                params![pubkey.as_ref()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

/// WAL journal, durable commits, the schema, and the chain's root (checked or recorded).
fn setup(conn: &mut Connection, genesis_validators_root: Hash256) -> Result<(), DatabaseError> {
    // WAL + FULL: the log is fsynced before a commit returns, so a recorded signature
    // survives a crash or power loss.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    match version {
        0 => {
            tx.execute_batch(SCHEMA)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        SCHEMA_VERSION => {}
        found => {
            return Err(DatabaseError::UnknownSchemaVersion {
                found,
                expected: SCHEMA_VERSION,
            })
        }
    }
    let found: Option<Vec<u8>> = tx
        .query_row("SELECT genesis_validators_root FROM metadata", [], |r| {
            r.get(0)
        })
        .optional()?;
    match found {
        Some(bytes) => {
            let found = blob_root(Some(bytes))
                .ok_or_else(|| DatabaseError::Corrupt("genesis_validators_root".into()))?;
            if found != genesis_validators_root {
                return Err(DatabaseError::GenesisValidatorsRootMismatch {
                    found,
                    expected: genesis_validators_root,
                });
            }
        }
        None => {
            tx.execute(
                "INSERT INTO metadata (genesis_validators_root) VALUES (?1)",
                params![root_blob(&genesis_validators_root)],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The row of `pubkey`, if registered.
pub(crate) fn validator_row(
    tx: &Transaction<'_>,
    pubkey: &PublicKeyBytes,
) -> rusqlite::Result<Option<ValidatorRow>> {
    tx.query_row(
        "SELECT id, block_watermark, source_watermark, target_watermark
         FROM validators WHERE pubkey = ?1",
        params![pubkey.as_ref()],
        |r| {
            Ok(ValidatorRow {
                id: r.get(0)?,
                block_watermark: r.get(1)?,
                source_watermark: r.get(2)?,
                target_watermark: r.get(3)?,
            })
        },
    )
    .optional()
}

/// A slot or epoch as SQLite's signed 64-bit integer (values above `i64::MAX` are refused,
/// never wrapped).
pub(crate) fn to_sql(value: u64) -> Option<i64> {
    i64::try_from(value).ok()
}

/// A stored (never negative) integer back as a slot or epoch.
pub(crate) fn from_sql(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

/// A root as stored.
pub(crate) fn root_blob(root: &Hash256) -> Vec<u8> {
    root.to_vec()
}

/// A stored root (`None` when absent or malformed).
pub(crate) fn blob_root(blob: Option<Vec<u8>>) -> Option<Hash256> {
    blob.and_then(|b| Hash256::try_from(b.as_slice()).ok())
}
