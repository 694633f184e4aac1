//! Activation patterns: exact enumeration against a brute-force LP count, sampling, recovery.

use std::collections::BTreeSet;

use cnnc::lower::patterns::{
    cell_bound, convex_objective, exact, max_violation, merge, nonconvex_objective, pattern_bound,
    recover, sampled, Blocks, Pattern, PatternError, Patterns, Source, Strategy,
};
use good_lp::{microlp, variable, Expression, ProblemVariables, Solution, SolverModel};
use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A direction `g` with `x_j·g ≥ 1` for the active non-zero rows and `≤ −1` for the inactive
/// ones (an interior point of the cell), found by an LP; `None` when there is no such cell.
fn interior(x: &DMatrix<f64>, active: impl Fn(usize) -> bool) -> Option<DVector<f64>> {
    let mut vars = ProblemVariables::new();
    let g: Vec<_> = (0..x.ncols())
        .map(|_| vars.add(variable().min(-1e4).max(1e4)))
        .collect();
    let mut model = vars.minimise(Expression::from(0.0)).using(microlp);
    for j in 0..x.nrows() {
        if x.row(j).norm() == 0.0 {
            continue;
        }
        let e: Expression = g.iter().enumerate().map(|(k, &gk)| x[(j, k)] * gk).sum();
        model = if active(j) {
            model.with(e.geq(1.0))
        } else {
            model.with(e.leq(-1.0))
        };
    }
    let solution = model.solve().ok()?;
    Some(DVector::from_iterator(
        x.ncols(),
        g.iter().map(|&gk| solution.value(gk)),
    ))
}

/// Every full-dimensional cell, as the set of its patterns (the empty one included), by trying
/// each subset of the non-zero rows with [`interior`]. Zero rows are active in every pattern.
fn brute_force(x: &DMatrix<f64>) -> BTreeSet<String> {
    let n = x.nrows();
    assert!(n <= 12, "brute force is for small data");
    let nonzero: Vec<usize> = (0..n).filter(|&j| x.row(j).norm() > 0.0).collect();
    let mut found = BTreeSet::new();
    for mask in 0u32..1 << nonzero.len() {
        let active = |j: usize| match nonzero.iter().position(|&k| k == j) {
            Some(bit) => mask >> bit & 1 == 1,
            None => true,
        };
        if interior(x, active).is_some() {
            found.insert(Pattern::from_fn(n, active).to_string());
        }
    }
    found
}

/// The exact patterns as strings, with the empty one when it was found.
fn exact_set(p: &Patterns) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = p.iter().map(|q| q.to_string()).collect();
    if p.empty_found {
        let zero_rows: Vec<bool> = (0..p.n).map(|j| p.list.iter().all(|q| q.get(j))).collect();
        set.insert(Pattern::from_fn(p.n, |j| zero_rows[j]).to_string());
    }
    set
}

/// `n` rows of `d` uniform features in [−3, 3], with a ones column appended when `bias`.
fn random_data(rng: &mut ChaCha8Rng, n: usize, d: usize, bias: bool) -> DMatrix<f64> {
    let cols = d + usize::from(bias);
    DMatrix::from_fn(n, cols, |_, k| {
        if k == d {
            1.0
        } else {
            rng.random_range(-3.0..3.0)
        }
    })
}

fn with_bias(rows: &[&[f64]]) -> DMatrix<f64> {
    let d = rows[0].len();
    DMatrix::from_fn(
        rows.len(),
        d + 1,
        |j, k| if k == d { 1.0 } else { rows[j][k] },
    )
}

fn cover_count(n: usize, r: usize) -> usize {
    cell_bound(n, r) as usize
}

fn assert_exact_matches_brute_force(x: &DMatrix<f64>) -> Patterns {
    let p = exact(x).expect("rank at most 3");
    assert_eq!(exact_set(&p), brute_force(x), "data:\n{x}");
    assert!(p.len_with_empty() as f64 <= cell_bound(x.nrows(), p.rank));
    assert_eq!(p.source, Source::Exact);
    p
}

#[test]
fn seed003_has_nine_patterns_and_the_empty_one() {
    let x = with_bias(&[&[-1.], &[-5.], &[2.], &[0.], &[3.]]);
    let p = assert_exact_matches_brute_force(&x);
    assert_eq!(p.rank, 2);
    assert_eq!(p.len(), 9);
    assert_eq!(p.len_with_empty(), 10);
    // Thresholds in the 4 gaps between the sorted samples −5 < −1 < 0 < 2 < 3, both ways,
    // plus "all active": samples above (or below) a threshold.
    let listed: BTreeSet<String> = p.iter().map(|q| q.to_string()).collect();
    for expected in ["00101", "10111", "11111", "01000", "11010"] {
        assert!(
            listed.contains(expected),
            "{expected} missing from {listed:?}"
        );
    }
}

