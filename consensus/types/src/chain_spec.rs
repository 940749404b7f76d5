//! The runtime chain configuration ([`ChainSpec`]): one field per key of the consensus-specs
//! phase 0 config YAML (`configs/{mainnet,minimal}/phase0.yaml`), plus the fixed constants of
//! `beacon-chain.md` that are not configurable.
//!
//! Four exact presets are provided: [`ChainSpec::mainnet`] and [`ChainSpec::minimal`] (spec
//! v1.0.1, the values mainnet launched with) and [`ChainSpec::mainnet_v012`] and
//! [`ChainSpec::minimal_v012`] (spec v0.12.3, the values of the Medalla-era testnets).
//!
//! This file is deliberately self-contained (only `std`): it depends on no other item of the
//! `types` crate, so integers are plain `u64` (not `Slot`/`Epoch`) and byte strings plain arrays.
//! Loading a network's `config.yaml` into a `ChainSpec` lives in the `eth2_config` crate.

use std::fmt;

/// Which compile-time list-length preset (`EthSpec` implementation) a config needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EthSpecId {
    /// v1.0 mainnet lengths (`EPOCHS_PER_ETH1_VOTING_PERIOD` 64, so 2048 eth1 votes).
    Mainnet,
    /// Minimal preset lengths (identical in v0.12 and v1.0).
    Minimal,
    /// v0.12 mainnet lengths: as mainnet but `EPOCHS_PER_ETH1_VOTING_PERIOD` 32 (1024 votes).
    MainnetV012,
}

impl EthSpecId {
    /// Lower-case name of the preset (`mainnet`, `minimal`, `mainnet_v012`).
    pub fn as_str(&self) -> &'static str {
        match self {
            EthSpecId::Mainnet => "mainnet",
            EthSpecId::Minimal => "minimal",
            EthSpecId::MainnetV012 => "mainnet_v012",
        }
    }
}

impl fmt::Display for EthSpecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The spec preset a config is based on (its defaults and its `CONFIG_NAME` family).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PresetBase {
    /// The `mainnet` preset (32 slots per epoch, 12 s slots).
    Mainnet,
    /// The `minimal` preset used by tests (8 slots per epoch, 6 s slots).
    Minimal,
}

impl PresetBase {
    /// Lower-case preset name as used by `CONFIG_NAME` / `PRESET_BASE` (`mainnet`, `minimal`).
    pub fn as_str(&self) -> &'static str {
        match self {
            PresetBase::Mainnet => "mainnet",
            PresetBase::Minimal => "minimal",
        }
    }
}

impl fmt::Display for PresetBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The spec release whose phase 0 constant values a config follows.
///
/// v0.12 → v1.0 changed `PROPORTIONAL_SLASHING_MULTIPLIER` (3 → 1 mainnet / 2 minimal),
/// `INACTIVITY_PENALTY_QUOTIENT` (2**24 → 2**26 / 2**25), `MIN_SLASHING_PENALTY_QUOTIENT`
/// (32 → 128 / 64) and, for mainnet, `EPOCHS_PER_ETH1_VOTING_PERIOD` (32 → 64),
/// `ETH1_FOLLOW_DISTANCE` (1024 → 2048), `GENESIS_DELAY`, `MIN_GENESIS_TIME` and
/// `DEPOSIT_CONTRACT_ADDRESS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum SpecEra {
    /// consensus-specs v0.12.x (Altona, Medalla, Spadina, Zinken).
    V0_12,
    /// consensus-specs v1.0.x (mainnet, Pyrmont, Prater).
    V1_0,
}

impl SpecEra {
    /// Short human-readable name (`v0.12`, `v1.0`).
    pub fn as_str(&self) -> &'static str {
        match self {
            SpecEra::V0_12 => "v0.12",
            SpecEra::V1_0 => "v1.0",
        }
    }
}

