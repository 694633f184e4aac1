//! CBF writer. Our rows `A x + s = b, s ∈ K` become CBF scalar constraints `g = −A x + b ∈ K'`
//! (CBF puts the constant on the same side as the variables), one `CON` line per cone block:
//! `Zero → L=`, `Nonneg → L+`, `SecondOrder → Q` (`L+` when of size 1), `Exponential → EXP` with
//! the entries reversed (CBF's `(t, s, r)` with `t ≥ s·exp(r/s)` is Clarabel's `(r, s, t)`),
//! `Power(α) → @k:POW` with `POWCONES` entry `(α, 1−α)` (same order). PSD blocks become `PSDCON`
//! items with `HCOORD`/`DCOORD` on the lower triangle, the √2 scaling of off-diagonal entries
//! undone. All columns are free (`F`); integer columns are listed under `INT`.
//!
//! CBF has no quadratic objective. When `P ≠ 0` the writer adds an epigraph column `t` after the
//! problem's columns, puts `t` in the objective instead of `½ xᵀPx`, and adds the constraint
//! `(t, 1, F x) ∈ QR` (`2·t·1 ≥ ‖F x‖²`) where `P = FᵀF` is computed per connected block of `P`
//! (square roots on the diagonal, a symmetric eigendecomposition for coupled blocks). The file
//! says so in its header comment.

use std::collections::BTreeMap;
use std::f64::consts::SQRT_2;
use std::fmt::Write as _;

use crate::conic::{Cone, ConicProblem, Csc};

/// Where one of our rows lands in the CBF file.
#[derive(Clone, Copy)]
enum Target {
    /// Scalar constraint row.
    Con(usize),
    /// PSD constraint `k`, lower-triangle entry `(i, j)`, √2 scale to undo.
    Psd(usize, usize, usize, f64),
}

/// A number in C notation, shortest form that reads back to the same `f64`.
pub(crate) fn num(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".to_string()
    } else if (1e-5..1e16).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Writes `p` in the Conic Benchmark Format, version 3.
