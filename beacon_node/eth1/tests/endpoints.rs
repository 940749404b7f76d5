//! The follower against hostile eth1 endpoints: each bad endpoint is named in a clear error,
//! the next endpoint is used, and nothing it said reaches the database.
//!
//! The endpoints are JSON-RPC servers written here (the end-to-end test in
//! `beacon_node/fresnel/tests/eth1.rs` uses a real anvil): one serves a consistent chain of 40
//! blocks with deposits in blocks 3, 5 and 9; the others answer with one fault each.

use deposit_contract::encode_deposit_event;
use eth1::{Eth1Config, Eth1Follower, Eth1Store};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use types::{ChainSpec, DepositData, MinimalEthSpec};

type E = MinimalEthSpec;

const CHAIN_ID: u64 = 4242;
const CONTRACT: [u8; 20] = [0x42; 20];
const HEAD: u64 = 40;
const DEPOSIT_BLOCKS: [u64; 3] = [3, 5, 9];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fault {
    None,
    WrongChain,
    NoContract,
    Junk,
    Hang,
    TruncatedLog,
    OutOfOrder,
}

fn hex_q(n: u64) -> String {
    format!("{n:#x}")
}

fn deposit(i: u64, spec: &ChainSpec) -> DepositData {
    state_processing::genesis::interop_deposit_data(i, spec)
}

/// The answer of an endpoint with `fault` to one JSON-RPC request.
fn answer(fault: Fault, request: &Value, spec: &ChainSpec) -> Value {
    let method = request["method"].as_str().unwrap_or_default();
    let params = &request["params"];
    let result = match method {
        "eth_chainId" if fault == Fault::WrongChain => json!("0x1"),
        "eth_chainId" => json!(hex_q(CHAIN_ID)),
        "net_version" => json!(CHAIN_ID.to_string()),
        "eth_getCode" if fault == Fault::NoContract => json!("0x"),
        "eth_getCode" => json!("0x6080"),
        "eth_blockNumber" => json!(hex_q(HEAD)),
        "eth_getBlockByNumber" => {
            let n = u64::from_str_radix(params[0].as_str().unwrap().trim_start_matches("0x"), 16)
                .unwrap();
            if n > HEAD {
                Value::Null
            } else {
                json!({
                    "number": hex_q(n),
                    "hash": format!("0x{}", hex::encode([n as u8; 32])),
                    "timestamp": hex_q(1_700_000_000 + n * 14),
                })
            }
        }
        "eth_getLogs" => {
            let q = |k: &str| {
                u64::from_str_radix(params[0][k].as_str().unwrap().trim_start_matches("0x"), 16)
                    .unwrap()
            };
            let (from, to) = (q("fromBlock"), q("toBlock"));
            let mut logs: Vec<Value> = Vec::new();
            for (index, block) in DEPOSIT_BLOCKS.iter().enumerate() {
                if *block < from || *block > to {
                    continue;
                }
                let mut data = encode_deposit_event(&deposit(index as u64, spec), index as u64);
                if fault == Fault::TruncatedLog {
                    data.truncate(500);
                }
                logs.push(json!({
                    "address": format!("0x{}", hex::encode(CONTRACT)),
                    "topics": [format!("{:?}", deposit_contract::deposit_event_topic())],
                    "data": format!("0x{}", hex::encode(data)),
                    "blockNumber": hex_q(*block),
                    "blockHash": format!("0x{}", hex::encode([*block as u8; 32])),
                    "logIndex": "0x0",
                }));
            }
            if fault == Fault::OutOfOrder && logs.len() > 1 {
                logs.swap(0, 1);
            }
            Value::Array(logs)
        }
        _ => {
            return json!({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32601, "message": "no such method"}})
        }
    };
    json!({"jsonrpc": "2.0", "id": request["id"], "result": result})
}

/// Serves `fault` on a free port of 127.0.0.1; its URL.
async fn serve(fault: Fault) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let spec = spec();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let spec = spec.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    // Requests on one keep-alive connection, each read whole.
                    let mut chunk = [0u8; 4096];
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() < end + 4 + length {
                        continue;
                    }
                    let body: Vec<u8> = buf.drain(..end + 4 + length).skip(end + 4).collect();
                    if fault == Fault::Hang {
                        std::future::pending::<()>().await;
                    }
                    let reply = if fault == Fault::Junk {
                        "<html>not json-rpc</html>".to_string()
                    } else {
                        let request: Value = serde_json::from_slice(&body).unwrap();
                        answer(fault, &request, &spec).to_string()
                    };
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{reply}",
                        reply.len()
                    );
                    if socket.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

