//! The eth1 follower: every SECONDS_PER_ETH1_BLOCK it reads the deposit logs and blocks that
//! have become ETH1_FOLLOW_DISTANCE deep, checks them, stores them and only then adds them to
//! its caches; block proposals read the caches for their eth1 vote and deposits.

use crate::block_cache::{BlockCache, BlockCacheError, Eth1Block};
use crate::deposit_cache::{DepositCache, DepositCacheError};
use crate::endpoints::{EndpointError, Endpoints};
use crate::persist::Eth1Store;
use crate::voting::{eth1_data_after_vote, expected_deposit_range, get_eth1_vote};
use crate::{metrics, Eth1Config};
use deposit_contract::DepositLog;
use eth1_rpc::{BlockTag, Eth1Client};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::watch;
use types::{BeaconState, ChainSpec, Deposit, Eth1Data, EthSpec};

/// Why the follower could not do something.
#[derive(Debug, thiserror::Error)]
pub enum Eth1Error {
    #[error("{}", join_errors(.0))]
    Endpoints(Vec<EndpointError>),
    #[error("deposits: {0}")]
    Deposits(#[from] DepositCacheError),
    #[error("the state expects deposits {start}..{end}, the eth1 follower holds {held}: it is behind the eth1 chain (check --eth1-endpoints)")]
    MissingDeposits { start: u64, end: u64, held: u64 },
    #[error("database: {0}")]
    Store(String),
    #[error("the follower's lock is poisoned")]
    Poisoned,
}

fn join_errors(errors: &[EndpointError]) -> String {
    if errors.is_empty() {
        return "no eth1 endpoint is configured (--eth1-endpoints)".into();
    }
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The caches, changed only by [`Eth1Follower::update`].
#[derive(Default)]
struct Caches {
    deposits: DepositCache,
    blocks: BlockCache,
    /// The last eth1 block whose deposit logs are all held.
    last_processed_block: Option<u64>,
}

/// What one update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpdateOutcome {
    pub new_deposits: u64,
    pub new_blocks: u64,
    pub eth1_head: u64,
    /// The newest block processed; `None` while the chain is shorter than the follow distance.
    pub processed_to: Option<u64>,
    /// True when processed up to the eth1 head minus the follow distance.
    pub caught_up: bool,
}

/// Everything one endpoint answered in an update, checked, not yet applied.
struct Fetched {
    logs: Vec<DepositLog>,
    blocks: Vec<Eth1Block>,
    /// The block cache was not contiguous with the new blocks and starts afresh.
    reset_blocks: bool,
    to: u64,
    head: u64,
    caught_up: bool,
}

/// The beacon node's eth1 follower (share it in an `Arc`).
pub struct Eth1Follower {
    config: Eth1Config,
    endpoints: Endpoints,
    caches: RwLock<Caches>,
    store: Option<Arc<dyn Eth1Store>>,
    block_cache_capacity: usize,
    /// Blocks covered by one update at most (so a long history is stored in steps).
    blocks_per_update: u64,
}

impl Eth1Follower {
    /// A follower of `config`'s endpoints for a chain of `spec`, resumed from `store` when it
    /// holds caches (a store that cannot be read is reported and the follower starts afresh).
    pub fn new<E: EthSpec>(
        config: Eth1Config,
        spec: &ChainSpec,
        store: Option<Arc<dyn Eth1Store>>,
    ) -> Result<Self, Eth1Error> {
        let endpoints = Endpoints::new(&config).map_err(|e| Eth1Error::Endpoints(vec![e]))?;
        // Votes look at blocks up to 2 * ETH1_FOLLOW_DISTANCE * SECONDS_PER_ETH1_BLOCK before
        // a voting period that began up to a period ago. Blocks may come faster than
        // SECONDS_PER_ETH1_BLOCK, so keep twice that many, and some slack.
        let period_seconds =
            E::slots_per_eth1_voting_period().saturating_mul(spec.seconds_per_slot);
        let period_blocks = period_seconds / spec.seconds_per_eth1_block.max(1);
        let capacity = config
            .follow_distance
            .saturating_mul(4)
            .saturating_add(period_blocks.saturating_mul(2))
            .saturating_add(128);
        let follower = Eth1Follower {
            blocks_per_update: config.log_query_blocks.saturating_mul(20).max(1),
            block_cache_capacity: usize::try_from(capacity).unwrap_or(usize::MAX),
            config,
            endpoints,
            caches: RwLock::new(Caches::default()),
            store,
        };
        follower.resume();
        Ok(follower)
    }

