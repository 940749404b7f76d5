//! Range sync end to end, on 127.0.0.1 (minimal preset, 64 interop validators, 2-second
//! slots):
//! - node A, with a `fresnel vc` holding every validator, runs alone for 10 epochs and
//!   finalizes;
//! - node B starts empty with A's ENR as its boot node and syncs; it is killed with SIGKILL
//!   as soon as its first batch is imported, and on restart resumes from its stored head (not
//!   from genesis), reaches A's head and finalized checkpoint, then follows A by gossip;
//! - node B2 starts empty with two static peers, A and a peer C written here that claims A's
//!   chain and serves A's blocks, each answer with one block's signature forged. B2 reaches
//!   A only through a relay that opens once C has been asked for blocks, so C is always
//!   asked: B2 completes from A, penalises C, and holds A's blocks where C's forgeries were;
//! - node D starts from A's finalized checkpoint (`--checkpoint-sync-url`), follows A's head
//!   and backfills to genesis: afterwards `/eth/v1/beacon/blocks/{slot}` on D equals A's
//!   for every slot up to A's finalized one.
//!
//! Waiting is on event streams and the API, each bounded by a liveness limit.

mod common;

use common::{free_port, get_json, http_exchange, kill_9, EventStream, GatedRelay, Guard};
use futures::StreamExt;
use libp2p::request_response;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::Multiaddr;
use network::rpc::{Eth2Codec, Method, Request, Response, StatusMessage};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use types::{Hash256, MinimalEthSpec as E, SignedBeaconBlock};

const VALIDATORS: u64 = 64;
const SECONDS_PER_SLOT: u64 = 2;
const SLOTS_PER_EPOCH: u64 = 8;
const EPOCHS_ALONE: u64 = 10;
const GENESIS_DELAY: u64 = 10;
/// No event for this long means the chain (or a process) is stuck.
const LIVENESS_BOUND: Duration = Duration::from_secs(90);

fn number(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a decimal string, not {v}"))
}

fn root(v: &Value) -> Hash256 {
    let bytes = hex::decode(v.as_str().unwrap().trim_start_matches("0x")).unwrap();
    Hash256::from_slice(&bytes)
}

struct Net {
    dir: PathBuf,
}

impl Net {
    fn log(&self, name: &str) -> Stdio {
        common::log_file(&self.dir, name)
    }

    /// A `fresnel bn` on the testnet; `peers` are its boot ENRs or static addresses.
    fn start_bn(&self, name: &str, http_port: u16, metrics_port: u16, peers: Peers) -> Child {
        self.start_bn_with(name, http_port, metrics_port, peers, &[])
    }

    /// [`Self::start_bn`] with more flags.
    fn start_bn_with(
        &self,
        name: &str,
        http_port: u16,
        metrics_port: u16,
        peers: Peers,
        extra: &[&str],
    ) -> Child {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fresnel"));
        command
            .args(["bn", "--testnet-dir"])
            .arg(self.dir.join("testnet"))
            .args(["--listen-address", "127.0.0.1", "--port"])
            .arg(free_port().to_string())
            .args(["--http-port", &http_port.to_string()])
            .args(["--metrics", "--metrics-port", &metrics_port.to_string()])
            .args(["--log-level", "info,beacon_sync=debug,router=debug"])
            .arg("--datadir")
            .arg(self.dir.join(name))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(self.log(&format!("{name}.log")));
        match peers {
            Peers::Alone => {}
            Peers::BootNode(enr) => {
                command.args(["--boot-nodes", enr]);
            }
            Peers::Static(addresses) => {
                command
                    .arg("--disable-discovery")
                    .args(["--libp2p-addresses", &addresses.join(",")]);
            }
        }
        let mut child = command.spawn().expect("fresnel bn runs");
        common::wait_for_api(&mut child);
        child
    }
}

enum Peers<'a> {
    Alone,
    BootNode(&'a str),
    Static(Vec<String>),
}

