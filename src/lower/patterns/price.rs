//! Pricing activation patterns for the convex program: which blocks may leave zero.
//!
//! For a pattern `D` with cone `K_D = {u : (2D − I) X u ≥ 0}` and a dual vector `λ ∈ R^n`
//! (the residual at the current solution), let `c = Xᵀ D λ = Σ_{j active} λ_j x_j`. The scores
//!
//! ```text
//! s₊ = ‖Π_K(c)‖₂ = max {cᵀu : u ∈ K_D, ‖u‖ ≤ 1},    s₋ = ‖Π_K(−c)‖₂
//! ```
//!
//! decide the pattern's blocks: `v = 0` is optimal iff `s₊ ≤ β`, `w = 0` iff `s₋ ≤ β`.
//!
//! **Projection.** With `Xₛ = (2D − I) X` (rows scaled to unit length: the same cone) the polar
//! cone is `K° = {−Xₛᵀμ : μ ≥ 0}`, so by Moreau `Π_K(g) = g + Xₛᵀμ*` with
//! `μ* = argmin_{μ ≥ 0} ‖g + Xₛᵀμ‖²`, a non-negative least-squares problem with `n` columns
//! of length `d`, solved by Lawson–Hanson ([`project`]). Its passive set stays linearly
//! independent (at most `d` columns): a column numerically in the span of the passive ones is
//! left out, so duplicate, opposite and nearly parallel rows do no harm; zero rows of `X`
//! (norm ≤ [`ZERO_ROW_RTOL`] × the largest, as in [`super::RowSpace`]) impose nothing.
//!
//! **Search.** For `u` in the closed cell of `D`, `λᵀ(Xu)₊ = cᵀu`, so
//! `max_u |λᵀ(Xu)₊| / ‖u‖ = max_D max(s₊, s₋)` over the cells. [`search`] climbs this
//! piecewise-linear function from random directions: at the maximizer `p` of the current cell
//! (the better of `Π_K(±c)`, say `Π_K(σc)`) it tries the cell of `σc` itself, then steps off
//! `p` by a small `ε` (toward `σc − p`, then in random directions) across the hyperplanes
//! through `p` into adjacent cells, which score at least as much (`p` is in their closure),
//! and moves to the first that scores strictly more. A cell is only taken from a direction
//! `u` at least [`REALIZE_MARGIN`] from every hyperplane, so each pattern found is `1[Xu ≥ 0]`
//! of a full-dimensional cell, as [`super::sampled`] gives.

use std::collections::HashMap;

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::arrangement::{dot, TIE_TOL};
use super::pattern::Pattern;
use super::rowspace::ZERO_ROW_RTOL;

/// NNLS stops when no constraint is violated by more than this times `‖g‖` (unit rows).
pub const NNLS_TOL: f64 = 1e-11;

/// A unit column closer than this to the span of the passive columns is left out of the NNLS
/// passive set (numerically dependent: a duplicate or near-duplicate constraint).
pub const DEPENDENT_TOL: f64 = 1e-10;

/// A unit row whose negation projects onto the other rows' cone with a norm at most this is
/// implied by them ([`facets`]).
pub const FACET_TOL: f64 = 1e-9;

/// Steps of the perceptron that moves the facet test's centre direction into its cone
/// ([`facets`]): each adds a tenth of the centre's length along the row it is closest to
/// violating. 50 steps cost less than one NNLS and halved the rows tested in full on diabetes.
const CENTRE_STEPS: usize = 50;

/// A direction realizes a pattern when every non-zero unit row is farther than this from its
/// hyperplane (relative to `‖u‖`): ten times the enumeration's tie tolerance.
pub const REALIZE_MARGIN: f64 = 10.0 * TIE_TOL;

/// Rows within this of the hyperplane through the current maximizer count as through it.
const THROUGH_TOL: f64 = 1e-9;

/// Bounds on the step `ε` off the maximizer (half the distance to the nearest other row).
const STEP_RANGE: (f64, f64) = (1e-6, 0.5);

/// Random directions tried at each step, after the cell of `σc` and the step toward `σc − p`.
const RANDOM_NEIGHBOURS: usize = 2;

/// Steps per climb, and random starts tried per climb (on a hyperplane, or scoring 0).
const MAX_STEPS: usize = 100;
const START_TRIES: usize = 16;

/// A step must improve the score by more than this relative amount.
const IMPROVE_RTOL: f64 = 1e-12;

/// The data prepared once for pricing: unit rows (row-major, and column-major for `X̂ p`) and
/// row norms, zero rows zeroed.
#[derive(Clone, Debug)]
pub struct PricingData {
    n: usize,
    d: usize,
    unit: Vec<f64>,
    columns: Vec<f64>,
    norm: Vec<f64>,
}

