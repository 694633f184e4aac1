//! The Clarabel back end: the conic IR maps one to one onto Clarabel's
//! `min ½xᵀPx + qᵀx  s.t.  Ax + s = b, s ∈ K`, with the same upper-triangular `P` and the
//! same √2-scaled PSD triangles. A primal infeasibility is explained by naming the cone blocks
//! a certificate involves (see [`super::certificate`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettings, DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};

use super::outcome::user_objective;
use super::{group_name, group_names, Backend, Outcome, Settings, SolveError, Status};
use crate::conic::{Cone, ConicProblem, Csc};

/// Solves `p` with a fresh Clarabel solver.
pub(super) fn solve(p: &ConicProblem, s: &Settings) -> Result<Outcome, SolveError> {
    let cones = cones(p)?;
    let start = Instant::now();
    let mut solver = build(p, &cones, settings(s, false)?)?;
    let finished = run(&mut solver);
    let solve_seconds = start.elapsed().as_secs_f64();
    Ok(outcome(p, s, finished.then_some(&solver), solve_seconds))
}

/// `p`'s cones in Clarabel's terms; errors for integer variables and for PSD cones in a build
/// without the `sdp` feature.
pub(super) fn cones(p: &ConicProblem) -> Result<Vec<SupportedConeT<f64>>, SolveError> {
    let integers: Vec<&str> = p
        .vars
        .iter()
        .filter(|v| v.integer)
        .map(|v| v.name.as_str())
        .collect();
    if let Some(first) = integers.first() {
        return Err(SolveError::IntegersOnClarabel {
            count: integers.len(),
            first: first.to_string(),
        });
    }
    p.cones
        .iter()
        .map(clarabel_cone)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| psd_error(p))
}

/// Clarabel's settings for `s`. `updatable` turns off everything that changes the problem's
/// structure (presolve, zero dropping, chordal decomposition), so the data can be updated later.
pub(super) fn settings(s: &Settings, updatable: bool) -> Result<DefaultSettings<f64>, SolveError> {
    let mut b = DefaultSettingsBuilder::default();
    b.max_iter(s.max_iter)
        .time_limit(s.time_limit.unwrap_or(f64::INFINITY))
        .tol_gap_abs(s.tol_gap_abs)
        .tol_gap_rel(s.tol_gap_rel)
        .tol_feas(s.tol_feas)
        .verbose(s.verbose);
    if updatable {
        b.presolve_enable(false).input_sparse_dropzeros(false);
        #[cfg(feature = "sdp")]
        b.chordal_decomposition_enable(false);
    }
    b.build().map_err(|e| SolveError::Rejected(e.to_string()))
}

/// A Clarabel solver for `p`, not yet run.
pub(super) fn build(
    p: &ConicProblem,
    cones: &[SupportedConeT<f64>],
    settings: DefaultSettings<f64>,
) -> Result<DefaultSolver<f64>, SolveError> {
    DefaultSolver::new(&csc(&p.p), &p.q, &csc(&p.a), &p.b, cones, settings)
        .map_err(|e| SolveError::Rejected(e.to_string()))
}

/// Runs `solver`; false when Clarabel panicked, after which the solver must not be used again.
pub(super) fn run(solver: &mut DefaultSolver<f64>) -> bool {
    // The status line of the run, if one is shown: every iteration with its relative gap.
    match crate::progress::active() {
        Some((bar, after)) => solver.set_termination_callback(move |info| {
            crate::progress::show(&bar, after, || {
                format!(
                    "clarabel iteration {}  relative gap {:.1e}",
                    info.iterations, info.gap_rel
                )
            });
            false
        }),
        None => solver.unset_termination_callback(),
    }
    // Clarabel asserts on some internal numerical failures; report those as numerical trouble
    // instead of aborting the compiler.
    catch_unwind(AssertUnwindSafe(|| solver.solve())).is_ok()
}

