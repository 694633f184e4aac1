//! The weights file: a trained network as JSON (schema in `docs/WEIGHTS.md`).
//!
//! It records, for one network, the input feature names, the standardization applied to the
//! inputs (`(x − mean) / std`, column by column), the targets (kind and names), and each layer:
//! shape `[outputs, columns]`, weights row by row, the separate bias or `null`, the bias mode
//! and the activation's name. [`write_atomic`] writes through [`crate::output`]: a regular file
//! is replaced by renaming a temporary file over it, so a reader never sees half a file and a
//! failed run leaves the old file in place. [`read`] reports every problem as a diagnostic naming the file
//! (codes E0801–E0807).

use std::path::Path;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, SourceMap, Span};
use crate::model::{BiasMode, Model, NetId, Standardization, TargetKind};
use crate::output::Output;

use super::activation::ActivationFn;
use super::network::{DenseLayer, DenseNet};
use super::{EvalError, Values};

/// The value of the `format` field.
pub const FORMAT: &str = "cnnc-weights";
/// The schema version this build writes and reads.
pub const VERSION: u32 = 1;

/// Deserializes a field that may be `null` but must be present: without `deserialize_with`,
/// serde would read a missing `Option` field as `None`.
fn required<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

/// A weights file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// Schema version ([`VERSION`]).
    pub version: u32,
    /// The network's name in the model.
    pub network: String,
    /// The model file it was trained from.
    #[serde(deserialize_with = "required")]
    pub model: Option<String>,
    /// The training method, e.g. `patterns`.
    #[serde(deserialize_with = "required")]
    pub method: Option<String>,
    /// Input width.
    pub inputs: usize,
    /// Names of the input features (empty when unknown).
    pub feature_names: Vec<String>,
    /// Standardization applied to raw inputs before the first layer.
    #[serde(deserialize_with = "required")]
    pub standardization: Option<Standardization>,
    /// What the outputs predict.
    #[serde(deserialize_with = "required")]
    pub target: Option<Target>,
    /// Layers, input to output.
    pub layers: Vec<LayerRecord>,
}

/// The targets a network predicts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Numeric values or classes.
    pub kind: TargetKindName,
    /// Target column names (values) or class names (classes; with one output column the
    /// second class is coded +1).
    pub names: Vec<String>,
}

/// Kind of target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKindName {
    /// Regression.
    Values,
    /// Classification with −1/+1 coded outputs.
    Classes,
}

/// How a layer adds its bias (as in the model's `bias =` option).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BiasKind {
    /// A separate bias vector in `bias`.
    Separate,
    /// The last column of `weights` multiplies a ones column appended to the input.
    Column,
    /// No bias.
    None,
}

/// One dense layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerRecord {
    /// `[outputs, columns]`: columns are the inputs, plus one with `bias_mode = column`.
    pub shape: [usize; 2],
    /// The weight matrix row by row (`outputs × columns` numbers).
    pub weights: Vec<f64>,
    /// The separate bias (`outputs` numbers), or `null`.
    #[serde(deserialize_with = "required")]
    pub bias: Option<Vec<f64>>,
    /// Bias handling.
    pub bias_mode: BiasKind,
    /// Activation name (`identity`, `relu`, `leaky_relu`, `sigmoid`, `softplus`).
    pub activation: String,
}

impl LayerRecord {
    /// The weight matrix.
    pub fn weight_matrix(&self) -> DMatrix<f64> {
        DMatrix::from_row_slice(self.shape[0], self.shape[1], &self.weights)
    }

    /// Input width (without the bias column).
    pub fn inputs(&self) -> usize {
        self.shape[1] - usize::from(self.bias_mode == BiasKind::Column)
    }

    /// The model's bias mode.
    pub fn bias_mode(&self) -> BiasMode {
        match self.bias_mode {
            BiasKind::Separate => BiasMode::Separate,
            BiasKind::Column => BiasMode::Column,
            BiasKind::None => BiasMode::None,
        }
    }
}

