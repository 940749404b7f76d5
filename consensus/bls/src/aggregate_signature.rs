//! Signature aggregation.

use crate::impls::{Backend, Impl, RawAggregateSignature};
use crate::{Error, Signature, SIGNATURE_BYTES_LEN};

/// A running sum of signatures.
#[derive(Clone)]
pub struct AggregateSignature(RawAggregateSignature);

impl AggregateSignature {
    /// The empty aggregate (the point at infinity).
    pub fn infinity() -> Self {
        Self(Impl::aggregate_signature_infinity())
    }

    /// Add one signature to the aggregate.
    pub fn add_assign(&mut self, sig: &Signature) {
        Impl::aggregate_signature_add(&mut self.0, sig.point());
    }

    /// Add another aggregate to this one.
    pub fn add_assign_aggregate(&mut self, other: &AggregateSignature) {
        self.add_assign(&other.to_signature());
    }

    /// `Aggregate(signatures)`; errors on an empty list, as the spec defines no aggregate of nothing.
    pub fn aggregate(sigs: &[&Signature]) -> Result<Self, Error> {
        if sigs.is_empty() {
            return Err(Error::EmptyAggregation);
        }
        let mut agg = Self::infinity();
        for sig in sigs {
            agg.add_assign(sig);
        }
        Ok(agg)
    }

    /// The aggregate as a (verifiable) signature.
    pub fn to_signature(&self) -> Signature {
        Signature::from_point(Impl::aggregate_signature_to_signature(&self.0))
    }

    /// The 96-byte compressed encoding of the aggregate.
    pub fn serialize(&self) -> [u8; SIGNATURE_BYTES_LEN] {
        self.to_signature().serialize()
    }

    /// Decode a compressed signature as the starting value of an aggregate.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, Error> {
        Signature::deserialize(bytes).map(|sig| Self::from(&sig))
    }
}

impl From<&Signature> for AggregateSignature {
    fn from(sig: &Signature) -> Self {
        let mut agg = Self::infinity();
        agg.add_assign(sig);
        agg
    }
}

impl From<AggregateSignature> for Signature {
    fn from(agg: AggregateSignature) -> Self {
        agg.to_signature()
    }
}

impl PartialEq for AggregateSignature {
    fn eq(&self, other: &Self) -> bool {
        self.serialize() == other.serialize()
    }
}

impl Eq for AggregateSignature {}

impl std::fmt::Debug for AggregateSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl_encodings!(
    AggregateSignature,
    SIGNATURE_BYTES_LEN,
    "a 0x-prefixed hex string of a valid 96-byte compressed signature"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SecretKey, INFINITY_SIGNATURE};

    #[test]
    fn empty_aggregate_is_error() {
        assert_eq!(
            AggregateSignature::aggregate(&[]).unwrap_err(),
            Error::EmptyAggregation
        );
    }

    #[test]
    fn infinity_is_identity() {
        let inf = AggregateSignature::infinity();
        assert_eq!(inf.serialize(), INFINITY_SIGNATURE);
        assert_eq!(inf.to_signature(), Signature::infinity());
        let sig = SecretKey::random().sign(b"m");
        let mut agg = AggregateSignature::infinity();
        agg.add_assign(&sig);
        assert_eq!(agg.to_signature(), sig);
        agg.add_assign(&Signature::infinity());
        assert_eq!(agg.to_signature(), sig);
        assert_eq!(
            AggregateSignature::aggregate(&[&Signature::infinity()])
                .expect("one")
                .serialize(),
            INFINITY_SIGNATURE
        );
    }

    #[test]
    fn aggregation_is_order_independent() {
        let sigs: Vec<Signature> = (0..3).map(|i| SecretKey::random().sign(&[i])).collect();
        let a = AggregateSignature::aggregate(&[&sigs[0], &sigs[1], &sigs[2]]).expect("non-empty");
        let b = AggregateSignature::aggregate(&[&sigs[2], &sigs[0], &sigs[1]]).expect("non-empty");
        assert_eq!(a, b);
        let mut c = AggregateSignature::from(&sigs[0]);
        let rest = AggregateSignature::aggregate(&[&sigs[1], &sigs[2]]).expect("non-empty");
        c.add_assign_aggregate(&rest);
        assert_eq!(a, c);
        assert_eq!(
            AggregateSignature::deserialize(&a.serialize()).expect("valid"),
            a
        );
        assert_eq!(
            format!("{a:?}"),
            format!("0x{}", hex::encode(a.serialize()))
        );
    }
}
