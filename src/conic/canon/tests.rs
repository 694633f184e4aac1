//! Text-in/text-out tests: each program (printed first) and its conic form (printed after).

use super::canonicalize;
use crate::conic::print::print;
use crate::convex::{self, Atom, Constraint, Expr, Program, VarSpec};
use crate::diag::{SourceMap, Span};

/// A source map with one model of ten numbered lines, and the span of line `k` (1-based).
fn source() -> (SourceMap, impl Fn(usize) -> Span) {
    let mut sm = SourceMap::new();
    let text: String = (1..=10).map(|k| format!("line {k}\n")).collect();
    let id = sm.add("t.cnn", None, text);
    (sm, move |k: usize| {
        Span::new(id, (k - 1) * 7..(k - 1) * 7 + 6)
    })
}

fn case(prog: &Program, sm: &SourceMap) -> String {
    match canonicalize(prog) {
        Ok((p, map)) => {
            assert_eq!(map.program_columns, prog.num_columns());
            assert_eq!(p.a.n, p.num_vars());
            assert_eq!(p.cones.iter().map(|c| c.dim()).sum::<usize>(), p.num_rows());
            format!(
                "{}--- conic ---\n{}",
                convex::print::print(prog),
                print(&p, sm)
            )
        }
        Err(e) => panic!("{}", crate::diag::render(sm, &e, false)),
    }
}

fn c(v: f64) -> Expr {
    Expr::scalar(v)
}

#[test]
fn norms_and_abs() {
    let (sm, line) = source();
    let mut p = Program::new();
    let x = p.add_var(VarSpec::new("x", 2, 1).span(line(1)));
    let x = p.var_expr(x);
    let shift = x
        .clone()
        .minus(Expr::constant(2, 1, vec![1.0, -2.0]).unwrap())
        .unwrap();
    let obj = shift
        .clone()
        .norm1()
        .with_span(line(2))
        .plus(shift.clone().norm2().with_span(line(3)))
        .unwrap()
        .plus(
            Expr::atom(Atom::NormInf, vec![x.clone()])
                .unwrap()
                .with_span(line(4)),
        )
        .unwrap();
    p.minimize(obj);
    let abs = Expr::atom(Atom::Abs, vec![x.clone()])
        .unwrap()
        .with_span(line(5));
    p.constrain(
        Constraint::le(abs, c(3.0))
            .with_label("box")
            .with_span(line(5)),
    );
    insta::assert_snapshot!(case(&p, &sm));
}

#[test]
fn squares_in_the_objective_go_to_p() {
    let (sm, line) = source();
    let mut p = Program::new();
    let w = p.add_var(VarSpec::new("w", 2, 1).span(line(1)));
    let w = p.var_expr(w);
    // ½‖X w − y‖² with X = [[1, 2], [0, 3], [1, 0]]: rows 0 needs a residual, rows 1, 2 do not.
    let x = convex::csc_from_dense(3, 2, &[1.0, 0.0, 1.0, 2.0, 3.0, 0.0]);
    let fit = w
        .clone()
        .left_mul(x)
        .unwrap()
        .minus(Expr::constant(3, 1, vec![1.0, 2.0, 3.0]).unwrap())
        .unwrap();
    let obj = fit
        .sum_squares()
        .with_span(line(2))
        .scale(0.5)
        .plus(
            Expr::atom(Atom::QuadOverLin, vec![w.clone(), c(4.0)])
                .unwrap()
                .with_span(line(3)),
        )
        .unwrap();
    p.minimize(obj);
    insta::assert_snapshot!(case(&p, &sm));
}

#[test]
fn squares_and_powers_as_cones() {
    let (sm, line) = source();
    let mut p = Program::new();
    let x = p.add_var(VarSpec::new("x", 2, 1));
    let y = p.add_var(VarSpec::new("y", 1, 1).lower(0.5).span(line(1)));
    let (x, y) = (p.var_expr(x), p.var_expr(y));
    p.minimize(
        Expr::atom(Atom::Power(1.5), vec![y.clone()])
            .unwrap()
            .with_span(line(2)),
    );
    p.constrain(
        Constraint::le(x.clone().sum_squares(), c(1.0))
            .with_span(line(3))
            .with_label("ball"),
    );
    let qol = Expr::atom(Atom::QuadOverLin, vec![x.clone(), y.clone()]).unwrap();
    p.constrain(Constraint::le(qol, c(2.0)).with_span(line(4)));
    let sq = Expr::atom(Atom::Power(2.0), vec![x.clone().at(0, 0).unwrap()]).unwrap();
    let root = Expr::atom(Atom::Power(0.5), vec![y.clone()]).unwrap();
    p.constrain(Constraint::le(sq, root).with_span(line(5)));
    insta::assert_snapshot!(case(&p, &sm));
}

