//! End to end from the deposit contract, on a real eth1 chain (anvil 1.7.1, installed by
//! `scripts/eth1/install-anvil.sh`, 1-second blocks), all on 127.0.0.1:
//! - `lcli deploy-deposit-contract`, `lcli new-testnet` (minimal preset, 64 validators,
//!   ETH1_FOLLOW_DISTANCE 4, 2-second slots);
//! - deposits from `fresnel account create-validators` deposit data: 2 with bad signatures
//!   (sent first, so they are in the genesis tree), then 64 good ones (sent twice: the second
//!   run finds them all in the contract and sends nothing);
//! - two `fresnel bn` each compute genesis from eth1 (the second finds the first through
//!   discv5 from its ENR): the same state, byte for byte, as `lcli eth1-genesis` writes, with
//!   the state root that the executable spec (eth2spec 1.0.1) computes from the same deposits;
//! - a `fresnel vc` with the 64 keystores: both nodes finalize epoch 3;
//! - 8 more deposits: voted in through eth1 data, included in blocks with valid proofs (the
//!   state's deposit index reaches 74), and the 8 validators become active on both nodes;
//!   meanwhile the second node is killed with SIGKILL once the deposits are in its chain and
//!   resumes from its stored eth1 caches.
//!
//! Waiting is on event streams and the API, each bounded by a liveness limit.

mod common;

use common::{free_port, get_json, get_ssz, kill_9, wait_for_api, EventStream, Guard};
use serde_json::Value;
use ssz::Decode;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tree_hash::TreeHash;
use types::{BeaconState, DepositData, MinimalEthSpec};

const CHAIN_ID: &str = "4242";
const GENESIS_DELAY: u64 = 24;
const LIVENESS_BOUND: Duration = Duration::from_secs(120);
/// Epochs the 8 late deposits may take to become active validators: up to two eth1 voting
/// periods (4 epochs each) for the vote, then eligibility, finality and the activation delay
/// of 1 + MAX_SEED_LOOKAHEAD (4) epochs.
const ACTIVATION_EPOCHS: u64 = 24;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `lcli`, built beside `fresnel` by the workspace's tests (scripts/test.sh).
fn lcli() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_fresnel")).with_file_name("lcli");
    assert!(
        path.is_file(),
        "{} is missing: build the workspace (cargo test --workspace builds lcli)",
        path.display()
    );
    path
}

