#!/usr/bin/env python3
"""Runs the sequential rank-lifting method of seed 001 in CVXPY + Clarabel and beside cnnc.

A development tool, not a test. It builds the program cnnc builds for `method rank_lifting`
(METHODS §2; the rows-as-samples statement the lead wrote for cnnc) independently in CVXPY, with
the parameters P₀, Q₀ as `cp.Parameter`s so CVXPY compiles it once, and runs the sequential update
from three starts (perturbed generating weights, random, zeros) in both forms of the layer
product: `elementwise` (one 2×2 block per product w_ik·a_jk, two 3-dimensional second-order cones
each) and `matrix` (one (m_{l-1}+n)×(m_{l-1}+m_l) block per layer under `cp.normNuc`, a PSD cone).
The complementarity a∘(a − z) = 0 is always one 2×2 block per hidden element. Per iteration it
prints the objective, the sum of the nuclear norms (recomputed with numpy from the solution),
the complementarity and product violations and the fit; per start and form a summary. Unless
`--skip-cnnc`, it then runs `cnnc train` on a copy of the model whose method line names the same
start (for `perturbed`, the identical start point, written as a cnnc weights file) and prints
both sides in one table.

    pip install cvxpy clarabel numpy
    cargo build --release
    python3 scripts/cvxpy_rank_lifting.py [--cnnc target/release/cnnc] [--skip-cnnc]
        [--form elementwise|matrix|both] [--start perturbed,random,zeros]
        [--iterations 60] [--sigma 0.1] [--seed 1]
"""
import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
STARTS = ("perturbed", "random", "zeros")
FORMS = ("elementwise", "matrix")


# ---------------------------------------------------------------- data and networks


def load_data(csv):
    """X (n×3) and Y (n×2) of seed 001, in the column order of the model."""
    with open(csv) as f:
        head = f.readline().strip().split(",")
    raw = np.loadtxt(csv, delimiter=",", skiprows=1)
    cols = {name: raw[:, i] for i, name in enumerate(head)}
    x = np.column_stack([cols[c] for c in ("x1", "x2", "x3")])
    y = np.column_stack([cols[c] for c in ("y1", "y2")])
    return x, y


def load_weights(path):
    """The weights file as a list of (W, b, activation); W is outputs × inputs."""
    with open(path) as f:
        doc = json.load(f)
    layers = []
    for lay in doc["layers"]:
        if lay["bias_mode"] != "separate":
            sys.exit(f"{path}: this script reads separate biases only")
        rows, cols = lay["shape"]
        w = np.array(lay["weights"], dtype=float).reshape(rows, cols)  # row by row
        layers.append((w, np.array(lay["bias"], dtype=float), lay["activation"]))
    return doc, layers


def write_weights(template, layers, path):
    """Writes `layers` in the schema of `template` (the true-weights file)."""
    doc = copy.deepcopy(template)
    doc["method"] = None
    for lay, (w, b, _) in zip(doc["layers"], layers):
        lay["weights"] = [float(v) for v in w.reshape(-1)]
        lay["bias"] = [float(v) for v in b]
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def forward(x, layers):
    """Z^l and A^l of every layer (A^L = Z^L, the output is the identity)."""
    zs, as_ = [], []
    a = x
    for w, b, act in layers:
        z = a @ w.T + b[None, :]
        if act == "relu":
            a = np.maximum(z, 0.0)
        elif act == "identity":
            a = z
        else:
            sys.exit(f"activation {act}: this script handles relu hidden layers only")
        zs.append(z)
        as_.append(a)
    return zs, as_


