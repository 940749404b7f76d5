//! Producing blocks and attestation data for our validators (validator.md v1.0.1, "Block
//! proposal" and "Attesting").

use crate::beacon_chain::BeaconChain;
use crate::errors::BeaconChainError;
use state_processing::helpers::accessors::get_beacon_proposer_index;
use state_processing::per_block_processing::{
    process_block, randao_signature_set, VerifySignatures,
};
use types::{
    AttestationData, BeaconBlock, BeaconBlockBody, BeaconState, Checkpoint, EthSpec, Hash256,
    SignatureBytes, Slot, VariableList,
};

/// A block ready to sign, and the post-state it leads to.
#[derive(Debug, Clone)]
pub struct ProducedBlock<E: EthSpec> {
    pub block: BeaconBlock<E>,
    pub state: BeaconState<E>,
}

impl<E: EthSpec> BeaconChain<E> {
    /// `produce_block` (validator.md, "Constructing the BeaconBlock"): a block for `slot` on
    /// the head with the proposer's `randao_reveal` (checked, so a bad one fails here rather
    /// than in every peer), the eth1 vote, deposits, and the best operations of the pool, the
    /// state root filled in. The caller signs it.
    pub fn produce_block(
        &self,
        slot: Slot,
        randao_reveal: SignatureBytes,
        graffiti: Hash256,
    ) -> Result<ProducedBlock<E>, BeaconChainError> {
        self.check_not_future_slot(slot)?;
        let head = self.head();
        self.produce_block_on(head.block_root, &head.state, slot, randao_reveal, graffiti)
    }

    /// The eth1 vote and deposits of a block on `state` (validator.md, "Eth1 Data"): from the
    /// eth1 follower when there is one; otherwise the state's own eth1 data, which needs no
    /// deposits unless the state still expects some.
    fn eth1_vote_and_deposits(
        &self,
        state: &BeaconState<E>,
    ) -> Result<(types::Eth1Data, Vec<types::Deposit>), BeaconChainError> {
        if let Some(source) = self.eth1.get() {
            return source
                .eth1_data_and_deposits(state, &self.spec)
                .map_err(|e| BeaconChainError::BlockProduction(format!("eth1: {e}")));
        }
        let eth1_data = state.eth1_data;
        if eth1_data.deposit_count > state.eth1_deposit_index {
            return Err(BeaconChainError::BlockProduction(format!(
                "the state expects deposits {}..{} and no eth1 source is configured (--eth1-endpoints)",
                state.eth1_deposit_index, eth1_data.deposit_count
            )));
        }
        Ok((eth1_data, Vec::new()))
    }

    /// Production for a slot the clock has not reached would advance a state through every
    /// slot up to it: a request for slot 2^64-1 must be refused, not computed. One slot of
    /// slack covers a validator client whose clock runs slightly ahead.
    fn check_not_future_slot(&self, slot: Slot) -> Result<(), BeaconChainError> {
        let current = self.current_slot()?;
        if slot > current.saturating_add(1) {
            return Err(BeaconChainError::BlockProduction(format!(
                "slot {slot} is in the future (the current slot is {current})"
            )));
        }
        Ok(())
    }

