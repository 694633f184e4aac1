//! The MILP back ends, microlp and (with the `cbc` feature) CBC, both through good_lp, for LPs
//! and MILPs. One conversion serves both; only building the solver's model and reading its node
//! count differ.
//!
//! Each row `aᵢᵀx + sᵢ = bᵢ` of a zero cone becomes `aᵢᵀx = bᵢ`, of a nonnegative cone
//! `aᵢᵀx ≤ bᵢ`. Rows with a single entry become variable bounds (branch and bound needs them
//! on integer variables); rows with none are checked directly. Other cones and a quadratic
//! objective are refused. Neither solver gives an infeasibility certificate: constraint groups
//! are named when bounds or an empty row contradict each other directly, or from a certificate
//! of the continuous relaxation when that is infeasible too. A point returned at a time limit
//! is kept only if it is integral and satisfies every row.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use good_lp::solvers::microlp::microlp;
use good_lp::variable::UnsolvedProblem;
use good_lp::{
    constraint, variable, Constraint, Expression, ProblemVariables, ResolutionError, Solution,
    SolutionStatus, SolverModel, Variable, WithTimeLimit,
};

use super::outcome::user_objective;
use super::{group_name, group_names, Backend, Outcome, Settings, SolveError, Status};
use crate::conic::{Cone, ConicProblem};

/// Slack allowed when checking empty rows and crossing bounds of the input itself.
const FEAS_TOL: f64 = 1e-9;

/// Row `r` kind: equality or `≤`, and the cone block it belongs to.
#[derive(Clone, Copy)]
struct RowKind {
    eq: bool,
    block: usize,
}

/// Solves `p` with `backend`, microlp or CBC.
pub(super) fn solve(
    p: &ConicProblem,
    backend: Backend,
    s: &Settings,
) -> Result<Outcome, SolveError> {
    let lp = match convert(p, backend)? {
        Converted::Model(lp) => lp,
        Converted::Contradiction(out) => return Ok(out),
    };
    let start = Instant::now();
    let ended = run(lp, backend, s);
    ended.into_outcome(p, backend, s, start.elapsed().as_secs_f64())
}

/// The good_lp form of a problem, not yet given to a solver.
struct Linear {
    vars: ProblemVariables,
    cols: Vec<Variable>,
    objective: Expression,
    constraints: Vec<Constraint>,
}

/// A problem converted, or found infeasible without solving.
enum Converted {
    Model(Linear),
    Contradiction(Outcome),
}

