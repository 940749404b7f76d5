//! `/eth/v1/config/*`: the spec's values, the fork schedule, the deposit contract.

use crate::beacon::Data;
use crate::{blocking_json, Context};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use types::{EthSpec, Fork};
use warp::Filter;

#[derive(Serialize)]
struct DepositContract {
    #[serde(with = "serde_utils::quoted_u64")]
    chain_id: u64,
    address: String,
}

/// The routes of this module.
pub fn routes<E: EthSpec>(
    ctx: Arc<Context<E>>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let with_ctx = warp::any().map(move || ctx.clone());
    let base = warp::path!("eth" / "v1" / "config" / ..).and(warp::get());

    let spec = base
        .and(warp::path!("spec"))
        .and(with_ctx.clone())
        .and_then(|ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let chain = ctx.chain()?;
                let data: BTreeMap<&str, String> = eth2_config::config_values(&chain.spec)
                    .into_iter()
                    .collect();
                Ok(Data { data })
            })
        });
    // Phase 0 has one fork: genesis.
    let fork_schedule = base
        .and(warp::path!("fork_schedule"))
        .and(with_ctx.clone())
        .and_then(|ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let chain = ctx.chain()?;
                let version = chain.spec.genesis_fork_version;
                Ok(Data {
                    data: vec![Fork {
                        previous_version: version,
                        current_version: version,
                        epoch: 0,
                    }],
                })
            })
        });
    let deposit_contract = base
        .and(warp::path!("deposit_contract"))
        .and(with_ctx)
        .and_then(|ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let chain = ctx.chain()?;
                let address: String = chain
                    .spec
                    .deposit_contract_address
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                Ok(Data {
                    data: DepositContract {
                        chain_id: chain.spec.deposit_chain_id,
                        address: format!("0x{address}"),
                    },
                })
            })
        });
    spec.or(fork_schedule).or(deposit_contract)
}
