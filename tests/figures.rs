//! Every kind of `--plot` figure, rasterized by an independent SVG renderer (resvg): none is
//! blank, each shows its elements in their colours (the palette of `src/plot.rs`: tab10 blue
//! `#1f77b4` for the first series, orange `#ff7f0e` for the second), and `eval --plot` of the
//! written weights draws what `train --plot` drew.

mod common;

use std::path::Path;

/// The figure at `path` rasterized: RGBA pixels, width, height.
fn raster(path: &Path) -> (Vec<u8>, u32, u32) {
    let svg = std::fs::read_to_string(path).expect("the figure was written");
    let tree =
        resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).expect("valid SVG");
    let size = tree.size().to_int_size();
    let mut pix = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pix.as_mut(),
    );
    (pix.data().to_vec(), size.width(), size.height())
}

/// Pixels within 40 (per channel) of `rgb`.
fn count(pixels: &[u8], rgb: (u8, u8, u8)) -> usize {
    pixels
        .chunks(4)
        .filter(|p| {
            let d = |a: u8, b: u8| (a as i32 - b as i32).abs() <= 40;
            d(p[0], rgb.0) && d(p[1], rgb.1) && d(p[2], rgb.2)
        })
        .count()
}

/// Pixels that are not white.
fn inked(pixels: &[u8]) -> usize {
    pixels
        .chunks(4)
        .filter(|p| p[0] < 240 || p[1] < 240 || p[2] < 240)
        .count()
}

const BLUE: (u8, u8, u8) = (0x1f, 0x77, 0xb4);
const ORANGE: (u8, u8, u8) = (0xff, 0x7f, 0x0e);

fn run(dir: &Path, args: &[&str]) {
    common::cnnc_ok(dir, args);
}

#[test]
fn a_one_input_fit_shows_the_data_the_curve_and_the_breakpoints() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = common::root().join("examples/seed003_1d.cnn");
    let model = model.to_str().unwrap();
    run(d, &["train", model, "--plot", "fit.svg", "-o", "w.json"]);
    let (px, w, h) = raster(&d.join("fit.svg"));
    assert_eq!((w, h), (800, 600));
    assert!(
        count(&px, ORANGE) > 1500,
        "the fitted curve: {}",
        count(&px, ORANGE)
    );
    assert!(
        count(&px, BLUE) > 40,
        "the five samples: {}",
        count(&px, BLUE)
    );
    let svg = std::fs::read_to_string(d.join("fit.svg")).unwrap();
    // The network has 5 neurons, so 5 breakpoints (some at the same x).
    assert!(svg.contains("breakpoints (5)"), "legend");
    // `eval --plot` of the written weights draws the same shapes (only the title differs).
    run(
        d,
        &[
            "eval",
            model,
            "--weights",
            "w.json",
            "--plot",
            "eval.svg",
            "-o",
            "p.csv",
        ],
    );
    let shapes = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains("<polyline") || l.contains("<circle") || l.contains("<path"))
            .map(str::to_string)
            .collect()
    };
    let again = std::fs::read_to_string(d.join("eval.svg")).unwrap();
    assert!(!shapes(&svg).is_empty());
    assert_eq!(shapes(&svg), shapes(&again));
}

#[test]
fn two_input_classes_show_both_regions_and_the_samples() {
    let dir = tempfile::tempdir().unwrap();
    let model = common::root().join("examples/moons_adam.cnn");
    run(
        dir.path(),
        &["train", model.to_str().unwrap(), "--plot", "regions.svg"],
    );
    let (px, w, h) = raster(&dir.path().join("regions.svg"));
    let area = (w * h) as usize;
    // The tints of the two regions (25 % of the class colour over white), each a large share.
    let tint = |c: (u8, u8, u8)| {
        let t = |v: u8| (255.0 - 0.25 * (255.0 - v as f64)).round() as u8;
        (t(c.0), t(c.1), t(c.2))
    };
    for c in [BLUE, ORANGE] {
        let n = count(&px, tint(c));
        assert!(n > area / 8, "region {c:?}: {n} of {area}");
    }
    // 200 samples as dots of radius 4.
    assert!(count(&px, BLUE) > 1000 && count(&px, ORANGE) > 1000);
}

#[test]
fn regression_on_many_inputs_shows_predicted_against_true() {
    let dir = tempfile::tempdir().unwrap();
    let model = common::root().join("examples/diabetes_linear.cnn");
    run(
        dir.path(),
        &["train", model.to_str().unwrap(), "--plot", "pvt.svg"],
    );
    let (px, _, _) = raster(&dir.path().join("pvt.svg"));
    // 266 training dots (blue), 88 validation (orange), 88 test (green), and the diagonal.
    assert!(count(&px, BLUE) > 2000, "{}", count(&px, BLUE));
    assert!(count(&px, ORANGE) > 500, "{}", count(&px, ORANGE));
    assert!(count(&px, (0x2c, 0xa0, 0x2c)) > 500);
}

#[test]
fn compare_and_tune_draw_their_measures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let seed = common::root().join("examples/seed003_1d.cnn");
    run(
        d,
        &[
            "compare",
            seed.to_str().unwrap(),
            "--set",
            "width=2",
            "--plot",
            "cmp.svg",
        ],
    );
    let (px, _, _) = raster(&d.join("cmp.svg"));
    // One dot per method (and its legend mark).
    assert!(count(&px, BLUE) > 40 && count(&px, ORANGE) > 40);
    let lin = common::root().join("examples/diabetes_linear.cnn");
    run(
        d,
        &[
            "tune",
            lin.to_str().unwrap(),
            "--over",
            "lambda=0.01..1000:6",
            "--plot",
            "sweep.svg",
        ],
    );
    let (px, w, h) = raster(&d.join("sweep.svg"));
    for c in [BLUE, ORANGE, (0x2c, 0xa0, 0x2c)] {
        assert!(count(&px, c) > 300, "line {c:?}: {}", count(&px, c));
    }
    assert!(inked(&px) < (w * h) as usize / 2, "mostly white background");
}

#[test]
fn data_without_targets_is_refused_before_training() {
    let dir = tempfile::tempdir().unwrap();
    // Adam with 10⁹ epochs: would not finish if it ran before the check.
    std::fs::write(
        dir.path().join("m.cnn"),
        "data train = inline(x = [[1], [2], [3]])
network net(train) { dense(4, relu, bias = column)  dense(1, bias = none) }
minimize sum_squares(net(train.x) - 1)
method adam(epochs = 1000000000, restarts = 1)
",
    )
    .unwrap();
    let out = common::cnnc(dir.path(), &["train", "m.cnn", "--plot", "p.svg"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains("E1110"),
        "{}",
        common::stderr(&out)
    );
    assert!(!dir.path().join("p.svg").exists());
}