impl fmt::Display for SpecEra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Runtime phase 0 configuration: one `pub` field per config key (snake_case of the YAML key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    /// Preset whose defaults this spec was built on (not a YAML key).
    pub preset_base: PresetBase,
    /// Spec release whose values this spec follows (not a YAML key).
    pub era: SpecEra,
    /// `CONFIG_NAME`: name of the config (`mainnet`, `minimal`, or a network name).
    pub config_name: String,

    // Misc
    /// `MAX_COMMITTEES_PER_SLOT`.
    pub max_committees_per_slot: u64,
    /// `TARGET_COMMITTEE_SIZE`.
    pub target_committee_size: u64,
    /// `MAX_VALIDATORS_PER_COMMITTEE` (list length).
    pub max_validators_per_committee: u64,
    /// `MIN_PER_EPOCH_CHURN_LIMIT`.
    pub min_per_epoch_churn_limit: u64,
    /// `CHURN_LIMIT_QUOTIENT`.
    pub churn_limit_quotient: u64,
    /// `SHUFFLE_ROUND_COUNT` (the spec's type is `uint8`, kept as u64 here).
    pub shuffle_round_count: u64,
    /// `MIN_GENESIS_ACTIVE_VALIDATOR_COUNT`.
    pub min_genesis_active_validator_count: u64,
    /// `MIN_GENESIS_TIME` (unix seconds).
    pub min_genesis_time: u64,
    /// `HYSTERESIS_QUOTIENT`.
    pub hysteresis_quotient: u64,
    /// `HYSTERESIS_DOWNWARD_MULTIPLIER`.
    pub hysteresis_downward_multiplier: u64,
    /// `HYSTERESIS_UPWARD_MULTIPLIER`.
    pub hysteresis_upward_multiplier: u64,
    /// `PROPORTIONAL_SLASHING_MULTIPLIER`.
    pub proportional_slashing_multiplier: u64,

    // Fork choice
    /// `SAFE_SLOTS_TO_UPDATE_JUSTIFIED`.
    pub safe_slots_to_update_justified: u64,

    // Validator
    /// `ETH1_FOLLOW_DISTANCE` (eth1 blocks).
    pub eth1_follow_distance: u64,
    /// `TARGET_AGGREGATORS_PER_COMMITTEE`.
    pub target_aggregators_per_committee: u64,
    /// `RANDOM_SUBNETS_PER_VALIDATOR`.
    pub random_subnets_per_validator: u64,
    /// `EPOCHS_PER_RANDOM_SUBNET_SUBSCRIPTION`.
    pub epochs_per_random_subnet_subscription: u64,
    /// `SECONDS_PER_ETH1_BLOCK`.
    pub seconds_per_eth1_block: u64,

    // Deposit contract
    /// `DEPOSIT_CHAIN_ID` (EIP-155 chain id of the eth1 chain).
    pub deposit_chain_id: u64,
    /// `DEPOSIT_NETWORK_ID` (eth1 network id).
    pub deposit_network_id: u64,
    /// `DEPOSIT_CONTRACT_ADDRESS`.
    pub deposit_contract_address: [u8; 20],

    // Gwei values
    /// `MIN_DEPOSIT_AMOUNT` (Gwei).
    pub min_deposit_amount: u64,
    /// `MAX_EFFECTIVE_BALANCE` (Gwei).
    pub max_effective_balance: u64,
    /// `EJECTION_BALANCE` (Gwei).
    pub ejection_balance: u64,
    /// `EFFECTIVE_BALANCE_INCREMENT` (Gwei).
    pub effective_balance_increment: u64,

    // Initial values
    /// `GENESIS_FORK_VERSION`.
    pub genesis_fork_version: [u8; 4],
    /// `BLS_WITHDRAWAL_PREFIX`.
    pub bls_withdrawal_prefix: u8,

    // Time parameters
    /// `GENESIS_DELAY` (seconds).
    pub genesis_delay: u64,
    /// `SECONDS_PER_SLOT`.
    pub seconds_per_slot: u64,
    /// `MIN_ATTESTATION_INCLUSION_DELAY` (slots).
    pub min_attestation_inclusion_delay: u64,
    /// `SLOTS_PER_EPOCH`.
    pub slots_per_epoch: u64,
    /// `MIN_SEED_LOOKAHEAD` (epochs).
    pub min_seed_lookahead: u64,
    /// `MAX_SEED_LOOKAHEAD` (epochs).
    pub max_seed_lookahead: u64,
    /// `EPOCHS_PER_ETH1_VOTING_PERIOD`.
    pub epochs_per_eth1_voting_period: u64,
    /// `SLOTS_PER_HISTORICAL_ROOT` (vector length).
    pub slots_per_historical_root: u64,
    /// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY` (epochs).
    pub min_validator_withdrawability_delay: u64,
    /// `SHARD_COMMITTEE_PERIOD` (epochs).
    pub shard_committee_period: u64,
    /// `MIN_EPOCHS_TO_INACTIVITY_PENALTY`.
    pub min_epochs_to_inactivity_penalty: u64,

    // State vector lengths
    /// `EPOCHS_PER_HISTORICAL_VECTOR` (vector length).
    pub epochs_per_historical_vector: u64,
    /// `EPOCHS_PER_SLASHINGS_VECTOR` (vector length).
    pub epochs_per_slashings_vector: u64,
    /// `HISTORICAL_ROOTS_LIMIT` (list length).
    pub historical_roots_limit: u64,
    /// `VALIDATOR_REGISTRY_LIMIT` (list length).
    pub validator_registry_limit: u64,

    // Rewards and penalties
    /// `BASE_REWARD_FACTOR`.
    pub base_reward_factor: u64,
    /// `WHISTLEBLOWER_REWARD_QUOTIENT`.
    pub whistleblower_reward_quotient: u64,
    /// `PROPOSER_REWARD_QUOTIENT`.
    pub proposer_reward_quotient: u64,
    /// `INACTIVITY_PENALTY_QUOTIENT`.
    pub inactivity_penalty_quotient: u64,
    /// `MIN_SLASHING_PENALTY_QUOTIENT`.
    pub min_slashing_penalty_quotient: u64,

    // Max operations per block
    /// `MAX_PROPOSER_SLASHINGS` (list length).
    pub max_proposer_slashings: u64,
    /// `MAX_ATTESTER_SLASHINGS` (list length).
    pub max_attester_slashings: u64,
    /// `MAX_ATTESTATIONS` (list length).
    pub max_attestations: u64,
    /// `MAX_DEPOSITS` (list length).
    pub max_deposits: u64,
    /// `MAX_VOLUNTARY_EXITS` (list length).
    pub max_voluntary_exits: u64,

    // Signature domains
    /// `DOMAIN_BEACON_PROPOSER`.
    pub domain_beacon_proposer: [u8; 4],
    /// `DOMAIN_BEACON_ATTESTER`.
    pub domain_beacon_attester: [u8; 4],
    /// `DOMAIN_RANDAO`.
    pub domain_randao: [u8; 4],
    /// `DOMAIN_DEPOSIT`.
    pub domain_deposit: [u8; 4],
    /// `DOMAIN_VOLUNTARY_EXIT`.
    pub domain_voluntary_exit: [u8; 4],
    /// `DOMAIN_SELECTION_PROOF`.
    pub domain_selection_proof: [u8; 4],
    /// `DOMAIN_AGGREGATE_AND_PROOF`.
    pub domain_aggregate_and_proof: [u8; 4],
}