fn api(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn head(api: SocketAddr) -> (u64, Hash256) {
    let header = get_json(api, "/eth/v1/beacon/headers/head");
    (
        number(&header["data"]["header"]["message"]["slot"]),
        root(&header["data"]["root"]),
    )
}

fn finalized(api: SocketAddr) -> (u64, Hash256) {
    let checkpoints = get_json(api, "/eth/v1/beacon/states/head/finality_checkpoints");
    let f = &checkpoints["data"]["finalized"];
    (number(&f["epoch"]), root(&f["root"]))
}

fn block_root_at(api: SocketAddr, slot: u64) -> Option<Hash256> {
    let (status, body) = common::get(api, &format!("/eth/v1/beacon/blocks/{slot}/root"));
    (status == 200).then(|| root(&body["data"]["root"]))
}

/// Read `events` (B's head events) until B's head is A's head; returns that slot.
fn wait_until_heads_match(events: &mut EventStream, a: SocketAddr, b: SocketAddr) -> u64 {
    loop {
        let (a_slot, a_root) = head(a);
        let (b_slot, b_root) = head(b);
        if a_root == b_root {
            return b_slot;
        }
        eprintln!("B at slot {b_slot}, A at {a_slot}");
        events.wait_for_head();
    }
}

fn metric(metrics_port: u16, name: &str) -> f64 {
    let (status, body) = http_exchange(api(metrics_port), "GET", "/metrics", "");
    assert_eq!(status, 200);
    String::from_utf8_lossy(&body)
        .lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn a_node_syncs_resumes_after_a_kill_and_survives_a_corrupt_peer() {
    let tmp = tempfile::tempdir().unwrap();
    let net = Net {
        dir: tmp.path().to_path_buf(),
    };
    let mut logs = vec!["a.log".to_string()];
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&net, &mut logs)));
    if let Err(panic) = outcome {
        common::print_log_tails(&net.dir, &logs, 60, "attestation subnet");
        std::panic::resume_unwind(panic);
    }
}

fn run(net: &Net, logs: &mut Vec<String>) {
    let dir = &net.dir;
    common::write_interop_testnet(
        &dir.join("testnet"),
        VALIDATORS,
        SECONDS_PER_SLOT,
        GENESIS_DELAY,
    );
    common::write_interop_keystores(&dir.join("validators"), &dir.join("secrets"), 0..VALIDATORS);

    // A, alone, for ten epochs.
    let a_port = free_port();
    let a = api(a_port);
    let _a = Guard(net.start_bn("a", a_port, free_port(), Peers::Alone));
    let _vc = Guard(common::start_vc(
        &dir.join("testnet"),
        &format!("http://{a}"),
        &dir.join("validators"),
        &dir.join("secrets"),
        net.log("vc.log"),
        true,
    ));
    let mut a_events = EventStream::open(a, "head,finalized_checkpoint", LIVENESS_BOUND);
    while a_events.wait_for_head() < EPOCHS_ALONE * SLOTS_PER_EPOCH {}
    let (a_finalized, _) = finalized(a);
    assert!(
        a_finalized >= EPOCHS_ALONE - 3,
        "A finalized epoch {a_finalized}"
    );
    let a_enr = get_json(a, "/eth/v1/node/identity")["data"]["enr"]
        .as_str()
        .unwrap()
        .to_string();

    // B syncs from A, and is killed after its first batch.
    logs.push("b.log".into());
    let b_port = free_port();
    let b = api(b_port);
    let mut b_child = net.start_bn("b", b_port, free_port(), Peers::BootNode(&a_enr));
    let mut b_events = EventStream::open(b, "head", LIVENESS_BOUND);
    let first_head = b_events.wait_for_head();
    kill_9(&mut b_child);
    let a_head_at_kill = head(a).0;
    eprintln!("B killed with its head at slot {first_head} (A at {a_head_at_kill})");
    assert!(
        first_head > 0 && first_head < a_head_at_kill,
        "killed mid-sync: B at {first_head}, A at {a_head_at_kill}"
    );
    let restart_marker = std::fs::read_to_string(dir.join("b.log")).unwrap().len();

    // Restarted, it resumes from what it stored and catches up.
    let _b = Guard(net.start_bn("b", b_port, free_port(), Peers::BootNode(&a_enr)));
    let (b_slot, _) = head(b);
    assert!(
        b_slot >= first_head,
        "B resumed from its stored head, not genesis"
    );
    let mut b_events = EventStream::open(b, "head", LIVENESS_BOUND);
    let caught_up = wait_until_heads_match(&mut b_events, a, b);
    assert_eq!(
        finalized(b),
        finalized(a),
        "B holds A's finalized checkpoint"
    );
    let log =
        common::strip_ansi(&std::fs::read_to_string(dir.join("b.log")).unwrap()[restart_marker..]);
    let starts: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Range sync started"))
        .collect();
    assert!(!starts.is_empty(), "B resumed range sync after the restart");
    for line in starts {
        let from: u64 = line
            .split("from_slot=")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a from_slot in {line:?}"));
        assert!(
            from > 0,
            "after the restart, range sync starts from the stored head: {line}"
        );
    }
    // Then it follows A by gossip.
    let later = loop {
        let slot = b_events.wait_for_head();
        if slot > caught_up {
            break slot;
        }
    };
    assert_eq!(block_root_at(b, later), block_root_at(a, later));
    eprintln!("B caught up at slot {caught_up} and followed A to slot {later}");

    // B2 syncs from A and from C, whose first answer holds a forged block.
    corrupt_peer_scenario(net, a, logs);

    // D starts from A's finalized checkpoint, follows the head, and backfills to genesis.
    checkpoint_sync_scenario(net, a, &a_enr, logs);
}

