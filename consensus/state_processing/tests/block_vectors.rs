//! The consensus-specs v1.0.1 minimal `operations` and `sanity/blocks` vectors, run against
//! `per_block_processing` (a development check; the conformance runner covers them officially).
//!
//! Operations run with each signature checked on its own and again with one batch per
//! operation (`bls_setting: 2` cases without signatures); sanity blocks run through
//! `state_transition` with `Individually` and with `Batch`, and the two must agree.

use ssz::{Decode, Encode};
use state_processing::per_block_processing::{
    process_attestation, process_attester_slashing, process_block_header, process_deposit,
    process_proposer_slashing, process_voluntary_exit, BlockProcessingError,
};
use state_processing::{state_transition, StateTransitionError, VerifySignatures};
use std::path::{Path, PathBuf};
use tree_hash::TreeHash;
use types::{
    Attestation, AttesterSlashing, BeaconBlock, BeaconState, ChainSpec, Deposit, MinimalEthSpec,
    ProposerSlashing, SignedBeaconBlock, SignedVoluntaryExit,
};

type E = MinimalEthSpec;
type State = BeaconState<E>;

mod common;
use common::vectors_root;

/// `meta.yaml`'s `bls_setting`: 0 or absent = either (we verify), 1 = must verify, 2 = must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlsSetting {
    Either,
    Required,
    Ignored,
}

fn bls_setting(case: &Path) -> BlsSetting {
    let meta = std::fs::read_to_string(case.join("meta.yaml")).unwrap_or_default();
    if meta.contains("bls_setting: 2") {
        BlsSetting::Ignored
    } else if meta.contains("bls_setting: 1") {
        BlsSetting::Required
    } else {
        BlsSetting::Either
    }
}

/// The verification modes a case runs under.
fn modes(setting: BlsSetting) -> &'static [VerifySignatures] {
    match setting {
        BlsSetting::Ignored => &[VerifySignatures::None],
        BlsSetting::Either | BlsSetting::Required => {
            &[VerifySignatures::Individually, VerifySignatures::Batch]
        }
    }
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn load<T: Decode>(path: &Path) -> Result<T, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    T::from_ssz_bytes(&bytes).map_err(|e| format!("{}: {e:?}", path.display()))
}

fn vectors_present() -> bool {
    if vectors_root().is_dir() {
        true
    } else {
        eprintln!(
            "skipping: {} is absent (the v1.0.1 minimal vectors are not cached)",
            vectors_root().display()
        );
        false
    }
}

/// Compare a result and post-state with the case's expectation (`post.ssz` absent = must fail).
fn check_outcome<Err: std::fmt::Display>(
    case: &Path,
    result: Result<(), Err>,
    state: &State,
) -> Result<(), String> {
    let post = case.join("post.ssz");
    if !post.exists() {
        return match result {
            Ok(()) => Err("succeeded but the case expects failure".into()),
            Err(e) => {
                if std::env::var_os("BLOCK_VECTORS_VERBOSE").is_some() {
                    eprintln!("{}: rejected as expected: {e}", case.display());
                }
                Ok(())
            }
        };
    }
    result.map_err(|e| format!("failed: {e}"))?;
    let expected: State = load(&post)?;
    if state.as_ssz_bytes() != expected.as_ssz_bytes() {
        return Err(format!(
            "post-state differs: root {} expected {}",
            state.tree_hash_root(),
            expected.tree_hash_root()
        ));
    }
    Ok(())
}

