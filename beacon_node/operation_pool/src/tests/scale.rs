//! Packing at mainnet scale: mainnet committees (128 members, up to 64 a slot) over a
//! registry grown by copying one interop validator (keys don't matter: the pool never checks
//! signatures, so every attestation carries the infinity signature).

use bls::Signature;
use state_processing::genesis::interop_genesis_state;
use state_processing::helpers::accessors::committee_cache;
use state_processing::per_block_processing::{process_attestation, VerifySignatures};
use std::time::Instant;
use types::beacon_state::StateCaches;
use types::{
    Attestation, AttestationData, BeaconState, BitList, ChainSpec, Checkpoint, EthSpec, Hash256,
    MainnetEthSpec, PendingAttestation, SignatureBytes,
};

use crate::{verify_attestation_for_block, OperationPool, PersistedOperationPool};
use ssz::{Decode, Encode};

type M = MainnetEthSpec;

/// A mainnet-preset state of `n` validators at the third slot of epoch 2.
fn big_state(n: usize, spec: &ChainSpec) -> BeaconState<M> {
    let mut state = interop_genesis_state::<M>(64, 0, spec).unwrap();
    let template = state.validators[0].clone();
    while state.validators.len() < n {
        state.validators.push(template.clone()).unwrap();
        state.balances.push(spec.max_effective_balance).unwrap();
    }
    state.slot = 2 * M::slots_per_epoch() + 2;
    state.caches = StateCaches::default();
    state
}

/// Fill a pool with three overlapping aggregates for every committee in the inclusion window,
/// put a quarter of the current epoch's committees in the state's pending attestations, pack,
/// and check the result; returns (candidates, packing time).
fn pack_at_scale(n: usize) -> (usize, std::time::Duration) {
    let spec = ChainSpec::mainnet();
    let mut state = big_state(n, &spec);
    let pool = OperationPool::<M>::new();
    let infinity = SignatureBytes::from(&Signature::infinity());
    let first = state.slot - M::slots_per_epoch();
    let mut pending = Vec::new();
    for slot in first..state.slot {
        let epoch = slot / M::slots_per_epoch();
        let committees = committee_cache(&state, epoch, &spec).unwrap();
        for index in 0..committees.committees_per_slot() {
            let committee = committees.get_beacon_committee(slot, index).unwrap();
            let data = AttestationData {
                slot,
                index,
                beacon_block_root: Hash256::repeat_byte(1),
                source: Checkpoint::default(),
                target: Checkpoint {
                    epoch,
                    root: Hash256::repeat_byte(2),
                },
            };
            let shapes: [fn(usize) -> bool; 3] =
                [|p| p % 3 != 0, |p| p % 2 == 0, |p| p < 64 || p % 5 == 0];
            for shape in shapes {
                let mut bits = BitList::with_capacity(committee.len()).unwrap();
                let mut indices = Vec::new();
                for (p, &v) in committee.iter().enumerate().filter(|(p, _)| shape(*p)) {
                    bits.set(p, true).unwrap();
                    indices.push(v);
                }
                let attestation = Attestation {
                    aggregation_bits: bits,
                    data,
                    signature: infinity,
                };
                pool.insert_attestation(attestation, indices);
            }
            if epoch == state.current_epoch() && index % 4 == 0 {
                let mut bits = BitList::with_capacity(committee.len()).unwrap();
                for p in (0..committee.len()).step_by(2) {
                    bits.set(p, true).unwrap();
                }
                pending.push(PendingAttestation {
                    aggregation_bits: bits,
                    data,
                    inclusion_delay: 1,
                    proposer_index: 0,
                });
            }
        }
    }
    for p in pending {
        state.current_epoch_attestations.push(p).unwrap();
    }

    let start = Instant::now();
    let packed = pool.get_attestations(&state, &spec);
    let elapsed = start.elapsed();
    assert_eq!(packed.len() as u64, spec.max_attestations);
    let mut post = state.clone();
    for a in &packed {
        verify_attestation_for_block(&state, a, &spec).unwrap();
        process_attestation(&mut post, a, VerifySignatures::None, &spec).unwrap();
    }

    // The pool as the database keeps it (written every epoch boundary), and back.
    let start = Instant::now();
    let bytes = pool.to_persisted().as_ssz_bytes();
    let encoded = start.elapsed();
    let start = Instant::now();
    let restored = OperationPool::<M>::new();
    restored.restore(PersistedOperationPool::from_ssz_bytes(&bytes).unwrap());
    let decoded = start.elapsed();
    assert_eq!(restored.num_attestations(), pool.num_attestations());
    eprintln!(
        "{n} validators: pool persisted as {} KiB in {encoded:?}, restored in {decoded:?}",
        bytes.len() / 1024
    );
    (pool.num_attestations(), elapsed)
}

#[test]
fn packing_16384_validators() {
    let (candidates, elapsed) = pack_at_scale(16_384);
    assert_eq!(candidates, 32 * 4 * 3);
    eprintln!("16,384 validators: {candidates} aggregates packed in {elapsed:?}");
}

#[test]
fn packing_262144_validators() {
    let (candidates, elapsed) = pack_at_scale(262_144);
    assert_eq!(candidates, 32 * 64 * 3);
    eprintln!("262,144 validators: {candidates} aggregates packed in {elapsed:?}");
}
