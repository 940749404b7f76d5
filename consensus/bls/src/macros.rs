//! Shared trait implementations for the fixed-length byte encodings (hex, SSZ, tree hash, serde).

/// Parse a `0x`-prefixed hex string of exactly `N` bytes.
pub(crate) fn parse_hex<const N: usize>(s: &str) -> Result<[u8; N], crate::Error> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| crate::Error::InvalidHex("missing 0x prefix".to_string()))?;
    if digits.len() != 2 * N {
        return Err(crate::Error::InvalidByteLength {
            got: digits.len() / 2,
            expected: N,
        });
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(digits, &mut out).map_err(|e| crate::Error::InvalidHex(e.to_string()))?;
    Ok(out)
}

/// Copy a slice into an array of exactly `N` bytes.
pub(crate) fn to_array<const N: usize>(bytes: &[u8]) -> Result<[u8; N], crate::Error> {
    bytes
        .try_into()
        .map_err(|_| crate::Error::InvalidByteLength {
            got: bytes.len(),
            expected: N,
        })
}

/// Implement `Display` (0x-hex), `FromStr`, `ssz::Encode`/`Decode`, `tree_hash::TreeHash` (as an
/// SSZ `Vector[byte, N]`) and hex-string serde for `$t`, given inherent methods
/// `serialize(&self) -> [u8; $len]` and `deserialize(&[u8]) -> Result<Self, Error>`.
macro_rules! impl_encodings {
    ($t:ty, $len:expr, $expecting:literal) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "0x{}", hex::encode(self.serialize()))
            }
        }

        impl std::str::FromStr for $t {
            type Err = $crate::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let bytes = $crate::macros::parse_hex::<{ $len }>(s)?;
                Self::deserialize(&bytes)
            }
        }

        impl ssz::Encode for $t {
            fn is_ssz_fixed_len() -> bool {
                true
            }

            fn ssz_fixed_len() -> usize {
                $len
            }

            fn ssz_bytes_len(&self) -> usize {
                $len
            }

            fn ssz_append(&self, buf: &mut Vec<u8>) {
                buf.extend_from_slice(&self.serialize());
            }
        }

        impl ssz::Decode for $t {
            fn is_ssz_fixed_len() -> bool {
                true
            }

            fn ssz_fixed_len() -> usize {
                $len
            }

            fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, ssz::DecodeError> {
                if bytes.len() != $len {
                    return Err(ssz::DecodeError::InvalidByteLength {
                        len: bytes.len(),
                        expected: $len,
                    });
                }
                Self::deserialize(bytes).map_err(|e| ssz::DecodeError::BytesInvalid(e.to_string()))
            }
        }

        impl tree_hash::TreeHash for $t {
            fn tree_hash_type() -> tree_hash::TreeHashType {
                tree_hash::TreeHashType::Vector
            }

            fn tree_hash_packed_encoding(&self) -> tree_hash::PackedEncoding {
                // A vector is never packed into a parent; the bytes are the natural answer.
                tree_hash::PackedEncoding::from_slice(&self.serialize())
            }

            fn tree_hash_packing_factor() -> usize {
                1
            }

            fn tree_hash_root(&self) -> tree_hash::Hash256 {
                // Vector[byte, N]: the bytes packed into ceil(N / 32) chunks and merkleized.
                tree_hash::merkle_root(&self.serialize(), 0)
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct HexVisitor;

                impl serde::de::Visitor<'_> for HexVisitor {
                    type Value = $t;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
                        s.parse().map_err(E::custom)
                    }
                }

                deserializer.deserialize_str(HexVisitor)
            }
        }
    };
}
