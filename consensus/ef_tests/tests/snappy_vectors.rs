//! Real cases rewritten with `.ssz_snappy` files instead of `.ssz` must pass exactly as the
//! plain ones do. Uses the cached v0.12.3 vectors (`scripts/spec-tests.sh` fetches them);
//! without them the test says so and passes.

use ef_tests::{run, Options, Preset, Status, Suite};
use std::fs;
use std::path::{Path, PathBuf};

const CASES: &[&str] = &[
    "minimal/phase0/sanity/blocks/pyspec_tests/attestation",
    "minimal/phase0/operations/attester_slashing/pyspec_tests/invalid_sig_1",
    "minimal/phase0/operations/attester_slashing/pyspec_tests/success_double",
    "minimal/phase0/ssz_static/BeaconState/ssz_random/case_0",
    "minimal/phase0/rewards/basic/pyspec_tests/empty",
    "minimal/phase0/genesis/initialization/pyspec_tests/initialize_beacon_state_from_eth1",
    "general/phase0/ssz_generic/containers/valid/ComplexTestStruct_random_0",
    "general/phase0/ssz_generic/containers/invalid/ComplexTestStruct_offset_2_zeroed",
];

fn vectors() -> Option<PathBuf> {
    let base = std::env::var_os("FRESNEL_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/fresnel")))?;
    let dir = base.join("spec-tests/v0.12.3");
    dir.join(".complete").is_file().then_some(dir)
}

fn copy_snappy(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = fs::read(entry.path()).unwrap();
        if let Some(stem) = name.strip_suffix(".ssz") {
            let compressed = snap::raw::Encoder::new().compress_vec(&bytes).unwrap();
            fs::write(to.join(format!("{stem}.ssz_snappy")), compressed).unwrap();
        } else {
            fs::write(to.join(&name), bytes).unwrap();
        }
    }
}

#[test]
fn snappy_cases_pass_like_plain_ones() {
    let Some(src) = vectors() else {
        eprintln!("skipping: v0.12.3 vectors not cached (run scripts/spec-tests.sh)");
        return;
    };
    let root = std::env::temp_dir().join(format!("ef_tests_snappy_{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    for rel in CASES {
        copy_snappy(&src.join(rel), &root.join(rel));
    }
    fs::create_dir_all(root.join("minimal/config")).unwrap();
    fs::copy(
        src.join("minimal/config/phase0.yaml"),
        root.join("minimal/config/phase0.yaml"),
    )
    .unwrap();

    let report = run(&Options {
        suite: Suite::V0_12_3,
        vectors: root.clone(),
        presets: Preset::ALL.to_vec(),
        filter: None,
        count_check: false,
        threads: 2,
    })
    .unwrap();
    let failures: Vec<String> = report
        .cases
        .iter()
        .filter_map(|(rel, s)| match s {
            Status::Passed => None,
            other => Some(format!("{rel}: {other:?}")),
        })
        .chain(report.problems.iter().map(|(r, m)| format!("{r}: {m}")))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(report.totals().passed, CASES.len());
    fs::remove_dir_all(&root).unwrap();
}
