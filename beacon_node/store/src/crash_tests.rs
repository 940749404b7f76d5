//! kill -9 in the middle of writes: the test re-runs its own binary as a writer, kills it
//! with SIGKILL once it has announced a few flushed batches, and checks the database.

use crate::test_utils::{assert_loads, config, spec, TestChain, E};
use crate::{DBColumn, HotColdDB, StoreConfig, StoreOp};
use ssz::{Decode, Encode};
use ssz_derive::{Decode, Encode};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use types::Hash256;

/// Set (to the database path) in the child process.
const WRITER_ENV: &str = "FRESNEL_STORE_CRASH_WRITER_DB";
const TEST_NAME: &str = "crash_tests::kill_dash_nine_loses_only_unflushed_batches_each_whole";
/// Flushed batches the parent waits for before it kills the writer.
const FLUSHES_BEFORE_KILL: usize = 4;

/// What each batch records about itself, in the same batch.
#[derive(Debug, Encode, Decode)]
struct BatchRecord {
    block_root: Hash256,
    state_root: Hash256,
    /// Bulk, so that writing (not building) a batch takes most of the writer's time and the
    /// kill tends to land in the middle of a write.
    padding: Vec<u8>,
}

fn record_key(number: u64) -> Vec<u8> {
    [&b"batch"[..], &number.to_be_bytes()].concat()
}

/// sled's own flusher runs every 2 ms here, so unflushed batches reach the disk too and the
/// kill may land in the middle of persisting one.
fn store_config() -> StoreConfig {
    StoreConfig {
        flush_every_ms: 2,
        ..config()
    }
}

/// The child: one block per slot, each batch with its block, its post-state (summary, or the
/// whole state at epoch boundaries) and its record. Each write is announced before it starts,
/// and every third batch is flushed, then announced. Stops when the parent goes away (or
/// after many batches).
fn run_writer(path: &Path) -> ! {
    let db = HotColdDB::<E>::open(path, store_config(), spec()).unwrap();
    let mut chain = TestChain::genesis(&db);
    let mut head = chain.genesis_block;
    let mut out = std::io::stdout();
    for number in 0u64..10_000 {
        let (mut ops, block_root) = chain.make_block(head, number + 1, 0);
        let state_root = chain.block(block_root).message.state_root;
        let record = BatchRecord {
            block_root,
            state_root,
            padding: vec![number as u8; 1 << 20],
        };
        ops.push(StoreOp::PutItem(
            DBColumn::ForkChoice,
            record_key(number),
            record.as_ssz_bytes(),
        ));
        let mut say = |what: &str| writeln!(out, "{what} {number}").and_then(|()| out.flush());
        if say("writing").is_err() {
            break;
        }
        db.do_atomically(ops).unwrap();
        if number % 3 == 2 {
            db.flush().unwrap();
            if say("flushed").is_err() {
                break;
            }
        }
        chain.states.retain(|root, _| *root == state_root);
        chain.blocks.retain(|root, _| *root == block_root);
        head = block_root;
    }
    std::process::exit(0)
}

#[test]
fn kill_dash_nine_loses_only_unflushed_batches_each_whole() {
    if let Some(path) = std::env::var_os(WRITER_ENV) {
        run_writer(Path::new(&path));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(WRITER_ENV, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Wait for a few flushed batches, then kill as the writer starts the next write.
    let mut flushed = Vec::new();
    let mut writes_after_flush = 0;
    for line in BufReader::new(stdout).lines() {
        // The harness may print the test's name on the same line as its first output.
        let line = line.unwrap();
        if let Some((_, number)) = line.split_once("flushed ") {
            flushed.push(number.trim().parse::<u64>().unwrap());
        } else if line.contains("writing ") && flushed.len() >= FLUSHES_BEFORE_KILL {
            // The second write after the last flush: the first (unflushed) may or may not
            // have reached the disk through sled's own flusher.
            writes_after_flush += 1;
            if writes_after_flush == 2 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(
        flushed.len(),
        FLUSHES_BEFORE_KILL,
        "the writer stopped: {status}"
    );
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "{status}");
    }

    let db = HotColdDB::<E>::open(dir.path(), store_config(), spec())
        .expect("the database opens after kill -9");
    let anchor = db.anchor().expect("the anchor was flushed");
    let mut records = BTreeMap::new();
    for entry in db.kv.iter_column(DBColumn::ForkChoice) {
        let (key, value) = entry.unwrap();
        let number = u64::from_be_bytes(key[5..].try_into().unwrap());
        let record = BatchRecord::from_ssz_bytes(&value).unwrap();
        assert_eq!(
            record.padding,
            vec![number as u8; 1 << 20],
            "batch {number} torn"
        );
        records.insert(number, record);
    }
    // Every flushed batch is there; batches persist in order, so the ones there are a prefix.
    for number in &flushed {
        assert!(records.contains_key(number), "flushed batch {number} lost");
    }
    let numbers: Vec<u64> = records.keys().copied().collect();
    assert_eq!(numbers, (0..numbers.len() as u64).collect::<Vec<_>>());
    // Every batch there is whole: its block and state are there and the state loads...
    for record in records.values() {
        assert!(db.block_exists(&record.block_root).unwrap());
        assert!(db.get_state_summary(&record.state_root).unwrap().is_some());
        assert_loads(&db, record.state_root);
    }
    // ...and nothing of a batch whose record is missing made it.
    let blocks: HashSet<Hash256> = records
        .values()
        .map(|r| r.block_root)
        .chain([anchor.block_root])
        .collect();
    let states: HashSet<Hash256> = records
        .values()
        .map(|r| r.state_root)
        .chain([anchor.state_root])
        .collect();
    let keys = |column| -> Vec<Hash256> {
        db.kv
            .iter_column(column)
            .map(|e| Hash256::try_from(e.unwrap().0.as_slice()).unwrap())
            .collect()
    };
    for root in keys(DBColumn::Block) {
        assert!(
            blocks.contains(&root),
            "block {root:?} without its batch record"
        );
    }
    for column in [DBColumn::HotStateSummary, DBColumn::HotState] {
        for root in keys(column) {
            assert!(
                states.contains(&root),
                "{column:?} {root:?} without its batch record"
            );
        }
    }
    eprintln!(
        "kill -9 after flushed batches {flushed:?}: {} batches on disk",
        records.len()
    );
}
