//! The convex part of a resolved model as a [`Program`]: user variables, objective, constraints.
//!
//! Every model node maps to a program node with the same span: data become constant affine
//! leaves, `@` and `*` by data become sparse products, atoms become program atoms (folded to
//! numbers when their arguments are constant). Network nodes (`NetOut`, `Weights`) belong to a
//! training method: a [`Lowering`] sees every node first and may substitute its own expression;
//! without one, a network node is an error asking for a `method`. Variables become program blocks
//! when first used, so a lowering that replaces a network never pays for its unused weights.
//!
//! Codes: `E0609` placeholder outside an activation, `E0610` a network node without a training
//! method, `E0611` an atom without a conic form (`sigmoid_hbar`).

use nalgebra::DMatrix;

use super::{csc_from_dense, Affine, Atom, Constraint, Expr, LinOp, Node, Program, VarId, VarSpec};
use crate::diag::{Diagnostic, SourceMap, Span};
use crate::model::{self, CmpOp, DataPart, ExprKind, Model, Sense};
use crate::syntax::ast::BinOp;

/// A training method's hook: return `Some` for the nodes it owns (network outputs, weights).
pub trait Lowering {
    /// The program expression standing for `e`, or `None` to translate `e` as usual.
    fn substitute(
        &mut self,
        e: &model::Expr,
        cx: &mut Context<'_>,
    ) -> Option<Result<Expr, Vec<Diagnostic>>>;
}

/// No lowering: every network node is an error.
pub struct NoLowering;

impl Lowering for NoLowering {
    fn substitute(
        &mut self,
        _: &model::Expr,
        _: &mut Context<'_>,
    ) -> Option<Result<Expr, Vec<Diagnostic>>> {
        None
    }
}

impl<F> Lowering for F
where
    F: FnMut(&model::Expr, &mut Context<'_>) -> Option<Result<Expr, Vec<Diagnostic>>>,
{
    fn substitute(
        &mut self,
        e: &model::Expr,
        cx: &mut Context<'_>,
    ) -> Option<Result<Expr, Vec<Diagnostic>>> {
        self(e, cx)
    }
}

/// The program being built, with the model it comes from.
pub struct Context<'m> {
    /// The model.
    pub model: &'m Model,
    /// Its sources (for the text of sub-expressions in messages).
    pub sources: &'m SourceMap,
    /// The program so far; a lowering adds its own variables and constraints here.
    pub prog: Program,
    vars: Vec<Option<VarId>>,
}

/// The result: the program and where each model variable went.
#[derive(Clone, Debug)]
pub struct Translation {
    /// The program.
    pub program: Program,
    /// Program block of each model variable (`None` when it was never used).
    pub vars: Vec<Option<VarId>>,
}

impl<'m> Context<'m> {
    /// The program block of model variable `id`, created (with its bounds) on first use.
    pub fn var(&mut self, id: model::VarId) -> VarId {
        if let Some(Some(v)) = self.vars.get(id.0) {
            return *v;
        }
        let mv = &self.model.vars[id.0];
        let (rows, cols) = dims(&mv.shape);
        let mut spec = VarSpec::new(mv.name.clone(), rows, cols).span(mv.span);
        if let Some(l) = mv.lower {
            spec = spec.lower(l);
        }
        if let Some(u) = mv.upper {
            spec = spec.upper(u);
        }
        let v = self.prog.add_var(spec);
        if self.vars.len() <= id.0 {
            self.vars.resize(id.0 + 1, None);
        }
        self.vars[id.0] = Some(v);
        v
    }

    /// The value of a constant model expression (data, numbers and atoms of them).
    pub fn constant(&mut self, e: &model::Expr) -> Result<Affine, Vec<Diagnostic>> {
        let ex = self.expr(e, &mut NoLowering)?;
        match ex.node {
            Node::Affine(a) if a.is_constant() => Ok(a),
            _ => Err(vec![Diagnostic::error(
                "E0605",
                "expected an expression known before solving",
            )
            .with_primary(e.span, "depends on decision variables")]),
        }
    }

