//! `lcli` as a user runs it: interop genesis, skip-slots, pretty-ssz and transition-blocks.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lcli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lcli"))
        .args(args)
        .output()
        .expect("lcli runs")
}

fn stdout_of(output: &Output) -> String {
    assert!(
        output.status.success(),
        "lcli failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn line_value<'a>(stdout: &'a str, key: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in {stdout}"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn interop_genesis_then_skip_slots() {
    let dir = scratch("interop");
    let genesis = dir.join("genesis.ssz");
    let genesis_str = genesis.to_str().expect("utf8");
    let out = stdout_of(&lcli(&[
        "interop-genesis",
        "--network",
        "minimal",
        "--count",
        "64",
        "--genesis-time",
        "1600000000",
        "-o",
        genesis_str,
    ]));
    assert_eq!(line_value(&out, "validators"), "64");
    assert_eq!(line_value(&out, "genesis_time"), "1600000000");
    let genesis_root = line_value(&out, "state_root").to_string();

    // state-root agrees with what interop-genesis printed.
    let roots = stdout_of(&lcli(&["state-root", "--network", "minimal", genesis_str]));
    assert_eq!(line_value(&roots, "state_root"), genesis_root);

    // Two epochs of empty slots: epoch processing runs twice.
    let advanced = dir.join("advanced.ssz");
    let out = stdout_of(&lcli(&[
        "skip-slots",
        "--network",
        "minimal",
        "--pre-state",
        genesis_str,
        "--slots",
        "16",
        "-o",
        advanced.to_str().expect("utf8"),
    ]));
    assert_eq!(line_value(&out, "slot"), "16");
    let roots = stdout_of(&lcli(&[
        "state-root",
        "--network",
        "minimal",
        advanced.to_str().expect("utf8"),
    ]));
    assert_eq!(
        line_value(&roots, "state_root"),
        line_value(&out, "state_root")
    );

    // pretty-ssz prints Beacon API JSON in spec field order.
    let json = stdout_of(&lcli(&[
        "pretty-ssz",
        "--type",
        "BeaconState",
        "--network",
        "minimal",
        genesis_str,
    ]));
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["genesis_time"], "1600000000");
    assert_eq!(value["validators"].as_array().map(Vec::len), Some(64));
    assert!(
        json.find("\"genesis_time\"") < json.find("\"validators\""),
        "spec order"
    );
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = scratch("bad-input");
    let junk = dir.join("junk.ssz");
    std::fs::write(&junk, b"not a beacon state").expect("write");
    let out = lcli(&[
        "state-root",
        "--network",
        "minimal",
        junk.to_str().expect("utf8"),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid SSZ"));

    let out = lcli(&[
        "state-root",
        "--network",
        "no-such-net",
        junk.to_str().expect("utf8"),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown network"));

    let out = lcli(&[
        "pretty-ssz",
        "--type",
        "Nope",
        "--network",
        "minimal",
        junk.to_str().expect("utf8"),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown type"));
}

/// The v1.0.1 vectors as `scripts/spec-tests.sh` caches them.
fn cached_v101_case(path: &str) -> Option<PathBuf> {
    let cache = std::env::var_os("FRESNEL_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/fresnel")))?;
    let dir = cache.join("spec-tests/v1.0.1").join(path);
    dir.is_dir().then_some(dir)
}

#[test]
fn transition_blocks_reproduces_a_sanity_vector() {
    let Some(case) = cached_v101_case("minimal/phase0/sanity/blocks/pyspec_tests/attestation")
    else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must have the v1.0.1 vectors cached"
        );
        eprintln!("skipping: run scripts/spec-tests.sh first to cache the v1.0.1 vectors");
        return;
    };
    let post = case.join("post.ssz");
    let expected = stdout_of(&lcli(&[
        "state-root",
        "--network",
        "minimal",
        post.to_str().expect("utf8"),
    ]));
    let mut args = vec![
        "transition-blocks".to_string(),
        "--network".into(),
        "minimal".into(),
        "--pre-state".into(),
        case.join("pre.ssz").display().to_string(),
    ];
    for i in 0.. {
        let block = case.join(format!("blocks_{i}.ssz"));
        if !block.exists() {
            break;
        }
        args.push(block.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = stdout_of(&lcli(&args));
    assert_eq!(
        line_value(&out, "state_root"),
        line_value(&expected, "state_root")
    );
}

/// `new-testnet` writes a directory the beacon node loads, with the overrides applied; without
/// a contract it says what to do; `generate-bootnode-enr` needs a genesis state, then writes
/// the key `fresnel boot_node` reuses and appends the ENR to boot_enr.yaml.
#[test]
fn new_testnet_and_bootnode_enr() {
    let dir = scratch("new-testnet");
    let _ = std::fs::remove_dir_all(&dir);
    let tn = dir.join("tn");
    let tn_str = tn.to_str().expect("utf8");
    let out = lcli(&[
        "new-testnet",
        "--testnet-dir",
        tn_str,
        "--preset",
        "minimal",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lcli deploy-deposit-contract"));

    stdout_of(&lcli(&[
        "new-testnet",
        "--testnet-dir",
        tn_str,
        "--preset",
        "minimal",
        "--deposit-contract-address",
        "0x1234567890123456789012345678901234567890",
        "--deploy-block",
        "7",
        "--set",
        "MIN_GENESIS_ACTIVE_VALIDATOR_COUNT=66",
        "--set",
        "DEPOSIT_CHAIN_ID=4242",
    ]));
    let network = eth2_config::Eth2NetworkConfig::load_dir(&tn).expect("the directory loads");
    assert_eq!(network.deposit_contract_deploy_block, 7);
    assert_eq!(network.spec.min_genesis_active_validator_count, 66);
    assert_eq!(network.spec.deposit_chain_id, 4242);
    assert_eq!(network.deposit_contract_address[0], 0x12);
    assert!(network.boot_enrs.is_empty());
    let bad = lcli(&[
        "new-testnet",
        "--testnet-dir",
        tn_str,
        "--set",
        "NOT_A_KEY=1",
        "--deploy-block",
        "7",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("NOT_A_KEY"));

    let boot_dir = dir.join("boot");
    let boot_args = [
        "generate-bootnode-enr",
        "--testnet-dir",
        tn_str,
        "--ip",
        "127.0.0.1",
        "--udp-port",
        "9100",
        "--output-dir",
        boot_dir.to_str().expect("utf8"),
        "--append",
    ];
    let out = lcli(&boot_args);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no genesis.ssz"));
    stdout_of(&lcli(&[
        "interop-genesis",
        "--count",
        "8",
        "--genesis-time",
        "1",
        "--network",
        tn_str,
        "-o",
        tn.join("genesis.ssz").to_str().expect("utf8"),
    ]));
    let enr = stdout_of(&lcli(&boot_args)).trim().to_string();
    assert!(enr.starts_with("enr:"), "{enr}");
    assert!(boot_dir.join("key").is_file());
    // The same key again: the same ENR, listed once.
    assert_eq!(stdout_of(&lcli(&boot_args)).trim(), enr);
    let network = eth2_config::Eth2NetworkConfig::load_dir(&tn).expect("loads");
    assert_eq!(network.boot_enrs, vec![enr]);
}
