//! Long chains take time linear in their length (issue 8 §1): generated models with one flat
//! chain of n terms go through parse + check (the front end) and through lowering +
//! canonicalization (the conic problem). Prints, per n and chain kind, the two times and the
//! time per term. Run: `cargo bench --bench chains` (or `-- 10000 50000` for chosen lengths).

use std::path::Path;
use std::time::Instant;

use cnnc::diag::SourceMap;
use cnnc::driver::stages;
use cnnc::sema::Overrides;

/// A model whose objective is a chain of `n` terms of `kind`.
fn model(kind: &str, n: usize) -> String {
    let chain = match kind {
        "sum b" => vec!["b"; n].join(" + "),
        "sum abs(b)" => vec!["abs(b)"; n].join(" + "),
        "product" => format!("b{}", " * 1".repeat(n - 1)),
        "list" => format!("sum([{}]) * b", vec!["1"; n].join(", ")),
        _ => unreachable!("{kind}"),
    };
    format!("var b in [-1, 1]\nminimize {chain}\n")
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 30_000, 100_000]
    } else {
        sizes
    };
    println!(
        "{:<12} {:>8} {:>12} {:>12} {:>14}",
        "chain", "terms", "check (s)", "compile (s)", "µs per term"
    );
    for kind in ["sum b", "sum abs(b)", "product", "list"] {
        for &n in &sizes {
            let text = model(kind, n);
            let mut sources = SourceMap::new();
            let src = sources.add("chain.cnn", None, text);
            let t0 = Instant::now();
            let (_, m) = cnnc::frontend(&mut sources, src, Path::new("."), &Overrides::default())
                .unwrap_or_else(|d| panic!("{}", cnnc::diag::render(&sources, &d, false)));
            let check = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let p = stages::program(&m, &sources, None)
                .unwrap_or_else(|d| panic!("{}", cnnc::diag::render(&sources, &d, false)));
            let (conic, _) = stages::conic(&p)
                .unwrap_or_else(|d| panic!("{}", cnnc::diag::render(&sources, &d, false)));
            let compile = t1.elapsed().as_secs_f64();
            std::hint::black_box(&conic);
            println!(
                "{kind:<12} {n:>8} {check:>12.3} {compile:>12.3} {:>14.2}",
                (check + compile) * 1e6 / n as f64
            );
        }
    }
}
