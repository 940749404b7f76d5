//! Overlay, era/preset detection, value formats and error reporting of the config loader.

use eth2_config::{
    load_config_file, parse_config, ChainSpec, ConfigError, PresetBase, SpecEra, REQUIRED_KEYS,
};
use std::io::Write;
use std::sync::{Arc, Mutex};

const V101_MAINNET: &str = include_str!("fixtures/v1.0.1-mainnet-phase0.yaml");

/// The required keys with mainnet's values, as a minimal valid config.
const REQUIRED_ONLY: &str = "\
GENESIS_FORK_VERSION: 0x00000000
MIN_GENESIS_TIME: 1606824000
MIN_GENESIS_ACTIVE_VALIDATOR_COUNT: 16384
GENESIS_DELAY: 604800
DEPOSIT_CONTRACT_ADDRESS: 0x00000000219ab540356cBB839Cbe05303d7705Fa
";

fn era_of(extra: &str) -> SpecEra {
    parse_config(&format!("{REQUIRED_ONLY}{extra}"), "t")
        .unwrap()
        .spec
        .era
}

#[test]
fn required_only_config_defaults_everything_else() {
    let loaded = parse_config(REQUIRED_ONLY, "t").unwrap();
    assert_eq!(loaded.spec, ChainSpec::mainnet());
    assert_eq!(
        loaded.defaulted_keys.len(),
        eth2_config::KNOWN_KEYS.len() - REQUIRED_KEYS.len()
    );
    assert!(loaded.unknown_keys.is_empty());
}

#[test]
fn era_detection() {
    assert_eq!(era_of(""), SpecEra::V1_0);
    assert_eq!(
        era_of("PROPORTIONAL_SLASHING_MULTIPLIER: 3\n"),
        SpecEra::V0_12
    );
    assert_eq!(
        era_of("PROPORTIONAL_SLASHING_MULTIPLIER: 1\n"),
        SpecEra::V1_0
    );
    assert_eq!(
        era_of("INACTIVITY_PENALTY_QUOTIENT: 16777216\n"),
        SpecEra::V0_12
    );
    assert_eq!(
        era_of("MIN_SLASHING_PENALTY_QUOTIENT: 32\n"),
        SpecEra::V0_12
    );
    assert_eq!(
        era_of("EPOCHS_PER_ETH1_VOTING_PERIOD: 32\n"),
        SpecEra::V0_12
    );
    assert_eq!(era_of("ETH1_FOLLOW_DISTANCE: 1024\n"), SpecEra::V0_12);
    assert_eq!(era_of("ETH1_FOLLOW_DISTANCE: 2048\n"), SpecEra::V1_0);
    // A custom value decides nothing; the next marker does.
    assert_eq!(
        era_of("PROPORTIONAL_SLASHING_MULTIPLIER: 7\nMIN_SLASHING_PENALTY_QUOTIENT: 32\n"),
        SpecEra::V0_12
    );
    // Conflicts: the first marker wins.
    assert_eq!(
        era_of("PROPORTIONAL_SLASHING_MULTIPLIER: 1\nINACTIVITY_PENALTY_QUOTIENT: 16777216\n"),
        SpecEra::V1_0
    );
    // Defaults follow the era: medalla-like file without a multiplier gets 3.
    let spec = parse_config(
        &format!("{REQUIRED_ONLY}INACTIVITY_PENALTY_QUOTIENT: 16777216\n"),
        "t",
    )
    .unwrap()
    .spec;
    assert_eq!(spec.proportional_slashing_multiplier, 3);
    assert_eq!(spec.min_slashing_penalty_quotient, 32);
    assert_eq!(spec.epochs_per_eth1_voting_period, 32);
}

