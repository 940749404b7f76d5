//! The weak subjectivity guide (consensus-specs v1.0.1, `specs/phase0/weak-subjectivity.md`):
//! how long a finalized checkpoint stays safe to start from, and the check a node makes
//! before it trusts a checkpoint state.

use crate::helpers::accessors::get_active_validator_count;
use crate::helpers::misc::compute_epoch_at_slot;
use crate::StateError;
use safe_arith::SafeArith;
use tree_hash::TreeHash;
use types::{BeaconState, ChainSpec, Checkpoint, Epoch, EthSpec, Hash256, Slot};

/// `SAFETY_DECAY` (weak-subjectivity.md, Configuration): the loss of the 1/3 safety margin,
/// in percent, that a weak subjectivity period tolerates. The guide fixes it; no network's
/// config.yaml carries it.
pub const SAFETY_DECAY: u64 = 10;

/// Why a state cannot serve as the given weak subjectivity checkpoint.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum WeakSubjectivityError {
    #[error("the state is at epoch {state_epoch}, the weak subjectivity checkpoint names epoch {checkpoint_epoch}")]
    EpochMismatch {
        state_epoch: Epoch,
        checkpoint_epoch: Epoch,
    },
    #[error("the state's latest block is {block_root:?}, not the weak subjectivity checkpoint's root {checkpoint_root:?}")]
    RootMismatch {
        block_root: Hash256,
        checkpoint_root: Hash256,
    },
    #[error("arithmetic: {0}")]
    Arith(#[from] StateError),
}

/// `compute_weak_subjectivity_period` (weak-subjectivity.md, Calculating the weak
/// subjectivity period), in epochs.
pub fn compute_weak_subjectivity_period<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<u64, StateError> {
    let validator_count = get_active_validator_count(state, state.current_epoch());
    weak_subjectivity_period_for(validator_count, spec)
}

/// The period for `validator_count` active validators: the spec's formula on its own.
fn weak_subjectivity_period_for(validator_count: u64, spec: &ChainSpec) -> Result<u64, StateError> {
    let full_churn_count = spec
        .min_per_epoch_churn_limit
        .safe_mul(spec.churn_limit_quotient)?;
    let extra = if validator_count >= full_churn_count {
        SAFETY_DECAY
            .safe_mul(spec.churn_limit_quotient)?
            .safe_div(2 * 100)?
    } else {
        SAFETY_DECAY
            .safe_mul(validator_count)?
            .safe_div(200u64.safe_mul(spec.min_per_epoch_churn_limit)?)?
    };
    Ok(spec.min_validator_withdrawability_delay.safe_add(extra)?)
}

/// `is_within_weak_subjectivity_period` (weak-subjectivity.md, Checking for stale weak
/// subjectivity checkpoint), with the wall clock's `current_slot` for the store's.
///
/// The guide's optional check that the state is the checkpoint's compares
/// `ws_state.latest_block_header.state_root` with `ws_checkpoint.root`; but a checkpoint's
/// root is a block root everywhere else (the API's finality checkpoints, the
/// `ROOT:EPOCH` strings clients exchange). Both readings are accepted: the header's state
/// root, or the root of the block the state sits on.
pub fn is_within_weak_subjectivity_period<E: EthSpec>(
    current_slot: Slot,
    ws_state: &BeaconState<E>,
    ws_checkpoint: &Checkpoint,
    spec: &ChainSpec,
) -> Result<bool, WeakSubjectivityError> {
    let header = &ws_state.latest_block_header;
    if header.state_root != ws_checkpoint.root {
        let block_root = latest_block_root(ws_state);
        if block_root != ws_checkpoint.root {
            return Err(WeakSubjectivityError::RootMismatch {
                block_root,
                checkpoint_root: ws_checkpoint.root,
            });
        }
    }
    let ws_state_epoch = compute_epoch_at_slot::<E>(ws_state.slot);
    if ws_state_epoch != ws_checkpoint.epoch {
        return Err(WeakSubjectivityError::EpochMismatch {
            state_epoch: ws_state_epoch,
            checkpoint_epoch: ws_checkpoint.epoch,
        });
    }
    let ws_period = compute_weak_subjectivity_period(ws_state, spec)?;
    let current_epoch = compute_epoch_at_slot::<E>(current_slot);
    Ok(current_epoch <= ws_state_epoch.saturating_add(ws_period))
}

/// The root of the state's latest block: its header, with the state root filled in when the
/// state is that block's own post-state (process_slot fills it in one slot later).
fn latest_block_root<E: EthSpec>(state: &BeaconState<E>) -> Hash256 {
    let mut header = state.latest_block_header;
    if header.state_root == Hash256::ZERO {
        header.state_root = state.tree_hash_root();
    }
    header.tree_hash_root()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::interop_genesis_state;
    use types::MinimalEthSpec;

    #[test]
    fn the_period_grows_with_the_validator_set_until_the_churn_limit_saturates() {
        let mainnet = ChainSpec::mainnet();
        // 256 epochs of withdrawability delay plus SAFETY_DECAY * N / (200 * 4).
        assert_eq!(weak_subjectivity_period_for(0, &mainnet), Ok(256));
        assert_eq!(
            weak_subjectivity_period_for(16_384, &mainnet),
            Ok(256 + 204)
        );
        assert_eq!(
            weak_subjectivity_period_for(262_143, &mainnet),
            Ok(256 + 3276)
        );
        // From MIN_PER_EPOCH_CHURN_LIMIT * CHURN_LIMIT_QUOTIENT validators on, the churn
        // limit grows with the set and the period stops growing.
        assert_eq!(
            weak_subjectivity_period_for(262_144, &mainnet),
            Ok(256 + 3276)
        );
        assert_eq!(
            weak_subjectivity_period_for(10_000_000, &mainnet),
            Ok(256 + 3276)
        );
    }

    #[test]
    fn a_checkpoint_is_checked_for_its_root_epoch_and_age() {
        let spec = ChainSpec::minimal();
        let state = interop_genesis_state::<MinimalEthSpec>(64, 0, &spec).unwrap();
        let block_root = latest_block_root(&state);
        let checkpoint = Checkpoint {
            epoch: 0,
            root: block_root,
        };
        // 64 validators on the minimal preset: 256 epochs.
        assert_eq!(compute_weak_subjectivity_period(&state, &spec), Ok(256));
        let slots = |epoch: u64| epoch * 8;
        assert_eq!(
            is_within_weak_subjectivity_period(slots(256), &state, &checkpoint, &spec),
            Ok(true)
        );
        assert_eq!(
            is_within_weak_subjectivity_period(slots(257), &state, &checkpoint, &spec),
            Ok(false)
        );
        let wrong_epoch = Checkpoint {
            epoch: 1,
            ..checkpoint
        };
        assert!(matches!(
            is_within_weak_subjectivity_period(0, &state, &wrong_epoch, &spec),
            Err(WeakSubjectivityError::EpochMismatch { .. })
        ));
        let wrong_root = Checkpoint {
            root: Hash256::repeat_byte(7),
            ..checkpoint
        };
        assert!(matches!(
            is_within_weak_subjectivity_period(0, &state, &wrong_root, &spec),
            Err(WeakSubjectivityError::RootMismatch { .. })
        ));
    }
}
