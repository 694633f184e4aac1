//! Queries on loaded networks (`cnnc solve`, `method big_m`): the MILP's answers against brute
//! force (a fine grid never beats the MILP, and the MILP beats the grid by at most what the
//! grid's resolution allows), against closed forms, and the report's keys.

mod common;

use std::path::Path;

use cnnc::driver::query::{self, Answer};
use cnnc::lower::big_m::encode::loaded;
use cnnc::model::{Model, NetId};
use cnnc::nn::network::DenseNet;
use nalgebra::DMatrix;

/// The answer to the model at `path` with `--option` overrides, and the model.
fn solve(path: &Path, options: &[(&str, &str)]) -> (Answer, Model) {
    let (sources, _, mut model) = common::frontend(path).expect("the model checks");
    let given: Vec<(String, String)> = options
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    cnnc::driver::train::override_declared(&mut model, &given).expect("options apply");
    match query::solve(&model, &sources) {
        Ok(a) => (a, model),
        Err(cnnc::driver::TrainError::Invalid(d)) => {
            panic!("{}", cnnc::diag::render(&sources, &d, false))
        }
        Err(cnnc::driver::TrainError::NotSolved(o, _)) => panic!("not solved: {}", o.status),
    }
}

/// The values of variable `name` in an answer, row by row.
fn var(a: &Answer, name: &str) -> Vec<Vec<f64>> {
    serde_json::from_value(a.variables[name].clone()).expect("rows of numbers")
}

/// `f(x)` for one input row.
fn f(net: &DenseNet, x: &[f64]) -> f64 {
    net.forward(&DMatrix::from_row_slice(1, x.len(), x))
        .expect("forward")[(0, 0)]
}

/// A Lipschitz constant of a network in the ∞-norm: the product of its layers' largest
/// absolute row sums (ReLU and identity are 1-Lipschitz).
fn lipschitz(net: &DenseNet) -> f64 {
    net.layers
        .iter()
        .map(|l| {
            (0..l.outputs())
                .map(|i| (0..l.inputs()).map(|j| l.weight[(i, j)].abs()).sum::<f64>())
                .fold(0.0, f64::max)
        })
        .product()
}

/// Checks a maximum `best` found by the MILP against the grid's maximum `grid` with spacing
/// `h` (in the ∞-norm, every point is within `h / 2` of the grid).
fn against_grid(best: f64, grid: f64, h: f64, net: &DenseNet) {
    assert!(
        best >= grid - 1e-9,
        "the grid found {grid} > the MILP's {best}"
    );
    let slack = lipschitz(net) * h / 2.0;
    assert!(
        best - grid <= slack + 1e-9,
        "the MILP's {best} beats the grid's {grid} by more than its resolution allows ({slack})"
    );
}

#[test]
fn seed003_maximum_equals_a_fine_grid_s_with_either_bounds() {
    let path = common::root().join("examples/seed003_query.cnn");
    let mut objectives = Vec::new();
    for bounds in ["interval", "lp"] {
        let (a, model) = solve(&path, &[("bounds", bounds)]);
        assert_eq!(a.status, "optimal");
        let net = loaded(&model, NetId(0)).expect("the loaded network");
        let best = a.objective.expect("an objective");
        // The returned input is in the box and attains the maximum.
        let x = var(&a, "x")[0][0];
        assert!((-5.0..=3.0).contains(&x), "{x}");
        assert!((f(&net, &[x]) - best).abs() < 1e-6, "f({x}) against {best}");
        let n = 80_000;
        let h = 8.0 / n as f64;
        let grid = (0..=n)
            .map(|k| f(&net, &[-5.0 + h * k as f64]))
            .fold(f64::NEG_INFINITY, f64::max);
        against_grid(best, grid, h, &net);
        objectives.push(best);
        // The relaxation is a bound on the maximum.
        let r = a.relaxation_objective.expect("the LP relaxation");
        assert!(r >= best - 1e-7, "relaxation {r} below the maximum {best}");
    }
    assert!(
        (objectives[0] - objectives[1]).abs() < 1e-7,
        "{objectives:?}"
    );
}

/// The MILP back ends of this build.
fn solvers() -> Vec<&'static str> {
    let mut s = vec!["microlp"];
    if cfg!(feature = "cbc") {
        s.push("cbc");
    }
    s
}

