//! CBF, JSON, LP and MPS formats: the CBF documentation's examples solved to their optima, round
//! trips (problem → CBF → problem, same data and same optimum), well-formed JSON/LP/MPS exports,
//! and one snapshot of the rendered diagnostic per malformed file under `tests/cbf/bad/`.
//!
//! Reference optima: the CBF documentation (H. A. Friberg, "The Conic Benchmark Format, version 1
//! – technical reference manual", DTU Wind Energy E-0047, 2014, appendix C) gives the problems
//! but not their optimal values, so each value below says how it was obtained.

use std::path::{Path, PathBuf};

use cnnc::conic::{cbf, json, lp, mps, Cone, ConicProblem, ConicVar, Csc, Origin, Triplets};
use cnnc::diag::{render, Diagnostic, SourceMap};
use cnnc::solve::{choose_backend, solve, Backend, Settings, SolveError, Status};

fn dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cbf")
        .join(sub)
}

fn read_text(name: &str, text: String) -> Result<ConicProblem, String> {
    let mut sources = SourceMap::new();
    cbf::read(&mut sources, name, text).map_err(|d: Vec<Diagnostic>| render(&sources, &d, false))
}

fn read_example(file: &str) -> ConicProblem {
    let text = std::fs::read_to_string(dir("examples").join(file)).expect("example file");
    read_text(file, text).unwrap_or_else(|e| panic!("{file} does not read:\n{e}"))
}

fn settings() -> Settings {
    Settings::default()
}

/// Solves with the back end cnnc would choose and returns the optimum.
fn optimum(p: &ConicProblem) -> f64 {
    let o = solve(p, choose_backend(p), &settings()).expect("solvable");
    assert_eq!(o.status, Status::Optimal, "{o:?}");
    o.objective.expect("an objective")
}

fn assert_rel(got: f64, want: f64) {
    let err = (got - want).abs() / want.abs().max(1.0);
    assert!(
        err <= 1e-6,
        "got {got}, want {want} (relative error {err:e})"
    );
}

// ---------------------------------------------------------------- documentation examples

#[test]
fn lp_sequence_first_objective() {
    // Example C.3. The optimum is the vertex where 50 x0 + 31 x1 = 250 and 3 x0 - 2 x1 = -4:
    // x = (376/193, 950/193), objective x0 + 0.64 x1 = 984/193 (closed form).
    let p = read_example("lp_sequence.cbf");
    assert!(p.maximize);
    assert_rel(optimum(&p), 984.0 / 193.0);
    let o = solve(&p, Backend::Microlp, &settings()).expect("an LP for microlp");
    assert_rel(o.objective.expect("solved"), 984.0 / 193.0);
}

#[test]
fn minimal_working_example() {
    // Section 1: a mixed-integer SOCP. No back end of cnnc takes integers with cones.
    let p = read_example("mwe.cbf");
    assert!(p.vars[0].integer);
    assert_eq!(choose_backend(&p), Backend::Microlp);
    match solve(&p, Backend::Microlp, &settings()) {
        Err(SolveError::MixedIntegerConic { what, .. }) => {
            assert!(what.contains("second-order"), "{what}")
        }
        other => panic!("expected a clear refusal, got {other:?}"),
    }
    // Its continuous relaxation: min 5.1 x0 with x0 = the distance from 0 to the line
    // 6.2 x1 + 7.3 x2 = 8.4, i.e. 5.1 · 8.4 / hypot(6.2, 7.3) (closed form).
    let mut relaxed = p.clone();
    relaxed.vars.iter_mut().for_each(|v| v.integer = false);
    assert_rel(optimum(&relaxed), 5.1 * 8.4 / 6.2f64.hypot(7.3));
}

#[test]
fn exponential_and_power_cones() {
    // Written for these tests (version 3 cones): optimum e - √2 (closed form, see the file).
    let p = read_example("exp_pow.cbf");
    assert!(p.cones.contains(&Cone::Exponential));
    assert!(p.cones.contains(&Cone::Power(0.75)));
    assert_rel(optimum(&p), std::f64::consts::E - std::f64::consts::SQRT_2);
}

