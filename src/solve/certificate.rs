//! Naming the constraint groups behind a primal infeasibility.
//!
//! A certificate is a `z` with `Aᵀz = 0`, `bᵀz < 0` and `z ∈ K*` (block by block). Clarabel's
//! own certificate comes from an interior point, so it spreads weight over blocks that play no
//! part (two opposite bounds on an unrelated variable cancel in `Aᵀz`). We therefore look for the
//! certificate of least block weight,
//!
//! ```text
//! minimize Σₖ tₖ   subject to   Aᵀz = 0,  bᵀz ≤ −1,  zₖ ∈ Kₖ*,  tₖ ≥ |zₖᵢ| for every row i of block k
//! ```
//!
//! (a group-lasso on the blocks, which leaves the uninvolved ones at zero), and name the blocks
//! whose weight is not negligible. Dual cones: zero → free, nonnegative, second-order and PSD →
//! themselves, power(α) → `(u/α, v/(1−α), w) ∈ K_α`, exponential → `(−v, −u, e·w) ∈ K_exp`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};

use super::Settings;
use crate::conic::{Cone, ConicProblem, Triplets};

/// A block whose weight is below this fraction of the largest block's is not named.
const RELATIVE_CUTOFF: f64 = 1e-4;

/// The cone blocks involved in the infeasibility of `p`, in block order. `fallback` (Clarabel's
/// own certificate) is used instead when the least-weight certificate cannot be found within the
/// iteration and time limits of `s`. Empty when neither gives an answer.
pub(super) fn infeasible_blocks(
    p: &ConicProblem,
    fallback: Option<&[f64]>,
    s: &Settings,
) -> Vec<usize> {
    if let Some(weights) = least_weight_certificate(p, s) {
        return involved(weights);
    }
    let Some(z) = fallback else {
        return Vec::new();
    };
    let mut weights = Vec::with_capacity(p.cones.len());
    let mut row = 0;
    for c in &p.cones {
        let d = c.dim();
        let w = z
            .get(row..row + d)
            .map_or(0.0, |zb| zb.iter().fold(0.0f64, |m, v| m.max(v.abs())));
        weights.push(w);
        row += d;
    }
    involved(weights)
}

/// Indices of the weights that are not negligible, in order (not by weight: ties between
/// equally involved blocks would otherwise be broken by rounding noise).
fn involved(weights: Vec<f64>) -> Vec<usize> {
    let top = weights.iter().fold(0.0f64, |m, &w| m.max(w));
    if !(top > 0.0 && top.is_finite()) {
        return Vec::new();
    }
    (0..weights.len())
        .filter(|&i| weights[i] > RELATIVE_CUTOFF * top)
        .collect()
}

