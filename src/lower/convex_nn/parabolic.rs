//! The parabolic relaxation of the layer products (Zohrizadeh et al.; METHODS §3).
//!
//! ```text
//! Zˡ = Aˡ⁻¹ Wˡᵀ + 1 bˡᵀ   (l ≥ 2)   is relaxed, for every node i and sample j, to
//!   ‖w_i + a_j‖² ≤ Wd_i + Ad_j + 2(z_ji − b_i)      ‖w_i‖² ≤ Wd_i
//!   ‖w_i − a_j‖² ≤ Wd_i + Ad_j − 2(z_ji − b_i)      ‖a_j‖² ≤ Ad_j
//! ```
//! with one lifted scalar per node (`Wd_i`, for `‖w_i‖²`, `w_i` row i of Wˡ without a bias
//! column) and one per sample (`Ad_j`, for `‖a_j‖²`, `a_j` row j of Aˡ⁻¹); each inequality is a
//! rotated second-order cone `‖x‖² ≤ u·1`. Exact when `Wd_i = ‖w_i‖²` and `Ad_j = ‖a_j‖²`:
//! then the first two force `z_ji − b_i = w_i·a_j`. A relaxation otherwise; its size is linear
//! in the samples (`2 m n + n + m` cones per layer).
//!
//! The lifted scalars are written centred at the anchor `(w̌, ǎ)`: the program's `Wd_i` stands
//! for `Wd_i − 2 w_i·w̌_i + ‖w̌_i‖²` (and `Ad_j` likewise), which turns the four inequalities into
//! ```text
//!   ‖δw_i ± δa_j‖² ≤ Wd_i + Ad_j ± 2(z_ji − b_i) ∓ 2(ǎ_j·w_i + w̌_i·a_j − w̌_i·ǎ_j)
//!   ‖δw_i‖² ≤ Wd_i,   ‖δa_j‖² ≤ Ad_j          (δw = w − w̌, δa = a − ǎ)
//! ```
//! the same set, whose numbers are small near the anchor: the penalty's lifting group is then
//! `Σ Wd_i + Σ Ad_j` with no large constant cancelling a large linear part (which costs the
//! solver its accuracy).

use super::{Anchor, Lifted};
use crate::convex::{Affine, Constraint, Expr, Program, VarId};
use crate::lower::network::TrainedNet;
use crate::model::BiasMode;

/// Scalar column of entry `(r, c)` of program block `v`.
pub(super) fn col(prog: &Program, v: VarId, r: usize, c: usize) -> usize {
    let b = &prog.vars[v.0];
    b.offset + r + c * b.rows
}

/// The bias columns of node `i` of layer `l`: a separate bias entry, or the weights' last
/// column.
fn bias_cols(prog: &Program, lf: &Lifted, net: &TrainedNet, l: usize, i: usize) -> Vec<usize> {
    let layer = &net.layers[l];
    let mut out = Vec::new();
    if let Some(b) = lf.b[l] {
        out.push(col(prog, b, i, 0));
    }
    if layer.bias == BiasMode::Column {
        out.push(col(prog, lf.w[l], i, layer.inputs));
    }
    out
}