fn spec() -> ChainSpec {
    let mut spec = ChainSpec::minimal();
    spec.deposit_chain_id = CHAIN_ID;
    spec.deposit_network_id = CHAIN_ID;
    spec.deposit_contract_address = CONTRACT;
    spec.eth1_follow_distance = 4;
    spec
}

fn config(endpoints: Vec<String>) -> Eth1Config {
    let mut config = Eth1Config::new(endpoints, 1, &spec());
    config.request_timeout = Duration::from_secs(1);
    config.log_query_blocks = 16;
    config
}

fn store() -> Arc<store::HotColdDB<E>> {
    Arc::new(store::HotColdDB::open_ephemeral(Default::default(), Arc::new(spec())).unwrap())
}

/// Each faulty endpoint alone: an error naming it and the fault, nothing stored. Ahead of a
/// good endpoint: the good one's deposits, the same as with the good one alone.
#[tokio::test(flavor = "multi_thread")]
async fn bad_endpoints_are_named_and_skipped() {
    let good = serve(Fault::None).await;
    let cases = [
        (Fault::WrongChain, "chain id 1"),
        (Fault::NoContract, "no contract"),
        (Fault::Junk, "not JSON-RPC"),
        (Fault::Hang, "no answer within"),
        (Fault::TruncatedLog, "not a DepositEvent"),
        (Fault::OutOfOrder, "out of order"),
    ];
    for (fault, expected) in cases {
        let bad = serve(fault).await;
        let db = store();
        let alone =
            Eth1Follower::new::<E>(config(vec![bad.clone()]), &spec(), Some(db.clone())).unwrap();
        let err = alone.update().await.unwrap_err().to_string();
        assert!(err.contains(&bad), "{fault:?}: {err}");
        assert!(err.contains(expected), "{fault:?}: {err}");
        let stored = db.load_eth1().unwrap();
        assert!(
            stored.deposits.is_empty() && stored.last_processed_block.is_none(),
            "{fault:?}"
        );
        assert_eq!(alone.deposit_count(), 0);

        let both =
            Eth1Follower::new::<E>(config(vec![bad, good.clone()]), &spec(), Some(db.clone()))
                .unwrap();
        let mut outcome = both.update().await.unwrap();
        while !outcome.caught_up {
            outcome = both.update().await.unwrap();
        }
        assert_eq!(both.deposit_count(), 3, "{fault:?}");
        assert_eq!(both.last_processed_block(), Some(HEAD - 4));
        assert_eq!(db.load_eth1().unwrap().deposits.len(), 3);
    }
}

/// A follower resumes from the database without asking eth1 for what it stored.
#[tokio::test(flavor = "multi_thread")]
async fn resumes_from_the_database() {
    let good = serve(Fault::None).await;
    let db = store();
    let first = Eth1Follower::new::<E>(config(vec![good]), &spec(), Some(db.clone())).unwrap();
    while !first.update().await.unwrap().caught_up {}
    let latest = first.latest_block().unwrap();
    // Resumed against an endpoint that hangs: everything comes from the database.
    let hang = serve(Fault::Hang).await;
    let resumed = Eth1Follower::new::<E>(config(vec![hang]), &spec(), Some(db)).unwrap();
    assert_eq!(resumed.deposit_count(), 3);
    assert_eq!(resumed.latest_block(), Some(latest));
    assert_eq!(resumed.last_processed_block(), Some(HEAD - 4));
    assert_eq!(latest.deposit_count, 3);
}

/// Genesis from the served chain: the block of the deposit that brought enough validators,
/// and the state `initialize_beacon_state_from_eth1` builds from those deposits.
#[tokio::test(flavor = "multi_thread")]
async fn genesis_at_the_block_that_completes_the_validator_set() {
    let good = serve(Fault::None).await;
    let mut spec = spec();
    spec.min_genesis_active_validator_count = 2;
    spec.min_genesis_time = 0;
    let state = eth1::genesis::wait_for_genesis::<E>(&config(vec![good]), &spec, None)
        .await
        .unwrap();
    // The second deposit is in block 5.
    assert_eq!(state.eth1_data.block_hash, types::Hash256::repeat_byte(5));
    assert_eq!(state.eth1_data.deposit_count, 2);
    let deposits =
        state_processing::genesis::deposits_with_proofs(vec![deposit(0, &spec), deposit(1, &spec)])
            .unwrap();
    let expected = state_processing::genesis::initialize_beacon_state_from_eth1::<E>(
        types::Hash256::repeat_byte(5),
        1_700_000_000 + 5 * 14,
        &deposits,
        &spec,
    )
    .unwrap();
    assert_eq!(state, expected);
}
