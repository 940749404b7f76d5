//! What a validator client needs: duties, block and attestation production, aggregates,
//! and the submission of blocks, attestations and aggregates (`/eth/v1/validator/*`,
//! `POST /eth/v1/beacon/blocks`, `POST /eth/v1/beacon/pool/attestations`).

use crate::beacon::Data;
use crate::error::ApiError;
use crate::ids::{canonical_block_root, StateId};
use crate::{blocking_json, json_body, Context};
use beacon_chain::{AttestationError, BeaconChain, BlockError, GossipAction};
use eth2_api_types::{
    AttesterDuty, DutiesResponse, ErrorMessage, IndexedFailure, ProducedBlock, ProposerDuty,
};
use serde::Deserialize;
use state_processing::helpers::accessors::{committee_cache, get_beacon_proposer_index_at_slot};
use std::sync::Arc;
use types::{
    Attestation, BeaconState, EthSpec, Hash256, SignatureBytes, SignedAggregateAndProof,
    SignedBeaconBlock, Slot,
};
use warp::http::StatusCode;
use warp::Filter;

#[derive(Deserialize)]
struct ProduceBlockQuery {
    randao_reveal: SignatureBytes,
    /// Read by [`parse_graffiti`].
    graffiti: Option<String>,
}

/// The `graffiti` of a block request: 32 bytes of 0x-hex, as the API's schema says, or plain
/// UTF-8 text of at most 32 bytes, zero-padded, which is what Lodestar 1.5.1's validator client
/// sends (its own beacon node reads the parameter as text).
fn parse_graffiti(graffiti: Option<&str>) -> Result<Hash256, ApiError> {
    let Some(text) = graffiti else {
        return Ok(Hash256::ZERO);
    };
    if let Some(hex) = text.strip_prefix("0x") {
        if hex.len() == 64 {
            return text
                .parse()
                .map_err(|_| ApiError::bad_request(format!("invalid graffiti {text:?}")));
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() > 32 {
        return Err(ApiError::bad_request(format!(
            "graffiti {text:?} is longer than 32 bytes"
        )));
    }
    let mut graffiti = [0u8; 32];
    graffiti[..bytes.len()].copy_from_slice(bytes);
    Ok(Hash256::from(graffiti))
}

#[derive(Deserialize)]
struct AttestationDataQuery {
    #[serde(with = "serde_utils::quoted_u64")]
    slot: Slot,
    #[serde(with = "serde_utils::quoted_u64")]
    committee_index: u64,
}

#[derive(Deserialize)]
struct AggregateQuery {
    attestation_data_root: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    slot: Slot,
}

fn parse_u64(s: &str, what: &str) -> Result<u64, ApiError> {
    s.parse()
        .map_err(|_| ApiError::bad_request(format!("invalid {what}: {s}")))
}

/// A state whose shuffling and proposers are those of `epoch`, and the root of its latest
/// block: the head state (advanced to the epoch's first slot if `epoch` is the next one), or
/// for an epoch before the head's previous one the canonical state at its first slot, from
/// the store. At most one epoch ahead of the wall clock.
fn state_at_epoch<E: EthSpec>(
    chain: &BeaconChain<E>,
    epoch: u64,
) -> Result<(Arc<BeaconState<E>>, Hash256), ApiError> {
    // Before genesis the duties of epochs 0 and 1 are already known (validator clients
    // fetch them so the first slot's proposer is ready).
    let current = chain.slot_clock.now().unwrap_or(0) / E::slots_per_epoch();
    if epoch > current + 1 {
        return Err(ApiError::bad_request(format!(
            "epoch {epoch} is more than one epoch after the current epoch {current}"
        )));
    }
    let head = chain.head();
    let start = epoch * E::slots_per_epoch();
    if head.state.current_epoch() < epoch {
        let (head_root, state) = chain
            .head_state_advanced_to(start)
            .map_err(|e| ApiError::server_error(e.to_string()))?;
        return Ok((state, head_root));
    }
    if head.state.current_epoch() == epoch || head.state.previous_epoch() == epoch {
        return Ok((head.state.clone(), head.block_root));
    }
    // An older epoch (an explorer's or an operator's question, never a validator client's).
    // Before a checkpoint-synced node's anchor there is no such state: the v1 schema has no
    // 404 for duties, so that is a 400 naming the slot.
    let (_, state) = StateId::Slot(start)
        .state(chain)
        .map_err(ApiError::not_found_as_bad_request)?;
    let (block_root, _) = canonical_block_root(chain, start)?
        .ok_or_else(|| ApiError::bad_request(format!("no block at or before slot {start}")))?;
    Ok((state, block_root))
}

/// The block root at `slot` on the chain of `state` (whose latest block is `head_root`), or
/// the genesis block root before slot 0.
fn dependent_root<E: EthSpec>(
    chain: &BeaconChain<E>,
    state: &BeaconState<E>,
    head_root: Hash256,
    slot: Option<Slot>,
) -> Hash256 {
    match slot {
        None => chain.genesis_block_root,
        Some(slot) if slot >= state.slot => head_root,
        Some(slot) => state.get_block_root_at_slot(slot).unwrap_or(head_root),
    }
}

fn proposer_duties<E: EthSpec>(
    chain: &BeaconChain<E>,
    epoch: u64,
) -> Result<DutiesResponse<ProposerDuty>, ApiError> {
    let (state, head_root) = state_at_epoch(chain, epoch)?;
    let start = epoch * E::slots_per_epoch();
    let dependent = dependent_root(chain, &state, head_root, start.checked_sub(1));
    let mut data = Vec::new();
    for slot in start..start + E::slots_per_epoch() {
        let index = get_beacon_proposer_index_at_slot(&state, slot, &chain.spec)
            .map_err(|e| ApiError::server_error(e.to_string()))?;
        let pubkey = state
            .validators
            .get(index as usize)
            .map(|v| v.pubkey)
            .ok_or_else(|| ApiError::server_error("proposer outside the registry"))?;
        data.push(ProposerDuty {
            pubkey,
            validator_index: index,
            slot,
        });
    }
    Ok(DutiesResponse {
        dependent_root: dependent,
        execution_optimistic: false,
        data,
    })
}

fn attester_duties<E: EthSpec>(
    chain: &BeaconChain<E>,
    epoch: u64,
    indices: &[u64],
) -> Result<DutiesResponse<AttesterDuty>, ApiError> {
    let (state, head_root) = state_at_epoch(chain, epoch)?;
    let start = epoch * E::slots_per_epoch();
    let dependent = dependent_root(
        chain,
        &state,
        head_root,
        start.checked_sub(E::slots_per_epoch() + 1),
    );
    let committees = committee_cache(&state, epoch, &chain.spec)
        .map_err(|e| ApiError::server_error(e.to_string()))?;
    let mut data = Vec::new();
    for &validator_index in indices {
        let pubkey = state
            .validators
            .get(validator_index as usize)
            .map(|v| v.pubkey)
            .ok_or_else(|| ApiError::bad_request(format!("unknown validator {validator_index}")))?;
        'slots: for slot in start..start + E::slots_per_epoch() {
            for committee_index in 0..committees.committees_per_slot() {
                let Some(committee) = committees.get_beacon_committee(slot, committee_index) else {
                    continue;
                };
                if let Some(position) = committee.iter().position(|&v| v == validator_index) {
                    data.push(AttesterDuty {
                        pubkey,
                        validator_index,
                        committee_index,
                        committee_length: committee.len() as u64,
                        committees_at_slot: committees.committees_per_slot(),
                        validator_committee_index: position as u64,
                        slot,
                    });
                    break 'slots;
                }
            }
        }
    }
    Ok(DutiesResponse {
        dependent_root: dependent,
        execution_optimistic: false,
        data,
    })
}

fn failures_reply(failures: Vec<IndexedFailure>, what: &str) -> warp::reply::Response {
    use warp::Reply;
    if failures.is_empty() {
        return warp::reply().into_response();
    }
    let body = ErrorMessage {
        code: 400,
        message: format!("some {what} failed validation"),
        failures,
    };
    warp::reply::with_status(warp::reply::json(&body), StatusCode::BAD_REQUEST).into_response()
}

/// An attestation that was already seen is not a failure of the submission.
fn attestation_failed(e: &AttestationError) -> bool {
    !matches!(
        e,
        AttestationError::PriorAttestationKnown { .. }
            | AttestationError::AttestationAlreadyKnown(_)
            | AttestationError::AggregatorAlreadyKnown { .. }
    )
}

/// Verify and apply each submitted item on the blocking pool; 200, or 400 naming each item
/// that failed (repeats of accepted ones are not failures).
async fn submit_each<E, T, F>(
    ctx: Arc<Context<E>>,
    items: Vec<T>,
    what: &'static str,
    process: F,
) -> Result<warp::reply::Response, warp::Rejection>
where
    E: EthSpec,
    T: Send + 'static,
    F: Fn(&BeaconChain<E>, T) -> Result<network::PubsubMessage<E>, AttestationError>
        + Send
        + 'static,
{
    let chain = ctx.chain().map_err(warp::reject::custom)?;
    let failures = tokio::task::spawn_blocking(move || {
        let mut failures = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            match process(&chain, item) {
                Ok(message) => ctx.publish(message),
                Err(e) => {
                    if attestation_failed(&e) {
                        failures.push(IndexedFailure {
                            index,
                            message: e.to_string(),
                        });
                    }
                }
            }
        }
        failures
    })
    .await
    .map_err(|e| warp::reject::custom(ApiError::server_error(e.to_string())))?;
    Ok(failures_reply(failures, what))
}

