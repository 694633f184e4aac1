//! The pattern lowering: a model whose network is two-layer ReLU becomes the convex group lasso
//! of [`super`] (Pilanci & Ergen 2020; docs/PATTERNS.md), one scalar sub-network per output.
//!
//! The network's output on its training data, `net(train.x)` (n×k), becomes the affine
//! `ŷ_{:,c} = Σ_i D_i X (v_{i,c} − w_{i,c})` (plus a free output bias when the last layer has one),
//! built sparse from the pattern bits (the program's columns are `V_c` and `W_c`, or with
//! `differences = true` `V_c` and `U_c = V_c − W_c`, see [`OutputBlocks`]); the weight decay
//! `γ · sum_squares(weights(net))` becomes `2γ Σ_{i,c} (‖v_{i,c}‖₂ + ‖w_{i,c}‖₂)` (so `γ = β/2`
//! gives `β Σ ‖·‖`); every other part of the objective and every constraint on the outputs
//! stays as written, now convex in `ŷ`. Each block adds the cone constraints
//! `(2D_i − I) X v_{i,c} ≥ 0`. With all patterns (exact enumeration) the optimum is the
//! network's global optimum; with sampled ones it is the optimum of the network restricted to
//! those patterns (an upper bound).

use nalgebra::DMatrix;

use super::{exact, sampled, PatternError, Patterns, Source, Strategy};
use crate::convex::from_model::{self, Context, Translation};
use crate::convex::{Affine, Constraint, Expr, LinOp, VarId, VarSpec};
use crate::diag::{Diagnostic, SourceMap, Span};
use crate::model::{
    self, Atom, BiasMode, DataPart, ExprKind, LayerParam, Method, Model, NetId, OptionValue,
};
use crate::syntax::ast::BinOp;

/// The stage name in origins and printed stages.
pub const STAGE: &str = "patterns";

/// What the lowering produced: the convex program and what is needed to map a solution back.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// The network trained.
    pub net: NetId,
    /// The training features the patterns are of (bias column appended when the first layer
    /// has `bias = column`), n×d.
    pub x: DMatrix<f64>,
    /// Whether `x` has the bias column.
    pub bias_column: bool,
    /// Every candidate pattern: all of them (exact enumeration), or the sampled ones and those
    /// the pattern search found.
    pub candidates: Patterns,
    /// The patterns of the current program: the working set, or every candidate with
    /// `working_set = false`.
    pub patterns: Patterns,
    /// Per output `c`: where the blocks `v_{i,c}`, `w_{i,c}` are among the program's columns,
    /// created where the network's output is first used.
    pub blocks: Vec<OutputBlocks>,
    /// The free output bias (k), when the last layer has a separate bias.
    pub output_bias: Option<VarId>,
    /// The weight-decay coefficient `γ` found in the objective (0 without weight decay).
    pub gamma: f64,
    /// The method's options.
    pub options: Options,
    /// The program and where model variables went.
    pub translation: Translation,
    /// The model, its sources and the method, to rebuild the program for a new working set.
    pub(crate) source: (Box<Model>, SourceMap, Method),
    /// The working-set loop's state (rounds, the last dual point, the certificate).
    pub(crate) state: super::working_set::State,
    /// The facet rows of each pattern's cone found so far ([`super::price::facets`]).
    pub(crate) facets: std::collections::HashMap<super::Pattern, Vec<usize>>,
}

