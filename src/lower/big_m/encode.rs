//! One loaded network applied to decision inputs, as exact mixed-integer constraints, layer by
//! layer (rows are inputs, as in `teacher(x)` with `x` of shape `[k, inputs]`).
//!
//! ```text
//! x' = (x − mean) / std                          (the weights file's standardization, if any)
//! zˡ = aˡ⁻¹ Wˡᵀ + 1 bˡᵀ,  a⁰ = x'                 (affine: the weights are numbers)
//! relu, with L ≤ z ≤ U proved (bounds.rs):
//!   L ≥ 0:  a = z          U ≤ 0:  a = 0          (stable: no binary)
//!   else:   a ≥ 0, a ≥ z, a ≤ z − L(1 − δ), a ≤ U δ, δ ∈ {0, 1}
//! leaky_relu:  a = α z + (1 − α) r,  r = relu(z) as above
//! identity:    a = z
//! ```
//! Exact: for `δ ∈ {0, 1}` the four inequalities force `a = max(z, 0)` whenever `L ≤ z ≤ U`,
//! which the bounds guarantee for every feasible input; with `δ ∈ [0, 1]` (`relaxation = true`)
//! they describe the LP relaxation (for one neuron, the triangle over `[L, U]`). A network applied
//! to constants is evaluated instead. Codes: `E1501` a ReLU whose bounds are infinite (the
//! variable without a finite box is named), `E1502` an activation with no exact mixed-integer
//! form, `E1504` an input that is not affine in the decision variables. The atoms' exact forms
//! (`atoms.rs`) reuse [`Encoder::relu`].

use nalgebra::DMatrix;

use super::bounds::{Columns, Relaxation};
use super::{BoundKind, Options, STAGE};
use crate::convex::from_model::{self, Context};
use crate::convex::{Affine, Constraint, Expr, VarSpec};
use crate::diag::{Diagnostic, Span};
use crate::model::{self, ExprKind, NetId};
use crate::nn::activation::{ActivationFn, LEAKY_SLOPE};
use crate::nn::network::{DenseLayer, DenseNet};
use crate::nn::Values;

/// An activation the big-M form covers exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// `z`.
    Identity,
    /// `max(z, 0)`.
    Relu,
    /// `max(z, α z)`, α = 0.01.
    LeakyRelu,
}

impl Act {
    /// The activation's name in models.
    pub fn name(self) -> &'static str {
        match self {
            Act::Identity => "identity",
            Act::Relu => "relu",
            Act::LeakyRelu => "leaky_relu",
        }
    }
}

/// What the bounds prove about one neuron at one input row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `L ≥ 0`: the neuron is linear, `relu(z) = z`.
    Active,
    /// `U ≤ 0`: `relu(z) = 0`.
    Inactive,
    /// `L < 0 < U`: a binary decides.
    Binary,
}

/// One layer of an application: its bounds and what they proved.
#[derive(Clone, Debug)]
pub struct LayerBounds {
    /// The activation.
    pub act: Act,
    /// Neurons.
    pub width: usize,
    /// `L` of every pre-activation, rows × width, column-major.
    pub lower: Vec<f64>,
    /// `U`, likewise.
    pub upper: Vec<f64>,
    /// Per entry, for a ReLU layer (empty for identity).
    pub phases: Vec<Phase>,
    /// How many binaries the interval bounds alone would have needed.
    pub interval_binaries: usize,
}

impl LayerBounds {
    /// Entries of `phase`.
    pub fn count(&self, phase: Phase) -> usize {
        self.phases.iter().filter(|p| **p == phase).count()
    }
}

/// One application `net(x)` of a loaded network to decision inputs.
#[derive(Clone, Debug)]
pub struct Application {
    /// The network.
    pub net: NetId,
    /// `teacher(x)` as written.
    pub text: String,
    /// Where.
    pub span: Span,
    /// Input rows.
    pub rows: usize,
    /// The network's input, as the program sees it (rows × inputs, before standardization).
    pub input: Affine,
    /// Its output (rows × outputs).
    pub output: Affine,
    /// Layers, input to output.
    pub layers: Vec<LayerBounds>,
    /// LPs solved for the bounds, and those without an optimum (interval bound kept).
    pub lp: (usize, usize),
    /// The network as numbers, for the forward-pass check.
    pub dense: DenseNet,
}

impl Application {
    /// Binaries of the encoding.
    pub fn binaries(&self) -> usize {
        self.layers.iter().map(|l| l.count(Phase::Binary)).sum()
    }
}

