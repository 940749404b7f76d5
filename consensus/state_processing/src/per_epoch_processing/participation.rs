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
use crate::helpers::accessors::{committee_cache, AttestingIndicesError};
use crate::helpers::misc::compute_epoch_at_slot;
use safe_arith::{ArithError, SafeArith};
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
    let attesters = unslashed_attesters(state, attestations, spec)?;
    Ok(attesters
        .iter()
        .enumerate()
        .filter(|(_, a)| **a)
        .map(|(i, _)| i as u64)
        .collect())
}

/// `get_attesting_balance` (beacon-chain.md, Epoch processing helper functions).
pub fn get_attesting_balance<'a, E: EthSpec>(
    state: &BeaconState<E>,
    attestations: impl IntoIterator<Item = &'a PendingAttestation<E>>,
    spec: &ChainSpec,
) -> Result<Gwei, EpochProcessingError> {
    let attesters = unslashed_attesters(state, attestations, spec)?;
    // get_total_balance, summed in registry order.
    let mut total: Gwei = 0;
    for (validator, attested) in state.validators.iter().zip(attesters) {
        if attested {
            total.safe_add_assign(validator.effective_balance)?;
        }
    }
    Ok(total.max(spec.effective_balance_increment))
}

/// An epoch's target-attesting balance and the total active balance: the two sides of the
/// justification test in beacon-chain.md, `process_justification_and_finalization` (what a
/// monitor calls participation; `epoch` is the state's previous or current epoch).
pub fn target_participation<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
    spec: &ChainSpec,
) -> Result<(Gwei, Gwei), EpochProcessingError> {
    let target = get_matching_target_attestations(state, epoch)?;
    let attesting = get_attesting_balance(state, target, spec)?;
    let active = crate::helpers::accessors::get_total_active_balance(state, spec)?;
    Ok((attesting, active))
}

/// Membership in `get_unslashed_attesting_indices(state, attestations)`, by validator index.
fn unslashed_attesters<'a, E: EthSpec>(
    state: &BeaconState<E>,
    attestations: impl IntoIterator<Item = &'a PendingAttestation<E>>,
    spec: &ChainSpec,
) -> Result<Vec<bool>, EpochProcessingError> {
    let mut attesters = vec![false; state.validators.len()];
    let mut committees = CommitteeLookup::default();
    for a in attestations {
        committees.for_each_attester(state, a, spec, |index| {
            // In range: `for_each_attester` only yields registry indices.
            if let Some(attested) = attesters.get_mut(index as usize) {
                *attested = true;
            }
        })?;
    }
    for (attested, validator) in attesters.iter_mut().zip(state.validators.iter()) {
        *attested &= !validator.slashed;
    }
    Ok(attesters)
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

const SOURCE: u8 = 1;
const TARGET: u8 = 2;
const HEAD: u8 = 4;

/// An [`AttesterStatus`] in 8 bytes, so the walk's random accesses (one per attester, in
/// shuffled order) stay in cache: the three flags, and the position of the chosen
/// attestation in the epoch's pending attestations (meaningful when `SOURCE` is set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct PackedStatus {
    flags: u8,
    attestation: u32,
}

/// Every validator's participation in one epoch, and the attesting balances of the three sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipationSummary {
    /// The epoch summarised (the state's previous or current epoch).
    pub epoch: Epoch,
    /// `get_attesting_balance(state, get_matching_source_attestations(state, epoch))`
    /// (zero participation still gives `EFFECTIVE_BALANCE_INCREMENT`, as `get_total_balance`).
    pub source_attesting_balance: Gwei,
    /// `get_attesting_balance(state, get_matching_target_attestations(state, epoch))`.
    pub target_attesting_balance: Gwei,
    /// `get_attesting_balance(state, get_matching_head_attestations(state, epoch))`.
    pub head_attesting_balance: Gwei,
    /// By validator index; as long as `state.validators`.
    statuses: Vec<PackedStatus>,
    /// Per pending attestation of the epoch, in state order.
    inclusions: Vec<InclusionInfo>,
}