def start_layers(kind, true_layers, sigma, seed):
    """The start network. The draws come from a child stream of `seed` (one per start kind):
    scripts/make_data.py drew the generating network from `default_rng(1)` in this same order,
    so `default_rng(seed)` itself would make seed 1's random start the true weights and its
    perturbed start exactly 1.1 × the true weights."""
    stream = STARTS.index(kind) if kind in STARTS else len(STARTS)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))
    out = []
    for w, b, act in true_layers:
        if kind == "perturbed":
            out.append((w + sigma * rng.standard_normal(w.shape),
                        b + sigma * rng.standard_normal(b.shape), act))
        elif kind == "random":
            out.append((rng.standard_normal(w.shape), rng.standard_normal(b.shape), act))
        elif kind == "zeros":
            out.append((np.zeros_like(w), np.zeros_like(b), act))
        elif kind == "true":
            out.append((w.copy(), b.copy(), act))
        else:
            raise ValueError(kind)
    return out


# ---------------------------------------------------------------- the CVXPY program


def vec(expr):
    """Row-major vectorization (index j·cols + k), as numpy's reshape(-1)."""
    import cvxpy as cp
    return cp.vec(expr, order="C")


def nuc2(p, q, r, s):
    """Nuclear norms of the 2×2 matrices [[p, q], [r, s]] (arrays)."""
    return np.maximum(np.hypot(p + s, q - r), np.hypot(p - s, q + r))


