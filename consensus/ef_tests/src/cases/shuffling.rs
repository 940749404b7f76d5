//! `shuffling` runner (`tests/formats/shuffling`): `mapping.yaml` with `seed`, `count` and
//! `mapping`, where `mapping[i] == compute_shuffled_index(i, count, seed)`.
//!
//! Both implementations are checked: the per-index `compute_shuffled_index` and the whole-list
//! `shuffle_list` (which, run backwards over the identity list, yields `mapping`).

use crate::files::{parse_hex_array, CaseDir};
use anyhow::{anyhow, bail, ensure, Context, Result};
use serde::Deserialize;
use swap_or_not_shuffle::{compute_shuffled_index, shuffle_list};
use types::ChainSpec;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mapping {
    seed: String,
    count: usize,
    mapping: Vec<usize>,
}

/// Run one case.
pub fn run(dir: &CaseDir, spec: &ChainSpec) -> Result<()> {
    let m: Mapping = dir.yaml("mapping")?;
    let seed = parse_hex_array::<32>(&m.seed).context("seed")?;
    ensure!(
        m.mapping.len() == m.count,
        "malformed case: count {} but {} mapping entries",
        m.count,
        m.mapping.len()
    );
    let rounds = u8::try_from(spec.shuffle_round_count).map_err(|_| {
        anyhow!(
            "SHUFFLE_ROUND_COUNT {} exceeds 255",
            spec.shuffle_round_count
        )
    })?;

    for (i, &expected) in m.mapping.iter().enumerate() {
        match compute_shuffled_index(i, m.count, &seed, rounds) {
            Some(got) if got == expected => {}
            Some(got) => bail!(
                "compute_shuffled_index({i}, {}) = {got}, expected {expected}",
                m.count
            ),
            None => bail!("compute_shuffled_index({i}, {}) returned None", m.count),
        }
    }

    let identity: Vec<usize> = (0..m.count).collect();
    let shuffled = shuffle_list(identity, rounds, &seed, false)
        .ok_or_else(|| anyhow!("shuffle_list returned None for {} elements", m.count))?;
    if shuffled != m.mapping {
        let first = shuffled
            .iter()
            .zip(&m.mapping)
            .position(|(a, b)| a != b)
            .unwrap_or(shuffled.len().min(m.mapping.len()));
        bail!(
            "shuffle_list differs from the mapping first at position {first} (lengths {} and {})",
            shuffled.len(),
            m.mapping.len()
        );
    }
    Ok(())
}
