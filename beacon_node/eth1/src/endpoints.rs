//! The configured eth1 endpoints, tried in order: each is checked once for the network's
//! chain id, network id and deposit contract before anything it says is used.

use crate::Eth1Config;
use eth1_rpc::{BlockTag, Eth1Client, RpcError};
use std::sync::Mutex;

/// Why an endpoint was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error(transparent)]
    Rpc(#[from] RpcError),
    #[error("eth1 endpoint {endpoint} is on chain id {found}, the network's DEPOSIT_CHAIN_ID is {expected}: point --eth1-endpoints at the network's eth1 chain")]
    WrongChain {
        endpoint: String,
        found: u64,
        expected: u64,
    },
    #[error("eth1 endpoint {endpoint} is on network id {found}, the network's DEPOSIT_NETWORK_ID is {expected}")]
    WrongNetwork {
        endpoint: String,
        found: u64,
        expected: u64,
    },
    #[error("eth1 endpoint {endpoint} has no contract at the deposit contract address {address}: wrong chain, or the contract is not deployed yet")]
    NoContract { endpoint: String, address: String },
    #[error("eth1 endpoint {endpoint}: {reason}")]
    BadAnswer { endpoint: String, reason: String },
}

/// The endpoints in order of preference.
pub struct Endpoints {
    clients: Vec<Eth1Client>,
    /// Which endpoints passed their checks.
    checked: Mutex<Vec<bool>>,
    config: Eth1Config,
}

impl Endpoints {
    /// Clients for every configured endpoint.
    pub fn new(config: &Eth1Config) -> Result<Self, EndpointError> {
        let clients = config
            .endpoints
            .iter()
            .map(|url| Eth1Client::new(url, config.request_timeout))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Endpoints {
            checked: Mutex::new(vec![false; clients.len()]),
            clients,
            config: config.clone(),
        })
    }

    /// The endpoints' URLs.
    pub fn urls(&self) -> Vec<&str> {
        self.clients.iter().map(|c| c.url()).collect()
    }

    /// Checks endpoint `index` once: chain id, network id, contract code.
    async fn check(&self, index: usize) -> Result<(), EndpointError> {
        let done = self
            .checked
            .lock()
            .map(|c| c.get(index).copied().unwrap_or(false))
            .unwrap_or(false);
        if done {
            return Ok(());
        }
        let client = &self.clients[index];
        let endpoint = client.url().to_string();
        let chain_id = client.chain_id().await?;
        if chain_id != self.config.chain_id {
            return Err(EndpointError::WrongChain {
                endpoint,
                found: chain_id,
                expected: self.config.chain_id,
            });
        }
        let network_id = client.network_id().await?;
        if network_id != self.config.network_id {
            return Err(EndpointError::WrongNetwork {
                endpoint,
                found: network_id,
                expected: self.config.network_id,
            });
        }
        let code = client
            .code(self.config.deposit_contract, BlockTag::Latest)
            .await?;
        if code.is_empty() {
            return Err(EndpointError::NoContract {
                endpoint,
                address: format!("{}", self.config.deposit_contract),
            });
        }
        if let Ok(mut checked) = self.checked.lock() {
            if let Some(c) = checked.get_mut(index) {
                *c = true;
            }
        }
        tracing::info!(endpoint = %client.url(), chain_id, "Eth1 endpoint checked");
        Ok(())
    }

    /// Runs `job` on the first endpoint that passes its checks and completes it; the errors of
    /// those that failed are logged with what to do. All failing: every error, in order.
    pub async fn first_success<'a, T, F, Fut>(&'a self, job: F) -> Result<T, Vec<EndpointError>>
    where
        F: Fn(&'a Eth1Client) -> Fut,
        Fut: std::future::Future<Output = Result<T, EndpointError>> + 'a,
    {
        let mut errors = Vec::new();
        for (index, client) in self.clients.iter().enumerate() {
            let outcome = match self.check(index).await {
                Ok(()) => job(client).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(value) => return Ok(value),
                Err(e) => {
                    if index + 1 < self.clients.len() {
                        tracing::warn!(error = %e, "Eth1 endpoint failed; trying the next one");
                    }
                    crate::metrics::ENDPOINT_ERRORS.inc();
                    errors.push(e);
                }
            }
        }
        Err(errors)
    }
}
