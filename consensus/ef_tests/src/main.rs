//! `ef_tests`: run one tree of conformance vectors and report per handler.

use clap::Parser;
use ef_tests::self_test::{self_test, SelfTestOptions};
use ef_tests::{runner, Options, Preset, Suite};
use std::path::PathBuf;
use std::process::ExitCode;

/// Run the consensus-specs phase 0 conformance vectors.
#[derive(Debug, Parser)]
#[command(name = "ef_tests", version)]
struct Cli {
    /// The release the tree is: v0.12.3 or v1.0.1.
    #[arg(long)]
    suite: Suite,
    /// The tree: a directory holding general/, minimal/ and/or mainnet/.
    #[arg(long)]
    vectors: PathBuf,
    /// Which preset to run: general, minimal, mainnet or all.
    #[arg(long, default_value = "all")]
    preset: String,
    /// Run only cases whose path (relative to the tree) contains this string.
    #[arg(long)]
    filter: Option<String>,
    /// Only list the directories the runner does not recognise, then exit (non-zero if any).
    #[arg(long)]
    list_unknown: bool,
    /// Do not compare the number of cases per handler with the built-in table (for trees other
    /// than the two official ones).
    #[arg(long)]
    no_count_check: bool,
    /// Check that corrupted expectations are noticed (one case per runner, copied to --scratch).
    #[arg(long)]
    self_test: bool,
    /// Scratch directory for --self-test.
    #[arg(long, required_if_eq("self_test", "true"))]
    scratch: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn presets(arg: &str) -> Result<Vec<Preset>, String> {
    if arg == "all" {
        Ok(Preset::ALL.to_vec())
    } else {
        arg.parse::<Preset>().map(|p| vec![p])
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let presets = match presets(&cli.preset) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("ef_tests: {e} (or all)");
            return ExitCode::from(2);
        }
    };
    if !cli.vectors.is_dir() {
        eprintln!(
            "ef_tests: --vectors {} is not a directory",
            cli.vectors.display()
        );
        return ExitCode::from(2);
    }

    if cli.self_test {
        let Some(scratch) = cli.scratch else {
            eprintln!("ef_tests: --self-test needs --scratch DIR");
            return ExitCode::from(2);
        };
        return match self_test(&SelfTestOptions {
            suite: cli.suite,
            vectors: cli.vectors,
            scratch,
            threads: cli.threads,
        }) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("ef_tests: self-test could not run: {e:#}");
                ExitCode::FAILURE
            }
        };
    }

    let opts = Options {
        suite: cli.suite,
        vectors: cli.vectors,
        presets,
        filter: cli.filter,
        count_check: !cli.no_count_check,
        threads: cli.threads,
    };

    if cli.list_unknown {
        return match runner::list_unknown(&opts) {
            Ok(unknown) => {
                for (rel, msg) in &unknown {
                    println!("unknown {}: {msg}", opts.vectors.join(rel).display());
                }
                println!("{} unrecognised entries", unknown.len());
                if unknown.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Err(e) => {
                eprintln!("ef_tests: {e}");
                ExitCode::from(2)
            }
        };
    }

    match runner::run(&opts) {
        Ok(report) => {
            print!("{}", report.render());
            if report.totals().failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("ef_tests: {e}");
            ExitCode::from(2)
        }
    }
}
