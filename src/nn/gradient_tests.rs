//! Reverse-mode gradients against central finite differences, for every atom and every
//! activation through network outputs.

use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::eval::{value, value_and_gradient};
use super::test_models::*;
use super::Values;
use crate::model::{Atom, BiasMode, DataPart, Expr, Model};
use crate::syntax::ast::BinOp;

fn random_matrix(rng: &mut ChaCha8Rng, r: usize, c: usize) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |_, _| rng.random_range(-1.5..1.5))
}

fn random_values(m: &Model, seed: u64) -> Values {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let vars = m
        .vars
        .iter()
        .map(|v| random_matrix(&mut rng, v.shape.rows(), v.shape.cols()))
        .collect();
    Values::new(m, vars).expect("shapes match")
}

/// The largest relative error `|g − g_fd| / max(1, |g_fd|)` over all entries, with central
/// differences of step 1e-6.
fn gradient_error(m: &Model, e: &Expr, at: &Values) -> f64 {
    let (_, grad) = value_and_gradient(m, e, at).expect("evaluates");
    let flat = at.to_flat();
    let g = grad.to_flat();
    let h = 1e-6;
    let f = |x: &[f64]| {
        let v = Values::from_flat(m, x).expect("length");
        value(m, e, &v).expect("evaluates")[(0, 0)]
    };
    let mut worst: f64 = 0.0;
    for k in 0..flat.len() {
        let mut xp = flat.clone();
        let mut xm = flat.clone();
        xp[k] += h;
        xm[k] -= h;
        let fd = (f(&xp) - f(&xm)) / (2.0 * h);
        worst = worst.max((g[k] - fd).abs() / fd.abs().max(1.0));
    }
    worst
}

/// A model with data (6 samples, 2 features, two classes) and user variables
/// `u: [3]`, `M: [3, 2]`, `s`, `w: [2]`.
fn atoms_model() -> Model {
    let mut m = empty();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x = random_matrix(&mut rng, 6, 2);
    let y = DMatrix::from_column_slice(6, 1, &[1.0, -1.0, 1.0, 1.0, -1.0, -1.0]);
    add_data(&mut m, x, y, true);
    for (name, shape) in [
        ("u", vec![3]),
        ("M", vec![3, 2]),
        ("s", vec![]),
        ("w", vec![2]),
    ] {
        add_var(&mut m, name, shape);
    }
    m
}

