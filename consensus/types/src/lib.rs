//! Phase 0 types: every container of consensus-specs v1.0.1 (`specs/phase0/beacon-chain.md`,
//! `validator.md`), the compile-time list lengths of each preset ([`EthSpec`]), and the runtime
//! [`ChainSpec`] read from a network's config.
//!
//! Encoding: SSZ via `ethereum_ssz`, hashing via `tree_hash`, and JSON exactly as the Beacon API
//! writes it (integers as decimal strings, bytes as `0x` hex) via `serde`.

pub mod beacon_state;
mod chain_spec;
mod containers;
mod eth_spec;
mod primitives;
pub mod signing;

pub use beacon_state::{BeaconState, BeaconStateError};
pub use chain_spec::*;
pub use containers::*;
pub use eth_spec::*;
pub use primitives::*;

pub use bls::{PublicKey, PublicKeyBytes, Signature, SignatureBytes};
pub use ssz_types::{typenum, BitList, BitVector, FixedVector, VariableList};
