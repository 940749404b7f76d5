//! BLS12-381 signatures for Ethereum phase 0.
//!
//! Semantics follow the IETF BLS signature draft-04 as used by consensus-specs v1.0.1, with the
//! ciphersuite `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_` (public keys in G1, signatures in
//! G2).
//!
//! Two interchangeable backends provide the curve arithmetic: [blst](https://github.com/supranational/blst)
//! (the default) and the pure-Rust `bls12_381` crate (behind the `pure_rust` feature). The public
//! API is identical for both.
//!
//! Invariants kept by the wrapper types:
//! - a [`PublicKey`] is always a valid, subgroup-checked, non-infinity G1 point;
//! - a [`Signature`] is always a subgroup-checked G2 point (the point at infinity is allowed as a
//!   value, but never verifies against a valid public key);
//! - a [`SecretKey`] is always in `[1, r)` and is zeroized on drop.

#![warn(missing_docs)]

#[macro_use]
mod macros;

mod aggregate_signature;
mod bytes;
mod impls;
mod public_key;
mod secret_key;
mod signature;
mod signature_set;

pub use aggregate_signature::AggregateSignature;
pub use bytes::{PublicKeyBytes, SignatureBytes};
pub use public_key::{AggregatePublicKey, PublicKey};
pub use secret_key::SecretKey;
pub use signature::Signature;
pub use signature_set::{verify_signature_sets, SignatureSet};

/// A 32-byte hash (signing roots); the same type as `tree_hash::Hash256`.
pub type Hash256 = alloy_primitives::B256;

/// Length of a compressed G1 public key.
pub const PUBLIC_KEY_BYTES_LEN: usize = 48;
/// Length of a compressed G2 signature.
pub const SIGNATURE_BYTES_LEN: usize = 96;
/// Length of a serialized secret key (big-endian scalar).
pub const SECRET_KEY_BYTES_LEN: usize = 32;

/// The domain separation tag of the proof-of-possession ciphersuite used by Ethereum.
pub const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// The compressed encoding of the G1 point at infinity (never a valid public key).
pub const INFINITY_PUBLIC_KEY: [u8; PUBLIC_KEY_BYTES_LEN] = {
    let mut bytes = [0u8; PUBLIC_KEY_BYTES_LEN];
    bytes[0] = 0xc0;
    bytes
};

/// The compressed encoding of the G2 point at infinity.
pub const INFINITY_SIGNATURE: [u8; SIGNATURE_BYTES_LEN] = {
    let mut bytes = [0u8; SIGNATURE_BYTES_LEN];
    bytes[0] = 0xc0;
    bytes
};

/// Errors from decoding or combining keys and signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The secret key is zero, not less than the curve order, or has the wrong length.
    #[error("invalid secret key")]
    InvalidSecretKey,
    /// The bytes do not encode a valid public key (bad encoding, off-curve, wrong subgroup or infinity).
    #[error("invalid public key: {0}")]
    InvalidPublicKey(String),
    /// The bytes do not encode a valid signature (bad encoding, off-curve or wrong subgroup).
    #[error("invalid signature: {0}")]
    InvalidSignature(String),
    /// The input has the wrong number of bytes.
    #[error("invalid byte length: got {got}, expected {expected}")]
    InvalidByteLength {
        /// Number of bytes supplied.
        got: usize,
        /// Number of bytes required.
        expected: usize,
    },
    /// A hex string is malformed (missing `0x` prefix or non-hex characters).
    #[error("invalid hex: {0}")]
    InvalidHex(String),
    /// Aggregation of an empty list was requested.
    #[error("cannot aggregate an empty list")]
    EmptyAggregation,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SecretKey>();
        assert_send_sync::<PublicKey>();
        assert_send_sync::<PublicKeyBytes>();
        assert_send_sync::<Signature>();
        assert_send_sync::<SignatureBytes>();
        assert_send_sync::<AggregateSignature>();
        assert_send_sync::<SignatureSet<'static>>();
    }

    /// consensus-specs v1.0.1 `bls/sign/small/sign_case_11b8c7cad5238946`, checked with either
    /// backend even when the vector directory is absent.
    #[test]
    fn known_answer_sign_and_verify() {
        let sk = SecretKey::deserialize(
            &hex::decode("47b8192d77bf871b62e87859d653922725724a5c031afeabc60bcef5ff665138")
                .expect("hex"),
        )
        .expect("valid key");
        let expected = "0xb23c46be3a001c63ca711f87a005c200cc550b9429d5f4eb38d74322144f1b63926da3388979e5321012fb1a0526bcd100b5ef5fe72628ce4cd5e904aeaa3279527843fae5ca9ca675f4f51ed8f83bbf7155da9ecc9663100a885d5dc6df96d9";
        let sig = sk.sign(&[0u8; 32]);
        assert_eq!(sig.to_string(), expected);
        assert!(sig.verify(&sk.public_key(), &[0u8; 32]));
        let parsed: SignatureBytes = expected.parse().expect("hex");
        assert_eq!(parsed.decompress().expect("valid"), sig);
    }
}
