//! Attestations: source never after target, no double vote, no surround in either direction,
//! nothing below the imported source watermark or at or below the imported target watermark.

use crate::database::{blob_root, from_sql, root_blob, to_sql, validator_row, SlashingDatabase};
use crate::errors::{NotSafe, Safe};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use types::{Epoch, Hash256, PublicKeyBytes};

impl SlashingDatabase {
    /// Check an attestation (`source_epoch`, `target_epoch`, `signing_root`) and record it, in
    /// one exclusive transaction committed durably before `Safe::Valid` is returned.
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
        let source = to_sql(source_epoch).ok_or(NotSafe::ValueOutOfRange(source_epoch))?;
        let target = to_sql(target_epoch).ok_or(NotSafe::ValueOutOfRange(target_epoch))?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        let validator =
            validator_row(&tx, pubkey)?.ok_or(NotSafe::UnregisteredValidator(*pubkey))?;

        // EIP-3076 minimal strategy: source not below, target not at or below, the highest
        // imported.
        if let Some(watermark) = validator.source_watermark {
            if source < watermark {
                return Err(NotSafe::SourceBelowWatermark {
                    source_epoch,
                    watermark: from_sql(watermark),
                });
            }
        }
        if let Some(watermark) = validator.target_watermark {
            if target <= watermark {
                return Err(NotSafe::TargetAtOrBelowWatermark {
                    target_epoch,
                    watermark: from_sql(watermark),
                });
            }
        }

        // Double vote: one attestation per target; the very same one may be signed again.
        let same_target: Option<(i64, Option<Vec<u8>>)> = tx
            .query_row(
                "SELECT source_epoch, signing_root FROM signed_attestations
                 WHERE validator_id = ?1 AND target_epoch = ?2",
                params![validator.id, target],
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
        let surrounded: Option<(i64, i64)> = tx
            .query_row(
                "SELECT source_epoch, target_epoch FROM signed_attestations
                 WHERE validator_id = ?1 AND source_epoch > ?2 AND target_epoch < ?3 LIMIT 1",
                params![validator.id, source, target],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((prior_source, prior_target)) = surrounded {
            return Err(NotSafe::SurroundingVote {
                source_epoch,
                target_epoch,
                prior_source: from_sql(prior_source),
                prior_target: from_sql(prior_target),
            });
        }

        // A prior vote surrounds the new one: prior.source < source and target < prior.target.
        let surrounding: Option<(i64, i64)> = tx
            .query_row(
                "SELECT source_epoch, target_epoch FROM signed_attestations
                 WHERE validator_id = ?1 AND source_epoch < ?2 AND target_epoch > ?3 LIMIT 1",
                params![validator.id, source, target],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((prior_source, prior_target)) = surrounding {
            return Err(NotSafe::SurroundedVote {
                source_epoch,
                target_epoch,
                prior_source: from_sql(prior_source),
                prior_target: from_sql(prior_target),
            });
        }

        tx.execute(
            "INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root)
             VALUES (?1, ?2, ?3, ?4)",
            params![validator.id, source, target, root_blob(&signing_root)],
        )?;
        tx.commit()?;
        Ok(Safe::Valid)
    }
}
