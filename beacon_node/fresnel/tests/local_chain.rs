//! End to end: `fresnel bn` and `fresnel vc` as processes on 127.0.0.1, 64 interop validators
//! in EIP-2335 keystores, minimal preset with 2-second slots. Everything is asserted through
//! the REST API and the slashing protection export:
//! - the chain finalizes (epoch 3 or later);
//! - the node is killed with SIGKILL and restarted: the chain goes on and finalizes again;
//! - the validator client is killed with SIGKILL while it attests, and restarted with a dead
//!   beacon node listed first (it must fail over to the live one): same;
//! - every block and attestation of our validators on chain is in the export, no validator
//!   signed two blocks for a slot or two attestations for a target, the slashing pools are
//!   empty.
//!
//! Waiting is on the node's event stream (finalized_checkpoint, head), each read bounded so a
//! stalled chain fails the test instead of hanging it.

mod common;

use common::{
    free_port, get, get_json, http_request, kill_9, sigterm_and_wait, wait_for_api, EventStream,
    Guard,
};
use eth2_keystore::{Kdf, Keystore};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const VALIDATORS: u64 = 64;
const SECONDS_PER_SLOT: u64 = 2;
const SLOTS_PER_EPOCH: u64 = 8;
/// No event for this long means the chain (or a process) is stuck.
const LIVENESS_BOUND: Duration = Duration::from_secs(90);

struct Testnet {
    dir: PathBuf,
    genesis_time: u64,
    port: u16,
    metrics_port: u16,
}

impl Testnet {
    fn new(dir: &Path) -> Self {
        // The minimal preset with 2-second slots, as a testnet directory.
        let testnet = dir.join("testnet");
        std::fs::create_dir_all(&testnet).unwrap();
        let mut config = String::new();
        for (key, value) in eth2_config::config_values(&types::ChainSpec::minimal()) {
            let value = if key == "SECONDS_PER_SLOT" {
                SECONDS_PER_SLOT.to_string()
            } else {
                value
            };
            config.push_str(&format!("{key}: '{value}'\n"));
        }
        std::fs::write(testnet.join("config.yaml"), config).unwrap();

        // The interop keys as pbkdf2 keystores, as the local testnet script writes them.
        let dirs = account_manager::ValidatorsDir {
            validators: dir.join("validators"),
            secrets: dir.join("secrets"),
        };
        for index in 0..VALIDATORS {
            let secret = eth2_interop_keypairs::interop_secret_key(index);
            let password = format!("password-{index}");
            let keystore = Keystore::encrypt(&secret, &password, "", Kdf::Pbkdf2, None).unwrap();
            account_manager::store_keystore(&keystore, &password, &dirs).unwrap();
        }
        let genesis_time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        Testnet {
            dir: dir.to_path_buf(),
            genesis_time,
            port: free_port(),
            metrics_port: free_port(),
        }
    }

    fn api(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn log(&self, name: &str) -> Stdio {
        common::log_file(&self.dir, name)
    }

    fn start_bn(&self) -> Child {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fresnel"))
            .args(["bn", "--port", "0", "--disable-discovery", "--testnet-dir"])
            .arg(self.dir.join("testnet"))
            .args([
                "--interop-validators",
                &VALIDATORS.to_string(),
                "--genesis-time",
                &self.genesis_time.to_string(),
                "--http-port",
                &self.port.to_string(),
                "--metrics",
                "--metrics-port",
                &self.metrics_port.to_string(),
                "--datadir",
            ])
            .arg(self.dir.join("beacon"))
            .stdout(Stdio::piped())
            .stderr(self.log("bn.log"))
            .spawn()
            .expect("fresnel bn runs");
        let (addr, _) = wait_for_api(&mut child);
        assert_eq!(addr, self.api());
        child
    }

    fn start_vc(&self, first_run: bool) -> Child {
        let live = format!("http://{}", self.api());
        // After the first run, a node that is down comes first: duties must fail over.
        let beacon_nodes = if first_run {
            live
        } else {
            format!("http://127.0.0.1:{},{live}", free_port())
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_fresnel"));
        command
            .args(["vc", "--testnet-dir"])
            .arg(self.dir.join("testnet"))
            .args(["--beacon-nodes", &beacon_nodes])
            .arg("--validators-dir")
            .arg(self.dir.join("validators"))
            .arg("--secrets-dir")
            .arg(self.dir.join("secrets"))
            .stdout(Stdio::null())
            .stderr(self.log("vc.log"));
        if first_run {
            command.arg("--init-slashing-protection");
        }
        command.spawn().expect("fresnel vc runs")
    }

    fn events(&self) -> EventStream {
        EventStream::open(self.api(), "head,finalized_checkpoint", LIVENESS_BOUND)
    }
}

fn number(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a decimal string, not {v}"))
}

#[test]
fn a_local_chain_finalizes_and_survives_kill_9_of_node_and_validator_client() {
    let tmp = tempfile::tempdir().unwrap();
    let net = Testnet::new(tmp.path());
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&net)));
    if let Err(panic) = outcome {
        common::print_log_tails(tmp.path(), &["bn.log".into(), "vc.log".into()], 40, "");
        std::panic::resume_unwind(panic);
    }
}

