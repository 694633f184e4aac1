//! Questions about trained networks: every ReLU of a loaded network as exact mixed-integer
//! constraints (Fischetti & Jo 2018; METHODS §1; docs/QUERIES.md).
//!
//! ```text
//! a = relu(z),  L ≤ z ≤ U  ⇔  a ≥ 0, a ≥ z, a ≤ z − L(1 − δ), a ≤ U δ, δ ∈ {0, 1}
//! ```
//! The weights are numbers, so every layer is linear and the model with its networks is one
//! MILP (`encode.rs`), exact for identity, ReLU and leaky-ReLU layers. The bounds are proved
//! (`bounds.rs`): by interval arithmetic from the variables' boxes (`bounds = interval`) or by
//! LPs over the relaxation of the layers before (`bounds = lp`); a neuron they prove always
//! active or inactive needs no binary. `relaxation = true` solves the LP relaxation instead, a
//! bound on the query's optimum. Every answer is checked by a forward pass of each network at
//! the returned input ([`Lowering::measure`]). Code: `E1503` a model that trains a network.

mod atoms;
pub mod bounds;
pub mod encode;

use std::cell::RefCell;
use std::fmt::Write as _;

use nalgebra::DMatrix;

use super::{Exactness, Lowering, Measure, Recovered};
use crate::conic::canon::ColumnMap;
use crate::convex::from_model::{self, Translation};
use crate::convex::Affine;
use crate::diag::{Diagnostic, SourceMap};
use crate::model::{Method, Model, NetId, OptionValue};
use encode::{Application, Encoder, Phase};

/// The method's name in stages, origins and reports.
pub const STAGE: &str = "big_m";

/// A forward pass agrees with the MILP's output when they differ by at most this, relative to
/// `max(1, |output|)`.
pub const CHECK_TOLERANCE: f64 = 1e-6;

/// How the bounds `L, U` are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundKind {
    /// Interval arithmetic from the variables' boxes.
    Interval,
    /// Interval bounds, tightened by an LP per unstable neuron.
    Lp,
}

impl BoundKind {
    fn name(self) -> &'static str {
        match self {
            BoundKind::Interval => "interval",
            BoundKind::Lp => "lp",
        }
    }
}

/// The method's options.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// How bounds are found.
    pub bounds: BoundKind,
    /// Solve the LP relaxation (binaries in `[0, 1]`) instead of the MILP.
    pub relaxation: bool,
}

impl Options {
    /// The options of a `big_m` method (defaults filled in by the checker).
    pub fn from_method(method: &Method) -> Options {
        Options {
            bounds: match method.get("bounds") {
                Some(OptionValue::Word(w)) if w == "lp" => BoundKind::Lp,
                _ => BoundKind::Interval,
            },
            relaxation: matches!(method.get("relaxation"), Some(OptionValue::Bool(true))),
        }
    }
}

/// The check of one application at the answer.
#[derive(Clone, Debug)]
pub struct Check {
    /// `teacher(x)` as written.
    pub text: String,
    /// The input at the answer.
    pub input: DMatrix<f64>,
    /// The network's true output there.
    pub forward: DMatrix<f64>,
    /// The MILP's value of the output.
    pub milp: DMatrix<f64>,
    /// `max |forward − milp| / max(1, |milp|)`.
    pub difference: f64,
}

impl Check {
    /// Whether the two agree to [`CHECK_TOLERANCE`].
    pub fn agrees(&self) -> bool {
        self.difference <= CHECK_TOLERANCE
    }
}

/// The big-M lowering of a query.
pub struct BigM {
    translation: Translation,
    options: Options,
    apps: Vec<Application>,
    /// Atoms encoded exactly (a model not DCP as written), with their binaries.
    atoms: Vec<(String, usize)>,
    checks: RefCell<Vec<Check>>,
}

