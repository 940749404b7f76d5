//! A small eth1 JSON-RPC client: the dozen calls a beacon node (chain id, blocks, deposit
//! logs, contract reads) and a testnet coordinator (deployment, deposits, receipts) make,
//! over the workspace's reqwest. Every error names the endpoint and what was wrong with its
//! answer; every request has a timeout, so an endpoint that hangs is an error, not a stall.
//!
//! Written here rather than taken from the `alloy` provider stack: that stack brings about
//! 70 crates and a second HTTP client for these few calls (see ARCHITECTURE.md).

mod transaction;

pub use alloy_primitives::{Address, B256};
pub use transaction::{address_of, parse_private_key, LegacyTransaction};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What went wrong with a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcErrorKind {
    #[error("unreachable or failed: {0}")]
    Transport(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("the answer is not JSON-RPC: {0}")]
    Junk(String),
    #[error("the node refused {method}: {message} (code {code})")]
    Refused {
        method: String,
        code: i64,
        message: String,
    },
}

/// An error of one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("eth1 endpoint {endpoint}: {kind}")]
pub struct RpcError {
    pub endpoint: String,
    pub kind: RpcErrorKind,
}

/// An eth1 block's header fields that the beacon chain uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    pub number: u64,
    pub hash: B256,
    pub timestamp: u64,
}

/// A log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    pub address: Address,
    pub topics: Vec<B256>,
    pub data: Vec<u8>,
    pub block_number: u64,
    pub block_hash: B256,
    pub log_index: u64,
    /// Set by nodes for logs of a block that a reorg removed.
    pub removed: bool,
}

/// A mined transaction's receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub block_number: u64,
    pub success: bool,
    pub contract_address: Option<Address>,
}

/// A transaction for an unlocked account of the node (`eth_sendTransaction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionRequest {
    pub from: Address,
    /// None deploys `data` as a contract.
    pub to: Option<Address>,
    pub value: u128,
    pub data: Vec<u8>,
    pub gas: u64,
    /// A legacy gas price (None: the node's default, which may fall below the base fee
    /// once busy blocks raise it, and then the node may drop the transaction).
    pub gas_price: Option<u128>,
    /// None lets the node choose (sending singly); given when pipelining.
    pub nonce: Option<u64>,
}

/// One eth1 JSON-RPC endpoint.
#[derive(Debug, Clone)]
pub struct Eth1Client {
    url: String,
    http: reqwest::Client,
    timeout: Duration,
    next_id: std::sync::Arc<AtomicU64>,
}

/// A block tag for reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockTag {
    Latest,
    Pending,
    Number(u64),
}

impl BlockTag {
    fn to_json(self) -> Value {
        match self {
            BlockTag::Latest => json!("latest"),
            BlockTag::Pending => json!("pending"),
            BlockTag::Number(n) => json!(quantity(n as u128)),
        }
    }
}

/// `0x`-prefixed minimal hex, as JSON-RPC writes quantities.
pub fn quantity(value: u128) -> String {
    format!("{value:#x}")
}

/// `0x`-prefixed hex of bytes.
pub fn data_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Parses a JSON-RPC quantity (`0x` and 1 to 32 hex digits).
pub fn parse_quantity(value: &Value) -> Result<u128, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("{value} is not a hex string"))?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("{text:?} has no 0x"))?;
    if digits.is_empty() || digits.len() > 32 {
        return Err(format!("{text:?} is not a quantity"));
    }
    u128::from_str_radix(digits, 16).map_err(|_| format!("{text:?} is not hex"))
}

fn parse_u64(value: &Value, what: &str) -> Result<u64, String> {
    let q = parse_quantity(value).map_err(|e| format!("{what}: {e}"))?;
    u64::try_from(q).map_err(|_| format!("{what}: {q} is too large"))
}

/// Parses `0x`-prefixed hex data of any length.
pub fn parse_data(value: &Value, what: &str) -> Result<Vec<u8>, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("{what}: {value} is not a hex string"))?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("{what}: {text:?} has no 0x"))?;
    hex::decode(digits).map_err(|e| format!("{what}: {e}"))
}