impl WeightsFile {
    /// The record of network `net` of `model` with its trained parameters from `values`.
    /// Feature names, standardization and targets come from the dataset the network is
    /// declared over (or, for a loaded network, its own recorded standardization).
    pub fn from_network(
        model: &Model,
        net: NetId,
        values: &Values,
        method: Option<&str>,
    ) -> Result<WeightsFile, EvalError> {
        let network = &model.networks[net.0];
        let dense = DenseNet::from_model(model, net, values)?;
        let data = network.input.and_then(|d| model.datasets.get(d.0));
        let standardization = network
            .standardization
            .clone()
            .or_else(|| data.and_then(|d| d.standardization.clone()));
        let target = data.and_then(|d| {
            d.target_kind.as_ref().map(|k| match k {
                TargetKind::Values => Target {
                    kind: TargetKindName::Values,
                    names: d.target_names.clone(),
                },
                TargetKind::Classes => Target {
                    kind: TargetKindName::Classes,
                    names: d.classes.iter().map(|c| c.name.clone()).collect(),
                },
            })
        });
        let layers = dense
            .layers
            .iter()
            .map(|l| LayerRecord {
                shape: [l.weight.nrows(), l.weight.ncols()],
                weights: super::values::row_major(&l.weight).collect(),
                bias: l.bias.as_ref().map(|b| b.iter().copied().collect()),
                bias_mode: match l.bias_mode() {
                    BiasMode::Separate => BiasKind::Separate,
                    BiasMode::Column => BiasKind::Column,
                    BiasMode::None => BiasKind::None,
                },
                activation: l.activation.name().to_string(),
            })
            .collect();
        Ok(WeightsFile {
            format: FORMAT.to_string(),
            version: VERSION,
            network: network.name.clone(),
            model: Some(model.file.clone()),
            method: method.map(str::to_string),
            inputs: network.inputs,
            feature_names: data.map(|d| d.feature_names.clone()).unwrap_or_default(),
            standardization,
            target,
            layers,
        })
    }