fn run(net: &Testnet) {
    let mut bn = Guard(net.start_bn());
    let mut events = net.events();
    let mut vc = Guard(net.start_vc(true));

    // 1. The head advances and epoch 3 is finalized.
    let first_head = events.wait_for_head();
    assert!(events.wait_for_head() > first_head, "the head advances");
    let finalized = events.wait_for_finalized(3);
    eprintln!("finalized epoch {finalized}");

    // 2. kill -9 the node; the restarted node resumes its database and finalizes again.
    kill_9(&mut bn.0);
    bn = Guard(net.start_bn());
    let resumed = get_json(net.api(), "/eth/v1/beacon/states/head/finality_checkpoints");
    assert!(
        number(&resumed["data"]["finalized"]["epoch"]) >= finalized,
        "finality survives the kill: {resumed}"
    );
    let mut events = net.events();
    let finalized = events.wait_for_finalized(finalized + 2);
    eprintln!("after the node's kill -9: finalized epoch {finalized}");

    // 3. kill -9 the validator client just after a block arrived (it is attesting then).
    events.wait_for_head();
    kill_9(&mut vc.0);
    vc = Guard(net.start_vc(false));
    let finalized = events.wait_for_finalized(finalized + 2);
    eprintln!("after the validator client's kill -9: finalized epoch {finalized}");

    check_metrics(net, finalized);

    // Stop the client cleanly, then read its history.
    assert!(
        sigterm_and_wait(&mut vc.0).success(),
        "the vc exits cleanly on SIGTERM"
    );
    check_history(net);
    assert!(
        sigterm_and_wait(&mut bn.0).success(),
        "the bn exits cleanly on SIGTERM"
    );
}

/// The Prometheus endpoint reports the chain as the API does, import timings and the process.
fn check_metrics(net: &Testnet, finalized: u64) {
    let (status, text) = http_request(
        SocketAddr::from(([127, 0, 0, 1], net.metrics_port)),
        "GET",
        "/metrics",
    );
    assert_eq!(status, 200, "{text}");
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} is missing from the metrics:\n{text}"))
    };
    assert!(value("beacon_finalized_epoch") >= finalized as f64);
    assert!(value("beacon_head_slot") > 0.0);
    assert!(value("beacon_current_justified_epoch") >= finalized as f64);
    assert_eq!(value("beacon_processed_deposits_total"), VALIDATORS as f64);
    assert_eq!(value("libp2p_peers"), 0.0);
    assert!(value("beacon_block_import_seconds_count") > 0.0);
    assert!(value("process_resident_memory_bytes") > 0.0);
}