fn check(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn run(program: &Path, args: &[&str], what: &str) -> String {
    check(
        Command::new(program).args(args).output().expect("runs"),
        what,
    )
}

/// The path a script prints as its last line (installers print nothing else on stdout).
fn install(script: &str) -> String {
    let out = Command::new("bash")
        .arg(repo().join(script))
        .args(if script.ends_with("eth2spec.sh") {
            vec!["--print-python"]
        } else {
            vec![]
        })
        .output()
        .expect("bash runs");
    check(out, script)
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string()
}

fn number(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a decimal string, not {v}"))
}

struct Keys {
    deposit_data: PathBuf,
    keystores: Vec<PathBuf>,
    pubkeys: Vec<String>,
}

/// `fresnel account create-validators` for indices `first..first + count`.
fn create_validators(dir: &Path, testnet: &Path, first: u64, count: u64) -> Keys {
    let out_dir = dir.join(format!("keys-{first}"));
    let out = run(
        Path::new(env!("CARGO_BIN_EXE_fresnel")),
        &[
            "account",
            "create-validators",
            "--mnemonic-file",
            dir.join("mnemonic.txt").to_str().unwrap(),
            "--password-file",
            dir.join("password.txt").to_str().unwrap(),
            "--first-index",
            &first.to_string(),
            "--count",
            &count.to_string(),
            "--kdf",
            "pbkdf2",
            "--testnet-dir",
            testnet.to_str().unwrap(),
            "--out-dir",
            out_dir.to_str().unwrap(),
        ],
        "fresnel account create-validators",
    );
    let mut keys = Keys {
        deposit_data: PathBuf::new(),
        keystores: Vec::new(),
        pubkeys: Vec::new(),
    };
    for line in out.lines() {
        if let Some(path) = line.strip_prefix("deposit data: ") {
            keys.deposit_data = PathBuf::from(path);
        } else if let Some((pubkey, path)) = line.split_once(' ') {
            keys.pubkeys.push(pubkey.to_string());
            keys.keystores.push(PathBuf::from(path));
        }
    }
    assert_eq!(keys.keystores.len() as u64, count, "{out}");
    keys
}

/// The deposit data of a `deposit_data-*.json`, in file order.
fn read_deposits(path: &Path) -> Vec<DepositData> {
    let entries: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    entries
        .iter()
        .map(|e| {
            let bytes = |k: &str| hex::decode(e[k].as_str().unwrap()).unwrap();
            DepositData {
                pubkey: types::PublicKeyBytes::deserialize(&bytes("pubkey")).unwrap(),
                withdrawal_credentials: types::Hash256::from_slice(&bytes(
                    "withdrawal_credentials",
                )),
                amount: e["amount"].as_u64().unwrap(),
                signature: types::SignatureBytes::deserialize(&bytes("signature")).unwrap(),
            }
        })
        .collect()
}

/// Swaps the signatures of the file's two deposits (each still a valid point, but over the
/// other deposit's message) and fixes their deposit_data_root, which the contract checks.
fn corrupt_signatures(path: &Path) {
    let mut entries: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let first = entries[0]["signature"].clone();
    entries[0]["signature"] = entries[1]["signature"].clone();
    entries[1]["signature"] = first;
    std::fs::write(path, serde_json::to_string(&entries).unwrap()).unwrap();
    let datas = read_deposits(path);
    for (entry, data) in entries.iter_mut().zip(datas) {
        entry["deposit_data_root"] = Value::from(hex::encode(data.tree_hash_root()));
    }
    std::fs::write(path, serde_json::to_string(&entries).unwrap()).unwrap();
}

struct Net {
    dir: PathBuf,
    testnet: PathBuf,
    eth1: String,
}

impl Net {
    fn start_bn(&self, name: &str, http_port: u16, p2p_port: u16, boot: Option<&str>) -> Child {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fresnel"));
        command
            .args(["bn", "--testnet-dir"])
            .arg(&self.testnet)
            .args(["--eth1-endpoints", &self.eth1])
            .args(["--listen-address", "127.0.0.1", "--port"])
            .arg(p2p_port.to_string())
            .args(["--http-port", &http_port.to_string()])
            .args(["--log-level", "info,eth1=debug"])
            .arg("--datadir")
            .arg(self.dir.join(name))
            .stdout(Stdio::piped())
            .stderr(common::log_file(&self.dir, &format!("{name}.log")));
        if let Some(enr) = boot {
            command.args(["--boot-nodes", enr]);
        }
        command.spawn().expect("fresnel bn runs")
    }

    /// The node's log, without the terminal colour codes.
    fn log(&self, name: &str) -> String {
        let path = self.dir.join(format!("{name}.log"));
        common::strip_ansi(&std::fs::read_to_string(path).unwrap_or_default())
    }
}

/// The statuses of `pubkeys` in the head state of `api` (absent ones are not listed).
fn statuses(api: SocketAddr, pubkeys: &[String]) -> Vec<String> {
    let path = format!(
        "/eth/v1/beacon/states/head/validators?id={}",
        pubkeys.join(",")
    );
    get_json(api, &path)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["status"].as_str().unwrap().to_string())
        .collect()
}

fn deposit_index(api: SocketAddr) -> u64 {
    let bytes = get_ssz(api, "/eth/v2/debug/beacon/states/head");
    BeaconState::<MinimalEthSpec>::from_ssz_bytes(&bytes)
        .unwrap()
        .eth1_deposit_index
}