fn parse_fixed<const N: usize>(value: &Value, what: &str) -> Result<[u8; N], String> {
    let bytes = parse_data(value, what)?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("{what}: {} bytes, expected {N}", b.len()))
}

fn parse_block(value: &Value) -> Result<BlockHeader, String> {
    Ok(BlockHeader {
        number: parse_u64(&value["number"], "block number")?,
        hash: B256::from(parse_fixed::<32>(&value["hash"], "block hash")?),
        timestamp: parse_u64(&value["timestamp"], "block timestamp")?,
    })
}

fn parse_log(value: &Value) -> Result<Log, String> {
    let topics = value["topics"]
        .as_array()
        .ok_or("log topics are not a list")?
        .iter()
        .map(|t| parse_fixed::<32>(t, "log topic").map(B256::from))
        .collect::<Result<_, _>>()?;
    Ok(Log {
        address: Address::from(parse_fixed::<20>(&value["address"], "log address")?),
        topics,
        data: parse_data(&value["data"], "log data")?,
        block_number: parse_u64(&value["blockNumber"], "log blockNumber")?,
        block_hash: B256::from(parse_fixed::<32>(&value["blockHash"], "log blockHash")?),
        log_index: parse_u64(&value["logIndex"], "log logIndex")?,
        removed: value["removed"].as_bool().unwrap_or(false),
    })
}

#[derive(Deserialize)]
struct RpcErrorBody {
    code: i64,
    message: String,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<RpcErrorBody>,
}

