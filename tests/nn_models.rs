//! Numeric evaluation, gradients and Adam on models written in the language and checked by
//! the front end (so the IR is exactly what the compiler produces).

use std::path::Path;

use cnnc::diag::{render, SourceMap};
use cnnc::model::{Model, NetId};
use cnnc::nn::adam::{train, AdamOptions};
use cnnc::nn::{eval, metrics, Values};
use nalgebra::DMatrix;

/// Checks model text as if it were a file in `examples/` (so data paths resolve there).
fn model(text: &str) -> Model {
    let mut sources = SourceMap::new();
    let src = sources.add("test.cnn", None, text.to_string());
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    match cnnc::frontend(&mut sources, src, &base, &Default::default()) {
        Ok((_, m)) => m,
        Err(d) => panic!("{}", render(&sources, &d, false)),
    }
}

fn seed003(width: usize) -> Model {
    model(&format!(
        "use losses.{{squared_error}}
         use regularizers.{{weight_decay}}
         const beta = 1e-4
         data train = csv(\"data/seed003_1d.csv\", features = [x1], target = y)
         network net(train) {{
             dense({width}, relu, bias = column)
             dense(1, bias = none)
         }}
         minimize squared_error(net(train.x), train.y) + weight_decay(net, beta)
         method adam(lr = 1e-2, epochs = 1500, restarts = 4, seed = 3)"
    ))
}

/// A point with entries 0.1, −0.2, 0.3, … in the flat layout.
fn pattern_point(m: &Model) -> Values {
    let n: usize = m.vars.iter().map(|v| v.shape.len()).sum();
    let flat: Vec<f64> = (0..n)
        .map(|i| (i as f64 + 1.0) * 0.1 * if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    Values::from_flat(m, &flat).expect("length")
}

#[test]
fn the_objective_is_the_seed003_formula() {
    let m = seed003(3);
    let at = pattern_point(&m);
    // By hand: ½‖Σ_j (X u_j)₊ α_j − y‖² + (β/2) Σ_j (‖u_j‖² + α_j²), X = [x, 1].
    let ds = &m.datasets[0];
    let x = DMatrix::from_fn(ds.n(), 2, |i, j| if j == 0 { ds.x[(i, 0)] } else { 1.0 });
    let u = at.get(cnnc::model::VarId(0)); // net.W1: 3 × 2
    let alpha = at.get(cnnc::model::VarId(1)); // net.W2: 1 × 3
    let hidden = (&x * u.transpose()).map(|v| v.max(0.0));
    let pred = &hidden * alpha.transpose();
    let fit = 0.5 * (&pred - &ds.y).norm_squared();
    let reg = 0.5e-4 * (u.norm_squared() + alpha.norm_squared());
    let got = eval::objective(&m, &at).expect("evaluates");
    assert!(
        (got - (fit + reg)).abs() <= 1e-12 * (fit + reg),
        "{got} vs {}",
        fit + reg
    );
    let out = eval::network_outputs(&m, NetId(0), &ds.x, &at).expect("forward");
    assert!((out - pred).norm() < 1e-12);
}

#[test]
fn adam_never_beats_the_global_optimum_on_seed003() {
    // docs/REFERENCE.md: convex optimum over all patterns (CVXPY 1.9.3 + Clarabel),
    // the global optimum of this non-convex objective.
    const OPTIMUM: f64 = 8.769406953e-4;
    for width in 1..=4 {
        let m = seed003(width);
        let opts = AdamOptions::from_method(&m.methods[0]);
        assert_eq!((opts.epochs, opts.restarts, opts.seed), (1500, 4, 3));
        let r = train(&m, &opts).expect("trains");
        assert!(
            r.objective >= OPTIMUM * (1.0 - 1e-9),
            "width {width}: {}",
            r.objective
        );
        assert!(
            r.restarts.iter().all(|s| s.best < s.initial),
            "{:?}",
            r.restarts
        );
    }
}

#[test]
fn library_losses_activations_and_per_class_constraints_have_exact_gradients() {
    // `leaky` is defined here (the generic p − q path); the library's `leaky_relu` is covered by
    // the unit tests of `nn::activation`.
    for act in ["relu", "leaky", "sigmoid", "softplus", "identity"] {
        let m = model(&format!(
            "use losses
             use constraints.{{error_at_most}}
             activation leaky(z) = dc(maximum(z, 0.02 * z), 0)
             data train = inline(x = [[0.5, -1], [1, 2], [-1.5, 0.3], [2, -0.7], [0.1, 0.9]],
                                 label = [1, 0, 1, 0, 0])
             network net(train) {{
                 dense(3, {act})
                 dense(2, {act}, bias = column)
                 dense(1, bias = none)
             }}
             var t[2] in [-3, 3]
             minimize logistic(net(train.x), train.y) + hinge(net(train.x), train.y)
                      + squared_error(net(train.x), train.y) + 0.1 * sum_squares(weights(net))
                      + 0.5 * norm2(t - [1, 2])
             constraint class_error for c in classes(train):
                 error_at_most(net(train.x)[c], train.y[c], 0.5)"
        ));
        let obj = &m.objective.as_ref().expect("objective").expr;
        let at = pattern_point(&m);
        let (_, grad) = eval::value_and_gradient(&m, obj, &at).expect("evaluates");
        let (x0, g) = (at.to_flat(), grad.to_flat());
        let f = |x: &[f64]| {
            eval::objective(&m, &Values::from_flat(&m, x).expect("length")).expect("evaluates")
        };
        let h = 1e-6;
        for k in 0..x0.len() {
            let (mut xp, mut xm) = (x0.clone(), x0.clone());
            xp[k] += h;
            xm[k] -= h;
            let fd = (f(&xp) - f(&xm)) / (2.0 * h);
            assert!(
                (fd - g[k]).abs() / fd.abs().max(1.0) < 1e-6,
                "{act}: entry {k}: {} vs {fd}",
                g[k]
            );
        }
        let slacks = eval::slacks(&m, &at).expect("slacks");
        assert_eq!(slacks.len(), 2);
        assert!(slacks.iter().all(|s| s.slack.is_finite()));
        assert!(
            slacks[0].name.starts_with("class_error["),
            "{}",
            slacks[0].name
        );
    }
}

#[test]
fn classification_metrics_of_a_trained_network() {
    let m = model(
        "use losses.{squared_error}
         data train = inline(x = [[-2], [-1], [1], [2]], label = [0, 0, 1, 1])
         network net(train) { dense(1, bias = column) }
         minimize squared_error(net(train.x), train.y)",
    );
    let r = train(
        &m,
        &AdamOptions {
            lr: 0.05,
            epochs: 400,
            restarts: 1,
            time_limit: None,
            seed: 0,
            start: None,
        },
    )
    .expect("trains");
    let ds = &m.datasets[0];
    let got = metrics::dataset_metrics(ds, |x| eval::network_outputs(&m, NetId(0), x, &r.values))
        .expect("metrics")
        .expect("labelled");
    let metrics::Metrics::Classification(c) = got.train else {
        panic!("classification expected");
    };
    assert_eq!(c.accuracy, 1.0);
    assert_eq!(c.confusion, vec![vec![2, 0], vec![0, 2]]);
    assert!(got.test.is_none());
}

/// Six samples, four of class `0` (−1) and two of class `1` (+1), with inverse-class-size
/// weights: 6 / (2 · 4) = 0.75 for `0`, 6 / (2 · 2) = 1.5 for `1`.
fn weighted(objective: &str) -> Model {
    model(&format!(
        "use losses
         data train = inline(x = [[0.5, -1], [1, 2], [-1.5, 0.3], [2, -0.7], [0.1, 0.9], [-0.4, -0.2]],
                             label = [1, 0, 1, 0, 0, 0], positive = 1, weights = balanced)
         network net(train) {{
             dense(3, sigmoid)
             dense(1)
         }}
         minimize {objective}
         method adam(lr = 0.05, epochs = 200, restarts = 2, seed = 4)"
    ))
}

/// `½ Σᵢ wᵢ (ŷᵢ − yᵢ)²` of the 3-sigmoid network at `at`, by hand: `ŷ = σ(X W1ᵀ + b1) W2ᵀ + b2`
/// and the weights from the class sizes (not from the dataset's own weight column).
fn weighted_loss_by_hand(m: &Model, at: &Values) -> f64 {
    let ds = &m.datasets[0];
    let (w1, b1) = (at.get(cnnc::model::VarId(0)), at.get(cnnc::model::VarId(1)));
    let (w2, b2) = (at.get(cnnc::model::VarId(2)), at.get(cnnc::model::VarId(3)));
    let positives = ds.y.iter().filter(|&&v| v > 0.0).count() as f64;
    let n = ds.n() as f64;
    let mut sum = 0.0;
    for i in 0..ds.n() {
        let mut out = b2[0];
        for j in 0..3 {
            let z = w1[(j, 0)] * ds.x[(i, 0)] + w1[(j, 1)] * ds.x[(i, 1)] + b1[j];
            out += w2[(0, j)] / (1.0 + (-z).exp());
        }
        let y = ds.y[(i, 0)];
        let size = if y > 0.0 { positives } else { n - positives };
        let w = n / (2.0 * size);
        sum += w * (out - y) * (out - y);
    }
    0.5 * sum
}

#[test]
fn the_weighted_squared_error_is_the_weighted_sum_by_hand() {
    let m = weighted("weighted_squared_error(net(train.x), train.y, train.w)");
    let ds = &m.datasets[0];
    let w = ds.w.as_ref().expect("weights");
    let expected = [1.5, 0.75, 1.5, 0.75, 0.75, 0.75];
    assert_eq!(w.as_slice(), &expected);
    let at = pattern_point(&m);
    let want = weighted_loss_by_hand(&m, &at);
    let got = eval::objective(&m, &at).expect("evaluates");
    assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
    // Unweighted, the same point gives the plain half squared error: the weights matter.
    let plain = weighted("squared_error(net(train.x), train.y)");
    let unweighted = eval::objective(&plain, &at).expect("evaluates");
    assert!((unweighted - want).abs() > 1e-3, "{unweighted} vs {want}");

    // The gradient (as Adam uses it) against central differences.
    let obj = &m.objective.as_ref().expect("objective").expr;
    let (_, grad) = eval::value_and_gradient(&m, obj, &at).expect("evaluates");
    let (x0, g) = (at.to_flat(), grad.to_flat());
    let f = |x: &[f64]| weighted_loss_by_hand(&m, &Values::from_flat(&m, x).expect("length"));
    let h = 1e-6;
    for k in 0..x0.len() {
        let (mut xp, mut xm) = (x0.clone(), x0.clone());
        xp[k] += h;
        xm[k] -= h;
        let fd = (f(&xp) - f(&xm)) / (2.0 * h);
        assert!(
            (fd - g[k]).abs() / fd.abs().max(1.0) < 1e-6,
            "entry {k}: {} vs {fd}",
            g[k]
        );
    }

    // Adam's reported objective at the point it returns is the weighted sum there.
    let r = train(&m, &AdamOptions::from_method(&m.methods[0])).expect("trains");
    let want = weighted_loss_by_hand(&m, &r.values);
    assert!(
        (r.objective - want).abs() <= 1e-12 * want,
        "{} vs {want}",
        r.objective
    );
    assert!(r.restarts.iter().all(|s| s.best < s.initial));
}
