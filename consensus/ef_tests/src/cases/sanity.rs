//! `sanity` runner (`tests/formats/sanity`) and `finality` (same format as `sanity/blocks`).
//!
//! `blocks`: `meta.yaml`'s `blocks_count` signed blocks `blocks_<i>.ssz` applied to `pre.ssz`
//! with `state_transition` (state-root validation on, signatures batched per block, or none when
//! `bls_setting` is 2); the result must be `post.ssz`, or, without a post state, some block must
//! be rejected. `slots`: `slots.yaml` empty slots processed on `pre.ssz`, giving `post.ssz`.

use super::{compare_states, BlsSetting};
use crate::files::CaseDir;
use anyhow::{anyhow, bail, Result};
use serde::Deserialize;
use state_processing::per_block_processing::VerifySignatures;
use state_processing::{process_slots, state_transition};
use types::{BeaconState, ChainSpec, EthSpec, SignedBeaconBlock};

/// The handlers of this runner.
pub const HANDLERS: &[&str] = &["blocks", "slots"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlocksMeta {
    blocks_count: Option<usize>,
    bls_setting: Option<u64>,
    /// A phase 1 (custody game) setting with no meaning in phase 0.
    #[allow(dead_code)]
    reveal_deadlines_setting: Option<u64>,
}

/// Run one case of `handler`.
pub fn run<E: EthSpec>(handler: &str, dir: &CaseDir, spec: &ChainSpec) -> Result<()> {
    match handler {
        "blocks" => run_blocks::<E>(dir, spec),
        "slots" => run_slots::<E>(dir, spec),
        other => bail!("unknown sanity handler {other}"),
    }
}

/// A `sanity/blocks` or `finality` case.
pub fn run_blocks<E: EthSpec>(dir: &CaseDir, spec: &ChainSpec) -> Result<()> {
    let meta: BlocksMeta = dir.yaml_opt("meta")?.unwrap_or_default();
    let count = meta
        .blocks_count
        .ok_or_else(|| anyhow!("meta.yaml has no blocks_count"))?;
    let verify = if BlsSetting::from_meta(meta.bls_setting)?.verify() {
        VerifySignatures::Batch
    } else {
        VerifySignatures::None
    };
    if dir.has_ssz(&format!("blocks_{count}")) {
        bail!("malformed case: blocks_{count} exists but blocks_count is {count}");
    }
    let mut state: BeaconState<E> = dir.ssz("pre")?;
    let post: Option<BeaconState<E>> = dir.ssz_opt("post")?;

    let mut rejected = None;
    for i in 0..count {
        let block: SignedBeaconBlock<E> = dir.ssz(&format!("blocks_{i}"))?;
        if let Err(e) = state_transition(&mut state, &block, verify, true, spec) {
            rejected = Some((i, block.message.slot, e));
            break;
        }
    }
    match (rejected, post) {
        (None, Some(post)) => compare_states("post-state", &state, &post),
        (Some((i, slot, e)), Some(_)) => bail!("block {i} (slot {slot}) rejected: {e}"),
        (None, None) => bail!("all {count} blocks were accepted, but the case expects a rejection"),
        (Some((i, ..)), None) => {
            // The remaining blocks are never applied; they still belong to the case.
            for j in i + 1..count {
                dir.ssz::<SignedBeaconBlock<E>>(&format!("blocks_{j}"))?;
            }
            Ok(())
        }
    }
}

/// A `sanity/slots` case.
fn run_slots<E: EthSpec>(dir: &CaseDir, spec: &ChainSpec) -> Result<()> {
    let mut state: BeaconState<E> = dir.ssz("pre")?;
    let slots: u64 = dir.yaml("slots")?;
    // Some cases also carry the count as SSZ (a uint64); when present it must agree.
    if let Some(ssz_slots) = dir.ssz_opt::<u64>("slots")? {
        if ssz_slots != slots {
            bail!("malformed case: slots.yaml says {slots}, slots.ssz says {ssz_slots}");
        }
    }
    let post: Option<BeaconState<E>> = dir.ssz_opt("post")?;
    let target = state
        .slot
        .checked_add(slots)
        .ok_or_else(|| anyhow!("slot overflow"))?;
    let result = process_slots(&mut state, target, spec);
    match (result, post) {
        (Ok(()), Some(post)) => compare_states("post-state", &state, &post),
        (Err(e), Some(_)) => bail!("process_slots to {target} failed: {e}"),
        (Ok(()), None) => bail!("process_slots succeeded, but the case has no post state"),
        (Err(_), None) => Ok(()),
    }
}
