//! Rewritings of the model towards conic form, one module per method, all behind [`Lowering`].
//!
//! A lowering builds the convex program of the model for its current parameters, maps a
//! solution of that program back to model values, measures how far those values are from the
//! model as written, and says what its answer means ([`Exactness`]). The driver
//! ([`crate::driver::stages::lowering()`]) picks one per method in a single `match`, and its
//! training loop ([`crate::driver::train()`]) runs build → canonicalize → solve → recover →
//! measure → [`Lowering::next`] (stop, or update the parameters and go again); the pattern
//! method stops after one pass; a sequential method ([`Lowering::sequential`], rank lifting,
//! Convex-NN) goes on, keeping Clarabel's solver when only numbers change.

pub mod big_m;
pub mod complementarity;
pub mod convex_nn;
pub mod direct;
pub mod network;
pub mod patterns;
pub mod rank_lifting;
pub mod start;

use crate::conic::canon::ColumnMap;
use crate::convex::from_model::Translation;
use crate::diag::Diagnostic;
use crate::model::{Model, NetId};
use crate::nn::Values;
use nalgebra::DMatrix;

pub use patterns::info::PatternInfo;

/// How a method's answer relates to the problem as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exactness {
    /// The global optimum of the model (up to solver accuracy).
    Exact,
    /// The optimum of a restriction (e.g. to sampled patterns): an upper bound on the model's.
    Restriction,
    /// The optimum of a relaxation: a bound on the model's, reached only when the measure is 0.
    Relaxation,
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
            Exactness::Relaxation => "relaxed: a bound on the optimum, exact only at zero gap",
            Exactness::Heuristic => "local: no optimality guarantee",
        }
    }

    /// Whether the values mapped back reach the program's optimum exactly (an exact program of
    /// the model or of a restriction of it): a gap between the two is then a bug.
    pub fn reproduces_optimum(self) -> bool {
        matches!(self, Exactness::Exact | Exactness::Restriction)
    }
}

/// Model values mapped back from a solution of the lowered program.
#[derive(Clone, Debug)]
pub struct Recovered {
    /// The model the values belong to (the pattern method resizes the hidden layer).
    pub model: Model,
    /// Values of every variable of `model`.
    pub values: Values,
    /// The pattern lowering's report block (kept as its own typed field: `--report json`
    /// writes it under `patterns`).
    pub patterns: Option<PatternInfo>,
    /// Facts worth saying about the mapping.
    pub notes: Vec<String>,
    /// The solution's values of the program's own columns, for a lowering that reads its
    /// auxiliary blocks after recovery (rank lifting); empty for the others.
    pub program: Vec<f64>,
}

/// A named sub-stage of a multi-stage method (`cnnc compile --emit <name>`).
#[derive(Clone, Debug)]
pub struct Stage {
    /// Its name.
    pub name: &'static str,
    /// As text.
    pub text: String,
    /// As JSON.
    pub json: serde_json::Value,
}

/// How far mapped-back values are from satisfying the model as written.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Measure {
    /// What is measured, for reports (`relative difference`, `bilinear violation`).
    pub name: &'static str,
    /// Its value; 0 when the values satisfy the model exactly.
    pub value: f64,
    /// Whether `value` is a violation of the model's equations (reported as `violation`),
    /// rather than a gap between objectives.
    pub violation: bool,
    /// Named parts (per group of equations, sums of norms), in report order.
    pub details: Vec<(String, f64)>,
    /// The parts that are violations of the model's equations, which `--plot` draws per pass.
    pub plotted: Vec<&'static str>,
    /// `‖f(X) − Ŷ‖_F / ‖Ŷ‖_F`: the true forward pass `f` of the trained weights against the
    /// outputs `Ŷ` the program assigned to the network, when the lowering has both.
    pub fit: Option<f64>,
}

impl Measure {
    /// A gap between the program's objective and the model's.
    pub fn gap(name: &'static str, value: f64) -> Measure {
        Measure {
            name,
            value,
            ..Measure::default()
        }
    }
}

/// Values of every model variable from a solution `x` (zeros for variables the program never
/// used), through the translation's blocks and canonicalization's column map.
pub fn model_values(
    model: &Model,
    translation: &Translation,
    map: &ColumnMap,
    x: &[f64],
) -> Result<Values, Vec<Diagnostic>> {
    let vars = model
        .vars
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (r, c) = (v.shape.rows(), v.shape.cols());
            translation
                .vars
                .get(i)
                .copied()
                .flatten()
                .and_then(|id| map.values(x, id))
                .map_or_else(
                    || DMatrix::zeros(r, c),
                    |vals| DMatrix::from_column_slice(r, c, vals),
                )
        })
        .collect();
    Values::new(model, vars).map_err(|e| vec![e.to_diagnostic()])
}

/// The model values of a solution `x` through `translation` (a lowering that keeps the model's
/// variables as they are), with the program's own columns when `program` is set.
pub fn recover_values(
    model: &Model,
    translation: &Translation,
    map: &ColumnMap,
    x: &[f64],
    program: bool,
) -> Result<Recovered, Vec<Diagnostic>> {
    Ok(Recovered {
        model: model.clone(),
        values: model_values(model, translation, map, x)?,
        patterns: None,
        notes: Vec::new(),
        program: if program {
            x[..map.program_columns].to_vec()
        } else {
            Vec::new()
        },
    })
}

