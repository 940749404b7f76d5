//! Pool tests on real minimal-preset states of interop validators, with real signatures.

mod attestations;
mod persistence;
mod scale;
mod slashings_and_exits;

use super::*;
use bls::{AggregateSignature, SecretKey, SignatureBytes};
use eth2_interop_keypairs::interop_secret_key;
use state_processing::genesis::interop_genesis_state;
use state_processing::helpers::accessors::{
    get_beacon_committee, get_domain, get_indexed_attestation,
};
use state_processing::per_block_processing::{is_valid_indexed_attestation, VerifySignatures};
use state_processing::process_slots;
use std::sync::OnceLock;
use types::signing::compute_signing_root;
use types::{AttestationData, BitList, Checkpoint, MinimalEthSpec};

type E = MinimalEthSpec;

const VALIDATORS: u64 = 64;

fn spec() -> ChainSpec {
    ChainSpec::minimal()
}

fn key(i: u64) -> SecretKey {
    interop_secret_key(i)
}

/// A genesis state of 64 interop validators advanced to `slot`.
fn state_at(slot: Slot) -> BeaconState<E> {
    static GENESIS: OnceLock<BeaconState<E>> = OnceLock::new();
    let mut state = GENESIS
        .get_or_init(|| interop_genesis_state::<E>(VALIDATORS, 0, &spec()).unwrap())
        .clone();
    if slot > 0 {
        process_slots(&mut state, slot, &spec()).unwrap();
    }
    state
}

/// Attestation data for committee `index` of `slot` with the source `state` expects.
fn data(state: &BeaconState<E>, slot: Slot, index: u64) -> AttestationData {
    let epoch = slot / E::slots_per_epoch();
    AttestationData {
        slot,
        index,
        beacon_block_root: Hash256::repeat_byte(1),
        source: if epoch == state.current_epoch() {
            state.current_justified_checkpoint
        } else {
            state.previous_justified_checkpoint
        },
        target: Checkpoint {
            epoch,
            root: Hash256::repeat_byte(2),
        },
    }
}

/// An attestation by the committee members at `positions`, signed, with their indices.
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
    let mut signatures = Vec::new();
    let mut indices = Vec::new();
    for &p in positions {
        bits.set(p, true).unwrap();
        signatures.push(key(committee[p]).sign(root.as_slice()));
        indices.push(committee[p]);
    }
    let refs: Vec<_> = signatures.iter().collect();
    let aggregate = AggregateSignature::aggregate(&refs).unwrap();
    (
        Attestation {
            aggregation_bits: bits,
            data,
            signature: SignatureBytes::from(&aggregate.to_signature()),
        },
        indices,
    )
}

/// Whether the aggregate signature of `a` verifies on `state`.
fn signature_verifies(state: &BeaconState<E>, a: &Attestation<E>) -> bool {
    let indexed = get_indexed_attestation(state, a, &spec()).unwrap();
    is_valid_indexed_attestation(state, &indexed, VerifySignatures::Individually, &spec()).is_ok()
}

#[test]
fn the_pool_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<OperationPool<E>>();
}
