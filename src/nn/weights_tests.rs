//! Weights files: round trip, atomic writing and every reading error.

use nalgebra::DMatrix;

use super::test_models::*;
use super::weights::{read, write_atomic, WeightsFile};
use super::{DenseNet, Values};
use crate::diag::SourceMap;
use crate::model::{BiasMode, Model, NetId, Standardization};

/// A 2 → 3 (relu) → 2 network with separate biases and fixed, readable parameters.
fn small() -> (Model, NetId, Values) {
    let mut m = empty();
    let x = DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 2.0, -1.0, 0.5, 0.5]);
    let y = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.0, 1.0, 0.5, 0.5]);
    let d = add_data(&mut m, x, y, false);
    m.datasets[d.0].standardization = Some(Standardization {
        mean: vec![1.5, -0.25],
        std: vec![2.0, 0.5],
    });
    let net = add_net(&mut m, "net", 2, &[(3, "relu")], 2, BiasMode::Separate);
    m.networks[net.0].input = Some(d);
    let flat: Vec<f64> = (0..m.vars.iter().map(|v| v.shape.len()).sum::<usize>())
        .map(|i| (i as f64 - 8.0) / 4.0)
        .collect();
    let values = Values::from_flat(&m, &flat).expect("length");
    (m, net, values)
}

#[test]
fn the_schema_is_stable() {
    let (m, net, values) = small();
    let w = WeightsFile::from_network(&m, net, &values, Some("patterns")).expect("builds");
    insta::assert_snapshot!(w.to_json());
}

#[test]
fn round_trip_through_a_file() {
    let (m, net, values) = small();
    let w = WeightsFile::from_network(&m, net, &values, None).expect("builds");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("net.weights.json");
    write_atomic(&path, &w).expect("writes");
    let back = read(&path, &mut SourceMap::new()).expect("reads");
    assert_eq!(back, w);
    // Only the weights file is left in the directory: no temporary file.
    assert_eq!(std::fs::read_dir(dir.path()).expect("lists").count(), 1);
    // The loaded network computes what the trained one computes, standardization included.
    let loaded = back
        .to_network("net.weights.json", |_| None)
        .expect("network");
    let mut trained = DenseNet::from_model(&m, net, &values).expect("network");
    trained.standardization = m.datasets[0].standardization.clone();
    let raw = DMatrix::from_row_slice(2, 2, &[3.0, 0.25, -1.0, 2.0]);
    let a = loaded.forward(&raw).expect("forward");
    let b = trained.forward(&raw).expect("forward");
    assert_eq!(a, b);
    // Standardization is applied: (3 − 1.5)/2 = 0.75 is what the layers see.
    let mut plain = trained.clone();
    plain.standardization = None;
    let pre = DMatrix::from_row_slice(2, 2, &[0.75, 1.0, -1.25, 4.5]);
    assert_eq!(plain.forward(&pre).expect("forward"), a);
}

fn write_text(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("w.json");
    std::fs::write(&path, text).expect("writes");
    path
}

fn error_of(text: &str) -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_text(&dir, text);
    let d = read(&path, &mut SourceMap::new()).expect_err("must fail");
    (
        d.code.to_string(),
        d.message.clone()
            + " | "
            + &d.notes.join(" | ")
            + " | "
            + &d.labels
                .iter()
                .map(|l| l.message.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
    )
}

fn valid_json() -> String {
    let (m, net, values) = small();
    WeightsFile::from_network(&m, net, &values, None)
        .expect("builds")
        .to_json()
}

