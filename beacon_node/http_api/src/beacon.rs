//! `/eth/v1/beacon/*` reads: genesis, states and blocks.

use crate::error::ApiError;
use crate::ids::{BlockId, StateId};
use crate::{blocking_json, Context};
use beacon_chain::BeaconChain;
use serde::Deserialize;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::{BeaconBlockHeader, EthSpec, Fork, Hash256, SignedBeaconBlockHeader};
use warp::Filter;

pub use eth2_api_types::{ChainData, Data, RootData, VersionedData};
use eth2_api_types::{FinalityCheckpoints, GenesisData, HeaderData};

#[derive(Deserialize, Default)]
struct HeadersQuery {
    slot: Option<String>,
    parent_root: Option<String>,
}

/// A block's header, root and whether it is canonical.
fn header_data<E: EthSpec>(chain: &BeaconChain<E>, root: Hash256) -> Result<HeaderData, ApiError> {
    let block = chain
        .get_block(&root)
        .map_err(|e| ApiError::server_error(e.to_string()))?
        .ok_or_else(|| ApiError::not_found(format!("block {root:?} not found")))?;
    let canonical = BlockId::is_canonical(chain, root, block.message.slot)?;
    let message = BeaconBlockHeader {
        slot: block.message.slot,
        proposer_index: block.message.proposer_index,
        parent_root: block.message.parent_root,
        state_root: block.message.state_root,
        body_root: block.message.body.tree_hash_root(),
    };
    Ok(HeaderData {
        root,
        canonical,
        header: SignedBeaconBlockHeader {
            message,
            signature: block.signature,
        },
    })
}

fn state_id() -> impl Filter<Extract = (StateId,), Error = warp::Rejection> + Clone {
    warp::path::param::<String>()
        .and_then(|s: String| async move { s.parse::<StateId>().map_err(warp::reject::custom) })
}

fn block_id() -> impl Filter<Extract = (BlockId,), Error = warp::Rejection> + Clone {
    warp::path::param::<String>()
        .and_then(|s: String| async move { s.parse::<BlockId>().map_err(warp::reject::custom) })
}

