//! Packing attestations for a block (validator.md, "Attestations": up to MAX_ATTESTATIONS):
//! the rules of `process_attestation` (beacon-chain.md, "Attestations") against the block's
//! pre-state, then greedy max-cover of the attesters the state has not rewarded yet.

use crate::attestations::{AttestationStore, PooledAttestation};
use crate::bitset::Bitset;
use crate::errors::OpPoolError;
use crate::max_cover::{max_cover, Candidate};
use state_processing::helpers::accessors::committee_cache;
use std::collections::HashMap;
use std::sync::Arc;
use types::beacon_state::CommitteeCache;
use types::typenum::Unsigned;
use types::{
    Attestation, AttestationData, BeaconState, ChainSpec, CommitteeIndex, Epoch, EthSpec,
    PendingAttestation, Slot, ValidatorIndex,
};

/// The committees of the previous and current epoch of a block's pre-state, looked up once.
pub(crate) struct BlockCommittees {
    previous_epoch: Epoch,
    current_epoch: Epoch,
    previous: Arc<CommitteeCache>,
    current: Arc<CommitteeCache>,
}

impl BlockCommittees {
    pub fn new<E: EthSpec>(state: &BeaconState<E>, spec: &ChainSpec) -> Result<Self, OpPoolError> {
        let previous_epoch = state.previous_epoch();
        let current_epoch = state.current_epoch();
        Ok(BlockCommittees {
            previous_epoch,
            current_epoch,
            previous: committee_cache(state, previous_epoch, spec)?,
            current: committee_cache(state, current_epoch, spec)?,
        })
    }

    fn get(&self, epoch: Epoch) -> Option<&CommitteeCache> {
        if epoch == self.current_epoch {
            Some(&self.current)
        } else if epoch == self.previous_epoch {
            Some(&self.previous)
        } else {
            None
        }
    }
}

/// The rules of `process_attestation` (beacon-chain.md, Attestations) on `data` alone, against
/// the block's pre-state; the committee named, for the bitfield checks.
fn check_data<'a, E: EthSpec>(
    state: &BeaconState<E>,
    committees: &'a BlockCommittees,
    data: &AttestationData,
    spec: &ChainSpec,
) -> Result<&'a [ValidatorIndex], OpPoolError> {
    let (previous, current) = (committees.previous_epoch, committees.current_epoch);
    let target = data.target.epoch;
    let not_previous_or_current = OpPoolError::TargetEpochNotPreviousOrCurrent {
        target,
        previous,
        current,
    };
    if target != previous && target != current {
        return Err(not_previous_or_current);
    }
    let slot_epoch = data.slot / E::slots_per_epoch();
    if target != slot_epoch {
        return Err(OpPoolError::TargetEpochMismatch { target, slot_epoch });
    }
    // data.slot + MIN_ATTESTATION_INCLUSION_DELAY <= state.slot (an overflow is never <=).
    if data
        .slot
        .checked_add(spec.min_attestation_inclusion_delay)
        .is_none_or(|earliest| state.slot < earliest)
    {
        return Err(OpPoolError::IncludedTooEarly {
            attestation_slot: data.slot,
            state_slot: state.slot,
            min_delay: spec.min_attestation_inclusion_delay,
        });
    }
    // state.slot <= data.slot + SLOTS_PER_EPOCH (an overflow is always >=).
    if data
        .slot
        .checked_add(E::slots_per_epoch())
        .is_some_and(|latest| state.slot > latest)
    {
        return Err(OpPoolError::IncludedTooLate {
            attestation_slot: data.slot,
            state_slot: state.slot,
        });
    }
    let cache = committees.get(target).ok_or(not_previous_or_current)?;
    let committee = cache.get_beacon_committee(data.slot, data.index).ok_or(
        OpPoolError::CommitteeIndexOutOfRange {
            index: data.index,
            committees_per_slot: cache.committees_per_slot(),
        },
    )?;
    let expected = if target == current {
        state.current_justified_checkpoint
    } else {
        state.previous_justified_checkpoint
    };
    if data.source != expected {
        return Err(OpPoolError::WrongSource {
            found: data.source,
            expected,
        });
    }
    Ok(committee)
}

/// `len(attestation.aggregation_bits) == len(committee)` (process_attestation).
fn check_bits_length(bits: usize, committee: &[ValidatorIndex]) -> Result<(), OpPoolError> {
    if bits != committee.len() {
        return Err(OpPoolError::BitfieldLengthMismatch {
            bits,
            committee: committee.len(),
        });
    }
    Ok(())
}

