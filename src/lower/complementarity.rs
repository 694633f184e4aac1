//! ReLU complementarity (Fischetti & Jo 2018): a ReLU network written as equations that hold
//! exactly, with the non-convexity isolated in bilinear equalities.
//!
//! ```text
//! Z¹ = X W¹ᵀ + 1 b¹ᵀ                                   (affine: the data are known)
//! Aˡ ≥ 0,  Aˡ ≥ Zˡ,  Aˡ ∘ (Aˡ − Zˡ) = 0                   (Aˡ = relu(Zˡ), hidden layers)
//! Aˡ⁻¹ Wˡᵀ = Zˡ − 1 bˡᵀ                                 (layer products, l ≥ 2)
//! net(train.x) = Zᴸ
//! ```
//! Exact: a point satisfies these iff `Aˡ = relu(Zˡ)` and `Zᴸ` is the network's output. Rows are
//! samples. A bias column (`bias = column`) adds `W_{:,last}` to the layer's affine part. This is
//! the common first stage of rank lifting and of the big-M form of a trained network; `cnnc
//! compile --emit complementarity` prints it.
//!
//! Code: `E1301` a network this form does not cover.

use std::fmt::Write as _;

use super::network::trained_net;
use crate::diag::Diagnostic;
use crate::model::{BiasMode, Method, Model, NetId, VarId};

/// The stage name in printed stages and origins.
pub const STAGE: &str = "complementarity";

/// One layer of the complementarity form.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Input width (without a bias column).
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// A hidden ReLU layer (else the linear output layer).
    pub relu: bool,
    /// How the bias enters.
    pub bias: BiasMode,
    /// The weight variable (`outputs × inputs`, one more column with a bias column).
    pub weight: VarId,
    /// The separate bias variable.
    pub bias_var: Option<VarId>,
}

/// A network in complementarity form.
#[derive(Clone, Debug, PartialEq)]
pub struct Complementarity {
    /// The network.
    pub net: NetId,
    /// Its name.
    pub name: String,
    /// Training samples.
    pub samples: usize,
    /// Layers, input to output.
    pub layers: Vec<Layer>,
}

impl Complementarity {
    /// The one trainable network of `model` (declared over data, every layer trainable,
    /// hidden layers `relu`, output layer `identity`), in complementarity form.
    pub fn of(model: &Model, method: &Method) -> Result<Complementarity, Vec<Diagnostic>> {
        const HELP: &str = "this form takes `dense(m, relu)` hidden layers, a linear `dense(k)` output layer, all trained on the network's data";
        let t = trained_net(model, method, "E1301", &format!("{STAGE} form"), HELP)?;
        let last = t.layers.len() - 1;
        let mut layers = Vec::with_capacity(t.layers.len());
        for (l, layer) in t.layers.iter().enumerate() {
            let want = if l == last { "identity" } else { "relu" };
            if layer.activation.name != want {
                let which = if l == last { "the output" } else { "a hidden" };
                let d = Diagnostic::error(
                    "E1301",
                    format!(
                        "{which} layer must be `{want}` here, not `{}`",
                        layer.activation.name
                    ),
                )
                .with_primary(layer.span, format!("not {want}"));
                return Err(vec![method
                    .label(d, false, "method declared here")
                    .with_help(HELP)]);
            }
            layers.push(Layer {
                inputs: layer.inputs,
                outputs: layer.outputs,
                relu: l != last,
                bias: layer.bias,
                weight: layer.weight,
                bias_var: layer.bias_var,
            });
        }
        Ok(Complementarity {
            net: t.net,
            name: t.name,
            samples: t.samples,
            layers,
        })
    }

    /// The number of bilinear equalities of each kind: `(complementarity, product)` entries,
    /// and the scalar products `w_ik a_jk` the layer products sum.
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = self.samples;
        let relu = self
            .layers
            .iter()
            .filter(|l| l.relu)
            .map(|l| n * l.outputs)
            .sum();
        let prods = self.layers.iter().skip(1);
        let entries = prods.clone().map(|l| n * l.outputs).sum();
        let scalars = prods.map(|l| n * l.outputs * l.inputs).sum();
        (relu, entries, scalars)
    }

    /// The stage as text.
    pub fn text(&self, model: &Model) -> String {
        let mut s = String::new();
        let n = self.samples;
        let widths: Vec<String> = std::iter::once(self.layers[0].inputs)
            .chain(self.layers.iter().map(|l| l.outputs))
            .map(|w| w.to_string())
            .collect();
        let _ = writeln!(
            s,
            "{STAGE}  network {}: {} on {n} samples (rows are samples)",
            self.name,
            widths.join(" -> ")
        );
        for (i, l) in self.layers.iter().enumerate() {
            let k = i + 1;
            let w = &model.vars[l.weight.0].name;
            let bias = match (l.bias, l.bias_var) {
                (BiasMode::Separate, Some(b)) => format!(" + 1 {}ᵀ", model.vars[b.0].name),
                (BiasMode::Column, _) => format!(" + 1 {w}[:, last]ᵀ"),
                _ => String::new(),
            };
            let input = if i == 0 {
                "X".to_string()
            } else {
                format!("A{i}")
            };
            let w_cols = if l.bias == BiasMode::Column {
                format!("{w}[:, 0..{}]", l.inputs)
            } else {
                w.clone()
            };
            let (z, shape) = (format!("Z{k}"), format!("[{n}x{}]", l.outputs));
            if i == 0 {
                let _ = writeln!(
                    s,
                    "  layer {k}  {z} {shape} = {input} {w_cols}ᵀ{bias}    affine"
                );
            } else {
                let _ = writeln!(
                    s,
                    "  layer {k}  {input} {w_cols}ᵀ = {z} {shape}{}    bilinear: {} entries, each a sum of {} products w_ik a_jk",
                    bias.replace(" + ", " - "),
                    n * l.outputs,
                    l.inputs
                );
            }
            if l.relu {
                let _ = writeln!(
                    s,
                    "  layer {k}  A{k} >= 0, A{k} >= {z}, A{k} ∘ (A{k} - {z}) = 0    bilinear: {} complementarity entries",
                    n * l.outputs
                );
            }
        }
        let _ = writeln!(
            s,
            "  output   {}(train.x) = Z{}",
            self.name,
            self.layers.len()
        );
        let (relu, entries, scalars) = self.counts();
        let _ = writeln!(
            s,
            "  total    {relu} complementarity and {entries} product equalities ({scalars} scalar products)"
        );
        s
    }

    /// The stage as JSON.
    pub fn json(&self, model: &Model) -> serde_json::Value {
        let (relu, entries, scalars) = self.counts();
        serde_json::json!({
            "stage": STAGE,
            "network": self.name,
            "samples": self.samples,
            "layers": self.layers.iter().enumerate().map(|(i, l)| serde_json::json!({
                "layer": i + 1,
                "inputs": l.inputs,
                "outputs": l.outputs,
                "activation": if l.relu { "relu" } else { "identity" },
                "weights": model.vars[l.weight.0].name,
                "bias": l.bias_var.map(|b| model.vars[b.0].name.clone()),
                "bias_column": l.bias == BiasMode::Column,
                "affine": i == 0,
                "complementarity": if l.relu { self.samples * l.outputs } else { 0 },
                "products": if i == 0 { 0 } else { self.samples * l.outputs * l.inputs },
            })).collect::<Vec<_>>(),
            "complementarity": relu,
            "product_equalities": entries,
            "scalar_products": scalars,
        })
    }
}
