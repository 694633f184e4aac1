//! Seed 003 end to end: the group-lasso program over the exact patterns, built from the sparse
//! blocks of `support/masked.rs` and solved with Clarabel directly, against `docs/REFERENCE.md`
//! (CVXPY 1.9.3 + Clarabel 0.11.1): optimum 8.769406953e-4, 6 neurons after merging, predictions [0.99972, −0.99996, 0.99961, −0.99960, 1.00022].

#[path = "support/group_lasso.rs"]
mod group_lasso;

use cnnc::conic::Triplets;
use cnnc::lower::patterns::{
    convex_objective, exact, forward, max_violation, merge, nonconvex_objective, recover, Pattern,
    ZERO_BLOCK_RTOL,
};
use group_lasso::masked::{push_masked, push_signed};
use group_lasso::solve;
use nalgebra::{DMatrix, DVector};

#[test]
fn seed003_convex_optimum_and_recovered_network_match_the_reference() {
    let x = DMatrix::from_row_slice(5, 2, &[-1., 1., -5., 1., 2., 1., 0., 1., 3., 1.]);
    let y = DVector::from_vec(vec![1., -1., 1., -1., 1.]);
    let beta = 1e-4;
    let p = exact(&x).expect("rank 2");
    assert_eq!(p.len(), 9);
    let (blocks, optimum) = solve(&x, &y, &p, beta);

    let reference = 8.769406953e-4;
    assert!((optimum - reference).abs() <= 1e-6 * reference, "{optimum}");
    let convex = convex_objective(&blocks, &p, &x, &y, beta);
    assert!((convex - reference).abs() <= 1e-6 * reference, "{convex}");
    let violation = max_violation(&blocks, &p, &x);
    assert!(violation <= 1e-7, "{violation}");

    let net = recover(&blocks, ZERO_BLOCK_RTOL);
    // The reference counts 18 (every block); 6 of them are interior-point zeros here, of norm
    // about 5e-9 against a largest block of 1.4, which ZERO_BLOCK_RTOL (1e-6) drops.
    assert_eq!(net.width(), 12);
    let nonconvex = nonconvex_objective(&x, &y, &net.u, &net.alpha, beta);
    assert!((nonconvex - convex).abs() <= 1e-6 * convex, "{nonconvex}");

    let merged = merge(&net, &x);
    assert_eq!(merged.width(), 6);
    let after = nonconvex_objective(&x, &y, &merged.u, &merged.alpha, beta);
    assert!((after - nonconvex).abs() <= 1e-6 * nonconvex, "{after}");

    let predictions = forward(&x, &merged.u, &merged.alpha);
    let expected = [0.99972, -0.99996, 0.99961, -0.99960, 1.00022];
    assert_eq!(predictions.len(), expected.len(), "{predictions}");
    for (got, want) in predictions.iter().zip(expected) {
        assert!((got - want).abs() <= 2e-5, "{predictions}");
    }
}

/// The sparse blocks the program above is built from: `D X` keeps the active rows, `(2D − I) X`
/// flips the inactive ones (hand-computed for a 3×2 `X` and the pattern 1 0 1).
#[test]
fn masks_and_signs_rows() {
    let to_dense = |c: cnnc::conic::Csc| {
        let mut m = DMatrix::zeros(c.m, c.n);
        for (r, col, v) in c.iter() {
            m[(r, col)] += v;
        }
        m
    };
    let x = DMatrix::from_row_slice(3, 2, &[1., 2., 0., 3., -4., 1.]);
    let p = Pattern::from_fn(3, |j| j != 1);
    let mut t = Triplets::new(5, 4);
    push_masked(&mut t, &x, &p, 1, 2, 2.0);
    let dense = to_dense(t.into_csc());
    let mut expected = DMatrix::zeros(5, 4);
    expected[(1, 2)] = 2.;
    expected[(1, 3)] = 4.;
    expected[(3, 2)] = -8.;
    expected[(3, 3)] = 2.;
    assert_eq!(dense, expected);

    let mut t = Triplets::new(3, 2);
    push_signed(&mut t, &x, &p, 0, 0, -1.0);
    let dense = to_dense(t.into_csc());
    let expected = DMatrix::from_row_slice(3, 2, &[-1., -2., 0., 3., 4., -1.]);
    assert_eq!(dense, expected);
}
