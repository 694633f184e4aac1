#!/usr/bin/env python3
"""Writes examples/breast_cancer_flip.cnn: the smallest change of one breast-cancer sample that
flips the class of the 10 → 16 → 1 classifier in examples/weights/breast_cancer.json
(`cnnc train examples/breast_cancer_bounds.cnn --method adam -o examples/weights/breast_cancer.json`).

The sample is the malignant row of examples/data/breast_cancer.csv that the network classifies
correctly with the smallest output above 0.3 (near the boundary, so the answer is a small
change); the change `d` is in standard deviations of each feature (the weights file's
standardization), so `norm_inf(d)` compares the features fairly. Run from the repository root:

    python3 scripts/make_flip_query.py
"""
import csv
import json

import numpy as np

W = json.load(open("examples/weights/breast_cancer.json"))
names = W["feature_names"]
mean = np.array(W["standardization"]["mean"])
std = np.array(W["standardization"]["std"])


def forward(x):
    a = (x - mean) / std
    for layer in W["layers"]:
        rows, cols = layer["shape"]
        w = np.array(layer["weights"]).reshape(rows, cols)
        if layer["bias_mode"] == "column":
            a = np.append(a, 1.0)
        z = w @ a
        if layer["bias"] is not None:
            z = z + np.array(layer["bias"])
        a = np.maximum(z, 0.0) if layer["activation"] == "relu" else z
    return float(a[0])


rows = list(csv.DictReader(open("examples/data/breast_cancer.csv")))
best = None
for i, r in enumerate(rows):
    if r["diagnosis"] != "malignant":
        continue
    x = np.array([float(r[n]) for n in names])
    f = forward(x)
    if f > 0.3 and (best is None or f < best[1]):
        best = (i, f, x)
i, f, x = best
lit = lambda v: "[[" + ", ".join(repr(round(float(t), 12)) for t in v) + "]]"
with open("examples/breast_cancer_flip.cnn", "w") as out:
    out.write(f"""# The smallest change of one tumour's 10 mean features that flips the class the breast-cancer
# classifier gives it (10 → 16 → 1 ReLU, trained by `cnnc train examples/breast_cancer_bounds.cnn
# --method adam -o examples/weights/breast_cancer.json`). x0 is data row {i + 1} of
# examples/data/breast_cancer.csv (malignant; network output {f:.4f}), s the weights file's
# standard deviations, so d is the change in standard deviations of each feature. Written by
# `python3 scripts/make_flip_query.py`; `cnnc solve examples/breast_cancer_flip.cnn`.

network clf = load("weights/breast_cancer.json")

var d[1, 10] in [-3, 3]

minimize norm_inf(d)

# The class at x0 + d∘s differs from the class at x0 (the product of the two outputs is negative).
constraint flip: sum(clf({lit(x)})) * sum(clf({lit(x)} + d * {lit(std)})) <= -1e-3

method big_m(bounds = lp)
solver microlp
""")
print(f"row {i + 1}: output {f:.6f}")
