//! What `--plot` draws for each command, chosen from the data ([`crate::figures`] draws it):
//!
//! - a trained network (`train`, `eval`): for one input and a numeric target, the fitted
//!   function over the data with each first-layer neuron's breakpoint (where its pre-activation
//!   changes sign); for two inputs and classes, the decision regions with the samples; otherwise
//!   the predictions against the true values, per part (train, validation, test);
//! - `tune`: the train, validation and test metric against the constant (log scale when every
//!   value is positive), the chosen value marked;
//! - `compare`: every method's objective against its seconds, on log scales.

use nalgebra::DMatrix;

use super::report::Row;
use super::tune::Run;
use crate::diag::Diagnostic;
use crate::figures::{regions_svg, xy_svg, Chart, Regions, Series};
use crate::model::{Dataset, TargetKind};
use crate::nn::metrics::Metrics;
use crate::plot::PlotError;

/// Grid points of a fitted 1-D function.
const CURVE_POINTS: usize = 400;
/// Grid cells per axis of decision regions.
const REGION_CELLS: usize = 150;

/// A forward pass on inputs in the dataset's feature space: the outputs and, when there is
/// one, the first layer's pre-activations (one column per neuron).
pub type Forward<'a> =
    dyn Fn(&DMatrix<f64>) -> Result<(DMatrix<f64>, Option<DMatrix<f64>>), Diagnostic> + 'a;

/// The first layer's pre-activations of a forward pass, when they mark breakpoints: the layer
/// has an activation and another layer follows.
pub fn first_pre_activations(
    net: &crate::nn::network::DenseNet,
    trace: &crate::nn::network::Trace,
) -> Option<DMatrix<f64>> {
    let first = net.layers.first()?;
    (net.layers.len() > 1 && !first.activation.is_identity()).then(|| trace.pre[0].clone())
}

fn plot_error(e: PlotError) -> Diagnostic {
    Diagnostic::error("E1110", format!("cannot draw the plot: {e}"))
}

/// The parts of `data` that have rows: name, features, targets.
fn parts(data: &Dataset) -> Vec<(&'static str, &DMatrix<f64>, &DMatrix<f64>)> {
    [
        ("train", &data.x, &data.y),
        ("validation", &data.validation_x, &data.validation_y),
        ("test", &data.test_x, &data.test_y),
    ]
    .into_iter()
    .filter(|p| p.1.nrows() > 0)
    .collect()
}

/// Feature `c`'s range over every part, widened by 5 %.
fn range(parts: &[(&str, &DMatrix<f64>, &DMatrix<f64>)], c: usize) -> (f64, f64) {
    crate::figures::padded(
        parts
            .iter()
            .flat_map(|p| p.1.column(c).iter().copied().collect::<Vec<_>>()),
    )
    .unwrap_or((-1.0, 1.0))
}

/// The figure of a trained network on its data.
pub fn network(title: &str, data: &Dataset, forward: &Forward<'_>) -> Result<String, Diagnostic> {
    let Some(kind) = data.target_kind else {
        return Err(Diagnostic::error(
            "E1110",
            format!("nothing to plot: data `{}` has no targets", data.name),
        )
        .with_help("`--plot` draws predictions against targets, or the fitted function"));
    };
    let scaled = if data.standardization.is_some() {
        " (standardized)"
    } else {
        ""
    };
    match (data.d(), kind, data.y.ncols()) {
        (1, TargetKind::Values, 1) => fit_1d(title, data, forward, scaled),
        (2, TargetKind::Classes, _) => regions(title, data, forward, scaled),
        _ => predicted_vs_true(title, data, forward, kind),
    }
}

fn fit_1d(
    title: &str,
    data: &Dataset,
    forward: &Forward<'_>,
    scaled: &str,
) -> Result<String, Diagnostic> {
    let parts = parts(data);
    let (lo, hi) = range(&parts, 0);
    let grid = DMatrix::from_fn(CURVE_POINTS, 1, |i, _| {
        lo + (hi - lo) * i as f64 / (CURVE_POINTS - 1) as f64
    });
    let (out, pre) = forward(&grid)?;
    let mut breaks = Vec::new();
    if let Some(pre) = &pre {
        // A pre-activation is affine in x: its zero between two grid points is interpolated.
        for j in 0..pre.ncols() {
            for i in 0..CURVE_POINTS - 1 {
                let (a, b) = (pre[(i, j)], pre[(i + 1, j)]);
                if (a < 0.0) != (b < 0.0) && a != b {
                    let t = a / (a - b);
                    breaks.push(grid[i] + t * (grid[i + 1] - grid[i]));
                }
            }
        }
    }
    breaks.sort_by(f64::total_cmp);
    let chart = Chart {
        title: title.into(),
        x_label: format!("{}{scaled}", data.feature_names[0]),
        y_label: data.target_names[0].clone(),
        points: parts
            .iter()
            .map(|(name, x, y)| Series {
                name: format!("{name} ({})", x.nrows()),
                xy: x.iter().copied().zip(y.iter().copied()).collect(),
            })
            .collect(),
        lines: vec![Series {
            name: "network".into(),
            xy: grid.iter().copied().zip(out.iter().copied()).collect(),
        }],
        vlines: (format!("breakpoints ({})", breaks.len()), breaks),
        ..Chart::default()
    };
    xy_svg(&chart).map_err(plot_error)
}

