//! Unit tests: each rule, concurrency, durability across reopen.

use super::*;
use std::sync::Arc;
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

#[test]
fn blocks_double_proposals_and_re_signing() {
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
    assert!(matches!(
        db.check_and_insert_block_proposal(&pk(9), 6, root(1)),
        Err(NotSafe::UnregisteredValidator(_))
    ));
}

#[test]
fn attestation_rules() {
    let db = db();
    let att = |s, t, r| db.check_and_insert_attestation(&pk(1), s, t, root(r));
    assert_eq!(att(2, 3, 1), Ok(Safe::Valid));
    assert_eq!(att(2, 3, 1), Ok(Safe::SameData));
    assert_eq!(att(2, 3, 2), Err(NotSafe::DoubleVote { target: 3 }));
    assert!(matches!(
        att(5, 4, 1),
        Err(NotSafe::SourceAfterTarget { .. })
    ));
    assert_eq!(att(4, 8, 1), Ok(Safe::Valid));
    // (5, 7) is surrounded by (4, 8); (1, 10) surrounds both.
    assert!(matches!(att(5, 7, 1), Err(NotSafe::SurroundedVote { .. })));
    assert!(matches!(
        att(1, 10, 1),
        Err(NotSafe::SurroundingVote { .. })
    ));
    // Same source, later target is fine.
    assert_eq!(att(4, 9, 1), Ok(Safe::Valid));
}

#[test]
fn concurrent_signers_never_both_sign_a_slashable_pair() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(
        SlashingDatabase::open_or_create(&dir.path().join("sp.sqlite"), Hash256::ZERO).unwrap(),
    );
    db.register_validator(&pk(1)).unwrap();
    let handles: Vec<_> = (0..8u8)
        .map(|i| {
            let db = db.clone();
            std::thread::spawn(move || {
                let block = db
                    .check_and_insert_block_proposal(&pk(1), 100, root(i))
                    .is_ok();
                let vote = db
                    .check_and_insert_attestation(&pk(1), 10, 11, root(i))
                    .is_ok();
                (block, vote)
            })
        })
        .collect();
    let results: Vec<(bool, bool)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.0).count(),
        1,
        "one block at slot 100"
    );
    assert_eq!(
        results.iter().filter(|r| r.1).count(),
        1,
        "one vote for target 11"
    );
}

#[test]
fn records_survive_reopening_and_another_chain_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.sqlite");
    {
        let db = SlashingDatabase::open_or_create(&path, Hash256::ZERO).unwrap();
        db.register_validator(&pk(1)).unwrap();
        db.check_and_insert_block_proposal(&pk(1), 7, root(1))
            .unwrap();
        db.check_and_insert_attestation(&pk(1), 1, 2, root(1))
            .unwrap();
    }
    let db = SlashingDatabase::open_or_create(&path, Hash256::ZERO).unwrap();
    assert!(db
        .check_and_insert_block_proposal(&pk(1), 7, root(2))
        .is_err());
    assert!(db
        .check_and_insert_attestation(&pk(1), 1, 2, root(2))
        .is_err());
    drop(db);
    assert!(matches!(
        SlashingDatabase::open_or_create(&path, root(9)),
        Err(DatabaseError::GenesisValidatorsRootMismatch { .. })
    ));
}

#[test]
fn export_then_import_elsewhere_is_at_least_as_strict() {
    let db = db();
    db.check_and_insert_block_proposal(&pk(1), 7, root(1))
        .unwrap();
    db.check_and_insert_attestation(&pk(1), 3, 4, root(1))
        .unwrap();
    let exported = db.export_interchange().unwrap();
    let json = exported.to_json_string().unwrap();
    let other = SlashingDatabase::open_in_memory(Hash256::ZERO).unwrap();
    other
        .import_interchange(&Interchange::from_json_str(&json).unwrap())
        .unwrap();
    assert!(other
        .check_and_insert_block_proposal(&pk(1), 7, root(1))
        .is_err());
    assert!(other
        .check_and_insert_attestation(&pk(1), 3, 4, root(1))
        .is_err());
    assert_eq!(
        other.check_and_insert_block_proposal(&pk(1), 8, root(1)),
        Ok(Safe::Valid)
    );
    // Another chain's interchange is refused; so is garbage.
    let wrong = SlashingDatabase::open_in_memory(root(5)).unwrap();
    assert!(matches!(
        wrong.import_interchange(&exported),
        Err(DatabaseError::InterchangeForAnotherChain { .. })
    ));
    assert!(Interchange::from_json_str("{\"metadata\": 1}").is_err());
}
