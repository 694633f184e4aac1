//! Numeric evaluation of model expressions with reverse-mode gradients.
//!
//! [`Evaluator::forward`] evaluates an expression bottom-up and keeps every intermediate value in
//! a tree mirroring the expression; [`Evaluator::backward`] walks that tree top-down with the
//! upstream gradient `Ḡ` (same shape as the node's value) and accumulates `∂f/∂x_v` into one
//! matrix per variable: for `f = g(h(x))`, `∂f/∂x = J_hᵀ Ḡ`. Network outputs backpropagate
//! through the network (see [`DenseNet::backward`]) into its weight and bias variables.
//! Non-smooth atoms get a subgradient (`|x|' = sign x` with 0 at 0, `max` picks the first
//! largest entry, the nuclear norm `U Vᵀ`, `σ_max` `u₁ v₁ᵀ`). Values follow the language's
//! shapes: a scalar is `1×1`, `[n]` an `n×1` column, `[n, k]` an `n×k` matrix; `weights(net)`
//! stacks each trainable weight matrix row by row, layer after layer.
//!
//! Constraint slack: `rhs − lhs` for `≤`, `lhs − rhs` for `≥`, `−|lhs − rhs|` for `==`,
//! `min(lhs − lo, hi − lhs)` for `in [lo, hi]`; for a vector constraint the smallest (worst)
//! entry. A negative slack is a violation.

use nalgebra::{DMatrix, SVD};

use crate::model::{
    Atom, CmpOp, Constraint, DataPart, Expr, ExprKind, LayerParam, Model, NetId, Sense,
};
use crate::syntax::ast::BinOp;

use super::activation::{sigmoid, sigmoid_hbar, sigmoid_hbar_derivative, sign, softplus};
use super::network::{DenseNet, Trace};
use super::values::{row_major, Values};
use super::EvalError;

/// The value of an expression (shaped as described in the module docs).
pub fn value(model: &Model, expr: &Expr, values: &Values) -> Result<DMatrix<f64>, EvalError> {
    Ok(Evaluator::new(model, values).forward(expr)?.value)
}

/// The value of a scalar expression and its gradient with respect to every variable.
pub fn value_and_gradient(
    model: &Model,
    expr: &Expr,
    values: &Values,
) -> Result<(f64, Values), EvalError> {
    let mut ev = Evaluator::new(model, values);
    let node = ev.forward(expr)?;
    let v = scalar(&node.value)?;
    let mut grad = Values::zeros(model);
    ev.backward(&node, &DMatrix::from_element(1, 1, 1.0), &mut grad)?;
    Ok((v, grad))
}

/// The objective's value as written (not negated for `maximize`).
pub fn objective(model: &Model, values: &Values) -> Result<f64, EvalError> {
    let obj = model.objective.as_ref().ok_or(EvalError::NoObjective)?;
    scalar(&value(model, &obj.expr, values)?)
}

/// The objective to minimize (negated for `maximize`) and its gradient.
pub fn minimized_objective_and_gradient(
    model: &Model,
    values: &Values,
) -> Result<(f64, Values), EvalError> {
    let obj = model.objective.as_ref().ok_or(EvalError::NoObjective)?;
    let (v, mut g) = value_and_gradient(model, &obj.expr, values)?;
    Ok(match obj.sense {
        Sense::Minimize => (v, g),
        Sense::Maximize => {
            g = {
                let mut neg = Values::zeros(model);
                neg.add_scaled(-1.0, &g);
                neg
            };
            (-v, g)
        }
    })
}

/// How far a constraint is from being violated at a point.
#[derive(Clone, Debug, PartialEq)]
pub struct Slack {
    /// The constraint's name.
    pub name: String,
    /// The smallest slack over the constraint's entries; negative when violated, NaN when an
    /// entry could not be evaluated (outside an atom's domain).
    pub slack: f64,
    /// The row-major index of the worst entry.
    pub worst: usize,
    /// The constraint's left-hand side at the worst entry.
    pub value: f64,
    /// Number of entries of the constraint.
    pub entries: usize,
}

