//! Rank lifting with the nuclear-norm heuristic, solved sequentially (Doelman & Verhaegen 2016;
//! seed 001; METHODS §2, docs/RANK_LIFTING.md).
//!
//! ```text
//! minimize   λ Σ ‖M(P, Q, C; P₀, Q₀)‖_*  (+ the model's loss)
//! subject to the complementarity form's affine parts (Z¹ = X W¹ᵀ + 1b¹ᵀ, A ≥ 0, A ≥ Z),
//!            the model's constraints on net(train.x) = Zᴸ
//! then       P₀, Q₀ ← the solution, and again
//! ```
//! over the bilinear equalities of [`super::complementarity`]: per complementarity entry one
//! 2×2 block, per layer product one block per scalar product `w_ik a_jk` (element-wise form,
//! second-order cones only) or one `(m+n)×(m+o)` block (matrix form, a PSD cone: `--features
//! sdp`). `‖M‖_* ≥ rows of I` with equality exactly when `PQ = C` and `P₀, Q₀` are that
//! solution, so a fixed point with zero violation is a network that satisfies the model; the
//! method is a heuristic (no optimality guarantee, convergence depends on the start), and
//! reports its measured violation.
//!
//! `weights(net)` is the program's own weight columns, stacked. Codes: `E1301` (in
//! [`super::complementarity`]) a network this method does not cover, `E1302` the network
//! applied to other inputs than its training features, or never used, `E1303` a start that
//! does not fit the network, `E1304` the matrix form in a build without PSD cones, `E1305` a
//! maximized objective or a negative `perturb`.

mod blocks;
mod start;

use std::cell::OnceCell;
use std::fmt::Write as _;

use nalgebra::DMatrix;

use super::complementarity::Complementarity;
use super::{Exactness, Lowering, Measure, Next, Recovered};
use crate::conic::canon::ColumnMap;
use crate::conic::{Cone, ConicProblem};
use crate::convex::from_model::{self, Context, Translation};
use crate::convex::{Affine, Constraint, Expr, LinOp, Sense, VarId, VarSpec};
use crate::diag::{Diagnostic, SourceMap, Span};
use crate::model::{self, BiasMode, ExprKind, Method, Model, NetId, OptionValue};
use crate::nn::network::DenseNet;

/// The method's name in stages, origins and reports.
pub const STAGE: &str = "rank_lifting";

/// How layer products are lifted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// One 2×2 block per scalar product (second-order cones).
    Elementwise,
    /// One block per layer (a PSD cone).
    Matrix,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Form::Elementwise => "elementwise",
            Form::Matrix => "matrix",
        }
    }
}

/// Where the sequence starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// Every parameter 0.
    Zeros,
    /// Weights and biases drawn from N(0, 1).
    Random,
    /// A weights file (as `cnnc train -o` writes it), by its resolved path.
    File(String),
}

/// The method's options.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Weight of the nuclear norms.
    pub lambda: f64,
    /// Most solves.
    pub iterations: usize,
    /// Stop when the largest bilinear violation is below this.
    pub tolerance: f64,
    /// Stop when the objective improves by less than this (relative), if set.
    pub epsilon: Option<f64>,
    /// Stop when the violation has not reached a new low (by 1 %) in this many iterations
    /// (0: never).
    pub stall: usize,
    /// The start.
    pub start: Start,
    /// Standard deviation of the Gaussian noise added to the start.
    pub perturb: f64,
    /// Seed of the random start and the noise.
    pub seed: u64,
    /// How layer products are lifted.
    pub form: Form,
}

