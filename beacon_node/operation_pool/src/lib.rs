//! The operation pool: attestations, proposer and attester slashings and voluntary exits that
//! arrived (gossip, the API, or our validators) and wait for a block.
//!
//! Everything entering has been verified by the caller, signatures included. Packing for a
//! block re-checks each operation against the block's pre-state (validity changes as the
//! chain moves) and makes the packed set valid as a whole:
//! - attestations pass every rule of `process_attestation` but the signature, and their bits
//!   must name, on that state, the validators they were verified with (so the signature holds
//!   too); they are chosen by greedy max-cover of validators the state has not rewarded yet,
//!   weighted by effective balance;
//! - each slashing slashes someone no earlier slashing of the block slashed, and no exit is of
//!   a validator the block slashes (slashing initiates the exit, so the exit would fail).
//!
//! Memory stays bounded: attestations targeting epochs before the previous epoch of the newest
//! target seen go at once, at most [`MAX_AGGREGATES_PER_DATA`] overlapping aggregates are kept
//! per data, one proposer slashing per proposer and one exit per validator, and an attester
//! slashing whose attesters another one covers is dropped. [`OperationPool::prune`] removes
//! what a finalized or head state shows can never be included.
//!
//! Thread-safe: every method takes `&self`, with one lock per kind of operation (never two
//! write locks at once, and read locks always in the order proposer, attester, exits).

mod attestation_packing;
mod attestations;
mod bitset;
mod errors;
mod max_cover;
mod persistence;
mod slashings_and_exits;

pub use attestation_packing::verify_attestation_for_block;
pub use attestations::MAX_AGGREGATES_PER_DATA;
pub use errors::OpPoolError;
pub use persistence::{PersistedAttestation, PersistedOperationPool, RestoreCounts};
pub use slashings_and_exits::{
    verify_attester_slashing_for_block, verify_proposer_slashing_for_block,
    verify_voluntary_exit_for_block,
};

use attestations::{AttestationStore, PooledAttestation};
pub use slashings_and_exits::SlashingsAndExits;
use slashings_and_exits::{may_be_slashed, may_exit, proposer_of, PooledAttesterSlashing};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use types::{
    Attestation, AttesterSlashing, BeaconState, ChainSpec, CommitteeIndex, EthSpec, Hash256,
    ProposerSlashing, SignedVoluntaryExit, Slot, ValidatorIndex,
};

/// What became of an operation offered to the pool.
///
/// Not a `Result`, so callers that only feed the pool may ignore it; `Rejected` means the
/// caller passed something it could not have verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Held as a new entry.
    New,
    /// Merged into the aggregates held for its data.
    Aggregated,
    /// Adds nothing to what is held (a duplicate, covered by another, or below the cap).
    Redundant,
    /// Refused, for the rule named.
    Rejected(OpPoolError),
}

// A poisoned lock only means another thread panicked mid-update; every update leaves the
// collections consistent, so carry on with the data.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

