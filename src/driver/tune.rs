//! `cnnc tune FILE --over NAME=VALUES`: one named constant swept over values, a training run
//! for each, and the value whose network does best on the validation rows.
//!
//! The criterion is the validation MSE for numeric targets and the validation balanced error
//! (the mean of the per-class error rates) for classes; ties go to the earlier value. With
//! `adam`, the first restart of each value after the first begins from the previous value's
//! network ([`super::train::train_from`]); the lowered methods solve each value from scratch
//! (Clarabel has no warm start).

use std::fmt::Write as _;

use serde::Serialize;

use super::report::{num, Report};
use crate::nn::metrics::{DatasetMetrics, Metrics};

/// The most values one sweep takes.
pub const MAX_VALUES: usize = 1000;

/// `NAME=v1,v2,…` or `NAME=LO..HI:COUNT` (COUNT values from LO to HI, evenly spaced on a log
/// scale; LO and HI positive).
pub fn parse_over(s: &str) -> Result<(String, Vec<f64>), String> {
    let usage =
        "expected NAME=v1,v2,… or NAME=LO..HI:COUNT, e.g. `beta=0.01,0.1,1` or `beta=0.001..10:5`";
    let (name, spec) = s.split_once('=').ok_or(usage)?;
    let name = name.trim();
    if name.is_empty() || spec.trim().is_empty() {
        return Err(usage.into());
    }
    let number = |t: &str| -> Result<f64, String> {
        match t.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("`{}` is not a finite number ({usage})", t.trim())),
        }
    };
    let values = if let Some((range, count)) = spec.split_once(':') {
        let (lo, hi) = range.split_once("..").ok_or(usage)?;
        let (lo, hi) = (number(lo)?, number(hi)?);
        let count: usize = count
            .trim()
            .parse()
            .map_err(|_| format!("`{}` is not a count ({usage})", count.trim()))?;
        if !(lo > 0.0 && hi > 0.0) {
            return Err(format!(
                "a log range needs positive ends, not {lo} and {hi}"
            ));
        }
        if !(2..=MAX_VALUES).contains(&count) {
            return Err(format!(
                "a range takes 2 to {MAX_VALUES} values, not {count}"
            ));
        }
        let (a, b) = (lo.log10(), hi.log10());
        (0..count)
            .map(|k| match k {
                // The ends exactly as written, the rest to 12 significant digits (`100`, not
                // `100.00000000000004`).
                0 => lo,
                k if k == count - 1 => hi,
                _ => {
                    let v = 10f64.powf(a + (b - a) * k as f64 / (count - 1) as f64);
                    format!("{v:.11e}").parse().unwrap_or(v)
                }
            })
            .collect()
    } else {
        spec.split(',').map(number).collect::<Result<Vec<_>, _>>()?
    };
    if values.len() > MAX_VALUES {
        return Err(format!("at most {MAX_VALUES} values, not {}", values.len()));
    }
    Ok((name.to_string(), values))
}

/// What the sweep ranks by, in words (`validation MSE`).
pub fn criterion(m: &DatasetMetrics) -> &'static str {
    match m.train {
        Metrics::Regression(_) => "validation MSE",
        Metrics::Classification(_) => "validation balanced error",
    }
}

/// The validation score of a run (lower is better), if it has validation rows.
pub fn score(r: &Report) -> Option<f64> {
    match r.metrics.as_ref()?.validation.as_ref()? {
        Metrics::Regression(m) => Some(m.mse),
        Metrics::Classification(c) => Some(c.balanced_error),
    }
    .filter(|s| s.is_finite())
}

/// One value's run: its report, or why it has none.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// The constant's value.
    pub value: f64,
    /// The status (`optimal`, `trained`, `primal_infeasible`, `not run (E…)`).
    pub status: String,
    /// The validation score (lower is better).
    pub score: Option<f64>,
    /// The training report, when the run produced a network.
    pub report: Option<Report>,
}

/// The index of the best run: the lowest score, the earlier on ties.
pub fn best(runs: &[Run]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, r) in runs.iter().enumerate() {
        if let Some(s) = r.score {
            if best.is_none_or(|(_, b)| s < b) {
                best = Some((i, s));
            }
        }
    }
    best.map(|(i, _)| i)
}

