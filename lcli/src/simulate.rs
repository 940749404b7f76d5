//! `lcli simulate`: an in-process chain of interop validators driven by the harness, one slot
//! at a time, through the real block production, gossip verification and import.

use anyhow::{bail, Context, Result};
use beacon_chain::harness::{AttestationMode, BeaconChainHarness};
use beacon_chain::{BeaconChain, ChainStore};
use state_processing::helpers::accessors::get_attesting_indices;
use std::collections::HashSet;
use std::sync::Arc;
use store::StoreConfig;
use types::{BeaconState, ChainSpec, EthSpec, Slot};

/// What to simulate.
pub struct SimulateOptions {
    pub validators: usize,
    pub epochs: u64,
    pub participation: f64,
    pub skip_slots: Vec<Slot>,
    pub fork_at: Option<Slot>,
    pub datadir: Option<std::path::PathBuf>,
}

/// Run the simulation and print its report on stdout.
pub fn simulate<E: EthSpec>(spec: ChainSpec, options: &SimulateOptions) -> Result<()> {
    if !(0.0..=1.0).contains(&options.participation) {
        bail!("--participation must be between 0 and 1");
    }
    if options.validators == 0 {
        bail!("--validators must be at least 1");
    }
    let spec_arc = Arc::new(spec.clone());
    let store = match &options.datadir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            ChainStore::<E>::open(&dir.join("chain_db"), StoreConfig::default(), spec_arc)
                .with_context(|| format!("opening the database in {}", dir.display()))?
        }
        None => ChainStore::<E>::open_ephemeral(StoreConfig::default(), spec_arc)
            .context("creating the in-memory database")?,
    };
    let store = Arc::new(store);
    let harness = if BeaconChain::<E>::exists_in_store(&store)? {
        // The clock starts at genesis and `run` moves it to the head; fork choice's own clock
        // never moves backwards.
        let h = BeaconChainHarness::<E>::resume(options.validators, spec, store, 0)
            .context("resuming the chain in --datadir")?;
        println!(
            "resumed: head_slot={} justified_epoch={} finalized_epoch={}",
            h.chain.head_slot(),
            h.chain.justified_checkpoint().epoch,
            h.chain.finalized_checkpoint().epoch
        );
        h
    } else {
        BeaconChainHarness::<E>::new(options.validators, spec, store)
            .context("building the interop genesis")?
    };
    run::<E>(&harness, options)
}

fn run<E: EthSpec>(h: &BeaconChainHarness<E>, options: &SimulateOptions) -> Result<()> {
    let spe = E::slots_per_epoch();
    let end_slot = options.epochs.saturating_mul(spe);
    let attesting = ((options.participation * options.validators as f64).round() as u64)
        .min(options.validators as u64);
    let attests = move |v: u64| v < attesting;
    let mode = if options.validators > 2048 {
        AttestationMode::Aggregated
    } else {
        AttestationMode::Unaggregated
    };
    let skip: HashSet<Slot> = options.skip_slots.iter().copied().collect();
    let start = h.chain.head_slot() + 1;
    h.set_slot(start.saturating_sub(1))?;
    let mut fork_second_slot = None;
    for slot in start..=end_slot {
        if Some(slot) == options.fork_at && slot < end_slot {
            fork::<E>(h, slot, &attests, mode)?;
            fork_second_slot = Some(slot + 1);
        } else if Some(slot) == fork_second_slot {
            // Built by `fork`.
        } else {
            h.advance_slot(slot, !skip.contains(&slot), &attests, mode)
                .with_context(|| format!("slot {slot}"))?;
        }
        if slot % spe == 0 {
            print_epoch_line(h, slot / spe);
        }
    }
    h.chain.persist_fork_choice()?;
    let head = h.chain.head();
    println!(
        "finalized_epoch={} justified_epoch={} head_slot={}",
        head.state.finalized_checkpoint.epoch,
        head.state.current_justified_checkpoint.epoch,
        head.slot()
    );
    Ok(())
}

/// A fork: block A on the head at `slot`, then its sibling B (same parent) at `slot + 1`;
/// the attesters of `slot + 1` split between them, and the chain goes on from whichever fork
/// choice prefers.
fn fork<E: EthSpec>(
    h: &BeaconChainHarness<E>,
    slot: Slot,
    attests: &(dyn Fn(u64) -> bool + Sync),
    mode: AttestationMode,
) -> Result<()> {
    h.set_slot(slot)?;
    let parent = h.chain.head_block_root();
    let a = h.make_block(parent, slot)?;
    let a_root = h.chain.process_block(Arc::new(a))?;
    h.attest(slot, a_root, attests, mode)?;
    h.set_slot(slot + 1)?;
    let b = h.make_block(parent, slot + 1)?;
    let b_root = h.chain.process_block(Arc::new(b))?;
    let for_a = h.attest(
        slot + 1,
        a_root,
        &|v| attests(v) && v.is_multiple_of(2),
        mode,
    )?;
    let for_b = h.attest(slot + 1, b_root, &|v| attests(v) && v % 2 == 1, mode)?;
    println!(
        "fork at slot {slot}: {a_root:?} (slot {slot}, {for_a} votes) vs {b_root:?} (slot {}, {for_b} votes)",
        slot + 1
    );
    Ok(())
}

fn print_epoch_line<E: EthSpec>(h: &BeaconChainHarness<E>, epoch: u64) {
    let head = h.chain.head();
    let participation = previous_epoch_participation(&head.state, &h.spec);
    println!(
        "epoch {epoch}: head_slot={} justified_epoch={} finalized_epoch={} participation={:.2}",
        head.slot(),
        head.state.current_justified_checkpoint.epoch,
        head.state.finalized_checkpoint.epoch,
        participation
    );
}

/// The share of active validators with an attestation for the previous epoch on chain.
fn previous_epoch_participation<E: EthSpec>(state: &BeaconState<E>, spec: &ChainSpec) -> f64 {
    let mut attesters = HashSet::new();
    for pending in state.previous_epoch_attestations.iter() {
        if let Ok(indices) =
            get_attesting_indices(state, &pending.data, &pending.aggregation_bits, spec)
        {
            attesters.extend(indices);
        }
    }
    let epoch = state.previous_epoch();
    let active = state
        .validators
        .iter()
        .filter(|v| v.activation_epoch <= epoch && epoch < v.exit_epoch)
        .count();
    if active == 0 {
        0.0
    } else {
        attesters.len() as f64 / active as f64
    }
}

/// Parse `--skip-slots 3,5,9`.
pub fn parse_slot_list(list: &str) -> Result<Vec<Slot>> {
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse::<Slot>()
                .with_context(|| format!("--skip-slots: {s:?} is not a slot number"))
        })
        .collect()
}
