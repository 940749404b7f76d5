//! Whole-chain behaviour through the harness (issue 3, point 5): finality with full
//! participation, none at half, competing branches, restart from disk, and bad blocks that
//! must leave the database untouched.

mod common;

use beacon_chain::harness::{AttestationMode, BeaconChainHarness};
use beacon_chain::BlockError;
use common::*;
use std::sync::Arc;
use types::{ChainSpec, Hash256, SignatureBytes};

#[test]
fn full_participation_justifies_and_finalizes_every_epoch() {
    let h = harness();
    let spe = slots_per_epoch();
    for epoch in 1..=6u64 {
        run_slots(&h, (epoch - 1) * spe + 1, epoch * spe, &everyone);
        // The head is now at the first slot of `epoch`: the transition into it has run.
        let state = h.chain.head().state;
        assert_eq!(state.current_epoch(), epoch);
        if epoch >= 4 {
            assert_eq!(
                state.current_justified_checkpoint.epoch,
                epoch - 1,
                "justified on entering epoch {epoch}"
            );
            assert_eq!(
                state.finalized_checkpoint.epoch,
                epoch - 2,
                "finalized on entering epoch {epoch}"
            );
            // Fork choice agrees with the head state.
            assert_eq!(h.chain.finalized_checkpoint(), state.finalized_checkpoint);
            // And the database migrated: the split is the finalized block.
            assert_eq!(
                h.chain.store.split().block_root,
                state.finalized_checkpoint.root,
                "the database split follows finality on entering epoch {epoch}"
            );
        }
    }
}

#[test]
fn finality_is_announced_once_per_new_finalized_checkpoint() {
    let h = harness();
    let mut events = h.chain.events.subscribe();
    let spe = slots_per_epoch();
    let mut finalized = Vec::new();
    // Drained slot by slot: the channel keeps the latest 256 events.
    for slot in 1..=5 * spe {
        run_slots(&h, slot, slot, &everyone);
        while let Ok(event) = events.try_recv() {
            if let beacon_chain::ChainEvent::FinalizedCheckpoint { epoch, .. } = event {
                finalized.push(epoch);
            }
        }
    }
    assert_eq!(finalized, vec![2, 3], "one event per newly finalized epoch");
}

#[test]
fn half_participation_never_finalizes_and_finality_returns_with_participation() {
    let h = harness();
    let spe = slots_per_epoch();
    let half = |v: u64| v.is_multiple_of(2);
    run_slots(&h, 1, 6 * spe, &half);
    let state = h.chain.head().state;
    assert_eq!(state.finalized_checkpoint.epoch, 0);
    assert_eq!(state.current_justified_checkpoint.epoch, 0);
    // Everyone back: finality resumes within a few epochs.
    run_slots(&h, 6 * spe + 1, 10 * spe, &everyone);
    let state = h.chain.head().state;
    assert_eq!(state.current_justified_checkpoint.epoch, 9);
    assert_eq!(state.finalized_checkpoint.epoch, 8);
}

#[test]
fn the_head_follows_attestation_weight_between_competing_branches() {
    let h = harness();
    let spe = slots_per_epoch();
    run_slots(&h, 1, spe, &everyone);
    let fork_point = h.chain.head_block_root();
    let s = spe + 1;

    // Two blocks on the same parent: A at slot s, B at slot s + 1.
    h.set_slot(s).unwrap();
    let a = h.make_block(fork_point, s).unwrap();
    let a_root = h.chain.process_block(Arc::new(a)).unwrap();
    h.set_slot(s + 1).unwrap();
    let b = h.make_block(fork_point, s + 1).unwrap();
    let b_root = h.chain.process_block(Arc::new(b)).unwrap();

    // A third of the validators vote A at slot s + 1 ... (votes count from the next slot)
    h.attest(
        s + 1,
        a_root,
        &|v| v.is_multiple_of(3),
        AttestationMode::Unaggregated,
    )
    .unwrap();
    h.set_slot(s + 2).unwrap();
    h.chain.recompute_head().unwrap();
    assert_eq!(h.chain.head_block_root(), a_root, "A has the votes");

    // ... then the other two thirds vote B: the head reorgs to B.
    h.attest(
        s + 2,
        b_root,
        &|v| !v.is_multiple_of(3),
        AttestationMode::Unaggregated,
    )
    .unwrap();
    h.set_slot(s + 3).unwrap();
    h.chain.recompute_head().unwrap();
    assert_eq!(h.chain.head_block_root(), b_root, "B outweighs A");
}

