//! End to end below the model: convex programs with known optima are canonicalized
//! (`conic::canon`) and solved (`solve`), and the user's objective and the program variables
//! read back through the column map are checked to 1e-6 relative. This checks that the cone
//! conventions of the canonicalizer and the back ends agree (signs, `P` as an upper triangle,
//! √2-scaled PSD triangles, negated maximization), which structural snapshots cannot.

use cnnc::conic::canon::{canonicalize, ColumnMap};
use cnnc::conic::ConicProblem;
use cnnc::convex::{csc_from_dense, Atom, Constraint, Expr, Program, VarId, VarSpec};
use cnnc::solve::{choose_backend, solve, Backend, Settings, Status};

const REL_TOL: f64 = 1e-6;

fn c(v: f64) -> Expr {
    Expr::scalar(v)
}

fn vector(values: &[f64]) -> Expr {
    Expr::constant(values.len(), 1, values.to_vec()).expect("a column")
}

fn atom(a: Atom, args: Vec<Expr>) -> Expr {
    Expr::atom(a, args).expect("well-shaped")
}

/// Canonicalizes and solves `prog` with `backend`; the objective, the problem and its map.
fn run(prog: &Program, backend: Backend) -> (f64, Vec<f64>, ConicProblem, ColumnMap) {
    let (p, map) = canonicalize(prog).unwrap_or_else(|e| panic!("not DCP: {e:?}"));
    let out = solve(&p, backend, &Settings::default()).expect("accepted");
    assert_eq!(out.status, Status::Optimal, "{backend}");
    let x = out.x.expect("optimal");
    (out.objective.expect("optimal"), x, p, map)
}

fn assert_close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: got {got}, expected {want}"
    );
}

fn assert_values(map: &ColumnMap, x: &[f64], id: VarId, want: &[f64]) {
    let got = map.values(x, id).expect("block exists");
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        // Points are only as accurate as √(gap) where the optimum is flat: 1e-4.
        assert_close(&format!("entry {i}"), *g, *w, 1e-4);
    }
}

/// `min ‖x − a‖₁ + ‖x − a‖₂ + ‖x‖∞` with `|x| ≤ 3`, `a = (1, −2)`: moving from `a` by `Δ` costs
/// at least `‖Δ‖₁ + ‖Δ‖₂` and saves at most `‖Δ‖∞`, so `x = a`, value `‖a‖∞ = 2` (closed form;
/// CVXPY 1.9.3 + Clarabel agrees).
#[test]
fn norms() {
    let mut p = Program::new();
    let xid = p.add_var(VarSpec::new("x", 2, 1));
    let x = p.var_expr(xid);
    let shift = x.clone().minus(vector(&[1.0, -2.0])).expect("same shape");
    let obj = shift
        .clone()
        .norm1()
        .plus(shift.norm2())
        .and_then(|e| e.plus(atom(Atom::NormInf, vec![x.clone()])))
        .expect("scalars");
    p.minimize(obj);
    p.constrain(Constraint::le(atom(Atom::Abs, vec![x]), c(3.0)).with_label("box"));
    let (obj, sol, _, map) = run(&p, Backend::Clarabel);
    assert_close("objective", obj, 2.0, REL_TOL);
    assert_values(&map, &sol, xid, &[1.0, -2.0]);
}

/// Ridge regression `½‖Xw − y‖² + ‖w‖²/4` (the second term as `quad_over_lin(w, 4)`),
/// `X = [[1, 2], [0, 3], [1, 0]]`, `y = (1, 2, 3)`: the normal equations `(XᵀX + ½I) w = Xᵀy`
/// give `w = (152, 48)/119` and the value 337/119 (exact, by SymPy; CVXPY agrees).
#[test]
fn ridge_regression() {
    let mut p = Program::new();
    let wid = p.add_var(VarSpec::new("w", 2, 1));
    let w = p.var_expr(wid);
    let x = csc_from_dense(3, 2, &[1.0, 0.0, 1.0, 2.0, 3.0, 0.0]);
    let fit = w
        .clone()
        .left_mul(x)
        .and_then(|e| e.minus(vector(&[1.0, 2.0, 3.0])))
        .expect("shapes");
    let obj = fit
        .sum_squares()
        .scale(0.5)
        .plus(atom(Atom::QuadOverLin, vec![w, c(4.0)]))
        .expect("scalars");
    p.minimize(obj);
    let (obj, sol, problem, map) = run(&p, Backend::Clarabel);
    assert!(problem.p.nnz() > 0, "the squares should have gone to P");
    assert_close("objective", obj, 337.0 / 119.0, REL_TOL);
    assert_values(&map, &sol, wid, &[152.0 / 119.0, 48.0 / 119.0]);
}

