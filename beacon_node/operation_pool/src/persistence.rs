//! The pool as the database keeps it, so that operations received but not yet in a block
//! survive a restart. beacon_chain writes it beside fork choice (at epoch boundaries and at
//! shutdown) and reads it back when it resumes.
//!
//! Only what cannot be recomputed is kept: each aggregate with the attesting indices it was
//! verified with (the committees of its epoch may no longer be at hand), and the slashings and
//! exits as received. Restoring goes through the same insertion rules as live operations, and
//! block packing re-checks everything against the block's state, so a stale entry costs
//! nothing but a little memory until the next prune.

use crate::attestations::PooledAttestation;
use crate::{read, write, OperationPool};
use ssz_derive::{Decode, Encode};
use types::{
    Attestation, AttesterSlashing, EthSpec, ProposerSlashing, SignedVoluntaryExit, ValidatorIndex,
};

/// One aggregate and the attesting indices it was verified with.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct PersistedAttestation<E: EthSpec> {
    pub attestation: Attestation<E>,
    pub indices: Vec<ValidatorIndex>,
}

/// Everything an [`OperationPool`] holds, SSZ-encoded for the database.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct PersistedOperationPool<E: EthSpec> {
    pub attestations: Vec<PersistedAttestation<E>>,
    pub proposer_slashings: Vec<ProposerSlashing>,
    pub attester_slashings: Vec<AttesterSlashing<E>>,
    pub voluntary_exits: Vec<SignedVoluntaryExit>,
}

/// How many persisted operations a restore kept, and how many the pool's rules refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreCounts {
    pub kept: usize,
    pub refused: usize,
}

impl<E: EthSpec> OperationPool<E> {
    /// Everything held, in a fixed order (so equal pools encode equally).
    pub fn to_persisted(&self) -> PersistedOperationPool<E> {
        let attestations = read(&self.attestations)
            .ordered_groups()
            .into_iter()
            .flat_map(|(_, group)| {
                group.aggregates.iter().map(|a| PersistedAttestation {
                    attestation: a.attestation.clone(),
                    indices: a.indices.clone(),
                })
            })
            .collect();
        PersistedOperationPool {
            attestations,
            proposer_slashings: self.get_all_proposer_slashings(),
            attester_slashings: self.get_all_attester_slashings(),
            voluntary_exits: self.get_all_voluntary_exits(),
        }
    }

    /// Add what a persisted pool held, by the same rules as live operations.
    pub fn restore(&self, persisted: PersistedOperationPool<E>) -> RestoreCounts {
        let mut counts = RestoreCounts::default();
        let mut count = |outcome: crate::InsertOutcome| match outcome {
            crate::InsertOutcome::Rejected(_) => counts.refused += 1,
            _ => counts.kept += 1,
        };
        for p in persisted.attestations {
            match PooledAttestation::new(p.attestation, p.indices) {
                Ok(pooled) => count(write(&self.attestations).insert(pooled)),
                Err(e) => count(crate::InsertOutcome::Rejected(e)),
            }
        }
        for slashing in persisted.proposer_slashings {
            count(self.insert_proposer_slashing(slashing));
        }
        for slashing in persisted.attester_slashings {
            // The slashed validators are recomputed from the two attestations.
            count(self.insert_attester_slashing(slashing, Vec::new()));
        }
        for exit in persisted.voluntary_exits {
            count(self.insert_voluntary_exit(exit));
        }
        counts
    }
}
