//! SVG figures of data and trained networks (`--plot` on `train`, `eval`, `tune`, `compare`):
//! points and lines on linear or log axes ([`xy_svg`]) and decision regions ([`regions_svg`]).
//!
//! A log axis is drawn as a linear axis of `log₁₀ v` labelled `10^k`; a value it cannot show
//! (≤ 0 or not finite) is left out, as are non-finite values on a linear axis. A figure with no
//! point to show is [`PlotError::NothingToPlot`]. Same size, font and colours as [`crate::plot`].

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::plot::{draw_error, register_font_once, PlotError, COLOURS};

const SIZE: (u32, u32) = (800, 600);

/// A set of points or a polyline, with its legend name.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// The legend's name (none when empty).
    pub name: String,
    /// The points, in data units.
    pub xy: Vec<(f64, f64)>,
}

/// A figure of points and lines.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// Title.
    pub title: String,
    /// X axis description.
    pub x_label: String,
    /// Y axis description.
    pub y_label: String,
    /// Log-scale x axis.
    pub log_x: bool,
    /// Log-scale y axis.
    pub log_y: bool,
    /// Scatter series (dots), coloured in order.
    pub points: Vec<Series>,
    /// Polylines, coloured after the points.
    pub lines: Vec<Series>,
    /// Dashed vertical lines at these x (e.g. a ReLU network's breakpoints), with their legend.
    pub vlines: (String, Vec<f64>),
    /// Draw the line y = x (predicted against true).
    pub diagonal: bool,
    /// Text labels at points.
    pub labels: Vec<(f64, f64, String)>,
}

fn axis(v: f64, log: bool) -> Option<f64> {
    let t = if log {
        if v > 0.0 {
            v.log10()
        } else {
            return None;
        }
    } else {
        v
    };
    t.is_finite().then_some(t)
}

fn map(xy: &[(f64, f64)], c: &Chart) -> Vec<(f64, f64)> {
    xy.iter()
        .filter_map(|&(x, y)| Some((axis(x, c.log_x)?, axis(y, c.log_y)?)))
        .collect()
}

/// The range of `vals`, widened by 5 % (a single value by ±1); `None` when empty.
pub fn padded(vals: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = vals.fold(None, |acc: Option<(f64, f64)>, v| match acc {
        None => Some((v, v)),
        Some((a, b)) => Some((a.min(v), b.max(v))),
    })?;
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    Some((lo - pad, hi + pad))
}

fn tick(v: f64, log: bool) -> String {
    if log {
        let r = v.round();
        if (v - r).abs() < 1e-9 {
            format!("1e{r}")
        } else {
            format!("{:.3}", 10f64.powf(v))
        }
    } else if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
        format!("{v:.1e}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Draws `c` as SVG.
pub fn xy_svg(c: &Chart) -> Result<String, PlotError> {
    let points: Vec<Vec<(f64, f64)>> = c.points.iter().map(|s| map(&s.xy, c)).collect();
    let lines: Vec<Vec<(f64, f64)>> = c.lines.iter().map(|s| map(&s.xy, c)).collect();
    let all = || points.iter().chain(&lines).flatten();
    if all().next().is_none() {
        return Err(PlotError::NothingToPlot);
    }
    let vx: Vec<f64> = c
        .vlines
        .1
        .iter()
        .filter_map(|&x| axis(x, c.log_x))
        .collect();
    let (mut x0, mut x1) = padded(all().map(|p| p.0)).ok_or(PlotError::NothingToPlot)?;
    let (mut y0, mut y1) = padded(all().map(|p| p.1)).ok_or(PlotError::NothingToPlot)?;
    if c.diagonal {
        (x0, x1) = (x0.min(y0), x1.max(y1));
        (y0, y1) = (x0, x1);
    }
    register_font_once()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw_xy(&root, c, &points, &lines, &vx, (x0..x1, y0..y1)).map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type Failure = DrawingAreaErrorKind<std::io::Error>;
type Frame<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// The titled chart area of every figure, on white.
fn frame<'a, 'b>(
    root: &'a Area<'b>,
    title: &str,
    (xr, yr): (std::ops::Range<f64>, std::ops::Range<f64>),
) -> Result<Frame<'a, 'b>, Failure> {
    root.fill(&WHITE)?;
    ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d(xr, yr)
}

/// The legend, in the upper left corner.
fn legend<'a, 'b: 'a>(chart: &mut Frame<'a, 'b>) -> Result<(), Failure> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 15).into_font())
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
}

fn draw_xy(
    root: &Area<'_>,
    c: &Chart,
    points: &[Vec<(f64, f64)>],
    lines: &[Vec<(f64, f64)>],
    vx: &[f64],
    (xr, yr): (std::ops::Range<f64>, std::ops::Range<f64>),
) -> Result<(), Failure> {
    let mut chart = frame(root, &c.title, (xr.clone(), yr.clone()))?;
    let font = ("sans-serif", 15).into_font();
    chart
        .configure_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .axis_desc_style(font.clone())
        .label_style(font.clone())
        .x_label_formatter(&|v| tick(*v, c.log_x))
        .y_label_formatter(&|v| tick(*v, c.log_y))
        .bold_line_style(BLACK.mix(0.15))
        .light_line_style(BLACK.mix(0.05))
        .draw()?;
    if c.diagonal {
        let grey = BLACK.mix(0.5);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(xr.start, xr.start), (xr.end, xr.end)],
                grey.stroke_width(1),
            )))?
            .label("y = x")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
    }
    if !vx.is_empty() {
        let grey = RGBColor(0x99, 0x99, 0x99);
        let dashes = vx.iter().flat_map(|&x| {
            let steps = 40;
            let h = (yr.end - yr.start) / steps as f64;
            (0..steps).step_by(2).map(move |k| {
                let y = yr.start + k as f64 * h;
                PathElement::new(vec![(x, y), (x, y + h)], grey.stroke_width(1))
            })
        });
        let anno = chart.draw_series(dashes)?;
        if !c.vlines.0.is_empty() {
            anno.label(c.vlines.0.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
        }
    }
    for (i, (s, xy)) in c.points.iter().zip(points).enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let anno = chart.draw_series(xy.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
        if !s.name.is_empty() {
            anno.label(s.name.as_str())
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.filled()));
        }
    }
    for (i, (s, xy)) in c.lines.iter().zip(lines).enumerate() {
        let colour = COLOURS[(i + c.points.len()) % COLOURS.len()];
        let anno = chart.draw_series(std::iter::once(PathElement::new(
            xy.clone(),
            colour.stroke_width(2),
        )))?;
        if !s.name.is_empty() {
            anno.label(s.name.as_str()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        }
    }
    let style = ("sans-serif", 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Bottom));
    for (x, y, text) in &c.labels {
        if let (Some(x), Some(y)) = (axis(*x, c.log_x), axis(*y, c.log_y)) {
            chart.draw_series(std::iter::once(Text::new(
                format!(" {text}"),
                (x, y),
                style.clone(),
            )))?;
        }
    }
    legend(&mut chart)
}

