//! End to end over the network: a `fresnel boot_node` and four `fresnel bn`, each with its
//! own `fresnel vc` holding 16 of 64 interop validators (minimal preset, 2-second slots), all
//! on 127.0.0.1 and with no static peers: the nodes find each other through discv5 from the
//! boot node's ENR, and blocks, attestations and aggregates travel by gossip only.
//! - every node finalizes epoch 4 or later, on the same chain;
//! - participation read from the chain (attestations in blocks, mapped through the
//!   committees) is at least 90 % in each finalized epoch;
//! - each node's `/eth/v1/node/peers` lists the other three;
//! - one node and its validator client are killed with SIGKILL: the other three (48 of 64
//!   validators, above two thirds) keep finalizing; restarted, the node catches up from its
//!   peers (blocks by range, parents by root) and its head equals theirs.
//!
//! Waiting is on event streams and the API, each bounded by a liveness limit.

mod common;

use common::{free_port, get, get_json, kill_9, EventStream, Guard};
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const VALIDATORS: u64 = 64;
const NODES: u64 = 4;
const SECONDS_PER_SLOT: u64 = 2;
const SLOTS_PER_EPOCH: u64 = 8;
/// Time before genesis for every process to come up and find its peers.
const GENESIS_DELAY: u64 = 20;
/// No event for this long means the chain (or a process) is stuck.
const LIVENESS_BOUND: Duration = Duration::from_secs(90);

struct Node {
    index: u64,
    http_port: u16,
    p2p_port: u16,
}

impl Node {
    fn api(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.http_port))
    }
}

struct Testnet {
    dir: PathBuf,
    boot_enr: String,
    nodes: Vec<Node>,
}

fn number(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a decimal string, not {v}"))
}

impl Testnet {
    fn log(&self, name: &str) -> Stdio {
        common::log_file(&self.dir, name)
    }

    fn start_bn(&self, node: &Node) -> Child {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fresnel"))
            .args(["bn", "--testnet-dir"])
            .arg(self.dir.join("testnet"))
            .args([
                "--listen-address",
                "127.0.0.1",
                "--port",
                &node.p2p_port.to_string(),
                "--boot-nodes",
                &self.boot_enr,
                "--http-port",
                &node.http_port.to_string(),
                "--log-level",
                "info,network=debug,router=debug",
                "--datadir",
            ])
            .arg(self.dir.join(format!("bn{}", node.index)))
            .stdout(Stdio::piped())
            .stderr(self.log(&format!("bn{}.log", node.index)))
            .spawn()
            .expect("fresnel bn runs");
        common::wait_for_api(&mut child);
        child
    }

    fn start_vc(&self, node: &Node, first_run: bool) -> Child {
        common::start_vc(
            &self.dir.join("testnet"),
            &format!("http://{}", node.api()),
            &self.dir.join(format!("validators{}", node.index)),
            &self.dir.join(format!("secrets{}", node.index)),
            self.log(&format!("vc{}.log", node.index)),
            first_run,
        )
    }

    fn events(&self, node: &Node) -> EventStream {
        EventStream::open(node.api(), "head,finalized_checkpoint", LIVENESS_BOUND)
    }
}

/// The testnet directory (config, genesis.ssz), the keystores split between the nodes, and
/// a running boot node.
fn setup(dir: &Path) -> (Testnet, Guard) {
    let testnet = dir.join("testnet");
    common::write_interop_testnet(&testnet, VALIDATORS, SECONDS_PER_SLOT, GENESIS_DELAY);

    let per_node = VALIDATORS / NODES;
    for node in 0..NODES {
        common::write_interop_keystores(
            &dir.join(format!("validators{node}")),
            &dir.join(format!("secrets{node}")),
            node * per_node..(node + 1) * per_node,
        );
    }

    let (boot, boot_enr) = common::start_boot_node(&testnet, &dir.join("boot_node"));
    let nodes = (0..NODES)
        .map(|index| Node {
            index,
            http_port: free_port(),
            p2p_port: free_port(),
        })
        .collect();
    (
        Testnet {
            dir: dir.to_path_buf(),
            boot_enr,
            nodes,
        },
        boot,
    )
}

