//! beacon-chain.md, "Beacon state accessors".

use crate::helpers::misc::{compute_proposer_index, hash_concat, shuffle_rounds};
use crate::helpers::predicates::is_active_validator;
use crate::StateError;
use bls::PublicKey;
use safe_arith::SafeArith;
use std::sync::Arc;
use types::beacon_state::{CommitteeCache, RelativeEpoch};
use types::signing::compute_domain;
use types::{
    Attestation, BeaconState, BeaconStateError, BitList, ChainSpec, CommitteeIndex, Domain,
    DomainType, Epoch, EthSpec, Gwei, Hash256, IndexedAttestation, Slot, ValidatorIndex,
    VariableList,
};

/// `get_active_validator_indices` (beacon-chain.md, Beacon state accessors).
pub fn get_active_validator_indices<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
) -> Vec<ValidatorIndex> {
    state
        .validators
        .iter()
        .enumerate()
        .filter(|(_, v)| is_active_validator(v, epoch))
        .map(|(i, _)| i as u64)
        .collect()
}

/// `len(get_active_validator_indices(state, epoch))` (beacon-chain.md, Beacon state
/// accessors), counted without building the list.
pub fn get_active_validator_count<E: EthSpec>(state: &BeaconState<E>, epoch: Epoch) -> u64 {
    state
        .validators
        .iter()
        .filter(|v| is_active_validator(v, epoch))
        .count() as u64
}

/// `get_validator_churn_limit` (beacon-chain.md, Beacon state accessors).
pub fn get_validator_churn_limit<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<u64, StateError> {
    let active =
        committee_cache(state, state.current_epoch(), spec)?.active_validator_count() as u64;
    Ok(std::cmp::max(
        spec.min_per_epoch_churn_limit,
        active.safe_div(spec.churn_limit_quotient)?,
    ))
}

/// `get_seed` (beacon-chain.md, Beacon state accessors).
pub fn get_seed<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
    domain_type: DomainType,
    spec: &ChainSpec,
) -> Result<Hash256, StateError> {
    // epoch + EPOCHS_PER_HISTORICAL_VECTOR - MIN_SEED_LOOKAHEAD - 1, taken mod the vector length.
    let mix_epoch = epoch
        .safe_add(E::epochs_per_historical_vector())?
        .safe_sub(spec.min_seed_lookahead)?
        .safe_sub(1)?;
    let mix = state.get_randao_mix(mix_epoch);
    Ok(hash_concat(&[
        &domain_type,
        &epoch.to_le_bytes(),
        mix.as_slice(),
    ]))
}

/// `get_committee_count_per_slot` (beacon-chain.md, Beacon state accessors), from an active count.
pub fn committee_count_per_slot<E: EthSpec>(
    active_validator_count: u64,
    spec: &ChainSpec,
) -> Result<u64, StateError> {
    let per_slot = active_validator_count
        .safe_div(E::slots_per_epoch())?
        .safe_div(spec.target_committee_size)?;
    Ok(per_slot.clamp(1, spec.max_committees_per_slot.max(1)))
}

/// `get_committee_count_per_slot` (beacon-chain.md, Beacon state accessors).
pub fn get_committee_count_per_slot<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
    spec: &ChainSpec,
) -> Result<u64, StateError> {
    Ok(committee_cache(state, epoch, spec)?.committees_per_slot())
}

/// Build the shuffling of `epoch` (the work `compute_committee` would repeat per committee).
pub fn build_committee_cache<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
    spec: &ChainSpec,
) -> Result<CommitteeCache, StateError> {
    let active_indices = get_active_validator_indices(state, epoch);
    let committees_per_slot = committee_count_per_slot::<E>(active_indices.len() as u64, spec)?;
    let seed = get_seed(state, epoch, spec.domain_beacon_attester, spec)?;
    CommitteeCache::new(
        epoch,
        active_indices,
        &seed.0,
        committees_per_slot,
        E::slots_per_epoch(),
        shuffle_rounds(spec),
    )
    .ok_or(StateError::BeaconState(BeaconStateError::ShuffleFailed(
        "registry too large",
    )))
}

