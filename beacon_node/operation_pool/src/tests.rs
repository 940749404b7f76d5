//! Pool tests on a real minimal-preset state with interop keys.

use super::*;
use bls::SecretKey;
use eth2_interop_keypairs::interop_secret_key;
use state_processing::genesis::interop_genesis_state;
use state_processing::helpers::accessors::{get_beacon_committee, get_domain};
use state_processing::per_block_processing::{
    is_valid_indexed_attestation, process_attester_slashing, process_proposer_slashing,
    process_voluntary_exit, VerifySignatures,
};
use state_processing::process_slots;
use types::signing::compute_signing_root;
use types::{
    AttestationData, BeaconBlockHeader, BitList, Checkpoint, IndexedAttestation, MinimalEthSpec,
    SignatureBytes, SignedBeaconBlockHeader, VariableList, VoluntaryExit,
};

type E = MinimalEthSpec;

fn spec() -> ChainSpec {
    ChainSpec::minimal()
}

fn key(i: u64) -> SecretKey {
    interop_secret_key(i)
}

/// A genesis state of 64 validators advanced to `slot`.
fn state_at(slot: Slot) -> BeaconState<E> {
    let mut state = interop_genesis_state::<E>(64, 0, &spec()).unwrap();
    if slot > 0 {
        process_slots(&mut state, slot, &spec()).unwrap();
    }
    state
}

fn data(state: &BeaconState<E>, slot: Slot, index: u64) -> AttestationData {
    let epoch = slot / E::slots_per_epoch();
    AttestationData {
        slot,
        index,
        beacon_block_root: Hash256::repeat_byte(1),
        source: state.current_justified_checkpoint,
        target: Checkpoint {
            epoch,
            root: Hash256::repeat_byte(2),
        },
    }
}

/// An attestation by the committee members at `positions`, with their indices.
fn attestation(
    state: &BeaconState<E>,
    data: AttestationData,
    positions: &[usize],
) -> (Attestation<E>, Vec<u64>) {
    let committee = get_beacon_committee(state, data.slot, data.index, &spec()).unwrap();
    let domain = get_domain(
        state,
        spec().domain_beacon_attester,
        Some(data.target.epoch),
    );
    let root = compute_signing_root(&data, domain);
    let mut bits = BitList::with_capacity(committee.len()).unwrap();
    let mut sigs = Vec::new();
    let mut indices = Vec::new();
    for &p in positions {
        bits.set(p, true).unwrap();
        sigs.push(key(committee[p]).sign(root.as_slice()));
        indices.push(committee[p]);
    }
    let refs: Vec<_> = sigs.iter().collect();
    let agg = bls::AggregateSignature::aggregate(&refs).unwrap();
    (
        Attestation {
            aggregation_bits: bits,
            data,
            signature: SignatureBytes::from(&agg.to_signature()),
        },
        indices,
    )
}

fn verify(state: &BeaconState<E>, a: &Attestation<E>) -> bool {
    let indexed =
        state_processing::helpers::accessors::get_indexed_attestation(state, a, &spec()).unwrap();
    is_valid_indexed_attestation(state, &indexed, VerifySignatures::Individually, &spec()).is_ok()
}

#[test]
fn disjoint_attestations_merge_into_a_valid_aggregate_and_subsets_are_dropped() {
    let state = state_at(3);
    let pool = OperationPool::<E>::new();
    let d = data(&state, 2, 0);
    let (a, ai) = attestation(&state, d, &[0]);
    let (b, bi) = attestation(&state, d, &[1, 2]);
    pool.insert_attestation(a.clone(), ai);
    pool.insert_attestation(b, bi);
    assert_eq!(pool.num_attestations(), 1, "merged");
    let merged = pool.get_aggregate(&d.tree_hash_root()).unwrap();
    assert_eq!(merged.aggregation_bits.num_set_bits(), 3);
    assert!(verify(&state, &merged), "merged signature verifies");
    // A subset of what is held adds nothing.
    pool.insert_attestation(a, vec![]);
    assert_eq!(pool.num_attestations(), 1);
    // An overlapping one is kept apart.
    let (c, ci) = attestation(&state, d, &[2, 3]);
    pool.insert_attestation(c, ci);
    assert_eq!(pool.num_attestations(), 2);
}

