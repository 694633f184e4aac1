//! `solve::Session` against closed forms and against a fresh `solve::solve` of every problem:
//! series of problems that differ only in their numbers reuse the kept Clarabel solver (also
//! when a coefficient is exactly zero), a new non-zero position or another cone list builds a
//! new one, and an infeasible problem is reported as `solve` reports it.

use cnnc::conic::{Cone, ConicProblem, ConicVar, Origin, Triplets};
use cnnc::solve::{solve, Backend, Session, Settings, SolveError, Status};

/// How far the session's answer may be from a fresh solve of the same problem.
const SAME: f64 = 1e-7;
/// How far either may be from the closed form.
const EXACT: f64 = 1e-7;

/// Tolerances of 1e-10: a kept solver scales new data with the first problem's equilibration,
/// so its iterates differ from a fresh solver's, and where the objective is flat (curvature 0.1
/// below) two points within the default gap of 1e-8 can still differ by 1e-6.
fn settings() -> Settings {
    Settings {
        tol_gap_abs: 1e-10,
        tol_gap_rel: 1e-10,
        tol_feas: 1e-10,
        ..Settings::default()
    }
}

fn problem(
    n: usize,
    p: Triplets,
    q: Vec<f64>,
    a: Triplets,
    b: Vec<f64>,
    cones: Vec<(Cone, &str)>,
) -> ConicProblem {
    ConicProblem {
        vars: (0..n)
            .map(|i| ConicVar {
                name: format!("x{i}"),
                integer: false,
            })
            .collect(),
        p: p.into_csc(),
        q,
        constant: 0.0,
        maximize: false,
        a: a.into_csc(),
        b,
        origins: cones
            .iter()
            .map(|(_, label)| Origin {
                stage: "test",
                lowering: "",
                label: label.to_string(),
                span: None,
            })
            .collect(),
        cones: cones.into_iter().map(|(c, _)| c).collect(),
    }
}

/// `min t  s.t.  c·x = d (or ≤ d),  ‖x − a‖₂ ≤ t` over `(x₁, x₂, t)`: the distance from `a` to
/// the line (or half-plane). Rows: the linear one, then `s = (t, x − a)` in a second-order cone.
fn distance(a: [f64; 2], c: [f64; 2], d: f64, equality: bool) -> ConicProblem {
    let mut m = Triplets::new(4, 3);
    m.push(0, 0, c[0]);
    m.push(0, 1, c[1]);
    m.push(1, 2, -1.0);
    m.push(2, 0, -1.0);
    m.push(3, 1, -1.0);
    let first = if equality {
        Cone::Zero(1)
    } else {
        Cone::Nonneg(1)
    };
    problem(
        3,
        Triplets::new(3, 3),
        vec![0.0, 0.0, 1.0],
        m,
        vec![d, 0.0, -a[0], -a[1]],
        vec![(first, "line"), (Cone::SecondOrder(3), "distance")],
    )
}

/// The closed form of [`distance`]: `a` moved onto the line along `c`,
/// `x = a − (c·a − d) c / ‖c‖²`, `t = |c·a − d| / ‖c‖`; in the half-plane case `a` itself when
/// `c·a ≤ d`.
fn distance_optimum(a: [f64; 2], c: [f64; 2], d: f64, equality: bool) -> (f64, Vec<f64>) {
    let excess = c[0] * a[0] + c[1] * a[1] - d;
    if !equality && excess <= 0.0 {
        return (0.0, vec![a[0], a[1], 0.0]);
    }
    let cc = c[0] * c[0] + c[1] * c[1];
    let t = excess.abs() / cc.sqrt();
    (
        t,
        vec![a[0] - excess * c[0] / cc, a[1] - excess * c[1] / cc, t],
    )
}

/// `min Σ ½wᵢxᵢ² − gᵢxᵢ  s.t.  αᵢ(xᵢ − lᵢ) ≥ 0,  αᵢ(uᵢ − xᵢ) ≥ 0` (αᵢ > 0 only scales rows).
struct BoxQp {
    w: Vec<f64>,
    g: Vec<f64>,
    l: Vec<f64>,
    u: Vec<f64>,
    alpha: Vec<f64>,
}

impl BoxQp {
    fn problem(&self) -> ConicProblem {
        let k = self.w.len();
        let mut p = Triplets::new(k, k);
        let mut a = Triplets::new(2 * k, k);
        let mut b = Vec::new();
        for i in 0..k {
            p.push(i, i, self.w[i]);
            a.push(i, i, -self.alpha[i]);
            a.push(k + i, i, self.alpha[i]);
        }
        for i in 0..k {
            b.push(-self.alpha[i] * self.l[i]);
        }
        for i in 0..k {
            b.push(self.alpha[i] * self.u[i]);
        }
        let g = self.g.iter().map(|g| -g).collect();
        problem(k, p, g, a, b, vec![(Cone::Nonneg(2 * k), "box")])
    }

