//! `GET /eth/v1/events?topics=…`: the chain's events as Server-Sent Events.

use crate::error::ApiError;
use crate::Context;
use beacon_chain::ChainEvent;
use eth2_api_types::{ChainReorgEvent, HeadEvent};
use futures_util::StreamExt;
use serde::Serialize;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use types::{Epoch, EthSpec, Hash256, Slot};
use warp::Filter;

const TOPICS: [&str; 6] = [
    "head",
    "block",
    "attestation",
    "voluntary_exit",
    "finalized_checkpoint",
    "chain_reorg",
];

/// The `topics` of the query, repeated (`topics=head&topics=block`, the schema's exploded form,
/// which Lodestar requires) or comma-separated (`topics=head,block`), or both.
fn topics_query() -> impl Filter<Extract = (Vec<String>,), Error = warp::Rejection> + Clone {
    warp::query::<Vec<(String, String)>>().map(|pairs: Vec<(String, String)>| {
        pairs
            .into_iter()
            .filter(|(key, _)| key == "topics")
            .flat_map(|(_, value)| {
                value
                    .split(',')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
            })
            .collect()
    })
}

#[derive(Serialize)]
struct Block {
    #[serde(with = "serde_utils::quoted_u64")]
    slot: Slot,
    block: Hash256,
    /// Always false before the merge (see `eth2_api_types::ChainData`).
    execution_optimistic: bool,
}

#[derive(Serialize)]
struct Finalized {
    block: Hash256,
    state: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    epoch: Epoch,
    /// Always false before the merge (see `eth2_api_types::ChainData`).
    execution_optimistic: bool,
}

/// The SSE event of a chain event (JSON as the API's examples show).
fn to_sse<E: EthSpec>(event: &ChainEvent<E>) -> Result<warp::sse::Event, serde_json::Error> {
    let sse = warp::sse::Event::default().event(event.topic());
    match event {
        ChainEvent::Head {
            slot,
            block,
            state,
            epoch_transition,
            previous_duty_dependent_root,
            current_duty_dependent_root,
        } => sse.json_data(HeadEvent {
            slot: *slot,
            block: *block,
            state: *state,
            epoch_transition: *epoch_transition,
            previous_duty_dependent_root: *previous_duty_dependent_root,
            current_duty_dependent_root: *current_duty_dependent_root,
            execution_optimistic: false,
        }),
        ChainEvent::Block { slot, block } => sse.json_data(Block {
            slot: *slot,
            block: *block,
            execution_optimistic: false,
        }),
        ChainEvent::Attestation(attestation) => sse.json_data(attestation),
        ChainEvent::VoluntaryExit(exit) => sse.json_data(exit),
        ChainEvent::FinalizedCheckpoint {
            block,
            state,
            epoch,
        } => sse.json_data(Finalized {
            block: *block,
            state: *state,
            epoch: *epoch,
            execution_optimistic: false,
        }),
        ChainEvent::ChainReorg {
            slot,
            depth,
            old_head_block,
            new_head_block,
            old_head_state,
            new_head_state,
            epoch,
        } => sse.json_data(ChainReorgEvent {
            slot: *slot,
            depth: *depth,
            old_head_block: *old_head_block,
            new_head_block: *new_head_block,
            old_head_state: *old_head_state,
            new_head_state: *new_head_state,
            epoch: *epoch,
            execution_optimistic: false,
        }),
    }
}

/// The route.
pub fn routes<E: EthSpec>(
    ctx: Arc<Context<E>>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    warp::path!("eth" / "v1" / "events")
        .and(warp::get())
        .and(topics_query())
        .and(warp::any().map(move || ctx.clone()))
        .and_then(|topics: Vec<String>, ctx: Arc<Context<E>>| async move {
            if topics.is_empty() {
                return Err(warp::reject::custom(ApiError::bad_request(format!(
                    "no topics; topics are {}",
                    TOPICS.join(", ")
                ))));
            }
            if let Some(bad) = topics.iter().find(|t| !TOPICS.contains(&t.as_str())) {
                return Err(warp::reject::custom(ApiError::bad_request(format!(
                    "unknown topic {bad:?}; topics are {}",
                    TOPICS.join(", ")
                ))));
            }
            let chain = ctx.chain().map_err(warp::reject::custom)?;
            let receiver = chain.events.subscribe();
            let stream = futures_util::stream::unfold(receiver, move |mut receiver| {
                let topics = topics.clone();
                async move {
                    loop {
                        match receiver.recv().await {
                            Ok(event) if topics.iter().any(|t| t == event.topic()) => {
                                if let Ok(sse) = to_sse(&event) {
                                    return Some((Ok::<_, Infallible>(sse), receiver));
                                }
                            }
                            Ok(_) => {}
                            // A slow reader misses old events rather than slowing the chain.
                            Err(RecvError::Lagged(_)) => {}
                            Err(RecvError::Closed) => return None,
                        }
                    }
                }
            });
            // The stream ends when the node stops, so shutdown need not wait for the client.
            let stream = stream.take_until(ctx.shutdown.clone().fired());
            Ok(warp::sse::reply(warp::sse::keep_alive().stream(stream)))
        })
}
