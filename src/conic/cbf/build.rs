//! CBF meaning: turns a parsed file into a [`ConicProblem`], checking sizes, indices, cone names
//! and duplicate coordinates.
//!
//! CBF states `g = G x + h ∈ K'` for scalar constraints (and variables, `g = x`); our rows are
//! `A x + s = b, s ∈ K`, so each slack row is a linear combination of CBF rows and
//! `A = −(that combination of G)`, `b = (that combination of h)`. The combinations:
//! `L+`, `L=`, `Q`: `s = g`; `L-`: `s = −g`; `QR` (`2pq ≥ ‖z‖²`): `s = (p+q, p−q, √2 z) ∈ Q`;
//! `EXP` (CBF orders it `(t, s, r)` with `t ≥ s·exp(r/s)`): `s = (g₂, g₁, g₀)`;
//! `@k:POW` with `α = (a, b)`: `s = g ∈ Power(a/(a+b))`. A PSD variable `X` (`n×n`) becomes
//! `n(n+1)/2` scalar columns, its lower triangle by rows (which is the upper triangle by columns),
//! plus a PSD cone on them, √2-scaled off the diagonal; `⟨F, X⟩` counts an off-diagonal
//! coordinate twice. A PSD constraint `Σ x_j H_j + D ⪰ 0` becomes one `PsdTriangle` block.

use std::collections::HashSet;
use std::f64::consts::SQRT_2;

use super::parse::{CbfFile, ConeDecl, ConeList, Coord, Keyword, PowCone, Sense, Sp};
use crate::conic::{Cone, ConicProblem, ConicVar, Csc, Origin, Triplets};
use crate::diag::{elide, group_digits, push_bounded, suggest, Diagnostic, Span};

/// The largest number of columns or of rows accepted, so a bad header cannot exhaust memory.
const MAX_SIZE: i64 = 10_000_000;
/// Estimated bytes per scalar column and per row of the problem, read and solved: names,
/// rows, matrix entries and the solver's copies (measured: a 10⁷-column `F` file peaked at
/// 3.7 GB, an `L+` one, which adds a row per column, at 8.7 GB).
const BYTES_PER_SCALAR: u64 = 512;
/// Estimated bytes per coordinate line (a matrix entry and its copies).
const BYTES_PER_COORD: u64 = 64;
/// Estimated bytes per squared entry count `t²` of a PSD cone with `t = n(n+1)/2` entries: the
/// solver holds dense `t × t` blocks (order 100, `t = 5050`, took 1.1 GB).
const BYTES_PER_PSD_PAIR: u64 = 48;

/// A cone of a CBF `VAR` or `CON` line, as far as cnnc supports it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum CbfCone {
    Free,
    Nonneg,
    Nonpos,
    Zero,
    Quad,
    RotQuad,
    Exp,
    Pow(f64),
}

/// One CBF affine row `Σ coef·x + constant`.
#[derive(Clone, Debug, Default)]
struct Row {
    terms: Vec<(usize, f64)>,
    constant: f64,
}

struct Builder<'f> {
    file: &'f CbfFile,
    diags: Vec<Diagnostic>,
}

/// Checks a parsed file and builds its conic problem.
pub(super) fn build(file: &CbfFile) -> Result<ConicProblem, Vec<Diagnostic>> {
    let mut b = Builder {
        file,
        diags: Vec::new(),
    };
    let out = b.problem();
    match out {
        Some(p) if b.diags.is_empty() => Ok(p),
        _ => Err(b.diags),
    }
}