/// The method's options (docs/LANGUAGE.md, `method patterns`).
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Whether neurons with the same activation pattern are merged after recovery (`merge`,
    /// default true).
    pub merge: bool,
    /// Solve on a working set of patterns grown by pricing (`working_set`; by default on when
    /// there are more than [`super::working_set::AUTO_PER_SAMPLE`] candidates per sample and
    /// output, where it measured faster than solving every candidate at once;
    /// docs/PERFORMANCE.md).
    pub working_set: bool,
    /// In the working-set loop, look for violated patterns outside a sampled candidate set, at
    /// most [`super::working_set::SEARCH_PER_DRAW`] per pattern drawn, until a pass gains less
    /// than [`super::working_set::SEARCH_RTOL`] (`search`, default true;
    /// exact enumeration has every pattern already).
    pub search: bool,
    /// Random starts of the pattern search per output and round (`starts`).
    pub starts: usize,
    /// Reduce the recovered network to a basic solution of at most n neurons per output
    /// (`reduce`, default true).
    pub reduce: bool,
    /// Keep only the facet rows of each pattern's sign constraints (`facets`, default true);
    /// `false` keeps all n.
    pub facets: bool,
    /// Make the program's second block of columns `U = V − W` instead of `W` ([`OutputBlocks`];
    /// `differences`, by default on for the full solve and for the working set with the
    /// pattern search, off for the working set without it, where each was measured faster: a
    /// fifth of the full solve's time on the diabetes benchmark, a quarter of the searching
    /// working set's, while the 2-D working set took more passes with them;
    /// docs/PERFORMANCE.md). A pass that Clarabel does not solve to its tolerances with them, or whose network misses the
    /// program's optimum, is solved again with plain blocks, as is every later pass
    /// ([`Lowered::plain_blocks`]).
    pub differences: bool,
    /// The seed of sampling and search.
    pub seed: u64,
}

impl Options {
    fn of(method: &Method) -> Options {
        let flag = |k: &str| !matches!(method.get(k), Some(OptionValue::Bool(false)));
        let num = |k: &str, default: f64| match method.get(k) {
            Some(OptionValue::Number(v)) => *v,
            _ => default,
        };
        Options {
            merge: flag("merge"),
            // Resolved against the candidates' count in `lower` when not given.
            working_set: matches!(method.get("working_set"), Some(OptionValue::Bool(true))),
            search: flag("search"),
            starts: num("starts", 64.0) as usize,
            reduce: flag("reduce"),
            facets: flag("facets"),
            // Resolved against the working set in `lower` when not given.
            differences: flag("differences"),
            seed: num("seed", 0.0) as u64,
        }
    }
}

/// The blocks of one output among the program's columns. `V` (d×P, column `i` is `v_i`) is a
/// variable; so is the second, either `W` itself or, with difference blocks
/// ([`Options::differences`]), `U = V − W`, so that `w_i = v_i − u_i` is affine in the columns
/// and `ŷ = Σ_i D_i X u_i` couples one block per pattern to the samples instead of two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputBlocks {
    /// `V`.
    pub v: VarId,
    /// `W`, or `U` with difference blocks.
    pub second: VarId,
    /// Whether `second` is `U`.
    pub differences: bool,
}

impl OutputBlocks {
    /// `w`'s columns with their signs: `[(W, 1)]`, or `[(V, 1), (U, −1)]`.
    fn w_terms(&self, offset: impl Fn(VarId) -> usize) -> Vec<(usize, f64)> {
        if self.differences {
            vec![(offset(self.v), 1.0), (offset(self.second), -1.0)]
        } else {
            vec![(offset(self.second), 1.0)]
        }
    }

    /// `v − w`'s columns with their signs: `[(V, 1), (W, −1)]`, or `[(U, 1)]`.
    fn difference_terms(&self, offset: impl Fn(VarId) -> usize) -> Vec<(usize, f64)> {
        if self.differences {
            vec![(offset(self.second), 1.0)]
        } else {
            vec![(offset(self.v), 1.0), (offset(self.second), -1.0)]
        }
    }

    /// The values of `V` and `W` (column-major d×P each) from those of the two variables.
    pub fn values(&self, of: impl Fn(VarId) -> Option<Vec<f64>>) -> Option<(Vec<f64>, Vec<f64>)> {
        let (v, second) = (of(self.v)?, of(self.second)?);
        if !self.differences {
            return Some((v, second));
        }
        let w = v.iter().zip(&second).map(|(v, u)| v - u).collect();
        Some((v, w))
    }
}