/// The routes of this module.
pub fn routes<E: EthSpec>(
    ctx: Arc<Context<E>>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let base = warp::path!("eth" / "v1" / "beacon" / ..).and(warp::get());
    let with_ctx = warp::any().map(move || ctx.clone());

    let genesis = base
        .and(warp::path!("genesis"))
        .and(with_ctx.clone())
        .and_then(|ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let chain = ctx.chain()?;
                Ok(Data {
                    data: GenesisData {
                        genesis_time: chain.genesis_time,
                        genesis_validators_root: chain.genesis_validators_root,
                        genesis_fork_version: chain.spec.genesis_fork_version,
                    },
                })
            })
        });

    let states = base.and(warp::path("states")).and(state_id());
    let state_root = states
        .clone()
        .and(warp::path!("root"))
        .and(with_ctx.clone())
        .and_then(|id: StateId, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let chain = ctx.chain()?;
                let root = id.root(&chain)?;
                // A root must name a state the node has.
                if let StateId::Root(_) = id {
                    id.state(&chain)?;
                }
                Ok(ChainData::new(RootData { root }))
            })
        });
    let state_fork = states
        .clone()
        .and(warp::path!("fork"))
        .and(with_ctx.clone())
        .and_then(|id: StateId, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let (_, state) = id.state(&*ctx.chain()?)?;
                let fork: Fork = state.fork;
                Ok(ChainData::new(fork))
            })
        });
    let finality = states
        .and(warp::path!("finality_checkpoints"))
        .and(with_ctx.clone())
        .and_then(|id: StateId, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let (_, state) = id.state(&*ctx.chain()?)?;
                Ok(ChainData::new(FinalityCheckpoints {
                    previous_justified: state.previous_justified_checkpoint,
                    current_justified: state.current_justified_checkpoint,
                    finalized: state.finalized_checkpoint,
                }))
            })
        });

    let header = base
        .and(warp::path("headers"))
        .and(block_id())
        .and(warp::path::end())
        .and(with_ctx.clone())
        .and_then(|id: BlockId, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let chain = ctx.chain()?;
                let root = id.root(&chain)?;
                Ok(ChainData::new(header_data(&chain, root)?))
            })
        });

    let headers = base
        .and(warp::path!("headers"))
        .and(warp::query::<HeadersQuery>())
        .and(with_ctx.clone())
        .and_then(|query: HeadersQuery, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let chain = ctx.chain()?;
                let slot = query
                    .slot
                    .map(|s| {
                        s.parse::<u64>()
                            .map_err(|_| ApiError::bad_request(format!("invalid slot: {s}")))
                    })
                    .transpose()?;
                let parent_root = query
                    .parent_root
                    .map(|r| {
                        r.parse::<Hash256>()
                            .map_err(|_| ApiError::bad_request(format!("invalid parent_root: {r}")))
                    })
                    .transpose()?;
                let roots: Vec<Hash256> = if slot.is_none() && parent_root.is_none() {
                    vec![chain.head_block_root()]
                } else {
                    let fc = chain.fork_choice();
                    let nodes = fc.proto_array().nodes();
                    nodes
                        .iter()
                        .filter(|n| slot.is_none_or(|s| n.slot == s))
                        .filter(|n| {
                            parent_root.is_none_or(|p| {
                                n.parent
                                    .and_then(|i| nodes.get(i))
                                    .map(|parent| parent.root)
                                    == Some(p)
                            })
                        })
                        .map(|n| n.root)
                        .collect()
                };
                let mut roots = roots;
                // Finalized history has left fork choice: the canonical block still counts.
                if let (Some(slot), None) = (slot, parent_root) {
                    if let Some((root, true)) = crate::ids::canonical_block_root(&chain, slot)? {
                        if !roots.contains(&root) {
                            roots.push(root);
                        }
                    }
                }
                let mut data = Vec::new();
                for root in roots {
                    data.push(header_data(&chain, root)?);
                }
                Ok(ChainData::new(data))
            })
        });

    let blocks = base.and(warp::path("blocks")).and(block_id());
    // v1 answers `{data}`, v2 `{version, execution_optimistic, data}`.
    let block = warp::path!("eth" / String / "beacon" / "blocks" / ..)
        .and(warp::get())
        .and(block_id())
        .and(warp::path::end())
        .and(warp::header::optional::<String>("accept"))
        .and(with_ctx.clone())
        .and_then(
            |api_version: String, id: BlockId, accept: Option<String>, ctx: Arc<Context<E>>| async move {
                let v2 = crate::debug::is_v2(&api_version)?;
                let reply = tokio::task::spawn_blocking(
                    move || -> Result<warp::reply::Response, ApiError> {
                        use warp::Reply;
                        let (_, block) = id.block(&*ctx.chain()?)?;
                        let ssz = crate::debug::wants_ssz(accept.as_deref());
                        Ok(match (ssz, v2) {
                            (true, false) => {
                                crate::debug::ssz_reply(ssz::Encode::as_ssz_bytes(&block))
                            }
                            (true, true) => {
                                crate::debug::versioned_ssz_reply(ssz::Encode::as_ssz_bytes(&block))
                            }
                            (false, false) => {
                                warp::reply::json(&Data { data: block }).into_response()
                            }
                            (false, true) => {
                                warp::reply::json(&VersionedData::phase0(block)).into_response()
                            }
                        })
                    },
                )
                .await
                .map_err(|e| warp::reject::custom(ApiError::server_error(e.to_string())))?;
                reply.map_err(warp::reject::custom)
            },
        );
    let block_root = blocks
        .clone()
        .and(warp::path!("root"))
        .and(with_ctx.clone())
        .and_then(|id: BlockId, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let (root, _) = id.block(&*ctx.chain()?)?;
                Ok(ChainData::new(RootData { root }))
            })
        });
    let block_attestations = blocks
        .and(warp::path!("attestations"))
        .and(with_ctx)
        .and_then(|id: BlockId, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let (_, block) = id.block(&*ctx.chain()?)?;
                Ok(ChainData::new(block.message.body.attestations.to_vec()))
            })
        });

    genesis
        .or(headers)
        .or(state_root)
        .or(state_fork)
        .or(finality)
        .or(header)
        .or(block)
        .or(block_root)
        .or(block_attestations)
}
