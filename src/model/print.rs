//! The `--emit model` text form: one line per fact the checker established (constants, data
//! shapes, networks and their variables, objective, constraints, method, solver), each ending
//! with the source line it came from. Deterministic: fixed number formatting, declaration order.

use std::fmt::Write as _;

use super::*;
use crate::diag::SourceMap;
use crate::syntax::ast::BinOp;
use crate::syntax::print::format_number;

/// Prints a model.
pub fn print_model(sources: &SourceMap, m: &Model) -> String {
    let mut out = String::new();
    let mut line = |text: String, span: Option<Span>| {
        let loc = span.map(|s| sources.location(s)).unwrap_or_default();
        if loc.is_empty() {
            let _ = writeln!(out, "{text}");
        } else {
            let _ = writeln!(out, "{text:<72} # {loc}");
        }
    };
    line(format!("model {}", m.file), None);
    for c in &m.constants {
        let over = if c.overridden {
            " (set on the command line)"
        } else {
            ""
        };
        line(
            format!("const {} = {}{over}", c.name, format_number(c.value)),
            Some(c.span),
        );
    }
    for d in &m.datasets {
        let origin = match &d.origin {
            DataOrigin::Csv { path } => format!("csv {path:?}"),
            DataOrigin::Inline => "inline".to_string(),
        };
        line(format!("data {}: {origin}", d.name), Some(d.span));
        let mut names = d
            .feature_names
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if d.d() > 8 {
            let _ = write!(names, ", … ({} in all)", d.d());
        }
        line(format!("  x: [{}x{}] features {names}", d.n(), d.d()), None);
        match &d.target_kind {
            Some(TargetKind::Values) => line(
                format!("  y: {} values {}", d.y_shape(), d.target_names.join(", ")),
                None,
            ),
            Some(TargetKind::Classes) => {
                let coding = if d.classes.len() == 2 {
                    format!("{} = -1, {} = +1", d.classes[0].name, d.classes[1].name)
                } else {
                    "one-vs-rest, one -1/+1 column per class".to_string()
                };
                line(format!("  y: {} classes ({coding})", d.y_shape()), None);
                for c in &d.classes {
                    let weight = c
                        .weight
                        .map(|w| format!(", weight {}", format_number(w)))
                        .unwrap_or_default();
                    line(
                        format!(
                            "  class {}: {} train, {}{} test{weight}",
                            c.name,
                            c.rows.len(),
                            if d.validation.is_some() {
                                format!("{} validation, ", c.validation_rows.len())
                            } else {
                                String::new()
                            },
                            c.test_rows.len()
                        ),
                        None,
                    );
                }
                if d.w.is_some() {
                    line(
                        format!(
                            "  w: {} balanced sample weights n / (k · |class|) over the training rows",
                            d.y_shape()
                        ),
                        None,
                    );
                }
            }
            None => line("  y: none".to_string(), None),
        }
        match (d.split, d.validation) {
            (Some(f), None) => line(
                format!(
                    "  split: {} train / {} test (fraction {}, seed {})",
                    d.n(),
                    d.test_x.nrows(),
                    format_number(f),
                    d.seed
                ),
                None,
            ),
            (split, Some(v)) => line(
                format!(
                    "  split: {} train / {} validation / {} test (fractions {} / {} / {}, seed {})",
                    d.n(),
                    d.validation_x.nrows(),
                    d.test_x.nrows(),
                    share(split.unwrap_or(1.0) - v),
                    share(v),
                    share(1.0 - split.unwrap_or(1.0)),
                    d.seed
                ),
                None,
            ),
            (None, None) => {}
        }
        if d.standardization.is_some() {
            line(
                "  standardized: (x - mean) / std over the training rows".to_string(),
                None,
            );
        }
    }
    for (i, net) in m.networks.iter().enumerate() {
        let widths: Vec<String> = std::iter::once(net.inputs)
            .chain(net.layers.iter().map(|l| l.outputs))
            .map(|w| w.to_string())
            .collect();
        let from = match (net.input, &net.loaded_from) {
            (Some(d), _) => format!("({})", m.datasets[d.0].name),
            (None, Some(f)) => format!(" = load({f:?})"),
            (None, None) => String::new(),
        };
        line(
            format!("network {}{from}: {}", net.name, widths.join(" -> ")),
            Some(net.span),
        );
        for (k, l) in net.layers.iter().enumerate() {
            let param = |p: &LayerParam| match p {
                LayerParam::Var(v) => m.vars[v.0].name.clone(),
                LayerParam::Fixed(w) => format!("fixed [{}x{}]", w.nrows(), w.ncols()),
            };
            let bias = match (l.bias, &l.bias_param) {
                (BiasMode::Separate, Some(b)) => format!("bias {}", param(b)),
                (BiasMode::Column, _) => "bias column in W".to_string(),
                _ => "no bias".to_string(),
            };
            line(
                format!(
                    "  layer {}: dense {} -> {}, {}, weights {}, {bias}",
                    k + 1,
                    l.inputs,
                    l.outputs,
                    l.activation.name,
                    param(&l.weight)
                ),
                Some(l.span),
            );
        }
        let _ = i;
    }
    for v in &m.vars {
        let bounds = match (v.lower, v.upper) {
            (Some(l), Some(u)) => format!(" in [{}, {}]", format_number(l), format_number(u)),
            (Some(l), None) => format!(" >= {}", format_number(l)),
            (None, Some(u)) => format!(" <= {}", format_number(u)),
            (None, None) => String::new(),
        };
        let role = match v.role {
            VarRole::User => String::new(),
            VarRole::Weight { layer, .. } => format!("  (weights of layer {})", layer + 1),
            VarRole::Bias { layer, .. } => format!("  (bias of layer {})", layer + 1),
        };
        line(
            format!("var {} {}{bounds}{role}", v.name, v.shape),
            Some(v.span),
        );
    }
    match &m.objective {
        Some(o) => {
            let kw = match o.sense {
                Sense::Minimize => "minimize",
                Sense::Maximize => "maximize",
            };
            line(format!("{kw} {}", expr(m, &o.expr)), Some(o.span));
        }
        None => line("(no objective: a feasibility problem)".to_string(), None),
    }
    for c in &m.constraints {
        let rel = match c.op {
            CmpOp::In => format!(
                "{} in [{}, {}]",
                expr(m, &c.lhs),
                expr(m, &c.rhs[0]),
                expr(m, &c.rhs[1])
            ),
            op => format!("{} {} {}", expr(m, &c.lhs), op.symbol(), expr(m, &c.rhs[0])),
        };
        line(
            format!("constraint {} [{}]: {rel}", c.name, c.lhs.shape),
            Some(c.span),
        );
    }
    for meth in &m.methods {
        line(
            format!(
                "method {}({})",
                crate::sema::options::method_name(meth.kind),
                options(&meth.options)
            ),
            meth.span,
        );
    }
    let solver = format!("solver {}({})", m.solver.name, options(&m.solver.options));
    match m.solver.span {
        Some(s) => line(solver, Some(s)),
        None => line(format!("{solver} (default)"), None),
    }
    out
}

