//! `cnnc solve MODEL.cnn` on a plain convex model: every constraint's value, slack and
//! multiplier, against values derived by hand (below), and the solver options of a CBF solve.

mod common;

use std::path::Path;

/// `minimize 2x + y + Σz` with `x ≥ 1`, `x + y = 3`, `y ∈ [−10, 1.5]`, `z ∈ [0.5, 4]`,
/// `‖z‖₂ ≤ 10`. By hand: `y = 3 − x ≤ 1.5` forces `x ≥ 1.5`, so `x = y = 1.5`, `z = (½, ½)`,
/// optimum 5.5. Loosening `ylim` by δ lets `x = 1.5 − δ`: gain 1 per unit. Raising `cap`'s
/// right-hand side by δ forces `x = 1.5 + δ`: gain −2. Loosening `box`'s lower bound lowers
/// both entries: gain 1 each (the largest is reported). `lo` and `ball` do not bind: 0.
const MODEL: &str = "\
var x
var y
var z[2]
minimize 2 * x + y + sum(z)
constraint lo: x >= 1
constraint cap: x + y == 3
constraint ylim: y in [-10, 1.5]
constraint box: z in [0.5, 4]
constraint ball: norm2(z) <= 10
";

fn solve_json(dir: &Path, file: &str, text: &str, args: &[&str]) -> serde_json::Value {
    std::fs::write(dir.join(file), text).unwrap();
    let mut all = vec!["solve", file, "--report", "json"];
    all.extend_from_slice(args);
    serde_json::from_slice(&common::cnnc_ok(dir, &all)).expect("json")
}

#[test]
fn every_constraint_has_its_value_slack_and_multiplier() {
    let dir = tempfile::tempdir().unwrap();
    let v = solve_json(dir.path(), "m.cnn", MODEL, &[]);
    assert!((common::num(&v, "objective") - 5.5).abs() < 1e-7, "{v}");
    let expected = [
        ("lo", 1.5, 0.5, 0.0),
        ("cap", 3.0, 0.0, -2.0),
        ("ylim", 1.5, 0.0, 1.0),
        ("box", 0.5, 0.0, 1.0),
        ("ball", 0.5f64.sqrt(), 10.0 - 0.5f64.sqrt(), 0.0),
    ];
    let got = v["constraints"].as_array().expect("constraints");
    assert_eq!(got.len(), expected.len());
    for (c, (name, value, slack, dual)) in got.iter().zip(expected) {
        assert_eq!(c["name"], name);
        for (key, want) in [("value", value), ("slack", slack), ("dual", dual)] {
            let x = common::num(c, key);
            assert!(
                (x - want).abs() < 1e-6,
                "{name}.{key} = {x}, expected {want}"
            );
        }
        assert_eq!(c["satisfied"], true);
    }
    // The text report shows the same columns.
    let text = String::from_utf8(common::cnnc_ok(dir.path(), &["solve", "m.cnn"])).unwrap();
    let cap = text
        .lines()
        .find(|l| l.trim_start().starts_with("cap "))
        .expect(&text);
    let cols: Vec<&str> = cap.split_whitespace().collect();
    assert_eq!(cols[0], "cap");
    assert!(
        (cols[1].parse::<f64>().unwrap() - 3.0).abs() < 1e-6,
        "{cap}"
    );
    assert!(
        (cols[3].parse::<f64>().unwrap() + 2.0).abs() < 1e-6,
        "{cap}"
    );
    assert_eq!(cols[4], "ok");
}

