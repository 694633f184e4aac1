//! The convex-program layer: variables, sparse affine expressions, atoms, constraints, objective.
//!
//! ```text
//! minimize f₀(x)  (or maximize a concave one)   subject to   fᵢ(x) ≤ gᵢ(x),  aⱼ(x) = bⱼ(x),
//!                 ‖u(x)‖₂ ≤ t(x),  ‖u(x)‖₂² ≤ v(x)w(x),  S(x) ⪰ 0,  l ≤ x ≤ u,  x_k ∈ ℤ for integer blocks
//! ```
//! Lowerings build a [`Program`] directly in Rust (see [`Program::add_var`], [`Expr`] and
//! [`Constraint`]); [`from_model`] builds one from the convex part of a model. [`dcp`] checks
//! curvature before `crate::conic::canon` turns it into the conic IR. A variable block occupies
//! consecutive scalar columns, column-major, in the order blocks were added.
//!
//! A lowering builds its program like this (one pattern of the group lasso of docs/PATTERNS.md, with
//! `D X` a row mask of the data, never an `n×n` matrix):
//! ```
//! use cnnc::convex::{csc_from_dense, Affine, Constraint, Expr, Program, VarSpec};
//! # fn main() -> Result<(), cnnc::convex::ShapeError> {
//! let x = [1.0, 2.0, -1.0, 0.5, 1.0, 1.0]; // 3×2, column-major
//! let mask = [true, false, true];
//! let dx: Vec<f64> = (0..6).map(|k| if mask[k % 3] { x[k] } else { 0.0 }).collect();
//! let sx: Vec<f64> = (0..6).map(|k| if mask[k % 3] { x[k] } else { -x[k] }).collect();
//! let mut p = Program::new();
//! let v = p.add_var(VarSpec::new("v", 2, 1));
//! let yhat = p.var(v).left_mul(&csc_from_dense(3, 2, &dx))?;
//! let fit = yhat.sub(&Affine::constant(3, 1, vec![1.0, -1.0, 1.0])?)?;
//! p.minimize(Expr::from(fit).sum_squares().scale(0.5).plus(p.var_expr(v).norm2().scale(1e-3))?);
//! let cone = Expr::from(p.var(v).left_mul(&csc_from_dense(3, 2, &sx))?);
//! p.constrain(Constraint::ge(cone, Expr::scalar(0.0)).with_label("pattern 0"));
//! let (conic, columns) = cnnc::conic::canon::canonicalize(&p).expect("a DCP program");
//! assert_eq!(columns.blocks[0].name, "v");
//! // Two residual equalities (the masked-out sample is a constant), the cone ‖v‖₂ ≤ t (3 rows)
//! // and the three pattern rows.
//! assert_eq!(conic.num_rows(), 2 + 3 + 3);
//! # Ok(())
//! # }
//! ```

pub mod affine;
pub mod dcp;
pub mod expr;
pub mod from_model;
pub mod print;

pub use affine::{csc_from_dense, csc_from_dmatrix, Affine, Terms};
pub use expr::{Atom, Expr, LinOp, Node};

use crate::diag::{Diagnostic, Span};

/// A shape mismatch while building an expression: a bug in the code building the program.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("shape mismatch: {0}")]
pub struct ShapeError(pub String);

impl ShapeError {
    /// A new error with this message.
    pub fn new(message: String) -> ShapeError {
        ShapeError(message)
    }

    /// As a diagnostic (`E0607`), pointing at `span` if known.
    pub fn to_diagnostic(&self, span: Option<Span>) -> Diagnostic {
        let d = Diagnostic::error("E0607", self.to_string())
            .with_note("the convex program was built with inconsistent shapes");
        match span {
            Some(s) => d.with_primary(s, "here"),
            None => d,
        }
    }
}

/// Index of a variable block in [`Program::vars`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub usize);