impl ParticipationSummary {
    /// Walk the pending attestations of `epoch` once and summarise them.
    pub fn new<E: EthSpec>(
        state: &BeaconState<E>,
        epoch: Epoch,
        spec: &ChainSpec,
    ) -> Result<Self, EpochProcessingError> {
        let attestations = get_matching_source_attestations(state, epoch)?;
        let inclusions: Vec<InclusionInfo> = attestations
            .iter()
            .map(|a| InclusionInfo {
                delay: a.inclusion_delay,
                proposer_index: a.proposer_index,
            })
            .collect();
        let mut statuses = vec![PackedStatus::default(); state.validators.len()];
        let mut target_root = LazyRoot::default();
        let mut committees = CommitteeLookup::default();

        for (position, a) in attestations.iter().enumerate() {
            let position = u32::try_from(position).map_err(|_| ArithError::Overflow)?;
            let is_target = a.data.target.root == target_root.get(state, epoch)?;
            let is_head = is_target
                && a.data.beacon_block_root == state.get_block_root_at_slot(a.data.slot)?;
            let flags =
                SOURCE | if is_target { TARGET } else { 0 } | if is_head { HEAD } else { 0 };
            let delay = a.inclusion_delay;
            committees.for_each_attester(state, a, spec, |index| {
                // In range: `for_each_attester` only yields registry indices.
                if let Some(status) = statuses.get_mut(index as usize) {
                    // The smallest delay, strictly: on ties Python's `min` keeps the first.
                    let earlier = status.flags & SOURCE == 0
                        || inclusions
                            .get(status.attestation as usize)
                            .is_none_or(|chosen| delay < chosen.delay);
                    if earlier {
                        status.attestation = position;
                    }
                    status.flags |= flags;
                }
            })?;
        }

        let (mut source, mut target, mut head) = (0u64, 0u64, 0u64);
        for (validator, status) in state.validators.iter().zip(statuses.iter_mut()) {
            if validator.slashed {
                // get_unslashed_attesting_indices: a slashed validator is in none of the sets.
                *status = PackedStatus::default();
                continue;
            }
            let balance = validator.effective_balance;
            if status.flags & SOURCE != 0 {
                source.safe_add_assign(balance)?;
            }
            if status.flags & TARGET != 0 {
                target.safe_add_assign(balance)?;
            }
            if status.flags & HEAD != 0 {
                head.safe_add_assign(balance)?;
            }
        }
        let floor = spec.effective_balance_increment;
        Ok(ParticipationSummary {
            epoch,
            source_attesting_balance: source.max(floor),
            target_attesting_balance: target.max(floor),
            head_attesting_balance: head.max(floor),
            statuses,
            inclusions,
        })
    }

    /// The number of validators summarised (the registry length when it was built).
    pub fn len(&self) -> usize {
        self.statuses.len()
    }

