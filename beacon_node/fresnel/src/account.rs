//! `fresnel account`: what a home staker does with keys.

use crate::network::NetworkArgs;
use account_manager::{create_validators, import_keystore, ValidatorsDir};
use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use eth2_key_derivation::Mnemonic;
use eth2_keystore::Kdf;
use slashing_protection::{Interchange, SlashingDatabase};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The account subcommands.
#[derive(Subcommand)]
pub enum AccountCommand {
    /// Print a new 24-word BIP-39 mnemonic. Write it down offline: it is the only backup of
    /// every key derived from it.
    NewMnemonic,
    /// Derive validator keys from a mnemonic; write EIP-2335 keystores and the
    /// deposit_data-*.json the launchpad reads.
    CreateValidators {
        /// File holding the mnemonic.
        #[arg(long)]
        mnemonic_file: PathBuf,
        /// File holding the keystores' password (at least 8 characters).
        #[arg(long)]
        password_file: PathBuf,
        /// Index of the first validator (m/12381/3600/INDEX/0/0).
        #[arg(long, default_value_t = 0)]
        first_index: u32,
        /// How many validators.
        #[arg(long)]
        count: u32,
        /// The key-stretching function of the keystores.
        #[arg(long, value_enum, default_value_t = KdfArg::Scrypt)]
        kdf: KdfArg,
        /// Deposit amount in Gwei (default: MAX_EFFECTIVE_BALANCE of the network).
        #[arg(long)]
        amount_gwei: Option<u64>,
        /// Where to write the keystores and the deposit data.
        #[arg(long)]
        out_dir: PathBuf,
        #[command(flatten)]
        network: NetworkArgs,
    },
    /// EIP-3076 slashing protection history: import or export.
    #[command(subcommand)]
    SlashingProtection(SlashingProtectionCommand),
    /// Import an EIP-2335 keystore into the validator client's directories.
    Import {
        /// The keystore file.
        #[arg(long)]
        keystore: PathBuf,
        /// File holding its password.
        #[arg(long)]
        password_file: PathBuf,
        /// The validator client's validators directory.
        #[arg(long)]
        validators_dir: PathBuf,
        /// The validator client's secrets directory.
        #[arg(long)]
        secrets_dir: PathBuf,
    },
}

/// `fresnel account slashing-protection`.
#[derive(Subcommand)]
pub enum SlashingProtectionCommand {
    /// Import an EIP-3076 interchange file (another client's history) before running our
    /// validator client with the same keys.
    Import {
        /// The interchange JSON file.
        file: PathBuf,
        #[command(flatten)]
        db: SlashingDbArgs,
    },
    /// Export the history as an EIP-3076 interchange file (stop the validator client first).
    Export {
        /// Where to write the interchange JSON.
        file: PathBuf,
        #[command(flatten)]
        db: SlashingDbArgs,
    },
}

/// Where the database is and which chain it protects.
#[derive(clap::Args)]
pub struct SlashingDbArgs {
    /// The validator client's validators directory (holds slashing_protection.sqlite).
    #[arg(long)]
    validators_dir: PathBuf,
    /// The chain's genesis_validators_root (0x…); by default read from the network's genesis.
    #[arg(long)]
    genesis_validators_root: Option<String>,
    #[command(flatten)]
    network: NetworkArgs,
}

/// The slashing protection database's file in a validators directory.
pub use validator_client::SLASHING_PROTECTION_FILENAME as SLASHING_PROTECTION_FILE;

impl SlashingDbArgs {
    fn open(&self) -> Result<SlashingDatabase> {
        let gvr = match &self.genesis_validators_root {
            Some(hex) => hex
                .parse::<types::Hash256>()
                .map_err(|e| anyhow::anyhow!("--genesis-validators-root {hex:?}: {e}"))?,
            None => {
                let network = self.network.load()?;
                let state = network.genesis_state_bytes.ok_or_else(|| {
                    anyhow::anyhow!(
                        "network {} has no genesis state yet: give --genesis-validators-root",
                        network.name
                    )
                })?;
                // genesis_validators_root follows the 8-byte genesis_time in a state's SSZ.
                let bytes = state
                    .get(8..40)
                    .ok_or_else(|| anyhow::anyhow!("the genesis state is truncated"))?;
                types::Hash256::from_slice(bytes)
            }
        };
        std::fs::create_dir_all(&self.validators_dir)
            .with_context(|| format!("creating {}", self.validators_dir.display()))?;
        let path = self.validators_dir.join(SLASHING_PROTECTION_FILE);
        SlashingDatabase::open_or_create(&path, gvr)
            .with_context(|| format!("opening {}", path.display()))
    }
}

