//! `--emit lp`: CPLEX LP format for problems LP and MILP solvers read — every cone a zero or
//! nonnegative cone, the objective linear or quadratic. Rows `A x + s = b` become
//! `a·x = b` (zero cone) or `a·x <= b` (nonnegative cone); every variable is declared `free`
//! (LP files default to `x >= 0`), integer variables are listed under `General`, and
//! `½ xᵀPx` is written in the `[ … ] / 2` form (`P` is stored as its upper triangle, so an
//! off-diagonal entry appears doubled). A maximization is written as `Maximize` of the original
//! objective. Names are sanitized to what LP readers accept (letters, digits, `_`, not starting
//! with a digit or an exponent-like `e1`, not a keyword), made unique, and mapped back to the
//! model's names in a comment block. Any other cone is an error naming the cone block.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::cbf::num;
use crate::conic::{Cone, ConicProblem};
use crate::diag::Diagnostic;

/// Longest line written; CPLEX truncates lines beyond 510 characters.
const LINE: usize = 200;

/// Words an LP reader could take for a keyword (compared case-insensitively).
const RESERVED: [&str; 22] = [
    "st", "s.t.", "subject", "to", "such", "that", "bound", "bounds", "min", "max", "minimize",
    "maximize", "minimum", "maximum", "general", "generals", "gen", "binary", "binaries", "bin",
    "end", "free",
];

/// Writes `p` in CPLEX LP format, or explains which cone LP cannot hold.
pub fn write(p: &ConicProblem) -> Result<String, Diagnostic> {
    check_linear_cones(p, "the LP format", "LP files")?;
    let names = lp_names(p);
    let sign = if p.maximize { -1.0 } else { 1.0 };
    let mut out = String::new();
    let _ = writeln!(out, "\\ CPLEX LP format, written by cnnc.");
    name_comments(&mut out, p, &names, "\\", "LP");

    // Objective.
    out.push_str(if p.maximize {
        "Maximize\n"
    } else {
        "Minimize\n"
    });
    let mut obj = Expr::new(" obj:");
    for (j, &c) in p.q.iter().enumerate() {
        if c != 0.0 {
            obj.term(sign * c, &names[j]);
        }
    }
    if p.p.nnz() > 0 {
        obj.raw("+ [");
        for (r, c, v) in p.p.iter() {
            if v == 0.0 || r > c {
                continue;
            }
            if r == c {
                obj.term(sign * v, &format!("{} ^ 2", names[r]));
            } else {
                obj.term(2.0 * sign * v, &format!("{} * {}", names[r], names[c]));
            }
        }
        obj.raw("] / 2");
    }
    if p.constant != 0.0 || obj.empty() {
        obj.constant(sign * p.constant);
    }
    out.push_str(&obj.finish());

    // Rows.
    let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); p.num_rows()];
    for (r, c, v) in p.a.iter() {
        if let Some(row) = rows.get_mut(r) {
            row.push((c, v));
        }
    }
    out.push_str("Subject To\n");
    let mut r = 0;
    for cone in &p.cones {
        let op = if matches!(cone, Cone::Zero(_)) {
            "="
        } else {
            "<="
        };
        for _ in 0..cone.dim() {
            let b = p.b.get(r).copied().unwrap_or(0.0);
            if op == "<=" && b == f64::INFINITY {
                let _ = writeln!(out, "\\ c{r}: no bound (right-hand side +inf)");
                r += 1;
                continue;
            }
            if !b.is_finite() {
                return Err(Diagnostic::error(
                    "E0714",
                    format!("row {r} has the right-hand side {b}, which an LP file cannot hold"),
                ));
            }
            let mut e = Expr::new(&format!(" c{r}:"));
            for &(c, v) in &rows[r] {
                e.term(v, &names[c]);
            }
            if e.empty() {
                match names.first() {
                    Some(n) => e.term_zero(n),
                    None => return Err(Diagnostic::error(
                        "E0714",
                        "the problem has constraints but no variables; an LP file cannot hold it",
                    )),
                }
            }
            e.raw(&format!("{op} {}", num(b)));
            out.push_str(&e.finish());
            r += 1;
        }
    }
    if !names.is_empty() {
        out.push_str("Bounds\n");
        for n in &names {
            let _ = writeln!(out, " {n} free");
        }
    }
    let ints: Vec<&str> = names
        .iter()
        .zip(&p.vars)
        .filter(|(_, v)| v.integer)
        .map(|(n, _)| n.as_str())
        .collect();
    if !ints.is_empty() {
        out.push_str("General\n");
        let mut e = Expr::new("");
        for n in ints {
            e.raw(n);
        }
        out.push_str(&e.finish());
    }
    out.push_str("End\n");
    Ok(out)
}

