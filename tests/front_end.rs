//! The front end says what is true: `check` and `--emit convex` refuse non-convex models,
//! `--emit cbf` never writes a non-finite number, `compare` labels only what the model declares,
//! and a model file with a UTF-8 byte-order mark reads as without one.

mod common;

use common::{cnnc, stderr};

/// A model in a temporary folder.
fn model(text: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("m.cnn"), text).expect("writes");
    dir
}

#[test]
fn check_and_emit_convex_refuse_non_convex_models() {
    let dir = model(
        b"var x[3]\nvar w[2]\nvar b\nminimize sum_squares(x) - norm2(w)\n\
          constraint ball: norm2(w) >= 1\nconstraint logb: log(b) <= 1\n",
    );
    for args in [
        &["check", "m.cnn"][..],
        &["compile", "m.cnn", "--emit", "convex"][..],
    ] {
        let out = cnnc(dir.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?} printed a program");
        let err = stderr(&out);
        let messages: Vec<&str> = err.lines().filter(|l| l.contains("Error")).collect();
        assert_eq!(
            messages,
            [
                "[E0601] Error: sum of the convex `sum_squares(x)` and the concave `-norm2(w)`: neither convex nor concave",
                "[E0604] Error: constraint `ball`: the convex `norm2(w)` cannot be bounded below",
                "[E0604] Error: constraint `logb`: the concave `log(b)` cannot be bounded above",
            ],
            "{args:?}: {err}"
        );
    }
}

#[test]
fn emit_cbf_never_writes_a_non_finite_number() {
    for text in [
        &b"const c = 1e400\nvar x in [0, 1]\nminimize c * x\n"[..],
        b"var x in [0, 1]\nminimize 1e308 * 1e308 * x\n",
        b"var b in [1e400, 1e401]\nminimize b\n",
        b"var x in [0, 1]\nminimize exp(1000) * x\n",
        b"var x in [0, 1]\nminimize 1e300 * (1e300 * x)\n",
    ] {
        let dir = model(text);
        let out = cnnc(dir.path(), &["compile", "m.cnn", "--emit", "cbf"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(out.stdout.is_empty(), "a CBF file was written");
        assert!(err.contains("E0321"), "{err}");
        assert!(err.contains("m.cnn:"), "located: {err}");
    }
}

#[test]
fn compare_labels_only_declared_methods() {
    let root = common::root();
    // l1_regression declares no method: `patterns` ran with its defaults, nothing to point at.
    let out = cnnc(
        &root,
        &[
            "compare",
            "examples/l1_regression.cnn",
            "--methods",
            "patterns,adam",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("E1201"), "{err}");
    assert!(!err.contains("minimize"), "a label under `minimize`: {err}");
    assert!(
        err.contains("the model does not declare this method, so it runs with its default options"),
        "{err}"
    );
    // seed002 declares `convex_nn`, not `patterns`: the network is labelled, the method is not.
    let out = cnnc(
        &root,
        &[
            "compare",
            "examples/seed002_sigmoid.cnn",
            "--methods",
            "patterns",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not two layers"), "{err}");
    assert!(!err.contains("method patterns"), "{err}");
    assert!(!err.contains("method convex_nn"), "{err}");
    assert!(
        err.contains("the model does not declare this method, so it runs with its default options"),
        "{err}"
    );
}

#[test]
fn compare_runs_the_declared_methods_then_adam() {
    let root = common::root();
    // seed003_1d declares `patterns`: one row for it, one for adam, in that order.
    let out = cnnc(
        &root,
        &["compare", "examples/seed003_1d.cnn", "--set", "width=2"],
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let methods: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(methods, ["patterns", "adam"], "{text}");
    // l1_regression declares none: only adam runs (and finds no network), not patterns.
    let out = cnnc(&root, &["compare", "examples/l1_regression.cnn"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("E1103"), "{err}");
    assert!(!err.contains("E1201"), "{err}");
    // seed002_relu declares `patterns`, `convex_nn` and `adam`: three rows, in that order.
    let out = cnnc(
        &root,
        &[
            "compare",
            "examples/seed002_relu.cnn",
            "--option",
            "iterations=2",
            "--option",
            "enumeration=sampled",
            "--option",
            "count=50",
            "--option",
            "epochs=200",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let methods: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(methods, ["patterns", "convex_nn", "adam"], "{text}");
    for r in &rows[..2] {
        assert!(["optimal", "almost"].contains(&r[1]), "{text}");
    }
}

/// `--same-time` runs adam after the other methods, with restarts while they fit in the
/// longest of their times, and prints the rows in the order given.
#[test]
fn compare_at_the_same_time_keeps_the_order_of_the_methods() {
    let root = common::root();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "compare",
            "examples/seed002_relu.cnn",
            "--methods",
            "adam,patterns",
            "--option",
            "epochs=5",
            "--option",
            "restarts=1",
        ];
        args.extend_from_slice(extra);
        let out = cnnc(&root, &args);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let rows: Vec<(String, String)> = text
            .lines()
            .skip(1)
            .map(|l| (l[..10].trim().to_string(), l[11..26].trim().to_string()))
            .collect();
        (rows, text)
    };
    let (rows, text) = run(&[]);
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(rows[0], ("adam".into(), "best of 1".into()), "{text}");
    assert_eq!(rows[1].0, "patterns", "{text}");
    // The exact pattern solve takes far longer than five adam steps, so adam gets restarts
    // beyond the one declared.
    let (rows, text) = run(&["--same-time"]);
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(rows[0].0, "adam", "{text}");
    assert_eq!(rows[1].0, "patterns", "{text}");
    let runs: usize = rows[0]
        .1
        .strip_prefix("best of ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(runs > 1, "{text}");
    // A time limit given stays: 1e-9 s leaves room for the first restart only.
    let (rows, text) = run(&["--same-time", "--option", "time_limit=1e-9"]);
    assert_eq!(rows[0], ("adam".into(), "best of 1".into()), "{text}");
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let dir = model(b"\xef\xbb\xbfvar x in [0, 1]\nminimize x\n");
    let out = cnnc(dir.path(), &["check", "m.cnn"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Columns count from the first character after the mark.
    let dir = model(b"\xef\xbb\xbfminimize y\n");
    let out = cnnc(dir.path(), &["check", "m.cnn"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("m.cnn:1:10"), "{err}");
}
