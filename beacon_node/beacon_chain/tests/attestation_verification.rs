//! One test per gossip rule of `beacon_attestation_{subnet_id}` and
//! `beacon_aggregate_and_proof` (p2p-interface.md v1.0.1), each checking the named error and
//! whether it is a REJECT or an IGNORE.

mod common;

use beacon_chain::harness::{
    attestation_with_bits, AttestationMode, BeaconChainHarness, ProducedAttestation,
};
use beacon_chain::SlotClock;
use beacon_chain::{AttestationError, GossipAction};
use common::*;
use std::sync::Arc;
use types::{
    Attestation, ChainSpec, Checkpoint, Hash256, SignatureBytes, SignedAggregateAndProof, Slot,
};

/// A chain two epochs in, the clock at `slot` (a block there), and one unaggregated
/// attestation per attester of `slot` voting for the head.
/// Attestations with their subnets.
type SubnetAttestations = Vec<(Attestation<E>, u64)>;

fn setup() -> (BeaconChainHarness<E>, Slot, SubnetAttestations) {
    let h = harness();
    let slot = 2 * slots_per_epoch() + 3;
    run_slots(&h, 1, slot - 1, &everyone);
    h.set_slot(slot).unwrap();
    h.propose(slot).unwrap();
    let atts = h
        .make_attestations(
            slot,
            h.chain.head_block_root(),
            &everyone,
            AttestationMode::Unaggregated,
        )
        .unwrap()
        .into_iter()
        .map(|p| match p {
            ProducedAttestation::Unaggregated(a, subnet) => (a, subnet),
            ProducedAttestation::Aggregate(_) => unreachable!(),
        })
        .collect();
    (h, slot, atts)
}

fn aggregates(h: &BeaconChainHarness<E>, slot: Slot) -> Vec<SignedAggregateAndProof<E>> {
    h.make_attestations(
        slot,
        h.chain.head_block_root(),
        &everyone,
        AttestationMode::Aggregated,
    )
    .unwrap()
    .into_iter()
    .map(|p| match p {
        ProducedAttestation::Aggregate(a) => a,
        ProducedAttestation::Unaggregated(..) => unreachable!(),
    })
    .collect()
}

fn unagg_err(
    h: &BeaconChainHarness<E>,
    attestation: Attestation<E>,
    subnet: Option<u64>,
) -> AttestationError {
    h.chain
        .verify_unaggregated_attestation_for_gossip(attestation, subnet)
        .unwrap_err()
}

fn agg_err(h: &BeaconChainHarness<E>, aggregate: SignedAggregateAndProof<E>) -> AttestationError {
    h.chain
        .verify_aggregated_attestation_for_gossip(aggregate)
        .unwrap_err()
}

/// Re-sign an unaggregated attestation after changing its data.
fn resign(h: &BeaconChainHarness<E>, mut a: Attestation<E>, validator: u64) -> Attestation<E> {
    use state_processing::helpers::accessors::get_domain;
    use types::signing::compute_signing_root;
    let state = h.chain.head().state;
    let domain = get_domain(
        &state,
        h.spec.domain_beacon_attester,
        Some(a.data.target.epoch),
    );
    let root = compute_signing_root(&a.data, domain);
    a.signature = SignatureBytes::from(&h.keys[validator as usize].sign(root.as_slice()));
    a
}

fn attester_of(h: &BeaconChainHarness<E>, a: &Attestation<E>) -> u64 {
    let state = h.chain.head().state;
    state_processing::helpers::accessors::get_attesting_indices(
        &state,
        &a.data,
        &a.aggregation_bits,
        &h.spec,
    )
    .unwrap()[0]
}

#[test]
fn a_valid_attestation_passes_and_a_second_from_the_same_validator_is_ignored() {
    let (h, _, atts) = setup();
    let (a, subnet) = atts[0].clone();
    h.chain
        .verify_unaggregated_attestation_for_gossip(a.clone(), Some(subnet))
        .unwrap();
    // [IGNORE] no other valid attestation for this target epoch and validator.
    let err = unagg_err(&h, a, Some(subnet));
    assert!(
        matches!(err, AttestationError::PriorAttestationKnown { .. }),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Ignore);
}

