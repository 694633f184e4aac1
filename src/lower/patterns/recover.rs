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
//!
//! **Reduction.** With `c_j = ‖v_j‖`, `ū_j = v_j/c_j` and the column `a_j = s_j (X ū_j)₊`, the
//! predictions are `ŷ = Σ_j c_j a_j` and the regularizer is at least `β Σ_j c_j`. With the
//! directions fixed, the magnitudes are feasible for the LP `min Σ_j c_j s.t. Σ_j c_j a_j = ŷ,
//! c ≥ 0`. While the columns with `c_j > 0` are dependent, a null vector `z` (`A z = 0`) signed
//! so that `Σ z ≥ 0` (with a positive entry) moves `c ← c − t z` up to the first `c_j` hitting 0:
//! `ŷ` is unchanged, `Σ c` does not increase, and one neuron goes. The end point is a basic
//! solution: its columns are independent, so at most `rank A ≤ n` neurons remain (`rank A` can
//! exceed `rank X`: the ReLU is not linear).
//! Returned balanced (`‖u_j‖ = |α_j| = √c_j`), its regularizer is `β Σ c_j`, so the non-convex
//! objective does not increase.

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
    recover_indexed(blocks, zero_rtol).0
}

/// [`recover`], with the pattern (row of the blocks) each neuron comes from.
pub fn recover_indexed(blocks: &Blocks, zero_rtol: f64) -> (Network, Vec<usize>) {
    let d = blocks.v.ncols();
    let largest = blocks
        .v
        .row_iter()
        .chain(blocks.w.row_iter())
        .map(|row| row.norm())
        .fold(0.0, f64::max);
    let mut rows = Vec::new();
    let mut alpha = Vec::new();
    let mut of = Vec::new();
    for i in 0..blocks.v.nrows() {
        for (block, sign) in [(&blocks.v, 1.0), (&blocks.w, -1.0)] {
            let v = block.row(i);
            let norm = v.norm();
            if norm > 0.0 && norm > zero_rtol * largest {
                rows.push(v / norm.sqrt());
                alpha.push(sign * norm.sqrt());
                of.push(i);
            }
        }
    }
    (network(d, &rows, alpha), of)
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

/// Neurons whose largest output on `x`, `max_j |(x_j·u)₊ α|`, is at most `rtol` times the
/// largest output of the whole network are dropped: they are interior-point noise. Unlike a
/// threshold on block norms, this bounds what dropping changes: each prediction moves by at
/// most `rtol · max|ŷ|` per dropped neuron.
pub fn prune(net: &Network, x: &DMatrix<f64>, rtol: f64) -> Network {
    let d = net.u.ncols();
    let z = (x * net.u.transpose()).map(|v| v.max(0.0));
    let contribution: Vec<f64> = (0..net.width())
        .map(|j| z.column(j).amax() * net.alpha[j].abs())
        .collect();
    let scale = forward(x, &net.u, &net.alpha).amax();
    let keep: Vec<usize> = (0..net.width())
        .filter(|&j| contribution[j] > rtol * scale)
        .collect();
    let rows: Vec<nalgebra::RowDVector<f64>> =
        keep.iter().map(|&j| net.u.row(j).into_owned()).collect();
    network(d, &rows, keep.iter().map(|&j| net.alpha[j]).collect())
}

/// Relative output below which [`prune`] drops a neuron.
pub const PRUNE_RTOL: f64 = 1e-9;

/// A column whose distance to the span of the kept columns is at most this times its norm is
/// dependent on them ([`reduce`]).
pub const REDUCE_RTOL: f64 = 1e-10;

/// `Σ_j ‖u_j‖ |α_j|`: the regularizer `(β/2) Σ_j (‖u_j‖² + α_j²)` is at least `β` times this,
/// with equality when every neuron is balanced.
pub fn regularizer_sum(net: &Network) -> f64 {
    net.u
        .row_iter()
        .zip(net.alpha.iter())
        .map(|(u, a)| u.norm() * a.abs())
        .sum()
}

/// A basic solution of the magnitude LP (see the module doc): at most `rank A ≤ n` balanced
/// neurons, the survivors in input order, with the same predictions on `x` up to rounding and
/// `Σ_j ‖u_j‖|α_j|` not larger. Neurons with `α_j = 0`, `u_j = 0`, a non-finite `‖u_j‖|α_j|` or
/// no active sample go.
///
/// Columns are taken one at a time against an independent set `B` kept as a thin QR
/// factorization `A_B = Q R` (Gram–Schmidt with one reorthogonalization). A column at relative
/// distance above [`REDUCE_RTOL`] from `span B` joins `B`; otherwise its coefficients `w` in `B`
/// give the null vector `(w, −1)`, the ratio test drops a neuron, and a dropped column of `B`
/// leaves the factorization by Givens rotations. Cost `O(m n r)` flops for `r = rank A ≤
/// min(n, m)` (two projections per column, `O(r (n + r))` per removal); memory `O(n r)`, no n×m
/// matrix. Treating a column `a_j` at relative distance `≤ REDUCE_RTOL` as dependent moves the
/// predictions by at most `REDUCE_RTOL · t ‖a_j‖` per step of length `t`; on random data the
/// total is at rounding level (1e-15 relative).
pub fn reduce(net: &Network, x: &DMatrix<f64>) -> Network {
    let d = net.u.ncols();
    let mut rows = Vec::new();
    let mut alpha = Vec::new();
    for (j, cj) in basic(net, x) {
        let u = net.u.row(j);
        let root = cj.sqrt();
        rows.push(u * (root / u.norm()));
        alpha.push(root.copysign(net.alpha[j]));
    }
    network(d, &rows, alpha)
}

/// The neurons of [`reduce`]'s basic solution, in order, with their magnitudes `c_j`.
pub fn basic(net: &Network, x: &DMatrix<f64>) -> Vec<(usize, f64)> {
    let n = x.nrows();
    let m = net.width();
    let mut c = vec![0.0; m];
    let mut basis = Basis::new(n, n.min(m));
    for j in 0..m {
        let norm = net.u.row(j).norm();
        let cj = norm * net.alpha[j].abs();
        if cj == 0.0 || !cj.is_finite() {
            continue;
        }
        let a = column(x, net, j, norm);
        let a_norm = a.norm();
        if a_norm == 0.0 {
            continue;
        }
        c[j] = cj;
        loop {
            let (coef, e, e_norm) = basis.project(&a);
            if basis.len() < n && e_norm > REDUCE_RTOL * a_norm {
                basis.push(j, &coef, &e, e_norm);
                break;
            }
            let w = basis.solve(&coef);
            // z = (w, −1) on B ∪ {j}; move along −z when Σ z ≤ 0 (its j entry is +1), so
            // c ← c − t·z' never raises Σ c.
            let flip = w.sum() - 1.0 <= 0.0;
            let z = |p: usize| if flip { -w[p] } else { w[p] };
            let mut t = if flip { c[j] } else { f64::INFINITY };
            let mut hit = None;
            for (p, &i) in basis.cols.iter().enumerate() {
                if z(p) > 0.0 && c[i] / z(p) < t {
                    (t, hit) = (c[i] / z(p), Some(p));
                }
            }
            if !t.is_finite() {
                // Σ w > 1 leaves a positive w_p; only NaN coefficients get here.
                c[j] = 0.0;
                break;
            }
            c[j] += if flip { -t } else { t };
            for (p, &i) in basis.cols.iter().enumerate() {
                c[i] -= t * z(p);
            }
            match hit {
                Some(p) => c[basis.cols[p]] = 0.0,
                None => c[j] = 0.0,
            }
            for p in (0..basis.len()).rev() {
                if c[basis.cols[p]] <= 0.0 {
                    c[basis.cols[p]] = 0.0;
                    basis.remove(p);
                }
            }
            if c[j] <= 0.0 {
                c[j] = 0.0;
                break;
            }
        }
    }
    let mut kept = basis.cols.clone();
    kept.sort_unstable();
    kept.into_iter().map(|j| (j, c[j])).collect()
}

/// The column `a_j = s_j (X ū_j)₊` of neuron `j`, with `norm = ‖u_j‖ > 0`.
fn column(x: &DMatrix<f64>, net: &Network, j: usize, norm: f64) -> DVector<f64> {
    let sign = net.alpha[j].signum() / norm;
    (x * net.u.row(j).transpose()).map(|z| z.max(0.0) * sign)
}

/// Independent columns `A_B = Q R` (Q n×k orthonormal, R k×k upper triangular) and the neurons
/// they belong to; storage for up to `cap` columns.
struct Basis {
    q: DMatrix<f64>,
    r: DMatrix<f64>,
    cols: Vec<usize>,
}

impl Basis {
    fn new(n: usize, cap: usize) -> Self {
        Basis {
            q: DMatrix::zeros(n, cap),
            r: DMatrix::zeros(cap, cap),
            cols: Vec::with_capacity(cap),
        }
    }

    fn len(&self) -> usize {
        self.cols.len()
    }

    /// `(Qᵀa, a − Q Qᵀa, its norm)`, projected twice against loss of orthogonality. When `Q`
    /// is square, `a` is in its span: only `Qᵀa` is computed and the residual is reported 0.
    fn project(&self, a: &DVector<f64>) -> (DVector<f64>, DVector<f64>, f64) {
        let q = self.q.columns(0, self.len());
        let mut coef = q.tr_mul(a);
        if self.len() == a.len() {
            return (coef, DVector::zeros(0), 0.0);
        }
        let mut e = a - q * &coef;
        let again = q.tr_mul(&e);
        e -= q * &again;
        coef += again;
        let e_norm = e.norm();
        (coef, e, e_norm)
    }

    /// Appends neuron `j`'s column, given its [`Basis::project`] output.
    fn push(&mut self, j: usize, coef: &DVector<f64>, e: &DVector<f64>, e_norm: f64) {
        let k = self.len();
        self.q.column_mut(k).copy_from(&(e / e_norm));
        self.r.view_mut((0, k), (k, 1)).copy_from(coef);
        self.r[(k, k)] = e_norm;
        self.cols.push(j);
    }

    /// The coefficients `w` of `A_B w = Q coef`: `R w = coef`.
    fn solve(&self, coef: &DVector<f64>) -> DVector<f64> {
        let k = self.len();
        let mut w = coef.clone();
        // The diagonal is positive (`R[k, k] = ‖e‖ > 0`, kept by the rotations), so this succeeds.
        self.r
            .view((0, 0), (k, k))
            .solve_upper_triangular_mut(&mut w);
        w
    }

    /// Removes column `p`: shifting the later columns of R left leaves it upper Hessenberg,
    /// and rotations of rows `l, l + 1` (and the same columns of Q) restore it.
    fn remove(&mut self, p: usize) {
        let k = self.len();
        let (n, cap) = (self.q.nrows(), self.r.nrows());
        let r = self.r.as_mut_slice();
        // Column-major: the later columns of R move left as one block.
        r.copy_within((p + 1) * cap..k * cap, p * cap);
        for l in p..k - 1 {
            let (a, b) = (r[l * cap + l], r[l * cap + l + 1]);
            let rho = a.hypot(b);
            let (cs, sn) = (a / rho, b / rho);
            for col in l..k - 1 {
                let (x, y) = (r[col * cap + l], r[col * cap + l + 1]);
                r[col * cap + l] = cs * x + sn * y;
                r[col * cap + l + 1] = cs * y - sn * x;
            }
            r[l * cap + l + 1] = 0.0;
            let (left, right) = self.q.as_mut_slice()[l * n..(l + 2) * n].split_at_mut(n);
            for (x, y) in left.iter_mut().zip(right.iter_mut()) {
                (*x, *y) = (cs * *x + sn * *y, cs * *y - sn * *x);
            }
        }
        self.r.column_mut(k - 1).fill(0.0);
        self.r.row_mut(k - 1).fill(0.0);
        self.q.column_mut(k - 1).fill(0.0);
        self.cols.remove(p);
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

#[cfg(test)]
mod tests {
    use super::*;
    use good_lp::{microlp, variable, Expression, ProblemVariables, Solution, SolverModel};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};

    /// `n` samples of `d − 1` uniform features in [−3, 3] and a ones column.
    fn data(rng: &mut ChaCha8Rng, n: usize, d: usize) -> DMatrix<f64> {
        DMatrix::from_fn(n, d, |_, k| {
            if k == d - 1 {
                1.0
            } else {
                rng.random_range(-3.0..3.0)
            }
        })
    }

    /// `m` neurons with Gaussian directions, mixed signs, half of them balanced, plus a dead
    /// one (`x·u = −1` on the ones column), one with `α = 0` and one with `u = 0`.
    fn random_net(rng: &mut ChaCha8Rng, m: usize, d: usize) -> Network {
        let mut rows = Vec::new();
        let mut alpha = Vec::new();
        for _ in 0..m {
            let g: DVector<f64> = DVector::from_fn(d, |_, _| StandardNormal.sample(rng));
            let a: f64 = rng.random_range(0.2..2.0);
            let a = if rng.random_bool(0.5) { a } else { -a };
            let scale = if rng.random_bool(0.5) {
                a.abs() / g.norm()
            } else {
                rng.random_range(0.1..3.0)
            };
            rows.push((g * scale).transpose());
            alpha.push(a);
        }
        let mut dead = nalgebra::RowDVector::zeros(d);
        dead[d - 1] = -1.0;
        rows.push(dead);
        alpha.push(1.5);
        rows.push(rows[0].clone());
        alpha.push(0.0);
        rows.push(nalgebra::RowDVector::zeros(d));
        alpha.push(-1.0);
        network(d, &rows, alpha)
    }

    /// The columns `(X u_j)₊ α_j / (‖u_j‖|α_j|)` of the neurons with `u_j ≠ 0 ≠ α_j` (n×m).
    fn columns(net: &Network, x: &DMatrix<f64>) -> DMatrix<f64> {
        let cols: Vec<DVector<f64>> = (0..net.width())
            .filter(|&j| net.alpha[j] != 0.0 && net.u.row(j).norm() > 0.0)
            .map(|j| {
                let u = net.u.row(j).transpose();
                (x * &u).map(|z| z.max(0.0)) * (net.alpha[j] / (u.norm() * net.alpha[j].abs()))
            })
            .collect();
        if cols.is_empty() {
            DMatrix::zeros(x.nrows(), 0)
        } else {
            DMatrix::from_columns(&cols)
        }
    }

    /// Numerical rank by SVD: singular values above `max(n, m)·ε·σ_max`.
    fn svd_rank(a: &DMatrix<f64>) -> usize {
        if a.ncols() == 0 {
            return 0;
        }
        let s = a.clone().svd(false, false).singular_values;
        let tol = a.nrows().max(a.ncols()) as f64 * f64::EPSILON * s.max();
        s.iter().filter(|&&v| v > tol).count()
    }

    fn sum_c(net: &Network) -> f64 {
        (0..net.width())
            .map(|j| net.u.row(j).norm() * net.alpha[j].abs())
            .sum()
    }

    /// The checks every reduction must pass; returns `‖Δŷ‖/‖ŷ‖`.
    fn check(net: &Network, x: &DMatrix<f64>, rng: &mut ChaCha8Rng) -> (Network, f64) {
        let out = reduce(net, x);
        let n = x.nrows();
        let rank = svd_rank(&columns(net, x));
        assert!(out.width() <= rank && rank <= n, "{} > {rank}", out.width());
        assert_eq!(svd_rank(&columns(&out, x)), out.width(), "not basic");
        let before = forward(x, &net.u, &net.alpha);
        let after = forward(x, &out.u, &out.alpha);
        let drift = (&after - &before).norm() / before.norm();
        assert!(drift <= 1e-9, "predictions moved by {drift:e}");
        let (c_in, c_out) = (sum_c(net), sum_c(&out));
        assert!(c_out <= c_in * (1.0 + 1e-9), "{c_out} > {c_in}");
        assert!((regularizer_sum(&out) - c_out).abs() <= 1e-12 * c_out);
        for j in 0..out.width() {
            let (u, a) = (out.u.row(j), out.alpha[j]);
            assert!((u.norm() - a.abs()).abs() <= 1e-12 * a.abs(), "unbalanced");
            let direction = u / u.norm();
            assert!(
                (0..net.width()).any(|k| net.alpha[k].signum() == a.signum()
                    && (net.u.row(k) / net.u.row(k).norm() - &direction).norm() < 1e-12),
                "neuron {j} is not an input direction"
            );
        }
        let y = DVector::from_fn(n, |_, _| rng.random_range(-5.0..5.0));
        for beta in [1e-3, 0.1, 1.0, 10.0] {
            let o_in = nonconvex_objective(x, &y, &net.u, &net.alpha, beta);
            let o_out = nonconvex_objective(x, &y, &out.u, &out.alpha, beta);
            assert!(
                o_out <= o_in + 1e-9 * (1.0 + o_in),
                "β={beta}: {o_out} > {o_in}"
            );
        }
        (out, drift)
    }

    #[test]
    fn reduce_random_networks_to_basic_solutions() {
        let mut rng = ChaCha8Rng::seed_from_u64(23);
        let mut worst: f64 = 0.0;
        for n in [8, 13, 21, 30, 40] {
            for d in 2..=5 {
                let x = data(&mut rng, n, d);
                let m = rng.random_range(3 * n..=5 * n);
                let net = random_net(&mut rng, m, d);
                let (out, drift) = check(&net, &x, &mut rng);
                assert!(out.width() < m);
                worst = worst.max(drift);
            }
        }
        // Every sample twice (rank A ≤ n/2) and magnitudes over nine orders.
        let half = data(&mut rng, 15, 3);
        let x = DMatrix::from_fn(30, 3, |i, k| half[(i / 2, k)]);
        let mut net = random_net(&mut rng, 120, 3);
        for j in 0..net.width() {
            net.alpha[j] *= 10f64.powf(rng.random_range(-6.0..3.0));
        }
        let (out, drift) = check(&net, &x, &mut rng);
        assert!(out.width() <= 15);
        worst = worst.max(drift);
        eprintln!("largest relative drift {worst:e}");
    }

    #[test]
    fn reduce_keeps_an_independent_network_balanced() {
        let mut rng = ChaCha8Rng::seed_from_u64(29);
        for (n, d) in [(10, 3), (25, 4), (40, 5)] {
            let x = data(&mut rng, n, d);
            let m = rng.random_range(n / 2..=n);
            // Random neurons, each kept only when it raises the SVD rank of the columns.
            let pool = random_net(&mut rng, 4 * n, d);
            let mut net = network(d, &[], vec![]);
            for k in 0..4 * n {
                if net.width() == m {
                    break;
                }
                let rows: Vec<_> = net
                    .u
                    .row_iter()
                    .chain([pool.u.row(k)])
                    .map(|r| r.into_owned())
                    .collect();
                let mut alpha: Vec<f64> = net.alpha.iter().copied().collect();
                alpha.push(pool.alpha[k]);
                let grown = network(d, &rows, alpha);
                if svd_rank(&columns(&grown, &x)) == grown.width() {
                    net = grown;
                }
            }
            assert_eq!(net.width(), m, "setup: too few independent neurons");
            let (out, _) = check(&net, &x, &mut rng);
            assert_eq!(out.width(), m);
            for j in 0..m {
                let (u, a) = (net.u.row(j), net.alpha[j]);
                let root = (u.norm() * a.abs()).sqrt();
                let expected = u * (root / u.norm());
                assert!((out.u.row(j) - expected).norm() <= 1e-12 * root);
                assert!((out.alpha[j] - root * a.signum()).abs() <= 1e-12 * root);
            }
        }
    }

    #[test]
    fn reduce_drops_dead_neurons_and_merges_copies() {
        let x = DMatrix::from_row_slice(4, 2, &[-1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0]);
        // Samples x = −1, 0, 1, 2 with a ones column. Neurons 0–2 share the direction
        // ū = (1, −½)/‖(1, −½)‖ with c = 2, 1 (unbalanced) and 3; neuron 3 is −√2 (1 − x)₊
        // with c = 2; neuron 4 is dead, 5 has α = 0, 6 has u = 0.
        let s = 1.0 / 1.25f64.sqrt();
        let u = DMatrix::from_row_slice(
            7,
            2,
            &[
                s * 1.0,
                -s * 0.5, // c = 2 with α = 2, ‖u‖ = 1
                4.0 * s,
                -2.0 * s, // ‖u‖ = 4, α = 1/4: c = 1
                s * 3.0,
                -s * 1.5, // ‖u‖ = 3, α = 1: c = 3
                -1.0,
                1.0, // ‖u‖ = √2, α = −√2: c = 2
                0.0,
                -1.0,
                1.0,
                1.0,
                0.0,
                0.0,
            ],
        );
        let alpha = DVector::from_vec(vec![2.0, 0.25, 1.0, -2f64.sqrt(), 1.0, 0.0, -1.0]);
        let net = Network { u, alpha };
        let out = reduce(&net, &x);
        assert_eq!(out.width(), 2);
        // One positive neuron carrying c = 2 + 1 + 3 and the negative one with c = 2.
        assert!((out.alpha[0] - 6f64.sqrt()).abs() < 1e-12);
        assert!((out.alpha[1] + 2f64.sqrt()).abs() < 1e-12);
        // 6 (x − ½)₊/‖(1, −½)‖ − √2 (1 − x)₊ at x = −1, 0, 1, 2.
        let (p, q) = (6.0 / 1.25f64.sqrt(), 2f64.sqrt());
        let expected = DVector::from_vec(vec![-2.0 * q, -q, 0.5 * p, 1.5 * p]);
        assert!((forward(&x, &out.u, &out.alpha) - expected).amax() < 1e-12);
        assert!((regularizer_sum(&out) - 8.0).abs() < 1e-12);
    }

    /// `min Σ c s.t. A c = ŷ, c ≥ 0` by microlp: the optimum and a vertex.
    fn lp(a: &DMatrix<f64>, yhat: &DVector<f64>) -> (f64, Vec<f64>) {
        let mut vars = ProblemVariables::new();
        let c: Vec<_> = (0..a.ncols())
            .map(|_| vars.add(variable().min(0.0)))
            .collect();
        let objective: Expression = c.iter().sum();
        let mut model = vars.minimise(objective).using(microlp);
        for i in 0..a.nrows() {
            let row: Expression = c.iter().enumerate().map(|(j, &cj)| a[(i, j)] * cj).sum();
            model = model.with(row.eq(yhat[i]));
        }
        let solution = model.solve().expect("feasible");
        let values: Vec<f64> = c.iter().map(|&cj| solution.value(cj)).collect();
        (values.iter().sum(), values)
    }

    #[test]
    fn reduce_lies_between_the_lp_optimum_and_the_input() {
        let mut rng = ChaCha8Rng::seed_from_u64(31);
        let (n, d, m) = (8, 3, 30);
        let x = data(&mut rng, n, d);
        let net = random_net(&mut rng, m, d);
        let live = Network {
            u: net.u.rows(0, m).into_owned(),
            alpha: net.alpha.rows(0, m).into_owned(),
        };
        let a = columns(&live, &x);
        let yhat = forward(&x, &net.u, &net.alpha);
        let (optimum, vertex) = lp(&a, &yhat);
        let (out, _) = check(&net, &x, &mut rng);
        let reduced = sum_c(&out);
        assert!(
            reduced >= optimum * (1.0 - 1e-9),
            "{reduced} < LP {optimum}"
        );
        assert!(reduced <= sum_c(&net) * (1.0 + 1e-9));

        // The LP's vertex, each neuron split into a balanced and an unbalanced copy (⅓ + ⅔):
        // already optimal, so the reduction keeps Σ c and one neuron per vertex entry.
        let mut rows = Vec::new();
        let mut alpha = Vec::new();
        for (j, &cj) in vertex.iter().enumerate() {
            if cj <= 1e-12 {
                continue;
            }
            let u = live.u.row(j) / live.u.row(j).norm();
            let s = live.alpha[j].signum();
            rows.push(&u * (cj / 3.0).sqrt());
            alpha.push(s * (cj / 3.0).sqrt());
            rows.push(&u * (2.0 * cj / 3.0 * 4.0));
            alpha.push(s / 4.0);
        }
        let support = rows.len() / 2;
        let optimal = network(d, &rows, alpha);
        assert!((sum_c(&optimal) - optimum).abs() <= 1e-9 * optimum);
        let (out, _) = check(&optimal, &x, &mut rng);
        assert_eq!(out.width(), support);
        assert!((sum_c(&out) - optimum).abs() <= 1e-9 * optimum);
    }

    #[test]
    fn reduce_a_large_network() {
        let mut rng = ChaCha8Rng::seed_from_u64(37);
        let (n, d, m) = (300, 11, 2000);
        let x = data(&mut rng, n, d);
        let net = random_net(&mut rng, m, d);
        let out = reduce(&net, &x);
        assert!(out.width() <= n);
        assert_eq!(svd_rank(&columns(&out, &x)), out.width(), "not basic");
        let before = forward(&x, &net.u, &net.alpha);
        let drift = (forward(&x, &out.u, &out.alpha) - &before).norm() / before.norm();
        assert!(drift <= 1e-9, "predictions moved by {drift:e}");
        assert!(sum_c(&out) <= sum_c(&net) * (1.0 + 1e-9));
        eprintln!("width {} → {}, drift {drift:e}", m + 3, out.width());
    }
}
