//! Expressions: name resolution, inlining of library functions, constant folding and shapes.

use crate::diag::{suggest, Diagnostic, Span};
use crate::model::{self, Atom, ChainStep, DataId, DataPart, Expr, ExprKind, NetId, Shape};
use crate::syntax::ast::{self, BinOp, CmpOp};
use crate::syntax::print::format_number;

use super::{Checker, Def};

/// Functions built into the checker that are not atoms: they produce numbers, sets or splits.
const BUILTINS: [&str; 4] = ["weights", "classes", "count", "dc"];

/// What a name or expression can evaluate to.
#[derive(Clone, Debug)]
pub(super) enum Value<'a> {
    Expr(Expr),
    Network(NetId),
    Data(DataId),
    Class(DataId, usize),
    ClassSet(DataId),
    Func(&'a ast::FnDef),
    Constraint(CmpOp, Expr, Vec<Expr>),
    Dc(Expr, Expr),
}

impl Value<'_> {
    fn describe(&self) -> &'static str {
        match self {
            Value::Expr(e) if e.shape.is_scalar() && e.number().is_some() => "a number",
            Value::Expr(_) => "an expression",
            Value::Network(_) => "a network",
            Value::Data(_) => "a dataset",
            Value::Class(..) => "a class",
            Value::ClassSet(_) => "a set of classes",
            Value::Func(_) => "a function",
            Value::Constraint(..) => "a constraint",
            Value::Dc(..) => "a DC split",
        }
    }
}

/// Local bindings: function parameters and loop variables.
#[derive(Clone, Debug, Default)]
pub(super) struct Env<'a> {
    /// By name, so that a function of many parameters binds and looks them up in linear time.
    bindings: std::collections::HashMap<String, Value<'a>>,
    in_activation: bool,
}

impl<'a> Env<'a> {
    /// Binds `name` (a later binding of the same name replaces the earlier one).
    pub(super) fn bind(&mut self, name: &str, v: Value<'a>) {
        self.bindings.insert(name.to_string(), v);
    }
    fn get(&self, name: &str) -> Option<&Value<'a>> {
        self.bindings.get(name)
    }
}

fn number(value: f64, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Number { value, name: None },
        shape: Shape::scalar(),
        span,
    }
}

const MAX_CALL_DEPTH: usize = 32;

impl<'a> Checker<'a> {
    /// Reports an error, noting the user-file call it came through when it is inside a
    /// library function.
    pub(super) fn error_in_call(&mut self, mut d: Diagnostic) {
        if let Some((span, name)) = self.call_stack.first().cloned() {
            if d.primary_span().is_some_and(|p| p.src != span.src) {
                d = d.with_label(span, format!("in this call to `{name}`"));
            }
        }
        self.diags.push(d);
    }

    /// A scalar number known at compile time.
    pub(super) fn const_number(&mut self, e: &ast::Expr, what: &str) -> Option<f64> {
        let v = self.eval(e, &Env::default())?;
        match v {
            Value::Expr(x) if x.shape.is_scalar() && x.number().is_some() => x.number(),
            other => {
                let d = Diagnostic::error(
                    "E0306",
                    format!("{what} must be a number known before solving"),
                )
                .with_primary(e.span, format!("this is {}", other.describe()));
                self.error_in_call(d);
                None
            }
        }
    }

    /// An expression value.
    pub(super) fn value_expr(&mut self, e: &ast::Expr, env: &Env<'a>) -> Option<Expr> {
        let v = self.eval(e, env)?;
        self.expect_expr(v, e.span)
    }

    fn expect_expr(&mut self, v: Value<'a>, span: Span) -> Option<Expr> {
        match v {
            Value::Expr(x) => Some(x),
            Value::Constraint(..) => {
                let d = Diagnostic::error("E0307", "a constraint is not a value")
                    .with_primary(span, "this is a constraint")
                    .with_help("constraints go in `constraint NAME: ...` items");
                self.error_in_call(d);
                None
            }
            other => {
                let mut d = Diagnostic::error(
                    "E0307",
                    format!("expected an expression, found {}", other.describe()),
                )
                .with_primary(span, format!("this is {}", other.describe()));
                d = match other {
                    Value::Network(_) => d.with_help("apply the network to data: `net(train.x)`"),
                    Value::Data(_) => {
                        d.with_help("use `.x` for the features or `.y` for the targets")
                    }
                    Value::Func(_) => d.with_help("call the function with its arguments"),
                    _ => d,
                };
                self.error_in_call(d);
                None
            }
        }
    }

    /// The dataset of a `classes(data)` set.
    pub(super) fn class_set(&mut self, e: &ast::Expr) -> Option<DataId> {
        match self.eval(e, &Env::default())? {
            Value::ClassSet(d) => Some(d),
            other => {
                let d = Diagnostic::error(
                    "E0307",
                    format!("`for` ranges over classes, found {}", other.describe()),
                )
                .with_primary(e.span, "not a set of classes")
                .with_help("write `for c in classes(train)`");
                self.error_in_call(d);
                None
            }
        }
    }

    /// Checks one constraint body and records it.
    pub(super) fn constraint_body(
        &mut self,
        span: Span,
        name: String,
        body: &ast::Body,
        env: &Env<'a>,
    ) {
        let (op, lhs, rhs) = match body {
            ast::Body::Compare(c) => match self.comparison(c, env) {
                Some(x) => x,
                None => return,
            },
            ast::Body::Expr(e) => match self.eval(e, env) {
                Some(Value::Constraint(op, lhs, rhs)) => (op, lhs, rhs),
                Some(other) => {
                    let d = Diagnostic::error(
                        "E0308",
                        format!(
                            "a constraint must be a comparison, found {}",
                            other.describe()
                        ),
                    )
                    .with_primary(e.span, "not a comparison")
                    .with_help(
                        "write `lhs <= rhs`, `lhs >= rhs`, `lhs == rhs` or `lhs in [lo, hi]`",
                    );
                    self.error(d);
                    return;
                }
                None => return,
            },
        };
        self.model.constraints.push(model::Constraint {
            name,
            op,
            lhs,
            rhs,
            span,
        });
    }

