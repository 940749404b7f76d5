//! Compressed, possibly-invalid encodings of public keys and signatures, as stored in consensus
//! containers. Decompression (and validation) happens on demand.

use crate::{Error, PublicKey, Signature, PUBLIC_KEY_BYTES_LEN, SIGNATURE_BYTES_LEN};

macro_rules! bytes_type {
    ($(#[$attr:meta])* $name:ident, $len:expr, $point:ty, $expecting:literal) => {
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; $len]);

        impl $name {
            /// All-zero bytes (the SSZ default; not a valid point encoding).
            pub const fn empty() -> Self {
                Self([0u8; $len])
            }

            /// Wrap a slice of exactly the right length; no validity check beyond the length.
            pub fn deserialize(bytes: &[u8]) -> Result<Self, Error> {
                crate::macros::to_array::<{ $len }>(bytes).map(Self)
            }

            /// Wrap an array; no validity check.
            pub const fn from_array(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// The raw bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// A copy of the raw bytes.
            pub const fn serialize(&self) -> [u8; $len] {
                self.0
            }

            /// Decompress and validate the point these bytes encode.
            pub fn decompress(&self) -> Result<$point, Error> {
                <$point>::deserialize(&self.0)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::empty()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(self, f)
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl From<[u8; $len]> for $name {
            fn from(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }
        }

        impl_encodings!($name, $len, $expecting);
    };
}

bytes_type!(
    /// A compressed G1 public key (48 bytes) that may or may not be valid.
    PublicKeyBytes,
    PUBLIC_KEY_BYTES_LEN,
    PublicKey,
    "a 0x-prefixed hex string of 48 bytes"
);

bytes_type!(
    /// A compressed G2 signature (96 bytes) that may or may not be valid.
    SignatureBytes,
    SIGNATURE_BYTES_LEN,
    Signature,
    "a 0x-prefixed hex string of 96 bytes"
);

impl From<&PublicKey> for PublicKeyBytes {
    fn from(pk: &PublicKey) -> Self {
        pk.compress()
    }
}

impl From<PublicKey> for PublicKeyBytes {
    fn from(pk: PublicKey) -> Self {
        pk.compress()
    }
}

impl TryFrom<&PublicKeyBytes> for PublicKey {
    type Error = Error;

    fn try_from(bytes: &PublicKeyBytes) -> Result<Self, Error> {
        bytes.decompress()
    }
}

impl From<&Signature> for SignatureBytes {
    fn from(sig: &Signature) -> Self {
        Self(sig.serialize())
    }
}

impl From<Signature> for SignatureBytes {
    fn from(sig: Signature) -> Self {
        Self(sig.serialize())
    }
}

impl TryFrom<&SignatureBytes> for Signature {
    type Error = Error;

    fn try_from(bytes: &SignatureBytes) -> Result<Self, Error> {
        bytes.decompress()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SecretKey, INFINITY_SIGNATURE};
    use ssz::{Decode, Encode};
    use tree_hash::TreeHash;

    fn keypair() -> (SecretKey, PublicKey) {
        let sk = SecretKey::random();
        let pk = sk.public_key();
        (sk, pk)
    }

    #[test]
    fn empty_and_default() {
        assert_eq!(PublicKeyBytes::default(), PublicKeyBytes::empty());
        assert_eq!(PublicKeyBytes::empty().as_bytes(), &[0u8; 48]);
        assert_eq!(SignatureBytes::default(), SignatureBytes::empty());
        assert_eq!(SignatureBytes::empty().as_bytes(), &[0u8; 96]);
        assert!(SignatureBytes::empty().decompress().is_err());
    }

    #[test]
    fn bytes_deserialize_checks_length_only() {
        assert!(PublicKeyBytes::deserialize(&[0xff; 48]).is_ok());
        assert_eq!(
            PublicKeyBytes::deserialize(&[0; 47]).unwrap_err(),
            Error::InvalidByteLength {
                got: 47,
                expected: 48
            }
        );
        assert!(SignatureBytes::deserialize(&[0xff; 96]).is_ok());
        assert_eq!(
            SignatureBytes::deserialize(&[0; 97]).unwrap_err(),
            Error::InvalidByteLength {
                got: 97,
                expected: 96
            }
        );
    }

    #[test]
    fn hex_display_and_from_str() {
        let (sk, pk) = keypair();
        let bytes = pk.compress();
        let s = bytes.to_string();
        assert_eq!(s, format!("0x{}", hex::encode(pk.serialize())));
        assert_eq!(format!("{bytes:?}"), s);
        assert_eq!(s.parse::<PublicKeyBytes>().expect("parse"), bytes);
        assert!(s[2..].parse::<PublicKeyBytes>().is_err(), "prefix required");
        assert!(s[..s.len() - 2].parse::<PublicKeyBytes>().is_err());
        assert!(format!("{s}00").parse::<PublicKeyBytes>().is_err());
        assert!(format!("{s}0").parse::<PublicKeyBytes>().is_err());
        assert!(format!("0x{}", "zz".repeat(48))
            .parse::<PublicKeyBytes>()
            .is_err());
        assert!("0x\u{e9}".parse::<PublicKeyBytes>().is_err());

        let sig = SignatureBytes::from(sk.sign(b"msg"));
        let s = sig.to_string();
        assert_eq!(s.len(), 2 + 192);
        assert_eq!(s.parse::<SignatureBytes>().expect("parse"), sig);
        assert_eq!(format!("{sig:?}"), s);
    }

    #[test]
    fn ssz_round_trip_and_bad_lengths() {
        let (sk, pk) = keypair();
        let bytes = pk.compress();
        assert!(<PublicKeyBytes as Encode>::is_ssz_fixed_len());
        assert_eq!(<PublicKeyBytes as Encode>::ssz_fixed_len(), 48);
        assert_eq!(bytes.as_ssz_bytes(), pk.serialize().to_vec());
        assert_eq!(
            PublicKeyBytes::from_ssz_bytes(&bytes.as_ssz_bytes()).expect("decode"),
            bytes
        );
        assert_eq!(
            PublicKeyBytes::from_ssz_bytes(&[0; 47]).unwrap_err(),
            ssz::DecodeError::InvalidByteLength {
                len: 47,
                expected: 48
            }
        );
        assert!(PublicKeyBytes::from_ssz_bytes(&[]).is_err());
        // Invalid points are fine as bytes.
        assert!(PublicKeyBytes::from_ssz_bytes(&[0xff; 48]).is_ok());

        let sig = SignatureBytes::from(sk.sign(b"x"));
        assert_eq!(<SignatureBytes as Decode>::ssz_fixed_len(), 96);
        assert_eq!(
            SignatureBytes::from_ssz_bytes(&sig.as_ssz_bytes()).expect("decode"),
            sig
        );
        assert_eq!(
            SignatureBytes::from_ssz_bytes(&[0; 95]).unwrap_err(),
            ssz::DecodeError::InvalidByteLength {
                len: 95,
                expected: 96
            }
        );
        let s = sk.sign(b"x");
        assert_eq!(
            crate::Signature::from_ssz_bytes(&s.as_ssz_bytes()).expect("decode"),
            s
        );
        assert!(crate::Signature::from_ssz_bytes(&[0xff; 96]).is_err());
        assert_eq!(
            crate::Signature::from_ssz_bytes(&INFINITY_SIGNATURE).expect("infinity"),
            crate::Signature::infinity()
        );
    }

    #[test]
    fn serde_round_trip_and_strictness() {
        let (sk, pk) = keypair();
        let bytes = pk.compress();
        let json = serde_json::to_string(&bytes).expect("serialize");
        assert_eq!(json, format!("\"{bytes}\""));
        assert_eq!(
            serde_json::from_str::<PublicKeyBytes>(&json).expect("deserialize"),
            bytes
        );
        let hex48 = hex::encode([0xabu8; 48]);
        assert!(serde_json::from_str::<PublicKeyBytes>(&format!("\"0x{hex48}\"")).is_ok());
        assert!(serde_json::from_str::<PublicKeyBytes>(&format!("\"{hex48}\"")).is_err());
        assert!(serde_json::from_str::<PublicKeyBytes>(&format!("\"0x{hex48}ab\"")).is_err());
        assert!(serde_json::from_str::<PublicKeyBytes>(&format!("\"0x{}\"", &hex48[2..])).is_err());
        assert!(
            serde_json::from_str::<PublicKeyBytes>(&format!("\"0x{}g\"", &hex48[1..])).is_err()
        );
        assert!(serde_json::from_str::<PublicKeyBytes>("42").is_err());
        assert!(serde_json::from_str::<PublicKeyBytes>("[1,2,3]").is_err());

        let sig = SignatureBytes::from(sk.sign(b"y"));
        let json = serde_json::to_string(&sig).expect("serialize");
        assert_eq!(
            serde_json::from_str::<SignatureBytes>(&json).expect("deserialize"),
            sig
        );
        let hex48_json = format!("\"0x{hex48}\"");
        assert!(serde_json::from_str::<SignatureBytes>(&hex48_json).is_err());

        let full = sk.sign(b"y");
        let json = serde_json::to_string(&full).expect("serialize");
        assert_eq!(
            serde_json::from_str::<crate::Signature>(&json).expect("deserialize"),
            full
        );

        // YAML (as used by the spec test files) goes through the same path.
        let yaml = serde_yaml::to_string(&bytes).expect("yaml");
        assert_eq!(
            serde_yaml::from_str::<PublicKeyBytes>(&yaml).expect("yaml back"),
            bytes
        );
    }

    #[test]
    fn tree_hash_is_ssz_byte_vector() {
        use ethereum_hashing::hash;
        let pk = PublicKeyBytes::from_array(std::array::from_fn(|i| i as u8));
        // Vector[byte, 48]: two chunks, the second zero-padded.
        let mut leaves = [0u8; 64];
        leaves[..48].copy_from_slice(pk.as_bytes());
        assert_eq!(pk.tree_hash_root().as_slice(), hash(&leaves).as_slice());
        assert_eq!(
            <PublicKeyBytes as TreeHash>::tree_hash_type(),
            tree_hash::TreeHashType::Vector
        );

        // Vector[byte, 96]: three chunks padded to four.
        let sig = SignatureBytes::from_array(std::array::from_fn(|i| (i * 3) as u8));
        let left = hash(&sig.as_bytes()[..64]);
        let mut right_leaves = [0u8; 64];
        right_leaves[..32].copy_from_slice(&sig.as_bytes()[64..]);
        let right = hash(&right_leaves);
        let root = hash(&[left, right].concat());
        assert_eq!(sig.tree_hash_root().as_slice(), root.as_slice());

        let empty_root = SignatureBytes::empty().tree_hash_root();
        let zero_chunk_pair = hash(&[0u8; 64]);
        assert_eq!(
            empty_root.as_slice(),
            hash(&[zero_chunk_pair.clone(), zero_chunk_pair].concat()).as_slice()
        );
    }

    #[test]
    fn conversions() {
        let (sk, pk) = keypair();
        let bytes: PublicKeyBytes = (&pk).into();
        assert_eq!(PublicKey::try_from(&bytes).expect("valid"), pk);
        let sig = sk.sign(b"z");
        let sig_bytes = SignatureBytes::from(&sig);
        assert_eq!(Signature::try_from(&sig_bytes).expect("valid"), sig);
        assert_eq!(sig_bytes.decompress().expect("valid"), sig);
        assert_eq!(sig_bytes.as_ref(), sig.serialize().as_slice());
    }
}