/// Converts `p` for `backend`: refuses cones and objectives it cannot take, and reports bounds
/// or empty rows that contradict each other directly.
fn convert(p: &ConicProblem, backend: Backend) -> Result<Converted, SolveError> {
    let integers = p.vars.iter().any(|v| v.integer);
    let refuse = |what: String, label: String| {
        if integers {
            SolveError::MixedIntegerConic { what, label }
        } else {
            SolveError::NotLinear {
                solver: backend,
                what,
                label,
            }
        }
    };
    if p.p.nnz() > 0 {
        return Err(refuse("a quadratic objective".into(), "objective".into()));
    }
    let mut kinds = Vec::with_capacity(p.num_rows());
    for (block, c) in p.cones.iter().enumerate() {
        let eq = match c {
            Cone::Zero(_) => true,
            Cone::Nonneg(_) => false,
            other => return Err(refuse(describe(other), group_name(p, block))),
        };
        kinds.extend(std::iter::repeat_n(RowKind { eq, block }, c.dim()));
    }

    // Rows of A as (column, value) lists.
    let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); p.num_rows()];
    for (r, c, v) in p.a.iter() {
        if v != 0.0 {
            rows[r].push((c, v));
        }
    }

    // Bounds from single-entry rows; contradictions found here are reported by group.
    let n = p.num_vars();
    let mut lo = vec![(f64::NEG_INFINITY, None::<usize>); n];
    let mut hi = vec![(f64::INFINITY, None::<usize>); n];
    let mut general = Vec::new();
    for (r, entries) in rows.iter().enumerate() {
        let k = kinds[r];
        match entries.as_slice() {
            [] => {
                let violated = if k.eq {
                    p.b[r].abs() > FEAS_TOL
                } else {
                    p.b[r] < -FEAS_TOL
                };
                if violated {
                    return Ok(Converted::Contradiction(infeasible(
                        p,
                        backend,
                        vec![k.block],
                    )));
                }
            }
            &[(c, a)] => {
                let bound = p.b[r] / a;
                if (k.eq || a > 0.0) && bound < hi[c].0 {
                    hi[c] = (bound, Some(k.block));
                }
                if (k.eq || a < 0.0) && bound > lo[c].0 {
                    lo[c] = (bound, Some(k.block));
                }
            }
            _ => general.push(r),
        }
    }
    for c in 0..n {
        let (l, lb) = lo[c];
        let (h, hb) = hi[c];
        let crossed = if p.vars[c].integer {
            (l - FEAS_TOL).ceil() > (h + FEAS_TOL).floor()
        } else {
            l > h + FEAS_TOL * (1.0 + h.abs())
        };
        if crossed {
            let mut blocks: Vec<usize> = [lb, hb].into_iter().flatten().collect();
            blocks.dedup();
            return Ok(Converted::Contradiction(infeasible(p, backend, blocks)));
        }
        if l > h {
            // Crossed by rounding only: pin to the midpoint.
            let mid = 0.5 * (l + h);
            lo[c].0 = mid;
            hi[c].0 = mid;
        }
    }

    let mut vars = ProblemVariables::new();
    let cols: Vec<_> = (0..n)
        .map(|c| {
            let mut def = variable().min(lo[c].0).max(hi[c].0);
            if p.vars[c].integer {
                // Snap to integers so that the solver's integer bounds keep every feasible point.
                def = variable()
                    .integer()
                    .min((lo[c].0 - FEAS_TOL).ceil())
                    .max((hi[c].0 + FEAS_TOL).floor());
            }
            vars.add(def)
        })
        .collect();
    if backend == Backend::Cbc && !integers {
        // CBC reports an unbounded LP as infeasible (measured with CBC 2.10.8: status
        // `Unlaunched`, proven infeasible, presolve on or off); with an integer column it takes
        // the branch-and-bound path, which tells the two apart. The column is fixed at 0 and
        // never read.
        vars.add(variable().integer().min(0).max(0));
    }
    let mut objective = Expression::with_capacity(n);
    for (c, &qc) in p.q.iter().enumerate() {
        if qc != 0.0 {
            objective.add_mul(qc, cols[c]);
        }
    }
    let constraints = general
        .into_iter()
        .map(|r| {
            let mut e = Expression::with_capacity(rows[r].len());
            for &(c, v) in &rows[r] {
                e.add_mul(v, cols[c]);
            }
            if kinds[r].eq {
                constraint::eq(e, p.b[r])
            } else {
                constraint::leq(e, p.b[r])
            }
        })
        .collect();
    Ok(Converted::Model(Linear {
        vars,
        cols,
        objective,
        constraints,
    }))
}

/// Runs `lp` on `backend`'s good_lp model, with the time limit of `s` and no solver output.
fn run(lp: Linear, backend: Backend, s: &Settings) -> Ended {
    match backend {
        #[cfg(feature = "cbc")]
        Backend::Cbc => lp.run(
            |u| {
                // good_lp's `coin_cbc` sets log level 0 (silent); its time limit rounds up to
                // whole seconds, so CBC's `sec` parameter is set directly.
                let mut m = good_lp::solvers::coin_cbc::coin_cbc(u);
                if let Some(t) = s.time_limit {
                    m.set_parameter("sec", &t.to_string());
                }
                m
            },
            // coin_cbc exposes no node count (CBC's `Cbc_getNodeCount` is not bound).
            |_| None,
        ),
        // microlp (`solve` refuses CBC before this when it is not built).
        _ => lp.run(
            |u| {
                let m = microlp(u);
                match s.time_limit {
                    Some(t) => m.with_time_limit(t),
                    None => m,
                }
            },
            |sol| Some(sol.into_inner().stats().nodes_solved),
        ),
    }
}

