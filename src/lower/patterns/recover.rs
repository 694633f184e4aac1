//! From the convex program's blocks `(v_i, w_i)` back to a two-layer ReLU network.
//!
//! Each non-zero block gives one neuron: `(u, α) = (v/√‖v‖, √‖v‖)` and
//! `(w/√‖w‖, −√‖w‖)`. Where the block is feasible, `(2D_i − I) X v_i ≥ 0`, we have
//! `(X v_i)₊ = D_i X v_i`, so the neuron's output `(X u)₊ α = (X v_i)₊` is the block's term, and
//! its regularizer `(β/2)(‖u‖² + α²) = β‖v_i‖` is the block's: the recovered network's
//! non-convex objective equals the convex objective at every feasible point.
//!
//! **Merging.** Write a neuron as a sign `s = sign α` and `v = u|α|`, so its output is
//! `s (X v)₊` and its regularizer `(β/2)(‖u‖² + α²) ≥ β‖u‖|α| = β‖v‖` (AM–GM). Neurons with the
//! same `s` and the same actual pattern `1[X v > 0]` are replaced by one with `v = Σ_k v_k`:
//! on a sample where every `(X v_k)_j > 0` the sum is positive and `(X v)₊ = Σ_k (X v_k)₊`; where
//! every `(X v_k)_j ≤ 0` both sides are 0. So the output is unchanged, and the new regularizer
//! `β‖Σ_k v_k‖ ≤ β Σ_k ‖v_k‖ ≤ Σ_k (β/2)(‖u_k‖² + α_k²)`: merging never increases the objective.
//! Neurons with an empty actual pattern output nothing and are dropped. Numerically a sample
//! counts as active when `(X v)_j > ACTIVE_RTOL·‖x_j‖‖v‖`; a sample within that band of a
//! hyperplane can change the merged output by at most `ACTIVE_RTOL·‖x_j‖ Σ_k ‖v_k‖`.

use std::collections::hash_map::{Entry, HashMap};

use nalgebra::{DMatrix, DVector};

use super::pattern::{Pattern, Patterns};

/// Blocks with norm at most this times the largest block norm are zero (solver noise).
pub const ZERO_BLOCK_RTOL: f64 = 1e-6;

/// Relative margin above which a sample counts as active for merging (see the module doc).
pub const ACTIVE_RTOL: f64 = 1e-7;

/// A solution of the pattern program: row `i` of `v` and `w` (P×d) is the block of pattern `i`.
#[derive(Clone, Debug, PartialEq)]
pub struct Blocks {
    /// The blocks `v_i` (positive output weight), one row per pattern.
    pub v: DMatrix<f64>,
    /// The blocks `w_i` (negative output weight), one row per pattern.
    pub w: DMatrix<f64>,
}

/// A two-layer ReLU network `x ↦ Σ_j (x·u_j)₊ α_j`.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// First-layer weights, one row `u_j` per neuron (m×d).
    pub u: DMatrix<f64>,
    /// Output weights `α_j` (m).
    pub alpha: DVector<f64>,
}

impl Network {
    /// Number of neurons `m`.
    pub fn width(&self) -> usize {
        self.alpha.len()
    }
}

/// Neurons of the non-zero blocks, in pattern order (`v_i` before `w_i`). A block is zero when
/// its norm is at most `zero_rtol` times the largest block norm (see [`ZERO_BLOCK_RTOL`]).
pub fn recover(blocks: &Blocks, zero_rtol: f64) -> Network {
    let d = blocks.v.ncols();
    let largest = blocks
        .v
        .row_iter()
        .chain(blocks.w.row_iter())
        .map(|row| row.norm())
        .fold(0.0, f64::max);
    let mut rows = Vec::new();
    let mut alpha = Vec::new();
    for i in 0..blocks.v.nrows() {
        for (block, sign) in [(&blocks.v, 1.0), (&blocks.w, -1.0)] {
            let v = block.row(i);
            let norm = v.norm();
            if norm > 0.0 && norm > zero_rtol * largest {
                rows.push(v / norm.sqrt());
                alpha.push(sign * norm.sqrt());
            }
        }
    }
    network(d, &rows, alpha)
}

