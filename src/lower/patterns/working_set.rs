//! The working-set solver of the pattern method and its optimality certificate
//! (docs/PATTERNS.md, "Certificate" and "Working set").
//!
//! Let `λ` (n×k) be the dual of the equality `ŷ = Σ_i D_i X (v_i − w_i)` at a solve. A zero
//! block `v_{i,c}` (resp. `w_{i,c}`) is optimal iff `‖Π_{K_i}(−Xᵀ D_i λ_c)‖₂ ≤ β` (resp.
//! `‖Π_{K_i}(Xᵀ D_i λ_c)‖₂ ≤ β`), `K_i = {u : (2D_i − I) X u ≥ 0}` ([`super::price`]). The dual
//! of the whole program is
//!
//! ```text
//! max_λ  h(λ) = inf_ŷ F(ŷ) − ⟨λ, ŷ⟩     s.t.  ‖Π_{K_i}(±Xᵀ D_i λ_c)‖₂ ≤ β  for every i, c
//! ```
//!
//! (`F`: the model's objective and constraints in `ŷ` with the weight decay taken out; with a
//! free output bias also `1ᵀ λ_c = 0`). Scaling the solver's `λ` by `1/r`, `r ≥ 1` the largest
//! ratio score/β over every pattern, makes it feasible (the constraints are homogeneous), so
//! `h(λ/r)` is a lower bound on the convex optimum over all those patterns — with exact
//! enumeration, on the optimum of the non-convex training problem for every width. The model's
//! objective at the recovered network is an upper bound; their difference is the certificate's
//! gap.
//!
//! **Working set.** Solve on a few patterns, price every candidate at the new `λ`, keep the
//! patterns of a basic solution of the pass ([`super::recover::basic`]: at most n per output,
//! the same predictions, no larger objective, so the next program still holds the pass's
//! optimum; a pattern is dropped at most once), add the n most violated, and repeat until none
//! is violated beyond [`PRICE_RTOL`] or the certificate's relative gap is at most
//! [`GAP_RTOL`]; blocks outside the set are exactly zero. Once every ratio is below
//! `1 +` [`CERTIFY_BELOW`] and the search found nothing, passes are solved at tolerances
//! [`PASS_TOL`]. Then polish: solve once more on the basic support only and price again (back
//! to growing if something is violated).

use std::collections::HashSet;

use nalgebra::DMatrix;

use super::lowering::{Lowered, STAGE};
use super::price::{self, PricingData};
use super::recover;
use super::{Pattern, Patterns, Source};
use crate::conic::canon::canonicalize;
use crate::conic::ConicProblem;
use crate::diag::Diagnostic;
use crate::lower::{Certificate, Next, Recovered};
use crate::nn::eval;
use crate::solve::{self, Backend, Outcome, Settings, Status};

/// A pattern is violated when its score exceeds `β (1 + PRICE_RTOL)`.
pub const PRICE_RTOL: f64 = 1e-6;

/// Patterns in the first working set.
pub const INITIAL: usize = 16;

/// Candidate sets at most this large are solved whole from the first pass: growing a working
/// set would only add passes.
pub const SOLVE_WHOLE: usize = 4 * INITIAL;

/// Without a declared `working_set`, it is on when there are more than this many candidates
/// per sample and output: a pass holds at most about 2n patterns per output (a basic solution
/// and n added), so below that ratio the passes are nearly the whole program.
pub const AUTO_PER_SAMPLE: usize = 4;

/// Whether the working set is on by default for `candidates` patterns, `n` samples and
/// `outputs` outputs (see [`AUTO_PER_SAMPLE`]).
pub fn auto(candidates: usize, n: usize, outputs: usize) -> bool {
    candidates > SOLVE_WHOLE && candidates > AUTO_PER_SAMPLE * n * outputs.max(1)
}

/// The solver tolerances of the working-set passes near the end of the loop and of the polish
/// (at most; tighter declared ones are kept).
pub const PASS_TOL: f64 = 1e-9;

/// The loop stops growing once the certificate's relative gap is at most this.
pub const GAP_RTOL: f64 = 1e-6;

