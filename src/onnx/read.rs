//! An ONNX graph of dense layers read back as a weights file.
//!
//! cnnc reads the graphs it writes and any other of the same shape: one input, one output, and
//! between them a chain where each node takes the previous node's tensor (and constants from
//! the initializers): optionally `Sub` and `Div` by constant vectors first (the
//! standardization), then layers, each `Gemm` (`alpha = beta = 1`, `transA = 0`, either
//! `transB`) or `MatMul` optionally followed by `Add` of a constant vector, then at most one of
//! `Relu`, `Sigmoid`, `Softplus`, `LeakyRelu` (`alpha` 0.01, up to single-precision rounding)
//! or `Identity`. Constants may be FLOAT or DOUBLE, in `raw_data` or in the typed fields.
//! Anything else is refused with the node that breaks the chain (E0809).

use std::collections::HashMap;

use prost::Message;

use crate::diag::Diagnostic;
use crate::model::Standardization;
use crate::nn::weights::{BiasKind, LayerRecord, Target, WeightsFile, FORMAT, VERSION};

use super::proto::*;
use super::{META_BIAS, META_FEATURES, META_METHOD, META_MODEL, META_NETWORK, META_TARGET};

/// A constant: its dimensions and elements, row-major.
struct Constant {
    dims: Vec<usize>,
    values: Vec<f64>,
}