/// The share of validators whose attestation for `epoch`, with the canonical target, is in
/// a canonical block (read through `node`'s API: blocks of the epoch and the next, mapped to
/// validators through the epoch's committees).
fn participation(node: &Node, epoch: u64) -> f64 {
    let api = node.api();
    let start = epoch * SLOTS_PER_EPOCH;
    let committees = get_json(
        api,
        &format!("/eth/v1/beacon/states/{start}/committees?epoch={epoch}"),
    );
    let committee = |slot: u64, index: u64| -> Vec<u64> {
        committees["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| number(&c["slot"]) == slot && number(&c["index"]) == index)
            .map(|c| {
                c["validators"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(number)
                    .collect()
            })
            .unwrap_or_default()
    };
    // The target: the canonical block at the epoch's first slot, or the latest before it.
    let target = (0..=start)
        .rev()
        .find_map(|slot| {
            let (status, body) = get(api, &format!("/eth/v1/beacon/blocks/{slot}/root"));
            (status == 200).then(|| body["data"]["root"].as_str().unwrap().to_string())
        })
        .expect("a canonical block at or before the epoch start");
    let mut attesters = BTreeSet::new();
    for slot in start..start + 2 * SLOTS_PER_EPOCH {
        let (status, block) = get(api, &format!("/eth/v1/beacon/blocks/{slot}"));
        if status != 200 {
            continue;
        }
        for attestation in block["data"]["message"]["body"]["attestations"]
            .as_array()
            .unwrap()
        {
            let data = &attestation["data"];
            if number(&data["target"]["epoch"]) != epoch
                || data["target"]["root"] != target.as_str()
            {
                continue;
            }
            let members = committee(number(&data["slot"]), number(&data["index"]));
            let bits = hex::decode(
                attestation["aggregation_bits"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("0x"),
            )
            .unwrap();
            for (i, validator) in members.iter().enumerate() {
                if bits[i / 8] & (1 << (i % 8)) != 0 {
                    attesters.insert(*validator);
                }
            }
        }
    }
    attesters.len() as f64 / VALIDATORS as f64
}

fn finalized(node: &Node) -> (u64, String) {
    let checkpoints = get_json(
        node.api(),
        "/eth/v1/beacon/states/head/finality_checkpoints",
    );
    let finalized = &checkpoints["data"]["finalized"];
    (
        number(&finalized["epoch"]),
        finalized["root"].as_str().unwrap().to_string(),
    )
}

fn head_root(node: &Node) -> String {
    get_json(node.api(), "/eth/v1/beacon/headers/head")["data"]["root"]
        .as_str()
        .unwrap()
        .to_string()
}

fn peer_id(node: &Node) -> String {
    get_json(node.api(), "/eth/v1/node/identity")["data"]["peer_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn connected_peers(node: &Node) -> BTreeSet<String> {
    get_json(node.api(), "/eth/v1/node/peers?state=connected")["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["peer_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn four_nodes_find_each_other_finalize_over_gossip_and_a_killed_node_catches_up() {
    let tmp = tempfile::tempdir().unwrap();
    let (net, boot) = setup(tmp.path());
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&net)));
    drop(boot);
    if let Err(panic) = outcome {
        let logs: Vec<String> = (0..NODES)
            .flat_map(|node| [format!("bn{node}.log"), format!("vc{node}.log")])
            .collect();
        common::print_log_tails(tmp.path(), &logs, 25, "attestation subnet");
        std::panic::resume_unwind(panic);
    }
}

fn run(net: &Testnet) {
    let mut bns: Vec<Guard> = net.nodes.iter().map(|n| Guard(net.start_bn(n))).collect();
    let mut streams: Vec<EventStream> = net.nodes.iter().map(|n| net.events(n)).collect();
    let mut vcs: Vec<Guard> = net
        .nodes
        .iter()
        .map(|n| Guard(net.start_vc(n, true)))
        .collect();

    // 1. Every node finalizes epoch 4, on one chain.
    for stream in streams.iter_mut() {
        stream.wait_for_finalized(4);
    }
    let state_root_at = |node: &Node, slot: u64| -> String {
        get_json(node.api(), &format!("/eth/v1/beacon/states/{slot}/root"))["data"]["root"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let reference = state_root_at(&net.nodes[0], 4 * SLOTS_PER_EPOCH);
    for node in &net.nodes {
        assert_eq!(
            state_root_at(node, 4 * SLOTS_PER_EPOCH),
            reference,
            "node {} is on another chain",
            node.index
        );
        let (epoch, root) = finalized(node);
        assert!(
            epoch >= 4,
            "node {} finalized only epoch {epoch}",
            node.index
        );
        // Its finalized block is on node 0's chain.
        let (status, _) = get(
            net.nodes[0].api(),
            &format!("/eth/v1/beacon/blocks/{root}/root"),
        );
        assert_eq!(
            status, 200,
            "node {}'s finalized root {root} is unknown to node 0",
            node.index
        );
    }
    eprintln!("every node finalized epoch 4 on the same chain");

    // 2. Participation from the chain, each finalized epoch after genesis.
    let (finalized_epoch, _) = finalized(&net.nodes[0]);
    for epoch in 1..finalized_epoch {
        let share = participation(&net.nodes[0], epoch);
        eprintln!("epoch {epoch}: participation {:.1} %", share * 100.0);
        assert!(share >= 0.9, "epoch {epoch}: participation {share}");
    }

    // 3. Each node's peers are the other three.
    let ids: Vec<String> = net.nodes.iter().map(peer_id).collect();
    for node in &net.nodes {
        let peers = connected_peers(node);
        for (other, id) in ids.iter().enumerate() {
            if other as u64 != node.index {
                assert!(
                    peers.contains(id),
                    "node {} does not list node {other}: {peers:?}",
                    node.index
                );
            }
        }
    }

    // 4. kill -9 node 3 and its validator client: the others go on finalizing.
    let down = &net.nodes[3];
    kill_9(&mut vcs[3].0);
    kill_9(&mut bns[3].0);
    let (before, _) = finalized(&net.nodes[0]);
    let after = streams[0].wait_for_finalized(before + 2);
    eprintln!("without node 3: finalized epoch {after}");

    // 5. Restarted, it catches up from its peers and follows the same head.
    bns[3] = Guard(net.start_bn(down));
    vcs[3] = Guard(net.start_vc(down, false));
    let mut stream = net.events(down);
    let mut caught_up = false;
    for _ in 0..400 {
        stream.wait_for_head();
        if head_root(down) == head_root(&net.nodes[0]) {
            caught_up = true;
            break;
        }
    }
    assert!(caught_up, "node 3 never reached node 0's head");
    let (epoch, _) = finalized(down);
    assert!(
        epoch >= after,
        "node 3 finalized {epoch}, the others {after}"
    );
    eprintln!("node 3 caught up: finalized epoch {epoch}");
}
