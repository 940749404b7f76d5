//! The phase 0 containers of beacon-chain.md and validator.md (v1.0.1), except `BeaconState`
//! (see [`crate::beacon_state`]).
//!
//! Field order is the spec's: it is the SSZ layout. JSON follows the Beacon API (integers as
//! quoted decimals, bytes as `0x` hex).

use crate::{
    DepositProofLength, Domain, Epoch, EthSpec, Gwei, Hash256, Root, Slot, ValidatorIndex, Version,
};
use bls::{PublicKeyBytes, SignatureBytes};
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitList, FixedVector, VariableList};
use tree_hash_derive::TreeHash;

use serde_utils::{bytes_4_hex, quoted_u64};

/// `Fork` (beacon-chain.md, Containers).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Encode,
    Decode,
    TreeHash,
    Serialize,
    Deserialize,
)]
pub struct Fork {
    #[serde(with = "bytes_4_hex")]
    pub previous_version: Version,
    #[serde(with = "bytes_4_hex")]
    pub current_version: Version,
    #[serde(with = "quoted_u64")]
    pub epoch: Epoch,
}

/// `ForkData` (beacon-chain.md, Containers).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Encode,
    Decode,
    TreeHash,
    Serialize,
    Deserialize,
)]
pub struct ForkData {
    #[serde(with = "bytes_4_hex")]
    pub current_version: Version,
    pub genesis_validators_root: Root,
}

/// `Checkpoint` (beacon-chain.md, Containers).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Encode,
    Decode,
    TreeHash,
    Serialize,
    Deserialize,
)]
pub struct Checkpoint {
    #[serde(with = "quoted_u64")]
    pub epoch: Epoch,
    pub root: Root,
}

/// `Validator` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
pub struct Validator {
    pub pubkey: PublicKeyBytes,
    pub withdrawal_credentials: Hash256,
    #[serde(with = "quoted_u64")]
    pub effective_balance: Gwei,
    pub slashed: bool,
    #[serde(with = "quoted_u64")]
    pub activation_eligibility_epoch: Epoch,
    #[serde(with = "quoted_u64")]
    pub activation_epoch: Epoch,
    #[serde(with = "quoted_u64")]
    pub exit_epoch: Epoch,
    #[serde(with = "quoted_u64")]
    pub withdrawable_epoch: Epoch,
}

/// `AttestationData` (beacon-chain.md, Containers).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Encode,
    Decode,
    TreeHash,
    Serialize,
    Deserialize,
)]
pub struct AttestationData {
    #[serde(with = "quoted_u64")]
    pub slot: Slot,
    #[serde(with = "quoted_u64")]
    pub index: u64,
    pub beacon_block_root: Root,
    pub source: Checkpoint,
    pub target: Checkpoint,
}

/// `IndexedAttestation` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
#[serde(bound = "E: EthSpec")]
pub struct IndexedAttestation<E: EthSpec> {
    #[serde(with = "ssz_types::serde_utils::quoted_u64_var_list")]
    pub attesting_indices: VariableList<ValidatorIndex, E::MaxValidatorsPerCommittee>,
    pub data: AttestationData,
    pub signature: SignatureBytes,
}

/// `PendingAttestation` (beacon-chain.md, Containers).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode, TreeHash, Serialize, Deserialize)]
#[serde(bound = "E: EthSpec")]
pub struct PendingAttestation<E: EthSpec> {
    pub aggregation_bits: BitList<E::MaxValidatorsPerCommittee>,
    pub data: AttestationData,
    #[serde(with = "quoted_u64")]
    pub inclusion_delay: Slot,
    #[serde(with = "quoted_u64")]
    pub proposer_index: ValidatorIndex,
}

/// `Eth1Data` (beacon-chain.md, Containers).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Encode,
    Decode,
    TreeHash,
    Serialize,
    Deserialize,
)]
pub struct Eth1Data {
    pub deposit_root: Root,
    #[serde(with = "quoted_u64")]
    pub deposit_count: u64,
    pub block_hash: Hash256,
}

/// `HistoricalBatch` (beacon-chain.md, Containers).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, TreeHash, Serialize, Deserialize)]
#[serde(bound = "E: EthSpec")]
pub struct HistoricalBatch<E: EthSpec> {
    pub block_roots: FixedVector<Root, E::SlotsPerHistoricalRoot>,
    pub state_roots: FixedVector<Root, E::SlotsPerHistoricalRoot>,
}

/// `DepositMessage` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
pub struct DepositMessage {
    pub pubkey: PublicKeyBytes,
    pub withdrawal_credentials: Hash256,
    #[serde(with = "quoted_u64")]
    pub amount: Gwei,
}

/// `DepositData` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
pub struct DepositData {
    pub pubkey: PublicKeyBytes,
    pub withdrawal_credentials: Hash256,
    #[serde(with = "quoted_u64")]
    pub amount: Gwei,
    pub signature: SignatureBytes,
}

impl DepositData {
    /// The `DepositMessage` this deposit signs.
    pub fn as_deposit_message(&self) -> DepositMessage {
        DepositMessage {
            pubkey: self.pubkey,
            withdrawal_credentials: self.withdrawal_credentials,
            amount: self.amount,
        }
    }
}

/// `BeaconBlockHeader` (beacon-chain.md, Containers).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Encode,
    Decode,
    TreeHash,
    Serialize,
    Deserialize,
)]
pub struct BeaconBlockHeader {
    #[serde(with = "quoted_u64")]
    pub slot: Slot,
    #[serde(with = "quoted_u64")]
    pub proposer_index: ValidatorIndex,
    pub parent_root: Root,
    pub state_root: Root,
    pub body_root: Root,
}