/// The outcome of a run of `solver` on `p`; `None` when the run panicked.
pub(super) fn outcome(
    p: &ConicProblem,
    s: &Settings,
    solver: Option<&DefaultSolver<f64>>,
    solve_seconds: f64,
) -> Outcome {
    let Some(solver) = solver else {
        let mut out =
            Outcome::without_solution(Status::NumericalError, Backend::Clarabel, solve_seconds);
        out.notes
            .push("Clarabel stopped on an internal error".into());
        return out;
    };
    let sol = &solver.solution;

    let mut notes = Vec::new();
    let status = match sol.status {
        SolverStatus::Solved => Status::Optimal,
        SolverStatus::AlmostSolved => Status::AlmostOptimal,
        SolverStatus::PrimalInfeasible => Status::PrimalInfeasible,
        SolverStatus::AlmostPrimalInfeasible => {
            notes.push("the infeasibility certificate has reduced accuracy".into());
            Status::PrimalInfeasible
        }
        SolverStatus::DualInfeasible => Status::DualInfeasible,
        SolverStatus::AlmostDualInfeasible => {
            notes.push("the unboundedness certificate has reduced accuracy".into());
            Status::DualInfeasible
        }
        SolverStatus::MaxIterations => Status::IterationLimit,
        SolverStatus::MaxTime => Status::TimeLimit,
        SolverStatus::NumericalError => Status::NumericalError,
        SolverStatus::InsufficientProgress => {
            notes.push("Clarabel stopped for lack of progress".into());
            Status::NumericalError
        }
        SolverStatus::Unsolved | SolverStatus::CallbackTerminated => {
            notes.push(format!("Clarabel stopped with status {:?}", sol.status));
            Status::NumericalError
        }
    };
    let finite = sol.x.iter().all(|v| v.is_finite());
    let (x, last_iterate) = match status {
        Status::Optimal | Status::AlmostOptimal => (Some(sol.x.clone()), None),
        Status::IterationLimit | Status::TimeLimit if finite => (None, Some(sol.x.clone())),
        _ => (None, None),
    };
    let infeasible_blocks = if status == Status::PrimalInfeasible {
        super::certificate::infeasible_blocks(p, Some(&sol.z), s)
    } else {
        Vec::new()
    };
    Outcome {
        status,
        backend: Backend::Clarabel,
        objective: x.as_deref().map(|x| user_objective(p, x)),
        z: x.as_ref().map(|_| sol.z.clone()),
        x,
        last_iterate,
        iterations: sol.iterations,
        nodes: None,
        solve_seconds,
        infeasible_groups: group_names(p, &infeasible_blocks),
        infeasible_blocks,
        notes,
    }
}

fn csc(m: &Csc) -> CscMatrix<f64> {
    CscMatrix::new(
        m.m,
        m.n,
        m.colptr.clone(),
        m.rowval.clone(),
        m.nzval.clone(),
    )
}

/// Clarabel's cone, or `None` for a PSD cone in a build without the `sdp` feature.
fn clarabel_cone(c: &Cone) -> Option<SupportedConeT<f64>> {
    Some(match *c {
        Cone::Zero(n) => SupportedConeT::ZeroConeT(n),
        Cone::Nonneg(n) => SupportedConeT::NonnegativeConeT(n),
        // Clarabel asserts dimension ≥ 2; `‖()‖ ≤ s₀` is just `s₀ ≥ 0`.
        Cone::SecondOrder(1) => SupportedConeT::NonnegativeConeT(1),
        Cone::SecondOrder(n) => SupportedConeT::SecondOrderConeT(n),
        Cone::Exponential => SupportedConeT::ExponentialConeT(),
        Cone::Power(a) => SupportedConeT::PowerConeT(a),
        #[cfg(feature = "sdp")]
        Cone::PsdTriangle(n) => SupportedConeT::PSDTriangleConeT(n),
        #[cfg(not(feature = "sdp"))]
        Cone::PsdTriangle(_) => return None,
    })
}

fn psd_error(p: &ConicProblem) -> SolveError {
    let psd: Vec<usize> = (0..p.cones.len())
        .filter(|&i| matches!(p.cones[i], Cone::PsdTriangle(_)))
        .collect();
    let first = psd.first().map(|&i| group_name(p, i)).unwrap_or_default();
    SolveError::PsdNeedsFeature {
        count: psd.len(),
        first,
    }
}