impl Slack {
    /// Whether the constraint holds up to `tol` (NaN counts as violated).
    pub fn satisfied(&self, tol: f64) -> bool {
        self.slack >= -tol
    }
}

/// The slack of one constraint.
pub fn slack(model: &Model, c: &Constraint, values: &Values) -> Result<Slack, EvalError> {
    let mut ev = Evaluator::new(model, values);
    let lhs = ev.forward(&c.lhs)?.value;
    let rhs: Vec<DMatrix<f64>> = c
        .rhs
        .iter()
        .map(|r| ev.forward(r).map(|n| n.value))
        .collect::<Result<_, _>>()?;
    let entries = match (c.op, rhs.as_slice()) {
        (CmpOp::Le, [r]) => elementwise2(&lhs, r, "<=", |l, r| r - l)?,
        (CmpOp::Ge, [r]) => elementwise2(&lhs, r, ">=", |l, r| l - r)?,
        (CmpOp::Eq, [r]) => elementwise2(&lhs, r, "==", |l, r| -(l - r).abs())?,
        (CmpOp::In, [lo, hi]) => {
            let above = elementwise2(&lhs, lo, "in", |l, lo| l - lo)?;
            let below = elementwise2(&lhs, hi, "in", |l, hi| hi - l)?;
            elementwise2(&above, &below, "in", f64::min)?
        }
        _ => {
            return Err(EvalError::Shape {
                op: "constraint",
                a: lhs.shape(),
                b: (rhs.len(), 1),
            })
        }
    };
    let mut worst = (0, f64::INFINITY);
    let values: Vec<f64> = row_major(&lhs).collect();
    for (k, s) in row_major(&entries).enumerate() {
        if s.is_nan() {
            worst = (k, f64::NAN);
            break;
        }
        if s < worst.1 {
            worst = (k, s);
        }
    }
    Ok(Slack {
        name: c.name.clone(),
        slack: worst.1,
        worst: worst.0,
        // A scalar left-hand side against matrix sides is broadcast.
        value: values
            .get(worst.0)
            .or(values.first())
            .copied()
            .unwrap_or(f64::NAN),
        entries: entries.len(),
    })
}

/// The slacks of all constraints of the model, in order.
pub fn slacks(model: &Model, values: &Values) -> Result<Vec<Slack>, EvalError> {
    model
        .constraints
        .iter()
        .map(|c| slack(model, c, values))
        .collect()
}

/// The outputs of network `net` on inputs `x` (n×d) with its parameters from `values`.
pub fn network_outputs(
    model: &Model,
    net: NetId,
    x: &DMatrix<f64>,
    values: &Values,
) -> Result<DMatrix<f64>, EvalError> {
    DenseNet::from_model(model, net, values)?.forward(x)
}

/// One evaluated node: its value and its operands' nodes.
#[derive(Debug)]
pub struct Node<'e> {
    expr: &'e Expr,
    /// The node's value.
    pub value: DMatrix<f64>,
    children: Vec<Node<'e>>,
    constant: bool,
    trace: Option<Trace>,
    /// For a chain: its value before each step (what each step's left operand was).
    partial: Vec<DMatrix<f64>>,
}

/// Evaluates expressions of one model at one point; networks are built once per evaluator.
#[derive(Debug)]
pub struct Evaluator<'m> {
    model: &'m Model,
    values: &'m Values,
    nets: Vec<Option<DenseNet>>,
}