#[test]
fn packing_respects_the_inclusion_window() {
    let pool = OperationPool::<E>::new();
    let state = state_at(3);
    let (a, ai) = attestation(&state, data(&state, 3, 0), &[0]);
    pool.insert_attestation(a, ai);
    // Same slot: MIN_ATTESTATION_INCLUSION_DELAY not yet passed.
    assert!(pool.get_attestations(&state, &spec()).is_empty());
    assert_eq!(pool.get_attestations(&state_at(4), &spec()).len(), 1);
    // data.slot + SLOTS_PER_EPOCH is the last slot it fits.
    assert_eq!(pool.get_attestations(&state_at(11), &spec()).len(), 1);
    assert!(pool.get_attestations(&state_at(12), &spec()).is_empty());
}

#[test]
fn max_cover_prefers_unrewarded_validators() {
    let state = state_at(3);
    let pool = OperationPool::<E>::new();
    let d = data(&state, 2, 0);
    let committee = get_beacon_committee(&state, 2, 0, &spec()).unwrap();
    assert!(committee.len() >= 4);
    // Two overlapping aggregates: {0,1,2} and {2,3}.
    let (big, bi) = attestation(&state, d, &[0, 1, 2]);
    let (small, si) = attestation(&state, d, &[2, 3]);
    pool.insert_attestation(big.clone(), bi);
    pool.insert_attestation(small.clone(), si);
    let packed = pool.get_attestations(&state, &spec());
    assert_eq!(packed.len(), 2);
    assert_eq!(packed[0], big, "the bigger cover first");

    // Once {0,1,2} are rewarded in the state, only {2,3} still adds something.
    let mut rewarded = state.clone();
    rewarded
        .current_epoch_attestations
        .push(types::PendingAttestation {
            aggregation_bits: big.aggregation_bits.clone(),
            data: d,
            inclusion_delay: 1,
            proposer_index: 0,
        })
        .unwrap();
    let packed = pool.get_attestations(&rewarded, &spec());
    assert_eq!(packed, vec![small]);
}

#[test]
fn packing_is_capped_at_max_attestations() {
    let state = state_at(9);
    let pool = OperationPool::<E>::new();
    let mut spec = spec();
    spec.max_attestations = 2;
    for slot in 5..9 {
        for index in 0..2 {
            let d = data(&state, slot, index);
            if get_beacon_committee(&state, slot, index, &spec).is_err() {
                continue;
            }
            let (a, ai) = attestation(&state, d, &[0]);
            pool.insert_attestation(a, ai);
        }
    }
    assert!(pool.num_attestations() > 2);
    assert_eq!(pool.get_attestations(&state, &spec).len(), 2);
}