/// Decodes and checks the ONNX file `bytes` (named `file` in messages) as a weights file.
pub fn from_onnx(bytes: &[u8], file: &str) -> Result<WeightsFile, Diagnostic> {
    let fail = |msg: String| Diagnostic::error("E0809", format!("ONNX file `{file}`: {msg}"));
    let model = ModelProto::decode(bytes).map_err(|e| {
        let d = Diagnostic::error("E0803", format!("`{file}` is not an ONNX file"))
            .with_note(format!("protobuf: {e}"));
        if bytes.trim_ascii_start().starts_with(b"{") {
            d.with_help("it looks like JSON: a weights JSON file is read as one when its name does not end in `.onnx`")
        } else {
            d
        }
    })?;
    let g = model
        .graph
        .as_ref()
        .ok_or_else(|| fail("the file has no graph".into()))?;
    let mut constants = HashMap::new();
    for t in &g.initializer {
        constants.insert(t.name.as_str(), constant(t).map_err(fail)?);
    }
    let inputs: Vec<&ValueInfoProto> = g
        .input
        .iter()
        .filter(|v| !constants.contains_key(v.name.as_str()))
        .collect();
    let [input] = inputs[..] else {
        return Err(fail(format!(
            "the graph has {} inputs besides its constants; cnnc reads networks with one",
            inputs.len()
        )));
    };
    let [output] = &g.output[..] else {
        return Err(fail(format!(
            "the graph has {} outputs; cnnc reads networks with one",
            g.output.len()
        )));
    };
    let mut width = input_width(input).map_err(fail)?;
    let inputs_width = width;
    let mut current = input.name.clone();
    let mut mean: Option<Vec<f64>> = None;
    let mut std: Option<Vec<f64>> = None;
    let mut layers: Vec<LayerRecord> = Vec::new();
    // Whether the last layer may still take an `Add` (after a MatMul) or an activation.
    let (mut open_add, mut open_activation) = (false, false);
    for node in &g.node {
        let at = |msg: String| fail(format!("node `{}` ({}): {msg}", node.name, node.op_type));
        if !node.domain.is_empty() && node.domain != "ai.onnx" {
            return Err(at(format!("operator domain `{}` is not read", node.domain)));
        }
        let [out] = &node.output[..] else {
            return Err(at("a node with one output is expected".into()));
        };
        if node.input.first() != Some(&current) {
            return Err(at(format!(
                "its first input is not `{current}`: cnnc reads a chain of layers"
            )));
        }
        let operand = |k: usize| -> Result<&Constant, Diagnostic> {
            let name = node.input.get(k).map(String::as_str).unwrap_or("");
            constants
                .get(name)
                .ok_or_else(|| at(format!("input {} (`{name}`) is not a constant", k + 1)))
        };
        let vector = |k: usize, len: usize| -> Result<Vec<f64>, Diagnostic> {
            let c = operand(k)?;
            let ok = c.values.len() == len
                && (c.dims == [len] || c.dims == [1, len] || c.dims.is_empty() && len == 1);
            if !ok {
                return Err(at(format!(
                    "a constant of {len} elements is expected, `{}` has shape {:?}",
                    node.input[k], c.dims
                )));
            }
            Ok(c.values.clone())
        };
        let attrs: HashMap<&str, &AttributeProto> = node
            .attribute
            .iter()
            .map(|a| (a.name.as_str(), a))
            .collect();
        let int = |name: &str, default: i64| attrs.get(name).map_or(default, |a| a.i);
        let float = |name: &str, default: f32| attrs.get(name).map_or(default, |a| a.f);
        match node.op_type.as_str() {
            "Sub" | "Div" if layers.is_empty() && node.input.len() == 2 => {
                let v = vector(1, width)?;
                let sub = node.op_type == "Sub";
                if std.is_some() || (sub && mean.is_some()) {
                    return Err(at("the standardization is `Sub` then `Div`, once each".into()));
                }
                *(if sub { &mut mean } else { &mut std }) = Some(v);
            }
            "Gemm" | "MatMul" => {
                let b = operand(1)?;
                let [r, c] = b.dims[..] else {
                    return Err(at(format!("the weight has shape {:?}, not a matrix", b.dims)));
                };
                let gemm = node.op_type == "Gemm";
                let trans_b = gemm && int("transB", 0) != 0;
                if gemm
                    && (int("transA", 0) != 0 || float("alpha", 1.0) != 1.0 || float("beta", 1.0) != 1.0)
                {
                    return Err(at("only `transA = 0`, `alpha = 1`, `beta = 1` are read".into()));
                }
                let (rows, cols) = if trans_b { (r, c) } else { (c, r) };
                if cols != width {
                    return Err(at(format!(
                        "the weight takes {cols} inputs, the tensor before it has {width} columns"
                    )));
                }
                let weights = if trans_b {
                    b.values.clone()
                } else {
                    (0..rows)
                        .flat_map(|i| (0..cols).map(move |j| (i, j)))
                        .map(|(i, j)| b.values[j * rows + i])
                        .collect()
                };
                let bias = match node.input.get(2).filter(|n| gemm && !n.is_empty()) {
                    Some(_) => Some(vector(2, rows)?),
                    None => None,
                };
                layers.push(LayerRecord {
                    shape: [rows, cols],
                    weights,
                    bias_mode: if bias.is_some() {
                        BiasKind::Separate
                    } else {
                        BiasKind::None
                    },
                    bias,
                    activation: "identity".into(),
                });
                width = rows;
                open_add = !gemm;
                open_activation = true;
            }
            "Add" if open_add => {
                let v = vector(1, width)?;
                if let Some(l) = layers.last_mut() {
                    l.bias = Some(v);
                    l.bias_mode = BiasKind::Separate;
                }
                open_add = false;
            }
            "Relu" | "Sigmoid" | "Softplus" | "LeakyRelu" | "Identity" if open_activation => {
                let name = match node.op_type.as_str() {
                    "Relu" => "relu",
                    "Sigmoid" => "sigmoid",
                    "Softplus" => "softplus",
                    "Identity" => "identity",
                    _ => {
                        let alpha = float("alpha", 0.01);
                        let slope = crate::nn::activation::LEAKY_SLOPE as f32;
                        if alpha != slope {
                            return Err(at(format!(
                                "`alpha = {alpha}`: cnnc's leaky_relu has slope {slope}"
                            )));
                        }
                        "leaky_relu"
                    }
                };
                if let Some(l) = layers.last_mut() {
                    l.activation = name.into();
                }
                open_add = false;
                open_activation = false;
            }
            op => {
                return Err(at(format!(
                    "`{op}` is not read here{}",
                    if layers.is_empty() { "" } else { " after a layer" }
                ))
                .with_note("cnnc reads chains of Sub, Div (standardization), Gemm or MatMul with Add, and Relu, Sigmoid, Softplus, LeakyRelu or Identity"))
            }
        }
        current = out.clone();
    }
    if current != output.name {
        return Err(fail(format!(
            "the chain ends in `{current}`, the graph's output is `{}`",
            output.name
        )));
    }
    if layers.is_empty() {
        return Err(fail("the graph has no Gemm or MatMul layer".into()));
    }
    let meta: HashMap<&str, &str> = model
        .metadata_props
        .iter()
        .map(|e| (e.key.as_str(), e.value.as_str()))
        .collect();
    let feature_names = match meta.get(META_FEATURES) {
        Some(v) => {
            serde_json::from_str(v).map_err(|e| fail(format!("metadata `{META_FEATURES}`: {e}")))?
        }
        None => Vec::new(),
    };
    let target: Option<Target> = match meta.get(META_TARGET) {
        Some(v) => Some(
            serde_json::from_str(v).map_err(|e| fail(format!("metadata `{META_TARGET}`: {e}")))?,
        ),
        None => None,
    };
    if let Some(v) = meta.get(META_BIAS) {
        let modes: Vec<BiasKind> =
            serde_json::from_str(v).map_err(|e| fail(format!("metadata `{META_BIAS}`: {e}")))?;
        if modes.len() != layers.len() {
            return Err(fail(format!(
                "metadata `{META_BIAS}` names {} layers, the graph has {}",
                modes.len(),
                layers.len()
            )));
        }
        for (l, mode) in layers.iter_mut().zip(modes) {
            if mode == BiasKind::Column {
                to_column(l);
            }
        }
    }
    let standardization = (mean.is_some() || std.is_some()).then(|| Standardization {
        mean: mean.unwrap_or_else(|| vec![0.0; inputs_width]),
        std: std.unwrap_or_else(|| vec![1.0; inputs_width]),
    });
    let network = meta
        .get(META_NETWORK)
        .map(|s| s.to_string())
        .or_else(|| (!g.name.is_empty()).then(|| g.name.clone()))
        .unwrap_or_else(|| "net".into());
    let w = WeightsFile {
        format: FORMAT.into(),
        version: VERSION,
        network,
        model: meta.get(META_MODEL).map(|s| s.to_string()),
        method: meta.get(META_METHOD).map(|s| s.to_string()),
        inputs: inputs_width,
        feature_names,
        standardization,
        target,
        layers,
    };
    w.validate(file)?;
    Ok(w)
}