/// Parses a 40-hex-digit address at compile time (panics, i.e. fails the build, if malformed).
const fn address(hex: &str) -> [u8; 20] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("bad hex digit"),
        }
    }
    let b = hex.as_bytes();
    assert!(b.len() == 40, "address must be 40 hex digits");
    let mut out = [0u8; 20];
    let mut i = 0;
    while i < 20 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

/// Mainnet deposit contract (v1.0 `DEPOSIT_CONTRACT_ADDRESS`).
const MAINNET_DEPOSIT_CONTRACT: [u8; 20] = address("00000000219ab540356cBB839Cbe05303d7705Fa");
/// Placeholder deposit contract of the v0.12 configs and the minimal preset.
const PLACEHOLDER_DEPOSIT_CONTRACT: [u8; 20] = address("1234567890123456789012345678901234567890");

impl ChainSpec {
    /// `FAR_FUTURE_EPOCH` (beacon-chain.md constant): `2**64 - 1`.
    pub const FAR_FUTURE_EPOCH: u64 = u64::MAX;
    /// `BASE_REWARDS_PER_EPOCH` (beacon-chain.md constant): 4.
    pub const BASE_REWARDS_PER_EPOCH: u64 = 4;
    /// `DEPOSIT_CONTRACT_TREE_DEPTH` (beacon-chain.md constant): `2**5` = 32.
    pub const DEPOSIT_CONTRACT_TREE_DEPTH: u64 = 32;
    /// `JUSTIFICATION_BITS_LENGTH` (beacon-chain.md constant): 4.
    pub const JUSTIFICATION_BITS_LENGTH: u64 = 4;
    /// `GENESIS_EPOCH` (beacon-chain.md constant): 0.
    pub const GENESIS_EPOCH: u64 = 0;
    /// `GENESIS_SLOT` (beacon-chain.md constant): 0.
    pub const GENESIS_SLOT: u64 = 0;