fn checkpoint_sync_scenario(net: &Net, a: SocketAddr, a_enr: &str, logs: &mut Vec<String>) {
    logs.push("d.log".into());
    let d_port = free_port();
    let d = api(d_port);
    let _d = Guard(net.start_bn_with(
        "d",
        d_port,
        free_port(),
        Peers::BootNode(a_enr),
        &["--checkpoint-sync-url", &format!("http://{a}")],
    ));
    let (anchor_slot, _) = head(d);
    let mut events = EventStream::open(d, "head", LIVENESS_BOUND);
    let caught_up = wait_until_heads_match(&mut events, a, d);
    eprintln!("D started at slot {anchor_slot}, caught up at {caught_up}");
    // Backfill: wait (on D's head events, bounded) until D has the first block.
    while common::get(d, "/eth/v1/beacon/blocks/1/root").0 != 200 {
        let (_, body) = common::get(d, "/eth/v1/beacon/blocks/1");
        eprintln!("D backfilling: {}", body["message"]);
        events.wait_for_head();
    }
    // Every slot up to the head both held when D caught up (one proposer: no reorgs).
    let last = caught_up;
    for slot in 0..=last {
        let path = format!("/eth/v1/beacon/blocks/{slot}");
        let (a_status, a_block) = common::get(a, &path);
        let (d_status, d_block) = common::get(d, &path);
        assert_eq!(d_status, a_status, "slot {slot}: {d_block}");
        assert_eq!(d_block["data"], a_block["data"], "slot {slot}");
    }
    eprintln!("D holds A's blocks for every slot up to {last}, from a checkpoint at {anchor_slot}");
}

/// Everything C serves: A's blocks and A's Status, read through A's API.
struct Served {
    status: StatusMessage,
    blocks: Vec<Arc<SignedBeaconBlock<E>>>,
}

