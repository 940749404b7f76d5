//! The standard Beacon Node REST API (ethereum/beacon-APIs, tag v1: the phase 0 release),
//! served by warp on 127.0.0.1 by default.
//!
//! Each module holds one group of the API's paths. Handlers that touch the chain run on
//! tokio's blocking pool (state reads can replay blocks), answer `{"data": …}` in the exact
//! JSON of the schema (types serialise as the API writes them), and fail with
//! `{code, message}` and the status the schema defines (`error.rs`).
//!
//! Every phase 0 operation is served: beacon (genesis, states, headers, blocks, pools),
//! config, node, validator, debug and the event stream. Without networking, the node has no
//! peers, and says so.

mod beacon;
mod config;
mod debug;
mod error;
mod events;
pub mod ids;
mod node;
mod pool;
mod states;
mod validator;

pub use error::ApiError;

use beacon_chain::BeaconChain;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use types::EthSpec;
use warp::Filter;

/// Largest JSON body accepted: a block with every operation, or a validator client's
/// attestations for a slot with thousands of validators, is far below this. Larger is a 400.
const MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;

/// A JSON body of at most MAX_BODY_BYTES.
fn json_body<T: serde::de::DeserializeOwned + Send>(
) -> impl Filter<Extract = (T,), Error = warp::Rejection> + Clone {
    warp::body::content_length_limit(MAX_BODY_BYTES).and(warp::body::json())
}

/// What the API serves from.
pub struct Context<E: EthSpec> {
    /// The chain, once genesis is known.
    pub chain: Option<Arc<BeaconChain<E>>>,
    /// The node's version string (`Fresnel/v0.1.0/<os>`).
    pub version: String,
    /// Ends the event streams when the server stops.
    pub shutdown: ShutdownSignal,
    /// The node's peer-to-peer identity when it runs without a network (None: no key).
    pub identity: Option<eth2_api_types::NetworkIdentity>,
    /// The network (None: the node runs alone): peers, identity, sync state, and where
    /// what the API accepts is gossiped.
    pub network: Option<Arc<router::RouterHandle<E>>>,
}

impl<E: EthSpec> Context<E> {
    /// Gossip a message the API accepted (nothing without a network).
    pub fn publish(&self, message: network::PubsubMessage<E>) {
        if let Some(network) = &self.network {
            network.publish(message);
        }
    }

    /// Whether sync is catching up with peers.
    pub fn is_syncing(&self) -> bool {
        self.network
            .as_ref()
            .is_some_and(|n| n.globals.is_syncing())
    }
}

/// Tells long-lived responses (the event stream) that the server is stopping: warp's graceful
/// shutdown waits for every open connection, and an event stream never ends by itself.
#[derive(Clone)]
pub struct ShutdownSignal(tokio::sync::watch::Receiver<bool>);

impl ShutdownSignal {
    /// Fires when `receiver` sees `true`.
    pub fn new(receiver: tokio::sync::watch::Receiver<bool>) -> Self {
        ShutdownSignal(receiver)
    }

    /// Never fires (tests, or a server that runs until the process ends).
    pub fn never() -> Self {
        // With the sender gone, `fired` waits forever.
        ShutdownSignal(tokio::sync::watch::channel(false).1)
    }

    /// Resolves once shutdown begins.
    pub async fn fired(mut self) {
        if self.0.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl<E: EthSpec> Context<E> {
    /// The chain, or 503 while there is none.
    pub fn chain(&self) -> Result<Arc<BeaconChain<E>>, ApiError> {
        self.chain.clone().ok_or_else(|| {
            ApiError::unavailable("the beacon chain is not ready yet (waiting for genesis)")
        })
    }

    /// The chain, for work that needs a head at the tip (block production, attestation
    /// data): 503 while sync is catching up, as the Beacon API specifies, so that a
    /// validator client asks another node rather than sign on an old head.
    pub fn synced_chain(&self) -> Result<Arc<BeaconChain<E>>, ApiError> {
        let chain = self.chain()?;
        if self.is_syncing() {
            return Err(ApiError::unavailable(format!(
                "the beacon node is syncing (head at slot {}); try again when it has caught up",
                chain.head_slot()
            )));
        }
        Ok(chain)
    }
}

/// Run `f` on the blocking pool and answer its value as JSON (or its error).
pub(crate) async fn blocking_json<T, F>(f: F) -> Result<warp::reply::Json, warp::Rejection>
where
    T: Serialize + Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(value)) => Ok(warp::reply::json(&value)),
        Ok(Err(e)) => Err(warp::reject::custom(e)),
        Err(e) => Err(warp::reject::custom(ApiError::server_error(format!(
            "handler failed: {e}"
        )))),
    }
}

/// Every route, with errors turned into `{code, message}`.
pub fn routes<E: EthSpec>(
    ctx: Arc<Context<E>>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible> + Clone {
    let api = beacon::routes(ctx.clone())
        .or(states::routes(ctx.clone()))
        .or(pool::routes(ctx.clone()))
        .or(config::routes(ctx.clone()))
        .or(node::routes(ctx.clone()))
        .or(validator::routes(ctx.clone()))
        .or(events::routes(ctx.clone()))
        .or(debug::routes(ctx))
        .recover(error::handle_rejection);
    warp::header::headers_cloned()
        .and(api)
        .map(echo_connection_close)
        .with(warp::log::custom(log_request))
}

/// Answer `Connection: close` to a request that asked for it (RFC 9112 §9.6: the server
/// closes after this response and SHOULD say so). hyper closes without saying it, and a
/// client that pools sockets then reuses the closed one: Lodestar's validator client
/// (node-fetch 2 sends `close`, Node 20's agent keeps the socket) fails its second request
/// with "socket hang up".
fn echo_connection_close(
    request: warp::http::HeaderMap,
    reply: impl warp::Reply,
) -> warp::reply::Response {
    let mut response = reply.into_response();
    let close = request
        .get_all(warp::http::header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|option| option.trim().eq_ignore_ascii_case("close"));
    if close {
        response.headers_mut().insert(
            warp::http::header::CONNECTION,
            warp::http::HeaderValue::from_static("close"),
        );
    }
    response
}

/// One debug line per request (a validator client makes several a slot; errors are what an
/// operator needs to see, at warn).
fn log_request(info: warp::log::Info<'_>) {
    let status = info.status().as_u16();
    let elapsed_ms = info.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(method = %info.method(), path = info.path(), status, elapsed_ms, "API request failed");
    } else {
        tracing::debug!(method = %info.method(), path = info.path(), status, elapsed_ms, "API request");
    }
}

/// Serve on `addr`; returns the bound address (port 0 picks a free one) and the server
/// future, which ends when `shutdown` resolves.
pub fn serve<E: EthSpec>(
    ctx: Arc<Context<E>>,
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, impl std::future::Future<Output = ()>), ApiError> {
    warp::serve(routes(ctx))
        .try_bind_with_graceful_shutdown(addr, shutdown)
        .map_err(|e| ApiError::server_error(format!("cannot listen on {addr}: {e}")))
}
