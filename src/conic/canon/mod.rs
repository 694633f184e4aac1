//! Canonicalization: a checked [`Program`] becomes a [`ConicProblem`].
//!
//! Each expression is replaced by an affine expression `t` of the same shape plus cone rows:
//! `t = f` for affine nodes, `t ≥ f` (epigraph) for convex atoms and `t ≤ f` (hypograph) for
//! concave ones; DCP ([`crate::convex::dcp`]) guarantees the composition stays exact. A row block
//! `s(x) ∈ K` is stored as `A x + s = b` with `A = −∂s/∂x` and `b = s(0)`. In the objective,
//! `c·sum_squares(a)`, `c·sum(a.^2)` and `quad_over_lin(a, c)` go to `P` (diagonal): directly on
//! entries of `a` that are one scaled variable, through a residual `r = a` (equality rows)
//! elsewhere, so `P` never gets the dense `AᵀA`. A constraint `‖x‖₂ ≤ r`, `sum_squares(x) ≤ r`
//! or `quad_over_lin(x, y) ≤ r` uses `r` itself as the cone's bound (no epigraph column or row).
//! Variable bounds become non-negative rows
//! (stage `bounds`). One file per atom family; every block records its stage, label and span.
//! Assembly transposes the collected rows into CSC by counting (O(m + n + nnz), no sort); `P`
//! goes through [`Triplets`].

mod assemble;
mod exp;
mod norms;
mod piecewise;
mod quad;
mod spectral;
#[cfg(test)]
pub(crate) mod tests;

use crate::conic::{Cone, ConicProblem, ConicVar, Origin, Triplets};
use crate::convex::{dcp, Affine, Atom, ConstraintKind, Expr, LinOp, Node, Program, Sense, VarId};
use crate::diag::{Diagnostic, Span};

/// The conic columns of one program variable block.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockColumns {
    /// The block's name.
    pub name: String,
    /// First column.
    pub offset: usize,
    /// Rows of the block.
    pub rows: usize,
    /// Columns of the block (entries are column-major).
    pub cols: usize,
}

/// Maps conic columns back to program variable blocks. Program columns come first, in the same
/// order; auxiliary columns introduced by canonicalization follow.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnMap {
    /// One entry per program block, indexed like [`Program::vars`].
    pub blocks: Vec<BlockColumns>,
    /// Number of program columns (auxiliary columns start here).
    pub program_columns: usize,
    /// Total number of conic columns.
    pub total_columns: usize,
}

impl ColumnMap {
    /// The program block holding conic column `col` and the entry's `(row, col)` in it; `None`
    /// for auxiliary columns.
    pub fn locate(&self, col: usize) -> Option<(VarId, usize, usize)> {
        if col >= self.program_columns {
            return None;
        }
        let i = self
            .blocks
            .partition_point(|b| b.offset + b.rows * b.cols <= col);
        let b = self.blocks.get(i)?;
        let k = col - b.offset;
        Some((VarId(i), k % b.rows.max(1), k / b.rows.max(1)))
    }

    /// The values of block `id` (column-major) out of a conic solution `x`.
    pub fn values<'a>(&self, x: &'a [f64], id: VarId) -> Option<&'a [f64]> {
        let b = self.blocks.get(id.0)?;
        x.get(b.offset..b.offset + b.rows * b.cols)
    }
}

