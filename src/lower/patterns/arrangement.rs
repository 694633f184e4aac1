//! Exact enumeration of the activation patterns of data of rank at most 3.
//!
//! In row-space coordinates `c_j ∈ R^r` (see [`RowSpace`]) the patterns are the sign vectors
//! of the full-dimensional cells of the central arrangement of the hyperplanes `c_j^⊥`. A
//! neuron on a cell boundary has the same `(X u)₊` as in an adjacent cell, so these cells give
//! every distinct output the convex program needs, and cells ↔ patterns is one-to-one.
//! The arrangement is essential (the `c_j` span `R^r`), so every cell is a pointed cone with an
//! extreme ray on `r − 1` of the hyperplanes: a *vertex ray* `h`, for `r = 2` one of the
//! critical angles `±c_a^⊥` (the sweep), for `r = 3` one of `±c_a × c_b`. The cells around a
//! vertex ray are `sign(c_j·h)` for the samples off it, combined with the cells of the
//! arrangement of the samples on it inside the plane `h^⊥` (one dimension less, recursively).
//! Every cell is reached from each of its extreme rays; the results are deduplicated.
//! Cost: `O(n^r)` vertex rays times `O(n)` each, so `O(n²)` for rank 2 and `O(n³)` for rank 3.
//! Degenerate data is handled by the same recursion: repeated and opposite points share a
//! hyperplane (ties at every vertex on it), zero rows are active in every pattern, and three or
//! more concurrent hyperplanes (collinear points with a bias column) give larger tie sets.
//! The counts in general position are Cover's `2 Σ_{k<r} C(n−1, k)` (e.g. `2n` for 1-D data
//! with a bias column, `n² − n + 2` for 2-D data in general position with a bias column).

use std::collections::HashSet;

use nalgebra::DMatrix;

use super::pattern::{Pattern, Patterns, Source};
use super::rowspace::{PatternError, RowSpace};

/// A sample is on a vertex ray `h` (unit) when `|ĉ_j·h| ≤ TIE_TOL` for its unit direction `ĉ_j`.
pub const TIE_TOL: f64 = 1e-9;

/// Two hyperplanes of rank-3 data whose unit normals have `‖ĉ_a × ĉ_b‖` at most this are
/// treated as one when forming vertex rays (their intersection is too ill-conditioned to tell
/// which samples lie on it); the cells between them are still reached through other vertices.
pub const PARALLEL_TOL: f64 = 1e-6;

/// The bound `2r(e(n−1)/r)^r` on the number of activation patterns of `n` samples of rank `r`
/// (Pilanci & Ergen 2020); `1` when `r = 0` or `n ≤ 1` (a single non-trivial cell or none).
pub fn pattern_bound(n: usize, r: usize) -> f64 {
    if r == 0 || n <= 1 {
        return 1.0;
    }
    let r = r as f64;
    2.0 * r * (std::f64::consts::E * (n as f64 - 1.0) / r).powf(r)
}

/// Every distinct activation pattern `1[X g ≥ 0]` of the full-dimensional cells, for `x` (n×d)
/// of numerical rank at most 3. Higher rank is refused with [`PatternError::RankTooHigh`].
pub fn exact(x: &DMatrix<f64>) -> Result<Patterns, PatternError> {
    exact_in(&RowSpace::new(x)?)
}

/// [`exact`] on data already in row-space coordinates.
pub fn exact_in(rs: &RowSpace) -> Result<Patterns, PatternError> {
    let n = rs.zero_row.len();
    if rs.rank > 3 {
        return Err(PatternError::RankTooHigh {
            rank: rs.rank,
            n,
            bound: pattern_bound(n, rs.rank),
        });
    }
    let nonzero: Vec<usize> = (0..n).filter(|&j| !rs.zero_row[j]).collect();
    let dirs: Vec<Vec<f64>> = nonzero.iter().map(|&j| rs.unit_row(j)).collect();
    let cells = if rs.rank == 0 {
        vec![Vec::new()]
    } else {
        cells(&dirs, rs.rank)
    };
    Ok(collect(n, rs, &nonzero, cells, Source::Exact))
}

