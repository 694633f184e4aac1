//! `--emit mps`: free MPS, the file every LP/MILP solver reads, for problems whose cones are all
//! zero or nonnegative cones (the same problems as `--emit lp`):
//!
//! ```text
//! NAME cnnc
//! OBJSENSE
//!     MIN                        (MAX when the model maximizes)
//! ROWS
//!  N obj                         the objective
//!  E c<r>                        a zero-cone row         a·x = b
//!  L c<r>                        a nonnegative-cone row  a·x <= b
//! COLUMNS
//!  <col> <row> <value>           one entry per line, column by column;
//!  MARKER 'MARKER' 'INTORG'      integer columns between these two lines
//!  MARKER 'MARKER' 'INTEND'
//! RHS
//!  RHS <row> <b>                 the non-zero right-hand sides; `RHS obj −c` for the constant c
//! BOUNDS
//!  FR BND <col>                  every column free
//! QUADOBJ
//!  <col i> <col j> <P_ij>        i ≤ j, once per pair: the objective's ½ xᵀPx
//! ENDATA
//! ```
//!
//! A maximization is written as `MAX` of the model's own objective (the stored `q`, `P` and `c`
//! negated back), as `--emit lp` writes `Maximize`. The objective constant `c` is the *negated*
//! right-hand side of the objective row: CPLEX documents this ("use the negative value of the
//! offset"), and HiGHS reads `offset = −rhs`. Every column is declared `FR`, since MPS columns
//! default to `x ≥ 0`; integer columns too, because HiGHS takes an integer column without bounds
//! for a binary one, and `FR` makes it an integer without bounds. A column without any entry is
//! written as `<col> obj 0` so it still exists. A `<=` row whose right side is +inf is left out
//! with its entries (a comment says so), as `--emit lp` does; a row without entries is kept
//! (`0 = b` or `0 <= b`). Names are `--emit lp`'s (letters, digits and `_`, unique) with the same
//! comment block mapping them back (MPS comments start with `*`); rows are `c0, c1, …`; the bound
//! set is `BND` (`BND_` if a column is called `BND`, which no sanitized name ends like). Another
//! cone is E0713, any other non-finite right-hand side E0714.

use std::fmt::Write as _;

use super::cbf::num;
use super::lp::{check_linear_cones, lp_names, name_comments};
use crate::conic::{Cone, ConicProblem};
use crate::diag::Diagnostic;

