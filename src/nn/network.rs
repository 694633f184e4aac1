//! A numeric dense network: forward pass over a batch and backpropagation.
//!
//! Rows are samples. Layer `l` maps its input `A` (n×d) to `h(Z)` with
//! `Z = [A, 1] Wᵀ` when the bias is a column of `W` (`bias = column`), `Z = A Wᵀ + 1 bᵀ` with a
//! separate bias, `Z = A Wᵀ` without one. A network loaded from a weights file first standardizes
//! its input, `(x − mean) / std` column by column. Backpropagation of an upstream gradient `G`
//! of the output: `G_Z = G_A ∘ h'(Z)`, `∂W = G_Zᵀ [A, 1]`, `∂b = G_Zᵀ 1`, `G_A ← G_Z W` (bias
//! column dropped).

use nalgebra::{DMatrix, DVector};

use crate::model::{BiasMode, LayerParam, Model, NetId, Standardization};

use super::activation::ActivationFn;
use super::values::{row_major, Values};
use super::EvalError;

/// One dense layer with numeric parameters.
#[derive(Clone, Debug)]
pub struct DenseLayer {
    /// Weights, `outputs × (inputs + 1)` with a bias column (the last column), else
    /// `outputs × inputs`.
    pub weight: DMatrix<f64>,
    /// A separate bias vector.
    pub bias: Option<DVector<f64>>,
    /// The bias is the last column of `weight` (a ones column is appended to the input).
    pub bias_column: bool,
    /// The activation.
    pub activation: ActivationFn,
}

impl DenseLayer {
    /// Input width (without the bias column).
    pub fn inputs(&self) -> usize {
        self.weight.ncols() - usize::from(self.bias_column)
    }

    /// Output width.
    pub fn outputs(&self) -> usize {
        self.weight.nrows()
    }

    /// How the bias is added, in the model's terms.
    pub fn bias_mode(&self) -> BiasMode {
        if self.bias_column {
            BiasMode::Column
        } else if self.bias.is_some() {
            BiasMode::Separate
        } else {
            BiasMode::None
        }
    }
}

/// A dense network with numeric parameters.
#[derive(Clone, Debug)]
pub struct DenseNet {
    /// Input width.
    pub inputs: usize,
    /// Layers, input to output.
    pub layers: Vec<DenseLayer>,
    /// Standardization applied to inputs before the first layer.
    pub standardization: Option<Standardization>,
}

/// The intermediate values of a forward pass, kept for backpropagation.
#[derive(Clone, Debug)]
pub struct Trace {
    /// The input of each layer (with the ones column for a bias column).
    pub inputs: Vec<DMatrix<f64>>,
    /// The pre-activations `Z` of each layer.
    pub pre: Vec<DMatrix<f64>>,
    /// The network's output, n×k.
    pub output: DMatrix<f64>,
}

/// The gradient of a function of the output with respect to one layer's parameters.
#[derive(Clone, Debug)]
pub struct LayerGrad {
    /// With respect to the weights (same shape as [`DenseLayer::weight`]).
    pub weight: DMatrix<f64>,
    /// With respect to the separate bias, if the layer has one.
    pub bias: Option<DVector<f64>>,
}

impl DenseNet {
    /// The network `net` of `model` with its trainable parameters taken from `values`.
    pub fn from_model(model: &Model, net: NetId, values: &Values) -> Result<DenseNet, EvalError> {
        let network = &model.networks[net.0];
        let mut layers = Vec::with_capacity(network.layers.len());
        for (l, layer) in network.layers.iter().enumerate() {
            let bias_column = layer.bias == BiasMode::Column;
            let cols = layer.inputs + usize::from(bias_column);
            let what = || format!("{} layer {}", network.name, l + 1);
            let weight = param(&layer.weight, values, layer.outputs, cols, &what)?;
            let bias = match (layer.bias, &layer.bias_param) {
                (BiasMode::Separate, Some(p)) => {
                    let b = param(p, values, layer.outputs, 1, &what)?;
                    Some(DVector::from_column_slice(b.as_slice()))
                }
                _ => None,
            };
            layers.push(DenseLayer {
                weight,
                bias,
                bias_column,
                activation: ActivationFn::from_model(&layer.activation),
            });
        }
        Ok(DenseNet {
            inputs: network.inputs,
            layers,
            standardization: network.standardization.clone(),
        })
    }