/// The certificate is computed during the loop once the largest ratio is at most `1 +` this
/// (above, the scaled dual point loses more than the gap tolerance).
pub const CERTIFY_BELOW: f64 = 1e-3;

/// The pattern search finds at most this many patterns per pattern drawn, in all.
pub const SEARCH_PER_DRAW: usize = 4;

/// The pattern search stops once a pass lowered the trained network's objective by less than
/// this, relative: its patterns no longer pay for the passes they cost.
pub const SEARCH_RTOL: f64 = 1e-3;

/// Rounds of pricing before the loop stops without a certificate of convergence.
pub const MAX_ROUNDS: usize = 200;

/// The label of the equality that defines `ŷ`, whose duals are `λ`.
pub const DEFINITION: &str = "yhat = sum_i D_i X (v_i - w_i)";

/// Why the pattern search stopped before the loop did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchEnd {
    /// A pass lowered the objective by less than [`SEARCH_RTOL`].
    Gain,
    /// It found [`SEARCH_PER_DRAW`] patterns per pattern drawn.
    Limit,
}

/// Whether a pass that took the objective from `before` to `now` gained enough for the
/// search to go on ([`SEARCH_RTOL`]).
pub fn search_gains(before: f64, now: f64) -> bool {
    before - now >= SEARCH_RTOL * before.abs()
}

/// Where the loop is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    /// Growing the working set by pricing.
    #[default]
    Grow,
    /// The pass being solved is the polish of the support.
    Polish,
    /// Done.
    Done,
}

/// One pass of the loop, for reports.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Round {
    /// Patterns in the pass's program.
    pub patterns: usize,
    /// The largest score/β over every candidate at the pass's `λ`.
    pub max_ratio: f64,
    /// Patterns added after the pass.
    pub added: usize,
    /// Of those, found by the pattern search (not among the candidates before).
    pub found: usize,
    /// Patterns dropped after the pass: outside a basic solution of its program.
    pub dropped: usize,
    /// Whether the pass was the polish of the support.
    pub polish: bool,
    /// Whether the loop stopped growing after the pass because the certificate's relative gap
    /// was at most [`GAP_RTOL`] (the candidates still violated were by solver noise).
    pub certified: bool,
}

/// The loop's state.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// The phase of the pass being solved.
    pub phase: Phase,
    /// `λ` (n×k) of the last solve, centred per output when there is a free output bias.
    pub lambda: Option<DMatrix<f64>>,
    /// The last solve's values of the program's own columns.
    pub point: Vec<f64>,
    /// One record per pass.
    pub rounds: Vec<Round>,
    /// Patterns found by the search in all, added to the candidates.
    pub found: usize,
    /// The trained network's objective after the last pass the search ran on.
    pub last_objective: Option<f64>,
    /// Whether the search stopped ([`SEARCH_RTOL`]).
    pub search_stopped: bool,
    /// Patterns dropped from the working set so far (each is dropped at most once).
    pub dropped: HashSet<Pattern>,
    /// Whether the next pass is solved at [`PASS_TOL`] (near the end of the loop).
    pub tight: bool,
    /// The certificate of the last pass.
    pub certificate: Option<Certificate>,
    /// Why no certificate could be computed, for the report.
    pub no_certificate: Option<String>,
}

/// The first working set: the [`INITIAL`] candidates with the largest scores at
/// `λ₀ = −y` (centred with a free output bias), the dual point of `ŷ = 0` for the squared
/// loss and, up to scale, for the hinge and logistic losses.
pub fn initial(
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    outputs: usize,
    output_bias: bool,
    candidates: &Patterns,
) -> Patterns {
    if candidates.len() <= SOLVE_WHOLE {
        return candidates.clone();
    }
    let data = PricingData::new(x);
    let mut best = vec![0.0f64; candidates.len()];
    for c in 0..outputs {
        let col = c.min(y.ncols().saturating_sub(1));
        let mut lambda: Vec<f64> = if y.ncols() == 0 || y.nrows() != x.nrows() {
            vec![-1.0; x.nrows()]
        } else {
            y.column(col).iter().map(|v| -v).collect()
        };
        if output_bias {
            centre(&mut lambda);
        }
        for (b, (p, m)) in best
            .iter_mut()
            .zip(price::price_all(&data, &candidates.list, &lambda))
        {
            *b = b.max(p.max(m));
        }
    }
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| best[b].total_cmp(&best[a]).then(a.cmp(&b)));
    order.truncate(INITIAL);
    order.sort_unstable();
    Patterns {
        list: order.iter().map(|&i| candidates.list[i].clone()).collect(),
        ..candidates.clone()
    }
}