#[test]
fn rotated_and_nonpositive_variable_cones() {
    // minimize x0 + x1 + x3 with (x0, x1, x2) in QR (2 x0 x1 >= x2^2), x2 = 1, x3 in L-,
    // x3 + 2 >= 0: x0 = x1 = 1/sqrt(2), x3 = -2, optimum sqrt(2) - 2 (closed form).
    let text = "VER\n3\nOBJSENSE\nMIN\nVAR\n4 2\nQR 3\nL- 1\nCON\n2 2\nL= 1\nL+ 1\n\
                OBJACOORD\n3\n0 1\n1 1\n3 1\nACOORD\n2\n0 2 1\n1 3 1\nBCOORD\n2\n0 -1\n1 2\n";
    let p = read_text("qr.cbf", text.to_string()).expect("reads");
    assert_eq!(p.cones[0], Cone::SecondOrder(3));
    assert_rel(optimum(&p), std::f64::consts::SQRT_2 - 2.0);
}

#[cfg(feature = "sdp")]
#[test]
fn psd_examples_solve() {
    // Example C.1 (MOSEK's sdo1): 0.70571049 from CVXPY 1.9.3 with Clarabel 0.11.1 at
    // tolerances 1e-10 (SCS agrees to 1e-11).
    assert_rel(optimum(&read_example("sdo_mixed.cbf")), 0.705_710_490_017);
    // Example C.2: 5, at x = (1, 1) (CVXPY 1.9.3 with Clarabel and with SCS).
    assert_rel(optimum(&read_example("psd_lmi.cbf")), 5.0);
    // Written and read back (PSD variables become columns with a PSDCON): same optima.
    for (file, want) in [("sdo_mixed.cbf", 0.705_710_490_017), ("psd_lmi.cbf", 5.0)] {
        let back = read_text("again.cbf", cbf::write(&read_example(file))).expect("reads");
        assert_rel(optimum(&back), want);
    }
}

#[cfg(not(feature = "sdp"))]
#[test]
fn psd_examples_need_the_sdp_feature() {
    for file in ["sdo_mixed.cbf", "psd_lmi.cbf"] {
        let p = read_example(file);
        assert!(p.cones.iter().any(|c| matches!(c, Cone::PsdTriangle(_))));
        let e = solve(&p, choose_backend(&p), &settings()).expect_err("no SDP support");
        assert!(matches!(e, SolveError::PsdNeedsFeature { .. }), "{e:?}");
    }
}

#[test]
fn psd_variable_is_read_as_triangle_columns() {
    // C.1: 3 scalar columns, then the 6 entries of X's lower triangle; ⟨C, X⟩ counts the
    // off-diagonal coordinates twice.
    let p = read_example("sdo_mixed.cbf");
    assert_eq!(p.num_vars(), 9);
    assert_eq!(p.vars[4].name, "X0[1,0]");
    assert_eq!(p.q, vec![0.0, 1.0, 0.0, 2.0, 2.0, 2.0, 0.0, 2.0, 2.0]);
    assert_eq!(
        p.cones,
        vec![Cone::PsdTriangle(3), Cone::Zero(2), Cone::SecondOrder(3)]
    );
}

// ---------------------------------------------------------------- round trips

/// Same data up to rounding (names and origins are not part of CBF).
fn assert_same_data(a: &ConicProblem, b: &ConicProblem) {
    assert_eq!(a.cones, b.cones);
    assert_eq!(a.maximize, b.maximize);
    assert_eq!(a.num_vars(), b.num_vars());
    let ints = |p: &ConicProblem| p.vars.iter().map(|v| v.integer).collect::<Vec<_>>();
    assert_eq!(ints(a), ints(b));
    let close = |x: &[f64], y: &[f64]| {
        x.len() == y.len()
            && x.iter()
                .zip(y)
                .all(|(u, v)| (u - v).abs() <= 1e-12 * u.abs().max(1.0))
    };
    assert!(close(&a.q, &b.q), "q: {:?} vs {:?}", a.q, b.q);
    assert!(close(&a.b, &b.b), "b: {:?} vs {:?}", a.b, b.b);
    assert_eq!(
        (a.a.colptr.clone(), a.a.rowval.clone()),
        (b.a.colptr.clone(), b.a.rowval.clone())
    );
    assert!(close(&a.a.nzval, &b.a.nzval));
    assert!((a.constant - b.constant).abs() <= 1e-12);
}