#[test]
fn piecewise_linear() {
    let (sm, line) = source();
    let mut p = Program::new();
    let z = p.add_var(VarSpec::new("z", 3, 1));
    let z = p.var_expr(z);
    // A hinge loss Σ pos(1 − z) plus the largest entry.
    let hinge = c(1.0)
        .minus(z.clone())
        .unwrap()
        .pos()
        .with_span(line(2))
        .sum();
    let obj = hinge
        .plus(
            Expr::atom(Atom::Max, vec![z.clone()])
                .unwrap()
                .with_span(line(3)),
        )
        .unwrap();
    p.minimize(obj);
    let mx = Expr::atom(Atom::Maximum, vec![z.clone(), c(0.0)])
        .unwrap()
        .with_span(line(4));
    p.constrain(Constraint::le(mx, c(5.0)).with_span(line(4)));
    insta::assert_snapshot!(case(&p, &sm));
}

#[test]
fn exponential_cone_atoms() {
    let (sm, line) = source();
    let mut p = Program::new();
    let z = p.add_var(VarSpec::new("z", 2, 1));
    let u = p.add_var(VarSpec::new("u", 1, 1));
    let (z, u) = (p.var_expr(z), p.var_expr(u));
    // Logistic loss Σ softplus(−z) and log-sum-exp, maximize-side log in a constraint.
    let obj = Expr::atom(Atom::Softplus, vec![z.clone().negate()])
        .unwrap()
        .with_span(line(2))
        .sum()
        .plus(
            Expr::atom(Atom::LogSumExp, vec![z.clone()])
                .unwrap()
                .with_span(line(3)),
        )
        .unwrap();
    p.minimize(obj);
    let e = Expr::atom(Atom::Exp, vec![u.clone()]).unwrap();
    let l = Expr::atom(Atom::Log, vec![z.clone().at(1, 0).unwrap()]).unwrap();
    p.constrain(
        Constraint::le(e, l)
            .with_span(line(4))
            .with_label("exp_log"),
    );
    insta::assert_snapshot!(case(&p, &sm));
}

#[test]
fn spectral_atoms_and_psd() {
    let (sm, line) = source();
    let mut p = Program::new();
    let m = p.add_var(VarSpec::new("M", 2, 1));
    let s = p.add_var(VarSpec::new("S", 2, 2));
    let (m, s) = (p.var_expr(m), p.var_expr(s));
    let nuc = Expr::atom(Atom::NuclearNorm, vec![m.clone()])
        .unwrap()
        .with_span(line(2));
    let smax = Expr::atom(Atom::SigmaMax, vec![m.clone().transpose().unwrap()])
        .unwrap()
        .with_span(line(3));
    p.minimize(nuc.plus(smax).unwrap());
    p.constrain(
        Constraint::psd(s.clone())
            .with_span(line(4))
            .with_label("S_psd"),
    );
    p.constrain(Constraint::soc(c(1.0), m.clone()).with_span(line(5)));
    p.constrain(
        Constraint::rotated_soc(c(2.0), s.clone().at(0, 0).unwrap(), m.clone()).with_span(line(6)),
    );
    insta::assert_snapshot!(case(&p, &sm));
}

#[test]
fn bounds_integers_and_maximize() {
    let (sm, line) = source();
    let mut p = Program::new();
    let d = p.add_var(
        VarSpec::new("d", 2, 1)
            .lower(0.0)
            .upper(1.0)
            .integer()
            .span(line(1)),
    );
    let x = p.add_var(VarSpec::new("x", 1, 1).span(line(2)));
    let (d, x) = (p.var_expr(d), p.var_expr(x));
    p.maximize(
        x.clone()
            .minus(d.clone().sum())
            .unwrap()
            .minus(x.clone().sum_squares())
            .unwrap(),
    );
    p.constrain(
        Constraint::eq(x.clone(), d.clone().at(0, 0).unwrap().scale(2.0)).with_span(line(3)),
    );
    insta::assert_snapshot!(case(&p, &sm));
}

#[test]
fn dcp_errors_stop_canonicalization() {
    let mut p = Program::new();
    let x = p.add_var(VarSpec::new("x", 1, 1));
    let x = p.var_expr(x);
    p.minimize(Expr::atom(Atom::Log, vec![x]).unwrap());
    let errs = canonicalize(&p).unwrap_err();
    assert_eq!(errs[0].code, "E0603");
}

