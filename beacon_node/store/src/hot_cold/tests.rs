//! Hot-part tests on a real minimal-preset chain.

use crate::test_utils::{
    assert_loads, config, genesis_state, open_when_unlocked, spec, TestChain, E,
};
use crate::*;
use ssz::Encode;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::{Hash256, SignedBeaconBlock};

#[test]
fn blocks_and_states_round_trip_with_summaries() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let mut chain = TestChain::genesis(&db);
    let head = chain.extend(&db, chain.genesis_block, [1, 2, 3, 9, 10]);
    for (root, block) in &chain.blocks {
        assert_eq!(db.get_block(root).unwrap().as_ref(), Some(block));
        assert!(db.block_exists(root).unwrap());
    }
    let unknown = Hash256::repeat_byte(0xaa);
    assert_eq!(db.get_block(&unknown).unwrap(), None);
    assert!(!db.block_exists(&unknown).unwrap());
    assert!(db.get_state(&unknown).unwrap().is_none());
    assert!(db.get_state_summary(&unknown).unwrap().is_none());

    // The head's post-state (slot 10): summary names block 10 and the boundary state at 8,
    // which a skipped slot produced.
    let head_state_root = chain.block(head).message.state_root;
    let summary = db.get_state_summary(&head_state_root).unwrap().unwrap();
    assert_eq!(summary.slot, 10);
    assert_eq!(summary.latest_block_root, head);
    let boundary = chain.state_root_at(head, 8);
    assert_eq!(summary.epoch_boundary_state_root, boundary);
    let boundary_summary = db.get_state_summary(&boundary).unwrap().unwrap();
    assert_eq!(boundary_summary.epoch_boundary_state_root, boundary);
    assert_eq!(boundary_summary.latest_block_root, chain.block_at(head, 8));
    // Whole states only at epoch boundaries (and the anchor).
    for (root, state) in &chain.states {
        let whole = db.get_item(DBColumn::HotState, root.as_slice()).unwrap();
        assert_eq!(whole.is_some(), state.slot % 8 == 0, "slot {}", state.slot);
        assert!(db.get_state_summary(root).unwrap().is_some());
    }
}

#[test]
fn every_hot_state_loads_by_replay_including_skipped_slots() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let mut chain = TestChain::genesis(&db);
    // Gaps inside epochs and across boundaries (8 and 16 skipped, 24 a block).
    let head = chain.extend(
        &db,
        chain.genesis_block,
        [1, 2, 5, 7, 9, 10, 13, 17, 23, 24, 26],
    );
    chain.advance(&db, head, 30);
    for root in chain.states.keys() {
        let loaded = assert_loads(&db, *root);
        assert_eq!(&loaded, &chain.states[root]);
    }
}

#[test]
fn put_state_summary_alone_and_deletes() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let mut chain = TestChain::genesis(&db);
    let b1 = chain.extend(&db, chain.genesis_block, [1]);
    let (ops, b3) = chain.make_block(b1, 3, 0);
    // Write the intermediate state (slot 2) as a summary only, the way the chain does.
    let ops = ops
        .into_iter()
        .map(|op| match op {
            StoreOp::PutState(root, state) if state.slot == 2 => {
                StoreOp::PutStateSummary(root, HotStateSummary::from_state(root, &state))
            }
            op => op,
        })
        .collect();
    db.do_atomically(ops).unwrap();
    assert_loads(&db, chain.state_root_at(b3, 2));
    assert_loads(&db, chain.block(b3).message.state_root);

    db.do_atomically(vec![StoreOp::DeleteBlock(b3)]).unwrap();
    assert!(!db.block_exists(&b3).unwrap());
    let s1 = chain.block(b1).message.state_root;
    db.do_atomically(vec![StoreOp::DeleteState(s1)]).unwrap();
    assert!(db.get_state(&s1).unwrap().is_none());
    assert!(db.get_state_summary(&s1).unwrap().is_none());
}

#[test]
fn items_round_trip() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    assert_eq!(db.get_item(DBColumn::ForkChoice, b"tree").unwrap(), None);
    db.put_item(DBColumn::ForkChoice, b"tree", vec![1, 2])
        .unwrap();
    db.put_item_durable(DBColumn::ForkChoice, b"votes", vec![3])
        .unwrap();
    db.do_atomically_durable(vec![StoreOp::PutItem(
        DBColumn::ForkChoice,
        b"head".to_vec(),
        vec![4],
    )])
    .unwrap();
    assert_eq!(
        db.get_item(DBColumn::ForkChoice, b"tree").unwrap(),
        Some(vec![1, 2])
    );
    assert_eq!(
        db.get_item(DBColumn::ForkChoice, b"votes").unwrap(),
        Some(vec![3])
    );
    assert_eq!(
        db.get_item(DBColumn::ForkChoice, b"head").unwrap(),
        Some(vec![4])
    );
}

