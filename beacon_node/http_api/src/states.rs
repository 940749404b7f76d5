//! State reads beyond roots: validators with their status, balances, committees.

use crate::beacon::ChainData;
use crate::error::ApiError;
use crate::ids::StateId;
use crate::{blocking_json, Context};
use eth2_api_types::ValidatorData;
use serde::{Deserialize, Serialize};
use state_processing::helpers::accessors::committee_cache;
use state_processing::helpers::FAR_FUTURE_EPOCH;
use std::sync::Arc;
use types::{BeaconState, Epoch, EthSpec, PublicKeyBytes, Validator};
use warp::Filter;

/// A validator's status (beacon-APIs, "ValidatorStatus").
pub fn validator_status(validator: &Validator, balance: u64, epoch: Epoch) -> &'static str {
    if validator.activation_epoch > epoch {
        if validator.activation_eligibility_epoch == FAR_FUTURE_EPOCH {
            "pending_initialized"
        } else {
            "pending_queued"
        }
    } else if epoch < validator.exit_epoch {
        if validator.exit_epoch == FAR_FUTURE_EPOCH {
            "active_ongoing"
        } else if validator.slashed {
            "active_slashed"
        } else {
            "active_exiting"
        }
    } else if epoch < validator.withdrawable_epoch {
        if validator.slashed {
            "exited_slashed"
        } else {
            "exited_unslashed"
        }
    } else if balance != 0 {
        "withdrawal_possible"
    } else {
        "withdrawal_done"
    }
}

/// The broad statuses a filter may also name.
fn status_matches(status: &str, filter: &str) -> bool {
    status == filter || status.starts_with(&format!("{filter}_"))
}

#[derive(Serialize)]
struct BalanceData {
    #[serde(with = "serde_utils::quoted_u64")]
    index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    balance: u64,
}

#[derive(Serialize)]
struct CommitteeData {
    #[serde(with = "serde_utils::quoted_u64")]
    index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    slot: u64,
    #[serde(with = "serde_utils::quoted_u64_vec")]
    validators: Vec<u64>,
}

/// `id` and `status` filters. The schema gives these array parameters no `style`, so the
/// OpenAPI default applies (repeated keys: `id=1&id=2`); many clients send one
/// comma-separated value (`id=1,2`). Both, and any mix, are accepted.
#[derive(Default)]
struct IdQuery {
    /// None: no `id` parameter (every validator).
    ids: Option<Vec<String>>,
    statuses: Vec<String>,
}