impl Builder<'_> {
    fn err(&mut self, d: Diagnostic) {
        push_bounded(&mut self.diags, d);
    }

    fn problem(&mut self) -> Option<ConicProblem> {
        let f = self.file;
        self.header();
        // Sizes of everything indices refer to.
        let n = self.cone_total(f.var.as_ref(), "variables");
        let m = self.cone_total(f.con.as_ref(), "constraints");
        let psd_vars = self.sides(&f.psdvar, Keyword::PsdVar);
        let psd_cons = self.sides(&f.psdcon, Keyword::PsdCon);
        let mut psd_offset = Vec::with_capacity(psd_vars.len());
        let mut ncols = n;
        for &d in &psd_vars {
            psd_offset.push(ncols);
            ncols += d * (d + 1) / 2;
        }
        if ncols as i64 > MAX_SIZE {
            let span = f.keyword_span(Keyword::PsdVar).unwrap_or(f.eof);
            self.err(
                Diagnostic::error(
                    "E0705",
                    format!("the problem has {ncols} scalar columns, more than cnnc supports"),
                )
                .with_primary(span, "the PSD variables are too large"),
            );
            return None;
        }
        let psd_con_rows: usize = psd_cons.iter().map(|&d| d * (d + 1) / 2).sum();
        if m.saturating_add(psd_con_rows) as i64 > MAX_SIZE {
            let span = f.keyword_span(Keyword::PsdCon).unwrap_or(f.eof);
            self.err(
                Diagnostic::error(
                    "E0705",
                    format!(
                        "the problem has {} constraint rows, more than cnnc supports",
                        m.saturating_add(psd_con_rows)
                    ),
                )
                .with_primary(span, "the PSD constraints are too large"),
            );
            return None;
        }
        if !self.fits_budget(n, m, &psd_vars, &psd_cons) {
            return None;
        }
        let var_cones = self.cones(f.var.as_ref());
        let con_cones = self.cones(f.con.as_ref());

        let mut integer = vec![false; ncols];
        for j in &f.int {
            if let Some(j) = self.index(j, n, "scalar variable", Keyword::Int) {
                integer[j] = true;
            }
        }

        // Objective.
        let mut q = vec![0.0; ncols];
        let mut seen = HashSet::new();
        for c in &f.objacoord {
            if let Some(j) = self.index(&c.idx[0], n, "scalar variable", Keyword::ObjACoord) {
                if self.fresh(&mut seen, (j, 0, 0), c, Keyword::ObjACoord) {
                    q[j] += c.val;
                }
            }
        }
        seen.clear();
        for c in &f.objfcoord {
            if let Some((col, w)) =
                self.psd_entry(&c.idx, &psd_vars, &psd_offset, Keyword::ObjFCoord)
            {
                if self.fresh(&mut seen, (col, 0, 0), c, Keyword::ObjFCoord) {
                    q[col] += w * c.val;
                }
            }
        }
        let constant = f.objbcoord.as_ref().map_or(0.0, |b| b.v);

        // Scalar constraint rows g = G x + h.
        let mut rows = vec![Row::default(); m];
        seen.clear();
        for c in &f.acoord {
            let i = self.index(&c.idx[0], m, "scalar constraint", Keyword::ACoord);
            let j = self.index(&c.idx[1], n, "scalar variable", Keyword::ACoord);
            if let (Some(i), Some(j)) = (i, j) {
                if self.fresh(&mut seen, (i, j, 0), c, Keyword::ACoord) {
                    rows[i].terms.push((j, c.val));
                }
            }
        }
        seen.clear();
        for c in &f.fcoord {
            let i = self.index(&c.idx[0], m, "scalar constraint", Keyword::FCoord);
            let e = self.psd_entry(
                &[c.idx[1].clone(), c.idx[2].clone(), c.idx[3].clone()],
                &psd_vars,
                &psd_offset,
                Keyword::FCoord,
            );
            if let (Some(i), Some((col, w))) = (i, e) {
                if self.fresh(&mut seen, (i, col, 0), c, Keyword::FCoord) {
                    rows[i].terms.push((col, w * c.val));
                }
            }
        }
        seen.clear();
        for c in &f.bcoord {
            if let Some(i) = self.index(&c.idx[0], m, "scalar constraint", Keyword::BCoord) {
                if self.fresh(&mut seen, (i, 0, 0), c, Keyword::BCoord) {
                    rows[i].constant = c.val;
                }
            }
        }

        // PSD constraint rows, lower triangle by rows per constraint.
        let mut psd_rows: Vec<Vec<Row>> = psd_cons
            .iter()
            .map(|&d| vec![Row::default(); d * (d + 1) / 2])
            .collect();
        seen.clear();
        for c in &f.hcoord {
            let k = self.index(&c.idx[0], psd_cons.len(), "PSD constraint", Keyword::HCoord);
            let j = self.index(&c.idx[1], n, "scalar variable", Keyword::HCoord);
            let (Some(k), Some(j)) = (k, j) else { continue };
            if let Some(t) = self.tri(&c.idx[2], &c.idx[3], psd_cons[k], Keyword::HCoord) {
                if self.fresh(&mut seen, (k, j, t), c, Keyword::HCoord) {
                    psd_rows[k][t].terms.push((j, c.val));
                }
            }
        }
        seen.clear();
        for c in &f.dcoord {
            let k = self.index(&c.idx[0], psd_cons.len(), "PSD constraint", Keyword::DCoord);
            let Some(k) = k else { continue };
            if let Some(t) = self.tri(&c.idx[1], &c.idx[2], psd_cons[k], Keyword::DCoord) {
                if self.fresh(&mut seen, (k, t, 0), c, Keyword::DCoord) {
                    psd_rows[k][t].constant = c.val;
                }
            }
        }
        if !self.diags.is_empty() {
            return None;
        }

        // Emit the cone blocks: PSD variables, VAR cones, CON cones, PSD constraints.
        let mut out = Emit::default();
        for (j, &d) in psd_vars.iter().enumerate() {
            let g: Vec<Row> = (0..d * (d + 1) / 2)
                .map(|t| Row {
                    terms: vec![(psd_offset[j] + t, 1.0)],
                    constant: 0.0,
                })
                .collect();
            let span = f.psdvar[j].span;
            out.psd(&g, d, origin(format!("PSDVAR {j} ({d}×{d})"), span));
        }
        let mut start = 0;
        for (decl, cone) in f.var.iter().flat_map(|l| &l.cones).zip(&var_cones) {
            let d = decl.dim.v as usize;
            let g: Vec<Row> = (start..start + d)
                .map(|j| Row {
                    terms: vec![(j, 1.0)],
                    constant: 0.0,
                })
                .collect();
            let label = format!("VAR {} {d} (x{start}..x{})", decl.name.v, start + d - 1);
            out.block(&g, *cone, origin(label, decl.line));
            start += d;
        }
        let mut start = 0;
        for (decl, cone) in f.con.iter().flat_map(|l| &l.cones).zip(&con_cones) {
            let d = decl.dim.v as usize;
            let label = format!("CON {} {d} (rows {start}..{})", decl.name.v, start + d - 1);
            out.block(&rows[start..start + d], *cone, origin(label, decl.line));
            start += d;
        }
        for (k, (&d, g)) in psd_cons.iter().zip(&psd_rows).enumerate() {
            let span = f.psdcon[k].span;
            out.psd(g, d, origin(format!("PSDCON {k} ({d}×{d})"), span));
        }

        let maximize = f.objsense.as_ref().is_some_and(|s| s.v == Sense::Max);
        let sign = if maximize { -1.0 } else { 1.0 };
        let mut vars: Vec<ConicVar> = (0..n)
            .map(|j| ConicVar {
                name: format!("x{j}"),
                integer: integer[j],
            })
            .collect();
        for (j, &d) in psd_vars.iter().enumerate() {
            for r in 0..d {
                for c in 0..=r {
                    vars.push(ConicVar {
                        name: format!("X{j}[{r},{c}]"),
                        integer: false,
                    });
                }
            }
        }
        let nrows = out.b.len();
        let mut a = Triplets::new(nrows, ncols);
        for (r, c, v) in out.a {
            a.push(r, c, v);
        }
        Some(ConicProblem {
            vars,
            p: Csc::zeros(ncols, ncols),
            q: q.into_iter().map(|v| sign * v).collect(),
            constant: sign * constant,
            maximize,
            a: a.into_csc(),
            b: out.b,
            cones: out.cones,
            origins: out.origins,
        })
    }

    /// The declared sizes' estimated memory against the budget (E0730), before any allocation
    /// of that size; the diagnostic points at the largest part.
    fn fits_budget(&mut self, n: usize, m: usize, psd_vars: &[usize], psd_cons: &[usize]) -> bool {
        let f = self.file;
        let scalar = |k: u64| k.saturating_mul(BYTES_PER_SCALAR);
        // (bytes, where, what)
        let mut parts: Vec<(u64, Span, String)> = Vec::new();
        if let Some(v) = &f.var {
            // A column, and the row a `VAR` cone may add for it.
            let how = format!(
                "{} scalar variables × {} bytes",
                group_digits(n as u64),
                2 * BYTES_PER_SCALAR
            );
            parts.push((scalar(2 * n as u64), v.total.span, how));
        }
        if let Some(c) = &f.con {
            let how = format!(
                "{} constraint rows × {BYTES_PER_SCALAR} bytes",
                group_digits(m as u64)
            );
            parts.push((scalar(m as u64), c.total.span, how));
        }
        let psd = |d: usize, kw: &str| {
            let t = (d as u64).saturating_mul(d as u64 + 1) / 2;
            let bytes = scalar(2 * t)
                .saturating_add(t.saturating_mul(t).saturating_mul(BYTES_PER_PSD_PAIR));
            let how = format!(
                "a {kw} of order {d}: {} entries, {} bytes per pair of them",
                group_digits(t),
                BYTES_PER_PSD_PAIR
            );
            (bytes, how)
        };
        for (&d, s) in psd_vars.iter().zip(&f.psdvar) {
            let (b, how) = psd(d, "PSD variable");
            parts.push((b, s.span, how));
        }
        for (&d, s) in psd_cons.iter().zip(&f.psdcon) {
            let (b, how) = psd(d, "PSD constraint");
            parts.push((b, s.span, how));
        }
        let coords = f.objfcoord.len()
            + f.objacoord.len()
            + f.fcoord.len()
            + f.acoord.len()
            + f.bcoord.len()
            + f.hcoord.len()
            + f.dcoord.len();
        let total = parts
            .iter()
            .fold((coords as u64).saturating_mul(BYTES_PER_COORD), |a, p| {
                a.saturating_add(p.0)
            });
        let (limit, origin) = crate::budget::limit();
        if total <= limit {
            return true;
        }
        let Some((_, span, how)) = parts.into_iter().max_by_key(|p| p.0) else {
            return true; // only coordinate lines, which the file itself holds already
        };
        let show = crate::budget::show;
        self.err(
            Diagnostic::error(
                "E0730",
                format!(
                    "the problem needs an estimated {}, over the memory budget of {}",
                    show(total),
                    show(limit)
                ),
            )
            .with_primary(span, how)
            .with_note(format!("the budget is {origin}"))
            .with_help(
                "solve a smaller problem, or raise the budget if the machine has the memory",
            ),
        );
        false
    }

    /// `VER` and `OBJSENSE`: present and valid.
    fn header(&mut self) {
        let f = self.file;
        let first = f.keywords.first().map_or(f.eof, |&(_, s)| s);
        match &f.ver {
            None if f.keyword_span(Keyword::Ver).is_none() => self.err(
                Diagnostic::error("E0709", "the file does not start with `VER`")
                    .with_primary(first, "expected `VER` before this")
                    .with_help(
                        "begin the file with the format version: `VER` and `3` on the next line",
                    ),
            ),
            Some(v) if !(1..=3).contains(&v.v) => self.err(
                Diagnostic::error("E0709", format!("CBF version {} is not supported", v.v))
                    .with_primary(v.span, "unsupported version")
                    .with_help("cnnc reads CBF versions 1, 2 and 3"),
            ),
            _ => {}
        }
        if f.objsense.is_none() && f.keyword_span(Keyword::ObjSense).is_none() {
            self.err(
                Diagnostic::error("E0712", "the file has no `OBJSENSE`")
                    .with_primary(first, "the file starts here")
                    .with_help("add `OBJSENSE` followed by `MIN` or `MAX` after `VER`"),
            );
        }
    }

    /// The declared total of a `VAR`/`CON` item, checked against its cone sizes.
    fn cone_total(&mut self, list: Option<&ConeList>, what: &str) -> usize {
        let Some(list) = list else { return 0 };
        let mut sum = 0i64;
        for c in &list.cones {
            if c.dim.v < 1 {
                self.err(
                    Diagnostic::error(
                        "E0705",
                        format!("cone `{}` has size {}", elide(&c.name.v, 60), c.dim.v),
                    )
                    .with_primary(c.dim.span, "must be at least 1"),
                );
            }
            sum = sum.saturating_add(c.dim.v.max(0));
        }
        if list.total.v > MAX_SIZE {
            self.err(
                Diagnostic::error(
                    "E0705",
                    format!("{} {what} are more than cnnc supports", list.total.v),
                )
                .with_primary(list.total.span, format!("at most {MAX_SIZE}")),
            );
            return 0;
        }
        if sum != list.total.v {
            self.err(
                Diagnostic::error(
                    "E0705",
                    format!(
                        "{} {what} declared, but the cone sizes add up to {sum}",
                        list.total.v
                    ),
                )
                .with_primary(list.total.span, "declared total")
                .with_label(list.keyword, "in this item")
                .with_help(
                    "the first header number must equal the sum of the sizes listed below it",
                ),
            );
            return 0;
        }
        list.total.v as usize
    }

    /// Side lengths of `PSDVAR`/`PSDCON`.
    fn sides(&mut self, list: &[Sp<i64>], kw: Keyword) -> Vec<usize> {
        let mut out = Vec::with_capacity(list.len());
        for s in list {
            if s.v < 1 || s.v > 100_000 {
                self.err(
                    Diagnostic::error(
                        "E0705",
                        format!("`{}` matrix side {} is out of range", kw.name(), s.v),
                    )
                    .with_primary(s.span, "must be between 1 and 100000"),
                );
                out.push(0);
            } else {
                out.push(s.v as usize);
            }
        }
        out
    }

    fn cones(&mut self, list: Option<&ConeList>) -> Vec<CbfCone> {
        let Some(list) = list else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(list.cones.len());
        for c in &list.cones {
            match self.cone(c) {
                Some(k) => out.push(k),
                None => out.push(CbfCone::Free),
            }
        }
        out
    }

    fn cone(&mut self, c: &ConeDecl) -> Option<CbfCone> {
        let name = c.name.v.as_str();
        let shown = elide(name, 60);
        let d = c.dim.v;
        let size_err = |need: &str| {
            Diagnostic::error(
                "E0708",
                format!("cone `{shown}` of size {d} is not supported"),
            )
            .with_primary(c.dim.span, format!("must be {need}"))
        };
        let cone = match name {
            "F" => CbfCone::Free,
            "L+" => CbfCone::Nonneg,
            "L-" => CbfCone::Nonpos,
            "L=" => CbfCone::Zero,
            "Q" => CbfCone::Quad,
            "QR" if d < 2 => {
                self.err(size_err("at least 2"));
                return None;
            }
            "QR" => CbfCone::RotQuad,
            "EXP" if d != 3 => {
                self.err(size_err("3"));
                return None;
            }
            "EXP" => CbfCone::Exp,
            "EXP*" => {
                self.err(
                    Diagnostic::error("E0708", "the dual exponential cone `EXP*` is not supported")
                        .with_primary(c.name.span, "unsupported cone")
                        .with_help("cnnc reads F, L+, L-, L=, Q, QR, EXP and @k:POW (3 entries)"),
                );
                return None;
            }
            _ if name.starts_with('@') => return self.pow_cone(c),
            _ => {
                let known = ["F", "L+", "L-", "L=", "Q", "QR", "EXP", "EXP*"];
                let mut d = Diagnostic::error("E0708", format!("unknown cone `{shown}`"))
                    .with_primary(c.name.span, "not a cone cnnc reads");
                d = match suggest(name, known) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(
                        "cnnc reads F, L+, L-, L=, Q, QR, EXP and @k:POW (3 entries); names are \
                         case sensitive",
                    ),
                };
                self.err(d);
                return None;
            }
        };
        Some(cone)
    }

    /// `@k:POW` (primal power cone `k` of `POWCONES`).
    fn pow_cone(&mut self, c: &ConeDecl) -> Option<CbfCone> {
        let name = c.name.v.as_str();
        let shown = elide(name, 60);
        let parsed = name[1..]
            .split_once(':')
            .and_then(|(k, kind)| Some((k.parse::<usize>().ok()?, kind)));
        let Some((k, kind)) = parsed else {
            self.err(
                Diagnostic::error("E0708", format!("malformed power cone name `{shown}`"))
                    .with_primary(c.name.span, "expected `@k:POW`")
                    .with_help("`k` is the index of the cone's parameters in `POWCONES`"),
            );
            return None;
        };
        let table: &[PowCone] = match kind {
            "POW" => &self.file.powcones,
            "POW*" => {
                self.err(
                    Diagnostic::error("E0708", "dual power cones `@k:POW*` are not supported")
                        .with_primary(c.name.span, "unsupported cone")
                        .with_help("cnnc reads the primal power cone `@k:POW` with 3 entries"),
                );
                return None;
            }
            _ => {
                self.err(
                    Diagnostic::error("E0708", format!("unknown cone `{shown}`"))
                        .with_primary(c.name.span, "expected `@k:POW`"),
                );
                return None;
            }
        };
        let Some(pc) = table.get(k) else {
            let mut d = Diagnostic::error(
                "E0706",
                format!(
                    "power cone {k} is not defined: `POWCONES` lists {}",
                    table.len()
                ),
            )
            .with_primary(c.name.span, "index out of range");
            if let Some(s) = self.file.keyword_span(Keyword::PowCones) {
                d = d.with_label(s, "defined here");
            }
            self.err(d);
            return None;
        };
        let alpha = match pc.alphas.as_slice() {
            [a, b] if *a > 0.0 && *b > 0.0 => a / (a + b),
            [_, _] => {
                self.err(
                    Diagnostic::error("E0708", "power cone parameters must be positive")
                        .with_primary(pc.span, "parameters defined here")
                        .with_label(c.name.span, "used here"),
                );
                return None;
            }
            other => {
                self.err(
                    Diagnostic::error(
                        "E0708",
                        format!(
                            "power cones with {} parameters are not supported",
                            other.len()
                        ),
                    )
                    .with_primary(pc.span, "parameters defined here")
                    .with_label(c.name.span, "used here")
                    .with_help("cnnc supports power cones with 2 parameters and 3 entries"),
                );
                return None;
            }
        };
        if c.dim.v != 3 {
            self.err(
                Diagnostic::error(
                    "E0708",
                    format!("power cone of size {} is not supported", c.dim.v),
                )
                .with_primary(c.dim.span, "must be 3")
                .with_help("cnnc supports power cones with 2 parameters and 3 entries"),
            );
            return None;
        }
        Some(CbfCone::Pow(alpha))
    }

    /// Checks `0 ≤ i < len`.
    fn index(&mut self, i: &Sp<i64>, len: usize, what: &str, kw: Keyword) -> Option<usize> {
        if i.v >= 0 && (i.v as u64) < len as u64 {
            return Some(i.v as usize);
        }
        let range = if len == 0 {
            format!("the file declares no {what}s")
        } else {
            format!("{what} indices run from 0 to {}", len - 1)
        };
        self.err(
            Diagnostic::error(
                "E0706",
                format!("{what} index {} out of range in `{}`", i.v, kw.name()),
            )
            .with_primary(i.span, "out of range")
            .with_note(range),
        );
        None
    }

    /// A matrix entry `(r, c)` of a side-`d` symmetric matrix: its lower-triangle position.
    fn tri(&mut self, r: &Sp<i64>, c: &Sp<i64>, d: usize, kw: Keyword) -> Option<usize> {
        let r = self.index(r, d, "matrix row", kw);
        let c = self.index(c, d, "matrix column", kw);
        let (r, c) = (r?, c?);
        let (hi, lo) = (r.max(c), r.min(c));
        Some(hi * (hi + 1) / 2 + lo)
    }

    /// `(psd var, r, c)` → (column, weight of the coordinate in `⟨F, X⟩`).
    fn psd_entry(
        &mut self,
        idx: &[Sp<i64>; 3],
        sides: &[usize],
        offset: &[usize],
        kw: Keyword,
    ) -> Option<(usize, f64)> {
        let j = self.index(&idx[0], sides.len(), "PSD variable", kw)?;
        let t = self.tri(&idx[1], &idx[2], sides[j], kw)?;
        let w = if idx[1].v == idx[2].v { 1.0 } else { 2.0 };
        Some((offset[j] + t, w))
    }

    /// Records a coordinate; a repeated one (also at the transposed position) is an error.
    fn fresh<const N: usize>(
        &mut self,
        seen: &mut HashSet<(usize, usize, usize)>,
        key: (usize, usize, usize),
        c: &Coord<N>,
        kw: Keyword,
    ) -> bool {
        if seen.insert(key) {
            return true;
        }
        self.err(
            Diagnostic::error(
                "E0707",
                format!("coordinate given twice in `{}`", kw.name()),
            )
            .with_primary(c.line, "repeats an earlier coordinate")
            .with_help("each coefficient may be given once (for symmetric matrices, at (i,j) or (j,i), not both)"),
        );
        false
    }
}

