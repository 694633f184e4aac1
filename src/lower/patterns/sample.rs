//! Sampled activation patterns: `count` directions drawn from a seeded ChaCha8 generator,
//! their patterns deduplicated.
//!
//! Directions are drawn in row-space coordinates (see [`RowSpace`]); a sample lying on the
//! drawn hyperplane (`|ĉ_j·h| ≤ TIE_TOL`) takes its side from a further random direction `p`,
//! i.e. the pattern of `h + εp` for small `ε > 0`, so every sampled pattern is the pattern of a
//! full-dimensional cell and sampled patterns are a subset of the exact ones.
//! - [`Strategy::Gaussian`]: `g ~ N(0, I_d)`, the usual choice (Pilanci & Ergen). On
//!   low-dimensional data it is poor: for 1-D data with a bias column the threshold `−g₂/g₁` is
//!   Cauchy-distributed around 0, so cells far from the origin are rarely drawn.
//! - [`Strategy::Data`]: hyperplanes through data points. Pick `r − 1` distinct samples at
//!   random (r the rank) and a Gaussian direction in the orthogonal complement of their
//!   coordinates: the neuron's hyperplane passes through those samples (for 1-D data with a
//!   bias column, a threshold at a data point), i.e. `h` is a vertex ray of the arrangement, and
//!   the tie-break picks one of the cells around it. Every cell has such a vertex, so every
//!   pattern has positive probability whatever the scale of the data. Cost per draw
//!   `O(r³ + n r)`.

use nalgebra::DMatrix;
use rand::seq::index;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::arrangement::{collect, dot, TIE_TOL};
use super::pattern::{Patterns, Source};
use super::rowspace::{PatternError, RowSpace};

/// How sampled directions are drawn (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Standard Gaussian directions `g ~ N(0, I)`.
    Gaussian,
    /// Hyperplanes through `r − 1` random data points, then a random adjacent cell.
    Data,
}

impl Strategy {
    /// The word the model writes for it: `strategy = gaussian` or `strategy = data_aware`.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Gaussian => "gaussian",
            Strategy::Data => "data_aware",
        }
    }
}

/// Rounds of fresh random directions used to break ties before a tied sample is called active.
const TIE_ROUNDS: usize = 16;

/// Patterns of `count` directions drawn with `strategy` from ChaCha8 seeded with `seed`,
/// deduplicated and sorted. The same arguments always give the same result.
pub fn sampled(
    x: &DMatrix<f64>,
    count: usize,
    seed: u64,
    strategy: Strategy,
) -> Result<Patterns, PatternError> {
    Ok(sampled_in(&RowSpace::new(x)?, count, seed, strategy))
}

/// [`sampled`] on data already in row-space coordinates.
pub fn sampled_in(rs: &RowSpace, count: usize, seed: u64, strategy: Strategy) -> Patterns {
    let n = rs.zero_row.len();
    let r = rs.rank;
    let nonzero: Vec<usize> = (0..n).filter(|&j| !rs.zero_row[j]).collect();
    let dirs: Vec<Vec<f64>> = nonzero.iter().map(|&j| rs.unit_row(j)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut signs = Vec::with_capacity(count);
    for _ in 0..count {
        let (h, on) = match strategy {
            Strategy::Gaussian => (gaussian(&mut rng, r), Vec::new()),
            Strategy::Data => through_points(&mut rng, &dirs, r),
        };
        signs.push(side_of(&mut rng, &dirs, &h, &on));
    }
    let source = Source::Sampled {
        strategy,
        draws: count,
        seed,
    };
    collect(n, rs, &nonzero, signs, source)
}

fn gaussian(rng: &mut ChaCha8Rng, r: usize) -> Vec<f64> {
    (0..r).map(|_| StandardNormal.sample(rng)).collect()
}

/// A Gaussian direction orthogonal to `r − 1` random samples, and the indices of those samples.
fn through_points(rng: &mut ChaCha8Rng, dirs: &[Vec<f64>], r: usize) -> (Vec<f64>, Vec<usize>) {
    let k = r.saturating_sub(1).min(dirs.len());
    let chosen = index::sample(rng, dirs.len(), k).into_vec();
    // Modified Gram–Schmidt; a sample dependent on earlier ones adds nothing.
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(k);
    for &j in &chosen {
        let mut q = dirs[j].clone();
        for e in &basis {
            let t = dot(&q, e);
            q.iter_mut().zip(e).for_each(|(a, b)| *a -= t * b);
        }
        let norm = dot(&q, &q).sqrt();
        if norm > TIE_TOL {
            basis.push(q.iter().map(|a| a / norm).collect());
        }
    }
    let mut h = gaussian(rng, r);
    for e in &basis {
        let t = dot(&h, e);
        h.iter_mut().zip(e).for_each(|(a, b)| *a -= t * b);
    }
    (h, chosen)
}

/// Signs of the unit directions `dirs` at `h`, ties (and the samples `on`) broken by further
/// random directions.
fn side_of(rng: &mut ChaCha8Rng, dirs: &[Vec<f64>], h: &[f64], on: &[usize]) -> Vec<bool> {
    let mut signs = vec![true; dirs.len()];
    let mut tied = Vec::new();
    let norm = dot(h, h).sqrt();
    for (j, c) in dirs.iter().enumerate() {
        let side = dot(c, h);
        if on.contains(&j) || side.abs() <= TIE_TOL * norm {
            tied.push(j);
        } else {
            signs[j] = side > 0.0;
        }
    }
    for _ in 0..TIE_ROUNDS {
        if tied.is_empty() {
            break;
        }
        let direction = gaussian(rng, h.len());
        let norm = dot(&direction, &direction).sqrt();
        tied.retain(|&j| {
            let side = dot(&dirs[j], &direction);
            signs[j] = side > 0.0;
            side.abs() <= TIE_TOL * norm
        });
    }
    for j in tied {
        signs[j] = true;
    }
    signs
}
