//! SVG line plots of per-iteration series on a log-scale y axis: the convergence figures of the
//! sequential methods (violation, fit, objective change per iteration).
//!
//! A log axis cannot show a value ≤ 0 or a non-finite one (nor, here, one outside
//! [10⁻³⁰⁰, 10³⁰⁰]). Such values are left out: the line breaks there (a value with no shown
//! neighbour is drawn as a dot), and [`Plot::left_out`] lists them per series so the caller can
//! say so. A plot with no value to show at all is [`PlotError::NothingToPlot`].
//!
//! Layout: the y axis spans the whole decades around the shown values, labelled `10ᵏ` with light
//! lines at 2–9 × 10ᵏ; the plotting area's height is chosen so that every decade is a whole
//! number of pixels (decade lines are crisp and equal ratios are exactly equally spaced). The x
//! axis is "iteration", 1 to the longest series' length, with integer ticks. The legend goes in
//! the corner with the fewest data points.

use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The plot's size in pixels.
const SIZE: (u32, u32) = (800, 500);
/// The font plotters measures text with (ab_glyph needs one registered before any text).
pub(crate) const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
/// Line colours, cycled: matplotlib's `tab10`.
pub(crate) const COLOURS: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// One line of the plot: value `k` belongs to iteration `k + 1`.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend's name for the line.
    pub name: String,
    /// One value per iteration, from iteration 1.
    pub values: Vec<f64>,
}

/// A drawn plot: the SVG text and the values that could not be shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The SVG document.
    pub svg: String,
    /// Per series with values the axis cannot show (in input order), the iterations left out.
    pub left_out: Vec<LeftOut>,
}

/// The iterations of one series whose values were left out of the log-scale plot.
#[derive(Clone, Debug, PartialEq)]
pub struct LeftOut {
    /// The series' name.
    pub series: String,
    /// The 1-based iterations left out, ascending.
    pub iterations: Vec<usize>,
}

impl fmt::Display for LeftOut {
    /// E.g. ``series `fit`: 3 values left out of the log-scale plot (≤ 0, not finite or beyond
    /// 1e±300): iterations 4, 8–9``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.iterations.len();
        let (values, its) = if n == 1 {
            ("value", "iteration")
        } else {
            ("values", "iterations")
        };
        write!(
            f,
            "series `{}`: {n} {values} left out of the log-scale plot (≤ 0, not finite or \
             beyond 1e±300): {its} {}",
            self.series,
            ranges(&self.iterations)
        )
    }
}

/// Why no plot was drawn.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlotError {
    /// No series has a value a log axis can show.
    #[error(
        "nothing to plot: no series has a value a log-scale axis can show (positive, finite, \
         within 1e±300)"
    )]
    NothingToPlot,
    /// The embedded font was rejected (a build defect, reported rather than panicking).
    #[error("the plot's embedded font could not be loaded")]
    Font,
    /// plotters failed while drawing.
    #[error("drawing the plot failed: {0}")]
    Draw(String),
}