/// The hook that encodes every loaded network the model applies.
pub struct Encoder<'o> {
    /// The options.
    pub options: &'o Options,
    /// The applications, in the order the translation met them.
    pub apps: Vec<Application>,
    /// Encode the piecewise-linear atoms exactly too (`atoms.rs`).
    pub exact_atoms: bool,
    /// The atoms encoded so, with their binaries.
    pub atoms: Vec<(String, usize)>,
    /// Binaries of the atoms.
    pub atom_binaries: usize,
    columns: Columns,
}

impl<'o> Encoder<'o> {
    /// An encoder with no application yet.
    pub fn new(options: &'o Options) -> Encoder<'o> {
        Encoder {
            options,
            apps: Vec::new(),
            exact_atoms: false,
            atoms: Vec::new(),
            atom_binaries: 0,
            columns: Columns::default(),
        }
    }
}

impl from_model::Lowering for Encoder<'_> {
    fn substitute(
        &mut self,
        e: &model::Expr,
        cx: &mut Context<'_>,
    ) -> Option<Result<Expr, Vec<Diagnostic>>> {
        match &e.kind {
            ExprKind::NetOut(net, arg) => {
                cx.model.networks[net.0].loaded_from.as_ref()?;
                Some(self.encode(*net, arg, e.span, cx))
            }
            ExprKind::Atom(atom, args) if self.exact_atoms && super::atoms::covers(*atom) => {
                Some(self.atom(e, *atom, args, cx))
            }
            _ => None,
        }
    }
}

/// The numbers of loaded network `net`.
pub fn loaded(model: &model::Model, net: NetId) -> Result<DenseNet, Vec<Diagnostic>> {
    DenseNet::from_model(model, net, &Values::zeros(model)).map_err(|e| vec![e.to_diagnostic()])
}