/// `min log Σ eˣ` with `Σx = 1`, `x ∈ ℝ³`: by symmetry and convexity `x = 1/3`, value
/// `log 3 + 1/3` (closed form).
#[test]
fn log_sum_exp() {
    let mut p = Program::new();
    let xid = p.add_var(VarSpec::new("x", 3, 1));
    let x = p.var_expr(xid);
    p.minimize(atom(Atom::LogSumExp, vec![x.clone()]));
    p.constrain(Constraint::eq(x.sum(), c(1.0)));
    let (obj, sol, _, map) = run(&p, Backend::Clarabel);
    assert_close("objective", obj, 3f64.ln() + 1.0 / 3.0, REL_TOL);
    assert_values(&map, &sol, xid, &[1.0 / 3.0; 3]);
}

/// `max Σ log x` with `Σx = 6`, `x ∈ ℝ³`: `x = 2`, value `3 log 2` (closed form).
#[test]
fn maximize_sum_of_logs() {
    let mut p = Program::new();
    let xid = p.add_var(VarSpec::new("x", 3, 1));
    let x = p.var_expr(xid);
    p.maximize(atom(Atom::Log, vec![x.clone()]).sum());
    p.constrain(Constraint::eq(x.sum(), c(6.0)));
    let (obj, sol, _, map) = run(&p, Backend::Clarabel);
    assert_close("objective", obj, 3.0 * 2f64.ln(), REL_TOL);
    assert_values(&map, &sol, xid, &[2.0; 3]);
}

/// `max √x + √y` with `x + y ≤ 2`: `x = y = 1`, value 2 (closed form).
#[test]
fn concave_powers() {
    let mut p = Program::new();
    let xid = p.add_var(VarSpec::new("x", 2, 1));
    let x = p.var_expr(xid);
    p.maximize(atom(Atom::Power(0.5), vec![x.clone()]).sum());
    p.constrain(Constraint::le(x.sum(), c(2.0)));
    let (obj, sol, _, map) = run(&p, Backend::Clarabel);
    assert_close("objective", obj, 2.0, REL_TOL);
    assert_values(&map, &sol, xid, &[1.0, 1.0]);
}

/// `min max(x)` with `Σx = 3`, `x ∈ ℝ³`: 1 at `x = 1` (closed form); an LP, so both back ends
/// must agree.
#[test]
fn max_of_entries_on_both_backends() {
    let mut p = Program::new();
    let xid = p.add_var(VarSpec::new("x", 3, 1));
    let x = p.var_expr(xid);
    p.minimize(atom(Atom::Max, vec![x.clone()]));
    p.constrain(Constraint::eq(x.sum(), c(3.0)));
    for backend in Backend::built() {
        let (obj, _, _, _) = run(&p, backend);
        assert_close(&format!("{backend} objective"), obj, 1.0, REL_TOL);
    }
}

/// `max 50x + 40y + 45z` with `3x + 2y + z ≤ 20`, `2x + y + 3z ≤ 15`, `x ≥ 2`, `0 ≤ y ≤ 7`,
/// `z ≥ 0` integer: 405 at `(2, 6.5, 1)` (SciPy `milp` with HiGHS).
#[test]
fn milp_through_the_canonicalizer() {
    let mut p = Program::new();
    let xid = p.add_var(VarSpec::new("x", 1, 1).lower(2.0));
    let yid = p.add_var(VarSpec::new("y", 1, 1).lower(0.0).upper(7.0));
    let zid = p.add_var(VarSpec::new("z", 1, 1).lower(0.0).integer());
    let (x, y, z) = (p.var_expr(xid), p.var_expr(yid), p.var_expr(zid));
    let lin = |a: f64, b: f64, cc: f64| {
        x.clone()
            .scale(a)
            .plus(y.clone().scale(b))
            .and_then(|e| e.plus(z.clone().scale(cc)))
            .expect("scalars")
    };
    p.maximize(lin(50.0, 40.0, 45.0));
    p.constrain(Constraint::le(lin(3.0, 2.0, 1.0), c(20.0)));
    p.constrain(Constraint::le(lin(2.0, 1.0, 3.0), c(15.0)));
    let (problem, _) = canonicalize(&p).expect("DCP");
    assert_eq!(choose_backend(&problem), Backend::Microlp);
    let (obj, sol, _, map) = run(&p, Backend::Microlp);
    assert_close("objective", obj, 405.0, REL_TOL);
    assert_values(&map, &sol, zid, &[1.0]);
    assert_values(&map, &sol, yid, &[6.5]);
}

