//! Why a block (or one of its operations) is invalid.
//!
//! Each spec `assert` of beacon-chain.md v1.0.1 "Block processing" is one variant carrying the
//! values involved. Operation failures name the operation's position in the block body and a
//! per-operation reason. `State` and `Arith` are the spec's other exceptions (a lookup the state
//! cannot answer, a `uint64` overflow): they too make the block invalid.

use crate::StateError;
use safe_arith::ArithError;
use types::{BeaconStateError, Checkpoint, CommitteeIndex, Epoch, Hash256, Slot, ValidatorIndex};

/// Why `process_block` (or `process_signed_block`, or one `process_*` step) rejected its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockProcessingError {
    // --- Block header (process_block_header) ---
    /// `assert block.slot == state.slot`
    #[error("block slot {block} differs from the state's slot {state}")]
    HeaderSlotMismatch { block: Slot, state: Slot },
    /// `assert block.slot > state.latest_block_header.slot`
    #[error("block slot {block} is not newer than the latest block header's slot {parent}")]
    HeaderNotNewerThanParent { block: Slot, parent: Slot },
    /// `assert block.proposer_index == get_beacon_proposer_index(state)`
    #[error("block proposer index {block} is not the expected proposer {expected}")]
    ProposerIndexMismatch {
        block: ValidatorIndex,
        expected: ValidatorIndex,
    },
    /// `assert block.parent_root == hash_tree_root(state.latest_block_header)`
    #[error("block parent root {block} differs from the latest block header's root {expected}")]
    ParentRootMismatch { block: Hash256, expected: Hash256 },
    /// `assert not proposer.slashed`
    #[error("proposer {index} is slashed")]
    ProposerSlashed { index: ValidatorIndex },

    // --- Block signature (verify_block_signature) ---
    /// `state.validators[signed_block.message.proposer_index]` is out of range.
    #[error("block proposer index {index} is not in the registry (length {len})")]
    UnknownProposer { index: ValidatorIndex, len: usize },
    /// `assert verify_block_signature(state, signed_block)`
    #[error("block signature is invalid")]
    BlockSignatureInvalid,

    // --- RANDAO (process_randao) ---
    /// `assert bls.Verify(proposer.pubkey, signing_root, body.randao_reveal)`
    #[error("RANDAO reveal is invalid")]
    RandaoSignatureInvalid,

    // --- Eth1 data (process_eth1_data) ---
    /// `state.eth1_data_votes.append(...)` beyond the list's limit.
    #[error("eth1_data_votes is full")]
    Eth1DataVotesFull,

    // --- Operations (process_operations) ---
    /// `assert len(body.deposits) == min(MAX_DEPOSITS, state.eth1_data.deposit_count - state.eth1_deposit_index)`
    #[error("block has {found} deposits but {expected} are outstanding")]
    DepositCountMismatch { expected: u64, found: u64 },
    /// `process_proposer_slashing` failed for `body.proposer_slashings[index]`.
    #[error("proposer slashing {index} is invalid: {reason}")]
    ProposerSlashingInvalid {
        index: usize,
        reason: ProposerSlashingInvalid,
    },
    /// `process_attester_slashing` failed for `body.attester_slashings[index]`.
    #[error("attester slashing {index} is invalid: {reason}")]
    AttesterSlashingInvalid {
        index: usize,
        reason: AttesterSlashingInvalid,
    },
    /// `process_attestation` failed for `body.attestations[index]`.
    #[error("attestation {index} is invalid: {reason}")]
    AttestationInvalid {
        index: usize,
        reason: AttestationInvalid,
    },
    /// `process_deposit` failed for `body.deposits[index]`.
    #[error("deposit {index} is invalid: {reason}")]
    DepositInvalid {
        index: usize,
        reason: DepositInvalid,
    },
    /// `process_voluntary_exit` failed for `body.voluntary_exits[index]`.
    #[error("voluntary exit {index} is invalid: {reason}")]
    ExitInvalid { index: usize, reason: ExitInvalid },
    /// `is_valid_indexed_attestation` failed (when called on its own).
    #[error("indexed attestation is invalid: {0}")]
    IndexedAttestationInvalid(IndexedAttestationInvalid),

    // --- Batch verification ---
    /// The signatures of the block, checked as one batch, are not all valid.
    #[error("the block's signatures, verified as a batch, are not all valid")]
    BatchSignatureInvalid,

    // --- Internal failures ---
    /// A state lookup failed (an out-of-range index, an epoch outside the state's reach).
    #[error(transparent)]
    State(#[from] StateError),
    /// `uint64` overflow, underflow or division by zero.
    #[error("arithmetic error: {0:?}")]
    Arith(ArithError),
}

