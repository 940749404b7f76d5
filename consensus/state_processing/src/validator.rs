//! Functions of validator.md (v1.0.1) that both the node (gossip rules) and the validator
//! client need.
//!
//! <https://github.com/ethereum/consensus-specs/blob/v1.0.1/specs/phase0/validator.md>

use crate::helpers::accessors::get_domain;
use crate::helpers::math::bytes_to_uint64;
use crate::helpers::misc::compute_epoch_at_slot;
use ethereum_hashing::hash;
use types::signing::compute_signing_root;
use types::{BeaconState, ChainSpec, CommitteeIndex, EthSpec, Hash256, SignatureBytes, Slot};

/// `ATTESTATION_SUBNET_COUNT` (p2p-interface.md / validator.md constants).
pub const ATTESTATION_SUBNET_COUNT: u64 = 64;
/// `ATTESTATION_PROPAGATION_SLOT_RANGE` (p2p-interface.md constants).
pub const ATTESTATION_PROPAGATION_SLOT_RANGE: u64 = 32;

/// `compute_subnet_for_attestation` (validator.md, Broadcast attestation).
pub fn compute_subnet_for_attestation<E: EthSpec>(
    committees_per_slot: u64,
    slot: Slot,
    committee_index: CommitteeIndex,
) -> u64 {
    let slots_since_epoch_start = slot % E::slots_per_epoch();
    let committees_since_epoch_start = committees_per_slot.saturating_mul(slots_since_epoch_start);
    committees_since_epoch_start.wrapping_add(committee_index) % ATTESTATION_SUBNET_COUNT
}

/// `is_aggregator` (validator.md, Aggregation selection), given the committee's size.
pub fn is_aggregator(
    committee_len: usize,
    slot_signature: &SignatureBytes,
    spec: &ChainSpec,
) -> bool {
    let modulo = (committee_len as u64 / spec.target_aggregators_per_committee.max(1)).max(1);
    bytes_to_uint64(&hash(slot_signature.as_ref())[0..8]).is_multiple_of(modulo)
}

/// The signing root of `get_slot_signature` (validator.md, Aggregation selection): the slot
/// under `DOMAIN_SELECTION_PROOF` at the slot's epoch.
pub fn slot_signing_root<E: EthSpec>(
    state: &BeaconState<E>,
    slot: Slot,
    spec: &ChainSpec,
) -> Hash256 {
    let epoch = compute_epoch_at_slot::<E>(slot);
    let domain = get_domain(state, spec.domain_selection_proof, Some(epoch));
    compute_signing_root(&slot, domain)
}

/// The signing root of `get_aggregate_and_proof_signature` (validator.md, Broadcast
/// aggregate): the `AggregateAndProof` under `DOMAIN_AGGREGATE_AND_PROOF` at the aggregate's
/// epoch.
pub fn aggregate_and_proof_signing_root<E: EthSpec>(
    state: &BeaconState<E>,
    aggregate_and_proof: &types::AggregateAndProof<E>,
    spec: &ChainSpec,
) -> Hash256 {
    let epoch = compute_epoch_at_slot::<E>(aggregate_and_proof.aggregate.data.slot);
    let domain = get_domain(state, spec.domain_aggregate_and_proof, Some(epoch));
    compute_signing_root(aggregate_and_proof, domain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MinimalEthSpec;

    #[test]
    fn subnets_rotate_through_the_epoch() {
        // 4 committees per slot: slot 3's committee 1 is the 13th of the epoch.
        assert_eq!(
            compute_subnet_for_attestation::<MinimalEthSpec>(4, 3, 1),
            13
        );
        assert_eq!(
            compute_subnet_for_attestation::<MinimalEthSpec>(64, 1, 5),
            5
        );
    }

    #[test]
    fn small_committees_make_everyone_an_aggregator() {
        let spec = ChainSpec::minimal();
        let sig = SignatureBytes::default();
        assert!(is_aggregator(15, &sig, &spec));
    }
}