class Program:
    """The rank-lifting program of one form, compiled once; parameters set per iteration."""

    def __init__(self, x, y, widths, form, lam):
        import cvxpy as cp

        self.x, self.y, self.form, self.lam = x, y, form, lam
        n = x.shape[0]
        self.n = n
        nl = len(widths) - 1
        self.widths = widths
        self.W = [cp.Variable((widths[l + 1], widths[l]), name=f"W{l + 1}") for l in range(nl)]
        self.b = [cp.Variable(widths[l + 1], name=f"b{l + 1}") for l in range(nl)]
        self.Z = [cp.Variable((n, widths[l + 1]), name=f"Z{l + 1}") for l in range(nl)]
        self.A = [cp.Variable((n, widths[l + 1]), name=f"A{l + 1}") for l in range(nl - 1)]
        ones = np.ones((n, 1))

        def bias_rows(l):  # 1 b^lᵀ, n × m_l
            return ones @ cp.reshape(self.b[l], (1, widths[l + 1]), order="C")

        cons = [self.Z[0] == x @ self.W[0].T + bias_rows(0), self.Z[-1] == y]
        ts = []
        self.nblocks = 0
        self.corners = 0
        self.comp = []  # per hidden layer: (p0, q0, pq0) parameters
        for l in range(nl - 1):
            a, z = self.A[l], self.Z[l]
            cons += [a >= 0, a >= z]
            size = n * widths[l + 1]
            p0, q0, pq0 = (cp.Parameter(size, name=f"comp{l + 1}_{s}")
                           for s in ("p0", "q0", "pq0"))
            pv, qv = vec(a), vec(a - z)
            sv = -cp.multiply(pv, q0) - cp.multiply(p0, qv) + pq0  # C = 0
            rv = pv - p0
            qq = qv - q0
            t = cp.Variable(size, name=f"t_comp{l + 1}")
            cons += [cp.SOC(t, cp.vstack([1 + sv, qq - rv]), axis=0),
                     cp.SOC(t, cp.vstack([1 - sv, qq + rv]), axis=0)]
            ts.append(cp.sum(t))
            self.comp.append((p0, q0, pq0))
            self.nblocks += size
            self.corners += size

        self.prod = []  # per layer l ≥ 2: parameters and, element-wise, the selection matrices
        for l in range(1, nl):
            k, m = widths[l], widths[l + 1]
            a_prev = self.A[l - 1]
            c_mat = self.Z[l] - bias_rows(l)  # C = Z^l − 1 b^lᵀ
            if form == "elementwise":
                size = n * m * k  # block r = (j·m + i)·k + kk stands for w_ik · a_jkk
                r = np.arange(size)
                j, i, kk = r // (m * k), (r // k) % m, r % k
                sel_w = sp.csr_matrix((np.ones(size), (r, i * k + kk)), shape=(size, m * k))
                sel_a = sp.csr_matrix((np.ones(size), (r, j * k + kk)), shape=(size, n * k))
                sel_sum = sp.csr_matrix((np.ones(size), (j * m + i, r)), shape=(n * m, size))
                tt = cp.Variable(size, name=f"T{l + 1}")
                cons.append(sel_sum @ tt == vec(c_mat))
                p0, q0, pq0 = (cp.Parameter(size, name=f"prod{l + 1}_{s}")
                               for s in ("p0", "q0", "pq0"))
                pv, qv = sel_w @ vec(self.W[l]), sel_a @ vec(a_prev)
                sv = tt - cp.multiply(pv, q0) - cp.multiply(p0, qv) + pq0
                rv, qq = pv - p0, qv - q0
                t = cp.Variable(size, name=f"t_prod{l + 1}")
                cons += [cp.SOC(t, cp.vstack([1 + sv, qq - rv]), axis=0),
                         cp.SOC(t, cp.vstack([1 - sv, qq + rv]), axis=0)]
                ts.append(cp.sum(t))
                self.prod.append(dict(p0=p0, q0=q0, pq0=pq0, sel_w=sel_w, sel_a=sel_a, T=tt))
                self.nblocks += size
                self.corners += size
            else:
                # P = A^{l-1} (n×k), Q = W^lᵀ (k×m), C = Z^l − 1 b^lᵀ (n×m); M is (k+n)×(k+m)
                p0 = cp.Parameter((n, k), name=f"prod{l + 1}_P0")
                q0 = cp.Parameter((k, m), name=f"prod{l + 1}_Q0")
                pq0 = cp.Parameter((n, m), name=f"prod{l + 1}_P0Q0")
                pm, qm = a_prev, self.W[l].T
                mm = cp.bmat([[np.eye(k), qm - q0],
                              [pm - p0, c_mat - pm @ q0 - p0 @ qm + pq0]])
                t = cp.Variable(name=f"t_prod{l + 1}")
                cons.append(cp.normNuc(mm) <= t)
                ts.append(t)
                self.prod.append(dict(p0=p0, q0=q0, pq0=pq0, M=mm))
                self.nblocks += 1
                self.corners += k
        self.total_t = cp.sum(cp.hstack(ts))
        self.prob = cp.Problem(cp.Minimize(lam * self.total_t), cons)
        if not self.prob.is_dpp():
            sys.exit("internal error: the program is not DPP, CVXPY would recompile every solve")

    def corner_sum(self):
        """Σ over blocks of the size of the identity corner: the lower bound of Σ ‖M‖_*."""
        return self.corners

    def set_parameters(self, w0, a0, z0):
        """w0[l] (all layers), a0[l], z0[l] (hidden layers), numpy, rows as samples."""
        for l, (p0, q0, pq0) in enumerate(self.comp):
            pv = a0[l].reshape(-1)
            qv = (a0[l] - z0[l]).reshape(-1)
            p0.value, q0.value, pq0.value = pv, qv, pv * qv
        for idx, blk in enumerate(self.prod):
            l = idx + 1
            if self.form == "elementwise":
                pv = blk["sel_w"] @ w0[l].reshape(-1)
                qv = blk["sel_a"] @ a0[l - 1].reshape(-1)
                blk["p0"].value, blk["q0"].value, blk["pq0"].value = pv, qv, pv * qv
            else:
                pm, qm = a0[l - 1], w0[l].T
                blk["p0"].value, blk["q0"].value, blk["pq0"].value = pm, qm, pm @ qm

    def compile(self):
        import cvxpy as cp
        t0 = time.perf_counter()
        data, _, _ = self.prob.get_problem_data(cp.CLARABEL)
        sec = time.perf_counter() - t0
        return sec, data

    def solve(self):
        import cvxpy as cp
        t0 = time.perf_counter()
        self.prob.solve(solver=cp.CLARABEL)
        wall = time.perf_counter() - t0
        st = self.prob.solver_stats
        return dict(status=self.prob.status, objective=self.prob.value, wall=wall,
                    clarabel=st.solve_time, interface=self.prob._solve_time,
                    cvxpy_apply=self.prob._compilation_time, solver_iterations=st.num_iters)

    def measures(self):
        """Violations, fit and Σ ‖M‖_* (numpy, at the solution with the current parameters)."""
        x, y, n = self.x, self.y, self.n
        w = [v.value for v in self.W]
        b = [v.value for v in self.b]
        z = [v.value for v in self.Z]
        a = [v.value for v in self.A]
        comp = max((np.max(np.abs(a[l] * (a[l] - z[l]))) for l in range(len(a))), default=0.0)
        prod = max(np.max(np.abs(a[l - 1] @ w[l].T + b[l][None, :] - z[l]))
                   for l in range(1, len(w)))
        net = [(w[l], b[l], "relu" if l < len(w) - 1 else "identity") for l in range(len(w))]
        zs, _ = forward(x, net)
        fit = np.linalg.norm(zs[-1] - y) / np.linalg.norm(y)
        nuc = 0.0
        for l, (p0, q0, pq0) in enumerate(self.comp):
            pv, qv = a[l].reshape(-1), (a[l] - z[l]).reshape(-1)
            s = -pv * q0.value - p0.value * qv + pq0.value
            nuc += float(np.sum(nuc2(1.0, qv - q0.value, pv - p0.value, s)))
        for idx, blk in enumerate(self.prod):
            l = idx + 1
            if self.form == "elementwise":
                pv = blk["sel_w"] @ w[l].reshape(-1)
                qv = blk["sel_a"] @ a[l - 1].reshape(-1)
                p0, q0, pq0 = blk["p0"].value, blk["q0"].value, blk["pq0"].value
                s = blk["T"].value - pv * q0 - p0 * qv + pq0
                nuc += float(np.sum(nuc2(1.0, qv - q0, pv - p0, s)))
            else:
                nuc += float(np.linalg.norm(blk["M"].value, "nuc"))
        return dict(comp=comp, prod=prod, violation=max(comp, prod), fit=fit, nuc=nuc), (w, a, z)


