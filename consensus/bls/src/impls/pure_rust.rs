//! The pure-Rust backend, built on the `bls12_381` crate (feature `pure_rust`).

use bls12_381::hash_to_curve::{ExpandMsgXmd, HashToCurve};
use bls12_381::{
    multi_miller_loop, G1Affine, G1Projective, G2Affine, G2Prepared, G2Projective, Gt, Scalar,
};
use group::Curve;
use rand::RngCore;
use zeroize::Zeroizing;

use super::{random_batch_scalar, Backend};
use crate::{DST, PUBLIC_KEY_BYTES_LEN, SECRET_KEY_BYTES_LEN, SIGNATURE_BYTES_LEN};

/// Backend built on `bls12_381` 0.8.
pub(crate) struct PureRustBackend;

/// A non-zero scalar, overwritten with zero on drop.
#[derive(Clone)]
pub(crate) struct PureSecretKey(Scalar);

impl Drop for PureSecretKey {
    fn drop(&mut self) {
        // SAFETY: `self.0` is a valid, aligned `Scalar`, and `Scalar::zero()` a valid value.
        unsafe { std::ptr::write_volatile(&mut self.0, Scalar::zero()) };
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}

/// A signature accumulator (projective G2).
#[derive(Clone)]
pub(crate) struct PureAggregateSignature(G2Projective);

/// `H(msg)`: hash to G2 with the proof-of-possession ciphersuite DST.
fn hash_to_g2(msg: &[u8]) -> G2Projective {
    <G2Projective as HashToCurve<ExpandMsgXmd<sha2::Sha256>>>::hash_to_curve(msg, DST)
}

/// Whether `prod e(p_i, q_i) == 1`.
fn pairing_product_is_one(terms: &[(G1Affine, G2Affine)]) -> bool {
    let prepared: Vec<(G1Affine, G2Prepared)> = terms
        .iter()
        .map(|(p, q)| (*p, G2Prepared::from(*q)))
        .collect();
    let refs: Vec<(&G1Affine, &G2Prepared)> = prepared.iter().map(|(p, q)| (p, q)).collect();
    multi_miller_loop(&refs).final_exponentiation() == Gt::identity()
}

/// Convert little-endian bytes of a big-endian input.
fn reversed(bytes: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new(*bytes);
    out.reverse();
    out
}

impl Backend for PureRustBackend {
    type SecretKey = PureSecretKey;
    type PublicKey = G1Affine;
    type Signature = G2Affine;
    type AggregateSignature = PureAggregateSignature;

    fn secret_key_random() -> Self::SecretKey {
        let mut rng = rand::thread_rng();
        loop {
            let mut wide = Zeroizing::new([0u8; 64]);
            rng.fill_bytes(wide.as_mut());
            let scalar = PureSecretKey(Scalar::from_bytes_wide(&wide));
            if scalar.0 != Scalar::zero() {
                return scalar;
            }
        }
    }

    fn secret_key_from_bytes(bytes: &[u8; SECRET_KEY_BYTES_LEN]) -> Option<Self::SecretKey> {
        let le = reversed(bytes);
        let scalar: Option<Scalar> = Scalar::from_bytes(&le).into();
        let sk = PureSecretKey(scalar?);
        if sk.0 == Scalar::zero() {
            return None;
        }
        Some(sk)
    }

    fn secret_key_to_bytes(sk: &Self::SecretKey) -> Zeroizing<[u8; SECRET_KEY_BYTES_LEN]> {
        let mut le = Zeroizing::new(sk.0.to_bytes());
        le.reverse();
        le
    }

    fn secret_key_to_public_key(sk: &Self::SecretKey) -> Self::PublicKey {
        (G1Projective::generator() * sk.0).to_affine()
    }

    fn sign(sk: &Self::SecretKey, msg: &[u8]) -> Self::Signature {
        (hash_to_g2(msg) * sk.0).to_affine()
    }

    fn public_key_decompress(
        bytes: &[u8; PUBLIC_KEY_BYTES_LEN],
    ) -> Result<Self::PublicKey, String> {
        // `from_compressed` checks the encoding, the curve equation and the subgroup.
        let pk: Option<G1Affine> = G1Affine::from_compressed(bytes).into();
        let pk = pk.ok_or_else(|| "not a valid compressed G1 point in the subgroup".to_string())?;
        if bool::from(pk.is_identity()) {
            return Err("public key is the point at infinity".to_string());
        }
        Ok(pk)
    }