/// Lowers `model` with the options of its `patterns` method.
pub fn lower(
    model: &Model,
    sources: &SourceMap,
    method: &Method,
) -> Result<Lowered, Vec<Diagnostic>> {
    let (net_id, bias_column, output_bias) = check_network(model, method)?;
    let net = &model.networks[net_id.0];
    let data = net.input.map(|d| &model.datasets[d.0]).ok_or_else(|| {
        vec![Diagnostic::error(
            "E1203",
            "the patterns method trains a network declared over data",
        )
        .with_primary(net.span, "loaded networks have fixed weights")]
    })?;
    let x = if bias_column {
        data.x.clone().insert_column(data.x.ncols(), 1.0)
    } else {
        data.x.clone()
    };
    let candidates = find_patterns(&x, method)?;
    let mut options = Options::of(method);
    if method.get("working_set").is_none() {
        options.working_set = super::working_set::auto(candidates.len(), x.nrows(), net.outputs());
    }
    if method.get("differences").is_none() {
        // With the search, passes hold about 2n patterns each, as large as a full solve.
        let searching = options.search && matches!(candidates.source, Source::Sampled { .. });
        options.differences = !options.working_set || searching;
    }
    let patterns = if options.working_set {
        super::working_set::initial(&x, &data.y, net.outputs(), output_bias, &candidates)
    } else {
        candidates.clone()
    };
    let mut l = Lowered {
        net: net_id,
        x,
        bias_column,
        candidates,
        patterns,
        blocks: Vec::new(),
        output_bias: None,
        gamma: 0.0,
        options,
        translation: Translation {
            program: Default::default(),
            vars: Vec::new(),
        },
        source: (Box::new(model.clone()), sources.clone(), method.clone()),
        state: Default::default(),
        facets: Default::default(),
    };
    l.build(output_bias)?;
    if l.options.working_set {
        l.show_pass("working set pass");
    }
    Ok(l)
}

impl Lowered {
    /// The hook that substitutes the network in the model's program (`dual`: ŷ free, no blocks).
    fn hook(&self, output_bias: bool, dual: bool) -> Hook<'_> {
        let net = &self.source.0.networks[self.net.0];
        Hook {
            net: self.net,
            data: net.input,
            x: &self.x,
            patterns: &self.patterns,
            outputs: net.outputs(),
            output_bias,
            blocks: Vec::new(),
            bias_var: None,
            yhat: None,
            gamma: 0.0,
            dual,
            differences: self.options.differences,
        }
    }

    /// Builds the program of [`Lowered::patterns`]: the model with the network's output and
    /// weight decay substituted, and the sign cones of every block.
    pub(crate) fn build(&mut self, output_bias: bool) -> Result<(), Vec<Diagnostic>> {
        let rows = self.sign_rows();
        let (model, sources, method) = (&*self.source.0, &self.source.1, &self.source.2);
        let mut hook = self.hook(output_bias, false);
        let mut translation = from_model::program(model, sources, &mut hook)?;
        let (blocks, bias_var, gamma) = (hook.blocks, hook.bias_var, hook.gamma);
        signs_of_blocks(
            &mut translation,
            &self.x,
            &self.patterns,
            &rows,
            &blocks,
            method.span,
        )?;
        self.blocks = blocks;
        self.output_bias = bias_var;
        self.gamma = gamma;
        self.translation = translation;
        Ok(())
    }

    /// The sign rows kept for each pattern of [`Lowered::patterns`]: its facets (computed once
    /// per pattern and remembered), or every sample with `facets = false`.
    fn sign_rows(&mut self) -> Vec<Vec<usize>> {
        let n = self.x.nrows();
        if !self.options.facets {
            return vec![(0..n).collect(); self.patterns.len()];
        }
        let missing: Vec<&super::Pattern> = self
            .patterns
            .iter()
            .filter(|p| !self.facets.contains_key(*p))
            .collect();
        if !missing.is_empty() {
            let data = super::PricingData::new(&self.x);
            // In chunks, so that a long search (seconds on diabetes) shows on the progress line.
            let mut found = Vec::with_capacity(missing.len());
            for chunk in missing.chunks(64) {
                found.extend(super::price::facets_all(&data, chunk));
                crate::progress::status(|| {
                    format!(
                        "facet rows of {} of {} patterns",
                        found.len(),
                        missing.len()
                    )
                });
            }
            let missing: Vec<super::Pattern> = missing.into_iter().cloned().collect();
            self.facets.extend(missing.into_iter().zip(found));
        }
        self.patterns
            .iter()
            .map(|p| self.facets[p].clone())
            .collect()
    }

    /// The program of the dual function at `λ` (n×k): the model with the network's output a
    /// free `ŷ` and the weight decay dropped, plus `−⟨λ, ŷ⟩` in the objective; its optimum is
    /// `h(λ) = inf_ŷ F(ŷ) − ⟨λ, ŷ⟩` over the model's other constraints (docs/PATTERNS.md,
    /// "Certificate"). `None` when the model's objective never uses the network's output.
    pub(crate) fn dual_program(
        &self,
        lambda: &DMatrix<f64>,
    ) -> Result<Option<Translation>, Vec<Diagnostic>> {
        let (model, sources) = (&*self.source.0, &self.source.1);
        let mut hook = self.hook(false, true);
        let mut translation = from_model::program(model, sources, &mut hook)?;
        let Some(y) = hook.yhat else {
            return Ok(None);
        };
        let Some(objective) = translation.program.objective.as_mut() else {
            return Ok(None);
        };
        let first = translation.program.vars[y.0].offset;
        let len = lambda.len();
        let term = Affine::from_fn_with_capacity(1, 1, len, |_, terms| {
            for (e, &l) in lambda.as_slice().iter().enumerate() {
                if l != 0.0 {
                    terms.push(first + e, -l);
                }
            }
            0.0
        });
        let sum = Expr::linear(LinOp::Add, vec![objective.expr.clone(), term.into()])
            .map_err(|e| vec![e.to_diagnostic(None)])?;
        objective.expr = sum;
        Ok(Some(translation))
    }
}

