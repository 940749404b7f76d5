//! `HotStateSummary`: what the database keeps for every hot state.

use ssz_derive::{Decode, Encode};
use tree_hash::TreeHash;
use types::{BeaconState, EthSpec, Hash256, Slot};

/// Enough to rebuild a hot state: the epoch-boundary state (stored whole) to start from, the
/// latest block to walk back from, and the slot to advance to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct HotStateSummary {
    /// The state's slot.
    pub slot: Slot,
    /// The root of the latest block applied to the state (its latest block header, with the
    /// state root filled in as `process_slot` would).
    pub latest_block_root: Hash256,
    /// The state at the first slot of the state's epoch: the state itself at a boundary, else
    /// `state.state_roots[boundary_slot % SLOTS_PER_HISTORICAL_ROOT]`.
    pub epoch_boundary_state_root: Hash256,
}

impl HotStateSummary {
    /// The summary of `state`, whose root is `state_root`.
    pub fn from_state<E: EthSpec>(state_root: Hash256, state: &BeaconState<E>) -> Self {
        let boundary_slot = epoch_boundary_slot::<E>(state.slot);
        let epoch_boundary_state_root = if state.slot == boundary_slot {
            state_root
        } else {
            let index = boundary_slot % E::slots_per_historical_root();
            usize::try_from(index)
                .ok()
                .and_then(|i| state.state_roots.get(i).copied())
                .unwrap_or_default()
        };
        HotStateSummary {
            slot: state.slot,
            latest_block_root: latest_block_root(state_root, state),
            epoch_boundary_state_root,
        }
    }

    /// True if the state is at the first slot of an epoch (so it is stored whole).
    pub fn is_epoch_boundary<E: EthSpec>(&self) -> bool {
        self.slot.is_multiple_of(E::slots_per_epoch())
    }

    /// The first slot of the state's epoch.
    pub fn epoch_boundary_slot<E: EthSpec>(&self) -> Slot {
        epoch_boundary_slot::<E>(self.slot)
    }
}

/// The first slot of `slot`'s epoch.
pub(crate) fn epoch_boundary_slot<E: EthSpec>(slot: Slot) -> Slot {
    slot - slot % E::slots_per_epoch()
}

/// The root of `state`'s latest block: its header, with `state_root` filled in if the header
/// still has a zero state root (the block is at the state's slot).
pub(crate) fn latest_block_root<E: EthSpec>(
    state_root: Hash256,
    state: &BeaconState<E>,
) -> Hash256 {
    let mut header = state.latest_block_header;
    if header.state_root.is_zero() {
        header.state_root = state_root;
    }
    header.tree_hash_root()
}
