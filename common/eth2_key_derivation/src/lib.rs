//! Validator keys from a seed: EIP-2333 (the BLS12-381 key tree), EIP-2334 (paths) and
//! BIP-39 (mnemonics and their seeds).
//!
//! The tree derivation itself is blst's (`derive_master_eip2333`, `derive_child_eip2333`),
//! the reference implementation the other clients share; this crate adds the paths, the
//! mnemonic handling and the conversion to our `bls::SecretKey`.

use bls::SecretKey;
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

/// The purpose of EIP-2334 paths: 12381 (the curve).
pub const PURPOSE: u32 = 12381;
/// The coin type of Ethereum validator keys.
pub const COIN_TYPE: u32 = 3600;

/// Why a key or path could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyDerivationError {
    #[error("the seed is {0} bytes; EIP-2333 requires at least 32")]
    SeedTooShort(usize),
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath { path: String, reason: String },
    #[error("invalid mnemonic: {0}")]
    InvalidMnemonic(String),
    #[error("the derived key is not a valid BLS secret key")]
    InvalidKey,
}

/// `derive_master_SK` (EIP-2333): the root of the tree for `seed`.
pub fn derive_master_sk(seed: &[u8]) -> Result<SecretKey, KeyDerivationError> {
    if seed.len() < 32 {
        return Err(KeyDerivationError::SeedTooShort(seed.len()));
    }
    let master = blst::min_pk::SecretKey::derive_master_eip2333(seed)
        .map_err(|_| KeyDerivationError::SeedTooShort(seed.len()))?;
    to_secret_key(&master)
}

/// `derive_child_SK` (EIP-2333): child `index` of `parent`.
pub fn derive_child_sk(parent: &SecretKey, index: u32) -> Result<SecretKey, KeyDerivationError> {
    let parent = blst::min_pk::SecretKey::from_bytes(parent.serialize().as_ref())
        .map_err(|_| KeyDerivationError::InvalidKey)?;
    to_secret_key(&parent.derive_child_eip2333(index))
}

fn to_secret_key(key: &blst::min_pk::SecretKey) -> Result<SecretKey, KeyDerivationError> {
    let bytes = Zeroizing::new(key.to_bytes());
    SecretKey::deserialize(bytes.as_ref()).map_err(|_| KeyDerivationError::InvalidKey)
}

/// An EIP-2334 path: `m` followed by child indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivationPath(Vec<u32>);

impl DerivationPath {
    /// The signing key of validator `index`: `m/12381/3600/index/0/0`.
    pub fn validator_signing(index: u32) -> Self {
        DerivationPath(vec![PURPOSE, COIN_TYPE, index, 0, 0])
    }

    /// The withdrawal key of validator `index`: `m/12381/3600/index/0`.
    pub fn validator_withdrawal(index: u32) -> Self {
        DerivationPath(vec![PURPOSE, COIN_TYPE, index, 0])
    }

    /// The child indices after `m`.
    pub fn indices(&self) -> &[u32] {
        &self.0
    }
}

impl FromStr for DerivationPath {
    type Err = KeyDerivationError;

    /// Parse `m/12381/3600/0/0/0` (EIP-2334: `m`, then `/`-separated decimal indices below
    /// 2^32).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: &str| KeyDerivationError::InvalidPath {
            path: s.to_string(),
            reason: reason.to_string(),
        };
        let mut parts = s.split('/');
        if parts.next() != Some("m") {
            return Err(invalid("a path starts with \"m\""));
        }
        parts
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid("each index is a decimal number"));
                }
                p.parse::<u32>()
                    .map_err(|_| invalid("an index is below 2^32"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(DerivationPath)
    }
}

impl fmt::Display for DerivationPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m")?;
        for i in &self.0 {
            write!(f, "/{i}")?;
        }
        Ok(())
    }
}

/// The key at `path` in the tree of `seed`.
pub fn derive_path(seed: &[u8], path: &DerivationPath) -> Result<SecretKey, KeyDerivationError> {
    let mut key = derive_master_sk(seed)?;
    for &index in path.indices() {
        key = derive_child_sk(&key, index)?;
    }
    Ok(key)
}

/// A BIP-39 mnemonic (English word list).
pub struct Mnemonic(bip39::Mnemonic);

impl Mnemonic {
    /// A new random 24-word mnemonic (256 bits of entropy from the OS).
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut entropy = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(entropy.as_mut());
        // 32 bytes is a valid BIP-39 entropy length, so this cannot fail.
        Mnemonic(
            bip39::Mnemonic::from_entropy(entropy.as_ref())
                .unwrap_or_else(|_| unreachable!("32 bytes of entropy is a valid length")),
        )
    }

    /// Parse a phrase (checksum verified).
    pub fn parse(phrase: &str) -> Result<Self, KeyDerivationError> {
        bip39::Mnemonic::parse_normalized(phrase.trim())
            .map(Mnemonic)
            .map_err(|e| KeyDerivationError::InvalidMnemonic(e.to_string()))
    }

    /// The phrase.
    pub fn phrase(&self) -> String {
        self.0.to_string()
    }

    /// `mnemonic_to_seed` (BIP-39) with `passphrase` (usually empty).
    pub fn to_seed(&self, passphrase: &str) -> Zeroizing<[u8; 64]> {
        Zeroizing::new(self.0.to_seed(passphrase))
    }
}

#[cfg(test)]
mod tests;
