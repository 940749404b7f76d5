//! Gossip verification of attestations (`beacon_attestation_{subnet_id}`) and aggregates
//! (`beacon_aggregate_and_proof`), every rule of p2p-interface.md v1.0.1, then their use:
//! fork choice votes and the operation pool.
//!
//! Committees, keys and domains come from the shuffling of the target checkpoint's epoch on
//! its branch (what the spec reads from `store.checkpoint_states[target]`), cached by epoch
//! and decision block, so no state is kept or loaded for a known target.

use crate::beacon_chain::{lock, write, BeaconChain};
use crate::block_verification::MAXIMUM_GOSSIP_CLOCK_DISPARITY;
use crate::caches::EpochShuffling;
use crate::errors::{AttestationError, BeaconChainError};
use crate::events::ChainEvent;
use crate::pending::PendingMessage;
use bls::SignatureSet;
use state_processing::helpers::accessors::{
    attesting_indices_from_committee, get_domain_from_fork,
};
use state_processing::validator::{
    compute_subnet_for_attestation, is_aggregator, ATTESTATION_PROPAGATION_SLOT_RANGE,
};
use std::borrow::Cow;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::signing::compute_signing_root;
use types::{
    Attestation, AttestationData, DomainType, Epoch, EthSpec, Hash256, IndexedAttestation,
    SignatureBytes, SignedAggregateAndProof, VariableList,
};

/// An unaggregated attestation that passed every subnet rule.
#[derive(Debug, Clone)]
pub struct VerifiedUnaggregatedAttestation<E: EthSpec> {
    attestation: Attestation<E>,
    indexed: IndexedAttestation<E>,
    subnet_id: u64,
}

/// An aggregate that passed every `beacon_aggregate_and_proof` rule.
#[derive(Debug, Clone)]
pub struct VerifiedAggregatedAttestation<E: EthSpec> {
    signed_aggregate: SignedAggregateAndProof<E>,
    indexed: IndexedAttestation<E>,
}

impl<E: EthSpec> VerifiedUnaggregatedAttestation<E> {
    /// The attestation.
    pub fn attestation(&self) -> &Attestation<E> {
        &self.attestation
    }
    /// Its attester, as an indexed attestation.
    pub fn indexed_attestation(&self) -> &IndexedAttestation<E> {
        &self.indexed
    }
    /// The subnet it belongs to.
    pub fn subnet_id(&self) -> u64 {
        self.subnet_id
    }
}

impl<E: EthSpec> VerifiedAggregatedAttestation<E> {
    /// The signed aggregate.
    pub fn signed_aggregate(&self) -> &SignedAggregateAndProof<E> {
        &self.signed_aggregate
    }
    /// The aggregate attestation.
    pub fn attestation(&self) -> &Attestation<E> {
        &self.signed_aggregate.message.aggregate
    }
    /// Its attesters, as an indexed attestation.
    pub fn indexed_attestation(&self) -> &IndexedAttestation<E> {
        &self.indexed
    }
}

/// An unaggregated attestation that passed every rule but its signature.
struct PreparedUnaggregated<E: EthSpec> {
    attestation: Attestation<E>,
    indexed: IndexedAttestation<E>,
    subnet_id: u64,
    validator_index: u64,
    shuffling: Arc<EpochShuffling>,
}

/// An aggregate that passed every rule but its signatures.
struct PreparedAggregate<E: EthSpec> {
    signed_aggregate: SignedAggregateAndProof<E>,
    indexed: IndexedAttestation<E>,
    aggregate_root: types::Hash256,
    shuffling: Arc<EpochShuffling>,
}

impl<E: EthSpec> BeaconChain<E> {
    /// `[IGNORE]` `data.slot + ATTESTATION_PROPAGATION_SLOT_RANGE >= current_slot >= data.slot`,
    /// with MAXIMUM_GOSSIP_CLOCK_DISPARITY either way.
    fn verify_propagation_slot_range(
        &self,
        data: &AttestationData,
    ) -> Result<(), AttestationError> {
        let latest = self
            .slot_clock
            .now_with_future_tolerance(MAXIMUM_GOSSIP_CLOCK_DISPARITY)
            .ok_or(BeaconChainError::SlotClock)?;
        if data.slot > latest {
            return Err(AttestationError::FutureSlot {
                attestation_slot: data.slot,
                current_slot: latest,
            });
        }
        // In the first moments after genesis, "now minus the disparity" is before genesis:
        // nothing is too old then.
        let earliest = self
            .slot_clock
            .now_with_past_tolerance(MAXIMUM_GOSSIP_CLOCK_DISPARITY)
            .unwrap_or(0)
            .saturating_sub(ATTESTATION_PROPAGATION_SLOT_RANGE);
        if data.slot < earliest {
            return Err(AttestationError::PastSlot {
                attestation_slot: data.slot,
                earliest_permissible_slot: earliest,
            });
        }
        Ok(())
    }