    /// Checks that the record is consistent: format and version, finite numbers, and shapes
    /// that chain from the inputs to the outputs. `file` names the file in messages.
    pub fn validate(&self, file: &str) -> Result<(), Diagnostic> {
        let err = |code: &'static str, msg: String| {
            Err(Diagnostic::error(
                code,
                format!("weights file `{file}`: {msg}"),
            ))
        };
        if self.format != FORMAT {
            return err(
                "E0804",
                format!("the format is `{}`, expected `{FORMAT}`", self.format),
            );
        }
        if self.version != VERSION {
            return err(
                "E0804",
                format!(
                    "schema version {} is not supported (this cnnc reads version {VERSION})",
                    self.version
                ),
            );
        }
        if self.layers.is_empty() {
            return err("E0805", "the network has no layers".into());
        }
        if self.inputs == 0 {
            return err("E0805", "the network has 0 inputs".into());
        }
        if let Some(dup) = self
            .feature_names
            .iter()
            .enumerate()
            .find_map(|(i, n)| self.feature_names[..i].contains(n).then_some(n))
        {
            return err(
                "E0805",
                format!("the feature name `{dup}` appears more than once"),
            );
        }
        if !self.feature_names.is_empty() && self.feature_names.len() != self.inputs {
            return err(
                "E0805",
                format!(
                    "{} feature names for {} inputs",
                    self.feature_names.len(),
                    self.inputs
                ),
            );
        }
        if let Some(s) = &self.standardization {
            if s.mean.len() != self.inputs || s.std.len() != self.inputs {
                return err(
                    "E0805",
                    format!(
                        "the standardization has {} means and {} standard deviations for {} inputs",
                        s.mean.len(),
                        s.std.len(),
                        self.inputs
                    ),
                );
            }
            if s.mean.iter().chain(&s.std).any(|v| !v.is_finite())
                || s.std.iter().any(|v| *v <= 0.0)
            {
                return err(
                    "E0806",
                    "the standardization has a non-finite mean or a standard deviation that is not positive".into(),
                );
            }
        }
        let mut width = self.inputs;
        for (i, l) in self.layers.iter().enumerate() {
            let n = i + 1;
            let [rows, cols] = l.shape;
            let extra = usize::from(l.bias_mode == BiasKind::Column);
            if rows == 0 {
                return err(
                    "E0805",
                    format!(
                        "layer {n} has shape [{rows}, {cols}]: a layer needs at least one output"
                    ),
                );
            }
            if cols != width + extra {
                return err(
                    "E0805",
                    format!(
                        "layer {n} has {cols} columns, expected {} ({width} inputs{})",
                        width + extra,
                        if extra == 1 {
                            " and the bias column"
                        } else {
                            ""
                        }
                    ),
                );
            }
            if l.weights.len() != rows * cols {
                return err(
                    "E0805",
                    format!(
                        "layer {n} has {} weights, its shape [{rows}, {cols}] needs {}",
                        l.weights.len(),
                        rows * cols
                    ),
                );
            }
            match (&l.bias, l.bias_mode) {
                (Some(b), BiasKind::Separate) if b.len() != rows => {
                    return err(
                        "E0805",
                        format!("layer {n} has {} biases for {rows} outputs", b.len()),
                    )
                }
                (None, BiasKind::Separate) => {
                    return err(
                        "E0805",
                        format!("layer {n} has `bias_mode` `separate` but `bias` is null"),
                    )
                }
                (Some(_), BiasKind::Column | BiasKind::None) => {
                    return err(
                        "E0805",
                        format!("layer {n} has a `bias` but its `bias_mode` is not `separate`"),
                    )
                }
                _ => {}
            }
            if l.weights
                .iter()
                .chain(l.bias.iter().flatten())
                .any(|v| !v.is_finite())
            {
                return err(
                    "E0806",
                    format!("layer {n} has a weight that is not a finite number"),
                );
            }
            width = rows;
        }
        if let Some(t) = &self.target {
            let want = match t.kind {
                TargetKindName::Values => width,
                TargetKindName::Classes if width == 1 => 2,
                TargetKindName::Classes => width,
            };
            if t.names.len() != want {
                return err(
                    "E0805",
                    format!(
                        "{} target names for {width} outputs (expected {want})",
                        t.names.len()
                    ),
                );
            }
        }
        Ok(())
    }

    /// The numeric network, after [`WeightsFile::validate`]. Each layer's activation is looked
    /// up with `defined` first (the activations of the model the file is used with, so a
    /// user-defined activation such as `my_abs` means what the model says), then among the
    /// library's closed forms.
    pub fn to_network(
        &self,
        file: &str,
        defined: impl Fn(&str) -> Option<ActivationFn>,
    ) -> Result<DenseNet, Diagnostic> {
        self.validate(file)?;
        let mut layers = Vec::with_capacity(self.layers.len());
        for (i, l) in self.layers.iter().enumerate() {
            let Some(activation) =
                defined(&l.activation).or_else(|| ActivationFn::from_name(&l.activation))
            else {
                return Err(Diagnostic::error(
                    "E0807",
                    format!(
                        "weights file `{file}`: layer {} has the activation `{}`, which the model does not define",
                        i + 1,
                        l.activation
                    ),
                )
                .with_note("library activations: identity, relu, leaky_relu, sigmoid, softplus")
                .with_help(format!(
                    "evaluate with the model the network was trained from, or define `activation {}(z) = ...` in it",
                    l.activation
                )));
            };
            layers.push(DenseLayer {
                weight: l.weight_matrix(),
                bias: l.bias.as_ref().map(|b| DVector::from_column_slice(b)),
                bias_column: l.bias_mode == BiasKind::Column,
                activation,
            });
        }
        Ok(DenseNet {
            inputs: self.inputs,
            layers,
            standardization: self.standardization.clone(),
        })
    }

    /// The file as pretty-printed JSON, each list of numbers on one line.
    pub fn to_json(&self) -> String {
        let pretty = serde_json::to_string_pretty(self).unwrap_or_default();
        let mut out = compact_number_lists(&pretty);
        out.push('\n');
        out
    }

    /// Parses and validates the JSON text of a weights file named `file`.
    pub fn parse(text: &str, file: &str) -> Result<WeightsFile, Diagnostic> {
        let w: WeightsFile = serde_json::from_str(text).map_err(|e| {
            Diagnostic::error(
                "E0803",
                format!("weights file `{file}` is not a valid weights file"),
            )
            .with_note(format!("{e}"))
        })?;
        w.validate(file)?;
        Ok(w)
    }
}

