#!/usr/bin/env python3
"""Checks `cnnc compile --emit lp` and `--emit mps` with an independent reader, HiGHS.

For a model without cones beyond zero and nonnegative ones (an LP, QP or MILP), the script
writes the problem as CPLEX LP, free MPS, CBF and JSON, reads the LP and MPS files with HiGHS
(`pip install highspy`), solves them, and solves the CBF file with `cnnc solve` (Clarabel, or
microlp's branch and bound for integers). It checks that

  * the three objectives agree to 1e-6 relative (|a - b| <= 1e-6 max(1, |b|)), all in the
    model's own sense and with its constant (HiGHS reads MAX and the objective offset from the
    files; `cnnc solve` reports the model's objective),
  * HiGHS reads, from both files, the conic problem's number of columns and integers, and its
    number of rows less the `<=` rows with the right side +inf (which both writers leave out),

prints a table and exits 1 on any disagreement (2 if a command fails).

Usage: python3 scripts/check_lp_mps.py [MODEL.cnn] [--cnnc PATH]
(default examples/l1_regression.cnn and target/release/cnnc, from the repository root).

Expected output on examples/l1_regression.cnn (HiGHS 1.16.0; the last digits depend on the
solvers' versions):

    model examples/l1_regression.cnn: 37 columns, 73 rows (73 written), 0 integers, min
    solved by               status          objective   rows  cols  ints
    cnnc solve (clarabel)   optimal        5.90155161     73    37     0
    HiGHS reading .lp       Optimal        5.90155164     73    37     0
    HiGHS reading .mps      Optimal        5.90155164     73    37     0
    OK: objectives agree to 1e-6 relative, sizes agree

(CVXPY 1.9.3 with Clarabel gives 5.901551646883229, see tests/examples.rs; `cnnc solve` ends
5.5e-9 relative below HiGHS's simplex vertex, within Clarabel's tolerances.)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager

import highspy

TOL = 1e-6


def fail(message):
    """Exits 2: a command failed, nothing was compared."""
    print(message, file=sys.stderr)
    sys.exit(2)


def run(cmd):
    """Runs a command; exits 2 with its output if it fails."""
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"failed ({out.returncode}): {' '.join(cmd)}\n{out.stderr}{out.stdout}")
    return out.stdout


@contextmanager
def quiet_stdout():
    """Silences HiGHS's banner, printed from C++ straight to file descriptor 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def highs_solve(path):
    """Reads and solves a file with HiGHS: (status, objective, rows, columns, integers)."""
    with quiet_stdout():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        status = h.readModel(path)
    if status != highspy.HighsStatus.kOk:
        return ("unreadable", None, 0, 0, 0)
    h.run()
    lp = h.getLp()
    ints = sum(1 for t in lp.integrality_ if t == highspy.HighsVarType.kInteger)
    model_status = h.modelStatusToString(h.getModelStatus())
    objective = h.getInfo().objective_function_value
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        objective = None
    return (model_status, objective, h.getNumRow(), h.getNumCol(), ints)


def written_rows(problem):
    """Rows both writers keep: all but the nonnegative-cone rows with b = +inf (JSON null)."""
    rows, start = 0, 0
    for cone in problem["cones"]:
        for r in range(start, start + cone["dim"]):
            b = problem["b"][r]
            if not (cone["type"] == "NonnegativeConeT" and b is None):
                rows += 1
        start += cone["dim"]
    return rows


def close(a, b):
    return a is not None and b is not None and abs(a - b) <= TOL * max(1.0, abs(b))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default="examples/l1_regression.cnn")
    ap.add_argument("--cnnc", default="target/release/cnnc")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = {e: os.path.join(tmp, f"model.{e}") for e in ["lp", "mps", "cbf", "json"]}
        for emit, p in path.items():
            run([args.cnnc, "compile", args.model, "--emit", emit, "-o", p])
        with open(path["json"]) as f:
            problem = json.load(f)
        extra = problem["not_sent_to_solver"]
        n, m = problem["A"]["n"], problem["A"]["m"]
        ints = len(extra["integer_vars"])
        rows = written_rows(problem)

        solve = subprocess.run(
            [args.cnnc, "solve", path["cbf"], "--report", "json"],
            capture_output=True,
            text=True,
        )
        try:
            report = json.loads(solve.stdout)
        except json.JSONDecodeError:
            fail(f"cnnc solve printed no JSON report ({solve.returncode}):\n{solve.stderr}")
        own = report.get("objective") if report.get("status") == "optimal" else None
        results = [
            (
                f"cnnc solve ({report.get('backend', '?')})",
                (report.get("status", "?"), own, rows, n, ints),
            ),
            ("HiGHS reading .lp", highs_solve(path["lp"])),
            ("HiGHS reading .mps", highs_solve(path["mps"])),
        ]

    sense = "max" if extra["maximize"] else "min"
    print(f"model {args.model}: {n} columns, {m} rows ({rows} written), {ints} integers, {sense}")
    head = ("solved by", "status", "objective", "rows", "cols", "ints")
    print("{:<22}  {:<10} {:>14}  {:>5} {:>5} {:>5}".format(*head))
    for name, (status, obj, r, c, k) in results:
        shown = "-" if obj is None else f"{obj:.8f}"
        print(f"{name:<22}  {status:<10} {shown:>14}  {r:>5} {c:>5} {k:>5}")

    problems = []
    objectives = [(name, res[1]) for name, res in results]
    for i, (a, x) in enumerate(objectives):
        for b, y in objectives[i + 1 :]:
            if not close(x, y):
                problems.append(f"objectives differ: {a} {x} vs {b} {y}")
    for name, (_, _, r, c, k) in results[1:]:
        if (r, c, k) != (rows, n, ints):
            problems.append(
                f"{name}: {r} rows, {c} columns, {k} integers; expected {rows}, {n}, {ints}"
            )
    if problems:
        print("DISAGREEMENT:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("OK: objectives agree to 1e-6 relative, sizes agree")


if __name__ == "__main__":
    main()