impl<'m> Evaluator<'m> {
    /// An evaluator at the point `values`.
    pub fn new(model: &'m Model, values: &'m Values) -> Evaluator<'m> {
        Evaluator {
            model,
            values,
            nets: vec![None; model.networks.len()],
        }
    }

    fn net(&mut self, id: NetId) -> Result<&DenseNet, EvalError> {
        let net = match self.nets[id.0].take() {
            Some(net) => net,
            None => DenseNet::from_model(self.model, id, self.values)?,
        };
        Ok(self.nets[id.0].insert(net))
    }

    /// Evaluates `e`, keeping intermediate values for [`Evaluator::backward`].
    pub fn forward<'e>(&mut self, e: &'e Expr) -> Result<Node<'e>, EvalError> {
        let leaf = |value: DMatrix<f64>, constant: bool| Node {
            expr: e,
            value,
            children: Vec::new(),
            constant,
            trace: None,
            partial: Vec::new(),
        };
        let node = match &e.kind {
            ExprKind::Number { value, .. } => leaf(DMatrix::from_element(1, 1, *value), true),
            ExprKind::Matrix(m) => leaf(m.clone(), true),
            ExprKind::Data(d, part) => {
                let ds = &self.model.datasets[d.0];
                leaf(
                    match part {
                        DataPart::X => ds.x.clone(),
                        DataPart::Y => ds.y.clone(),
                        DataPart::W => ds.w.clone().ok_or(EvalError::NoWeights)?,
                    },
                    true,
                )
            }
            ExprKind::Var(v) => leaf(self.values.get(*v).clone(), false),
            ExprKind::Placeholder => return Err(EvalError::Placeholder),
            ExprKind::Weights(net) => {
                let mut flat = Vec::new();
                for l in &self.model.networks[net.0].layers {
                    if let LayerParam::Var(v) = &l.weight {
                        flat.extend(row_major(self.values.get(*v)));
                    }
                }
                leaf(DMatrix::from_vec(flat.len(), 1, flat), false)
            }
            ExprKind::NetOut(net, x) => {
                let xn = self.forward(x)?;
                let trace = self.net(*net)?.forward_trace(&xn.value)?;
                Node {
                    expr: e,
                    value: trace.output.clone(),
                    children: vec![xn],
                    constant: false,
                    trace: Some(trace),
                    partial: Vec::new(),
                }
            }
            ExprKind::Neg(a) => {
                let a = self.forward(a)?;
                self.inner(e, -&a.value, vec![a])
            }
            ExprKind::Binary(op, a, b) => {
                let left_row = a.shape.0.len() == 1;
                let (a, b) = (self.forward(a)?, self.forward(b)?);
                let v = binary(*op, &a.value, &b.value, left_row)?;
                self.inner(e, v, vec![a, b])
            }
            ExprKind::Chain(first, steps) => {
                // One loop over the chain; children are the head, then each step's operand.
                let head = self.forward(first)?;
                let mut acc = head.value.clone();
                let mut left_row = first.shape.0.len() == 1;
                let mut children = vec![head];
                let mut partial = Vec::with_capacity(steps.len());
                for s in steps {
                    let y = self.forward(&s.rhs)?;
                    let v = binary(s.op, &acc, &y.value, left_row)?;
                    let want = (s.shape.rows(), s.shape.cols());
                    let v = if v.shape() != want && v.len() == want.0 * want.1 {
                        reshape(&v, want)
                    } else {
                        v
                    };
                    partial.push(std::mem::replace(&mut acc, v));
                    left_row = s.shape.0.len() == 1;
                    children.push(y);
                }
                let mut node = self.inner(e, acc, children);
                node.partial = partial;
                node
            }
            ExprKind::Atom(atom, args) => {
                let args = args
                    .iter()
                    .map(|a| self.forward(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let v = atom_value(*atom, &args)?;
                self.inner(e, v, args)
            }
            ExprKind::ClassRows(a, d, k) => {
                let a = self.forward(a)?;
                let rows = class_rows(self.model, *d, *k);
                let mut v = DMatrix::zeros(rows.len(), a.value.ncols());
                for (i, &r) in rows.iter().enumerate() {
                    if r >= a.value.nrows() {
                        return Err(EvalError::Index {
                            what: "class rows",
                            index: r,
                            len: a.value.nrows(),
                        });
                    }
                    v.set_row(i, &a.value.row(r));
                }
                self.inner(e, v, vec![a])
            }
            ExprKind::Entry(a, idx) => {
                let a = self.forward(a)?;
                let (i, j) = entry_index(&a.value, idx)?;
                let v = DMatrix::from_element(1, 1, a.value[(i, j)]);
                self.inner(e, v, vec![a])
            }
        };
        Ok(node)
    }

    fn inner<'e>(&self, e: &'e Expr, value: DMatrix<f64>, children: Vec<Node<'e>>) -> Node<'e> {
        let constant = children.iter().all(|c| c.constant);
        let value = shaped(value, e);
        Node {
            expr: e,
            value,
            children,
            constant,
            trace: None,
            partial: Vec::new(),
        }
    }

    /// Adds `J_nodeᵀ g` to `grad`, where `g` has the shape of the node's value.
    pub fn backward(
        &mut self,
        node: &Node<'_>,
        g: &DMatrix<f64>,
        grad: &mut Values,
    ) -> Result<(), EvalError> {
        if node.constant {
            return Ok(());
        }
        match &node.expr.kind {
            ExprKind::Number { .. }
            | ExprKind::Matrix(_)
            | ExprKind::Data(..)
            | ExprKind::Placeholder => {}
            ExprKind::Var(v) => {
                let target = grad.get_mut(*v);
                *target += reshape(g, target.shape());
            }
            ExprKind::Weights(net) => {
                let mut at = 0;
                for l in &self.model.networks[net.0].layers {
                    if let LayerParam::Var(v) = &l.weight {
                        let target = grad.get_mut(*v);
                        let (r, c) = target.shape();
                        let part = g.as_slice().get(at..at + r * c).ok_or(EvalError::Index {
                            what: "weights",
                            index: at + r * c,
                            len: g.len(),
                        })?;
                        *target += DMatrix::from_row_slice(r, c, part);
                        at += r * c;
                    }
                }
            }
            ExprKind::NetOut(net, _) => {
                let Some(trace) = &node.trace else {
                    return Ok(());
                };
                let g = reshape(g, trace.output.shape());
                let layer_grads = self.net(*net)?.backward(trace, &g);
                for (layer, lg) in self.model.networks[net.0].layers.iter().zip(layer_grads) {
                    if let LayerParam::Var(v) = &layer.weight {
                        let target = grad.get_mut(*v);
                        *target += reshape_row_major(&lg.weight, target.shape());
                    }
                    if let (Some(LayerParam::Var(v)), Some(b)) = (&layer.bias_param, &lg.bias) {
                        let target = grad.get_mut(*v);
                        let b = DMatrix::from_column_slice(b.len(), 1, b.as_slice());
                        *target += reshape_row_major(&b, target.shape());
                    }
                }
            }
            ExprKind::Neg(_) => self.backward(&node.children[0], &-g, grad)?,
            ExprKind::Binary(op, ..) => {
                let (a, b) = (&node.children[0], &node.children[1]);
                let left_row = a.expr.shape.0.len() == 1;
                let (ga, gb) = binary_backward(
                    *op,
                    (&a.value, a.constant),
                    (&b.value, b.constant),
                    g,
                    left_row,
                );
                if let Some(ga) = ga {
                    self.backward(a, &ga, grad)?;
                }
                if let Some(gb) = gb {
                    self.backward(b, &gb, grad)?;
                }
            }
            ExprKind::Chain(_, steps) => {
                // From the last step back: each step passes a gradient to its operand and
                // one to the chain before it.
                let mut constant = Vec::with_capacity(steps.len());
                let mut c = true;
                for child in &node.children[..steps.len()] {
                    c = c && child.constant;
                    constant.push(c);
                }
                let mut g = g.clone();
                for (k, s) in steps.iter().enumerate().rev() {
                    let b = &node.children[k + 1];
                    let left_row = match k {
                        0 => node.children[0].expr.shape.0.len() == 1,
                        _ => steps[k - 1].shape.0.len() == 1,
                    };
                    let (ga, gb) = binary_backward(
                        s.op,
                        (&node.partial[k], constant[k]),
                        (&b.value, b.constant),
                        &g,
                        left_row,
                    );
                    if let Some(gb) = gb {
                        self.backward(b, &gb, grad)?;
                    }
                    match ga {
                        Some(ga) => g = ga,
                        None => return Ok(()),
                    }
                }
                self.backward(&node.children[0], &g, grad)?;
            }
            ExprKind::Atom(atom, _) => {
                let gs = atom_backward(*atom, &node.children, &node.value, g)?;
                for (child, gc) in node.children.iter().zip(gs) {
                    if let Some(gc) = gc {
                        self.backward(child, &gc, grad)?;
                    }
                }
            }
            ExprKind::ClassRows(_, d, k) => {
                let a = &node.children[0];
                let mut ga = DMatrix::zeros(a.value.nrows(), a.value.ncols());
                for (i, &r) in class_rows(self.model, *d, *k).iter().enumerate() {
                    let row = ga.row(r) + g.row(i);
                    ga.set_row(r, &row);
                }
                self.backward(a, &ga, grad)?;
            }
            ExprKind::Entry(_, idx) => {
                let a = &node.children[0];
                let (i, j) = entry_index(&a.value, idx)?;
                let mut ga = DMatrix::zeros(a.value.nrows(), a.value.ncols());
                ga[(i, j)] = g[(0, 0)];
                self.backward(a, &ga, grad)?;
            }
        }
        Ok(())
    }
}

