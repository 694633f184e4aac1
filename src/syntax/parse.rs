//! pest pairs → typed AST. Syntax errors are turned into diagnostics that say, in words, what
//! was expected.

use std::cell::RefCell;

use pest::iterators::Pair;
use pest::Parser;

use super::ast::*;
use crate::diag::{Diagnostic, SourceId, SourceMap, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/cnn.pest"]
struct CnnParser;

/// Parses the source `src` of `sources` into a file.
pub fn parse(sources: &SourceMap, src: SourceId) -> Result<File, Vec<Diagnostic>> {
    let text = &sources.get(src).text;
    check_brackets(src, text).map_err(|d| vec![d])?;
    let mut pairs =
        CnnParser::parse(Rule::file, text).map_err(|e| vec![syntax_error(src, text, e)])?;
    let b = Builder {
        src,
        too_deep: RefCell::new(None),
    };
    let file = pairs.next().expect("the file rule matched");
    let items = file
        .into_inner()
        .filter(|p| p.as_rule() != Rule::EOI)
        .map(|p| b.item(p))
        .collect();
    match b.too_deep.into_inner() {
        Some(d) => Err(vec![d]),
        None => Ok(File { src, items }),
    }
}

struct Builder {
    src: SourceId,
    /// The nesting diagnostic, once one expression was too deep.
    too_deep: RefCell<Option<Diagnostic>>,
}

impl Builder {
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.src, s.start()..s.end())
    }

    fn ident(&self, p: Pair<Rule>) -> Ident {
        debug_assert_eq!(p.as_rule(), Rule::ident);
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn item(&self, p: Pair<Rule>) -> Item {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner().peekable();
        let kw = it.next().expect("items start with a keyword");
        let kind = match rule {
            Rule::use_item => {
                let module = self.ident(it.next().expect("module"));
                let names: Vec<Ident> = it.map(|p| self.ident(p)).collect();
                ItemKind::Use {
                    module,
                    names: (!names.is_empty()).then_some(names),
                }
            }
            Rule::const_item => ItemKind::Const {
                name: self.ident(it.next().expect("name")),
                value: self.expr(it.next().expect("value")),
            },
            Rule::data_item => ItemKind::Data {
                name: self.ident(it.next().expect("name")),
                source: self.ident(it.next().expect("source")),
                args: self.args(it.next().expect("args")),
            },
            Rule::network_item => {
                let name = self.ident(it.next().expect("name"));
                let rest = it.next().expect("network rest");
                match rest.as_rule() {
                    Rule::network_load => {
                        let mut r = rest.into_inner();
                        ItemKind::NetworkLoad {
                            name,
                            source: self.ident(r.next().expect("source")),
                            args: self.args(r.next().expect("args")),
                        }
                    }
                    _ => {
                        let mut r = rest.into_inner();
                        let input = self.ident(r.next().expect("input"));
                        let layers = r
                            .map(|l| {
                                let span = self.span(&l);
                                let mut li = l.into_inner();
                                Layer {
                                    kind: self.ident(li.next().expect("kind")),
                                    args: self.args(li.next().expect("args")),
                                    span,
                                }
                            })
                            .collect();
                        ItemKind::Network {
                            name,
                            input,
                            layers,
                        }
                    }
                }
            }
            Rule::var_item => {
                let name = self.ident(it.next().expect("name"));
                let mut shape = Vec::new();
                let mut bound = None;
                for p in it {
                    match p.as_rule() {
                        Rule::shape => shape = p.into_inner().map(|e| self.expr(e)).collect(),
                        _ => bound = Some(self.var_bound(p)),
                    }
                }
                ItemKind::Var { name, shape, bound }
            }
            Rule::fn_item | Rule::activation_item => {
                let name = self.ident(it.next().expect("name"));
                let params = it
                    .next()
                    .expect("params")
                    .into_inner()
                    .map(|p| self.ident(p))
                    .collect();
                let body = self.body(it.next().expect("body"));
                let def = FnDef { name, params, body };
                if rule == Rule::fn_item {
                    ItemKind::Fn(def)
                } else {
                    ItemKind::Activation(def)
                }
            }
            Rule::objective_item => ItemKind::Objective {
                sense: if kw.as_rule() == Rule::kw_minimize {
                    Sense::Minimize
                } else {
                    Sense::Maximize
                },
                expr: self.expr(it.next().expect("objective")),
            },
            Rule::constraint_item => {
                let name = self.ident(it.next().expect("name"));
                let mut each = None;
                if it.peek().map(|p| p.as_rule()) == Some(Rule::for_clause) {
                    let mut f = it.next().expect("for").into_inner();
                    let _kw_for = f.next();
                    let var = self.ident(f.next().expect("var"));
                    let _kw_in = f.next();
                    let over = self.expr(f.next().expect("set"));
                    each = Some(ForClause { var, over });
                }
                let body = self.body(it.next().expect("body"));
                ItemKind::Constraint { name, each, body }
            }
            Rule::method_item | Rule::solver_item => {
                let name = self.ident(it.next().expect("name"));
                let args = it.next().map(|a| self.args(a)).unwrap_or_default();
                if rule == Rule::method_item {
                    ItemKind::Method { name, args }
                } else {
                    ItemKind::Solver { name, args }
                }
            }
            r => unreachable!("not an item rule: {r:?}"),
        };
        Item { kind, span }
    }

    fn var_bound(&self, p: Pair<Rule>) -> VarBound {
        let inner = p.into_inner().next().expect("bound kind");
        match inner.as_rule() {
            Rule::interval_bound => {
                let mut i = inner.into_inner();
                let _kw = i.next();
                let (lo, hi) = self.interval(i.next().expect("interval"));
                VarBound::Interval(lo, hi)
            }
            Rule::lower_bound => VarBound::Lower(self.expr(inner.into_inner().next().expect("e"))),
            _ => VarBound::Upper(self.expr(inner.into_inner().next().expect("e"))),
        }
    }

    fn interval(&self, p: Pair<Rule>) -> (Expr, Expr) {
        let mut i = p.into_inner();
        let lo = self.expr(i.next().expect("lo"));
        let hi = self.expr(i.next().expect("hi"));
        (lo, hi)
    }

    fn body(&self, p: Pair<Rule>) -> Body {
        match p.as_rule() {
            Rule::comparison => {
                let span = self.span(&p);
                let mut i = p.into_inner();
                let lhs = self.expr(i.next().expect("lhs"));
                let op = i.next().expect("op");
                let (op, rhs) = match op.as_rule() {
                    Rule::cmp_op => {
                        let o = match op.as_str() {
                            "<=" => CmpOp::Le,
                            ">=" => CmpOp::Ge,
                            _ => CmpOp::Eq,
                        };
                        (o, vec![self.expr(i.next().expect("rhs"))])
                    }
                    _ => {
                        let (lo, hi) = self.interval(i.next().expect("interval"));
                        (CmpOp::In, vec![lo, hi])
                    }
                };
                Body::Compare(Comparison { lhs, op, rhs, span })
            }
            _ => Body::Expr(self.expr(p)),
        }
    }

    fn args(&self, p: Pair<Rule>) -> Vec<Arg> {
        p.into_inner()
            .map(|a| {
                let span = self.span(&a);
                let mut i = a.into_inner().collect::<Vec<_>>();
                let value = self.expr(i.pop().expect("value"));
                let name = i.pop().map(|n| self.ident(n));
                Arg { name, value, span }
            })
            .collect()
    }

    /// A whole expression (an item's, or an item-level argument's): its nesting is checked.
    fn expr(&self, p: Pair<Rule>) -> Expr {
        let (e, depth) = self.node(p);
        if depth as usize > MAX_DEPTH && self.too_deep.borrow().is_none() {
            *self.too_deep.borrow_mut() = Some(too_deep(first_past_limit(&e), depth as usize));
        }
        e
    }

    /// `e` with its nesting depth.
    fn mk(&self, kind: ExprKind, span: Span, depth: u32) -> (Expr, u32) {
        (Expr { kind, span }, depth)
    }

    /// Call arguments inside an expression, with their deepest nesting.
    fn inner_args(&self, p: Pair<Rule>) -> (Vec<Arg>, u32) {
        let mut depth = 0;
        let args = p
            .into_inner()
            .map(|a| {
                let span = self.span(&a);
                let mut i = a.into_inner().collect::<Vec<_>>();
                let (value, d) = self.node(i.pop().expect("value"));
                depth = depth.max(d);
                let name = i.pop().map(|n| self.ident(n));
                Arg { name, value, span }
            })
            .collect();
        (args, depth)
    }

    /// Expressions in brackets (`[a, b]`, `x[i, j]`), with their deepest nesting.
    fn nodes(&self, p: Pair<Rule>) -> (Vec<Expr>, u32) {
        let mut depth = 0;
        let xs = p
            .into_inner()
            .map(|x| {
                let (e, d) = self.node(x);
                depth = depth.max(d);
                e
            })
            .collect();
        (xs, depth)
    }

    /// `-`s written before `e` (innermost last), applied from the inside out.
    fn negate(&self, negs: &[Pair<Rule>], (mut e, mut depth): (Expr, u32)) -> (Expr, u32) {
        for n in negs.iter().rev() {
            let s = self.span(n).to(e.span);
            depth += 1;
            (e, depth) = self.mk(ExprKind::Neg(Box::new(e)), s, depth);
        }
        (e, depth)
    }

    /// An expression and its nesting depth. Chains (`+ -`, `* / @`, `^`, `-`, postfix) are
    /// built in loops; this recurses only into brackets, whose depth the pre-scan bounds.
    fn node(&self, p: Pair<Rule>) -> (Expr, u32) {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::expr | Rule::term => {
                let mut i = p.into_inner();
                let (first, mut depth) = self.node(i.next().expect("operand"));
                let mut rest = Vec::new();
                while let Some(op) = i.next() {
                    let (rhs, d) = self.node(i.next().expect("operand"));
                    depth = depth.max(d);
                    let op = match op.as_str() {
                        "+" => BinOp::Add,
                        "-" => BinOp::Sub,
                        "*" => BinOp::Mul,
                        "/" => BinOp::Div,
                        _ => BinOp::MatMul,
                    };
                    rest.push((op, rhs));
                }
                if rest.is_empty() {
                    return (first, depth);
                }
                self.mk(ExprKind::Chain(Box::new(first), rest), span, depth + 1)
            }
            Rule::unary => {
                let parts: Vec<_> = p.into_inner().collect();
                let (negs, rest) = parts.split_at(parts.len() - 1);
                let e = self.node(rest[0].clone());
                self.negate(negs, e)
            }
            Rule::power => {
                // base (^ neg* operand)*: `a ^ -b ^ c` is `a ^ (-(b ^ c))`, folded from the right.
                let mut operands: Vec<(Vec<Pair<Rule>>, Pair<Rule>)> = Vec::new();
                let mut negs = Vec::new();
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::pow_op => {}
                        Rule::neg => negs.push(q),
                        _ => operands.push((std::mem::take(&mut negs), q)),
                    }
                }
                let (negs, last) = operands.pop().expect("an operand");
                let mut acc = self.negate(&negs, self.node(last));
                while let Some((negs, base)) = operands.pop() {
                    let (b, d) = self.node(base);
                    let s = b.span.to(acc.0.span);
                    let depth = d.max(acc.1) + 1;
                    let kind = ExprKind::Binary(BinOp::Pow, Box::new(b), Box::new(acc.0));
                    acc = self.negate(&negs, self.mk(kind, s, depth));
                }
                acc
            }
            Rule::postfix => {
                let mut i = p.into_inner();
                let (mut e, mut depth) = self.node(i.next().expect("primary"));
                for post in i {
                    let s = e.span.to(self.span(&post));
                    let (kind, d) = match post.as_rule() {
                        Rule::call_args => {
                            let (args, d) =
                                self.inner_args(post.into_inner().next().expect("args"));
                            (ExprKind::Call(Box::new(e), args), d)
                        }
                        Rule::index => {
                            let (idx, d) = self.nodes(post);
                            (ExprKind::Index(Box::new(e), idx), d)
                        }
                        _ => (
                            ExprKind::Field(
                                Box::new(e),
                                self.ident(post.into_inner().next().expect("field")),
                            ),
                            0,
                        ),
                    };
                    (e, depth) = self.mk(kind, s, depth.max(d) + 1);
                }
                (e, depth)
            }
            Rule::paren => {
                // No node of its own: brackets alone are bounded by `check_brackets`.
                let (inner, depth) = self.node(p.into_inner().next().expect("inner"));
                self.mk(inner.kind, span, depth)
            }
            Rule::list => {
                let (items, depth) = self.nodes(p);
                self.mk(ExprKind::List(items), span, depth + 1)
            }
            Rule::number => (
                Expr {
                    // The grammar only admits valid float literals; very long ones saturate to inf.
                    kind: ExprKind::Number(p.as_str().parse().unwrap_or(f64::INFINITY)),
                    span,
                },
                0,
            ),
            Rule::string => (
                Expr {
                    kind: ExprKind::Str(
                        p.into_inner()
                            .next()
                            .map(|s| s.as_str().to_string())
                            .unwrap_or_default(),
                    ),
                    span,
                },
                0,
            ),
            Rule::ident => (
                Expr {
                    kind: ExprKind::Name(p.as_str().to_string()),
                    span,
                },
                0,
            ),
            r => unreachable!("not an expression rule: {r:?}"),
        }
    }
}

