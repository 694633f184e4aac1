//! Convex-NN: the parabolic relaxation of the layer products, the DC splitting of the
//! activations and a sequential penalty around an anchor (Zohrizadeh et al.; seed 002; METHODS
//! §3, docs/CONVEX_NN.md).
//!
//! ```text
//! minimize   loss(Zᴸ) + η r(·; W̌, Ǎ, Ž)                                       (penalty.rs)
//! subject to Z¹ = X W¹ᵀ + 1 b¹ᵀ                                              (affine)
//!            ‖w_i ± a_j‖² ≤ Wd_i + Ad_j ± 2(z_ji − b_i), ‖w_i‖² ≤ Wd_i, ‖a_j‖² ≤ Ad_j   (parabolic.rs)
//!            (U + A)/2 ≥ p(Z), (U − A)/2 ≥ q(Z)  per hidden layer, h = p − q   (dc.rs)
//!            the model's constraints on net(train.x) = Zᴸ
//! then       the anchor W̌ ← the solution's weights (Ǎ, Ž their true forward pass), and again
//! ```
//! Every program is convex and a relaxation of the network for its anchor; the penalty is 0
//! exactly when the lifted variables are tight at the anchor. The paper proves that for η large
//! enough every solution is a network and the objective never increases: both are measured
//! every pass (the relaxation gap, any increase), not assumed. A heuristic overall: a local
//! method whose answer depends on the start. Hard constraints hold for the relaxed outputs;
//! the report evaluates them on the trained network, and a bound the network violates is
//! tightened in the relaxation by the measured excess and the sequence goes on (`tighten`
//! rounds at most), as soon as the relaxation is tight (gap below 1e-3) or the sequence has
//! settled (objective improvement below `epsilon`).
//!
//! Codes: `E1401` a network this method does not cover, `E1402` the network applied to other
//! inputs than its training features, or never used, `E1403` a start that does not fit the network, `E1404` a maximized
//! objective.

mod dc;
mod parabolic;
mod penalty;

use std::cell::OnceCell;
use std::fmt::Write as _;

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::network::{trained_net, TrainedNet};
use super::{Exactness, Lowering, Measure, Next, Recovered};
use crate::conic::canon::ColumnMap;
use crate::convex::from_model::{self, Context, Translation};
use crate::convex::{ConstraintKind, Expr, LinOp, Sense, VarId, VarSpec};
use crate::diag::{Diagnostic, SourceMap, Span};
use crate::model::OptionValue;
use crate::model::{self, ExprKind, Method, MethodKind, Model, NetId};
use crate::nn::network::DenseNet;
use crate::nn::{adam, eval, Values};

/// The method's name in stages, origins and reports.
pub const STAGE: &str = "convex_nn";

/// A relaxation gap below which a bound the network violates is tightened at once.
const TIGHT: f64 = 1e-3;

/// Where the sequence starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// Adam's random start (He normals for ReLU-type layers, LeCun for the others, zero
    /// biases), from the seed.
    Random,
    /// A weights file, by its resolved path.
    File(String),
    /// The weights `method adam` trains (the model's declaration, or its defaults).
    Adam,
}

/// The method's options.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Weight of the penalty.
    pub eta: f64,
    /// Weight of each penalty group.
    pub mu: f64,
    /// Stop when the objective improves by less than this (relative).
    pub epsilon: f64,
    /// Most solves.
    pub iterations: usize,
    /// The start.
    pub start: Start,
    /// Seed of the random start.
    pub seed: u64,
    /// Most tightenings of bounds the trained network violates (0: none).
    pub tighten: usize,
}

impl Options {
    /// The options of a `convex_nn` method (defaults filled in by the checker).
    pub fn from_method(method: &Method) -> Options {
        let num = |k: &str, d: f64| match method.get(k) {
            Some(OptionValue::Number(v)) => *v,
            _ => d,
        };
        Options {
            eta: num("eta", 1.0),
            mu: num("mu", 1.0),
            epsilon: num("epsilon", 1e-7),
            iterations: num("iterations", 50.0) as usize,
            start: match method.get("start") {
                Some(OptionValue::Text(p)) => Start::File(p.clone()),
                Some(OptionValue::Word(w)) if w == "adam" => Start::Adam,
                _ => Start::Random,
            },
            seed: num("seed", 0.0) as u64,
            tighten: num("tighten", 5.0) as usize,
        }
    }
}