#[test]
fn exact_matches_brute_force_on_random_data() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for n in [3, 6, 9, 12] {
        let x = random_data(&mut rng, n, 1, true);
        let p = assert_exact_matches_brute_force(&x);
        assert_eq!((p.rank, p.len_with_empty()), (2, cover_count(n, 2)));
    }
    for n in [4, 7, 10] {
        let x = random_data(&mut rng, n, 2, true);
        let p = assert_exact_matches_brute_force(&x);
        assert_eq!((p.rank, p.len_with_empty()), (3, n * n - n + 2));
    }
    for n in [5, 9] {
        let x = random_data(&mut rng, n, 3, false);
        let p = assert_exact_matches_brute_force(&x);
        assert_eq!((p.rank, p.len_with_empty()), (3, cover_count(n, 3)));
    }
}

#[test]
fn exact_matches_brute_force_on_degenerate_data() {
    // Repeated points and a repeated threshold.
    assert_exact_matches_brute_force(&with_bias(&[&[1.], &[1.], &[-2.], &[0.5], &[-2.]]));
    // Zero rows and opposite points (no bias column), rank 2.
    let x = DMatrix::from_row_slice(6, 2, &[1., 2., 0., 0., -1., -2., 3., -1., -3., 1., 2., 4.]);
    assert_exact_matches_brute_force(&x);
    // Rank 1: collinear points through the origin, with a zero row.
    let x = DMatrix::from_row_slice(4, 2, &[1., 2., -2., -4., 0., 0., 3., 6.]);
    let p = assert_exact_matches_brute_force(&x);
    assert_eq!((p.rank, p.len(), p.len_with_empty()), (1, 2, 2));
    // A 3×3 grid with a bias column: eight lines through three points each (concurrent planes).
    let grid: Vec<[f64; 2]> = (0..9).map(|k| [(k % 3) as f64, (k / 3) as f64]).collect();
    let rows: Vec<&[f64]> = grid.iter().map(|p| &p[..]).collect();
    assert_exact_matches_brute_force(&with_bias(&rows));
    // Collinear 2-D points with a bias column: rank 2 inside R³, with a repeated point.
    let x = with_bias(&[&[0., 1.], &[1., 3.], &[2., 5.], &[-1., -1.], &[1., 3.]]);
    let p = assert_exact_matches_brute_force(&x);
    assert_eq!(p.rank, 2);
    // A 2-D point set with several collinear triples and a zero feature row.
    let x = with_bias(&[
        &[0., 0.],
        &[1., 1.],
        &[2., 2.],
        &[0., 2.],
        &[2., 0.],
        &[1., 0.],
        &[3., 1.],
    ]);
    assert_exact_matches_brute_force(&x);
    // Rank 3 without a bias column: opposite, repeated and zero rows, and a row that is the
    // sum of two others (three concurrent planes).
    let x = DMatrix::from_row_slice(
        8,
        3,
        &[
            1., 0., 2., -1., 0., -2., 0., 1., 1., 0., 1., 1., 0., 0., 0., 1., 1., 3., 2., -1., 0.,
            -3., 1., 1.,
        ],
    );
    let p = assert_exact_matches_brute_force(&x);
    assert_eq!(p.rank, 3);
    // Everything zero: no non-empty pattern.
    let p = exact(&DMatrix::zeros(3, 2)).expect("rank 0");
    assert_eq!((p.rank, p.len(), p.len_with_empty()), (0, 0, 1));
}