/// The cone constraints, one stacked block per variable block (rows `i·n..(i+1)·n` are
/// pattern `i`), written from a row-major copy of X, the blocks built on parallel threads.
fn signs_of_blocks(
    translation: &mut Translation,
    x: &DMatrix<f64>,
    patterns: &Patterns,
    sign_rows: &[Vec<usize>],
    blocks: &[OutputBlocks],
    span: Option<Span>,
) -> Result<(), Vec<Diagnostic>> {
    let (n, d) = x.shape();
    if patterns.is_empty() {
        return Ok(());
    }
    let list: Vec<&super::Pattern> = patterns.iter().collect();
    let rows = row_major(x);
    let offset = |id: VarId| translation.program.vars[id.0].offset;
    let terms: Vec<Vec<(usize, f64)>> = blocks
        .iter()
        .flat_map(|b| [vec![(offset(b.v), 1.0)], b.w_terms(offset)])
        .collect();
    let signed: Vec<Affine> = std::thread::scope(|s| {
        let handles: Vec<_> = terms
            .iter()
            .map(|terms| {
                let (rows, list) = (&rows, &list);
                s.spawn(move || signs(rows, d, list, sign_rows, terms))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a lowering thread panicked"))
            .collect()
    });
    let kept: usize = sign_rows.iter().map(Vec::len).sum();
    let layout = if kept == n * list.len() {
        format!("pattern i in rows {n}i..{n}i+{}", n - 1)
    } else {
        format!(
            "the facet rows of each pattern in turn ({kept} of {})",
            n * list.len()
        )
    };
    for (b, signed) in signed.into_iter().enumerate() {
        let (c, which) = (b / 2, if b % 2 == 0 { "v" } else { "w" });
        let len = signed.len();
        let zero =
            Expr::constant(len, 1, vec![0.0; len]).map_err(|e| vec![e.to_diagnostic(span)])?;
        let of = if blocks.len() == 1 {
            String::new()
        } else {
            format!(" of output {c}")
        };
        let sign = Constraint::ge(signed.into(), zero);
        let sign = match span {
            Some(s) => sign.with_span(s),
            None => sign,
        };
        translation
            .program
            .constrain(sign.with_stage(STAGE).with_label(format!(
                "signs of {which}{of}: (2D_i - I) X {which}_i >= 0, {}",
                layout
            )));
    }
    Ok(())
}

/// The one trainable network, checked to be a two-layer ReLU network this method trains.
fn check_network(model: &Model, at: &Method) -> Result<(NetId, bool, bool), Vec<Diagnostic>> {
    let trainable = model.trainable_networks();
    let [i] = trainable.as_slice() else {
        let d = at.label(
            Diagnostic::error(
                "E1201",
                format!(
                    "the patterns method trains one network; this model has {}",
                    trainable.len()
                ),
            ),
            true,
            "method declared here",
        );
        return Err(vec![d]);
    };
    let net = &model.networks[*i];
    let shape_help = "the exact convex program is for `dense(m, relu, bias = column)` then `dense(k, bias = none)` (or a separate output bias)";
    let err = |span: Span, msg: String, label: &str| {
        let d = Diagnostic::error("E1201", msg).with_primary(span, label.to_string());
        vec![at.label(d, false, "method patterns").with_help(shape_help)]
    };
    if net.layers.len() != 2 {
        return Err(err(
            net.span,
            format!(
                "the patterns method trains two-layer networks; `{}` has {} layers",
                net.name,
                net.layers.len()
            ),
            "not two layers",
        ));
    }
    let (l1, l2) = (&net.layers[0], &net.layers[1]);
    if l1.activation.name != "relu" {
        return Err(err(
            l1.span,
            format!(
                "the hidden layer must be `relu`, not `{}`",
                l1.activation.name
            ),
            "not relu",
        ));
    }
    if l2.activation.name != "identity" {
        return Err(err(
            l2.span,
            format!(
                "the output layer must be linear (`identity`), not `{}`",
                l2.activation.name
            ),
            "not linear",
        ));
    }
    if l1.bias == BiasMode::Separate {
        return Err(err(
            l1.span,
            "a separate hidden bias is not regularized, which the convex program does not cover"
                .into(),
            "use `bias = column` (regularized like a weight) or `bias = none`",
        ));
    }
    for l in &net.layers {
        for p in [Some(&l.weight), l.bias_param.as_ref()]
            .into_iter()
            .flatten()
        {
            if let LayerParam::Var(v) = p {
                let var = &model.vars[v.0];
                if var.lower.is_some() || var.upper.is_some() {
                    return Err(err(
                        l.span,
                        format!(
                            "`{}` has a box; the patterns method cannot bound weights",
                            var.name
                        ),
                        "weight box",
                    ));
                }
            }
        }
    }
    Ok((
        NetId(*i),
        l1.bias == BiasMode::Column,
        l2.bias == BiasMode::Separate,
    ))
}

fn find_patterns(x: &DMatrix<f64>, method: &Method) -> Result<Patterns, Vec<Diagnostic>> {
    let word = |k: &str| match method.get(k) {
        Some(OptionValue::Word(w)) => w.clone(),
        _ => String::new(),
    };
    let num = |k: &str| match method.get(k) {
        Some(OptionValue::Number(v)) => *v,
        _ => 0.0,
    };
    let result = if word("enumeration") == "sampled" {
        let strategy = if word("strategy") == "data_aware" {
            Strategy::Data
        } else {
            Strategy::Gaussian
        };
        sampled(x, num("count") as usize, num("seed") as u64, strategy)
    } else {
        exact(x)
    };
    result.map_err(|e| {
        let d = method.label(
            Diagnostic::error("E1202", e.to_string()),
            true,
            "method declared here",
        );
        vec![match e {
            PatternError::RankTooHigh { .. } => d.with_help(
                "write `method patterns(enumeration = sampled, count = 1000, seed = 0)`",
            ),
            PatternError::NonFinite { .. } => d,
        }]
    })
}

/// The substitutions of the lowering.
struct Hook<'a> {
    net: NetId,
    data: Option<model::DataId>,
    x: &'a DMatrix<f64>,
    patterns: &'a Patterns,
    outputs: usize,
    output_bias: bool,
    blocks: Vec<OutputBlocks>,
    bias_var: Option<VarId>,
    yhat: Option<VarId>,
    gamma: f64,
    /// Build the dual function's program: `ŷ` free, no blocks, no weight decay.
    dual: bool,
    /// [`Options::differences`].
    differences: bool,
}

impl Hook<'_> {
    fn ensure_blocks(&mut self, cx: &mut Context<'_>) {
        if !self.blocks.is_empty() {
            return;
        }
        let (d, p) = (self.x.ncols(), self.patterns.len());
        for c in 0..self.outputs {
            let suffix = if self.outputs == 1 {
                String::new()
            } else {
                format!("{c}")
            };
            let v = cx.prog.add_var(VarSpec::new(format!("V{suffix}"), d, p));
            let name = if self.differences { "U" } else { "W" };
            let second = cx
                .prog
                .add_var(VarSpec::new(format!("{name}{suffix}"), d, p));
            self.blocks.push(OutputBlocks {
                v,
                second,
                differences: self.differences,
            });
        }
        if self.output_bias {
            self.bias_var = Some(cx.prog.add_var(VarSpec::new("b_out", self.outputs, 1)));
        }
    }

    /// `ŷ` (n×k), a variable defined once by `ŷ = Σ_i D_i X (v_i − w_i)` per output column
    /// (plus the output bias). Every use of `ŷ` (a loss, several constraints) then refers to
    /// one column each instead of repeating the `O(P·d)` terms of each entry, which keeps the
    /// solver's matrix sparse.
    fn prediction(&mut self, cx: &mut Context<'_>, span: Span) -> Result<Expr, Vec<Diagnostic>> {
        if let Some(y) = self.yhat {
            return Ok(cx.prog.var_expr(y));
        }
        if self.dual {
            let y = cx
                .prog
                .add_var(VarSpec::new("yhat", self.x.nrows(), self.outputs));
            self.yhat = Some(y);
            return Ok(cx.prog.var_expr(y));
        }
        let defining = self.prediction_terms(cx);
        let y = cx
            .prog
            .add_var(VarSpec::new("yhat", self.x.nrows(), self.outputs));
        self.yhat = Some(y);
        let var = cx.prog.var_expr(y);
        cx.prog.constrain(
            Constraint::eq(var.clone(), defining)
                .with_stage(STAGE)
                .with_span(span)
                .with_label(super::working_set::DEFINITION),
        );
        Ok(var)
    }

    /// The affine `Σ_i D_i X (v_i − w_i)` (plus the output bias), n×k: `Σ_i D_i X u_i` with
    /// difference blocks. Through `U` each pattern's d columns enter the n rows of `ŷ`'s
    /// definition once instead of twice (once for `v_i`, once for `w_i`): that dense coupling
    /// is what the solver's factorization pays for in every iteration (docs/PERFORMANCE.md).
    fn prediction_terms(&mut self, cx: &mut Context<'_>) -> Expr {
        self.ensure_blocks(cx);
        let (n, d) = self.x.shape();
        let offset = |id: VarId| cx.prog.vars[id.0].offset;
        // Per output, the blocks entering ŷ with their signs.
        let firsts: Vec<Vec<(usize, f64)>> = self
            .blocks
            .iter()
            .map(|b| b.difference_terms(offset))
            .collect();
        let bias = self.bias_var.map(|b| cx.prog.vars[b.0].offset);
        // Active patterns of each sample, once.
        let mut active: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, p) in self.patterns.iter().enumerate() {
            for j in p.active() {
                active[j].push(i);
            }
        }
        let rows = row_major(self.x);
        let per: usize = firsts.first().map_or(0, Vec::len);
        let terms: usize = active.iter().map(Vec::len).sum::<usize>() * per * d * self.outputs;
        Affine::from_fn_with_capacity(n, self.outputs, terms + n * self.outputs, |e, terms| {
            let (j, c) = (e % n, e / n);
            let xj = &rows[j * d..(j + 1) * d];
            for &i in &active[j] {
                for &(first, sign) in &firsts[c] {
                    for (k, &a) in xj.iter().enumerate() {
                        if a != 0.0 {
                            terms.push(first + i * d + k, sign * a);
                        }
                    }
                }
            }
            if let Some(b) = bias {
                terms.push(b + c, 1.0);
            }
            0.0
        })
        .into()
    }
    /// `2γ Σ (‖v_i‖ + ‖w_i‖)` over every block.
    fn group_lasso(&mut self, gamma: f64, cx: &mut Context<'_>) -> Result<Expr, Vec<Diagnostic>> {
        self.ensure_blocks(cx);
        self.gamma += gamma;
        let d = self.x.ncols();
        let mut norms = Vec::with_capacity(2 * self.blocks.len() * self.patterns.len());
        let offset = |id: VarId| cx.prog.vars[id.0].offset;
        for b in &self.blocks {
            for terms in [vec![(offset(b.v), 1.0)], b.w_terms(offset)] {
                for i in 0..self.patterns.len() {
                    let block = Affine::from_fn_with_capacity(d, 1, d * terms.len(), |k, t| {
                        for &(first, sign) in &terms {
                            t.push(first + i * d + k, sign);
                        }
                        0.0
                    });
                    norms.push(Expr::from(block).norm2());
                }
            }
        }
        if norms.is_empty() {
            return Ok(Expr::scalar(0.0));
        }
        Expr::linear(LinOp::Add, norms)
            .map(|e| e.scale(2.0 * gamma))
            .map_err(|e| vec![e.to_diagnostic(None)])
    }
}

