//! Tools for a local testnet: interop validators as EIP-2335 keystores, and a config file.

use account_manager::{store_keystore, ValidatorsDir};
use anyhow::{bail, Context, Result};
use eth2_keystore::{Kdf, Keystore};
use rayon::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use types::ChainSpec;

/// Interop validators `first..first + count` as keystores in a validators directory, each
/// with a password file. The keys are public knowledge: for local testnets only.
pub fn insecure_validators(first: u64, count: u64, kdf: Kdf, dirs: &ValidatorsDir) -> Result<()> {
    let done = AtomicUsize::new(0);
    let total = count as usize;
    (first..first + count)
        .into_par_iter()
        .try_for_each(|index| {
            let secret = eth2_interop_keypairs::interop_secret_key(index);
            let password = format!("interop-insecure-{index}");
            let keystore = Keystore::encrypt(
                &secret,
                &password,
                "",
                kdf,
                Some(format!("interop validator {index} (insecure)")),
            )
            .with_context(|| format!("encrypting interop key {index}"))?;
            store_keystore(&keystore, &password, dirs)
                .with_context(|| format!("writing interop validator {index}"))?;
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(16) || n == total {
                tracing::info!(done = n, of = total, "keystores written");
            }
            Ok::<_, anyhow::Error>(())
        })
}

/// Write `spec` as a config.yaml, with `overrides` (`KEY=VALUE`) applied and checked by
/// parsing the result back.
pub fn write_config(spec: &ChainSpec, overrides: &[String], output: &Path) -> Result<()> {
    // The phase 0 keys, then the preset's name and the later forks at "never", which other
    // clients need to stay on phase 0 (Lodestar schedules its own defaults otherwise).
    let mut values: Vec<(String, String)> = eth2_config::config_values(spec)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    values.push(("PRESET_BASE".into(), spec.preset_base.to_string()));
    values.extend(eth2_config::later_fork_values(spec));
    for entry in overrides {
        let Some((key, value)) = entry.split_once('=') else {
            bail!("--set {entry:?}: expected KEY=VALUE");
        };
        match values.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => bail!("--set {key}: not a config key"),
        }
    }
    let mut text = String::new();
    for (key, value) in &values {
        text.push_str(&format!("{key}: {}\n", yaml_scalar(value)));
    }
    eth2_config::parse_config(&text, &output.display().to_string())
        .with_context(|| format!("the config with {overrides:?} applied is not valid"))?;
    std::fs::write(output, text).with_context(|| format!("writing {}", output.display()))
}

/// Hex strings are quoted so YAML keeps them as text.
fn yaml_scalar(value: &str) -> String {
    if value.starts_with("0x") {
        format!("'{value}'")
    } else {
        value.to_string()
    }
}