/// Operations waiting for a block.
#[derive(Debug)]
pub struct OperationPool<E: EthSpec> {
    attestations: RwLock<AttestationStore<E>>,
    proposer_slashings: RwLock<HashMap<ValidatorIndex, ProposerSlashing>>,
    attester_slashings: RwLock<Vec<PooledAttesterSlashing<E>>>,
    voluntary_exits: RwLock<HashMap<ValidatorIndex, SignedVoluntaryExit>>,
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
            attestations: RwLock::new(AttestationStore::default()),
            proposer_slashings: RwLock::new(HashMap::new()),
            attester_slashings: RwLock::new(Vec::new()),
            voluntary_exits: RwLock::new(HashMap::new()),
        }
    }

    /// Add a verified attestation with its attesting indices (validator.md, Aggregation):
    /// merged into the aggregates of its data it is disjoint from, dropped if one covers it.
    pub fn insert_attestation(
        &self,
        attestation: Attestation<E>,
        attesting_indices: Vec<ValidatorIndex>,
    ) -> InsertOutcome {
        match PooledAttestation::new(attestation, attesting_indices) {
            Ok(pooled) => write(&self.attestations).insert(pooled),
            Err(e) => InsertOutcome::Rejected(e),
        }
    }

    /// Attestations for a block on `state` (already at the block's slot): at most
    /// MAX_ATTESTATIONS, chosen by max-cover (validator.md, Attestations).
    pub fn get_attestations(
        &self,
        state: &BeaconState<E>,
        spec: &ChainSpec,
    ) -> Vec<Attestation<E>> {
        // Empty only if the state cannot give its committees; a block needs no attestation.
        attestation_packing::pack(&read(&self.attestations), state, spec).unwrap_or_default()
    }

    /// The aggregate with the most attesters for `hash_tree_root(data)` (validator.md,
    /// Aggregation: what an aggregator publishes).
    pub fn get_aggregate(&self, data_root: &Hash256) -> Option<Attestation<E>> {
        read(&self.attestations).best_aggregate(data_root)
    }

    /// Every attestation held, optionally only those of `slot` and of committee `index`.
    pub fn get_all_attestations(
        &self,
        slot: Option<Slot>,
        index: Option<CommitteeIndex>,
    ) -> Vec<Attestation<E>> {
        read(&self.attestations).all(slot, index)
    }

    /// Number of aggregates held.
    pub fn num_attestations(&self) -> usize {
        read(&self.attestations).len()
    }

    /// Add a verified proposer slashing (beacon-chain.md, Proposer slashings); one per proposer.
    pub fn insert_proposer_slashing(&self, slashing: ProposerSlashing) -> InsertOutcome {
        let index = match proposer_of(&slashing) {
            Ok(index) => index,
            Err(e) => return InsertOutcome::Rejected(e),
        };
        match write(&self.proposer_slashings).entry(index) {
            Entry::Occupied(_) => InsertOutcome::Redundant,
            Entry::Vacant(v) => {
                v.insert(slashing);
                InsertOutcome::New
            }
        }
    }

    /// Add a verified attester slashing (beacon-chain.md, Attester slashings) with the
    /// validators the caller found it slashes (all must be in both attestations).
    pub fn insert_attester_slashing(
        &self,
        slashing: AttesterSlashing<E>,
        slashable_indices: Vec<ValidatorIndex>,
    ) -> InsertOutcome {
        slashings_and_exits::insert_attester_slashing(
            &mut write(&self.attester_slashings),
            slashing,
            &slashable_indices,
        )
    }

    /// Add a verified voluntary exit (beacon-chain.md, Voluntary exits); one per validator.
    pub fn insert_voluntary_exit(&self, exit: SignedVoluntaryExit) -> InsertOutcome {
        match write(&self.voluntary_exits).entry(exit.message.validator_index) {
            Entry::Occupied(_) => InsertOutcome::Redundant,
            Entry::Vacant(v) => {
                v.insert(exit);
                InsertOutcome::New
            }
        }
    }

    /// Proposer slashings, attester slashings and exits for a block on `state`, valid together
    /// and within MAX_PROPOSER_SLASHINGS, MAX_ATTESTER_SLASHINGS and MAX_VOLUNTARY_EXITS
    /// (beacon-chain.md, Operations); attester slashings slashing the most validators first.
    pub fn get_slashings_and_exits(
        &self,
        state: &BeaconState<E>,
        spec: &ChainSpec,
    ) -> SlashingsAndExits<E> {
        let proposer = read(&self.proposer_slashings);
        let attester = read(&self.attester_slashings);
        let exits = read(&self.voluntary_exits);
        slashings_and_exits::pack(&proposer, &attester, &exits, state, spec)
    }

    /// Every proposer slashing held, by proposer index.
    pub fn get_all_proposer_slashings(&self) -> Vec<ProposerSlashing> {
        let pool = read(&self.proposer_slashings);
        let mut all: Vec<_> = pool.iter().collect();
        all.sort_unstable_by_key(|(i, _)| **i);
        all.into_iter().map(|(_, s)| s.clone()).collect()
    }

    /// Every attester slashing held, in arrival order.
    pub fn get_all_attester_slashings(&self) -> Vec<AttesterSlashing<E>> {
        read(&self.attester_slashings)
            .iter()
            .map(|p| p.slashing.clone())
            .collect()
    }

    /// Every voluntary exit held, by validator index.
    pub fn get_all_voluntary_exits(&self) -> Vec<SignedVoluntaryExit> {
        let pool = read(&self.voluntary_exits);
        let mut all: Vec<_> = pool.iter().collect();
        all.sort_unstable_by_key(|(i, _)| **i);
        all.into_iter().map(|(_, e)| e.clone()).collect()
    }

    /// Number of proposer slashings held.
    pub fn num_proposer_slashings(&self) -> usize {
        read(&self.proposer_slashings).len()
    }

    /// Number of attester slashings held.
    pub fn num_attester_slashings(&self) -> usize {
        read(&self.attester_slashings).len()
    }

    /// Number of voluntary exits held.
    pub fn num_voluntary_exits(&self) -> usize {
        read(&self.voluntary_exits).len()
    }

    /// Drop what can no longer go in a block on `state`'s chain (a finalized or head state):
    /// attestations targeting epochs before its previous epoch, slashings whose validators
    /// are all slashed or past slashing, exits of validators already exiting.
    pub fn prune(&self, state: &BeaconState<E>, _spec: &ChainSpec) {
        write(&self.attestations).prune(state);
        write(&self.proposer_slashings).retain(|&i, _| may_be_slashed(state, i));
        write(&self.attester_slashings)
            .retain(|p| p.indices.iter().any(|&i| may_be_slashed(state, i)));
        write(&self.voluntary_exits).retain(|&i, _| may_exit(state, i));
    }
}

#[cfg(test)]
mod tests;