impl Linear {
    /// Builds the model with `using`, solves it, and reads the point and `nodes` off the
    /// solution. A panic inside the solver (microlp asserts on some numerical failures, e.g. a
    /// singular basis) is caught and reported as [`Ended::Panicked`].
    fn run<M: SolverModel<Error = ResolutionError>>(
        self,
        using: impl FnMut(UnsolvedProblem) -> M,
        nodes: impl FnOnce(M::Solution) -> Option<u64>,
    ) -> Ended {
        let Linear {
            vars,
            cols,
            objective,
            constraints,
        } = self;
        let model = vars.minimise(objective).using(using).with_all(constraints);
        let result = catch_unwind(AssertUnwindSafe(|| {
            model.solve().map(|sol| {
                let x: Vec<f64> = cols.iter().map(|&v| sol.value(v)).collect();
                let proven = matches!(sol.status(), SolutionStatus::Optimal);
                (proven, x, nodes(sol))
            })
        }));
        match result {
            Err(_) => Ended::Panicked,
            Ok(Err(e)) => Ended::Failed(e),
            Ok(Ok((proven, x, nodes))) => Ended::Point { proven, x, nodes },
        }
    }
}

/// What a good_lp solver reported, before it is read as an [`Outcome`].
enum Ended {
    /// The solver panicked.
    Panicked,
    /// The solver's error (infeasible, unbounded, a limit without a point, ...).
    Failed(ResolutionError),
    /// A point: optimal when `proven`, else the incumbent at a time or gap limit.
    Point {
        proven: bool,
        x: Vec<f64>,
        nodes: Option<u64>,
    },
}

impl Ended {
    fn into_outcome(
        self,
        p: &ConicProblem,
        backend: Backend,
        s: &Settings,
        seconds: f64,
    ) -> Result<Outcome, SolveError> {
        let mut out = Outcome::without_solution(Status::NumericalError, backend, seconds);
        let no_point = "no feasible point was found before the limit";
        match self {
            Ended::Panicked => out
                .notes
                .push(format!("{backend} stopped on an internal error")),
            Ended::Failed(ResolutionError::Infeasible) => {
                out.status = Status::PrimalInfeasible;
                // Neither solver gives a certificate; one of the continuous relaxation names
                // the groups when the relaxation is itself infeasible.
                out.infeasible_blocks = super::certificate::infeasible_blocks(p, None, s);
                out.infeasible_groups = group_names(p, &out.infeasible_blocks);
            }
            Ended::Failed(ResolutionError::Unbounded) => out.status = Status::DualInfeasible,
            Ended::Failed(ResolutionError::Other(msg)) if msg.contains("Time limit") => {
                out.status = Status::TimeLimit;
                out.notes.push(no_point.into());
            }
            // CBC's other stops (`Abandoned`: numerical difficulties) come after trying.
            Ended::Failed(ResolutionError::Other(msg)) if backend == Backend::Cbc => out
                .notes
                .push(format!("cbc stopped without an answer ({msg})")),
            // microlp's internal failures (a singular basis during branch and bound) come
            // after trying too: numerical trouble, not a refusal of the problem.
            Ended::Failed(ResolutionError::Str(msg)) if backend == Backend::Microlp => {
                out.notes
                    .push(format!("microlp stopped without an answer ({msg})"));
                if cfg!(feature = "cbc") {
                    out.notes.push("`solver cbc` may solve it".into());
                } else {
                    out.notes.push("a build with CBC may solve it: `apt-get install coinor-libcbc-dev`, `cargo build --release --features cbc`, `solver cbc` in the model".into());
                }
            }
            Ended::Failed(e) => return Err(SolveError::Rejected(e.to_string())),
            Ended::Point { x, .. } if x.iter().any(|v| !v.is_finite()) => out
                .notes
                .push(format!("{backend} returned a point with non-finite values")),
            Ended::Point {
                proven: true,
                x,
                nodes,
            } => {
                out.status = Status::Optimal;
                out.nodes = nodes;
                out.objective = Some(user_objective(p, &x));
                out.x = Some(x);
            }
            Ended::Point {
                proven: false,
                x,
                nodes,
            } => {
                out.status = Status::TimeLimit;
                out.nodes = nodes;
                // CBC hands back its current (relaxation) point at the time limit even
                // without an incumbent: keep only a point that satisfies the problem.
                if satisfies(p, &x) {
                    out.notes.push(
                        "the last point is feasible but not proven optimal (branch and bound \
                         was cut short)"
                            .into(),
                    );
                    out.last_iterate = Some(x);
                } else {
                    out.notes.push(no_point.into());
                }
            }
        }
        Ok(out)
    }
}

