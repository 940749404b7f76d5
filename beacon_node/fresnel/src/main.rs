//! `fresnel`: one binary for the beacon node, the validator client and the account tools.
//!
//! It lives under `beacon_node/` because the repository's top level is fixed; the validator
//! client's parts are libraries under `validator_client/`: `fresnel bn`, `fresnel boot_node`,
//! `fresnel vc` and `fresnel account`.

mod account;
mod bn;
mod boot_node;
mod network;
mod vc;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "fresnel",
    version,
    about = "An Ethereum phase 0 consensus client"
)]
struct Cli {
    /// Log level (error, warn, info, debug, trace) or a tracing filter.
    #[arg(long, global = true, default_value = "info")]
    log_level: String,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The beacon node: follows the chain, keeps it on disk, serves the REST API.
    Bn(Box<bn::BnArgs>),
    /// The validator client: signs duties for the keys of a validators directory through a
    /// beacon node's REST API.
    Vc(vc::VcArgs),
    /// Discovery alone (discv5), for testnet coordinators: prints its ENR and serves it.
    #[command(name = "boot_node")]
    BootNode(boot_node::BootNodeArgs),
    /// Validator keys: mnemonics, keystores, deposit data, imports.
    #[command(subcommand)]
    Account(account::AccountCommand),
}

/// glibc gives threads that allocate at once arenas of their own (up to 8 per core) and
/// seldom returns what they free: at 16,384 validators a lone beacon node's RSS after 4
/// epochs was 643 MiB with glibc's default and 356 MiB with 2 arenas (issue 10's note). An
/// operator's own `MALLOC_ARENA_MAX` is left to glibc.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter, and runs before any other thread
        // of this process exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

fn main() {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    if cli.log_json {
        subscriber.json().init();
    } else {
        subscriber.init();
    }
    let result = match cli.command {
        Command::Bn(args) => bn::run(*args),
        Command::Vc(args) => vc::run(args),
        Command::BootNode(args) => boot_node::run(args),
        Command::Account(command) => account::run(command),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