/// Draws `series` against iteration on a log-scale y axis, titled `title`, with `y_label`
/// beside the y axis and a legend of the series' names.
pub fn log_plot_svg(title: &str, y_label: &str, series: &[Series]) -> Result<Plot, PlotError> {
    let (lo, hi) = series
        .iter()
        .flat_map(|s| s.values.iter().copied().filter(|v| shown(*v)))
        .fold(None, |acc: Option<(f64, f64)>, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
        .ok_or(PlotError::NothingToPlot)?;
    register_font_once()?;

    let left_out = series
        .iter()
        .filter_map(|s| {
            let iterations: Vec<usize> = (1..=s.values.len())
                .filter(|&i| !shown(s.values[i - 1]))
                .collect();
            (!iterations.is_empty()).then(|| LeftOut {
                series: s.name.clone(),
                iterations,
            })
        })
        .collect();
    let iterations = series.iter().map(|s| s.values.len()).max().unwrap_or(1);
    let decades = decade_range(lo, hi);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let corner = legend_corner(series, iterations, &decades);
        draw(&root, title, y_label, series, iterations, decades, corner).map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    Ok(Plot { svg, left_out })
}

/// Draws the whole figure on `root`.
fn draw(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    y_label: &str,
    series: &[Series],
    iterations: usize,
    decades: Range<i32>,
    corner: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    root.fill(&WHITE)?;
    let (head, body) = root.split_vertically(40);
    let (width, _) = head.dim_in_pixel();
    let title_style = ("sans-serif", 20)
        .into_font()
        .color(&BLACK)
        .pos(text_anchor(HPos::Center));
    head.draw_text(title, &title_style, (width as i32 / 2, 24))?;

    let span = (decades.end - decades.start) as u32;
    let (lo, hi) = (pow10(decades.start), pow10(decades.end));
    let y_axis = || {
        (lo..hi)
            .log_scale()
            .with_key_points(bold_decades(&decades))
            .with_light_points(light_points(&decades))
    };
    let x_axis = 1..iterations.max(2);
    let build = |extra_top: u32| {
        ChartBuilder::on(&body)
            .margin_top(10 + extra_top)
            .margin_right(25)
            .margin_bottom(5)
            .margin_left(10)
            .x_label_area_size(45)
            .y_label_area_size(75)
            .build_cartesian_2d(x_axis.clone(), y_axis())
    };
    // The y mapping spans height − 1 pixels; make that a multiple of the decade count (unless
    // decades are so many that they would be under 4 pixels each).
    let pixels = (build(0)?.plotting_area().get_pixel_range().1.len() as u32).saturating_sub(1);
    let extra = if pixels >= 4 * span { pixels % span } else { 0 };
    let mut chart = build(extra)?;

    let label_font = ("sans-serif", 15).into_font();
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc(y_label)
        .axis_desc_style(label_font.clone())
        .label_style(label_font.clone())
        .x_label_formatter(&|i| i.to_string())
        .y_label_formatter(&|v| power_of_ten(*v))
        .bold_line_style(BLACK.mix(0.2))
        .light_line_style(BLACK.mix(0.07))
        .draw()?;

    for (i, s) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let runs = shown_runs(&s.values);
        let name = if runs.is_empty() {
            format!("{} (nothing to show)", s.name)
        } else {
            s.name.clone()
        };
        let points = |r: &Range<usize>| (r.start..r.end).map(|k| (k + 1, s.values[k]));
        let mut lines = runs.iter().filter(|r| r.len() > 1).peekable();
        let anno =
            if lines.peek().is_some() {
                chart.draw_series(lines.map(|r| {
                    PathElement::new(points(r).collect::<Vec<_>>(), colour.stroke_width(2))
                }))?
            } else {
                chart.draw_series(std::iter::empty::<PathElement<(usize, f64)>>())?
            };
        anno.label(name).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(2))
        });
        chart.draw_series(
            runs.iter()
                .filter(|r| r.len() == 1)
                .flat_map(points)
                .map(|p| Circle::new(p, 3, colour.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(corner)
        .label_font(label_font)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// Whether a log axis shows `v`: finite, in [10⁻³⁰⁰, 10³⁰⁰] (so decades stay normal floats).
fn shown(v: f64) -> bool {
    (1e-300..=1e300).contains(&v)
}

/// The corner of the plotting area (of a quarter of its width and height) holding the fewest
/// points, upper right first on ties.
fn legend_corner(
    series: &[Series],
    iterations: usize,
    decades: &Range<i32>,
) -> SeriesLabelPosition {
    let (x_span, y_span) = ((iterations.max(2) - 1) as f64, decades.len() as f64);
    let mut counts = [0usize; 4]; // upper right, upper left, lower right, lower left
    for s in series {
        for (k, &v) in s.values.iter().enumerate().filter(|(_, v)| shown(**v)) {
            let x = k as f64 / x_span;
            let y = (v.log10() - f64::from(decades.start)) / y_span;
            let (right, left, upper, lower) = (x >= 0.75, x <= 0.25, y >= 0.75, y <= 0.25);
            for (i, inside) in [right && upper, left && upper, right && lower, left && lower]
                .into_iter()
                .enumerate()
            {
                counts[i] += usize::from(inside);
            }
        }
    }
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
    [
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::LowerRight,
        SeriesLabelPosition::LowerLeft,
    ][best]
        .clone()
}

/// 10ᵉ, correctly rounded (`powi` is not: 10⁻⁶⁰ would miss the literal `1e-60`).
fn pow10(e: i32) -> f64 {
    format!("1e{e}").parse().unwrap_or(f64::NAN)
}

/// The text anchor: horizontal `h`, vertically centred.
fn text_anchor(h: HPos) -> Pos {
    Pos::new(h, VPos::Center)
}

/// The whole decades `a..b` (exponents) that hold `lo..=hi` (positive, `lo ≤ hi`), at least one.
fn decade_range(lo: f64, hi: f64) -> Range<i32> {
    let start = floor_log10(lo);
    let mut end = floor_log10(hi);
    if pow10(end) < hi || end == start {
        end += 1;
    }
    start..end
}

/// ⌊log₁₀ v⌋ for positive finite `v`, exact at powers of ten (where `log10` may round).
fn floor_log10(v: f64) -> i32 {
    let mut e = v.log10().floor() as i32;
    if pow10(e) > v {
        e -= 1;
    } else if pow10(e + 1) <= v {
        e += 1;
    }
    e
}

/// The labelled decades: all of them, thinned to every 2nd, 3rd, … when more than 12.
fn bold_decades(decades: &Range<i32>) -> Vec<f64> {
    let step = (decades.len() as i32 + 11) / 12;
    decades
        .clone()
        .chain([decades.end])
        .filter(|e| e.rem_euclid(step) == 0)
        .map(pow10)
        .collect()
}

/// The light grid: every decade, and 2–9 × 10ᵏ when there are at most 8 decades.
fn light_points(decades: &Range<i32>) -> Vec<f64> {
    let multiples: &[f64] = if decades.len() <= 8 {
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    } else {
        &[1.0]
    };
    decades
        .clone()
        .flat_map(|e| multiples.iter().map(move |m| m * pow10(e)))
        .chain([pow10(decades.end)])
        .collect()
}

/// `10ᵏ` in superscript digits for a power of ten `v`.
fn power_of_ten(v: f64) -> String {
    let exponent = floor_log10(v).to_string();
    let superscript: String = exponent
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect();
    format!("10{superscript}")
}

/// The maximal index ranges of `values` holding values the axis shows.
fn shown_runs(values: &[f64]) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for (k, v) in values.iter().enumerate() {
        match (shown(*v), start) {
            (true, None) => start = Some(k),
            (false, Some(s)) => {
                runs.push(s..k);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push(s..values.len());
    }
    runs
}

/// Ascending integers as ranges: `[1, 2, 3, 5]` → `1–3, 5`.
fn ranges(sorted: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}–{}", sorted[i], sorted[j])
        } else {
            sorted[i].to_string()
        });
        i = j + 1;
    }
    parts.join(", ")
}

