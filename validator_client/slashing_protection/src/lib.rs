//! Slashing protection for the validator client: a durable record of everything each
//! validator signed, checked before every signature (`database`), and the EIP-3076
//! interchange format to move that record between clients (`interchange`).

mod database;
pub mod interchange;

pub use database::{DatabaseError, NotSafe, Safe, SlashingDatabase};
pub use interchange::{Interchange, INTERCHANGE_FORMAT_VERSION};

#[cfg(test)]
mod tests;
