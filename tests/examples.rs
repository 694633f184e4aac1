//! Every example checks cleanly and its `ast` and `model` stages match their snapshots; the
//! CLI exits 0 on each.

mod common;

use std::process::Command;

#[test]
fn examples_check_and_print() {
    insta::glob!("../examples", "*.cnn", |path| {
        let (sources, file, model) = match common::frontend(path) {
            Ok(r) => r,
            Err(e) => panic!("{} does not check:\n{e}", path.display()),
        };
        insta::assert_snapshot!("ast", cnnc::syntax::print::print_file(&sources, &file));
        insta::assert_snapshot!("model", cnnc::model::print::print_model(&sources, &model));
    });
}

#[test]
fn cli_checks_every_example() {
    let mut n = 0;
    for entry in std::fs::read_dir(common::root().join("examples")).expect("examples/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "cnn") {
            let out = Command::new(env!("CARGO_BIN_EXE_cnnc"))
                .current_dir(common::root())
                .arg("check")
                .arg(common::relative(&path))
                .output()
                .expect("cnnc runs");
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            n += 1;
        }
    }
    assert!(n >= 5, "expected at least five examples, found {n}");
}

#[test]
fn stdlib_modules_parse() {
    let mut sources = cnnc::diag::SourceMap::new();
    for (name, text) in cnnc::sema::MODULES {
        let id = sources.add(format!("stdlib/{name}.cnn"), None, text.to_string());
        if let Err(d) = cnnc::syntax::parse(&sources, id) {
            panic!("{}", cnnc::diag::render(&sources, &d, false));
        }
    }
}

