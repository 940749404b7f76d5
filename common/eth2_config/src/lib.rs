//! Loading a network's phase 0 `config.yaml` into a [`ChainSpec`], and the networks bundled with
//! Fresnel (`testnets/<name>/`).
//!
//! # File format
//!
//! A config file is a YAML mapping from `UPPER_SNAKE_CASE` keys to scalars (the format of
//! consensus-specs `configs/*/phase0.yaml` and of the eth2-networks `config.yaml` files).
//! Values are read from their source text, so plain and quoted forms are equivalent:
//!
//! * integers (`u64` fields): decimal (`64`, `'64'`) or `0x` hex (`0x40`); negative numbers,
//!   floats and values above `2**64 - 1` are rejected;
//! * `GENESIS_FORK_VERSION`, `DOMAIN_*`: `0x` followed by exactly 8 hex digits (`0x00000121`,
//!   `'0x00000121'`); `DEPOSIT_CONTRACT_ADDRESS`: `0x` followed by exactly 40 hex digits (any case);
//! * `BLS_WITHDRAWAL_PREFIX`: `0x` followed by 2 hex digits, or a decimal integer below 256;
//! * `CONFIG_NAME`: any non-empty string.
//!
//! Duplicate keys, non-mapping documents, YAML syntax errors and pathological texts (over 1 MiB,
//! more than 1024 `[`/`{`, nesting deeper than 128, alias bombs) are [`ConfigError::Yaml`]; a bad
//! value of a known key is [`ConfigError::BadValue`]. Parsing never panics.
//!
//! # Overlay rule
//!
//! The file overlays the defaults ([`ChainSpec::defaults`]) of the preset and spec era it was
//! launched with. Every known key present in the file replaces the default; every known key
//! absent from it keeps the default and is listed in [`LoadedConfig::defaulted_keys`]. Keys this
//! loader does not know (later-fork keys such as `ALTAIR_FORK_VERSION`, obsolete keys such as
//! `MAX_EPOCHS_PER_CROSSLINK`, network extras such as `DEPOSIT_CONTRACT_BLOCK`) are ignored,
//! listed in [`LoadedConfig::unknown_keys`] and logged with `tracing::warn!` — except the later
//! forks' keys ([`LATER_FORKS`], `TERMINAL_*`), which multi-client configs carry and which are
//! only warned about when they schedule a fork at a real epoch. `PRESET_BASE` is
//! recognised (it only selects the preset) and is neither unknown nor a field.
//!
//! **Preset** (first rule that applies):
//! 1. `CONFIG_NAME` is `mainnet` or `minimal` (case-insensitive) → that preset;
//! 2. `SLOTS_PER_EPOCH` is 32 → mainnet, 8 → minimal;
//! 3. `PRESET_BASE` is `mainnet` or `minimal` → that preset (any other value is a bad value);
//! 4. otherwise mainnet.
//!
//! **Era** ([`SpecEra`]). `CONFIG_NAME` cannot decide it (v0.12.3 and v1.0.1 both say
//! `mainnet`), and presence of `PROPORTIONAL_SLASHING_MULTIPLIER` cannot either (Spadina and
//! Zinken have it with the v0.12 value 3, while Medalla and Altona omit it). The rule is based on
//! the values that changed between v0.12 and v1.0 ("era markers"), checked in this order:
//!
//! 1. `PROPORTIONAL_SLASHING_MULTIPLIER` (v0.12: 3; v1.0: 1 mainnet / 2 minimal),
//! 2. `INACTIVITY_PENALTY_QUOTIENT` (v0.12: 2**24; v1.0: 2**26 mainnet / 2**25 minimal),
//! 3. `MIN_SLASHING_PENALTY_QUOTIENT` (v0.12: 32; v1.0: 128 mainnet / 64 minimal),
//! 4. `EPOCHS_PER_ETH1_VOTING_PERIOD` (mainnet v0.12: 32; v1.0: 64; same in both minimal eras),
//! 5. `ETH1_FOLLOW_DISTANCE` (mainnet v0.12: 1024; v1.0: 2048; same in both minimal eras).
//!
//! The first marker present in the file whose value equals the detected preset's value in
//! exactly one era decides the era; if no marker decides, the era is v1.0 (the spec Fresnel
//! implements). A later marker that points to the other era only causes a warning. Results on
//! the real files (`testnets/`, plus Witti and Lighthouse's copies in `tests/fixtures/`):
//! mainnet, Pyrmont, Prater → v1.0 (via multiplier 1); Spadina, Zinken → v0.12 (multiplier 3);
//! Medalla, Altona → v0.12 (no multiplier, inactivity quotient 2**24), so their missing
//! `PROPORTIONAL_SLASHING_MULTIPLIER` defaults to 3.
//!
//! **v0.11 configs are rejected** ([`ConfigError::Unsupported`]): a file with `MIN_GENESIS_DELAY`
//! or `PERSISTENT_COMMITTEE_PERIOD` (v0.11 names of `GENESIS_DELAY` / `SHARD_COMMITTEE_PERIOD`),
//! such as Witti's, follows a spec whose containers hash differently.
//!
//! # Required keys
//!
//! [`REQUIRED_KEYS`] have no sensible default because they identify the network and its genesis:
//! `GENESIS_FORK_VERSION`, `MIN_GENESIS_TIME`, `MIN_GENESIS_ACTIVE_VALIDATOR_COUNT`,
//! `GENESIS_DELAY` and `DEPOSIT_CONTRACT_ADDRESS`. Every bundled network file and every spec
//! config file has all of them. `DEPOSIT_CHAIN_ID` / `DEPOSIT_NETWORK_ID` are *not* required
//! (Altona's file lacks them; they then default to the preset's value, 1 for mainnet, and
//! show up in `defaulted_keys`), nor is `CONFIG_NAME` (Pyrmont, Medalla, Altona and Spadina lack
//! it; it defaults to the preset's name, and [`Eth2NetworkConfig::load_dir`] replaces it with the
//! directory name).
//!
//! # Bundled networks
//!
//! [`BUNDLED_NETWORKS`] live in `testnets/<name>/` of the workspace; see
//! [`Eth2NetworkConfig::load_dir`] for the layout and `testnets/README.md` for provenance.

