//! Attestations: aggregation on insert, the inclusion rules, max-cover packing, pruning.

use super::*;
use state_processing::per_block_processing::process_attestation;
use tree_hash::TreeHash;
use types::PendingAttestation;

#[test]
fn disjoint_attestations_merge_into_a_verifying_aggregate_and_subsets_are_dropped() {
    let state = state_at(3);
    let pool = OperationPool::<E>::new();
    let d = data(&state, 2, 0);
    let (a, ai) = attestation(&state, d, &[0]);
    let (b, bi) = attestation(&state, d, &[1, 2]);
    assert_eq!(
        pool.insert_attestation(a.clone(), ai.clone()),
        InsertOutcome::New
    );
    assert_eq!(pool.insert_attestation(b, bi), InsertOutcome::Aggregated);
    assert_eq!(pool.num_attestations(), 1);
    let merged = pool.get_aggregate(&d.tree_hash_root()).unwrap();
    assert_eq!(merged.aggregation_bits.num_set_bits(), 3);
    assert!(signature_verifies(&state, &merged));

    // A subset of what is held adds nothing.
    assert_eq!(pool.insert_attestation(a, ai), InsertOutcome::Redundant);
    assert_eq!(pool.num_attestations(), 1);

    // An overlapping one is kept apart.
    let (c, ci) = attestation(&state, d, &[2, 3]);
    assert_eq!(pool.insert_attestation(c, ci), InsertOutcome::New);
    let all = pool.get_all_attestations(None, None);
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|x| signature_verifies(&state, x)));
}

#[test]
fn a_disjoint_attestation_joins_every_aggregate_it_misses() {
    let state = state_at(3);
    assert_eq!(
        get_beacon_committee(&state, 2, 1, &spec()).unwrap().len(),
        4,
        "64 validators: 2 committees of 4 a slot"
    );
    let pool = OperationPool::<E>::new();
    let d = data(&state, 2, 1);
    for positions in [&[0, 1][..], &[1, 2]] {
        let (a, ai) = attestation(&state, d, positions);
        pool.insert_attestation(a, ai);
    }
    let (x, xi) = attestation(&state, d, &[3]);
    assert_eq!(pool.insert_attestation(x, xi), InsertOutcome::Aggregated);
    let all = pool.get_all_attestations(None, None);
    assert_eq!(all.len(), 2);
    for a in &all {
        assert_eq!(a.aggregation_bits.num_set_bits(), 3);
        assert!(a.aggregation_bits.get(3).unwrap());
        assert!(signature_verifies(&state, a));
    }
}

#[test]
fn malformed_inserts_are_rejected_with_the_rule() {
    let state = state_at(3);
    let pool = OperationPool::<E>::new();
    let d = data(&state, 2, 0);
    let (a, ai) = attestation(&state, d, &[0, 1]);

    let mut empty = a.clone();
    empty.aggregation_bits = BitList::with_capacity(4).unwrap();
    assert_eq!(
        pool.insert_attestation(empty, vec![]),
        InsertOutcome::Rejected(OpPoolError::EmptyAggregationBits)
    );
    assert_eq!(
        pool.insert_attestation(a.clone(), vec![ai[0], ai[0]]),
        InsertOutcome::Rejected(OpPoolError::AttestingIndicesCount {
            indices: 1,
            bits: 2
        })
    );
    let mut garbage = a.clone();
    garbage.signature = SignatureBytes::from_array([0xff; 96]);
    assert_eq!(
        pool.insert_attestation(garbage, ai.clone()),
        InsertOutcome::Rejected(OpPoolError::InvalidSignature)
    );
    assert_eq!(pool.num_attestations(), 0);
    assert_eq!(pool.insert_attestation(a, ai), InsertOutcome::New);
}

