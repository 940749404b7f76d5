//! Unit tests: each rule, watermarks, concurrency, durability across reopen, import and export.

use super::*;
use std::sync::{Arc, Barrier};
use types::{Hash256, PublicKeyBytes};

fn pk(n: u8) -> PublicKeyBytes {
    PublicKeyBytes::from([n; 48])
}

fn root(n: u8) -> Hash256 {
    Hash256::repeat_byte(n)
}

fn db() -> SlashingDatabase {
    let db = SlashingDatabase::open_in_memory(Hash256::ZERO).unwrap();
    db.register_validator(&pk(1)).unwrap();
    db
}

fn interchange_json(gvr: Hash256, blocks: &str, attestations: &str) -> String {
    format!(
        r#"{{"metadata": {{"interchange_format_version": "5", "genesis_validators_root": "{gvr}"}},
            "data": [{{"pubkey": "0x{}", "signed_blocks": [{blocks}], "signed_attestations": [{attestations}]}}]}}"#,
        "01".repeat(48)
    )
}

#[test]
fn double_block_proposal_refused_same_block_re_signed() {
    let db = db();
    assert_eq!(
        db.check_and_insert_block_proposal(&pk(1), 5, root(1)),
        Ok(Safe::Valid)
    );
    assert_eq!(
        db.check_and_insert_block_proposal(&pk(1), 5, root(1)),
        Ok(Safe::SameData)
    );
    assert_eq!(
        db.check_and_insert_block_proposal(&pk(1), 5, root(2)),
        Err(NotSafe::DoubleBlockProposal { slot: 5 })
    );
    // Other slots, earlier or later, are fine without a watermark.
    assert_eq!(
        db.check_and_insert_block_proposal(&pk(1), 4, root(3)),
        Ok(Safe::Valid)
    );
    assert!(matches!(
        db.check_and_insert_block_proposal(&pk(9), 6, root(1)),
        Err(NotSafe::UnregisteredValidator(_))
    ));
}

#[test]
fn double_vote_refused_same_attestation_re_signed() {
    let db = db();
    let att = |s, t, r| db.check_and_insert_attestation(&pk(1), s, t, root(r));
    assert_eq!(att(2, 3, 1), Ok(Safe::Valid));
    assert_eq!(att(2, 3, 1), Ok(Safe::SameData));
    assert_eq!(att(2, 3, 2), Err(NotSafe::DoubleVote { target: 3 }));
    // Same root, other source: still a double vote.
    assert_eq!(att(1, 3, 1), Err(NotSafe::DoubleVote { target: 3 }));
    assert_eq!(
        att(5, 4, 1),
        Err(NotSafe::SourceAfterTarget {
            source_epoch: 5,
            target_epoch: 4
        })
    );
}

#[test]
fn new_vote_surrounding_a_prior_one_refused() {
    let db = db();
    let att = |s, t| db.check_and_insert_attestation(&pk(1), s, t, root(1));
    assert_eq!(att(4, 8), Ok(Safe::Valid));
    assert_eq!(
        att(3, 9),
        Err(NotSafe::SurroundingVote {
            source_epoch: 3,
            target_epoch: 9,
            prior_source: 4,
            prior_target: 8
        })
    );
    // Sharing either end is no surround.
    assert_eq!(att(4, 9), Ok(Safe::Valid));
    assert_eq!(att(3, 7), Ok(Safe::Valid));
}

#[test]
fn new_vote_surrounded_by_a_prior_one_refused() {
    let db = db();
    let att = |s, t| db.check_and_insert_attestation(&pk(1), s, t, root(1));
    assert_eq!(att(2, 10), Ok(Safe::Valid));
    assert_eq!(
        att(3, 9),
        Err(NotSafe::SurroundedVote {
            source_epoch: 3,
            target_epoch: 9,
            prior_source: 2,
            prior_target: 10
        })
    );
    assert_eq!(att(2, 9), Ok(Safe::Valid));
    assert_eq!(att(3, 11), Ok(Safe::Valid));
}