fn class_rows(model: &Model, d: crate::model::DataId, k: usize) -> &[usize] {
    model.datasets[d.0]
        .classes
        .get(k)
        .map_or(&[], |c| c.rows.as_slice())
}

fn entry_index(m: &DMatrix<f64>, idx: &[usize]) -> Result<(usize, usize), EvalError> {
    let (i, j) = (
        idx.first().copied().unwrap_or(0),
        idx.get(1).copied().unwrap_or(0),
    );
    if i >= m.nrows() || j >= m.ncols() {
        return Err(EvalError::Index {
            what: "entry",
            index: if i >= m.nrows() { i } else { j },
            len: if i >= m.nrows() { m.nrows() } else { m.ncols() },
        });
    }
    Ok((i, j))
}

/// The single entry of a 1×1 value.
fn scalar(m: &DMatrix<f64>) -> Result<f64, EvalError> {
    if m.shape() == (1, 1) {
        Ok(m[(0, 0)])
    } else {
        Err(EvalError::NotScalar(m.shape()))
    }
}

/// A value in the storage shape of its expression (vectors are columns).
fn shaped(v: DMatrix<f64>, e: &Expr) -> DMatrix<f64> {
    let want = (e.shape.rows(), e.shape.cols());
    if v.shape() == want || v.len() != want.0 * want.1 {
        v
    } else {
        reshape(&v, want)
    }
}