    /// Translates one model expression.
    pub fn expr(
        &mut self,
        e: &model::Expr,
        hook: &mut dyn Lowering,
    ) -> Result<Expr, Vec<Diagnostic>> {
        if let Some(r) = hook.substitute(e, self) {
            return r.map(|x| {
                if x.span.is_none() {
                    x.with_span(e.span)
                } else {
                    x
                }
            });
        }
        let shape_err = |err: super::ShapeError| vec![err.to_diagnostic(Some(e.span))];
        let out = match &e.kind {
            ExprKind::Number { value, .. } => Expr::scalar(*value),
            ExprKind::Matrix(m) => dense(m).map_err(shape_err)?,
            ExprKind::Data(id, part) => {
                let ds = &self.model.datasets[id.0];
                let m = match part {
                    DataPart::X => &ds.x,
                    DataPart::Y => &ds.y,
                    DataPart::W => ds.w.as_ref().ok_or_else(|| {
                        vec![Diagnostic::error(
                            "E1012",
                            format!("data `{}` has no sample weights", ds.name),
                        )
                        .with_primary(e.span, "no weights declared")]
                    })?,
                };
                dense(m).map_err(shape_err)?
            }
            ExprKind::Var(id) => {
                let v = self.var(*id);
                self.prog.var_expr(v)
            }
            ExprKind::Placeholder => {
                return Err(vec![Diagnostic::error(
                    "E0609",
                    "the argument of an activation used outside an activation definition",
                )
                .with_primary(e.span, "here")]);
            }
            ExprKind::Weights(_) | ExprKind::NetOut(..) => {
                let what = if matches!(e.kind, ExprKind::Weights(_)) {
                    "the weights of a network"
                } else {
                    "a network output"
                };
                return Err(vec![Diagnostic::error(
                    "E0610",
                    format!(
                        "`{}` is {what}: only a training method turns it into a convex program",
                        self.text(e)
                    ),
                )
                .with_primary(e.span, "needs a training method")
                .with_help(
                    "declare one, e.g. `method patterns(enumeration = sampled, count = 100)`",
                )]);
            }
            ExprKind::Neg(a) => self.expr(a, hook)?.negate(),
            ExprKind::Binary(op, a, b) => {
                let x = self.expr(a, hook)?;
                let y = self.expr(b, hook)?;
                self.binary(&e.shape, e.span, *op, x, y)
                    .map_err(shape_err)?
            }
            ExprKind::Chain(first, steps) => self.chain(first, steps, hook)?,
            ExprKind::Atom(atom, args) => {
                let xs = args
                    .iter()
                    .map(|a| self.expr(a, hook))
                    .collect::<Result<Vec<_>, _>>()?;
                self.atom(e, *atom, xs)?
            }
            ExprKind::ClassRows(a, data, class) => {
                let x = self.expr(a, hook)?;
                let rows = self.model.datasets[data.0]
                    .classes
                    .get(*class)
                    .map(|c| c.rows.clone())
                    .unwrap_or_default();
                x.select_rows(&rows).map_err(shape_err)?
            }
            ExprKind::Entry(a, idx) => {
                let x = self.expr(a, hook)?;
                let (i, j) = (
                    idx.first().copied().unwrap_or(0),
                    idx.get(1).copied().unwrap_or(0),
                );
                x.at(i, j).map_err(shape_err)?
            }
        };
        let (rows, cols) = dims(&e.shape);
        let out = if (out.rows, out.cols) != (rows, cols) && out.len() == rows * cols {
            reshape(out, rows, cols).map_err(shape_err)?
        } else {
            out
        };
        if !finite(&out) {
            return Err(vec![Diagnostic::error(
                "E0321",
                format!("`{}` has a value that is not a finite number", self.text(e)),
            )
            .with_primary(e.span, "not finite")
            .with_note("its numbers (data, constants and their products) overflow a 64-bit float")
            .with_help("rescale the model so that its numbers are finite")]);
        }
        // Messages name a sub-expression by the text the user wrote.
        let out = out.with_span(e.span);
        Ok(match out.node {
            Node::Linear(..) if out.label.is_none() => {
                let text = self.text(e);
                out.with_label(text)
            }
            _ => out,
        })
    }