#![warn(missing_docs)]

mod config;
mod network;
mod yaml;

pub use config::{
    config_values, later_fork_values, load_config_file, parse_config, parse_config_with_base,
    LoadedConfig, LATER_FORKS,
};
pub use config::{KNOWN_KEYS, REQUIRED_KEYS};
pub use network::{network_dir, read_deploy_block_if_any, Eth2NetworkConfig, BUNDLED_NETWORKS};
pub use types::{ChainSpec, EthSpecId, PresetBase, SpecEra};

/// Why a config file or network directory could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("{file}: cannot read: {reason}")]
    Io {
        /// Path of the file.
        file: String,
        /// The I/O error.
        reason: String,
    },
    /// The config is not a well-formed YAML mapping (syntax error, duplicate key, ...).
    #[error("{file}: malformed YAML: {reason}")]
    Yaml {
        /// Path (or other description) of the config source.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A key of [`REQUIRED_KEYS`] is absent.
    #[error("{file}: required key {key} is missing")]
    MissingKey {
        /// The missing key.
        key: String,
        /// Path (or other description) of the config source.
        file: String,
    },
    /// A known key has a value that cannot be used.
    #[error("{file}: bad value {value:?} for {key}: {reason}")]
    BadValue {
        /// The offending key.
        key: String,
        /// Path (or other description) of the config source.
        file: String,
        /// The value as written (truncated to 200 characters).
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The config follows a spec version Fresnel cannot run (e.g. v0.11).
    #[error("{file}: unsupported config: {reason}")]
    Unsupported {
        /// Path (or other description) of the config source.
        file: String,
        /// Why it is unsupported.
        reason: String,
    },
    /// A file of a network directory (other than `config.yaml`) is missing or malformed.
    #[error("{file}: {reason}")]
    BadFile {
        /// Path of the file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// The name is not one of [`BUNDLED_NETWORKS`] or its directory is absent.
    #[error("unknown bundled network {name:?} (known: {known})", known = BUNDLED_NETWORKS.join(", "))]
    UnknownNetwork {
        /// The requested name.
        name: String,
    },
}
