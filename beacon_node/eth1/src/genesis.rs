//! Genesis from the deposit contract (beacon-chain.md v1.0.1, "Genesis"): the first eth1
//! block, at least SECONDS_PER_ETH1_BLOCK * ETH1_FOLLOW_DISTANCE seconds old, whose
//! `initialize_beacon_state_from_eth1` over the deposits up to and including it passes
//! `is_valid_genesis_state`.
//!
//! Both conditions only become true as the chain grows (time moves forward, validators only
//! join), so that block is the later of two: the first block with
//! `timestamp + GENESIS_DELAY >= MIN_GENESIS_TIME` (found by bisection) and the block of the
//! deposit that brings the active validators to MIN_GENESIS_ACTIVE_VALIDATOR_COUNT (found by
//! replaying each deposit's effect on balances, signatures checked in batches). The state is
//! then built once.

use crate::endpoints::{EndpointError, Endpoints};
use crate::Eth1Config;
use deposit_contract::DepositLog;
use eth1_rpc::{BlockHeader, BlockTag, Eth1Client};
use state_processing::genesis::{
    deposits_with_proofs, initialize_beacon_state_from_eth1, is_valid_genesis_state,
    verify_deposit_data_signatures,
};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use types::{BeaconState, ChainSpec, DepositData, EthSpec, PublicKeyBytes};

/// Why no genesis state was made.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Endpoints(Vec<EndpointError>),
    #[error("building the genesis state: {0}")]
    State(String),
    #[error("stopped while waiting for genesis")]
    Stopped,
}

/// The validators that genesis would activate, deposit by deposit.
#[derive(Default)]
struct ActiveCount {
    /// Balance of each validator created so far.
    balances: HashMap<PublicKeyBytes, u64>,
    active: u64,
    /// The eth1 block of the deposit that reached the minimum, once one has.
    minimum_reached_at: Option<u64>,
}

