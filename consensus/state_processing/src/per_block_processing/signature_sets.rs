//! The signature each signed object of a block carries, as a `bls::SignatureSet` ready to be
//! verified on its own or in a batch: the signature, the signing key(s) and the signing root
//! (beacon-chain.md: `compute_signing_root(object, get_domain(...))`).
//!
//! Keys come from the state's decompressed-key cache (`validator_pubkey`). Sets own their
//! signature and keys (`'static`) so a block's sets can be collected and checked at the end.

use crate::helpers::accessors::{get_domain, validator_pubkey};
use crate::helpers::misc::{compute_domain, compute_epoch_at_slot, compute_signing_root};
use crate::StateError;
use bls::{PublicKey, Signature, SignatureSet};
use std::borrow::Cow;
use types::{
    BeaconBlockBody, BeaconState, BeaconStateError, ChainSpec, DepositData, EthSpec, Hash256,
    IndexedAttestation, ProposerSlashing, SignatureBytes, SignedBeaconBlock,
    SignedBeaconBlockHeader, SignedVoluntaryExit, ValidatorIndex,
};

/// Why a signature set could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureSetError {
    /// The signature bytes do not decompress to a G2 point in the subgroup: the signature is invalid.
    #[error("signature bytes do not decompress")]
    SignatureInvalid,
    /// The signer's public key does not decompress (or is the point at infinity): the signature
    /// cannot verify.
    #[error("public key of {signer} does not decompress")]
    PublicKeyInvalid { signer: Signer },
    /// The signer's index is not in the registry.
    #[error("validator {index} is not in the registry")]
    UnknownValidator { index: ValidatorIndex },
    /// Any other failure of a state lookup.
    #[error(transparent)]
    State(StateError),
}

/// Who a signing key belongs to, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// A validator of the registry.
    Validator(ValidatorIndex),
    /// The depositor of a new deposit (not in the registry yet).
    Depositor,
}

impl std::fmt::Display for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signer::Validator(index) => write!(f, "validator {index}"),
            Signer::Depositor => write!(f, "the depositor"),
        }
    }
}

/// The decompressed key of validator `index`.
fn signing_key<E: EthSpec>(
    state: &BeaconState<E>,
    index: ValidatorIndex,
) -> Result<PublicKey, SignatureSetError> {
    validator_pubkey(state, index).map_err(|e| match e {
        StateError::InvalidValidatorPubkey { index } => SignatureSetError::PublicKeyInvalid {
            signer: Signer::Validator(index),
        },
        StateError::BeaconState(BeaconStateError::UnknownValidator { index, .. }) => {
            SignatureSetError::UnknownValidator { index }
        }
        other => SignatureSetError::State(other),
    })
}

/// Decompress a signature; bytes that are not a valid G2 point make the signature invalid.
fn decompress_signature(bytes: &SignatureBytes) -> Result<Signature, SignatureSetError> {
    bytes
        .decompress()
        .map_err(|_| SignatureSetError::SignatureInvalid)
}

/// A set with one signer.
fn single_signer_set(
    signature: &SignatureBytes,
    key: PublicKey,
    message: Hash256,
) -> Result<SignatureSet<'static>, SignatureSetError> {
    owned_set(signature, vec![Cow::Owned(key)], message)
}

/// A set owning its signature and keys.
fn owned_set(
    signature: &SignatureBytes,
    signing_keys: Vec<Cow<'static, PublicKey>>,
    message: Hash256,
) -> Result<SignatureSet<'static>, SignatureSetError> {
    Ok(SignatureSet {
        signature: Cow::Owned(decompress_signature(signature)?),
        signing_keys,
        message,
    })
}

/// The proposer's signature over the block (`verify_block_signature`).
pub fn block_proposal_signature_set<E: EthSpec>(
    state: &BeaconState<E>,
    signed_block: &SignedBeaconBlock<E>,
    spec: &ChainSpec,
) -> Result<SignatureSet<'static>, SignatureSetError> {
    let block = &signed_block.message;
    let key = signing_key(state, block.proposer_index)?;
    let domain = get_domain(state, spec.domain_beacon_proposer, None);
    let signing_root = compute_signing_root(block, domain);
    single_signer_set(&signed_block.signature, key, signing_root)
}

/// The proposer's signature over a block from before `state` (backfill), with the fork of
/// the block's own epoch as `state` records it and the key from `state`'s registry.
pub fn historical_block_proposal_signature_set<E: EthSpec>(
    state: &BeaconState<E>,
    signed_block: &SignedBeaconBlock<E>,
    spec: &ChainSpec,
) -> Result<SignatureSet<'static>, SignatureSetError> {
    let block = &signed_block.message;
    let key = signing_key(state, block.proposer_index)?;
    let epoch = compute_epoch_at_slot::<E>(block.slot);
    let domain = get_domain(state, spec.domain_beacon_proposer, Some(epoch));
    let signing_root = compute_signing_root(block, domain);
    single_signer_set(&signed_block.signature, key, signing_root)
}

