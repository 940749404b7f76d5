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
    /// Start from the finalized checkpoint of the beacon node at this URL (its REST API,
    /// which you trust): its finalized block and that block's state, as SSZ. History before
    /// it is then backfilled from peers.
    #[arg(long, conflicts_with_all = ["checkpoint_state", "interop_validators"])]
    checkpoint_sync_url: Option<String>,
    /// A weak subjectivity checkpoint, 0xBLOCK_ROOT:EPOCH, from a source you trust: the
    /// checkpoint state must be that checkpoint and within its weak subjectivity period.
    #[arg(long, value_parser = parse_wss_checkpoint)]
    wss_checkpoint: Option<types::Checkpoint>,
    /// Eth1 JSON-RPC endpoints, comma-separated, tried in order: the node follows the
    /// deposit contract for eth1 votes and deposits in its blocks, and waits there for
    /// genesis when the network has no genesis.ssz.
    #[arg(long, alias = "eth1-endpoint", value_delimiter = ',')]
    eth1_endpoints: Vec<String>,
    /// The REST API's address.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    http_address: IpAddr,
    /// The REST API's port (0 picks a free one).
    #[arg(long, default_value_t = 5052)]
    http_port: u16,
    /// Run without the REST API.
    #[arg(long)]
    no_http: bool,
    /// Serve Prometheus metrics (GET /metrics) on --metrics-address:--metrics-port.
    #[arg(long)]
    metrics: bool,
    /// The metrics server's address.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    metrics_address: IpAddr,
    /// The metrics server's port (0 picks a free one).
    #[arg(long, default_value_t = 5054)]
    metrics_port: u16,
    /// Keep a full finalized state every this many slots (a multiple of SLOTS_PER_EPOCH).
    #[arg(long, default_value_t = 2048)]
    slots_per_restore_point: u64,
    /// The database's page cache in MiB (the chain caches recent states itself).
    #[arg(long, default_value_t = store::DEFAULT_CACHE_MIB)]
    db_cache_mib: u64,
    #[command(flatten)]
    p2p: P2pArgs,
}

/// Peer-to-peer flags.
#[derive(Args)]
pub struct P2pArgs {
    /// The address libp2p (TCP) and discovery (UDP) listen on.
    #[arg(long, default_value_t = Ipv4Addr::UNSPECIFIED)]
    listen_address: Ipv4Addr,
    /// The libp2p TCP port (0: any free port; then discovery cannot advertise it).
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// The discv5 UDP port (default: --port).
    #[arg(long)]
    discovery_port: Option<u16>,
    /// Boot nodes' ENRs, comma-separated, besides the network's boot_enr.yaml and
    /// bootstrap_nodes.txt.
    #[arg(long, value_delimiter = ',')]
    boot_nodes: Vec<String>,
    /// The number of peers to look for and keep.
    #[arg(long, default_value_t = 50)]
    target_peers: usize,
    /// Do not run discv5: connect only to --libp2p-addresses and to peers that dial in.
    #[arg(long)]
    disable_discovery: bool,
    /// Subscribe to every attestation subnet (and advertise them all).
    #[arg(long)]
    subscribe_all_subnets: bool,
    /// Peers to dial and keep dialling, as multiaddrs (/ip4/…/tcp/…/p2p/…), comma-separated.
    #[arg(long, value_delimiter = ',')]
    libp2p_addresses: Vec<String>,
    /// The IPv4 address the ENR advertises (default: --listen-address unless unspecified;
    /// 127.0.0.1 when listening on loopback).
    #[arg(long)]
    enr_address: Option<Ipv4Addr>,
    /// The TCP port the ENR advertises (default: --port).
    #[arg(long)]
    enr_tcp_port: Option<u16>,
    /// The UDP port the ENR advertises (default: --discovery-port).
    #[arg(long)]
    enr_udp_port: Option<u16>,
}

impl P2pArgs {
    /// The service's configuration for a node whose data lives in `datadir`.
    fn config(
        &self,
        datadir: &std::path::Path,
        network_boot_enrs: &[String],
    ) -> Result<network::NetworkConfig> {
        let mut config = network::NetworkConfig::new(datadir.join("network"));
        config.listen_address = self.listen_address;
        config.tcp_port = self.port;
        config.discovery_port = self.discovery_port.unwrap_or(self.port);
        config.enr_address = self.enr_address;
        config.enr_tcp_port = self.enr_tcp_port;
        config.enr_udp_port = self.enr_udp_port;
        config.target_peers = self.target_peers;
        config.disable_discovery = self.disable_discovery;
        config.subscribe_all_subnets = self.subscribe_all_subnets;
        for text in network_boot_enrs.iter().chain(&self.boot_nodes) {
            let enr: network::Enr = text
                .trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("boot node {text:?} is not a valid ENR: {e}"))?;
            config.boot_nodes.push(enr);
        }
        for text in &self.libp2p_addresses {
            let addr: network::Multiaddr = text.trim().parse().map_err(|e| {
                anyhow::anyhow!("--libp2p-addresses: {text:?} is not a multiaddr: {e}")
            })?;
            config.static_peers.push(addr);
        }
        Ok(config)
    }
}

