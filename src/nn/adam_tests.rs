//! Adam on the seed003 reference problem and on small bounded problems.

use nalgebra::DMatrix;

use super::adam::{train, AdamOptions};
use super::test_models::*;
use crate::model::{Atom, BiasMode, CmpOp, Constraint, DataPart, LayerParam, Model, Shape};
use crate::syntax::ast::BinOp;

/// The convex optimum of the seed003 problem over all activation patterns
/// (docs/REFERENCE.md, computed with CVXPY 1.9.3 + Clarabel 0.11.1): the global optimum of
/// the non-convex objective below, for any width.
const SEED003_OPTIMUM: f64 = 8.769406953e-4;

/// Options with no warm start.
fn options(lr: f64, epochs: usize, restarts: usize, seed: u64) -> AdamOptions {
    AdamOptions {
        lr,
        epochs,
        restarts,
        time_limit: None,
        seed,
        start: None,
    }
}

/// seed003: `x = [-1, -5, 2, 0, 3]` with a ones column (a bias column in the hidden layer),
/// `y = [1, -1, 1, -1, 1]`, `½‖Σ_j (X u_j)₊ α_j − y‖² + (β/2) Σ_j (‖u_j‖² + α_j²)`, β = 1e-4.
fn seed003(width: usize) -> Model {
    let mut m = empty();
    let x = DMatrix::from_column_slice(5, 1, &[-1.0, -5.0, 2.0, 0.0, 3.0]);
    let y = DMatrix::from_column_slice(5, 1, &[1.0, -1.0, 1.0, -1.0, 1.0]);
    let d = add_data(&mut m, x, y, true);
    let net = add_net(&mut m, "net", 1, &[(width, "relu")], 1, BiasMode::Column);
    // No bias in the output layer: α_j only.
    let out = &mut m.networks[net.0].layers[1];
    out.bias = BiasMode::None;
    if let LayerParam::Var(w2) = out.weight {
        m.vars[w2.0].shape = Shape(vec![1, width]);
    }
    let fit = atom(
        Atom::SumSquares,
        vec![bin(
            BinOp::Sub,
            net_out(&m, net, data(&m, d, DataPart::X)),
            data(&m, d, DataPart::Y),
        )],
    );
    let reg = atom(Atom::SumSquares, vec![weights(&m, net)]);
    let obj = bin(
        BinOp::Add,
        bin(BinOp::Mul, num(0.5), fit),
        bin(BinOp::Mul, num(1e-4 / 2.0), reg),
    );
    minimize(&mut m, obj);
    m
}

#[test]
fn adam_stays_above_the_convex_optimum_on_seed003() {
    let opts = options(1e-2, 2000, 5, 3);
    for width in 1..=4 {
        let m = seed003(width);
        let r = train(&m, &opts).expect("trains");
        assert_eq!(r.restarts.len(), 5);
        // The global optimum bounds every point from below.
        assert!(
            r.objective >= SEED003_OPTIMUM * (1.0 - 1e-9),
            "width {width}: {}",
            r.objective
        );
        for (k, s) in r.restarts.iter().enumerate() {
            assert!(s.best < s.initial, "width {width} restart {k}: {s:?}");
            assert!(s.best >= SEED003_OPTIMUM * (1.0 - 1e-9));
        }
        let best = r
            .restarts
            .iter()
            .map(|s| s.best)
            .fold(f64::INFINITY, f64::min);
        assert_eq!(
            r.objective, best,
            "the reported point is the best restart's"
        );
        assert_eq!(r.restarts[r.best_restart].best, best);
        // The reported values reproduce the reported objective.
        let again = super::eval::objective(&m, &r.values).expect("evaluates");
        assert_eq!(again, r.objective);
    }
}

/// A problem Adam can solve: least squares `½‖Xw − y‖²` through a one-layer network with a bias
/// column, on seed003's data. The normal equations `XᵀX w = Xᵀy`, with `XᵀX = [[39, −1], [−1, 5]]`
/// and `Xᵀy = (9, 1)`, give `w = (23, 24)/97` and the optimum `½(yᵀy − yᵀXw) = 127/97`. Adam must
/// reach it from both sides of the check: not below (it is the minimum) and not above.
#[test]
fn adam_reaches_the_least_squares_optimum() {
    let mut m = empty();
    let x = DMatrix::from_column_slice(5, 1, &[-1.0, -5.0, 2.0, 0.0, 3.0]);
    let y = DMatrix::from_column_slice(5, 1, &[1.0, -1.0, 1.0, -1.0, 1.0]);
    let d = add_data(&mut m, x, y, false);
    let net = add_net(&mut m, "net", 1, &[], 1, BiasMode::Column);
    let fit = atom(
        Atom::SumSquares,
        vec![bin(
            BinOp::Sub,
            net_out(&m, net, data(&m, d, DataPart::X)),
            data(&m, d, DataPart::Y),
        )],
    );
    minimize(&mut m, bin(BinOp::Mul, num(0.5), fit));
    let opts = options(1e-2, 5000, 2, 1);
    let r = train(&m, &opts).expect("trains");
    let optimum = 127.0 / 97.0;
    assert!(
        (r.objective - optimum).abs() <= 1e-9 * optimum,
        "objective {} vs {optimum}",
        r.objective
    );
    let LayerParam::Var(w) = m.networks[net.0].layers[0].weight else {
        panic!("a trainable layer")
    };
    let got = r.values.get(w);
    assert_eq!(got.shape(), (1, 2));
    for (g, want) in got.iter().zip([23.0 / 97.0, 24.0 / 97.0]) {
        assert!((g - want).abs() < 1e-5, "weights {got}");
    }
    // A single step is far from it.
    let one = train(
        &m,
        &AdamOptions {
            epochs: 1,
            ..opts.clone()
        },
    )
    .expect("trains");
    assert!(
        one.objective > optimum * 1.01,
        "one step: {}",
        one.objective
    );
}

