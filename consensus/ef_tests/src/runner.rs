//! Running a whole tree: discovery, configuration, the count check, the cases (in parallel, each
//! behind `catch_unwind`), and the report.

use crate::cases::run_case;
use crate::context::{eth_spec_id, Preset, PresetContext, Suite};
use crate::counts;
use crate::discovery::{discover, Case, HandlerKey};
use crate::skips::skip_reason;
use rayon::prelude::*;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Once;
use std::time::{Duration, Instant};
use types::{EthSpecId, MainnetEthSpec, MainnetV012EthSpec, MinimalEthSpec};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which release the tree is.
    pub suite: Suite,
    /// The tree (`<dir>/<preset>/phase0/…`).
    pub vectors: PathBuf,
    /// The presets to run.
    pub presets: Vec<Preset>,
    /// Run only cases whose path (relative to the tree) contains this.
    pub filter: Option<String>,
    /// Compare the number of cases per handler with [`counts::EXPECTED_COUNTS`].
    pub count_check: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

/// Counts of one handler.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Cases that passed.
    pub passed: usize,
    /// Cases (and problems) that failed.
    pub failed: usize,
    /// Cases skipped on purpose.
    pub skipped: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }

    /// `N passed, N failed, N skipped`.
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It passed.
    Passed,
    /// It failed, with this message.
    Failed(String),
    /// It was skipped, for this reason.
    Skipped(String),
}

/// Everything a run found.
#[derive(Debug)]
pub struct Report {
    /// The suite.
    pub suite: Suite,
    /// The tree.
    pub vectors: PathBuf,
    /// Counts per handler.
    pub tallies: BTreeMap<HandlerKey, Tally>,
    /// Failures that are not cases (unknown directories, count mismatches, config mismatches):
    /// (path relative to the tree, message).
    pub problems: Vec<(String, String)>,
    /// Every case run or skipped, by path relative to the tree.
    pub cases: BTreeMap<String, Status>,
    /// Wall-clock time per preset.
    pub times: Vec<(Preset, usize, Duration)>,
    /// Where each preset's configuration came from.
    pub configs: Vec<(Preset, String)>,
}

impl Report {
    /// Sum over all handlers.
    pub fn totals(&self) -> Tally {
        let mut t = Tally::default();
        for tally in self.tallies.values() {
            t.add(*tally);
        }
        t
    }

    /// The full text report: failures, skips, one line per handler, times, and the totals line
    /// last.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let suite = self.suite;
        for (rel, msg) in &self.problems {
            let _ = writeln!(
                out,
                "FAIL {suite} {}: {msg}",
                self.vectors.join(rel).display()
            );
        }
        for (rel, status) in &self.cases {
            if let Status::Failed(msg) = status {
                let _ = writeln!(
                    out,
                    "FAIL {suite} {}: {msg}",
                    self.vectors.join(rel).display()
                );
            }
        }
        for (rel, status) in &self.cases {
            if let Status::Skipped(reason) = status {
                let _ = writeln!(out, "SKIP {suite} {rel}: {reason}");
            }
        }
        for (preset, source) in &self.configs {
            let _ = writeln!(out, "config {suite}/{preset}: {source}");
        }
        for (key, tally) in &self.tallies {
            let _ = writeln!(out, "{suite}/{key}: {}", tally.line());
        }
        for (preset, n, time) in &self.times {
            let _ = writeln!(
                out,
                "time {suite}/{preset}: {n} cases in {:.1} s",
                time.as_secs_f64()
            );
        }
        let _ = writeln!(out, "{}", self.totals().line());
        out
    }
}

