//! Lowering, canonicalization and assembly throughput on the program `method patterns` really
//! emits (Pilanci & Ergen 2020; docs/PATTERNS.md) for a two-layer ReLU regression:
//!
//! ```text
//! min ½‖ŷ − y‖² + β Σᵢ (‖vᵢ‖₂ + ‖wᵢ‖₂)   s.t.  ŷ = Σᵢ DᵢX(vᵢ − wᵢ),  (2Dᵢ − I)X vᵢ ≥ 0,  (2Dᵢ − I)X wᵢ ≥ 0
//! ```
//! Random data (n = 400, d = 10, xorshift64* normals, one seed) is written as a CSV file next to
//! a `.cnn` model (`bias = column`, so X has 11 columns; `weight_decay(net, 0.001)`, so β = 1e-3)
//! in a temporary directory; per pattern count P (the draws of `enumeration = sampled`) it times
//! the front end (`read_model` + `frontend`: parse, check, CSV), the lowering (pattern sampling
//! and the program build) and `canonicalize` (DCP check, cones, triplets → CSC), and prints the
//! distinct patterns found, the conic sizes, non-zeros per second of canonicalization and the
//! peak resident memory so far (VmHWM). Run:
//! `cargo bench --bench assembly` (or `-- 50 500` for chosen pattern counts).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use cnnc::conic::canon::canonicalize;
use cnnc::diag::{render, Diagnostic, SourceMap};
use cnnc::lower::patterns::lowering::lower;
use cnnc::sema::Overrides;

/// xorshift64* with Box–Muller normals: reproducible data without a dependency.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Writes `n` rows of `d` standard normal features `x1..xd` and a normal target `y`.
fn write_csv(path: &Path, n: usize, d: usize, rng: &mut Rng) {
    let x: Vec<f64> = (0..n * d).map(|_| rng.normal()).collect(); // column-major n×d
    let y: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mut csv: String = (1..=d).map(|j| format!("x{j},")).collect();
    csv.push_str("y\n");
    for r in 0..n {
        for j in 0..d {
            let _ = write!(csv, "{},", x[r + j * n]);
        }
        let _ = writeln!(csv, "{}", y[r]);
    }
    std::fs::write(path, csv).expect("write the data");
}

/// The model over `data.csv` trained by `p` sampled pattern draws.
fn model_text(p: usize) -> String {
    format!(
        "use losses.{{squared_error}}\n\
         use regularizers.{{weight_decay}}\n\
         data train = csv(\"data.csv\", target = y)\n\
         network net(train) {{ dense(8, relu, bias = column)  dense(1, bias = none) }}\n\
         minimize squared_error(net(train.x), train.y) + weight_decay(net, 0.001)\n\
         method patterns(enumeration = sampled, count = {p}, seed = 0)\n"
    )
}

fn fail(sources: &SourceMap, stage: &str, d: &[Diagnostic]) -> ! {
    eprintln!("{stage} failed:\n{}", render(sources, d, false));
    std::process::exit(1);
}

fn main() {
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![50, 150, 500];
    }
    let (n, d) = (400, 10);
    let dir = tempfile::tempdir().expect("temp dir");
    write_csv(
        &dir.path().join("data.csv"),
        n,
        d,
        &mut Rng(0x9E37_79B9_7F4A_7C15),
    );
    println!("method patterns, n = {n}, d = {d} (+ bias column); VmHWM is the process peak so far (sizes run in increasing order)");
    println!(
        "{:>6} {:>9} {:>8} {:>8} {:>11} {:>8} {:>8} {:>8} {:>10} {:>10}",
        "draws",
        "patterns",
        "columns",
        "rows",
        "nnz(A)+P",
        "front s",
        "lower s",
        "canon s",
        "nnz/s",
        "VmHWM MiB"
    );
    for p in sizes {
        let path = dir.path().join(format!("bench{p}.cnn"));
        std::fs::write(&path, model_text(p)).expect("write the model");
        let t0 = Instant::now();
        let mut sources = SourceMap::new();
        let src =
            cnnc::read_model(&mut sources, &path).unwrap_or_else(|e| fail(&sources, "reading", &e));
        let (_file, model) = cnnc::frontend(&mut sources, src, dir.path(), &Overrides::default())
            .unwrap_or_else(|e| fail(&sources, "the front end", &e));
        let front = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let lowered = lower(&model, &sources, &model.methods[0])
            .unwrap_or_else(|e| fail(&sources, "the lowering", &e));
        let lowering = t1.elapsed().as_secs_f64();
        let t2 = Instant::now();
        let (conic, _map) = canonicalize(&lowered.translation.program)
            .unwrap_or_else(|e| fail(&sources, "canonicalization", &e));
        let canon = t2.elapsed().as_secs_f64();
        let found = lowered.patterns.len();
        drop(lowered);
        let nnz = conic.a.nnz() + conic.p.nnz();
        println!(
            "{:>6} {:>9} {:>8} {:>8} {:>11} {:>8.3} {:>8.3} {:>8.3} {:>10.3e} {:>10.0}",
            p,
            found,
            conic.num_vars(),
            conic.num_rows(),
            nnz,
            front,
            lowering,
            canon,
            nnz as f64 / canon,
            peak_memory_mib().unwrap_or(f64::NAN)
        );
    }
}