#[test]
fn a_restart_from_the_database_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let spe = slots_per_epoch();
    let (head_before, finalized_before, pool_before) = {
        let store = disk_store(dir.path());
        let h = BeaconChainHarness::new(VALIDATORS, ChainSpec::minimal(), store).unwrap();
        run_slots(&h, 1, 5 * spe + 3, &everyone);
        h.chain.persist_op_pool().unwrap();
        h.chain.persist_fork_choice().unwrap();
        (
            h.chain.head_block_root(),
            h.chain.finalized_checkpoint(),
            h.chain.op_pool.get_all_attestations(None, None),
        )
    };
    let store = disk_store(dir.path());
    let h =
        BeaconChainHarness::resume(VALIDATORS, ChainSpec::minimal(), store, 5 * spe + 3).unwrap();
    assert_eq!(h.chain.head_block_root(), head_before);
    assert_eq!(h.chain.finalized_checkpoint(), finalized_before);
    assert!(
        !pool_before.is_empty(),
        "the last slot's attestations wait for a block"
    );
    assert_eq!(
        h.chain.op_pool.get_all_attestations(None, None),
        pool_before,
        "the operation pool survives the restart"
    );
    run_slots(&h, 5 * spe + 4, 8 * spe, &everyone);
    let state = h.chain.head().state;
    assert_eq!(state.current_justified_checkpoint.epoch, 7);
    assert_eq!(state.finalized_checkpoint.epoch, 6);
}

#[test]
fn a_corrupt_stored_operation_pool_costs_only_its_operations() {
    let dir = tempfile::tempdir().unwrap();
    let spe = slots_per_epoch();
    let head_before = {
        let store = disk_store(dir.path());
        let h = BeaconChainHarness::new(VALIDATORS, ChainSpec::minimal(), store).unwrap();
        run_slots(&h, 1, spe + 2, &everyone);
        h.chain.persist_fork_choice().unwrap();
        h.chain
            .store
            .put_item_durable(store::DBColumn::ForkChoice, b"op_pool", vec![7; 5])
            .unwrap();
        h.chain.head_block_root()
    };
    let store = disk_store(dir.path());
    let h = BeaconChainHarness::resume(VALIDATORS, ChainSpec::minimal(), store, spe + 2).unwrap();
    assert_eq!(h.chain.head_block_root(), head_before);
    assert_eq!(h.chain.op_pool.num_attestations(), 0);
    run_slots(&h, spe + 3, 2 * spe, &everyone);
    assert_eq!(h.chain.head_slot(), 2 * spe);
}

/// A chain two epochs in, with the clock at the next slot, and a valid block for that slot.
fn with_next_block() -> (BeaconChainHarness<E>, types::SignedBeaconBlock<E>) {
    let h = harness();
    run_slots(&h, 1, 2 * slots_per_epoch(), &everyone);
    let slot = 2 * slots_per_epoch() + 1;
    h.set_slot(slot).unwrap();
    let block = h.make_block(h.chain.head_block_root(), slot).unwrap();
    (h, block)
}

/// Import `block`, expect an error, and check nothing the database holds changed.
fn assert_rejected_without_trace(
    h: &BeaconChainHarness<E>,
    block: types::SignedBeaconBlock<E>,
) -> BlockError {
    use tree_hash::TreeHash;
    let root = block.message.tree_hash_root();
    let head = h.chain.head_block_root();
    let tree = h.chain.fork_choice().persist_tree();
    let stored = h
        .chain
        .store
        .get_item(store::DBColumn::ForkChoice, b"fork_choice_tree")
        .unwrap();
    let err = h.chain.process_block(Arc::new(block)).unwrap_err();
    assert!(
        h.chain.store.get_block(&root).unwrap().is_none(),
        "block stored"
    );
    assert_eq!(h.chain.head_block_root(), head);
    assert_eq!(
        h.chain.fork_choice().persist_tree(),
        tree,
        "fork choice changed"
    );
    assert_eq!(
        h.chain
            .store
            .get_item(store::DBColumn::ForkChoice, b"fork_choice_tree")
            .unwrap(),
        stored,
        "persisted fork choice changed"
    );
    err
}

