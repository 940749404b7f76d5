//! `--self-test`: proof that the runner notices a wrong expectation.
//!
//! For each runner with expected outputs, one case of the real tree is copied twice into a
//! scratch tree: as it is, and with its expected output corrupted (a byte of the post state, the
//! root in `roots.yaml` / `meta.yaml`, a deltas file, the shuffling mapping, the BLS output).
//! The runner then runs on the scratch tree. The corrupted copy must fail; the pristine copy
//! must pass (otherwise the test is inconclusive: the corrupted one may fail for the same
//! unrelated reason).

use crate::context::{Preset, Suite};
use crate::diff::truncate;
use crate::discovery::{discover, Case};
use crate::files::{compress, decompress};
use crate::runner::{self, Options, Status};
use crate::skips::skip_reason;
use anyhow::{anyhow, bail, Context, Result};
use serde_yaml::Value;
use std::fs;
use std::path::{Path, PathBuf};

/// The runners whose cases carry an expected output, in report order.
pub const RUNNERS: &[&str] = &[
    "ssz_static",
    "ssz_generic",
    "bls",
    "shuffling",
    "operations",
    "epoch_processing",
    "sanity",
    "finality",
    "rewards",
    "genesis",
];

/// Suffix of the corrupted copy's directory name.
const CORRUPTED_SUFFIX: &str = "_corrupted";

/// What to test.
#[derive(Debug, Clone)]
pub struct SelfTestOptions {
    /// The suite of the real tree.
    pub suite: Suite,
    /// The real tree.
    pub vectors: PathBuf,
    /// Where the scratch tree goes (`<scratch>/<suite>/` is replaced).
    pub scratch: PathBuf,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

/// How a case's expectation is corrupted.
fn corrupt(case: &Case, dir: &Path) -> Result<String> {
    match case.key.runner.as_str() {
        "ssz_static" => flip_root_yaml(&dir.join("roots.yaml")),
        "ssz_generic" => flip_root_yaml(&dir.join("meta.yaml")),
        "bls" => flip_bls_output(&dir.join("data.yaml")),
        "shuffling" => swap_mapping(&dir.join("mapping.yaml")),
        "operations" | "epoch_processing" | "sanity" | "finality" => flip_ssz(dir, "post", 0),
        "rewards" => flip_deltas(dir),
        "genesis" => flip_ssz(dir, "state", 0),
        other => bail!("no corruption defined for runner {other}"),
    }
}

/// Whether `case` can be corrupted in a way that must make it fail.
fn suitable(case: &Case) -> bool {
    let p = &case.path;
    let has = |f: &str| p.join(f).is_file();
    let has_ssz = |n: &str| has(&format!("{n}.ssz")) || has(&format!("{n}.ssz_snappy"));
    match case.key.runner.as_str() {
        "ssz_static" => has("roots.yaml"),
        "ssz_generic" => case.suite_dir == "valid" && has("meta.yaml"),
        "bls" => {
            case.key.handler == "sign"
                && fs::read_to_string(p.join("data.yaml"))
                    .map(|t| t.contains("output: '0x"))
                    .unwrap_or(false)
        }
        "shuffling" => fs::read_to_string(p.join("mapping.yaml"))
            .ok()
            .and_then(|t| serde_yaml::from_str::<Value>(&t).ok())
            .and_then(|v| {
                v.get("mapping")
                    .and_then(Value::as_sequence)
                    .map(|s| s.len())
            })
            .is_some_and(|n| n >= 2),
        "operations" | "epoch_processing" | "finality" => has_ssz("post"),
        "sanity" => case.key.handler == "blocks" && has_ssz("post"),
        "rewards" => has_ssz("source_deltas"),
        "genesis" => case.key.handler == "initialization" && has_ssz("state"),
        _ => false,
    }
}

fn flip_hex_digit(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = if *last == '0' { '1' } else { '0' };
    }
    chars.into_iter().collect()
}

