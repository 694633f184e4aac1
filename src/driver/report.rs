//! The training report: the same facts as readable text (`cnnc train`) or one JSON object
//! (`--report json`), computed from a [`Trained`] by a forward pass of the trained network.

use std::fmt::Write as _;

use serde::Serialize;

use super::train::{Sizes, Trained};
use crate::conic::ConicProblem;
use crate::diag::Diagnostic;
use crate::lower::{Exactness, Measure, PatternInfo};
use crate::nn::metrics::{dataset_metrics, relative_difference, DatasetMetrics, Metrics};
use crate::nn::{eval, network::DenseNet};
use crate::sema::options::method_name;

/// For a method whose program is exact (of the model or of a restriction of it), the recovered
/// network must reproduce the convex optimum to this relative accuracy; a larger difference is
/// a bug and the report says so.
pub const GAP_TOLERANCE: f64 = 1e-6;

/// Differences below this are not a bug whatever their relative size (two objectives near 0,
/// as with no weight decay): the solvers' default absolute gap.
pub const GAP_ABSOLUTE: f64 = 1e-8;

/// One hard constraint at the answer: its value, slack and multiplier.
#[derive(Clone, Debug, Serialize)]
pub struct ConstraintReport {
    /// Name (`class_error[benign]`).
    pub name: String,
    /// The left-hand side at the worst entry.
    pub value: f64,
    /// The smallest slack over its entries; negative when violated.
    pub slack: f64,
    /// The solver's multiplier of the constraint (largest over its entries): what the optimum
    /// gains per unit the constraint is loosened (an inequality's is ≥ 0) or its right-hand
    /// side raised (an equality). `None` when no solver gave duals, or for a constraint whose
    /// rows are not the model's comparison itself (a `sum_squares` bound, a lowered one).
    pub dual: Option<f64>,
    /// Whether it holds (to 1e-6 relative to its scale).
    pub satisfied: bool,
}

/// Every constraint of `model` at `values`, with the multipliers `z` of the program `p` that
/// produced them when there are some.
pub fn constraint_reports(
    model: &crate::model::Model,
    values: &crate::nn::Values,
    duals: Option<(&ConicProblem, &[f64])>,
) -> Result<Vec<ConstraintReport>, crate::nn::EvalError> {
    let multipliers = duals.map(|(p, z)| multipliers(p, z)).unwrap_or_default();
    Ok(eval::slacks(model, values)?
        .into_iter()
        .map(|s| ConstraintReport {
            satisfied: s.satisfied(1e-6 * (1.0 + s.slack.abs())),
            dual: multipliers.get(s.name.as_str()).copied(),
            value: s.value,
            name: s.name,
            slack: s.slack,
        })
        .collect())
}

/// The multiplier of every model constraint of `p` by name, from the blocks that are its
/// comparison: `canon:le` rows `s = r − l` (their `z ≥ 0`), `canon:eq` rows `s = l − r`
/// (their `−z`), and the bound row of `canon:norm2` (`(r, x) ∈ SOC`, its `z₀`). With the
/// solver's optimality condition `Px + q + Aᵀz = 0`, `∂ optimum / ∂ b = −z`; these signs turn
/// that into the gain per unit of loosening. Blocks of a lowering are not the model's.
fn multipliers<'p>(p: &'p ConicProblem, z: &[f64]) -> std::collections::HashMap<&'p str, f64> {
    let mut out: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
    let mut row = 0;
    for (cone, o) in p.cones.iter().zip(&p.origins) {
        let rows = z.get(row..row + cone.dim()).unwrap_or(&[]);
        row += cone.dim();
        if !o.lowering.is_empty() || o.label.is_empty() {
            continue;
        }
        let (sign, rows) = match o.stage {
            "canon:le" => (1.0, rows),
            "canon:eq" => (-1.0, rows),
            "canon:norm2" => (1.0, rows.get(..1).unwrap_or(&[])),
            _ => continue,
        };
        for &v in rows {
            let e = out.entry(o.label.as_str()).or_insert(0.0);
            if (sign * v).abs() > e.abs() {
                *e = sign * v;
            }
        }
    }
    out
}

