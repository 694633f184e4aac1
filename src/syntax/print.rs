//! The `--emit ast` text form: one line per item (and per layer), expressions fully
//! parenthesized so the parse structure is visible, each line ending with its source line.

use std::fmt::Write as _;

use super::ast::*;
use crate::diag::{SourceMap, Span};

/// Prints a parsed file.
pub fn print_file(sources: &SourceMap, file: &File) -> String {
    let mut out = String::new();
    for item in &file.items {
        let line = item_line(&item.kind);
        push_line(&mut out, sources, &line, item.span);
        if let ItemKind::Network { layers, .. } = &item.kind {
            for l in layers {
                let text = format!("    {}({})", l.kind.name, args(&l.args));
                push_line(&mut out, sources, &text, l.span);
            }
        }
    }
    out
}

fn push_line(out: &mut String, sources: &SourceMap, text: &str, span: Span) {
    let (line, _) = sources.line_col(span);
    let _ = writeln!(out, "{text:<60} # {line}");
}

fn item_line(kind: &ItemKind) -> String {
    match kind {
        ItemKind::Use { module, names } => match names {
            None => format!("use {}", module.name),
            Some(n) => format!(
                "use {}.{{{}}}",
                module.name,
                n.iter()
                    .map(|i| i.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        ItemKind::Const { name, value } => format!("const {} = {}", name.name, expr(value)),
        ItemKind::Data {
            name,
            source,
            args: a,
        } => {
            format!("data {} = {}({})", name.name, source.name, args(a))
        }
        ItemKind::Network {
            name,
            input,
            layers,
        } => {
            format!(
                "network {}({}) [{} layers]",
                name.name,
                input.name,
                layers.len()
            )
        }
        ItemKind::NetworkLoad {
            name,
            source,
            args: a,
        } => {
            format!("network {} = {}({})", name.name, source.name, args(a))
        }
        ItemKind::Var { name, shape, bound } => {
            let mut s = format!("var {}", name.name);
            if !shape.is_empty() {
                let dims: Vec<String> = shape.iter().map(expr).collect();
                let _ = write!(s, "[{}]", dims.join(", "));
            }
            match bound {
                Some(VarBound::Interval(lo, hi)) => {
                    let _ = write!(s, " in [{}, {}]", expr(lo), expr(hi));
                }
                Some(VarBound::Lower(lo)) => {
                    let _ = write!(s, " >= {}", expr(lo));
                }
                Some(VarBound::Upper(hi)) => {
                    let _ = write!(s, " <= {}", expr(hi));
                }
                None => {}
            }
            s
        }
        ItemKind::Fn(def) => format!("fn {}", fn_def(def)),
        ItemKind::Activation(def) => format!("activation {}", fn_def(def)),
        ItemKind::Objective { sense, expr: e } => {
            let kw = match sense {
                Sense::Minimize => "minimize",
                Sense::Maximize => "maximize",
            };
            format!("{kw} {}", expr(e))
        }
        ItemKind::Constraint {
            name,
            each,
            body: b,
        } => {
            let each = each
                .as_ref()
                .map(|f| format!(" for {} in {}", f.var.name, expr(&f.over)))
                .unwrap_or_default();
            format!("constraint {}{each}: {}", name.name, body(b))
        }
        ItemKind::Method { name, args: a } => format!("method {}({})", name.name, args(a)),
        ItemKind::Solver { name, args: a } => format!("solver {}({})", name.name, args(a)),
    }
}

fn fn_def(def: &FnDef) -> String {
    let params: Vec<&str> = def.params.iter().map(|p| p.name.as_str()).collect();
    format!(
        "{}({}) = {}",
        def.name.name,
        params.join(", "),
        body(&def.body)
    )
}

fn body(b: &Body) -> String {
    match b {
        Body::Expr(e) => expr(e),
        Body::Compare(c) => comparison(c),
    }
}

/// A comparison as text.
pub fn comparison(c: &Comparison) -> String {
    match c.op {
        CmpOp::In => format!(
            "{} in [{}, {}]",
            expr(&c.lhs),
            expr(&c.rhs[0]),
            expr(&c.rhs[1])
        ),
        op => format!("{} {} {}", expr(&c.lhs), op.symbol(), expr(&c.rhs[0])),
    }
}

fn args(a: &[Arg]) -> String {
    a.iter()
        .map(|a| match &a.name {
            Some(n) => format!("{} = {}", n.name, expr(&a.value)),
            None => expr(&a.value),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An expression, fully parenthesized.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(x) => format_number(*x),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Name(n) => n.clone(),
        ExprKind::List(items) => {
            format!(
                "[{}]",
                items.iter().map(expr).collect::<Vec<_>>().join(", ")
            )
        }
        ExprKind::Neg(inner) => format!("(-{})", expr(inner)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", expr(a), op.symbol(), expr(b)),
        ExprKind::Chain(first, rest) => {
            // As the nested binary operations it stands for: `((a + b) + c)`.
            let mut out = "(".repeat(rest.len());
            out.push_str(&expr(first));
            for (op, e) in rest {
                out.push_str(&format!(" {} {})", op.symbol(), expr(e)));
            }
            out
        }
        ExprKind::Call(f, a) => format!("{}({})", expr(f), args(a)),
        ExprKind::Index(base, idx) => format!(
            "{}[{}]",
            expr(base),
            idx.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Field(base, f) => format!("{}.{}", expr(base), f.name),
    }
}

/// Numbers in a fixed, round-trippable form: integers plainly, others in the shortest form.
pub fn format_number(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if x.abs() >= 1e-3 && x.abs() < 1e6 {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}
