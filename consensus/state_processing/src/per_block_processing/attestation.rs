//! beacon-chain.md (v1.0.1), "Attestations": `process_attestation`.

use super::attester_slashing::is_valid_indexed_attestation_with;
use super::errors::{AttestationInvalid, BlockProcessingError};
use super::{SignatureVerifier, VerifySignatures};
use crate::helpers::accessors::{
    attesting_indices_from_committee, committee_cache, get_beacon_proposer_index,
    AttestingIndicesError,
};
use crate::helpers::misc::compute_epoch_at_slot;
use crate::StateError;
use safe_arith::SafeArith;
use types::{
    Attestation, BeaconState, BeaconStateError, ChainSpec, EthSpec, IndexedAttestation,
    PendingAttestation, ValidatorIndex, VariableList,
};

/// `process_attestation` (beacon-chain.md, Attestations).
pub fn process_attestation<E: EthSpec>(
    state: &mut BeaconState<E>,
    attestation: &Attestation<E>,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let mut verifier = SignatureVerifier::new(verify);
    process_attestation_with(state, attestation, 0, None, &mut verifier, spec)?;
    verifier.finish()
}

/// `process_attestation` for `body.attestations[index]`; `proposer_index` is
/// `get_beacon_proposer_index(state)` if the caller already knows it.
pub(crate) fn process_attestation_with<E: EthSpec>(
    state: &mut BeaconState<E>,
    attestation: &Attestation<E>,
    index: usize,
    proposer_index: Option<ValidatorIndex>,
    verifier: &mut SignatureVerifier,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let invalid = |reason| BlockProcessingError::AttestationInvalid { index, reason };
    let data = &attestation.data;

    let current_epoch = state.current_epoch();
    let previous_epoch = state.previous_epoch();
    if data.target.epoch != previous_epoch && data.target.epoch != current_epoch {
        return Err(invalid(
            AttestationInvalid::TargetEpochNotPreviousOrCurrent {
                target: data.target.epoch,
                previous: previous_epoch,
                current: current_epoch,
            },
        ));
    }
    let slot_epoch = compute_epoch_at_slot::<E>(data.slot);
    if data.target.epoch != slot_epoch {
        return Err(invalid(AttestationInvalid::TargetEpochMismatch {
            target: data.target.epoch,
            slot_epoch,
        }));
    }
    if data.slot.safe_add(spec.min_attestation_inclusion_delay)? > state.slot {
        return Err(invalid(AttestationInvalid::IncludedTooEarly {
            state_slot: state.slot,
            attestation_slot: data.slot,
            min_delay: spec.min_attestation_inclusion_delay,
        }));
    }
    if state.slot > data.slot.safe_add(E::slots_per_epoch())? {
        return Err(invalid(AttestationInvalid::IncludedTooLate {
            state_slot: state.slot,
            attestation_slot: data.slot,
        }));
    }
    // get_committee_count_per_slot(state, data.target.epoch)
    let committees = committee_cache(state, data.target.epoch, spec)?;
    let committees_per_slot = committees.committees_per_slot();
    if data.index >= committees_per_slot {
        return Err(invalid(AttestationInvalid::CommitteeIndexOutOfRange {
            index: data.index,
            committees_per_slot,
        }));
    }

    let committee = committees
        .get_beacon_committee(data.slot, data.index)
        .ok_or(StateError::BeaconState(
            BeaconStateError::CommitteeIndexOutOfRange {
                index: data.index,
                committees_per_slot,
            },
        ))?;
    if attestation.aggregation_bits.len() != committee.len() {
        return Err(invalid(AttestationInvalid::BitfieldLengthMismatch {
            bits: attestation.aggregation_bits.len(),
            committee: committee.len(),
        }));
    }
    // get_indexed_attestation(state, attestation), from the committee at hand.
    let indexed_attestation =
        indexed_attestation_from_committee(attestation, committee).map_err(|e| match e {
            AttestingIndicesError::BitfieldLength { bits, committee } => {
                invalid(AttestationInvalid::BitfieldLengthMismatch { bits, committee })
            }
            AttestingIndicesError::NoCommittee {
                slot: _,
                index: committee_index,
            } => invalid(AttestationInvalid::CommitteeIndexOutOfRange {
                index: committee_index,
                committees_per_slot,
            }),
            AttestingIndicesError::State(e) => BlockProcessingError::State(e),
        })?;

    let proposer_index = match proposer_index {
        Some(proposer_index) => proposer_index,
        None => get_beacon_proposer_index(state, spec)?,
    };
    let pending_attestation = PendingAttestation {
        data: *data,
        aggregation_bits: attestation.aggregation_bits.clone(),
        inclusion_delay: state.slot.safe_sub(data.slot)?,
        proposer_index,
    };

    if data.target.epoch == current_epoch {
        if data.source != state.current_justified_checkpoint {
            return Err(invalid(AttestationInvalid::WrongSource {
                found: data.source,
                expected: state.current_justified_checkpoint,
            }));
        }
        state
            .current_epoch_attestations
            .push(pending_attestation)
            .map_err(|_| invalid(AttestationInvalid::PendingAttestationsFull))?;
    } else {
        if data.source != state.previous_justified_checkpoint {
            return Err(invalid(AttestationInvalid::WrongSource {
                found: data.source,
                expected: state.previous_justified_checkpoint,
            }));
        }
        state
            .previous_epoch_attestations
            .push(pending_attestation)
            .map_err(|_| invalid(AttestationInvalid::PendingAttestationsFull))?;
    }

    // Verify signature
    is_valid_indexed_attestation_with(state, &indexed_attestation, verifier, spec, |reason| {
        invalid(AttestationInvalid::from(reason))
    })
}

/// `get_indexed_attestation` given the attestation's committee: the attesting indices, sorted.
fn indexed_attestation_from_committee<E: EthSpec>(
    attestation: &Attestation<E>,
    committee: &[ValidatorIndex],
) -> Result<IndexedAttestation<E>, AttestingIndicesError> {
    let mut indices =
        attesting_indices_from_committee::<E>(committee, &attestation.aggregation_bits)?;
    indices.sort_unstable();
    let bits = attestation.aggregation_bits.len();
    Ok(IndexedAttestation {
        // The bitfield's limit (MAX_VALIDATORS_PER_COMMITTEE) bounds the number of indices.
        attesting_indices: VariableList::new(indices).map_err(|_| {
            AttestingIndicesError::BitfieldLength {
                bits,
                committee: committee.len(),
            }
        })?,
        data: attestation.data,
        signature: attestation.signature,
    })
}
