//! Signature sets and randomised batch verification.

use std::borrow::Cow;

use crate::impls::{Backend, Impl, RawPublicKey, RawSignature};
use crate::{Hash256, PublicKey, Signature};

/// One signature to check: the signature, the keys whose aggregate signed, and the 32-byte signing root.
#[derive(Clone, Debug)]
pub struct SignatureSet<'a> {
    /// The (possibly aggregate) signature.
    pub signature: Cow<'a, Signature>,
    /// The keys that signed `message`; their sum is the verifying key.
    pub signing_keys: Vec<Cow<'a, PublicKey>>,
    /// The signing root.
    pub message: Hash256,
}

impl<'a> SignatureSet<'a> {
    /// A set with one signing key.
    pub fn single_pubkey(
        signature: &'a Signature,
        key: Cow<'a, PublicKey>,
        message: Hash256,
    ) -> Self {
        Self {
            signature: Cow::Borrowed(signature),
            signing_keys: vec![key],
            message,
        }
    }

    /// A set whose signature is the aggregate of signatures by each of `keys` on `message`.
    pub fn multiple_pubkeys(
        signature: &'a Signature,
        keys: Vec<Cow<'a, PublicKey>>,
        message: Hash256,
    ) -> Self {
        Self {
            signature: Cow::Borrowed(signature),
            signing_keys: keys,
            message,
        }
    }

    /// Verify this set alone (`FastAggregateVerify`); `false` if it has no signing keys.
    pub fn verify(&self) -> bool {
        let keys: Vec<&PublicKey> = self.signing_keys.iter().map(|k| k.as_ref()).collect();
        self.signature
            .fast_aggregate_verify(&keys, self.message.as_slice())
    }

    /// The sum of the signing keys as a backend point, or `None` if empty or infinity.
    fn aggregate_key(&self) -> Option<Cow<'_, RawPublicKey>> {
        match self.signing_keys.as_slice() {
            [] => None,
            [single] => Some(Cow::Borrowed(single.point())),
            keys => {
                let points: Vec<&RawPublicKey> = keys.iter().map(|k| k.point()).collect();
                Impl::public_key_aggregate(&points).map(Cow::Owned)
            }
        }
    }
}

/// Batch-verify signature sets by a random linear combination (non-zero 64-bit scalars from a
/// CSPRNG): `true` iff (with overwhelming probability) every set is valid. An empty input is
/// vacuously valid and returns `true`; a set with no signing keys makes the batch invalid.
pub fn verify_signature_sets<'a>(
    sets: impl ExactSizeIterator<Item = &'a SignatureSet<'a>>,
) -> bool {
    let len = sets.len();
    let mut sigs: Vec<&RawSignature> = Vec::with_capacity(len);
    let mut keys: Vec<Cow<'_, RawPublicKey>> = Vec::with_capacity(len);
    let mut msgs: Vec<&[u8]> = Vec::with_capacity(len);
    for set in sets {
        let Some(key) = set.aggregate_key() else {
            return false;
        };
        sigs.push(set.signature.point());
        keys.push(key);
        msgs.push(set.message.as_slice());
    }
    if sigs.is_empty() {
        return true;
    }
    let key_refs: Vec<&RawPublicKey> = keys.iter().map(|k| k.as_ref()).collect();
    Impl::verify_batch(&sigs, &key_refs, &msgs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AggregateSignature, SecretKey};

    struct Fixture {
        keys: Vec<PublicKey>,
        sigs: Vec<Signature>,
        messages: Vec<Hash256>,
    }

    /// Set `i` has `i % 3 + 1` signers over message `i`; the signature is their aggregate.
    fn fixture(n: usize) -> Fixture {
        let sks: Vec<SecretKey> = (0..n + 2).map(|_| SecretKey::random()).collect();
        let keys: Vec<PublicKey> = sks.iter().map(|sk| sk.public_key()).collect();
        let mut sigs = vec![];
        let mut messages = vec![];
        for i in 0..n {
            let msg = Hash256::repeat_byte(i as u8 + 1);
            let parts: Vec<Signature> = (0..i % 3 + 1)
                .map(|j| sks[i + j].sign(msg.as_slice()))
                .collect();
            let refs: Vec<&Signature> = parts.iter().collect();
            sigs.push(
                AggregateSignature::aggregate(&refs)
                    .expect("non-empty")
                    .to_signature(),
            );
            messages.push(msg);
        }
        Fixture {
            keys,
            sigs,
            messages,
        }
    }

    fn sets(f: &Fixture) -> Vec<SignatureSet<'_>> {
        (0..f.sigs.len())
            .map(|i| {
                let keys: Vec<Cow<'_, PublicKey>> = (0..i % 3 + 1)
                    .map(|j| Cow::Borrowed(&f.keys[i + j]))
                    .collect();
                if keys.len() == 1 {
                    SignatureSet::single_pubkey(
                        &f.sigs[i],
                        Cow::Borrowed(&f.keys[i]),
                        f.messages[i],
                    )
                } else {
                    SignatureSet::multiple_pubkeys(&f.sigs[i], keys, f.messages[i])
                }
            })
            .collect()
    }

    #[test]
    fn batch_of_good_sets_verifies() {
        let f = fixture(6);
        let sets = sets(&f);
        for set in &sets {
            assert!(set.verify());
        }
        assert!(verify_signature_sets(sets.iter()));
        assert!(verify_signature_sets(sets[..1].iter()));
    }

    #[test]
    fn batch_with_one_bad_set_fails() {
        let f = fixture(6);
        let mut sets = sets(&f);
        sets[3].message = Hash256::repeat_byte(0xee);
        assert!(!sets[3].verify());
        assert!(!verify_signature_sets(sets.iter()));

        // Swapping two signatures makes both sets bad even though their sum is unchanged.
        let mut swapped = self::sets(&f);
        let first = swapped[0].signature.clone();
        swapped[0].signature = swapped[1].signature.clone();
        swapped[1].signature = first;
        assert!(!verify_signature_sets(swapped.iter()));

        // An infinity signature never verifies.
        let inf = Signature::infinity();
        let mut with_inf = self::sets(&f);
        with_inf[2].signature = Cow::Borrowed(&inf);
        assert!(!verify_signature_sets(with_inf.iter()));
    }

    #[test]
    fn batch_edge_cases() {
        let empty: Vec<SignatureSet<'_>> = vec![];
        assert!(verify_signature_sets(empty.iter()));

        let f = fixture(2);
        let mut sets = sets(&f);
        sets[1].signing_keys.clear();
        assert!(!sets[1].verify());
        assert!(!verify_signature_sets(sets.iter()));

        // Owned data works too.
        let owned = SignatureSet {
            signature: Cow::Owned(f.sigs[0].clone()),
            signing_keys: vec![Cow::Owned(f.keys[0].clone())],
            message: f.messages[0],
        };
        assert!(owned.verify());
        assert!(verify_signature_sets(std::iter::once(&owned)));
    }
}
