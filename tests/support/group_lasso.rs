//! The group-lasso program of the activation patterns, built from `masked`'s sparse blocks and
//! solved by Clarabel directly: a stand-in for the lowering (which belongs to the convex-program
//! layer) shared by the seed 003 test and the coverage bench.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SecondOrderConeT,
    SolverStatus, SupportedConeT, ZeroConeT,
};
use cnnc::conic::{Csc, Triplets};
use cnnc::lower::patterns::{Blocks, Patterns};

#[path = "masked.rs"]
pub mod masked;
use masked::{push_masked, push_signed};
use nalgebra::{DMatrix, DVector};

fn clarabel_csc(c: Csc) -> CscMatrix<f64> {
    CscMatrix::new(c.m, c.n, c.colptr, c.rowval, c.nzval)
}

/// Solves `min ½‖e‖² + β Σ t` s.t. `e = Σ_i D_i X (v_i − w_i) − y`, `(2D_i − I) X v_i ≥ 0`,
/// `(2D_i − I) X w_i ≥ 0`, `‖v_i‖ ≤ t_{2i}`, `‖w_i‖ ≤ t_{2i+1}`; returns the blocks and optimum.
pub fn solve(x: &DMatrix<f64>, y: &DVector<f64>, p: &Patterns, beta: f64) -> (Blocks, f64) {
    let (n, d) = x.shape();
    let blocks = 2 * p.len();
    // Columns: [v_0, w_0, v_1, w_1, ...] (d each), then t (one per block), then e (n).
    let t0 = blocks * d;
    let e0 = t0 + blocks;
    let cols = e0 + n;
    let rows = n + blocks * n + blocks * (d + 1);
    let mut a = Triplets::new(rows, cols);
    let mut b = vec![0.0; rows];
    for j in 0..n {
        a.push(j, e0 + j, 1.0);
        b[j] = -y[j];
    }
    let mut row = n;
    for (i, pattern) in p.iter().enumerate() {
        for (k, sign) in [(2 * i, -1.0), (2 * i + 1, 1.0)] {
            push_masked(&mut a, x, pattern, 0, k * d, sign);
            push_signed(&mut a, x, pattern, row, k * d, -1.0);
            row += n;
        }
    }
    let mut cones: Vec<SupportedConeT<f64>> = vec![ZeroConeT(n), NonnegativeConeT(blocks * n)];
    for k in 0..blocks {
        a.push(row, t0 + k, -1.0);
        for c in 0..d {
            a.push(row + 1 + c, k * d + c, -1.0);
        }
        row += d + 1;
        cones.push(SecondOrderConeT(d + 1));
    }
    let mut quad = Triplets::new(cols, cols);
    for j in 0..n {
        quad.push(e0 + j, e0 + j, 1.0);
    }
    let mut q = vec![0.0; cols];
    q[t0..e0].iter_mut().for_each(|v| *v = beta);
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .build()
        .expect("valid settings");
    let quad = clarabel_csc(quad.into_csc());
    let a = clarabel_csc(a.into_csc());
    let mut solver =
        DefaultSolver::new(&quad, &q, &a, &b, &cones, settings).expect("well-formed problem");
    solver.solve();
    assert_eq!(solver.solution.status, SolverStatus::Solved);
    let sol = &solver.solution.x;
    let v = DMatrix::from_fn(p.len(), d, |i, c| sol[2 * i * d + c]);
    let w = DMatrix::from_fn(p.len(), d, |i, c| sol[(2 * i + 1) * d + c]);
    (Blocks { v, w }, solver.solution.obj_val)
}