/// Solves with Clarabel (no PSD cones here); returns the model's objective value and `x`.
pub(crate) fn solve(p: &crate::conic::ConicProblem) -> (f64, Vec<f64>) {
    use crate::solve::{Backend, Settings, Status};
    let out = crate::solve::solve(p, Backend::Clarabel, &Settings::default()).unwrap();
    assert_eq!(out.status, Status::Optimal);
    (out.objective.unwrap(), out.x.unwrap())
}

/// Optimal values of the snapshot programs above against their closed forms (each derived in
/// the comment before it), so that solver noise is not pasted in as the expected value.
#[test]
fn canonical_forms_solve_to_the_reference_optimum() {
    let mut p = Program::new();
    let x = p.add_var(VarSpec::new("x", 2, 1));
    let x = p.var_expr(x);
    let shift = x
        .clone()
        .minus(Expr::constant(2, 1, vec![1.0, -2.0]).unwrap())
        .unwrap();
    let obj = shift.clone().norm1().plus(shift.norm2()).unwrap();
    p.minimize(
        obj.plus(Expr::atom(Atom::NormInf, vec![x.clone()]).unwrap())
            .unwrap(),
    );
    p.constrain(Constraint::le(
        Expr::atom(Atom::Abs, vec![x]).unwrap(),
        c(3.0),
    ));
    // At x = a = (1, −2) the value is ‖a‖∞ = 2; moving by Δ costs ‖Δ‖₁ + ‖Δ‖₂ and saves at most
    // ‖Δ‖∞ ≤ ‖Δ‖₁, so 2 is the optimum (and |a| ≤ 3 holds).
    let (cp, _) = canonicalize(&p).unwrap();
    assert!((solve(&cp).0 - 2.0).abs() < 1e-6);

    let mut p = Program::new();
    let z = p.add_var(VarSpec::new("z", 3, 1));
    let z = p.var_expr(z);
    let hinge = c(1.0).minus(z.clone()).unwrap().pos().sum();
    p.minimize(
        hinge
            .plus(Expr::atom(Atom::Max, vec![z.clone()]).unwrap())
            .unwrap(),
    );
    let mx = Expr::atom(Atom::Maximum, vec![z, c(0.0)]).unwrap();
    p.constrain(Constraint::le(mx, c(5.0)));
    // With m = max(z): Σ pos(1 − zᵢ) ≥ 3·pos(1 − m), so the objective is ≥ m + 3·pos(1 − m) ≥ 1,
    // and z = (1, 1, 1) reaches 1 (with max(z, 0) = 1 ≤ 5).
    let (cp, _) = canonicalize(&p).unwrap();
    assert!((solve(&cp).0 - 1.0).abs() < 1e-6);

    // The exponential-cone program of the snapshot with u ≥ 0 added, so that the optimum is
    // attained (with u free, exp(u) ≤ log(z₁) only forces z₁ > 1 and the infimum is not).
    // f(z) = log(1 + e^−z₀) + log(1 + e^−z₁) + log(e^z₀ + e^z₁) is convex, its free minimum is
    // z = 0, and exp(u) ≤ log(z₁) with u ≥ 0 means z₁ ≥ e: the minimum is on z₁ = e (u = 0),
    // where ∂f/∂z₀ = −1/(1 + e^z₀) + e^z₀/(e^z₀ + e^e) = 0 gives e^(2z₀) = e^e, z₀ = e/2.
    let mut p = Program::new();
    let z = p.add_var(VarSpec::new("z", 2, 1));
    let u = p.add_var(VarSpec::new("u", 1, 1).lower(0.0));
    let (z, u) = (p.var_expr(z), p.var_expr(u));
    let obj = Expr::atom(Atom::Softplus, vec![z.clone().negate()])
        .unwrap()
        .sum();
    p.minimize(
        obj.plus(Expr::atom(Atom::LogSumExp, vec![z.clone()]).unwrap())
            .unwrap(),
    );
    let e = Expr::atom(Atom::Exp, vec![u]).unwrap();
    let l = Expr::atom(Atom::Log, vec![z.at(1, 0).unwrap()]).unwrap();
    p.constrain(Constraint::le(e, l));
    let (cp, _) = canonicalize(&p).unwrap();
    let (ee, h) = (std::f64::consts::E, std::f64::consts::E / 2.0);
    let want = (-h).exp().ln_1p() + (-ee).exp().ln_1p() + (h.exp() + ee.exp()).ln();
    let (got, x) = solve(&cp);
    assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    assert!((x[0] - h).abs() < 1e-4 && (x[1] - ee).abs() < 1e-4, "{x:?}");

    let mut p = Program::new();
    let w = p.add_var(VarSpec::new("w", 2, 1));
    let w = p.var_expr(w);
    let x = convex::csc_from_dense(3, 2, &[1.0, 0.0, 1.0, 2.0, 3.0, 0.0]);
    let fit = w
        .clone()
        .left_mul(x)
        .unwrap()
        .minus(Expr::constant(3, 1, vec![1.0, 2.0, 3.0]).unwrap())
        .unwrap();
    let q = Expr::atom(Atom::QuadOverLin, vec![w, c(4.0)]).unwrap();
    p.minimize(fit.sum_squares().scale(0.5).plus(q).unwrap());
    // Ridge regression: (XᵀX + ½I) w = Xᵀy gives w = (152, 48)/119 and the value 337/119.
    let (cp, _) = canonicalize(&p).unwrap();
    assert!((solve(&cp).0 - 337.0 / 119.0).abs() < 1e-6);

    // min x₀ + x₁ over ‖x‖₂ ≤ 1 and ‖x‖² ≤ 4·y, y ≤ 0.25: −√2 (cone bounds used directly).
    let mut p = Program::new();
    let x = p.add_var(VarSpec::new("x", 2, 1));
    let y = p.add_var(VarSpec::new("y", 1, 1).upper(0.25));
    let (x, y) = (p.var_expr(x), p.var_expr(y));
    p.minimize(x.clone().sum());
    p.constrain(Constraint::le(x.clone().norm2(), c(1.0)));
    let q = Expr::atom(Atom::QuadOverLin, vec![x.clone(), y]).unwrap();
    p.constrain(Constraint::le(q, c(4.0)));
    let (cp, _) = canonicalize(&p).unwrap();
    assert!((solve(&cp).0 + 2f64.sqrt()).abs() < 1e-6);
    // With ‖x‖² ≤ 1/4 instead the optimum is −√2/2.
    p.constrain(Constraint::le(x.sum_squares(), c(0.25)));
    let (cp, _) = canonicalize(&p).unwrap();
    assert!((solve(&cp).0 + 0.5 * 2f64.sqrt()).abs() < 1e-6);

    // min y^1.5 over y ≥ 0.5 with x² ≤ √y: 0.5^1.5 (power cones, both directions).
    let mut p = Program::new();
    let x = p.add_var(VarSpec::new("x", 1, 1));
    let y = p.add_var(VarSpec::new("y", 1, 1).lower(0.5));
    let (x, y) = (p.var_expr(x), p.var_expr(y));
    p.minimize(Expr::atom(Atom::Power(1.5), vec![y.clone()]).unwrap());
    let sq = Expr::atom(Atom::Power(2.0), vec![x.plus(c(0.5)).unwrap()]).unwrap();
    p.constrain(Constraint::le(
        sq,
        Expr::atom(Atom::Power(0.5), vec![y]).unwrap(),
    ));
    let (cp, _) = canonicalize(&p).unwrap();
    assert!((solve(&cp).0 - 0.5f64.powf(1.5)).abs() < 1e-6);
}

