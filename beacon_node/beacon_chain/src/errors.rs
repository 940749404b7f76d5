//! Errors, each naming the rule that failed, and what gossip should do about it.
//!
//! Every rejection of a block or an attestation maps to a [`GossipAction`] following
//! p2p-interface.md v1.0.1: `Reject` (the message is invalid: penalise the peer, don't forward)
//! or `Ignore` (can't be judged now, or a duplicate: don't forward, no penalty). The matches
//! below have no wildcard, so a new variant forces that decision.

use fork_choice::{ForkChoiceError, InvalidAttestation, InvalidBlock};
use state_processing::per_block_processing::SignatureSetError;
use state_processing::{BlockProcessingError, SlotProcessingError, StateError};
use store::StoreError;
use types::{Epoch, Hash256, Slot};

/// What the network should do with a message that failed verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GossipAction {
    /// Invalid: penalise the sender and drop it.
    Reject,
    /// Not judged invalid (unknown parent, duplicate, too early or late): drop it quietly.
    Ignore,
}

/// Failures of the node itself, not of any input.
#[derive(Debug, thiserror::Error)]
pub enum BeaconChainError {
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("fork choice: {0}")]
    ForkChoice(Box<ForkChoiceError>),
    #[error("state {state_root:?} of block {block_root:?} is missing from the database")]
    MissingState {
        block_root: Hash256,
        state_root: Hash256,
    },
    #[error("block {0:?} is missing from the database")]
    MissingBlock(Hash256),
    #[error("advancing a state failed: {0}")]
    SlotProcessing(#[from] SlotProcessingError),
    #[error("state accessor failed: {0}")]
    State(#[from] StateError),
    #[error("state lookup failed: {0}")]
    BeaconState(#[from] types::BeaconStateError),
    #[error("block production: {0}")]
    BlockProduction(String),
    #[error("the slot clock is before genesis or broken")]
    SlotClock,
    #[error("the persisted chain is inconsistent: {0}")]
    Inconsistent(String),
    #[error("fork choice refused our own block: {0}")]
    ForkChoiceBlock(Box<InvalidBlock>),
    #[error("no shuffling of epoch {epoch} from a state of the later epoch {state_epoch}")]
    ShufflingFromLaterState { epoch: Epoch, state_epoch: Epoch },
    #[error("slot {slot} is not in the shuffling's epoch {epoch}")]
    SlotNotInShuffling { slot: Slot, epoch: Epoch },
}

impl From<ForkChoiceError> for BeaconChainError {
    fn from(e: ForkChoiceError) -> Self {
        BeaconChainError::ForkChoice(Box::new(e))
    }
}

impl From<InvalidBlock> for BeaconChainError {
    fn from(e: InvalidBlock) -> Self {
        BeaconChainError::ForkChoiceBlock(Box::new(e))
    }
}

/// Why a block was not imported.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    #[error("block slot {block_slot} is in the future (current slot {current_slot})")]
    FutureSlot {
        block_slot: Slot,
        current_slot: Slot,
    },
    #[error("block slot {block_slot} is not after the finalized slot {finalized_slot}")]
    WouldRevertFinalizedSlot {
        block_slot: Slot,
        finalized_slot: Slot,
    },
    #[error("block {0:?} is already known")]
    BlockIsAlreadyKnown(Hash256),
    #[error("proposer {proposer_index} already proposed a block for slot {slot}")]
    RepeatProposal { proposer_index: u64, slot: Slot },
    #[error("proposer signature is invalid")]
    ProposalSignatureInvalid,
    #[error("parent {0:?} is unknown (fetch it, then retry)")]
    ParentUnknown(Hash256),
    #[error("parent {0:?} failed validation")]
    ParentInvalid(Hash256),
    #[error("block slot {block_slot} is not after its parent's slot {parent_slot}")]
    BlockIsNotLaterThanParent { block_slot: Slot, parent_slot: Slot },
    #[error("block does not descend from the finalized checkpoint {finalized_root:?}")]
    NotFinalizedDescendant { finalized_root: Hash256 },
    #[error("proposer index {block} is not the expected proposer {expected} of slot {slot}")]
    IncorrectProposer {
        block: u64,
        expected: u64,
        slot: Slot,
    },
    #[error("proposer index {0} is not a known validator")]
    UnknownValidator(u64),
    #[error("block is invalid: {0}")]
    PerBlockProcessing(BlockProcessingError),
    #[error("block's state_root {block:?} differs from the post-state's {computed:?}")]
    StateRootMismatch { block: Hash256, computed: Hash256 },
    #[error("advancing the parent state to the block's slot failed: {0}")]
    SlotProcessing(SlotProcessingError),
    #[error("fork choice refused the block: {0}")]
    ForkChoice(InvalidBlock),
    #[error("signature set could not be built: {0}")]
    SignatureSet(SignatureSetError),
    #[error("a chain segment's block does not name the block before it as its parent")]
    NonLinearParentRoots,
    #[error("a chain segment's slots do not rise strictly")]
    NonLinearSlots,
    #[error("internal error: {0}")]
    BeaconChain(Box<BeaconChainError>),
}

impl From<BeaconChainError> for BlockError {
    fn from(e: BeaconChainError) -> Self {
        BlockError::BeaconChain(Box::new(e))
    }
}

impl BlockError {
    /// The variant's name: a bounded label for metrics.
    pub fn kind(&self) -> &'static str {
        use BlockError::*;
        match self {
            FutureSlot { .. } => "FutureSlot",
            WouldRevertFinalizedSlot { .. } => "WouldRevertFinalizedSlot",
            BlockIsAlreadyKnown(_) => "BlockIsAlreadyKnown",
            RepeatProposal { .. } => "RepeatProposal",
            ProposalSignatureInvalid => "ProposalSignatureInvalid",
            ParentUnknown(_) => "ParentUnknown",
            ParentInvalid(_) => "ParentInvalid",
            BlockIsNotLaterThanParent { .. } => "BlockIsNotLaterThanParent",
            NotFinalizedDescendant { .. } => "NotFinalizedDescendant",
            IncorrectProposer { .. } => "IncorrectProposer",
            UnknownValidator(_) => "UnknownValidator",
            PerBlockProcessing(_) => "PerBlockProcessing",
            StateRootMismatch { .. } => "StateRootMismatch",
            SlotProcessing(_) => "SlotProcessing",
            ForkChoice(_) => "ForkChoice",
            SignatureSet(_) => "SignatureSet",
            NonLinearParentRoots => "NonLinearParentRoots",
            NonLinearSlots => "NonLinearSlots",
            BeaconChain(_) => "BeaconChain",
        }
    }

    /// REJECT or IGNORE, per the `beacon_block` topic's rules.
    pub fn gossip_action(&self) -> GossipAction {
        use BlockError::*;
        match self {
            FutureSlot { .. }
            | WouldRevertFinalizedSlot { .. }
            | BlockIsAlreadyKnown(_)
            | RepeatProposal { .. }
            | ParentUnknown(_)
            | BeaconChain(_) => GossipAction::Ignore,
            ProposalSignatureInvalid
            | ParentInvalid(_)
            | BlockIsNotLaterThanParent { .. }
            | NotFinalizedDescendant { .. }
            | IncorrectProposer { .. }
            | UnknownValidator(_)
            | PerBlockProcessing(_)
            | StateRootMismatch { .. }
            | SlotProcessing(_)
            | SignatureSet(_)
            | NonLinearParentRoots
            | NonLinearSlots => GossipAction::Reject,
            ForkChoice(e) => match e {
                InvalidBlock::UnknownParent { .. }
                | InvalidBlock::FutureSlot { .. }
                | InvalidBlock::NotAfterFinalizedSlot { .. }
                | InvalidBlock::ProtoArray(_) => GossipAction::Ignore,
                InvalidBlock::NotDescendantOfFinalized { .. } => GossipAction::Reject,
            },
        }
    }

    /// True if the block itself is invalid, so its descendants are too.
    pub fn marks_block_invalid(&self) -> bool {
        use BlockError::*;
        matches!(
            self,
            ProposalSignatureInvalid
                | ParentInvalid(_)
                | BlockIsNotLaterThanParent { .. }
                | NotFinalizedDescendant { .. }
                | IncorrectProposer { .. }
                | UnknownValidator(_)
                | PerBlockProcessing(_)
                | StateRootMismatch { .. }
                | SlotProcessing(_)
        )
    }
}