/// Writes `dir/net.json`, a weights file of a network with `inputs` inputs and these layers.
fn weights_file(dir: &Path, inputs: usize, layers: serde_json::Value) {
    let names: Vec<String> = (1..=inputs).map(|i| format!("x{i}")).collect();
    let file = serde_json::json!({
        "format": "cnnc-weights", "version": 1, "network": "net", "model": "tests/queries.rs",
        "method": "adam", "inputs": inputs, "feature_names": names, "standardization": null,
        "target": {"kind": "values", "names": ["y"]},
        "layers": layers,
    });
    std::fs::write(dir.join("net.json"), file.to_string()).expect("write the weights");
}

/// A 2 → 8 → 8 → 1 ReLU network with weights from a fixed formula, as a weights file.
fn two_input_network(dir: &Path) {
    let layer = |rows: usize, cols: usize, seed: f64, act: &str| {
        let w: Vec<f64> = (0..rows * cols)
            .map(|k| (seed + 1.7 * k as f64).sin() * 1.3)
            .collect();
        let b: Vec<f64> = (0..rows)
            .map(|k| (seed * 3.0 + k as f64).cos() * 0.5)
            .collect();
        serde_json::json!({"shape": [rows, cols], "weights": w, "bias": b,
                           "bias_mode": "separate", "activation": act})
    };
    let layers = [
        layer(8, 2, 0.3, "relu"),
        layer(8, 8, 1.1, "relu"),
        layer(1, 8, 2.9, "identity"),
    ];
    weights_file(dir, 2, serde_json::json!(layers));
}

#[test]
fn two_input_extremes_equal_a_fine_grid_s_and_lp_bounds_need_fewer_binaries() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    two_input_network(dir.path());
    let n = 600;
    let h = 2.0 / n as f64;
    let mut binaries = Vec::new();
    for (sense, solver) in solvers()
        .into_iter()
        .flat_map(|s| [("maximize", s), ("minimize", s)])
    {
        let path = dir.path().join(format!("{sense}_{solver}.cnn"));
        std::fs::write(
            &path,
            format!("network net = load(\"net.json\")\nvar x[1, 2] in [-1, 1]\n{sense} sum(net(x))\nmethod big_m()\nsolver {solver}\n"),
        )
        .expect("write the model");
        let mut found = Vec::new();
        for bounds in ["interval", "lp"] {
            let (a, model) = solve(&path, &[("bounds", bounds)]);
            assert_eq!(a.solver, solver);
            let net = loaded(&model, NetId(0)).expect("the loaded network");
            let sign = if sense == "maximize" { 1.0 } else { -1.0 };
            let best = sign * a.objective.expect("an objective");
            let x = &var(&a, "x")[0];
            assert!(
                x.iter().all(|v| (-1.0 - 1e-9..=1.0 + 1e-9).contains(v)),
                "{x:?}"
            );
            assert!(
                (sign * f(&net, x) - best).abs() < 1e-6,
                "the answer {x:?} attains it"
            );
            let mut grid = f64::NEG_INFINITY;
            for i in 0..=n {
                for j in 0..=n {
                    let p = [-1.0 + h * i as f64, -1.0 + h * j as f64];
                    grid = grid.max(sign * f(&net, &p));
                }
            }
            against_grid(best, grid, h, &net);
            found.push(best);
            binaries.push((bounds, a.binaries));
            // The bounds of every layer are reported, one list per input row.
            assert_eq!(a.bounds.len(), 3);
            for (l, width) in [8, 8, 1].into_iter().enumerate() {
                for key in ["lower", "upper"] {
                    let rows = a.bounds[l][key].as_array().expect("rows");
                    assert_eq!(rows.len(), 1);
                    assert_eq!(rows[0].as_array().expect("a row").len(), width);
                }
            }
        }
        assert!((found[0] - found[1]).abs() < 1e-6, "{found:?}");
    }
    // The LP bounds prove more neurons stable than interval arithmetic does (the second
    // layer's interval bounds compound the first's looseness).
    let (interval, lp) = (binaries[0].1, binaries[1].1);
    assert!(lp <= interval, "{binaries:?}");
    assert!(interval <= 16, "{binaries:?}");
}

