//! One module per runner of the vector format (`tests/formats/<runner>` of consensus-specs).
//!
//! Each runner module exposes a `run` function taking the case directory and returning
//! `Ok(())` when the case passes; any difference from the expectation, any file that cannot be
//! read or decoded, is an `Err` with a message.

pub mod bls;
pub mod epoch_processing;
pub mod genesis;
pub mod operations;
pub mod rewards;
pub mod sanity;
pub mod shuffling;
pub mod ssz_generic;
pub mod ssz_static;

use crate::context::{check_eth_spec, PresetContext};
use crate::discovery::Case;
use crate::files::CaseDir;
use anyhow::{bail, Result};
use types::EthSpec;

/// The runners and their handlers (`ssz_static`'s handlers are its type names).
const RUNNERS: &[(&str, &[&str])] = &[
    ("bls", bls::HANDLERS),
    ("epoch_processing", epoch_processing::HANDLERS),
    ("finality", &["finality"]),
    ("genesis", genesis::HANDLERS),
    ("operations", operations::HANDLERS),
    ("rewards", rewards::HANDLERS),
    ("sanity", sanity::HANDLERS),
    ("shuffling", &["core"]),
    ("ssz_generic", ssz_generic::HANDLERS),
    ("ssz_static", ssz_static::TYPE_NAMES),
];

/// Whether `runner` is a runner this crate implements.
pub fn known_runner(runner: &str) -> bool {
    RUNNERS.iter().any(|(r, _)| *r == runner)
}

/// Whether `handler` of `runner` is implemented.
pub fn known_handler(runner: &str, handler: &str) -> bool {
    RUNNERS
        .iter()
        .any(|(r, handlers)| *r == runner && handlers.contains(&handler))
}

/// Whether the suite directory name is acceptable for `runner`.
pub fn check_suite_dir(runner: &str, suite_dir: &str) -> Result<(), String> {
    if runner == "ssz_generic" && suite_dir != "valid" && suite_dir != "invalid" {
        return Err(format!(
            "unknown ssz_generic suite {suite_dir:?} (known: valid, invalid)"
        ));
    }
    Ok(())
}

/// Whether a case can be run at all (its name names a type the runner knows); checked at
/// discovery so that `--list-unknown` sees it without running anything.
pub fn recognise(runner: &str, handler: &str, _suite_dir: &str, case: &str) -> Result<(), String> {
    if runner == "ssz_generic" {
        ssz_generic::recognise(handler, case)?;
    }
    Ok(())
}

/// Run one case with the preset `E`, then fail it if a file of the case went unread.
pub fn run_case<E: EthSpec>(ctx: &PresetContext, case: &Case) -> Result<()> {
    check_eth_spec::<E>(ctx)?;
    let dir = CaseDir::new(&case.path);
    let handler = case.key.handler.as_str();
    let spec = &ctx.spec;
    match case.key.runner.as_str() {
        "bls" => bls::run(handler, &dir)?,
        "epoch_processing" => epoch_processing::run::<E>(handler, &dir, spec)?,
        "finality" => sanity::run_blocks::<E>(&dir, spec)?,
        "genesis" => genesis::run::<E>(handler, &dir, spec)?,
        "operations" => operations::run::<E>(handler, &dir, spec)?,
        "rewards" => rewards::run::<E>(&dir, spec)?,
        "sanity" => sanity::run::<E>(handler, &dir, spec)?,
        "shuffling" => shuffling::run(&dir, spec)?,
        "ssz_generic" => ssz_generic::run(handler, &case.suite_dir, &dir)?,
        "ssz_static" => ssz_static::run::<E>(handler, &dir)?,
        other => bail!("unknown runner {other}"),
    }
    let unread = dir.unread_files()?;
    if !unread.is_empty() {
        bail!(
            "the case passed but left files unchecked: {}",
            unread.join(", ")
        );
    }
    Ok(())
}

/// `meta.yaml`'s `bls_setting`: 0 or absent = verify if the implementation wants,
/// 1 = signatures must be verified, 2 = signatures must not be verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlsSetting {
    /// 0 or absent.
    Optional,
    /// 1.
    Required,
    /// 2.
    Ignored,
}

impl BlsSetting {
    /// From the YAML value.
    pub fn from_meta(value: Option<u64>) -> Result<Self> {
        Ok(match value {
            None | Some(0) => BlsSetting::Optional,
            Some(1) => BlsSetting::Required,
            Some(2) => BlsSetting::Ignored,
            Some(other) => bail!("meta.yaml: unknown bls_setting {other}"),
        })
    }

    /// Whether signatures are to be checked.
    pub fn verify(self) -> bool {
        self != BlsSetting::Ignored
    }
}

/// Compare two states and describe the first differing fields.
pub fn compare_states<E: EthSpec>(
    what: &str,
    actual: &types::BeaconState<E>,
    expected: &types::BeaconState<E>,
) -> Result<()> {
    if actual == expected {
        return Ok(());
    }
    bail!("{what}: {}", crate::diff::state_diff(actual, expected))
}
