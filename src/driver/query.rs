//! `cnnc solve MODEL.cnn`: a model that trains nothing — questions about loaded networks, or
//! a plain convex model — solved once and reported by the model's own names.
//!
//! The loaded networks go through the big-M lowering ([`crate::lower::big_m`]) with the
//! model's `method big_m(...)` (or its defaults); the answer is checked by a forward pass of
//! every network at the returned input, and for a MILP the LP relaxation is solved too, so the
//! report shows how far the relaxation's bound is from the answer.

use std::fmt::Write as _;
use std::time::Instant;

use serde::Serialize;

use super::report::{constraint_reports, gap_note, num, ConstraintReport};
use super::train::{self, TrainError, Trained};
use crate::diag::SourceMap;
use crate::lower::big_m::{rows, BigM};
use crate::lower::Exactness;
use crate::model::{Model, Sense, VarRole};
use crate::nn::eval;
use crate::solve::{self, Backend, Settings};

/// The answer to a query, as `--report json` writes it.
#[derive(Clone, Debug, Serialize)]
pub struct Answer {
    /// `optimal`, `almost_optimal`, `time_limit`, …
    pub status: String,
    /// `big_m` when loaded networks are encoded, else `direct`.
    pub method: String,
    /// How the answer relates to the model.
    pub exactness: String,
    /// `minimize` or `maximize` (absent for a feasibility problem).
    pub sense: Option<String>,
    /// The program's optimum.
    pub objective: Option<f64>,
    /// The model's objective recomputed at the answer by forward passes.
    pub network_objective: Option<f64>,
    /// The optimum of the LP relaxation (binaries in `[0, 1]`), for a MILP.
    pub relaxation_objective: Option<f64>,
    /// Every declared variable by name: its values as rows.
    pub variables: serde_json::Map<String, serde_json::Value>,
    /// Binaries of the MILP.
    pub binaries: usize,
    /// The bounds used, per application and layer (`lower`, `upper`: one list per input row).
    pub bounds: Vec<serde_json::Value>,
    /// The big-M details: bounds method, binaries with interval bounds alone, LPs, the check.
    pub lowering: Option<serde_json::Value>,
    /// Every constraint's slack at the answer.
    pub constraints: Vec<ConstraintReport>,
    /// The back end.
    pub solver: String,
    /// Branch-and-bound nodes, when the back end counts them.
    pub nodes: Option<u64>,
    /// Seconds building the program (bounds LPs included).
    pub compile_seconds: f64,
    /// Seconds in the solver.
    pub solve_seconds: f64,
    /// Seconds solving the LP relaxation.
    pub relaxation_seconds: Option<f64>,
    /// The conic problem's size.
    pub sizes: Option<train::Sizes>,
    /// Warnings and facts.
    pub notes: Vec<String>,
    /// The lowering's own report lines.
    #[serde(skip)]
    pub block: Vec<String>,
}

/// Solves `model`, which must train nothing.
pub fn solve(model: &Model, sources: &SourceMap) -> Result<Answer, TrainError> {
    // A model that trains a network is refused by the lowering (E1503).
    let method = match model
        .methods
        .iter()
        .find(|m| m.kind == crate::model::MethodKind::BigM)
    {
        Some(m) => m.clone(),
        None => train::method_or_default(model, "big_m")?,
    };
    let t0 = Instant::now();
    let lowering = BigM::lower(model, sources, &method)?;
    let encoded = !lowering.applications().is_empty();
    let t = train::train_lowered(model, method.kind, Box::new(lowering), t0, &mut |_| {})?;
    answer(model, t, encoded)
}

