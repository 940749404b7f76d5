//! A fixed-length set of small integers, one bit each in 64-bit words: the cover of an
//! attestation (positions in its committee) and the set of validators a state has rewarded.

use types::typenum::Unsigned;
use types::BitList;

/// A set of integers in `0..len`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bitset {
    words: Vec<u64>,
    len: usize,
}

impl Bitset {
    /// The empty set over `0..len`.
    pub fn new(len: usize) -> Self {
        Bitset {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// The set bits of an SSZ bitlist (bit `i` is bit `i % 8` of byte `i / 8`).
    pub fn from_bitlist<N: Unsigned + Clone>(bits: &BitList<N>) -> Self {
        let mut set = Bitset::new(bits.len());
        for (word, chunk) in set.words.iter_mut().zip(bits.as_slice().chunks(8)) {
            let mut bytes = [0u8; 8];
            bytes[..chunk.len()].copy_from_slice(chunk);
            *word = u64::from_le_bytes(bytes);
        }
        // A bitlist never has bits set at or past its length; mask anyway so that holds here.
        if let Some(last) = set.words.last_mut() {
            let tail = set.len % 64;
            if tail != 0 {
                *last &= (1u64 << tail) - 1;
            }
        }
        set
    }

    /// Whether `i` is in the set (false outside `0..len`).
    pub fn contains(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }

    /// Add `i`; ignored outside `0..len`.
    pub fn insert(&mut self, i: usize) {
        if i < self.len {
            if let Some(w) = self.words.get_mut(i / 64) {
                *w |= 1u64 << (i % 64);
            }
        }
    }

    /// Remove every member of `other` from `self`.
    pub fn remove_all(&mut self, other: &Bitset) {
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w &= !o;
        }
    }

    /// The members in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(k, &word)| {
            let mut w = word;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(k * 64 + bit)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::typenum::U2048;

    #[test]
    fn matches_the_bitlist_it_came_from() {
        for len in [0usize, 1, 7, 8, 63, 64, 65, 130, 2048] {
            let mut bits = BitList::<U2048>::with_capacity(len).unwrap();
            let members: Vec<usize> = (0..len).filter(|i| i % 3 == 0 || i % 7 == 1).collect();
            for &i in &members {
                bits.set(i, true).unwrap();
            }
            let set = Bitset::from_bitlist(&bits);
            assert_eq!(set.len, len);
            assert_eq!(set.iter().collect::<Vec<_>>(), members, "len {len}");
            for i in 0..len + 70 {
                assert_eq!(set.contains(i), bits.get(i).unwrap_or(false));
            }
        }
    }

    #[test]
    fn insert_and_remove() {
        let mut a = Bitset::new(100);
        for i in [0, 5, 64, 99, 100, 1000] {
            a.insert(i);
        }
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![0, 5, 64, 99]);
        let mut b = Bitset::new(100);
        b.insert(5);
        b.insert(99);
        a.remove_all(&b);
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![0, 64]);
        a.remove_all(&a.clone());
        assert_eq!(a.iter().next(), None);
    }
}