impl BigM {
    /// Encodes every loaded network the model applies to decision variables.
    pub fn lower(
        model: &Model,
        sources: &SourceMap,
        method: &Method,
    ) -> Result<BigM, Vec<Diagnostic>> {
        if let Some(&i) = model.trainable_networks().first() {
            let net = &model.networks[i];
            let d = Diagnostic::error(
                "E1503",
                format!(
                    "big_m answers questions of loaded networks; `{}` is trained by this model",
                    net.name
                ),
            )
            .with_primary(net.span, "has trainable weights");
            return Err(vec![method
                .label(d, false, "method declared here")
                .with_help("train it first (`cnnc train MODEL -o w.json`), then query it with `network NAME = load(\"w.json\")`")]);
        }
        let options = Options::from_method(method);
        let mut encoder = Encoder::new(&options);
        let mut translation = from_model::program(model, sources, &mut encoder)?;
        // Not DCP as written: the piecewise-linear atoms exactly too (atoms.rs), if that helps.
        if !crate::convex::dcp::check(&translation.program).is_empty() {
            let mut exact = Encoder::new(&options);
            exact.exact_atoms = true;
            let t = from_model::program(model, sources, &mut exact)?;
            if !exact.atoms.is_empty() && crate::convex::dcp::check(&t.program).is_empty() {
                translation = t;
                encoder = exact;
            }
        }
        let (apps, atoms) = (encoder.apps, encoder.atoms);
        Ok(BigM {
            translation,
            options,
            apps,
            atoms,
            checks: RefCell::new(Vec::new()),
        })
    }

    /// The applications encoded.
    pub fn applications(&self) -> &[Application] {
        &self.apps
    }

    /// A forward pass of every application at the program point `x` (program columns).
    pub fn check(&self, x: &[f64]) -> Result<Vec<Check>, Vec<Diagnostic>> {
        self.apps
            .iter()
            .map(|app| {
                let input = value(&app.input, x);
                let forward = app
                    .dense
                    .forward(&input)
                    .map_err(|e| vec![e.to_diagnostic()])?;
                let milp = value(&app.output, x);
                let difference = forward
                    .iter()
                    .zip(milp.iter())
                    .map(|(f, m)| (f - m).abs() / m.abs().max(1.0))
                    .fold(0.0, f64::max);
                Ok(Check {
                    text: app.text.clone(),
                    input,
                    forward,
                    milp,
                    difference,
                })
            })
            .collect()
    }

    /// Binaries of the MILP, and of the networks with interval bounds alone.
    fn binaries(&self) -> (usize, usize) {
        let atoms: usize = self.atoms.iter().map(|a| a.1).sum();
        let b = self.apps.iter().map(Application::binaries).sum::<usize>() + atoms;
        let i = atoms
            + self
                .apps
                .iter()
                .flat_map(|a| &a.layers)
                .map(|l| l.interval_binaries)
                .sum::<usize>();
        (b, i)
    }

    fn summary(&self) -> String {
        let (b, i) = self.binaries();
        let neurons: usize = self
            .apps
            .iter()
            .flat_map(|a| a.layers.iter().map(move |l| l.phases.len()))
            .sum();
        let what = if self.options.relaxation {
            "relaxed to [0, 1]"
        } else {
            "binaries"
        };
        let mut s = format!(
            "{neurons} ReLUs, {b} {what} with {} bounds",
            self.options.bounds.name()
        );
        if !self.atoms.is_empty() {
            let what: Vec<String> = self
                .atoms
                .iter()
                .map(|(t, b)| format!("`{t}` {b}"))
                .collect();
            let _ = write!(
                s,
                "; not convex as written, so abs/max/norm atoms are exact too: {}",
                what.join(", ")
            );
        }
        if self.options.bounds == BoundKind::Lp {
            let lps: usize = self.apps.iter().map(|a| a.lp.0).sum();
            let failed: usize = self.apps.iter().map(|a| a.lp.1).sum();
            let _ = write!(s, " ({i} with interval bounds alone; {lps} LPs");
            if failed > 0 {
                let _ = write!(s, ", {failed} without an optimum: interval bound kept");
            }
            s.push(')');
        }
        s
    }
}

