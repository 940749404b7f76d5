//! The EIP-3076 interchange test suite (v5.3.0, 38 cases) from ../shared (or
//! `SLASHING_PROTECTION_TESTS_DIR`), with the minimal strategy's expectations
//! (`should_succeed`).

use serde::Deserialize;
use slashing_protection::SlashingDatabase;
use std::path::PathBuf;
use types::{Epoch, Hash256, PublicKeyBytes, Slot};

/// The number of cases in the suite.
const EXPECTED_CASES: usize = 38;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    genesis_validators_root: Hash256,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    should_succeed: bool,
    contains_slashable_data: bool,
    interchange: serde_json::Value,
    blocks: Vec<BlockCheck>,
    attestations: Vec<AttestationCheck>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockCheck {
    pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    slot: Slot,
    signing_root: Option<Hash256>,
    should_succeed: bool,
    #[allow(dead_code)]
    should_succeed_complete: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttestationCheck {
    pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    source_epoch: Epoch,
    #[serde(with = "serde_utils::quoted_u64")]
    target_epoch: Epoch,
    signing_root: Option<Hash256>,
    should_succeed: bool,
    #[allow(dead_code)]
    should_succeed_complete: bool,
}

/// What running a case amounted to.
#[derive(Default)]
struct Tally {
    steps: usize,
    checks: usize,
}

fn suite_dir() -> PathBuf {
    std::env::var_os("SLASHING_PROTECTION_TESTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/slashing-protection-interchange-tests/tests/generated"
            ))
        })
}

#[test]
fn all_38_interchange_cases_pass() {
    let dir = suite_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the interchange suite is missing at {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let (mut failures, mut passed, mut total) = (Vec::new(), 0, Tally::default());
    for file in &files {
        let json = std::fs::read_to_string(file).expect("readable case");
        let case: Case = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{} is not a test case: {e}", file.display()));
        match run_case(&case) {
            Ok(tally) => {
                passed += 1;
                total.steps += tally.steps;
                total.checks += tally.checks;
            }
            Err(why) => failures.push(format!("{}: {why}", case.name)),
        }
    }
    println!(
        "interchange cases: {} run, {passed} passed ({} steps, {} signing checks)",
        files.len(),
        total.steps,
        total.checks
    );
    assert!(failures.is_empty(), "failed:\n{}", failures.join("\n"));
    assert_eq!(
        files.len(),
        EXPECTED_CASES,
        "cases found in {}",
        dir.display()
    );
}

/// Run one case on a fresh database. This implementation imports every interchange the
/// README allows it to (it minifies slashable data rather than refusing it), so every step
/// and every check of every case runs.
fn run_case(case: &Case) -> Result<Tally, String> {
    let db = SlashingDatabase::open_in_memory(case.genesis_validators_root)
        .map_err(|e| e.to_string())?;
    let mut tally = Tally::default();
    for (i, step) in case.steps.iter().enumerate() {
        let json = step.interchange.to_string();
        let imported = db.import_interchange_json(&json, case.genesis_validators_root);
        match (&imported, step.should_succeed) {
            (Ok(_), true) | (Err(_), false) => {}
            (Ok(_), false) => return Err(format!("step {i}: import should have failed")),
            (Err(e), true) => {
                let slashable = if step.contains_slashable_data {
                    " (refusing slashable data is allowed, but this client minifies it)"
                } else {
                    ""
                };
                return Err(format!("step {i}: import failed{slashable}: {e}"));
            }
        }
        tally.steps += 1;
        for (j, b) in step.blocks.iter().enumerate() {
            db.register_validator(&b.pubkey)
                .map_err(|e| e.to_string())?;
            let outcome = db.check_and_insert_block_proposal(
                &b.pubkey,
                b.slot,
                b.signing_root.unwrap_or_default(),
            );
            if outcome.is_ok() != b.should_succeed {
                return Err(format!(
                    "step {i} block {j} (slot {}): got {outcome:?}",
                    b.slot
                ));
            }
            tally.checks += 1;
        }
        for (j, a) in step.attestations.iter().enumerate() {
            db.register_validator(&a.pubkey)
                .map_err(|e| e.to_string())?;
            let outcome = db.check_and_insert_attestation(
                &a.pubkey,
                a.source_epoch,
                a.target_epoch,
                a.signing_root.unwrap_or_default(),
            );
            if outcome.is_ok() != a.should_succeed {
                return Err(format!(
                    "step {i} attestation {j} ({}, {}): got {outcome:?}",
                    a.source_epoch, a.target_epoch
                ));
            }
            tally.checks += 1;
        }
    }
    Ok(tally)
}
