//! The Beacon Node API's JSON bodies (ethereum/beacon-APIs v1, phase 0) that both sides of the
//! API use: the node serializes them and the validator client parses them, so the wire format
//! is written down once.
//!
//! Integers are decimal strings and byte strings 0x-hex, as the API's schema says.

use serde::{Deserialize, Serialize};
use types::{Checkpoint, Epoch, Hash256, PublicKeyBytes, SignedBeaconBlockHeader, Slot, Validator};

/// `{"data": …}`, the envelope of most responses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Data<T> {
    pub data: T,
}

/// `{"execution_optimistic": false, "data": …}`: the envelope of what is read from the chain.
///
/// `execution_optimistic` came with the merge; clients written since (Lodestar 1.5.1's
/// validator client among them) refuse these responses without it. A phase 0 chain has no
/// execution payloads, so it is always false here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainData<T> {
    #[serde(default)]
    pub execution_optimistic: bool,
    pub data: T,
}

impl<T> ChainData<T> {
    /// `data` read from a phase 0 chain.
    pub fn new(data: T) -> Self {
        ChainData {
            execution_optimistic: false,
            data,
        }
    }
}

/// The fork name of every phase 0 object, in the `version` field of the v2 routes.
pub const PHASE0_VERSION: &str = "phase0";

/// `{"version": "phase0", "execution_optimistic": false, "data": …}`: the v2 routes that
/// return a block or a state (`/eth/v2/beacon/blocks/{id}`, `/eth/v2/debug/beacon/states/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionedData<T> {
    pub version: String,
    #[serde(default)]
    pub execution_optimistic: bool,
    pub data: T,
}

impl<T> VersionedData<T> {
    /// A phase 0 `data`.
    pub fn phase0(data: T) -> Self {
        VersionedData {
            version: PHASE0_VERSION.into(),
            execution_optimistic: false,
            data,
        }
    }
}

/// What `/eth/v1/validator/blocks/{slot}` and `/eth/v2/validator/blocks/{slot}` answer: the
/// block, its fork (v2 only) and `block_value`, the wei the proposer earns from the execution
/// payload. That is 0 before the merge, but Lodestar 1.5.1's validator client reads the field
/// on both routes and fails without it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducedBlock<T> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default = "zero")]
    pub block_value: String,
    pub data: T,
}

fn zero() -> String {
    "0".into()
}

/// `{"root": …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootData {
    pub root: Hash256,
}

/// `GET /eth/v1/beacon/genesis`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub genesis_time: u64,
    pub genesis_validators_root: Hash256,
    #[serde(with = "serde_utils::bytes_4_hex")]
    pub genesis_fork_version: [u8; 4],
}

/// `GET /eth/v1/beacon/states/{state_id}/finality_checkpoints`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalityCheckpoints {
    pub previous_justified: Checkpoint,
    pub current_justified: Checkpoint,
    pub finalized: Checkpoint,
}

/// `GET /eth/v1/beacon/headers/{block_id}`: a block's header, its root, and whether it is on
/// the node's canonical chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderData {
    pub root: Hash256,
    pub canonical: bool,
    pub header: SignedBeaconBlockHeader,
}

/// `GET /eth/v1/node/peer_count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerCount {
    #[serde(with = "serde_utils::quoted_u64")]
    pub disconnected: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub connecting: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub connected: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub disconnecting: u64,
}

/// `GET /eth/v1/node/syncing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncingData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub head_slot: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub sync_distance: u64,
    pub is_syncing: bool,
}

/// `GET /eth/v1/node/version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionData {
    pub version: String,
}

/// `GET /eth/v1/node/identity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkIdentity {
    /// The libp2p peer id (base58).
    pub peer_id: String,
    /// The ENR, `enr:` and URL-safe base64.
    pub enr: String,
    /// Multiaddrs serving req/resp (none while the node does not listen).
    pub p2p_addresses: Vec<String>,
    /// Multiaddrs of discv5 (none while the node does not listen).
    pub discovery_addresses: Vec<String>,
    pub metadata: NodeMetadata,
}

/// The node's `MetaData` (p2p-interface.md) as the API prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeMetadata {
    #[serde(with = "serde_utils::quoted_u64")]
    pub seq_number: u64,
    /// The attestation subnet bitfield, 0x-hex SSZ.
    pub attnets: String,
}

/// One entry of `GET /eth/v1/beacon/states/{state_id}/validators`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidatorData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub balance: u64,
    pub status: String,
    pub validator: Validator,
}

/// The duty responses: the duties and the block root they depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutiesResponse<T> {
    pub dependent_root: Hash256,
    /// Always false on a phase 0 chain (see [`ChainData`]).
    #[serde(default)]
    pub execution_optimistic: bool,
    pub data: Vec<T>,
}

/// One entry of `GET /eth/v1/validator/duties/proposer/{epoch}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposerDuty {
    pub pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
}

/// One entry of `POST /eth/v1/validator/duties/attester/{epoch}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttesterDuty {
    pub pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub committee_index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub committee_length: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub committees_at_slot: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_committee_index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
}

/// One entry of `POST /eth/v1/validator/beacon_committee_subscriptions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeaconCommitteeSubscription {
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub committee_index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub committees_at_slot: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    pub is_aggregator: bool,
}

/// The `head` event of `/eth/v1/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadEvent {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    pub block: Hash256,
    pub state: Hash256,
    pub epoch_transition: bool,
    pub previous_duty_dependent_root: Hash256,
    pub current_duty_dependent_root: Hash256,
    /// Always false on a phase 0 chain (see [`ChainData`]).
    #[serde(default)]
    pub execution_optimistic: bool,
}

/// The `chain_reorg` event of `/eth/v1/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReorgEvent {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    #[serde(with = "serde_utils::quoted_u64")]
    pub depth: u64,
    pub old_head_block: Hash256,
    pub new_head_block: Hash256,
    pub old_head_state: Hash256,
    pub new_head_state: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    pub epoch: Epoch,
    /// Always false on a phase 0 chain (see [`ChainData`]).
    #[serde(default)]
    pub execution_optimistic: bool,
}

/// One failed item of a pool submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedFailure {
    pub index: usize,
    pub message: String,
}

/// An error body: `{code, message}`, with `failures` for pool submissions where some items
/// failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorMessage {
    pub code: u16,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<IndexedFailure>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_travel_as_decimal_strings() {
        let duty = AttesterDuty {
            pubkey: PublicKeyBytes::empty(),
            validator_index: 7,
            committee_index: 1,
            committee_length: 128,
            committees_at_slot: 4,
            validator_committee_index: 3,
            slot: 12,
        };
        let json = serde_json::to_value(&duty).unwrap();
        assert_eq!(json["validator_index"], "7");
        assert_eq!(json["slot"], "12");
        let back: AttesterDuty = serde_json::from_value(json).unwrap();
        assert_eq!(back, duty);
    }

    #[test]
    fn error_bodies_carry_failures_only_when_there_are_some() {
        let plain = ErrorMessage {
            code: 404,
            message: "not found".into(),
            failures: vec![],
        };
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"code":404,"message":"not found"}"#
        );
        let parsed: ErrorMessage = serde_json::from_str(
            r#"{"code":400,"message":"some failed","failures":[{"index":2,"message":"bad"}]}"#,
        )
        .unwrap();
        assert_eq!(parsed.failures[0].index, 2);
    }
}
