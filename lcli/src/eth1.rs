//! Eth1 tooling for testnet coordinators: deploy the deposit contract, make deposits
//! (verified first, resumable, checked against the contract afterwards), and compute the
//! genesis state from the contract as every beacon node will.

use anyhow::{bail, Context, Result};
use deposit_contract::{deposit_calldata, DepositLog, WEI_PER_GWEI};
use eth1_rpc::{
    address_of, parse_private_key, Address, BlockTag, Eth1Client, LegacyTransaction,
    TransactionRequest, B256,
};
use futures::stream::{self, StreamExt, TryStreamExt};
use k256::ecdsa::SigningKey;
use merkle_proof::DepositTree;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tree_hash::TreeHash;
use types::{ChainSpec, DepositData, Hash256, PublicKeyBytes, SignatureBytes};

/// Receipts checked at once. Transactions themselves are sent one at a time, in nonce order:
/// sent concurrently, they reach the node out of order, and anvil 1.7.1 was seen to drop
/// ~3,000 of 16,384 such transactions from its pool without a word.
const RECEIPTS_IN_FLIGHT: usize = 64;

/// Who pays: an account the eth1 node holds unlocked, or a local key.
pub enum Payer {
    Unlocked(Address),
    Key(SigningKey),
}

impl Payer {
    /// `--private-key-file`, else the node's first unlocked account.
    pub async fn choose(client: &Eth1Client, key_file: Option<&Path>) -> Result<Payer> {
        match key_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let key = parse_private_key(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                Ok(Payer::Key(key))
            }
            None => {
                let accounts = client.accounts().await?;
                match accounts.first() {
                    Some(a) => Ok(Payer::Unlocked(*a)),
                    None => bail!(
                        "{} has no unlocked account: give --private-key-file",
                        client.url()
                    ),
                }
            }
        }
    }

    pub fn address(&self) -> Address {
        match self {
            Payer::Unlocked(a) => *a,
            Payer::Key(k) => address_of(k),
        }
    }
}

/// Sends transactions with consecutive nonces from one payer.
struct Sender<'a> {
    client: &'a Eth1Client,
    payer: &'a Payer,
    chain_id: u64,
    gas_price: u128,
}

impl<'a> Sender<'a> {
    async fn new(client: &'a Eth1Client, payer: &'a Payer) -> Result<Sender<'a>> {
        Ok(Sender {
            client,
            payer,
            chain_id: client.chain_id().await?,
            // Twice the node's price: deposits fill blocks, each full block raises the base
            // fee by up to 12.5 %, and a transaction priced below it is never mined (anvil
            // drops it from its pool).
            gas_price: client.gas_price().await?.saturating_mul(2),
        })
    }

    async fn next_nonce(&self) -> Result<u64> {
        Ok(self
            .client
            .transaction_count(self.payer.address(), BlockTag::Pending)
            .await?)
    }

    async fn send(
        &self,
        to: Option<Address>,
        value: u128,
        data: Vec<u8>,
        gas: u64,
        nonce: u64,
    ) -> Result<B256> {
        let hash = match self.payer {
            Payer::Unlocked(from) => {
                self.client
                    .send_transaction(&TransactionRequest {
                        from: *from,
                        to,
                        value,
                        data,
                        gas,
                        gas_price: Some(self.gas_price),
                        nonce: Some(nonce),
                    })
                    .await?
            }
            Payer::Key(key) => {
                let raw = LegacyTransaction {
                    nonce,
                    gas_price: self.gas_price,
                    gas,
                    to,
                    value,
                    data,
                    chain_id: self.chain_id,
                }
                .sign(key)
                .map_err(|e| anyhow::anyhow!(e))?;
                self.client.send_raw_transaction(&raw).await?
            }
        };
        Ok(hash)
    }
}