#[test]
fn a_block_with_a_bad_proposer_signature_is_rejected() {
    let (h, mut block) = with_next_block();
    block.signature = SignatureBytes::from(&h.keys[0].sign(b"not the block"));
    let err = assert_rejected_without_trace(&h, block);
    assert!(matches!(err, BlockError::ProposalSignatureInvalid), "{err}");
}

#[test]
fn a_block_with_a_bad_randao_signature_is_rejected() {
    let (h, block) = with_next_block();
    let mut message = block.message.clone();
    message.body.randao_reveal = SignatureBytes::from(&h.keys[1].sign(b"not the epoch"));
    let state = h.chain.head().state;
    let block = h.sign_block(message, &state);
    let err = assert_rejected_without_trace(&h, block);
    assert!(matches!(err, BlockError::PerBlockProcessing(_)), "{err}");
}

#[test]
fn a_block_with_a_wrong_state_root_is_rejected() {
    let (h, block) = with_next_block();
    let mut message = block.message.clone();
    message.state_root = Hash256::repeat_byte(7);
    let state = h.chain.head().state;
    let block = h.sign_block(message, &state);
    let err = assert_rejected_without_trace(&h, block);
    assert!(matches!(err, BlockError::StateRootMismatch { .. }), "{err}");
}

#[test]
fn a_block_with_an_unknown_parent_is_ignored_for_now() {
    let (h, block) = with_next_block();
    let mut message = block.message.clone();
    message.parent_root = Hash256::repeat_byte(9);
    let state = h.chain.head().state;
    let block = h.sign_block(message, &state);
    let err = assert_rejected_without_trace(&h, block);
    assert!(matches!(err, BlockError::ParentUnknown(_)), "{err}");
    assert_eq!(err.gossip_action(), beacon_chain::GossipAction::Ignore);
}

#[test]
fn a_block_from_a_future_slot_is_ignored_for_now() {
    let (h, block) = with_next_block();
    h.set_slot(block.message.slot - 1).unwrap();
    let err = assert_rejected_without_trace(&h, block);
    assert!(matches!(err, BlockError::FutureSlot { .. }), "{err}");
    assert_eq!(err.gossip_action(), beacon_chain::GossipAction::Ignore);
}

#[test]
fn a_block_with_an_unknown_parent_is_imported_once_the_parent_arrives() {
    let h = harness();
    run_slots(&h, 1, slots_per_epoch(), &everyone);
    let s = slots_per_epoch() + 1;
    h.set_slot(s + 1).unwrap();
    let parent = h.make_block(h.chain.head_block_root(), s).unwrap();
    let parent_root = {
        use tree_hash::TreeHash;
        parent.message.tree_hash_root()
    };
    // Build the child on the parent without importing it: a second harness chain shares
    // nothing, so produce the parent's post-state by importing into a scratch copy.
    let scratch = harness();
    run_slots(&scratch, 1, slots_per_epoch(), &everyone);
    scratch.set_slot(s + 1).unwrap();
    scratch
        .chain
        .process_block(Arc::new(parent.clone()))
        .unwrap();
    let child = scratch.make_block(parent_root, s + 1).unwrap();

    let err = h
        .chain
        .process_gossip_block(Arc::new(child.clone()))
        .unwrap_err();
    assert!(
        matches!(err, BlockError::ParentUnknown(r) if r == parent_root),
        "{err}"
    );
    assert_eq!(h.chain.missing_block_roots(), vec![parent_root]);
    h.chain.process_block(Arc::new(parent)).unwrap();
    let child_root = {
        use tree_hash::TreeHash;
        child.message.tree_hash_root()
    };
    assert_eq!(
        h.chain.head_block_root(),
        child_root,
        "the queued child followed its parent"
    );
    assert!(h.chain.missing_block_roots().is_empty());
}