/// `SigningData` (beacon-chain.md, Containers).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Encode,
    Decode,
    TreeHash,
    Serialize,
    Deserialize,
)]
pub struct SigningData {
    pub object_root: Root,
    pub domain: Domain,
}

/// `SignedBeaconBlockHeader` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
pub struct SignedBeaconBlockHeader {
    pub message: BeaconBlockHeader,
    pub signature: SignatureBytes,
}

/// `ProposerSlashing` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
pub struct ProposerSlashing {
    pub signed_header_1: SignedBeaconBlockHeader,
    pub signed_header_2: SignedBeaconBlockHeader,
}

/// `AttesterSlashing` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
#[serde(bound = "E: EthSpec")]
pub struct AttesterSlashing<E: EthSpec> {
    pub attestation_1: IndexedAttestation<E>,
    pub attestation_2: IndexedAttestation<E>,
}

/// `Attestation` (beacon-chain.md, Containers).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode, TreeHash, Serialize, Deserialize)]
#[serde(bound = "E: EthSpec")]
pub struct Attestation<E: EthSpec> {
    pub aggregation_bits: BitList<E::MaxValidatorsPerCommittee>,
    pub data: AttestationData,
    pub signature: SignatureBytes,
}

/// `Deposit` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
pub struct Deposit {
    pub proof: FixedVector<Hash256, DepositProofLength>,
    pub data: DepositData,
}

/// `VoluntaryExit` (beacon-chain.md, Containers).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Encode,
    Decode,
    TreeHash,
    Serialize,
    Deserialize,
)]
pub struct VoluntaryExit {
    #[serde(with = "quoted_u64")]
    pub epoch: Epoch,
    #[serde(with = "quoted_u64")]
    pub validator_index: ValidatorIndex,
}

/// `SignedVoluntaryExit` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
pub struct SignedVoluntaryExit {
    pub message: VoluntaryExit,
    pub signature: SignatureBytes,
}

/// `BeaconBlockBody` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
#[serde(bound = "E: EthSpec")]
pub struct BeaconBlockBody<E: EthSpec> {
    pub randao_reveal: SignatureBytes,
    pub eth1_data: Eth1Data,
    pub graffiti: Hash256,
    pub proposer_slashings: VariableList<ProposerSlashing, E::MaxProposerSlashings>,
    pub attester_slashings: VariableList<AttesterSlashing<E>, E::MaxAttesterSlashings>,
    pub attestations: VariableList<Attestation<E>, E::MaxAttestations>,
    pub deposits: VariableList<Deposit, E::MaxDeposits>,
    pub voluntary_exits: VariableList<SignedVoluntaryExit, E::MaxVoluntaryExits>,
}

/// `BeaconBlock` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
#[serde(bound = "E: EthSpec")]
pub struct BeaconBlock<E: EthSpec> {
    #[serde(with = "quoted_u64")]
    pub slot: Slot,
    #[serde(with = "quoted_u64")]
    pub proposer_index: ValidatorIndex,
    pub parent_root: Root,
    pub state_root: Root,
    pub body: BeaconBlockBody<E>,
}

impl<E: EthSpec> BeaconBlock<E> {
    /// The header of this block, with `body_root` = hash_tree_root(body).
    pub fn block_header(&self) -> BeaconBlockHeader {
        BeaconBlockHeader {
            slot: self.slot,
            proposer_index: self.proposer_index,
            parent_root: self.parent_root,
            state_root: self.state_root,
            body_root: tree_hash::TreeHash::tree_hash_root(&self.body),
        }
    }
}

/// `SignedBeaconBlock` (beacon-chain.md, Containers).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, TreeHash, Serialize, Deserialize,
)]
#[serde(bound = "E: EthSpec")]
pub struct SignedBeaconBlock<E: EthSpec> {
    pub message: BeaconBlock<E>,
    pub signature: SignatureBytes,
}

impl<E: EthSpec> SignedBeaconBlock<E> {
    /// The signed header of this block (what a proposer slashing compares).
    pub fn signed_block_header(&self) -> SignedBeaconBlockHeader {
        SignedBeaconBlockHeader {
            message: self.message.block_header(),
            signature: self.signature,
        }
    }
}

/// `Eth1Block` (validator.md, Eth1 data).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Encode,
    Decode,
    TreeHash,
    Serialize,
    Deserialize,
)]
pub struct Eth1Block {
    #[serde(with = "quoted_u64")]
    pub timestamp: u64,
    pub deposit_root: Root,
    #[serde(with = "quoted_u64")]
    pub deposit_count: u64,
}

/// `AggregateAndProof` (validator.md, Aggregation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode, TreeHash, Serialize, Deserialize)]
#[serde(bound = "E: EthSpec")]
pub struct AggregateAndProof<E: EthSpec> {
    #[serde(with = "quoted_u64")]
    pub aggregator_index: ValidatorIndex,
    pub aggregate: Attestation<E>,
    pub selection_proof: SignatureBytes,
}

/// `SignedAggregateAndProof` (validator.md, Aggregation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode, TreeHash, Serialize, Deserialize)]
#[serde(bound = "E: EthSpec")]
pub struct SignedAggregateAndProof<E: EthSpec> {
    pub message: AggregateAndProof<E>,
    pub signature: SignatureBytes,
}
