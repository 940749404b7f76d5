//! The consensus-specs v1.0.1 minimal `epoch_processing` and `rewards` vectors, run against
//! `per_epoch_processing` (a development check; the conformance runner covers them officially).

use ssz::{Decode, Encode};
use state_processing::per_epoch_processing::{
    get_attestation_deltas, get_head_deltas, get_inactivity_penalty_deltas,
    get_inclusion_delay_deltas, get_source_deltas, get_target_deltas, process_epoch,
    process_final_updates, process_justification_and_finalization, process_registry_updates,
    process_rewards_and_penalties, process_slashings, Deltas, EpochProcessingError,
};
use std::path::{Path, PathBuf};
use types::{BeaconState, ChainSpec, MinimalEthSpec};

type E = MinimalEthSpec;
type State = BeaconState<E>;
type Step = fn(&mut State, &ChainSpec) -> Result<(), EpochProcessingError>;
type DeltasFn = fn(&State, &ChainSpec) -> Result<Deltas, EpochProcessingError>;

mod common;
use common::vectors_root;

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

fn load_state(path: &Path) -> Result<State, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    State::from_ssz_bytes(&bytes).map_err(|e| format!("{}: {e:?}", path.display()))
}

fn read_u64s(bytes: &[u8]) -> Result<Vec<u64>, String> {
    if !bytes.len().is_multiple_of(8) {
        return Err(format!(
            "list of {} bytes is not a list of uint64",
            bytes.len()
        ));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect())
}

/// `Deltas` as SSZ: a container of two variable-size lists, so two 4-byte offsets then data.
fn load_deltas(path: &Path) -> Result<Deltas, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let offset = |at: usize| -> Result<usize, String> {
        let b: [u8; 4] = bytes
            .get(at..at + 4)
            .and_then(|s| s.try_into().ok())
            .ok_or("short deltas file")?;
        Ok(u32::from_le_bytes(b) as usize)
    };
    let (first, second) = (offset(0)?, offset(4)?);
    if first != 8 || second < first || second > bytes.len() {
        return Err(format!("{}: bad offsets {first}, {second}", path.display()));
    }
    Ok(Deltas {
        rewards: read_u64s(&bytes[first..second])?,
        penalties: read_u64s(&bytes[second..])?,
    })
}

fn run_epoch_case(case: &Path, step: Step, spec: &ChainSpec) -> Result<(), String> {
    let mut state = load_state(&case.join("pre.ssz"))?;
    let result = step(&mut state, spec);
    let post = case.join("post.ssz");
    if !post.exists() {
        return match result {
            Ok(()) => Err("succeeded but the case expects failure".into()),
            Err(_) => Ok(()),
        };
    }
    result.map_err(|e| format!("failed: {e}"))?;
    let expected = load_state(&post)?;
    if state.as_ssz_bytes() != expected.as_ssz_bytes() {
        return Err(describe_difference(&state, &expected));
    }
    Ok(())
}

fn describe_difference(got: &State, expected: &State) -> String {
    let mut fields = vec![];
    macro_rules! cmp {
        ($($f:ident),*) => {$(
            if got.$f.as_ssz_bytes() != expected.$f.as_ssz_bytes() {
                fields.push(stringify!($f));
            }
        )*};
    }
    cmp!(
        slot,
        fork,
        latest_block_header,
        block_roots,
        state_roots,
        historical_roots,
        eth1_data,
        eth1_data_votes,
        eth1_deposit_index,
        validators,
        balances,
        randao_mixes,
        slashings,
        previous_epoch_attestations,
        current_epoch_attestations,
        justification_bits,
        previous_justified_checkpoint,
        current_justified_checkpoint,
        finalized_checkpoint
    );
    let mut out = format!("post-state differs in {fields:?}");
    if let Some((i, (g, e))) = got
        .balances
        .iter()
        .zip(expected.balances.iter())
        .enumerate()
        .find(|(_, (g, e))| g != e)
    {
        out.push_str(&format!(
            "; first balance difference at {i}: got {g}, expected {e}"
        ));
    }
    out
}