/// Reshapes keeping column-major order (turns a row vector into a column and back).
fn reshape(m: &DMatrix<f64>, shape: (usize, usize)) -> DMatrix<f64> {
    if m.shape() == shape {
        m.clone()
    } else {
        DMatrix::from_column_slice(shape.0, shape.1, m.as_slice())
    }
}

/// Reshapes keeping row-major order (how layer parameters sit in their variables).
fn reshape_row_major(m: &DMatrix<f64>, shape: (usize, usize)) -> DMatrix<f64> {
    if m.shape() == shape {
        m.clone()
    } else {
        let flat: Vec<f64> = row_major(m).collect();
        DMatrix::from_row_slice(shape.0, shape.1, &flat)
    }
}

/// Entry `(i, j)` of an operand that may be a broadcast scalar.
fn at(m: &DMatrix<f64>, i: usize, j: usize) -> f64 {
    if m.len() == 1 {
        m[(0, 0)]
    } else {
        m[(i, j)]
    }
}

/// The shape of an element-wise result of `a` and `b` (a 1×1 operand broadcasts).
fn broadcast_shape(
    a: &DMatrix<f64>,
    b: &DMatrix<f64>,
    op: &'static str,
) -> Result<(usize, usize), EvalError> {
    if a.shape() == b.shape() || b.len() == 1 {
        Ok(a.shape())
    } else if a.len() == 1 {
        Ok(b.shape())
    } else {
        Err(EvalError::Shape {
            op,
            a: a.shape(),
            b: b.shape(),
        })
    }
}

fn elementwise2(
    a: &DMatrix<f64>,
    b: &DMatrix<f64>,
    op: &'static str,
    f: impl Fn(f64, f64) -> f64,
) -> Result<DMatrix<f64>, EvalError> {
    let (r, c) = broadcast_shape(a, b, op)?;
    Ok(DMatrix::from_fn(r, c, |i, j| f(at(a, i, j), at(b, i, j))))
}

