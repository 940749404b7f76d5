//! `BeaconState` (beacon-chain.md, Containers) and the caches that sit beside it.
//!
//! The caches are not part of the spec: they are skipped by SSZ, tree hashing, serde and
//! equality, and only change inside transition functions.

mod caches;
mod committee_cache;
mod tree_hash_cache;

pub use caches::{PubkeyCache, StateCaches};
pub use committee_cache::{CommitteeCache, RelativeEpoch};
pub use tree_hash_cache::{
    depth_for_leaves, pack_u64s, BeaconTreeHashCache, ItemListCache, MerkleCache, MerkleCacheError,
    TreeHashCacheSlot,
};

use crate::{
    Checkpoint, Epoch, Eth1Data, EthSpec, Fork, Gwei, Hash256, JustificationBitsLength,
    PendingAttestation, Root, Slot, Validator,
};
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitVector, FixedVector, VariableList};
use tree_hash_derive::TreeHash;

use serde_utils::quoted_u64;

/// Errors of state accessors: out-of-range indices and lookups the state cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeaconStateError {
    #[error("validator index {index} is out of range (registry length {len})")]
    UnknownValidator { index: u64, len: usize },
    #[error("slot {slot} is out of the range of the state's history (state slot {state_slot})")]
    SlotOutOfRange { slot: Slot, state_slot: Slot },
    #[error(
        "epoch {epoch} is not the previous, current or next epoch of the state (current {current})"
    )]
    EpochOutOfRange { epoch: Epoch, current: Epoch },
    #[error("committee index {index} out of range ({committees_per_slot} committees per slot)")]
    CommitteeIndexOutOfRange {
        index: u64,
        committees_per_slot: u64,
    },
    #[error("list is full: {0}")]
    ListFull(&'static str),
    #[error("arithmetic overflow in {0}")]
    ArithmeticOverflow(&'static str),
    #[error("shuffling failed: {0}")]
    ShuffleFailed(&'static str),
    #[error("no active validators at epoch {0}")]
    NoActiveValidators(Epoch),
}

/// `BeaconState` (beacon-chain.md, Containers).
#[derive(Debug, Clone, Encode, Decode, TreeHash, Serialize, Deserialize)]
#[serde(bound = "E: EthSpec")]
pub struct BeaconState<E: EthSpec> {
    // Versioning
    #[serde(with = "quoted_u64")]
    pub genesis_time: u64,
    pub genesis_validators_root: Root,
    #[serde(with = "quoted_u64")]
    pub slot: Slot,
    pub fork: Fork,
    // History
    pub latest_block_header: crate::BeaconBlockHeader,
    pub block_roots: FixedVector<Root, E::SlotsPerHistoricalRoot>,
    pub state_roots: FixedVector<Root, E::SlotsPerHistoricalRoot>,
    pub historical_roots: VariableList<Root, E::HistoricalRootsLimit>,
    // Eth1
    pub eth1_data: Eth1Data,
    pub eth1_data_votes: VariableList<Eth1Data, E::SlotsPerEth1VotingPeriod>,
    #[serde(with = "quoted_u64")]
    pub eth1_deposit_index: u64,
    // Registry
    pub validators: VariableList<Validator, E::ValidatorRegistryLimit>,
    #[serde(with = "ssz_types::serde_utils::quoted_u64_var_list")]
    pub balances: VariableList<Gwei, E::ValidatorRegistryLimit>,
    // Randomness
    pub randao_mixes: FixedVector<Hash256, E::EpochsPerHistoricalVector>,
    // Slashings
    #[serde(with = "ssz_types::serde_utils::quoted_u64_fixed_vec")]
    pub slashings: FixedVector<Gwei, E::EpochsPerSlashingsVector>,
    // Attestations
    pub previous_epoch_attestations: VariableList<PendingAttestation<E>, E::MaxPendingAttestations>,
    pub current_epoch_attestations: VariableList<PendingAttestation<E>, E::MaxPendingAttestations>,
    // Finality
    pub justification_bits: BitVector<JustificationBitsLength>,
    pub previous_justified_checkpoint: Checkpoint,
    pub current_justified_checkpoint: Checkpoint,
    pub finalized_checkpoint: Checkpoint,

    // Not in the spec: derived data, rebuilt on demand.
    #[ssz(skip_serializing, skip_deserializing)]
    #[tree_hash(skip_hashing)]
    #[serde(skip)]
    pub caches: StateCaches,
}

impl<E: EthSpec> PartialEq for BeaconState<E> {
    /// Equality of the spec fields only; caches never make two states differ.
    fn eq(&self, other: &Self) -> bool {
        use ssz::Encode;
        self.slot == other.slot && self.as_ssz_bytes() == other.as_ssz_bytes()
    }
}

impl<E: EthSpec> BeaconState<E> {
    /// An empty state at genesis slot: all vectors zeroed, all lists empty.
    pub fn empty(genesis_time: u64, fork: Fork, eth1_data: Eth1Data) -> Self {
        BeaconState {
            genesis_time,
            genesis_validators_root: Hash256::ZERO,
            slot: 0,
            fork,
            latest_block_header: crate::BeaconBlockHeader::default(),
            block_roots: FixedVector::default(),
            state_roots: FixedVector::default(),
            historical_roots: VariableList::default(),
            eth1_data,
            eth1_data_votes: VariableList::default(),
            eth1_deposit_index: 0,
            validators: VariableList::default(),
            balances: VariableList::default(),
            randao_mixes: FixedVector::default(),
            slashings: FixedVector::default(),
            previous_epoch_attestations: VariableList::default(),
            current_epoch_attestations: VariableList::default(),
            justification_bits: BitVector::new(),
            previous_justified_checkpoint: Checkpoint::default(),
            current_justified_checkpoint: Checkpoint::default(),
            finalized_checkpoint: Checkpoint::default(),
            caches: StateCaches::default(),
        }
    }

    /// `get_current_epoch` (beacon-chain.md, Beacon state accessors).
    pub fn current_epoch(&self) -> Epoch {
        self.slot / E::slots_per_epoch()
    }

    /// `get_previous_epoch` (beacon-chain.md, Beacon state accessors).
    pub fn previous_epoch(&self) -> Epoch {
        self.current_epoch().saturating_sub(1)
    }

    /// The validator at `index`, or an error naming the index.
    pub fn validator(&self, index: u64) -> Result<&Validator, BeaconStateError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.validators.get(i))
            .ok_or(BeaconStateError::UnknownValidator {
                index,
                len: self.validators.len(),
            })
    }

    /// The validator at `index`, mutably.
    pub fn validator_mut(&mut self, index: u64) -> Result<&mut Validator, BeaconStateError> {
        let len = self.validators.len();
        usize::try_from(index)
            .ok()
            .and_then(|i| self.validators.get_mut(i))
            .ok_or(BeaconStateError::UnknownValidator { index, len })
    }

    /// The balance of validator `index`.
    pub fn balance(&self, index: u64) -> Result<Gwei, BeaconStateError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.balances.get(i).copied())
            .ok_or(BeaconStateError::UnknownValidator {
                index,
                len: self.balances.len(),
            })
    }

    /// The balance of validator `index`, mutably.
    pub fn balance_mut(&mut self, index: u64) -> Result<&mut Gwei, BeaconStateError> {
        let len = self.balances.len();
        usize::try_from(index)
            .ok()
            .and_then(|i| self.balances.get_mut(i))
            .ok_or(BeaconStateError::UnknownValidator { index, len })
    }

    /// `get_block_root_at_slot` (beacon-chain.md, Beacon state accessors).
    pub fn get_block_root_at_slot(&self, slot: Slot) -> Result<Root, BeaconStateError> {
        self.check_history_range(slot)?;
        Ok(self.block_roots[(slot % E::slots_per_historical_root()) as usize])
    }

    /// `get_block_root` (beacon-chain.md, Beacon state accessors).
    pub fn get_block_root(&self, epoch: Epoch) -> Result<Root, BeaconStateError> {
        let slot = epoch
            .checked_mul(E::slots_per_epoch())
            .ok_or(BeaconStateError::ArithmeticOverflow("get_block_root"))?;
        self.get_block_root_at_slot(slot)
    }

    /// The state root recorded for `slot` in `state_roots`.
    pub fn get_state_root_at_slot(&self, slot: Slot) -> Result<Root, BeaconStateError> {
        self.check_history_range(slot)?;
        Ok(self.state_roots[(slot % E::slots_per_historical_root()) as usize])
    }

    fn check_history_range(&self, slot: Slot) -> Result<(), BeaconStateError> {
        // spec: assert slot < state.slot <= slot + SLOTS_PER_HISTORICAL_ROOT
        let in_range = slot < self.slot
            && slot
                .checked_add(E::slots_per_historical_root())
                .is_some_and(|limit| self.slot <= limit);
        if in_range {
            Ok(())
        } else {
            Err(BeaconStateError::SlotOutOfRange {
                slot,
                state_slot: self.slot,
            })
        }
    }

    /// `get_randao_mix` (beacon-chain.md, Beacon state accessors).
    pub fn get_randao_mix(&self, epoch: Epoch) -> Hash256 {
        self.randao_mixes[(epoch % E::epochs_per_historical_vector()) as usize]
    }
}
