//! The beacon node's view of eth1 (validator.md v1.0.1 "Eth1 data", beacon-chain.md
//! "Genesis"): a follower that keeps every deposit the contract logged and the recent eth1
//! blocks, ETH1_FOLLOW_DISTANCE behind the eth1 head (so eth1 reorgs shallower than that
//! never reach it), in the database with the chain; the eth1 vote and the deposits a block
//! proposal carries; and genesis found from the deposit contract.

mod block_cache;
mod deposit_cache;
mod endpoints;
mod follower;
pub mod genesis;
mod logs;
mod metrics;
mod persist;
pub mod voting;

pub use block_cache::{BlockCache, BlockCacheError, Eth1Block};
pub use deposit_cache::{DepositCache, DepositCacheError};
pub use endpoints::{EndpointError, Endpoints};
pub use follower::{Eth1Error, Eth1Follower};
pub use logs::deposit_logs;
pub use persist::{Eth1Store, StoredEth1};

use eth1_rpc::Address;
use std::time::Duration;
use types::ChainSpec;

/// Where and how to follow eth1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eth1Config {
    /// JSON-RPC endpoints, tried in order (the first that answers is used).
    pub endpoints: Vec<String>,
    pub deposit_contract: Address,
    /// The block the contract was deployed in: logs are read from there.
    pub deploy_block: u64,
    /// `DEPOSIT_CHAIN_ID` and `DEPOSIT_NETWORK_ID`: an endpoint on another chain is refused.
    pub chain_id: u64,
    pub network_id: u64,
    /// `ETH1_FOLLOW_DISTANCE` (blocks).
    pub follow_distance: u64,
    /// How many blocks one `eth_getLogs` covers.
    pub log_query_blocks: u64,
    /// Each request's timeout.
    pub request_timeout: Duration,
    /// Between updates while all is well.
    pub poll_interval: Duration,
}

impl Eth1Config {
    /// The configuration of a network's spec, for `endpoints`.
    pub fn new(endpoints: Vec<String>, deploy_block: u64, spec: &ChainSpec) -> Self {
        Eth1Config {
            endpoints,
            deposit_contract: Address::from(spec.deposit_contract_address),
            deploy_block,
            chain_id: spec.deposit_chain_id,
            network_id: spec.deposit_network_id,
            follow_distance: spec.eth1_follow_distance,
            log_query_blocks: 1000,
            request_timeout: Duration::from_secs(20),
            // A new eth1 block is expected every SECONDS_PER_ETH1_BLOCK; polling faster finds
            // nothing new, polling much slower delays votes (bounded to 1..=14 s).
            poll_interval: Duration::from_secs(spec.seconds_per_eth1_block.clamp(1, 14)),
        }
    }
}
