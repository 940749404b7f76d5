//! `--network NAME` / `--testnet-dir DIR`: which chain's config a command uses.

use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use types::ChainSpec;

/// The network flags shared by the subcommands.
#[derive(Args, Debug, Clone)]
pub struct NetworkArgs {
    /// A bundled network: mainnet, pyrmont, prater, medalla, altona, spadina, zinken; or
    /// `minimal` (the spec's minimal preset, for interop and local chains).
    #[arg(long, default_value = "mainnet", conflicts_with = "testnet_dir")]
    pub network: String,
    /// A directory with the network's config.yaml (and genesis.ssz, boot_enr.yaml).
    #[arg(long)]
    pub testnet_dir: Option<PathBuf>,
}

/// A resolved network.
pub struct Network {
    pub name: String,
    pub spec: ChainSpec,
    /// The SSZ genesis state, if the network has one.
    pub genesis_state_bytes: Option<Vec<u8>>,
    /// Boot nodes' ENRs from `boot_enr.yaml` and `bootstrap_nodes.txt`.
    pub boot_enrs: Vec<String>,
    /// The eth1 block the deposit contract was deployed in (`deploy_block.txt` or
    /// `deposit_contract_block.txt`; 0 when the directory has neither).
    pub deposit_contract_deploy_block: u64,
}

/// The boot ENRs a network directory lists: `boot_enr.yaml` (a YAML list) and
/// `bootstrap_nodes.txt` (one per line, `#` comments).
pub fn read_boot_enrs(dir: &std::path::Path) -> Result<Vec<String>> {
    let mut enrs = Vec::new();
    let yaml = dir.join("boot_enr.yaml");
    if yaml.is_file() {
        let text = std::fs::read_to_string(&yaml)
            .with_context(|| format!("reading {}", yaml.display()))?;
        let list: Option<Vec<String>> = serde_yaml::from_str(&text)
            .with_context(|| format!("{}: expected a list of ENRs", yaml.display()))?;
        enrs.extend(list.unwrap_or_default());
    }
    let txt = dir.join("bootstrap_nodes.txt");
    if txt.is_file() {
        let text =
            std::fs::read_to_string(&txt).with_context(|| format!("reading {}", txt.display()))?;
        enrs.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("enr:"))
                .map(str::to_string),
        );
    }
    enrs.sort();
    enrs.dedup();
    Ok(enrs)
}

impl NetworkArgs {
    /// Load the config the flags name.
    pub fn load(&self) -> Result<Network> {
        if self.testnet_dir.is_none() && self.network == "minimal" {
            // The spec's minimal preset: local and interop chains.
            return Ok(Network {
                name: "minimal".into(),
                spec: ChainSpec::minimal(),
                genesis_state_bytes: None,
                boot_enrs: Vec::new(),
                deposit_contract_deploy_block: 0,
            });
        }
        let (name, dir) = match &self.testnet_dir {
            Some(dir) => (
                dir.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "custom".into()),
                dir.clone(),
            ),
            None => match eth2_config::network_dir(&self.network) {
                Some(dir) => (self.network.clone(), dir),
                None => bail!(
                    "unknown network {:?}; bundled: {} (or give --testnet-dir)",
                    self.network,
                    eth2_config::BUNDLED_NETWORKS.join(", ")
                ),
            },
        };
        let config = dir.join("config.yaml");
        let spec = eth2_config::load_config_file(&config)
            .with_context(|| format!("loading {}", config.display()))?
            .spec;
        let genesis = dir.join("genesis.ssz");
        let genesis_state_bytes = if genesis.is_file() {
            Some(
                std::fs::read(&genesis)
                    .with_context(|| format!("reading {}", genesis.display()))?,
            )
        } else {
            None
        };
        let boot_enrs = read_boot_enrs(&dir)?;
        Ok(Network {
            name,
            spec,
            genesis_state_bytes,
            boot_enrs,
            deposit_contract_deploy_block: eth2_config::read_deploy_block_if_any(&dir)?
                .unwrap_or(0),
        })
    }
}