/// The main metric of one part: MSE, or the balanced error for classes.
fn part(m: Option<&Metrics>) -> String {
    match m {
        Some(Metrics::Regression(r)) => num(r.mse),
        Some(Metrics::Classification(c)) => format!("{:.4}", c.balanced_error),
        None => "-".into(),
    }
}

/// The readable table: one row per value, the best marked.
pub fn table(name: &str, runs: &[Run], best: Option<usize>) -> String {
    let metric = runs
        .iter()
        .find_map(|r| r.report.as_ref()?.metrics.as_ref().map(criterion))
        .map_or("MSE", |c| {
            if c.ends_with("MSE") {
                "MSE"
            } else {
                "bal. error"
            }
        });
    let value = |r: &Run| crate::syntax::print::format_number(r.value);
    // The first column fits the constant's name and its longest value.
    let w = runs
        .iter()
        .map(|r| value(r).len())
        .chain([name.len(), 12])
        .max()
        .unwrap_or(12);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<w$} {:<16} {:>14} {:>14} {:>14} {:>14} {:>8} {:>9}",
        name,
        "status",
        "objective",
        format!("train {metric}"),
        format!("valid. {metric}"),
        format!("test {metric}"),
        "neurons",
        "seconds"
    );
    for (i, r) in runs.iter().enumerate() {
        let rep = r.report.as_ref();
        let metrics = rep.and_then(|p| p.metrics.as_ref());
        let neurons = rep
            .map(|p| {
                p.widths
                    .get(1..p.widths.len().saturating_sub(1))
                    .unwrap_or(&[])
            })
            .map(|w| {
                w.iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join("+")
            })
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "{:<w$} {:<16} {:>14} {:>14} {:>14} {:>14} {:>8} {:>9.3}{}",
            value(r),
            r.status.replace('_', " "),
            rep.and_then(|p| p.objective).map_or("-".into(), num),
            part(metrics.map(|m| &m.train)),
            part(metrics.and_then(|m| m.validation.as_ref())),
            part(metrics.and_then(|m| m.test.as_ref())),
            neurons,
            rep.map_or(0.0, |p| p.compile_seconds + p.solve_seconds),
            if best == Some(i) { "  <- best" } else { "" }
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_log_ranges() {
        assert_eq!(
            parse_over("beta=0.01, 0.1,1").unwrap(),
            ("beta".to_string(), vec![0.01, 0.1, 1.0])
        );
        let (_, v) = parse_over("beta=0.001..10:5").unwrap();
        assert_eq!(v.len(), 5);
        assert_eq!(v, vec![1e-3, 1e-2, 1e-1, 1.0, 10.0]);
        let (_, v) = parse_over("beta=1..2:3").unwrap();
        assert!((v[1] - 2f64.sqrt()).abs() < 1e-11, "{v:?}");
        for bad in [
            "beta",
            "=1",
            "beta=",
            "beta=1,x",
            "beta=0..1:3",
            "beta=1..2:1",
            "beta=1..2:x",
            "beta=inf",
        ] {
            assert!(parse_over(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_best_is_the_lowest_score_and_the_first_of_equals() {
        let run = |score: Option<f64>| Run {
            value: 0.0,
            status: "optimal".into(),
            score,
            report: None,
        };
        let runs = vec![run(None), run(Some(2.0)), run(Some(1.0)), run(Some(1.0))];
        assert_eq!(best(&runs), Some(2));
        assert_eq!(best(&runs[..2]), Some(1));
        assert_eq!(best(&[run(None)]), None);
    }

    #[test]
    fn a_long_value_widens_the_first_column_and_keeps_the_others_aligned() {
        let run = |value: f64| Run {
            value,
            status: "not run (E1204)".into(),
            score: None,
            report: None,
        };
        let t = table("beta", &[run(94.8683298051), run(1.0)], None);
        let starts: Vec<usize> = t.lines().map(|l| l.find("not run").unwrap_or(0)).collect();
        // The header's `status` and both rows' statuses start in the same column, after the
        // 13 characters of the long value and a space.
        assert_eq!(t.lines().next().unwrap().find("status"), Some(14), "{t}");
        assert_eq!(starts[1..], [14, 14], "{t}");
    }
}
