//! Gossip verification of voluntary exits, proposer slashings and attester slashings
//! (p2p-interface.md v1.0.1): the first valid one per validator, and every condition of its
//! `process_*` function, signatures included, against the head state at the current epoch.
//! Valid ones go to the operation pool (and exits to the event stream).

use crate::beacon_chain::{lock, BeaconChain};
use crate::errors::{BeaconChainError, GossipAction};
use crate::events::ChainEvent;
use state_processing::helpers::predicates::is_slashable_validator;
use state_processing::per_block_processing::{
    process_attester_slashing, process_proposer_slashing, process_voluntary_exit, VerifySignatures,
};
use state_processing::BlockProcessingError;
use std::collections::HashSet;
use types::{AttesterSlashing, BeaconState, EthSpec, ProposerSlashing, SignedVoluntaryExit};

/// Why an exit or slashing was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    #[error("an exit for validator {0} was already seen")]
    ExitAlreadyKnown(u64),
    #[error("a proposer slashing for validator {0} was already seen")]
    ProposerSlashingAlreadyKnown(u64),
    #[error("every validator this attester slashing slashes was already seen slashed")]
    AttesterSlashingAlreadyKnown,
    #[error("invalid: {0}")]
    Invalid(BlockProcessingError),
    #[error("internal error: {0}")]
    BeaconChain(Box<BeaconChainError>),
}

impl From<BeaconChainError> for OperationError {
    fn from(e: BeaconChainError) -> Self {
        OperationError::BeaconChain(Box::new(e))
    }
}

impl OperationError {
    /// REJECT or IGNORE.
    pub fn gossip_action(&self) -> GossipAction {
        match self {
            OperationError::ExitAlreadyKnown(_)
            | OperationError::ProposerSlashingAlreadyKnown(_)
            | OperationError::AttesterSlashingAlreadyKnown
            | OperationError::BeaconChain(_) => GossipAction::Ignore,
            OperationError::Invalid(_) => GossipAction::Reject,
        }
    }
}

/// Validators with a valid exit or slashing seen (the `[IGNORE]` first-seen rules).
#[derive(Debug, Default)]
pub(crate) struct ObservedOperations {
    exits: HashSet<u64>,
    proposer_slashings: HashSet<u64>,
    attester_slashed: HashSet<u64>,
}

impl<E: EthSpec> BeaconChain<E> {
    /// The head state at the current epoch (operations are judged as a block now would).
    fn state_for_operations(&self) -> Result<BeaconState<E>, BeaconChainError> {
        let epoch_start = Self::epoch_of(self.current_slot()?).saturating_mul(E::slots_per_epoch());
        // The checks run the operation on this copy, so it is a copy; the epoch transition
        // to reach it is shared with the other users of the advanced head.
        Ok((*self.head_state_advanced_to(epoch_start)?.1).clone())
    }

    /// The `voluntary_exit` topic's rules; a valid exit joins the pool.
    pub fn process_voluntary_exit(&self, exit: SignedVoluntaryExit) -> Result<(), OperationError> {
        let index = exit.message.validator_index;
        if lock(&self.observed_operations).exits.contains(&index) {
            return Err(OperationError::ExitAlreadyKnown(index));
        }
        let mut state = self.state_for_operations()?;
        process_voluntary_exit(
            &mut state,
            &exit,
            VerifySignatures::Individually,
            &self.spec,
        )
        .map_err(OperationError::Invalid)?;
        if !lock(&self.observed_operations).exits.insert(index) {
            return Err(OperationError::ExitAlreadyKnown(index));
        }
        self.op_pool.insert_voluntary_exit(exit.clone());
        self.events.send(ChainEvent::VoluntaryExit(exit));
        Ok(())
    }

    /// The `proposer_slashing` topic's rules; a valid slashing joins the pool.
    pub fn process_proposer_slashing(
        &self,
        slashing: ProposerSlashing,
    ) -> Result<(), OperationError> {
        let index = slashing.signed_header_1.message.proposer_index;
        if lock(&self.observed_operations)
            .proposer_slashings
            .contains(&index)
        {
            return Err(OperationError::ProposerSlashingAlreadyKnown(index));
        }
        let mut state = self.state_for_operations()?;
        process_proposer_slashing(
            &mut state,
            &slashing,
            VerifySignatures::Individually,
            &self.spec,
        )
        .map_err(OperationError::Invalid)?;
        if !lock(&self.observed_operations)
            .proposer_slashings
            .insert(index)
        {
            return Err(OperationError::ProposerSlashingAlreadyKnown(index));
        }
        self.op_pool.insert_proposer_slashing(slashing);
        Ok(())
    }

    /// The `attester_slashing` topic's rules; a valid slashing joins the pool with the
    /// validators it slashes.
    pub fn process_attester_slashing(
        &self,
        slashing: AttesterSlashing<E>,
    ) -> Result<(), OperationError> {
        let second: HashSet<u64> = slashing
            .attestation_2
            .attesting_indices
            .iter()
            .copied()
            .collect();
        let mut intersection: Vec<u64> = slashing
            .attestation_1
            .attesting_indices
            .iter()
            .copied()
            .filter(|i| second.contains(i))
            .collect();
        intersection.sort_unstable();
        {
            let observed = lock(&self.observed_operations);
            if intersection
                .iter()
                .all(|i| observed.attester_slashed.contains(i))
            {
                return Err(OperationError::AttesterSlashingAlreadyKnown);
            }
        }
        let mut state = self.state_for_operations()?;
        let epoch = state.current_epoch();
        let slashable: Vec<u64> = intersection
            .iter()
            .copied()
            .filter(|&i| {
                state
                    .validators
                    .get(i as usize)
                    .is_some_and(|v| is_slashable_validator(v, epoch))
            })
            .collect();
        process_attester_slashing(
            &mut state,
            &slashing,
            VerifySignatures::Individually,
            &self.spec,
        )
        .map_err(OperationError::Invalid)?;
        lock(&self.observed_operations)
            .attester_slashed
            .extend(intersection.iter().copied());
        self.op_pool.insert_attester_slashing(slashing, slashable);
        Ok(())
    }
}
