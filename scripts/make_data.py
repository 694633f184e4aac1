#!/usr/bin/env python3
"""Writes the example data sets under examples/data/ (a development tool; the tests never run it).

Generated sets use numpy with fixed seeds; the two real sets are copied from scikit-learn's bundled
copies (see examples/data/README.md for their sources and licences). Run from the repository root:

    pip install numpy scikit-learn && python3 scripts/make_data.py
"""
import csv
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "examples", "data")


def write(name, header, rows):
    with open(os.path.join(OUT, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([fmt(v) for v in r])


def fmt(v):
    if isinstance(v, str):
        return v
    v = float(v)
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(round(v, 10))


def seed003():
    x = [-1, -5, 2, 0, 3]
    y = [1, -1, 1, -1, 1]
    write("seed003_1d.csv", ["x1", "y"], zip(x, y))


def seed001():
    """30 samples of a random 3 -> 3 ReLU -> 2 network (the seed 001 experiment)."""
    rng = np.random.default_rng(1)
    w1 = rng.normal(size=(3, 3))
    b1 = rng.normal(size=3)
    w2 = rng.normal(size=(2, 3))
    b2 = rng.normal(size=2)
    x = rng.normal(size=(30, 3))
    y = np.maximum(x @ w1.T + b1, 0) @ w2.T + b2
    write("seed001_relu332.csv", ["x1", "x2", "x3", "y1", "y2"], np.hstack([x, y]))
    # The generating network, as a cnnc weights file: the start of the perturbed runs and the
    # answer the rank-lifting tests compare with.
    weights = {
        "format": "cnnc-weights",
        "version": 1,
        "network": "net",
        "model": "examples/seed001_relu332.cnn",
        "method": None,
        "inputs": 3,
        "feature_names": ["x1", "x2", "x3"],
        "standardization": None,
        "target": {"kind": "values", "names": ["y1", "y2"]},
        "layers": [
            {"shape": [3, 3], "weights": [float(v) for v in w1.ravel()],
             "bias": [float(v) for v in b1], "bias_mode": "separate", "activation": "relu"},
            {"shape": [2, 3], "weights": [float(v) for v in w2.ravel()],
             "bias": [float(v) for v in b2], "bias_mode": "separate", "activation": "identity"},
        ],
    }
    with open(os.path.join(OUT, "seed001_relu332_weights.json"), "w") as f:
        json.dump(weights, f, indent=2)
        f.write("\n")


def two_hidden():
    """12 samples of a 2 -> 3 ReLU -> 2 ReLU -> 1 network, for the rank-lifting test of a network
    with two hidden layers (tests/rank_lifting.rs); numpy seed 6, the first seed from 5 on whose
    hidden neurons are each active on 20-90 % of the samples. Written to tests/data/."""
    rng = np.random.default_rng(6)
    layers = [(rng.normal(size=(3, 2)), rng.normal(size=3)),
              (rng.normal(size=(2, 3)), rng.normal(size=2)),
              (rng.normal(size=(1, 2)), rng.normal(size=1))]
    x = rng.normal(size=(12, 2))
    a = x
    for k, (w, b) in enumerate(layers):
        a = a @ w.T + b
        if k < 2:
            a = np.maximum(a, 0)
    write_teacher("two_hidden", x, a, layers, "relu")


def sigmoid_teacher():
    """16 samples of a 2 -> 3 sigmoid -> 2 sigmoid -> 1 network (numpy seed 9, the first from 7 on
    whose outputs have a standard deviation above 1), for the Convex-NN tests (tests/convex_nn.rs): its weights give a zero loss. Written to tests/data/."""
    rng = np.random.default_rng(9)
    # Scaled so that the hidden units saturate on some samples and the output varies.
    layers = [(3 * rng.normal(size=(3, 2)), rng.normal(size=3)),
              (3 * rng.normal(size=(2, 3)), rng.normal(size=2)),
              (3 * rng.normal(size=(1, 2)), rng.normal(size=1))]
    x = rng.normal(size=(16, 2))
    a = x
    for k, (w, b) in enumerate(layers):
        a = a @ w.T + b
        if k < 2:
            a = 1.0 / (1.0 + np.exp(-a))
    write_teacher("sigmoid_teacher", x, a, layers, "sigmoid")


def write_teacher(name, x, y, layers, activation):
    """tests/data/NAME.csv (x1, x2, y) and NAME_weights.json, the generating network as a cnnc
    weights file (hidden layers `activation`, a linear output)."""
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "data")
    with open(os.path.join(out, name + ".csv"), "w") as f:
        f.write("x1,x2,y\n")
        for xi, yi in zip(x, y):
            f.write("%r,%r,%r\n" % (float(xi[0]), float(xi[1]), float(yi[0])))
    weights = {
        "format": "cnnc-weights", "version": 1, "network": "net", "model": None, "method": None,
        "inputs": 2, "feature_names": ["x1", "x2"], "standardization": None,
        "target": {"kind": "values", "names": ["y"]},
        "layers": [{"shape": list(w.shape), "weights": [float(v) for v in w.ravel()],
                    "bias": [float(v) for v in b], "bias_mode": "separate",
                    "activation": activation if k < len(layers) - 1 else "identity"}
                   for k, (w, b) in enumerate(layers)],
    }
    with open(os.path.join(out, name + "_weights.json"), "w") as f:
        json.dump(weights, f, indent=2)
        f.write("\n")


def seed002():
    """An imbalanced two-class problem in 2-D (60 vs 12 samples), the seed 002 setting in small."""
    rng = np.random.default_rng(2)
    a = rng.normal(loc=[0.0, 0.0], scale=1.0, size=(60, 2))
    b = rng.normal(loc=[1.8, 1.2], scale=0.6, size=(12, 2))
    rows = [list(r) + ["major"] for r in a] + [list(r) + ["minor"] for r in b]
    order = rng.permutation(len(rows))
    write("seed002_imbalanced.csv", ["x1", "x2", "class"], [rows[i] for i in order])


def moons():
    """Two interleaving half-moons with Gaussian noise (100 + 100 samples) in 2-D, for the
    2 → 16 → 16 → 1 network the query examples ask questions of."""
    rng = np.random.default_rng(4)
    t = rng.uniform(0.0, np.pi, size=100)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    t = rng.uniform(0.0, np.pi, size=100)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    pts = np.vstack([upper, lower]) + rng.normal(scale=0.15, size=(200, 2))
    rows = [list(p) + ["upper" if i < 100 else "lower"] for i, p in enumerate(pts)]
    order = rng.permutation(len(rows))
    write("moons.csv", ["x1", "x2", "class"], [rows[i] for i in order])


def diabetes():
    from sklearn.datasets import load_diabetes

    d = load_diabetes(scaled=False)
    write("diabetes.csv", list(d.feature_names) + ["progression"],
          np.hstack([d.data, d.target[:, None]]))


def breast_cancer():
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    names = [n.replace(" ", "_") for n in d.feature_names]
    labels = ["malignant" if t == 0 else "benign" for t in d.target]
    write("breast_cancer.csv", names + ["diagnosis"],
          [list(r) + [l] for r, l in zip(d.data, labels)])


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    seed003()
    seed001()
    seed002()
    moons()
    two_hidden()
    sigmoid_teacher()
    diabetes()
    breast_cancer()
