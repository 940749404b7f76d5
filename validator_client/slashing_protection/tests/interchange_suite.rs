//! The EIP-3076 interchange test suite (v5.3.0, 38 cases) from ../shared, with the minimal
//! strategy's expectations (`should_succeed`).

use serde::Deserialize;
use slashing_protection::{Interchange, SlashingDatabase};
use std::path::PathBuf;
use types::{Epoch, Hash256, PublicKeyBytes, Slot};

#[derive(Deserialize)]
struct Case {
    name: String,
    genesis_validators_root: Hash256,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    should_succeed: bool,
    contains_slashable_data: bool,
    interchange: serde_json::Value,
    blocks: Vec<BlockCheck>,
    attestations: Vec<AttestationCheck>,
}

#[derive(Deserialize)]
struct BlockCheck {
    pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    slot: Slot,
    signing_root: Option<Hash256>,
    should_succeed: bool,
}

#[derive(Deserialize)]
struct AttestationCheck {
    pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    source_epoch: Epoch,
    #[serde(with = "serde_utils::quoted_u64")]
    target_epoch: Epoch,
    signing_root: Option<Hash256>,
    should_succeed: bool,
}

fn suite_dir() -> PathBuf {
    std::env::var("SLASHING_PROTECTION_TESTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/slashing-protection-interchange-tests/tests/generated")
        })
}

#[test]
fn all_38_interchange_cases_pass() {
    let dir = suite_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the interchange suite is missing at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for file in &files {
        let case: Case = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        if let Err(why) = run_case(&case) {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    println!("interchange cases run: {}", files.len());
    assert!(failures.is_empty(), "failed:\n{}", failures.join("\n"));
    assert_eq!(files.len(), 38, "the v5.3.0 suite has 38 cases");
}

fn run_case(case: &Case) -> Result<(), String> {
    let db = SlashingDatabase::open_in_memory(case.genesis_validators_root)
        .map_err(|e| e.to_string())?;
    for (i, step) in case.steps.iter().enumerate() {
        let imported = serde_json::from_value::<Interchange>(step.interchange.clone())
            .map_err(|e| e.to_string())
            .and_then(|ic| db.import_interchange(&ic).map_err(|e| e.to_string()));
        match (imported, step.should_succeed) {
            (Ok(_), true) => {}
            (Err(_), false) => continue,
            (Ok(_), false) => return Err(format!("step {i}: import should have failed")),
            (Err(e), true) => {
                if step.contains_slashable_data {
                    // Allowed to refuse; then the rest is skipped.
                    return Ok(());
                }
                return Err(format!("step {i}: import failed: {e}"));
            }
        }
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
        }
    }
    Ok(())
}