/// Registers the embedded font with plotters once per process.
pub(crate) fn register_font_once() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok =
        *REGISTERED.get_or_init(|| register_font("sans-serif", FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

pub(crate) fn draw_error<E: std::error::Error + Send + Sync>(
    e: DrawingAreaErrorKind<E>,
) -> PlotError {
    PlotError::Draw(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attributes of each `<tag …/>` element in `svg`, in document order.
    fn elements(svg: &str, tag: &str) -> Vec<Vec<(String, String)>> {
        let open = format!("<{tag} ");
        svg.match_indices(&open)
            .map(|(at, _)| {
                let body = &svg[at + open.len()..];
                let body = &body[..body.find('>').expect("element closes")];
                body.split('"')
                    .collect::<Vec<_>>()
                    .chunks(2)
                    .filter(|kv| kv.len() == 2)
                    .map(|kv| {
                        (
                            kv[0].trim().trim_end_matches('=').to_string(),
                            kv[1].to_string(),
                        )
                    })
                    .collect()
            })
            .collect()
    }

    fn attr<'a>(element: &'a [(String, String)], name: &str) -> &'a str {
        &element.iter().find(|(k, _)| k == name).expect(name).1
    }

    /// The points of each polyline stroked with `colour`, in document order.
    fn lines(svg: &str, colour: RGBColor) -> Vec<Vec<(i32, i32)>> {
        let hex = format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2);
        elements(svg, "polyline")
            .iter()
            .filter(|e| attr(e, "stroke") == hex)
            .map(|e| {
                attr(e, "points")
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').expect("x,y");
                        (x.parse().expect("x"), y.parse().expect("y"))
                    })
                    .collect()
            })
            .collect()
    }

    /// The contents of the `<text>` elements with their y coordinates.
    fn texts(svg: &str) -> Vec<(String, i32)> {
        svg.match_indices("<text ")
            .map(|(at, _)| {
                let rest = &svg[at..];
                let start = rest.find('>').expect(">") + 1;
                let end = rest.find("</text>").expect("</text>");
                let y = rest
                    .split("y=\"")
                    .nth(1)
                    .expect("y")
                    .split('"')
                    .next()
                    .expect("y");
                (rest[start..end].trim().to_string(), y.parse().expect("y"))
            })
            .collect()
    }

    fn series(name: &str, values: &[f64]) -> Series {
        Series {
            name: name.to_string(),
            values: values.to_vec(),
        }
    }

    #[test]
    fn two_series_of_five_points_give_two_lines_and_a_legend() {
        let a = [1.0, 0.5, 0.1, 0.05, 0.01];
        let b = [2e-2, 3e-3, 4e-4, 5e-5, 6e-6];
        let plot = log_plot_svg(
            "demo",
            "violation",
            &[series("alpha", &a), series("beta", &b)],
        )
        .expect("plots");
        assert!(plot.left_out.is_empty());
        for colour in [COLOURS[0], COLOURS[1]] {
            // The data line, then the legend's sample line.
            let lines = lines(&plot.svg, colour);
            assert_eq!(lines.len(), 2);
            assert_eq!(lines[0].len(), 5);
            assert_eq!(lines[1].len(), 2);
            assert!(lines[0]
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
        }
        let texts = texts(&plot.svg);
        for name in ["alpha", "beta", "demo", "violation", "iteration"] {
            assert!(texts.iter().any(|(t, _)| t == name), "{name} missing");
        }
        // x ticks 1..=5, all integers.
        for i in 1..=5 {
            assert!(texts.iter().any(|(t, _)| *t == i.to_string()), "tick {i}");
        }
        assert!(plot.svg.starts_with("<svg") && plot.svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn equal_ratios_are_equally_spaced_and_sit_on_their_decade_labels() {
        let plot = log_plot_svg("t", "v", &[series("s", &[1e-1, 1e-3, 1e-5])]).expect("plots");
        let line = &lines(&plot.svg, COLOURS[0])[0];
        let ys: Vec<f64> = line.iter().map(|p| f64::from(p.1)).collect();
        assert!(((ys[1] - ys[0]) - (ys[2] - ys[1])).abs() <= 0.5, "{ys:?}");
        assert!(ys[1] > ys[0]);
        // The y range is exactly the decades 10⁻⁵..10⁻¹, labelled where the points are.
        let texts = texts(&plot.svg);
        for (label, y) in [("10⁻¹", ys[0]), ("10⁻³", ys[1]), ("10⁻⁵", ys[2])] {
            let at = texts.iter().find(|(t, _)| t == label).expect(label).1;
            assert_eq!(f64::from(at), y, "{label}");
        }
        assert!(!texts.iter().any(|(t, _)| t == "10⁰" || t == "10⁻⁶"));
    }

    #[test]
    fn zero_and_nan_are_left_out_and_break_the_line() {
        let values = [1e-1, 0.0, 1e-2, f64::NAN, 1e-3, 1e-4, -1.0];
        let plot = log_plot_svg("t", "v", &[series("s", &values)]).expect("plots");
        assert_eq!(
            plot.left_out,
            vec![LeftOut {
                series: "s".to_string(),
                iterations: vec![2, 4, 7]
            }]
        );
        // One line (iterations 5–6) plus the legend's; iterations 1 and 3 alone are dots.
        let lines = lines(&plot.svg, COLOURS[0]);
        assert_eq!(lines.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2]);
        let dots = elements(&plot.svg, "circle");
        assert_eq!(dots.len(), 2);
        assert_eq!(lines[0].len() + dots.len(), 4, "the positive values");
        let dot_y: Vec<i32> = dots
            .iter()
            .map(|d| attr(d, "cy").parse().expect("cy"))
            .collect();
        let (y5, y6) = (lines[0][0].1, lines[0][1].1);
        // 10⁻¹, 10⁻², 10⁻³, 10⁻⁴ are one decade apart each.
        assert_eq!(dot_y[1] - dot_y[0], y5 - dot_y[1]);
        assert_eq!(y6 - y5, y5 - dot_y[1]);
    }

    #[test]
    fn nothing_positive_is_an_error() {
        let bad = [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
        for input in [vec![series("a", &bad), series("b", &[])], vec![]] {
            let err = log_plot_svg("t", "v", &input).expect_err("nothing to plot");
            assert_eq!(err, PlotError::NothingToPlot);
            assert!(err.to_string().starts_with("nothing to plot"));
        }
    }

    #[test]
    fn a_series_with_nothing_to_show_is_named_in_the_legend() {
        let plot = log_plot_svg("t", "v", &[series("a", &[1.0, 0.1]), series("b", &[0.0])])
            .expect("plots");
        assert!(texts(&plot.svg)
            .iter()
            .any(|(t, _)| t == "b (nothing to show)"));
        assert_eq!(
            lines(&plot.svg, COLOURS[1]).len(),
            1,
            "only the legend sample"
        );
    }

    #[test]
    fn decades_hold_the_values() {
        assert_eq!(decade_range(1e-5, 1e-1), -5..-1);
        assert_eq!(decade_range(3e-5, 0.2), -5..0);
        assert_eq!(decade_range(1.0, 1.0), 0..1);
        assert_eq!(decade_range(5e-3, 5e-3), -3..-2);
        assert_eq!(decade_range(270.0, 1234.5), 2..4);
        for e in -300..=300 {
            let v: f64 = format!("1e{e}").parse().expect("float");
            assert_eq!(floor_log10(v), e, "{v}");
            assert_eq!(floor_log10(v * 1.5), e, "{v}");
            assert_eq!(floor_log10(v * 0.9), e - 1, "{v}");
        }
    }

    #[test]
    fn labels_and_ranges_format() {
        assert_eq!(power_of_ten(1e-5), "10⁻⁵");
        assert_eq!(power_of_ten(1.0), "10⁰");
        assert_eq!(power_of_ten(1e12), "10¹²");
        assert_eq!(ranges(&[1, 2, 3, 5, 7, 8]), "1–3, 5, 7–8");
        let left_out = LeftOut {
            series: "fit".to_string(),
            iterations: vec![4, 8, 9],
        };
        assert_eq!(
            left_out.to_string(),
            "series `fit`: 3 values left out of the log-scale plot (≤ 0, not finite or beyond \
             1e±300): iterations 4, 8–9"
        );
    }

    #[test]
    fn many_decades_are_labelled_sparsely() {
        let decades = -30..3;
        let bold = bold_decades(&decades);
        assert_eq!(bold.len(), 12, "every 3rd of 10⁻³⁰..10³ is at most 12");
        assert_eq!(bold[0], 1e-30);
        assert_eq!(light_points(&(-3..0)).len(), 3 * 9 + 1);
        let values: Vec<f64> = (0..100)
            .map(|k| 10f64.powf(2.0 - 0.3 * f64::from(k)))
            .collect();
        let plot = log_plot_svg("t", "v", &[series("s", &values)]).expect("plots");
        assert_eq!(lines(&plot.svg, COLOURS[0])[0].len(), 100);
    }

    #[test]
    fn the_legend_avoids_the_data() {
        let falling: Vec<f64> = (0..20).map(|k| 0.5f64.powi(k)).collect();
        let rising: Vec<f64> = falling.iter().rev().copied().collect();
        let d = |s: &[f64]| decade_range(s[19].min(s[0]), s[0].max(s[19]));
        let at = |s: &[f64]| legend_corner(&[series("s", s)], 20, &d(s));
        assert_eq!(at(&falling), SeriesLabelPosition::UpperRight);
        assert_eq!(at(&rising), SeriesLabelPosition::UpperLeft);
    }
}
