//! EIP-3076 import, minimal strategy: every record is kept where it does not clash with one
//! already here (same slot or same target), and each validator's watermarks rise to the
//! highest slot, source and target it has on record after the merge (imported or signed
//! here). Clashing or slashable records in the file are thereby harmless: nothing at or below
//! them can be signed again.

use crate::database::{root_blob, to_sql, SlashingDatabase};
use crate::errors::DatabaseError;
use crate::interchange::{Interchange, InterchangeData, INTERCHANGE_FORMAT_VERSION};
use rusqlite::{params, Transaction, TransactionBehavior};
use types::Hash256;

impl SlashingDatabase {
    /// Parse interchange JSON made for the chain of `genesis_validators_root` and import it
    /// (see `import_interchange`).
    pub fn import_interchange_json(
        &self,
        json: &str,
        genesis_validators_root: Hash256,
    ) -> Result<usize, DatabaseError> {
        if genesis_validators_root != self.genesis_validators_root() {
            return Err(DatabaseError::GenesisValidatorsRootMismatch {
                found: self.genesis_validators_root(),
                expected: genesis_validators_root,
            });
        }
        self.import_interchange(&Interchange::from_json_str(json)?)
    }

    /// Import an EIP-3076 interchange (format version 5, this database's chain) in one
    /// transaction: the import happens whole or not at all. Returns the number of validator
    /// entries imported.
    pub fn import_interchange(&self, interchange: &Interchange) -> Result<usize, DatabaseError> {
        let metadata = &interchange.metadata;
        if metadata.interchange_format_version != INTERCHANGE_FORMAT_VERSION {
            return Err(DatabaseError::UnsupportedVersion(
                metadata.interchange_format_version,
            ));
        }
        if metadata.genesis_validators_root != self.genesis_validators_root() {
            return Err(DatabaseError::InterchangeForAnotherChain {
                interchange: metadata.genesis_validators_root,
                database: self.genesis_validators_root(),
            });
        }
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        for record in &interchange.data {
            import_validator(&tx, record)?;
        }
        tx.commit()?;
        Ok(interchange.data.len())
    }
}

/// A slot or epoch from the file as stored.
fn checked(value: u64) -> Result<i64, DatabaseError> {
    to_sql(value).ok_or(DatabaseError::ValueOutOfRange(value))
}

/// Import one validator's history and raise its watermarks.
fn import_validator(tx: &Transaction<'_>, record: &InterchangeData) -> Result<(), DatabaseError> {
    let pubkey = record.pubkey.as_ref();
    tx.execute(
        "INSERT OR IGNORE INTO validators (pubkey) VALUES (?1)",
        params![pubkey],
    )?;
    let id: i64 = tx.query_row(
        "SELECT id FROM validators WHERE pubkey = ?1",
        params![pubkey],
        |r| r.get(0),
    )?;

    // The highest of the file, whether or not each record is kept: one dropped for clashing
    // with a record here must still be covered by the watermarks.
    let mut max_slot: Option<i64> = None;
    for block in &record.signed_blocks {
        let slot = checked(block.slot)?;
        tx.execute(
            "INSERT OR IGNORE INTO signed_blocks (validator_id, slot, signing_root)
             VALUES (?1, ?2, ?3)",
            params![id, slot, block.signing_root.as_ref().map(root_blob)],
        )?;
        max_slot = max_slot.max(Some(slot));
    }

    let (mut max_source, mut max_target): (Option<i64>, Option<i64>) = (None, None);
    for attestation in &record.signed_attestations {
        let source = checked(attestation.source_epoch)?;
        let target = checked(attestation.target_epoch)?;
        tx.execute(
            "INSERT OR IGNORE INTO signed_attestations
                 (validator_id, source_epoch, target_epoch, signing_root)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                id,
                source,
                target,
                attestation.signing_root.as_ref().map(root_blob)
            ],
        )?;
        max_source = max_source.max(Some(source));
        max_target = max_target.max(Some(target));
    }

    // Watermarks rise to the highest slot, source and target now recorded for the validator,
    // imported or signed here (EIP-3076 minimal strategy on the merged history), and never
    // fall. MAX(NULL, x) is NULL in SQL, hence the COALESCE.
    if let Some(max_slot) = max_slot {
        tx.execute(
            "UPDATE validators SET block_watermark = MAX(
                 COALESCE(block_watermark, -1),
                 ?2,
                 (SELECT MAX(slot) FROM signed_blocks WHERE validator_id = ?1))
             WHERE id = ?1",
            params![id, max_slot],
        )?;
    }
    if let (Some(max_source), Some(max_target)) = (max_source, max_target) {
        tx.execute(
            "UPDATE validators SET
                 source_watermark = MAX(
                     COALESCE(source_watermark, -1),
                     ?2,
                     (SELECT MAX(source_epoch) FROM signed_attestations WHERE validator_id = ?1)),
                 target_watermark = MAX(
                     COALESCE(target_watermark, -1),
                     ?3,
                     (SELECT MAX(target_epoch) FROM signed_attestations WHERE validator_id = ?1))
             WHERE id = ?1",
            params![id, max_source, max_target],
        )?;
    }
    Ok(())
}
