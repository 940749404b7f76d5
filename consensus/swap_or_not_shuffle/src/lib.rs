//! The phase 0 "swap-or-not" shuffle (beacon-chain.md, Helper functions → Misc →
//! `compute_shuffled_index`), plus a whole-list variant that produces the same permutation
//! with one pass over the list per round.
//!
//! One round `r` of the spec maps an index `i` to either `i` or its partner
//! `flip = (pivot_r - i) mod n`, where `pivot_r` is taken from `hash(seed ‖ r)` and the decision
//! is a bit of `hash(seed ‖ r ‖ (max(i, flip) / 256))`. Since `flip(flip(i)) == i` and the
//! decision depends only on the unordered pair `{i, flip}`, each round is an involution that
//! swaps some disjoint pairs. `compute_shuffled_index` is the composition
//! `f = f_{R-1} ∘ … ∘ f_0` of those rounds.

use ethereum_hashing::hash_fixed;

/// Largest list length (inclusive) the shuffle accepts: `position / 256` must fit in a `uint32`.
pub const MAX_LIST_SIZE: usize = 1 << 40;

const SEED_LEN: usize = 32;
const PIVOT_INPUT_LEN: usize = SEED_LEN + 1;
const SOURCE_INPUT_LEN: usize = SEED_LEN + 1 + 4;

/// Whether `n` is larger than [`MAX_LIST_SIZE`] (computed without overflow on any target).
fn too_large(n: usize) -> bool {
    u64::try_from(n).map_or(true, |n| n > MAX_LIST_SIZE as u64)
}

/// `compute_shuffled_index` (beacon-chain.md, Misc): None if index >= index_count or index_count == 0 or index_count > 2^40.
pub fn compute_shuffled_index(
    index: usize,
    index_count: usize,
    seed: &[u8; 32],
    shuffle_round_count: u8,
) -> Option<usize> {
    if index_count == 0 || index >= index_count || too_large(index_count) {
        return None;
    }
    // Both fit in u64 because index < index_count <= 2^40.
    let n = index_count as u64;
    let mut index = index as u64;

    let mut buf = [0u8; SOURCE_INPUT_LEN];
    buf[..SEED_LEN].copy_from_slice(seed);

    for round in 0..shuffle_round_count {
        buf[SEED_LEN] = round;
        let pivot = pivot(&buf, n);
        // (pivot + n - index) % n, all terms < n <= 2^40: no overflow.
        let flip = (pivot + n - index) % n;
        let position = index.max(flip);
        let source = source_block(&mut buf, position);
        if bit_at(&source, position) {
            index = flip;
        }
    }
    // index < n <= original usize index_count.
    usize::try_from(index).ok()
}

/// Whole-list swap-or-not shuffle costing one pass over the list per round (not one compute_shuffled_index call per element).
///
/// With `forwards == false` the result satisfies
/// `out[i] == input[compute_shuffled_index(i, n, seed, rounds)]` for every `i` (what
/// `compute_committee` needs: the committee for positions `[start, end)` is `out[start..end]`).
/// With `forwards == true` it applies the inverse permutation:
/// `out[compute_shuffled_index(i, n, seed, rounds)] == input[i]`.
/// `None` if the list is longer than 2^40.
pub fn shuffle_list(
    mut input: Vec<usize>,
    shuffle_round_count: u8,
    seed: &[u8; 32],
    forwards: bool,
) -> Option<Vec<usize>> {
    let len = input.len();
    if too_large(len) {
        return None;
    }
    if len <= 1 || shuffle_round_count == 0 {
        return Some(input);
    }

    let mut buf = [0u8; SOURCE_INPUT_LEN];
    buf[..SEED_LEN].copy_from_slice(seed);

    // Applying round r to a list L gives L'[i] = L[f_r(i)]. Applying round a after round b
    // yields L[f_b(f_a(i))], so to get L[f_{R-1}(…f_0(i))] the rounds are applied from R-1
    // down to 0; applying them from 0 up gives the inverse permutation.
    let mut round = if forwards { 0 } else { shuffle_round_count - 1 };
    loop {
        buf[SEED_LEN] = round;
        shuffle_round(&mut input, &mut buf);

        if forwards {
            round += 1;
            if round == shuffle_round_count {
                break;
            }
        } else {
            if round == 0 {
                break;
            }
            round -= 1;
        }
    }
    Some(input)
}

/// Apply one round (whose number is already in `buf[32]`) to `list` in place.
///
/// Pairs are `(i, pivot - i)` for `i <= pivot` and `(i, pivot + n - i)` for `i > pivot`; each
/// pair is visited once, walking the larger member (the hashed `position`) downwards so the
/// source block only changes every 256 positions.
fn shuffle_round(list: &mut [usize], buf: &mut [u8; SOURCE_INPUT_LEN]) {
    let len = list.len();
    // len <= 2^40 was checked by the caller, so it fits in u64 and back.
    let pivot = pivot(buf, len as u64) as usize;

    // Segment [0, pivot]: pairs (i, pivot - i).
    swap_segment(list, buf, 0, pivot);
    // Segment [pivot + 1, len - 1]: pairs (i, pivot + len - i).
    if pivot + 1 < len {
        swap_segment(list, buf, pivot + 1, len - 1);
    }
}

