//! The EIP-3076 interchange format (version 5).

use serde::{Deserialize, Serialize};
use types::{Epoch, Hash256, PublicKeyBytes, Slot};

/// The interchange format version this client reads and writes.
pub const INTERCHANGE_FORMAT_VERSION: u64 = 5;

/// A whole interchange file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interchange {
    pub metadata: InterchangeMetadata,
    pub data: Vec<InterchangeData>,
}

/// `metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterchangeMetadata {
    #[serde(with = "serde_utils::quoted_u64")]
    pub interchange_format_version: u64,
    pub genesis_validators_root: Hash256,
}

/// One validator's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterchangeData {
    pub pubkey: PublicKeyBytes,
    pub signed_blocks: Vec<SignedBlock>,
    pub signed_attestations: Vec<SignedAttestation>,
}

/// A signed block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedBlock {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_root: Option<Hash256>,
}

/// A signed attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedAttestation {
    #[serde(with = "serde_utils::quoted_u64")]
    pub source_epoch: Epoch,
    #[serde(with = "serde_utils::quoted_u64")]
    pub target_epoch: Epoch,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_root: Option<Hash256>,
}

impl Interchange {
    /// Parse interchange JSON.
    pub fn from_json_str(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The interchange as JSON.
    pub fn to_json_string(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}
