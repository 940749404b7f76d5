//! The `blst` backend (default).

use blst::min_pk;
use blst::{blst_scalar, BLST_ERROR};
use rand::RngCore;
use zeroize::{Zeroize, Zeroizing};

use super::{random_batch_scalar, Backend};
use crate::{DST, PUBLIC_KEY_BYTES_LEN, SECRET_KEY_BYTES_LEN, SIGNATURE_BYTES_LEN};

/// Number of random bits in each batch-verification scalar.
const RAND_BITS: usize = 64;

/// Backend built on `blst::min_pk`.
pub(crate) struct BlstBackend;

/// A signature accumulator (projective G2).
#[derive(Clone)]
pub(crate) struct BlstAggregateSignature(min_pk::AggregateSignature);

fn describe(err: BLST_ERROR) -> String {
    format!("{err:?}")
}

impl Backend for BlstBackend {
    // `blst::min_pk::SecretKey` zeroizes itself on drop.
    type SecretKey = min_pk::SecretKey;
    type PublicKey = min_pk::PublicKey;
    type Signature = min_pk::Signature;
    type AggregateSignature = BlstAggregateSignature;

    fn secret_key_random() -> Self::SecretKey {
        let mut rng = rand::thread_rng();
        loop {
            let mut ikm = Zeroizing::new([0u8; 32]);
            rng.fill_bytes(ikm.as_mut());
            // `key_gen` only fails on short key material and yields a non-zero scalar (the
            // IETF KeyGen loops until it is non-zero); `blst_sk_check` guards it regardless.
            if let Ok(sk) = min_pk::SecretKey::key_gen(ikm.as_ref(), &[]) {
                let bytes = Zeroizing::new(sk.serialize());
                if min_pk::SecretKey::deserialize(bytes.as_ref()).is_ok() {
                    return sk;
                }
            }
        }
    }

    fn secret_key_from_bytes(bytes: &[u8; SECRET_KEY_BYTES_LEN]) -> Option<Self::SecretKey> {
        // `deserialize` rejects zero and values >= r (`blst_sk_check`).
        min_pk::SecretKey::deserialize(bytes).ok()
    }

    fn secret_key_to_bytes(sk: &Self::SecretKey) -> Zeroizing<[u8; SECRET_KEY_BYTES_LEN]> {
        Zeroizing::new(sk.serialize())
    }

    fn secret_key_to_public_key(sk: &Self::SecretKey) -> Self::PublicKey {
        sk.sk_to_pk()
    }

    fn sign(sk: &Self::SecretKey, msg: &[u8]) -> Self::Signature {
        sk.sign(msg, DST, &[])
    }

    fn public_key_decompress(
        bytes: &[u8; PUBLIC_KEY_BYTES_LEN],
    ) -> Result<Self::PublicKey, String> {
        // `uncompress` requires the compression flag (no 96-byte serialized form); `validate`
        // rejects infinity and points outside G1.
        let pk = min_pk::PublicKey::uncompress(bytes).map_err(describe)?;
        pk.validate().map_err(describe)?;
        Ok(pk)
    }

    fn public_key_compress(pk: &Self::PublicKey) -> [u8; PUBLIC_KEY_BYTES_LEN] {
        pk.compress()
    }

    fn public_key_aggregate(pks: &[&Self::PublicKey]) -> Option<Self::PublicKey> {
        let agg = min_pk::AggregatePublicKey::aggregate(pks, false).ok()?;
        let pk = agg.to_public_key();
        // The sum of valid keys is in G1; only infinity needs rejecting.
        pk.validate().ok()?;
        Some(pk)
    }

    fn signature_decompress(bytes: &[u8; SIGNATURE_BYTES_LEN]) -> Result<Self::Signature, String> {
        let sig = min_pk::Signature::uncompress(bytes).map_err(describe)?;
        sig.validate(false).map_err(describe)?;
        Ok(sig)
    }

    fn signature_compress(sig: &Self::Signature) -> [u8; SIGNATURE_BYTES_LEN] {
        sig.compress()
    }

    fn signature_infinity() -> Self::Signature {
        // The default affine point (all-zero coordinates) is blst's point at infinity.
        min_pk::Signature::from(blst::blst_p2_affine::default())
    }

    fn verify(sig: &Self::Signature, pk: &Self::PublicKey, msg: &[u8]) -> bool {
        // Inputs are group-checked at construction.
        sig.verify(false, msg, DST, &[], pk, false) == BLST_ERROR::BLST_SUCCESS
    }

    fn aggregate_verify(sig: &Self::Signature, pks: &[&Self::PublicKey], msgs: &[&[u8]]) -> bool {
        if pks.is_empty() || pks.len() != msgs.len() {
            return false;
        }
        sig.aggregate_verify(false, msgs, DST, pks, false) == BLST_ERROR::BLST_SUCCESS
    }

    fn verify_batch(sigs: &[&Self::Signature], pks: &[&Self::PublicKey], msgs: &[&[u8]]) -> bool {
        let n = sigs.len();
        if n == 0 || pks.len() != n || msgs.len() != n {
            return false;
        }
        let rands: Vec<blst_scalar> = (0..n)
            .map(|_| {
                let mut scalar = blst_scalar::default();
                scalar.b[..8].copy_from_slice(&random_batch_scalar().to_le_bytes());
                scalar
            })
            .collect();
        min_pk::Signature::verify_multiple_aggregate_signatures(
            msgs, DST, pks, false, sigs, false, &rands, RAND_BITS,
        ) == BLST_ERROR::BLST_SUCCESS
    }

    fn aggregate_signature_infinity() -> Self::AggregateSignature {
        BlstAggregateSignature(min_pk::AggregateSignature::from_signature(
            &Self::signature_infinity(),
        ))
    }

    fn aggregate_signature_add(agg: &mut Self::AggregateSignature, sig: &Self::Signature) {
        // Signatures are group-checked at construction, so the check is skipped (it cannot fail).
        let _ = agg.0.add_signature(sig, false);
    }

    fn aggregate_signature_to_signature(agg: &Self::AggregateSignature) -> Self::Signature {
        agg.0.to_signature()
    }
}

/// Keep the `Zeroize` import meaningful: the blst secret key type must zeroize on drop.
const _: fn() = || {
    fn assert_zeroize<T: Zeroize>() {}
    assert_zeroize::<min_pk::SecretKey>();
};