#[test]
fn examples_round_trip_through_the_writer() {
    // Files without PSD variables read back to the same data; PSD variables come back as
    // plain columns with a PSD constraint, so those are compared by structure of the second
    // round trip (which must be a fixed point).
    for file in [
        "lp_sequence.cbf",
        "mwe.cbf",
        "exp_pow.cbf",
        "psd_lmi.cbf",
        "sdo_mixed.cbf",
    ] {
        let p1 = read_example(file);
        let p2 = read_text("again.cbf", cbf::write(&p1))
            .unwrap_or_else(|e| panic!("{file} written does not read:\n{e}"));
        let p3 = read_text("again2.cbf", cbf::write(&p2)).expect("reads");
        assert_same_data(&p2, &p3);
        let psd_vars = p1.vars.iter().any(|v| v.name.starts_with('X'));
        if !psd_vars {
            assert_same_data(&p1, &p2);
        }
    }
}

#[test]
fn round_trip_keeps_the_optimum() {
    for file in ["lp_sequence.cbf", "exp_pow.cbf"] {
        let p1 = read_example(file);
        let p2 = read_text("again.cbf", cbf::write(&p1)).expect("reads");
        assert_rel(optimum(&p2), optimum(&p1));
    }
}

fn var(name: &str) -> ConicVar {
    ConicVar {
        name: name.into(),
        integer: false,
    }
}

/// A maximized QP with every non-PSD cone: maximize −(½xᵀPx + qᵀx + 0.5) subject to
/// x0 + x1 + x2 ≤ 3, x3 = 1, ‖(x0, x1)‖ ≤ 2, (x2, x3, x4) ∈ Exp (x3·e^(x2/x3) ≤ x4),
/// (x4, x3, x0) ∈ Power(0.3), with a coupled P on (x0, x1) and a diagonal entry on x2.
fn every_cone_qp() -> ConicProblem {
    let n = 5;
    let mut pm = Triplets::new(n, n);
    pm.push(0, 0, 2.0);
    pm.push(0, 1, 0.5);
    pm.push(1, 1, 1.0);
    pm.push(2, 2, 3.0);
    let mut a = Triplets::new(12, n);
    let mut b = vec![0.0; 12];
    // Nonneg: 3 - (x0 + x1 + x2) ≥ 0.
    (0..3).for_each(|j| a.push(0, j, 1.0));
    b[0] = 3.0;
    // Zero: 1 - x3 = 0.
    a.push(1, 3, 1.0);
    b[1] = 1.0;
    // SOC: (2, x0, x1).
    b[2] = 2.0;
    a.push(3, 0, -1.0);
    a.push(4, 1, -1.0);
    // Exp: (x2, x3, x4).
    a.push(5, 2, -1.0);
    a.push(6, 3, -1.0);
    a.push(7, 4, -1.0);
    // Power: (x4, x3, x0).
    a.push(8, 4, -1.0);
    a.push(9, 3, -1.0);
    a.push(10, 0, -1.0);
    // Nonneg: x4 ≤ 10.
    a.push(11, 4, 1.0);
    b[11] = 10.0;
    ConicProblem {
        vars: (0..n).map(|j| var(&format!("w[{j}]"))).collect(),
        p: pm.into_csc(),
        q: vec![-1.0, -2.0, -0.5, 0.0, 0.3],
        constant: 0.5,
        maximize: true,
        a: a.into_csc(),
        b,
        cones: vec![
            Cone::Nonneg(1),
            Cone::Zero(1),
            Cone::SecondOrder(3),
            Cone::Exponential,
            Cone::Power(0.3),
            Cone::Nonneg(1),
        ],
        origins: vec![Origin::default(); 6],
    }
}

#[test]
fn quadratic_problem_round_trips_to_the_same_optimum() {
    let p = every_cone_qp();
    let text = cbf::write(&p);
    assert!(text.contains("CBF has no quadratic objective"), "{text}");
    let back = read_text("qp.cbf", text).expect("reads");
    // One epigraph column and one QR block more; the optimum is unchanged.
    assert_eq!(back.num_vars(), p.num_vars() + 1);
    assert_eq!(back.cones.len(), p.cones.len() + 1);
    assert_rel(optimum(&back), optimum(&p));
}