fn signed_header(
    state: &BeaconState<E>,
    proposer: u64,
    slot: Slot,
    graffiti: u8,
) -> SignedBeaconBlockHeader {
    let message = BeaconBlockHeader {
        slot,
        proposer_index: proposer,
        parent_root: Hash256::repeat_byte(graffiti),
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

fn proposer_slashing(state: &BeaconState<E>, proposer: u64) -> ProposerSlashing {
    ProposerSlashing {
        signed_header_1: signed_header(state, proposer, 1, 1),
        signed_header_2: signed_header(state, proposer, 1, 2),
    }
}

fn indexed(state: &BeaconState<E>, indices: &[u64], d: AttestationData) -> IndexedAttestation<E> {
    let domain = get_domain(state, spec().domain_beacon_attester, Some(d.target.epoch));
    let root = compute_signing_root(&d, domain);
    let sigs: Vec<_> = indices
        .iter()
        .map(|&i| key(i).sign(root.as_slice()))
        .collect();
    let refs: Vec<_> = sigs.iter().collect();
    IndexedAttestation {
        attesting_indices: VariableList::new(indices.to_vec()).unwrap(),
        data: d,
        signature: SignatureBytes::from(
            &bls::AggregateSignature::aggregate(&refs)
                .unwrap()
                .to_signature(),
        ),
    }
}

fn attester_slashing(state: &BeaconState<E>, indices: &[u64]) -> AttesterSlashing<E> {
    let mut d1 = data(state, 1, 0);
    let mut d2 = d1;
    d1.beacon_block_root = Hash256::repeat_byte(7);
    d2.beacon_block_root = Hash256::repeat_byte(8);
    AttesterSlashing {
        attestation_1: indexed(state, indices, d1),
        attestation_2: indexed(state, indices, d2),
    }
}

fn exit(state: &BeaconState<E>, validator: u64) -> SignedVoluntaryExit {
    let message = VoluntaryExit {
        epoch: 0,
        validator_index: validator,
    };
    let domain = get_domain(state, spec().domain_voluntary_exit, Some(0));
    let root = compute_signing_root(&message, domain);
    SignedVoluntaryExit {
        message,
        signature: SignatureBytes::from(&key(validator).sign(root.as_slice())),
    }
}

#[test]
fn packed_slashings_and_exits_apply_cleanly_and_never_conflict() {
    let mut spec = spec();
    // Exits need SHARD_COMMITTEE_PERIOD epochs of activity; shorten it for the test.
    spec.shard_committee_period = 0;
    let state = state_at(2 * E::slots_per_epoch());
    let pool = OperationPool::<E>::new();
    pool.insert_proposer_slashing(proposer_slashing(&state, 5));
    pool.insert_proposer_slashing(proposer_slashing(&state, 5)); // duplicate
    pool.insert_attester_slashing(attester_slashing(&state, &[5, 6]), vec![5, 6]);
    pool.insert_attester_slashing(attester_slashing(&state, &[9]), vec![9]);
    pool.insert_voluntary_exit(exit(&state, 6)); // slashed in the same block: not packed
    pool.insert_voluntary_exit(exit(&state, 7));
    let (ps, atts, exits) = pool.get_slashings_and_exits(&state, &spec);
    assert_eq!(ps.len(), 1);
    assert_eq!(atts.len(), 2);
    assert_eq!(exits.len(), 1);
    assert_eq!(exits[0].message.validator_index, 7);

    // Applied in block order with signatures checked, all succeed.
    let mut post = state.clone();
    for s in &ps {
        process_proposer_slashing(&mut post, s, VerifySignatures::Individually, &spec).unwrap();
    }
    for s in &atts {
        process_attester_slashing(&mut post, s, VerifySignatures::Individually, &spec).unwrap();
    }
    for e in &exits {
        process_voluntary_exit(&mut post, e, VerifySignatures::Individually, &spec).unwrap();
    }

    // After they land, pruning empties the pool.
    pool.prune(&post, &spec);
    assert!(pool.get_all_proposer_slashings().is_empty());
    assert!(pool.get_all_attester_slashings().is_empty());
    assert!(pool.get_all_voluntary_exits().is_empty());
}

#[test]
fn pruning_drops_attestations_older_than_the_previous_epoch() {
    let state = state_at(3);
    let pool = OperationPool::<E>::new();
    let (a, ai) = attestation(&state, data(&state, 2, 0), &[0]);
    pool.insert_attestation(a, ai);
    pool.prune(&state_at(2 * E::slots_per_epoch() - 1), &spec());
    assert_eq!(
        pool.num_attestations(),
        1,
        "epoch 0 is still the previous epoch"
    );
    pool.prune(&state_at(2 * E::slots_per_epoch()), &spec());
    assert_eq!(pool.num_attestations(), 0);
}