    /// Each coordinate on its own: `gᵢ/wᵢ` clamped to `[lᵢ, uᵢ]`, or for `wᵢ = 0` the bound
    /// `gᵢ` points to.
    fn optimum(&self) -> (f64, Vec<f64>) {
        let x: Vec<f64> = (0..self.w.len())
            .map(|i| {
                let (w, g, l, u) = (self.w[i], self.g[i], self.l[i], self.u[i]);
                if w > 0.0 {
                    (g / w).clamp(l, u)
                } else if g > 0.0 {
                    u
                } else {
                    l
                }
            })
            .collect();
        let f = (0..x.len())
            .map(|i| 0.5 * self.w[i] * x[i] * x[i] - self.g[i] * x[i])
            .sum();
        (f, x)
    }
}

fn close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{what}[{i}]: got {g}, expected {w} (tolerance {tol})"
        );
    }
}

/// Solves `p` in `session`, checks the reuse flag, and checks objective and point against a
/// fresh solve and against the closed form `(f, x)`.
fn check(session: &mut Session, p: &ConicProblem, reused: bool, (f, x): (f64, Vec<f64>)) {
    let (out, got_reused) = session.solve(p).expect("accepted");
    assert_eq!(got_reused, reused, "reuse flag");
    assert_eq!(out.status, Status::Optimal);
    let fresh = solve(p, Backend::Clarabel, &settings()).expect("accepted");
    assert_eq!(fresh.status, Status::Optimal);
    let (obj, point) = (out.objective.expect("solved"), out.x.expect("solved"));
    close(
        "objective vs fresh",
        &[obj],
        &[fresh.objective.expect("solved")],
        SAME,
    );
    close("x vs fresh", &point, &fresh.x.expect("solved"), SAME);
    close("objective vs closed form", &[obj], &[f], EXACT);
    close("x vs closed form", &point, &x, EXACT);
}

/// Distance problems differing in `a`, `c` and `d` only.
#[test]
fn socp_series_reuses_the_solver() {
    let mut s = Session::new(Backend::Clarabel, settings());
    let series = [
        ([1.0, 2.0], [1.0, 1.0], 0.0),
        ([-0.5, 3.0], [2.0, -1.0], 1.5),
        ([4.0, 0.25], [0.3, 0.7], -2.0),
        ([0.0, 0.0], [1.0, 5.0], 3.0),
    ];
    for (i, (a, c, d)) in series.into_iter().enumerate() {
        let p = distance(a, c, d, true);
        check(&mut s, &p, i > 0, distance_optimum(a, c, d, true));
    }
}

/// Box QPs differing in `P`, `q`, `A` and `b`.
#[test]
fn qp_series_reuses_the_solver() {
    let mut s = Session::new(Backend::Clarabel, settings());
    let series = [
        BoxQp {
            w: vec![1.0, 2.0, 0.5],
            g: vec![0.5, 3.0, -1.0],
            l: vec![-1.0, -1.0, -1.0],
            u: vec![1.0, 1.0, 1.0],
            alpha: vec![1.0, 1.0, 1.0],
        },
        BoxQp {
            w: vec![3.0, 0.25, 1.0],
            g: vec![-6.0, 0.1, 0.4],
            l: vec![-1.5, 0.0, -2.0],
            u: vec![0.5, 2.0, 0.2],
            alpha: vec![2.0, 0.5, 4.0],
        },
        BoxQp {
            w: vec![0.1, 1.0, 10.0],
            g: vec![0.05, -0.5, 20.0],
            l: vec![0.0, -0.25, 0.0],
            u: vec![3.0, 0.25, 1.5],
            alpha: vec![0.3, 3.0, 1.0],
        },
    ];
    for (i, qp) in series.iter().enumerate() {
        check(&mut s, &qp.problem(), i > 0, qp.optimum());
    }
}

/// An exact zero in `A` (`c₂ = 0`) or on `P`'s diagonal (`w₁ = 0`) leaves a strict subset of
/// the kept pattern: still reused, and the full pattern afterwards is reused again.
#[test]
fn an_exact_zero_is_still_reused() {
    let mut s = Session::new(Backend::Clarabel, settings());
    let series = [
        ([1.0, 2.0], [1.0, 1.0], 0.0),
        ([3.0, -1.0], [2.0, 0.0], 1.0),
        ([1.0, 1.0], [1.0, -1.0], 1.0),
    ];
    for (i, (a, c, d)) in series.into_iter().enumerate() {
        let p = distance(a, c, d, true);
        if i == 1 {
            assert_eq!(p.a.nnz(), 4, "the zero is not stored");
        }
        check(&mut s, &p, i > 0, distance_optimum(a, c, d, true));
    }

    let mut s = Session::new(Backend::Clarabel, settings());
    let mut qp = BoxQp {
        w: vec![1.0, 2.0],
        g: vec![0.5, -3.0],
        l: vec![-1.0, -1.0],
        u: vec![1.0, 1.0],
        alpha: vec![1.0, 1.0],
    };
    check(&mut s, &qp.problem(), false, qp.optimum());
    qp.w = vec![0.0, 2.0];
    qp.g = vec![0.7, 1.0];
    assert_eq!(qp.problem().p.nnz(), 1, "the zero is not stored");
    // x₁ has no curvature and is pushed to its upper bound.
    assert_eq!(qp.optimum().1, vec![1.0, 0.5]);
    check(&mut s, &qp.problem(), true, qp.optimum());
    qp.w = vec![4.0, 0.5];
    check(&mut s, &qp.problem(), true, qp.optimum());
}