#[test]
fn an_attestation_for_an_unknown_block_counts_once_the_block_arrives() {
    let h = harness();
    run_slots(&h, 1, slots_per_epoch(), &everyone);
    let s = slots_per_epoch() + 1;
    // A scratch chain imports the block and makes the attestations; the real chain gets
    // the attestations first.
    let scratch = harness();
    run_slots(&scratch, 1, slots_per_epoch(), &everyone);
    scratch.set_slot(s).unwrap();
    let block_root = scratch.propose(s).unwrap();
    let block = scratch.chain.get_block(&block_root).unwrap().unwrap();
    let attestations = scratch
        .make_attestations(s, block_root, &everyone, AttestationMode::Unaggregated)
        .unwrap();

    h.set_slot(s).unwrap();
    let mut voters = Vec::new();
    for produced in attestations {
        if let beacon_chain::harness::ProducedAttestation::Unaggregated(a, subnet) = produced {
            let err = h
                .chain
                .process_unaggregated_attestation(a.clone(), Some(subnet))
                .unwrap_err();
            assert!(matches!(
                err,
                beacon_chain::AttestationError::UnknownHeadBlock(_)
            ));
            voters.push(a);
        }
    }
    assert!(!voters.is_empty());
    h.chain.process_block(Arc::new(block)).unwrap();
    h.set_slot(s + 1).unwrap();
    let state = h.chain.head().state;
    let voter = state_processing::helpers::accessors::get_attesting_indices(
        &state,
        &voters[0].data,
        &voters[0].aggregation_bits,
        &h.spec,
    )
    .unwrap()[0];
    assert_eq!(
        h.chain.fork_choice().latest_message(voter as usize),
        Some((1, block_root)),
        "the queued vote was applied"
    );
}

#[test]
fn exits_and_slashings_are_verified_before_the_pool() {
    use state_processing::helpers::accessors::get_domain;
    use types::signing::compute_signing_root;
    use types::{
        BeaconBlockHeader, ProposerSlashing, SignedBeaconBlockHeader, SignedVoluntaryExit,
        VoluntaryExit,
    };
    let h = harness();
    run_slots(&h, 1, 2, &everyone);
    let state = h.chain.head().state;
    // An exit too early (SHARD_COMMITTEE_PERIOD has not passed): REJECT.
    let message = VoluntaryExit {
        epoch: 0,
        validator_index: 3,
    };
    let domain = get_domain(&state, h.spec.domain_voluntary_exit, Some(0));
    let exit = SignedVoluntaryExit {
        message,
        signature: SignatureBytes::from(
            &h.keys[3].sign(compute_signing_root(&message, domain).as_slice()),
        ),
    };
    let err = h.chain.process_voluntary_exit(exit).unwrap_err();
    assert_eq!(
        err.gossip_action(),
        beacon_chain::GossipAction::Reject,
        "{err}"
    );
    assert!(h.chain.op_pool.get_all_voluntary_exits().is_empty());

    // A valid proposer slashing joins the pool; a second for the same proposer is ignored.
    let header = |root: u8| {
        let message = BeaconBlockHeader {
            slot: 1,
            proposer_index: 7,
            parent_root: Hash256::repeat_byte(root),
            state_root: Hash256::ZERO,
            body_root: Hash256::ZERO,
        };
        let domain = get_domain(&state, h.spec.domain_beacon_proposer, Some(0));
        SignedBeaconBlockHeader {
            message,
            signature: SignatureBytes::from(
                &h.keys[7].sign(compute_signing_root(&message, domain).as_slice()),
            ),
        }
    };
    let slashing = ProposerSlashing {
        signed_header_1: header(1),
        signed_header_2: header(2),
    };
    h.chain.process_proposer_slashing(slashing.clone()).unwrap();
    assert_eq!(h.chain.op_pool.get_all_proposer_slashings().len(), 1);
    let err = h.chain.process_proposer_slashing(slashing).unwrap_err();
    assert_eq!(err.gossip_action(), beacon_chain::GossipAction::Ignore);
    // The next block carries it and the proposer is slashed.
    h.set_slot(3).unwrap();
    h.propose(3).unwrap();
    assert!(h.chain.head().state.validators[7].slashed);
}

