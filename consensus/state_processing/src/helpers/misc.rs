//! beacon-chain.md, "Misc" helpers that need a `ChainSpec`.

use crate::helpers::math::bytes_to_uint64;
use crate::StateError;
use safe_arith::SafeArith;
use types::{ChainSpec, Epoch, EthSpec, Hash256, Slot, ValidatorIndex};

pub use types::signing::{
    compute_domain, compute_fork_data_root, compute_fork_digest, compute_signing_root,
};

/// `compute_epoch_at_slot` (beacon-chain.md, Misc).
pub fn compute_epoch_at_slot<E: EthSpec>(slot: Slot) -> Epoch {
    slot / E::slots_per_epoch()
}

/// `compute_start_slot_at_epoch` (beacon-chain.md, Misc).
pub fn compute_start_slot_at_epoch<E: EthSpec>(epoch: Epoch) -> Result<Slot, StateError> {
    Ok(epoch.safe_mul(E::slots_per_epoch())?)
}

/// `compute_activation_exit_epoch` (beacon-chain.md, Misc).
pub fn compute_activation_exit_epoch(epoch: Epoch, spec: &ChainSpec) -> Result<Epoch, StateError> {
    Ok(epoch.safe_add(1)?.safe_add(spec.max_seed_lookahead)?)
}

/// `compute_proposer_index` (beacon-chain.md, Misc): candidates sampled by shuffled position,
/// accepted with probability effective_balance / MAX_EFFECTIVE_BALANCE.
pub fn compute_proposer_index(
    effective_balances: impl Fn(ValidatorIndex) -> Option<u64>,
    indices: &[ValidatorIndex],
    seed: &Hash256,
    spec: &ChainSpec,
) -> Result<ValidatorIndex, StateError> {
    if indices.is_empty() {
        return Err(StateError::NoProposer);
    }
    const MAX_RANDOM_BYTE: u64 = 255;
    let total = indices.len();
    let rounds = shuffle_rounds(spec);
    let seed_bytes: [u8; 32] = seed.0;
    let mut buf = [0u8; 40];
    buf[..32].copy_from_slice(&seed_bytes);
    // With a zero-balance registry the spec loops forever; bound it so bad input can't hang us.
    let max_iterations = (total as u64).saturating_mul(1024).max(1 << 16);
    for i in 0..max_iterations {
        let position = (i % total as u64) as usize;
        let shuffled =
            swap_or_not_shuffle::compute_shuffled_index(position, total, &seed_bytes, rounds)
                .ok_or(StateError::NoProposer)?;
        let candidate = indices[shuffled];
        buf[32..].copy_from_slice(&(i / 32).to_le_bytes());
        let random_byte = ethereum_hashing::hash(&buf)[(i % 32) as usize] as u64;
        let effective_balance = effective_balances(candidate).ok_or(StateError::NoProposer)?;
        if effective_balance.safe_mul(MAX_RANDOM_BYTE)?
            >= spec.max_effective_balance.safe_mul(random_byte)?
        {
            return Ok(candidate);
        }
    }
    Err(StateError::NoProposer)
}

/// `SHUFFLE_ROUND_COUNT` as the shuffle's round type (it is at most 90 in every preset).
pub fn shuffle_rounds(spec: &ChainSpec) -> u8 {
    u8::try_from(spec.shuffle_round_count).unwrap_or(u8::MAX)
}

/// Hash the concatenation of byte slices (`hash(a + b + ...)` in the spec).
pub fn hash_concat(parts: &[&[u8]]) -> Hash256 {
    use ethereum_hashing::Sha256Context;
    let mut ctx = ethereum_hashing::Context::new();
    for part in parts {
        ctx.update(part);
    }
    Hash256::from(ctx.finalize())
}

/// `bytes_to_uint64` re-exported beside its callers.
pub fn uint64_from_hash_prefix(bytes: &[u8]) -> u64 {
    bytes_to_uint64(bytes)
}