    /// Mainnet preset, consensus-specs v1.0.1 (`configs/mainnet/phase0.yaml`).
    pub fn mainnet() -> Self {
        ChainSpec {
            preset_base: PresetBase::Mainnet,
            era: SpecEra::V1_0,
            config_name: "mainnet".to_string(),
            max_committees_per_slot: 64,
            target_committee_size: 128,
            max_validators_per_committee: 2048,
            min_per_epoch_churn_limit: 4,
            churn_limit_quotient: 65536,
            shuffle_round_count: 90,
            min_genesis_active_validator_count: 16384,
            min_genesis_time: 1606824000,
            hysteresis_quotient: 4,
            hysteresis_downward_multiplier: 1,
            hysteresis_upward_multiplier: 5,
            proportional_slashing_multiplier: 1,
            safe_slots_to_update_justified: 8,
            eth1_follow_distance: 2048,
            target_aggregators_per_committee: 16,
            random_subnets_per_validator: 1,
            epochs_per_random_subnet_subscription: 256,
            seconds_per_eth1_block: 14,
            deposit_chain_id: 1,
            deposit_network_id: 1,
            deposit_contract_address: MAINNET_DEPOSIT_CONTRACT,
            min_deposit_amount: 1_000_000_000,
            max_effective_balance: 32_000_000_000,
            ejection_balance: 16_000_000_000,
            effective_balance_increment: 1_000_000_000,
            genesis_fork_version: [0x00, 0x00, 0x00, 0x00],
            bls_withdrawal_prefix: 0x00,
            genesis_delay: 604800,
            seconds_per_slot: 12,
            min_attestation_inclusion_delay: 1,
            slots_per_epoch: 32,
            min_seed_lookahead: 1,
            max_seed_lookahead: 4,
            epochs_per_eth1_voting_period: 64,
            slots_per_historical_root: 8192,
            min_validator_withdrawability_delay: 256,
            shard_committee_period: 256,
            min_epochs_to_inactivity_penalty: 4,
            epochs_per_historical_vector: 65536,
            epochs_per_slashings_vector: 8192,
            historical_roots_limit: 1 << 24,
            validator_registry_limit: 1 << 40,
            base_reward_factor: 64,
            whistleblower_reward_quotient: 512,
            proposer_reward_quotient: 8,
            inactivity_penalty_quotient: 1 << 26,
            min_slashing_penalty_quotient: 128,
            max_proposer_slashings: 16,
            max_attester_slashings: 2,
            max_attestations: 128,
            max_deposits: 16,
            max_voluntary_exits: 16,
            domain_beacon_proposer: [0x00, 0x00, 0x00, 0x00],
            domain_beacon_attester: [0x01, 0x00, 0x00, 0x00],
            domain_randao: [0x02, 0x00, 0x00, 0x00],
            domain_deposit: [0x03, 0x00, 0x00, 0x00],
            domain_voluntary_exit: [0x04, 0x00, 0x00, 0x00],
            domain_selection_proof: [0x05, 0x00, 0x00, 0x00],
            domain_aggregate_and_proof: [0x06, 0x00, 0x00, 0x00],
        }
    }