    fn public_key_compress(pk: &Self::PublicKey) -> [u8; PUBLIC_KEY_BYTES_LEN] {
        pk.to_compressed()
    }

    fn public_key_aggregate(pks: &[&Self::PublicKey]) -> Option<Self::PublicKey> {
        if pks.is_empty() {
            return None;
        }
        let sum = pks
            .iter()
            .fold(G1Projective::identity(), |acc, pk| acc + **pk)
            .to_affine();
        if bool::from(sum.is_identity()) {
            return None;
        }
        Some(sum)
    }

    fn signature_decompress(bytes: &[u8; SIGNATURE_BYTES_LEN]) -> Result<Self::Signature, String> {
        // `from_compressed` checks the encoding, the curve equation and the subgroup.
        let sig: Option<G2Affine> = G2Affine::from_compressed(bytes).into();
        sig.ok_or_else(|| "not a valid compressed G2 point in the subgroup".to_string())
    }

    fn signature_compress(sig: &Self::Signature) -> [u8; SIGNATURE_BYTES_LEN] {
        sig.to_compressed()
    }

    fn signature_infinity() -> Self::Signature {
        G2Affine::identity()
    }

    fn verify(sig: &Self::Signature, pk: &Self::PublicKey, msg: &[u8]) -> bool {
        Self::aggregate_verify(sig, &[pk], &[msg])
    }

    fn aggregate_verify(sig: &Self::Signature, pks: &[&Self::PublicKey], msgs: &[&[u8]]) -> bool {
        if pks.is_empty() || pks.len() != msgs.len() {
            return false;
        }
        if pks.iter().any(|pk| bool::from(pk.is_identity())) {
            return false;
        }
        // e(-g1, sig) * prod e(pk_i, H(m_i)) == 1
        let mut terms: Vec<(G1Affine, G2Affine)> = pks
            .iter()
            .zip(msgs)
            .map(|(pk, msg)| (**pk, hash_to_g2(msg).to_affine()))
            .collect();
        terms.push((-G1Affine::generator(), *sig));
        pairing_product_is_one(&terms)
    }

    fn verify_batch(sigs: &[&Self::Signature], pks: &[&Self::PublicKey], msgs: &[&[u8]]) -> bool {
        let n = sigs.len();
        if n == 0 || pks.len() != n || msgs.len() != n {
            return false;
        }
        if pks.iter().any(|pk| bool::from(pk.is_identity())) {
            return false;
        }
        // e(g1, sum r_i * sig_i) == prod e(r_i * pk_i, H(m_i))
        let mut sig_sum = G2Projective::identity();
        let mut scaled_pks = Vec::with_capacity(n);
        let mut hashes = Vec::with_capacity(n);
        for ((sig, pk), msg) in sigs.iter().zip(pks).zip(msgs) {
            let r = Scalar::from(random_batch_scalar());
            sig_sum += G2Projective::from(**sig) * r;
            scaled_pks.push(G1Projective::from(**pk) * r);
            hashes.push(hash_to_g2(msg));
        }
        let mut pk_affine = vec![G1Affine::identity(); n];
        G1Projective::batch_normalize(&scaled_pks, &mut pk_affine);
        let mut hash_affine = vec![G2Affine::identity(); n];
        G2Projective::batch_normalize(&hashes, &mut hash_affine);

        let mut terms: Vec<(G1Affine, G2Affine)> = pk_affine.into_iter().zip(hash_affine).collect();
        terms.push((-G1Affine::generator(), sig_sum.to_affine()));
        pairing_product_is_one(&terms)
    }

    fn aggregate_signature_infinity() -> Self::AggregateSignature {
        PureAggregateSignature(G2Projective::identity())
    }

    fn aggregate_signature_add(agg: &mut Self::AggregateSignature, sig: &Self::Signature) {
        agg.0 += G2Projective::from(*sig);
    }

    fn aggregate_signature_to_signature(agg: &Self::AggregateSignature) -> Self::Signature {
        agg.0.to_affine()
    }
}
