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

/// `--emit mps` of examples/l1_regression.cnn read back line by line against `--emit json` of
/// the same problem: one `E` row per zero-cone row and one `L` row per nonnegative-cone row, in
/// order and named `c<r>`; every column once, in order, declared free; its entries exactly the
/// non-zeros of `A` and `q`; the right sides exactly the non-zeros of `b`; no integer markers
/// (the model has no integer variables).
#[test]
fn mps_export_holds_the_conic_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |emit: &str| {
        let path = dir.path().join(format!("l1.{emit}"));
        let out = Command::new(env!("CARGO_BIN_EXE_cnnc"))
            .current_dir(common::root())
            .args([
                "compile",
                "examples/l1_regression.cnn",
                "--emit",
                emit,
                "-o",
            ])
            .arg(&path)
            .output()
            .expect("cnnc runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{emit}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(path).expect("written")
    };
    let json: serde_json::Value = serde_json::from_str(&write("json")).expect("valid JSON");
    let mps = write("mps");
    let nums = |v: &serde_json::Value| -> Vec<f64> {
        let a = v.as_array().expect("array");
        a.iter().map(|x| x.as_f64().expect("number")).collect()
    };
    let ints = |v: &serde_json::Value| -> Vec<usize> {
        let a = v.as_array().expect("array");
        a.iter()
            .map(|x| x.as_u64().expect("index") as usize)
            .collect()
    };

    // The conic problem: row kinds from the cones, A's triplets, q and b.
    let mut want_rows = vec![("N".to_string(), "obj".to_string())];
    for cone in json["cones"].as_array().expect("cones") {
        let kind = match cone["type"].as_str() {
            Some("ZeroConeT") => "E",
            Some("NonnegativeConeT") => "L",
            other => panic!("an LP has no {other:?} cone"),
        };
        for _ in 0..cone["dim"].as_u64().expect("dim") {
            let r = want_rows.len() - 1;
            want_rows.push((kind.to_string(), format!("c{r}")));
        }
    }
    let (colptr, rowval, nzval) = (
        ints(&json["A"]["colptr"]),
        ints(&json["A"]["rowval"]),
        nums(&json["A"]["nzval"]),
    );
    let mut want_a = Vec::new();
    for j in 0..colptr.len() - 1 {
        for k in colptr[j]..colptr[j + 1] {
            want_a.push((rowval[k], j, nzval[k]));
        }
    }
    let q = nums(&json["q"]);
    let b = nums(&json["b"]);
    let n = q.len();
    assert!(json["not_sent_to_solver"]["integer_vars"]
        .as_array()
        .expect("integer_vars")
        .is_empty());
    assert_eq!(json["not_sent_to_solver"]["maximize"], false);

    // The MPS file, section by section.
    let mut section = String::new();
    let (mut rows, mut cols, mut markers, mut bounds) = (vec![], vec![], vec![], vec![]);
    let (mut a, mut obj, mut rhs) = (vec![], vec![0.0; n], vec![0.0; b.len()]);
    let row_index = |name: &str| -> usize {
        name.strip_prefix('c')
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("row name {name}"))
    };
    for line in mps.lines().filter(|l| !l.starts_with('*')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if !line.starts_with(' ') {
            section = line.to_string();
            continue;
        }
        match (section.as_str(), f.as_slice()) {
            ("OBJSENSE", ["MIN"]) => {}
            ("ROWS", [kind, name]) => rows.push((kind.to_string(), name.to_string())),
            ("COLUMNS", [_, "'MARKER'", which]) => markers.push(which.to_string()),
            ("COLUMNS", [col, row, value]) => {
                if cols.last() != Some(col) {
                    cols.push(*col);
                }
                let (j, v) = (cols.len() - 1, value.parse::<f64>().expect("number"));
                match *row {
                    "obj" => obj[j] = v,
                    r => a.push((row_index(r), j, v)),
                }
            }
            ("RHS", ["RHS", row, value]) => rhs[row_index(row)] = value.parse().expect("number"),
            ("BOUNDS", ["FR", "BND", col]) => bounds.push(*col),
            (s, f) => panic!("unexpected line in {s}: {f:?}"),
        }
    }
    // 1 objective row, 0 E and 73 L rows (the box, ±r ≤ t, ±w ≤ t, Σ t ≤ 3).
    assert_eq!(rows.iter().filter(|r| r.0 == "E").count(), 0);
    assert_eq!(rows.iter().filter(|r| r.0 == "L").count(), 73);
    assert_eq!(rows, want_rows);
    assert_eq!(cols.len(), n);
    assert_eq!(bounds, cols, "every column free, in order");
    let mut unique = cols.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), n, "column names are unique");
    assert_eq!(a, want_a, "the entries of A");
    assert_eq!(obj, q);
    assert_eq!(rhs, b);
    assert!(markers.is_empty(), "{markers:?}");
    assert_eq!(section, "ENDATA");
    assert_eq!(
        mps.lines().find(|l| l.starts_with("NAME")),
        Some("NAME cnnc")
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
