//! The JSON modules of an EIP-2335 keystore.

use serde::{Deserialize, Serialize};

/// The `crypto` object: KDF, checksum and cipher modules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crypto {
    pub kdf: KdfModule,
    pub checksum: ChecksumModule,
    pub cipher: CipherModule,
}

/// The password-stretching module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfModule {
    pub function: String,
    pub params: KdfParams,
    pub message: String,
}

/// Parameters of scrypt or PBKDF2 (told apart by their fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum KdfParams {
    Scrypt {
        dklen: u32,
        n: u32,
        p: u32,
        r: u32,
        salt: String,
    },
    Pbkdf2 {
        dklen: u32,
        c: u32,
        prf: String,
        salt: String,
    },
}

/// The checksum module (`sha256`, no parameters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecksumModule {
    pub function: String,
    pub params: EmptyParams,
    pub message: String,
}

/// `{}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyParams {}

/// The cipher module (`aes-128-ctr`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CipherModule {
    pub function: String,
    pub params: CipherParams,
    pub message: String,
}

/// The cipher's IV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CipherParams {
    pub iv: String,
}
