//! `--network <name|dir>`: a bundled network by name, or a directory with a config.yaml.

use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use types::{ChainSpec, EthSpecId};

/// The network a command works on.
#[derive(Args, Debug, Clone)]
pub struct NetworkArg {
    /// A bundled network (mainnet, pyrmont, prater, medalla, altona, spadina, zinken), a
    /// directory holding config.yaml, or the presets `minimal` / `mainnet-preset`.
    #[arg(long, default_value = "mainnet")]
    pub network: String,
}

/// What a command needs of a network.
pub struct Network {
    pub spec: ChainSpec,
    pub eth_spec_id: EthSpecId,
}

impl NetworkArg {
    /// Resolve the name or directory into a spec and its list-length preset.
    pub fn load(&self) -> Result<Network> {
        let spec = if self.network == "minimal" {
            ChainSpec::minimal()
        } else {
            let path = PathBuf::from(&self.network);
            let dir = if path.join("config.yaml").is_file() {
                path
            } else if let Some(dir) = eth2_config::network_dir(&self.network) {
                dir
            } else {
                bail!(
                    "unknown network {:?}: not a bundled network ({}) nor a directory with a config.yaml",
                    self.network,
                    eth2_config::BUNDLED_NETWORKS.join(", ")
                );
            };
            eth2_config::load_config_file(&dir.join("config.yaml"))
                .with_context(|| format!("loading the config of {}", dir.display()))?
                .spec
        };
        let eth_spec_id = spec
            .type_level_preset()
            .map_err(|e| anyhow::anyhow!("config fits no preset: {e}"))?;
        Ok(Network { spec, eth_spec_id })
    }
}

/// Run `$body` with `$E` bound to the `EthSpec` type of `$id`.
macro_rules! with_eth_spec {
    ($id:expr, $E:ident, $body:block) => {
        match $id {
            types::EthSpecId::Mainnet => {
                type $E = types::MainnetEthSpec;
                $body
            }
            types::EthSpecId::Minimal => {
                type $E = types::MinimalEthSpec;
                $body
            }
            types::EthSpecId::MainnetV012 => {
                type $E = types::MainnetV012EthSpec;
                $body
            }
        }
    };
}
pub(crate) use with_eth_spec;
