//! Activations by difference of convex functions (Convex-NN's DC splitting; METHODS §3).
//!
//! ```text
//! a = h(z) = p(z) − q(z)   is relaxed to   (u + a)/2 ≥ p(z),   (u − a)/2 ≥ q(z)
//! ```
//! entry by entry, with `p, q` the activation's `dc(p, q)` definition in `stdlib/` (or the
//! user's): the placeholder `z` becomes the layer's `Z`, and the split is translated like any
//! convex expression, so ReLU (`pos`) and softplus (exponential cones) are exact conic forms. The
//! two equalities `u = p + q`, `a = p − q` hold exactly when both inequalities are tight. An
//! atom with no conic form that is convex and smooth (`sigmoid_hbar`) is replaced by the max of
//! its tangent planes, at fixed points and at the anchor (refined every pass): an outer
//! approximation, so the set is still a relaxation; the largest gap `h̄(t) − max planes(t)` at
//! the solution is measured and reported.

use nalgebra::DMatrix;

use crate::convex::from_model::{self, Context};
use crate::convex::{Affine, Constraint, Expr, Program, VarId, VarSpec};
use crate::diag::Diagnostic;
use crate::model::{self, Atom, ExprKind};
use crate::nn::activation::{sigmoid_hbar, sigmoid_hbar_derivative};

/// The fixed tangent points of `h̄`; the anchor adds one per entry. At 0 the plane is `h̄`
/// itself for every `t ≥ 0`.
pub(super) const FIXED: [f64; 4] = [0.0, -1.0, -2.0, -4.0];

/// One `sigmoid_hbar(arg)` of an activation, replaced by its epigraph `T ≥ planes(arg)`.
#[derive(Clone, Debug)]
pub(crate) struct Tangent {
    /// The epigraph variable, shaped like `arg`.
    pub t: VarId,
    /// The argument: affine in the layer's `Z`.
    pub arg: Affine,
    /// The hidden layer (0-based).
    pub layer: usize,
}

impl Tangent {
    /// The argument's values at program point `x`.
    pub fn values(&self, x: &[f64]) -> Vec<f64> {
        (0..self.arg.len())
            .map(|k| {
                let (cols, coefs, c) = self.arg.entry(k);
                c + cols.iter().zip(coefs).map(|(&j, &a)| a * x[j]).sum::<f64>()
            })
            .collect()
    }

    /// The anchor plane of each entry, `t ↦ h̄(c) + h̄'(c)(t − c)` with `c = min(t̂, 0)` for the
    /// argument's anchor value `t̂`: `(slope, intercept)` per entry.
    pub fn anchor_planes(&self, anchor: &[f64]) -> Vec<(f64, f64)> {
        self.values(anchor)
            .into_iter()
            .map(|t| {
                let c = t.min(0.0);
                let s = sigmoid_hbar_derivative(c);
                (s, sigmoid_hbar(c) - s * c)
            })
            .collect()
    }

    /// `T ≥ slope ∘ arg + intercept` for planes given per entry.
    pub fn constraint(&self, prog: &Program, planes: &[(f64, f64)]) -> Constraint {
        let slopes: Vec<f64> = planes.iter().map(|p| p.0).collect();
        let rhs = self
            .arg
            .mul_elem(&slopes)
            .and_then(|a| {
                let c = Affine::constant(a.rows(), a.cols(), planes.iter().map(|p| p.1).collect())?;
                a.add(&c)
            })
            .expect("shapes match");
        Constraint::ge(prog.var_expr(self.t), rhs.into()).with_label(format!(
            "layer {}: sigmoid_hbar >= its tangent at the anchor",
            self.layer + 1
        ))
    }

    /// The largest `h̄(t) − max planes(t)` at the solution `x`, for anchor planes `planes`.
    pub fn gap(&self, x: &[f64], planes: &[(f64, f64)]) -> f64 {
        let mut worst = 0.0_f64;
        for (t, &(s, b)) in self.values(x).into_iter().zip(planes) {
            let mut best = s * t + b;
            for c in FIXED {
                let sc = sigmoid_hbar_derivative(c);
                best = best.max(sigmoid_hbar(c) + sc * (t - c));
            }
            worst = worst.max(sigmoid_hbar(t) - best);
        }
        worst
    }
}

/// Translates one part (`p` or `q`) of a hidden layer's split with `z` standing for `Z`.
struct Part<'a> {
    z: VarId,
    layer: usize,
    tangents: &'a mut Vec<Tangent>,
}

impl from_model::Lowering for Part<'_> {
    fn substitute(
        &mut self,
        e: &model::Expr,
        cx: &mut Context<'_>,
    ) -> Option<Result<Expr, Vec<Diagnostic>>> {
        match &e.kind {
            ExprKind::Placeholder => Some(Ok(cx.prog.var_expr(self.z))),
            ExprKind::Atom(Atom::SigmoidHbar, args) => Some(self.hbar(e, &args[0], cx)),
            _ => None,
        }
    }
}

