//! The slashing protection database: SQLite, one exclusive transaction per check, committed
//! with `synchronous = FULL` before a signature may leave the signer.
//!
//! Why SQLite: every check is a few range queries (same slot, same target, surrounding and
//! surrounded votes) that SQL indexes answer directly; transactions make check-and-record one
//! atomic step even with several processes on one file; and its durability on commit
//! (journal + fsync) is exactly the guarantee slashing protection needs. It is also what the
//! interchange format was modelled on, so import and export map onto tables one to one.
//!
//! Strategy: EIP-3076's *minimal* one for imported history. An import records every block
//! and attestation it carries and raises per-validator watermarks to the highest slot, source
//! and target known for the validator (imported or signed here); nothing at or below a
//! watermark is ever signed again, whatever its signing root. Above the watermarks the full rules apply: no second block at a slot, no
//! double vote, no surround in either direction, source never after target. Re-signing
//! exactly the same message (same signing root) is allowed.

use crate::interchange::{
    Interchange, InterchangeData, InterchangeMetadata, SignedAttestation, SignedBlock,
    INTERCHANGE_FORMAT_VERSION,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use types::{Epoch, Hash256, PublicKeyBytes, Slot};

/// The outcome of a check that allows signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safe {
    /// New: recorded, sign it.
    Valid,
    /// Exactly this message was signed before: signing again is harmless.
    SameData,
}

/// Why signing was refused (or could not be checked: then it is refused too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotSafe {
    #[error("validator {0} is not registered in the slashing protection database")]
    UnregisteredValidator(PublicKeyBytes),
    #[error("a different block was already signed at slot {slot}")]
    DoubleBlockProposal { slot: Slot },
    #[error("slot {slot} is at or below the imported watermark {watermark}")]
    BlockSlotAtOrBelowWatermark { slot: Slot, watermark: Slot },
    #[error("source epoch {source_epoch} is after target epoch {target_epoch}")]
    SourceAfterTarget {
        source_epoch: Epoch,
        target_epoch: Epoch,
    },
    #[error("a different attestation was already signed for target epoch {target}")]
    DoubleVote { target: Epoch },
    #[error("({source_epoch}, {target_epoch}) would surround the signed ({prior_source}, {prior_target})")]
    SurroundingVote {
        source_epoch: Epoch,
        target_epoch: Epoch,
        prior_source: Epoch,
        prior_target: Epoch,
    },
    #[error("({source_epoch}, {target_epoch}) would be surrounded by the signed ({prior_source}, {prior_target})")]
    SurroundedVote {
        source_epoch: Epoch,
        target_epoch: Epoch,
        prior_source: Epoch,
        prior_target: Epoch,
    },
    #[error("source epoch {source_epoch} is below the imported watermark {watermark}")]
    SourceBelowWatermark {
        source_epoch: Epoch,
        watermark: Epoch,
    },
    #[error("target epoch {target_epoch} is at or below the imported watermark {watermark}")]
    TargetAtOrBelowWatermark {
        target_epoch: Epoch,
        watermark: Epoch,
    },
    #[error("slashing protection database: {0}")]
    Database(String),
}

/// Failures opening the database or importing and exporting.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("slashing protection database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the database belongs to the chain with genesis_validators_root {found:?}, not {expected:?}")]
    GenesisValidatorsRootMismatch { found: Hash256, expected: Hash256 },
    #[error("interchange format version {0} is not supported (only {INTERCHANGE_FORMAT_VERSION})")]
    UnsupportedVersion(u64),
    #[error("the interchange is for genesis_validators_root {interchange:?}, this database for {database:?}; refusing to import another chain's history")]
    InterchangeForAnotherChain {
        interchange: Hash256,
        database: Hash256,
    },
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for NotSafe {
    fn from(e: rusqlite::Error) -> Self {
        NotSafe::Database(e.to_string())
    }
}

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
CREATE INDEX IF NOT EXISTS attestations_by_source ON signed_attestations (validator_id, source_epoch);
";

/// SQLite stores signed 64-bit integers; slots and epochs beyond i64 are refused as values,
/// never wrapped.
fn to_sql(value: u64) -> Result<i64, NotSafe> {
    i64::try_from(value)
        .map_err(|_| NotSafe::Database(format!("{value} exceeds the storable range")))
}

fn root_blob(root: &Hash256) -> Vec<u8> {
    root.to_vec()
}

