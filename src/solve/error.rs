//! What cannot be attempted at all: a problem a back end does not take, or a malformed one.
//!
//! Anything a solver reports after trying (infeasible, limits, numerical trouble) is a
//! [`Status`](super::Status), not an error.

use super::Backend;
use crate::conic::{Cone, ConicProblem};
use crate::diag::Diagnostic;

/// A problem the chosen back end cannot attempt.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum SolveError {
    /// PSD cones in a build without the `sdp` feature.
    #[error("{count} PSD cone block(s) (first: `{first}`) need Clarabel's SDP support, which this build of cnnc lacks")]
    PsdNeedsFeature {
        /// Number of PSD blocks.
        count: usize,
        /// Label of the first one.
        first: String,
    },
    /// Integer variables sent to Clarabel.
    #[error("{count} integer variable(s) (first: `{first}`) cannot be solved by clarabel")]
    IntegersOnClarabel {
        /// Number of integer variables.
        count: usize,
        /// Name of the first one.
        first: String,
    },
    /// A cone (or a quadratic objective) microlp or CBC cannot take.
    #[error("{solver} solves LPs and MILPs only; it cannot take {what} (`{label}`)")]
    NotLinear {
        /// The MILP back end.
        solver: Backend,
        /// What it was, e.g. `a second-order cone of dimension 3`.
        what: String,
        /// Origin label of the block, or `objective`.
        label: String,
    },
    /// Integer variables together with a cone (or a quadratic objective) the MILP back ends
    /// cannot take: no back end solves mixed-integer conic problems.
    #[error("integer variables together with {what} (`{label}`): no back end of cnnc solves mixed-integer conic problems")]
    MixedIntegerConic {
        /// What it was, e.g. `a second-order cone of dimension 3`.
        what: String,
        /// Origin label of the block, or `objective`.
        label: String,
    },
    /// A back end this build of cnnc lacks (CBC without the `cbc` feature).
    #[error("this build of cnnc has no `{0}` back end")]
    NotBuilt(Backend),
    /// Sizes or indices of the problem do not agree.
    #[error("malformed conic problem: {0}")]
    Malformed(String),
    /// The solver refused the data or settings before starting.
    #[error("the solver rejected the problem: {0}")]
    Rejected(String),
}

impl SolveError {
    /// The stable diagnostic code.
    pub fn code(&self) -> &'static str {
        match self {
            SolveError::PsdNeedsFeature { .. } => "E0901",
            SolveError::IntegersOnClarabel { .. } => "E0902",
            SolveError::NotLinear { .. } => "E0903",
            SolveError::Malformed(_) => "E0904",
            SolveError::Rejected(_) => "E0905",
            SolveError::MixedIntegerConic { .. } => "E0906",
            SolveError::NotBuilt(_) => "E0907",
        }
    }

    /// The error as a diagnostic, with a hint on what to do.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.code(), self.to_string());
        match self {
            SolveError::PsdNeedsFeature { .. } => d
                .with_help(
                    "rebuild cnnc with `cargo build --features sdp`; it links a system LAPACK \
                     (on Debian/Ubuntu: `apt-get install libopenblas-dev`)",
                )
                .with_note("the problem can still be exported (e.g. as CBF) and solved elsewhere"),
            SolveError::IntegersOnClarabel { .. } => {
                d.with_help("use `solver microlp` for problems with integer variables")
            }
            SolveError::NotLinear { .. } => {
                d.with_help("use `solver clarabel`, which takes every cone but no integers")
            }
            SolveError::Malformed(_) => {
                d.with_note("this is a bug in cnnc's lowering; please report it")
            }
            SolveError::Rejected(_) => d,
            SolveError::NotBuilt(_) => d
                .with_help(
                    "rebuild cnnc with `cargo build --release --features cbc`; it links the system \
                     CBC library (on Debian/Ubuntu: `apt-get install coinor-libcbc-dev`)",
                )
                .with_note("`solver microlp` solves the same problems in every build"),
            SolveError::MixedIntegerConic { .. } => d.with_help(
                "fix the integer choices (e.g. the activation pattern) or use a convex relaxation",
            ),
        }
    }
}

impl From<SolveError> for Diagnostic {
    fn from(e: SolveError) -> Diagnostic {
        e.to_diagnostic()
    }
}

/// Checks that sizes, indices and cone blocks of `p` agree, so back ends can index freely.
pub(super) fn check_shape(p: &ConicProblem) -> Result<(), SolveError> {
    let n = p.num_vars();
    let m = p.num_rows();
    let bad = |s: String| Err(SolveError::Malformed(s));
    if p.q.len() != n {
        return bad(format!("q has {} entries for {n} variables", p.q.len()));
    }
    if (p.p.m, p.p.n) != (n, n) {
        return bad(format!("P is {}×{}, expected {n}×{n}", p.p.m, p.p.n));
    }
    if (p.a.m, p.a.n) != (m, n) {
        return bad(format!("A is {}×{}, expected {m}×{n}", p.a.m, p.a.n));
    }
    for (name, mat) in [("P", &p.p), ("A", &p.a)] {
        let ok = mat.colptr.len() == mat.n + 1
            && mat.colptr.first() == Some(&0)
            && mat.colptr.windows(2).all(|w| w[0] <= w[1])
            && mat.colptr.last() == Some(&mat.nnz())
            && mat.rowval.len() == mat.nnz()
            && mat.rowval.iter().all(|&r| r < mat.m);
        if !ok {
            return bad(format!("{name} is not a valid CSC matrix"));
        }
        if mat.nzval.iter().any(|v| !v.is_finite()) {
            return bad(format!("{name} has a non-finite entry"));
        }
    }
    if let Some((r, c, _)) = p.p.iter().find(|&(r, c, _)| r > c) {
        return bad(format!("P has an entry below the diagonal at ({r}, {c})"));
    }
    if p.q.iter().chain(&p.b).any(|v| !v.is_finite()) || !p.constant.is_finite() {
        return bad("q, b or the constant has a non-finite entry".into());
    }
    if p.origins.len() != p.cones.len() {
        return bad(format!(
            "{} cone blocks but {} origins",
            p.cones.len(),
            p.origins.len()
        ));
    }
    let rows: usize = p.cones.iter().map(Cone::dim).sum();
    if rows != m {
        return bad(format!("cone blocks cover {rows} rows, A has {m}"));
    }
    for c in &p.cones {
        match *c {
            Cone::SecondOrder(0) => return bad("a second-order cone of dimension 0".into()),
            Cone::PsdTriangle(0) => return bad("a PSD cone of size 0".into()),
            Cone::Power(a) if !(a > 0.0 && a < 1.0) => {
                return bad(format!("power cone exponent {a} is not in (0, 1)"))
            }
            _ => {}
        }
    }
    Ok(())
}
