//! Attestations waiting for a block, aggregated by data as they arrive (validator.md,
//! "Aggregation"): merged where disjoint, dropped where covered, bounded per data and by epoch.

use crate::errors::OpPoolError;
use crate::InsertOutcome;
use bls::{AggregateSignature, Signature, SignatureBytes};
use std::cmp::Reverse;
use std::collections::HashMap;
use tree_hash::TreeHash;
use types::typenum::Unsigned;
use types::{
    Attestation, AttestationData, BeaconState, BitList, CommitteeIndex, Epoch, EthSpec, Hash256,
    Slot, ValidatorIndex,
};

/// Aggregates kept per `AttestationData` whose bits overlap (so cannot be merged); past this
/// the one with the fewest attesters goes.
pub const MAX_AGGREGATES_PER_DATA: usize = 16;

/// One aggregate held by the pool.
#[derive(Debug, Clone)]
pub(crate) struct PooledAttestation<E: EthSpec> {
    pub attestation: Attestation<E>,
    /// The attesting indices it was verified with, sorted.
    pub indices: Vec<ValidatorIndex>,
    /// `attestation.signature`, decompressed once for merging.
    pub signature: Signature,
}

impl<E: EthSpec> PooledAttestation<E> {
    /// A verified attestation with the attesting indices it was verified with: one per set
    /// bit, and a signature that decompresses (done here, outside the pool's lock).
    pub fn new(
        attestation: Attestation<E>,
        mut indices: Vec<ValidatorIndex>,
    ) -> Result<Self, OpPoolError> {
        let bits = attestation.aggregation_bits.num_set_bits();
        if bits == 0 {
            return Err(OpPoolError::EmptyAggregationBits);
        }
        indices.sort_unstable();
        indices.dedup();
        if indices.len() != bits {
            return Err(OpPoolError::AttestingIndicesCount {
                indices: indices.len(),
                bits,
            });
        }
        let signature = attestation
            .signature
            .decompress()
            .map_err(|_| OpPoolError::InvalidSignature)?;
        Ok(PooledAttestation {
            attestation,
            indices,
            signature,
        })
    }

    fn bits(&self) -> &BitList<E::MaxValidatorsPerCommittee> {
        &self.attestation.aggregation_bits
    }

    /// Add the attesters and signature of `other` (bits disjoint from ours).
    fn absorb(&mut self, other: &PooledAttestation<E>) {
        let mut aggregate = AggregateSignature::from(&self.signature);
        aggregate.add_assign(&other.signature);
        self.signature = aggregate.to_signature();
        self.attestation.signature = SignatureBytes::from(&self.signature);
        self.attestation.aggregation_bits = self.bits().union(other.bits());
        self.indices = merge_sorted(&self.indices, &other.indices);
    }
}

/// The union of two sorted, duplicate-free lists, sorted.
fn merge_sorted(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len().saturating_add(b.len()));
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        if x <= y {
            out.push(x);
            i += 1;
            if x == y {
                j += 1;
            }
        } else {
            out.push(y);
            j += 1;
        }
    }
    out.extend_from_slice(a.get(i..).unwrap_or_default());
    out.extend_from_slice(b.get(j..).unwrap_or_default());
    out
}

/// Every bit of `a` set in `b` (bitfields of one committee).
fn is_subset<N: Unsigned + Clone>(a: &BitList<N>, b: &BitList<N>) -> bool {
    a.len() == b.len() && a.is_subset(b)
}

/// No bit set in both (bitfields of one committee).
fn is_disjoint<N: Unsigned + Clone>(a: &BitList<N>, b: &BitList<N>) -> bool {
    a.len() == b.len() && a.intersection(b).is_zero()
}

/// Every aggregate held for one `AttestationData`; none is a subset of another.
#[derive(Debug, Clone)]
pub(crate) struct AttestationGroup<E: EthSpec> {
    pub data: AttestationData,
    pub aggregates: Vec<PooledAttestation<E>>,
}

