//! `config.yaml` → [`ChainSpec`]: key table, value parsing, preset/era detection and overlay
//! (rules documented at the crate root).

use crate::yaml::{parse_entries, RawValue};
use crate::{ChainSpec, ConfigError, PresetBase, SpecEra};
use std::collections::HashMap;
use std::path::Path;

/// Keys that must be present in every config file (they identify the network and its genesis).
pub const REQUIRED_KEYS: &[&str] = &[
    "GENESIS_FORK_VERSION",
    "MIN_GENESIS_TIME",
    "MIN_GENESIS_ACTIVE_VALIDATOR_COUNT",
    "GENESIS_DELAY",
    "DEPOSIT_CONTRACT_ADDRESS",
];

/// v0.11 key names whose presence marks an unsupported v0.11 config.
const V011_KEYS: &[&str] = &["MIN_GENESIS_DELAY", "PERSISTENT_COMMITTEE_PERIOD"];

/// Keys that are recognised but map to no [`ChainSpec`] field.
const METADATA_KEYS: &[&str] = &["PRESET_BASE"];

/// The forks after phase 0, by their config-key prefix (`EIP4844` is Lodestar 1.5.1's name for
/// Deneb). Multi-client configs carry their `_FORK_VERSION` and `_FORK_EPOCH` keys and the
/// merge's `TERMINAL_*` keys; [`later_fork_values`] writes them for a phase 0 network.
pub const LATER_FORKS: &[&str] = &[
    "ALTAIR",
    "BELLATRIX",
    "CAPELLA",
    "EIP4844",
    "DENEB",
    "ELECTRA",
    "FULU",
];

/// The merge's keys, which phase 0 networks set to "never".
const TERMINAL_KEYS: &[(&str, &str)] = &[
    (
        "TERMINAL_TOTAL_DIFFICULTY",
        "115792089237316195423570985008687907853269984665640564039457584007913129638912",
    ),
    (
        "TERMINAL_BLOCK_HASH",
        "0x0000000000000000000000000000000000000000000000000000000000000000",
    ),
    (
        "TERMINAL_BLOCK_HASH_ACTIVATION_EPOCH",
        "18446744073709551615",
    ),
];

/// Whether `key` belongs to a fork after phase 0 (see [`LATER_FORKS`]).
fn is_later_fork_key(key: &str) -> bool {
    TERMINAL_KEYS.iter().any(|(k, _)| *k == key)
        || LATER_FORKS.iter().any(|fork| {
            key.strip_prefix(fork)
                .is_some_and(|rest| rest == "_FORK_VERSION" || rest == "_FORK_EPOCH")
        })
}

/// The later-fork keys of a phase 0 network: every fork at FAR_FUTURE_EPOCH, with versions
/// `[n, genesis_fork_version[1..]]`, and no terminal block. Another client (Lodestar) reads
/// a config without them as scheduling its own defaults.
pub fn later_fork_values(spec: &ChainSpec) -> Vec<(String, String)> {
    let mut values: Vec<(String, String)> = TERMINAL_KEYS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (n, fork) in LATER_FORKS.iter().enumerate() {
        let mut version = spec.genesis_fork_version;
        version[0] = n as u8 + 1;
        values.push((format!("{fork}_FORK_VERSION"), version.config_text()));
        values.push((format!("{fork}_FORK_EPOCH"), u64::MAX.to_string()));
    }
    values
}

/// Era markers, in decision order (see the crate docs).
const ERA_MARKERS: &[&str] = &[
    "PROPORTIONAL_SLASHING_MULTIPLIER",
    "INACTIVITY_PENALTY_QUOTIENT",
    "MIN_SLASHING_PENALTY_QUOTIENT",
    "EPOCHS_PER_ETH1_VOTING_PERIOD",
    "ETH1_FOLLOW_DISTANCE",
];

/// The result of loading a config: the spec and what the file did not say or was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedConfig {
    /// The base preset's defaults overlaid with the file's values.
    pub spec: ChainSpec,
    /// Keys of the file that are not phase 0 config keys (ignored), in file order.
    pub unknown_keys: Vec<String>,
    /// Known keys absent from the file (their preset/era default was kept), in [`KNOWN_KEYS`] order.
    pub defaulted_keys: Vec<String>,
}

