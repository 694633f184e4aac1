//! Spectral atoms and PSD constraints through PSD cones (upper triangle by columns, √2-scaled).
//!
//! ```text
//! ‖X‖_* ≤ (tr U + tr V)/2     with  [[U, X], [Xᵀ, V]] ⪰ 0                 (U, V symmetric)
//! σ_max(X) ≤ t                ⇔    [[t I, X], [Xᵀ, t I]] ⪰ 0
//! S ⪰ 0                       ⇔    svec((S + Sᵀ)/2) ∈ PSD triangle cone
//! ```
//! `svec(S) = (S₀₀, √2 S₀₁, S₁₁, √2 S₀₂, √2 S₁₂, S₂₂, …)`.

use crate::conic::{Cone, Origin};
use crate::convex::{Affine, ShapeError};

use super::{at, Builder};

/// Adds `svec(M) ∈ PSD` where entry `(i, j)` (`i ≤ j`) of the symmetric `M` is `entry(i, j)`.
fn psd_block(
    b: &mut Builder,
    n: usize,
    entry: impl Fn(usize, usize) -> Affine,
    o: Origin,
) -> Result<(), ShapeError> {
    let mut parts = Vec::with_capacity(n * (n + 1) / 2);
    for j in 0..n {
        for i in 0..=j {
            let e = entry(i, j);
            parts.push(if i == j {
                e
            } else {
                e.scale(std::f64::consts::SQRT_2)
            });
        }
    }
    let s = Affine::vstack(&parts)?;
    b.cone(Cone::PsdTriangle(n), &s, o);
    Ok(())
}

/// `(S + Sᵀ)/2 ⪰ 0` for a square affine `S`.
pub(super) fn psd(b: &mut Builder, s: &Affine, o: &Origin) -> Result<(), ShapeError> {
    let n = s.rows();
    if s.cols() != n {
        return Err(ShapeError::new(format!(
            "PSD constraint on a {}x{} matrix",
            n,
            s.cols()
        )));
    }
    let sym = s.add(&s.transpose())?.scale(0.5);
    let z = Affine::scalar(0.0);
    psd_block(
        b,
        n,
        |i, j| sym.at(i, j).unwrap_or_else(|_| z.clone()),
        o.clone(),
    )
}

/// Epigraph of the nuclear norm.
pub(super) fn nuclear_norm(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    let (m, n) = (x.rows(), x.cols());
    let u = b.new_var("U", m * (m + 1) / 2, 1);
    let v = b.new_var("V", n * (n + 1) / 2, 1);
    let tri = |i: usize, j: usize| j * (j + 1) / 2 + i;
    let z = Affine::scalar(0.0);
    let entry = |i: usize, j: usize| -> Affine {
        let r = if j < m {
            u.at(tri(i, j), 0)
        } else if i < m {
            x.at(i, j - m)
        } else {
            v.at(tri(i - m, j - m), 0)
        };
        r.unwrap_or_else(|_| z.clone())
    };
    psd_block(b, m + n, entry, at(o, "canon:nuclear_norm", None))?;
    let diag_u: Vec<usize> = (0..m).map(|i| tri(i, i)).collect();
    let diag_v: Vec<usize> = (0..n).map(|i| tri(i, i)).collect();
    let tr = u
        .select(&diag_u, m, 1)?
        .sum()
        .add(&v.select(&diag_v, n, 1)?.sum())?;
    Ok(tr.scale(0.5))
}

/// Epigraph of the largest singular value.
pub(super) fn sigma_max(b: &mut Builder, x: &Affine, o: &Origin) -> Result<Affine, ShapeError> {
    let (m, n) = (x.rows(), x.cols());
    let t = b.new_var("t", 1, 1);
    let z = Affine::scalar(0.0);
    let entry = |i: usize, j: usize| -> Affine {
        if i == j {
            t.clone()
        } else if i < m && j >= m {
            x.at(i, j - m).unwrap_or_else(|_| z.clone())
        } else {
            z.clone()
        }
    };
    psd_block(b, m + n, entry, at(o, "canon:sigma_max", None))?;
    Ok(t)
}