    /// A chain in one loop: a sum (`+ -`) becomes one flat `Linear(Add, …)`, other chains
    /// are folded step by step as the `Binary` nodes they stand for.
    fn chain(
        &mut self,
        first: &model::Expr,
        steps: &[model::ChainStep],
        hook: &mut dyn Lowering,
    ) -> Result<Expr, Vec<Diagnostic>> {
        let x = self.expr(first, hook)?;
        let sum = steps
            .iter()
            .all(|s| matches!(s.op, BinOp::Add | BinOp::Sub));
        if sum {
            let mut terms = vec![x];
            for s in steps {
                let y = self.expr(&s.rhs, hook)?;
                terms.push(if s.op == BinOp::Sub { y.negate() } else { y });
            }
            let span = steps.last().map_or(first.span, |s| s.span);
            return Expr::linear(LinOp::Add, terms)
                .map_err(|err| vec![err.to_diagnostic(Some(span))]);
        }
        let mut acc = x;
        for s in steps {
            let y = self.expr(&s.rhs, hook)?;
            let shape_err = |err: super::ShapeError| vec![err.to_diagnostic(Some(s.span))];
            acc = self
                .binary(&s.shape, s.span, s.op, acc, y)
                .map_err(shape_err)?;
            let (rows, cols) = dims(&s.shape);
            if (acc.rows, acc.cols) != (rows, cols) && acc.len() == rows * cols {
                acc = reshape(acc, rows, cols).map_err(shape_err)?;
            }
            acc = acc.with_span(s.span);
        }
        Ok(acc)
    }

    fn text(&self, e: &model::Expr) -> String {
        self.text_at(e.span)
    }