#[test]
fn validators_are_independent() {
    let db = db();
    db.register_validator(&pk(2)).unwrap();
    assert_eq!(
        db.check_and_insert_block_proposal(&pk(1), 5, root(1)),
        Ok(Safe::Valid)
    );
    assert_eq!(
        db.check_and_insert_block_proposal(&pk(2), 5, root(2)),
        Ok(Safe::Valid)
    );
    assert_eq!(
        db.check_and_insert_attestation(&pk(1), 1, 10, root(1)),
        Ok(Safe::Valid)
    );
    assert_eq!(
        db.check_and_insert_attestation(&pk(2), 2, 3, root(2)),
        Ok(Safe::Valid)
    );
}

#[test]
fn values_beyond_sqlite_range_refused() {
    let db = db();
    assert_eq!(
        db.check_and_insert_block_proposal(&pk(1), u64::MAX, root(1)),
        Err(NotSafe::ValueOutOfRange(u64::MAX))
    );
    assert_eq!(
        db.check_and_insert_attestation(&pk(1), 1, u64::MAX, root(1)),
        Err(NotSafe::ValueOutOfRange(u64::MAX))
    );
    let json = interchange_json(Hash256::ZERO, r#"{"slot": "18446744073709551615"}"#, "");
    assert!(matches!(
        db.import_interchange_json(&json, Hash256::ZERO),
        Err(DatabaseError::ValueOutOfRange(u64::MAX))
    ));
}

#[test]
fn concurrent_signers_never_both_sign_a_slashable_pair() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(
        SlashingDatabase::open_or_create(&dir.path().join("sp.sqlite"), Hash256::ZERO).unwrap(),
    );
    db.register_validator(&pk(1)).unwrap();
    const THREADS: u8 = 8;
    let barrier = Arc::new(Barrier::new(THREADS.into()));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let (db, barrier) = (db.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let block = db.check_and_insert_block_proposal(&pk(1), 100, root(i));
                let vote = db.check_and_insert_attestation(&pk(1), 10, 11, root(i));
                // Each thread also tries one of a set of mutually surrounding votes.
                let (s, t) = (20 - u64::from(i), 30 + u64::from(i));
                let surround = db.check_and_insert_attestation(&pk(1), s, t, root(i));
                (block.is_ok(), vote.is_ok(), surround.is_ok())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.0).count(),
        1,
        "one block at 100"
    );
    assert_eq!(results.iter().filter(|r| r.1).count(), 1, "one vote for 11");
    assert_eq!(results.iter().filter(|r| r.2).count(), 1, "one nested vote");
}

#[test]
fn separate_handles_on_one_file_never_both_sign() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.sqlite");
    let handles: Vec<_> = (0..4u8)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let db = SlashingDatabase::open_or_create(&path, Hash256::ZERO)
                    .unwrap_or_else(|e| panic!("open: {e}"));
                db.register_validator(&pk(1))
                    .unwrap_or_else(|e| panic!("register: {e}"));
                db.check_and_insert_block_proposal(&pk(1), 7, root(i))
                    .is_ok()
            })
        })
        .collect();
    let signed = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|ok| *ok)
        .count();
    assert_eq!(signed, 1);
}

#[test]
fn records_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.sqlite");
    {
        let db = SlashingDatabase::open_or_create(&path, Hash256::ZERO).unwrap();
        db.register_validator(&pk(1)).unwrap();
        db.check_and_insert_block_proposal(&pk(1), 7, root(1))
            .unwrap();
        db.check_and_insert_attestation(&pk(1), 1, 2, root(1))
            .unwrap();
        let json = interchange_json(Hash256::ZERO, r#"{"slot": "20"}"#, "");
        db.import_interchange_json(&json, Hash256::ZERO).unwrap();
    }
    let db = SlashingDatabase::open_or_create(&path, Hash256::ZERO).unwrap();
    assert!(db.is_registered(&pk(1)).unwrap());
    assert_eq!(
        db.check_and_insert_attestation(&pk(1), 1, 2, root(1)),
        Ok(Safe::SameData)
    );
    assert_eq!(
        db.check_and_insert_attestation(&pk(1), 1, 2, root(2)),
        Err(NotSafe::DoubleVote { target: 2 })
    );
    assert!(matches!(
        db.check_and_insert_block_proposal(&pk(1), 20, root(2)),
        Err(NotSafe::BlockSlotAtOrBelowWatermark { watermark: 20, .. })
    ));
    assert_eq!(
        db.check_and_insert_block_proposal(&pk(1), 21, root(2)),
        Ok(Safe::Valid)
    );
}

