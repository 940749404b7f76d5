//! `fresnel account` as a staker runs it.

use std::process::Command;

fn fresnel(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fresnel"))
        .args(args)
        .output()
        .expect("fresnel runs")
}

#[test]
fn mnemonic_to_keystores_deposit_data_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let out = fresnel(&["account", "new-mnemonic"]);
    assert!(out.status.success());
    let phrase = String::from_utf8(out.stdout).unwrap();
    assert_eq!(phrase.split_whitespace().count(), 24);
    let mnemonic = dir.path().join("mnemonic.txt");
    std::fs::write(&mnemonic, &phrase).unwrap();
    let password = dir.path().join("password.txt");
    std::fs::write(&password, "a good password\n").unwrap();
    let keys = dir.path().join("keys");
    let out = fresnel(&[
        "account",
        "create-validators",
        "--mnemonic-file",
        mnemonic.to_str().unwrap(),
        "--password-file",
        password.to_str().unwrap(),
        "--count",
        "2",
        "--kdf",
        "pbkdf2",
        "--network",
        "medalla",
        "--out-dir",
        keys.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let deposit_file = stdout
        .lines()
        .last()
        .unwrap()
        .strip_prefix("deposit data: ")
        .unwrap();
    let deposits: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(deposit_file).unwrap()).unwrap();
    assert_eq!(deposits.as_array().unwrap().len(), 2);
    // Medalla's genesis fork version.
    assert_eq!(deposits[0]["fork_version"], "00000001");
    assert_eq!(deposits[0]["eth2_network_name"], "medalla");
    assert_eq!(deposits[0]["amount"], 32_000_000_000u64);

    let keystore = stdout.lines().next().unwrap().split(' ').nth(1).unwrap();
    let validators = dir.path().join("validators");
    let secrets = dir.path().join("secrets");
    let import = |pw: &str| {
        fresnel(&[
            "account",
            "import",
            "--keystore",
            keystore,
            "--password-file",
            pw,
            "--validators-dir",
            validators.to_str().unwrap(),
            "--secrets-dir",
            secrets.to_str().unwrap(),
        ])
    };
    let wrong = dir.path().join("wrong.txt");
    std::fs::write(&wrong, "not the password").unwrap();
    let out = import(wrong.to_str().unwrap());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong password"));
    let out = import(password.to_str().unwrap());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mnemonic = dir.path().join("m.txt");
    std::fs::write(&mnemonic, "not a mnemonic").unwrap();
    let out = fresnel(&[
        "account",
        "create-validators",
        "--mnemonic-file",
        mnemonic.to_str().unwrap(),
        "--password-file",
        "/nonexistent",
        "--count",
        "1",
        "--out-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("mnemonic"));
    let out = fresnel(&[
        "account",
        "create-validators",
        "--network",
        "nowhere",
        "--mnemonic-file",
        "x",
        "--password-file",
        "y",
        "--count",
        "1",
        "--out-dir",
        "z",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown network"));
    let out = fresnel(&["--version"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("fresnel "));
}

#[test]
fn slashing_protection_import_and_export_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let gvr = format!("0x{}", "00".repeat(32));
    let suite = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/slashing-protection-interchange-tests/tests/generated/single_validator_single_block_and_attestation.json"
    );
    let validators = dir.path().join("validators");
    let interchange = dir.path().join("in.json");
    // The interchange of one suite case (its GVR is zero), if the suite is available.
    let case: serde_json::Value = match std::fs::read_to_string(suite) {
        Ok(text) => serde_json::from_str(&text).unwrap(),
        Err(_) => return,
    };
    std::fs::write(&interchange, case["steps"][0]["interchange"].to_string()).unwrap();
    let out = fresnel(&[
        "account",
        "slashing-protection",
        "import",
        interchange.to_str().unwrap(),
        "--validators-dir",
        validators.to_str().unwrap(),
        "--genesis-validators-root",
        &gvr,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = dir.path().join("out.json");
    let out = fresnel(&[
        "account",
        "slashing-protection",
        "export",
        exported.to_str().unwrap(),
        "--validators-dir",
        validators.to_str().unwrap(),
        "--genesis-validators-root",
        &gvr,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&exported).unwrap()).unwrap();
    assert_eq!(back["metadata"]["interchange_format_version"], "5");
    assert_eq!(
        back["data"][0]["pubkey"],
        case["steps"][0]["interchange"]["data"][0]["pubkey"]
    );
    // Another chain's database refuses it.
    let other = format!("0x{}", "11".repeat(32));
    let out = fresnel(&[
        "account",
        "slashing-protection",
        "import",
        interchange.to_str().unwrap(),
        "--validators-dir",
        validators.to_str().unwrap(),
        "--genesis-validators-root",
        &other,
    ]);
    assert!(!out.status.success());
}