/// The deepest nesting an expression may have: brackets, calls, indexing, `-`, `^` and chains
/// each add one level. Every pass walks expressions recursively, so this bounds their stacks.
pub const MAX_DEPTH: usize = 128;

/// Where `e` first (in source order) is nested [`MAX_DEPTH`]` + 1` deep: an iterative walk,
/// since `e` is too deep to recurse into. The span is one character: the operator or bracket.
fn first_past_limit(e: &Expr) -> Span {
    let mut stack = vec![(e, 0usize)];
    while let Some((e, depth)) = stack.pop() {
        let at = |pos: u32| Span::new(e.span.src, pos as usize..pos as usize + 1);
        let (children, start): (Vec<&Expr>, u32) = match &e.kind {
            ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Name(_) => continue,
            ExprKind::List(items) => (items.iter().collect(), e.span.start),
            ExprKind::Neg(a) => (vec![a], e.span.start),
            ExprKind::Binary(_, a, b) => (vec![a, b], e.span.start),
            ExprKind::Chain(a, rest) => (
                std::iter::once(&**a)
                    .chain(rest.iter().map(|(_, x)| x))
                    .collect(),
                e.span.start,
            ),
            ExprKind::Call(f, args) => (
                std::iter::once(&**f)
                    .chain(args.iter().map(|a| &a.value))
                    .collect(),
                f.span.end,
            ),
            ExprKind::Index(base, idx) => {
                (std::iter::once(&**base).chain(idx).collect(), base.span.end)
            }
            ExprKind::Field(base, _) => (vec![base], base.span.end),
        };
        if depth == MAX_DEPTH {
            return at(start);
        }
        stack.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
    }
    e.span
}