pub fn write(p: &ConicProblem) -> String {
    let n = p.num_vars();
    let (factor, dropped) = factor_upper(&p.p);
    let quad = !factor.is_empty() || dropped.is_some();
    let sign = if p.maximize { -1.0 } else { 1.0 };

    // Row targets and the CON/PSDCON/POWCONES structure.
    let mut targets = Vec::with_capacity(p.num_rows());
    let mut con_lines: Vec<String> = Vec::new();
    let mut psd_sides: Vec<usize> = Vec::new();
    let mut pow_alphas: Vec<f64> = Vec::new();
    let mut ncon = 0usize;
    for cone in &p.cones {
        let d = cone.dim();
        if d == 0 {
            continue;
        }
        match *cone {
            Cone::PsdTriangle(side) => {
                let k = psd_sides.len();
                psd_sides.push(side);
                for j in 0..side {
                    for i in 0..=j {
                        let scale = if i == j { 1.0 } else { SQRT_2 };
                        targets.push(Target::Psd(k, j, i, scale));
                    }
                }
                continue;
            }
            Cone::Exponential => {
                targets.extend((0..3).rev().map(|t| Target::Con(ncon + t)));
                con_lines.push("EXP 3".to_string());
            }
            Cone::Power(alpha) => {
                targets.extend((0..3).map(|t| Target::Con(ncon + t)));
                pow_alphas.push(alpha);
                con_lines.push(format!("@{}:POW 3", pow_alphas.len() - 1));
            }
            Cone::Zero(_) | Cone::Nonneg(_) | Cone::SecondOrder(_) => {
                targets.extend((0..d).map(|t| Target::Con(ncon + t)));
                con_lines.push(match *cone {
                    Cone::Zero(_) => format!("L= {d}"),
                    Cone::SecondOrder(d) if d > 1 => format!("Q {d}"),
                    _ => format!("L+ {d}"),
                });
            }
        }
        ncon += d;
    }
    let epi_row = ncon;
    if quad {
        con_lines.push(format!("QR {}", 2 + factor.len()));
        ncon += 2 + factor.len();
    }
    let ncols = n + usize::from(quad);

    // Coordinates.
    let mut acoord = Vec::new();
    let mut hcoord = Vec::new();
    for (r, c, v) in p.a.iter() {
        match targets.get(r) {
            Some(&Target::Con(i)) => acoord.push(format!("{i} {c} {}", num(-v))),
            Some(&Target::Psd(k, i, j, s)) => {
                hcoord.push(format!("{k} {c} {i} {j} {}", num(-v / s)));
            }
            None => {}
        }
    }
    let mut bcoord = Vec::new();
    let mut dcoord = Vec::new();
    for (r, &v) in p.b.iter().enumerate() {
        if v == 0.0 {
            continue;
        }
        match targets.get(r) {
            Some(&Target::Con(i)) => bcoord.push(format!("{i} {}", num(v))),
            Some(&Target::Psd(k, i, j, s)) => dcoord.push(format!("{k} {i} {j} {}", num(v / s))),
            None => {}
        }
    }
    let mut objacoord: Vec<String> =
        p.q.iter()
            .enumerate()
            .filter(|(_, &v)| v != 0.0)
            .map(|(j, &v)| format!("{j} {}", num(sign * v)))
            .collect();
    if quad {
        objacoord.push(format!("{n} {}", num(sign)));
        acoord.push(format!("{epi_row} {n} 1"));
        bcoord.push(format!("{} 1", epi_row + 1));
        for (k, row) in factor.iter().enumerate() {
            for &(c, v) in row {
                acoord.push(format!("{} {c} {}", epi_row + 2 + k, num(v)));
            }
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "# Conic Benchmark Format, version 3, written by cnnc.");
    let _ = writeln!(
        out,
        "# Scalar constraints are g = -A x + b in K for cnnc's rows A x + s = b, s in K."
    );
    if quad {
        let _ = writeln!(
            out,
            "# CBF has no quadratic objective: 1/2 x'Px is replaced by the epigraph variable x{n}"
        );
        let _ = writeln!(
            out,
            "# with (x{n}, 1, F x) in QR (the last CON block), where P = F'F."
        );
        if let Some(ev) = dropped {
            let _ = writeln!(
                out,
                "# WARNING: P is not positive semidefinite (eigenvalue {}); that part was dropped.",
                num(ev)
            );
        }
    }
    if p.maximize {
        let _ = writeln!(out, "# The problem maximizes; cnnc stores its negation.");
    }
    if !p.vars.is_empty() {
        let _ = writeln!(out, "# Variables:");
        for (j, v) in p.vars.iter().enumerate() {
            let _ = writeln!(out, "#   x{j} = {}", v.name.replace(['\n', '\r'], " "));
        }
    }
    if p.origins.iter().any(|o| !o.label.is_empty()) {
        let _ = writeln!(out, "# Cone blocks, in cnnc's row order:");
        let mut row = 0;
        for (cone, o) in p.cones.iter().zip(&p.origins) {
            let from = format!("{} {}", o.stage, o.label.replace(['\n', '\r'], " "));
            let from = from.trim();
            let _ = write!(
                out,
                "#   rows {row}..{}: {}",
                row + cone.dim(),
                describe(cone)
            );
            if !from.is_empty() {
                let _ = write!(out, " from {from}");
            }
            out.push('\n');
            row += cone.dim();
        }
    }
    out.push_str("\nVER\n3\n\nOBJSENSE\n");
    out.push_str(if p.maximize { "MAX\n" } else { "MIN\n" });
    if !pow_alphas.is_empty() {
        let _ = writeln!(
            out,
            "\nPOWCONES\n{} {}",
            pow_alphas.len(),
            2 * pow_alphas.len()
        );
        for a in &pow_alphas {
            let _ = writeln!(out, "2\n{}\n{}", num(*a), num(1.0 - a));
        }
    }
    if ncols > 0 {
        let _ = writeln!(out, "\nVAR\n{ncols} 1\nF {ncols}");
    } else {
        out.push_str("\nVAR\n0 0\n");
    }
    let ints: Vec<usize> = (0..n).filter(|&j| p.vars[j].integer).collect();
    if !ints.is_empty() {
        let _ = writeln!(out, "\nINT\n{}", ints.len());
        for j in ints {
            let _ = writeln!(out, "{j}");
        }
    }
    if !psd_sides.is_empty() {
        let _ = writeln!(out, "\nPSDCON\n{}", psd_sides.len());
        for s in &psd_sides {
            let _ = writeln!(out, "{s}");
        }
    }
    if !con_lines.is_empty() {
        let _ = writeln!(out, "\nCON\n{ncon} {}", con_lines.len());
        for l in &con_lines {
            let _ = writeln!(out, "{l}");
        }
    }
    section(&mut out, "OBJACOORD", &objacoord);
    if p.constant != 0.0 {
        let _ = writeln!(out, "\nOBJBCOORD\n{}", num(sign * p.constant));
    }
    section(&mut out, "ACOORD", &acoord);
    section(&mut out, "BCOORD", &bcoord);
    section(&mut out, "HCOORD", &hcoord);
    section(&mut out, "DCOORD", &dcoord);
    out
}

/// A cone in words for comments, e.g. `second-order cone of size 3`.
fn describe(c: &Cone) -> String {
    match *c {
        Cone::Zero(d) => format!("zero cone of size {d}"),
        Cone::Nonneg(d) => format!("nonnegative cone of size {d}"),
        Cone::SecondOrder(d) => format!("second-order cone of size {d}"),
        Cone::Exponential => "exponential cone".to_string(),
        Cone::Power(a) => format!("power cone with alpha {}", num(a)),
        Cone::PsdTriangle(n) => format!("{n}x{n} PSD cone"),
    }
}

fn section(out: &mut String, kw: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{kw}\n{}", lines.len());
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
}

/// Rows of `F` with `P = FᵀF` for a symmetric `P` given by its upper triangle, and the most
/// negative eigenvalue dropped, if `P` was not positive semidefinite.
fn factor_upper(p: &Csc) -> (Vec<Vec<(usize, f64)>>, Option<f64>) {
    let n = p.n;
    // Connected blocks of the coupling graph (union-find).
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut used = vec![false; n];
    for (r, c, v) in p.iter() {
        if v == 0.0 || r >= n {
            continue;
        }
        used[r] = true;
        used[c] = true;
        let (a, b) = (root(&mut parent, r), root(&mut parent, c));
        parent[a] = b;
    }
    let mut blocks: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in (0..n).filter(|&i| used[i]) {
        let r = root(&mut parent, i);
        blocks.entry(r).or_default().push(i);
    }
    let mut pos = vec![usize::MAX; n];
    for members in blocks.values() {
        for (k, &i) in members.iter().enumerate() {
            pos[i] = k;
        }
    }
    let mut dense: BTreeMap<usize, nalgebra::DMatrix<f64>> = blocks
        .iter()
        .map(|(&r, m)| (r, nalgebra::DMatrix::zeros(m.len(), m.len())))
        .collect();
    for (r, c, v) in p.iter() {
        if v == 0.0 || r >= n {
            continue;
        }
        let key = root(&mut parent, r);
        if let Some(m) = dense.get_mut(&key) {
            m[(pos[r], pos[c])] = v;
            m[(pos[c], pos[r])] = v;
        }
    }
    let mut rows = Vec::new();
    let mut worst: Option<f64> = None;
    for (key, m) in dense {
        let members = &blocks[&key];
        let eig = nalgebra::SymmetricEigen::new(m);
        let scale = eig.eigenvalues.iter().fold(0.0f64, |a, &l| a.max(l.abs()));
        let tol = 1e-12 * scale.max(f64::MIN_POSITIVE);
        for (k, &l) in eig.eigenvalues.iter().enumerate() {
            if l > tol {
                let s = l.sqrt();
                let row: Vec<(usize, f64)> = members
                    .iter()
                    .enumerate()
                    .map(|(t, &i)| (i, s * eig.eigenvectors[(t, k)]))
                    .filter(|&(_, v)| v.abs() > 1e-15 * s)
                    .collect();
                rows.push(row);
            } else if l < -tol {
                worst = Some(worst.map_or(l, |w| w.min(l)));
            }
        }
    }
    (rows, worst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conic::Triplets;

    #[test]
    fn numbers_read_back_exactly() {
        for v in [
            0.0,
            1.0,
            -2.5,
            0.1,
            1e-7,
            123456789.125,
            1e300,
            -3.0e-20,
            1.0 / 3.0,
        ] {
            let s = num(v);
            assert_eq!(s.parse::<f64>().ok(), Some(v), "{s}");
        }
        assert_eq!(num(3.0), "3");
        assert_eq!(num(-0.5), "-0.5");
    }

    #[test]
    fn factor_reproduces_p() {
        // P = [[2, 1, 0], [1, 2, 0], [0, 0, 3]] (upper triangle), plus an unused column.
        let mut t = Triplets::new(4, 4);
        t.push(0, 0, 2.0);
        t.push(0, 1, 1.0);
        t.push(1, 1, 2.0);
        t.push(2, 2, 3.0);
        let (f, dropped) = factor_upper(&t.into_csc());
        assert!(dropped.is_none());
        let mut p = [[0.0; 4]; 4];
        for row in &f {
            for &(i, a) in row {
                for &(j, b) in row {
                    p[i][j] += a * b;
                }
            }
        }
        let want = [
            [2.0, 1.0, 0.0, 0.0],
            [1.0, 2.0, 0.0, 0.0],
            [0.0, 0.0, 3.0, 0.0],
            [0.0; 4],
        ];
        for i in 0..4 {
            for j in 0..4 {
                assert!((p[i][j] - want[i][j]).abs() < 1e-12, "{i},{j}: {}", p[i][j]);
            }
        }
    }
}
