//! `fresnel bn`: the beacon node.

use crate::network::NetworkArgs;
use anyhow::{bail, Context, Result};
use clap::Args;
use client::{Client, ClientConfig, GenesisSource};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use types::{EthSpec, EthSpecId};

/// The beacon node's flags.
#[derive(Args)]
pub struct BnArgs {
    #[command(flatten)]
    network: NetworkArgs,
    /// Where the node keeps its database (default: ~/.fresnel/<network>/beacon).
    #[arg(long)]
    datadir: Option<PathBuf>,
    /// Start from an interop ("mocked start") genesis of this many validators.
    #[arg(long, requires = "genesis_time")]
    interop_validators: Option<u64>,
    /// The interop genesis time (unix seconds).
    #[arg(long)]
    genesis_time: Option<u64>,
    /// Start from a finalized checkpoint: its state (SSZ).
    #[arg(long, requires = "checkpoint_block")]
    checkpoint_state: Option<PathBuf>,
    /// Start from a finalized checkpoint: its block (SSZ).
    #[arg(long, requires = "checkpoint_state")]
    checkpoint_block: Option<PathBuf>,
    /// The REST API's address.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    http_address: IpAddr,
    /// The REST API's port (0 picks a free one).
    #[arg(long, default_value_t = 5052)]
    http_port: u16,
    /// Run without the REST API.
    #[arg(long)]
    no_http: bool,
    /// Keep a full finalized state every this many slots (a multiple of SLOTS_PER_EPOCH).
    #[arg(long, default_value_t = 2048)]
    slots_per_restore_point: u64,
}

/// Run the beacon node until SIGINT or SIGTERM.
pub fn run(args: BnArgs) -> Result<()> {
    let network = args.network.load()?;
    let genesis = match (&args.interop_validators, &args.checkpoint_state, &args.checkpoint_block) {
        (Some(validators), None, None) => GenesisSource::Interop {
            validators: *validators,
            genesis_time: args.genesis_time.unwrap_or(0),
        },
        (None, Some(state), Some(block)) => GenesisSource::Checkpoint {
            state: std::fs::read(state).with_context(|| format!("reading {}", state.display()))?,
            block: std::fs::read(block).with_context(|| format!("reading {}", block.display()))?,
        },
        (None, None, None) => match network.genesis_state_bytes.clone() {
            Some(bytes) => GenesisSource::State(bytes),
            None => GenesisSource::Unknown {
                network: network.name.clone(),
            },
        },
        _ => bail!("choose one start: the network's genesis, --interop-validators, or --checkpoint-state with --checkpoint-block"),
    };
    let datadir = match args.datadir {
        Some(dir) => dir,
        None => {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".fresnel").join(&network.name).join("beacon")
        }
    };
    let preset = network
        .spec
        .type_level_preset()
        .map_err(|e| anyhow::anyhow!("the network's config fits no preset: {e}"))?;
    let config = ClientConfig {
        datadir,
        spec: network.spec,
        genesis,
        http_address: (!args.no_http).then_some(SocketAddr::new(args.http_address, args.http_port)),
        store: store_config(args.slots_per_restore_point),
        version: format!(
            "Fresnel/v{}/{}",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS
        ),
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        match preset {
            EthSpecId::Mainnet => serve::<types::MainnetEthSpec>(config).await,
            EthSpecId::Minimal => serve::<types::MinimalEthSpec>(config).await,
            EthSpecId::MainnetV012 => serve::<types::MainnetV012EthSpec>(config).await,
        }
    })
}

fn store_config(slots_per_restore_point: u64) -> store::StoreConfig {
    store::StoreConfig {
        slots_per_restore_point,
        ..Default::default()
    }
}

async fn serve<E: EthSpec>(config: ClientConfig) -> Result<()> {
    let client = Client::<E>::start(config).await?;
    if let Some(addr) = client.http_address {
        // Scripts wait for this line to know the API is up.
        println!("http_api listening on http://{addr}");
    }
    wait_for_signal().await?;
    tracing::info!("Shutting down");
    client.stop().await;
    Ok(())
}

async fn wait_for_signal() -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for SIGINT")?,
        _ = term.recv() => {}
    }
    Ok(())
}