/// Every cone of the relaxation around `anchor`, layer by layer.
pub(super) fn constraints(
    prog: &Program,
    lf: &Lifted,
    net: &TrainedNet,
    anchor: &Anchor,
) -> Vec<Constraint> {
    let m = net.samples;
    let mut out = Vec::new();
    for l in 1..net.layers.len() {
        let layer = &net.layers[l];
        let (wd, ad) = (
            lf.wd[l].expect("lifted from layer 2"),
            lf.ad[l].expect("lifted from layer 2"),
        );
        let (w, a, z) = (lf.w[l], lf.a[l - 1], lf.z[l]);
        let (w0, a0) = (&anchor.w[l], &anchor.a[l - 1]);
        let k = l + 1;
        let n_in = layer.inputs;
        for i in 0..layer.outputs {
            let bias = bias_cols(prog, lf, net, l, i);
            for j in 0..m {
                let dot: f64 = (0..n_in).map(|e| w0[(i, e)] * a0[(j, e)]).sum();
                for sign in [1.0, -1.0] {
                    let x = Affine::from_fn(n_in, 1, |e, terms| {
                        terms.push(col(prog, w, i, e), 1.0);
                        terms.push(col(prog, a, j, e), sign);
                        -(w0[(i, e)] + sign * a0[(j, e)])
                    });
                    let u = Affine::from_fn(1, 1, |_, terms| {
                        terms.push(col(prog, wd, i, 0), 1.0);
                        terms.push(col(prog, ad, j, 0), 1.0);
                        terms.push(col(prog, z, j, i), 2.0 * sign);
                        for &c in &bias {
                            terms.push(c, -2.0 * sign);
                        }
                        for e in 0..n_in {
                            terms.push(col(prog, w, i, e), -2.0 * sign * a0[(j, e)]);
                            terms.push(col(prog, a, j, e), -2.0 * sign * w0[(i, e)]);
                        }
                        2.0 * sign * dot
                    });
                    let label = if sign > 0.0 {
                        format!("layer {k}: |w_i + a_j|^2 <= Wd_i + Ad_j + 2(z_ji - b_i)")
                    } else {
                        format!("layer {k}: |w_i - a_j|^2 <= Wd_i + Ad_j - 2(z_ji - b_i)")
                    };
                    out.push(
                        Constraint::rotated_soc(u.into(), Expr::scalar(1.0), x.into())
                            .with_label(label),
                    );
                }
            }
            out.push(centred_norm(
                n_in,
                |e| (col(prog, w, i, e), w0[(i, e)]),
                col(prog, wd, i, 0),
                format!("layer {k}: |w_i|^2 <= Wd_i"),
            ));
        }
        for j in 0..m {
            out.push(centred_norm(
                n_in,
                |e| (col(prog, a, j, e), a0[(j, e)]),
                col(prog, ad, j, 0),
                format!("layer {k}: |a_j|^2 <= Ad_j"),
            ));
        }
    }
    out
}

/// `‖v − v̌‖² ≤ t·1` for the `n` entries `entry(e) = (column, anchor value)` of `v` and the
/// column `t`.
fn centred_norm(
    n: usize,
    entry: impl Fn(usize) -> (usize, f64),
    t: usize,
    label: String,
) -> Constraint {
    let x = Affine::from_fn(n, 1, |e, terms| {
        let (c, v0) = entry(e);
        terms.push(c, 1.0);
        -v0
    });
    Constraint::rotated_soc(Affine::columns(t, 1, 1).into(), Expr::scalar(1.0), x.into())
        .with_label(label)
}

/// The number of cones per layer (layers 2 and up): `2 m n + n + m`.
pub(super) fn cones(net: &TrainedNet, l: usize) -> usize {
    let (m, n) = (net.samples, net.layers[l].outputs);
    2 * m * n + n + m
}

/// Largest gaps at the program values `x` of a pass around `anchor`: `(Wd_i − ‖w_i‖²,
/// Ad_j − ‖a_j‖², |z_ji − b_i − w_i·a_j|)` over every lifted layer, with `Wd, Ad` uncentred
/// (`Wd_i − ‖w_i‖²` is the program's `Wd_i − ‖w_i − w̌_i‖²`).
pub(super) fn gaps(
    prog: &Program,
    lf: &Lifted,
    net: &TrainedNet,
    anchor: &Anchor,
    x: &[f64],
) -> (f64, f64, f64) {
    let (mut gw, mut ga, mut prod) = (0.0_f64, 0.0_f64, 0.0_f64);
    let m = net.samples;
    for l in 1..net.layers.len() {
        let layer = &net.layers[l];
        let (wd, ad) = (lf.wd[l].expect("lifted"), lf.ad[l].expect("lifted"));
        let (w, a, z) = (lf.w[l], lf.a[l - 1], lf.z[l]);
        let (w0, a0) = (&anchor.w[l], &anchor.a[l - 1]);
        let v = |c: usize| x[c];
        for i in 0..layer.outputs {
            let dist: f64 = (0..layer.inputs)
                .map(|e| (v(col(prog, w, i, e)) - w0[(i, e)]).powi(2))
                .sum();
            gw = gw.max(v(col(prog, wd, i, 0)) - dist);
            let b: f64 = bias_cols(prog, lf, net, l, i).into_iter().map(v).sum();
            for j in 0..m {
                let dot: f64 = (0..layer.inputs)
                    .map(|e| v(col(prog, w, i, e)) * v(col(prog, a, j, e)))
                    .sum();
                prod = prod.max((v(col(prog, z, j, i)) - b - dot).abs());
            }
        }
        for j in 0..m {
            let dist: f64 = (0..layer.inputs)
                .map(|e| (v(col(prog, a, j, e)) - a0[(j, e)]).powi(2))
                .sum();
            ga = ga.max(v(col(prog, ad, j, 0)) - dist);
        }
    }
    (gw, ga, prod)
}
