//! Finalization tests on a real minimal-preset chain (restore points every 16 slots).

use crate::test_utils::{assert_loads, config, spec, TestChain, E};
use crate::*;
use std::collections::HashSet;
use tree_hash::TreeHash;
use types::{Hash256, Slot};

/// Every summary left in the hot part rebuilds to its own root.
fn assert_every_hot_state_loads(db: &HotColdDB<E>) -> usize {
    let roots: Vec<Hash256> = db
        .kv
        .iter_column(DBColumn::HotStateSummary)
        .map(|e| Hash256::try_from(e.unwrap().0.as_slice()).unwrap())
        .collect();
    for root in &roots {
        assert_loads(db, *root);
    }
    roots.len()
}

/// The finalized history up to the split matches the chain ending at `head`.
fn assert_cold_matches(
    db: &HotColdDB<E>,
    chain: &TestChain,
    head: Hash256,
    slots: std::ops::RangeInclusive<Slot>,
) {
    for slot in slots {
        let root = chain.state_root_at(head, slot);
        let state = db.get_cold_state_by_slot(slot).unwrap().unwrap();
        assert_eq!(state.tree_hash_root(), root, "cold state at slot {slot}");
        assert_eq!(
            db.get_cold_state_root(slot).unwrap(),
            Some(root),
            "slot {slot}"
        );
        let block = chain.block_at(head, slot);
        assert_eq!(
            db.get_cold_block_root(slot).unwrap(),
            Some(block),
            "slot {slot}"
        );
        assert_eq!(db.get_block_root_at_slot(slot).unwrap(), Some(block));
    }
}

#[test]
fn migration_moves_history_cold_and_deletes_abandoned_forks() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let mut chain = TestChain::genesis(&db);
    let a = chain.extend(&db, chain.genesis_block, 1..=11);
    // A fork from slot 3 that finality abandons; its last block (after the new split) is
    // not in the list it is given, and goes anyway.
    let fork_base = chain.block_at(a, 3);
    let fork_1 = chain.add_block(&db, fork_base, 6, 0xf0);
    let fork_2 = chain.add_block(&db, fork_1, 12, 0xf1);
    let fork_3 = chain.add_block(&db, fork_2, 20, 0xf2);
    // The canonical chain goes on, with restore point 16 a skipped slot.
    let head = chain.extend(&db, a, [13, 14, 15, 17, 19, 21, 23, 25]);
    let finalized = chain.block_at(head, 17);
    let finalized_state = chain.block(finalized).message.state_root;

    db.migrate_to_cold(finalized, finalized_state, &[fork_1, fork_2])
        .unwrap();
    let split = db.split();
    assert_eq!(
        split,
        Split {
            slot: 17,
            state_root: finalized_state,
            block_root: finalized
        }
    );

    assert_cold_matches(&db, &chain, head, 0..=17);
    assert!(db.get_cold_state_by_slot(18).unwrap().is_none());
    assert!(db.get_cold_block_root(18).unwrap().is_none());
    let canonical: HashSet<Hash256> = (0..=25).map(|s| chain.state_root_at(head, s)).collect();
    for (root, state) in &chain.states {
        if canonical.contains(root) {
            // Cold ones by root too (through their slot).
            assert_loads(&db, *root);
        } else {
            assert!(
                db.get_state(root).unwrap().is_none(),
                "fork state at {}",
                state.slot
            );
        }
    }
    for root in [fork_1, fork_2, fork_3] {
        assert!(!db.block_exists(&root).unwrap());
    }
    for slot in 0..=25 {
        assert!(db.block_exists(&chain.block_at(head, slot)).unwrap());
    }
    // Only states at or after the split are hot.
    assert_eq!(assert_every_hot_state_loads(&db), 9);

    // A second migration, from a split that is not a restore point.
    let later = chain.extend(&db, head, [26, 27, 33, 34]);
    let fin2 = chain.block_at(later, 33);
    db.migrate_to_cold(fin2, chain.block(fin2).message.state_root, &[])
        .unwrap();
    assert_eq!(db.split().slot, 33);
    assert_cold_matches(&db, &chain, later, 0..=33);
    assert_loads(&db, chain.block(later).message.state_root);
    assert_every_hot_state_loads(&db);
}

