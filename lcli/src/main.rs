//! `lcli`: developer and testnet-coordinator tools (state roots, SSZ pretty-printing, interop
//! genesis, offline state transitions).

mod network;
mod simulate;
mod testnet;
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
        Command::WriteConfig {
            network,
            overrides,
            output,
        } => testnet::write_config(&network.load()?.spec, &overrides, &output),
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