#[test]
fn reading_errors_name_the_file_and_the_problem() {
    let good = valid_json();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "E0803",
            "{ \"format\": ".to_string(),
            "not a valid weights file",
        ),
        (
            "E0803",
            good.replace("\"inputs\": 2,", ""),
            "not a valid weights file",
        ),
        (
            "E0804",
            good.replace("\"version\": 1", "\"version\": 7"),
            "schema version 7",
        ),
        (
            "E0804",
            good.replace("\"cnnc-weights\"", "\"other\""),
            "the format is `other`",
        ),
        (
            "E0805",
            good.replace("\"inputs\": 2,", "\"inputs\": 3,"),
            "2 feature names for 3 inputs",
        ),
        (
            "E0805",
            good.replacen(
                "\"bias_mode\": \"separate\"",
                "\"bias_mode\": \"column\"",
                1,
            ),
            "layer 1 has 2 columns, expected 3 (2 inputs and the bias column)",
        ),
        (
            "E0805",
            good.replacen("\"bias_mode\": \"separate\"", "\"bias_mode\": \"none\"", 1),
            "layer 1 has a `bias`",
        ),
        (
            "E0805",
            good.replace("\"y1\"", "\"y1\", \"y2\""),
            "3 target names for 2 outputs",
        ),
        (
            "E0806",
            good.replacen("0.5", "-0.5", 1),
            "standard deviation that is not positive",
        ),
        (
            "E0805",
            good.replacen("-2.0,", "", 1),
            "layer 1 has 5 weights",
        ),
        // Fields docs/WEIGHTS.md lists may be `null` but not missing.
        (
            "E0803",
            good.replace("\"model\": \"test.cnn\",", ""),
            "missing field `model`",
        ),
        (
            "E0803",
            good.replace("\"method\": null,", ""),
            "missing field `method`",
        ),
        (
            "E0803",
            good.replacen("\"bias\": [-0.5, -0.25, 0.0],", "", 1),
            "missing field `bias`",
        ),
        (
            "E0805",
            good.replacen("\"shape\": [3, 2]", "\"shape\": [0, 2]", 1),
            "layer 1 has shape [0, 2]: a layer needs at least one output",
        ),
        (
            "E0805",
            good.replace("\"inputs\": 2,", "\"inputs\": 0,")
                .replace("\"x0\",", "")
                .replace("\"x1\"", ""),
            "0 inputs",
        ),
        (
            "E0805",
            good.replace("\"x1\"", "\"x0\""),
            "the feature name `x0` appears more than once",
        ),
    ];
    for (code, text, want) in cases {
        let (got_code, msg) = error_of(&text);
        assert_eq!(got_code, code, "{msg}");
        assert!(msg.contains(want), "{msg} should say {want}");
        assert!(msg.contains("w.json"), "{msg} should name the file");
    }
    let missing = read(
        std::path::Path::new("/nonexistent/w.json"),
        &mut SourceMap::new(),
    )
    .expect_err("fails");
    assert_eq!(missing.code, "E0802");
    assert!(missing.message.contains("/nonexistent/w.json"));
}

#[test]
fn a_syntax_error_points_into_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_text(
        &dir,
        "{\n  \"format\": \"cnnc-weights\",\n  \"version\": 1,,\n}\n",
    );
    let mut sources = SourceMap::new();
    let d = read(&path, &mut sources).expect_err("fails");
    let span = d.primary_span().expect("has a span");
    assert_eq!(sources.line_col(span).0, 3);
    let rendered = crate::diag::render(&sources, &[d], false);
    assert!(rendered.contains("E0803"), "{rendered}");
    assert!(rendered.contains("\"version\": 1,,"), "{rendered}");
}

#[test]
fn unknown_activations_are_refused_when_building_the_network() {
    let (m, net, values) = small();
    let mut w = WeightsFile::from_network(&m, net, &values, None).expect("builds");
    w.layers[0].activation = "swish".into();
    let d = w.to_network("w.json", |_| None).expect_err("fails");
    assert_eq!(d.code, "E0807");
    assert!(d.message.contains("swish"));
}

#[test]
fn a_failed_write_leaves_the_old_file() {
    let (m, net, values) = small();
    let good = WeightsFile::from_network(&m, net, &values, None).expect("builds");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("net.json");
    write_atomic(&path, &good).expect("writes");
    let before = std::fs::read_to_string(&path).expect("reads");
    let mut bad = good.clone();
    bad.layers[1].weights[0] = f64::NAN;
    let d = write_atomic(&path, &bad).expect_err("refuses NaN");
    assert_eq!(d.code, "E0806");
    assert_eq!(std::fs::read_to_string(&path).expect("reads"), before);
    let d =
        write_atomic(&dir.path().join("no/such/dir/net.json"), &good).expect_err("no directory");
    assert_eq!(d.code, "E0801");
    assert_eq!(std::fs::read_dir(dir.path()).expect("lists").count(), 1);
}