/// E0102: the one diagnostic for nesting past [`MAX_DEPTH`], at the first level past it.
fn too_deep(at: Span, depth: usize) -> Diagnostic {
    Diagnostic::error(
        "E0102",
        format!("expression nested {depth} deep; the limit is {MAX_DEPTH}"),
    )
    .with_primary(at, format!("level {} starts here", MAX_DEPTH + 1))
    .with_help("name inner parts with `const` or `fn`, or write the chain without brackets")
}

/// The characters of `text` outside comments (`#` to the end of the line) and string literals,
/// with their byte offsets.
fn code_chars(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut chars = text.char_indices();
    std::iter::from_fn(move || loop {
        let (i, c) = chars.next()?;
        let end = match c {
            '#' => '\n',
            '"' => '"',
            _ => return Some((i, c)),
        };
        for (_, c) in chars.by_ref() {
            if c == end || c == '\n' {
                break;
            }
        }
    })
}

/// Refuses bracket nesting past [`MAX_DEPTH`] before pest (which recurses per bracket) runs:
/// one linear scan, comments and strings skipped.
fn check_brackets(src: SourceId, text: &str) -> Result<(), Diagnostic> {
    let (mut depth, mut deepest, mut first_past) = (0usize, 0usize, None);
    for (i, c) in code_chars(text) {
        match c {
            '(' | '[' => {
                depth += 1;
                deepest = deepest.max(depth);
                if depth > MAX_DEPTH && first_past.is_none() {
                    first_past = Some(i);
                }
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    match first_past {
        Some(i) => Err(too_deep(Span::new(src, i..i + 1), deepest)),
        None => Ok(()),
    }
}

/// The reserved words of the grammar (`keyword` in `grammar/cnn.pest`).
const KEYWORDS: [&str; 14] = [
    "use",
    "const",
    "data",
    "network",
    "var",
    "fn",
    "activation",
    "minimize",
    "maximize",
    "constraint",
    "for",
    "in",
    "method",
    "solver",
];

/// Rules that start an item: an error where any of them may come is reported as "a new item".
const ITEM_STARTS: [Rule; 24] = [
    Rule::item,
    Rule::use_item,
    Rule::const_item,
    Rule::data_item,
    Rule::network_item,
    Rule::var_item,
    Rule::fn_item,
    Rule::activation_item,
    Rule::objective_item,
    Rule::constraint_item,
    Rule::method_item,
    Rule::solver_item,
    Rule::kw_use,
    Rule::kw_const,
    Rule::kw_data,
    Rule::kw_network,
    Rule::kw_var,
    Rule::kw_fn,
    Rule::kw_activation,
    Rule::kw_minimize,
    Rule::kw_maximize,
    Rule::kw_constraint,
    Rule::kw_method,
    Rule::kw_solver,
];

/// Words for what the grammar expected, never rule names.
fn describe(rule: &Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::item
        | Rule::use_item
        | Rule::const_item
        | Rule::data_item
        | Rule::network_item
        | Rule::var_item
        | Rule::fn_item
        | Rule::activation_item
        | Rule::objective_item
        | Rule::constraint_item
        | Rule::method_item
        | Rule::solver_item => "an item (`use`, `const`, `data`, `network`, `var`, `fn`, `activation`, `minimize`, `maximize`, `constraint`, `method` or `solver`)",
        Rule::ident => "a name",
        Rule::expr | Rule::term | Rule::unary | Rule::power | Rule::postfix | Rule::neg => "an expression",
        Rule::pow_op => "`^`",
        Rule::number => "a number",
        Rule::string | Rule::string_inner => "a string",
        Rule::list => "a list `[...]`",
        Rule::paren => "`(`",
        Rule::args | Rule::call_args => "an argument list `(...)`",
        Rule::arg => "an argument",
        Rule::params => "a parameter list `(...)`",
        Rule::add_op => "`+` or `-`",
        Rule::mul_op => "`*`, `/` or `@`",
        Rule::cmp_op => "`<=`, `>=` or `==`",
        Rule::comparison => "a comparison (`<=`, `>=`, `==` or `in [lo, hi]`)",
        Rule::interval => "an interval `[lo, hi]`",
        Rule::index => "an index `[...]`",
        Rule::field => "`.name`",
        Rule::shape => "a shape `[n]` or `[n, m]`",
        Rule::var_bound | Rule::interval_bound | Rule::lower_bound | Rule::upper_bound => {
            "a bound (`in [lo, hi]`, `>= lo` or `<= hi`)"
        }
        Rule::network_load | Rule::network_body => "`(data) { layers }` or `= load(\"file\")`",
        Rule::layer => "a layer such as `dense(8, relu)`",
        Rule::for_clause => "`for NAME in ...`",
        Rule::kw_use => "`use`",
        Rule::kw_const => "`const`",
        Rule::kw_data => "`data`",
        Rule::kw_network => "`network`",
        Rule::kw_var => "`var`",
        Rule::kw_fn => "`fn`",
        Rule::kw_activation => "`activation`",
        Rule::kw_minimize => "`minimize`",
        Rule::kw_maximize => "`maximize`",
        Rule::kw_constraint => "`constraint`",
        Rule::kw_for => "`for`",
        Rule::kw_in => "`in`",
        Rule::kw_method => "`method`",
        Rule::kw_solver => "`solver`",
        _ => return None,
    })
}

fn syntax_error(src: SourceId, text: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let positives: &[Rule] = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    // Where a new item may start, name that once instead of listing every keyword.
    let item_may_start = positives.iter().any(|r| ITEM_STARTS.contains(r));
    let mut expected: Vec<&str> = positives
        .iter()
        .filter(|r| !(item_may_start && (ITEM_STARTS.contains(r) || **r == Rule::EOI)))
        .filter_map(describe)
        .collect();
    expected.sort_unstable();
    expected.dedup();
    let ops = ["`*`, `/` or `@`", "`+` or `-`"];
    if ops.iter().all(|o| expected.contains(o)) {
        expected.retain(|e| !ops.contains(e) && *e != "`^`");
        expected.insert(0, "an operator");
    }
    if item_may_start {
        expected.push("a new item");
    }
    let found = found_at(text, pos);
    let end = pos + found.as_ref().map_or(0, |f| f.1);
    let span = Span::new(src, pos..end);
    let found = found.map(|f| f.0);
    let message = match found.as_deref() {
        Some("end of line") => "unexpected end of line".to_string(),
        Some(f) => format!("unexpected `{f}`"),
        None => "unexpected end of file".to_string(),
    };
    let label = if expected.is_empty() {
        "not valid here".to_string()
    } else {
        format!("expected {}", join_or(&expected))
    };
    let mut d = Diagnostic::error("E0101", message).with_primary(span, label);
    if let Some((open, close)) = unclosed_bracket(text, pos) {
        d = d
            .with_label(Span::new(src, open..open + 1), "opened here")
            .with_help(format!("a `{close}` is missing before this point"));
    } else if found.as_deref() == Some("=") && expected.iter().any(|x| x.contains("==")) {
        d = d.with_help("equality constraints are written `==`");
    } else if let Some(k) = found
        .as_deref()
        .filter(|f| item_may_start && !KEYWORDS.contains(f))
        .and_then(|f| crate::diag::suggest(f, KEYWORDS))
    {
        d = d.with_help(format!("did you mean `{k}`?"));
    } else if let Some(f) = found.as_deref().filter(|f| KEYWORDS.contains(f)) {
        if expected
            .iter()
            .any(|x| *x == "a name" || *x == "an expression")
        {
            d = d.with_help(format!("`{f}` is a keyword and cannot be used as a name"));
        }
    } else if let Some(f) = &found {
        if f.starts_with(|c: char| c.is_ascii_digit()) && expected.contains(&"a name") {
            d = d.with_help("names start with a letter or `_`");
        }
    }
    d
}

/// The innermost `(` or `[` still open at `pos` (comments and strings skipped), with the
/// bracket that would close it.
fn unclosed_bracket(text: &str, pos: usize) -> Option<(usize, char)> {
    let mut stack: Vec<(usize, char)> = Vec::new();
    for (i, c) in code_chars(text.get(..pos)?) {
        match c {
            '(' => stack.push((i, ')')),
            '[' => stack.push((i, ']')),
            ')' | ']' if stack.last().is_some_and(|(_, close)| *close == c) => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.pop()
}

/// The token-ish text at `pos` (a word, a number, an operator or one character) and its length.
fn found_at(text: &str, pos: usize) -> Option<(String, usize)> {
    let rest = text.get(pos..)?;
    let c = rest.chars().next()?;
    if c.is_alphanumeric() || c == '_' {
        let n: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
            .take(40)
            .collect();
        let len = n.len();
        return Some((n, len));
    }
    for op in ["<=", ">=", "=="] {
        if rest.starts_with(op) {
            return Some((op.to_string(), 2));
        }
    }
    if c == '\n' || c == '\r' {
        return Some(("end of line".to_string(), c.len_utf8()));
    }
    Some((c.to_string(), c.len_utf8()))
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [a] => a.to_string(),
        [rest @ .., last] => format!("{} or {}", rest.join(", "), last),
    }
}