/// The committees of `epoch` (previous, current or next of the state), from the state's cache
/// or built and cached now.
pub fn committee_cache<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
    spec: &ChainSpec,
) -> Result<Arc<CommitteeCache>, StateError> {
    let current = state.current_epoch();
    let relative = RelativeEpoch::from_epoch(current, epoch)
        .ok_or(BeaconStateError::EpochOutOfRange { epoch, current })?;
    let slot = &state.caches.committees[relative as usize];
    if let Some(cache) = slot.get() {
        if cache.epoch() == epoch {
            return Ok(cache.clone());
        }
        // A stale entry (the state moved on without rotating caches): build without storing.
        return Ok(Arc::new(build_committee_cache(state, epoch, spec)?));
    }
    let cache = Arc::new(build_committee_cache(state, epoch, spec)?);
    let _ = slot.set(cache.clone());
    Ok(cache)
}

/// `get_beacon_committee` (beacon-chain.md, Beacon state accessors).
pub fn get_beacon_committee<E: EthSpec>(
    state: &BeaconState<E>,
    slot: Slot,
    index: CommitteeIndex,
    spec: &ChainSpec,
) -> Result<Vec<ValidatorIndex>, StateError> {
    let epoch = slot / E::slots_per_epoch();
    let cache = committee_cache(state, epoch, spec)?;
    cache
        .get_beacon_committee(slot, index)
        .map(|c| c.to_vec())
        .ok_or(StateError::BeaconState(
            BeaconStateError::CommitteeIndexOutOfRange {
                index,
                committees_per_slot: cache.committees_per_slot(),
            },
        ))
}

/// `get_beacon_proposer_index` (beacon-chain.md, Beacon state accessors).
pub fn get_beacon_proposer_index<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<ValidatorIndex, StateError> {
    get_beacon_proposer_index_at_slot(state, state.slot, spec)
}

/// The proposer of `slot`, a slot of the state's current epoch (the spec's function at
/// `state.slot == slot`).
pub fn get_beacon_proposer_index_at_slot<E: EthSpec>(
    state: &BeaconState<E>,
    slot: Slot,
    spec: &ChainSpec,
) -> Result<ValidatorIndex, StateError> {
    let epoch = slot / E::slots_per_epoch();
    let epoch_seed = get_seed(state, epoch, spec.domain_beacon_proposer, spec)?;
    let seed = hash_concat(&[epoch_seed.as_slice(), &slot.to_le_bytes()]);
    let cache = committee_cache(state, epoch, spec)?;
    compute_proposer_index(
        |i| {
            state
                .validators
                .get(i as usize)
                .map(|v| v.effective_balance)
        },
        cache.active_indices(),
        &seed,
        spec,
    )
}

/// `get_total_balance` (beacon-chain.md, Beacon state accessors): at least one increment.
pub fn get_total_balance<E: EthSpec>(
    state: &BeaconState<E>,
    indices: impl IntoIterator<Item = ValidatorIndex>,
    spec: &ChainSpec,
) -> Result<Gwei, StateError> {
    let mut total: Gwei = 0;
    for index in indices {
        total = total.safe_add(state.validator(index)?.effective_balance)?;
    }
    Ok(std::cmp::max(spec.effective_balance_increment, total))
}

/// `get_total_active_balance` (beacon-chain.md, Beacon state accessors).
pub fn get_total_active_balance<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Gwei, StateError> {
    let cache = committee_cache(state, state.current_epoch(), spec)?;
    get_total_balance(state, cache.active_indices().iter().copied(), spec)
}

/// `get_domain` (beacon-chain.md, Beacon state accessors).
pub fn get_domain<E: EthSpec>(
    state: &BeaconState<E>,
    domain_type: DomainType,
    epoch: Option<Epoch>,
) -> Domain {
    let epoch = epoch.unwrap_or_else(|| state.current_epoch());
    get_domain_from_fork(
        &state.fork,
        state.genesis_validators_root,
        domain_type,
        epoch,
    )
}