/// A problem with 10⁵ rows prints in a few lines: long blocks are summarized.
#[test]
fn large_problems_print_summarized() {
    let (sm, line) = source();
    let mut p = Program::new();
    let n = 100_000;
    let x = p.add_var(VarSpec::new("x", n, 1).lower(0.0).span(line(1)));
    let x = p.var_expr(x);
    p.minimize(x.clone().sum());
    p.constrain(
        Constraint::le(x.clone(), c(1.0))
            .with_span(line(2))
            .with_label("cap"),
    );
    let (cp, _) = canonicalize(&p).unwrap();
    assert_eq!(cp.num_rows(), 2 * n);
    let text = print(&cp, &sm);
    assert!(text.lines().count() < 40, "{text}");
    assert!(text.contains("(99992 rows elided)"), "{text}");
    assert!(text.contains("+ … (99984 more terms)"), "{text}");
    assert!(text.contains("# t.cnn:2 (canon:le) cap"), "{text}");
}

/// Many blocks that differ only by label (one per pattern, say) print as a run with a count.
#[test]
fn runs_of_similar_blocks_are_summarized() {
    let (sm, line) = source();
    let mut p = Program::new();
    let x = p.add_var(VarSpec::new("x", 20, 1));
    let x = p.var_expr(x);
    for i in 0..20 {
        let xi = x.clone().at(i, 0).unwrap();
        p.constrain(
            Constraint::le(xi, c(1.0))
                .with_span(line(3))
                .with_label(format!("cap{i}")),
        );
    }
    let (cp, _) = canonicalize(&p).unwrap();
    let text = print(&cp, &sm);
    assert!(
        text.contains("… (16 similar blocks elided, rows 3..18, labels `cap3` .. `cap18`)"),
        "{text}"
    );
    assert!(text.contains("# t.cnn:3 (canon:le) cap19"), "{text}");
    assert!(!text.contains("cap10\n"), "{text}");
}