#[test]
fn adam_is_reproducible_from_its_seed() {
    let m = seed003(3);
    let opts = options(1e-2, 200, 3, 42);
    let a = train(&m, &opts).expect("trains");
    let b = train(&m, &opts).expect("trains");
    assert_eq!(a.restarts, b.restarts);
    assert_eq!(a.values, b.values);
    let c = train(
        &m,
        &AdamOptions {
            seed: 43,
            ..opts.clone()
        },
    )
    .expect("trains");
    assert_ne!(a.restarts, c.restarts);
    // Restarts start from different points.
    assert_ne!(a.restarts[0].initial, a.restarts[1].initial);
}

#[test]
fn a_warm_start_begins_the_first_restart_where_it_is_given() {
    let m = seed003(3);
    let opts = options(1e-2, 300, 2, 7);
    let cold = train(&m, &opts).expect("trains");
    let point = cold.values.to_flat();
    let warm = train(
        &m,
        &AdamOptions {
            start: Some(point.clone()),
            ..opts.clone()
        },
    )
    .expect("trains");
    // The first restart starts at the given point, the second where it did before.
    let f0 = crate::nn::eval::objective(&m, &cold.values).expect("evaluates");
    assert_eq!(warm.restarts[0].initial, f0);
    assert_eq!(warm.restarts[1].initial, cold.restarts[1].initial);
    assert!(
        warm.objective <= cold.objective,
        "{} > {}",
        warm.objective,
        cold.objective
    );
    // A point of another length is ignored.
    let other = train(
        &m,
        &AdamOptions {
            start: Some(vec![0.0; point.len() + 1]),
            ..opts.clone()
        },
    )
    .expect("trains");
    assert_eq!(other.restarts, cold.restarts);
}

#[test]
fn bounds_are_projected_and_constraints_reported_not_enforced() {
    // minimize ‖u − 3‖² with u ≤ 1, subject to sum(u) ≥ 10 (which Adam ignores).
    let mut m = empty();
    let u = add_var(&mut m, "u", vec![2]);
    m.vars[u.0].upper = Some(1.0);
    let obj = atom(
        Atom::SumSquares,
        vec![bin(BinOp::Sub, var(&m, u), num(3.0))],
    );
    minimize(&mut m, obj);
    m.constraints.push(Constraint {
        name: "total".into(),
        op: CmpOp::Ge,
        lhs: atom(Atom::Sum, vec![var(&m, u)]),
        rhs: vec![num(10.0)],
        span: Default::default(),
    });
    let r = train(&m, &options(0.05, 500, 1, 0)).expect("trains");
    let got = r.values.get(u);
    assert_eq!(got.as_slice(), &[1.0, 1.0]);
    assert!((r.objective - 8.0).abs() < 1e-12);
    assert_eq!(r.slacks.len(), 1);
    assert!((r.slacks[0].slack - (2.0 - 10.0)).abs() < 1e-12);
    assert!(!r.slacks[0].satisfied(1e-6));
}

#[test]
fn a_model_without_objective_is_an_error() {
    let mut m = empty();
    add_var(&mut m, "u", vec![2]);
    assert!(train(&m, &AdamOptions::default()).is_err());
}

#[test]
fn a_time_limit_begins_a_restart_only_while_its_mean_time_fits() {
    use super::adam::another_restart;
    let capped = options(1e-2, 10, 3, 0);
    // Without a limit the count decides, whatever the time.
    assert!(another_restart(&capped, 0, 1e9));
    assert!(another_restart(&capped, 2, 1e9));
    assert!(!another_restart(&capped, 3, 0.0));
    let timed = AdamOptions {
        time_limit: Some(10.0),
        ..capped
    };
    // The first always runs; then the count no longer limits: 4 restarts took 8 s (2 s each),
    // so a fifth fits in 10 s (8 + 2), a sixth after 9 s (9 + 1.8 > 10) does not.
    assert!(another_restart(&timed, 0, 100.0));
    assert!(another_restart(&timed, 4, 8.0));
    assert!(!another_restart(&timed, 5, 9.0));
    assert!(another_restart(&timed, 50, 9.5));
}
