//! Duties: which of our validators propose at which slot, and which attest (and aggregate) in
//! which committee. Fetched from the beacon node every slot for the current epoch (proposals)
//! and the current and next epoch (attestations), and at once when a head event shows that the
//! block they depend on (`dependent_root`) changed, which is what a reorg across an epoch
//! boundary does to the shuffling.
//!
//! The slot loop must not wait on the next epoch's attester duties: each carries a selection
//! proof, a BLS signature, so thousands of validators cost seconds of signing, and a block
//! due at the first slot of the epoch published that late loses the votes of the whole slot.
//! So proposals and the current epoch come first ([`DutiesService::poll_proposers`],
//! [`DutiesService::poll_current_attesters`]) and the next epoch is fetched in the background
//! ([`DutiesService::poll_next_attesters`]).

use crate::beacon_nodes::BeaconNodes;
use crate::signer::Signer;
use eth2_api_types::{AttesterDuty, BeaconCommitteeSubscription, HeadEvent, ProposerDuty};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use types::{Epoch, EthSpec, Hash256, PublicKeyBytes, SignatureBytes, Slot};

/// An attestation duty, with the selection proof when the validator also aggregates.
#[derive(Debug, Clone)]
pub struct AttestationDuty {
    pub duty: AttesterDuty,
    pub selection_proof: Option<SignatureBytes>,
}

/// Duties of one epoch and the block root they were computed from.
#[derive(Debug, Clone)]
struct EpochDuties<T> {
    dependent_root: Hash256,
    duties: Vec<T>,
}

