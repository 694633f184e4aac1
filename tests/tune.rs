//! `cnnc tune`: one run per value, the best by the validation rows, its weights written; the
//! choice checked against the runs' own reports and against `cnnc train --set` and `cnnc eval`
//! at the chosen value (independent runs of the same deterministic training).

mod common;

use std::path::Path;

/// 60 noisy samples of `sin(2x)` on [−2, 2], with validation and test rows.
fn setup(dir: &Path, extra: &str) {
    let mut csv = String::from("x,y\n");
    for i in 0..60 {
        let x = -2.0 + 4.0 * i as f64 / 59.0;
        // A fixed, irregular perturbation (no randomness needed).
        let noise = 0.3 * ((i * 37 % 11) as f64 / 10.0 - 0.5);
        csv.push_str(&format!("{x},{}\n", (2.0 * x).sin() + noise));
    }
    std::fs::write(dir.join("d.csv"), csv).unwrap();
    let model = format!(
        "use losses.{{squared_error}}
use regularizers.{{weight_decay}}
const beta = 1
data train = csv(\"d.csv\", target = y, split = 0.8, validation = 0.2, seed = 3)
network net(train) {{ dense(40, relu, bias = column)  dense(1, bias = none) }}
minimize squared_error(net(train.x), train.y) + weight_decay(net, beta)
method patterns(enumeration = exact)
{extra}"
    );
    std::fs::write(dir.join("m.cnn"), model).unwrap();
}

/// The validation MSE of `cnnc eval` with a weights file, from its CSV.
fn eval_validation_mse(dir: &Path, weights: &str) -> f64 {
    let (rows, mse) = common::eval_part_mse(dir, weights, "validation");
    assert_eq!(rows, 12, "round(0.2 · 60) validation rows");
    mse
}

#[test]
fn the_best_value_is_the_lowest_validation_error_and_its_weights_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, "");
    let out = common::cnnc_ok(
        d,
        &[
            "tune",
            "m.cnn",
            "--over",
            "beta=0.001..10:5",
            "--report",
            "json",
            "-o",
            "best.json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["constant"], "beta");
    assert_eq!(v["criterion"], "validation MSE");
    let runs = v["runs"].as_array().unwrap();
    let values: Vec<f64> = runs.iter().map(|r| common::num(r, "value")).collect();
    assert_eq!(values, vec![0.001, 0.01, 0.1, 1.0, 10.0]);
    let scores: Vec<f64> = runs
        .iter()
        .map(|r| {
            let s = common::num(r, "score");
            let mse = common::num(&r["report"]["metrics"]["validation"], "mse");
            assert_eq!(s, mse, "the score is the report's validation MSE");
            assert_eq!(r["report"]["metrics"]["train"]["n"], 36);
            s
        })
        .collect();
    let argmin = (0..scores.len())
        .min_by(|&a, &b| scores[a].total_cmp(&scores[b]))
        .unwrap();
    assert_eq!(v["best"]["index"], argmin);
    // The scores differ: the sweep is not choosing among equals.
    assert!(
        scores.iter().any(|&s| (s - scores[argmin]).abs() > 1e-3),
        "{scores:?}"
    );
    // The written network has the chosen run's validation error…
    let written = eval_validation_mse(d, "best.json");
    assert!(
        (written - scores[argmin]).abs() <= 1e-9 * (1.0 + written),
        "{written}"
    );
    // … and so has an independent training run at the chosen value.
    let beta = format!("beta={}", values[argmin]);
    common::cnnc_ok(d, &["train", "m.cnn", "--set", &beta, "-o", "again.json"]);
    let again = eval_validation_mse(d, "again.json");
    assert!(
        (again - scores[argmin]).abs() <= 1e-6 * (1.0 + again),
        "{again}"
    );
}

#[test]
fn the_table_has_a_row_per_value_and_marks_the_best() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "");
    let text = String::from_utf8(common::cnnc_ok(
        dir.path(),
        &["tune", "m.cnn", "--over", "beta=0.01,10"],
    ))
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("beta") && lines[0].contains("valid. MSE"),
        "{text}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.ends_with("<- best")).count(),
        1,
        "{text}"
    );
    assert!(lines[3].starts_with("best       beta = "), "{text}");
}

#[test]
fn a_sweep_without_a_network_fails_with_e1113_after_its_table() {
    let dir = tempfile::tempdir().unwrap();
    setup(
        dir.path(),
        "constraint lo: net(train.x) >= 1\nconstraint hi: net(train.x) <= 0\n",
    );
    let out = common::cnnc(dir.path(), &["tune", "m.cnn", "--over", "beta=0.1,1"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("primal infeasible").count(), 2, "{stdout}");
    assert!(stdout.contains("best       none"), "{stdout}");
    assert!(
        common::stderr(&out).contains("E1113"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn a_refused_value_is_a_row_and_the_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "");
    // A negative weight decay is not convex: refused by the method (E1204), the sweep goes on.
    let out = common::cnnc(
        dir.path(),
        &["tune", "m.cnn", "--over", "beta=-1,0.1", "-o", "b.json"],
    );
    assert_eq!(out.status.code(), Some(1), "the refusal is an error");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().nth(1).unwrap().contains("not run (E1204)"),
        "{stdout}"
    );
    assert!(
        stdout.lines().nth(2).unwrap().ends_with("<- best"),
        "{stdout}"
    );
    assert!(
        common::stderr(&out).contains("E1204"),
        "{}",
        common::stderr(&out)
    );
    assert!(
        dir.path().join("b.json").is_file(),
        "the best of the others is written"
    );
}

#[test]
fn adam_starts_each_value_from_the_previous_network() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(
        d,
        "method adam(lr = 0.01, epochs = 60, restarts = 1, seed = 2)",
    );
    let out = common::cnnc_ok(
        d,
        &[
            "tune",
            "m.cnn",
            "--method",
            "adam",
            "--over",
            "beta=0.1,0.1",
            "--report",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let notes = |i: usize| runs[i]["report"]["notes"].to_string();
    let objective = |i: usize| common::num(&runs[i]["report"], "objective");
    assert!(!notes(0).contains("warm start"), "{}", notes(0));
    assert!(notes(1).contains("warm start"), "{}", notes(1));
    // The same value again: 60 more epochs from where the first run ended do better.
    assert!(
        objective(1) < objective(0),
        "{} {}",
        objective(1),
        objective(0)
    );
    // The first value is a cold start: the same as an independent `cnnc train`.
    let single = common::cnnc_ok(
        d,
        &[
            "train", "m.cnn", "--method", "adam", "--set", "beta=0.1", "--report", "json",
        ],
    );
    let single: serde_json::Value = serde_json::from_slice(&single).unwrap();
    assert_eq!(common::num(&single, "objective"), objective(0));
}
