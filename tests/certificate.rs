//! The pattern method's certificate, working set, pattern search and reduction, each against an
//! independent construction: the full solve over every pattern (`working_set = false`), the
//! reference optimum of seed 003 (docs/REFERENCE.md), exact enumeration for sampled runs, and
//! networks trained by Adam, whose objectives no lower bound may exceed.

mod common;

use std::path::Path;

use common::{cnnc_ok, num, root};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// `cnnc train FILE --report json ARGS…` in `dir`.
fn train(dir: &Path, file: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["train", file, "--report", "json"];
    all.extend_from_slice(args);
    serde_json::from_slice(&cnnc_ok(dir, &all)).expect("a JSON report")
}

/// Writes `n` samples of 2-D Gaussian features and a target to `data.csv` in `dir`: a smooth
/// function for regression, its sign for classification (±1).
fn write_data(dir: &Path, n: usize, seed: u64, classify: bool) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = String::from("x1,x2,y\n");
    for _ in 0..n {
        let a: f64 = rng.sample(StandardNormal);
        let b: f64 = rng.sample(StandardNormal);
        let noise: f64 = rng.random_range(-0.1..0.1);
        let t = (1.5 * a).sin() + 0.5 * b * b - 0.5 + noise;
        let y = if classify {
            if t >= 0.0 {
                1.0
            } else {
                -1.0
            }
        } else {
            t
        };
        s.push_str(&format!("{a},{b},{y}\n"));
    }
    std::fs::write(dir.join("data.csv"), s).unwrap();
}

/// A model over `data.csv` with `loss`, weight decay `beta`, optional `constraint` line, and
/// `method` options.
fn write_model(dir: &Path, loss: &str, beta: f64, constraint: &str, method: &str) {
    let text = format!(
        "use losses.{{squared_error, l1_error, hinge, logistic}}\n\
         use regularizers.{{weight_decay}}\n\
         use constraints.{{outputs_between}}\n\
         data train = csv(\"data.csv\", features = [x1, x2], target = y)\n\
         network net(train) {{\n  dense(8, relu, bias = column)\n  dense(1, bias = none)\n}}\n\
         minimize {loss}(net(train.x), train.y) + weight_decay(net, {beta})\n\
         {constraint}\n\
         method patterns({method})\n\
         method adam(lr = 0.01, epochs = 2000, restarts = 2)\n"
    );
    std::fs::write(dir.join("model.cnn"), text).unwrap();
}

fn certificate(r: &serde_json::Value) -> &serde_json::Value {
    let c = &r["certificate"];
    assert!(c.is_object(), "a certificate in {r}");
    c
}

fn hidden_width(r: &serde_json::Value) -> usize {
    r["widths"][1].as_u64().expect("widths") as usize
}

#[test]
fn seed003_is_certified_at_the_reference_optimum() {
    let r = common::train_json("examples/seed003_1d.cnn", &[]);
    // docs/REFERENCE.md: CVXPY 1.9.3 + Clarabel 0.11.1.
    let reference = 8.769406953e-4;
    let c = certificate(&r);
    assert_eq!(c["over"], "all_patterns");
    let (lower, upper) = (num(c, "lower_bound"), num(c, "upper_bound"));
    assert!(lower <= reference * (1.0 + 1e-6), "{c}");
    assert!(upper >= reference * (1.0 - 1e-6), "{c}");
    assert!(num(c, "relative_gap") <= 1e-6, "{c}");
    assert!((num(&r, "network_objective") - reference).abs() <= 1e-6 * reference);
    assert!(hidden_width(&r) <= 5, "at most n = 5 neurons: {r}");
    let notes = r["notes"].to_string();
    assert!(!notes.contains("BUG"), "{notes}");
}