/// Whether `x` satisfies every zero and nonnegative row of `p` and its integrality, to the
/// solvers' feasibility tolerances (1e-6, relative to the row's size).
fn satisfies(p: &ConicProblem, x: &[f64]) -> bool {
    const TOL: f64 = 1e-6;
    let integral = p
        .vars
        .iter()
        .zip(x)
        .all(|(v, &xi)| !v.integer || (xi - xi.round()).abs() <= TOL);
    // Row r: (a_r·x − b_r, Σ|a_rc x_c| + |b_r|).
    let mut rows: Vec<(f64, f64)> = p.b.iter().map(|&b| (-b, b.abs())).collect();
    for (r, c, v) in p.a.iter() {
        rows[r].0 += v * x[c];
        rows[r].1 += (v * x[c]).abs();
    }
    let mut r = 0;
    let rows_ok = p.cones.iter().all(|cone| {
        let block = &rows[r..r + cone.dim()];
        r += cone.dim();
        block.iter().all(|&(ax_b, size)| {
            let tol = TOL * (1.0 + size);
            match cone {
                Cone::Zero(_) => ax_b.abs() <= tol,
                // s = b − a·x ≥ 0.
                _ => ax_b <= tol,
            }
        })
    });
    integral && rows_ok
}

fn infeasible(p: &ConicProblem, backend: Backend, blocks: Vec<usize>) -> Outcome {
    let mut out = Outcome::without_solution(Status::PrimalInfeasible, backend, 0.0);
    out.infeasible_groups = group_names(p, &blocks);
    out.infeasible_blocks = blocks;
    out.notes
        .push("found before solving: these constraints contradict each other directly".into());
    out
}

fn describe(c: &Cone) -> String {
    match c {
        Cone::Zero(n) => format!("a zero cone of dimension {n}"),
        Cone::Nonneg(n) => format!("a nonnegative cone of dimension {n}"),
        Cone::SecondOrder(n) => format!("a second-order cone of dimension {n}"),
        Cone::Exponential => "an exponential cone".into(),
        Cone::Power(a) => format!("a power cone with exponent {a}"),
        Cone::PsdTriangle(n) => format!("a {n}×{n} PSD cone"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conic::{ConicVar, Csc, Origin, Triplets};

    /// `x + y = 2` (zero cone), `x − y ≤ 1` (nonnegative cone), `x` integer.
    fn problem() -> ConicProblem {
        let mut a = Triplets::new(2, 2);
        for (r, c, v) in [(0, 0, 1.0), (0, 1, 1.0), (1, 0, 1.0), (1, 1, -1.0)] {
            a.push(r, c, v);
        }
        let origin = |label: &str| Origin {
            stage: "test",
            lowering: "",
            label: label.into(),
            span: None,
        };
        ConicProblem {
            vars: vec![
                ConicVar {
                    name: "x".into(),
                    integer: true,
                },
                ConicVar {
                    name: "y".into(),
                    integer: false,
                },
            ],
            p: Csc::zeros(2, 2),
            q: vec![1.0, 0.0],
            constant: 0.0,
            maximize: false,
            a: a.into_csc(),
            b: vec![2.0, 1.0],
            cones: vec![Cone::Zero(1), Cone::Nonneg(1)],
            origins: vec![origin("sum"), origin("gap")],
        }
    }

    #[test]
    fn a_point_satisfies_rows_and_integrality() {
        let p = problem();
        assert!(satisfies(&p, &[1.0, 1.0]));
        assert!(satisfies(&p, &[0.0, 2.0]));
        // Within the tolerance of both rows.
        assert!(satisfies(&p, &[1.0 + 1e-8, 1.0]));
        // x − y = 2 > 1.
        assert!(!satisfies(&p, &[2.0, 0.0]));
        // x + y = 2.5.
        assert!(!satisfies(&p, &[1.0, 1.5]));
        // Both rows hold, x is not integral: the relaxation's point.
        assert!(!satisfies(&p, &[1.5, 0.5]));
    }
}
