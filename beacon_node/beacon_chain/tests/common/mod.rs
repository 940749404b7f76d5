//! Shared set-up for the chain tests: 64 interop validators on the minimal preset.

#![allow(dead_code)]

use beacon_chain::harness::{AttestationMode, BeaconChainHarness};
use beacon_chain::ChainStore;
use std::sync::Arc;
use store::StoreConfig;
use types::{ChainSpec, EthSpec, MinimalEthSpec, Slot};

pub type E = MinimalEthSpec;
pub const VALIDATORS: usize = 64;

pub fn slots_per_epoch() -> u64 {
    E::slots_per_epoch()
}

pub fn ephemeral_store() -> Arc<ChainStore<E>> {
    Arc::new(
        ChainStore::<E>::open_ephemeral(StoreConfig::default(), Arc::new(ChainSpec::minimal()))
            .expect("ephemeral store"),
    )
}

pub fn disk_store(path: &std::path::Path) -> Arc<ChainStore<E>> {
    Arc::new(
        ChainStore::<E>::open(path, StoreConfig::default(), Arc::new(ChainSpec::minimal()))
            .expect("open store"),
    )
}

pub fn harness() -> BeaconChainHarness<E> {
    BeaconChainHarness::new(VALIDATORS, ChainSpec::minimal(), ephemeral_store()).expect("harness")
}

pub fn everyone(_: u64) -> bool {
    true
}

/// Run slots `from..=to`: a block every slot, `attests` attesting to the head.
pub fn run_slots(
    h: &BeaconChainHarness<E>,
    from: Slot,
    to: Slot,
    attests: &(dyn Fn(u64) -> bool + Sync),
) {
    for slot in from..=to {
        h.advance_slot(slot, true, attests, AttestationMode::Unaggregated)
            .unwrap_or_else(|e| panic!("slot {slot}: {e}"));
    }
}