#[test]
fn deleting_never_breaks_the_replay_of_a_retained_hot_state() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let mut chain = TestChain::genesis(&db);
    // Finalized block at 19: its epoch's boundary state (16) goes cold, so hot states of
    // epoch 2 must replay from the split state. Slots 20 and 21 are empty after it.
    let fin = chain.extend(&db, chain.genesis_block, [1, 4, 8, 12, 15, 17, 19]);
    let head = chain.extend(&db, fin, [22, 23, 25]);
    // A sibling of the head that descends from the finalized block: kept.
    let sibling = chain.add_block(&db, fin, 21, 0x51);
    // States advanced with no block from a canonical block before the split, past the
    // split: they do not contain the finalized block, so they go (replaying them from the
    // split state would be wrong).
    let stale = chain.advance(&db, chain.block_at(fin, 12), 21);
    // A block after the split on a branch from before it, not listed as abandoned.
    let orphan = chain.add_block(&db, chain.block_at(fin, 15), 20, 0x0f);

    let fin_state = chain.block(fin).message.state_root;
    db.migrate_to_cold(fin, fin_state, &[]).unwrap();

    let kept = assert_every_hot_state_loads(&db);
    // Split state, 20 and 21 on the way to 22, 22..=25 (24 a boundary), the sibling's post
    // state (21; 20 is shared).
    assert_eq!(kept, 1 + 2 + 4 + 1);
    for slot in 19..=25 {
        assert_loads(&db, chain.state_root_at(head, slot));
    }
    assert_loads(&db, chain.block(sibling).message.state_root);
    for root in stale.iter().filter(|r| chain.states[*r].slot > 19) {
        assert!(db.get_state_summary(root).unwrap().is_none());
    }
    assert!(!db.block_exists(&orphan).unwrap());
    assert!(db
        .get_state(&chain.block(orphan).message.state_root)
        .unwrap()
        .is_none());
    assert_cold_matches(&db, &chain, fin, 0..=19);

    // Finality moves again, to a block that is neither a boundary nor a restore point, with
    // the sibling abandoned; everything kept still loads.
    let head = chain.extend(&db, head, [26, 29, 30, 33, 35]);
    let fin2 = chain.block_at(head, 29);
    db.migrate_to_cold(fin2, chain.block(fin2).message.state_root, &[sibling])
        .unwrap();
    assert!(!db.block_exists(&sibling).unwrap());
    assert_every_hot_state_loads(&db);
    for slot in 29..=35 {
        assert_loads(&db, chain.state_root_at(head, slot));
    }
    assert_cold_matches(&db, &chain, head, 0..=29);
}

#[test]
fn finality_never_moves_back_or_sideways() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let mut chain = TestChain::genesis(&db);
    let head = chain.extend(&db, chain.genesis_block, 1..=10);
    let fork = chain.add_block(&db, chain.block_at(head, 4), 11, 0xee);
    let at = |slot| chain.block_at(head, slot);
    let state_of = |root| chain.block(root).message.state_root;

    assert!(matches!(
        db.migrate_to_cold(at(8), state_of(at(7)), &[]),
        Err(StoreError::InvalidMigration(_))
    ));
    assert!(matches!(
        db.migrate_to_cold(Hash256::repeat_byte(5), Hash256::ZERO, &[]),
        Err(StoreError::MissingBlock(_))
    ));
    db.migrate_to_cold(at(8), state_of(at(8)), &[]).unwrap();
    // The same finalized block again: nothing to do.
    db.migrate_to_cold(at(8), state_of(at(8)), &[]).unwrap();
    assert!(matches!(
        db.migrate_to_cold(at(5), state_of(at(5)), &[]),
        Err(StoreError::FinalityReverted {
            split_slot: 8,
            finalized_slot: 5,
            ..
        })
    ));
    // The fork block after the split that does not contain it went with the migration; one
    // written now cannot be finalized.
    assert!(!db.block_exists(&fork).unwrap());
    let fork = chain.add_block(&db, chain.block_at(head, 4), 12, 0xed);
    let err = db
        .migrate_to_cold(fork, chain.block(fork).message.state_root, &[])
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidMigration(_)), "{err}");
    assert_eq!(db.split().slot, 8);
    assert_cold_matches(&db, &chain, head, 0..=8);
}

#[test]
fn a_checkpoint_anchor_between_restore_points_is_the_base_of_early_cold_states() {
    // The checkpoint: block 21, its state advanced to the epoch-3 boundary (24).
    let source = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let mut full = TestChain::genesis(&source);
    let block_21 = full.extend(&source, full.genesis_block, 1..=21);
    let anchor_state_root = full.advance(&source, block_21, 24)[2];
    let anchor_state = full.states[&anchor_state_root].clone();

    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let mut chain = TestChain::from_anchor(&db, full.block(block_21).clone(), anchor_state);
    assert_eq!(
        db.anchor().unwrap(),
        AnchorInfo {
            state_slot: 24,
            state_root: anchor_state_root,
            block_root: block_21
        }
    );
    let head = chain.extend(&db, block_21, [25, 27, 28, 33, 36, 37, 40]);
    for slot in 24..=40 {
        assert_loads(&db, chain.state_root_at(head, slot));
    }
    let fin = chain.block_at(head, 36);
    db.migrate_to_cold(fin, chain.block(fin).message.state_root, &[])
        .unwrap();
    assert_cold_matches(&db, &chain, head, 24..=36);
    assert_eq!(db.get_cold_block_root(21).unwrap(), Some(block_21));
    for slot in [0, 16, 21, 23] {
        assert!(db.get_cold_state_by_slot(slot).unwrap().is_none(), "{slot}");
    }
    assert_every_hot_state_loads(&db);
}

#[test]
fn hot_state_reads_during_migrations_always_succeed() {
    let db = std::sync::Arc::new(HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap());
    let mut chain = TestChain::genesis(&db);
    let head = chain.extend(&db, chain.genesis_block, (1..=45).filter(|s| s % 5 != 0));
    // The head's post-state (slot 44) replays from its epoch boundary (40).
    let head_state = chain.block(head).message.state_root;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (db, done) = (db.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::Acquire) || reads == 0 {
                let state = db.get_state(&head_state).unwrap().unwrap();
                assert_eq!(state.slot, 44);
                reads += 1;
            }
            reads
        })
    };
    for slot in [9, 17, 23, 33, 41] {
        let fin = chain.block_at(head, slot);
        db.migrate_to_cold(fin, chain.block(fin).message.state_root, &[])
            .unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Release);
    assert!(reader.join().unwrap() > 0);
    assert_eq!(db.split().slot, 41);
    assert_loads(&db, head_state);
    assert_every_hot_state_loads(&db);
}