#[test]
fn genesis_votes_and_deposits_from_the_deposit_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let testnet = dir.join("testnet");

    // The eth1 chain.
    let anvil = install("scripts/eth1/install-anvil.sh");
    let eth1_port = free_port();
    let _anvil = Guard(
        Command::new(&anvil)
            .args(["--host", "127.0.0.1", "--port", &eth1_port.to_string()])
            .args(["--chain-id", CHAIN_ID, "--block-time", "1"])
            .args(["--gas-limit", "1000000000", "--balance", "1000000000"])
            .stdout(common::log_file(&dir, "anvil.log"))
            .stderr(Stdio::null())
            .spawn()
            .expect("anvil runs"),
    );
    let eth1 = format!("http://127.0.0.1:{eth1_port}");
    common::wait_for_listener(
        SocketAddr::from(([127, 0, 0, 1], eth1_port)),
        LIVENESS_BOUND,
    );
    let net = Net {
        dir: dir.clone(),
        testnet: testnet.clone(),
        eth1: eth1.clone(),
    };

    // The contract and the testnet directory.
    let lcli = lcli();
    let deployed = run(
        &lcli,
        &[
            "deploy-deposit-contract",
            "--eth1-endpoint",
            &eth1,
            "--testnet-dir",
            testnet.to_str().unwrap(),
        ],
        "lcli deploy-deposit-contract",
    );
    assert!(deployed.contains("deposit_contract=0x"), "{deployed}");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let overrides = [
        format!("MIN_GENESIS_TIME={now}"),
        format!("GENESIS_DELAY={GENESIS_DELAY}"),
        "MIN_GENESIS_ACTIVE_VALIDATOR_COUNT=64".into(),
        "ETH1_FOLLOW_DISTANCE=4".into(),
        "SECONDS_PER_ETH1_BLOCK=1".into(),
        format!("DEPOSIT_CHAIN_ID={CHAIN_ID}"),
        format!("DEPOSIT_NETWORK_ID={CHAIN_ID}"),
        "SECONDS_PER_SLOT=2".into(),
    ];
    let mut args = vec![
        "new-testnet".to_string(),
        "--testnet-dir".into(),
        testnet.display().to_string(),
        "--preset".into(),
        "minimal".into(),
    ];
    for o in &overrides {
        args.push("--set".into());
        args.push(o.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&lcli, &args, "lcli new-testnet");

    // Keys and deposits: 2 bad, 64 good.
    let fresnel = Path::new(env!("CARGO_BIN_EXE_fresnel"));
    let mnemonic = run(fresnel, &["account", "new-mnemonic"], "new-mnemonic");
    std::fs::write(dir.join("mnemonic.txt"), mnemonic).unwrap();
    std::fs::write(dir.join("password.txt"), "a testnet password\n").unwrap();
    let good = create_validators(&dir, &testnet, 0, 64);
    let bad = create_validators(&dir, &testnet, 64, 2);
    let late = create_validators(&dir, &testnet, 66, 8);
    corrupt_signatures(&bad.deposit_data);
    let deposit = |file: &Path, extra: &[&str]| {
        let mut args = vec![
            "deposit",
            "--eth1-endpoint",
            &eth1,
            "--testnet-dir",
            testnet.to_str().unwrap(),
            "--deposit-data",
            file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        Command::new(&lcli).args(&args).output().expect("lcli runs")
    };
    let refused = deposit(&bad.deposit_data, &[]);
    assert!(
        !refused.status.success(),
        "bad signatures are refused unless allowed"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("do not verify"));
    check(
        deposit(&bad.deposit_data, &["--allow-invalid-signatures"]),
        "lcli deposit (bad signatures)",
    );
    let sent = check(deposit(&good.deposit_data, &[]), "lcli deposit");
    assert!(sent.contains("deposit_count=66"), "{sent}");
    let again = deposit(&good.deposit_data, &[]);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("64 already in the contract, 0 to send"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    check(again, "lcli deposit (resumed)");

    // The validator client's keystores.
    let validators = dir.join("vc/validators");
    let secrets = dir.join("vc/secrets");
    let dirs = account_manager::ValidatorsDir {
        validators: validators.clone(),
        secrets: secrets.clone(),
    };
    for keystore in &good.keystores {
        account_manager::import_keystore(keystore, "a testnet password", &dirs).unwrap();
    }

    // Two nodes, each computing genesis from eth1; the second finds the first by its ENR.
    let (http_a, http_b) = (free_port(), free_port());
    let (p2p_a, p2p_b) = (free_port(), free_port());
    let mut a = Guard(net.start_bn("a", http_a, p2p_a, None));
    let (api_a, _out_a) = wait_for_api(&mut a.0);
    let enr = get_json(api_a, "/eth/v1/node/identity")["data"]["enr"]
        .as_str()
        .unwrap()
        .to_string();
    let mut b = Guard(net.start_bn("b", http_b, p2p_b, Some(&enr)));
    let (api_b, _out_b) = wait_for_api(&mut b.0);

    let genesis_a = get_ssz(api_a, "/eth/v2/debug/beacon/states/genesis");
    let genesis_b = get_ssz(api_b, "/eth/v2/debug/beacon/states/genesis");
    assert_eq!(genesis_a, genesis_b, "both nodes computed the same genesis");
    let lcli_genesis = dir.join("lcli-genesis.ssz");
    run(
        &lcli,
        &[
            "eth1-genesis",
            "--testnet-dir",
            testnet.to_str().unwrap(),
            "--eth1-endpoint",
            &eth1,
            "-o",
            lcli_genesis.to_str().unwrap(),
        ],
        "lcli eth1-genesis",
    );
    assert_eq!(genesis_a, std::fs::read(&lcli_genesis).unwrap());
    let state = BeaconState::<MinimalEthSpec>::from_ssz_bytes(&genesis_a).unwrap();
    assert_eq!(
        state.validators.len(),
        64,
        "the bad deposits add no validator"
    );
    assert_eq!(
        state.eth1_data.deposit_count, 66,
        "but they are in the tree"
    );

    // The executable spec over the same deposits, in contract order.
    let mut deposits: Vec<Value> = Vec::new();
    for data in read_deposits(&bad.deposit_data)
        .into_iter()
        .chain(read_deposits(&good.deposit_data))
    {
        deposits.push(serde_json::json!({
            "pubkey": format!("0x{}", hex::encode(data.pubkey.as_bytes())),
            "withdrawal_credentials": format!("0x{}", hex::encode(data.withdrawal_credentials)),
            "amount": data.amount.to_string(),
            "signature": format!("0x{}", hex::encode(data.signature.as_bytes())),
        }));
    }
    let deposits_file = dir.join("deposits.json");
    std::fs::write(&deposits_file, serde_json::to_string(&deposits).unwrap()).unwrap();
    let python = match std::env::var("ETH2SPEC_PYTHON") {
        Ok(p) => p,
        Err(_) => install("scripts/eth1/eth2spec.sh"),
    };
    let judged = run(
        Path::new(&python),
        &[
            repo()
                .join("scripts/eth1/spec_genesis.py")
                .to_str()
                .unwrap(),
            "--config",
            testnet.join("config.yaml").to_str().unwrap(),
            "--deposits",
            deposits_file.to_str().unwrap(),
            "--block-hash",
            &format!("{:?}", state.eth1_data.block_hash),
            "--timestamp",
            &(state.genesis_time - GENESIS_DELAY).to_string(),
        ],
        "the executable spec's genesis",
    );
    let judged: Value = serde_json::from_str(judged.trim()).unwrap();
    assert_eq!(
        judged["state_root"].as_str().unwrap(),
        format!("{:?}", state.tree_hash_root()),
        "the executable spec computes the same genesis state"
    );
    assert_eq!(judged["valid_genesis"], Value::Bool(true));

    // The validator client; both nodes finalize.
    let _vc = Guard(common::start_vc(
        &testnet,
        &format!("http://{api_a},http://{api_b}"),
        &validators,
        &secrets,
        common::log_file(&dir, "vc.log"),
        true,
    ));
    let mut events_a = EventStream::open(api_a, "head,finalized_checkpoint", LIVENESS_BOUND);
    let mut events_b = EventStream::open(api_b, "finalized_checkpoint", LIVENESS_BOUND);
    events_a.wait_for_finalized(3);
    events_b.wait_for_finalized(3);

    // Eight more deposits while the chain runs.
    let sent = check(deposit(&late.deposit_data, &[]), "lcli deposit (late)");
    assert!(sent.contains("deposit_count=74"), "{sent}");
    let mut b_restarted = false;
    let mut active_on_a = false;
    for _ in 0..ACTIVATION_EPOCHS * 8 {
        events_a.wait_for_head();
        if !b_restarted && statuses(api_b, &late.pubkeys).len() == 8 {
            // The deposits are in B's chain: kill it, and it must come back from its own
            // stored eth1 caches.
            kill_9(&mut b.0);
            b = Guard(net.start_bn("b", http_b, p2p_b, Some(&enr)));
            let _ = wait_for_api(&mut b.0);
            let log = net.log("b");
            let resumed = log
                .lines()
                .rev()
                .find(|l| l.contains("Eth1 caches resumed from the database"))
                .unwrap_or_else(|| panic!("B resumed its eth1 caches:\n{log}"));
            assert!(resumed.contains("deposits=74"), "{resumed}");
            b_restarted = true;
        }
        let on_a = statuses(api_a, &late.pubkeys);
        if on_a.len() == 8 && on_a.iter().all(|s| s == "active_ongoing") {
            active_on_a = true;
            break;
        }
    }
    if !active_on_a {
        common::print_log_tails(&dir, &["a.log".into(), "b.log".into()], 40, "DEBUG");
        panic!(
            "the late validators are not active after {ACTIVATION_EPOCHS} epochs: {:?}",
            statuses(api_a, &late.pubkeys)
        );
    }
    assert!(
        b_restarted,
        "B was killed and restarted while following eth1"
    );
    assert_eq!(
        deposit_index(api_a),
        74,
        "every deposit was included in a block"
    );
    // B catches up with A and sees the same validators.
    let mut events_b = EventStream::open(api_b, "head", LIVENESS_BOUND);
    loop {
        let slot_b = events_b.wait_for_head();
        let head_a = number(
            &get_json(api_a, "/eth/v1/beacon/headers/head")["data"]["header"]["message"]["slot"],
        );
        if slot_b >= head_a {
            break;
        }
    }
    let on_b = statuses(api_b, &late.pubkeys);
    assert!(
        on_b.iter().all(|s| s == "active_ongoing") && on_b.len() == 8,
        "{on_b:?}"
    );
    assert_eq!(deposit_index(api_b), 74);
}
