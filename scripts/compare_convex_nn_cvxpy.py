#!/usr/bin/env python3
"""Convex-NN in cnnc and in CVXPY + Clarabel on the same programs, in one run
(docs/PERFORMANCE.md). Not a test.

Both start from the same network (Adam's, trained by `cnnc train MODEL --method adam -o`),
use cnnc's training rows (`cvxpy_convex_nn.py --rows-from-cnnc`) and the centred form, and run
the same number of passes; the table gives, per pass, each side's relaxed objective, its
solver's own seconds, and its seconds outside the solver (cnnc: building the program,
canonicalizing, recovering and measuring; CVXPY: compiling). Run from the repository root
after `cargo build --release`:

    python3 scripts/compare_convex_nn_cvxpy.py [--passes 3]
        [--model examples/yeast_convex_nn.cnn --data examples/data/yeast_1to5.csv --positive MIT]
"""
import argparse
import json
import os
import subprocess
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnc", default="target/release/cnnc")
    ap.add_argument("--model", default="examples/yeast_convex_nn.cnn")
    ap.add_argument("--data", default="examples/data/yeast_1to5.csv")
    ap.add_argument("--positive", default="MIT")
    ap.add_argument("--eta", default="100")
    ap.add_argument("--passes", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        start = os.path.join(d, "start.json")
        subprocess.run([a.cnnc, "train", a.model, "--method", "adam", "-o", start],
                       check=True, capture_output=True)
        out = subprocess.run(
            [a.cnnc, "train", a.model, "--option", "start=" + start, "--option",
             "iterations=%d" % a.passes, "--option", "tighten=0", "--option", "eta=" + a.eta,
             "--report", "json"], capture_output=True, text=True)
        ours = json.loads(out.stdout)["iterations"]
        ref = subprocess.run(
            ["python3", "scripts/cvxpy_convex_nn.py", "--data", a.data, "--label", "class",
             "--positive", a.positive, "--standardize", "--rows-from-cnnc", a.model,
             "--cnnc", a.cnnc, "--hidden", "6,6", "--eta", a.eta, "--mu", "1", "--kappa", "0.5",
             "--iterations", str(a.passes), "--keep-going", "--centered", "--start", start],
            capture_output=True, text=True, check=True)
        theirs = [json.loads(l) for l in ref.stdout.splitlines()
                  if l.startswith("{") and '"event": "iteration"' in l]
    print("| pass | relaxed objective cnnc | CVXPY | Clarabel s (cnnc) | Clarabel s (CVXPY) "
          "| outside s (cnnc) | compile s (CVXPY) | outside / solver (cnnc) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for o, t in zip(ours, theirs):
        print("| %d | %.6f | %.6f | %.2f | %.2f | %.3f | %.2f | %.1f %% |" % (
            o["iteration"], o["objective"], t["relaxed_objective"], o["solver_seconds"],
            t["clarabel_seconds"], o["other_seconds"], t["compile_seconds"],
            100 * o["other_seconds"] / o["solver_seconds"]))


if __name__ == "__main__":
    main()