/// Why an attestation or aggregate was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AttestationError {
    #[error("committee index {index} is not below the committee count {committees_per_slot}")]
    NoCommitteeForSlotAndIndex {
        index: u64,
        committees_per_slot: u64,
    },
    #[error("attestation for subnet {expected} arrived on subnet {received}")]
    InvalidSubnetId { received: u64, expected: u64 },
    #[error("attestation slot {attestation_slot} is in the future (current slot {current_slot})")]
    FutureSlot {
        attestation_slot: Slot,
        current_slot: Slot,
    },
    #[error("attestation slot {attestation_slot} is too old (earliest permissible {earliest_permissible_slot})")]
    PastSlot {
        attestation_slot: Slot,
        earliest_permissible_slot: Slot,
    },
    #[error("target epoch {target_epoch} is not the epoch of slot {slot}")]
    InvalidTargetEpoch { slot: Slot, target_epoch: Epoch },
    #[error("unaggregated attestation has {0} participants, not one")]
    NotExactlyOneAggregationBitSet(usize),
    #[error("aggregation bits length {bits} differs from the committee size {committee}")]
    BitfieldLengthMismatch { bits: usize, committee: usize },
    #[error("validator {validator_index} already attested for target epoch {epoch}")]
    PriorAttestationKnown { validator_index: u64, epoch: Epoch },
    #[error("attestation signature is invalid")]
    InvalidSignature,
    #[error("attested block {0:?} is unknown (fetch it, then retry)")]
    UnknownHeadBlock(Hash256),
    #[error("attested block {0:?} failed validation")]
    HeadBlockInvalid(Hash256),
    #[error("target {target:?} is not the attested block's ancestor at the target epoch")]
    InvalidTargetRoot { target: Hash256 },
    #[error("target block {0:?} is unknown")]
    UnknownTargetRoot(Hash256),
    #[error("attested block does not descend from the finalized checkpoint")]
    NotFinalizedDescendant,
    #[error("aggregate {0:?} was already seen")]
    AttestationAlreadyKnown(Hash256),
    #[error("aggregator {aggregator_index} already aggregated for target epoch {epoch}")]
    AggregatorAlreadyKnown { aggregator_index: u64, epoch: Epoch },
    #[error("aggregate has no participants")]
    EmptyAggregationBitfield,
    #[error("selection proof does not select validator {0} as an aggregator")]
    InvalidSelectionProof(u64),
    #[error("aggregator {0} is not in the committee")]
    AggregatorNotInCommittee(u64),
    #[error("validator index {0} is unknown")]
    UnknownValidator(u64),
    #[error("fork choice refused the attestation: {0}")]
    ForkChoice(InvalidAttestation),
    #[error("internal error: {0}")]
    BeaconChain(Box<BeaconChainError>),
}

