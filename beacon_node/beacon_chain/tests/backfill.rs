//! Backfill (sync's history import): a chain started from a finalized checkpoint takes the
//! blocks before it, newest window first, joined by parent roots and checked by proposer
//! signatures, until its history and block-root index reach genesis.

mod common;

use beacon_chain::harness::BeaconChainHarness;
use beacon_chain::HistoricalBlockError;
use common::*;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::{ChainSpec, SignedBeaconBlock};

type Block = Arc<SignedBeaconBlock<E>>;

/// A chain of five epochs, its finalized block, and a chain anchored there.
fn anchored() -> (BeaconChainHarness<E>, BeaconChainHarness<E>, Vec<Block>) {
    let source = harness();
    run_slots(&source, 1, 5 * slots_per_epoch(), &everyone);
    let finalized = source.chain.finalized_checkpoint();
    assert!(finalized.epoch >= 3);
    let anchor_block = source.chain.get_block(&finalized.root).unwrap().unwrap();
    let anchor_state = source.chain.get_block_state(&finalized.root).unwrap().state;
    let target = BeaconChainHarness::from_anchor(
        anchor_block.clone(),
        (*anchor_state).clone(),
        VALIDATORS,
        ChainSpec::minimal(),
        ephemeral_store(),
        source.current_slot(),
    )
    .unwrap();
    // The canonical blocks before the anchor, genesis included, oldest first.
    let mut history = Vec::new();
    let mut root = anchor_block.message.parent_root;
    loop {
        let block = source.chain.get_block(&root).unwrap().unwrap();
        let slot = block.message.slot;
        root = block.message.parent_root;
        history.push(Arc::new(block));
        if slot == 0 {
            break;
        }
    }
    history.reverse();
    (source, target, history)
}

#[test]
fn history_is_backfilled_newest_window_first_down_to_genesis() {
    let (source, target, history) = anchored();
    let anchor_slot = history.last().unwrap().message.slot + 1;
    assert_eq!(
        target
            .chain
            .backfill_info()
            .unwrap()
            .map(|i| i.oldest_block_slot),
        Some(anchor_slot)
    );
    let split = history.len() / 2;
    let done = target
        .chain
        .import_historical_block_batch(&history[split..], history[split].message.slot)
        .unwrap();
    assert_eq!(done.oldest_slot, history[split].message.slot);
    let done = target
        .chain
        .import_historical_block_batch(&history[..split], 0)
        .unwrap();
    assert_eq!((done.oldest_slot, done.imported), (0, split));
    assert_eq!(
        target.chain.backfill_info().unwrap(),
        None,
        "history is complete"
    );
    for slot in 0..anchor_slot {
        assert_eq!(
            target.chain.store.get_cold_block_root(slot).unwrap(),
            source.chain.store.get_cold_block_root(slot).unwrap(),
            "block root at slot {slot}"
        );
    }
    for block in &history {
        assert!(target
            .chain
            .get_block(&block.message.tree_hash_root())
            .unwrap()
            .is_some());
    }
}

#[test]
fn blocks_that_do_not_join_or_are_not_signed_by_their_proposer_are_refused() {
    let (_, target, history) = anchored();
    let newest = history.len() - 1;
    // A window that stops short of the anchor's parent does not join.
    assert!(matches!(
        target
            .chain
            .import_historical_block_batch(&history[..newest], 0),
        Err(HistoricalBlockError::MismatchedChain { .. })
    ));
    // The right blocks, one with another block's signature.
    let mut forged = history.clone();
    let mut block = (*forged[newest - 1]).clone();
    block.signature = forged[newest].signature;
    forged[newest - 1] = Arc::new(block);
    assert!(matches!(
        target.chain.import_historical_block_batch(&forged, 0),
        Err(HistoricalBlockError::InvalidSignature)
    ));
    // Out of order.
    let mut swapped = history.clone();
    swapped.swap(1, 2);
    assert!(target
        .chain
        .import_historical_block_batch(&swapped, 0)
        .is_err());
    // Every block from the third on, answered to a request from slot 0: joined and signed,
    // but the head state's history shows the blocks left out.
    assert!(matches!(
        target.chain.import_historical_block_batch(&history[3..], 0),
        Err(HistoricalBlockError::NotInHistory { slot: 0, .. })
    ));
    assert!(
        target.chain.backfill_info().unwrap().is_some(),
        "nothing was written"
    );
}
