//! `cnnc eval` with weights files that do or do not fit the model: features matched by name
//! (reordered, or refused naming the missing and the extra columns), targets of another kind or
//! count refused naming the weights file, user-defined activations read back, non-finite
//! predictions and malformed files refused. Every model, data and weights file is written in a
//! temporary folder; the reference predictions are computed here from the weights file's JSON
//! by a forward pass written out by hand.

mod common;

use std::path::Path;

use serde_json::Value;

/// Five rows, two features, one numeric target.
const DATA: &str = "x1,x2,y\n1,0,1\n0,2,-1\n-1,1,0.5\n2,-1,2\n0.5,0.5,-0.5\n";

/// The rows of [`DATA`] as `(x1, x2)`.
const ROWS: [[f64; 2]; 5] = [[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0], [2.0, -1.0], [0.5, 0.5]];

/// A 2 → 3 → 1 regression model over `file` with the given features and hidden activation,
/// standardized so that the weights file's standardization is exercised too.
fn model(file: &str, features: &str, target: &str, activation: &str) -> String {
    format!(
        "use losses.{{squared_error}}\n\
         {}\
         data train = csv(\"{file}\", features = [{features}], {target}, standardize = true)\n\
         network net(train) {{\n    dense(3, {activation})\n    dense(1)\n}}\n\
         minimize squared_error(net(train.x), train.y)\n\
         method adam(epochs = 300, seed = 1)\n",
        if activation == "my_abs" {
            "activation my_abs(z) = dc(abs(z), 0)\n"
        } else {
            ""
        }
    )
}

use common::{cnnc, stderr};

/// Writes `files` into a new temporary folder.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("writes");
    }
    dir
}