    /// Loads the stored caches; on any inconsistency starts from the deploy block instead
    /// (the caches are rebuilt from eth1, nothing is lost).
    fn resume(&self) {
        let Some(store) = &self.store else { return };
        let stored = match store.load_eth1() {
            Ok(stored) => stored,
            Err(e) => {
                tracing::warn!(error = %e, "The stored eth1 caches cannot be read; following eth1 again from the deploy block");
                return;
            }
        };
        let Some(last_processed_block) = stored.last_processed_block else {
            return;
        };
        let mut caches = Caches::default();
        for log in stored.deposits {
            if let Err(e) = caches.deposits.insert(log) {
                tracing::warn!(error = %e, "The stored deposits are inconsistent; following eth1 again from the deploy block");
                return;
            }
        }
        match BlockCache::from_blocks(stored.blocks) {
            Ok(blocks) => caches.blocks = blocks,
            Err(e) => {
                tracing::warn!(error = %e, "The stored eth1 blocks are inconsistent; refetching them")
            }
        }
        caches.last_processed_block = Some(last_processed_block);
        tracing::info!(
            deposits = caches.deposits.len(),
            blocks = caches.blocks.len(),
            last_processed_block,
            "Eth1 caches resumed from the database"
        );
        self.set_metrics(&caches);
        if let Ok(mut held) = self.caches.write() {
            *held = caches;
        }
    }

    fn set_metrics(&self, caches: &Caches) {
        metrics::DEPOSITS.set(caches.deposits.len() as i64);
        metrics::BLOCKS.set(caches.blocks.len() as i64);
        if let Some(latest) = caches.last_processed_block {
            metrics::LATEST_BLOCK.set(latest as i64);
        }
    }

    /// Number of deposits held.
    pub fn deposit_count(&self) -> u64 {
        self.caches.read().map(|c| c.deposits.len()).unwrap_or(0)
    }

    /// The newest block in the block cache.
    pub fn latest_block(&self) -> Option<Eth1Block> {
        self.caches.read().ok()?.blocks.latest().copied()
    }

    /// The last eth1 block whose logs are all held.
    pub fn last_processed_block(&self) -> Option<u64> {
        self.caches.read().ok()?.last_processed_block
    }

    /// One update: from the first endpoint that answers, the logs and blocks that became
    /// ETH1_FOLLOW_DISTANCE deep since the last update (up to `blocks_per_update` blocks),
    /// checked, stored, then cached.
    pub async fn update(&self) -> Result<UpdateOutcome, Eth1Error> {
        let fetched = self
            .endpoints
            .first_success(|client| self.fetch(client))
            .await
            .map_err(Eth1Error::Endpoints)?;
        let Some(fetched) = fetched else {
            return Ok(UpdateOutcome {
                processed_to: self.last_processed_block(),
                caught_up: true,
                ..Default::default()
            });
        };
        self.apply(fetched)
    }

    /// Reads what is new from one endpoint; None when nothing is.
    async fn fetch(&self, client: &Eth1Client) -> Result<Option<Fetched>, EndpointError> {
        let bad = |reason: String| EndpointError::BadAnswer {
            endpoint: client.url().to_string(),
            reason,
        };
        let head = client.block_number().await?;
        let target = head.saturating_sub(self.config.follow_distance);
        let (from, held, latest_cached) = {
            let caches = self
                .caches
                .read()
                .map_err(|_| bad("lock poisoned".into()))?;
            (
                caches
                    .last_processed_block
                    .map_or(self.config.deploy_block, |b| b + 1),
                caches.deposits.len(),
                caches.blocks.latest().copied(),
            )
        };
        if head < self.config.follow_distance || target < from {
            return Ok(None);
        }
        let to = target.min(from.saturating_add(self.blocks_per_update - 1));

        let logs = crate::logs::deposit_logs(client, &self.config, from, to, held).await?;

        // The block cache covers the newest `block_cache_capacity` blocks up to the target:
        // while catching up on older blocks, only logs are read (no headers).
        let capacity = self.block_cache_capacity as u64;
        let first_block = from.max(target.saturating_sub(capacity.saturating_sub(1)));
        let reset_blocks =
            first_block <= to && latest_cached.is_some_and(|b| b.number + 1 != first_block);
        let mut headers = Vec::with_capacity(to.saturating_sub(first_block) as usize + 1);
        for number in first_block..=to {
            let header = client
                .block_by_number(BlockTag::Number(number))
                .await?
                .ok_or_else(|| bad(format!("block {number} is missing (head {head})")))?;
            headers.push(header);
        }
        // The deposit count and root after each block: logs of earlier blocks first.
        let blocks = {
            let caches = self
                .caches
                .read()
                .map_err(|_| bad("lock poisoned".into()))?;
            let after = caches
                .deposits
                .counts_and_roots_with(&logs)
                .map_err(|e| bad(e.to_string()))?;
            let mut count = caches.deposits.len();
            let mut root = caches.deposits.root();
            let mut next_log = 0;
            let mut blocks = Vec::with_capacity(headers.len());
            for header in headers {
                while next_log < logs.len() && logs[next_log].block_number <= header.number {
                    (count, root) = after[next_log];
                    next_log += 1;
                }
                blocks.push(Eth1Block {
                    number: header.number,
                    hash: header.hash,
                    timestamp: header.timestamp,
                    deposit_root: root,
                    deposit_count: count,
                });
            }
            blocks
        };
        Ok(Some(Fetched {
            logs,
            blocks,
            reset_blocks,
            to,
            head,
            caught_up: to == target,
        }))
    }

