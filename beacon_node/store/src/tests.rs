//! Store tests on a real minimal-preset chain of empty blocks (replay skips signatures, so the
//! blocks need no keys).

use super::*;
use state_processing::genesis::interop_genesis_state;
use state_processing::helpers::accessors::get_beacon_proposer_index;
use state_processing::per_block_processing::{process_block, VerifySignatures};
use state_processing::process_slots;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::{
    BeaconBlock, BeaconBlockBody, BeaconState, ChainSpec, Hash256, MinimalEthSpec, SignatureBytes,
    SignedBeaconBlock, Slot,
};

type E = MinimalEthSpec;

fn spec() -> Arc<ChainSpec> {
    Arc::new(ChainSpec::minimal())
}

fn config() -> StoreConfig {
    StoreConfig {
        slots_per_restore_point: 16,
        flush_every_ms: 500,
    }
}

/// A chain being written to a store the way beacon_chain writes it: every state passed on
/// the way to a block, then the block and its post-state, one batch per block.
struct Chain {
    /// (slot, state root, state) of every state written, by slot order.
    states: Vec<(Slot, Hash256, BeaconState<E>)>,
    blocks: Vec<(Hash256, SignedBeaconBlock<E>)>,
}

impl Chain {
    fn genesis(db: &HotColdDB<E>) -> (Self, Hash256) {
        let mut state = interop_genesis_state::<E>(64, 0, &spec()).unwrap();
        let state_root = state.update_tree_hash_cache();
        let block = SignedBeaconBlock {
            message: BeaconBlock {
                state_root,
                ..Default::default()
            },
            signature: SignatureBytes::default(),
        };
        let root = block.message.tree_hash_root();
        db.do_atomically(vec![
            StoreOp::PutBlock(root, Arc::new(block.clone())),
            StoreOp::PutState(state_root, Arc::new(state.clone())),
        ])
        .unwrap();
        (
            Chain {
                states: vec![(0, state_root, state)],
                blocks: vec![(root, block)],
            },
            root,
        )
    }

    fn state_of(&self, block_root: Hash256) -> BeaconState<E> {
        let block = &self
            .blocks
            .iter()
            .find(|(r, _)| *r == block_root)
            .unwrap()
            .1;
        self.states
            .iter()
            .find(|(_, r, _)| *r == block.message.state_root)
            .unwrap()
            .2
            .clone()
    }

    /// A block at `slot` on `parent`, written with the states before it. Returns its root.
    fn add_block(
        &mut self,
        db: &HotColdDB<E>,
        parent: Hash256,
        slot: Slot,
        graffiti: u8,
    ) -> Hash256 {
        let spec = spec();
        let mut state = self.state_of(parent);
        let mut ops = Vec::new();
        while state.slot < slot {
            let next = state.slot + 1;
            process_slots(&mut state, next, &spec).unwrap();
            if state.slot < slot {
                let root = state.update_tree_hash_cache();
                ops.push(StoreOp::PutState(root, Arc::new(state.clone())));
                self.states.push((state.slot, root, state.clone()));
            }
        }
        let mut block = BeaconBlock::<E> {
            slot,
            proposer_index: get_beacon_proposer_index(&state, &spec).unwrap(),
            parent_root: parent,
            state_root: Hash256::ZERO,
            body: BeaconBlockBody {
                eth1_data: state.eth1_data,
                graffiti: Hash256::repeat_byte(graffiti),
                ..Default::default()
            },
        };
        process_block(&mut state, &block, VerifySignatures::None, &spec).unwrap();
        let state_root = state.update_tree_hash_cache();
        block.state_root = state_root;
        let signed = SignedBeaconBlock {
            message: block,
            signature: SignatureBytes::default(),
        };
        let root = signed.message.tree_hash_root();
        ops.push(StoreOp::PutBlock(root, Arc::new(signed.clone())));
        ops.push(StoreOp::PutState(state_root, Arc::new(state.clone())));
        db.do_atomically(ops).unwrap();
        self.states.push((slot, state_root, state));
        self.blocks.push((root, signed));
        root
    }

