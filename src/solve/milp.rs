//! The microlp back end (through good_lp) for LPs and MILPs.
//!
//! Each row `aᵢᵀx + sᵢ = bᵢ` of a zero cone becomes `aᵢᵀx = bᵢ`, of a nonnegative cone
//! `aᵢᵀx ≤ bᵢ`. Rows with a single entry become variable bounds (branch and bound needs them
//! on integer variables); rows with none are checked directly. Other cones and a quadratic
//! objective are refused. microlp gives no infeasibility certificate: constraint groups are named
//! when bounds or an empty row contradict each other directly, or from a certificate of the
//! continuous relaxation when that is infeasible too.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use good_lp::solvers::microlp::microlp;
use good_lp::{
    constraint, variable, Expression, ProblemVariables, ResolutionError, Solution, SolutionStatus,
    SolverModel, WithTimeLimit,
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

/// Solves `p` with microlp.
pub(super) fn solve(p: &ConicProblem, s: &Settings) -> Result<Outcome, SolveError> {
    let integers = p.vars.iter().any(|v| v.integer);
    let refuse = |what: String, label: String| {
        if integers {
            SolveError::MixedIntegerConic { what, label }
        } else {
            SolveError::NotLinear { what, label }
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
                    return Ok(infeasible(p, vec![k.block]));
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
            return Ok(infeasible(p, blocks));
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
                // Snap to integers so that microlp's integer bounds keep every feasible point.
                def = variable()
                    .integer()
                    .min((lo[c].0 - FEAS_TOL).ceil())
                    .max((hi[c].0 + FEAS_TOL).floor());
            }
            vars.add(def)
        })
        .collect();
    let mut objective = Expression::with_capacity(n);
    for (c, &qc) in p.q.iter().enumerate() {
        if qc != 0.0 {
            objective.add_mul(qc, cols[c]);
        }
    }
    let mut model = vars.minimise(objective).using(microlp);
    if let Some(t) = s.time_limit {
        model = model.with_time_limit(t);
    }
    for r in general {
        let mut e = Expression::with_capacity(rows[r].len());
        for &(c, v) in &rows[r] {
            e.add_mul(v, cols[c]);
        }
        model = model.with(if kinds[r].eq {
            constraint::eq(e, p.b[r])
        } else {
            constraint::leq(e, p.b[r])
        });
    }

    let start = Instant::now();
    // microlp asserts on some numerical failures (e.g. a singular basis); report those as
    // numerical trouble instead of aborting the compiler.
    let result = catch_unwind(AssertUnwindSafe(|| {
        model.solve().map(|sol| {
            let values: Vec<f64> = cols.iter().map(|&v| sol.value(v)).collect();
            let status = sol.status();
            (status, values, sol.into_inner().stats().nodes_solved)
        })
    }));
    let seconds = start.elapsed().as_secs_f64();
    let mut out = Outcome::without_solution(Status::NumericalError, Backend::Microlp, seconds);
    match result {
        Err(_) => out
            .notes
            .push("microlp stopped on an internal error".into()),
        Ok(Err(ResolutionError::Infeasible)) => {
            out.status = Status::PrimalInfeasible;
            // microlp has no certificate; one of the continuous relaxation names the groups
            // when the relaxation is itself infeasible.
            out.infeasible_blocks = super::certificate::infeasible_blocks(p, None, s);
            out.infeasible_groups = group_names(p, &out.infeasible_blocks);
        }
        Ok(Err(ResolutionError::Unbounded)) => out.status = Status::DualInfeasible,
        Ok(Err(ResolutionError::Other(msg))) if msg.contains("Time limit") => {
            out.status = Status::TimeLimit;
            out.notes
                .push("no feasible point was found before the limit".into());
        }
        Ok(Err(e @ (ResolutionError::Other(_) | ResolutionError::Str(_)))) => {
            return Err(SolveError::Rejected(e.to_string()))
        }
        Ok(Ok((SolutionStatus::Optimal, x, nodes))) => {
            out.status = Status::Optimal;
            out.nodes = Some(nodes);
            out.objective = Some(user_objective(p, &x));
            out.x = Some(x);
        }
        Ok(Ok((SolutionStatus::TimeLimit | SolutionStatus::GapLimit, x, nodes))) => {
            out.status = Status::TimeLimit;
            out.nodes = Some(nodes);
            out.notes.push(
                "the last point is feasible but not proven optimal (branch and bound was cut short)"
                    .into(),
            );
            out.last_iterate = Some(x);
        }
    }
    Ok(out)
}

fn infeasible(p: &ConicProblem, blocks: Vec<usize>) -> Outcome {
    let mut out = Outcome::without_solution(Status::PrimalInfeasible, Backend::Microlp, 0.0);
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