# ---------------------------------------------------------------- the CVXPY runs


def initial_state(x, layers):
    zs, as_ = forward(x, layers)
    return [w for w, _, _ in layers], as_[:-1], zs[:-1]


def run_cvxpy(prog, x, layers, iterations, tol, label):
    w0, a0, z0 = initial_state(x, layers)
    print(f"\n== CVXPY {prog.form}, start {label}: {prog.nblocks} blocks, "
          f"Σ ‖M‖_* ≥ {prog.corner_sum()}")
    print(f"{'it':>3} {'objective':>16} {'Σ‖M‖_*':>16} {'compl viol':>10} {'prod viol':>10} "
          f"{'fit':>10} {'clarabel s':>10} {'wall s':>8} {'ipm':>4} status")
    rows = []
    reached = None
    t_start = time.perf_counter()
    for it in range(1, iterations + 1):
        prog.set_parameters(w0, a0, z0)
        sol = prog.solve()
        if sol["status"] not in ("optimal", "optimal_inaccurate"):
            print(f"{it:>3} Clarabel status {sol['status']}: stopping this run")
            break
        m, (w, a, z) = prog.measures()
        rows.append({**sol, **m, "iteration": it})
        print(f"{it:>3} {sol['objective']:16.10f} {m['nuc']:16.10f} {m['comp']:10.3e} {m['prod']:10.3e} "
              f"{m['fit']:10.3e} {sol['clarabel']:10.4f} {sol['wall']:8.4f} {sol['solver_iterations']:>4} "
              f"{sol['status']}")
        w0, a0, z0 = w, a, z
        if m["violation"] < tol:
            reached = it
            break
    total = time.perf_counter() - t_start
    return dict(rows=rows, reached=reached, total=total)


def summarize_cvxpy(res, tol):
    rows = res["rows"]
    if not rows:
        nan = float("nan")
        return dict(iters="no solve", total=res["total"], per_solve=nan, wall_per_solve=nan,
                    outside=nan, fit=nan)
    if res["reached"] is not None:
        iters = str(res["reached"])
    else:
        iters = f"not reached, violation {rows[-1]['violation']:.2e} after {len(rows)}"
    clar = sum(r["clarabel"] for r in rows)
    return dict(iters=iters, total=res["total"], per_solve=clar / len(rows),
                wall_per_solve=sum(r["wall"] for r in rows) / len(rows),
                outside=1.0 - clar / res["total"], fit=rows[-1]["fit"])