fn answer(model: &Model, t: Trained, encoded: bool) -> Result<Answer, TrainError> {
    let diag = |e: crate::nn::EvalError| TrainError::Invalid(vec![e.to_diagnostic()]);
    let network_objective = match &model.objective {
        Some(_) => Some(eval::objective(model, &t.values).map_err(diag)?),
        None => None,
    };
    let relative = match (t.convex_objective, network_objective) {
        (Some(a), Some(b)) => Some(crate::nn::metrics::relative_difference(a, b)),
        _ => None,
    };
    let mut notes = t.notes.clone();
    notes.extend(gap_note(t.exactness, relative, t.measure.as_ref()));
    let constraints = constraint_reports(model, &t.values, t.duals()).map_err(diag)?;
    let mut variables = serde_json::Map::new();
    for (id, v) in t.values.iter() {
        let var = &model.vars[id.0];
        if matches!(var.role, VarRole::User) {
            variables.insert(var.name.clone(), rows(v).into());
        }
    }
    // The LP relaxation of a MILP: its bound next to the answer.
    let mut relaxation = (None, None);
    if let Some(p) = t
        .problem
        .as_ref()
        .filter(|p| p.vars.iter().any(|v| v.integer))
    {
        let mut lp = (**p).clone();
        for v in &mut lp.vars {
            v.integer = false;
        }
        let start = Instant::now();
        match solve::solve(
            &lp,
            Backend::Clarabel,
            &Settings::from_options(&model.solver.options),
        ) {
            Ok(o) if o.status.is_solved() => {
                relaxation = (o.objective, Some(start.elapsed().as_secs_f64()));
            }
            Ok(o) => notes.push(format!("the LP relaxation was not solved: {}", o.status)),
            Err(e) => notes.push(format!("the LP relaxation was not solved: {e}")),
        }
    }
    let mut lowering = t.lowering.clone();
    let field = |k: &str| lowering.as_ref().and_then(|l| l.get(k)).cloned();
    let (binaries, bounds) = (field("binaries"), field("bounds"));
    // The bounds are a key of their own.
    if let Some(serde_json::Value::Object(m)) = lowering.as_mut() {
        m.remove("bounds");
    }
    let (backend, nodes) = t.backend.unwrap_or((Backend::Clarabel, None));
    Ok(Answer {
        status: t.status.map_or("solved".into(), |s| s.key().into()),
        method: if encoded { "big_m" } else { "direct" }.into(),
        exactness: if encoded {
            t.exactness.describe().into()
        } else {
            Exactness::Exact.describe().into()
        },
        sense: model.objective.as_ref().map(|o| {
            match o.sense {
                Sense::Minimize => "minimize",
                Sense::Maximize => "maximize",
            }
            .into()
        }),
        objective: t.convex_objective,
        network_objective,
        relaxation_objective: relaxation.0,
        variables,
        binaries: binaries.and_then(|v| v.as_u64()).unwrap_or(0) as usize,
        bounds: bounds
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default(),
        lowering: if encoded { lowering } else { None },
        constraints,
        solver: backend.name().into(),
        nodes,
        compile_seconds: t.compile_seconds,
        solve_seconds: t.solve_seconds,
        relaxation_seconds: relaxation.1,
        sizes: t.sizes.clone(),
        notes,
        block: if encoded { t.block.clone() } else { Vec::new() },
    })
}

/// The readable form.
pub fn text(a: &Answer) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "method     {} ({})", a.method, a.exactness);
    let _ = writeln!(s, "status     {}", a.status.replace('_', " "));
    for line in &a.block {
        if !line.starts_with("check") {
            let _ = writeln!(s, "{line}");
        }
    }
    if let Some(z) = &a.sizes {
        let _ = writeln!(
            s,
            "problem    {} variables ({} binaries), {} rows in {} cones, {} non-zeros",
            z.variables, a.binaries, z.rows, z.cones, z.nonzeros
        );
    }
    let nodes = a
        .nodes
        .map(|n| {
            format!(
                ", {n} branch-and-bound node{}",
                if n == 1 { "" } else { "s" }
            )
        })
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "time       compile {:.3} s, solve {:.3} s ({}{nodes})",
        a.compile_seconds, a.solve_seconds, a.solver
    );
    if let Some(o) = a.objective {
        let sense = a.sense.as_deref().unwrap_or("");
        let _ = writeln!(s, "objective  {} ({sense})", num(o));
    }
    if let Some(r) = a.relaxation_objective {
        let what = if a.sense.as_deref() == Some("maximize") {
            "an upper bound"
        } else {
            "a lower bound"
        };
        let _ = writeln!(
            s,
            "relaxation {} (the LP relaxation: {what} on the optimum)",
            num(r)
        );
    }
    for (name, v) in &a.variables {
        let _ = writeln!(s, "answer     {name} = {}", compact(v));
    }
    for line in &a.block {
        if line.starts_with("check") {
            let _ = writeln!(s, "{line}");
        }
    }
    if !a.constraints.is_empty() {
        let _ = writeln!(
            s,
            "constraints {:>37} {:>14} {:>14}  (negative slack = violated; dual: gain per unit loosened)",
            "value", "slack", "dual"
        );
        for c in &a.constraints {
            let mark = if c.satisfied { "ok" } else { "VIOLATED" };
            let dual = c.dual.map_or("-".into(), num);
            let _ = writeln!(
                s,
                "  {:<32} {:>14} {:>14} {:>14}  {mark}",
                c.name,
                num(c.value),
                num(c.slack),
                dual
            );
        }
    }
    for n in &a.notes {
        let _ = writeln!(s, "note: {n}");
    }
    s
}

/// `[[1.000000, 2.000000]]`.
fn compact(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(compact).collect();
            format!("[{}]", inner.join(", "))
        }
        serde_json::Value::Number(n) => n.as_f64().map_or(n.to_string(), |x| format!("{x:.6}")),
        other => other.to_string(),
    }
}
