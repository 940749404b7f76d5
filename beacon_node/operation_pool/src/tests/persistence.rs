//! The pool written for the database and read back.

use super::slashings_and_exits::{attester_slashing, exit, proposer_slashing};
use super::*;
use ssz::{Decode, Encode};

#[test]
fn a_persisted_pool_restores_to_the_same_pool() {
    let state = state_at(3);
    let pool = OperationPool::<E>::new();
    let d0 = data(&state, 2, 0);
    let d1 = data(&state, 2, 1);
    // Two overlapping aggregates of one data (held apart), one of another.
    for (d, positions) in [(d0, &[0, 1][..]), (d0, &[1, 2]), (d1, &[0])] {
        let (a, indices) = attestation(&state, d, positions);
        assert_ne!(
            pool.insert_attestation(a, indices),
            InsertOutcome::Redundant
        );
    }
    pool.insert_proposer_slashing(proposer_slashing(&state, 5));
    pool.insert_attester_slashing(attester_slashing(&state, &[1, 2]), vec![1, 2]);
    pool.insert_voluntary_exit(exit(&state, 7));

    let persisted = pool.to_persisted();
    assert_eq!(persisted.attestations.len(), 3);
    assert_eq!(
        (
            persisted.proposer_slashings.len(),
            persisted.attester_slashings.len(),
            persisted.voluntary_exits.len()
        ),
        (1, 1, 1)
    );
    let bytes = persisted.as_ssz_bytes();
    let decoded = PersistedOperationPool::<E>::from_ssz_bytes(&bytes).unwrap();
    assert_eq!(decoded, persisted);

    let restored = OperationPool::<E>::new();
    assert_eq!(
        restored.restore(decoded),
        RestoreCounts {
            kept: 6,
            refused: 0
        }
    );
    assert_eq!(restored.to_persisted(), persisted);
    // A block built on the restored pool packs what one built on the original would.
    let block_state = state_at(4);
    assert_eq!(
        restored.get_attestations(&block_state, &spec()),
        pool.get_attestations(&block_state, &spec())
    );
    assert!(restored
        .get_all_attestations(None, None)
        .iter()
        .all(|a| signature_verifies(&state, a)));
}

#[test]
fn restoring_applies_the_pool_rules_and_a_truncated_record_is_an_error() {
    let state = state_at(3);
    let (a, indices) = attestation(&state, data(&state, 2, 0), &[0, 1]);
    let persisted = PersistedOperationPool::<E> {
        attestations: vec![
            PersistedAttestation {
                attestation: a.clone(),
                indices: indices.clone(),
            },
            // Indices that do not match the bits: refused, as a live insert would be.
            PersistedAttestation {
                attestation: a,
                indices: vec![indices[0]],
            },
        ],
        proposer_slashings: vec![],
        attester_slashings: vec![],
        voluntary_exits: vec![exit(&state, 7), exit(&state, 7)],
    };
    let pool = OperationPool::<E>::new();
    let counts = pool.restore(persisted.clone());
    assert_eq!(counts.refused, 1);
    assert_eq!(
        (pool.num_attestations(), pool.num_voluntary_exits()),
        (1, 1)
    );

    let bytes = persisted.as_ssz_bytes();
    assert!(PersistedOperationPool::<E>::from_ssz_bytes(&bytes[..bytes.len() - 1]).is_err());
}