thread_local! {
    /// Set while a case runs on this thread: panics are then recorded, not printed.
    static IN_CASE: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Wrap the panic hook: a panic inside a case records its message and location for the case
/// report (a panic in consensus code is a failure to see, with where it happened); any other
/// panic goes to the previous hook.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_CASE.with(Cell::get) {
                let message = info.to_string();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(message));
            } else {
                previous(info);
            }
        }));
    });
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(recorded) = LAST_PANIC.with(|p| p.borrow_mut().take()) {
        return recorded;
    }
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// Run `f` as a case: an error or a panic is a failure with its message.
pub fn guarded(f: impl FnOnce() -> anyhow::Result<()>) -> Status {
    install_panic_hook();
    IN_CASE.with(|c| c.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    IN_CASE.with(|c| c.set(false));
    match result {
        Ok(Ok(())) => Status::Passed,
        Ok(Err(e)) => Status::Failed(format!("{e:#}")),
        Err(payload) => Status::Failed(format!("PANIC: {}", panic_message(payload))),
    }
}

fn run_one(ctx: &PresetContext, case: &Case) -> Status {
    guarded(|| match eth_spec_id(ctx.suite, ctx.preset) {
        EthSpecId::Minimal => run_case::<MinimalEthSpec>(ctx, case),
        EthSpecId::Mainnet => run_case::<MainnetEthSpec>(ctx, case),
        EthSpecId::MainnetV012 => run_case::<MainnetV012EthSpec>(ctx, case),
    })
}

/// Only the unrecognised entries of a tree (`--list-unknown`): (path, message).
pub fn list_unknown(opts: &Options) -> Result<Vec<(String, String)>, String> {
    let d = discover(&opts.vectors, &opts.presets)?;
    Ok(d.problems.into_iter().map(|p| (p.rel, p.message)).collect())
}

/// Run a tree.
pub fn run(opts: &Options) -> Result<Report, String> {
    let discovery = discover(&opts.vectors, &opts.presets)?;
    let mut report = Report {
        suite: opts.suite,
        vectors: opts.vectors.clone(),
        tallies: BTreeMap::new(),
        problems: Vec::new(),
        cases: BTreeMap::new(),
        times: Vec::new(),
        configs: Vec::new(),
    };

    for p in &discovery.problems {
        report.tallies.entry(p.key.clone()).or_default().failed += 1;
        report.problems.push((p.rel.clone(), p.message.clone()));
    }

    if opts.count_check {
        count_check(opts, &discovery.found, &mut report);
    }

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .stack_size(64 << 20)
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;

    for &preset in &discovery.presets {
        let ctx = PresetContext::load(opts.suite, preset, &opts.vectors);
        report.configs.push((preset, ctx.spec_source.clone()));
        for problem in &ctx.config_problems {
            report
                .tallies
                .entry(HandlerKey::new(preset, "config", "phase0"))
                .or_default()
                .failed += 1;
            report
                .problems
                .push((format!("{preset}/config/phase0.yaml"), problem.clone()));
        }

        let selected: Vec<&Case> = discovery
            .cases
            .iter()
            .filter(|c| c.key.preset == preset)
            .filter(|c| opts.filter.as_deref().is_none_or(|f| c.rel.contains(f)))
            .collect();
        let start = Instant::now();
        let results: Vec<(HandlerKey, String, Status)> = pool.install(|| {
            selected
                .par_iter()
                .with_max_len(1)
                .map(|case| {
                    let status = match skip_reason(opts.suite, &case.rel) {
                        Some(reason) => Status::Skipped(reason.to_string()),
                        None => run_one(&ctx, case),
                    };
                    (case.key.clone(), case.rel.clone(), status)
                })
                .collect()
        });
        report.times.push((preset, selected.len(), start.elapsed()));
        for (key, rel, status) in results {
            let tally = report.tallies.entry(key).or_default();
            match &status {
                Status::Passed => tally.passed += 1,
                Status::Failed(_) => tally.failed += 1,
                Status::Skipped(_) => tally.skipped += 1,
            }
            report.cases.insert(rel, status);
        }
    }
    Ok(report)
}

fn count_check(opts: &Options, found: &BTreeMap<HandlerKey, usize>, report: &mut Report) {
    let mut expected_keys = BTreeSet::new();
    for &preset in &opts.presets {
        for (runner, handler, expected) in counts::expected(opts.suite, preset) {
            let key = HandlerKey::new(preset, runner, handler);
            let n = found.get(&key).copied().unwrap_or(0);
            expected_keys.insert(key.clone());
            let message = if n < expected {
                format!(
                    "{n} cases found, {expected} expected: {} missing (incomplete tree?)",
                    expected - n
                )
            } else if n > expected {
                format!(
                    "{n} cases found, {expected} expected: the count table in \
                     consensus/ef_tests/src/counts.rs is stale (or pass --no-count-check)"
                )
            } else {
                continue;
            };
            report.tallies.entry(key.clone()).or_default().failed += 1;
            report
                .problems
                .push((format!("{}/phase0/{runner}/{handler}", preset), message));
        }
    }
    for (key, n) in found {
        if !expected_keys.contains(key) {
            report.tallies.entry(key.clone()).or_default().failed += 1;
            report.problems.push((
                format!("{}/phase0/{}/{}", key.preset, key.runner, key.handler),
                format!(
                    "{n} cases found, none expected for {}: the count table is stale \
                     (or pass --no-count-check)",
                    opts.suite
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_and_errors_are_failures() {
        assert_eq!(guarded(|| Ok(())), Status::Passed);
        match guarded(|| anyhow::bail!("bad {}", 1)) {
            Status::Failed(m) => assert_eq!(m, "bad 1"),
            other => panic!("{other:?}"),
        }
        let v: Vec<u8> = Vec::new();
        match guarded(|| {
            let _ = v[3];
            Ok(())
        }) {
            Status::Failed(m) => {
                assert!(m.starts_with("PANIC: "), "{m}");
                assert!(m.contains("index out of bounds"), "{m}");
                assert!(m.contains("runner.rs"), "location missing: {m}");
            }
            other => panic!("{other:?}"),
        }
    }
}