impl ActiveCount {
    /// Applies deposits in order as genesis would: a new pubkey joins only with a valid proof
    /// of possession; a known one is topped up; a validator is active at genesis once its
    /// balance reaches MAX_EFFECTIVE_BALANCE.
    fn apply(&mut self, logs: &[DepositLog], valid: &[bool], spec: &ChainSpec) {
        for (log, valid) in logs.iter().zip(valid) {
            let DepositData { pubkey, amount, .. } = &log.data;
            let was_active;
            let balance = match self.balances.get_mut(pubkey) {
                Some(balance) => {
                    was_active = *balance >= spec.max_effective_balance;
                    balance
                }
                None if *valid => {
                    was_active = false;
                    self.balances.entry(*pubkey).or_insert(0)
                }
                None => continue,
            };
            *balance = balance.saturating_add(*amount);
            if !was_active && *balance >= spec.max_effective_balance {
                self.active += 1;
                if self.active >= spec.min_genesis_active_validator_count
                    && self.minimum_reached_at.is_none()
                {
                    self.minimum_reached_at = Some(log.block_number);
                }
            }
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Waits for genesis on `config`'s endpoints and returns the genesis state, logging progress
/// (deposits seen, validators that genesis would activate, the expected genesis time).
pub async fn wait_for_genesis<E: EthSpec>(
    config: &Eth1Config,
    spec: &ChainSpec,
    mut shutdown: Option<watch::Receiver<bool>>,
) -> Result<BeaconState<E>, GenesisError> {
    let endpoints = Endpoints::new(config).map_err(|e| GenesisError::Endpoints(vec![e]))?;
    let mut logs: Vec<DepositLog> = Vec::new();
    let mut next_block = config.deploy_block;
    let mut active = ActiveCount::default();
    if spec.min_genesis_active_validator_count == 0 {
        active.minimum_reached_at = Some(0);
    }
    let mut last_report = String::new();
    let mut delay = config.poll_interval;
    tracing::info!(
        deposit_contract = %config.deposit_contract,
        deploy_block = config.deploy_block,
        min_validators = spec.min_genesis_active_validator_count,
        min_genesis_time = spec.min_genesis_time,
        "Waiting for genesis: following the deposit contract"
    );
    loop {
        let step = endpoints
            .first_success(|client| poll(client, config, next_block, logs.len() as u64))
            .await;
        match step {
            Ok(polled) => {
                delay = config.poll_interval;
                let valid = check_signatures(&polled.logs, spec).await?;
                active.apply(&polled.logs, &valid, spec);
                logs.extend(polled.logs);
                next_block = polled.head + 1;

                let candidate = match active.minimum_reached_at {
                    Some(at) => endpoints
                        .first_success(|client| genesis_candidate(client, spec, at, polled.head))
                        .await
                        .map_err(GenesisError::Endpoints)?,
                    None => None,
                };
                let report = format!(
                    "{} {} {:?}",
                    logs.len(),
                    active.active,
                    candidate.map(|c| c.number)
                );
                if report != last_report {
                    last_report = report;
                    tracing::info!(
                        deposits = logs.len(),
                        active_validators = active.active,
                        needed = spec.min_genesis_active_validator_count,
                        eth1_head = polled.head,
                        genesis_block = candidate.map(|c| c.number),
                        expected_genesis_time =
                            candidate.map(|c| c.timestamp.saturating_add(spec.genesis_delay)),
                        "Waiting for genesis"
                    );
                }
                if let Some(block) = candidate {
                    let age_needed = spec
                        .seconds_per_eth1_block
                        .saturating_mul(spec.eth1_follow_distance);
                    if block.timestamp.saturating_add(age_needed) <= now() {
                        return build_genesis::<E>(block, &logs, spec).await;
                    }
                }
            }
            Err(errors) => {
                let e = GenesisError::Endpoints(errors);
                tracing::error!(error = %e, retry_in_secs = delay.as_secs(), "Cannot follow the deposit contract for genesis: check that the eth1 node is running and reachable at the eth1 endpoint");
                delay = (delay * 2).clamp(config.poll_interval, Duration::from_secs(60));
            }
        }
        let stop = async {
            match shutdown.as_mut() {
                Some(rx) => {
                    let _ = rx.wait_for(|s| *s).await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop => return Err(GenesisError::Stopped),
        }
    }
}

/// Each deposit's proof of possession, checked in batches on the blocking pool.
async fn check_signatures(
    logs: &[DepositLog],
    spec: &ChainSpec,
) -> Result<Vec<bool>, GenesisError> {
    let datas: Vec<DepositData> = logs.iter().map(|l| l.data.clone()).collect();
    let spec = spec.clone();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&DepositData> = datas.iter().collect();
        verify_deposit_data_signatures(&refs, &spec)
    })
    .await
    .map_err(|e| GenesisError::State(format!("checking deposit signatures: {e}")))
}

/// The new deposit logs up to the eth1 head.
struct Polled {
    logs: Vec<DepositLog>,
    head: u64,
}

async fn poll(
    client: &Eth1Client,
    config: &Eth1Config,
    from: u64,
    held: u64,
) -> Result<Polled, EndpointError> {
    let head = client.block_number().await?;
    let logs = if head < from {
        Vec::new()
    } else {
        crate::logs::deposit_logs(client, config, from, head, held).await?
    };
    Ok(Polled {
        logs,
        head: head.max(from.saturating_sub(1)),
    })
}

/// The first block at or after `from` (the block that brought enough validators) whose
/// timestamp makes a genesis time of at least MIN_GENESIS_TIME; None if the chain up to
/// `head` has none yet.
async fn genesis_candidate(
    client: &Eth1Client,
    spec: &ChainSpec,
    from: u64,
    head: u64,
) -> Result<Option<BlockHeader>, EndpointError> {
    let earliest = spec.min_genesis_time.saturating_sub(spec.genesis_delay);
    let get = |n: u64| async move {
        client
            .block_by_number(BlockTag::Number(n))
            .await?
            .ok_or_else(|| EndpointError::BadAnswer {
                endpoint: client.url().to_string(),
                reason: format!("block {n} is missing (head {head})"),
            })
    };
    let first = get(from).await?;
    if first.timestamp >= earliest {
        return Ok(Some(first));
    }
    let last = get(head).await?;
    if last.timestamp < earliest {
        return Ok(None);
    }
    // Invariant: block `low` is too early, block `high` is late enough.
    let (mut low, mut high, mut found) = (from, head, last);
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        let block = get(mid).await?;
        if block.timestamp >= earliest {
            high = mid;
            found = block;
        } else {
            low = mid;
        }
    }
    Ok(Some(found))
}

/// `initialize_beacon_state_from_eth1` over the deposits up to and including `block`.
async fn build_genesis<E: EthSpec>(
    block: BlockHeader,
    logs: &[DepositLog],
    spec: &ChainSpec,
) -> Result<BeaconState<E>, GenesisError> {
    let datas: Vec<DepositData> = logs
        .iter()
        .take_while(|l| l.block_number <= block.number)
        .map(|l| l.data.clone())
        .collect();
    tracing::info!(
        eth1_block = block.number,
        eth1_block_hash = ?block.hash,
        deposits = datas.len(),
        genesis_time = block.timestamp.saturating_add(spec.genesis_delay),
        "Genesis eth1 block found; building the genesis state"
    );
    let spec = spec.clone();
    let state = tokio::task::spawn_blocking(move || -> Result<BeaconState<E>, String> {
        let deposits = deposits_with_proofs(datas).map_err(|e| e.to_string())?;
        let state =
            initialize_beacon_state_from_eth1::<E>(block.hash, block.timestamp, &deposits, &spec)
                .map_err(|e| e.to_string())?;
        if !is_valid_genesis_state(&state, &spec) {
            return Err(
                "the state built from the genesis block is not a valid genesis state".into(),
            );
        }
        Ok(state)
    })
    .await
    .map_err(|e| GenesisError::State(e.to_string()))?
    .map_err(GenesisError::State)?;
    Ok(state)
}
