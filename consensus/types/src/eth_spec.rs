//! Compile-time list lengths per preset.
//!
//! SSZ list limits and vector lengths change both the encoding and the hash tree root, so they
//! are types (via `typenum`), chosen once per network. The runtime [`crate::ChainSpec`] carries
//! every other constant; `ChainSpec::type_level_preset` tells which `EthSpec` fits a config.
//!
//! Three presets exist because the v0.12-era testnets (Altona, Medalla, Spadina, Zinken) used
//! the mainnet preset with `EPOCHS_PER_ETH1_VOTING_PERIOD: 32`, which halves the
//! `eth1_data_votes` limit (1024 instead of 2048) and so changes the state's root.

use ssz_types::typenum::{
    Unsigned, U1024, U1099511627776, U128, U16, U16777216, U2, U2048, U32, U4096, U64, U65536,
    U8192,
};
use std::fmt::Debug;

/// What a type-level length must support to appear in containers.
pub trait ListLength:
    Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + std::hash::Hash + Default
{
}

impl<T> ListLength for T where
    T: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + std::hash::Hash + Default
{
}

/// The type-level constants of one preset.
pub trait EthSpec:
    'static + Default + Clone + Copy + Debug + PartialEq + Eq + Send + Sync + std::hash::Hash
{
    /// `MAX_VALIDATORS_PER_COMMITTEE`.
    type MaxValidatorsPerCommittee: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `SLOTS_PER_EPOCH` (as a type, for `MaxPendingAttestations`).
    type SlotsPerEpoch: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `SLOTS_PER_HISTORICAL_ROOT`.
    type SlotsPerHistoricalRoot: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `HISTORICAL_ROOTS_LIMIT`.
    type HistoricalRootsLimit: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `EPOCHS_PER_ETH1_VOTING_PERIOD * SLOTS_PER_EPOCH`: the `eth1_data_votes` limit.
    type SlotsPerEth1VotingPeriod: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `VALIDATOR_REGISTRY_LIMIT`.
    type ValidatorRegistryLimit: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `EPOCHS_PER_HISTORICAL_VECTOR`.
    type EpochsPerHistoricalVector: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `EPOCHS_PER_SLASHINGS_VECTOR`.
    type EpochsPerSlashingsVector: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `MAX_ATTESTATIONS * SLOTS_PER_EPOCH`: the limit of each epoch's pending attestations.
    type MaxPendingAttestations: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `MAX_PROPOSER_SLASHINGS`.
    type MaxProposerSlashings: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `MAX_ATTESTER_SLASHINGS`.
    type MaxAttesterSlashings: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `MAX_ATTESTATIONS`.
    type MaxAttestations: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `MAX_DEPOSITS`.
    type MaxDeposits: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;
    /// `MAX_VOLUNTARY_EXITS`.
    type MaxVoluntaryExits: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + std::hash::Hash
        + Default;

    /// Which preset this is, to match it against a runtime config.
    const ID: crate::EthSpecId;

    /// `SLOTS_PER_EPOCH` as a value.
    fn slots_per_epoch() -> u64 {
        Self::SlotsPerEpoch::to_u64()
    }
    /// `SLOTS_PER_HISTORICAL_ROOT` as a value.
    fn slots_per_historical_root() -> u64 {
        Self::SlotsPerHistoricalRoot::to_u64()
    }
    /// `EPOCHS_PER_HISTORICAL_VECTOR` as a value.
    fn epochs_per_historical_vector() -> u64 {
        Self::EpochsPerHistoricalVector::to_u64()
    }
    /// `EPOCHS_PER_SLASHINGS_VECTOR` as a value.
    fn epochs_per_slashings_vector() -> u64 {
        Self::EpochsPerSlashingsVector::to_u64()
    }
    /// `MAX_VALIDATORS_PER_COMMITTEE` as a value.
    fn max_validators_per_committee() -> u64 {
        Self::MaxValidatorsPerCommittee::to_u64()
    }
    /// The `eth1_data_votes` limit as a value.
    fn slots_per_eth1_voting_period() -> u64 {
        Self::SlotsPerEth1VotingPeriod::to_u64()
    }
}

/// The mainnet preset of v1.0.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MainnetEthSpec;

impl EthSpec for MainnetEthSpec {
    type MaxValidatorsPerCommittee = U2048;
    type SlotsPerEpoch = U32;
    type SlotsPerHistoricalRoot = U8192;
    type HistoricalRootsLimit = U16777216;
    type SlotsPerEth1VotingPeriod = U2048;
    type ValidatorRegistryLimit = U1099511627776;
    type EpochsPerHistoricalVector = U65536;
    type EpochsPerSlashingsVector = U8192;
    type MaxPendingAttestations = U4096;
    type MaxProposerSlashings = U16;
    type MaxAttesterSlashings = U2;
    type MaxAttestations = U128;
    type MaxDeposits = U16;
    type MaxVoluntaryExits = U16;
    const ID: crate::EthSpecId = crate::EthSpecId::Mainnet;
}

/// The minimal preset (used by the conformance vectors and small local chains).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MinimalEthSpec;

impl EthSpec for MinimalEthSpec {
    type MaxValidatorsPerCommittee = U2048;
    type SlotsPerEpoch = ssz_types::typenum::U8;
    type SlotsPerHistoricalRoot = U64;
    type HistoricalRootsLimit = U16777216;
    type SlotsPerEth1VotingPeriod = U32;
    type ValidatorRegistryLimit = U1099511627776;
    type EpochsPerHistoricalVector = U64;
    type EpochsPerSlashingsVector = U64;
    type MaxPendingAttestations = U1024;
    type MaxProposerSlashings = U16;
    type MaxAttesterSlashings = U2;
    type MaxAttestations = U128;
    type MaxDeposits = U16;
    type MaxVoluntaryExits = U16;
    const ID: crate::EthSpecId = crate::EthSpecId::Minimal;
}

/// The mainnet preset as the v0.12-era testnets ran it: `EPOCHS_PER_ETH1_VOTING_PERIOD` 32.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MainnetV012EthSpec;

impl EthSpec for MainnetV012EthSpec {
    type MaxValidatorsPerCommittee = U2048;
    type SlotsPerEpoch = U32;
    type SlotsPerHistoricalRoot = U8192;
    type HistoricalRootsLimit = U16777216;
    type SlotsPerEth1VotingPeriod = U1024;
    type ValidatorRegistryLimit = U1099511627776;
    type EpochsPerHistoricalVector = U65536;
    type EpochsPerSlashingsVector = U8192;
    type MaxPendingAttestations = U4096;
    type MaxProposerSlashings = U16;
    type MaxAttesterSlashings = U2;
    type MaxAttestations = U128;
    type MaxDeposits = U16;
    type MaxVoluntaryExits = U16;
    const ID: crate::EthSpecId = crate::EthSpecId::MainnetV012;
}

/// The depth of the deposit contract's tree plus one for the length mix-in: a deposit proof's length.
pub type DepositProofLength = ssz_types::typenum::U33;
/// `JUSTIFICATION_BITS_LENGTH`.
pub type JustificationBitsLength = ssz_types::typenum::U4;