    /// Blocks at `slots` in a line from `from`.
    fn extend(
        &mut self,
        db: &HotColdDB<E>,
        from: Hash256,
        slots: impl IntoIterator<Item = Slot>,
    ) -> Hash256 {
        let mut head = from;
        for slot in slots {
            head = self.add_block(db, head, slot, 0);
        }
        head
    }
}

fn assert_state_loads(db: &HotColdDB<E>, root: &Hash256, expected: &BeaconState<E>) {
    let mut loaded = db
        .get_state(root)
        .unwrap()
        .unwrap_or_else(|| panic!("state {root:?} at slot {} missing", expected.slot));
    assert_eq!(
        loaded.update_tree_hash_cache(),
        *root,
        "slot {}",
        expected.slot
    );
}

#[test]
fn every_hot_state_loads_whole_or_by_replay_including_skipped_slots() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let (mut chain, genesis) = Chain::genesis(&db);
    // Blocks with gaps across an epoch boundary (slot 8 skipped).
    chain.extend(&db, genesis, [1, 2, 5, 7, 9, 10, 13]);
    for (_, root, state) in &chain.states {
        assert_state_loads(&db, root, state);
    }
    for (root, block) in &chain.blocks {
        assert_eq!(db.get_block(root).unwrap().as_ref(), Some(block));
    }
    // Full states only at boundaries: slot 8 (skipped) was stored whole, slot 9 was not.
    let at = |slot| chain.states.iter().find(|(s, _, _)| *s == slot).unwrap().1;
    assert!(db
        .get_item(DBColumn::HotState, at(8).as_slice())
        .unwrap()
        .is_some());
    assert!(db
        .get_item(DBColumn::HotState, at(9).as_slice())
        .unwrap()
        .is_none());
}

#[test]
fn migration_moves_history_cold_keeps_hot_states_loadable_and_deletes_forks() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let (mut chain, genesis) = Chain::genesis(&db);
    let a = chain.extend(&db, genesis, 1..=11);
    // A fork from slot 3 that finality will abandon.
    let fork_base = chain.blocks[3].0;
    let fork_tip = chain.add_block(&db, fork_base, 6, 0xf0);
    let fork_tip2 = chain.add_block(&db, fork_tip, 12, 0xf1);
    // The canonical chain goes on with a gap at the restore point 16.
    let head = chain.extend(&db, a, [13, 14, 15, 17, 19, 21, 23, 25]);
    let finalized = chain
        .blocks
        .iter()
        .find(|(_, b)| b.message.slot == 17)
        .unwrap()
        .clone();

    db.migrate_to_cold(
        finalized.0,
        finalized.1.message.state_root,
        &[fork_tip, fork_tip2],
    )
    .unwrap();
    let split = db.split();
    assert_eq!(split.slot, 17);
    assert_eq!(split.block_root, finalized.0);

    // Canonical states: cold before the split (restore points 0 and 16 plus replay), hot
    // after it, and every one loads to the same root.
    // The canonical chain's blocks by slot, and so its latest block at any slot.
    let mut canonical = Vec::new();
    let mut root = head;
    loop {
        let block = &chain.blocks.iter().find(|(r, _)| *r == root).unwrap().1;
        canonical.push((block.message.slot, root));
        if block.message.slot == 0 {
            break;
        }
        root = block.message.parent_root;
    }
    let latest_at = |slot: Slot| canonical.iter().find(|(s, _)| *s <= slot).unwrap().1;
    for (slot, root, state) in &chain.states {
        let header_root = {
            let mut h = state.latest_block_header;
            if h.state_root.is_zero() {
                h.state_root = *root;
            }
            h.tree_hash_root()
        };
        if latest_at(*slot) == header_root {
            assert_state_loads(&db, root, state);
            if *slot <= split.slot {
                let mut cold = db.get_cold_state_by_slot(*slot).unwrap().unwrap();
                assert_eq!(cold.update_tree_hash_cache(), *root, "cold slot {slot}");
            }
        } else if *slot >= 6 {
            assert!(
                db.get_state(root).unwrap().is_none(),
                "fork state at {slot} kept"
            );
        }
    }
    // Block roots by slot, skipped slots included.
    assert_eq!(
        db.get_cold_block_root(16).unwrap(),
        Some(
            chain
                .blocks
                .iter()
                .find(|(_, b)| b.message.slot == 15)
                .unwrap()
                .0
        )
    );
    assert!(db.get_block(&fork_tip).unwrap().is_none());
    assert!(db.get_block(&fork_tip2).unwrap().is_none());
    assert!(db.get_block(&head).unwrap().is_some());
    // A second migration further on works from the new split.
    let later = chain.extend(&db, head, [26, 27, 33, 34]);
    let fin2 = chain
        .blocks
        .iter()
        .find(|(_, b)| b.message.slot == 33)
        .unwrap()
        .clone();
    db.migrate_to_cold(fin2.0, fin2.1.message.state_root, &[])
        .unwrap();
    assert_eq!(db.split().slot, 33);
    let later_state = chain.state_of(later);
    assert_state_loads(
        &db,
        &later_state.update_tree_hash_cache_clone(),
        &later_state,
    );
    let mut at_32 = db.get_cold_state_by_slot(32).unwrap().unwrap();
    let expected = chain.states.iter().find(|(s, _, _)| *s == 32).unwrap();
    assert_eq!(at_32.update_tree_hash_cache(), expected.1);
}

