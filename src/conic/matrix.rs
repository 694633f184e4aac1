//! Sparse matrices: triplets collected while building, compressed once (O(nnz log nnz)).

/// Compressed sparse column matrix, the layout Clarabel takes.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Csc {
    /// Rows.
    pub m: usize,
    /// Columns.
    pub n: usize,
    /// Column pointers, length `n + 1`.
    pub colptr: Vec<usize>,
    /// Row index of each stored entry.
    pub rowval: Vec<usize>,
    /// Value of each stored entry.
    pub nzval: Vec<f64>,
}

impl Csc {
    /// The `m×n` zero matrix.
    pub fn zeros(m: usize, n: usize) -> Csc {
        Csc {
            m,
            n,
            colptr: vec![0; n + 1],
            rowval: Vec::new(),
            nzval: Vec::new(),
        }
    }

    /// The index into `nzval` of the stored entry `(row, col)` (row indices are sorted within a
    /// column), if it is stored.
    pub fn position(&self, row: usize, col: usize) -> Option<usize> {
        let (lo, hi) = (*self.colptr.get(col)?, *self.colptr.get(col + 1)?);
        self.rowval[lo..hi].binary_search(&row).ok().map(|k| lo + k)
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.nzval.len()
    }

    /// Entries `(row, col, value)` in column order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        (0..self.n).flat_map(move |j| {
            (self.colptr[j]..self.colptr[j + 1]).map(move |k| (self.rowval[k], j, self.nzval[k]))
        })
    }
}

/// Entries collected in any order; duplicates are summed when compressed.
#[derive(Clone, Debug, Default)]
pub struct Triplets {
    /// Rows.
    pub m: usize,
    /// Columns.
    pub n: usize,
    entries: Vec<(usize, usize, f64)>,
}

impl Triplets {
    /// An empty `m×n` collection.
    pub fn new(m: usize, n: usize) -> Triplets {
        Triplets {
            m,
            n,
            entries: Vec::new(),
        }
    }

    /// Adds `value` at `(row, col)`; zeros are skipped.
    pub fn push(&mut self, row: usize, col: usize, value: f64) {
        debug_assert!(row < self.m && col < self.n);
        if value != 0.0 {
            self.entries.push((row, col, value));
        }
    }

    /// Number of entries pushed so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Compresses to CSC, summing duplicates and dropping entries that cancel to zero.
    pub fn into_csc(mut self) -> Csc {
        self.entries.sort_unstable_by_key(|e| (e.1, e.0));
        let mut colptr = vec![0usize; self.n + 1];
        let mut rowval = Vec::with_capacity(self.entries.len());
        let mut nzval: Vec<f64> = Vec::with_capacity(self.entries.len());
        let mut last: Option<(usize, usize)> = None;
        for (r, c, v) in self.entries {
            if last == Some((r, c)) {
                *nzval.last_mut().expect("entry exists") += v;
                continue;
            }
            if let (Some(_), Some(&0.0)) = (last, nzval.last()) {
                let (_, lc) = last.expect("checked");
                rowval.pop();
                nzval.pop();
                colptr[lc + 1] -= 1;
            }
            rowval.push(r);
            nzval.push(v);
            colptr[c + 1] += 1;
            last = Some((r, c));
        }
        if let (Some((_, lc)), Some(&0.0)) = (last, nzval.last()) {
            rowval.pop();
            nzval.pop();
            colptr[lc + 1] -= 1;
        }
        for j in 0..self.n {
            colptr[j + 1] += colptr[j];
        }
        Csc {
            m: self.m,
            n: self.n,
            colptr,
            rowval,
            nzval,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compresses_and_sums_duplicates() {
        let mut t = Triplets::new(3, 2);
        t.push(2, 1, 1.0);
        t.push(0, 0, 2.0);
        t.push(2, 1, 3.0);
        t.push(1, 0, 1.0);
        t.push(1, 0, -1.0);
        let c = t.into_csc();
        assert_eq!(c.colptr, vec![0, 1, 2]);
        assert_eq!(c.rowval, vec![0, 2]);
        assert_eq!(c.nzval, vec![2.0, 4.0]);
        let all: Vec<_> = c.iter().collect();
        assert_eq!(all, vec![(0, 0, 2.0), (2, 1, 4.0)]);
    }
}