/// The export against the chain.
fn check_history(net: &Testnet) {
    let api = net.api();
    let genesis = get_json(api, "/eth/v1/beacon/genesis");
    let gvr = genesis["data"]["genesis_validators_root"].as_str().unwrap();
    let export_file = net.dir.join("export.json");
    let status = Command::new(env!("CARGO_BIN_EXE_fresnel"))
        .args(["account", "slashing-protection", "export"])
        .arg(&export_file)
        .arg("--validators-dir")
        .arg(net.dir.join("validators"))
        .args(["--genesis-validators-root", gvr])
        .status()
        .unwrap();
    assert!(status.success());
    let export: Value =
        serde_json::from_str(&std::fs::read_to_string(&export_file).unwrap()).unwrap();

    // pubkey -> signed block slots and (target -> source) of attestations; duplicates fail.
    let mut blocks: HashMap<String, BTreeSet<u64>> = HashMap::new();
    let mut votes: HashMap<String, HashMap<u64, u64>> = HashMap::new();
    for record in export["data"].as_array().unwrap() {
        let pubkey = record["pubkey"].as_str().unwrap().to_string();
        for block in record["signed_blocks"].as_array().unwrap() {
            let slot = number(&block["slot"]);
            assert!(
                blocks.entry(pubkey.clone()).or_default().insert(slot),
                "{pubkey} signed two blocks at slot {slot}"
            );
        }
        for attestation in record["signed_attestations"].as_array().unwrap() {
            let target = number(&attestation["target_epoch"]);
            let source = number(&attestation["source_epoch"]);
            assert!(
                votes
                    .entry(pubkey.clone())
                    .or_default()
                    .insert(target, source)
                    .is_none(),
                "{pubkey} signed two attestations for target {target}"
            );
        }
    }

    let pubkeys: Vec<String> = get_json(api, "/eth/v1/beacon/states/head/validators")["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["validator"]["pubkey"].as_str().unwrap().to_string())
        .collect();
    let head_slot =
        number(&get_json(api, "/eth/v1/beacon/headers/head")["data"]["header"]["message"]["slot"]);
    let mut committees: HashMap<(u64, u64), Vec<u64>> = HashMap::new();
    let (mut blocks_seen, mut votes_seen) = (0, 0);
    for slot in 1..=head_slot {
        let (status, block) = get(api, &format!("/eth/v1/beacon/blocks/{slot}"));
        if status == 404 {
            continue;
        }
        assert_eq!(status, 200, "block at slot {slot}: {block}");
        let message = &block["data"]["message"];
        let proposer = &pubkeys[number(&message["proposer_index"]) as usize];
        assert!(
            blocks.get(proposer).is_some_and(|s| s.contains(&slot)),
            "the block at slot {slot} by {proposer} is not in the export"
        );
        blocks_seen += 1;
        for attestation in message["body"]["attestations"].as_array().unwrap() {
            let data = &attestation["data"];
            let (att_slot, index) = (number(&data["slot"]), number(&data["index"]));
            let committee = committees.entry((att_slot, index)).or_insert_with(|| {
                let epoch = att_slot / SLOTS_PER_EPOCH;
                let state_slot = epoch * SLOTS_PER_EPOCH;
                let found = get_json(
                    api,
                    &format!("/eth/v1/beacon/states/{state_slot}/committees?epoch={epoch}&slot={att_slot}&index={index}"),
                );
                found["data"][0]["validators"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(number)
                    .collect()
            });
            let bits = hex_bits(attestation["aggregation_bits"].as_str().unwrap());
            let target = number(&data["target"]["epoch"]);
            let source = number(&data["source"]["epoch"]);
            for (position, validator) in committee.iter().enumerate() {
                if !bits.get(position).copied().unwrap_or(false) {
                    continue;
                }
                let pubkey = &pubkeys[*validator as usize];
                assert_eq!(
                    votes.get(pubkey).and_then(|v| v.get(&target)),
                    Some(&source),
                    "the vote of {pubkey} for target {target} on chain is not in the export"
                );
                votes_seen += 1;
            }
        }
    }
    eprintln!("checked {blocks_seen} blocks and {votes_seen} votes on chain against the export");
    assert!(blocks_seen > 0 && votes_seen > 0);

    for pool in ["proposer_slashings", "attester_slashings"] {
        let found = get_json(api, &format!("/eth/v1/beacon/pool/{pool}"));
        assert_eq!(
            found["data"],
            Value::Array(vec![]),
            "{pool} must stay empty"
        );
    }
}

/// The bits of an SSZ bitlist in 0x-hex, the length marker dropped.
fn hex_bits(hex_text: &str) -> Vec<bool> {
    let bytes = hex::decode(hex_text.trim_start_matches("0x")).unwrap();
    let mut bits: Vec<bool> = bytes
        .iter()
        .flat_map(|b| (0..8).map(move |i| b >> i & 1 == 1))
        .collect();
    while bits.last() == Some(&false) {
        bits.pop();
    }
    bits.pop(); // the length marker
    bits
}
