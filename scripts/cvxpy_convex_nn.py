#!/usr/bin/env python3
"""Runs the Convex-NN method (seed 002, METHODS §3) in CVXPY + Clarabel, independently of cnnc.

A development tool, not a test: a reference to check cnnc's `method convex_nn` pass by pass and
to compare its speed. It builds, for a d → n1 → … → n_{L−1} → 1 network with sigmoid hidden
layers, an identity output and separate biases, over the m training rows X (m×d, rows are
samples) and labels y = ±1:

- layer 1 affine, Z¹ = X W¹ᵀ + 1 b¹ᵀ;
- for every layer l ≥ 2, with lifted Wd (one per node) and Ad (one per row of the layer's
  input A^{l−1}), the parabolic relaxation ‖w_i ± a_j‖² ≤ Wd_i + Ad_j ± 2(z_ji − b_i),
  ‖w_i‖² ≤ Wd_i, ‖a_j‖² ≤ Ad_j, all pairs at once as one SOC constraint per family
  (selection matrices, no Python loop over pairs unless `--build loop`);
- for every hidden a = σ(z), the DC split (u + a)/2 ≥ p(z), (u − a)/2 ≥ q(z), with
  p(z) = h̄(z) − z/4 − 1/2, q(z) = h̄(−z) − 1, h̄ = σ on t ≤ 0 and t/4 + 1/2 above, h̄ replaced by
  the max of its tangent planes at t ∈ {0, −1, −2, −4} and at c = min(ť, 0), ť the anchor's
  value of h̄'s argument (ž for p, −ž for q);
- optionally the per-class hard bounds Σ_{i∈C_j} |z^L_i − y_i| ≤ κ_j = kappa·|C_j|;
- objective ½‖z^L − y‖² + η·r, r = μ·(lifting penalty around the anchor + linearised DC gap
  around the anchor), constants included, so it is 0 at the anchor's own lifted point.

The anchor (W̌, b̌) is the previous iterate and Ǎ, Ž its true forward pass. Every pass
(Algorithm 1) compiles the program with the anchor as constants and solves it; `--dpp` compiles
once with the anchor as `cp.Parameter`s instead (CVXPY's parametric compile needs memory of
order parameters × variables: fine for 54 rows, over 24 GB for Yeast's 387, so the process
limits its address space, `--memory-limit-gb`). The loop stops when the relaxed objective
improves by less than ε·max(1, |f|) (an increase included) or after `--iterations`;
`--keep-going` runs them all and says when the rule would have stopped it. When Clarabel ends
without a point CVXPY accepts (InsufficientProgress, NumericalError), the pass is solved again
at looser tolerances (`--retry`, default 1e-7 then 1e-6) and says so.

`--centered` solves the same program written in deviations from the anchor's own lifted point
(CenteredProgram: the same feasible set and objective, no large cancelling terms in what
Clarabel sees); at η = 1000 the plain form's relaxed objective rose in two passes where
Clarabel's answer was worse than the anchor's known point by 6e-3, the centered one's did not.

Output, on standard output, one JSON object a line:
- {"event": "problem", …}: data, split, network, options, sizes of the CVXPY problem (scalar
  variables, constraint rows by kind) and of what Clarabel receives (variables, rows,
  non-zeros, cones), the first compile's seconds;
- {"event": "iteration", …} per pass: `relaxed_objective` (Clarabel's, r's constants
  included) and `relaxed_recomputed` (numpy, from the solution's parts `relaxed_loss`,
  `penalty_r`), `improvement`; `anchor_true_objective` and whether the anchor meets the class
  bounds (`anchor_feasible`), `objective_at_anchor_point` and `anchor_point_violation` (the
  anchor's own lifted point put into the variables: should be the anchor's loss and ≈ 0, the
  bound f ≤ loss(anchor) of the paper's Theorem 1 when the anchor is feasible);
  `bound_excess` (f − that value when the anchor is feasible: > 0 means Clarabel returned a
  point worse than a known one); `true_objective` (½‖f(X) − y‖² of the solution's weights, σ
  exact) and `true_feasible` (does the true network meet the class bounds); `lifting_gap_w/a`
  (max Wd_i − ‖w_i‖², Ad_j − ‖a_j‖²); `dc_gap_p/q` (max (u ± a)/2 − p(z), q(z), exact p, q;
  `_min` the least, negative where the planes undercut h̄); `tangent_gap` (max h̄(t) −
  planes(t) at the solution); `bilinear_violation` (max |z − A Wᵀ − b|, l ≥ 2) and
  `activation_violation` (max |a − σ(z)|); per class (`classes`, −1 class first) the relaxed
  and true L1 errors, κ_j, the bound's slack (relaxed) and dual, `true_slack` (κ_j − the true
  error), misclassified rows, and the same on the
  test rows (`test`); `build_seconds` (setting the anchor; with `--centered` building the
  problem), `compile_seconds` (CVXPY's), `clarabel_seconds` (the solver's own
  solve_time), `cvxpy_total_seconds` (wall time around prob.solve), `solver_iterations`,
  `status`, `retried_tolerance`, `failed_attempts_seconds`;
- {"event": "summary", …}: passes, why it stopped, times, the passes where the relaxed
  objective rose.
`--dump-weights DIR` writes each pass's weights as cnnc weights files (docs/WEIGHTS.md),
pass_0.json the start, for a pass-by-pass comparison; `--start FILE` starts from such a file,
else `--start-seed` draws W^l ~ N(0, 2/fan_in) layer by layer (numpy default_rng), biases 0.

    pip install cvxpy clarabel numpy
    python3 scripts/cvxpy_convex_nn.py --data examples/data/seed002_imbalanced.csv \\
        --features x1,x2 --label class --positive minor \\
        [--split 0.75 --seed 2 | --rows FILE | --rows-from-cnnc MODEL --cnnc target/release/cnnc]
        [--standardize] [--hidden 6,6] [--eta 1] [--mu 1] [--kappa 0.5 | --kappa none]
        [--iterations 50] [--epsilon 1e-7] [--keep-going] [--start W.json | --start-seed 0]
        [--centered | --dpp | --build vector|loop] [--dump-weights DIR] [--save W.json]
        [--write-rows FILE] [--retry 1e-7,1e-6] [--memory-limit-gb 8]

Training rows: by default all; `--split F --seed S` is a stratified split of this script's own
(numpy; not cnnc's ChaCha8 draw); `--rows FILE` takes them from a file (0-based data lines of
the CSV, header not counted; a JSON list or integers separated by white space or commas), the
other rows being the test rows; `--rows-from-cnnc MODEL` asks `cnnc eval` for the rows cnnc
uses for MODEL (whose data must be this CSV), so both sides train on the same rows.
`--standardize` uses the training rows' mean and population standard deviation, as cnnc.
"""
import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

