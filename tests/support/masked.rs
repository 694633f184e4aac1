//! The sparse blocks of the pattern program: `D_i X` and `(2D_i − I) X` as triplets (test
//! support: the group-lasso program of `group_lasso.rs` is built from them).
//!
//! `D_i X` keeps the rows of `X` of the active samples and `(2D_i − I) X` flips the sign of the
//! inactive ones, so both are written straight from `X` and the pattern's bits: `nnz(X)`
//! entries per pattern, `O(P·n·d)` in all, never an n×n matrix nor a dense copy of `X`.
//! In the program the prediction is `ŷ = Σ_i D_i X (v_i − w_i)` (blocks `+D_i X` and `−D_i X`
//! in the rows of `ŷ`) and each block adds the non-negative rows `(2D_i − I) X v_i ≥ 0`.

use nalgebra::DMatrix;

use cnnc::conic::Triplets;
use cnnc::lower::patterns::Pattern;

/// Adds `scale · D X` with its top-left corner at `(row0, col0)`: row `row0 + j` gets
/// `scale · x_j` for each active sample `j`; inactive samples add nothing.
pub fn push_masked(
    t: &mut Triplets,
    x: &DMatrix<f64>,
    pattern: &Pattern,
    row0: usize,
    col0: usize,
    scale: f64,
) {
    debug_assert_eq!(pattern.samples(), x.nrows());
    for j in pattern.active() {
        for (k, &value) in x.row(j).iter().enumerate() {
            t.push(row0 + j, col0 + k, scale * value);
        }
    }
}

/// Adds `scale · (2D − I) X` with its top-left corner at `(row0, col0)`: row `row0 + j` gets
/// `scale · x_j` for an active sample `j` and `−scale · x_j` for an inactive one.
pub fn push_signed(
    t: &mut Triplets,
    x: &DMatrix<f64>,
    pattern: &Pattern,
    row0: usize,
    col0: usize,
    scale: f64,
) {
    debug_assert_eq!(pattern.samples(), x.nrows());
    for j in 0..x.nrows() {
        let s = if pattern.get(j) { scale } else { -scale };
        for (k, &value) in x.row(j).iter().enumerate() {
            t.push(row0 + j, col0 + k, s * value);
        }
    }
}