# ---------------------------------------------------------------- cnnc


def run_cnnc(cnnc, model, start_spec, iterations, tol, lam, seed, tmpdir, label, form):
    """Runs `cnnc train` on a copy of `model` next to it with the rank_lifting method line."""
    text = model.read_text()
    line = (f"method rank_lifting(lambda = {lam:g}, iterations = {iterations}, "
            f"tolerance = {tol:g}, start = {start_spec}, seed = {seed}, form = {form})")
    new, count = re.subn(r"^method [^)]*\)", line, text, flags=re.M)
    if count != 1:
        sys.exit(f"{model}: expected one method line, found {count}")
    tmp_model = model.parent / f".cvxpy_rank_lifting_{os.getpid()}_{label}.cnn"
    weights_out = Path(tmpdir) / f"{label}_weights.json"
    cmd = [cnnc, "train", str(tmp_model), "--report", "json", "-o", str(weights_out)]
    try:
        tmp_model.write_text(new)
        t0 = time.perf_counter()
        try:
            out = subprocess.run(cmd, capture_output=True, text=True)
        except OSError as e:
            sys.exit(f"cannot run {' '.join(cmd)}: {e}")
        wall = time.perf_counter() - t0
    finally:
        tmp_model.unlink(missing_ok=True)
    if out.returncode != 0:
        sys.exit(f"cnnc failed (exit {out.returncode}) on the method line\n  {line}\n"
                 f"command: {' '.join(cmd)}\nstderr:\n{out.stderr}")
    try:
        rep = json.loads(out.stdout)
        its = rep["iterations"]
        for key in ("stop_reason", "violation", "status"):
            rep[key]
        for r in its:
            for key in ("iteration", "objective", "violation", "fit", "solver_seconds",
                        "other_seconds", "reused"):
                r[key]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        sys.exit(f"cnnc's report does not follow the expected contract ({e!r}); stdout:\n"
                 f"{out.stdout[:2000]}")
    print(f"\n== cnnc, start {label}: {line}")
    print(f"{'it':>3} {'objective':>16} {'violation':>10} {'fit':>10} {'solver s':>9} "
          f"{'other s':>9} reused")
    for r in its:
        print(f"{r['iteration']:>3} {r['objective']:16.10f} {r['violation']:10.3e} {r['fit']:10.3e} "
              f"{r['solver_seconds']:9.4f} {r['other_seconds']:9.4f} {r['reused']}")
    print(f"cnnc: status {rep['status']}, stop_reason {rep['stop_reason']}, "
          f"violation {rep['violation']:.3e}, wall {wall:.3f} s")
    reached = next((r["iteration"] for r in its if r["violation"] < tol), None)
    solver = sum(r["solver_seconds"] for r in its)
    other = sum(r["other_seconds"] for r in its)
    if reached is not None:
        iters = str(reached)
    else:
        last = its[-1]["violation"] if its else rep["violation"]
        iters = f"not reached, violation {last:.2e} after {len(its)}"
    return dict(iters=iters, total=solver + other, wall=wall,
                per_solve=solver / max(len(its), 1),
                outside=other / max(solver + other, 1e-12),
                fit=its[-1]["fit"] if its else float("nan"), rows=its)


