//! Decoding stored values: every failure names its column and key.

use crate::errors::StoreError;
use crate::kv::DBColumn;
use ssz::Decode;
use types::{Hash256, Slot};

fn corrupt(column: DBColumn, key: &[u8], reason: String) -> StoreError {
    StoreError::Decode {
        column,
        key: hex::encode(key),
        reason,
    }
}

/// An SSZ value.
pub(crate) fn decode_ssz<T: Decode>(
    column: DBColumn,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    T::from_ssz_bytes(bytes).map_err(|e| corrupt(column, key, format!("{e:?}")))
}

/// A little-endian u64.
pub(crate) fn decode_u64(column: DBColumn, key: &[u8], bytes: &[u8]) -> Result<u64, StoreError> {
    let array: [u8; 8] = bytes.try_into().map_err(|_| {
        corrupt(
            column,
            key,
            format!("{} bytes where a u64 was expected", bytes.len()),
        )
    })?;
    Ok(u64::from_le_bytes(array))
}

/// A 32-byte root (a value, or a key read back from a column).
pub(crate) fn decode_root(
    column: DBColumn,
    key: &[u8],
    bytes: &[u8],
) -> Result<Hash256, StoreError> {
    Hash256::try_from(bytes).map_err(|_| {
        corrupt(
            column,
            key,
            format!("{} bytes where a 32-byte root was expected", bytes.len()),
        )
    })
}

/// The key of a slot-indexed column: big-endian, so keys sort by slot.
pub(crate) fn slot_key(slot: Slot) -> [u8; 8] {
    slot.to_be_bytes()
}