#[test]
fn psd_constraint_round_trips() {
    // min t subject to [[t, 1], [1, t]] ⪰ 0 (upper triangle by columns, √2 off the diagonal):
    // optimum t = 1 (closed form). Written as PSDCON/HCOORD/DCOORD and read back identically.
    let mut a = Triplets::new(3, 1);
    a.push(0, 0, -1.0);
    a.push(2, 0, -1.0);
    let p = ConicProblem {
        vars: vec![var("t")],
        p: Csc::zeros(1, 1),
        q: vec![1.0],
        constant: 0.0,
        maximize: false,
        a: a.into_csc(),
        b: vec![0.0, std::f64::consts::SQRT_2, 0.0],
        cones: vec![Cone::PsdTriangle(2)],
        origins: vec![Origin::default()],
    };
    let text = cbf::write(&p);
    assert!(text.contains("PSDCON\n1\n2\n"), "{text}");
    assert!(text.contains("DCOORD\n1\n0 1 0 1\n"), "{text}");
    let back = read_text("psd.cbf", text).expect("reads");
    assert_same_data(&p, &back);
    #[cfg(feature = "sdp")]
    assert_rel(optimum(&back), 1.0);
}

// ---------------------------------------------------------------- JSON and LP exports

#[test]
fn json_export_is_what_clarabel_gets() {
    let p = every_cone_qp();
    let v: serde_json::Value = serde_json::from_str(&json::write(&p)).expect("valid JSON");
    assert_eq!(v["P"]["n"], 5);
    assert_eq!(v["P"]["colptr"].as_array().map(Vec::len), Some(6));
    assert_eq!(v["A"]["m"], 12);
    assert_eq!(v["A"]["nzval"].as_array().map(Vec::len), Some(p.a.nnz()));
    assert_eq!(v["b"].as_array().map(Vec::len), Some(12));
    let kinds: Vec<&str> = v["cones"]
        .as_array()
        .expect("cones")
        .iter()
        .filter_map(|c| c["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "NonnegativeConeT",
            "ZeroConeT",
            "SecondOrderConeT",
            "ExponentialConeT",
            "PowerConeT",
            "NonnegativeConeT"
        ]
    );
    assert_eq!(v["cones"][4]["alpha"], 0.3);
    assert_eq!(v["not_sent_to_solver"]["objective_constant"], 0.5);
    assert_eq!(v["not_sent_to_solver"]["var_names"][2], "w[2]");
}

#[test]
fn lp_export_of_an_lp_and_refusal_of_cones() {
    let p = read_example("lp_sequence.cbf");
    let text = lp::write(&p).expect("an LP");
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('\\')).collect();
    assert_eq!(
        body,
        [
            "Maximize",
            " obj: + x0 + 0.64 x1",
            "Subject To",
            " c0: - x0 <= 0",
            " c1: - x1 <= 0",
            " c2: + 50 x0 + 31 x1 <= 250",
            " c3: - 3 x0 + 2 x1 <= 4",
            "Bounds",
            " x0 free",
            " x1 free",
            "End",
        ]
    );
    let e = lp::write(&read_example("exp_pow.cbf")).expect_err("cones");
    assert_eq!(e.code, "E0713");
    assert!(e.message.contains("exponential cone"), "{}", e.message);
}

#[test]
fn mps_export_of_an_lp_and_refusal_of_cones() {
    // The LP of the test above, column by column: maximize x0 + 0.64 x1 (OBJSENSE MAX of the
    // file's own objective), the rows `<=` with their right sides, both columns free.
    let p = read_example("lp_sequence.cbf");
    let text = mps::write(&p).expect("an MPS file");
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('*')).collect();
    assert_eq!(
        body,
        [
            "NAME cnnc",
            "OBJSENSE",
            "    MAX",
            "ROWS",
            " N obj",
            " L c0",
            " L c1",
            " L c2",
            " L c3",
            "COLUMNS",
            " x0 obj 1",
            " x0 c0 -1",
            " x0 c2 50",
            " x0 c3 -3",
            " x1 obj 0.64",
            " x1 c1 -1",
            " x1 c2 31",
            " x1 c3 2",
            "RHS",
            " RHS c2 250",
            " RHS c3 4",
            "BOUNDS",
            " FR BND x0",
            " FR BND x1",
            "ENDATA",
        ]
    );
    let e = mps::write(&read_example("exp_pow.cbf")).expect_err("cones");
    assert_eq!(e.code, "E0713");
    assert!(e.message.contains("exponential cone"), "{}", e.message);
}

