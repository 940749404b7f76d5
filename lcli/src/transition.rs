//! The commands' bodies, generic over the network's list-length preset.

use anyhow::{anyhow, bail, Context, Result};
use ssz::{Decode, Encode};
use state_processing::{process_slots, state_transition, VerifySignatures};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tree_hash::TreeHash;
use types::*;

fn decode<T: Decode>(bytes: &[u8], what: &str) -> Result<T> {
    T::from_ssz_bytes(bytes).map_err(|e| anyhow!("{what} is not valid SSZ: {e:?}"))
}

/// `lcli state-root`.
pub fn print_state_root<E: EthSpec>(bytes: &[u8]) -> Result<()> {
    let state: BeaconState<E> = decode(bytes, "the state")?;
    println!("state_root: {:?}", state.tree_hash_root());
    println!(
        "genesis_validators_root: {:?}",
        state.genesis_validators_root
    );
    println!("slot: {}", state.slot);
    Ok(())
}

/// `lcli pretty-ssz`: decode `bytes` as the named container and return its Beacon API JSON.
pub fn pretty_ssz<E: EthSpec>(type_name: &str, bytes: &[u8]) -> Result<String> {
    macro_rules! json_of {
        ($($name:literal => $ty:ty),* $(,)?) => {
            match type_name {
                $($name => serde_json::to_string_pretty(&decode::<$ty>(bytes, $name)?)?,)*
                other => bail!("unknown type {other:?}; known: {}", [$($name),*].join(", ")),
            }
        };
    }
    Ok(json_of! {
        "AggregateAndProof" => AggregateAndProof<E>,
        "Attestation" => Attestation<E>,
        "AttestationData" => AttestationData,
        "AttesterSlashing" => AttesterSlashing<E>,
        "BeaconBlock" => BeaconBlock<E>,
        "BeaconBlockBody" => BeaconBlockBody<E>,
        "BeaconBlockHeader" => BeaconBlockHeader,
        "BeaconState" => BeaconState<E>,
        "Checkpoint" => Checkpoint,
        "Deposit" => Deposit,
        "DepositData" => DepositData,
        "DepositMessage" => DepositMessage,
        "Eth1Block" => Eth1Block,
        "Eth1Data" => Eth1Data,
        "Fork" => Fork,
        "ForkData" => ForkData,
        "HistoricalBatch" => HistoricalBatch<E>,
        "IndexedAttestation" => IndexedAttestation<E>,
        "PendingAttestation" => PendingAttestation<E>,
        "ProposerSlashing" => ProposerSlashing,
        "SignedAggregateAndProof" => SignedAggregateAndProof<E>,
        "SignedBeaconBlock" => SignedBeaconBlock<E>,
        "SignedBeaconBlockHeader" => SignedBeaconBlockHeader,
        "SignedVoluntaryExit" => SignedVoluntaryExit,
        "SigningData" => SigningData,
        "Validator" => Validator,
        "VoluntaryExit" => VoluntaryExit,
    })
}

/// `lcli interop-genesis`.
pub fn interop_genesis<E: EthSpec>(
    count: u64,
    genesis_time: u64,
    spec: &ChainSpec,
    output: &Path,
) -> Result<()> {
    let start = Instant::now();
    let state = state_processing::genesis::interop_genesis_state::<E>(count, genesis_time, spec)
        .map_err(|e| anyhow!("building the interop genesis failed: {e}"))?;
    std::fs::write(output, state.as_ssz_bytes())
        .with_context(|| format!("writing {}", output.display()))?;
    println!("validators: {}", state.validators.len());
    println!("genesis_time: {}", state.genesis_time);
    println!(
        "genesis_validators_root: {:?}",
        state.genesis_validators_root
    );
    println!("state_root: {:?}", state.tree_hash_root());
    println!("written: {} ({:.2?})", output.display(), start.elapsed());
    Ok(())
}

fn write_state<E: EthSpec>(state: &BeaconState<E>, output: Option<&Path>) -> Result<()> {
    if let Some(path) = output {
        std::fs::write(path, state.as_ssz_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        println!("written: {}", path.display());
    }
    Ok(())
}

/// `lcli skip-slots`.
pub fn skip_slots<E: EthSpec>(
    bytes: &[u8],
    slots: u64,
    spec: &ChainSpec,
    output: Option<&Path>,
) -> Result<()> {
    let mut state: BeaconState<E> = decode(bytes, "the pre-state")?;
    let target = state.slot.checked_add(slots).context("slot overflow")?;
    let start = Instant::now();
    if slots > 0 {
        process_slots(&mut state, target, spec)
            .map_err(|e| anyhow!("process_slots failed: {e}"))?;
    }
    let transition = start.elapsed();
    let hash_start = Instant::now();
    let root = state.tree_hash_root();
    println!("slot: {}", state.slot);
    println!("state_root: {root:?}");
    println!(
        "process_slots: {transition:.2?}, hash_tree_root: {:.2?}",
        hash_start.elapsed()
    );
    write_state(&state, output)
}

/// `lcli transition-blocks`.
pub fn transition_blocks<E: EthSpec>(
    bytes: &[u8],
    blocks: &[PathBuf],
    verify_signatures: bool,
    spec: &ChainSpec,
    output: Option<&Path>,
) -> Result<()> {
    let mut state: BeaconState<E> = decode(bytes, "the pre-state")?;
    let verify = if verify_signatures {
        VerifySignatures::Batch
    } else {
        VerifySignatures::None
    };
    for path in blocks {
        let block_bytes =
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let block: SignedBeaconBlock<E> = decode(&block_bytes, &path.display().to_string())?;
        let start = Instant::now();
        state_transition(&mut state, &block, verify, true, spec).map_err(|e| {
            anyhow!(
                "block {} (slot {}) failed: {e}",
                path.display(),
                block.message.slot
            )
        })?;
        println!(
            "slot {}: {:?} in {:.2?}",
            block.message.slot,
            block.message.state_root,
            start.elapsed()
        );
    }
    println!("state_root: {:?}", state.tree_hash_root());
    write_state(&state, output)
}
