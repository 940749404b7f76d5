//! `fresnel vc`: the validator client. It talks to beacon nodes only through the standard REST
//! API, holds the keys (EIP-2335 keystores), and signs nothing that slashing protection has not
//! recorded first.
//!
//! Each slot: refresh node health and the proposers, propose if due (at the start of the slot;
//! the next epoch's attester duties are fetched in the background, never before a proposal),
//! attest when the slot's block arrives or at one third, aggregate at two thirds. A task follows
//! the node's event stream for head and reorg events.

mod attestation_service;
mod beacon_nodes;
mod block_service;
mod duties;
mod events;
mod keystores;
mod signer;

pub use beacon_nodes::{AllNodesFailed, BeaconNodes, NodeHealth};
pub use keystores::{load_validator_keys, KeystoreFailure, ValidatorKey};
pub use signer::{SignError, Signer};

use account_manager::ValidatorsDir;
use attestation_service::AttestationService;
use block_service::BlockService;
use duties::DutiesService;
use slashing_protection::SlashingDatabase;
use slot_clock::{SlotClock, SystemTimeSlotClock};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use types::{ChainSpec, EthSpec, Hash256};

/// The slashing protection database's file name, in the validators directory.
pub const SLASHING_PROTECTION_FILENAME: &str = "slashing_protection.sqlite";

/// What `fresnel vc` was told.
#[derive(Debug, Clone)]
pub struct Config {
    pub beacon_nodes: Vec<String>,
    pub validators_dir: PathBuf,
    pub secrets_dir: PathBuf,
    pub graffiti: Option<Hash256>,
    /// Create the slashing protection database if it is missing.
    pub init_slashing_protection: bool,
    /// Bound on each API call.
    pub request_timeout: Duration,
}

/// Why the client could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Nodes(#[from] AllNodesFailed),
    #[error("slashing protection: {0}")]
    SlashingProtection(String),
}