// ---------------------------------------------------------------- malformed files

#[test]
fn malformed_files_are_reported_with_line_and_column() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir("bad"))
        .expect("tests/cbf/bad")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cbf"))
        .collect();
    files.sort();
    assert!(files.len() >= 8);
    for path in files {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("readable");
        let rendered = match read_text(&format!("{name}.cbf"), text) {
            Ok(_) => panic!("{name}.cbf was accepted"),
            Err(r) => r,
        };
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("cbf_bad", rendered);
        });
    }
}

#[test]
fn reader_never_panics_on_garbage() {
    // Every prefix of a valid file, and every file with one line removed, is read without a
    // panic (accepted or refused with diagnostics).
    let text = std::fs::read_to_string(dir("examples").join("sdo_mixed.cbf")).expect("file");
    for cut in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
        let _ = read_text("cut.cbf", text[..cut].to_string());
    }
    let lines: Vec<&str> = text.lines().collect();
    for skip in 0..lines.len() {
        let mut t: Vec<&str> = lines.clone();
        t.remove(skip);
        let _ = read_text("skip.cbf", t.join("\n"));
    }
}

// ---------------------------------------------------------------- the written text

/// A small problem touching every part of the writer: a diagonal `P` (so the factor is exact),
/// an integer column, a constant, every cone kind.
fn writer_showcase() -> ConicProblem {
    let mut pm = Triplets::new(3, 3);
    pm.push(0, 0, 4.0);
    let mut a = Triplets::new(12, 3);
    a.push(0, 0, 1.0); // zero:    x0 + s = 1
    a.push(1, 1, -1.0); // nonneg: s = x1
    a.push(2, 2, -1.0); // SOC (x2, x0, x1)
    a.push(3, 0, -1.0);
    a.push(4, 1, -1.0);
    a.push(5, 0, -1.0); // exp (x0, x1, x2)
    a.push(6, 1, -1.0);
    a.push(7, 2, -1.0);
    a.push(8, 2, -1.0); // power (x2, 1, x0)
    a.push(10, 0, -1.0);
    a.push(11, 1, -1.0); // 1×1 PSD: x1
    let mut b = vec![0.0; 12];
    b[0] = 1.0;
    b[9] = 1.0;
    ConicProblem {
        vars: vec![
            var("w[0]"),
            ConicVar {
                name: "k".into(),
                integer: true,
            },
            var("t"),
        ],
        p: pm.into_csc(),
        q: vec![1.0, 0.0, -2.0],
        constant: 0.25,
        maximize: false,
        a: a.into_csc(),
        b,
        cones: vec![
            Cone::Zero(1),
            Cone::Nonneg(1),
            Cone::SecondOrder(3),
            Cone::Exponential,
            Cone::Power(0.25),
            Cone::PsdTriangle(1),
        ],
        origins: vec![
            Origin {
                stage: "test",
                lowering: "",
                label: "sum".into(),
                span: None,
            },
            Origin::default(),
            Origin::default(),
            Origin::default(),
            Origin::default(),
            Origin::default(),
        ],
    }
}

#[test]
fn written_cbf_text() {
    insta::assert_snapshot!("cbf_write_showcase", cbf::write(&writer_showcase()));
}

#[test]
fn written_json_text() {
    insta::assert_snapshot!("json_write_showcase", json::write(&writer_showcase()));
}

// ---------------------------------------------------------------- what `cnnc solve` reports