#[test]
fn a_maximization_s_multipliers_are_gains_too() {
    // max Σz over ‖z‖₂ ≤ 2: z = (√2, √2), optimum 2√2; loosening the radius by δ gains √2 δ.
    // max x over x ≤ 2: gain 1.
    let dir = tempfile::tempdir().unwrap();
    let ball = "var z[2]\nmaximize sum(z)\nconstraint ball: norm2(z) <= 2\n";
    let v = solve_json(dir.path(), "b.cnn", ball, &[]);
    assert!(
        (common::num(&v, "objective") - 8f64.sqrt()).abs() < 1e-7,
        "{v}"
    );
    let c = &v["constraints"][0];
    assert!((common::num(c, "dual") - 2f64.sqrt()).abs() < 1e-6, "{c}");
    assert!((common::num(c, "value") - 2.0).abs() < 1e-6, "{c}");
    let top = "var x\nmaximize x\nconstraint top: x <= 2\n";
    let v = solve_json(dir.path(), "t.cnn", top, &[]);
    assert!(
        (common::num(&v["constraints"][0], "dual") - 1.0).abs() < 1e-7,
        "{v}"
    );
}

#[test]
fn a_cbf_solve_takes_the_solver_s_tolerances_and_refuses_unknown_options() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.cnn"), MODEL).unwrap();
    let cbf = common::cnnc_ok(dir.path(), &["compile", "m.cnn", "--emit", "cbf"]);
    std::fs::write(dir.path().join("m.cbf"), cbf).unwrap();
    let solve = |opts: &[&str]| {
        let mut args = vec!["solve", "m.cbf", "--report", "json"];
        args.extend_from_slice(opts);
        common::cnnc(dir.path(), &args)
    };
    let json = |o: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&o.stdout).expect("json")
    };
    let loose = solve(&[
        "--option",
        "tol_gap_rel=1e-3",
        "--option",
        "tol_gap_abs=1e-3",
    ]);
    let tight = solve(&[
        "--option",
        "tol_gap_rel=1e-12",
        "--option",
        "tol_feas=1e-12",
    ]);
    assert_eq!(loose.status.code(), Some(0), "{}", common::stderr(&loose));
    assert_eq!(tight.status.code(), Some(0), "{}", common::stderr(&tight));
    let err = |o: &std::process::Output| (common::num(&json(o), "objective") - 5.5).abs();
    assert!(err(&tight) < 1e-9, "{}", err(&tight));
    assert!(err(&loose) < 1e-2, "{}", err(&loose));
    // One iteration cannot solve it: the iteration limit is the solver's (exit 5).
    let short = solve(&["--option", "max_iter=1"]);
    assert_eq!(short.status.code(), Some(5), "{}", common::stderr(&short));
    assert_eq!(json(&short)["status"], "iteration_limit");
    for bad in ["iterations=3", "max_iter=2.5", "tol_feas=-1"] {
        let out = solve(&["--option", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            common::stderr(&out).contains("E0004"),
            "{bad}: {}",
            common::stderr(&out)
        );
    }
}

/// The lines of the first plain code block after `marker` (in a `sh` block) in docs/WORKFLOW.md.
fn workflow_block(marker: &str) -> Vec<String> {
    let text = std::fs::read_to_string(common::root().join("docs/WORKFLOW.md")).unwrap();
    let rest = &text[text.find(marker).expect("marker in docs/WORKFLOW.md") + marker.len()..];
    let rest = &rest[rest.find("```").expect("the sh block's end") + 3..];
    let start = rest.find("```\n").expect("a block") + 4;
    let end = start + rest[start..].find("```").expect("its end");
    rest[start..end].lines().map(str::to_string).collect()
}

#[test]
fn the_workflow_doc_s_solve_excerpt_is_the_output() {
    let out = common::cnnc_ok(&common::root(), &["solve", "examples/l1_regression.cnn"]);
    let got = String::from_utf8(out).unwrap();
    let want = workflow_block("```sh\ncnnc solve examples/l1_regression.cnn");
    assert_eq!(want.len(), 9);
    for (w, g) in want.iter().zip(got.lines()) {
        // Times vary.
        if !w.starts_with("time") {
            assert_eq!(w, g, "\n--- output:\n{got}");
        }
    }
}