#[test]
fn packing_respects_the_inclusion_window() {
    let pool = OperationPool::<E>::new();
    let state = state_at(3);
    let (a, ai) = attestation(&state, data(&state, 3, 0), &[0]);
    pool.insert_attestation(a.clone(), ai);
    // Same slot: MIN_ATTESTATION_INCLUSION_DELAY (1) not passed yet.
    assert!(pool.get_attestations(&state, &spec()).is_empty());
    assert_eq!(
        verify_attestation_for_block(&state, &a, &spec()),
        Err(OpPoolError::IncludedTooEarly {
            attestation_slot: 3,
            state_slot: 3,
            min_delay: 1
        })
    );
    // data.slot + 1 is the first slot it fits, data.slot + SLOTS_PER_EPOCH (11) the last.
    for slot in [4, 11] {
        let later = state_at(slot);
        assert_eq!(verify_attestation_for_block(&later, &a, &spec()), Ok(()));
        assert_eq!(pool.get_attestations(&later, &spec()), vec![a.clone()]);
    }
    let too_late = state_at(12);
    assert!(pool.get_attestations(&too_late, &spec()).is_empty());
    assert_eq!(
        verify_attestation_for_block(&too_late, &a, &spec()),
        Err(OpPoolError::IncludedTooLate {
            attestation_slot: 3,
            state_slot: 12
        })
    );
}

#[test]
fn every_other_rule_of_process_attestation_is_named() {
    let state = state_at(10);
    let (good, gi) = attestation(&state, data(&state, 9, 0), &[0]);
    assert_eq!(verify_attestation_for_block(&state, &good, &spec()), Ok(()));
    let check = |f: &dyn Fn(&mut Attestation<E>)| {
        let mut a = good.clone();
        f(&mut a);
        verify_attestation_for_block(&state, &a, &spec()).unwrap_err()
    };

    assert_eq!(
        check(&|a| a.data.target.epoch = 3),
        OpPoolError::TargetEpochNotPreviousOrCurrent {
            target: 3,
            previous: 0,
            current: 1
        }
    );
    assert_eq!(
        check(&|a| a.data.target.epoch = 0),
        OpPoolError::TargetEpochMismatch {
            target: 0,
            slot_epoch: 1
        }
    );
    assert_eq!(
        check(&|a| a.data.index = 2),
        OpPoolError::CommitteeIndexOutOfRange {
            index: 2,
            committees_per_slot: 2
        }
    );
    assert_eq!(
        check(&|a| a.aggregation_bits = BitList::with_capacity(5).unwrap()),
        OpPoolError::BitfieldLengthMismatch {
            bits: 5,
            committee: 4
        }
    );
    let wrong = Checkpoint {
        epoch: 0,
        root: Hash256::repeat_byte(9),
    };
    assert_eq!(
        check(&|a| a.data.source = wrong),
        OpPoolError::WrongSource {
            found: wrong,
            expected: state.current_justified_checkpoint
        }
    );

    // Held, but never packed.
    let pool = OperationPool::<E>::new();
    let mut wrong_source = good.clone();
    wrong_source.data.source = wrong;
    assert_eq!(
        pool.insert_attestation(wrong_source, gi),
        InsertOutcome::New
    );
    assert!(pool.get_attestations(&state, &spec()).is_empty());
}

#[test]
fn an_attestation_verified_with_other_attesters_is_not_packed() {
    let state = state_at(3);
    let pool = OperationPool::<E>::new();
    let (a, ai) = attestation(&state, data(&state, 2, 0), &[0, 1]);
    // As if verified on a branch whose shuffling put other validators at those positions.
    let elsewhere: Vec<u64> = ai.iter().map(|i| (i + 1) % VALIDATORS).collect();
    assert_ne!(elsewhere, ai);
    pool.insert_attestation(a.clone(), elsewhere);
    assert_eq!(verify_attestation_for_block(&state, &a, &spec()), Ok(()));
    assert!(pool.get_attestations(&state, &spec()).is_empty());
}

fn pending(
    bits: BitList<<E as EthSpec>::MaxValidatorsPerCommittee>,
    data: AttestationData,
) -> PendingAttestation<E> {
    PendingAttestation {
        aggregation_bits: bits,
        data,
        inclusion_delay: 1,
        proposer_index: 0,
    }
}