impl Options {
    /// The options of a `rank_lifting` method (defaults filled in by the checker).
    pub fn from_method(method: &Method) -> Result<Options, Vec<Diagnostic>> {
        let num = |k: &str, d: f64| match method.get(k) {
            Some(OptionValue::Number(v)) => *v,
            _ => d,
        };
        let start = match method.get("start") {
            Some(OptionValue::Text(p)) => Start::File(p.clone()),
            Some(OptionValue::Word(w)) if w == "zeros" => Start::Zeros,
            _ => Start::Random,
        };
        let sdp = cfg!(feature = "sdp");
        let form = match method.get("form") {
            Some(OptionValue::Word(w)) if w == "matrix" => {
                if !sdp {
                    return Err(vec![method
                        .label(
                            Diagnostic::error(
                                "E1304",
                                "the matrix form of rank lifting needs PSD cones, which this build of cnnc does not have",
                            ),
                            true,
                            "form = matrix",
                        )
                        .with_note("PSD cones come with the `sdp` feature, which links a system LAPACK (Debian: `apt-get install libopenblas-dev`)")
                        .with_help("build with `cargo build --release --features sdp`, or use `form = elementwise` (second-order cones only)")]);
                }
                Form::Matrix
            }
            // Element-wise in every build: on seed 001 it reaches the tolerance in fewer
            // iterations, each ~50× cheaper (docs/RANK_LIFTING.md).
            _ => Form::Elementwise,
        };
        let perturb = num("perturb", 0.0);
        if perturb < 0.0 || !perturb.is_finite() {
            return Err(vec![method.label(
                Diagnostic::error(
                    "E1305",
                    format!("`perturb` is a standard deviation; {perturb} is not"),
                ),
                true,
                "method declared here",
            )]);
        }
        Ok(Options {
            lambda: num("lambda", 1.0),
            iterations: num("iterations", 50.0) as usize,
            tolerance: num("tolerance", 1e-7),
            epsilon: match method.get("epsilon") {
                Some(OptionValue::Number(v)) => Some(*v),
                _ => None,
            },
            stall: num("stall", 0.0) as usize,
            start,
            perturb,
            seed: num("seed", 0.0) as u64,
            form,
        })
    }
}

/// One layer product's lifted variables (layers 2 and up).
#[derive(Clone, Debug)]
pub(crate) struct Product {
    inputs: usize,
    outputs: usize,
    bias_column: bool,
    /// `t_jik = w_ik a_jk`, n×(o·m), column `i·m + k` (element-wise form).
    t: Option<VarId>,
    /// Epigraph of each block's nuclear norm, like `t` (element-wise form).
    e: Option<VarId>,
}

/// The program blocks of the lifted network.
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
    /// Epigraphs of the complementarity blocks per hidden layer (n×m).
    e_relu: Vec<VarId>,
    /// Layer products, layers 2 and up.
    products: Vec<Product>,
}

/// The parameters `P₀, Q₀` of the current pass.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Params {
    /// Weights per layer (with the bias column if any).
    w0: Vec<DMatrix<f64>>,
    /// Activations per hidden layer.
    a0: Vec<DMatrix<f64>>,
    /// Pre-activations per hidden layer.
    z0: Vec<DMatrix<f64>>,
}

/// Where the 2×2 blocks' entries sit in the conic form: the first block row, and the index into
/// `A`'s values of every term, in the order the blocks write them.
#[derive(Debug)]
struct Positions {
    first: usize,
    idx: Vec<usize>,
}

/// The rank-lifting lowering and its sequence state.
pub struct RankLifting {
    form: Complementarity,
    options: Options,
    x: DMatrix<f64>,
    base: Translation,
    lifted: Lifted,
    params: Params,
    /// The program for the current parameters, built when asked (`--emit`, the first pass, a
    /// pass whose conic form cannot be updated in place).
    translation: OnceCell<Translation>,
    /// Where the blocks' entries sit in the conic form ([`Lowering::update_conic`]).
    positions: OnceCell<Option<Positions>>,
    /// Solves so far.
    passes: usize,
    best: f64,
    since_best: usize,
    last_objective: Option<f64>,
    start_note: String,
}

