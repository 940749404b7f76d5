//! `ssz_static` runner (`tests/formats/ssz_static`): the containers of `types`.
//!
//! For each case: `serialized.ssz` decodes, re-encodes byte for byte, and its hash tree root is
//! `roots.yaml`'s `root`; and `value.yaml`, read through the types' own serde implementation
//! (the Beacon API JSON form), equals the decoded value. The YAML form writes integers as plain
//! numbers where the JSON form quotes them, so integers are turned into decimal strings first.

use crate::diff::{json_diff, truncate};
use crate::files::{CaseDir, RootYaml};
use anyhow::{anyhow, bail, ensure, Context, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use ssz::{Decode, Encode};
use std::fmt::Debug;
use tree_hash::TreeHash;
use types::*;

/// The 27 phase 0 containers the vectors cover (the handler directory names).
pub const TYPE_NAMES: &[&str] = &[
    "AggregateAndProof",
    "Attestation",
    "AttestationData",
    "AttesterSlashing",
    "BeaconBlock",
    "BeaconBlockBody",
    "BeaconBlockHeader",
    "BeaconState",
    "Checkpoint",
    "Deposit",
    "DepositData",
    "DepositMessage",
    "Eth1Block",
    "Eth1Data",
    "Fork",
    "ForkData",
    "HistoricalBatch",
    "IndexedAttestation",
    "PendingAttestation",
    "ProposerSlashing",
    "SignedAggregateAndProof",
    "SignedBeaconBlock",
    "SignedBeaconBlockHeader",
    "SignedVoluntaryExit",
    "SigningData",
    "Validator",
    "VoluntaryExit",
];

/// Run one case of the type `handler`.
pub fn run<E: EthSpec>(handler: &str, dir: &CaseDir) -> Result<()> {
    match handler {
        "AggregateAndProof" => check::<AggregateAndProof<E>>(dir),
        "Attestation" => check::<Attestation<E>>(dir),
        "AttestationData" => check::<AttestationData>(dir),
        "AttesterSlashing" => check::<AttesterSlashing<E>>(dir),
        "BeaconBlock" => check::<BeaconBlock<E>>(dir),
        "BeaconBlockBody" => check::<BeaconBlockBody<E>>(dir),
        "BeaconBlockHeader" => check::<BeaconBlockHeader>(dir),
        "BeaconState" => check::<BeaconState<E>>(dir),
        "Checkpoint" => check::<Checkpoint>(dir),
        "Deposit" => check::<Deposit>(dir),
        "DepositData" => check::<DepositData>(dir),
        "DepositMessage" => check::<DepositMessage>(dir),
        "Eth1Block" => check::<Eth1Block>(dir),
        "Eth1Data" => check::<Eth1Data>(dir),
        "Fork" => check::<Fork>(dir),
        "ForkData" => check::<ForkData>(dir),
        "HistoricalBatch" => check::<HistoricalBatch<E>>(dir),
        "IndexedAttestation" => check::<IndexedAttestation<E>>(dir),
        "PendingAttestation" => check::<PendingAttestation<E>>(dir),
        "ProposerSlashing" => check::<ProposerSlashing>(dir),
        "SignedAggregateAndProof" => check::<SignedAggregateAndProof<E>>(dir),
        "SignedBeaconBlock" => check::<SignedBeaconBlock<E>>(dir),
        "SignedBeaconBlockHeader" => check::<SignedBeaconBlockHeader>(dir),
        "SignedVoluntaryExit" => check::<SignedVoluntaryExit>(dir),
        "SigningData" => check::<SigningData>(dir),
        "Validator" => check::<Validator>(dir),
        "VoluntaryExit" => check::<VoluntaryExit>(dir),
        other => bail!("unknown ssz_static type {other}"),
    }
}

fn check<T>(dir: &CaseDir) -> Result<()>
where
    T: Encode + Decode + TreeHash + Serialize + DeserializeOwned + PartialEq + Debug,
{
    let bytes = dir.ssz_bytes("serialized")?;
    let roots: RootYaml = dir.yaml("roots")?;
    let expected_root = roots.root()?;

    let value =
        T::from_ssz_bytes(&bytes).map_err(|e| anyhow!("serialized.ssz does not decode: {e:?}"))?;
    let encoded = value.as_ssz_bytes();
    if encoded != bytes {
        let first = encoded
            .iter()
            .zip(&bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(encoded.len().min(bytes.len()));
        bail!(
            "re-encoding differs from serialized.ssz: {} vs {} bytes, first difference at byte {first}",
            encoded.len(),
            bytes.len()
        );
    }
    let root = value.tree_hash_root();
    ensure!(
        root.as_slice() == expected_root.as_slice(),
        "hash_tree_root {root:?} differs from roots.yaml 0x{}",
        hex::encode(expected_root)
    );

    let yaml = dir.yaml_text("value")?;
    let from_yaml: T = from_yaml_via_json(&yaml).context("value.yaml through serde")?;
    if from_yaml != value {
        bail!(
            "value.yaml (through serde) differs from the decoded value: {}",
            json_diff(&from_yaml, &value)
        );
    }
    Ok(())
}

/// Read a vector YAML document through the types' JSON serde: YAML → `serde_json::Value` with
/// integers turned into decimal strings (the JSON form quotes them), then `T`.
pub fn from_yaml_via_json<T: DeserializeOwned>(yaml: &str) -> Result<T> {
    let value: serde_yaml::Value = serde_yaml::from_str(yaml).context("YAML syntax")?;
    let json = yaml_to_json(value)?;
    serde_json::from_value(json).map_err(|e| anyhow!("serde rejects the YAML form: {e}"))
}

fn yaml_to_json(value: serde_yaml::Value) -> Result<serde_json::Value> {
    use serde_json::Value as J;
    use serde_yaml::Value as Y;
    Ok(match value {
        Y::Null => J::Null,
        Y::Bool(b) => J::Bool(b),
        Y::Number(n) => {
            if n.is_f64() {
                bail!("unexpected non-integer number {n} in YAML");
            }
            J::String(n.to_string())
        }
        Y::String(s) => J::String(s),
        Y::Sequence(items) => J::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<Vec<_>>>()?,
        ),
        Y::Mapping(m) => {
            let mut obj = serde_json::Map::with_capacity(m.len());
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    other => bail!(
                        "non-string YAML key {}",
                        truncate(&format!("{other:?}"), 80)
                    ),
                };
                obj.insert(key, yaml_to_json(v)?);
            }
            J::Object(obj)
        }
        Y::Tagged(t) => bail!("unexpected tagged YAML value {}", t.tag),
    })
}