    fn comparison(
        &mut self,
        c: &ast::Comparison,
        env: &Env<'a>,
    ) -> Option<(CmpOp, Expr, Vec<Expr>)> {
        let lhs = self.value_expr(&c.lhs, env);
        let rhs: Vec<Option<Expr>> = c.rhs.iter().map(|r| self.value_expr(r, env)).collect();
        let lhs = lhs?;
        let rhs: Vec<Expr> = rhs.into_iter().collect::<Option<_>>()?;
        for (r, ast_r) in rhs.iter().zip(&c.rhs) {
            if !(r.shape == lhs.shape || r.shape.is_scalar() || lhs.shape.is_scalar()) {
                let d = Diagnostic::error(
                    "E0302",
                    format!("cannot compare shapes {} and {}", lhs.shape, r.shape),
                )
                .with_primary(ast_r.span, format!("shape {}", r.shape))
                .with_label(c.lhs.span, format!("shape {}", lhs.shape))
                .with_help("both sides need the same shape, or one side a scalar");
                self.error_in_call(d);
                return None;
            }
        }
        Some((c.op, lhs, rhs))
    }

    /// Evaluates an expression. Errors are recorded; `None` means one was.
    pub(super) fn eval(&mut self, e: &ast::Expr, env: &Env<'a>) -> Option<Value<'a>> {
        match &e.kind {
            ast::ExprKind::Number(x) if !x.is_finite() => {
                let d = Diagnostic::error(
                    "E0321",
                    format!(
                        "the number `{}` is too large for a 64-bit float",
                        self.sources.slice(e.span)
                    ),
                )
                .with_primary(e.span, "not a finite number")
                .with_note(format!("the largest finite number is about {:e}", f64::MAX))
                .with_help("rescale the model so that its numbers are finite");
                self.error_in_call(d);
                None
            }
            ast::ExprKind::Number(x) => Some(Value::Expr(number(*x, e.span))),
            ast::ExprKind::Str(_) => {
                let d = Diagnostic::error("E0307", "a string is not allowed here")
                    .with_primary(e.span, "strings name files and columns only");
                self.error_in_call(d);
                None
            }
            ast::ExprKind::Name(n) => self.name(n, e.span, env),
            ast::ExprKind::List(items) => self.matrix_literal(items, e.span),
            ast::ExprKind::Neg(inner) => {
                let x = self.value_expr(inner, env)?;
                Some(Value::Expr(match x.number() {
                    Some(v) => number(-v, e.span),
                    None => Expr {
                        shape: x.shape.clone(),
                        kind: ExprKind::Neg(Box::new(x)),
                        span: e.span,
                    },
                }))
            }
            ast::ExprKind::Binary(op, a, b) => {
                let x = self.value_expr(a, env);
                let y = self.value_expr(b, env);
                self.binary(*op, x?, y?, e.span).map(Value::Expr)
            }
            ast::ExprKind::Chain(first, rest) => self.chain(first, rest, env).map(Value::Expr),
            ast::ExprKind::Call(f, args) => self.call(f, args, e.span, env),
            ast::ExprKind::Field(base, field) => self.field(base, field, env),
            ast::ExprKind::Index(base, idx) => self.index(base, idx, e.span, env),
        }
    }

    fn name(&mut self, n: &str, span: Span, env: &Env<'a>) -> Option<Value<'a>> {
        if let Some(v) = env.get(n) {
            // A bound value keeps its own spans (an argument points at what the user passed).
            return Some(v.clone());
        }
        if let Some((def, _)) = self.names.get(n) {
            return Some(match def {
                Def::Failed => return None,
                Def::Const(i) => {
                    let c = &self.model.constants[*i];
                    Value::Expr(Expr {
                        kind: ExprKind::Number {
                            value: c.value,
                            name: Some(c.name.clone()),
                        },
                        shape: Shape::scalar(),
                        span,
                    })
                }
                Def::Data(d) => Value::Data(*d),
                Def::Network(net) => Value::Network(*net),
                Def::Var(v) => Value::Expr(Expr {
                    kind: ExprKind::Var(*v),
                    shape: self.model.vars[v.0].shape.clone(),
                    span,
                }),
                Def::Fn(f) => Value::Func(f),
            });
        }
        if Atom::from_name(n).is_some() || BUILTINS.contains(&n) {
            let d = Diagnostic::error("E0309", format!("`{n}` is a built-in function"))
                .with_primary(span, "call it with arguments")
                .with_help(format!("write `{n}(...)`"));
            self.error_in_call(d);
            return None;
        }
        self.unknown_name(n, span, env);
        None
    }

    fn unknown_name(&mut self, n: &str, span: Span, env: &Env<'a>) {
        let mut candidates: Vec<&str> = self.names.keys().map(String::as_str).collect();
        candidates.extend(env.bindings.keys().map(String::as_str));
        candidates.extend(Atom::ALL.iter().map(|(n, _)| *n));
        candidates.extend(BUILTINS);
        candidates.sort_unstable();
        let mut d = Diagnostic::error("E0205", format!("unknown name `{n}`"))
            .with_primary(span, "not defined");
        if let Some(s) = suggest(n, candidates.iter().copied()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else if let Some(module) = super::MODULES
            .iter()
            .find(|(_, src)| src.contains(&format!("fn {n}(")))
            .map(|(m, _)| *m)
        {
            d = d.with_help(format!(
                "`{n}` is in the library: add `use {module}.{{{n}}}`"
            ));
        }
        self.error_in_call(d);
    }

    /// `[1, 2, 3]` (a vector) or `[[1, 2], [3, 4]]` (a matrix, row by row) of numbers.
    fn matrix_literal(&mut self, items: &[ast::Expr], span: Span) -> Option<Value<'a>> {
        let bad = |c: &mut Self, at: Span, why: &str| {
            let d = Diagnostic::error(
                "E0310",
                "a list in an expression must be a vector or matrix of numbers",
            )
            .with_primary(at, why.to_string());
            c.error_in_call(d);
            None
        };
        if items.is_empty() {
            return bad(self, span, "empty list");
        }
        let mut rows: Vec<Vec<f64>> = Vec::new();
        let nested = matches!(items[0].kind, ast::ExprKind::List(_));
        for it in items {
            match (&it.kind, nested) {
                (ast::ExprKind::List(row), true) => {
                    let mut r = Vec::new();
                    for x in row {
                        r.push(self.const_number(x, "a matrix entry")?);
                    }
                    if rows.first().is_some_and(|f| f.len() != r.len()) {
                        return bad(self, it.span, "rows of different lengths");
                    }
                    rows.push(r);
                }
                (_, false) => rows.push(vec![self.const_number(it, "a vector entry")?]),
                _ => return bad(self, it.span, "mixes numbers and rows"),
            }
        }
        let (n, m) = (rows.len(), rows[0].len());
        let flat: Vec<f64> = rows.into_iter().flatten().collect();
        let shape = if nested {
            Shape(vec![n, m])
        } else {
            Shape(vec![n])
        };
        Some(Value::Expr(Expr {
            kind: ExprKind::Matrix(nalgebra::DMatrix::from_row_slice(n, m, &flat)),
            shape,
            span,
        }))
    }

    pub(super) fn binary(&mut self, op: BinOp, x: Expr, y: Expr, span: Span) -> Option<Expr> {
        if let (Some(a), Some(_)) = (x.number(), y.number()) {
            return self.fold(op, a, &y, span);
        }
        let left = Operand {
            shape: &x.shape,
            span: x.span,
            constant: x.is_constant(),
        };
        let shape = self.binary_shape(op, left, &y, span)?;
        Some(Expr {
            kind: ExprKind::Binary(op, Box::new(x), Box::new(y)),
            shape,
            span,
        })
    }

    /// `a op b` of two numbers.
    fn fold(&mut self, op: BinOp, a: f64, y: &Expr, span: Span) -> Option<Expr> {
        let b = y.number()?;
        let v = match op {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div if b == 0.0 => return self.div_zero(y),
            BinOp::Div => a / b,
            BinOp::Pow => a.powf(b),
            BinOp::MatMul => a * b,
        };
        if !v.is_finite() {
            let d = Diagnostic::error(
                "E0321",
                format!(
                    "`{}` is {}, not a finite number",
                    self.sources
                        .slice(span)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" "),
                    crate::syntax::print::format_number(v)
                ),
            )
            .with_primary(span, "not a finite number")
            .with_note(format!(
                "{} {} {} has no finite value",
                crate::syntax::print::format_number(a),
                op.symbol(),
                crate::syntax::print::format_number(b)
            ))
            .with_help("rescale the model so that its numbers and their products are finite");
            self.error_in_call(d);
            return None;
        }
        Some(number(v, span))
    }

    /// A chain `a op b op c …` (left-associative), checked and built in one loop: numbers
    /// are folded while the chain starts with them, and each step is checked as `binary` would
    /// check it. One operation gives a `Binary` node, more a `Chain`.
    fn chain(
        &mut self,
        first: &ast::Expr,
        rest: &[(BinOp, ast::Expr)],
        env: &Env<'a>,
    ) -> Option<Expr> {
        let mut head = self.value_expr(first, env);
        let mut steps: Vec<ChainStep> = Vec::new();
        let (mut shape, mut constant) = match &head {
            Some(h) => (h.shape.clone(), h.is_constant()),
            None => (Shape::scalar(), true),
        };
        let mut span = first.span;
        let mut ok = head.is_some();
        for (op, y_ast) in rest {
            // Every operand is checked, so that each of its errors is reported.
            let y = self.value_expr(y_ast, env);
            span = span.to(y_ast.span);
            let (Some(h), Some(y)) = (head.as_mut().filter(|_| ok), y) else {
                ok = false;
                continue;
            };
            if let (true, Some(a)) = (steps.is_empty(), h.number()) {
                match self.fold(*op, a, &y, span) {
                    Some(v) => {
                        *h = v;
                        continue;
                    }
                    None if y.number().is_some() => {
                        ok = false;
                        continue;
                    }
                    None => {}
                }
            }
            let (h_span, h_shape) = (h.span, h.shape.clone());
            let left = match steps.last() {
                Some(s) => Operand {
                    shape: &s.shape,
                    span: s.span,
                    constant,
                },
                None => Operand {
                    shape: &h_shape,
                    span: h_span,
                    constant,
                },
            };
            let Some(s) = self.binary_shape(*op, left, &y, span) else {
                ok = false;
                continue;
            };
            shape = s;
            constant = constant && y.is_constant();
            steps.push(ChainStep {
                op: *op,
                rhs: y,
                shape: shape.clone(),
                span,
            });
        }
        let head = head.filter(|_| ok)?;
        Some(match steps.len() {
            0 => Expr { span, ..head },
            1 => {
                let s = steps.pop().expect("one step");
                Expr {
                    kind: ExprKind::Binary(s.op, Box::new(head), Box::new(s.rhs)),
                    shape,
                    span,
                }
            }
            _ => Expr {
                kind: ExprKind::Chain(Box::new(head), steps),
                shape,
                span,
            },
        })
    }

    /// The shape of `x op y`; records a diagnostic and gives `None` when they do not fit.
    fn binary_shape(&mut self, op: BinOp, x: Operand<'_>, y: &Expr, span: Span) -> Option<Shape> {
        let mismatch = |c: &mut Self, help: &str| {
            let d = Diagnostic::error(
                "E0302",
                format!("shape mismatch: {} {} {}", x.shape, op.symbol(), y.shape),
            )
            .with_primary(y.span, format!("shape {}", y.shape))
            .with_label(x.span, format!("shape {}", x.shape))
            .with_help(help.to_string());
            c.error_in_call(d);
            None
        };
        Some(match op {
            BinOp::Add | BinOp::Sub => {
                if *x.shape == y.shape || y.shape.is_scalar() {
                    x.shape.clone()
                } else if x.shape.is_scalar() {
                    y.shape.clone()
                } else {
                    return mismatch(self, "both sides need the same shape, or one side a scalar");
                }
            }
            BinOp::Mul => {
                self.product_of_variables(x.constant, x.span, y, span)?;
                if *x.shape == y.shape || y.shape.is_scalar() {
                    x.shape.clone()
                } else if x.shape.is_scalar() {
                    y.shape.clone()
                } else {
                    return mismatch(self, "`*` multiplies by a scalar or entry by entry; use `@` for a matrix product");
                }
            }
            BinOp::Div => {
                if !y.is_constant() || !y.shape.is_scalar() {
                    let d = Diagnostic::error(
                        "E0502",
                        "division by an expression that is not a constant scalar",
                    )
                    .with_primary(
                        y.span,
                        format!(
                            "{} of shape {}",
                            if y.is_constant() {
                                "data"
                            } else {
                                "a decision expression"
                            },
                            y.shape
                        ),
                    )
                    .with_help("divide only by numbers and named constants");
                    self.error_in_call(d);
                    return None;
                }
                if y.number() == Some(0.0) {
                    return self.div_zero(y).map(|e| e.shape);
                }
                x.shape.clone()
            }
            BinOp::Pow => {
                if y.number().is_none() {
                    let d = Diagnostic::error("E0503", "an exponent must be a number")
                        .with_primary(y.span, "not a number known before solving");
                    self.error_in_call(d);
                    return None;
                }
                x.shape.clone()
            }
            BinOp::MatMul => {
                self.product_of_variables(x.constant, x.span, y, span)?;
                match (x.shape.0.as_slice(), y.shape.0.as_slice()) {
                    ([a, b], [c, d]) if b == c => Shape(vec![*a, *d]),
                    ([a, b], [c]) if b == c => Shape(vec![*a]),
                    ([b], [c, d]) if b == c => Shape(vec![*d]),
                    ([b], [c]) if b == c => Shape::scalar(),
                    _ => return mismatch(self, "inner dimensions of a matrix product must agree"),
                }
            }
        })
    }

    fn div_zero(&mut self, y: &Expr) -> Option<Expr> {
        let d = Diagnostic::error("E0502", "division by zero").with_primary(y.span, "this is zero");
        self.error_in_call(d);
        None
    }

    /// A product of two non-constant expressions is not convex: only the training methods may
    /// introduce such products (through networks).
    fn product_of_variables(
        &mut self,
        x_constant: bool,
        x_span: Span,
        y: &Expr,
        span: Span,
    ) -> Option<()> {
        if x_constant || y.is_constant() {
            return Some(());
        }
        let text = self.sources.slice(span).to_string();
        let d = Diagnostic::error("E0501", format!("product of two decision expressions `{text}`: not convex"))
            .with_primary(span, "both factors depend on decision variables")
            .with_label(x_span, "decision expression")
            .with_label(y.span, "decision expression")
            .with_help("the training methods rewrite the products inside networks; outside a network, multiply by data or constants only (see `method`)");
        self.error_in_call(d);
        None
    }

    fn field(&mut self, base: &ast::Expr, field: &ast::Ident, env: &Env<'a>) -> Option<Value<'a>> {
        let span = base.span.to(field.span);
        match self.eval(base, env)? {
            Value::Data(d) => {
                let ds = &self.model.datasets[d.0];
                match field.name.as_str() {
                    "x" => Some(Value::Expr(Expr {
                        kind: ExprKind::Data(d, DataPart::X),
                        shape: Shape(vec![ds.n(), ds.d()]),
                        span,
                    })),
                    "y" if ds.target_kind.is_some() => Some(Value::Expr(Expr {
                        kind: ExprKind::Data(d, DataPart::Y),
                        shape: ds.y_shape(),
                        span,
                    })),
                    "y" => {
                        let d = Diagnostic::error("E0311", format!("data `{}` has no target", ds.name))
                            .with_primary(field.span, "no target declared")
                            .with_label(ds.span, "declared here")
                            .with_help("add `target = COLUMN` (regression) or `label = COLUMN` (classes) to the declaration");
                        self.error_in_call(d);
                        None
                    }
                    "w" if ds.w.is_some() => Some(Value::Expr(Expr {
                        kind: ExprKind::Data(d, DataPart::W),
                        shape: ds.y_shape(),
                        span,
                    })),
                    "w" => {
                        let d = Diagnostic::error(
                            "E1012",
                            format!("data `{}` has no sample weights", ds.name),
                        )
                        .with_primary(field.span, "no weights declared")
                        .with_label(ds.span, "declared here")
                        .with_help(if ds.classes.is_empty() {
                            "sample weights come from classes: declare them with `label = COLUMN` and add `weights = balanced`"
                        } else {
                            "add `weights = balanced` to the declaration (each class weighted by the inverse of its size)"
                        });
                        self.error_in_call(d);
                        None
                    }
                    other => {
                        let mut d = Diagnostic::error(
                            "E0311",
                            format!("data `{}` has no field `{other}`", ds.name),
                        )
                        .with_primary(field.span, "unknown field")
                        .with_note("data have `.x` (features), `.y` (targets) and, with `weights = balanced`, `.w` (sample weights)");
                        let fields: &[&str] = if ds.w.is_some() {
                            &["x", "y", "w"]
                        } else {
                            &["x", "y"]
                        };
                        if let Some(s) = suggest(other, fields.iter().copied()) {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        }
                        self.error_in_call(d);
                        None
                    }
                }
            }
            Value::Network(n) => {
                let net = &self.model.networks[n.0];
                let params: Vec<(String, model::VarId)> = net
                    .layers
                    .iter()
                    .flat_map(|l| [Some(&l.weight), l.bias_param.as_ref()])
                    .flatten()
                    .filter_map(|p| match p {
                        model::LayerParam::Var(v) => Some(*v),
                        model::LayerParam::Fixed(_) => None,
                    })
                    .map(|v| {
                        let full = &self.model.vars[v.0].name;
                        (full.rsplit('.').next().unwrap_or(full).to_string(), v)
                    })
                    .collect();
                if let Some((_, v)) = params.iter().find(|(p, _)| *p == field.name) {
                    return Some(Value::Expr(Expr {
                        kind: ExprKind::Var(*v),
                        shape: self.model.vars[v.0].shape.clone(),
                        span,
                    }));
                }
                let name = net.name.clone();
                let mut d = Diagnostic::error(
                    "E0311",
                    format!("network `{name}` has no parameter `{}`", field.name),
                )
                .with_primary(field.span, "unknown parameter");
                if params.is_empty() {
                    d = d.with_note(format!("`{name}` has fixed weights"));
                } else {
                    let names: Vec<&str> = params.iter().map(|(p, _)| p.as_str()).collect();
                    if let Some(s) = suggest(&field.name, names.iter().copied()) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    d = d.with_note(format!("parameters of `{name}`: {}", names.join(", ")));
                }
                self.error_in_call(d);
                None
            }
            other => {
                let d = Diagnostic::error("E0311", format!("{} has no fields", other.describe()))
                    .with_primary(field.span, "no such field");
                self.error_in_call(d);
                None
            }
        }
    }

    fn index(
        &mut self,
        base: &ast::Expr,
        idx: &[ast::Expr],
        span: Span,
        env: &Env<'a>,
    ) -> Option<Value<'a>> {
        let x = self.value_expr(base, env)?;
        if let [one] = idx {
            if let Some(Value::Class(d, k)) = match &one.kind {
                ast::ExprKind::Name(n) => env.get(n).cloned(),
                _ => None,
            } {
                let ds = &self.model.datasets[d.0];
                if x.shape.is_scalar() || x.shape.rows() != ds.n() {
                    let d = Diagnostic::error(
                        "E0302",
                        format!("selecting the samples of a class of `{}` needs one row per sample ({} rows), found shape {}", ds.name, ds.n(), x.shape),
                    )
                    .with_primary(base.span, format!("shape {}", x.shape));
                    self.error_in_call(d);
                    return None;
                }
                let rows = ds.classes[k].rows.len();
                let mut shape = x.shape.clone();
                shape.0[0] = rows;
                return Some(Value::Expr(Expr {
                    kind: ExprKind::ClassRows(Box::new(x), d, k),
                    shape,
                    span,
                }));
            }
        }
        if idx.len() != x.shape.0.len() {
            let d = Diagnostic::error(
                "E0302",
                format!("{} indices for an expression of shape {}", idx.len(), x.shape),
            )
            .with_primary(span, format!("shape {}", x.shape))
            .with_help("index a vector with `[i]`, a matrix with `[i, j]` (from 0), or the samples of a class with `[c]`");
            self.error_in_call(d);
            return None;
        }
        let mut at = Vec::new();
        for (i, (e, &dim)) in idx.iter().zip(&x.shape.0).enumerate() {
            let v = self.const_number(e, "an index")?;
            if v < 0.0 || v.fract() != 0.0 || v >= dim as f64 {
                let d =
                    Diagnostic::error("E0312", format!("index {} out of range", format_number(v)))
                        .with_primary(
                            e.span,
                            format!("dimension {} has {dim} entries, indexed from 0", i + 1),
                        );
                self.error_in_call(d);
                return None;
            }
            at.push(v as usize);
        }
        Some(Value::Expr(Expr {
            kind: ExprKind::Entry(Box::new(x), at),
            shape: Shape::scalar(),
            span,
        }))
    }

    fn call(
        &mut self,
        f: &ast::Expr,
        args: &[ast::Arg],
        span: Span,
        env: &Env<'a>,
    ) -> Option<Value<'a>> {
        let ast::ExprKind::Name(name) = &f.kind else {
            let d = Diagnostic::error("E0309", "only named functions can be called")
                .with_primary(f.span, "not a function name");
            self.error_in_call(d);
            return None;
        };
        if env.get(name).is_none() && matches!(self.names.get(name), Some((Def::Failed, _))) {
            return None;
        }
        let bound = env.get(name).cloned().or_else(|| {
            self.names.get(name).map(|(def, _)| match def {
                Def::Fn(f) => Value::Func(f),
                Def::Network(n) => Value::Network(*n),
                _ => Value::Expr(number(0.0, span)),
            })
        });
        match bound {
            Some(Value::Func(def)) => return self.inline(def, f.span, args, span, env),
            Some(Value::Network(n)) => return self.apply_network(n, f.span, args, span, env),
            Some(other) if self.names.contains_key(name) || env.get(name).is_some() => {
                let d = Diagnostic::error("E0309", format!("`{name}` is not a function"))
                    .with_primary(f.span, format!("this is {}", other.describe()));
                self.error_in_call(d);
                return None;
            }
            _ => {}
        }
        if let Some(atom) = Atom::from_name(name) {
            return self.atom(atom, f.span, args, span, env).map(Value::Expr);
        }
        match name.as_str() {
            "weights" | "classes" | "count" => {
                let [arg] = self.arity(name, f.span, args, 1)?;
                self.no_named(args)?;
                let v = self.eval(&arg.value, env)?;
                self.builtin(name, v, &arg.value, span)
            }
            "dc" => {
                let [p, q] = self.arity(name, f.span, args, 2)?;
                self.no_named(args)?;
                if !env.in_activation {
                    let d = Diagnostic::error("E0309", "`dc(p, q)` defines activations only")
                        .with_primary(f.span, "outside an `activation` definition");
                    self.error_in_call(d);
                    return None;
                }
                let p = self.value_expr(&p.value, env)?;
                let q = self.value_expr(&q.value, env)?;
                for (x, which) in [(&p, "p"), (&q, "q")] {
                    if !x.shape.is_scalar() {
                        let d = Diagnostic::error(
                            "E0302",
                            format!("`{which}` of an activation must be a scalar function of `z`"),
                        )
                        .with_primary(x.span, format!("shape {}", x.shape));
                        self.error_in_call(d);
                        return None;
                    }
                }
                Some(Value::Dc(p, q))
            }
            _ => {
                self.unknown_name(name, f.span, env);
                None
            }
        }
    }

