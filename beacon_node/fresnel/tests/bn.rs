//! `fresnel bn` as a process on 127.0.0.1: it starts from an interop genesis, serves the
//! API, stops cleanly on SIGTERM, and resumes from its database. A network without a
//! genesis state fails at once with a message saying so. A checkpoint start with
//! `--wss-checkpoint` refuses a state that is not the checkpoint or is too old.

mod common;

use common::{get_json, get_ssz, http_request, sigterm_and_wait, wait_for_api};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// Start the node and wait (on its output, not a timer) until the API listens.
fn start(datadir: &str, genesis_time: u64) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fresnel"))
        .args([
            "bn",
            "--port",
            "0",
            "--disable-discovery",
            "--network",
            "minimal",
            "--interop-validators",
            "64",
            "--genesis-time",
            &genesis_time.to_string(),
            "--http-port",
            "0",
            "--datadir",
            datadir,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("fresnel runs");
    let (addr, _) = wait_for_api(&mut child);
    (child, addr)
}

fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    http_request(addr, "GET", path)
}

#[test]
fn starts_serves_stops_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().to_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (mut child, addr) = start(datadir, now);
    let (status, body) = http_get(addr, "/eth/v1/beacon/genesis");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!("\"genesis_time\":\"{now}\"")),
        "{body}"
    );
    let (status, _) = http_get(addr, "/eth/v1/beacon/states/head/finality_checkpoints");
    assert_eq!(status, 200);
    let identity = get_json(addr, "/eth/v1/node/identity")["data"].clone();
    assert!(
        identity["enr"].as_str().unwrap().starts_with("enr:"),
        "{identity}"
    );
    assert_eq!(identity["metadata"]["attnets"], "0x0000000000000000");
    let peer_id = identity["peer_id"].as_str().unwrap().to_string();
    let (status, _) = http_get(addr, &format!("/eth/v1/node/peers/{peer_id}"));
    assert_eq!(status, 404, "a lone node knows no peer");
    let (status, _) = http_get(addr, "/eth/v1/node/peers/localhost");
    assert_eq!(status, 400, "not a peer id");
    assert!(
        sigterm_and_wait(&mut child).success(),
        "clean exit on SIGTERM"
    );

    // Another chain in this datadir is refused.
    let out = Command::new(env!("CARGO_BIN_EXE_fresnel"))
        .args([
            "bn",
            "--port",
            "0",
            "--disable-discovery",
            "--network",
            "minimal",
            "--interop-validators",
            "64",
            "--genesis-time",
            &(now + 1000).to_string(),
            "--no-http",
            "--datadir",
            datadir,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds another chain"));

    // Resumes from the database, with the same identity.
    let (mut child, addr) = start(datadir, now);
    let (status, body) = http_get(addr, "/eth/v1/beacon/genesis");
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!("\"genesis_time\":\"{now}\"")),
        "{body}"
    );
    let identity = get_json(addr, "/eth/v1/node/identity");
    assert_eq!(identity["data"]["peer_id"].as_str(), Some(peer_id.as_str()));
    assert!(sigterm_and_wait(&mut child).success());
}

#[test]
fn a_network_without_genesis_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fresnel"))
        .args([
            "bn",
            "--port",
            "0",
            "--disable-discovery",
            "--network",
            "pyrmont",
            "--datadir",
            dir.path().to_str().unwrap(),
            "--no-http",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no genesis state yet"), "{stderr}");
}

/// The genesis state and block (SSZ) and the genesis block root of an interop chain that
/// started `age_seconds` ago, fetched from a node's API.
fn genesis_checkpoint(dir: &std::path::Path, age_seconds: u64) -> (String, String, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let datadir = dir.join(format!("source-{age_seconds}"));
    let (mut child, addr) = start(datadir.to_str().unwrap(), now - age_seconds);
    let state = get_ssz(addr, "/eth/v1/debug/beacon/states/genesis");
    let block = get_ssz(addr, "/eth/v1/beacon/blocks/genesis");
    let root = get_json(addr, "/eth/v1/beacon/blocks/genesis/root")["data"]["root"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(sigterm_and_wait(&mut child).success());
    let state_file = dir.join(format!("state-{age_seconds}.ssz"));
    let block_file = dir.join(format!("block-{age_seconds}.ssz"));
    std::fs::write(&state_file, state).unwrap();
    std::fs::write(&block_file, block).unwrap();
    (
        state_file.to_str().unwrap().into(),
        block_file.to_str().unwrap().into(),
        root,
    )
}

fn checkpoint_start(dir: &std::path::Path, state: &str, block: &str, wss: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fresnel"));
    command.args([
        "bn",
        "--port",
        "0",
        "--disable-discovery",
        "--network",
        "minimal",
        "--checkpoint-state",
        state,
        "--checkpoint-block",
        block,
        "--wss-checkpoint",
        wss,
        "--http-port",
        "0",
        "--datadir",
    ]);
    // A fresh datadir each time: a database that holds a chain would be resumed instead.
    static STARTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    command.arg(dir.join(format!("node-{n}")));
    command
}

#[test]
fn a_checkpoint_start_is_held_to_the_weak_subjectivity_checkpoint() {
    let dir = tempfile::tempdir().unwrap();

    // A recent checkpoint that matches: the node starts and serves it.
    let (state, block, root) = genesis_checkpoint(dir.path(), 0);
    let mut child = checkpoint_start(dir.path(), &state, &block, &format!("{root}:0"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (addr, _) = wait_for_api(&mut child);
    let served = get_json(addr, "/eth/v1/beacon/blocks/head/root");
    assert_eq!(served["data"]["root"].as_str(), Some(root.as_str()));
    assert!(sigterm_and_wait(&mut child).success());

    // Another root, or another epoch: refused, naming the mismatch.
    let other_root = format!("0x{}", "ab".repeat(32));
    for (wss, expected) in [
        (
            format!("{other_root}:0"),
            "not the weak subjectivity checkpoint's root",
        ),
        (format!("{root}:1"), "names epoch 1"),
    ] {
        let out = checkpoint_start(dir.path(), &state, &block, &wss)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{wss} must be refused");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{wss}: {stderr}");
    }

    // A malformed flag is a usage error.
    let out = checkpoint_start(dir.path(), &state, &block, "0x1234:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("64 hex digits"));

    // A checkpoint older than its weak subjectivity period (256 epochs for 64 validators on
    // the minimal preset, 6-second slots): refused.
    let age = 257 * 8 * 6 + 60;
    let (state, block, root) = genesis_checkpoint(dir.path(), age);
    let out = checkpoint_start(dir.path(), &state, &block, &format!("{root}:0"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("older than its weak subjectivity period"),
        "{stderr}"
    );
}
