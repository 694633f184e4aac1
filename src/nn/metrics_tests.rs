//! Metrics and constraint slacks on hand-computed cases.

use nalgebra::DMatrix;

use super::eval::slacks;
use super::metrics::{classification, predicted_classes, regression, relative_difference};
use super::test_models::*;
use super::Values;
use crate::model::{Atom, CmpOp, Constraint};

fn col(v: &[f64]) -> DMatrix<f64> {
    DMatrix::from_column_slice(v.len(), 1, v)
}

#[test]
fn regression_metrics_by_hand() {
    // Residuals 0.5, −1, 0, 2: ‖r‖² = 5.25, ‖r‖₁ = 3.5; y mean 2.5, Σ(y − ȳ)² = 5.
    let y = col(&[1.0, 2.0, 3.0, 4.0]);
    let pred = col(&[1.5, 1.0, 3.0, 6.0]);
    let r = regression(&pred, &y).expect("same shapes");
    assert_eq!(r.n, 4);
    assert_eq!(r.loss, 2.625);
    assert_eq!(r.mse, 5.25 / 4.0);
    assert_eq!(r.mae, 3.5 / 4.0);
    assert_eq!(r.r2, Some(1.0 - 5.25 / 5.0));
    // Constant targets: R² is undefined.
    assert_eq!(
        regression(&col(&[1.0, 2.0]), &col(&[3.0, 3.0]))
            .expect("ok")
            .r2,
        None
    );
    assert!(regression(&col(&[1.0]), &col(&[1.0, 2.0])).is_err());
}

#[test]
fn relative_differences() {
    // The seed003 reference: convex optimum vs recomputed non-convex objective, about 8e-9.
    let d = relative_difference(8.769406953e-4, 8.769407024e-4);
    assert!((d - 7.1e-12 / 8.769407024e-4).abs() < 1e-15, "{d}");
    assert_eq!(relative_difference(0.0, 0.0), 0.0);
    assert_eq!(relative_difference(-1.0, 1.0), 2.0);
}

#[test]
fn binary_classification_by_hand() {
    // Class 1 is coded +1. Truth: 1, 0, 1, 0, 1; predicted (ŷ > 0): 1, 1, 0, 0, 1.
    let y = col(&[1.0, -1.0, 1.0, -1.0, 1.0]);
    let pred = col(&[0.3, 0.2, -0.1, -2.0, 1.0]);
    let names = vec!["no".to_string(), "yes".to_string()];
    let c = classification(&pred, &y, &names).expect("ok");
    assert_eq!(c.n, 5);
    assert_eq!(c.accuracy, 0.6);
    assert_eq!(c.confusion, vec![vec![1, 1], vec![1, 2]]);
    assert_eq!(
        (
            c.classes[0].name.as_str(),
            c.classes[0].count,
            c.classes[0].errors
        ),
        ("no", 2, 1)
    );
    assert_eq!(c.classes[0].error_rate, 0.5);
    assert_eq!((c.classes[1].count, c.classes[1].errors), (3, 1));
    assert_eq!(c.classes[1].error_rate, 1.0 / 3.0);
    // ½ Σ (ŷ − y)² = ½ (0.49 + 1.44 + 1.21 + 1 + 0).
    assert!((c.loss - 0.5 * (0.49 + 1.44 + 1.21 + 1.0)).abs() < 1e-12);
    // Balanced error: the mean of 1/2 and 1/3; the minority is `no` (2 samples against 3).
    assert_eq!(c.balanced_error, (0.5 + 1.0 / 3.0) / 2.0);
    assert_eq!(c.minority.as_ref().map(|m| m.name.as_str()), Some("no"));
    assert_eq!(c.minority.as_ref().map(|m| m.error_rate), Some(0.5));
    // Zero is not positive.
    assert_eq!(predicted_classes(&col(&[0.0, 1e-300])), vec![0, 1]);
}