impl Part<'_> {
    fn hbar(
        &mut self,
        e: &model::Expr,
        arg: &model::Expr,
        cx: &mut Context<'_>,
    ) -> Result<Expr, Vec<Diagnostic>> {
        let x = cx.expr(arg, self)?;
        let Some(arg) = x.as_affine().cloned() else {
            return Err(vec![Diagnostic::error(
                "E1401",
                "Convex-NN replaces `sigmoid_hbar` by tangent planes only for an argument affine in `z`",
            )
            .with_primary(e.span, "its argument is not affine")
            .with_help("write the activation's split with `sigmoid_hbar` of an affine expression of `z`")]);
        };
        let k = self.tangents.len() + 1;
        let t = cx.prog.add_var(VarSpec::new(
            format!("H{}_{k}", self.layer + 1),
            arg.rows(),
            arg.cols(),
        ));
        for c in FIXED {
            let s = sigmoid_hbar_derivative(c);
            let rhs = arg
                .scale(s)
                .add(&Affine::scalar(sigmoid_hbar(c) - s * c))
                .expect("a scalar broadcasts");
            cx.prog.constrain(
                Constraint::ge(cx.prog.var_expr(t), rhs.into())
                    .with_label(format!(
                        "layer {}: sigmoid_hbar >= its tangent at {c}",
                        self.layer + 1
                    ))
                    .with_stage(super::STAGE),
            );
        }
        self.tangents.push(Tangent {
            t,
            arg,
            layer: self.layer,
        });
        Ok(cx.prog.var_expr(t).with_span(e.span))
    }
}

/// The two parts `(p(Z), q(Z))` of hidden layer `layer`'s split (0-based) as program
/// expressions, adding a [`Tangent`] per `sigmoid_hbar` (with its fixed planes).
pub(super) fn parts(
    cx: &mut Context<'_>,
    act: &model::Activation,
    layer: usize,
    z: VarId,
    tangents: &mut Vec<Tangent>,
) -> Result<(Expr, Expr), Vec<Diagnostic>> {
    let mut part = Part { z, layer, tangents };
    let p = cx.expr(&act.p, &mut part)?;
    let q = cx.expr(&act.q, &mut part)?;
    Ok((p, q))
}

/// The DC auxiliary centred at the anchor: the program's `U` stands for
/// `u − (p + q)(ž) − (p + q)'(ž)(z − ž)`, so `u = U + s∘z + c` with `s = (p + q)'(ž)` and
/// `c = (p + q)(ž) − s ž` per entry (and the penalty's DC group is `Σ U`).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Shift {
    pub s: Vec<f64>,
    pub c: Vec<f64>,
}

impl Shift {
    /// The shift of a hidden layer whose anchor pre-activations are `z0`.
    pub fn at(act: &model::Activation, z0: &DMatrix<f64>) -> Shift {
        let (mut s, mut c) = (Vec::with_capacity(z0.len()), Vec::with_capacity(z0.len()));
        for &z in z0.iter() {
            let ((p, pd), (q, qd)) = crate::nn::activation::dc_parts(act, z).unwrap_or_default();
            s.push(pd + qd);
            c.push(p + q - (pd + qd) * z);
        }
        Shift { s, c }
    }

    /// `u` at values `(U, Z)`.
    pub fn u(&self, uh: &DMatrix<f64>, z: &DMatrix<f64>) -> DMatrix<f64> {
        let mut u = uh.clone();
        for k in 0..u.len() {
            u[k] += self.s[k] * z[k] + self.c[k];
        }
        u
    }
}

/// `(u + a)/2 ≥ p(Z)` and `(u − a)/2 ≥ q(Z)` with `u = U + s∘Z + c`.
#[allow(clippy::too_many_arguments)]
pub(super) fn constraints(
    prog: &Program,
    (p, q): &(Expr, Expr),
    layer: usize,
    z: VarId,
    a: VarId,
    u: VarId,
    shift: &Shift,
) -> Vec<Constraint> {
    let k = layer + 1;
    let zb = &prog.vars[z.0];
    let uu = prog
        .var(u)
        .add(&prog.var(z).mul_elem(&shift.s).expect("one slope per entry"))
        .and_then(|x| x.add(&Affine::constant(zb.rows, zb.cols, shift.c.clone())?))
        .expect("shapes match");
    let av = prog.var(a);
    let plus = uu.add(&av).expect("shapes match").scale(0.5);
    let minus = uu.sub(&av).expect("shapes match").scale(0.5);
    vec![
        Constraint::ge(plus.into(), p.clone())
            .with_label(format!("layer {k}: (u{k} + A{k})/2 >= p(Z{k})")),
        Constraint::ge(minus.into(), q.clone())
            .with_label(format!("layer {k}: (u{k} - A{k})/2 >= q(Z{k})")),
    ]
}

/// Largest `|(u + a)/2 − p(z)|` and `|(u − a)/2 − q(z)|` (exact `p, q`) and `|a − h(z)|` of a
/// hidden layer's values.
pub(super) fn gaps(
    act: &model::Activation,
    z: &DMatrix<f64>,
    a: &DMatrix<f64>,
    u: &DMatrix<f64>,
) -> (f64, f64, f64) {
    let (mut gp, mut gq, mut ga) = (0.0_f64, 0.0_f64, 0.0_f64);
    for k in 0..z.len() {
        let ((p, _), (q, _)) = crate::nn::activation::dc_parts(act, z[k]).unwrap_or_default();
        gp = gp.max(((u[k] + a[k]) / 2.0 - p).abs());
        gq = gq.max(((u[k] - a[k]) / 2.0 - q).abs());
        ga = ga.max((a[k] - (p - q)).abs());
    }
    (gp, gq, ga)
}

/// Values of program block `v` at `x`.
pub(super) fn block(prog: &Program, v: VarId, x: &[f64]) -> DMatrix<f64> {
    let b = &prog.vars[v.0];
    DMatrix::from_column_slice(b.rows, b.cols, &x[b.offset..b.offset + b.len()])
}
