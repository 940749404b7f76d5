//! beacon-chain.md, "Epoch processing" → "Helper functions", and the one-pass participation
//! summary that the justification and reward steps read instead of recomputing the spec's
//! attestation sets per validator.
//!
//! The spec's sets are nested: matching head ⊆ matching target ⊆ matching source. One walk over
//! an epoch's pending attestations finds, for every validator, whether it is an unslashed
//! attester of each set, and (for the source set) the attestation with the smallest
//! `inclusion_delay` that includes it. Everything epoch processing needs from attestations
//! follows from that walk, so its cost is the total size of the committees, not a product of
//! attestations and validators.

use super::EpochProcessingError;
use crate::helpers::accessors::{committee_cache, get_total_balance, AttestingIndicesError};
use crate::helpers::misc::compute_epoch_at_slot;
use safe_arith::SafeArith;
use std::sync::Arc;
use types::beacon_state::CommitteeCache;
use types::{
    BeaconState, ChainSpec, Epoch, EthSpec, Gwei, PendingAttestation, Root, ValidatorIndex,
};

/// `get_matching_source_attestations` (beacon-chain.md, Epoch processing helper functions).
pub fn get_matching_source_attestations<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
) -> Result<&[PendingAttestation<E>], EpochProcessingError> {
    let current = state.current_epoch();
    if epoch == current {
        Ok(&state.current_epoch_attestations[..])
    } else if epoch == state.previous_epoch() {
        Ok(&state.previous_epoch_attestations[..])
    } else {
        Err(EpochProcessingError::EpochNotPreviousOrCurrent { epoch, current })
    }
}

/// `get_matching_target_attestations` (beacon-chain.md, Epoch processing helper functions).
pub fn get_matching_target_attestations<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
) -> Result<Vec<&PendingAttestation<E>>, EpochProcessingError> {
    let mut target_root = LazyRoot::default();
    let mut out = vec![];
    for a in get_matching_source_attestations(state, epoch)? {
        if a.data.target.root == target_root.get(state, epoch)? {
            out.push(a);
        }
    }
    Ok(out)
}

/// `get_matching_head_attestations` (beacon-chain.md, Epoch processing helper functions).
pub fn get_matching_head_attestations<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
) -> Result<Vec<&PendingAttestation<E>>, EpochProcessingError> {
    let mut out = vec![];
    for a in get_matching_target_attestations(state, epoch)? {
        if a.data.beacon_block_root == state.get_block_root_at_slot(a.data.slot)? {
            out.push(a);
        }
    }
    Ok(out)
}

/// `get_unslashed_attesting_indices` (beacon-chain.md, Epoch processing helper functions):
/// the set, as indices in increasing order.
pub fn get_unslashed_attesting_indices<'a, E: EthSpec>(
    state: &BeaconState<E>,
    attestations: impl IntoIterator<Item = &'a PendingAttestation<E>>,
    spec: &ChainSpec,
) -> Result<Vec<ValidatorIndex>, EpochProcessingError> {
    let mut seen = vec![false; state.validators.len()];
    let mut committees = CommitteeLookup::default();
    for a in attestations {
        committees.for_each_attester(state, a, spec, |index| {
            // In range: `for_each_attester` only yields registry indices.
            if let Some(s) = seen.get_mut(index as usize) {
                *s = true;
            }
        })?;
    }
    Ok(seen
        .iter()
        .zip(state.validators.iter())
        .enumerate()
        .filter(|(_, (seen, validator))| **seen && !validator.slashed)
        .map(|(i, _)| i as u64)
        .collect())
}

/// `get_attesting_balance` (beacon-chain.md, Epoch processing helper functions).
pub fn get_attesting_balance<'a, E: EthSpec>(
    state: &BeaconState<E>,
    attestations: impl IntoIterator<Item = &'a PendingAttestation<E>>,
    spec: &ChainSpec,
) -> Result<Gwei, EpochProcessingError> {
    let indices = get_unslashed_attesting_indices(state, attestations, spec)?;
    Ok(get_total_balance(state, indices, spec)?)
}

/// `get_block_root(state, epoch)`, looked up at most once and only when first needed (the spec
/// evaluates it inside a comprehension, so an epoch without attestations never asks).
#[derive(Default)]
struct LazyRoot(Option<Root>);

impl LazyRoot {
    fn get<E: EthSpec>(
        &mut self,
        state: &BeaconState<E>,
        epoch: Epoch,
    ) -> Result<Root, EpochProcessingError> {
        if let Some(root) = self.0 {
            return Ok(root);
        }
        let root = state.get_block_root(epoch)?;
        self.0 = Some(root);
        Ok(root)
    }
}

/// The committee cache of the epoch of the last attestation looked at (pending attestations of
/// one epoch all share it, so it is fetched once per walk).
#[derive(Default)]
struct CommitteeLookup(Option<Arc<CommitteeCache>>);

