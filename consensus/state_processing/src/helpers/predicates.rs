//! beacon-chain.md, "Predicates".

use crate::helpers::FAR_FUTURE_EPOCH;
use types::{AttestationData, ChainSpec, Epoch, Validator};

/// `is_active_validator` (beacon-chain.md, Predicates).
pub fn is_active_validator(validator: &Validator, epoch: Epoch) -> bool {
    validator.activation_epoch <= epoch && epoch < validator.exit_epoch
}

/// `is_eligible_for_activation_queue` (beacon-chain.md, Predicates).
pub fn is_eligible_for_activation_queue(validator: &Validator, spec: &ChainSpec) -> bool {
    validator.activation_eligibility_epoch == FAR_FUTURE_EPOCH
        && validator.effective_balance == spec.max_effective_balance
}

/// `is_eligible_for_activation` (beacon-chain.md, Predicates).
pub fn is_eligible_for_activation(validator: &Validator, finalized_epoch: Epoch) -> bool {
    validator.activation_eligibility_epoch <= finalized_epoch
        && validator.activation_epoch == FAR_FUTURE_EPOCH
}

/// `is_slashable_validator` (beacon-chain.md, Predicates).
pub fn is_slashable_validator(validator: &Validator, epoch: Epoch) -> bool {
    !validator.slashed
        && validator.activation_epoch <= epoch
        && epoch < validator.withdrawable_epoch
}

/// `is_slashable_attestation_data` (beacon-chain.md, Predicates): a double vote or a surround vote.
pub fn is_slashable_attestation_data(data_1: &AttestationData, data_2: &AttestationData) -> bool {
    let double_vote = data_1 != data_2 && data_1.target.epoch == data_2.target.epoch;
    let surround_vote =
        data_1.source.epoch < data_2.source.epoch && data_2.target.epoch < data_1.target.epoch;
    double_vote || surround_vote
}

pub use merkle_proof::is_valid_merkle_branch;
