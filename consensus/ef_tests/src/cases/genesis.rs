//! `genesis` runner (`tests/formats/genesis`).
//!
//! `initialization`: `initialize_beacon_state_from_eth1(eth1_block_hash, eth1_timestamp,
//! deposits)` must give `state.ssz`. The eth1 inputs are `eth1_block_hash` / `eth1_timestamp`
//! (`.ssz` or `.yaml`, as both the v0.12.3 and v1.0.1 sets write them) or, in later formats, one
//! `eth1.yaml` with both keys; `meta.yaml`'s `deposits_count` deposits are `deposits_<i>.ssz`.
//!
//! `validity`: `is_valid_genesis_state(genesis.ssz)` must equal `is_valid.yaml`.

use super::compare_states;
use crate::files::{parse_hex_array, CaseDir};
use anyhow::{anyhow, bail, ensure, Context, Result};
use serde::Deserialize;
use state_processing::genesis::{initialize_beacon_state_from_eth1, is_valid_genesis_state};
use types::{BeaconState, ChainSpec, Deposit, EthSpec, Hash256};

/// The handlers of this runner.
pub const HANDLERS: &[&str] = &["initialization", "validity"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InitMeta {
    deposits_count: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Eth1Yaml {
    eth1_block_hash: String,
    eth1_timestamp: u64,
}

/// Run one case of `handler`.
pub fn run<E: EthSpec>(handler: &str, dir: &CaseDir, spec: &ChainSpec) -> Result<()> {
    match handler {
        "initialization" => initialization::<E>(dir, spec),
        "validity" => validity::<E>(dir, spec),
        other => bail!("unknown genesis handler {other}"),
    }
}

fn eth1_inputs(dir: &CaseDir) -> Result<(Hash256, u64)> {
    if dir.has_yaml("eth1") {
        let eth1: Eth1Yaml = dir.yaml("eth1")?;
        let hash = parse_hex_array::<32>(&eth1.eth1_block_hash).context("eth1_block_hash")?;
        return Ok((Hash256::from(hash), eth1.eth1_timestamp));
    }
    let hash = if dir.has_ssz("eth1_block_hash") {
        let bytes = dir.ssz_bytes("eth1_block_hash")?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| anyhow!("eth1_block_hash.ssz has {} bytes, not 32", bytes.len()))?
    } else {
        let text: String = dir.yaml("eth1_block_hash")?;
        parse_hex_array::<32>(&text).context("eth1_block_hash.yaml")?
    };
    let timestamp = if dir.has_ssz("eth1_timestamp") {
        dir.ssz::<u64>("eth1_timestamp")?
    } else {
        dir.yaml::<u64>("eth1_timestamp")?
    };
    Ok((Hash256::from(hash), timestamp))
}

fn initialization<E: EthSpec>(dir: &CaseDir, spec: &ChainSpec) -> Result<()> {
    let (eth1_block_hash, eth1_timestamp) = eth1_inputs(dir)?;
    let meta: InitMeta = dir.yaml("meta")?;
    ensure!(
        !dir.has_ssz(&format!("deposits_{}", meta.deposits_count)),
        "malformed case: more deposit files than deposits_count {}",
        meta.deposits_count
    );
    let deposits = (0..meta.deposits_count)
        .map(|i| dir.ssz::<Deposit>(&format!("deposits_{i}")))
        .collect::<Result<Vec<_>>>()?;
    let expected: BeaconState<E> = dir.ssz("state")?;
    let state =
        initialize_beacon_state_from_eth1::<E>(eth1_block_hash, eth1_timestamp, &deposits, spec)
            .map_err(|e| anyhow!("initialize_beacon_state_from_eth1 failed: {e}"))?;
    compare_states("genesis state", &state, &expected)
}

fn validity<E: EthSpec>(dir: &CaseDir, spec: &ChainSpec) -> Result<()> {
    let state: BeaconState<E> = dir.ssz("genesis")?;
    let expected: bool = dir.yaml("is_valid")?;
    let got = is_valid_genesis_state(&state, spec);
    ensure!(
        got == expected,
        "is_valid_genesis_state = {got}, expected {expected}"
    );
    Ok(())
}