#[test]
fn preset_detection() {
    let preset = |extra: &str| {
        parse_config(&format!("{REQUIRED_ONLY}{extra}"), "t")
            .unwrap()
            .spec
    };
    assert_eq!(preset("").preset_base, PresetBase::Mainnet);
    let minimal = preset("CONFIG_NAME: minimal\n");
    assert_eq!(minimal.preset_base, PresetBase::Minimal);
    assert_eq!(minimal.slots_per_epoch, 8);
    assert_eq!(minimal.config_name, "minimal");
    assert_eq!(
        preset("SLOTS_PER_EPOCH: 8\n").preset_base,
        PresetBase::Minimal
    );
    assert_eq!(
        preset("PRESET_BASE: 'minimal'\n").preset_base,
        PresetBase::Minimal
    );
    // CONFIG_NAME beats SLOTS_PER_EPOCH, which beats PRESET_BASE.
    let spec = preset("CONFIG_NAME: mainnet\nSLOTS_PER_EPOCH: 8\n");
    assert_eq!(
        (spec.preset_base, spec.slots_per_epoch),
        (PresetBase::Mainnet, 8)
    );
    let spec = preset("SLOTS_PER_EPOCH: 32\nPRESET_BASE: minimal\n");
    assert_eq!(spec.preset_base, PresetBase::Mainnet);
    // A network name is not a preset name.
    let spec = preset("CONFIG_NAME: devnet\nSLOTS_PER_EPOCH: 8\n");
    assert_eq!(
        (spec.preset_base, spec.config_name.as_str()),
        (PresetBase::Minimal, "devnet")
    );
    // PRESET_BASE is recognised, not unknown; a bad PRESET_BASE is a bad value.
    let loaded = parse_config(&format!("{REQUIRED_ONLY}PRESET_BASE: mainnet\n"), "t").unwrap();
    assert!(loaded.unknown_keys.is_empty());
    let err = parse_config(&format!("{REQUIRED_ONLY}PRESET_BASE: gnosis\n"), "t").unwrap_err();
    assert!(
        matches!(err, ConfigError::BadValue { ref key, .. } if key == "PRESET_BASE"),
        "{err:?}"
    );
}

#[test]
fn quoted_and_plain_values_are_equivalent() {
    let quoted: String = V101_MAINNET
        .lines()
        .map(|line| match line.split_once(": ") {
            Some((k, v)) if !line.starts_with('#') => {
                format!("{k}: '{}'\n", v.trim_matches('"'))
            }
            _ => format!("{line}\n"),
        })
        .collect();
    assert!(quoted.contains("GENESIS_FORK_VERSION: '0x00000000'"));
    assert!(quoted.contains("SLOTS_PER_EPOCH: '32'"));
    let loaded = parse_config(&quoted, "quoted").unwrap();
    assert_eq!(loaded.spec, ChainSpec::mainnet());

    let double = REQUIRED_ONLY.replace("0x00000000\n", "\"0x00000121\"\n");
    let spec = parse_config(&double, "t").unwrap().spec;
    assert_eq!(spec.genesis_fork_version, [0, 0, 1, 0x21]);
    let hex_int = format!("{REQUIRED_ONLY}SLOTS_PER_EPOCH: 0x20\n");
    assert_eq!(
        parse_config(&hex_int, "t").unwrap().spec.slots_per_epoch,
        32
    );
}

/// Collects everything logged through `tracing` while `f` runs.
fn capture_logs(f: impl FnOnce()) -> String {
    #[derive(Clone)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf(Arc::new(Mutex::new(Vec::new())));
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = buf.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn unknown_keys_are_reported_and_logged() {
    let yaml = format!(
        "{REQUIRED_ONLY}ALTAIR_FORK_VERSION: 0x01000000\nALTAIR_FORK_EPOCH: 74240\nBLOB_SCHEDULE:\n  - EPOCH: 1\n    MAX: 6\nNESTED: {{a: [1, 2]}}\n"
    );
    let mut result = None;
    let logs = capture_logs(|| result = Some(parse_config(&yaml, "net/config.yaml")));
    let loaded = result.unwrap().unwrap();
    assert_eq!(
        loaded.unknown_keys,
        [
            "ALTAIR_FORK_VERSION",
            "ALTAIR_FORK_EPOCH",
            "BLOB_SCHEDULE",
            "NESTED"
        ]
    );
    assert_eq!(loaded.spec, ChainSpec::mainnet());
    // Keys of no fork: a warning each, naming key and file.
    for key in ["BLOB_SCHEDULE", "NESTED"] {
        let line = logs
            .lines()
            .find(|l| l.contains(key))
            .unwrap_or_else(|| panic!("no log for {key}: {logs}"));
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains("net/config.yaml"), "{line}");
    }
    // A later fork scheduled at a real epoch: a warning that names the fork and the epoch.
    let line = logs
        .lines()
        .find(|l| l.contains("schedules the ALTAIR fork at epoch 74240"))
        .unwrap_or_else(|| panic!("no warning for the scheduled Altair fork: {logs}"));
    assert!(
        line.contains("WARN") && line.contains("net/config.yaml"),
        "{line}"
    );
}

/// What `lcli write-config` writes for other clients (every later fork at FAR_FUTURE_EPOCH,
/// the terminal block never) is expected: reported as unknown, never warned about.
#[test]
fn later_forks_at_far_future_are_taken_quietly() {
    let mut yaml = REQUIRED_ONLY.to_string();
    for (key, value) in eth2_config::later_fork_values(&ChainSpec::mainnet()) {
        yaml.push_str(&format!("{key}: {value}\n"));
    }
    let mut result = None;
    let logs = capture_logs(|| result = Some(parse_config(&yaml, "net/config.yaml")));
    let loaded = result.unwrap().unwrap();
    assert!(loaded
        .unknown_keys
        .contains(&"ALTAIR_FORK_EPOCH".to_string()));
    assert!(loaded
        .unknown_keys
        .contains(&"TERMINAL_TOTAL_DIFFICULTY".to_string()));
    assert!(!logs.contains("WARN"), "{logs}");
    assert_eq!(loaded.spec, ChainSpec::mainnet());
}