/// Writes `p` in free MPS format, or explains which cone or number MPS cannot hold.
pub fn write(p: &ConicProblem) -> Result<String, Diagnostic> {
    check_linear_cones(p, "the MPS format as written by cnnc", "cnnc's MPS files")?;
    let names = lp_names(p);
    let sign = if p.maximize { -1.0 } else { 1.0 };

    // The row types, `None` for a row left out.
    let mut kinds: Vec<Option<char>> = Vec::with_capacity(p.num_rows());
    for cone in &p.cones {
        let kind = if matches!(cone, Cone::Zero(_)) {
            'E'
        } else {
            'L'
        };
        for _ in 0..cone.dim() {
            let r = kinds.len();
            let b = p.b.get(r).copied().unwrap_or(0.0);
            if kind == 'L' && b == f64::INFINITY {
                kinds.push(None);
            } else if b.is_finite() {
                kinds.push(Some(kind));
            } else {
                return Err(Diagnostic::error(
                    "E0714",
                    format!("row {r} has the right-hand side {b}, which an MPS file cannot hold"),
                ));
            }
        }
    }
    let kept = |r: usize| kinds.get(r).copied().flatten().is_some();

    let mut out = String::new();
    let _ = writeln!(out, "* Free MPS format, written by cnnc.");
    name_comments(&mut out, p, &names, "*", "MPS");
    out.push_str("NAME cnnc\nOBJSENSE\n");
    out.push_str(if p.maximize { "    MAX\n" } else { "    MIN\n" });

    out.push_str("ROWS\n N obj\n");
    for (r, kind) in kinds.iter().enumerate() {
        match kind {
            Some(k) => {
                let _ = writeln!(out, " {k} c{r}");
            }
            None => {
                let _ = writeln!(out, "* c{r}: no bound (right-hand side +inf)");
            }
        }
    }

    out.push_str("COLUMNS\n");
    let mut in_integers = false;
    for (j, name) in names.iter().enumerate() {
        let integer = p.vars[j].integer;
        if integer != in_integers {
            let which = if integer { "INTORG" } else { "INTEND" };
            let _ = writeln!(out, " MARKER 'MARKER' '{which}'");
            in_integers = integer;
        }
        let start = out.len();
        let q = p.q.get(j).copied().unwrap_or(0.0);
        if q != 0.0 {
            let _ = writeln!(out, " {name} obj {}", num(sign * q));
        }
        let (lo, hi) = (p.a.colptr[j], p.a.colptr[j + 1]);
        for k in lo..hi {
            let (r, v) = (p.a.rowval[k], p.a.nzval[k]);
            if v != 0.0 && kept(r) {
                let _ = writeln!(out, " {name} c{r} {}", num(v));
            }
        }
        if out.len() == start {
            let _ = writeln!(out, " {name} obj 0");
        }
    }
    if in_integers {
        out.push_str(" MARKER 'MARKER' 'INTEND'\n");
    }

    out.push_str("RHS\n");
    if p.constant != 0.0 {
        let _ = writeln!(out, " RHS obj {}", num(-sign * p.constant));
    }
    for (r, &b) in p.b.iter().enumerate() {
        if b != 0.0 && kept(r) {
            let _ = writeln!(out, " RHS c{r} {}", num(b));
        }
    }

    out.push_str("BOUNDS\n");
    let set = if names.iter().any(|n| n == "BND") {
        "BND_"
    } else {
        "BND"
    };
    for name in &names {
        let _ = writeln!(out, " FR {set} {name}");
    }

    let mut quad: Vec<(usize, usize, f64)> =
        p.p.iter().filter(|&(r, c, v)| r <= c && v != 0.0).collect();
    if !quad.is_empty() {
        quad.sort_by_key(|&(r, c, _)| (r, c));
        out.push_str("QUADOBJ\n");
        for (r, c, v) in quad {
            let _ = writeln!(out, " {} {} {}", names[r], names[c], num(sign * v));
        }
    }
    out.push_str("ENDATA\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conic::{ConicVar, Csc, Origin, Triplets};

    fn var(name: &str, integer: bool) -> ConicVar {
        ConicVar {
            name: name.into(),
            integer,
        }
    }

    /// The lines that are not comments.
    fn body(text: &str) -> Vec<&str> {
        text.lines().filter(|l| !l.starts_with('*')).collect()
    }

    #[test]
    fn writes_rows_columns_bounds_objective_and_integers() {
        // The problem of lp.rs's test.
        let p = crate::conic::lp::tests::small_miqp();
        let text = write(&p).expect("an MPS file");
        assert_eq!(
            body(&text),
            [
                "NAME cnnc",
                "OBJSENSE",
                "    MAX",
                "ROWS",
                " N obj",
                " E c0",
                " L c1",
                "COLUMNS",
                " x obj 1",
                " x c0 1",
                " MARKER 'MARKER' 'INTORG'",
                " y obj 2",
                " y c0 1",
                " y c1 1",
                " MARKER 'MARKER' 'INTEND'",
                "RHS",
                // The constant +1 of the maximized objective, negated.
                " RHS obj -1",
                " RHS c0 4",
                " RHS c1 3",
                "BOUNDS",
                " FR BND x",
                " FR BND y",
                "QUADOBJ",
                // ½ (-2 x² - 2 xy) = -(x² + xy).
                " x x -2",
                " x y -1",
                "ENDATA",
            ]
        );
        assert!(text.contains("*   c0..c0 (1 rows):"), "{text}");
    }

    #[test]
    fn skips_unbounded_rows_keeps_empty_ones_and_names_the_bound_set() {
        // minimize 3 BND + 2  s.t.  BND <= +inf (left out), 0 <= 5 (an empty row), BND - z = 0;
        // the integers `z` (in the zero row only) and `w` (in nothing).
        let mut a = Triplets::new(3, 3);
        a.push(0, 0, 1.0);
        a.push(2, 0, 1.0);
        a.push(2, 1, -1.0);
        let p = ConicProblem {
            vars: vec![var("BND", false), var("z", true), var("w", true)],
            p: Csc::zeros(3, 3),
            q: vec![3.0, 0.0, 0.0],
            constant: 2.0,
            maximize: false,
            a: a.into_csc(),
            b: vec![f64::INFINITY, 5.0, 0.0],
            cones: vec![Cone::Nonneg(2), Cone::Zero(1)],
            origins: vec![Origin::default(), Origin::default()],
        };
        let text = write(&p).expect("an MPS file");
        assert_eq!(
            body(&text),
            [
                "NAME cnnc",
                "OBJSENSE",
                "    MIN",
                "ROWS",
                " N obj",
                " L c1",
                " E c2",
                "COLUMNS",
                " BND obj 3",
                " BND c2 1",
                " MARKER 'MARKER' 'INTORG'",
                " z c2 -1",
                " w obj 0",
                " MARKER 'MARKER' 'INTEND'",
                "RHS",
                " RHS obj -2",
                " RHS c1 5",
                "BOUNDS",
                " FR BND_ BND",
                " FR BND_ z",
                " FR BND_ w",
                "ENDATA",
            ]
        );
        assert!(
            text.contains("* c0: no bound (right-hand side +inf)\n"),
            "{text}"
        );
    }

    #[test]
    fn refuses_cones_and_infinite_right_sides() {
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
        let e = write(&p).expect_err("SOC is not MPS");
        assert_eq!(e.code, "E0713");
        assert_eq!(
            e.message,
            "the MPS format as written by cnnc cannot hold a second-order cone of size 3 \
             (cone block 0: canon:norm2 loss)"
        );
        let p = ConicProblem {
            b: vec![f64::NEG_INFINITY],
            a: Csc::zeros(1, 1),
            cones: vec![Cone::Nonneg(1)],
            origins: vec![Origin::default()],
            ..p
        };
        let e = write(&p).expect_err("-inf");
        assert_eq!(e.code, "E0714");
        assert!(e.message.contains("row 0"), "{}", e.message);
    }
}
