//! Which vector set (suite) and which preset a case belongs to, and the chain configuration the
//! case runs with.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use types::{ChainSpec, EthSpec, EthSpecId};

/// A release of the conformance vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Suite {
    /// consensus-specs v0.12.3 (npm `@chainsafe/eth2-spec-tests@0.12.3`).
    V0_12_3,
    /// consensus-specs v1.0.1.
    V1_0_1,
}

impl Suite {
    /// All suites, oldest first.
    pub const ALL: [Suite; 2] = [Suite::V0_12_3, Suite::V1_0_1];

    /// `v0.12.3` / `v1.0.1`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Suite::V0_12_3 => "v0.12.3",
            Suite::V1_0_1 => "v1.0.1",
        }
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Suite {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "v0.12.3" | "0.12.3" => Ok(Suite::V0_12_3),
            "v1.0.1" | "1.0.1" => Ok(Suite::V1_0_1),
            other => Err(format!("unknown suite {other:?} (known: v0.12.3, v1.0.1)")),
        }
    }
}

/// The top-level directory of a vector tree: the preset the cases were generated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Preset {
    /// Preset-independent cases (bls, ssz_generic); run with the minimal types.
    General,
    /// The minimal preset.
    Minimal,
    /// The mainnet preset.
    Mainnet,
}

impl Preset {
    /// All presets, in report order.
    pub const ALL: [Preset; 3] = [Preset::General, Preset::Minimal, Preset::Mainnet];

    /// The directory name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Preset::General => "general",
            Preset::Minimal => "minimal",
            Preset::Mainnet => "mainnet",
        }
    }

    /// The preset named by a directory, if any.
    pub fn from_dir(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Preset::from_dir(s)
            .ok_or_else(|| format!("unknown preset {s:?} (known: general, minimal, mainnet)"))
    }
}

/// The compile-time preset (`EthSpec`) a (suite, preset) pair runs with.
pub fn eth_spec_id(suite: Suite, preset: Preset) -> EthSpecId {
    match (suite, preset) {
        (_, Preset::General) | (_, Preset::Minimal) => EthSpecId::Minimal,
        (Suite::V0_12_3, Preset::Mainnet) => EthSpecId::MainnetV012,
        (Suite::V1_0_1, Preset::Mainnet) => EthSpecId::Mainnet,
    }
}

/// The built-in chain configuration of a (suite, preset) pair.
pub fn builtin_spec(suite: Suite, preset: Preset) -> ChainSpec {
    match (suite, preset) {
        (Suite::V0_12_3, Preset::General | Preset::Minimal) => ChainSpec::minimal_v012(),
        (Suite::V0_12_3, Preset::Mainnet) => ChainSpec::mainnet_v012(),
        (Suite::V1_0_1, Preset::General | Preset::Minimal) => ChainSpec::minimal(),
        (Suite::V1_0_1, Preset::Mainnet) => ChainSpec::mainnet(),
    }
}

/// The configuration one preset's cases run with, and what checking it found.
#[derive(Debug, Clone)]
pub struct PresetContext {
    /// The suite.
    pub suite: Suite,
    /// The preset.
    pub preset: Preset,
    /// The configuration the cases run with.
    pub spec: ChainSpec,
    /// Where the configuration came from (for messages).
    pub spec_source: String,
    /// Problems with the tree's own config file (mismatch against the built-in one, parse
    /// errors): each is a failure.
    pub config_problems: Vec<String>,
}

impl PresetContext {
    /// The context of `preset` in the tree at `vectors`: the built-in configuration, replaced
    /// by `<preset>/config/phase0.yaml` when the tree has one (which must equal the built-in).
    pub fn load(suite: Suite, preset: Preset, vectors: &Path) -> PresetContext {
        let builtin = builtin_spec(suite, preset);
        let mut ctx = PresetContext {
            suite,
            preset,
            spec: builtin.clone(),
            spec_source: format!("built-in {} {} config", suite, preset),
            config_problems: Vec::new(),
        };
        let file = vectors
            .join(preset.as_str())
            .join("config")
            .join("phase0.yaml");
        if !file.is_file() {
            return ctx;
        }
        let source = file.display().to_string();
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                ctx.config_problems
                    .push(format!("{source}: cannot read: {e}"));
                return ctx;
            }
        };
        match eth2_config::parse_config(&text, &source) {
            Ok(loaded) => {
                let spec = loaded.spec;
                if spec == builtin {
                    ctx.spec_source = format!("{source} (equal to the built-in config)");
                } else {
                    ctx.config_problems.push(format!(
                        "{source} differs from the built-in {suite} {preset} config: {}",
                        text_diff(&format!("{builtin:#?}"), &format!("{spec:#?}"))
                    ));
                    ctx.spec_source = source.clone();
                }
                let wanted = eth_spec_id(suite, preset);
                match spec.type_level_preset() {
                    Ok(id) if id == wanted => {}
                    Ok(id) => ctx.config_problems.push(format!(
                        "{source}: its list lengths fit the {id} preset, but the {preset} cases \
                         run with {wanted}"
                    )),
                    Err(e) => ctx
                        .config_problems
                        .push(format!("{source}: list lengths fit no preset: {e}")),
                }
                ctx.spec = spec;
            }
            Err(e) => ctx
                .config_problems
                .push(format!("{source}: eth2_config::parse_config failed: {e}")),
        }
        ctx
    }
}

/// The fields whose values differ between two configurations, from their `Debug` forms.
fn text_diff(e: &str, a: &str) -> String {
    let diffs: Vec<String> = e
        .lines()
        .zip(a.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| format!("built-in `{}` vs file `{}`", x.trim(), y.trim()))
        .collect();
    if diffs.is_empty() {
        "(no line-level difference in Debug output)".to_string()
    } else {
        diffs.join("; ")
    }
}

/// Check that `E` is the preset this context's cases need (guards the dispatch).
pub fn check_eth_spec<E: EthSpec>(ctx: &PresetContext) -> anyhow::Result<()> {
    let wanted = eth_spec_id(ctx.suite, ctx.preset);
    anyhow::ensure!(
        E::ID == wanted,
        "internal: {} {} dispatched with {} instead of {}",
        ctx.suite,
        ctx.preset,
        E::ID,
        wanted
    );
    Ok(())
}