#[test]
fn exact_on_rank_four_is_refused_with_the_bound() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let x = random_data(&mut rng, 10, 3, true);
    match exact(&x) {
        Err(PatternError::RankTooHigh { rank, n, bound }) => {
            assert_eq!((rank, n), (4, 10));
            assert_eq!(bound, pattern_bound(10, 4));
            // 2·4·(9e/4)^4
            let expected = 8.0 * (9.0 * std::f64::consts::E / 4.0_f64).powi(4);
            assert!((bound - expected).abs() <= 1e-9 * expected);
            let message = exact(&x).expect_err("refused").to_string();
            assert!(
                message.contains("rank 4") && message.contains("sampled"),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn sampled_patterns_are_exact_patterns_deduplicated_and_reproducible() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let datasets = [
        random_data(&mut rng, 40, 1, true),
        random_data(&mut rng, 25, 2, true),
        with_bias(&[&[1.], &[1.], &[-2.], &[0.5], &[-2.], &[0.], &[7.]]),
        with_bias(&[
            &[0., 0.],
            &[1., 1.],
            &[2., 2.],
            &[0., 2.],
            &[2., 0.],
            &[1., 0.],
        ]),
    ];
    for x in &datasets {
        let all = exact(x).expect("rank at most 3");
        let all: BTreeSet<&Pattern> = all.iter().collect();
        for strategy in [Strategy::Gaussian, Strategy::Data] {
            let s = sampled(x, 300, 42, strategy).expect("finite data");
            assert!(s.len() <= 300);
            assert!(
                s.list.windows(2).all(|w| w[0] < w[1]),
                "sorted, no duplicates"
            );
            for q in s.iter() {
                assert!(
                    all.contains(q),
                    "{strategy:?} sampled {q}, not an exact pattern"
                );
            }
            assert_eq!(s, sampled(x, 300, 42, strategy).expect("finite data"));
            assert_eq!(
                s.source,
                Source::Sampled {
                    strategy,
                    draws: 300,
                    seed: 42
                }
            );
        }
    }
}

#[test]
fn data_strategy_reaches_thresholds_far_from_the_origin() {
    // 1-D data far from 0: Gaussian thresholds −g₂/g₁ are Cauchy around 0 and rarely fall
    // between these samples; hyperplanes through data points always do.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let points: Vec<f64> = (0..30).map(|_| rng.random_range(100.0..110.0)).collect();
    let rows: Vec<[f64; 1]> = points.iter().map(|&p| [p]).collect();
    let rows: Vec<&[f64]> = rows.iter().map(|r| &r[..]).collect();
    let x = with_bias(&rows);
    let total = exact(&x).expect("rank 2").len();
    let gaussian = sampled(&x, 500, 1, Strategy::Gaussian)
        .expect("finite")
        .len();
    let data = sampled(&x, 500, 1, Strategy::Data).expect("finite").len();
    assert_eq!(total, 59);
    assert!(data > 2 * gaussian, "data {data}, gaussian {gaussian}");
}

/// Blocks for the exact patterns of `x`: interior directions of each cell with random scales
/// (some zero), and where `ray` is feasible for a pattern, that boundary ray instead.
fn feasible_blocks(
    rng: &mut ChaCha8Rng,
    x: &DMatrix<f64>,
    p: &Patterns,
    ray: &DVector<f64>,
) -> Blocks {
    let d = x.ncols();
    let mut v = DMatrix::zeros(p.len(), d);
    let mut w = DMatrix::zeros(p.len(), d);
    let z = x * ray;
    let mut boundary_blocks = 0;
    for (i, q) in p.iter().enumerate() {
        let g = interior(x, |j| q.get(j)).expect("a cell has an interior point");
        let on_boundary = (0..x.nrows()).all(|j| {
            if q.get(j) {
                z[j] >= -1e-12
            } else {
                z[j] <= 1e-12
            }
        });
        let a: f64 = if rng.random_bool(0.2) && !on_boundary {
            0.0
        } else {
            rng.random_range(0.1..2.0)
        };
        let b: f64 = if rng.random_bool(0.2) {
            0.0
        } else {
            rng.random_range(0.1..2.0)
        };
        boundary_blocks += usize::from(on_boundary);
        let v_dir = if on_boundary { ray.clone() } else { g.clone() };
        v.set_row(i, &(v_dir * (a / g.norm())).transpose());
        w.set_row(i, &(g.clone() * (b / g.norm())).transpose());
    }
    assert!(boundary_blocks >= 2, "the ray lies on at least two cells");
    Blocks { v, w }
}

#[test]
fn recovered_network_attains_the_convex_objective_and_merging_does_not_increase_it() {
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let x1 = with_bias(&[&[-1.], &[-5.], &[2.], &[0.], &[3.], &[1.5], &[-2.5]]);
    // Through the sample at 2: x·(1, −2) = x − 2.
    let ray1 = DVector::from_vec(vec![1.0, -2.0]);
    let x2 = random_data(&mut rng, 8, 2, true);
    // Through samples 0 and 1 of x2: orthogonal to both rows.
    let ray2 = x2.row(0).transpose().cross(&x2.row(1).transpose());
    for (x, ray) in [(x1, ray1), (x2, ray2)] {
        let y = DVector::from_fn(x.nrows(), |j, _| if j % 2 == 0 { 1.0 } else { -1.0 });
        let p = exact(&x).expect("rank at most 3");
        for beta in [1e-4, 0.3] {
            let blocks = feasible_blocks(&mut rng, &x, &p, &ray);
            assert!(max_violation(&blocks, &p, &x) <= 1e-12);
            let convex = convex_objective(&blocks, &p, &x, &y, beta);
            let net = recover(&blocks, 0.0);
            let nonconvex = nonconvex_objective(&x, &y, &net.u, &net.alpha, beta);
            assert!(
                (nonconvex - convex).abs() <= 1e-12 * convex,
                "{nonconvex} vs {convex}"
            );
            let merged = merge(&net, &x);
            assert!(
                merged.width() < net.width(),
                "the boundary ray neurons merge"
            );
            let after = nonconvex_objective(&x, &y, &merged.u, &merged.alpha, beta);
            assert!(after <= nonconvex * (1.0 + 1e-12), "{after} > {nonconvex}");
        }
    }
}

#[test]
fn recovery_skips_blocks_below_the_threshold() {
    let v = DMatrix::from_row_slice(3, 2, &[4.0, 0.0, 1e-9, 0.0, 0.0, 0.0]);
    let w = DMatrix::from_row_slice(3, 2, &[0.0, 0.0, 0.0, 0.0, 0.0, 9.0]);
    let net = recover(&Blocks { v, w }, 1e-6);
    assert_eq!(net.width(), 2);
    assert_eq!(net.alpha.as_slice(), &[2.0, -3.0]);
    assert_eq!(
        net.u.row(0).iter().copied().collect::<Vec<_>>(),
        vec![2.0, 0.0]
    );
    assert_eq!(
        net.u.row(1).iter().copied().collect::<Vec<_>>(),
        vec![0.0, 3.0]
    );
}

/// `prune` (what `train` applies after merging) on a network built by hand. On
/// `x = [[1, 1], [2, 1], [−1, 1]]` the neurons contribute at most: `u = (1, 0), α = 2`: 4;
/// `u = (−1, 0), α = 1e-12`: 1e-12; `u = (0, 1), α = −1`: 1; `u = (−1, −1), α = 5`: 0 (never
/// active). The outputs are `(1, 3, −1 + 1e-12)`, so the scale is 3.
#[test]
fn prune_drops_neurons_by_their_largest_output() {
    use cnnc::lower::patterns::{forward, prune, Network, PRUNE_RTOL};
    let x = DMatrix::from_row_slice(3, 2, &[1.0, 1.0, 2.0, 1.0, -1.0, 1.0]);
    let net = Network {
        u: DMatrix::from_row_slice(4, 2, &[1.0, 0.0, -1.0, 0.0, 0.0, 1.0, -1.0, -1.0]),
        alpha: DVector::from_vec(vec![2.0, 1e-12, -1.0, 5.0]),
    };
    // At the default 1e-9 (threshold 3e-9): the 1e-12 neuron and the dead one go.
    let pruned = prune(&net, &x, PRUNE_RTOL);
    assert_eq!(
        pruned.u,
        DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0])
    );
    assert_eq!(pruned.alpha.as_slice(), &[2.0, -1.0]);
    // Each prediction moves by at most rtol · max|ŷ| per dropped neuron.
    let (before, after) = (
        forward(&x, &net.u, &net.alpha),
        forward(&x, &pruned.u, &pruned.alpha),
    );
    assert_eq!(before.len(), 3);
    assert!((before - &after).amax() <= 2.0 * PRUNE_RTOL * 3.0);
    assert_eq!(after.as_slice(), &[1.0, 3.0, -1.0]);
    // rtol 0 keeps every neuron that is ever active; a threshold equal to a contribution
    // (1 = rtol · 3) drops it.
    assert_eq!(prune(&net, &x, 0.0).width(), 3);
    let strict = prune(&net, &x, 1.0 / 3.0);
    assert_eq!(strict.alpha.as_slice(), &[2.0]);
    // A network with no output at all loses every neuron, without a panic.
    let silent = Network {
        u: DMatrix::from_row_slice(1, 2, &[-1.0, -1.0]),
        alpha: DVector::from_vec(vec![1.0]),
    };
    assert_eq!(
        prune(&silent, &x.rows(0, 2).into_owned(), PRUNE_RTOL).width(),
        0
    );
}
