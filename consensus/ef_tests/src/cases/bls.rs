//! `bls` runner (`tests/formats/bls`): `data.yaml` with `input` and `output`.
//!
//! `sign` and `aggregate` expect a signature, or `output: null` when the operation must fail
//! (zero secret key, empty list). The verification handlers expect a boolean; an input that does
//! not decode (bad point, infinity public key) must give `false`.

use crate::files::{parse_hex, CaseDir};
use anyhow::{anyhow, bail, ensure, Context, Result};
use bls::{AggregateSignature, PublicKey, SecretKey, Signature};
use serde::Deserialize;

/// The handlers of this runner.
pub const HANDLERS: &[&str] = &[
    "aggregate",
    "aggregate_verify",
    "fast_aggregate_verify",
    "sign",
    "verify",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Data<I, O> {
    input: I,
    output: Option<O>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInput {
    privkey: String,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyInput {
    pubkey: String,
    message: String,
    signature: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FastAggregateVerifyInput {
    pubkeys: Vec<String>,
    message: String,
    signature: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AggregateVerifyInput {
    pubkeys: Vec<String>,
    messages: Vec<String>,
    signature: String,
}

/// Run one case of `handler`.
pub fn run(handler: &str, dir: &CaseDir) -> Result<()> {
    match handler {
        "sign" => sign(dir),
        "verify" => verify(dir),
        "aggregate" => aggregate(dir),
        "fast_aggregate_verify" => fast_aggregate_verify(dir),
        "aggregate_verify" => aggregate_verify(dir),
        other => bail!("unknown bls handler {other}"),
    }
}

fn hex_out(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Compare an optional produced signature with the expected optional output.
fn check_signature_output(got: Option<[u8; 96]>, expected: Option<String>) -> Result<()> {
    match (got, expected) {
        (Some(sig), Some(expected)) => {
            let expected = parse_hex(&expected).context("output")?;
            ensure!(
                sig.as_slice() == expected.as_slice(),
                "signature {} differs from expected {}",
                hex_out(&sig),
                hex_out(&expected)
            );
            Ok(())
        }
        (None, None) => Ok(()),
        (Some(sig), None) => bail!(
            "expected the operation to fail (output: null), but it produced {}",
            hex_out(&sig)
        ),
        (None, Some(expected)) => bail!("the operation failed, expected {expected}"),
    }
}

fn sign(dir: &CaseDir) -> Result<()> {
    let data: Data<SignInput, String> = dir.yaml("data")?;
    let message = parse_hex(&data.input.message).context("input.message")?;
    let privkey = parse_hex(&data.input.privkey).context("input.privkey")?;
    let got = SecretKey::deserialize(&privkey)
        .ok()
        .map(|sk| sk.sign(&message).serialize());
    check_signature_output(got, data.output)
}

fn aggregate(dir: &CaseDir) -> Result<()> {
    let data: Data<Vec<String>, String> = dir.yaml("data")?;
    let mut sigs = Vec::with_capacity(data.input.len());
    let mut all_valid = true;
    for (i, s) in data.input.iter().enumerate() {
        let bytes = parse_hex(s).with_context(|| format!("input[{i}]"))?;
        match Signature::deserialize(&bytes) {
            Ok(sig) => sigs.push(sig),
            Err(_) => all_valid = false,
        }
    }
    let got = if all_valid {
        let refs: Vec<&Signature> = sigs.iter().collect();
        AggregateSignature::aggregate(&refs)
            .ok()
            .map(|agg| agg.serialize())
    } else {
        None
    };
    check_signature_output(got, data.output)
}

fn expected_bool(output: Option<bool>) -> Result<bool> {
    output.ok_or_else(|| anyhow!("output must be a boolean, found null"))
}

fn check_bool(got: bool, expected: bool) -> Result<()> {
    ensure!(got == expected, "got {got}, expected {expected}");
    Ok(())
}

/// Decode public keys; `None` if any is invalid (then verification is `false`).
fn pubkeys(list: &[String]) -> Result<Option<Vec<PublicKey>>> {
    let mut keys = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        let bytes = parse_hex(s).with_context(|| format!("pubkeys[{i}]"))?;
        match PublicKey::deserialize(&bytes) {
            Ok(pk) => keys.push(pk),
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(keys))
}

fn verify(dir: &CaseDir) -> Result<()> {
    let data: Data<VerifyInput, bool> = dir.yaml("data")?;
    let expected = expected_bool(data.output)?;
    let input = data.input;
    let message = parse_hex(&input.message).context("input.message")?;
    let pk = parse_hex(&input.pubkey).context("input.pubkey")?;
    let sig = parse_hex(&input.signature).context("input.signature")?;
    let got = match (PublicKey::deserialize(&pk), Signature::deserialize(&sig)) {
        (Ok(pk), Ok(sig)) => sig.verify(&pk, &message),
        _ => false,
    };
    check_bool(got, expected)
}

fn fast_aggregate_verify(dir: &CaseDir) -> Result<()> {
    let data: Data<FastAggregateVerifyInput, bool> = dir.yaml("data")?;
    let expected = expected_bool(data.output)?;
    let input = data.input;
    let message = parse_hex(&input.message).context("input.message")?;
    let sig = parse_hex(&input.signature).context("input.signature")?;
    let keys = pubkeys(&input.pubkeys)?;
    let got = match (keys, Signature::deserialize(&sig)) {
        (Some(keys), Ok(sig)) => {
            let refs: Vec<&PublicKey> = keys.iter().collect();
            sig.fast_aggregate_verify(&refs, &message)
        }
        _ => false,
    };
    check_bool(got, expected)
}

fn aggregate_verify(dir: &CaseDir) -> Result<()> {
    let data: Data<AggregateVerifyInput, bool> = dir.yaml("data")?;
    let expected = expected_bool(data.output)?;
    let input = data.input;
    let messages = input
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| parse_hex(m).with_context(|| format!("input.messages[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    let sig = parse_hex(&input.signature).context("input.signature")?;
    let keys = pubkeys(&input.pubkeys)?;
    let got = match (keys, Signature::deserialize(&sig)) {
        (Some(keys), Ok(sig)) => {
            let refs: Vec<&PublicKey> = keys.iter().collect();
            let msgs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
            sig.aggregate_verify(&refs, &msgs)
        }
        _ => false,
    };
    check_bool(got, expected)
}