#[test]
fn a_chain_started_from_a_finalized_checkpoint_syncs_and_finalizes() {
    let h = harness();
    let spe = slots_per_epoch();
    run_slots(&h, 1, 5 * spe, &everyone);
    let finalized = h.chain.finalized_checkpoint();
    assert!(finalized.epoch >= 3);
    let anchor_block = h.chain.get_block(&finalized.root).unwrap().unwrap();
    let anchor_state = (*h.chain.get_block_state(&finalized.root).unwrap().state).clone();

    // The blocks after the anchor on the canonical chain, oldest first.
    let mut blocks = Vec::new();
    let mut root = h.chain.head_block_root();
    while root != finalized.root {
        let block = h.chain.get_block(&root).unwrap().unwrap();
        root = block.message.parent_root;
        blocks.push(block);
    }
    blocks.reverse();

    let now = 5 * spe;
    let h2 = BeaconChainHarness::from_anchor(
        anchor_block,
        anchor_state,
        VALIDATORS,
        ChainSpec::minimal(),
        ephemeral_store(),
        now,
    )
    .unwrap();
    assert_eq!(h2.chain.head_block_root(), finalized.root);
    for block in blocks {
        h2.chain.process_block(Arc::new(block)).unwrap();
    }
    assert_eq!(h2.chain.head_block_root(), h.chain.head_block_root());
    // And it carries on alone, finalizing further.
    run_slots(&h2, now + 1, 8 * spe, &everyone);
    let state = h2.chain.head().state;
    assert_eq!(state.finalized_checkpoint.epoch, 6);
    assert_eq!(h2.chain.finalized_checkpoint().epoch, 6);
}

#[test]
fn a_shuffling_across_empty_slots_is_that_of_the_advanced_state() {
    use state_processing::helpers::accessors::{
        committee_cache, get_beacon_proposer_index_at_slot,
    };
    let h = harness();
    let spe = slots_per_epoch();
    run_slots(&h, 1, 3 * spe - 3, &everyone);
    // The last blocks before epoch 3 and its first slots stay empty: the target of epoch 3
    // is the block at slot 3 * spe - 3, whose state is an epoch transition short.
    let head = h.chain.head();
    let target = types::Checkpoint {
        epoch: 3,
        root: head.block_root,
    };
    let shuffling = h.chain.checkpoint_shuffling(&target).unwrap();
    let mut advanced = (*head.state).clone();
    state_processing::process_slots(&mut advanced, 3 * spe, &h.chain.spec).unwrap();
    let expected = committee_cache(&advanced, 3, &h.chain.spec).unwrap();
    assert_eq!(shuffling.epoch, 3);
    assert_eq!(shuffling.committees.shuffling(), expected.shuffling());
    assert_eq!(
        shuffling.committees.committees_per_slot(),
        expected.committees_per_slot()
    );
    for slot in 3 * spe..4 * spe {
        assert_eq!(
            shuffling.proposer::<E>(slot),
            Some(get_beacon_proposer_index_at_slot(&advanced, slot, &h.chain.spec).unwrap()),
            "proposer at slot {slot}"
        );
    }
    assert_eq!(shuffling.proposer::<E>(4 * spe), None);
    assert_eq!(
        shuffling.current_justified_checkpoint,
        advanced.current_justified_checkpoint
    );
    // The same shuffling serves the branch's blocks of epoch 3 and attestation data.
    let again = h
        .chain
        .shuffling_at(head.block_root, &head.state, 3)
        .unwrap();
    assert!(
        Arc::ptr_eq(&shuffling, &again),
        "one cache entry per epoch and branch"
    );
    h.set_slot(3 * spe + 1).unwrap();
    let data = h.chain.produce_attestation_data(3 * spe + 1, 0).unwrap();
    assert_eq!(data.source, advanced.current_justified_checkpoint);
    assert_eq!(data.target, target);
}

#[test]
fn with_the_migrator_thread_finality_still_moves_the_database_split() {
    let h = harness();
    h.chain.spawn_migrator().unwrap();
    let spe = slots_per_epoch();
    run_slots(&h, 1, 5 * spe - 1, &everyone);
    // Subscribed for the last slot only, so the channel (256 events) cannot overflow.
    let mut events = h.chain.events.subscribe();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        while let Ok(event) = events.blocking_recv() {
            if sender.send(event).is_err() {
                return;
            }
        }
    });
    run_slots(&h, 5 * spe, 5 * spe, &everyone);
    // Entering epoch 5 finalized epoch 3; the migration runs on the thread, then announces.
    let finalized = h.chain.head().state.finalized_checkpoint;
    assert_eq!(finalized.epoch, 3);
    loop {
        match receiver.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(beacon_chain::ChainEvent::FinalizedCheckpoint {
                epoch: 3, block, ..
            }) => {
                assert_eq!(block, finalized.root);
                break;
            }
            Ok(_) => {}
            Err(e) => panic!("no finalization of epoch 3 announced: {e}"),
        }
    }
    assert_eq!(h.chain.store.split().block_root, finalized.root);
}