/// Moves a layer's separate bias into a last column of its weights (`bias_mode = column`);
/// a layer without a bias gets a zero column.
fn to_column(l: &mut LayerRecord) {
    let [rows, cols] = l.shape;
    let bias = l.bias.take().unwrap_or_else(|| vec![0.0; rows]);
    l.weights = (0..rows)
        .flat_map(|r| {
            l.weights[r * cols..(r + 1) * cols]
                .iter()
                .copied()
                .chain([bias[r]])
        })
        .collect();
    l.shape = [rows, cols + 1];
    l.bias_mode = BiasKind::Column;
}

/// The number of columns of the graph's input: its second dimension.
fn input_width(v: &ValueInfoProto) -> Result<usize, String> {
    let t = v.r#type.as_ref().and_then(|t| t.tensor_type.as_ref());
    let dims = t.and_then(|t| t.shape.as_ref()).map(|s| &s.dim[..]);
    match dims {
        Some([_, d]) => match d.dim_value {
            Some(w) if w > 0 => Ok(w as usize),
            _ => Err(format!(
                "the input `{}` has no fixed number of columns",
                v.name
            )),
        },
        _ => Err(format!(
            "the input `{}` is not a matrix (rows × features)",
            v.name
        )),
    }
}

/// The elements of an initializer, checked against its dimensions before they are copied.
fn constant(t: &TensorProto) -> Result<Constant, String> {
    if t.data_location == Some(1) {
        return Err(format!(
            "the constant `{}` is stored in another file",
            t.name
        ));
    }
    let mut count: usize = 1;
    let mut dims = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        let d = usize::try_from(d)
            .map_err(|_| format!("the constant `{}` has a negative dimension", t.name))?;
        count = count
            .checked_mul(d)
            .ok_or_else(|| format!("the constant `{}` is too large", t.name))?;
        dims.push(d);
    }
    let values: Vec<f64> = match t.data_type {
        DATA_DOUBLE if !t.raw_data.is_empty() => le(&t.raw_data, count, 8, &t.name)?
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .collect(),
        DATA_FLOAT if !t.raw_data.is_empty() => le(&t.raw_data, count, 4, &t.name)?
            .map(|b| f32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as f64)
            .collect(),
        DATA_DOUBLE => t.double_data.clone(),
        DATA_FLOAT => t.float_data.iter().map(|&v| v as f64).collect(),
        other => {
            return Err(format!(
                "the constant `{}` has element type {other}; cnnc reads FLOAT (1) and DOUBLE (11)",
                t.name
            ))
        }
    };
    if values.len() != count {
        return Err(format!(
            "the constant `{}` has {} elements for dimensions {:?}",
            t.name,
            values.len(),
            t.dims
        ));
    }
    Ok(Constant { dims, values })
}

/// `raw` split into `count` elements of `size` bytes, or why not.
fn le<'a>(
    raw: &'a [u8],
    count: usize,
    size: usize,
    name: &str,
) -> Result<std::slice::ChunksExact<'a, u8>, String> {
    if Some(raw.len()) != count.checked_mul(size) {
        return Err(format!(
            "the constant `{name}` has {} bytes for {count} elements of {size}",
            raw.len()
        ));
    }
    Ok(raw.chunks_exact(size))
}
