//! Validated public keys.

use crate::impls::{Backend, Impl, RawPublicKey};
use crate::{Error, PublicKeyBytes, PUBLIC_KEY_BYTES_LEN};

/// A decompressed, validated G1 public key: on the curve, in the subgroup, never infinity.
#[derive(Clone)]
pub struct PublicKey {
    point: RawPublicKey,
    /// The canonical compressed encoding of `point`.
    bytes: [u8; PUBLIC_KEY_BYTES_LEN],
}

impl PublicKey {
    /// Wrap a backend point that is known to be valid.
    pub(crate) fn from_point(point: RawPublicKey) -> Self {
        let bytes = Impl::public_key_compress(&point);
        Self { point, bytes }
    }

    /// The backend point.
    pub(crate) fn point(&self) -> &RawPublicKey {
        &self.point
    }

    /// Decompress and validate (`KeyValidate`) a 48-byte compressed public key.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, Error> {
        let array = crate::macros::to_array::<PUBLIC_KEY_BYTES_LEN>(bytes)?;
        let point = Impl::public_key_decompress(&array).map_err(Error::InvalidPublicKey)?;
        Ok(Self::from_point(point))
    }

    /// The 48-byte compressed encoding.
    pub fn serialize(&self) -> [u8; PUBLIC_KEY_BYTES_LEN] {
        self.bytes
    }

    /// The compressed encoding as [`PublicKeyBytes`].
    pub fn compress(&self) -> PublicKeyBytes {
        PublicKeyBytes::from_array(self.bytes)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        // The compressed encoding of a point is canonical.
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl_encodings!(
    PublicKey,
    PUBLIC_KEY_BYTES_LEN,
    "a 0x-prefixed hex string of a valid 48-byte compressed public key"
);

/// Aggregation of public keys (a helper; phase 0 never needs the aggregate as a value).
pub struct AggregatePublicKey;

impl AggregatePublicKey {
    /// Sum the keys; errors on an empty list or if the sum is the point at infinity.
    pub fn aggregate(pubkeys: &[&PublicKey]) -> Result<PublicKey, Error> {
        if pubkeys.is_empty() {
            return Err(Error::EmptyAggregation);
        }
        let points: Vec<&RawPublicKey> = pubkeys.iter().map(|pk| pk.point()).collect();
        Impl::public_key_aggregate(&points)
            .map(PublicKey::from_point)
            .ok_or_else(|| {
                Error::InvalidPublicKey("aggregate is the point at infinity".to_string())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SecretKey, INFINITY_PUBLIC_KEY};

    fn key(i: u8) -> SecretKey {
        let mut bytes = [0u8; 32];
        bytes[31] = i;
        bytes[0] = 0x11;
        SecretKey::deserialize(&bytes).expect("valid secret key")
    }

    #[test]
    fn infinity_public_key_rejected() {
        assert!(matches!(
            PublicKey::deserialize(&INFINITY_PUBLIC_KEY),
            Err(Error::InvalidPublicKey(_))
        ));
        assert!(PublicKeyBytes::from_array(INFINITY_PUBLIC_KEY)
            .decompress()
            .is_err());
        assert!(PublicKeyBytes::empty().decompress().is_err());
    }

    #[test]
    fn invalid_public_key_bytes_rejected() {
        // Non-canonical x (>= p), missing compression flag.
        assert!(PublicKey::deserialize(&[0xff; 48]).is_err());
        let mut pk = key(1).public_key().serialize();
        pk[0] &= 0x7f;
        assert!(PublicKey::deserialize(&pk).is_err());
        // Infinity flag with non-zero bits.
        let mut inf = INFINITY_PUBLIC_KEY;
        inf[47] = 1;
        assert!(PublicKey::deserialize(&inf).is_err());
        // x = 0 would need y^2 = 4, and (0, 2) is not in the prime-order subgroup.
        let mut zero_x = [0u8; 48];
        zero_x[0] = 0x80;
        assert!(PublicKey::deserialize(&zero_x).is_err());
        // Compressed x-coordinates that are not on the curve or not in G1 are all rejected.
        for i in 0u8..=255 {
            let mut bytes = [0u8; 48];
            bytes[0] = 0x80;
            bytes[47] = i;
            if let Ok(pk) = PublicKey::deserialize(&bytes) {
                assert_eq!(pk.serialize(), bytes);
            }
        }
    }

    #[test]
    fn public_key_bad_length() {
        let pk = key(1).public_key().serialize();
        assert_eq!(
            PublicKey::deserialize(&pk[..47]).unwrap_err(),
            Error::InvalidByteLength {
                got: 47,
                expected: 48
            }
        );
        let long = [pk.as_slice(), &[0]].concat();
        assert_eq!(
            PublicKey::deserialize(&long).unwrap_err(),
            Error::InvalidByteLength {
                got: 49,
                expected: 48
            }
        );
        assert!(PublicKey::deserialize(&[]).is_err());
    }

    #[test]
    fn public_key_round_trip() {
        let pk = key(3).public_key();
        let bytes = pk.compress();
        assert_eq!(bytes.as_bytes(), &pk.serialize());
        assert_eq!(bytes.decompress().expect("valid"), pk);
        assert_eq!(PublicKey::deserialize(&pk.serialize()).expect("valid"), pk);
    }

    #[test]
    fn public_key_ssz_serde_round_trip() {
        use ssz::{Decode, Encode};
        let pk = key(4).public_key();
        let ssz_bytes = pk.as_ssz_bytes();
        assert_eq!(ssz_bytes.len(), 48);
        assert_eq!(PublicKey::from_ssz_bytes(&ssz_bytes).expect("decode"), pk);
        assert!(PublicKey::from_ssz_bytes(&ssz_bytes[1..]).is_err());
        assert!(PublicKey::from_ssz_bytes(&INFINITY_PUBLIC_KEY).is_err());

        let json = serde_json::to_string(&pk).expect("serialize");
        assert_eq!(json, format!("\"0x{}\"", hex::encode(pk.serialize())));
        assert_eq!(
            serde_json::from_str::<PublicKey>(&json).expect("deserialize"),
            pk
        );
        let inf = format!("\"0x{}\"", hex::encode(INFINITY_PUBLIC_KEY));
        assert!(serde_json::from_str::<PublicKey>(&inf).is_err());

        use tree_hash::TreeHash;
        assert_eq!(pk.tree_hash_root(), pk.compress().tree_hash_root());
    }

    #[test]
    fn aggregate_public_keys() {
        assert_eq!(
            AggregatePublicKey::aggregate(&[]).unwrap_err(),
            Error::EmptyAggregation
        );
        let (a, b) = (key(5).public_key(), key(6).public_key());
        let single = AggregatePublicKey::aggregate(&[&a]).expect("one key");
        assert_eq!(single, a);
        let sum = AggregatePublicKey::aggregate(&[&a, &b]).expect("two keys");
        assert_ne!(sum, a);
        assert_eq!(
            sum,
            AggregatePublicKey::aggregate(&[&b, &a]).expect("commutes")
        );
    }
}