impl PricingData {
    /// From the data `x` (n×d, bias column included, finite).
    pub fn new(x: &DMatrix<f64>) -> PricingData {
        let (n, d) = x.shape();
        let norms: Vec<f64> = x.row_iter().map(|row| row.norm()).collect();
        let largest = norms.iter().copied().fold(0.0, f64::max);
        let mut unit = vec![0.0; n * d];
        let mut norm = vec![0.0; n];
        for j in 0..n {
            if norms[j] > 0.0 && norms[j] > ZERO_ROW_RTOL * largest {
                norm[j] = norms[j];
                for k in 0..d {
                    unit[j * d + k] = x[(j, k)] / norms[j];
                }
            }
        }
        let columns = (0..n * d).map(|i| unit[(i % n) * d + i / n]).collect();
        PricingData {
            n,
            d,
            unit,
            columns,
            norm,
        }
    }

    /// Number of samples `n`.
    pub fn samples(&self) -> usize {
        self.n
    }

    /// Number of features `d`.
    pub fn features(&self) -> usize {
        self.d
    }

    /// Whether row `j` counts as a zero row (active in every pattern, imposing nothing).
    pub fn is_zero_row(&self, j: usize) -> bool {
        self.norm[j] == 0.0
    }

    fn unit_row(&self, j: usize) -> &[f64] {
        &self.unit[j * self.d..(j + 1) * self.d]
    }

    /// The pattern `1[X u ≥ 0]` of the direction `u`, zero rows active.
    pub fn pattern_of(&self, u: &[f64]) -> Pattern {
        Pattern::from_fn(self.n, |j| {
            self.is_zero_row(j) || dot(self.unit_row(j), u) >= 0.0
        })
    }

    /// `c = Xᵀ D λ = Σ_{j active} λ_j x_j`.
    pub fn gradient(&self, pattern: &Pattern, lambda: &[f64]) -> Vec<f64> {
        self.check(pattern, lambda.len());
        let mut c = vec![0.0; self.d];
        for j in pattern.active() {
            let a = lambda[j] * self.norm[j];
            if a != 0.0 {
                axpy(&mut c, a, self.unit_row(j));
            }
        }
        c
    }

    /// The pattern of `u` when `u` is at least [`REALIZE_MARGIN`] from every hyperplane.
    fn interior_pattern(&self, u: &[f64]) -> Option<Pattern> {
        let norm = dot(u, u).sqrt();
        let tight = (0..self.n).any(|j| {
            !self.is_zero_row(j) && dot(self.unit_row(j), u).abs() <= REALIZE_MARGIN * norm
        });
        (norm > 0.0 && !tight).then(|| self.pattern_of(u))
    }

    fn check(&self, pattern: &Pattern, len: usize) {
        assert_eq!(
            pattern.samples(),
            self.n,
            "pattern over the wrong number of samples"
        );
        assert_eq!(len, self.n, "dual vector of the wrong length");
    }
}

/// The Euclidean projection `Π_K(g)` of `g ∈ R^d` onto the closed cone `K` of `pattern`.
pub fn project(data: &PricingData, pattern: &Pattern, g: &[f64]) -> Vec<f64> {
    assert_eq!(
        pattern.samples(),
        data.n,
        "pattern over the wrong number of samples"
    );
    assert_eq!(g.len(), data.d, "vector of the wrong dimension");
    nnls_project(data, &signs(pattern), g)
}

/// The scores `(s₊, s₋) = (‖Π_K(c)‖, ‖Π_K(−c)‖)` of `pattern` for the dual vector `lambda`.
pub fn scores(data: &PricingData, pattern: &Pattern, lambda: &[f64]) -> (f64, f64) {
    let priced = price(data, pattern.clone(), lambda);
    (priced.s_plus, priced.s_minus)
}

/// [`scores`] of every pattern, in order, on parallel threads.
pub fn price_all(data: &PricingData, patterns: &[Pattern], lambda: &[f64]) -> Vec<(f64, f64)> {
    par_map(patterns, |p| scores(data, p, lambda))
}

/// `f` of every item, in order, on up to one thread per core.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.is_empty() {
        return Vec::new();
    }
    let chunk = items.len().div_ceil(threads(items.len()));
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker thread panicked"))
            .collect()
    })
}

