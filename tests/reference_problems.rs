//! Named reference problems with known optimal values, each solved by every back end that
//! accepts it and checked to 1e-6 relative; the others must refuse it with a clear error.
//!
//! Where each optimum comes from is said next to it: a closed form, or a run of SciPy's
//! `milp` (HiGHS) for the MILPs. PSD problems run only with `--features sdp`; without it they
//! must fail with the error that says how to enable it.

use cnnc::conic::{Cone, ConicProblem, ConicVar, Origin, Triplets};
use cnnc::solve::{choose_backend, solve, Backend, Settings, SolveError, Status};

const REL_TOL: f64 = 1e-6;

/// A sparse row `Σ coef·x[col]`.
type Row = Vec<(usize, f64)>;

/// Builds a [`ConicProblem`] block by block: each row is `(a, b)` with `s = b − aᵀx` in the cone.
struct Build {
    vars: Vec<ConicVar>,
    q: Vec<f64>,
    p: Vec<(usize, usize, f64)>,
    constant: f64,
    maximize: bool,
    rows: Vec<(Row, f64)>,
    cones: Vec<Cone>,
    origins: Vec<Origin>,
}

impl Build {
    fn new(n: usize) -> Build {
        Build {
            vars: (0..n)
                .map(|i| ConicVar {
                    name: format!("x{i}"),
                    integer: false,
                })
                .collect(),
            q: vec![0.0; n],
            p: Vec::new(),
            constant: 0.0,
            maximize: false,
            rows: Vec::new(),
            cones: Vec::new(),
            origins: Vec::new(),
        }
    }

    fn q(mut self, q: &[f64]) -> Build {
        self.q = q.to_vec();
        self
    }

    /// An entry of the upper triangle of `P`.
    fn p(mut self, i: usize, j: usize, v: f64) -> Build {
        self.p.push((i, j, v));
        self
    }

    fn integer(mut self, j: usize) -> Build {
        self.vars[j].integer = true;
        self
    }

    fn block(mut self, cone: Cone, label: &str, rows: Vec<(Row, f64)>) -> Build {
        assert_eq!(cone.dim(), rows.len(), "block {label}");
        self.rows.extend(rows);
        self.cones.push(cone);
        self.origins.push(Origin {
            stage: "test",
            lowering: "",
            label: label.to_string(),
            span: None,
        });
        self
    }

    fn build(self) -> ConicProblem {
        let n = self.vars.len();
        let m = self.rows.len();
        let mut a = Triplets::new(m, n);
        let mut b = Vec::with_capacity(m);
        for (r, (row, rhs)) in self.rows.into_iter().enumerate() {
            for (c, v) in row {
                a.push(r, c, v);
            }
            b.push(rhs);
        }
        let mut p = Triplets::new(n, n);
        for (i, j, v) in self.p {
            p.push(i, j, v);
        }
        ConicProblem {
            vars: self.vars,
            p: p.into_csc(),
            q: self.q,
            constant: self.constant,
            maximize: self.maximize,
            a: a.into_csc(),
            b,
            cones: self.cones,
            origins: self.origins,
        }
    }
}

/// `aᵀx ≤ b` as a row of a nonnegative cone.
fn le(a: &[(usize, f64)], b: f64) -> (Row, f64) {
    (a.to_vec(), b)
}

/// `aᵀx ≥ b` as a row of a nonnegative cone.
fn ge(a: &[(usize, f64)], b: f64) -> (Row, f64) {
    (a.iter().map(|&(c, v)| (c, -v)).collect(), -b)
}

/// `aᵀx = b` as a row of a zero cone.
fn eq(a: &[(usize, f64)], b: f64) -> (Row, f64) {
    (a.to_vec(), b)
}

/// The row making the slack equal to the affine expression `aᵀx + c` (for conic blocks).
fn slack(a: &[(usize, f64)], c: f64) -> (Row, f64) {
    (a.iter().map(|&(col, v)| (col, -v)).collect(), c)
}

/// A named problem, its optimum (the user's objective) and the back ends that must accept it.
struct Reference {
    name: &'static str,
    problem: ConicProblem,
    optimum: f64,
    /// Optimal point, when unique.
    x: Option<Vec<f64>>,
    accepted_by: Vec<Backend>,
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= REL_TOL * want.abs().max(1e-12)
}

/// `max x + y` over `x + 2y ≤ 4, 3x + y ≤ 6, x, y ≥ 0`: the vertex `(8/5, 6/5)`, value 14/5
/// (closed form). Written as a minimization of `−x − y` with `maximize` set.
fn lp_0() -> Reference {
    let mut problem = Build::new(2)
        .q(&[-1.0, -1.0])
        .block(
            Cone::Nonneg(4),
            "rows",
            vec![
                le(&[(0, 1.0), (1, 2.0)], 4.0),
                le(&[(0, 3.0), (1, 1.0)], 6.0),
                ge(&[(0, 1.0)], 0.0),
                ge(&[(1, 1.0)], 0.0),
            ],
        )
        .build();
    problem.maximize = true;
    Reference {
        name: "lp_0",
        problem,
        optimum: 14.0 / 5.0,
        x: Some(vec![1.6, 1.2]),
        accepted_by: vec![Backend::Clarabel, Backend::Microlp, Backend::Cbc],
    }
}

