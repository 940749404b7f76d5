//! Slashings and exits: packed sets that apply as a whole, preferences, caps, pruning.

use super::*;
use state_processing::per_block_processing::{process_operations, process_proposer_slashing};
use types::{
    BeaconBlockBody, BeaconBlockHeader, IndexedAttestation, SignedBeaconBlockHeader, VariableList,
    VoluntaryExit,
};

fn signed_header(
    state: &BeaconState<E>,
    proposer: u64,
    slot: Slot,
    parent: u8,
) -> SignedBeaconBlockHeader {
    let message = BeaconBlockHeader {
        slot,
        proposer_index: proposer,
        parent_root: Hash256::repeat_byte(parent),
        state_root: Hash256::ZERO,
        body_root: Hash256::ZERO,
    };
    let domain = get_domain(
        state,
        spec().domain_beacon_proposer,
        Some(slot / E::slots_per_epoch()),
    );
    let root = compute_signing_root(&message, domain);
    SignedBeaconBlockHeader {
        message,
        signature: SignatureBytes::from(&key(proposer).sign(root.as_slice())),
    }
}

/// Two different signed headers of `proposer` at slot 1.
pub(super) fn proposer_slashing(state: &BeaconState<E>, proposer: u64) -> ProposerSlashing {
    ProposerSlashing {
        signed_header_1: signed_header(state, proposer, 1, 1),
        signed_header_2: signed_header(state, proposer, 1, 2),
    }
}

fn indexed(state: &BeaconState<E>, indices: &[u64], d: AttestationData) -> IndexedAttestation<E> {
    let domain = get_domain(state, spec().domain_beacon_attester, Some(d.target.epoch));
    let root = compute_signing_root(&d, domain);
    let signatures: Vec<_> = indices
        .iter()
        .map(|&i| key(i).sign(root.as_slice()))
        .collect();
    let refs: Vec<_> = signatures.iter().collect();
    IndexedAttestation {
        attesting_indices: VariableList::new(indices.to_vec()).unwrap(),
        data: d,
        signature: SignatureBytes::from(
            &AggregateSignature::aggregate(&refs).unwrap().to_signature(),
        ),
    }
}

/// A double vote at epoch 0 by `first` in one attestation and `second` in the other.
fn double_vote(state: &BeaconState<E>, first: &[u64], second: &[u64]) -> AttesterSlashing<E> {
    let mut d1 = data(state, 1, 0);
    let mut d2 = d1;
    d1.beacon_block_root = Hash256::repeat_byte(7);
    d2.beacon_block_root = Hash256::repeat_byte(8);
    AttesterSlashing {
        attestation_1: indexed(state, first, d1),
        attestation_2: indexed(state, second, d2),
    }
}

pub(super) fn attester_slashing(state: &BeaconState<E>, indices: &[u64]) -> AttesterSlashing<E> {
    double_vote(state, indices, indices)
}

fn exit_at(state: &BeaconState<E>, validator: u64, epoch: u64) -> SignedVoluntaryExit {
    let message = VoluntaryExit {
        epoch,
        validator_index: validator,
    };
    let domain = get_domain(state, spec().domain_voluntary_exit, Some(epoch));
    let root = compute_signing_root(&message, domain);
    SignedVoluntaryExit {
        message,
        signature: SignatureBytes::from(&key(validator).sign(root.as_slice())),
    }
}

pub(super) fn exit(state: &BeaconState<E>, validator: u64) -> SignedVoluntaryExit {
    exit_at(state, validator, 0)
}

/// The minimal spec with exits allowed from activation (SHARD_COMMITTEE_PERIOD is 64 epochs).
fn exit_spec() -> ChainSpec {
    let mut spec = spec();
    spec.shard_committee_period = 0;
    spec
}

fn slashed_by(slashings: &[AttesterSlashing<E>]) -> Vec<Vec<u64>> {
    slashings
        .iter()
        .map(|s| s.attestation_1.attesting_indices.to_vec())
        .collect()
}