/// The predicted class of each output row: the sign of one output, the largest of several.
fn classes_of(out: &DMatrix<f64>) -> Vec<usize> {
    (0..out.nrows())
        .map(|i| {
            if out.ncols() == 1 {
                usize::from(out[(i, 0)] > 0.0)
            } else {
                (0..out.ncols())
                    .max_by(|&a, &b| out[(i, a)].total_cmp(&out[(i, b)]))
                    .unwrap_or(0)
            }
        })
        .collect()
}

fn regions(
    title: &str,
    data: &Dataset,
    forward: &Forward<'_>,
    scaled: &str,
) -> Result<String, Diagnostic> {
    let parts = parts(data);
    let ((x0, x1), (y0, y1)) = (range(&parts, 0), range(&parts, 1));
    let n = REGION_CELLS;
    let grid = DMatrix::from_fn(n * n, 2, |k, c| {
        let (i, j) = (k % n, k / n);
        if c == 0 {
            x0 + (x1 - x0) * (i as f64 + 0.5) / n as f64
        } else {
            y0 + (y1 - y0) * (j as f64 + 0.5) / n as f64
        }
    });
    let (out, _) = forward(&grid)?;
    let mut samples = Vec::new();
    for (_, x, y) in &parts {
        let truth = classes_of(y);
        for i in 0..x.nrows() {
            samples.push((truth[i], x[(i, 0)], x[(i, 1)]));
        }
    }
    let r = Regions {
        title: title.into(),
        labels: (
            format!("{}{scaled}", data.feature_names[0]),
            format!("{}{scaled}", data.feature_names[1]),
        ),
        ranges: ((x0, x1), (y0, y1)),
        cells: n,
        grid: classes_of(&out),
        classes: data.classes.iter().map(|c| c.name.clone()).collect(),
        samples,
    };
    regions_svg(&r).map_err(plot_error)
}

fn predicted_vs_true(
    title: &str,
    data: &Dataset,
    forward: &Forward<'_>,
    kind: TargetKind,
) -> Result<String, Diagnostic> {
    let mut points = Vec::new();
    for (name, x, y) in parts(data) {
        let (out, _) = forward(x)?;
        points.push(Series {
            name: format!("{name} ({})", x.nrows()),
            xy: y.iter().copied().zip(out.iter().copied()).collect(),
        });
    }
    let what = match kind {
        TargetKind::Values => "true value",
        TargetKind::Classes => "class (−1/+1 coding)",
    };
    let chart = Chart {
        title: title.into(),
        x_label: what.into(),
        y_label: "predicted".into(),
        points,
        diagonal: kind == TargetKind::Values,
        ..Chart::default()
    };
    xy_svg(&chart).map_err(plot_error)
}

/// The main metric of one part of a run.
fn metric(m: Option<&Metrics>) -> Option<f64> {
    match m? {
        Metrics::Regression(r) => Some(r.mse),
        Metrics::Classification(c) => Some(c.balanced_error),
    }
}

/// `tune --plot`: each part's metric against the constant.
pub fn sweep(
    title: &str,
    name: &str,
    runs: &[Run],
    best: Option<usize>,
) -> Result<String, Diagnostic> {
    let log_x = runs.iter().all(|r| r.value > 0.0);
    let regression = runs.iter().any(|r| {
        matches!(
            r.report
                .as_ref()
                .and_then(|p| p.metrics.as_ref())
                .map(|m| &m.train),
            Some(Metrics::Regression(_))
        )
    });
    let lines = ["train", "validation", "test"]
        .iter()
        .map(|part| Series {
            name: (*part).into(),
            xy: runs
                .iter()
                .filter_map(|r| {
                    let m = r.report.as_ref()?.metrics.as_ref()?;
                    let v = match *part {
                        "train" => metric(Some(&m.train)),
                        "validation" => metric(m.validation.as_ref()),
                        _ => metric(m.test.as_ref()),
                    }?;
                    Some((r.value, v))
                })
                .collect(),
        })
        .filter(|s| !s.xy.is_empty())
        .collect();
    let chart = Chart {
        title: title.into(),
        x_label: name.into(),
        y_label: if regression { "MSE" } else { "balanced error" }.into(),
        log_x,
        lines,
        vlines: (
            "chosen".into(),
            best.map(|i| vec![runs[i].value]).unwrap_or_default(),
        ),
        ..Chart::default()
    };
    xy_svg(&chart).map_err(plot_error)
}

/// `compare --plot`: each method's objective against its seconds.
pub fn compare(title: &str, rows: &[Row]) -> Result<String, Diagnostic> {
    let mut points = Vec::new();
    let mut labels = Vec::new();
    for r in rows {
        if let Some(o) = r.objective() {
            let t = r.seconds().max(1e-4);
            points.push(Series {
                name: r.method().to_string(),
                xy: vec![(t, o)],
            });
            labels.push((t, o, r.method().to_string()));
        }
    }
    let chart = Chart {
        title: title.into(),
        x_label: "seconds".into(),
        y_label: "objective".into(),
        log_x: true,
        log_y: true,
        points,
        labels,
        ..Chart::default()
    };
    xy_svg(&chart).map_err(plot_error)
}
