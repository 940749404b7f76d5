//! Several beacon nodes, one answer: calls go to the first node that is up and synced, and
//! fail over to the next when it errs. Node health is refreshed once a slot (and whenever
//! every node has failed), so a node that comes back is used again.

use beacon_api_client::{ApiClientError, BeaconNodeHttpClient};
use futures_util::future::join_all;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

/// What the last health check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeHealth {
    /// Up, and not syncing: first choice.
    Synced,
    /// Up but catching up: its head is old, so only a fallback.
    Syncing,
    /// Not reachable or erring at the last check: tried last.
    Offline,
}

/// Every node failed; each error, in the order tried.
#[derive(Debug, thiserror::Error)]
#[error("every beacon node failed to {what}: {}", .errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
pub struct AllNodesFailed {
    pub what: &'static str,
    pub errors: Vec<ApiClientError>,
}

/// The configured beacon nodes, in the operator's order of preference.
pub struct BeaconNodes {
    nodes: Vec<BeaconNodeHttpClient>,
    health: Mutex<Vec<NodeHealth>>,
}

impl BeaconNodes {
    /// Clients for `urls`; each call is bounded by `timeout`.
    pub fn new(urls: &[String], timeout: Duration) -> Result<Self, ApiClientError> {
        let nodes = urls
            .iter()
            .map(|url| BeaconNodeHttpClient::new(url, timeout))
            .collect::<Result<Vec<_>, _>>()?;
        let health = Mutex::new(vec![NodeHealth::Synced; nodes.len()]);
        Ok(BeaconNodes { nodes, health })
    }

    /// How many nodes are configured.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Check every node's `/eth/v1/node/syncing` at once and record what was found.
    pub async fn refresh_health(&self) -> Vec<NodeHealth> {
        let checks = self.nodes.iter().map(|node| async move {
            match node.get_node_syncing().await {
                Ok(status) if !status.is_syncing => NodeHealth::Synced,
                Ok(_) => NodeHealth::Syncing,
                Err(e) => {
                    tracing::debug!(node = %node, error = %e, "beacon node health check failed");
                    NodeHealth::Offline
                }
            }
        });
        let found = join_all(checks).await;
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        for (i, (old, new)) in health.iter().zip(&found).enumerate() {
            if old != new {
                tracing::info!(node = %self.nodes[i], from = ?old, to = ?new, "beacon node health changed");
            }
        }
        *health = found.clone();
        found
    }

    /// Node indices in the order to try: synced, then syncing, then offline; ties keep the
    /// operator's order.
    fn order(&self) -> Vec<usize> {
        let health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        order.sort_by_key(|&i| (health.get(i).copied().unwrap_or(NodeHealth::Offline), i));
        order
    }

    /// Demote a node after `error`: a 503 (the node says it is syncing or not ready, as
    /// Lodestar does for duties while it syncs) to syncing, anything else to offline.
    fn demote(&self, index: usize, error: &ApiClientError) {
        let to = if error.status() == Some(503) {
            NodeHealth::Syncing
        } else {
            NodeHealth::Offline
        };
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = health.get_mut(index) {
            if *h < to {
                match to {
                    NodeHealth::Syncing => tracing::warn!(
                        node = %self.nodes[index],
                        "beacon node is not ready (503: syncing?), trying the next"
                    ),
                    _ => tracing::warn!(
                        node = %self.nodes[index],
                        error = %error,
                        "beacon node unreachable or failing, trying the next"
                    ),
                }
            }
            *h = (*h).max(to);
        }
    }

    /// Run `call` on each node in turn until one succeeds. A node that could not be reached
    /// is marked offline. Errors the node answered with (a 4xx) are not the node's fault and
    /// would repeat on the others only for bad requests; they still move on to the next node,
    /// because another node may know a block this one does not.
    pub async fn first_success<T, F, Fut>(
        &self,
        what: &'static str,
        call: F,
    ) -> Result<T, AllNodesFailed>
    where
        F: Fn(BeaconNodeHttpClient) -> Fut,
        Fut: Future<Output = Result<T, ApiClientError>>,
    {
        let mut errors = Vec::new();
        for index in self.order() {
            let node = self.nodes[index].clone();
            match call(node).await {
                Ok(value) => return Ok(value),
                Err(e) => {
                    if matches!(e, ApiClientError::Transport { .. })
                        || e.status().is_some_and(|s| s >= 500)
                    {
                        self.demote(index, &e);
                    }
                    errors.push(e);
                }
            }
        }
        Err(AllNodesFailed { what, errors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A node that answers every request with the same version document, on a thread.
    fn version_server() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let body = r#"{"data":{"version":"Test/v1"}}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        url
    }

    /// An address nothing listens on.
    fn dead_url() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    }

    #[tokio::test]
    async fn a_dead_first_node_fails_over_and_is_tried_last_afterwards() {
        let urls = vec![dead_url(), version_server()];
        let nodes = BeaconNodes::new(&urls, Duration::from_secs(5)).unwrap();
        let version = nodes
            .first_success("read the version", |node| async move {
                node.get_node_version().await
            })
            .await
            .unwrap();
        assert_eq!(version, "Test/v1");
        // The dead node was marked offline: the live one is tried first from now on.
        assert_eq!(nodes.order(), vec![1, 0]);
    }

    #[tokio::test]
    async fn when_every_node_fails_each_error_is_reported() {
        let nodes = BeaconNodes::new(&[dead_url(), dead_url()], Duration::from_secs(5)).unwrap();
        let err = nodes
            .first_success("read the version", |node| async move {
                node.get_node_version().await
            })
            .await
            .unwrap_err();
        assert_eq!(err.errors.len(), 2);
        assert!(err
            .to_string()
            .starts_with("every beacon node failed to read the version"));
    }
}