/// Refuses the first cone block that is not a zero or nonnegative cone (E0713), naming the cone
/// and where it came from. `format` ("the LP format") and `files` ("LP files") name the writer.
pub(crate) fn check_linear_cones(
    p: &ConicProblem,
    format: &str,
    files: &str,
) -> Result<(), Diagnostic> {
    for (k, cone) in p.cones.iter().enumerate() {
        let what = match cone {
            Cone::Zero(_) | Cone::Nonneg(_) => continue,
            Cone::SecondOrder(d) => format!("a second-order cone of size {d}"),
            Cone::Exponential => "an exponential cone".to_string(),
            Cone::Power(a) => format!("a power cone (α = {a})"),
            Cone::PsdTriangle(n) => format!("a {n}×{n} PSD cone"),
        };
        let origin = p.origins.get(k);
        let label = origin.map_or(String::new(), |o| {
            format!("{} {}", o.stage, o.label).trim().to_string()
        });
        let label = if label.is_empty() {
            String::new()
        } else {
            format!(": {label}")
        };
        let mut d = Diagnostic::error(
            "E0713",
            format!("{format} cannot hold {what} (cone block {k}{label})"),
        )
        .with_note(format!(
            "{files} hold linear constraints, a linear or quadratic objective and integer variables"
        ))
        .with_help("export this problem with `--emit cbf` or `--emit json` instead");
        if let Some(span) = origin.and_then(|o| o.span) {
            d = d.with_primary(span, "this constraint needs the cone");
        }
        return Err(d);
    }
    Ok(())
}

/// The comment block mapping the written names back to the model's: one line per variable, one
/// per cone block with its rows `c<first>..c<last>`. `mark` starts a comment line (`\` in LP,
/// `*` in MPS).
pub(crate) fn name_comments(
    out: &mut String,
    p: &ConicProblem,
    names: &[String],
    mark: &str,
    format: &str,
) {
    let _ = writeln!(out, "{mark} Variables ({format} name = model name):");
    for (j, v) in p.vars.iter().enumerate() {
        let _ = writeln!(
            out,
            "{mark}   {} = {}",
            names[j],
            v.name.replace(['\n', '\r'], " ")
        );
    }
    let mut row = 0;
    let _ = writeln!(out, "{mark} Constraint blocks:");
    for (k, cone) in p.cones.iter().enumerate() {
        let o = p.origins.get(k);
        let _ = writeln!(
            out,
            "{mark}   c{row}..c{} ({} rows): {} {}",
            (row + cone.dim()).saturating_sub(1),
            cone.dim(),
            o.map_or("", |o| o.stage),
            o.map_or(String::new(), |o| o.label.replace(['\n', '\r'], " "))
        );
        row += cone.dim();
    }
}

/// An expression written over as many lines as needed.
struct Expr {
    lines: Vec<String>,
    terms: usize,
}

impl Expr {
    fn new(head: &str) -> Expr {
        Expr {
            lines: vec![head.to_string()],
            terms: 0,
        }
    }

    fn raw(&mut self, s: &str) {
        let last = self.lines.last_mut().filter(|l| l.len() + s.len() < LINE);
        match last {
            Some(l) => {
                l.push(' ');
                l.push_str(s);
            }
            None => self.lines.push(format!("   {s}")),
        }
    }

    fn term(&mut self, coef: f64, what: &str) {
        let sign = if coef < 0.0 { "-" } else { "+" };
        let a = coef.abs();
        let t = if a == 1.0 {
            format!("{sign} {what}")
        } else {
            format!("{sign} {} {what}", num(a))
        };
        self.raw(&t);
        self.terms += 1;
    }

    fn term_zero(&mut self, what: &str) {
        self.raw(&format!("0 {what}"));
        self.terms += 1;
    }

    fn constant(&mut self, c: f64) {
        let sign = if c < 0.0 { "-" } else { "+" };
        self.raw(&format!("{sign} {}", num(c.abs())));
        self.terms += 1;
    }

    fn empty(&self) -> bool {
        self.terms == 0
    }

    fn finish(self) -> String {
        let mut s = self.lines.join("\n");
        s.push('\n');
        s
    }
}

