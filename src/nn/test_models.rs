//! Builders for small models written directly in the IR, for tests of this module.

use nalgebra::DMatrix;

use crate::diag::Span;
use crate::model::{
    Activation, Atom, BiasMode, Class, DataId, DataOrigin, DataPart, Dataset, Expr, ExprKind,
    Layer, LayerParam, Model, NetId, Network, Objective, Sense, Shape, Solver, TargetKind, VarId,
    VarRole, Variable,
};
use crate::syntax::ast::BinOp;

/// An empty model.
pub fn empty() -> Model {
    Model {
        file: "test.cnn".into(),
        constants: Vec::new(),
        datasets: Vec::new(),
        networks: Vec::new(),
        vars: Vec::new(),
        objective: None,
        constraints: Vec::new(),
        methods: Vec::new(),
        solver: Solver {
            name: "clarabel".into(),
            options: Vec::new(),
            span: None,
        },
    }
}

fn e(kind: ExprKind, shape: Vec<usize>) -> Expr {
    Expr {
        kind,
        shape: Shape(shape),
        span: Span::default(),
    }
}

/// A number.
pub fn num(v: f64) -> Expr {
    e(
        ExprKind::Number {
            value: v,
            name: None,
        },
        vec![],
    )
}

/// A variable of the model.
pub fn var(m: &Model, v: VarId) -> Expr {
    e(ExprKind::Var(v), m.vars[v.0].shape.0.clone())
}

/// The placeholder `z`.
pub fn z() -> Expr {
    e(ExprKind::Placeholder, vec![])
}

/// Features or targets of a dataset.
pub fn data(m: &Model, d: DataId, part: DataPart) -> Expr {
    let ds = &m.datasets[d.0];
    let shape = match part {
        DataPart::X => vec![ds.n(), ds.d()],
        DataPart::Y | DataPart::W => ds.y_shape().0,
    };
    e(ExprKind::Data(d, part), shape)
}

/// A binary operation with the shape rules of the checker.
pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    let shape = match op {
        BinOp::MatMul => match (a.shape.0.as_slice(), b.shape.0.as_slice()) {
            ([r, _], [_, c]) => vec![*r, *c],
            ([r, _], [_]) => vec![*r],
            ([_], [_, c]) => vec![*c],
            _ => vec![],
        },
        _ if a.shape.is_scalar() => b.shape.0.clone(),
        _ => a.shape.0.clone(),
    };
    e(ExprKind::Binary(op, Box::new(a), Box::new(b)), shape)
}

/// `-a`.
pub fn neg(a: Expr) -> Expr {
    let shape = a.shape.0.clone();
    e(ExprKind::Neg(Box::new(a)), shape)
}

/// An atom with the shape rules of the checker.
pub fn atom(a: Atom, args: Vec<Expr>) -> Expr {
    let shape = match a {
        Atom::Transpose => match args[0].shape.0.as_slice() {
            [n, m] => vec![*m, *n],
            [n] => vec![1, *n],
            _ => vec![],
        },
        Atom::Maximum if args[0].shape.is_scalar() => args[1].shape.0.clone(),
        x if x.elementwise() => args[0].shape.0.clone(),
        _ => vec![],
    };
    e(ExprKind::Atom(a, args), shape)
}

/// `net(x)`.
pub fn net_out(m: &Model, net: NetId, x: Expr) -> Expr {
    let rows = x.shape.rows();
    let shape = match m.networks[net.0].outputs() {
        1 => vec![rows],
        k => vec![rows, k],
    };
    e(ExprKind::NetOut(net, Box::new(x)), shape)
}

/// `weights(net)`.
pub fn weights(m: &Model, net: NetId) -> Expr {
    let total: usize = m.networks[net.0]
        .layers
        .iter()
        .filter_map(|l| match &l.weight {
            LayerParam::Var(v) => Some(m.vars[v.0].shape.len()),
            LayerParam::Fixed(_) => None,
        })
        .sum();
    e(ExprKind::Weights(net), vec![total])
}

/// Rows of one class.
pub fn class_rows(m: &Model, a: Expr, d: DataId, k: usize) -> Expr {
    let mut shape = a.shape.0.clone();
    shape[0] = m.datasets[d.0].classes[k].rows.len();
    e(ExprKind::ClassRows(Box::new(a), d, k), shape)
}

/// One entry.
pub fn entry(a: Expr, idx: Vec<usize>) -> Expr {
    e(ExprKind::Entry(Box::new(a), idx), vec![])
}

/// A constant matrix.
pub fn matrix(m: DMatrix<f64>) -> Expr {
    let shape = vec![m.nrows(), m.ncols()];
    e(ExprKind::Matrix(m), shape)
}

/// Adds a user variable.
pub fn add_var(m: &mut Model, name: &str, shape: Vec<usize>) -> VarId {
    m.vars.push(Variable {
        name: name.into(),
        shape: Shape(shape),
        lower: None,
        upper: None,
        role: VarRole::User,
        span: Span::default(),
    });
    VarId(m.vars.len() - 1)
}

