//! Training: a checked model and one of its methods → trained parameter values, with what the
//! run measured. Every method ends in the same [`Trained`], so reports, weights files and
//! comparisons treat them alike.

use std::time::Instant;

use crate::conic::canon::canonicalize;
use crate::conic::ConicProblem;
use crate::diag::{Diagnostic, SourceMap};
use crate::lower::{Lowering, Next};
use crate::model::{Method, MethodKind, Model, NetId, OptionValue};
use crate::nn::{adam, Values};
use crate::sema::options::method_name;
use crate::solve::{self, Backend, Outcome, Settings, Status};

pub use crate::lower::patterns::info::with_hidden_width;
pub use crate::lower::{Certificate, Exactness, Measure, PatternInfo};

/// Sizes of the conic problem handed to the solver.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Sizes {
    /// Columns.
    pub variables: usize,
    /// Rows of `A`.
    pub rows: usize,
    /// Cone blocks.
    pub cones: usize,
    /// Non-zeros of `A` and `P`.
    pub nonzeros: usize,
}

/// A trained network with everything the run measured.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The method.
    pub method: MethodKind,
    /// The model the values belong to: the checked model, with the hidden width set to the
    /// number of recovered neurons for the pattern method.
    pub model: Model,
    /// The network trained.
    pub net: NetId,
    /// Values of every variable of `model`.
    pub values: Values,
    /// Solver status (`None` for gradient methods).
    pub status: Option<Status>,
    /// The optimum of the convex program (pattern method).
    pub convex_objective: Option<f64>,
    /// Seconds spent lowering and assembling the solver input.
    pub compile_seconds: f64,
    /// Seconds in the solver (or training loop).
    pub solve_seconds: f64,
    /// Conic problem sizes.
    pub sizes: Option<Sizes>,
    /// How the answer relates to the model.
    pub exactness: Exactness,
    /// Pattern-method details.
    pub patterns: Option<PatternInfo>,
    /// The lowering's measure of how far the trained values are from the model as written.
    pub measure: Option<Measure>,
    /// The lines the lowering adds to the text report.
    pub block: Vec<String>,
    /// What the lowering adds to the JSON report ([`Lowering::report_json`]).
    pub lowering: Option<serde_json::Value>,
    /// The optimality certificate, for a method that proves one ([`Lowering::certificate`]).
    pub certificate: Option<Certificate>,
    /// Per-restart final objectives (Adam).
    pub restarts: Vec<f64>,
    /// One record per pass of a lowered method (one for the pattern method; none for Adam).
    pub iterations: Vec<Iteration>,
    /// Why the loop stopped (lowered methods).
    pub stop_reason: Option<&'static str>,
    /// Facts worth saying (warnings, solver notes).
    pub notes: Vec<String>,
    /// The last pass's conic problem (lowered methods), e.g. for its LP relaxation.
    pub problem: Option<Box<ConicProblem>>,
    /// The last solve's back end and its branch-and-bound nodes (for a MILP back end that
    /// counts them).
    pub backend: Option<(Backend, Option<u64>)>,
    /// The last solve's multipliers `z`, one per row of `problem`, when the solver gave them.
    pub z: Option<Vec<f64>>,
}

impl Trained {
    /// The last program with its multipliers, when the solver gave them.
    pub fn duals(&self) -> Option<(&ConicProblem, &[f64])> {
        Some((self.problem.as_deref()?, self.z.as_deref()?))
    }
}