impl Encoder<'_> {
    fn encode(
        &mut self,
        net: NetId,
        arg: &model::Expr,
        span: Span,
        cx: &mut Context<'_>,
    ) -> Result<Expr, Vec<Diagnostic>> {
        let x = cx.expr(arg, self)?;
        let model = cx.model;
        let network = &model.networks[net.0];
        let dense = loaded(model, net)?;
        let acts = activations(network, &dense)?;
        let Some(x) = x.as_affine().cloned() else {
            return Err(vec![Diagnostic::error(
                "E1504",
                format!(
                    "the input of `{}` is not affine in the decision variables",
                    network.name
                ),
            )
            .with_primary(arg.span, "not affine")
            .with_help("apply the network to an affine expression such as `x` or `x0 + d`; bound a non-linear term by a variable first")]);
        };
        if x.is_constant() {
            // A network of numbers: its output is a number.
            let m = DMatrix::from_column_slice(x.rows(), x.cols(), x.constants());
            let out = dense.forward(&m).map_err(|e| vec![e.to_diagnostic()])?;
            return Expr::constant(out.nrows(), out.ncols(), out.as_slice().to_vec())
                .map_err(|e| vec![e.to_diagnostic(Some(span))]);
        }
        let rows = x.rows();
        let tag = match self.apps.iter().filter(|a| a.net == net).count() {
            0 => network.name.clone(),
            n => format!("{}@{}", network.name, n + 1),
        };
        let mut a = standardized(&x, &dense);
        let mut constraints: Vec<Constraint> = Vec::new();
        let mut layers = Vec::with_capacity(dense.layers.len());
        let mut lp = (0, 0);
        for (l, (layer, act)) in dense.layers.iter().zip(&acts).enumerate() {
            let z = pre_activation(&a, layer, rows);
            self.columns.update(&cx.prog.vars);
            let interval: Vec<(f64, f64)> =
                (0..z.len()).map(|k| self.columns.interval(&z, k)).collect();
            let unstable = |&(lo, hi): &(f64, f64)| lo < 0.0 && hi > 0.0;
            let interval_binaries = if *act == Act::Identity {
                0
            } else {
                interval.iter().filter(|b| unstable(b)).count()
            };
            let bounds: Vec<(f64, f64)> = match self.options.bounds {
                BoundKind::Interval => interval,
                BoundKind::Lp => {
                    let mut r = Relaxation::new(&cx.prog.vars, &constraints);
                    let out = interval
                        .iter()
                        .enumerate()
                        .map(|(k, b)| {
                            // Only a bound that decides something is worth an LP: an unstable
                            // ReLU's (its M), and the outputs' (reported).
                            if *act == Act::Identity || unstable(b) {
                                let zk = z.select(&[k], 1, 1).expect("entry in range");
                                r.tighten(&zk, *b)
                            } else {
                                *b
                            }
                        })
                        .collect();
                    lp.0 += r.solves;
                    lp.1 += r.failed;
                    out
                }
            };
            let mut lb = LayerBounds {
                act: *act,
                width: layer.outputs(),
                lower: bounds.iter().map(|b| b.0).collect(),
                upper: bounds.iter().map(|b| b.1).collect(),
                phases: Vec::new(),
                interval_binaries,
            };
            a = match act {
                Act::Identity => z,
                Act::Relu | Act::LeakyRelu => {
                    let name = format!("{tag}.a{}", l + 1);
                    let out = self.relu(&z, &bounds, *act, &name, cx, &mut constraints)?;
                    lb.phases = out.1;
                    out.0
                }
            };
            layers.push(lb);
        }
        for c in constraints {
            cx.prog.constrain(c);
        }
        self.apps.push(Application {
            net,
            text: cx.text_at(span),
            span,
            rows,
            input: x,
            output: a.clone(),
            layers,
            lp,
            dense,
        });
        Ok(Expr::from(a))
    }

    /// [`Encoder::relu`] with interval bounds on `z`.
    pub(super) fn relu_interval(
        &mut self,
        z: &Affine,
        act: Act,
        name: &str,
        cx: &mut Context<'_>,
        constraints: &mut Vec<Constraint>,
    ) -> Result<(Affine, Vec<Phase>), Vec<Diagnostic>> {
        self.columns.update(&cx.prog.vars);
        let bounds: Vec<(f64, f64)> = (0..z.len()).map(|k| self.columns.interval(z, k)).collect();
        self.relu(z, &bounds, act, name, cx, constraints)
    }

    /// `relu(z)` (or `leaky_relu(z)`) entry by entry: stable entries as affine expressions,
    /// the others through a continuous `a` and a binary `δ` (`name`, `name` with `d` for `a`).
    fn relu(
        &mut self,
        z: &Affine,
        bounds: &[(f64, f64)],
        act: Act,
        name: &str,
        cx: &mut Context<'_>,
        constraints: &mut Vec<Constraint>,
    ) -> Result<(Affine, Vec<Phase>), Vec<Diagnostic>> {
        let phases: Vec<Phase> = bounds
            .iter()
            .map(|&(lo, hi)| {
                if lo >= 0.0 {
                    Phase::Active
                } else if hi <= 0.0 {
                    Phase::Inactive
                } else {
                    Phase::Binary
                }
            })
            .collect();
        let binary: Vec<usize> = (0..phases.len())
            .filter(|&k| phases[k] == Phase::Binary)
            .collect();
        if let Some(&k) = binary
            .iter()
            .find(|&&k| !(bounds[k].0.is_finite() && bounds[k].1.is_finite()))
        {
            return Err(unbounded(&self.columns, z, k, cx));
        }
        let u = binary.len();
        let mut slot = vec![usize::MAX; phases.len()];
        for (j, &k) in binary.iter().enumerate() {
            slot[k] = j;
        }
        let (a_off, d_off) = if u > 0 {
            let av = cx.prog.add_var(VarSpec::new(name, u, 1).lower(0.0));
            let mut spec = VarSpec::new(name.replacen(".a", ".d", 1), u, 1)
                .lower(0.0)
                .upper(1.0);
            if !self.options.relaxation {
                spec = spec.integer();
            }
            let dv = cx.prog.add_var(spec);
            self.columns.update(&cx.prog.vars);
            let a_off = cx.prog.vars[av.0].offset;
            for (j, &k) in binary.iter().enumerate() {
                self.columns.set(a_off + j, 0.0, bounds[k].1);
            }
            (a_off, cx.prog.vars[dv.0].offset)
        } else {
            (0, 0)
        };
        if u > 0 {
            let av = Affine::from_fn(u, 1, |j, t| {
                t.push(a_off + j, 1.0);
                0.0
            });
            let zb = z.select(&binary, u, 1).expect("entries in range");
            // a ≤ z − L + L δ
            let upper_z = Affine::from_fn(u, 1, |j, t| {
                let k = binary[j];
                let (cols, coefs, c) = z.entry(k);
                for (&col, &w) in cols.iter().zip(coefs) {
                    t.push(col, w);
                }
                t.push(d_off + j, bounds[k].0);
                c - bounds[k].0
            });
            // a ≤ U δ
            let upper_d = Affine::from_fn(u, 1, |j, t| {
                t.push(d_off + j, bounds[binary[j]].1);
                0.0
            });
            let label = |what: &str| format!("{name}: {what}");
            constraints.push(
                Constraint::ge(av.clone().into(), zb.into())
                    .with_label(label("a ≥ z"))
                    .with_stage(STAGE),
            );
            constraints.push(
                Constraint::le(av.clone().into(), upper_z.into())
                    .with_label(label("a ≤ z − L(1 − δ)"))
                    .with_stage(STAGE),
            );
            constraints.push(
                Constraint::le(av.into(), upper_d.into())
                    .with_label(label("a ≤ U δ"))
                    .with_stage(STAGE),
            );
        }
        let alpha = if act == Act::LeakyRelu {
            LEAKY_SLOPE
        } else {
            0.0
        };
        let out = Affine::from_fn(z.rows(), z.cols(), |k, t| {
            let (cols, coefs, c) = z.entry(k);
            let (zs, rs) = match phases[k] {
                Phase::Active => (1.0, 0.0),
                Phase::Inactive => (alpha, 0.0),
                Phase::Binary => (alpha, 1.0 - alpha),
            };
            if zs != 0.0 {
                for (&col, &w) in cols.iter().zip(coefs) {
                    t.push(col, zs * w);
                }
            }
            if rs != 0.0 {
                t.push(a_off + slot[k], rs);
            }
            zs * c
        });
        Ok((out, phases))
    }
}

