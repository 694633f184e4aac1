//! Activation patterns as bitsets over the samples, and deduplicated sets of them.
//!
//! A pattern `D = diag(1[X g ≥ 0])` is stored as one bit per sample (bit `j` of word `j / 64`),
//! so a set of `P` patterns over `n` samples takes `P·⌈n/64⌉` words. Patterns hash and order by
//! their words: sets are deduplicated and sorted, so every run lists them in the same order.

use std::fmt;

/// One activation pattern: which samples are active (`x_j·g ≥ 0`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pattern {
    n: usize,
    words: Vec<u64>,
}

impl Pattern {
    /// The pattern over `n` samples whose sample `j` is active iff `active(j)`.
    pub fn from_fn(n: usize, mut active: impl FnMut(usize) -> bool) -> Pattern {
        let mut words = vec![0u64; n.div_ceil(64)];
        for j in 0..n {
            if active(j) {
                words[j / 64] |= 1 << (j % 64);
            }
        }
        Pattern { n, words }
    }

    /// Number of samples the pattern is over (active or not).
    pub fn samples(&self) -> usize {
        self.n
    }

    /// Whether sample `j` is active; `false` for `j` out of range.
    pub fn get(&self, j: usize) -> bool {
        j < self.n && self.words[j / 64] >> (j % 64) & 1 == 1
    }

    /// Number of active samples.
    pub fn count_active(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Indices of the active samples, ascending.
    pub fn active(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.n).filter(move |&j| self.get(j))
    }

    /// The bit words (bit `j % 64` of word `j / 64` is sample `j`; unused high bits are zero).
    pub fn words(&self) -> &[u64] {
        &self.words
    }
}

/// `1` for an active sample, `0` otherwise, sample 0 first: `10110`.
impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for j in 0..self.n {
            f.write_str(if self.get(j) { "1" } else { "0" })?;
        }
        Ok(())
    }
}

/// How a set of patterns was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Every full-dimensional cell of the arrangement (exact).
    Exact,
    /// `draws` sampled directions of the given strategy and seed, deduplicated.
    Sampled {
        /// The sampling strategy.
        strategy: super::Strategy,
        /// Number of directions drawn.
        draws: usize,
        /// The user's seed.
        seed: u64,
    },
}

/// A deduplicated, sorted set of activation patterns of one data matrix.
///
/// The *empty* pattern (no active sample other than zero rows of `X`, so `D X = 0`) is never
/// listed: its block in the convex program can only add `β‖v‖` and is zero at every optimum.
/// `empty_found` records whether it was met, so counts can be reported with and without it.
#[derive(Clone, Debug, PartialEq)]
pub struct Patterns {
    /// Number of samples `n`.
    pub n: usize,
    /// Numerical rank `r` of the data (see [`super::rank`]).
    pub rank: usize,
    /// The non-empty patterns, deduplicated and sorted.
    pub list: Vec<Pattern>,
    /// Whether the empty pattern was found (always true for exact enumeration of `n ≥ 1` rows).
    pub empty_found: bool,
    /// Exact or sampled (with the sampling parameters).
    pub source: Source,
}

impl Patterns {
    /// Number of non-empty patterns `P` (the number of `(v_i, w_i)` blocks).
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there is no non-empty pattern.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Number of distinct patterns including the empty one when it was found.
    pub fn len_with_empty(&self) -> usize {
        self.list.len() + usize::from(self.empty_found)
    }

    /// The patterns in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Pattern> {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_across_words() {
        let p = Pattern::from_fn(130, |j| j % 3 == 0 || j == 129);
        assert_eq!(p.samples(), 130);
        assert_eq!(p.words().len(), 3);
        let active: Vec<usize> = p.active().collect();
        let expected: Vec<usize> = (0..130).filter(|j| j % 3 == 0 || *j == 129).collect();
        assert_eq!(active, expected);
        assert_eq!(p.count_active(), expected.len());
        assert!(!p.get(130));
        assert_eq!(Pattern::from_fn(5, |j| j != 1).to_string(), "10111");
    }
}