#[test]
fn committee_index_out_of_range_is_rejected() {
    let (h, _, atts) = setup();
    let (mut a, _) = atts[0].clone();
    a.data.index = 63;
    let err = unagg_err(&h, a, None);
    assert!(
        matches!(err, AttestationError::NoCommitteeForSlotAndIndex { .. }),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn the_wrong_subnet_is_rejected() {
    let (h, _, atts) = setup();
    let (a, subnet) = atts[0].clone();
    let err = unagg_err(&h, a, Some(subnet + 1));
    assert!(
        matches!(err, AttestationError::InvalidSubnetId { .. }),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn attestations_outside_the_propagation_window_are_ignored() {
    let (h, slot, atts) = setup();
    let (a, subnet) = atts[0].clone();
    // Future: the clock one slot earlier.
    h.clock.set_slot(slot - 1);
    let err = unagg_err(&h, a.clone(), Some(subnet));
    assert!(matches!(err, AttestationError::FutureSlot { .. }), "{err}");
    assert_eq!(err.gossip_action(), GossipAction::Ignore);
    // Past: more than ATTESTATION_PROPAGATION_SLOT_RANGE (32) slots later.
    h.clock.set_slot(slot + 34);
    let err = unagg_err(&h, a, Some(subnet));
    assert!(matches!(err, AttestationError::PastSlot { .. }), "{err}");
    assert_eq!(err.gossip_action(), GossipAction::Ignore);
}

#[test]
fn a_target_epoch_not_matching_the_slot_is_rejected() {
    let (h, _, atts) = setup();
    let (mut a, _) = atts[0].clone();
    a.data.target.epoch -= 1;
    let err = unagg_err(&h, a, None);
    assert!(
        matches!(err, AttestationError::InvalidTargetEpoch { .. }),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn attestations_with_zero_or_two_bits_are_rejected() {
    let (h, _, atts) = setup();
    let (mut none, _) = atts[0].clone();
    for i in 0..none.aggregation_bits.len() {
        none.aggregation_bits.set(i, false).unwrap();
    }
    let err = unagg_err(&h, none, None);
    assert!(
        matches!(err, AttestationError::NotExactlyOneAggregationBitSet(0)),
        "{err}"
    );
    let (mut two, _) = atts[0].clone();
    two.aggregation_bits.set(0, true).unwrap();
    two.aggregation_bits.set(1, true).unwrap();
    let err = unagg_err(&h, two, None);
    assert!(
        matches!(err, AttestationError::NotExactlyOneAggregationBitSet(2)),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn a_bitfield_of_the_wrong_length_is_rejected() {
    let (h, _, atts) = setup();
    let (a, _) = atts[0].clone();
    let wrong = attestation_with_bits::<E>(a.data, a.aggregation_bits.len() + 1, &[0], a.signature);
    let err = unagg_err(&h, wrong, None);
    assert!(
        matches!(err, AttestationError::BitfieldLengthMismatch { .. }),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn a_bad_signature_is_rejected() {
    let (h, _, atts) = setup();
    let (mut a, _) = atts[0].clone();
    let (other, _) = atts[1].clone();
    a.signature = other.signature;
    let err = unagg_err(&h, a, None);
    assert!(matches!(err, AttestationError::InvalidSignature), "{err}");
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn a_vote_for_an_unknown_block_is_ignored() {
    let (h, _, atts) = setup();
    let (mut a, _) = atts[0].clone();
    let v = attester_of(&h, &a);
    a.data.beacon_block_root = Hash256::repeat_byte(0xaa);
    let a = resign(&h, a, v);
    let err = unagg_err(&h, a, None);
    assert!(
        matches!(err, AttestationError::UnknownHeadBlock(_)),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Ignore);
}

#[test]
fn a_vote_for_an_invalid_block_is_rejected() {
    let (h, slot, atts) = setup();
    // A block with a wrong state root at the next slot: rejected and remembered as invalid.
    h.set_slot(slot + 1).unwrap();
    let good = h.make_block(h.chain.head_block_root(), slot + 1).unwrap();
    let mut message = good.message.clone();
    message.state_root = Hash256::repeat_byte(1);
    let bad = h.sign_block(message, &h.chain.head().state);
    let bad_root = {
        use tree_hash::TreeHash;
        bad.message.tree_hash_root()
    };
    h.chain.process_block(Arc::new(bad)).unwrap_err();
    assert!(h.chain.is_known_invalid(&bad_root));
    let (mut a, _) = atts[0].clone();
    let v = attester_of(&h, &a);
    a.data.beacon_block_root = bad_root;
    let a = resign(&h, a, v);
    let err = unagg_err(&h, a, None);
    assert!(
        matches!(err, AttestationError::HeadBlockInvalid(_)),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn a_target_that_is_not_the_votes_ancestor_is_rejected() {
    let (h, _, atts) = setup();
    let (mut a, _) = atts[0].clone();
    let v = attester_of(&h, &a);
    // The genesis block is known but is not the ancestor at the target epoch's start.
    a.data.target.root = h.chain.genesis_block_root;
    let a = resign(&h, a, v);
    let err = unagg_err(&h, a, None);
    assert!(
        matches!(err, AttestationError::InvalidTargetRoot { .. }),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn a_vote_for_a_branch_finality_abandoned_is_rejected() {
    let h = harness();
    let spe = slots_per_epoch();
    run_slots(&h, 1, 3, &everyone);
    // A side block at slot 4 on slot 2's block, never built on.
    h.set_slot(4).unwrap();
    let side_parent = h.chain.get_ancestor(&h.chain.head_block_root(), 2).unwrap();
    let side = h.make_block(side_parent, 4).unwrap();
    let side_root = h.chain.process_block(Arc::new(side)).unwrap();
    h.attest(
        4,
        h.chain.head_block_root(),
        &everyone,
        AttestationMode::Unaggregated,
    )
    .ok();
    run_slots(&h, 5, 5 * spe, &everyone);
    assert!(h.chain.finalized_checkpoint().epoch >= 2);
    let slot = 5 * spe;
    let (mut a, _) = match h
        .make_attestations(
            slot,
            h.chain.head_block_root(),
            &everyone,
            AttestationMode::Unaggregated,
        )
        .unwrap()
        .remove(0)
    {
        ProducedAttestation::Unaggregated(a, s) => (a, s),
        _ => unreachable!(),
    };
    let v = attester_of(&h, &a);
    a.data.beacon_block_root = side_root;
    a.data.target = Checkpoint {
        epoch: a.data.target.epoch,
        root: side_root,
    };
    let a = resign(&h, a, v);
    let err = unagg_err(&h, a, None);
    assert!(
        matches!(err, AttestationError::NotFinalizedDescendant),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

// ---- beacon_aggregate_and_proof ----

#[test]
fn a_valid_aggregate_passes_then_repeats_are_ignored() {
    let (h, slot, _) = setup();
    let aggs = aggregates(&h, slot);
    h.chain
        .verify_aggregated_attestation_for_gossip(aggs[0].clone())
        .unwrap();
    // [IGNORE] the same aggregate again.
    let err = agg_err(&h, aggs[0].clone());
    assert!(
        matches!(err, AttestationError::AttestationAlreadyKnown(_)),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Ignore);
    // [IGNORE] another aggregate from the same aggregator for the same target epoch.
    let state = h.chain.head().state;
    let mut other = aggs[0].message.aggregate.clone();
    other.aggregation_bits.set(0, false).unwrap();
    let other = h.sign_aggregate_as(&state, aggs[0].message.aggregator_index, other);
    let err = agg_err(&h, other);
    assert!(
        matches!(err, AttestationError::AggregatorAlreadyKnown { .. }),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Ignore);
}

#[test]
fn aggregates_outside_the_window_or_with_a_wrong_target_epoch() {
    let (h, slot, _) = setup();
    let agg = aggregates(&h, slot).remove(0);
    h.clock.set_slot(slot + 34);
    let err = agg_err(&h, agg.clone());
    assert!(matches!(err, AttestationError::PastSlot { .. }), "{err}");
    h.clock.set_slot(slot - 1);
    let err = agg_err(&h, agg.clone());
    assert!(matches!(err, AttestationError::FutureSlot { .. }), "{err}");
    h.clock.set_slot(slot);
    let state = h.chain.head().state;
    let mut att = agg.message.aggregate.clone();
    att.data.target.epoch -= 1;
    let wrong = h.sign_aggregate_as(&state, agg.message.aggregator_index, att);
    let err = agg_err(&h, wrong);
    assert!(
        matches!(err, AttestationError::InvalidTargetEpoch { .. }),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn an_aggregate_without_participants_is_rejected() {
    let (h, slot, _) = setup();
    let agg = aggregates(&h, slot).remove(0);
    let state = h.chain.head().state;
    let mut att = agg.message.aggregate.clone();
    for i in 0..att.aggregation_bits.len() {
        att.aggregation_bits.set(i, false).unwrap();
    }
    let empty = h.sign_aggregate_as(&state, agg.message.aggregator_index, att);
    let err = agg_err(&h, empty);
    assert!(
        matches!(err, AttestationError::EmptyAggregationBitfield),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn an_aggregator_outside_the_committee_is_rejected() {
    let (h, slot, _) = setup();
    let agg = aggregates(&h, slot).remove(0);
    let state = h.chain.head().state;
    let committee = state_processing::helpers::accessors::get_beacon_committee(
        &state,
        slot,
        agg.message.aggregate.data.index,
        &h.spec,
    )
    .unwrap();
    let outsider = (0..VALIDATORS as u64)
        .find(|v| !committee.contains(v))
        .unwrap();
    let forged = h.sign_aggregate_as(&state, outsider, agg.message.aggregate.clone());
    let err = agg_err(&h, forged);
    assert!(
        matches!(err, AttestationError::AggregatorNotInCommittee(_)),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn each_of_the_three_aggregate_signatures_is_checked() {
    let (h, slot, _) = setup();
    let agg = aggregates(&h, slot).remove(0);
    let junk = SignatureBytes::from(&h.keys[5].sign(b"junk"));
    // Selection proof: small minimal committees make any proof select, so only its
    // signature can fail.
    let mut bad_proof = agg.clone();
    bad_proof.message.selection_proof = junk;
    let mut bad_aggregator = agg.clone();
    bad_aggregator.signature = junk;
    let mut bad_aggregate = agg.clone();
    bad_aggregate.message.aggregate.signature = junk;
    let state = h.chain.head().state;
    let bad_aggregate = h.sign_aggregate_as(
        &state,
        agg.message.aggregator_index,
        bad_aggregate.message.aggregate,
    );
    for forged in [bad_proof, bad_aggregator, bad_aggregate] {
        let err = agg_err(&h, forged);
        assert!(matches!(err, AttestationError::InvalidSignature), "{err}");
        assert_eq!(err.gossip_action(), GossipAction::Reject);
    }
}

#[test]
fn a_selection_proof_that_does_not_select_is_rejected() {
    // Committees of 32 (1024 validators on minimal) make the modulo 2: about half the
    // members are not aggregators.
    let h = BeaconChainHarness::<E>::new(1024, ChainSpec::minimal(), ephemeral_store()).unwrap();
    h.set_slot(1).unwrap();
    h.propose(1).unwrap();
    let head = h.chain.head_block_root();
    let (_, state) = h.attestation_state(1, head).unwrap();
    let committee =
        state_processing::helpers::accessors::get_beacon_committee(&state, 1, 0, &h.spec).unwrap();
    assert!(committee.len() >= 32, "committee of {}", committee.len());
    let selection_root = state_processing::validator::slot_signing_root(&state, 1, &h.spec);
    let not_selected = committee
        .iter()
        .copied()
        .find(|&v| {
            let proof = SignatureBytes::from(&h.keys[v as usize].sign(selection_root.as_slice()));
            !state_processing::validator::is_aggregator(committee.len(), &proof, &h.spec)
        })
        .expect("someone is not selected");
    let agg = match h
        .make_attestations(1, head, &everyone, AttestationMode::Aggregated)
        .unwrap()
        .remove(0)
    {
        ProducedAttestation::Aggregate(a) => a,
        _ => unreachable!(),
    };
    let forged = h.sign_aggregate_as(&state, not_selected, agg.message.aggregate);
    let err = agg_err(&h, forged);
    assert!(
        matches!(err, AttestationError::InvalidSelectionProof(_)),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Reject);
}

#[test]
fn aggregates_for_unknown_blocks_are_ignored() {
    let (h, slot, _) = setup();
    let agg = aggregates(&h, slot).remove(0);
    let state = h.chain.head().state;
    let mut att = agg.message.aggregate.clone();
    att.data.beacon_block_root = Hash256::repeat_byte(0xbb);
    let forged = h.sign_aggregate_as(&state, agg.message.aggregator_index, att);
    let err = agg_err(&h, forged);
    assert!(
        matches!(err, AttestationError::UnknownHeadBlock(_)),
        "{err}"
    );
    assert_eq!(err.gossip_action(), GossipAction::Ignore);
}

#[test]
fn verified_attestations_reach_fork_choice_and_the_pool() {
    let (h, slot, atts) = setup();
    for (a, subnet) in atts {
        h.chain
            .process_unaggregated_attestation(a, Some(subnet))
            .unwrap();
    }
    assert!(h.chain.op_pool.num_attestations() > 0);
    h.set_slot(slot + 1).unwrap();
    let fc = h.chain.fork_choice();
    assert!(fc.latest_message(0).is_some());
}

#[test]
fn an_attestation_in_the_first_moments_after_genesis_is_accepted() {
    // At genesis + 100 ms, "now minus MAXIMUM_GOSSIP_CLOCK_DISPARITY" is before genesis: the
    // earliest permissible slot is then 0, not a broken clock.
    let h = harness();
    let genesis = h.clock.genesis_duration();
    h.clock
        .set_time(genesis + std::time::Duration::from_millis(100));
    let atts = h
        .make_attestations(
            0,
            h.chain.head_block_root(),
            &everyone,
            AttestationMode::Unaggregated,
        )
        .unwrap();
    let ProducedAttestation::Unaggregated(a, subnet) = atts[0].clone() else {
        unreachable!()
    };
    h.chain
        .verify_unaggregated_attestation_for_gossip(a, Some(subnet))
        .unwrap();
}

#[test]
fn a_batch_of_attestations_with_one_bad_signature_rejects_only_that_one() {
    let (h, _slot, atts) = setup();
    assert!(atts.len() >= 4, "{} attestations", atts.len());
    let mut items: Vec<(Attestation<E>, Option<u64>)> =
        atts.iter().map(|(a, s)| (a.clone(), Some(*s))).collect();
    // Another attester's valid signature: a bad signature for this attestation.
    items[1].0.signature = items[2].0.signature;
    let results = h.chain.batch_process_unaggregated_attestations(items);
    for (i, result) in results.iter().enumerate() {
        if i == 1 {
            assert!(
                matches!(result, Err(AttestationError::InvalidSignature)),
                "{result:?}"
            );
        } else {
            assert!(result.is_ok(), "attestation {i}: {result:?}");
        }
    }
    // Applied: the pool has them, and a second batch is all duplicates.
    let again: Vec<_> = atts.iter().map(|(a, s)| (a.clone(), Some(*s))).collect();
    let results = h.chain.batch_verify_unaggregated_attestations(again);
    assert!(results
        .iter()
        .enumerate()
        .all(|(i, r)| i == 1 || matches!(r, Err(AttestationError::PriorAttestationKnown { .. }))));
}

#[test]
fn a_batch_of_aggregates_with_one_bad_signature_rejects_only_that_one() {
    let (h, slot, _) = setup();
    let mut rest = aggregates(&h, slot);
    assert!(rest.len() >= 2, "{} aggregates", rest.len());
    // The last one carries the first one's (valid) outer signature: wrong for it.
    let last = rest.len() - 1;
    rest[last].signature = rest[0].signature;
    let n = rest.len();
    let results = h.chain.batch_process_aggregated_attestations(rest);
    for (i, result) in results.iter().enumerate() {
        if i == n - 1 {
            assert!(result.is_err(), "{result:?}");
        } else {
            assert!(result.is_ok(), "aggregate {i}: {result:?}");
        }
    }
}