/// A stored entry where the kept pattern has none, another cone list, or other dimensions build
/// a new solver, which is then kept.
#[test]
fn another_structure_rebuilds() {
    let mut s = Session::new(Backend::Clarabel, settings());
    // Kept pattern without A[0, 1] ...
    let (a, c, d) = ([1.0, 2.0], [2.0, 0.0], 1.0);
    check(
        &mut s,
        &distance(a, c, d, true),
        false,
        distance_optimum(a, c, d, true),
    );
    // ... which the next problem stores.
    let (a, c, d) = ([1.0, 2.0], [1.0, 1.0], 0.5);
    check(
        &mut s,
        &distance(a, c, d, true),
        false,
        distance_optimum(a, c, d, true),
    );
    check(
        &mut s,
        &distance(a, c, 0.0, true),
        true,
        distance_optimum(a, c, 0.0, true),
    );
    // The line becomes a half-plane: a Nonneg cone where a Zero cone was. `a` lies outside of
    // `c·x ≤ −1` and inside of `c·x ≤ 5`.
    for (d, reused) in [(-1.0, false), (5.0, true)] {
        let p = distance(a, c, d, false);
        check(&mut s, &p, reused, distance_optimum(a, c, d, false));
    }
    // Other dimensions.
    let qp = BoxQp {
        w: vec![1.0],
        g: vec![2.0],
        l: vec![0.0],
        u: vec![1.5],
        alpha: vec![1.0],
    };
    check(&mut s, &qp.problem(), false, qp.optimum());
}

/// An infeasible box (`l₀ > u₀`) after a feasible one: reported as `solve` reports it, and the
/// solver stays usable.
#[test]
fn infeasible_after_feasible() {
    let mut s = Session::new(Backend::Clarabel, settings());
    let mut qp = BoxQp {
        w: vec![1.0, 1.0],
        g: vec![1.0, 1.0],
        l: vec![0.0, 0.0],
        u: vec![2.0, 2.0],
        alpha: vec![1.0, 1.0],
    };
    check(&mut s, &qp.problem(), false, qp.optimum());
    qp.l = vec![3.0, 0.0];
    let p = qp.problem();
    let (out, reused) = s.solve(&p).expect("accepted");
    let fresh = solve(&p, Backend::Clarabel, &settings()).expect("accepted");
    assert!(reused);
    assert_eq!(out.status, Status::PrimalInfeasible);
    assert_eq!(fresh.status, Status::PrimalInfeasible);
    assert_eq!(out.x, None);
    assert_eq!(out.infeasible_groups, vec!["box".to_string()]);
    assert_eq!(out.infeasible_groups, fresh.infeasible_groups);
    qp.l = vec![0.5, -1.0];
    check(&mut s, &qp.problem(), true, qp.optimum());
}

/// microlp solves afresh every time; errors and problems without variables go through the
/// same paths as `solve`.
#[test]
fn other_paths_match_solve() {
    let mut s = Session::new(Backend::Microlp, settings());
    for d in [1.0, 2.0] {
        // max x₀ + x₁ s.t. x ≥ 0, x₀ + 2x₁ ≤ d: x = (d, 0).
        let mut a = Triplets::new(3, 2);
        a.push(0, 0, -1.0);
        a.push(1, 1, -1.0);
        a.push(2, 0, 1.0);
        a.push(2, 1, 2.0);
        let p = problem(
            2,
            Triplets::new(2, 2),
            vec![-1.0, -1.0],
            a,
            vec![0.0, 0.0, d],
            vec![(Cone::Nonneg(3), "lp")],
        );
        let (out, reused) = s.solve(&p).expect("accepted");
        assert!(!reused);
        assert_eq!(out.backend, Backend::Microlp);
        close(
            "lp objective",
            &[out.objective.expect("solved")],
            &[-d],
            1e-9,
        );
        close("lp x", &out.x.expect("solved"), &[d, 0.0], 1e-9);
    }

    let mut s = Session::new(Backend::Clarabel, settings());
    let mut p = distance([0.0, 0.0], [1.0, 1.0], 1.0, true);
    p.vars[0].integer = true;
    assert!(matches!(
        s.solve(&p),
        Err(SolveError::IntegersOnClarabel { count: 1, .. })
    ));
    p.q.pop();
    assert!(matches!(s.solve(&p), Err(SolveError::Malformed(_))));

    // No variables: `0 ≤ 2` holds, objective the constant.
    let mut empty = problem(
        0,
        Triplets::new(0, 0),
        vec![],
        Triplets::new(1, 0),
        vec![2.0],
        vec![(Cone::Nonneg(1), "constant")],
    );
    empty.constant = 1.5;
    let (out, reused) = s.solve(&empty).expect("accepted");
    assert!(!reused);
    assert_eq!(out.status, Status::Optimal);
    assert_eq!(out.objective, Some(1.5));
    assert_eq!(out.x, Some(vec![]));
}