impl From<BeaconChainError> for AttestationError {
    fn from(e: BeaconChainError) -> Self {
        AttestationError::BeaconChain(Box::new(e))
    }
}

impl AttestationError {
    /// REJECT or IGNORE, per the attestation topics' rules.
    pub fn gossip_action(&self) -> GossipAction {
        use AttestationError::*;
        match self {
            FutureSlot { .. }
            | PastSlot { .. }
            | PriorAttestationKnown { .. }
            | UnknownHeadBlock(_)
            | UnknownTargetRoot(_)
            | AttestationAlreadyKnown(_)
            | AggregatorAlreadyKnown { .. }
            | BeaconChain(_) => GossipAction::Ignore,
            NoCommitteeForSlotAndIndex { .. }
            | InvalidSubnetId { .. }
            | InvalidTargetEpoch { .. }
            | NotExactlyOneAggregationBitSet(_)
            | BitfieldLengthMismatch { .. }
            | InvalidSignature
            | HeadBlockInvalid(_)
            | InvalidTargetRoot { .. }
            | NotFinalizedDescendant
            | EmptyAggregationBitfield
            | InvalidSelectionProof(_)
            | AggregatorNotInCommittee(_)
            | UnknownValidator(_) => GossipAction::Reject,
            ForkChoice(e) => match e {
                InvalidAttestation::UnknownHeadBlock(_)
                | InvalidAttestation::UnknownTargetRoot(_)
                | InvalidAttestation::TargetEpochNotCurrentOrPrevious { .. } => {
                    GossipAction::Ignore
                }
                InvalidAttestation::TargetEpochSlotMismatch { .. }
                | InvalidAttestation::AttestsToFutureBlock { .. }
                | InvalidAttestation::InvalidTarget { .. } => GossipAction::Reject,
            },
        }
    }
}