    /// Minimal preset, consensus-specs v1.0.1 (`configs/minimal/phase0.yaml`).
    pub fn minimal() -> Self {
        ChainSpec {
            preset_base: PresetBase::Minimal,
            era: SpecEra::V1_0,
            config_name: "minimal".to_string(),
            max_committees_per_slot: 4,
            target_committee_size: 4,
            shuffle_round_count: 10,
            min_genesis_active_validator_count: 64,
            min_genesis_time: 1578009600,
            proportional_slashing_multiplier: 2,
            safe_slots_to_update_justified: 2,
            eth1_follow_distance: 16,
            deposit_chain_id: 5,
            deposit_network_id: 5,
            deposit_contract_address: PLACEHOLDER_DEPOSIT_CONTRACT,
            genesis_fork_version: [0x00, 0x00, 0x00, 0x01],
            genesis_delay: 300,
            seconds_per_slot: 6,
            slots_per_epoch: 8,
            epochs_per_eth1_voting_period: 4,
            slots_per_historical_root: 64,
            shard_committee_period: 64,
            epochs_per_historical_vector: 64,
            epochs_per_slashings_vector: 64,
            inactivity_penalty_quotient: 1 << 25,
            min_slashing_penalty_quotient: 64,
            ..Self::mainnet()
        }
    }

    /// Mainnet preset, consensus-specs v0.12.3 (the base of Altona/Medalla/Spadina/Zinken).
    pub fn mainnet_v012() -> Self {
        ChainSpec {
            era: SpecEra::V0_12,
            min_genesis_time: 1578009600,
            proportional_slashing_multiplier: 3,
            eth1_follow_distance: 1024,
            deposit_contract_address: PLACEHOLDER_DEPOSIT_CONTRACT,
            genesis_delay: 172800,
            epochs_per_eth1_voting_period: 32,
            inactivity_penalty_quotient: 1 << 24,
            min_slashing_penalty_quotient: 32,
            ..Self::mainnet()
        }
    }

    /// Minimal preset, consensus-specs v0.12.3.
    pub fn minimal_v012() -> Self {
        ChainSpec {
            era: SpecEra::V0_12,
            proportional_slashing_multiplier: 3,
            inactivity_penalty_quotient: 1 << 24,
            min_slashing_penalty_quotient: 32,
            ..Self::minimal()
        }
    }

    /// The defaults of `preset` as of spec release `era` (one of the four constructors above).
    pub fn defaults(preset: PresetBase, era: SpecEra) -> Self {
        match (preset, era) {
            (PresetBase::Mainnet, SpecEra::V1_0) => Self::mainnet(),
            (PresetBase::Minimal, SpecEra::V1_0) => Self::minimal(),
            (PresetBase::Mainnet, SpecEra::V0_12) => Self::mainnet_v012(),
            (PresetBase::Minimal, SpecEra::V0_12) => Self::minimal_v012(),
        }
    }

    /// Maximum number of eth1 votes in a voting period: `EPOCHS_PER_ETH1_VOTING_PERIOD * SLOTS_PER_EPOCH`
    /// (saturating; the `eth1_data_votes` list limit of the state).
    pub fn eth1_data_votes_limit(&self) -> u64 {
        self.epochs_per_eth1_voting_period
            .saturating_mul(self.slots_per_epoch)
    }

