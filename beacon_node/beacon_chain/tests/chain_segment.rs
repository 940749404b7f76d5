//! Chain segments (sync's import): a second chain takes the first chain's blocks in batches,
//! all of a segment's signatures in one batch; a bad block stops the segment at that block,
//! the blocks before it are kept, and nothing of it or after it reaches the database.

mod common;

use beacon_chain::harness::BeaconChainHarness;
use beacon_chain::{BlockError, ChainSegmentResult};
use common::*;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::{Hash256, SignedBeaconBlock};

type Block = Arc<SignedBeaconBlock<E>>;

/// A chain of `epochs` full epochs and its canonical blocks from slot 1, in order.
fn source_chain(epochs: u64) -> (BeaconChainHarness<E>, Vec<Block>) {
    let h = harness();
    run_slots(&h, 1, epochs * slots_per_epoch(), &everyone);
    let mut blocks = Vec::new();
    let mut root = h.chain.head_block_root();
    while root != h.chain.genesis_block_root {
        let block = h.chain.get_block(&root).unwrap().expect("canonical block");
        root = block.message.parent_root;
        blocks.push(Arc::new(block));
    }
    blocks.reverse();
    (h, blocks)
}

/// A fresh chain of the same genesis, its clock at `slot`.
fn empty_chain(slot: u64) -> BeaconChainHarness<E> {
    let h = harness();
    h.set_slot(slot).unwrap();
    h
}

fn root(block: &Block) -> Hash256 {
    block.message.tree_hash_root()
}

#[test]
fn segments_import_a_whole_chain_with_overlaps_skipped() {
    let (source, blocks) = source_chain(5);
    let target = empty_chain(source.current_slot());
    let imported = |r: ChainSegmentResult| match r {
        ChainSegmentResult::Successful { imported } => imported,
        ChainSegmentResult::Failed { error, .. } => panic!("segment failed: {error}"),
    };
    assert_eq!(
        imported(target.chain.process_chain_segment(blocks[..16].to_vec())),
        16
    );
    // Overlapping the blocks already imported: only the new ones count.
    assert_eq!(
        imported(target.chain.process_chain_segment(blocks[10..30].to_vec())),
        14
    );
    assert_eq!(
        imported(target.chain.process_chain_segment(blocks[30..].to_vec())),
        10
    );
    assert_eq!(
        target.chain.head_block_root(),
        source.chain.head_block_root()
    );
    assert_eq!(
        target.chain.finalized_checkpoint(),
        source.chain.finalized_checkpoint(),
        "the blocks' votes reached fork choice"
    );
    assert!(target.chain.finalized_checkpoint().epoch >= 3);
    assert_eq!(
        target.chain.head().state_root,
        source.chain.head().state_root
    );
    // Everything already known (or finalized): nothing to do, and no error.
    assert_eq!(
        imported(target.chain.process_chain_segment(blocks.clone())),
        0
    );
    assert_eq!(imported(target.chain.process_chain_segment(Vec::new())), 0);
}

#[test]
fn a_bad_signature_keeps_the_blocks_before_it_and_nothing_after() {
    let (_, blocks) = source_chain(2);
    let target = empty_chain(2 * slots_per_epoch());
    let mut segment = blocks.clone();
    // Block 5 carries block 4's signature: a valid signature, over another message.
    let mut forged = (*segment[5]).clone();
    forged.signature = segment[4].signature;
    segment[5] = Arc::new(forged);
    match target.chain.process_chain_segment(segment) {
        ChainSegmentResult::Failed { imported: 5, error } => {
            assert!(
                matches!(error, BlockError::PerBlockProcessing(_)),
                "{error}"
            );
        }
        other => panic!("expected a failure at block 5, got {other:?}"),
    }
    assert_eq!(target.chain.head_block_root(), root(&blocks[4]));
    for block in &blocks[5..] {
        assert!(target.chain.get_block(&root(block)).unwrap().is_none());
    }
    // The honest blocks import after it.
    assert!(matches!(
        target.chain.process_chain_segment(blocks[5..].to_vec()),
        ChainSegmentResult::Successful { imported } if imported == blocks.len() - 5
    ));
}

#[test]
fn a_wrong_state_root_fails_that_block() {
    let (_, blocks) = source_chain(2);
    let target = empty_chain(2 * slots_per_epoch());
    let last = blocks.len() - 1;
    let mut segment = blocks.clone();
    let mut wrong = (*segment[last]).clone();
    wrong.message.state_root = Hash256::repeat_byte(9);
    segment[last] = Arc::new(wrong);
    match target.chain.process_chain_segment(segment) {
        ChainSegmentResult::Failed { imported, error } => {
            assert_eq!(imported, last);
            assert!(
                matches!(error, BlockError::StateRootMismatch { .. }),
                "{error}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(target.chain.head_block_root(), root(&blocks[last - 1]));
}

#[test]
fn segments_out_of_order_or_without_a_known_parent_are_refused_whole() {
    let (_, blocks) = source_chain(2);
    let target = empty_chain(2 * slots_per_epoch());
    let mut swapped = blocks[..6].to_vec();
    swapped.swap(2, 3);
    assert!(matches!(
        target.chain.process_chain_segment(swapped),
        ChainSegmentResult::Failed {
            imported: 0,
            error: BlockError::NonLinearParentRoots
        }
    ));
    assert!(matches!(
        target.chain.process_chain_segment(blocks[3..].to_vec()),
        ChainSegmentResult::Failed {
            imported: 0,
            error: BlockError::ParentUnknown(_)
        }
    ));
    assert_eq!(
        target.chain.head_block_root(),
        target.chain.genesis_block_root
    );
}
