//! `cnnc eval`: a trained network (weights file) applied to a model's data — predictions as
//! CSV and metrics on the training and test rows.
//!
//! The weights file records the standardization used in training, so the network takes raw
//! features: data the model standardized are mapped back to raw values first.

use std::fmt::Write as _;

use nalgebra::DMatrix;

use crate::diag::Diagnostic;
use crate::model::{Dataset, Model, TargetKind};
use crate::nn::metrics::{dataset_metrics, predicted_classes, DatasetMetrics};
use crate::nn::{DenseNet, WeightsFile};

/// Predictions and metrics of a network on a dataset.
pub struct Evaluation {
    /// CSV: `part,row,` the outputs, the targets and (for classes) the predicted class.
    pub csv: String,
    /// Train and test metrics (`None` without targets).
    pub metrics: Option<DatasetMetrics>,
}

/// The raw (unstandardized) features of `x`, a matrix of `data`.
fn raw(data: &Dataset, x: &DMatrix<f64>) -> DMatrix<f64> {
    let mut out = x.clone();
    if let Some(s) = &data.standardization {
        for j in 0..out.ncols().min(s.mean.len()) {
            for v in out.column_mut(j).iter_mut() {
                *v = *v * s.std[j] + s.mean[j];
            }
        }
    }
    out
}

/// The dataset the weights are evaluated on: the data of the model's network of the same name,
/// else the model's first dataset.
pub fn evaluate(
    model: &Model,
    weights: &WeightsFile,
    file: &str,
) -> Result<Evaluation, Vec<Diagnostic>> {
    let net: DenseNet = weights.to_network(file).map_err(|d| vec![d])?;
    let data_id = model
        .networks
        .iter()
        .find(|n| n.name == weights.network)
        .and_then(|n| n.input)
        .or_else(|| (!model.datasets.is_empty()).then_some(crate::model::DataId(0)));
    let Some(data_id) = data_id else {
        return Err(vec![Diagnostic::error(
            "E1105",
            "the model declares no data to evaluate on",
        )
        .with_help(
            "declare `data NAME = csv(...)`, or point it elsewhere with `--data NAME=path.csv`",
        )]);
    };
    let data = &model.datasets[data_id.0];
    if data.d() != net.inputs {
        return Err(vec![Diagnostic::error(
            "E1106",
            format!(
                "the network in `{file}` takes {} features, data `{}` has {}",
                net.inputs,
                data.name,
                data.d()
            ),
        )
        .with_primary(data.span, format!("{} features", data.d()))
        .with_note(format!(
            "the network was trained on: {}",
            weights.feature_names.join(", ")
        ))]);
    }
    let predict = |x: &DMatrix<f64>| net.forward(&raw(data, x));
    let diag = |e: crate::nn::EvalError| vec![e.to_diagnostic()];
    let metrics = dataset_metrics(data, predict).map_err(diag)?;
    let mut csv = String::from("part,row");
    let k = net.outputs();
    for c in 0..k {
        let _ = write!(
            csv,
            ",output{}",
            if k == 1 { String::new() } else { c.to_string() }
        );
    }
    for name in &data.target_names {
        let _ = write!(csv, ",{name}");
    }
    let classes = matches!(data.target_kind, Some(TargetKind::Classes));
    if classes {
        csv.push_str(",predicted_class");
    }
    csv.push('\n');
    for (part, x, y) in [
        ("train", &data.x, &data.y),
        ("test", &data.test_x, &data.test_y),
    ] {
        if x.nrows() == 0 {
            continue;
        }
        let out = predict(x).map_err(diag)?;
        let predicted = classes.then(|| predicted_classes(&out));
        for i in 0..x.nrows() {
            let _ = write!(csv, "{part},{i}");
            for c in 0..k {
                let _ = write!(csv, ",{}", out[(i, c)]);
            }
            for c in 0..y.ncols() {
                let _ = write!(csv, ",{}", y[(i, c)]);
            }
            if let Some(p) = &predicted {
                let _ = write!(
                    csv,
                    ",{}",
                    data.classes.get(p[i]).map_or("?", |c| c.name.as_str())
                );
            }
            csv.push('\n');
        }
    }
    Ok(Evaluation { csv, metrics })
}
