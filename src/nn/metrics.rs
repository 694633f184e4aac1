//! Metrics of predictions against targets, for regression and classification.
//!
//! Regression, with residuals `r = ŷ − y` over all `N` entries: the loss `½‖r‖²` (the scaling
//! of `squared_error`), `MSE = ‖r‖² / N`, `MAE = ‖r‖₁ / N` and `R² = 1 − ‖r‖² / Σ (y − ȳ)²`
//! (column means `ȳ`; undefined for constant targets). Classification, with targets coded
//! −1/+1: one column means two classes, class 1 (+1) predicted where `ŷ > 0`, class 0
//! otherwise; several columns are one-vs-rest, the class of the largest output is predicted.
//! Reported: accuracy, each class's count, errors and error rate, the balanced error (the mean
//! of the error rates of the classes present, `1 − balanced accuracy`), the error of the
//! minority class (the class with the fewest samples present, the first on ties), and the
//! confusion counts.

use nalgebra::DMatrix;
use serde::Serialize;

use crate::model::{Dataset, TargetKind};

use super::EvalError;

/// Regression metrics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Regression {
    /// Number of samples.
    pub n: usize,
    /// `½‖ŷ − y‖²`.
    pub loss: f64,
    /// Mean squared error over all entries.
    pub mse: f64,
    /// Mean absolute error over all entries.
    pub mae: f64,
    /// Coefficient of determination; `None` when the targets are constant.
    pub r2: Option<f64>,
}

/// Error counts of one class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassError {
    /// Class name.
    pub name: String,
    /// Samples of the class.
    pub count: usize,
    /// Misclassified samples of the class.
    pub errors: usize,
    /// `errors / count` (0 for an empty class).
    pub error_rate: f64,
}

/// Classification metrics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classification {
    /// Number of samples.
    pub n: usize,
    /// `½‖ŷ − y‖²` on the −1/+1 coding.
    pub loss: f64,
    /// Fraction of correctly classified samples (0 without samples).
    pub accuracy: f64,
    /// Per-class errors, in the order of the class names.
    pub classes: Vec<ClassError>,
    /// The mean error rate of the classes with samples (0 without samples).
    pub balanced_error: f64,
    /// The class with the fewest samples (of those with any; the first on ties).
    pub minority: Option<ClassError>,
    /// `confusion[true][predicted]` sample counts.
    pub confusion: Vec<Vec<usize>>,
}

/// Metrics on the training and the test part of a dataset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatasetMetrics {
    /// On the training rows.
    pub train: Metrics,
    /// On the validation rows, if the dataset has some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<Metrics>,
    /// On the test rows, if the dataset was split.
    pub test: Option<Metrics>,
}

/// Regression or classification metrics.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Metrics {
    /// Numeric targets.
    Regression(Regression),
    /// Class labels.
    Classification(Classification),
}