/// Distinct non-empty patterns met by local search from `starts` random directions (see the
/// module doc), each with its score `max(s₊, s₋)`, best first (ties in pattern order). Start
/// `k` draws from ChaCha8 seeded with `seed` on stream `k`: the result depends only on the
/// arguments, not on the number of threads.
pub fn search(data: &PricingData, lambda: &[f64], starts: usize, seed: u64) -> Vec<(Pattern, f64)> {
    assert_eq!(lambda.len(), data.n, "dual vector of the wrong length");
    let per = starts.div_ceil(threads(starts)).max(1);
    let found: Vec<HashMap<Pattern, f64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..starts)
            .step_by(per)
            .map(|first| {
                s.spawn(move || {
                    let mut found = HashMap::new();
                    for k in first..(first + per).min(starts) {
                        let mut rng = ChaCha8Rng::seed_from_u64(seed);
                        rng.set_stream(k as u64);
                        climb(data, lambda, &mut rng, &mut found);
                    }
                    found
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a search thread panicked"))
            .collect()
    });
    let mut all: HashMap<Pattern, f64> = HashMap::new();
    for part in found {
        all.extend(part);
    }
    let mut out: Vec<(Pattern, f64)> = all
        .into_iter()
        .filter(|(p, _)| p.active().any(|j| !data.is_zero_row(j)))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

fn threads(work: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(work)
        .max(1)
}

/// A pattern with its gradient `c`, the projections `Π_K(±c)` and their norms.
struct Priced {
    pattern: Pattern,
    c: Vec<f64>,
    plus: Vec<f64>,
    minus: Vec<f64>,
    s_plus: f64,
    s_minus: f64,
}

impl Priced {
    fn score(&self) -> f64 {
        self.s_plus.max(self.s_minus)
    }
}

fn price(data: &PricingData, pattern: Pattern, lambda: &[f64]) -> Priced {
    let c = data.gradient(&pattern, lambda);
    let signs = signs(&pattern);
    let plus = nnls_project(data, &signs, &c);
    let negated: Vec<f64> = c.iter().map(|v| -v).collect();
    let minus = nnls_project(data, &signs, &negated);
    let (s_plus, s_minus) = (dot(&plus, &plus).sqrt(), dot(&minus, &minus).sqrt());
    Priced {
        pattern,
        c,
        plus,
        minus,
        s_plus,
        s_minus,
    }
}

/// One local search from a random direction; every cell priced is recorded in `found`.
///
/// From the maximizer `p` of the better side `σ` of the current cell the candidates are, in
/// order: the cell of `σc` itself, the adjacent cell toward `σc − p`, and adjacent cells in
/// random directions; the first that scores strictly higher becomes the current cell.
fn climb(
    data: &PricingData,
    lambda: &[f64],
    rng: &mut ChaCha8Rng,
    found: &mut HashMap<Pattern, f64>,
) {
    let d = data.d;
    let mut start = None;
    for _ in 0..START_TRIES {
        if let Some(pattern) = data.interior_pattern(&gaussian(rng, d)) {
            let priced = price(data, pattern, lambda);
            found.insert(priced.pattern.clone(), priced.score());
            if priced.score() > 0.0 {
                start = Some(priced);
                break;
            }
        }
    }
    let Some(mut current) = start else {
        return;
    };
    for _ in 0..MAX_STEPS {
        let score = current.score();
        let (sign, p) = if current.s_plus >= current.s_minus {
            (1.0, &current.plus)
        } else {
            (-1.0, &current.minus)
        };
        let target: Vec<f64> = current.c.iter().map(|c| sign * c).collect();
        let toward: Vec<f64> = target.iter().zip(p).map(|(c, p)| c - p).collect();
        let mut tried: Vec<Pattern> = vec![current.pattern.clone()];
        let mut better = None;
        for k in 0..RANDOM_NEIGHBOURS + 2 {
            let next = match k {
                0 => data.interior_pattern(&target),
                1 => neighbour(data, p, &toward),
                _ => neighbour(data, p, &gaussian(rng, d)),
            };
            let Some(next) = next.filter(|q| !tried.contains(q)) else {
                continue;
            };
            tried.push(next.clone());
            let priced = price(data, next, lambda);
            found.insert(priced.pattern.clone(), priced.score());
            if priced.score() > score * (1.0 + IMPROVE_RTOL) {
                better = Some(priced);
                break;
            }
        }
        match better {
            Some(b) => current = b,
            None => break,
        }
    }
}

/// The cell entered from `p` in the direction `t` (made orthogonal to `p`), with a step
/// small enough to cross only the hyperplanes through `p` when their neighbours allow it.
fn neighbour(data: &PricingData, p: &[f64], t: &[f64]) -> Option<Pattern> {
    let p_norm = dot(p, p).sqrt();
    if p_norm == 0.0 {
        return None;
    }
    let p_hat: Vec<f64> = p.iter().map(|v| v / p_norm).collect();
    let mut t = t.to_vec();
    let along = dot(&t, &p_hat);
    axpy(&mut t, -along, &p_hat);
    let t_norm = dot(&t, &t).sqrt();
    if t_norm <= 1e-12 {
        return None;
    }
    let nearest = (0..data.n)
        .filter(|&j| !data.is_zero_row(j))
        .map(|j| dot(data.unit_row(j), &p_hat).abs())
        .filter(|&a| a > THROUGH_TOL)
        .fold(1.0, f64::min);
    let step = (0.5 * nearest).clamp(STEP_RANGE.0, STEP_RANGE.1);
    let mut u = p_hat;
    axpy(&mut u, step / t_norm, &t);
    data.interior_pattern(&u)
}

fn gaussian(rng: &mut ChaCha8Rng, d: usize) -> Vec<f64> {
    (0..d).map(|_| StandardNormal.sample(rng)).collect()
}

fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += a * x);
}

/// `±1` per sample: the sign of its constraint in the pattern's cone.
fn signs(pattern: &Pattern) -> Vec<f64> {
    (0..pattern.samples())
        .map(|j| if pattern.get(j) { 1.0 } else { -1.0 })
        .collect()
}

