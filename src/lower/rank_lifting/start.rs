//! The start of the sequence: weights (zeros, N(0, 1) draws or a weights file, plus optional
//! Gaussian noise), and the parameters `P₀, Q₀` they give through a forward pass.

use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::{Options, Params, Start};
use crate::diag::Diagnostic;
use crate::lower::complementarity::Complementarity;
use crate::lower::start;
use crate::model::{Method, Model};
use crate::nn::network::DenseNet;
use crate::nn::Values;

/// The start weights of every network parameter (other variables 0), and a note saying what
/// they are.
pub(super) fn values(
    model: &Model,
    form: &Complementarity,
    o: &Options,
    method: &Method,
) -> Result<(Values, String), Vec<Diagnostic>> {
    let mut values = Values::zeros(model);
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
    let mut note = match &o.start {
        Start::Zeros => "zeros".to_string(),
        Start::Random => {
            for l in &form.layers {
                for v in std::iter::once(l.weight).chain(l.bias_var) {
                    for x in values.get_mut(v).iter_mut() {
                        *x = rng.sample(StandardNormal);
                    }
                }
            }
            format!("random N(0, 1), seed {}", o.seed)
        }
        Start::File(path) => {
            let layers: Vec<start::Params> = form
                .layers
                .iter()
                .map(|l| start::Params {
                    weight: l.weight,
                    bias_var: l.bias_var,
                    bias: l.bias,
                })
                .collect();
            start::read_file(&mut values, path, &layers, method, "E1303")?;
            format!("the weights in {path}")
        }
    };
    if o.perturb > 0.0 {
        // The noise comes after the random draws of the same seed.
        for l in &form.layers {
            for v in std::iter::once(l.weight).chain(l.bias_var) {
                for x in values.get_mut(v).iter_mut() {
                    let z: f64 = rng.sample(StandardNormal);
                    *x += o.perturb * z;
                }
            }
        }
        note.push_str(&format!(
            ", plus N(0, {}²) noise (seed {})",
            o.perturb, o.seed
        ));
    }
    Ok((values, note))
}

/// `P₀, Q₀` from a forward pass of the start weights on the training features.
pub(super) fn params(
    model: &Model,
    form: &Complementarity,
    x: &DMatrix<f64>,
    values: &Values,
) -> Result<Params, Vec<Diagnostic>> {
    let net = DenseNet::from_model(model, form.net, values).map_err(|e| vec![e.to_diagnostic()])?;
    let trace = net.forward_trace(x).map_err(|e| vec![e.to_diagnostic()])?;
    let hidden = form.layers.len() - 1;
    Ok(Params {
        w0: form
            .layers
            .iter()
            .map(|l| values.get(l.weight).clone())
            .collect(),
        a0: trace.pre[..hidden]
            .iter()
            .map(|z| z.map(|v| v.max(0.0)))
            .collect(),
        z0: trace.pre[..hidden].to_vec(),
    })
}
