//! Expression trees of a convex program: sparse affine leaves, linear maps and convex atoms.
//!
//! Linear maps over affine arguments are folded into one [`Affine`] as the tree is built, so a
//! tree only keeps structure where curvature matters: `sum_squares(X w − y) + λ‖w‖₁` is an atom
//! node over an affine leaf, plus an atom node, under one `Add`. Every node may carry a source
//! span and a label, which diagnostics and the conic rows it produces point back to.

use crate::conic::Csc;
use crate::diag::Span;

use super::affine::Affine;
use super::ShapeError;

/// The convex (or concave) atoms, with the curvature they have.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Atom {
    /// `Σ x²` over all entries (convex, scalar).
    SumSquares,
    /// `‖x‖² / y` for scalar `y > 0` (convex, scalar).
    QuadOverLin,
    /// `‖x‖₁` (convex, scalar).
    Norm1,
    /// `‖x‖₂`, Frobenius for matrices (convex, scalar).
    Norm2,
    /// `‖x‖∞` (convex, scalar).
    NormInf,
    /// Sum of singular values (convex, scalar).
    NuclearNorm,
    /// Largest singular value (convex, scalar).
    SigmaMax,
    /// `|x|` entry-wise (convex).
    Abs,
    /// `max(x, 0)` entry-wise (convex).
    Pos,
    /// `max(x, y)` entry-wise, a scalar side broadcast (convex).
    Maximum,
    /// Largest entry (convex, scalar).
    Max,
    /// `eˣ` entry-wise (convex).
    Exp,
    /// `log x` entry-wise (concave).
    Log,
    /// `log Σ eˣ` (convex, scalar).
    LogSumExp,
    /// `log(1 + eˣ)` entry-wise, also called logistic (convex).
    Softplus,
    /// `xᵖ` entry-wise: for `p ≥ 1` convex (`|x|ᵖ`, so the argument must be non-negative unless
    /// `p` is an even integer), for `0 < p < 1` concave on `x ≥ 0`.
    Power(f64),
}

impl Atom {
    /// The name used in messages and stages.
    pub fn name(self) -> &'static str {
        match self {
            Atom::SumSquares => "sum_squares",
            Atom::QuadOverLin => "quad_over_lin",
            Atom::Norm1 => "norm1",
            Atom::Norm2 => "norm2",
            Atom::NormInf => "norm_inf",
            Atom::NuclearNorm => "nuclear_norm",
            Atom::SigmaMax => "sigma_max",
            Atom::Abs => "abs",
            Atom::Pos => "pos",
            Atom::Maximum => "maximum",
            Atom::Max => "max",
            Atom::Exp => "exp",
            Atom::Log => "log",
            Atom::LogSumExp => "log_sum_exp",
            Atom::Softplus => "softplus",
            Atom::Power(_) => "power",
        }
    }

    /// Number of arguments.
    pub fn arity(self) -> usize {
        match self {
            Atom::QuadOverLin | Atom::Maximum => 2,
            _ => 1,
        }
    }

    /// Whether the result has the argument's shape (otherwise it is a scalar).
    pub fn elementwise(self) -> bool {
        matches!(
            self,
            Atom::Abs
                | Atom::Pos
                | Atom::Maximum
                | Atom::Exp
                | Atom::Log
                | Atom::Softplus
                | Atom::Power(_)
        )
    }
}

/// A linear map applied to one or more arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum LinOp {
    /// Sum of the arguments (a 1×1 argument is broadcast).
    Add,
    /// Multiplication by a scalar.
    Scale(f64),
    /// Entry-wise product with data (column-major, one value or one per entry).
    MulElem(Vec<f64>),
    /// `M · arg` for a constant sparse `M`.
    LeftMul(Csc),
    /// `arg · N` for a constant sparse `N`.
    RightMul(Csc),
    /// Sum of all entries.
    Sum,
    /// Transpose.
    Transpose,
    /// Entries at column-major positions, reshaped to `rows×cols`.
    Select {
        /// Positions.
        idx: Vec<usize>,
        /// Result rows.
        rows: usize,
        /// Result columns.
        cols: usize,
    },
    /// Vertical stack.
    VStack,
    /// Horizontal stack.
    HStack,
}