fn blob_root(blob: Option<Vec<u8>>) -> Option<Hash256> {
    blob.and_then(|b| Hash256::try_from(b.as_slice()).ok())
}

/// The database, safe to share between threads (one connection behind a lock; SQLite's
/// exclusive transactions also guard against other processes on the same file).
pub struct SlashingDatabase {
    conn: Mutex<Connection>,
    genesis_validators_root: Hash256,
}

impl SlashingDatabase {
    /// Open the database at `path` (creating it), for the chain of `genesis_validators_root`.
    pub fn open_or_create(
        path: &Path,
        genesis_validators_root: Hash256,
    ) -> Result<Self, DatabaseError> {
        Self::init(Connection::open(path)?, genesis_validators_root)
    }

    /// A database in memory (tests).
    pub fn open_in_memory(genesis_validators_root: Hash256) -> Result<Self, DatabaseError> {
        Self::init(Connection::open_in_memory()?, genesis_validators_root)
    }

    fn init(conn: Connection, genesis_validators_root: Hash256) -> Result<Self, DatabaseError> {
        // Durable commits: the journal is synced before a transaction reports success.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        let found: Option<Vec<u8>> = conn
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
                conn.execute(
                    "INSERT INTO metadata (genesis_validators_root) VALUES (?1)",
                    params![root_blob(&genesis_validators_root)],
                )?;
            }
        }
        Ok(SlashingDatabase {
            conn: Mutex::new(conn),
            genesis_validators_root,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start protecting `pubkey` (idempotent).
    pub fn register_validator(&self, pubkey: &PublicKeyBytes) -> Result<(), DatabaseError> {
        self.lock().execute(
            "INSERT OR IGNORE INTO validators (pubkey) VALUES (?1)",
            params![pubkey.as_ref()],
        )?;
        Ok(())
    }

    /// Check a block proposal at `slot` with `signing_root` and record it, in one durable
    /// transaction.
    pub fn check_and_insert_block_proposal(
        &self,
        pubkey: &PublicKeyBytes,
        slot: Slot,
        signing_root: Hash256,
    ) -> Result<Safe, NotSafe> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        let (id, watermark): (i64, Option<i64>) = tx
            .query_row(
                "SELECT id, block_watermark FROM validators WHERE pubkey = ?1",
                params![pubkey.as_ref()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(NotSafe::UnregisteredValidator(*pubkey))?;
        let slot_sql = to_sql(slot)?;
        if let Some(w) = watermark {
            if slot_sql <= w {
                return Err(NotSafe::BlockSlotAtOrBelowWatermark {
                    slot,
                    watermark: w as u64,
                });
            }
        }
        let existing: Option<Option<Vec<u8>>> = tx
            .query_row(
                "SELECT signing_root FROM signed_blocks WHERE validator_id = ?1 AND slot = ?2",
                params![id, slot_sql],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(root) = existing {
            return if blob_root(root) == Some(signing_root) {
                Ok(Safe::SameData)
            } else {
                Err(NotSafe::DoubleBlockProposal { slot })
            };
        }
        tx.execute(
            "INSERT INTO signed_blocks (validator_id, slot, signing_root) VALUES (?1, ?2, ?3)",
            params![id, slot_sql, root_blob(&signing_root)],
        )?;
        tx.commit()?;
        Ok(Safe::Valid)
    }

    /// Check an attestation (`source_epoch`, `target_epoch`, `signing_root`) and record it, in
    /// one durable transaction.
    pub fn check_and_insert_attestation(
        &self,
        pubkey: &PublicKeyBytes,
        source_epoch: Epoch,
        target_epoch: Epoch,
        signing_root: Hash256,
    ) -> Result<Safe, NotSafe> {
        if source_epoch > target_epoch {
            return Err(NotSafe::SourceAfterTarget {
                source_epoch,
                target_epoch,
            });
        }
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        let (id, source_wm, target_wm): (i64, Option<i64>, Option<i64>) = tx
            .query_row(
                "SELECT id, source_watermark, target_watermark FROM validators WHERE pubkey = ?1",
                params![pubkey.as_ref()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or(NotSafe::UnregisteredValidator(*pubkey))?;
        let (source, target) = (to_sql(source_epoch)?, to_sql(target_epoch)?);
        if let Some(w) = source_wm {
            if source < w {
                return Err(NotSafe::SourceBelowWatermark {
                    source_epoch,
                    watermark: w as u64,
                });
            }
        }
        if let Some(w) = target_wm {
            if target <= w {
                return Err(NotSafe::TargetAtOrBelowWatermark {
                    target_epoch,
                    watermark: w as u64,
                });
            }
        }
        let same_target: Option<(i64, Option<Vec<u8>>)> = tx
            .query_row(
                "SELECT source_epoch, signing_root FROM signed_attestations
                 WHERE validator_id = ?1 AND target_epoch = ?2",
                params![id, target],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((prior_source, root)) = same_target {
            return if prior_source == source && blob_root(root) == Some(signing_root) {
                Ok(Safe::SameData)
            } else {
                Err(NotSafe::DoubleVote {
                    target: target_epoch,
                })
            };
        }
        // The new vote surrounds a prior one: source < prior.source and prior.target < target.
        let surrounded_prior: Option<(i64, i64)> = tx
            .query_row(
                "SELECT source_epoch, target_epoch FROM signed_attestations
                 WHERE validator_id = ?1 AND source_epoch > ?2 AND target_epoch < ?3 LIMIT 1",
                params![id, source, target],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((ps, pt)) = surrounded_prior {
            return Err(NotSafe::SurroundingVote {
                source_epoch,
                target_epoch,
                prior_source: ps as u64,
                prior_target: pt as u64,
            });
        }
        // A prior vote surrounds the new one: prior.source < source and target < prior.target.
        let surrounding_prior: Option<(i64, i64)> = tx
            .query_row(
                "SELECT source_epoch, target_epoch FROM signed_attestations
                 WHERE validator_id = ?1 AND source_epoch < ?2 AND target_epoch > ?3 LIMIT 1",
                params![id, source, target],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((ps, pt)) = surrounding_prior {
            return Err(NotSafe::SurroundedVote {
                source_epoch,
                target_epoch,
                prior_source: ps as u64,
                prior_target: pt as u64,
            });
        }
        tx.execute(
            "INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root)
             VALUES (?1, ?2, ?3, ?4)",
            params![id, source, target, root_blob(&signing_root)],
        )?;
        tx.commit()?;
        Ok(Safe::Valid)
    }

    /// Import an EIP-3076 interchange: every record is kept (those clashing with a record at
    /// the same slot or target are dropped in favour of what is here), and each validator's
    /// watermarks rise to the highest slot, source and target imported. One transaction: the
    /// import happens whole or not at all.
    pub fn import_interchange(&self, interchange: &Interchange) -> Result<usize, DatabaseError> {
        let metadata = &interchange.metadata;
        if metadata.interchange_format_version != INTERCHANGE_FORMAT_VERSION {
            return Err(DatabaseError::UnsupportedVersion(
                metadata.interchange_format_version,
            ));
        }
        if metadata.genesis_validators_root != self.genesis_validators_root {
            return Err(DatabaseError::InterchangeForAnotherChain {
                interchange: metadata.genesis_validators_root,
                database: self.genesis_validators_root,
            });
        }
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        let sql = |v: u64| {
            i64::try_from(v).map_err(|_| DatabaseError::Corrupt(format!("{v} out of range")))
        };
        for record in &interchange.data {
            tx.execute(
                "INSERT OR IGNORE INTO validators (pubkey) VALUES (?1)",
                params![record.pubkey.as_ref()],
            )?;
            let id: i64 = tx.query_row(
                "SELECT id FROM validators WHERE pubkey = ?1",
                params![record.pubkey.as_ref()],
                |r| r.get(0),
            )?;
            for block in &record.signed_blocks {
                tx.execute(
                    "INSERT OR IGNORE INTO signed_blocks (validator_id, slot, signing_root) VALUES (?1, ?2, ?3)",
                    params![id, sql(block.slot)?, block.signing_root.as_ref().map(root_blob)],
                )?;
            }
            for att in &record.signed_attestations {
                tx.execute(
                    "INSERT OR IGNORE INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![
                        id,
                        sql(att.source_epoch)?,
                        sql(att.target_epoch)?,
                        att.signing_root.as_ref().map(root_blob)
                    ],
                )?;
            }
            // Minimal strategy: nothing at or below the highest message known for the
            // validator, imported or signed here, is signed again.
            if !record.signed_blocks.is_empty() {
                tx.execute(
                    "UPDATE validators SET block_watermark = (
                         SELECT MAX(COALESCE(v.block_watermark, -1), MAX(b.slot))
                         FROM validators v, signed_blocks b
                         WHERE v.id = ?1 AND b.validator_id = ?1)
                     WHERE id = ?1",
                    params![id],
                )?;
            }
            if !record.signed_attestations.is_empty() {
                tx.execute(
                    "UPDATE validators SET
                         source_watermark = (
                             SELECT MAX(COALESCE(v.source_watermark, -1), MAX(a.source_epoch))
                             FROM validators v, signed_attestations a
                             WHERE v.id = ?1 AND a.validator_id = ?1),
                         target_watermark = (
                             SELECT MAX(COALESCE(v.target_watermark, -1), MAX(a.target_epoch))
                             FROM validators v, signed_attestations a
                             WHERE v.id = ?1 AND a.validator_id = ?1)
                     WHERE id = ?1",
                    params![id],
                )?;
            }
        }
        tx.commit()?;
        Ok(interchange.data.len())
    }

    /// Everything recorded, as an EIP-3076 interchange. Watermarks above every recorded
    /// message are exported as extra entries without signing roots, so an importer is at
    /// least as strict as this database.
    pub fn export_interchange(&self) -> Result<Interchange, DatabaseError> {
        let conn = self.lock();
        let mut validators: BTreeMap<i64, (PublicKeyBytes, InterchangeData)> = BTreeMap::new();
        let mut stmt = conn.prepare(
            "SELECT id, pubkey, block_watermark, source_watermark, target_watermark FROM validators ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, Option<i64>>(4)?,
            ))
        })?;
        let mut watermarks = BTreeMap::new();
        for row in rows {
            let (id, pubkey, bw, sw, tw) = row?;
            let pubkey = PublicKeyBytes::deserialize(&pubkey)
                .map_err(|_| DatabaseError::Corrupt("a validator public key".into()))?;
            validators.insert(
                id,
                (
                    pubkey,
                    InterchangeData {
                        pubkey,
                        signed_blocks: Vec::new(),
                        signed_attestations: Vec::new(),
                    },
                ),
            );
            watermarks.insert(id, (bw, sw, tw));
        }
        let mut stmt = conn.prepare(
            "SELECT validator_id, slot, signing_root FROM signed_blocks ORDER BY validator_id, slot",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?,
            ))
        })?;
        for row in rows {
            let (id, slot, root) = row?;
            if let Some((_, data)) = validators.get_mut(&id) {
                data.signed_blocks.push(SignedBlock {
                    slot: slot as u64,
                    signing_root: blob_root(root),
                });
            }
        }
        let mut stmt = conn.prepare(
            "SELECT validator_id, source_epoch, target_epoch, signing_root FROM signed_attestations
             ORDER BY validator_id, target_epoch",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<Vec<u8>>>(3)?,
            ))
        })?;
        for row in rows {
            let (id, source, target, root) = row?;
            if let Some((_, data)) = validators.get_mut(&id) {
                data.signed_attestations.push(SignedAttestation {
                    source_epoch: source as u64,
                    target_epoch: target as u64,
                    signing_root: blob_root(root),
                });
            }
        }
        for (id, (bw, sw, tw)) in watermarks {
            let Some((_, data)) = validators.get_mut(&id) else {
                continue;
            };
            if let Some(bw) = bw {
                if !data.signed_blocks.iter().any(|b| b.slot as i64 >= bw) {
                    data.signed_blocks.push(SignedBlock {
                        slot: bw as u64,
                        signing_root: None,
                    });
                }
            }
            if let (Some(sw), Some(tw)) = (sw, tw) {
                let covered = data
                    .signed_attestations
                    .iter()
                    .any(|a| a.source_epoch as i64 >= sw && a.target_epoch as i64 >= tw);
                if !covered {
                    data.signed_attestations.push(SignedAttestation {
                        source_epoch: sw as u64,
                        target_epoch: tw as u64,
                        signing_root: None,
                    });
                }
            }
        }
        Ok(Interchange {
            metadata: InterchangeMetadata {
                interchange_format_version: INTERCHANGE_FORMAT_VERSION,
                genesis_validators_root: self.genesis_validators_root,
            },
            data: validators.into_values().map(|(_, d)| d).collect(),
        })
    }
}