/// The program blocks of the relaxed network.
#[derive(Clone, Debug)]
pub(crate) struct Lifted {
    /// Weights per layer (the model's variables).
    w: Vec<VarId>,
    /// Separate biases per layer.
    b: Vec<Option<VarId>>,
    /// Pre-activations per layer; the last is the network's output.
    z: Vec<VarId>,
    /// Activations per hidden layer.
    a: Vec<VarId>,
    /// The DC auxiliaries per hidden layer.
    u: Vec<VarId>,
    /// Lifted squared norms of the weight rows, per layer (layers 2 and up).
    wd: Vec<Option<VarId>>,
    /// Lifted squared norms of the input rows, per layer (layers 2 and up).
    ad: Vec<Option<VarId>>,
    /// Every `sigmoid_hbar` replaced by tangent planes.
    tangents: Vec<dc::Tangent>,
    /// `(p(Z), q(Z))` per hidden layer.
    splits: Vec<(Expr, Expr)>,
}

/// The anchor: weights per layer and their true forward pass.
#[derive(Clone, Debug)]
pub(crate) struct Anchor {
    w: Vec<DMatrix<f64>>,
    /// Activations per hidden layer.
    a: Vec<DMatrix<f64>>,
    /// Pre-activations per hidden layer.
    z: Vec<DMatrix<f64>>,
    /// The program point with the anchor's pre-activations (for the tangents' arguments).
    point: Vec<f64>,
}

/// The numbers an anchor writes into the program besides the parabolic cones: the DC shifts
/// and the anchor planes.
#[derive(Clone, Debug, PartialEq)]
struct Numbers {
    shifts: Vec<dc::Shift>,
    planes: Vec<Vec<(f64, f64)>>,
}

/// The Convex-NN lowering and its sequence state.
pub struct ConvexNn {
    net: TrainedNet,
    options: Options,
    x: DMatrix<f64>,
    base: Translation,
    lifted: Lifted,
    anchor: Anchor,
    numbers: Numbers,
    translation: OnceCell<Translation>,
    /// How much each model constraint is tightened in the relaxation, by name.
    offsets: Vec<(String, f64)>,
    passes: usize,
    last_objective: Option<f64>,
    /// Passes whose objective rose above the previous one's, with the rise.
    increases: Vec<(usize, f64)>,
    tightenings: usize,
    /// The trained network's slack of every model constraint after the last pass.
    slacks: Vec<(String, f64)>,
    start_note: String,
}

fn diag(e: crate::nn::EvalError) -> Vec<Diagnostic> {
    vec![e.to_diagnostic()]
}

impl ConvexNn {
    /// Lowers `model` with the options of its `convex_nn` method, at the start point.
    pub fn lower(
        model: &Model,
        sources: &SourceMap,
        method: &Method,
    ) -> Result<ConvexNn, Vec<Diagnostic>> {
        const HELP: &str = "Convex-NN takes `dense(m, activation)` hidden layers whose activation is a `dc(p, q)` split, and a linear `dense(k)` output layer, all trained on the network's data";
        let options = Options::from_method(method);
        let net = trained_net(model, method, "E1401", STAGE, HELP)?;
        let last = net.layers.last().expect("a layer");
        if last.activation.name != "identity" {
            let d = Diagnostic::error(
                "E1401",
                format!(
                    "the output layer must be `identity` here, not `{}`",
                    last.activation.name
                ),
            )
            .with_primary(last.span, "not identity");
            return Err(vec![method
                .label(d, false, "method declared here")
                .with_help(HELP)]);
        }
        let x = model.datasets[net.data.0].x.clone();
        let mut hook = Hook {
            net: &net,
            x: &x,
            lifted: None,
            span: method.span,
        };
        let base = from_model::program(model, sources, &mut hook)?;
        let Some(lifted) = hook.lifted else {
            return Err(vec![method.label(
                Diagnostic::error(
                    "E1402",
                    format!(
                        "the model never uses the network's output `{}(train.x)`: there is nothing to train",
                        net.name
                    ),
                ),
                true,
                "method declared here",
            )]);
        };
        if let Some(obj) = &base.program.objective {
            if obj.sense == Sense::Maximize {
                let d = Diagnostic::error("E1404", "Convex-NN minimizes: the model maximizes");
                let d = match obj.span {
                    Some(s) => d.with_primary(s, "maximized here"),
                    None => d,
                };
                return Err(vec![d.with_help("minimize the negated objective instead")]);
            }
        }
        // The objective of every pass: the model's plus η r (fixed: the anchor's numbers are
        // in the constraints).
        let mut base = base;
        let r: Expr = penalty::objective(&base.program, &lifted, options.eta * options.mu).into();
        let objective = match base.program.objective.take() {
            Some(obj) => Expr::linear(LinOp::Add, vec![obj.expr, r]).expect("scalars"),
            None => r,
        };
        base.program.minimize(objective);
        if let Some(o) = base.program.objective.as_mut() {
            o.stage = STAGE;
        }
        let (values, start_note) = start(model, &net, &options, method)?;
        let anchor = anchor(model, &net, &x, &values, &base, &lifted)?;
        let mut l = ConvexNn {
            net,
            options,
            x,
            base,
            lifted,
            numbers: Numbers {
                shifts: Vec::new(),
                planes: Vec::new(),
            },
            anchor,
            translation: OnceCell::new(),
            offsets: model
                .constraints
                .iter()
                .map(|c| (c.name.clone(), 0.0))
                .collect(),
            passes: 0,
            last_objective: None,
            increases: Vec::new(),
            tightenings: 0,
            slacks: Vec::new(),
            start_note,
        };
        l.numbers = l.numbers_of(&l.anchor);
        Ok(l)
    }

