//! A readable text form of a [`Program`], used in snapshot tests as the "text in" of a rewrite.
//!
//! Affine leaves print as linear forms over named entries (`2 x[0] - y + 1`), or as a summary
//! when large; other nodes print as calls (`norm2(…)`, `sum(…)`), constraints one per line.

use std::fmt::Write as _;

use super::expr::{Expr, LinOp, Node};
use super::{Affine, ConstraintKind, Program, Sense};
use crate::conic::print::fmt_num;

/// Largest affine leaf printed entry by entry.
const MAX_ENTRIES: usize = 6;
/// Terms shown of one entry; the others are counted.
const MAX_TERMS: usize = 12;

impl Program {
    /// Display name of scalar column `col`: `x`, `x[2]` or `X[1,0]`.
    pub fn column_name(&self, col: usize) -> String {
        match self.locate(col) {
            Some((id, i, j)) => {
                let b = &self.vars[id.0];
                match (b.rows, b.cols) {
                    (1, 1) => b.name.clone(),
                    (_, 1) => format!("{}[{i}]", b.name),
                    _ => format!("{}[{i},{j}]", b.name),
                }
            }
            None => format!("_col{col}"),
        }
    }
}

fn entry(prog: &Program, a: &Affine, k: usize) -> String {
    let (vars, coefs, c0) = a.entry(k);
    let mut s = String::new();
    for (i, (&v, &c)) in vars.iter().zip(coefs).enumerate() {
        if i == MAX_TERMS {
            let _ = write!(s, " + … ({} more terms)", vars.len() - MAX_TERMS);
            break;
        }
        let (sign, mag) = if c < 0.0 { ("-", -c) } else { ("+", c) };
        if i > 0 {
            let _ = write!(s, " {sign} ");
        } else if c < 0.0 {
            s.push('-');
        }
        if mag != 1.0 {
            let _ = write!(s, "{} ", fmt_num(mag));
        }
        s.push_str(&prog.column_name(v));
    }
    if vars.is_empty() {
        s.push_str(&fmt_num(c0));
    } else if c0 != 0.0 {
        let _ = write!(
            s,
            " {} {}",
            if c0 < 0.0 { "-" } else { "+" },
            fmt_num(c0.abs())
        );
    }
    s
}

fn affine(prog: &Program, a: &Affine) -> String {
    if a.len() > MAX_ENTRIES {
        return large_affine(prog, a);
    }
    let a = a.compact();
    if a.len() == 1 {
        return entry(prog, &a, 0);
    }
    let rows: Vec<String> = (0..a.rows())
        .map(|i| {
            (0..a.cols())
                .map(|j| entry(prog, &a, i + j * a.rows()))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    format!("[{}]", rows.join("; "))
}

/// An expression with more than [`MAX_ENTRIES`] entries: `zeros(r×c)`, or its first entries
/// (column-major) with the count of the others, its shape and its number of terms.
fn large_affine(prog: &Program, a: &Affine) -> String {
    if a.is_constant() && a.constants().iter().all(|&c| c == 0.0) {
        return format!("zeros({}x{})", a.rows(), a.cols());
    }
    const SHOWN: usize = 3;
    let head = Affine::from_fn(SHOWN, 1, |k, terms| {
        let (vars, coefs, c0) = a.entry(k);
        for (&v, &c) in vars.iter().zip(coefs) {
            terms.push(v, c);
        }
        c0
    })
    .compact();
    let shown: Vec<String> = (0..SHOWN).map(|k| entry(prog, &head, k)).collect();
    format!(
        "[{}; … {} more] ({}x{}, {} terms)",
        shown.join("; "),
        a.len() - SHOWN,
        a.rows(),
        a.cols(),
        a.nnz()
    )
}

/// An expression as text.
pub fn expr(prog: &Program, e: &Expr) -> String {
    let list = |args: &[Expr], sep: &str| {
        args.iter()
            .map(|a| expr(prog, a))
            .collect::<Vec<_>>()
            .join(sep)
    };
    match &e.node {
        Node::Affine(a) => affine(prog, a),
        Node::Linear(op, args) => match op {
            LinOp::Add => format!("({})", list(args, " + ")),
            LinOp::Scale(c) => format!("{} * {}", fmt_num(*c), list(args, "")),
            LinOp::MulElem(d) if d.len() == 1 => format!("{} * {}", fmt_num(d[0]), list(args, "")),
            LinOp::MulElem(d) => format!("<data {}> .* {}", d.len(), list(args, "")),
            LinOp::LeftMul(m) => format!("<{}x{} matrix> @ {}", m.m, m.n, list(args, "")),
            LinOp::RightMul(m) => format!("{} @ <{}x{} matrix>", list(args, ""), m.m, m.n),
            LinOp::Sum => format!("sum({})", list(args, "")),
            LinOp::Transpose => format!("transpose({})", list(args, "")),
            LinOp::Select { idx, .. } => format!("{}[{} entries]", list(args, ""), idx.len()),
            LinOp::VStack => format!("vstack({})", list(args, ", ")),
            LinOp::HStack => format!("hstack({})", list(args, ", ")),
        },
        Node::Atom(super::Atom::Power(p), args) => {
            format!("power({}, {})", list(args, ""), fmt_num(*p))
        }
        Node::Atom(a, args) => format!("{}({})", a.name(), list(args, ", ")),
        Node::Product(a, b) => format!("({} * {})", expr(prog, a), expr(prog, b)),
        Node::Invalid(reason, _) => format!("<invalid: {reason}>"),
    }
}

/// The whole program as text.
pub fn print(prog: &Program) -> String {
    let mut out = String::new();
    out.push_str("variables:");
    for v in &prog.vars {
        let _ = write!(out, " {}[{}x{}]", v.name, v.rows, v.cols);
        if let Some(l) = v.lower {
            let _ = write!(out, " >= {}", fmt_num(l));
        }
        if let Some(u) = v.upper {
            let _ = write!(out, " <= {}", fmt_num(u));
        }
        if v.integer {
            out.push_str(" integer");
        }
        out.push(',');
    }
    if out.ends_with(',') {
        out.pop();
    }
    out.push('\n');
    match &prog.objective {
        Some(o) => {
            let verb = if o.sense == Sense::Minimize {
                "minimize"
            } else {
                "maximize"
            };
            let _ = writeln!(out, "{verb} {}", expr(prog, &o.expr));
        }
        None => out.push_str("find a feasible point\n"),
    }
    for c in &prog.constraints {
        let text = match &c.kind {
            ConstraintKind::Eq(l, r) => format!("{} == {}", expr(prog, l), expr(prog, r)),
            ConstraintKind::Le(l, r) => format!("{} <= {}", expr(prog, l), expr(prog, r)),
            ConstraintKind::Soc { t, x } => {
                format!("norm2({}) <= {}", expr(prog, x), expr(prog, t))
            }
            ConstraintKind::RotatedSoc { u, v, x } => format!(
                "sum_squares({}) <= {} * {}",
                expr(prog, x),
                expr(prog, u),
                expr(prog, v)
            ),
            ConstraintKind::Psd(s) => format!("{} >> 0", expr(prog, s)),
        };
        if c.label.is_empty() {
            let _ = writeln!(out, "  {text}");
        } else {
            let _ = writeln!(out, "  {text}    # {}", c.label);
        }
    }
    out
}
