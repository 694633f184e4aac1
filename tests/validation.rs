//! Validation rows (`validation = F` on a data declaration): the shares, the stratification,
//! the test rows unchanged by them, nothing trained on them, and their metrics in the report
//! equal to an independent evaluation of the trained network on them.

mod common;

use std::path::Path;

use cnnc::model::Model;

fn model(dir: &Path, data: &str) -> Model {
    let data_dir = common::root().join("examples/data");
    let text = format!(
        "data train = {}\nvar w[10]\nminimize sum_squares(train.x @ w - train.y)\n",
        data.replace("DATA", &data_dir.display().to_string())
    );
    let path = dir.join("m.cnn");
    std::fs::write(&path, text).unwrap();
    common::frontend(&path).expect("the model checks").2
}

#[test]
fn shares_are_of_all_rows_and_leave_the_test_rows_alone() {
    let dir = tempfile::tempdir().unwrap();
    let csv = r#"csv("DATA/diabetes.csv", target = progression, split = 0.8, seed = 0"#;
    let plain = model(dir.path(), &format!("{csv})"));
    let held = model(dir.path(), &format!("{csv}, validation = 0.2)"));
    let (a, b) = (&plain.datasets[0], &held.datasets[0]);
    // 442 rows: round(0.8 · 442) = 354 train+validation, 88 test; round(0.2 · 442) = 88.
    assert_eq!(
        (a.x.nrows(), a.validation_x.nrows(), a.test_x.nrows()),
        (354, 0, 88)
    );
    assert_eq!(
        (b.x.nrows(), b.validation_x.nrows(), b.test_x.nrows()),
        (266, 88, 88)
    );
    assert_eq!(a.test_x, b.test_x);
    assert_eq!(a.test_y, b.test_y);
    // Training and validation rows together are the plain training rows.
    let mut rows: Vec<Vec<f64>> = (0..266)
        .map(|i| b.x.row(i).iter().copied().collect())
        .chain((0..88).map(|i| b.validation_x.row(i).iter().copied().collect()))
        .collect();
    let mut want: Vec<Vec<f64>> = (0..354)
        .map(|i| a.x.row(i).iter().copied().collect())
        .collect();
    rows.sort_by(|p, q| p.partial_cmp(q).unwrap());
    want.sort_by(|p, q| p.partial_cmp(q).unwrap());
    assert_eq!(rows, want);
    // Without a split, the validation share comes out of all rows.
    let c = model(
        dir.path(),
        r#"csv("DATA/diabetes.csv", target = progression, validation = 0.25)"#,
    );
    let c = &c.datasets[0];
    assert_eq!(
        (c.x.nrows(), c.validation_x.nrows(), c.test_x.nrows()),
        (331, 111, 0)
    );
}

#[test]
fn labelled_rows_are_held_out_per_class_and_standardized_by_the_training_rows() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(
        dir.path(),
        r#"csv("DATA/breast_cancer.csv", label = diagnosis, standardize = true,
               features = [mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness,
                           mean_compactness, mean_concavity, mean_concave_points, mean_symmetry,
                           mean_fractal_dimension], split = 0.7, validation = 0.2, seed = 7)"#,
    );
    let d = &m.datasets[0];
    // 357 benign, 212 malignant: per class round(0.7·n) train+validation, round(0.2·n) validation.
    let counts: Vec<(usize, usize, usize)> = d
        .classes
        .iter()
        .map(|c| (c.rows.len(), c.validation_rows.len(), c.test_rows.len()))
        .collect();
    assert_eq!(counts, vec![(250 - 71, 71, 107), (148 - 42, 42, 64)]);
    // The features are standardized with the training rows' statistics: mean 0 there only.
    for j in 0..d.d() {
        let mean = d.x.column(j).mean();
        assert!(mean.abs() < 1e-12, "column {j}: {mean}");
    }
    let val_mean = d.validation_x.column(0).mean();
    assert!(
        val_mean.abs() > 1e-6,
        "validation rows have their own mean: {val_mean}"
    );
}

#[test]
fn the_report_s_validation_metrics_are_the_network_s_on_those_rows() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::root().join("examples/data/diabetes.csv");
    let text = format!(
        r#"use losses.{{squared_error}}
use regularizers.{{weight_decay}}
data train = csv("{}", target = progression, standardize = true, split = 0.8,
                 validation = 0.2, seed = 0)
network net(train) {{
    dense(8, relu, bias = column)
    dense(1, bias = none)
}}
minimize squared_error(net(train.x), train.y) + weight_decay(net, 10)
method patterns(enumeration = sampled, count = 20, seed = 0)
"#,
        data.display()
    );
    std::fs::write(dir.path().join("m.cnn"), text).unwrap();
    let d = dir.path();
    let r: serde_json::Value = serde_json::from_slice(&common::cnnc_ok(
        d,
        &["train", "m.cnn", "--report", "json", "-o", "w.json"],
    ))
    .unwrap();
    let v = &r["metrics"]["validation"];
    assert_eq!(v["n"], 88, "{}", r["metrics"]);
    assert_eq!(r["metrics"]["train"]["n"], 266);
    // `cnnc eval` predicts the validation rows: their MSE is the report's.
    let (rows, mse) = common::eval_part_mse(d, "w.json", "validation");
    assert_eq!(rows, 88);
    let reported = common::num(v, "mse");
    assert!((mse - reported).abs() <= 1e-9 * mse, "{mse} vs {reported}");
}

#[test]
fn the_model_stage_prints_the_seed_of_a_validation_share_without_a_split() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = common::root().join("examples/data");
    let text = format!(
        "data train = csv(\"{}/diabetes.csv\", target = progression, validation = 0.25, seed = 5)\n\
         var w[10]\nminimize sum_squares(train.x @ w - train.y)\n",
        data_dir.display()
    );
    std::fs::write(dir.path().join("m.cnn"), text).unwrap();
    let out = common::cnnc_ok(dir.path(), &["compile", "m.cnn", "--emit", "model"]);
    let text = String::from_utf8(out).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("split:"))
        .expect("a split line");
    assert_eq!(
        line.trim(),
        "split: 331 train / 111 validation / 0 test (fractions 0.75 / 0.25 / 0, seed 5)"
    );
    // Another seed holds out other rows.
    let seeded = |s: u64| {
        let t = std::fs::read_to_string(dir.path().join("m.cnn")).unwrap();
        std::fs::write(
            dir.path().join("m.cnn"),
            t.replace("seed = 5", &format!("seed = {s}")),
        )
        .unwrap();
        common::frontend(&dir.path().join("m.cnn"))
            .expect("checks")
            .2
            .datasets[0]
            .validation_y
            .clone()
    };
    let a = seeded(5);
    let b = seeded(6);
    assert_eq!(a.nrows(), 111);
    assert_ne!(a, b);
}
