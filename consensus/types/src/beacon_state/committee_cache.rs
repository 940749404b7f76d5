//! The shuffling of one epoch, computed once and shared by every committee lookup of that epoch.

use crate::{CommitteeIndex, Epoch, Slot, ValidatorIndex};

/// Which of the three epochs a state can answer committee questions for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelativeEpoch {
    Previous = 0,
    Current = 1,
    Next = 2,
}

impl RelativeEpoch {
    /// Classify `epoch` relative to `current`, or None if it is outside previous..=next.
    pub fn from_epoch(current: Epoch, epoch: Epoch) -> Option<Self> {
        if epoch == current {
            Some(RelativeEpoch::Current)
        } else if current.checked_add(1) == Some(epoch) {
            Some(RelativeEpoch::Next)
        } else if epoch.checked_add(1) == Some(current) {
            Some(RelativeEpoch::Previous)
        } else {
            None
        }
    }
}

/// The committees of one epoch: its active validators in shuffled order, cut into
/// `committees_per_slot * SLOTS_PER_EPOCH` consecutive committees exactly as
/// `compute_committee` cuts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeCache {
    epoch: Epoch,
    /// `shuffling[i] = active_indices[compute_shuffled_index(i, len, seed)]`.
    shuffling: Vec<ValidatorIndex>,
    /// The active validators in registry order (`get_active_validator_indices`).
    active_indices: Vec<ValidatorIndex>,
    committees_per_slot: u64,
    slots_per_epoch: u64,
}

impl CommitteeCache {
    /// Build from the epoch's active indices (in registry order) and seed.
    pub fn new(
        epoch: Epoch,
        active_indices: Vec<ValidatorIndex>,
        seed: &[u8; 32],
        committees_per_slot: u64,
        slots_per_epoch: u64,
        shuffle_round_count: u8,
    ) -> Option<Self> {
        let positions: Vec<usize> = (0..active_indices.len()).collect();
        let shuffled =
            swap_or_not_shuffle::shuffle_list(positions, shuffle_round_count, seed, false)?;
        let shuffling = shuffled.into_iter().map(|p| active_indices[p]).collect();
        Some(CommitteeCache {
            epoch,
            shuffling,
            active_indices,
            committees_per_slot,
            slots_per_epoch,
        })
    }

    /// The epoch these committees belong to.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// `get_committee_count_per_slot` for this epoch.
    pub fn committees_per_slot(&self) -> u64 {
        self.committees_per_slot
    }

    /// The number of active validators this epoch.
    pub fn active_validator_count(&self) -> usize {
        self.shuffling.len()
    }

    /// The active validators in registry order.
    pub fn active_indices(&self) -> &[ValidatorIndex] {
        &self.active_indices
    }

    /// All active validators in shuffled order.
    pub fn shuffling(&self) -> &[ValidatorIndex] {
        &self.shuffling
    }

    /// `compute_committee` for the `index`-th of `count` committees of the epoch.
    fn committee_by_position(&self, index: u64, count: u64) -> Option<&[ValidatorIndex]> {
        let len = self.shuffling.len() as u128;
        let start = (len * index as u128 / count as u128) as usize;
        let end = (len * (index as u128 + 1) / count as u128) as usize;
        self.shuffling.get(start..end)
    }

    /// `get_beacon_committee` for a slot of this epoch; None if slot or index is out of range.
    pub fn get_beacon_committee(
        &self,
        slot: Slot,
        index: CommitteeIndex,
    ) -> Option<&[ValidatorIndex]> {
        if slot / self.slots_per_epoch != self.epoch || index >= self.committees_per_slot {
            return None;
        }
        let count = self.committees_per_slot.checked_mul(self.slots_per_epoch)?;
        let position = (slot % self.slots_per_epoch) * self.committees_per_slot + index;
        self.committee_by_position(position, count)
    }
}
