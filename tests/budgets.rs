//! Memory and time bombs (issue 8 §2) and the CSV items of §5: inputs whose declared sizes would
//! exhaust memory are refused before allocation, diagnostics are bounded and elided, and large
//! CSV files and constraint lists are read. Every run is the CLI binary under a 2 GiB
//! address-space cap (`ulimit -v`), so a regression fails here instead of exhausting the machine.
//! The large inputs are generated into a temporary folder.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `cnnc ARGS` in `dir` under a 2 GiB address-space limit, with `env` set.
fn cnnc(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"ulimit -v 2097152 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_cnnc"))
        .args(args)
        .current_dir(dir)
        .env_remove("CNNC_MEMORY_LIMIT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run cnnc")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `files` into a fresh temporary folder.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write input");
    }
    dir
}

/// Asserts exit code 1 and that stderr contains every piece.
fn refused(o: &Output, pieces: &[&str]) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr:\n{err}");
    for p in pieces {
        assert!(err.contains(p), "missing {p:?} in:\n{err}");
    }
    err
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

const SMALL_CSV: &str = "x1,y\n1,2\n3,4\n5,6\n";

// ---------------------------------------------------------------- model sizes

#[test]
fn a_variable_over_the_budget_is_refused_at_check() {
    let dir = folder(&[("m.cnn", "var w[100000, 100000]\nminimize sum(w)\n")]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    // 10^5 · 10^5 entries · 512 bytes = 5.12·10^12 bytes = 5.12·10^12 / 2^40 TiB = 4.66 TiB.
    let err = refused(
        &o,
        &[
            "[E0330]",
            "variable `w` needs an estimated 4.7 TiB, over the memory budget of 4.0 GiB",
            "m.cnn:1:5",
            "10,000,000,000 entries × 512 bytes",
        ],
    );
    assert_eq!(count(&err, "[E0330]"), 1, "{err}");
    // compile and train refuse it the same way instead of aborting on allocation.
    let o = cnnc(dir.path(), &["compile", "m.cnn", "--emit", "conic"], &[]);
    refused(&o, &["[E0330]", "variable `w`"]);
}

#[test]
fn layers_over_the_budget_are_refused_at_check() {
    let model = "data train = csv(\"s.csv\", target = y)\n\
                 network net(train) {\n  dense(1000000, relu)\n  dense(1000000, relu)\n  dense(1)\n}\n\
                 minimize sum_squares(net(train.x) - train.y)\n";
    let dir = folder(&[("m.cnn", model), ("s.csv", SMALL_CSV)]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    // Layer 1: 10^6 × (1 input + 1) weights of 512 bytes and 2 · 3 samples · 10^6 activations
    // of 8: 1.024·10^9 + 4.8·10^7 = 1.072·10^9 bytes = 1022.35 MiB.
    // Layer 2: 10^6 · (10^6 + 1) · 512 + 4.8·10^7 bytes = 5.12·10^14 bytes = 465.66 TiB.
    refused(
        &o,
        &[
            "[E0330]",
            "layer 2 of `net` (`net.W2`) needs an estimated 465.7 TiB",
            "m.cnn:4:3",
            "1,000,000 × 1,000,000 weights, 3 × 1,000,000 activations",
            "the declarations above it need 1022.3 MiB already",
        ],
    );
    let o = cnnc(dir.path(), &["train", "m.cnn"], &[]);
    refused(&o, &["[E0330]", "layer 2 of `net`"]);
}

#[test]
fn a_pattern_program_over_the_budget_is_refused_at_check() {
    let model = |method: &str| {
        format!(
            "data train = csv(\"s.csv\", target = y)\n\
             network net(train) {{\n  dense(8, relu, bias = column)\n  dense(1, bias = none)\n}}\n\
             minimize sum_squares(net(train.x) - train.y)\n{method}\n"
        )
    };
    let sampled = model("method patterns(enumeration = sampled, count = 1000000000)");
    let exact = model("method patterns");
    let dir = folder(&[("m.cnn", &sampled), ("e.cnn", &exact), ("s.csv", SMALL_CSV)]);
    // 10^9 patterns × 3 samples × 2 columns (x and the bias) × 4 blocks × 128 bytes
    // = 3.072·10^12 bytes = 2.79 TiB.
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    refused(
        &o,
        &[
            "[E0330]",
            "the program of method `patterns` needs an estimated 2.8 TiB",
            "m.cnn:7:1",
            "1,000,000,000 patterns × 3 samples × 2 columns of `net`, 4 blocks each",
        ],
    );
    let o = cnnc(dir.path(), &["train", "m.cnn"], &[]);
    refused(&o, &["[E0330]", "the program of method `patterns`"]);
    // Exact: Cover's bound 2 (1 + 2) = 6 patterns × 3 × 2 × 4 × 128 = 18,432 bytes, far inside.
    let o = cnnc(
        dir.path(),
        &["check", "e.cnn"],
        &[("CNNC_MEMORY_LIMIT", "1M")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn the_budget_can_be_raised_and_lowered() {
    // 1,000 · 1,000 · 512 = 5.12·10^8 bytes = 488.3 MiB: inside the default 4 GiB, over 256 MiB.
    let dir = folder(&[("m.cnn", "var w[1000, 1000]\nminimize sum(w)\n")]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = cnnc(
        dir.path(),
        &["check", "m.cnn"],
        &[("CNNC_MEMORY_LIMIT", "256M")],
    );
    refused(
        &o,
        &[
            "variable `w` needs an estimated 488.3 MiB, over the memory budget of 256.0 MiB",
            "the budget is CNNC_MEMORY_LIMIT=256M",
        ],
    );
    let o = cnnc(
        dir.path(),
        &["check", "m.cnn"],
        &[("CNNC_MEMORY_LIMIT", "lots")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_layer_wider_than_the_limit_says_the_limit() {
    let model = "data train = csv(\"s.csv\", target = y)\n\
                 network net(train) { dense(1000000000) }\n\
                 minimize sum_squares(net(train.x) - train.y)\n";
    let dir = folder(&[("m.cnn", model), ("s.csv", SMALL_CSV)]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    let err = refused(
        &o,
        &[
            "[E0304]",
            "a layer's width is at most 1,000,000, not 1000000000",
            "m.cnn:2:28",
        ],
    );
    assert!(!err.contains("positive integer"), "{err}");
}

// ---------------------------------------------------------------- CBF sizes

const CBF_HEAD: &str = "VER\n3\nOBJSENSE\nMIN\n";

fn cbf_refused(body: &str, pieces: &[&str]) {
    let text = format!("{CBF_HEAD}{body}");
    assert!(text.len() < 100, "the bomb is a small file");
    let dir = folder(&[("p.cbf", &text)]);
    let o = cnnc(dir.path(), &["solve", "p.cbf"], &[]);
    let err = refused(&o, pieces);
    assert_eq!(count(&err, "[E0730]"), 1, "{err}");
}

#[test]
fn cbf_declared_sizes_over_the_budget_are_refused() {
    // 10^7 columns, each with the row a VAR cone may add: 2 · 10^7 · 512 bytes = 1.024·10^10
    // bytes = 9.54 GiB.
    for cone in ["F", "L+"] {
        cbf_refused(
            &format!("VAR\n10000000 1\n{cone} 10000000\n"),
            &[
                "the problem needs an estimated 9.5 GiB, over the memory budget of 4.0 GiB",
                "p.cbf:6:1",
                "10,000,000 scalar variables × 1024 bytes",
            ],
        );
    }
    // Plus 10^7 constraint rows · 512 bytes: 1.536·10^10 bytes = 14.31 GiB.
    cbf_refused(
        "VAR\n10000000 1\nL+ 10000000\nCON\n10000000 1\nL+ 10000000\n",
        &["the problem needs an estimated 14.3 GiB", "p.cbf:6:1"],
    );
    // Order 4,471: t = 4471 · 4472 / 2 = 9,997,156 entries; 48 t² + 1024 t bytes
    // = 4.7973·10^15 + 1.0237·10^10 bytes = 4.26 PiB.
    cbf_refused(
        "PSDVAR\n1\n4471\n",
        &[
            "the problem needs an estimated 4.3 PiB",
            "p.cbf:7:1",
            "a PSD variable of order 4471: 9,997,156 entries, 48 bytes per pair of them",
        ],
    );
}

#[test]
fn cbf_errors_are_bounded_and_counted() {
    let mut text = format!("{CBF_HEAD}VAR\n1 1\nF 1\nOBJACOORD\n200000\n");
    for _ in 0..200_000 {
        text.push_str("x 1.0\n");
    }
    assert!(text.len() > 1_000_000);
    let dir = folder(&[("p.cbf", &text)]);
    let o = cnnc(dir.path(), &["solve", "p.cbf"], &[]);
    // One error per line (a name where the index belongs): 30 drawn, 200,000 − 30 counted.
    let err = refused(
        &o,
        &["… and 199,970 more diagnostics in `p.cbf` (only the first 30 are shown)"],
    );
    assert_eq!(count(&err, "[E0703]"), 30, "{err}");
    assert_eq!(count(&err, "more diagnostics"), 1);
}

#[test]
fn long_tokens_are_elided_in_cbf_messages() {
    let word = "Z".repeat(1_000_000);
    let text = format!("{CBF_HEAD}VAR\n1 1\n{word} 1\n");
    let dir = folder(&[("p.cbf", &text)]);
    let o = cnnc(dir.path(), &["solve", "p.cbf"], &[]);
    let err = refused(&o, &["[E0708]", "(1,000,000 bytes)", "p.cbf:7:1"]);
    assert!(err.len() < 2_000, "{} bytes of stderr", err.len());
}

#[test]
fn long_names_are_elided_in_model_messages() {
    let model = format!("var b\nminimize {}\n", "Z".repeat(1_000_000));
    let dir = folder(&[("m.cnn", &model)]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    // "unknown name `" (14 bytes), 10^6 `Z`s and "`": 1,000,015 bytes, cut to 1,000.
    let err = refused(
        &o,
        &[
            "[E0205]",
            "… (1,000,015 bytes)",
            "at m.cnn:2:10: not defined",
        ],
    );
    assert!(err.len() < 2_000, "{} bytes of stderr", err.len());
}

#[test]
fn solve_takes_a_time_limit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("tests/cbf/examples/exp_pow.cbf");
    let file = file.to_str().expect("utf-8 path");
    // A limit no interior-point iteration fits in: Clarabel stops at its first check (exit 5).
    let o = cnnc(root, &["solve", file, "--time-limit", "1e-9"], &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(5), "{out}\n{}", stderr(&o));
    let o = cnnc(root, &["solve", file, "--time-limit", "0"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`0` is not a positive number of seconds"));
}

// ---------------------------------------------------------------- CSV files

fn csv_model(file: &str, column: &str) -> String {
    format!(
        "data train = csv(\"{file}\", {column})\n\
         network net(train) {{ dense(1) }}\n\
         minimize sum_squares(net(train.x) - train.y)\n"
    )
}

#[test]
fn a_huge_cell_is_elided() {
    let cell = "9".repeat(20_000_000) + "e9999";
    let csv = format!("x1,y\n1,2\n{cell},3\n");
    let model = csv_model("d.csv", "target = y");
    let dir = folder(&[("m.cnn", &model), ("d.csv", &csv)]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    let err = refused(
        &o,
        &[
            "[E1004]",
            "row 3, column `x1` of `d.csv` is `",
            "… (20,000,005 bytes)`: not a finite number",
            "d.csv:3:1",
        ],
    );
    assert!(err.len() < 2_000, "{} bytes of stderr", err.len());
}

#[test]
fn crlf_files_are_located_on_the_right_line() {
    let csv = "x1,y\r\n1,2\r\n3,abc\r\n5,6\r\n";
    let dir = folder(&[("m.cnn", &csv_model("d.csv", "target = y")), ("d.csv", csv)]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    refused(
        &o,
        &[
            "row 3, column `y` of `d.csv` is not a number",
            "d.csv:3:3",
            " 3 │ 3,abc",
        ],
    );
}

#[test]
fn duplicate_header_names_are_refused() {
    let dir = folder(&[
        ("m.cnn", &csv_model("d.csv", "target = y")),
        ("d.csv", "x1,x1,y\n1,2,3\n4,5,6\n"),
    ]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    refused(
        &o,
        &[
            "[E1010]",
            "column `x1` appears twice in the header of `d.csv`",
            "d.csv:1:4",
            "column 2 is named again",
            "column 1 has this name",
        ],
    );
    // The first `y` used to win silently.
    let dir = folder(&[
        ("m.cnn", &csv_model("d.csv", "target = y")),
        ("d.csv", "x1,y,y\n1,2,3\n4,5,6\n"),
    ]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    refused(&o, &["column `y` appears twice", "d.csv:1:6"]);
}

#[test]
fn numeric_labels_are_compared_by_value() {
    let model = "use losses.{hinge}\n\
                 data train = csv(\"d.csv\", label = y)\n\
                 network net(train) { dense(1) }\n\
                 minimize sum(hinge(net(train.x), train.y))\n";
    let dir = folder(&[("m.cnn", model), ("d.csv", "x1,y\n1,1\n2,1.0\n3,1\n4,2\n")]);
    let o = cnnc(dir.path(), &["compile", "m.cnn", "--emit", "model"], &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Rows 1-3 are class 1 (`1`, `1.0`, `1`), row 4 class 2.
    assert!(out.contains("classes (1 = -1, 2 = +1)"), "{out}");
    assert!(out.contains("class 1: 3 train, 0 test"), "{out}");
    assert!(out.contains("class 2: 1 train, 0 test"), "{out}");
}

#[test]
fn one_class_per_row_is_refused_by_the_budget() {
    // 100,000 rows, each its own class: one-vs-rest targets of 100,000 columns, so
    // 10^5 · (1 + 10^5) · 8 = 8.00008·10^10 bytes = 74.51 GiB.
    let csv: String = std::iter::once("x1,y\n".to_string())
        .chain((0..100_000).map(|i| format!("{i},c{i}\n")))
        .collect();
    let model = "use losses.{hinge}\n\
                 data train = csv(\"d.csv\", label = y)\n\
                 network net(train) { dense(1) }\n\
                 minimize sum(hinge(net(train.x), train.y))\n";
    let dir = folder(&[("m.cnn", model), ("d.csv", &csv)]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    refused(
        &o,
        &[
            "[E0330]",
            "data `train` needs an estimated 74.5 GiB",
            "m.cnn:2:1",
            "100,000 rows × (1 features + 100000 target columns) × 8 bytes",
        ],
    );
}

#[test]
fn a_wide_csv_checks() {
    // 5,000 columns × 200 rows: a cell's position used to be found by rescanning its line.
    let mut csv: String = (1..5000).map(|i| format!("x{i},")).collect();
    csv.push_str("y\n");
    for r in 0..200 {
        let row: Vec<String> = (0..5000).map(|c| ((r * 7 + c) % 13).to_string()).collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    let dir = folder(&[
        ("m.cnn", &csv_model("d.csv", "target = y")),
        ("d.csv", &csv),
    ]);
    let o = cnnc(dir.path(), &["compile", "m.cnn", "--emit", "model"], &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        out.contains("x: [200x4999] features x1, x2,"),
        "{}",
        &out[..out.len().min(2000)]
    );
    // The last cell of the last row is wrong: found, at its column.
    let bad = csv
        .trim_end()
        .rsplit_once(',')
        .expect("a comma")
        .0
        .to_string()
        + ",oops\n";
    let dir = folder(&[
        ("m.cnn", &csv_model("d.csv", "target = y")),
        ("d.csv", &bad),
    ]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    let last_row = bad.lines().last().expect("a row");
    let col = last_row.chars().count() - 3;
    refused(
        &o,
        &[
            "row 201, column `y` of `d.csv` is not a number",
            &format!("d.csv:201:{col}"),
        ],
    );
}

// ---------------------------------------------------------------- many constraints

#[test]
fn many_named_constraints_check_and_duplicates_are_found() {
    let mut model = String::from("var b\nminimize b\n");
    for i in 0..32_000 {
        model.push_str(&format!("constraint c{i}: b >= 0\n"));
    }
    let dir = folder(&[("m.cnn", &model)]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "m.cnn: ok (0 data, 0 networks, 1 variable, 32000 constraints)\n"
    );
    // The same name once more, last: found and pointed at its first definition (line 3).
    model.push_str("constraint c0: b <= 1\n");
    let dir = folder(&[("m.cnn", &model)]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    let err = refused(
        &o,
        &[
            "[E0203]",
            "constraint `c0` is defined twice",
            "m.cnn:32003:12",
        ],
    );
    assert_eq!(count(&err, "[E0203]"), 1, "{err}");
    assert!(err.contains(" 3 │ constraint c0: b >= 0"), "{err}");
    // Every constraint named twice: 32,000 errors, 30 drawn, the rest counted.
    let base: String = (0..32_000)
        .map(|i| format!("constraint c{i}: b >= 0\n"))
        .collect();
    let twice = format!("var b\nminimize b\n{base}{base}");
    let dir = folder(&[("m.cnn", &twice)]);
    let o = cnnc(dir.path(), &["check", "m.cnn"], &[]);
    let err = refused(&o, &["… and 31,970 more diagnostics in `m.cnn`"]);
    assert_eq!(count(&err, "[E0203]"), 30);
}