/// Waits until `hash` is mined with `confirmations` blocks on top; its receipt.
async fn wait_for_receipt(
    client: &Eth1Client,
    hash: B256,
    confirmations: u64,
    timeout: Duration,
) -> Result<eth1_rpc::Receipt> {
    let start = Instant::now();
    loop {
        if let Some(receipt) = client.receipt(hash).await? {
            if !receipt.success {
                bail!(
                    "transaction {hash} was mined in block {} but reverted",
                    receipt.block_number
                );
            }
            let head = client.block_number().await?;
            if head >= receipt.block_number.saturating_add(confirmations) {
                return Ok(receipt);
            }
        }
        if start.elapsed() > timeout {
            bail!("transaction {hash} not mined (with {confirmations} confirmations) within {timeout:?}: is the eth1 node mining?");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `lcli deploy-deposit-contract`.
pub async fn deploy_deposit_contract(
    endpoint: &str,
    key_file: Option<&Path>,
    confirmations: u64,
    testnet_dir: Option<&Path>,
) -> Result<()> {
    let client = Eth1Client::new(endpoint, Duration::from_secs(30))?;
    let payer = Payer::choose(&client, key_file).await?;
    let sender = Sender::new(&client, &payer).await?;
    let nonce = sender.next_nonce().await?;
    let hash = sender
        .send(
            None,
            0,
            deposit_contract::bytecode(),
            deposit_contract::DEPLOY_GAS,
            nonce,
        )
        .await?;
    eprintln!("deployment sent in {hash}; waiting for {confirmations} confirmations");
    let receipt = wait_for_receipt(&client, hash, confirmations, Duration::from_secs(300)).await?;
    let address = receipt
        .contract_address
        .context("the deployment's receipt names no contract address")?;
    let code = client.code(address, BlockTag::Latest).await?;
    if code.is_empty() {
        bail!("no code at {address} after the deployment");
    }
    println!("deposit_contract={address:#x}");
    println!("deploy_block={}", receipt.block_number);
    if let Some(dir) = testnet_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write_file(
            &dir.join("deposit_contract.txt"),
            &format!("{address:#x}\n"),
        )?;
        write_file(
            &dir.join("deploy_block.txt"),
            &format!("{}\n", receipt.block_number),
        )?;
    }
    Ok(())
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Parses a `deposit_data-*.json` (as `fresnel account create-validators` and the deposit
/// tools write it) into deposit data, checking each entry's roots and fork version.
pub fn read_deposit_data_file(path: &Path, spec: &ChainSpec) -> Result<Vec<DepositData>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let entries: Vec<account_manager::DepositDataJson> = serde_json::from_str(&text)
        .with_context(|| format!("{} is not deposit data JSON", path.display()))?;
    let hex32 = |field: &str, s: &str| -> Result<Vec<u8>> {
        hex::decode(s.trim_start_matches("0x")).with_context(|| format!("{field} is not hex"))
    };
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let at = || format!("{} entry {i}", path.display());
            let pubkey = PublicKeyBytes::deserialize(&hex32("pubkey", &e.pubkey)?)
                .map_err(|_| anyhow::anyhow!("{}: pubkey is not 48 bytes", at()))?;
            let credentials = hex32("withdrawal_credentials", &e.withdrawal_credentials)?;
            if credentials.len() != 32 {
                bail!("{}: withdrawal_credentials are not 32 bytes", at());
            }
            let signature = SignatureBytes::deserialize(&hex32("signature", &e.signature)?)
                .map_err(|_| anyhow::anyhow!("{}: signature is not 96 bytes", at()))?;
            let data = DepositData {
                pubkey,
                withdrawal_credentials: Hash256::from_slice(&credentials),
                amount: e.amount,
                signature,
            };
            let root = hex32("deposit_data_root", &e.deposit_data_root)?;
            if root != data.tree_hash_root().as_slice() {
                bail!("{}: deposit_data_root does not match the deposit", at());
            }
            if hex32("fork_version", &e.fork_version)? != spec.genesis_fork_version {
                bail!(
                    "{}: fork_version {} is not the network's GENESIS_FORK_VERSION 0x{}",
                    at(),
                    e.fork_version,
                    hex::encode(spec.genesis_fork_version)
                );
            }
            Ok(data)
        })
        .collect()
}

/// Checks what `process_deposit` and the contract will check: amount, key, and (unless
/// allowed otherwise) the proof of possession.
fn verify_deposits(datas: &[DepositData], allow_invalid: bool, spec: &ChainSpec) -> Result<()> {
    for (i, data) in datas.iter().enumerate() {
        if data.amount < spec.min_deposit_amount {
            bail!(
                "deposit {i}: {} Gwei is below MIN_DEPOSIT_AMOUNT {}",
                data.amount,
                spec.min_deposit_amount
            );
        }
    }
    let refs: Vec<&DepositData> = datas.iter().collect();
    let valid = state_processing::genesis::verify_deposit_data_signatures(&refs, spec);
    let invalid: Vec<usize> = valid
        .iter()
        .enumerate()
        .filter(|(_, v)| !**v)
        .map(|(i, _)| i)
        .collect();
    if !invalid.is_empty() {
        if allow_invalid {
            eprintln!(
                "warning: {} deposits have invalid signatures (sent anyway: they enter the tree and add no validator): {:?}",
                invalid.len(),
                invalid
            );
        } else {
            bail!(
                "{} deposits have signatures that do not verify under GENESIS_FORK_VERSION 0x{} (first: deposit {}): they would lock their ether without making a validator",
                invalid.len(),
                hex::encode(spec.genesis_fork_version),
                invalid[0]
            );
        }
    }
    Ok(())
}

/// Every deposit the contract has logged since `deploy_block`, in order.
pub async fn contract_deposits(
    client: &Eth1Client,
    spec: &ChainSpec,
    deploy_block: u64,
) -> Result<Vec<DepositLog>> {
    let head = client.block_number().await?;
    let mut config = eth1::Eth1Config::new(vec![client.url().to_string()], deploy_block, spec);
    config.log_query_blocks = 10_000;
    Ok(eth1::deposit_logs(client, &config, deploy_block, head, 0).await?)
}

/// Sends one deposit with the given nonce.
async fn send_deposit(
    sender: &Sender<'_>,
    contract: Address,
    data: &DepositData,
    nonce: u64,
) -> Result<B256> {
    let value = u128::from(data.amount) * WEI_PER_GWEI;
    sender
        .send(
            Some(contract),
            value,
            deposit_calldata(data),
            deposit_contract::DEPOSIT_GAS,
            nonce,
        )
        .await
}

/// Waits for a deposit's receipt (successful, with `confirmations`); a transaction the node
/// no longer knows (dropped from its pool) is sent again with the same nonce.
async fn confirm_deposit(
    sender: &Sender<'_>,
    contract: Address,
    data: &DepositData,
    nonce: u64,
    mut hash: B256,
    confirmations: u64,
) -> Result<()> {
    let client = sender.client;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Some(receipt) = client.receipt(hash).await? {
            if !receipt.success {
                bail!(
                    "deposit transaction {hash} (nonce {nonce}) reverted in block {}",
                    receipt.block_number
                );
            }
            let deep_enough = confirmations == 0
                || client.block_number().await?
                    >= receipt.block_number.saturating_add(confirmations);
            if deep_enough {
                return Ok(());
            }
        } else if !client.transaction_known(hash).await? {
            eprintln!(
                "deposit transaction {hash} (nonce {nonce}) was dropped by the node; sending it again"
            );
            // A nonce already used means it was mined after all: the receipt will say.
            if let Ok(again) = send_deposit(sender, contract, data, nonce).await {
                hash = again;
            }
        }
        if Instant::now() > deadline {
            bail!("deposit transaction {hash} (nonce {nonce}) not mined within 10 minutes: is the eth1 node mining?");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `lcli deposit`: sends the deposits not already in the contract, then checks the
/// contract's count and root against a tree of its logs that holds every one of them.
#[allow(clippy::too_many_arguments)]
pub async fn deposit(
    endpoint: &str,
    testnet_dir: &Path,
    datas: Vec<DepositData>,
    key_file: Option<&Path>,
    confirmations: u64,
    allow_invalid_signatures: bool,
) -> Result<()> {
    let network = eth2_config::Eth2NetworkConfig::load_dir(testnet_dir)
        .with_context(|| format!("loading {}", testnet_dir.display()))?;
    let spec = &network.spec;
    let contract = Address::from(network.deposit_contract_address);
    verify_deposits(&datas, allow_invalid_signatures, spec)?;
    let client = Eth1Client::new(endpoint, Duration::from_secs(30))?;
    let chain_id = client.chain_id().await?;
    if chain_id != spec.deposit_chain_id {
        bail!(
            "{endpoint} is on chain id {chain_id}; the network's DEPOSIT_CHAIN_ID is {}",
            spec.deposit_chain_id
        );
    }
    if client.code(contract, BlockTag::Latest).await?.is_empty() {
        bail!("no contract at {contract:#x} on {endpoint}: deploy it first (lcli deploy-deposit-contract)");
    }

    // Resume: deposits already in the contract (the same data, counted) are not sent again.
    let existing = contract_deposits(&client, spec, network.deposit_contract_deploy_block).await?;
    let mut present: HashMap<Hash256, usize> = HashMap::new();
    for log in &existing {
        *present.entry(log.data.tree_hash_root()).or_default() += 1;
    }
    let to_send: Vec<&DepositData> = datas
        .iter()
        .filter(|d| match present.get_mut(&d.tree_hash_root()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect();
    eprintln!(
        "{} deposits given, {} already in the contract, {} to send",
        datas.len(),
        datas.len() - to_send.len(),
        to_send.len()
    );

    let payer = Payer::choose(&client, key_file).await?;
    let sender = Sender::new(&client, &payer).await?;
    let first_nonce = sender.next_nonce().await?;
    let started = Instant::now();
    let total = to_send.len();
    let mut sent = Vec::with_capacity(total);
    for (i, data) in to_send.iter().enumerate() {
        let nonce = first_nonce + i as u64;
        let hash = send_deposit(&sender, contract, data, nonce)
            .await
            .with_context(|| format!("sending deposit {i} of this run"))?;
        sent.push((nonce, *data, hash));
        if (i + 1).is_multiple_of(1024) || i + 1 == total {
            eprintln!(
                "sent {}/{total} deposits ({:.1} s)",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let mut mined = 0usize;
    stream::iter(sent)
        .map(|(nonce, data, hash)| {
            let sender = &sender;
            async move { confirm_deposit(sender, contract, data, nonce, hash, confirmations).await }
        })
        .buffer_unordered(RECEIPTS_IN_FLIGHT)
        .try_for_each(|_| {
            mined += 1;
            if mined.is_multiple_of(1024) || mined == total {
                eprintln!(
                    "mined {mined}/{total} deposits ({:.1} s)",
                    started.elapsed().as_secs_f64()
                );
            }
            async { Ok(()) }
        })
        .await?;

    // The contract's count and root against our own tree of its logs, which must hold
    // every deposit given.
    let logs = contract_deposits(&client, spec, network.deposit_contract_deploy_block).await?;
    let mut tree = DepositTree::new();
    let mut in_contract: HashMap<Hash256, usize> = HashMap::new();
    for log in &logs {
        let root = log.data.tree_hash_root();
        tree.push_leaf(root).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        *in_contract.entry(root).or_default() += 1;
    }
    for data in &datas {
        match in_contract.get_mut(&data.tree_hash_root()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => bail!(
                "deposit for {:?} is not in the contract's logs",
                data.pubkey
            ),
        }
    }
    let count = deposit_contract::decode_deposit_count(
        &client
            .call(
                contract,
                &deposit_contract::get_deposit_count_calldata(),
                BlockTag::Latest,
            )
            .await?,
    )?;
    let root = deposit_contract::decode_deposit_root(
        &client
            .call(
                contract,
                &deposit_contract::get_deposit_root_calldata(),
                BlockTag::Latest,
            )
            .await?,
    )?;
    if count != tree.len() || root != tree.root() {
        bail!(
            "the contract says {count} deposits with root {root:?}; its logs give {} with root {:?}",
            tree.len(),
            tree.root()
        );
    }
    println!("deposit_count={count}");
    println!("deposit_root={root:?}");
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// `lcli eth1-genesis`: waits for genesis as a beacon node does and writes the state.
pub async fn eth1_genesis(
    testnet_dir: &Path,
    endpoint: &str,
    output: Option<PathBuf>,
) -> Result<()> {
    let network = eth2_config::Eth2NetworkConfig::load_dir(testnet_dir)
        .with_context(|| format!("loading {}", testnet_dir.display()))?;
    let config = eth1::Eth1Config::new(
        vec![endpoint.to_string()],
        network.deposit_contract_deploy_block,
        &network.spec,
    );
    let preset = network
        .spec
        .type_level_preset()
        .map_err(|e| anyhow::anyhow!("the config fits no preset: {e}"))?;
    let started = Instant::now();
    let bytes = crate::network::with_eth_spec!(preset, E, {
        let state = eth1::genesis::wait_for_genesis::<E>(&config, &network.spec, None).await?;
        println!("genesis_time={}", state.genesis_time);
        println!("eth1_block_hash={:?}", state.eth1_data.block_hash);
        println!(
            "eth1_timestamp={}",
            state
                .genesis_time
                .saturating_sub(network.spec.genesis_delay)
        );
        println!(
            "genesis_validators_root={:?}",
            state.genesis_validators_root
        );
        println!("validators={}", state.validators.len());
        println!("state_root={:?}", state.tree_hash_root());
        ssz::Encode::as_ssz_bytes(&state)
    });
    eprintln!(
        "genesis computed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let output = output.unwrap_or_else(|| testnet_dir.join("genesis.ssz"));
    std::fs::write(&output, bytes).with_context(|| format!("writing {}", output.display()))?;
    Ok(())
}

/// `lcli new-testnet`: a network directory in the eth2-networks layout.
pub fn new_testnet(
    dir: &Path,
    preset: &str,
    overrides: &[String],
    deposit_contract: Option<String>,
    deploy_block: Option<u64>,
    boot_enrs: &[String],
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let read = |name: &str| -> Result<Option<String>> {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(t) => Ok(Some(t.trim().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {name}")),
        }
    };
    let contract = match deposit_contract.or(read("deposit_contract.txt")?) {
        Some(c) => c,
        None => bail!("no deposit contract: give --deposit-contract-address, or deploy with `lcli deploy-deposit-contract --testnet-dir {}` first", dir.display()),
    };
    let deploy_block = match deploy_block {
        Some(b) => b,
        None => read("deploy_block.txt")?
            .context("no deploy block: give --deploy-block or deploy with --testnet-dir")?
            .parse()
            .context("deploy_block.txt is not a number")?,
    };
    let spec = match preset {
        "minimal" => ChainSpec::minimal(),
        "mainnet" => ChainSpec::mainnet(),
        other => bail!("--preset {other}: minimal or mainnet"),
    };
    let mut all = vec![format!("DEPOSIT_CONTRACT_ADDRESS={contract}")];
    all.extend(overrides.iter().cloned());
    crate::testnet::write_config(&spec, &all, &dir.join("config.yaml"))?;
    write_file(&dir.join("deposit_contract.txt"), &format!("{contract}\n"))?;
    write_file(&dir.join("deploy_block.txt"), &format!("{deploy_block}\n"))?;
    let mut yaml = String::new();
    for enr in boot_enrs {
        yaml.push_str(&format!("- {enr}\n"));
    }
    if yaml.is_empty() {
        yaml.push_str("[]\n");
    }
    write_file(&dir.join("boot_enr.yaml"), &yaml)?;
    // Loading it back is the check that fresnel bn will read it.
    eth2_config::Eth2NetworkConfig::load_dir(dir)
        .with_context(|| format!("the testnet directory {} does not load", dir.display()))?;
    Ok(())
}

/// `lcli generate-bootnode-enr`: the key and ENR of a boot node on the testnet's fork.
pub fn generate_bootnode_enr(
    testnet_dir: &Path,
    ip: std::net::Ipv4Addr,
    udp_port: u16,
    tcp_port: Option<u16>,
    output_dir: &Path,
    append: bool,
) -> Result<()> {
    let network = eth2_config::Eth2NetworkConfig::load_dir(testnet_dir)
        .with_context(|| format!("loading {}", testnet_dir.display()))?;
    let genesis = network.genesis_state_bytes.as_ref().with_context(|| {
        format!(
            "{} has no genesis.ssz yet: the ENR names the fork digest, which needs the genesis validators root (run lcli eth1-genesis first)",
            testnet_dir.display()
        )
    })?;
    // A state's SSZ starts with genesis_time (8 bytes), then genesis_validators_root.
    let gvr = genesis
        .get(8..40)
        .map(Hash256::from_slice)
        .context("genesis.ssz is too short to be a state")?;
    let fields = network::EnrFields {
        ip: Some(ip),
        tcp: tcp_port,
        udp: Some(udp_port),
        fork_id: network::EnrForkId::phase0(network.spec.genesis_fork_version, gvr),
        attnets: [0; 8],
    };
    std::fs::create_dir_all(output_dir)
        .with_context(|| format!("creating {}", output_dir.display()))?;
    let identity = network::NodeIdentity::load_or_create(output_dir, &fields)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let enr = identity.enr.to_base64();
    println!("{enr}");
    if append {
        let path = testnet_dir.join("boot_enr.yaml");
        let mut enrs: Vec<String> = match std::fs::read_to_string(&path) {
            Ok(text) => serde_yaml::from_str::<Option<Vec<String>>>(&text)
                .with_context(|| format!("{} is not a list of ENRs", path.display()))?
                .unwrap_or_default(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        if !enrs.contains(&enr) {
            enrs.push(enr);
        }
        let yaml: String = enrs.iter().map(|e| format!("- {e}\n")).collect();
        write_file(&path, &yaml)?;
    }
    Ok(())
}