fn run_rewards_case(case: &Path, spec: &ChainSpec) -> Result<(), String> {
    let state = load_state(&case.join("pre.ssz"))?;
    let components: [(&str, DeltasFn); 5] = [
        ("source_deltas", get_source_deltas),
        ("target_deltas", get_target_deltas),
        ("head_deltas", get_head_deltas),
        ("inclusion_delay_deltas", get_inclusion_delay_deltas),
        ("inactivity_penalty_deltas", get_inactivity_penalty_deltas),
    ];
    let mut errors = vec![];
    let mut sum = Deltas {
        rewards: vec![0; state.validators.len()],
        penalties: vec![0; state.validators.len()],
    };
    for (name, f) in components {
        let expected = load_deltas(&case.join(format!("{name}.ssz")))?;
        match f(&state, spec) {
            Ok(got) if got == expected => {
                for (s, x) in sum.rewards.iter_mut().zip(&got.rewards) {
                    *s += x;
                }
                for (s, x) in sum.penalties.iter_mut().zip(&got.penalties) {
                    *s += x;
                }
            }
            Ok(got) => {
                let first = (0..got.rewards.len().max(expected.rewards.len())).find(|i| {
                    got.rewards.get(*i) != expected.rewards.get(*i)
                        || got.penalties.get(*i) != expected.penalties.get(*i)
                });
                errors.push(format!("{name} differ (first at validator {first:?})"));
            }
            Err(e) => errors.push(format!("{name} failed: {e}")),
        }
    }
    if errors.is_empty() {
        match get_attestation_deltas(&state, spec) {
            Ok(total) if total == sum => {}
            Ok(_) => errors.push("get_attestation_deltas is not the sum of its components".into()),
            Err(e) => errors.push(format!("get_attestation_deltas failed: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

#[test]
fn epoch_processing_and_rewards_vectors() {
    let root = vectors_root();
    if !root.exists() {
        println!("skipping: {} is absent", root.display());
        return;
    }
    let spec = ChainSpec::minimal();
    let handlers: [(&str, Step); 5] = [
        (
            "justification_and_finalization",
            process_justification_and_finalization,
        ),
        ("rewards_and_penalties", process_rewards_and_penalties),
        ("registry_updates", process_registry_updates),
        ("slashings", process_slashings),
        ("final_updates", process_final_updates),
    ];
    let mut passed = 0;
    let mut failures = vec![];
    for (handler, step) in handlers {
        let dir = root
            .join("epoch_processing")
            .join(handler)
            .join("pyspec_tests");
        for case in cases(&dir) {
            match run_epoch_case(&case, step, &spec) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!("epoch_processing/{handler}/{}: {e}", name(&case))),
            }
        }
    }
    for suite in ["basic", "leak", "random"] {
        let dir = root.join("rewards").join(suite).join("pyspec_tests");
        for case in cases(&dir) {
            match run_rewards_case(&case, &spec) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!("rewards/{suite}/{}: {e}", name(&case))),
            }
        }
    }
    // process_epoch shares its precomputation between steps: on every pre-state it must equal
    // the five steps run one after another.
    let mut compared = 0;
    for dir in ["epoch_processing", "rewards"] {
        for group in cases(&root.join(dir)) {
            for case in cases(&group.join("pyspec_tests")) {
                match compare_process_epoch(&case, &spec) {
                    Ok(()) => compared += 1,
                    Err(e) => failures.push(format!("process_epoch on {}: {e}", case.display())),
                }
            }
        }
    }
    println!("process_epoch matched the step-by-step result on {compared} pre-states");
    println!("{passed} vectors passed, {} failed", failures.len());
    assert!(passed > 0, "no vectors found under {}", root.display());
    assert!(
        failures.is_empty(),
        "{} failing vectors:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn compare_process_epoch(case: &Path, spec: &ChainSpec) -> Result<(), String> {
    let pre = load_state(&case.join("pre.ssz"))?;
    let mut whole = pre.clone();
    let whole_result = process_epoch(&mut whole, spec);
    let mut stepwise = pre;
    let steps: [Step; 5] = [
        process_justification_and_finalization,
        process_rewards_and_penalties,
        process_registry_updates,
        process_slashings,
        process_final_updates,
    ];
    let stepwise_result = steps.iter().try_for_each(|step| step(&mut stepwise, spec));
    match (whole_result, stepwise_result) {
        (Ok(()), Ok(())) if whole.as_ssz_bytes() == stepwise.as_ssz_bytes() => Ok(()),
        (Ok(()), Ok(())) => Err(describe_difference(&whole, &stepwise)),
        (Err(_), Err(_)) => Ok(()),
        (a, b) => Err(format!("process_epoch gave {a:?}, the steps {b:?}")),
    }
}

fn name(case: &Path) -> String {
    case.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Timing of `process_epoch` on a mainnet-sized registry (262,144 validators, two overlapping
/// aggregates per committee in both epochs). Run with
/// `cargo test --release -p state_processing --test epoch_vectors -- --ignored --nocapture`.
#[test]
#[ignore]
fn process_epoch_timing_mainnet_scale() {
    use state_processing::helpers::accessors::committee_cache;
    use std::time::{Duration, Instant};
    use types::{
        AttestationData, BitList, Checkpoint, Eth1Data, Fork, Hash256, MainnetEthSpec,
        PendingAttestation, Validator, VariableList,
    };
    type M = MainnetEthSpec;

    let spec = ChainSpec::mainnet();
    let n = 262_144usize;
    let epoch = 100u64;
    let mut state = BeaconState::<M>::empty(0, Fork::default(), Eth1Data::default());
    state.slot = (epoch + 1) * 32 - 1;
    state.finalized_checkpoint.epoch = epoch - 3;
    for i in 0..n {
        let validator = Validator {
            effective_balance: spec.max_effective_balance,
            activation_epoch: 0,
            exit_epoch: u64::MAX,
            withdrawable_epoch: u64::MAX,
            slashed: i % 1000 == 0,
            ..Validator::default()
        };
        state.validators.push(validator).unwrap();
        let balance = spec.max_effective_balance + (i as u64 % 7) * 100_000_000;
        state.balances.push(balance).unwrap();
    }
    for (i, root) in state.block_roots.iter_mut().enumerate() {
        *root = Hash256::repeat_byte(i as u8);
    }
    for e in [epoch - 1, epoch] {
        let cache = committee_cache(&state, e, &spec).unwrap();
        let target = Checkpoint {
            epoch: e,
            root: state.get_block_root(e).unwrap(),
        };
        let mut attestations = vec![];
        for slot in (e * 32..(e + 1) * 32).filter(|s| *s < state.slot) {
            for index in 0..cache.committees_per_slot() {
                let committee = cache.get_beacon_committee(slot, index).unwrap();
                for k in 0..2u64 {
                    let mut bits = BitList::with_capacity(committee.len()).unwrap();
                    for j in 0..committee.len() {
                        bits.set(j, !(j as u64 + k).is_multiple_of(3)).unwrap();
                    }
                    attestations.push(PendingAttestation::<M> {
                        aggregation_bits: bits,
                        data: AttestationData {
                            slot,
                            index,
                            beacon_block_root: state.get_block_root_at_slot(slot).unwrap(),
                            source: Checkpoint::default(),
                            target,
                        },
                        inclusion_delay: 1 + k + slot % 3,
                        proposer_index: (slot * 7 + k) % n as u64,
                    });
                }
            }
        }
        let attestations = VariableList::new(attestations).unwrap();
        if e == epoch {
            state.current_epoch_attestations = attestations;
        } else {
            state.previous_epoch_attestations = attestations;
        }
    }

    let mut best = Duration::MAX;
    for _ in 0..5 {
        let mut s = state.clone();
        let start = Instant::now();
        process_epoch(&mut s, &spec).unwrap();
        best = best.min(start.elapsed());
    }
    println!("process_epoch, {n} validators: {best:?} (best of 5, committee caches warm)");
}
