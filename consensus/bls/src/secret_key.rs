//! Secret keys.

use zeroize::Zeroizing;

use crate::impls::{Backend, Impl, RawSecretKey};
use crate::{Error, PublicKey, Signature, SECRET_KEY_BYTES_LEN};

/// A BLS secret key: a scalar in `[1, r)`. Zeroized on drop; `Debug` never prints it.
#[derive(Clone)]
pub struct SecretKey(RawSecretKey);

impl SecretKey {
    /// A fresh random key from the thread-local CSPRNG.
    pub fn random() -> Self {
        Self(Impl::secret_key_random())
    }

    /// Parse 32 big-endian bytes; zero and values not below the curve order are rejected.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != SECRET_KEY_BYTES_LEN {
            return Err(Error::InvalidByteLength {
                got: bytes.len(),
                expected: SECRET_KEY_BYTES_LEN,
            });
        }
        let mut array = Zeroizing::new([0u8; SECRET_KEY_BYTES_LEN]);
        array.copy_from_slice(bytes);
        Impl::secret_key_from_bytes(&array)
            .map(Self)
            .ok_or(Error::InvalidSecretKey)
    }

    /// The 32-byte big-endian encoding, zeroized when dropped.
    pub fn serialize(&self) -> Zeroizing<[u8; SECRET_KEY_BYTES_LEN]> {
        Impl::secret_key_to_bytes(&self.0)
    }

    /// The corresponding public key (`SkToPk`).
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_point(Impl::secret_key_to_public_key(&self.0))
    }

    /// Sign `msg` (`Sign` of the proof-of-possession ciphersuite).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature::from_point(Impl::sign(&self.0, msg))
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The BLS12-381 scalar field order r, big-endian.
    const CURVE_ORDER: [u8; 32] = [
        0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8,
        0x05, 0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
        0x00, 0x01,
    ];

    #[test]
    fn zero_secret_key_rejected() {
        assert_eq!(
            SecretKey::deserialize(&[0u8; 32]).unwrap_err(),
            Error::InvalidSecretKey
        );
    }

    #[test]
    fn secret_key_at_or_above_order_rejected() {
        assert_eq!(
            SecretKey::deserialize(&CURVE_ORDER).unwrap_err(),
            Error::InvalidSecretKey
        );
        assert_eq!(
            SecretKey::deserialize(&[0xff; 32]).unwrap_err(),
            Error::InvalidSecretKey
        );
        let mut below = CURVE_ORDER;
        below[31] -= 1;
        let sk = SecretKey::deserialize(&below).expect("r - 1 is a valid key");
        assert_eq!(*sk.serialize(), below);
    }

    #[test]
    fn secret_key_bad_length() {
        for len in [0, 31, 33, 48] {
            assert_eq!(
                SecretKey::deserialize(&vec![1u8; len]).unwrap_err(),
                Error::InvalidByteLength {
                    got: len,
                    expected: 32
                }
            );
        }
    }

    #[test]
    fn secret_key_round_trip() {
        let sk = SecretKey::random();
        let bytes = sk.serialize();
        let sk2 = SecretKey::deserialize(bytes.as_ref()).expect("round trip");
        assert_eq!(sk.public_key(), sk2.public_key());
        let mut one = [0u8; 32];
        one[31] = 1;
        let sk1 = SecretKey::deserialize(&one).expect("one is valid");
        assert_eq!(*sk1.serialize(), one);
    }

    #[test]
    fn random_keys_differ() {
        assert_ne!(
            SecretKey::random().public_key(),
            SecretKey::random().public_key()
        );
    }

    #[test]
    fn debug_does_not_leak() {
        let mut one = [0u8; 32];
        one[31] = 7;
        let sk = SecretKey::deserialize(&one).expect("valid");
        let printed = format!("{sk:?}");
        assert_eq!(printed, "SecretKey(<redacted>)");
    }
}