/// Parses a value of a known key; `Err` is the reason the value is rejected.
type Parser<T> = fn(&str) -> Result<T, String>;

/// Generates [`KNOWN_KEYS`], the key → field setter and the field → text getter (for tests)
/// from one table, so the three cannot disagree.
macro_rules! config_keys {
    ($($key:literal => $field:ident: $parse:ident,)*) => {
        /// Every phase 0 config key this loader maps to a [`ChainSpec`] field, in spec order.
        pub const KNOWN_KEYS: &[&str] = &[$($key),*];

        /// Sets the field of `key` from `raw`; `Ok(false)` if `key` is not a known key.
        fn set_field(spec: &mut ChainSpec, key: &str, raw: &str) -> Result<bool, String> {
            match key {
                $($key => spec.$field = $parse(raw)?,)*
                _ => return Ok(false),
            }
            Ok(true)
        }

        /// Every known key with its value in `spec`, as config.yaml (and the REST API's
        /// `/eth/v1/config/spec`) writes it: integers in decimal, bytes as 0x hex.
        pub fn config_values(spec: &ChainSpec) -> Vec<(&'static str, String)> {
            vec![$(($key, spec.$field.config_text())),*]
        }
    };
}

/// A config value as text.
trait ConfigText {
    fn config_text(&self) -> String;
}

impl ConfigText for u64 {
    fn config_text(&self) -> String {
        self.to_string()
    }
}

impl ConfigText for u8 {
    fn config_text(&self) -> String {
        format!("0x{self:02x}")
    }
}

impl<const N: usize> ConfigText for [u8; N] {
    fn config_text(&self) -> String {
        let mut text = String::with_capacity(2 + 2 * N);
        text.push_str("0x");
        for byte in self {
            text.push_str(&format!("{byte:02x}"));
        }
        text
    }
}

impl ConfigText for String {
    fn config_text(&self) -> String {
        self.clone()
    }
}