    fn numbers_of(&self, anchor: &Anchor) -> Numbers {
        Numbers {
            shifts: (0..self.lifted.a.len())
                .map(|h| dc::Shift::at(&self.net.layers[h].activation, &anchor.z[h]))
                .collect(),
            planes: self
                .lifted
                .tangents
                .iter()
                .map(|t| t.anchor_planes(&anchor.point))
                .collect(),
        }
    }

    /// The program for the current anchor: the base (bounds tightened by their offsets), then
    /// the parabolic cones, the DC splits and the anchor planes, all around the anchor.
    fn build_translation(&self) -> Translation {
        let mut t = self.base.clone();
        t.program.keep_zeros = true;
        for c in &mut t.program.constraints {
            let off = self
                .offsets
                .iter()
                .find(|(n, _)| *n == c.label)
                .map_or(0.0, |o| o.1);
            if c.stage.is_empty() && off > 0.0 {
                if let ConstraintKind::Le(_, r) = &mut c.kind {
                    *r = r
                        .clone()
                        .minus(Expr::scalar(off))
                        .expect("a scalar broadcasts");
                }
            }
        }
        let lf = &self.lifted;
        let mut cons = parabolic::constraints(&t.program, lf, &self.net, &self.anchor);
        for (h, split) in lf.splits.iter().enumerate() {
            cons.extend(dc::constraints(
                &t.program,
                split,
                h,
                lf.z[h],
                lf.a[h],
                lf.u[h],
                &self.numbers.shifts[h],
            ));
        }
        for (tan, planes) in lf.tangents.iter().zip(&self.numbers.planes) {
            cons.push(tan.constraint(&t.program, planes));
        }
        for c in cons {
            t.program.constrain(c.with_stage(STAGE));
        }
        t
    }

    /// The program blocks' values at `x`: `(Z, A, U)` of each hidden layer.
    fn hidden_values(&self, x: &[f64]) -> Vec<(DMatrix<f64>, DMatrix<f64>, DMatrix<f64>)> {
        let prog = &self.base.program;
        let lf = &self.lifted;
        (0..lf.a.len())
            .map(|h| {
                (
                    dc::block(prog, lf.z[h], x),
                    dc::block(prog, lf.a[h], x),
                    dc::block(prog, lf.u[h], x),
                )
            })
            .collect()
    }
}

/// The start weights and a note saying what they are.
fn start(
    model: &Model,
    net: &TrainedNet,
    o: &Options,
    method: &Method,
) -> Result<(Values, String), Vec<Diagnostic>> {
    Ok(match &o.start {
        Start::Random => {
            let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
            (
                adam::initial_point(model, &mut rng),
                format!(
                    "random (He normals for ReLU-type layers, LeCun for the others), seed {}",
                    o.seed
                ),
            )
        }
        Start::File(path) => {
            let mut values = Values::zeros(model);
            let layers: Vec<super::start::Params> = net
                .layers
                .iter()
                .map(|l| super::start::Params {
                    weight: l.weight,
                    bias_var: l.bias_var,
                    bias: l.bias,
                })
                .collect();
            super::start::read_file(&mut values, path, &layers, method, "E1403")?;
            (values, format!("the weights in {path}"))
        }
        Start::Adam => {
            let declared = model.methods.iter().find(|m| m.kind == MethodKind::Adam);
            let opts = declared.map_or_else(adam::AdamOptions::default, |m| {
                adam::AdamOptions::from_method(m)
            });
            let r = adam::train(model, &opts).map_err(diag)?;
            (
                r.values,
                format!(
                    "adam's result ({} epochs × {} restarts, lr {}, objective {:.6e})",
                    opts.epochs, opts.restarts, opts.lr, r.objective
                ),
            )
        }
    })
}