fn options(opts: &[(String, OptionValue)]) -> String {
    opts.iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Binding strength, for parentheses.
fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(BinOp::Add | BinOp::Sub, ..) => 1,
        ExprKind::Binary(BinOp::Mul | BinOp::Div | BinOp::MatMul, ..) => 2,
        ExprKind::Neg(_) => 3,
        ExprKind::Binary(BinOp::Pow, ..) => 4,
        ExprKind::Chain(_, steps) => match steps.first().map(|s| s.op) {
            Some(BinOp::Add | BinOp::Sub) => 1,
            Some(BinOp::Pow) => 4,
            _ => 2,
        },
        ExprKind::Number { value, .. } if *value < 0.0 => 3,
        _ => 5,
    }
}

/// An expression of the model as text, with names for data, variables and networks.
pub fn expr(m: &Model, e: &Expr) -> String {
    let wrap = |x: &Expr, min: u8| {
        let s = expr(m, x);
        if prec(x) < min {
            format!("({s})")
        } else {
            s
        }
    };
    match &e.kind {
        ExprKind::Number { value, name } => match name {
            Some(n) => n.clone(),
            None => format_number(*value),
        },
        ExprKind::Matrix(x) => format!("<{}x{} matrix>", x.nrows(), x.ncols()),
        ExprKind::Data(d, part) => {
            let p = match part {
                DataPart::X => "x",
                DataPart::Y => "y",
                DataPart::W => "w",
            };
            format!("{}.{p}", m.datasets[d.0].name)
        }
        ExprKind::Var(v) => m.vars[v.0].name.clone(),
        ExprKind::Placeholder => "z".to_string(),
        ExprKind::Weights(n) => format!("weights({})", m.networks[n.0].name),
        ExprKind::NetOut(n, x) => format!("{}({})", m.networks[n.0].name, expr(m, x)),
        ExprKind::Neg(x) => format!("-{}", wrap(x, 4)),
        ExprKind::Binary(op, a, b) => {
            let p = prec(e);
            let (lmin, rmin) = match op {
                BinOp::Pow => (5, 4),
                _ => (p, p + 1),
            };
            format!("{} {} {}", wrap(a, lmin), op.symbol(), wrap(b, rmin))
        }
        ExprKind::Chain(first, steps) => {
            // As the left-nested binary operations it stands for.
            let p = prec(e);
            let mut out = wrap(first, p);
            for s in steps {
                out.push_str(&format!(" {} {}", s.op.symbol(), wrap(&s.rhs, p + 1)));
            }
            out
        }
        ExprKind::Atom(a, args) => format!(
            "{}({})",
            a.name(),
            args.iter()
                .map(|x| expr(m, x))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::ClassRows(x, d, k) => {
            format!("{}[class {}]", wrap(x, 5), m.datasets[d.0].classes[*k].name)
        }
        ExprKind::Entry(x, idx) => format!(
            "{}[{}]",
            wrap(x, 5),
            idx.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A share of the rows as written (`0.6`, not `0.6000000000000001`).
fn share(f: f64) -> String {
    format_number((f * 1e9).round() / 1e9)
}
