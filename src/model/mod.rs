//! The resolved model IR: what the checker understood from a `.cnn` file and its imports.
//!
//! Data are loaded with shapes, layers are expanded into weight and bias variables, library
//! functions are inlined down to primitive atoms, per-class constraints are expanded into one
//! constraint per class, and every node keeps the span it came from. Lowerings (hyperplane
//! patterns, rank lifting, Convex-NN, big-M) read this IR; none of them re-reads the AST.

pub mod print;

use nalgebra::{DMatrix, DVector};
use serde::Serialize;

use crate::diag::{Diagnostic, Span};
pub use crate::syntax::ast::{CmpOp, Sense};

/// Index of a dataset in [`Model::datasets`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct DataId(pub usize);
/// Index of a network in [`Model::networks`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct NetId(pub usize);
/// Index of a variable in [`Model::vars`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct VarId(pub usize);

/// A shape: `[]` scalar, `[n]` vector, `[n, m]` matrix.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Shape(pub Vec<usize>);

impl Shape {
    /// The scalar shape.
    pub fn scalar() -> Shape {
        Shape(Vec::new())
    }
    /// Whether this is a scalar.
    pub fn is_scalar(&self) -> bool {
        self.0.is_empty()
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.iter().product()
    }
    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Rows (1 for a scalar).
    pub fn rows(&self) -> usize {
        self.0.first().copied().unwrap_or(1)
    }
    /// Columns (1 for a scalar or vector).
    pub fn cols(&self) -> usize {
        self.0.get(1).copied().unwrap_or(1)
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_slice() {
            [] => write!(f, "scalar"),
            [n] => write!(f, "[{n}]"),
            dims => write!(
                f,
                "[{}]",
                dims.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("x")
            ),
        }
    }
}

/// A resolved model.
#[derive(Clone, Debug, Serialize)]
pub struct Model {
    /// The model file's name as given.
    pub file: String,
    /// Named constants with their final values.
    pub constants: Vec<Constant>,
    /// Datasets.
    pub datasets: Vec<Dataset>,
    /// Networks.
    pub networks: Vec<Network>,
    /// Decision variables: user variables, then network weights and biases.
    pub vars: Vec<Variable>,
    /// The objective, if any (a model without one is a feasibility problem).
    pub objective: Option<Objective>,
    /// Constraints, per-class ones expanded.
    pub constraints: Vec<Constraint>,
    /// Training methods in order of declaration; the first is the default.
    pub methods: Vec<Method>,
    /// The solver and its settings.
    pub solver: Solver,
}

/// A named constant.
#[derive(Clone, Debug, Serialize)]
pub struct Constant {
    /// Name.
    pub name: String,
    /// Value.
    pub value: f64,
    /// Set on the command line (`--set`).
    pub overridden: bool,
    /// Declaration.
    #[serde(skip)]
    pub span: Span,
}

/// Where a dataset came from.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataOrigin {
    /// A CSV file.
    Csv {
        /// The path as written in the model (or given with `--data`).
        path: String,
    },
    /// Inline matrices in the model.
    Inline,
}

/// What the targets of a dataset are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Numeric targets (regression), one column per target.
    Values,
    /// Class labels, coded −1/+1: one column for two classes (the positive class is +1),
    /// one column per class (one-vs-rest) for more.
    Classes,
}

/// A class of a labelled dataset.
#[derive(Clone, Debug, Serialize)]
pub struct Class {
    /// Label as in the data.
    pub name: String,
    /// Training samples of the class (row indices into `x`).
    pub rows: Vec<usize>,
    /// Validation samples of the class (row indices into `validation_x`).
    pub validation_rows: Vec<usize>,
    /// Test samples of the class (row indices into `test_x`).
    pub test_rows: Vec<usize>,
    /// The sample weight of the class's rows with `weights = balanced`:
    /// `n / (k · |C|)` for `n` training rows, `k` classes and `|C|` training rows of the class.
    pub weight: Option<f64>,
}

