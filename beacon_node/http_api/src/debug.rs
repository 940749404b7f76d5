//! `/eth/v1/debug/*`: whole states (JSON, or SSZ with `Accept: application/octet-stream`) and
//! the fork-choice leaves.

use crate::beacon::Data;
use crate::error::ApiError;
use crate::ids::StateId;
use crate::Context;
use serde::Serialize;
use ssz::Encode;
use std::sync::Arc;
use types::{EthSpec, Hash256, Slot};
use warp::Filter;

#[derive(Serialize)]
struct Head {
    root: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    slot: Slot,
}

/// True if the client asked for SSZ.
pub fn wants_ssz(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.contains("application/octet-stream"))
}

/// An SSZ body.
pub fn ssz_reply(bytes: Vec<u8>) -> warp::reply::Response {
    use warp::Reply;
    warp::reply::with_header(bytes, "content-type", "application/octet-stream").into_response()
}

/// The routes of this module.
pub fn routes<E: EthSpec>(
    ctx: Arc<Context<E>>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let with_ctx = warp::any().map(move || ctx.clone());
    let state = warp::path!("eth" / "v1" / "debug" / "beacon" / "states" / String)
        .and(warp::get())
        .and(warp::header::optional::<String>("accept"))
        .and(with_ctx.clone())
        .and_then(
            |id: String, accept: Option<String>, ctx: Arc<Context<E>>| async move {
                let reply = tokio::task::spawn_blocking(
                    move || -> Result<warp::reply::Response, ApiError> {
                        use warp::Reply;
                        let id: StateId = id.parse()?;
                        let (_, state) = id.state(&*ctx.chain()?)?;
                        if wants_ssz(accept.as_deref()) {
                            Ok(ssz_reply(state.as_ssz_bytes()))
                        } else {
                            Ok(warp::reply::json(&Data { data: &*state }).into_response())
                        }
                    },
                )
                .await
                .map_err(|e| warp::reject::custom(ApiError::server_error(e.to_string())))?;
                reply.map_err(warp::reject::custom)
            },
        );
    let heads = warp::path!("eth" / "v1" / "debug" / "beacon" / "heads")
        .and(warp::get())
        .and(with_ctx)
        .and_then(|ctx: Arc<Context<E>>| {
            crate::blocking_json(move || {
                let chain = ctx.chain()?;
                let fc = chain.fork_choice();
                let nodes = fc.proto_array().nodes();
                let mut has_child = vec![false; nodes.len()];
                for node in nodes {
                    if let Some(parent) = node.parent {
                        if let Some(flag) = has_child.get_mut(parent) {
                            *flag = true;
                        }
                    }
                }
                let data: Vec<Head> = nodes
                    .iter()
                    .zip(has_child)
                    .filter(|(_, child)| !child)
                    .map(|(n, _)| Head {
                        root: n.root,
                        slot: n.slot,
                    })
                    .collect();
                Ok(Data { data })
            })
        });
    state.or(heads)
}