impl RankLifting {
    /// Lowers `model` with the options of its `rank_lifting` method, at the start point.
    pub fn lower(
        model: &Model,
        sources: &SourceMap,
        method: &Method,
    ) -> Result<RankLifting, Vec<Diagnostic>> {
        let options = Options::from_method(method)?;
        let form = Complementarity::of(model, method)?;
        let net = &model.networks[form.net.0];
        let data = net.input.expect("checked by the complementarity form");
        let x = model.datasets[data.0].x.clone();
        let mut hook = Hook {
            form: &form,
            data,
            options: &options,
            x: &x,
            lifted: None,
            span: method.span,
        };
        let mut base = from_model::program(model, sources, &mut hook)?;
        let Some(lifted) = hook.lifted else {
            return Err(vec![method.label(
                Diagnostic::error(
                    "E1302",
                    format!(
                        "the model never uses the network's output `{}(train.x)`: there is nothing to train",
                        form.name
                    ),
                ),
                true,
                "method declared here",
            )]);
        };
        if let Some(obj) = &base.program.objective {
            if obj.sense == Sense::Maximize {
                let d = Diagnostic::error("E1305", "rank lifting minimizes: the model maximizes");
                let d = match obj.span {
                    Some(s) => d.with_primary(s, "maximized here"),
                    None => d,
                };
                return Err(vec![d.with_help("minimize the negated objective instead")]);
            }
        }
        // The objective of every pass: λ Σ e + the model's (if any); matrix-form norms are
        // added per pass.
        let mut epis: Vec<Expr> = lifted
            .e_relu
            .iter()
            .chain(lifted.products.iter().filter_map(|p| p.e.as_ref()))
            .map(|&e| Expr::from(base.program.var(e)).sum())
            .collect();
        if let Some(obj) = base.program.objective.take() {
            epis.push(obj.expr.scale(1.0 / options.lambda));
        }
        let objective = if epis.is_empty() {
            Expr::scalar(0.0)
        } else {
            Expr::linear(LinOp::Add, epis).map_err(|e| vec![e.to_diagnostic(None)])?
        };
        base.program.minimize(objective);
        let (values, start_note) = start::values(model, &form, &options, method)?;
        let params = start::params(model, &form, &x, &values)?;
        Ok(RankLifting {
            form,
            translation: OnceCell::new(),
            positions: OnceCell::new(),
            options,
            x,
            base,
            lifted,
            params,
            passes: 0,
            best: f64::INFINITY,
            since_best: 0,
            last_objective: None,
            start_note,
        })
    }

    /// The program for the current parameters: the base plus the blocks, objective scaled by λ.
    fn build_translation(&self) -> Translation {
        let mut t = self.base.clone();
        t.program.keep_zeros = true;
        let (cons, norms) =
            blocks::build(&t.program, &self.lifted, &self.params, self.options.form);
        for c in cons {
            t.program.constrain(c.with_stage(STAGE));
        }
        let obj = t.program.objective.take().expect("set by lower");
        let mut expr = obj.expr;
        if !norms.is_empty() {
            let mut all = vec![expr];
            all.extend(norms);
            expr = Expr::linear(LinOp::Add, all).expect("scalars");
        }
        t.program.minimize(expr.scale(self.options.lambda));
        if let Some(o) = t.program.objective.as_mut() {
            o.stage = STAGE;
        }
        t
    }