/// The signature verified with `pooled.indices` only holds on a state whose committee puts
/// the same validators at the set positions `bits`.
fn check_attesters<E: EthSpec>(
    committee: &[ValidatorIndex],
    bits: &Bitset,
    pooled: &PooledAttestation<E>,
) -> Result<(), OpPoolError> {
    let mut attesters: Vec<_> = bits
        .iter()
        .filter_map(|p| committee.get(p).copied())
        .collect();
    attesters.sort_unstable();
    if attesters != pooled.indices {
        return Err(OpPoolError::AttestersDiffer {
            slot: pooled.attestation.data.slot,
            index: pooled.attestation.data.index,
        });
    }
    Ok(())
}

/// Every rule of `process_attestation` (beacon-chain.md, Attestations) except the signature,
/// for `attestation` in a block whose pre-state is `state`.
pub fn verify_attestation_for_block<E: EthSpec>(
    state: &BeaconState<E>,
    attestation: &Attestation<E>,
    spec: &ChainSpec,
) -> Result<(), OpPoolError> {
    let committees = BlockCommittees::new(state, spec)?;
    let committee = check_data(state, &committees, &attestation.data, spec)?;
    check_bits_length(attestation.aggregation_bits.len(), committee)
}

/// The validators with an attestation among `pending` (the state's pending attestations of
/// one epoch): those already rewarded for that epoch.
fn rewarded_validators<'a, E: EthSpec>(
    state: &BeaconState<E>,
    committees: &BlockCommittees,
    pending: impl IntoIterator<Item = &'a PendingAttestation<E>>,
) -> Bitset {
    let mut rewarded = Bitset::new(state.validators.len());
    for p in pending {
        let committee = committees
            .get(p.data.target.epoch)
            .and_then(|c| c.get_beacon_committee(p.data.slot, p.data.index));
        let Some(committee) = committee.filter(|c| c.len() == p.aggregation_bits.len()) else {
            continue;
        };
        for position in Bitset::from_bitlist(&p.aggregation_bits).iter() {
            if let Some(i) = committee
                .get(position)
                .and_then(|&v| usize::try_from(v).ok())
            {
                rewarded.insert(i);
            }
        }
    }
    rewarded
}

/// The effective balance of each member of `committee`, or 0 for those in `rewarded`.
fn unrewarded_weights<E: EthSpec>(
    state: &BeaconState<E>,
    committee: &[ValidatorIndex],
    rewarded: &Bitset,
) -> Vec<u64> {
    committee
        .iter()
        .map(|&v| {
            let done = usize::try_from(v).is_ok_and(|i| rewarded.contains(i));
            match state.validator(v) {
                Ok(validator) if !done => validator.effective_balance,
                _ => 0,
            }
        })
        .collect()
}

/// Up to `min(MAX_ATTESTATIONS, the block body's limit)` attestations for a block on `state`
/// (already at the block's slot), by greedy max-cover of attesters the state has not
/// rewarded yet, weighted by effective balance.
pub(crate) fn pack<E: EthSpec>(
    store: &AttestationStore<E>,
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Vec<Attestation<E>>, OpPoolError> {
    let committees = BlockCommittees::new(state, spec)?;
    let rewarded_current =
        rewarded_validators(state, &committees, state.current_epoch_attestations.iter());
    let rewarded_previous =
        rewarded_validators(state, &committees, state.previous_epoch_attestations.iter());

    // One partition per committee: attestations of different committees share no validator,
    // and one validator's rewards of two epochs count apart.
    let mut partitions: HashMap<(Slot, CommitteeIndex), usize> = HashMap::new();
    let mut weights: Vec<Vec<u64>> = Vec::new();
    let mut candidates = Vec::new();
    for (_, group) in store.ordered_groups() {
        let Ok(committee) = check_data(state, &committees, &group.data, spec) else {
            continue;
        };
        let rewarded = if group.data.target.epoch == committees.current_epoch {
            &rewarded_current
        } else {
            &rewarded_previous
        };
        let partition = *partitions
            .entry((group.data.slot, group.data.index))
            .or_insert_with(|| {
                weights.push(unrewarded_weights(state, committee, rewarded));
                weights.len().saturating_sub(1)
            });
        for pooled in &group.aggregates {
            let bits = &pooled.attestation.aggregation_bits;
            if check_bits_length(bits.len(), committee).is_err() {
                continue;
            }
            let cover = Bitset::from_bitlist(bits);
            if check_attesters(committee, &cover, pooled).is_err() {
                continue;
            }
            candidates.push(Candidate {
                item: &pooled.attestation,
                partition,
                cover,
            });
        }
    }
    let limit = spec.max_attestations.min(E::MaxAttestations::to_u64());
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    Ok(max_cover(candidates, &weights, limit)
        .into_iter()
        .cloned()
        .collect())
}
