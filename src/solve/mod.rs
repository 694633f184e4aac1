//! Solver back ends: a [`ConicProblem`] in, an honest [`Outcome`] out.
//!
//! ```text
//! minimize ½ xᵀPx + qᵀx + c   subject to   A x + s = b,  s ∈ K
//! ```
//! Clarabel takes every cone (PSD cones only with the `sdp` feature); microlp and CBC (only with
//! the `cbc` feature), through good_lp, take LPs and MILPs (zero and nonnegative cones, linear
//! objective, integer variables).
//! [`choose_backend`] picks microlp when there are integer variables and Clarabel otherwise.
//! Problems a back end cannot attempt at all are [`SolveError`]s; everything a solver says after
//! trying is a [`Status`]. A [`Session`] solves a series of problems of one structure with one
//! kept Clarabel solver.

mod certificate;
mod clarabel;
mod error;
mod milp;
mod outcome;
mod session;
mod settings;

pub use error::SolveError;
pub use outcome::{Outcome, Status};
pub use session::Session;
pub use settings::Settings;

use crate::conic::{ConicProblem, ConicVar, Csc};

/// A solver back end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Clarabel's interior-point method: every cone, no integers.
    Clarabel,
    /// microlp (through good_lp): LP and MILP.
    Microlp,
    /// CBC (through good_lp): LP and MILP; only in a build with the `cbc` feature.
    Cbc,
}

impl Backend {
    /// Every back end, in the order they are listed to users, built into this cnnc or not.
    pub const ALL: [Backend; 3] = [Backend::Clarabel, Backend::Microlp, Backend::Cbc];

    /// Whether this build of cnnc can run the back end (CBC needs the `cbc` feature).
    pub fn is_built(self) -> bool {
        self != Backend::Cbc || cfg!(feature = "cbc")
    }

    /// The back ends this build can run, in the order of [`Backend::ALL`].
    pub fn built() -> impl Iterator<Item = Backend> {
        Backend::ALL.into_iter().filter(|b| b.is_built())
    }

    /// The name used in models and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Clarabel => "clarabel",
            Backend::Microlp => "microlp",
            Backend::Cbc => "cbc",
        }
    }

    /// The back end with this name, if any.
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::ALL.into_iter().find(|b| b.name() == name)
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// microlp when the problem has integer variables, Clarabel otherwise.
pub fn choose_backend(p: &ConicProblem) -> Backend {
    if p.vars.iter().any(|v| v.integer) {
        Backend::Microlp
    } else {
        Backend::Clarabel
    }
}

/// Solves `p` with `backend`.
///
/// Errors when the back end cannot take the problem at all (CBC without the `cbc` feature, PSD
/// cones without the `sdp` feature, integers on Clarabel, a non-LP cone on microlp or CBC,
/// inconsistent sizes).
pub fn solve(p: &ConicProblem, backend: Backend, s: &Settings) -> Result<Outcome, SolveError> {
    if !backend.is_built() {
        return Err(SolveError::NotBuilt(backend));
    }
    error::check_shape(p)?;
    if p.vars.is_empty() {
        return solve_without_variables(p, backend, s);
    }
    match backend {
        Backend::Clarabel => clarabel::solve(p, s),
        Backend::Microlp | Backend::Cbc => milp::solve(p, backend, s),
    }
}

/// A problem with no variables (everything fixed) is solved with one unused variable added,
/// since the solvers expect at least one column; the point is reported empty again.
fn solve_without_variables(
    p: &ConicProblem,
    backend: Backend,
    s: &Settings,
) -> Result<Outcome, SolveError> {
    let mut padded = p.clone();
    padded.vars.push(ConicVar {
        name: "_unused".into(),
        integer: false,
    });
    padded.q.push(0.0);
    padded.p = Csc::zeros(1, 1);
    padded.a = Csc::zeros(p.num_rows(), 1);
    let mut out = solve(&padded, backend, s)?;
    for v in [&mut out.x, &mut out.last_iterate].into_iter().flatten() {
        v.clear();
    }
    Ok(out)
}

/// The label a cone block is reported under: its origin label, else its stage, else its index.
fn group_name(p: &ConicProblem, block: usize) -> String {
    match p.origins.get(block) {
        Some(o) if !o.label.is_empty() => o.label.clone(),
        Some(o) if !o.stage.is_empty() => o.stage.to_string(),
        _ => format!("cone block {block}"),
    }
}

/// The distinct group names of `blocks`, in order.
fn group_names(p: &ConicProblem, blocks: &[usize]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for &b in blocks {
        let n = group_name(p, b);
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names
}
