//! Rank lifting end to end (seed 001; docs/RANK_LIFTING.md). Independent sources: the
//! generating network of the seed 001 data (`examples/data/seed001_relu332_weights.json`,
//! written with the data by `scripts/make_data.py`) and of `tests/data/two_hidden.csv`; the
//! closed form `‖M‖_* ≥ 1` per 2×2 block with equality at an exact solution whose parameters are
//! the solution (so the objective is at least the number of blocks, 270 for seed 001, and equal
//! to it at the generating network); the numeric nuclear norms the report recomputes from the
//! solution against the solver's epigraph objective.

mod common;

use serde_json::Value;

const MODEL: &str = "examples/seed001_relu332.cnn";
const TRUE: &str = "start=examples/data/seed001_relu332_weights.json";
/// 90 complementarity blocks (30 samples × 3 hidden) + 180 product blocks (30 × 2 × 3).
const BLOCKS: f64 = 270.0;

use common::num;

fn train_json(args: &[&str]) -> Value {
    common::train_json(MODEL, args)
}

/// Every per-iteration record has the documented keys, numbered 1, 2, …; the report's
/// nuclear norms (recomputed from the solution) equal the solver's objective (its epigraphs);
/// no objective is below the number of blocks.
fn check_records(r: &Value) -> &Vec<Value> {
    let its = r["iterations"].as_array().expect("iterations");
    assert!(!its.is_empty());
    for (k, it) in its.iter().enumerate() {
        assert_eq!(it["iteration"].as_u64(), Some(k as u64 + 1), "{it}");
        for key in [
            "objective",
            "violation",
            "fit",
            "solver_seconds",
            "other_seconds",
        ] {
            assert!(num(it, key).is_finite(), "{key} in {it}");
        }
        assert!(it["reused"].is_boolean(), "{it}");
        let (obj, nuc) = (num(it, "objective"), num(&it["details"], "nuclear_norms"));
        assert!((obj - nuc).abs() <= 1e-5 * obj, "{obj} vs {nuc}");
        assert!(obj >= BLOCKS - 1e-5, "{obj}");
        let v = num(it, "violation");
        let parts = num(&it["details"], "complementarity").max(num(&it["details"], "product"));
        assert_eq!(v, parts, "{it}");
    }
    its
}

#[test]
fn seed001_from_the_perturbed_generating_network_reaches_the_tolerance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = dir.path().join("w.json");
    let w = weights.to_str().expect("utf-8");
    // The example is the seed's reference run: the generating network plus N(0, 0.1²) noise.
    let r = train_json(&["--option", "iterations=30", "-o", w]);
    for key in [
        "status",
        "method",
        "objective",
        "network_objective",
        "metrics",
        "constraints",
    ] {
        assert!(r.get(key).is_some(), "`{key}` in {r}");
    }
    assert_eq!(r["status"], "optimal");
    assert_eq!(r["method"], "rank_lifting");
    assert_eq!(r["stop_reason"], "tolerance", "{r}");
    let its = check_records(&r);
    // Measured: 22 iterations (the CVXPY reference of seed 001: 24–25 from σ = 0.1 noise).
    assert!((2..=30).contains(&its.len()), "{} iterations", its.len());
    // Only numbers change after the first pass: the solver is kept and updated every time.
    assert_eq!(its[0]["reused"], false);
    assert!(its[1..].iter().all(|i| i["reused"] == true), "{its:?}");
    let last = its.last().expect("one");
    let v = num(&r, "violation");
    assert!(v < 1e-7, "{v}");
    assert_eq!(v, num(last, "violation"));
    // Before the last pass the violation was above the tolerance (else the loop would have
    // stopped), and the true forward pass fits the data.
    assert!(num(&its[its.len() - 2], "violation") >= 1e-7);
    assert!(num(last, "fit") < 1e-6, "{last}");
    assert!((num(last, "objective") - BLOCKS).abs() < 1e-2, "{last}");
    let train = &r["metrics"]["train"];
    assert!(num(train, "mse") < 1e-12, "{train}");
    assert_eq!(r["constraints"][0]["name"], "fit");
    assert_eq!(r["constraints"][0]["satisfied"], true);
    // The weights file is the trained network: eval reproduces the data.
    let out = common::cnnc(&common::root(), &["eval", MODEL, "--weights", w]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let csv = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(csv.lines().count(), 31, "{csv}");
}