/// Gradients of an element-wise binary function, given its partial derivatives per entry.
fn elementwise2_backward(
    a: &DMatrix<f64>,
    b: &DMatrix<f64>,
    g: &DMatrix<f64>,
    partials: impl Fn(f64, f64) -> (f64, f64),
) -> (DMatrix<f64>, DMatrix<f64>) {
    let mut ga = DMatrix::zeros(a.nrows(), a.ncols());
    let mut gb = DMatrix::zeros(b.nrows(), b.ncols());
    for j in 0..g.ncols() {
        for i in 0..g.nrows() {
            let (pa, pb) = partials(at(a, i, j), at(b, i, j));
            let gij = g[(i, j)];
            let ia = if a.len() == 1 { (0, 0) } else { (i, j) };
            let ib = if b.len() == 1 { (0, 0) } else { (i, j) };
            ga[ia] += gij * pa;
            gb[ib] += gij * pb;
        }
    }
    (ga, gb)
}

/// The left operand of a matrix product as a matrix: a vector (`left_row`) is a row.
fn matmul_left(a: &DMatrix<f64>, left_row: bool) -> DMatrix<f64> {
    if left_row {
        a.transpose()
    } else {
        a.clone()
    }
}

/// A binary operation; `left_row` says the left operand is a vector (`[n]`), which `@` takes
/// as a row.
fn binary(
    op: BinOp,
    a: &DMatrix<f64>,
    b: &DMatrix<f64>,
    left_row: bool,
) -> Result<DMatrix<f64>, EvalError> {
    match op {
        BinOp::Add => elementwise2(a, b, "+", |x, y| x + y),
        BinOp::Sub => elementwise2(a, b, "-", |x, y| x - y),
        BinOp::Mul => elementwise2(a, b, "*", |x, y| x * y),
        BinOp::Div => elementwise2(a, b, "/", |x, y| x / y),
        BinOp::Pow => elementwise2(a, b, "^", f64::powf),
        BinOp::MatMul => {
            if a.len() == 1 || b.len() == 1 {
                return elementwise2(a, b, "@", |x, y| x * y);
            }
            let l = matmul_left(a, left_row);
            if l.ncols() != b.nrows() {
                return Err(EvalError::Shape {
                    op: "@",
                    a: a.shape(),
                    b: b.shape(),
                });
            }
            Ok(l * b)
        }
    }
}

type Grads = (Option<DMatrix<f64>>, Option<DMatrix<f64>>);

/// Gradients of both operands of a binary operation (`None` for a constant operand).
fn binary_backward(
    op: BinOp,
    (a, a_const): (&DMatrix<f64>, bool),
    (b, b_const): (&DMatrix<f64>, bool),
    g: &DMatrix<f64>,
    left_row: bool,
) -> Grads {
    let (ga, gb) = match op {
        BinOp::Add => elementwise2_backward(a, b, g, |_, _| (1.0, 1.0)),
        BinOp::Sub => elementwise2_backward(a, b, g, |_, _| (1.0, -1.0)),
        BinOp::Mul => elementwise2_backward(a, b, g, |x, y| (y, x)),
        BinOp::Div => elementwise2_backward(a, b, g, |x, y| (1.0 / y, -x / (y * y))),
        BinOp::Pow => elementwise2_backward(a, b, g, |x, y| {
            let dx = if y == 0.0 { 0.0 } else { y * x.powf(y - 1.0) };
            let dy = if x > 0.0 { x.powf(y) * x.ln() } else { 0.0 };
            (dx, dy)
        }),
        BinOp::MatMul if a.len() == 1 || b.len() == 1 => {
            elementwise2_backward(a, b, g, |x, y| (y, x))
        }
        BinOp::MatMul => {
            let l = matmul_left(a, left_row);
            let g = reshape(g, (l.nrows(), b.ncols()));
            let gl = &g * b.transpose();
            let gr = l.transpose() * &g;
            (reshape(&gl, a.shape()), gr)
        }
    };
    ((!a_const).then_some(ga), (!b_const).then_some(gb))
}