fn id_query() -> impl Filter<Extract = (IdQuery,), Error = warp::Rejection> + Clone {
    warp::query::<Vec<(String, String)>>().map(|pairs: Vec<(String, String)>| {
        let mut query = IdQuery::default();
        let split = |value: &str| -> Vec<String> {
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        for (key, value) in pairs {
            match key.as_str() {
                "id" => query.ids.get_or_insert_with(Vec::new).extend(split(&value)),
                "status" => query.statuses.extend(split(&value)),
                _ => {}
            }
        }
        query
    })
}

#[derive(Deserialize, Default)]
struct CommitteeQuery {
    epoch: Option<String>,
    index: Option<String>,
    slot: Option<String>,
}

/// A validator id: an index or a 0x public key.
fn resolve_validator<E: EthSpec>(
    state: &BeaconState<E>,
    id: &str,
) -> Result<Option<u64>, ApiError> {
    if id.starts_with("0x") {
        let pubkey: PublicKeyBytes = id
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid validator id: {id}")))?;
        Ok(state
            .validators
            .iter()
            .position(|v| v.pubkey == pubkey)
            .map(|i| i as u64))
    } else {
        let index: u64 = id
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid validator id: {id}")))?;
        Ok(((index as usize) < state.validators.len()).then_some(index))
    }
}

/// The indices the `id` list names (unknown ones skipped), or all.
fn selected<E: EthSpec>(
    state: &BeaconState<E>,
    ids: Option<&[String]>,
) -> Result<Vec<u64>, ApiError> {
    match ids {
        None => Ok((0..state.validators.len() as u64).collect()),
        Some(list) => {
            let mut out = Vec::new();
            for id in list {
                if let Some(index) = resolve_validator(state, id)? {
                    out.push(index);
                }
            }
            Ok(out)
        }
    }
}

fn validator_data<E: EthSpec>(state: &BeaconState<E>, index: u64) -> Option<ValidatorData> {
    let validator = state.validators.get(index as usize)?.clone();
    let balance = *state.balances.get(index as usize)?;
    Some(ValidatorData {
        index,
        balance,
        status: validator_status(&validator, balance, state.current_epoch()).to_string(),
        validator,
    })
}

fn parse_opt(value: Option<&String>, what: &str) -> Result<Option<u64>, ApiError> {
    value
        .map(|v| {
            v.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid {what}: {v}")))
        })
        .transpose()
}

/// The routes of this module.
pub fn routes<E: EthSpec>(
    ctx: Arc<Context<E>>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let with_ctx = warp::any().map(move || ctx.clone());
    let states = warp::path!("eth" / "v1" / "beacon" / "states" / ..)
        .and(warp::get())
        .and(
            warp::path::param::<String>().and_then(|s: String| async move {
                s.parse::<StateId>().map_err(warp::reject::custom)
            }),
        );

    let validators = states
        .and(warp::path!("validators"))
        .and(id_query())
        .and(with_ctx.clone())
        .and_then(|id: StateId, query: IdQuery, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let (_, state) = id.state(&*ctx.chain()?)?;
                let statuses = query.statuses;
                let data: Vec<ValidatorData> = selected(&state, query.ids.as_deref())?
                    .into_iter()
                    .filter_map(|i| validator_data(&state, i))
                    .filter(|v| {
                        statuses.is_empty() || statuses.iter().any(|s| status_matches(&v.status, s))
                    })
                    .collect();
                Ok(ChainData::new(data))
            })
        });

    let one_validator = states
        .and(warp::path!("validators" / String))
        .and(with_ctx.clone())
        .and_then(|id: StateId, validator_id: String, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let (_, state) = id.state(&*ctx.chain()?)?;
                let index = resolve_validator(&state, &validator_id)?.ok_or_else(|| {
                    ApiError::not_found(format!("validator {validator_id} not found"))
                })?;
                let data = validator_data(&state, index).ok_or_else(|| {
                    ApiError::not_found(format!("validator {validator_id} not found"))
                })?;
                Ok(ChainData::new(data))
            })
        });

    let balances = states
        .and(warp::path!("validator_balances"))
        .and(id_query())
        .and(with_ctx.clone())
        .and_then(|id: StateId, query: IdQuery, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                // v1 defines no 404 for this operation: an unknown state is a bad request.
                let (_, state) = id
                    .state(&*ctx.chain()?)
                    .map_err(ApiError::not_found_as_bad_request)?;
                let data: Vec<BalanceData> = selected(&state, query.ids.as_deref())?
                    .into_iter()
                    .filter_map(|index| {
                        state
                            .balances
                            .get(index as usize)
                            .map(|&balance| BalanceData { index, balance })
                    })
                    .collect();
                Ok(ChainData::new(data))
            })
        });

    let committees = states
        .and(warp::path!("committees"))
        .and(warp::query::<CommitteeQuery>())
        .and(with_ctx)
        .and_then(|id: StateId, query: CommitteeQuery, ctx: Arc<Context<E>>| {
            blocking_json(move || {
                let chain = ctx.chain()?;
                let (_, state) = id.state(&*chain)?;
                let epoch =
                    parse_opt(query.epoch.as_ref(), "epoch")?.unwrap_or(state.current_epoch());
                let index = parse_opt(query.index.as_ref(), "index")?;
                let slot = parse_opt(query.slot.as_ref(), "slot")?;
                let cache = committee_cache(&state, epoch, &chain.spec).map_err(|_| {
                    ApiError::bad_request(format!(
                        "epoch {epoch} is not the previous, current or next epoch of the state"
                    ))
                })?;
                let start = epoch * E::slots_per_epoch();
                let mut data = Vec::new();
                for s in start..start + E::slots_per_epoch() {
                    if slot.is_some_and(|want| want != s) {
                        continue;
                    }
                    for i in 0..cache.committees_per_slot() {
                        if index.is_some_and(|want| want != i) {
                            continue;
                        }
                        if let Some(committee) = cache.get_beacon_committee(s, i) {
                            data.push(CommitteeData {
                                index: i,
                                slot: s,
                                validators: committee.to_vec(),
                            });
                        }
                    }
                }
                Ok(ChainData::new(data))
            })
        });

    validators.or(one_validator).or(balances).or(committees)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_lifecycle() {
        let mut v = Validator {
            activation_eligibility_epoch: FAR_FUTURE_EPOCH,
            activation_epoch: FAR_FUTURE_EPOCH,
            exit_epoch: FAR_FUTURE_EPOCH,
            withdrawable_epoch: FAR_FUTURE_EPOCH,
            ..Default::default()
        };
        assert_eq!(validator_status(&v, 1, 5), "pending_initialized");
        v.activation_eligibility_epoch = 3;
        v.activation_epoch = 7;
        assert_eq!(validator_status(&v, 1, 5), "pending_queued");
        assert_eq!(validator_status(&v, 1, 7), "active_ongoing");
        v.exit_epoch = 10;
        v.withdrawable_epoch = 20;
        assert_eq!(validator_status(&v, 1, 8), "active_exiting");
        v.slashed = true;
        assert_eq!(validator_status(&v, 1, 8), "active_slashed");
        assert_eq!(validator_status(&v, 1, 12), "exited_slashed");
        assert_eq!(validator_status(&v, 1, 20), "withdrawal_possible");
        assert_eq!(validator_status(&v, 0, 20), "withdrawal_done");
        assert!(status_matches("active_ongoing", "active"));
        assert!(!status_matches("active_ongoing", "exited"));
    }
}