    /// Output width.
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(self.inputs, DenseLayer::outputs)
    }

    /// The outputs (n×k) for inputs `x` (n×d, rows are samples).
    pub fn forward(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>, EvalError> {
        let mut a = self.standardized(x)?;
        for layer in &self.layers {
            let input = if layer.bias_column { with_ones(&a) } else { a };
            let mut z = pre_activation(layer, &input);
            if !layer.activation.is_identity() {
                z.apply(|v| *v = layer.activation.eval(*v));
            }
            a = z;
        }
        Ok(a)
    }

    /// The forward pass keeping what backpropagation needs.
    pub fn forward_trace(&self, x: &DMatrix<f64>) -> Result<Trace, EvalError> {
        let mut a = self.standardized(x)?;
        let mut inputs = Vec::with_capacity(self.layers.len());
        let mut pre = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let input = if layer.bias_column { with_ones(&a) } else { a };
            let z = pre_activation(layer, &input);
            a = if layer.activation.is_identity() {
                z.clone()
            } else {
                z.map(|v| layer.activation.eval(v))
            };
            inputs.push(input);
            pre.push(z);
        }
        Ok(Trace {
            inputs,
            pre,
            output: a,
        })
    }

    /// The gradient with respect to every layer's parameters of a function whose gradient with
    /// respect to the output (n×k) is `grad_output`.
    pub fn backward(&self, trace: &Trace, grad_output: &DMatrix<f64>) -> Vec<LayerGrad> {
        let mut grads: Vec<LayerGrad> = Vec::with_capacity(self.layers.len());
        let mut g = grad_output.clone();
        for (l, layer) in self.layers.iter().enumerate().rev() {
            if !layer.activation.is_identity() {
                g.zip_apply(&trace.pre[l], |gv, z| *gv *= layer.activation.derivative(z));
            }
            let weight = g.transpose() * &trace.inputs[l];
            let bias = layer.bias.as_ref().map(|_| row_sums(&g));
            if l > 0 {
                let w = layer.weight.columns(0, layer.inputs());
                g = &g * w;
            }
            grads.push(LayerGrad { weight, bias });
        }
        grads.reverse();
        grads
    }

    fn standardized(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>, EvalError> {
        if x.ncols() != self.inputs {
            return Err(EvalError::NetInput {
                want: self.inputs,
                got: x.ncols(),
            });
        }
        let Some(s) = &self.standardization else {
            return Ok(x.clone());
        };
        if s.mean.len() != self.inputs || s.std.len() != self.inputs {
            return Err(EvalError::Standardization {
                want: self.inputs,
                got: s.mean.len().min(s.std.len()),
            });
        }
        let mut out = x.clone();
        for (j, mut col) in out.column_iter_mut().enumerate() {
            let sd = if s.std[j] == 0.0 { 1.0 } else { s.std[j] };
            col.apply(|v| *v = (*v - s.mean[j]) / sd);
        }
        Ok(out)
    }
}

/// `Z = A Wᵀ (+ 1 bᵀ)`.
fn pre_activation(layer: &DenseLayer, input: &DMatrix<f64>) -> DMatrix<f64> {
    let mut z = input * layer.weight.transpose();
    if let Some(b) = &layer.bias {
        for (j, mut col) in z.column_iter_mut().enumerate() {
            col.add_scalar_mut(b[j]);
        }
    }
    z
}

/// `[A, 1]`.
fn with_ones(a: &DMatrix<f64>) -> DMatrix<f64> {
    let n = a.ncols();
    a.clone().insert_column(n, 1.0)
}

/// Column sums of `g` as a vector (one entry per column).
fn row_sums(g: &DMatrix<f64>) -> DVector<f64> {
    DVector::from_iterator(g.ncols(), g.column_iter().map(|c| c.sum()))
}

/// A layer parameter as a `rows × cols` matrix: a variable's value (taken row by row if the
/// variable is stored in another shape) or fixed weights.
fn param(
    p: &LayerParam,
    values: &Values,
    rows: usize,
    cols: usize,
    what: &dyn Fn() -> String,
) -> Result<DMatrix<f64>, EvalError> {
    let m = match p {
        LayerParam::Var(v) => values.get(*v),
        LayerParam::Fixed(m) => m,
    };
    if m.shape() == (rows, cols) {
        return Ok(m.clone());
    }
    if m.len() != rows * cols {
        return Err(EvalError::LayerShape {
            layer: what(),
            want: (rows, cols),
            got: m.shape(),
        });
    }
    let flat: Vec<f64> = row_major(m).collect();
    Ok(DMatrix::from_row_slice(rows, cols, &flat))
}