/// A block of scalar decision variables of one shape.
#[derive(Clone, Debug, PartialEq)]
pub struct VarBlock {
    /// Name, e.g. `w` or `v[3]`.
    pub name: String,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Element-wise lower bound.
    pub lower: Option<f64>,
    /// Element-wise upper bound.
    pub upper: Option<f64>,
    /// Integer-valued (MILP back end only).
    pub integer: bool,
    /// Where it was declared.
    pub span: Option<Span>,
    /// The first scalar column.
    pub offset: usize,
}

impl VarBlock {
    /// Number of scalar columns.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Options of a new variable block: `Program::add_var(VarSpec::new("w", 3, 1).lower(0.0))`.
#[derive(Clone, Debug, PartialEq)]
pub struct VarSpec {
    name: String,
    rows: usize,
    cols: usize,
    lower: Option<f64>,
    upper: Option<f64>,
    integer: bool,
    span: Option<Span>,
}

impl VarSpec {
    /// A `rows×cols` block (a scalar is 1×1, a vector `n×1`).
    pub fn new(name: impl Into<String>, rows: usize, cols: usize) -> VarSpec {
        VarSpec {
            name: name.into(),
            rows,
            cols,
            lower: None,
            upper: None,
            integer: false,
            span: None,
        }
    }

    /// Element-wise lower bound.
    pub fn lower(mut self, l: f64) -> VarSpec {
        self.lower = Some(l);
        self
    }

    /// Element-wise upper bound.
    pub fn upper(mut self, u: f64) -> VarSpec {
        self.upper = Some(u);
        self
    }

    /// Integer-valued.
    pub fn integer(mut self) -> VarSpec {
        self.integer = true;
        self
    }

    /// Declaration span.
    pub fn span(mut self, s: Span) -> VarSpec {
        self.span = Some(s);
        self
    }
}

/// The relation of a constraint.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstraintKind {
    /// `lhs = rhs` (both affine).
    Eq(Expr, Expr),
    /// `lhs ≤ rhs` (convex ≤ concave).
    Le(Expr, Expr),
    /// `‖x‖₂ ≤ t` (both affine, `t` scalar).
    Soc {
        /// The bound.
        t: Expr,
        /// The vector (or matrix, Frobenius).
        x: Expr,
    },
    /// `‖x‖₂² ≤ u·v`, `u, v ≥ 0` (all affine, `u`, `v` scalar): the rotated cone, one SOC block.
    RotatedSoc {
        /// First factor of the bound.
        u: Expr,
        /// Second factor of the bound.
        v: Expr,
        /// The vector (or matrix, Frobenius).
        x: Expr,
    },
    /// `(S + Sᵀ)/2 ⪰ 0` for an affine square `S` (only its symmetric part is constrained).
    Psd(Expr),
}

/// A constraint with its origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    /// The relation.
    pub kind: ConstraintKind,
    /// Source span.
    pub span: Option<Span>,
    /// Name, e.g. `class_error[benign]`.
    pub label: String,
    /// The lowering that wrote it (`patterns`, `rank_lifting`); empty for the model's own.
    pub stage: &'static str,
}

impl Constraint {
    fn new(kind: ConstraintKind) -> Constraint {
        Constraint {
            kind,
            span: None,
            label: String::new(),
            stage: "",
        }
    }

    /// Names the lowering that wrote the constraint.
    pub fn with_stage(mut self, stage: &'static str) -> Constraint {
        self.stage = stage;
        self
    }

    /// `lhs = rhs`.
    pub fn eq(lhs: Expr, rhs: Expr) -> Constraint {
        Constraint::new(ConstraintKind::Eq(lhs, rhs))
    }

    /// `lhs ≤ rhs`.
    pub fn le(lhs: Expr, rhs: Expr) -> Constraint {
        Constraint::new(ConstraintKind::Le(lhs, rhs))
    }

    /// `lhs ≥ rhs`.
    pub fn ge(lhs: Expr, rhs: Expr) -> Constraint {
        Constraint::new(ConstraintKind::Le(rhs, lhs))
    }

    /// `‖x‖₂ ≤ t`.
    pub fn soc(t: Expr, x: Expr) -> Constraint {
        Constraint::new(ConstraintKind::Soc { t, x })
    }

