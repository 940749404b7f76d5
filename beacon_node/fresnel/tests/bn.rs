//! `fresnel bn` as a process on 127.0.0.1: it starts from an interop genesis, serves the
//! API, stops cleanly on SIGTERM, and resumes from its database. A network without a
//! genesis state fails at once with a message saying so.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};

/// Start the node and wait (on its output, not a timer) until the API listens.
fn start(datadir: &str, genesis_time: u64) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fresnel"))
        .args([
            "bn",
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
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("the node printed its address").unwrap();
        if let Some(url) = line.strip_prefix("http_api listening on http://") {
            break url.parse().unwrap();
        }
    };
    (child, addr)
}

fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn sigterm_and_wait(mut child: Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    child.wait().unwrap()
}

#[test]
fn starts_serves_stops_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().to_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (child, addr) = start(datadir, now);
    let (status, body) = http_get(addr, "/eth/v1/beacon/genesis");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!("\"genesis_time\":\"{now}\"")),
        "{body}"
    );
    let (status, _) = http_get(addr, "/eth/v1/beacon/states/head/finality_checkpoints");
    assert_eq!(status, 200);
    assert!(sigterm_and_wait(child).success(), "clean exit on SIGTERM");

    // Another chain in this datadir is refused.
    let out = Command::new(env!("CARGO_BIN_EXE_fresnel"))
        .args([
            "bn",
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

    // Resumes from the database.
    let (child, addr) = start(datadir, now);
    let (status, body) = http_get(addr, "/eth/v1/beacon/genesis");
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!("\"genesis_time\":\"{now}\"")),
        "{body}"
    );
    assert!(sigterm_and_wait(child).success());
}

#[test]
fn a_network_without_genesis_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fresnel"))
        .args([
            "bn",
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