/// The value (rows × cols) of `a` at program point `x`.
pub fn value(a: &Affine, x: &[f64]) -> DMatrix<f64> {
    DMatrix::from_fn(a.rows(), a.cols(), |r, c| {
        let (cols, coefs, c0) = a.entry(r + c * a.rows());
        c0 + cols
            .iter()
            .zip(coefs)
            .map(|(&j, &w)| w * x.get(j).copied().unwrap_or(0.0))
            .sum::<f64>()
    })
}

/// A bound as printed in the stage: six decimals, so snapshots do not hang on the last bits.
fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6}")
    } else {
        x.to_string()
    }
}

fn matrix(m: &DMatrix<f64>) -> String {
    let rows: Vec<String> = m
        .row_iter()
        .map(|r| {
            let v: Vec<String> = r.iter().map(|x| format!("{x:.6}")).collect();
            format!("[{}]", v.join(", "))
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

impl Lowering for BigM {
    fn name(&self) -> &'static str {
        STAGE
    }

    fn exactness(&self) -> Exactness {
        if self.options.relaxation && self.binaries().0 > 0 {
            Exactness::Relaxation
        } else {
            Exactness::Exact
        }
    }

    fn net(&self) -> Option<NetId> {
        self.apps.first().map(|a| a.net)
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
        super::recover_values(model, &self.translation, map, x, true)
    }

    fn measure(
        &self,
        _: Option<f64>,
        recovered: &Recovered,
    ) -> Result<Option<Measure>, Vec<Diagnostic>> {
        if self.apps.is_empty() {
            return Ok(None);
        }
        let checks = self.check(&recovered.program)?;
        let value = checks.iter().map(|c| c.difference).fold(0.0, f64::max);
        let details = checks
            .iter()
            .map(|c| (c.text.clone(), c.difference))
            .collect();
        *self.checks.borrow_mut() = checks;
        Ok(Some(Measure {
            name: "forward-pass difference",
            value,
            // A relaxation's outputs need not be the network's: then it is a violation.
            violation: self.options.relaxation,
            details,
            ..Measure::default()
        }))
    }

    fn report_block(&self, _: &Recovered) -> Vec<String> {
        let mut lines = vec![format!("bounds     {}", self.summary())];
        for c in self.checks.borrow().iter() {
            let verdict = if c.agrees() {
                format!("agree to {:.1e} (≤ {CHECK_TOLERANCE:.0e})", c.difference)
            } else if self.options.relaxation {
                format!(
                    "differ by {:.2e}: the relaxation's outputs are not the network's",
                    c.difference
                )
            } else {
                format!(
                    "DIFFER by {:.2e} (more than {CHECK_TOLERANCE:.0e}): the answer is not checked",
                    c.difference
                )
            };
            lines.push(format!(
                "check      forward pass of {} at the answer: {} against the MILP's {}: {verdict}",
                short(&c.text),
                matrix(&c.forward),
                matrix(&c.milp)
            ));
        }
        lines
    }

    fn report_json(&self) -> Option<serde_json::Value> {
        let (binaries, interval) = self.binaries();
        let checks: Vec<_> = self
            .checks
            .borrow()
            .iter()
            .map(|c| {
                serde_json::json!({
                    "application": c.text,
                    "input": rows(&c.input),
                    "forward": rows(&c.forward),
                    "milp": rows(&c.milp),
                    "difference": c.difference,
                    "agrees": c.agrees(),
                })
            })
            .collect();
        Some(serde_json::json!({
            "bounds_method": self.options.bounds.name(),
            "relaxation": self.options.relaxation,
            "binaries": binaries,
            "interval_binaries": interval,
            "lp_solves": self.apps.iter().map(|a| a.lp.0).sum::<usize>(),
            "bounds": self.bounds_json(),
            "check": checks,
        }))
    }

    fn stage_text(&self, model: &Model) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{STAGE}      every ReLU of a loaded network: a >= 0, a >= z, a <= z - L(1 - d), a <= U d, d in {{0, 1}}: {}",
            if self.options.relaxation {
                "relaxed (d in [0, 1]): a bound on the optimum"
            } else {
                "exact"
            }
        );
        let _ = writeln!(s, "  bounds   {}", self.summary());
        if self.apps.is_empty() {
            let _ = writeln!(s, "  (no loaded network is applied to decision variables)");
        }
        for app in &self.apps {
            let net = &model.networks[app.net.0];
            let widths: Vec<String> = std::iter::once(net.inputs)
                .chain(net.layers.iter().map(|l| l.outputs))
                .map(|w| w.to_string())
                .collect();
            let _ = writeln!(
                s,
                "  network  {}: {} on {} row{}{}",
                app.text,
                widths.join(" -> "),
                app.rows,
                if app.rows == 1 { "" } else { "s" },
                if app.dense.standardization.is_some() {
                    ", inputs standardized as in the weights file"
                } else {
                    ""
                }
            );
            for (l, layer) in app.layers.iter().enumerate() {
                let head =
                    if layer.phases.is_empty() {
                        format!(
                            "{} output{}, linear",
                            layer.width,
                            if layer.width == 1 { "" } else { "s" }
                        )
                    } else {
                        format!(
                        "{} neurons: {} active, {} inactive, {} binar{} ({} with interval bounds)",
                        layer.phases.len(),
                        layer.count(Phase::Active),
                        layer.count(Phase::Inactive),
                        layer.count(Phase::Binary),
                        if layer.count(Phase::Binary) == 1 { "y" } else { "ies" },
                        layer.interval_binaries
                    )
                    };
                let _ = writeln!(s, "    layer {} {:<10} {head}", l + 1, layer.act.name());
                for k in 0..layer.lower.len() {
                    let (r, i) = (k % app.rows, k / app.rows);
                    let phase = match layer.phases.get(k) {
                        Some(Phase::Active) => "active: a = z",
                        Some(Phase::Inactive) => "inactive: a = 0",
                        Some(Phase::Binary) => "binary",
                        None => "",
                    };
                    let row = if app.rows == 1 {
                        String::new()
                    } else {
                        format!("row {r} ")
                    };
                    let _ = writeln!(
                        s,
                        "      {row}z{} in [{}, {}]  {phase}",
                        i + 1,
                        num(layer.lower[k]),
                        num(layer.upper[k])
                    );
                }
            }
        }
        // Trailing spaces of lines without a phase.
        s.lines().map(|l| l.trim_end().to_string() + "\n").collect()
    }

    fn stage_json(&self, _: &Model) -> serde_json::Value {
        let (binaries, interval) = self.binaries();
        serde_json::json!({
            "lowering": STAGE,
            "bounds_method": self.options.bounds.name(),
            "relaxation": self.options.relaxation,
            "binaries": binaries,
            "interval_binaries": interval,
            "bounds": self.bounds_json(),
        })
    }
}

impl BigM {
    /// Per application and layer: activation, `lower` and `upper` (one list per input row),
    /// and what they proved.
    fn bounds_json(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for app in &self.apps {
            for (l, layer) in app.layers.iter().enumerate() {
                let per_row = |v: &[f64]| -> Vec<Vec<f64>> {
                    (0..app.rows)
                        .map(|r| (0..layer.width).map(|i| v[r + i * app.rows]).collect())
                        .collect()
                };
                out.push(serde_json::json!({
                    "application": app.text,
                    "layer": l + 1,
                    "activation": layer.act.name(),
                    "lower": per_row(&layer.lower),
                    "upper": per_row(&layer.upper),
                    "active": layer.count(Phase::Active),
                    "inactive": layer.count(Phase::Inactive),
                    "binaries": layer.count(Phase::Binary),
                    "interval_binaries": layer.interval_binaries,
                }));
            }
        }
        out
    }
}

/// `text`, cut to 40 characters (an application's text can hold a literal input).
fn short(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// A matrix as a list of rows (the JSON reports' form).
pub fn rows(m: &DMatrix<f64>) -> Vec<Vec<f64>> {
    m.row_iter().map(|r| r.iter().copied().collect()).collect()
}
