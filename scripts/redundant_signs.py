#!/usr/bin/env python3
"""Measures how many of the pattern program's sign rows are redundant, and what dropping them
would save the solver. A development tool, not a test (it takes about 11 minutes on the
diabetes example: one small LP per sign row).

For each pattern i the rows (2D_i − I) X u ≥ 0 have normals g_j = s_j x_j; row j is redundant
exactly when g_j is a non-negative combination of the other normals (then it is implied by
them). Each row is tested with one LP (scipy/HiGHS). The program is then solved by CVXPY +
Clarabel with only the irredundant rows: it is the same program, so the optimum must agree.

    pip install cvxpy clarabel numpy scipy
    cargo build --release
    python3 scripts/redundant_signs.py benches/diabetes_beta1.cnn [--patterns 50]
"""
import argparse
import json
import subprocess
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--cnnc", default="target/release/cnnc")
    ap.add_argument("--patterns", type=int, default=0, help="analyse only the first N patterns")
    args = ap.parse_args()

    import cvxpy as cp
    from scipy.optimize import linprog

    out = subprocess.run([args.cnnc, "compile", args.model, "--emit", "patterns", "--format", "json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    pat = json.loads(out.stdout)
    x = np.array(pat["x"], dtype=float)
    y = np.array(pat["y"], dtype=float)[:, 0]
    masks = np.array(pat["masks"], dtype=float)
    beta = float(pat["beta"])
    if args.patterns:
        masks = masks[: args.patterns]
    n, d = x.shape
    p = masks.shape[0]

    t0 = time.perf_counter()
    keep = np.zeros((p, n), dtype=bool)
    for i in range(p):
        g = (2 * masks[i] - 1)[:, None] * x
        for j in range(n):
            others = np.delete(g, j, axis=0)
            r = linprog(np.zeros(n - 1), A_eq=others.T, b_eq=g[j], bounds=(0, None), method="highs")
            keep[i, j] = r.status != 0  # not a combination of the others: a facet
    per = keep.sum(axis=1)
    print(f"{p} patterns, n = {n}, d = {d}: {keep.sum()} of {p * n} sign rows per block are facets "
          f"({100 * keep.sum() / (p * n):.1f} %; per pattern min {per.min()}, median "
          f"{int(np.median(per))}, max {per.max()}); {time.perf_counter() - t0:.0f} s of LPs")

    def solve(reduced):
        v = cp.Variable((d, p))
        w = cp.Variable((d, p))
        xv, xw = x @ v, x @ w
        yhat = cp.sum(cp.multiply(masks.T, xv - xw), axis=1)
        obj = 0.5 * cp.sum_squares(yhat - y) + beta * (
            cp.sum(cp.norm(v, 2, axis=0)) + cp.sum(cp.norm(w, 2, axis=0)))
        if reduced:
            cons = []
            for i in range(p):
                rows = ((2 * masks[i] - 1)[:, None] * x)[keep[i]]
                cons += [rows @ v[:, i] >= 0, rows @ w[:, i] >= 0]
        else:
            sign = 2 * masks.T - 1
            cons = [cp.multiply(sign, xv) >= 0, cp.multiply(sign, xw) >= 0]
        prob = cp.Problem(cp.Minimize(obj), cons)
        prob.solve(solver=cp.CLARABEL)
        return prob.value, prob.solver_stats.solve_time

    full, t_full = solve(False)
    red, t_red = solve(True)
    print(f"all rows:        optimum {full:.10e}, Clarabel solve {t_full:.1f} s")
    print(f"facet rows only: optimum {red:.10e}, Clarabel solve {t_red:.1f} s "
          f"(relative difference {abs(red - full) / max(1.0, abs(full)):.1e}, "
          f"solve {t_full / max(t_red, 1e-9):.1f}x faster)")


if __name__ == "__main__":
    main()