    /// `[REJECT]` target epoch is the epoch of the slot.
    fn verify_target_epoch(data: &AttestationData) -> Result<(), AttestationError> {
        if data.target.epoch != Self::epoch_of(data.slot) {
            return Err(AttestationError::InvalidTargetEpoch {
                slot: data.slot,
                target_epoch: data.target.epoch,
            });
        }
        Ok(())
    }

    /// `[IGNORE]` the voted block has been seen; `[REJECT]` it passed validation; `[REJECT]`
    /// the finalized checkpoint is its ancestor.
    fn verify_head_block(&self, data: &AttestationData) -> Result<(), AttestationError> {
        let root = data.beacon_block_root;
        if self.is_known_invalid(&root) {
            return Err(AttestationError::HeadBlockInvalid(root));
        }
        let fc = self.fork_choice();
        if !fc.contains_block(&root) {
            return Err(AttestationError::UnknownHeadBlock(root));
        }
        let finalized = fc.finalized_checkpoint();
        let finalized_slot = finalized.epoch.saturating_mul(E::slots_per_epoch());
        if fc.get_ancestor(&root, finalized_slot) != Some(finalized.root) {
            return Err(AttestationError::NotFinalizedDescendant);
        }
        Ok(())
    }

    /// The target checkpoint's shuffling; an unknown target block is an IGNORE.
    fn target_shuffling(
        &self,
        data: &AttestationData,
    ) -> Result<Arc<EpochShuffling>, AttestationError> {
        if !self.fork_choice().contains_block(&data.target.root) {
            return Err(AttestationError::UnknownTargetRoot(data.target.root));
        }
        Ok(self.checkpoint_shuffling(&data.target)?)
    }

    /// `get_domain` of the target state for `domain_type` at `epoch`.
    fn domain(&self, shuffling: &EpochShuffling, domain_type: DomainType, epoch: Epoch) -> Hash256 {
        get_domain_from_fork(
            &shuffling.fork,
            self.genesis_validators_root,
            domain_type,
            epoch,
        )
    }