/// Decision regions on a grid and the data over them.
#[derive(Clone, Debug)]
pub struct Regions {
    /// Title.
    pub title: String,
    /// Axis descriptions.
    pub labels: (String, String),
    /// The grid's x and y ranges.
    pub ranges: ((f64, f64), (f64, f64)),
    /// Grid cells per axis.
    pub cells: usize,
    /// The predicted class of cell `(i, j)` at `i + j·cells` (x index i, y index j).
    pub grid: Vec<usize>,
    /// Class names, by index.
    pub classes: Vec<String>,
    /// The samples: their class and position.
    pub samples: Vec<(usize, f64, f64)>,
}

/// Draws `r` as SVG: each class's region in a light tint of its colour, runs of equal cells
/// merged into one rectangle, the samples as dots in the class's colour.
pub fn regions_svg(r: &Regions) -> Result<String, PlotError> {
    if r.samples.is_empty() || r.cells == 0 || r.grid.len() != r.cells * r.cells {
        return Err(PlotError::NothingToPlot);
    }
    register_font_once()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw_regions(&root, r).map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

fn draw_regions(root: &Area<'_>, r: &Regions) -> Result<(), Failure> {
    let ((x0, x1), (y0, y1)) = r.ranges;
    let mut chart = frame(root, &r.title, (x0..x1, y0..y1))?;
    let font = ("sans-serif", 15).into_font();
    chart
        .configure_mesh()
        .x_desc(r.labels.0.as_str())
        .y_desc(r.labels.1.as_str())
        .axis_desc_style(font.clone())
        .label_style(font.clone())
        .x_label_formatter(&|v| tick(*v, false))
        .y_label_formatter(&|v| tick(*v, false))
        .disable_mesh()
        .draw()?;
    let (dx, dy) = ((x1 - x0) / r.cells as f64, (y1 - y0) / r.cells as f64);
    let mut rects = Vec::new();
    for j in 0..r.cells {
        let mut i = 0;
        while i < r.cells {
            let class = r.grid[i + j * r.cells];
            let start = i;
            while i < r.cells && r.grid[i + j * r.cells] == class {
                i += 1;
            }
            let tint = COLOURS[class % COLOURS.len()].mix(0.25);
            let a = (x0 + start as f64 * dx, y0 + j as f64 * dy);
            let b = (x0 + i as f64 * dx, y0 + (j + 1) as f64 * dy);
            rects.push(Rectangle::new([a, b], tint.filled()));
        }
    }
    chart.draw_series(rects)?;
    for (k, name) in r.classes.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        chart
            .draw_series(
                r.samples
                    .iter()
                    .filter(|s| s.0 == k)
                    .map(|s| Circle::new((s.1, s.2), 4, colour.filled())),
            )?
            .label(name.as_str())
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.filled()));
    }
    legend(&mut chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_leave_out_what_they_cannot_show() {
        let c = Chart {
            log_y: true,
            points: vec![Series {
                name: "a".into(),
                xy: vec![(1.0, 0.0), (2.0, -1.0), (3.0, f64::NAN)],
            }],
            ..Chart::default()
        };
        assert!(matches!(xy_svg(&c), Err(PlotError::NothingToPlot)));
        let c = Chart {
            log_y: true,
            points: vec![Series {
                name: "a".into(),
                xy: vec![(1.0, 10.0), (2.0, -1.0), (3.0, 1000.0)],
            }],
            ..Chart::default()
        };
        let svg = xy_svg(&c).unwrap();
        assert_eq!(
            svg.matches("<circle").count(),
            2 + 1,
            "two points and the legend's"
        );
        assert!(svg.contains("1e1") && svg.contains("1e3"), "decade ticks");
    }

    #[test]
    fn equal_cells_in_a_row_are_one_rectangle() {
        let r = Regions {
            title: "t".into(),
            labels: ("x".into(), "y".into()),
            ranges: ((0.0, 1.0), (0.0, 1.0)),
            cells: 4,
            // Left half class 0, right half class 1, in every row.
            grid: (0..16).map(|k| usize::from(k % 4 >= 2)).collect(),
            classes: vec!["a".into(), "b".into()],
            samples: vec![(0, 0.1, 0.1), (1, 0.9, 0.9)],
        };
        let svg = regions_svg(&r).unwrap();
        // 4 rows × 2 runs, plus the legend box and the background.
        let rects = svg.matches("<rect").count();
        assert!((8..=11).contains(&rects), "{rects}");
    }
}