#[test]
fn one_vs_rest_classification_by_hand() {
    let y = DMatrix::from_row_slice(
        4,
        3,
        &[
            1.0, -1.0, -1.0, -1.0, 1.0, -1.0, -1.0, -1.0, 1.0, -1.0, -1.0, 1.0,
        ],
    );
    let pred = DMatrix::from_row_slice(
        4,
        3,
        &[
            0.9, 0.1, -1.0, 0.2, 0.1, 0.0, -1.0, -0.5, -0.2, 0.0, 3.0, 2.0,
        ],
    );
    let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let c = classification(&pred, &y, &names).expect("ok");
    // Truth a, b, c, c; predicted a, a, c, b.
    assert_eq!(
        c.confusion,
        vec![vec![1, 0, 0], vec![1, 0, 0], vec![0, 1, 1]]
    );
    assert_eq!(c.accuracy, 0.5);
    assert_eq!(
        c.classes.iter().map(|k| k.errors).collect::<Vec<_>>(),
        vec![0, 1, 1]
    );
    // Error rates 0, 1, 1/2; `a` and `b` tie for the fewest samples (1): the first is taken.
    assert_eq!(c.balanced_error, (0.0 + 1.0 + 0.5) / 3.0);
    assert_eq!(c.minority.as_ref().map(|m| m.name.as_str()), Some("a"));
    // Two names for three columns is an error, not a panic.
    assert!(classification(&pred, &y, &names[..2]).is_err());
}

/// An imbalanced confusion matrix: 8 `major` (−1) and 2 `minor` (+1) samples; 7 and 1 of them
/// right. Accuracy 0.8 hides a minority error of 1/2: balanced error (1/8 + 1/2) / 2 = 0.3125.
#[test]
fn balanced_and_minority_error_by_hand() {
    let y = col(&[-1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 1.0]);
    let pred = col(&[-1.0, -0.5, -0.2, -0.9, -0.1, -2.0, -0.3, 0.4, 0.7, -0.6]);
    let names = vec!["major".to_string(), "minor".to_string()];
    let c = classification(&pred, &y, &names).expect("ok");
    assert_eq!(c.confusion, vec![vec![7, 1], vec![1, 1]]);
    assert_eq!(c.accuracy, 0.8);
    assert_eq!(c.balanced_error, 0.3125);
    let m = c.minority.expect("a minority class");
    assert_eq!((m.name.as_str(), m.count, m.errors), ("minor", 2, 1));
    assert_eq!(m.error_rate, 0.5);

    // A part without any `minor` sample (a small test split): only `major` counts, and it is
    // the minority of the classes present.
    let c = classification(&col(&[-1.0, 0.5]), &col(&[-1.0, -1.0]), &names).expect("ok");
    assert_eq!(c.balanced_error, 0.5);
    assert_eq!(c.minority.map(|m| m.name), Some("major".to_string()));
    // No samples at all: nothing to average, no minority.
    let c = classification(&DMatrix::zeros(0, 1), &DMatrix::zeros(0, 1), &names).expect("ok");
    assert_eq!((c.balanced_error, c.minority), (0.0, None));
}

#[test]
fn slacks_of_every_relation() {
    let mut m = empty();
    let u = add_var(&mut m, "u", vec![3]);
    let s = add_var(&mut m, "s", vec![]);
    let c = |name: &str, op: CmpOp, lhs, rhs| Constraint {
        name: name.into(),
        op,
        lhs,
        rhs,
        span: Default::default(),
    };
    let cons = vec![
        c("le", CmpOp::Le, var(&m, u), vec![num(2.0)]),
        c("ge", CmpOp::Ge, var(&m, u), vec![num(-1.0)]),
        c("eq", CmpOp::Eq, var(&m, s), vec![num(0.5)]),
        c("in", CmpOp::In, var(&m, u), vec![num(0.0), num(2.5)]),
        c(
            "sum",
            CmpOp::Le,
            atom(Atom::Sum, vec![var(&m, u)]),
            vec![var(&m, s)],
        ),
        c(
            "log",
            CmpOp::Ge,
            atom(Atom::Sum, vec![atom(Atom::Log, vec![var(&m, u)])]),
            vec![num(0.0)],
        ),
    ];
    m.constraints = cons;
    let at = Values::from_flat(&m, &[1.0, 3.0, -2.0, 0.25]).expect("length");
    let got: Vec<(String, f64, usize)> = slacks(&m, &at)
        .expect("evaluates")
        .into_iter()
        .map(|s| (s.name, s.slack, s.worst))
        .collect();
    let want = vec![
        ("le", -1.0, 1),        // 2 − 3 at entry 1
        ("ge", -1.0, 2),        // −2 − (−1) at entry 2
        ("eq", -0.25, 0),       // −|0.25 − 0.5|
        ("in", -2.0, 2),        // min(u − 0, 2.5 − u): −2 at entry 2
        ("sum", 0.25 - 2.0, 0), // s − Σu
        ("log", f64::NEG_INFINITY, 0),
    ];
    assert_eq!(got.len(), want.len(), "one slack per constraint: {got:?}");
    for ((name, slack, worst), (wn, ws, ww)) in got.iter().zip(want) {
        assert_eq!((name.as_str(), *slack, *worst), (wn, ws, ww));
    }
}