/// The RANDAO reveal of `body`, signed by `proposer_index` over the current epoch (`process_randao`).
pub fn randao_signature_set<E: EthSpec>(
    state: &BeaconState<E>,
    body: &BeaconBlockBody<E>,
    proposer_index: ValidatorIndex,
    spec: &ChainSpec,
) -> Result<SignatureSet<'static>, SignatureSetError> {
    let epoch = state.current_epoch();
    let key = signing_key(state, proposer_index)?;
    let domain = get_domain(state, spec.domain_randao, None);
    let signing_root = compute_signing_root(&epoch, domain);
    single_signer_set(&body.randao_reveal, key, signing_root)
}

/// The signature of one header of a proposer slashing, by validator `proposer_index`, under the
/// domain of the header's epoch (`process_proposer_slashing`).
pub fn signed_header_signature_set<E: EthSpec>(
    state: &BeaconState<E>,
    signed_header: &SignedBeaconBlockHeader,
    proposer_index: ValidatorIndex,
    spec: &ChainSpec,
) -> Result<SignatureSet<'static>, SignatureSetError> {
    let key = signing_key(state, proposer_index)?;
    let epoch = compute_epoch_at_slot::<E>(signed_header.message.slot);
    let domain = get_domain(state, spec.domain_beacon_proposer, Some(epoch));
    let signing_root = compute_signing_root(&signed_header.message, domain);
    single_signer_set(&signed_header.signature, key, signing_root)
}

/// Both header signatures of a proposer slashing, each by `header_1.proposer_index` (`process_proposer_slashing`).
pub fn proposer_slashing_signature_sets<E: EthSpec>(
    state: &BeaconState<E>,
    proposer_slashing: &ProposerSlashing,
    spec: &ChainSpec,
) -> Result<[SignatureSet<'static>; 2], SignatureSetError> {
    let proposer_index = proposer_slashing.signed_header_1.message.proposer_index;
    Ok([
        signed_header_signature_set(
            state,
            &proposer_slashing.signed_header_1,
            proposer_index,
            spec,
        )?,
        signed_header_signature_set(
            state,
            &proposer_slashing.signed_header_2,
            proposer_index,
            spec,
        )?,
    ])
}

/// The aggregate signature of an indexed attestation by all its attesting validators
/// (`is_valid_indexed_attestation`: `FastAggregateVerify`).
pub fn indexed_attestation_signature_set<E: EthSpec>(
    state: &BeaconState<E>,
    indexed_attestation: &IndexedAttestation<E>,
    spec: &ChainSpec,
) -> Result<SignatureSet<'static>, SignatureSetError> {
    let keys = indexed_attestation
        .attesting_indices
        .iter()
        .map(|&index| signing_key(state, index).map(Cow::Owned))
        .collect::<Result<Vec<_>, _>>()?;
    let data = &indexed_attestation.data;
    let domain = get_domain(state, spec.domain_beacon_attester, Some(data.target.epoch));
    let signing_root = compute_signing_root(data, domain);
    owned_set(&indexed_attestation.signature, keys, signing_root)
}

/// The signature of a voluntary exit by the exiting validator, under the domain of the exit's
/// epoch (`process_voluntary_exit`).
pub fn exit_signature_set<E: EthSpec>(
    state: &BeaconState<E>,
    signed_exit: &SignedVoluntaryExit,
    spec: &ChainSpec,
) -> Result<SignatureSet<'static>, SignatureSetError> {
    let exit = &signed_exit.message;
    let key = signing_key(state, exit.validator_index)?;
    let domain = get_domain(state, spec.domain_voluntary_exit, Some(exit.epoch));
    let signing_root = compute_signing_root(exit, domain);
    single_signer_set(&signed_exit.signature, key, signing_root)
}

/// The depositor's proof of possession over the `DepositMessage`, under the fork-agnostic
/// domain `compute_domain(DOMAIN_DEPOSIT)` (genesis fork version, zero validators root).
pub fn deposit_signature_set(
    deposit_data: &DepositData,
    spec: &ChainSpec,
) -> Result<SignatureSet<'static>, SignatureSetError> {
    let key =
        deposit_data
            .pubkey
            .decompress()
            .map_err(|_| SignatureSetError::PublicKeyInvalid {
                signer: Signer::Depositor,
            })?;
    let domain = compute_domain(
        spec.domain_deposit,
        spec.genesis_fork_version,
        Hash256::ZERO,
    );
    let signing_root = compute_signing_root(&deposit_data.as_deposit_message(), domain);
    single_signer_set(&deposit_data.signature, key, signing_root)
}