/// `cnnc train MODEL -o WEIGHTS`, which must succeed.
fn train(dir: &Path, model: &str, weights: &str) {
    let out = cnnc(dir, &["train", model, "-o", weights]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// The `output` column of `cnnc eval`'s CSV, which must succeed.
fn eval_outputs(dir: &Path, model: &str, weights: &str) -> Vec<f64> {
    let out = cnnc(dir, &["eval", model, "--weights", weights]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("part,row,output,y"));
    lines
        .map(|l| {
            l.split(',')
                .nth(2)
                .expect("output")
                .parse()
                .expect("number")
        })
        .collect()
}

/// `cnnc eval` that must fail with exit code 1; its diagnostics.
fn eval_error(dir: &Path, model: &str, weights: &str) -> String {
    let out = cnnc(dir, &["eval", model, "--weights", weights]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no predictions on failure");
    stderr(&out)
}

/// The network of a weights file applied to one raw row in the recorded feature order, by
/// hand: standardize, then `h(W a + b)` per layer with separate biases.
fn forward(w: &Value, row: &[f64], h: impl Fn(&str, f64) -> f64) -> f64 {
    let floats = |v: &Value| -> Vec<f64> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect()
    };
    let s = &w["standardization"];
    let (mean, std) = (floats(&s["mean"]), floats(&s["std"]));
    let mut a: Vec<f64> = (0..row.len())
        .map(|j| (row[j] - mean[j]) / std[j])
        .collect();
    for layer in w["layers"].as_array().expect("layers") {
        assert_eq!(layer["bias_mode"], "separate");
        let rows = layer["shape"][0].as_u64().expect("rows") as usize;
        let cols = layer["shape"][1].as_u64().expect("cols") as usize;
        let (wt, b) = (floats(&layer["weights"]), floats(&layer["bias"]));
        let act = layer["activation"].as_str().expect("name");
        a = (0..rows)
            .map(|i| {
                h(
                    act,
                    (0..cols).map(|j| wt[i * cols + j] * a[j]).sum::<f64>() + b[i],
                )
            })
            .collect();
    }
    assert_eq!(a.len(), 1);
    a[0]
}

fn relu_or_identity(act: &str, z: f64) -> f64 {
    match act {
        "relu" => z.max(0.0),
        "identity" => z,
        other => panic!("unexpected activation {other}"),
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("reads")).expect("JSON")
}

#[test]
fn reordered_features_give_the_same_predictions() {
    let dir = folder(&[
        ("d.csv", DATA),
        ("a.cnn", &model("d.csv", "x1, x2", "target = y", "relu")),
        ("b.cnn", &model("d.csv", "x2, x1", "target = y", "relu")),
    ]);
    train(dir.path(), "a.cnn", "w.json");
    let w = read_json(&dir.path().join("w.json"));
    assert_eq!(w["feature_names"], serde_json::json!(["x1", "x2"]));
    let want: Vec<f64> = ROWS
        .iter()
        .map(|r| forward(&w, r, relu_or_identity))
        .collect();
    let a = eval_outputs(dir.path(), "a.cnn", "w.json");
    let b = eval_outputs(dir.path(), "b.cnn", "w.json");
    assert_eq!(a.len(), ROWS.len());
    assert_eq!(b.len(), ROWS.len());
    for ((p, q), r) in a.iter().zip(&b).zip(&want) {
        assert!((p - r).abs() <= 1e-12 * (1.0 + r.abs()), "{p} vs {r}");
        assert!((q - r).abs() <= 1e-12 * (1.0 + r.abs()), "{q} vs {r}");
    }
    // The predictions are not all alike, so a permutation of the inputs would show.
    assert!(want.iter().any(|v| (v - want[0]).abs() > 0.1), "{want:?}");
}

#[test]
fn missing_and_extra_features_are_named() {
    let renamed = DATA.replacen("x1", "z9", 1);
    let dir = folder(&[
        ("d.csv", DATA),
        ("z.csv", &renamed),
        ("a.cnn", &model("d.csv", "x1, x2", "target = y", "relu")),
        ("z.cnn", &model("z.csv", "z9, x2", "target = y", "relu")),
    ]);
    train(dir.path(), "a.cnn", "w.json");
    let err = eval_error(dir.path(), "z.cnn", "w.json");
    assert!(err.contains("E1106"), "{err}");
    assert!(err.contains("`w.json`"), "{err}");
    assert!(
        err.contains("trained on but missing from the data: `x1`"),
        "{err}"
    );
    assert!(
        err.contains("in the data but not an input of the network: `z9`"),
        "{err}"
    );
}

#[test]
fn targets_of_another_kind_or_count_are_refused() {
    let classes = "x1,x2,class\n1,0,a\n0,2,b\n-1,1,a\n2,-1,b\n0.5,0.5,a\n";
    let two = "x1,x2,y,y2\n1,0,1,0\n0,2,-1,1\n-1,1,0.5,2\n2,-1,2,3\n0.5,0.5,-0.5,4\n";
    let dir = folder(&[
        ("d.csv", DATA),
        ("c.csv", classes),
        ("t.csv", two),
        ("a.cnn", &model("d.csv", "x1, x2", "target = y", "relu")),
        ("c.cnn", &model("c.csv", "x1, x2", "label = class", "relu")),
        (
            "t.cnn",
            &model("t.csv", "x1, x2", "target = [y, y2]", "relu").replace("dense(1)", "dense(2)"),
        ),
    ]);
    train(dir.path(), "c.cnn", "classes.json");
    train(dir.path(), "a.cnn", "values.json");
    let err = eval_error(dir.path(), "a.cnn", "classes.json");
    assert!(err.contains("E1107"), "{err}");
    assert!(
        err.contains(
            "the network in `classes.json` predicts classes, data `train` has numeric targets"
        ),
        "{err}"
    );
    let err = eval_error(dir.path(), "c.cnn", "values.json");
    assert!(
        err.contains(
            "the network in `values.json` predicts numeric targets, data `train` has classes"
        ),
        "{err}"
    );
    // Same kind, other names: `y` against `y, y2`.
    let err = eval_error(dir.path(), "t.cnn", "values.json");
    assert!(
        err.contains("`values.json` predicts `y`; the data has `y`, `y2`"),
        "{err}"
    );
    // Without recorded targets the number of outputs still has to fit.
    let mut w = read_json(&dir.path().join("values.json"));
    w["target"] = Value::Null;
    std::fs::write(dir.path().join("untargeted.json"), w.to_string()).expect("writes");
    let err = eval_error(dir.path(), "t.cnn", "untargeted.json");
    assert!(
        err.contains(
            "the network in `untargeted.json` has 1 output, data `train` has 2 numeric targets"
        ),
        "{err}"
    );
}

#[test]
fn a_user_defined_activation_is_read_back() {
    let dir = folder(&[
        ("d.csv", DATA),
        ("u.cnn", &model("d.csv", "x1, x2", "target = y", "my_abs")),
        ("r.cnn", &model("d.csv", "x1, x2", "target = y", "relu")),
    ]);
    train(dir.path(), "u.cnn", "w.json");
    let w = read_json(&dir.path().join("w.json"));
    assert_eq!(w["layers"][0]["activation"], "my_abs");
    let want: Vec<f64> = ROWS
        .iter()
        .map(|r| {
            forward(&w, r, |act, z| match act {
                "my_abs" => z.abs(),
                other => relu_or_identity(other, z),
            })
        })
        .collect();
    let got = eval_outputs(dir.path(), "u.cnn", "w.json");
    assert_eq!(got.len(), want.len());
    for (p, r) in got.iter().zip(&want) {
        assert!((p - r).abs() <= 1e-12 * (1.0 + r.abs()), "{p} vs {r}");
    }
    // A model that does not define `my_abs` cannot evaluate it.
    let err = eval_error(dir.path(), "r.cnn", "w.json");
    assert!(err.contains("E0807"), "{err}");
    assert!(
        err.contains("layer 1 has the activation `my_abs`, which the model does not define"),
        "{err}"
    );
}

#[test]
fn non_finite_predictions_are_an_error() {
    let dir = folder(&[
        ("d.csv", DATA),
        ("a.cnn", &model("d.csv", "x1, x2", "target = y", "relu")),
    ]);
    train(dir.path(), "a.cnn", "w.json");
    let mut w = read_json(&dir.path().join("w.json"));
    // Every weight 1e308: finite numbers whose products overflow.
    for layer in w["layers"].as_array_mut().expect("layers") {
        let n = layer["weights"].as_array().expect("list").len();
        layer["weights"] = serde_json::json!(vec![1e308; n]);
    }
    std::fs::write(dir.path().join("big.json"), w.to_string()).expect("writes");
    let err = eval_error(dir.path(), "a.cnn", "big.json");
    assert!(err.contains("E1108"), "{err}");
    assert!(err.contains("the network in `big.json` predicts"), "{err}");
}

#[test]
fn malformed_files_are_refused_with_their_path() {
    let dir = folder(&[
        ("d.csv", DATA),
        ("a.cnn", &model("d.csv", "x1, x2", "target = y", "relu")),
    ]);
    train(dir.path(), "a.cnn", "w.json");
    let good = read_json(&dir.path().join("w.json"));
    let mut zero = good.clone();
    zero["layers"][0]["shape"] = serde_json::json!([0, 2]);
    zero["layers"][0]["weights"] = serde_json::json!([]);
    zero["layers"][0]["bias"] = serde_json::json!([]);
    let mut missing = good.clone();
    missing
        .as_object_mut()
        .expect("object")
        .remove("standardization");
    for (name, w, want) in [
        (
            "zero.json",
            zero,
            "layer 1 has shape [0, 2]: a layer needs at least one output",
        ),
        ("missing.json", missing, "missing field `standardization`"),
    ] {
        std::fs::write(dir.path().join(name), w.to_string()).expect("writes");
        let err = eval_error(dir.path(), "a.cnn", name);
        assert!(err.contains(&format!("weights file `{name}`")), "{err}");
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn a_loaded_network_takes_the_model_s_activations() {
    let dir = folder(&[
        ("d.csv", DATA),
        ("u.cnn", &model("d.csv", "x1, x2", "target = y", "my_abs")),
    ]);
    train(dir.path(), "u.cnn", "w.json");
    let query = "network t = load(\"w.json\")\nvar x[1, 2] in [-1, 1]\nmaximize sum(t(x))\n";
    let with = format!("activation my_abs(z) = dc(abs(z), 0)\n{query}");
    let decay = "activation my_abs(z) = dc(abs(z), 0)\nnetwork t = load(\"w.json\")\n\
                 minimize sum_squares(weights(t))\n";
    std::fs::write(dir.path().join("with.cnn"), with).expect("writes");
    std::fs::write(dir.path().join("without.cnn"), query).expect("writes");
    std::fs::write(dir.path().join("decay.cnn"), decay).expect("writes");
    // It loads (the model prints), but a query needs an exact mixed-integer form of each
    // activation, which a user's `dc` definition does not give (E1502).
    let out = cnnc(dir.path(), &["compile", "with.cnn", "--emit", "model"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = cnnc(dir.path(), &["check", "with.cnn"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("E1502"), "{}", stderr(&out));
    let out = cnnc(dir.path(), &["check", "without.cnn"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown activation `my_abs`"),
        "{}",
        stderr(&out)
    );
    let out = cnnc(dir.path(), &["check", "decay.cnn"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("E0314"), "{}", stderr(&out));
}

#[test]
fn without_feature_names_columns_are_taken_in_order() {
    let one = "x1,y\n1,1\n0,-1\n-1,0.5\n2,2\n0.5,-0.5\n";
    let dir = folder(&[
        ("d.csv", DATA),
        ("one.csv", one),
        ("a.cnn", &model("d.csv", "x1, x2", "target = y", "relu")),
        ("b.cnn", &model("d.csv", "x2, x1", "target = y", "relu")),
        ("one.cnn", &model("one.csv", "x1", "target = y", "relu")),
    ]);
    train(dir.path(), "a.cnn", "w.json");
    let mut w = read_json(&dir.path().join("w.json"));
    w["feature_names"] = serde_json::json!([]);
    std::fs::write(dir.path().join("nameless.json"), w.to_string()).expect("writes");
    // In order: `b.cnn` declares [x2, x1], so its first column feeds the input trained on x1.
    let swapped: Vec<f64> = ROWS
        .iter()
        .map(|r| forward(&w, &[r[1], r[0]], relu_or_identity))
        .collect();
    let got = eval_outputs(dir.path(), "b.cnn", "nameless.json");
    assert_eq!(got.len(), swapped.len());
    for (p, r) in got.iter().zip(&swapped) {
        assert!((p - r).abs() <= 1e-12 * (1.0 + r.abs()), "{p} vs {r}");
    }
    let err = eval_error(dir.path(), "one.cnn", "nameless.json");
    assert!(err.contains("E1106"), "{err}");
    assert!(
        err.contains("the network in `nameless.json` takes 2 features, data `train` has 1"),
        "{err}"
    );
}