#[test]
fn anchoring_needs_the_anchor_written_and_happens_once() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let mut state = genesis_state();
    let state_root = state.update_tree_hash_cache();
    let block = SignedBeaconBlock::<E> {
        message: types::BeaconBlock {
            state_root,
            ..Default::default()
        },
        signature: Default::default(),
    };
    let block_root = block.message.tree_hash_root();
    let anchor = Split {
        slot: 0,
        state_root,
        block_root,
    };
    assert!(matches!(db.init_anchor(anchor), Err(StoreError::Anchor(_))));
    db.do_atomically(vec![
        StoreOp::PutBlock(block_root, Arc::new(block)),
        StoreOp::PutState(state_root, Arc::new(state)),
    ])
    .unwrap();
    db.init_anchor(anchor).unwrap();
    db.init_anchor(anchor).unwrap();
    assert_eq!(db.split(), anchor);
    assert_eq!(db.anchor().unwrap().state_slot, 0);
    let elsewhere = Split {
        block_root: Hash256::repeat_byte(1),
        ..anchor
    };
    assert!(matches!(
        db.init_anchor(elsewhere),
        Err(StoreError::Anchor(_))
    ));
}

#[test]
fn a_reopened_database_has_everything_and_checks_schema_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, head) = {
        let db = open_when_unlocked(|| HotColdDB::<E>::open(dir.path(), config(), spec())).unwrap();
        let mut chain = TestChain::genesis(&db);
        let head = chain.extend(&db, chain.genesis_block, 1..=20);
        db.put_item(DBColumn::ForkChoice, b"tree", vec![7]).unwrap();
        let finalized = chain.block_at(head, 11);
        db.migrate_to_cold(finalized, chain.block(finalized).message.state_root, &[])
            .unwrap();
        // Written after the (flushed) migration and never flushed explicitly: a clean close
        // persists it.
        let head = chain.extend(&db, head, [21, 22]);
        (chain, head)
    };
    let db = open_when_unlocked(|| HotColdDB::<E>::open(dir.path(), config(), spec())).unwrap();
    assert!(db.block_exists(&head).unwrap());
    assert_eq!(db.split().slot, 11);
    assert_eq!(db.anchor().unwrap().block_root, chain.genesis_block);
    assert_eq!(
        db.get_item(DBColumn::ForkChoice, b"tree").unwrap(),
        Some(vec![7])
    );
    for slot in 0..=22 {
        assert_loads(&db, chain.state_root_at(head, slot));
    }
    let cold = db.get_cold_state_by_slot(5).unwrap().unwrap();
    assert_eq!(cold.tree_hash_root(), chain.state_root_at(head, 5));
    drop(db);

    let other = StoreConfig {
        slots_per_restore_point: 32,
        ..config()
    };
    let err = open_when_unlocked(|| HotColdDB::<E>::open(dir.path(), other, spec()))
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            StoreError::ConfigMismatch {
                name: "slots_per_restore_point",
                found: 16,
                expected: 32,
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("datadir"), "{err}");
    let err = open_when_unlocked(|| {
        HotColdDB::<types::MainnetEthSpec>::open(
            dir.path(),
            StoreConfig::default(),
            Arc::new(types::ChainSpec::mainnet()),
        )
    })
    .err()
    .unwrap();
    assert!(
        matches!(
            err,
            StoreError::ConfigMismatch {
                name: "SLOTS_PER_EPOCH",
                found: 8,
                expected: 32
            }
        ),
        "{err}"
    );

    // Another schema version on disk.
    {
        let kv = open_when_unlocked(|| SledStore::open(dir.path(), 0, 8)).unwrap();
        kv.write_batch(vec![KeyValueOp::Put(
            DBColumn::Metadata,
            b"schema_version".to_vec(),
            99u64.to_le_bytes().to_vec(),
        )])
        .unwrap();
        kv.flush().unwrap();
    }
    let err = open_when_unlocked(|| HotColdDB::<E>::open(dir.path(), config(), spec()))
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            StoreError::SchemaMismatch {
                found: 99,
                expected: SCHEMA_VERSION
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("datadir"), "{err}");
}