/// Everything a training run reports.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The solver status in snake case (`optimal`, `almost_optimal`, …) or `trained`
    /// (gradient method).
    pub status: String,
    /// The method.
    pub method: String,
    /// How the answer relates to the model.
    pub exactness: String,
    /// The optimum of the convex program, or the best objective of a gradient method.
    pub objective: Option<f64>,
    /// The model's (non-convex) objective recomputed by a forward pass of the trained network.
    pub network_objective: Option<f64>,
    /// `|objective − network_objective| / max(|·|)`.
    pub relative_difference: Option<f64>,
    /// Seconds lowering and assembling.
    pub compile_seconds: f64,
    /// Seconds in the solver or training loop.
    pub solve_seconds: f64,
    /// The conic problem's size.
    pub sizes: Option<Sizes>,
    /// Pattern-method details.
    pub patterns: Option<PatternInfo>,
    /// The optimality certificate (pattern method): lower and upper bounds and their gap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<crate::lower::Certificate>,
    /// What a sequential lowering adds (Convex-NN: monotonicity, bounds, tightenings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lowering: Option<serde_json::Value>,
    /// The lowering's measure of the trained values against the model as written.
    #[serde(skip)]
    pub measure: Option<Measure>,
    /// The lowering's text block.
    #[serde(skip)]
    pub block: Vec<String>,
    /// How the answer relates to the model, for the report's wording.
    #[serde(skip)]
    pub kind: Exactness,
    /// Train and test metrics of the network's dataset.
    pub metrics: Option<DatasetMetrics>,
    /// Every hard constraint's slack.
    pub constraints: Vec<ConstraintReport>,
    /// Final objective of each restart (gradient methods).
    pub restarts: Vec<f64>,
    /// Widths of the trained network, input to output.
    pub widths: Vec<usize>,
    /// One record per pass of a lowered method's training loop.
    pub iterations: Vec<super::train::Iteration>,
    /// Why the training loop stopped (lowered methods).
    pub stop_reason: Option<String>,
    /// The final violation of the model's equations, for a method that measures one.
    pub violation: Option<f64>,
    /// Warnings and facts.
    pub notes: Vec<String>,
}

/// Builds the report of a training run.
pub fn report(t: &Trained) -> Result<Report, Vec<Diagnostic>> {
    let diag = |e: crate::nn::EvalError| vec![e.to_diagnostic()];
    // The objective as written (maximized objectives are not negated).
    let network_objective = match &t.model.objective {
        Some(_) => Some(eval::objective(&t.model, &t.values).map_err(diag)?),
        None => None,
    };
    let objective = t.convex_objective.or(network_objective);
    let relative = match (t.convex_objective, network_objective) {
        (Some(a), Some(b)) => Some(relative_difference(a, b)),
        _ => None,
    };
    let mut notes = t.notes.clone();
    notes.extend(gap_note(
        t.exactness,
        mismatch(t.convex_objective, network_objective),
        t.measure.as_ref(),
    ));
    let network = DenseNet::from_model(&t.model, t.net, &t.values).map_err(diag)?;
    let metrics = match t.model.networks[t.net.0].input {
        Some(d) => dataset_metrics(&t.model.datasets[d.0], |x| network.forward(x)).map_err(diag)?,
        None => None,
    };
    let constraints = constraint_reports(&t.model, &t.values, t.duals()).map_err(diag)?;
    let net = &t.model.networks[t.net.0];
    Ok(Report {
        status: t
            .status
            .map_or("trained".to_string(), |s| s.key().to_string()),
        method: method_name(t.method).to_string(),
        exactness: t.exactness.describe().to_string(),
        objective,
        network_objective,
        relative_difference: relative,
        compile_seconds: t.compile_seconds,
        solve_seconds: t.solve_seconds,
        sizes: t.sizes.clone(),
        patterns: t.patterns.clone(),
        certificate: t.certificate.clone(),
        lowering: t.lowering.clone(),
        measure: t.measure.clone(),
        block: t.block.clone(),
        kind: t.exactness,
        metrics,
        constraints,
        restarts: t.restarts.clone(),
        widths: std::iter::once(net.inputs)
            .chain(net.layers.iter().map(|l| l.outputs))
            .collect(),
        iterations: t.iterations.clone(),
        stop_reason: t.stop_reason.map(str::to_string),
        violation: t.measure.as_ref().filter(|m| m.violation).map(|m| m.value),
        notes,
    })
}

/// The relative difference of the program's optimum `convex` and the trained network's
/// objective `network` when their absolute difference is above [`GAP_ABSOLUTE`] (below it two
/// objectives near 0 agree whatever their ratio).
pub fn mismatch(convex: Option<f64>, network: Option<f64>) -> Option<f64> {
    let (a, b) = (convex?, network?);
    ((a - b).abs() > GAP_ABSOLUTE).then(|| relative_difference(a, b))
}