fn centre(v: &mut [f64]) {
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    for x in v {
        *x -= mean;
    }
}

/// `λ` (n×k) from the duals of the rows of [`DEFINITION`] in `problem`.
pub fn lambda_of(problem: &ConicProblem, z: &[f64], n: usize, k: usize) -> Option<DMatrix<f64>> {
    let mut row = 0;
    for (cone, origin) in problem.cones.iter().zip(&problem.origins) {
        let dim = cone.dim();
        if origin.label == DEFINITION && origin.lowering == STAGE && dim == n * k {
            return Some(DMatrix::from_column_slice(n, k, z.get(row..row + dim)?));
        }
        row += dim;
    }
    None
}

impl Lowered {
    /// Reads `λ` and the point from a solve (see [`crate::lower::Lowering::observe`]).
    pub(crate) fn observe_solve(&mut self, problem: &ConicProblem, outcome: &Outcome) {
        let (n, k) = (self.x.nrows(), self.blocks.len());
        self.state.point = outcome
            .x
            .as_deref()
            .map(|x| x[..self.translation.program.num_columns().min(x.len())].to_vec())
            .unwrap_or_default();
        self.state.lambda = outcome
            .z
            .as_deref()
            .and_then(|z| lambda_of(problem, z, n, k));
        if let (Some(l), true) = (self.state.lambda.as_mut(), self.output_bias.is_some()) {
            for mut col in l.column_iter_mut() {
                let mean = col.mean();
                col.add_scalar_mut(-mean);
            }
        }
    }

    /// `β = 2γ`.
    fn beta(&self) -> f64 {
        2.0 * self.gamma
    }

    /// The largest score/β of each candidate over outputs and signs (∞ for a positive score
    /// with β = 0).
    fn ratios(
        &self,
        data: &PricingData,
        candidates: &[Pattern],
        lambda: &DMatrix<f64>,
    ) -> Vec<f64> {
        let beta = self.beta();
        let mut best = vec![0.0f64; candidates.len()];
        for c in 0..lambda.ncols() {
            let col: Vec<f64> = lambda.column(c).iter().copied().collect();
            for (b, (p, m)) in best
                .iter_mut()
                .zip(price::price_all(data, candidates, &col))
            {
                *b = b.max(p.max(m));
            }
        }
        for b in &mut best {
            *b = ratio(*b, beta);
        }
        best
    }

