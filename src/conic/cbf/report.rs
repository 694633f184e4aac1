//! What `cnnc solve FILE.cbf` prints and the exit code it ends with.
//!
//! Exit codes: 0 solved (optimal or almost optimal), 1 the file could not be read (diagnostics),
//! 3 primal infeasible, 4 dual infeasible (unbounded), 5 stopped without an answer (iteration or
//! time limit, numerical trouble), 6 no back end can attempt the problem (e.g. integers with
//! cones, PSD cones without the `sdp` feature). 2 is left to the argument parser (clap).

use std::fmt::Write as _;

use serde::Serialize;

use crate::conic::ConicProblem;
use crate::solve::{Outcome, Status};

/// Exit code: solved.
pub const EXIT_SOLVED: i32 = 0;
/// Exit code: the input could not be read or checked.
pub const EXIT_BAD_INPUT: i32 = 1;
/// Exit code: primal infeasible.
pub const EXIT_INFEASIBLE: i32 = 3;
/// Exit code: dual infeasible (the objective is unbounded).
pub const EXIT_UNBOUNDED: i32 = 4;
/// Exit code: the solver stopped without an answer.
pub const EXIT_NOT_SOLVED: i32 = 5;
/// Exit code: no back end can attempt the problem.
pub const EXIT_CANNOT_SOLVE: i32 = 6;

/// The exit code for a solve that ended with `status`.
pub fn exit_code(status: Status) -> i32 {
    match status {
        Status::Optimal | Status::AlmostOptimal => EXIT_SOLVED,
        Status::PrimalInfeasible => EXIT_INFEASIBLE,
        Status::DualInfeasible => EXIT_UNBOUNDED,
        Status::IterationLimit | Status::TimeLimit | Status::NumericalError => EXIT_NOT_SOLVED,
    }
}

#[derive(Serialize)]
struct Report<'a> {
    status: &'a str,
    solved: bool,
    objective: Option<f64>,
    backend: &'a str,
    iterations: u32,
    solve_seconds: f64,
    x: Option<Vec<(&'a str, f64)>>,
    infeasible_groups: &'a [String],
    notes: &'a [String],
}

/// The outcome as JSON: `status`, `solved`, `objective` (`null` unless solved), `backend`,
/// `iterations`, `solve_seconds`, `x` (`[name, value]` pairs, `null` unless solved),
/// `infeasible_groups`, `notes`.
pub fn report_json(p: &ConicProblem, o: &Outcome) -> String {
    let r = Report {
        status: o.status.key(),
        solved: o.status.is_solved(),
        objective: o.objective.filter(|_| o.status.is_solved()),
        backend: o.backend.name(),
        iterations: o.iterations,
        solve_seconds: o.solve_seconds,
        x: o.named_values(p)
            .filter(|_| o.status.is_solved())
            .map(|it| it.collect()),
        infeasible_groups: &o.infeasible_groups,
        notes: &o.notes,
    };
    let mut s = serde_json::to_string_pretty(&r).unwrap_or_default();
    s.push('\n');
    s
}

/// The outcome in words: status, objective (only when solved) and back end.
pub fn report_text(o: &Outcome) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "status: {}", o.status.as_str());
    match o.objective.filter(|_| o.status.is_solved()) {
        Some(v) => {
            let _ = writeln!(s, "objective: {v}");
        }
        None => s.push_str("objective: none (no solution)\n"),
    }
    let _ = writeln!(s, "backend: {}", o.backend.name());
    for g in &o.infeasible_groups {
        let _ = writeln!(s, "infeasible group: {g}");
    }
    for n in &o.notes {
        let _ = writeln!(s, "note: {n}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_separate_the_outcomes() {
        assert_eq!(exit_code(Status::Optimal), 0);
        assert_eq!(exit_code(Status::AlmostOptimal), 0);
        assert_eq!(exit_code(Status::PrimalInfeasible), 3);
        assert_eq!(exit_code(Status::DualInfeasible), 4);
        assert_eq!(exit_code(Status::IterationLimit), 5);
        assert_eq!(exit_code(Status::NumericalError), 5);
    }
}