    /// `‖x‖₂² ≤ u·v` with `u, v ≥ 0`.
    pub fn rotated_soc(u: Expr, v: Expr, x: Expr) -> Constraint {
        Constraint::new(ConstraintKind::RotatedSoc { u, v, x })
    }

    /// `S ⪰ 0`.
    pub fn psd(s: Expr) -> Constraint {
        Constraint::new(ConstraintKind::Psd(s))
    }

    /// Attaches a source span.
    pub fn with_span(mut self, span: Span) -> Constraint {
        self.span = Some(span);
        self
    }

    /// Attaches a name.
    pub fn with_label(mut self, label: impl Into<String>) -> Constraint {
        self.label = label.into();
        self
    }
}

/// Minimize or maximize.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    /// Minimize a convex expression.
    Minimize,
    /// Maximize a concave expression.
    Maximize,
}

/// The objective.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// Direction.
    pub sense: Sense,
    /// A scalar expression.
    pub expr: Expr,
    /// Source span.
    pub span: Option<Span>,
    /// The lowering that wrote it; empty for the model's own.
    pub stage: &'static str,
}

/// A convex program.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Program {
    /// Variable blocks, in column order.
    pub vars: Vec<VarBlock>,
    /// The objective (`None`: a feasibility problem).
    pub objective: Option<Objective>,
    /// Constraints.
    pub constraints: Vec<Constraint>,
    /// Keep coefficients that are exactly 0 in the assembled `A` (structural zeros): a
    /// sequential lowering whose numbers change between passes keeps one sparsity pattern, so
    /// the solver can be updated in place ([`crate::solve::Session`]).
    pub keep_zeros: bool,
}

impl Program {
    /// An empty program.
    pub fn new() -> Program {
        Program::default()
    }

    /// Number of scalar columns of all blocks.
    pub fn num_columns(&self) -> usize {
        self.vars.last().map_or(0, |v| v.offset + v.len())
    }

    /// Adds a variable block.
    pub fn add_var(&mut self, spec: VarSpec) -> VarId {
        let offset = self.num_columns();
        self.vars.push(VarBlock {
            name: spec.name,
            rows: spec.rows,
            cols: spec.cols,
            lower: spec.lower,
            upper: spec.upper,
            integer: spec.integer,
            span: spec.span,
            offset,
        });
        VarId(self.vars.len() - 1)
    }

    /// The block `id` as an affine expression.
    pub fn var(&self, id: VarId) -> Affine {
        let b = &self.vars[id.0];
        Affine::columns(b.offset, b.rows, b.cols)
    }

    /// The block `id` as an expression (with its declaration span).
    pub fn var_expr(&self, id: VarId) -> Expr {
        let b = &self.vars[id.0];
        let e = Expr::from(self.var(id)).with_label(b.name.clone());
        match b.span {
            Some(s) => e.with_span(s),
            None => e,
        }
    }

    /// Sets the objective to `minimize expr`.
    pub fn minimize(&mut self, expr: Expr) {
        self.objective = Some(Objective {
            sense: Sense::Minimize,
            span: expr.span,
            expr,
            stage: "",
        });
    }

    /// Sets the objective to `maximize expr`.
    pub fn maximize(&mut self, expr: Expr) {
        self.objective = Some(Objective {
            sense: Sense::Maximize,
            span: expr.span,
            expr,
            stage: "",
        });
    }

    /// Adds a constraint.
    pub fn constrain(&mut self, c: Constraint) {
        self.constraints.push(c);
    }

    /// The block holding scalar column `col` and the entry's `(row, col)` inside it.
    pub fn locate(&self, col: usize) -> Option<(VarId, usize, usize)> {
        let i = self.vars.partition_point(|v| v.offset + v.len() <= col);
        let b = self.vars.get(i)?;
        let k = col.checked_sub(b.offset)?;
        Some((VarId(i), k % b.rows.max(1), k / b.rows.max(1)))
    }
}