#[test]
fn packed_operations_apply_as_one_block_and_never_conflict() {
    let spec = exit_spec();
    let state = state_at(2 * E::slots_per_epoch());
    let pool = OperationPool::<E>::new();
    assert_eq!(
        pool.insert_proposer_slashing(proposer_slashing(&state, 5)),
        InsertOutcome::New
    );
    assert_eq!(
        pool.insert_proposer_slashing(proposer_slashing(&state, 5)),
        InsertOutcome::Redundant
    );
    let insert = |indices: &[u64]| {
        pool.insert_attester_slashing(attester_slashing(&state, indices), indices.to_vec())
    };
    assert_eq!(insert(&[5, 6]), InsertOutcome::New);
    assert_eq!(insert(&[9]), InsertOutcome::New);
    assert_eq!(
        insert(&[5]),
        InsertOutcome::Redundant,
        "[5, 6] slashes 5 too"
    );
    assert_eq!(insert(&[6, 12]), InsertOutcome::New);
    for v in [5, 6, 7, 12] {
        assert_eq!(
            pool.insert_voluntary_exit(exit(&state, v)),
            InsertOutcome::New
        );
    }
    assert_eq!(
        pool.insert_voluntary_exit(exit(&state, 7)),
        InsertOutcome::Redundant
    );
    assert_eq!(
        (
            pool.num_proposer_slashings(),
            pool.num_attester_slashings(),
            pool.num_voluntary_exits()
        ),
        (1, 3, 4)
    );

    let (proposer, attester, exits) = pool.get_slashings_and_exits(&state, &spec);
    assert_eq!(proposer.len(), 1);
    // After the proposer slashing of 5: [6, 12] slashes two, then [9] one; [5, 6] nobody.
    assert_eq!(slashed_by(&attester), vec![vec![6, 12], vec![9]]);
    // 5, 6 and 12 are slashed in this block, which initiates their exits.
    let exited: Vec<_> = exits.iter().map(|e| e.message.validator_index).collect();
    assert_eq!(exited, vec![7]);

    // The whole set, with the attestations the pool would pack, applies as one block body.
    let (a, ai) = attestation(&state, data(&state, 15, 0), &[0, 1]);
    pool.insert_attestation(a, ai);
    let body = BeaconBlockBody::<E> {
        proposer_slashings: VariableList::new(proposer).unwrap(),
        attester_slashings: VariableList::new(attester).unwrap(),
        attestations: VariableList::new(pool.get_attestations(&state, &spec)).unwrap(),
        voluntary_exits: VariableList::new(exits).unwrap(),
        ..Default::default()
    };
    assert_eq!(body.attestations.len(), 1);
    let mut post = state.clone();
    process_operations(&mut post, &body, VerifySignatures::Individually, &spec).unwrap();

    // After it, pruning leaves only what still slashes someone.
    pool.prune(&post, &spec);
    assert!(pool.get_all_proposer_slashings().is_empty());
    assert!(pool.get_all_voluntary_exits().is_empty());
    assert!(pool.get_all_attester_slashings().is_empty());
}

#[test]
fn attester_slashings_slashing_the_most_go_first() {
    let state = state_at(2 * E::slots_per_epoch());
    let pool = OperationPool::<E>::new();
    for indices in [&[1][..], &[2, 3, 4], &[3, 4, 10, 11]] {
        pool.insert_attester_slashing(attester_slashing(&state, indices), indices.to_vec());
    }
    let (_, attester, _) = pool.get_slashings_and_exits(&state, &spec());
    // MAX_ATTESTER_SLASHINGS is 2: four new, then one new (a tie, the earlier wins).
    assert_eq!(slashed_by(&attester), vec![vec![3, 4, 10, 11], vec![1]]);
    let body = BeaconBlockBody::<E> {
        attester_slashings: VariableList::new(attester).unwrap(),
        ..Default::default()
    };
    let mut post = state.clone();
    process_operations(&mut post, &body, VerifySignatures::Individually, &spec()).unwrap();
}

#[test]
fn operations_the_state_already_applied_are_not_packed_and_are_pruned() {
    let spec = exit_spec();
    let state = state_at(2 * E::slots_per_epoch());
    let mut slashed = state.clone();
    process_proposer_slashing(
        &mut slashed,
        &proposer_slashing(&state, 5),
        VerifySignatures::Individually,
        &spec,
    )
    .unwrap();

    let pool = OperationPool::<E>::new();
    let again = proposer_slashing(&state, 5);
    let only_five = attester_slashing(&state, &[5]);
    let five_exits = exit(&state, 5);
    pool.insert_proposer_slashing(again.clone());
    pool.insert_attester_slashing(only_five.clone(), vec![5]);
    pool.insert_voluntary_exit(five_exits.clone());
    assert_eq!(
        pool.get_slashings_and_exits(&slashed, &spec),
        (vec![], vec![], vec![])
    );
    assert_eq!(
        verify_proposer_slashing_for_block(&slashed, &again),
        Err(OpPoolError::NotSlashable { index: 5, epoch: 2 })
    );
    assert_eq!(
        verify_attester_slashing_for_block(&slashed, &only_five),
        Err(OpPoolError::NoSlashableIndices)
    );
    assert!(matches!(
        verify_voluntary_exit_for_block(&slashed, &five_exits, &spec),
        Err(OpPoolError::ExitAlreadyInitiated { index: 5, .. })
    ));
    // Still packed on the state before the slashing.
    let (p, a, e) = pool.get_slashings_and_exits(&state, &spec);
    assert_eq!(
        (p.len(), a.len(), e.len()),
        (1, 0, 0),
        "the rest slash or exit 5 again"
    );

    pool.prune(&state, &spec);
    assert_eq!(
        pool.num_proposer_slashings(),
        1,
        "nothing applied on this state"
    );
    pool.prune(&slashed, &spec);
    assert_eq!(
        (
            pool.num_proposer_slashings(),
            pool.num_attester_slashings(),
            pool.num_voluntary_exits()
        ),
        (0, 0, 0)
    );
}