    /// The config values that fix list/vector lengths at compile time, as `(YAML key, value)`.
    pub fn list_length_values(&self) -> [(&'static str, u64); 13] {
        [
            ("SLOTS_PER_EPOCH", self.slots_per_epoch),
            (
                "EPOCHS_PER_ETH1_VOTING_PERIOD",
                self.epochs_per_eth1_voting_period,
            ),
            ("SLOTS_PER_HISTORICAL_ROOT", self.slots_per_historical_root),
            (
                "EPOCHS_PER_HISTORICAL_VECTOR",
                self.epochs_per_historical_vector,
            ),
            (
                "EPOCHS_PER_SLASHINGS_VECTOR",
                self.epochs_per_slashings_vector,
            ),
            ("HISTORICAL_ROOTS_LIMIT", self.historical_roots_limit),
            ("VALIDATOR_REGISTRY_LIMIT", self.validator_registry_limit),
            (
                "MAX_VALIDATORS_PER_COMMITTEE",
                self.max_validators_per_committee,
            ),
            ("MAX_PROPOSER_SLASHINGS", self.max_proposer_slashings),
            ("MAX_ATTESTER_SLASHINGS", self.max_attester_slashings),
            ("MAX_ATTESTATIONS", self.max_attestations),
            ("MAX_DEPOSITS", self.max_deposits),
            ("MAX_VOLUNTARY_EXITS", self.max_voluntary_exits),
        ]
    }

    /// Which compile-time list-length preset fits this config, or an error naming the first
    /// list-length value (in [`ChainSpec::list_length_values`] order) that fits no preset.
    ///
    /// All 13 values must equal those of one preset: `Mainnet` (v1.0 mainnet), `MainnetV012`
    /// (same but `EPOCHS_PER_ETH1_VOTING_PERIOD` 32) or `Minimal`.
    pub fn type_level_preset(&self) -> Result<EthSpecId, String> {
        let presets = [
            (EthSpecId::Mainnet, Self::mainnet().list_length_values()),
            (
                EthSpecId::MainnetV012,
                Self::mainnet_v012().list_length_values(),
            ),
            (EthSpecId::Minimal, Self::minimal().list_length_values()),
        ];
        let mut fits = [true; 3];
        for (i, (key, value)) in self.list_length_values().into_iter().enumerate() {
            let still: [bool; 3] = std::array::from_fn(|p| fits[p] && presets[p].1[i].1 == value);
            if still.iter().all(|f| !f) {
                let expected: Vec<String> = presets
                    .iter()
                    .zip(fits)
                    .filter(|(_, fit)| *fit)
                    .map(|((id, values), _)| format!("{} {}", id, values[i].1))
                    .collect();
                let context = if fits.iter().all(|f| *f) {
                    String::new()
                } else {
                    " given the values checked before it".to_string()
                };
                return Err(format!(
                    "{key} = {value} fits no compile-time preset{context} (expected {})",
                    expected.join(" or ")
                ));
            }
            fits = still;
        }
        // The three presets differ pairwise in at least one value, so exactly one fits.
        presets
            .iter()
            .zip(fits)
            .find(|(_, fit)| *fit)
            .map(|((id, _), _)| *id)
            .ok_or_else(|| "no compile-time preset fits".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_map_to_their_type_level_preset() {
        assert_eq!(
            ChainSpec::mainnet().type_level_preset(),
            Ok(EthSpecId::Mainnet)
        );
        assert_eq!(
            ChainSpec::minimal().type_level_preset(),
            Ok(EthSpecId::Minimal)
        );
        assert_eq!(
            ChainSpec::mainnet_v012().type_level_preset(),
            Ok(EthSpecId::MainnetV012)
        );
        assert_eq!(
            ChainSpec::minimal_v012().type_level_preset(),
            Ok(EthSpecId::Minimal)
        );
    }

    #[test]
    fn type_level_preset_names_first_misfit() {
        let mut spec = ChainSpec::mainnet();
        spec.slots_per_epoch = 16;
        let err = spec.type_level_preset().unwrap_err();
        assert!(err.starts_with("SLOTS_PER_EPOCH = 16"), "{err}");

        // Each value fits some preset, but not together with the earlier ones.
        let mut spec = ChainSpec::mainnet();
        spec.slots_per_historical_root = 64;
        let err = spec.type_level_preset().unwrap_err();
        assert!(err.starts_with("SLOTS_PER_HISTORICAL_ROOT = 64"), "{err}");

        let mut spec = ChainSpec::minimal();
        spec.max_deposits = 17;
        let err = spec.type_level_preset().unwrap_err();
        assert!(err.starts_with("MAX_DEPOSITS = 17"), "{err}");
    }

    #[test]
    fn eth1_votes_limit() {
        assert_eq!(ChainSpec::mainnet().eth1_data_votes_limit(), 2048);
        assert_eq!(ChainSpec::mainnet_v012().eth1_data_votes_limit(), 1024);
        assert_eq!(ChainSpec::minimal().eth1_data_votes_limit(), 32);
    }

    #[test]
    fn defaults_and_constants() {
        assert_eq!(
            ChainSpec::defaults(PresetBase::Minimal, SpecEra::V0_12),
            ChainSpec::minimal_v012()
        );
        assert_eq!(ChainSpec::mainnet().deposit_contract_address[4], 0x21);
        assert_eq!(ChainSpec::mainnet().deposit_contract_address[19], 0xfa);
        assert_eq!(ChainSpec::FAR_FUTURE_EPOCH, u64::MAX);
        assert_eq!(ChainSpec::GENESIS_SLOT, ChainSpec::GENESIS_EPOCH);
    }
}
