//! Fresh against reused Clarabel solves (`solve::solve` against `solve::Session`) on a series of
//! SOCPs of one structure whose numbers change:
//!
//! ```text
//! min t + ½ρ‖x‖²   s.t.  ‖Mx − a‖₂ ≤ t,  −1 ≤ x ≤ 1
//! ```
//! with `x ∈ ℝⁿ`, `M` of 3n rows with 4 non-zeros each at fixed positions, and new random values
//! of `M`, `a` and `ρ` for every problem (4n + 1 rows). Prints, per n, the mean time of a fresh
//! solve, of a session's first (building) solve and of its reused solves, the mean iteration
//! count and the largest objective difference. Run:
//! `cargo bench --bench session` (or `-- 250 1000` for chosen n).

use std::time::Instant;

use cnnc::conic::{Cone, ConicProblem, ConicVar, Origin, Triplets};
use cnnc::solve::{solve, Backend, Session, Settings};

/// xorshift64*: reproducible data without a dependency.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn index(&mut self, n: usize) -> usize {
        ((self.uniform() * n as f64) as usize).min(n - 1)
    }
}

/// One problem of the series: `positions` fixes the pattern of `M`, `rng` draws the numbers.
fn problem(n: usize, positions: &[(usize, usize)], rng: &mut Rng) -> ConicProblem {
    let k = 3 * n;
    let t = n;
    let mut p = Triplets::new(n + 1, n + 1);
    let rho = 0.5 + rng.uniform();
    for j in 0..n {
        p.push(j, j, rho);
    }
    let rows = 1 + k + 2 * n;
    let mut a = Triplets::new(rows, n + 1);
    let mut b = vec![0.0; rows];
    // s = (t, Mx − a) in the second-order cone: A = −(eₜ; M), b = (0; −a).
    a.push(0, t, -1.0);
    for &(i, j) in positions {
        a.push(1 + i, j, -(rng.uniform() - 0.5));
    }
    for v in &mut b[1..=k] {
        *v = -(rng.uniform() - 0.5);
    }
    // 1 − x ≥ 0 and x + 1 ≥ 0.
    for j in 0..n {
        a.push(1 + k + j, j, 1.0);
        b[1 + k + j] = 1.0;
        a.push(1 + k + n + j, j, -1.0);
        b[1 + k + n + j] = 1.0;
    }
    let mut q = vec![0.0; n + 1];
    q[t] = 1.0;
    ConicProblem {
        vars: (0..=n)
            .map(|i| ConicVar {
                name: format!("x{i}"),
                integer: false,
            })
            .collect(),
        p: p.into_csc(),
        q,
        constant: 0.0,
        maximize: false,
        a: a.into_csc(),
        b,
        cones: vec![Cone::SecondOrder(1 + k), Cone::Nonneg(2 * n)],
        origins: vec![Origin::default(); 2],
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() { vec![250] } else { sizes };
    let series = 10;
    let settings = Settings::default();
    println!(
        "{:>6} {:>6} {:>8} {:>10} {:>10} {:>10} {:>7} {:>9}",
        "n", "rows", "nnz(A)", "fresh ms", "build ms", "reused ms", "iters", "max Δobj"
    );
    for &n in &sizes {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ n as u64);
        let positions: Vec<(usize, usize)> = (0..3 * n)
            .flat_map(|i| (0..4).map(move |_| i))
            .map(|i| (i, rng.index(n)))
            .collect();
        let problems: Vec<ConicProblem> = (0..series)
            .map(|_| problem(n, &positions, &mut rng))
            .collect();
        let (mut fresh, mut build, mut reused, mut iters, mut diff) = (0.0, 0.0, 0.0, 0u32, 0f64);
        let mut session = Session::new(Backend::Clarabel, settings.clone());
        for (i, p) in problems.iter().enumerate() {
            let t0 = Instant::now();
            let f = solve(p, Backend::Clarabel, &settings).expect("accepted");
            fresh += t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let (s, was_reused) = session.solve(p).expect("accepted");
            let seconds = t1.elapsed().as_secs_f64();
            assert_eq!(was_reused, i > 0, "problem {i}");
            if was_reused {
                reused += seconds;
            } else {
                build += seconds;
            }
            assert!(f.status.is_solved() && s.status.is_solved(), "problem {i}");
            iters += s.iterations;
            diff = diff.max((f.objective.expect("solved") - s.objective.expect("solved")).abs());
        }
        let ms = |s: f64, k: usize| 1e3 * s / k as f64;
        println!(
            "{n:>6} {:>6} {:>8} {:>10.2} {:>10.2} {:>10.2} {:>7.1} {diff:>9.1e}",
            problems[0].b.len(),
            problems[0].a.nnz(),
            ms(fresh, series),
            ms(build, 1),
            ms(reused, series - 1),
            iters as f64 / series as f64,
        );
    }
}