#[test]
fn neurons_proved_stable_need_no_binary() {
    // z = (x + 10, x − 10, x) over x ∈ [−1, 1]: always active, always inactive, unstable;
    // f = relu(z1) + relu(z2) + relu(z3) = x + 10 + max(x, 0): max 12 at x = 1, min 9 at −1.
    let dir = tempfile::tempdir().expect("a temporary folder");
    weights_file(
        dir.path(),
        1,
        serde_json::json!([
            {"shape": [3, 1], "weights": [1, 1, 1], "bias": [10, -10, 0], "bias_mode": "separate", "activation": "relu"},
            {"shape": [1, 3], "weights": [1, 1, 1], "bias": null, "bias_mode": "none", "activation": "identity"},
        ]),
    );
    for (sense, want, at) in [("maximize", 12.0, 1.0), ("minimize", 9.0, -1.0)] {
        let path = dir.path().join("q.cnn");
        std::fs::write(
            &path,
            format!(
                "network net = load(\"net.json\")\nvar x[1, 1] in [-1, 1]\n{sense} sum(net(x))\n"
            ),
        )
        .expect("write the model");
        let (a, _) = solve(&path, &[]);
        assert!(
            (a.objective.expect("solved") - want).abs() < 1e-9,
            "{sense}"
        );
        assert!((var(&a, "x")[0][0] - at).abs() < 1e-9);
        assert_eq!(a.binaries, 1);
        let layer = &a.bounds[0];
        assert_eq!(
            (layer["active"].as_u64(), layer["inactive"].as_u64()),
            (Some(1), Some(1))
        );
        let lower: Vec<Vec<f64>> = serde_json::from_value(layer["lower"].clone()).expect("rows");
        let upper: Vec<Vec<f64>> = serde_json::from_value(layer["upper"].clone()).expect("rows");
        assert_eq!(lower, vec![vec![9.0, -11.0, -1.0]]);
        assert_eq!(upper, vec![vec![11.0, -9.0, 1.0]]);
    }
}

#[test]
fn leaky_relu_layers_are_exact_too() {
    // f(x) = −leaky_relu(x) over [−2, 1]: max 0.02 at x = −2 (slope 0.01), min −1 at x = 1.
    let dir = tempfile::tempdir().expect("a temporary folder");
    weights_file(
        dir.path(),
        1,
        serde_json::json!([
            {"shape": [1, 1], "weights": [1], "bias": null, "bias_mode": "none", "activation": "leaky_relu"},
            {"shape": [1, 1], "weights": [-1], "bias": null, "bias_mode": "none", "activation": "identity"},
        ]),
    );
    for (sense, want) in [("maximize", 0.02), ("minimize", -1.0)] {
        let path = dir.path().join("q.cnn");
        std::fs::write(
            &path,
            format!(
                "network net = load(\"net.json\")\nvar x[1, 1] in [-2, 1]\n{sense} sum(net(x))\n"
            ),
        )
        .expect("write the model");
        let (a, _) = solve(&path, &[]);
        assert!(
            (a.objective.expect("solved") - want).abs() < 1e-9,
            "{sense}: {:?}",
            a.objective
        );
        assert_eq!(a.binaries, 1);
    }
}

#[test]
fn the_largest_change_within_a_radius_equals_a_grid_search_over_pairs() {
    // max f(x1) − f(x2) over x1, x2 ∈ [−5, 3] with |x1 − x2| ≤ 0.5: two copies of the network.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("pair.cnn");
    let weights = common::root().join("examples/weights/seed003.json");
    std::fs::write(
        &path,
        format!(
            "network teacher = load({:?})\nvar x1[1, 1] in [-5, 3]\nvar x2[1, 1] in [-5, 3]\n\
             maximize sum(teacher(x1)) - sum(teacher(x2))\nconstraint close: norm_inf(x1 - x2) <= 0.5\n\
             method big_m(bounds = lp)\n",
            weights.display().to_string()
        ),
    )
    .expect("write the model");
    let (a, model) = solve(&path, &[]);
    let net = loaded(&model, NetId(0)).expect("the loaded network");
    let best = a.objective.expect("solved");
    let (x1, x2) = (var(&a, "x1")[0][0], var(&a, "x2")[0][0]);
    assert!((x1 - x2).abs() <= 0.5 + 1e-9);
    assert!((f(&net, &[x1]) - f(&net, &[x2]) - best).abs() < 1e-6);
    assert_eq!(a.bounds.len(), 4, "two applications of two layers each");
    let h = 0.002;
    let n = (8.0 / h) as usize;
    let values: Vec<f64> = (0..=n).map(|k| f(&net, &[-5.0 + h * k as f64])).collect();
    let w = (0.5 / h).round() as usize;
    let mut grid = f64::NEG_INFINITY;
    for i in 0..=n {
        for j in i.saturating_sub(w)..=(i + w).min(n) {
            grid = grid.max(values[i] - values[j]);
        }
    }
    // Each of x1, x2 is within h/2 of the grid: twice the one-input slack.
    assert!(best >= grid - 1e-9, "{grid} > {best}");
    assert!(
        best - grid <= 2.0 * lipschitz(&net) * h + 1e-9,
        "{best} vs {grid}"
    );
}

