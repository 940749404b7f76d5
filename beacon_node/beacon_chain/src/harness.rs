//! A chain driven by interop validators, in-process: the test harness, `lcli simulate` and the
//! import benchmark all use it.
//!
//! Everything goes through the chain's real entry points (block production, gossip
//! verification of attestations and aggregates, block import); the harness only holds the
//! secret keys, signs, and moves a manual clock. Nothing is mocked.

use crate::beacon_chain::BeaconChain;
use crate::errors::{AttestationError, BeaconChainError, BlockError};
use crate::ChainStore;
use bls::{AggregateSignature, SecretKey};
use eth2_interop_keypairs::interop_secret_key;
use rayon::prelude::*;
use slot_clock::{ManualSlotClock, SlotClock};
use state_processing::genesis::interop_genesis_state;
use state_processing::helpers::accessors::{
    committee_cache, get_beacon_proposer_index, get_domain,
};
use state_processing::process_slots;
use state_processing::validator::{
    aggregate_and_proof_signing_root, compute_subnet_for_attestation, is_aggregator,
    slot_signing_root,
};
use std::sync::Arc;
use types::signing::compute_signing_root;
use types::{
    AggregateAndProof, Attestation, AttestationData, BeaconBlock, BeaconState, BitList, ChainSpec,
    EthSpec, Hash256, SignatureBytes, SignedAggregateAndProof, SignedBeaconBlock, Slot,
};

/// The genesis time of harness chains (any fixed time works: the clock is manual).
pub const HARNESS_GENESIS_TIME: u64 = 1_600_000_000;

/// How attestations reach the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttestationMode {
    /// One attestation per validator, each verified as on a subnet (small chains, tests).
    Unaggregated,
    /// One aggregate per committee from a selected aggregator (large chains).
    Aggregated,
}

