//! Bad input: SSZ decoding of `SignedBeaconBlock` and `BeaconState` never panics, whatever the
//! bytes: random bytes, and valid encodings with lying lengths, offsets and bitlist padding.
//! Whatever decodes must re-encode to the same bytes (SSZ decoding is strict and canonical).

use proptest::prelude::*;
use ssz::{Decode, Encode};
use types::*;

type E = MinimalEthSpec;

/// A block with every variable-size part populated, so offsets and bitlists are exercised.
fn sample_block() -> SignedBeaconBlock<E> {
    let mut bits = BitList::with_capacity(13).expect("capacity");
    bits.set(3, true).expect("in range");
    let attestation = Attestation::<E> {
        aggregation_bits: bits,
        data: AttestationData {
            slot: 5,
            index: 1,
            ..Default::default()
        },
        signature: SignatureBytes::empty(),
    };
    let indexed = IndexedAttestation::<E> {
        attesting_indices: VariableList::new(vec![1, 4, 9]).expect("fits"),
        data: AttestationData::default(),
        signature: SignatureBytes::empty(),
    };
    let body = BeaconBlockBody::<E> {
        proposer_slashings: VariableList::new(vec![ProposerSlashing::default()]).expect("fits"),
        attester_slashings: VariableList::new(vec![AttesterSlashing {
            attestation_1: indexed.clone(),
            attestation_2: indexed,
        }])
        .expect("fits"),
        attestations: VariableList::new(vec![attestation.clone(), attestation]).expect("fits"),
        deposits: VariableList::new(vec![Deposit::default()]).expect("fits"),
        voluntary_exits: VariableList::new(vec![SignedVoluntaryExit::default()]).expect("fits"),
        ..Default::default()
    };
    SignedBeaconBlock {
        message: BeaconBlock {
            slot: 9,
            proposer_index: 3,
            body,
            ..Default::default()
        },
        signature: SignatureBytes::empty(),
    }
}

fn sample_state() -> BeaconState<E> {
    let mut state = BeaconState::<E>::empty(42, Fork::default(), Eth1Data::default());
    for i in 0..5u64 {
        state
            .validators
            .push(Validator {
                effective_balance: i,
                ..Default::default()
            })
            .expect("fits");
        state.balances.push(i * 7).expect("fits");
    }
    let mut bits = BitList::with_capacity(7).expect("capacity");
    bits.set(6, true).expect("in range");
    let pending = PendingAttestation::<E> {
        aggregation_bits: bits,
        data: AttestationData::default(),
        inclusion_delay: 1,
        proposer_index: 2,
    };
    state
        .previous_epoch_attestations
        .push(pending.clone())
        .expect("fits");
    state
        .current_epoch_attestations
        .push(pending)
        .expect("fits");
    state
        .eth1_data_votes
        .push(Eth1Data::default())
        .expect("fits");
    state
        .historical_roots
        .push(Hash256::repeat_byte(7))
        .expect("fits");
    state
}

/// Decoding must not panic; a successful decode must round-trip exactly.
fn check_decode<T: Decode + Encode>(bytes: &[u8]) {
    if let Ok(value) = T::from_ssz_bytes(bytes) {
        assert_eq!(
            value.as_ssz_bytes(),
            bytes,
            "decoded value re-encodes differently"
        );
    }
}

/// Ways to damage a valid encoding: overwrite bytes (hits offsets, lengths and bitlist
/// padding), truncate, extend, or write a 4-byte little-endian offset-like value somewhere.
#[derive(Debug, Clone)]
enum Mutation {
    SetByte(usize, u8),
    Truncate(usize),
    Append(Vec<u8>),
    WriteU32(usize, u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        proptest::collection::vec(any::<u8>(), 1..16).prop_map(Mutation::Append),
        (
            any::<usize>(),
            prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>(), 0u32..4096]
        )
            .prop_map(|(i, v)| Mutation::WriteU32(i, v)),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
        if bytes.is_empty() {
            return;
        }
        match m {
            Mutation::SetByte(i, b) => {
                let n = bytes.len();
                bytes[i % n] = *b;
            }
            Mutation::Truncate(n) => {
                let n = n % bytes.len();
                bytes.truncate(n);
            }
            Mutation::Append(extra) => bytes.extend_from_slice(extra),
            Mutation::WriteU32(i, v) => {
                if bytes.len() >= 4 {
                    let at = i % (bytes.len() - 3);
                    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_decode::<SignedBeaconBlock<E>>(&bytes);
        check_decode::<BeaconState<E>>(&bytes);
        check_decode::<Attestation<E>>(&bytes);
    }

    #[test]
    fn damaged_blocks_never_panic(mutations in proptest::collection::vec(mutation(), 1..4)) {
        let mut bytes = sample_block().as_ssz_bytes();
        apply(&mut bytes, &mutations);
        check_decode::<SignedBeaconBlock<E>>(&bytes);
    }

    #[test]
    fn damaged_states_never_panic(mutations in proptest::collection::vec(mutation(), 1..4)) {
        let mut bytes = sample_state().as_ssz_bytes();
        apply(&mut bytes, &mutations);
        check_decode::<BeaconState<E>>(&bytes);
    }
}

#[test]
fn samples_round_trip() {
    let block = sample_block();
    assert_eq!(
        SignedBeaconBlock::<E>::from_ssz_bytes(&block.as_ssz_bytes()).expect("decodes"),
        block
    );
    let state = sample_state();
    assert_eq!(
        BeaconState::<E>::from_ssz_bytes(&state.as_ssz_bytes()).expect("decodes"),
        state
    );
}

#[test]
fn bitlist_without_its_length_bit_is_rejected() {
    // An attestation whose aggregation bitlist's last byte is zero has no delimiting bit.
    let block = sample_block();
    let attestation = &block.message.body.attestations[0];
    let mut bytes = attestation.as_ssz_bytes();
    let last = bytes.len() - 1;
    bytes[last] = 0;
    assert!(Attestation::<E>::from_ssz_bytes(&bytes).is_err());
}