impl From<ArithError> for BlockProcessingError {
    fn from(e: ArithError) -> Self {
        BlockProcessingError::Arith(e)
    }
}

impl From<BeaconStateError> for BlockProcessingError {
    fn from(e: BeaconStateError) -> Self {
        BlockProcessingError::State(StateError::BeaconState(e))
    }
}

/// The asserts of `process_proposer_slashing`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposerSlashingInvalid {
    /// `assert header_1.slot == header_2.slot`
    #[error("header slots differ: {slot_1} and {slot_2}")]
    SlotMismatch { slot_1: Slot, slot_2: Slot },
    /// `assert header_1.proposer_index == header_2.proposer_index`
    #[error("header proposer indices differ: {index_1} and {index_2}")]
    ProposerIndexMismatch {
        index_1: ValidatorIndex,
        index_2: ValidatorIndex,
    },
    /// `assert header_1 != header_2`
    #[error("the two headers are identical")]
    HeadersIdentical,
    /// `state.validators[header_1.proposer_index]` is out of range.
    #[error("proposer {index} is not in the registry")]
    UnknownProposer { index: ValidatorIndex },
    /// `assert is_slashable_validator(proposer, get_current_epoch(state))`
    #[error("proposer {index} is not slashable at epoch {epoch}")]
    ProposerNotSlashable { index: ValidatorIndex, epoch: Epoch },
    /// `assert bls.Verify(...)` for `signed_header_1`.
    #[error("signature of header 1 is invalid")]
    Header1SignatureInvalid,
    /// `assert bls.Verify(...)` for `signed_header_2`.
    #[error("signature of header 2 is invalid")]
    Header2SignatureInvalid,
}

/// The asserts of `is_valid_indexed_attestation`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexedAttestationInvalid {
    /// `len(indices) == 0`
    #[error("attesting indices are empty")]
    EmptyIndices,
    /// `not indices == sorted(set(indices))`: the index at `position` is not greater than the one before it.
    #[error("attesting indices are not sorted and unique (at position {position})")]
    IndicesNotSorted { position: usize },
    /// `state.validators[i]` is out of range.
    #[error("attesting index {index} is not in the registry")]
    UnknownValidator { index: ValidatorIndex },
    /// `bls.FastAggregateVerify(pubkeys, signing_root, indexed_attestation.signature)` is false.
    #[error("aggregate signature is invalid")]
    SignatureInvalid,
}

/// The asserts of `process_attester_slashing`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttesterSlashingInvalid {
    /// `assert is_slashable_attestation_data(attestation_1.data, attestation_2.data)`
    #[error("the attestations are neither a double vote nor a surround vote")]
    NotSlashable,
    /// `assert is_valid_indexed_attestation(state, attestation_1)`
    #[error("attestation 1: {0}")]
    Attestation1Invalid(IndexedAttestationInvalid),
    /// `assert is_valid_indexed_attestation(state, attestation_2)`
    #[error("attestation 2: {0}")]
    Attestation2Invalid(IndexedAttestationInvalid),
    /// `assert slashed_any`
    #[error("no validator in both attestations is slashable")]
    NoSlashableIndices,
}