/// The rows of `pattern`'s sign constraints that are facets of its cone `K`, in order: the
/// others are implied by them and can be left out of the program without changing `K`.
///
/// With `a_j = ±x̂_j`, row `j` is redundant iff `a_j ∈ cone{a_k : k ≠ j}` (Farkas, `K` being
/// full-dimensional), i.e. iff `Π_{K'}(−a_j) = 0` for the cone `K'` of the other rows (Moreau:
/// `−a_j` is then in the polar cone). Rows are tested in turn and a redundant one is dropped
/// at once, so the cone never changes and of two equal rows one stays. Zero rows are never
/// facets. A row is kept unless `‖Π_{K'}(−a_j)‖ ≤` [`FACET_TOL`]: when in doubt, a facet.
///
/// Most rows are redundant, and a redundant row is already in the cone of the facets found
/// before it: each row is first tested against those alone (an NNLS over a few dozen rows
/// instead of n; `a_j ∈ cone(F) ⊆ cone{a_k : k ≠ j}`, so a yes is final), and only a no is
/// tested against every other row. Rows closest to the boundary seen from a central direction
/// (`Σ_j a_j` moved by [`CENTRE_STEPS`] perceptron steps) are tested first, so that the facets
/// are found early: on diabetes 56 rows of 354 per pattern are tested in full instead of all.
/// The order changes the time, which of two equal rows stays, and rows within the tolerance
/// of redundant (one of 1,929 on the breast-cancer example), not the cone.
pub fn facets(data: &PricingData, pattern: &Pattern) -> Vec<usize> {
    assert_eq!(
        pattern.samples(),
        data.n,
        "pattern over the wrong number of samples"
    );
    let mut signs = signs(pattern);
    for (j, s) in signs.iter_mut().enumerate() {
        if data.is_zero_row(j) {
            *s = 0.0;
        }
    }
    let mut centre = vec![0.0; data.d];
    for (j, &s) in signs.iter().enumerate() {
        axpy(&mut centre, s, data.unit_row(j));
    }
    for _ in 0..CENTRE_STEPS {
        let norm = dot(&centre, &centre).sqrt();
        let (mut low, mut at) = (f64::INFINITY, 0);
        for (j, &s) in signs.iter().enumerate() {
            if s != 0.0 {
                let m = s * dot(data.unit_row(j), &centre);
                if m < low {
                    (low, at) = (m, j);
                }
            }
        }
        if !low.is_finite() || norm == 0.0 {
            break;
        }
        axpy(&mut centre, signs[at] * norm * 0.1, data.unit_row(at));
    }
    let mut order: Vec<(f64, usize)> = (0..data.n)
        .filter(|&j| signs[j] != 0.0)
        .map(|j| (signs[j] * dot(data.unit_row(j), &centre), j))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut kept = Vec::new();
    for (_, j) in order {
        let s = signs[j];
        signs[j] = 0.0;
        let g: Vec<f64> = data.unit_row(j).iter().map(|a| -s * a).collect();
        if !kept.is_empty() {
            let p = nnls_project_among(data, &signs, &g, Some(&kept));
            if dot(&p, &p).sqrt() <= FACET_TOL {
                continue;
            }
        }
        let p = nnls_project(data, &signs, &g);
        if dot(&p, &p).sqrt() > FACET_TOL {
            signs[j] = s;
            kept.push(j);
        }
    }
    kept.sort_unstable();
    kept
}

/// [`facets`] of every pattern, in order, on parallel threads.
pub fn facets_all(data: &PricingData, patterns: &[&Pattern]) -> Vec<Vec<usize>> {
    par_map(patterns, |p| facets(data, p))
}

/// Lawson–Hanson: `Π_K(g) = g + Σ_{j∈P} μ_j a_j` with columns `a_j = ±x̂_j` (the sign of
/// sample `j` in the pattern), `μ` the NNLS solution of `min_{μ≥0} ‖g + Σ_j μ_j a_j‖`.
///
/// Each outer step adds to the passive set `P` the most violated constraint
/// (`max_j −a_j·p > NNLS_TOL·‖g‖`), then the inner loop solves the least squares on `P` and,
/// while some coefficient is not positive, steps from the current `μ` toward that solution
/// until a coefficient reaches zero and drops it. A column that is numerically dependent on
/// `P` (or whose coefficient comes out non-positive at once, a rounding artefact) is blocked
/// until `P` next changes. At most `3(n + d)` outer steps.
fn nnls_project(data: &PricingData, signs: &[f64], g: &[f64]) -> Vec<f64> {
    nnls_project_among(data, signs, g, None)
}