    /// The positions in `p` (the conic form of a pass's program) of every block entry, in the
    /// order [`blocks::Block::rows`] writes them: the blocks are the program's last
    /// constraints, two `soc(3)` each, so their rows are the last ones.
    fn positions_in(&self, p: &ConicProblem) -> Option<Positions> {
        let prog = &self.base.program;
        let mut count = 0;
        blocks::each_block(
            prog,
            &self.lifted,
            &self.params,
            self.options.form,
            |_, _| count += 1,
        );
        let first = p.b.len().checked_sub(6 * count)?;
        let tail = &p.cones[p.cones.len().checked_sub(2 * count)?..];
        if tail.iter().any(|c| *c != Cone::SecondOrder(3)) {
            return None;
        }
        let (mut idx, mut found, mut block) = (Vec::new(), true, 0);
        blocks::each_block(
            prog,
            &self.lifted,
            &self.params,
            self.options.form,
            |b, _| {
                let rows = first + 6 * block;
                b.rows(
                    |r, j, _| match p.a.position(rows + r, j) {
                        Some(k) => idx.push(k),
                        None => found = false,
                    },
                    |_, _| {},
                );
                block += 1;
            },
        );
        found.then_some(Positions { first, idx })
    }

    /// The lifted values of a pass: weights per layer, activations and pre-activations per
    /// hidden layer, the output.
    fn lifted_values(&self, program: &[f64]) -> (Params, DMatrix<f64>) {
        let prog = &self.base.program;
        let get = |v: VarId| {
            let b = &prog.vars[v.0];
            DMatrix::from_column_slice(b.rows, b.cols, &program[b.offset..b.offset + b.len()])
        };
        let params = Params {
            w0: self.lifted.w.iter().map(|&v| get(v)).collect(),
            a0: self.lifted.a.iter().map(|&v| get(v)).collect(),
            z0: self.lifted.z[..self.lifted.a.len()]
                .iter()
                .map(|&v| get(v))
                .collect(),
        };
        let out = get(*self.lifted.z.last().expect("a layer"));
        (params, out)
    }

    /// Largest violations `(complementarity, product)` and `Σ ‖M‖_*` at lifted values `p`
    /// and separate biases `b` (per layer), for the parameters of the pass.
    fn violations(
        &self,
        program: &[f64],
        now: &Params,
        b: &[Option<DMatrix<f64>>],
        z: &[DMatrix<f64>],
    ) -> (f64, f64, f64) {
        let pars = &self.params;
        let mut comp: f64 = 0.0;
        let mut nuclear = 0.0;
        for h in 0..now.a0.len() {
            let (a, zz) = (&now.a0[h], &now.z0[h]);
            let (a0, z0) = (&pars.a0[h], &pars.z0[h]);
            for (idx, (&av, &zv)) in a.iter().zip(zz.iter()).enumerate() {
                comp = comp.max((av * (av - zv)).abs());
                let (pa, q0) = (a0[idx], a0[idx] - z0[idx]);
                let q = av - zv - q0;
                let r = av - pa;
                let s = -av * q0 - pa * (av - zv) + pa * q0;
                nuclear += blocks::nuclear_2x2(q, r, s);
            }
        }
        let mut prod: f64 = 0.0;
        for (l, p) in self.lifted.products.iter().enumerate() {
            let layer = l + 1;
            let (w, a_in) = (&now.w0[layer], &now.a0[layer - 1]);
            let (w0, a0) = (&pars.w0[layer], &pars.a0[layer - 1]);
            let wk = w.columns(0, p.inputs);
            let mut c = a_in * wk.transpose();
            for i in 0..p.outputs {
                let mut add = 0.0;
                if let Some(bv) = &b[layer] {
                    add += bv[i];
                }
                if p.bias_column {
                    add += w[(i, p.inputs)];
                }
                for j in 0..c.nrows() {
                    c[(j, i)] += add;
                }
            }
            // The lifted C of the program: Z − 1bᵀ (matrix form) or the products T.
            let lifted_c = &z[layer] - (&c - a_in * wk.transpose());
            prod = prod.max((c - &z[layer]).amax());
            nuclear += match self.options.form {
                Form::Elementwise => {
                    let tb = &self.base.program.vars[p.t.expect("element-wise").0];
                    let t = &program[tb.offset..tb.offset + tb.len()];
                    let mut sum = 0.0;
                    for i in 0..p.outputs {
                        for k in 0..p.inputs {
                            for j in 0..a_in.nrows() {
                                let (av, wv) = (a_in[(j, k)], w[(i, k)]);
                                let (qa, pw) = (a0[(j, k)], w0[(i, k)]);
                                let tv = t[j + (i * p.inputs + k) * tb.rows];
                                let s = tv - wv * qa - pw * av + pw * qa;
                                sum += blocks::nuclear_2x2(av - qa, wv - pw, s);
                            }
                        }
                    }
                    sum
                }
                Form::Matrix => {
                    let (m, o, n) = (p.inputs, p.outputs, a_in.nrows());
                    let mut mm = DMatrix::zeros(m + n, m + o);
                    for k in 0..m {
                        mm[(k, k)] = 1.0;
                        for i in 0..o {
                            mm[(k, m + i)] = w[(i, k)] - w0[(i, k)];
                        }
                        for j in 0..n {
                            mm[(m + j, k)] = a_in[(j, k)] - a0[(j, k)];
                        }
                    }
                    let pq0 = a_in * w0.columns(0, m).transpose();
                    let p0q = a0 * wk.transpose();
                    let p0q0 = a0 * w0.columns(0, m).transpose();
                    let cm = lifted_c;
                    for j in 0..n {
                        for i in 0..o {
                            mm[(m + j, m + i)] =
                                cm[(j, i)] - pq0[(j, i)] - p0q[(j, i)] + p0q0[(j, i)];
                        }
                    }
                    blocks::nuclear(mm)
                }
            };
        }
        (comp, prod, nuclear)
    }
}

