"""Time the small hot paths whose speed tests used to assert: guards against hostile input,
parallel analysis, and the Bollen-Stine transformation.

Run:  .venv/bin/python bench/bench_guards.py [--repeats 5]

Each figure is the median wall time over ``--repeats`` calls after one warm-up call
(``bench/timing.py``); the last column is the time the unit tests once asserted, shown as a
reference, not a pass/fail: speed is measured here, behaviour in ``tests/``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from hostile_files import xlsx_bomb  # noqa: E402  (the hardening tests' builder)
from timing import median_seconds  # noqa: E402

from hpmob.codebook import CodebookError, load_codebook  # noqa: E402
from hpmob.efa import parallel_analysis  # noqa: E402
from hpmob.io import ExportError, ReadLimits, read_export  # noqa: E402
from hpmob.sem.bollen_stine import transform_to_moments  # noqa: E402


def _refused(fn, error) -> None:
    try:
        fn()
    except error:
        return
    raise SystemExit(f"{fn} was not refused")


def main(repeats: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    cell = xlsx_bomb(tmp / "cell.xlsx", cell_bytes=50 * 2**20)
    rows = xlsx_bomb(tmp / "rows.xlsx", rows=1_200_000)
    alias = tmp / "bomb.yaml"
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        text += f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    alias.write_text(text, encoding="utf-8")
    likert = pd.DataFrame(np.random.default_rng(0).integers(1, 6, size=(450, 31)).astype(float))
    rng = np.random.default_rng(11)
    L = rng.uniform(0.5, 0.9, size=(31, 1))
    sigma = L @ L.T + np.diag(rng.uniform(0.3, 0.7, size=31))
    X = rng.normal(size=(400, 31)) @ np.linalg.cholesky(sigma).T + 3.0

    cases = [
        ("xlsx with a 50 MB cell refused (10 MB limit)",
         lambda: _refused(lambda: read_export(cell, ReadLimits(max_decompressed_bytes=10 * 2**20)), ExportError), 1.0),
        ("xlsx with 1.2 million rows refused", lambda: _refused(lambda: read_export(rows), ExportError), 10.0),
        ("YAML alias bomb refused", lambda: _refused(lambda: load_codebook(alias), CodebookError), 2.0),
        ("parallel analysis, 450 x 31, 100 draws, pca + fa",
         lambda: (parallel_analysis(likert, seed=1, n_iter=100, method="pca"),
                  parallel_analysis(likert, seed=1, n_iter=100, method="fa")), 1.0),
        ("Bollen-Stine transformation, 400 x 31", lambda: transform_to_moments(X, sigma, np.full(31, 3.0)), 0.05),
    ]
    print(f"{'task':52s} {'median s':>10s} {'once asserted':>14s}")
    for name, fn, bound in cases:
        print(f"{name:52s} {median_seconds(fn, repeats):10.4f} {'< ' + format(bound, 'g') + ' s':>14s}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    main(parser.parse_args().repeats)
