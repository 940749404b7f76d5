//! discv5 (protocol 5.1) on the node key: the routing table seeded from the boot nodes,
//! queries for peers on our fork (optionally serving an attestation subnet), and the local
//! ENR kept current.

use crate::identity::{enr_attnets, enr_fork_digest};
use discv5::{ConfigBuilder, Discv5, Enr, ListenConfig};
use enr::{CombinedKey, NodeId};
use std::net::Ipv4Addr;
use tokio::sync::mpsc;

/// Peers found by one query.
#[derive(Debug)]
pub struct QueryResult {
    pub subnet: Option<u64>,
    pub enrs: Vec<Enr>,
}

pub struct Discovery {
    discv5: Discv5,
    fork_digest: [u8; 4],
    results_tx: mpsc::Sender<QueryResult>,
    pub results: mpsc::Receiver<QueryResult>,
    /// Queries under way (at most a few at a time).
    queries: usize,
}

/// Queries running at once.
const MAX_CONCURRENT_QUERIES: usize = 2;

impl Discovery {
    /// Start discv5 on `ip:port` with `enr` (signed by `key`), seeded with `boot_nodes`.
    pub async fn start(
        enr: Enr,
        key: CombinedKey,
        ip: Ipv4Addr,
        port: u16,
        boot_nodes: &[Enr],
        fork_digest: [u8; 4],
    ) -> Result<Self, String> {
        let config = ConfigBuilder::new(ListenConfig::Ipv4 { ip, port })
            .request_timeout(std::time::Duration::from_secs(2))
            .query_timeout(std::time::Duration::from_secs(10))
            .build();
        let mut discv5 = Discv5::new(enr, key, config).map_err(|e| format!("discv5: {e}"))?;
        for boot in boot_nodes {
            if let Err(e) = discv5.add_enr(boot.clone()) {
                tracing::warn!(enr = %boot.to_base64(), error = e, "Boot node not added to the routing table");
            }
        }
        discv5
            .start()
            .await
            .map_err(|e| format!("discv5 on udp {ip}:{port}: {e}"))?;
        let (results_tx, results) = mpsc::channel(16);
        Ok(Discovery {
            discv5,
            fork_digest,
            results_tx,
            results,
            queries: 0,
        })
    }

    pub fn local_enr(&self) -> Enr {
        self.discv5.local_enr()
    }

    /// Nodes in the routing table.
    pub fn table_size(&self) -> usize {
        self.discv5.table_entries_id().len()
    }

    /// Set our ENR's attnets field (its sequence number rises).
    pub fn set_attnets(&self, attnets: [u8; 8]) -> Result<(), String> {
        self.discv5
            .enr_insert("attnets", &attnets.as_slice())
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    }

    /// Start a query for `count` peers on our fork with a TCP port; with `subnet`, only peers
    /// that advertise it. Results arrive on `results`.
    pub fn query(&mut self, subnet: Option<u64>, count: usize) -> bool {
        if self.queries >= MAX_CONCURRENT_QUERIES {
            return false;
        }
        self.queries += 1;
        let fork_digest = self.fork_digest;
        let predicate = Box::new(move |enr: &Enr| {
            enr.tcp4().is_some()
                && enr_fork_digest(enr) == Some(fork_digest)
                && subnet.is_none_or(|s| {
                    enr_attnets(enr)
                        .is_some_and(|bits| bits[(s / 8) as usize] & (1 << (s % 8)) != 0)
                })
        });
        let query = self
            .discv5
            .find_node_predicate(NodeId::random(), predicate, count);
        let tx = self.results_tx.clone();
        tokio::spawn(async move {
            let enrs = match query.await {
                Ok(enrs) => enrs,
                Err(e) => {
                    tracing::debug!(error = ?e, "Discovery query failed");
                    Vec::new()
                }
            };
            let _ = tx.send(QueryResult { subnet, enrs }).await;
        });
        true
    }

    /// A query ended (its result was taken).
    pub fn query_done(&mut self) {
        self.queries = self.queries.saturating_sub(1);
    }

    pub fn ban(&self, node_id: &NodeId) {
        self.discv5
            .ban_node(node_id, Some(crate::peer_manager::BAN_DURATION));
    }
}