impl LinOp {
    /// Applies the map to affine arguments.
    pub fn apply(&self, args: &[Affine]) -> Result<Affine, ShapeError> {
        let one = |args: &[Affine]| -> Result<Affine, ShapeError> {
            match args {
                [a] => Ok(a.clone()),
                _ => Err(ShapeError::new(format!(
                    "{} arguments for a unary map",
                    args.len()
                ))),
            }
        };
        match self {
            LinOp::Add => Affine::add_all(args),
            LinOp::Scale(c) => Ok(one(args)?.scale(*c)),
            LinOp::MulElem(d) => one(args)?.mul_elem(d),
            LinOp::LeftMul(m) => one(args)?.left_mul(m),
            LinOp::RightMul(n) => one(args)?.right_mul(n),
            LinOp::Sum => Ok(one(args)?.sum()),
            LinOp::Transpose => Ok(one(args)?.transpose()),
            LinOp::Select { idx, rows, cols } => one(args)?.select(idx, *rows, *cols),
            LinOp::VStack => Affine::vstack(args),
            LinOp::HStack => Affine::hstack(args),
        }
    }

    /// The result shape for arguments of these shapes.
    fn shape(&self, args: &[(usize, usize)]) -> Result<(usize, usize), ShapeError> {
        let first = args.first().copied().unwrap_or((1, 1));
        Ok(match self {
            LinOp::Add => {
                let mut s = (1, 1);
                for &a in args {
                    if a != (1, 1) {
                        if s != (1, 1) && s != a {
                            return Err(ShapeError::new(format!(
                                "sum of a {}x{} and a {}x{} expression",
                                s.0, s.1, a.0, a.1
                            )));
                        }
                        s = a;
                    }
                }
                s
            }
            LinOp::Scale(_) => first,
            LinOp::MulElem(d) => {
                if d.len() != 1 && d.len() != first.0 * first.1 {
                    return Err(ShapeError::new(format!(
                        "entry-wise product of a {}x{} expression with {} values",
                        first.0,
                        first.1,
                        d.len()
                    )));
                }
                first
            }
            LinOp::LeftMul(m) => {
                if m.n != first.0 {
                    return Err(ShapeError::new(format!(
                        "product of a {}x{} matrix and a {}x{} expression",
                        m.m, m.n, first.0, first.1
                    )));
                }
                (m.m, first.1)
            }
            LinOp::RightMul(n) => {
                if n.m != first.1 {
                    return Err(ShapeError::new(format!(
                        "product of a {}x{} expression and a {}x{} matrix",
                        first.0, first.1, n.m, n.n
                    )));
                }
                (first.0, n.n)
            }
            LinOp::Sum => (1, 1),
            LinOp::Transpose => (first.1, first.0),
            LinOp::Select { idx, rows, cols } => {
                let len = first.0 * first.1;
                if idx.len() != rows * cols || idx.iter().any(|&k| k >= len) {
                    return Err(ShapeError::new(format!(
                        "selection of {} entries as {rows}x{cols} from a {}x{} expression",
                        idx.len(),
                        first.0,
                        first.1
                    )));
                }
                (*rows, *cols)
            }
            LinOp::VStack => {
                if args.iter().any(|a| a.1 != first.1) {
                    return Err(ShapeError::new("vertical stack of different widths".into()));
                }
                (args.iter().map(|a| a.0).sum(), first.1)
            }
            LinOp::HStack => {
                if args.iter().any(|a| a.0 != first.0) {
                    return Err(ShapeError::new(
                        "horizontal stack of different heights".into(),
                    ));
                }
                (first.0, args.iter().map(|a| a.1).sum())
            }
        })
    }

    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            LinOp::Add => "sum",
            LinOp::Scale(_) => "scaling",
            LinOp::MulElem(_) => "entry-wise product with data",
            LinOp::LeftMul(_) | LinOp::RightMul(_) => "product with a constant matrix",
            LinOp::Sum => "sum of entries",
            LinOp::Transpose => "transpose",
            LinOp::Select { .. } => "selection",
            LinOp::VStack | LinOp::HStack => "stack",
        }
    }
}

/// What an expression node is.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// An affine leaf (variables and constants, already combined).
    Affine(Affine),
    /// A linear map over sub-expressions of which at least one is not affine.
    Linear(LinOp, Vec<Expr>),
    /// An atom applied to its arguments.
    Atom(Atom, Vec<Expr>),
    /// A product of two non-constant expressions: kept only so the analysis can name it.
    Product(Box<Expr>, Box<Expr>),
    /// Something with no convex meaning, with the reason (e.g. division by a variable).
    Invalid(String, Vec<Expr>),
}