/// One pass of a lowered method's training loop.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Iteration {
    /// 1 for the first pass.
    pub iteration: usize,
    /// The program's optimum.
    pub objective: Option<f64>,
    /// The lowering's measure of the recovered values ([`Lowering::measure`]).
    pub measure: Option<f64>,
    /// The measure when it is a violation of the model's equations.
    pub violation: Option<f64>,
    /// The true forward pass against the program's outputs ([`Measure::fit`]).
    pub fit: Option<f64>,
    /// The measure's named parts.
    #[serde(serialize_with = "ordered_map")]
    pub details: Vec<(String, f64)>,
    /// Seconds in the solver.
    pub solver_seconds: f64,
    /// Seconds outside it: building and canonicalizing (or updating) before, the solve call's
    /// own work around the solver, recovering and measuring after.
    pub other_seconds: f64,
    /// Whether the solver kept its structure from the previous pass and only took new
    /// numbers ([`solve::Session`]).
    pub reused: bool,
}

/// `[(name, value)]` as a JSON object, in order.
fn ordered_map<S: serde::Serializer>(v: &[(String, f64)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, x) in v {
        m.serialize_entry(k, x)?;
    }
    m.end()
}

/// Why training produced no network.
#[derive(Debug)]
pub enum TrainError {
    /// The model or method cannot be trained: diagnostics.
    Invalid(Vec<Diagnostic>),
    /// The solver ran but returned no solution: its outcome, with the problem for context.
    NotSolved(Box<Outcome>, Box<ConicProblem>),
}

impl From<Vec<Diagnostic>> for TrainError {
    fn from(d: Vec<Diagnostic>) -> TrainError {
        TrainError::Invalid(d)
    }
}

/// The method to train with: the one named, or the first declared.
pub fn pick_method<'m>(
    model: &'m Model,
    name: Option<&str>,
) -> Result<&'m Method, Vec<Diagnostic>> {
    let declared: Vec<&str> = model.methods.iter().map(|m| method_name(m.kind)).collect();
    match name {
        None => model.methods.first().ok_or_else(|| {
            vec![
                Diagnostic::error("E1101", "the model declares no training method").with_help(
                    "add e.g. `method patterns(enumeration = exact)` or `method adam()`",
                ),
            ]
        }),
        Some(n) => model
            .methods
            .iter()
            .find(|m| method_name(m.kind) == n)
            .ok_or_else(|| {
                vec![
                    Diagnostic::error("E1101", format!("the model declares no method `{n}`"))
                        .with_note(format!(
                            "declared: {}",
                            if declared.is_empty() {
                                "none".into()
                            } else {
                                declared.join(", ")
                            }
                        ))
                        .with_help(format!("add `method {n}(...)` to the model")),
                ]
            }),
    }
}

/// The methods `cnnc compare` runs by default: those the model declares, in order, then
/// `adam` unless declared.
pub fn declared_and_adam(model: &Model) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for m in &model.methods {
        let n = method_name(m.kind).to_string();
        if !names.contains(&n) {
            names.push(n);
        }
    }
    if !names.iter().any(|n| n == "adam") {
        names.push("adam".into());
    }
    names
}

/// Sets method options from the command line (`--option NAME=VALUE`, in order) on `method`,
/// returning how many of them it has; the others are left to other methods.
pub fn override_options(
    method: &mut Method,
    given: &[(String, String)],
) -> Result<usize, Vec<Diagnostic>> {
    let specs = crate::sema::options::method_options(method.kind);
    let mut applied = 0;
    for (name, text) in given {
        let Some((_, kind, _)) = specs.iter().find(|(n, _, _)| n == name) else {
            continue;
        };
        let mut value = crate::sema::options::parse_text(*kind, text).map_err(|e| {
            vec![Diagnostic::error(
                "E1109",
                format!("--option {name}={text}: {e}"),
            )]
        })?;
        if let OptionValue::Text(path) = &value {
            // Read now, so a bad file is reported before training.
            let mut sources = SourceMap::new();
            crate::nn::weights::read(std::path::Path::new(path), &mut sources)
                .map_err(|d| vec![d])?;
            value = OptionValue::Text(path.clone());
        }
        match method.options.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => method.options.push((name.clone(), value)),
        }
        applied += 1;
    }
    Ok(applied)
}