#[test]
fn the_working_set_reaches_the_full_solve_with_a_certificate_for_every_loss() {
    let cases = [
        ("squared_error", false, ""),
        ("l1_error", false, ""),
        ("hinge", true, ""),
        ("logistic", true, ""),
        (
            "squared_error",
            false,
            "constraint bounded: outputs_between(net(train.x), -0.6, 0.6)",
        ),
    ];
    for (i, (loss, classify, constraint)) in cases.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        write_data(dir.path(), 24, 7 + i as u64, *classify);
        write_model(dir.path(), loss, 0.05, constraint, "enumeration = exact");
        let ws = train(dir.path(), "model.cnn", &[]);
        assert_eq!(
            ws["lowering"]["working_set"], true,
            "the default above 4 candidates per sample"
        );
        let full = train(dir.path(), "model.cnn", &["--option", "working_set=false"]);
        assert_eq!(
            full["patterns"]["rounds"], 1,
            "working_set = false solves every pattern at once"
        );
        let (a, b) = (num(&ws, "objective"), num(&full, "objective"));
        assert!(
            (a - b).abs() <= 1e-5 * b.abs().max(1e-3),
            "{loss} {constraint}: working set {a} against the full solve {b}"
        );
        for r in [&ws, &full] {
            let c = certificate(r);
            assert_eq!(c["over"], "all_patterns");
            let lower = num(c, "lower_bound");
            assert!(
                lower <= b + 1e-6 * b.abs().max(1e-3),
                "{loss}: {c} above {b}"
            );
            assert!(num(c, "relative_gap") <= 1e-5, "{loss} {constraint}: {c}");
            assert!(hidden_width(r) <= 24, "{loss}: {}", hidden_width(r));
        }
        // The working set solves smaller programs: after a pass it keeps a basic solution's
        // patterns (at most n = 24) and adds at most n.
        let rounds = ws["lowering"]["rounds"].as_array().unwrap();
        assert!(
            rounds.iter().any(|r| r["dropped"].as_u64().unwrap() > 0),
            "{loss}: {rounds:?}"
        );
        let total = ws["lowering"]["candidates"].as_u64().unwrap();
        for r in rounds {
            assert!(r["added"].as_u64().unwrap() <= 24, "{loss}: {r}");
            assert!(r["patterns"].as_u64().unwrap() < total / 2, "{loss}: {r}");
        }
        let cols = |r: &serde_json::Value| r["sizes"]["variables"].as_u64().unwrap();
        assert!(cols(&ws) < cols(&full), "{} vs {}", cols(&ws), cols(&full));
        assert!(
            ws["patterns"]["rounds"].as_u64().unwrap() >= 2,
            "{}",
            ws["patterns"]
        );
    }
}

/// Difference blocks (`differences = true`, the default of the full solve: columns `V` and
/// `U = V − W`, docs/PATTERNS.md) are another program with the same optimum: against the plain
/// full solve (`differences = false`), for every loss, certified.
#[test]
fn difference_blocks_reach_the_plain_optimum_for_every_loss() {
    for (i, (loss, classify)) in [
        ("squared_error", false),
        ("l1_error", false),
        ("hinge", true),
        ("logistic", true),
    ]
    .iter()
    .enumerate()
    {
        let dir = tempfile::tempdir().unwrap();
        write_data(dir.path(), 24, 7 + i as u64, *classify);
        write_model(dir.path(), loss, 0.05, "", "enumeration = exact");
        let full = ["--option", "working_set=false"];
        let without = [&full[..], &["--option", "differences=false"]].concat();
        let plain = train(dir.path(), "model.cnn", &without);
        let diff = train(dir.path(), "model.cnn", &full);
        // On this l1_error data the first pass's network misses the program's optimum by
        // more than 1e-6 with difference blocks, so the pass is solved again with plain ones
        // (which miss it too: the note in the issue log); the others keep difference blocks.
        let fell_back = *loss == "l1_error";
        assert_eq!(
            diff["lowering"]["differences"], !fell_back,
            "{loss}: {}",
            diff["notes"]
        );
        assert_eq!(
            diff["notes"]
                .to_string()
                .contains("pass 1: clarabel gave a network that misses its optimum; solved again with plain blocks"),
            fell_back,
            "{loss}: {}",
            diff["notes"]
        );
        let (a, b) = (num(&diff, "objective"), num(&plain, "objective"));
        assert!(
            (a - b).abs() <= 1e-6 * b.abs().max(1e-3),
            "{loss}: difference blocks {a} against {b}"
        );
        assert_eq!(diff["status"], "optimal", "{loss}");
        let c = certificate(&diff);
        assert!(num(c, "relative_gap") <= 1e-5, "{loss}: {c}");
        assert!(hidden_width(&diff) <= 24, "{loss}");
        // The program's second block is U: `ŷ`'s definition has half the block terms.
        let convex = |args: &[&str]| {
            let mut all = vec!["compile", "model.cnn", "--emit", "convex"];
            all.extend_from_slice(args);
            String::from_utf8(cnnc_ok(dir.path(), &all)).unwrap()
        };
        let (u, w) = (convex(&full), convex(&without));
        assert!(u.contains(" U[3x") && !u.contains(" W[3x"), "{u}");
        assert!(w.contains(" W[3x") && !w.contains(" U[3x"), "{w}");
        // With the working set (the default here, above 4 candidates per sample) the blocks
        // are plain unless asked for.
        let ws = convex(&[]);
        assert!(ws.contains(" W[3x") && !ws.contains(" U[3x"), "{ws}");
    }
}