/// `get_domain` (beacon-chain.md, Beacon state accessors) from the two fields of the state it
/// reads, for callers that keep a shuffling and a fork rather than a whole state.
pub fn get_domain_from_fork(
    fork: &types::Fork,
    genesis_validators_root: types::Root,
    domain_type: DomainType,
    epoch: Epoch,
) -> Domain {
    let fork_version = if epoch < fork.epoch {
        fork.previous_version
    } else {
        fork.current_version
    };
    compute_domain(domain_type, fork_version, genesis_validators_root)
}

/// `get_attesting_indices` (beacon-chain.md, Beacon state accessors), in committee order.
pub fn get_attesting_indices<E: EthSpec>(
    state: &BeaconState<E>,
    data: &types::AttestationData,
    bits: &BitList<E::MaxValidatorsPerCommittee>,
    spec: &ChainSpec,
) -> Result<Vec<ValidatorIndex>, AttestingIndicesError> {
    let epoch = data.slot / E::slots_per_epoch();
    let cache = committee_cache(state, epoch, spec)?;
    let committee = cache.get_beacon_committee(data.slot, data.index).ok_or(
        AttestingIndicesError::NoCommittee {
            slot: data.slot,
            index: data.index,
        },
    )?;
    attesting_indices_from_committee::<E>(committee, bits)
}

/// The members of `committee` whose bit is set; an error if the bitfield's length differs.
pub fn attesting_indices_from_committee<E: EthSpec>(
    committee: &[ValidatorIndex],
    bits: &BitList<E::MaxValidatorsPerCommittee>,
) -> Result<Vec<ValidatorIndex>, AttestingIndicesError> {
    if bits.len() != committee.len() {
        return Err(AttestingIndicesError::BitfieldLength {
            bits: bits.len(),
            committee: committee.len(),
        });
    }
    Ok(committee
        .iter()
        .enumerate()
        .filter(|(i, _)| bits.get(*i).unwrap_or(false))
        .map(|(_, v)| *v)
        .collect())
}

/// Why the attesting indices of an attestation could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestingIndicesError {
    #[error("aggregation bitfield has {bits} bits but the committee has {committee} members")]
    BitfieldLength { bits: usize, committee: usize },
    #[error("no committee {index} at slot {slot}")]
    NoCommittee { slot: Slot, index: CommitteeIndex },
    #[error(transparent)]
    State(#[from] StateError),
}

/// `get_indexed_attestation` (beacon-chain.md, Beacon state accessors): sorted attesting indices.
pub fn get_indexed_attestation<E: EthSpec>(
    state: &BeaconState<E>,
    attestation: &Attestation<E>,
    spec: &ChainSpec,
) -> Result<IndexedAttestation<E>, AttestingIndicesError> {
    let mut indices = get_attesting_indices(
        state,
        &attestation.data,
        &attestation.aggregation_bits,
        spec,
    )?;
    indices.sort_unstable();
    Ok(IndexedAttestation {
        // A committee is never larger than MAX_VALIDATORS_PER_COMMITTEE: the bitlist bounds it.
        attesting_indices: VariableList::new(indices).map_err(|_| {
            AttestingIndicesError::BitfieldLength {
                bits: attestation.aggregation_bits.len(),
                committee: E::max_validators_per_committee() as usize,
            }
        })?,
        data: attestation.data,
        signature: attestation.signature,
    })
}

/// The decompressed public key of validator `index`, from the state's key cache when possible.
pub fn validator_pubkey<E: EthSpec>(
    state: &BeaconState<E>,
    index: ValidatorIndex,
) -> Result<PublicKey, StateError> {
    let validator = state.validator(index)?;
    if let Some(key) = state.caches.pubkeys.get(index as usize, &validator.pubkey) {
        return Ok(key);
    }
    validator
        .pubkey
        .decompress()
        .map_err(|_| StateError::InvalidValidatorPubkey { index })
}

/// Decompress and cache the keys of every validator not yet in the state's key cache.
pub fn fill_pubkey_cache<E: EthSpec>(state: &BeaconState<E>) {
    state
        .caches
        .pubkeys
        .extend_from(state.validators.iter().map(|v| v.pubkey));
}
