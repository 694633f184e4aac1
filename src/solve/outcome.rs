//! What a back end reports: a [`Status`] in words and, only when the solver returned one, a point.
//!
//! The objective is the user's, `½xᵀPx + qᵀx + c`, negated back when the model maximizes.
//! `x` and `objective` are `Some` for [`Status::Optimal`] and [`Status::AlmostOptimal`]; at an
//! iteration or time limit the last iterate may be kept, but [`Status::is_solved`] stays false.

use super::Backend;
use crate::conic::ConicProblem;

/// How a solve ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Solved to the requested tolerances.
    Optimal,
    /// Solved to reduced accuracy (Clarabel's `AlmostSolved`).
    AlmostOptimal,
    /// No point satisfies the constraints (a certificate was found).
    PrimalInfeasible,
    /// The objective is unbounded below (or the dual is infeasible).
    DualInfeasible,
    /// Stopped at the iteration limit without an answer.
    IterationLimit,
    /// Stopped at the time limit without an answer.
    TimeLimit,
    /// The solver stopped on numerical trouble or lack of progress.
    NumericalError,
}

impl Status {
    /// The word used in reports, e.g. `"optimal"`, `"almost optimal"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::AlmostOptimal => "almost optimal",
            Status::PrimalInfeasible => "primal infeasible",
            Status::DualInfeasible => "dual infeasible (unbounded)",
            Status::IterationLimit => "iteration limit",
            Status::TimeLimit => "time limit",
            Status::NumericalError => "numerical error",
        }
    }

    /// Whether the solver returned a solution (optimal or almost optimal).
    pub fn is_solved(self) -> bool {
        matches!(self, Status::Optimal | Status::AlmostOptimal)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one solve.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// Who solved it.
    pub backend: Backend,
    /// The user's objective at `x` (`Some` only when [`Status::is_solved`]).
    pub objective: Option<f64>,
    /// The point, one value per conic variable (`Some` only when [`Status::is_solved`]).
    pub x: Option<Vec<f64>>,
    /// The last iterate when the solver stopped at a limit: *not* a solution.
    pub last_iterate: Option<Vec<f64>>,
    /// Dual values `z`, one per row of `A`, when the solver provides them and solved the problem.
    pub z: Option<Vec<f64>>,
    /// Solver iterations (simplex/branch-and-bound back ends report 0).
    pub iterations: u32,
    /// Wall time of the solve, in seconds.
    pub solve_seconds: f64,
    /// For [`Status::PrimalInfeasible`]: the constraint groups (origin labels) the certificate
    /// involves, largest weight first.
    pub infeasible_groups: Vec<String>,
    /// Facts the report should mention, e.g. a certificate of reduced accuracy.
    pub notes: Vec<String>,
}

/// The user's objective at `x`: `½xᵀPx + qᵀx + c` with `P` stored as its upper triangle,
/// negated back when the model maximizes.
pub(super) fn user_objective(p: &ConicProblem, x: &[f64]) -> f64 {
    let quad: f64 =
        p.p.iter()
            .map(|(i, j, v)| {
                let term = v * x[i] * x[j];
                if i == j {
                    0.5 * term
                } else {
                    term
                }
            })
            .sum();
    let lin: f64 = p.q.iter().zip(x).map(|(q, x)| q * x).sum();
    let min = quad + lin + p.constant;
    if p.maximize {
        -min
    } else {
        min
    }
}
