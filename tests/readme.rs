//! README.md's examples against the files and the output they describe (the text report, the
//! `compare` table and the infeasibility example are in `train.rs`, the breast-cancer optima in
//! `breast_cancer.rs`).

mod common;

use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(common::root().join("README.md")).expect("README.md")
}

/// The first fenced block after the line containing `marker`.
fn block(marker: &str) -> Vec<String> {
    let text = readme();
    let rest = &text[text.find(marker).expect("marker in README.md")..];
    let start = rest.find("```").expect("a block");
    let start = start + rest[start..].find('\n').expect("fence line") + 1;
    let end = start + rest[start..].find("```").expect("its end");
    rest[start..end].lines().map(str::to_string).collect()
}

fn cnnc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cnnc"))
        .current_dir(common::root())
        .args(args)
        .output()
        .expect("cnnc runs")
}

/// `want` appears in `got` in order (lines compared without trailing spaces; `…` skips).
fn assert_in_order(want: &[String], got: &str) {
    let got: Vec<&str> = got.lines().map(str::trim_end).collect();
    let mut at = 0;
    for w in want.iter().map(|w| w.trim_end()).filter(|w| *w != "…") {
        match got[at..].iter().position(|g| *g == w) {
            Some(k) => at += k + 1,
            None => panic!(
                "README line not in the output (in order):\n{w}\n--- output:\n{}",
                got.join("\n")
            ),
        }
    }
}

/// "A model": the example file with its comments shortened, so the same code lines.
#[test]
fn the_model_shown_is_the_example() {
    let shown = block("## A model");
    assert!(shown[0].starts_with("# examples/seed003_1d.cnn"));
    let file =
        std::fs::read_to_string(common::root().join("examples/seed003_1d.cnn")).expect("example");
    let code = |lines: Vec<&str>| -> Vec<String> {
        lines
            .into_iter()
            .map(|l| l.split('#').next().unwrap_or("").trim_end().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    };
    assert_eq!(
        code(shown.iter().map(String::as_str).collect()),
        code(file.lines().collect())
    );
}

/// The per-class constraint quoted from `examples/breast_cancer_bounds.cnn` is in that file.
#[test]
fn the_constraint_shown_is_in_the_breast_cancer_example() {
    let shown = block("including one stated once for every");
    let file = std::fs::read_to_string(common::root().join("examples/breast_cancer_bounds.cnn"))
        .expect("example");
    assert_eq!(shown.len(), 2);
    assert!(file.contains(&shown.join("\n")), "{shown:?}");
}

/// The `--emit model` excerpt is what `compile --emit model` prints for the breast-cancer model.
#[test]
fn the_emit_model_excerpt_is_the_output() {
    let out = cnnc(&[
        "compile",
        "examples/breast_cancer_bounds.cnn",
        "--emit",
        "model",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let want = block("`--emit model` prints what the checker understood");
    assert_eq!(want.len(), 7);
    assert_in_order(&want, &String::from_utf8_lossy(&out.stdout));
}

/// The data-error example is what `check` prints for `tests/bad/non_numeric_cell.cnn`, whose
/// data file is `data/bad_cell.csv`.
#[test]
fn the_data_error_example_is_the_output() {
    let out = cnnc(&["check", "tests/bad/non_numeric_cell.cnn"]);
    assert_eq!(out.status.code(), Some(1));
    let want = block("Errors point at the exact span");
    assert_eq!(want.len(), 6);
    assert_in_order(&want, &String::from_utf8_lossy(&out.stderr));
}

/// The rank-lifting excerpt is what `train examples/seed001_relu332.cnn` prints.
#[test]
fn the_rank_lifting_excerpt_is_the_output() {
    let out = cnnc(&["train", "examples/seed001_relu332.cnn"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = block("and stops once every bilinear equality holds");
    assert_eq!(want.len(), 9);
    assert_in_order(&want, &String::from_utf8_lossy(&out.stdout));
}

/// The Convex-NN excerpt is what `train examples/seed002_sigmoid.cnn` prints.
#[test]
fn the_convex_nn_excerpt_is_the_output() {
    let out = cnnc(&["train", "examples/seed002_sigmoid.cnn"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = block("was tight was tightened by the excess");
    assert_eq!(want.len(), 3);
    assert_in_order(&want, &String::from_utf8_lossy(&out.stdout));
}

/// The query excerpt is what `solve examples/seed003_query.cnn` prints, and the answer is the
/// one `tests/queries.rs` checks against a grid search.
#[test]
fn the_query_excerpt_is_the_output() {
    let out = cnnc(&["solve", "examples/seed003_query.cnn"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = block("at the answer checks it; the LP relaxation's bound is shown beside it");
    assert_eq!(want.len(), 7);
    assert_in_order(&want, &String::from_utf8_lossy(&out.stdout));
}