/// The chain's config as the beacon node has it (`/eth/v1/config/spec`), waiting for a node to
/// answer. The validator client takes its constants from the node it serves, so the two
/// cannot disagree.
pub async fn fetch_chain_spec(nodes: &BeaconNodes) -> Result<ChainSpec, StartError> {
    let values = wait_for(nodes, "fetch the chain config", |node| async move {
        node.get_config_spec().await
    })
    .await;
    let mut yaml = String::new();
    for (key, value) in values {
        let text = match value {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        yaml.push_str(&format!("{key}: {}\n", serde_json::Value::String(text)));
    }
    eth2_config::parse_config(&yaml, "the beacon node's /eth/v1/config/spec")
        .map(|loaded| loaded.spec)
        .map_err(|e| StartError::Config(e.to_string()))
}

/// Retry `call` on the nodes until one answers, logging while none does.
async fn wait_for<T, F, Fut>(nodes: &BeaconNodes, what: &'static str, call: F) -> T
where
    F: Fn(beacon_api_client::BeaconNodeHttpClient) -> Fut,
    Fut: Future<Output = Result<T, beacon_api_client::ApiClientError>>,
{
    let mut logged = false;
    loop {
        match nodes.first_success(what, &call).await {
            Ok(value) => return value,
            Err(e) => {
                if !logged {
                    tracing::warn!(error = %e, "waiting for a beacon node; retrying every 2 s");
                    logged = true;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
                nodes.refresh_health().await;
            }
        }
    }
}

/// Run the validator client until `shutdown` completes.
pub async fn run<E: EthSpec>(
    config: Config,
    nodes: Arc<BeaconNodes>,
    spec: ChainSpec,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartError> {
    // Keys first: a wrong password should be reported before anything else happens.
    let dirs = ValidatorsDir {
        validators: config.validators_dir.clone(),
        secrets: config.secrets_dir.clone(),
    };
    let (keys, failures) = tokio::task::spawn_blocking(move || load_validator_keys(&dirs))
        .await
        .map_err(|e| StartError::Config(e.to_string()))?
        .map_err(StartError::Config)?;
    for failure in &failures {
        tracing::error!(keystore = %failure.keystore.display(), reason = %failure.reason, "validator not started");
    }
    tracing::info!(
        validators = keys.len(),
        failed = failures.len(),
        "keystores loaded"
    );

    let genesis = wait_for(&nodes, "fetch genesis", |node| async move {
        node.get_beacon_genesis().await
    })
    .await;
    let fork = wait_for(&nodes, "fetch the fork", |node| async move {
        node.get_state_fork("head").await
    })
    .await;

    let db_path = config.validators_dir.join(SLASHING_PROTECTION_FILENAME);
    if !db_path.exists() && !config.init_slashing_protection && !keys.is_empty() {
        return Err(StartError::SlashingProtection(format!(
            "no database at {}. If these validators have never signed on this chain, or you \
             have their history to import, start once with --init-slashing-protection \
             (then `fresnel account slashing-protection import`)",
            db_path.display()
        )));
    }
    std::fs::create_dir_all(&config.validators_dir)
        .map_err(|e| StartError::Config(format!("{}: {e}", config.validators_dir.display())))?;
    let db = SlashingDatabase::open_or_create(&db_path, genesis.genesis_validators_root)
        .map_err(|e| StartError::SlashingProtection(e.to_string()))?;
    db.register_validators(keys.iter().map(|k| &k.pubkey))
        .map_err(|e| StartError::SlashingProtection(e.to_string()))?;
    let db = Arc::new(db);

    let clock = Arc::new(SystemTimeSlotClock::new(
        genesis.genesis_time,
        spec.seconds_per_slot,
    ));
    let signer = Arc::new(Signer::<E>::new(
        keys,
        db,
        fork,
        genesis.genesis_validators_root,
        spec,
    ));
    let duties = Arc::new(DutiesService::new(nodes.clone(), signer.clone()));
    let (head_tx, head_rx) = tokio::sync::watch::channel(0);
    let blocks = Arc::new(BlockService {
        nodes: nodes.clone(),
        signer: signer.clone(),
        duties: duties.clone(),
        graffiti: config.graffiti,
    });
    let attestations = Arc::new(AttestationService {
        nodes: nodes.clone(),
        signer: signer.clone(),
        duties: duties.clone(),
        clock: clock.clone(),
        head_slot: head_rx,
    });

    let events = tokio::spawn(events::follow_events(
        nodes.clone(),
        duties.clone(),
        head_tx,
    ));
    tracing::info!(
        validators = signer.len(),
        genesis_time = genesis.genesis_time,
        "validator client started"
    );
    let slots = slot_loop(clock, nodes, duties, blocks, attestations);
    tokio::select! {
        _ = shutdown => tracing::info!("shutting down"),
        _ = slots => {}
    }
    events.abort();
    Ok(())
}

/// Every slot: node health, the proposers, the slot's proposal, the current epoch's attester
/// duties if unknown, the slot's attestations, and the next epoch's duties in the background.
async fn slot_loop<E: EthSpec, C: SlotClock + 'static>(
    clock: Arc<C>,
    nodes: Arc<BeaconNodes>,
    duties: Arc<DutiesService<E>>,
    blocks: Arc<BlockService<E>>,
    attestations: Arc<AttestationService<E, C>>,
) {
    if clock.now().is_none() {
        let wait = clock
            .duration_to_next_slot()
            .unwrap_or(Duration::from_secs(1));
        tracing::info!(seconds = wait.as_secs(), "waiting for genesis");
    }
    // Duties of the coming slot before it starts.
    nodes.refresh_health().await;
    duties.poll(clock.now().unwrap_or(0)).await;
    loop {
        let wait = clock
            .duration_to_next_slot()
            .unwrap_or(Duration::from_secs(1));
        tokio::time::sleep(wait).await;
        let Some(slot) = clock.now() else {
            continue;
        };
        nodes.refresh_health().await;
        // The proposal first: nothing slow may come before it (see `duties`).
        duties.poll_proposers(slot).await;
        let blocks = blocks.clone();
        tokio::spawn(async move { blocks.propose(slot).await });
        duties.poll_current_attesters(slot).await;
        let attestations = attestations.clone();
        tokio::spawn(async move { attestations.attest_and_aggregate(slot).await });
        let next = duties.clone();
        tokio::spawn(async move { next.poll_next_attesters(slot).await });
    }
}