FIXED_PLANES = (0.0, -1.0, -2.0, -4.0)


# ---------------------------------------------------------------- the activation's pieces


def hbar(t):
    """h̄(t) = σ(t) for t ≤ 0, t/4 + 1/2 for t > 0 (convex, C¹)."""
    t = np.asarray(t, dtype=float)
    return np.where(t <= 0, expit(np.minimum(t, 0.0)), t / 4 + 0.5)


def dhbar(t):
    t = np.asarray(t, dtype=float)
    s = expit(np.minimum(t, 0.0))
    return np.where(t <= 0, s * (1 - s), 0.25)


def p_of(z):
    return hbar(z) - z / 4 - 0.5


def dp_of(z):
    return dhbar(z) - 0.25


def q_of(z):
    return hbar(-z) - 1.0


def dq_of(z):
    return -dhbar(-z)


def planes_max(t, c):
    """max over the fixed tangent planes of h̄ and the one at c (elementwise arrays)."""
    best = hbar(c) + dhbar(c) * (t - c)
    for t0 in FIXED_PLANES:
        best = np.maximum(best, hbar(t0) + dhbar(t0) * (t - t0))
    return best


# ---------------------------------------------------------------- data and networks


def load_csv(path, features, label, positive):
    """Features (rows × d), labels ±1 and the class of every row (0 = the −1 class)."""
    import csv
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head = [h.strip() for h in rows[0]]
    body = [r for r in rows[1:] if r]
    col = {name: i for i, name in enumerate(head)}
    if label not in col:
        sys.exit(f"{path}: no label column {label!r} (columns: {', '.join(head)})")
    feats = features or [h for h in head if h != label]
    missing = [c for c in feats if c not in col]
    if missing:
        sys.exit(f"{path}: no feature column(s) {', '.join(missing)}")
    x = np.array([[float(r[col[c]]) for c in feats] for r in body])
    labels = [r[col[label]].strip() for r in body]
    names = sorted(set(labels))
    if len(names) != 2:
        sys.exit(f"{path}: label {label!r} has {len(names)} classes, this script takes two")
    pos = positive if positive is not None else names[1]
    if pos not in names:
        sys.exit(f"--positive {pos!r} is not a class of {label!r} ({', '.join(names)})")
    neg = names[0] if names[1] == pos else names[1]
    cls = np.array([1 if v == pos else 0 for v in labels])
    y = np.where(cls == 1, 1.0, -1.0)
    return x, y, cls, [neg, pos], feats


def split_rows(cls, frac, seed):
    """Stratified: per class, shuffle (numpy seed), keep round(frac·size) (at least 1) rows."""
    rng = np.random.default_rng(seed)
    train = []
    for c in (0, 1):
        g = np.flatnonzero(cls == c)
        rng.shuffle(g)
        k = int(np.floor(len(g) * frac + 0.5))
        k = min(max(k, 1 if len(g) else 0), len(g))
        train.extend(g[:k].tolist())
    return np.array(sorted(train), dtype=int)


def read_rows(path, n):
    text = Path(path).read_text()
    try:
        rows = json.loads(text)
        if isinstance(rows, dict):
            rows = rows["rows"]
    except (json.JSONDecodeError, KeyError):
        rows = [int(t) for t in text.replace(",", " ").split()]
    rows = np.array(sorted(set(int(r) for r in rows)), dtype=int)
    if len(rows) == 0 or rows[0] < 0 or rows[-1] >= n:
        sys.exit(f"{path}: training rows must be in 0..{n - 1}")
    return rows


def rows_from_cnnc(cnnc, model, x_all, cls_all, feats, class_names):
    """cnnc's training rows of `model` (whose first dataset must be this CSV): `cnnc eval` of
    a one-layer network whose output is a fixed generic linear form of the raw features, each
    training output matched to a CSV row of the same class with that value. Rows with equal
    features and class are interchangeable, so a tie is given any free one of them."""
    import subprocess
    import tempfile
    coef = np.array([1.0 / (k + 1.37) ** 0.5 for k in range(x_all.shape[1])])
    doc = {"format": "cnnc-weights", "version": 1, "network": "net", "model": None, "method": None,
           "inputs": len(feats), "feature_names": list(feats), "standardization": None,
           "target": {"kind": "classes", "names": list(class_names)},
           "layers": [{"shape": [1, len(feats)], "weights": [float(c) for c in coef],
                       "bias": [0.0], "bias_mode": "separate", "activation": "identity"}]}
    with tempfile.TemporaryDirectory(prefix="cvxpy_convex_nn_") as tmp:
        wpath = Path(tmp) / "probe.json"
        wpath.write_text(json.dumps(doc))
        cmd = [cnnc, "eval", str(model), "--weights", str(wpath)]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True)
        except OSError as e:
            sys.exit(f"cannot run {' '.join(cmd)}: {e}")
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed (exit {out.returncode}):\n{out.stderr}")
    lines = out.stdout.strip().splitlines()
    head = lines[0].split(",")
    ip, io, ic = head.index("part"), head.index("output"), head.index("class")
    value = x_all @ coef
    used = np.zeros(len(value), dtype=bool)
    rows = []
    for line in lines[1:]:
        f = line.split(",")
        if f[ip] != "train":
            continue
        v, c = float(f[io]), 1 if float(f[ic]) > 0 else 0
        cand = np.flatnonzero(~used & (cls_all == c)
                              & (np.abs(value - v) <= 1e-9 * max(1.0, abs(v))))
        if len(cand) == 0:
            sys.exit(f"--rows-from-cnnc: no row of the CSV gives cnnc's training output {v} "
                     f"(is the model's data this CSV, with these features?)")
        used[cand[0]] = True
        rows.append(int(cand[0]))
    return np.array(sorted(rows), dtype=int)


