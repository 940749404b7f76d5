//! Helpers for tests that run the real `fresnel` binary as processes on 127.0.0.1.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Lines, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command};
use std::time::Duration;

/// Read the child's stdout until the node prints its API address (no timers: the line is
/// printed once the socket is bound).
pub fn wait_for_api(child: &mut Child) -> (SocketAddr, Lines<BufReader<ChildStdout>>) {
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines
            .next()
            .expect("the node printed its address before exiting")
            .expect("readable stdout");
        if let Some(url) = line.strip_prefix("http_api listening on http://") {
            return (url.parse().expect("an address"), lines);
        }
    }
}

/// One HTTP/1.0 request with extra `headers` (each line ending in CRLF): the status (0 when
/// the answer is not HTTP) and the body, read to the end of the connection.
pub fn http_exchange(addr: SocketAddr, method: &str, path: &str, headers: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).expect("the API accepts connections");
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{headers}\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let Some(head_end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (0, Vec::new());
    };
    let status = String::from_utf8_lossy(&response[..head_end])
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response[head_end + 4..].to_vec())
}

/// One HTTP/1.0 request without a body: the status and the body as text.
pub fn http_request(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let (status, body) = http_exchange(addr, method, path, "");
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// GET with `Accept: application/octet-stream`, expecting 200: the SSZ body.
pub fn get_ssz(addr: SocketAddr, path: &str) -> Vec<u8> {
    let (status, body) = http_exchange(addr, "GET", path, "Accept: application/octet-stream\r\n");
    assert_eq!(
        status,
        200,
        "GET {path}: {}",
        String::from_utf8_lossy(&body)
    );
    body
}

/// GET, expecting 200 and JSON.
pub fn get_json(addr: SocketAddr, path: &str) -> serde_json::Value {
    let (status, body) = http_request(addr, "GET", path);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

/// GET, returning the status and the body as JSON (Null when not JSON).
pub fn get(addr: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let (status, body) = http_request(addr, "GET", path);
    (
        status,
        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    )
}

/// The node's event stream, read event by event. Each read waits at most `bound` (a liveness
/// bound: the chain stalled or the node died), never a fixed time.
pub struct EventStream {
    reader: BufReader<TcpStream>,
    bound: Duration,
}

impl EventStream {
    pub fn open(addr: SocketAddr, topics: &str, bound: Duration) -> Self {
        let mut stream = TcpStream::connect(addr).expect("the API accepts connections");
        // `topics` comma-separated here; on the wire one `topics=` each, which every client
        // reads (Lodestar reads no other form).
        let query: Vec<String> = topics.split(',').map(|t| format!("topics={t}")).collect();
        let query = query.join("&");
        write!(
            stream,
            "GET /eth/v1/events?{query} HTTP/1.0\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        EventStream {
            reader: BufReader::new(stream),
            bound,
        }
    }

    /// The next event's topic and data. The bound is on the event, not on each read: the
    /// stream's keep-alive comments would otherwise extend it for ever.
    pub fn next_event(&mut self) -> (String, serde_json::Value) {
        let deadline = std::time::Instant::now() + self.bound;
        let mut topic = None;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(
                !left.is_zero(),
                "no event within the liveness bound {:?}",
                self.bound
            );
            self.reader.get_ref().set_read_timeout(Some(left)).unwrap();
            let mut line = String::new();
            let read = self
                .reader
                .read_line(&mut line)
                .expect("an event within the liveness bound");
            assert!(read > 0, "the event stream stays open");
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(t) = line.strip_prefix("event:") {
                topic = Some(t.trim().to_string());
            } else if let Some(data) = line.strip_prefix("data:") {
                if let Some(topic) = topic.take() {
                    return (topic, serde_json::from_str(data.trim()).unwrap());
                }
            }
        }
    }

    /// Read events until a finalized checkpoint of at least `epoch`; returns its epoch.
    pub fn wait_for_finalized(&mut self, epoch: u64) -> u64 {
        loop {
            let (topic, data) = self.next_event();
            if topic == "finalized_checkpoint" {
                let finalized: u64 = data["epoch"].as_str().unwrap().parse().unwrap();
                if finalized >= epoch {
                    return finalized;
                }
            }
        }
    }

    /// Read events until the next head event; returns its slot.
    pub fn wait_for_head(&mut self) -> u64 {
        loop {
            let (topic, data) = self.next_event();
            if topic == "head" {
                return data["slot"].as_str().unwrap().parse().unwrap();
            }
        }
    }
}

/// SIGKILL, and reap.
pub fn kill_9(child: &mut Child) {
    Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    let _ = child.wait();
}

/// SIGTERM, and wait for the exit.
pub fn sigterm_and_wait(child: &mut Child) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap()
}