/// `min 2x + 3y + z` with `x + y + z = 10`, `x − y = 2`, `x, y, z ≥ 0`, `z ≥ 1` plus a constant 5:
/// `z` is cheapest, so `y = 0, x = 2, z = 8` → 4 + 8 + 5 = 17 (closed form).
fn lp_1() -> Reference {
    let mut problem = Build::new(3)
        .q(&[2.0, 3.0, 1.0])
        .block(
            Cone::Zero(2),
            "balance",
            vec![
                eq(&[(0, 1.0), (1, 1.0), (2, 1.0)], 10.0),
                eq(&[(0, 1.0), (1, -1.0)], 2.0),
            ],
        )
        .block(
            Cone::Nonneg(4),
            "bounds",
            vec![
                ge(&[(0, 1.0)], 0.0),
                ge(&[(1, 1.0)], 0.0),
                ge(&[(2, 1.0)], 0.0),
                ge(&[(2, 1.0)], 1.0),
            ],
        )
        .build();
    problem.constant = 5.0;
    Reference {
        name: "lp_1",
        problem,
        optimum: 17.0,
        x: Some(vec![2.0, 0.0, 8.0]),
        accepted_by: vec![Backend::Clarabel, Backend::Microlp, Backend::Cbc],
    }
}

/// `min x² + xy + y² − 3x − 3y` with `x ≤ 1/2`. KKT: `y = (3 − x)/2 = 5/4`, multiplier 3/4 ≥ 0,
/// value −2.8125 (closed form). `P = [[2, 1], [1, 2]]` exercises the off-diagonal term.
fn qp_0() -> Reference {
    let problem = Build::new(2)
        .q(&[-3.0, -3.0])
        .p(0, 0, 2.0)
        .p(0, 1, 1.0)
        .p(1, 1, 2.0)
        .block(Cone::Nonneg(1), "cap", vec![le(&[(0, 1.0)], 0.5)])
        .build();
    Reference {
        name: "qp_0",
        problem,
        optimum: -2.8125,
        x: Some(vec![0.5, 1.25]),
        accepted_by: vec![Backend::Clarabel],
    }
}

/// `min x + 2y` with `‖(x, y)‖₂ ≤ 1`: `−(1, 2)/√5`, value −√5 (closed form).
fn socp_0() -> Reference {
    let s5 = 5f64.sqrt();
    let problem = Build::new(2)
        .q(&[1.0, 2.0])
        .block(
            Cone::SecondOrder(3),
            "ball",
            vec![
                slack(&[], 1.0),
                slack(&[(0, 1.0)], 0.0),
                slack(&[(1, 1.0)], 0.0),
            ],
        )
        .build();
    Reference {
        name: "socp_0",
        problem,
        optimum: -s5,
        x: Some(vec![-1.0 / s5, -2.0 / s5]),
        accepted_by: vec![Backend::Clarabel],
    }
}

/// `min z` with `(x, y, z) ∈ K_exp`, `x = y = 1`: `z ≥ y·e^{x/y} = e` (closed form).
fn exp_0() -> Reference {
    let problem = Build::new(3)
        .q(&[0.0, 0.0, 1.0])
        .block(
            Cone::Zero(2),
            "fix",
            vec![eq(&[(0, 1.0)], 1.0), eq(&[(1, 1.0)], 1.0)],
        )
        .block(
            Cone::Exponential,
            "exp",
            vec![
                slack(&[(0, 1.0)], 0.0),
                slack(&[(1, 1.0)], 0.0),
                slack(&[(2, 1.0)], 0.0),
            ],
        )
        .build();
    Reference {
        name: "exp_0",
        problem,
        optimum: std::f64::consts::E,
        x: Some(vec![1.0, 1.0, std::f64::consts::E]),
        accepted_by: vec![Backend::Clarabel],
    }
}

/// `max z` with `x^0.3 y^0.7 ≥ |z|`, `x + y = 1`: weighted AM–GM gives `x = 0.3, y = 0.7`,
/// value `0.3^0.3 · 0.7^0.7` (closed form).
fn pow_0() -> Reference {
    let mut problem = Build::new(3)
        .q(&[0.0, 0.0, -1.0])
        .block(
            Cone::Zero(1),
            "budget",
            vec![eq(&[(0, 1.0), (1, 1.0)], 1.0)],
        )
        .block(
            Cone::Power(0.3),
            "power",
            vec![
                slack(&[(0, 1.0)], 0.0),
                slack(&[(1, 1.0)], 0.0),
                slack(&[(2, 1.0)], 0.0),
            ],
        )
        .build();
    problem.maximize = true;
    let value = 0.3f64.powf(0.3) * 0.7f64.powf(0.7);
    Reference {
        name: "pow_0",
        problem,
        optimum: value,
        x: Some(vec![0.3, 0.7, value]),
        accepted_by: vec![Backend::Clarabel],
    }
}