/// An expression of a program: a node, its shape, and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The node.
    pub node: Node,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Source span.
    pub span: Option<Span>,
    /// Text shown in messages (e.g. the source text `W2 * a1`).
    pub label: Option<String>,
}

impl From<Affine> for Expr {
    fn from(a: Affine) -> Expr {
        Expr {
            rows: a.rows(),
            cols: a.cols(),
            node: Node::Affine(a),
            span: None,
            label: None,
        }
    }
}

impl Expr {
    /// The scalar constant `c`.
    pub fn scalar(c: f64) -> Expr {
        Affine::scalar(c).into()
    }

    /// A constant matrix (column-major values).
    pub fn constant(rows: usize, cols: usize, values: Vec<f64>) -> Result<Expr, ShapeError> {
        Ok(Affine::constant(rows, cols, values)?.into())
    }

    /// Attaches a source span.
    pub fn with_span(mut self, span: Span) -> Expr {
        self.span = Some(span);
        self
    }

    /// Attaches a label.
    pub fn with_label(mut self, label: impl Into<String>) -> Expr {
        self.label = Some(label.into());
        self
    }

    /// The affine leaf, if this is one.
    pub fn as_affine(&self) -> Option<&Affine> {
        match &self.node {
            Node::Affine(a) => Some(a),
            _ => None,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies a linear map, folding it when every argument is affine.
    pub fn linear(op: LinOp, args: Vec<Expr>) -> Result<Expr, ShapeError> {
        let shapes: Vec<_> = args.iter().map(|a| (a.rows, a.cols)).collect();
        let (rows, cols) = op.shape(&shapes)?;
        if args.iter().all(|a| a.as_affine().is_some()) {
            let affs: Vec<Affine> = args
                .into_iter()
                .filter_map(|a| match a.node {
                    Node::Affine(x) => Some(x),
                    _ => None,
                })
                .collect();
            return Ok(op.apply(&affs)?.into());
        }
        Ok(Expr {
            node: Node::Linear(op, args),
            rows,
            cols,
            span: None,
            label: None,
        })
    }

    /// An atom over its arguments (shapes checked).
    pub fn atom(atom: Atom, args: Vec<Expr>) -> Result<Expr, ShapeError> {
        if args.len() != atom.arity() {
            return Err(ShapeError::new(format!(
                "{} takes {} argument(s), got {}",
                atom.name(),
                atom.arity(),
                args.len()
            )));
        }
        let (rows, cols) = match atom {
            Atom::Maximum => {
                LinOp::Add.shape(&[(args[0].rows, args[0].cols), (args[1].rows, args[1].cols)])?
            }
            Atom::QuadOverLin => {
                if args[1].len() != 1 {
                    return Err(ShapeError::new(
                        "quad_over_lin needs a scalar denominator".into(),
                    ));
                }
                (1, 1)
            }
            a if a.elementwise() => (args[0].rows, args[0].cols),
            _ => (1, 1),
        };
        if let Atom::Power(p) = atom {
            if !(p > 0.0 && p.is_finite()) {
                return Err(ShapeError::new(format!(
                    "power with exponent {p}: only p > 0 is convex or concave"
                )));
            }
        }
        Ok(Expr {
            node: Node::Atom(atom, args),
            rows,
            cols,
            span: None,
            label: None,
        })
    }

    /// `self + other`.
    pub fn plus(self, other: Expr) -> Result<Expr, ShapeError> {
        Expr::linear(LinOp::Add, vec![self, other])
    }

    /// `self − other`.
    pub fn minus(self, other: Expr) -> Result<Expr, ShapeError> {
        Expr::linear(LinOp::Add, vec![self, other.scale(-1.0)])
    }

    /// `c · self`; a scaling of a scaling is one (so `abs(x) * 2 * 2 * …` does not nest).
    pub fn scale(self, c: f64) -> Expr {
        let (rows, cols) = (self.rows, self.cols);
        match self.node {
            Node::Affine(a) => a.scale(c).into(),
            Node::Linear(LinOp::Scale(c0), args) => Expr {
                node: Node::Linear(LinOp::Scale(c0 * c), args),
                rows,
                cols,
                span: None,
                label: None,
            },
            node => Expr {
                node: Node::Linear(
                    LinOp::Scale(c),
                    vec![Expr {
                        node,
                        rows,
                        cols,
                        span: self.span,
                        label: self.label,
                    }],
                ),
                rows,
                cols,
                span: None,
                label: None,
            },
        }
    }

    /// `−self`.
    pub fn negate(self) -> Expr {
        self.scale(-1.0)
    }

    /// Entry-wise product with data; a product of a product is one (so `abs(x) * d * d * …`
    /// does not nest).
    pub fn mul_elem(self, data: Vec<f64>) -> Result<Expr, ShapeError> {
        if let Node::Linear(LinOp::MulElem(d0), args) = &self.node {
            if d0.len() == data.len() && args.len() == 1 {
                let (rows, cols) = (self.rows, self.cols);
                let Node::Linear(LinOp::MulElem(d0), args) = self.node else {
                    unreachable!("matched above")
                };
                let d = d0.iter().zip(&data).map(|(a, b)| a * b).collect();
                return Ok(Expr {
                    node: Node::Linear(LinOp::MulElem(d), args),
                    rows,
                    cols,
                    span: None,
                    label: None,
                });
            }
        }
        Expr::linear(LinOp::MulElem(data), vec![self])
    }

    /// `M · self`.
    pub fn left_mul(self, m: Csc) -> Result<Expr, ShapeError> {
        Expr::linear(LinOp::LeftMul(m), vec![self])
    }

    /// `self · N`.
    pub fn right_mul(self, n: Csc) -> Result<Expr, ShapeError> {
        Expr::linear(LinOp::RightMul(n), vec![self])
    }

    /// Sum of all entries.
    pub fn sum(self) -> Expr {
        let (rows, cols) = (self.rows, self.cols);
        match self.node {
            Node::Affine(a) => a.sum().into(),
            node => Expr {
                node: Node::Linear(
                    LinOp::Sum,
                    vec![Expr {
                        node,
                        rows,
                        cols,
                        span: self.span,
                        label: self.label,
                    }],
                ),
                rows: 1,
                cols: 1,
                span: None,
                label: None,
            },
        }
    }

    /// Transpose.
    pub fn transpose(self) -> Result<Expr, ShapeError> {
        Expr::linear(LinOp::Transpose, vec![self])
    }

    /// Entry `(i, j)`.
    pub fn at(self, i: usize, j: usize) -> Result<Expr, ShapeError> {
        let rows = self.rows;
        Expr::linear(
            LinOp::Select {
                idx: vec![i + j * rows],
                rows: 1,
                cols: 1,
            },
            vec![self],
        )
    }

    /// The rows with these indices.
    pub fn select_rows(self, idx: &[usize]) -> Result<Expr, ShapeError> {
        let (rows, cols) = (self.rows, self.cols);
        let mut all = Vec::with_capacity(idx.len() * cols);
        for j in 0..cols {
            all.extend(idx.iter().map(|&i| i + j * rows));
        }
        Expr::linear(
            LinOp::Select {
                idx: all,
                rows: idx.len(),
                cols,
            },
            vec![self],
        )
    }

    /// Vertical stack.
    pub fn vstack(parts: Vec<Expr>) -> Result<Expr, ShapeError> {
        Expr::linear(LinOp::VStack, parts)
    }

    /// Horizontal stack.
    pub fn hstack(parts: Vec<Expr>) -> Result<Expr, ShapeError> {
        Expr::linear(LinOp::HStack, parts)
    }

    /// `sum_squares(self)`.
    pub fn sum_squares(self) -> Expr {
        self.unary(Atom::SumSquares)
    }

    /// `‖self‖₁`.
    pub fn norm1(self) -> Expr {
        self.unary(Atom::Norm1)
    }

    /// `‖self‖₂`.
    pub fn norm2(self) -> Expr {
        self.unary(Atom::Norm2)
    }

    /// `max(self, 0)` entry-wise.
    pub fn pos(self) -> Expr {
        self.unary(Atom::Pos)
    }

    fn unary(self, atom: Atom) -> Expr {
        let (rows, cols) = if atom.elementwise() {
            (self.rows, self.cols)
        } else {
            (1, 1)
        };
        Expr {
            node: Node::Atom(atom, vec![self]),
            rows,
            cols,
            span: None,
            label: None,
        }
    }
}