impl<E: EthSpec> AttestationGroup<E> {
    /// Add an attestation: redundant if an aggregate held covers it, else merged into every
    /// aggregate it is disjoint from, else kept as one more aggregate.
    fn insert(&mut self, new: PooledAttestation<E>) -> InsertOutcome {
        if self
            .aggregates
            .iter()
            .any(|held| is_subset(new.bits(), held.bits()))
        {
            return InsertOutcome::Redundant;
        }
        let mut merged = false;
        for held in &mut self.aggregates {
            if is_disjoint(new.bits(), held.bits()) {
                held.absorb(&new);
                merged = true;
            }
        }
        if merged {
            self.remove_redundant();
            return InsertOutcome::Aggregated;
        }
        self.aggregates.push(new);
        self.remove_redundant();
        // The new aggregate is last: nothing held covered it, so nothing removed it.
        if self.aggregates.len() > MAX_AGGREGATES_PER_DATA {
            let smallest = self
                .aggregates
                .iter()
                .enumerate()
                .min_by_key(|(i, a)| (a.bits().num_set_bits(), Reverse(*i)))
                .map(|(i, _)| i);
            if let Some(i) = smallest {
                self.aggregates.remove(i);
                if i == self.aggregates.len() {
                    return InsertOutcome::Redundant;
                }
            }
        }
        InsertOutcome::New
    }

    /// Drop every aggregate covered by another (of two equal ones, the later).
    fn remove_redundant(&mut self) {
        let covered: Vec<bool> = self
            .aggregates
            .iter()
            .enumerate()
            .map(|(i, a)| {
                self.aggregates.iter().enumerate().any(|(j, b)| {
                    i != j
                        && is_subset(a.bits(), b.bits())
                        && (j < i || !is_subset(b.bits(), a.bits()))
                })
            })
            .collect();
        let mut flags = covered.into_iter();
        self.aggregates.retain(|_| !flags.next().unwrap_or(false));
    }

    /// The aggregate with the most attesters.
    fn best(&self) -> Option<&PooledAttestation<E>> {
        self.aggregates
            .iter()
            .enumerate()
            .max_by_key(|(i, a)| (a.bits().num_set_bits(), Reverse(*i)))
            .map(|(_, a)| a)
    }
}

/// The attestations held, by `hash_tree_root(AttestationData)`.
#[derive(Debug)]
pub(crate) struct AttestationStore<E: EthSpec> {
    groups: HashMap<Hash256, AttestationGroup<E>>,
    /// The newest target epoch seen (inserted or pruned to): anything targeting an epoch
    /// before the one preceding it can never be included again.
    newest_target: Option<Epoch>,
}

impl<E: EthSpec> Default for AttestationStore<E> {
    fn default() -> Self {
        AttestationStore {
            groups: HashMap::new(),
            newest_target: None,
        }
    }
}

impl<E: EthSpec> AttestationStore<E> {
    /// Add an attestation checked by [`PooledAttestation::new`].
    pub fn insert(&mut self, pooled: PooledAttestation<E>) -> InsertOutcome {
        let target = pooled.attestation.data.target.epoch;
        if let Some(newest) = self.newest_target.filter(|n| target.saturating_add(1) < *n) {
            return InsertOutcome::Rejected(OpPoolError::AttestationTooOld { target, newest });
        }
        self.advance_to(target);
        let data = pooled.attestation.data;
        self.groups
            .entry(data.tree_hash_root())
            .or_insert_with(|| AttestationGroup {
                data,
                aggregates: Vec::new(),
            })
            .insert(pooled)
    }

    /// Note that `epoch` has been reached: drop groups targeting epochs before its previous.
    fn advance_to(&mut self, epoch: Epoch) {
        if self.newest_target.is_none_or(|n| epoch > n) {
            self.newest_target = Some(epoch);
            self.groups
                .retain(|_, g| g.data.target.epoch.saturating_add(1) >= epoch);
        }
    }

    /// Drop what a block on `state` (or a descendant) can no longer include: targets before
    /// the state's previous epoch.
    pub fn prune(&mut self, state: &BeaconState<E>) {
        let previous = state.previous_epoch();
        self.groups.retain(|_, g| g.data.target.epoch >= previous);
        self.advance_to(state.current_epoch());
    }

    /// The groups in a fixed order (slot, committee, data root).
    pub fn ordered_groups(&self) -> Vec<(&Hash256, &AttestationGroup<E>)> {
        let mut groups: Vec<_> = self.groups.iter().collect();
        groups.sort_unstable_by_key(|(root, g)| (g.data.slot, g.data.index, **root));
        groups
    }

    /// The aggregate with the most attesters for `data_root`.
    pub fn best_aggregate(&self, data_root: &Hash256) -> Option<Attestation<E>> {
        self.groups
            .get(data_root)
            .and_then(AttestationGroup::best)
            .map(|a| a.attestation.clone())
    }

    /// Every aggregate held, optionally only those of `slot` and of committee `index`.
    pub fn all(&self, slot: Option<Slot>, index: Option<CommitteeIndex>) -> Vec<Attestation<E>> {
        self.ordered_groups()
            .into_iter()
            .filter(|(_, g)| {
                slot.is_none_or(|s| g.data.slot == s) && index.is_none_or(|i| g.data.index == i)
            })
            .flat_map(|(_, g)| g.aggregates.iter().map(|a| a.attestation.clone()))
            .collect()
    }

