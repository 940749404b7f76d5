//! The EIP-3076 interchange format (version 5), as serde types matching the EIP's schema:
//! integers as quoted decimal strings, roots and keys as `0x`-hex.

use serde::{Deserialize, Serialize};
use types::{Epoch, Hash256, PublicKeyBytes, Slot};

/// The interchange format version this client reads and writes.
pub const INTERCHANGE_FORMAT_VERSION: u64 = 5;

/// A whole interchange file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interchange {
    /// Format version and chain.
    pub metadata: InterchangeMetadata,
    /// One entry per validator.
    pub data: Vec<InterchangeData>,
}

/// `metadata`: the format version and the chain the history belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterchangeMetadata {
    /// Always "5" when written by this client.
    #[serde(with = "serde_utils::quoted_u64")]
    pub interchange_format_version: u64,
    /// Identifies the chain.
    pub genesis_validators_root: Hash256,
}

/// One validator's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterchangeData {
    /// The validator's BLS public key.
    pub pubkey: PublicKeyBytes,
    /// Blocks it signed.
    pub signed_blocks: Vec<SignedBlock>,
    /// Attestations it signed.
    pub signed_attestations: Vec<SignedAttestation>,
}

/// A signed block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedBlock {
    /// The block's slot.
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    /// `compute_signing_root(block, domain)`, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_root: Option<Hash256>,
}

/// A signed attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedAttestation {
    /// `attestation.data.source.epoch`.
    #[serde(with = "serde_utils::quoted_u64")]
    pub source_epoch: Epoch,
    /// `attestation.data.target.epoch`.
    #[serde(with = "serde_utils::quoted_u64")]
    pub target_epoch: Epoch,
    /// `compute_signing_root(attestation_data, domain)`, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_root: Option<Hash256>,
}

impl Interchange {
    /// Parse interchange JSON.
    pub fn from_json_str(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The interchange as (pretty-printed) JSON.
    pub fn to_json_string(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}