/// Writes `weights` to `path` through [`crate::output`] (atomically for a regular or new file,
/// in place for a FIFO or device). Inconsistent records (including non-finite numbers, which
/// JSON cannot hold) are refused before anything is written.
pub fn write_atomic(path: &Path, weights: &WeightsFile) -> Result<(), Diagnostic> {
    let out = Output::check(path).map_err(|e| e.to_diagnostic("E0801", "weights file"))?;
    write_to(&out, weights)
}

/// Writes `weights` to an output checked before the work started (see [`write_atomic`]).
pub fn write_to(out: &Output, weights: &WeightsFile) -> Result<(), Diagnostic> {
    weights.validate(&out.path().display().to_string())?;
    out.write(weights.to_json().as_bytes())
        .map_err(|e| e.to_diagnostic("E0801", "weights file"))
}

/// Reads and validates a weights file: JSON, or ONNX when the name ends in `.onnx`
/// ([`crate::onnx::from_onnx`]). A JSON syntax error is shown in the file itself, which
/// is then added to `sources`.
pub fn read(path: &Path, sources: &mut SourceMap) -> Result<WeightsFile, Diagnostic> {
    let name = path.display().to_string();
    if crate::onnx::is_onnx(path) {
        let bytes = std::fs::read(path).map_err(|e| {
            Diagnostic::error("E0802", format!("cannot read weights file `{name}`"))
                .with_note(e.to_string())
        })?;
        return crate::onnx::from_onnx(&bytes, &name);
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::error("E0802", format!("cannot read weights file `{name}`"))
            .with_note(e.to_string())
    })?;
    match serde_json::from_str::<WeightsFile>(&text) {
        Ok(w) => {
            w.validate(&name)?;
            Ok(w)
        }
        Err(e) => {
            let offset = byte_offset(&text, e.line(), e.column());
            let message = e.to_string();
            let label = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            let end = (offset + 1).min(text.len());
            let src = sources.add(name.clone(), Some(path), text);
            Err(Diagnostic::error(
                "E0803",
                format!("weights file `{name}` is not a valid weights file"),
            )
            .with_primary(Span::new(src, offset..end), label)
            .with_help(
                "weights files are written by `cnnc train`; see docs/WEIGHTS.md for the schema",
            ))
        }
    }
}

/// Joins the lines of every JSON list that holds only numbers: `[\n 1,\n 2\n]` → `[1, 2]`.
fn compact_number_lists(pretty: &str) -> String {
    let lines: Vec<&str> = pretty.lines().collect();
    let mut out = String::with_capacity(pretty.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.ends_with('[') {
            let items: Vec<&str> = lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .take_while(|l| l.trim_end_matches(',').parse::<f64>().is_ok())
                .collect();
            let close = lines.get(i + 1 + items.len()).map(|l| l.trim());
            if !items.is_empty() && matches!(close, Some("]") | Some("],")) {
                let joined: Vec<&str> = items.iter().map(|l| l.trim_end_matches(',')).collect();
                out.push_str(line);
                out.push_str(&joined.join(", "));
                out.push_str(close.unwrap_or("]"));
                out.push('\n');
                i += items.len() + 2;
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
        i += 1;
    }
    out.pop();
    out
}

/// The byte offset of a 1-based line and column (serde_json counts columns in bytes).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}
