//! Signatures and the three verification functions of the proof-of-possession scheme.

use crate::impls::{Backend, Impl, RawPublicKey, RawSignature};
use crate::{Error, PublicKey, INFINITY_SIGNATURE, SIGNATURE_BYTES_LEN};

/// A decompressed G2 signature, subgroup-checked. The point at infinity is a valid value (it is
/// the aggregate of nothing) but never verifies against a valid public key.
#[derive(Clone)]
pub struct Signature {
    point: RawSignature,
    /// The canonical compressed encoding of `point`.
    bytes: [u8; SIGNATURE_BYTES_LEN],
}

impl Signature {
    /// Wrap a backend point that is known to be in G2.
    pub(crate) fn from_point(point: RawSignature) -> Self {
        let bytes = Impl::signature_compress(&point);
        Self { point, bytes }
    }

    /// The backend point.
    pub(crate) fn point(&self) -> &RawSignature {
        &self.point
    }

    /// Decompress a 96-byte compressed signature, checking the encoding and subgroup membership.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, Error> {
        let array = crate::macros::to_array::<SIGNATURE_BYTES_LEN>(bytes)?;
        let point = Impl::signature_decompress(&array).map_err(Error::InvalidSignature)?;
        Ok(Self::from_point(point))
    }

    /// The 96-byte compressed encoding.
    pub fn serialize(&self) -> [u8; SIGNATURE_BYTES_LEN] {
        self.bytes
    }

    /// The point at infinity (`0xc0` followed by zeros).
    pub fn infinity() -> Self {
        Self {
            point: Impl::signature_infinity(),
            bytes: INFINITY_SIGNATURE,
        }
    }

    /// Whether this is the point at infinity.
    pub fn is_infinity(&self) -> bool {
        self.bytes == INFINITY_SIGNATURE
    }

    /// `Verify(pubkey, msg, signature)`.
    pub fn verify(&self, pubkey: &PublicKey, msg: &[u8]) -> bool {
        Impl::verify(&self.point, pubkey.point(), msg)
    }

    /// `FastAggregateVerify(pubkeys, msg, signature)`; `false` if `pubkeys` is empty.
    pub fn fast_aggregate_verify(&self, pubkeys: &[&PublicKey], msg: &[u8]) -> bool {
        let points: Vec<&RawPublicKey> = pubkeys.iter().map(|pk| pk.point()).collect();
        match Impl::public_key_aggregate(&points) {
            Some(aggregate) => Impl::verify(&self.point, &aggregate, msg),
            None => false,
        }
    }

    /// `AggregateVerify(pubkeys, msgs, signature)`; `false` if empty or the lengths differ.
    pub fn aggregate_verify(&self, pubkeys: &[&PublicKey], msgs: &[&[u8]]) -> bool {
        if pubkeys.is_empty() || pubkeys.len() != msgs.len() {
            return false;
        }
        let points: Vec<&RawPublicKey> = pubkeys.iter().map(|pk| pk.point()).collect();
        Impl::aggregate_verify(&self.point, &points, msgs)
    }
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        // The compressed encoding of a point is canonical.
        self.bytes == other.bytes
    }
}

impl Eq for Signature {}