fn read_chain(a: SocketAddr) -> Served {
    let (head_slot, head_root) = head(a);
    let (finalized_epoch, finalized_root) = finalized(a);
    let digest = common::fork_digest(a);
    let mut blocks = Vec::new();
    for slot in 1..=head_slot {
        let (status, body) = http_exchange(
            a,
            "GET",
            &format!("/eth/v2/beacon/blocks/{slot}"),
            "Accept: application/octet-stream\r\n",
        );
        if status == 200 {
            let block: SignedBeaconBlock<E> = ssz::Decode::from_ssz_bytes(&body).unwrap();
            blocks.push(Arc::new(block));
        }
    }
    Served {
        status: StatusMessage {
            fork_digest: digest,
            finalized_root,
            finalized_epoch,
            head_root,
            head_slot,
        },
        blocks,
    }
}

#[derive(NetworkBehaviour)]
struct ServingBehaviour {
    status: request_response::Behaviour<Eth2Codec<E>>,
    metadata: request_response::Behaviour<Eth2Codec<E>>,
    ping: request_response::Behaviour<Eth2Codec<E>>,
    goodbye: request_response::Behaviour<Eth2Codec<E>>,
    blocks_by_range: request_response::Behaviour<Eth2Codec<E>>,
}

fn rpc(method: Method) -> request_response::Behaviour<Eth2Codec<E>> {
    common::rpc_behaviour(method)
}

/// What C saw and did.
#[derive(Default)]
struct CStats {
    range_requests: AtomicUsize,
    forged_slots: Mutex<Vec<u64>>,
}

/// Peer C: listens on `port`, answers Status, MetaData, Ping and Goodbye, and serves range
/// requests from `served`, forging the signature of one block in every answer of two or
/// more blocks (so whatever B2 imports came from A). Its first range request calls `asked`.
/// Runs until `stop`.
fn run_peer_c(
    port: u16,
    served: Served,
    asked: impl Fn(),
    stats: &CStats,
    stop: &AtomicBool,
    keypair: libp2p::identity::Keypair,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
            .with_tokio()
            .with_tcp(
                libp2p::tcp::Config::default(),
                libp2p::noise::Config::new,
                libp2p::yamux::Config::default,
            )
            .unwrap()
            .with_behaviour(|_| ServingBehaviour {
                status: rpc(Method::Status),
                metadata: rpc(Method::MetaData),
                ping: rpc(Method::Ping),
                goodbye: rpc(Method::Goodbye),
                blocks_by_range: rpc(Method::BlocksByRange),
            })
            .unwrap()
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
            .build();
        swarm
            .listen_on(format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap())
            .unwrap();
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        use request_response::{Event, Message};
        while !stop.load(Ordering::Relaxed) {
            let event = tokio::select! {
                event = swarm.select_next_some() => event,
                _ = tick.tick() => continue,
            };
            let behaviour = swarm.behaviour_mut();
            let SwarmEvent::Behaviour(event) = event else {
                continue;
            };
            match event {
                ServingBehaviourEvent::Status(Event::Message {
                    message: Message::Request { channel, .. },
                    ..
                }) => {
                    let _ = behaviour
                        .status
                        .send_response(channel, Response::Status(served.status));
                }
                ServingBehaviourEvent::Metadata(Event::Message {
                    message: Message::Request { channel, .. },
                    ..
                }) => {
                    let _ = behaviour
                        .metadata
                        .send_response(channel, Response::MetaData(Default::default()));
                }
                ServingBehaviourEvent::Ping(Event::Message {
                    message: Message::Request { channel, .. },
                    ..
                }) => {
                    let _ = behaviour.ping.send_response(channel, Response::Pong(0));
                }
                ServingBehaviourEvent::Goodbye(Event::Message {
                    message: Message::Request { channel, .. },
                    ..
                }) => {
                    let _ = behaviour.goodbye.send_response(channel, Response::Nothing);
                }
                ServingBehaviourEvent::BlocksByRange(Event::Message {
                    message:
                        Message::Request {
                            request: Request::BlocksByRange(range),
                            channel,
                            ..
                        },
                    ..
                }) => {
                    if stats.range_requests.fetch_add(1, Ordering::Relaxed) == 0 {
                        asked();
                    }
                    let end = range.start_slot + range.count;
                    let mut blocks: Vec<_> = served
                        .blocks
                        .iter()
                        .filter(|b| b.message.slot >= range.start_slot && b.message.slot < end)
                        .cloned()
                        .collect();
                    if blocks.len() >= 2 {
                        // A real signature over another block: well-formed, invalid here.
                        let victim = blocks.len() / 2;
                        let mut forgery = (*blocks[victim]).clone();
                        forgery.signature = blocks[victim - 1].signature;
                        stats
                            .forged_slots
                            .lock()
                            .unwrap()
                            .push(forgery.message.slot);
                        blocks[victim] = Arc::new(forgery);
                    }
                    let _ = swarm
                        .behaviour_mut()
                        .blocks_by_range
                        .send_response(channel, Response::Blocks(blocks));
                }
                _ => {}
            }
        }
    });
}

