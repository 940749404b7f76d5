//! Slashing protection for the validator client: a durable record of everything each
//! validator signed, checked and updated in one transaction before every signature
//! (`database`, `block`, `attestation`), and the EIP-3076 interchange format to move that
//! record between clients (`interchange`, `import`, `export`).
//!
//! Strategy: EIP-3076's *minimal* one for imported history. An import records every block
//! and attestation it carries and raises per-validator watermarks to the highest slot, source
//! and target known after the import (imported or signed here); nothing at or below a
//! watermark (below, for sources) is signed again, whatever its signing root. Above the
//! watermarks the full rules apply: no second block at a slot, no double vote, no surround in
//! either direction, source never after target. Re-signing exactly the same message (same
//! signing root) is allowed.

mod attestation;
mod block;
mod database;
mod errors;
mod export;
mod import;
pub mod interchange;

pub use database::SlashingDatabase;
pub use errors::{DatabaseError, NotSafe, Safe};
pub use interchange::{
    Interchange, InterchangeData, InterchangeMetadata, SignedAttestation, SignedBlock,
    INTERCHANGE_FORMAT_VERSION,
};

#[cfg(test)]
mod tests;