/// A loaded dataset, split and standardized as declared.
#[derive(Clone, Debug, Serialize)]
pub struct Dataset {
    /// Name.
    pub name: String,
    /// Source.
    pub origin: DataOrigin,
    /// Feature column names.
    pub feature_names: Vec<String>,
    /// Target column names (empty when there is no target).
    pub target_names: Vec<String>,
    /// Target kind, if there is a target.
    pub target_kind: Option<TargetKind>,
    /// Training features, n×d.
    #[serde(skip)]
    pub x: DMatrix<f64>,
    /// Training targets, n×k (k = 0 without target).
    #[serde(skip)]
    pub y: DMatrix<f64>,
    /// Validation features (0 rows without `validation`), standardized as the training rows.
    #[serde(skip)]
    pub validation_x: DMatrix<f64>,
    /// Validation targets.
    #[serde(skip)]
    pub validation_y: DMatrix<f64>,
    /// Test features (0 rows without a split).
    #[serde(skip)]
    pub test_x: DMatrix<f64>,
    /// Test targets.
    #[serde(skip)]
    pub test_y: DMatrix<f64>,
    /// Sample weights of the training rows (`weights = balanced`), shaped like `y`: every
    /// column of row `i` holds that row's weight (its class's [`Class::weight`]).
    #[serde(skip)]
    pub w: Option<DMatrix<f64>>,
    /// Classes, for labelled data.
    pub classes: Vec<Class>,
    /// Column means and standard deviations removed from the features, if standardized.
    pub standardization: Option<Standardization>,
    /// The training share of the split (training and validation rows), if split.
    pub split: Option<f64>,
    /// The seed of the shuffles that split off test and validation rows (`seed =`, else 0).
    pub seed: u64,
    /// The validation share of all rows (taken from the training share), if declared.
    pub validation: Option<f64>,
    /// Declaration.
    #[serde(skip)]
    pub span: Span,
}

/// Feature standardization `(x − mean) / std`, computed on the training rows.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct Standardization {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column standard deviations (1 where a column is constant).
    pub std: Vec<f64>,
}

impl Dataset {
    /// Number of training samples.
    pub fn n(&self) -> usize {
        self.x.nrows()
    }
    /// Number of features.
    pub fn d(&self) -> usize {
        self.x.ncols()
    }
    /// Shape of `.y` as the language sees it: `[n]` for one target column, `[n, k]` for more.
    pub fn y_shape(&self) -> Shape {
        match self.y.ncols() {
            1 => Shape(vec![self.n()]),
            k => Shape(vec![self.n(), k]),
        }
    }
}

/// How a layer adds its bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BiasMode {
    /// A separate bias vector `b` (not regularized by `weights(net)`).
    Separate,
    /// A column of ones appended to the layer input: the bias is a column of `W`.
    Column,
    /// No bias.
    None,
}

/// An activation, resolved to its definition's DC split `h = p − q`.
#[derive(Clone, Debug, Serialize)]
pub struct Activation {
    /// Name.
    pub name: String,
    /// `p(z)` over the scalar placeholder variable `z` ([`ExprKind::Placeholder`]).
    pub p: Expr,
    /// `q(z)`.
    pub q: Expr,
}

/// A dense layer `a = h(W x + b)`.
#[derive(Clone, Debug, Serialize)]
pub struct Layer {
    /// Input width (without a bias column).
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// Activation.
    pub activation: Activation,
    /// Bias handling.
    pub bias: BiasMode,
    /// The weight variable (`outputs × inputs`, one more column with `bias = column`),
    /// or fixed weights for a loaded network.
    pub weight: LayerParam,
    /// The bias variable (`outputs`) for [`BiasMode::Separate`].
    pub bias_param: Option<LayerParam>,
    /// Declaration.
    #[serde(skip)]
    pub span: Span,
}

