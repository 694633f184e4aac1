//! Sample weights (`weights = balanced`, `train.w`, `weighted_squared_error`): the weights
//! against their closed form `n / (k · |C|)` over the training rows, with and without a split,
//! for two and three classes; the weighted loss through the convex path against the closed form
//! of weighted least squares, and through exact patterns against the recovered network's own
//! weighted loss; and the two Yeast examples trained by Adam through the CLI.

mod common;

use std::path::Path;

use cnnc::diag::{render, SourceMap};
use cnnc::driver::stages;
use cnnc::model::Model;
use cnnc::solve::{solve, Backend, Settings, Status};

/// Checks model text as if it were a file in `examples/`.
fn model(text: &str) -> (SourceMap, Model) {
    let mut sources = SourceMap::new();
    let src = sources.add("test.cnn", None, text.to_string());
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    match cnnc::frontend(&mut sources, src, &base, &Default::default()) {
        Ok((_, m)) => (sources, m),
        Err(d) => panic!("{}", render(&sources, &d, false)),
    }
}

#[test]
fn two_classes_weigh_n_over_twice_their_size() {
    // Classes 1 (3 rows) and 2 (2 rows): 5 / (2 · 3) and 5 / (2 · 2).
    let (_, m) = model(
        "data toy = inline(x = [[0], [1], [2], [3], [4]], label = [1, 2, 1, 1, 2],
                           weights = balanced)",
    );
    let ds = &m.datasets[0];
    let w = ds.w.as_ref().expect("weights");
    let (a, b) = (5.0 / 6.0, 5.0 / 4.0);
    assert_eq!(w.shape(), (5, 1));
    assert_eq!(w.as_slice(), &[a, b, a, a, b]);
    assert_eq!(ds.classes[0].weight, Some(a));
    assert_eq!(ds.classes[1].weight, Some(b));
    // Each class weighs n / k in all, so the weights sum to n.
    assert!((w.sum() - 5.0).abs() < 1e-12);
    // Without the option there are none.
    let (_, m) = model("data toy = inline(x = [[0], [1], [2]], label = [1, 2, 1])");
    assert!(m.datasets[0].w.is_none());
    assert_eq!(m.datasets[0].classes[0].weight, None);
}

#[test]
fn the_weights_count_only_the_training_rows() {
    // 8 rows of `a` and 4 of `b`, split 0.75 stratified: 6 and 3 training rows, n = 9, so
    // 9 / (2 · 6) = 0.75 and 9 / (2 · 3) = 1.5 (not 12 / 16 and 12 / 8 from all rows).
    let (_, m) = model(
        "data toy = inline(x = [[0], [1], [2], [3], [4], [5], [6], [7], [8], [9], [10], [11]],
                           label = [0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1],
                           split = 0.75, seed = 3, weights = balanced)",
    );
    let ds = &m.datasets[0];
    assert_eq!((ds.n(), ds.test_x.nrows()), (9, 3));
    assert_eq!((ds.classes[0].rows.len(), ds.classes[1].rows.len()), (6, 3));
    let w = ds.w.as_ref().expect("weights");
    assert_eq!(w.nrows(), 9);
    for i in 0..9 {
        // Row i of `w` belongs to row i of `x` and `y`: its class is the sign of y.
        let want = if ds.y[(i, 0)] > 0.0 { 1.5 } else { 0.75 };
        assert_eq!(w[(i, 0)], want, "row {i}");
    }
    assert_eq!(ds.classes[0].weight, Some(0.75));
    assert_eq!(ds.classes[1].weight, Some(1.5));
}

#[test]
fn three_classes_give_one_weight_per_row_in_every_column() {
    // 4, 2 and 1 rows of 7: 7/12, 7/6, 7/3; `w` has the shape of `y`, [7, 3].
    let (sources, m) = model(
        "data toy = inline(x = [[0], [1], [2], [3], [4], [5], [6]],
                           label = [0, 0, 1, 0, 2, 1, 0], weights = balanced)",
    );
    let ds = &m.datasets[0];
    let w = ds.w.as_ref().expect("weights");
    assert_eq!(w.shape(), (7, 3));
    let by_class = [7.0 / 12.0, 7.0 / 6.0, 7.0 / 3.0];
    for (i, c) in [0, 0, 1, 0, 2, 1, 0].into_iter().enumerate() {
        for j in 0..3 {
            assert_eq!(w[(i, j)], by_class[c], "row {i}, column {j}");
        }
    }
    let text = cnnc::model::print::print_model(&sources, &m);
    assert!(
        text.contains("  class 2: 1 train, 0 test, weight 2.3333333333333335\n"),
        "{text}"
    );
    assert!(
        text.contains("  w: [7x3] balanced sample weights"),
        "{text}"
    );
}