#[test]
fn exits_follow_every_rule_of_process_voluntary_exit() {
    let state = state_at(2 * E::slots_per_epoch());
    // SHARD_COMMITTEE_PERIOD (64 epochs) has not passed since activation at genesis.
    let pool = OperationPool::<E>::new();
    let young = exit(&state, 3);
    pool.insert_voluntary_exit(young.clone());
    assert!(pool.get_slashings_and_exits(&state, &spec()).2.is_empty());
    assert_eq!(
        verify_voluntary_exit_for_block(&state, &young, &spec()),
        Err(OpPoolError::ExitTooYoung {
            index: 3,
            current_epoch: 2,
            earliest_exit_epoch: 64
        })
    );
    let spec = exit_spec();
    assert_eq!(pool.get_slashings_and_exits(&state, &spec).2, vec![young]);

    let future = exit_at(&state, 4, 3);
    assert_eq!(
        verify_voluntary_exit_for_block(&state, &future, &spec),
        Err(OpPoolError::ExitEpochInFuture {
            exit_epoch: 3,
            current_epoch: 2
        })
    );
    let mut stranger = exit(&state, 4);
    stranger.message.validator_index = 1000;
    assert_eq!(
        verify_voluntary_exit_for_block(&state, &stranger, &spec),
        Err(OpPoolError::UnknownValidator { index: 1000 })
    );
}

#[test]
fn slashings_and_exits_are_capped() {
    let state = state_at(2 * E::slots_per_epoch());
    let pool = OperationPool::<E>::new();
    for v in [3, 4, 8] {
        pool.insert_proposer_slashing(proposer_slashing(&state, v));
    }
    for v in [10, 11, 12] {
        pool.insert_voluntary_exit(exit(&state, v));
    }
    let mut spec = exit_spec();
    spec.max_proposer_slashings = 2;
    spec.max_voluntary_exits = 1;
    let (proposer, _, exits) = pool.get_slashings_and_exits(&state, &spec);
    let proposers: Vec<_> = proposer
        .iter()
        .map(|s| s.signed_header_1.message.proposer_index)
        .collect();
    assert_eq!(proposers, vec![3, 4]);
    assert_eq!(exits.len(), 1);
    assert_eq!(exits[0].message.validator_index, 10);
}

#[test]
fn malformed_slashings_are_rejected_with_the_rule() {
    let state = state_at(2 * E::slots_per_epoch());
    let pool = OperationPool::<E>::new();
    let mut mismatched = proposer_slashing(&state, 3);
    mismatched.signed_header_2 = signed_header(&state, 4, 1, 2);
    assert_eq!(
        pool.insert_proposer_slashing(mismatched),
        InsertOutcome::Rejected(OpPoolError::ProposerIndexMismatch {
            index_1: 3,
            index_2: 4
        })
    );
    assert_eq!(
        pool.insert_attester_slashing(double_vote(&state, &[1, 2], &[2, 3]), vec![1]),
        InsertOutcome::Rejected(OpPoolError::SlashableIndexNotInBothAttestations { index: 1 })
    );
    assert_eq!(
        pool.insert_attester_slashing(double_vote(&state, &[1], &[2]), vec![]),
        InsertOutcome::Rejected(OpPoolError::NoCommonAttesters)
    );
    assert_eq!(
        pool.insert_attester_slashing(double_vote(&state, &[1, 2], &[2, 3]), vec![2]),
        InsertOutcome::New
    );
    // One covering all its attesters replaces it.
    assert_eq!(
        pool.insert_attester_slashing(attester_slashing(&state, &[2, 3]), vec![2, 3]),
        InsertOutcome::New
    );
    assert_eq!(pool.num_attester_slashings(), 1);
    assert_eq!(
        pool.get_all_attester_slashings(),
        vec![attester_slashing(&state, &[2, 3])]
    );
}