fn corrupt_peer_scenario(net: &Net, a: SocketAddr, logs: &mut Vec<String>) {
    let served = read_chain(a);
    eprintln!(
        "C serves {} blocks up to slot {}",
        served.blocks.len(),
        served.status.head_slot
    );
    let keypair = libp2p::identity::Keypair::generate_secp256k1();
    let c_id = keypair.public().to_peer_id();
    let c_port = free_port();
    let c_addr: Multiaddr = format!("/ip4/127.0.0.1/tcp/{c_port}/p2p/{c_id}")
        .parse()
        .unwrap();
    // B2 reaches A through a relay that opens when C is first asked for blocks.
    let a_identity = get_json(a, "/eth/v1/node/identity");
    let a_listen: Multiaddr = a_identity["data"]["p2p_addresses"][0]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let a_tcp = a_listen
        .iter()
        .find_map(|p| match p {
            libp2p::multiaddr::Protocol::Tcp(port) => Some(port),
            _ => None,
        })
        .expect("A listens on TCP");
    let relay = GatedRelay::start(SocketAddr::from(([127, 0, 0, 1], a_tcp)));
    let a_addr = format!(
        "/ip4/127.0.0.1/tcp/{}/p2p/{}",
        relay.port,
        a_identity["data"]["peer_id"].as_str().unwrap()
    );

    let b2_port = free_port();
    let b2 = api(b2_port);
    let b2_metrics = free_port();
    let stats = CStats::default();
    let stop = AtomicBool::new(false);
    logs.push("b2.log".into());
    std::thread::scope(|scope| {
        let stats = &stats;
        let stop = &stop;
        let relay = &relay;
        scope.spawn(move || run_peer_c(c_port, served, || relay.open(), stats, stop, keypair));
        common::wait_for_listener(SocketAddr::from(([127, 0, 0, 1], c_port)), LIVENESS_BOUND);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _b2 = Guard(net.start_bn(
                "b2",
                b2_port,
                b2_metrics,
                Peers::Static(vec![c_addr.to_string(), a_addr.clone()]),
            ));
            let mut events = EventStream::open(b2, "head", LIVENESS_BOUND);
            let caught_up = wait_until_heads_match(&mut events, a, b2);
            eprintln!(
                "B2 caught up at slot {caught_up}; C answered {} range requests",
                stats.range_requests.load(Ordering::Relaxed)
            );
            let forged_slots = stats.forged_slots.lock().unwrap().clone();
            assert!(
                !forged_slots.is_empty(),
                "C was asked for blocks and served forgeries"
            );
            for slot in forged_slots {
                assert_eq!(
                    block_root_at(b2, slot),
                    block_root_at(a, slot),
                    "B2 holds A's block at slot {slot}, where C forged one"
                );
            }
            assert!(
                metric(
                    b2_metrics,
                    "peer_penalties_total{severity=\"low_tolerance\"}"
                ) >= 1.0,
                "C was penalised"
            );
            assert!(
                metric(b2_metrics, "sync_segments_total{outcome=\"invalid\"}") >= 1.0,
                "the forged batch was refused"
            );
        }));
        stop.store(true, Ordering::Relaxed);
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    });
}