#[test]
fn wrong_genesis_validators_root_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.sqlite");
    drop(SlashingDatabase::open_or_create(&path, Hash256::ZERO).unwrap());
    assert!(matches!(
        SlashingDatabase::open_or_create(&path, root(9)),
        Err(DatabaseError::GenesisValidatorsRootMismatch { .. })
    ));
    let db = db();
    // The interchange is for another chain.
    let json = interchange_json(root(5), "", "");
    assert!(matches!(
        db.import_interchange_json(&json, Hash256::ZERO),
        Err(DatabaseError::InterchangeForAnotherChain { .. })
    ));
    // The caller expects another chain than the database's.
    let json = interchange_json(root(5), "", "");
    assert!(matches!(
        db.import_interchange_json(&json, root(5)),
        Err(DatabaseError::GenesisValidatorsRootMismatch { .. })
    ));
    let other = SlashingDatabase::open_in_memory(root(5)).unwrap();
    assert!(matches!(
        other.import_interchange(&db.export_interchange().unwrap()),
        Err(DatabaseError::InterchangeForAnotherChain { .. })
    ));
}

#[test]
fn corrupt_interchange_is_an_error() {
    let db = db();
    let gvr = Hash256::ZERO;
    let bad = [
        String::new(),
        "{".to_string(),
        "{\"metadata\": 1}".to_string(),
        "[]".to_string(),
        interchange_json(gvr, r#"{"slot": "x"}"#, ""),
        interchange_json(gvr, r#"{"slot": "-1"}"#, ""),
        interchange_json(gvr, r#"{"slot": "5", "signing_root": "0x12"}"#, ""),
        interchange_json(gvr, "", r#"{"source_epoch": "1"}"#),
        interchange_json(
            gvr,
            "",
            r#"{"source_epoch": "1", "target_epoch": "2", "x": 1}"#,
        ),
        interchange_json(gvr, "", "").replace(&"01".repeat(48), "0102"),
        interchange_json(gvr, "", "")[..40].to_string(),
    ];
    for json in &bad {
        assert!(
            matches!(
                db.import_interchange_json(json, gvr),
                Err(DatabaseError::InvalidInterchange(_))
            ),
            "{json}"
        );
    }
    let wrong_version = interchange_json(gvr, "", "").replace("\"5\"", "\"4\"");
    assert!(matches!(
        db.import_interchange_json(&wrong_version, gvr),
        Err(DatabaseError::UnsupportedVersion(4))
    ));
    // Nothing was imported by the failures.
    assert_eq!(
        db.check_and_insert_block_proposal(&pk(1), 5, root(1)),
        Ok(Safe::Valid)
    );
}

#[test]
fn import_sets_minimal_watermarks() {
    let db = SlashingDatabase::open_in_memory(Hash256::ZERO).unwrap();
    let json = interchange_json(
        Hash256::ZERO,
        &format!(
            r#"{{"slot": "10", "signing_root": "{}"}}, {{"slot": "3"}}"#,
            root(1)
        ),
        r#"{"source_epoch": "5", "target_epoch": "6"}, {"source_epoch": "2", "target_epoch": "9"}"#,
    );
    assert_eq!(db.import_interchange_json(&json, Hash256::ZERO).unwrap(), 1);
    let block = |slot| db.check_and_insert_block_proposal(&pk(1), slot, root(1));
    // At or below slot 10 nothing, not even the same block again (minimal strategy).
    assert!(block(10).is_err());
    assert!(block(7).is_err());
    assert_eq!(block(11), Ok(Safe::Valid));
    let att = |s, t| db.check_and_insert_attestation(&pk(1), s, t, root(1));
    assert_eq!(
        att(4, 10),
        Err(NotSafe::SourceBelowWatermark {
            source_epoch: 4,
            watermark: 5
        })
    );
    assert_eq!(
        att(5, 9),
        Err(NotSafe::TargetAtOrBelowWatermark {
            target_epoch: 9,
            watermark: 9
        })
    );
    assert_eq!(att(5, 10), Ok(Safe::Valid));
    // A later, lower import never lowers a watermark; it raises it to what was signed here.
    let json = interchange_json(Hash256::ZERO, r#"{"slot": "1"}"#, "");
    db.import_interchange_json(&json, Hash256::ZERO).unwrap();
    assert!(matches!(
        block(11),
        Err(NotSafe::BlockSlotAtOrBelowWatermark { watermark: 11, .. })
    ));
    assert_eq!(block(12), Ok(Safe::Valid));
}

#[test]
fn slashable_import_is_merged_safely() {
    let db = db();
    db.check_and_insert_attestation(&pk(1), 3, 4, root(1))
        .unwrap();
    db.check_and_insert_block_proposal(&pk(1), 4, root(1))
        .unwrap();
    // Conflicts with both records and surrounds the attestation.
    let json = interchange_json(
        Hash256::ZERO,
        &format!(r#"{{"slot": "4", "signing_root": "{}"}}"#, root(2)),
        r#"{"source_epoch": "1", "target_epoch": "4"}, {"source_epoch": "2", "target_epoch": "5"}"#,
    );
    db.import_interchange_json(&json, Hash256::ZERO).unwrap();
    assert!(db
        .check_and_insert_block_proposal(&pk(1), 4, root(3))
        .is_err());
    assert!(db
        .check_and_insert_attestation(&pk(1), 3, 6, root(3))
        .is_ok());
    assert!(db
        .check_and_insert_attestation(&pk(1), 1, 7, root(3))
        .is_err());
}

#[test]
fn export_then_import_elsewhere_is_at_least_as_strict() {
    let db = db();
    db.check_and_insert_block_proposal(&pk(1), 7, root(1))
        .unwrap();
    db.check_and_insert_attestation(&pk(1), 3, 4, root(1))
        .unwrap();
    // A watermark no record reaches: an imported source above every record's.
    let json = interchange_json(
        Hash256::ZERO,
        r#"{"slot": "9"}"#,
        r#"{"source_epoch": "6", "target_epoch": "4"}"#,
    );
    db.import_interchange_json(&json, Hash256::ZERO).unwrap();
    let exported = db.export_interchange().unwrap();
    assert_eq!(exported.metadata.interchange_format_version, 5);
    let json = exported.to_json_string().unwrap();
    assert!(json.contains("\"interchange_format_version\": \"5\""));
    assert!(json.contains("\"slot\": \"7\""));
    let other = SlashingDatabase::open_in_memory(Hash256::ZERO).unwrap();
    other.import_interchange_json(&json, Hash256::ZERO).unwrap();
    // Exporting again gives the same file.
    assert_eq!(other.export_interchange().unwrap(), exported);
    for d in [&db, &other] {
        assert!(d
            .check_and_insert_block_proposal(&pk(1), 9, root(1))
            .is_err());
        assert!(d
            .check_and_insert_attestation(&pk(1), 5, 6, root(1))
            .is_err());
        assert!(d
            .check_and_insert_attestation(&pk(1), 3, 5, root(1))
            .is_err());
        assert_eq!(
            d.check_and_insert_block_proposal(&pk(1), 10, root(1)),
            Ok(Safe::Valid)
        );
        assert_eq!(
            d.check_and_insert_attestation(&pk(1), 6, 7, root(1)),
            Ok(Safe::Valid)
        );
    }
    // No two attestations of one validator share a target in the file.
    let targets: Vec<_> = exported.data[0]
        .signed_attestations
        .iter()
        .map(|a| a.target_epoch)
        .collect();
    let mut unique = targets.clone();
    unique.dedup();
    assert_eq!(targets.len(), unique.len(), "{targets:?}");
}