/// A proof of how far the trained values are from the global optimum: a lower bound from a
/// feasible point of the dual, against the model's objective at the trained values.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Certificate {
    /// The largest violation of the dual constraints before scaling (0 when the solver's dual
    /// point is feasible), in the units of the constraint (`‖Π_K(±Xᵀ D λ)‖ − β`).
    pub max_violation: f64,
    /// The lower bound on the optimum: the dual objective at the scaled dual point (`None` when
    /// it is unbounded below, e.g. with no weight decay).
    pub lower_bound: Option<f64>,
    /// The model's objective at the trained values: an upper bound.
    pub upper_bound: f64,
    /// `upper_bound − lower_bound`.
    pub gap: Option<f64>,
    /// `gap / max(|upper_bound|, 1e-12)`.
    pub relative_gap: Option<f64>,
    /// What the bound is over: `all_patterns` (the global optimum of the non-convex training
    /// problem) or `candidates` (the optimum over the patterns considered).
    pub over: &'static str,
    /// How many constraints (patterns × signs × outputs) were checked.
    pub checked: usize,
}

/// What a lowering does after a pass of the training loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Stop, for this reason (`single pass`, `iteration limit`, `tolerance`, …).
    Stop(&'static str),
    /// The parameters were updated and the program rebuilt: solve again.
    Again,
}

/// One method's rewriting of the model into a convex program, and the way back.
pub trait Lowering {
    /// The method's name: `--emit lowering` headers, snapshots, reports.
    fn name(&self) -> &'static str;

    /// Whether the method solves a sequence of programs of one structure (then the training
    /// loop keeps the solver and updates its numbers, [`crate::solve::Session`]).
    fn sequential(&self) -> bool {
        false
    }

    /// How the answer relates to the model.
    fn exactness(&self) -> Exactness;

    /// The network the method trains, if any.
    fn net(&self) -> Option<NetId>;

    /// The program built for the current parameters, and where model variables went.
    fn translation(&self) -> &Translation;

    /// Model values from a solution `x` of the canonicalized program (`map` from
    /// canonicalization).
    fn recover(
        &self,
        model: &Model,
        map: &ColumnMap,
        x: &[f64],
    ) -> Result<Recovered, Vec<Diagnostic>>;

    /// How far `recovered` is from the model as written, given the program's optimum.
    fn measure(
        &self,
        program_objective: Option<f64>,
        recovered: &Recovered,
    ) -> Result<Option<Measure>, Vec<Diagnostic>>;

    /// After a pass with program optimum `objective`: stop, or update the parameters from
    /// `recovered`, rebuild the program and go again. A single-pass method (the pattern method)
    /// stops.
    fn next(
        &mut self,
        _recovered: &Recovered,
        _measure: Option<&Measure>,
        _objective: Option<f64>,
    ) -> Result<Next, Vec<Diagnostic>> {
        Ok(Next::Stop("single pass"))
    }

    /// After a pass that the solver did not bring to its tolerances (almost optimal, numerical
    /// trouble, the iteration limit) or whose recovered network misses an exact program's
    /// optimum: switch to a more robust program of the same optimum for this and every later
    /// pass, rebuilt in [`Lowering::translation`], and say what changed; `None` when there is
    /// none (the pass's outcome then stands).
    fn fallback(&mut self) -> Result<Option<String>, Vec<Diagnostic>> {
        Ok(None)
    }

    /// After a solved pass and before [`Lowering::recover`]: the conic problem and the solver's
    /// outcome, for a lowering that reads the dual values (the pattern method's certificate).
    fn observe(&mut self, _problem: &crate::conic::ConicProblem, _outcome: &crate::solve::Outcome) {
    }

    /// The solver settings of the next pass, from the model's (a polishing pass tightens them).
    fn pass_settings(&self, base: &crate::solve::Settings) -> crate::solve::Settings {
        base.clone()
    }

    /// The optimality certificate of the last pass, when the method computes one.
    fn certificate(&self) -> Option<Certificate> {
        None
    }

    /// The lines this method adds to the text report.
    fn report_block(&self, recovered: &Recovered) -> Vec<String>;

    /// What the method adds to `--report json`, under `lowering` (none by default).
    fn report_json(&self) -> Option<serde_json::Value> {
        None
    }

    /// After [`Lowering::next`] asked for another pass: write the new parameters' numbers
    /// into `problem`, the conic form of the previous pass, when only numbers changed (then
    /// the pass needs no new program and no canonicalization); `false` leaves `problem` as it
    /// is and the loop canonicalizes [`Lowering::translation`].
    fn update_conic(&self, _problem: &mut crate::conic::ConicProblem) -> bool {
        false
    }

    /// The lowering stage as text (`cnnc compile --emit lowering`).
    fn stage_text(&self, model: &Model) -> String;

    /// The lowering stage as JSON (`--emit lowering --format json`).
    fn stage_json(&self, model: &Model) -> serde_json::Value;

    /// The stages before the lowering's own, by name (rank lifting: `complementarity`).
    fn sub_stages(&self, _model: &Model) -> Vec<Stage> {
        Vec::new()
    }
}
