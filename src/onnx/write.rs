//! A weights file as an ONNX graph.
//!
//! The graph takes `input` (`N × d`) and gives `output` (`N × outputs`):
//! `Sub(mean)` and `Div(std)` when the inputs are standardized, then per layer `l` a `Gemm`
//! with `transB = 1` (`Z = A Wᵀ + 1 bᵀ`, `W` stored `outputs × inputs` as in the weights file;
//! a `bias_mode = column` layer's last column becomes the bias, `none` has no `C`) followed by
//! `Relu`, `Sigmoid`, `Softplus` or `LeakyRelu` (`alpha = 0.01`), nothing for `identity`.
//! Every number is stored in double precision, so a runtime computing in DOUBLE gives cnnc's
//! predictions to rounding; [`Precision::Float`] writes FLOAT instead. `LeakyRelu`'s `alpha` is a float attribute by the standard: 0.01
//! in single precision is 0.01 · (1 − 2.2·10⁻⁸). An activation the model defines itself
//! (`p − q`) has no ONNX operator and is refused (E0808).

use prost::Message;

use crate::diag::Diagnostic;
use crate::nn::weights::{BiasKind, WeightsFile};

use super::proto::*;
use super::{INPUT, OPSET, OUTPUT};
use super::{
    IR_VERSION, META_BIAS, META_FEATURES, META_METHOD, META_MODEL, META_NETWORK, META_TARGET,
};

/// The element type of every tensor of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// DOUBLE: the runtime computes cnnc's predictions to rounding.
    Double,
    /// FLOAT: for runtimes without DOUBLE kernels (onnxruntime has none for `Softplus` and
    /// `LeakyRelu`); the weights are rounded to single precision.
    Float,
}

impl Precision {
    fn data_type(self) -> i32 {
        match self {
            Precision::Double => DATA_DOUBLE,
            Precision::Float => DATA_FLOAT,
        }
    }
}