/// The substitution of the network's output by the lifted `Zᴸ`, creating the lifted blocks
/// and their parameter-free constraints on first use.
struct Hook<'a> {
    form: &'a Complementarity,
    data: model::DataId,
    options: &'a Options,
    x: &'a DMatrix<f64>,
    lifted: Option<Lifted>,
    span: Option<Span>,
}

impl Hook<'_> {
    fn ensure(&mut self, cx: &mut Context<'_>) -> VarId {
        if let Some(l) = &self.lifted {
            return *l.z.last().expect("a layer");
        }
        let n = self.form.samples;
        let layers = &self.form.layers;
        let w: Vec<VarId> = layers.iter().map(|l| cx.var(l.weight)).collect();
        let b: Vec<Option<VarId>> = layers
            .iter()
            .map(|l| l.bias_var.map(|v| cx.var(v)))
            .collect();
        let mut z = Vec::new();
        let mut a = Vec::new();
        let mut e_relu = Vec::new();
        let mut products = Vec::new();
        for (i, l) in layers.iter().enumerate() {
            let k = i + 1;
            z.push(cx.prog.add_var(VarSpec::new(format!("Z{k}"), n, l.outputs)));
            if l.relu {
                a.push(
                    cx.prog
                        .add_var(VarSpec::new(format!("A{k}"), n, l.outputs).lower(0.0)),
                );
                e_relu.push(
                    cx.prog
                        .add_var(VarSpec::new(format!("e_relu{k}"), n, l.outputs)),
                );
            }
            if i > 0 {
                let (t, e) = match self.options.form {
                    Form::Elementwise => {
                        let cols = l.outputs * l.inputs;
                        (
                            Some(cx.prog.add_var(VarSpec::new(format!("T{k}"), n, cols))),
                            Some(cx.prog.add_var(VarSpec::new(format!("e_prod{k}"), n, cols))),
                        )
                    }
                    Form::Matrix => (None, None),
                };
                products.push(Product {
                    inputs: l.inputs,
                    outputs: l.outputs,
                    bias_column: l.bias == BiasMode::Column,
                    t,
                    e,
                });
            }
        }
        let lifted = Lifted {
            w,
            b,
            z,
            a,
            e_relu,
            products,
        };
        self.fixed_constraints(cx, &lifted);
        let out = *lifted.z.last().expect("a layer");
        self.lifted = Some(lifted);
        out
    }

    /// Layer 1's affine equation, `A ≥ Z` per hidden layer, and the element-wise sums.
    fn fixed_constraints(&self, cx: &mut Context<'_>, lf: &Lifted) {
        let n = self.form.samples;
        let prog = &cx.prog;
        let col = |v: VarId, r: usize, c: usize| blocks::col(prog, v, r, c);
        let mut cons = Vec::new();
        let l1 = &self.form.layers[0];
        cons.push(crate::lower::network::first_layer(
            prog,
            self.x,
            (lf.z[0], lf.w[0], lf.b[0]),
            (l1.inputs, l1.outputs, l1.bias),
        ));
        for (h, &a) in lf.a.iter().enumerate() {
            cons.push(
                Constraint::ge(prog.var_expr(a), prog.var_expr(lf.z[h]))
                    .with_label(format!("layer {}: A{0} >= Z{0}", h + 1)),
            );
        }
        for (p, prod) in lf.products.iter().enumerate() {
            let layer = p + 1;
            let Some(t) = prod.t else { continue };
            let sum = Affine::from_fn(n, prod.outputs, |e, terms| {
                let (j, i) = (e % n, e / n);
                for k in 0..prod.inputs {
                    terms.push(col(t, j, i * prod.inputs + k), 1.0);
                }
                if let Some(b) = lf.b[layer] {
                    terms.push(col(b, i, 0), 1.0);
                }
                if prod.bias_column {
                    terms.push(col(lf.w[layer], i, prod.inputs), 1.0);
                }
                terms.push(col(lf.z[layer], j, i), -1.0);
                0.0
            });
            cons.push(
                Constraint::eq(sum.into(), zeros(n, prod.outputs))
                    .with_label(format!("layer {}: sum_k T_jik + b_i = Z_ji", layer + 1)),
            );
        }
        for c in cons {
            let c = c.with_stage(STAGE);
            cx.prog.constrain(match self.span {
                Some(s) => c.with_span(s),
                None => c,
            });
        }
    }
}