fn run_operation(
    handler: &str,
    case: &Path,
    state: &mut State,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<Result<(), BlockProcessingError>, String> {
    Ok(match handler {
        "attestation" => process_attestation(
            state,
            &load::<Attestation<E>>(&case.join("attestation.ssz"))?,
            verify,
            spec,
        ),
        "attester_slashing" => process_attester_slashing(
            state,
            &load::<AttesterSlashing<E>>(&case.join("attester_slashing.ssz"))?,
            verify,
            spec,
        ),
        "block_header" => process_block_header(
            state,
            &load::<BeaconBlock<E>>(&case.join("block.ssz"))?,
            spec,
        ),
        "deposit" => process_deposit(state, &load::<Deposit>(&case.join("deposit.ssz"))?, spec),
        "proposer_slashing" => process_proposer_slashing(
            state,
            &load::<ProposerSlashing>(&case.join("proposer_slashing.ssz"))?,
            verify,
            spec,
        ),
        "voluntary_exit" => process_voluntary_exit(
            state,
            &load::<SignedVoluntaryExit>(&case.join("voluntary_exit.ssz"))?,
            verify,
            spec,
        ),
        other => return Err(format!("unknown handler {other}")),
    })
}

const HANDLERS: [&str; 6] = [
    "attestation",
    "attester_slashing",
    "block_header",
    "deposit",
    "proposer_slashing",
    "voluntary_exit",
];

#[test]
fn operations_vectors() {
    if !vectors_present() {
        return;
    }
    let spec = ChainSpec::minimal();
    let mut failures = Vec::new();
    let mut passed = 0;
    for handler in HANDLERS {
        let handler_cases = cases(
            &vectors_root()
                .join("operations")
                .join(handler)
                .join("pyspec_tests"),
        );
        assert!(!handler_cases.is_empty(), "no cases for {handler}");
        for case in handler_cases {
            let name = format!(
                "{handler}/{}",
                case.file_name().unwrap_or_default().to_string_lossy()
            );
            let mut ok = true;
            for &verify in modes(bls_setting(&case)) {
                let outcome = load::<State>(&case.join("pre.ssz")).and_then(|mut state| {
                    let result = run_operation(handler, &case, &mut state, verify, &spec)?;
                    check_outcome(&case, result, &state)
                });
                if let Err(e) = outcome {
                    failures.push(format!("{name} ({verify:?}): {e}"));
                    ok = false;
                }
            }
            if ok {
                passed += 1;
            }
        }
    }
    eprintln!(
        "operations: {passed} cases passed, {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "operations failures:\n{}",
        failures.join("\n")
    );
}

/// Apply a case's blocks in order; the first failure ends the run.
fn run_blocks(
    case: &Path,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<(State, Result<(), String>), String> {
    let mut state: State = load(&case.join("pre.ssz"))?;
    for i in 0.. {
        let path = case.join(format!("blocks_{i}.ssz"));
        if !path.exists() {
            break;
        }
        let block: SignedBeaconBlock<E> = load(&path)?;
        let result: Result<(), StateTransitionError> =
            state_transition(&mut state, &block, verify, true, spec);
        if let Err(e) = result {
            return Ok((state, Err(format!("block {i}: {e}"))));
        }
    }
    Ok((state, Ok(())))
}

#[test]
fn sanity_blocks_vectors() {
    if !vectors_present() {
        return;
    }
    let spec = ChainSpec::minimal();
    let mut failures = Vec::new();
    let mut passed = 0;
    let all = cases(&vectors_root().join("sanity/blocks/pyspec_tests"));
    assert!(!all.is_empty(), "no sanity/blocks cases");
    for case in all {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let setting = bls_setting(&case);
        let mut outcomes = Vec::new();
        let mut ok = true;
        for &verify in modes(setting) {
            match run_blocks(&case, verify, &spec) {
                Err(e) => {
                    failures.push(format!("{name} ({verify:?}): {e}"));
                    ok = false;
                }
                Ok((state, result)) => {
                    if let Err(e) = check_outcome(&case, result.clone(), &state) {
                        failures.push(format!("{name} ({verify:?}): {e}"));
                        ok = false;
                    }
                    outcomes.push((verify, result.is_ok(), state.tree_hash_root()));
                }
            }
        }
        // Individually and Batch must agree: both succeed with the same state, or both fail.
        if let [(_, ok_a, root_a), (_, ok_b, root_b)] = outcomes.as_slice() {
            if ok_a != ok_b || (*ok_a && root_a != root_b) {
                failures.push(format!(
                    "{name}: Individually and Batch disagree: {outcomes:?}"
                ));
                ok = false;
            }
        }
        if ok {
            passed += 1;
        }
    }
    eprintln!(
        "sanity/blocks: {passed} cases passed, {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "sanity/blocks failures:\n{}",
        failures.join("\n")
    );
}