#[test]
fn invalid_configs_are_refused() {
    for spr in [0, 12, 4] {
        let bad = StoreConfig {
            slots_per_restore_point: spr,
            ..config()
        };
        assert!(matches!(
            HotColdDB::<E>::open_ephemeral(bad, spec()),
            Err(StoreError::InvalidConfig(_))
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = StoreConfig {
        slots_per_restore_point: 12,
        ..config()
    };
    assert!(matches!(
        HotColdDB::<E>::open(dir.path(), bad, spec()),
        Err(StoreError::InvalidConfig(_))
    ));
}

/// Bytes that look nothing like what a column holds.
fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn corrupt_values_are_decode_errors_naming_column_and_key() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let mut chain = TestChain::genesis(&db);
    let head = chain.extend(&db, chain.genesis_block, [1, 2]);
    let head_state = chain.block(head).message.state_root;
    let boundary = chain.state_root_at(head, 0);
    let root = Hash256::repeat_byte(3);
    let is_decode = |r: Result<_, StoreError>, col: DBColumn| match r {
        Err(StoreError::Decode { column, key, .. }) => {
            assert_eq!(column, col);
            assert!(!key.is_empty() || col == DBColumn::Metadata);
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("corrupt value accepted"),
    };
    for (i, len) in [0usize, 1, 5, 31, 100, 4000].into_iter().enumerate() {
        let bytes = garbage(i as u64, len);
        db.put_item(DBColumn::Block, root.as_slice(), bytes.clone())
            .unwrap();
        is_decode(db.get_block(&root).map(|_| ()), DBColumn::Block);
        db.do_atomically(vec![StoreOp::DeleteState(root)]).unwrap();
        db.put_item(DBColumn::HotStateSummary, root.as_slice(), bytes.clone())
            .unwrap();
        is_decode(db.get_state(&root).map(|_| ()), DBColumn::HotStateSummary);
        db.put_item(DBColumn::HotState, root.as_slice(), bytes.clone())
            .unwrap();
        is_decode(db.get_state(&root).map(|_| ()), DBColumn::HotState);
        db.put_item(DBColumn::ColdBlockRoot, &5u64.to_be_bytes(), bytes.clone())
            .unwrap();
        if len != 32 {
            is_decode(
                db.get_cold_block_root(5).map(|_| ()),
                DBColumn::ColdBlockRoot,
            );
        }
    }
    // A corrupt base state: the state replayed from it fails with the base's column.
    db.put_item(DBColumn::HotState, boundary.as_slice(), vec![1, 2, 3])
        .unwrap();
    is_decode(db.get_state(&head_state).map(|_| ()), DBColumn::HotState);
    // A corrupt block on the replay path.
    let genesis_bytes = chain.states[&boundary].as_ssz_bytes();
    db.put_item(DBColumn::HotState, boundary.as_slice(), genesis_bytes)
        .unwrap();
    assert_loads(&db, head_state);
    db.put_item(DBColumn::Block, head.as_slice(), vec![0; 9])
        .unwrap();
    is_decode(db.get_state(&head_state).map(|_| ()), DBColumn::Block);

    // Corrupt metadata is an error at open, not a panic.
    let dir = tempfile::tempdir().unwrap();
    drop(open_when_unlocked(|| HotColdDB::<E>::open(dir.path(), config(), spec())).unwrap());
    for key in [&b"split"[..], b"config", b"schema_version", b"anchor"] {
        {
            let kv = open_when_unlocked(|| SledStore::open(dir.path(), 0, 8)).unwrap();
            kv.write_batch(vec![KeyValueOp::Put(
                DBColumn::Metadata,
                key.to_vec(),
                vec![9; 3],
            )])
            .unwrap();
        }
        is_decode(
            open_when_unlocked(|| HotColdDB::<E>::open(dir.path(), config(), spec())).map(|_| ()),
            DBColumn::Metadata,
        );
        let kv = open_when_unlocked(|| SledStore::open(dir.path(), 0, 8)).unwrap();
        kv.write_batch(vec![KeyValueOp::Delete(DBColumn::Metadata, key.to_vec())])
            .unwrap();
        drop(kv);
        if key != b"anchor" && key != b"split" {
            // Gone for good: recreate the database for the next key.
            std::fs::remove_dir_all(dir.path()).unwrap();
            drop(
                open_when_unlocked(|| HotColdDB::<E>::open(dir.path(), config(), spec())).unwrap(),
            );
        }
    }
}
