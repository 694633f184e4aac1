//! The typed syntax tree of a `.cnn` file: what was written, with spans, before any name is
//! resolved. Built by [`super::parse`] from pest's pairs.

use serde::Serialize;

use crate::diag::{SourceId, Span};

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where.
    #[serde(skip)]
    pub span: Span,
}

/// One parsed file.
#[derive(Clone, Debug, Serialize)]
pub struct File {
    /// The source it was parsed from.
    #[serde(skip)]
    pub src: SourceId,
    /// Items in order.
    pub items: Vec<Item>,
}

/// A top-level item with its span.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// The whole item.
    #[serde(skip)]
    pub span: Span,
}

/// Top-level items; every one starts with its keyword.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum ItemKind {
    /// `use module` or `use module.{a, b}`.
    Use {
        /// Module name (a file of `stdlib/`).
        module: Ident,
        /// Imported names; `None` imports all.
        names: Option<Vec<Ident>>,
    },
    /// `const name = expr`.
    Const {
        /// Name.
        name: Ident,
        /// Value (a constant expression).
        value: Expr,
    },
    /// `data name = source(args)`.
    Data {
        /// Name.
        name: Ident,
        /// `csv` or `inline`.
        source: Ident,
        /// Arguments.
        args: Vec<Arg>,
    },
    /// `network name(data) { layers }`.
    Network {
        /// Name.
        name: Ident,
        /// The data whose features feed the network.
        input: Ident,
        /// Layers in order.
        layers: Vec<Layer>,
    },
    /// `network name = load("weights.json")`.
    NetworkLoad {
        /// Name.
        name: Ident,
        /// `load`.
        source: Ident,
        /// Arguments.
        args: Vec<Arg>,
    },
    /// `var name[shape] bound`.
    Var {
        /// Name.
        name: Ident,
        /// Zero (scalar), one (vector) or two (matrix) dimensions.
        shape: Vec<Expr>,
        /// Optional bound.
        bound: Option<VarBound>,
    },
    /// `fn name(params) = body`.
    Fn(FnDef),
    /// `activation name(z) = dc(p, q)`.
    Activation(FnDef),
    /// `minimize expr` / `maximize expr`.
    Objective {
        /// Direction.
        sense: Sense,
        /// The objective.
        expr: Expr,
    },
    /// `constraint name [for c in set]: body`.
    Constraint {
        /// Name (used in reports).
        name: Ident,
        /// Optional iteration.
        each: Option<ForClause>,
        /// A comparison or a call of a constraint function.
        body: Body,
    },
    /// `method name(options)`.
    Method {
        /// Method name.
        name: Ident,
        /// Options.
        args: Vec<Arg>,
    },
    /// `solver name(options)`.
    Solver {
        /// Solver name.
        name: Ident,
        /// Options.
        args: Vec<Arg>,
    },
}

/// A layer call inside a network body: `dense(8, relu, bias = column)`.
#[derive(Clone, Debug, Serialize)]
pub struct Layer {
    /// Layer kind.
    pub kind: Ident,
    /// Arguments.
    pub args: Vec<Arg>,
    /// The whole layer.
    #[serde(skip)]
    pub span: Span,
}

/// A function or activation definition.
#[derive(Clone, Debug, Serialize)]
pub struct FnDef {
    /// Name.
    pub name: Ident,
    /// Parameters.
    pub params: Vec<Ident>,
    /// Body.
    pub body: Body,
}

/// `for c in classes(train)`.
#[derive(Clone, Debug, Serialize)]
pub struct ForClause {
    /// Loop variable.
    pub var: Ident,
    /// What it ranges over.
    pub over: Expr,
}

/// A bound on a `var`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VarBound {
    /// `in [lo, hi]`.
    Interval(Expr, Expr),
    /// `>= lo`.
    Lower(Expr),
    /// `<= hi`.
    Upper(Expr),
}

/// Objective direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sense {
    /// `minimize`.
    Minimize,
    /// `maximize`.
    Maximize,
}

/// A function body or constraint: an expression or a comparison.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// A value.
    Expr(Expr),
    /// A constraint.
    Compare(Comparison),
}

/// `lhs op rhs`, or `lhs in [lo, hi]`.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Left side.
    pub lhs: Expr,
    /// The relation.
    pub op: CmpOp,
    /// Right side: one expression, or two for `in [lo, hi]`.
    pub rhs: Vec<Expr>,
    /// The whole comparison.
    #[serde(skip)]
    pub span: Span,
}

/// Relations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    /// `<=`.
    Le,
    /// `>=`.
    Ge,
    /// `==`.
    Eq,
    /// `in [lo, hi]`.
    In,
}

impl CmpOp {
    /// As written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Le => "<=",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::In => "in",
        }
    }
}

/// A call or option argument, positional or named.
#[derive(Clone, Debug, Serialize)]
pub struct Arg {
    /// `name =` for a named argument.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
    /// The whole argument.
    #[serde(skip)]
    pub span: Span,
}

/// An expression with its span.
#[derive(Clone, Debug, Serialize)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    #[serde(skip)]
    pub span: Span,
}

/// Expression forms.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExprKind {
    /// A number literal.
    Number(f64),
    /// A string literal.
    Str(String),
    /// A name.
    Name(String),
    /// `[a, b, …]`.
    List(Vec<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// `a op b`: the parser writes `a ^ b` this way.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a op b op c …`, left-associative: a whole chain of `+ -` or of `* / @` as one node,
    /// so that no pass recurses once per term.
    Chain(Box<Expr>, Vec<(BinOp, Expr)>),
    /// `f(args)`.
    Call(Box<Expr>, Vec<Arg>),
    /// `e[i]` or `e[i, j]`.
    Index(Box<Expr>, Vec<Expr>),
    /// `e.name`.
    Field(Box<Expr>, Ident),
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BinOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*` (scalar or element-wise).
    Mul,
    /// `/`.
    Div,
    /// `@` (matrix product).
    MatMul,
    /// `^`.
    Pow,
}

impl BinOp {
    /// As written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::MatMul => "@",
            BinOp::Pow => "^",
        }
    }
}