/// `max 50x + 40y + 45z` with `3x + 2y + z ≤ 20`, `2x + y + 3z ≤ 15`, `x ≥ 2`, `0 ≤ y ≤ 7`,
/// `z ≥ 0` integer: `(2, 6.5, 1)`, value 405 (SciPy 1.x `milp`, HiGHS, agrees with good_lp's
/// own test of this problem).
fn milp_0() -> Reference {
    let mut problem = Build::new(3)
        .q(&[-50.0, -40.0, -45.0])
        .integer(2)
        .block(
            Cone::Nonneg(2),
            "capacity",
            vec![
                le(&[(0, 3.0), (1, 2.0), (2, 1.0)], 20.0),
                le(&[(0, 2.0), (1, 1.0), (2, 3.0)], 15.0),
            ],
        )
        .block(
            Cone::Nonneg(4),
            "bounds",
            vec![
                ge(&[(0, 1.0)], 2.0),
                ge(&[(1, 1.0)], 0.0),
                le(&[(1, 1.0)], 7.0),
                ge(&[(2, 1.0)], 0.0),
            ],
        )
        .build();
    problem.maximize = true;
    Reference {
        name: "milp_0",
        problem,
        optimum: 405.0,
        x: Some(vec![2.0, 6.5, 1.0]),
        accepted_by: vec![Backend::Microlp, Backend::Cbc],
    }
}

/// A ReLU `y = max(0, w)` in big-M form (M = 10, binary δ), `min 0.4w − y`, `−2 ≤ w ≤ 3`:
/// the exact optimum is `w = y = 3`, value −1.8; the LP relaxation would reach −2.8
/// (SciPy `milp`, HiGHS, and by hand).
fn milp_relu_big_m() -> Reference {
    let m = 10.0;
    let (w, y, d) = (0, 1, 2);
    let problem = Build::new(3)
        .q(&[0.4, -1.0, 0.0])
        .integer(d)
        .block(
            Cone::Nonneg(4),
            "relu",
            vec![
                ge(&[(y, 1.0), (w, -1.0)], 0.0),
                ge(&[(y, 1.0)], 0.0),
                le(&[(y, 1.0), (w, -1.0), (d, m)], m),
                le(&[(y, 1.0), (d, -m)], 0.0),
            ],
        )
        .block(
            Cone::Nonneg(4),
            "bounds",
            vec![
                ge(&[(w, 1.0)], -2.0),
                le(&[(w, 1.0)], 3.0),
                ge(&[(d, 1.0)], 0.0),
                le(&[(d, 1.0)], 1.0),
            ],
        )
        .build();
    Reference {
        name: "milp_relu_big_m",
        problem,
        optimum: -1.8,
        x: Some(vec![3.0, 3.0, 1.0]),
        accepted_by: vec![Backend::Microlp, Backend::Cbc],
    }
}

/// The back ends of this build that take MILPs: microlp, and CBC with the `cbc` feature.
fn milp_backends() -> impl Iterator<Item = Backend> {
    Backend::built().filter(|&b| b != Backend::Clarabel)
}

fn check(r: &Reference) {
    for backend in Backend::built() {
        let result = solve(&r.problem, backend, &Settings::default());
        if !r.accepted_by.contains(&backend) {
            let e = result.expect_err(&format!("{} must refuse {}", backend, r.name));
            assert!(
                matches!(
                    e,
                    SolveError::NotLinear { .. }
                        | SolveError::IntegersOnClarabel { .. }
                        | SolveError::PsdNeedsFeature { .. }
                ),
                "{}: {backend} refused with {e}",
                r.name
            );
            continue;
        }
        let out = result.unwrap_or_else(|e| panic!("{}: {backend}: {e}", r.name));
        assert_eq!(out.backend, backend);
        assert_eq!(out.status, Status::Optimal, "{}: {backend}", r.name);
        let obj = out.objective.expect("optimal has an objective");
        assert!(
            close(obj, r.optimum),
            "{}: {backend} objective {obj}, expected {}",
            r.name,
            r.optimum
        );
        let x = out.x.as_ref().expect("optimal has a point");
        assert_eq!(x.len(), r.problem.num_vars());
        if let Some(want) = &r.x {
            for (i, (g, w)) in x.iter().zip(want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-4 * w.abs().max(1.0),
                    "{}: {backend} x[{i}] = {g}, expected {w}",
                    r.name
                );
            }
        }
    }
}

#[test]
fn lp_0_both_backends() {
    check(&lp_0());
}

#[test]
fn lp_1_with_equalities_and_constant() {
    check(&lp_1());
}

#[test]
fn qp_0_clarabel() {
    check(&qp_0());
}

#[test]
fn socp_0_clarabel() {
    check(&socp_0());
}

#[test]
fn exp_0_clarabel() {
    check(&exp_0());
}

#[test]
fn pow_0_clarabel() {
    check(&pow_0());
}

#[test]
fn milp_0_microlp() {
    check(&milp_0());
}

#[test]
fn milp_relu_big_m_microlp() {
    check(&milp_relu_big_m());
}

#[test]
fn integers_choose_microlp() {
    assert_eq!(choose_backend(&milp_0().problem), Backend::Microlp);
    assert_eq!(choose_backend(&lp_0().problem), Backend::Clarabel);
    assert_eq!(choose_backend(&socp_0().problem), Backend::Clarabel);
}

#[test]
fn backend_names_round_trip() {
    for b in Backend::ALL {
        assert_eq!(Backend::from_name(b.name()), Some(b));
    }
    assert_eq!(Backend::from_name("gurobi"), None);
}