/// Merges neurons with the same output sign and the same actual activation pattern on `x`, and
/// drops neurons with no active sample; the objective does not increase (see the module doc).
/// Groups keep the order of their first neuron.
pub fn merge(net: &Network, x: &DMatrix<f64>) -> Network {
    let d = net.u.ncols();
    let row_norms: Vec<f64> = x.row_iter().map(|row| row.norm()).collect();
    let mut group: HashMap<(bool, Pattern), usize> = HashMap::new();
    let mut signs: Vec<bool> = Vec::new();
    let mut sums: Vec<DVector<f64>> = Vec::new();
    for (k, u) in net.u.row_iter().enumerate() {
        let a = net.alpha[k];
        let v = u.transpose() * a.abs();
        let v_norm = v.norm();
        let z = x * &v;
        let pattern = Pattern::from_fn(x.nrows(), |j| z[j] > ACTIVE_RTOL * row_norms[j] * v_norm);
        if a == 0.0 || pattern.count_active() == 0 {
            continue;
        }
        match group.entry((a > 0.0, pattern)) {
            Entry::Occupied(g) => sums[*g.get()] += v,
            Entry::Vacant(slot) => {
                slot.insert(sums.len());
                signs.push(a > 0.0);
                sums.push(v);
            }
        }
    }
    let mut rows = Vec::with_capacity(sums.len());
    let mut alpha = Vec::with_capacity(sums.len());
    for (positive, v) in signs.iter().zip(&sums) {
        let norm = v.norm();
        rows.push(v.transpose() / norm.sqrt());
        alpha.push(if *positive { norm.sqrt() } else { -norm.sqrt() });
    }
    network(d, &rows, alpha)
}

fn network(d: usize, rows: &[nalgebra::RowDVector<f64>], alpha: Vec<f64>) -> Network {
    let u = if rows.is_empty() {
        DMatrix::zeros(0, d)
    } else {
        DMatrix::from_rows(rows)
    };
    Network {
        u,
        alpha: DVector::from_vec(alpha),
    }
}

/// The network's outputs on `x` (n×d): `(X Uᵀ)₊ α`, with `u` m×d and `alpha` of length m.
pub fn forward(x: &DMatrix<f64>, u: &DMatrix<f64>, alpha: &DVector<f64>) -> DVector<f64> {
    (x * u.transpose()).map(|z| z.max(0.0)) * alpha
}

/// The non-convex objective `½‖(X Uᵀ)₊ α − y‖² + (β/2)(‖U‖_F² + ‖α‖²)`.
pub fn nonconvex_objective(
    x: &DMatrix<f64>,
    y: &DVector<f64>,
    u: &DMatrix<f64>,
    alpha: &DVector<f64>,
    beta: f64,
) -> f64 {
    let residual = forward(x, u, alpha) - y;
    0.5 * residual.norm_squared() + 0.5 * beta * (u.norm_squared() + alpha.norm_squared())
}

/// The convex program's prediction `Σ_i D_i X (v_i − w_i)`.
pub fn convex_prediction(blocks: &Blocks, patterns: &Patterns, x: &DMatrix<f64>) -> DVector<f64> {
    let mut yhat = DVector::zeros(x.nrows());
    for (i, pattern) in patterns.iter().enumerate() {
        let z = x * (blocks.v.row(i) - blocks.w.row(i)).transpose();
        for j in pattern.active() {
            yhat[j] += z[j];
        }
    }
    yhat
}

/// The convex objective `½‖Σ_i D_i X (v_i − w_i) − y‖² + β Σ_i (‖v_i‖₂ + ‖w_i‖₂)`.
pub fn convex_objective(
    blocks: &Blocks,
    patterns: &Patterns,
    x: &DMatrix<f64>,
    y: &DVector<f64>,
    beta: f64,
) -> f64 {
    let residual = convex_prediction(blocks, patterns, x) - y;
    let penalty: f64 = (0..patterns.len())
        .map(|i| blocks.v.row(i).norm() + blocks.w.row(i).norm())
        .sum();
    0.5 * residual.norm_squared() + beta * penalty
}

/// Largest violation of the cone constraints `(2D_i − I) X v_i ≥ 0`, `(2D_i − I) X w_i ≥ 0`,
/// as `max_{i,j} −((2D_i − I) X v_i)_j / (‖x_j‖ · max_k ‖v_k‖)` over the `v` and `w` blocks: 0
/// when every block is feasible, of the order of the solver's tolerance at a solver's answer.
pub fn max_violation(blocks: &Blocks, patterns: &Patterns, x: &DMatrix<f64>) -> f64 {
    let row_norms: Vec<f64> = x.row_iter().map(|row| row.norm()).collect();
    let largest = blocks
        .v
        .row_iter()
        .chain(blocks.w.row_iter())
        .map(|row| row.norm())
        .fold(0.0, f64::max);
    if largest == 0.0 {
        return 0.0;
    }
    let mut worst: f64 = 0.0;
    for (i, pattern) in patterns.iter().enumerate() {
        for block in [&blocks.v, &blocks.w] {
            let z = x * block.row(i).transpose();
            for j in 0..x.nrows() {
                let signed = if pattern.get(j) { z[j] } else { -z[j] };
                if row_norms[j] > 0.0 {
                    worst = worst.max(-signed / (row_norms[j] * largest));
                }
            }
        }
    }
    worst
}