/// A layer parameter: trained (a variable) or fixed (loaded from a weights file).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerParam {
    /// A decision variable.
    Var(VarId),
    /// Fixed values.
    Fixed(#[serde(skip)] DMatrix<f64>),
}

/// A network.
#[derive(Clone, Debug, Serialize)]
pub struct Network {
    /// Name.
    pub name: String,
    /// The data it is declared over (`None` for a loaded network).
    pub input: Option<DataId>,
    /// Input width.
    pub inputs: usize,
    /// Layers, input to output.
    pub layers: Vec<Layer>,
    /// Loaded from this weights file (fixed weights).
    pub loaded_from: Option<String>,
    /// Standardization recorded in the weights file, applied to inputs before the first layer.
    pub standardization: Option<Standardization>,
    /// Declaration.
    #[serde(skip)]
    pub span: Span,
}

impl Network {
    /// Output width.
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(self.inputs, |l| l.outputs)
    }
}

/// What a variable stands for.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VarRole {
    /// Declared with `var`.
    User,
    /// Weights of layer `layer` (0-based) of a network.
    Weight {
        /// Network.
        net: NetId,
        /// Layer.
        layer: usize,
    },
    /// Bias of a layer.
    Bias {
        /// Network.
        net: NetId,
        /// Layer.
        layer: usize,
    },
}

/// A decision variable.
#[derive(Clone, Debug, Serialize)]
pub struct Variable {
    /// Name (`net.W1` for network parameters).
    pub name: String,
    /// Shape.
    pub shape: Shape,
    /// Element-wise lower bound.
    pub lower: Option<f64>,
    /// Element-wise upper bound.
    pub upper: Option<f64>,
    /// What it is.
    pub role: VarRole,
    /// Declaration.
    #[serde(skip)]
    pub span: Span,
}

/// The objective.
#[derive(Clone, Debug, Serialize)]
pub struct Objective {
    /// Direction.
    pub sense: Sense,
    /// The expression (a scalar).
    pub expr: Expr,
    /// The item.
    #[serde(skip)]
    pub span: Span,
}

/// A constraint `lhs op rhs` (or `lhs in [rhs0, rhs1]`).
#[derive(Clone, Debug, Serialize)]
pub struct Constraint {
    /// Name, with the class in brackets for per-class constraints: `class_error[benign]`.
    pub name: String,
    /// Relation.
    pub op: CmpOp,
    /// Left side.
    pub lhs: Expr,
    /// Right side(s).
    pub rhs: Vec<Expr>,
    /// The constraint item.
    #[serde(skip)]
    pub span: Span,
}

/// Primitive atoms: the only functions built into the compiler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Atom {
    /// Sum of all entries.
    Sum,
    /// Sum of squares of all entries.
    SumSquares,
    /// `quad_over_lin(x, y) = ‖x‖² / y`.
    QuadOverLin,
    /// ‖x‖₁.
    Norm1,
    /// ‖x‖₂ (Frobenius for matrices).
    Norm2,
    /// ‖x‖∞.
    NormInf,
    /// Nuclear norm.
    NuclearNorm,
    /// Largest singular value.
    SigmaMax,
    /// Element-wise |x|.
    Abs,
    /// Element-wise max(x, 0).
    Pos,
    /// Element-wise max(x, y).
    Maximum,
    /// Largest entry.
    Max,
    /// Element-wise e^x.
    Exp,
    /// Element-wise log x (concave).
    Log,
    /// log Σ e^{x_i}.
    LogSumExp,
    /// Element-wise log(1 + e^x).
    Softplus,
    /// Element-wise h̄ (sigmoid for z ≤ 0, z/4 + 1/2 above): convex.
    SigmoidHbar,
    /// Transpose.
    Transpose,
}

