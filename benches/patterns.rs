//! Coverage of sampled activation patterns against the exact ones (figures for
//! `docs/PATTERNS.md`, not a test): `cargo bench --bench patterns`.
//!
//! For each data set it prints the number of exact non-empty patterns, then for each strategy
//! and number of draws the distinct patterns found and the fraction of the exact ones covered,
//! as the mean (min–max) over 10 seeds. Then, where the exact optimum is known, the optimum of
//! the group-lasso program over the sampled patterns divided by the exact optimum (random ±1
//! labels, β = 1e-4, brief units), mean (min–max) over 5 seeds.

#[path = "../tests/support/group_lasso.rs"]
mod group_lasso;

use cnnc::lower::patterns::{exact, sampled, Strategy};
use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

const SEEDS: u64 = 10;

/// `n` samples of `d` features drawn by `feature`, with a ones column appended.
fn data(n: usize, d: usize, seed: u64, feature: impl Fn(&mut ChaCha8Rng) -> f64) -> DMatrix<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    DMatrix::from_fn(
        n,
        d + 1,
        |_, k| if k == d { 1.0 } else { feature(&mut rng) },
    )
}

fn main() {
    let normal = |rng: &mut ChaCha8Rng| rng.sample::<f64, _>(StandardNormal);
    let wide = |rng: &mut ChaCha8Rng| rng.random_range(0.0..100.0);
    let cases = [
        ("1-D N(0,1), n = 50", data(50, 1, 2020, normal)),
        ("1-D N(0,1), n = 100", data(100, 1, 2020, normal)),
        ("1-D U(0,100), n = 100", data(100, 1, 2020, wide)),
        ("2-D N(0,I), n = 50", data(50, 2, 2020, normal)),
    ];
    coverage(&cases);
    gaps(&cases);
}

fn coverage(cases: &[(&str, DMatrix<f64>)]) {
    println!(
        "| data (bias column appended) | exact | strategy | draws | distinct found | coverage |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for (name, x) in cases {
        let all = match exact(x) {
            Ok(all) => all,
            Err(e) => {
                println!("| {name} | {e} | | | | |");
                continue;
            }
        };
        for strategy in [Strategy::Gaussian, Strategy::Data] {
            for draws in [50, 200, 1000] {
                let found: Vec<usize> = (0..SEEDS)
                    .map(|seed| {
                        let s = sampled(x, draws, seed, strategy).expect("finite data");
                        assert!(s.iter().all(|p| all.list.binary_search(p).is_ok()));
                        s.len()
                    })
                    .collect();
                let mean = found.iter().sum::<usize>() as f64 / found.len() as f64;
                let min = found.iter().copied().min().unwrap_or(0);
                let max = found.iter().copied().max().unwrap_or(0);
                println!(
                    "| {name} | {} | {strategy:?} | {draws} | {mean:.1} ({min}–{max}) | {:.0} % |",
                    all.len(),
                    100.0 * mean / all.len() as f64
                );
            }
        }
    }
}

fn gaps(cases: &[(&str, DMatrix<f64>)]) {
    let beta = 1e-4;
    println!();
    println!("| data (bias column appended) | exact optimum | strategy | draws | sampled / exact optimum |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, x) in cases {
        let Ok(all) = exact(x) else { continue };
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let y = DVector::from_fn(
            x.nrows(),
            |_, _| if rng.random_bool(0.5) { 1.0 } else { -1.0 },
        );
        let (_, optimum) = group_lasso::solve(x, &y, &all, beta);
        for strategy in [Strategy::Gaussian, Strategy::Data] {
            for draws in [50, 200, 1000] {
                let ratios: Vec<f64> = (0..5)
                    .map(|seed| {
                        let s = sampled(x, draws, seed, strategy).expect("finite data");
                        group_lasso::solve(x, &y, &s, beta).1 / optimum
                    })
                    .collect();
                let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
                let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
                let max = ratios.iter().copied().fold(0.0, f64::max);
                println!(
                    "| {name} | {optimum:.4e} | {strategy:?} | {draws} | {mean:.2} ({min:.2}–{max:.2}) |"
                );
            }
        }
    }
}
