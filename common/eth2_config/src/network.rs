//! Network directories (`testnets/<name>/`): config, genesis state, boot nodes, deposit contract.

use crate::{load_config_file, ChainSpec, ConfigError};
use std::fmt;
use std::path::{Path, PathBuf};

/// Names of the networks bundled in the workspace's `testnets/` directory.
pub const BUNDLED_NETWORKS: &[&str] = &[
    "mainnet", "pyrmont", "prater", "medalla", "altona", "spadina", "zinken",
];

/// Everything needed to join a network, read from a network directory.
#[derive(Clone, PartialEq, Eq)]
pub struct Eth2NetworkConfig {
    /// Network name (the directory's name).
    pub name: String,
    /// The chain spec from `config.yaml`.
    pub spec: ChainSpec,
    /// SSZ bytes of the genesis `BeaconState` (`genesis.ssz`), if the directory has one.
    pub genesis_state_bytes: Option<Vec<u8>>,
    /// Boot node ENRs (`enr:...` strings).
    pub boot_enrs: Vec<String>,
    /// Address of the eth1 deposit contract (from `config.yaml`).
    pub deposit_contract_address: [u8; 20],
    /// Eth1 block number at which the deposit contract was deployed.
    pub deposit_contract_deploy_block: u64,
}

impl fmt::Debug for Eth2NetworkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Eth2NetworkConfig")
            .field("name", &self.name)
            .field("spec", &self.spec)
            .field(
                "genesis_state_bytes",
                &self
                    .genesis_state_bytes
                    .as_ref()
                    .map(|b| format!("<{} bytes>", b.len())),
            )
            .field("boot_enrs", &self.boot_enrs)
            .field(
                "deposit_contract_address",
                &format!("0x{}", hex::encode(self.deposit_contract_address)),
            )
            .field(
                "deposit_contract_deploy_block",
                &self.deposit_contract_deploy_block,
            )
            .finish()
    }
}

/// The directory of bundled network `name` (`<workspace>/testnets/<name>`, located at compile
/// time), or `None` if `name` is not a plain directory name or has no `config.yaml` there.
pub fn network_dir(name: &str) -> Option<PathBuf> {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plain {
        return None;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testnets")
        .join(name);
    dir.join("config.yaml").is_file().then_some(dir)
}

/// Builds a [`ConfigError::BadFile`].
fn bad_file(path: &Path, reason: impl Into<String>) -> ConfigError {
    ConfigError::BadFile {
        file: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Reads a file that may be absent (`Ok(None)`).
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, ConfigError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError::Io {
            file: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

/// Reads a small text file that may be absent.
fn read_optional_text(path: &Path) -> Result<Option<String>, ConfigError> {
    read_optional(path)?
        .map(|bytes| String::from_utf8(bytes).map_err(|_| bad_file(path, "not UTF-8 text")))
        .transpose()
}

impl Eth2NetworkConfig {
    /// Loads a network directory:
    ///
    /// * `config.yaml` (required) — see [`crate::parse_config`]; if it has no `CONFIG_NAME`,
    ///   `spec.config_name` is set to the directory name;
    /// * `genesis.ssz` (optional) — SSZ genesis state;
    /// * `boot_enr.yaml` (a YAML list of `enr:` strings) or else `bootstrap_nodes.txt` (the lines
    ///   starting with `enr:`; other lines are ignored); neither → no boot nodes;
    /// * `deploy_block.txt` or else `deposit_contract_block.txt` (required) — decimal block number;
    /// * `deposit_contract.txt` (optional) — if present, must match `DEPOSIT_CONTRACT_ADDRESS`.
    pub fn load_dir(dir: &Path) -> Result<Self, ConfigError> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let loaded = load_config_file(&dir.join("config.yaml"))?;
        let mut spec = loaded.spec;
        if loaded.defaulted_keys.iter().any(|k| k == "CONFIG_NAME") && !name.is_empty() {
            spec.config_name = name.clone();
        }

        let genesis_state_bytes = read_optional(&dir.join("genesis.ssz"))?;
        let boot_enrs = read_boot_enrs(dir)?;
        let deposit_contract_deploy_block = read_deploy_block(dir)?;

        let contract_path = dir.join("deposit_contract.txt");
        if let Some(text) = read_optional_text(&contract_path)? {
            let hex_digits = text.trim().trim_start_matches("0x");
            let mut address = [0u8; 20];
            hex::decode_to_slice(hex_digits, &mut address)
                .map_err(|e| bad_file(&contract_path, format!("not a 20-byte hex address: {e}")))?;
            if address != spec.deposit_contract_address {
                return Err(bad_file(
                    &contract_path,
                    format!(
                        "address 0x{} differs from DEPOSIT_CONTRACT_ADDRESS 0x{} of config.yaml",
                        hex::encode(address),
                        hex::encode(spec.deposit_contract_address)
                    ),
                ));
            }
        }

        Ok(Eth2NetworkConfig {
            name,
            deposit_contract_address: spec.deposit_contract_address,
            spec,
            genesis_state_bytes,
            boot_enrs,
            deposit_contract_deploy_block,
        })
    }

    /// Loads bundled network `name` (one of [`BUNDLED_NETWORKS`]) from its [`network_dir`].
    pub fn bundled(name: &str) -> Result<Self, ConfigError> {
        let unknown = || ConfigError::UnknownNetwork {
            name: name.to_string(),
        };
        if !BUNDLED_NETWORKS.contains(&name) {
            return Err(unknown());
        }
        Self::load_dir(&network_dir(name).ok_or_else(unknown)?)
    }
}

/// Boot ENRs from `boot_enr.yaml`, else from the `enr:` lines of `bootstrap_nodes.txt`.
fn read_boot_enrs(dir: &Path) -> Result<Vec<String>, ConfigError> {
    let yaml_path = dir.join("boot_enr.yaml");
    if let Some(text) = read_optional_text(&yaml_path)? {
        let enrs: Option<Vec<String>> = serde_yaml::from_str(&text)
            .map_err(|e| bad_file(&yaml_path, format!("expected a YAML list of ENRs: {e}")))?;
        let enrs = enrs.unwrap_or_default();
        if let Some(bad) = enrs.iter().find(|e| !e.starts_with("enr:")) {
            return Err(bad_file(&yaml_path, format!("not an ENR: {bad:?}")));
        }
        return Ok(enrs);
    }
    let txt_path = dir.join("bootstrap_nodes.txt");
    Ok(read_optional_text(&txt_path)?
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("enr:"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default())
}

/// The deposit contract's deploy block from `deploy_block.txt` or `deposit_contract_block.txt`.
fn read_deploy_block(dir: &Path) -> Result<u64, ConfigError> {
    read_deploy_block_if_any(dir)?.ok_or_else(|| {
        bad_file(
            &dir.join("deploy_block.txt"),
            "missing (neither deploy_block.txt nor deposit_contract_block.txt exists)",
        )
    })
}

/// The deposit contract's deploy block a network directory names (`deploy_block.txt`, else
/// `deposit_contract_block.txt`), or `None` when it has neither.
pub fn read_deploy_block_if_any(dir: &Path) -> Result<Option<u64>, ConfigError> {
    for file in ["deploy_block.txt", "deposit_contract_block.txt"] {
        let path = dir.join(file);
        if let Some(text) = read_optional_text(&path)? {
            let text = text.trim();
            return text
                .parse::<u64>()
                .map(Some)
                .map_err(|_| bad_file(&path, format!("not a decimal block number: {text:?}")));
        }
    }
    Ok(None)
}