    /// Stores what was fetched, then adds it to the caches.
    fn apply(&self, fetched: Fetched) -> Result<UpdateOutcome, Eth1Error> {
        let mut blocks = if fetched.reset_blocks {
            BlockCache::default()
        } else {
            self.caches
                .read()
                .map_err(|_| Eth1Error::Poisoned)?
                .blocks
                .clone()
        };
        for block in &fetched.blocks {
            blocks
                .push(*block, self.block_cache_capacity)
                .map_err(|e: BlockCacheError| {
                    Eth1Error::Endpoints(vec![EndpointError::BadAnswer {
                        endpoint: "(blocks)".into(),
                        reason: e.to_string(),
                    }])
                })?;
        }
        if let Some(store) = &self.store {
            store
                .save_eth1(&fetched.logs, &blocks.to_vec(), fetched.to)
                .map_err(Eth1Error::Store)?;
        }
        let mut caches = self.caches.write().map_err(|_| Eth1Error::Poisoned)?;
        let new_deposits = fetched.logs.len() as u64;
        for log in fetched.logs {
            caches.deposits.insert(log)?;
        }
        caches.blocks = blocks;
        caches.last_processed_block = Some(fetched.to);
        self.set_metrics(&caches);
        Ok(UpdateOutcome {
            new_deposits,
            new_blocks: fetched.blocks.len() as u64,
            eth1_head: fetched.head,
            processed_to: Some(fetched.to),
            caught_up: fetched.caught_up,
        })
    }

    /// Runs updates until `shutdown`: every poll interval while all is well, at once while
    /// catching up, backing off (up to a minute) while no endpoint answers.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut delay = self.config.poll_interval;
        let mut failures = 0u32;
        loop {
            match self.update().await {
                Ok(outcome) => {
                    if failures > 0 {
                        tracing::info!("Eth1 endpoint answering again");
                    }
                    failures = 0;
                    delay = self.config.poll_interval;
                    if outcome.new_deposits > 0 || !outcome.caught_up {
                        tracing::info!(
                            deposits = self.deposit_count(),
                            new_deposits = outcome.new_deposits,
                            processed_to = outcome.processed_to,
                            eth1_head = outcome.eth1_head,
                            "Eth1 follower updated"
                        );
                    }
                    if !outcome.caught_up {
                        delay = Duration::ZERO;
                    }
                }
                Err(e) => {
                    failures += 1;
                    tracing::error!(
                        error = %e,
                        retry_in_secs = delay.as_secs(),
                        "Eth1 follower cannot update: blocks keep voting the state's eth1 data and new deposits wait. Check that the eth1 node is running, synced and reachable at --eth1-endpoints"
                    );
                    delay = (delay * 2).clamp(self.config.poll_interval, Duration::from_secs(60));
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// The eth1 vote of a block on `state` (validator.md `get_eth1_vote`) and the deposits it
    /// must include once that vote is counted (up to MAX_DEPOSITS, with proofs against the
    /// eth1 data then in effect).
    pub fn eth1_data_and_deposits<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
        spec: &ChainSpec,
    ) -> Result<(Eth1Data, Vec<Deposit>), Eth1Error> {
        let caches = self.caches.read().map_err(|_| Eth1Error::Poisoned)?;
        let vote = get_eth1_vote(state, caches.blocks.iter(), spec);
        let in_effect = eth1_data_after_vote(state, vote);
        let (start, end) = expected_deposit_range(state, &in_effect, spec);
        if start == end {
            return Ok((vote, Vec::new()));
        }
        if caches.deposits.len() < in_effect.deposit_count {
            return Err(Eth1Error::MissingDeposits {
                start,
                end,
                held: caches.deposits.len(),
            });
        }
        let deposits = caches.deposits.deposits(
            start,
            end,
            in_effect.deposit_count,
            in_effect.deposit_root,
        )?;
        Ok((vote, deposits))
    }
}