#[test]
fn every_atom_matches_finite_differences() {
    use crate::model::{DataId, VarId};
    let m = atoms_model();
    let (u, mm, s, w) = (
        var(&m, VarId(0)),
        var(&m, VarId(1)),
        var(&m, VarId(2)),
        var(&m, VarId(3)),
    );
    let d = DataId(0);
    let x = data(&m, d, DataPart::X);
    let y = data(&m, d, DataPart::Y);
    let xw = bin(BinOp::MatMul, x.clone(), w.clone());
    let sum = |e: Expr| atom(Atom::Sum, vec![e]);
    let cases: Vec<(&str, Expr)> = vec![
        (
            "sum_squares of X@w - y",
            atom(
                Atom::SumSquares,
                vec![bin(BinOp::Sub, xw.clone(), y.clone())],
            ),
        ),
        ("sum, exp", sum(atom(Atom::Exp, vec![u.clone()]))),
        ("log_sum_exp", atom(Atom::LogSumExp, vec![mm.clone()])),
        (
            "norm2 of M@w - u",
            atom(
                Atom::Norm2,
                vec![bin(
                    BinOp::Sub,
                    bin(BinOp::MatMul, mm.clone(), w.clone()),
                    u.clone(),
                )],
            ),
        ),
        (
            "quad_over_lin",
            atom(
                Atom::QuadOverLin,
                vec![u.clone(), atom(Atom::Exp, vec![s.clone()])],
            ),
        ),
        (
            "log of exp + 1",
            sum(atom(
                Atom::Log,
                vec![bin(BinOp::Add, atom(Atom::Exp, vec![u.clone()]), num(1.0))],
            )),
        ),
        ("softplus", sum(atom(Atom::Softplus, vec![xw.clone()]))),
        (
            "sigmoid_hbar",
            sum(atom(
                Atom::SigmoidHbar,
                vec![bin(BinOp::Mul, num(3.0), u.clone())],
            )),
        ),
        ("nuclear_norm", atom(Atom::NuclearNorm, vec![mm.clone()])),
        ("sigma_max", atom(Atom::SigmaMax, vec![mm.clone()])),
        ("norm1", atom(Atom::Norm1, vec![u.clone()])),
        ("norm_inf", atom(Atom::NormInf, vec![mm.clone()])),
        ("max", atom(Atom::Max, vec![u.clone()])),
        ("abs", sum(atom(Atom::Abs, vec![mm.clone()]))),
        ("pos", sum(atom(Atom::Pos, vec![xw.clone()]))),
        (
            "maximum",
            sum(atom(Atom::Maximum, vec![u.clone(), num(0.1)])),
        ),
        (
            "maximum of two",
            sum(atom(Atom::Maximum, vec![mm.clone(), neg(mm.clone())])),
        ),
        (
            "transpose(M) @ u",
            atom(
                Atom::SumSquares,
                vec![bin(
                    BinOp::MatMul,
                    atom(Atom::Transpose, vec![mm.clone()]),
                    u.clone(),
                )],
            ),
        ),
        (
            "u @ M (vector on the left)",
            atom(
                Atom::SumSquares,
                vec![bin(BinOp::MatMul, u.clone(), mm.clone())],
            ),
        ),
        (
            "u @ M @ w",
            bin(
                BinOp::MatMul,
                bin(BinOp::MatMul, u.clone(), mm.clone()),
                w.clone(),
            ),
        ),
        (
            "transpose of a vector",
            sum(bin(
                BinOp::MatMul,
                atom(Atom::Transpose, vec![u.clone()]),
                mm.clone(),
            )),
        ),
        (
            "arithmetic",
            bin(
                BinOp::Add,
                bin(
                    BinOp::Pow,
                    bin(BinOp::Sub, bin(BinOp::Mul, s.clone(), num(3.0)), num(1.0)),
                    num(2.0),
                ),
                bin(
                    BinOp::Sub,
                    sum(bin(BinOp::Div, u.clone(), num(2.0))),
                    neg(entry(mm.clone(), vec![1, 0])),
                ),
            ),
        ),
        (
            "power 1.5",
            sum(bin(BinOp::Pow, atom(Atom::Exp, vec![u.clone()]), num(1.5))),
        ),
        (
            "elementwise product with data",
            sum(bin(BinOp::Mul, y.clone(), xw.clone())),
        ),
        (
            "rows of a class",
            atom(Atom::SumSquares, vec![class_rows(&m, xw.clone(), d, 1)]),
        ),
        ("entry of a vector", entry(u.clone(), vec![2])),
        (
            "constant matrix",
            sum(bin(
                BinOp::Mul,
                matrix(DMatrix::from_row_slice(
                    3,
                    2,
                    &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                )),
                mm.clone(),
            )),
        ),
    ];
    for seed in 0..3 {
        let at = random_values(&m, seed);
        for (name, e) in &cases {
            let err = gradient_error(&m, e, &at);
            assert!(
                err < 1e-6,
                "{name}: relative gradient error {err:e} at seed {seed}"
            );
        }
    }
}

/// `½‖net(X) − Y‖² + 0.05 ‖weights(net)‖²` for a 2-layer network with the given activation.
fn network_case(activation: &str, bias: BiasMode, outputs: usize) -> (Model, Expr) {
    let mut m = empty();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let x = random_matrix(&mut rng, 7, 3);
    let y = random_matrix(&mut rng, 7, outputs);
    let d = add_data(&mut m, x, y, false);
    let net = add_net(&mut m, "net", 3, &[(4, activation)], outputs, bias);
    let out = net_out(&m, net, data(&m, d, DataPart::X));
    let fit = atom(
        Atom::SumSquares,
        vec![bin(BinOp::Sub, out, data(&m, d, DataPart::Y))],
    );
    let reg = atom(Atom::SumSquares, vec![weights(&m, net)]);
    let e = bin(
        BinOp::Add,
        bin(BinOp::Mul, num(0.5), fit),
        bin(BinOp::Mul, num(0.05), reg),
    );
    (m, e)
}

#[test]
fn every_activation_backpropagates_through_networks() {
    for act in [
        "identity",
        "relu",
        "leaky_relu",
        "sigmoid",
        "softplus",
        "custom_dc",
    ] {
        for bias in [BiasMode::Separate, BiasMode::Column, BiasMode::None] {
            for outputs in [1, 2] {
                let (m, e) = network_case(act, bias, outputs);
                for seed in 0..2 {
                    let at = random_values(&m, 100 + seed);
                    let err = gradient_error(&m, &e, &at);
                    assert!(
                        err < 1e-6,
                        "{act} {bias:?} k={outputs}: relative gradient error {err:e}"
                    );
                }
            }
        }
    }
}

