//! EIP-3076 export: every record, plus an entry without signing root for any watermark no
//! record reaches, so a (minimal or complete) importer is at least as strict as this database.

use crate::database::{blob_root, from_sql, SlashingDatabase};
use crate::errors::DatabaseError;
use crate::interchange::{
    Interchange, InterchangeData, InterchangeMetadata, SignedAttestation, SignedBlock,
    INTERCHANGE_FORMAT_VERSION,
};
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};
use types::{Epoch, PublicKeyBytes, Slot};

/// One validator while its history is gathered.
struct Gathered {
    data: InterchangeData,
    block_watermark: Option<Slot>,
    source_watermark: Option<Epoch>,
    target_watermark: Option<Epoch>,
}

impl SlashingDatabase {
    /// Everything recorded, as an EIP-3076 interchange (format version 5, this database's
    /// chain), validators in registration order, blocks by slot, attestations by target.
    pub fn export_interchange(&self) -> Result<Interchange, DatabaseError> {
        let mut conn = self.lock();
        // One read transaction: a consistent snapshot even while another process signs.
        let tx = conn.transaction()?;
        let mut validators = gather_validators(&tx)?;
        gather_blocks(&tx, &mut validators)?;
        gather_attestations(&tx, &mut validators)?;
        drop(tx);
        let data = validators
            .into_values()
            .map(|mut v| {
                add_block_watermark(&mut v);
                add_attestation_watermarks(&mut v);
                v.data
            })
            .collect();
        Ok(Interchange {
            metadata: InterchangeMetadata {
                interchange_format_version: INTERCHANGE_FORMAT_VERSION,
                genesis_validators_root: self.genesis_validators_root(),
            },
            data,
        })
    }
}

fn gather_validators(conn: &Connection) -> Result<BTreeMap<i64, Gathered>, DatabaseError> {
    let mut stmt = conn.prepare(
        "SELECT id, pubkey, block_watermark, source_watermark, target_watermark
         FROM validators ORDER BY id",
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
    let mut validators = BTreeMap::new();
    for row in rows {
        let (id, pubkey, block, source, target) = row?;
        let pubkey = PublicKeyBytes::deserialize(&pubkey)
            .map_err(|_| DatabaseError::Corrupt(format!("public key of validator {id}")))?;
        validators.insert(
            id,
            Gathered {
                data: InterchangeData {
                    pubkey,
                    signed_blocks: Vec::new(),
                    signed_attestations: Vec::new(),
                },
                block_watermark: block.map(from_sql),
                source_watermark: source.map(from_sql),
                target_watermark: target.map(from_sql),
            },
        );
    }
    Ok(validators)
}

fn gather_blocks(
    conn: &Connection,
    validators: &mut BTreeMap<i64, Gathered>,
) -> Result<(), DatabaseError> {
    let mut stmt = conn.prepare(
        "SELECT validator_id, slot, signing_root FROM signed_blocks
         ORDER BY validator_id, slot",
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
        let v = validators
            .get_mut(&id)
            .ok_or_else(|| DatabaseError::Corrupt(format!("block of unknown validator {id}")))?;
        v.data.signed_blocks.push(SignedBlock {
            slot: from_sql(slot),
            signing_root: blob_root(root),
        });
    }
    Ok(())
}

fn gather_attestations(
    conn: &Connection,
    validators: &mut BTreeMap<i64, Gathered>,
) -> Result<(), DatabaseError> {
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
        let v = validators.get_mut(&id).ok_or_else(|| {
            DatabaseError::Corrupt(format!("attestation of unknown validator {id}"))
        })?;
        v.data.signed_attestations.push(SignedAttestation {
            source_epoch: from_sql(source),
            target_epoch: from_sql(target),
            signing_root: blob_root(root),
        });
    }
    Ok(())
}

/// A block at the watermark, unless a record already reaches it.
fn add_block_watermark(v: &mut Gathered) {
    let Some(watermark) = v.block_watermark else {
        return;
    };
    let max_slot = v.data.signed_blocks.iter().map(|b| b.slot).max();
    if max_slot.is_none_or(|max| max < watermark) {
        v.data.signed_blocks.push(SignedBlock {
            slot: watermark,
            signing_root: None,
        });
    }
}

/// An attestation carrying the source and target watermarks, unless records already reach
/// them. Its target is one no record uses (no double vote in the file) and, where possible,
/// neither above the target watermark nor below its source; failing that, a higher target
/// (stricter, so still safe).
fn add_attestation_watermarks(v: &mut Gathered) {
    let atts = &v.data.signed_attestations;
    let max_source = atts.iter().map(|a| a.source_epoch).max();
    let max_target = atts.iter().map(|a| a.target_epoch).max();
    let need_source = v
        .source_watermark
        .is_some_and(|w| max_source.is_none_or(|max| max < w));
    let need_target = v
        .target_watermark
        .is_some_and(|w| max_target.is_none_or(|max| max < w));
    if !need_source && !need_target {
        return;
    }
    let source = v.source_watermark.max(max_source).unwrap_or_default();
    let target_limit = v.target_watermark.max(max_target).unwrap_or(source);
    let used: BTreeSet<Epoch> = atts.iter().map(|a| a.target_epoch).collect();
    let target = if need_target {
        // Above every record, so free.
        target_limit
    } else {
        (source..=target_limit)
            .rev()
            .find(|t| !used.contains(t))
            .unwrap_or_else(|| source.max(target_limit.saturating_add(1)))
    };
    v.data.signed_attestations.push(SignedAttestation {
        source_epoch: source,
        target_epoch: target,
        signing_root: None,
    });
}