/// [`nnls_project`] onto the cone of the rows `among` only (every row when `None`).
fn nnls_project_among(
    data: &PricingData,
    signs: &[f64],
    g: &[f64],
    among: Option<&[usize]>,
) -> Vec<f64> {
    let (n, d) = (data.n, data.d);
    let mut p = g.to_vec();
    let scale = dot(g, g).sqrt();
    if scale == 0.0 || d == 0 {
        return p;
    }
    let tol = NNLS_TOL * scale;
    let mut passive: Vec<usize> = Vec::with_capacity(d);
    let mut mu: Vec<f64> = Vec::with_capacity(d);
    let mut blocked: Vec<usize> = Vec::new();
    let mut ls = LeastSquares::new(d);
    let mut sides = vec![0.0; if among.is_none() { n } else { 0 }];
    for _ in 0..3 * (n + d) {
        let mut entering = None;
        let mut worst = tol;
        let mut consider = |j: usize, side: f64| {
            let violation = -signs[j] * side;
            if violation > worst && !passive.contains(&j) && !blocked.contains(&j) {
                entering = Some(j);
                worst = violation;
            }
        };
        match among {
            // X̂ p by columns (vectorizes across samples); zero rows are zero: never violated.
            None => {
                sides.fill(0.0);
                for (column, &pk) in data.columns.chunks_exact(n).zip(&p) {
                    axpy(&mut sides, pk, column);
                }
                for (j, &side) in sides.iter().enumerate() {
                    consider(j, side);
                }
            }
            Some(rows) => {
                for &j in rows {
                    consider(j, dot(data.unit_row(j), &p));
                }
            }
        }
        let Some(j) = entering else {
            break;
        };
        passive.push(j);
        mu.push(0.0);
        let mut first = true;
        loop {
            let solved = ls.solve(data, &passive, signs, g);
            if first && (!solved || ls.y[passive.len() - 1] <= 0.0) {
                passive.pop();
                mu.pop();
                blocked.push(j);
                break;
            }
            if !solved {
                break;
            }
            first = false;
            let y = &ls.y[..passive.len()];
            if y.iter().all(|&v| v > 0.0) {
                mu.copy_from_slice(y);
                blocked.clear();
                break;
            }
            let mut alpha = 1.0;
            let mut leaving = 0;
            for (i, (&m, &v)) in mu.iter().zip(y).enumerate() {
                if v <= 0.0 && m / (m - v) < alpha {
                    alpha = m / (m - v);
                    leaving = i;
                }
            }
            for (m, &v) in mu.iter_mut().zip(y) {
                *m += alpha * (v - *m);
            }
            mu[leaving] = 0.0;
            let mut i = 0;
            while i < passive.len() {
                if mu[i] <= 0.0 {
                    passive.remove(i);
                    mu.remove(i);
                } else {
                    i += 1;
                }
            }
        }
        p.copy_from_slice(g);
        for (&j, &m) in passive.iter().zip(&mu) {
            axpy(&mut p, signs[j] * m, data.unit_row(j));
        }
    }
    p
}

/// Least squares `min_y ‖g + A_P y‖` on at most `d` unit columns by Gram–Schmidt QR, each
/// column orthogonalized twice.
struct LeastSquares {
    d: usize,
    q: Vec<f64>,
    r: Vec<f64>,
    y: Vec<f64>,
}

impl LeastSquares {
    fn new(d: usize) -> LeastSquares {
        LeastSquares {
            d,
            q: vec![0.0; d * d],
            r: vec![0.0; d * d],
            y: vec![0.0; d],
        }
    }