fn flip_root_yaml(path: &Path) -> Result<String> {
    let text = fs::read_to_string(path)?;
    let mut v: Value = serde_yaml::from_str(&text)?;
    let root = v
        .get("root")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("no root in {}", path.display()))?
        .to_string();
    let flipped = flip_hex_digit(&root);
    v["root"] = Value::String(flipped.clone());
    fs::write(path, serde_yaml::to_string(&v)?)?;
    Ok(format!("root {root} -> {flipped}"))
}

fn flip_bls_output(path: &Path) -> Result<String> {
    let text = fs::read_to_string(path)?;
    let mut v: Value = serde_yaml::from_str(&text)?;
    let what = match v.get("output") {
        Some(Value::String(s)) => {
            let flipped = flip_hex_digit(s);
            let what = format!(
                "output's last hex digit flipped ({})",
                truncate(&flipped, 20)
            );
            v["output"] = Value::String(flipped);
            what
        }
        Some(Value::Bool(b)) => {
            let b = *b;
            v["output"] = Value::Bool(!b);
            format!("output {b} -> {}", !b)
        }
        _ => bail!("no output to corrupt in {}", path.display()),
    };
    fs::write(path, serde_yaml::to_string(&v)?)?;
    Ok(what)
}

fn swap_mapping(path: &Path) -> Result<String> {
    let text = fs::read_to_string(path)?;
    let mut v: Value = serde_yaml::from_str(&text)?;
    let seq = v
        .get_mut("mapping")
        .and_then(Value::as_sequence_mut)
        .ok_or_else(|| anyhow!("no mapping in {}", path.display()))?;
    if seq.len() < 2 {
        bail!("mapping too short to corrupt");
    }
    seq.swap(0, 1);
    fs::write(path, serde_yaml::to_string(&v)?)?;
    Ok("mapping[0] and mapping[1] swapped".to_string())
}

/// Flip the byte at `offset` (negative: from the end) of `<name>.ssz(_snappy)`, keeping the
/// file's format.
fn flip_ssz(dir: &Path, name: &str, offset: isize) -> Result<String> {
    let (path, snappy) = if dir.join(format!("{name}.ssz_snappy")).is_file() {
        (dir.join(format!("{name}.ssz_snappy")), true)
    } else {
        (dir.join(format!("{name}.ssz")), false)
    };
    let raw = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut bytes = if snappy { decompress(&raw)? } else { raw };
    if bytes.is_empty() {
        bail!("{} is empty", path.display());
    }
    let index = if offset < 0 {
        bytes.len() - offset.unsigned_abs().min(bytes.len())
    } else {
        (offset as usize).min(bytes.len() - 1)
    };
    bytes[index] ^= 0x01;
    let out = if snappy { compress(&bytes)? } else { bytes };
    fs::write(&path, out)?;
    Ok(format!(
        "byte {index} of {} flipped",
        path.file_name().unwrap_or_default().to_string_lossy()
    ))
}

