//! Unit tests of block processing on a small interop chain (minimal preset, 64 validators).

use super::*;
use crate::genesis::interop_genesis_state;
use crate::helpers::accessors::{get_beacon_committee, get_beacon_proposer_index, get_domain};
use crate::helpers::misc::compute_signing_root;
use crate::per_slot_processing::process_slots;
use bls::AggregateSignature;
use eth2_interop_keypairs::interop_secret_key;
use tree_hash::TreeHash;
use types::{
    Attestation, AttestationData, BeaconBlock, BeaconBlockBody, BitList, Checkpoint, Eth1Data,
    Fork, Hash256, IndexedAttestation, MinimalEthSpec, SignatureBytes, SignedVoluntaryExit,
    VariableList, VoluntaryExit,
};

type E = MinimalEthSpec;
type State = BeaconState<E>;

const MODES: [VerifySignatures; 3] = [
    VerifySignatures::Individually,
    VerifySignatures::Batch,
    VerifySignatures::None,
];

fn spec() -> ChainSpec {
    ChainSpec::minimal()
}

fn genesis(spec: &ChainSpec) -> State {
    interop_genesis_state::<E>(64, 0, spec).expect("interop genesis")
}

fn sign(validator: u64, root: Hash256) -> SignatureBytes {
    SignatureBytes::from_array(
        interop_secret_key(validator)
            .sign(root.as_slice())
            .serialize(),
    )
}

/// The state advanced to slot 1 and a valid signed block for it; `edit` changes the body first.
fn block_at_slot_1(
    spec: &ChainSpec,
    edit: impl FnOnce(&State, &mut BeaconBlockBody<E>),
) -> (State, SignedBeaconBlock<E>) {
    let mut state = genesis(spec);
    process_slots(&mut state, 1, spec).expect("process_slots");
    let proposer_index = get_beacon_proposer_index(&state, spec).expect("proposer");
    let epoch = state.current_epoch();
    let randao_root = compute_signing_root(&epoch, get_domain(&state, spec.domain_randao, None));
    let mut body = BeaconBlockBody::<E> {
        randao_reveal: sign(proposer_index, randao_root),
        eth1_data: state.eth1_data,
        ..Default::default()
    };
    edit(&state, &mut body);
    let block = BeaconBlock {
        slot: 1,
        proposer_index,
        parent_root: state.latest_block_header.tree_hash_root(),
        state_root: Hash256::ZERO,
        body,
    };
    let block_root = compute_signing_root(
        &block,
        get_domain(&state, spec.domain_beacon_proposer, None),
    );
    let signature = sign(proposer_index, block_root);
    (
        state,
        SignedBeaconBlock {
            message: block,
            signature,
        },
    )
}

