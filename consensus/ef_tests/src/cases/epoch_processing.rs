//! `epoch_processing` runner (`tests/formats/epoch_processing`): one `process_*` step of
//! `process_epoch` on `pre.ssz`; the result must be `post.ssz`, or, when the case has no post
//! state, the step must fail.

use super::compare_states;
use crate::files::CaseDir;
use anyhow::{bail, Result};
use state_processing::per_epoch_processing::{
    process_final_updates, process_justification_and_finalization, process_registry_updates,
    process_rewards_and_penalties, process_slashings, EpochProcessingError,
};
use types::{BeaconState, ChainSpec, EthSpec};

/// The handlers of this runner (the spec's sub-steps of `process_epoch`, v0.12 / v1.0 names).
pub const HANDLERS: &[&str] = &[
    "final_updates",
    "justification_and_finalization",
    "registry_updates",
    "rewards_and_penalties",
    "slashings",
];

fn apply<E: EthSpec>(
    handler: &str,
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Result<(), EpochProcessingError>> {
    Ok(match handler {
        "justification_and_finalization" => process_justification_and_finalization(state, spec),
        "rewards_and_penalties" => process_rewards_and_penalties(state, spec),
        "registry_updates" => process_registry_updates(state, spec),
        "slashings" => process_slashings(state, spec),
        "final_updates" => process_final_updates(state, spec),
        other => bail!("unknown epoch_processing handler {other}"),
    })
}

/// Run one case of `handler`.
pub fn run<E: EthSpec>(handler: &str, dir: &CaseDir, spec: &ChainSpec) -> Result<()> {
    let mut state: BeaconState<E> = dir.ssz("pre")?;
    let post: Option<BeaconState<E>> = dir.ssz_opt("post")?;
    let result = apply(handler, &mut state, spec)?;
    match (result, post) {
        (Ok(()), Some(post)) => compare_states("post-state", &state, &post),
        (Err(e), Some(_)) => bail!("process_{handler} failed: {e}"),
        (Ok(()), None) => bail!("process_{handler} succeeded, but the case expects it to fail"),
        (Err(_), None) => Ok(()),
    }
}
