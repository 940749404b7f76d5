//! `operations` runner (`tests/formats/operations`): one block operation applied to `pre.ssz`
//! with its `process_*` function; the result must be `post.ssz`, or, when the case has no post
//! state, the operation must be rejected.
//!
//! `meta.yaml`'s `bls_setting` picks the signature mode: 0/absent and 1 verify each signature as
//! it is met, 2 verifies none.

use super::{compare_states, BlsSetting};
use crate::files::CaseDir;
use anyhow::{bail, Result};
use serde::Deserialize;
use state_processing::per_block_processing::{
    process_attestation, process_attester_slashing, process_block_header, process_deposit,
    process_proposer_slashing, process_voluntary_exit, BlockProcessingError, VerifySignatures,
};
use types::{
    Attestation, AttesterSlashing, BeaconBlock, BeaconState, ChainSpec, Deposit, EthSpec,
    ProposerSlashing, SignedVoluntaryExit,
};

/// The handlers of this runner, with the name of each one's operation file.
const OPERATION_FILES: &[(&str, &str)] = &[
    ("attestation", "attestation"),
    ("attester_slashing", "attester_slashing"),
    ("block_header", "block"),
    ("deposit", "deposit"),
    ("proposer_slashing", "proposer_slashing"),
    ("voluntary_exit", "voluntary_exit"),
];

/// The handlers of this runner.
pub const HANDLERS: &[&str] = &[
    "attestation",
    "attester_slashing",
    "block_header",
    "deposit",
    "proposer_slashing",
    "voluntary_exit",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    bls_setting: Option<u64>,
}

fn apply<E: EthSpec>(
    handler: &str,
    file: &str,
    dir: &CaseDir,
    state: &mut BeaconState<E>,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<Result<(), BlockProcessingError>> {
    Ok(match handler {
        "attestation" => {
            let op: Attestation<E> = dir.ssz(file)?;
            process_attestation(state, &op, verify, spec)
        }
        "attester_slashing" => {
            let op: AttesterSlashing<E> = dir.ssz(file)?;
            process_attester_slashing(state, &op, verify, spec)
        }
        "block_header" => {
            let block: BeaconBlock<E> = dir.ssz(file)?;
            process_block_header(state, &block, spec)
        }
        "deposit" => {
            // A deposit's signature is part of its validity (an invalid one is skipped, not an
            // error), so it is always checked whatever bls_setting says.
            let op: Deposit = dir.ssz(file)?;
            process_deposit(state, &op, spec)
        }
        "proposer_slashing" => {
            let op: ProposerSlashing = dir.ssz(file)?;
            process_proposer_slashing(state, &op, verify, spec)
        }
        "voluntary_exit" => {
            let op: SignedVoluntaryExit = dir.ssz(file)?;
            process_voluntary_exit(state, &op, verify, spec)
        }
        other => bail!("unknown operations handler {other}"),
    })
}

/// Run one case of `handler`.
pub fn run<E: EthSpec>(handler: &str, dir: &CaseDir, spec: &ChainSpec) -> Result<()> {
    let Some(&(_, file)) = OPERATION_FILES.iter().find(|(h, _)| *h == handler) else {
        bail!("unknown operations handler {handler}");
    };
    let meta: Meta = dir.yaml_opt("meta")?.unwrap_or_default();
    let verify = if BlsSetting::from_meta(meta.bls_setting)?.verify() {
        VerifySignatures::Individually
    } else {
        VerifySignatures::None
    };
    let mut state: BeaconState<E> = dir.ssz("pre")?;
    let post: Option<BeaconState<E>> = dir.ssz_opt("post")?;
    let result = apply(handler, file, dir, &mut state, verify, spec)?;
    match (result, post) {
        (Ok(()), Some(post)) => compare_states("post-state", &state, &post),
        (Err(e), Some(_)) => bail!("process_{handler} rejected a valid operation: {e}"),
        (Ok(()), None) => {
            bail!("process_{handler} accepted an operation the case expects to be rejected")
        }
        (Err(_), None) => Ok(()),
    }
}
