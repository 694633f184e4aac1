//! Errors of numeric evaluation. A checked model does not produce most of them; they guard
//! values that come from elsewhere (a solver's answer, a weights file, another dataset).

use crate::diag::Diagnostic;

/// Why a model could not be evaluated numerically.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// Values were given for the wrong number of variables.
    #[error("values for {got} variables given, the model has {want}")]
    VarCount {
        /// Variables of the model.
        want: usize,
        /// Values given.
        got: usize,
    },
    /// A variable's value has the wrong shape.
    #[error("the value of `{name}` is {}×{}, its shape is {shape}", got.0, got.1)]
    VarShape {
        /// Variable.
        name: String,
        /// Its declared shape.
        shape: String,
        /// The value's rows and columns.
        got: (usize, usize),
    },
    /// A flat vector of values has the wrong length.
    #[error("{got} values given, the model's variables have {want} entries")]
    FlatLength {
        /// Entries of all variables.
        want: usize,
        /// Values given.
        got: usize,
    },
    /// A layer's weights have the wrong size.
    #[error("weights of {layer} are {}×{}, expected {}×{}", got.0, got.1, want.0, want.1)]
    LayerShape {
        /// `net layer 2`.
        layer: String,
        /// Expected rows and columns.
        want: (usize, usize),
        /// Found rows and columns.
        got: (usize, usize),
    },
    /// A network was applied to data with the wrong number of columns.
    #[error("the network takes {want} input features, the data have {got}")]
    NetInput {
        /// Network inputs.
        want: usize,
        /// Data columns.
        got: usize,
    },
    /// A standardization of the wrong width.
    #[error("the standardization has {got} columns, the network takes {want} inputs")]
    Standardization {
        /// Network inputs.
        want: usize,
        /// Columns of the standardization.
        got: usize,
    },
    /// Operands of incompatible shapes (a checked model never has them).
    #[error("shapes {}×{} and {}×{} do not fit in `{op}`", a.0, a.1, b.0, b.1)]
    Shape {
        /// The operation.
        op: &'static str,
        /// Left operand.
        a: (usize, usize),
        /// Right operand.
        b: (usize, usize),
    },
    /// An index outside its expression (a checked model never has one).
    #[error("index {index} is out of range for `{what}` with {len} entries")]
    Index {
        /// What was indexed.
        what: &'static str,
        /// The index.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// The activation placeholder outside an activation.
    #[error("the activation argument `z` appears outside an activation")]
    Placeholder,
    /// A scalar was needed.
    #[error("expected a scalar, the expression is {}×{}", .0.0, .0.1)]
    NotScalar((usize, usize)),
    /// The model has no objective.
    #[error("the model has no objective")]
    NoObjective,
    /// Sample weights of data declared without them (a checked model never reads them).
    #[error("the data have no sample weights")]
    NoWeights,
    /// A singular value decomposition did not converge.
    #[error("the singular value decomposition in `{0}` did not converge")]
    Svd(&'static str),
}

impl EvalError {
    /// The error as a diagnostic (code E0820).
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::error("E0820", format!("cannot evaluate the model: {self}"))
    }
}