/// `x ≥ 1` and `x + y ≤ 0` with `y ≥ 0` contradict; `z ≤ 5` has nothing to do with it.
fn infeasible_lp() -> ConicProblem {
    Build::new(3)
        .q(&[1.0, 1.0, 1.0])
        .block(Cone::Nonneg(1), "lower", vec![ge(&[(0, 1.0)], 1.0)])
        .block(
            Cone::Nonneg(1),
            "upper",
            vec![le(&[(0, 1.0), (1, 1.0)], 0.0)],
        )
        .block(Cone::Nonneg(1), "y_nonneg", vec![ge(&[(1, 1.0)], 0.0)])
        .block(
            Cone::Nonneg(2),
            "unrelated",
            vec![le(&[(2, 1.0)], 5.0), ge(&[(2, 1.0)], -5.0)],
        )
        .build()
}

#[test]
fn infeasible_names_the_groups_involved() {
    let p = infeasible_lp();
    let out = solve(&p, Backend::Clarabel, &Settings::default()).expect("accepted");
    assert_eq!(out.status, Status::PrimalInfeasible);
    assert!(out.x.is_none() && out.objective.is_none());
    let mut groups = out.infeasible_groups.clone();
    groups.sort();
    assert_eq!(groups, ["lower", "upper", "y_nonneg"]);

    for b in milp_backends() {
        let out = solve(&p, b, &Settings::default()).expect("accepted");
        assert_eq!(out.status, Status::PrimalInfeasible, "{b}");
        assert!(out.x.is_none() && out.objective.is_none(), "{b}");
        let mut groups = out.infeasible_groups.clone();
        groups.sort();
        assert_eq!(groups, ["lower", "upper", "y_nonneg"], "{b}");
    }
}

#[test]
fn conic_infeasibility_names_the_groups_involved() {
    // ‖(x, y)‖₂ ≤ 1 and x + y ≥ 2 contradict (x + y ≤ √2); the bounds on z do not take part.
    let p = Build::new(3)
        .q(&[0.0, 0.0, 1.0])
        .block(
            Cone::SecondOrder(3),
            "ball",
            vec![
                slack(&[], 1.0),
                slack(&[(0, 1.0)], 0.0),
                slack(&[(1, 1.0)], 0.0),
            ],
        )
        .block(Cone::Nonneg(1), "far", vec![ge(&[(0, 1.0), (1, 1.0)], 2.0)])
        .block(
            Cone::Nonneg(2),
            "unrelated",
            vec![le(&[(2, 1.0)], 5.0), ge(&[(2, 1.0)], -5.0)],
        )
        .build();
    let out = solve(&p, Backend::Clarabel, &Settings::default()).expect("accepted");
    assert_eq!(out.status, Status::PrimalInfeasible);
    let mut groups = out.infeasible_groups.clone();
    groups.sort();
    assert_eq!(groups, ["ball", "far"]);
}

#[test]
fn contradictory_bounds_are_named_without_solving() {
    let p = Build::new(1)
        .q(&[1.0])
        .block(Cone::Nonneg(1), "at_least_two", vec![ge(&[(0, 1.0)], 2.0)])
        .block(Cone::Nonneg(1), "at_most_one", vec![le(&[(0, 1.0)], 1.0)])
        .build();
    for b in milp_backends() {
        let out = solve(&p, b, &Settings::default()).expect("accepted");
        assert_eq!(out.status, Status::PrimalInfeasible, "{b}");
        let mut groups = out.infeasible_groups.clone();
        groups.sort();
        assert_eq!(groups, ["at_least_two", "at_most_one"], "{b}");
    }
}

#[test]
fn unbounded_is_dual_infeasible() {
    // min x with x + y ≤ 1, y ≥ 0: x → −∞.
    let p = Build::new(2)
        .q(&[1.0, 0.0])
        .block(
            Cone::Nonneg(2),
            "rows",
            vec![le(&[(0, 1.0), (1, 1.0)], 1.0), ge(&[(1, 1.0)], 0.0)],
        )
        .build();
    for b in Backend::built() {
        let out = solve(&p, b, &Settings::default()).expect("accepted");
        assert_eq!(out.status, Status::DualInfeasible, "{b}");
        assert!(out.x.is_none() && out.objective.is_none(), "{b}");
    }
}

#[test]
fn iteration_limit_is_not_a_solution() {
    let r = socp_0();
    let s = Settings {
        max_iter: 1,
        ..Settings::default()
    };
    let out = solve(&r.problem, Backend::Clarabel, &s).expect("accepted");
    assert_eq!(out.status, Status::IterationLimit);
    assert!(!out.status.is_solved());
    assert!(out.x.is_none() && out.objective.is_none());
    assert!(out.last_iterate.is_some());
}

#[test]
fn malformed_problem_is_an_error() {
    let mut p = lp_0().problem;
    p.cones[0] = Cone::Nonneg(3);
    let e = solve(&p, Backend::Clarabel, &Settings::default()).expect_err("malformed");
    assert!(matches!(e, SolveError::Malformed(_)), "{e}");
    assert_eq!(e.to_diagnostic().code, "E0904");
}

#[test]
fn integers_with_a_cone_have_no_backend() {
    let mut p = socp_0().problem;
    p.vars[0].integer = true;
    let e = solve(&p, choose_backend(&p), &Settings::default()).expect_err("no back end");
    assert_eq!(
        e,
        SolveError::MixedIntegerConic {
            what: "a second-order cone of dimension 3".into(),
            label: "ball".into()
        }
    );
    assert_eq!(e.code(), "E0906");
}

