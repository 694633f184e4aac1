//! Exponential-cone atoms: `exp`, `log`, `log_sum_exp`, `softplus` (logistic).
//!
//! `K_exp = cl{(x, y, z) : y e^{x/y} ≤ z, y > 0}` (Clarabel's order).
//! ```text
//! eˣ ≤ t              ⇔  (x, 1, t) ∈ K_exp
//! log x ≥ t           ⇔  (t, 1, x) ∈ K_exp
//! log Σ e^{xₖ} ≤ t    ⇔  (xₖ − t, 1, uₖ) ∈ K_exp, Σ uₖ ≤ 1
//! log(1 + eˣ) ≤ t     ⇔  (−t, 1, u) ∈ K_exp, (x − t, 1, v) ∈ K_exp, u + v ≤ 1
//! ```

use crate::conic::{Cone, Origin};
use crate::convex::{Affine, ShapeError};

use super::{at, Builder};

/// Adds `(x[k], 1, z[k]) ∈ K_exp` for every entry (`x`, `z` of equal length).
fn exp_cones(
    b: &mut Builder,
    x: &Affine,
    z: &Affine,
    o: &Origin,
    stage: &'static str,
) -> Result<(), ShapeError> {
    let one = Affine::scalar(1.0);
    for k in 0..x.len() {
        let s = Affine::vstack(&[x.select(&[k], 1, 1)?, one.clone(), z.select(&[k], 1, 1)?])?;
        b.cone(Cone::Exponential, &s, at(o, stage, None));
    }
    Ok(())
}

/// Epigraph of `eˣ`.
pub(super) fn exp(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    let t = b.new_var("t", x.rows(), x.cols());
    exp_cones(b, x, &t, o, "canon:exp")?;
    Ok(t)
}

/// Hypograph of `log x`.
pub(super) fn log(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    let t = b.new_var("t", x.rows(), x.cols());
    exp_cones(b, &t, x, o, "canon:log")?;
    Ok(t)
}

/// Epigraph of `log Σ eˣ`.
pub(super) fn log_sum_exp(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    let t = b.new_var("t", 1, 1);
    let u = b.new_var("u", x.len(), 1);
    exp_cones(
        b,
        &x.reshape(x.len(), 1)?.sub(&t)?,
        &u,
        o,
        "canon:log_sum_exp",
    )?;
    let s = Affine::scalar(1.0).sub(&u.sum())?;
    b.cone(Cone::Nonneg(1), &s, at(o, "canon:log_sum_exp", None));
    Ok(t)
}

/// Epigraph of `log(1 + eˣ)` (entry-wise).
pub(super) fn softplus(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    let n = x.len();
    let t = b.new_var("t", x.rows(), x.cols());
    let u = b.new_var("u", n, 1);
    let v = b.new_var("v", n, 1);
    let tv = t.reshape(n, 1)?;
    exp_cones(b, &tv.neg(), &u, o, "canon:softplus")?;
    exp_cones(b, &x.reshape(n, 1)?.sub(&tv)?, &v, o, "canon:softplus")?;
    let s = Affine::scalar(1.0).sub(&u)?.sub(&v)?;
    b.cone(Cone::Nonneg(n), &s, at(o, "canon:softplus", None));
    Ok(t)
}
