//! Front-end throughput (issue 8 §2): `check` of a model over a wide CSV (5,000 columns × 200
//! rows, 1,000,000 cells) and of a model with 50,000 named constraints. Both used to be
//! quadratic (a cell's position found by rescanning its line; each constraint name compared with
//! every earlier one). Prints, per case, the input size, the best of several runs of
//! `read_model` + `frontend` (parse, check, data loading) and the peak resident memory (VmHWM).
//! Run: `cargo bench --bench frontend` (or `-- COLUMNS ROWS CONSTRAINTS`).

use std::path::Path;
use std::time::Instant;

use cnnc::diag::SourceMap;
use cnnc::sema::Overrides;

fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Best wall time in seconds of `runs` checks of `model` (a path in `dir`).
fn time_check(dir: &Path, model: &str, runs: usize) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let start = Instant::now();
        let mut sources = SourceMap::new();
        let path = dir.join(model);
        let src = cnnc::read_model(&mut sources, &path).expect("readable model");
        let result = cnnc::frontend(&mut sources, src, dir, &Overrides::default());
        assert!(result.is_ok(), "the benchmark model checks");
        best = best.min(start.elapsed().as_secs_f64());
    }
    best
}

fn wide_csv(dir: &Path, cols: usize, rows: usize) -> usize {
    let mut csv: String = (1..cols).map(|i| format!("x{i},")).collect();
    csv.push_str("y\n");
    for r in 0..rows {
        let row: Vec<String> = (0..cols).map(|c| ((r * 7 + c) % 13).to_string()).collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    std::fs::write(dir.join("wide.csv"), &csv).expect("write csv");
    let model = "data train = csv(\"wide.csv\", target = y)\n\
                 network net(train) { dense(1) }\n\
                 minimize sum_squares(net(train.x) - train.y)\n";
    std::fs::write(dir.join("wide.cnn"), model).expect("write model");
    csv.len()
}

fn constraints(dir: &Path, n: usize) -> usize {
    let mut model = String::from("var b\nminimize b\n");
    for i in 0..n {
        model.push_str(&format!("constraint c{i}: b >= 0\n"));
    }
    std::fs::write(dir.join("constraints.cnn"), &model).expect("write model");
    model.len()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (cols, rows, cons) = match args.as_slice() {
        [c, r, n] => (*c, *r, *n),
        _ => (5000, 200, 50_000),
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let runs = 5;
    println!("case                                  input      check (best of {runs})  peak RSS");
    let bytes = wide_csv(dir.path(), cols, rows);
    let t = time_check(dir.path(), "wide.cnn", runs);
    println!(
        "csv {cols} columns × {rows} rows{:>10}  {:>7.1} KiB  {:>10.3} s  {:>8.1} MiB",
        "",
        bytes as f64 / 1024.0,
        t,
        peak_memory_mib().unwrap_or(f64::NAN)
    );
    let bytes = constraints(dir.path(), cons);
    let t = time_check(dir.path(), "constraints.cnn", runs);
    println!(
        "{cons} named constraints{:>12}  {:>7.1} KiB  {:>10.3} s  {:>8.1} MiB",
        "",
        bytes as f64 / 1024.0,
        t,
        peak_memory_mib().unwrap_or(f64::NAN)
    );
}
