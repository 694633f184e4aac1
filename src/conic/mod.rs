//! The conic IR: the one problem form every training method ends in.
//!
//! ```text
//! minimize ½ xᵀPx + qᵀx + c   subject to   A x + s = b,  s ∈ K = K₁ × … × K_k
//! ```
//! `P` is stored as its upper triangle. Each cone block remembers the stage and source span that
//! produced it ([`Origin`]), so reports and infeasibility messages point back at the model. Integer
//! variables are only allowed on the LP/MILP back end. PSD cones use the upper triangle, stacked
//! column by column, with off-diagonal entries scaled by √2 (Clarabel's convention).

pub mod canon;
pub mod cbf;
pub mod json;
pub mod lp;
pub mod matrix;
pub mod mps;
pub mod print;

pub use matrix::{Csc, Triplets};

use crate::diag::Span;

/// A cone of `K`, with its dimension.
#[derive(Clone, Debug, PartialEq)]
pub enum Cone {
    /// `s = 0` (equalities), of this many rows.
    Zero(usize),
    /// `s ≥ 0`, of this many rows.
    Nonneg(usize),
    /// `‖s[1..]‖₂ ≤ s[0]`, of this many rows.
    SecondOrder(usize),
    /// `{(x, y, z) : y e^{x/y} ≤ z, y > 0}` closure: 3 rows.
    Exponential,
    /// `{(x, y, z) : x^α y^{1−α} ≥ |z|, x, y ≥ 0}`: 3 rows.
    Power(f64),
    /// Symmetric `n×n` PSD matrices, upper triangle, √2-scaled: `n(n+1)/2` rows.
    PsdTriangle(usize),
}

impl Cone {
    /// Number of rows of `A` the cone covers.
    pub fn dim(&self) -> usize {
        match *self {
            Cone::Zero(n) | Cone::Nonneg(n) | Cone::SecondOrder(n) => n,
            Cone::Exponential | Cone::Power(_) => 3,
            Cone::PsdTriangle(n) => n * (n + 1) / 2,
        }
    }
}

/// Where a block of rows (or a variable) came from.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Origin {
    /// The stage that produced it, e.g. `"canon:norm2"`, `"bounds"`.
    pub stage: &'static str,
    /// The training method's lowering whose constraint it is (`patterns`, `rank_lifting`);
    /// empty for the model's own constraints and objective.
    pub lowering: &'static str,
    /// A short human label, e.g. the constraint name `class_error[setosa]`.
    pub label: String,
    /// The model source it came from, if any.
    pub span: Option<Span>,
}

/// A decision variable of the conic problem (one scalar column).
#[derive(Clone, Debug, PartialEq)]
pub struct ConicVar {
    /// Display name, e.g. `W1[0,2]` or `_t3`.
    pub name: String,
    /// Integer variable (MILP back end only).
    pub integer: bool,
}

/// A problem in the conic form above.
#[derive(Clone, Debug, PartialEq)]
pub struct ConicProblem {
    /// Columns.
    pub vars: Vec<ConicVar>,
    /// Quadratic objective, upper triangle, `n×n`.
    pub p: Csc,
    /// Linear objective, length `n`.
    pub q: Vec<f64>,
    /// Constant objective term.
    pub constant: f64,
    /// The objective was a maximization negated into this minimization (for reporting).
    pub maximize: bool,
    /// Constraint matrix, `m×n`.
    pub a: Csc,
    /// Right-hand side, length `m`.
    pub b: Vec<f64>,
    /// Cone blocks covering the rows of `A` in order.
    pub cones: Vec<Cone>,
    /// One origin per cone block.
    pub origins: Vec<Origin>,
}

impl ConicProblem {
    /// Number of variables.
    pub fn num_vars(&self) -> usize {
        self.vars.len()
    }

    /// Number of rows of `A`.
    pub fn num_rows(&self) -> usize {
        self.b.len()
    }
}
