//! The `--emit conic` text form of a [`ConicProblem`]: deterministic and readable.
//!
//! A header with sizes and non-zeros, the variables grouped by name, the objective
//! `½xᵀPx + qᵀx + c`, then the cone blocks in row order. Each row is printed as the slack
//! `sᵢ = bᵢ − (A x)ᵢ` that must lie in the cone. Consecutive blocks of the same cone and origin
//! are printed as one group whose header ends with `# file:line (stage) label`; long groups, long
//! runs of groups that differ only by label, and long rows are summarized, saying how much was
//! elided, so a problem with 10⁵ rows still prints in a screenful.
//! Numbers use a fixed format ([`fmt_num`]).

use std::fmt::Write as _;

use crate::conic::{Cone, ConicProblem, Origin};
use crate::diag::SourceMap;

/// Rows shown at the start of a long group.
const HEAD_ROWS: usize = 6;
/// Rows shown at the end of a long group.
const TAIL_ROWS: usize = 2;
/// Terms shown in one row.
const MAX_TERMS: usize = 8;
/// Blocks shown at the start of a long run of similar blocks.
const RUN_HEAD: usize = 3;
/// Blocks shown at the end of such a run.
const RUN_TAIL: usize = 1;
/// Entries of `P` and `q` shown.
const MAX_OBJ_TERMS: usize = 16;

/// A number in the fixed format used by every printed stage: integers as integers, others with
/// six significant decimals, very large or small magnitudes in exponent form.
pub fn fmt_num(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e12 {
        format!("{}", x as i64)
    } else if x.abs() >= 1e-4 && x.abs() < 1e6 {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:.6e}")
    }
}

fn cone_name(c: &Cone) -> String {
    match c {
        Cone::Zero(n) => format!("zero({n})"),
        Cone::Nonneg(n) => format!("nonneg({n})"),
        Cone::SecondOrder(n) => format!("soc({n})"),
        Cone::Exponential => "exp(3)".into(),
        Cone::Power(a) => format!("pow({}; 3)", fmt_num(*a)),
        Cone::PsdTriangle(n) => format!("psd({n}x{n}; {} rows)", n * (n + 1) / 2),
    }
}

fn origin_comment(o: &Origin, sources: &SourceMap) -> String {
    let loc = match o.span {
        Some(s) if sources.iter().any(|(id, _)| id == s.src) => sources.location(s),
        _ => "-".into(),
    };
    let stage = match (o.lowering, o.stage) {
        ("", "") => "?".to_string(),
        ("", s) => s.to_string(),
        (l, "") => l.to_string(),
        (l, s) => format!("{l}: {s}"),
    };
    if o.label.is_empty() {
        format!("# {loc} ({stage})")
    } else {
        format!("# {loc} ({stage}) {}", o.label)
    }
}

/// `c0 + Σ aⱼ nameⱼ`, at most `limit` terms (the rest counted).
fn linear_form(terms: &[(usize, f64)], c0: f64, names: &[String], limit: usize) -> String {
    let mut s = String::new();
    for (i, &(j, a)) in terms.iter().take(limit).enumerate() {
        let name = names.get(j).map_or("?", String::as_str);
        let (sign, mag) = if a < 0.0 { ("-", -a) } else { ("+", a) };
        if i == 0 {
            if a < 0.0 {
                s.push('-');
            }
        } else {
            let _ = write!(s, " {sign} ");
        }
        if mag == 1.0 {
            s.push_str(name);
        } else {
            let _ = write!(s, "{} {name}", fmt_num(mag));
        }
    }
    if terms.len() > limit {
        let _ = write!(s, " + … ({} more terms)", terms.len() - limit);
    }
    if c0 != 0.0 || terms.is_empty() {
        if terms.is_empty() {
            s.push_str(&fmt_num(c0));
        } else if c0 < 0.0 {
            let _ = write!(s, " - {}", fmt_num(-c0));
        } else {
            let _ = write!(s, " + {}", fmt_num(c0));
        }
    }
    s
}