config_keys! {
    "CONFIG_NAME" => config_name: parse_name,
    "MAX_COMMITTEES_PER_SLOT" => max_committees_per_slot: parse_u64,
    "TARGET_COMMITTEE_SIZE" => target_committee_size: parse_u64,
    "MAX_VALIDATORS_PER_COMMITTEE" => max_validators_per_committee: parse_u64,
    "MIN_PER_EPOCH_CHURN_LIMIT" => min_per_epoch_churn_limit: parse_u64,
    "CHURN_LIMIT_QUOTIENT" => churn_limit_quotient: parse_u64,
    "SHUFFLE_ROUND_COUNT" => shuffle_round_count: parse_u64,
    "MIN_GENESIS_ACTIVE_VALIDATOR_COUNT" => min_genesis_active_validator_count: parse_u64,
    "MIN_GENESIS_TIME" => min_genesis_time: parse_u64,
    "HYSTERESIS_QUOTIENT" => hysteresis_quotient: parse_u64,
    "HYSTERESIS_DOWNWARD_MULTIPLIER" => hysteresis_downward_multiplier: parse_u64,
    "HYSTERESIS_UPWARD_MULTIPLIER" => hysteresis_upward_multiplier: parse_u64,
    "PROPORTIONAL_SLASHING_MULTIPLIER" => proportional_slashing_multiplier: parse_u64,
    "SAFE_SLOTS_TO_UPDATE_JUSTIFIED" => safe_slots_to_update_justified: parse_u64,
    "ETH1_FOLLOW_DISTANCE" => eth1_follow_distance: parse_u64,
    "TARGET_AGGREGATORS_PER_COMMITTEE" => target_aggregators_per_committee: parse_u64,
    "RANDOM_SUBNETS_PER_VALIDATOR" => random_subnets_per_validator: parse_u64,
    "EPOCHS_PER_RANDOM_SUBNET_SUBSCRIPTION" => epochs_per_random_subnet_subscription: parse_u64,
    "SECONDS_PER_ETH1_BLOCK" => seconds_per_eth1_block: parse_u64,
    "DEPOSIT_CHAIN_ID" => deposit_chain_id: parse_u64,
    "DEPOSIT_NETWORK_ID" => deposit_network_id: parse_u64,
    "DEPOSIT_CONTRACT_ADDRESS" => deposit_contract_address: parse_bytes,
    "MIN_DEPOSIT_AMOUNT" => min_deposit_amount: parse_u64,
    "MAX_EFFECTIVE_BALANCE" => max_effective_balance: parse_u64,
    "EJECTION_BALANCE" => ejection_balance: parse_u64,
    "EFFECTIVE_BALANCE_INCREMENT" => effective_balance_increment: parse_u64,
    "GENESIS_FORK_VERSION" => genesis_fork_version: parse_bytes,
    "BLS_WITHDRAWAL_PREFIX" => bls_withdrawal_prefix: parse_byte,
    "GENESIS_DELAY" => genesis_delay: parse_u64,
    "SECONDS_PER_SLOT" => seconds_per_slot: parse_u64,
    "MIN_ATTESTATION_INCLUSION_DELAY" => min_attestation_inclusion_delay: parse_u64,
    "SLOTS_PER_EPOCH" => slots_per_epoch: parse_u64,
    "MIN_SEED_LOOKAHEAD" => min_seed_lookahead: parse_u64,
    "MAX_SEED_LOOKAHEAD" => max_seed_lookahead: parse_u64,
    "EPOCHS_PER_ETH1_VOTING_PERIOD" => epochs_per_eth1_voting_period: parse_u64,
    "SLOTS_PER_HISTORICAL_ROOT" => slots_per_historical_root: parse_u64,
    "MIN_VALIDATOR_WITHDRAWABILITY_DELAY" => min_validator_withdrawability_delay: parse_u64,
    "SHARD_COMMITTEE_PERIOD" => shard_committee_period: parse_u64,
    "MIN_EPOCHS_TO_INACTIVITY_PENALTY" => min_epochs_to_inactivity_penalty: parse_u64,
    "EPOCHS_PER_HISTORICAL_VECTOR" => epochs_per_historical_vector: parse_u64,
    "EPOCHS_PER_SLASHINGS_VECTOR" => epochs_per_slashings_vector: parse_u64,
    "HISTORICAL_ROOTS_LIMIT" => historical_roots_limit: parse_u64,
    "VALIDATOR_REGISTRY_LIMIT" => validator_registry_limit: parse_u64,
    "BASE_REWARD_FACTOR" => base_reward_factor: parse_u64,
    "WHISTLEBLOWER_REWARD_QUOTIENT" => whistleblower_reward_quotient: parse_u64,
    "PROPOSER_REWARD_QUOTIENT" => proposer_reward_quotient: parse_u64,
    "INACTIVITY_PENALTY_QUOTIENT" => inactivity_penalty_quotient: parse_u64,
    "MIN_SLASHING_PENALTY_QUOTIENT" => min_slashing_penalty_quotient: parse_u64,
    "MAX_PROPOSER_SLASHINGS" => max_proposer_slashings: parse_u64,
    "MAX_ATTESTER_SLASHINGS" => max_attester_slashings: parse_u64,
    "MAX_ATTESTATIONS" => max_attestations: parse_u64,
    "MAX_DEPOSITS" => max_deposits: parse_u64,
    "MAX_VOLUNTARY_EXITS" => max_voluntary_exits: parse_u64,
    "DOMAIN_BEACON_PROPOSER" => domain_beacon_proposer: parse_bytes,
    "DOMAIN_BEACON_ATTESTER" => domain_beacon_attester: parse_bytes,
    "DOMAIN_RANDAO" => domain_randao: parse_bytes,
    "DOMAIN_DEPOSIT" => domain_deposit: parse_bytes,
    "DOMAIN_VOLUNTARY_EXIT" => domain_voluntary_exit: parse_bytes,
    "DOMAIN_SELECTION_PROOF" => domain_selection_proof: parse_bytes,
    "DOMAIN_AGGREGATE_AND_PROOF" => domain_aggregate_and_proof: parse_bytes,
}