    /// The source text at `span`, its whitespace collapsed (for messages and reports).
    pub fn text_at(&self, span: Span) -> String {
        self.sources
            .slice(span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn binary(
        &self,
        shape: &model::Shape,
        span: Span,
        op: BinOp,
        x: Expr,
        y: Expr,
    ) -> Result<Expr, super::ShapeError> {
        let cst = |z: &Expr| z.as_affine().filter(|a| a.is_constant()).cloned();
        let product = |x: Expr, y: Expr| Expr {
            rows: dims(shape).0,
            cols: dims(shape).1,
            node: Node::Product(Box::new(x), Box::new(y)),
            span: Some(span),
            label: Some(self.text_at(span)),
        };
        Ok(match op {
            BinOp::Add => x.plus(y)?,
            BinOp::Sub => x.minus(y)?,
            BinOp::Mul => match (cst(&x), cst(&y)) {
                (Some(a), _) => scale_by(y, &a)?,
                (_, Some(b)) => scale_by(x, &b)?,
                _ => product(x, y),
            },
            BinOp::Div => match cst(&y) {
                Some(b) if b.len() == 1 && b.constants()[0] != 0.0 => {
                    x.scale(1.0 / b.constants()[0])
                }
                _ => Expr {
                    rows: x.rows,
                    cols: x.cols,
                    node: Node::Invalid(
                        "division by an expression that is not a non-zero constant".into(),
                        vec![x, y],
                    ),
                    span: Some(span),
                    label: Some(self.text_at(span)),
                },
            },
            BinOp::Pow => match cst(&y) {
                Some(p) if p.len() == 1 => {
                    let p = p.constants()[0];
                    match cst(&x) {
                        Some(a) => Affine::constant(
                            a.rows(),
                            a.cols(),
                            a.constants().iter().map(|v| v.powf(p)).collect(),
                        )?
                        .into(),
                        None if p == 1.0 => x,
                        None if p > 0.0 => Expr::atom(Atom::Power(p), vec![x])?,
                        None => Expr {
                            rows: x.rows,
                            cols: x.cols,
                            node: Node::Invalid(
                                format!("power {p}: only positive exponents are supported"),
                                vec![x],
                            ),
                            span: Some(span),
                            label: Some(self.text_at(span)),
                        },
                    }
                }
                _ => Expr {
                    rows: x.rows,
                    cols: x.cols,
                    node: Node::Invalid("an exponent must be a number".into(), vec![x, y]),
                    span: Some(span),
                    label: Some(self.text_at(span)),
                },
            },
            BinOp::MatMul => match (cst(&x), cst(&y)) {
                (Some(a), _) => {
                    // A vector on the left is a row: (xᵀ Y)ᵀ = Yᵀ x.
                    let a = if a.cols() == 1 && y.rows != 1 {
                        a.transpose()
                    } else {
                        a
                    };
                    y.left_mul(csc_from_dense(a.rows(), a.cols(), a.constants()))?
                }
                (_, Some(b)) => {
                    let x = if x.cols == 1 && b.rows() != 1 {
                        x.transpose()?
                    } else {
                        x
                    };
                    x.right_mul(csc_from_dense(b.rows(), b.cols(), b.constants()))?
                }
                _ => product(x, y),
            },
        })
    }

    fn atom(
        &self,
        e: &model::Expr,
        atom: model::Atom,
        mut xs: Vec<Expr>,
    ) -> Result<Expr, Vec<Diagnostic>> {
        use model::Atom as M;
        let shape_err = |err: super::ShapeError| vec![err.to_diagnostic(Some(e.span))];
        let a = match atom {
            M::Sum => return Ok(xs.remove(0).sum()),
            M::Transpose => return xs.remove(0).transpose().map_err(shape_err),
            M::SigmoidHbar => {
                return Err(vec![Diagnostic::error(
                    "E0611",
                    "`sigmoid_hbar` has no exact conic form",
                )
                .with_primary(e.span, "not representable with the available cones")
                .with_note("h̄(z) is σ(z) for z ≤ 0 and z/4 + 1/2 above: convex, but not exponential-cone representable")
                .with_help("it is meant for the `convex_nn` method, which approximates it by tangent planes")]);
            }
            M::SumSquares => Atom::SumSquares,
            M::QuadOverLin => Atom::QuadOverLin,
            M::Norm1 => Atom::Norm1,
            M::Norm2 => Atom::Norm2,
            M::NormInf => Atom::NormInf,
            M::NuclearNorm => Atom::NuclearNorm,
            M::SigmaMax => Atom::SigmaMax,
            M::Abs => Atom::Abs,
            M::Pos => Atom::Pos,
            M::Maximum => Atom::Maximum,
            M::Max => Atom::Max,
            M::Exp => Atom::Exp,
            M::Log => Atom::Log,
            M::LogSumExp => Atom::LogSumExp,
            M::Softplus => Atom::Softplus,
        };
        // Shapes are checked first, then atoms of constants are folded to their values.
        let ex = Expr::atom(a, xs).map_err(shape_err)?;
        if let Node::Atom(_, args) = &ex.node {
            let consts: Option<Vec<&Affine>> = args
                .iter()
                .map(|x| x.as_affine().filter(|a| a.is_constant()))
                .collect();
            if let Some(v) = consts.and_then(|cs| fold(a, &cs)) {
                return Ok(v.into());
            }
        }
        Ok(ex.with_label(self.text(e)))
    }
}

/// Whether the numbers a node holds itself (an affine expression's coefficients and constants,
/// a scaling's factor) are finite; its children were checked when they were translated.
fn finite(e: &Expr) -> bool {
    match &e.node {
        Node::Affine(a) => (0..a.len()).all(|k| {
            let (_, coefs, c) = a.entry(k);
            c.is_finite() && coefs.iter().all(|v| v.is_finite())
        }),
        Node::Linear(LinOp::Scale(c), _) => c.is_finite(),
        Node::Linear(LinOp::MulElem(d), _) => d.iter().all(|v| v.is_finite()),
        _ => true,
    }
}

/// Rows and columns of a model shape (vectors are columns).
fn dims(s: &model::Shape) -> (usize, usize) {
    (s.rows(), s.cols())
}

fn dense(m: &DMatrix<f64>) -> Result<Expr, super::ShapeError> {
    Expr::constant(m.nrows(), m.ncols(), m.as_slice().to_vec())
}

fn reshape(x: Expr, rows: usize, cols: usize) -> Result<Expr, super::ShapeError> {
    let len = x.len();
    Expr::linear(
        LinOp::Select {
            idx: (0..len).collect(),
            rows,
            cols,
        },
        vec![x],
    )
}

/// `x` times constant `a`: a scalar scales, anything else multiplies entry by entry.
fn scale_by(x: Expr, a: &Affine) -> Result<Expr, super::ShapeError> {
    if a.len() == 1 {
        return Ok(x.scale(a.constants()[0]));
    }
    if x.len() == 1 {
        // A scalar expression times data: broadcast the scalar first (0 + x has a's shape).
        let zeros = Expr::constant(a.rows(), a.cols(), vec![0.0; a.len()])?;
        return zeros.plus(x)?.mul_elem(a.constants().to_vec());
    }
    x.mul_elem(a.constants().to_vec())
}

/// The value of an atom over constant arguments, when it is a plain number computation.
fn fold(a: Atom, args: &[&Affine]) -> Option<Affine> {
    let x = args[0];
    let v = x.constants();
    let map = |f: &dyn Fn(f64) -> f64| {
        Affine::constant(x.rows(), x.cols(), v.iter().map(|&t| f(t)).collect()).ok()
    };
    let scalar = |s: f64| Some(Affine::scalar(s));
    match a {
        Atom::SumSquares => scalar(v.iter().map(|t| t * t).sum()),
        Atom::QuadOverLin => {
            scalar(v.iter().map(|t| t * t).sum::<f64>() / *args.get(1)?.constants().first()?)
        }
        Atom::Norm1 => scalar(v.iter().map(|t| t.abs()).sum()),
        Atom::Norm2 => scalar(v.iter().map(|t| t * t).sum::<f64>().sqrt()),
        Atom::NormInf => scalar(v.iter().fold(0.0, |m: f64, t| m.max(t.abs()))),
        Atom::NuclearNorm | Atom::SigmaMax => {
            let m = DMatrix::from_column_slice(x.rows(), x.cols(), v);
            let s = m.singular_values();
            scalar(if a == Atom::NuclearNorm {
                s.sum()
            } else {
                s.max()
            })
        }
        Atom::Abs => map(&f64::abs),
        Atom::Pos => map(&|t| t.max(0.0)),
        Atom::Maximum => {
            let y = args.get(1)?.constants();
            let n = v.len().max(y.len());
            let (r, c) = if v.len() >= y.len() {
                (x.rows(), x.cols())
            } else {
                (args[1].rows(), args[1].cols())
            };
            let pick = |s: &[f64], k: usize| if s.len() == 1 { s[0] } else { s[k] };
            Affine::constant(r, c, (0..n).map(|k| pick(v, k).max(pick(y, k))).collect()).ok()
        }
        Atom::Max => scalar(v.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        Atom::Exp => map(&f64::exp),
        Atom::Log => map(&f64::ln),
        Atom::LogSumExp => {
            let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            scalar(m + v.iter().map(|t| (t - m).exp()).sum::<f64>().ln())
        }
        Atom::Softplus => map(&|t| {
            if t > 0.0 {
                t + (-t).exp().ln_1p()
            } else {
                t.exp().ln_1p()
            }
        }),
        Atom::Power(p) => map(&|t| t.powf(p)),
    }
}

/// Builds the program of a model's objective and constraints, letting `hook` substitute the
/// nodes it owns. Collects the errors of every item before failing.
pub fn program(
    model: &Model,
    sources: &SourceMap,
    hook: &mut dyn Lowering,
) -> Result<Translation, Vec<Diagnostic>> {
    let mut cx = Context {
        model,
        sources,
        prog: Program::new(),
        vars: vec![None; model.vars.len()],
    };
    // User variables exist even when unused, so their values are always reported.
    for (i, v) in model.vars.iter().enumerate() {
        if matches!(v.role, model::VarRole::User) {
            cx.var(model::VarId(i));
        }
    }
    let mut errs = Vec::new();
    if let Some(obj) = &model.objective {
        match cx.expr(&obj.expr, hook) {
            Ok(e) => match obj.sense {
                Sense::Minimize => cx.prog.minimize(e),
                Sense::Maximize => cx.prog.maximize(e),
            },
            Err(d) => errs.extend(d),
        }
        if let Some(o) = &mut cx.prog.objective {
            o.span = Some(obj.span);
        }
    }
    for c in &model.constraints {
        let lhs = match cx.expr(&c.lhs, hook) {
            Ok(e) => e,
            Err(d) => {
                errs.extend(d);
                continue;
            }
        };
        let mut rhs = Vec::new();
        for r in &c.rhs {
            match cx.expr(r, hook) {
                Ok(e) => rhs.push(e),
                Err(d) => errs.extend(d),
            }
        }
        if rhs.len() != c.rhs.len() {
            continue;
        }
        let made: Vec<Constraint> = match (c.op, rhs.as_slice()) {
            (CmpOp::Le, [r]) => vec![Constraint::le(lhs, r.clone())],
            (CmpOp::Ge, [r]) => vec![Constraint::ge(lhs, r.clone())],
            (CmpOp::Eq, [r]) => vec![Constraint::eq(lhs, r.clone())],
            (CmpOp::In, [lo, hi]) => vec![
                Constraint::ge(lhs.clone(), lo.clone()),
                Constraint::le(lhs, hi.clone()),
            ],
            _ => {
                errs.push(
                    Diagnostic::error("E0607", "constraint with an unexpected number of sides")
                        .with_primary(c.span, "here"),
                );
                continue;
            }
        };
        for k in made {
            cx.prog
                .constrain(k.with_span(c.span).with_label(c.name.clone()));
        }
    }
    if errs.is_empty() {
        Ok(Translation {
            program: cx.prog,
            vars: cx.vars,
        })
    } else {
        Err(errs)
    }
}

/// Checks that `model` is convex as far as it can be before a training method runs (what
/// `cnnc check` reports): every network output and weight vector stands for a new free
/// variable, since a method's lowering makes it an affine expression in new variables (the
/// pattern method does exactly that); everything else is translated and checked as written.
pub fn check_convexity(model: &Model, sources: &SourceMap) -> Result<(), Vec<Diagnostic>> {
    let mut hook = |e: &model::Expr, cx: &mut Context<'_>| match e.kind {
        ExprKind::NetOut(..) | ExprKind::Weights(_) => {
            let (rows, cols) = dims(&e.shape);
            let v = cx
                .prog
                .add_var(VarSpec::new(cx.text(e), rows, cols).span(e.span));
            Some(Ok(cx.prog.var_expr(v)))
        }
        _ => None,
    };
    let t = program(model, sources, &mut hook)?;
    let errs = super::dcp::check(&t.program);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::render;

    /// Runs the front end on model text; panics with the rendered errors if it fails.
    fn model(text: &str) -> (SourceMap, Model) {
        let mut sm = SourceMap::new();
        let id = sm.add("m.cnn", None, text.to_string());
        match crate::frontend(&mut sm, id, std::path::Path::new("."), &Default::default()) {
            Ok((_, m)) => (sm, m),
            Err(d) => panic!("{}", render(&sm, &d, false)),
        }
    }

    const DATA: &str = "data toy = inline(x = [[1, 2], [3, 4], [5, 6]], y = [1, 2, 3])\n";

    #[test]
    fn user_program_to_conic() {
        let src = format!(
            "{DATA}var w[2]\nvar t >= 0\nminimize 0.5 * sum_squares(toy.x @ w - toy.y) + norm1(w) + t\n\
             constraint budget: sum(w) <= 1\nconstraint slack: toy.x @ w <= t + 10\n"
        );
        let (sm, m) = model(&src);
        let tr = program(&m, &sm, &mut NoLowering)
            .unwrap_or_else(|d| panic!("{}", render(&sm, &d, false)));
        let (conic, map) = crate::conic::canon::canonicalize(&tr.program)
            .unwrap_or_else(|d| panic!("{}", render(&sm, &d, false)));
        assert_eq!(map.blocks[0].name, "w");
        insta::assert_snapshot!(format!(
            "{}--- conic ---\n{}",
            super::super::print::print(&tr.program),
            crate::conic::print::print(&conic, &sm)
        ));
    }

    #[test]
    fn network_output_needs_a_method_or_a_lowering() {
        let src = format!(
            "{DATA}network net(toy) {{\n    dense(2, relu)\n    dense(1)\n}}\nminimize sum_squares(net(toy.x) - toy.y)\n"
        );
        let (sm, m) = model(&src);
        let errs = program(&m, &sm, &mut NoLowering).unwrap_err();
        assert_eq!(errs[0].code, "E0610");
        insta::assert_snapshot!(render(&sm, &errs, false));

        // A lowering that stands a fresh variable in for the network output.
        let mut hook =
            |e: &model::Expr, cx: &mut Context<'_>| -> Option<Result<Expr, Vec<Diagnostic>>> {
                match e.kind {
                    ExprKind::NetOut(..) => {
                        let v =
                            cx.prog
                                .add_var(VarSpec::new("yhat", e.shape.rows(), e.shape.cols()));
                        Some(Ok(cx.prog.var_expr(v)))
                    }
                    _ => None,
                }
            };
        let tr =
            program(&m, &sm, &mut hook).unwrap_or_else(|d| panic!("{}", render(&sm, &d, false)));
        let names: Vec<_> = tr.program.vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, vec!["yhat"]);
        assert!(crate::conic::canon::canonicalize(&tr.program).is_ok());
    }

