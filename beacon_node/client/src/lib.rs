//! A beacon node, assembled: the chain (from genesis, a checkpoint, or the database), the
//! slot timer that drives fork choice, the REST API, and an orderly shutdown that writes
//! the operation pool and fork choice and flushes the database.

use beacon_chain::{BeaconChain, ChainStore, SlotClock, SystemTimeSlotClock};
use http_api::Context;
use ssz::Decode;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::StoreConfig;
use tokio::sync::watch;
use tree_hash::TreeHash;
use types::{BeaconState, ChainSpec, EthSpec, SignedBeaconBlock};

/// Where the chain starts when the database holds none.
#[derive(Debug, Clone)]
pub enum GenesisSource {
    /// The network's genesis state (SSZ).
    State(Vec<u8>),
    /// An interop ("mocked start") genesis of `validators` at `genesis_time`.
    Interop { validators: u64, genesis_time: u64 },
    /// A finalized checkpoint: its state and block (SSZ), and, when the operator gave one,
    /// the weak subjectivity checkpoint they must match and be recent enough for.
    Checkpoint {
        state: Vec<u8>,
        block: Vec<u8>,
        wss_checkpoint: Option<types::Checkpoint>,
    },
    /// A finalized checkpoint fetched from a trusted beacon node's REST API (SSZ): its block
    /// (`/eth/v2/beacon/blocks/finalized`) and that block's post-state.
    CheckpointUrl {
        url: String,
        wss_checkpoint: Option<types::Checkpoint>,
    },
    /// None: the network has no genesis state yet, and no eth1 endpoint to wait for it on.
    Unknown { network: String },
    /// The network has no genesis state yet: wait for genesis on the deposit contract
    /// through the eth1 follower's endpoints (beacon-chain.md, "Genesis").
    Eth1,
}

/// The node's configuration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub datadir: PathBuf,
    pub spec: ChainSpec,
    pub genesis: GenesisSource,
    /// The REST API's address (None: no API).
    pub http_address: Option<SocketAddr>,
    /// The Prometheus endpoint's address (None: no metrics server).
    pub metrics_address: Option<SocketAddr>,
    pub store: StoreConfig,
    pub version: String,
    /// Peer-to-peer networking (None: the node runs alone, blocks reach it only through the
    /// REST API).
    pub network: Option<network::NetworkConfig>,
    /// Follow eth1 for votes, deposits and (with [`GenesisSource::Eth1`]) genesis.
    pub eth1: Option<eth1::Eth1Config>,
}