/// Unsigned 64-bit integer: decimal digits, or `0x` followed by hex digits.
fn parse_u64(raw: &str) -> Result<u64, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("empty value, expected an unsigned integer".into());
    }
    if s.starts_with('-') {
        return Err("negative, expected an unsigned integer".into());
    }
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (s, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err("not an unsigned integer".into());
    }
    u64::from_str_radix(digits, radix).map_err(|_| "does not fit in 64 bits".into())
}

/// Exactly `N` bytes as `0x` followed by `2 * N` hex digits.
fn parse_bytes<const N: usize>(raw: &str) -> Result<[u8; N], String> {
    let s = raw.trim();
    let hex_digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| format!("expected 0x followed by {} hex digits", 2 * N))?;
    if hex_digits.len() != 2 * N {
        return Err(format!(
            "expected 0x followed by {} hex digits ({N} bytes), got {} characters",
            2 * N,
            hex_digits.len()
        ));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(hex_digits, &mut out).map_err(|e| format!("invalid hex: {e}"))?;
    Ok(out)
}

/// One byte: `0x` followed by 2 hex digits, or a decimal integer below 256.
fn parse_byte(raw: &str) -> Result<u8, String> {
    let s = raw.trim();
    if s.starts_with("0x") || s.starts_with("0X") {
        return parse_bytes::<1>(s).map(|b| b[0]);
    }
    let value = parse_u64(s)?;
    u8::try_from(value).map_err(|_| "does not fit in one byte".into())
}

/// A config name: any non-empty string.
fn parse_name(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("empty name".into());
    }
    Ok(s.to_string())
}

/// Truncates a value for inclusion in an error (at most 200 characters).
fn truncate(value: &str) -> String {
    match value.char_indices().nth(200) {
        Some((idx, _)) => format!("{}…", &value[..idx]),
        None => value.to_string(),
    }
}

/// Builds a [`ConfigError::BadValue`].
fn bad_value(key: &str, file: &str, value: &RawValue, reason: String) -> ConfigError {
    let value = match value {
        RawValue::Scalar(s) => truncate(s),
        RawValue::Sequence => "<sequence>".to_string(),
        RawValue::Mapping => "<mapping>".to_string(),
    };
    ConfigError::BadValue {
        key: key.to_string(),
        file: file.to_string(),
        value,
        reason,
    }
}

/// Parses the value of `key` in `entries` (if present) with `parse`.
fn lookup<T>(
    entries: &HashMap<&str, &RawValue>,
    key: &str,
    file: &str,
    parse: Parser<T>,
) -> Result<Option<T>, ConfigError> {
    match entries.get(key) {
        None => Ok(None),
        Some(value @ RawValue::Scalar(text)) => parse(text)
            .map(Some)
            .map_err(|reason| bad_value(key, file, value, reason)),
        Some(value) => Err(bad_value(key, file, value, "expected a scalar".into())),
    }
}

/// Preset detection (crate docs, "Preset").
fn detect_preset(
    entries: &HashMap<&str, &RawValue>,
    file: &str,
) -> Result<PresetBase, ConfigError> {
    if let Some(name) = lookup(entries, "CONFIG_NAME", file, parse_name)? {
        match name.to_ascii_lowercase().as_str() {
            "mainnet" => return Ok(PresetBase::Mainnet),
            "minimal" => return Ok(PresetBase::Minimal),
            _ => {}
        }
    }
    match lookup(entries, "SLOTS_PER_EPOCH", file, parse_u64)? {
        Some(32) => return Ok(PresetBase::Mainnet),
        Some(8) => return Ok(PresetBase::Minimal),
        _ => {}
    }
    if let Some(name) = lookup(entries, "PRESET_BASE", file, parse_name)? {
        return match name.to_ascii_lowercase().as_str() {
            "mainnet" => Ok(PresetBase::Mainnet),
            "minimal" => Ok(PresetBase::Minimal),
            _ => Err(bad_value(
                "PRESET_BASE",
                file,
                entries["PRESET_BASE"],
                "expected mainnet or minimal".into(),
            )),
        };
    }
    Ok(PresetBase::Mainnet)
}