#[test]
fn max_cover_prefers_unrewarded_validators() {
    let state = state_at(3);
    let pool = OperationPool::<E>::new();
    let d = data(&state, 2, 0);
    // Two overlapping aggregates: {0,1,2} and {2,3}.
    let (big, bi) = attestation(&state, d, &[0, 1, 2]);
    let (small, si) = attestation(&state, d, &[2, 3]);
    pool.insert_attestation(big.clone(), bi);
    pool.insert_attestation(small.clone(), si);
    assert_eq!(
        pool.get_attestations(&state, &spec()),
        vec![big.clone(), small.clone()],
        "the bigger cover first, then the one still adding validator 3"
    );

    // Once {0,1,2} are in the state's pending attestations, only {2,3} adds anything.
    let mut rewarded = state.clone();
    rewarded
        .current_epoch_attestations
        .push(pending(big.aggregation_bits.clone(), d))
        .unwrap();
    assert_eq!(pool.get_attestations(&rewarded, &spec()), vec![small]);

    // Once everyone is, nothing is worth including.
    let (rest, _) = attestation(&state, d, &[3]);
    rewarded
        .current_epoch_attestations
        .push(pending(rest.aggregation_bits, d))
        .unwrap();
    assert!(pool.get_attestations(&rewarded, &spec()).is_empty());
}

/// `state` with `validators` in its pending attestations for the committees of `slots`.
fn with_rewarded(
    mut state: BeaconState<E>,
    slots: std::ops::Range<Slot>,
    validators: &[u64],
) -> BeaconState<E> {
    for slot in slots {
        for index in 0..2 {
            let committee = get_beacon_committee(&state, slot, index, &spec()).unwrap();
            let mut bits = BitList::with_capacity(committee.len()).unwrap();
            for (p, v) in committee.iter().enumerate() {
                bits.set(p, validators.contains(v)).unwrap();
            }
            if bits.is_zero() {
                continue;
            }
            let entry = pending(bits, data(&state, slot, index));
            if slot / E::slots_per_epoch() == state.current_epoch() {
                state.current_epoch_attestations.push(entry).unwrap();
            } else {
                state.previous_epoch_attestations.push(entry).unwrap();
            }
        }
    }
    state
}

#[test]
fn rewards_of_the_previous_and_current_epoch_count_apart() {
    let state = state_at(9);
    let pool = OperationPool::<E>::new();
    let (a, ai) = attestation(&state, data(&state, 7, 0), &[0, 1]);
    pool.insert_attestation(a.clone(), ai.clone());
    // The same validators rewarded for the current epoch still earn the previous epoch's.
    let rewarded_now = with_rewarded(state.clone(), 8..16, &ai);
    assert!(!rewarded_now.current_epoch_attestations.is_empty());
    assert_eq!(pool.get_attestations(&rewarded_now, &spec()), vec![a]);
    let rewarded_both = with_rewarded(rewarded_now, 0..8, &ai);
    assert!(pool.get_attestations(&rewarded_both, &spec()).is_empty());
}

#[test]
fn max_cover_weighs_attesters_by_effective_balance() {
    let mut state = state_at(3);
    let pool = OperationPool::<E>::new();
    let (two, ti) = attestation(&state, data(&state, 2, 0), &[0, 1]);
    let (one, oi) = attestation(&state, data(&state, 2, 1), &[0]);
    for &i in &ti {
        state.validator_mut(i).unwrap().effective_balance = spec().effective_balance_increment;
    }
    pool.insert_attestation(two.clone(), ti);
    pool.insert_attestation(one.clone(), oi);
    let mut spec = spec();
    assert_eq!(pool.get_attestations(&state, &spec), vec![one.clone(), two]);
    spec.max_attestations = 1;
    assert_eq!(pool.get_attestations(&state, &spec), vec![one]);
}

#[test]
fn packing_is_capped_at_max_attestations() {
    let state = state_at(9);
    let pool = OperationPool::<E>::new();
    for slot in 5..9 {
        for index in 0..2 {
            let (a, ai) = attestation(&state, data(&state, slot, index), &[0]);
            pool.insert_attestation(a, ai);
        }
    }
    assert_eq!(pool.num_attestations(), 8);
    assert_eq!(pool.get_attestations(&state, &spec()).len(), 8);
    let mut spec = spec();
    spec.max_attestations = 3;
    assert_eq!(pool.get_attestations(&state, &spec).len(), 3);
}

