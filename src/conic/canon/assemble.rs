//! Assembly of `A` from the rows collected during canonicalization: a counting transposition
//! from row lists to [`Csc`] in `O(m + n + nnz)` time, with no sort and no triplet copy. The
//! rows are read where they are (the builder's buffers or the program's own affine leaves)
//! through a visitor that is walked twice, once to count each column and once to fill it.
//!
//! Rows are visited in order, so each column receives its entries with non-decreasing row
//! indices; repeated `(row, column)` pairs are adjacent there and summed, and entries that cancel
//! to zero are dropped — the same result as [`crate::conic::Triplets::into_csc`] — unless
//! `keep_zeros` asks for every written position to stay (structural zeros).

use crate::conic::Csc;

/// The visitor of a matrix's rows: it calls `f(row, columns, values, scale)` for each run of
/// terms, rows in non-decreasing order; the run contributes `scale · values[t]` at
/// `(row, columns[t])`.
pub(super) type EachRow<'f> = &'f mut dyn FnMut(usize, &[usize], &[f64], f64);

/// Below this many non-zeros the fill runs on one thread.
const PARALLEL_NNZ: usize = 1 << 20;

/// Builds the `m×n` matrix of the rows that `rows` visits. Large matrices are filled by up to
/// four threads, each owning a range of columns with about the same number of entries (each
/// walks every row and keeps the entries of its columns).
pub(super) fn rows_to_csc(
    m: usize,
    n: usize,
    keep_zeros: bool,
    rows: impl Fn(EachRow<'_>) + Sync,
) -> Csc {
    let count = column_starts(n, &rows);
    let threads = if count[n] < PARALLEL_NNZ {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(4))
    };
    fill_columns(m, n, &rows, count, threads, keep_zeros)
}

