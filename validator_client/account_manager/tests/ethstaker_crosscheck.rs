//! Our keys and keystores against ethstaker-deposit 1.3.1 (PyPI): for a fixed mnemonic the
//! same keys, public keys and paths, and each tool decrypts the other's keystores.
//!
//! `scripts/deposit-tool-crosscheck.sh` installs the tool in a cached virtualenv and runs
//! this test with `ETHSTAKER_PYTHON` set. Without it the test is skipped, except under CI
//! (`CI` set), where a skipped cross-check is a failure.

use account_manager::ValidatorKeys;
use eth2_key_derivation::Mnemonic;
use eth2_keystore::{Kdf, Keystore};
use std::process::Command;

const MNEMONIC: &str =
    "legal winner thank year wave sausage worth useful legal winner thank yellow";
const PASSWORD: &str = "crosscheck password \u{1f511}";
const COUNT: u32 = 3;

fn hex32(key: &bls::SecretKey) -> String {
    hex::encode(key.serialize().as_ref())
}

#[test]
fn keys_and_keystores_match_ethstaker_deposit() {
    let Ok(python) = std::env::var("ETHSTAKER_PYTHON") else {
        if std::env::var("CI").is_ok() {
            panic!("ETHSTAKER_PYTHON is not set under CI: run scripts/deposit-tool-crosscheck.sh");
        }
        eprintln!("skipped: ETHSTAKER_PYTHON not set (scripts/deposit-tool-crosscheck.sh sets it)");
        return;
    };
    let seed = Mnemonic::parse(MNEMONIC).unwrap().to_seed("");
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    let mut our_keys = Vec::new();
    for index in 0..COUNT {
        let keys = ValidatorKeys::derive(seed.as_ref(), index).unwrap();
        let kdf = if index % 2 == 0 {
            Kdf::Pbkdf2
        } else {
            Kdf::Scrypt
        };
        let keystore = Keystore::encrypt(
            &keys.signing,
            PASSWORD,
            &keys.signing_path.to_string(),
            kdf,
            None,
        )
        .unwrap();
        keystore
            .to_file(&ours.path().join(format!("ours-{index}.json")))
            .unwrap();
        our_keys.push(keys);
    }

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/ethstaker_crosscheck.py"
    );
    let output = Command::new(&python)
        .args([
            script,
            MNEMONIC,
            &COUNT.to_string(),
            PASSWORD,
            ours.path().to_str().unwrap(),
            theirs.path().to_str().unwrap(),
        ])
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "ethstaker-deposit failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    // Same keys, paths and public keys.
    for (keys, theirs) in our_keys
        .iter()
        .zip(report["validators"].as_array().unwrap())
    {
        assert_eq!(theirs["signing_path"], keys.signing_path.to_string());
        assert_eq!(theirs["withdrawal_path"], keys.withdrawal_path.to_string());
        assert_eq!(
            theirs["signing_sk"],
            hex32(&keys.signing),
            "signing key {}",
            keys.index
        );
        assert_eq!(
            theirs["withdrawal_sk"],
            hex32(&keys.withdrawal),
            "withdrawal key {}",
            keys.index
        );
        assert_eq!(
            theirs["pubkey"],
            hex::encode(keys.signing.public_key().serialize())
        );
    }
    // They opened ours.
    let decrypted = report["decrypted_ours"].as_object().unwrap();
    assert_eq!(decrypted.len(), COUNT as usize);
    for (index, keys) in our_keys.iter().enumerate() {
        let entry = &decrypted[&format!("ours-{index}.json")];
        assert_eq!(entry["secret"], hex32(&keys.signing));
        assert_eq!(entry["path"], keys.signing_path.to_string());
    }
    // We open theirs (scrypt and pbkdf2).
    for (index, keys) in our_keys.iter().enumerate() {
        let keystore =
            Keystore::from_file(&theirs.path().join(format!("keystore-{index}.json"))).unwrap();
        let secret = keystore.decrypt(PASSWORD).unwrap();
        assert_eq!(hex32(&secret), hex32(&keys.signing));
        assert_eq!(keystore.path, keys.signing_path.to_string());
    }
}
