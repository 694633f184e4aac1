//! The pattern method behind [`Lowering`]: its stage text, the neurons and weights recovered
//! from a solution (every non-zero block a neuron, merged by pattern and pruned by effect), the
//! gap between the program's optimum and the recovered network, and its report block.

use std::fmt::Write as _;

use nalgebra::DMatrix;

use super::lowering::{Lowered, STAGE};
use super::working_set::SearchEnd;
use super::{merge, prune, recover, reduce, Blocks, Network, Source, PRUNE_RTOL};
use crate::conic::canon::ColumnMap;
use crate::convex::from_model::Translation;
use crate::diag::Diagnostic;
use crate::lower::{Exactness, Lowering, Measure, Recovered};
use crate::model::{LayerParam, Model, NetId, Shape, VarRole, Variable};
use crate::nn::{eval, metrics::relative_difference, Values};

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
    /// Neurons after reducing each output's network to a basic solution (at most n neurons;
    /// equal to `neurons` with `reduce = false`).
    pub reduced_neurons: usize,
    /// Neurons after merging neurons with the same activation pattern.
    pub merged_neurons: usize,
    /// Candidate patterns priced (all patterns with exact enumeration).
    pub candidates: usize,
    /// Patterns the search found outside the sampled candidates.
    pub found_by_search: usize,
    /// Passes of the working-set loop (1 without a working set).
    pub rounds: usize,
    /// The hidden width declared in the model.
    pub declared_width: usize,
    /// Whether neurons with the same pattern were merged (`merge = true`, the default).
    #[serde(skip)]
    pub merged: bool,
}

impl Lowering for Lowered {
    fn name(&self) -> &'static str {
        STAGE
    }

    fn exactness(&self) -> Exactness {
        match self.patterns.source {
            Source::Exact => Exactness::Exact,
            Source::Sampled { .. } => Exactness::Restriction,
        }
    }

    fn net(&self) -> Option<NetId> {
        Some(self.net)
    }

    fn translation(&self) -> &Translation {
        &self.translation
    }

    fn recover(
        &self,
        model: &Model,
        map: &ColumnMap,
        x: &[f64],
    ) -> Result<Recovered, Vec<Diagnostic>> {
        recover_network(self, model, map, x)
    }

    fn measure(
        &self,
        program_objective: Option<f64>,
        r: &Recovered,
    ) -> Result<Option<Measure>, Vec<Diagnostic>> {
        let (Some(a), Some(_)) = (program_objective, &r.model.objective) else {
            return Ok(None);
        };
        let b = eval::objective(&r.model, &r.values).map_err(|e| vec![e.to_diagnostic()])?;
        Ok(Some(Measure::gap(
            "relative difference",
            relative_difference(a, b),
        )))
    }

    fn observe(&mut self, problem: &crate::conic::ConicProblem, outcome: &crate::solve::Outcome) {
        self.observe_solve(problem, outcome);
    }

    fn pass_settings(&self, base: &crate::solve::Settings) -> crate::solve::Settings {
        self.settings_for_pass(base)
    }

    fn fallback(&mut self) -> Result<Option<String>, Vec<Diagnostic>> {
        self.plain_blocks()
    }

    fn next(
        &mut self,
        recovered: &Recovered,
        _measure: Option<&Measure>,
        _objective: Option<f64>,
    ) -> Result<crate::lower::Next, Vec<Diagnostic>> {
        self.next_pass(recovered)
    }

    fn certificate(&self) -> Option<crate::lower::Certificate> {
        self.state.certificate.clone()
    }

    fn report_block(&self, r: &Recovered) -> Vec<String> {
        let mut lines = r.patterns.as_ref().map(report_lines).unwrap_or_default();
        if self.options.working_set {
            let rounds = &self.state.rounds;
            let grown: usize = rounds.iter().map(|r| r.added).sum();
            lines.push(format!(
                "pricing    working set of {} of {} candidates in the last pass, {} pass{} ({} patterns added by pricing{}){}",
                self.patterns.len(),
                self.candidates.len(),
                rounds.len(),
                if rounds.len() == 1 { "" } else { "es" },
                grown,
                if self.state.found > 0 {
                    format!(
                        ", {} of them found by the pattern search{}",
                        self.state.found,
                        match self.search_end() {
                            Some(SearchEnd::Gain) => format!(
                                ", which stopped after a pass that gained less than {} %",
                                super::working_set::SEARCH_RTOL * 100.0
                            ),
                            Some(SearchEnd::Limit) => format!(
                                ", which stopped at its limit of {} per pattern drawn",
                                super::working_set::SEARCH_PER_DRAW
                            ),
                            None => String::new(),
                        }
                    )
                } else {
                    String::new()
                },
                if rounds.last().is_some_and(|r| r.polish) {
                    ", support polished"
                } else {
                    ""
                }
            ));
        }
        match (&self.state.certificate, &self.state.no_certificate) {
            (Some(c), _) => lines.extend(certificate_lines(c)),
            (None, Some(why)) => lines.push(format!("bounds     no certificate: {why}")),
            (None, None) => {}
        }
        lines
    }

    fn report_json(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({
            "working_set": self.options.working_set,
            "differences": self.options.differences,
            "rounds": self.state.rounds,
            "candidates": self.candidates.len(),
            "found_by_search": self.state.found,
            "search_stopped": self.search_end(),
        }))
    }

    fn stage_text(&self, _: &Model) -> String {
        patterns_text(self)
    }

    fn stage_json(&self, model: &Model) -> serde_json::Value {
        patterns_json(self, model)
    }
}