#[test]
fn packed_attestations_apply_with_process_attestation() {
    let state = state_at(10);
    let pool = OperationPool::<E>::new();
    // Previous-epoch slots 2..8 and current-epoch slots 8..10, overlapping aggregates.
    for slot in 2..10 {
        for index in 0..2 {
            let d = data(&state, slot, index);
            for positions in [&[0, 1][..], &[1, 2], &[3]] {
                let (a, ai) = attestation(&state, d, positions);
                pool.insert_attestation(a, ai);
            }
        }
    }
    let packed = pool.get_attestations(&state, &spec());
    // Per committee {0,1,3} and {1,2,3} after merging; both go in ({1,2,3} still adds 2).
    assert_eq!(packed.len(), 2 * 2 * 8);
    let mut post = state.clone();
    for a in &packed {
        process_attestation(&mut post, a, VerifySignatures::Individually, &spec()).unwrap();
    }
    assert_eq!(post.previous_epoch_attestations.len(), 2 * 2 * 6);
    assert_eq!(post.current_epoch_attestations.len(), 2 * 2 * 2);
    // Once applied, nothing is left to reward.
    assert!(pool.get_attestations(&post, &spec()).is_empty());
}

#[test]
fn listing_filters_by_slot_and_committee() {
    let state = state_at(9);
    let pool = OperationPool::<E>::new();
    for slot in 6..9 {
        for index in 0..2 {
            let (a, ai) = attestation(&state, data(&state, slot, index), &[0]);
            pool.insert_attestation(a, ai);
        }
    }
    assert_eq!(pool.get_all_attestations(None, None).len(), 6);
    assert_eq!(pool.get_all_attestations(Some(7), None).len(), 2);
    assert_eq!(pool.get_all_attestations(None, Some(1)).len(), 3);
    let one = pool.get_all_attestations(Some(8), Some(1));
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].data.slot, one[0].data.index), (8, 1));
    assert!(pool.get_all_attestations(Some(20), None).is_empty());
    assert_eq!(
        pool.get_aggregate(&one[0].data.tree_hash_root()),
        Some(one[0].clone())
    );
    assert_eq!(pool.get_aggregate(&Hash256::ZERO), None);
}

#[test]
fn pruning_drops_attestations_older_than_the_previous_epoch() {
    let state = state_at(3);
    let pool = OperationPool::<E>::new();
    let (a, ai) = attestation(&state, data(&state, 2, 0), &[0]);
    pool.insert_attestation(a.clone(), ai.clone());
    pool.prune(&state_at(2 * E::slots_per_epoch() - 1), &spec());
    assert_eq!(pool.num_attestations(), 1, "epoch 0 is still the previous");
    pool.prune(&state_at(2 * E::slots_per_epoch()), &spec());
    assert_eq!(pool.num_attestations(), 0);
    // And it is not taken back.
    assert_eq!(
        pool.insert_attestation(a, ai),
        InsertOutcome::Rejected(OpPoolError::AttestationTooOld {
            target: 0,
            newest: 2
        })
    );
}

#[test]
fn a_newer_target_evicts_what_can_no_longer_be_included() {
    let pool = OperationPool::<E>::new();
    let early = state_at(3);
    let (old, oi) = attestation(&early, data(&early, 2, 0), &[0]);
    pool.insert_attestation(old, oi);
    let later = state_at(2 * E::slots_per_epoch() + 1);
    let (prev, pi) = attestation(&later, data(&later, E::slots_per_epoch() + 1, 0), &[0]);
    pool.insert_attestation(prev, pi);
    assert_eq!(pool.num_attestations(), 2, "targets 0 and 1");
    let (new, ni) = attestation(&later, data(&later, 2 * E::slots_per_epoch(), 0), &[0]);
    pool.insert_attestation(new, ni);
    let targets: Vec<_> = pool
        .get_all_attestations(None, None)
        .iter()
        .map(|a| a.data.target.epoch)
        .collect();
    assert_eq!(targets, vec![1, 2]);
}