/// Value of an era marker in a spec.
fn marker_value(spec: &ChainSpec, key: &str) -> u64 {
    match key {
        "PROPORTIONAL_SLASHING_MULTIPLIER" => spec.proportional_slashing_multiplier,
        "INACTIVITY_PENALTY_QUOTIENT" => spec.inactivity_penalty_quotient,
        "MIN_SLASHING_PENALTY_QUOTIENT" => spec.min_slashing_penalty_quotient,
        "EPOCHS_PER_ETH1_VOTING_PERIOD" => spec.epochs_per_eth1_voting_period,
        "ETH1_FOLLOW_DISTANCE" => spec.eth1_follow_distance,
        _ => unreachable!("not an era marker: {key}"),
    }
}

/// Era detection (crate docs, "Era").
fn detect_era(
    entries: &HashMap<&str, &RawValue>,
    preset: PresetBase,
    file: &str,
) -> Result<SpecEra, ConfigError> {
    let v012 = ChainSpec::defaults(preset, SpecEra::V0_12);
    let v10 = ChainSpec::defaults(preset, SpecEra::V1_0);
    let mut decided: Option<(SpecEra, &str)> = None;
    for &key in ERA_MARKERS {
        let Some(value) = lookup(entries, key, file, parse_u64)? else {
            continue;
        };
        let (old, new) = (marker_value(&v012, key), marker_value(&v10, key));
        let era = if value == old && value != new {
            SpecEra::V0_12
        } else if value == new && value != old {
            SpecEra::V1_0
        } else {
            continue;
        };
        match decided {
            None => decided = Some((era, key)),
            Some((first, by)) if first != era => tracing::warn!(
                file,
                "config mixes spec eras: {by} says {first}, {key} = {value} says {era}; using {first}"
            ),
            Some(_) => {}
        }
    }
    Ok(decided.map_or(SpecEra::V1_0, |(era, _)| era))
}

/// Parses a config's YAML text. `source` names it in errors and warnings (usually its path).
pub fn parse_config(yaml: &str, source: &str) -> Result<LoadedConfig, ConfigError> {
    let entries = read_entries(yaml, source)?;
    let map: HashMap<&str, &RawValue> = entries.iter().map(|(k, v)| (k.as_str(), v)).collect();
    if let Some(key) = V011_KEYS.iter().find(|k| map.contains_key(*k)) {
        return Err(ConfigError::Unsupported {
            file: source.to_string(),
            reason: format!("{key} is a spec v0.11 key; only v0.12 and v1.0 configs are supported"),
        });
    }
    let preset = detect_preset(&map, source)?;
    let era = detect_era(&map, preset, source)?;
    overlay(&entries, source, ChainSpec::defaults(preset, era))
}

/// Parses a config's YAML text over an explicit `base` (no preset/era detection; `base`'s
/// `preset_base` and `era` are kept).
pub fn parse_config_with_base(
    yaml: &str,
    source: &str,
    base: &ChainSpec,
) -> Result<LoadedConfig, ConfigError> {
    let entries = read_entries(yaml, source)?;
    overlay(&entries, source, base.clone())
}

/// Reads a config file (see [`parse_config`]); the path names it in errors and warnings.
pub fn load_config_file(path: &Path) -> Result<LoadedConfig, ConfigError> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
        file: source.clone(),
        reason: e.to_string(),
    })?;
    parse_config(&text, &source)
}

/// Parses the YAML into entries, mapping failures to [`ConfigError::Yaml`].
fn read_entries(yaml: &str, source: &str) -> Result<Vec<(String, RawValue)>, ConfigError> {
    parse_entries(yaml).map_err(|reason| ConfigError::Yaml {
        file: source.to_string(),
        reason,
    })
}