/// The certificate's report lines.
fn certificate_lines(c: &crate::lower::Certificate) -> Vec<String> {
    let over = if c.over == "all_patterns" {
        "every activation pattern: a bound on the non-convex training problem at any width"
    } else {
        "the candidate patterns only: a bound on the network restricted to them"
    };
    let num = crate::driver::report::num;
    match (c.lower_bound, c.gap, c.relative_gap) {
        (Some(l), Some(g), Some(r)) => vec![
            format!(
                "bounds     lower bound {}, upper bound {} (the trained network), gap {:.2e} (relative {:.2e})",
                num(l),
                num(c.upper_bound),
                g,
                r
            ),
            format!(
                "           over {over}; dual point scaled by the largest violation {:.2e} of {} checks",
                c.max_violation, c.checked
            ),
        ],
        _ => vec![format!(
            "bounds     no certificate: the dual function is unbounded below at the solver's dual point (largest violation {:.2e})",
            c.max_violation
        )],
    }
}

/// The report lines of a pattern run.
fn report_lines(p: &PatternInfo) -> Vec<String> {
    let draws = p
        .draws
        .map(|d| format!(" from {d} draws"))
        .unwrap_or_default();
    vec![
        format!(
            "patterns   {} {} (non-empty; {} with the empty one){draws}, data rank {}",
            p.patterns, p.enumeration, p.with_empty, p.rank
        ),
        format!(
            "neurons    {} recovered, {} in a basic solution, {} after {} (declared width {})",
            p.neurons,
            p.reduced_neurons,
            p.merged_neurons,
            if p.merged {
                "merging equal patterns and pruning noise"
            } else {
                "pruning noise (merge = false)"
            },
            p.declared_width
        ),
    ]
}