def load_weights(path, widths):
    with open(path) as f:
        doc = json.load(f)
    layers = []
    for lay in doc["layers"]:
        if lay["bias_mode"] != "separate":
            sys.exit(f"{path}: this script reads separate biases only")
        rows, cols = lay["shape"]
        w = np.array(lay["weights"], dtype=float).reshape(rows, cols)  # row by row
        layers.append((w, np.array(lay["bias"], dtype=float)))
    got = [layers[0][0].shape[1]] + [w.shape[0] for w, _ in layers]
    if got != widths:
        sys.exit(f"{path}: widths {got}, the network here is {widths}")
    acts = [lay["activation"] for lay in doc["layers"]]
    if acts != ["sigmoid"] * (len(widths) - 2) + ["identity"]:
        print(f"note: {path} names activations {acts}; this script uses sigmoid hidden layers "
              f"and an identity output", file=sys.stderr)
    return layers


def he_start(widths, seed):
    """W^l ~ N(0, 2/fan_in) drawn layer by layer (row-major), biases zero."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((widths[l + 1], widths[l])) * np.sqrt(2.0 / widths[l]),
             np.zeros(widths[l + 1])) for l in range(len(widths) - 1)]


def write_weights(path, layers, feats, class_names, stdz, method):
    doc = {
        "format": "cnnc-weights", "version": 1, "network": "net", "model": None,
        "method": method, "inputs": layers[0][0].shape[1], "feature_names": list(feats),
        "standardization": (None if stdz is None else
                            {"mean": [float(v) for v in stdz[0]],
                             "std": [float(v) for v in stdz[1]]}),
        "target": {"kind": "classes", "names": list(class_names)},
        "layers": [{"shape": list(w.shape), "weights": [float(v) for v in w.reshape(-1)],
                    "bias": [float(v) for v in b], "bias_mode": "separate",
                    "activation": "identity" if l == len(layers) - 1 else "sigmoid"}
                   for l, (w, b) in enumerate(layers)],
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def forward(x, layers):
    """Z^l of every layer and A^l of the hidden ones (σ exactly)."""
    zs, as_ = [], []
    a = x
    for l, (w, b) in enumerate(layers):
        z = a @ w.T + b[None, :]
        zs.append(z)
        if l < len(layers) - 1:
            a = expit(z)
            as_.append(a)
    return zs, as_


# ---------------------------------------------------------------- the CVXPY program


class Program:
    """The regularized relaxation (9a)–(9c) of seed 002, written as specified, the anchor as
    `cp.Parameter`s (compiled as constants every pass unless `--dpp`)."""

    def __init__(self, x, y, cls, widths, eta, mu, kappa, build, recompile):
        import cvxpy as cp

        self.x, self.y, self.cls, self.widths = x, y, cls, widths
        m = x.shape[0]
        self.m = m
        L = len(widths) - 1
        self.L = L
        H = L - 1  # hidden layers
        n = widths[1:]  # n[l] = width of layer l+1 (0-based l)
        self.W = [cp.Variable((n[l], widths[l]), name=f"W{l + 1}") for l in range(L)]
        self.b = [cp.Variable(n[l], name=f"b{l + 1}") for l in range(L)]
        self.Z = [cp.Variable((m, n[l]), name=f"Z{l + 1}") for l in range(L)]
        self.A = [cp.Variable((m, n[l]), name=f"A{l + 1}") for l in range(H)]
        self.U = [cp.Variable((m, n[l]), name=f"U{l + 1}") for l in range(H)]
        self.Wd = {l: cp.Variable(n[l], name=f"Wd{l + 1}") for l in range(1, L)}
        self.Ad = {l: cp.Variable(m, name=f"Ad{l + 1}") for l in range(1, L)}
        ones = np.ones((m, 1))

        def bias_rows(l):  # 1 b^lᵀ, m × n_l
            return ones @ cp.reshape(self.b[l], (1, n[l]), order="C")

        cons = [self.Z[0] == x @ self.W[0].T + bias_rows(0)]
        # parabolic relaxation, layers l ≥ 2 (0-based l ≥ 1)
        for l in range(1, L):
            W, b, Z, Wd, Ad, Ap = self.W[l], self.b[l], self.Z[l], self.Wd[l], self.Ad[l], self.A[l - 1]
            nl = n[l]
            if build == "vector":
                size = m * nl  # pair r = j·n_l + i (the row-major index of z_ji)
                r = np.arange(size)
                j, i = r // nl, r % nl
                sw = sp.csr_matrix((np.ones(size), (r, i)), shape=(size, nl))
                sa = sp.csr_matrix((np.ones(size), (r, j)), shape=(size, m))
                zc = cp.vec(Z, order="C") - sw @ b  # z_ji − b_i
                base = sw @ Wd + sa @ Ad
                for sign in (1.0, -1.0):
                    s = base + 2 * sign * zc
                    v = sw @ W + sign * (sa @ Ap)  # rows w_i ± a_j
                    cons.append(rotated_soc(cp, s, v))
                cons.append(rotated_soc(cp, Wd, W))
                cons.append(rotated_soc(cp, Ad, Ap))
            else:  # one expression per pair: the slow way, to measure CVXPY's compile
                for i in range(nl):
                    for jj in range(m):
                        zc = Z[jj, i] - b[i]
                        cons.append(cp.sum_squares(W[i, :] + Ap[jj, :]) <= Wd[i] + Ad[jj] + 2 * zc)
                        cons.append(cp.sum_squares(W[i, :] - Ap[jj, :]) <= Wd[i] + Ad[jj] - 2 * zc)
                    cons.append(cp.sum_squares(W[i, :]) <= Wd[i])
                for jj in range(m):
                    cons.append(cp.sum_squares(Ap[jj, :]) <= Ad[jj])
        # (layers l ≥ 2 have no affine equality: z − b is tied to W, A only through the cones)
        # DC split of the hidden sigmoids, h̄ by tangent planes
        self.plane_p, self.plane_q = [], []  # (slope, intercept) parameters of the anchor plane
        for l in range(H):
            Z, A, U = self.Z[l], self.A[l], self.U[l]
            shape = (m, n[l])
            lhs_p, lhs_q = (U + A) / 2, (U - A) / 2
            sp_, ip_ = cp.Parameter(shape, name=f"slope_p{l + 1}"), cp.Parameter(shape, name=f"icpt_p{l + 1}")
            sq_, iq_ = cp.Parameter(shape, name=f"slope_q{l + 1}"), cp.Parameter(shape, name=f"icpt_q{l + 1}")
            # p side: h̄(Z) ≥ plane(Z); p = h̄(Z) − Z/4 − 1/2
            cons.append(lhs_p >= cp.multiply(sp_, Z) + ip_ - Z / 4 - 0.5)
            # q side: h̄(−Z) − 1
            cons.append(lhs_q >= cp.multiply(sq_, -Z) + iq_ - 1.0)
            for t0 in FIXED_PLANES:
                h0, d0 = float(hbar(t0)), float(dhbar(t0))
                cons.append(lhs_p >= h0 + d0 * (Z - t0) - Z / 4 - 0.5)
                cons.append(lhs_q >= h0 + d0 * (-Z - t0) - 1.0)
            self.plane_p.append((sp_, ip_))
            self.plane_q.append((sq_, iq_))
        # hard constraints on the output
        zl = self.Z[-1][:, 0]
        self.class_cons = []
        self.kappas = []
        if kappa is not None:
            for c in (0, 1):
                idx = np.flatnonzero(cls == c)
                k = kappa * len(idx)
                con = cp.norm1(zl[idx] - y[idx]) <= k
                cons.append(con)
                self.class_cons.append(con)
                self.kappas.append(k)
        # penalty around the anchor
        self.anchor_w = {l: cp.Parameter((n[l], widths[l]), name=f"Wc{l + 1}") for l in range(1, L)}
        self.anchor_a = {l: cp.Parameter((m, widths[l]), name=f"Ac{l + 1}") for l in range(1, L)}
        self.lift_const = cp.Parameter(name="lift_const")  # Σ ‖w̌_i‖² + Σ ‖ǎ_j‖²
        self.dc_grad = [cp.Parameter((m, n[l]), name=f"G{l + 1}") for l in range(H)]
        self.dc_const = cp.Parameter(name="dc_const")
        terms = [self.lift_const, self.dc_const]
        for l in range(1, L):
            terms += [cp.sum(self.Wd[l]) - 2 * cp.sum(cp.multiply(self.anchor_w[l], self.W[l])),
                      cp.sum(self.Ad[l]) - 2 * cp.sum(cp.multiply(self.anchor_a[l], self.A[l - 1]))]
        for l in range(H):
            terms.append(cp.sum(self.U[l]) - cp.sum(cp.multiply(self.dc_grad[l], self.Z[l])))
        self.r = mu * cp.sum(cp.hstack(terms))
        self.loss = 0.5 * cp.sum_squares(zl - y)
        self.eta, self.mu = eta, mu
        # As a parametric (DPP) program CVXPY's compile needs memory of order parameters ×
        # variables (the vector form of the Yeast problem: over 24 GB; the loop form: over
        # 5.6 GB for 24 rows), so by default the anchor enters as constants, compiled anew
        # every solve (CVXPY's ignore_dpp); the loop form always so.
        self.ignore_dpp = build == "loop" or recompile
        self.prob = cp.Problem(cp.Minimize(self.loss + eta * self.r), cons)
        if not self.prob.is_dpp():
            sys.exit("internal error: the program is not DPP, CVXPY would recompile every solve")

    def set_anchor(self, layers):
        """The anchor: weights, and their true forward pass on the training rows."""
        zs, as_ = forward(self.x, layers)
        self.anchor = (layers, zs, as_)
        lift = 0.0
        for l in range(1, self.L):
            self.anchor_w[l].value = layers[l][0]
            self.anchor_a[l].value = as_[l - 1]
            lift += float(np.sum(layers[l][0] ** 2) + np.sum(as_[l - 1] ** 2))
        self.lift_const.value = lift
        dc = 0.0
        for l in range(self.L - 1):
            z = zs[l]
            g = dp_of(z) + dq_of(z)
            self.dc_grad[l].value = g
            dc += float(np.sum(-p_of(z) - q_of(z) + g * z))
            cp_ = np.minimum(z, 0.0)
            cq_ = np.minimum(-z, 0.0)
            sp_, ip_ = self.plane_p[l]
            sq_, iq_ = self.plane_q[l]
            sp_.value, ip_.value = dhbar(cp_), hbar(cp_) - dhbar(cp_) * cp_
            sq_.value, iq_.value = dhbar(cq_), hbar(cq_) - dhbar(cq_) * cq_
        self.dc_const.value = dc
        return zs

    def check_anchor_point(self):
        """Puts the anchor's own lifted point into the variables (W, b the anchor, Z, A its
        true forward pass, U = p(Z) + q(Z), Wd = ‖w_i‖², Ad = ‖a_j‖²) and returns CVXPY's value
        of the objective there (should be the anchor's true loss: r = 0) and the largest
        violation of the relaxation's constraints (should be ≈ 0; the class bounds are left
        out, the anchor need not meet them)."""
        layers, zs, as_ = self.anchor
        for l in range(self.L):
            self.W[l].value, self.b[l].value, self.Z[l].value = layers[l][0], layers[l][1], zs[l]
        for l in range(self.L - 1):
            self.A[l].value = as_[l]
            self.U[l].value = p_of(zs[l]) + q_of(zs[l])
        for l in range(1, self.L):
            self.Wd[l].value = np.sum(layers[l][0] ** 2, axis=1)
            self.Ad[l].value = np.sum(as_[l - 1] ** 2, axis=1)
        skip = {id(c) for c in self.class_cons}
        viol = max(float(np.max(c.violation())) for c in self.prob.constraints if id(c) not in skip)
        return float(self.prob.objective.value), viol

    def sizes(self):
        import cvxpy as cp
        nvar = sum(v.size for v in self.prob.variables())
        kinds = {}
        for c in self.prob.constraints:
            kinds[type(c).__name__] = kinds.get(type(c).__name__, 0) + c.size
        t0 = time.perf_counter()
        data, _, _ = self.prob.get_problem_data(cp.CLARABEL, ignore_dpp=self.ignore_dpp)
        sec = time.perf_counter() - t0
        dims = data["dims"]
        socs = list(dims.soc)
        clar = {"variables": int(data["A"].shape[1]), "rows": int(data["A"].shape[0]),
                "nonzeros": int(data["A"].nnz), "P_nonzeros": int(data["P"].nnz) if "P" in data else 0,
                "zero": int(dims.zero), "nonneg": int(dims.nonneg), "soc": len(socs),
                "soc_sizes": {str(k): socs.count(k) for k in sorted(set(socs))}}
        return {"cvxpy_variables": int(nvar), "cvxpy_constraints": len(self.prob.constraints),
                "cvxpy_constraint_rows": kinds, "clarabel": clar}, sec

    def solve(self, clarabel_opts, retry_tolerances):
        """Solves at Clarabel's tolerances (1e-8 unless set); when Clarabel stops without a
        point CVXPY accepts (InsufficientProgress, NumericalError: CVXPY raises SolverError),
        solves again with tol_gap_abs = tol_gap_rel = tol_feas = each of `retry_tolerances`
        in turn. The times are the last attempt's, `failed_attempts_seconds` the rest."""
        import cvxpy as cp
        failed = []
        for tol in [None] + list(retry_tolerances):
            opts = dict(clarabel_opts)
            if tol is not None:
                opts.update(tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol)
            t0 = time.perf_counter()
            try:
                self.prob.solve(solver=cp.CLARABEL, ignore_dpp=self.ignore_dpp, **opts)
            except cp.error.SolverError:
                failed.append(time.perf_counter() - t0)
                continue
            wall = time.perf_counter() - t0
            st = self.prob.solver_stats
            return dict(status=self.prob.status, objective=self.prob.value,
                        cvxpy_total_seconds=wall, clarabel_seconds=st.solve_time,
                        compile_seconds=self.prob.compilation_time,
                        solver_iterations=st.num_iters, retried_tolerance=tol,
                        failed_attempts_seconds=failed)
        return dict(status="solver_error", failed_attempts_seconds=failed)

    def measures(self, test):
        """Everything at the solution, recomputed with numpy."""
        L, m = self.L, self.m
        w = [v.value for v in self.W]
        b = [v.value for v in self.b]
        z = [v.value for v in self.Z]
        a = [v.value for v in self.A]
        u = [v.value for v in self.U]
        layers = [(w[l], b[l]) for l in range(L)]
        # the relaxed objective recomputed from its parts
        loss_relaxed = 0.5 * float(np.sum((z[-1][:, 0] - self.y) ** 2))
        _, zs_anchor, as_anchor = self.anchor
        r = 0.0
        lift_w = lift_a = -np.inf
        bilinear = 0.0
        for l in range(1, L):
            wc, ac = self.anchor[0][l][0], as_anchor[l - 1]
            wd, ad = self.Wd[l].value, self.Ad[l].value
            r += float(np.sum(wd - 2 * np.sum(w[l] * wc, axis=1) + np.sum(wc ** 2, axis=1)))
            r += float(np.sum(ad - 2 * np.sum(a[l - 1] * ac, axis=1) + np.sum(ac ** 2, axis=1)))
            lift_w = max(lift_w, float(np.max(wd - np.sum(w[l] ** 2, axis=1))))
            lift_a = max(lift_a, float(np.max(ad - np.sum(a[l - 1] ** 2, axis=1))))
            bilinear = max(bilinear, float(np.max(np.abs(z[l] - a[l - 1] @ w[l].T - b[l][None, :]))))
        dc_p = dc_q = -np.inf
        dc_p_min = dc_q_min = np.inf
        plane_gap = 0.0
        act = 0.0
        for l in range(L - 1):
            zh, ah, uh = z[l], a[l], u[l]
            zc = zs_anchor[l]
            r += float(np.sum((uh + ah) / 2 - p_of(zc) - dp_of(zc) * (zh - zc)
                              + (uh - ah) / 2 - q_of(zc) - dq_of(zc) * (zh - zc)))
            gp = (uh + ah) / 2 - p_of(zh)
            gq = (uh - ah) / 2 - q_of(zh)
            dc_p, dc_q = max(dc_p, float(gp.max())), max(dc_q, float(gq.max()))
            dc_p_min, dc_q_min = min(dc_p_min, float(gp.min())), min(dc_q_min, float(gq.min()))
            plane_gap = max(plane_gap,
                            float(np.max(hbar(zh) - planes_max(zh, np.minimum(zc, 0.0)))),
                            float(np.max(hbar(-zh) - planes_max(-zh, np.minimum(-zc, 0.0)))))
            act = max(act, float(np.max(np.abs(ah - expit(zh)))))
        r *= self.mu
        relaxed = loss_relaxed + self.eta * r
        # the true network of the solution's weights
        zt, _ = forward(self.x, layers)
        f = zt[-1][:, 0]
        true_obj = 0.5 * float(np.sum((f - self.y) ** 2))
        classes = []
        for c in (0, 1):
            idx = np.flatnonzero(self.cls == c)
            row = {"rows": int(len(idx)),
                   "relaxed_error": float(np.sum(np.abs(z[-1][idx, 0] - self.y[idx]))),
                   "true_error": float(np.sum(np.abs(f[idx] - self.y[idx]))),
                   "misclassified": int(np.sum(np.sign(f[idx]) != self.y[idx]))}
            if self.class_cons:
                con = self.class_cons[c]
                row["kappa"] = self.kappas[c]
                row["slack"] = self.kappas[c] - row["relaxed_error"]
                row["true_slack"] = self.kappas[c] - row["true_error"]
                row["dual"] = float(con.dual_value) if con.dual_value is not None else None
            classes.append(row)
        out = {"relaxed_recomputed": relaxed, "relaxed_loss": loss_relaxed, "penalty_r": r,
               "true_objective": true_obj,
               "lifting_gap_w": lift_w, "lifting_gap_a": lift_a,
               "dc_gap_p": dc_p, "dc_gap_q": dc_q, "dc_gap_p_min": dc_p_min, "dc_gap_q_min": dc_q_min,
               "tangent_gap": plane_gap, "bilinear_violation": bilinear,
               "activation_violation": act, "classes": classes}
        if test is not None and len(test[0]):
            zt_test, _ = forward(test[0], layers)
            ft = zt_test[-1][:, 0]
            out["test"] = [{"rows": int(np.sum(test[2] == c)),
                            "error": float(np.sum(np.abs(ft[test[2] == c] - test[1][test[2] == c]))),
                            "misclassified": int(np.sum(np.sign(ft[test[2] == c]) != test[1][test[2] == c]))}
                           for c in (0, 1)]
        return out, layers