impl Atom {
    /// Every atom with its name in the language.
    pub const ALL: [(&'static str, Atom); 18] = [
        ("sum", Atom::Sum),
        ("sum_squares", Atom::SumSquares),
        ("quad_over_lin", Atom::QuadOverLin),
        ("norm1", Atom::Norm1),
        ("norm2", Atom::Norm2),
        ("norm_inf", Atom::NormInf),
        ("nuclear_norm", Atom::NuclearNorm),
        ("sigma_max", Atom::SigmaMax),
        ("abs", Atom::Abs),
        ("pos", Atom::Pos),
        ("maximum", Atom::Maximum),
        ("max", Atom::Max),
        ("exp", Atom::Exp),
        ("log", Atom::Log),
        ("log_sum_exp", Atom::LogSumExp),
        ("softplus", Atom::Softplus),
        ("sigmoid_hbar", Atom::SigmoidHbar),
        ("transpose", Atom::Transpose),
    ];

    /// The name in the language.
    pub fn name(self) -> &'static str {
        Atom::ALL
            .iter()
            .find(|(_, a)| *a == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// Looks an atom up by name.
    pub fn from_name(name: &str) -> Option<Atom> {
        Atom::ALL.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    /// Number of arguments.
    pub fn arity(self) -> usize {
        match self {
            Atom::QuadOverLin | Atom::Maximum => 2,
            _ => 1,
        }
    }

    /// Whether the atom is applied entry by entry (keeps the shape).
    pub fn elementwise(self) -> bool {
        matches!(
            self,
            Atom::Abs
                | Atom::Pos
                | Atom::Maximum
                | Atom::Exp
                | Atom::Log
                | Atom::Softplus
                | Atom::SigmoidHbar
        )
    }
}

/// Which part of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataPart {
    /// Features.
    X,
    /// Targets.
    Y,
    /// Sample weights (shaped like the targets).
    W,
}

/// An expression of the model: shapes known, names resolved, functions inlined.
#[derive(Clone, Debug, Serialize)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Its shape.
    pub shape: Shape,
    /// Where it was written (inside the library for inlined function bodies).
    #[serde(skip)]
    pub span: Span,
}

/// Expression forms.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExprKind {
    /// A number, with the constant's name if it came from one.
    Number {
        /// Value.
        value: f64,
        /// Constant name.
        name: Option<String>,
    },
    /// A constant matrix written inline.
    Matrix(#[serde(skip)] DMatrix<f64>),
    /// Training features or targets of a dataset.
    Data(DataId, DataPart),
    /// A decision variable.
    Var(VarId),
    /// The scalar argument `z` of an activation definition.
    Placeholder,
    /// All weights of a network, stacked into one vector.
    Weights(NetId),
    /// The network applied to inputs (rows are samples).
    NetOut(NetId, Box<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// Binary arithmetic.
    Binary(crate::syntax::ast::BinOp, Box<Expr>, Box<Expr>),
    /// A left-associative chain `a op b op c …` of two or more operations, as one node so that
    /// no pass recurses once per term. Each step is the `Binary` node it stands for.
    Chain(Box<Expr>, Vec<ChainStep>),
    /// A primitive atom.
    Atom(Atom, Vec<Expr>),
    /// The rows of the samples of one class.
    ClassRows(Box<Expr>, DataId, usize),
    /// One entry (`[i]` of a vector, `[i, j]` of a matrix).
    Entry(Box<Expr>, Vec<usize>),
}

/// One operation of an [`ExprKind::Chain`]: `(prefix) op rhs`.
#[derive(Clone, Debug, Serialize)]
pub struct ChainStep {
    /// The operator.
    pub op: crate::syntax::ast::BinOp,
    /// Its right operand.
    pub rhs: Expr,
    /// The shape of the chain up to and including this step.
    pub shape: Shape,
    /// The chain up to and including this step.
    #[serde(skip)]
    pub span: Span,
}

impl Expr {
    /// Whether the expression involves no decision variable and no network output.
    pub fn is_constant(&self) -> bool {
        match &self.kind {
            ExprKind::Number { .. } | ExprKind::Matrix(_) | ExprKind::Data(..) => true,
            ExprKind::Var(_)
            | ExprKind::Weights(_)
            | ExprKind::NetOut(..)
            | ExprKind::Placeholder => false,
            ExprKind::Neg(e) | ExprKind::ClassRows(e, ..) | ExprKind::Entry(e, _) => {
                e.is_constant()
            }
            ExprKind::Binary(_, a, b) => a.is_constant() && b.is_constant(),
            ExprKind::Chain(a, steps) => {
                a.is_constant() && steps.iter().all(|s| s.rhs.is_constant())
            }
            ExprKind::Atom(_, args) => args.iter().all(Expr::is_constant),
        }
    }

    /// The value of a scalar constant expression made of numbers, if it is one.
    pub fn number(&self) -> Option<f64> {
        match &self.kind {
            ExprKind::Number { value, .. } => Some(*value),
            _ => None,
        }
    }
}

/// A training method with its options.
#[derive(Clone, Debug, Serialize)]
pub struct Method {
    /// Which method.
    pub kind: MethodKind,
    /// Options, after defaults were filled in, in a fixed order.
    pub options: Vec<(String, OptionValue)>,
    /// Declaration (`None` for a method the model does not declare, run with its defaults,
    /// e.g. by `cnnc compare`).
    #[serde(skip)]
    pub span: Option<Span>,
}

impl Method {
    /// An option's value (every documented option is present after checking).
    pub fn get(&self, name: &str) -> Option<&OptionValue> {
        self.options.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// `d` with `label` under the method's declaration (as the primary label when `primary`),
    /// or, for a method the model does not declare, a note saying so.
    pub fn label(&self, d: Diagnostic, primary: bool, label: &str) -> Diagnostic {
        match (self.span, primary) {
            (Some(s), true) => d.with_primary(s, label),
            (Some(s), false) => d.with_label(s, label),
            (None, _) => d.with_note(
                "the model does not declare this method, so it runs with its default options",
            ),
        }
    }
}

/// The training methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    /// Hyperplane activation patterns (Pilanci–Ergen), exact or sampled.
    Patterns,
    /// Rank lifting with nuclear norms and sequential updates (Doelman–Verhaegen).
    RankLifting,
    /// Parabolic relaxation + DC splitting with the sequential penalty method.
    ConvexNn,
    /// Big-M MILP for fixed-weight networks.
    BigM,
    /// Gradient baseline (Adam).
    Adam,
    /// The model as written: no network, or a linear one (`src/lower/direct.rs`).
    Direct,
}

/// A method or solver option value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OptionValue {
    /// A number.
    Number(f64),
    /// A word such as `exact`.
    Word(String),
    /// `true` / `false`.
    Bool(bool),
    /// A string, e.g. the path of a start weights file (resolved against the model's folder).
    Text(String),
}

impl std::fmt::Display for OptionValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionValue::Number(x) => write!(f, "{}", crate::syntax::print::format_number(*x)),
            OptionValue::Word(w) => write!(f, "{w}"),
            OptionValue::Bool(b) => write!(f, "{b}"),
            OptionValue::Text(t) => write!(f, "{t:?}"),
        }
    }
}

/// The solver with its settings.
#[derive(Clone, Debug, Serialize)]
pub struct Solver {
    /// `clarabel`, `microlp` or `cbc`.
    pub name: String,
    /// Settings after defaults were filled in.
    pub options: Vec<(String, OptionValue)>,
    /// Declaration (the model file's start when defaulted).
    #[serde(skip)]
    pub span: Option<Span>,
}

/// A convenience for targets as a column vector.
pub fn column(v: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::from_column_slice(v.len(), 1, v.as_slice())
}

impl Model {
    /// Indices of the networks with at least one trainable layer.
    pub fn trainable_networks(&self) -> Vec<usize> {
        (0..self.networks.len())
            .filter(|&i| {
                self.networks[i]
                    .layers
                    .iter()
                    .any(|l| matches!(l.weight, LayerParam::Var(_)))
            })
            .collect()
    }
}