/// Wait until something accepts connections on `addr` (a process that is starting), checking
/// every 250 ms; panics after `bound`.
pub fn wait_for_listener(addr: SocketAddr, bound: Duration) {
    let deadline = std::time::Instant::now() + bound;
    while TcpStream::connect(addr).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing listens on {addr} after {bound:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A port that was free a moment ago (for a node that must come back on the same port).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A testnet directory's config.yaml: the minimal preset with `seconds_per_slot`.
pub fn write_minimal_testnet(dir: &std::path::Path, seconds_per_slot: u64) {
    std::fs::create_dir_all(dir).unwrap();
    let mut spec = types::ChainSpec::minimal();
    spec.seconds_per_slot = seconds_per_slot;
    let mut config = String::new();
    for (key, value) in eth2_config::config_values(&spec) {
        config.push_str(&format!("{key}: '{value}'\n"));
    }
    // What another client needs to stay on phase 0 (as `lcli write-config` writes it).
    config.push_str("PRESET_BASE: 'minimal'\n");
    for (key, value) in eth2_config::later_fork_values(&spec) {
        config.push_str(&format!("{key}: '{value}'\n"));
    }
    std::fs::write(dir.join("config.yaml"), config).unwrap();
}

/// A minimal-preset testnet directory (see [`write_minimal_testnet`]) with an interop
/// genesis.ssz of `validators`, genesis `genesis_delay` seconds from now.
pub fn write_interop_testnet(
    dir: &std::path::Path,
    validators: u64,
    seconds_per_slot: u64,
    genesis_delay: u64,
) {
    write_minimal_testnet(dir, seconds_per_slot);
    let mut spec = types::ChainSpec::minimal();
    spec.seconds_per_slot = seconds_per_slot;
    let genesis_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + genesis_delay;
    let state = state_processing::genesis::interop_genesis_state::<types::MinimalEthSpec>(
        validators,
        genesis_time,
        &spec,
    )
    .unwrap();
    std::fs::write(dir.join("genesis.ssz"), ssz::Encode::as_ssz_bytes(&state)).unwrap();
}

/// A `fresnel boot_node` for `testnet` on 127.0.0.1 (killed when the guard drops) and its ENR.
pub fn start_boot_node(testnet: &std::path::Path, datadir: &std::path::Path) -> (Guard, String) {
    let mut boot = Command::new(env!("CARGO_BIN_EXE_fresnel"))
        .args(["boot_node", "--testnet-dir"])
        .arg(testnet)
        .args(["--enr-address", "127.0.0.1", "--port"])
        .arg(free_port().to_string())
        .arg("--datadir")
        .arg(datadir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("fresnel boot_node runs");
    let stdout = boot.stdout.take().expect("stdout is piped");
    let enr = BufReader::new(stdout)
        .lines()
        .next()
        .expect("the boot node prints its ENR")
        .unwrap();
    assert!(enr.starts_with("enr:"), "{enr}");
    (Guard(boot), enr)
}

/// A `fresnel vc` for `testnet` with the keystores of `validators`/`secrets`, through
/// `beacon_nodes` (comma-separated URLs), logging to `log`.
pub fn start_vc(
    testnet: &std::path::Path,
    beacon_nodes: &str,
    validators: &std::path::Path,
    secrets: &std::path::Path,
    log: std::process::Stdio,
    first_run: bool,
) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fresnel"));
    command
        .args(["vc", "--testnet-dir"])
        .arg(testnet)
        .args(["--beacon-nodes", beacon_nodes])
        .arg("--validators-dir")
        .arg(validators)
        .arg("--secrets-dir")
        .arg(secrets)
        .stdout(std::process::Stdio::null())
        .stderr(log);
    if first_run {
        command.arg("--init-slashing-protection");
    }
    command.spawn().expect("fresnel vc runs")
}

/// The interop keys of `indices` as pbkdf2 keystores in a validator client's directories,
/// as the local testnet script writes them.
pub fn write_interop_keystores(
    validators: &std::path::Path,
    secrets: &std::path::Path,
    indices: std::ops::Range<u64>,
) {
    let dirs = account_manager::ValidatorsDir {
        validators: validators.to_path_buf(),
        secrets: secrets.to_path_buf(),
    };
    for index in indices {
        let secret = eth2_interop_keypairs::interop_secret_key(index);
        let password = format!("password-{index}");
        let keystore = eth2_keystore::Keystore::encrypt(
            &secret,
            &password,
            "",
            eth2_keystore::Kdf::Pbkdf2,
            None,
        )
        .unwrap();
        account_manager::store_keystore(&keystore, &password, &dirs).unwrap();
    }
}

/// A child process killed (SIGKILL) when the test lets go of it, pass or fail.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Print the last `lines` lines of each log in `dir` (for a failed test), skipping lines
/// that contain `skip`.
pub fn print_log_tails(dir: &std::path::Path, logs: &[String], lines: usize, skip: &str) {
    for log in logs {
        let text = std::fs::read_to_string(dir.join(log)).unwrap_or_default();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| skip.is_empty() || !l.contains(skip))
            .collect();
        eprintln!("--- last lines of {log} ---");
        for line in &kept[kept.len().saturating_sub(lines)..] {
            eprintln!("{line}");
        }
    }
}

/// `name` in `dir`, opened for appending, as a child's stdout or stderr.
pub fn log_file(dir: &std::path::Path, name: &str) -> std::process::Stdio {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .unwrap();
    std::process::Stdio::from(file)
}

/// The fork digest of the chain a node's API serves (its genesis fork version and genesis
/// validators root: phase 0 has no other fork).
pub fn fork_digest(api: SocketAddr) -> [u8; 4] {
    let genesis = get_json(api, "/eth/v1/beacon/genesis");
    let hex_field = |name: &str| {
        hex::decode(
            genesis["data"][name]
                .as_str()
                .unwrap()
                .trim_start_matches("0x"),
        )
        .unwrap()
    };
    let version: [u8; 4] = hex_field("genesis_fork_version").try_into().unwrap();
    let root = types::Hash256::from_slice(&hex_field("genesis_validators_root"));
    types::signing::compute_fork_digest(version, root)
}

/// A req/resp behaviour for one eth2 method, both directions, for test peers written as
/// libp2p swarms.
pub fn rpc_behaviour<E: types::EthSpec>(
    method: network::rpc::Method,
) -> libp2p::request_response::Behaviour<network::rpc::Eth2Codec<E>> {
    libp2p::request_response::Behaviour::with_codec(
        network::rpc::Eth2Codec::new(method),
        [(
            libp2p::StreamProtocol::new(method.protocol_id()),
            libp2p::request_response::ProtocolSupport::Full,
        )],
        libp2p::request_response::Config::default(),
    )
}

/// A TCP relay on 127.0.0.1 to `target` that holds every connection it accepts until
/// [`GatedRelay::open`]: it decides *when* a node can reach a real peer, without touching
/// either (bytes pass through unchanged, so the peer's identity is checked end to end).
pub struct GatedRelay {
    pub port: u16,
    gate: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
}

impl GatedRelay {
    pub fn start(target: SocketAddr) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let gate = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let shared = gate.clone();
        std::thread::spawn(move || {
            for inbound in listener.incoming().flatten() {
                let gate = shared.clone();
                std::thread::spawn(move || {
                    let (open, opened) = &*gate;
                    let mut is_open = open.lock().unwrap();
                    while !*is_open {
                        is_open = opened.wait(is_open).unwrap();
                    }
                    drop(is_open);
                    let Ok(outbound) = TcpStream::connect(target) else {
                        return;
                    };
                    let pipe = |mut from: TcpStream, mut to: TcpStream| {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                        let _ = from.shutdown(std::net::Shutdown::Both);
                    };
                    let (in2, out2) = (inbound.try_clone().unwrap(), outbound.try_clone().unwrap());
                    std::thread::spawn(move || pipe(in2, out2));
                    pipe(outbound, inbound);
                });
            }
        });
        GatedRelay { port, gate }
    }

    /// Let held and later connections through.
    pub fn open(&self) {
        let (open, opened) = &*self.gate;
        *open.lock().unwrap() = true;
        opened.notify_all();
    }
}

/// `text` without terminal colour codes (the node colours its log).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ ... m
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