/// Where each column's entries start (`n + 1` values, the last one the number of entries).
fn column_starts(n: usize, rows: &impl Fn(EachRow<'_>)) -> Vec<usize> {
    let mut count = vec![0usize; n + 1];
    rows(&mut |_, cols, _, _| {
        for &c in cols {
            count[c + 1] += 1;
        }
    });
    for j in 0..n {
        count[j + 1] += count[j];
    }
    count
}

/// The matrix, its columns starting at `count`, filled on `threads` threads.
fn fill_columns(
    m: usize,
    n: usize,
    rows: &(impl Fn(EachRow<'_>) + Sync),
    count: Vec<usize>,
    threads: usize,
    keep_zeros: bool,
) -> Csc {
    let total = count[n];
    let mut rowval = vec![0usize; total];
    let mut nzval = vec![0.0; total];
    // Column ranges with about `total / threads` entries each, and their slices of the output.
    let mut ranges = Vec::with_capacity(threads);
    let (mut rv, mut nz, mut lo) = (&mut rowval[..], &mut nzval[..], 0);
    for t in 1..=threads {
        let hi = if t == threads {
            n
        } else {
            count
                .partition_point(|&c| c < total * t / threads)
                .clamp(lo, n)
        };
        let (r, rest_r) = std::mem::take(&mut rv).split_at_mut(count[hi] - count[lo]);
        let (z, rest_z) = std::mem::take(&mut nz).split_at_mut(count[hi] - count[lo]);
        ranges.push((lo..hi, r, z));
        (rv, nz, lo) = (rest_r, rest_z, hi);
    }
    let (count_ref, rows_ref) = (&count, rows);
    let (next, slack): (Vec<Vec<usize>>, Vec<bool>) = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .into_iter()
            .map(|(cols, r, z)| s.spawn(move || fill(rows_ref, count_ref, cols, r, z, keep_zeros)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a fill thread panicked"))
            .unzip()
    });
    let next: Vec<usize> = next.concat();
    if !slack.contains(&true) {
        return Csc {
            m,
            n,
            colptr: count,
            rowval,
            nzval,
        };
    }
    // Compact: drop the slack left by merged duplicates and entries that cancelled to zero.
    let mut colptr = Vec::with_capacity(n + 1);
    colptr.push(0);
    let mut w = 0;
    for j in 0..n {
        for k in count[j]..next[j] {
            if keep_zeros || nzval[k] != 0.0 {
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

/// Fills the columns `cols` (their entries are `rowval`/`nzval`, which start at global position
/// `count[cols.start]`) from every row; returns where each column's entries end (global
/// positions) and whether any entry was merged or is zero.
fn fill(
    rows: &(impl Fn(EachRow<'_>) + Sync),
    count: &[usize],
    cols: std::ops::Range<usize>,
    rowval: &mut [usize],
    nzval: &mut [f64],
    keep_zeros: bool,
) -> (Vec<usize>, bool) {
    let (lo, base) = (cols.start, count[cols.start]);
    let mut next = count[cols.clone()].to_vec();
    let mut slack = false;
    rows(&mut |r, row_cols, vals, scale| {
        for (&c, &v) in row_cols.iter().zip(vals) {
            if !cols.contains(&c) {
                continue;
            }
            let v = scale * v;
            let pos = next[c - lo] - base;
            // Same row as the previous entry of this column: sum instead of storing twice.
            if pos + base > count[c] && rowval[pos - 1] == r {
                nzval[pos - 1] += v;
                slack = true;
            } else {
                rowval[pos] = r;
                nzval[pos] = v;
                next[c - lo] += 1;
                slack |= v == 0.0 && !keep_zeros;
            }
        }
    });
    (next, slack)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conic::Triplets;

    /// `rows_to_csc` of rows given as `(row_ptr, cols, vals)`, on one to four threads, against
    /// `Triplets::into_csc`.
    fn check(m: usize, n: usize, row_ptr: &[usize], cols: &[usize], vals: &[f64]) -> Csc {
        let rows = |f: EachRow<'_>| {
            for r in 0..m {
                let t = row_ptr[r]..row_ptr[r + 1];
                f(r, &cols[t.clone()], &vals[t], 1.0);
            }
        };
        let mut t = Triplets::new(m, n);
        for r in 0..m {
            for k in row_ptr[r]..row_ptr[r + 1] {
                t.push(r, cols[k], vals[k]);
            }
        }
        let expected = t.into_csc();
        assert_eq!(rows_to_csc(m, n, false, rows), expected);
        for threads in 2..=4 {
            let count = column_starts(n, &rows);
            assert_eq!(
                fill_columns(m, n, &rows, count, threads, false),
                expected,
                "{threads} threads"
            );
        }
        expected
    }

    #[test]
    fn matches_triplet_compression() {
        // Rows with repeated columns, a cancelling pair, an empty row and an unused column.
        let a = check(
            4,
            5,
            &[0, 3, 3, 6, 8],
            &[2, 0, 2, 1, 1, 4, 0, 2],
            &[1.0, 2.0, 3.0, 1.0, -1.0, 5.0, 7.0, -1.5],
        );
        assert_eq!(a.colptr, vec![0, 2, 2, 4, 4, 5]);
        // No repeats and no zeros: the counts are the column starts as they are.
        let a = check(3, 3, &[0, 2, 3, 4], &[0, 2, 1, 2], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(a.colptr, vec![0, 1, 2, 4]);
        // An explicit zero alone is dropped too, unless structural zeros are kept: then every
        // written position stays, merged duplicates still summed.
        let (row_ptr, cols, vals) = ([0, 2, 3], [0, 1, 1], [1.0, 0.0, 4.0]);
        let a = check(2, 2, &row_ptr, &cols, &vals);
        assert_eq!(a.colptr, vec![0, 1, 2]);
        let rows = |f: EachRow<'_>| {
            for r in 0..2 {
                let t = row_ptr[r]..row_ptr[r + 1];
                f(r, &cols[t.clone()], &vals[t], 1.0);
            }
        };
        for threads in 1..=3 {
            let kept = fill_columns(2, 2, &rows, column_starts(2, &rows), threads, true);
            assert_eq!(kept.colptr, vec![0, 1, 3], "{threads} threads");
            assert_eq!(kept.rowval, vec![0, 0, 1]);
            assert_eq!(kept.nzval, vec![1.0, 0.0, 4.0]);
        }
    }

    #[test]
    fn threads_split_columns_of_a_larger_matrix() {
        // 60 rows over 17 columns with repeats, cancellations and empty columns, so that the
        // column ranges of the threads cut through runs of every kind.
        let (m, n) = (60, 17);
        let (mut row_ptr, mut cols, mut vals) = (vec![0], Vec::new(), Vec::new());
        for r in 0..m {
            for k in 0..(r % 7) {
                let c = (r * 5 + k * 3) % n;
                if c % 6 != 4 {
                    cols.push(c);
                    vals.push(if k == 3 {
                        -1.0
                    } else {
                        (r + k) as f64 * 0.5 - 3.0
                    });
                }
            }
            if r % 5 == 0 {
                // The same column again with the opposite of its last value: cancels.
                if let (Some(&c), Some(&v)) = (cols.last(), vals.last()) {
                    cols.push(c);
                    vals.push(-v);
                }
            }
            row_ptr.push(cols.len());
        }
        check(m, n, &row_ptr, &cols, &vals);
    }
}
