//! Bounds `L ≤ z ≤ U` on a pre-activation `z = c + Σ_k w_k x_k`, proved before the big-M
//! constraints that use them are written.
//!
//! ```text
//! interval:  L = c + Σ_k min(w_k l_k, w_k u_k),   U = c + Σ_k max(w_k l_k, w_k u_k)
//! lp:        L = min z,  U = max z  over the LP relaxation (δ ∈ [0, 1]) of the layers before,
//!            the variables' boxes, and nothing else; never looser than the interval bound
//! ```
//! over columns with bounds `l_k ≤ x_k ≤ u_k` (a variable's declared box, `0 ≤ a ≤ U` for a ReLU
//! output). Both are valid for every point of the MILP, so no optimum is cut off: the interval
//! bound exactly, the LP bound up to the solver's accuracy, which [`LP_MARGIN`] covers.

use crate::conic::canon::canonicalize;
use crate::convex::{Affine, Constraint, Expr, Program, VarBlock};
use crate::solve::{self, Backend, Settings, Status};

/// Slack added to an LP bound, relative to `1 + |bound|`: Clarabel's optimum is accurate to
/// its tolerances (1e-8), so the bound widened by this holds for the exact LP optimum.
pub const LP_MARGIN: f64 = 1e-6;

/// Known bounds of every program column.
#[derive(Clone, Debug, Default)]
pub struct Columns {
    lo: Vec<f64>,
    hi: Vec<f64>,
}

impl Columns {
    /// Grows the table to `blocks` (new columns take their block's declared bounds).
    pub fn update(&mut self, blocks: &[VarBlock]) {
        for b in blocks {
            let end = b.offset + b.len();
            if end <= self.lo.len() {
                continue;
            }
            let start = self.lo.len().max(b.offset);
            self.lo.resize(start, f64::NEG_INFINITY);
            self.hi.resize(start, f64::INFINITY);
            self.lo.resize(end, b.lower.unwrap_or(f64::NEG_INFINITY));
            self.hi.resize(end, b.upper.unwrap_or(f64::INFINITY));
        }
    }

    /// Narrows column `col` to `[lo, hi]`.
    pub fn set(&mut self, col: usize, lo: f64, hi: f64) {
        self.lo[col] = self.lo[col].max(lo);
        self.hi[col] = self.hi[col].min(hi);
    }

    /// The bounds of column `col`.
    pub fn get(&self, col: usize) -> (f64, f64) {
        (self.lo[col], self.hi[col])
    }

    /// Interval bounds of entry `k` of `a`.
    pub fn interval(&self, a: &Affine, k: usize) -> (f64, f64) {
        let (cols, coefs, c) = a.entry(k);
        let (mut lo, mut hi) = (c, c);
        for (&col, &w) in cols.iter().zip(coefs) {
            if w == 0.0 {
                continue;
            }
            let (l, u) = self.get(col);
            let (a, b) = if w > 0.0 {
                (w * l, w * u)
            } else {
                (w * u, w * l)
            };
            lo += a;
            hi += b;
        }
        (lo, hi)
    }

    /// The columns of entry `k` of `a` with an infinite bound on the side that makes the
    /// interval bound of `a` infinite.
    pub fn unbounded(&self, a: &Affine, k: usize) -> Vec<usize> {
        let (cols, coefs, _) = a.entry(k);
        cols.iter()
            .zip(coefs)
            .filter(|(&c, &w)| w != 0.0 && !(self.lo[c].is_finite() && self.hi[c].is_finite()))
            .map(|(&c, _)| c)
            .collect()
    }
}

/// An LP for the bounds of one layer: the variables (integers relaxed to `[0, 1]` by their
/// declared bounds) and the constraints of the layers before.
pub struct Relaxation {
    vars: Vec<VarBlock>,
    constraints: Vec<Constraint>,
    /// LPs solved.
    pub solves: usize,
    /// LPs that ended without an optimum (their interval bound was kept).
    pub failed: usize,
}