/// `|a − b| / max(|a|, |b|)` (0 when both are 0): how far a recomputed objective is from the
/// convex optimum it should equal.
pub fn relative_difference(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

fn check_shapes(pred: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<(), EvalError> {
    if pred.shape() == y.shape() {
        Ok(())
    } else {
        Err(EvalError::Shape {
            op: "metrics",
            a: pred.shape(),
            b: y.shape(),
        })
    }
}

/// Regression metrics of predictions `pred` against targets `y` (both n×k).
pub fn regression(pred: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<Regression, EvalError> {
    check_shapes(pred, y)?;
    let r = pred - y;
    let entries = r.len().max(1) as f64;
    let sse = r.norm_squared();
    let sst: f64 = y
        .column_iter()
        .map(|c| {
            let m = c.mean();
            c.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
        })
        .sum();
    Ok(Regression {
        n: y.nrows(),
        loss: 0.5 * sse,
        mse: sse / entries,
        mae: r.iter().map(|v| v.abs()).sum::<f64>() / entries,
        r2: (sst > 0.0).then(|| 1.0 - sse / sst),
    })
}

/// The class of each row: for one column class 1 where the value is positive, else class 0;
/// for several, the column of the largest value (the first on ties).
pub fn predicted_classes(out: &DMatrix<f64>) -> Vec<usize> {
    out.row_iter()
        .map(|row| {
            if row.len() == 1 {
                usize::from(row[0] > 0.0)
            } else {
                let mut best = 0;
                for (j, v) in row.iter().enumerate() {
                    if *v > row[best] {
                        best = j;
                    }
                }
                best
            }
        })
        .collect()
}

/// Classification metrics of outputs `pred` against −1/+1 targets `y` (both n×k), with the
/// class names in the order of [`Dataset::classes`].
pub fn classification(
    pred: &DMatrix<f64>,
    y: &DMatrix<f64>,
    class_names: &[String],
) -> Result<Classification, EvalError> {
    check_shapes(pred, y)?;
    let k = class_names.len();
    let want = if y.ncols() == 1 { 2 } else { y.ncols() };
    if k != want {
        return Err(EvalError::Shape {
            op: "classes",
            a: (k, 1),
            b: y.shape(),
        });
    }
    let truth = predicted_classes(y);
    let guess = predicted_classes(pred);
    let mut confusion = vec![vec![0; k]; k];
    for (&t, &p) in truth.iter().zip(&guess) {
        confusion[t][p] += 1;
    }
    let classes: Vec<ClassError> = class_names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let count: usize = confusion[c].iter().sum();
            let errors = count - confusion[c][c];
            ClassError {
                name: name.clone(),
                count,
                errors,
                error_rate: if count == 0 {
                    0.0
                } else {
                    errors as f64 / count as f64
                },
            }
        })
        .collect();
    let n = y.nrows();
    let correct: usize = (0..k).map(|c| confusion[c][c]).sum();
    let present: Vec<&ClassError> = classes.iter().filter(|c| c.count > 0).collect();
    let balanced_error = if present.is_empty() {
        0.0
    } else {
        present.iter().map(|c| c.error_rate).sum::<f64>() / present.len() as f64
    };
    let mut minority: Option<&ClassError> = None;
    for c in &present {
        if minority.is_none_or(|m| c.count < m.count) {
            minority = Some(c);
        }
    }
    let minority = minority.cloned();
    Ok(Classification {
        n,
        loss: 0.5 * (pred - y).norm_squared(),
        accuracy: if n == 0 {
            0.0
        } else {
            correct as f64 / n as f64
        },
        classes,
        balanced_error,
        minority,
        confusion,
    })
}

/// Metrics of `pred` against the targets `y` of a dataset, by its target kind (`None` for a
/// dataset without targets).
pub fn metrics(
    data: &Dataset,
    pred: &DMatrix<f64>,
    y: &DMatrix<f64>,
) -> Result<Option<Metrics>, EvalError> {
    Ok(match data.target_kind {
        None => None,
        Some(TargetKind::Values) => Some(Metrics::Regression(regression(pred, y)?)),
        Some(TargetKind::Classes) => {
            let names: Vec<String> = data.classes.iter().map(|c| c.name.clone()).collect();
            Some(Metrics::Classification(classification(pred, y, &names)?))
        }
    })
}

/// Train and test metrics of a dataset given a prediction function of the features (such as
/// a network's forward pass).
pub fn dataset_metrics(
    data: &Dataset,
    predict: impl Fn(&DMatrix<f64>) -> Result<DMatrix<f64>, EvalError>,
) -> Result<Option<DatasetMetrics>, EvalError> {
    let Some(train) = metrics(data, &predict(&data.x)?, &data.y)? else {
        return Ok(None);
    };
    let part = |x: &DMatrix<f64>, y: &DMatrix<f64>| -> Result<Option<Metrics>, EvalError> {
        if x.nrows() > 0 {
            metrics(data, &predict(x)?, y)
        } else {
            Ok(None)
        }
    };
    let validation = part(&data.validation_x, &data.validation_y)?;
    let test = part(&data.test_x, &data.test_y)?;
    Ok(Some(DatasetMetrics {
        train,
        validation,
        test,
    }))
}
