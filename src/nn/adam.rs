//! The gradient baseline: Adam on the model's own (non-convex) objective.
//!
//! Full-batch Adam (Kingma & Ba) over every decision variable, network weights and user
//! variables alike: with `g_t = ∇f(x_{t−1})`, `m_t = β₁ m_{t−1} + (1 − β₁) g_t`,
//! `v_t = β₂ v_{t−1} + (1 − β₂) g_t²`, `x_t = Π_box(x_{t−1} − lr · m̂_t / (√v̂_t + ε))` with the
//! bias corrections `m̂_t = m_t / (1 − β₁ᵗ)`, `v̂_t = v_t / (1 − β₂ᵗ)`, β₁ = 0.9, β₂ = 0.999,
//! ε = 1e-8, and `Π_box` the projection onto the variables' bounds. Weights start at
//! `N(0, 2 / fan_in)` (He) for ReLU-type layers and `N(0, 1 / fan_in)` (LeCun/Xavier) for the
//! others, separate biases and user variables at 0 (then projected onto their bounds). Each
//! restart draws its start from its own ChaCha8 stream of the seed, so runs are reproducible.
//! Hard constraints are not enforced: their slacks at the returned point are reported as they
//! are, and a negative one is a violation.

use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

use crate::model::{LayerParam, Method, Model, OptionValue};

use super::eval::{minimized_objective_and_gradient, objective, slacks, Slack};
use super::{EvalError, Values};

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPSILON: f64 = 1e-8;

/// Options of `method adam`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdamOptions {
    /// Learning rate (step size).
    pub lr: f64,
    /// Full-batch steps per restart.
    pub epochs: usize,
    /// Random starts (at least one is run).
    pub restarts: usize,
    /// Wall-clock seconds for all restarts: a restart begins only while the time so far plus
    /// the mean time of a restart fits, and then `restarts` is no longer a limit (`None`: the
    /// restarts run whatever their time).
    pub time_limit: Option<f64>,
    /// Seed of the random starts.
    pub seed: u64,
    /// Where the first restart starts instead of a random point (a warm start: the flat
    /// values of a network trained before, such as the previous value of a `cnnc tune`
    /// sweep); ignored when its length is not the model's.
    #[serde(skip)]
    pub start: Option<Vec<f64>>,
}

impl Default for AdamOptions {
    /// The defaults of `method adam`: lr 1e-2, 5000 epochs, 10 restarts, seed 0.
    fn default() -> AdamOptions {
        AdamOptions {
            lr: 1e-2,
            epochs: 5000,
            restarts: 10,
            time_limit: None,
            seed: 0,
            start: None,
        }
    }
}

impl AdamOptions {
    /// The options of a checked `method adam` declaration (defaults for any that are absent).
    pub fn from_method(method: &Method) -> AdamOptions {
        let d = AdamOptions::default();
        let num = |name: &str| match method.get(name) {
            Some(OptionValue::Number(x)) => Some(*x),
            _ => None,
        };
        AdamOptions {
            lr: num("lr").unwrap_or(d.lr),
            epochs: num("epochs").map_or(d.epochs, |x| x.max(0.0) as usize),
            restarts: num("restarts").map_or(d.restarts, |x| x.max(0.0) as usize),
            time_limit: num("time_limit"),
            seed: num("seed").map_or(d.seed, |x| x.max(0.0) as u64),
            start: None,
        }
    }
}

/// What one restart did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Restart {
    /// The objective (as minimized: negated for `maximize`) at the random start.
    pub initial: f64,
    /// At the last step.
    pub last: f64,
    /// The best over all steps.
    pub best: f64,
    /// Steps taken (fewer than `epochs` when the objective became NaN or infinite).
    pub steps: usize,
}

/// The result of Adam training.
#[derive(Clone, Debug)]
pub struct AdamResult {
    /// The best point found (over all restarts and steps).
    pub values: Values,
    /// The objective at that point, as written (not negated for `maximize`).
    pub objective: f64,
    /// Which restart found it.
    pub best_restart: usize,
    /// Every restart, in order.
    pub restarts: Vec<Restart>,
    /// Slack of every constraint at that point (Adam does not enforce them: negative slacks
    /// are violations).
    pub slacks: Vec<Slack>,
    /// Wall-clock time of the training.
    pub elapsed: Duration,
}

