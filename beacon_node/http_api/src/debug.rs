//! `/eth/v1/debug/*` and `/eth/v2/debug/*`: whole states (JSON, or SSZ with
//! `Accept: application/octet-stream`) and the fork-choice leaves.

use crate::beacon::Data;
use crate::error::ApiError;
use crate::ids::StateId;
use crate::Context;
use eth2_api_types::{ChainData, VersionedData};
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
    /// v2 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_optimistic: Option<bool>,
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

/// An SSZ body of a v2 route, with the fork in `Eth-Consensus-Version`.
pub fn versioned_ssz_reply(bytes: Vec<u8>) -> warp::reply::Response {
    let mut response = ssz_reply(bytes);
    response.headers_mut().insert(
        "eth-consensus-version",
        warp::http::HeaderValue::from_static(eth2_api_types::PHASE0_VERSION),
    );
    response
}

/// The API version in a path (`v1` or `v2`): true for v2, a 404 for anything else.
pub fn is_v2(api_version: &str) -> Result<bool, warp::Rejection> {
    match api_version {
        "v1" => Ok(false),
        "v2" => Ok(true),
        _ => Err(warp::reject::not_found()),
    }
}

/// The routes of this module.
pub fn routes<E: EthSpec>(
    ctx: Arc<Context<E>>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let with_ctx = warp::any().map(move || ctx.clone());
    // v1 answers `{data}`, v2 `{version, execution_optimistic, data}`.
    let state = warp::path!("eth" / String / "debug" / "beacon" / "states" / String)
        .and(warp::get())
        .and(warp::header::optional::<String>("accept"))
        .and(with_ctx.clone())
        .and_then(
            |api_version: String, id: String, accept: Option<String>, ctx: Arc<Context<E>>| async move {
                let v2 = is_v2(&api_version)?;
                let reply = tokio::task::spawn_blocking(
                    move || -> Result<warp::reply::Response, ApiError> {
                        use warp::Reply;
                        let id: StateId = id.parse()?;
                        let (_, state) = id.state(&*ctx.chain()?)?;
                        Ok(match (wants_ssz(accept.as_deref()), v2) {
                            (true, false) => ssz_reply(state.as_ssz_bytes()),
                            (true, true) => versioned_ssz_reply(state.as_ssz_bytes()),
                            (false, false) => {
                                warp::reply::json(&ChainData::new(&*state)).into_response()
                            }
                            (false, true) => {
                                warp::reply::json(&VersionedData::phase0(&*state)).into_response()
                            }
                        })
                    },
                )
                .await
                .map_err(|e| warp::reject::custom(ApiError::server_error(e.to_string())))?;
                reply.map_err(warp::reject::custom)
            },
        );
    let heads = warp::path!("eth" / String / "debug" / "beacon" / "heads")
        .and(warp::get())
        .and(with_ctx)
        .and_then(|api_version: String, ctx: Arc<Context<E>>| async move {
            let v2 = is_v2(&api_version)?;
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
                        execution_optimistic: v2.then_some(false),
                    })
                    .collect();
                Ok(Data { data })
            })
            .await
        });
    state.or(heads)
}
