//! `fresnel vc`: the validator client process.

use crate::network::NetworkArgs;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use types::{EthSpecId, Hash256};
use validator_client::{BeaconNodes, Config};

/// `fresnel vc` flags.
#[derive(Args, Debug)]
pub struct VcArgs {
    /// Beacon node REST API URLs, comma-separated, in order of preference; the client fails
    /// over to the next when one is down or syncing.
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:5052")]
    beacon_nodes: Vec<String>,
    /// The validators directory: <0xpubkey>/voting-keystore.json per validator, and the
    /// slashing protection database (default: ~/.fresnel/<network>/validators).
    #[arg(long)]
    validators_dir: Option<PathBuf>,
    /// The keystores' passwords, one file per 0xpubkey (default: ~/.fresnel/<network>/secrets).
    #[arg(long)]
    secrets_dir: Option<PathBuf>,
    /// Create the slashing protection database if it does not exist. Only for validators that
    /// have never signed on this chain, or whose history you import right after.
    #[arg(long)]
    init_slashing_protection: bool,
    /// Graffiti for proposed blocks (up to 32 bytes of UTF-8).
    #[arg(long)]
    graffiti: Option<String>,
    /// Seconds each beacon node request may take before failing over.
    #[arg(long, default_value_t = 6)]
    request_timeout: u64,
    /// The network, for the default directories and to check that the beacon node runs the
    /// same chain config.
    #[command(flatten)]
    network: NetworkArgs,
}

fn graffiti_bytes(text: &str) -> Result<Hash256> {
    let bytes = text.as_bytes();
    if bytes.len() > 32 {
        bail!("--graffiti is {} bytes; at most 32", bytes.len());
    }
    let mut padded = [0u8; 32];
    padded[..bytes.len()].copy_from_slice(bytes);
    Ok(Hash256::from(padded))
}

/// Run the validator client until SIGINT or SIGTERM.
pub fn run(args: VcArgs) -> Result<()> {
    let network = args.network.load()?;
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let base = home.join(".fresnel").join(&network.name);
    let config = Config {
        beacon_nodes: args.beacon_nodes.clone(),
        validators_dir: args
            .validators_dir
            .unwrap_or_else(|| base.join("validators")),
        secrets_dir: args.secrets_dir.unwrap_or_else(|| base.join("secrets")),
        graffiti: args.graffiti.as_deref().map(graffiti_bytes).transpose()?,
        init_slashing_protection: args.init_slashing_protection,
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
    };
    let nodes = Arc::new(
        BeaconNodes::new(&config.beacon_nodes, config.request_timeout).context("--beacon-nodes")?,
    );
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let spec = validator_client::fetch_chain_spec(&nodes).await?;
        check_same_chain(&network.spec, &spec)?;
        let preset = spec
            .type_level_preset()
            .map_err(|e| anyhow::anyhow!("the beacon node's config fits no preset: {e}"))?;
        let mut signals = crate::bn::StopSignals::new()?;
        let shutdown = async move { signals.wait().await };
        match preset {
            EthSpecId::Mainnet => {
                validator_client::run::<types::MainnetEthSpec>(config, nodes, spec, shutdown).await
            }
            EthSpecId::Minimal => {
                validator_client::run::<types::MinimalEthSpec>(config, nodes, spec, shutdown).await
            }
            EthSpecId::MainnetV012 => {
                validator_client::run::<types::MainnetV012EthSpec>(config, nodes, spec, shutdown)
                    .await
            }
        }
        .map_err(anyhow::Error::from)
    })
}

/// The node must run the chain the operator named: the same fork version and timing.
fn check_same_chain(local: &types::ChainSpec, node: &types::ChainSpec) -> Result<()> {
    let pairs = [
        (
            "GENESIS_FORK_VERSION",
            format!("{:?}", local.genesis_fork_version),
            format!("{:?}", node.genesis_fork_version),
        ),
        (
            "SECONDS_PER_SLOT",
            local.seconds_per_slot.to_string(),
            node.seconds_per_slot.to_string(),
        ),
        (
            "SLOTS_PER_EPOCH",
            local.slots_per_epoch.to_string(),
            node.slots_per_epoch.to_string(),
        ),
    ];
    for (key, ours, theirs) in pairs {
        if ours != theirs {
            bail!(
                "the beacon node runs another chain: its {key} is {theirs}, the network given \
                 here (--network/--testnet-dir) has {ours}"
            );
        }
    }
    Ok(())
}