/// Why the node could not start.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Genesis(String),
    #[error("database: {0}")]
    Store(#[from] store::StoreError),
    #[error("chain: {0}")]
    Chain(#[from] beacon_chain::BeaconChainError),
    #[error("REST API: {0}")]
    Api(String),
    #[error("eth1: {0}")]
    Eth1(String),
    #[error("metrics: {0}")]
    Metrics(String),
    #[error("network identity: {0}")]
    Identity(#[from] network::IdentityError),
    #[error("network: {0}")]
    Network(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// A running node.
pub struct Client<E: EthSpec> {
    pub chain: Arc<BeaconChain<E>>,
    /// Where the REST API listens, if it does.
    pub http_address: Option<SocketAddr>,
    /// Where the Prometheus endpoint listens, if it does.
    pub metrics_address: Option<SocketAddr>,
    /// The network, when the node runs one.
    pub network: Option<Arc<router::RouterHandle<E>>>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

fn decode<T: Decode>(what: &str, bytes: &[u8]) -> Result<T, ClientError> {
    T::from_ssz_bytes(bytes)
        .map_err(|e| ClientError::Genesis(format!("{what} does not decode: {e:?}")))
}

/// The chain: resumed if the database has one, else started from `genesis`.
fn build_chain<E: EthSpec>(config: &ClientConfig) -> Result<BeaconChain<E>, ClientError> {
    let db_path = config.datadir.join("chain_db");
    std::fs::create_dir_all(&config.datadir).map_err(|source| ClientError::Io {
        path: config.datadir.display().to_string(),
        source,
    })?;
    let spec = Arc::new(config.spec.clone());
    let store = Arc::new(ChainStore::<E>::open(&db_path, config.store, spec.clone())?);
    let clock = |genesis_time: u64| -> Arc<dyn SlotClock> {
        Arc::new(SystemTimeSlotClock::new(
            genesis_time,
            spec.seconds_per_slot,
        ))
    };
    if BeaconChain::<E>::exists_in_store(&store)? {
        let info = BeaconChain::<E>::stored_chain_info(&store)?;
        check_same_chain(&config.genesis, info.genesis_time, info.genesis_validators_root)
            .map_err(|why| {
                ClientError::Genesis(format!(
                    "{}: the database holds another chain ({why}); use another --datadir or remove this one",
                    db_path.display()
                ))
            })?;
        let chain = BeaconChain::resume(store, spec.clone(), clock(info.genesis_time))?;
        return Ok(chain);
    }
    let chain = match &config.genesis {
        GenesisSource::Unknown { network } => {
            return Err(ClientError::Genesis(format!(
                "network {network} has no genesis state yet: give --eth1-endpoints to wait for genesis on the deposit contract, or use --checkpoint-state/--checkpoint-block or a network with a genesis.ssz"
            )))
        }
        GenesisSource::Eth1 => {
            return Err(ClientError::Genesis(
                "genesis from eth1 is resolved before the chain is built".into(),
            ))
        }
        GenesisSource::State(bytes) => {
            let state: BeaconState<E> = decode("the genesis state", bytes)?;
            let time = state.genesis_time;
            BeaconChain::from_genesis(store, spec.clone(), clock(time), state)?
        }
        GenesisSource::Interop {
            validators,
            genesis_time,
        } => {
            tracing::info!(validators, genesis_time, "Building the interop genesis state");
            let state = state_processing::genesis::interop_genesis_state::<E>(*validators, *genesis_time, &spec)
                .map_err(|e| ClientError::Genesis(format!("interop genesis: {e:?}")))?;
            BeaconChain::from_genesis(store, spec.clone(), clock(*genesis_time), state)?
        }
        GenesisSource::Checkpoint {
            state,
            block,
            wss_checkpoint,
        } => {
            let state: BeaconState<E> = decode("the checkpoint state", state)?;
            let block: SignedBeaconBlock<E> = decode("the checkpoint block", block)?;
            start_from_checkpoint(store, &spec, clock, block, state, *wss_checkpoint)?
        }
        GenesisSource::CheckpointUrl {
            url,
            wss_checkpoint,
        } => {
            // On the blocking pool: the runtime's handle can wait for the download here.
            let (block, state) =
                tokio::runtime::Handle::current().block_on(fetch_checkpoint::<E>(url))?;
            start_from_checkpoint(store, &spec, clock, block, state, *wss_checkpoint)?
        }
    };
    Ok(chain)
}

/// A chain anchored at a finalized checkpoint block and its post-state.
fn start_from_checkpoint<E: EthSpec>(
    store: Arc<ChainStore<E>>,
    spec: &Arc<types::ChainSpec>,
    clock: impl Fn(u64) -> Arc<dyn SlotClock>,
    block: SignedBeaconBlock<E>,
    state: BeaconState<E>,
    wss_checkpoint: Option<types::Checkpoint>,
) -> Result<BeaconChain<E>, ClientError> {
    let clock = clock(state.genesis_time);
    match wss_checkpoint {
        Some(ws) => check_weak_subjectivity(&*clock, &state, &ws, spec)?,
        None => tracing::warn!(
            "Starting from a checkpoint that no --wss-checkpoint vouches for: make sure it came from a source you trust"
        ),
    }
    Ok(BeaconChain::from_anchor(
        store,
        spec.clone(),
        clock,
        block,
        state,
    )?)
}

/// The finalized block of the beacon node at `url` and its post-state, checked against
/// each other (the state's root is the block's `state_root`).
async fn fetch_checkpoint<E: EthSpec>(
    url: &str,
) -> Result<(SignedBeaconBlock<E>, BeaconState<E>), ClientError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        ClientError::Genesis(format!("checkpoint sync from {url}: {what}: {e}"))
    };
    let api =
        beacon_api_client::BeaconNodeHttpClient::new(url, std::time::Duration::from_secs(300))
            .map_err(|e| fail("the URL", &e))?;
    tracing::info!(%url, "Fetching the finalized block for checkpoint sync");
    let bytes = api
        .get_ssz_bytes("/eth/v2/beacon/blocks/finalized")
        .await
        .map_err(|e| fail("the finalized block", &e))?;
    let block: SignedBeaconBlock<E> = decode("the checkpoint block", &bytes)?;
    let slot = block.message.slot;
    tracing::info!(slot, state_root = ?block.message.state_root, "Fetching the checkpoint state");
    let bytes = api
        .get_ssz_bytes(&format!("/eth/v2/debug/beacon/states/{slot}"))
        .await
        .map_err(|e| fail("the checkpoint state", &e))?;
    let state: BeaconState<E> = decode("the checkpoint state", &bytes)?;
    let state_root = state.tree_hash_root();
    if state_root != block.message.state_root {
        return Err(ClientError::Genesis(format!(
            "checkpoint sync from {url}: the state at slot {slot} has root {state_root:?}, not the finalized block's {:?}",
            block.message.state_root
        )));
    }
    tracing::info!(
        slot,
        block_root = ?block.message.tree_hash_root(),
        size_mb = bytes.len() / (1 << 20),
        "Checkpoint fetched"
    );
    Ok((block, state))
}

/// The node's peer-to-peer identity (its key kept under `<datadir>/network`), with the ENR
/// naming the chain's current fork.
fn node_identity<E: EthSpec>(
    chain: &BeaconChain<E>,
    datadir: &std::path::Path,
) -> Result<eth2_api_types::NetworkIdentity, ClientError> {
    let fields = network::EnrFields {
        ip: None,
        tcp: None,
        udp: None,
        fork_id: enr_fork_id(chain),
        attnets: [0; 8],
    };
    let identity = network::NodeIdentity::load_or_create(&datadir.join("network"), &fields)?;
    let enr = identity.enr.to_base64();
    tracing::info!(peer_id = %identity.peer_id, %enr, "Node identity");
    Ok(eth2_api_types::NetworkIdentity {
        peer_id: identity.peer_id.to_string(),
        enr,
        p2p_addresses: Vec::new(),
        discovery_addresses: Vec::new(),
        metadata: eth2_api_types::NodeMetadata {
            seq_number: identity.enr.seq(),
            attnets: "0x0000000000000000".into(),
        },
    })
}

/// The chain's fork, as the ENR's `eth2` field carries it.
fn enr_fork_id<E: EthSpec>(chain: &BeaconChain<E>) -> network::EnrForkId {
    let head = chain.head();
    network::EnrForkId::phase0(
        head.state.fork.current_version,
        head.state.genesis_validators_root,
    )
}

/// Start the libp2p service and the router in front of the chain.
async fn start_network<E: EthSpec>(
    chain: &Arc<BeaconChain<E>>,
    config: network::NetworkConfig,
    shutdown: watch::Receiver<bool>,
) -> Result<router::RouterHandle<E>, ClientError> {
    let facts = network::ChainFacts {
        fork_id: enr_fork_id(chain),
        seconds_per_slot: chain.spec.seconds_per_slot,
        slots_per_epoch: E::slots_per_epoch(),
    };
    let status_chain = chain.clone();
    let status: network::StatusProvider = Arc::new(move || router::status_message(&status_chain));
    let handles = network::NetworkService::<E>::start(config, facts, status, shutdown.clone())
        .await
        .map_err(ClientError::Network)?;
    Ok(router::spawn(chain.clone(), handles, shutdown))
}

/// The weak subjectivity check before trusting a checkpoint state (weak-subjectivity.md,
/// Weak Subjectivity Sync): the state is the operator's checkpoint, and recent enough.
fn check_weak_subjectivity<E: EthSpec>(
    clock: &dyn SlotClock,
    state: &BeaconState<E>,
    ws: &types::Checkpoint,
    spec: &ChainSpec,
) -> Result<(), ClientError> {
    use state_processing::weak_subjectivity::{
        compute_weak_subjectivity_period, is_within_weak_subjectivity_period,
    };
    // Before genesis the clock has no slot; no checkpoint can be stale then.
    let current_slot = clock.now().unwrap_or(0);
    let within = is_within_weak_subjectivity_period(current_slot, state, ws, spec)
        .map_err(|e| ClientError::Genesis(format!("--wss-checkpoint: {e}")))?;
    if !within {
        let period = compute_weak_subjectivity_period(state, spec).unwrap_or(0);
        return Err(ClientError::Genesis(format!(
            "the checkpoint state (epoch {}) is older than its weak subjectivity period ({period} epochs) allows at epoch {}: a chain started from it could be an attacker's; get a recent finalized checkpoint from a source you trust",
            ws.epoch,
            current_slot / E::slots_per_epoch()
        )));
    }
    tracing::info!(epoch = ws.epoch, root = ?ws.root, "Checkpoint state matches the weak subjectivity checkpoint");
    Ok(())
}

/// The genesis state from the deposit contract, unless the database already holds a chain
/// (then it is resumed as usual and nothing is waited for).
async fn eth1_genesis<E: EthSpec>(config: &ClientConfig) -> Result<GenesisSource, ClientError> {
    let db_path = config.datadir.join("chain_db");
    let spec = Arc::new(config.spec.clone());
    if db_path.exists() {
        let store = ChainStore::<E>::open(&db_path, config.store, spec.clone())?;
        if BeaconChain::<E>::exists_in_store(&Arc::new(store))? {
            return Ok(GenesisSource::Eth1);
        }
    }
    let eth1_config = config
        .eth1
        .as_ref()
        .ok_or_else(|| ClientError::Genesis("genesis from eth1 needs --eth1-endpoints".into()))?;
    let state = eth1::genesis::wait_for_genesis::<E>(eth1_config, &spec, None)
        .await
        .map_err(|e| ClientError::Genesis(format!("genesis from eth1: {e}")))?;
    tracing::info!(
        genesis_time = state.genesis_time,
        genesis_validators_root = ?state.genesis_validators_root,
        validators = state.validators.len(),
        "Genesis state computed from the deposit contract"
    );
    Ok(GenesisSource::State(ssz::Encode::as_ssz_bytes(&state)))
}

/// The eth1 follower as the chain's source of eth1 votes and deposits.
struct FollowerSource(Arc<eth1::Eth1Follower>);

impl<E: EthSpec> beacon_chain::Eth1Source<E> for FollowerSource {
    fn eth1_data_and_deposits(
        &self,
        state: &BeaconState<E>,
        spec: &ChainSpec,
    ) -> Result<(types::Eth1Data, Vec<types::Deposit>), String> {
        self.0
            .eth1_data_and_deposits(state, spec)
            .map_err(|e| e.to_string())
    }
}

/// A database is resumed only for the chain the node was asked to run.
fn check_same_chain(
    genesis: &GenesisSource,
    stored_time: u64,
    stored_gvr: types::Hash256,
) -> Result<(), String> {
    match genesis {
        GenesisSource::Interop { genesis_time, .. } if *genesis_time != stored_time => {
            Err(format!("genesis time {stored_time}, not {genesis_time}"))
        }
        GenesisSource::State(bytes) => {
            // A state's SSZ starts with genesis_time (8 bytes) and genesis_validators_root.
            let gvr = bytes.get(8..40).map(types::Hash256::from_slice);
            if gvr != Some(stored_gvr) {
                return Err(format!("genesis_validators_root {stored_gvr:?}"));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

impl<E: EthSpec> Client<E> {
    /// Start the node (inside a tokio runtime).
    pub async fn start(mut config: ClientConfig) -> Result<Self, ClientError> {
        if matches!(config.genesis, GenesisSource::Eth1) {
            config.genesis = eth1_genesis::<E>(&config).await?;
        }
        let config_for_chain = config.clone();
        let chain = tokio::task::spawn_blocking(move || build_chain::<E>(&config_for_chain))
            .await
            .map_err(|e| ClientError::Genesis(format!("start-up failed: {e}")))??;
        let chain = Arc::new(chain);
        chain.spawn_migrator().map_err(|e| {
            ClientError::Genesis(format!("could not start the migrator thread: {e}"))
        })?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let network = match config.network.clone() {
            Some(network_config) => Some(Arc::new(
                start_network(&chain, network_config, shutdown_rx.clone()).await?,
            )),
            None => None,
        };
        let mut tasks = vec![tokio::spawn(slot_timer(
            chain.clone(),
            network.clone(),
            shutdown_rx.clone(),
        ))];

        if let Some(eth1_config) = config.eth1.clone() {
            let store: Arc<dyn eth1::Eth1Store> = chain.store.clone();
            let follower = Arc::new(
                eth1::Eth1Follower::new::<E>(eth1_config, &chain.spec, Some(store))
                    .map_err(|e| ClientError::Eth1(e.to_string()))?,
            );
            chain.set_eth1_source(Arc::new(FollowerSource(follower.clone())));
            tasks.push(tokio::spawn(follower.run(shutdown_rx.clone())));
        }

        let identity = match &network {
            Some(_) => None,
            None => Some(node_identity(&chain, &config.datadir)?),
        };
        let mut http_address = None;
        if let Some(addr) = config.http_address {
            let ctx = Arc::new(Context {
                identity,
                network: network.clone(),
                chain: Some(chain.clone()),
                version: config.version.clone(),
                shutdown: http_api::ShutdownSignal::new(shutdown_rx.clone()),
            });
            let mut rx = shutdown_rx.clone();
            let (bound, server) = http_api::serve(ctx, addr, async move {
                let _ = rx.wait_for(|stop| *stop).await;
            })
            .map_err(|e| ClientError::Api(e.message))?;
            tracing::info!(address = %bound, "REST API listening");
            http_address = Some(bound);
            tasks.push(tokio::spawn(server));
        }
        let mut metrics_address = None;
        if let Some(addr) = config.metrics_address {
            let mut rx = shutdown_rx.clone();
            let (bound, server) = http_metrics::serve(chain.clone(), addr, async move {
                let _ = rx.wait_for(|stop| *stop).await;
            })
            .map_err(ClientError::Metrics)?;
            tracing::info!(address = %bound, "Metrics server listening");
            metrics_address = Some(bound);
            tasks.push(tokio::spawn(server));
        }
        tracing::info!(
            head_slot = chain.head_slot(),
            finalized_epoch = chain.finalized_checkpoint().epoch,
            "Beacon node started"
        );
        Ok(Client {
            chain,
            http_address,
            metrics_address,
            network,
            shutdown,
            tasks,
        })
    }

    /// Stop the timer and the API, write the operation pool and fork choice, flush the database.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        if let Some(network) = self.network {
            // The router ends with the network task (after its goodbyes).
            if let Ok(handle) = Arc::try_unwrap(network) {
                let _ = handle.task.await;
            }
        }
        let chain = self.chain.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Err(e) = chain.persist_op_pool() {
                tracing::error!(error = %e, "Could not write the operation pool at shutdown");
            }
            if let Err(e) = chain.persist_fork_choice() {
                tracing::error!(error = %e, "Could not write fork choice at shutdown");
            }
            if let Err(e) = chain.store.flush() {
                tracing::error!(error = %e, "Could not flush the database at shutdown");
            }
        })
        .await;
        tracing::info!("Beacon node stopped");
    }
}

/// At the start of every slot: tell fork choice, update the head, and log the chain's state
/// once per slot.
async fn slot_timer<E: EthSpec>(
    chain: Arc<BeaconChain<E>>,
    network: Option<Arc<router::RouterHandle<E>>>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let wait = chain
            .slot_clock
            .duration_to_next_slot()
            .unwrap_or(Duration::from_secs(1));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        let chain = chain.clone();
        let network = network.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Err(e) = chain
                .on_tick()
                .and_then(|_| chain.recompute_head().map(|_| ()))
            {
                tracing::warn!(error = %e, "Slot tick failed");
                return;
            }
            let slot = chain.current_slot().unwrap_or(0);
            if slot.is_multiple_of(E::slots_per_epoch()) {
                if let Err(e) = chain.persist_fork_choice() {
                    tracing::warn!(error = %e, "Could not write fork choice");
                }
                if let Err(e) = chain.persist_op_pool() {
                    tracing::warn!(error = %e, "Could not write the operation pool");
                }
            }
            let head = chain.head();
            let (peers, sync) = match &network {
                Some(n) => (
                    n.globals.connected_peers(),
                    if n.globals.is_syncing() {
                        "syncing"
                    } else {
                        "synced"
                    },
                ),
                None => (0, "alone"),
            };
            tracing::info!(
                slot,
                peers,
                head_slot = head.slot(),
                head_root = ?head.block_root,
                justified_epoch = chain.justified_checkpoint().epoch,
                finalized_epoch = chain.finalized_checkpoint().epoch,
                sync,
                "Slot"
            );
        })
        .await;
    }
}
