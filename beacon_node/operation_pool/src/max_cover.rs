//! Greedy weighted maximum coverage: repeatedly take the candidate covering the most weight not
//! covered yet (the classic 1 - 1/e approximation). Packing attestations needs exactly this: a
//! validator's reward counts once however many included attestations carry it.
//!
//! Elements live in partitions (for attestations, one committee of one epoch) and candidates
//! of different partitions never share an element, so taking a candidate only updates the
//! candidates of its own partition. Scores only ever fall, so a max-heap checked lazily (an
//! entry whose score is stale goes back with its current score) gives the same choice as a
//! full rescan at each step, in `O(n log n)` plus the updates.

use crate::bitset::Bitset;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A candidate: an item and the elements (positions in its partition) it covers.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<T> {
    pub item: T,
    pub partition: usize,
    pub cover: Bitset,
}

/// The total weight of `cover` in a partition whose element weights are `weights`.
fn score(cover: &Bitset, weights: &[u64]) -> u64 {
    cover
        .iter()
        .map(|i| weights.get(i).copied().unwrap_or(0))
        .fold(0, u64::saturating_add)
}

/// Up to `limit` items, in the order the greedy algorithm takes them; `weights[p][i]` is the
/// weight of element `i` of partition `p`. Candidates covering no weight are never taken; ties
/// go to the earlier candidate, so the result is a function of the input order.
pub(crate) fn max_cover<T>(
    candidates: Vec<Candidate<T>>,
    weights: &[Vec<u64>],
    limit: usize,
) -> Vec<T> {
    let no_weights: &[u64] = &[];
    let weights_of = |p: usize| weights.get(p).map_or(no_weights, |w| w.as_slice());

    let mut items = Vec::with_capacity(candidates.len());
    let mut covers = Vec::with_capacity(candidates.len());
    let mut partitions = Vec::with_capacity(candidates.len());
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); weights.len()];
    for (i, c) in candidates.into_iter().enumerate() {
        if let Some(m) = members.get_mut(c.partition) {
            m.push(i);
        }
        items.push(Some(c.item));
        covers.push(c.cover);
        partitions.push(c.partition);
    }
    let mut scores: Vec<u64> = covers
        .iter()
        .zip(&partitions)
        .map(|(c, &p)| score(c, weights_of(p)))
        .collect();
    let mut heap: BinaryHeap<(u64, Reverse<usize>)> = scores
        .iter()
        .enumerate()
        .filter(|(_, s)| **s > 0)
        .map(|(i, s)| (*s, Reverse(i)))
        .collect();

    let mut chosen = Vec::new();
    while chosen.len() < limit {
        let Some((pushed_score, Reverse(i))) = heap.pop() else {
            break;
        };
        let Some(current) = scores.get(i).copied() else {
            continue;
        };
        if current != pushed_score {
            // Lowered since it was pushed: back in line with its true score.
            if current > 0 {
                heap.push((current, Reverse(i)));
            }
            continue;
        }
        let Some(item) = items.get_mut(i).and_then(Option::take) else {
            continue;
        };
        chosen.push(item);
        let taken = covers.get_mut(i).map(std::mem::take).unwrap_or_default();
        if let Some(s) = scores.get_mut(i) {
            *s = 0;
        }
        let p = partitions.get(i).copied().unwrap_or(usize::MAX);
        for &j in members.get(p).map_or(&[][..], |m| m.as_slice()) {
            if let (Some(cover), Some(s)) = (covers.get_mut(j), scores.get_mut(j)) {
                if *s > 0 {
                    cover.remove_all(&taken);
                    *s = score(cover, weights_of(p));
                }
            }
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(len: usize, members: &[usize]) -> Bitset {
        let mut s = Bitset::new(len);
        for &m in members {
            s.insert(m);
        }
        s
    }

    fn candidate(item: char, partition: usize, members: &[usize]) -> Candidate<char> {
        Candidate {
            item,
            partition,
            cover: set(8, members),
        }
    }

    #[test]
    fn greedy_prefers_new_cover_over_raw_size() {
        let weights = vec![vec![1; 8]];
        let candidates = vec![
            candidate('a', 0, &[0, 1, 2, 3]),
            candidate('b', 0, &[0, 1, 2]),
            candidate('c', 0, &[4, 5]),
        ];
        // a first (4), then c (2 new) beats b (0 new); b is never taken.
        assert_eq!(max_cover(candidates, &weights, 3), vec!['a', 'c']);
    }

    #[test]
    fn weight_beats_count() {
        let weights = vec![vec![1, 1, 1, 10, 0, 0, 0, 0]];
        let candidates = vec![
            candidate('a', 0, &[0, 1, 2]),
            candidate('b', 0, &[3]),
            candidate('z', 0, &[4, 5, 6, 7]),
        ];
        assert_eq!(max_cover(candidates, &weights, 3), vec!['b', 'a']);
    }

    #[test]
    fn partitions_keep_their_own_cover_and_the_limit_holds() {
        let weights = vec![vec![5; 8], vec![4; 8]];
        let candidates = vec![candidate('a', 0, &[1]), candidate('b', 1, &[1])];
        assert_eq!(max_cover(candidates.clone(), &weights, 5), vec!['a', 'b']);
        assert_eq!(max_cover(candidates.clone(), &weights, 1), vec!['a']);
        assert!(max_cover(candidates, &weights, 0).is_empty());
        // A partition without weights covers nothing.
        assert!(max_cover(vec![candidate('x', 7, &[1])], &weights, 1).is_empty());
    }

    /// The plain algorithm: rescan every candidate at every step.
    fn naive<T: Copy>(candidates: &[Candidate<T>], weights: &[Vec<u64>], limit: usize) -> Vec<T> {
        let mut covers: Vec<Bitset> = candidates.iter().map(|c| c.cover.clone()).collect();
        let mut taken = vec![false; candidates.len()];
        let mut out = Vec::new();
        while out.len() < limit {
            let best = (0..candidates.len())
                .filter(|&i| !taken[i])
                .map(|i| (score(&covers[i], &weights[candidates[i].partition]), i))
                .filter(|(s, _)| *s > 0)
                .max_by_key(|&(s, i)| (s, Reverse(i)));
            let Some((_, i)) = best else { break };
            taken[i] = true;
            out.push(candidates[i].item);
            let cover = covers[i].clone();
            for j in 0..candidates.len() {
                if candidates[j].partition == candidates[i].partition {
                    covers[j].remove_all(&cover);
                }
            }
        }
        out
    }

    #[test]
    fn lazy_heap_agrees_with_a_full_rescan() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            let partitions = 1 + (next() % 4) as usize;
            let len = 1 + (next() % 70) as usize;
            let weights: Vec<Vec<u64>> = (0..partitions)
                .map(|_| (0..len).map(|_| next() % 4).collect())
                .collect();
            let candidates: Vec<Candidate<usize>> = (0..(next() % 30) as usize)
                .map(|item| {
                    let mut cover = Bitset::new(len);
                    for i in 0..len {
                        if next() % 3 == 0 {
                            cover.insert(i);
                        }
                    }
                    Candidate {
                        item,
                        partition: (next() % partitions as u64) as usize,
                        cover,
                    }
                })
                .collect();
            let limit = (next() % 12) as usize;
            assert_eq!(
                max_cover(candidates.clone(), &weights, limit),
                naive(&candidates, &weights, limit)
            );
        }
    }
}