    /// True if the registry was empty.
    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty()
    }

    /// Validator `index`'s participation, if it is in the registry.
    pub fn status(&self, index: usize) -> Option<AttesterStatus> {
        self.statuses.get(index).map(|s| self.unpack(s))
    }

    /// Every validator's participation, in registry order.
    pub fn statuses(&self) -> impl ExactSizeIterator<Item = AttesterStatus> + '_ {
        self.statuses.iter().map(|s| self.unpack(s))
    }

    fn unpack(&self, status: &PackedStatus) -> AttesterStatus {
        let source = status.flags & SOURCE != 0;
        AttesterStatus {
            source,
            target: status.flags & TARGET != 0,
            head: status.flags & HEAD != 0,
            inclusion: if source {
                self.inclusions.get(status.attestation as usize).copied()
            } else {
                None
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{
        AttestationData, BitList, Checkpoint, Eth1Data, Fork, Hash256, MinimalEthSpec, Validator,
        VariableList,
    };

    type E = MinimalEthSpec;

    /// A state at the last slot of epoch 3 with 64 active validators and distinct block roots.
    fn state() -> BeaconState<E> {
        let spec = ChainSpec::minimal();
        let mut state = BeaconState::<E>::empty(0, Fork::default(), Eth1Data::default());
        state.slot = 4 * E::slots_per_epoch() - 1;
        for i in 0..64u64 {
            state
                .validators
                .push(Validator {
                    effective_balance: spec.max_effective_balance
                        - (i % 3) * spec.effective_balance_increment,
                    exit_epoch: u64::MAX,
                    withdrawable_epoch: u64::MAX,
                    ..Validator::default()
                })
                .unwrap();
            state.balances.push(spec.max_effective_balance).unwrap();
        }
        for (i, root) in state.block_roots.iter_mut().enumerate() {
            *root = Hash256::repeat_byte(i as u8 + 1);
        }
        state
    }

    fn attestation(
        state: &BeaconState<E>,
        slot: u64,
        members: impl Fn(usize) -> bool,
        good_target: bool,
        good_head: bool,
        delay: u64,
        proposer_index: u64,
    ) -> PendingAttestation<E> {
        let spec = ChainSpec::minimal();
        let epoch = slot / E::slots_per_epoch();
        let cache = committee_cache(state, epoch, &spec).unwrap();
        let committee = cache.get_beacon_committee(slot, 0).unwrap();
        let mut bits = BitList::with_capacity(committee.len()).unwrap();
        for i in 0..committee.len() {
            bits.set(i, members(i)).unwrap();
        }
        let target_root = state.get_block_root(epoch).unwrap();
        let head_root = state.get_block_root_at_slot(slot).unwrap();
        PendingAttestation {
            aggregation_bits: bits,
            data: AttestationData {
                slot,
                index: 0,
                beacon_block_root: if good_head {
                    head_root
                } else {
                    Hash256::repeat_byte(0xee)
                },
                source: Checkpoint::default(),
                target: Checkpoint {
                    epoch,
                    root: if good_target {
                        target_root
                    } else {
                        Hash256::repeat_byte(0xff)
                    },
                },
            },
            inclusion_delay: delay,
            proposer_index,
        }
    }

    #[test]
    fn summary_matches_the_spec_sets_and_picks_the_first_minimal_delay() {
        let spec = ChainSpec::minimal();
        let mut state = state();
        let slot = 2 * E::slots_per_epoch() + 1;
        let committee = committee_cache(&state, 2, &spec)
            .unwrap()
            .get_beacon_committee(slot, 0)
            .unwrap()
            .to_vec();
        assert!(committee.len() >= 4);
        let attestations = vec![
            attestation(&state, slot, |_| true, true, false, 3, 10),
            attestation(&state, slot, |i| i % 2 == 0, true, true, 2, 11),
            // Ties with the previous one on the delay: the previous one (first) stays chosen.
            attestation(&state, slot, |i| i < 2, true, true, 2, 12),
            // Smallest delay, but a wrong target: still a matching source attestation.
            attestation(&state, slot, |i| i == 1, false, false, 1, 13),
        ];
        state.previous_epoch_attestations = VariableList::new(attestations).unwrap();
        let slashed = committee[2];
        state.validators[slashed as usize].slashed = true;

        let summary = ParticipationSummary::new(&state, 2, &spec).unwrap();
        for (position, &index) in committee.iter().enumerate() {
            let status = summary.status(index as usize).unwrap();
            if index == slashed {
                assert_eq!(status, AttesterStatus::default());
                continue;
            }
            let (proposer_index, delay) = match position {
                1 => (13, 1),
                p if p % 2 == 0 => (11, 2),
                _ => (10, 3),
            };
            assert_eq!(
                status,
                AttesterStatus {
                    source: true,
                    target: true,
                    head: position % 2 == 0 || position < 2,
                    inclusion: Some(InclusionInfo {
                        delay,
                        proposer_index
                    }),
                },
                "committee position {position}"
            );
        }

        // The summary's sets and balances are the spec's.
        type Set<'a> = (
            Vec<&'a PendingAttestation<E>>,
            Gwei,
            fn(&AttesterStatus) -> bool,
        );
        let sets: [Set; 3] = [
            (
                get_matching_source_attestations(&state, 2)
                    .unwrap()
                    .iter()
                    .collect(),
                summary.source_attesting_balance,
                |s| s.source,
            ),
            (
                get_matching_target_attestations(&state, 2).unwrap(),
                summary.target_attesting_balance,
                |s| s.target,
            ),
            (
                get_matching_head_attestations(&state, 2).unwrap(),
                summary.head_attesting_balance,
                |s| s.head,
            ),
        ];
        for (attestations, balance, member) in sets {
            let indices =
                get_unslashed_attesting_indices(&state, attestations.iter().copied(), &spec)
                    .unwrap();
            let from_summary: Vec<u64> = summary
                .statuses()
                .enumerate()
                .filter(|(_, s)| member(s))
                .map(|(i, _)| i as u64)
                .collect();
            assert_eq!(indices, from_summary);
            assert_eq!(
                get_attesting_balance(&state, attestations, &spec).unwrap(),
                balance
            );
        }
        assert_eq!(get_matching_head_attestations(&state, 2).unwrap().len(), 2);
    }

    #[test]
    fn empty_epoch_needs_no_block_root() {
        let spec = ChainSpec::minimal();
        let mut state = state();
        // At the first slot of an epoch its own block root is not yet known.
        state.slot = 3 * E::slots_per_epoch();
        assert!(state.get_block_root(3).is_err());
        assert!(get_matching_target_attestations(&state, 3)
            .unwrap()
            .is_empty());
        let summary = ParticipationSummary::new(&state, 3, &spec).unwrap();
        assert_eq!(
            summary.target_attesting_balance,
            spec.effective_balance_increment
        );
        assert!(matches!(
            get_matching_source_attestations(&state, 1),
            Err(EpochProcessingError::EpochNotPreviousOrCurrent {
                epoch: 1,
                current: 3
            })
        ));
    }

    #[test]
    fn malformed_attestations_are_errors() {
        let spec = ChainSpec::minimal();
        let mut state = state();
        let slot = 2 * E::slots_per_epoch();
        let mut short = attestation(&state, slot, |_| true, true, true, 1, 0);
        short.aggregation_bits = BitList::with_capacity(1).unwrap();
        state.previous_epoch_attestations = VariableList::new(vec![short]).unwrap();
        assert!(matches!(
            ParticipationSummary::new(&state, 2, &spec),
            Err(EpochProcessingError::AttestingIndices(
                AttestingIndicesError::BitfieldLength { .. }
            ))
        ));

        let mut bad_index = attestation(&state, slot, |_| true, true, true, 1, 0);
        bad_index.data.index = 99;
        state.previous_epoch_attestations = VariableList::new(vec![bad_index]).unwrap();
        assert!(matches!(
            ParticipationSummary::new(&state, 2, &spec),
            Err(EpochProcessingError::AttestingIndices(
                AttestingIndicesError::NoCommittee { .. }
            ))
        ));
    }
}