/// Solves the least-weight certificate problem above; the weight `tₖ` of every block.
fn least_weight_certificate(p: &ConicProblem, s: &Settings) -> Option<Vec<f64>> {
    let m = p.num_rows();
    let n = p.num_vars();
    let k = p.cones.len();
    // Variables: z (m), then t (k). Rows in Clarabel's form `s = h − G·v ∈ K`.
    let nv = m + k;
    let mut rows: Vec<(Vec<(usize, f64)>, f64)> = Vec::new();
    let mut cones: Vec<SupportedConeT<f64>> = Vec::new();

    // Aᵀz = 0.
    let mut at: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for (r, c, v) in p.a.iter() {
        at[c].push((r, v));
    }
    let zero_rows = at.iter().filter(|e| !e.is_empty()).count();
    for entries in at.into_iter().filter(|e| !e.is_empty()) {
        rows.push((entries, 0.0));
    }
    if zero_rows > 0 {
        push_cone(&mut cones, SupportedConeT::ZeroConeT(zero_rows));
    }
    // −1 − bᵀz ≥ 0.
    let bz: Vec<(usize, f64)> = (0..m)
        .filter(|&r| p.b[r] != 0.0)
        .map(|r| (r, p.b[r]))
        .collect();
    rows.push((bz, -1.0));
    push_cone(&mut cones, SupportedConeT::NonnegativeConeT(1));

    // zₖ ∈ Kₖ* and tₖ ≥ |zₖᵢ|.
    let mut start = 0;
    for (blk, c) in p.cones.iter().enumerate() {
        let d = c.dim();
        let z = |i: usize| start + i;
        match *c {
            Cone::Zero(_) => {}
            Cone::Nonneg(_) => {
                for i in 0..d {
                    rows.push((vec![(z(i), -1.0)], 0.0));
                }
                push_cone(&mut cones, SupportedConeT::NonnegativeConeT(d));
            }
            Cone::SecondOrder(_) => {
                for i in 0..d {
                    rows.push((vec![(z(i), -1.0)], 0.0));
                }
                push_cone(
                    &mut cones,
                    if d == 1 {
                        SupportedConeT::NonnegativeConeT(1)
                    } else {
                        SupportedConeT::SecondOrderConeT(d)
                    },
                );
            }
            Cone::PsdTriangle(_n) => {
                #[cfg(feature = "sdp")]
                {
                    for i in 0..d {
                        rows.push((vec![(z(i), -1.0)], 0.0));
                    }
                    push_cone(&mut cones, SupportedConeT::PSDTriangleConeT(_n));
                }
                #[cfg(not(feature = "sdp"))]
                return None;
            }
            Cone::Power(alpha) => {
                rows.push((vec![(z(0), -1.0 / alpha)], 0.0));
                rows.push((vec![(z(1), -1.0 / (1.0 - alpha))], 0.0));
                rows.push((vec![(z(2), -1.0)], 0.0));
                push_cone(&mut cones, SupportedConeT::PowerConeT(alpha));
            }
            Cone::Exponential => {
                rows.push((vec![(z(1), 1.0)], 0.0));
                rows.push((vec![(z(0), 1.0)], 0.0));
                rows.push((vec![(z(2), -std::f64::consts::E)], 0.0));
                push_cone(&mut cones, SupportedConeT::ExponentialConeT());
            }
        }
        let t = m + blk;
        for i in 0..d {
            rows.push((vec![(t, -1.0), (z(i), 1.0)], 0.0));
            rows.push((vec![(t, -1.0), (z(i), -1.0)], 0.0));
        }
        push_cone(&mut cones, SupportedConeT::NonnegativeConeT(2 * d));
        start += d;
    }

    let mut g = Triplets::new(rows.len(), nv);
    let mut h = Vec::with_capacity(rows.len());
    for (r, (entries, rhs)) in rows.into_iter().enumerate() {
        for (c, v) in entries {
            g.push(r, c, v);
        }
        h.push(rhs);
    }
    let g = g.into_csc();
    let g = CscMatrix::new(g.m, g.n, g.colptr, g.rowval, g.nzval);
    let mut q = vec![0.0; nv];
    q[m..].iter_mut().for_each(|v| *v = 1.0);
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .max_iter(s.max_iter)
        .time_limit(s.time_limit.unwrap_or(f64::INFINITY))
        .build()
        .ok()?;
    let mut solver =
        DefaultSolver::new(&CscMatrix::zeros((nv, nv)), &q, &g, &h, &cones, settings).ok()?;
    let solver = catch_unwind(AssertUnwindSafe(|| {
        solver.solve();
        solver
    }))
    .ok()?;
    match solver.solution.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => Some(solver.solution.x[m..].to_vec()),
        _ => None,
    }
}

