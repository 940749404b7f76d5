//! `/eth/v1/node/*`: identity, peers, version, health, syncing.

use crate::beacon::Data;
use crate::{blocking_json, ApiError, Context};
use eth2_api_types::{PeerCount, SyncingData, VersionData};
use std::sync::Arc;
use types::EthSpec;
use warp::http::StatusCode;
use warp::Filter;

/// Whether the node is catching up with its peers: sync's own state ("a sync process is
/// fetching blocks", far enough behind the best peer), never merely "the head is behind the
/// clock": a head lags the clock whenever slots go unproposed, and reporting that as syncing
/// would make validator clients stop proposing, so the chain would never move again.
fn sync_in_progress<E: EthSpec>(ctx: &Context<E>) -> bool {
    ctx.is_syncing()
}

/// A peer as `/eth/v1/node/peers` shows it (plus the agent it identified with).
fn peer_json(peer: &network::PeerSummary) -> serde_json::Value {
    serde_json::json!({
        "peer_id": peer.peer_id.to_string(),
        "enr": null,
        "last_seen_p2p_address": peer.address.as_ref().map(|a| a.to_string()).unwrap_or_default(),
        "state": peer.state.as_api_str(),
        "direction": peer.direction.as_api_str(),
        "agent": peer.agent.clone().unwrap_or_default(),
    })
}

/// The identity of a networked node, from the running service.
fn network_identity<E: EthSpec>(
    network: &router::RouterHandle<E>,
) -> eth2_api_types::NetworkIdentity {
    let globals = &network.globals;
    let peer_id = globals.peer_id;
    let enr = globals.local_enr();
    let p2p_addresses = globals
        .listen_addresses()
        .into_iter()
        .map(|a| format!("{a}/p2p/{peer_id}"))
        .collect();
    let discovery_addresses = match (enr.ip4(), enr.udp4()) {
        (Some(ip), Some(udp)) => vec![format!("/ip4/{ip}/udp/{udp}/p2p/{peer_id}")],
        _ => Vec::new(),
    };
    let metadata = globals.metadata();
    let attnets = ssz::Encode::as_ssz_bytes(&metadata.attnets);
    eth2_api_types::NetworkIdentity {
        peer_id: peer_id.to_string(),
        enr: enr.to_base64(),
        p2p_addresses,
        discovery_addresses,
        metadata: eth2_api_types::NodeMetadata {
            seq_number: metadata.seq_number,
            attnets: format!("0x{}", hex::encode(attnets)),
        },
    }
}

/// The values of a repeatable query key (`state=connected&state=disconnected`, or
/// comma-separated).
fn query_values(query: &[(String, String)], key: &str) -> Vec<String> {
    query
        .iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| v.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// The routes of this module.
pub fn routes<E: EthSpec>(
    ctx: Arc<Context<E>>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let base = warp::path!("eth" / "v1" / "node" / ..).and(warp::get());
    let with_ctx = warp::any().map(move || ctx.clone());

    let version = base
        .and(warp::path!("version"))
        .and(with_ctx.clone())
        .and_then(|ctx: Arc<Context<E>>| {
            blocking_json(move || {
                Ok(Data {
                    data: VersionData {
                        version: ctx.version.clone(),
                    },
                })
            })
        });
    let syncing = base
        .and(warp::path!("syncing"))
        .and(with_ctx.clone())
        .and_then(|ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let chain = ctx.chain()?;
                let head_slot = chain.head_slot();
                let current = chain.slot_clock.now().unwrap_or(0);
                let distance = current.saturating_sub(head_slot);
                Ok(Data {
                    data: SyncingData {
                        head_slot,
                        sync_distance: distance,
                        is_syncing: sync_in_progress(&ctx),
                    },
                })
            })
        });
    // 200 ready, 206 syncing, 503 not initialised.
    let health =
        base.and(warp::path!("health"))
            .and(with_ctx.clone())
            .map(|ctx: Arc<Context<E>>| {
                let status = match &ctx.chain {
                    None => StatusCode::SERVICE_UNAVAILABLE,
                    Some(_) if sync_in_progress(&ctx) => StatusCode::PARTIAL_CONTENT,
                    Some(_) => StatusCode::OK,
                };
                warp::reply::with_status(warp::reply(), status)
            });
    let identity = base
        .and(warp::path!("identity"))
        .and(with_ctx.clone())
        .and_then(|ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let data = match &ctx.network {
                    Some(network) => network_identity(network),
                    None => ctx.identity.clone().ok_or_else(|| {
                        ApiError::server_error("the node has no network identity")
                    })?,
                };
                Ok(Data { data })
            })
        });
    let one_peer = base
        .and(warp::path!("peers" / String))
        .and(with_ctx.clone())
        .and_then(|peer_id: String, ctx: Arc<Context<E>>| async move {
            if !network::is_valid_peer_id(&peer_id) {
                return Err(warp::reject::custom(ApiError::bad_request(format!(
                    "invalid peer id: {peer_id}"
                ))));
            }
            let found = ctx.network.as_ref().and_then(|n| {
                n.globals
                    .peers()
                    .into_iter()
                    .find(|p| p.peer_id.to_string() == peer_id)
            });
            match found {
                Some(peer) => Ok(warp::reply::json(
                    &serde_json::json!({"data": peer_json(&peer)}),
                )),
                None => Err(warp::reject::custom(ApiError::not_found("peer not found"))),
            }
        });
    let peers = base
        .and(warp::path!("peers"))
        .and(warp::query::<Vec<(String, String)>>())
        .and(with_ctx.clone())
        .and_then(
            |query: Vec<(String, String)>, ctx: Arc<Context<E>>| async move {
                let states = query_values(&query, "state");
                let directions = query_values(&query, "direction");
                // v1 documents no 400 here: a value that names no state or direction matches
                // no peer.
                let peers: Vec<serde_json::Value> = ctx
                    .network
                    .as_ref()
                    .map(|n| n.globals.peers())
                    .unwrap_or_default()
                    .iter()
                    .filter(|p| {
                        states.is_empty() || states.iter().any(|s| s == p.state.as_api_str())
                    })
                    .filter(|p| {
                        directions.is_empty()
                            || directions.iter().any(|d| d == p.direction.as_api_str())
                    })
                    .map(peer_json)
                    .collect();
                let count = peers.len();
                Ok::<_, warp::Rejection>(warp::reply::json(
                    &serde_json::json!({"data": peers, "meta": {"count": count}}),
                ))
            },
        );
    let peer_count =
        base.and(warp::path!("peer_count"))
            .and(with_ctx)
            .map(|ctx: Arc<Context<E>>| {
                let peers = ctx
                    .network
                    .as_ref()
                    .map(|n| n.globals.peers())
                    .unwrap_or_default();
                let count = |state: &str| {
                    peers
                        .iter()
                        .filter(|p| p.state.as_api_str() == state)
                        .count() as u64
                };
                warp::reply::json(&Data {
                    data: PeerCount {
                        disconnected: count("disconnected"),
                        connecting: 0,
                        connected: count("connected"),
                        disconnecting: count("disconnecting"),
                    },
                })
            });
    version
        .or(syncing)
        .or(health)
        .or(identity)
        .or(one_peer)
        .or(peers)
        .or(peer_count)
}