/// The anchor of weights `values`: their true forward pass on `x`.
fn anchor(
    model: &Model,
    net: &TrainedNet,
    x: &DMatrix<f64>,
    values: &Values,
    base: &Translation,
    lf: &Lifted,
) -> Result<Anchor, Vec<Diagnostic>> {
    let dn = DenseNet::from_model(model, net.net, values).map_err(diag)?;
    let trace = dn.forward_trace(x).map_err(diag)?;
    let hidden = net.layers.len() - 1;
    let z: Vec<DMatrix<f64>> = trace.pre[..hidden].to_vec();
    let a: Vec<DMatrix<f64>> = z
        .iter()
        .zip(&dn.layers)
        .map(|(z, l)| z.map(|v| l.activation.eval(v)))
        .collect();
    let prog = &base.program;
    let mut point = vec![0.0; prog.num_columns()];
    for (h, zh) in z.iter().enumerate() {
        let b = &prog.vars[lf.z[h].0];
        point[b.offset..b.offset + b.len()].copy_from_slice(zh.as_slice());
    }
    Ok(Anchor {
        w: net
            .layers
            .iter()
            .map(|l| values.get(l.weight).clone())
            .collect(),
        a,
        z,
        point,
    })
}

/// The substitution of the network's output by the relaxed `Zᴸ`, creating the relaxation's
/// blocks and its anchor-free constraints on first use.
struct Hook<'a> {
    net: &'a TrainedNet,
    x: &'a DMatrix<f64>,
    lifted: Option<Lifted>,
    span: Option<Span>,
}

impl Hook<'_> {
    fn ensure(&mut self, cx: &mut Context<'_>) -> Result<VarId, Vec<Diagnostic>> {
        if let Some(l) = &self.lifted {
            return Ok(*l.z.last().expect("a layer"));
        }
        let m = self.net.samples;
        let layers = &self.net.layers;
        let hidden = layers.len() - 1;
        let w: Vec<VarId> = layers.iter().map(|l| cx.var(l.weight)).collect();
        let b: Vec<Option<VarId>> = layers
            .iter()
            .map(|l| l.bias_var.map(|v| cx.var(v)))
            .collect();
        let mut lf = Lifted {
            w,
            b,
            z: Vec::new(),
            a: Vec::new(),
            u: Vec::new(),
            wd: Vec::new(),
            ad: Vec::new(),
            tangents: Vec::new(),
            splits: Vec::new(),
        };
        for (i, l) in layers.iter().enumerate() {
            let k = i + 1;
            lf.z.push(cx.prog.add_var(VarSpec::new(format!("Z{k}"), m, l.outputs)));
            if i < hidden {
                lf.a.push(cx.prog.add_var(VarSpec::new(format!("A{k}"), m, l.outputs)));
                lf.u.push(cx.prog.add_var(VarSpec::new(format!("U{k}"), m, l.outputs)));
            }
            if i > 0 {
                lf.wd.push(Some(cx.prog.add_var(VarSpec::new(
                    format!("Wd{k}"),
                    l.outputs,
                    1,
                ))));
                lf.ad
                    .push(Some(cx.prog.add_var(VarSpec::new(format!("Ad{k}"), m, 1))));
            } else {
                lf.wd.push(None);
                lf.ad.push(None);
            }
        }
        let l1 = &layers[0];
        let cons = vec![super::network::first_layer(
            &cx.prog,
            self.x,
            (lf.z[0], lf.w[0], lf.b[0]),
            (l1.inputs, l1.outputs, l1.bias),
        )];
        let mut tangents = Vec::new();
        for (h, layer) in layers[..hidden].iter().enumerate() {
            let split = dc::parts(cx, &layer.activation, h, lf.z[h], &mut tangents)?;
            lf.splits.push(split);
        }
        lf.tangents = tangents;
        for c in cons {
            let c = c.with_stage(STAGE);
            cx.prog.constrain(match self.span {
                Some(s) => c.with_span(s),
                None => c,
            });
        }
        let out = *lf.z.last().expect("a layer");
        self.lifted = Some(lf);
        Ok(out)
    }
}

