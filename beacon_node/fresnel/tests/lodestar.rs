//! Fresnel and Lodestar 1.5.1 on one network, end to end on 127.0.0.1 (minimal preset,
//! 64 interop validators, 3-second slots, every later fork at FAR_FUTURE_EPOCH):
//! - a `fresnel boot_node`; a Fresnel `bn` + `vc` with validators 0–31 and a Lodestar beacon
//!   node + validator client with 32–63; no static peers (both find each other through the
//!   boot node). Both finalize epoch 4 or later with the same finalized root, their heads are
//!   equal at some slot, blocks of both clients' validators are on both canonical chains, and
//!   each node accepted the other's aggregates on gossip (read from each node's metrics);
//! - a fresh Fresnel node syncs from the Lodestar node alone, and a fresh Lodestar node from
//!   the Fresnel node alone, each up to its peer's head;
//! - the validator clients swap beacon nodes (Lodestar's signs through Fresnel's node, and
//!   Fresnel's through Lodestar's) for two epochs of finality, proposing on both sides.
//!
//! Lodestar is installed by `scripts/lodestar/install.sh` (npm, cached outside the clone) and
//! run by `scripts/lodestar/start.sh`; without npm the test fails and says so.
//! Waiting is on event streams and the APIs, each bounded by a liveness limit.

mod common;