    fn arity<'b, const N: usize>(
        &mut self,
        name: &str,
        at: Span,
        args: &'b [ast::Arg],
        n: usize,
    ) -> Option<&'b [ast::Arg; N]> {
        match <&[ast::Arg; N]>::try_from(args) {
            Ok(a) => Some(a),
            Err(_) => {
                self.wrong_count(name, at, n, args.len());
                None
            }
        }
    }

    /// `name` takes `n` arguments but `given` were written.
    fn wrong_count(&mut self, name: &str, at: Span, n: usize, given: usize) {
        let plural = if n == 1 { "" } else { "s" };
        let d = Diagnostic::error(
            "E0313",
            format!("`{name}` takes {n} argument{plural}, {given} given"),
        )
        .with_primary(at, format!("expects {n}"));
        self.error_in_call(d);
    }

    fn no_named(&mut self, args: &[ast::Arg]) -> Option<()> {
        if let Some(n) = args.iter().find_map(|a| a.name.as_ref()) {
            let d = Diagnostic::error("E0313", format!("unexpected named argument `{}`", n.name))
                .with_primary(n.span, "built-in functions take positional arguments");
            self.error_in_call(d);
            return None;
        }
        Some(())
    }

    fn builtin(
        &mut self,
        name: &str,
        v: Value<'a>,
        arg: &ast::Expr,
        span: Span,
    ) -> Option<Value<'a>> {
        match (name, v) {
            ("weights", Value::Network(n)) => {
                let net = &self.model.networks[n.0];
                let total: usize = net
                    .layers
                    .iter()
                    .filter_map(|l| match &l.weight {
                        model::LayerParam::Var(v) => Some(self.model.vars[v.0].shape.len()),
                        model::LayerParam::Fixed(_) => None,
                    })
                    .sum();
                if total == 0 {
                    let d = Diagnostic::error(
                        "E0314",
                        format!("network `{}` has no trainable weights", net.name),
                    )
                    .with_primary(arg.span, "weights are fixed")
                    .with_label(net.span, "loaded here");
                    self.error_in_call(d);
                    return None;
                }
                Some(Value::Expr(Expr {
                    kind: ExprKind::Weights(n),
                    shape: Shape(vec![total]),
                    span,
                }))
            }
            ("classes", Value::Data(d)) => {
                let ds = &self.model.datasets[d.0];
                if ds
                    .target_kind
                    .as_ref()
                    .is_some_and(|k| matches!(k, model::TargetKind::Classes))
                {
                    Some(Value::ClassSet(d))
                } else {
                    let what = if ds.target_kind.is_some() {
                        "a regression target"
                    } else {
                        "no target"
                    };
                    let d = Diagnostic::error("E0315", format!("`{}` has {what}: it has no classes", ds.name))
                        .with_primary(arg.span, "not labelled data")
                        .with_label(ds.span, "declared here")
                        .with_help("per-class constraints need class labels: declare the column with `label = COLUMN` instead of `target = COLUMN`");
                    self.error_in_call(d);
                    None
                }
            }
            ("count", Value::Expr(e)) => Some(Value::Expr(number(e.shape.rows() as f64, span))),
            ("count", Value::Data(d)) => Some(Value::Expr(number(
                self.model.datasets[d.0].n() as f64,
                span,
            ))),
            (_, other) => {
                let want = match name {
                    "weights" => "a network",
                    "classes" => "a dataset",
                    _ => "an expression or a dataset",
                };
                let d = Diagnostic::error(
                    "E0313",
                    format!("`{name}` takes {want}, found {}", other.describe()),
                )
                .with_primary(arg.span, format!("this is {}", other.describe()));
                self.error_in_call(d);
                None
            }
        }
    }

    fn atom(
        &mut self,
        atom: Atom,
        at: Span,
        args: &[ast::Arg],
        span: Span,
        env: &Env<'a>,
    ) -> Option<Expr> {
        let name = atom.name();
        if args.len() != atom.arity() {
            self.wrong_count(name, at, atom.arity(), args.len());
            return None;
        }
        self.no_named(args)?;
        let mut xs = Vec::new();
        for a in args {
            xs.push(self.value_expr(&a.value, env));
        }
        let xs: Vec<Expr> = xs.into_iter().collect::<Option<_>>()?;
        let shape = match atom {
            Atom::Maximum => {
                let (a, b) = (&xs[0], &xs[1]);
                if a.shape == b.shape || b.shape.is_scalar() {
                    a.shape.clone()
                } else if a.shape.is_scalar() {
                    b.shape.clone()
                } else {
                    let d = Diagnostic::error(
                        "E0302",
                        format!("shape mismatch in `maximum`: {} and {}", a.shape, b.shape),
                    )
                    .with_primary(b.span, format!("shape {}", b.shape))
                    .with_label(a.span, format!("shape {}", a.shape));
                    self.error_in_call(d);
                    return None;
                }
            }
            Atom::QuadOverLin => {
                if !xs[1].shape.is_scalar() {
                    let d = Diagnostic::error(
                        "E0302",
                        "the denominator of `quad_over_lin` must be a scalar",
                    )
                    .with_primary(xs[1].span, format!("shape {}", xs[1].shape));
                    self.error_in_call(d);
                    return None;
                }
                Shape::scalar()
            }
            Atom::Transpose => match xs[0].shape.0.as_slice() {
                [n, m] => Shape(vec![*m, *n]),
                [n] => Shape(vec![1, *n]),
                _ => Shape::scalar(),
            },
            a if a.elementwise() => xs[0].shape.clone(),
            _ => Shape::scalar(),
        };
        Some(Expr {
            kind: ExprKind::Atom(atom, xs),
            shape,
            span,
        })
    }

    fn inline(
        &mut self,
        def: &'a ast::FnDef,
        at: Span,
        args: &[ast::Arg],
        span: Span,
        env: &Env<'a>,
    ) -> Option<Value<'a>> {
        let name = &def.name.name;
        if self.call_stack.len() >= MAX_CALL_DEPTH {
            let d = if self.call_stack.iter().any(|(_, n)| n == name) {
                Diagnostic::error("E0316", format!("`{name}` calls itself (directly or not)"))
                    .with_primary(at, "recursion is not allowed")
                    .with_help(
                        "functions are expanded where they are called, so they cannot recurse",
                    )
            } else {
                Diagnostic::error(
                    "E0316",
                    format!(
                        "function calls nested {} deep; the limit is {MAX_CALL_DEPTH}",
                        self.call_stack.len() + 1
                    ),
                )
                .with_primary(at, format!("call {} of the chain", MAX_CALL_DEPTH + 1))
                .with_help("functions are expanded where they are called: write fewer levels of functions calling functions")
            };
            self.diags.push(d);
            return None;
        }
        // Bind positional arguments in order, named ones by parameter name.
        let mut bound: Vec<Option<Value<'a>>> = vec![None; def.params.len()];
        let mut ok = true;
        let mut next = 0;
        // Parameter positions by name, when arguments are named (linear for long lists).
        let by_name: std::collections::HashMap<&str, usize> =
            if args.iter().any(|a| a.name.is_some()) {
                let mut m = std::collections::HashMap::new();
                for (i, p) in def.params.iter().enumerate() {
                    m.entry(p.name.as_str()).or_insert(i);
                }
                m
            } else {
                std::collections::HashMap::new()
            };
        for a in args {
            let slot = match &a.name {
                None => {
                    let s = next;
                    next += 1;
                    s
                }
                Some(n) => match by_name.get(n.name.as_str()).copied() {
                    Some(i) => i,
                    None => {
                        let mut d = Diagnostic::error(
                            "E0313",
                            format!("`{name}` has no parameter `{}`", n.name),
                        )
                        .with_primary(n.span, "unknown parameter");
                        if let Some(s) =
                            suggest(&n.name, def.params.iter().map(|p| p.name.as_str()))
                        {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        }
                        self.error_in_call(d);
                        ok = false;
                        continue;
                    }
                },
            };
            if slot >= def.params.len() {
                let d = Diagnostic::error(
                    "E0313",
                    format!(
                        "`{name}` takes {} argument{}, {} given",
                        def.params.len(),
                        if def.params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .with_primary(a.span, "extra argument")
                .with_label(def.name.span, "defined here");
                self.error_in_call(d);
                return None;
            }
            let v = self.eval(&a.value, env);
            ok &= v.is_some();
            bound[slot] = v;
        }
        if !ok {
            return None;
        }
        if let Some(i) = bound.iter().position(Option::is_none) {
            let d = Diagnostic::error(
                "E0313",
                format!("missing argument `{}` of `{name}`", def.params[i].name),
            )
            .with_primary(
                at,
                format!(
                    "`{name}` takes {}",
                    def.params
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_label(def.name.span, "defined here");
            self.error_in_call(d);
            return None;
        }
        let mut inner = Env::default();
        for (p, v) in def.params.iter().zip(bound) {
            inner.bind(&p.name, v.expect("checked above"));
        }
        self.call_stack.push((span, name.clone()));
        let result = match &def.body {
            ast::Body::Expr(e) => self.eval(e, &inner).map(|v| relocate(v, span)),
            ast::Body::Compare(c) => self
                .comparison(c, &inner)
                .map(|(op, l, r)| relocate(Value::Constraint(op, l, r), span)),
        };
        self.call_stack.pop();
        result
    }

    fn apply_network(
        &mut self,
        n: NetId,
        at: Span,
        args: &[ast::Arg],
        span: Span,
        env: &Env<'a>,
    ) -> Option<Value<'a>> {
        let net_name = self.model.networks[n.0].name.clone();
        let [arg] = self.arity(&net_name, at, args, 1)?;
        self.no_named(args)?;
        let x = self.value_expr(&arg.value, env)?;
        let net = &self.model.networks[n.0];
        if !x.is_constant() && net.loaded_from.is_none() {
            let d = Diagnostic::error("E0317", format!("the input of `{net_name}` must be data"))
                .with_primary(arg.value.span, "depends on decision variables")
                .with_help("apply networks being trained to data such as `train.x`; only a loaded network (fixed weights) takes variables, for queries");
            self.error_in_call(d);
            return None;
        }
        let cols = match x.shape.0.as_slice() {
            [_, d] => *d,
            [_] if net.inputs == 1 => 1,
            _ => usize::MAX,
        };
        if cols != net.inputs {
            let d = Diagnostic::error(
                "E0302",
                format!(
                    "`{net_name}` takes {} input feature{}, the argument has shape {}",
                    net.inputs,
                    if net.inputs == 1 { "" } else { "s" },
                    x.shape
                ),
            )
            .with_primary(arg.value.span, format!("shape {}", x.shape))
            .with_label(net.span, format!("inputs: {}", net.inputs))
            .with_help("the input needs one row per sample and one column per feature");
            self.error_in_call(d);
            return None;
        }
        let rows = x.shape.rows();
        let shape = match net.outputs() {
            1 => Shape(vec![rows]),
            k => Shape(vec![rows, k]),
        };
        let constant = x.is_constant() && net.loaded_from.is_some();
        let out = Expr {
            kind: ExprKind::NetOut(n, Box::new(x)),
            shape,
            span,
        };
        if constant {
            // A loaded network applied to numbers is a number (e.g. the class at a sample).
            let zeros = crate::nn::Values::zeros(&self.model);
            match crate::nn::eval::value(&self.model, &out, &zeros) {
                Ok(m) => {
                    return Some(Value::Expr(Expr {
                        kind: ExprKind::Matrix(m),
                        shape: out.shape,
                        span,
                    }))
                }
                Err(e) => {
                    self.error_in_call(e.to_diagnostic().with_primary(span, "evaluated here"));
                    return None;
                }
            }
        }
        Some(Value::Expr(out))
    }

    /// The DC split of an activation definition, with `z` a scalar placeholder.
    pub(super) fn activation_split(&mut self, def: &'a ast::FnDef) -> Option<(Expr, Expr)> {
        let mut env = Env {
            in_activation: true,
            ..Env::default()
        };
        if def.params.len() != 1 {
            let d = Diagnostic::error(
                "E0313",
                format!("activation `{}` must take one argument", def.name.name),
            )
            .with_primary(def.name.span, format!("takes {}", def.params.len()));
            self.error(d);
            return None;
        }
        env.bind(
            &def.params[0].name,
            Value::Expr(Expr {
                kind: ExprKind::Placeholder,
                shape: Shape::scalar(),
                span: def.params[0].span,
            }),
        );
        let body = match &def.body {
            ast::Body::Expr(e) => e,
            ast::Body::Compare(c) => {
                let d = Diagnostic::error("E0318", "an activation is `dc(p, q)`, not a comparison")
                    .with_primary(c.span, "a comparison");
                self.error(d);
                return None;
            }
        };
        match self.eval(body, &env)? {
            Value::Dc(p, q) => Some((p, q)),
            other => {
                let d = Diagnostic::error("E0318", format!("an activation is defined as `dc(p, q)`, found {}", other.describe()))
                    .with_primary(body.span, "not a DC split")
                    .with_help("write h(z) = p(z) − q(z) with p and q convex, e.g. `activation relu(z) = dc(pos(z), 0)`");
                self.error(d);
                None
            }
        }
    }
}

/// A value produced at `span` (an inlined call): every node written in another file (the
/// library's body, not the arguments the user passed) takes the call's span, so that printing,
/// conic rows and later errors point at the user's line.
/// The left operand of a binary operation, as its checks need it.
#[derive(Clone, Copy)]
struct Operand<'s> {
    shape: &'s Shape,
    span: Span,
    constant: bool,
}