def compare_iterates(cv_rows, cn_rows):
    """Largest relative objective difference over the iterations both sides ran."""
    common = min(len(cv_rows), len(cn_rows))
    if common == 0:
        return None
    d = max(abs(a["objective"] - b["objective"]) / max(1.0, abs(a["objective"]))
            for a, b in zip(cv_rows[:common], cn_rows[:common]))
    return common, d


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=str(ROOT / "examples/seed001_relu332.cnn"))
    ap.add_argument("--data", default=str(ROOT / "examples/data/seed001_relu332.csv"))
    ap.add_argument("--weights", default=str(ROOT / "examples/data/seed001_relu332_weights.json"),
                    help="the generating network (the perturbed start and the self-check)")
    ap.add_argument("--cnnc", default="target/release/cnnc")
    ap.add_argument("--skip-cnnc", action="store_true", help="only run the CVXPY side")
    ap.add_argument("--form", choices=FORMS + ("both",), default="both")
    ap.add_argument("--cnnc-form", choices=FORMS, default="elementwise",
                    help="the form the cnnc binary was built with (matrix = --features sdp): "
                         "its iterates are compared with the CVXPY run of that form")
    ap.add_argument("--start", default=",".join(STARTS),
                    help="comma-separated subset of perturbed, random, zeros")
    ap.add_argument("--iterations", type=int, default=60)
    ap.add_argument("--tolerance", type=float, default=1e-7)
    ap.add_argument("--lam", type=float, default=1.0, help="λ (seed 001 has no loss, so it only scales)")
    ap.add_argument("--sigma", type=float, default=0.1, help="noise of the perturbed start")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    starts = [s.strip() for s in args.start.split(",") if s.strip()]
    for s in starts:
        if s not in STARTS:
            sys.exit(f"unknown start {s!r}; choose from {', '.join(STARTS)}")
    forms = list(FORMS) if args.form == "both" else [args.form]

    import cvxpy as cp
    # Clarabel's "almost solved" becomes a UserWarning per solve; the status column shows it
    warnings.filterwarnings("ignore", message="Solution may be inaccurate")
    if "CLARABEL" not in cp.installed_solvers():
        sys.exit("Clarabel is not installed for CVXPY: pip install clarabel")

    x, y = load_data(args.data)
    template, true_layers = load_weights(args.weights)
    widths = [x.shape[1]] + [w.shape[0] for w, _, _ in true_layers]
    print(f"seed 001: n = {x.shape[0]}, widths {widths}, λ = {args.lam:g}, tolerance {args.tolerance:g}, "
          f"sigma {args.sigma:g}, seed {args.seed}; CVXPY {cp.__version__}")
    print("per iteration: objective = λ·Σ t (Clarabel); Σ‖M‖_* recomputed with numpy from the "
          "solution and that solve's parameters; violations on the lifted values; fit of the "
          "true forward pass of the solution's W, b")

    if not args.skip_cnnc and shutil.which(args.cnnc) is None:
        sys.exit(f"cnnc binary {args.cnnc!r} not found or not executable: build it "
                 f"(cargo build --release), pass --cnnc PATH, or run with --skip-cnnc")
    with tempfile.TemporaryDirectory(prefix="cvxpy_rank_lifting_") as tmpdir:
        ok = run_all(args, starts, forms, x, y, template, true_layers, widths, tmpdir)
    if not ok:
        sys.exit("a self-check FAILED (see above)")