    /// The pass after a solve (see [`crate::lower::Lowering::next`]).
    pub(crate) fn next_pass(&mut self, recovered: &Recovered) -> Result<Next, Vec<Diagnostic>> {
        let Some(lambda) = self.state.lambda.clone() else {
            self.state.no_certificate =
                Some("the solver returned no dual values for the definition of ŷ".into());
            self.state.phase = Phase::Done;
            return Ok(Next::Stop("single pass"));
        };
        let data = PricingData::new(&self.x);
        let polish = self.state.phase == Phase::Polish;
        let ratios = self.ratios(&data, &self.candidates.list, &lambda);
        let max_ratio = ratios.iter().copied().fold(0.0, f64::max);
        let mut round = Round {
            patterns: self.patterns.len(),
            max_ratio,
            added: 0,
            found: 0,
            dropped: 0,
            polish,
            certified: false,
        };
        if !self.options.working_set {
            self.state.rounds.push(round);
            self.certify(recovered, &lambda, max_ratio)?;
            return Ok(Next::Stop("single pass"));
        }
        let searching = match self.candidates.source {
            Source::Sampled { draws, .. } => {
                self.options.search
                    && self.state.found < SEARCH_PER_DRAW * draws
                    && !self.search_stops(recovered)?
            }
            Source::Exact => false,
        };
        let in_set: HashSet<&Pattern> = self.patterns.iter().collect();
        let limit = 1.0 + PRICE_RTOL;
        let mut violated: Vec<(f64, Pattern)> = self
            .candidates
            .iter()
            .zip(&ratios)
            .filter(|(p, &r)| r > limit && !in_set.contains(p))
            .map(|(p, &r)| (r, p.clone()))
            .collect();
        // Outside a sampled candidate set: directions the local search finds, at most
        // SEARCH_PER_DRAW as many in all as were drawn and half of what is left per pass (the
        // later, better dual points keep a share), until a pass gains less than SEARCH_RTOL.
        let mut found = Vec::new();
        let budget = match self.candidates.source {
            Source::Sampled { draws, .. } if searching => {
                (SEARCH_PER_DRAW * draws - self.state.found).div_ceil(2)
            }
            _ => 0,
        };
        if budget > 0 {
            let known: HashSet<&Pattern> = self.candidates.iter().collect();
            let beta = self.beta();
            let mut seen = HashSet::new();
            for c in 0..lambda.ncols() {
                let col: Vec<f64> = lambda.column(c).iter().copied().collect();
                let seed = self.options.seed ^ (0x9e37_79b9 + self.state.rounds.len() as u64);
                for (p, score) in price::search(&data, &col, self.options.starts, seed) {
                    let r = ratio(score, beta);
                    if r > limit
                        && found.len() < budget
                        && p.count_active() > 0
                        && !known.contains(&p)
                        && seen.insert(p.clone())
                    {
                        found.push(p.clone());
                        violated.push((r, p));
                    }
                }
            }
        }
        drop(in_set);
        // Candidates violated by little, with a certificate already as tight as asked: the
        // rest of the loop would chase solver noise.
        if !violated.is_empty() && found.is_empty() && max_ratio <= 1.0 + CERTIFY_BELOW {
            self.certify(recovered, &lambda, max_ratio)?;
            let gap = self.state.certificate.as_ref().and_then(|c| c.relative_gap);
            if gap.is_some_and(|g| g.abs() <= GAP_RTOL) {
                violated.clear();
                round.certified = true;
            }
        }
        if !violated.is_empty() && self.state.rounds.len() + 1 < MAX_ROUNDS {
            violated.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            violated.truncate(INITIAL.max(self.x.nrows()));
            let found_set: HashSet<&Pattern> = found.iter().collect();
            let added_found: Vec<Pattern> = violated
                .iter()
                .filter(|(_, p)| found_set.contains(p))
                .map(|(_, p)| p.clone())
                .collect();
            round.added = violated.len();
            round.found = added_found.len();
            self.state.found += added_found.len();
            self.candidates.list.extend(added_found);
            // Keep the patterns of a basic solution (the same predictions and objective) and
            // drop the rest: the next program still holds this solve's optimum.
            // A pattern dropped once is not dropped again (no cycling on solver noise).
            let keep = self.basic_support();
            if !keep.is_empty() {
                let keep: HashSet<&Pattern> = keep.iter().collect();
                let (kept, gone): (Vec<Pattern>, Vec<Pattern>) = self
                    .patterns
                    .list
                    .drain(..)
                    .partition(|p| keep.contains(p) || self.state.dropped.contains(p));
                round.dropped = gone.len();
                self.state.dropped.extend(gone);
                self.patterns.list = kept;
            }
            self.patterns
                .list
                .extend(violated.into_iter().map(|(_, p)| p));
            // Near the end (nothing found outside the candidates, every ratio close to 1),
            // pricing needs an accurate `λ`.
            self.state.tight = found.is_empty() && max_ratio <= 1.0 + CERTIFY_BELOW;
            self.state.rounds.push(round);
            self.state.phase = Phase::Grow;
            self.rebuild()?;
            self.show_pass("working set pass");
            return Ok(Next::Again);
        }
        let round_certified = round.certified;
        self.state.rounds.push(round);
        if !polish && violated.is_empty() {
            // Polish the support: the patterns of a basic solution.
            let support = self.basic_support();
            if !support.is_empty() && support.len() < self.patterns.len() {
                self.patterns.list = support;
                self.state.phase = Phase::Polish;
                self.rebuild()?;
                self.show_pass("polishing the support, pass");
                return Ok(Next::Again);
            }
        }
        self.state.phase = Phase::Done;
        self.certify(recovered, &lambda, max_ratio)?;
        Ok(Next::Stop(if round_certified {
            "certified to the gap tolerance"
        } else if violated.is_empty() {
            "no violated pattern"
        } else {
            "round limit"
        }))
    }