/// Trains all variables of `model` on its objective with Adam.
pub fn train(model: &Model, opts: &AdamOptions) -> Result<AdamResult, EvalError> {
    let start = Instant::now();
    if model.objective.is_none() {
        return Err(EvalError::NoObjective);
    }
    let (lower, upper) = bounds(model);
    let mut restarts = Vec::new();
    let mut best: Option<(f64, Vec<f64>, usize)> = None;
    let mut r = 0;
    while another_restart(opts, r, start.elapsed().as_secs_f64()) {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        rng.set_stream(r as u64);
        let mut x = initial_point(model, &mut rng).to_flat();
        if let Some(start) = opts.start.as_ref().filter(|s| r == 0 && s.len() == x.len()) {
            x.clone_from(start);
        }
        project(&mut x, &lower, &upper);
        let (restart, point) = run(model, opts, x, (&lower, &upper), r)?;
        if best
            .as_ref()
            .is_none_or(|(b, ..)| restart.best < *b || b.is_nan())
        {
            best = Some((restart.best, point, r));
        }
        restarts.push(restart);
        r += 1;
    }
    let Some((_, point, best_restart)) = best else {
        return Err(EvalError::NoObjective);
    };
    let values = Values::from_flat(model, &point)?;
    let objective = objective(model, &values)?;
    let slacks = slacks(model, &values)?;
    Ok(AdamResult {
        values,
        objective,
        best_restart,
        restarts,
        slacks,
        elapsed: start.elapsed(),
    })
}

/// Whether restart `r` (from 0) begins, `elapsed` seconds after the first did: the first
/// always does; within a time limit, while `elapsed` plus the mean time of the restarts run so
/// far fits in it; otherwise while `r < restarts`.
pub(super) fn another_restart(opts: &AdamOptions, r: usize, elapsed: f64) -> bool {
    match opts.time_limit {
        _ if r == 0 => true,
        Some(limit) => elapsed + elapsed / r as f64 <= limit,
        None => r < opts.restarts,
    }
}

/// One restart from `x`: the restart's summary and its best point.
fn run(
    model: &Model,
    opts: &AdamOptions,
    mut x: Vec<f64>,
    (lower, upper): (&[f64], &[f64]),
    restart: usize,
) -> Result<(Restart, Vec<f64>), EvalError> {
    let n = x.len();
    let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
    let mut best = (f64::INFINITY, x.clone());
    let mut initial = f64::NAN;
    let mut last = f64::NAN;
    let mut steps = 0;
    for t in 0..=opts.epochs {
        let (f, grad) = minimized_objective_and_gradient(model, &Values::from_flat(model, &x)?)?;
        if t == 0 {
            initial = f;
        }
        if t % 100 == 0 {
            crate::progress::status(|| {
                let of = match opts.time_limit {
                    Some(limit) => format!("within {limit:.0} s"),
                    None => opts.restarts.max(1).to_string(),
                };
                format!(
                    "adam restart {}/{of}  epoch {t}/{}  objective {f:.6e}",
                    restart + 1,
                    opts.epochs
                )
            });
        }
        last = f;
        let g = grad.to_flat();
        if !f.is_finite() || g.iter().any(|gi| !gi.is_finite()) {
            break;
        }
        if f < best.0 {
            best = (f, x.clone());
        }
        if t == opts.epochs {
            break;
        }
        steps += 1;
        let k = (t + 1) as i32;
        let (c1, c2) = (1.0 - BETA1.powi(k), 1.0 - BETA2.powi(k));
        for i in 0..n {
            m[i] = BETA1 * m[i] + (1.0 - BETA1) * g[i];
            v[i] = BETA2 * v[i] + (1.0 - BETA2) * g[i] * g[i];
            x[i] -= opts.lr * (m[i] / c1) / ((v[i] / c2).sqrt() + EPSILON);
        }
        project(&mut x, lower, upper);
    }
    if !best.0.is_finite() {
        best.0 = last;
    }
    Ok((
        Restart {
            initial,
            last,
            best: best.0,
            steps,
        },
        best.1,
    ))
}

/// A random start: weights from He or LeCun normals, everything else 0.
pub fn initial_point(model: &Model, rng: &mut ChaCha8Rng) -> Values {
    let mut values = Values::zeros(model);
    for net in &model.networks {
        for layer in &net.layers {
            let LayerParam::Var(w) = &layer.weight else {
                continue;
            };
            let relu_like = matches!(layer.activation.name.as_str(), "relu" | "leaky_relu");
            let fan_in = model.vars[w.0].shape.cols().max(1) as f64;
            let std = if relu_like {
                (2.0 / fan_in).sqrt()
            } else {
                (1.0 / fan_in).sqrt()
            };
            let target = values.get_mut(*w);
            for entry in target.iter_mut() {
                let z: f64 = rng.sample(StandardNormal);
                *entry = std * z;
            }
        }
    }
    values
}

/// Element-wise lower and upper bounds in the flat layout (±∞ where unbounded).
fn bounds(model: &Model) -> (Vec<f64>, Vec<f64>) {
    let mut lower = Vec::new();
    let mut upper = Vec::new();
    for v in &model.vars {
        let n = v.shape.len();
        lower.extend(std::iter::repeat_n(v.lower.unwrap_or(f64::NEG_INFINITY), n));
        upper.extend(std::iter::repeat_n(v.upper.unwrap_or(f64::INFINITY), n));
    }
    (lower, upper)
}

fn project(x: &mut [f64], lower: &[f64], upper: &[f64]) {
    for ((xi, lo), hi) in x.iter_mut().zip(lower).zip(upper) {
        *xi = xi.max(*lo).min(*hi);
    }
}
