//! Coverage of sampled activation patterns against the exact ones (figures for
//! `docs/PATTERNS.md`, not a test): `cargo bench --bench patterns`.
//!
//! For each data set it prints the number of exact non-empty patterns, then for each strategy
//! and number of draws the distinct patterns found and the fraction of the exact ones covered,
//! as the mean (min–max) over 10 seeds.

use cnnc::lower::patterns::{exact, sampled, Strategy};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
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
    println!(
        "| data (bias column appended) | exact | strategy | draws | distinct found | coverage |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for (name, x) in &cases {
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
