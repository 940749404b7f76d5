//! Finding the cases of a vector tree.
//!
//! Layout: `<preset>/phase0/<runner>/<handler>/<suite>/<case>/`, plus `<preset>/config/` for the
//! preset's config files. Anything else — an unknown preset, fork, runner or handler, a stray
//! file where a directory belongs, a case name whose type the runner does not know — is a
//! [`Problem`]: reported and counted as a failure, never skipped silently.

use crate::cases;
use crate::context::Preset;
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// A (preset, runner, handler) triple: the unit of the per-handler report and the count table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandlerKey {
    /// The preset directory.
    pub preset: Preset,
    /// The runner (`operations`, `ssz_static`, …).
    pub runner: String,
    /// The handler (`attestation`, `BeaconState`, …).
    pub handler: String,
}

impl HandlerKey {
    /// A key.
    pub fn new(preset: Preset, runner: &str, handler: &str) -> Self {
        HandlerKey {
            preset,
            runner: runner.to_string(),
            handler: handler.to_string(),
        }
    }
}

impl fmt::Display for HandlerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.preset, self.runner, self.handler)
    }
}

/// One case directory.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its handler.
    pub key: HandlerKey,
    /// The suite directory between handler and case (`pyspec_tests`, `valid`, `small`, …).
    pub suite_dir: String,
    /// The case directory's name.
    pub name: String,
    /// The directory.
    pub path: PathBuf,
    /// The path relative to the tree root, `/`-separated.
    pub rel: String,
}

/// Something in the tree the runner does not recognise.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The handler it is counted under.
    pub key: HandlerKey,
    /// The path relative to the tree root.
    pub rel: String,
    /// What is wrong.
    pub message: String,
}

/// Everything found in a tree.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Runnable cases, in path order.
    pub cases: Vec<Case>,
    /// Case directories per known handler (runnable or not): what the count table is checked
    /// against.
    pub found: BTreeMap<HandlerKey, usize>,
    /// Unrecognised directories and files.
    pub problems: Vec<Problem>,
    /// Preset directories present in the tree (among those asked for).
    pub presets: Vec<Preset>,
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<(String, PathBuf, bool)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Hidden entries (`.complete`, editor files) are not part of the vector layout.
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let is_dir = path.is_dir();
        entries.push((name, path, is_dir));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

impl Discovery {
    fn problem(&mut self, key: HandlerKey, rel: String, message: impl Into<String>) {
        self.problems.push(Problem {
            key,
            rel,
            message: message.into(),
        });
    }
}

/// Walk the tree at `root`, looking only at the preset directories in `presets`.
pub fn discover(root: &Path, presets: &[Preset]) -> Result<Discovery, String> {
    let mut d = Discovery::default();
    let top = sorted_entries(root).map_err(|e| format!("cannot list {}: {e}", root.display()))?;
    for (name, path, is_dir) in top {
        if !is_dir {
            // Files beside the preset directories (archives, notes) are not vectors.
            continue;
        }
        let Some(preset) = Preset::from_dir(&name) else {
            d.problem(
                HandlerKey::new(Preset::General, &name, "-"),
                name.clone(),
                "unknown preset directory (known: general, minimal, mainnet)",
            );
            continue;
        };
        if !presets.contains(&preset) {
            continue;
        }
        d.presets.push(preset);
        walk_preset(&mut d, preset, &path);
    }
    Ok(d)
}

fn walk_preset(d: &mut Discovery, preset: Preset, dir: &Path) {
    let entries = match sorted_entries(dir) {
        Ok(e) => e,
        Err(e) => {
            d.problem(
                HandlerKey::new(preset, "-", "-"),
                preset.to_string(),
                format!("cannot list: {e}"),
            );
            return;
        }
    };
    for (name, path, is_dir) in entries {
        let rel = format!("{preset}/{name}");
        match (name.as_str(), is_dir) {
            ("phase0", true) => walk_fork(d, preset, &path),
            // Config files are read by `PresetContext::load`.
            ("config", true) => {}
            _ => d.problem(
                HandlerKey::new(preset, &name, "-"),
                rel,
                "unknown entry (only phase0/ and config/ are known)",
            ),
        }
    }
}

fn walk_fork(d: &mut Discovery, preset: Preset, dir: &Path) {
    let entries = match sorted_entries(dir) {
        Ok(e) => e,
        Err(e) => {
            d.problem(
                HandlerKey::new(preset, "-", "-"),
                format!("{preset}/phase0"),
                format!("cannot list: {e}"),
            );
            return;
        }
    };
    for (runner, runner_path, is_dir) in entries {
        let rel = format!("{preset}/phase0/{runner}");
        if !is_dir || !cases::known_runner(&runner) {
            d.problem(HandlerKey::new(preset, &runner, "-"), rel, "unknown runner");
            continue;
        }
        let handlers = match sorted_entries(&runner_path) {
            Ok(e) => e,
            Err(e) => {
                d.problem(
                    HandlerKey::new(preset, &runner, "-"),
                    rel,
                    format!("cannot list: {e}"),
                );
                continue;
            }
        };
        for (handler, handler_path, is_dir) in handlers {
            let key = HandlerKey::new(preset, &runner, &handler);
            let rel = format!("{rel}/{handler}");
            if !is_dir || !cases::known_handler(&runner, &handler) {
                let what = if runner == "ssz_static" {
                    "unknown ssz_static type"
                } else {
                    "unknown handler"
                };
                d.problem(key, rel, what);
                continue;
            }
            walk_handler(d, key, &handler_path, &rel);
        }
    }
}

