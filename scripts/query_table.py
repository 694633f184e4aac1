#!/usr/bin/env python3
"""The timing table of docs/QUERIES.md: every example query, with interval and LP bounds, on
each MILP back end given, through `cnnc solve --report json`.

    cargo build --release && python3 scripts/query_table.py
    cargo build --release --features cbc && python3 scripts/query_table.py --solvers microlp,cbc

For a back end other than the model's own, the query is copied into a temporary file next to
it with its `solver` line replaced (so relative paths still resolve). Each run is limited to
`--time-limit` seconds (the solver's own limit: an unfinished run shows `time limit`).
"""
import argparse
import json
import os
import re
import subprocess
import tempfile

# (model, extra arguments)
QUERIES = [
    ("examples/seed003_query.cnn", []),
    ("examples/moons_max_output.cnn", []),
    ("examples/moons_sensitivity.cnn", []),
    ("examples/moons_sensitivity.cnn", ["--set", "lo=-1.5", "--set", "hi=2.5"]),
    ("examples/breast_cancer_flip.cnn", []),
]


def run(cnnc, path, extra, bounds, solver, limit):
    text = open(path).read()
    tmp = None
    if solver:
        body = re.sub(r"(?m)^solver .*$", "", text) + f"\nsolver {solver}\n"
        fd, tmp = tempfile.mkstemp(suffix=".cnn", dir=os.path.dirname(path))
        with os.fdopen(fd, "w") as f:
            f.write(body)
        path = tmp
    try:
        out = subprocess.run(
            [cnnc, "solve", path, "--option", f"bounds={bounds}", "--report", "json",
             "--time-limit", str(limit)] + extra,
            capture_output=True, text=True)
    finally:
        if tmp:
            os.unlink(tmp)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        # A solver that fails outright prints no report: show its error instead.
        first = out.stderr.strip().splitlines()[0] if out.stderr.strip() else "no output"
        return {"status": first.replace("|", "/")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnc", default="target/release/cnnc")
    ap.add_argument("--solvers", default="microlp")
    ap.add_argument("--time-limit", type=float, default=600)
    args = ap.parse_args()
    print("| query | solver | bounds | binaries | bound LPs | compile s | solve s | B&B nodes | objective | LP relaxation | check |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for q, extra in QUERIES:
        for solver in args.solvers.split(","):
            for bounds in ["interval", "lp"]:
                r = run(args.cnnc, q, extra, bounds, solver, args.time_limit)
                low = r.get("lowering") or {}
                checks = low.get("check") or []
                check = "agrees" if checks and all(c["agrees"] for c in checks) else "-"
                obj = r.get("objective")
                rel = r.get("relaxation_objective")
                fmt = lambda v: "-" if v is None else f"{v:.6g}"
                name = os.path.basename(q) + (" " + " ".join(extra) if extra else "")
                print(f"| `{name}` | {solver} | {bounds} | {r.get('binaries', '-')} "
                      f"| {low.get('lp_solves', '-')} | {r.get('compile_seconds', 0):.3f} "
                      f"| {r.get('solve_seconds', 0):.3f} | {r.get('nodes') if r.get('nodes') is not None else '-'} "
                      f"| {fmt(obj)} | {fmt(rel)} | {check if r['status'] == 'optimal' else r['status']} |")


if __name__ == "__main__":
    main()
