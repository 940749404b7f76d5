//! `/eth/v1/beacon/pool/*`: what the operation pool holds, and submissions of slashings and
//! exits (attestations are submitted through `validator.rs`).

use crate::beacon::Data;
use crate::error::ApiError;
use crate::{blocking_json, json_body, Context};
use beacon_chain::OperationError;
use serde::Deserialize;
use std::sync::Arc;
use types::{AttesterSlashing, EthSpec, ProposerSlashing, SignedVoluntaryExit};
use warp::Filter;

#[derive(Deserialize, Default)]
struct AttestationQuery {
    slot: Option<String>,
    committee_index: Option<String>,
}

fn opt_u64(value: Option<String>, what: &str) -> Result<Option<u64>, ApiError> {
    value
        .map(|v| {
            v.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid {what}: {v}")))
        })
        .transpose()
}

/// An already-seen operation is accepted; an invalid one is a 400 naming the rule.
fn submission(result: Result<(), OperationError>) -> Result<(), ApiError> {
    match result {
        Ok(())
        | Err(OperationError::ExitAlreadyKnown(_))
        | Err(OperationError::ProposerSlashingAlreadyKnown(_))
        | Err(OperationError::AttesterSlashingAlreadyKnown) => Ok(()),
        Err(OperationError::Invalid(e)) => Err(ApiError::bad_request(format!("invalid: {e}"))),
        Err(OperationError::BeaconChain(e)) => Err(ApiError::server_error(e.to_string())),
    }
}

/// The routes of this module.
pub fn routes<E: EthSpec>(
    ctx: Arc<Context<E>>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let with_ctx = warp::any().map(move || ctx.clone());
    let pool = warp::path!("eth" / "v1" / "beacon" / "pool" / ..);

    let attestations = pool
        .and(warp::path!("attestations"))
        .and(warp::get())
        .and(warp::query::<AttestationQuery>())
        .and(with_ctx.clone())
        .and_then(|query: AttestationQuery, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let slot = opt_u64(query.slot, "slot")?;
                let index = opt_u64(query.committee_index, "committee_index")?;
                Ok(Data {
                    data: ctx.chain()?.op_pool.get_all_attestations(slot, index),
                })
            })
        });
    let attester_slashings = pool
        .and(warp::path!("attester_slashings"))
        .and(warp::get())
        .and(with_ctx.clone())
        .and_then(|ctx: Arc<Context<E>>| {
            blocking_json(move || {
                Ok(Data {
                    data: ctx.chain()?.op_pool.get_all_attester_slashings(),
                })
            })
        });
    let proposer_slashings = pool
        .and(warp::path!("proposer_slashings"))
        .and(warp::get())
        .and(with_ctx.clone())
        .and_then(|ctx: Arc<Context<E>>| {
            blocking_json(move || {
                Ok(Data {
                    data: ctx.chain()?.op_pool.get_all_proposer_slashings(),
                })
            })
        });
    let exits = pool
        .and(warp::path!("voluntary_exits"))
        .and(warp::get())
        .and(with_ctx.clone())
        .and_then(|ctx: Arc<Context<E>>| {
            blocking_json(move || {
                Ok(Data {
                    data: ctx.chain()?.op_pool.get_all_voluntary_exits(),
                })
            })
        });
    let post_attester_slashing = pool
        .and(warp::path!("attester_slashings"))
        .and(warp::post())
        .and(json_body())
        .and(with_ctx.clone())
        .and_then(|slashing: AttesterSlashing<E>, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let copy = slashing.clone();
                submission(ctx.chain()?.process_attester_slashing(slashing))?;
                ctx.publish(network::PubsubMessage::AttesterSlashing(Box::new(copy)));
                Ok(serde_json::Value::Null)
            })
        });
    let post_proposer_slashing = pool
        .and(warp::path!("proposer_slashings"))
        .and(warp::post())
        .and(json_body())
        .and(with_ctx.clone())
        .and_then(|slashing: ProposerSlashing, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let copy = slashing.clone();
                submission(ctx.chain()?.process_proposer_slashing(slashing))?;
                ctx.publish(network::PubsubMessage::ProposerSlashing(Box::new(copy)));
                Ok(serde_json::Value::Null)
            })
        });
    let post_exit = pool
        .and(warp::path!("voluntary_exits"))
        .and(warp::post())
        .and(json_body())
        .and(with_ctx)
        .and_then(|exit: SignedVoluntaryExit, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let copy = exit.clone();
                submission(ctx.chain()?.process_voluntary_exit(exit))?;
                ctx.publish(network::PubsubMessage::VoluntaryExit(Box::new(copy)));
                Ok(serde_json::Value::Null)
            })
        });
    attestations
        .or(attester_slashings)
        .or(proposer_slashings)
        .or(exits)
        .or(post_attester_slashing)
        .or(post_proposer_slashing)
        .or(post_exit)
}