def run_all(args, starts, forms, x, y, template, true_layers, widths, tmpdir):
    """The CVXPY runs, the summary and (unless --skip-cnnc) the cnnc runs; False if a
    self-check failed."""
    start_files = {}
    start_points = {}
    for s in starts:
        start_points[s] = start_layers(s, true_layers, args.sigma, args.seed)
        if s == "perturbed":
            path = Path(tmpdir) / "perturbed_start.json"
            write_weights(template, start_points[s], path)
            start_files[s] = path
            print(f"perturbed start written to {path}")

    results = {}
    self_checks_ok = True
    for form in forms:
        prog = Program(x, y, widths, form, args.lam)
        true_state = initial_state(x, start_layers("true", true_layers, 0.0, 0))
        prog.set_parameters(*true_state)  # CVXPY applies parameter values while compiling
        sec, data = prog.compile()
        a_mat, dims = data["A"], data["dims"]
        print(f"\n#### form {form}: CVXPY compile {sec:.3f} s (once); Clarabel gets "
              f"{a_mat.shape[1]} variables, {a_mat.shape[0]} rows, {a_mat.nnz} non-zeros; "
              f"cones: zero {dims.zero}, nonneg {dims.nonneg}, soc {len(dims.soc)} "
              f"(sizes {sorted(set(dims.soc))}), psd {list(dims.psd)}")
        # self-check: the true weights are a fixed point of the heuristic (METHODS §2)
        sol = prog.solve()
        m, _ = prog.measures()
        bound = prog.corner_sum()
        ok = (sol["status"] in ("optimal", "optimal_inaccurate") and m["violation"] < 1e-6
              and abs(sol["objective"] - args.lam * bound) < 1e-6 * max(1.0, bound))
        self_checks_ok &= ok
        print(f"self-check: true weights are a fixed point ({form}): first solve violation "
              f"{m['violation']:.2e} (compl {m['comp']:.2e}, prod {m['prod']:.2e}), objective "
              f"{sol['objective']:.10f} vs λ·{bound} corner bound, fit {m['fit']:.2e}: "
              f"Clarabel {sol['status']}: {'ok' if ok else 'FAILED'}")
        for s in starts:
            res = run_cvxpy(prog, x, start_points[s], args.iterations, args.tolerance, s)
            res["compile"] = sec
            results[(s, form)] = res

    print("\n#### summary (CVXPY + Clarabel)")
    print(f"{'start':<10} {'form':<12} {'iterations to tol':<40} {'total s':>8} "
          f"{'Clarabel s/solve':>16} {'wall s/solve':>12} {'outside share':>13} {'final fit':>10}")
    for (s, form), res in results.items():
        sm = summarize_cvxpy(res, args.tolerance)
        print(f"{s:<10} {form:<12} {sm['iters']:<40} {sm['total']:8.3f} {sm['per_solve']:16.4f} "
              f"{sm['wall_per_solve']:12.4f} {100 * sm['outside']:12.1f}% {sm['fit']:10.3e}")
    print("(total s: wall time of the sequential loop (CVXPY's parameter application, the solves, "
          "the numpy measures); the one-off compile is printed per form. Clarabel s: its own "
          "solve_time; wall s: around prob.solve. outside share = 1 − Σ Clarabel s / total s; "
          "Clarabel's own time can exceed the wall clock around the call, so it can be negative)")

    if not args.skip_cnnc:
        cn = {}
        for s in starts:
            spec = f'"{start_files[s].resolve()}"' if s == "perturbed" else s
            cn[s] = run_cnnc(args.cnnc, Path(args.model).resolve(), spec, args.iterations,
                             args.tolerance, args.lam, args.seed, tmpdir, s, args.cnnc_form)
        print("\n#### cnnc and CVXPY side by side")
        print(f"{'start':<10} {'who':<20} {'iterations to tol':<40} {'total s':>8} {'s/solve':>8} "
              f"{'outside solver':>14} {'final fit':>10}")
        for s in starts:
            c = cn[s]
            print(f"{s:<10} {'cnnc':<20} {c['iters']:<40} {c['total']:8.3f} {c['per_solve']:8.4f} "
                  f"{100 * c['outside']:13.1f}% {c['fit']:10.3e}")
            for form in forms:
                sm = summarize_cvxpy(results[(s, form)], args.tolerance)
                print(f"{'':<10} {'CVXPY ' + form:<20} {sm['iters']:<40} {sm['total']:8.3f} "
                      f"{sm['per_solve']:8.4f} {100 * sm['outside']:13.1f}% {sm['fit']:10.3e}")
            if s != "random" and (s, args.cnnc_form) in results:
                cmp = compare_iterates(results[(s, args.cnnc_form)]["rows"], c["rows"])
                if cmp:
                    print(f"{'':<10} same start: largest relative objective difference over the "
                          f"first {cmp[0]} iterations vs CVXPY {args.cnnc_form}: {cmp[1]:.2e}")
        print("(cnnc total s: Σ solver_seconds + other_seconds of its report; outside solver: "
              "other / total. CVXPY outside: total minus Clarabel's own solve time. The random "
              "starts differ: cnnc draws its own with its seed.)")
    return self_checks_ok


if __name__ == "__main__":
    main()
