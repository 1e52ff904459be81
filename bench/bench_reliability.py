"""Benchmark hpmob.reliability against pingouin (and semopy for the CFA).

Run:  .venv/bin/python bench/bench_reliability.py [--repeat 7]

Data: 5 Likert items (1–5) simulated from a one-factor model with a fixed
seed, at the study's size (n = 450) and at n = 20 000; each size also with
5 % of cells set missing, which exercises the pairwise-covariance path.
Every timing is the median over ``--repeat`` repeats of ``timeit`` (loop
count chosen by ``Timer.autorange``); ratios are computed from timings taken
side by side in the same run, so machine speed cancels out.

``hpmob.cronbach_alpha`` does more than ``pingouin.cronbach_alpha`` (input
checks, standardized alpha, average r, the reverse-keying check), so a ratio
near 1 means the extra output is close to free. The semopy row fits the same
one-factor model (marker scaling) and is shown only to justify fitting the
model by hand in ``omega_total``.
"""

from __future__ import annotations

import argparse
import statistics
import timeit

import numpy as np
import pandas as pd
import pingouin as pg

from hpmob.reliability import cronbach_alpha, omega_total

try:
    import semopy
except ImportError:  # pragma: no cover - semopy is a project dependency
    semopy = None

SEED = 20240501
LOADINGS = np.array([0.8, 0.7, 0.7, 0.6, 0.5])


def simulate(n: int, missing: float = 0.0, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(n)
    latent = f[:, None] * LOADINGS + rng.standard_normal((n, LOADINGS.size)) * np.sqrt(1 - LOADINGS**2)
    x = np.clip(np.rint(3 + 1.1 * latent), 1, 5)
    if missing:
        x[rng.random(x.shape) < missing] = np.nan
    return pd.DataFrame(x, columns=[f"q{i + 1}" for i in range(LOADINGS.size)])


def median_seconds(fn, repeat: int) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return statistics.median(t / number for t in timer.repeat(repeat=repeat, number=number))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timeit repeats (median reported)")
    args = parser.parse_args()

    rows = []
    for n in (450, 20_000):
        for missing in (0.0, 0.05):
            data = simulate(n, missing)
            label = f"{n:>6} × 5{' (5% NaN)' if missing else ''}"
            t_pg = median_seconds(lambda: pg.cronbach_alpha(data=data), args.repeat)
            t_ours = median_seconds(lambda: cronbach_alpha(data), args.repeat)
            # Same numbers, or the timing comparison is meaningless.
            assert abs(cronbach_alpha(data)["alpha"] - pg.cronbach_alpha(data=data)[0]) < 1e-12
            rows.append((label, "pingouin.cronbach_alpha", t_pg, 1.0))
            rows.append((label, "hpmob cronbach_alpha", t_ours, t_ours / t_pg))
            t_om = median_seconds(lambda: omega_total(data), args.repeat)
            rows.append((label, "hpmob omega_total", t_om, t_om / t_pg))
            if semopy is not None and not missing:
                desc = "f =~ " + " + ".join(data.columns)
                t_sem = median_seconds(lambda: semopy.Model(desc).fit(data), max(3, args.repeat // 2))
                rows.append((label, "semopy one-factor fit", t_sem, t_sem / t_pg))

    print(f"hpmob.reliability benchmark — median of {args.repeat} timeit repeats; "
          f"ratio = time / pingouin.cronbach_alpha on the same data")
    header = f"{'data':<20} {'function':<26} {'median ms':>10} {'ratio':>8}"
    print(header)
    print("-" * len(header))
    last = None
    for label, name, t, ratio in rows:
        if last is not None and label != last:
            print()
        print(f"{label if label != last else '':<20} {name:<26} {t * 1e3:>10.3f} {ratio:>8.2f}")
        last = label


if __name__ == "__main__":
    main()