/// The routes of this module.
pub fn routes<E: EthSpec>(
    ctx: Arc<Context<E>>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let with_ctx = warp::any().map(move || ctx.clone());
    let validator = warp::path!("eth" / "v1" / "validator" / ..);

    let proposer = validator
        .and(warp::path!("duties" / "proposer" / String))
        .and(warp::get())
        .and(with_ctx.clone())
        .and_then(|epoch: String, ctx: Arc<Context<E>>| {
            blocking_json(move || proposer_duties(&*ctx.chain()?, parse_u64(&epoch, "epoch")?))
        });

    let attester = validator
        .and(warp::path!("duties" / "attester" / String))
        .and(warp::post())
        .and(json_body())
        .and(with_ctx.clone())
        .and_then(
            |epoch: String, indices: Vec<String>, ctx: Arc<Context<E>>| {
                blocking_json(move || {
                    let epoch = parse_u64(&epoch, "epoch")?;
                    let indices = indices
                        .iter()
                        .map(|i| parse_u64(i, "validator index"))
                        .collect::<Result<Vec<_>, _>>()?;
                    attester_duties(&*ctx.chain()?, epoch, &indices)
                })
            },
        );

    // v1 and v2 (which adds `version`) answer the same phase 0 block.
    let produce_block =
        warp::path!("eth" / String / "validator" / "blocks" / String)
            .and(warp::get())
            .and(warp::query::<ProduceBlockQuery>())
            .and(with_ctx.clone())
            .and_then(
                |api_version: String,
                 slot: String,
                 query: ProduceBlockQuery,
                 ctx: Arc<Context<E>>| async move {
                    let version = match api_version.as_str() {
                        "v1" => None,
                        "v2" => Some(eth2_api_types::PHASE0_VERSION.to_string()),
                        _ => return Err(warp::reject::not_found()),
                    };
                    blocking_json(move || {
                        let slot = parse_u64(&slot, "slot")?;
                        let graffiti = parse_graffiti(query.graffiti.as_deref())?;
                        let produced = ctx
                            .synced_chain()?
                            .produce_block(slot, query.randao_reveal, graffiti)
                            .map_err(|e| ApiError::bad_request(e.to_string()))?;
                        Ok(ProducedBlock {
                            version,
                            block_value: "0".into(),
                            data: produced.block,
                        })
                    })
                    .await
                },
            );

    let attestation_data = validator
        .and(warp::path!("attestation_data"))
        .and(warp::get())
        .and(warp::query::<AttestationDataQuery>())
        .and(with_ctx.clone())
        .and_then(|query: AttestationDataQuery, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let data = ctx
                    .synced_chain()?
                    .produce_attestation_data(query.slot, query.committee_index)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                Ok(Data { data })
            })
        });

    let aggregate = validator
        .and(warp::path!("aggregate_attestation"))
        .and(warp::get())
        .and(warp::query::<AggregateQuery>())
        .and(with_ctx.clone())
        .and_then(|query: AggregateQuery, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let attestation = ctx
                    .chain()?
                    .op_pool
                    .get_aggregate(&query.attestation_data_root)
                    .filter(|a| a.data.slot == query.slot)
                    // v1 defines no 404 here (later versions do): "none known" is a 400.
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "no aggregate is known for this attestation_data_root and slot",
                        )
                    })?;
                Ok(Data { data: attestation })
            })
        });

    let publish_aggregates = validator
        .and(warp::path!("aggregate_and_proofs"))
        .and(warp::post())
        .and(json_body())
        .and(with_ctx.clone())
        .and_then(
            |aggregates: Vec<SignedAggregateAndProof<E>>, ctx: Arc<Context<E>>| {
                submit_each(ctx, aggregates, "aggregates", |chain, aggregate| {
                    chain.process_aggregated_attestation(aggregate).map(|v| {
                        network::PubsubMessage::AggregateAndProof(Box::new(
                            v.signed_aggregate().clone(),
                        ))
                    })
                })
            },
        );

    // Subnets to join for these validators' committees (the router chooses them).
    let subscriptions = validator
        .and(warp::path!("beacon_committee_subscriptions"))
        .and(warp::post())
        .and(json_body())
        .and(with_ctx.clone())
        .map(
            |subscriptions: Vec<eth2_api_types::BeaconCommitteeSubscription>,
             ctx: Arc<Context<E>>| {
                if let Some(network) = &ctx.network {
                    network.subscribe(subscriptions);
                }
                warp::reply()
            },
        );

    let publish_block = warp::path!("eth" / "v1" / "beacon" / "blocks")
        .and(warp::post())
        .and(json_body())
        .and(with_ctx.clone())
        .and_then(
            |block: SignedBeaconBlock<E>, ctx: Arc<Context<E>>| async move {
                use warp::Reply;
                let chain = ctx.chain().map_err(warp::reject::custom)?;
                let block = Arc::new(block);
                let to_publish = block.clone();
                let outcome =
                    tokio::task::spawn_blocking(move || chain.process_published_block(block))
                        .await
                        .map_err(|e| warp::reject::custom(ApiError::server_error(e.to_string())))?;
                match outcome {
                    // Gossiped once imported: peers get a block that is known to be valid.
                    Ok(_) => {
                        ctx.publish(network::PubsubMessage::BeaconBlock(to_publish));
                        Ok(warp::reply().into_response())
                    }
                    Err(BlockError::BlockIsAlreadyKnown(_)) => Ok(warp::reply().into_response()),
                    Err(BlockError::BeaconChain(e)) => Err(warp::reject::custom(
                        ApiError::server_error(format!("the node failed to import the block: {e}")),
                    )),
                    Err(e) if e.gossip_action() == GossipAction::Reject => Err(
                        warp::reject::custom(ApiError::bad_request(format!("invalid block: {e}"))),
                    ),
                    // Valid as far as can be told, not imported (yet): 202 as the schema says.
                    Err(_) => Ok(
                        warp::reply::with_status(warp::reply(), StatusCode::ACCEPTED)
                            .into_response(),
                    ),
                }
            },
        );

    let publish_attestations = warp::path!("eth" / "v1" / "beacon" / "pool" / "attestations")
        .and(warp::post())
        .and(json_body())
        .and(with_ctx)
        .and_then(|attestations: Vec<Attestation<E>>, ctx: Arc<Context<E>>| {
            submit_each(ctx, attestations, "attestations", |chain, attestation| {
                chain
                    .process_unaggregated_attestation(attestation, None)
                    .map(|v| {
                        network::PubsubMessage::Attestation(
                            v.subnet_id(),
                            Box::new(v.attestation().clone()),
                        )
                    })
            })
        });

    proposer
        .or(attester)
        .or(produce_block)
        .or(attestation_data)
        .or(aggregate)
        .or(publish_aggregates)
        .or(subscriptions)
        .or(publish_block)
        .or(publish_attestations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graffiti_is_hex_or_text() {
        assert_eq!(parse_graffiti(None).unwrap(), Hash256::ZERO);
        assert_eq!(parse_graffiti(Some("")).unwrap(), Hash256::ZERO);
        let hex = format!("0x{}", "ab".repeat(32));
        assert_eq!(
            parse_graffiti(Some(&hex)).unwrap(),
            Hash256::repeat_byte(0xab)
        );
        let text = parse_graffiti(Some("Lodestar-v1.5.1")).unwrap();
        assert_eq!(&text.as_slice()[..15], b"Lodestar-v1.5.1");
        assert!(text.as_slice()[15..].iter().all(|&b| b == 0));
        assert!(parse_graffiti(Some(&"x".repeat(33))).is_err());
        // 0x with the wrong length is text; with bad hex of the right length, an error.
        assert_eq!(
            &parse_graffiti(Some("0x12")).unwrap().as_slice()[..4],
            b"0x12"
        );
        assert!(parse_graffiti(Some(&format!("0x{}", "zz".repeat(32)))).is_err());
    }
}