/// A later fork's key is expected and ignored; a fork scheduled at a real epoch is a network
/// this phase 0 node cannot follow past that epoch, which the operator must hear about.
fn warn_if_fork_scheduled(key: &str, value: &RawValue, source: &str) {
    let scheduled = match (key.strip_suffix("_FORK_EPOCH"), value) {
        (Some(fork), RawValue::Scalar(text)) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|&epoch| epoch != u64::MAX)
            .map(|epoch| (fork, epoch)),
        _ => None,
    };
    match scheduled {
        Some((fork, epoch)) => tracing::warn!(
            fork, epoch, file = %source,
            "{source} schedules the {fork} fork at epoch {epoch}; Fresnel follows phase 0 only and cannot follow this chain past it"
        ),
        None => {
            tracing::debug!(key = %key, file = %source, "later-fork key ignored (phase 0 only)")
        }
    }
}

/// Checks required keys, then overlays every entry onto `spec`.
fn overlay(
    entries: &[(String, RawValue)],
    source: &str,
    mut spec: ChainSpec,
) -> Result<LoadedConfig, ConfigError> {
    let present = |key: &str| entries.iter().any(|(k, _)| k == key);
    if let Some(key) = REQUIRED_KEYS.iter().find(|k| !present(k)) {
        return Err(ConfigError::MissingKey {
            key: key.to_string(),
            file: source.to_string(),
        });
    }
    let mut unknown_keys = Vec::new();
    for (key, value) in entries {
        let known = match value {
            RawValue::Scalar(text) => {
                set_field(&mut spec, key, text).map_err(|r| bad_value(key, source, value, r))?
            }
            _ if KNOWN_KEYS.contains(&key.as_str()) => {
                return Err(bad_value(key, source, value, "expected a scalar".into()))
            }
            _ => false,
        };
        if !known && !METADATA_KEYS.contains(&key.as_str()) {
            if is_later_fork_key(key) {
                warn_if_fork_scheduled(key, value, source);
            } else {
                tracing::warn!(key = %key, file = %source, "ignoring unknown config key {key} in {source}");
            }
            unknown_keys.push(key.clone());
        }
    }
    let defaulted_keys = KNOWN_KEYS
        .iter()
        .filter(|k| !present(k))
        .map(|k| k.to_string())
        .collect();
    Ok(LoadedConfig {
        spec,
        unknown_keys,
        defaulted_keys,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_parsers() {
        assert_eq!(parse_u64("64"), Ok(64));
        assert_eq!(parse_u64("0x40"), Ok(64));
        assert_eq!(parse_u64("18446744073709551615"), Ok(u64::MAX));
        assert!(parse_u64("18446744073709551616")
            .unwrap_err()
            .contains("64 bits"));
        assert!(parse_u64("-1").is_err());
        assert!(parse_u64("1e3").is_err());
        assert!(parse_u64("").is_err());
        assert!(parse_u64("0x").is_err());
        assert!(parse_u64("+5").is_err());
        assert_eq!(parse_bytes::<4>("0x00000121"), Ok([0, 0, 1, 0x21]));
        assert!(parse_bytes::<4>("0x0000121").is_err());
        assert!(parse_bytes::<4>("0x000001210").is_err());
        assert!(parse_bytes::<4>("0x0000012g").is_err());
        assert!(parse_bytes::<4>("00000121").is_err());
        assert!(parse_bytes::<4>("0xé0000121").is_err());
        assert_eq!(parse_byte("0x00"), Ok(0));
        assert_eq!(parse_byte("3"), Ok(3));
        assert!(parse_byte("256").is_err());
        assert!(parse_byte("0x000").is_err());
        assert_eq!(truncate(&"é".repeat(300)).chars().count(), 201);
    }
}

#[cfg(test)]
mod config_values_tests {
    use super::*;

    #[test]
    fn written_values_parse_back_to_the_same_spec() {
        for spec in [ChainSpec::mainnet(), ChainSpec::minimal()] {
            let yaml: String = config_values(&spec)
                .into_iter()
                .map(|(k, v)| format!("{k}: {v}\n"))
                .collect();
            let loaded = parse_config(&yaml, "written").expect("parses");
            assert_eq!(loaded.spec, spec);
            assert!(loaded.defaulted_keys.is_empty());
        }
    }
}