impl Eth1Client {
    /// A client of `url` whose requests each time out after `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, RpcError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| RpcError {
                endpoint: url.to_string(),
                kind: RpcErrorKind::Transport(e.to_string()),
            })?;
        Ok(Eth1Client {
            url: url.to_string(),
            http,
            timeout,
            next_id: Default::default(),
        })
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn error(&self, kind: RpcErrorKind) -> RpcError {
        RpcError {
            endpoint: self.url.clone(),
            kind,
        }
    }

    fn junk(&self, why: impl Into<String>) -> RpcError {
        self.error(RpcErrorKind::Junk(why.into()))
    }

    /// One JSON-RPC call; `null` results come back as `Value::Null`.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(self.error(RpcErrorKind::Status(status.as_u16())));
        }
        let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
        let parsed: Response = serde_json::from_slice(&bytes).map_err(|e| {
            let start = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
            self.junk(format!("{e} (answer begins {start:?})"))
        })?;
        if let Some(err) = parsed.error {
            return Err(self.error(RpcErrorKind::Refused {
                method: method.to_string(),
                code: err.code,
                message: err.message,
            }));
        }
        Ok(parsed.result.unwrap_or(Value::Null))
    }

    fn transport(&self, e: reqwest::Error) -> RpcError {
        if e.is_timeout() {
            self.error(RpcErrorKind::Timeout(self.timeout))
        } else {
            self.error(RpcErrorKind::Transport(e.to_string()))
        }
    }

    async fn typed<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, RpcError> {
        let value = self.request(method, params).await?;
        serde_json::from_value(value).map_err(|e| self.junk(format!("{method}: {e}")))
    }

    /// `eth_chainId` (EIP-695): the chain id transactions are signed for.
    pub async fn chain_id(&self) -> Result<u64, RpcError> {
        let value = self.request("eth_chainId", json!([])).await?;
        parse_u64(&value, "eth_chainId").map_err(|e| self.junk(e))
    }

    /// `net_version`: the network id (a decimal string).
    pub async fn network_id(&self) -> Result<u64, RpcError> {
        let text: String = self.typed("net_version", json!([])).await?;
        text.parse()
            .map_err(|_| self.junk(format!("net_version: {text:?} is not a number")))
    }

    /// `eth_blockNumber`.
    pub async fn block_number(&self) -> Result<u64, RpcError> {
        let value = self.request("eth_blockNumber", json!([])).await?;
        parse_u64(&value, "eth_blockNumber").map_err(|e| self.junk(e))
    }

    /// `eth_getBlockByNumber` without transactions; None if the node has no such block.
    pub async fn block_by_number(&self, tag: BlockTag) -> Result<Option<BlockHeader>, RpcError> {
        let value = self
            .request("eth_getBlockByNumber", json!([tag.to_json(), false]))
            .await?;
        if value.is_null() {
            return Ok(None);
        }
        let block = parse_block(&value).map_err(|e| self.junk(e))?;
        if let BlockTag::Number(n) = tag {
            if block.number != n {
                return Err(self.junk(format!("asked for block {n}, got block {}", block.number)));
            }
        }
        Ok(Some(block))
    }

    /// `eth_getLogs` of one contract and first topic over blocks `from..=to`, in the order
    /// the node gives (block, then log index), each checked to match the filter.
    pub async fn logs(
        &self,
        address: Address,
        topic: B256,
        from: u64,
        to: u64,
    ) -> Result<Vec<Log>, RpcError> {
        let filter = json!({
            "address": data_hex(address.as_slice()),
            "topics": [data_hex(topic.as_slice())],
            "fromBlock": quantity(from as u128),
            "toBlock": quantity(to as u128),
        });
        let value = self.request("eth_getLogs", json!([filter])).await?;
        let items = value
            .as_array()
            .ok_or_else(|| self.junk("eth_getLogs: the answer is not a list"))?;
        let mut logs = Vec::with_capacity(items.len());
        for item in items {
            let log = parse_log(item).map_err(|e| self.junk(e))?;
            if log.address != address
                || log.topics.first() != Some(&topic)
                || log.block_number < from
                || log.block_number > to
            {
                return Err(self.junk(format!(
                    "eth_getLogs answered a log outside the filter (address {}, block {})",
                    log.address, log.block_number
                )));
            }
            logs.push(log);
        }
        Ok(logs)
    }

    /// `eth_call` of `to` with `data` at `tag`.
    pub async fn call(&self, to: Address, data: &[u8], tag: BlockTag) -> Result<Vec<u8>, RpcError> {
        let value = self
            .request(
                "eth_call",
                json!([{"to": data_hex(to.as_slice()), "data": data_hex(data)}, tag.to_json()]),
            )
            .await?;
        parse_data(&value, "eth_call").map_err(|e| self.junk(e))
    }

    /// `eth_getCode` of `address` at `tag` (empty: no contract there).
    pub async fn code(&self, address: Address, tag: BlockTag) -> Result<Vec<u8>, RpcError> {
        let value = self
            .request(
                "eth_getCode",
                json!([data_hex(address.as_slice()), tag.to_json()]),
            )
            .await?;
        parse_data(&value, "eth_getCode").map_err(|e| self.junk(e))
    }

    /// `eth_accounts`: the node's unlocked accounts.
    pub async fn accounts(&self) -> Result<Vec<Address>, RpcError> {
        let value = self.request("eth_accounts", json!([])).await?;
        value
            .as_array()
            .ok_or_else(|| self.junk("eth_accounts: not a list"))?
            .iter()
            .map(|a| parse_fixed::<20>(a, "account").map(Address::from))
            .collect::<Result<_, _>>()
            .map_err(|e| self.junk(e))
    }

    /// `eth_getTransactionCount` of `address` at `tag` (the next nonce, with `Pending`).
    pub async fn transaction_count(
        &self,
        address: Address,
        tag: BlockTag,
    ) -> Result<u64, RpcError> {
        let value = self
            .request(
                "eth_getTransactionCount",
                json!([data_hex(address.as_slice()), tag.to_json()]),
            )
            .await?;
        parse_u64(&value, "eth_getTransactionCount").map_err(|e| self.junk(e))
    }

    /// `eth_gasPrice`.
    pub async fn gas_price(&self) -> Result<u128, RpcError> {
        let value = self.request("eth_gasPrice", json!([])).await?;
        parse_quantity(&value).map_err(|e| self.junk(format!("eth_gasPrice: {e}")))
    }

    /// `eth_sendTransaction` from an unlocked account; the transaction's hash.
    pub async fn send_transaction(&self, tx: &TransactionRequest) -> Result<B256, RpcError> {
        let mut object = json!({
            "from": data_hex(tx.from.as_slice()),
            "value": quantity(tx.value),
            "data": data_hex(&tx.data),
            "gas": quantity(tx.gas as u128),
        });
        if let Some(to) = tx.to {
            object["to"] = json!(data_hex(to.as_slice()));
        }
        if let Some(nonce) = tx.nonce {
            object["nonce"] = json!(quantity(nonce as u128));
        }
        if let Some(price) = tx.gas_price {
            object["gasPrice"] = json!(quantity(price));
        }
        let value = self.request("eth_sendTransaction", json!([object])).await?;
        parse_fixed::<32>(&value, "transaction hash")
            .map(B256::from)
            .map_err(|e| self.junk(e))
    }

    /// `eth_sendRawTransaction` of a signed transaction; its hash.
    pub async fn send_raw_transaction(&self, raw: &[u8]) -> Result<B256, RpcError> {
        let value = self
            .request("eth_sendRawTransaction", json!([data_hex(raw)]))
            .await?;
        parse_fixed::<32>(&value, "transaction hash")
            .map(B256::from)
            .map_err(|e| self.junk(e))
    }

    /// `eth_getTransactionByHash` answered something: the node knows the transaction (mined
    /// or in its pool).
    pub async fn transaction_known(&self, hash: B256) -> Result<bool, RpcError> {
        let value = self
            .request(
                "eth_getTransactionByHash",
                json!([data_hex(hash.as_slice())]),
            )
            .await?;
        Ok(!value.is_null())
    }

    /// `eth_getTransactionReceipt`; None while the transaction is not mined.
    pub async fn receipt(&self, hash: B256) -> Result<Option<Receipt>, RpcError> {
        let value = self
            .request(
                "eth_getTransactionReceipt",
                json!([data_hex(hash.as_slice())]),
            )
            .await?;
        if value.is_null() {
            return Ok(None);
        }
        let parse = || -> Result<Receipt, String> {
            let contract_address = match &value["contractAddress"] {
                Value::Null => None,
                a => Some(Address::from(parse_fixed::<20>(a, "contractAddress")?)),
            };
            Ok(Receipt {
                block_number: parse_u64(&value["blockNumber"], "receipt blockNumber")?,
                success: parse_u64(&value["status"], "receipt status")? == 1,
                contract_address,
            })
        };
        parse().map(Some).map_err(|e| self.junk(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(quantity(0), "0x0");
        assert_eq!(quantity(255), "0xff");
        assert_eq!(parse_quantity(&json!("0x1a")), Ok(26));
        assert!(parse_quantity(&json!("1a")).is_err());
        assert!(parse_quantity(&json!("0x")).is_err());
        assert!(parse_quantity(&json!(26)).is_err());
        assert!(parse_u64(&json!("0x10000000000000000"), "n").is_err());
    }

    #[test]
    fn blocks_and_logs_parse_strictly() {
        let block = json!({"number": "0x2", "hash": format!("0x{}", "ab".repeat(32)), "timestamp": "0x5f5e1000"});
        let parsed = parse_block(&block).unwrap();
        assert_eq!(parsed.number, 2);
        assert_eq!(parsed.timestamp, 0x5f5e1000);
        let short = json!({"number": "0x2", "hash": "0xabcd", "timestamp": "0x1"});
        assert!(parse_block(&short).is_err());
        let log = json!({
            "address": format!("0x{}", "11".repeat(20)),
            "topics": [format!("0x{}", "22".repeat(32))],
            "data": "0x00ff",
            "blockNumber": "0x7",
            "blockHash": format!("0x{}", "33".repeat(32)),
            "logIndex": "0x0",
        });
        let parsed = parse_log(&log).unwrap();
        assert_eq!(parsed.data, vec![0, 255]);
        assert!(!parsed.removed);
        let mut bad = log.clone();
        bad["data"] = json!("0x0");
        assert!(parse_log(&bad).is_err());
    }

    #[tokio::test]
    async fn unreachable_endpoint_is_named() {
        // Port 9 on loopback: nothing listens (connection refused at once).
        let client = Eth1Client::new("http://127.0.0.1:9", Duration::from_secs(2)).unwrap();
        let err = client.block_number().await.unwrap_err();
        assert_eq!(err.endpoint, "http://127.0.0.1:9");
        assert!(err
            .to_string()
            .starts_with("eth1 endpoint http://127.0.0.1:9: "));
    }
}