    #[test]
    fn dcp_errors_point_at_the_subexpression() {
        let src =
            "var t >= 1\nvar u\nminimize sum_squares(log(t)) + u\nconstraint c: exp(u) >= 2\n";
        let (sm, m) = model(src);
        let tr = program(&m, &sm, &mut NoLowering)
            .unwrap_or_else(|d| panic!("{}", render(&sm, &d, false)));
        let errs = crate::conic::canon::canonicalize(&tr.program).unwrap_err();
        let codes: Vec<_> = errs.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["E0601", "E0604"]);
        insta::assert_snapshot!(render(&sm, &errs, false));
    }

    #[test]
    fn constant_atoms_are_folded() {
        let src = "var u\nminimize u + norm2([3, 4]) + exp(0) + nuclear_norm([[3, 0], [0, 4]])\n";
        let (sm, m) = model(src);
        let tr = program(&m, &sm, &mut NoLowering)
            .unwrap_or_else(|d| panic!("{}", render(&sm, &d, false)));
        let (conic, _) = crate::conic::canon::canonicalize(&tr.program).unwrap();
        assert_eq!(conic.num_rows(), 0);
        assert!((conic.constant - 13.0).abs() < 1e-12, "{}", conic.constant);
    }
}

#[cfg(test)]
mod value_tests {
    use super::*;