class CenteredProgram(Program):
    """The same program written in deviations from the anchor's own lifted point (`--centered`):
    variables δW, δb, δZ, δA, δU (W = W̌ + δW, Z = Ž + δZ, A = Ǎ + δA, U = p(Ž) + q(Ž) + δU) and
    Ŵd_i = Wd_i − 2 w_i·w̌_i + ‖w̌_i‖², Âd_j = Ad_j − 2 a_j·ǎ_j + ‖ǎ_j‖² (each the lifting
    penalty's own term), so that the cones read
        ‖δw_i ± δa_j‖² ≤ Ŵd_i + Âd_j ± 2 (z_ji − b_i − w̌_i·ǎ_j − δw_i·ǎ_j − w̌_i·δa_j),
        ‖δw_i‖² ≤ Ŵd_i,  ‖δa_j‖² ≤ Âd_j
    (the same sets: expand ‖w ± a‖² − 2 w·w̌ + ‖w̌‖² − 2 a·ǎ + ‖ǎ‖²) and r = μ (Σ Ŵd + Σ Âd +
    Σ (δU − G ∘ δZ)), G = p′(Ž) + q′(Ž). The anchor is a point of value 0 for every variable,
    and the objective Clarabel sees has no large terms that cancel (in the plain form its
    linear part is about −ημ (Σ ‖w̌‖² + Σ ‖ǎ‖²) at the optimum, so a relative gap of 1e-8 can be
    an absolute error of 1e-2 in f at η = 1000). Built anew for every anchor."""

    def __init__(self, x, y, cls, widths, eta, mu, kappa, build, recompile):
        self.x, self.y, self.cls, self.widths = x, y, cls, widths
        self.m = x.shape[0]
        self.L = len(widths) - 1
        self.eta, self.mu, self.kappa_frac = eta, mu, kappa
        self.ignore_dpp = True
        self.prob = None

    def set_anchor(self, layers):
        import cvxpy as cp

        x, y, cls, widths, m, L = self.x, self.y, self.cls, self.widths, self.m, self.L
        H = L - 1
        n = widths[1:]
        zs, as_ = forward(x, layers)
        self.anchor = (layers, zs, as_)
        dW = [cp.Variable((n[l], widths[l]), name=f"dW{l + 1}") for l in range(L)]
        db = [cp.Variable(n[l], name=f"db{l + 1}") for l in range(L)]
        dZ = [cp.Variable((m, n[l]), name=f"dZ{l + 1}") for l in range(L)]
        dA = [cp.Variable((m, n[l]), name=f"dA{l + 1}") for l in range(H)]
        dU = [cp.Variable((m, n[l]), name=f"dU{l + 1}") for l in range(H)]
        hW = {l: cp.Variable(n[l], name=f"hWd{l + 1}") for l in range(1, L)}
        hA = {l: cp.Variable(m, name=f"hAd{l + 1}") for l in range(1, L)}
        self.deltas = dW + db + dZ + dA + dU + list(hW.values()) + list(hA.values())
        self.W = [layers[l][0] + dW[l] for l in range(L)]
        self.b = [layers[l][1] + db[l] for l in range(L)]
        self.Z = [zs[l] + dZ[l] for l in range(L)]
        self.A = [as_[l] + dA[l] for l in range(H)]
        self.U = [p_of(zs[l]) + q_of(zs[l]) + dU[l] for l in range(H)]
        self.Wd, self.Ad = {}, {}
        ones = np.ones((m, 1))
        cons = [dZ[0] == x @ dW[0].T + ones @ cp.reshape(db[0], (1, n[0]), order="C")]
        for l in range(1, L):
            wc, ac, nl = layers[l][0], as_[l - 1], n[l]
            self.Wd[l] = hW[l] + 2 * cp.sum(cp.multiply(wc, self.W[l]), axis=1) - np.sum(wc ** 2, axis=1)
            self.Ad[l] = hA[l] + 2 * cp.sum(cp.multiply(ac, self.A[l - 1]), axis=1) - np.sum(ac ** 2, axis=1)
            # z − b − (w̌·ǎ + δw·ǎ + w̌·δa), m × n_l; the anchor's own z − b is w̌·ǎ exactly
            lin = dZ[l] - ones @ cp.reshape(db[l], (1, nl), order="C") - ac @ dW[l].T - dA[l - 1] @ wc.T
            size = m * nl
            r = np.arange(size)
            j, i = r // nl, r % nl
            sw = sp.csr_matrix((np.ones(size), (r, i)), shape=(size, nl))
            sa = sp.csr_matrix((np.ones(size), (r, j)), shape=(size, m))
            base = sw @ hW[l] + sa @ hA[l]
            lv = cp.vec(lin, order="C")
            for sign in (1.0, -1.0):
                cons.append(rotated_soc(cp, base + 2 * sign * lv, sw @ dW[l] + sign * (sa @ dA[l - 1])))
            cons.append(rotated_soc(cp, hW[l], dW[l]))
            cons.append(rotated_soc(cp, hA[l], dA[l - 1]))
        for l in range(H):
            Z, A, U, zc = self.Z[l], self.A[l], self.U[l], zs[l]
            lhs_p, lhs_q = (U + A) / 2, (U - A) / 2
            cp_, cq_ = np.minimum(zc, 0.0), np.minimum(-zc, 0.0)
            planes_p = [(dhbar(cp_), hbar(cp_) - dhbar(cp_) * cp_)]
            planes_q = [(dhbar(cq_), hbar(cq_) - dhbar(cq_) * cq_)]
            for t0 in FIXED_PLANES:
                h0, d0 = float(hbar(t0)), float(dhbar(t0))
                planes_p.append((d0, h0 - d0 * t0))
                planes_q.append((d0, h0 - d0 * t0))
            for sl, ic in planes_p:
                cons.append(lhs_p >= cp.multiply(sl, Z) + ic - Z / 4 - 0.5)
            for sl, ic in planes_q:
                cons.append(lhs_q >= cp.multiply(sl, -Z) + ic - 1.0)
        zl = self.Z[-1][:, 0]
        self.class_cons, self.kappas = [], []
        if self.kappa_frac is not None:
            for c in (0, 1):
                idx = np.flatnonzero(cls == c)
                k = self.kappa_frac * len(idx)
                con = cp.norm1(zl[idx] - y[idx]) <= k
                cons.append(con)
                self.class_cons.append(con)
                self.kappas.append(k)
        terms = [cp.sum(hW[l]) + cp.sum(hA[l]) for l in range(1, L)]
        for l in range(H):
            terms.append(cp.sum(dU[l]) - cp.sum(cp.multiply(dp_of(zs[l]) + dq_of(zs[l]), dZ[l])))
        self.r = self.mu * cp.sum(cp.hstack(terms))
        self.loss = 0.5 * cp.sum_squares(zl - y)
        self.prob = cp.Problem(cp.Minimize(self.loss + self.eta * self.r), cons)
        return zs

    def check_anchor_point(self):
        for v in self.deltas:
            v.value = np.zeros(v.shape)
        skip = {id(c) for c in self.class_cons}
        viol = max(float(np.max(c.violation())) for c in self.prob.constraints if id(c) not in skip)
        return float(self.prob.objective.value), viol