/// Turns a program into the conic form; fails with every DCP error found.
pub fn canonicalize(prog: &Program) -> Result<(ConicProblem, ColumnMap), Vec<Diagnostic>> {
    let errs = dcp::check(prog);
    if !errs.is_empty() {
        return Err(errs);
    }
    let mut b = Builder::new(prog);
    let mut errs = Vec::new();
    b.bounds(prog);
    if let Some(obj) = &prog.objective {
        let w = match obj.sense {
            Sense::Minimize => 1.0,
            Sense::Maximize => -1.0,
        };
        let o = Origin {
            stage: "",
            lowering: obj.stage,
            label: "objective".into(),
            span: obj.span,
        };
        if let Err(d) = b.objective(&obj.expr, w, &o) {
            errs.push(d);
        }
    }
    for c in &prog.constraints {
        let o = Origin {
            stage: "",
            lowering: c.stage,
            label: c.label.clone(),
            span: c.span,
        };
        if let Err(d) = b.constraint(&c.kind, &o) {
            errs.push(d);
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let map = ColumnMap {
        blocks: prog
            .vars
            .iter()
            .map(|v| BlockColumns {
                name: v.name.clone(),
                offset: v.offset,
                rows: v.rows,
                cols: v.cols,
            })
            .collect(),
        program_columns: prog.num_columns(),
        total_columns: b.vars.len(),
    };
    let maximize = matches!(
        prog.objective.as_ref().map(|o| o.sense),
        Some(Sense::Maximize)
    );
    Ok((b.finish(maximize, prog.keep_zeros), map))
}

/// An origin with this stage and, if given, a more precise span.
fn at(o: &Origin, stage: &'static str, span: Option<Span>) -> Origin {
    Origin {
        stage,
        lowering: o.lowering,
        label: o.label.clone(),
        span: span.or(o.span),
    }
}

fn shape_err(span: Option<Span>) -> impl Fn(crate::convex::ShapeError) -> Diagnostic {
    move |e| e.to_diagnostic(span)
}

/// Where a run of rows of `A` comes from, in row order.
enum RowBlock<'p> {
    /// Rows `k` of the builder's own buffers (`row_ptr[k]..row_ptr[k + 1]`).
    Buffer(std::ops::Range<usize>),
    /// Row `k` is `−plus_k + minus_k`, read in place from two affine leaves of the program at
    /// assembly: the large linear blocks of lowerings are never copied into the buffers.
    Difference(&'p Affine, &'p Affine),
}

/// The growing conic problem.
pub(crate) struct Builder<'p> {
    vars: Vec<ConicVar>,
    aux_blocks: usize,
    blocks: Vec<RowBlock<'p>>,
    row_ptr: Vec<usize>,
    row_col: Vec<usize>,
    row_val: Vec<f64>,
    b: Vec<f64>,
    cones: Vec<Cone>,
    origins: Vec<Origin>,
    p: Vec<(usize, usize, f64)>,
    q: Vec<f64>,
    constant: f64,
}