/// `min_{a,b} ½ Σᵢ wᵢ (a xᵢ + b − yᵢ)²` has the closed form of weighted least squares: with
/// `S_w = Σ w`, `S_x = Σ w x`, `S_y = Σ w y`, `S_xx = Σ w x²`, `S_xy = Σ w x y`, the normal
/// equations `[S_xx S_x; S_x S_w] [a; b] = [S_xy; S_y]`. The loss goes through the convex
/// translation (`train.w ^ 0.5` folded to a constant), canonicalization and Clarabel.
#[test]
fn the_weighted_loss_is_weighted_least_squares_in_the_convex_path() {
    let xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
    let labels = [0, 0, 0, 1, 0, 1];
    let (sources, m) = model(
        "use losses.{weighted_squared_error}
         data toy = inline(x = [[0], [1], [2], [3], [4], [5]], label = [0, 0, 0, 1, 0, 1],
                           weights = balanced)
         var a[1]
         var b
         minimize weighted_squared_error(toy.x @ a + b, toy.y, toy.w)",
    );
    // By hand: 4 rows of class 0 (y = −1) weigh 6 / 8, 2 of class 1 (y = +1) weigh 6 / 4.
    let (mut sw, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let data: Vec<(f64, f64, f64)> = xs
        .iter()
        .zip(labels)
        .map(|(&x, l)| {
            if l == 1 {
                (x, 1.0, 1.5)
            } else {
                (x, -1.0, 0.75)
            }
        })
        .collect();
    for &(x, y, w) in &data {
        sw += w;
        sx += w * x;
        sy += w * y;
        sxx += w * x * x;
        sxy += w * x * y;
    }
    let det = sxx * sw - sx * sx;
    let a = (sxy * sw - sx * sy) / det;
    let b = (sxx * sy - sx * sxy) / det;
    let optimum = 0.5
        * data
            .iter()
            .map(|&(x, y, w)| w * (a * x + b - y).powi(2))
            .sum::<f64>();

    let program = stages::program(&m, &sources, None).expect("a convex program");
    let (conic, map) = stages::conic(&program).expect("canonicalizes");
    let out = solve(&conic, Backend::Clarabel, &Settings::default()).expect("solves");
    assert_eq!(out.status, Status::Optimal);
    let got = out.objective.expect("an objective");
    assert!(
        (got - optimum).abs() <= 1e-7 * optimum,
        "{got} vs {optimum}"
    );
    let x = out.x.expect("a point");
    let vars = &program.translation().vars;
    let value = |k: usize| map.values(&x, vars[k].expect("used")).expect("a block")[0];
    assert!((value(0) - a).abs() < 1e-5, "a = {} vs {a}", value(0));
    assert!((value(1) - b).abs() < 1e-5, "b = {} vs {b}", value(1));
}

/// Exact patterns on a weighted loss: the convex program (the loss with `train.w ^ 0.5` folded
/// into its rows) and the recovered network evaluated numerically (as Adam evaluates it) give the
/// same objective, and it differs from the unweighted optimum.
#[test]
fn patterns_reach_the_weighted_objective_the_network_evaluates() {
    let text = |loss: &str, weights: &str| {
        format!(
            "use losses
             use regularizers.{{weight_decay}}
             data train = inline(x = [[-2], [-1], [0], [1], [2], [3], [4]],
                                 label = [0, 1, 0, 0, 0, 1, 0]{weights})
             network net(train) {{
                 dense(6, relu, bias = column)
                 dense(1, bias = none)
             }}
             minimize {loss} + weight_decay(net, 0.1)
             method patterns(enumeration = exact)"
        )
    };
    let run = |t: String| {
        let (sources, m) = model(&t);
        let trained = match cnnc::driver::train::train(&m, &sources, &m.methods[0]) {
            Ok(t) => t,
            Err(_) => panic!("does not train"),
        };
        cnnc::driver::report::report(&trained).expect("a report")
    };
    let weighted = run(text(
        "weighted_squared_error(net(train.x), train.y, train.w)",
        ", weights = balanced",
    ));
    assert_eq!(weighted.status, "optimal");
    let rel = weighted.relative_difference.expect("both objectives");
    assert!(rel < 1e-6, "relative difference {rel}");
    let plain = run(text("squared_error(net(train.x), train.y)", ""));
    let (w, p) = (
        weighted.objective.expect("objective"),
        plain.objective.expect("objective"),
    );
    assert!((w - p).abs() > 1e-3 * p, "{w} vs {p}");
}

/// The errors of one part of a JSON report: (balanced error, minority class, its error rate).
fn part_errors(report: &serde_json::Value, part: &str) -> (f64, String, f64) {
    let m = &report["metrics"][part];
    (
        m["balanced_error"].as_f64().expect("balanced_error"),
        m["minority"]["name"]
            .as_str()
            .expect("minority")
            .to_string(),
        m["minority"]["error_rate"].as_f64().expect("error_rate"),
    )
}

/// Both Yeast examples train (as declared: 3 restarts of 1,000 Adam steps). On the training
/// rows, weighting the classes by their inverse size lowers both the minority (MIT) error and
/// the balanced error; the reports carry both.
#[test]
fn the_yeast_examples_train_and_weighting_helps_the_minority_class() {
    let root = common::root();
    let run = |file: &str| -> serde_json::Value {
        let out = common::cnnc_ok(&root, &["train", file, "--report", "json"]);
        serde_json::from_slice(&out).expect("a JSON report")
    };
    let plain = run("examples/yeast_adam.cnn");
    let balanced = run("examples/yeast_adam_balanced.cnn");
    for r in [&plain, &balanced] {
        assert_eq!(r["status"], "trained");
        assert_eq!(r["metrics"]["train"]["n"], 387);
        assert_eq!(r["metrics"]["test"]["n"], 128);
    }
    let (plain_bal, name, plain_minor) = part_errors(&plain, "train");
    let (bal_bal, name2, bal_minor) = part_errors(&balanced, "train");
    assert_eq!((name.as_str(), name2.as_str()), ("MIT", "MIT"));
    assert!(bal_minor < plain_minor, "{bal_minor} vs {plain_minor}");
    assert!(bal_bal < plain_bal, "{bal_bal} vs {plain_bal}");
    // The test part's minority is MIT too (21 of 128 rows).
    assert_eq!(part_errors(&balanced, "test").1, "MIT");
    // The balanced error is the mean of the two classes' error rates.
    let classes = balanced["metrics"]["test"]["classes"]
        .as_array()
        .expect("classes");
    let mean = classes
        .iter()
        .map(|c| c["error_rate"].as_f64().expect("rate"))
        .sum::<f64>()
        / 2.0;
    assert!((part_errors(&balanced, "test").0 - mean).abs() < 1e-15);
}
