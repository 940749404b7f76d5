//! EIP-2335 keystores: a BLS secret key encrypted under a password.
//!
//! The password is normalised (NFKD, C0/C1 control codes and DEL removed), stretched by scrypt
//! or PBKDF2-HMAC-SHA256 into a 32-byte decryption key; its second half with the ciphertext
//! gives the SHA-256 checksum that tells a wrong password apart; its first half is the
//! AES-128-CTR key. Scrypt (n = 2^18, r = 8, p = 1) is the default, as in the launch-era
//! deposit tooling; PBKDF2 (c = 2^18) is faster to open and is what the local testnet uses.

mod json;

pub use json::{
    ChecksumModule, CipherModule, CipherParams, Crypto, EmptyParams, KdfModule, KdfParams,
};

use aes::cipher::{KeyIvInit, StreamCipher};
use bls::SecretKey;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// The keystore format version (EIP-2335).
pub const VERSION: u32 = 4;

/// Why a keystore could not be made, read or opened.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    #[error("wrong password (the checksum does not match)")]
    WrongPassword,
    #[error("the keystore is malformed: {0}")]
    Malformed(String),
    #[error("unsupported {module} function {function:?}")]
    Unsupported {
        module: &'static str,
        function: String,
    },
    #[error(
        "the decrypted key's public key {found} differs from the keystore's pubkey {expected}"
    )]
    PubkeyMismatch { expected: String, found: String },
    #[error("the decrypted secret is not a valid BLS secret key")]
    InvalidSecret,
    #[error("key derivation failed: {0}")]
    Kdf(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Which password-stretching function a new keystore uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// scrypt with n = 2^18, r = 8, p = 1 (the default).
    Scrypt,
    /// PBKDF2-HMAC-SHA256 with c = 2^18.
    Pbkdf2,
    /// PBKDF2-HMAC-SHA256 with c = 2^10: about a millisecond, so a testnet's 16,384 keystores
    /// are written and opened in seconds. Only for keys that are public anyway (a known
    /// test mnemonic); it protects nothing.
    InsecurePbkdf2,
}

/// An EIP-2335 keystore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keystore {
    pub crypto: Crypto,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The public key, hex without 0x (required for BLS keys).
    pub pubkey: String,
    /// The EIP-2334 path, or "" if unknown.
    pub path: String,
    pub uuid: String,
    pub version: u32,
}