/// LP-safe, unique names for the variables (also used by the MPS writer).
pub(crate) fn lp_names(p: &ConicProblem) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(p.vars.len());
    for (j, v) in p.vars.iter().enumerate() {
        let mut s: String = v
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let s_trim = s.trim_matches('_').to_string();
        s = if s_trim.is_empty() {
            format!("x{j}")
        } else {
            s_trim
        };
        // Collapse runs of `_` from brackets and commas: `W[0,2]` → `W_0_2`.
        while s.contains("__") {
            s = s.replace("__", "_");
        }
        let bytes = s.as_bytes();
        let exp_like = matches!(bytes[0], b'e' | b'E')
            && bytes
                .get(1)
                .is_none_or(|b| b.is_ascii_digit() || matches!(b, b'e' | b'E'));
        if bytes[0].is_ascii_digit()
            || exp_like
            || RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&s))
        {
            s = format!("x_{s}");
        }
        s.truncate(200);
        let mut name = s.clone();
        let mut k = 1;
        while !seen.insert(name.to_ascii_lowercase()) {
            name = format!("{s}_{k}");
            k += 1;
        }
        out.push(name);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::conic::{ConicVar, Csc, Origin, Triplets};

    pub(crate) fn var(name: &str, integer: bool) -> ConicVar {
        ConicVar {
            name: name.into(),
            integer,
        }
    }

    #[test]
    fn names_are_sanitized_and_unique() {
        let p = ConicProblem {
            vars: vec![
                var("W1[0,2]", false),
                var("W1(0,2)", false),
                var("e1", false),
                var("3x", false),
                var("end", false),
                var("", false),
            ],
            p: Csc::zeros(6, 6),
            q: vec![0.0; 6],
            constant: 0.0,
            maximize: false,
            a: Csc::zeros(0, 6),
            b: vec![],
            cones: vec![],
            origins: vec![],
        };
        assert_eq!(
            lp_names(&p),
            ["W1_0_2", "W1_0_2_1", "x_e1", "x_3x", "x_end", "x5"]
        );
    }

    /// maximize x + 2y + 1 − (x² + xy)  s.t.  x + y = 4, y ≤ 3, y integer (stored negated:
    /// q = (−1, −2), c = −1, ½ xᵀPx = x² + xy): the problem both file writers are tested on.
    pub(crate) fn small_miqp() -> ConicProblem {
        let mut a = Triplets::new(2, 2);
        a.push(0, 0, 1.0);
        a.push(0, 1, 1.0);
        a.push(1, 1, 1.0);
        let mut pm = Triplets::new(2, 2);
        pm.push(0, 0, 2.0);
        pm.push(0, 1, 1.0);
        ConicProblem {
            vars: vec![var("x", false), var("y", true)],
            p: pm.into_csc(),
            q: vec![-1.0, -2.0],
            constant: -1.0,
            maximize: true,
            a: a.into_csc(),
            b: vec![4.0, 3.0],
            cones: vec![Cone::Zero(1), Cone::Nonneg(1)],
            origins: vec![Origin::default(), Origin::default()],
        }
    }

    #[test]
    fn writes_rows_bounds_objective_and_integers() {
        let p = small_miqp();
        let text = write(&p).expect("an LP");
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('\\')).collect();
        assert_eq!(
            body,
            [
                "Maximize",
                " obj: + x + 2 y + [ - 2 x ^ 2 - 2 x * y ] / 2 + 1",
                "Subject To",
                " c0: + x + y = 4",
                " c1: + y <= 3",
                "Bounds",
                " x free",
                " y free",
                "General",
                " y",
                "End",
            ]
        );
    }

    #[test]
    fn refuses_cones_lp_cannot_hold() {
        let p = ConicProblem {
            vars: vec![var("t", false)],
            p: Csc::zeros(1, 1),
            q: vec![1.0],
            constant: 0.0,
            maximize: false,
            a: Csc::zeros(3, 1),
            b: vec![0.0; 3],
            cones: vec![Cone::SecondOrder(3)],
            origins: vec![Origin {
                stage: "canon:norm2",
                lowering: "",
                label: "loss".into(),
                span: None,
            }],
        };
        let e = write(&p).expect_err("SOC is not LP");
        assert_eq!(e.code, "E0713");
        assert!(
            e.message.contains("second-order cone of size 3"),
            "{}",
            e.message
        );
        assert!(e.message.contains("canon:norm2 loss"), "{}", e.message);
    }
}
