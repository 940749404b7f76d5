//! beacon-chain.md (v1.0.1), "Voluntary exits": `process_voluntary_exit`.

use super::errors::{BlockProcessingError, ExitInvalid};
use super::signature_sets::exit_signature_set;
use super::{SignatureVerifier, VerifySignatures};
use crate::helpers::mutators::initiate_validator_exit;
use crate::helpers::predicates::is_active_validator;
use crate::helpers::FAR_FUTURE_EPOCH;
use safe_arith::SafeArith;
use types::{BeaconState, ChainSpec, EthSpec, SignedVoluntaryExit};

/// `process_voluntary_exit` (beacon-chain.md, Voluntary exits).
pub fn process_voluntary_exit<E: EthSpec>(
    state: &mut BeaconState<E>,
    signed_voluntary_exit: &SignedVoluntaryExit,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let mut verifier = SignatureVerifier::new(verify);
    process_voluntary_exit_with(state, signed_voluntary_exit, 0, &mut verifier, spec)?;
    verifier.finish()
}

/// `process_voluntary_exit` for `body.voluntary_exits[index]`.
pub(crate) fn process_voluntary_exit_with<E: EthSpec>(
    state: &mut BeaconState<E>,
    signed_voluntary_exit: &SignedVoluntaryExit,
    index: usize,
    verifier: &mut SignatureVerifier,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let invalid = |reason| BlockProcessingError::ExitInvalid { index, reason };
    let voluntary_exit = &signed_voluntary_exit.message;
    let validator_index = voluntary_exit.validator_index;
    let validator = state.validator(validator_index).map_err(|_| {
        invalid(ExitInvalid::UnknownValidator {
            index: validator_index,
        })
    })?;
    let current_epoch = state.current_epoch();
    // Verify the validator is active
    if !is_active_validator(validator, current_epoch) {
        return Err(invalid(ExitInvalid::NotActive {
            index: validator_index,
            epoch: current_epoch,
        }));
    }
    // Verify exit has not been initiated
    if validator.exit_epoch != FAR_FUTURE_EPOCH {
        return Err(invalid(ExitInvalid::AlreadyExited {
            index: validator_index,
            exit_epoch: validator.exit_epoch,
        }));
    }
    // Exits must specify an epoch when they become valid; they are not valid before then
    if current_epoch < voluntary_exit.epoch {
        return Err(invalid(ExitInvalid::FutureEpoch {
            exit_epoch: voluntary_exit.epoch,
            current_epoch,
        }));
    }
    // Verify the validator has been active long enough
    let earliest_exit_epoch = validator
        .activation_epoch
        .safe_add(spec.shard_committee_period)?;
    if current_epoch < earliest_exit_epoch {
        return Err(invalid(ExitInvalid::TooYoungToExit {
            index: validator_index,
            current_epoch,
            earliest_exit_epoch,
        }));
    }
    // Verify signature
    verifier.check(
        || exit_signature_set(state, signed_voluntary_exit, spec),
        || invalid(ExitInvalid::SignatureInvalid),
    )?;
    // Initiate exit
    initiate_validator_exit(state, validator_index, spec)?;
    Ok(())
}
