#!/usr/bin/env python3
"""Runs networks exported by `cnnc export --format onnx` in onnxruntime, an independent ONNX
runtime (and in the `onnx` package's reference evaluator, a second one), on the data they were
trained on, and compares the predictions with cnnc's own
(`cnnc eval` on the JSON weights file). Not part of the tests (they must not need Python); its
output is recorded in docs/WEIGHTS.md ("ONNX").

    pip install onnxruntime onnx numpy
    cargo build --release
    python3 scripts/onnx_check.py

Cases: the three shipped weights files (examples/weights/) and, for every activation cnnc
exports, a copy of seed 003's and the breast-cancer network with that activation in its hidden
layer. Each is exported in DOUBLE and in FLOAT and passes `onnx.checker` (full check). A DOUBLE graph must give cnnc's predictions to
1e-6 (largest absolute difference); onnxruntime has no DOUBLE kernel for `Softplus` and
`LeakyRelu`, which is reported as such, and the FLOAT graph of that case is checked instead, to
1e-6 relative to the largest output (or 1); the reference evaluator runs every DOUBLE graph, to
1e-6. Exit status 1 when any check fails.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx.reference import ReferenceEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CNNC = os.path.join(ROOT, "target", "release", "cnnc")
TOLERANCE = 1e-6

# weights file, its training data
SHIPPED = [
    ("seed003.json", "seed003_1d.csv"),
    ("moons.json", "moons.csv"),
    ("breast_cancer.json", "breast_cancer.csv"),
]
VARIANTS = ["sigmoid", "softplus", "leaky_relu"]


def run(*args):
    subprocess.run([CNNC, *args], check=True, stdout=subprocess.DEVNULL)


def features(csv_path, names):
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    return np.array([[float(r[n]) for n in names] for r in rows])


def cnnc_predictions(weights, csv_path, names, tmp):
    """cnnc's forward pass on every row of the CSV file: a model that only declares the data."""
    model = os.path.join(tmp, "data_only.cnn")
    with open(model, "w") as f:
        f.write(f'data d = csv("{csv_path}", features = [{", ".join(names)}])\n')
    out = os.path.join(tmp, "cnnc.csv")
    run("eval", model, "--weights", weights, "-o", out)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    outputs = [k for k in rows[0] if k.startswith("output")]
    return np.array([[float(r[k]) for k in outputs] for r in rows])


def onnx_predictions(onnx_path, x, dtype):
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x.astype(dtype)})[0].astype(np.float64)


def main():
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        for name, data in SHIPPED:
            cases.append((name, os.path.join(ROOT, "examples", "weights", name), data))
        for base, data in [SHIPPED[0], SHIPPED[2]]:
            w = json.load(open(os.path.join(ROOT, "examples", "weights", base)))
            for act in VARIANTS:
                w["layers"][0]["activation"] = act
                path = os.path.join(tmp, f"{act}_{base}")
                json.dump(w, open(path, "w"))
                cases.append((f"{base} with {act}", path, data))
        print(f"onnxruntime {ort.__version__}, tolerance {TOLERANCE:g}")
        print(f"onnx {onnx.__version__} reference evaluator")
        print(
            f"{'network':<36} {'rows':>5} {'onnxruntime DOUBLE':>28} {'FLOAT, relative':>16}"
            f" {'reference DOUBLE':>17}"
        )
        for label, weights, data in cases:
            names = json.load(open(weights))["feature_names"]
            csv_path = os.path.join(ROOT, "examples", "data", data)
            x = features(csv_path, names)
            reference = cnnc_predictions(weights, csv_path, names, tmp)
            scale = max(np.abs(reference).max(), 1.0)
            measured = {}
            for precision, dtype in [("double", np.float64), ("float", np.float32)]:
                onnx_path = os.path.join(tmp, f"net_{precision}.onnx")
                run("export", "--weights", weights, "--precision", precision, "-o", onnx_path)
                # The ONNX checker, with shape inference: a malformed graph stops the script.
                onnx.checker.check_model(onnx_path, full_check=True)
                try:
                    got = onnx_predictions(onnx_path, x, dtype)
                except ort.capi.onnxruntime_pybind11_state.NotImplemented as e:
                    if precision == "float":
                        raise
                    op = str(e).split("implementation for ")[1].split("(")[0]
                    measured[precision] = f"no DOUBLE {op} kernel"
                    continue
                if got.shape != reference.shape:
                    raise SystemExit(f"{label}: shape {got.shape}, cnnc {reference.shape}")
                measured[precision] = np.abs(got - reference).max()
            cells = []
            double = measured["double"]
            if isinstance(double, str):
                cells.append(double)
            else:
                failed |= double > TOLERANCE
                cells.append(f"{double:.1e} {'ok' if double <= TOLERANCE else 'FAILED'}")
            relative = measured["float"] / scale
            if isinstance(double, str):
                # FLOAT is the check of record only when DOUBLE could not run.
                failed |= relative > TOLERANCE
                cells.append(f"{relative:.1e} {'ok' if relative <= TOLERANCE else 'FAILED'}")
            else:
                cells.append(f"{relative:.1e}")
            onnx_path = os.path.join(tmp, "net_double.onnx")
            got = ReferenceEvaluator(onnx_path).run(None, {"input": x})[0]
            diff = np.abs(got - reference).max()
            ok = diff <= TOLERANCE
            failed |= not ok
            cells.append(f"{diff:.1e} {'ok' if ok else 'FAILED'}")
            print(f"{label:<36} {len(x):>5} {cells[0]:>28} {cells[1]:>16} {cells[2]:>17}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
