//! What a back end reports: a [`Status`] in words and, only when the solver returned one, a point.
//!
//! The objective is the user's, `½xᵀPx + qᵀx + c`, negated back when the model maximizes.
//! `x` and `objective` are `Some` for [`Status::Optimal`] and [`Status::AlmostOptimal`]; at an
//! iteration or time limit the last iterate may be kept, but [`Status::is_solved`] stays false.

use super::Backend;
use crate::conic::ConicProblem;
use crate::diag::Diagnostic;

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

    /// The status as a JSON report writes it: `optimal`, `almost_optimal`, `primal_infeasible`,
    /// `dual_infeasible` (unbounded), `iteration_limit`, `time_limit`, `numerical_error`.
    pub fn key(self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::AlmostOptimal => "almost_optimal",
            Status::PrimalInfeasible => "primal_infeasible",
            Status::DualInfeasible => "dual_infeasible",
            Status::IterationLimit => "iteration_limit",
            Status::TimeLimit => "time_limit",
            Status::NumericalError => "numerical_error",
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
    /// Branch-and-bound nodes whose LP was solved, for a MILP back end that counts them.
    pub nodes: Option<u64>,
    /// Wall time of the solve, in seconds.
    pub solve_seconds: f64,
    /// For [`Status::PrimalInfeasible`]: the constraint groups (origin labels) a certificate
    /// involves, in the order of the cone blocks.
    pub infeasible_groups: Vec<String>,
    /// The cone blocks behind `infeasible_groups` (indices into `cones`/`origins`), so their
    /// source spans can be shown.
    pub infeasible_blocks: Vec<usize>,
    /// Facts the report should mention, e.g. a certificate of reduced accuracy.
    pub notes: Vec<String>,
}

impl Outcome {
    /// An outcome with no point: `status`, and nothing else but the time.
    pub fn without_solution(status: Status, backend: Backend, solve_seconds: f64) -> Outcome {
        Outcome {
            status,
            backend,
            objective: None,
            x: None,
            last_iterate: None,
            z: None,
            iterations: 0,
            nodes: None,
            solve_seconds,
            infeasible_groups: Vec::new(),
            infeasible_blocks: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The solution by variable name, `None` unless the solver returned one.
    pub fn named_values<'a>(
        &'a self,
        p: &'a ConicProblem,
    ) -> Option<impl Iterator<Item = (&'a str, f64)> + 'a> {
        let x = self.x.as_ref()?;
        Some(p.vars.iter().zip(x).map(|(v, &x)| (v.name.as_str(), x)))
    }

    /// What to tell the user when the solve did not end optimal: an error, or a warning for
    /// [`Status::AlmostOptimal`]; `None` for [`Status::Optimal`]. An infeasibility points at the
    /// source of every constraint group the certificate involves.
    pub fn diagnostic(&self, p: &ConicProblem) -> Option<Diagnostic> {
        let solver = self.backend.name();
        let mut d = match self.status {
            Status::Optimal => return None,
            Status::AlmostOptimal => Diagnostic::warning(
                "E0910",
                format!("{solver} solved the problem only to reduced accuracy (almost optimal)"),
            )
            .with_help("raise `max_iter` or loosen the `tol_*` settings of the solver block"),
            Status::PrimalInfeasible => {
                let mut d = Diagnostic::error(
                    "E0911",
                    "the constraints cannot all hold: the problem is infeasible",
                );
                let mut first = true;
                // One label per constraint, however many of its cone blocks the certificate uses.
                let mut labelled: Vec<String> = Vec::new();
                for &b in &self.infeasible_blocks {
                    let Some(o) = p.origins.get(b) else { continue };
                    let Some(span) = o.span else { continue };
                    let msg = if o.label.is_empty() {
                        o.stage.to_string()
                    } else {
                        o.label.clone()
                    };
                    if labelled.contains(&msg) {
                        continue;
                    }
                    labelled.push(msg.clone());
                    d = if first {
                        d.with_primary(span, msg)
                    } else {
                        d.with_label(span, msg)
                    };
                    first = false;
                }
                if self.infeasible_groups.is_empty() {
                    d.with_note(format!(
                        "{solver} gave no certificate that names the constraints"
                    ))
                } else {
                    d.with_note(format!(
                        "constraints involved: {}",
                        self.infeasible_groups.join(", ")
                    ))
                    .with_help("relax or remove one of these constraints")
                }
            }
            Status::DualInfeasible => Diagnostic::error(
                "E0912",
                "the objective is unbounded: it can be improved without limit",
            )
            .with_help("bound the variables or add a regularization term"),
            Status::IterationLimit => Diagnostic::error(
                "E0913",
                format!("{solver} stopped at its iteration limit without a solution"),
            )
            .with_help("raise `max_iter` in the solver block"),
            Status::TimeLimit => Diagnostic::error(
                "E0914",
                format!("{solver} stopped at its time limit without a solution"),
            )
            .with_help("raise `time_limit` in the solver block"),
            Status::NumericalError => Diagnostic::error(
                "E0915",
                format!("{solver} stopped on numerical trouble without a solution"),
            )
            .with_help(
                "standardize the data or rescale constants; very large or small numbers hurt",
            ),
        };
        for n in &self.notes {
            d = d.with_note(n.clone());
        }
        Some(d)
    }
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

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn json_keys_are_the_words_in_snake_case() {
        let all = [
            Status::Optimal,
            Status::AlmostOptimal,
            Status::PrimalInfeasible,
            Status::DualInfeasible,
            Status::IterationLimit,
            Status::TimeLimit,
            Status::NumericalError,
        ];
        let keys: Vec<&str> = all.iter().map(|s| s.key()).collect();
        assert_eq!(
            keys,
            [
                "optimal",
                "almost_optimal",
                "primal_infeasible",
                "dual_infeasible",
                "iteration_limit",
                "time_limit",
                "numerical_error"
            ]
        );
        // Each key is the words before any parenthesis, joined by `_`.
        for s in all {
            let words = s.as_str().split(" (").next().unwrap_or("");
            assert_eq!(s.key(), words.replace(' ', "_"));
        }
    }
}
