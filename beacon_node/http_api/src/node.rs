//! `/eth/v1/node/*`: identity, peers, version, health, syncing.

use crate::beacon::Data;
use crate::{blocking_json, ApiError, Context};
use eth2_api_types::{SyncingData, VersionData};
use std::sync::Arc;
use types::EthSpec;
use warp::http::StatusCode;
use warp::Filter;

/// Whether the node is catching up with its peers. Syncing means "a sync process is fetching
/// blocks", not "the head is behind the clock": a lone node (no networking yet) has nothing
/// to catch up from, and its head lags the clock whenever slots go unproposed. Reporting that
/// lag as syncing would make validator clients stop proposing, and the chain would never
/// move again. The networking issue replaces this with the sync manager's state.
fn sync_in_progress<E: EthSpec>(_chain: &beacon_chain::BeaconChain<E>) -> bool {
    false
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
                        is_syncing: sync_in_progress(&chain),
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
                    Some(chain) if sync_in_progress(chain) => StatusCode::PARTIAL_CONTENT,
                    Some(_) => StatusCode::OK,
                };
                warp::reply::with_status(warp::reply(), status)
            });
    let identity =
        base.and(warp::path!("identity"))
            .and(with_ctx)
            .and_then(|ctx: Arc<Context<E>>| {
                blocking_json(move || {
                    let data = ctx.identity.clone().ok_or_else(|| {
                        ApiError::server_error("the node has no network identity")
                    })?;
                    Ok(Data { data })
                })
            });
    // No networking yet: no peers.
    let one_peer = base
        .and(warp::path!("peers" / String))
        .and_then(|peer_id: String| async move {
            if network::is_valid_peer_id(&peer_id) {
                Err::<warp::reply::Json, _>(warp::reject::custom(ApiError::not_found(
                    "peer not found",
                )))
            } else {
                Err(warp::reject::custom(ApiError::bad_request(format!(
                    "invalid peer id: {peer_id}"
                ))))
            }
        });
    let peers = base
        .and(warp::path!("peers"))
        .map(|| warp::reply::json(&serde_json::json!({"data": [], "meta": {"count": 0}})));
    let peer_count = base.and(warp::path!("peer_count")).map(|| {
        warp::reply::json(&serde_json::json!({"data": {
            "disconnected": "0", "connecting": "0", "connected": "0", "disconnecting": "0"
        }}))
    });
    version
        .or(syncing)
        .or(health)
        .or(identity)
        .or(one_peer)
        .or(peers)
        .or(peer_count)
}