#[test]
fn closed_form_activations_agree_with_their_dc_definitions() {
    use super::activation::ActivationFn;
    for name in ["identity", "relu", "leaky_relu", "sigmoid", "softplus"] {
        let act = activation(name);
        let closed = ActivationFn::from_model(&act);
        assert_eq!(closed.name(), name);
        assert!(
            !matches!(closed, ActivationFn::Dc { .. }),
            "{name} should use its closed form"
        );
        let generic = ActivationFn::Dc {
            name: name.into(),
            p: Box::new(act.p.clone()),
            q: Box::new(act.q.clone()),
        };
        for k in -40..=40 {
            let z = f64::from(k) * 0.173 + 0.01;
            let (a, b) = (closed.eval(z), generic.eval(z));
            assert!((a - b).abs() < 1e-12, "{name}({z}) = {a} vs p − q = {b}");
            let (da, db) = (closed.derivative(z), generic.derivative(z));
            assert!((da - db).abs() < 1e-12, "{name}'({z}) = {da} vs {db}");
        }
    }
    // A definition that differs from the library's keeps its own formula.
    let mut odd = activation("custom");
    odd.name = "relu".into();
    assert!(matches!(
        ActivationFn::from_model(&odd),
        ActivationFn::Dc { .. }
    ));
}

/// Values and gradients against independent closed forms (the finite-difference checks above
/// only compare the evaluator with itself).
#[test]
fn atom_values_match_closed_forms() {
    use crate::model::VarId;
    let mut m = empty();
    add_var(&mut m, "A", vec![2, 2]);
    add_var(&mut m, "B", vec![3, 2]);
    add_var(&mut m, "u", vec![3]);
    add_var(&mut m, "s", vec![]);
    add_var(&mut m, "L", vec![2, 2]);
    add_var(&mut m, "z", vec![4]);
    let (l2, l3) = (2f64.ln(), 3f64.ln());
    let at = Values::new(
        &m,
        vec![
            DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]),
            DMatrix::from_row_slice(3, 2, &[3.0, 0.0, 0.0, -4.0, 0.0, 0.0]),
            DMatrix::from_column_slice(3, 1, &[1.0, -2.0, 2.0]),
            DMatrix::from_element(1, 1, 3.0),
            DMatrix::from_row_slice(2, 2, &[0.0, l2, l3, 4f64.ln()]),
            DMatrix::from_column_slice(4, 1, &[-l3, 0.0, 2.0, -40.0]),
        ],
    )
    .expect("shapes match");
    let v = |i: usize| var(&m, VarId(i));
    let scalar = |e: Expr| {
        let r = value(&m, &e, &at).expect("evaluates");
        assert_eq!(r.shape(), (1, 1));
        r[(0, 0)]
    };
    // A = [[1, 2], [3, 4]]: σ₁² + σ₂² = ‖A‖²_F = 30 and σ₁σ₂ = |det A| = 2, so
    // ‖A‖_* = √(30 + 2·2) = √34 and σ_max = √(15 + √(15² − 4)) = √(15 + √221).
    let cases = [
        (
            "nuclear_norm(A)",
            atom(Atom::NuclearNorm, vec![v(0)]),
            34f64.sqrt(),
        ),
        (
            "sigma_max(A)",
            atom(Atom::SigmaMax, vec![v(0)]),
            (15.0 + 221f64.sqrt()).sqrt(),
        ),
        // B has singular values 4 and 3 (a scaled permutation of the identity's columns).
        ("nuclear_norm(B)", atom(Atom::NuclearNorm, vec![v(1)]), 7.0),
        ("sigma_max(B)", atom(Atom::SigmaMax, vec![v(1)]), 4.0),
        // ‖u‖² / s = 9 / 3.
        (
            "quad_over_lin(u, s)",
            atom(Atom::QuadOverLin, vec![v(2), v(3)]),
            3.0,
        ),
        // log(1 + 2 + 3 + 4).
        (
            "log_sum_exp(L)",
            atom(Atom::LogSumExp, vec![v(4)]),
            10f64.ln(),
        ),
        // log(e^1000 + e^1000) = 1000 + log 2 (no overflow).
        (
            "log_sum_exp(1000 + A - A)",
            atom(
                Atom::LogSumExp,
                vec![bin(BinOp::Add, num(1000.0), bin(BinOp::Sub, v(0), v(0)))],
            ),
            1000.0 + 4f64.ln(),
        ),
    ];
    for (name, e, want) in cases {
        let got = scalar(e);
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{name}: {got} vs {want}"
        );
    }
    // Gradients in closed form: softmax for log_sum_exp, (2u/s, −‖u‖²/s²) for quad_over_lin,
    // U Vᵀ for the nuclear norm and u₁v₁ᵀ for σ_max (B = [[3, 0], [0, −4], [0, 0]]).
    let grad = |e: Expr, of: usize| {
        let (_, g) = value_and_gradient(&m, &e, &at).expect("evaluates");
        g.get(VarId(of)).clone()
    };
    let gradients = [
        (
            "∇ log_sum_exp(L)",
            grad(atom(Atom::LogSumExp, vec![v(4)]), 4),
            DMatrix::from_row_slice(2, 2, &[0.1, 0.2, 0.3, 0.4]),
        ),
        (
            "∇u quad_over_lin(u, s)",
            grad(atom(Atom::QuadOverLin, vec![v(2), v(3)]), 2),
            DMatrix::from_column_slice(3, 1, &[2.0 / 3.0, -4.0 / 3.0, 4.0 / 3.0]),
        ),
        (
            "∇s quad_over_lin(u, s)",
            grad(atom(Atom::QuadOverLin, vec![v(2), v(3)]), 3),
            DMatrix::from_element(1, 1, -1.0),
        ),
        (
            "∇ nuclear_norm(B)",
            grad(atom(Atom::NuclearNorm, vec![v(1)]), 1),
            DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.0, -1.0, 0.0, 0.0]),
        ),
        (
            "∇ sigma_max(B)",
            grad(atom(Atom::SigmaMax, vec![v(1)]), 1),
            DMatrix::from_row_slice(3, 2, &[0.0, 0.0, 0.0, -1.0, 0.0, 0.0]),
        ),
    ];
    for (name, got, want) in gradients {
        assert_eq!(got.shape(), want.shape(), "{name}");
        assert!((&got - &want).amax() <= 1e-12, "{name}: {got} vs {want}");
    }
    // sigmoid_hbar: 1/(1 + e^−z) for z ≤ 0, z/4 + 1/2 above: at −ln 3, 0, 2, −40.
    let h = value(&m, &atom(Atom::SigmoidHbar, vec![v(5)]), &at).expect("evaluates");
    let want = [0.25, 0.5, 1.0, 1.0 / (1.0 + 40f64.exp())];
    assert_eq!(h.len(), want.len());
    for (k, (got, w)) in h.iter().zip(want).enumerate() {
        assert!(
            (got - w).abs() <= 1e-15 + 1e-12 * w,
            "sigmoid_hbar entry {k}: {got} vs {w}"
        );
    }
    // Its derivative: s(1 − s) = 3/16 at −ln 3, 1/4 at 0 and above.
    let g = grad(
        atom(Atom::Sum, vec![atom(Atom::SigmoidHbar, vec![v(5)])]),
        5,
    );
    for (k, w) in [0.1875, 0.25, 0.25].iter().enumerate() {
        assert!(
            (g[k] - w).abs() <= 1e-12,
            "sigmoid_hbar' entry {k}: {}",
            g[k]
        );
    }
}