    /// The attesters' signature (`is_valid_indexed_attestation`), keys from the shuffling.
    fn attestation_signature_set(
        &self,
        shuffling: &EpochShuffling,
        indexed: &IndexedAttestation<E>,
    ) -> Result<SignatureSet<'static>, AttestationError> {
        let signing_keys = indexed
            .attesting_indices
            .iter()
            .map(|&index| {
                shuffling
                    .pubkey(index)
                    .map(Cow::Owned)
                    .ok_or(AttestationError::UnknownValidator(index))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let domain = self.domain(
            shuffling,
            self.spec.domain_beacon_attester,
            indexed.data.target.epoch,
        );
        Ok(SignatureSet {
            signature: Cow::Owned(decompress_signature(&indexed.signature)?),
            signing_keys,
            message: compute_signing_root(&indexed.data, domain),
        })
    }

    /// Every rule of `beacon_attestation_{subnet_id}`. `subnet_id` is None for attestations
    /// that did not come from a subnet (the API), which skips only the subnet rule.
    pub fn verify_unaggregated_attestation_for_gossip(
        &self,
        attestation: Attestation<E>,
        subnet_id: Option<u64>,
    ) -> Result<VerifiedUnaggregatedAttestation<E>, AttestationError> {
        let prepared = self.prepare_unaggregated(attestation, subnet_id)?;
        let set = self.attestation_signature_set(&prepared.shuffling, &prepared.indexed)?;
        if !set.verify() {
            return Err(AttestationError::InvalidSignature);
        }
        self.finish_unaggregated(prepared)
    }

    /// Every rule but the signature: what the signature check needs.
    fn prepare_unaggregated(
        &self,
        attestation: Attestation<E>,
        subnet_id: Option<u64>,
    ) -> Result<PreparedUnaggregated<E>, AttestationError> {
        let data = attestation.data;
        self.verify_propagation_slot_range(&data)?;
        Self::verify_target_epoch(&data)?;
        let set_bits = attestation.aggregation_bits.num_set_bits();
        if set_bits != 1 {
            return Err(AttestationError::NotExactlyOneAggregationBitSet(set_bits));
        }
        self.verify_head_block(&data)?;
        // [REJECT] the target is the LMD vote's ancestor at the target epoch's start.
        let target_slot = data.target.epoch.saturating_mul(E::slots_per_epoch());
        if self.get_ancestor(&data.beacon_block_root, target_slot) != Some(data.target.root) {
            return Err(AttestationError::InvalidTargetRoot {
                target: data.target.root,
            });
        }

        let shuffling = self.target_shuffling(&data)?;
        let committees = &shuffling.committees;
        let committees_per_slot = committees.committees_per_slot();
        if data.index >= committees_per_slot {
            return Err(AttestationError::NoCommitteeForSlotAndIndex {
                index: data.index,
                committees_per_slot,
            });
        }
        let expected_subnet =
            compute_subnet_for_attestation::<E>(committees_per_slot, data.slot, data.index);
        if let Some(received) = subnet_id {
            if received != expected_subnet {
                return Err(AttestationError::InvalidSubnetId {
                    received,
                    expected: expected_subnet,
                });
            }
        }
        let committee = committees
            .get_beacon_committee(data.slot, data.index)
            .ok_or(AttestationError::NoCommitteeForSlotAndIndex {
                index: data.index,
                committees_per_slot,
            })?;
        let indices =
            attesting_indices_from_committee::<E>(committee, &attestation.aggregation_bits)
                .map_err(|_| AttestationError::BitfieldLengthMismatch {
                    bits: attestation.aggregation_bits.len(),
                    committee: committee.len(),
                })?;
        let validator_index = indices[0];
        let epoch = data.target.epoch;
        if lock(&self.observed)
            .attesters
            .contains(epoch, &validator_index)
        {
            return Err(AttestationError::PriorAttestationKnown {
                validator_index,
                epoch,
            });
        }
        let indexed = IndexedAttestation {
            attesting_indices: VariableList::new(indices)
                .map_err(|_| AttestationError::NotExactlyOneAggregationBitSet(set_bits))?,
            data,
            signature: attestation.signature,
        };
        Ok(PreparedUnaggregated {
            attestation,
            indexed,
            subnet_id: expected_subnet,
            validator_index,
            shuffling,
        })
    }

    /// After the signature: the first-seen rule, recorded.
    fn finish_unaggregated(
        &self,
        prepared: PreparedUnaggregated<E>,
    ) -> Result<VerifiedUnaggregatedAttestation<E>, AttestationError> {
        let epoch = prepared.indexed.data.target.epoch;
        if lock(&self.observed)
            .attesters
            .observe(epoch, prepared.validator_index)
        {
            return Err(AttestationError::PriorAttestationKnown {
                validator_index: prepared.validator_index,
                epoch,
            });
        }
        Ok(VerifiedUnaggregatedAttestation {
            attestation: prepared.attestation,
            indexed: prepared.indexed,
            subnet_id: prepared.subnet_id,
        })
    }

    /// Gossip verification of many unaggregated attestations with one signature batch; if the
    /// batch fails, each signature is checked alone to find the bad ones. One result per
    /// input, in order.
    pub fn batch_verify_unaggregated_attestations(
        &self,
        items: Vec<(Attestation<E>, Option<u64>)>,
    ) -> Vec<Result<VerifiedUnaggregatedAttestation<E>, AttestationError>> {
        let prepared: Vec<Result<PreparedUnaggregated<E>, AttestationError>> = items
            .into_iter()
            .map(|(a, subnet)| self.prepare_unaggregated(a, subnet))
            .collect();
        let sets: Vec<Result<SignatureSet<'_>, AttestationError>> = prepared
            .iter()
            .map(|p| match p {
                Ok(p) => self.attestation_signature_set(&p.shuffling, &p.indexed),
                Err(_) => Err(AttestationError::InvalidSignature),
            })
            .collect();
        let valid_sets: Vec<&SignatureSet<'_>> =
            sets.iter().filter_map(|s| s.as_ref().ok()).collect();
        let all_valid = valid_sets.len() > 1 && bls::verify_signature_sets(valid_sets.into_iter());
        let checked: Vec<bool> = sets
            .iter()
            .map(|s| match s {
                Ok(set) => all_valid || set.verify(),
                Err(_) => false,
            })
            .collect();
        drop(sets);
        prepared
            .into_iter()
            .zip(checked)
            .map(|(p, signature_ok)| {
                let p = p?;
                if !signature_ok {
                    return Err(AttestationError::InvalidSignature);
                }
                self.finish_unaggregated(p)
            })
            .collect()
    }

    /// [`Self::batch_verify_unaggregated_attestations`], then fork choice and the pool for
    /// each one accepted; those voting for an unknown block wait for it.
    pub fn batch_process_unaggregated_attestations(
        &self,
        items: Vec<(Attestation<E>, Option<u64>)>,
    ) -> Vec<Result<VerifiedUnaggregatedAttestation<E>, AttestationError>> {
        let copies: Vec<(Attestation<E>, Option<u64>)> = items.clone();
        let results = self.batch_verify_unaggregated_attestations(items);
        results
            .into_iter()
            .zip(copies)
            .map(|(result, (attestation, subnet_id))| match result {
                Ok(verified) => {
                    self.apply_attestation_to_fork_choice(verified.indexed_attestation())?;
                    self.add_to_op_pool(verified.attestation(), verified.indexed_attestation());
                    Ok(verified)
                }
                Err(AttestationError::UnknownHeadBlock(root)) => {
                    self.queue_pending(
                        root,
                        PendingMessage::Attestation(Box::new(attestation), subnet_id),
                    );
                    Err(AttestationError::UnknownHeadBlock(root))
                }
                Err(e) => Err(e),
            })
            .collect()
    }

    /// Every rule of `beacon_aggregate_and_proof`.
    pub fn verify_aggregated_attestation_for_gossip(
        &self,
        signed_aggregate: SignedAggregateAndProof<E>,
    ) -> Result<VerifiedAggregatedAttestation<E>, AttestationError> {
        let prepared = self.prepare_aggregate(signed_aggregate)?;
        let sets = self.aggregate_signature_sets(&prepared)?;
        if !bls::verify_signature_sets(sets.iter()) {
            return Err(AttestationError::InvalidSignature);
        }
        drop(sets);
        self.finish_aggregate(prepared)
    }

    /// Every rule but the three signatures.
    fn prepare_aggregate(
        &self,
        signed_aggregate: SignedAggregateAndProof<E>,
    ) -> Result<PreparedAggregate<E>, AttestationError> {
        let message = &signed_aggregate.message;
        let aggregate = &message.aggregate;
        let data = aggregate.data;
        let aggregator_index = message.aggregator_index;
        self.verify_propagation_slot_range(&data)?;
        Self::verify_target_epoch(&data)?;
        let aggregate_root = aggregate.tree_hash_root();
        {
            let observed = lock(&self.observed);
            if observed.aggregates.contains(data.slot, &aggregate_root) {
                return Err(AttestationError::AttestationAlreadyKnown(aggregate_root));
            }
            if observed
                .aggregators
                .contains(data.target.epoch, &aggregator_index)
            {
                return Err(AttestationError::AggregatorAlreadyKnown {
                    aggregator_index,
                    epoch: data.target.epoch,
                });
            }
        }
        self.verify_head_block(&data)?;

        let shuffling = self.target_shuffling(&data)?;
        let committees = &shuffling.committees;
        let committee = committees
            .get_beacon_committee(data.slot, data.index)
            .ok_or(AttestationError::NoCommitteeForSlotAndIndex {
                index: data.index,
                committees_per_slot: committees.committees_per_slot(),
            })?;
        let mut indices =
            attesting_indices_from_committee::<E>(committee, &aggregate.aggregation_bits).map_err(
                |_| AttestationError::BitfieldLengthMismatch {
                    bits: aggregate.aggregation_bits.len(),
                    committee: committee.len(),
                },
            )?;
        if indices.is_empty() {
            return Err(AttestationError::EmptyAggregationBitfield);
        }
        if !is_aggregator(committee.len(), &message.selection_proof, &self.spec) {
            return Err(AttestationError::InvalidSelectionProof(aggregator_index));
        }
        if !committee.contains(&aggregator_index) {
            return Err(AttestationError::AggregatorNotInCommittee(aggregator_index));
        }
        indices.sort_unstable();
        let indexed = IndexedAttestation {
            attesting_indices: VariableList::new(indices)
                .map_err(|_| AttestationError::EmptyAggregationBitfield)?,
            data,
            signature: aggregate.signature,
        };
        Ok(PreparedAggregate {
            signed_aggregate,
            indexed,
            aggregate_root,
            shuffling,
        })
    }

    /// The three signatures of an aggregate: selection proof, aggregator, aggregate.
    fn aggregate_signature_sets<'a>(
        &self,
        prepared: &'a PreparedAggregate<E>,
    ) -> Result<[SignatureSet<'a>; 3], AttestationError> {
        let shuffling = &prepared.shuffling;
        let message = &prepared.signed_aggregate.message;
        let aggregator_index = message.aggregator_index;
        // The aggregator is a committee member (checked), so the shuffling has its key.
        let aggregator_key = shuffling
            .pubkey(aggregator_index)
            .ok_or(AttestationError::UnknownValidator(aggregator_index))?;
        let slot = prepared.indexed.data.slot;
        let epoch = Self::epoch_of(slot);
        // `get_slot_signature` and `get_aggregate_and_proof_signature` (validator.md).
        let selection_set = SignatureSet {
            signature: Cow::Owned(decompress_signature(&message.selection_proof)?),
            signing_keys: vec![Cow::Owned(aggregator_key.clone())],
            message: compute_signing_root(
                &slot,
                self.domain(shuffling, self.spec.domain_selection_proof, epoch),
            ),
        };
        let aggregator_set = SignatureSet {
            signature: Cow::Owned(decompress_signature(&prepared.signed_aggregate.signature)?),
            signing_keys: vec![Cow::Owned(aggregator_key)],
            message: compute_signing_root(
                message,
                self.domain(shuffling, self.spec.domain_aggregate_and_proof, epoch),
            ),
        };
        let aggregate_set = self.attestation_signature_set(shuffling, &prepared.indexed)?;
        Ok([selection_set, aggregator_set, aggregate_set])
    }