/// Why the harness could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("chain: {0}")]
    Chain(#[from] BeaconChainError),
    #[error("block rejected: {0}")]
    Block(#[from] BlockError),
    #[error("attestation rejected: {0}")]
    Attestation(#[from] AttestationError),
    #[error("genesis: {0}")]
    Genesis(String),
    #[error("{0}")]
    Other(String),
}

/// The chain and its validators' keys.
pub struct BeaconChainHarness<E: EthSpec> {
    pub chain: Arc<BeaconChain<E>>,
    pub clock: Arc<ManualSlotClock>,
    pub spec: Arc<ChainSpec>,
    pub keys: Arc<Vec<SecretKey>>,
}

/// The interop secret keys of validators `0..count`.
pub fn interop_keys(count: usize) -> Vec<SecretKey> {
    (0..count as u64)
        .into_par_iter()
        .map(interop_secret_key)
        .collect()
}

impl<E: EthSpec> BeaconChainHarness<E> {
    /// A fresh interop chain of `validators` in `store`.
    pub fn new(
        validators: usize,
        spec: ChainSpec,
        store: Arc<ChainStore<E>>,
    ) -> Result<Self, HarnessError> {
        let spec = Arc::new(spec);
        let state = interop_genesis_state::<E>(validators as u64, HARNESS_GENESIS_TIME, &spec)
            .map_err(|e| HarnessError::Genesis(format!("{e:?}")))?;
        Self::from_genesis_state(state, spec, store)
    }

    /// A fresh chain from a given genesis state of interop validators.
    pub fn from_genesis_state(
        state: BeaconState<E>,
        spec: Arc<ChainSpec>,
        store: Arc<ChainStore<E>>,
    ) -> Result<Self, HarnessError> {
        let clock = Arc::new(ManualSlotClock::new(
            state.genesis_time,
            spec.seconds_per_slot,
        ));
        let keys = Arc::new(interop_keys(state.validators.len()));
        let chain = BeaconChain::from_genesis(store, spec.clone(), clock.clone(), state)?;
        Ok(BeaconChainHarness {
            chain: Arc::new(chain),
            clock,
            spec,
            keys,
        })
    }

    /// A chain started from a finalized checkpoint: `anchor_block` and its post-state, with
    /// the clock at `slot` and the keys of `validators` interop validators.
    pub fn from_anchor(
        anchor_block: SignedBeaconBlock<E>,
        anchor_state: BeaconState<E>,
        validators: usize,
        spec: ChainSpec,
        store: Arc<ChainStore<E>>,
        slot: Slot,
    ) -> Result<Self, HarnessError> {
        let spec = Arc::new(spec);
        let clock = Arc::new(ManualSlotClock::new(
            anchor_state.genesis_time,
            spec.seconds_per_slot,
        ));
        clock.set_slot(slot);
        let chain = BeaconChain::from_anchor(
            store,
            spec.clone(),
            clock.clone(),
            anchor_block,
            anchor_state,
        )?;
        Ok(BeaconChainHarness {
            chain: Arc::new(chain),
            clock,
            spec,
            keys: Arc::new(interop_keys(validators)),
        })
    }

    /// The chain in `store`, resumed, with the clock at `slot`.
    pub fn resume(
        validators: usize,
        spec: ChainSpec,
        store: Arc<ChainStore<E>>,
        slot: Slot,
    ) -> Result<Self, HarnessError> {
        let spec = Arc::new(spec);
        let clock = Arc::new(ManualSlotClock::new(
            HARNESS_GENESIS_TIME,
            spec.seconds_per_slot,
        ));
        clock.set_slot(slot);
        let chain = BeaconChain::resume(store, spec.clone(), clock.clone())?;
        Ok(BeaconChainHarness {
            chain: Arc::new(chain),
            clock,
            spec,
            keys: Arc::new(interop_keys(validators)),
        })
    }

    /// Move the clock to the start of `slot` and tell fork choice.
    pub fn set_slot(&self, slot: Slot) -> Result<(), HarnessError> {
        self.clock.set_slot(slot);
        self.chain.on_tick()?;
        Ok(())
    }

    /// The current slot.
    pub fn current_slot(&self) -> Slot {
        self.clock.now().unwrap_or(0)
    }

    fn key(&self, index: u64) -> &SecretKey {
        &self.keys[index as usize]
    }

    /// The proposer's RANDAO reveal for the epoch of `state`.
    pub fn randao_reveal(&self, state: &BeaconState<E>, proposer: u64) -> SignatureBytes {
        let epoch = state.current_epoch();
        let domain = get_domain(state, self.spec.domain_randao, Some(epoch));
        let root = compute_signing_root(&epoch, domain);
        SignatureBytes::from(&self.key(proposer).sign(root.as_slice()))
    }

    /// Sign a block as its proposer.
    pub fn sign_block(
        &self,
        block: BeaconBlock<E>,
        state: &BeaconState<E>,
    ) -> SignedBeaconBlock<E> {
        let epoch = block.slot / E::slots_per_epoch();
        let domain = get_domain(state, self.spec.domain_beacon_proposer, Some(epoch));
        let root = compute_signing_root(&block, domain);
        let signature = SignatureBytes::from(&self.key(block.proposer_index).sign(root.as_slice()));
        SignedBeaconBlock {
            message: block,
            signature,
        }
    }

    /// A signed block for `slot` on `parent_root`, produced by the chain itself.
    pub fn make_block(
        &self,
        parent_root: Hash256,
        slot: Slot,
    ) -> Result<SignedBeaconBlock<E>, HarnessError> {
        let parent = self.chain.get_block_state(&parent_root)?;
        let mut state = (*parent.state).clone();
        process_slots(&mut state, slot, &self.spec).map_err(BeaconChainError::from)?;
        let proposer =
            get_beacon_proposer_index(&state, &self.spec).map_err(BeaconChainError::from)?;
        let reveal = self.randao_reveal(&state, proposer);
        let produced =
            self.chain
                .produce_block_on(parent_root, &parent.state, slot, reveal, Hash256::ZERO)?;
        Ok(self.sign_block(produced.block, &produced.state))
    }

    /// Produce, sign and import a block at `slot` on the head. Returns its root.
    pub fn propose(&self, slot: Slot) -> Result<Hash256, HarnessError> {
        let block = self.make_block(self.chain.head_block_root(), slot)?;
        Ok(self.chain.process_block(Arc::new(block))?)
    }

    /// The state attestations at `slot` voting for `block_root` are made against: the block's
    /// post-state advanced to the slot's epoch.
    pub fn attestation_state(
        &self,
        slot: Slot,
        block_root: Hash256,
    ) -> Result<(Arc<BeaconState<E>>, BeaconState<E>), HarnessError> {
        let block_state = self.chain.get_block_state(&block_root)?.state;
        let epoch_start = (slot / E::slots_per_epoch()) * E::slots_per_epoch();
        let mut state = (*block_state).clone();
        if state.slot < epoch_start {
            process_slots(&mut state, epoch_start, &self.spec).map_err(BeaconChainError::from)?;
        }
        Ok((block_state, state))
    }

    /// Signed attestations of the validators `attests(index)` picks at `slot`, voting for
    /// `block_root`: one per validator (with its subnet), or one aggregate per committee.
    pub fn make_attestations(
        &self,
        slot: Slot,
        block_root: Hash256,
        attests: &(dyn Fn(u64) -> bool + Sync),
        mode: AttestationMode,
    ) -> Result<Vec<ProducedAttestation<E>>, HarnessError> {
        let (block_state, state) = self.attestation_state(slot, block_root)?;
        let epoch = slot / E::slots_per_epoch();
        let committees =
            committee_cache(&state, epoch, &self.spec).map_err(BeaconChainError::from)?;
        let committees_per_slot = committees.committees_per_slot();
        let domain = get_domain(&state, self.spec.domain_beacon_attester, Some(epoch));
        let mut produced = Vec::new();
        for index in 0..committees_per_slot {
            let Some(committee) = committees.get_beacon_committee(slot, index) else {
                continue;
            };
            let data =
                self.chain
                    .produce_attestation_data_on(block_root, &block_state, slot, index)?;
            let signing_root = compute_signing_root(&data, domain);
            let members: Vec<(usize, u64)> = committee
                .iter()
                .copied()
                .enumerate()
                .filter(|(_, v)| attests(*v))
                .collect();
            if members.is_empty() {
                continue;
            }
            let signatures: Vec<_> = members
                .par_iter()
                .map(|(_, v)| self.key(*v).sign(signing_root.as_slice()))
                .collect();
            match mode {
                AttestationMode::Unaggregated => {
                    let subnet =
                        compute_subnet_for_attestation::<E>(committees_per_slot, slot, index);
                    for ((position, _), signature) in members.iter().zip(&signatures) {
                        let attestation = attestation_with_bits::<E>(
                            data,
                            committee.len(),
                            &[*position],
                            SignatureBytes::from(signature),
                        );
                        produced.push(ProducedAttestation::Unaggregated(attestation, subnet));
                    }
                }
                AttestationMode::Aggregated => {
                    let refs: Vec<_> = signatures.iter().collect();
                    let aggregate = AggregateSignature::aggregate(&refs)
                        .map_err(|e| HarnessError::Other(format!("aggregation: {e:?}")))?;
                    let positions: Vec<usize> = members.iter().map(|(p, _)| *p).collect();
                    let attestation = attestation_with_bits::<E>(
                        data,
                        committee.len(),
                        &positions,
                        SignatureBytes::from(&aggregate.to_signature()),
                    );
                    let aggregator = self.select_aggregator(&state, committee, slot)?;
                    produced.push(ProducedAttestation::Aggregate(self.sign_aggregate_as(
                        &state,
                        aggregator,
                        attestation,
                    )));
                }
            }
        }
        Ok(produced)
    }

    /// Make attestations (as `make_attestations`) and feed them to the chain through gossip
    /// verification, fork choice and the pool. Returns the number of attesters.
    pub fn attest(
        &self,
        slot: Slot,
        block_root: Hash256,
        attests: &(dyn Fn(u64) -> bool + Sync),
        mode: AttestationMode,
    ) -> Result<usize, HarnessError> {
        let mut attesters = 0;
        for produced in self.make_attestations(slot, block_root, attests, mode)? {
            match produced {
                ProducedAttestation::Unaggregated(attestation, subnet) => {
                    self.chain
                        .process_unaggregated_attestation(attestation, Some(subnet))?;
                    attesters += 1;
                }
                ProducedAttestation::Aggregate(signed) => {
                    attesters += signed.message.aggregate.aggregation_bits.num_set_bits();
                    self.chain.process_aggregated_attestation(signed)?;
                }
            }
        }
        Ok(attesters)
    }

    /// The first committee member whose selection proof makes it an aggregator.
    pub fn select_aggregator(
        &self,
        state: &BeaconState<E>,
        committee: &[u64],
        slot: Slot,
    ) -> Result<u64, HarnessError> {
        let selection_root = slot_signing_root(state, slot, &self.spec);
        committee
            .iter()
            .copied()
            .find(|&member| {
                let proof = SignatureBytes::from(&self.key(member).sign(selection_root.as_slice()));
                is_aggregator(committee.len(), &proof, &self.spec)
            })
            .ok_or_else(|| {
                HarnessError::Other(format!(
                    "no aggregator selected in a committee of {} at slot {slot}",
                    committee.len()
                ))
            })
    }

    /// A `SignedAggregateAndProof` of `aggregate` by `aggregator`, selected or not (tests use
    /// this to break the rules on purpose).
    pub fn sign_aggregate_as(
        &self,
        state: &BeaconState<E>,
        aggregator: u64,
        aggregate: Attestation<E>,
    ) -> SignedAggregateAndProof<E> {
        let slot = aggregate.data.slot;
        let selection_root = slot_signing_root(state, slot, &self.spec);
        let proof = SignatureBytes::from(&self.key(aggregator).sign(selection_root.as_slice()));
        let message = AggregateAndProof {
            aggregator_index: aggregator,
            aggregate,
            selection_proof: proof,
        };
        let root = aggregate_and_proof_signing_root(state, &message, &self.spec);
        let signature = SignatureBytes::from(&self.key(aggregator).sign(root.as_slice()));
        SignedAggregateAndProof { message, signature }
    }

    /// One slot of a healthy chain: move the clock, propose on the head (unless skipped),
    /// and have the chosen validators attest to the head.
    pub fn advance_slot(
        &self,
        slot: Slot,
        propose: bool,
        attests: &(dyn Fn(u64) -> bool + Sync),
        mode: AttestationMode,
    ) -> Result<usize, HarnessError> {
        self.set_slot(slot)?;
        if propose {
            self.propose(slot)?;
        }
        let head = self.chain.head_block_root();
        self.attest(slot, head, attests, mode)
    }
}

/// An attestation or aggregate made by the harness.
#[derive(Debug, Clone)]
pub enum ProducedAttestation<E: EthSpec> {
    /// One validator's attestation and its subnet.
    Unaggregated(Attestation<E>, u64),
    /// A committee's aggregate.
    Aggregate(SignedAggregateAndProof<E>),
}

/// An attestation with the bits at `positions` set in a committee of `committee_len`.
pub fn attestation_with_bits<E: EthSpec>(
    data: AttestationData,
    committee_len: usize,
    positions: &[usize],
    signature: SignatureBytes,
) -> Attestation<E> {
    // A committee is never longer than MAX_VALIDATORS_PER_COMMITTEE; past that the bits
    // simply stay empty and verification rejects the attestation.
    let mut bits = BitList::with_capacity(committee_len)
        .or_else(|_| BitList::with_capacity(0))
        .unwrap_or_else(|_| unreachable!("an empty bitlist always fits"));
    for &p in positions {
        let _ = bits.set(p, true);
    }
    Attestation {
        aggregation_bits: bits,
        data,
        signature,
    }
}
