#!/usr/bin/env python3
"""Solves cnnc's hyperplane-pattern program with CVXPY + Clarabel and prints both sides.

A development tool, not a test. It asks cnnc for the patterns it chose
(`cnnc compile MODEL --emit patterns --format json`), builds the same group-lasso program in
CVXPY (squared loss, weight decay; the form used by the Pilanci–Ergen demos), times CVXPY's
compile and Clarabel's solve, then runs `cnnc train MODEL --report json` and prints the two
side by side with the relative difference of the optima.

    pip install cvxpy clarabel numpy
    cargo build --release
    python3 scripts/cvxpy_patterns.py benches/diabetes_beta1.cnn [--cnnc target/release/cnnc]
"""
import argparse
import json
import subprocess
import sys
import time

import numpy as np


def run_json(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--cnnc", default="target/release/cnnc")
    ap.add_argument("--skip-cnnc", action="store_true", help="only run the CVXPY side")
    args = ap.parse_args()

    import cvxpy as cp

    pat = run_json([args.cnnc, "compile", args.model, "--emit", "patterns", "--format", "json"])
    x = np.array(pat["x"], dtype=float)  # n×d, bias column included when the model has one
    y = np.array(pat["y"], dtype=float)  # n×k
    beta = float(pat["beta"])
    masks = np.array(pat["masks"], dtype=float)  # P×n, entries 0/1
    obj = pat["objective"]
    if not obj.startswith("0.5 * sum_squares(net(train.x) - train.y)"):
        sys.exit(f"this script builds ½‖ŷ − y‖² + weight decay only; the model minimizes {obj}")
    n, d = x.shape
    k = y.shape[1]
    p = masks.shape[0]
    print(f"n = {n}, d = {d}, outputs = {k}, patterns = {p}, beta = {beta}")

    t0 = time.perf_counter()
    objective = 0
    constraints = []
    for c in range(k):
        v = cp.Variable((d, p))
        w = cp.Variable((d, p))
        xv, xw = x @ v, x @ w  # n×P: column i is X v_i
        yhat = cp.sum(cp.multiply(masks.T, xv - xw), axis=1)
        objective += 0.5 * cp.sum_squares(yhat - y[:, c])
        objective += beta * (cp.sum(cp.norm(v, 2, axis=0)) + cp.sum(cp.norm(w, 2, axis=0)))
        sign = 2 * masks.T - 1
        constraints += [cp.multiply(sign, xv) >= 0, cp.multiply(sign, xw) >= 0]
    prob = cp.Problem(cp.Minimize(objective), constraints)
    data, _, _ = prob.get_problem_data(cp.CLARABEL)
    compile_s = time.perf_counter() - t0
    a = data["A"]
    print(f"CVXPY: compile {compile_s:.3f} s; Clarabel gets {a.shape[1]} variables, "
          f"{a.shape[0]} rows, {a.nnz} non-zeros in A")
    t1 = time.perf_counter()
    prob.solve(solver=cp.CLARABEL)
    solve_s = time.perf_counter() - t1
    stats = prob.solver_stats
    print(f"CVXPY + Clarabel: status {prob.status}, optimum {prob.value:.10e}, "
          f"solve {stats.solve_time:.3f} s (wall {solve_s:.3f} s)")

    if args.skip_cnnc:
        return
    rep = run_json([args.cnnc, "train", args.model, "--report", "json"])
    print(f"cnnc: status {rep['status']}, optimum {rep['objective']:.10e}, "
          f"compile {rep['compile_seconds']:.3f} s, solve {rep['solve_seconds']:.3f} s")
    rel = abs(rep["objective"] - prob.value) / max(1.0, abs(prob.value))
    print(f"relative difference of the optima: {rel:.2e}")
    print(f"compile: cnnc is {compile_s / max(rep['compile_seconds'], 1e-9):.1f}x faster than CVXPY; "
          f"cnnc compile is {100 * rep['compile_seconds'] / max(rep['solve_seconds'], 1e-9):.2f} % of its solve")
    print(f"solve time ratio CVXPY/cnnc: {stats.solve_time / max(rep['solve_seconds'], 1e-9):.2f}")


if __name__ == "__main__":
    main()
