//! beacon-chain.md (v1.0.1), "Attester slashings": `process_attester_slashing`, and the
//! predicate it rests on, `is_valid_indexed_attestation`.

use super::errors::{AttesterSlashingInvalid, BlockProcessingError, IndexedAttestationInvalid};
use super::signature_sets::indexed_attestation_signature_set;
use super::{SignatureVerifier, VerifySignatures};
use crate::helpers::mutators::slash_validator;
use crate::helpers::predicates::{is_slashable_attestation_data, is_slashable_validator};
use std::collections::BTreeSet;
use types::{AttesterSlashing, BeaconState, ChainSpec, EthSpec, IndexedAttestation};

/// `is_valid_indexed_attestation` (beacon-chain.md, Predicates), as an assert: indices
/// non-empty, sorted and unique, each in the registry, and the aggregate signature valid.
pub fn is_valid_indexed_attestation<E: EthSpec>(
    state: &BeaconState<E>,
    indexed_attestation: &IndexedAttestation<E>,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let mut verifier = SignatureVerifier::new(verify);
    is_valid_indexed_attestation_with(
        state,
        indexed_attestation,
        &mut verifier,
        spec,
        BlockProcessingError::IndexedAttestationInvalid,
    )?;
    verifier.finish()
}

/// `is_valid_indexed_attestation`, reporting a failed check through `invalid`.
pub(crate) fn is_valid_indexed_attestation_with<E: EthSpec>(
    state: &BeaconState<E>,
    indexed_attestation: &IndexedAttestation<E>,
    verifier: &mut SignatureVerifier,
    spec: &ChainSpec,
    invalid: impl Fn(IndexedAttestationInvalid) -> BlockProcessingError,
) -> Result<(), BlockProcessingError> {
    // Verify indices are sorted and unique
    let indices = &indexed_attestation.attesting_indices;
    if indices.is_empty() {
        return Err(invalid(IndexedAttestationInvalid::EmptyIndices));
    }
    if let Some(position) = indices
        .iter()
        .zip(indices.iter().skip(1))
        .position(|(previous, next)| previous >= next)
    {
        return Err(invalid(IndexedAttestationInvalid::IndicesNotSorted {
            position: position + 1,
        }));
    }
    // `pubkeys = [state.validators[i].pubkey for i in indices]`: every index must exist, whether
    // or not the signature is then checked.
    if let Some(&index) = indices.iter().find(|&&i| state.validator(i).is_err()) {
        return Err(invalid(IndexedAttestationInvalid::UnknownValidator {
            index,
        }));
    }
    // Verify aggregate signature
    verifier.check(
        || indexed_attestation_signature_set(state, indexed_attestation, spec),
        || invalid(IndexedAttestationInvalid::SignatureInvalid),
    )
}

/// `process_attester_slashing` (beacon-chain.md, Attester slashings).
pub fn process_attester_slashing<E: EthSpec>(
    state: &mut BeaconState<E>,
    attester_slashing: &AttesterSlashing<E>,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let mut verifier = SignatureVerifier::new(verify);
    process_attester_slashing_with(state, attester_slashing, 0, &mut verifier, spec)?;
    verifier.finish()
}

/// `process_attester_slashing` for `body.attester_slashings[index]`.
pub(crate) fn process_attester_slashing_with<E: EthSpec>(
    state: &mut BeaconState<E>,
    attester_slashing: &AttesterSlashing<E>,
    index: usize,
    verifier: &mut SignatureVerifier,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let invalid = |reason| BlockProcessingError::AttesterSlashingInvalid { index, reason };
    let attestation_1 = &attester_slashing.attestation_1;
    let attestation_2 = &attester_slashing.attestation_2;
    if !is_slashable_attestation_data(&attestation_1.data, &attestation_2.data) {
        return Err(invalid(AttesterSlashingInvalid::NotSlashable));
    }
    is_valid_indexed_attestation_with(state, attestation_1, verifier, spec, |reason| {
        invalid(AttesterSlashingInvalid::Attestation1Invalid(reason))
    })?;
    is_valid_indexed_attestation_with(state, attestation_2, verifier, spec, |reason| {
        invalid(AttesterSlashingInvalid::Attestation2Invalid(reason))
    })?;

    let mut slashed_any = false;
    let indices_2: BTreeSet<u64> = attestation_2.attesting_indices.iter().copied().collect();
    let indices: BTreeSet<u64> = attestation_1
        .attesting_indices
        .iter()
        .copied()
        .filter(|i| indices_2.contains(i))
        .collect();
    let epoch = state.current_epoch();
    for validator_index in indices {
        if is_slashable_validator(state.validator(validator_index)?, epoch) {
            slash_validator(state, validator_index, None, spec)?;
            slashed_any = true;
        }
    }
    if !slashed_any {
        return Err(invalid(AttesterSlashingInvalid::NoSlashableIndices));
    }
    Ok(())
}
