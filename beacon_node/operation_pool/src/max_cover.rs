//! Greedy weighted maximum coverage: repeatedly take the candidate covering the most weight
//! not yet covered. The classic (1 - 1/e) approximation, which is what packing attestations
//! needs: each validator's reward counts once however many attestations include it.

use std::collections::HashSet;

/// A candidate: an item, the group its cover counts in, and the (element, weight) pairs it
/// covers.
pub struct Candidate<'a, T> {
    pub item: &'a T,
    pub group: u64,
    pub elements: Vec<(u64, u64)>,
}

impl<T> Candidate<'_, T> {
    fn score(&self) -> u64 {
        self.elements
            .iter()
            .map(|(_, w)| *w)
            .fold(0, u64::saturating_add)
    }
}

/// Up to `limit` items of `candidates`, best cover first.
pub fn max_cover<T>(mut candidates: Vec<Candidate<'_, T>>, limit: usize) -> Vec<&T> {
    let mut chosen = Vec::new();
    while chosen.len() < limit {
        let Some((best, score)) = candidates
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.score()))
            .max_by_key(|(_, s)| *s)
        else {
            break;
        };
        if score == 0 {
            break;
        }
        let taken = candidates.swap_remove(best);
        let covered: HashSet<u64> = taken.elements.iter().map(|(e, _)| *e).collect();
        for c in candidates.iter_mut().filter(|c| c.group == taken.group) {
            c.elements.retain(|(e, _)| !covered.contains(e));
        }
        chosen.push(taken.item);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_prefers_new_cover_over_raw_size() {
        let (a, b, c) = ("a", "b", "c");
        let candidates = vec![
            Candidate {
                item: &a,
                group: 0,
                elements: vec![(1, 1), (2, 1), (3, 1), (4, 1)],
            },
            Candidate {
                item: &b,
                group: 0,
                elements: vec![(1, 1), (2, 1), (3, 1)],
            },
            Candidate {
                item: &c,
                group: 0,
                elements: vec![(5, 1), (6, 1)],
            },
        ];
        // a first (4), then c (2 new) beats b (0 new).
        assert_eq!(max_cover(candidates, 2), vec![&"a", &"c"]);
    }

    #[test]
    fn other_groups_keep_their_cover() {
        let (a, b) = ("a", "b");
        let candidates = vec![
            Candidate {
                item: &a,
                group: 0,
                elements: vec![(1, 5)],
            },
            Candidate {
                item: &b,
                group: 1,
                elements: vec![(1, 4)],
            },
        ];
        assert_eq!(max_cover(candidates, 5), vec![&"a", &"b"]);
    }
}