#[test]
fn the_working_set_is_on_by_default_only_above_four_candidates_per_sample() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), 40, 5, false);
    // 40 samples: on with more than 160 candidates, off with at most 160 (and more than the
    // 64 that are always solved whole).
    for (count, on) in [(1000, true), (150, false)] {
        let method = format!("enumeration = sampled, count = {count}, seed = 2");
        write_model(dir.path(), "squared_error", 0.05, "", &method);
        let r = train(dir.path(), "model.cnn", &["--option", "search=false"]);
        let candidates = r["lowering"]["candidates"].as_u64().unwrap();
        assert_eq!(
            r["lowering"]["working_set"], on,
            "{count}: {}",
            r["lowering"]
        );
        assert_eq!(
            candidates > 160,
            on,
            "{count} draws gave {candidates} patterns"
        );
        assert!(candidates > 64, "{candidates}");
    }
}

#[test]
fn adam_never_goes_below_the_lower_bound() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), 30, 3, false);
    write_model(dir.path(), "squared_error", 0.02, "", "enumeration = exact");
    let exact = train(dir.path(), "model.cnn", &[]);
    let lower = num(certificate(&exact), "lower_bound");
    for seed in 0..3 {
        let s = format!("seed={seed}");
        let adam = train(
            dir.path(),
            "model.cnn",
            &["--method", "adam", "--option", &s],
        );
        let objective = num(&adam, "network_objective");
        assert!(
            objective >= lower * (1.0 - 1e-9),
            "adam {objective} below the lower bound {lower}"
        );
    }
}

#[test]
fn the_search_improves_on_sampling() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), 30, 11, false);
    write_model(dir.path(), "squared_error", 0.02, "", "enumeration = exact");
    let exact = num(&train(dir.path(), "model.cnn", &[]), "objective");
    write_model(
        dir.path(),
        "squared_error",
        0.02,
        "",
        "enumeration = sampled, count = 8, seed = 1",
    );
    let searched = train(dir.path(), "model.cnn", &["--option", "working_set=true"]);
    let sampled = train(dir.path(), "model.cnn", &[]);
    let (s, t) = (num(&searched, "objective"), num(&sampled, "objective"));
    assert!(t > exact * 1.5, "8 draws miss the optimum: {t} vs {exact}");
    // At most four found per pattern drawn; every one is a real pattern, so the optimum over
    // them is never below the exact one.
    let found = searched["patterns"]["found_by_search"].as_u64().unwrap();
    assert!(found > 0 && found <= 32, "{found}");
    assert!(
        s >= exact * (1.0 - 1e-6),
        "{s} below the exact optimum {exact}"
    );
    assert!(
        s - exact < 0.5 * (t - exact),
        "the search closes at least half the gap: {s} against {t}, exact {exact}"
    );
    let c = certificate(&searched);
    assert_eq!(c["over"], "candidates");
    // Over the candidates only: the bound may exceed the exact optimum, never the network.
    assert!(num(c, "lower_bound") <= s * (1.0 + 1e-6));
}

#[test]
fn every_pattern_example_has_at_most_n_neurons_and_no_bug_note() {
    for file in ["examples/seed003_1d.cnn", "examples/seed002_relu.cnn"] {
        let r = common::train_json(file, &[]);
        let n = r["metrics"]["train"]["n"].as_u64().unwrap_or(u64::MAX) as usize;
        assert!(hidden_width(&r) <= n, "{file}: {} > {n}", hidden_width(&r));
        let notes = r["notes"].to_string();
        assert!(!notes.contains("BUG"), "{file}: {notes}");
        assert!(r["certificate"].is_object(), "{file}");
        assert!(num(&r["certificate"], "relative_gap") <= 1e-6, "{file}");
        // docs/PATTERNS.md: seed 002's 2,863 patterns for 54 samples take the working set by
        // default, and no pass holds more than about 2n of them.
        let ws = &r["lowering"];
        if file.contains("seed002") {
            assert_eq!(ws["working_set"], true, "{ws}");
            for round in ws["rounds"].as_array().unwrap() {
                assert!(
                    round["patterns"].as_u64().unwrap() <= 2 * n as u64,
                    "{round}"
                );
            }
        }
    }
    let _ = root();
}
