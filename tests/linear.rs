//! `method direct` on a linear network (one dense layer, no activation): ridge regression on the
//! diabetes data, against the closed form `(AᵀA + λI′)⁻¹ Aᵀy` (A the features with a column of
//! ones, I′ the identity without the intercept's entry), for both bias modes; the metrics the
//! report gives against the closed form's predictions.

mod common;

use nalgebra::{DMatrix, DVector};
use std::path::Path;

fn model(dir: &Path, bias: &str, lambda: f64) -> std::path::PathBuf {
    let data = common::root().join("examples/data/diabetes.csv");
    let text = format!(
        "use losses.{{squared_error}}
use regularizers.{{weight_decay}}
data train = csv(\"{}\", target = progression, standardize = true, split = 0.8,
                 validation = 0.2, seed = 0)
network lin(train) {{ dense(1, bias = {bias}) }}
minimize squared_error(lin(train.x), train.y) + weight_decay(lin, {lambda})
method direct
",
        data.display()
    );
    let path = dir.join(format!("lin_{bias}.cnn"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Ridge with an unpenalized intercept (`bias = separate`, as `weights(net)` leaves it out) or
/// a penalized one (`bias = column`, a column of `W`): coefficients then intercept.
fn ridge(
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    lambda: f64,
    penalize_intercept: bool,
) -> DVector<f64> {
    let (n, p) = (x.nrows(), x.ncols());
    let a = x.clone().insert_column(p, 1.0);
    let mut g = a.transpose() * &a;
    for j in 0..p {
        g[(j, j)] += lambda;
    }
    if penalize_intercept {
        g[(p, p)] += lambda;
    }
    let _ = n;
    g.lu()
        .solve(&(a.transpose() * y.column(0)))
        .expect("solvable")
}

fn mse(x: &DMatrix<f64>, y: &DMatrix<f64>, w: &DVector<f64>) -> f64 {
    let p = x.ncols();
    let a = x.clone().insert_column(p, 1.0);
    (a * w - y.column(0)).norm_squared() / x.nrows() as f64
}

#[test]
fn ridge_equals_the_closed_form_for_either_bias() {
    let dir = tempfile::tempdir().unwrap();
    for (bias, penalized) in [("separate", false), ("column", true)] {
        let lambda = 30.0;
        let path = model(dir.path(), bias, lambda);
        let data = common::frontend(&path).expect("checks").2.datasets[0].clone();
        let w = ridge(&data.x, &data.y, lambda, penalized);
        common::cnnc_ok(
            dir.path(),
            &["train", path.to_str().unwrap(), "-o", "w.json"],
        );
        let file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("w.json")).unwrap()).unwrap();
        let layer = &file["layers"][0];
        let weights: Vec<f64> = serde_json::from_value(layer["weights"].clone()).unwrap();
        let got: Vec<f64> = match bias {
            "separate" => {
                let b: Vec<f64> = serde_json::from_value(layer["bias"].clone()).unwrap();
                weights.iter().copied().chain(b).collect()
            }
            _ => weights,
        };
        assert_eq!(got.len(), 11, "{layer}");
        for (j, (g, want)) in got.iter().zip(w.iter()).enumerate() {
            assert!(
                (g - want).abs() <= 1e-6 * (1.0 + want.abs()),
                "{bias} coefficient {j}: {g} vs {want}"
            );
        }
        let r = common::train_json(path.to_str().unwrap(), &[]);
        assert_eq!(r["method"], "direct");
        for (part, x, y) in [
            ("train", &data.x, &data.y),
            ("validation", &data.validation_x, &data.validation_y),
            ("test", &data.test_x, &data.test_y),
        ] {
            let got = common::num(&r["metrics"][part], "mse");
            let want = mse(x, y, &w);
            assert!(
                (got - want).abs() <= 1e-7 * want,
                "{bias} {part}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn the_diabetes_network_matches_or_beats_its_linear_baseline_on_the_test_rows() {
    // The shipped pair: the same rows; beta and lambda chosen on the validation rows
    // (docs/WORKFLOW.md). The network trains in about 20 s.
    let linear = common::train_json("examples/diabetes_linear.cnn", &[]);
    let network = common::train_json("examples/diabetes_regression.cnn", &[]);
    for r in [&linear, &network] {
        assert_eq!(r["status"], "optimal");
        assert_eq!(r["metrics"]["test"]["n"], 88);
        assert_eq!(r["metrics"]["validation"]["n"], 88);
    }
    let test = |r: &serde_json::Value| common::num(&r["metrics"]["test"], "mse");
    assert!(
        test(&network) <= test(&linear),
        "network test MSE {} against ridge {}",
        test(&network),
        test(&linear)
    );
    // The shipped lambda is the one `cnnc tune` chooses over the documented range.
    let out = common::cnnc_ok(
        &common::root(),
        &[
            "tune",
            "examples/diabetes_linear.cnn",
            "--over",
            "lambda=0.01..100:5",
            "--report",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["best"]["value"], 0.01);
    // docs/WORKFLOW.md's table of that sweep is the output, but for the seconds.
    let text = String::from_utf8(common::cnnc_ok(
        &common::root(),
        &[
            "tune",
            "examples/diabetes_linear.cnn",
            "--over",
            "lambda=0.01..100:5",
        ],
    ))
    .unwrap();
    let doc = std::fs::read_to_string(common::root().join("docs/WORKFLOW.md")).unwrap();
    let at = doc
        .find("$ cnnc tune examples/diabetes_linear.cnn")
        .expect("the sweep in the doc");
    let want: Vec<&str> = doc[at..].lines().skip(1).take(7).collect();
    let drop_seconds = |l: &str| {
        let mut w: Vec<&str> = l.split_whitespace().collect();
        // value, status, objective, three metrics, neurons, seconds.
        if w[0].parse::<f64>().is_ok() {
            w.remove(7);
        }
        w.join(" ")
    };
    let got: Vec<String> = text.lines().map(drop_seconds).collect();
    let want: Vec<String> = want.iter().map(|l| drop_seconds(l)).collect();
    assert_eq!(got, want);
    // And the network's test MSE in the doc is the report's.
    let mse = format!("{:.1}", test(&network));
    assert!(
        doc.contains(&format!(
            "Test MSE: network {mse}, ridge {:.1}",
            test(&linear)
        )),
        "{mse}"
    );
}

#[test]
fn the_shipped_beta_is_the_one_tune_chooses_around_it() {
    // docs/WORKFLOW.md sweeps 1 … 1000 (about 2 minutes); the neighbours of the choice suffice
    // to show it is the validation minimum among them.
    let out = common::cnnc_ok(
        &common::root(),
        &[
            "tune",
            "examples/diabetes_regression.cnn",
            "--over",
            "beta=100,300,1000",
            "--report",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["best"]["value"], 300.0, "{}", v["runs"]);
}
