//! `lcli`: developer and testnet-coordinator tools (state roots, SSZ pretty-printing, interop
//! genesis, offline state transitions).

mod eth1;
mod network;
mod simulate;
mod testnet;
mod testnet_status;
mod transition;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use network::NetworkArg;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "lcli", version, about = "Fresnel developer and testnet tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a BeaconState's hash_tree_root and genesis_validators_root.
    StateRoot {
        #[command(flatten)]
        network: NetworkArg,
        /// SSZ-encoded BeaconState.
        file: PathBuf,
    },
    /// Print an SSZ file as Beacon API JSON.
    PrettySsz {
        /// Container name, e.g. BeaconState, SignedBeaconBlock, Attestation.
        #[arg(long = "type")]
        type_name: String,
        #[command(flatten)]
        network: NetworkArg,
        /// SSZ-encoded file.
        file: PathBuf,
    },
    /// Build the interop ("mocked start") genesis state.
    InteropGenesis {
        /// Number of interop validators.
        #[arg(long)]
        count: u64,
        /// Genesis time (unix seconds).
        #[arg(long)]
        genesis_time: u64,
        #[command(flatten)]
        network: NetworkArg,
        /// Where to write the SSZ state.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Apply N empty slots to a state; print the post-state root and timings.
    SkipSlots {
        #[command(flatten)]
        network: NetworkArg,
        /// SSZ-encoded pre-state.
        #[arg(long = "pre-state")]
        pre_state: PathBuf,
        /// Number of slots to apply.
        #[arg(long)]
        slots: u64,
        /// Write the post-state here.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Apply SignedBeaconBlock files in order; print the post-state root and timings.
    TransitionBlocks {
        #[command(flatten)]
        network: NetworkArg,
        /// SSZ-encoded pre-state.
        #[arg(long = "pre-state")]
        pre_state: PathBuf,
        /// SSZ-encoded SignedBeaconBlocks, applied in order.
        #[arg(required = true)]
        blocks: Vec<PathBuf>,
        /// Skip signature verification (trusted replay).
        #[arg(long)]
        no_signature_verification: bool,
        /// Write the post-state here.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Write the interop validators' keys as EIP-2335 keystores into a validator client's
    /// directories (publicly known keys: local testnets only).
    InsecureValidators {
        /// Number of validators.
        #[arg(long)]
        count: u64,
        /// Index of the first interop validator.
        #[arg(long, default_value_t = 0)]
        first_index: u64,
        /// Keystore KDF.
        #[arg(long, default_value = "pbkdf2", value_parser = ["pbkdf2", "scrypt"])]
        kdf: String,
        /// The validators directory (<0xpubkey>/voting-keystore.json).
        #[arg(long)]
        validators_dir: PathBuf,
        /// The secrets directory (a password file per 0xpubkey).
        #[arg(long)]
        secrets_dir: PathBuf,
    },
    /// Write a network's config as config.yaml, with values changed by --set KEY=VALUE
    /// (e.g. a minimal-preset testnet with SECONDS_PER_SLOT=2).
    WriteConfig {
        #[command(flatten)]
        network: NetworkArg,
        /// KEY=VALUE, repeatable.
        #[arg(long = "set")]
        overrides: Vec<String>,
        /// Where to write config.yaml.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Deploy the deposit contract (consensus-specs v1.0.1) on an eth1 chain; print its
    /// address and block, and with --testnet-dir write deposit_contract.txt and
    /// deploy_block.txt there.
    DeployDepositContract {
        #[command(flatten)]
        eth1: Eth1Args,
        /// Write deposit_contract.txt and deploy_block.txt into this directory.
        #[arg(long)]
        testnet_dir: Option<PathBuf>,
    },
    /// Make deposits into the testnet's deposit contract: each verified first, those already
    /// in the contract skipped (so an interrupted run resumes), and afterwards the contract's
    /// get_deposit_count and get_deposit_root checked against a tree of its logs.
    Deposit {
        #[command(flatten)]
        eth1: Eth1Args,
        /// The testnet directory (config.yaml, deposit_contract.txt, deploy_block.txt).
        #[arg(long)]
        testnet_dir: PathBuf,
        /// deposit_data-*.json files (as `fresnel account create-validators` writes them).
        #[arg(long, num_args = 1.., required_unless_present = "interop_validators")]
        deposit_data: Vec<PathBuf>,
        /// Deposit for the interop validators 0..N instead (publicly known keys).
        #[arg(long, conflicts_with = "deposit_data")]
        interop_validators: Option<u64>,
        /// Send deposits whose signatures do not verify (tests: they enter the tree and add
        /// no validator, as the spec says).
        #[arg(long)]
        allow_invalid_signatures: bool,
    },
    /// Write a testnet directory (config.yaml, deposit_contract.txt, deploy_block.txt,
    /// boot_enr.yaml) in the eth2-networks layout that `fresnel bn --testnet-dir` and other
    /// clients read. The contract and block come from the directory (as
    /// deploy-deposit-contract wrote them) unless given.
    NewTestnet {
        #[arg(long)]
        testnet_dir: PathBuf,
        /// The preset and its defaults: minimal or mainnet (v1.0.1).
        #[arg(long, default_value = "mainnet", value_parser = ["minimal", "mainnet"])]
        preset: String,
        /// KEY=VALUE config overrides, repeatable (e.g. MIN_GENESIS_TIME=..., GENESIS_DELAY=...,
        /// MIN_GENESIS_ACTIVE_VALIDATOR_COUNT=..., ETH1_FOLLOW_DISTANCE=..., DEPOSIT_CHAIN_ID=...).
        #[arg(long = "set")]
        overrides: Vec<String>,
        #[arg(long)]
        deposit_contract_address: Option<String>,
        #[arg(long)]
        deploy_block: Option<u64>,
        /// Boot node ENRs for boot_enr.yaml, repeatable.
        #[arg(long)]
        boot_enr: Vec<String>,
    },
    /// A boot node's key and ENR for a testnet with a genesis state: written into
    /// --output-dir as `fresnel boot_node --datadir` reads them, the ENR printed (add it to
    /// the testnet's boot_enr.yaml with --append).
    GenerateBootnodeEnr {
        #[arg(long)]
        testnet_dir: PathBuf,
        /// The address peers reach the boot node at.
        #[arg(long)]
        ip: std::net::Ipv4Addr,
        #[arg(long, default_value_t = 9000)]
        udp_port: u16,
        /// A libp2p port too, if the boot node is a beacon node.
        #[arg(long)]
        tcp_port: Option<u16>,
        #[arg(long)]
        output_dir: PathBuf,
        /// Also append the ENR to the testnet's boot_enr.yaml.
        #[arg(long)]
        append: bool,
    },
    /// Follow the testnet's deposit contract until genesis, as a beacon node does, and write
    /// the genesis state (into the testnet directory's genesis.ssz by default).
    Eth1Genesis {
        #[arg(long)]
        testnet_dir: PathBuf,
        #[arg(long)]
        eth1_endpoint: String,
        /// Where to write the state (default: <testnet-dir>/genesis.ssz).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// The live health report of a testnet that scripts/testnet/start.sh launched: one screen
    /// per slot (per node: client, head, justified and finalized checkpoints, peers, sync;
    /// per epoch: participation and the distance to finality; alerts for conflicting
    /// finality, forks, stalled or down nodes, participation below 2/3, lost finality), the
    /// same rows appended to DIR/status.jsonl, and a summary when stopped
    TestnetStatus(testnet_status::StatusArgs),
    /// Run an in-process chain of interop validators: produce, sign and import blocks and
    /// attestations until the head reaches the first slot of --epochs; print a line per epoch
    /// and a final `finalized_epoch=F justified_epoch=J head_slot=S`.
    Simulate {
        /// Preset and config: minimal or mainnet (v1.0.1).
        #[arg(long, default_value = "minimal", value_parser = ["minimal", "mainnet"])]
        preset: String,
        /// Number of interop validators.
        #[arg(long, default_value_t = 64)]
        validators: usize,
        /// Stop when the head is at the first slot of this epoch.
        #[arg(long)]
        epochs: u64,
        /// Share of validators that attest (0 to 1; the lowest indices attest).
        #[arg(long, default_value_t = 1.0)]
        participation: f64,
        /// Slots without a block, e.g. 3,5,9.
        #[arg(long, value_parser = simulate::parse_slot_list, default_value = "")]
        skip_slots: std::vec::Vec<u64>,
        /// Build two competing blocks at this slot and the next, splitting the votes.
        #[arg(long)]
        fork_at: Option<u64>,
        /// Keep the chain in a database here; run again with the same directory to resume.
        #[arg(long)]
        datadir: Option<PathBuf>,
    },
}

/// How to reach eth1 and pay for transactions.
#[derive(clap::Args)]
struct Eth1Args {
    /// The eth1 node's JSON-RPC URL.
    #[arg(long)]
    eth1_endpoint: String,
    /// A file holding the paying account's secp256k1 key (hex); default: the node's first
    /// unlocked account.
    #[arg(long)]
    private_key_file: Option<PathBuf>,
    /// Blocks on top of each transaction's block before it counts as done.
    #[arg(long, default_value_t = 0)]
    confirmations: u64,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::StateRoot { network, file } => {
            let network = network.load()?;
            let bytes = read(&file)?;
            network::with_eth_spec!(network.eth_spec_id, E, {
                transition::print_state_root::<E>(&bytes)
            })
        }
        Command::PrettySsz {
            type_name,
            network,
            file,
        } => {
            let network = network.load()?;
            let bytes = read(&file)?;
            let json = network::with_eth_spec!(network.eth_spec_id, E, {
                transition::pretty_ssz::<E>(&type_name, &bytes)
            })?;
            println!("{json}");
            Ok(())
        }
        Command::InteropGenesis {
            count,
            genesis_time,
            network,
            output,
        } => {
            let network = network.load()?;
            network::with_eth_spec!(network.eth_spec_id, E, {
                transition::interop_genesis::<E>(count, genesis_time, &network.spec, &output)
            })
        }
        Command::SkipSlots {
            network,
            pre_state,
            slots,
            output,
        } => {
            let network = network.load()?;
            let bytes = read(&pre_state)?;
            network::with_eth_spec!(network.eth_spec_id, E, {
                transition::skip_slots::<E>(&bytes, slots, &network.spec, output.as_deref())
            })
        }
        Command::TransitionBlocks {
            network,
            pre_state,
            blocks,
            no_signature_verification,
            output,
        } => {
            let network = network.load()?;
            let bytes = read(&pre_state)?;
            network::with_eth_spec!(network.eth_spec_id, E, {
                transition::transition_blocks::<E>(
                    &bytes,
                    &blocks,
                    !no_signature_verification,
                    &network.spec,
                    output.as_deref(),
                )
            })
        }
        Command::InsecureValidators {
            count,
            first_index,
            kdf,
            validators_dir,
            secrets_dir,
        } => {
            let kdf = if kdf == "scrypt" {
                eth2_keystore::Kdf::Scrypt
            } else {
                eth2_keystore::Kdf::Pbkdf2
            };
            let dirs = account_manager::ValidatorsDir {
                validators: validators_dir,
                secrets: secrets_dir,
            };
            testnet::insecure_validators(first_index, count, kdf, &dirs)
        }
        Command::DeployDepositContract { eth1, testnet_dir } => {
            runtime()?.block_on(eth1::deploy_deposit_contract(
                &eth1.eth1_endpoint,
                eth1.private_key_file.as_deref(),
                eth1.confirmations,
                testnet_dir.as_deref(),
            ))
        }
        Command::Deposit {
            eth1,
            testnet_dir,
            deposit_data,
            interop_validators,
            allow_invalid_signatures,
        } => {
            let spec = eth2_config::Eth2NetworkConfig::load_dir(&testnet_dir)
                .with_context(|| format!("loading {}", testnet_dir.display()))?
                .spec;
            let datas = match interop_validators {
                Some(n) => (0..n)
                    .map(|i| state_processing::genesis::interop_deposit_data(i, &spec))
                    .collect(),
                None => {
                    let mut all = Vec::new();
                    for file in &deposit_data {
                        all.extend(eth1::read_deposit_data_file(file, &spec)?);
                    }
                    all
                }
            };
            runtime()?.block_on(eth1::deposit(
                &eth1.eth1_endpoint,
                &testnet_dir,
                datas,
                eth1.private_key_file.as_deref(),
                eth1.confirmations,
                allow_invalid_signatures,
            ))
        }
        Command::NewTestnet {
            testnet_dir,
            preset,
            overrides,
            deposit_contract_address,
            deploy_block,
            boot_enr,
        } => eth1::new_testnet(
            &testnet_dir,
            &preset,
            &overrides,
            deposit_contract_address,
            deploy_block,
            &boot_enr,
        ),
        Command::GenerateBootnodeEnr {
            testnet_dir,
            ip,
            udp_port,
            tcp_port,
            output_dir,
            append,
        } => eth1::generate_bootnode_enr(&testnet_dir, ip, udp_port, tcp_port, &output_dir, append),
        Command::Eth1Genesis {
            testnet_dir,
            eth1_endpoint,
            output,
        } => runtime()?.block_on(eth1::eth1_genesis(&testnet_dir, &eth1_endpoint, output)),
        Command::WriteConfig {
            network,
            overrides,
            output,
        } => testnet::write_config(&network.load()?.spec, &overrides, &output),
        Command::TestnetStatus(args) => testnet_status::run(args),
        Command::Simulate {
            preset,
            validators,
            epochs,
            participation,
            skip_slots,
            fork_at,
            datadir,
        } => simulate_command(
            &preset,
            simulate::SimulateOptions {
                validators,
                epochs,
                participation,
                skip_slots,
                fork_at,
                datadir,
            },
        ),
    }
}

fn simulate_command(preset: &str, options: simulate::SimulateOptions) -> Result<()> {
    match preset {
        "mainnet" => {
            simulate::simulate::<types::MainnetEthSpec>(types::ChainSpec::mainnet(), &options)
        }
        _ => simulate::simulate::<types::MinimalEthSpec>(types::ChainSpec::minimal(), &options),
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}