    /// Solves into `y[..passive.len()]`; false when a column is within [`DEPENDENT_TOL`] of
    /// the span of the earlier ones.
    fn solve(&mut self, data: &PricingData, passive: &[usize], signs: &[f64], g: &[f64]) -> bool {
        let (d, k) = (self.d, passive.len());
        if k > d {
            return false;
        }
        for (c, &j) in passive.iter().enumerate() {
            let (done, rest) = self.q.split_at_mut(c * d);
            let v = &mut rest[..d];
            let s = signs[j];
            v.iter_mut()
                .zip(data.unit_row(j))
                .for_each(|(v, x)| *v = s * x);
            for l in 0..c {
                self.r[l * d + c] = 0.0;
            }
            for _ in 0..2 {
                for l in 0..c {
                    let ql = &done[l * d..(l + 1) * d];
                    let t = dot(ql, v);
                    self.r[l * d + c] += t;
                    axpy(v, -t, ql);
                }
            }
            let norm = dot(v, v).sqrt();
            if norm <= DEPENDENT_TOL {
                return false;
            }
            self.r[c * d + c] = norm;
            v.iter_mut().for_each(|v| *v /= norm);
        }
        for c in (0..k).rev() {
            let mut b = -dot(&self.q[c * d..(c + 1) * d], g);
            for l in c + 1..k {
                b -= self.r[c * d + l] * self.y[l];
            }
            self.y[c] = b / self.r[c * d + c];
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DVector;
    use rand::RngExt;

    fn normal(rng: &mut ChaCha8Rng) -> f64 {
        rng.sample(StandardNormal)
    }

    fn random_matrix(rng: &mut ChaCha8Rng, n: usize, d: usize) -> DMatrix<f64> {
        DMatrix::from_fn(n, d, |_, _| normal(rng))
    }

    fn random_vec(rng: &mut ChaCha8Rng, d: usize) -> Vec<f64> {
        (0..d).map(|_| normal(rng)).collect()
    }

    /// `n` points of `features` standard normal features, a ones column appended.
    fn with_bias(rng: &mut ChaCha8Rng, n: usize, features: usize) -> DMatrix<f64> {
        let mut x = random_matrix(rng, n, features + 1);
        x.column_mut(features).fill(1.0);
        x
    }

    /// The constraints `a_j = ±x_j` of the pattern's cone (zero rows left out).
    fn constraints(x: &DMatrix<f64>, pattern: &Pattern) -> Vec<DVector<f64>> {
        (0..x.nrows())
            .filter(|&j| x.row(j).norm() > 1e-12)
            .map(|j| {
                let s = if pattern.get(j) { 1.0 } else { -1.0 };
                x.row(j).transpose() * s
            })
            .collect()
    }

    /// Brute force: the nearest to `g` of its projections onto the subspaces
    /// `{u : a_j·u = 0, j ∈ S}`, `|S| ≤ d`, that lie in the cone.
    fn brute_project(x: &DMatrix<f64>, pattern: &Pattern, g: &[f64]) -> DVector<f64> {
        let a = constraints(x, pattern);
        let d = x.ncols();
        let g = DVector::from_column_slice(g);
        let feasible = |u: &DVector<f64>| {
            a.iter()
                .all(|a| a.dot(u) >= -1e-10 * a.norm() * g.norm().max(1.0))
        };
        let mut best: Option<(f64, DVector<f64>)> = None;
        let mut subset: Vec<usize> = Vec::new();
        fn visit(
            a: &[DVector<f64>],
            d: usize,
            from: usize,
            subset: &mut Vec<usize>,
            each: &mut dyn FnMut(&[usize]),
        ) {
            each(subset);
            if subset.len() == d {
                return;
            }
            for k in from..a.len() {
                subset.push(k);
                visit(a, d, k + 1, subset, each);
                subset.pop();
            }
        }
        visit(&a, d, 0, &mut subset, &mut |s| {
            let mut u = g.clone();
            if !s.is_empty() {
                let cols: Vec<DVector<f64>> = s.iter().map(|&k| a[k].clone()).collect();
                let svd = DMatrix::from_columns(&cols).svd(true, false);
                let u_s = svd.u.expect("u");
                let top = svd.singular_values.max();
                for (i, &sv) in svd.singular_values.iter().enumerate() {
                    if sv > 1e-10 * top {
                        let e = u_s.column(i);
                        u -= e * e.dot(&g);
                    }
                }
            }
            if feasible(&u) {
                let dist = (&g - &u).norm();
                if best.as_ref().is_none_or(|(b, _)| dist < *b) {
                    best = Some((dist, u));
                }
            }
        });
        best.expect("0 is always a candidate (S spanning the constraints)")
            .1
    }

    fn pattern_of(x: &DMatrix<f64>, u: &[f64]) -> Pattern {
        let u = DVector::from_column_slice(u);
        Pattern::from_fn(x.nrows(), |j| x.row(j).dot(&u.transpose()) >= 0.0)
    }

    fn gradient(x: &DMatrix<f64>, pattern: &Pattern, lambda: &[f64]) -> Vec<f64> {
        let masked = DVector::from_fn(
            x.nrows(),
            |j, _| {
                if pattern.get(j) {
                    lambda[j]
                } else {
                    0.0
                }
            },
        );
        (x.transpose() * masked).as_slice().to_vec()
    }

    fn norm(v: &[f64]) -> f64 {
        dot(v, v).sqrt()
    }

    /// Random data, then with a duplicate, a scaled copy, an opposite row and a zero row.
    fn test_matrices(rng: &mut ChaCha8Rng, d: usize) -> Vec<DMatrix<f64>> {
        let plain = random_matrix(rng, 7, d);
        let mut degenerate = random_matrix(rng, 8, d);
        let r0 = degenerate.row(0).into_owned();
        degenerate.set_row(1, &r0);
        degenerate.set_row(2, &(r0 * 3.0));
        let r3 = degenerate.row(3).into_owned();
        degenerate.set_row(4, &(-r3));
        degenerate.row_mut(5).fill(0.0);
        vec![plain, degenerate]
    }

    #[test]
    fn projection_matches_brute_force_and_moreau() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for d in [2, 3] {
            for x in test_matrices(&mut rng, d) {
                let data = PricingData::new(&x);
                for case in 0..60 {
                    // Cells of random directions, and arbitrary bit patterns (cones that may be
                    // lower-dimensional or {0}).
                    let pattern = if case % 2 == 0 {
                        pattern_of(&x, &random_vec(&mut rng, d))
                    } else {
                        Pattern::from_fn(x.nrows(), |_| rng.random_bool(0.5))
                    };
                    let a = constraints(&x, &pattern);
                    for _ in 0..10 {
                        let g = random_vec(&mut rng, d);
                        let p = project(&data, &pattern, &g);
                        let expected = brute_project(&x, &pattern, &g);
                        let err = (DVector::from_column_slice(&p) - &expected).norm();
                        assert!(err < 1e-9, "d {d} {pattern}: {p:?} vs {expected}");
                        let pv = DVector::from_column_slice(&p);
                        let gv = DVector::from_column_slice(&g);
                        let r = &gv - &pv;
                        assert!(pv.dot(&r).abs() < 1e-9, "⟨p, g − p⟩ = {}", pv.dot(&r));
                        for a in &a {
                            assert!(a.dot(&pv) >= -1e-9 * a.norm(), "p outside K");
                        }
                        // g − p ∈ K°: ⟨g − p, k⟩ ≤ 0 on points k of K (brute-force projections).
                        for _ in 0..5 {
                            let k = brute_project(&x, &pattern, &random_vec(&mut rng, d));
                            assert!(r.dot(&k) <= 1e-9 * (1.0 + k.norm()), "g − p ∉ K°");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn projection_of_zero_and_of_points_in_the_cone() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let x = random_matrix(&mut rng, 30, 5);
        let data = PricingData::new(&x);
        for _ in 0..50 {
            let u = random_vec(&mut rng, 5);
            let pattern = pattern_of(&x, &u);
            assert_eq!(project(&data, &pattern, &u), u);
            assert_eq!(project(&data, &pattern, &[0.0; 5]), vec![0.0; 5]);
            assert_eq!(data.pattern_of(&u), pattern);
        }
    }

    #[test]
    fn scores_of_a_cone_containing_c_and_against_brute_force() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (n, d) = (20, 3);
        let x = random_matrix(&mut rng, n, d);
        let data = PricingData::new(&x);
        for _ in 0..20 {
            // λ on the active rows solving Σ λ_j x_j = u, so c = u is inside K: s₊ = ‖u‖.
            let u = random_vec(&mut rng, d);
            let pattern = pattern_of(&x, &u);
            let active: Vec<usize> = pattern.active().collect();
            let xa = DMatrix::from_fn(d, active.len(), |k, i| x[(active[i], k)]);
            let la = xa
                .svd(true, true)
                .solve(&DVector::from_column_slice(&u), 1e-12)
                .expect("svd");
            let mut lambda = random_vec(&mut rng, n);
            for (i, &j) in active.iter().enumerate() {
                lambda[j] = la[i];
            }
            let c = gradient(&x, &pattern, &lambda);
            assert!(c.iter().zip(&u).all(|(a, b)| (a - b).abs() < 1e-9));
            let (plus, minus) = scores(&data, &pattern, &lambda);
            assert!((plus - norm(&u)).abs() < 1e-9);
            let negated: Vec<f64> = u.iter().map(|v| -v).collect();
            assert!((minus - brute_project(&x, &pattern, &negated).norm()).abs() < 1e-9);
        }
        let x = random_matrix(&mut rng, 10, d);
        let data = PricingData::new(&x);
        for _ in 0..40 {
            let pattern = pattern_of(&x, &random_vec(&mut rng, d));
            let lambda = random_vec(&mut rng, 10);
            let c = gradient(&x, &pattern, &lambda);
            let negated: Vec<f64> = c.iter().map(|v| -v).collect();
            let (plus, minus) = scores(&data, &pattern, &lambda);
            assert!((plus - brute_project(&x, &pattern, &c).norm()).abs() < 1e-9);
            assert!((minus - brute_project(&x, &pattern, &negated).norm()).abs() < 1e-9);
        }
    }

    /// The search finds the best exact pattern, returns only exact patterns, with their scores.
    fn check_search(x: &DMatrix<f64>, lambda: &[f64], starts: usize, seed: u64) {
        let exact = crate::lower::patterns::exact(x).expect("rank ≤ 3");
        let data = PricingData::new(x);
        let best = exact
            .iter()
            .map(|p| {
                let c = gradient(x, p, lambda);
                let negated: Vec<f64> = c.iter().map(|v| -v).collect();
                let plus = brute_project(x, p, &c).norm();
                plus.max(brute_project(x, p, &negated).norm())
            })
            .fold(0.0, f64::max);
        let found = search(&data, lambda, starts, seed);
        assert!(!found.is_empty());
        assert!(
            (found[0].1 - best).abs() < 1e-9 * best.max(1.0),
            "{} vs {best}",
            found[0].1
        );
        for (k, (p, score)) in found.iter().enumerate() {
            assert!(
                exact.list.binary_search(p).is_ok(),
                "{p} is not an exact pattern"
            );
            let (plus, minus) = scores(&data, p, lambda);
            assert_eq!(*score, plus.max(minus));
            if k > 0 {
                assert!(found[k - 1].1 >= *score && found[k - 1].0 != *p);
            }
        }
        assert_eq!(found, search(&data, lambda, starts, seed));
    }

    #[test]
    fn search_finds_the_best_exact_pattern_2d() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for _ in 0..5 {
            let x = with_bias(&mut rng, 12, 2);
            let lambda = random_vec(&mut rng, 12);
            check_search(&x, &lambda, 200, 9);
        }
    }

    #[test]
    fn search_with_repeated_points_and_a_zero_row() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let t = [-2.0, -1.0, -1.0, 0.0, 0.5, 0.5, 1.5, 3.0];
        let mut x = DMatrix::from_fn(t.len() + 1, 2, |j, k| match (j < t.len(), k) {
            (true, 0) => t[j],
            (true, _) => 1.0,
            _ => 0.0,
        });
        for _ in 0..3 {
            let lambda = random_vec(&mut rng, x.nrows());
            check_search(&x, &lambda, 50, 1);
        }
        // 2-D with duplicated points.
        x = with_bias(&mut rng, 10, 2);
        for j in 0..3 {
            let row = x.row(j).into_owned();
            x.set_row(j + 5, &row);
        }
        for _ in 0..3 {
            let lambda = random_vec(&mut rng, x.nrows());
            check_search(&x, &lambda, 200, 2);
        }
    }

    #[test]
    fn price_all_equals_scores() {
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let x = with_bias(&mut rng, 15, 2);
        let data = PricingData::new(&x);
        let patterns = crate::lower::patterns::exact(&x).expect("rank 3").list;
        let lambda = random_vec(&mut rng, 15);
        let all = price_all(&data, &patterns, &lambda);
        assert_eq!(all.len(), patterns.len());
        for (p, s) in patterns.iter().zip(&all) {
            assert_eq!(*s, scores(&data, p, &lambda));
        }
        assert!(price_all(&data, &[], &lambda).is_empty());
    }

    #[test]
    fn larger_data_prices_consistently() {
        use crate::lower::patterns::{sampled, Strategy};
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (n, d) = (400, 11);
        let x = with_bias(&mut rng, n, d - 1);
        let data = PricingData::new(&x);
        let patterns = sampled(&x, 1000, 3, Strategy::Gaussian)
            .expect("finite")
            .list;
        let lambda = random_vec(&mut rng, n);
        let all = price_all(&data, &patterns, &lambda);
        for k in (0..patterns.len()).step_by(97) {
            let p = &patterns[k];
            assert_eq!(all[k], scores(&data, p, &lambda));
            // Π_K(c) is in K and orthogonal to c − Π_K(c).
            let c = gradient(&x, p, &lambda);
            let proj = project(&data, p, &c);
            assert!((norm(&proj) - all[k].0).abs() < 1e-12);
            let r: Vec<f64> = c.iter().zip(&proj).map(|(a, b)| a - b).collect();
            assert!(dot(&proj, &r).abs() < 1e-9 * dot(&c, &c));
            for a in constraints(&x, p) {
                assert!(a.dot(&DVector::from_column_slice(&proj)) >= -1e-9 * a.norm() * norm(&c));
            }
        }
        let found = search(&data, &lambda, 20, 1);
        for (p, score) in &found {
            let (plus, minus) = scores(&data, p, &lambda);
            assert_eq!(*score, plus.max(minus));
        }
    }

    /// Brute force in d = 3: row `j` is a facet iff some `u` on its plane `a_j·u = 0` (a
    /// circle of directions, scanned finely) satisfies every other row strictly.
    fn brute_facet(x: &DMatrix<f64>, pattern: &Pattern, j: usize) -> bool {
        let s = |k: usize| if pattern.get(k) { 1.0 } else { -1.0 };
        let a = x.row(j).transpose() * s(j);
        let helper = if a[0].abs() < 0.9 * a.norm() {
            DVector::from_column_slice(&[1.0, 0.0, 0.0])
        } else {
            DVector::from_column_slice(&[0.0, 1.0, 0.0])
        };
        let e1 = a.cross(&helper).normalize();
        let e2 = a.cross(&e1).normalize();
        (0..20_000).any(|t| {
            let t = t as f64 * std::f64::consts::TAU / 20_000.0;
            let u = &e1 * t.cos() + &e2 * t.sin();
            (0..x.nrows())
                .filter(|&k| k != j)
                .all(|k| s(k) * x.row(k).dot(&u.transpose()) > 1e-7 * x.row(k).norm())
        })
    }

    #[test]
    fn facets_are_the_rows_a_brute_force_finds_on_the_cone_boundary() {
        let mut rng = ChaCha8Rng::seed_from_u64(41);
        let x = with_bias(&mut rng, 14, 2);
        let data = PricingData::new(&x);
        let patterns = crate::lower::patterns::exact(&x).expect("rank 3").list;
        let mut total = 0;
        for p in &patterns {
            let kept = facets(&data, p);
            let brute: Vec<usize> = (0..14).filter(|&j| brute_facet(&x, p, j)).collect();
            assert_eq!(kept, brute, "pattern {p}");
            total += kept.len();
        }
        // A cone in R³ cut by 14 planes has few facets: most rows are implied.
        assert!(total < 14 * patterns.len() / 2, "{total} facet rows");
    }

    #[test]
    fn of_two_equal_rows_one_facet_stays() {
        let x = DMatrix::from_row_slice(4, 2, &[1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 2.0, 1.0]);
        let data = PricingData::new(&x);
        let p = Pattern::from_fn(4, |_| true);
        // The cone {u ≥ 0} of the quadrant: rows 0 (= row 1) and 2 are its facets, row 3 is
        // implied.
        assert_eq!(facets(&data, &p), vec![1, 2]);
    }
}
