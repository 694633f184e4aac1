//! Squares: `sum_squares`, `quad_over_lin`, powers, and squared terms of the objective kept in `P`.
//!
//! ```text
//! ‖x‖² ≤ t          ⇔  (t + 1, t − 1, 2x) ∈ SOC(2 + len x)          (rotated cone, y = 1)
//! ‖x‖² / y ≤ t      ⇔  (t + y, t − y, 2x) ∈ SOC(2 + len x)
//! x² ≤ t            ⇔  (t + 1, t − 1, 2x) ∈ SOC(3)                  (entry-wise power 2)
//! |x|ᵖ ≤ t (p > 1)  ⇔  (t, 1, x) ∈ K_pow(1/p);   xᵖ ≥ t (0 < p < 1)  ⇔  (x, 1, t) ∈ K_pow(p)
//! objective  w Σₖ cₖ aₖ(x)²  (w cₖ ≥ 0):  aₖ = α x_j + β  →  P_jj += 2wcₖα², q_j += 2wcₖαβ;
//!            aₖ with several terms → residual rₖ, row rₖ − aₖ = 0, P_rr += 2wcₖ
//! ```

use crate::conic::{Cone, Origin};
use crate::convex::{Affine, Atom, Expr, LinOp, Node, ShapeError};
use crate::diag::Diagnostic;

use super::{at, shape_err, Builder};

/// Epigraph of `‖x‖²`.
pub(super) fn sum_squares(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    quad_over_lin(b, x, &Affine::scalar(1.0), o)
}

/// Epigraph of `‖x‖² / y`.
pub(super) fn quad_over_lin(
    b: &mut Builder,
    x: &Affine,
    y: &Affine,
    o: &Origin,
) -> Result<Affine, ShapeError> {
    let t = b.new_var("t", 1, 1);
    quad_over_lin_le(b, x, y, &t, o)?;
    Ok(t)
}

/// `‖x‖² / y ≤ t` for a given scalar affine `t`.
pub(super) fn quad_over_lin_le(
    b: &mut Builder,
    x: &Affine,
    y: &Affine,
    t: &Affine,
    o: &Origin,
) -> Result<(), ShapeError> {
    let s = Affine::vstack(&[t.add(y)?, t.sub(y)?, x.reshape(x.len(), 1)?.scale(2.0)])?;
    b.cone(
        Cone::SecondOrder(s.len()),
        &s,
        at(o, "canon:sum_squares", None),
    );
    Ok(())
}

/// Epigraph (`p ≥ 1`) or hypograph (`0 < p < 1`) of `xᵖ` entry-wise.
pub(super) fn power(b: &mut Builder, x: &Affine, p: f64, o: &Origin) -> Result<Affine, ShapeError> {
    if p == 1.0 {
        return Ok(x.clone());
    }
    let t = b.new_var("t", x.rows(), x.cols());
    let one = Affine::scalar(1.0);
    for k in 0..x.len() {
        let xk = x.select(&[k], 1, 1)?;
        let tk = t.select(&[k], 1, 1)?;
        if p == 2.0 {
            let s = Affine::vstack(&[tk.add(&one)?, tk.sub(&one)?, xk.scale(2.0)])?;
            b.cone(Cone::SecondOrder(3), &s, at(o, "canon:power", None));
        } else if p > 1.0 {
            let s = Affine::vstack(&[tk, one.clone(), xk])?;
            b.cone(Cone::Power(1.0 / p), &s, at(o, "canon:power", None));
        } else {
            let s = Affine::vstack(&[xk, one.clone(), tk])?;
            b.cone(Cone::Power(p), &s, at(o, "canon:power", None));
        }
    }
    Ok(t)
}

/// If `w · e` is a weighted sum of squares of an affine (or monotone-convex) argument, puts it in
/// `P` and returns `Some(())`; otherwise leaves everything unchanged and returns `None`.
pub(super) fn objective_term(
    b: &mut Builder,
    e: &Expr,
    w: f64,
    o: &Origin,
) -> Result<Option<()>, Diagnostic> {
    // Recognize w·Σ c ⊙ x² shapes: sum_squares(x), quad_over_lin(x, c), x^2 (scalar),
    // sum(x^2), sum(c ⊙ x^2) with c ≥ 0.
    let (arg, weights): (&Expr, Vec<f64>) = match &e.node {
        Node::Atom(Atom::SumSquares, args) => (&args[0], vec![w]),
        Node::Atom(Atom::QuadOverLin, args) => match args[1].as_affine() {
            Some(y) if y.is_constant() && y.constants()[0] > 0.0 => {
                (&args[0], vec![w / y.constants()[0]])
            }
            _ => return Ok(None),
        },
        Node::Atom(Atom::Power(p), args) if *p == 2.0 && e.len() == 1 => (&args[0], vec![w]),
        Node::Linear(LinOp::Sum, inner) => match &inner[0].node {
            Node::Atom(Atom::Power(p), args) if *p == 2.0 => (&args[0], vec![w]),
            Node::Linear(LinOp::MulElem(d), args2) if d.iter().all(|&c| c >= 0.0) => {
                match &args2[0].node {
                    Node::Atom(Atom::Power(p), args) if *p == 2.0 => {
                        (&args[0], d.iter().map(|c| c * w).collect())
                    }
                    _ => return Ok(None),
                }
            }
            _ => return Ok(None),
        },
        _ => return Ok(None),
    };
    if w <= 0.0 {
        return Ok(None);
    }
    let span = e.span.or(o.span);
    let x = b.expr(arg, o)?;
    let o = at(o, "canon:sum_squares", span);
    quadratic(b, &x, &weights, &o).map_err(shape_err(span))?;
    Ok(Some(()))
}

/// Adds `Σₖ wₖ xₖ²` (`wₖ ≥ 0`, one weight or one per entry) to the objective through `P`.
pub(crate) fn quadratic(
    b: &mut Builder,
    x: &Affine,
    weights: &[f64],
    o: &Origin,
) -> Result<(), ShapeError> {
    let x = x.compact();
    let weight = |k: usize| {
        if weights.len() == 1 {
            weights[0]
        } else {
            weights[k]
        }
    };
    let mut multi = Vec::new();
    for k in 0..x.len() {
        let wk = weight(k);
        let (vars, coefs, c0) = x.entry(k);
        match vars.len() {
            _ if wk == 0.0 => {}
            0 => b.constant += wk * c0 * c0,
            1 => {
                let (j, a) = (vars[0], coefs[0]);
                b.p_diag(j, 2.0 * wk * a * a);
                b.q_add(j, 2.0 * wk * a * c0);
                b.constant += wk * c0 * c0;
            }
            _ => multi.push(k),
        }
    }
    if !multi.is_empty() {
        let r = b.new_var("r", multi.len(), 1);
        let s = r.sub(&x.select(&multi, multi.len(), 1)?)?;
        b.cone(Cone::Zero(s.len()), &s, o.clone());
        for (i, &k) in multi.iter().enumerate() {
            let (vars, ..) = r.entry(i);
            b.p_diag(vars[0], 2.0 * weight(k));
        }
    }
    Ok(())
}