impl Relaxation {
    /// The LP over `vars` and `constraints`.
    pub fn new(vars: &[VarBlock], constraints: &[Constraint]) -> Relaxation {
        let vars = vars
            .iter()
            .cloned()
            .map(|mut v| {
                v.integer = false;
                v
            })
            .collect();
        Relaxation {
            vars,
            constraints: constraints.to_vec(),
            solves: 0,
            failed: 0,
        }
    }

    /// `[L, U]` for `z` (1×1), intersected with the interval bound `(lo, hi)`.
    pub fn tighten(&mut self, z: &Affine, (lo, hi): (f64, f64)) -> (f64, f64) {
        let l = self.optimum(z, false).map_or(lo, |v| lo.max(v));
        let u = self.optimum(z, true).map_or(hi, |v| hi.min(v));
        // Rounding can cross the two for a neuron whose z is fixed; keep them ordered.
        if l > u {
            let m = 0.5 * (l + u);
            (m, m)
        } else {
            (l, u)
        }
    }

    /// `min z` (or `max z`), widened by the margin; `None` when the LP has no optimum.
    fn optimum(&mut self, z: &Affine, maximize: bool) -> Option<f64> {
        let mut p = Program {
            vars: self.vars.clone(),
            objective: None,
            constraints: std::mem::take(&mut self.constraints),
            keep_zeros: false,
        };
        let e = Expr::from(z.clone());
        if maximize {
            p.maximize(e);
        } else {
            p.minimize(e);
        }
        let result = canonicalize(&p)
            .ok()
            .and_then(|(c, _)| solve::solve(&c, Backend::Clarabel, &Settings::default()).ok());
        self.constraints = p.constraints;
        self.solves += 1;
        match result {
            Some(o) if o.status == Status::Optimal => {
                let v = o.objective?;
                let m = LP_MARGIN * (1.0 + v.abs());
                Some(if maximize { v + m } else { v - m })
            }
            _ => {
                self.failed += 1;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convex::VarSpec;

    #[test]
    fn interval_of_an_affine_entry_takes_each_coefficient_s_sign() {
        // z = 1 + 2x − 3y, x ∈ [−1, 2], y ∈ [0, 1]: L = 1 − 2 − 3 = −4, U = 1 + 4 − 0 = 5.
        let mut p = Program::new();
        p.add_var(VarSpec::new("x", 1, 1).lower(-1.0).upper(2.0));
        p.add_var(VarSpec::new("y", 1, 1).lower(0.0).upper(1.0));
        let mut c = Columns::default();
        c.update(&p.vars);
        let z = Affine::from_fn(1, 1, |_, t| {
            t.push(0, 2.0);
            t.push(1, -3.0);
            1.0
        });
        assert_eq!(c.interval(&z, 0), (-4.0, 5.0));
        assert!(c.unbounded(&z, 0).is_empty());
    }

    #[test]
    fn lp_bounds_use_the_constraints_and_never_loosen_the_interval() {
        // x, y ∈ [−1, 1] with x + y ≤ 0.5: max (x + y) = 0.5 (interval says 2), min −2.
        let mut p = Program::new();
        let x = p.add_var(VarSpec::new("x", 2, 1).lower(-1.0).upper(1.0));
        let s = p.var(x).sum();
        p.constrain(Constraint::le(Expr::from(s.clone()), Expr::scalar(0.5)));
        let mut c = Columns::default();
        c.update(&p.vars);
        let iv = c.interval(&s, 0);
        assert_eq!(iv, (-2.0, 2.0));
        let mut r = Relaxation::new(&p.vars, &p.constraints);
        let (l, u) = r.tighten(&s, iv);
        assert_eq!(
            l, -2.0,
            "the interval bound is kept when the LP is no tighter"
        );
        assert!((0.5..0.5 + 1e-5).contains(&u), "{u}");
        assert_eq!((r.solves, r.failed), (2, 0));
    }
}