/// Visit the pairs `(lo + k, hi - k)` with `lo + k < hi - k`, swapping those whose decision bit
/// (at position `hi - k`) is set.
fn swap_segment(list: &mut [usize], buf: &mut [u8; SOURCE_INPUT_LEN], lo: usize, hi: usize) {
    if lo >= hi {
        return;
    }
    let mut i = lo;
    let mut j = hi;
    // One source hash per 256-position block of `j`; within a block only bits are read.
    while i < j {
        let source = source_block(buf, j as u64);
        let block_start = j & !0xff;
        while j >= block_start && i < j {
            // Branch-free conditional swap: the bit is a coin flip, so a branch mispredicts
            // half the time.
            let (a, b) = (list[i], list[j]);
            let mask = 0usize.wrapping_sub(usize::from(bit_at(&source, j as u64)));
            let diff = (a ^ b) & mask;
            list[i] = a ^ diff;
            list[j] = b ^ diff;
            i += 1;
            j -= 1;
        }
    }
}

/// `bytes_to_uint64(hash(seed + uint_to_bytes(uint8(round)))[0:8]) % n`; `n` must be non-zero.
fn pivot(buf: &[u8; SOURCE_INPUT_LEN], n: u64) -> u64 {
    let digest = hash_fixed(&buf[..PIVOT_INPUT_LEN]);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first) % n
}

/// `hash(seed + uint_to_bytes(uint8(round)) + uint_to_bytes(uint32(position // 256)))`.
fn source_block(buf: &mut [u8; SOURCE_INPUT_LEN], position: u64) -> [u8; 32] {
    // position < 2^40, so position / 256 < 2^32.
    let block = (position >> 8) as u32;
    buf[PIVOT_INPUT_LEN..].copy_from_slice(&block.to_le_bytes());
    hash_fixed(&buf[..])
}

