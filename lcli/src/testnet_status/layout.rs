//! `nodes.json`: what the testnet launcher started, as the health report reads it.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The launcher's description of a running testnet (`DIR/nodes.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestnetLayout {
    /// The published testnet directory (config.yaml, genesis.ssz, boot_enr.yaml, ...).
    pub testnet_dir: PathBuf,
    /// Unix time of slot 0, once genesis is known.
    #[serde(default)]
    pub genesis_time: Option<u64>,
    pub nodes: Vec<NodeEntry>,
}

/// One beacon node and the validators of the validator client attached to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeEntry {
    pub name: String,
    /// `fresnel` or `lodestar`.
    pub client: String,
    /// REST API base URL.
    pub http: String,
    /// Prometheus endpoint.
    #[serde(default)]
    pub metrics: Option<String>,
    /// Validator indices `[first, end)` whose keys this node's validator client holds.
    #[serde(default)]
    pub validators: Option<[u64; 2]>,
}

impl TestnetLayout {
    /// Read `dir/nodes.json`; a relative `testnet_dir` is taken relative to `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("nodes.json");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {} (written by scripts/testnet/start.sh)",
                path.display()
            )
        })?;
        let mut layout: TestnetLayout = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a testnet layout", path.display()))?;
        if layout.testnet_dir.is_relative() {
            layout.testnet_dir = dir.join(&layout.testnet_dir);
        }
        Ok(layout)
    }

    /// The client whose validator client holds `validator_index`, if any node claims it.
    pub fn client_of_validator(&self, validator_index: u64) -> Option<&str> {
        self.nodes
            .iter()
            .find(|n| matches!(n.validators, Some([first, end]) if (first..end).contains(&validator_index)))
            .map(|n| n.client.as_str())
    }
}