/// Run the beacon node until SIGINT or SIGTERM.
pub fn run(args: BnArgs) -> Result<()> {
    let network = args.network.load()?;
    if args.wss_checkpoint.is_some()
        && args.checkpoint_state.is_none()
        && args.checkpoint_sync_url.is_none()
    {
        bail!("--wss-checkpoint checks a checkpoint start: give --checkpoint-sync-url or --checkpoint-state with --checkpoint-block");
    }
    let genesis = match (&args.interop_validators, &args.checkpoint_state, &args.checkpoint_block) {
        (None, None, None) if args.checkpoint_sync_url.is_some() => GenesisSource::CheckpointUrl {
            url: args.checkpoint_sync_url.clone().unwrap_or_default(),
            wss_checkpoint: args.wss_checkpoint,
        },
        (Some(validators), None, None) => GenesisSource::Interop {
            validators: *validators,
            genesis_time: args.genesis_time.unwrap_or(0),
        },
        (None, Some(state), Some(block)) => GenesisSource::Checkpoint {
            state: std::fs::read(state).with_context(|| format!("reading {}", state.display()))?,
            block: std::fs::read(block).with_context(|| format!("reading {}", block.display()))?,
            wss_checkpoint: args.wss_checkpoint,
        },
        (None, None, None) => match network.genesis_state_bytes.clone() {
            Some(bytes) => GenesisSource::State(bytes),
            None if !args.eth1_endpoints.is_empty() => GenesisSource::Eth1,
            None => GenesisSource::Unknown {
                network: network.name.clone(),
            },
        },
        _ => bail!("choose one start: the network's genesis, --interop-validators, --checkpoint-sync-url, or --checkpoint-state with --checkpoint-block"),
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
    let network_config = args.p2p.config(&datadir, &network.boot_enrs)?;
    let config = ClientConfig {
        network: Some(network_config),
        datadir,
        spec: network.spec.clone(),
        genesis,
        http_address: (!args.no_http).then_some(SocketAddr::new(args.http_address, args.http_port)),
        metrics_address: args
            .metrics
            .then_some(SocketAddr::new(args.metrics_address, args.metrics_port)),
        store: store_config(args.slots_per_restore_point, args.db_cache_mib),
        eth1: (!args.eth1_endpoints.is_empty()).then(|| {
            eth1::Eth1Config::new(
                args.eth1_endpoints.clone(),
                network.deposit_contract_deploy_block,
                &network.spec,
            )
        }),
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

/// `0x<32-byte block root>:<epoch>`, the form clients and explorers print.
fn parse_wss_checkpoint(text: &str) -> Result<types::Checkpoint, String> {
    let (root, epoch) = text.split_once(':').ok_or("expected 0xBLOCK_ROOT:EPOCH")?;
    let root_bytes = root
        .strip_prefix("0x")
        .and_then(|hex_text| hex::decode(hex_text).ok())
        .filter(|bytes| bytes.len() == 32)
        .ok_or("the root must be 0x and 64 hex digits")?;
    let epoch = epoch
        .parse()
        .map_err(|_| format!("the epoch {epoch:?} is not a number"))?;
    Ok(types::Checkpoint {
        epoch,
        root: types::Hash256::from_slice(&root_bytes),
    })
}

fn store_config(slots_per_restore_point: u64, cache_mib: u64) -> store::StoreConfig {
    store::StoreConfig {
        slots_per_restore_point,
        cache_mib,
        ..Default::default()
    }
}

async fn serve<E: EthSpec>(config: ClientConfig) -> Result<()> {
    // Listening from the start: start-up may wait for genesis on eth1 for a long time, and a
    // signal then stops it (nothing has been written that must be finished); and one that
    // arrives just after start-up is still seen (a listener made later would miss it, while
    // tokio's handler, once installed, keeps the default action from ending the process).
    let mut signals = StopSignals::new()?;
    let client = tokio::select! {
        client = Client::<E>::start(config) => client?,
        _ = signals.wait() => {
            tracing::info!("Stopped before the node started");
            return Ok(());
        }
    };
    // Scripts wait for the "http_api listening" line to know the node is ready, so it comes
    // last. Nobody may be reading stdout any more (a closed pipe): that is no reason to stop.
    use std::io::Write;
    let mut stdout = std::io::stdout();
    if let Some(addr) = client.metrics_address {
        let _ = writeln!(stdout, "metrics listening on http://{addr}/metrics");
    }
    if let Some(addr) = client.http_address {
        let _ = writeln!(stdout, "http_api listening on http://{addr}");
    }
    let _ = stdout.flush();
    signals.wait().await;
    tracing::info!("Shutting down");
    client.stop().await;
    Ok(())
}

/// SIGINT and SIGTERM, listened for from the moment this is made.
pub(crate) struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Installs the handlers (inside a tokio runtime).
    pub(crate) fn new() -> Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
        })
    }

    /// The next SIGINT or SIGTERM (including one that arrived since [`StopSignals::new`]).
    pub(crate) async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
