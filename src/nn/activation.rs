//! Activations evaluated numerically, with their derivatives.
//!
//! The model IR defines an activation as a DC split `h(z) = p(z) − q(z)` over a scalar
//! placeholder `z`. The known library activations get closed forms (fast, exact derivatives):
//! `identity(z) = z`, `relu(z) = max(z, 0)`, `leaky_relu(z) = max(z, 0.01 z)`,
//! `sigmoid(z) = 1 / (1 + e^{−z})`, `softplus(z) = log(1 + e^z)`. A closed form is used only when
//! it agrees with the model's own `p − q` at a few test points, so a user definition that
//! shadows a library name is still evaluated as written; any other activation is evaluated from
//! `p − q` with forward-mode derivatives (dual numbers). At kinks the derivative is the one-sided
//! derivative from the right for `max`-type atoms with a strict comparison (`relu'(0) = 0`), a
//! valid subgradient.

use crate::model::Expr;
use crate::model::{Activation, Atom, ExprKind};
use crate::syntax::ast::BinOp;

/// The slope of `leaky_relu` for negative inputs.
pub const LEAKY_SLOPE: f64 = 0.01;

/// A numeric activation function.
#[derive(Clone, Debug)]
pub enum ActivationFn {
    /// `z`.
    Identity,
    /// `max(z, 0)`.
    Relu,
    /// `max(z, 0.01 z)`.
    LeakyRelu,
    /// `1 / (1 + e^{−z})`.
    Sigmoid,
    /// `log(1 + e^z)`.
    Softplus,
    /// `p(z) − q(z)` evaluated from the model's expressions.
    Dc {
        /// The activation's name.
        name: String,
        /// `p`.
        p: Box<Expr>,
        /// `q`.
        q: Box<Expr>,
    },
}

/// Points where a closed form is compared with the model's definition.
const CHECK_POINTS: [f64; 6] = [-3.0, -0.7, -0.01, 0.02, 0.9, 2.5];

impl ActivationFn {
    /// The closed form of a library activation by name (`None` for other names).
    pub fn from_name(name: &str) -> Option<ActivationFn> {
        Some(match name {
            "identity" => ActivationFn::Identity,
            "relu" => ActivationFn::Relu,
            "leaky_relu" => ActivationFn::LeakyRelu,
            "sigmoid" => ActivationFn::Sigmoid,
            "softplus" => ActivationFn::Softplus,
            _ => return None,
        })
    }

    /// The numeric form of a model activation: the closed form when the name is known and the
    /// definition agrees with it, otherwise `p − q` as written.
    pub fn from_model(act: &Activation) -> ActivationFn {
        let generic = ActivationFn::Dc {
            name: act.name.clone(),
            p: Box::new(act.p.clone()),
            q: Box::new(act.q.clone()),
        };
        let Some(closed) = ActivationFn::from_name(&act.name) else {
            return generic;
        };
        let agrees = CHECK_POINTS.iter().all(|&z| match generic.try_eval(z) {
            Some((v, _)) => (v - closed.eval(z)).abs() <= 1e-9 * (1.0 + v.abs()),
            // A definition this evaluator cannot read: trust the library name.
            None => true,
        });
        if agrees {
            closed
        } else {
            generic
        }
    }

    /// The name (`relu`, ...).
    pub fn name(&self) -> &str {
        match self {
            ActivationFn::Identity => "identity",
            ActivationFn::Relu => "relu",
            ActivationFn::LeakyRelu => "leaky_relu",
            ActivationFn::Sigmoid => "sigmoid",
            ActivationFn::Softplus => "softplus",
            ActivationFn::Dc { name, .. } => name,
        }
    }

    /// Whether this is the identity (no work in a forward pass).
    pub fn is_identity(&self) -> bool {
        matches!(self, ActivationFn::Identity)
    }

    /// `h(z)`. A `p − q` definition that cannot be evaluated gives NaN.
    pub fn eval(&self, z: f64) -> f64 {
        self.eval_with_derivative(z).0
    }

    /// `h'(z)` (a subgradient at kinks).
    pub fn derivative(&self, z: f64) -> f64 {
        self.eval_with_derivative(z).1
    }

    /// `(h(z), h'(z))`.
    pub fn eval_with_derivative(&self, z: f64) -> (f64, f64) {
        match self {
            ActivationFn::Identity => (z, 1.0),
            ActivationFn::Relu => {
                if z > 0.0 {
                    (z, 1.0)
                } else {
                    (0.0, 0.0)
                }
            }
            ActivationFn::LeakyRelu => {
                if z > 0.0 {
                    (z, 1.0)
                } else {
                    (LEAKY_SLOPE * z, LEAKY_SLOPE)
                }
            }
            ActivationFn::Sigmoid => {
                let s = sigmoid(z);
                (s, s * (1.0 - s))
            }
            ActivationFn::Softplus => (softplus(z), sigmoid(z)),
            ActivationFn::Dc { .. } => self.try_eval(z).unwrap_or((f64::NAN, f64::NAN)),
        }
    }

