//! Block proposals: no second block at a slot, nothing at or below the imported watermark.

use crate::database::{blob_root, from_sql, root_blob, to_sql, validator_row, SlashingDatabase};
use crate::errors::{NotSafe, Safe};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use types::{Hash256, PublicKeyBytes, Slot};

impl SlashingDatabase {
    /// Check a block proposal at `slot` with `signing_root` and record it, in one exclusive
    /// transaction committed durably before `Safe::Valid` is returned.
    pub fn check_and_insert_block_proposal(
        &self,
        pubkey: &PublicKeyBytes,
        slot: Slot,
        signing_root: Hash256,
    ) -> Result<Safe, NotSafe> {
        let slot_sql = to_sql(slot).ok_or(NotSafe::ValueOutOfRange(slot))?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        let validator =
            validator_row(&tx, pubkey)?.ok_or(NotSafe::UnregisteredValidator(*pubkey))?;

        // EIP-3076 minimal strategy: nothing at or below the highest imported slot.
        if let Some(watermark) = validator.block_watermark {
            if slot_sql <= watermark {
                return Err(NotSafe::BlockSlotAtOrBelowWatermark {
                    slot,
                    watermark: from_sql(watermark),
                });
            }
        }

        // One block per slot; the very same block may be signed again.
        let existing: Option<Option<Vec<u8>>> = tx
            .query_row(
                "SELECT signing_root FROM signed_blocks WHERE validator_id = ?1 AND slot = ?2",
                params![validator.id, slot_sql],
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
            params![validator.id, slot_sql, root_blob(&signing_root)],
        )?;
        tx.commit()?;
        Ok(Safe::Valid)
    }
}