/// Builds the deduplicated, sorted set from sign vectors over the non-zero rows.
pub(crate) fn collect(
    n: usize,
    rs: &RowSpace,
    nonzero: &[usize],
    signs: impl IntoIterator<Item = Vec<bool>>,
    source: Source,
) -> Patterns {
    let mut slot = vec![usize::MAX; n];
    for (k, &j) in nonzero.iter().enumerate() {
        slot[j] = k;
    }
    let mut seen = HashSet::new();
    let mut empty_found = false;
    for s in signs {
        if !s.iter().any(|&b| b) {
            empty_found = true;
            continue;
        }
        seen.insert(Pattern::from_fn(n, |j| rs.zero_row[j] || s[slot[j]]));
    }
    let mut list: Vec<Pattern> = seen.into_iter().collect();
    list.sort_unstable();
    Patterns {
        n,
        rank: rs.rank,
        list,
        empty_found,
        source,
    }
}

/// Sign vectors (`true` = positive side) of the full-dimensional cells of the arrangement of
/// the hyperplanes orthogonal to the unit vectors `v` in `R^k`, `1 ≤ k ≤ 3`.
fn cells(v: &[Vec<f64>], k: usize) -> Vec<Vec<bool>> {
    if v.is_empty() {
        return vec![Vec::new()];
    }
    let mut out = HashSet::new();
    match k {
        1 => {
            out.insert(v.iter().map(|c| c[0] > 0.0).collect());
            out.insert(v.iter().map(|c| c[0] < 0.0).collect());
        }
        2 => {
            for (a, c) in v.iter().enumerate() {
                let h = [-c[1], c[0]];
                for s in [1.0, -1.0] {
                    around(
                        v,
                        &[s * h[0], s * h[1]],
                        std::slice::from_ref(c),
                        &[a],
                        &mut out,
                    );
                }
            }
        }
        _ => {
            for a in 0..v.len() {
                for b in a + 1..v.len() {
                    let h = cross(&v[a], &v[b]);
                    let norm = dot(&h, &h).sqrt();
                    if norm <= PARALLEL_TOL {
                        continue;
                    }
                    let h: Vec<f64> = h.iter().map(|x| x / norm).collect();
                    let e2 = cross(&h, &v[a]);
                    for s in [1.0, -1.0] {
                        let hs: Vec<f64> = h.iter().map(|x| s * x).collect();
                        around(v, &hs, &[v[a].clone(), e2.clone()], &[a, b], &mut out);
                    }
                }
            }
        }
    }
    if out.is_empty() {
        // All hyperplanes coincide within the tolerances: two half-spaces.
        let line: Vec<Vec<f64>> = v.iter().map(|c| vec![dot(c, &v[0])]).collect();
        return cells(&line, 1);
    }
    // Any order: `collect` sorts the final set.
    out.into_iter().collect()
}

/// Adds the cells around the vertex ray `h` (unit); `basis` is an orthonormal basis of `h^⊥`
/// and `on` the indices of the hyperplanes that define `h` (on it by construction).
fn around(
    v: &[Vec<f64>],
    h: &[f64],
    basis: &[Vec<f64>],
    on: &[usize],
    out: &mut HashSet<Vec<bool>>,
) {
    let mut signs = vec![false; v.len()];
    let mut tied = Vec::new();
    for (j, c) in v.iter().enumerate() {
        let side = dot(c, h);
        if on.contains(&j) || side.abs() <= TIE_TOL {
            tied.push(j);
        } else {
            signs[j] = side > 0.0;
        }
    }
    let projected: Vec<Vec<f64>> = tied
        .iter()
        .map(|&j| {
            let t: Vec<f64> = basis.iter().map(|e| dot(&v[j], e)).collect();
            let norm = dot(&t, &t).sqrt();
            t.iter().map(|x| x / norm).collect()
        })
        .collect();
    for sub in cells(&projected, basis.len()) {
        for (&j, &s) in tied.iter().zip(&sub) {
            signs[j] = s;
        }
        out.insert(signs.clone());
    }
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn cross(a: &[f64], b: &[f64]) -> Vec<f64> {
    vec![
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
