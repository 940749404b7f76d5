//! `/eth/v1/node/*`: version, health, syncing.

use crate::beacon::Data;
use crate::{blocking_json, Context};
use serde::Serialize;
use std::sync::Arc;
use types::EthSpec;
use warp::http::StatusCode;
use warp::Filter;

#[derive(Serialize)]
struct Version {
    version: String,
}

#[derive(Serialize)]
struct Syncing {
    #[serde(with = "serde_utils::quoted_u64")]
    head_slot: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    sync_distance: u64,
    is_syncing: bool,
}

/// How far behind the clock the head may be and still count as synced.
const SYNC_TOLERANCE_SLOTS: u64 = 8;

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
                    data: Version {
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
                    data: Syncing {
                        head_slot,
                        sync_distance: distance,
                        is_syncing: distance > SYNC_TOLERANCE_SLOTS,
                    },
                })
            })
        });
    // 200 ready, 206 syncing, 503 not initialised.
    let health = base
        .and(warp::path!("health"))
        .and(with_ctx)
        .map(|ctx: Arc<Context<E>>| {
            let status = match &ctx.chain {
                None => StatusCode::SERVICE_UNAVAILABLE,
                Some(chain) => {
                    let current = chain.slot_clock.now().unwrap_or(0);
                    if current.saturating_sub(chain.head_slot()) > SYNC_TOLERANCE_SLOTS {
                        StatusCode::PARTIAL_CONTENT
                    } else {
                        StatusCode::OK
                    }
                }
            };
            warp::reply::with_status(warp::reply(), status)
        });
    // No networking yet: no peers (the identity endpoint waits for the node's keys).
    let peers = base
        .and(warp::path!("peers"))
        .map(|| warp::reply::json(&serde_json::json!({"data": [], "meta": {"count": 0}})));
    let peer_count = base.and(warp::path!("peer_count")).map(|| {
        warp::reply::json(&serde_json::json!({"data": {
            "disconnected": "0", "connecting": "0", "connected": "0", "disconnecting": "0"
        }}))
    });
    version.or(syncing).or(health).or(peers).or(peer_count)
}
