//! Piecewise-linear atoms: `pos`, `maximum`, `max`, as non-negative rows.
//!
//! ```text
//! max(x, 0) ≤ t     ⇔  t − x ≥ 0, t ≥ 0             (entry-wise)
//! max(x, y) ≤ t     ⇔  t − x ≥ 0, t − y ≥ 0         (entry-wise, a scalar side broadcast)
//! maxₖ xₖ ≤ t       ⇔  t − xₖ ≥ 0 for every k        (scalar t)
//! ```

use crate::conic::{Cone, Origin};
use crate::convex::{Affine, ShapeError};

use super::{at, Builder};

/// Epigraph of `max(x, 0)`.
pub(super) fn pos(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    let t = b.new_var("t", x.rows(), x.cols());
    let s = Affine::vstack(&[t.sub(x)?.reshape(x.len(), 1)?, t.reshape(x.len(), 1)?])?;
    b.cone(Cone::Nonneg(s.len()), &s, at(o, "canon:pos", None));
    Ok(t)
}

/// Epigraph of `max(x, y)` entry-wise.
pub(super) fn maximum(
    b: &mut Builder,
    x: &Affine,
    y: &Affine,
    o: &Origin,
) -> Result<Affine, ShapeError> {
    let shape = if x.len() == 1 {
        (y.rows(), y.cols())
    } else {
        (x.rows(), x.cols())
    };
    let t = b.new_var("t", shape.0, shape.1);
    let n = t.len();
    let s = Affine::vstack(&[t.sub(x)?.reshape(n, 1)?, t.sub(y)?.reshape(n, 1)?])?;
    b.cone(Cone::Nonneg(s.len()), &s, at(o, "canon:maximum", None));
    Ok(t)
}

/// Epigraph of the largest entry.
pub(super) fn max(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    let t = b.new_var("t", 1, 1);
    let s = t.sub(&x.reshape(x.len(), 1)?)?;
    b.cone(Cone::Nonneg(s.len()), &s, at(o, "canon:max", None));
    Ok(t)
}