/// Neurons from the blocks, merged and pruned, assembled into the weights of a network whose
/// hidden width is the number of neurons; user variables keep their solved values.
fn recover_network(
    l: &Lowered,
    model: &Model,
    map: &ColumnMap,
    x: &[f64],
) -> Result<Recovered, Vec<Diagnostic>> {
    let k = l.blocks.len();
    let d = l.x.ncols();
    // One sub-network per output.
    let mut subnets: Vec<Network> = Vec::with_capacity(k);
    let (mut neurons, mut reduced) = (0, 0);
    for b in &l.blocks {
        let (v, w) = b
            .values(|id| Some(map.values(x, id).unwrap_or(&[]).to_vec()))
            .unwrap_or_default();
        // Column-major d×P: column i is block i; as rows, P×d.
        let block =
            |vals: &[f64]| DMatrix::from_column_slice(d, vals.len() / d.max(1), vals).transpose();
        let blocks = Blocks {
            v: block(&v),
            w: block(&w),
        };
        // Every non-zero block becomes a neuron; noise is pruned by its effect on the
        // outputs, not by its norm (small blocks over many samples add up).
        let net = recover(&blocks, 0.0);
        neurons += net.width();
        let net = prune(&net, &l.x, PRUNE_RTOL);
        let net = if l.options.reduce {
            reduce(&net, &l.x)
        } else {
            net
        };
        reduced += net.width();
        let net = if l.options.merge {
            merge(&net, &l.x)
        } else {
            net
        };
        subnets.push(prune(&net, &l.x, PRUNE_RTOL));
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
    let declared_width = model.networks[l.net.0].layers[0].outputs;
    let trained = with_hidden_width(model, l.net, m);
    let mut vars: Vec<DMatrix<f64>> = trained
        .vars
        .iter()
        .map(|v| DMatrix::zeros(v.shape.rows(), v.shape.cols()))
        .collect();
    let layers = &trained.networks[l.net.0].layers;
    if let LayerParam::Var(id) = layers[0].weight {
        vars[id.0] = w1;
    }
    if let LayerParam::Var(id) = layers[1].weight {
        vars[id.0] = w2;
    }
    if let (Some(LayerParam::Var(id)), Some(b)) = (&layers[1].bias_param, l.output_bias) {
        if let Some(vals) = map.values(x, b) {
            vars[id.0] = DMatrix::from_column_slice(vals.len(), 1, vals);
        }
    }
    // User variables keep their solved values.
    for (i, v) in trained.vars.iter().enumerate() {
        if matches!(v.role, VarRole::User) {
            if let Some(Some(pid)) = l.translation.vars.get(i) {
                if let Some(vals) = map.values(x, *pid) {
                    vars[i] = DMatrix::from_column_slice(v.shape.rows(), v.shape.cols(), vals);
                }
            }
        }
    }
    let values = Values::new(&trained, vars).map_err(|e| vec![e.to_diagnostic()])?;
    let mut notes = Vec::new();
    if m > declared_width {
        notes.push(format!(
            "the optimum uses {m} hidden neurons, more than the {declared_width} declared: the trained network has {m} (a network of width {declared_width} cannot reach this optimum)"
        ));
    }
    let (enumeration, draws) = match l.patterns.source {
        Source::Exact => ("exact", None),
        Source::Sampled { draws, .. } => ("sampled", Some(draws)),
    };
    Ok(Recovered {
        model: trained,
        values,
        program: Vec::new(),
        patterns: Some(PatternInfo {
            enumeration: enumeration.into(),
            rank: l.patterns.rank,
            patterns: l.candidates.len() - l.state.found,
            with_empty: l.candidates.len() - l.state.found + usize::from(l.candidates.empty_found),
            draws,
            neurons,
            reduced_neurons: reduced,
            merged_neurons: m,
            declared_width,
            merged: l.options.merge,
            candidates: l.candidates.len(),
            found_by_search: l.state.found,
            rounds: l.state.rounds.len() + 1,
        }),
        notes,
    })
}

/// The model with the first hidden layer of `net` resized to `m` neurons.
pub fn with_hidden_width(model: &Model, net: NetId, m: usize) -> Model {
    let mut out = model.clone();
    let layers = &mut out.networks[net.0].layers;
    layers[0].outputs = m;
    layers[1].inputs = m;
    let resize = |p: &LayerParam, vars: &mut Vec<Variable>, f: &dyn Fn(&Shape) -> Shape| {
        if let LayerParam::Var(id) = p {
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

/// The `--emit lowering` text of the pattern method: how the patterns were found, and each
/// pattern's active samples (as a bit string while the data are small).
pub fn patterns_text(l: &Lowered) -> String {
    let p = &l.candidates;
    let mut s = String::new();
    let source = match p.source {
        Source::Exact => "exact enumeration".to_string(),
        Source::Sampled {
            strategy,
            draws,
            seed,
        } => {
            format!(
                "sampled: {draws} draws, strategy {}, seed {seed}",
                strategy.name()
            )
        }
    };
    let (n, d) = l.x.shape();
    let _ = writeln!(
        s,
        "data       {n} samples x {d} columns{}, rank {}",
        if l.bias_column {
            " (bias column last)"
        } else {
            ""
        },
        p.rank
    );
    let _ = writeln!(
        s,
        "patterns   {} non-empty ({} with the empty one), {source}",
        p.len(),
        p.len_with_empty()
    );
    if l.options.working_set {
        let _ = writeln!(
            s,
            "pricing    {} in the first pass ({}), grown by pricing every candidate after each pass{}",
            l.patterns.len(),
            if l.patterns.len() == p.len() {
                format!(
                    "all: at most {} are solved whole",
                    super::working_set::SOLVE_WHOLE
                )
            } else {
                "the largest scores at the dual point of yhat = 0".to_string()
            },
            if l.options.search && matches!(p.source, Source::Sampled { .. }) {
                format!(" and by a pattern search from {} starts", l.options.starts)
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(
        s,
        "blocks     {} output(s) x {} patterns x (v, w) of length {d}",
        l.blocks.len(),
        l.patterns.len()
    );
    const SHOWN: usize = 64;
    for (i, pat) in p.iter().enumerate().take(SHOWN) {
        let bits: String = if n <= 80 {
            (0..n).map(|j| if pat.get(j) { '1' } else { '0' }).collect()
        } else {
            format!("{} of {n} active", pat.count_active())
        };
        let _ = writeln!(s, "  D[{i}] {bits}");
    }
    if p.len() > SHOWN {
        let _ = writeln!(s, "  … {} more patterns", p.len() - SHOWN);
    }
    s
}

/// The `--emit lowering --format json` object of the pattern method: the data, the pattern
/// masks and the weight decay, enough to rebuild the same program elsewhere
/// (`scripts/cvxpy_patterns.py`).
pub fn patterns_json(l: &Lowered, model: &Model) -> serde_json::Value {
    let (n, d) = l.x.shape();
    let net = &model.networks[l.net.0];
    let y = net
        .input
        .map(|id| {
            let y = &model.datasets[id.0].y;
            (0..y.nrows())
                .map(|i| y.row(i).iter().copied().collect::<Vec<f64>>())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let objective = model
        .objective
        .as_ref()
        .map(|o| crate::model::print::expr(model, &o.expr))
        .unwrap_or_default();
    serde_json::json!({
        "x": (0..n).map(|i| (0..d).map(|k| l.x[(i, k)]).collect::<Vec<f64>>()).collect::<Vec<_>>(),
        "y": y,
        "beta": 2.0 * l.gamma,
        "objective": objective,
        "rank": l.candidates.rank,
        "masks": l.candidates.iter().map(|p| (0..n).map(|j| u8::from(p.get(j))).collect::<Vec<u8>>()).collect::<Vec<_>>(),
    })
}