/// The activations of a loaded network, each one the big-M form covers.
fn activations(network: &model::Network, dense: &DenseNet) -> Result<Vec<Act>, Vec<Diagnostic>> {
    dense
        .layers
        .iter()
        .zip(&network.layers)
        .enumerate()
        .map(|(l, (layer, declared))| match layer.activation {
            ActivationFn::Identity => Ok(Act::Identity),
            ActivationFn::Relu => Ok(Act::Relu),
            ActivationFn::LeakyRelu => Ok(Act::LeakyRelu),
            _ => Err(vec![Diagnostic::error(
                "E1502",
                format!(
                    "layer {} of `{}` is `{}`, which has no exact mixed-integer form",
                    l + 1,
                    network.name,
                    declared.activation.name
                ),
            )
            .with_primary(declared.span, "loaded here")
            .with_note(
                "big_m is exact for identity, relu and leaky_relu layers: each is piecewise linear",
            )
            .with_help(
                "query a network with ReLU hidden layers, e.g. one trained with `dense(16, relu)`",
            )]),
        })
        .collect()
}

/// `x'`: the weights file's standardization `(x − mean) / std`, column by column.
fn standardized(x: &Affine, dense: &DenseNet) -> Affine {
    let Some(s) = &dense.standardization else {
        return x.clone();
    };
    let k = x.rows();
    Affine::from_fn(x.rows(), x.cols(), |e, t| {
        let j = e / k;
        let sd = if s.std[j] == 0.0 { 1.0 } else { s.std[j] };
        let (cols, coefs, c) = x.entry(e);
        for (&col, &w) in cols.iter().zip(coefs) {
            t.push(col, w / sd);
        }
        (c - s.mean[j]) / sd
    })
}

/// `z = a Wᵀ + 1 bᵀ` (rows × outputs), repeated columns merged.
fn pre_activation(a: &Affine, layer: &DenseLayer, rows: usize) -> Affine {
    let (n, d) = (layer.outputs(), layer.inputs());
    Affine::from_fn(rows, n, |e, t| {
        let (r, i) = (e % rows, e / rows);
        let mut c = layer.bias.as_ref().map_or(0.0, |b| b[i]);
        if layer.bias_column {
            c += layer.weight[(i, d)];
        }
        for j in 0..d {
            let w = layer.weight[(i, j)];
            if w == 0.0 {
                continue;
            }
            let (cols, coefs, cj) = a.entry(r + j * rows);
            for (&col, &v) in cols.iter().zip(coefs) {
                t.push(col, w * v);
            }
            c += w * cj;
        }
        c
    })
    .compact()
}

/// E1501: the ReLU entry `k` of `z` has an infinite bound; names the variables behind it.
fn unbounded(columns: &Columns, z: &Affine, k: usize, cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut blocks: Vec<usize> = columns
        .unbounded(z, k)
        .into_iter()
        .filter_map(|c| cx.prog.locate(c).map(|(v, _, _)| v.0))
        .collect();
    blocks.dedup();
    let names: Vec<String> = blocks
        .iter()
        .map(|&b| format!("`{}`", cx.prog.vars[b].name))
        .collect();
    let mut d = Diagnostic::error(
        "E1501",
        format!(
            "{} {} no finite bounds, and a ReLU (or an atom encoded exactly) it reaches needs them",
            names.join(", "),
            if names.len() == 1 { "has" } else { "have" }
        ),
    );
    for (i, &b) in blocks.iter().enumerate() {
        if let Some(s) = cx.prog.vars[b].span {
            d = if i == 0 {
                d.with_primary(s, "declared without a finite box")
            } else {
                d.with_label(s, "declared without a finite box")
            };
        }
    }
    vec![d
        .with_note("big_m writes each ReLU as a ≥ z, a ≤ z − L(1 − δ), a ≤ U δ with L ≤ z ≤ U proved from the variables' boxes; it never invents a big M")
        .with_help("declare a box, e.g. `var x[1, 2] in [-1, 1]`")]
}