fn solve_text(text: &str) -> (ConicProblem, cnnc::solve::Outcome) {
    let p = read_text("case.cbf", text.to_string()).expect("reads");
    let o = solve(&p, choose_backend(&p), &settings()).expect("attempted");
    (p, o)
}

#[test]
fn reports_and_exit_codes() {
    let text = std::fs::read_to_string(dir("examples").join("lp_sequence.cbf")).expect("file");
    let (p, o) = solve_text(&text);
    let v: serde_json::Value = serde_json::from_str(&cbf::report_json(&p, &o)).expect("JSON");
    assert_eq!(v["status"], "optimal");
    assert_rel(v["objective"].as_f64().expect("a number"), 984.0 / 193.0);
    assert_eq!(v["x"][1][0], "x1");
    assert_eq!(cbf::exit_code(o.status), cbf::EXIT_SOLVED);
    assert!(cbf::report_text(&o).starts_with("status: optimal\nobjective: 5.09"));

    // x0 >= 1 and x0 <= -1: infeasible.
    let infeasible = "VER\n3\nOBJSENSE\nMIN\nVAR\n1 1\nF 1\nCON\n2 1\nL+ 2\n\
                      ACOORD\n2\n0 0 1\n1 0 -1\nBCOORD\n2\n0 -1\n1 -1\n";
    let (p, o) = solve_text(infeasible);
    let v: serde_json::Value = serde_json::from_str(&cbf::report_json(&p, &o)).expect("JSON");
    assert_eq!(v["status"], "primal_infeasible");
    assert!(v["objective"].is_null());
    assert!(v["x"].is_null());
    assert_eq!(cbf::exit_code(o.status), cbf::EXIT_INFEASIBLE);

    // minimize x0 with x0 free: unbounded.
    let unbounded = "VER\n3\nOBJSENSE\nMIN\nVAR\n1 1\nF 1\nOBJACOORD\n1\n0 1\n";
    let (_, o) = solve_text(unbounded);
    assert_eq!(o.status, Status::DualInfeasible);
    assert_eq!(cbf::exit_code(o.status), cbf::EXIT_UNBOUNDED);
}

/// `cnnc solve`'s exit codes as README.md lists them, through the binary: 0 solved, 1 bad file,
/// 3 infeasible, 4 unbounded, 6 no back end can solve it (each with what it prints).
#[test]
fn cli_solve_exit_codes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let run = |path: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cnnc"))
            .arg("solve")
            .arg(path)
            .args(["--report", "json"])
            .output()
            .expect("cnnc runs")
    };
    let write = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let cases: Vec<(PathBuf, i32, &str, &str)> = vec![
        (dir("examples").join("lp_sequence.cbf"), 0, "optimal", ""),
        (
            dir("bad").join("truncated.cbf"),
            1,
            "",
            "[E0704] Error: `ACOORD` declares 3 body lines but only 2 follow",
        ),
        (tmp.path().join("missing.cbf"), 1, "", "[E0001]"),
        (
            write(
                "infeasible.cbf",
                "VER\n3\nOBJSENSE\nMIN\nVAR\n1 1\nF 1\nCON\n2 1\nL+ 2\n\
                 ACOORD\n2\n0 0 1\n1 0 -1\nBCOORD\n2\n0 -1\n1 -1\n",
            ),
            3,
            "primal_infeasible",
            "E0911",
        ),
        (
            write(
                "unbounded.cbf",
                "VER\n3\nOBJSENSE\nMIN\nVAR\n1 1\nF 1\nOBJACOORD\n1\n0 1\n",
            ),
            4,
            "dual_infeasible",
            "E0912",
        ),
        // Integers with a second-order cone: neither Clarabel nor the MILP back end takes it.
        (dir("examples").join("mwe.cbf"), 6, "cannot_solve", "E0906"),
    ];
    for (path, code, status, stderr_has) in cases {
        let out = run(&path);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}: {stderr}",
            path.display()
        );
        assert!(stderr.contains(stderr_has), "{}: {stderr}", path.display());
        if status.is_empty() {
            assert!(out.stdout.is_empty(), "{}: no report", path.display());
        } else {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
            assert_eq!(v["status"], status, "{}", path.display());
            assert_eq!(v["objective"].is_number(), code == 0, "{}", path.display());
        }
    }
}