    fn try_eval(&self, z: f64) -> Option<(f64, f64)> {
        match self {
            ActivationFn::Dc { p, q, .. } => {
                let (pv, pd) = dual(p, z)?;
                let (qv, qd) = dual(q, z)?;
                Some((pv - qv, pd - qd))
            }
            other => Some(other.eval_with_derivative(z)),
        }
    }
}

/// The logistic function `1 / (1 + e^{−z})`, stable for large `|z|`.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + e^z)`, stable for large `|z|`.
pub fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// `h̄(z)`: `sigmoid(z)` for `z ≤ 0`, `z/4 + 1/2` above (convex, continuously differentiable).
pub fn sigmoid_hbar(z: f64) -> f64 {
    if z <= 0.0 {
        sigmoid(z)
    } else {
        z / 4.0 + 0.5
    }
}

/// `h̄'(z)`.
pub fn sigmoid_hbar_derivative(z: f64) -> f64 {
    if z <= 0.0 {
        let s = sigmoid(z);
        s * (1.0 - s)
    } else {
        0.25
    }
}

/// `(p(z), p'(z))` and `(q(z), q'(z))` of an activation's DC split, as written; `None` when a
/// part is not a scalar function of `z` alone.
pub fn dc_parts(act: &Activation, z: f64) -> Option<((f64, f64), (f64, f64))> {
    Some((dual(&act.p, z)?, dual(&act.q, z)?))
}

/// Value and derivative in `z` of a scalar expression of the placeholder (forward mode).
/// `None` for forms that are not scalar functions of `z` alone.
fn dual(e: &Expr, z: f64) -> Option<(f64, f64)> {
    Some(match &e.kind {
        ExprKind::Number { value, .. } => (*value, 0.0),
        ExprKind::Placeholder => (z, 1.0),
        ExprKind::Matrix(m) if m.len() == 1 => (m[(0, 0)], 0.0),
        ExprKind::Neg(a) => {
            let (v, d) = dual(a, z)?;
            (-v, -d)
        }
        ExprKind::Entry(a, _) => dual(a, z)?,
        ExprKind::Binary(op, a, b) => dual_binary(*op, dual(a, z)?, dual(b, z)?),
        ExprKind::Chain(a, steps) => {
            let mut acc = dual(a, z)?;
            for s in steps {
                acc = dual_binary(s.op, acc, dual(&s.rhs, z)?);
            }
            acc
        }
        ExprKind::Atom(atom, args) => {
            let (v, d) = dual(args.first()?, z)?;
            match atom {
                Atom::Sum | Atom::Max | Atom::LogSumExp | Atom::Transpose => (v, d),
                Atom::SumSquares => (v * v, 2.0 * v * d),
                Atom::Norm1
                | Atom::Norm2
                | Atom::NormInf
                | Atom::NuclearNorm
                | Atom::SigmaMax
                | Atom::Abs => (v.abs(), sign(v) * d),
                Atom::Pos => {
                    if v > 0.0 {
                        (v, d)
                    } else {
                        (0.0, 0.0)
                    }
                }
                Atom::Maximum => {
                    let (w, wd) = dual(args.get(1)?, z)?;
                    if v >= w {
                        (v, d)
                    } else {
                        (w, wd)
                    }
                }
                Atom::QuadOverLin => {
                    let (w, wd) = dual(args.get(1)?, z)?;
                    (v * v / w, 2.0 * v * d / w - v * v * wd / (w * w))
                }
                Atom::Exp => (v.exp(), v.exp() * d),
                Atom::Log => (v.ln(), d / v),
                Atom::Softplus => (softplus(v), sigmoid(v) * d),
                Atom::SigmoidHbar => (sigmoid_hbar(v), sigmoid_hbar_derivative(v) * d),
            }
        }
        ExprKind::Matrix(_)
        | ExprKind::Data(..)
        | ExprKind::Var(_)
        | ExprKind::Weights(_)
        | ExprKind::NetOut(..)
        | ExprKind::ClassRows(..) => return None,
    })
}

/// The sign as a subgradient of `|x|`: 0 at 0.
pub(crate) fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// `a op b` in forward mode, from the values and derivatives of `a` and `b`.
fn dual_binary(op: BinOp, (av, ad): (f64, f64), (bv, bd): (f64, f64)) -> (f64, f64) {
    match op {
        BinOp::Add => (av + bv, ad + bd),
        BinOp::Sub => (av - bv, ad - bd),
        BinOp::Mul | BinOp::MatMul => (av * bv, ad * bv + av * bd),
        BinOp::Div => (av / bv, (ad * bv - av * bd) / (bv * bv)),
        BinOp::Pow => {
            let v = av.powf(bv);
            let mut d = bv * av.powf(bv - 1.0) * ad;
            if bd != 0.0 {
                d += v * av.ln() * bd;
            }
            (v, d)
        }
    }
}
