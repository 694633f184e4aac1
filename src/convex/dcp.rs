//! Curvature and sign analysis in the spirit of disciplined convex programming (DCP).
//!
//! A composition `f(g₁, …, gₖ)` with `f` convex is convex when each `gᵢ` is affine, or convex
//! where `f` is non-decreasing in argument `i`, or concave where it is non-increasing; concave
//! atoms mirror this. Monotonicity of `|x|`, `‖x‖`, `Σx²` depends on the argument's sign, which
//! is tracked from constants and variable bounds. A failure is reported at the deepest
//! sub-expression that breaks a rule, with its span and the reason, never as a bare "not DCP".
//!
//! Codes: `E0601` a composition rule is broken, `E0602` a product of two non-constant
//! expressions, `E0603` the objective has the wrong curvature for its direction, `E0604` a
//! constraint has the wrong curvature, `E0605` an expression with no convex meaning.

use crate::diag::{Diagnostic, Span};

use super::expr::{Atom, Expr, LinOp, Node};
use super::{ConstraintKind, Program, Sense};

/// Curvature of an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curvature {
    /// Does not depend on a variable.
    Constant,
    /// Affine in the variables.
    Affine,
    /// Convex.
    Convex,
    /// Concave.
    Concave,
}

impl Curvature {
    /// The word used in messages.
    pub fn word(self) -> &'static str {
        match self {
            Curvature::Constant => "constant",
            Curvature::Affine => "affine",
            Curvature::Convex => "convex",
            Curvature::Concave => "concave",
        }
    }

    /// Convex (affine and constant included).
    pub fn is_convex(self) -> bool {
        self != Curvature::Concave
    }

    /// Concave (affine and constant included).
    pub fn is_concave(self) -> bool {
        self != Curvature::Convex
    }

    /// Affine or constant.
    pub fn is_affine(self) -> bool {
        matches!(self, Curvature::Constant | Curvature::Affine)
    }

    fn flip(self) -> Curvature {
        match self {
            Curvature::Convex => Curvature::Concave,
            Curvature::Concave => Curvature::Convex,
            c => c,
        }
    }
}

/// Sign of every entry of an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// All zero.
    Zero,
    /// All ≥ 0.
    Nonneg,
    /// All ≤ 0.
    Nonpos,
    /// Not known.
    Unknown,
}

impl Sign {
    fn of_values(values: impl IntoIterator<Item = f64>) -> Sign {
        let (mut pos, mut neg) = (false, false);
        for v in values {
            pos |= v > 0.0;
            neg |= v < 0.0 || v.is_nan();
        }
        match (pos, neg) {
            (false, false) => Sign::Zero,
            (true, false) => Sign::Nonneg,
            (false, true) => Sign::Nonpos,
            (true, true) => Sign::Unknown,
        }
    }

    fn join(self, other: Sign) -> Sign {
        match (self, other) {
            (Sign::Zero, s) | (s, Sign::Zero) => s,
            (a, b) if a == b => a,
            _ => Sign::Unknown,
        }
    }

    fn times(self, other: Sign) -> Sign {
        match (self, other) {
            (Sign::Zero, _) | (_, Sign::Zero) => Sign::Zero,
            (Sign::Unknown, _) | (_, Sign::Unknown) => Sign::Unknown,
            (a, b) if a == b => Sign::Nonneg,
            _ => Sign::Nonpos,
        }
    }

    fn nonneg(self) -> bool {
        matches!(self, Sign::Zero | Sign::Nonneg)
    }

    fn nonpos(self) -> bool {
        matches!(self, Sign::Zero | Sign::Nonpos)
    }
}

/// What the analysis found out about an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    /// Curvature.
    pub curvature: Curvature,
    /// Sign.
    pub sign: Sign,
}

/// Why an expression is neither convex nor concave, at the node responsible.
#[derive(Clone, Debug)]
struct Culprit {
    code: &'static str,
    span: Option<Span>,
    message: String,
    label: String,
    notes: Vec<String>,
    help: Option<String>,
}

impl Culprit {
    fn into_diagnostic(self, fallback: Option<Span>) -> Diagnostic {
        let c = self;
        let mut d = Diagnostic::error(c.code, c.message);
        if let Some(s) = c.span.or(fallback) {
            d = d.with_primary(s, c.label);
        }
        for n in c.notes {
            d = d.with_note(n);
        }
        if let Some(h) = c.help {
            d = d.with_help(h);
        }
        d
    }
}