impl<'p> Builder<'p> {
    fn new(prog: &Program) -> Builder<'p> {
        let mut vars = Vec::with_capacity(prog.num_columns());
        for v in &prog.vars {
            for j in 0..v.cols {
                for i in 0..v.rows {
                    let name = match (v.rows, v.cols) {
                        (1, 1) => v.name.clone(),
                        (_, 1) => format!("{}[{i}]", v.name),
                        _ => format!("{}[{i},{j}]", v.name),
                    };
                    vars.push(ConicVar {
                        name,
                        integer: v.integer,
                    });
                }
            }
        }
        Builder {
            vars,
            aux_blocks: 0,
            blocks: Vec::new(),
            row_ptr: vec![0],
            row_col: Vec::new(),
            row_val: Vec::new(),
            b: Vec::new(),
            cones: Vec::new(),
            origins: Vec::new(),
            p: Vec::new(),
            q: Vec::new(),
            constant: 0.0,
        }
    }

    /// A new block of auxiliary columns `_{base}{k}[i]`, as an expression.
    pub(crate) fn new_var(&mut self, base: &str, rows: usize, cols: usize) -> Affine {
        let first = self.vars.len();
        let k = self.aux_blocks;
        self.aux_blocks += 1;
        let len = rows * cols;
        for i in 0..len {
            let name = if len == 1 {
                format!("_{base}{k}")
            } else {
                format!("_{base}{k}[{i}]")
            };
            self.vars.push(ConicVar {
                name,
                integer: false,
            });
        }
        Affine::columns(first, rows, cols)
    }

    /// Adds the block `s ∈ cone` for an affine `s` (entries in order).
    pub(crate) fn cone(&mut self, cone: Cone, s: &Affine, origin: Origin) {
        self.cone_of_parts(cone, &[s], origin);
    }

    /// Adds the block `(parts₀; parts₁; …) ∈ cone`, the entries of each part in order, without
    /// stacking them first.
    fn cone_of_parts(&mut self, cone: Cone, parts: &[&Affine], origin: Origin) {
        let first = self.row_ptr.len() - 1;
        for s in parts {
            for k in 0..s.len() {
                let (vars, coefs, c0) = s.entry(k);
                self.row_col.extend_from_slice(vars);
                self.row_val.extend(coefs.iter().map(|c| -c));
                self.row_ptr.push(self.row_col.len());
                self.b.push(c0);
            }
        }
        let last = self.row_ptr.len() - 1;
        if last == first {
            return;
        }
        debug_assert_eq!(cone.dim(), last - first);
        match self.blocks.last_mut() {
            Some(RowBlock::Buffer(run)) if run.end == first => run.end = last,
            _ => self.blocks.push(RowBlock::Buffer(first..last)),
        }
        self.cones.push(cone);
        self.origins.push(origin);
    }

    /// Adds the block `plus − minus ∈ cone` for two affine expressions of the program of the same
    /// length, or one of them a scalar (broadcast); their terms are read in place when `A` is
    /// assembled (see [`RowBlock`]).
    fn cone_of_difference(
        &mut self,
        plus: &'p Affine,
        minus: &'p Affine,
        origin: Origin,
        cone: fn(usize) -> Cone,
    ) {
        let len = plus.len().max(minus.len());
        if len == 0 {
            return;
        }
        let (p0, m0) = (plus.constants(), minus.constants());
        let at = |c: &[f64], k: usize| if c.len() == 1 { c[0] } else { c[k] };
        self.b.extend((0..len).map(|k| at(p0, k) - at(m0, k)));
        self.blocks.push(RowBlock::Difference(plus, minus));
        self.cones.push(cone(len));
        self.origins.push(origin);
    }

    /// Calls `f(row, columns, values, scale)` for every run of terms of every row of `A`, rows
    /// in order (a row may come in two runs).
    fn each_row(&self, f: assemble::EachRow<'_>) {
        let mut r = 0;
        for block in &self.blocks {
            match block {
                RowBlock::Buffer(run) => {
                    for k in run.clone() {
                        let t = self.row_ptr[k]..self.row_ptr[k + 1];
                        f(r, &self.row_col[t.clone()], &self.row_val[t], 1.0);
                        r += 1;
                    }
                }
                RowBlock::Difference(plus, minus) => {
                    let pick = |a: &Affine, k: usize| if a.len() == 1 { 0 } else { k };
                    for k in 0..plus.len().max(minus.len()) {
                        let (pv, pc, _) = plus.entry(pick(plus, k));
                        let (mv, mc, _) = minus.entry(pick(minus, k));
                        f(r, pv, pc, -1.0);
                        f(r, mv, mc, 1.0);
                        r += 1;
                    }
                }
            }
        }
    }

    /// `Some((plus, minus))` when both sides are affine leaves of the same length (or one is a
    /// scalar, broadcast).
    fn affine_pair(plus: &'p Expr, minus: &'p Expr) -> Option<(&'p Affine, &'p Affine)> {
        match (&plus.node, &minus.node) {
            (Node::Affine(p), Node::Affine(m))
                if p.len() == m.len() || p.len() == 1 || m.len() == 1 =>
            {
                Some((p, m))
            }
            _ => None,
        }
    }

    /// Adds `w · t` (scalar affine `t`) to the linear objective.
    fn linear_objective(&mut self, t: &Affine, w: f64) {
        for k in 0..t.len() {
            let (vars, coefs, c0) = t.entry(k);
            for (&v, &c) in vars.iter().zip(coefs) {
                self.q_add(v, w * c);
            }
            self.constant += w * c0;
        }
    }

    /// `q[j] += value`.
    pub(crate) fn q_add(&mut self, j: usize, value: f64) {
        if self.q.len() <= j {
            self.q.resize(j + 1, 0.0);
        }
        self.q[j] += value;
    }

    /// Adds `½ · 2w · x_j²`-style diagonal entries: `P[j, j] += value`.
    pub(crate) fn p_diag(&mut self, j: usize, value: f64) {
        self.p.push((j, j, value));
    }

    fn bounds(&mut self, prog: &Program) {
        for v in &prog.vars {
            let x = Affine::columns(v.offset, v.rows, v.cols);
            let o = Origin {
                stage: "bounds",
                lowering: "",
                label: v.name.clone(),
                span: v.span,
            };
            if let Some(l) = v.lower {
                if let Ok(s) = x.sub(&Affine::scalar(l)) {
                    self.cone(Cone::Nonneg(s.len()), &s, o.clone());
                }
            }
            if let Some(u) = v.upper {
                if let Ok(s) = Affine::scalar(u).sub(&x) {
                    self.cone(Cone::Nonneg(s.len()), &s, o);
                }
            }
        }
    }

    /// Canonicalizes an expression to an affine one (see the module docs).
    pub(crate) fn expr(&mut self, e: &Expr, o: &Origin) -> Result<Affine, Diagnostic> {
        let span = e.span.or(o.span);
        match &e.node {
            Node::Affine(a) => Ok(a.clone()),
            Node::Linear(op, args) => {
                let args = args
                    .iter()
                    .map(|a| self.expr(a, o))
                    .collect::<Result<Vec<_>, _>>()?;
                op.apply(&args).map_err(shape_err(span))
            }
            Node::Atom(atom, args) => {
                let args = args
                    .iter()
                    .map(|a| self.expr(a, o))
                    .collect::<Result<Vec<_>, _>>()?;
                let o = Origin {
                    stage: "",
                    lowering: o.lowering,
                    label: o.label.clone(),
                    span,
                };
                self.atom(*atom, &args, &o).map_err(shape_err(span))
            }
            Node::Product(..) | Node::Invalid(..) => {
                let d =
                    Diagnostic::error("E0605", "expression has no conic form (not checked by DCP)");
                Err(match span {
                    Some(s) => d.with_primary(s, "here"),
                    None => d,
                })
            }
        }
    }

    fn atom(
        &mut self,
        atom: Atom,
        args: &[Affine],
        o: &Origin,
    ) -> Result<Affine, crate::convex::ShapeError> {
        if args.len() != atom.arity() {
            return Err(crate::convex::ShapeError::new(format!(
                "{} takes {} argument(s), got {}",
                atom.name(),
                atom.arity(),
                args.len()
            )));
        }
        let x = &args[0];
        match atom {
            Atom::SumSquares => quad::sum_squares(self, x, o),
            Atom::QuadOverLin => quad::quad_over_lin(self, x, &args[1], o),
            Atom::Power(p) => quad::power(self, x, p, o),
            Atom::Norm1 => norms::norm1(self, x, o),
            Atom::Norm2 => norms::norm2(self, x, o),
            Atom::NormInf => norms::norm_inf(self, x, o),
            Atom::Abs => norms::abs(self, x, o),
            Atom::Pos => piecewise::pos(self, x, o),
            Atom::Maximum => piecewise::maximum(self, x, &args[1], o),
            Atom::Max => piecewise::max(self, x, o),
            Atom::Exp => exp::exp(self, x, o),
            Atom::Log => exp::log(self, x, o),
            Atom::LogSumExp => exp::log_sum_exp(self, x, o),
            Atom::Softplus => exp::softplus(self, x, o),
            Atom::NuclearNorm => spectral::nuclear_norm(self, x, o),
            Atom::SigmaMax => spectral::sigma_max(self, x, o),
        }
    }

    /// Adds `w · e` to the objective, sending squared terms with `w > 0` to `P`.
    fn objective(&mut self, e: &Expr, w: f64, o: &Origin) -> Result<(), Diagnostic> {
        let span = e.span.or(o.span);
        if let Some(()) = quad::objective_term(self, e, w, o)? {
            return Ok(());
        }
        match &e.node {
            Node::Linear(LinOp::Add, args) => {
                for a in args {
                    self.objective(a, w, o)?;
                }
                Ok(())
            }
            Node::Linear(LinOp::Scale(c), args) if args.len() == 1 => {
                self.objective(&args[0], w * c, o)
            }
            _ => {
                let t = self.expr(e, o)?;
                if t.len() != 1 {
                    return Err(shape_err(span)(crate::convex::ShapeError::new(format!(
                        "the objective must be a scalar, not {}x{}",
                        t.rows(),
                        t.cols()
                    ))));
                }
                self.linear_objective(&t, w);
                Ok(())
            }
        }
    }

    fn constraint(&mut self, kind: &'p ConstraintKind, o: &Origin) -> Result<(), Diagnostic> {
        let err = shape_err(o.span);
        match kind {
            ConstraintKind::Eq(l, r) => {
                if let Some((p, m)) = Builder::affine_pair(l, r) {
                    self.cone_of_difference(p, m, at(o, "canon:eq", None), Cone::Zero);
                    return Ok(());
                }
                let s = self.expr(l, o)?.sub(&self.expr(r, o)?).map_err(&err)?;
                self.cone(Cone::Zero(s.len()), &s, at(o, "canon:eq", None));
            }
            ConstraintKind::Le(l, r) => {
                // ‖x‖₂ ≤ r and ‖x‖²/y ≤ r use r itself as the cone's bound: no epigraph column.
                if let (
                    Node::Atom(a @ (Atom::Norm2 | Atom::SumSquares | Atom::QuadOverLin), args),
                    1,
                ) = (&l.node, r.len())
                {
                    let bound = self.expr(r, o)?;
                    let args = args
                        .iter()
                        .map(|x| self.expr(x, o))
                        .collect::<Result<Vec<_>, _>>()?;
                    let o = at(o, "", l.span);
                    let done = match a {
                        Atom::Norm2 => norms::norm2_le(self, &args[0], &bound, &o),
                        Atom::SumSquares => {
                            quad::quad_over_lin_le(self, &args[0], &Affine::scalar(1.0), &bound, &o)
                        }
                        _ => match args.get(1) {
                            Some(y) => quad::quad_over_lin_le(self, &args[0], y, &bound, &o),
                            None => Err(crate::convex::ShapeError::new(
                                "quad_over_lin takes 2 arguments".into(),
                            )),
                        },
                    };
                    return done.map_err(&err);
                }
                if let Some((p, m)) = Builder::affine_pair(r, l) {
                    self.cone_of_difference(p, m, at(o, "canon:le", None), Cone::Nonneg);
                    return Ok(());
                }
                let lhs = self.expr(l, o)?;
                let s = self.expr(r, o)?.sub(&lhs).map_err(&err)?;
                self.cone(Cone::Nonneg(s.len()), &s, at(o, "canon:le", None));
            }
            // Both sides leaves (a lowering's many small cones): rows written in place.
            ConstraintKind::Soc {
                t:
                    Expr {
                        node: Node::Affine(t),
                        ..
                    },
                x:
                    Expr {
                        node: Node::Affine(x),
                        ..
                    },
            } if t.len() == 1 => {
                self.cone_of_parts(
                    Cone::SecondOrder(1 + x.len()),
                    &[t, x],
                    at(o, "canon:soc", None),
                );
            }
            ConstraintKind::Soc { t, x } => {
                let t = self.expr(t, o)?;
                let x = self.expr(x, o)?;
                if t.len() != 1 {
                    return Err(err(crate::convex::ShapeError::new(
                        "the bound of a second-order cone must be a scalar".into(),
                    )));
                }
                let s = Affine::vstack(&[t, x.reshape(x.len(), 1).map_err(&err)?]).map_err(&err)?;
                self.cone(Cone::SecondOrder(s.len()), &s, at(o, "canon:soc", None));
            }
            ConstraintKind::RotatedSoc { u, v, x } => {
                let (u, v, x) = (self.expr(u, o)?, self.expr(v, o)?, self.expr(x, o)?);
                if u.len() != 1 || v.len() != 1 {
                    return Err(err(crate::convex::ShapeError::new(
                        "the factors of a rotated cone's bound must be scalars".into(),
                    )));
                }
                let s = Affine::vstack(&[
                    u.add(&v).map_err(&err)?,
                    u.sub(&v).map_err(&err)?,
                    x.reshape(x.len(), 1).map_err(&err)?.scale(2.0),
                ])
                .map_err(&err)?;
                self.cone(
                    Cone::SecondOrder(s.len()),
                    &s,
                    at(o, "canon:rotated_soc", None),
                );
            }
            ConstraintKind::Psd(m) => {
                let m = self.expr(m, o)?;
                spectral::psd(self, &m, &at(o, "canon:psd", None)).map_err(&err)?;
            }
        }
        Ok(())
    }

    fn finish(self, maximize: bool, keep_zeros: bool) -> ConicProblem {
        let n = self.vars.len();
        let m = self.b.len();
        let a = assemble::rows_to_csc(m, n, keep_zeros, |f| self.each_row(f));
        // The row buffers are not needed any more: free them before `P` is built.
        drop((self.blocks, self.row_ptr, self.row_col, self.row_val));
        let mut p = Triplets::new(n, n);
        for &(i, j, v) in &self.p {
            p.push(i, j, v);
        }
        let mut q = self.q;
        q.resize(n, 0.0);
        ConicProblem {
            vars: self.vars,
            p: p.into_csc(),
            q,
            constant: self.constant,
            maximize,
            a,
            b: self.b,
            cones: self.cones,
            origins: self.origins,
        }
    }
}
