//! Curve backends. Each backend implements [`Backend`]; exactly one is selected at compile time
//! (`blst` by default, `bls12_381` with the `pure_rust` feature) and exposed as [`Impl`].

use zeroize::Zeroizing;

use crate::{PUBLIC_KEY_BYTES_LEN, SECRET_KEY_BYTES_LEN, SIGNATURE_BYTES_LEN};

#[cfg(not(feature = "pure_rust"))]
mod blst;
#[cfg(feature = "pure_rust")]
mod pure_rust;

/// The selected backend.
#[cfg(not(feature = "pure_rust"))]
pub(crate) type Impl = self::blst::BlstBackend;
/// The selected backend.
#[cfg(feature = "pure_rust")]
pub(crate) type Impl = self::pure_rust::PureRustBackend;

/// Backend secret key type.
pub(crate) type RawSecretKey = <Impl as Backend>::SecretKey;
/// Backend public key (affine G1) type.
pub(crate) type RawPublicKey = <Impl as Backend>::PublicKey;
/// Backend signature (affine G2) type.
pub(crate) type RawSignature = <Impl as Backend>::Signature;
/// Backend aggregate signature (projective G2) type.
pub(crate) type RawAggregateSignature = <Impl as Backend>::AggregateSignature;

/// The operations the wrapper types need from a curve library.
///
/// Contract (all backends): `public_key_decompress` rejects infinity and points outside G1;
/// `signature_decompress` rejects points outside G2 but accepts infinity. Verification functions
/// may therefore assume their inputs are group members, and never panic.
pub(crate) trait Backend {
    /// A scalar in `[1, r)`, zeroized on drop.
    type SecretKey: Clone;
    /// A validated G1 point (never infinity).
    type PublicKey: Clone;
    /// A G2 point in the prime-order subgroup.
    type Signature: Clone;
    /// An accumulator of G2 points.
    type AggregateSignature: Clone;

    /// A uniformly random non-zero secret key from a CSPRNG.
    fn secret_key_random() -> Self::SecretKey;
    /// Parse a big-endian scalar; `None` if zero or not below the curve order.
    fn secret_key_from_bytes(bytes: &[u8; SECRET_KEY_BYTES_LEN]) -> Option<Self::SecretKey>;
    /// Big-endian encoding of the scalar.
    fn secret_key_to_bytes(sk: &Self::SecretKey) -> Zeroizing<[u8; SECRET_KEY_BYTES_LEN]>;
    /// `sk * G1`.
    fn secret_key_to_public_key(sk: &Self::SecretKey) -> Self::PublicKey;
    /// `sk * H(msg)`.
    fn sign(sk: &Self::SecretKey, msg: &[u8]) -> Self::Signature;

    /// Decompress and `KeyValidate` a public key.
    fn public_key_decompress(bytes: &[u8; PUBLIC_KEY_BYTES_LEN])
        -> Result<Self::PublicKey, String>;
    /// Compressed encoding.
    fn public_key_compress(pk: &Self::PublicKey) -> [u8; PUBLIC_KEY_BYTES_LEN];
    /// Sum of the keys; `None` if the list is empty or the sum is the point at infinity.
    fn public_key_aggregate(pks: &[&Self::PublicKey]) -> Option<Self::PublicKey>;

    /// Decompress a signature, with a subgroup check (infinity allowed).
    fn signature_decompress(bytes: &[u8; SIGNATURE_BYTES_LEN]) -> Result<Self::Signature, String>;
    /// Compressed encoding.
    fn signature_compress(sig: &Self::Signature) -> [u8; SIGNATURE_BYTES_LEN];
    /// The point at infinity.
    fn signature_infinity() -> Self::Signature;

    /// `CoreVerify(pk, msg, sig)`.
    fn verify(sig: &Self::Signature, pk: &Self::PublicKey, msg: &[u8]) -> bool;
    /// `CoreAggregateVerify`; `false` if `pks` is empty or lengths differ.
    fn aggregate_verify(sig: &Self::Signature, pks: &[&Self::PublicKey], msgs: &[&[u8]]) -> bool;
    /// Randomised batch check of `verify(sigs[i], pks[i], msgs[i])` for all `i`; `false` if the
    /// slices are empty or have different lengths.
    fn verify_batch(sigs: &[&Self::Signature], pks: &[&Self::PublicKey], msgs: &[&[u8]]) -> bool;

    /// The empty aggregate (infinity).
    fn aggregate_signature_infinity() -> Self::AggregateSignature;
    /// `agg += sig`.
    fn aggregate_signature_add(agg: &mut Self::AggregateSignature, sig: &Self::Signature);
    /// Convert the accumulator to an affine signature.
    fn aggregate_signature_to_signature(agg: &Self::AggregateSignature) -> Self::Signature;
}

/// A fresh non-zero 64-bit scalar for batch verification, from the thread-local CSPRNG.
pub(crate) fn random_batch_scalar() -> u64 {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    loop {
        let r: u64 = rng.gen();
        if r != 0 {
            return r;
        }
    }
}