#[test]
fn valid_block_passes_in_every_mode() {
    let spec = spec();
    let (state, block) = block_at_slot_1(&spec, |_, _| {});
    let mut roots = Vec::new();
    for mode in MODES {
        let mut state = state.clone();
        process_signed_block(&mut state, &block, mode, &spec)
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(
            state.latest_block_header.body_root,
            block.message.body.tree_hash_root()
        );
        assert_eq!(state.eth1_data_votes.len(), 1);
        roots.push(state.tree_hash_root());
    }
    assert!(roots.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn bad_block_signature() {
    let spec = spec();
    let (state, mut block) = block_at_slot_1(&spec, |_, _| {});
    let root = compute_signing_root(
        &block.message,
        get_domain(&state, spec.domain_beacon_proposer, None),
    );
    block.signature = sign(block.message.proposer_index + 1, root);
    let run = |mode| process_signed_block(&mut state.clone(), &block, mode, &spec);
    assert_eq!(
        run(VerifySignatures::Individually),
        Err(BlockProcessingError::BlockSignatureInvalid)
    );
    assert_eq!(
        run(VerifySignatures::Batch),
        Err(BlockProcessingError::BatchSignatureInvalid)
    );
    assert_eq!(run(VerifySignatures::None), Ok(()));
    // process_block alone does not look at the block signature.
    assert_eq!(
        process_block(
            &mut state.clone(),
            &block.message,
            VerifySignatures::Individually,
            &spec
        ),
        Ok(())
    );
    assert_eq!(
        verify_block_signature(&state, &block, &spec),
        Err(BlockProcessingError::BlockSignatureInvalid)
    );
}

#[test]
fn undecompressable_randao_reveal_is_invalid_in_both_verifying_modes() {
    let spec = spec();
    let (state, block) = block_at_slot_1(&spec, |_, body| {
        body.randao_reveal = SignatureBytes::empty()
    });
    for mode in [VerifySignatures::Individually, VerifySignatures::Batch] {
        assert_eq!(
            process_block(&mut state.clone(), &block.message, mode, &spec),
            Err(BlockProcessingError::RandaoSignatureInvalid),
            "{mode:?}"
        );
    }
    assert_eq!(
        process_block(
            &mut state.clone(),
            &block.message,
            VerifySignatures::None,
            &spec
        ),
        Ok(())
    );
}

#[test]
fn header_asserts() {
    let spec = spec();
    let (state, block) = block_at_slot_1(&spec, |_, _| {});

    let mut wrong_slot = block.message.clone();
    wrong_slot.slot = 2;
    assert_eq!(
        process_block_header(&mut state.clone(), &wrong_slot, &spec),
        Err(BlockProcessingError::HeaderSlotMismatch { block: 2, state: 1 })
    );

    let mut wrong_proposer = block.message.clone();
    wrong_proposer.proposer_index = (block.message.proposer_index + 1) % 64;
    assert!(matches!(
        process_block_header(&mut state.clone(), &wrong_proposer, &spec),
        Err(BlockProcessingError::ProposerIndexMismatch { .. })
    ));

    let mut wrong_parent = block.message.clone();
    wrong_parent.parent_root = Hash256::repeat_byte(1);
    assert!(matches!(
        process_block_header(&mut state.clone(), &wrong_parent, &spec),
        Err(BlockProcessingError::ParentRootMismatch { .. })
    ));

    let mut slashed = state.clone();
    slashed.validators[block.message.proposer_index as usize].slashed = true;
    assert_eq!(
        process_block_header(&mut slashed, &block.message, &spec),
        Err(BlockProcessingError::ProposerSlashed {
            index: block.message.proposer_index
        })
    );

    let mut twice = state.clone();
    process_block_header(&mut twice, &block.message, &spec).expect("first header");
    assert!(matches!(
        process_block_header(&mut twice, &block.message, &spec),
        Err(BlockProcessingError::HeaderNotNewerThanParent {
            block: 1,
            parent: 1
        })
    ));
}

#[test]
fn eth1_vote_adopted_on_strict_majority() {
    let mut state = State::empty(0, Fork::default(), Eth1Data::default());
    let vote = Eth1Data {
        deposit_root: Hash256::repeat_byte(7),
        deposit_count: 9,
        block_hash: Hash256::repeat_byte(8),
    };
    let body = BeaconBlockBody::<E> {
        eth1_data: vote,
        ..Default::default()
    };
    // Minimal: EPOCHS_PER_ETH1_VOTING_PERIOD * SLOTS_PER_EPOCH = 4 * 8 = 32 slots.
    for _ in 0..16 {
        process_eth1_data(&mut state, &body).expect("vote");
        assert_eq!(state.eth1_data, Eth1Data::default());
    }
    process_eth1_data(&mut state, &body).expect("vote");
    assert_eq!(state.eth1_data, vote);
    for _ in 17..32 {
        process_eth1_data(&mut state, &body).expect("vote");
    }
    assert_eq!(
        process_eth1_data(&mut state, &body),
        Err(BlockProcessingError::Eth1DataVotesFull)
    );
}

#[test]
fn outstanding_deposits_must_be_included() {
    let spec = spec();
    let (mut state, _) = block_at_slot_1(&spec, |_, _| {});
    let body = BeaconBlockBody::<E>::default();
    state.eth1_data.deposit_count = state.eth1_deposit_index + 3;
    assert_eq!(
        process_operations(&mut state.clone(), &body, VerifySignatures::None, &spec),
        Err(BlockProcessingError::DepositCountMismatch {
            expected: 3,
            found: 0
        })
    );
    state.eth1_data.deposit_count = state.eth1_deposit_index + 100;
    assert_eq!(
        process_operations(&mut state.clone(), &body, VerifySignatures::None, &spec),
        Err(BlockProcessingError::DepositCountMismatch {
            expected: 16,
            found: 0
        })
    );
    // More deposits processed than the eth1 data counts: the subtraction underflows.
    state.eth1_data.deposit_count = state.eth1_deposit_index - 1;
    assert!(matches!(
        process_operations(&mut state, &body, VerifySignatures::None, &spec),
        Err(BlockProcessingError::Arith(_))
    ));
}

fn indexed(indices: Vec<u64>) -> IndexedAttestation<E> {
    IndexedAttestation {
        attesting_indices: VariableList::new(indices).expect("short list"),
        data: AttestationData::default(),
        signature: SignatureBytes::empty(),
    }
}

#[test]
fn indexed_attestation_shape_checks_apply_without_signatures() {
    let spec = spec();
    let state = genesis(&spec);
    let check = |indices: Vec<u64>| {
        is_valid_indexed_attestation(&state, &indexed(indices), VerifySignatures::None, &spec)
    };
    let invalid = BlockProcessingError::IndexedAttestationInvalid;
    assert_eq!(
        check(vec![]),
        Err(invalid(IndexedAttestationInvalid::EmptyIndices))
    );
    assert_eq!(
        check(vec![1, 3, 2]),
        Err(invalid(IndexedAttestationInvalid::IndicesNotSorted {
            position: 2
        }))
    );
    assert_eq!(
        check(vec![1, 1]),
        Err(invalid(IndexedAttestationInvalid::IndicesNotSorted {
            position: 1
        }))
    );
    assert_eq!(
        check(vec![1, 64]),
        Err(invalid(IndexedAttestationInvalid::UnknownValidator {
            index: 64
        }))
    );
    assert_eq!(check(vec![0, 5, 63]), Ok(()));
    // The empty signature does not decompress: invalid whenever signatures are checked.
    assert_eq!(
        is_valid_indexed_attestation(&state, &indexed(vec![0]), VerifySignatures::Batch, &spec),
        Err(invalid(IndexedAttestationInvalid::SignatureInvalid))
    );
}

/// A fully signed attestation of committee 0 at slot 0, for a state at slot 1.
fn attestation(state: &State, spec: &ChainSpec) -> Attestation<E> {
    let committee = get_beacon_committee(state, 0, 0, spec).expect("committee");
    let data = AttestationData {
        slot: 0,
        index: 0,
        beacon_block_root: state.get_block_root_at_slot(0).expect("root"),
        source: state.current_justified_checkpoint,
        target: Checkpoint {
            epoch: 0,
            root: state.get_block_root_at_slot(0).expect("root"),
        },
    };
    let root = compute_signing_root(
        &data,
        get_domain(state, spec.domain_beacon_attester, Some(0)),
    );
    let signatures: Vec<_> = committee
        .iter()
        .map(|&i| interop_secret_key(i).sign(root.as_slice()))
        .collect();
    let aggregate =
        AggregateSignature::aggregate(&signatures.iter().collect::<Vec<_>>()).expect("aggregate");
    let mut bits = BitList::with_capacity(committee.len()).expect("bits");
    for i in 0..committee.len() {
        bits.set(i, true).expect("bit");
    }
    Attestation {
        aggregation_bits: bits,
        data,
        signature: SignatureBytes::from_array(aggregate.serialize()),
    }
}

#[test]
fn attestation_in_block() {
    let spec = spec();
    let (state, block) = block_at_slot_1(&spec, |state, body| {
        body.attestations
            .push(attestation(state, &spec))
            .expect("room");
    });
    for mode in MODES {
        let mut state = state.clone();
        process_signed_block(&mut state, &block, mode, &spec)
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(state.current_epoch_attestations.len(), 1);
        let pending = &state.current_epoch_attestations[0];
        assert_eq!(pending.inclusion_delay, 1);
        assert_eq!(pending.proposer_index, block.message.proposer_index);
    }
}

#[test]
fn attestation_asserts() {
    let spec = spec();
    let (state, _) = block_at_slot_1(&spec, |_, _| {});
    let good = attestation(&state, &spec);
    let run =
        |att: &Attestation<E>, mode| process_attestation(&mut state.clone(), att, mode, &spec);
    assert_eq!(run(&good, VerifySignatures::Individually), Ok(()));
    let invalid = |reason| BlockProcessingError::AttestationInvalid { index: 0, reason };

    let mut bad = good.clone();
    bad.data.source.epoch = 1;
    assert!(
        matches!(run(&bad, VerifySignatures::None), Err(e) if e == invalid(AttestationInvalid::WrongSource {
            found: bad.data.source,
            expected: state.current_justified_checkpoint,
        }))
    );

    let mut bad = good.clone();
    bad.data.target.epoch = 2;
    assert!(matches!(
        run(&bad, VerifySignatures::None),
        Err(BlockProcessingError::AttestationInvalid {
            reason: AttestationInvalid::TargetEpochNotPreviousOrCurrent { .. },
            ..
        })
    ));

    let mut bad = good.clone();
    bad.data.slot = 1;
    assert_eq!(
        run(&bad, VerifySignatures::None),
        Err(invalid(AttestationInvalid::IncludedTooEarly {
            state_slot: 1,
            attestation_slot: 1,
            min_delay: 1
        }))
    );

    let mut bad = good.clone();
    bad.data.index = 5;
    assert!(matches!(
        run(&bad, VerifySignatures::None),
        Err(BlockProcessingError::AttestationInvalid {
            reason: AttestationInvalid::CommitteeIndexOutOfRange { index: 5, .. },
            ..
        })
    ));

    let mut bad = good.clone();
    bad.aggregation_bits = BitList::with_capacity(good.aggregation_bits.len() + 1).expect("bits");
    assert!(matches!(
        run(&bad, VerifySignatures::None),
        Err(BlockProcessingError::AttestationInvalid {
            reason: AttestationInvalid::BitfieldLengthMismatch { .. },
            ..
        })
    ));

    let mut no_bits = good.clone();
    no_bits.aggregation_bits = BitList::with_capacity(good.aggregation_bits.len()).expect("bits");
    assert_eq!(
        run(&no_bits, VerifySignatures::None),
        Err(invalid(AttestationInvalid::EmptyIndices))
    );

    let mut bad_sig = good.clone();
    bad_sig.data.beacon_block_root = Hash256::repeat_byte(3);
    assert_eq!(
        run(&bad_sig, VerifySignatures::Individually),
        Err(invalid(AttestationInvalid::SignatureInvalid))
    );
    assert_eq!(
        run(&bad_sig, VerifySignatures::Batch),
        Err(BlockProcessingError::BatchSignatureInvalid)
    );
    assert_eq!(run(&bad_sig, VerifySignatures::None), Ok(()));
}

#[test]
fn voluntary_exit_too_young() {
    let spec = spec();
    let state = genesis(&spec);
    let exit = VoluntaryExit {
        epoch: 0,
        validator_index: 3,
    };
    let root = compute_signing_root(
        &exit,
        get_domain(&state, spec.domain_voluntary_exit, Some(0)),
    );
    let signed = SignedVoluntaryExit {
        message: exit,
        signature: sign(3, root),
    };
    assert_eq!(
        process_voluntary_exit(
            &mut state.clone(),
            &signed,
            VerifySignatures::Individually,
            &spec
        ),
        Err(BlockProcessingError::ExitInvalid {
            index: 0,
            reason: ExitInvalid::TooYoungToExit {
                index: 3,
                current_epoch: 0,
                earliest_exit_epoch: spec.shard_committee_period,
            }
        })
    );
    let unknown = SignedVoluntaryExit {
        message: VoluntaryExit {
            epoch: 0,
            validator_index: 1000,
        },
        signature: signed.signature,
    };
    assert_eq!(
        process_voluntary_exit(&mut state.clone(), &unknown, VerifySignatures::None, &spec),
        Err(BlockProcessingError::ExitInvalid {
            index: 0,
            reason: ExitInvalid::UnknownValidator { index: 1000 }
        })
    );
}

#[test]
fn deposit_effective_balance_is_rounded_and_capped() {
    let spec = spec();
    let mut deposit = types::Deposit::default();
    deposit.data.amount = spec.max_effective_balance + 3 * spec.effective_balance_increment;
    assert_eq!(
        get_validator_from_deposit(&deposit, &spec)
            .expect("validator")
            .effective_balance,
        spec.max_effective_balance
    );
    deposit.data.amount = 3 * spec.effective_balance_increment + 1;
    assert_eq!(
        get_validator_from_deposit(&deposit, &spec)
            .expect("validator")
            .effective_balance,
        3 * spec.effective_balance_increment
    );
}