/// The asserts of `process_attestation` (and of `is_valid_indexed_attestation` on its indexed form).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestationInvalid {
    /// `assert data.target.epoch in (get_previous_epoch(state), get_current_epoch(state))`
    #[error("target epoch {target} is neither the previous ({previous}) nor the current ({current}) epoch")]
    TargetEpochNotPreviousOrCurrent {
        target: Epoch,
        previous: Epoch,
        current: Epoch,
    },
    /// `assert data.target.epoch == compute_epoch_at_slot(data.slot)`
    #[error("target epoch {target} is not the epoch {slot_epoch} of the attestation's slot")]
    TargetEpochMismatch { target: Epoch, slot_epoch: Epoch },
    /// `assert data.slot + MIN_ATTESTATION_INCLUSION_DELAY <= state.slot`
    #[error("attestation of slot {attestation_slot} included at slot {state_slot}, before the minimum delay {min_delay}")]
    IncludedTooEarly {
        state_slot: Slot,
        attestation_slot: Slot,
        min_delay: u64,
    },
    /// `assert state.slot <= data.slot + SLOTS_PER_EPOCH`
    #[error("attestation of slot {attestation_slot} included at slot {state_slot}, more than an epoch later")]
    IncludedTooLate {
        state_slot: Slot,
        attestation_slot: Slot,
    },
    /// `assert data.index < get_committee_count_per_slot(state, data.target.epoch)`
    #[error("committee index {index} is not below the committee count {committees_per_slot}")]
    CommitteeIndexOutOfRange {
        index: CommitteeIndex,
        committees_per_slot: u64,
    },
    /// `assert len(attestation.aggregation_bits) == len(committee)`
    #[error("aggregation bitfield has {bits} bits but the committee has {committee} members")]
    BitfieldLengthMismatch { bits: usize, committee: usize },
    /// `assert data.source == state.{current,previous}_justified_checkpoint`
    #[error("source {found:?} is not the justified checkpoint {expected:?}")]
    WrongSource {
        found: Checkpoint,
        expected: Checkpoint,
    },
    /// `state.{current,previous}_epoch_attestations.append(...)` beyond the list's limit.
    #[error("pending attestations list is full")]
    PendingAttestationsFull,
    /// `is_valid_indexed_attestation`: no attesting index (no aggregation bit set).
    #[error("no aggregation bit is set")]
    EmptyIndices,
    /// `is_valid_indexed_attestation`: indices not sorted and unique.
    #[error("attesting indices are not sorted and unique (at position {position})")]
    IndicesNotSorted { position: usize },
    /// `is_valid_indexed_attestation`: an index outside the registry.
    #[error("attesting index {index} is not in the registry")]
    UnknownValidator { index: ValidatorIndex },
    /// `is_valid_indexed_attestation`: the aggregate signature does not verify.
    #[error("aggregate signature is invalid")]
    SignatureInvalid,
}

impl From<IndexedAttestationInvalid> for AttestationInvalid {
    fn from(e: IndexedAttestationInvalid) -> Self {
        match e {
            IndexedAttestationInvalid::EmptyIndices => AttestationInvalid::EmptyIndices,
            IndexedAttestationInvalid::IndicesNotSorted { position } => {
                AttestationInvalid::IndicesNotSorted { position }
            }
            IndexedAttestationInvalid::UnknownValidator { index } => {
                AttestationInvalid::UnknownValidator { index }
            }
            IndexedAttestationInvalid::SignatureInvalid => AttestationInvalid::SignatureInvalid,
        }
    }
}

/// The asserts of `process_deposit`. (A bad deposit signature is not one: the deposit is skipped.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositInvalid {
    /// `assert is_valid_merkle_branch(hash_tree_root(deposit.data), deposit.proof, DEPOSIT_CONTRACT_TREE_DEPTH + 1, state.eth1_deposit_index, state.eth1_data.deposit_root)`
    #[error(
        "Merkle proof of deposit {deposit_index} does not lead to the deposit root {deposit_root}"
    )]
    BadMerkleProof {
        deposit_index: u64,
        deposit_root: Hash256,
    },
    /// `state.validators.append(...)` beyond the registry limit.
    #[error("the validator registry is full")]
    RegistryFull,
}

/// The asserts of `process_voluntary_exit`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExitInvalid {
    /// `state.validators[voluntary_exit.validator_index]` is out of range.
    #[error("validator {index} is not in the registry")]
    UnknownValidator { index: ValidatorIndex },
    /// `assert is_active_validator(validator, get_current_epoch(state))`
    #[error("validator {index} is not active at epoch {epoch}")]
    NotActive { index: ValidatorIndex, epoch: Epoch },
    /// `assert validator.exit_epoch == FAR_FUTURE_EPOCH`
    #[error("validator {index} already exits at epoch {exit_epoch}")]
    AlreadyExited {
        index: ValidatorIndex,
        exit_epoch: Epoch,
    },
    /// `assert get_current_epoch(state) >= voluntary_exit.epoch`
    #[error("exit epoch {exit_epoch} is after the current epoch {current_epoch}")]
    FutureEpoch {
        exit_epoch: Epoch,
        current_epoch: Epoch,
    },
    /// `assert get_current_epoch(state) >= validator.activation_epoch + SHARD_COMMITTEE_PERIOD`
    #[error("validator {index} may exit from epoch {earliest_exit_epoch}, not at {current_epoch}")]
    TooYoungToExit {
        index: ValidatorIndex,
        current_epoch: Epoch,
        earliest_exit_epoch: Epoch,
    },
    /// `assert bls.Verify(validator.pubkey, signing_root, signed_voluntary_exit.signature)`
    #[error("exit signature is invalid")]
    SignatureInvalid,
}