/// `γ · sum_squares(weights(net))` (or `sum_squares(weights(net)) · γ`), with its `γ`.
fn weight_decay(e: &model::Expr, net: NetId) -> Option<f64> {
    let is_decay = |x: &model::Expr| {
        matches!(&x.kind, ExprKind::Atom(Atom::SumSquares, args)
            if matches!(args.as_slice(), [a] if matches!(a.kind, ExprKind::Weights(n) if n == net)))
    };
    match &e.kind {
        _ if is_decay(e) => Some(1.0),
        ExprKind::Binary(BinOp::Mul, a, b) => match (a.number(), b.number()) {
            (Some(g), _) if is_decay(b) => Some(g),
            (_, Some(g)) if is_decay(a) => Some(g),
            _ => None,
        },
        ExprKind::Binary(BinOp::Div, a, b) if is_decay(a) => b.number().map(|q| 1.0 / q),
        _ => None,
    }
}

impl from_model::Lowering for Hook<'_> {
    fn substitute(
        &mut self,
        e: &model::Expr,
        cx: &mut Context<'_>,
    ) -> Option<Result<Expr, Vec<Diagnostic>>> {
        if let Some(gamma) = weight_decay(e, self.net) {
            if gamma < 0.0 {
                return Some(Err(vec![Diagnostic::error(
                    "E1204",
                    "a negative weight decay is not convex",
                )
                .with_primary(
                    e.span,
                    format!("{gamma} · sum_squares(weights(net)), a negative multiple"),
                )
                .with_help(
                    "`weight_decay(net, beta)` is `beta / 2 * sum_squares(weights(net))`: give a beta >= 0",
                )]));
            }
            if self.dual {
                self.gamma += gamma;
                return Some(Ok(Expr::scalar(0.0).with_span(e.span)));
            }
            return Some(self.group_lasso(gamma, cx).map(|x| x.with_span(e.span)));
        }
        match &e.kind {
            ExprKind::NetOut(n, arg) if *n == self.net => {
                let on_training_data = matches!(arg.kind, ExprKind::Data(d, DataPart::X) if Some(d) == self.data);
                if !on_training_data {
                    return Some(Err(vec![Diagnostic::error(
                        "E1203",
                        "the patterns method knows the network's output on its training features only",
                    )
                    .with_primary(arg.span, "not the training features")
                    .with_help("apply the network to the data it is declared over, e.g. `net(train.x)`; evaluate other data with `cnnc eval`")]));
                }
                Some(self.prediction(cx, e.span).map(|y| y.with_span(e.span)))
            }
            ExprKind::Weights(n) if *n == self.net => Some(Err(vec![Diagnostic::error(
                "E1203",
                "the patterns method supports the weights only in weight decay `γ * sum_squares(weights(net))`",
            )
            .with_primary(e.span, "used otherwise here")
            .with_help("use `weight_decay(net, beta)` from `regularizers`, or another method")])),
            ExprKind::Var(v) if matches!(cx.model.vars[v.0].role, model::VarRole::Weight { net, .. } | model::VarRole::Bias { net, .. } if net == self.net) => {
                Some(Err(vec![Diagnostic::error(
                    "E1203",
                    "the patterns method replaces the network's weights: they cannot appear on their own",
                )
                .with_primary(e.span, "a network parameter")
                .with_help("constrain the network's outputs instead, or use another method")]))
            }
            _ => None,
        }
    }
}

