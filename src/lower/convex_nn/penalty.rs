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
//! anchor is a network. `r` is linear: the anchor sets only numbers of the objective, never
//! its structure.

use nalgebra::DMatrix;

use super::parabolic::col;
use super::{Anchor, Lifted};
use crate::convex::Program;
use crate::lower::network::TrainedNet;

/// `η r` for one anchor: `(column, coefficient)` in a fixed order, and its constant.
#[derive(Clone, Debug, PartialEq, Default)]
pub(super) struct Penalty {
    pub terms: Vec<(usize, f64)>,
    pub constant: f64,
}

/// `η r` around `anchor` (`scale` = η μ).
pub(super) fn penalty(
    prog: &Program,
    lf: &Lifted,
    net: &TrainedNet,
    anchor: &Anchor,
    scale: f64,
) -> Penalty {
    let mut p = Penalty::default();
    let m = net.samples;
    for l in 1..net.layers.len() {
        let layer = &net.layers[l];
        let (wd, ad) = (lf.wd[l].expect("lifted"), lf.ad[l].expect("lifted"));
        let (w, a) = (lf.w[l], lf.a[l - 1]);
        let (w0, a0): (&DMatrix<f64>, &DMatrix<f64>) = (&anchor.w[l], &anchor.a[l - 1]);
        for i in 0..layer.outputs {
            p.terms.push((col(prog, wd, i, 0), scale));
            for e in 0..layer.inputs {
                let v = w0[(i, e)];
                p.terms.push((col(prog, w, i, e), -2.0 * scale * v));
                p.constant += scale * v * v;
            }
        }
        for j in 0..m {
            p.terms.push((col(prog, ad, j, 0), scale));
            for e in 0..layer.inputs {
                let v = a0[(j, e)];
                p.terms.push((col(prog, a, j, e), -2.0 * scale * v));
                p.constant += scale * v * v;
            }
        }
    }
    for h in 0..lf.u.len() {
        let act = &net.layers[h].activation;
        let (u, z) = (lf.u[h], lf.z[h]);
        let z0 = &anchor.z[h];
        for i in 0..z0.ncols() {
            for j in 0..m {
                let zv = z0[(j, i)];
                let ((pv, pd), (qv, qd)) =
                    crate::nn::activation::dc_parts(act, zv).unwrap_or_default();
                p.terms.push((col(prog, u, j, i), scale));
                p.terms.push((col(prog, z, j, i), -scale * (pd + qd)));
                p.constant += scale * (-(pv + qv) + (pd + qd) * zv);
            }
        }
    }
    p
}

/// The value of the penalty at program point `x`.
pub(super) fn value(p: &Penalty, x: &[f64]) -> f64 {
    p.constant + p.terms.iter().map(|&(c, a)| a * x[c]).sum::<f64>()
}