fn origin(label: String, span: Span) -> Origin {
    Origin {
        stage: "cbf",
        lowering: "",
        label,
        span: Some(span),
    }
}

/// The conic rows being emitted.
#[derive(Default)]
struct Emit {
    a: Vec<(usize, usize, f64)>,
    b: Vec<f64>,
    cones: Vec<Cone>,
    origins: Vec<Origin>,
}

impl Emit {
    /// Adds one slack row `s = Σ f·g` over CBF rows.
    fn row(&mut self, combo: &[(&Row, f64)]) {
        let r = self.b.len();
        let mut b = 0.0;
        for &(g, f) in combo {
            for &(col, v) in &g.terms {
                self.a.push((r, col, -f * v));
            }
            b += f * g.constant;
        }
        self.b.push(b);
    }

    fn block(&mut self, g: &[Row], cone: CbfCone, origin: Origin) {
        let d = g.len();
        let k = match cone {
            CbfCone::Free => return,
            CbfCone::Nonneg | CbfCone::Zero | CbfCone::Nonpos => {
                let f = if cone == CbfCone::Nonpos { -1.0 } else { 1.0 };
                g.iter().for_each(|r| self.row(&[(r, f)]));
                if cone == CbfCone::Zero {
                    Cone::Zero(d)
                } else {
                    Cone::Nonneg(d)
                }
            }
            CbfCone::Quad => {
                g.iter().for_each(|r| self.row(&[(r, 1.0)]));
                if d == 1 {
                    Cone::Nonneg(1)
                } else {
                    Cone::SecondOrder(d)
                }
            }
            CbfCone::RotQuad => {
                self.row(&[(&g[0], 1.0), (&g[1], 1.0)]);
                self.row(&[(&g[0], 1.0), (&g[1], -1.0)]);
                g[2..].iter().for_each(|r| self.row(&[(r, SQRT_2)]));
                Cone::SecondOrder(d)
            }
            CbfCone::Exp => {
                g.iter().rev().for_each(|r| self.row(&[(r, 1.0)]));
                Cone::Exponential
            }
            CbfCone::Pow(alpha) => {
                g.iter().for_each(|r| self.row(&[(r, 1.0)]));
                Cone::Power(alpha)
            }
        };
        self.cones.push(k);
        self.origins.push(origin);
    }

    /// A PSD block over lower-triangle rows `g` (by rows = upper triangle by columns).
    fn psd(&mut self, g: &[Row], d: usize, origin: Origin) {
        for r in 0..d {
            for c in 0..=r {
                let f = if r == c { 1.0 } else { SQRT_2 };
                self.row(&[(&g[r * (r + 1) / 2 + c], f)]);
            }
        }
        self.cones.push(Cone::PsdTriangle(d));
        self.origins.push(origin);
    }
}