/// `e` (a left-nested tree of binary operations) as one [`ExprKind::Chain`] node.
fn as_chain(e: Expr) -> Expr {
    use crate::model::{ChainStep, ExprKind};
    let (shape, span) = (e.shape.clone(), e.span);
    let mut steps = Vec::new();
    let mut cur = e;
    while let ExprKind::Binary(op, a, b) = cur.kind {
        steps.push(ChainStep {
            op,
            rhs: *b,
            shape: cur.shape,
            span: cur.span,
        });
        cur = *a;
    }
    steps.reverse();
    Expr {
        kind: ExprKind::Chain(Box::new(cur), steps),
        shape,
        span,
    }
}

#[test]
fn a_chain_evaluates_and_differentiates_as_its_nested_operations() {
    use crate::model::VarId;
    let m = atoms_model();
    let (u, mm, s, w) = (
        var(&m, VarId(0)),
        var(&m, VarId(1)),
        var(&m, VarId(2)),
        var(&m, VarId(3)),
    );
    // ((((u @ M) * w) * s) / 2) @ w, and (((u @ M) - w) + s) - w: every operator, with
    // vectors taken as rows by `@`, scalars broadcast and constant operands.
    let product = bin(
        BinOp::MatMul,
        bin(
            BinOp::Div,
            bin(
                BinOp::Mul,
                bin(
                    BinOp::Mul,
                    bin(BinOp::MatMul, u.clone(), mm.clone()),
                    w.clone(),
                ),
                s.clone(),
            ),
            num(2.0),
        ),
        w.clone(),
    );
    let sum = bin(
        BinOp::Sub,
        bin(
            BinOp::Add,
            bin(BinOp::Sub, bin(BinOp::MatMul, u, mm), w.clone()),
            s,
        ),
        w,
    );
    let cases = [
        (product.clone(), as_chain(product)),
        (
            atom(Atom::SumSquares, vec![sum.clone()]),
            atom(Atom::SumSquares, vec![as_chain(sum)]),
        ),
    ];
    for (nested, chain) in cases {
        let at = random_values(&m, 11);
        let (v1, g1) = value_and_gradient(&m, &nested, &at).expect("nested evaluates");
        let (v2, g2) = value_and_gradient(&m, &chain, &at).expect("chain evaluates");
        assert_eq!(v1, v2);
        assert_eq!(g1.to_flat(), g2.to_flat());
        assert!(gradient_error(&m, &chain, &at) < 1e-6);
    }
}
