//! Loading the validators' keys: every `voting-keystore.json` of the validators directory,
//! decrypted with its password file. A keystore that cannot be opened is named in an error and
//! skipped, so the other validators still run.

use account_manager::ValidatorsDir;
use bls::{PublicKey, SecretKey};
use eth2_keystore::Keystore;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use types::PublicKeyBytes;
use zeroize::Zeroizing;

/// A decrypted validator key.
pub struct ValidatorKey {
    pub pubkey: PublicKeyBytes,
    pub secret: SecretKey,
    pub keystore: PathBuf,
}

/// A keystore that could not be opened, and why.
#[derive(Debug, Clone)]
pub struct KeystoreFailure {
    pub keystore: PathBuf,
    pub reason: String,
}

/// Decrypt every keystore of `dirs` (in parallel: a scrypt keystore takes a good fraction of a
/// second). Returns the keys that opened and the failures.
pub fn load_validator_keys(
    dirs: &ValidatorsDir,
) -> Result<(Vec<ValidatorKey>, Vec<KeystoreFailure>), String> {
    let paths = dirs.keystores().map_err(|e| e.to_string())?;
    let results: Vec<Result<ValidatorKey, KeystoreFailure>> = paths
        .par_iter()
        .map(|path| {
            load_one(path, dirs).map_err(|reason| KeystoreFailure {
                keystore: path.clone(),
                reason,
            })
        })
        .collect();
    let mut keys = Vec::new();
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(key) => keys.push(key),
            Err(failure) => failures.push(failure),
        }
    }
    Ok((keys, failures))
}

fn load_one(path: &Path, dirs: &ValidatorsDir) -> Result<ValidatorKey, String> {
    let keystore = Keystore::from_file(path).map_err(|e| e.to_string())?;
    let pubkey_hex = keystore.pubkey.trim_start_matches("0x").to_lowercase();
    let password_path = dirs.password_path(&pubkey_hex);
    let password = Zeroizing::new(
        std::fs::read_to_string(&password_path)
            .map_err(|e| format!("no readable password file {}: {e}", password_path.display()))?,
    );
    // Password files written by editors end with a newline that is not part of the password.
    let password = password.trim_end_matches(['\n', '\r']);
    let secret = keystore
        .decrypt(password)
        .map_err(|e| format!("cannot decrypt: {e}"))?;
    let pubkey: PublicKey = secret.public_key();
    let pubkey = pubkey.compress();
    if format!("{pubkey:?}").trim_start_matches("0x") != pubkey_hex {
        return Err(format!(
            "the keystore says pubkey 0x{pubkey_hex} but its secret key belongs to {pubkey:?}"
        ));
    }
    // The directory name is what the slashing protection export and the operator see.
    let dir_name = path
        .parent()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().to_lowercase());
    if dir_name.as_deref() != Some(&format!("0x{pubkey_hex}")) {
        return Err(format!(
            "the keystore of 0x{pubkey_hex} sits in a directory named for another key"
        ));
    }
    Ok(ValidatorKey {
        pubkey,
        secret,
        keystore: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use eth2_keystore::Kdf;

    fn store(index: u64, password: &str, dirs: &ValidatorsDir) -> String {
        let secret = eth2_interop_keypairs::interop_secret_key(index);
        let keystore = Keystore::encrypt(&secret, password, "", Kdf::Pbkdf2, None).unwrap();
        account_manager::store_keystore(&keystore, password, dirs).unwrap()
    }

    #[test]
    fn a_bad_keystore_is_named_and_the_others_still_load() {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = ValidatorsDir {
            validators: tmp.path().join("validators"),
            secrets: tmp.path().join("secrets"),
        };
        let good = store(0, "right", &dirs);
        // A wrong password in the password file.
        let wrong = store(1, "right", &dirs);
        std::fs::write(dirs.password_path(&wrong), "wrong").unwrap();
        // A keystore file that is not JSON.
        let corrupt_dir = dirs.validators.join(format!("0x{}", "ab".repeat(48)));
        std::fs::create_dir_all(&corrupt_dir).unwrap();
        std::fs::write(corrupt_dir.join("voting-keystore.json"), "{ not json").unwrap();

        let (keys, failures) = load_validator_keys(&dirs).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(
            format!("{:?}", keys[0].pubkey).trim_start_matches("0x"),
            good.trim_start_matches("0x")
        );
        assert_eq!(failures.len(), 2, "{failures:?}");
        let reason_of = |needle: &str| {
            failures
                .iter()
                .find(|f| f.keystore.to_string_lossy().contains(needle))
                .map(|f| f.reason.clone())
                .unwrap_or_else(|| panic!("no failure names {needle}: {failures:?}"))
        };
        assert!(reason_of(wrong.trim_start_matches("0x")).contains("cannot decrypt"));
        assert!(!reason_of(&"ab".repeat(48)).is_empty());
    }
}