/// The name of a column without its index: `W1[0,2]` → `W1`.
/// Auxiliary columns (`_t3`, `_t4[0]`) also drop their block number, so consecutive
/// auxiliaries of one kind are listed as one range.
fn stem(name: &str) -> &str {
    let s = name.split('[').next().unwrap_or(name);
    if s.starts_with('_') {
        s.trim_end_matches(|c: char| c.is_ascii_digit())
    } else {
        s
    }
}

/// Prints the problem (see the module docs).
pub fn print(p: &ConicProblem, sources: &SourceMap) -> String {
    let mut out = String::new();
    let names: Vec<String> = p.vars.iter().map(|v| v.name.clone()).collect();
    let count = |f: fn(&Cone) -> bool| {
        p.cones
            .iter()
            .filter(|c| f(c))
            .map(Cone::dim)
            .sum::<usize>()
    };
    let _ = writeln!(
        out,
        "conic problem: {} variables, {} rows, {} cone blocks, nnz(A) = {}, nnz(P) = {}",
        p.num_vars(),
        p.num_rows(),
        p.cones.len(),
        p.a.nnz(),
        p.p.nnz()
    );
    let _ = writeln!(
        out,
        "rows by cone: zero {}, nonneg {}, soc {}, exp {}, pow {}, psd {}",
        count(|c| matches!(c, Cone::Zero(_))),
        count(|c| matches!(c, Cone::Nonneg(_))),
        count(|c| matches!(c, Cone::SecondOrder(_))),
        count(|c| matches!(c, Cone::Exponential)),
        count(|c| matches!(c, Cone::Power(_))),
        count(|c| matches!(c, Cone::PsdTriangle(_))),
    );

    out.push_str("variables:\n");
    let mut start = 0;
    while start < p.vars.len() {
        let s0 = stem(&p.vars[start].name);
        let int = p.vars[start].integer;
        let mut end = start + 1;
        while end < p.vars.len() && stem(&p.vars[end].name) == s0 && p.vars[end].integer == int {
            end += 1;
        }
        let kind = if int { " integer" } else { "" };
        if end - start == 1 {
            let _ = writeln!(out, "  {}{kind}  (column {start})", p.vars[start].name);
        } else {
            let _ = writeln!(
                out,
                "  {} .. {}{kind}  ({} columns {}..{})",
                p.vars[start].name,
                p.vars[end - 1].name,
                end - start,
                start,
                end - 1
            );
        }
        start = end;
    }

    let _ = writeln!(
        out,
        "minimize ½xᵀPx + qᵀx + c{}",
        if p.maximize {
            "  (a maximization, negated)"
        } else {
            ""
        }
    );
    let pterms: Vec<String> =
        p.p.iter()
            .take(MAX_OBJ_TERMS)
            .map(|(i, j, v)| {
                let n = |k: usize| names.get(k).map_or("?", String::as_str);
                format!("{}·{}: {}", n(i), n(j), fmt_num(v))
            })
            .collect();
    if !pterms.is_empty() {
        let more = p.p.nnz().saturating_sub(MAX_OBJ_TERMS);
        let _ = writeln!(
            out,
            "  P: {}{}",
            pterms.join(", "),
            if more > 0 {
                format!(", … ({more} more entries)")
            } else {
                String::new()
            }
        );
    }
    let q: Vec<(usize, f64)> =
        p.q.iter()
            .copied()
            .enumerate()
            .filter(|t| t.1 != 0.0)
            .collect();
    let _ = writeln!(
        out,
        "  q·x + c: {}",
        linear_form(&q, p.constant, &names, MAX_OBJ_TERMS)
    );

    // Rows of A (CSC → per-row term lists), O(nnz).
    let m = p.num_rows();
    let mut row_ptr = vec![0usize; m + 1];
    for &r in &p.a.rowval {
        if r < m {
            row_ptr[r + 1] += 1;
        }
    }
    for r in 0..m {
        row_ptr[r + 1] += row_ptr[r];
    }
    let mut fill = row_ptr.clone();
    let mut terms = vec![(0usize, 0.0f64); row_ptr[m]];
    for (r, c, v) in p.a.iter() {
        if r < m {
            terms[fill[r]] = (c, -v);
            fill[r] += 1;
        }
    }
    let row = |r: usize| -> String {
        linear_form(
            &terms[row_ptr[r]..row_ptr[r + 1]],
            p.b[r],
            &names,
            MAX_TERMS,
        )
    };

    out.push_str("subject to  (rows are s = b − A x)\n");
    // Groups: consecutive blocks with the same cone and origin.
    let mut groups: Vec<(usize, usize, usize, usize)> = Vec::new(); // (k, end, first_row, last_row)
    let mut first_row = 0;
    let mut k = 0;
    while k < p.cones.len() {
        let mut end = k + 1;
        while end < p.cones.len()
            && p.cones[end] == p.cones[k]
            && p.origins.get(end) == p.origins.get(k)
        {
            end += 1;
        }
        let rows: usize = p.cones[k..end].iter().map(Cone::dim).sum();
        let last_row = (first_row + rows).min(m);
        groups.push((k, end, first_row, last_row));
        first_row = last_row;
        k = end;
    }
    let print_group =
        |out: &mut String, &(k, end, first_row, last_row): &(usize, usize, usize, usize)| {
            let times = if end - k > 1 {
                format!(" × {}", end - k)
            } else {
                String::new()
            };
            let comment = p
                .origins
                .get(k)
                .map_or_else(String::new, |o| origin_comment(o, sources));
            let _ = writeln!(
                out,
                "  {}{times} in rows {}..{}  {comment}",
                cone_name(&p.cones[k]),
                first_row,
                last_row.saturating_sub(1)
            );
            let n = last_row - first_row;
            if n <= HEAD_ROWS + TAIL_ROWS + 1 {
                for r in first_row..last_row {
                    let _ = writeln!(out, "    {}", row(r));
                }
            } else {
                for r in first_row..first_row + HEAD_ROWS {
                    let _ = writeln!(out, "    {}", row(r));
                }
                let _ = writeln!(out, "    … ({} rows elided)", n - HEAD_ROWS - TAIL_ROWS);
                for r in last_row - TAIL_ROWS..last_row {
                    let _ = writeln!(out, "    {}", row(r));
                }
            }
        };
    // Runs: consecutive groups of the same cone, stage and span that differ only by label
    // (e.g. one sign constraint per pattern); long runs show their first and last groups.
    let same = |a: usize, b: usize| {
        let (oa, ob) = (p.origins.get(a), p.origins.get(b));
        p.cones[a] == p.cones[b] && oa.map(|o| (o.stage, o.span)) == ob.map(|o| (o.stage, o.span))
    };
    let mut g = 0;
    while g < groups.len() {
        let mut end = g + 1;
        while end < groups.len() && same(groups[end].0, groups[g].0) {
            end += 1;
        }
        if end - g <= RUN_HEAD + RUN_TAIL + 1 {
            for grp in &groups[g..end] {
                print_group(&mut out, grp);
            }
        } else {
            for grp in &groups[g..g + RUN_HEAD] {
                print_group(&mut out, grp);
            }
            let (from, to) = (g + RUN_HEAD, end - RUN_TAIL);
            let label = |i: usize| p.origins.get(groups[i].0).map_or("", |o| o.label.as_str());
            let _ = writeln!(
                out,
                "  … ({} similar blocks elided, rows {}..{}, labels `{}` .. `{}`)",
                to - from,
                groups[from].2,
                groups[to - 1].3.saturating_sub(1),
                label(from),
                label(to - 1)
            );
            for grp in &groups[to..end] {
                print_group(&mut out, grp);
            }
        }
        g = end;
    }
    out
}