impl CommitteeLookup {
    /// Call `f` for each member of `get_attesting_indices(state, a.data, a.aggregation_bits)`,
    /// in committee order, without collecting them; every index yielded is in the registry.
    /// Slashed validators are included: callers drop them afterwards in one sequential pass
    /// over the registry, which is far cheaper than a random access per attester here.
    fn for_each_attester<E: EthSpec>(
        &mut self,
        state: &BeaconState<E>,
        a: &PendingAttestation<E>,
        spec: &ChainSpec,
        mut f: impl FnMut(ValidatorIndex),
    ) -> Result<(), EpochProcessingError> {
        let epoch = compute_epoch_at_slot::<E>(a.data.slot);
        let cache = match self.0.take() {
            Some(cache) if cache.epoch() == epoch => cache,
            _ => committee_cache(state, epoch, spec)?,
        };
        let committee = cache
            .get_beacon_committee(a.data.slot, a.data.index)
            .ok_or(AttestingIndicesError::NoCommittee {
                slot: a.data.slot,
                index: a.data.index,
            })?;
        let bits = &a.aggregation_bits;
        if bits.len() != committee.len() {
            return Err(AttestingIndicesError::BitfieldLength {
                bits: bits.len(),
                committee: committee.len(),
            }
            .into());
        }
        let len = state.validators.len();
        for (&index, bit) in committee.iter().zip(bits.iter()) {
            if !bit {
                continue;
            }
            if index as usize >= len {
                return Err(EpochProcessingError::UnknownValidator { index, len });
            }
            f(index);
        }
        self.0 = Some(cache);
        Ok(())
    }
}

/// The attestation that `get_inclusion_delay_deltas` picks for a validator: the first, in state
/// order, with the smallest `inclusion_delay` among the matching source attestations that
/// include it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InclusionInfo {
    /// `attestation.inclusion_delay`.
    pub delay: u64,
    /// `attestation.proposer_index`.
    pub proposer_index: ValidatorIndex,
}

/// One validator's participation in one epoch, as an unslashed attester.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttesterStatus {
    /// In `get_unslashed_attesting_indices(get_matching_source_attestations(epoch))`.
    pub source: bool,
    /// In `get_unslashed_attesting_indices(get_matching_target_attestations(epoch))`.
    pub target: bool,
    /// In `get_unslashed_attesting_indices(get_matching_head_attestations(epoch))`.
    pub head: bool,
    /// Its earliest-included matching source attestation (set exactly when `source` is).
    pub inclusion: Option<InclusionInfo>,
}

/// How much of the participation summary to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryScope {
    /// Source, target, head and inclusion (what the rewards need).
    Full,
    /// Only the matching target attestations (what justification needs): non-target
    /// attestations are not looked at, exactly as the spec does not look at them.
    TargetOnly,
}

/// Every validator's participation in one epoch, and the attesting balances of the three sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipationSummary {
    /// The epoch summarised (the state's previous or current epoch).
    pub epoch: Epoch,
    /// What was computed.
    pub scope: SummaryScope,
    /// By validator index; as long as `state.validators`.
    pub statuses: Vec<AttesterStatus>,
    /// `get_attesting_balance(state, get_matching_source_attestations(state, epoch))`
    /// (zero-participation still gives `EFFECTIVE_BALANCE_INCREMENT`, as `get_total_balance`).
    pub source_attesting_balance: Gwei,
    /// `get_attesting_balance(state, get_matching_target_attestations(state, epoch))`.
    pub target_attesting_balance: Gwei,
    /// `get_attesting_balance(state, get_matching_head_attestations(state, epoch))`.
    pub head_attesting_balance: Gwei,
}

impl ParticipationSummary {
    /// Walk the pending attestations of `epoch` once and summarise them.
    pub fn new<E: EthSpec>(
        state: &BeaconState<E>,
        epoch: Epoch,
        scope: SummaryScope,
        spec: &ChainSpec,
    ) -> Result<Self, EpochProcessingError> {
        let attestations = get_matching_source_attestations(state, epoch)?;
        let mut statuses = vec![AttesterStatus::default(); state.validators.len()];
        let mut target_root = LazyRoot::default();
        let mut committees = CommitteeLookup::default();
        let full = scope == SummaryScope::Full;

        for a in attestations {
            let is_target = a.data.target.root == target_root.get(state, epoch)?;
            if !full && !is_target {
                continue;
            }
            let is_head = full
                && is_target
                && a.data.beacon_block_root == state.get_block_root_at_slot(a.data.slot)?;
            let inclusion = InclusionInfo {
                delay: a.inclusion_delay,
                proposer_index: a.proposer_index,
            };
            committees.for_each_attester(state, a, spec, |index| {
                // In range: `for_each_attester` only yields registry indices.
                if let Some(status) = statuses.get_mut(index as usize) {
                    status.target |= is_target;
                    if full {
                        status.source = true;
                        status.head |= is_head;
                        // Strictly smaller: on ties Python's `min` keeps the first.
                        if status.inclusion.is_none_or(|i| inclusion.delay < i.delay) {
                            status.inclusion = Some(inclusion);
                        }
                    }
                }
            })?;
        }

        let (mut source, mut target, mut head) = (0u64, 0u64, 0u64);
        for (validator, status) in state.validators.iter().zip(statuses.iter_mut()) {
            if validator.slashed {
                // get_unslashed_attesting_indices: a slashed validator is in none of the sets.
                *status = AttesterStatus::default();
                continue;
            }
            let balance = validator.effective_balance;
            if status.source {
                source.safe_add_assign(balance)?;
            }
            if status.target {
                target.safe_add_assign(balance)?;
            }
            if status.head {
                head.safe_add_assign(balance)?;
            }
        }
        let floor = spec.effective_balance_increment;
        Ok(ParticipationSummary {
            epoch,
            scope,
            statuses,
            source_attesting_balance: source.max(floor),
            target_attesting_balance: target.max(floor),
            head_attesting_balance: head.max(floor),
        })
    }
}