/// The entries of `x` row by row (`x[(j, k)]` at `j·d + k`), for the loops that walk a sample's
/// features: nalgebra stores columns contiguously.
fn row_major(x: &DMatrix<f64>) -> Vec<f64> {
    x.transpose().as_slice().to_vec()
}

/// `(2D_i − I) X u_i` stacked over the patterns `i` (its sign rows each), for the block
/// `u = Σ sign·block` over `blocks` (`(first, sign)`: column `u_i[k]` of each block is
/// `first + i·d + k`); `rows` is X row-major with `d` columns.
fn signs(
    rows: &[f64],
    d: usize,
    patterns: &[&super::Pattern],
    sign_rows: &[Vec<usize>],
    blocks: &[(usize, f64)],
) -> Affine {
    let at: Vec<(usize, usize)> = sign_rows
        .iter()
        .enumerate()
        .flat_map(|(i, js)| js.iter().map(move |&j| (i, j)))
        .collect();
    Affine::from_fn_with_capacity(at.len(), 1, at.len() * d * blocks.len(), |e, terms| {
        let (i, j) = at[e];
        let s = if patterns[i].get(j) { 1.0 } else { -1.0 };
        for &(first, sign) in blocks {
            let col0 = first + i * d;
            for (k, &a) in rows[j * d..(j + 1) * d].iter().enumerate() {
                if a != 0.0 {
                    terms.push(col0 + k, sign * s * a);
                }
            }
        }
        0.0
    })
}