fn map_grad(x: &DMatrix<f64>, g: &DMatrix<f64>, d: impl Fn(f64) -> f64) -> DMatrix<f64> {
    let gs = g[(0, 0)];
    if g.shape() == x.shape() {
        x.zip_map(g, |xv, gv| gv * d(xv))
    } else {
        x.map(|xv| gs * d(xv))
    }
}

/// The value of an atom applied to evaluated arguments.
fn atom_value(atom: Atom, args: &[Node<'_>]) -> Result<DMatrix<f64>, EvalError> {
    let x = &args
        .first()
        .ok_or(EvalError::Shape {
            op: atom.name(),
            a: (0, 0),
            b: (0, 0),
        })?
        .value;
    let s = |v: f64| Ok(DMatrix::from_element(1, 1, v));
    match atom {
        Atom::Sum => s(x.sum()),
        Atom::SumSquares => s(x.norm_squared()),
        Atom::QuadOverLin => {
            let y = scalar(&second(atom, args)?.value)?;
            s(if y > 0.0 {
                x.norm_squared() / y
            } else {
                f64::INFINITY
            })
        }
        Atom::Norm1 => s(x.iter().map(|v| v.abs()).sum()),
        Atom::Norm2 => s(x.norm()),
        Atom::NormInf => s(x.iter().fold(0.0, |m: f64, v| m.max(v.abs()))),
        Atom::NuclearNorm => match svd(x, "nuclear_norm")? {
            Some(svd) => s(svd.singular_values.sum()),
            None => s(x.norm()),
        },
        Atom::SigmaMax => match svd(x, "sigma_max")? {
            Some(svd) => s(svd.singular_values.max()),
            None => s(x.norm()),
        },
        Atom::Abs => Ok(x.map(f64::abs)),
        Atom::Pos => Ok(x.map(|v| v.max(0.0))),
        Atom::Maximum => elementwise2(x, &second(atom, args)?.value, "maximum", |a, b| {
            if a >= b {
                a
            } else {
                b
            }
        }),
        Atom::Max => s(argmax(x).map_or(f64::NEG_INFINITY, |k| x[k])),
        Atom::Exp => Ok(x.map(f64::exp)),
        Atom::Log => Ok(x.map(|v| if v >= 0.0 { v.ln() } else { f64::NEG_INFINITY })),
        Atom::LogSumExp => {
            let m = x.max();
            if !m.is_finite() {
                return s(m);
            }
            s(m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln())
        }
        Atom::Softplus => Ok(x.map(softplus)),
        Atom::SigmoidHbar => Ok(x.map(sigmoid_hbar)),
        Atom::Transpose => Ok(x.transpose()),
    }
}

/// Gradients of an atom's arguments (`None` for constant ones).
fn atom_backward(
    atom: Atom,
    args: &[Node<'_>],
    out: &DMatrix<f64>,
    g: &DMatrix<f64>,
) -> Result<Vec<Option<DMatrix<f64>>>, EvalError> {
    let x = &args[0].value;
    let g0 = g[(0, 0)];
    let one = |m: DMatrix<f64>| Ok(vec![Some(m)]);
    match atom {
        Atom::Sum => one(DMatrix::from_element(x.nrows(), x.ncols(), g0)),
        Atom::SumSquares => one(x * (2.0 * g0)),
        Atom::QuadOverLin => {
            let y = scalar(&second(atom, args)?.value)?;
            if y > 0.0 {
                let gy = -x.norm_squared() / (y * y) * g0;
                Ok(vec![
                    Some(x * (2.0 * g0 / y)),
                    Some(DMatrix::from_element(1, 1, gy)),
                ])
            } else {
                Ok(vec![Some(x * 0.0), Some(DMatrix::zeros(1, 1))])
            }
        }
        Atom::Norm1 => one(x.map(|v| sign(v) * g0)),
        Atom::Norm2 => {
            let n = x.norm();
            one(if n > 0.0 { x * (g0 / n) } else { x * 0.0 })
        }
        Atom::NormInf => {
            let mut gx = DMatrix::zeros(x.nrows(), x.ncols());
            if let Some(k) = argmax(&x.map(f64::abs)) {
                gx[k] = sign(x[k]) * g0;
            }
            one(gx)
        }
        Atom::NuclearNorm => match svd(x, "nuclear_norm")? {
            Some(svd) => {
                let (u, vt) = svd_factors(&svd, atom)?;
                one(u * vt * g0)
            }
            None => {
                let n = x.norm();
                one(if n > 0.0 { x * (g0 / n) } else { x * 0.0 })
            }
        },
        Atom::SigmaMax => match svd(x, "sigma_max")? {
            Some(svd) => {
                let (u, vt) = svd_factors(&svd, atom)?;
                let k = svd.singular_values.imax();
                one(u.column(k) * vt.row(k) * g0)
            }
            None => {
                let n = x.norm();
                one(if n > 0.0 { x * (g0 / n) } else { x * 0.0 })
            }
        },
        Atom::Abs => one(map_grad(x, g, sign)),
        Atom::Pos => one(map_grad(x, g, |v| if v > 0.0 { 1.0 } else { 0.0 })),
        Atom::Maximum => {
            let b = &second(atom, args)?.value;
            let (ga, gb) =
                elementwise2_backward(x, b, g, |a, b| if a >= b { (1.0, 0.0) } else { (0.0, 1.0) });
            Ok(vec![Some(ga), Some(gb)])
        }
        Atom::Max => {
            let mut gx = DMatrix::zeros(x.nrows(), x.ncols());
            if let Some(k) = argmax(x) {
                gx[k] = g0;
            }
            one(gx)
        }
        Atom::Exp => one(out.component_mul(g)),
        Atom::Log => one(map_grad(x, g, |v| if v > 0.0 { 1.0 / v } else { 0.0 })),
        Atom::LogSumExp => {
            let m = x.max();
            if !m.is_finite() {
                return one(x * 0.0);
            }
            let e = x.map(|v| (v - m).exp());
            let total = e.sum();
            one(e * (g0 / total))
        }
        Atom::Softplus => one(map_grad(x, g, sigmoid)),
        Atom::SigmoidHbar => one(map_grad(x, g, sigmoid_hbar_derivative)),
        Atom::Transpose => one(g.transpose()),
    }
}

fn second<'a, 'e>(atom: Atom, args: &'a [Node<'e>]) -> Result<&'a Node<'e>, EvalError> {
    args.get(1).ok_or(EvalError::Shape {
        op: atom.name(),
        a: args.first().map_or((0, 0), |a| a.value.shape()),
        b: (0, 0),
    })
}

/// Index of the first largest entry (NaN entries are skipped); `None` when there is none.
fn argmax(x: &DMatrix<f64>) -> Option<(usize, usize)> {
    let mut best: Option<((usize, usize), f64)> = None;
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            let v = x[(i, j)];
            if best.is_none_or(|(_, b)| v > b) && !v.is_nan() {
                best = Some(((i, j), v));
            }
        }
    }
    best.map(|(k, _)| k)
}

/// The SVD of a matrix with more than one row and column (`None` for vectors and scalars,
/// whose singular value is their norm). Non-finite entries are an error, not a hang.
fn svd(
    x: &DMatrix<f64>,
    what: &'static str,
) -> Result<Option<SVD<f64, nalgebra::Dyn, nalgebra::Dyn>>, EvalError> {
    if x.nrows() <= 1 || x.ncols() <= 1 {
        return Ok(None);
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(EvalError::Svd(what));
    }
    SVD::try_new(x.clone(), true, true, f64::EPSILON, 0)
        .map(Some)
        .ok_or(EvalError::Svd(what))
}

fn svd_factors(
    svd: &SVD<f64, nalgebra::Dyn, nalgebra::Dyn>,
    atom: Atom,
) -> Result<(DMatrix<f64>, DMatrix<f64>), EvalError> {
    match (&svd.u, &svd.v_t) {
        (Some(u), Some(vt)) => Ok((u.clone(), vt.clone())),
        _ => Err(EvalError::Svd(atom.name())),
    }
}
