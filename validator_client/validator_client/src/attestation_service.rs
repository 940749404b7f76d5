//! Attestations and aggregates (validator.md, Attesting and Attestation aggregation): attest
//! when the slot's block has been imported (the node's head event) or at one third of the
//! slot, whichever comes first; aggregate at two thirds.

use crate::beacon_nodes::BeaconNodes;
use crate::duties::{AttestationDuty, DutiesService};
use crate::signer::Signer;
use slot_clock::SlotClock;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tree_hash::TreeHash;
use types::{Attestation, AttestationData, EthSpec, Slot};

/// Makes our validators' attestations and aggregates.
pub struct AttestationService<E: EthSpec, C: SlotClock> {
    pub nodes: Arc<BeaconNodes>,
    pub signer: Arc<Signer<E>>,
    pub duties: Arc<DutiesService<E>>,
    pub clock: Arc<C>,
    /// The slot of the node's latest head, from the event stream.
    pub head_slot: watch::Receiver<Slot>,
}

impl<E: EthSpec, C: SlotClock + 'static> AttestationService<E, C> {
    /// Time until `fraction`/3 of `slot` has passed.
    fn until_third(&self, slot: Slot, thirds: u32) -> Duration {
        let Some(start) = self.clock.start_of(slot) else {
            return Duration::ZERO;
        };
        let at = start + self.clock.slot_duration() * thirds / 3;
        self.clock
            .now_duration()
            .map_or(Duration::ZERO, |now| at.saturating_sub(now))
    }

    /// The whole of `slot`'s attesting: attest, then aggregate.
    pub async fn attest_and_aggregate(&self, slot: Slot) {
        let duties = self.duties.attesters_at(slot);
        if duties.is_empty() {
            return;
        }
        // The block of this slot, or one third of the slot.
        let mut head = self.head_slot.clone();
        let _ =
            tokio::time::timeout(self.until_third(slot, 1), head.wait_for(|s| *s >= slot)).await;

        let mut by_committee: BTreeMap<u64, Vec<AttestationDuty>> = BTreeMap::new();
        for duty in duties {
            by_committee
                .entry(duty.duty.committee_index)
                .or_default()
                .push(duty);
        }
        let mut produced: Vec<(AttestationData, Vec<AttestationDuty>)> = Vec::new();
        let mut attestations: Vec<Attestation<E>> = Vec::new();
        for (committee_index, duties) in by_committee {
            match self.attest_committee(slot, committee_index, &duties).await {
                Ok((data, signed)) => {
                    attestations.extend(signed);
                    produced.push((data, duties));
                }
                Err(e) => {
                    tracing::error!(slot, committee_index, error = %e, "no attestations for this committee")
                }
            }
        }
        if !attestations.is_empty() {
            let count = attestations.len();
            let attestations = Arc::new(attestations);
            let result = self
                .nodes
                .first_success("publish attestations", |node| {
                    let attestations = attestations.clone();
                    async move { node.post_beacon_pool_attestations(&attestations).await }
                })
                .await;
            match result {
                Ok(()) => tracing::info!(slot, count, "published attestations"),
                Err(e) => tracing::error!(slot, error = %e, "attestations not published"),
            }
        }

        // Aggregates at two thirds of the slot.
        if produced
            .iter()
            .any(|(_, d)| d.iter().any(|d| d.selection_proof.is_some()))
        {
            tokio::time::sleep(self.until_third(slot, 2)).await;
            for (data, duties) in produced {
                self.aggregate(slot, &data, &duties).await;
            }
        }
    }

    /// Attestation data for one committee, signed by each of our members.
    async fn attest_committee(
        &self,
        slot: Slot,
        committee_index: u64,
        duties: &[AttestationDuty],
    ) -> Result<(AttestationData, Vec<Attestation<E>>), String> {
        let data = self
            .nodes
            .first_success("produce attestation data", |node| async move {
                node.get_validator_attestation_data(slot, committee_index)
                    .await
            })
            .await
            .map_err(|e| e.to_string())?;
        if data.slot != slot || data.index != committee_index {
            return Err(format!(
                "the node produced data for slot {} committee {}, not slot {slot} committee {committee_index}",
                data.slot, data.index
            ));
        }
        let signer = self.signer.clone();
        let members: Vec<_> = duties.iter().map(|d| d.duty.clone()).collect();
        let signed_data = data;
        let signed = tokio::task::spawn_blocking(move || {
            members
                .iter()
                .filter_map(|duty| {
                    match signer.sign_attestation(
                        &duty.pubkey,
                        signed_data,
                        duty.committee_length,
                        duty.validator_committee_index,
                    ) {
                        Ok(a) => Some(a),
                        Err(e) => {
                            tracing::error!(slot, validator = duty.validator_index, error = %e, "attestation not signed");
                            None
                        }
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| e.to_string())?;
        Ok((data, signed))
    }

    /// Our aggregators' aggregates of `data`.
    async fn aggregate(&self, slot: Slot, data: &AttestationData, duties: &[AttestationDuty]) {
        let aggregators: Vec<&AttestationDuty> = duties
            .iter()
            .filter(|d| d.selection_proof.is_some())
            .collect();
        if aggregators.is_empty() {
            return;
        }
        let root = data.tree_hash_root();
        let aggregate = self
            .nodes
            .first_success("fetch an aggregate", |node| async move {
                node.get_validator_aggregate_attestation::<E>(slot, root)
                    .await
            })
            .await;
        let aggregate = match aggregate {
            Ok(Some(aggregate)) => aggregate,
            Ok(None) => {
                tracing::warn!(
                    slot,
                    committee_index = data.index,
                    "the node has no aggregate for our data"
                );
                return;
            }
            Err(e) => {
                tracing::error!(slot, error = %e, "could not fetch an aggregate");
                return;
            }
        };
        let mut signed = Vec::new();
        for duty in aggregators {
            let Some(proof) = duty.selection_proof else {
                continue;
            };
            match self.signer.sign_aggregate_and_proof(
                &duty.duty.pubkey,
                duty.duty.validator_index,
                aggregate.clone(),
                proof,
            ) {
                Ok(s) => signed.push(s),
                Err(e) => tracing::error!(slot, error = %e, "aggregate not signed"),
            }
        }
        let count = signed.len();
        let signed = Arc::new(signed);
        let result = self
            .nodes
            .first_success("publish aggregates", |node| {
                let signed = signed.clone();
                async move { node.post_validator_aggregate_and_proofs(&signed).await }
            })
            .await;
        match result {
            Ok(()) => tracing::info!(
                slot,
                committee_index = data.index,
                count,
                "published aggregates"
            ),
            Err(e) => tracing::error!(slot, error = %e, "aggregates not published"),
        }
    }
}
