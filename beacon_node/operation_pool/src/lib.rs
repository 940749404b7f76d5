//! The operation pool: attestations, proposer and attester slashings and voluntary exits that
//! arrived (gossip, the API, or our validators) and wait for a block.
//!
//! Everything entering has been verified by the caller, signatures included. Packing for a
//! block re-checks each operation against the block's pre-state (validity changes as the
//! chain moves) and makes the packed set valid as a whole: attestations by greedy max-cover
//! of validators the state has not rewarded yet (weighted by effective balance), slashings
//! that still slash someone not slashed by an earlier one in the same block, exits of
//! validators neither exiting nor slashed in that block.
//!
//! Thread-safe: every method takes `&self` (one lock per kind of operation).

mod attestations;
mod max_cover;
mod slashings_and_exits;

use attestations::{AttestationGroup, PooledAttestation};
use slashings_and_exits::PooledAttesterSlashing;
use state_processing::helpers::FAR_FUTURE_EPOCH;
use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use tree_hash::TreeHash;
use types::{
    Attestation, AttesterSlashing, BeaconState, ChainSpec, EthSpec, Hash256, ProposerSlashing,
    SignedVoluntaryExit, Slot,
};

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}
fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// Operations waiting for a block.
#[derive(Debug)]
pub struct OperationPool<E: EthSpec> {
    attestations: RwLock<HashMap<Hash256, AttestationGroup<E>>>,
    proposer_slashings: RwLock<HashMap<u64, ProposerSlashing>>,
    attester_slashings: RwLock<Vec<PooledAttesterSlashing<E>>>,
    voluntary_exits: RwLock<HashMap<u64, SignedVoluntaryExit>>,
}

impl<E: EthSpec> Default for OperationPool<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: EthSpec> OperationPool<E> {
    /// An empty pool.
    pub fn new() -> Self {
        OperationPool {
            attestations: RwLock::new(HashMap::new()),
            proposer_slashings: RwLock::new(HashMap::new()),
            attester_slashings: RwLock::new(Vec::new()),
            voluntary_exits: RwLock::new(HashMap::new()),
        }
    }

    /// Add a verified attestation with its attesting indices.
    pub fn insert_attestation(&self, attestation: Attestation<E>, mut attesting_indices: Vec<u64>) {
        attesting_indices.sort_unstable();
        let data = attestation.data;
        let root = data.tree_hash_root();
        write(&self.attestations)
            .entry(root)
            .or_insert_with(|| AttestationGroup {
                data,
                aggregates: Vec::new(),
            })
            .insert(PooledAttestation {
                attestation,
                indices: attesting_indices,
            });
    }

    /// Attestations for a block on `state` (already at the block's slot): at most
    /// MAX_ATTESTATIONS, chosen by max-cover (validator.md, "Attestations").
    pub fn get_attestations(
        &self,
        state: &BeaconState<E>,
        spec: &ChainSpec,
    ) -> Vec<Attestation<E>> {
        attestations::pack(
            &read(&self.attestations),
            state,
            spec.max_attestations as usize,
            spec,
        )
    }

    /// The best aggregate held for `data_root` (the API's `aggregate_attestation`).
    pub fn get_aggregate(&self, data_root: &Hash256) -> Option<Attestation<E>> {
        read(&self.attestations).get(data_root).and_then(|g| {
            g.aggregates
                .iter()
                .max_by_key(|a| a.attestation.aggregation_bits.num_set_bits())
                .map(|a| a.attestation.clone())
        })
    }

    /// Every attestation held, optionally only those of `slot` and committee `index`.
    pub fn get_all_attestations(
        &self,
        slot: Option<Slot>,
        index: Option<u64>,
    ) -> Vec<Attestation<E>> {
        read(&self.attestations)
            .values()
            .filter(|g| {
                slot.is_none_or(|s| g.data.slot == s) && index.is_none_or(|i| g.data.index == i)
            })
            .flat_map(|g| g.aggregates.iter().map(|a| a.attestation.clone()))
            .collect()
    }

    /// Number of aggregates held.
    pub fn num_attestations(&self) -> usize {
        read(&self.attestations)
            .values()
            .map(|g| g.aggregates.len())
            .sum()
    }

    /// Add a verified proposer slashing (one per proposer).
    pub fn insert_proposer_slashing(&self, slashing: ProposerSlashing) {
        let index = slashing.signed_header_1.message.proposer_index;
        write(&self.proposer_slashings)
            .entry(index)
            .or_insert(slashing);
    }

    /// Add a verified attester slashing with the validators it slashes.
    pub fn insert_attester_slashing(
        &self,
        slashing: AttesterSlashing<E>,
        mut slashable_indices: Vec<u64>,
    ) {
        slashable_indices.sort_unstable();
        let mut pool = write(&self.attester_slashings);
        if pool.iter().any(|p| p.slashing == slashing) {
            return;
        }
        pool.push(PooledAttesterSlashing {
            slashing,
            indices: slashable_indices,
        });
    }

    /// Add a verified voluntary exit (one per validator).
    pub fn insert_voluntary_exit(&self, exit: SignedVoluntaryExit) {
        write(&self.voluntary_exits)
            .entry(exit.message.validator_index)
            .or_insert(exit);
    }

    /// Slashings and exits for a block on `state`, valid together.
    pub fn get_slashings_and_exits(
        &self,
        state: &BeaconState<E>,
        spec: &ChainSpec,
    ) -> (
        Vec<ProposerSlashing>,
        Vec<AttesterSlashing<E>>,
        Vec<SignedVoluntaryExit>,
    ) {
        slashings_and_exits::pack(
            &read(&self.proposer_slashings),
            &read(&self.attester_slashings),
            &read(&self.voluntary_exits),
            state,
            spec,
        )
    }

    /// Every proposer slashing held.
    pub fn get_all_proposer_slashings(&self) -> Vec<ProposerSlashing> {
        read(&self.proposer_slashings).values().cloned().collect()
    }

    /// Every attester slashing held.
    pub fn get_all_attester_slashings(&self) -> Vec<AttesterSlashing<E>> {
        read(&self.attester_slashings)
            .iter()
            .map(|p| p.slashing.clone())
            .collect()
    }

    /// Every voluntary exit held.
    pub fn get_all_voluntary_exits(&self) -> Vec<SignedVoluntaryExit> {
        read(&self.voluntary_exits).values().cloned().collect()
    }

    /// Drop what can no longer go in a block on `state`'s chain: attestations older than the
    /// previous epoch, slashings of validators all slashed, exits of validators exiting.
    pub fn prune(&self, state: &BeaconState<E>, _spec: &ChainSpec) {
        let previous = state.previous_epoch();
        write(&self.attestations).retain(|_, g| g.data.target.epoch >= previous);
        let epoch = state.current_epoch();
        let still_slashable = |i: u64| {
            state
                .validators
                .get(i as usize)
                .is_none_or(|v| !v.slashed && epoch < v.withdrawable_epoch)
        };
        write(&self.proposer_slashings).retain(|i, _| still_slashable(*i));
        write(&self.attester_slashings).retain(|p| p.indices.iter().any(|i| still_slashable(*i)));
        write(&self.voluntary_exits).retain(|i, _| {
            state
                .validators
                .get(*i as usize)
                .is_none_or(|v| v.exit_epoch == FAR_FUTURE_EPOCH)
        });
    }
}

#[cfg(test)]
mod tests;
