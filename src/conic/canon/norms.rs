//! Norms and absolute value: linear and second-order cone epigraphs.
//!
//! ```text
//! |x| ≤ t      ⇔  t − x ≥ 0, t + x ≥ 0                  (entry-wise, nonneg rows)
//! ‖x‖₁ ≤ Σ t   with |xₖ| ≤ tₖ
//! ‖x‖∞ ≤ t     ⇔  t − xₖ ≥ 0, t + xₖ ≥ 0                 (scalar t)
//! ‖x‖₂ ≤ t     ⇔  (t, x) ∈ SOC(1 + len x)              (Frobenius for matrices)
//! ```

use crate::conic::{Cone, Origin};
use crate::convex::{Affine, ShapeError};

use super::{at, Builder};

/// `|x| ≤ t` entry-wise, for a new `t` of `x`'s shape.
fn abs_rows(
    b: &mut Builder,
    x: &Affine,
    o: &Origin,
    stage: &'static str,
) -> Result<Affine, ShapeError> {
    let t = b.new_var("t", x.rows(), x.cols());
    let s = Affine::vstack(&[
        t.sub(x)?.reshape(x.len(), 1)?,
        t.add(x)?.reshape(x.len(), 1)?,
    ])?;
    b.cone(Cone::Nonneg(s.len()), &s, at(o, stage, None));
    Ok(t)
}

/// Epigraph of `|x|` (entry-wise).
pub(super) fn abs(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    abs_rows(b, x, o, "canon:abs")
}

/// Epigraph of `‖x‖₁`.
pub(super) fn norm1(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    Ok(abs_rows(b, x, o, "canon:norm1")?.sum())
}

/// Epigraph of `‖x‖∞`.
pub(super) fn norm_inf(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    let t = b.new_var("t", 1, 1);
    let v = x.reshape(x.len(), 1)?;
    let s = Affine::vstack(&[t.sub(&v)?, t.add(&v)?])?;
    b.cone(Cone::Nonneg(s.len()), &s, at(o, "canon:norm_inf", None));
    Ok(t)
}

/// Epigraph of `‖x‖₂`.
pub(super) fn norm2(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    let t = b.new_var("t", 1, 1);
    norm2_le(b, x, &t, o)?;
    Ok(t)
}

/// `‖x‖₂ ≤ t` for a given scalar affine `t`.
pub(super) fn norm2_le(
    b: &mut Builder,
    x: &Affine,
    t: &Affine,
    o: &Origin,
) -> Result<(), ShapeError> {
    let s = Affine::vstack(&[t.clone(), x.reshape(x.len(), 1)?])?;
    b.cone(Cone::SecondOrder(s.len()), &s, at(o, "canon:norm2", None));
    Ok(())
}