impl from_model::Lowering for Hook<'_> {
    fn substitute(
        &mut self,
        e: &model::Expr,
        cx: &mut Context<'_>,
    ) -> Option<Result<Expr, Vec<Diagnostic>>> {
        match &e.kind {
            ExprKind::NetOut(n, arg) if *n == self.net.net => {
                if let Some(d) =
                    super::network::other_inputs(arg, self.net.data, "E1402", "Convex-NN")
                {
                    return Some(Err(d));
                }
                Some(
                    self.ensure(cx)
                        .map(|z| cx.prog.var_expr(z).with_span(e.span)),
                )
            }
            ExprKind::Weights(n) if *n == self.net.net => Some(Ok(
                super::network::stacked_weights(cx, self.net.layers.iter().map(|l| l.weight))
                    .with_span(e.span),
            )),
            _ => None,
        }
    }
}

impl Lowering for ConvexNn {
    fn name(&self) -> &'static str {
        STAGE
    }

    fn sequential(&self) -> bool {
        true
    }

    fn exactness(&self) -> Exactness {
        Exactness::Heuristic
    }

    fn net(&self) -> Option<NetId> {
        Some(self.net.net)
    }

    fn translation(&self) -> &Translation {
        self.translation.get_or_init(|| self.build_translation())
    }

    fn recover(
        &self,
        model: &Model,
        map: &ColumnMap,
        x: &[f64],
    ) -> Result<Recovered, Vec<Diagnostic>> {
        super::recover_values(model, &self.base, map, x, true)
    }

    fn measure(
        &self,
        objective: Option<f64>,
        r: &Recovered,
    ) -> Result<Option<Measure>, Vec<Diagnostic>> {
        let x = &r.program;
        let prog = &self.base.program;
        let (gw, ga, prod) = parabolic::gaps(prog, &self.lifted, &self.net, &self.anchor, x);
        let (mut gp, mut gq, mut gact) = (0.0_f64, 0.0_f64, 0.0_f64);
        for (h, (z, a, uh)) in self.hidden_values(x).iter().enumerate() {
            let u = self.numbers.shifts[h].u(uh, z);
            let (p, q, act) = dc::gaps(&self.net.layers[h].activation, z, a, &u);
            (gp, gq, gact) = (gp.max(p), gq.max(q), gact.max(act));
        }
        let tangent = self
            .lifted
            .tangents
            .iter()
            .zip(&self.numbers.planes)
            .map(|(t, p)| t.gap(x, p))
            .fold(0.0_f64, f64::max);
        let truth = if r.model.objective.is_some() {
            eval::objective(&r.model, &r.values).map_err(diag)?
        } else {
            0.0
        };
        let increase = match (self.last_objective, objective) {
            (Some(a), Some(b)) => (b - a).max(0.0),
            _ => 0.0,
        };
        let dn = DenseNet::from_model(&r.model, self.net.net, &r.values).map_err(diag)?;
        let f = dn.forward(&self.x).map_err(diag)?;
        let out = dc::block(prog, *self.lifted.z.last().expect("a layer"), x);
        let scale = out.norm();
        let fit = (f - &out).norm() / if scale > 0.0 { scale } else { 1.0 };
        let mut details = vec![
            ("true_objective".to_string(), truth),
            (
                "penalty".to_string(),
                penalty::value(prog, &self.lifted, self.options.eta * self.options.mu, x),
            ),
            ("lifting_w".to_string(), gw),
            ("lifting_a".to_string(), ga),
            ("product".to_string(), prod),
            ("dc_p".to_string(), gp),
            ("dc_q".to_string(), gq),
            ("activation".to_string(), gact),
            ("tangent_gap".to_string(), tangent),
            ("increase".to_string(), increase),
        ];
        for s in eval::slacks(&r.model, &r.values).map_err(diag)? {
            details.push((format!("slack[{}]", s.name), s.slack));
        }
        Ok(Some(Measure {
            name: "relaxation gap",
            value: gw.max(ga).max(gp).max(gq),
            violation: true,
            details,
            plotted: vec![
                "lifting_w",
                "lifting_a",
                "product",
                "dc_p",
                "dc_q",
                "activation",
                "tangent_gap",
            ],
            fit: Some(fit),
        }))
    }

    fn next(
        &mut self,
        r: &Recovered,
        m: Option<&Measure>,
        objective: Option<f64>,
    ) -> Result<Next, Vec<Diagnostic>> {
        self.passes += 1;
        let obj = objective.unwrap_or(f64::NAN);
        let last = self.last_objective;
        if let Some(a) = last {
            if obj > a + 1e-7 * a.abs().max(1.0) {
                self.increases.push((self.passes, obj - a));
            }
        }
        let slacks = eval::slacks(&r.model, &r.values).map_err(diag)?;
        self.slacks = slacks.iter().map(|s| (s.name.clone(), s.slack)).collect();
        let converged =
            last.is_some_and(|a| (a - obj).abs() <= self.options.epsilon * obj.abs().max(1.0));
        // The relaxation is tight enough that what the network misses is the relaxation's own
        // slack in a bound: tightening it by that excess is the correction.
        let tight = m.is_some_and(|m| m.value < TIGHT);
        let limit = self.passes >= self.options.iterations;
        let mut tightened = false;
        let violated: Vec<&eval::Slack> = slacks
            .iter()
            .filter(|s| !s.satisfied(1e-6 * (1.0 + s.slack.abs())))
            .collect();
        if tight && !violated.is_empty() && !limit && self.tightenings < self.options.tighten {
            for s in &violated {
                if let Some(o) = self.offsets.iter_mut().find(|(n, _)| *n == s.name) {
                    o.1 += -s.slack;
                }
            }
            self.tightenings += 1;
            tightened = true;
        } else if converged || limit {
            if limit {
                return Ok(Next::Stop("iteration limit"));
            }
            if violated.is_empty() {
                return Ok(Next::Stop("objective improvement below epsilon"));
            }
            if self.tightenings >= self.options.tighten {
                return Ok(Next::Stop("tightening limit"));
            }
            // Settled with a bound violated but the relaxation not tight: tighten too.
            for s in violated {
                if let Some(o) = self.offsets.iter_mut().find(|(n, _)| *n == s.name) {
                    o.1 += -s.slack;
                }
            }
            self.tightenings += 1;
            tightened = true;
        }
        let anchor = anchor(
            &r.model,
            &self.net,
            &self.x,
            &r.values,
            &self.base,
            &self.lifted,
        )?;
        self.numbers = self.numbers_of(&anchor);
        self.anchor = anchor;
        // A tightened program is a new problem: its first objective is not compared.
        self.last_objective = if tightened { None } else { objective };
        self.translation = OnceCell::new();
        Ok(Next::Again)
    }

    fn report_block(&self, _: &Recovered) -> Vec<String> {
        let o = &self.options;
        let mut out = vec![
            format!(
                "relaxation parabolic products ({} rotated cones), DC activations ({}); eta {}, mu {}",
                (1..self.net.layers.len())
                    .map(|l| parabolic::cones(&self.net, l))
                    .sum::<usize>(),
                self.dc_words(),
                o.eta,
                o.mu
            ),
            format!("start      {}", self.start_note),
        ];
        out.push(if self.increases.is_empty() {
            format!(
                "monotone   the relaxed objective never rose over {} passes",
                self.passes
            )
        } else {
            format!(
                "monotone   NO: the relaxed objective rose at {} (raise eta)",
                self.increases
                    .iter()
                    .map(|(k, d)| format!("pass {k} by {d:.3e}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        for (name, slack) in &self.slacks {
            let off = self
                .offsets
                .iter()
                .find(|(n, _)| n == name)
                .map_or(0.0, |o| o.1);
            let tightened = if off > 0.0 {
                format!(", tightened in the relaxation by {off:.6}")
            } else {
                String::new()
            };
            let verdict = if *slack >= -1e-6 * (1.0 + slack.abs()) {
                "the trained network meets it".to_string()
            } else {
                format!(
                    "the relaxed outputs meet it but the TRAINED NETWORK VIOLATES it by {:.6}",
                    -slack
                )
            };
            out.push(format!(
                "bound      {name}: {verdict} (slack {slack:.6}{tightened})"
            ));
        }
        if self.tightenings > 0 {
            let all = self
                .slacks
                .iter()
                .all(|(_, s)| *s >= -1e-6 * (1.0 + s.abs()));
            out.push(format!(
                "tightened  {} time{}: {}",
                self.tightenings,
                if self.tightenings == 1 { "" } else { "s" },
                if all {
                    "the trained network meets every bound".to_string()
                } else {
                    format!(
                        "the limit (`tighten = {}`) or the iteration limit was reached with a bound still violated",
                        o.tighten
                    )
                }
            ));
        }
        out
    }

    fn report_json(&self) -> Option<serde_json::Value> {
        let bounds: Vec<serde_json::Value> = self
            .slacks
            .iter()
            .map(|(name, slack)| {
                let off = self
                    .offsets
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(0.0, |o| o.1);
                serde_json::json!({
                    "name": name,
                    "network_slack": slack,
                    "network_meets": *slack >= -1e-6 * (1.0 + slack.abs()),
                    "tightened_by": off,
                })
            })
            .collect();
        Some(serde_json::json!({
            "lowering": STAGE,
            "eta": self.options.eta,
            "mu": self.options.mu,
            "start": self.start_note,
            "monotone": self.increases.is_empty(),
            "increases": self.increases.iter().map(|(k, d)| serde_json::json!({"pass": k, "by": d})).collect::<Vec<_>>(),
            "tightenings": self.tightenings,
            "bounds": bounds,
        }))
    }

    fn stage_text(&self, model: &Model) -> String {
        let o = &self.options;
        let mut s = String::new();
        let widths: Vec<String> = std::iter::once(self.net.layers[0].inputs)
            .chain(self.net.layers.iter().map(|l| l.outputs))
            .map(|w| w.to_string())
            .collect();
        let _ = writeln!(
            s,
            "{STAGE}  network {}: {} on {} samples; eta {}, mu {}, start {}",
            self.net.name,
            widths.join(" -> "),
            self.net.samples,
            o.eta,
            o.mu,
            self.start_note
        );
        let _ = writeln!(
            s,
            "  stages    parabolic (layer products), dc (activations), penalty (objective): `--emit parabolic|dc|penalty`"
        );
        let _ = writeln!(
            s,
            "  stop      objective improves by < {:e} (relative), {} iterations; bounds the network violates tightened up to {} times",
            o.epsilon, o.iterations, o.tighten
        );
        let _ = writeln!(
            s,
            "  objective {} + eta * r(anchor)",
            if model.objective.is_some() {
                "the model's objective on Z"
            } else {
                "0"
            }
        );
        s
    }

    fn stage_json(&self, model: &Model) -> serde_json::Value {
        let o = &self.options;
        serde_json::json!({
            "lowering": STAGE,
            "network": self.net.name,
            "samples": self.net.samples,
            "eta": o.eta,
            "mu": o.mu,
            "epsilon": o.epsilon,
            "iterations": o.iterations,
            "tighten": o.tighten,
            "start": self.start_note,
            "parabolic": self.parabolic_json(),
            "dc": self.dc_json(model),
        })
    }

    fn sub_stages(&self, model: &Model) -> Vec<super::Stage> {
        vec![
            super::Stage {
                name: "parabolic",
                text: self.parabolic_text(),
                json: self.parabolic_json(),
            },
            super::Stage {
                name: "dc",
                text: self.dc_text(model),
                json: self.dc_json(model),
            },
            super::Stage {
                name: "penalty",
                text: self.penalty_text(),
                json: serde_json::json!({
                    "stage": "penalty",
                    "eta": self.options.eta,
                    "mu": self.options.mu,
                    "terms": penalty::columns(&self.base.program, &self.lifted).len(),
                }),
            },
        ]
    }
}

impl ConvexNn {
    fn exact_split(&self, h: usize) -> bool {
        !self.lifted.tangents.iter().any(|t| t.layer == h)
    }

    fn dc_words(&self) -> String {
        (0..self.lifted.a.len())
            .map(|h| {
                format!(
                    "layer {} {}{}",
                    h + 1,
                    self.net.layers[h].activation.name,
                    if self.exact_split(h) {
                        " exact"
                    } else {
                        " by tangent planes"
                    }
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn parabolic_text(&self) -> String {
        let mut s = String::new();
        let m = self.net.samples;
        let _ = writeln!(
            s,
            "parabolic  network {}: layer products Z = A Wᵀ + 1 bᵀ relaxed from layer 2 on (rows are samples)",
            self.net.name
        );
        let _ = writeln!(s, "  layer 1   Z1 = X W1ᵀ + 1 b1ᵀ    affine");
        for l in 1..self.net.layers.len() {
            let layer = &self.net.layers[l];
            let k = l + 1;
            let _ = writeln!(
                s,
                "  layer {k}   Wd{k} [{}], Ad{k} [{m}]: |w_i ± a_j|^2 <= Wd_i + Ad_j ± 2(z_ji - b_i) ({} cones), |w_i|^2 <= Wd_i ({}), |a_j|^2 <= Ad_j ({m}); rotated soc({})",
                layer.outputs,
                2 * m * layer.outputs,
                layer.outputs,
                layer.inputs + 2
            );
        }
        let total: usize = (1..self.net.layers.len())
            .map(|l| parabolic::cones(&self.net, l))
            .sum();
        let _ = writeln!(
            s,
            "  total     {total} cones; exact where Wd_i = |w_i|^2 and Ad_j = |a_j|^2"
        );
        s
    }

    fn parabolic_json(&self) -> serde_json::Value {
        let m = self.net.samples;
        serde_json::json!({
            "stage": "parabolic",
            "samples": m,
            "layers": (1..self.net.layers.len()).map(|l| serde_json::json!({
                "layer": l + 1,
                "nodes": self.net.layers[l].outputs,
                "inputs": self.net.layers[l].inputs,
                "cones": parabolic::cones(&self.net, l),
            })).collect::<Vec<_>>(),
        })
    }

    fn dc_text(&self, model: &Model) -> String {
        let mut s = String::new();
        let m = self.net.samples;
        let _ = writeln!(
            s,
            "dc  activations a = p(z) - q(z): (U + A)/2 >= p(Z), (U - A)/2 >= q(Z) entry by entry"
        );
        for h in 0..self.lifted.a.len() {
            let act = &self.net.layers[h].activation;
            let k = h + 1;
            let _ = writeln!(
                s,
                "  layer {k}   {} [{m}x{}]: p(z) = {}, q(z) = {}; {}",
                act.name,
                self.net.layers[h].outputs,
                model::print::expr(model, &act.p),
                model::print::expr(model, &act.q),
                if self.exact_split(h) {
                    "exact conic form".to_string()
                } else {
                    format!(
                        "sigmoid_hbar by tangent planes at {} and at the anchor (refined every pass; relaxed, the gap is measured)",
                        dc::FIXED
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            );
        }
        s
    }

    fn dc_json(&self, model: &Model) -> serde_json::Value {
        serde_json::json!({
            "stage": "dc",
            "layers": (0..self.lifted.a.len()).map(|h| {
                let act = &self.net.layers[h].activation;
                serde_json::json!({
                    "layer": h + 1,
                    "activation": act.name,
                    "p": model::print::expr(model, &act.p),
                    "q": model::print::expr(model, &act.q),
                    "exact": self.exact_split(h),
                    "tangent_points": if self.exact_split(h) { vec![] } else { dc::FIXED.to_vec() },
                })
            }).collect::<Vec<_>>(),
        })
    }

    fn penalty_text(&self) -> String {
        let o = &self.options;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "penalty  r around the anchor (W̌, b̌; Ǎ, Ž its forward pass), weights mu = {}, objective + eta r, eta = {}",
            o.mu, o.eta
        );
        let _ = writeln!(
            s,
            "  lifting   mu sum_l [ sum_i (Wd_i - 2 w_i·w̌_i + |w̌_i|^2) + sum_j (Ad_j - 2 a_j·ǎ_j + |ǎ_j|^2) ]"
        );
        let _ = writeln!(
            s,
            "  dc        mu sum_hidden sum_ji [ (u+a)/2 - p(ž) - p'(ž)(z - ž) + (u-a)/2 - q(ž) - q'(ž)(z - ž) ]"
        );
        let _ = writeln!(
            s,
            "  program   centred at the anchor: each bracket is one program variable (Wd_i, Ad_j, U_ji), so eta r = eta mu (sum Wd + sum Ad + sum U), {} terms, fixed; the anchor's numbers are in the constraints",
            penalty::columns(&self.base.program, &self.lifted).len()
        );
        let _ = writeln!(
            s,
            "  each group >= 0 on the relaxed set, 0 exactly when the lifted variables are tight at the anchor"
        );
        s
    }
}