#[cfg(test)]
mod tests {
    use indicatif::{InMemoryTerm, ProgressDrawTarget};

    use crate::diag::SourceMap;

    #[test]
    fn the_facet_search_shows_on_the_progress_line() {
        let text = "use losses.{squared_error}
            use regularizers.{weight_decay}
            data train = inline(x = [[-2], [-1], [0], [1], [2]], y = [1, 0, 0, 0, 1])
            network net(train) { dense(4, relu, bias = column)  dense(1, bias = none) }
            minimize squared_error(net(train.x), train.y) + weight_decay(net, 0.1)
            method patterns(enumeration = exact)";
        let mut sources = SourceMap::new();
        let src = sources.add("t.cnn", None, text.to_string());
        let (_, model) = crate::frontend(
            &mut sources,
            src,
            std::path::Path::new("."),
            &Default::default(),
        )
        .expect("checks");
        let term = InMemoryTerm::new(4, 120);
        let target = ProgressDrawTarget::term_like(Box::new(term.clone()));
        let activity =
            crate::progress::Activity::with_target(target, "patterns", std::time::Duration::ZERO);
        let lowered = super::lower(&model, &sources, &model.methods[0]).expect("lowers");
        // 9 exact patterns, one chunk.
        assert_eq!(lowered.candidates.len(), 9);
        assert!(
            term.contents()
                .starts_with("patterns  facet rows of 9 of 9 patterns"),
            "{}",
            term.contents()
        );
        drop(activity);
        assert_eq!(term.contents(), "");
    }
}
