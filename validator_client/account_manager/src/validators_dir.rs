//! The validator client's key directories.

use crate::{io_error, AccountError};
use eth2_keystore::Keystore;
use std::path::{Path, PathBuf};

/// The validators and secrets directories.
#[derive(Debug, Clone)]
pub struct ValidatorsDir {
    pub validators: PathBuf,
    pub secrets: PathBuf,
}

impl ValidatorsDir {
    /// Where validator `pubkey`'s keystore lives.
    pub fn keystore_path(&self, pubkey: &str) -> PathBuf {
        self.validators
            .join(format!("0x{}", pubkey.trim_start_matches("0x")))
            .join("voting-keystore.json")
    }

    /// Where validator `pubkey`'s password lives.
    pub fn password_path(&self, pubkey: &str) -> PathBuf {
        self.secrets
            .join(format!("0x{}", pubkey.trim_start_matches("0x")))
    }

    /// Every keystore file in the validators directory.
    pub fn keystores(&self) -> Result<Vec<PathBuf>, AccountError> {
        let mut found = Vec::new();
        let entries = match std::fs::read_dir(&self.validators) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
            Err(e) => return Err(io_error(&self.validators)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io_error(&self.validators))?;
            let path = entry.path().join("voting-keystore.json");
            if path.is_file() {
                found.push(path);
            }
        }
        found.sort();
        Ok(found)
    }
}

fn write_private(path: &Path, contents: &[u8]) -> Result<(), AccountError> {
    std::fs::write(path, contents).map_err(io_error(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_error(path))?;
    }
    Ok(())
}

/// Import a keystore: check the password opens it, then copy it and the password into the
/// directories. An already imported validator is refused (its slashing history lives with it).
pub fn import_keystore(
    keystore_file: &Path,
    password: &str,
    dirs: &ValidatorsDir,
) -> Result<String, AccountError> {
    let keystore = Keystore::from_file(keystore_file)?;
    keystore.decrypt(password)?;
    store_keystore(&keystore, password, dirs)
}

/// Write a keystore and its password into the directories (the password is not checked: the
/// caller just made the keystore, or checked it). An existing validator is refused.
pub fn store_keystore(
    keystore: &Keystore,
    password: &str,
    dirs: &ValidatorsDir,
) -> Result<String, AccountError> {
    let pubkey = keystore.pubkey.trim_start_matches("0x").to_lowercase();
    let target = dirs.keystore_path(&pubkey);
    if target.exists() {
        return Err(AccountError::Invalid(format!(
            "validator 0x{pubkey} is already imported ({})",
            target.display()
        )));
    }
    let dir = target.parent().unwrap_or(&dirs.validators);
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    std::fs::create_dir_all(&dirs.secrets).map_err(io_error(&dirs.secrets))?;
    write_private(&dirs.password_path(&pubkey), password.as_bytes())?;
    keystore.to_file(&target)?;
    Ok(pubkey)
}