    /// `produce_block` on any known block (`parent_root` with post-state `parent_state`), not
    /// only the head: what a proposer does after a reorg, and how tests build forks.
    pub fn produce_block_on(
        &self,
        parent_root: Hash256,
        parent_state: &BeaconState<E>,
        slot: Slot,
        randao_reveal: SignatureBytes,
        graffiti: Hash256,
    ) -> Result<ProducedBlock<E>, BeaconChainError> {
        if slot <= parent_state.slot {
            return Err(BeaconChainError::BlockProduction(format!(
                "slot {slot} is not after the parent state's slot {}",
                parent_state.slot
            )));
        }
        let mut state = self.advance_state(parent_state, slot)?.into_owned();
        let proposer_index = get_beacon_proposer_index(&state, &self.spec)?;

        let randao = randao_signature_set(
            &state,
            &BeaconBlockBody {
                randao_reveal,
                ..Default::default()
            },
            proposer_index,
            &self.spec,
        )
        .map_err(|e| BeaconChainError::BlockProduction(format!("randao reveal: {e}")))?;
        if !randao.verify() {
            return Err(BeaconChainError::BlockProduction(format!(
                "the randao reveal is not validator {proposer_index}'s signature of epoch {}",
                state.current_epoch()
            )));
        }

        let (eth1_data, deposits) = self.eth1_vote_and_deposits(&state)?;
        let attestations = self.op_pool.get_attestations(&state, &self.spec);
        let (proposer_slashings, attester_slashings, voluntary_exits) =
            self.op_pool.get_slashings_and_exits(&state, &self.spec);

        let body = BeaconBlockBody {
            randao_reveal,
            eth1_data,
            graffiti,
            proposer_slashings: VariableList::new(proposer_slashings)
                .map_err(|e| BeaconChainError::BlockProduction(format!("{e:?}")))?,
            attester_slashings: VariableList::new(attester_slashings)
                .map_err(|e| BeaconChainError::BlockProduction(format!("{e:?}")))?,
            attestations: VariableList::new(attestations)
                .map_err(|e| BeaconChainError::BlockProduction(format!("{e:?}")))?,
            deposits: VariableList::new(deposits)
                .map_err(|e| BeaconChainError::BlockProduction(format!("{e:?}")))?,
            voluntary_exits: VariableList::new(voluntary_exits)
                .map_err(|e| BeaconChainError::BlockProduction(format!("{e:?}")))?,
        };
        let mut block = BeaconBlock {
            slot,
            proposer_index,
            parent_root,
            state_root: Hash256::ZERO,
            body,
        };
        // The pool re-checked every operation against this state; the signatures were checked
        // on entry to the pool.
        process_block(&mut state, &block, VerifySignatures::None, &self.spec).map_err(|e| {
            BeaconChainError::BlockProduction(format!("the produced block is invalid: {e}"))
        })?;
        block.state_root = state.update_tree_hash_cache();
        Ok(ProducedBlock { block, state })
    }

    /// `AttestationData` for committee `index` at `slot`, voting for the current head
    /// (validator.md, "Attestation data").
    pub fn produce_attestation_data(
        &self,
        slot: Slot,
        index: u64,
    ) -> Result<AttestationData, BeaconChainError> {
        self.check_not_future_slot(slot)?;
        let head = self.head();
        self.produce_attestation_data_on(head.block_root, &head.state, slot, index)
    }

    /// `AttestationData` voting for `block_root` (post-state `block_state`) at `slot`.
    pub fn produce_attestation_data_on(
        &self,
        block_root: Hash256,
        block_state: &BeaconState<E>,
        slot: Slot,
        index: u64,
    ) -> Result<AttestationData, BeaconChainError> {
        let epoch = Self::epoch_of(slot);
        let epoch_start = epoch.saturating_mul(E::slots_per_epoch());
        // The shuffling carries the justified checkpoint of the epoch's start: no copy of the
        // state and no epoch transition per request when the head is in an earlier epoch.
        let shuffling = self.shuffling_at(block_root, block_state, epoch)?;
        let committees = &shuffling.committees;
        if index >= committees.committees_per_slot() {
            return Err(BeaconChainError::BlockProduction(format!(
                "committee index {index} is not below {} at slot {slot}",
                committees.committees_per_slot()
            )));
        }
        let target_root = if block_state.slot <= epoch_start {
            block_root
        } else {
            block_state.get_block_root(epoch)?
        };
        Ok(AttestationData {
            slot,
            index,
            beacon_block_root: block_root,
            source: shuffling.current_justified_checkpoint,
            target: Checkpoint {
                epoch,
                root: target_root,
            },
        })
    }
}
