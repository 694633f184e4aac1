//! `cnnc eval`: a trained network (weights file) applied to a model's data — predictions as
//! CSV and metrics on the training and test rows.
//!
//! The weights file records the standardization used in training, so the network takes raw
//! features: data the model standardized are mapped back to raw values first. The file must fit
//! the data: features are matched by name (E1106 names the missing and the extra columns),
//! targets by kind, names and count (E1107), activations are resolved against the model's own
//! first, and a prediction that is not finite is an error (E1108).

use std::fmt::Write as _;

use nalgebra::DMatrix;

use crate::diag::Diagnostic;
use crate::model::{Dataset, Model, TargetKind};
use crate::nn::activation::ActivationFn;
use crate::nn::metrics::{predicted_classes, DatasetMetrics};
use crate::nn::weights::TargetKindName;
use crate::nn::{DenseNet, WeightsFile};

/// Predictions and metrics of a network on a dataset.
pub struct Evaluation {
    /// CSV: `part,row,` the outputs, the targets and (for classes) the predicted class.
    pub csv: String,
    /// Train and test metrics (`None` without targets).
    pub metrics: Option<DatasetMetrics>,
    /// The figure, when one was asked for (SVG).
    pub figure: Option<String>,
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

/// The numeric form of activation `name` as the model defines it (from the layers of its
/// networks), if it uses one of that name.
fn model_activation(model: &Model, name: &str) -> Option<ActivationFn> {
    model
        .networks
        .iter()
        .flat_map(|n| &n.layers)
        .find(|l| l.activation.name == name)
        .map(|l| ActivationFn::from_model(&l.activation))
}

/// For each input of the network, the data column that feeds it. Features are matched by name
/// when the weights file records them, else by position (the widths must agree).
fn feature_columns(
    weights: &WeightsFile,
    net: &DenseNet,
    data: &Dataset,
    file: &str,
) -> Result<Vec<usize>, Diagnostic> {
    if weights.feature_names.is_empty() {
        if data.d() != net.inputs {
            return Err(Diagnostic::error(
                "E1106",
                format!(
                    "the network in `{file}` takes {} features, data `{}` has {}",
                    net.inputs,
                    data.name,
                    data.d()
                ),
            )
            .with_primary(data.span, format!("{} features", data.d()))
            .with_note(format!("`{file}` records no feature names")));
        }
        return Ok((0..net.inputs).collect());
    }
    let position = |name: &String| data.feature_names.iter().position(|f| f == name);
    let missing: Vec<&str> = weights
        .feature_names
        .iter()
        .filter(|n| position(n).is_none())
        .map(String::as_str)
        .collect();
    let extra: Vec<&str> = data
        .feature_names
        .iter()
        .filter(|f| !weights.feature_names.contains(f))
        .map(String::as_str)
        .collect();
    if missing.is_empty() && extra.is_empty() {
        return Ok(weights.feature_names.iter().filter_map(position).collect());
    }
    let list = |names: &[&str]| {
        if names.is_empty() {
            "none".to_string()
        } else {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    Err(Diagnostic::error(
        "E1106",
        format!(
            "the network in `{file}` was trained on other features than data `{}` has",
            data.name
        ),
    )
    .with_primary(data.span, "these features")
    .with_note(format!(
        "trained on but missing from the data: {}",
        list(&missing)
    ))
    .with_note(format!(
        "in the data but not an input of the network: {}",
        list(&extra)
    ))
    .with_help(format!(
        "declare the features the network was trained on: features = [{}]",
        weights.feature_names.join(", ")
    )))
}

/// Checks that the network predicts what the data's targets are: the kind, the number of
/// outputs and the names recorded in the weights file.
fn check_targets(
    weights: &WeightsFile,
    net: &DenseNet,
    data: &Dataset,
    file: &str,
) -> Result<(), Diagnostic> {
    let Some(kind) = &data.target_kind else {
        return Ok(());
    };
    let (kind_name, names, outputs_ok) = match kind {
        TargetKind::Values => (
            TargetKindName::Values,
            data.target_names.clone(),
            net.outputs() == data.target_names.len(),
        ),
        TargetKind::Classes => {
            let k = data.classes.len();
            (
                TargetKindName::Classes,
                data.classes.iter().map(|c| c.name.clone()).collect(),
                net.outputs() == k || (k == 2 && net.outputs() == 1),
            )
        }
    };
    let what = |k: TargetKindName| match k {
        TargetKindName::Values => "numeric targets",
        TargetKindName::Classes => "classes",
    };
    let fail = |message: String, note: String| {
        Err(Diagnostic::error("E1107", message)
            .with_primary(data.span, "the data evaluated on")
            .with_note(note)
            .with_help("evaluate the weights on data like the data they were trained on"))
    };
    let quoted = |names: &[String]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(t) = &weights.target {
        if t.kind != kind_name {
            return fail(
                format!(
                    "the network in `{file}` predicts {}, data `{}` has {}",
                    what(t.kind),
                    data.name,
                    what(kind_name)
                ),
                format!("`{file}` was trained to predict {}", quoted(&t.names)),
            );
        }
        if t.names != names {
            return fail(
                format!(
                    "the network in `{file}` predicts {} other than those of data `{}`",
                    what(kind_name),
                    data.name
                ),
                format!(
                    "`{file}` predicts {}; the data has {}",
                    quoted(&t.names),
                    quoted(&names)
                ),
            );
        }
    }
    if !outputs_ok {
        return fail(
            format!(
                "the network in `{file}` has {} output{}, data `{}` has {} {}",
                net.outputs(),
                if net.outputs() == 1 { "" } else { "s" },
                data.name,
                names.len(),
                what(kind_name)
            ),
            format!("the data's targets: {}", quoted(&names)),
        );
    }
    Ok(())
}

/// The network's predictions on the features `x` of `part` (`train` or `test`) of `data`.
fn predict(
    net: &DenseNet,
    data: &Dataset,
    columns: &[usize],
    (part, x): (&str, &DMatrix<f64>),
    file: &str,
) -> Result<DMatrix<f64>, Diagnostic> {
    let raw = raw(data, x);
    let input = DMatrix::from_fn(raw.nrows(), columns.len(), |i, j| raw[(i, columns[j])]);
    let out = net.forward(&input).map_err(|e| e.to_diagnostic())?;
    for i in 0..out.nrows() {
        for c in 0..out.ncols() {
            let v = out[(i, c)];
            if !v.is_finite() {
                return Err(Diagnostic::error(
                    "E1108",
                    format!(
                        "the network in `{file}` predicts {v} for {part} row {i} of data `{}`",
                        data.name
                    ),
                )
                .with_primary(data.span, "evaluated on this data")
                .with_note("a prediction must be a finite number; the weights (or the features) are too large for it")
                .with_help("check the weights file, or retrain with bounded weights or weight decay"));
            }
        }
    }
    Ok(out)
}

/// The dataset the weights are evaluated on: the data of the model's network of the same name,
/// else the model's first dataset. Features are matched by name, the targets must be those the
/// network was trained for, and every prediction must be a finite number.
pub fn evaluate(
    model: &Model,
    weights: &WeightsFile,
    file: &str,
) -> Result<Evaluation, Vec<Diagnostic>> {
    evaluate_and_plot(model, weights, file, None)
}

/// [`evaluate`], and with a title the figure of the network on its data
/// ([`super::figures::network`]) in [`Evaluation::figure`].
pub fn evaluate_and_plot(
    model: &Model,
    weights: &WeightsFile,
    file: &str,
    title: Option<&str>,
) -> Result<Evaluation, Vec<Diagnostic>> {
    let net: DenseNet = weights
        .to_network(file, |name| model_activation(model, name))
        .map_err(|d| vec![d])?;
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
    let columns = feature_columns(weights, &net, data, file).map_err(|d| vec![d])?;
    check_targets(weights, &net, data, file).map_err(|d| vec![d])?;
    let mut parts = Vec::with_capacity(3);
    for (part, x, y) in [
        ("train", &data.x, &data.y),
        ("validation", &data.validation_x, &data.validation_y),
        ("test", &data.test_x, &data.test_y),
    ] {
        if x.nrows() > 0 {
            let out = predict(&net, data, &columns, (part, x), file).map_err(|d| vec![d])?;
            parts.push((part, out, y));
        }
    }
    let diag = |e: crate::nn::EvalError| vec![e.to_diagnostic()];
    let of = |name: &str| -> Result<Option<crate::nn::metrics::Metrics>, Vec<Diagnostic>> {
        match parts.iter().find(|p| p.0 == name) {
            Some((_, out, y)) => crate::nn::metrics::metrics(data, out, y).map_err(diag),
            None => Ok(None),
        }
    };
    let metrics = match of("train")? {
        Some(train) => Some(DatasetMetrics {
            train,
            validation: of("validation")?,
            test: of("test")?,
        }),
        None => None,
    };
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
    for (part, out, y) in &parts {
        let predicted = classes.then(|| predicted_classes(out));
        for i in 0..out.nrows() {
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
    let figure = match title {
        Some(t) => {
            let forward = |x: &DMatrix<f64>| {
                let raw = raw(data, x);
                let input =
                    DMatrix::from_fn(raw.nrows(), columns.len(), |i, j| raw[(i, columns[j])]);
                let trace = net.forward_trace(&input).map_err(|e| e.to_diagnostic())?;
                Ok((
                    trace.output.clone(),
                    super::figures::first_pre_activations(&net, &trace),
                ))
            };
            Some(super::figures::network(t, data, &forward).map_err(|d| vec![d])?)
        }
        None => None,
    };
    Ok(Evaluation {
        csv,
        metrics,
        figure,
    })
}