#[test]
fn a_network_applied_to_numbers_is_evaluated() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("c.cnn");
    let weights = common::root().join("examples/weights/seed003.json");
    std::fs::write(
        &path,
        format!(
            "network teacher = load({:?})\nvar t in [0, 1]\nmaximize t + sum(teacher([[2]]))\n",
            weights.display().to_string()
        ),
    )
    .expect("write the model");
    let (a, model) = solve(&path, &[]);
    let net = loaded(&model, NetId(0)).expect("the loaded network");
    assert_eq!(a.method, "direct", "nothing to encode");
    assert!((a.objective.expect("solved") - (1.0 + f(&net, &[2.0]))).abs() < 1e-7);
}

#[test]
fn the_relaxation_is_a_bound_and_says_so() {
    let path = common::root().join("examples/seed003_query.cnn");
    let (milp, _) = solve(&path, &[]);
    let (lp, _) = solve(&path, &[("relaxation", "true")]);
    let (m, r) = (
        milp.objective.expect("solved"),
        lp.objective.expect("solved"),
    );
    assert!(
        r > m + 1e-3,
        "the relaxation {r} is looser than the MILP {m} here"
    );
    let bound = milp.relaxation_objective.expect("computed");
    assert!((bound - r).abs() < 1e-6 * (1.0 + r.abs()), "{bound} vs {r}");
    assert!(lp.exactness.starts_with("relaxed"), "{}", lp.exactness);
    assert!(milp.exactness.starts_with("exact"), "{}", milp.exactness);
    assert_eq!(lp.lowering.as_ref().expect("big_m")["relaxation"], true);
}

