//! What gossip has already seen, for the `[IGNORE]` duplicate rules of p2p-interface.md.
//!
//! Each set is keyed by slot or epoch and pruned as time passes, so its size stays bounded by
//! what the propagation windows allow.

use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;

/// A set of `T` per period (slot or epoch), keeping only recent periods.
#[derive(Debug)]
pub struct ObservedByPeriod<T> {
    periods: BTreeMap<u64, HashSet<T>>,
    keep: u64,
}

impl<T: Eq + Hash + Copy> ObservedByPeriod<T> {
    /// Remembers the `keep` most recent periods.
    pub fn new(keep: u64) -> Self {
        ObservedByPeriod {
            periods: BTreeMap::new(),
            keep,
        }
    }

    /// True if `item` was seen in `period`.
    pub fn contains(&self, period: u64, item: &T) -> bool {
        self.periods.get(&period).is_some_and(|s| s.contains(item))
    }

    /// Record `item`; returns true if it was already there.
    pub fn observe(&mut self, period: u64, item: T) -> bool {
        let seen = !self.periods.entry(period).or_default().insert(item);
        if let Some(&latest) = self.periods.keys().next_back() {
            let floor = latest.saturating_sub(self.keep);
            self.periods = self.periods.split_off(&floor);
        }
        seen
    }

    /// Forget everything before `period`.
    pub fn prune_below(&mut self, period: u64) {
        self.periods = self.periods.split_off(&period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observes_and_forgets_old_periods() {
        let mut o = ObservedByPeriod::new(2);
        assert!(!o.observe(1, 7u64));
        assert!(o.observe(1, 7));
        assert!(o.contains(1, &7));
        assert!(!o.observe(5, 7));
        assert!(!o.contains(1, &7), "period 1 is older than 5 - 2");
        o.prune_below(6);
        assert!(!o.contains(5, &7));
    }
}
