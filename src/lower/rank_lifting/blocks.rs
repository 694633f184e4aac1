//! The parameterized part of the rank-lifting program: one lifted matrix per bilinear equality,
//! its nuclear norm in the objective.
//!
//! ```text
//! M(P, Q, C) = [ I        Q − Q₀                 ]      PQ = C  ⇔  rank M = rows of Q
//!              [ P − P₀   C − P Q₀ − P₀ Q + P₀ Q₀ ]
//! ‖[[p, q], [r, s]]‖_* = max(‖(p + s, q − r)‖₂, ‖(p − s, q + r)‖₂)     (2×2: two soc(3))
//! ```
//! Complementarity entry: `P = a`, `Q = a − z`, `C = 0`. Element-wise product: `P = w_ik`,
//! `Q = a_jk`, `C = t_jik`. Matrix product (PSD form): `P = Aˡ⁻¹`, `Q = Wˡᵀ`, `C = Zˡ − 1 bˡᵀ`.
//! Every entry is affine in the decision variables for fixed `P₀, Q₀`; every coefficient is
//! written even when it is 0 this time, so the sparsity pattern does not depend on them.

use nalgebra::DMatrix;

use super::{Form, Lifted, Params};
use crate::convex::{Affine, Atom, Constraint, Expr, Program};

/// Scalar column of entry `(r, c)` of program block `v`.
pub(super) fn col(prog: &Program, v: crate::convex::VarId, r: usize, c: usize) -> usize {
    let b = &prog.vars[v.0];
    b.offset + r + c * b.rows
}

/// One 2×2 block `[[1, q], [r, s]]` with epigraph column `t`; each of `q, r, s` is a term list
/// and a constant.
pub(super) struct Block<'a> {
    t: usize,
    q: &'a [(usize, f64)],
    qc: f64,
    r: &'a [(usize, f64)],
    rc: f64,
    s: &'a [(usize, f64)],
    sc: f64,
}

impl Block<'_> {
    /// The six rows of its two cones `t ≥ ‖(1 + s, q − r)‖`, `t ≥ ‖(1 − s, q + r)‖`, as the
    /// affine entries `[t; x₀; x₁]` of each: `term(row, column, coefficient)` in order, then
    /// `constant(row, value)` for each row (rows 0..6 of the block).
    pub(super) fn rows(
        &self,
        mut term: impl FnMut(usize, usize, f64),
        mut constant: impl FnMut(usize, f64),
    ) {
        for (c, sign) in [1.0, -1.0].into_iter().enumerate() {
            let row = 3 * c;
            term(row, self.t, 1.0);
            constant(row, 0.0);
            for &(j, a) in self.s {
                term(row + 1, j, sign * a);
            }
            constant(row + 1, 1.0 + sign * self.sc);
            for &(j, a) in self.q {
                term(row + 2, j, a);
            }
            for &(j, a) in self.r {
                term(row + 2, j, -sign * a);
            }
            constant(row + 2, self.qc - sign * self.rc);
        }
    }

    /// Its two cones as constraints.
    fn constraints(&self, label: &str, out: &mut Vec<Constraint>) {
        let (mut rows, mut cst): ([Vec<(usize, f64)>; 6], [f64; 6]) = Default::default();
        self.rows(|r, j, a| rows[r].push((j, a)), |r, c| cst[r] = c);
        for c in 0..2 {
            let x = Affine::from_fn(2, 1, |e, terms| {
                for &(j, a) in &rows[3 * c + 1 + e] {
                    terms.push(j, a);
                }
                cst[3 * c + 1 + e]
            });
            out.push(
                Constraint::soc(Affine::columns(self.t, 1, 1).into(), x.into()).with_label(label),
            );
        }
    }
}