/// Compute a state's root on a clone (tests only).
trait RootOfClone {
    fn update_tree_hash_cache_clone(&self) -> Hash256;
}

impl RootOfClone for BeaconState<E> {
    fn update_tree_hash_cache_clone(&self) -> Hash256 {
        self.clone().update_tree_hash_cache()
    }
}

#[test]
fn a_reopened_database_has_everything_and_checks_schema_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, head) = {
        let db = HotColdDB::<E>::open(dir.path(), config(), spec()).unwrap();
        let (mut chain, genesis) = Chain::genesis(&db);
        let head = chain.extend(&db, genesis, 1..=10);
        db.flush().unwrap();
        (chain, head)
    };
    let db = HotColdDB::<E>::open(dir.path(), config(), spec()).unwrap();
    assert!(db.block_exists(&head).unwrap());
    for (_, root, state) in &chain.states {
        assert_state_loads(&db, root, state);
    }
    drop(db);

    let other = StoreConfig {
        slots_per_restore_point: 32,
        ..config()
    };
    let err = HotColdDB::<E>::open(dir.path(), other, spec())
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            StoreError::ConfigMismatch {
                found: 16,
                expected: 32,
                ..
            }
        ),
        "{err}"
    );

    // Another schema version on disk.
    {
        let kv = SledStore::open(dir.path(), 500).unwrap();
        kv.write_batch(vec![KeyValueOp::Put(
            DBColumn::Metadata,
            b"schema_version".to_vec(),
            99u64.to_le_bytes().to_vec(),
        )])
        .unwrap();
        kv.flush().unwrap();
    }
    let err = HotColdDB::<E>::open(dir.path(), config(), spec())
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            StoreError::SchemaMismatch {
                found: 99,
                expected: 1
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("datadir"));
}