def rotated_soc(cp, s, v):
    """‖v_r‖² ≤ s_r for every row r of v (v: k × q expression, s: k vector), as
    ‖(2 v_r, s_r − 1)‖ ≤ s_r + 1: one SOC of size q + 2 per row."""
    k = s.shape[0]
    s_col = cp.reshape(s, (k, 1), order="C")
    return cp.SOC(s + 1, cp.hstack([2 * v, s_col - 1]), axis=1)


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="examples/data/seed002_imbalanced.csv")
    ap.add_argument("--features", default=None, help="comma-separated (default: all but the label)")
    ap.add_argument("--label", default="class")
    ap.add_argument("--positive", default=None, help="the class coded +1 (default: the later sorted)")
    ap.add_argument("--split", type=float, default=None, help="training fraction, stratified")
    ap.add_argument("--seed", type=int, default=0, help="the split's numpy seed")
    ap.add_argument("--rows", default=None, help="file with the training rows (overrides --split)")
    ap.add_argument("--rows-from-cnnc", default=None, metavar="MODEL",
                    help="take the training rows cnnc uses for MODEL (its data must be --data; "
                         "runs `cnnc eval`)")
    ap.add_argument("--cnnc", default="target/release/cnnc")
    ap.add_argument("--write-rows", default=None, help="write the training rows used (JSON list)")
    ap.add_argument("--standardize", action="store_true",
                    help="(x − mean)/std, statistics of the training rows (population std)")
    ap.add_argument("--hidden", default="6,6")
    ap.add_argument("--eta", type=float, default=1.0)
    ap.add_argument("--mu", type=float, default=1.0)
    ap.add_argument("--kappa", default="0.5", help="per-class bound fraction, or `none`")
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--epsilon", type=float, default=1e-7)
    ap.add_argument("--keep-going", action="store_true",
                    help="run all --iterations, reporting when the stopping rule would have fired")
    ap.add_argument("--start", default=None, help="a cnnc weights file")
    ap.add_argument("--start-seed", type=int, default=0, help="He start: N(0, 2/fan_in), zero bias")
    ap.add_argument("--build", choices=("vector", "loop"), default="vector",
                    help="the parabolic constraints as selection-matrix SOCs or one per pair")
    ap.add_argument("--dpp", action="store_true",
                    help="compile once with the anchor as parameters (CVXPY's DPP) instead of "
                         "anew every pass with the anchor as constants; CVXPY's parametric "
                         "compile needs memory of order parameters × variables (24 GB were not "
                         "enough for the Yeast problem): for small problems only")
    ap.add_argument("--centered", action="store_true",
                    help="write the same program in deviations from the anchor (better scaled "
                         "for Clarabel at large eta; see CenteredProgram)")
    ap.add_argument("--memory-limit-gb", type=float, default=8.0,
                    help="address-space limit of this process (RLIMIT_AS), so that a compile "
                         "that runs away ends in MemoryError instead of the machine's OOM killer")
    ap.add_argument("--max-iter", type=int, default=200, help="Clarabel's iteration limit")
    ap.add_argument("--retry", default="1e-7,1e-6",
                    help="tolerances to solve again with when Clarabel fails ('' = none)")
    ap.add_argument("--dump-weights", default=None, help="directory: pass_K.json per pass (0 = start)")
    ap.add_argument("--save", default=None, help="write the last pass's weights here")
    args = ap.parse_args()

    if args.memory_limit_gb > 0:
        import resource
        lim = int(args.memory_limit_gb * 2 ** 30)
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    import cvxpy as cp
    warnings.filterwarnings("ignore", message="Solution may be inaccurate")
    if "CLARABEL" not in cp.installed_solvers():
        sys.exit("Clarabel is not installed for CVXPY: pip install clarabel")

    feats = [f.strip() for f in args.features.split(",")] if args.features else None
    x_all, y_all, cls_all, class_names, feats = load_csv(args.data, feats, args.label, args.positive)
    n_all = len(y_all)
    if args.rows_from_cnnc:
        train = rows_from_cnnc(args.cnnc, args.rows_from_cnnc, x_all, cls_all, feats, class_names)
        split_desc = {"rows_from_cnnc": args.rows_from_cnnc}
    elif args.rows:
        train = read_rows(args.rows, n_all)
        split_desc = {"rows_file": args.rows}
    elif args.split is not None:
        train = split_rows(cls_all, args.split, args.seed)
        split_desc = {"fraction": args.split, "seed": args.seed}
    else:
        train = np.arange(n_all)
        split_desc = None
    if args.write_rows:
        Path(args.write_rows).write_text(json.dumps([int(r) for r in train]) + "\n")
    test_idx = np.setdiff1d(np.arange(n_all), train)
    x, y, cls = x_all[train], y_all[train], cls_all[train]
    xt, yt, clst = x_all[test_idx], y_all[test_idx], cls_all[test_idx]
    stdz = None
    if args.standardize:
        mean = x.mean(axis=0)
        std = x.std(axis=0)
        std = np.where(std > 1e-12, std, 1.0)
        x, xt = (x - mean) / std, (xt - mean) / std
        stdz = (mean, std)
    widths = [x.shape[1]] + [int(h) for h in args.hidden.split(",") if h.strip()] + [1]
    kappa = None if args.kappa.lower() == "none" else float(args.kappa)
    layers = load_weights(args.start, widths) if args.start else he_start(widths, args.start_seed)

    t0 = time.perf_counter()
    if args.centered and (args.dpp or args.build == "loop"):
        sys.exit("--centered builds its own vector form anew every pass: not with --dpp or --build loop")
    cls_ = CenteredProgram if args.centered else Program
    prog = cls_(x, y, cls, widths, args.eta, args.mu, kappa, args.build, not args.dpp)
    build_sec = time.perf_counter() - t0
    prog.set_anchor(layers)
    sizes, compile_sec = prog.sizes()
    emit({"event": "problem", "data": args.data, "features": feats, "classes": class_names,
          "train_rows": int(len(y)), "test_rows": int(len(yt)),
          "train_per_class": [int(np.sum(cls == c)) for c in (0, 1)], "split": split_desc,
          "standardize": args.standardize, "widths": widths, "eta": args.eta, "mu": args.mu,
          "kappa": kappa, "start": args.start or f"he seed {args.start_seed}", "build": args.build,
          "recompile": prog.ignore_dpp, "centered": args.centered,
          "cvxpy": cp.__version__, "build_seconds": build_sec, "first_compile_seconds": compile_sec,
          **sizes})
    if args.dump_weights:
        os.makedirs(args.dump_weights, exist_ok=True)
        write_weights(Path(args.dump_weights) / "pass_0.json", layers, feats, class_names, stdz, None)

    opts = {"max_iter": args.max_iter}
    retry = [float(t) for t in args.retry.split(",") if t.strip()] if args.retry else []
    prev = None
    rows = []
    stop = "iterations"
    loop_t0 = time.perf_counter()
    for it in range(1, args.iterations + 1):
        t_build = time.perf_counter()
        zs = prog.set_anchor(layers)
        t_build = time.perf_counter() - t_build
        f_anchor = 0.5 * float(np.sum((zs[-1][:, 0] - y) ** 2))
        anchor_feasible = meets_bounds(zs[-1][:, 0], y, cls, prog.kappas)
        at_anchor, anchor_violation = prog.check_anchor_point()
        sol = prog.solve(opts, retry)
        if sol["status"] not in ("optimal", "optimal_inaccurate"):
            emit({"event": "iteration", "iteration": it, **sol})
            stop = f"status {sol['status']}"
            break
        meas, layers = prog.measures((xt, yt, clst))
        f = sol["objective"]
        row = {"event": "iteration", "iteration": it, "relaxed_objective": f,
               "improvement": None if prev is None else prev - f,
               "anchor_true_objective": f_anchor, "anchor_feasible": anchor_feasible,
               "objective_at_anchor_point": at_anchor, "anchor_point_violation": anchor_violation,
               # > 0 with a feasible anchor: Clarabel returned a point worse than a known one
               "bound_excess": f - at_anchor if anchor_feasible else None,
               **meas, "true_feasible": meets_bounds(forward(x, layers)[0][-1][:, 0], y, cls,
                                                     prog.kappas),
               "build_seconds": t_build, **sol}
        rows.append(row)
        emit(row)
        if args.dump_weights:
            write_weights(Path(args.dump_weights) / f"pass_{it}.json", layers, feats, class_names,
                          stdz, "convex_nn")
        if prev is not None and prev - f < args.epsilon * max(1.0, abs(f)):
            if not args.keep_going:
                stop = "epsilon"
                break
            if stop == "iterations":
                stop = f"epsilon (would have stopped at pass {it})"
        prev = f
    if args.save:
        write_weights(args.save, layers, feats, class_names, stdz, "convex_nn")
    objs = [r["relaxed_objective"] for r in rows]
    increases = [i + 2 for i in range(len(objs) - 1) if objs[i + 1] > objs[i] + 1e-9 * max(1, abs(objs[i]))]
    emit({"event": "summary", "passes": len(rows), "stop": stop,
          "loop_seconds": time.perf_counter() - loop_t0,
          "clarabel_seconds": sum(r["clarabel_seconds"] for r in rows),
          "retried_passes": [r["iteration"] for r in rows if r["retried_tolerance"] is not None],
          "cvxpy_total_seconds": sum(r["cvxpy_total_seconds"] + sum(r["failed_attempts_seconds"])
                                     for r in rows),
          "relaxed_objective_increases_at": increases,
          "final_relaxed_objective": objs[-1] if objs else None,
          "final_true_objective": rows[-1]["true_objective"] if rows else None})


def meets_bounds(f, y, cls, kappas):
    """Does the output f meet every class bound (to 1e-7 relative)?"""
    return all(float(np.sum(np.abs(f[cls == c] - y[cls == c]))) <= k + 1e-7 * max(1.0, k)
               for c, k in zip((0, 1), kappas))


def emit(obj):
    print(json.dumps(obj, default=float), flush=True)


if __name__ == "__main__":
    main()