    /// Products with data on either side, transposes, entries, powers and scalar-times-data
    /// broadcasts translate to the right affine maps: the optimum is reached exactly at the
    /// point computed by hand (w = (1, 2), u = 3, objective 0), found by Clarabel.
    #[test]
    fn matrix_products_and_entries_keep_their_values() {
        let src = "var w[2]\nvar u\n\
                   minimize sum((w @ [[1, 0], [0, 2]] - [1, 4])^2) + ([[1, 1]] @ w - [3])[0]^2 \
                   + (u * [1, 2] - [3, 6])[1]^2 + (transpose([[2, 0], [0, 1]]) @ w / 2 - [1, 1])[1]^2\n";
        let mut sm = SourceMap::new();
        let id = sm.add("v.cnn", None, src.to_string());
        let (_, m) = crate::frontend(&mut sm, id, std::path::Path::new("."), &Default::default())
            .unwrap_or_else(|d| panic!("{}", crate::diag::render(&sm, &d, false)));
        let tr = program(&m, &sm, &mut NoLowering)
            .unwrap_or_else(|d| panic!("{}", crate::diag::render(&sm, &d, false)));
        let (cp, map) = crate::conic::canon::canonicalize(&tr.program).unwrap();
        let (obj, x) = crate::conic::canon::tests::solve(&cp);
        assert!(obj.abs() < 1e-7, "objective {obj}");
        let w = map.values(&x, tr.vars[0].unwrap()).unwrap();
        let u = map.values(&x, tr.vars[1].unwrap()).unwrap();
        assert!(
            (w[0] - 1.0).abs() < 1e-4 && (w[1] - 2.0).abs() < 1e-4,
            "{w:?}"
        );
        assert!((u[0] - 3.0).abs() < 1e-4, "{u:?}");
    }
}