    /// After the signatures: the first-seen rules, recorded.
    fn finish_aggregate(
        &self,
        prepared: PreparedAggregate<E>,
    ) -> Result<VerifiedAggregatedAttestation<E>, AttestationError> {
        let data = prepared.indexed.data;
        let aggregator_index = prepared.signed_aggregate.message.aggregator_index;
        let mut observed = lock(&self.observed);
        if observed
            .aggregators
            .observe(data.target.epoch, aggregator_index)
        {
            return Err(AttestationError::AggregatorAlreadyKnown {
                aggregator_index,
                epoch: data.target.epoch,
            });
        }
        observed
            .aggregates
            .observe(data.slot, prepared.aggregate_root);
        Ok(VerifiedAggregatedAttestation {
            signed_aggregate: prepared.signed_aggregate,
            indexed: prepared.indexed,
        })
    }

    /// Gossip verification of many aggregates with one signature batch (three sets each);
    /// if it fails, each aggregate is checked alone. One result per input, in order.
    pub fn batch_verify_aggregated_attestations(
        &self,
        items: Vec<SignedAggregateAndProof<E>>,
    ) -> Vec<Result<VerifiedAggregatedAttestation<E>, AttestationError>> {
        let prepared: Vec<Result<PreparedAggregate<E>, AttestationError>> = items
            .into_iter()
            .map(|a| self.prepare_aggregate(a))
            .collect();
        let sets: Vec<Result<[SignatureSet<'_>; 3], AttestationError>> = prepared
            .iter()
            .map(|p| match p {
                Ok(p) => self.aggregate_signature_sets(p),
                Err(_) => Err(AttestationError::InvalidSignature),
            })
            .collect();
        let ok_count = sets.iter().filter(|s| s.is_ok()).count();
        let flat: Vec<&SignatureSet<'_>> = sets
            .iter()
            .filter_map(|s| s.as_ref().ok())
            .flatten()
            .collect();
        let all_valid = ok_count > 1 && bls::verify_signature_sets(flat.into_iter());
        let checked: Vec<bool> = sets
            .iter()
            .map(|s| match s {
                Ok(three) => all_valid || bls::verify_signature_sets(three.iter()),
                Err(_) => false,
            })
            .collect();
        let set_errors: Vec<Option<AttestationError>> = sets.into_iter().map(|s| s.err()).collect();
        prepared
            .into_iter()
            .zip(checked.into_iter().zip(set_errors))
            .map(|(p, (signature_ok, set_error))| {
                let p = p?;
                if let Some(e) = set_error {
                    return Err(e);
                }
                if !signature_ok {
                    return Err(AttestationError::InvalidSignature);
                }
                self.finish_aggregate(p)
            })
            .collect()
    }

    /// [`Self::batch_verify_aggregated_attestations`], then fork choice and the pool; those
    /// voting for an unknown block wait for it.
    pub fn batch_process_aggregated_attestations(
        &self,
        items: Vec<SignedAggregateAndProof<E>>,
    ) -> Vec<Result<VerifiedAggregatedAttestation<E>, AttestationError>> {
        let copies = items.clone();
        let results = self.batch_verify_aggregated_attestations(items);
        results
            .into_iter()
            .zip(copies)
            .map(|(result, signed_aggregate)| match result {
                Ok(verified) => {
                    self.apply_attestation_to_fork_choice(verified.indexed_attestation())?;
                    self.add_to_op_pool(verified.attestation(), verified.indexed_attestation());
                    Ok(verified)
                }
                Err(AttestationError::UnknownHeadBlock(root)) => {
                    self.queue_pending(root, PendingMessage::Aggregate(Box::new(signed_aggregate)));
                    Err(AttestationError::UnknownHeadBlock(root))
                }
                Err(e) => Err(e),
            })
            .collect()
    }

    /// Count a verified attestation's votes in fork choice (`on_attestation`).
    pub fn apply_attestation_to_fork_choice(
        &self,
        indexed: &IndexedAttestation<E>,
    ) -> Result<(), AttestationError> {
        let current_slot = self.current_slot()?;
        let mut fc = write(&self.fork_choice);
        fc.on_tick(current_slot);
        fc.on_attestation(&indexed.attesting_indices, &indexed.data, false)
            .map_err(AttestationError::ForkChoice)
    }

    /// Put a verified attestation in the operation pool (for aggregation and proposals) and
    /// announce it.
    pub fn add_to_op_pool(&self, attestation: &Attestation<E>, indexed: &IndexedAttestation<E>) {
        self.op_pool
            .insert_attestation(attestation.clone(), indexed.attesting_indices.to_vec());
        self.events
            .send(ChainEvent::Attestation(Box::new(attestation.clone())));
    }

    /// Gossip verification, fork choice and pool, for an unaggregated attestation.
    pub fn process_unaggregated_attestation(
        &self,
        attestation: Attestation<E>,
        subnet_id: Option<u64>,
    ) -> Result<VerifiedUnaggregatedAttestation<E>, AttestationError> {
        let verified =
            match self.verify_unaggregated_attestation_for_gossip(attestation.clone(), subnet_id) {
                Ok(v) => v,
                Err(AttestationError::UnknownHeadBlock(root)) => {
                    self.queue_pending(
                        root,
                        PendingMessage::Attestation(Box::new(attestation), subnet_id),
                    );
                    return Err(AttestationError::UnknownHeadBlock(root));
                }
                Err(e) => return Err(e),
            };
        self.apply_attestation_to_fork_choice(verified.indexed_attestation())?;
        self.add_to_op_pool(verified.attestation(), verified.indexed_attestation());
        Ok(verified)
    }

    /// Gossip verification, fork choice and pool, for an aggregate.
    pub fn process_aggregated_attestation(
        &self,
        signed_aggregate: SignedAggregateAndProof<E>,
    ) -> Result<VerifiedAggregatedAttestation<E>, AttestationError> {
        let verified = match self.verify_aggregated_attestation_for_gossip(signed_aggregate.clone())
        {
            Ok(v) => v,
            Err(AttestationError::UnknownHeadBlock(root)) => {
                self.queue_pending(root, PendingMessage::Aggregate(Box::new(signed_aggregate)));
                return Err(AttestationError::UnknownHeadBlock(root));
            }
            Err(e) => return Err(e),
        };
        self.apply_attestation_to_fork_choice(verified.indexed_attestation())?;
        self.add_to_op_pool(verified.attestation(), verified.indexed_attestation());
        Ok(verified)
    }
}

/// A signature's bytes as a point; bytes that are not one make the signature invalid.
fn decompress_signature(bytes: &SignatureBytes) -> Result<bls::Signature, AttestationError> {
    bytes
        .decompress()
        .map_err(|_| AttestationError::InvalidSignature)
}