#[test]
fn data_override_reads_another_file() {
    let out = Command::new(env!("CARGO_BIN_EXE_cnnc"))
        .current_dir(common::root())
        .args(["compile", "examples/seed003_1d.cnn", "--emit", "model"])
        .args([
            "--data",
            "train=tests/bad/data/seed003_more.csv",
            "--set",
            "beta=0.5",
        ])
        .output()
        .expect("cnnc runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("x: [7x1]"), "{text}");
    assert!(
        text.contains("const beta = 0.5 (set on the command line)"),
        "{text}"
    );
}

#[test]
fn json_model_is_valid_json() {
    let out = Command::new(env!("CARGO_BIN_EXE_cnnc"))
        .current_dir(common::root())
        .args([
            "compile",
            "examples/breast_cancer_bounds.cnn",
            "--emit",
            "model",
            "--format",
            "json",
        ])
        .output()
        .expect("cnnc runs");
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(
        v["datasets"][0]["classes"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(v["constraints"].as_array().map(Vec::len), Some(2));
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_cnnc"))
        .args(["compile", "x.cnn", "--emit", "nonsense"])
        .output()
        .expect("cnnc runs");
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_cnnc"))
        .args(["check", "examples/seed003_1d.cnn", "--set", "beta"])
        .output()
        .expect("cnnc runs");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn convex_model_exports_and_solves() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cnnc"))
            .current_dir(common::root())
            .args(args)
            .output()
            .expect("cnnc runs")
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for emit in ["conic", "cbf", "json", "lp"] {
        let path = dir.path().join(format!("l1.{emit}"));
        let out = run(&[
            "compile",
            "examples/l1_regression.cnn",
            "--emit",
            emit,
            "-o",
            path.to_str().expect("utf-8"),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{emit}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let read = |emit: &str| {
        std::fs::read_to_string(dir.path().join(format!("l1.{emit}"))).expect("written")
    };
    // The sizes, counted from examples/l1_regression.cnn: columns w (3), b, t (30) for the
    // residuals and t (3) for ‖w‖₁: 37. Rows: the box on w (6 rows of 1 non-zero), ±r ≤ t for
    // 30 residuals (60 rows of 5: w, b, t), ±w ≤ t (6 rows of 2) and Σ t ≤ 3 (1 row of 3):
    // 73 rows, 6 + 300 + 12 + 3 = 321 non-zeros.
    let json: serde_json::Value = serde_json::from_str(&read("json")).expect("valid JSON");
    let len = |v: &serde_json::Value| v.as_array().map_or(usize::MAX, Vec::len);
    let (n, m) = (37, 73);
    assert_eq!(
        (json["A"]["m"].as_u64(), json["A"]["n"].as_u64()),
        (Some(m as u64), Some(n as u64))
    );
    assert_eq!(len(&json["A"]["colptr"]), n + 1);
    assert_eq!(json["A"]["colptr"][n].as_u64(), Some(321));
    assert_eq!(len(&json["A"]["rowval"]), 321);
    assert_eq!(len(&json["A"]["nzval"]), 321);
    assert_eq!(len(&json["P"]["rowval"]), 0, "an LP");
    assert_eq!(len(&json["q"]), n);
    assert_eq!(len(&json["b"]), m);
    let cone_rows: u64 = json["cones"]
        .as_array()
        .expect("cones")
        .iter()
        .map(|c| c["dim"].as_u64().expect("dim"))
        .sum();
    assert_eq!(cone_rows, m as u64);
    // The objective Σ t: one 1 per residual, 30 in all.
    assert_eq!(
        json["q"]
            .as_array()
            .expect("q")
            .iter()
            .filter(|x| x.as_f64() == Some(1.0))
            .count(),
        30
    );
    // The text form states the same sizes.
    let conic = read("conic");
    assert_eq!(
        conic.lines().next(),
        Some("conic problem: 37 variables, 73 rows, 5 cone blocks, nnz(A) = 321, nnz(P) = 0")
    );
    // The LP: one row per cone row (all linear here), one bound per variable.
    let lp = read("lp");
    let rows = lp
        .lines()
        .filter(|l| l.starts_with(" c") && l.contains(':'))
        .count();
    let bounds = lp
        .lines()
        .filter(|l| l.ends_with(" free") || l.contains(" <= ") && !l.contains(':'))
        .count();
    assert_eq!((rows, bounds), (m, n), "{lp}");
    assert_eq!(lp.lines().last(), Some("End"));
    // The CBF file reads back to the same data as the JSON export.
    let mut sources = cnnc::diag::SourceMap::new();
    let back = cnnc::conic::cbf::read(&mut sources, "l1.cbf", read("cbf")).expect("reads back");
    assert_eq!((back.num_vars(), back.num_rows()), (n, m));
    assert_eq!(back.a.nnz(), 321);
    let q: Vec<f64> = json["q"]
        .as_array()
        .expect("q")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect();
    assert_eq!(back.q, q);
    let cbf = dir.path().join("l1.cbf");
    let out = run(&["solve", cbf.to_str().expect("utf-8"), "--report", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["status"], "optimal");
    // CVXPY 1.9.3 + Clarabel on the same data: 5.901551646883229.
    let objective = report["objective"].as_f64().expect("objective");
    assert!(
        (objective - 5.901551646883229).abs() / 5.9 < 1e-6,
        "objective {objective}"
    );
}

/// `--emit lowering` prints the method's own stage: for the pattern method exactly what
/// `--emit patterns` prints (text and JSON); for a model without a network the `direct` stage,
/// where `--emit patterns` still refuses with E1104.
#[test]
fn emit_lowering_is_the_methods_stage() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cnnc"))
            .current_dir(common::root())
            .args(args)
            .output()
            .expect("cnnc runs");
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            err,
        )
    };
    for format in ["text", "json"] {
        let base = [
            "compile",
            "examples/seed003_1d.cnn",
            "--format",
            format,
            "--emit",
        ];
        let (code, lowering, err) = run(&[&base[..], &["lowering"]].concat());
        assert_eq!(code, Some(0), "{err}");
        let (code, patterns, err) = run(&[&base[..], &["patterns"]].concat());
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(lowering, patterns);
    }
    let (_, text, _) = run(&["compile", "examples/seed003_1d.cnn", "--emit", "lowering"]);
    // docs/REFERENCE.md: the 5 samples of seed 003 with their bias column have 9 non-empty
    // patterns (10 with the empty one).
    assert!(
        text.contains("patterns   9 non-empty (10 with the empty one)"),
        "{text}"
    );
    let (code, text, err) = run(&[
        "compile",
        "examples/l1_regression.cnn",
        "--emit",
        "lowering",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        text,
        "direct     the model is its own convex program: no rewriting\n"
    );
    let (code, _, err) = run(&[
        "compile",
        "examples/l1_regression.cnn",
        "--emit",
        "patterns",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("E1104"), "{err}");
}