#[test]
fn missing_required_key_names_key_and_file() {
    for key in REQUIRED_KEYS {
        let yaml: String = REQUIRED_ONLY
            .lines()
            .filter(|l| !l.starts_with(&format!("{key}:")))
            .map(|l| format!("{l}\n"))
            .collect();
        let err = parse_config(&yaml, "some/config.yaml").unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingKey {
                key: key.to_string(),
                file: "some/config.yaml".to_string()
            }
        );
        let msg = err.to_string();
        assert!(
            msg.contains(key) && msg.contains("some/config.yaml"),
            "{msg}"
        );
    }
    // An empty file lacks the first required key.
    assert!(matches!(
        parse_config("", "empty.yaml"),
        Err(ConfigError::MissingKey { ref key, .. }) if key == "GENESIS_FORK_VERSION"
    ));
}

#[test]
fn bad_values_name_key_and_file() {
    let cases = [
        ("SLOTS_PER_EPOCH", "thirty-two"),
        ("SLOTS_PER_EPOCH", "-32"),
        ("SLOTS_PER_EPOCH", "3.2e1"),
        ("MIN_GENESIS_TIME", "18446744073709551616"),
        ("MIN_GENESIS_TIME", "''"),
        ("GENESIS_FORK_VERSION", "0x000001"),
        ("GENESIS_FORK_VERSION", "'0x0000000001'"),
        ("GENESIS_FORK_VERSION", "289"),
        ("DOMAIN_RANDAO", "0x0200000g"),
        (
            "DEPOSIT_CONTRACT_ADDRESS",
            "0x00000000219ab540356cBB839Cbe05303d7705",
        ),
        ("BLS_WITHDRAWAL_PREFIX", "0x0000"),
        ("BLS_WITHDRAWAL_PREFIX", "300"),
        ("MAX_DEPOSITS", "[16]"),
        ("MAX_DEPOSITS", "{a: 1}"),
        ("CONFIG_NAME", "''"),
        ("PROPORTIONAL_SLASHING_MULTIPLIER", "one"),
        ("INACTIVITY_PENALTY_QUOTIENT", "true"),
    ];
    for (key, value) in cases {
        let mut yaml: String = REQUIRED_ONLY
            .lines()
            .filter(|l| !l.starts_with(&format!("{key}:")))
            .map(|l| format!("{l}\n"))
            .collect();
        yaml.push_str(&format!("{key}: {value}\n"));
        let err = parse_config(&yaml, "bad/config.yaml").unwrap_err();
        match &err {
            ConfigError::BadValue {
                key: k,
                file,
                reason,
                ..
            } => {
                assert_eq!(k, key, "{value}: {err}");
                assert_eq!(file, "bad/config.yaml");
                assert!(!reason.is_empty());
            }
            other => panic!("{key}: {value}: {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains(key) && msg.contains("bad/config.yaml"),
            "{msg}"
        );
    }
}

#[test]
fn malformed_yaml_is_a_yaml_error() {
    for text in [
        "SLOTS_PER_EPOCH: [32\n",
        "- a\n- b\n",
        "just a string",
        "A: 1\nA: 2\n",
        "A: 1\n---\nB: 2\n",
        "A: *missing_anchor\n",
        "\t- bad indent\n: :",
    ] {
        let err = parse_config(text, "broken.yaml").unwrap_err();
        assert!(
            matches!(&err, ConfigError::Yaml { file, .. } if file == "broken.yaml"),
            "{text:?}: {err:?}"
        );
    }
}

#[test]
fn hostile_yaml_is_an_error_not_a_crash() {
    let deep = format!(
        "{REQUIRED_ONLY}X: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(matches!(
        parse_config(&deep, "deep"),
        Err(ConfigError::Yaml { .. })
    ));
    let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = (b'a' + i) as char;
        let next = (b'a' + i + 1) as char;
        laughs.push_str(&format!("{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let text = format!("{REQUIRED_ONLY}{laughs}");
    // Either rejected or ignored as unknown keys, but quickly and without a crash.
    let start = std::time::Instant::now();
    let _ = parse_config(&text, "laughs");
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn load_config_file_errors_name_the_path() {
    let err = load_config_file(std::path::Path::new("/nonexistent/config.yaml")).unwrap_err();
    assert!(matches!(&err, ConfigError::Io { file, .. } if file == "/nonexistent/config.yaml"));
}
