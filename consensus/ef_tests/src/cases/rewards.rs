//! `rewards` runner (`tests/formats/rewards`): the five component deltas of
//! `get_attestation_deltas` on `pre.ssz`, each compared with its `*_deltas.ssz`, an SSZ container
//! `{rewards: List[Gwei, VALIDATOR_REGISTRY_LIMIT], penalties: List[Gwei, …]}`.

use crate::files::CaseDir;
use anyhow::{anyhow, bail, Result};
use ssz_derive::{Decode, Encode};
use state_processing::per_epoch_processing::{
    get_head_deltas, get_inactivity_penalty_deltas, get_inclusion_delay_deltas, get_source_deltas,
    get_target_deltas, Deltas, EpochProcessingError,
};
use types::{BeaconState, ChainSpec, EthSpec, Gwei, VariableList};

/// The handlers of this runner.
pub const HANDLERS: &[&str] = &["basic", "leak", "random"];

/// The SSZ form of a deltas file.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct DeltasFile<E: EthSpec> {
    /// Rewards per validator.
    pub rewards: VariableList<Gwei, E::ValidatorRegistryLimit>,
    /// Penalties per validator.
    pub penalties: VariableList<Gwei, E::ValidatorRegistryLimit>,
}

type DeltasFn<E> = fn(&BeaconState<E>, &ChainSpec) -> Result<Deltas, EpochProcessingError>;

fn first_difference(got: &[u64], expected: &[u64]) -> String {
    if got.len() != expected.len() {
        return format!("{} entries, expected {}", got.len(), expected.len());
    }
    match got.iter().zip(expected).position(|(a, b)| a != b) {
        Some(i) => format!(
            "validator {i}: got {}, expected {} ({} validators differ)",
            got[i],
            expected[i],
            got.iter().zip(expected).filter(|(a, b)| a != b).count()
        ),
        None => "no difference".to_string(),
    }
}

/// Run one case.
pub fn run<E: EthSpec>(dir: &CaseDir, spec: &ChainSpec) -> Result<()> {
    let state: BeaconState<E> = dir.ssz("pre")?;
    let components: [(&str, DeltasFn<E>); 5] = [
        ("source_deltas", get_source_deltas::<E>),
        ("target_deltas", get_target_deltas::<E>),
        ("head_deltas", get_head_deltas::<E>),
        ("inclusion_delay_deltas", get_inclusion_delay_deltas::<E>),
        (
            "inactivity_penalty_deltas",
            get_inactivity_penalty_deltas::<E>,
        ),
    ];
    let mut problems = Vec::new();
    for (name, f) in components {
        let expected: DeltasFile<E> = dir.ssz(name)?;
        let got = f(&state, spec).map_err(|e| anyhow!("get_{name} failed: {e}"))?;
        if got.rewards[..] != expected.rewards[..] {
            problems.push(format!(
                "{name}.rewards: {}",
                first_difference(&got.rewards, &expected.rewards)
            ));
        }
        if got.penalties[..] != expected.penalties[..] {
            problems.push(format!(
                "{name}.penalties: {}",
                first_difference(&got.penalties, &expected.penalties)
            ));
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("; "));
    }
    Ok(())
}
