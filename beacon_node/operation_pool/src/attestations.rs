//! Attestations waiting for a block: aggregated by data as they arrive, packed by max-cover.

use crate::max_cover::{max_cover, Candidate};
use bls::{AggregateSignature, Signature};
use state_processing::helpers::accessors::{committee_cache, get_attesting_indices};
use std::collections::HashMap;
use types::{Attestation, AttestationData, BeaconState, ChainSpec, EthSpec, Hash256};

/// One aggregate held by the pool, with its attesters (sorted).
#[derive(Debug, Clone)]
pub(crate) struct PooledAttestation<E: EthSpec> {
    pub attestation: Attestation<E>,
    pub indices: Vec<u64>,
}

/// Every aggregate of one `AttestationData`.
#[derive(Debug, Clone)]
pub(crate) struct AttestationGroup<E: EthSpec> {
    pub data: AttestationData,
    pub aggregates: Vec<PooledAttestation<E>>,
}

/// The bits of `a` all set in `b` (same length).
fn is_subset<E: EthSpec>(a: &Attestation<E>, b: &Attestation<E>) -> bool {
    a.aggregation_bits.len() == b.aggregation_bits.len()
        && a.aggregation_bits
            .intersection(&b.aggregation_bits)
            .num_set_bits()
            == a.aggregation_bits.num_set_bits()
}

fn is_disjoint<E: EthSpec>(a: &Attestation<E>, b: &Attestation<E>) -> bool {
    a.aggregation_bits.len() == b.aggregation_bits.len()
        && a.aggregation_bits
            .intersection(&b.aggregation_bits)
            .is_zero()
}

/// Aggregate `b` into `a` (disjoint bits); false if a signature does not decompress.
fn merge<E: EthSpec>(a: &mut PooledAttestation<E>, b: &PooledAttestation<E>) -> bool {
    let (Ok(sig_a), Ok(sig_b)) = (
        a.attestation.signature.decompress(),
        b.attestation.signature.decompress(),
    ) else {
        return false;
    };
    let mut aggregate = AggregateSignature::from(&sig_a);
    aggregate.add_assign(&sig_b);
    let signature: Signature = aggregate.into();
    a.attestation.aggregation_bits = a
        .attestation
        .aggregation_bits
        .union(&b.attestation.aggregation_bits);
    a.attestation.signature = (&signature).into();
    a.indices.extend_from_slice(&b.indices);
    a.indices.sort_unstable();
    a.indices.dedup();
    true
}

impl<E: EthSpec> AttestationGroup<E> {
    /// Add an attestation: dropped if already covered, merged where disjoint, else kept apart.
    pub fn insert(&mut self, new: PooledAttestation<E>) {
        if self
            .aggregates
            .iter()
            .any(|held| is_subset(&new.attestation, &held.attestation))
        {
            return;
        }
        if let Some(position) = self
            .aggregates
            .iter()
            .position(|held| is_disjoint(&new.attestation, &held.attestation))
        {
            if merge(&mut self.aggregates[position], &new) {
                // Anything the bigger aggregate now covers is redundant.
                let merged = self.aggregates.swap_remove(position);
                self.aggregates
                    .retain(|a| !is_subset(&a.attestation, &merged.attestation));
                self.aggregates.push(merged);
                return;
            }
        }
        self.aggregates.push(new);
    }
}

/// The non-signature rules of `process_attestation` (beacon-chain.md) for `data` with a
/// bitfield of `bits_len`, against the block's pre-state `state`.
pub(crate) fn is_includable<E: EthSpec>(
    state: &BeaconState<E>,
    data: &AttestationData,
    bits_len: usize,
    spec: &ChainSpec,
) -> bool {
    let current = state.current_epoch();
    let previous = state.previous_epoch();
    let target = data.target.epoch;
    if target != current && target != previous {
        return false;
    }
    if target != data.slot / E::slots_per_epoch() {
        return false;
    }
    let Some(earliest) = data.slot.checked_add(spec.min_attestation_inclusion_delay) else {
        return false;
    };
    let Some(latest) = data.slot.checked_add(E::slots_per_epoch()) else {
        return false;
    };
    if state.slot < earliest || state.slot > latest {
        return false;
    }
    let Ok(committees) = committee_cache(state, target, spec) else {
        return false;
    };
    match committees.get_beacon_committee(data.slot, data.index) {
        Some(committee) if committee.len() == bits_len => {}
        _ => return false,
    }
    let source = if target == current {
        state.current_justified_checkpoint
    } else {
        state.previous_justified_checkpoint
    };
    data.source == source
}

/// Validators already rewarded for `epoch`'s attestations in `state` (its pending
/// attestations), as a bitmap by validator index.
fn rewarded<E: EthSpec>(state: &BeaconState<E>, current: bool, spec: &ChainSpec) -> Vec<bool> {
    let mut seen = vec![false; state.validators.len()];
    let pending = if current {
        &state.current_epoch_attestations
    } else {
        &state.previous_epoch_attestations
    };
    for a in pending.iter() {
        if let Ok(indices) = get_attesting_indices(state, &a.data, &a.aggregation_bits, spec) {
            for i in indices {
                if let Some(s) = seen.get_mut(i as usize) {
                    *s = true;
                }
            }
        }
    }
    seen
}

/// Up to `limit` attestations for a block on `state`, by greedy max-cover of attesters the
/// state has not rewarded yet, weighted by effective balance.
pub(crate) fn pack<E: EthSpec>(
    groups: &HashMap<Hash256, AttestationGroup<E>>,
    state: &BeaconState<E>,
    limit: usize,
    spec: &ChainSpec,
) -> Vec<Attestation<E>> {
    let rewarded_current = rewarded(state, true, spec);
    let rewarded_previous = rewarded(state, false, spec);
    let current_epoch = state.current_epoch();
    let mut candidates = Vec::new();
    // A fixed order (slot, committee, data root) makes production deterministic: the same
    // pool and state always give the same block.
    let mut ordered: Vec<(&Hash256, &AttestationGroup<E>)> = groups.iter().collect();
    ordered.sort_by_key(|(root, g)| (g.data.slot, g.data.index, **root));
    for (_, group) in ordered {
        for pooled in &group.aggregates {
            if !is_includable(
                state,
                &group.data,
                pooled.attestation.aggregation_bits.len(),
                spec,
            ) {
                continue;
            }
            let seen = if group.data.target.epoch == current_epoch {
                &rewarded_current
            } else {
                &rewarded_previous
            };
            let fresh: Vec<(u64, u64)> = pooled
                .indices
                .iter()
                .filter(|&&i| !seen.get(i as usize).copied().unwrap_or(true))
                .filter_map(|&i| {
                    state
                        .validators
                        .get(i as usize)
                        .map(|v| (i, v.effective_balance))
                })
                .collect();
            if fresh.is_empty() {
                continue;
            }
            candidates.push(Candidate {
                item: &pooled.attestation,
                // Cover is per target epoch: the same validator may earn both epochs' rewards.
                group: group.data.target.epoch,
                elements: fresh,
            });
        }
    }
    max_cover(candidates, limit).into_iter().cloned().collect()
}
