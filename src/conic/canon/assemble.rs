//! Assembly of `A` from the rows collected during canonicalization: a counting transposition
//! from row lists to [`Csc`] in `O(m + n + nnz)` time, with no sort and no triplet copy.
//!
//! Rows are visited in order, so each column receives its entries with non-decreasing row
//! indices; repeated `(row, column)` pairs are adjacent there and summed, and entries that cancel
//! to zero are dropped — the same result as [`crate::conic::Triplets::into_csc`].

use crate::conic::Csc;

/// Builds the `m×n` matrix whose row `r` holds the entries `cols[t], vals[t]` for
/// `t ∈ row_ptr[r]..row_ptr[r+1]`.
pub(super) fn rows_to_csc(
    m: usize,
    n: usize,
    row_ptr: &[usize],
    cols: &[usize],
    vals: &[f64],
) -> Csc {
    let mut count = vec![0usize; n + 1];
    for &c in cols {
        count[c + 1] += 1;
    }
    for j in 0..n {
        count[j + 1] += count[j];
    }
    let total = count[n];
    let mut rowval = vec![0usize; total];
    let mut nzval = vec![0.0; total];
    let mut next = count.clone();
    for r in 0..m {
        for t in row_ptr[r]..row_ptr[r + 1] {
            let (c, v) = (cols[t], vals[t]);
            let pos = next[c];
            // Same row as the previous entry of this column: sum instead of storing twice.
            if pos > count[c] && rowval[pos - 1] == r {
                nzval[pos - 1] += v;
            } else {
                rowval[pos] = r;
                nzval[pos] = v;
                next[c] += 1;
            }
        }
    }
    // Compact: drop the slack left by merged duplicates and entries that cancelled to zero.
    let mut colptr = Vec::with_capacity(n + 1);
    colptr.push(0);
    let mut w = 0;
    for j in 0..n {
        for k in count[j]..next[j] {
            if nzval[k] != 0.0 {
                rowval[w] = rowval[k];
                nzval[w] = nzval[k];
                w += 1;
            }
        }
        colptr.push(w);
    }
    rowval.truncate(w);
    nzval.truncate(w);
    rowval.shrink_to_fit();
    nzval.shrink_to_fit();
    Csc {
        m,
        n,
        colptr,
        rowval,
        nzval,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conic::Triplets;

    #[test]
    fn matches_triplet_compression() {
        // Rows with repeated columns, a cancelling pair, an empty row and an unused column.
        let row_ptr = [0, 3, 3, 6, 8];
        let cols = [2, 0, 2, 1, 1, 4, 0, 2];
        let vals = [1.0, 2.0, 3.0, 1.0, -1.0, 5.0, 7.0, -1.5];
        let a = rows_to_csc(4, 5, &row_ptr, &cols, &vals);
        let mut t = Triplets::new(4, 5);
        for r in 0..4 {
            for k in row_ptr[r]..row_ptr[r + 1] {
                t.push(r, cols[k], vals[k]);
            }
        }
        assert_eq!(a, t.into_csc());
        assert_eq!(a.colptr, vec![0, 2, 2, 4, 4, 5]);
    }
}
