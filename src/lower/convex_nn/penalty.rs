//! The penalty around the anchor (Convex-NN's sequential penalty; METHODS §3).
//!
//! ```text
//! r = μ Σ_{l≥2} [ Σ_i (Wd_i − 2 w_i·w̌_i + ‖w̌_i‖²) + Σ_j (Ad_j − 2 a_j·ǎ_j + ‖ǎ_j‖²) ]
//!   + μ Σ_hidden Σ_ji [ (u+a)/2 − p(ž) − p'(ž)(z − ž) + (u−a)/2 − q(ž) − q'(ž)(z − ž) ]
//! minimize loss(Zᴸ) + η r
//! ```
//! `(W̌, b̌)` is the anchor and `Ǎ, Ž` its true forward pass. Each group is ≥ 0 on the relaxed
//! set (`Wd_i ≥ ‖w_i‖² ≥ 2 w_i·w̌_i − ‖w̌_i‖²`; `p, q` convex lie above their tangents) and 0
//! exactly when the lifted variables are tight at the anchor, so a pass whose solution is its
//! anchor is a network. The program's lifted scalars are centred at the anchor
//! ([`super::parabolic`], [`super::dc::Shift`]): each bracket is one program variable, so
//! `r = μ (Σ Wd + Σ Ad + Σ U)` in the program's own variables — linear, fixed, and free of the
//! large constant the uncentred form cancels.

use super::Lifted;
use crate::convex::{Affine, Program};

/// The columns of `r`'s terms (each with weight 1): every lifted `Wd, Ad` and every `U`.
pub(super) fn columns(prog: &Program, lf: &Lifted) -> Vec<usize> {
    let mut cols = Vec::new();
    for v in lf.wd.iter().chain(&lf.ad).flatten().chain(&lf.u) {
        let b = &prog.vars[v.0];
        cols.extend(b.offset..b.offset + b.len());
    }
    cols
}

/// `scale · Σ` of those columns.
pub(super) fn objective(prog: &Program, lf: &Lifted, scale: f64) -> Affine {
    let cols = columns(prog, lf);
    Affine::from_fn(1, 1, |_, terms| {
        for &c in &cols {
            terms.push(c, scale);
        }
        0.0
    })
}

/// `scale · Σ` of those columns at program point `x`.
pub(super) fn value(prog: &Program, lf: &Lifted, scale: f64, x: &[f64]) -> f64 {
    scale * columns(prog, lf).into_iter().map(|c| x[c]).sum::<f64>()
}