#[test]
fn the_json_report_gives_the_answer_bounds_and_binaries() {
    let out = common::cnnc_ok(
        &common::root(),
        &["solve", "examples/seed003_query.cnn", "--report", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(v["status"], "optimal");
    let objective = common::num(&v, "objective");
    let x = &v["variables"]["x"];
    assert_eq!(x.as_array().map(Vec::len), Some(1));
    assert_eq!(x[0].as_array().map(Vec::len), Some(1));
    assert_eq!(v["binaries"], 6);
    assert!(common::num(&v, "relaxation_objective") >= objective);
    let bounds = v["bounds"].as_array().expect("bounds");
    assert_eq!(bounds.len(), 2);
    assert_eq!(bounds[0]["lower"][0].as_array().map(Vec::len), Some(6));
    assert_eq!(bounds[1]["upper"][0].as_array().map(Vec::len), Some(1));
    // The output's bounds contain the answer.
    let (lo, hi) = (
        bounds[1]["lower"][0][0].as_f64(),
        bounds[1]["upper"][0][0].as_f64(),
    );
    assert!(lo.is_some_and(|l| l <= objective) && hi.is_some_and(|u| u >= objective));
    let check = &v["lowering"]["check"][0];
    assert_eq!(check["agrees"], true);
    assert!(common::num(check, "difference") <= 1e-6);
}

#[test]
fn abs_where_it_is_not_convex_is_encoded_exactly() {
    // max |f(x1) − f(x2)| with |x1 − x2| ≤ 0.5 equals max f(x1) − f(x2) (swap x1 and x2).
    let dir = tempfile::tempdir().expect("a temporary folder");
    let weights = common::root().join("examples/weights/seed003.json");
    let model = |objective: &str| {
        format!(
            "network teacher = load({:?})\nvar x1[1, 1] in [-5, 3]\nvar x2[1, 1] in [-5, 3]\n\
             maximize {objective}\nconstraint close: norm_inf(x1 - x2) <= 0.5\n",
            weights.display().to_string()
        )
    };
    let mut found = Vec::new();
    for (name, objective) in [
        ("linear", "sum(teacher(x1)) - sum(teacher(x2))"),
        ("abs", "abs(sum(teacher(x1)) - sum(teacher(x2)))"),
    ] {
        let path = dir.path().join(format!("{name}.cnn"));
        std::fs::write(&path, model(objective)).expect("write the model");
        let (a, _) = solve(&path, &[]);
        found.push((a.objective.expect("solved"), a.binaries));
        let atoms = a
            .lowering
            .as_ref()
            .map(|l| l.to_string())
            .unwrap_or_default();
        assert_eq!(a.status, "optimal", "{atoms}");
    }
    assert!((found[0].0 - found[1].0).abs() < 1e-7, "{found:?}");
    // Not DCP as written: the abs (and the norm_inf of the constraint) cost a binary each.
    assert_eq!(found[1].1, found[0].1 + 2, "{found:?}");
}

#[test]
fn the_milp_exports_mark_its_binaries_and_solve_back_to_the_same_optimum() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let emit = |stage: &str| {
        let path = dir.path().join(format!("q.{stage}"));
        let p = path.to_str().expect("utf-8").to_string();
        common::cnnc_ok(
            &common::root(),
            &[
                "compile",
                "examples/seed003_query.cnn",
                "--emit",
                stage,
                "-o",
                &p,
            ],
        );
        (path, std::fs::read_to_string(&p).expect("written"))
    };
    let (_, json) = emit("json");
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let names = json["not_sent_to_solver"]["var_names"]
        .as_array()
        .expect("names")
        .clone();
    let ints: Vec<String> = json["not_sent_to_solver"]["integer_vars"]
        .as_array()
        .expect("integer_vars")
        .iter()
        .map(|i| {
            names[i.as_u64().expect("index") as usize]
                .as_str()
                .expect("name")
                .to_string()
        })
        .collect();
    assert_eq!(ints.len(), 6);
    assert!(
        ints.iter().all(|n| n.starts_with("teacher.d1[")),
        "{ints:?}"
    );
    // MPS: the six binaries between one pair of integer markers, maximized.
    let (_, mps) = emit("mps");
    let lines: Vec<&str> = mps.lines().filter(|l| !l.starts_with('*')).collect();
    let open = lines
        .iter()
        .position(|l| l.contains("'INTORG'"))
        .expect("INTORG");
    let close = lines
        .iter()
        .position(|l| l.contains("'INTEND'"))
        .expect("INTEND");
    let mut between: Vec<&str> = lines[open + 1..close]
        .iter()
        .map(|l| l.split_whitespace().next().expect("a column"))
        .collect();
    between.dedup();
    assert_eq!(between.len(), 6, "{between:?}");
    assert_eq!(lines.iter().filter(|l| l.contains("'MARKER'")).count(), 2);
    assert!(mps.contains("OBJSENSE\n    MAX"));
    // LP: the same six under `General`.
    let (_, lp) = emit("lp");
    let general = lp
        .lines()
        .skip_while(|l| *l != "General")
        .nth(1)
        .expect("General");
    assert_eq!(general.split_whitespace().count(), 6);
    // CBF read back by `cnnc solve`: the same optimum as the model's own solve.
    let (cbf, _) = emit("cbf");
    let out = common::cnnc_ok(
        &common::root(),
        &["solve", cbf.to_str().expect("utf-8"), "--report", "json"],
    );
    let back: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    let (answer, _) = solve(&common::root().join("examples/seed003_query.cnn"), &[]);
    let want = answer.objective.expect("solved");
    assert!(
        (common::num(&back, "objective") - want).abs() < 1e-9,
        "{back}"
    );
}

/// The sensitivity query over the moons data's whole box, where microlp stops on a singular
/// basis: CBC answers it, the answer is checked, and it is at least the answer over the smaller
/// box the example ships with.
#[cfg(feature = "cbc")]
#[test]
fn cbc_answers_the_query_microlp_cannot() {
    let path = common::root().join("examples/moons_sensitivity.cnn");
    let (small, _) = solve(&path, &[]);
    let text = std::fs::read_to_string(&path)
        .expect("the example")
        .replace("const lo = 0", "const lo = -1.5")
        .replace("const hi = 1", "const hi = 2.5")
        .replace("solver microlp", "solver cbc")
        .replace(
            "weights/moons.json",
            common::root()
                .join("examples/weights/moons.json")
                .to_str()
                .expect("utf-8"),
        );
    let dir = tempfile::tempdir().expect("a temporary folder");
    let wide = dir.path().join("wide.cnn");
    std::fs::write(&wide, text).expect("write the model");
    let (a, _) = solve(&wide, &[]);
    assert_eq!((a.status.as_str(), a.solver.as_str()), ("optimal", "cbc"));
    let checks = a.lowering.as_ref().expect("big_m")["check"]
        .as_array()
        .expect("checks")
        .clone();
    assert_eq!(checks.len(), 2);
    assert!(checks.iter().all(|c| c["agrees"] == true), "{checks:?}");
    let (w, s) = (
        a.objective.expect("solved"),
        small.objective.expect("solved"),
    );
    assert!(
        w >= s - 1e-7,
        "the wider box's {w} below the smaller box's {s}"
    );
}