#[test]
fn errors_become_diagnostics() {
    let e = solve(&milp_0().problem, Backend::Clarabel, &Settings::default())
        .expect_err("integers on clarabel");
    let d = cnnc::diag::Diagnostic::from(e);
    assert_eq!(d.code, "E0902");
    assert!(d.help.as_deref().unwrap_or("").contains("microlp"));
}

// ---- PSD cones --------------------------------------------------------------------------------

/// Rows putting `svec(M)` in a PSD cone, `M` symmetric `n×n` with affine entries `m(i, j)`
/// (`i ≤ j`): upper triangle column by column, off-diagonals scaled by √2.
fn psd_rows(n: usize, m: impl Fn(usize, usize) -> (Vec<(usize, f64)>, f64)) -> Vec<(Row, f64)> {
    let mut rows = Vec::new();
    for j in 0..n {
        for i in 0..=j {
            let scale = if i == j {
                1.0
            } else {
                std::f64::consts::SQRT_2
            };
            let (a, c) = m(i, j);
            let a: Vec<_> = a.into_iter().map(|(col, v)| (col, scale * v)).collect();
            rows.push(slack(&a, scale * c));
        }
    }
    rows
}

/// `min ‖X‖_*` over `X = [[x00, x01], [x10, x11]]` with some entries fixed, as the SDP
/// `min (tr W₁ + tr W₂)/2` s.t. `[[W₁, X], [Xᵀ, W₂]] ⪰ 0`. Variables: X (4), W₁ (3), W₂ (3).
fn nuclear_norm(fixed: &[((usize, usize), f64)]) -> ConicProblem {
    let xv = |i: usize, j: usize| 2 * i + j; // x00 x01 x10 x11
    let w1 = |i: usize, j: usize| 4 + if i + j == 0 { 0 } else { i + j }; // w00 w01 w11
    let w2 = |i: usize, j: usize| 7 + if i + j == 0 { 0 } else { i + j };
    let block = move |i: usize, j: usize| -> (Vec<(usize, f64)>, f64) {
        // (i, j) with i ≤ j in the 4×4 matrix [[W₁, X], [Xᵀ, W₂]].
        let col = match (i < 2, j < 2) {
            (true, true) => w1(i, j),
            (true, false) => xv(i, j - 2),
            (false, false) => w2(i - 2, j - 2),
            (false, true) => unreachable!("upper triangle only"),
        };
        (vec![(col, 1.0)], 0.0)
    };
    let mut q = vec![0.0; 10];
    for c in [w1(0, 0), w1(1, 1), w2(0, 0), w2(1, 1)] {
        q[c] = 0.5;
    }
    let mut b = Build::new(10).q(&q);
    if !fixed.is_empty() {
        b = b.block(
            Cone::Zero(fixed.len()),
            "known entries",
            fixed
                .iter()
                .map(|&((i, j), v)| eq(&[(xv(i, j), 1.0)], v))
                .collect(),
        );
    }
    b.block(Cone::PsdTriangle(4), "nuclear norm", psd_rows(4, block))
        .build()
}

/// `‖[[1, 2], [3, 4]]‖_*`: `σ₁² + σ₂² = 30`, `σ₁σ₂ = |det| = 2`, so `σ₁ + σ₂ = √34`
/// (closed form).
fn sdp_nuclear_fixed() -> Reference {
    let fixed = [((0, 0), 1.0), ((0, 1), 2.0), ((1, 0), 3.0), ((1, 1), 4.0)];
    Reference {
        name: "sdp_nuclear_fixed",
        problem: nuclear_norm(&fixed),
        optimum: 34f64.sqrt(),
        x: None,
        accepted_by: psd_backends(),
    }
}

/// Completion of `[[1, ?], [?, 1]]` with least nuclear norm: `‖X‖_* ≥ tr X = 2`, reached at
/// `X = I` (closed form; the minimizer is not unique).
fn sdp_nuclear_completion() -> Reference {
    Reference {
        name: "sdp_nuclear_completion",
        problem: nuclear_norm(&[((0, 0), 1.0), ((1, 1), 1.0)]),
        optimum: 2.0,
        x: None,
        accepted_by: psd_backends(),
    }
}

/// `min tr(CX)` with `tr X = 1`, `X ⪰ 0`, `C = [[2, 1], [1, 2]]`: `λ_min(C) = 1` at
/// `X = ½[[1, −1], [−1, 1]]` (closed form). Variables `x00, x01, x11`.
fn sdp_min_eigenvalue() -> Reference {
    let problem = Build::new(3)
        .q(&[2.0, 2.0, 2.0])
        .block(Cone::Zero(1), "trace", vec![eq(&[(0, 1.0), (2, 1.0)], 1.0)])
        .block(
            Cone::PsdTriangle(2),
            "psd",
            psd_rows(2, |i, j| (vec![(i + j, 1.0)], 0.0)),
        )
        .build();
    Reference {
        name: "sdp_min_eigenvalue",
        problem,
        optimum: 1.0,
        x: Some(vec![0.5, -0.5, 0.5]),
        accepted_by: psd_backends(),
    }
}

fn psd_backends() -> Vec<Backend> {
    if cfg!(feature = "sdp") {
        vec![Backend::Clarabel]
    } else {
        Vec::new()
    }
}

#[test]
fn sdp_min_eigenvalue_clarabel() {
    check(&sdp_min_eigenvalue());
}