fn relocate(v: Value<'_>, span: Span) -> Value<'_> {
    match v {
        Value::Expr(mut e) => {
            relocate_expr(&mut e, span);
            Value::Expr(e)
        }
        Value::Constraint(op, mut l, mut r) => {
            relocate_expr(&mut l, span);
            r.iter_mut().for_each(|e| relocate_expr(e, span));
            Value::Constraint(op, l, r)
        }
        Value::Dc(mut f, mut g) => {
            relocate_expr(&mut f, span);
            relocate_expr(&mut g, span);
            Value::Dc(f, g)
        }
        other => other,
    }
}

fn relocate_expr(e: &mut Expr, span: Span) {
    if e.span.src != span.src {
        e.span = span;
    }
    match &mut e.kind {
        ExprKind::NetOut(_, a)
        | ExprKind::Neg(a)
        | ExprKind::ClassRows(a, ..)
        | ExprKind::Entry(a, _) => relocate_expr(a, span),
        ExprKind::Binary(_, a, b) => {
            relocate_expr(a, span);
            relocate_expr(b, span);
        }
        ExprKind::Chain(a, steps) => {
            relocate_expr(a, span);
            for s in steps {
                if s.span.src != span.src {
                    s.span = span;
                }
                relocate_expr(&mut s.rhs, span);
            }
        }
        ExprKind::Atom(_, args) => args.iter_mut().for_each(|a| relocate_expr(a, span)),
        ExprKind::Number { .. }
        | ExprKind::Matrix(_)
        | ExprKind::Data(..)
        | ExprKind::Var(_)
        | ExprKind::Placeholder
        | ExprKind::Weights(_) => {}
    }
}