/// The duties of our validators.
pub struct DutiesService<E: EthSpec> {
    nodes: Arc<BeaconNodes>,
    signer: Arc<Signer<E>>,
    indices: Mutex<HashMap<PublicKeyBytes, u64>>,
    proposers: Mutex<HashMap<Epoch, EpochDuties<ProposerDuty>>>,
    attesters: Mutex<HashMap<Epoch, EpochDuties<AttestationDuty>>>,
    /// Held while the next epoch's attester duties are fetched, so slow fetches do not pile up.
    next_attesters_fetch: tokio::sync::Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<E: EthSpec> DutiesService<E> {
    pub fn new(nodes: Arc<BeaconNodes>, signer: Arc<Signer<E>>) -> Self {
        DutiesService {
            nodes,
            signer,
            indices: Mutex::new(HashMap::new()),
            proposers: Mutex::new(HashMap::new()),
            attesters: Mutex::new(HashMap::new()),
            next_attesters_fetch: tokio::sync::Mutex::new(()),
        }
    }

    /// Our validators proposing at `slot`.
    pub fn proposers_at(&self, slot: Slot) -> Vec<ProposerDuty> {
        let epoch = slot / E::slots_per_epoch();
        lock(&self.proposers)
            .get(&epoch)
            .map(|d| {
                d.duties
                    .iter()
                    .filter(|p| p.slot == slot)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Our validators attesting at `slot`.
    pub fn attesters_at(&self, slot: Slot) -> Vec<AttestationDuty> {
        let epoch = slot / E::slots_per_epoch();
        lock(&self.attesters)
            .get(&epoch)
            .map(|d| {
                d.duties
                    .iter()
                    .filter(|a| a.duty.slot == slot)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Learn the indices of validators the chain did not know yet (new deposits get one when
    /// their deposit is processed).
    async fn resolve_indices(&self) {
        let missing: Vec<String> = {
            let known = lock(&self.indices);
            self.signer
                .pubkeys()
                .into_iter()
                .filter(|k| !known.contains_key(k))
                .map(|k| k.to_string())
                .collect()
        };
        if missing.is_empty() {
            return;
        }
        // The schema's maxItems for `id`; larger lists are refused by strict nodes.
        for chunk in missing.chunks(30) {
            let chunk = chunk.to_vec();
            match self
                .nodes
                .first_success("look up validator indices", |node| {
                    let chunk = chunk.clone();
                    async move { node.get_state_validators("head", &chunk).await }
                })
                .await
            {
                Ok(found) => {
                    let mut indices = lock(&self.indices);
                    for v in found {
                        if indices.insert(v.validator.pubkey, v.index).is_none() {
                            tracing::info!(pubkey = %v.validator.pubkey, index = v.index, status = %v.status, "validator known to the chain");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not look up validator indices"),
            }
        }
    }

    /// Everything at once, awaited: indices, proposals, attestations of the current and the
    /// next epoch (at start-up, before the first slot).
    pub async fn poll(&self, slot: Slot) {
        self.poll_proposers(slot).await;
        self.poll_current_attesters(slot).await;
        self.poll_next_attesters(slot).await;
    }

    /// The first per-slot refresh, before the slot's proposal: indices of new validators and
    /// the proposers of the current epoch (one request).
    pub async fn poll_proposers(&self, slot: Slot) {
        self.resolve_indices().await;
        let epoch = slot / E::slots_per_epoch();
        self.fetch_proposers(epoch).await;
        lock(&self.proposers).retain(|e, _| *e + 1 >= epoch);
    }

    /// The current epoch's attester duties if they are not known (at start-up, or dropped
    /// because their dependent root changed): this slot's attestations need them.
    pub async fn poll_current_attesters(&self, slot: Slot) {
        let epoch = slot / E::slots_per_epoch();
        if !lock(&self.attesters).contains_key(&epoch) {
            self.fetch_attesters(epoch).await;
        }
        lock(&self.attesters).retain(|e, _| *e + 1 >= epoch);
    }

    /// The next epoch's attester duties, once, ahead of it; skipped while an earlier call is
    /// still signing.
    pub async fn poll_next_attesters(&self, slot: Slot) {
        let epoch = slot / E::slots_per_epoch() + 1;
        let Ok(_fetching) = self.next_attesters_fetch.try_lock() else {
            return;
        };
        if !lock(&self.attesters).contains_key(&epoch) {
            self.fetch_attesters(epoch).await;
        }
    }

    async fn fetch_proposers(&self, epoch: Epoch) {
        let response = self
            .nodes
            .first_success("fetch proposer duties", |node| async move {
                node.get_validator_duties_proposer(epoch).await
            })
            .await;
        match response {
            Ok(response) => {
                let ours: Vec<ProposerDuty> = {
                    let indices = lock(&self.indices);
                    response
                        .data
                        .into_iter()
                        .filter(|d| indices.get(&d.pubkey) == Some(&d.validator_index))
                        .collect()
                };
                let mut proposers = lock(&self.proposers);
                let changed = proposers
                    .get(&epoch)
                    .is_none_or(|old| old.dependent_root != response.dependent_root);
                if changed {
                    for duty in &ours {
                        tracing::info!(
                            slot = duty.slot,
                            validator = duty.validator_index,
                            "proposal duty"
                        );
                    }
                }
                proposers.insert(
                    epoch,
                    EpochDuties {
                        dependent_root: response.dependent_root,
                        duties: ours,
                    },
                );
            }
            Err(e) => tracing::warn!(epoch, error = %e, "could not fetch proposer duties"),
        }
    }

    async fn fetch_attesters(&self, epoch: Epoch) {
        let indices: Vec<u64> = lock(&self.indices).values().copied().collect();
        if indices.is_empty() {
            return;
        }
        let response = self
            .nodes
            .first_success("fetch attester duties", |node| {
                let indices = indices.clone();
                async move { node.post_validator_duties_attester(epoch, &indices).await }
            })
            .await;
        let response = match response {
            Ok(response) => response,
            Err(e) => {
                tracing::warn!(epoch, error = %e, "could not fetch attester duties");
                return;
            }
        };
        let signer = self.signer.clone();
        let duties = response.data;
        // Selection proofs are signatures: off the async threads, on every core.
        let with_proofs = tokio::task::spawn_blocking(move || {
            duties
                .into_par_iter()
                .map(|duty| {
                    let selection_proof = signer
                        .selection_proof(&duty.pubkey, duty.slot)
                        .ok()
                        .filter(|proof| signer.is_aggregator(duty.committee_length, proof));
                    AttestationDuty {
                        duty,
                        selection_proof,
                    }
                })
                .collect::<Vec<_>>()
        })
        .await;
        let Ok(duties) = with_proofs else {
            return;
        };
        tracing::debug!(
            epoch,
            duties = duties.len(),
            aggregators = duties
                .iter()
                .filter(|d| d.selection_proof.is_some())
                .count(),
            "attester duties"
        );
        let subscriptions: Vec<BeaconCommitteeSubscription> = duties
            .iter()
            .map(|d| BeaconCommitteeSubscription {
                validator_index: d.duty.validator_index,
                committee_index: d.duty.committee_index,
                committees_at_slot: d.duty.committees_at_slot,
                slot: d.duty.slot,
                is_aggregator: d.selection_proof.is_some(),
            })
            .collect();
        lock(&self.attesters).insert(
            epoch,
            EpochDuties {
                dependent_root: response.dependent_root,
                duties,
            },
        );
        if !subscriptions.is_empty() {
            let result = self
                .nodes
                .first_success("subscribe to committees", |node| {
                    let subscriptions = subscriptions.clone();
                    async move {
                        node.post_validator_beacon_committee_subscriptions(&subscriptions)
                            .await
                    }
                })
                .await;
            if let Err(e) = result {
                tracing::warn!(epoch, error = %e, "could not subscribe to committees");
            }
        }
    }

    /// A new head: duties whose dependent root differs from the head's are fetched again.
    /// Attester duties of epoch N depend on the block at the last slot of epoch N-2
    /// (`previous_duty_dependent_root` for the head's epoch), proposals of epoch N and
    /// attester duties of epoch N+1 on the last slot of epoch N-1
    /// (`current_duty_dependent_root`).
    pub async fn on_head(&self, head: &HeadEvent) {
        let epoch = head.slot / E::slots_per_epoch();
        let stale_attesters: Vec<Epoch> = {
            let attesters = lock(&self.attesters);
            [
                (epoch, head.previous_duty_dependent_root),
                (epoch + 1, head.current_duty_dependent_root),
            ]
            .into_iter()
            .filter(|(e, root)| attesters.get(e).is_some_and(|d| d.dependent_root != *root))
            .map(|(e, _)| e)
            .collect()
        };
        let stale_proposers = lock(&self.proposers)
            .get(&epoch)
            .is_some_and(|d| d.dependent_root != head.current_duty_dependent_root);
        for e in stale_attesters {
            tracing::info!(
                epoch = e,
                "the head changed the attester shuffling: fetching duties again"
            );
            lock(&self.attesters).remove(&e);
            self.fetch_attesters(e).await;
        }
        if stale_proposers {
            tracing::info!(
                epoch,
                "the head changed the proposer shuffling: fetching duties again"
            );
            self.fetch_proposers(epoch).await;
        }
    }

    /// A reorg: fetch the duties of the reorg's epoch and the next again.
    pub async fn on_reorg(&self, epoch: Epoch) {
        for e in [epoch, epoch + 1] {
            lock(&self.attesters).remove(&e);
            self.fetch_attesters(e).await;
        }
        self.fetch_proposers(epoch).await;
    }
}