#[test]
fn sdp_nuclear_norm_of_fixed_matrix() {
    check(&sdp_nuclear_fixed());
}

#[test]
fn sdp_nuclear_norm_completion() {
    check(&sdp_nuclear_completion());
}

#[cfg(not(feature = "sdp"))]
#[test]
fn psd_without_feature_says_how_to_enable_it() {
    let e = solve(
        &sdp_nuclear_completion().problem,
        Backend::Clarabel,
        &Settings::default(),
    )
    .expect_err("no sdp feature");
    assert_eq!(
        e,
        SolveError::PsdNeedsFeature {
            count: 1,
            first: "nuclear norm".into()
        }
    );
    let d = e.to_diagnostic();
    let help = d.help.unwrap_or_default();
    assert!(help.contains("--features sdp"), "{help}");
    assert!(help.contains("libopenblas-dev"), "{help}");
}

/// `min ½x² − x` with no constraints: `x = 1`, value −½ (closed form).
fn qp_unconstrained() -> Reference {
    Reference {
        name: "qp_unconstrained",
        problem: Build::new(1).q(&[-1.0]).p(0, 0, 1.0).build(),
        optimum: -0.5,
        x: Some(vec![1.0]),
        accepted_by: vec![Backend::Clarabel],
    }
}

#[test]
fn qp_without_constraints() {
    check(&qp_unconstrained());
}

#[test]
fn empty_problem_is_its_constant() {
    let mut p = Build::new(0).build();
    p.constant = 4.0;
    for b in Backend::built() {
        let out = solve(&p, b, &Settings::default()).expect("accepted");
        assert_eq!(out.status, Status::Optimal, "{b}");
        assert_eq!(out.objective, Some(4.0), "{b}");
        assert_eq!(out.x, Some(Vec::new()), "{b}");
    }
    // A constant constraint that fails: 0 ≤ −1.
    let p = Build::new(0)
        .block(Cone::Nonneg(1), "broken", vec![le(&[], -1.0)])
        .build();
    for b in Backend::built() {
        let out = solve(&p, b, &Settings::default()).expect("accepted");
        assert_eq!(out.status, Status::PrimalInfeasible, "{b}");
        assert_eq!(out.infeasible_groups, ["broken"], "{b}");
    }
}

/// Degenerate cone blocks Clarabel would assert on or that hold no rows: `SOC(1)` is `s₀ ≥ 0`.
/// `min x` with `x ≥ 2` written as a one-row second-order cone, plus empty blocks: value 2.
fn degenerate_blocks() -> Reference {
    let problem = Build::new(1)
        .q(&[1.0])
        .block(Cone::Zero(0), "no equalities", Vec::new())
        .block(Cone::SecondOrder(1), "soc1", vec![slack(&[(0, 1.0)], -2.0)])
        .block(Cone::Nonneg(0), "no inequalities", Vec::new())
        .build();
    Reference {
        name: "degenerate_blocks",
        problem,
        optimum: 2.0,
        x: Some(vec![2.0]),
        accepted_by: vec![Backend::Clarabel],
    }
}

#[test]
fn degenerate_cone_blocks() {
    check(&degenerate_blocks());
}

/// Random bounded, feasible LPs (box `[−1, 1]ⁿ`, rows `aᵀx ≤ aᵀx₀ + slack` for an `x₀` in the
/// box): Clarabel, microlp and (with the `cbc` feature) CBC must agree on every optimum. A
/// fixed-seed generator keeps the instances the same on every run.
#[test]
fn random_lps_agree_across_backends() {
    let mut uniform = uniform_from(0x9e37_79b9_7f4a_7c15);
    for instance in 0..20 {
        let (n, m) = (6, 8);
        let x0: Vec<f64> = (0..n).map(|_| uniform()).collect();
        let mut rows = Vec::new();
        for _ in 0..m {
            let a: Vec<(usize, f64)> = (0..n).map(|j| (j, uniform())).collect();
            let ax0: f64 = a.iter().map(|&(j, v)| v * x0[j]).sum();
            rows.push(le(&a, ax0 + 0.5 * (uniform() + 1.0)));
        }
        let mut bounds = Vec::new();
        for j in 0..n {
            bounds.push(le(&[(j, 1.0)], 1.0));
            bounds.push(ge(&[(j, 1.0)], -1.0));
        }
        let q: Vec<f64> = (0..n).map(|_| uniform()).collect();
        let p = Build::new(n)
            .q(&q)
            .block(Cone::Nonneg(m), "rows", rows)
            .block(Cone::Nonneg(2 * n), "box", bounds)
            .build();
        let objective = |b: Backend| {
            let out = solve(&p, b, &Settings::default()).expect("accepted");
            assert_eq!(out.status, Status::Optimal, "instance {instance}, {b}");
            out.objective.expect("optimal")
        };
        let c = objective(Backend::Clarabel);
        for b in milp_backends() {
            let l = objective(b);
            assert!(
                (c - l).abs() <= REL_TOL * l.abs().max(1.0),
                "instance {instance}: clarabel {c}, {b} {l}"
            );
        }
    }
}