/// The ONNX encoding of `weights` (validated first; `file` names it in messages).
pub fn to_onnx(
    weights: &WeightsFile,
    file: &str,
    precision: Precision,
) -> Result<Vec<u8>, Diagnostic> {
    weights.validate(file)?;
    let mut g = GraphProto {
        name: weights.network.clone(),
        ..Default::default()
    };
    let last = weights.layers.len();
    let mut current = INPUT.to_string();
    let step = |g: &mut GraphProto, op: &str, inputs: Vec<String>, out: String| {
        g.node.push(NodeProto {
            name: format!("{op}_{}", g.node.len()),
            op_type: op.to_string(),
            input: inputs,
            output: vec![out.clone()],
            ..Default::default()
        });
        out
    };
    if let Some(s) = &weights.standardization {
        g.initializer
            .push(tensor("mean", &[s.mean.len()], &s.mean, precision));
        g.initializer
            .push(tensor("std", &[s.std.len()], &s.std, precision));
        current = step(
            &mut g,
            "Sub",
            vec![current, "mean".into()],
            "centered".into(),
        );
        current = step(
            &mut g,
            "Div",
            vec![current, "std".into()],
            "standardized".into(),
        );
    }
    for (i, l) in weights.layers.iter().enumerate() {
        let n = i + 1;
        let op = match l.activation.as_str() {
            "identity" => None,
            "relu" => Some("Relu"),
            "sigmoid" => Some("Sigmoid"),
            "softplus" => Some("Softplus"),
            "leaky_relu" => Some("LeakyRelu"),
            other => {
                return Err(Diagnostic::error(
                    "E0808",
                    format!("weights file `{file}`: layer {n} has the activation `{other}`, which has no ONNX operator"),
                )
                .with_note("ONNX export writes identity, relu, leaky_relu, sigmoid and softplus as Gemm followed by Relu, LeakyRelu, Sigmoid or Softplus"))
            }
        };
        let [rows, cols] = l.shape;
        let width = l.inputs();
        let (w, b): (Vec<f64>, Option<Vec<f64>>) = match l.bias_mode {
            BiasKind::Column => {
                let w = (0..rows)
                    .flat_map(|r| l.weights[r * cols..r * cols + width].iter().copied())
                    .collect();
                (
                    w,
                    Some((0..rows).map(|r| l.weights[r * cols + width]).collect()),
                )
            }
            BiasKind::Separate => (l.weights.clone(), l.bias.clone()),
            BiasKind::None => (l.weights.clone(), None),
        };
        let weight = format!("layer{n}.weight");
        g.initializer
            .push(tensor(&weight, &[rows, width], &w, precision));
        let mut inputs = vec![current, weight];
        if let Some(b) = b {
            let bias = format!("layer{n}.bias");
            g.initializer.push(tensor(&bias, &[rows], &b, precision));
            inputs.push(bias);
        }
        let z = if n == last && op.is_none() {
            OUTPUT.to_string()
        } else {
            format!("layer{n}.z")
        };
        current = step(&mut g, "Gemm", inputs, z);
        if let Some(node) = g.node.last_mut() {
            node.attribute.push(AttributeProto {
                name: "transB".into(),
                i: 1,
                r#type: ATTRIBUTE_INT,
                ..Default::default()
            });
        }
        if let Some(op) = op {
            let a = if n == last {
                OUTPUT.to_string()
            } else {
                format!("layer{n}.a")
            };
            current = step(&mut g, op, vec![current], a);
            if op == "LeakyRelu" {
                if let Some(node) = g.node.last_mut() {
                    node.attribute.push(AttributeProto {
                        name: "alpha".into(),
                        f: crate::nn::activation::LEAKY_SLOPE as f32,
                        r#type: ATTRIBUTE_FLOAT,
                        ..Default::default()
                    });
                }
            }
        }
    }
    let outputs = weights.layers.last().map_or(0, |l| l.shape[0]);
    g.input.push(value_info(INPUT, weights.inputs, precision));
    g.output.push(value_info(OUTPUT, outputs, precision));
    let mut meta = vec![(META_NETWORK, weights.network.clone())];
    if let Some(m) = &weights.model {
        meta.push((META_MODEL, m.clone()));
    }
    if let Some(m) = &weights.method {
        meta.push((META_METHOD, m.clone()));
    }
    if !weights.feature_names.is_empty() {
        meta.push((META_FEATURES, json(&weights.feature_names)));
    }
    if let Some(t) = &weights.target {
        meta.push((META_TARGET, json(t)));
    }
    let modes: Vec<BiasKind> = weights.layers.iter().map(|l| l.bias_mode).collect();
    meta.push((META_BIAS, json(&modes)));
    let model = ModelProto {
        ir_version: IR_VERSION,
        producer_name: "cnnc".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: describe(weights),
        graph: Some(g),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        metadata_props: meta
            .into_iter()
            .map(|(key, value)| StringStringEntryProto {
                key: key.into(),
                value,
            })
            .collect(),
    };
    Ok(model.encode_to_vec())
}

/// A tensor with its elements as little-endian bytes.
fn tensor(name: &str, dims: &[usize], values: &[f64], precision: Precision) -> TensorProto {
    let raw_data = match precision {
        Precision::Double => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Precision::Float => values
            .iter()
            .flat_map(|&v| (v as f32).to_le_bytes())
            .collect(),
    };
    TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: precision.data_type(),
        raw_data,
        ..Default::default()
    }
}

/// An `N × width` graph input or output.
fn value_info(name: &str, width: usize, precision: Precision) -> ValueInfoProto {
    let dims = vec![
        Dimension {
            dim_param: Some("N".into()),
            ..Default::default()
        },
        Dimension {
            dim_value: Some(width as i64),
            ..Default::default()
        },
    ];
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: precision.data_type(),
                shape: Some(TensorShapeProto { dim: dims }),
            }),
        }),
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// `cnnc network `net`: 2 → 3 relu → 1`, and whether the inputs are standardized.
pub fn describe(w: &WeightsFile) -> String {
    let mut s = format!("cnnc network `{}`: {}", w.network, w.inputs);
    for l in &w.layers {
        s.push_str(&format!(" → {}", l.shape[0]));
        if l.activation != "identity" {
            s.push_str(&format!(" {}", l.activation));
        }
    }
    if w.standardization.is_some() {
        s.push_str("; inputs standardized by the first two nodes (Sub mean, Div std)");
    }
    s
}