    /// Whether the pattern search stops (for good) after this pass: once a pass lowered the
    /// objective of the trained network by less than [`SEARCH_RTOL`] relative.
    fn search_stops(&mut self, recovered: &Recovered) -> Result<bool, Vec<Diagnostic>> {
        if self.state.search_stopped || recovered.model.objective.is_none() {
            return Ok(self.state.search_stopped);
        }
        let now = eval::objective(&recovered.model, &recovered.values)
            .map_err(|e| vec![e.to_diagnostic()])?;
        if let Some(before) = self.state.last_objective.replace(now) {
            self.state.search_stopped = !search_gains(before, now);
        }
        Ok(self.state.search_stopped)
    }

    /// Why the search stopped, if it ran and stopped before the loop ended.
    pub(crate) fn search_end(&self) -> Option<SearchEnd> {
        match self.candidates.source {
            Source::Sampled { draws, .. } if self.options.search && self.state.found > 0 => {
                if self.state.found >= SEARCH_PER_DRAW * draws {
                    Some(SearchEnd::Limit)
                } else if self.state.search_stopped {
                    Some(SearchEnd::Gain)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Names the pass about to be solved on the terminal's progress line, if one is drawn
    /// (`patterns  working set pass 3, 40 of 2451 patterns`).
    pub(crate) fn show_pass(&self, what: &str) {
        crate::progress::stage(|| {
            format!(
                "patterns  {what} {}, {} of {} patterns",
                self.state.rounds.len() + 1,
                self.patterns.len(),
                self.candidates.len()
            )
        });
    }

    /// The patterns of a basic solution of the last solve ([`recover::basic`] per output: at
    /// most n neurons, the same predictions, no larger regularizer), in working-set order.
    fn basic_support(&self) -> Vec<Pattern> {
        let (d, p) = (self.x.ncols(), self.patterns.len());
        let prog = &self.translation.program;
        // Column-major d×P: column i is block i; as rows, P×d (as the recovery reads them).
        let values = |id: crate::convex::VarId| {
            let first = prog.vars[id.0].offset;
            self.state
                .point
                .get(first..first + p * d)
                .map(<[f64]>::to_vec)
        };
        let block = |vals: &[f64]| DMatrix::from_column_slice(d, p, vals).transpose();
        let mut keep = vec![false; p];
        for b in &self.blocks {
            let Some((v, w)) = b.values(values) else {
                continue;
            };
            let (v, w) = (block(&v), block(&w));
            let (net, of) = recover::recover_indexed(&recover::Blocks { v, w }, 0.0);
            // Every `v` neuron before every `w` one: the basic solution depends on the order.
            let mut order: Vec<usize> = (0..net.width()).collect();
            order.sort_by_key(|&j| net.alpha[j] < 0.0);
            let net = recover::Network {
                u: net.u.select_rows(&order),
                alpha: net.alpha.select_rows(&order),
            };
            for (j, _) in recover::basic(&net, &self.x) {
                keep[of[order[j]]] = true;
            }
        }
        self.patterns
            .iter()
            .zip(&keep)
            .filter(|(_, &k)| k)
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Difference blocks to plain ones ([`super::Options::differences`]) for this pass and the
    /// rest, rebuilt: the program whose small `w_i` are variables of their own, which Clarabel
    /// solves more accurately near the cones' apex. `None` when the blocks are plain already.
    pub(crate) fn plain_blocks(&mut self) -> Result<Option<String>, Vec<Diagnostic>> {
        if !self.options.differences {
            return Ok(None);
        }
        self.options.differences = false;
        self.rebuild()?;
        Ok(Some(
            "solved again with plain blocks V, W instead of difference blocks U = V - W"
                .to_string(),
        ))
    }

    fn rebuild(&mut self) -> Result<(), Vec<Diagnostic>> {
        let bias = self.output_bias.is_some();
        self.build(bias)
    }

    /// The solver settings of the next pass: [`PASS_TOL`] for the polish and for the passes
    /// near the end of the loop, whose pricing needs a `λ` accurate well below [`PRICE_RTOL`].
    pub(crate) fn settings_for_pass(&self, base: &Settings) -> Settings {
        if !self.options.working_set || !(self.state.tight || self.state.phase == Phase::Polish) {
            return base.clone();
        }
        Settings {
            tol_gap_abs: base.tol_gap_abs.min(PASS_TOL),
            tol_gap_rel: base.tol_gap_rel.min(PASS_TOL),
            tol_feas: base.tol_feas.min(PASS_TOL),
            ..base.clone()
        }
    }

    /// The certificate at `λ` with largest ratio `max_ratio` over the candidates.
    fn certify(
        &mut self,
        recovered: &Recovered,
        lambda: &DMatrix<f64>,
        max_ratio: f64,
    ) -> Result<(), Vec<Diagnostic>> {
        let model = &recovered.model;
        if model.objective.is_none() {
            self.state.no_certificate = Some("the model has no objective".into());
            return Ok(());
        }
        let upper =
            eval::objective(model, &recovered.values).map_err(|e| vec![e.to_diagnostic()])?;
        let scale = if max_ratio.is_finite() {
            1.0 / max_ratio.max(1.0)
        } else {
            0.0
        };
        let lower = self.dual_value(&(lambda * scale))?;
        let gap = lower.map(|l| upper - l);
        let checked = self.candidates.len() * 2 * lambda.ncols();
        self.state.certificate = Some(Certificate {
            max_violation: (max_ratio - 1.0).max(0.0) * self.beta(),
            lower_bound: lower,
            upper_bound: upper,
            gap,
            relative_gap: gap.map(|g| g / upper.abs().max(1e-12)),
            over: match self.candidates.source {
                Source::Exact => "all_patterns",
                Source::Sampled { .. } => "candidates",
            },
            checked,
        });
        Ok(())
    }

    /// `h(λ)` by a solve of [`Lowered::dual_program`]; `None` when it is unbounded below.
    fn dual_value(&mut self, lambda: &DMatrix<f64>) -> Result<Option<f64>, Vec<Diagnostic>> {
        let Some(t) = self.dual_program(lambda)? else {
            self.state.no_certificate =
                Some("the objective does not use the network's output".into());
            return Ok(None);
        };
        let (problem, _) = canonicalize(&t.program)?;
        let settings = Settings::from_options(&self.source.0.solver.options);
        let out = solve::solve(&problem, Backend::Clarabel, &settings)
            .map_err(|e| vec![e.to_diagnostic()])?;
        match out.status {
            s if s.is_solved() => Ok(out.objective),
            Status::DualInfeasible => Ok(None),
            s => {
                self.state.no_certificate =
                    Some(format!("the dual function's program ended {}", s.as_str()));
                Ok(None)
            }
        }
    }
}

/// `score / β`, with `β = 0` giving 0 for a zero score and ∞ otherwise.
fn ratio(score: f64, beta: f64) -> f64 {
    if beta > 0.0 {
        score / beta
    } else if score <= 1e-12 {
        0.0
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_goes_on_while_a_pass_gains_a_thousandth() {
        assert!(search_gains(100.0, 99.8));
        assert!(!search_gains(100.0, 99.95));
        // No gain, or a loss from solver noise, stops it.
        assert!(!search_gains(100.0, 100.0));
        assert!(!search_gains(100.0, 100.5));
        // Relative to the magnitude, also for a negative objective.
        assert!(search_gains(-100.0, -100.2));
        assert!(!search_gains(-100.0, -100.05));
    }
}
