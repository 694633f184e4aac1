//! Canonicalization and assembly throughput on a pattern-like group lasso (Pilanci & Ergen 2020; docs/PATTERNS.md):
//!
//! ```text
//! min ½‖Σᵢ DᵢX(vᵢ − wᵢ) − y‖² + β Σᵢ (‖vᵢ‖₂ + ‖wᵢ‖₂)   s.t.  (2Dᵢ − I)X vᵢ ≥ 0, (2Dᵢ − I)X wᵢ ≥ 0
//! ```
//! with random data (n = 400, d = 10) and P sampled patterns `Dᵢ = diag(1[X gᵢ ≥ 0])`; `DᵢX` is
//! a row mask of `X`, never an n×n matrix. Prints, per size, the time to build the program, the
//! time to canonicalize and assemble it (DCP check, cones, triplets → CSC), non-zeros per second
//! and the peak resident memory so far (VmHWM). Run:
//! `cargo bench --bench assembly` (or `-- 50 500` for chosen pattern counts).

use std::time::Instant;

use cnnc::conic::canon::canonicalize;
use cnnc::convex::{csc_from_dense, Affine, Constraint, Expr, Program, VarSpec};

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

fn group_lasso(n: usize, d: usize, patterns: usize, rng: &mut Rng) -> Program {
    let x: Vec<f64> = (0..n * d).map(|_| rng.normal()).collect(); // column-major n×d
    let y: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let beta = 1e-3;
    let mut prog = Program::new();
    let mut fit_parts = Vec::with_capacity(patterns);
    let mut penalty = Vec::with_capacity(2 * patterns);
    for i in 0..patterns {
        let g: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
        let mask: Vec<bool> = (0..n)
            .map(|r| (0..d).map(|j| x[r + j * n] * g[j]).sum::<f64>() >= 0.0)
            .collect();
        // DᵢX (rows outside the pattern zeroed) and (2Dᵢ − I)X (rows outside negated).
        let dx: Vec<f64> = (0..n * d)
            .map(|k| if mask[k % n] { x[k] } else { 0.0 })
            .collect();
        let sx: Vec<f64> = (0..n * d)
            .map(|k| if mask[k % n] { x[k] } else { -x[k] })
            .collect();
        let (dx, sx) = (csc_from_dense(n, d, &dx), csc_from_dense(n, d, &sx));
        let v = prog.add_var(VarSpec::new(format!("v{i}"), d, 1));
        let w = prog.add_var(VarSpec::new(format!("w{i}"), d, 1));
        let (va, wa) = (prog.var(v), prog.var(w));
        fit_parts.push(
            va.sub(&wa)
                .and_then(|u| u.left_mul(&dx))
                .expect("shapes agree"),
        );
        for u in [&va, &wa] {
            let cone = Expr::from(u.left_mul(&sx).expect("shapes agree"));
            prog.constrain(
                Constraint::ge(cone, Expr::scalar(0.0)).with_label(format!("pattern{i}")),
            );
            penalty.push(Expr::from(u.clone()).norm2());
        }
    }
    let y = Affine::constant(n, 1, y).expect("n values");
    let fit = Affine::add_all(&fit_parts)
        .and_then(|f| f.sub(&y))
        .expect("shapes agree");
    let reg = Expr::linear(cnnc::convex::LinOp::Add, penalty).expect("scalars");
    let obj = Expr::from(fit)
        .sum_squares()
        .scale(0.5)
        .plus(reg.scale(beta))
        .expect("scalars");
    prog.minimize(obj);
    prog
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
    println!("group lasso, n = {n}, d = {d}; VmHWM is the process peak so far (sizes run in increasing order)");
    println!(
        "{:>9} {:>9} {:>9} {:>11} {:>10} {:>10} {:>12} {:>10}",
        "patterns", "columns", "rows", "nnz(A)+P", "build s", "canon s", "nnz/s", "VmHWM MiB"
    );
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for p in sizes {
        let t0 = Instant::now();
        let prog = group_lasso(n, d, p, &mut rng);
        let build = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let (conic, _map) = match canonicalize(&prog) {
            Ok(r) => r,
            Err(e) => {
                eprintln!(
                    "canonicalization failed: {} errors, first {}",
                    e.len(),
                    e[0].message
                );
                std::process::exit(1);
            }
        };
        let canon = t1.elapsed().as_secs_f64();
        drop(prog);
        let nnz = conic.a.nnz() + conic.p.nnz();
        println!(
            "{:>9} {:>9} {:>9} {:>11} {:>10.3} {:>10.3} {:>12.3e} {:>10.0}",
            p,
            conic.num_vars(),
            conic.num_rows(),
            nnz,
            build,
            canon,
            nnz as f64 / canon,
            peak_memory_mib().unwrap_or(f64::NAN)
        );
    }
}