#[test]
fn the_generating_network_is_a_fixed_point() {
    let r = train_json(&["--option", TRUE, "--option", "perturb=0"]);
    assert_eq!(r["stop_reason"], "tolerance");
    let its = check_records(&r);
    assert_eq!(its.len(), 1);
    // ‖M‖_* = 1 for each of the 270 blocks at P = P₀ = the exact solution.
    assert!(
        (num(&its[0], "objective") - BLOCKS).abs() < 1e-5,
        "{}",
        its[0]
    );
    // The data are the network's outputs rounded to 10 digits.
    assert!(num(&r, "violation") < 1e-7);
}

#[test]
fn random_and_zero_starts_report_their_violation() {
    for start in ["random", "zeros"] {
        let opt = format!("start={start}");
        let r = train_json(&[
            "--option",
            &opt,
            "--option",
            "perturb=0",
            "--option",
            "iterations=4",
        ]);
        assert_eq!(r["stop_reason"], "iteration limit", "{r}");
        let its = check_records(&r);
        assert_eq!(its.len(), 4);
        let v = num(&r, "violation");
        assert!(v > 1e-4, "{start}: {v}");
        let note = r["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .filter_map(Value::as_str)
            .find(|n| n.contains("measured bilinear violation"))
            .unwrap_or_else(|| panic!("{start}: a note on the violation in {r}"));
        assert!(note.starts_with("local: no optimality guarantee"), "{note}");
        assert!(!note.contains("BUG"), "{note}");
        assert!(note.contains(&format!("{v:.2e}")), "{note}");
    }
    // The text report prints the table, the stop reason, and the unmet constraint.
    let out = common::cnnc_ok(
        &common::root(),
        &[
            "train",
            MODEL,
            "--option",
            "start=random",
            "--option",
            "iterations=3",
        ],
    );
    let text = String::from_utf8(out).expect("utf-8");
    let rows = text
        .lines()
        .skip_while(|l| !l.starts_with("iter "))
        .skip(1)
        .take_while(|l| l.starts_with("   "))
        .count();
    assert_eq!(rows, 3, "{text}");
    assert!(
        text.contains("stop       iteration limit after 3 iterations, violation "),
        "{text}"
    );
    assert!(text.contains("objective  last program "), "{text}");
    assert!(text.contains("VIOLATED"), "{text}");
}

#[test]
fn stopping_rules_follow_their_definitions() {
    // epsilon: the nuclear norms change by far less than half of themselves after one pass.
    let r = train_json(&["--option", "epsilon=0.5", "--option", "iterations=50"]);
    assert_eq!(r["stop_reason"], "objective improvement below epsilon");
    assert_eq!(check_records(&r).len(), 2);
    // stall = 1: stops at the first pass whose violation is not 1 % below the best so far.
    let r = train_json(&[
        "--option",
        "start=random",
        "--option",
        "perturb=0",
        "--option",
        "stall=1",
        "--option",
        "iterations=50",
    ]);
    let its = check_records(&r);
    let v: Vec<f64> = its.iter().map(|i| num(i, "violation")).collect();
    if r["stop_reason"] == "stall" {
        let best = v[..v.len() - 1]
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        assert!(v[v.len() - 1] >= 0.99 * best, "{v:?}");
    } else {
        assert!(
            ["iteration limit", "tolerance"].contains(&r["stop_reason"].as_str().unwrap_or("")),
            "{r}"
        );
    }
    for k in 1..v.len() - 1 {
        let best = v[..k].iter().copied().fold(f64::INFINITY, f64::min);
        assert!(
            v[k] < 0.99 * best,
            "pass {} should have stalled: {v:?}",
            k + 1
        );
    }
}

#[test]
fn bad_options_on_the_command_line_are_diagnosed() {
    for (opt, says) in [
        ("iterations=abc", "`abc` is not a non-negative integer"),
        ("form=sdp", "`sdp` is not one of `elementwise`, `matrix`"),
        ("iteration=3", "did you mean `iterations`?"),
        (
            "start=missing.json",
            "cannot read weights file `missing.json`",
        ),
    ] {
        let out = common::cnnc(&common::root(), &["train", MODEL, "--option", opt]);
        assert_eq!(out.status.code(), Some(1), "{opt}");
        let err = common::stderr(&out);
        assert!(err.contains(says), "{opt}: {err}");
    }
}

/// A temporary folder holding `name`: the 2 → 3 → 2 → 1 network of `tests/data/two_hidden*`
/// fitted exactly by rank lifting from its generating weights plus N(0, perturb²) noise.
fn two_hidden_model(name: &str, perturb: f64, iterations: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = common::root().join("tests/data");
    let model = format!(
        "data train = csv({:?}, features = [x1, x2], target = y)\n\
         network net(train) {{ dense(3, relu)  dense(2, relu)  dense(1) }}\n\
         constraint fit: net(train.x) == train.y\n\
         method rank_lifting(start = {:?}, perturb = {perturb}, seed = 3, iterations = {iterations})\n",
        data.join("two_hidden.csv"),
        data.join("two_hidden_weights.json"),
    );
    std::fs::write(dir.path().join(name), model).expect("written");
    dir
}

#[test]
fn two_hidden_layers_fit_exactly() {
    let dir = two_hidden_model("two.cnn", 0.02, 80);
    let out = common::cnnc_ok(dir.path(), &["train", "two.cnn", "--report", "json"]);
    let r: Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(r["stop_reason"], "tolerance", "{r}");
    let its = r["iterations"].as_array().expect("iterations");
    // Measured: 45 iterations. 36 + 24 complementarity and 72 + 24 product blocks.
    assert!(its.len() <= 80);
    let last = its.last().expect("one");
    assert!(num(last, "violation") < 1e-7);
    assert!(num(last, "fit") < 1e-6, "{last}");
    assert!((num(last, "objective") - 156.0).abs() < 1e-2, "{last}");
    assert_eq!(r["widths"], serde_json::json!([2, 3, 2, 1]));
    assert!(num(&r["metrics"]["train"], "mse") < 1e-12);
    let text = common::cnnc_ok(dir.path(), &["compile", "two.cnn", "--emit", "lowering"]);
    let text = String::from_utf8(text).expect("utf-8");
    assert!(text.contains("  cones     312 soc(3), 0 psd\n"), "{text}");
}

#[test]
fn the_complementarity_stage_counts_its_equalities() {
    let out = common::cnnc_ok(
        &common::root(),
        &[
            "compile",
            MODEL,
            "--emit",
            "complementarity",
            "--format",
            "json",
        ],
    );
    let j: Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(j["samples"], 30);
    assert_eq!(j["complementarity"], 90);
    assert_eq!(j["product_equalities"], 60);
    assert_eq!(j["scalar_products"], 180);
    let layers = j["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0]["affine"], true);
    assert_eq!(layers[1]["products"], 180);
    // The conic problem names the rewriting that wrote each row.
    let conic = common::cnnc_ok(&common::root(), &["compile", MODEL, "--emit", "conic"]);
    let conic = String::from_utf8(conic).expect("utf-8");
    assert!(
        conic.contains("(rank_lifting: canon:soc) complementarity of layer 1"),
        "{conic}"
    );
    // The pattern method has no such stage.
    let out = common::cnnc(
        &common::root(),
        &[
            "compile",
            "examples/seed003_1d.cnn",
            "--emit",
            "complementarity",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("[E1104]") || common::stderr(&out).contains("E1104"));
}

#[cfg(not(feature = "sdp"))]
#[test]
fn the_matrix_form_needs_the_sdp_feature() {
    let out = common::cnnc(
        &common::root(),
        &["train", MODEL, "--option", "form=matrix"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    for says in [
        "E1304",
        "`sdp` feature",
        "libopenblas-dev",
        "form = elementwise",
    ] {
        assert!(err.contains(says), "{says}: {err}");
    }
}

#[cfg(feature = "sdp")]
#[test]
fn the_matrix_form_reaches_the_tolerance_from_the_perturbed_network() {
    let r = train_json(&[
        "--option",
        TRUE,
        "--option",
        "perturb=0.1",
        "--option",
        "form=matrix",
        "--option",
        "iterations=80",
    ]);
    assert_eq!(r["stop_reason"], "tolerance", "{r}");
    let its = r["iterations"].as_array().expect("iterations");
    let last = its.last().expect("one");
    assert!(num(last, "violation") < 1e-7);
    // 90 complementarity blocks (≥ 1 each) and one 33×5 block (≥ 3).
    assert!((num(last, "objective") - 93.0).abs() < 1e-2, "{last}");
}

#[test]
fn plot_draws_the_violations_per_iteration_and_pipes_get_no_progress_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let svg = dir.path().join("violations.svg");
    let out = common::cnnc(
        &common::root(),
        &[
            "train",
            MODEL,
            "--option",
            "iterations=5",
            "--plot",
            svg.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    // Not a terminal: no progress line, nothing at all on stderr.
    assert_eq!(common::stderr(&out), "");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.contains("stop       iteration limit after 5 iterations"),
        "{text}"
    );
    let svg = std::fs::read_to_string(&svg).expect("the plot is written");
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    for name in [
        "complementarity violation",
        "product violation",
        "fit (relative)",
    ] {
        assert!(svg.contains(name), "{name}");
    }
    // One polyline per series with a point per iteration (plus the legend's short samples).
    let lines: Vec<usize> = svg
        .split("<polyline")
        .skip(1)
        .map(|p| {
            let pts = p
                .split("points=\"")
                .nth(1)
                .and_then(|s| s.split('"').next());
            pts.map_or(0, |s| s.split_whitespace().count())
        })
        .collect();
    assert_eq!(lines.iter().filter(|&&n| n == 5).count(), 3, "{lines:?}");
}

/// docs/RANK_LIFTING.md: `stall` is off by default because convergence is abrupt; with
/// `stall = 10` the two-hidden-layer network from a σ = 0.05 start stops early, without it
/// the same run reaches the tolerance later.
#[test]
fn a_stall_rule_would_stop_an_abruptly_converging_run() {
    let dir = two_hidden_model("m.cnn", 0.05, 150);
    let run = |extra: &[&str]| -> Value {
        let mut args = vec!["train", "m.cnn", "--report", "json"];
        args.extend_from_slice(extra);
        serde_json::from_slice(&common::cnnc_ok(dir.path(), &args)).expect("JSON")
    };
    let stalled = run(&["--option", "stall=10"]);
    let full = run(&[]);
    assert_eq!(stalled["stop_reason"], "stall", "{stalled}");
    assert_eq!(full["stop_reason"], "tolerance", "{full}");
    let (a, b) = (
        stalled["iterations"].as_array().expect("list").len(),
        full["iterations"].as_array().expect("list").len(),
    );
    // Measured: 58 and 112 passes; the stalled run's violation 1.1e-4.
    assert!(a < b, "{a} vs {b}");
    assert!(num(&stalled, "violation") > 1e-6);
    assert!(num(&full, "violation") < 1e-7);
}

/// The plots in docs/ are of seed 001: three series (two violations and the fit), one point
/// per pass (22 from the example's start, 50 from the random one).
#[test]
fn the_plots_in_the_docs_are_of_the_runs_they_describe() {
    for (file, passes) in [
        ("docs/rank_lifting_seed001.svg", 22),
        ("docs/rank_lifting_seed001_random.svg", 50),
    ] {
        let svg = std::fs::read_to_string(common::root().join(file)).expect("the plot");
        let counts: Vec<usize> = svg
            .split("<polyline")
            .skip(1)
            .map(|p| {
                let pts = p
                    .split("points=\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next());
                pts.map_or(0, |s| s.split_whitespace().count())
            })
            .collect();
        assert_eq!(
            counts.iter().filter(|&&n| n == passes).count(),
            3,
            "{file}: {counts:?}"
        );
        for name in [
            "complementarity violation",
            "product violation",
            "fit (relative)",
        ] {
            assert!(svg.contains(name), "{file}: {name}");
        }
    }
    // --option works for compile too.
    let out = common::cnnc_ok(
        &common::root(),
        &[
            "compile",
            MODEL,
            "--emit",
            "lowering",
            "--option",
            "iterations=7",
        ],
    );
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.contains("  stop      violation < 1e-7, 7 iterations\n"),
        "{text}"
    );
}

/// `compare` runs the declared method and adam; adam cannot run a model without an objective,
/// which its row and the diagnostics after the table say (exit 1), and the other row stands.
#[test]
fn compare_reports_a_method_that_cannot_run_and_keeps_the_others() {
    let out = common::cnnc(&common::root(), &["compare", MODEL]);
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8(out.stdout.clone()).expect("utf-8");
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(
        rows[0].starts_with("rank_lifting") && rows[0].contains("optimal"),
        "{table}"
    );
    assert!(
        rows[1].starts_with("adam") && rows[1].contains("not run (E0820)"),
        "{table}"
    );
    assert!(common::stderr(&out).contains("the model has no objective"));
}

/// From the second pass on the loop does not build a new program: the lowering writes the new
/// parameters' numbers into the previous conic form. That form is exactly the
/// canonicalization of the new program (same pattern, same values, same right-hand side).
#[test]
fn the_conic_form_updated_in_place_is_the_new_programs() {
    use cnnc::lower::Next;
    let (sources, _, model) =
        common::frontend(&common::root().join(MODEL)).expect("the example checks");
    let method = model.methods[0].clone();
    let mut l = cnnc::lower(&model, &sources, &method)
        .expect("lowers")
        .expect("a lowering");
    let (mut problem, map) = cnnc::canonicalize(&l.translation().program).expect("conic");
    let settings = cnnc::solve::Settings::from_options(&model.solver.options);
    for pass in 1..=3 {
        let outcome =
            cnnc::solve(&problem, cnnc::solve::Backend::Clarabel, &settings).expect("solves");
        let x = outcome.x.clone().expect("a solution");
        let rec = l.recover(&model, &map, &x).expect("recovers");
        let m = l.measure(outcome.objective, &rec).expect("measures");
        assert_eq!(
            l.next(&rec, m.as_ref(), outcome.objective).expect("next"),
            Next::Again,
            "pass {pass}"
        );
        let (fresh, fresh_map) = cnnc::canonicalize(&l.translation().program).expect("conic");
        let before = problem.clone();
        assert!(l.update_conic(&mut problem), "pass {pass}");
        // The numbers did change, the pattern did not.
        assert_ne!(problem.a.nzval, before.a.nzval);
        assert_eq!(problem.a.rowval, before.a.rowval);
        assert_eq!(fresh_map, map);
        assert_eq!(problem.a, fresh.a, "pass {pass}");
        assert_eq!(problem.b, fresh.b, "pass {pass}");
        assert_eq!(problem.q, fresh.q);
        assert_eq!(problem.cones, fresh.cones);
    }
}

/// `weights(net)` in a rank-lifting model is the program's weight columns: the objective of
/// the trained network is `0.005 Σ W²` of the weights it writes (recomputed here from the file).
#[test]
fn weight_decay_is_the_sum_of_squares_of_the_written_weights() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("decay.cnn");
    let data = common::root().join("examples/data/seed001_relu332.csv");
    std::fs::write(
        &model,
        format!(
            "use regularizers.{{weight_decay}}\ndata train = csv(\"{}\", features = [x1, x2, x3], target = [y1, y2])\nnetwork net(train) {{ dense(3, relu)  dense(2) }}\nminimize weight_decay(net, 0.01)\nconstraint fit: net(train.x) == train.y\nmethod rank_lifting(iterations = 2)\n",
            data.display()
        ),
    )
    .unwrap();
    let w = dir.path().join("w.json");
    let out = common::cnnc_ok(
        &common::root(),
        &[
            "train",
            model.to_str().unwrap(),
            "--report",
            "json",
            "-o",
            w.to_str().unwrap(),
        ],
    );
    let r: Value = serde_json::from_slice(&out).expect("JSON");
    let file: Value = serde_json::from_slice(&std::fs::read(&w).unwrap()).unwrap();
    let squares: f64 = file["layers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["weights"].as_array().unwrap().clone())
        .map(|v| v.as_f64().unwrap().powi(2))
        .sum();
    assert!(squares > 0.0);
    let want = 0.005 * squares;
    let got = num(&r, "network_objective");
    assert!(
        (got - want).abs() <= 1e-9 * want.max(1.0),
        "{got} vs {want}"
    );
}