/// Every 2×2 block for parameters `p`, in order (complementarity, then element-wise layer
/// products), with its group's label.
pub(super) fn each_block(
    prog: &Program,
    lifted: &Lifted,
    p: &Params,
    form: Form,
    mut f: impl FnMut(&Block<'_>, &str),
) {
    let n = p.a0.first().map_or(0, DMatrix::nrows);
    // Complementarity: P = a, Q = a − z, C = 0, p0 = a0, q0 = a0 − z0.
    for (h, (&a, &z)) in lifted.a.iter().zip(&lifted.z).enumerate() {
        let (a0, z0) = (&p.a0[h], &p.z0[h]);
        let e = lifted.e_relu[h];
        let label = format!("complementarity of layer {}", h + 1);
        for i in 0..a0.ncols() {
            for j in 0..n {
                let (ca, cz) = (col(prog, a, j, i), col(prog, z, j, i));
                let (pa, q0) = (a0[(j, i)], a0[(j, i)] - z0[(j, i)]);
                // q = a − z − q0, r = a − a0, s = −(q0 + a0) a + a0 z + a0 q0.
                let block = Block {
                    t: col(prog, e, j, i),
                    q: &[(ca, 1.0), (cz, -1.0)],
                    qc: -q0,
                    r: &[(ca, 1.0)],
                    rc: -pa,
                    s: &[(ca, -(q0 + pa)), (cz, pa)],
                    sc: pa * q0,
                };
                f(&block, &label);
            }
        }
    }
    if form != Form::Elementwise {
        return;
    }
    // Layer products l ≥ 2, one block per scalar product w_ik a_jk.
    for (l, prod) in lifted.products.iter().enumerate() {
        let layer = l + 1;
        let (w, a_in) = (lifted.w[layer], lifted.a[layer - 1]);
        let (w0, a0) = (&p.w0[layer], &p.a0[layer - 1]);
        let (t, e) = (prod.t.expect("element-wise"), prod.e.expect("element-wise"));
        let label = format!("products of layer {}", layer + 1);
        for i in 0..prod.outputs {
            for k in 0..prod.inputs {
                let cw = col(prog, w, i, k);
                for j in 0..n {
                    let ca = col(prog, a_in, j, k);
                    let ct = col(prog, t, j, i * prod.inputs + k);
                    let (pw, qa) = (w0[(i, k)], a0[(j, k)]);
                    // q = a − a0, r = w − w0, s = t − w a0 − w0 a + w0 a0.
                    let block = Block {
                        t: col(prog, e, j, i * prod.inputs + k),
                        q: &[(ca, 1.0)],
                        qc: -qa,
                        r: &[(cw, 1.0)],
                        rc: -pw,
                        s: &[(ct, 1.0), (cw, -qa), (ca, -pw)],
                        sc: pw * qa,
                    };
                    f(&block, &label);
                }
            }
        }
    }
}

/// The cone constraints of every 2×2 block and the nuclear-norm terms of the matrix form for
/// parameters `p`.
pub(super) fn build(
    prog: &Program,
    lifted: &Lifted,
    p: &Params,
    form: Form,
) -> (Vec<Constraint>, Vec<Expr>) {
    let mut cons = Vec::new();
    each_block(prog, lifted, p, form, |b, label| {
        b.constraints(label, &mut cons)
    });
    let norms = match form {
        Form::Elementwise => Vec::new(),
        Form::Matrix => (0..lifted.products.len())
            .map(|l| {
                Expr::atom(Atom::NuclearNorm, vec![matrix(prog, lifted, p, l).into()])
                    .expect("a matrix argument")
            })
            .collect(),
    };
    (cons, norms)
}

/// The lifted matrix of layer product `l` (0-based among products), `(m+n)×(m+o)`.
fn matrix(prog: &Program, lifted: &Lifted, p: &Params, l: usize) -> Affine {
    let prod = &lifted.products[l];
    let layer = l + 1;
    let (w, a_in, z) = (lifted.w[layer], lifted.a[layer - 1], lifted.z[layer]);
    let (w0, a0) = (&p.w0[layer], &p.a0[layer - 1]);
    let (m, o) = (prod.inputs, prod.outputs);
    let n = a0.nrows();
    let bias = lifted.b[layer];
    let bias_col = prod.bias_column;
    Affine::from_fn(m + n, m + o, |e, terms| {
        let (r, c) = (e % (m + n), e / (m + n));
        match (r < m, c < m) {
            (true, true) => f64::from(u8::from(r == c)),
            // Q − Q₀ = Wᵀ − W₀ᵀ: entry (k, i).
            (true, false) => {
                let (k, i) = (r, c - m);
                terms.push(col(prog, w, i, k), 1.0);
                -w0[(i, k)]
            }
            // P − P₀ = A − A₀: entry (j, k).
            (false, true) => {
                let (j, k) = (r - m, c);
                terms.push(col(prog, a_in, j, k), 1.0);
                -a0[(j, k)]
            }
            // C − P Q₀ − P₀ Q + P₀ Q₀ with C = z_ji − b_i (− w_i,last).
            (false, false) => {
                let (j, i) = (r - m, c - m);
                terms.push(col(prog, z, j, i), 1.0);
                if let Some(b) = bias {
                    terms.push(col(prog, b, i, 0), -1.0);
                }
                if bias_col {
                    terms.push(col(prog, w, i, m), -1.0);
                }
                let mut c0 = 0.0;
                for k in 0..m {
                    terms.push(col(prog, a_in, j, k), -w0[(i, k)]);
                    terms.push(col(prog, w, i, k), -a0[(j, k)]);
                    c0 += a0[(j, k)] * w0[(i, k)];
                }
                c0
            }
        }
    })
}

/// `‖[[1, q], [r, s]]‖_*` for numbers.
pub(super) fn nuclear_2x2(q: f64, r: f64, s: f64) -> f64 {
    f64::hypot(1.0 + s, q - r).max(f64::hypot(1.0 - s, q + r))
}

/// The nuclear norm of a dense matrix (sum of singular values).
pub(super) fn nuclear(m: DMatrix<f64>) -> f64 {
    m.singular_values().iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2x2_formula_is_the_sum_of_singular_values() {
        for &(q, r, s) in &[
            (0.0, 0.0, 0.0),
            (0.3, -1.2, 2.5),
            (-4.0, 0.5, -0.25),
            (1e-3, 2.0, 1e3),
        ] {
            let m = DMatrix::from_row_slice(2, 2, &[1.0, q, r, s]);
            let svd = nuclear(m);
            assert!(
                (nuclear_2x2(q, r, s) - svd).abs() < 1e-9 * (1.0 + svd),
                "{q} {r} {s}"
            );
        }
        // At an exact solution whose parameters are the solution, M = [[1, 0], [0, 0]]: 1.
        assert_eq!(nuclear_2x2(0.0, 0.0, 0.0), 1.0);
    }
}