/// Whether `recovered`'s network misses the program's optimum `convex` by more than
/// [`GAP_TOLERANCE`] (past [`GAP_ABSOLUTE`]): for an exact program, [`gap_note`]'s bug.
pub fn misses_optimum(convex: Option<f64>, recovered: &crate::lower::Recovered) -> bool {
    let network = recovered
        .model
        .objective
        .as_ref()
        .and_then(|_| eval::objective(&recovered.model, &recovered.values).ok());
    mismatch(convex, network).is_some_and(|r| r > GAP_TOLERANCE)
}

/// The note on the gap between the program's answer and the trained values: a bug above
/// [`GAP_TOLERANCE`] for a program exact for the model (or a restriction of it), the measured
/// gap or violation for a relaxation or a heuristic.
pub fn gap_note(
    kind: Exactness,
    relative: Option<f64>,
    measure: Option<&Measure>,
) -> Option<String> {
    if kind.reproduces_optimum() {
        let r = relative.filter(|r| *r > GAP_TOLERANCE)?;
        return Some(format!(
            "BUG: the recovered network's objective differs from the convex optimum by {r:.2e} (relative), more than the solver accuracy {GAP_TOLERANCE:.0e}; please report it with this model"
        ));
    }
    let m = measure?;
    Some(format!(
        "{}: measured {} {:.2e} between the program's answer and the model as written",
        kind.describe(),
        m.name,
        m.value
    ))
}

/// A number as the reports print it: six decimals, or six significant digits far from 1.
pub(crate) fn num(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e6) {
        format!("{x:.6e}")
    } else {
        format!("{x:.6}")
    }
}

/// The readable form.
pub fn text(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "method     {} ({})", r.method, r.exactness);
    let _ = writeln!(s, "status     {}", r.status.replace('_', " "));
    for line in &r.block {
        let _ = writeln!(s, "{line}");
    }
    if let Some(z) = &r.sizes {
        let _ = writeln!(
            s,
            "problem    {} variables, {} rows in {} cones, {} non-zeros",
            z.variables, z.rows, z.cones, z.nonzeros
        );
    }
    let _ = writeln!(
        s,
        "time       compile {:.3} s, solve {:.3} s",
        r.compile_seconds, r.solve_seconds
    );
    let widths: Vec<String> = r.widths.iter().map(|w| w.to_string()).collect();
    let _ = writeln!(s, "network    {}", widths.join(" -> "));
    match (r.objective, r.network_objective, r.relative_difference) {
        (Some(o), Some(n), Some(d)) => {
            // Only a program exact for the model (or for a restriction of it) has an optimum
            // the network reaches; a relaxation's is a bound, a heuristic's a last iterate.
            let what = match r.kind {
                Exactness::Exact | Exactness::Restriction => "convex optimum",
                Exactness::Relaxation => "relaxation bound",
                Exactness::Heuristic => "last program",
            };
            let _ = writeln!(s, "objective  {what} {}", num(o));
            let gap = if r.kind.reproduces_optimum() {
                "relative difference"
            } else {
                "measured gap"
            };
            let _ = writeln!(
                s,
                "           network (forward pass) {} ({gap} {d:.1e})",
                num(n)
            );
        }
        (_, Some(n), _) => {
            let _ = writeln!(s, "objective  {}", num(n));
        }
        (Some(o), None, _) => {
            let what = match r.kind {
                Exactness::Exact | Exactness::Restriction => "convex optimum",
                Exactness::Relaxation => "relaxation bound",
                Exactness::Heuristic => "last program",
            };
            let _ = writeln!(
                s,
                "objective  {what} {} (the model has no objective of its own)",
                num(o)
            );
        }
        _ => {}
    }
    // A sequential method's passes (a single-pass method's one pass is the report itself).
    let sequential =
        r.stop_reason.as_deref().is_some_and(|s| s != "single pass") && r.iterations.len() > 1;
    if sequential && !r.iterations.is_empty() {
        iterations_table(&mut s, &r.iterations);
    }
    if let (Some(reason), true) = (&r.stop_reason, sequential) {
        let v = r
            .violation
            .map(|v| format!(", violation {v:.2e}"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "stop       {reason} after {} iteration{}{v}",
            r.iterations.len(),
            if r.iterations.len() == 1 { "" } else { "s" }
        );
    }
    if !r.restarts.is_empty() {
        let all: Vec<String> = r.restarts.iter().map(|x| num(*x)).collect();
        let _ = writeln!(s, "restarts   {}", all.join(", "));
    }
    if let Some(m) = &r.metrics {
        s.push_str(&metrics_text(m));
    }
    if !r.constraints.is_empty() {
        let _ = writeln!(s, "constraints (slack; negative = violated)");
        for c in &r.constraints {
            let mark = match (c.satisfied, c.slack < 0.0) {
                (true, false) => "ok",
                (true, true) => "ok (within the tolerance 1e-6 relative)",
                (false, _) => "VIOLATED",
            };
            let _ = writeln!(s, "  {:<32} {:>14}  {mark}", c.name, num(c.slack));
        }
    }
    for n in &r.notes {
        let _ = writeln!(s, "note: {n}");
    }
    s
}