/// Monotonicity of an atom in one argument.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mono {
    Increasing,
    Decreasing,
    /// Neither (the argument must be affine).
    None,
}

/// Display text of an expression for messages: its source text in backticks where it is known
/// (`` `norm2(w)` ``, `` `-norm2(w)` `` for a negation), else a noun phrase without an article
/// (`sum of entries`), so that "the concave …" reads as a sentence either way.
fn show(e: &Expr) -> String {
    match code(e) {
        Some(c) => format!("`{c}`"),
        None => match &e.node {
            Node::Affine(_) => "affine expression".into(),
            Node::Linear(op, _) => op.name().into(),
            Node::Product(..) => "product".into(),
            Node::Atom(..) | Node::Invalid(..) => "expression".into(),
        },
    }
}

/// The text of an expression: its label, an atom's name, or a sum or scaling of such texts.
fn code(e: &Expr) -> Option<String> {
    if let Some(l) = &e.label {
        return Some(l.clone());
    }
    match &e.node {
        Node::Atom(a, _) => Some(format!("{}(…)", a.name())),
        Node::Linear(LinOp::Scale(c), args) if args.len() == 1 => {
            let inner = code(&args[0])?;
            Some(if *c == -1.0 {
                format!("-{inner}")
            } else {
                format!("{c} * {inner}")
            })
        }
        Node::Linear(LinOp::Add, args) => {
            let mut out = String::new();
            for (i, a) in args.iter().enumerate() {
                let t = code(a)?;
                match (i, t.strip_prefix('-')) {
                    (0, _) => out.push_str(&t),
                    (_, Some(rest)) => out.push_str(&format!(" - {rest}")),
                    (_, None) => out.push_str(&format!(" + {t}")),
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// The analysis over one program (variable bounds give the signs of affine leaves).
pub struct Analyzer<'p> {
    prog: &'p Program,
}

impl<'p> Analyzer<'p> {
    /// An analyzer for expressions over `prog`'s variables.
    pub fn new(prog: &'p Program) -> Analyzer<'p> {
        Analyzer { prog }
    }

    /// Curvature and sign of `e`, or a diagnostic naming the sub-expression that breaks a rule.
    pub fn analyze(&self, e: &Expr) -> Result<Info, Diagnostic> {
        self.info(e).map_err(|c| (*c).into_diagnostic(e.span))
    }

    fn info(&self, e: &Expr) -> Result<Info, Box<Culprit>> {
        let r = self.info_inner(e);
        // A culprit built without a span takes the span of the nearest ancestor that has one.
        r.map_err(|mut c| {
            if c.span.is_none() {
                c.span = e.span;
            }
            c
        })
    }

    fn leaf_sign(&self, a: &super::Affine) -> Sign {
        let (mut can_pos, mut can_neg) = (false, false);
        for k in 0..a.len() {
            let (vars, coefs, c0) = a.entry(k);
            let (mut lo, mut hi) = (c0, c0);
            for (&v, &c) in vars.iter().zip(coefs) {
                let (l, u) = self
                    .prog
                    .locate(v)
                    .map(|(id, ..)| (self.prog.vars[id.0].lower, self.prog.vars[id.0].upper))
                    .unwrap_or((None, None));
                let (l, u) = (l.unwrap_or(f64::NEG_INFINITY), u.unwrap_or(f64::INFINITY));
                if c > 0.0 {
                    lo += c * l;
                    hi += c * u;
                } else if c < 0.0 {
                    lo += c * u;
                    hi += c * l;
                }
            }
            can_pos |= hi > 0.0 || hi.is_nan();
            can_neg |= lo < 0.0 || lo.is_nan();
            if can_pos && can_neg {
                return Sign::Unknown;
            }
        }
        match (can_pos, can_neg) {
            (false, false) => Sign::Zero,
            (true, false) => Sign::Nonneg,
            (false, true) => Sign::Nonpos,
            (true, true) => Sign::Unknown,
        }
    }

    fn info_inner(&self, e: &Expr) -> Result<Info, Box<Culprit>> {
        match &e.node {
            Node::Affine(a) => Ok(Info {
                curvature: if a.is_constant() {
                    Curvature::Constant
                } else {
                    Curvature::Affine
                },
                sign: if a.is_constant() {
                    Sign::of_values(a.constants().iter().copied())
                } else {
                    self.leaf_sign(a)
                },
            }),
            Node::Linear(op, args) => {
                let infos = args.iter().map(|a| self.info(a)).collect::<Result<Vec<_>, _>>()?;
                self.linear(e, op, args, &infos)
            }
            Node::Atom(atom, args) => {
                let infos = args.iter().map(|a| self.info(a)).collect::<Result<Vec<_>, _>>()?;
                self.atom(e, *atom, args, &infos)
            }
            Node::Product(a, b) => Err(Box::new(Culprit {
                code: "E0602",
                span: e.span,
                message: format!(
                    "product of two decision variables {}: not convex",
                    e.label.as_ref().map_or_else(
                        || format!("{} * {}", show(a), show(b)),
                        |l| format!("`{l}`")
                    )
                ),
                label: "both factors depend on decision variables".into(),
                notes: vec![
                    "a product of two expressions that both depend on variables is neither convex nor concave"
                        .into(),
                ],
                help: Some("the training methods rewrite such products; see `method`".into()),
            })),
            Node::Invalid(reason, _) => Err(Box::new(Culprit {
                code: "E0605",
                span: e.span,
                message: format!("{}: {reason}", show(e)),
                label: "here".into(),
                notes: Vec::new(),
                help: None,
            })),
        }
    }

    fn linear(
        &self,
        e: &Expr,
        op: &LinOp,
        args: &[Expr],
        infos: &[Info],
    ) -> Result<Info, Box<Culprit>> {
        let join_sign = || infos.iter().fold(Sign::Zero, |s, i| s.join(i.sign));
        let scaled = |coef: Sign, what: &str| -> Result<Info, Box<Culprit>> {
            let inner = infos[0];
            let curvature = match coef {
                Sign::Zero => Curvature::Constant,
                Sign::Nonneg => inner.curvature,
                Sign::Nonpos => inner.curvature.flip(),
                Sign::Unknown if inner.curvature.is_affine() => inner.curvature,
                Sign::Unknown => {
                    return Err(Box::new(Culprit {
                        code: "E0601",
                        span: e.span,
                        message: format!(
                            "{} of the {} {}: neither convex nor concave",
                            what,
                            inner.curvature.word(),
                            show(&args[0])
                        ),
                        label: "coefficients of both signs".into(),
                        notes: vec![format!(
                            "a {} expression stays {} only under non-negative weights",
                            inner.curvature.word(),
                            inner.curvature.word()
                        )],
                        help: Some(
                            "split the data by sign, or apply the atom after the product".into(),
                        ),
                    }))
                }
            };
            Ok(Info {
                curvature,
                sign: coef.times(inner.sign),
            })
        };
        match op {
            LinOp::Add => {
                let mut curv = Curvature::Constant;
                let mut convex_part: Option<&Expr> = None;
                let mut concave_part: Option<&Expr> = None;
                for (a, i) in args.iter().zip(infos) {
                    match i.curvature {
                        Curvature::Convex => convex_part = Some(a),
                        Curvature::Concave => concave_part = Some(a),
                        _ => {}
                    }
                    curv = match (curv, i.curvature) {
                        (Curvature::Constant, c) | (c, Curvature::Constant) => c,
                        (Curvature::Affine, c) | (c, Curvature::Affine) => c,
                        (a, b) if a == b => a,
                        _ => curv,
                    };
                }
                if let (Some(cv), Some(cc)) = (convex_part, concave_part) {
                    return Err(Box::new(Culprit {
                        code: "E0601",
                        span: e.span,
                        message: format!(
                            "sum of the convex {} and the concave {}: neither convex nor concave",
                            show(cv),
                            show(cc)
                        ),
                        label: "convex + concave".into(),
                        notes: Vec::new(),
                        help: Some("move the concave part to the other side of a constraint, or change the sign".into()),
                    }));
                }
                Ok(Info {
                    curvature: curv,
                    sign: join_sign(),
                })
            }
            LinOp::Scale(c) => scaled(Sign::of_values([*c]), "scaling"),
            LinOp::MulElem(d) => scaled(Sign::of_values(d.iter().copied()), "entry-wise product"),
            LinOp::LeftMul(m) | LinOp::RightMul(m) => scaled(
                Sign::of_values(m.nzval.iter().copied()),
                "product with a matrix",
            ),
            LinOp::Sum
            | LinOp::Transpose
            | LinOp::Select { .. }
            | LinOp::VStack
            | LinOp::HStack => {
                let mut curv = Curvature::Constant;
                for (a, i) in args.iter().zip(infos) {
                    curv =
                        match (curv, i.curvature) {
                            (Curvature::Constant, c) | (c, Curvature::Constant) => c,
                            (Curvature::Affine, c) | (c, Curvature::Affine) => c,
                            (x, y) if x == y => x,
                            _ => return Err(Box::new(Culprit {
                                code: "E0601",
                                span: a.span.or(e.span),
                                message:
                                    "stack of convex and concave parts: neither convex nor concave"
                                        .into(),
                                label: format!("this part is {}", i.curvature.word()),
                                notes: Vec::new(),
                                help: None,
                            })),
                        };
                }
                Ok(Info {
                    curvature: curv,
                    sign: join_sign(),
                })
            }
        }
    }

    fn atom(
        &self,
        e: &Expr,
        atom: Atom,
        args: &[Expr],
        infos: &[Info],
    ) -> Result<Info, Box<Culprit>> {
        if infos.len() != atom.arity() {
            return Err(Box::new(Culprit {
                code: "E0607",
                span: e.span,
                message: format!(
                    "`{}` takes {} argument(s), got {}",
                    atom.name(),
                    atom.arity(),
                    infos.len()
                ),
                label: "here".into(),
                notes: Vec::new(),
                help: None,
            }));
        }
        let by_sign = |s: Sign| {
            if s.nonneg() {
                Mono::Increasing
            } else if s.nonpos() {
                Mono::Decreasing
            } else {
                Mono::None
            }
        };
        let a0 = infos[0];
        let (curv, sign, monos): (Curvature, Sign, Vec<Mono>) = match atom {
            Atom::SumSquares | Atom::Norm1 | Atom::Norm2 | Atom::NormInf | Atom::Abs => {
                (Curvature::Convex, Sign::Nonneg, vec![by_sign(a0.sign)])
            }
            Atom::QuadOverLin => (
                Curvature::Convex,
                Sign::Nonneg,
                vec![by_sign(a0.sign), Mono::Decreasing],
            ),
            Atom::NuclearNorm | Atom::SigmaMax => {
                (Curvature::Convex, Sign::Nonneg, vec![Mono::None])
            }
            Atom::Pos | Atom::Exp | Atom::Softplus => {
                (Curvature::Convex, Sign::Nonneg, vec![Mono::Increasing])
            }
            Atom::Max => (Curvature::Convex, a0.sign, vec![Mono::Increasing]),
            Atom::Maximum => {
                let s = if a0.sign.nonneg() || infos[1].sign.nonneg() {
                    Sign::Nonneg
                } else {
                    a0.sign.join(infos[1].sign)
                };
                (Curvature::Convex, s, vec![Mono::Increasing; 2])
            }
            Atom::LogSumExp => (Curvature::Convex, Sign::Unknown, vec![Mono::Increasing]),
            Atom::Log => (Curvature::Concave, Sign::Unknown, vec![Mono::Increasing]),
            Atom::Power(1.0) => return Ok(a0),
            Atom::Power(p) if p > 1.0 => {
                let even = p.fract() == 0.0 && (p as i64) % 2 == 0;
                if !even && !a0.sign.nonneg() {
                    return Err(Box::new(Culprit {
                        code: "E0601",
                        span: e.span,
                        message: format!(
                            "{} raised to the power {p}: convex only where the base is non-negative",
                            show(&args[0])
                        ),
                        label: "the base may be negative".into(),
                        notes: vec![format!(
                            "x^{p} is convex on x ≥ 0 only; the conic form would model |x|^{p}"
                        )],
                        help: Some("bound the base below by 0 (e.g. `var x >= 0`), or use an even power".into()),
                    }));
                }
                (Curvature::Convex, Sign::Nonneg, vec![by_sign(a0.sign)])
            }
            Atom::Power(_) => (Curvature::Concave, Sign::Nonneg, vec![Mono::Increasing]),
        };
        if infos.iter().all(|i| i.curvature == Curvature::Constant) {
            return Ok(Info {
                curvature: Curvature::Constant,
                sign,
            });
        }
        for ((arg, info), mono) in args.iter().zip(infos).zip(monos) {
            let ok = info.curvature.is_affine()
                || match (curv, mono) {
                    (Curvature::Convex, Mono::Increasing)
                    | (Curvature::Concave, Mono::Decreasing) => info.curvature == Curvature::Convex,
                    (Curvature::Convex, Mono::Decreasing)
                    | (Curvature::Concave, Mono::Increasing) => {
                        info.curvature == Curvature::Concave
                    }
                    _ => false,
                };
            if !ok {
                let rule = match mono {
                    Mono::Increasing => format!(
                        "`{}` is {} and increasing, so its argument must be {}",
                        atom.name(),
                        curv.word(),
                        curv.word()
                    ),
                    Mono::Decreasing => format!(
                        "`{}` is {} and decreasing there, so its argument must be {}",
                        atom.name(),
                        curv.word(),
                        curv.flip().word()
                    ),
                    Mono::None => format!(
                        "`{}` is not monotone over arguments of unknown sign, so its argument must be affine",
                        atom.name()
                    ),
                };
                return Err(Box::new(Culprit {
                    code: "E0601",
                    span: e.span,
                    message: format!(
                        "`{}` of the {} {}: neither convex nor concave",
                        atom.name(),
                        info.curvature.word(),
                        show(arg)
                    ),
                    label: format!("argument is {}", info.curvature.word()),
                    notes: vec![rule],
                    help: None,
                }));
            }
        }
        Ok(Info {
            curvature: curv,
            sign,
        })
    }
}

/// Checks the objective and every constraint; returns all errors found.
pub fn check(prog: &Program) -> Vec<Diagnostic> {
    let an = Analyzer::new(prog);
    let mut errs = Vec::new();
    if let Some(obj) = &prog.objective {
        match an.analyze(&obj.expr) {
            Err(d) => errs.push(d),
            Ok(info) => {
                let bad = match obj.sense {
                    Sense::Minimize => !info.curvature.is_convex(),
                    Sense::Maximize => !info.curvature.is_concave(),
                };
                if bad {
                    let (verb, want) = match obj.sense {
                        Sense::Minimize => ("minimizing", "convex"),
                        Sense::Maximize => ("maximizing", "concave"),
                    };
                    let mut d = Diagnostic::error(
                        "E0603",
                        format!(
                            "{verb} the {} {}: the objective must be {want}",
                            info.curvature.word(),
                            show(&obj.expr)
                        ),
                    )
                    .with_help(format!(
                        "{} it instead, or change its sign",
                        if obj.sense == Sense::Minimize {
                            "maximize"
                        } else {
                            "minimize"
                        }
                    ));
                    if let Some(s) = obj.expr.span.or(obj.span) {
                        d = d.with_primary(s, info.curvature.word().to_string());
                    }
                    errs.push(d);
                }
            }
        }
    }
    for c in &prog.constraints {
        let mut side = |e: &Expr, want: fn(Curvature) -> bool, role: &str| match an.analyze(e) {
            Err(d) => errs.push(d),
            Ok(info) if !want(info.curvature) => {
                let name = if c.label.is_empty() {
                    "a constraint".to_string()
                } else {
                    format!("constraint `{}`", c.label)
                };
                let mut d = Diagnostic::error(
                    "E0604",
                    format!("{name}: the {} {} cannot be {role}", info.curvature.word(), show(e)),
                )
                .with_note("a convex expression can be bounded above, a concave one below; equalities and cones need affine expressions")
                .with_help("move the expression to the other side, or change the constraint's direction");
                if let Some(s) = e.span.or(c.span) {
                    d = d.with_primary(s, format!("{} expression", info.curvature.word()));
                }
                if let (Some(cs), true) = (c.span, e.span.is_some()) {
                    d = d.with_label(cs, "in this constraint");
                }
                errs.push(d);
            }
            Ok(_) => {}
        };
        match &c.kind {
            ConstraintKind::Eq(l, r) => {
                side(l, Curvature::is_affine, "one side of an equality");
                side(r, Curvature::is_affine, "one side of an equality");
            }
            ConstraintKind::Le(l, r) => {
                side(l, Curvature::is_convex, "bounded above");
                side(r, Curvature::is_concave, "bounded below");
            }
            ConstraintKind::Soc { t, x } => {
                side(t, Curvature::is_affine, "the bound of a second-order cone");
                side(x, Curvature::is_affine, "the vector of a second-order cone");
            }
            ConstraintKind::RotatedSoc { u, v, x } => {
                side(
                    u,
                    Curvature::is_affine,
                    "a factor of a rotated cone's bound",
                );
                side(
                    v,
                    Curvature::is_affine,
                    "a factor of a rotated cone's bound",
                );
                side(
                    x,
                    Curvature::is_affine,
                    "the vector of a rotated second-order cone",
                );
            }
            ConstraintKind::Psd(s) => {
                side(s, Curvature::is_affine, "constrained positive semidefinite");
            }
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convex::{Constraint, VarSpec};
    use crate::diag::SourceId;

    fn sp(a: usize, b: usize) -> Span {
        Span::new(SourceId(0), a..b)
    }

    #[test]
    fn curvature_of_compositions() {
        let mut p = Program::new();
        let x = p.add_var(VarSpec::new("x", 3, 1));
        let y = p.add_var(VarSpec::new("y", 1, 1).lower(0.0));
        let an = Analyzer::new(&p);
        let xe = p.var_expr(x);
        let ye = p.var_expr(y);
        let sq = xe.clone().sum_squares();
        assert_eq!(an.analyze(&sq).unwrap().curvature, Curvature::Convex);
        let lg = Expr::atom(Atom::Log, vec![ye.clone()]).unwrap();
        assert_eq!(an.analyze(&lg).unwrap().curvature, Curvature::Concave);
        // -log(y) is convex, log(y) + ‖x‖ is not.
        assert_eq!(
            an.analyze(&lg.clone().negate()).unwrap().curvature,
            Curvature::Convex
        );
        let bad = lg
            .clone()
            .plus(xe.clone().norm2())
            .unwrap()
            .with_span(sp(0, 5));
        let d = an.analyze(&bad).unwrap_err();
        assert_eq!(d.code, "E0601");
        assert!(
            d.message.contains("convex") && d.message.contains("concave"),
            "{}",
            d.message
        );
        // y ≥ 0, so y^1.5 is fine; x^1.5 is not (x may be negative).
        assert!(an
            .analyze(&Expr::atom(Atom::Power(1.5), vec![ye.clone()]).unwrap())
            .is_ok());
        assert!(an
            .analyze(&Expr::atom(Atom::Power(1.5), vec![xe.clone()]).unwrap())
            .is_err());
        // sum_squares(pos(x)) is convex (pos is non-negative), sum_squares(log(y)) is not.
        assert!(an.analyze(&xe.clone().pos().sum_squares()).is_ok());
        let d = an
            .analyze(&lg.clone().with_label("log(y)").sum_squares())
            .unwrap_err();
        assert!(d.message.contains("`log(y)`"), "{}", d.message);
    }

    #[test]
    fn product_names_the_subexpression() {
        let mut p = Program::new();
        let w = p.add_var(VarSpec::new("W2", 1, 1));
        let a = p.add_var(VarSpec::new("a1", 1, 1));
        let prod = Expr {
            rows: 1,
            cols: 1,
            node: Node::Product(Box::new(p.var_expr(w)), Box::new(p.var_expr(a))),
            span: Some(sp(10, 17)),
            label: Some("W2 * a1".into()),
        };
        p.minimize(prod.sum_squares());
        let errs = check(&p);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code, "E0602");
        assert_eq!(errs[0].primary_span(), Some(sp(10, 17)));
        assert!(errs[0].message.contains("`W2 * a1`"));
        assert!(errs[0].help.as_deref().unwrap_or("").contains("method"));
    }

    #[test]
    fn constraint_and_objective_directions() {
        let mut p = Program::new();
        let x = p.add_var(VarSpec::new("x", 2, 1));
        let xe = p.var_expr(x);
        p.maximize(xe.clone().norm2().with_span(sp(0, 3)));
        p.constrain(Constraint::ge(xe.clone().norm1(), Expr::scalar(1.0)).with_label("c"));
        p.constrain(Constraint::le(xe.clone().norm1(), Expr::scalar(1.0)));
        let errs = check(&p);
        let codes: Vec<_> = errs.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["E0603", "E0604"]);
        assert!(errs[1].message.contains("`c`"));
    }
}