fn walk_handler(d: &mut Discovery, key: HandlerKey, dir: &Path, rel: &str) {
    let suites = match sorted_entries(dir) {
        Ok(e) => e,
        Err(e) => {
            d.problem(key, rel.to_string(), format!("cannot list: {e}"));
            return;
        }
    };
    let mut count = 0usize;
    for (suite_dir, suite_path, is_dir) in suites {
        let suite_rel = format!("{rel}/{suite_dir}");
        if !is_dir {
            d.problem(
                key.clone(),
                suite_rel,
                "a file where a suite directory belongs",
            );
            continue;
        }
        if let Err(e) = cases::check_suite_dir(&key.runner, &suite_dir) {
            d.problem(key.clone(), suite_rel, e);
            continue;
        }
        let case_entries = match sorted_entries(&suite_path) {
            Ok(e) => e,
            Err(e) => {
                d.problem(key.clone(), suite_rel, format!("cannot list: {e}"));
                continue;
            }
        };
        for (name, path, is_dir) in case_entries {
            let case_rel = format!("{suite_rel}/{name}");
            if !is_dir {
                d.problem(
                    key.clone(),
                    case_rel,
                    "a file where a case directory belongs",
                );
                continue;
            }
            count += 1;
            if let Err(e) = cases::recognise(&key.runner, &key.handler, &suite_dir, &name) {
                d.problem(key.clone(), case_rel, e);
                continue;
            }
            d.cases.push(Case {
                key: key.clone(),
                suite_dir: suite_dir.clone(),
                name,
                path,
                rel: case_rel,
            });
        }
    }
    *d.found.entry(key).or_default() += count;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkdirs(root: &Path, rels: &[&str]) {
        for rel in rels {
            fs::create_dir_all(root.join(rel)).unwrap();
        }
    }

    #[test]
    fn unknown_entries_are_problems_not_skips() {
        let root = std::env::temp_dir().join(format!("ef_tests_discovery_{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        mkdirs(
            &root,
            &[
                "minimal/phase0/operations/attestation/pyspec_tests/success",
                "minimal/phase0/operations/teleport/pyspec_tests/x",
                "minimal/phase0/fork_choice/get_head/pyspec_tests/x",
                "minimal/phase0/ssz_static/Checkpoint/ssz_random/case_0",
                "minimal/phase0/ssz_static/LightClientUpdate/ssz_random/case_0",
                "minimal/phase1",
                "minimal/config",
                "general/phase0/ssz_generic/uints/valid/uint_64_max_0",
                "general/phase0/ssz_generic/uints/valid/uint_7_max_0",
                "general/phase0/ssz_generic/uints/sideways/uint_8_max_0",
                "testing/phase0",
                "mainnet/phase0/shuffling/core/shuffle/a",
            ],
        );
        fs::write(
            root.join("minimal/phase0/operations/attestation/pyspec_tests/stray"),
            "",
        )
        .unwrap();
        fs::write(root.join(".complete"), "").unwrap();

        let d = discover(&root, &[Preset::General, Preset::Minimal]).unwrap();
        let rels: Vec<&str> = d.cases.iter().map(|c| c.rel.as_str()).collect();
        assert_eq!(
            rels,
            vec![
                "general/phase0/ssz_generic/uints/valid/uint_64_max_0",
                "minimal/phase0/operations/attestation/pyspec_tests/success",
                "minimal/phase0/ssz_static/Checkpoint/ssz_random/case_0",
            ]
        );
        let mut problems: Vec<&str> = d.problems.iter().map(|p| p.rel.as_str()).collect();
        problems.sort();
        assert_eq!(
            problems,
            vec![
                "general/phase0/ssz_generic/uints/sideways",
                "general/phase0/ssz_generic/uints/valid/uint_7_max_0",
                "minimal/phase0/fork_choice",
                "minimal/phase0/operations/attestation/pyspec_tests/stray",
                "minimal/phase0/operations/teleport",
                "minimal/phase0/ssz_static/LightClientUpdate",
                "minimal/phase1",
                "testing",
            ]
        );
        // The unrecognised uint type still counts as a case of its handler.
        assert_eq!(
            d.found
                .get(&HandlerKey::new(Preset::General, "ssz_generic", "uints")),
            Some(&2)
        );
        assert_eq!(d.presets, vec![Preset::General, Preset::Minimal]);
        fs::remove_dir_all(&root).unwrap();
    }
}