/// Appends a cone, merging it into the previous one when both are of the same kind.
fn push_cone(cones: &mut Vec<SupportedConeT<f64>>, c: SupportedConeT<f64>) {
    match (cones.last_mut(), &c) {
        (Some(SupportedConeT::NonnegativeConeT(a)), SupportedConeT::NonnegativeConeT(b))
        | (Some(SupportedConeT::ZeroConeT(a)), SupportedConeT::ZeroConeT(b)) => *a += b,
        _ => cones.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conic::{ConicVar, Origin};

    /// Rows `(aᵀ, b)` meaning `b − aᵀx ∈ cone`.
    type Rows = Vec<(Vec<(usize, f64)>, f64)>;

    /// A problem from blocks of rows.
    fn problem(n: usize, blocks: Vec<(Cone, Rows)>) -> ConicProblem {
        let m: usize = blocks.iter().map(|(_, r)| r.len()).sum();
        let mut a = Triplets::new(m, n);
        let mut b = Vec::new();
        let mut cones = Vec::new();
        let mut r = 0;
        for (cone, rows) in blocks {
            for (row, rhs) in rows {
                for (c, v) in row {
                    a.push(r, c, v);
                }
                b.push(rhs);
                r += 1;
            }
            cones.push(cone);
        }
        ConicProblem {
            vars: (0..n)
                .map(|i| ConicVar {
                    name: format!("x{i}"),
                    integer: false,
                })
                .collect(),
            p: Triplets::new(n, n).into_csc(),
            q: vec![0.0; n],
            constant: 0.0,
            maximize: false,
            a: a.into_csc(),
            b,
            origins: vec![Origin::default(); cones.len()],
            cones,
        }
    }

    /// `s = (x, y, z)` for the three variables.
    fn identity3() -> Rows {
        (0..3).map(|i| (vec![(i, -1.0)], 0.0)).collect()
    }

    /// Bounds `−5 ≤ x₃ ≤ 5` on a variable nothing else uses.
    fn unrelated() -> (Cone, Rows) {
        (
            Cone::Nonneg(2),
            vec![(vec![(3, 1.0)], 5.0), (vec![(3, -1.0)], 5.0)],
        )
    }

    fn blocks_of(p: &ConicProblem) -> Vec<usize> {
        let w = least_weight_certificate(p, &Settings::default())
            .expect("infeasible, so a certificate exists");
        involved(w)
    }

    #[test]
    fn exponential_dual_cone() {
        // (x, y, z) ∈ K_exp with x = y = 1 needs z ≥ e; z ≤ 2 contradicts it.
        let p = problem(
            4,
            vec![
                (
                    Cone::Zero(2),
                    vec![(vec![(0, 1.0)], 1.0), (vec![(1, 1.0)], 1.0)],
                ),
                (Cone::Exponential, identity3()),
                (Cone::Nonneg(1), vec![(vec![(2, 1.0)], 2.0)]),
                unrelated(),
            ],
        );
        assert_eq!(blocks_of(&p), [0, 1, 2]);
    }

    #[test]
    fn power_dual_cone() {
        // x^0.3 y^0.7 ≥ |z| with x + y = 1 allows z ≤ 0.3^0.3·0.7^0.7 ≈ 0.543; z ≥ 0.6 contradicts.
        let p = problem(
            4,
            vec![
                (Cone::Zero(1), vec![(vec![(0, 1.0), (1, 1.0)], 1.0)]),
                (Cone::Power(0.3), identity3()),
                (Cone::Nonneg(1), vec![(vec![(2, -1.0)], -0.6)]),
                unrelated(),
            ],
        );
        assert_eq!(blocks_of(&p), [0, 1, 2]);
    }

    #[test]
    fn power_constraint_that_holds_is_left_out() {
        // The same with z ≥ 0.5 is feasible: no certificate exists.
        let p = problem(
            4,
            vec![
                (Cone::Zero(1), vec![(vec![(0, 1.0), (1, 1.0)], 1.0)]),
                (Cone::Power(0.3), identity3()),
                (Cone::Nonneg(1), vec![(vec![(2, -1.0)], -0.5)]),
                unrelated(),
            ],
        );
        assert!(least_weight_certificate(&p, &Settings::default()).is_none());
    }

    #[test]
    fn second_order_dual_cone() {
        // ‖(y, z)‖ ≤ x with x = 1 and y ≥ 2.
        let p = problem(
            4,
            vec![
                (Cone::Zero(1), vec![(vec![(0, 1.0)], 1.0)]),
                (Cone::SecondOrder(3), identity3()),
                (Cone::Nonneg(1), vec![(vec![(1, -1.0)], -2.0)]),
                unrelated(),
            ],
        );
        assert_eq!(blocks_of(&p), [0, 1, 2]);
    }

    #[cfg(feature = "sdp")]
    #[test]
    fn psd_dual_cone() {
        // [[x, y], [y, z]] ⪰ 0 with x = 1, z = 1 and y ≥ 2 (needs y² ≤ xz = 1).
        let s2 = std::f64::consts::SQRT_2;
        let p = problem(
            4,
            vec![
                (
                    Cone::Zero(2),
                    vec![(vec![(0, 1.0)], 1.0), (vec![(2, 1.0)], 1.0)],
                ),
                (
                    Cone::PsdTriangle(2),
                    vec![
                        (vec![(0, -1.0)], 0.0),
                        (vec![(1, -s2)], 0.0),
                        (vec![(2, -1.0)], 0.0),
                    ],
                ),
                (Cone::Nonneg(1), vec![(vec![(1, -1.0)], -2.0)]),
                unrelated(),
            ],
        );
        assert_eq!(blocks_of(&p), [0, 1, 2]);
    }
}
