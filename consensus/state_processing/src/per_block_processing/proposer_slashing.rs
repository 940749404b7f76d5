//! beacon-chain.md (v1.0.1), "Proposer slashings": `process_proposer_slashing`.

use super::errors::{BlockProcessingError, ProposerSlashingInvalid};
use super::signature_sets::signed_header_signature_set;
use super::{SignatureVerifier, VerifySignatures};
use crate::helpers::mutators::slash_validator;
use crate::helpers::predicates::is_slashable_validator;
use types::{BeaconState, ChainSpec, EthSpec, ProposerSlashing};

/// `process_proposer_slashing` (beacon-chain.md, Proposer slashings).
pub fn process_proposer_slashing<E: EthSpec>(
    state: &mut BeaconState<E>,
    proposer_slashing: &ProposerSlashing,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let mut verifier = SignatureVerifier::new(verify);
    process_proposer_slashing_with(state, proposer_slashing, 0, &mut verifier, spec)?;
    verifier.finish()
}

/// `process_proposer_slashing` for `body.proposer_slashings[index]`.
pub(crate) fn process_proposer_slashing_with<E: EthSpec>(
    state: &mut BeaconState<E>,
    proposer_slashing: &ProposerSlashing,
    index: usize,
    verifier: &mut SignatureVerifier,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let invalid = |reason| BlockProcessingError::ProposerSlashingInvalid { index, reason };
    let header_1 = &proposer_slashing.signed_header_1.message;
    let header_2 = &proposer_slashing.signed_header_2.message;

    // Verify header slots match
    if header_1.slot != header_2.slot {
        return Err(invalid(ProposerSlashingInvalid::SlotMismatch {
            slot_1: header_1.slot,
            slot_2: header_2.slot,
        }));
    }
    // Verify header proposer indices match
    if header_1.proposer_index != header_2.proposer_index {
        return Err(invalid(ProposerSlashingInvalid::ProposerIndexMismatch {
            index_1: header_1.proposer_index,
            index_2: header_2.proposer_index,
        }));
    }
    // Verify the headers are different
    if header_1 == header_2 {
        return Err(invalid(ProposerSlashingInvalid::HeadersIdentical));
    }
    // Verify the proposer is slashable
    let proposer_index = header_1.proposer_index;
    let proposer = state.validator(proposer_index).map_err(|_| {
        invalid(ProposerSlashingInvalid::UnknownProposer {
            index: proposer_index,
        })
    })?;
    let epoch = state.current_epoch();
    if !is_slashable_validator(proposer, epoch) {
        return Err(invalid(ProposerSlashingInvalid::ProposerNotSlashable {
            index: proposer_index,
            epoch,
        }));
    }
    // Verify signatures
    verifier.check(
        || {
            signed_header_signature_set(
                state,
                &proposer_slashing.signed_header_1,
                proposer_index,
                spec,
            )
        },
        || invalid(ProposerSlashingInvalid::Header1SignatureInvalid),
    )?;
    verifier.check(
        || {
            signed_header_signature_set(
                state,
                &proposer_slashing.signed_header_2,
                proposer_index,
                spec,
            )
        },
        || invalid(ProposerSlashingInvalid::Header2SignatureInvalid),
    )?;

    slash_validator(state, proposer_index, None, spec)?;
    Ok(())
}