/// Nuclear norm and largest singular value of the fixed matrix `[[1, 2], [3, 4]]`, written as
/// a variable pinned by equalities: `σ₁ + σ₂ = √(30 + 2·|det|) = √34` and
/// `σ₁ = √(15 + √221)` (closed forms from `σ₁² + σ₂² = 30`, `σ₁σ₂ = 2`).
#[cfg(feature = "sdp")]
#[test]
fn spectral_norms_of_a_fixed_matrix() {
    for (a, want) in [
        (Atom::NuclearNorm, 34f64.sqrt()),
        (Atom::SigmaMax, (15.0 + 221f64.sqrt()).sqrt()),
    ] {
        let mut p = Program::new();
        let mid = p.add_var(VarSpec::new("M", 2, 2));
        let m = p.var_expr(mid);
        p.minimize(atom(a, vec![m.clone()]));
        // Column-major: M = [[1, 2], [3, 4]].
        let fixed = Expr::constant(2, 2, vec![1.0, 3.0, 2.0, 4.0]).expect("2×2");
        p.constrain(Constraint::eq(m, fixed));
        let (obj, _, _, _) = run(&p, Backend::Clarabel);
        assert_close(a.name(), obj, want, REL_TOL);
    }
}

/// `min tr(CX)` with `tr X = 1`, `X ⪰ 0`, `C = [[2, 1], [1, 2]]`: `λ_min(C) = 1` at
/// `X = ½[[1, −1], [−1, 1]]` (closed form). Only the symmetric part of `X` is constrained, so
/// the off-diagonal entries are checked through their sum.
#[cfg(feature = "sdp")]
#[test]
fn psd_constraint_min_eigenvalue() {
    let mut p = Program::new();
    let xid = p.add_var(VarSpec::new("X", 2, 2));
    let x = p.var_expr(xid);
    // tr(CX) = Σ C∘X (C symmetric); column-major entries of C.
    let obj = x
        .clone()
        .mul_elem(vec![2.0, 1.0, 1.0, 2.0])
        .expect("2×2")
        .sum();
    p.minimize(obj);
    let trace = x
        .clone()
        .at(0, 0)
        .and_then(|e| e.plus(x.clone().at(1, 1)?))
        .expect("scalars");
    p.constrain(Constraint::eq(trace, c(1.0)));
    p.constrain(Constraint::psd(x).with_label("X_psd"));
    let (obj, sol, _, map) = run(&p, Backend::Clarabel);
    assert_close("objective", obj, 1.0, REL_TOL);
    let v = map.values(&sol, xid).expect("block exists");
    assert_close("X[0,0]", v[0], 0.5, 1e-4);
    assert_close("X[1,1]", v[3], 0.5, 1e-4);
    assert_close("X[1,0] + X[0,1]", v[1] + v[2], -1.0, 1e-4);
}

/// `min Σ softplus(x) + ½‖x − (1, 2)‖²`: each entry solves `σ(t) + t = a`; value
/// 2.875876186897673 (CVXPY 1.9.3 + Clarabel with `logistic`, tolerances 1e-12, and SciPy's
/// `brentq` on the optimality condition agree to all digits shown).
#[test]
fn softplus_with_squares() {
    let mut p = Program::new();
    let xid = p.add_var(VarSpec::new("x", 2, 1));
    let x = p.var_expr(xid);
    let fit = x.clone().minus(vector(&[1.0, 2.0])).expect("same shape");
    let obj = atom(Atom::Softplus, vec![x])
        .sum()
        .plus(fit.sum_squares().scale(0.5))
        .expect("scalars");
    p.minimize(obj);
    let (obj, sol, _, map) = run(&p, Backend::Clarabel);
    assert_close("objective", obj, 2.875876186897673, REL_TOL);
    assert_values(&map, &sol, xid, &[0.401058137541547, 1.2267506448343437]);
}