/// Flip the last byte of the first deltas file that has a value in it (the most significant
/// byte of its last entry, so that the file still decodes).
fn flip_deltas(dir: &Path) -> Result<String> {
    for name in [
        "source_deltas",
        "target_deltas",
        "head_deltas",
        "inclusion_delay_deltas",
        "inactivity_penalty_deltas",
    ] {
        let plain = dir.join(format!("{name}.ssz"));
        let snappy = dir.join(format!("{name}.ssz_snappy"));
        let len = if snappy.is_file() {
            decompress(&fs::read(&snappy)?)?.len()
        } else {
            fs::read(&plain).map(|b| b.len()).unwrap_or(0)
        };
        if len > 8 {
            return flip_ssz(dir, name, -1);
        }
    }
    bail!("no deltas file with entries")
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// One runner's chosen case and its copies.
struct Planted {
    runner: &'static str,
    pristine_rel: String,
    corrupted_rel: String,
    corruption: String,
}

fn plant(opts: &SelfTestOptions, root: &Path) -> Result<(Vec<Planted>, Vec<String>)> {
    let discovery = discover(&opts.vectors, &Preset::ALL).map_err(|e| anyhow!(e))?;
    let mut planted = Vec::new();
    let mut missing = Vec::new();
    for &runner in RUNNERS {
        let mut candidates: Vec<&Case> = discovery
            .cases
            .iter()
            .filter(|c| c.key.runner == runner && skip_reason(opts.suite, &c.rel).is_none())
            .collect();
        // Smallest presets first: minimal and general cases are quick.
        candidates.sort_by_key(|c| (c.key.preset != Preset::Minimal, c.key.preset, c.rel.clone()));
        let Some(case) = candidates.into_iter().find(|c| suitable(c)) else {
            missing.push(runner.to_string());
            continue;
        };
        let pristine = root.join(&case.rel);
        let corrupted_rel = format!("{}{CORRUPTED_SUFFIX}", case.rel);
        let corrupted = root.join(&corrupted_rel);
        copy_dir(&case.path, &pristine)?;
        copy_dir(&case.path, &corrupted)?;
        let config = opts.vectors.join(case.key.preset.as_str()).join("config");
        let config_copy = root.join(case.key.preset.as_str()).join("config");
        if config.is_dir() && !config_copy.exists() {
            copy_dir(&config, &config_copy)?;
        }
        let corruption = corrupt(case, &corrupted)
            .with_context(|| format!("corrupting {}", corrupted.display()))?;
        planted.push(Planted {
            runner,
            pristine_rel: case.rel.clone(),
            corrupted_rel,
            corruption,
        });
    }
    Ok((planted, missing))
}

/// Run the self-test; prints one line per runner. `Ok(true)` when every corruption was noticed
/// and every pristine copy passed.
pub fn self_test(opts: &SelfTestOptions) -> Result<bool> {
    let root = opts.scratch.join(opts.suite.as_str());
    if root.exists() {
        fs::remove_dir_all(&root).with_context(|| format!("clearing {}", root.display()))?;
    }
    fs::create_dir_all(&root)?;
    let (planted, missing) = plant(opts, &root)?;

    let report = runner::run(&Options {
        suite: opts.suite,
        vectors: root.clone(),
        presets: Preset::ALL.to_vec(),
        filter: None,
        count_check: false,
        threads: opts.threads,
    })
    .map_err(|e| anyhow!(e))?;

    let mut ok = true;
    for runner in &missing {
        ok = false;
        println!(
            "self-test {} {runner}: FAILED: no case with an expected output to corrupt",
            opts.suite
        );
    }
    for p in &planted {
        let corrupted = report.cases.get(&p.corrupted_rel);
        let pristine = report.cases.get(&p.pristine_rel);
        let line = match (corrupted, pristine) {
            (Some(Status::Failed(msg)), Some(Status::Passed)) => format!(
                "ok: corruption noticed ({}; {}): {}",
                p.pristine_rel,
                p.corruption,
                truncate(msg, 160)
            ),
            (Some(Status::Failed(_)), other) => {
                ok = false;
                format!(
                    "INCONCLUSIVE: the corrupted copy failed, but so did the pristine one ({}): {}",
                    p.pristine_rel,
                    describe(other)
                )
            }
            (other, _) => {
                ok = false;
                format!(
                    "FAILED: corruption went unnoticed ({}; {}): corrupted copy {}",
                    p.pristine_rel,
                    p.corruption,
                    describe(other)
                )
            }
        };
        println!("self-test {} {}: {line}", opts.suite, p.runner);
    }
    Ok(ok)
}

fn describe(status: Option<&Status>) -> String {
    match status {
        Some(Status::Passed) => "passed".into(),
        Some(Status::Failed(m)) => format!("failed: {}", truncate(m, 160)),
        Some(Status::Skipped(r)) => format!("skipped: {}", truncate(r, 80)),
        None => "was not run".into(),
    }
}