/// `password` as EIP-2335 processes it: NFKD, then without control codes.
pub fn normalize_password(password: &str) -> Zeroizing<Vec<u8>> {
    let normalized: Zeroizing<String> = Zeroizing::new(
        password
            .nfkd()
            .filter(|c| {
                let code = *c as u32;
                !(code <= 0x1f || code == 0x7f || (0x80..=0x9f).contains(&code))
            })
            .collect(),
    );
    Zeroizing::new(normalized.as_bytes().to_vec())
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

fn decode_hex(field: &str, value: &str) -> Result<Vec<u8>, KeystoreError> {
    hex::decode(value.trim_start_matches("0x"))
        .map_err(|e| KeystoreError::Malformed(format!("{field}: {e}")))
}

/// The 32-byte decryption key from the password and the KDF's parameters.
fn decryption_key(password: &[u8], kdf: &KdfModule) -> Result<Zeroizing<[u8; 32]>, KeystoreError> {
    let mut key = Zeroizing::new([0u8; 32]);
    match &kdf.params {
        KdfParams::Scrypt {
            dklen,
            n,
            p,
            r,
            salt,
        } => {
            if kdf.function != "scrypt" {
                return Err(KeystoreError::Unsupported {
                    module: "kdf",
                    function: kdf.function.clone(),
                });
            }
            if *dklen != 32 || !n.is_power_of_two() || *n < 2 {
                return Err(KeystoreError::Malformed(format!(
                    "scrypt dklen {dklen} (must be 32), n {n} (a power of two)"
                )));
            }
            let log_n = n.trailing_zeros() as u8;
            let params = scrypt::Params::new(log_n, *r, *p, 32)
                .map_err(|e| KeystoreError::Kdf(e.to_string()))?;
            scrypt::scrypt(password, &decode_hex("salt", salt)?, &params, key.as_mut())
                .map_err(|e| KeystoreError::Kdf(e.to_string()))?;
        }
        KdfParams::Pbkdf2 {
            dklen,
            c,
            prf,
            salt,
        } => {
            if kdf.function != "pbkdf2" || prf != "hmac-sha256" {
                return Err(KeystoreError::Unsupported {
                    module: "kdf",
                    function: format!("{} with {prf}", kdf.function),
                });
            }
            if *dklen != 32 || *c == 0 {
                return Err(KeystoreError::Malformed(format!(
                    "pbkdf2 dklen {dklen} (must be 32), c {c}"
                )));
            }
            pbkdf2::pbkdf2::<hmac::Hmac<Sha256>>(
                password,
                &decode_hex("salt", salt)?,
                *c,
                key.as_mut(),
            )
            .map_err(|e| KeystoreError::Kdf(e.to_string()))?;
        }
    }
    Ok(key)
}

fn checksum(decryption_key: &[u8; 32], cipher_message: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(&decryption_key[16..32]);
    hasher.update(cipher_message);
    hasher.finalize().into()
}

fn aes_128_ctr(key: &[u8; 32], iv: &[u8], data: &mut [u8]) -> Result<(), KeystoreError> {
    let mut cipher = Aes128Ctr::new_from_slices(&key[..16], iv)
        .map_err(|_| KeystoreError::Malformed(format!("iv of {} bytes (must be 16)", iv.len())))?;
    cipher.apply_keystream(data);
    Ok(())
}

impl Keystore {
    /// Encrypt `secret` under `password` (normalised as EIP-2335 says).
    pub fn encrypt(
        secret: &SecretKey,
        password: &str,
        path: &str,
        kdf: Kdf,
        description: Option<String>,
    ) -> Result<Self, KeystoreError> {
        let salt = hex::encode(random_bytes::<32>());
        let kdf = match kdf {
            Kdf::Scrypt => KdfModule {
                function: "scrypt".into(),
                params: KdfParams::Scrypt {
                    dklen: 32,
                    n: 1 << 18,
                    p: 1,
                    r: 8,
                    salt,
                },
                message: String::new(),
            },
            Kdf::Pbkdf2 | Kdf::InsecurePbkdf2 => KdfModule {
                function: "pbkdf2".into(),
                params: KdfParams::Pbkdf2 {
                    dklen: 32,
                    c: if kdf == Kdf::Pbkdf2 { 1 << 18 } else { 1 << 10 },
                    prf: "hmac-sha256".into(),
                    salt,
                },
                message: String::new(),
            },
        };
        Self::encrypt_with(
            secret,
            password,
            path,
            kdf,
            random_bytes::<16>(),
            description,
        )
    }

    /// Encrypt with given KDF parameters and IV (tests, and cheaper parameters on request).
    pub fn encrypt_with(
        secret: &SecretKey,
        password: &str,
        path: &str,
        kdf: KdfModule,
        iv: [u8; 16],
        description: Option<String>,
    ) -> Result<Self, KeystoreError> {
        let key = decryption_key(&normalize_password(password), &kdf)?;
        let mut message = Zeroizing::new(secret.serialize().to_vec());
        aes_128_ctr(&key, &iv, &mut message)?;
        let sum = checksum(&key, &message);
        Ok(Keystore {
            crypto: Crypto {
                kdf,
                checksum: ChecksumModule {
                    function: "sha256".into(),
                    params: EmptyParams {},
                    message: hex::encode(sum),
                },
                cipher: CipherModule {
                    function: "aes-128-ctr".into(),
                    params: CipherParams {
                        iv: hex::encode(iv),
                    },
                    message: hex::encode(message.as_slice()),
                },
            },
            description,
            pubkey: hex::encode(secret.public_key().serialize()),
            path: path.to_string(),
            uuid: uuid::Uuid::new_v4().to_string(),
            version: VERSION,
        })
    }

    /// Decrypt with `password`: the checksum tells a wrong password; the key must match
    /// the keystore's public key.
    pub fn decrypt(&self, password: &str) -> Result<SecretKey, KeystoreError> {
        if self.version != VERSION {
            return Err(KeystoreError::Malformed(format!(
                "version {} (expected {VERSION})",
                self.version
            )));
        }
        let crypto = &self.crypto;
        if crypto.checksum.function != "sha256" {
            return Err(KeystoreError::Unsupported {
                module: "checksum",
                function: crypto.checksum.function.clone(),
            });
        }
        if crypto.cipher.function != "aes-128-ctr" {
            return Err(KeystoreError::Unsupported {
                module: "cipher",
                function: crypto.cipher.function.clone(),
            });
        }
        let key = decryption_key(&normalize_password(password), &crypto.kdf)?;
        let message = decode_hex("cipher.message", &crypto.cipher.message)?;
        let expected = decode_hex("checksum.message", &crypto.checksum.message)?;
        if checksum(&key, &message)[..] != expected[..] {
            return Err(KeystoreError::WrongPassword);
        }
        let iv = decode_hex("cipher.params.iv", &crypto.cipher.params.iv)?;
        let mut secret = Zeroizing::new(message);
        aes_128_ctr(&key, &iv, &mut secret)?;
        let sk = SecretKey::deserialize(&secret).map_err(|_| KeystoreError::InvalidSecret)?;
        let found = hex::encode(sk.public_key().serialize());
        if !self.pubkey.is_empty() && found != self.pubkey.trim_start_matches("0x").to_lowercase() {
            return Err(KeystoreError::PubkeyMismatch {
                expected: self.pubkey.clone(),
                found,
            });
        }
        Ok(sk)
    }

    /// Parse keystore JSON.
    pub fn from_json_str(json: &str) -> Result<Self, KeystoreError> {
        serde_json::from_str(json).map_err(|e| KeystoreError::Malformed(e.to_string()))
    }

    /// The keystore as JSON.
    pub fn to_json_string(&self) -> String {
        // Plain strings and integers only: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Read a keystore file.
    pub fn from_file(path: &Path) -> Result<Self, KeystoreError> {
        let json = std::fs::read_to_string(path).map_err(|source| KeystoreError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json_str(&json)
    }

    /// Write the keystore to `path`, readable by its owner only.
    pub fn to_file(&self, path: &Path) -> Result<(), KeystoreError> {
        let io = |source| KeystoreError::Io {
            path: path.display().to_string(),
            source,
        };
        std::fs::write(path, self.to_json_string()).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
