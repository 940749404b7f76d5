//! `fresnel boot_node`: discv5 alone, for testnet coordinators. It answers discovery
//! queries so that beacon nodes find each other, and prints its ENR at start.

use crate::network::NetworkArgs;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::net::Ipv4Addr;
use std::path::PathBuf;

#[derive(Args)]
pub struct BootNodeArgs {
    #[command(flatten)]
    network: NetworkArgs,
    /// The IPv4 address peers reach the boot node at (written in its ENR).
    #[arg(long)]
    enr_address: Ipv4Addr,
    /// The UDP port discv5 listens on.
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// The address to listen on (default: --enr-address).
    #[arg(long)]
    listen_address: Option<Ipv4Addr>,
    /// Where the boot node keeps its key and ENR (default: ~/.fresnel/<network>/boot_node).
    #[arg(long)]
    datadir: Option<PathBuf>,
    /// Other boot nodes' ENRs to seed the table with, comma-separated.
    #[arg(long, value_delimiter = ',')]
    boot_nodes: Vec<String>,
}

pub fn run(args: BootNodeArgs) -> Result<()> {
    let network = args.network.load()?;
    let Some(genesis) = &network.genesis_state_bytes else {
        bail!(
            "network {} has no genesis.ssz: the boot node's ENR names the fork, which needs the genesis validators root",
            network.name
        );
    };
    // A state's SSZ starts with genesis_time (8 bytes), then genesis_validators_root.
    let gvr = genesis
        .get(8..40)
        .map(types::Hash256::from_slice)
        .context("genesis.ssz is too short to be a state")?;
    let fork_id = network::EnrForkId::phase0(network.spec.genesis_fork_version, gvr);
    let datadir = args.datadir.unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        home.join(".fresnel").join(&network.name).join("boot_node")
    });
    let fields = network::EnrFields {
        ip: Some(args.enr_address),
        tcp: None,
        udp: Some(args.port),
        fork_id,
        attnets: [0; 8],
    };
    let identity = network::NodeIdentity::load_or_create(&datadir, &fields)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut boot = Vec::new();
    for text in network.boot_enrs.iter().chain(&args.boot_nodes) {
        boot.push(
            text.parse::<network::Enr>()
                .map_err(|e| anyhow::anyhow!("boot node {text:?}: {e}"))?,
        );
    }
    let listen = args.listen_address.unwrap_or(args.enr_address);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let mut signals = crate::bn::StopSignals::new()?;
        let discovery = network::discovery::Discovery::start(
            identity.enr.clone(),
            identity.enr_key(),
            listen,
            args.port,
            &boot,
            fork_id.fork_digest,
        )
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
        let enr = discovery.local_enr().to_base64();
        tracing::info!(%enr, address = %listen, port = args.port, "Boot node listening");
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), "{enr}");
        let _ = std::io::stdout().flush();
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = interval.tick() => tracing::info!(table = discovery.table_size(), "Boot node"),
                _ = signals.wait() => break,
            }
        }
        tracing::info!("Boot node stopped");
        Ok::<(), anyhow::Error>(())
    })
}
