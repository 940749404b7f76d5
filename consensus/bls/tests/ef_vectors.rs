//! The consensus-spec BLS test vectors (`general/phase0/bls`), run when the environment variable
//! `BLS_VECTORS_DIR` names a directory laid out as `<handler>/small/<case>/data.yaml`.

use std::path::{Path, PathBuf};

use bls::{AggregateSignature, PublicKey, SecretKey, Signature};
use serde_yaml::Value;

fn vectors_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("BLS_VECTORS_DIR")?);
    // Naming a directory that isn't there is a mistake, never a reason to skip.
    assert!(
        dir.is_dir(),
        "BLS_VECTORS_DIR={} is not a directory",
        dir.display()
    );
    Some(dir)
}

fn cases(dir: &Path, handler: &str) -> Vec<(String, Value)> {
    let handler_dir = dir.join(handler).join("small");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&handler_dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", handler_dir.display()))
        .map(|entry| entry.expect("dir entry").path())
        .collect();
    entries.sort();
    entries
        .into_iter()
        .map(|case| {
            let text = std::fs::read_to_string(case.join("data.yaml"))
                .unwrap_or_else(|e| panic!("reading {}: {e}", case.display()));
            let data: Value = serde_yaml::from_str(&text).expect("valid yaml");
            let name = case
                .file_name()
                .expect("case name")
                .to_string_lossy()
                .into_owned();
            (name, data)
        })
        .collect()
}

fn hex_bytes(value: &Value) -> Vec<u8> {
    let s = value.as_str().expect("hex string");
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).expect("valid hex")
}

fn hex_list(value: &Value) -> Vec<Vec<u8>> {
    value
        .as_sequence()
        .expect("list")
        .iter()
        .map(hex_bytes)
        .collect()
}

fn expected_bool(data: &Value) -> bool {
    data["output"].as_bool().expect("boolean output")
}

/// Decode every key, or `None` if any is invalid (the operation then fails).
fn pubkeys(values: &[Vec<u8>]) -> Option<Vec<PublicKey>> {
    values
        .iter()
        .map(|b| PublicKey::deserialize(b).ok())
        .collect()
}

fn run_sign(data: &Value) -> bool {
    let sk = SecretKey::deserialize(&hex_bytes(&data["input"]["privkey"]));
    let msg = hex_bytes(&data["input"]["message"]);
    let got = sk.ok().map(|sk| sk.sign(&msg).serialize().to_vec());
    let expected = (!data["output"].is_null()).then(|| hex_bytes(&data["output"]));
    got == expected
}

fn run_verify(data: &Value) -> bool {
    let input = &data["input"];
    let pk = PublicKey::deserialize(&hex_bytes(&input["pubkey"]));
    let sig = Signature::deserialize(&hex_bytes(&input["signature"]));
    let msg = hex_bytes(&input["message"]);
    let got = match (pk, sig) {
        (Ok(pk), Ok(sig)) => sig.verify(&pk, &msg),
        _ => false,
    };
    got == expected_bool(data)
}

fn run_aggregate(data: &Value) -> bool {
    let sigs: Option<Vec<Signature>> = hex_list(&data["input"])
        .iter()
        .map(|b| Signature::deserialize(b).ok())
        .collect();
    let got = sigs.and_then(|sigs| {
        let refs: Vec<&Signature> = sigs.iter().collect();
        AggregateSignature::aggregate(&refs)
            .ok()
            .map(|agg| agg.serialize().to_vec())
    });
    let expected = (!data["output"].is_null()).then(|| hex_bytes(&data["output"]));
    got == expected
}

fn run_fast_aggregate_verify(data: &Value) -> bool {
    let input = &data["input"];
    let pks = pubkeys(&hex_list(&input["pubkeys"]));
    let sig = Signature::deserialize(&hex_bytes(&input["signature"]));
    let msg = hex_bytes(&input["message"]);
    let got = match (pks, sig) {
        (Some(pks), Ok(sig)) => {
            let refs: Vec<&PublicKey> = pks.iter().collect();
            sig.fast_aggregate_verify(&refs, &msg)
        }
        _ => false,
    };
    got == expected_bool(data)
}

fn run_aggregate_verify(data: &Value) -> bool {
    let input = &data["input"];
    let pks = pubkeys(&hex_list(&input["pubkeys"]));
    let sig = Signature::deserialize(&hex_bytes(&input["signature"]));
    let msgs = hex_list(&input["messages"]);
    let got = match (pks, sig) {
        (Some(pks), Ok(sig)) => {
            let refs: Vec<&PublicKey> = pks.iter().collect();
            let msg_refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
            sig.aggregate_verify(&refs, &msg_refs)
        }
        _ => false,
    };
    got == expected_bool(data)
}

#[test]
fn ef_bls_vectors() {
    let Some(dir) = vectors_dir() else {
        eprintln!("BLS_VECTORS_DIR not set; skipping the consensus-spec BLS vectors");
        return;
    };
    type Runner = fn(&Value) -> bool;
    let handlers: [(&str, Runner); 5] = [
        ("sign", run_sign),
        ("verify", run_verify),
        ("aggregate", run_aggregate),
        ("fast_aggregate_verify", run_fast_aggregate_verify),
        ("aggregate_verify", run_aggregate_verify),
    ];
    let mut failures = vec![];
    let mut total = 0;
    for (handler, run) in handlers {
        let cases = cases(&dir, handler);
        assert!(!cases.is_empty(), "no cases for {handler}");
        for (name, data) in cases {
            total += 1;
            if !run(&data) {
                failures.push(format!("{handler}/{name}"));
            }
        }
    }
    eprintln!("ran {total} BLS vector cases, {} failed", failures.len());
    assert!(failures.is_empty(), "failing cases: {failures:#?}");
}