/// Nuclear norm, largest singular value and a PSD constraint, solved (needs `--features sdp`).
/// For `M = [[1, 2], [3, 4]]`: `‖M‖_* = √(30 + 2|det M|) = √34`, `σ_max = √(15 + √221)`; the
/// smallest trace of `S ⪰ 0` with `S ⪰ [[1, 2], [2, 1]]` is the positive eigenvalue 3 (without
/// `S ⪰ 0` it would be the trace 2 of the bound itself).
#[cfg(feature = "sdp")]
#[test]
fn spectral_forms_solve_to_the_closed_form_optimum() {
    let data = Expr::constant(2, 2, vec![1.0, 3.0, 2.0, 4.0]).unwrap();
    for (atom, want) in [
        (Atom::NuclearNorm, 34f64.sqrt()),
        (Atom::SigmaMax, (15.0 + 221f64.sqrt()).sqrt()),
    ] {
        let mut p = Program::new();
        let m = p.add_var(VarSpec::new("M", 2, 2));
        let m = p.var_expr(m);
        p.minimize(Expr::atom(atom, vec![m.clone()]).unwrap());
        p.constrain(Constraint::eq(m, data.clone()));
        let (cp, _) = canonicalize(&p).unwrap();
        let got = solve(&cp).0;
        assert!(
            (got - want).abs() < 1e-6,
            "{}: {got} vs {want}",
            atom.name()
        );
    }
    let mut p = Program::new();
    let s = p.add_var(VarSpec::new("S", 2, 2));
    let s = p.var_expr(s);
    let trace = s
        .clone()
        .at(0, 0)
        .unwrap()
        .plus(s.clone().at(1, 1).unwrap())
        .unwrap();
    p.minimize(trace);
    let cmat = Expr::constant(2, 2, vec![1.0, 2.0, 2.0, 1.0]).unwrap();
    p.constrain(Constraint::psd(s.clone()));
    p.constrain(Constraint::psd(s.minus(cmat).unwrap()));
    let (cp, _) = canonicalize(&p).unwrap();
    let got = solve(&cp).0;
    assert!((got - 3.0).abs() < 1e-6, "{got}");
}

#[test]
fn a_scalar_side_of_a_linear_constraint_is_broadcast_like_a_full_one() {
    // x ≥ 0.5, t ≥ x and 2 = x − t over x ∈ R³, written with a scalar side and with the
    // scalar repeated: the same rows.
    let build = |broadcast: bool| {
        let mut p = Program::new();
        let x = p.add_var(VarSpec::new("x", 3, 1));
        let t = p.add_var(VarSpec::new("t", 1, 1));
        let (x, t) = (p.var_expr(x), p.var_expr(t));
        let side = |e: Expr, v: f64| {
            if broadcast {
                e
            } else {
                Expr::constant(3, 1, vec![v; 3])
                    .unwrap()
                    .plus(Expr::constant(3, 1, vec![0.0; 3]).unwrap())
                    .unwrap()
            }
        };
        let t3 = if broadcast {
            t.clone()
        } else {
            Expr::linear(convex::LinOp::VStack, vec![t.clone(), t.clone(), t.clone()]).unwrap()
        };
        p.constrain(Constraint::ge(x.clone(), side(c(0.5), 0.5)));
        p.constrain(Constraint::ge(t3, x.clone()));
        p.constrain(Constraint::eq(side(c(2.0), 2.0), x.minus(t).unwrap()));
        p.minimize(c(0.0));
        canonicalize(&p).unwrap().0
    };
    let (scalar, full) = (build(true), build(false));
    assert_eq!(scalar.a, full.a);
    assert_eq!(scalar.b, full.b);
    assert_eq!(scalar.cones, full.cones);
}