/// Uniform numbers in `[−1, 1)` from xorshift64* seeded with `state`.
fn uniform_from(mut state: u64) -> impl FnMut() -> f64 {
    move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let bits = state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        bits as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

// ---- MILP back ends against enumeration -------------------------------------------------------

/// Every integer point of the box `[lo, hi]ⁿ`.
fn integer_points(n: usize, lo: i64, hi: i64) -> Vec<Vec<f64>> {
    let mut points = vec![Vec::new()];
    for _ in 0..n {
        points = points
            .into_iter()
            .flat_map(|p| {
                (lo..=hi).map(move |v| {
                    let mut p = p.clone();
                    p.push(v as f64);
                    p
                })
            })
            .collect();
    }
    points
}

/// Whether `x` satisfies every row of `p` (zero and nonnegative cones only) to `1e-6`.
fn feasible(p: &ConicProblem, x: &[f64]) -> bool {
    let mut s = p.b.clone();
    for (r, c, v) in p.a.iter() {
        s[r] -= v * x[c];
    }
    let mut r = 0;
    p.cones.iter().all(|cone| {
        let block = &s[r..r + cone.dim()];
        r += cone.dim();
        match cone {
            Cone::Zero(_) => block.iter().all(|v| v.abs() <= 1e-6),
            Cone::Nonneg(_) => block.iter().all(|&v| v >= -1e-6),
            other => panic!("not a MILP cone: {other:?}"),
        }
    })
}

/// The user's objective at `x`: `±(qᵀx + c)`, negated back when `p` maximizes.
fn user_value(p: &ConicProblem, x: &[f64]) -> f64 {
    let v: f64 = p.q.iter().zip(x).map(|(q, x)| q * x).sum::<f64>() + p.constant;
    if p.maximize {
        -v
    } else {
        v
    }
}

/// The user's optimum of a pure-integer `p` by enumerating `points`, `None` if none is feasible.
fn enumerated_optimum(p: &ConicProblem, points: &[Vec<f64>]) -> Option<f64> {
    let better = |a: f64, b: f64| if p.maximize { a > b } else { a < b };
    points
        .iter()
        .filter(|x| feasible(p, x))
        .map(|x| user_value(p, x))
        .fold(None, |best, v| match best {
            Some(b) if !better(v, b) => Some(b),
            _ => Some(v),
        })
}

/// Solves `p` on every MILP back end and checks it against the enumerated optimum: the same
/// value, a point that satisfies the rows and is integral; infeasible when nothing is feasible.
fn check_against_enumeration(name: &str, p: &ConicProblem, points: &[Vec<f64>]) {
    let want = enumerated_optimum(p, points);
    for b in milp_backends() {
        let out = solve(p, b, &Settings::default()).expect("accepted");
        let Some(want) = want else {
            assert_eq!(out.status, Status::PrimalInfeasible, "{name}: {b}");
            assert!(out.x.is_none() && out.objective.is_none(), "{name}: {b}");
            continue;
        };
        assert_eq!(out.status, Status::Optimal, "{name}: {b}");
        let got = out.objective.expect("optimal");
        assert!(
            (got - want).abs() <= REL_TOL * want.abs().max(1.0),
            "{name}: {b} objective {got}, enumeration {want}"
        );
        let x = out.x.expect("optimal");
        assert!(feasible(p, &x), "{name}: {b} point {x:?} violates a row");
        for (v, xi) in p.vars.iter().zip(&x) {
            assert!(
                !v.integer || (xi - xi.round()).abs() <= 1e-6,
                "{name}: {b} {xi}"
            );
        }
        assert!(
            (user_value(p, &x) - got).abs() <= 1e-9 * got.abs().max(1.0),
            "{name}: {b} objective is not the point's"
        );
    }
}

/// 0/1 knapsack, values (10, 13, 7, 8, 4), weights (3, 4, 2, 3, 1), capacity 7, maximized: the
/// 32 choices enumerated give 24 (items 1, 3, 5; weight 7).
#[test]
fn knapsack_maximum_on_milp_backends() {
    let values = [10.0, 13.0, 7.0, 8.0, 4.0];
    let weights = [3.0, 4.0, 2.0, 3.0, 1.0];
    let mut b = Build::new(5).q(&values.map(|v: f64| -v));
    let mut bounds = Vec::new();
    for j in 0..5 {
        b = b.integer(j);
        bounds.push(ge(&[(j, 1.0)], 0.0));
        bounds.push(le(&[(j, 1.0)], 1.0));
    }
    let weight: Vec<_> = weights.iter().copied().enumerate().collect();
    let mut p = b
        .block(Cone::Nonneg(1), "capacity", vec![le(&weight, 7.0)])
        .block(Cone::Nonneg(10), "binary", bounds)
        .build();
    p.maximize = true;
    let points = integer_points(5, 0, 1);
    assert_eq!(enumerated_optimum(&p, &points), Some(24.0));
    check_against_enumeration("knapsack", &p, &points);
}

/// `2x + 2y = 3` has no integer solution, though its relaxation has many: the search itself
/// must prove infeasibility (bounds alone do not contradict).
#[test]
fn integer_infeasible_on_milp_backends() {
    let p = Build::new(2)
        .q(&[1.0, 1.0])
        .integer(0)
        .integer(1)
        .block(Cone::Zero(1), "odd", vec![eq(&[(0, 2.0), (1, 2.0)], 3.0)])
        .block(
            Cone::Nonneg(4),
            "box",
            vec![
                ge(&[(0, 1.0)], 0.0),
                le(&[(0, 1.0)], 3.0),
                ge(&[(1, 1.0)], 0.0),
                le(&[(1, 1.0)], 3.0),
            ],
        )
        .build();
    let points = integer_points(2, 0, 3);
    assert_eq!(enumerated_optimum(&p, &points), None);
    check_against_enumeration("odd", &p, &points);
}

/// Random pure-integer programs on the box `[−3, 3]³`, with rows `aᵀx ≤ aᵀx₀ + slack` through
/// an integer `x₀` (so feasible) and, every fourth instance, one more row that cuts `x₀` off
/// (sometimes infeasible); odd instances maximize. Every MILP back end must match the enumeration of the
/// 343 points.
#[test]
fn random_integer_programs_match_enumeration() {
    let mut uniform = uniform_from(0x5851_f42d_4c95_7f2d);
    let points = integer_points(3, -3, 3);
    let (mut infeasible, mut maximized) = (0, 0);
    for instance in 0..24 {
        let n = 3;
        let x0: Vec<f64> = (0..n).map(|_| (3.0 * uniform()).round()).collect();
        let mut rows = Vec::new();
        for _ in 0..4 {
            let a: Vec<(usize, f64)> = (0..n).map(|j| (j, 3.0 * uniform())).collect();
            let ax0: f64 = a.iter().map(|&(j, v)| v * x0[j]).sum();
            rows.push(le(&a, ax0 + 1.5 * (uniform() + 1.0)));
        }
        if instance % 4 == 3 {
            // A row x₀ violates: aᵀx ≥ aᵀx₀ + 0.5.
            let a: Vec<(usize, f64)> = (0..n).map(|j| (j, 3.0 * uniform())).collect();
            let ax0: f64 = a.iter().map(|&(j, v)| v * x0[j]).sum();
            rows.push(ge(&a, ax0 + 0.5));
        }
        let mut bounds = Vec::new();
        for j in 0..n {
            bounds.push(le(&[(j, 1.0)], 3.0));
            bounds.push(ge(&[(j, 1.0)], -3.0));
        }
        let q: Vec<f64> = (0..n).map(|_| uniform()).collect();
        let m = rows.len();
        let mut b = Build::new(n).q(&q);
        for j in 0..n {
            b = b.integer(j);
        }
        let mut p = b
            .block(Cone::Nonneg(m), "rows", rows)
            .block(Cone::Nonneg(2 * n), "box", bounds)
            .build();
        p.maximize = instance % 2 == 1;
        maximized += usize::from(p.maximize);
        infeasible += usize::from(enumerated_optimum(&p, &points).is_none());
        check_against_enumeration(&format!("instance {instance}"), &p, &points);
    }
    // The set covers both senses and both outcomes.
    assert_eq!(maximized, 12);
    assert!(infeasible > 0 && infeasible < 24, "{infeasible} infeasible");
}

/// Without the `cbc` feature, `cbc` is a known back end that refuses with the way to build it.
#[cfg(not(feature = "cbc"))]
#[test]
fn cbc_without_the_feature_says_how_to_build_it() {
    assert!(!Backend::Cbc.is_built());
    assert_eq!(Backend::from_name("cbc"), Some(Backend::Cbc));
    let e = solve(&milp_0().problem, Backend::Cbc, &Settings::default()).expect_err("not built");
    assert_eq!(e, SolveError::NotBuilt(Backend::Cbc));
    let d = cnnc::diag::Diagnostic::from(e);
    assert_eq!(d.code, "E0907");
    let help = d.help.unwrap_or_default();
    assert!(
        help.contains("--features cbc") && help.contains("coinor-libcbc-dev"),
        "{help}"
    );
}

/// A knapsack of 40 items stopped at once (`time_limit` 0): a time limit, no solution, and a
/// kept last point only if it is an integral point that satisfies every row.
#[test]
fn time_limit_keeps_only_a_feasible_point() {
    let mut uniform = uniform_from(0x2545_f491_4f6c_dd1d);
    let n = 40;
    let values: Vec<f64> = (0..n).map(|_| 10.0 + 5.0 * uniform()).collect();
    let weights: Vec<(usize, f64)> = (0..n).map(|j| (j, 10.0 + 5.0 * uniform())).collect();
    let capacity = 0.5 * weights.iter().map(|w| w.1).sum::<f64>();
    let mut b = Build::new(n).q(&values.iter().map(|v| -v).collect::<Vec<_>>());
    let mut bounds = Vec::new();
    for j in 0..n {
        b = b.integer(j);
        bounds.push(ge(&[(j, 1.0)], 0.0));
        bounds.push(le(&[(j, 1.0)], 1.0));
    }
    let mut p = b
        .block(Cone::Nonneg(1), "capacity", vec![le(&weights, capacity)])
        .block(Cone::Nonneg(2 * n), "binary", bounds)
        .build();
    p.maximize = true;
    let s = Settings {
        time_limit: Some(0.0),
        ..Settings::default()
    };
    for b in milp_backends() {
        let out = solve(&p, b, &s).expect("accepted");
        assert_eq!(out.status, Status::TimeLimit, "{b}");
        assert!(out.x.is_none() && out.objective.is_none(), "{b}");
        if let Some(x) = &out.last_iterate {
            assert!(feasible(&p, x), "{b}: kept point violates a row");
            assert!(
                x.iter().all(|v| (v - v.round()).abs() <= 1e-6),
                "{b}: {x:?}"
            );
        }
    }
}
