#!/usr/bin/env python3
"""The Yeast table of docs/CONVEX_NN.md: seed 002's experiment on UCI Yeast NUC vs MIT.

For each imbalance ratio (1:5, 1:10, 1:20) and each of five stratified splits (split seeds
1..5), trains with `cnnc train --report json` and reports the test error, balanced error and
minority-class (MIT) error, mean ± standard deviation over the splits:
  adam            examples/yeast_adam.cnn            (plain squared error)
  adam balanced   examples/yeast_adam_balanced.cnn   (inverse-class-size sample weights)
  convex_nn k     examples/yeast_convex_nn.cnn       (per-class bounds, kappa = 0.5 and 0.3)
plus, on 1:5 only, Convex-NN from a random start with eta = 1 (the setting of the paper and of
an independent CVXPY run). Run from the repository root after `cargo build --release`:

    python3 scripts/yeast_table.py [--jobs 2] [--cnnc target/release/cnnc]

It prints a Markdown table and, per Convex-NN row, in how many splits the trained network met
every bound. Takes about 15 minutes on 2 cores.
"""
import argparse
import concurrent.futures as cf
import json
import statistics
import subprocess

RATIOS = [("1:5", "examples/data/yeast_1to5.csv"), ("1:10", "examples/data/yeast_1to10.csv"),
          ("1:20", "examples/data/yeast_1to20.csv")]
SPLITS = [1, 2, 3, 4, 5]
ROWS = [
    ("adam", "examples/yeast_adam.cnn", []),
    ("adam, balanced weights", "examples/yeast_adam_balanced.cnn", []),
    ("convex_nn, kappa 0.5", "examples/yeast_convex_nn.cnn", ["--set", "kappa=0.5"]),
    ("convex_nn, kappa 0.3", "examples/yeast_convex_nn.cnn", ["--set", "kappa=0.3"]),
]
PAPER = ("convex_nn, kappa 0.5, random start, eta 1", "examples/yeast_convex_nn.cnn",
         ["--set", "kappa=0.5", "--option", "start=random", "--option", "eta=1"])


def run(cnnc, model, data, seed, extra):
    cmd = [cnnc, "train", model, "--data", "train=" + data, "--set", "split_seed=%d" % seed,
           "--report", "json"] + extra
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return {"failed": out.stderr.strip().splitlines()[0] if out.stderr else "failed"}
    r = json.loads(out.stdout)
    t = r["metrics"]["test"]
    low = r.get("lowering") or {}
    return {
        "error": 1.0 - t["accuracy"],
        "balanced": t["balanced_error"],
        "minority": t["minority"]["error_rate"],
        "bounds_hold": all(c["satisfied"] for c in r["constraints"]) if r["constraints"] else None,
        "seconds": r["solve_seconds"] + r["compile_seconds"],
        "monotone": low.get("monotone"),
    }


def cell(xs):
    return "%.3f ± %.3f" % (statistics.mean(xs), statistics.stdev(xs)) if len(xs) > 1 else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnc", default="target/release/cnnc")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    jobs = []
    for ratio, data in RATIOS:
        for name, model, extra in ROWS + ([PAPER] if ratio == "1:5" else []):
            for seed in SPLITS:
                jobs.append((ratio, name, model, data, seed, extra))
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        results = list(ex.map(lambda j: (j, run(a.cnnc, j[2], j[3], j[4], j[5])), jobs))
    print("| ratio | method | test error | balanced error | minority (MIT) error | network meets every bound | seconds per run |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for ratio, _ in RATIOS:
        for name, _, _ in ROWS + [PAPER]:
            rs = [r for (j, r) in results if j[0] == ratio and j[1] == name]
            if not rs:
                continue
            ok = [r for r in rs if "failed" not in r]
            failed = len(rs) - len(ok)
            holds = [r["bounds_hold"] for r in ok if r["bounds_hold"] is not None]
            print("| %s | %s | %s | %s | %s | %s | %.1f |" % (
                ratio, name + (" (%d failed)" % failed if failed else ""),
                cell([r["error"] for r in ok]), cell([r["balanced"] for r in ok]),
                cell([r["minority"] for r in ok]),
                ("%d of %d" % (sum(holds), len(holds))) if name.startswith("convex") else "-",
                statistics.mean([r["seconds"] for r in ok]) if ok else float("nan")))
    for (j, r) in results:
        if "failed" in r:
            print("\nfailed: %s %s split %d: %s" % (j[0], j[1], j[4], r["failed"]))
    nonmono = [(j[0], j[1], j[4]) for (j, r) in results if r.get("monotone") is False]
    print("\nruns whose relaxed objective rose: %s" % (nonmono or "none"))


if __name__ == "__main__":
    main()
