//! Training: a checked model and one of its methods → trained parameter values, with what the
//! run measured. Every method ends in the same [`Trained`], so reports, weights files and
//! comparisons treat them alike.

use std::time::Instant;

use nalgebra::DMatrix;

use crate::conic::canon::{canonicalize, ColumnMap};
use crate::conic::ConicProblem;
use crate::diag::{Diagnostic, SourceMap};
use crate::lower::patterns::lowering::{self, Lowered};
use crate::lower::patterns::{merge, prune, recover, Blocks, Network, Source, PRUNE_RTOL};
use crate::model::{Method, MethodKind, Model, NetId, OptionValue, Shape};
use crate::nn::{adam, Values};
use crate::sema::options::method_name;
use crate::solve::{self, Backend, Outcome, Settings, Status};

/// How a method's answer relates to the problem as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exactness {
    /// The global optimum of the model (up to solver accuracy).
    Exact,
    /// The optimum of a restriction (e.g. to sampled patterns): an upper bound on the model's.
    Restriction,
    /// A local method with no optimality guarantee.
    Heuristic,
}

impl Exactness {
    /// Words for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Exactness::Exact => "exact: the global optimum of the model",
            Exactness::Restriction => {
                "restricted to the sampled patterns: an upper bound on the global optimum"
            }
            Exactness::Heuristic => "local: no optimality guarantee",
        }
    }
}

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

/// What the pattern method found.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PatternInfo {
    /// `exact` or `sampled`.
    pub enumeration: String,
    /// Rank of the data (with its bias column).
    pub rank: usize,
    /// Distinct non-empty patterns (blocks of the program).
    pub patterns: usize,
    /// Distinct patterns including the empty one when it was met.
    pub with_empty: usize,
    /// Directions drawn (sampled only).
    pub draws: Option<usize>,
    /// Neurons recovered before merging.
    pub neurons: usize,
    /// Neurons after merging neurons with the same activation pattern.
    pub merged_neurons: usize,
    /// The hidden width declared in the model.
    pub declared_width: usize,
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
    /// Per-restart final objectives (Adam).
    pub restarts: Vec<f64>,
    /// Facts worth saying (warnings, solver notes).
    pub notes: Vec<String>,
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

/// Trains `model` with `method`.
pub fn train(model: &Model, sources: &SourceMap, method: &Method) -> Result<Trained, TrainError> {
    match method.kind {
        MethodKind::Patterns => train_patterns(model, sources, method),
        MethodKind::Adam => train_adam(model, method),
        other => Err(TrainError::Invalid(vec![method.label(Diagnostic::error(
            "E1102",
            format!("method `{}` cannot train yet in this version of cnnc", method_name(other)),
        ), true, "not available yet")
        .with_note("available: patterns (two-layer ReLU networks, exact or sampled), adam (any network, local)")])),
    }
}

/// Lowers a model with the pattern method, then canonicalizes: the solver input and the maps
/// back.
pub fn compile_patterns(
    model: &Model,
    sources: &SourceMap,
    method: &Method,
) -> Result<(Lowered, ConicProblem, ColumnMap), Vec<Diagnostic>> {
    let lowered = lowering::lower(model, sources, method)?;
    let (problem, map) = canonicalize(&lowered.translation.program)?;
    Ok((lowered, problem, map))
}

fn sizes(p: &ConicProblem) -> Sizes {
    Sizes {
        variables: p.num_vars(),
        rows: p.num_rows(),
        cones: p.cones.len(),
        nonzeros: p.a.nnz() + p.p.nnz(),
    }
}