/// One line per pass: objective, the measure's parts, fit, seconds, reuse.
fn iterations_table(s: &mut String, its: &[super::train::Iteration]) {
    let names: Vec<&str> = its[0].details.iter().map(|(n, _)| n.as_str()).collect();
    let mut head = format!("{:>4}  {:>16}", "iter", "objective");
    for n in &names {
        let short: String = n.chars().take(15).collect();
        let _ = write!(head, "  {short:>15}");
    }
    let _ = write!(
        head,
        "  {:>9}  {:>8}  {:>8}  reused",
        "fit", "solver s", "other s"
    );
    let _ = writeln!(s, "iterations\n{head}");
    let e = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2e}"));
    for it in its {
        let mut line = format!(
            "{:>4}  {:>16}",
            it.iteration,
            it.objective.map_or("-".to_string(), |o| format!("{o:.8}"))
        );
        for (_, v) in &it.details {
            let _ = write!(line, "  {:>15}", num(*v));
        }
        let _ = write!(
            line,
            "  {:>9}  {:>8.3}  {:>8.3}  {}",
            e(it.fit),
            it.solver_seconds,
            it.other_seconds,
            if it.reused { "yes" } else { "no" }
        );
        let _ = writeln!(s, "{line}");
    }
}

fn metrics_lines(s: &mut String, part: &str, m: &Metrics) {
    match m {
        Metrics::Regression(r) => {
            let r2 = r.r2.map(|v| format!(", R² {v:.4}")).unwrap_or_default();
            let _ = writeln!(
                s,
                "{part:<10} n {}: ½‖ŷ−y‖² {}, MSE {}, MAE {}{r2}",
                r.n,
                num(r.loss),
                num(r.mse),
                num(r.mae)
            );
        }
        Metrics::Classification(c) => {
            let per: Vec<String> = c
                .classes
                .iter()
                .map(|k| format!("{} {}/{} wrong", k.name, k.errors, k.count))
                .collect();
            let minority = c
                .minority
                .as_ref()
                .map(|m| format!(", minority {} error {:.4}", m.name, m.error_rate))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "{part:<10} n {}: accuracy {:.4}, ½‖ŷ−y‖² {}; {}; balanced error {:.4}{minority}",
                c.n,
                c.accuracy,
                num(c.loss),
                per.join(", "),
                c.balanced_error
            );
        }
    }
}

/// Train, validation and test metrics, one line each.
pub fn metrics_text(m: &DatasetMetrics) -> String {
    let mut s = String::new();
    metrics_lines(&mut s, "train", &m.train);
    if let Some(v) = &m.validation {
        metrics_lines(&mut s, "validation", v);
    }
    if let Some(t) = &m.test {
        metrics_lines(&mut s, "test", t);
    }
    s
}

/// One method's line in `cnnc compare`.
#[derive(Clone, Debug)]
pub struct Row {
    method: String,
    status: String,
    objective: Option<f64>,
    network_objective: Option<f64>,
    seconds: f64,
    train: String,
    test: String,
    constraints: String,
}

fn short(m: &Metrics) -> String {
    match m {
        Metrics::Regression(r) => format!("MSE {}", num(r.mse)),
        Metrics::Classification(c) => format!("acc {:.4}", c.accuracy),
    }
}