use common::{free_port, get, get_json, EventStream, Guard};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const VALIDATORS: u64 = 64;
/// Validators 0..SPLIT are Fresnel's, SPLIT..VALIDATORS Lodestar's.
const SPLIT: u64 = 32;
const SECONDS_PER_SLOT: u64 = 3;
const SLOTS_PER_EPOCH: u64 = 8;
/// Time before genesis for every process (Lodestar takes ~10 s to start) to find its peers.
const GENESIS_DELAY: u64 = 40;
/// No event for this long means the chain (or a process) is stuck.
const LIVENESS_BOUND: Duration = Duration::from_secs(90);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn api(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn number(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a decimal string, not {v}"))
}

/// Installs Lodestar (cached) or fails the test saying why.
fn install_lodestar() {
    let out = Command::new(repo_root().join("scripts/lodestar/install.sh"))
        .output()
        .expect("scripts/lodestar/install.sh runs");
    assert!(
        out.status.success(),
        "Lodestar 1.5.1 could not be installed (the interop test needs node, npm and the npm \
         registry): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Processes started by `scripts/lodestar/start.sh` into `datadir`, stopped (by
/// `scripts/lodestar/stop.sh`, which stops exactly those) when dropped.
struct Lodestar {
    datadir: PathBuf,
}

impl Lodestar {
    fn start(datadir: PathBuf, args: &[&str]) -> Self {
        let status = Command::new(repo_root().join("scripts/lodestar/start.sh"))
            .arg("--datadir")
            .arg(&datadir)
            .args(args)
            .stdout(Stdio::null())
            .status()
            .expect("scripts/lodestar/start.sh runs");
        assert!(
            status.success(),
            "scripts/lodestar/start.sh {args:?} failed"
        );
        Lodestar { datadir }
    }

    fn stop(&self) {
        let _ = Command::new(repo_root().join("scripts/lodestar/stop.sh"))
            .arg(&self.datadir)
            .status();
    }
}

impl Drop for Lodestar {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Net {
    dir: PathBuf,
    testnet: PathBuf,
    boot_enr: String,
}

impl Net {
    fn log(&self, name: &str) -> Stdio {
        common::log_file(&self.dir, name)
    }

    fn start_bn(&self, name: &str, http_port: u16, metrics_port: u16, peers: &[&str]) -> Child {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fresnel"));
        command
            .args(["bn", "--testnet-dir"])
            .arg(&self.testnet)
            .args(["--listen-address", "127.0.0.1", "--port"])
            .arg(free_port().to_string())
            .args(["--http-port", &http_port.to_string()])
            .args(["--metrics", "--metrics-port", &metrics_port.to_string()])
            .args(["--log-level", "info,network=debug,router=debug"])
            .arg("--datadir")
            .arg(self.dir.join(name))
            .stdout(Stdio::piped())
            .stderr(self.log(&format!("{name}.log")));
        if peers.is_empty() {
            command.args(["--boot-nodes", &self.boot_enr]);
        } else {
            // Only these peers: no discovery.
            command
                .arg("--disable-discovery")
                .args(["--libp2p-addresses", &peers.join(",")]);
        }
        let mut child = command.spawn().expect("fresnel bn runs");
        common::wait_for_api(&mut child);
        child
    }

    fn start_vc(&self, beacon_node: SocketAddr, first_run: bool) -> Child {
        common::start_vc(
            &self.testnet,
            &format!("http://{beacon_node}"),
            &self.dir.join("validators"),
            &self.dir.join("secrets"),
            self.log("vc.log"),
            first_run,
        )
    }

    /// A Lodestar beacon node (`peer`: its only peer, else the boot node), no validators.
    fn start_lodestar_bn(
        &self,
        name: &str,
        http_port: u16,
        metrics_port: u16,
        peer: Option<&str>,
    ) -> Lodestar {
        let http = http_port.to_string();
        let p2p = free_port().to_string();
        let metrics = metrics_port.to_string();
        let testnet = self.testnet.display().to_string();
        let mut args = vec![
            "--testnet-dir",
            &testnet,
            "--port",
            &p2p,
            "--http-port",
            &http,
            "--metrics-port",
            &metrics,
        ];
        match peer {
            Some(enr) => args.extend(["--only-peer", enr]),
            None => args.extend(["--boot-enr", &self.boot_enr]),
        }
        let node = Lodestar::start(self.dir.join(name), &args);
        common::wait_for_listener(api(http_port), LIVENESS_BOUND);
        node
    }

    /// Lodestar's validator client with validators SPLIT..VALIDATORS, through `beacon_node`.
    fn start_lodestar_vc(&self, beacon_node: SocketAddr) -> Lodestar {
        let testnet = self.testnet.display().to_string();
        let url = format!("http://{beacon_node}");
        let indexes = format!("{SPLIT}..{}", VALIDATORS - 1);
        Lodestar::start(
            self.dir.join("lodestar-vc"),
            &[
                "--testnet-dir",
                &testnet,
                "--no-bn",
                "--beacon-url",
                &url,
                "--interop-indexes",
                &indexes,
            ],
        )
    }
}

/// The testnet directory (config with the later forks at FAR_FUTURE_EPOCH, genesis.ssz),
/// Fresnel's keystores and a running boot node.
fn setup(dir: &Path) -> (Net, Guard) {
    let testnet = dir.join("testnet");
    common::write_interop_testnet(&testnet, VALIDATORS, SECONDS_PER_SLOT, GENESIS_DELAY);
    common::write_interop_keystores(&dir.join("validators"), &dir.join("secrets"), 0..SPLIT);
    let (boot, boot_enr) = common::start_boot_node(&testnet, &dir.join("boot_node"));
    (
        Net {
            dir: dir.to_path_buf(),
            testnet,
            boot_enr,
        },
        boot,
    )
}

fn finalized(node: SocketAddr) -> (u64, String) {
    let checkpoints = get_json(node, "/eth/v1/beacon/states/head/finality_checkpoints");
    let finalized = &checkpoints["data"]["finalized"];
    (
        number(&finalized["epoch"]),
        finalized["root"].as_str().unwrap().to_string(),
    )
}

fn head(node: SocketAddr) -> (u64, String) {
    let header = get_json(node, "/eth/v1/beacon/headers/head");
    (
        number(&header["data"]["header"]["message"]["slot"]),
        header["data"]["root"].as_str().unwrap().to_string(),
    )
}

fn identity(node: SocketAddr) -> Value {
    get_json(node, "/eth/v1/node/identity")["data"].clone()
}

/// Proposer indices of the canonical blocks in `slots` (skipped slots left out).
fn proposers(node: SocketAddr, slots: std::ops::Range<u64>) -> Vec<u64> {
    slots
        .filter_map(|slot| {
            let (status, header) = get(node, &format!("/eth/v1/beacon/headers/{slot}"));
            (status == 200).then(|| number(&header["data"]["header"]["message"]["proposer_index"]))
        })
        .collect()
}

/// The sum of the samples of `metric` whose labels contain every one of `labels`.
fn metric_sum(metrics: SocketAddr, metric: &str, labels: &[&str]) -> f64 {
    let (status, text) = common::http_request(metrics, "GET", "/metrics");
    assert_eq!(status, 200, "metrics at {metrics}");
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")))
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Read `stream`'s head events until `done` holds (bounded: `limit` heads).
fn until(stream: &mut EventStream, limit: usize, what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..limit {
        if done() {
            return;
        }
        stream.wait_for_head();
    }
    assert!(done(), "{what}: not after {limit} heads");
}

#[test]
fn fresnel_and_lodestar_finalize_together_sync_from_each_other_and_swap_validator_clients() {
    install_lodestar();
    let tmp = tempfile::tempdir().unwrap();
    let (net, boot) = setup(tmp.path());
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&net)));
    drop(boot);
    if let Err(panic) = outcome {
        common::print_log_tails(
            tmp.path(),
            &[
                "fresnel.log".into(),
                "vc.log".into(),
                "fresnel-synced.log".into(),
            ],
            30,
            "attestation subnet",
        );
        for log in [
            "lodestar/beacon.out",
            "lodestar-vc/validator.out",
            "lodestar-synced/beacon.out",
        ] {
            common::print_log_tails(tmp.path(), &[log.into()], 30, "");
        }
        std::panic::resume_unwind(panic);
    }
}

fn run(net: &Net) {
    let (fresnel_http, fresnel_metrics_port) = (free_port(), free_port());
    let bn = Guard(net.start_bn("fresnel", fresnel_http, fresnel_metrics_port, &[]));
    let fresnel = api(fresnel_http);
    let fresnel_metrics = api(fresnel_metrics_port);
    let (lodestar_http, lodestar_metrics_port) = (free_port(), free_port());
    let lodestar_bn = net.start_lodestar_bn("lodestar", lodestar_http, lodestar_metrics_port, None);
    let lodestar = api(lodestar_http);
    let mut vc = Guard(net.start_vc(fresnel, true));
    let lodestar_vc = net.start_lodestar_vc(lodestar);
    let mut fresnel_events =
        EventStream::open(fresnel, "head,finalized_checkpoint", LIVENESS_BOUND);
    let mut lodestar_events =
        EventStream::open(lodestar, "head,finalized_checkpoint", LIVENESS_BOUND);

    // 1. Both finalize epoch 4, on one chain.
    fresnel_events.wait_for_finalized(4);
    lodestar_events.wait_for_finalized(4);
    until(
        &mut fresnel_events,
        4 * SLOTS_PER_EPOCH as usize,
        "the same finalized checkpoint",
        || finalized(fresnel) == finalized(lodestar),
    );
    let (epoch, root) = finalized(fresnel);
    eprintln!("both finalized epoch {epoch} at {root}");
    until(
        &mut fresnel_events,
        4 * SLOTS_PER_EPOCH as usize,
        "equal heads",
        || head(fresnel) == head(lodestar),
    );
    eprintln!("equal heads at slot {}", head(fresnel).0);

    // 2. Blocks of both clients' validators on both canonical chains.
    let finalized_slot = epoch * SLOTS_PER_EPOCH;
    for (name, node) in [("Fresnel", fresnel), ("Lodestar", lodestar)] {
        let by = proposers(node, 1..finalized_slot);
        let ours = by.iter().filter(|&&p| p < SPLIT).count();
        let theirs = by.len() - ours;
        eprintln!("{name}'s chain to slot {finalized_slot}: {ours} blocks by Fresnel's validators, {theirs} by Lodestar's");
        assert!(
            ours > 0 && theirs > 0,
            "{name}'s chain lacks blocks of one client: {by:?}"
        );
    }

    // 3. Each node accepted aggregates from the other (its only peer besides the boot node,
    // which does not gossip; its own validator client's come through the API, not gossip).
    let fresnel_accepted = metric_sum(
        fresnel_metrics,
        "gossip_validation_total",
        &["beacon_aggregate_and_proof", "outcome=\"accept\""],
    );
    let lodestar_accepted = metric_sum(
        api(lodestar_metrics_port),
        "lodestar_gossip_validation_accept_total",
        &["beacon_aggregate_and_proof"],
    );
    eprintln!("aggregates accepted from the other client: Fresnel {fresnel_accepted}, Lodestar {lodestar_accepted}");
    assert!(
        fresnel_accepted > 0.0,
        "Fresnel accepted no aggregate from Lodestar"
    );
    assert!(
        lodestar_accepted > 0.0,
        "Lodestar accepted no aggregate from Fresnel"
    );

    // 4. A fresh Fresnel node syncs from the Lodestar node alone.
    let lodestar_id = identity(lodestar);
    let lodestar_addr = format!(
        "{}/p2p/{}",
        lodestar_id["p2p_addresses"][0]
            .as_str()
            .unwrap()
            .split("/p2p/")
            .next()
            .unwrap(),
        lodestar_id["peer_id"].as_str().unwrap()
    );
    let synced_http = free_port();
    let _synced = Guard(net.start_bn(
        "fresnel-synced",
        synced_http,
        free_port(),
        &[&lodestar_addr],
    ));
    let mut synced_events = EventStream::open(api(synced_http), "head", LIVENESS_BOUND);
    until(
        &mut synced_events,
        200,
        "a fresh Fresnel node at Lodestar's head",
        || head(api(synced_http)) == head(lodestar),
    );
    eprintln!(
        "a fresh Fresnel node synced from Lodestar to slot {}",
        head(lodestar).0
    );

    // 5. A fresh Lodestar node syncs from the Fresnel node alone.
    let fresnel_enr = identity(fresnel)["enr"].as_str().unwrap().to_string();
    let lodestar_synced_http = free_port();
    let _lodestar_synced = net.start_lodestar_bn(
        "lodestar-synced",
        lodestar_synced_http,
        free_port(),
        Some(&fresnel_enr),
    );
    let mut lodestar_synced_events =
        EventStream::open(api(lodestar_synced_http), "head", LIVENESS_BOUND);
    until(
        &mut lodestar_synced_events,
        200,
        "a fresh Lodestar node at Fresnel's head",
        || head(api(lodestar_synced_http)) == head(fresnel),
    );
    eprintln!(
        "a fresh Lodestar node synced from Fresnel to slot {}",
        head(fresnel).0
    );

    // 6. The validator clients swap beacon nodes for two epochs of finality.
    common::sigterm_and_wait(&mut vc.0);
    lodestar_vc.stop();
    let (swapped_at, _) = head(fresnel);
    let (before, _) = finalized(fresnel);
    let _vc = Guard(net.start_vc(lodestar, false));
    let _lodestar_vc = net.start_lodestar_vc(fresnel);
    let after = fresnel_events.wait_for_finalized(before + 2);
    let (now, _) = head(fresnel);
    eprintln!("with swapped validator clients: finalized epoch {before} -> {after}");
    for (name, node) in [("Fresnel", fresnel), ("Lodestar", lodestar)] {
        let by = proposers(node, swapped_at + 1..now + 1);
        let ours = by.iter().filter(|&&p| p < SPLIT).count();
        assert!(
            ours > 0 && by.len() > ours,
            "{name}'s chain since the swap lacks blocks of one validator client: {by:?}"
        );
    }
    drop(lodestar_bn);
    drop(bn);
}