/// Applies `--option` overrides to every declared method that has the option; an option no
/// declared method has is an error.
pub fn override_declared(
    model: &mut Model,
    given: &[(String, String)],
) -> Result<(), Vec<Diagnostic>> {
    for (name, text) in given {
        let one = [(name.clone(), text.clone())];
        let mut hits = 0;
        for m in &mut model.methods {
            hits += override_options(m, &one)?;
        }
        if hits == 0 {
            let known: Vec<String> = model
                .methods
                .iter()
                .map(|m| {
                    let names: Vec<&str> = crate::sema::options::method_options(m.kind)
                        .iter()
                        .map(|(n, _, _)| *n)
                        .collect();
                    format!("{}: {}", method_name(m.kind), names.join(", "))
                })
                .collect();
            let all: Vec<&str> = model
                .methods
                .iter()
                .flat_map(|m| crate::sema::options::method_options(m.kind))
                .map(|(n, _, _)| n)
                .collect();
            let mut d = Diagnostic::error(
                "E1109",
                format!("--option {name}={text}: no declared method has an option `{name}`"),
            );
            if let Some(s) = crate::diag::suggest(name, all.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            return Err(vec![d.with_note(if known.is_empty() {
                "the model declares no method".to_string()
            } else {
                format!("options: {}", known.join("; "))
            })]);
        }
    }
    Ok(())
}

/// The model's declaration of method `name`, or that method with its default options.
pub fn method_or_default(model: &Model, name: &str) -> Result<Method, Vec<Diagnostic>> {
    if let Some(m) = model.methods.iter().find(|m| method_name(m.kind) == name) {
        return Ok(m.clone());
    }
    let Some((_, kind)) = crate::sema::options::METHODS
        .iter()
        .find(|(n, _)| *n == name)
    else {
        let names: Vec<&str> = crate::sema::options::METHODS
            .iter()
            .map(|(n, _)| *n)
            .collect();
        return Err(vec![Diagnostic::error(
            "E0401",
            format!("unknown method `{name}`"),
        )
        .with_note(format!("methods: {}", names.join(", ")))]);
    };
    let options = crate::sema::options::method_options(*kind)
        .into_iter()
        .filter_map(|(n, _, default)| Some((n.to_string(), default?)))
        .collect();
    Ok(Method {
        kind: *kind,
        options,
        span: None,
    })
}

/// Trains `model` with `method`: Adam directly, every other method through its lowering
/// ([`super::stages::lowering`]).
pub fn train(model: &Model, sources: &SourceMap, method: &Method) -> Result<Trained, TrainError> {
    train_with(model, sources, method, &mut |_| {})
}

/// [`train`], with Adam's first restart starting from `start` (the values of a network trained
/// on a model of the same variables, e.g. the previous value of a sweep; a warm start, said in
/// the notes). The other methods solve from scratch: Clarabel has no warm start.
pub fn train_from(
    model: &Model,
    sources: &SourceMap,
    method: &Method,
    start: Option<&Values>,
) -> Result<Trained, TrainError> {
    match start {
        Some(start) if method.kind == MethodKind::Adam => train_adam(model, method, Some(start)),
        _ => train(model, sources, method),
    }
}

/// [`train`], calling `on_pass` after every pass of a lowered method's loop (a progress line).
pub fn train_with(
    model: &Model,
    sources: &SourceMap,
    method: &Method,
    on_pass: &mut dyn FnMut(&Iteration),
) -> Result<Trained, TrainError> {
    if method.kind == MethodKind::Adam {
        return train_adam(model, method, None);
    }
    let t0 = Instant::now();
    match super::stages::lowering(model, sources, method)? {
        Some(l) => train_lowered(model, method.kind, l, t0, on_pass),
        None => Err(TrainError::Invalid(vec![method.label(Diagnostic::error(
            "E1102",
            format!("method `{}` cannot train yet in this version of cnnc", method_name(method.kind)),
        ), true, "not available yet")
        .with_note("available: patterns (two-layer ReLU networks, exact or sampled), rank_lifting (ReLU networks, sequential), convex_nn (networks with DC activations, sequential), big_m (queries on loaded networks: `cnnc solve`), adam (any network, local)")])),
    }
}

fn sizes(p: &ConicProblem) -> Sizes {
    Sizes {
        variables: p.num_vars(),
        rows: p.num_rows(),
        cones: p.cones.len(),
        nonzeros: p.a.nnz() + p.p.nnz(),
    }
}

/// The training loop of a lowered method: canonicalize → solve → recover → measure, then the
/// lowering stops or updates its parameters and rebuilds its program for another pass
/// ([`Lowering::next`]). The pattern method stops after one pass.
pub(crate) fn train_lowered(
    model: &Model,
    kind: MethodKind,
    mut l: Box<dyn Lowering>,
    t0: Instant,
    on_pass: &mut dyn FnMut(&Iteration),
) -> Result<Trained, TrainError> {
    let settings = Settings::from_options(&model.solver.options);
    // The declared solver, else the one that fits the problem (microlp for integers).
    let declared = model
        .solver
        .span
        .and(Backend::from_name(&model.solver.name));
    let backend = declared.unwrap_or(Backend::Clarabel);
    // A sequential method keeps the solver between passes; a single pass solves as usual.
    let mut session = l
        .sequential()
        .then(|| solve::Session::new(backend, settings.clone()));
    let mut iterations: Vec<Iteration> = Vec::new();
    let mut loop_notes: Vec<String> = Vec::new();
    // Time outside the solver counts from the start of the lowering (first pass) or of the
    // previous pass's update.
    let mut start = t0;
    let mut compile_seconds = 0.0;
    // Solver time of passes solved again on a fallback program, counted in the retry's.
    let mut carried = 0.0;
    // The previous pass's conic form, which the lowering may update in place.
    let mut previous: Option<(ConicProblem, crate::conic::canon::ColumnMap)> = None;
    loop {
        let updated = previous
            .take()
            .and_then(|(mut p, m)| l.update_conic(&mut p).then_some((p, m)));
        let (problem, map) = match updated {
            Some(pm) => pm,
            None => canonicalize(&l.translation().program)?,
        };
        let before = start.elapsed().as_secs_f64();
        compile_seconds += before;
        let in_solve = Instant::now();
        let (outcome, reused) = match session.as_mut() {
            Some(session) => session.solve(&problem),
            None => {
                let backend = declared.unwrap_or_else(|| solve::choose_backend(&problem));
                solve_pass(&problem, backend, &settings, &l.pass_settings(&settings))
                    .map(|o| (o, false))
            }
        }
        .map_err(|e| TrainError::Invalid(vec![e.to_diagnostic()]))?;
        // A sequential pass whose solve stopped on numerical trouble (near the end, typically:
        // the residuals reached the tolerances, then grew) is solved again from scratch at
        // tolerances 100 times looser, and says so; the next pass builds a new solver.
        let (outcome, reused) = match (&mut session, outcome.status) {
            (Some(s), Status::NumericalError) => {
                let looser = settings.loosened(100.0);
                let retry = solve::solve(&problem, backend, &looser)
                    .map_err(|e| TrainError::Invalid(vec![e.to_diagnostic()]))?;
                if retry.status.is_solved() {
                    loop_notes.push(format!(
                        "pass {}: {} stopped on numerical trouble at tolerances {:e}; solved again at {:e} (gap {:e}, feasibility {:e})",
                        iterations.len() + 1,
                        outcome.backend.name(),
                        settings.tol_feas,
                        looser.tol_feas,
                        looser.tol_gap_rel,
                        looser.tol_feas
                    ));
                }
                *s = solve::Session::new(backend, settings.clone());
                let spent = outcome.solve_seconds;
                let mut retry = retry;
                retry.solve_seconds += spent;
                (retry, false)
            }
            _ => (outcome, reused),
        };
        // A pass the solver could not bring to its tolerances (almost optimal, numerical
        // trouble, the iteration limit), or whose recovered network misses the program's
        // optimum by more than the solver's accuracy, is solved again on the lowering's more
        // robust program when it has one (the pattern method's plain blocks), and says so.
        let unsolved = matches!(
            outcome.status,
            Status::AlmostOptimal | Status::NumericalError | Status::IterationLimit
        );
        let recovered = match outcome.x.as_ref().filter(|_| outcome.status.is_solved()) {
            Some(x) if !unsolved => Some(l.recover(model, &map, x)?),
            _ => None,
        };
        let missed = l.exactness().reproduces_optimum()
            && recovered
                .as_ref()
                .is_some_and(|r| super::report::misses_optimum(outcome.objective, r));
        if unsolved || missed {
            let rebuild = Instant::now();
            if let Some(change) = l.fallback().map_err(TrainError::Invalid)? {
                let why = if unsolved {
                    format!("ended {}", outcome.status.as_str())
                } else {
                    "gave a network that misses its optimum".to_string()
                };
                loop_notes.push(format!(
                    "pass {}: {} {why}; {change}",
                    iterations.len() + 1,
                    outcome.backend.name(),
                ));
                carried += outcome.solve_seconds;
                previous = None;
                start = rebuild;
                continue;
            }
        }
        let mut outcome = outcome;
        outcome.solve_seconds += std::mem::take(&mut carried);
        let Some(x) = outcome.x.clone().filter(|_| outcome.status.is_solved()) else {
            return Err(TrainError::NotSolved(Box::new(outcome), Box::new(problem)));
        };
        // What the solve call spent around Clarabel itself (the session's pattern check and
        // copies, the back end's conversions) is time outside the solver too.
        let around = (in_solve.elapsed().as_secs_f64() - outcome.solve_seconds).max(0.0);
        let after = Instant::now();
        l.observe(&problem, &outcome);
        let recovered = match recovered {
            Some(r) => r,
            None => l.recover(model, &map, &x)?,
        };
        let measure = l.measure(outcome.objective, &recovered)?;
        iterations.push(Iteration {
            iteration: iterations.len() + 1,
            objective: outcome.objective,
            measure: measure.as_ref().map(|m| m.value),
            violation: measure.as_ref().filter(|m| m.violation).map(|m| m.value),
            fit: measure.as_ref().and_then(|m| m.fit),
            details: measure
                .as_ref()
                .map(|m| m.details.clone())
                .unwrap_or_default(),
            solver_seconds: outcome.solve_seconds,
            other_seconds: before + around + after.elapsed().as_secs_f64(),
            reused,
        });
        on_pass(iterations.last().expect("just pushed"));
        let update = Instant::now();
        if let Next::Stop(reason) = l.next(&recovered, measure.as_ref(), outcome.objective)? {
            let pass = Pass {
                problem,
                outcome,
                recovered,
                measure,
            };
            let mut trained = finish(kind, l.as_ref(), pass, compile_seconds, iterations, reason);
            trained.notes.extend(loop_notes);
            return Ok(trained);
        }
        previous = Some((problem, map));
        start = update;
    }
}

/// One pass's solve at the lowering's settings `pass`; when they are tighter than the declared
/// `settings` and the solver does not reach them, the pass is solved again at the declared
/// ones, and the outcome says so.
fn solve_pass(
    problem: &ConicProblem,
    backend: Backend,
    settings: &Settings,
    pass: &Settings,
) -> Result<Outcome, solve::SolveError> {
    let outcome = solve::solve(problem, backend, pass)?;
    if pass == settings || outcome.status == Status::Optimal {
        return Ok(outcome);
    }
    let mut retry = solve::solve(problem, backend, settings)?;
    if retry.status.is_solved() {
        retry.notes.push(format!(
            "the pass at tolerances {:e} ended {}; solved again at the declared {:e}",
            pass.tol_gap_rel,
            outcome.status.as_str(),
            settings.tol_gap_rel
        ));
    }
    retry.solve_seconds += outcome.solve_seconds;
    Ok(retry)
}

/// What the last pass of the loop produced.
struct Pass {
    problem: ConicProblem,
    outcome: Outcome,
    recovered: crate::lower::Recovered,
    measure: Option<Measure>,
}

/// The [`Trained`] of a lowered method's last pass.
fn finish(
    kind: MethodKind,
    l: &dyn Lowering,
    pass: Pass,
    compile_seconds: f64,
    iterations: Vec<Iteration>,
    stop_reason: &'static str,
) -> Trained {
    let Pass {
        problem,
        outcome,
        recovered,
        measure,
    } = pass;
    let block = l.report_block(&recovered);
    let mut notes = outcome.notes.clone();
    if outcome.status == Status::AlmostOptimal {
        notes.push(format!(
            "{} met its tolerances only in part (almost optimal): the objective, network and slacks reported are those of the point it returned, and the weights are written; raise `max_iter` or loosen the `tol_*` settings of the solver block for an optimal solve",
            outcome.backend.name()
        ));
    }
    notes.extend(recovered.notes);
    // A lowering without a network of its own (the model as written) reports its first one.
    let net = l.net().unwrap_or(NetId(0));
    Trained {
        method: kind,
        net,
        values: recovered.values,
        status: Some(outcome.status),
        convex_objective: outcome.objective,
        // Building and assembling the solver input, over all passes.
        compile_seconds,
        solve_seconds: iterations.iter().map(|i| i.solver_seconds).sum(),
        sizes: Some(sizes(&problem)),
        exactness: l.exactness(),
        patterns: recovered.patterns,
        measure,
        block,
        lowering: l.report_json(),
        certificate: l.certificate(),
        model: recovered.model,
        restarts: Vec::new(),
        iterations,
        stop_reason: Some(stop_reason),
        notes,
        backend: Some((outcome.backend, outcome.nodes)),
        z: outcome.z,
        problem: Some(Box::new(problem)),
    }
}

fn train_adam(
    model: &Model,
    method: &Method,
    start: Option<&Values>,
) -> Result<Trained, TrainError> {
    let mut opts = adam::AdamOptions::from_method(method);
    // A start of another model's shape is not used (adam would ignore it too).
    opts.start = start
        .map(Values::to_flat)
        .filter(|s| s.len() == Values::zeros(model).to_flat().len());
    let warm = opts.start.is_some();
    let net = model
        .networks
        .iter()
        .position(|n| n.input.is_some())
        .map(NetId)
        .ok_or_else(|| {
            TrainError::Invalid(vec![method.label(
                Diagnostic::error(
                    "E1103",
                    "adam trains a network declared over data; the model has none",
                ),
                true,
                "method declared here",
            )])
        })?;
    let result =
        adam::train(model, &opts).map_err(|e| TrainError::Invalid(vec![e.to_diagnostic()]))?;
    let mut notes = Vec::new();
    if warm {
        notes.push("warm start: adam's first restart began from the previous network".into());
    }
    if !model.constraints.is_empty() {
        notes.push(
            "adam does not enforce hard constraints: see their slacks (negative = violated)".into(),
        );
    }
    Ok(Trained {
        method: MethodKind::Adam,
        model: model.clone(),
        net,
        values: result.values,
        status: None,
        convex_objective: None,
        compile_seconds: 0.0,
        solve_seconds: result.elapsed.as_secs_f64(),
        sizes: None,
        exactness: Exactness::Heuristic,
        patterns: None,
        measure: None,
        block: Vec::new(),
        lowering: None,
        certificate: None,
        iterations: Vec::new(),
        stop_reason: None,
        restarts: result.restarts.iter().map(|r| r.best).collect(),
        notes,
        problem: None,
        z: None,
        backend: None,
    })
}