impl Row {
    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The objective of the trained network (else the program's), if the run produced one.
    pub fn objective(&self) -> Option<f64> {
        self.network_objective.or(self.objective)
    }

    /// Compile and solve seconds.
    pub fn seconds(&self) -> f64 {
        self.seconds
    }

    /// The row of a finished run.
    pub fn from_report(r: &Report) -> Row {
        let violated = r.constraints.iter().filter(|c| !c.satisfied).count();
        Row {
            method: r.method.clone(),
            // A heuristic with random starts says how many it ran.
            status: match r.restarts.len() {
                0 => r.status.clone(),
                n => format!("best of {n}"),
            },
            objective: r.objective,
            network_objective: r.network_objective,
            seconds: r.compile_seconds + r.solve_seconds,
            train: r
                .metrics
                .as_ref()
                .map(|m| short(&m.train))
                .unwrap_or_default(),
            test: r
                .metrics
                .as_ref()
                .and_then(|m| m.test.as_ref())
                .map(short)
                .unwrap_or_default(),
            constraints: if r.constraints.is_empty() {
                "-".into()
            } else if violated == 0 {
                "all hold".into()
            } else {
                format!("{violated} violated")
            },
        }
    }

    /// The row of a run that produced no network.
    pub fn failed(method: &str, status: &str) -> Row {
        Row {
            method: method.into(),
            status: status.into(),
            objective: None,
            network_objective: None,
            seconds: 0.0,
            train: String::new(),
            test: String::new(),
            constraints: String::new(),
        }
    }
}

/// The side-by-side table of `cnnc compare`.
pub fn table(rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<10} {:<15} {:>14} {:>14} {:>9}  {:<14} {:<14} constraints",
        "method", "status", "objective", "network obj.", "seconds", "train", "test"
    );
    let opt = |x: Option<f64>| x.map(num).unwrap_or_else(|| "-".into());
    for r in rows {
        let _ = writeln!(
            s,
            "{:<10} {:<15} {:>14} {:>14} {:>9.3}  {:<14} {:<14} {}",
            r.method,
            r.status,
            opt(r.objective),
            opt(r.network_objective),
            r.seconds,
            r.train,
            r.test,
            r.constraints
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(kind: Exactness) -> Report {
        Report {
            status: "optimal".into(),
            method: "m".into(),
            exactness: kind.describe().into(),
            objective: Some(1.0),
            network_objective: Some(1.5),
            relative_difference: Some(relative_difference(1.0, 1.5)),
            compile_seconds: 0.0,
            solve_seconds: 0.0,
            sizes: None,
            patterns: None,
            lowering: None,
            certificate: None,
            measure: None,
            block: vec!["block      line".into()],
            kind,
            metrics: None,
            constraints: Vec::new(),
            restarts: Vec::new(),
            widths: vec![1, 1],
            iterations: Vec::new(),
            stop_reason: Some("single pass".into()),
            violation: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_objective_is_called_an_optimum_only_for_exact_programs() {
        for (kind, line) in [
            (Exactness::Exact, "objective  convex optimum 1.000000\n"),
            (
                Exactness::Restriction,
                "objective  convex optimum 1.000000\n",
            ),
            (
                Exactness::Relaxation,
                "objective  relaxation bound 1.000000\n",
            ),
            (Exactness::Heuristic, "objective  last program 1.000000\n"),
        ] {
            let t = text(&report(kind));
            assert!(t.contains(line), "{t}");
            assert!(t.contains("block      line\n"), "{t}");
            // |1 − 1.5| / 1.5 = 1/3.
            let gap = if kind.reproduces_optimum() {
                "(relative difference 3.3e-1)"
            } else {
                "(measured gap 3.3e-1)"
            };
            assert!(t.contains(gap), "{t}");
        }
    }

    #[test]
    fn the_gap_is_a_bug_only_for_exact_programs() {
        let m = Measure::gap("relative difference", 0.25);
        for kind in [Exactness::Exact, Exactness::Restriction] {
            assert_eq!(gap_note(kind, Some(1e-7), Some(&m)), None);
            let note = gap_note(kind, Some(0.25), Some(&m)).expect("a note");
            assert!(note.starts_with("BUG: "), "{note}");
        }
        for kind in [Exactness::Relaxation, Exactness::Heuristic] {
            let note = gap_note(kind, Some(0.25), Some(&m)).expect("a note");
            assert!(!note.contains("BUG"), "{note}");
            assert!(
                note.contains("measured relative difference 2.50e-1"),
                "{note}"
            );
            assert_eq!(gap_note(kind, Some(0.25), None), None);
        }
    }
}