/// Adds a dataset; `y` with one column is two classes (−1/+1) when `classes` is set.
pub fn add_data(m: &mut Model, x: DMatrix<f64>, y: DMatrix<f64>, classes: bool) -> DataId {
    let n = x.nrows();
    let class_list = if classes {
        let pos: Vec<usize> = (0..n).filter(|&i| y[(i, 0)] > 0.0).collect();
        let negs: Vec<usize> = (0..n).filter(|&i| y[(i, 0)] <= 0.0).collect();
        vec![
            Class {
                name: "neg".into(),
                rows: negs,
                validation_rows: Vec::new(),
                test_rows: Vec::new(),
                weight: None,
            },
            Class {
                name: "pos".into(),
                rows: pos,
                validation_rows: Vec::new(),
                test_rows: Vec::new(),
                weight: None,
            },
        ]
    } else {
        Vec::new()
    };
    let d = x.ncols();
    let k = y.ncols();
    m.datasets.push(Dataset {
        name: "train".into(),
        origin: DataOrigin::Inline,
        feature_names: (0..d).map(|j| format!("x{j}")).collect(),
        target_names: (0..k).map(|j| format!("y{j}")).collect(),
        target_kind: Some(if classes {
            TargetKind::Classes
        } else {
            TargetKind::Values
        }),
        x,
        y,
        validation_x: DMatrix::zeros(0, d),
        validation_y: DMatrix::zeros(0, k),
        test_x: DMatrix::zeros(0, d),
        test_y: DMatrix::zeros(0, k),
        w: None,
        classes: class_list,
        standardization: None,
        split: None,
        seed: 0,
        validation: None,
        span: Span::default(),
    });
    DataId(m.datasets.len() - 1)
}

/// The library's definition of an activation (as in `stdlib/activations.cnn`), or a smooth
/// custom one (`z²/2 − softplus(z)`) for any other name.
pub fn activation(name: &str) -> Activation {
    let zero = num(0.0);
    let (p, q) = match name {
        "identity" => (z(), zero),
        "relu" => (atom(Atom::Pos, vec![z()]), zero),
        "leaky_relu" => (
            atom(Atom::Maximum, vec![z(), bin(BinOp::Mul, num(0.01), z())]),
            zero,
        ),
        "softplus" => (atom(Atom::Softplus, vec![z()]), zero),
        "sigmoid" => (
            bin(
                BinOp::Sub,
                bin(
                    BinOp::Sub,
                    atom(Atom::SigmoidHbar, vec![z()]),
                    bin(BinOp::Div, z(), num(4.0)),
                ),
                num(0.5),
            ),
            bin(
                BinOp::Sub,
                atom(Atom::SigmoidHbar, vec![neg(z())]),
                num(1.0),
            ),
        ),
        _ => (
            bin(BinOp::Mul, num(0.5), bin(BinOp::Pow, z(), num(2.0))),
            atom(Atom::Softplus, vec![z()]),
        ),
    };
    Activation {
        name: name.into(),
        p,
        q,
    }
}

/// Adds a network over `data` with hidden layers `(width, activation)` and a linear output
/// layer of width `outputs`, every layer with the same bias mode.
pub fn add_net(
    m: &mut Model,
    name: &str,
    inputs: usize,
    hidden: &[(usize, &str)],
    outputs: usize,
    bias: BiasMode,
) -> NetId {
    let net = NetId(m.networks.len());
    let mut layers = Vec::new();
    let mut width = inputs;
    let specs: Vec<(usize, &str)> = hidden
        .iter()
        .copied()
        .chain([(outputs, "identity")])
        .collect();
    for (l, (out, act)) in specs.into_iter().enumerate() {
        let cols = width + usize::from(bias == BiasMode::Column);
        m.vars.push(Variable {
            name: format!("{name}.W{}", l + 1),
            shape: Shape(vec![out, cols]),
            lower: None,
            upper: None,
            role: VarRole::Weight { net, layer: l },
            span: Span::default(),
        });
        let w = VarId(m.vars.len() - 1);
        let bias_param = (bias == BiasMode::Separate).then(|| {
            m.vars.push(Variable {
                name: format!("{name}.b{}", l + 1),
                shape: Shape(vec![out]),
                lower: None,
                upper: None,
                role: VarRole::Bias { net, layer: l },
                span: Span::default(),
            });
            LayerParam::Var(VarId(m.vars.len() - 1))
        });
        layers.push(Layer {
            inputs: width,
            outputs: out,
            activation: activation(act),
            bias,
            weight: LayerParam::Var(w),
            bias_param,
            span: Span::default(),
        });
        width = out;
    }
    m.networks.push(Network {
        name: name.into(),
        input: None,
        inputs,
        layers,
        loaded_from: None,
        standardization: None,
        span: Span::default(),
    });
    net
}

/// Sets the objective `minimize e`.
pub fn minimize(m: &mut Model, expr: Expr) {
    m.objective = Some(Objective {
        sense: Sense::Minimize,
        expr,
        span: Span::default(),
    });
}