/// `(source[(position % 256) // 8] >> (position % 8)) % 2 == 1`.
fn bit_at(source: &[u8; 32], position: u64) -> bool {
    let byte = source[((position & 0xff) >> 3) as usize];
    (byte >> (position & 0x7)) & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A literal transcription of the spec's `compute_shuffled_index`.
    fn spec_compute_shuffled_index(
        mut index: u64,
        index_count: u64,
        seed: &[u8; 32],
        rounds: u8,
    ) -> u64 {
        assert!(index < index_count);
        for current_round in 0..rounds {
            let mut pivot_input = seed.to_vec();
            pivot_input.push(current_round);
            let h = ethereum_hashing::hash(&pivot_input);
            let pivot = u64::from_le_bytes(h[0..8].try_into().unwrap()) % index_count;
            let flip = (pivot + index_count - index) % index_count;
            let position = std::cmp::max(index, flip);
            let mut source_input = seed.to_vec();
            source_input.push(current_round);
            source_input.extend_from_slice(&((position / 256) as u32).to_le_bytes());
            let source = ethereum_hashing::hash(&source_input);
            let byte = source[((position % 256) / 8) as usize];
            let bit = (byte >> (position % 8)) % 2;
            if bit == 1 {
                index = flip;
            }
        }
        index
    }

    fn seed_from(n: u8) -> [u8; 32] {
        hash_fixed(&[n, 0x5e, 0xed])
    }

    #[test]
    fn matches_spec_transcription() {
        for s in 0..8u8 {
            let seed = seed_from(s);
            for n in [1usize, 2, 3, 7, 100, 256, 257, 1000] {
                for i in 0..n {
                    for rounds in [0u8, 1, 10, 90] {
                        assert_eq!(
                            compute_shuffled_index(i, n, &seed, rounds),
                            Some(
                                spec_compute_shuffled_index(i as u64, n as u64, &seed, rounds)
                                    as usize
                            ),
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn known_values() {
        // Derived with the spec transcription above (seed = 0x00…00 and 0x01…01).
        let zero = [0u8; 32];
        let ones = [1u8; 32];
        let cases: &[(usize, usize, &[u8; 32], u8)] = &[
            (0, 100, &zero, 90),
            (42, 100, &zero, 90),
            (99, 100, &zero, 90),
            (5, 1000, &ones, 10),
            (777, 1000, &ones, 10),
        ];
        for &(i, n, seed, rounds) in cases {
            let expected = spec_compute_shuffled_index(i as u64, n as u64, seed, rounds) as usize;
            assert_eq!(compute_shuffled_index(i, n, seed, rounds), Some(expected));
        }
        // The same values computed independently (Python hashlib transcription of the spec).
        let pinned: Vec<usize> = cases
            .iter()
            .map(|&(i, n, seed, rounds)| compute_shuffled_index(i, n, seed, rounds).unwrap())
            .collect();
        assert_eq!(pinned, [79, 34, 75, 19, 708]);

        // seed = 0x000102…1f, n = 10, 90 rounds: out[i] = input[compute_shuffled_index(i)].
        let seed: [u8; 32] = core::array::from_fn(|i| i as u8);
        let expected = [5, 2, 3, 1, 9, 6, 7, 4, 0, 8];
        let by_index: Vec<usize> = (0..10)
            .map(|i| compute_shuffled_index(i, 10, &seed, 90).unwrap())
            .collect();
        assert_eq!(by_index, expected);
        assert_eq!(
            shuffle_list((0..10).collect(), 90, &seed, false).unwrap(),
            expected
        );
    }

    #[test]
    fn invalid_inputs() {
        let seed = [7u8; 32];
        assert_eq!(compute_shuffled_index(0, 0, &seed, 90), None);
        assert_eq!(compute_shuffled_index(5, 5, &seed, 90), None);
        assert_eq!(compute_shuffled_index(usize::MAX, 5, &seed, 90), None);
        assert_eq!(compute_shuffled_index(0, usize::MAX, &seed, 90), None);
        assert!(compute_shuffled_index(0, MAX_LIST_SIZE, &seed, 90).is_some());
        assert!(compute_shuffled_index(MAX_LIST_SIZE - 1, MAX_LIST_SIZE, &seed, 90).is_some());
        assert_eq!(
            compute_shuffled_index(0, MAX_LIST_SIZE + 1, &seed, 90),
            None
        );
        assert_eq!(compute_shuffled_index(0, 1, &seed, 255), Some(0));
    }

    #[test]
    fn list_agrees_with_index() {
        for s in 0..6u8 {
            let seed = seed_from(s);
            for n in [
                0usize, 1, 2, 3, 4, 5, 100, 255, 256, 257, 511, 512, 513, 1000,
            ] {
                for rounds in [0u8, 1, 2, 10, 90, 255] {
                    let input: Vec<usize> = (0..n).map(|x| x * 3 + 1).collect();
                    let back = shuffle_list(input.clone(), rounds, &seed, false).unwrap();
                    let fwd = shuffle_list(input.clone(), rounds, &seed, true).unwrap();
                    assert_eq!(back.len(), n);
                    for i in 0..n {
                        let j = compute_shuffled_index(i, n, &seed, rounds).unwrap();
                        assert_eq!(back[i], input[j], "n={n} rounds={rounds} i={i}");
                        assert_eq!(fwd[j], input[i], "n={n} rounds={rounds} i={i}");
                    }
                    // The two directions are inverse to each other.
                    assert_eq!(shuffle_list(back, rounds, &seed, true).unwrap(), input);
                    assert_eq!(shuffle_list(fwd, rounds, &seed, false).unwrap(), input);
                }
            }
        }
    }

    #[test]
    fn official_vectors() {
        let Some(dir) = std::env::var_os("SHUFFLING_VECTORS_DIR") else {
            eprintln!("SHUFFLING_VECTORS_DIR not set; skipping official shuffling vectors");
            return;
        };
        #[derive(serde::Deserialize)]
        struct Case {
            seed: String,
            count: usize,
            mapping: Vec<usize>,
        }
        const MINIMAL_SHUFFLE_ROUND_COUNT: u8 = 10;
        let mut ran = 0;
        for entry in std::fs::read_dir(&dir).expect("read SHUFFLING_VECTORS_DIR") {
            let path = entry.unwrap().path().join("mapping.yaml");
            let text = std::fs::read_to_string(&path).unwrap();
            let case: Case = serde_yaml::from_str(&text).unwrap();
            let seed: [u8; 32] = hex::decode(case.seed.trim_start_matches("0x"))
                .unwrap()
                .try_into()
                .unwrap();
            assert_eq!(case.mapping.len(), case.count);
            for (i, &m) in case.mapping.iter().enumerate() {
                assert_eq!(
                    compute_shuffled_index(i, case.count, &seed, MINIMAL_SHUFFLE_ROUND_COUNT),
                    Some(m),
                    "{}",
                    path.display()
                );
            }
            let input: Vec<usize> = (0..case.count).collect();
            let out = shuffle_list(input, MINIMAL_SHUFFLE_ROUND_COUNT, &seed, false).unwrap();
            assert_eq!(out, case.mapping, "{}", path.display());
            ran += 1;
        }
        assert!(ran > 0, "no cases found in {}", dir.to_string_lossy());
        eprintln!("ran {ran} official shuffling cases");
    }
}
