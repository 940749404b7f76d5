//! What a staker does with keys before running a validator: derive them from a mnemonic
//! (EIP-2333/2334), encrypt them (EIP-2335), produce the `deposit_data-*.json` the launchpad
//! reads, and import keystores into the validator client's directory.
//!
//! The validators directory layout, read by `fresnel vc`:
//! - `<validators-dir>/<0xpubkey>/voting-keystore.json`, the EIP-2335 keystore;
//! - `<secrets-dir>/<0xpubkey>`, the keystore's password (owner-readable only).

mod deposit_data;
mod validators_dir;

pub use deposit_data::{deposit_data, DepositDataJson, DEPOSIT_CLI_VERSION};
pub use validators_dir::{import_keystore, store_keystore, ValidatorsDir};

use bls::SecretKey;
use eth2_key_derivation::{derive_path, DerivationPath, KeyDerivationError};
use eth2_keystore::{Kdf, Keystore, KeystoreError};
use std::path::{Path, PathBuf};
use types::ChainSpec;

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("key derivation: {0}")]
    Derivation(#[from] KeyDerivationError),
    #[error("keystore: {0}")]
    Keystore(#[from] KeystoreError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> AccountError + '_ {
    move |source| AccountError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The signing and withdrawal keys of validator `index` of a seed (EIP-2334 paths).
pub struct ValidatorKeys {
    pub index: u32,
    pub signing: SecretKey,
    pub signing_path: DerivationPath,
    pub withdrawal: SecretKey,
    pub withdrawal_path: DerivationPath,
}

impl ValidatorKeys {
    /// Derive validator `index`'s keys from `seed`.
    pub fn derive(seed: &[u8], index: u32) -> Result<Self, AccountError> {
        let signing_path = DerivationPath::validator_signing(index);
        let withdrawal_path = DerivationPath::validator_withdrawal(index);
        Ok(ValidatorKeys {
            index,
            signing: derive_path(seed, &signing_path)?,
            signing_path,
            withdrawal: derive_path(seed, &withdrawal_path)?,
            withdrawal_path,
        })
    }
}

/// What `create_validators` wrote.
#[derive(Debug, Clone)]
pub struct CreatedValidators {
    pub keystores: Vec<PathBuf>,
    pub deposit_data: PathBuf,
    pub pubkeys: Vec<String>,
}

/// Keystores and a deposit data file for validators `first_index..first_index + count` of
/// `seed`, written to `out_dir` with the deposit tool's file names
/// (`keystore-m_12381_3600_<i>_0_0-<time>.json`, `deposit_data-<time>.json`).
#[allow(clippy::too_many_arguments)]
pub fn create_validators(
    seed: &[u8],
    first_index: u32,
    count: u32,
    password: &str,
    kdf: Kdf,
    amount_gwei: u64,
    spec: &ChainSpec,
    network_name: &str,
    out_dir: &Path,
) -> Result<CreatedValidators, AccountError> {
    if password.chars().count() < 8 {
        return Err(AccountError::Invalid(
            "the keystore password must be at least 8 characters".into(),
        ));
    }
    std::fs::create_dir_all(out_dir).map_err(io_error(out_dir))?;
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut created = CreatedValidators {
        keystores: Vec::new(),
        deposit_data: out_dir.join(format!("deposit_data-{time}.json")),
        pubkeys: Vec::new(),
    };
    let mut deposits = Vec::new();
    for (n, index) in (first_index..first_index.saturating_add(count)).enumerate() {
        let keys = ValidatorKeys::derive(seed, index)?;
        let keystore = Keystore::encrypt(
            &keys.signing,
            password,
            &keys.signing_path.to_string(),
            kdf,
            None,
        )?;
        let file = out_dir.join(format!(
            "keystore-{}-{time}.json",
            keys.signing_path.to_string().replace('/', "_")
        ));
        keystore.to_file(&file)?;
        deposits.push(deposit_data(
            &keys.signing,
            &keys.withdrawal.public_key(),
            amount_gwei,
            spec,
            network_name,
        ));
        created.pubkeys.push(keystore.pubkey.clone());
        created.keystores.push(file);
        tracing::info!(
            done = n + 1,
            total = count,
            path = %keys.signing_path,
            pubkey = %keystore.pubkey,
            "Keystore written"
        );
    }
    let json = serde_json::to_string(&deposits)
        .map_err(|e| AccountError::Invalid(format!("deposit data: {e}")))?;
    std::fs::write(&created.deposit_data, json).map_err(io_error(&created.deposit_data))?;
    Ok(created)
}

#[cfg(test)]
mod tests;