    /// The number of aggregates held.
    pub fn len(&self) -> usize {
        self.groups.values().map(|g| g.aggregates.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitset::Bitset;
    use types::{Checkpoint, MinimalEthSpec};

    type E = MinimalEthSpec;

    /// An attestation over a 9-member committee with the given positions set and an infinity
    /// signature (the group never verifies signatures, it only adds them).
    fn pooled(positions: &[usize]) -> PooledAttestation<E> {
        let mut bits = BitList::with_capacity(9).unwrap();
        for &p in positions {
            bits.set(p, true).unwrap();
        }
        PooledAttestation {
            attestation: Attestation {
                aggregation_bits: bits,
                data: AttestationData {
                    slot: 1,
                    index: 0,
                    beacon_block_root: Hash256::ZERO,
                    source: Checkpoint::default(),
                    target: Checkpoint::default(),
                },
                signature: SignatureBytes::from(&Signature::infinity()),
            },
            indices: positions.iter().map(|&p| p as u64 + 100).collect(),
            signature: Signature::infinity(),
        }
    }

    fn group() -> AttestationGroup<E> {
        AttestationGroup {
            data: pooled(&[]).attestation.data,
            aggregates: Vec::new(),
        }
    }

    fn members(g: &AttestationGroup<E>) -> Vec<Vec<usize>> {
        g.aggregates
            .iter()
            .map(|a| Bitset::from_bitlist(a.bits()).iter().collect())
            .collect()
    }

    #[test]
    fn a_disjoint_attestation_merges_into_every_aggregate_it_misses() {
        let mut g = group();
        assert_eq!(g.insert(pooled(&[0, 1])), InsertOutcome::New);
        assert_eq!(g.insert(pooled(&[1, 2])), InsertOutcome::New);
        assert_eq!(g.insert(pooled(&[5])), InsertOutcome::Aggregated);
        assert_eq!(members(&g), vec![vec![0, 1, 5], vec![1, 2, 5]]);
        assert_eq!(g.aggregates[0].indices, vec![100, 101, 105]);
        assert_eq!(g.insert(pooled(&[2, 5])), InsertOutcome::Redundant);
    }

    #[test]
    fn a_superset_replaces_what_it_covers() {
        let mut g = group();
        g.insert(pooled(&[0, 1]));
        g.insert(pooled(&[1, 2]));
        assert_eq!(g.insert(pooled(&[0, 1, 2])), InsertOutcome::New);
        assert_eq!(members(&g), vec![vec![0, 1, 2]]);
    }

    fn subsets_of_nine(size: u32) -> Vec<Vec<usize>> {
        (0u32..512)
            .filter(|m| m.count_ones() == size)
            .map(|m| (0..9).filter(|i| m & (1 << i) != 0).collect())
            .collect()
    }

    #[test]
    fn overlapping_aggregates_are_capped_keeping_the_largest() {
        let mut g = group();
        // 5-subsets of 0..9: pairwise overlapping and none inside another.
        let fives = subsets_of_nine(5);
        let outcomes: Vec<_> = fives.iter().map(|s| g.insert(pooled(s))).collect();
        assert!(outcomes[..MAX_AGGREGATES_PER_DATA]
            .iter()
            .all(|o| *o == InsertOutcome::New));
        assert!(outcomes[MAX_AGGREGATES_PER_DATA..]
            .iter()
            .all(|o| *o == InsertOutcome::Redundant));
        let held = fives[..MAX_AGGREGATES_PER_DATA].to_vec();
        assert_eq!(members(&g), held);

        // A larger one covering none of them displaces the newest of the smallest.
        let six = subsets_of_nine(6)
            .into_iter()
            .find(|s| !held.iter().any(|f| f.iter().all(|x| s.contains(x))))
            .unwrap();
        assert_eq!(g.insert(pooled(&six)), InsertOutcome::New);
        assert_eq!(g.aggregates.len(), MAX_AGGREGATES_PER_DATA);
        assert!(members(&g).contains(&six));
        assert!(!members(&g).contains(&held[MAX_AGGREGATES_PER_DATA - 1]));
    }

    #[test]
    fn merging_sorted_lists() {
        assert_eq!(merge_sorted(&[1, 4, 9], &[2, 4, 10]), vec![1, 2, 4, 9, 10]);
        assert_eq!(merge_sorted(&[], &[3]), vec![3]);
        assert_eq!(merge_sorted(&[3], &[]), vec![3]);
    }
}