/// `--kdf`.
#[derive(Clone, Copy, ValueEnum)]
pub enum KdfArg {
    /// scrypt, n = 2^18 (the deposit tool's default)
    Scrypt,
    /// PBKDF2-HMAC-SHA256, c = 2^18
    Pbkdf2,
    /// PBKDF2-HMAC-SHA256, c = 2^10: only for testnet keys from a public mnemonic
    InsecurePbkdf2,
}

fn read_secret_file(path: &Path, what: &str) -> Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the {what} file {}", path.display()))?,
    );
    // A trailing newline from an editor is not part of the secret.
    Ok(Zeroizing::new(
        text.trim_end_matches(['\n', '\r']).to_string(),
    ))
}

/// Run an account subcommand.
pub fn run(command: AccountCommand) -> Result<()> {
    match command {
        AccountCommand::NewMnemonic => {
            println!("{}", Mnemonic::generate().phrase());
            Ok(())
        }
        AccountCommand::CreateValidators {
            mnemonic_file,
            password_file,
            first_index,
            count,
            kdf,
            amount_gwei,
            out_dir,
            network,
        } => {
            if count == 0 {
                bail!("--count must be at least 1");
            }
            let network = network.load()?;
            let phrase = read_secret_file(&mnemonic_file, "mnemonic")?;
            let mnemonic = Mnemonic::parse(&phrase)?;
            let password = read_secret_file(&password_file, "password")?;
            let kdf = match kdf {
                KdfArg::Scrypt => Kdf::Scrypt,
                KdfArg::Pbkdf2 => Kdf::Pbkdf2,
                KdfArg::InsecurePbkdf2 => Kdf::InsecurePbkdf2,
            };
            let seed = mnemonic.to_seed("");
            let created = create_validators(
                seed.as_ref(),
                first_index,
                count,
                &password,
                kdf,
                amount_gwei.unwrap_or(network.spec.max_effective_balance),
                &network.spec,
                &network.name,
                &out_dir,
            )?;
            for (pubkey, path) in created.pubkeys.iter().zip(&created.keystores) {
                println!("0x{pubkey} {}", path.display());
            }
            println!("deposit data: {}", created.deposit_data.display());
            Ok(())
        }
        AccountCommand::SlashingProtection(SlashingProtectionCommand::Import { file, db }) => {
            let json = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let interchange = Interchange::from_json_str(&json)
                .with_context(|| format!("{} is not an EIP-3076 interchange", file.display()))?;
            let imported = db.open()?.import_interchange(&interchange)?;
            println!("imported the history of {imported} validators");
            Ok(())
        }
        AccountCommand::SlashingProtection(SlashingProtectionCommand::Export { file, db }) => {
            let interchange = db.open()?.export_interchange()?;
            std::fs::write(&file, interchange.to_json_string()?)
                .with_context(|| format!("writing {}", file.display()))?;
            println!(
                "exported {} validators to {}",
                interchange.data.len(),
                file.display()
            );
            Ok(())
        }
        AccountCommand::Import {
            keystore,
            password_file,
            validators_dir,
            secrets_dir,
        } => {
            let password = read_secret_file(&password_file, "password")?;
            let dirs = ValidatorsDir {
                validators: validators_dir,
                secrets: secrets_dir,
            };
            let pubkey = import_keystore(&keystore, &password, &dirs)
                .with_context(|| format!("importing {}", keystore.display()))?;
            println!("imported 0x{pubkey}");
            Ok(())
        }
    }
}