#[test]
fn invalid_config_and_corrupt_values_are_errors_not_panics() {
    let bad = StoreConfig {
        slots_per_restore_point: 12,
        ..config()
    };
    assert!(matches!(
        HotColdDB::<E>::open_ephemeral(bad, spec()),
        Err(StoreError::InvalidConfig(_))
    ));
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let root = Hash256::repeat_byte(3);
    db.do_atomically(vec![StoreOp::PutItem(
        DBColumn::Block,
        root.to_vec(),
        vec![1, 2, 3],
    )])
    .unwrap();
    assert!(matches!(
        db.get_block(&root),
        Err(StoreError::Decode {
            column: DBColumn::Block,
            ..
        })
    ));
    db.do_atomically(vec![StoreOp::PutItem(
        DBColumn::HotStateSummary,
        root.to_vec(),
        vec![0; 5],
    )])
    .unwrap();
    assert!(db.get_state(&root).is_err());
}

#[test]
fn a_batch_is_all_or_nothing_in_memory_and_deletes_apply() {
    let db = HotColdDB::<E>::open_ephemeral(config(), spec()).unwrap();
    let (mut chain, genesis) = Chain::genesis(&db);
    let b1 = chain.extend(&db, genesis, [1]);
    db.do_atomically(vec![StoreOp::DeleteBlock(b1)]).unwrap();
    assert!(!db.block_exists(&b1).unwrap());
    let s1 = chain.blocks[1].1.message.state_root;
    db.do_atomically(vec![StoreOp::DeleteState(s1)]).unwrap();
    assert!(db.get_state(&s1).unwrap().is_none());
}

/// The writer the kill -9 test runs in a child process: batch `i` holds a block-sized value
/// under `block_i` and a marker `done_i`; every fourth batch is flushed and announced on
/// stdout. It never stops by itself.
fn kill_test_writer(path: &std::path::Path) {
    use std::io::Write;
    let kv = SledStore::open(path, 500).unwrap();
    let mut out = std::io::stdout();
    for i in 0u64.. {
        kv.write_batch(vec![
            KeyValueOp::Put(
                DBColumn::Block,
                format!("block_{i}").into_bytes(),
                vec![i as u8; 50_000],
            ),
            KeyValueOp::Put(
                DBColumn::ForkChoice,
                format!("done_{i}").into_bytes(),
                i.to_le_bytes().to_vec(),
            ),
        ])
        .unwrap();
        if i % 4 == 3 {
            kv.flush().unwrap();
            writeln!(out, "flushed {i}").unwrap();
            out.flush().unwrap();
        }
    }
}

#[test]
fn kill_dash_nine_mid_write_leaves_a_consistent_database() {
    if let Ok(path) = std::env::var("FRESNEL_STORE_KILL_WRITER") {
        kill_test_writer(std::path::Path::new(&path));
        return;
    }
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(exe)
        .args([
            "--exact",
            "tests::kill_dash_nine_mid_write_leaves_a_consistent_database",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FRESNEL_STORE_KILL_WRITER", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut last_flushed = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("flushed ") {
            last_flushed = Some(n.trim().parse::<u64>().unwrap());
            if last_flushed >= Some(40) {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let last_flushed = last_flushed.expect("the writer flushed");

    let kv = SledStore::open(dir.path(), 500).expect("the database opens after kill -9");
    let mut i = 0u64;
    loop {
        let block = kv
            .get(DBColumn::Block, format!("block_{i}").as_bytes())
            .unwrap();
        let done = kv
            .get(DBColumn::ForkChoice, format!("done_{i}").as_bytes())
            .unwrap();
        assert_eq!(block.is_some(), done.is_some(), "batch {i} is half there");
        if block.is_none() {
            break;
        }
        assert_eq!(block.unwrap(), vec![i as u8; 50_000], "batch {i} corrupt");
        i += 1;
    }
    assert!(
        i > last_flushed,
        "flushed batch {last_flushed} lost (kept {i})"
    );
    // Nothing after the first missing batch survived (batches persist in order).
    for j in i..i + 100 {
        assert!(kv
            .get(DBColumn::ForkChoice, format!("done_{j}").as_bytes())
            .unwrap()
            .is_none());
    }
}