fn train_patterns(
    model: &Model,
    sources: &SourceMap,
    method: &Method,
) -> Result<Trained, TrainError> {
    let t0 = Instant::now();
    let (lowered, problem, map) = compile_patterns(model, sources, method)?;
    let compile_seconds = t0.elapsed().as_secs_f64();
    let settings = Settings::from_options(&model.solver.options);
    let backend = Backend::from_name(&model.solver.name).unwrap_or(Backend::Clarabel);
    let outcome = solve::solve(&problem, backend, &settings)
        .map_err(|e| TrainError::Invalid(vec![e.to_diagnostic()]))?;
    let Some(x) = outcome.x.clone().filter(|_| outcome.status.is_solved()) else {
        return Err(TrainError::NotSolved(Box::new(outcome), Box::new(problem)));
    };
    let net_id = lowered.net;
    let k = lowered.blocks.len();
    let d = lowered.x.ncols();
    let do_merge = !matches!(method.get("merge"), Some(OptionValue::Bool(false)));
    // One sub-network per output.
    let mut subnets: Vec<Network> = Vec::with_capacity(k);
    let mut neurons = 0;
    for (v, w) in &lowered.blocks {
        let block = |id: &crate::convex::VarId| -> DMatrix<f64> {
            let vals = map.values(&x, *id).unwrap_or(&[]);
            // Column-major d×P: column i is block i; as rows, P×d.
            DMatrix::from_column_slice(d, vals.len() / d.max(1), vals).transpose()
        };
        let blocks = Blocks {
            v: block(v),
            w: block(w),
        };
        // Every non-zero block becomes a neuron; noise is pruned by its effect on the
        // outputs, not by its norm (small blocks over many samples add up).
        let net = recover(&blocks, 0.0);
        neurons += net.width();
        let net = if do_merge {
            merge(&net, &lowered.x)
        } else {
            net
        };
        subnets.push(prune(&net, &lowered.x, PRUNE_RTOL));
    }
    let m: usize = subnets.iter().map(Network::width).sum::<usize>().max(1);
    let mut w1 = DMatrix::zeros(m, d);
    let mut w2 = DMatrix::zeros(k, m);
    let mut at = 0;
    for (c, s) in subnets.iter().enumerate() {
        for j in 0..s.width() {
            w1.row_mut(at).copy_from(&s.u.row(j));
            w2[(c, at)] = s.alpha[j];
            at += 1;
        }
    }
    let declared_width = model.networks[net_id.0].layers[0].outputs;
    let trained_model = with_hidden_width(model, net_id, m);
    let mut vars: Vec<DMatrix<f64>> = trained_model
        .vars
        .iter()
        .map(|v| DMatrix::zeros(v.shape.rows(), v.shape.cols()))
        .collect();
    let layers = &trained_model.networks[net_id.0].layers;
    if let crate::model::LayerParam::Var(id) = layers[0].weight {
        vars[id.0] = w1;
    }
    if let crate::model::LayerParam::Var(id) = layers[1].weight {
        vars[id.0] = w2;
    }
    if let (Some(crate::model::LayerParam::Var(id)), Some(b)) =
        (&layers[1].bias_param, lowered.output_bias)
    {
        if let Some(vals) = map.values(&x, b) {
            vars[id.0] = DMatrix::from_column_slice(vals.len(), 1, vals);
        }
    }
    // User variables keep their solved values.
    for (i, v) in trained_model.vars.iter().enumerate() {
        if matches!(v.role, crate::model::VarRole::User) {
            if let Some(Some(pid)) = lowered.translation.vars.get(i) {
                if let Some(vals) = map.values(&x, *pid) {
                    vars[i] = DMatrix::from_column_slice(v.shape.rows(), v.shape.cols(), vals);
                }
            }
        }
    }
    let values = Values::new(&trained_model, vars)
        .map_err(|e| TrainError::Invalid(vec![e.to_diagnostic()]))?;
    let mut notes = outcome.notes.clone();
    if outcome.status == Status::AlmostOptimal {
        notes.push(format!(
            "{} met its tolerances only in part (almost optimal): the objective, network and slacks reported are those of the point it returned, and the weights are written; raise `max_iter` or loosen the `tol_*` settings of the solver block for an optimal solve",
            outcome.backend.name()
        ));
    }
    if m > declared_width {
        notes.push(format!(
            "the optimum uses {m} hidden neurons, more than the {declared_width} declared: the trained network has {m} (a network of width {declared_width} cannot reach this optimum)"
        ));
    }
    let (enumeration, draws, exactness) = match lowered.patterns.source {
        Source::Exact => ("exact", None, Exactness::Exact),
        Source::Sampled { draws, .. } => ("sampled", Some(draws), Exactness::Restriction),
    };
    Ok(Trained {
        method: MethodKind::Patterns,
        net: net_id,
        values,
        status: Some(outcome.status),
        convex_objective: outcome.objective,
        compile_seconds,
        solve_seconds: outcome.solve_seconds,
        sizes: Some(sizes(&problem)),
        exactness,
        patterns: Some(PatternInfo {
            enumeration: enumeration.into(),
            rank: lowered.patterns.rank,
            patterns: lowered.patterns.len(),
            with_empty: lowered.patterns.len_with_empty(),
            draws,
            neurons,
            merged_neurons: m,
            declared_width,
        }),
        model: trained_model,
        restarts: Vec::new(),
        notes,
    })
}

/// The model with the first hidden layer of `net` resized to `m` neurons.
pub fn with_hidden_width(model: &Model, net: NetId, m: usize) -> Model {
    let mut out = model.clone();
    let layers = &mut out.networks[net.0].layers;
    layers[0].outputs = m;
    layers[1].inputs = m;
    let resize = |p: &crate::model::LayerParam,
                  vars: &mut Vec<crate::model::Variable>,
                  f: &dyn Fn(&Shape) -> Shape| {
        if let crate::model::LayerParam::Var(id) = p {
            let s = f(&vars[id.0].shape);
            vars[id.0].shape = s;
        }
    };
    let (w1, b1, w2) = (
        layers[0].weight.clone(),
        layers[0].bias_param.clone(),
        layers[1].weight.clone(),
    );
    resize(&w1, &mut out.vars, &|s| Shape(vec![m, s.cols()]));
    if let Some(b) = &b1 {
        resize(b, &mut out.vars, &|_| Shape(vec![m]));
    }
    resize(&w2, &mut out.vars, &|s| Shape(vec![s.rows(), m]));
    out
}

fn train_adam(model: &Model, method: &Method) -> Result<Trained, TrainError> {
    let opts = adam::AdamOptions::from_method(method);
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
        restarts: result.restarts.iter().map(|r| r.best).collect(),
        notes,
    })
}