fn zeros(rows: usize, cols: usize) -> Expr {
    Affine::constant(rows, cols, vec![0.0; rows * cols])
        .expect("sizes match")
        .into()
}

impl from_model::Lowering for Hook<'_> {
    fn substitute(
        &mut self,
        e: &model::Expr,
        cx: &mut Context<'_>,
    ) -> Option<Result<Expr, Vec<Diagnostic>>> {
        match &e.kind {
            ExprKind::NetOut(n, arg) if *n == self.form.net => {
                if let Some(d) =
                    crate::lower::network::other_inputs(arg, self.data, "E1302", "rank lifting")
                {
                    return Some(Err(d));
                }
                let z = self.ensure(cx);
                Some(Ok(cx.prog.var_expr(z).with_span(e.span)))
            }
            ExprKind::Weights(n) if *n == self.form.net => {
                Some(Ok(crate::lower::network::stacked_weights(
                    cx,
                    self.form.layers.iter().map(|l| l.weight),
                )
                .with_span(e.span)))
            }
            _ => None,
        }
    }
}

impl Lowering for RankLifting {
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
        Some(self.form.net)
    }

    fn translation(&self) -> &Translation {
        self.translation.get_or_init(|| self.build_translation())
    }

    fn update_conic(&self, problem: &mut ConicProblem) -> bool {
        if self.options.form != Form::Elementwise {
            return false;
        }
        let Some(pos) = self.positions.get_or_init(|| self.positions_in(problem)) else {
            return false;
        };
        let (nz, b) = (&mut problem.a.nzval, &mut problem.b);
        // Every entry to 0, then the new numbers: entries merged in assembly are summed again.
        for &k in &pos.idx {
            nz[k] = 0.0;
        }
        let (mut t, mut block) = (0, 0);
        blocks::each_block(
            &self.base.program,
            &self.lifted,
            &self.params,
            self.options.form,
            |blk, _| {
                let rows = pos.first + 6 * block;
                // A conic row is `s = b − A x`: A holds the negated coefficients, b the constant.
                blk.rows(
                    |_, _, a| {
                        nz[pos.idx[t]] -= a;
                        t += 1;
                    },
                    |r, c| b[rows + r] = c,
                );
                block += 1;
            },
        );
        true
    }

    fn recover(
        &self,
        model: &Model,
        map: &ColumnMap,
        x: &[f64],
    ) -> Result<Recovered, Vec<Diagnostic>> {
        super::recover_values(model, &self.base, map, x, true)
    }

    fn measure(&self, _: Option<f64>, r: &Recovered) -> Result<Option<Measure>, Vec<Diagnostic>> {
        let (now, out) = self.lifted_values(&r.program);
        let prog = &self.base.program;
        let biases: Vec<Option<DMatrix<f64>>> = self
            .lifted
            .b
            .iter()
            .map(|b| {
                b.map(|v| {
                    let blk = &prog.vars[v.0];
                    DMatrix::from_column_slice(
                        blk.len(),
                        1,
                        &r.program[blk.offset..blk.offset + blk.len()],
                    )
                })
            })
            .collect();
        let zs: Vec<DMatrix<f64>> = self
            .lifted
            .z
            .iter()
            .map(|&v| {
                let blk = &prog.vars[v.0];
                DMatrix::from_column_slice(
                    blk.rows,
                    blk.cols,
                    &r.program[blk.offset..blk.offset + blk.len()],
                )
            })
            .collect();
        let (comp, prod, nuclear) = self.violations(&r.program, &now, &biases, &zs);
        let net = DenseNet::from_model(&r.model, self.form.net, &r.values)
            .map_err(|e| vec![e.to_diagnostic()])?;
        let f = net.forward(&self.x).map_err(|e| vec![e.to_diagnostic()])?;
        let scale = out.norm();
        let fit = (f - &out).norm() / if scale > 0.0 { scale } else { 1.0 };
        Ok(Some(Measure {
            name: "bilinear violation",
            value: comp.max(prod),
            violation: true,
            details: vec![
                ("nuclear_norms".into(), nuclear),
                ("complementarity".into(), comp),
                ("product".into(), prod),
            ],
            plotted: vec!["complementarity", "product"],
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
        let v = m.map_or(f64::INFINITY, |m| m.value);
        if v < self.options.tolerance {
            return Ok(Next::Stop("tolerance"));
        }
        if self.passes >= self.options.iterations {
            return Ok(Next::Stop("iteration limit"));
        }
        if v < 0.99 * self.best {
            self.best = v;
            self.since_best = 0;
        } else {
            self.since_best += 1;
            if self.options.stall > 0 && self.since_best >= self.options.stall {
                return Ok(Next::Stop("stall"));
            }
        }
        let (now, _) = self.lifted_values(&r.program);
        if let (Some(eps), Some(a), Some(b)) =
            (self.options.epsilon, self.last_objective, objective)
        {
            if (a - b).abs() <= eps * b.abs().max(1.0) {
                return Ok(Next::Stop("objective improvement below epsilon"));
            }
        }
        self.last_objective = objective;
        self.params = now;
        self.translation = OnceCell::new();
        Ok(Next::Again)
    }

    fn report_block(&self, _: &Recovered) -> Vec<String> {
        let (relu, _, scalars) = self.form.counts();
        let blocks = match self.options.form {
            Form::Elementwise => format!(
                "{relu} complementarity and {scalars} product blocks, 2×2, two soc(3) each"
            ),
            Form::Matrix => format!(
                "{relu} complementarity blocks (2×2, two soc(3) each), {} layer-product block{} (PSD)",
                self.lifted.products.len(),
                if self.lifted.products.len() == 1 { "" } else { "s" }
            ),
        };
        vec![
            format!(
                "lifting    {} form: {blocks}; lambda {}",
                self.options.form.name(),
                self.options.lambda
            ),
            format!("start      {}", self.start_note),
        ]
    }

    fn stage_text(&self, model: &Model) -> String {
        let mut s = String::new();
        let o = &self.options;
        let _ = writeln!(
            s,
            "{STAGE}  {} form, lambda {}, start {}",
            o.form.name(),
            o.lambda,
            self.start_note
        );
        let _ = writeln!(
            s,
            "  stop      violation < {:e}, {} iterations{}{}",
            o.tolerance,
            o.iterations,
            if o.stall > 0 {
                format!(", stall {}", o.stall)
            } else {
                String::new()
            },
            o.epsilon
                .map_or(String::new(), |e| format!(", epsilon {e:e}"))
        );
        let n = self.form.samples;
        for (i, l) in self.form.layers.iter().enumerate() {
            if l.relu {
                let _ = writeln!(
                    s,
                    "  layer {}   complementarity: {} blocks [[1, q - q0], [p - p0, -p q0 - p0 q + p0 q0]], p = a, q = a - z; 2 soc(3) each",
                    i + 1,
                    n * l.outputs
                );
            }
            if i > 0 {
                match o.form {
                    Form::Elementwise => {
                        let _ = writeln!(
                            s,
                            "  layer {}   products: {} blocks, p = w_ik, q = a_jk, C = T_jik; sum_k T_jik + b_i = Z_ji; 2 soc(3) each",
                            i + 1,
                            n * l.outputs * l.inputs
                        );
                    }
                    Form::Matrix => {
                        let (r, c) = (l.inputs + n, l.inputs + l.outputs);
                        let _ = writeln!(
                            s,
                            "  layer {}   products: one {r}x{c} block, P = A{i}, Q = W{}ᵀ, C = Z{} - 1 bᵀ; psd({})",
                            i + 1,
                            i + 1,
                            i + 1,
                            r + c
                        );
                    }
                }
            }
        }
        let (relu, _, scalars) = self.form.counts();
        let (socs, psd) = match o.form {
            Form::Elementwise => (2 * (relu + scalars), 0),
            Form::Matrix => (2 * relu, self.lifted.products.len()),
        };
        let blocks = match o.form {
            Form::Elementwise => relu + scalars,
            Form::Matrix => relu + self.lifted.products.len(),
        };
        let _ = writeln!(s, "  cones     {socs} soc(3), {psd} psd");
        let _ = writeln!(
            s,
            "  objective lambda * sum of {blocks} nuclear norms{}; each norm >= the size of its identity block, with equality at an exact solution whose parameters are the solution",
            if model.objective.is_some() { " + the model's objective" } else { "" }
        );
        s
    }

    fn stage_json(&self, model: &Model) -> serde_json::Value {
        let (relu, _, scalars) = self.form.counts();
        let o = &self.options;
        serde_json::json!({
            "lowering": STAGE,
            "form": o.form.name(),
            "lambda": o.lambda,
            "start": self.start_note,
            "iterations": o.iterations,
            "tolerance": o.tolerance,
            "complementarity_blocks": relu,
            "product_blocks": match o.form { Form::Elementwise => scalars, Form::Matrix => self.lifted.products.len() },
            "soc_cones": match o.form { Form::Elementwise => 2 * (relu + scalars), Form::Matrix => 2 * relu },
            "psd_cones": match o.form { Form::Elementwise => 0, Form::Matrix => self.lifted.products.len() },
            "complementarity": self.form.json(model),
        })
    }

    fn sub_stages(&self, model: &Model) -> Vec<super::Stage> {
        vec![super::Stage {
            name: super::complementarity::STAGE,
            text: self.form.text(model),
            json: self.form.json(model),
        }]
    }
}