impl std::hash::Hash for Signature {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl_encodings!(
    Signature,
    SIGNATURE_BYTES_LEN,
    "a 0x-prefixed hex string of a valid 96-byte compressed signature"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SecretKey;

    fn keypairs(n: usize) -> Vec<(SecretKey, PublicKey)> {
        (0..n)
            .map(|_| {
                let sk = SecretKey::random();
                let pk = sk.public_key();
                (sk, pk)
            })
            .collect()
    }

    #[test]
    fn sign_verify_round_trip() {
        let kps = keypairs(2);
        let (sk, pk) = &kps[0];
        let sig = sk.sign(b"hello");
        assert!(sig.verify(pk, b"hello"));
        let decoded = Signature::deserialize(&sig.serialize()).expect("valid");
        assert_eq!(decoded, sig);
        assert!(decoded.verify(pk, b"hello"));
        // Signing is deterministic.
        assert_eq!(sk.sign(b"hello"), sig);
    }

    #[test]
    fn wrong_message_or_key_fails() {
        let kps = keypairs(2);
        let sig = kps[0].0.sign(b"hello");
        assert!(!sig.verify(&kps[0].1, b"hellp"));
        assert!(!sig.verify(&kps[0].1, b""));
        assert!(!sig.verify(&kps[1].1, b"hello"));
    }

    #[test]
    fn infinity_signature() {
        let inf = Signature::infinity();
        assert!(inf.is_infinity());
        assert_eq!(inf.serialize(), INFINITY_SIGNATURE);
        assert_eq!(
            Signature::deserialize(&INFINITY_SIGNATURE).expect("valid value"),
            inf
        );
        let kps = keypairs(1);
        assert!(!inf.verify(&kps[0].1, b"m"));
        assert!(!inf.fast_aggregate_verify(&[&kps[0].1], b"m"));
        assert!(!inf.fast_aggregate_verify(&[], b"m"));
        assert!(!inf.aggregate_verify(&[], &[]));
    }

    #[test]
    fn invalid_signature_bytes() {
        assert!(matches!(
            Signature::deserialize(&[0u8; 96]),
            Err(Error::InvalidSignature(_))
        ));
        assert!(Signature::deserialize(&[0xff; 96]).is_err());
        assert_eq!(
            Signature::deserialize(&[0u8; 95]).unwrap_err(),
            Error::InvalidByteLength {
                got: 95,
                expected: 96
            }
        );
        let mut inf = INFINITY_SIGNATURE;
        inf[95] = 1;
        assert!(Signature::deserialize(&inf).is_err());
        let sig = SecretKey::random().sign(b"m").serialize();
        let mut flipped = sig;
        flipped[0] &= 0x7f;
        assert!(Signature::deserialize(&flipped).is_err());
        // Small x-coordinates: whatever decodes must be canonical; nothing panics.
        for i in 0u8..=255 {
            let mut bytes = [0u8; 96];
            bytes[0] = 0x80;
            bytes[95] = i;
            if let Ok(s) = Signature::deserialize(&bytes) {
                assert_eq!(s.serialize(), bytes);
            }
        }
    }

    #[test]
    fn fast_aggregate_verify() {
        let kps = keypairs(4);
        let msg = b"attestation";
        let sigs: Vec<Signature> = kps.iter().map(|(sk, _)| sk.sign(msg)).collect();
        let sig_refs: Vec<&Signature> = sigs.iter().collect();
        let agg = crate::AggregateSignature::aggregate(&sig_refs)
            .expect("non-empty")
            .to_signature();
        let pks: Vec<&PublicKey> = kps.iter().map(|(_, pk)| pk).collect();
        assert!(agg.fast_aggregate_verify(&pks, msg));
        assert!(!agg.fast_aggregate_verify(&pks[..3], msg));
        assert!(!agg.fast_aggregate_verify(&pks, b"other"));
        assert!(!agg.fast_aggregate_verify(&[], msg));
        // A single key behaves like verify.
        assert!(sigs[0].fast_aggregate_verify(&pks[..1], msg));
    }

    #[test]
    fn aggregate_verify() {
        let kps = keypairs(3);
        let msgs: [&[u8]; 3] = [b"a", b"b", b"c"];
        let sigs: Vec<Signature> = kps
            .iter()
            .zip(msgs)
            .map(|((sk, _), m)| sk.sign(m))
            .collect();
        let sig_refs: Vec<&Signature> = sigs.iter().collect();
        let agg = crate::AggregateSignature::aggregate(&sig_refs)
            .expect("non-empty")
            .to_signature();
        let pks: Vec<&PublicKey> = kps.iter().map(|(_, pk)| pk).collect();
        assert!(agg.aggregate_verify(&pks, &msgs));
        assert!(!agg.aggregate_verify(&pks, &[b"a", b"b", b"d"]));
        assert!(!agg.aggregate_verify(&pks[..2], &msgs));
        assert!(!agg.aggregate_verify(&pks[..2], &msgs[..2]));
        assert!(!agg.aggregate_verify(&[], &[]));
        assert!(!sigs[0].aggregate_verify(&pks[..1], &[b"b"]));
        assert!(sigs[0].aggregate_verify(&pks[..1], &[b"a"]));
    }

    #[test]
    fn cancelling_keys_are_rejected() {
        // pk and -pk would aggregate to infinity; with an infinity signature that would "verify"
        // if the aggregate key were not checked. -sk is r - sk.
        let sk_bytes = {
            let mut b = [0u8; 32];
            b[31] = 2;
            b
        };
        // r - 2, big-endian.
        let neg: [u8; 32] = [
            0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1,
            0xd8, 0x05, 0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xfe,
            0xff, 0xff, 0xff, 0xff,
        ];
        let pk = SecretKey::deserialize(&sk_bytes)
            .expect("valid")
            .public_key();
        let neg_pk = SecretKey::deserialize(&neg).expect("valid").public_key();
        assert!(crate::AggregatePublicKey::aggregate(&[&pk, &neg_pk]).is_err());
        assert!(!Signature::infinity().fast_aggregate_verify(&[&pk, &neg_pk], b"m"));
    }
}
